//! End to end on loopback: `sequencer` and `pending_rpc --ws WS --upstream RPC` started as
//! processes (both `[[bin]]` targets, killed by their id when a test ends): transactions
//! sent through `pending_rpc`, what it answers from the stream and from its upstream,
//! and its canonical events (read from its Prometheus metrics).

use crate::sequencer::{
    call, eventually, fee_of, fresh_address, sign, signer, start_pending_rpc, start_sequencer,
    u256, ChildGuard,
};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use flashblocks_execute::builder::{contract_initcode, LOG_TOPIC};
use futures_util::{SinkExt, StreamExt};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Both programs, a client of each (`sequencer`, `pending_rpc`), `pending_rpc`'s address
/// and its metrics port.
struct Pair {
    _sequencer: ChildGuard,
    _pending: ChildGuard,
    sequencer: HttpClient,
    pending: HttpClient,
    pending_addr: String,
    metrics: u16,
}

async fn start_pair() -> Pair {
    let (sequencer_guard, ws, rpc) = start_sequencer(&[]);
    let (pending_guard, pending_addr, metrics) = start_pending_rpc(&ws, &rpc, 100, 120, &[]);
    let sequencer = HttpClientBuilder::default().build(&rpc).unwrap();
    let pending = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .build(format!("http://{pending_addr}"))
        .unwrap();
    // The stream is flowing once a pending block is above the canonical head.
    eventually(30, "a pending block at pending_rpc", || {
        let (pending, sequencer) = (pending.clone(), sequencer.clone());
        async move {
            let block = pending
                .request::<Value, _>("eth_getBlockByNumber", rpc_params!["pending", false])
                .await
                .ok()?;
            let head = u256(&call(&sequencer, "eth_blockNumber", rpc_params![]).await);
            (block["number"].is_string() && u256(&block["number"]) > head).then_some(())
        }
    })
    .await;
    Pair {
        _sequencer: sequencer_guard,
        _pending: pending_guard,
        sequencer,
        pending,
        pending_addr,
        metrics,
    }
}

/// `pending_rpc`'s canonical events of `kinds` so far (its Prometheus counter).
async fn canonical_events(metrics: u16, kinds: &[&str]) -> u64 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", metrics)).await.unwrap();
    let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    page.lines()
        .filter(|l| l.starts_with("flashblocks_canonical_events_total{"))
        .filter(|l| kinds.iter().any(|k| l.contains(&format!("kind=\"{k}\""))))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// `eth_sendRawTransactionSync` through `pending_rpc` (its default 6 s wait), with a
/// generous deadline on the whole call; the receipt.
async fn send_sync(pending: &HttpClient, raw: &Bytes) -> Value {
    let answer = tokio::time::timeout(
        Duration::from_secs(30),
        pending.request::<Value, _>("eth_sendRawTransactionSync", rpc_params![raw.clone()]),
    )
    .await
    .expect("eth_sendRawTransactionSync within 30 s")
    .unwrap_or_else(|e| panic!("eth_sendRawTransactionSync: {e}"));
    assert_eq!(
        serde_json::from_value::<B256>(answer["transactionHash"].clone()).unwrap(),
        keccak256(raw)
    );
    answer
}

/// Waits for the sequencer to seal `hash`; its canonical receipt.
async fn canonical_receipt(sequencer: &HttpClient, hash: B256) -> Value {
    eventually(30, "the canonical receipt at the sequencer", || {
        let sequencer = sequencer.clone();
        async move {
            let r = call(&sequencer, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await
}

async fn balance(client: &HttpClient, address: Address, at: Value) -> U256 {
    u256(&call(client, "eth_getBalance", rpc_params![address, at]).await)
}

async fn head(sequencer: &HttpClient) -> U256 {
    u256(&call(sequencer, "eth_blockNumber", rpc_params![]).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_transfer_is_preconfirmed_with_exact_pending_balances_then_turns_canonical() {
    tokio::time::timeout(Duration::from_secs(150), sync_transfer()).await.expect("bounded in time");
}

async fn sync_transfer() {
    let pair = start_pair().await;
    let alice = signer(0);
    let bob = fresh_address(7);
    let mut latest_checked = 0;
    // A transfer in the last flashblock of its block is canonical as soon as it is
    // preconfirmed: up to five transfers, until `latest` is seen not to have moved.
    for nonce in 0..5u64 {
        let value = U256::from(1_000_000_000u64 * (nonce + 1));
        let raw = sign(&alice, nonce, TxKind::Call(bob), value, Bytes::new(), 21_000);
        let preconfirmed = send_sync(&pair.pending, &raw).await;
        assert_eq!(preconfirmed["status"], "0x1");
        let n = u256(&preconfirmed["blockNumber"]).to::<u64>();
        // `latest` (forwarded to the sequencer), read between two reads of its head.
        let head_before = head(&pair.sequencer).await;
        let latest_bob = balance(&pair.pending, bob, json!("latest")).await;
        let head_after = head(&pair.sequencer).await;
        let bob_pending = balance(&pair.pending, bob, json!("pending")).await;
        let alice_pending = balance(&pair.pending, alice.address(), json!("pending")).await;
        // The block is sealed with the preconfirmed hash.
        let hash = keccak256(&raw);
        let receipt = canonical_receipt(&pair.sequencer, hash).await;
        assert_eq!(receipt["blockHash"], preconfirmed["blockHash"], "sealed as preconfirmed");
        let before = json!(format!("{:#x}", n - 1));
        let bob_before = balance(&pair.sequencer, bob, before.clone()).await;
        let alice_before = balance(&pair.sequencer, alice.address(), before).await;
        assert_eq!(bob_pending, bob_before + value, "the recipient's pending balance, exactly");
        assert_eq!(
            alice_pending,
            alice_before - value - fee_of(&receipt),
            "the sender's pending balance: value, gas, L1 and operator fee, exactly"
        );
        if head_before == head_after && head_after < U256::from(n) {
            assert_eq!(latest_bob, bob_before, "`latest` has not moved while preconfirmed");
            latest_checked += 1;
        }
        // It turns canonical: `latest` moves by the value, and the overlay confirms the
        // block (its layer dropped).
        eventually(30, "latest at pending_rpc includes the transfer", || {
            let pending = pair.pending.clone();
            async move {
                let latest = balance(&pending, bob, json!("latest")).await;
                (latest == bob_before + value).then_some(())
            }
        })
        .await;
        if latest_checked > 0 {
            break;
        }
    }
    assert!(latest_checked > 0, "one transfer seen preconfirmed before canonical");
    eventually(30, "a confirmed block at pending_rpc", || async {
        (canonical_events(pair.metrics, &["confirmed"]).await > 0).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_logs_subscriber_sees_the_log_of_a_contract_call() {
    tokio::time::timeout(Duration::from_secs(150), logs()).await.expect("bounded in time");
}

async fn logs() {
    let pair = start_pair().await;
    let alice = signer(1);
    let deploy = sign(&alice, 0, TxKind::Create, U256::ZERO, contract_initcode(), 200_000);
    let deployed = send_sync(&pair.pending, &deploy).await;
    let contract: Address = serde_json::from_value(deployed["contractAddress"].clone())
        .unwrap_or_else(|_| alice.address().create(0));
    assert_eq!(contract, alice.address().create(0));
    let (mut ws, _) =
        tokio_tungstenite::connect_async(format!("ws://{}", pair.pending_addr)).await.unwrap();
    let request = json!({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
        "params": ["pendingLogs", {"address": contract}]});
    ws.send(Message::text(request.to_string())).await.unwrap();
    let answer = next_json(&mut ws).await;
    let subscription = answer["result"].clone();
    assert!(!subscription.is_null(), "subscribed: {answer}");
    let word = U256::from(0x5eed_u64);
    let input = Bytes::from(word.to_be_bytes::<32>().to_vec());
    let call_raw = sign(&alice, 1, TxKind::Call(contract), U256::ZERO, input, 100_000);
    let receipt = send_sync(&pair.pending, &call_raw).await;
    assert_eq!(receipt["logs"][0]["topics"][0], json!(LOG_TOPIC));
    let log = loop {
        let note = next_json(&mut ws).await;
        if note["params"]["subscription"] == subscription {
            break note["params"]["result"].clone();
        }
    };
    assert_eq!(
        serde_json::from_value::<B256>(log["transactionHash"].clone()).unwrap(),
        keccak256(&call_raw)
    );
    assert_eq!(serde_json::from_value::<Address>(log["address"].clone()).unwrap(), contract);
    assert_eq!(serde_json::from_value::<B256>(log["topics"][0].clone()).unwrap(), LOG_TOPIC);
    assert_eq!(
        serde_json::from_value::<Bytes>(log["data"].clone()).unwrap().as_ref(),
        word.to_be_bytes::<32>()
    );
}

async fn next_json(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .expect("a message within 30 s")
            .expect("open")
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_stream_connections_are_reconnected_and_pending_state_recovers() {
    tokio::time::timeout(Duration::from_secs(150), reconnect()).await.expect("bounded in time");
}

async fn reconnect() {
    let pair = start_pair().await;
    let dropped = call(&pair.sequencer, "debug_dropStreams", rpc_params![]).await;
    assert_eq!(dropped, 1, "pending_rpc's one connection");
    let head = head(&pair.sequencer).await;
    // Two blocks on, the pending block can only come from a new connection (a client
    // that joins mid-block waits for the next index 0).
    eventually(30, "a pending block after the drop", || {
        let pending = pair.pending.clone();
        async move {
            let block = pending
                .request::<Value, _>("eth_getBlockByNumber", rpc_params!["pending", false])
                .await
                .ok()?;
            (block["number"].is_string() && u256(&block["number"]) >= head + U256::from(2))
                .then_some(())
        }
    })
    .await;
    // A transfer sent now is preconfirmed with its exact pending balance.
    let alice = signer(2);
    let bob = fresh_address(8);
    let raw = sign(&alice, 0, TxKind::Call(bob), U256::from(42), Bytes::new(), 21_000);
    let preconfirmed = send_sync(&pair.pending, &raw).await;
    assert_eq!(preconfirmed["status"], "0x1");
    assert_eq!(balance(&pair.pending, bob, json!("pending")).await, U256::from(42));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorged_canonical_block_is_reported_and_its_state_dropped() {
    tokio::time::timeout(Duration::from_secs(150), reorg()).await.expect("bounded in time");
}

async fn reorg() {
    let pair = start_pair().await;
    // Genesis is never replaced: a block above it first.
    eventually(30, "a sealed block above genesis", || async {
        (head(&pair.sequencer).await >= U256::from(1)).then_some(())
    })
    .await;
    let alice = signer(3);
    let bob = fresh_address(9);
    let value = U256::from(31_337u64);
    let raw = sign(&alice, 0, TxKind::Call(bob), value, Bytes::new(), 21_000);
    let hash = keccak256(&raw);
    let preconfirmed = send_sync(&pair.pending, &raw).await;
    let old_block = preconfirmed["blockHash"].clone();
    assert_eq!(balance(&pair.pending, bob, json!("pending")).await, value);
    let events = canonical_events(pair.metrics, &["reorg", "broken_preconfirmation"]).await;
    // The sequencer replaces its head (the transfer's block, or the block below the one
    // being built with it) and makes no flashblock for 1.5 s, as an L2 node reporting a
    // reorg before the builder goes on.
    let reorg = call(&pair.sequencer, "debug_reorg", rpc_params![1_500]).await;
    assert_ne!(reorg["removed"], reorg["replacement"]);
    eventually(30, "pending_rpc reports the reorg", || async {
        (canonical_events(pair.metrics, &["reorg", "broken_preconfirmation"]).await > events)
            .then_some(())
    })
    .await;
    // Its state is dropped: neither the removed head nor the transfer's old block is
    // served, and the transfer (back in the sequencer's mempool) is preconfirmed again
    // in another block, with the same pending balance.
    assert!(call(
        &pair.pending,
        "eth_getBlockByHash",
        rpc_params![reorg["removed"].clone(), false]
    )
    .await
    .is_null());
    let again = eventually(30, "the transfer preconfirmed in another block", || {
        let pending = pair.pending.clone();
        let old_block = old_block.clone();
        async move {
            let r = pending
                .request::<Value, _>("eth_getTransactionReceipt", rpc_params![hash])
                .await
                .ok()?;
            (!r.is_null() && r["blockHash"] != old_block).then_some(r)
        }
    })
    .await;
    assert_eq!(again["status"], "0x1");
    assert!(call(&pair.pending, "eth_getBlockByHash", rpc_params![old_block, false])
        .await
        .is_null());
    assert_eq!(balance(&pair.pending, bob, json!("pending")).await, value);
}

/// The `eth_sendRawTransactionSync` latency distribution over 100 transfers, against
/// the flashblock interval. A measurement, not a test (no assertion on time): run it in
/// release, `cargo test --release -p flashblocks-examples --test it -- --ignored
/// --nocapture sync_latency`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it in release by hand"]
async fn sync_latency_over_100_transfers() {
    let pair = start_pair().await;
    let alice = signer(0);
    let mut micros = Vec::with_capacity(100);
    for nonce in 0..100u64 {
        let raw = sign(
            &alice,
            nonce,
            TxKind::Call(fresh_address(10)),
            U256::from(1),
            Bytes::new(),
            21_000,
        );
        // Sent at a spread of phases of the 200 ms interval (a receipt returns just
        // after a flashblock, so back-to-back sends would all start at one phase).
        tokio::time::sleep(Duration::from_millis(nonce * 37 % 200)).await;
        let started = std::time::Instant::now();
        let receipt = send_sync(&pair.pending, &raw).await;
        micros.push(started.elapsed().as_micros() as u64);
        assert_eq!(receipt["status"], "0x1");
    }
    micros.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    println!(
        "eth_sendRawTransactionSync over 100 transfers sent at spread phases, flashblock \
         interval 200 ms: \
         min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        ms(micros[0]),
        ms(micros[49]),
        ms(micros[89]),
        ms(micros[99])
    );
}
