//! End to end on loopback: `sequencer` and `pending_rpc --ws` started as processes (both
//! `[[bin]]` targets, killed by their id when a test ends), a transaction sent to the
//! sequencer, and what `pending_rpc` answers from the stream.

use crate::sequencer::{
    call, eventually, fee_of, fresh_address, sign, signer, start_sequencer, u256, ChildGuard,
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
use std::{
    io::BufRead,
    process::{Command, Stdio},
    time::Duration,
};
use tokio_tungstenite::tungstenite::Message;

/// Starts `pending_rpc --ws <ws>` (its own time bound: 120 s) on a free port; the guard
/// and its address (`127.0.0.1:PORT`).
fn start_pending_rpc(ws: &str) -> (ChildGuard, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pending_rpc"))
        .args(["--port", "0", "--ws", ws, "--chain-id", "901", "--seconds", "120"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = ChildGuard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end: a closed pipe would fail the program's next print.
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(rest) = line.split("serving the pending state on http://").nth(1) {
                let addr = rest.split_whitespace().next().unwrap_or_default().to_owned();
                let _ = tx.send(addr);
            }
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(60)).expect("pending_rpc's address within 60 s");
    (guard, addr)
}

/// Both programs, a client of each (`sequencer`, `pending_rpc`) and `pending_rpc`'s
/// address.
struct Pair {
    _sequencer: ChildGuard,
    _pending: ChildGuard,
    sequencer: HttpClient,
    pending: HttpClient,
    pending_addr: String,
}

async fn start_pair() -> Pair {
    let (sequencer_guard, ws, rpc) = start_sequencer(&[]);
    let (pending_guard, pending_addr) = start_pending_rpc(&ws);
    let sequencer = HttpClientBuilder::default().build(&rpc).unwrap();
    let pending = HttpClientBuilder::default().build(format!("http://{pending_addr}")).unwrap();
    // The stream is flowing once a pending block is there.
    eventually(30, "a pending block at pending_rpc", || {
        let pending = pending.clone();
        async move {
            let block = pending
                .request::<Value, _>("eth_getBlockByNumber", rpc_params!["pending", false])
                .await
                .ok()?;
            (!block.is_null()).then_some(())
        }
    })
    .await;
    Pair { _sequencer: sequencer_guard, _pending: pending_guard, sequencer, pending, pending_addr }
}

/// Waits for `pending_rpc` to answer a pending receipt for `hash`.
async fn pending_receipt(pending: &HttpClient, hash: B256) -> Value {
    eventually(30, "the pending receipt at pending_rpc", || {
        let pending = pending.clone();
        async move {
            let r = pending
                .request::<Value, _>("eth_getTransactionReceipt", rpc_params![hash])
                .await
                .ok()?;
            (!r.is_null()).then_some(r)
        }
    })
    .await
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

/// Sends `raw` to the sequencer (the endpoint `pending_rpc` would forward to).
async fn send(sequencer: &HttpClient, raw: &Bytes) -> B256 {
    let hash = call(sequencer, "eth_sendRawTransaction", rpc_params![raw.clone()]).await;
    let hash: B256 = serde_json::from_value(hash).unwrap();
    assert_eq!(hash, keccak256(raw));
    hash
}

async fn balance(client: &HttpClient, address: Address, at: Value) -> U256 {
    u256(&call(client, "eth_getBalance", rpc_params![address, at]).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_is_preconfirmed_with_exact_pending_balances_and_a_call_log_is_delivered() {
    tokio::time::timeout(Duration::from_secs(150), transfer_and_logs())
        .await
        .expect("bounded in time");
}

async fn transfer_and_logs() {
    let pair = start_pair().await;
    let alice = signer(0);
    let bob = fresh_address(7);
    let value = U256::from(777_000_000_000u64);

    // A transfer: its receipt at pending_rpc as soon as a flashblock carries it.
    let raw = sign(&alice, 0, TxKind::Call(bob), value, Bytes::new(), 21_000);
    let hash = send(&pair.sequencer, &raw).await;
    let preconfirmed = pending_receipt(&pair.pending, hash).await;
    assert_eq!(preconfirmed["status"], "0x1");
    let number = preconfirmed["blockNumber"].clone();
    let n = u256(&number).to::<u64>();
    // The pending balances moved by the exact amounts over the state before the block
    // (the sequencer's canonical state at block n - 1).
    let receipt = canonical_receipt(&pair.sequencer, hash).await;
    assert_eq!(receipt["blockNumber"], number, "sealed in the block it was preconfirmed in");
    assert_eq!(receipt["blockHash"], preconfirmed["blockHash"], "with the preconfirmed hash");
    let before = json!(format!("{:#x}", n - 1));
    let bob_before = balance(&pair.sequencer, bob, before.clone()).await;
    let alice_before = balance(&pair.sequencer, alice.address(), before).await;
    let bob_pending = balance(&pair.pending, bob, json!("pending")).await;
    let alice_pending = balance(&pair.pending, alice.address(), json!("pending")).await;
    assert_eq!(bob_pending, bob_before + value);
    assert_eq!(alice_pending, alice_before - value - fee_of(&receipt));

    // A contract call's log reaches a pendingLogs subscriber (filtered by address).
    let deploy = sign(&alice, 1, TxKind::Create, U256::ZERO, contract_initcode(), 200_000);
    let deploy = send(&pair.sequencer, &deploy).await;
    let contract = pending_receipt(&pair.pending, deploy).await;
    let contract: Address = serde_json::from_value(contract["contractAddress"].clone())
        .unwrap_or_else(|_| alice.address().create(1));
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
    let call_raw = sign(&alice, 2, TxKind::Call(contract), U256::ZERO, input, 100_000);
    let call_hash = send(&pair.sequencer, &call_raw).await;
    let log = loop {
        let note = next_json(&mut ws).await;
        if note["params"]["subscription"] == subscription {
            break note["params"]["result"].clone();
        }
    };
    assert_eq!(serde_json::from_value::<B256>(log["transactionHash"].clone()).unwrap(), call_hash);
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
    let head = u256(&call(&pair.sequencer, "eth_blockNumber", rpc_params![]).await);
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
    let alice = signer(1);
    let bob = fresh_address(8);
    let raw = sign(&alice, 0, TxKind::Call(bob), U256::from(42), Bytes::new(), 21_000);
    let hash = send(&pair.sequencer, &raw).await;
    let preconfirmed = pending_receipt(&pair.pending, hash).await;
    assert_eq!(preconfirmed["status"], "0x1");
    assert_eq!(balance(&pair.pending, bob, json!("pending")).await, U256::from(42));
}
