//! End to end on loopback: `sequencer` and `pending_rpc --ws WS --upstream RPC` started as
//! processes (both `[[bin]]` targets, killed by their id when a test ends; each reports
//! the addresses it bound to port 0 on stdout): transactions sent through
//! `pending_rpc`, what it answers from the stream and from its upstream, and its
//! canonical events (read from its Prometheus metrics). One test per scenario: a sync
//! transfer with exact pending balances that turns canonical, a `pendingLogs`
//! subscriber, dropped stream connections, a reorg, and a stripped stream executed
//! (`sequencer --stripped`, `pending_rpc --chain dev`); the latency of
//! `eth_sendRawTransactionSync` over 100 transfers is a measurement run by hand.

use crate::sequencer::{
    call, eventually, fee_of, fresh_address, sign, signer, start_pending_rpc, start_sequencer,
    transfer, u256, ChildGuard,
};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use flashblocks_execute::builder::{contract_initcode, LOG_TOPIC};
use futures_util::{SinkExt, StreamExt};
use jsonrpsee::{
    core::client::{ClientT, Error as ClientError},
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

/// Both programs with `sequencer_flags` and `pending_flags`, once `pending_rpc` serves a
/// pending block above the sequencer's head.
async fn start_pair_with(sequencer_flags: &[&str], pending_flags: &[&str]) -> Pair {
    let (sequencer_guard, ws, rpc) = start_sequencer(sequencer_flags);
    let (pending_guard, pending_addr, metrics) =
        start_pending_rpc(&ws, &rpc, 100, 120, pending_flags);
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

async fn start_pair() -> Pair {
    start_pair_with(&[], &[]).await
}

/// The Prometheus page at `127.0.0.1:port/metrics`.
async fn metrics_page(port: u16) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut page = String::new();
    tcp.read_to_string(&mut page).await.unwrap();
    page
}

/// `pending_rpc`'s canonical events of `kinds` so far (its Prometheus counter).
async fn canonical_events(metrics: u16, kinds: &[&str]) -> u64 {
    let page = metrics_page(metrics).await;
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
        let raw = transfer(&alice, nonce, bob, value);
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
    let raw = transfer(&alice, 0, bob, U256::from(42));
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
    let raw = transfer(&alice, 0, bob, value);
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
    // The pending chain grows on the replacement.
    let replaced = u256(&reorg["number"]).to::<u64>();
    let child = call(
        &pair.pending,
        "eth_getBlockByNumber",
        rpc_params![format!("{:#x}", replaced + 1), false],
    )
    .await;
    assert_eq!(child["parentHash"], reorg["replacement"]);
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
        let raw = transfer(&alice, nonce, fresh_address(10), U256::from(1));
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

/// Code that returns `address`'s balance as one word (put at an address by a state
/// override).
fn balance_of_code(address: Address) -> Bytes {
    let mut code = vec![0x73]; // push20 address
    code.extend_from_slice(address.as_slice());
    code.extend_from_slice(&[0x31, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    Bytes::from(code)
}

/// Initcode that reverts with the 32 bytes `data`.
fn reverting_initcode(data: B256) -> Bytes {
    let mut code = vec![0x7f]; // push32 data
    code.extend_from_slice(data.as_slice());
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xfd]);
    Bytes::from(code)
}

/// The error of a call that must fail.
async fn call_error(client: &HttpClient, method: &str, params: Value) -> (i32, String, Value) {
    let params = params.as_array().unwrap().clone();
    let mut array = jsonrpsee::core::params::ArrayParams::new();
    for p in params {
        array.insert(p).unwrap();
    }
    match client.request::<Value, _>(method, array).await {
        Err(ClientError::Call(err)) => {
            let data = err.data().map(|d| serde_json::from_str(d.get()).unwrap());
            (err.code(), err.message().to_owned(), data.unwrap_or(Value::Null))
        }
        other => panic!("{method}: expected an error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripped_stream_is_executed_for_balances_receipts_and_pending_calls() {
    tokio::time::timeout(Duration::from_secs(150), executed()).await.expect("bounded in time");
}

async fn executed() {
    let pair = start_pair_with(&["--format", "json", "--stripped"], &["--chain", "dev"]).await;
    let (sequencer, pending, metrics) = (&pair.sequencer, &pair.pending, pair.metrics);
    let alice = signer(0);
    // Execution runs once pending_rpc has seen a block start (it may join the stream
    // mid-block; the pair starts once a pending block is above the canonical head): then
    // balances are known (a stripped flashblock not executed answers "not known").
    eventually(60, "an executed pending balance", || {
        let (pending, alice) = (pending.clone(), alice.address());
        async move {
            pending.request::<Value, _>("eth_getBalance", rpc_params![alice, "pending"]).await.ok()
        }
    })
    .await;

    // A transfer to a fresh account, read back while its block is still pending (the
    // stream carries neither receipts nor balances: these are executed). A block sealed
    // before the reads (a loaded machine) does not count: the next transfer goes.
    let value = U256::from(3_000_000_000_000_000u64);
    let mut attempt = 0u8;
    let (carol, hash, block, receipt, carol_pending, alice_pending, alice_before) = loop {
        assert!(attempt < 3, "a transfer read while still pending within 3 attempts");
        let carol = fresh_address(30 + attempt);
        let alice_before = balance(sequencer, alice.address(), json!("latest")).await;
        let raw = sign(&alice, attempt.into(), TxKind::Call(carol), value, Bytes::new(), 21_000);
        attempt += 1;
        let hash = keccak256(&raw);
        let receipt: Value = tokio::time::timeout(
            Duration::from_secs(30),
            pending.request("eth_sendRawTransactionSync", rpc_params![raw.clone()]),
        )
        .await
        .expect("eth_sendRawTransactionSync within 30 s")
        .unwrap();
        let read: Value = call(pending, "eth_getTransactionReceipt", rpc_params![hash]).await;
        let carol_pending = balance(pending, carol, json!("pending")).await;
        let alice_pending = balance(pending, alice.address(), json!("pending")).await;
        let block = u256(&receipt["blockNumber"]).to::<u64>();
        let head = u256(&call(sequencer, "eth_blockNumber", rpc_params![]).await).to::<u64>();
        if head < block {
            assert_eq!(read["blockHash"], receipt["blockHash"]);
            break (carol, hash, block, read, carol_pending, alice_pending, alice_before);
        }
    };
    assert_eq!(receipt["transactionHash"], json!(hash));
    assert_eq!(receipt["status"], "0x1", "executed: the stripped stream has no status");
    assert_eq!(receipt["gasUsed"], "0x5208");
    let sealed = canonical_receipt(sequencer, hash).await;
    assert_eq!(sealed["blockHash"], receipt["blockHash"], "sealed as preconfirmed");
    assert_eq!(sealed["cumulativeGasUsed"], receipt["cumulativeGasUsed"]);
    assert_eq!(carol_pending, value);
    // The executed receipt carries the OP fee fields as op-reth serves them (the dev
    // chain charges an L1 fee and Isthmus' operator fee: neither is zero), as the
    // sequencer's sealed receipt has them ...
    let fee_fields = [
        "l1Fee",
        "l1GasPrice",
        "l1GasUsed",
        "l1BaseFeeScalar",
        "l1BlobBaseFee",
        "l1BlobBaseFeeScalar",
        "operatorFeeScalar",
        "operatorFeeConstant",
    ];
    for field in fee_fields {
        assert!(receipt[field].is_string(), "{field} in the executed receipt {receipt}");
        assert_eq!(receipt[field], sealed[field], "{field}");
    }
    let l1_fee = u256(&receipt["l1Fee"]);
    let operator_fee =
        fee_of(&receipt) - u256(&receipt["gasUsed"]) * u256(&receipt["effectiveGasPrice"]) - l1_fee;
    assert!(l1_fee > U256::ZERO && operator_fee > U256::ZERO, "{receipt}");
    // ... and the sender's pending balance fell by exactly value + gasUsed x
    // effectiveGasPrice + l1Fee + operator fee, all read from the executed receipt.
    assert_eq!(alice_before - alice_pending, value + fee_of(&receipt));

    // A pending eth_call sees the pending state: carol's balance read by the EVM is the
    // transfer, where the canonical state before its block has nothing.
    let before_block = json!(format!("{:#x}", block - 1));
    assert_eq!(balance(sequencer, carol, before_block).await, U256::ZERO);
    let reader = Address::repeat_byte(0x0b);
    let overrides = json!({ reader.to_string(): {"code": balance_of_code(carol)} });
    let word =
        call(pending, "eth_call", rpc_params![json!({"to": reader}), "pending", overrides]).await;
    let word: Bytes = serde_json::from_value(word).unwrap();
    assert_eq!(U256::from_be_slice(&word), value);
    // Carol's only funds are pending: a transfer of hers estimates at 21 000 gas, and
    // one of more than she has is refused.
    let transfer = |amount: U256| json!({"from": carol, "to": alice.address(), "value": amount, "gasPrice": "0x3b9aca00"});
    let gas =
        call(pending, "eth_estimateGas", rpc_params![transfer(value / U256::from(2)), "pending"])
            .await;
    assert_eq!(gas, "0x5208");
    let (code, message, _) =
        call_error(pending, "eth_call", json!([transfer(value * U256::from(2)), "pending"])).await;
    assert_eq!(code, -32000, "{message}");

    // A revert is code 3 with the revert data, as geth answers.
    let data = B256::repeat_byte(0xab);
    let (code, message, answer) =
        call_error(pending, "eth_call", json!([{"input": reverting_initcode(data)}, "pending"]))
            .await;
    assert_eq!((code, message.as_str()), (3, "execution reverted"));
    assert_eq!(answer, json!(data));
    let (code, _, answer) = call_error(
        pending,
        "eth_estimateGas",
        json!([{"input": reverting_initcode(data)}, "pending"]),
    )
    .await;
    assert_eq!((code, answer), (3, json!(data)));

    // Execution agreed with every claim the stream made, and its latency is recorded.
    let page = metrics_page(metrics).await;
    assert!(!page.contains("flashblocks_execution_reports_total{kind=\"mismatch\"}"), "{page}");
    let executed = page
        .lines()
        .find_map(|l| l.strip_prefix("flashblocks_execution_seconds_count "))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_default();
    assert!(executed > 0, "{page}");
    // The publish delay is a histogram with a bucket at one flashblock interval.
    assert!(page.contains("flashblocks_publish_delay_seconds_bucket{le=\"0.2\"}"), "{page}");
    // State was read ahead in batches, and reads were answered without the upstream
    // (the cache's counters are copied into the page every second).
    let value = |page: &str, name: &str| {
        page.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_default()
    };
    eventually(10, "state cache hits and upstream batches", || async move {
        let page = metrics_page(metrics).await;
        (value(&page, "flashblocks_state_cache_hits_total ") > 0.0
            && value(&page, "flashblocks_state_cache_misses_total ") > 0.0
            && value(&page, "flashblocks_upstream_batches_total ") > 0.0)
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lagoon_subblock_refunds_move_the_pending_balances_by_exactly_the_settlement() {
    tokio::time::timeout(Duration::from_secs(150), lagoon_refunds())
        .await
        .expect("bounded in time");
}

/// `sequencer --dialect subblocks --lagoon-time 0` streams OP Subblocks whose post-exec
/// transaction refunds the odd-indexed user transactions of each block (1 000 gas for
/// block index 1); `pending_rpc` executes them. A refunded transfer's receipt carries
/// `opGasRefund` and the canonical gas, and the pending balances of the sender, the fee
/// recipient and the base fee and operator fee vaults moved by exactly the settled
/// amounts: each as for a transfer of 21 000 − refund gas.
async fn lagoon_refunds() {
    let lagoon = ["--dialect", "subblocks", "--lagoon-time", "0"];
    let sequencer_flags = [&["--format", "json"][..], &lagoon[..]].concat();
    let pending_flags = [&["--chain", "dev"][..], &lagoon[..]].concat();
    let pair = start_pair_with(&sequencer_flags, &pending_flags).await;
    let (sequencer, pending) = (&pair.sequencer, &pair.pending);
    let alice = signer(1);
    eventually(60, "an executed pending balance", || {
        let (pending, alice) = (pending.clone(), alice.address());
        async move {
            pending.request::<Value, _>("eth_getBalance", rpc_params![alice, "pending"]).await.ok()
        }
    })
    .await;
    let base_fee_vault = alloy_primitives::address!("0x4200000000000000000000000000000000000019");
    let operator_fee_vault =
        alloy_primitives::address!("0x420000000000000000000000000000000000001b");
    let fee_recipient = flashblocks_execute::builder::SEQUENCER_FEE_VAULT;
    let watched = [alice.address(), fee_recipient, base_fee_vault, operator_fee_vault];
    let value = U256::from(1_000_000_000_000u64);
    // A transfer that is its block's first user transaction (block index 1) is refunded;
    // one read while still pending and alone in its block is kept.
    let mut nonce = 0u64;
    let (receipt, before, after) = loop {
        assert!(nonce < 12, "a refunded transfer read while pending within 12 transfers");
        let raw = transfer(&alice, nonce, fresh_address(60), value);
        nonce += 1;
        let receipt = send_sync(pending, &raw).await;
        let block = u256(&receipt["blockNumber"]).to::<u64>();
        let mut after = Vec::new();
        for address in watched {
            after.push(balance(pending, address, json!("pending")).await);
        }
        let head = head(sequencer).await.to::<u64>();
        let alone = u256(&receipt["transactionIndex"]) == U256::from(1);
        if head < block && alone && receipt["opGasRefund"].is_string() {
            let before_block = json!(format!("{:#x}", block - 1));
            let mut before = Vec::new();
            for address in watched {
                before.push(balance(sequencer, address, before_block.clone()).await);
            }
            break (receipt, before, after);
        }
    };
    // Block index 1: 1 000 gas refunded of the transfer's 21 000.
    assert_eq!(receipt["opGasRefund"], "0x3e8", "{receipt}");
    assert_eq!(receipt["gasUsed"], json!(format!("{:#x}", 21_000 - 1_000)));
    let gas = U256::from(20_000u64);
    let price = u256(&receipt["effectiveGasPrice"]);
    let base_fee = U256::from(flashblocks_execute::builder::BASE_FEE);
    let field = |name: &str| u256(&receipt[name]);
    let operator_fee =
        gas * field("operatorFeeScalar") / U256::from(1_000_000u64) + field("operatorFeeConstant");
    // The sender paid value + 20 000 gas, the L1 fee and the operator fee for 20 000 gas.
    assert_eq!(before[0] - after[0], value + gas * price + field("l1Fee") + operator_fee);
    assert_eq!(before[0] - after[0], value + fee_of(&receipt));
    // The fee recipient got the tip, the vaults the base fee and the operator fee, each
    // for 20 000 gas (the block's deposit pays none).
    assert_eq!(after[1] - before[1], gas * (price - base_fee));
    assert_eq!(after[2] - before[2], gas * base_fee);
    assert_eq!(after[3] - before[3], operator_fee);
    // The sealed block ends with the post-exec transaction, and the executed receipt
    // equals the sealed one.
    let hash: B256 = serde_json::from_value(receipt["transactionHash"].clone()).unwrap();
    let sealed = canonical_receipt(sequencer, hash).await;
    assert_eq!(sealed["gasUsed"], receipt["gasUsed"]);
    assert_eq!(sealed["opGasRefund"], receipt["opGasRefund"]);
    assert_eq!(sealed["cumulativeGasUsed"], receipt["cumulativeGasUsed"]);
    let block =
        call(sequencer, "eth_getBlockByNumber", rpc_params![sealed["blockNumber"].clone(), true])
            .await;
    let transactions = block["transactions"].as_array().unwrap();
    let post_exec = transactions.last().unwrap();
    assert_eq!(post_exec["type"], "0x7d", "{block}");
    // Its sealed receipt: status 1, no gas, the block's cumulative gas (post-exec.md).
    let post_exec_receipt =
        call(sequencer, "eth_getTransactionReceipt", rpc_params![post_exec["hash"].clone()]).await;
    assert_eq!(post_exec_receipt["status"], "0x1");
    assert_eq!(post_exec_receipt["gasUsed"], "0x0");
    assert_eq!(post_exec_receipt["cumulativeGasUsed"], block["gasUsed"]);
    // The node confirms the sealed blocks (their transactions end with the post-exec
    // one, the receipts roots cover its receipt): never a broken preconfirmation.
    eventually(30, "a confirmed block at pending_rpc", || async {
        (canonical_events(pair.metrics, &["confirmed"]).await > 0).then_some(())
    })
    .await;
    assert_eq!(canonical_events(pair.metrics, &["broken_preconfirmation"]).await, 0);
    // Execution agreed with every claim (gas, receipts root with the post-exec receipt).
    let page = metrics_page(pair.metrics).await;
    assert!(!page.contains("flashblocks_execution_reports_total{kind=\"mismatch\"}"), "{page}");
}
