//! `pending_rpc` as an operator runs it: flags, the staleness bound, `GET /health`,
//! Prometheus metrics, and the per-request bounds that keep half-sent requests from
//! starving other clients.

use clap::Parser;
use flashblocks_examples::{
    pending_rpc::{self, Args},
    simulate::{simulate, SimulationConfig},
};
use flashblocks_node::{
    node::{self, install_metrics, start, ChainName, DEV_CHAIN_ID, DEV_HARDFORK},
    pipeline::Pipeline,
    rpc::{serve, Backend, ServerConfig},
    ws::{serve_once, WsFrame},
};
use flashblocks_validate::RuleSet;
use jsonrpsee::{core::client::ClientT, http_client::HttpClientBuilder, rpc_params};
use std::{net::SocketAddr, time::Duration};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// `GET path` over a fresh connection: the status code and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tcp.read_to_string(&mut response).await.unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned();
    (status, body)
}

#[test]
fn help_flags_and_the_default_staleness_bound() {
    let err = Args::try_parse_from(["pending_rpc", "--help"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp);
    let help = err.to_string();
    for flag in [
        "--ws",
        "--upstream",
        "--max-age-ms",
        "--request-timeout-ms",
        "--metrics",
        "--chain",
        "--execution",
        "FLASHBLOCKS_NODE_WS",
        "FLASHBLOCKS_NODE_CHAIN",
    ] {
        assert!(help.contains(flag), "{flag} in --help:\n{help}");
    }
    let live = Args::try_parse_from(["pending_rpc", "--ws", "ws://127.0.0.1:1/"]).unwrap();
    let live = live.node;
    assert_eq!(live.max_age_ms(), Some(5_000), "a live stream has a staleness bound by default");
    assert_eq!(live.server_config().max_age_ms, Some(5_000));
    assert_eq!(live.server_config().request_timeout, Duration::from_secs(10));
    let off =
        Args::try_parse_from(["pending_rpc", "--ws", "ws://h/", "--max-age-ms", "0"]).unwrap();
    assert_eq!(off.node.max_age_ms(), None);
    let replay = Args::try_parse_from(["pending_rpc", "capture.json"]).unwrap();
    assert_eq!(replay.file.as_deref(), Some(std::path::Path::new("capture.json")));
    assert_eq!(replay.node.max_age_ms(), None, "a replay does not go stale");
    let err = Args::try_parse_from(["pending_rpc", "--nope"]).unwrap_err();
    assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
}

#[tokio::test]
async fn health_is_200_while_fresh_and_500_when_stale() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let mut pipeline = Pipeline::new(RuleSet::V1);
    for frame in sim.ssz_frames() {
        pipeline.process(&frame);
    }
    let fresh = ServerConfig { max_age_ms: Some(600_000), ..ServerConfig::default() };
    let (addr, fresh) =
        serve("127.0.0.1:0".parse().unwrap(), Backend::new(pipeline.reader()), &fresh)
            .await
            .unwrap();
    let (status, body) = get(addr, "/health").await;
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["blockNumber"], 24_000_002);
    assert_eq!(health["flashblockIndex"], 4);

    let stale = ServerConfig { max_age_ms: Some(0), ..ServerConfig::default() };
    let (addr, stale) =
        serve("127.0.0.1:0".parse().unwrap(), Backend::new(pipeline.reader()), &stale)
            .await
            .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (status, body) = get(addr, "/health").await;
    assert_eq!(status, 500, "{body}");
    assert!(body.contains("stale"), "{body}");

    // An empty overlay is not healthy either.
    let empty = Pipeline::new(RuleSet::V1);
    let (addr, none) =
        serve("127.0.0.1:0".parse().unwrap(), Backend::new(empty.reader()), &fresh_config())
            .await
            .unwrap();
    assert_eq!(get(addr, "/health").await.0, 500);
    for handle in [fresh, stale, none] {
        handle.stop().unwrap();
        handle.stopped().await;
    }
}

fn fresh_config() -> ServerConfig {
    ServerConfig { max_age_ms: Some(600_000), ..ServerConfig::default() }
}

/// 100 connections, the server's limit, each sending half a request (half the headers,
/// or the headers and a tenth of the body) and then nothing: each is closed after the
/// request timeout, and a well-behaved client gets its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_do_not_starve_other_clients() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let mut pipeline = Pipeline::new(RuleSet::V1);
    for frame in sim.ssz_frames() {
        pipeline.process(&frame);
    }
    let config = ServerConfig {
        request_timeout: Duration::from_millis(500),
        max_connections: 100,
        ..ServerConfig::default()
    };
    let (addr, handle) =
        serve("127.0.0.1:0".parse().unwrap(), Backend::new(pipeline.reader()), &config)
            .await
            .unwrap();
    let mut held = Vec::new();
    for i in 0..100 {
        let mut tcp = TcpStream::connect(addr).await.unwrap();
        let half: &[u8] = if i % 2 == 0 {
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\","
        } else {
            b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Ty"
        };
        tcp.write_all(half).await.unwrap();
        held.push(tcp);
    }
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(5))
        .build(format!("http://{addr}"))
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match client.request::<Vec<String>, _>("op_supportedCapabilities", rpc_params![]).await
            {
                Ok(caps) => break caps,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .expect("a well-behaved client is answered while half-sent requests are held");
    assert_eq!(answered, ["flashblocksv1"]);
    // Every half-sent request's connection was closed by the server.
    for mut tcp in held {
        let mut rest = Vec::new();
        tokio::time::timeout(Duration::from_secs(60), tcp.read_to_end(&mut rest))
            .await
            .expect("the server closes a half-sent request's connection")
            .ok();
    }
    handle.stop().unwrap();
    handle.stopped().await;
}

/// The program over a live stream: metrics by verdict and rule id, disconnects by kind,
/// and once the stream is gone the default staleness bound turns pending answers and
/// `/health` down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_node_counts_what_it_takes_and_goes_stale_when_the_stream_dies() {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let mut frames: Vec<WsFrame> = sim.json_frames().into_iter().map(WsFrame::Binary).collect();
    frames.insert(3, WsFrame::Binary(b"not json".to_vec()));
    let (ws_addr, server) = serve_once("127.0.0.1:0".parse().unwrap(), frames).await.unwrap();
    let (metrics, metrics_addr) = install_metrics("127.0.0.1:0".parse().unwrap()).unwrap();
    let url = format!("ws://{ws_addr}");
    let args = node::Args::try_parse_from([
        "flashblocks-node",
        "--ws",
        url.as_str(),
        "--port",
        "0",
        "--max-age-ms",
        "1000",
    ])
    .unwrap();
    let node = start(&args).await.unwrap();
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(10))
        .build(format!("http://{}", node.addr))
        .unwrap();
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
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the pending block reaches the stream's last flashblock");
    server.await.unwrap().unwrap();

    // The stream closed and nothing listens any more: the node goes stale.
    tokio::time::timeout(Duration::from_secs(60), async {
        while get(node.addr, "/health").await.0 != 500 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("/health fails once the newest flashblock is older than the bound");
    let pending: serde_json::Value = client
        .request("eth_getBlockByNumber", rpc_params!["pending", false])
        .await
        .unwrap_or_default();
    assert!(pending.get("hash").is_none_or(|h| h.as_str() != Some(last.as_str())), "{pending}");

    let page = metrics.render();
    assert!(page.contains("flashblocks_frames_total{verdict=\"accept\",rule=\"\"} 15"), "{page}");
    assert!(
        page.contains("flashblocks_frames_total{verdict=\"reject\",rule=\"malformed\"} 1"),
        "{page}"
    );
    assert!(page.contains("flashblocks_stream_disconnects_total{kind=\"closed\"} 1"), "{page}");
    assert!(page.contains("flashblocks_apply_seconds_count 16"), "{page}");
    // The same page over HTTP, at the address bound for port 0.
    let (status, body) = get(metrics_addr, "/metrics").await;
    assert_eq!(status, 200);
    assert!(body.contains("flashblocks_apply_seconds_count 16"), "{body}");
    node.stop().await;
}

/// Execution reads the upstream's state and follows a live stream: `--chain` without
/// `--ws` and `--upstream` is refused before anything starts (unless `--execution off`,
/// which only names the chain), and the node needs `--ws`.
#[tokio::test]
async fn execution_needs_a_stream_and_an_upstream() {
    let args = Args::try_parse_from(["pending_rpc", "--chain", "dev", "--port", "0"]).unwrap();
    match pending_rpc::start(&args).await {
        Err(flashblocks_examples::Error::Node(flashblocks_node::Error::Usage(why))) => {
            assert!(why.contains("--chain"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    let argv = ["flashblocks-node", "--chain", "base-sepolia", "--ws", "ws://127.0.0.1:9"];
    match start(&node::Args::try_parse_from(argv).unwrap()).await {
        Err(flashblocks_node::Error::Usage(why)) => assert!(why.contains("--chain"), "{why}"),
        other => panic!("{other:?}"),
    }
    match start(&node::Args::try_parse_from(["flashblocks-node", "--port", "0"]).unwrap()).await {
        Err(flashblocks_node::Error::Usage(why)) => assert!(why.contains("--ws"), "{why}"),
        other => panic!("{other:?}"),
    }
    let args = node::Args::try_parse_from(["flashblocks-node", "--chain", "dev"]).unwrap();
    assert_eq!(args.server_config().chain_id, Some(901), "the chain's id for eth_chainId");
    assert!(node::Args::try_parse_from(["flashblocks-node", "--chain", "unknown"]).is_err());
    for mode in ["off", "report", "enforce"] {
        assert!(node::Args::try_parse_from(["flashblocks-node", "--execution", mode]).is_ok());
    }
}

/// `--chain dev` is the sequencer's chain: its id and hardforks.
#[test]
fn the_dev_chain_is_the_sequencers() {
    use flashblocks_examples::sequencer::{CHAIN_ID, HARDFORK};
    assert_eq!((DEV_CHAIN_ID, DEV_HARDFORK), (CHAIN_ID, HARDFORK));
    assert_eq!(ChainName::Dev.config().chain_id(), CHAIN_ID);
    assert_eq!(ChainName::Dev.config().hardfork_at(0), HARDFORK);
}
