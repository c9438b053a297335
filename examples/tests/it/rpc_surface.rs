//! The `pending` surface a wallet and a dapp use: block tags as geth reads them, every
//! preconfirmed block by number and hash, the chain methods, `eth_getLogs` up to
//! `pending`, and the websocket subscriptions with their bounded buffers.

use alloy_primitives::{keccak256, Address, B256, U256};
use flashblocks_examples::simulate::{dev_signers, simulate, Simulation, SimulationConfig};
use flashblocks_node::{
    pipeline::{Pipeline, Verdict},
    rpc::{
        feed::{Feed, FlashblockEvent},
        serve, Backend, ServerConfig,
    },
};
use flashblocks_overlay::OverlayReader;
use flashblocks_types::JsonFrameReader;
use flashblocks_validate::RuleSet;
use futures_util::{SinkExt, StreamExt};
use jsonrpsee::{
    core::client::ClientT, http_client::HttpClientBuilder, rpc_params, server::ServerHandle,
};
use serde_json::{json, Value};
use std::{net::SocketAddr, time::Duration};
use tokio_tungstenite::tungstenite::Message;

/// The contract address the injected logs come from.
const EMITTER: Address = Address::repeat_byte(0xee);

/// The simulated stream as JSON frames, where every flashblock after an index 0 that
/// adds exactly one transaction carries its receipt with one log (topic: the frame's
/// position).
fn frames_with_logs(sim: &Simulation) -> (Vec<Vec<u8>>, Vec<B256>) {
    let mut logged = Vec::new();
    let frames = sim
        .json_frames()
        .into_iter()
        .enumerate()
        .map(|(i, frame)| {
            let mut fb: Value = serde_json::from_slice(&frame).unwrap();
            let txs = fb["diff"]["transactions"].as_array().unwrap().clone();
            if fb["index"] != 0 && txs.len() == 1 {
                let raw = alloy_primitives::hex::decode(txs[0].as_str().unwrap()).unwrap();
                let hash = keccak256(&raw);
                logged.push(hash);
                fb["metadata"]["receipts"] = json!({
                    hash.to_string(): {"Eip1559": {
                        "cumulativeGasUsed": fb["diff"]["gas_used"].clone(),
                        "logs": [{
                            "address": EMITTER,
                            "topics": [B256::with_last_byte(i as u8)],
                            "data": "0x01",
                        }],
                        "status": "0x1",
                    }}
                });
            }
            serde_json::to_vec(&fb).unwrap()
        })
        .collect();
    (frames, logged)
}

async fn start(reader: OverlayReader, feed: Feed) -> (SocketAddr, ServerHandle) {
    let config = ServerConfig { chain_id: Some(901), ..ServerConfig::default() };
    serve("127.0.0.1:0".parse().unwrap(), Backend { feed, ..Backend::new(reader) }, &config)
        .await
        .unwrap()
}

fn client(addr: SocketAddr) -> jsonrpsee::http_client::HttpClient {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(10))
        .build(format!("http://{addr}"))
        .unwrap()
}

/// The JSON-RPC error code of a failed call.
async fn error_code(
    client: &jsonrpsee::http_client::HttpClient,
    method: &str,
    params: Value,
) -> i32 {
    let params: Vec<Value> = serde_json::from_value(params).unwrap();
    let mut builder = jsonrpsee::core::params::ArrayParams::new();
    for p in params {
        builder.insert(p).unwrap();
    }
    match client.request::<Value, _>(method, builder).await {
        Err(jsonrpsee::core::client::Error::Call(err)) => err.code(),
        other => panic!("{method}: expected an error, got {other:?}"),
    }
}

#[tokio::test]
async fn tags_blocks_chain_methods_and_logs() {
    tokio::time::timeout(Duration::from_secs(60), tags_blocks_chain_methods_and_logs_run())
        .await
        .expect("bounded in time");
}

async fn tags_blocks_chain_methods_and_logs_run() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let (frames, logged) = frames_with_logs(&sim);
    let mut pipeline = Pipeline::new(RuleSet::Json);
    for frame in &frames {
        assert_eq!(pipeline.process(frame).verdict, Verdict::Accept);
    }
    let (addr, handle) = start(pipeline.reader(), Feed::default()).await;
    let client = client(addr);
    let sender = dev_signers()[0].address();

    // Tags: pending is the overlay, missing is latest (the empty canonical chain), a
    // canonical tag or block this server has no chain for is -32000, a typo -32602.
    let pending: U256 =
        client.request("eth_getBalance", rpc_params![sender, "pending"]).await.unwrap();
    assert_eq!(pending, sim.final_state[&sender].0);
    let missing: U256 = client.request("eth_getBalance", rpc_params![sender]).await.unwrap();
    assert_eq!(missing, U256::ZERO, "a missing tag is latest");
    for tag in [json!("safe"), json!("finalized"), json!("0x10"), json!({"blockHash": B256::ZERO})]
    {
        let code = error_code(&client, "eth_getBalance", json!([sender, tag])).await;
        assert_eq!(code, -32000, "{tag}");
    }
    for tag in [json!("pendingg"), json!("0xzz"), json!({"nope": 1}), json!(true)] {
        let code = error_code(&client, "eth_getBalance", json!([sender, tag])).await;
        assert_eq!(code, -32602, "{tag}");
    }
    assert_eq!(error_code(&client, "eth_getBlockByNumber", json!(["soon", false])).await, -32602);

    // Every preconfirmed block by number and by hash, the complete ones included.
    for block in &sim.blocks {
        let number = block[0].base.as_ref().unwrap().block_number;
        let hash = block.last().unwrap().diff.block_hash;
        let by_number: Value = client
            .request("eth_getBlockByNumber", rpc_params![format!("{number:#x}"), false])
            .await
            .unwrap();
        assert_eq!(by_number["hash"], json!(hash), "block {number}");
        let count: usize = block.iter().map(|fb| fb.diff.transactions.len()).sum();
        assert_eq!(by_number["transactions"].as_array().unwrap().len(), count);
        let by_hash: Value =
            client.request("eth_getBlockByHash", rpc_params![hash, true]).await.unwrap();
        assert_eq!(by_hash["number"], json!(format!("{number:#x}")));
        assert_eq!(by_hash["transactions"][0]["type"], "0x7e");
    }
    let none: Value =
        client.request("eth_getBlockByHash", rpc_params![B256::ZERO, false]).await.unwrap();
    assert!(none.is_null());

    // The chain methods.
    let chain: String = client.request("eth_chainId", rpc_params![]).await.unwrap();
    assert_eq!(chain, "0x385");
    let version: String = client.request("net_version", rpc_params![]).await.unwrap();
    assert_eq!(version, "901");
    let number: String = client.request("eth_blockNumber", rpc_params![]).await.unwrap();
    assert_eq!(number, "0x0", "no canonical head yet");

    // Logs: up to latest (the default) reaches no preconfirmed block; up to pending
    // reaches all of them, in order; a filter narrows them.
    let logs: Vec<Value> = client.request("eth_getLogs", rpc_params![json!({})]).await.unwrap();
    assert!(logs.is_empty());
    let logs: Vec<Value> = client
        .request("eth_getLogs", rpc_params![json!({"fromBlock": "0x0", "toBlock": "pending"})])
        .await
        .unwrap();
    assert!(logged.len() >= 3, "{}", logged.len());
    let hashes: Vec<Value> = logs.iter().map(|l| l["transactionHash"].clone()).collect();
    assert_eq!(hashes, logged.iter().map(|h| json!(h)).collect::<Vec<_>>());
    assert!(logs.iter().all(|l| l["address"] == json!(EMITTER)));
    let first = &logs[0];
    let topic = first["topics"][0].clone();
    let narrowed: Vec<Value> = client
        .request(
            "eth_getLogs",
            rpc_params![json!({"toBlock": "pending", "fromBlock": "0x0", "topics": [topic]})],
        )
        .await
        .unwrap();
    assert_eq!(narrowed.as_slice(), std::slice::from_ref(first));
    let by_hash: Vec<Value> = client
        .request("eth_getLogs", rpc_params![json!({"blockHash": first["blockHash"]})])
        .await
        .unwrap();
    assert!(by_hash.contains(first));
    assert!(by_hash.iter().all(|l| l["blockHash"] == first["blockHash"]));
    let other: Vec<Value> = client
        .request(
            "eth_getLogs",
            rpc_params![
                json!({"fromBlock": "0x0", "toBlock": "pending", "address": Address::ZERO})
            ],
        )
        .await
        .unwrap();
    assert!(other.is_empty());
    handle.stop().unwrap();
    handle.stopped().await;
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next JSON message on `ws` (bounded in time).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

/// Subscribes and returns the subscription id (or the error object).
async fn subscribe(ws: &mut Ws, id: u64, params: Value) -> Result<Value, Value> {
    let request = json!({"jsonrpc": "2.0", "id": id, "method": "eth_subscribe", "params": params});
    ws.send(Message::text(request.to_string())).await.unwrap();
    let answer = next_json(ws).await;
    assert_eq!(answer["id"], id);
    match answer.get("result") {
        Some(result) => Ok(result.clone()),
        None => Err(answer["error"].clone()),
    }
}

#[tokio::test]
async fn subscriptions_deliver_each_accepted_flashblock_and_drop_a_lagging_subscriber() {
    tokio::time::timeout(Duration::from_secs(60), subscriptions_run())
        .await
        .expect("bounded in time");
}

async fn subscriptions_run() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let (frames, logged) = frames_with_logs(&sim);
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let feed = Feed::new(4);
    let (addr, handle) = start(pipeline.reader(), feed.clone()).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}")).await.unwrap();

    let err = subscribe(&mut ws, 1, json!(["newHeadz"])).await.unwrap_err();
    assert_eq!(err["code"], -32602);
    let flashblocks = subscribe(&mut ws, 2, json!(["newFlashblocks"])).await.unwrap();
    let hashes = subscribe(&mut ws, 3, json!(["newFlashblockTransactions"])).await.unwrap();
    let full = subscribe(&mut ws, 4, json!(["newFlashblockTransactions", true])).await.unwrap();
    let logs = subscribe(
        &mut ws,
        5,
        json!(["pendingLogs", {"address": EMITTER, "topics": [B256::with_last_byte(1)]}]),
    )
    .await
    .unwrap();
    assert_eq!(feed.subscribers(), 4);

    // One flashblock at a time: each subscription sees exactly what it asked for.
    let mut seen_logs = Vec::new();
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(pipeline.process(frame).verdict, Verdict::Accept);
        let fb = JsonFrameReader::default().decode(frame).unwrap();
        let snapshot = pipeline.reader().snapshot();
        assert_eq!(feed.publish(FlashblockEvent::new(&fb, &snapshot.at(0))), 4);
        let tx_hashes: Vec<Value> =
            fb.transactions().iter().map(|raw| json!(keccak256(raw))).collect();
        let mut expected = 1 + 2 * tx_hashes.len() + usize::from(i == 1);
        let (mut got_fb, mut got_hashes, mut got_full) = (None, Vec::new(), Vec::new());
        while expected > 0 {
            let note = next_json(&mut ws).await;
            assert_eq!(note["method"], "eth_subscription");
            let (sub, result) = (&note["params"]["subscription"], &note["params"]["result"]);
            if *sub == flashblocks {
                got_fb = Some(result.clone());
            } else if *sub == hashes {
                got_hashes.push(result.clone());
            } else if *sub == full {
                got_full.push(result["hash"].clone());
            } else if *sub == logs {
                seen_logs.push(result.clone());
            } else {
                panic!("{note}");
            }
            expected -= 1;
        }
        let got_fb = got_fb.unwrap();
        assert_eq!(got_fb["index"], json!(fb.index()));
        assert_eq!(got_fb["payload_id"], json!(fb.payload_id()));
        assert_eq!(got_hashes, tx_hashes);
        assert_eq!(got_full, tx_hashes);
    }
    // The log filter let exactly one log through: the one of frame 1.
    assert_eq!(seen_logs.len(), 1);
    assert_eq!(seen_logs[0]["address"], json!(EMITTER));
    assert_eq!(seen_logs[0]["transactionHash"], json!(logged[0]));

    // A subscriber on a second connection falls behind by more than the ring: it is
    // dropped with the reason; the publisher never waited.
    let (mut slow, _) = tokio_tungstenite::connect_async(format!("ws://{addr}")).await.unwrap();
    let lagging = subscribe(&mut slow, 1, json!(["newFlashblocks"])).await.unwrap();
    let fb = JsonFrameReader::default().decode(&frames[0]).unwrap();
    let snapshot = pipeline.reader().snapshot();
    let event = FlashblockEvent::new(&fb, &snapshot.at(0));
    // Published without yielding: no subscriber task runs in between.
    for _ in 0..10 {
        feed.publish(event.clone());
    }
    let note = next_json(&mut slow).await;
    assert_eq!(note["params"]["subscription"], lagging);
    assert_eq!(note["params"]["error"], json!({"reason": "lagged", "missed": 6}), "{note}");
    handle.stop().unwrap();
    handle.stopped().await;
}

/// A canonical state that records the block of every read and answers a balance that
/// names it: the number, the hash's value, or 1 for `latest`.
#[derive(Clone, Default)]
struct Recording(std::sync::Arc<std::sync::Mutex<Vec<alloy_eips::BlockId>>>);

impl flashblocks_overlay::CanonicalState for Recording {
    type Error = std::convert::Infallible;
    fn balance(&self, _: Address, block: alloy_eips::BlockId) -> Result<U256, Self::Error> {
        self.0.lock().unwrap().push(block);
        Ok(match block {
            alloy_eips::BlockId::Hash(hash) => U256::from_be_bytes(hash.block_hash.0),
            alloy_eips::BlockId::Number(n) => U256::from(n.as_number().unwrap_or(1)),
        })
    }
    fn transaction_count(&self, _: Address, _: alloy_eips::BlockId) -> Result<u64, Self::Error> {
        Ok(0)
    }
    fn code(
        &self,
        _: Address,
        _: alloy_eips::BlockId,
    ) -> Result<alloy_primitives::Bytes, Self::Error> {
        Ok(Default::default())
    }
    fn storage_at(&self, _: Address, _: B256, _: alloy_eips::BlockId) -> Result<B256, Self::Error> {
        Ok(B256::ZERO)
    }
    fn block(
        &self,
        block: alloy_eips::BlockId,
        _: bool,
    ) -> Result<Option<flashblocks_overlay::PendingBlock>, Self::Error> {
        self.0.lock().unwrap().push(block);
        Ok(None)
    }
}

#[tokio::test]
async fn a_block_by_number_or_hash_reaches_the_canonical_state_with_that_block() {
    use alloy_eips::{BlockId, BlockNumberOrTag};
    let overlay = flashblocks_overlay::Overlay::default();
    let canonical = Recording::default();
    let backend = Backend {
        reader: overlay.reader(),
        canonical: canonical.clone(),
        upstream: None,
        feed: Feed::default(),
        execution: None,
    };
    let module = flashblocks_node::rpc::module(backend, &ServerConfig::default()).unwrap();
    let sender = Address::repeat_byte(1);
    let hash = B256::with_last_byte(0x42);

    let by_number: U256 = module.call("eth_getBalance", (sender, "0x10")).await.unwrap();
    let by_hash: U256 =
        module.call("eth_getBalance", (sender, json!({ "blockHash": hash }))).await.unwrap();
    let latest: U256 = module.call("eth_getBalance", (sender,)).await.unwrap();
    let pending: U256 = module.call("eth_getBalance", (sender, "pending")).await.unwrap();
    assert_eq!(
        (by_number, by_hash, latest, pending),
        (U256::from(16), U256::from(0x42), U256::from(1), U256::from(1))
    );
    let _: Option<Value> = module.call("eth_getBlockByNumber", ("0x11", false)).await.unwrap();
    let _: Option<Value> = module.call("eth_getBlockByHash", (hash, false)).await.unwrap();
    assert_eq!(
        *canonical.0.lock().unwrap(),
        [
            BlockId::number(16),
            BlockId::from(hash),
            BlockId::latest(),
            BlockId::latest(),
            BlockId::Number(BlockNumberOrTag::Number(17)),
            BlockId::from(hash),
        ]
    );
}

#[tokio::test]
async fn transactions_by_index_counts_and_receipts_come_from_the_preconfirmed_blocks() {
    tokio::time::timeout(Duration::from_secs(60), by_index()).await.expect("bounded in time");
}

async fn by_index() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let (frames, _) = flashblocks_examples::replay::simulated_stream(&sim);
    let mut pipeline = Pipeline::new(RuleSet::V1);
    for frame in &frames {
        // The injected invalid frame is rejected; the rest are accepted.
        let _ = pipeline.process(frame);
    }
    let (addr, handle) = start(pipeline.reader(), Feed::default()).await;
    let client = client(addr);
    let pending: Value =
        client.request("eth_getBlockByNumber", rpc_params!["pending", true]).await.unwrap();
    let number = pending["number"].clone();
    let older =
        format!("{:#x}", u64::from_str_radix(&number.as_str().unwrap()[2..], 16).unwrap() - 1);
    for tag in [json!("pending"), number.clone(), json!(older)] {
        let block: Value =
            client.request("eth_getBlockByNumber", rpc_params![tag.clone(), true]).await.unwrap();
        let hash = block["hash"].clone();
        let txs = block["transactions"].as_array().unwrap().clone();
        assert!(!txs.is_empty(), "{tag}: a block with transactions");
        for (i, tx) in txs.iter().enumerate() {
            let index = format!("{i:#x}");
            let by_number: Value = client
                .request(
                    "eth_getTransactionByBlockNumberAndIndex",
                    rpc_params![tag.clone(), &index],
                )
                .await
                .unwrap();
            let by_hash: Value = client
                .request("eth_getTransactionByBlockHashAndIndex", rpc_params![hash.clone(), &index])
                .await
                .unwrap();
            assert_eq!((&by_number, &by_hash), (tx, tx), "{tag} #{i}");
        }
        let past = format!("{:#x}", txs.len());
        let none: Value = client
            .request("eth_getTransactionByBlockNumberAndIndex", rpc_params![tag.clone(), past])
            .await
            .unwrap();
        assert!(none.is_null());
        let count = json!(format!("{:#x}", txs.len()));
        let by_number: Value = client
            .request("eth_getBlockTransactionCountByNumber", rpc_params![tag.clone()])
            .await
            .unwrap();
        let by_hash: Value = client
            .request("eth_getBlockTransactionCountByHash", rpc_params![hash.clone()])
            .await
            .unwrap();
        assert_eq!((&by_number, &by_hash), (&count, &count), "{tag}");
        for block_id in [tag.clone(), json!({"blockHash": hash})] {
            let receipts: Vec<Value> =
                client.request("eth_getBlockReceipts", rpc_params![block_id]).await.unwrap();
            assert_eq!(receipts.len(), txs.len());
            for (receipt, tx) in receipts.iter().zip(&txs) {
                let one: Value = client
                    .request("eth_getTransactionReceipt", rpc_params![tx["hash"].clone()])
                    .await
                    .unwrap();
                assert_eq!(receipt, &one);
                assert_eq!(receipt["transactionHash"], tx["hash"]);
            }
        }
    }
    // Not preconfirmed, no upstream: the empty canonical chain has no such block (null),
    // and receipts need the upstream.
    for tag in ["latest", "0xffffff"] {
        let count: Value =
            client.request("eth_getBlockTransactionCountByNumber", rpc_params![tag]).await.unwrap();
        let tx: Value = client
            .request("eth_getTransactionByBlockNumberAndIndex", rpc_params![tag, "0x0"])
            .await
            .unwrap();
        assert!(count.is_null() && tx.is_null(), "{tag}");
    }
    assert_eq!(error_code(&client, "eth_getBlockReceipts", json!(["latest"])).await, -32000);
    handle.stop().unwrap();
}
