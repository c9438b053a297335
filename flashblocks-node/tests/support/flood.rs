//! The storage flood over a websocket, against a consumer program in its own process:
//! a loopback server sends V1 SSZ index-0 frames of one account's storage slots
//! (ever-new block numbers, no canonical head) and reads the program's memory from
//! `/proc/<pid>/status` (Linux): `VmHWM`, its peak, and `VmRSS`.
//!
//! The plan, each step waiting for the program's next connection (so that it has taken
//! everything before it): one small frame, then the baseline (the program's `VmHWM`);
//! `first` large frames; a reconnect and `second` more; the program's peak once it has
//! taken them. Every connection is closed by the server, which the program answers by
//! reconnecting. Shared by the node's test (`tests/flood.rs`, scaled down) and the
//! `storage_flood_ws` example (full size).

use flashblocks_overlay::fuzz::hostile::slot_flood_frame;
use futures_util::SinkExt;
use std::{
    net::SocketAddr,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

/// What to send.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Storage slots in each large frame (64 bytes each on the wire).
    pub(crate) slots: usize,
    /// Large frames on the first connection after the baseline.
    pub(crate) first: u64,
    /// Large frames after the reconnect.
    pub(crate) second: u64,
    /// How long to wait after the program's last reconnect before reading its peak (the
    /// node's writer may still be taking in its queue).
    pub(crate) settle: Duration,
    /// The longest the whole run may take: past it the run stops with an error.
    pub(crate) deadline: Duration,
}

/// A `/proc/<pid>/status` reading, in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Memory {
    /// `VmRSS`: resident now.
    pub(crate) rss: usize,
    /// `VmHWM`: the peak resident size so far.
    pub(crate) hwm: usize,
}

/// What the run measured.
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    /// The size of one large frame.
    pub(crate) frame_len: usize,
    /// The program's peak after it connected and took one small frame.
    pub(crate) baseline: usize,
    /// The readings after each large frame was sent: (frames sent, memory).
    pub(crate) samples: Vec<(u64, Memory)>,
    /// The reading at the end, once the program took every frame.
    pub(crate) end: Memory,
    /// Connections the program made (the last one only tells that it took the rest).
    pub(crate) connections: usize,
}

/// Reads `/proc/<pid>/status`.
pub(crate) fn memory(pid: u32) -> Memory {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<usize>().ok())
            .map_or(0, |kib| kib * 1024)
    };
    Memory { rss: field("VmRSS"), hwm: field("VmHWM") }
}

/// The program, killed (by its id: only the process this run started) when dropped.
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs `plan` against `program`, started with `args` where each `{url}` is the
/// server's `ws://` address. `on_sample` sees each reading as it is taken.
///
/// # Errors
///
/// A description of what failed: binding, starting the program, the program exiting or
/// not connecting in time, a send failing, the deadline.
pub(crate) async fn run(
    program: &str,
    args: &[String],
    plan: Plan,
    mut on_sample: impl FnMut(u64, Memory),
) -> Result<Report, String> {
    let started = Instant::now();
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("bind: {e}"))?;
    let url = format!("ws://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let child = Command::new(program)
        .args(args.iter().map(|a| a.replace("{url}", &url)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start {program}: {e}"))?;
    let mut child = Program(child);
    let pid = child.0.id();
    let mut report =
        Report { frame_len: slot_flood_frame(2, plan.slots).len(), ..Report::default() };
    let deadline = started + plan.deadline;

    let mut ws = accept(&listener, &mut child, &mut report, deadline).await?;
    send(&mut ws, slot_flood_frame(1, 10), deadline).await?;
    ws.close(None).await.map_err(|e| format!("close: {e}"))?;
    drop(ws);
    let mut ws = accept(&listener, &mut child, &mut report, deadline).await?;
    // The node's writer may still be applying the small frame.
    tokio::time::sleep(plan.settle).await;
    report.baseline = memory(pid).hwm;

    let mut number = 1;
    for part in [plan.first, plan.second] {
        for _ in 0..part {
            number += 1;
            send(&mut ws, slot_flood_frame(number, plan.slots), deadline).await?;
            let sent = number - 1;
            let reading = memory(pid);
            on_sample(sent, reading);
            report.samples.push((sent, reading));
        }
        ws.close(None).await.map_err(|e| format!("close: {e}"))?;
        drop(ws);
        ws = accept(&listener, &mut child, &mut report, deadline).await?;
    }
    tokio::time::sleep(plan.settle).await;
    report.end = memory(pid);
    if let Ok(Some(status)) = child.0.try_wait() {
        return Err(format!("the program exited: {status}"));
    }
    drop(ws);
    drop(child);
    Ok(report)
}

type Socket = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// Accepts the program's next connection: it has taken everything sent before.
async fn accept(
    listener: &TcpListener,
    child: &mut Program,
    report: &mut Report,
    deadline: Instant,
) -> Result<Socket, String> {
    let wait = deadline.saturating_duration_since(Instant::now());
    let accepted = tokio::time::timeout(wait, listener.accept()).await;
    if let Ok(Some(status)) = child.0.try_wait() {
        return Err(format!("the program exited: {status}"));
    }
    let (tcp, _) = accepted
        .map_err(|_| "the program did not connect before the deadline".to_string())?
        .map_err(|e| format!("accept: {e}"))?;
    let ws = tokio_tungstenite::accept_async(tcp).await.map_err(|e| format!("handshake: {e}"))?;
    report.connections += 1;
    Ok(ws)
}

/// Sends one binary message, by the deadline.
async fn send(ws: &mut Socket, frame: Vec<u8>, deadline: Instant) -> Result<(), String> {
    let wait = deadline.saturating_duration_since(Instant::now());
    tokio::time::timeout(wait, ws.send(Message::binary(frame)))
        .await
        .map_err(|_| "the deadline passed while sending".to_string())?
        .map_err(|e| format!("send: {e}"))
}
