//! End to end on loopback, as web3.py and other standard clients call a node: the node
//! (`pending_rpc --chain dev`, executing the stream) forwards what is not `pending` to
//! its upstream (the `sequencer`), so `eth_estimateGas` without a block, `eth_call`
//! without a block parameter and `eth_getLogs` without tags are answered on the local
//! chain. A raw JSON-RPC client (the request bodies as a client library writes them).

use crate::{
    sequencer::{call, eventually, sign, signer, start_pending_rpc, start_sequencer, u256},
    sequencer_calls::rpc_error,
};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use flashblocks_execute::builder::{contract_initcode, LOG_TOPIC};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::{json, Value};
use std::time::Duration;

/// Sends `raw` through `node` and waits for the canonical receipt there.
async fn send(node: &HttpClient, raw: Bytes) -> Value {
    let hash = keccak256(&raw);
    let sent: B256 =
        serde_json::from_value(call(node, "eth_sendRawTransaction", rpc_params![raw]).await)
            .unwrap();
    assert_eq!(sent, hash);
    eventually(30, "the receipt through the node", || {
        let node = node.clone();
        async move {
            let r = call(&node, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await
}

/// Waits for the chain (the sequencer) to seal `hash`; its canonical receipt.
async fn canonical(sequencer: &HttpClient, hash: Value) -> Value {
    eventually(30, "the canonical receipt", || {
        let (sequencer, hash) = (sequencer.clone(), hash.clone());
        async move {
            let r = call(&sequencer, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web3_style_calls_without_a_tag_are_answered_through_the_node() {
    tokio::time::timeout(Duration::from_secs(150), web3_style()).await.expect("bounded in time");
}

async fn web3_style() {
    let (_sequencer, ws, rpc) = start_sequencer(&["--stripped"]);
    let (_node, node_addr, _) = start_pending_rpc(&ws, &rpc, 100, 120, &["--chain", "dev"]);
    let node = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .build(format!("http://{node_addr}"))
        .unwrap();
    let sequencer = HttpClientBuilder::default().build(&rpc).unwrap();
    let alice = signer(2);

    // A contract deployed and called through the node.
    let deployed =
        send(&node, sign(&alice, 0, TxKind::Create, U256::ZERO, contract_initcode(), 200_000))
            .await;
    let contract: Address = serde_json::from_value(deployed["contractAddress"].clone()).unwrap();
    // Calls without a tag read `latest`: wait until the deployment is canonical (the
    // node's receipt may be a preconfirmed one).
    canonical(&sequencer, deployed["transactionHash"].clone()).await;
    let word = U256::from(0x5eedu64);
    let data = Bytes::from(word.to_be_bytes::<32>().to_vec());

    // eth_estimateGas with the transaction object only (web3.py's `estimate_gas`).
    let request = json!({"from": alice.address(), "to": contract, "data": data, "value": "0x0"});
    let gas = u256(&call(&node, "eth_estimateGas", rpc_params![request.clone()]).await).to::<u64>();
    let direct = u256(&call(&sequencer, "eth_estimateGas", rpc_params![request]).await).to::<u64>();
    assert_eq!(gas, direct, "the node forwards to the chain");
    assert!(gas > 21_000 && gas < 100_000, "{gas}");
    // The estimate is enough on chain.
    let called =
        send(&node, sign(&alice, 1, TxKind::Call(contract), U256::ZERO, data.clone(), gas)).await;
    assert_eq!(called["status"], "0x1");
    let called = canonical(&sequencer, called["transactionHash"].clone()).await;

    // eth_call without a block parameter: `latest` on the chain.
    let plain = call(&node, "eth_call", rpc_params![json!({"to": contract, "data": data})]).await;
    assert_eq!(plain, "0x");
    let number_code = "0x4360005260206000f3"; // NUMBER, returned as a word
    let number = call(&node, "eth_call", rpc_params![json!({"data": number_code})]).await;
    let number = U256::from_be_slice(&serde_json::from_value::<Bytes>(number).unwrap());
    assert!(number >= u256(&called["blockNumber"]), "{number}");
    // A revert comes back in geth's shape through the node.
    let zero = Bytes::from(vec![0u8; 32]);
    let (code, message, answer) =
        rpc_error(&node, "eth_call", rpc_params![json!({"to": contract, "data": zero})]).await;
    assert_eq!((code, message.as_str(), answer), (3, "execution reverted", json!("0x")));

    // eth_getLogs without tags (`latest` only: an array), then from a block on (to
    // `latest` by default), and by block hash.
    let latest = node
        .request::<Value, _>("eth_getLogs", rpc_params![json!({"address": contract})])
        .await
        .unwrap();
    assert!(latest.is_array(), "{latest}");
    let from =
        json!({"address": contract, "fromBlock": deployed["blockNumber"], "topics": [LOG_TOPIC]});
    let logs = eventually(30, "the log through the node", || {
        let (node, from) = (node.clone(), from.clone());
        async move {
            let logs = call(&node, "eth_getLogs", rpc_params![from]).await;
            (logs.as_array().is_some_and(|l| !l.is_empty())).then_some(logs)
        }
    })
    .await;
    assert_eq!(logs, called["logs"], "the call's log, as its receipt has it");
    let by_hash =
        call(&node, "eth_getLogs", rpc_params![json!({"blockHash": called["blockHash"]})]).await;
    assert_eq!(by_hash, called["logs"]);
    // And the node's own `pending` still answers from the executed stream.
    let pending =
        call(&node, "eth_getTransactionCount", rpc_params![alice.address(), "pending"]).await;
    assert_eq!(u256(&pending), U256::from(2));
}
