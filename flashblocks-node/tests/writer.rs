//! The one writer under load: frames and canonical heads from their own tasks, and
//! `pending` reads from many tasks, on a 2-worker runtime, against an upstream that
//! answers every request slowly. The writer executes each flashblock, so the EVM reads
//! the upstream from the writer thread while the RPC falls back to it from the workers
//! and runs `eth_call` on blocking threads. It always finishes: every frame and head is
//! taken in and every read answered (bounded by a generous deadline; nothing is timed).

use alloy_eips::BlockId;
use alloy_op_hardforks::OpHardfork;
use alloy_primitives::{keccak256, Address, B256, U256, U64};
use flashblocks::{Receiver, ReceiverConfig};
use flashblocks_execute::{
    builder::{ExecutingBuilder, TxPlan},
    ExecutionCheck, Executor, InMemoryState,
};
use flashblocks_node::{
    pipeline::Pipeline,
    rpc::{feed::Feed, module, Backend, NoCanonicalState, ServerConfig},
    upstream::{NewHead, Upstream},
    writer::{Input, Writer},
};
use flashblocks_overlay::{CanonicalBlock, CanonicalHead};
use jsonrpsee::{server::Server, RpcModule};
use revm::DatabaseRef;
use serde_json::{json, Value};
use std::{
    sync::Arc,
    time::{Duration, Instant},
};
use tokio_tungstenite::tungstenite::Bytes as Frame;

const BLOCKS: usize = 8;
const READERS: usize = 16;
const READS: usize = 12;
/// How long the upstream takes to answer each request.
const SLOW: Duration = Duration::from_millis(25);

/// A canonical node whose state is the builder's genesis at every block, answering
/// each request after [`SLOW`].
async fn slow_upstream(genesis: InMemoryState) -> (String, jsonrpsee::server::ServerHandle) {
    let mut m = RpcModule::new(Arc::new(genesis));
    m.register_async_method("eth_getBalance", |params, state, _| async move {
        tokio::time::sleep(SLOW).await;
        let (address, _): (Address, BlockId) = params.parse()?;
        let info = state.basic_ref(address).unwrap_or_default();
        Ok::<_, jsonrpsee::types::ErrorObjectOwned>(info.map_or(U256::ZERO, |i| i.balance))
    })
    .unwrap();
    m.register_async_method("eth_getTransactionCount", |params, state, _| async move {
        tokio::time::sleep(SLOW).await;
        let (address, _): (Address, BlockId) = params.parse()?;
        let info = state.basic_ref(address).unwrap_or_default();
        Ok::<_, jsonrpsee::types::ErrorObjectOwned>(U64::from(info.map_or(0, |i| i.nonce)))
    })
    .unwrap();
    m.register_async_method("eth_getCode", |params, state, _| async move {
        tokio::time::sleep(SLOW).await;
        let (address, _): (Address, BlockId) = params.parse()?;
        let info = state.basic_ref(address).unwrap_or_default();
        let code = info.and_then(|i| i.code).map(|c| c.original_bytes()).unwrap_or_default();
        Ok::<_, jsonrpsee::types::ErrorObjectOwned>(code)
    })
    .unwrap();
    m.register_async_method("eth_getStorageAt", |params, state, _| async move {
        tokio::time::sleep(SLOW).await;
        let (address, slot, _): (Address, U256, BlockId) = params.parse()?;
        let value = state.storage_ref(address, slot).unwrap_or_default();
        Ok::<_, jsonrpsee::types::ErrorObjectOwned>(B256::from(value))
    })
    .unwrap();
    for method in [
        "eth_getBlockByNumber",
        "eth_getBlockByHash",
        "eth_getTransactionByHash",
        "eth_getTransactionReceipt",
    ] {
        m.register_async_method(method, |_, _, _| async move {
            tokio::time::sleep(SLOW).await;
            Value::Null
        })
        .unwrap();
    }
    m.register_async_method("eth_call", |_, _, _| async move {
        tokio::time::sleep(SLOW).await;
        "0x"
    })
    .unwrap();
    let server = Server::builder().build("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", server.local_addr().unwrap());
    (url, server.start(m))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_always_finishes_under_frames_heads_and_reads_with_a_slow_upstream() {
    tokio::time::timeout(Duration::from_secs(300), run()).await.expect("the writer finishes");
}

async fn run() {
    // The stream: stripped JSON (no balances, no receipts: only execution gives them).
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [
        vec![TxPlan::Transfer, TxPlan::Deploy],
        vec![TxPlan::Call, TxPlan::TransferToNew],
        vec![TxPlan::Call, TxPlan::Transfer],
    ];
    let blocks: Vec<_> = (0..BLOCKS).map(|_| builder.next_block(&plan)).collect();
    let frames: Vec<Vec<Frame>> = blocks
        .iter()
        .map(|block| {
            block
                .iter()
                .map(|built| Frame::from(built.json_stripped().to_json().unwrap().to_vec()))
                .collect()
        })
        .collect();
    let heads: Vec<NewHead> = blocks
        .iter()
        .map(|block| {
            let last = block.last().unwrap().flashblock.clone();
            let transactions =
                block.iter().flat_map(|b| b.flashblock.transactions().iter().map(keccak256));
            NewHead {
                head: CanonicalHead {
                    number: block[0].flashblock.base().unwrap().block_number,
                    hash: last.diff().block_hash,
                },
                block: Some(CanonicalBlock::new(transactions.collect())),
            }
        })
        .collect();
    let accounts = builder.dev_accounts();

    let (url, upstream_server) = slow_upstream(builder.genesis()).await;
    let upstream = Upstream::connect(&url).await.unwrap();
    let mut check = ExecutionCheck::new(Executor::new(builder.config().clone(), upstream.clone()));
    let snapshots = check.pending_snapshots();
    let pipeline = Pipeline::from_receiver(Receiver::with_execution(ReceiverConfig::json(), check));
    let reader = pipeline.reader();
    let feed = Feed::default();
    // A short queue, so that the producers wait on it (backpressure) most of the time.
    let writer = Writer::spawn(pipeline, feed.clone(), 4, 1 << 20, true).unwrap();
    let backend = Backend {
        reader: reader.clone(),
        canonical: NoCanonicalState,
        upstream: Some(upstream),
        feed,
        execution: Some(snapshots),
    };
    let rpc = Arc::new(module(backend, &ServerConfig::default()).unwrap());

    // The stream's frames, in order, from one task.
    let sent_frames: usize = frames.iter().map(Vec::len).sum();
    let stream = {
        let sender = writer.sender();
        tokio::spawn(async move {
            for frame in frames.into_iter().flatten() {
                let input = Input::Frame { frame, arrived: Instant::now() };
                sender.send(input).await.expect("the writer takes frames");
            }
        })
    };
    // Each block's head, from another task, once the stream has moved past the block
    // (as a canonical chain follows its flashblocks); never dropped.
    let head_task = {
        let sender = writer.sender();
        let heads = heads.clone();
        let reader = reader.clone();
        let final_index = (plan.len()) as u64;
        tokio::spawn(async move {
            for head in heads {
                let number = head.head.number;
                loop {
                    // Past the block, or at the last flashblock of the last block.
                    let newest =
                        reader.snapshot().id().map(|id| (id.block_number, id.flashblock_index));
                    if newest.is_some_and(|(n, i)| n > number || (n == number && i == final_index))
                    {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                sender.send(Input::Head(head)).await.expect("the writer takes heads");
            }
        })
    };
    // Readers: pending state (overlay, executed, or the upstream's), blocks, receipts,
    // and eth_call on the executed state (a blocking thread reading the upstream).
    let mut readers = Vec::new();
    for r in 0..READERS {
        let rpc = Arc::clone(&rpc);
        let accounts = accounts.clone();
        readers.push(tokio::spawn(async move {
            let mut answered = 0;
            for i in 0..READS {
                let who = accounts[(r + i) % accounts.len()];
                let stranger = Address::repeat_byte(u8::try_from(1 + i).unwrap());
                let call = json!({"from": who, "to": stranger, "value": "0x1"});
                let answer: Result<Value, _> = match (r + i) % 6 {
                    0 => rpc.call("eth_getBalance", (who, "pending")).await,
                    1 => rpc.call("eth_getBalance", (stranger, "pending")).await,
                    2 => rpc.call("eth_getTransactionCount", (who, "pending")).await,
                    3 => rpc.call("eth_getBlockByNumber", ("pending", true)).await,
                    4 => rpc.call("eth_getTransactionReceipt", (B256::repeat_byte(7),)).await,
                    _ => rpc.call("eth_call", (call, "pending")).await,
                };
                // An error is an answer too (a fact not known yet, a failed call).
                let _ = answer;
                answered += 1;
            }
            answered
        }));
    }
    stream.await.unwrap();
    head_task.await.unwrap();
    let mut answered = 0;
    for reader in readers {
        answered += reader.await.unwrap();
    }
    assert_eq!(answered, READERS * READS, "every read answered");

    // Every frame and every head was taken in, in order: the last block is pending (its
    // head came after its frames or before them; either way the writer saw both).
    let summary = writer.join().await.expect("the writer thread did not panic");
    assert_eq!(summary.frames, sent_frames);
    assert_eq!(summary.accepted, sent_frames, "{summary:?}");
    assert_eq!(summary.heads, BLOCKS);
    assert!(reader.snapshot().canonical_head().is_some());
    upstream_server.stop().unwrap();
}

/// A block's canonical head that overtakes its last flashblock (the sequencer sealed it
/// as it sent that flashblock: two paths to the node) waits for the rest of the block:
/// the block is confirmed whole, its last flashblock is accepted and the next block goes
/// on, where taking the head in at once would call part of the block a broken
/// preconfirmation, drop it and refuse its last flashblock (`not_started`). A head whose
/// transactions differ from what arrived is taken in at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_before_the_last_flashblocks_of_its_block_waits_for_them() {
    let mut builder = ExecutingBuilder::new(OpHardfork::Isthmus);
    let plan = [vec![TxPlan::Transfer], vec![TxPlan::Transfer, TxPlan::Transfer]];
    let blocks: Vec<_> = (0..3).map(|_| builder.next_block(&plan)).collect();
    let frame = |b: usize, i: usize| Input::Frame {
        frame: Frame::from(blocks[b][i].json.to_vec()),
        arrived: Instant::now(),
    };
    let head = |b: usize, transactions: Vec<B256>| {
        let last = &blocks[b].last().unwrap().flashblock;
        Input::Head(NewHead {
            head: CanonicalHead {
                number: blocks[b][0].flashblock.base().unwrap().block_number,
                hash: last.diff().block_hash,
            },
            block: Some(CanonicalBlock::new(transactions)),
        })
    };
    let hashes = |b: usize| -> Vec<B256> {
        blocks[b].iter().flat_map(|f| f.flashblock.transactions().iter().map(keccak256)).collect()
    };
    let pipeline = Pipeline::from_receiver(Receiver::new(ReceiverConfig::json()));
    let reader = pipeline.reader();
    let writer = Writer::spawn(pipeline, Feed::default(), 16, 1 << 20, false).unwrap();
    let sender = writer.sender();
    let last = plan.len();
    // Block 0 but its last flashblock, its head, then the rest and the next block.
    for i in 0..last {
        sender.send(frame(0, i)).await.unwrap();
    }
    sender.send(head(0, hashes(0))).await.unwrap();
    sender.send(frame(0, last)).await.unwrap();
    for i in 0..=last {
        sender.send(frame(1, i)).await.unwrap();
    }
    // Block 1's head with other transactions (its last one missing and another in its
    // place): not an extension, taken in at once, a broken preconfirmation.
    let mut other = hashes(1);
    *other.last_mut().unwrap() = B256::repeat_byte(9);
    sender.send(head(1, other)).await.unwrap();
    sender.send(frame(2, 0)).await.unwrap();
    drop(sender);
    let summary = writer.join().await.expect("the writer thread did not panic");
    assert_eq!(summary.heads, 2);
    assert_eq!(summary.frames, 2 * (last + 1) + 1);
    // Block 0 confirmed whole; block 1 dropped by its broken head; block 2 pending.
    assert_eq!(summary.accepted, summary.frames, "{summary:?}");
    let snapshot = reader.snapshot();
    assert_eq!(
        snapshot.canonical_head().map(|h| h.number),
        Some(blocks[1][0].flashblock.base().unwrap().block_number)
    );
    let pending: Vec<u64> = snapshot.pending_block_numbers().collect();
    assert_eq!(pending, vec![blocks[2][0].flashblock.base().unwrap().block_number]);
}
