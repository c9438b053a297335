//! [`UpstreamState`], the EVM's view of a node's state fixed at one block hash, against
//! the `sequencer` program's JSON-RPC on loopback: a contract deployed and then called
//! reads with its code and the slot the call wrote at the call's block, and as absent
//! at the deployment's parent.

use crate::sequencer::{call, eventually, sign, signer, start_sequencer, u256};
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use flashblocks_execute::{builder::contract_initcode, CanonicalStates};
use flashblocks_node::upstream::{Upstream, UpstreamState};
use jsonrpsee::{http_client::HttpClient, rpc_params};
use revm::DatabaseRef;
use serde_json::Value;

/// Sends `raw` and waits for its canonical receipt.
async fn land(client: &HttpClient, raw: Bytes) -> Value {
    let hash: B256 =
        serde_json::from_value(call(client, "eth_sendRawTransaction", rpc_params![raw]).await)
            .unwrap();
    eventually(30, "the receipt", || {
        let client = client.clone();
        async move {
            let r = call(&client, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await
}

fn b256(v: &Value) -> B256 {
    v.as_str().unwrap_or_else(|| panic!("a hash: {v}")).parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_state_reads_accounts_code_slots_and_block_hashes_at_a_block_hash() {
    let (_guard, _ws, rpc) = start_sequencer(&["--interval-ms", "50"]);
    let client = jsonrpsee::http_client::HttpClientBuilder::default().build(&rpc).unwrap();
    let alice = signer(3);
    let deployed =
        land(&client, sign(&alice, 0, TxKind::Create, U256::ZERO, contract_initcode(), 200_000))
            .await;
    assert_eq!(deployed["status"], "0x1", "{deployed}");
    let contract: Address = deployed["contractAddress"].as_str().unwrap().parse().unwrap();
    let word = U256::from(0xfeedu64);
    let called = land(
        &client,
        sign(
            &alice,
            1,
            TxKind::Call(contract),
            U256::ZERO,
            Bytes::from(word.to_be_bytes::<32>().to_vec()),
            100_000,
        ),
    )
    .await;
    assert_eq!(called["status"], "0x1", "{called}");
    let at_call = b256(&called["blockHash"]);
    let call_number = u256(&called["blockNumber"]).to::<u64>();
    let deploy_block =
        call(&client, "eth_getBlockByHash", rpc_params![b256(&deployed["blockHash"]), false]).await;
    let before_deploy = b256(&deploy_block["parentHash"]);

    let upstream = Upstream::connect(&rpc).await.unwrap();
    let code: Bytes =
        serde_json::from_value(call(&client, "eth_getCode", rpc_params![contract, "latest"]).await)
            .unwrap();
    assert!(!code.is_empty());
    let balance = call(
        &client,
        "eth_getBalance",
        rpc_params![alice.address(), serde_json::json!({ "blockHash": at_call })],
    )
    .await;
    let alice = alice.address();
    // The EVM's reads wait for the upstream synchronously: on a blocking thread (as the
    // node's writer thread and its `eth_call`s do), never on a runtime worker.
    tokio::task::spawn_blocking(move || {
        let state: UpstreamState = upstream.state_at(at_call).unwrap();
        assert_eq!(state.block_hash(), at_call);
        // The slot the call wrote, the deployed code, the caller's nonce and balance.
        assert_eq!(state.storage_ref(contract, U256::from(1)).unwrap(), word);
        assert_eq!(state.storage_ref(contract, U256::from(2)).unwrap(), U256::ZERO);
        let info = state.basic_ref(contract).unwrap().expect("the contract exists");
        assert_eq!(info.code_hash, keccak256(&code));
        assert_eq!(info.code.as_ref().unwrap().original_bytes(), code);
        assert!(state.code_by_hash_ref(info.code_hash).is_err(), "code comes with its account");
        let sender = state.basic_ref(alice).unwrap().expect("the sender exists");
        assert_eq!(sender.nonce, 2);
        assert_eq!(sender.balance, u256(&balance));
        assert_eq!(state.block_hash_ref(call_number).unwrap(), at_call);
        // Before the deployment: no contract, no slot, the sender untouched.
        let before = upstream.state_at(before_deploy).unwrap();
        assert_eq!(before.basic_ref(contract).unwrap(), None);
        assert_eq!(before.storage_ref(contract, U256::from(1)).unwrap(), U256::ZERO);
        assert_eq!(before.basic_ref(alice).unwrap().map(|a| a.nonce), Some(0));
        // A block the upstream does not hold is an error, not an empty state.
        let unknown = upstream.state_at(B256::repeat_byte(0x77)).unwrap();
        assert!(unknown.basic_ref(contract).is_err());
    })
    .await
    .unwrap();
}
