//! End to end with execution: `sequencer --stripped` (its JSON carries neither balances
//! nor receipts, as Base's and Unichain's streams) and `pending_rpc --ws --upstream
//! --chain dev` as processes. The pending balances, the receipt and `eth_call` /
//! `eth_estimateGas` on `pending` come from executing the stream on the upstream's
//! state.

use crate::sequencer::{
    call, eventually, fee_of, fresh_address, sign, signer, start_pending_rpc, start_sequencer, u256,
};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use jsonrpsee::{
    core::client::{ClientT, Error as ClientError},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::{json, Value};
use std::time::Duration;

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

async fn balance(client: &HttpClient, address: Address, at: Value) -> U256 {
    u256(&call(client, "eth_getBalance", rpc_params![address, at]).await)
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stripped_stream_is_executed_for_balances_receipts_and_pending_calls() {
    tokio::time::timeout(Duration::from_secs(150), executed()).await.expect("bounded in time");
}

async fn executed() {
    let (_sequencer_guard, ws, rpc) = start_sequencer(&["--format", "json", "--stripped"]);
    let (_pending_guard, addr, metrics) =
        start_pending_rpc(&ws, &rpc, 100, 120, &["--chain", "dev"]);
    let sequencer = HttpClientBuilder::default().build(&rpc).unwrap();
    let pending = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .build(format!("http://{addr}"))
        .unwrap();
    let alice = signer(3);
    // Execution runs once pending_rpc has seen a block start (it may join the stream
    // mid-block): then the pending block is above the canonical head and balances are
    // known (a stripped flashblock not executed answers "not known").
    eventually(60, "an executed pending block", || {
        let (pending, sequencer) = (pending.clone(), sequencer.clone());
        let alice = alice.address();
        async move {
            let block = pending
                .request::<Value, _>("eth_getBlockByNumber", rpc_params!["pending", false])
                .await
                .ok()?;
            let head = u256(&call(&sequencer, "eth_blockNumber", rpc_params![]).await);
            let known =
                pending.request::<Value, _>("eth_getBalance", rpc_params![alice, "pending"]).await;
            (block["number"].is_string() && u256(&block["number"]) > head && known.is_ok())
                .then_some(())
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
        let alice_before = balance(&sequencer, alice.address(), json!("latest")).await;
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
        let read: Value = call(&pending, "eth_getTransactionReceipt", rpc_params![hash]).await;
        let carol_pending = balance(&pending, carol, json!("pending")).await;
        let alice_pending = balance(&pending, alice.address(), json!("pending")).await;
        let block = u256(&receipt["blockNumber"]).to::<u64>();
        let head = u256(&call(&sequencer, "eth_blockNumber", rpc_params![]).await).to::<u64>();
        if head < block {
            assert_eq!(read["blockHash"], receipt["blockHash"]);
            break (carol, hash, block, read, carol_pending, alice_pending, alice_before);
        }
    };
    assert_eq!(receipt["transactionHash"], json!(hash));
    assert_eq!(receipt["status"], "0x1", "executed: the stripped stream has no status");
    assert_eq!(receipt["gasUsed"], "0x5208");
    let sealed = eventually(30, "the sealed receipt", || {
        let sequencer = sequencer.clone();
        async move {
            let r = call(&sequencer, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await;
    assert_eq!(sealed["blockHash"], receipt["blockHash"], "sealed as preconfirmed");
    assert_eq!(sealed["cumulativeGasUsed"], receipt["cumulativeGasUsed"]);
    assert_eq!(carol_pending, value);
    assert_eq!(alice_pending, alice_before - value - fee_of(&sealed));

    // A pending eth_call sees the pending state: carol's balance read by the EVM is the
    // transfer, where the canonical state before its block has nothing.
    let before_block = json!(format!("{:#x}", block - 1));
    assert_eq!(balance(&sequencer, carol, before_block).await, U256::ZERO);
    let reader = Address::repeat_byte(0x0b);
    let overrides = json!({ reader.to_string(): {"code": balance_of_code(carol)} });
    let word =
        call(&pending, "eth_call", rpc_params![json!({"to": reader}), "pending", overrides]).await;
    let word: Bytes = serde_json::from_value(word).unwrap();
    assert_eq!(U256::from_be_slice(&word), value);
    // Carol's only funds are pending: a transfer of hers estimates at 21 000 gas, and
    // one of more than she has is refused.
    let transfer = |amount: U256| json!({"from": carol, "to": alice.address(), "value": amount, "gasPrice": "0x3b9aca00"});
    let gas =
        call(&pending, "eth_estimateGas", rpc_params![transfer(value / U256::from(2)), "pending"])
            .await;
    assert_eq!(gas, "0x5208");
    let (code, message, _) =
        call_error(&pending, "eth_call", json!([transfer(value * U256::from(2)), "pending"])).await;
    assert_eq!(code, -32000, "{message}");

    // A revert is code 3 with the revert data, as geth answers.
    let data = B256::repeat_byte(0xab);
    let (code, message, answer) =
        call_error(&pending, "eth_call", json!([{"input": reverting_initcode(data)}, "pending"]))
            .await;
    assert_eq!((code, message.as_str()), (3, "execution reverted"));
    assert_eq!(answer, json!(data));
    let (code, _, answer) = call_error(
        &pending,
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
}
