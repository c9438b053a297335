//! The pending-state JSON-RPC server on loopback, asked over HTTP.

use alloy_primitives::{Address, B256, U256};
use flashblocks_examples::simulate::{dev_signers, simulate, SimulationConfig, L1_BLOCK};
use flashblocks_node::{
    pipeline::Pipeline,
    rpc::{serve, Backend, ServerConfig},
};
use flashblocks_validate::RuleSet;
use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};
use serde_json::Value;
use std::time::Duration;

#[tokio::test]
async fn answers_pending_queries_from_the_overlay() {
    tokio::time::timeout(Duration::from_secs(60), run()).await.expect("bounded in time");
}

async fn run() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let mut pipeline = Pipeline::new(RuleSet::V1);
    for frame in sim.ssz_frames() {
        assert!(pipeline.process(&frame).block_hash.is_ok());
    }
    let (addr, handle) = serve(
        "127.0.0.1:0".parse().unwrap(),
        Backend::new(pipeline.reader()),
        &ServerConfig::default(),
    )
    .await
    .unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 0);
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(10))
        .build(format!("http://{addr}"))
        .unwrap();

    let caps: Vec<String> =
        client.request("op_supportedCapabilities", rpc_params![]).await.unwrap();
    assert_eq!(caps, ["flashblocksv1"]);

    let sender = dev_signers()[0].address();
    let (balance, nonce) = sim.final_state[&sender];
    let got: U256 = client.request("eth_getBalance", rpc_params![sender, "pending"]).await.unwrap();
    assert_eq!(got, balance);
    assert!(got > U256::ZERO);
    // `latest` is the canonical state, empty here.
    let got: U256 = client.request("eth_getBalance", rpc_params![sender, "latest"]).await.unwrap();
    assert_eq!(got, U256::ZERO);
    let got: String =
        client.request("eth_getTransactionCount", rpc_params![sender, "pending"]).await.unwrap();
    assert_eq!(got, format!("{nonce:#x}"));
    let (slot, value) = sim.l1_block_storage.iter().next().unwrap();
    let got: B256 =
        client.request("eth_getStorageAt", rpc_params![L1_BLOCK, slot, "pending"]).await.unwrap();
    assert_eq!(got, *value);
    let got: String =
        client.request("eth_getCode", rpc_params![Address::ZERO, "pending"]).await.unwrap();
    assert_eq!(got, "0x");

    // The pending block is the last one, its hash the last flashblock's block hash.
    let last = sim.blocks.last().unwrap().last().unwrap();
    let block: Value =
        client.request("eth_getBlockByNumber", rpc_params!["pending", false]).await.unwrap();
    assert_eq!(block["hash"], Value::from(last.diff.block_hash.to_string()));
    assert_eq!(block["number"], Value::from(format!("{:#x}", 24_000_002)));
    assert_eq!(block["gasUsed"], Value::from(format!("{:#x}", last.diff.gas_used)));
    let count: usize = sim.blocks.last().unwrap().iter().map(|fb| fb.diff.transactions.len()).sum();
    assert_eq!(block["transactions"].as_array().unwrap().len(), count);

    let full: Value =
        client.request("eth_getBlockByNumber", rpc_params!["pending", true]).await.unwrap();
    let txs = full["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), count);
    assert_eq!(txs[0]["type"], "0x7e", "the L1-info deposit comes first");
    assert_eq!(txs[1]["type"], "0x2");
    // `latest` has nothing: no canonical chain here.
    let latest: Value =
        client.request("eth_getBlockByNumber", rpc_params!["latest", false]).await.unwrap();
    assert!(latest.is_null());

    // The last transaction, preconfirmed: by hash and its receipt.
    let tx = sim.transactions.last().unwrap();
    let got: Value =
        client.request("eth_getTransactionByHash", rpc_params![tx.hash]).await.unwrap();
    assert_eq!(got["from"], Value::from(tx.from.to_string().to_lowercase()));
    assert_eq!(got["nonce"], Value::from(format!("{:#x}", tx.nonce)));
    assert_eq!(got["blockHash"], Value::from(last.diff.block_hash.to_string()));
    let receipt: Value =
        client.request("eth_getTransactionReceipt", rpc_params![tx.hash]).await.unwrap();
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["gasUsed"], "0x5208");
    assert_eq!(receipt["cumulativeGasUsed"], Value::from(format!("{:#x}", last.diff.gas_used)));
    // An unknown hash is null; a bad parameter is a JSON-RPC error.
    let none: Value =
        client.request("eth_getTransactionReceipt", rpc_params![B256::ZERO]).await.unwrap();
    assert!(none.is_null());
    let err = client.request::<Value, _>("eth_getBalance", rpc_params!["nope"]).await.unwrap_err();
    assert!(err.to_string().contains("Invalid params"), "{err}");

    handle.stop().unwrap();
    handle.stopped().await;
}

/// The real Unichain capture carries no balances (`new_account_balances: {}`) and is not
/// executed: a pending balance is a "not known" error, never the canonical value.
#[tokio::test]
async fn a_balance_the_stream_does_not_carry_is_an_error() {
    tokio::time::timeout(Duration::from_secs(60), not_known()).await.expect("bounded in time");
}

async fn not_known() {
    let mut pipeline = Pipeline::new(RuleSet::Json);
    for frame in
        include_str!("../../../flashblocks/testdata/unichain-sepolia-35535698.jsonl").lines()
    {
        assert!(pipeline.process(frame.as_bytes()).verdict.label() == "accept");
    }
    let (addr, handle) = serve(
        "127.0.0.1:0".parse().unwrap(),
        Backend::new(pipeline.reader()),
        &ServerConfig::default(),
    )
    .await
    .unwrap();
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(10))
        .build(format!("http://{addr}"))
        .unwrap();
    let block: Value =
        client.request("eth_getBlockByNumber", rpc_params!["pending", true]).await.unwrap();
    let sender: Address = serde_json::from_value(block["transactions"][1]["from"].clone()).unwrap();
    let err = client
        .request::<Value, _>("eth_getBalance", rpc_params![sender, "pending"])
        .await
        .unwrap_err();
    match err {
        jsonrpsee::core::client::Error::Call(err) => {
            assert_eq!(err.code(), -32000);
            assert!(err.message().starts_with("pending state not known"), "{}", err.message());
        }
        other => panic!("{other:?}"),
    }
    // The nonce keeps its fallback from the pending transactions.
    let nonce: String =
        client.request("eth_getTransactionCount", rpc_params![sender, "pending"]).await.unwrap();
    assert_ne!(nonce, "0x0");
    handle.stop().unwrap();
    handle.stopped().await;
}
