//! The `loadgen` program as a library: a steady load of signed transactions sent to a
//! local chain's JSON-RPC endpoint (the [`sequencer`](crate::sequencer) test double) at
//! a set rate, for a set time, on loopback.
//!
//! From the development keys (test tooling: [`DEV_KEYS`]), in turn: a transfer to a
//! fresh address (half of all transactions: each adds an account to the state), a
//! transfer to another development account, a transfer to a fresh address again, and a
//! call of the test contract (deployed first) that writes a storage slot and emits a
//! log. A producer thread signs them ahead of the send schedule (up to two seconds
//! ahead), so signing is not on the send path; the sender keeps `--rate` by sending what
//! is due every 5 ms, at most `--concurrency` requests in flight. At the end it waits
//! for the requests in flight and then for the chain to include what it accepted (the
//! senders' nonces), and reports what it sent, what was refused and why, the achieved
//! rate and the request latency.

use alloy_consensus::{SignableTransaction, TxEip1559};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256, U64};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use flashblocks_execute::builder::{contract_initcode, BASE_FEE, DEV_KEYS};
use jsonrpsee::{
    core::client::ClientT,
    http_client::{HttpClient, HttpClientBuilder},
    rpc_params,
};
use op_alloy_consensus::OpTxEnvelope;
use serde_json::Value;
use std::{
    collections::BTreeMap,
    fmt,
    net::IpAddr,
    sync::{mpsc, Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use tokio::sync::Semaphore;

/// The most seconds one run sends for.
pub const MAX_SECONDS: u64 = 3_600;
/// The highest rate accepted.
pub const MAX_RATE: u64 = 20_000;

/// `loadgen`'s flags.
#[derive(Clone, Debug, clap::Parser)]
#[command(
    name = "loadgen",
    about = "Sends signed transfers and contract calls to a local chain at a set rate (loopback only)"
)]
pub struct Args {
    /// The chain's JSON-RPC endpoint (loopback only).
    #[arg(long, default_value = "http://127.0.0.1:9545")]
    pub rpc: String,
    /// Transactions a second.
    #[arg(long, default_value_t = 100)]
    pub rate: u64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// The most requests in flight.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Seconds to wait, after the last send, for the chain to include what it accepted.
    #[arg(long, default_value_t = 30)]
    pub include_wait: u64,
}

/// Why a run could not go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadgenError {
    /// The endpoint is not `http://` on a loopback address.
    #[error("not a loopback http:// endpoint: {0}")]
    NotLoopback(String),
    /// `--rate` or `--seconds` is zero or above the bounds.
    #[error("rate must be 1..={MAX_RATE} and seconds 1..={MAX_SECONDS}")]
    Bounds,
    /// A request of the setup (chain id, nonces, the deployment) failed.
    #[error("{what}: {error}")]
    Setup {
        /// What was asked.
        what: &'static str,
        /// The client's error.
        error: String,
    },
}

fn setup(what: &'static str) -> impl FnOnce(jsonrpsee::core::ClientError) -> LoadgenError {
    move |error| LoadgenError::Setup { what, error: error.to_string() }
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Transactions signed.
    pub signed: u64,
    /// Seconds spent signing (on the producer thread).
    pub signing_seconds: f64,
    /// Transactions sent.
    pub sent: u64,
    /// Sends the endpoint accepted (answered with a hash).
    pub accepted: u64,
    /// Refusals and failures by message.
    pub errors: BTreeMap<String, u64>,
    /// Seconds from the first send to the last answer.
    pub elapsed: f64,
    /// Request latencies in milliseconds: p50, p99, max.
    pub latency_ms: [f64; 3],
    /// Accepted transactions the chain included (by the senders' nonces) by the end of
    /// the wait.
    pub included: u64,
    /// Seconds after the last answer until they were included (or the wait ended).
    pub include_seconds: f64,
}

impl Report {
    /// Accepted transactions a second.
    pub fn achieved_rate(&self) -> f64 {
        if self.elapsed > 0.0 {
            self.accepted as f64 / self.elapsed
        } else {
            0.0
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [p50, p99, max] = self.latency_ms;
        writeln!(
            f,
            "loadgen signed={} signing_s={:.2} (ahead of the send schedule)",
            self.signed, self.signing_seconds
        )?;
        writeln!(
            f,
            "loadgen sent={} accepted={} errors={} elapsed_s={:.2} achieved_tx_per_s={:.1} latency_ms p50={p50:.2} p99={p99:.2} max={max:.2}",
            self.sent,
            self.accepted,
            self.errors.values().sum::<u64>(),
            self.elapsed,
            self.achieved_rate(),
        )?;
        writeln!(
            f,
            "loadgen included={} of accepted={} within_s={:.2} after the last answer",
            self.included, self.accepted, self.include_seconds
        )?;
        for (message, count) in &self.errors {
            writeln!(f, "loadgen error count={count} message={message:?}")?;
        }
        Ok(())
    }
}

/// A transaction to sign: its sender (a development key's index) and what it does.
#[derive(Clone, Copy, Debug)]
enum Plan {
    ToFresh,
    ToDev,
    Call,
}

/// The plan of transaction `i`: half to fresh addresses, a quarter between development
/// accounts, a quarter contract calls.
const fn plan(i: u64) -> Plan {
    match i % 4 {
        0 | 2 => Plan::ToFresh,
        1 => Plan::ToDev,
        _ => Plan::Call,
    }
}

/// Whether `url` is `http://` on a loopback address.
fn loopback(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else { return false };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Runs the load `args` describe and reports what happened.
// The development keys are a non-empty constant: indices taken modulo their count.
#[allow(clippy::indexing_slicing)]
///
/// # Errors
///
/// [`LoadgenError`] when the endpoint is not loopback, the bounds are exceeded, or the
/// setup (chain id, nonces, the contract's deployment) fails.
pub async fn run(args: &Args) -> Result<Report, LoadgenError> {
    if !loopback(&args.rpc) {
        return Err(LoadgenError::NotLoopback(args.rpc.clone()));
    }
    if !(1..=MAX_RATE).contains(&args.rate) || !(1..=MAX_SECONDS).contains(&args.seconds) {
        return Err(LoadgenError::Bounds);
    }
    let client = HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(30))
        .max_concurrent_requests(args.concurrency.max(1) * 2)
        .build(&args.rpc)
        .map_err(setup("client"))?;
    let chain_id: U64 =
        client.request("eth_chainId", rpc_params![]).await.map_err(setup("eth_chainId"))?;
    let signers: Vec<PrivateKeySigner> =
        DEV_KEYS.iter().filter_map(|k| PrivateKeySigner::from_bytes(k).ok()).collect();
    let mut nonces = Vec::with_capacity(signers.len());
    for signer in &signers {
        nonces.push(pending_nonce(&client, signer.address()).await?);
    }
    // The contract the calls go to, deployed by the first key.
    let deployer = &signers[0];
    let contract = deployer.address().create(nonces[0]);
    let deploy = sign(
        deployer,
        chain_id.to(),
        nonces[0],
        TxKind::Create,
        U256::ZERO,
        contract_initcode(),
        200_000,
    );
    let hash: B256 = client
        .request("eth_sendRawTransaction", rpc_params![deploy])
        .await
        .map_err(setup("the contract's deployment"))?;
    nonces[0] += 1;
    wait_for_receipt(&client, hash).await?;
    let start_nonces = nonces.clone();

    // The producer: signs ahead of the schedule, at most two seconds' worth.
    let total = args.rate * args.seconds;
    let (txs, signed) = mpsc::sync_channel::<Bytes>(usize::try_from(args.rate * 2).unwrap_or(1));
    let signing = Arc::new(Mutex::new((0u64, 0f64)));
    let producer = {
        let (signers, signing, chain_id) = (signers.clone(), Arc::clone(&signing), chain_id.to());
        let salt = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        std::thread::spawn(move || {
            let mut nonces = nonces;
            let mut spent = Duration::ZERO;
            let mut count = 0;
            for i in 0..total {
                let started = Instant::now();
                let k = (i as usize) % signers.len();
                let signer = &signers[k];
                let nonce = nonces[k];
                nonces[k] += 1;
                let value = U256::from(1_000_000_000u64);
                let raw = match plan(i) {
                    Plan::ToFresh => {
                        let to = Address::from_word(keccak256(
                            [salt.to_be_bytes().as_slice(), &i.to_be_bytes()].concat(),
                        ));
                        sign(signer, chain_id, nonce, TxKind::Call(to), value, Bytes::new(), 21_000)
                    }
                    Plan::ToDev => {
                        let to = signers[(k + 1) % signers.len()].address();
                        sign(signer, chain_id, nonce, TxKind::Call(to), value, Bytes::new(), 21_000)
                    }
                    Plan::Call => {
                        let word = U256::from(i + 1).to_be_bytes::<32>().to_vec();
                        let to = TxKind::Call(contract);
                        sign(signer, chain_id, nonce, to, U256::ZERO, Bytes::from(word), 60_000)
                    }
                };
                spent += started.elapsed();
                count += 1;
                if txs.send(raw).is_err() {
                    break;
                }
            }
            *signing.lock().unwrap_or_else(std::sync::PoisonError::into_inner) =
                (count, spent.as_secs_f64());
        })
    };
    // Start once a second's worth (or all) is signed.
    let ready = Instant::now();
    let mut buffer: Vec<Bytes> = Vec::new();
    while (buffer.len() as u64) < args.rate.min(total) && ready.elapsed() < Duration::from_secs(60)
    {
        match signed.recv_timeout(Duration::from_millis(100)) {
            Ok(raw) => buffer.push(raw),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    let mut buffer = buffer.into_iter();

    let stats = Arc::new(Mutex::new((BTreeMap::<String, u64>::new(), Vec::<f64>::new(), 0u64)));
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = 0u64;
    let mut tasks = tokio::task::JoinSet::new();
    let deadline = Duration::from_secs(args.seconds);
    while sent < total && started.elapsed() < deadline + Duration::from_secs(5) {
        tick.tick().await;
        let due = ((started.elapsed().as_secs_f64() * args.rate as f64) as u64).min(total);
        while sent < due {
            let raw = match buffer.next() {
                Some(raw) => raw,
                None => match signed.try_recv() {
                    Ok(raw) => raw,
                    // Signing is behind: the rate says so.
                    Err(_) => break,
                },
            };
            sent += 1;
            let (client, stats, permits) =
                (client.clone(), Arc::clone(&stats), Arc::clone(&permits));
            tasks.spawn(async move {
                let Ok(_permit) = permits.acquire_owned().await else { return };
                let t = Instant::now();
                let answer: Result<B256, _> =
                    client.request("eth_sendRawTransaction", rpc_params![raw]).await;
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let mut stats = stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                stats.1.push(ms);
                match answer {
                    Ok(_) => stats.2 += 1,
                    Err(err) => *stats.0.entry(short(&err.to_string())).or_default() += 1,
                }
            });
        }
        // Reap finished sends (bounded memory).
        while tasks.try_join_next().is_some() {}
    }
    drop(signed);
    let _ = tokio::time::timeout(Duration::from_secs(60), async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    let elapsed = started.elapsed().as_secs_f64();
    let _ = producer.join();
    let (errors, mut latencies, accepted) = {
        let stats = stats.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        stats.clone()
    };
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * q).round().max(0.0) as usize)
            .copied()
            .unwrap_or_default()
    };
    // Inclusion: the senders' nonces at `latest`, until they cover what was accepted.
    let waited = Instant::now();
    let included = loop {
        let mut now = 0;
        for (signer, start) in signers.iter().zip(&start_nonces) {
            let n: U64 = client
                .request("eth_getTransactionCount", rpc_params![signer.address(), "latest"])
                .await
                .map_err(setup("eth_getTransactionCount"))?;
            now += n.to::<u64>().saturating_sub(*start);
        }
        if now >= accepted || waited.elapsed() > Duration::from_secs(args.include_wait) {
            break now;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (signed, signing_seconds) =
        *signing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Report {
        signed,
        signing_seconds,
        sent,
        accepted,
        errors,
        elapsed,
        latency_ms: [at(0.5), at(0.99), at(1.0)],
        included,
        include_seconds: waited.elapsed().as_secs_f64(),
    })
}

/// An error's message, bounded (a hostile endpoint cannot grow the table's keys).
fn short(message: &str) -> String {
    message.chars().take(120).collect()
}

async fn pending_nonce(client: &HttpClient, address: Address) -> Result<u64, LoadgenError> {
    let n: U64 = client
        .request("eth_getTransactionCount", rpc_params![address, "pending"])
        .await
        .map_err(setup("eth_getTransactionCount"))?;
    Ok(n.to())
}

async fn wait_for_receipt(client: &HttpClient, hash: B256) -> Result<(), LoadgenError> {
    for _ in 0..300 {
        let receipt: Value = client
            .request("eth_getTransactionReceipt", rpc_params![hash])
            .await
            .map_err(setup("the deployment's receipt"))?;
        if !receipt.is_null() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(LoadgenError::Setup { what: "the deployment's receipt", error: "none in 30 s".into() })
}

/// A signed EIP-1559 transaction.
fn sign(
    signer: &PrivateKeySigner,
    chain_id: u64,
    nonce: u64,
    to: TxKind,
    value: U256,
    input: Bytes,
    gas_limit: u64,
) -> Bytes {
    let tx = TxEip1559 {
        chain_id,
        nonce,
        gas_limit,
        max_fee_per_gas: u128::from(BASE_FEE) * 2,
        max_priority_fee_per_gas: 1_000,
        to,
        value,
        access_list: Default::default(),
        input,
    };
    // Signing a hash with an in-memory key does not fail.
    let Ok(signature) = signer.sign_hash_sync(&tx.signature_hash()) else { return Bytes::new() };
    let envelope: OpTxEnvelope = tx.into_signed(signature).into();
    Bytes::from(envelope.encoded_2718())
}

#[cfg(test)]
mod tests {
    use super::loopback;

    #[test]
    fn only_loopback_http_endpoints() {
        for ok in
            ["http://127.0.0.1:9545", "http://localhost:1/", "http://[::1]:80", "http://127.1.2.3"]
        {
            assert!(loopback(ok), "{ok}");
        }
        for no in
            ["https://127.0.0.1", "http://10.0.0.1:9545", "http://example.com", "ws://127.0.0.1"]
        {
            assert!(!loopback(no), "{no}");
        }
    }
}
