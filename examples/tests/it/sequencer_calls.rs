//! The `sequencer` program answers `eth_call`, `eth_estimateGas` and `eth_getLogs` at
//! canonical tags from its own EVM, as a full node would: at `latest` (also when the
//! tag is missing), a number and a hash, in that block's state and environment, with
//! geth's error shapes (a revert is 3 with its data, a halt -32000). Over loopback
//! JSON-RPC.

use crate::sequencer::{call, eventually, sign, signer, start_sequencer, u256};
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use flashblocks_execute::builder::{contract_initcode, LOG_TOPIC};
use jsonrpsee::{
    core::{client::ClientT, params::ArrayParams},
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use serde_json::{json, Value};
use std::time::Duration;

/// Code that returns `BALANCE(address)` as a word.
pub(crate) fn balance_of(address: Address) -> Bytes {
    let mut code = vec![0x73];
    code.extend_from_slice(address.as_slice());
    code.extend_from_slice(&[0x31, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3]);
    Bytes::from(code)
}

/// Initcode that returns `NUMBER` as a word.
const NUMBER: [u8; 9] = [0x43, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3];

/// Initcode that reverts with `data`.
pub(crate) fn reverting(data: B256) -> Bytes {
    let mut code = vec![0x7f];
    code.extend_from_slice(data.as_slice());
    code.extend_from_slice(&[0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xfd]);
    Bytes::from(code)
}

/// The error a call answered: code, message, data.
pub(crate) async fn rpc_error(
    client: &HttpClient,
    method: &str,
    params: ArrayParams,
) -> (i32, String, Value) {
    match client.request::<Value, _>(method, params).await {
        Ok(v) => panic!("{method} answered {v}, an error expected"),
        Err(jsonrpsee::core::ClientError::Call(e)) => (
            e.code(),
            e.message().to_owned(),
            e.data().map(|d| serde_json::from_str(d.get()).unwrap()).unwrap_or(Value::Null),
        ),
        Err(other) => panic!("{method}: {other}"),
    }
}

/// Sends `raw` and waits for its receipt.
pub(crate) async fn send_and_wait(client: &HttpClient, raw: Bytes) -> Value {
    let hash = call(client, "eth_sendRawTransaction", rpc_params![raw]).await;
    eventually(30, "the receipt", || {
        let (client, hash) = (client.clone(), hash.clone());
        async move {
            let r = call(&client, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_estimates_and_logs_are_answered_at_canonical_tags() {
    tokio::time::timeout(Duration::from_secs(120), calls()).await.expect("bounded in time");
}

async fn calls() {
    let (_guard, _ws, rpc) = start_sequencer(&["--interval-ms", "50"]);
    let client = HttpClientBuilder::default().build(&rpc).unwrap();
    let alice = signer(0);

    // The contract: deployed, then called with a word (a slot written, a log).
    let deploy = sign(&alice, 0, TxKind::Create, U256::ZERO, contract_initcode(), 200_000);
    let deployed = send_and_wait(&client, deploy).await;
    let contract: Address = serde_json::from_value(deployed["contractAddress"].clone()).unwrap();
    let before_deploy = u256(&deployed["blockNumber"]) - U256::from(1);
    let word = U256::from(0xc0ffeeu64);
    let input = Bytes::from(word.to_be_bytes::<32>().to_vec());
    let called = send_and_wait(
        &client,
        sign(&alice, 1, TxKind::Call(contract), U256::ZERO, input.clone(), 100_000),
    )
    .await;
    assert_eq!(called["status"], "0x1");
    let (number, hash) = (called["blockNumber"].clone(), called["blockHash"].clone());

    // eth_getLogs: the range of the call's block, its hash, and open ranges by filter.
    let logs =
        call(&client, "eth_getLogs", rpc_params![json!({"fromBlock": number, "toBlock": number})])
            .await;
    assert_eq!(logs, called["logs"], "the block's logs are the receipt's");
    let logs = call(&client, "eth_getLogs", rpc_params![json!({"blockHash": hash})]).await;
    assert_eq!(logs, called["logs"]);
    let log = &logs[0];
    assert_eq!(log["address"], json!(contract));
    assert_eq!(log["topics"], json!([LOG_TOPIC]));
    assert_eq!(log["data"], json!(B256::from(word)));
    let by_topic = json!({"fromBlock": "earliest", "address": contract, "topics": [LOG_TOPIC]});
    assert_eq!(call(&client, "eth_getLogs", rpc_params![by_topic]).await, called["logs"]);
    let other = json!({"fromBlock": "earliest", "topics": [B256::repeat_byte(1)]});
    assert_eq!(call(&client, "eth_getLogs", rpc_params![other]).await, json!([]));
    // No range: `latest` only (an array, whatever the head holds).
    assert!(call(&client, "eth_getLogs", rpc_params![json!({"address": contract})])
        .await
        .is_array());
    let (code, _, _) = rpc_error(
        &client,
        "eth_getLogs",
        rpc_params![json!({"fromBlock": number, "toBlock": before_deploy})],
    )
    .await;
    assert_eq!(code, -32602, "a reversed range");
    let (code, message, _) =
        rpc_error(&client, "eth_getLogs", rpc_params![json!({"blockHash": B256::repeat_byte(7)})])
            .await;
    assert_eq!((code, message.as_str()), (-32001, "block not found"));

    // eth_call in a block's state: a reader of the contract's balance... of a fresh
    // account funded at a known block reads it there, not at its parent, and `latest`
    // (no tag) after.
    let carol = Address::repeat_byte(0xca);
    let value = U256::from(777_000u64);
    let funded =
        send_and_wait(&client, sign(&alice, 2, TxKind::Call(carol), value, Bytes::new(), 21_000))
            .await;
    let reader = Address::repeat_byte(0x0b);
    let overrides = json!({ reader.to_string(): {"code": balance_of(carol)} });
    let read = |at: Value| {
        let (client, overrides) = (client.clone(), overrides.clone());
        async move {
            let params = if at.is_null() {
                rpc_params![json!({"to": reader}), "latest", overrides]
            } else {
                rpc_params![json!({"to": reader}), at, overrides]
            };
            U256::from_be_slice(
                &serde_json::from_value::<Bytes>(call(&client, "eth_call", params).await).unwrap(),
            )
        }
    };
    let funded_at = funded["blockNumber"].clone();
    let parent = json!(format!("{:#x}", u256(&funded_at) - U256::from(1)));
    assert_eq!(read(funded_at.clone()).await, value);
    assert_eq!(read(json!({"blockHash": funded["blockHash"]})).await, value);
    assert_eq!(read(parent).await, U256::ZERO);
    assert_eq!(read(Value::Null).await, value);
    // The block's environment: NUMBER is the block's own.
    let number_at = call(
        &client,
        "eth_call",
        rpc_params![json!({"input": Bytes::from_static(&NUMBER)}), funded_at.clone()],
    )
    .await;
    let number_at = U256::from_be_slice(&serde_json::from_value::<Bytes>(number_at).unwrap());
    assert_eq!(number_at, u256(&funded_at));
    // web3.py's shape: the call object only, no block parameter.
    let plain =
        call(&client, "eth_call", rpc_params![json!({"to": contract, "data": input})]).await;
    assert_eq!(plain, "0x", "the contract returns nothing");

    // Errors as geth's: a revert with data is 3 with the data; a revert without data
    // too; a halt -32000 with its reason.
    let data = B256::repeat_byte(0xab);
    let (code, message, answer) =
        rpc_error(&client, "eth_call", rpc_params![json!({"input": reverting(data)})]).await;
    assert_eq!((code, message.as_str(), answer), (3, "execution reverted", json!(data)));
    let zero = Bytes::from(vec![0u8; 32]);
    let (code, _, answer) = rpc_error(
        &client,
        "eth_call",
        rpc_params![json!({"to": contract, "input": zero}), "latest"],
    )
    .await;
    assert_eq!((code, answer), (3, json!("0x")));
    let (code, message, _) =
        rpc_error(&client, "eth_call", rpc_params![json!({"input": "0xfe"})]).await;
    assert_eq!((code, message.as_str()), (-32000, "invalid opcode"));
    let (code, message, _) =
        rpc_error(&client, "eth_call", rpc_params![json!({"to": contract}), "0xffffff"]).await;
    assert_eq!((code, message.as_str()), (-32001, "block not found"));

    // eth_estimateGas: a transfer is 21 000; the contract call, without a tag, is enough
    // for the call to succeed on chain; before the deployment the same call is a
    // transfer to an empty account with calldata.
    let transfer = json!({"from": alice.address(), "to": carol, "value": "0x1"});
    assert_eq!(call(&client, "eth_estimateGas", rpc_params![transfer]).await, "0x5208");
    let contract_call = json!({"from": alice.address(), "to": contract, "input": input});
    let gas = u256(&call(&client, "eth_estimateGas", rpc_params![contract_call.clone()]).await)
        .to::<u64>();
    let earlier = u256(
        &call(
            &client,
            "eth_estimateGas",
            rpc_params![contract_call, json!(format!("{before_deploy:#x}"))],
        )
        .await,
    )
    .to::<u64>();
    assert!(earlier < gas && earlier > 21_000, "{earlier} then {gas}");
    let landed = send_and_wait(
        &client,
        sign(&alice, 3, TxKind::Call(contract), U256::ZERO, input.clone(), gas),
    )
    .await;
    assert_eq!(landed["status"], "0x1", "the estimate is enough");
    let (code, _, answer) = rpc_error(
        &client,
        "eth_estimateGas",
        rpc_params![json!({"from": alice.address(), "input": reverting(data)})],
    )
    .await;
    assert_eq!((code, answer), (3, json!(data)));
}
