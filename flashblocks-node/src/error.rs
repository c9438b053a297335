//! [`Error`]: why the node could not start (its flags, a socket, the upstream, the
//! metrics exporter).

use jsonrpsee::server::RegisterMethodError;
use tokio_tungstenite::tungstenite;

/// Why the node's setup or IO failed. Each variant's text includes its cause's, which is
/// therefore not repeated as a `source`. Frames that do not decode are not errors here:
/// the pipeline reports them as rejections, with their rule id, and goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Binding or reading a socket or file failed.
    #[error("io: {0}")]
    Io(std::io::Error),
    /// A JSON-RPC method was registered twice (a bug).
    #[error("registering JSON-RPC methods: {0}")]
    RegisterMethod(RegisterMethodError),
    /// A GET route of the server is malformed (a bug).
    #[error("server route: {0}")]
    Route(jsonrpsee::server::middleware::http::ProxyGetRequestError),
    /// The Prometheus exporter could not start (its address, or a second recorder).
    #[error("metrics exporter: {0}")]
    Metrics(metrics_exporter_prometheus::BuildError),
    /// The canonical upstream could not be reached (or its URL is not `http(s)://` or
    /// `ws(s)://`).
    #[error("{0}")]
    Upstream(crate::upstream::UpstreamError),
    /// Flags that do not go together (e.g. `--chain` without `--upstream`).
    #[error("usage: {0}")]
    Usage(&'static str),
    /// The websocket failed (connecting, the handshake, reading or writing).
    #[error("websocket: {0}")]
    Websocket(Box<tungstenite::Error>),
    /// `eth_sendRawTransaction*` with a post-exec transaction (type `0x7D`, Lagoon): the
    /// sequencer makes it for its block, no user sends one. Answered as JSON-RPC error
    /// -32000 with the transaction hash as `data`, never forwarded.
    #[error("transaction type not supported: a post-exec transaction (0x7d) is made by the sequencer, never sent")]
    PostExecNotSendable {
        /// The transaction's hash (keccak-256 of the bytes sent).
        hash: alloy_primitives::TxHash,
    },
}

impl From<tungstenite::Error> for Error {
    fn from(err: tungstenite::Error) -> Self {
        Self::Websocket(Box::new(err))
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

impl From<RegisterMethodError> for Error {
    fn from(err: RegisterMethodError) -> Self {
        Self::RegisterMethod(err)
    }
}

impl From<jsonrpsee::server::middleware::http::ProxyGetRequestError> for Error {
    fn from(err: jsonrpsee::server::middleware::http::ProxyGetRequestError) -> Self {
        Self::Route(err)
    }
}

impl From<metrics_exporter_prometheus::BuildError> for Error {
    fn from(err: metrics_exporter_prometheus::BuildError) -> Self {
        Self::Metrics(err)
    }
}
