//! `eth_sendRawTransaction` and `eth_sendRawTransactionSync` refuse a post-exec
//! transaction (type `0x7D`, Lagoon) with -32000 and its hash, before anything else;
//! another transaction goes on as before (here: no upstream to send it to).

use alloy_primitives::{keccak256, Bytes};
use flashblocks_node::rpc::{module, Backend, ServerConfig};
use flashblocks_overlay::{Overlay, OverlayConfig};
use flashblocks_types::post_exec_raw;
use serde_json::Value;

#[tokio::test]
async fn a_post_exec_transaction_is_refused_on_both_send_methods() {
    let overlay = Overlay::new(OverlayConfig::default());
    let rpc = module(Backend::new(overlay.reader()), &ServerConfig::default()).expect("module");
    let raw = post_exec_raw(1, 7, &[(1, 21)]);
    for method in ["eth_sendRawTransaction", "eth_sendRawTransactionSync"] {
        let err = rpc.call::<_, Value>(method, [raw.clone()]).await.expect_err("refused");
        let jsonrpsee::MethodsError::JsonRpc(err) = err else { panic!("{method}: {err}") };
        assert_eq!(err.code(), -32000, "{method}");
        assert!(
            err.message().contains("post-exec transaction (0x7d)"),
            "{method}: {}",
            err.message()
        );
        let data: Value = serde_json::from_str(err.data().expect("data").get()).expect("json");
        assert_eq!(data, Value::String(keccak256(&raw).to_string()), "{method}");
        // Another type byte is not refused for it (no upstream here: that is the answer).
        let mut other = raw.to_vec();
        other[0] = 0x02;
        let err =
            rpc.call::<_, Value>(method, [Bytes::from(other)]).await.expect_err("no upstream");
        let jsonrpsee::MethodsError::JsonRpc(err) = err else { panic!("{method}: {err}") };
        assert!(
            err.message().contains("needs a canonical upstream"),
            "{method}: {}",
            err.message()
        );
    }
}
