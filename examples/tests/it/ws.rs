//! The websocket consumer against a loopback server streaming the simulated blocks.

use flashblocks_examples::{
    replay::simulated_stream,
    simulate::{simulate, SimulationConfig},
};
use flashblocks_node::{
    pipeline::Pipeline,
    ws::{run, serve_once, ConsumerConfig, ConsumerEvent, WsFrame},
};
use flashblocks_overlay::Lookup;
use flashblocks_types::JsonFrameReader;
use flashblocks_validate::RuleSet;
use std::time::Duration;

#[tokio::test]
async fn json_stream_with_brotli_frames_and_a_malformed_one() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let mut frames: Vec<WsFrame> = sim
        .json_frames()
        .into_iter()
        .enumerate()
        .map(|(i, json)| match i % 3 {
            0 => WsFrame::Text(String::from_utf8(json).unwrap()),
            1 => WsFrame::Binary(JsonFrameReader::encode_brotli(&json)),
            _ => WsFrame::Binary(json),
        })
        .collect();
    let malformed = 7;
    frames.insert(malformed, WsFrame::Binary(vec![0xff; 64]));
    let total = frames.len();

    let (addr, server) = serve_once("127.0.0.1:0".parse().unwrap(), frames).await.unwrap();
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let mut accepted_hashes = 0;
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&format!("ws://{addr}"), &mut pipeline, &ConsumerConfig::once(), |event| {
            if let ConsumerEvent::Report { report, .. } = event {
                accepted_hashes += usize::from(report.block_hash.is_ok());
            }
        }),
    )
    .await
    .expect("bounded in time");
    assert_eq!(server.await.unwrap().unwrap(), total);

    assert_eq!(summary.received, total);
    assert_eq!(summary.accepted, 15, "exactly the valid ones");
    assert_eq!(summary.rejected, [(malformed, "malformed")]);
    assert_eq!(accepted_hashes, 15);
    // The overlay holds the last block, with the balances the JSON carries.
    let snapshot = pipeline.reader().snapshot();
    let id = snapshot.id().unwrap();
    assert_eq!((id.block_number, id.flashblock_index), (24_000_002, 4));
    let (&address, &(balance, _)) = sim.final_state.iter().next().unwrap();
    match snapshot.at(0).balance(address) {
        Lookup::Found(found) => assert_eq!(found.value, balance),
        Lookup::NotHere(why) => panic!("{why:?}"),
    }
}

#[tokio::test]
async fn ssz_stream_rejects_the_injected_frame() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let (frames, injected) = simulated_stream(&sim);
    let frames = frames.into_iter().map(WsFrame::Binary).collect();
    let (addr, server) = serve_once("127.0.0.1:0".parse().unwrap(), frames).await.unwrap();
    let mut pipeline = Pipeline::new(RuleSet::V1);
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&format!("ws://{addr}"), &mut pipeline, &ConsumerConfig::once(), |_| {}),
    )
    .await
    .expect("bounded in time");
    server.await.unwrap().unwrap();
    assert_eq!((summary.accepted, summary.duplicates), (15, 1));
    assert_eq!(summary.rejected, [(injected.bad_frame, "parent_hash_mismatch")]);
}

/// The node integration: a websocket stream feeds the pipeline in one task while the
/// JSON-RPC server answers from the overlay's snapshots; the pending block advances to
/// the stream's last flashblock without the server waiting on the writer.
#[tokio::test]
async fn a_stream_feeds_the_rpc_server_while_it_serves() {
    use flashblocks_node::rpc::{serve, Backend, ServerConfig};
    use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};

    let sim = simulate(&SimulationConfig::default()).unwrap();
    let frames = sim.json_frames().into_iter().map(WsFrame::Binary).collect();
    let (ws_addr, server) = serve_once("127.0.0.1:0".parse().unwrap(), frames).await.unwrap();
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let (rpc_addr, handle) = serve(
        "127.0.0.1:0".parse().unwrap(),
        Backend::new(pipeline.reader()),
        &ServerConfig::default(),
    )
    .await
    .unwrap();
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(10))
        .build(format!("http://{rpc_addr}"))
        .unwrap();
    let consumer = tokio::spawn(async move {
        run(&format!("ws://{ws_addr}"), &mut pipeline, &ConsumerConfig::once(), |_| {}).await
    });

    let last = sim.blocks.last().unwrap().last().unwrap().diff.block_hash.to_string();
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let block: serde_json::Value = client
                .request("eth_getBlockByNumber", rpc_params!["pending", false])
                .await
                .unwrap();
            if block["hash"].as_str() == Some(last.as_str()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .expect("the pending block reaches the stream's last flashblock");
    let summary = consumer.await.unwrap();
    server.await.unwrap().unwrap();
    assert_eq!(summary.accepted, 15);

    let (&address, &(balance, _)) = sim.final_state.iter().next().unwrap();
    let got: alloy_primitives::U256 =
        client.request("eth_getBalance", rpc_params![address, "pending"]).await.unwrap();
    assert_eq!(got, balance);
    handle.stop().unwrap();
    handle.stopped().await;
}
