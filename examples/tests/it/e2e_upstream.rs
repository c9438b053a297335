//! End to end with a canonical upstream: `sequencer` and `pending_rpc --ws --upstream`
//! as processes. `eth_sendRawTransactionSync` through `pending_rpc` returns the
//! preconfirmed receipt (100 transfers; the latency distribution is printed, not
//! asserted), the pending balances move by the exact amounts while `latest` has not,
//! the sequencer's heads confirm the preconfirmed blocks, and a reorged head is reported
//! (`flashblocks_canonical_events_total` on `pending_rpc`'s metrics) and its state
//! dropped.

use crate::sequencer::{
    call, eventually, fee_of, fresh_address, sign, signer, start_pending_rpc, start_sequencer,
    u256, ChildGuard,
};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::{json, Value};
use std::{
    io::{Read, Write},
    time::{Duration, Instant},
};

/// The Prometheus page at `127.0.0.1:port/metrics`.
fn metrics_page(port: u16) -> String {
    let Ok(mut tcp) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = tcp.write_all(b"GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    let mut page = String::new();
    let _ = tcp.read_to_string(&mut page);
    page
}

/// A counter's value on the page (0 when absent).
fn counter(page: &str, series: &str) -> u64 {
    page.lines()
        .find_map(|l| l.strip_prefix(series))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map_or(0, |v| v as u64)
}

struct Pair {
    _sequencer: ChildGuard,
    _pending: ChildGuard,
    sequencer: HttpClient,
    pending: HttpClient,
    metrics_port: u16,
}

async fn start_pair() -> Pair {
    let (sequencer_guard, ws, rpc) = start_sequencer(&[]);
    let (pending_guard, addr, metrics_port) = start_pending_rpc(&ws, &rpc, 50, 150, &[]);
    let timeout = Duration::from_secs(60);
    let sequencer = HttpClientBuilder::default().request_timeout(timeout).build(&rpc).unwrap();
    let pending = HttpClientBuilder::default()
        .request_timeout(timeout)
        .build(format!("http://{addr}"))
        .unwrap();
    // The stream is flowing once the overlay holds a flashblock (a pending block alone
    // could be the upstream's latest).
    eventually(30, "a preconfirmed flashblock at pending_rpc", || {
        let pending = pending.clone();
        async move { pending.request::<Value, _>("flashblocks_health", rpc_params![]).await.ok() }
    })
    .await;
    Pair { _sequencer: sequencer_guard, _pending: pending_guard, sequencer, pending, metrics_port }
}

async fn balance(client: &HttpClient, address: Address, at: &str) -> U256 {
    u256(&call(client, "eth_getBalance", rpc_params![address, at]).await)
}

/// Sends `raw` through `pending_rpc`'s `eth_sendRawTransactionSync`; the receipt and
/// how long the call took.
async fn send_sync(pending: &HttpClient, raw: &Bytes) -> (Value, Duration) {
    let started = Instant::now();
    let receipt: Value = pending
        .request("eth_sendRawTransactionSync", rpc_params![raw.clone(), 15_000])
        .await
        .unwrap_or_else(|e| panic!("eth_sendRawTransactionSync: {e}"));
    (receipt, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_raw_transaction_sync_returns_the_preconfirmed_receipt() {
    tokio::time::timeout(Duration::from_secs(180), sync_transfers())
        .await
        .expect("bounded in time");
}

async fn sync_transfers() {
    let pair = start_pair().await;
    let alice = signer(0);
    let bob = fresh_address(9);
    let value = U256::from(1_000_000_000u64);
    let chain: String = pair.pending.request("eth_chainId", rpc_params![]).await.unwrap();
    assert_eq!(chain, "0x385", "forwarded to the sequencer");

    // One transfer, looked at closely: the receipt comes back with the call, the
    // pending balances moved by the exact amounts, and `latest` has not (while the
    // block is not sealed).
    let bob_latest_before = balance(&pair.pending, bob, "latest").await;
    let alice_latest_before = balance(&pair.pending, alice.address(), "latest").await;
    let raw = sign(&alice, 0, TxKind::Call(bob), value, Bytes::new(), 21_000);
    let (receipt, _) = send_sync(&pair.pending, &raw).await;
    assert_eq!(receipt["transactionHash"], json!(keccak256(&raw)));
    assert_eq!(receipt["status"], "0x1");
    let block = u256(&receipt["blockNumber"]).to::<u64>();
    let bob_pending = balance(&pair.pending, bob, "pending").await;
    let alice_pending = balance(&pair.pending, alice.address(), "pending").await;
    let bob_latest = balance(&pair.pending, bob, "latest").await;
    let head = u256(&call(&pair.pending, "eth_blockNumber", rpc_params![]).await).to::<u64>();
    if head < block {
        assert_eq!(bob_latest, bob_latest_before, "latest has not moved before the block ends");
    }
    // The exact amounts, with the fee of the sealed receipt (its L1 fee fields).
    let sealed = eventually(30, "the sealed receipt", || {
        let sequencer = pair.sequencer.clone();
        let hash = keccak256(&raw);
        async move {
            let r = call(&sequencer, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await;
    assert_eq!(sealed["blockHash"], receipt["blockHash"], "sealed with the preconfirmed hash");
    assert_eq!(bob_pending, bob_latest_before + value);
    assert_eq!(alice_pending, alice_latest_before - value - fee_of(&sealed));
    // The block turns canonical: the sequencer's head confirms it and the overlay
    // drops its layer.
    eventually(30, "the preconfirmed block confirmed", || async {
        (counter(
            &metrics_page(pair.metrics_port),
            "flashblocks_canonical_events_total{kind=\"confirmed\"}",
        ) >= 1)
            .then_some(())
    })
    .await;
    eventually(30, "latest reaches the transfer", || async {
        (balance(&pair.pending, bob, "latest").await == bob_latest_before + value).then_some(())
    })
    .await;

    // 100 transfers, one after the other: each call returns its receipt.
    let mut latencies = Vec::new();
    for nonce in 1..=100u64 {
        let raw = sign(&alice, nonce, TxKind::Call(bob), U256::from(nonce), Bytes::new(), 21_000);
        let (receipt, took) = send_sync(&pair.pending, &raw).await;
        assert_eq!(receipt["transactionHash"], json!(keccak256(&raw)));
        assert_eq!(receipt["status"], "0x1");
        latencies.push(took);
    }
    latencies.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "eth_sendRawTransactionSync over 100 transfers (200 ms flashblocks): min {:.0} ms, p50 {:.0} ms, p90 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        ms(latencies[0]),
        ms(latencies[49]),
        ms(latencies[89]),
        ms(latencies[98]),
        ms(latencies[99]),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorged_canonical_block_is_reported_and_its_state_dropped() {
    tokio::time::timeout(Duration::from_secs(180), reorg()).await.expect("bounded in time");
}

async fn reorg() {
    let pair = start_pair().await;
    // Wait for a canonical block pending_rpc has seen confirmed.
    eventually(30, "a confirmed block", || async {
        (counter(
            &metrics_page(pair.metrics_port),
            "flashblocks_canonical_events_total{kind=\"confirmed\"}",
        ) >= 1)
            .then_some(())
    })
    .await;
    let reorged = call(&pair.sequencer, "debug_reorg", rpc_params![]).await;
    let replacement: B256 = serde_json::from_value(reorged["replacement"].clone()).unwrap();
    // pending_rpc hears of it from the upstream's head: counted as an upstream reorg, and
    // as the overlay's reorg or broken preconfirmation when it held blocks on the old
    // head (which it drops).
    eventually(30, "the reorg reported", || async {
        let page = metrics_page(pair.metrics_port);
        (counter(&page, "flashblocks_canonical_events_total{kind=\"reorg\"}")
            + counter(&page, "flashblocks_canonical_events_total{kind=\"broken_preconfirmation\"}")
            + counter(&page, "flashblocks_upstream_reorgs_total")
            >= 1)
            .then_some(())
    })
    .await;
    // Pending state recovers on the replacement: the next pending blocks descend from
    // it, and a transfer is preconfirmed again.
    let replaced = u256(&reorged["number"]).to::<u64>();
    eventually(30, "a pending block on the replacement", || {
        let pending = pair.pending.clone();
        async move {
            let parent: Value = pending
                .request("eth_getBlockByNumber", rpc_params![format!("{:#x}", replaced + 1), false])
                .await
                .ok()?;
            (parent["parentHash"] == json!(replacement)).then_some(())
        }
    })
    .await;
    let alice = signer(1);
    let bob = fresh_address(10);
    let raw = sign(&alice, 0, TxKind::Call(bob), U256::from(5), Bytes::new(), 21_000);
    let (receipt, _) = send_sync(&pair.pending, &raw).await;
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(balance(&pair.pending, bob, "pending").await, U256::from(5));
}
