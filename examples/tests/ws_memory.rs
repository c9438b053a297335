//! The websocket consumer's memory under a ping flood from a server that never reads:
//! the queued pongs stay under the write-buffer cap. Its own test binary, so that the
//! process's peak RSS (`VmHWM`) sees no other test.

#![cfg(target_os = "linux")]

use flashblocks_node::{
    pipeline::Pipeline,
    ws::{run, ConsumerConfig, ConsumerEvent},
};
use flashblocks_validate::RuleSet;
use std::time::Duration;
use tokio::{io::AsyncWriteExt, net::TcpListener};

/// Peak resident set of this process, in bytes.
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// 400 000 pings (50 MB of pongs to queue) at a client whose write buffer holds 64 KiB.
const PINGS: usize = 400_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_from_a_server_that_never_reads_stays_within_the_write_buffer_cap() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let tcp = ws.get_mut();
        // A ping of 125 bytes (the most a control frame holds), 1024 a write.
        let mut ping = vec![0x89, 125];
        ping.extend_from_slice(&[0x55; 125]);
        let batch: Vec<u8> = ping.iter().copied().cycle().take(ping.len() * 1024).collect();
        let mut sent = 0;
        while sent < PINGS {
            if tcp.write_all(&batch).await.is_err() {
                break;
            }
            sent += 1024;
        }
        let _ = tcp.shutdown().await;
        sent
    });
    let config = ConsumerConfig {
        write_buffer_size: 4 << 10,
        max_write_buffer_size: 64 << 10,
        read_timeout: Duration::from_secs(30),
        // Only pings arrive: the idle deadline is not what this test measures.
        idle_deadline: Duration::from_secs(240),
        ping_interval: Duration::from_secs(30),
        max_control_frames: u32::MAX,
        max_connections: Some(1),
        ..ConsumerConfig::default()
    };
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let before = peak_rss();
    let mut ended = None;
    tokio::time::timeout(
        Duration::from_secs(240),
        run(&format!("ws://{addr}"), &mut pipeline, &config, |event| {
            if let ConsumerEvent::Disconnected(why) = event {
                ended = Some(why.kind());
            }
        }),
    )
    .await
    .expect("bounded in time");
    let sent = server.await.unwrap();
    let grown = peak_rss().saturating_sub(before);
    assert!(sent >= PINGS, "the flood was sent in full ({sent})");
    assert!(ended.is_some(), "the connection ended");
    // Uncapped, the queued pongs alone are ~50 MB minus what the kernel buffers hold.
    assert!(grown < 16 << 20, "peak RSS grew by {} KiB", grown >> 10);
    println!("peak RSS grew by {} KiB over {sent} pings", grown >> 10);
}
