//! `pending_rpc` in front of a canonical node (a loopback mock served by jsonrpsee):
//! non-`pending` requests forwarded, the overlay's fallbacks read it,
//! `eth_sendRawTransactionSync` returns the preconfirmed receipt (and times out with the
//! hash), `eth_call` on `pending` carries the overlay as a state override, and the
//! node's new heads confirm and then break the preconfirmed blocks.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use flashblocks_examples::simulate::{dev_signers, simulate, SimulationConfig};
use flashblocks_node::{
    pipeline::{Pipeline, Verdict},
    rpc::{feed::Feed, serve, Backend, NoCanonicalState, ServerConfig},
    upstream::{follow_heads, Upstream},
};
use flashblocks_types::Flashblock;
use flashblocks_validate::RuleSet;
use jsonrpsee::{
    core::client::ClientT, http_client::HttpClientBuilder, rpc_params, server::Server, RpcModule,
};
use serde_json::{json, Value};
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::mpsc;

/// The mock node's head: number, hash and transaction hashes.
#[derive(Clone, Debug)]
struct Head {
    number: u64,
    hash: B256,
    transactions: Vec<B256>,
}

fn block_json(head: &Head) -> Value {
    let header = alloy_rpc_types_eth::Header {
        hash: head.hash,
        inner: alloy_consensus::Header { number: head.number, ..Default::default() },
        total_difficulty: None,
        size: None,
    };
    let mut block = serde_json::to_value(header).unwrap();
    block["transactions"] = json!(head.transactions);
    block["uncles"] = json!([]);
    block
}

struct Mock {
    head: Mutex<Head>,
    sent: mpsc::UnboundedSender<Bytes>,
}

async fn mock_node(head: Head) -> (String, Arc<Mock>, mpsc::UnboundedReceiver<Bytes>) {
    let (sent, received) = mpsc::unbounded_channel();
    let mock = Arc::new(Mock { head: Mutex::new(head), sent });
    let mut module = RpcModule::from_arc(mock.clone());
    module.register_method("eth_getBalance", |_, _, _| json!(U256::from(42))).unwrap();
    module.register_method("eth_chainId", |_, _, _| "0x385").unwrap();
    module.register_method("eth_gasPrice", |_, _, _| "0x1").unwrap();
    module.register_method("eth_getBlockTransactionCountByNumber", |_, _, _| "0x7").unwrap();
    module
        .register_method("eth_blockNumber", |_, mock, _| {
            format!("{:#x}", mock.head.lock().unwrap().number)
        })
        .unwrap();
    module
        .register_method("eth_getBlockByNumber", |params, mock, _| {
            let (tag, _full): (Value, bool) = params.parse().unwrap();
            let head = mock.head.lock().unwrap().clone();
            if tag == "latest" || tag == json!(format!("{:#x}", head.number)) {
                block_json(&head)
            } else {
                let number =
                    u64::from_str_radix(tag.as_str().unwrap().trim_start_matches("0x"), 16)
                        .unwrap();
                block_json(&Head { number, hash: B256::with_last_byte(7), transactions: vec![] })
            }
        })
        .unwrap();
    module
        .register_method("eth_getBlockByHash", |params, mock, _| {
            let (hash, _full): (B256, bool) = params.parse().unwrap();
            let head = mock.head.lock().unwrap().clone();
            (head.hash == hash).then(|| block_json(&head))
        })
        .unwrap();
    module
        .register_method("eth_sendRawTransaction", |params, mock, _| {
            let (raw,): (Bytes,) = params.parse().unwrap();
            let hash = keccak256(&raw);
            mock.sent.send(raw).unwrap();
            json!(hash)
        })
        .unwrap();
    module.register_method("eth_call", |params, _, _| params.parse::<Value>().unwrap()).unwrap();
    let server = Server::builder().build("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    let handle = server.start(module);
    // Stopped with the runtime at the end of the test.
    std::mem::forget(handle);
    (url, mock, received)
}

async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    tokio::time::timeout(Duration::from_secs(30), async {
        while !ready() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{what}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_falls_back_sends_and_follows_the_canonical_node() {
    tokio::time::timeout(Duration::from_secs(120), run()).await.expect("bounded in time");
}

async fn run() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let frames = sim.ssz_frames();
    let first_base = sim.blocks[0][0].base.clone().unwrap();
    let genesis = Head {
        number: first_base.block_number - 1,
        hash: first_base.parent_hash,
        transactions: vec![],
    };
    let (url, mock, mut sent) = mock_node(genesis).await;
    let upstream = Upstream::connect(&url).await.unwrap();

    // Every frame but the last, whose first transaction is the one sent below.
    let pipeline = Arc::new(Mutex::new(Pipeline::new(RuleSet::V1)));
    let reader = pipeline.lock().unwrap().reader();
    let (last, rest) = frames.split_last().unwrap();
    for frame in rest {
        assert_eq!(pipeline.lock().unwrap().process(frame).verdict, Verdict::Accept);
    }
    let feed = Feed::default();
    let follower = tokio::spawn({
        let (upstream, pipeline) = (upstream.clone(), pipeline.clone());
        follow_heads(upstream, Duration::from_millis(20), move |new| {
            pipeline.lock().unwrap().advance_canonical(new.head, new.block.as_ref());
            std::future::ready(())
        })
    });
    let backend = Backend {
        reader: reader.clone(),
        canonical: NoCanonicalState,
        upstream: Some(upstream),
        feed: feed.clone(),
        execution: None,
    };
    let (addr, handle) =
        serve("127.0.0.1:0".parse().unwrap(), backend, &ServerConfig::default()).await.unwrap();
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .build(format!("http://{addr}"))
        .unwrap();

    // Forwarded: latest (named or missing), canonical-only methods, the chain id.
    let sender = dev_signers()[0].address();
    let stranger = Address::repeat_byte(0x77);
    for params in [rpc_params![sender, "latest"], rpc_params![sender]] {
        let got: U256 = client.request("eth_getBalance", params).await.unwrap();
        assert_eq!(got, U256::from(42));
    }
    let gas_price: String = client.request("eth_gasPrice", rpc_params![]).await.unwrap();
    assert_eq!(gas_price, "0x1");
    // A block the overlay does not hold: its transaction count is the node's.
    let count: String = client
        .request("eth_getBlockTransactionCountByNumber", rpc_params!["latest"])
        .await
        .unwrap();
    assert_eq!(count, "0x7");
    let chain: String = client.request("eth_chainId", rpc_params![]).await.unwrap();
    assert_eq!(chain, "0x385");
    // Pending: the overlay for what it holds, the upstream for the rest.
    let got: U256 = client.request("eth_getBalance", rpc_params![sender, "pending"]).await.unwrap();
    assert_ne!(got, U256::from(42));
    let got: U256 =
        client.request("eth_getBalance", rpc_params![stranger, "pending"]).await.unwrap();
    assert_eq!(got, U256::from(42), "an account the overlay does not hold");

    // eth_call on pending: forwarded at latest with the overlay as a state override.
    let echoed: Value =
        client.request("eth_call", rpc_params![json!({"to": stranger}), "pending"]).await.unwrap();
    assert_eq!(echoed[1], "latest");
    let overrides = echoed[2].as_object().unwrap();
    let key = overrides.keys().find(|k| k.eq_ignore_ascii_case(&sender.to_string())).unwrap();
    assert_eq!(overrides[key]["balance"], json!(got_pending_balance(&client, sender).await));

    // eth_sendRawTransactionSync: the receipt comes back once a flashblock carries it.
    let fb = Flashblock::decode_v1(last).unwrap();
    let raw = Bytes::copy_from_slice(&fb.transactions()[0]);
    let hash = keccak256(&raw);
    let call = {
        let client = client.clone();
        let raw = raw.clone();
        tokio::spawn(async move {
            client.request::<Value, _>("eth_sendRawTransactionSync", rpc_params![raw, 20_000]).await
        })
    };
    let forwarded = tokio::time::timeout(Duration::from_secs(30), sent.recv()).await.unwrap();
    assert_eq!(forwarded.unwrap(), raw, "forwarded to the upstream as sent");
    assert_eq!(pipeline.lock().unwrap().process(last).verdict, Verdict::Accept);
    feed.notify_applied();
    let receipt = call.await.unwrap().unwrap();
    assert_eq!(receipt["transactionHash"], json!(hash));
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["blockHash"], json!(fb.diff().block_hash));

    // A transaction no flashblock carries: the error's data is its hash.
    let never = Bytes::from_static(&[1, 2, 3, 4]);
    let err = client
        .request::<Value, _>("eth_sendRawTransactionSync", rpc_params![never.clone(), 200])
        .await
        .unwrap_err();
    match err {
        jsonrpsee::core::client::Error::Call(err) => {
            assert_eq!(err.code(), -32000);
            let data: B256 = serde_json::from_str(err.data().unwrap().get()).unwrap();
            assert_eq!(data, keccak256(&never));
        }
        other => panic!("{other:?}"),
    }

    // The node's head reaches the first preconfirmed block, as preconfirmed: confirmed,
    // the overlay drops it, and reads of that number go to the node.
    let first = &sim.blocks[0];
    let confirmed = Head {
        number: first_base.block_number,
        hash: first.last().unwrap().diff.block_hash,
        transactions: first
            .iter()
            .flat_map(|fb| fb.diff.transactions.iter().map(keccak256))
            .collect(),
    };
    *mock.head.lock().unwrap() = confirmed.clone();
    until("the first block is confirmed and dropped", || {
        reader.snapshot().pending_block_numbers().next() == Some(confirmed.number + 1)
    })
    .await;
    let block: Value = client
        .request("eth_getBlockByNumber", rpc_params![format!("{:#x}", confirmed.number), false])
        .await
        .unwrap();
    assert_eq!(block["hash"], json!(confirmed.hash), "from the node now");

    // The node's next block is not the preconfirmed one: every preconfirmed block goes.
    *mock.head.lock().unwrap() =
        Head { number: confirmed.number + 1, hash: B256::repeat_byte(0xab), transactions: vec![] };
    until("a broken preconfirmation drops the overlay", || {
        reader.snapshot().pending_block_numbers().next().is_none()
    })
    .await;
    let pending: Value =
        client.request("eth_getBlockByNumber", rpc_params!["pending", false]).await.unwrap();
    assert_eq!(pending["hash"], json!(B256::repeat_byte(0xab)), "pending falls back to latest");

    follower.abort();
    handle.stop().unwrap();
    handle.stopped().await;
}

async fn got_pending_balance(client: &jsonrpsee::http_client::HttpClient, who: Address) -> U256 {
    client.request("eth_getBalance", rpc_params![who, "pending"]).await.unwrap()
}
