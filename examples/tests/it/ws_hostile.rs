//! The websocket consumer against a hostile loopback server: every way a connection
//! can end, each followed by a reconnect, and the stream taken in afterwards.

use flashblocks_examples::simulate::{simulate, SimulationConfig};
use flashblocks_node::{
    pipeline::{FrameReport, Pipeline},
    ws::{run, Backoff, ConsumerConfig, ConsumerEvent, FrameSink, SinkClosed},
};
use flashblocks_validate::RuleSet;
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};
use tokio_tungstenite::tungstenite::{Bytes, Message};

/// What the server does on one connection, after sending one valid flashblock.
#[derive(Clone, Copy, Debug)]
enum Hostile {
    /// Resets the TCP connection (RST).
    Reset,
    /// A message of fragments each under the frame cap, over the message cap.
    MessageOverCap,
    /// A frame header announcing 1 TiB, then a few bytes.
    HugeFrameHeader,
    /// Half a frame, then the end of the TCP stream.
    CloseMidFrame,
    /// Bytes that are no websocket frame.
    Garbage,
    /// A text frame that is not UTF-8.
    InvalidUtf8,
    /// Half a frame, then nothing (the connection stays open).
    StallMidFrame,
    /// A close frame.
    CleanClose,
    /// Pings as fast as it can write, never reading.
    PingFlood,
}

const MAX_MESSAGE: usize = 64 << 10;
const MAX_FRAME: usize = 32 << 10;

fn config(connections: u64) -> ConsumerConfig {
    ConsumerConfig {
        max_message_size: MAX_MESSAGE,
        max_frame_size: MAX_FRAME,
        write_buffer_size: 4 << 10,
        max_write_buffer_size: 64 << 10,
        connect_timeout: Duration::from_secs(10),
        read_timeout: Duration::from_millis(300),
        idle_deadline: Duration::from_secs(2),
        ping_interval: Duration::from_millis(100),
        max_control_frames: 500,
        backoff: Backoff { initial: Duration::from_millis(5), max: Duration::from_millis(40) },
        max_connections: Some(connections),
        max_messages: None,
    }
}

/// A raw (unmasked, server-side) frame header: FIN + `opcode`, then the length.
fn header(fin: bool, opcode: u8, len: u64) -> Vec<u8> {
    let mut out = vec![(u8::from(fin) << 7) | opcode];
    match len {
        0..=125 => out.push(len as u8),
        126..=0xffff => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            out.push(127);
            out.extend_from_slice(&len.to_be_bytes());
        }
    }
    out
}

/// Waits until the client has closed its side (bounded).
async fn drain(tcp: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(20), async {
        while let Ok(n) = tcp.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

async fn misbehave(mut ws: tokio_tungstenite::WebSocketStream<TcpStream>, how: Hostile) {
    match how {
        Hostile::Reset => {
            // The client's idle ping says it has read the flashblock: a reset discards
            // what the client's socket has not read yet.
            let _ = tokio::time::timeout(Duration::from_secs(20), ws.next()).await;
            let tcp = ws.into_inner();
            tcp.set_zero_linger().unwrap();
            drop(tcp);
        }
        Hostile::MessageOverCap => {
            let tcp = ws.get_mut();
            let fragment = vec![b'x'; MAX_FRAME / 2];
            let fragments = MAX_MESSAGE / fragment.len() + 2;
            for i in 0..fragments {
                let opcode = if i == 0 { 2 } else { 0 };
                let mut frame = header(i + 1 == fragments, opcode, fragment.len() as u64);
                frame.extend_from_slice(&fragment);
                if tcp.write_all(&frame).await.is_err() {
                    break;
                }
            }
            drain(tcp).await;
        }
        Hostile::HugeFrameHeader => {
            let tcp = ws.get_mut();
            let mut frame = header(true, 2, 1 << 40);
            frame.extend_from_slice(&[0u8; 64]);
            let _ = tcp.write_all(&frame).await;
            drain(tcp).await;
        }
        Hostile::CloseMidFrame => {
            let mut tcp = ws.into_inner();
            let mut frame = header(true, 2, 1000);
            frame.extend_from_slice(&[7u8; 10]);
            let _ = tcp.write_all(&frame).await;
            let _ = tcp.shutdown().await;
            drain(&mut tcp).await;
        }
        Hostile::Garbage => {
            let tcp = ws.get_mut();
            let _ = tcp.write_all(b"\x7f\xffHTTP/1.1 200 OK\r\n\r\n\x00\x01garbage").await;
            drain(tcp).await;
        }
        Hostile::InvalidUtf8 => {
            let tcp = ws.get_mut();
            let mut frame = header(true, 1, 4);
            frame.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
            let _ = tcp.write_all(&frame).await;
            drain(tcp).await;
        }
        Hostile::StallMidFrame => {
            let tcp = ws.get_mut();
            let mut frame = header(true, 1, 100);
            frame.extend_from_slice(b"{\"payload_");
            let _ = tcp.write_all(&frame).await;
            // Stays open, sends nothing more, until the client gives up.
            drain(tcp).await;
        }
        Hostile::CleanClose => {
            let _ = ws.close(None).await;
            while let Ok(Some(Ok(_))) =
                tokio::time::timeout(Duration::from_secs(20), ws.next()).await
            {}
        }
        Hostile::PingFlood => {
            let tcp = ws.get_mut();
            let mut ping = header(true, 9, 125);
            ping.extend_from_slice(&[0x55; 125]);
            let batch: Vec<u8> = ping.iter().copied().cycle().take(ping.len() * 64).collect();
            // Bounded: the client leaves after its control-frame limit.
            for _ in 0..10_000 {
                if tcp.write_all(&batch).await.is_err() {
                    break;
                }
            }
        }
    }
}

#[tokio::test]
async fn reconnects_after_every_failure_mode_and_takes_the_stream_after() {
    let modes = [
        Hostile::Reset,
        Hostile::MessageOverCap,
        Hostile::HugeFrameHeader,
        Hostile::CloseMidFrame,
        Hostile::Garbage,
        Hostile::InvalidUtf8,
        Hostile::StallMidFrame,
        Hostile::CleanClose,
        Hostile::PingFlood,
    ];
    let sim = simulate(&SimulationConfig::default()).unwrap();
    let frames: Vec<String> =
        sim.json_frames().into_iter().map(|f| String::from_utf8(f).unwrap()).collect();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_frames = frames.clone();
    let server = tokio::spawn(async move {
        for how in modes {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            ws.send(Message::text(server_frames[0].clone())).await.unwrap();
            misbehave(ws, how).await;
        }
        // The last connection: the whole stream, then a clean close.
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for frame in server_frames {
            ws.send(Message::text(frame)).await.unwrap();
        }
        ws.close(None).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
    });

    let connections = modes.len() as u64 + 1;
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let mut kinds = Vec::new();
    let mut connected = 0;
    let mut backoffs = Vec::new();
    let summary = tokio::time::timeout(
        Duration::from_secs(120),
        run(&format!("ws://{addr}"), &mut pipeline, &config(connections), |event| match event {
            ConsumerEvent::Connected(_) => connected += 1,
            ConsumerEvent::Disconnected(why) => kinds.push(why.kind()),
            ConsumerEvent::Backoff(delay) => backoffs.push(delay),
            _ => {}
        }),
    )
    .await
    .expect("bounded in time");
    tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap();

    assert_eq!(connected, connections);
    assert_eq!(summary.connections, connections);
    assert_eq!(summary.failed_attempts, 0);
    assert_eq!(
        kinds,
        [
            "io",       // reset
            "capacity", // message over the cap
            "capacity", // 1 TiB frame header
            "protocol", // close in mid-frame (reset without closing handshake)
            "protocol", // garbage
            "utf8",     // invalid UTF-8
            "stalled",  // stall in mid-frame
            "closed",   // clean close
            "ping_flood",
            "closed", // the last connection's clean close
        ],
        "every connection ends with its own reason"
    );
    // Each connection delivered a flashblock, so the backoff stays at its first step.
    assert_eq!(backoffs, vec![Duration::from_millis(5); modes.len()]);
    // Each connection's index 0 was taken as a fresh start (the block state is reset on
    // reconnect), not as a duplicate of the one before.
    assert_eq!(summary.duplicates, 0);
    assert_eq!(summary.rejected_count, 0, "{:?}", summary.rejected);
    assert_eq!(summary.accepted, modes.len() + frames.len());
    let snapshot = pipeline.reader().snapshot();
    let id = snapshot.id().unwrap();
    assert_eq!((id.block_number, id.flashblock_index), (24_000_002, 4));
}

#[tokio::test]
async fn backs_off_exponentially_up_to_the_cap_when_nothing_listens() {
    // A port that was bound and released: nothing listens there.
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        listener.local_addr().unwrap()
    };
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let mut backoffs = Vec::new();
    let mut kinds = Vec::new();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&format!("ws://{addr}"), &mut pipeline, &config(6), |event| match event {
            ConsumerEvent::Disconnected(why) => kinds.push(why.kind()),
            ConsumerEvent::Backoff(delay) => backoffs.push(delay),
            _ => {}
        }),
    )
    .await
    .expect("bounded in time");
    assert_eq!(summary.connections, 0);
    assert_eq!(summary.failed_attempts, 6);
    assert_eq!(kinds, ["io"; 6]);
    let ms = |ms| Duration::from_millis(ms);
    assert_eq!(backoffs, [ms(5), ms(10), ms(20), ms(40), ms(40)]);
}

#[tokio::test]
async fn wss_urls_speak_tls() {
    // A plain websocket server: a TLS client hello gets no TLS answer.
    let (addr, server) = flashblocks_node::ws::serve_once(
        "127.0.0.1:0".parse().unwrap(),
        vec![flashblocks_node::ws::WsFrame::Text("{}".to_owned())],
    )
    .await
    .unwrap();
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let mut kinds = Vec::new();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&format!("wss://localhost:{}", addr.port()), &mut pipeline, &config(1), |event| {
            if let ConsumerEvent::Disconnected(why) = event {
                kinds.push(format!("{}: {why}", why.kind()));
            }
        }),
    )
    .await
    .expect("bounded in time");
    server.abort();
    assert_eq!(summary.connections, 0);
    // Not "TLS support not compiled in": rustls sent its hello, and the plain server
    // closed the connection on it.
    assert_eq!(kinds.len(), 1);
    assert!(kinds[0].contains("tls handshake"), "{kinds:?}");
}

/// The simulated stream's frames, as JSON text.
fn json_frames() -> Vec<String> {
    let sim = simulate(&SimulationConfig::default()).unwrap();
    sim.json_frames().into_iter().map(|f| String::from_utf8(f).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_answers_pings_but_sends_no_data_is_dropped_and_reconnected() {
    let frames = json_frames();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_frames = frames.clone();
    let server = tokio::spawn(async move {
        // Connection 1: one flashblock, then silence on a live socket. The server reads
        // (so tungstenite answers every ping with a pong) and pings now and then, but
        // sends no data message, until the client leaves.
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        ws.send(Message::text(server_frames[0].clone())).await.unwrap();
        let mut pings_answered = 0;
        let mut tick = tokio::time::interval(Duration::from_millis(150));
        let silent = async {
            loop {
                tokio::select! {
                    message = ws.next() => match message {
                        Some(Ok(Message::Ping(_))) => pings_answered += 1,
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                    _ = tick.tick() => {
                        if ws.send(Message::Ping(Vec::new().into())).await.is_err() {
                            break;
                        }
                    }
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(30), silent).await.expect("the client left");
        // Connection 2: the whole stream, then a clean close.
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for frame in server_frames {
            ws.send(Message::text(frame)).await.unwrap();
        }
        ws.close(None).await.unwrap();
        while let Some(Ok(_)) = ws.next().await {}
        pings_answered
    });

    // The read timeout alone would never end connection 1: pongs and pings keep
    // arriving well within it.
    let config = ConsumerConfig { idle_deadline: Duration::from_millis(700), ..config(2) };
    let mut pipeline = Pipeline::new(RuleSet::Json);
    let mut kinds = Vec::new();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&format!("ws://{addr}"), &mut pipeline, &config, |event| {
            if let ConsumerEvent::Disconnected(why) = event {
                kinds.push(why.kind());
            }
        }),
    )
    .await
    .expect("bounded in time");
    let pings_answered =
        tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap();

    assert_eq!(kinds, ["idle", "closed"]);
    assert!(
        pings_answered >= 2,
        "the silent server answered the client's pings ({pings_answered})"
    );
    assert_eq!(summary.connections, 2);
    // The stream was reset on the reconnect: index 0 again is a fresh start, and the
    // whole stream is taken.
    assert_eq!(summary.duplicates, 0);
    assert_eq!(summary.rejected_count, 0, "{:?}", summary.rejected);
    assert_eq!(summary.accepted, 1 + frames.len());
}

/// A pipeline that takes `delay` over every frame (a writer that is behind).
struct Slow {
    pipeline: Pipeline,
    delay: Duration,
}

impl FrameSink for Slow {
    async fn frame(
        &mut self,
        frame: Bytes,
        _arrived: std::time::Instant,
    ) -> Result<Option<FrameReport>, SinkClosed> {
        // As a full queue to the writer makes the consumer wait.
        tokio::time::sleep(self.delay).await;
        Ok(Some(self.pipeline.process(&frame)))
    }
    async fn reset_stream(&mut self) -> Result<(), SinkClosed> {
        self.pipeline.reset_stream();
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_the_pipeline_is_not_silence() {
    // A flashblock every 500 ms; the consumer takes 400 ms over each, so it waits on the
    // socket about 100 ms between them: 500 ms pass between data messages, twice its
    // idle deadline, yet the socket is silent for far less. The connection ends with
    // the server's close, not "idle".
    let frames: Vec<String> = json_frames().into_iter().take(5).collect();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server_frames = frames.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        for frame in server_frames {
            ws.send(Message::text(frame)).await.unwrap();
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        ws.close(None).await.unwrap();
        while let Ok(Some(Ok(_))) = tokio::time::timeout(Duration::from_secs(20), ws.next()).await {
        }
    });
    let config = ConsumerConfig {
        idle_deadline: Duration::from_millis(250),
        read_timeout: Duration::from_secs(2),
        ..config(1)
    };
    let mut slow =
        Slow { pipeline: Pipeline::new(RuleSet::Json), delay: Duration::from_millis(400) };
    let mut kinds = Vec::new();
    let summary = tokio::time::timeout(
        Duration::from_secs(60),
        run(&format!("ws://{addr}"), &mut slow, &config, |event| {
            if let ConsumerEvent::Disconnected(why) = event {
                kinds.push(why.kind());
            }
        }),
    )
    .await
    .expect("bounded in time");
    tokio::time::timeout(Duration::from_secs(30), server).await.unwrap().unwrap();
    assert_eq!(kinds, ["closed"]);
    assert_eq!(summary.accepted, frames.len());
}
