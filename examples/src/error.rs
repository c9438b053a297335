//! [`Error`]: why a capture, the simulation, the server or the websocket failed.

use flashblocks_assemble::AssembleError;
#[cfg(feature = "io")]
use jsonrpsee::server::RegisterMethodError;
#[cfg(feature = "io")]
use tokio_tungstenite::tungstenite;

/// Why an example's IO or setup failed. Each variant's text includes its cause's, which is
/// therefore not repeated as a `source`. Frames that do not decode are not errors here:
/// the pipeline reports them as rejections, with their rule id, and goes on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A length-prefixed file ends inside a length prefix or a frame.
    #[error("truncated at byte {offset}: frame {frame} needs {needed} bytes, {available} left")]
    Truncated {
        /// Index of the frame being read.
        frame: usize,
        /// Byte offset where it starts.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes left.
        available: usize,
    },
    /// A capture that is empty or blank.
    #[error("empty capture")]
    EmptyCapture,
    /// A capture that starts as a JSON array or object but is not valid JSON.
    #[error("{format} capture is not valid JSON: {error}")]
    CaptureJson {
        /// The format its first byte announced.
        format: &'static str,
        /// The parser's error (line and column included; in the text, not repeated as a
        /// `source`).
        error: serde_json::Error,
    },
    /// The assembler's chain maker refused a simulated block's base.
    #[error("block hash chain maker: {0}")]
    Assemble(AssembleError),
    /// Signing a simulated transaction failed.
    #[error("signing: {0}")]
    Sign(alloy_signer::Error),
    /// Binding or reading a socket or file failed.
    #[error("io: {0}")]
    Io(std::io::Error),
    /// A JSON-RPC method was registered twice (a bug).
    #[cfg(feature = "io")]
    #[error("registering JSON-RPC methods: {0}")]
    RegisterMethod(RegisterMethodError),
    /// A GET route of the server is malformed (a bug).
    #[cfg(feature = "io")]
    #[error("server route: {0}")]
    Route(jsonrpsee::server::middleware::http::ProxyGetRequestError),
    /// The node library failed (flags, the upstream, the metrics exporter, the server).
    #[cfg(feature = "io")]
    #[error("{0}")]
    Node(flashblocks_node::Error),
    /// The websocket failed (connecting, the handshake, reading or writing).
    #[cfg(feature = "io")]
    #[error("websocket: {0}")]
    Websocket(Box<tungstenite::Error>),
}

#[cfg(feature = "io")]
impl From<tungstenite::Error> for Error {
    fn from(err: tungstenite::Error) -> Self {
        Self::Websocket(Box::new(err))
    }
}

impl From<AssembleError> for Error {
    fn from(err: AssembleError) -> Self {
        Self::Assemble(err)
    }
}

impl From<alloy_signer::Error> for Error {
    fn from(err: alloy_signer::Error) -> Self {
        Self::Sign(err)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Self::Io(err)
    }
}

#[cfg(feature = "io")]
impl From<RegisterMethodError> for Error {
    fn from(err: RegisterMethodError) -> Self {
        Self::RegisterMethod(err)
    }
}

#[cfg(feature = "io")]
impl From<jsonrpsee::server::middleware::http::ProxyGetRequestError> for Error {
    fn from(err: jsonrpsee::server::middleware::http::ProxyGetRequestError) -> Self {
        Self::Route(err)
    }
}

#[cfg(feature = "io")]
impl From<flashblocks_node::Error> for Error {
    fn from(err: flashblocks_node::Error) -> Self {
        Self::Node(err)
    }
}
