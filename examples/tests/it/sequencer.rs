//! The `sequencer` test double: its chain in process (every flashblock passes the
//! receiving pipeline with the block-hash check, in every format; submitted transfers
//! and contract calls land with exact balances and logs; a reorg replaces the head),
//! and the program itself on loopback (its ready line, the stream, JSON-RPC, the debug
//! methods).

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use flashblocks_examples::sequencer::{
    encode, Chain, ChainSettings, StreamDialect, StreamFormat, SubmitError, CHAIN_ID,
};
use flashblocks_execute::builder::{contract_initcode, BASE_FEE, DEV_KEYS, LOG_TOPIC};
use flashblocks_node::pipeline::{BlockHashStatus, Pipeline, Verdict};
use flashblocks_validate::RuleSet;
use futures_util::StreamExt;
use jsonrpsee::{core::client::ClientT, http_client::HttpClient, rpc_params};
use op_alloy_consensus::OpTxEnvelope;
use serde_json::Value;
use std::{
    io::BufRead,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tokio_tungstenite::tungstenite::Message;

/// Development signer `i`.
pub(crate) fn signer(i: usize) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&DEV_KEYS[i]).unwrap()
}

/// A signed EIP-1559 transaction on the sequencer's chain.
pub(crate) fn sign(
    from: &PrivateKeySigner,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_limit: u64,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: u128::from(BASE_FEE) * 2,
        max_priority_fee_per_gas: 1_000,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    let signature = from.sign_hash_sync(&tx.signature_hash()).unwrap();
    let envelope: OpTxEnvelope = tx.into_signed(signature).into();
    Bytes::from(envelope.encoded_2718())
}

/// A signed plain transfer of `value` to `to` (21 000 gas).
pub(crate) fn transfer(from: &PrivateKeySigner, nonce: u64, to: Address, value: U256) -> Bytes {
    sign(from, nonce, TxKind::Call(to), value, Bytes::new(), 21_000)
}

/// A fresh recipient nobody else touches.
pub(crate) fn fresh_address(tag: u8) -> Address {
    Address::repeat_byte(0xa0 | (tag & 0x0f))
}

/// The exact cost to the sender of a receipt: gas × effective price, the L1 fee, and
/// Isthmus' operator fee (gas × scalar / 10^6 + constant).
pub(crate) fn fee_of(receipt: &Value) -> U256 {
    let field =
        |name: &str| receipt[name].as_str().map_or(U256::ZERO, |s| s.parse::<U256>().unwrap());
    let gas = field("gasUsed");
    gas * field("effectiveGasPrice")
        + field("l1Fee")
        + gas * field("operatorFeeScalar") / U256::from(1_000_000u64)
        + field("operatorFeeConstant")
}

fn settings() -> ChainSettings {
    ChainSettings::default()
}

#[test]
fn every_flashblock_passes_the_receiving_pipeline_in_every_format() {
    let mut chain = Chain::new(settings(), 1_800_000_000);
    let mut pipelines = [
        (StreamFormat::Json, false, Pipeline::new(RuleSet::Json)),
        (StreamFormat::Json, true, Pipeline::new(RuleSet::Json)),
        (StreamFormat::Brotli, false, Pipeline::new(RuleSet::Json)),
        (StreamFormat::Ssz, false, Pipeline::new(RuleSet::V1)),
    ];
    let alice = signer(0);
    let mut per_block = Vec::new();
    let mut in_block = 0;
    let mut nonce = 0;
    for tick in 0..60u64 {
        if tick % 3 == 1 {
            let raw = transfer(&alice, nonce, fresh_address(1), U256::from(7));
            chain.submit(raw).unwrap();
            nonce += 1;
        }
        let emitted = chain.tick(1_800_000_000 + tick / 5).unwrap();
        in_block += 1;
        for (format, stripped, pipeline) in &mut pipelines {
            let frame = match encode(&emitted, *format, *stripped, StreamDialect::RollupBoost) {
                Message::Text(text) => text.as_bytes().to_vec(),
                Message::Binary(bytes) => bytes.to_vec(),
                other => panic!("unexpected message {other:?}"),
            };
            let report = pipeline.process(&frame);
            assert_eq!(
                report.verdict,
                Verdict::Accept,
                "{format:?} stripped={stripped} tick {tick}"
            );
            assert!(
                matches!(report.block_hash, BlockHashStatus::Ok(h) if h == emitted.v1.inner().diff.block_hash),
                "{format:?}: the rebuilt header hashes to the claimed block hash at tick {tick}: {:?}",
                report.block_hash
            );
        }
        if let Some(block) = emitted.sealed {
            assert_eq!(
                block.hash,
                emitted.v1.inner().diff.block_hash,
                "the sealed block is the last flashblock's"
            );
            per_block.push(in_block);
            in_block = 0;
        }
    }
    assert!(per_block.len() >= 5, "blocks sealed: {per_block:?}");
    assert!(
        per_block.iter().all(|n| (5..=10).contains(n)),
        "5 to 10 flashblocks a block: {per_block:?}"
    );
    assert!(per_block.windows(2).any(|w| w[0] != w[1]), "the count varies: {per_block:?}");
    assert_eq!(chain.pending_account(&alice.address()).nonce, nonce, "every transfer executed");
}

/// `--dialect subblocks --lagoon-time 0`: every subblock passes a Subblocks receiver
/// with the Lagoon rules on (zero roots, `diff.post_exec_tx` restated append-only with
/// refunds of the odd block indices), and each sealed block ends with the latest
/// post-exec transaction, its receipt last in the receipts root.
#[test]
fn lagoon_subblocks_pass_the_lagoon_rules_and_seal_with_the_post_exec_transaction() {
    use alloy_consensus::TxReceipt;
    use flashblocks_types::{Dialect, DialectChoice, FlashblockJson, PostExecTx};
    use flashblocks_validate::ValidatorConfig;
    let settings = ChainSettings { lagoon_time: Some(0), ..settings() };
    let mut chain = Chain::new(settings, 1_800_000_000);
    let validator = ValidatorConfig::json()
        .with_dialect(DialectChoice::Fixed(Dialect::Subblocks))
        .with_lagoon_time(Some(0));
    let mut pipeline = Pipeline::with_config(validator, Default::default());
    let alice = signer(2);
    let (mut nonce, mut sealed_with_post_exec) = (0, 0);
    let mut latest: Option<Bytes> = None;
    for tick in 0..40u64 {
        if tick % 2 == 1 {
            for _ in 0..2 {
                let raw = transfer(&alice, nonce, fresh_address(3), U256::from(7));
                chain.submit(raw).unwrap();
                nonce += 1;
            }
        }
        let emitted = chain.tick(1_800_000_000 + tick / 5).unwrap();
        let Message::Text(text) =
            encode(&emitted, StreamFormat::Json, false, StreamDialect::Subblocks)
        else {
            panic!("JSON text")
        };
        let json: FlashblockJson = serde_json::from_str(text.as_str()).unwrap();
        assert_eq!((json.diff.state_root, json.diff.block_hash), (B256::ZERO, B256::ZERO));
        assert!(json.metadata.receipts.is_none() && json.metadata.new_account_balances.is_none());
        if json.index == 0 {
            latest = None;
        }
        if let Some(raw) = &json.diff.post_exec_tx {
            let post = PostExecTx::decode(raw.clone()).unwrap();
            assert!(post.gas_refund_entries().iter().all(|e| e.index % 2 == 1));
            latest = Some(raw.clone());
        }
        let report = pipeline.process(text.as_bytes());
        assert_eq!(report.verdict, Verdict::Accept, "tick {tick}: {:?}", report.verdict);
        if let Some(block) = emitted.sealed {
            if let Some(raw) = &latest {
                let (hash, last) = block.transactions.last().unwrap();
                assert_eq!((hash, last), (&alloy_primitives::keccak256(raw), raw));
                let receipt = block.rpc_receipt(block.transactions.len() - 1).unwrap();
                assert_eq!(receipt.inner.gas_used, 0);
                assert_eq!(
                    receipt.inner.inner.receipt.cumulative_gas_used(),
                    block.header.gas_used
                );
                let refunded = (0..block.transactions.len())
                    .filter_map(|i| block.rpc_receipt(i)?.op_gas_refund)
                    .count();
                assert!(refunded > 0);
                sealed_with_post_exec += 1;
            }
        }
    }
    assert!(sealed_with_post_exec >= 2, "blocks sealed with a post-exec transaction");
}

/// Ticks until the block holding `hash` is sealed; its number.
fn seal_with(chain: &mut Chain, hash: B256) -> u64 {
    for tick in 0..40 {
        chain.tick(1_800_000_000 + tick).unwrap();
        if let Some((block, _)) = chain.transaction(&hash) {
            return block.number();
        }
    }
    panic!("{hash} not sealed within 40 flashblocks");
}

#[test]
fn a_transfer_and_a_contract_call_land_with_exact_balances_and_logs() {
    let mut chain = Chain::new(settings(), 1_800_000_000);
    let (alice, bob) = (signer(0), fresh_address(2));
    let value = U256::from(123_456_789u64);
    let hash = chain.submit(transfer(&alice, 0, bob, value)).unwrap();
    assert_eq!(hash, alloy_primitives::keccak256(transfer(&alice, 0, bob, value)));
    let number = seal_with(&mut chain, hash);
    let (block, index) = chain.transaction(&hash).unwrap();
    assert!(index >= 1, "after the L1-info deposit");
    let parent = chain.block_by_number(number - 1).unwrap();
    assert_eq!(block.header.parent_hash, parent.hash);
    let receipt = serde_json::to_value(block.rpc_receipt(index).unwrap()).unwrap();
    assert_eq!(receipt["status"], "0x1");
    assert_eq!(receipt["from"].as_str().unwrap().parse::<Address>().unwrap(), alice.address());
    assert!(fee_of(&receipt) > U256::ZERO);
    assert!(receipt["l1Fee"].as_str().is_some(), "the L1 fee fields: {receipt}");
    assert_eq!(
        chain.account_at(block.number(), &bob).balance
            - chain.account_at(parent.number(), &bob).balance,
        value
    );
    assert_eq!(
        chain.account_at(parent.number(), &alice.address()).balance
            - chain.account_at(block.number(), &alice.address()).balance,
        value + fee_of(&receipt),
        "the sender pays the value, the gas and the L1 fee, exactly"
    );
    assert_eq!(chain.account_at(block.number(), &alice.address()).nonce, 1);
    // The receipt and the transaction as JSON-RPC renders them agree with the block.
    let tx = serde_json::to_value(block.rpc_transaction(index).unwrap()).unwrap();
    assert_eq!(tx["hash"].as_str().unwrap().parse::<B256>().unwrap(), hash);
    let rpc_block = serde_json::to_value(block.rpc_block(false)).unwrap();
    assert_eq!(rpc_block["transactions"][index].as_str().unwrap().parse::<B256>().unwrap(), hash);

    // A contract: deployed, then called; its log is in the call's receipt.
    let deploy = chain
        .submit(sign(&alice, 1, TxKind::Create, U256::ZERO, contract_initcode(), 200_000))
        .unwrap();
    seal_with(&mut chain, deploy);
    let (block, index) = chain.transaction(&deploy).unwrap();
    let contract = block.rpc_receipt(index).unwrap().inner.contract_address.unwrap();
    assert_eq!(contract, alice.address().create(1));
    assert!(!chain.account_at(block.number(), &contract).code.is_empty());
    let word = U256::from(0xbeefu64);
    let call = chain
        .submit(sign(
            &alice,
            2,
            TxKind::Call(contract),
            U256::ZERO,
            Bytes::from(word.to_be_bytes::<32>().to_vec()),
            100_000,
        ))
        .unwrap();
    seal_with(&mut chain, call);
    let (block, index) = chain.transaction(&call).unwrap();
    let receipt = serde_json::to_value(block.rpc_receipt(index).unwrap()).unwrap();
    let log = &receipt["logs"][0];
    assert_eq!(log["address"].as_str().unwrap().parse::<Address>().unwrap(), contract);
    assert_eq!(log["topics"][0].as_str().unwrap().parse::<B256>().unwrap(), LOG_TOPIC);
    assert_eq!(
        log["data"].as_str().unwrap().parse::<Bytes>().unwrap().as_ref(),
        word.to_be_bytes::<32>()
    );
    assert_eq!(
        chain.account_at(block.number(), &contract).storage.get(&U256::from(1)),
        Some(&word)
    );
}

#[test]
fn refused_submissions_are_typed_and_change_nothing() {
    let mut chain = Chain::new(settings(), 1_800_000_000);
    let alice = signer(0);
    assert!(matches!(
        chain.submit(Bytes::from_static(b"\x02garbage")),
        Err(SubmitError::Undecodable(_))
    ));
    let raw = transfer(&alice, 0, fresh_address(3), U256::from(1));
    chain.submit(raw.clone()).unwrap();
    assert_eq!(chain.submit(raw), Err(SubmitError::AlreadyKnown));
    // Another chain's signature.
    let tx = TxEip1559 {
        chain_id: 1,
        gas_limit: 21_000,
        max_fee_per_gas: 2_000_000,
        to: TxKind::Call(fresh_address(3)),
        ..Default::default()
    };
    let signature = alice.sign_hash_sync(&tx.signature_hash()).unwrap();
    let other: OpTxEnvelope = tx.into_signed(signature).into();
    assert_eq!(chain.submit(Bytes::from(other.encoded_2718())), Err(SubmitError::ChainId(1)));
    let hash = {
        let raw = transfer(&alice, 1, fresh_address(3), U256::from(1));
        chain.submit(raw).unwrap()
    };
    seal_with(&mut chain, hash);
    let stale = transfer(&alice, 0, fresh_address(4), U256::from(1));
    assert_eq!(chain.submit(stale), Err(SubmitError::NonceTooLow { expected: 2, got: 0 }));
    assert_eq!(chain.mempool_len(), 0);
    // A transaction that cannot execute (more value than the balance) is dropped at its
    // flashblock; the chain goes on.
    let broke =
        sign(&signer(1), 0, TxKind::Call(fresh_address(4)), U256::MAX >> 1, Bytes::new(), 21_000);
    let broke = chain.submit(broke).unwrap();
    let after = chain.submit(transfer(&alice, 2, fresh_address(4), U256::from(9))).unwrap();
    seal_with(&mut chain, after);
    assert!(chain.transaction(&broke).is_none());
    assert_eq!(chain.mempool_len(), 0);
}

#[test]
fn a_reorg_replaces_the_head_and_requeues_its_transactions() {
    let mut chain = Chain::new(settings(), 1_800_000_000);
    let alice = signer(0);
    let bob = fresh_address(5);
    let hash = chain.submit(transfer(&alice, 0, bob, U256::from(1000))).unwrap();
    let number = seal_with(&mut chain, hash);
    let removed = chain.head();
    assert_eq!(removed.number(), number);
    // Part of the next block is built, then abandoned.
    chain.tick(1_800_000_100).unwrap();
    let (gone, replacement) = chain.reorg().unwrap();
    assert_eq!(gone.hash, removed.hash);
    assert_eq!(replacement.number(), number);
    assert_ne!(replacement.hash, removed.hash);
    assert_eq!(replacement.header.parent_hash, removed.header.parent_hash);
    assert_eq!(chain.head().hash, replacement.hash);
    assert!(chain.block_by_hash(&removed.hash).is_none(), "the removed block is gone");
    assert!(chain.transaction(&hash).is_none());
    assert_eq!(
        chain.account_at(replacement.number(), &bob).balance,
        U256::ZERO,
        "its state dropped"
    );
    assert_eq!(chain.pending_account(&alice.address()).nonce, 0);
    assert_eq!(chain.mempool_len(), 1, "the transfer waits again");
    // It lands again, on the replacement.
    let again = seal_with(&mut chain, hash);
    assert!(again > number);
    assert_eq!(chain.block_by_number(number + 1).unwrap().header.parent_hash, replacement.hash);
    assert_eq!(chain.account_at(chain.head().number(), &bob).balance, U256::from(1000));
}

/// A child process killed (by its id) and reaped when dropped.
pub(crate) struct ChildGuard(pub(crate) Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Spawns `command` with its stdout piped and returns the guard and the rest of its
/// first stdout line that starts with `prefix` (within 60 s); the pipe is read to the
/// end so that the program's later prints never meet a closed pipe.
pub(crate) fn spawn_until_line(mut command: Command, prefix: &'static str) -> (ChildGuard, String) {
    let mut child = command
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = ChildGuard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if let Some(rest) = line.strip_prefix(prefix) {
                let _ = tx.send(rest.to_owned());
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("a line starting {prefix:?} within 60 s"));
    (guard, line)
}

/// Starts `sequencer` (its own time bound: 120 s) with `extra` flags on free ports;
/// the guard and the stream and RPC URLs from its ready line.
pub(crate) fn start_sequencer(extra: &[&str]) -> (ChildGuard, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_sequencer"));
    command.args(["--ws-port", "0", "--rpc-port", "0", "--seconds", "120"]).args(extra);
    let (guard, line) = spawn_until_line(command, "sequencer ");
    let field = |name: &str| {
        line.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} in {line:?}"))
            .to_owned()
    };
    (guard, field("ws="), field("rpc="))
}

/// A JSON-RPC call answered with a result (panics on an error).
pub(crate) async fn call(
    client: &HttpClient,
    method: &str,
    params: jsonrpsee::core::params::ArrayParams,
) -> Value {
    client.request::<Value, _>(method, params).await.unwrap_or_else(|e| panic!("{method}: {e}"))
}

/// Polls `f` every 50 ms until it gives `Some`, for at most `secs` seconds.
pub(crate) async fn eventually<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} within {secs} s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn u256(v: &Value) -> U256 {
    v.as_str().unwrap_or_else(|| panic!("a quantity: {v}")).parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_program_streams_takes_transactions_answers_and_obeys_its_debug_methods() {
    let (_guard, ws, rpc) = start_sequencer(&["--interval-ms", "50", "--format", "ssz"]);
    let client = jsonrpsee::http_client::HttpClientBuilder::default().build(&rpc).unwrap();
    assert_eq!(call(&client, "eth_chainId", rpc_params![]).await, "0x385");
    // The stream: SSZ V1 frames the pipeline accepts, with block hashes that verify.
    let (mut stream, _) = tokio_tungstenite::connect_async(&ws).await.unwrap();
    let mut pipeline = Pipeline::new(RuleSet::V1);
    let mut starts = 0;
    while starts < 2 {
        let message = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let report = pipeline.process(&message.into_data());
        // Joined mid-block: the validator waits for an index 0.
        if let Some(fb) = report.flashblock.as_ref().filter(|_| report.verdict == Verdict::Accept) {
            starts += usize::from(fb.index == 0);
            assert!(matches!(report.block_hash, BlockHashStatus::Ok(_)), "{:?}", report.block_hash);
        }
    }
    // A transfer: taken, sealed, answered at its block and not at its parent.
    let alice = signer(0);
    let bob = fresh_address(6);
    let value = U256::from(5_000_000_000u64);
    let raw = transfer(&alice, 0, bob, value);
    let hash: B256 = serde_json::from_value(
        call(&client, "eth_sendRawTransaction", rpc_params![raw.clone()]).await,
    )
    .unwrap();
    let receipt = eventually(30, "the receipt", || {
        let client = client.clone();
        async move {
            let r = call(&client, "eth_getTransactionReceipt", rpc_params![hash]).await;
            (!r.is_null()).then_some(r)
        }
    })
    .await;
    assert_eq!(receipt["status"], "0x1");
    let block_hash = receipt["blockHash"].clone();
    let block = call(&client, "eth_getBlockByHash", rpc_params![block_hash.clone(), false]).await;
    assert_eq!(block["hash"], block_hash);
    let parent = block["parentHash"].clone();
    let at = |h: &Value| serde_json::json!({ "blockHash": h });
    let bob_after = u256(&call(&client, "eth_getBalance", rpc_params![bob, at(&block_hash)]).await);
    let bob_before = u256(&call(&client, "eth_getBalance", rpc_params![bob, at(&parent)]).await);
    assert_eq!(bob_after - bob_before, value);
    let alice_after =
        u256(&call(&client, "eth_getBalance", rpc_params![alice.address(), at(&block_hash)]).await);
    let alice_before =
        u256(&call(&client, "eth_getBalance", rpc_params![alice.address(), at(&parent)]).await);
    assert_eq!(alice_before - alice_after, value + fee_of(&receipt));
    assert_eq!(
        call(&client, "eth_getTransactionCount", rpc_params![alice.address()]).await,
        "0x1",
        "missing tag: latest"
    );
    let err =
        client.request::<Value, _>("eth_sendRawTransaction", rpc_params![raw]).await.unwrap_err();
    assert!(err.to_string().contains("nonce too low"), "{err}");
    let err = client
        .request::<Value, _>(
            "eth_getBalance",
            rpc_params![bob, at(&Value::from(format!("{:#x}", B256::repeat_byte(9))))],
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("block not found"), "{err}");

    // debug_dropStreams ends our connection.
    let dropped = call(&client, "debug_dropStreams", rpc_params![]).await;
    assert_eq!(dropped, 1);
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            match stream.next().await {
                Some(Ok(Message::Binary(_))) => continue,
                other => return other.map(|r| r.map(|_| ())),
            }
        }
    })
    .await
    .expect("the connection ends");
    assert!(!matches!(ended, Some(Ok(()))), "ended: {ended:?}");
    // A new connection gets flashblocks again.
    let (mut again, _) = tokio_tungstenite::connect_async(&ws).await.unwrap();
    let message = tokio::time::timeout(Duration::from_secs(30), again.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(message.is_binary());

    // debug_reorg replaces the head: the old hash is gone, the same number has another.
    let reorg = call(&client, "debug_reorg", rpc_params![]).await;
    let number = reorg["number"].clone();
    assert_ne!(reorg["removed"], reorg["replacement"]);
    assert!(call(&client, "eth_getBlockByHash", rpc_params![reorg["removed"].clone(), false])
        .await
        .is_null());
    let now = call(&client, "eth_getBlockByNumber", rpc_params![number, false]).await;
    assert_eq!(now["hash"], reorg["replacement"]);
}

/// Starts `pending_rpc --ws <ws> --upstream <upstream>` with `extra` flags, its
/// JSON-RPC and metrics on port 0 (it reports the addresses it bound on its first
/// stdout line, so no port is raced for), heads polled every `head_poll_ms`, with its
/// own time bound of `seconds`; the guard, its address (`127.0.0.1:PORT`) and its
/// metrics port.
pub(crate) fn start_pending_rpc(
    ws: &str,
    upstream: &str,
    head_poll_ms: u64,
    seconds: u64,
    extra: &[&str],
) -> (ChildGuard, String, u16) {
    let (poll, seconds) = (head_poll_ms.to_string(), seconds.to_string());
    let mut command = Command::new(env!("CARGO_BIN_EXE_pending_rpc"));
    command
        .args(["--port", "0", "--ws", ws, "--upstream", upstream, "--head-poll-ms", &poll])
        .args(["--chain-id", "901", "--metrics", "127.0.0.1:0", "--seconds", &seconds])
        .args(extra);
    let (guard, line) = spawn_until_line(command, "listening on ");
    // `listening on ADDR metrics MADDR`
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (addr, metrics) = match fields.as_slice() {
        [addr, "metrics", metrics] => (addr.to_string(), metrics.to_string()),
        _ => panic!("unexpected first line {line:?}"),
    };
    let metrics = metrics.parse::<std::net::SocketAddr>().unwrap().port();
    (guard, addr, metrics)
}
