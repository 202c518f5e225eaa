//! What can go wrong for one simulated client. Each variant names the fault; the scenario decides whether it is
//! a correctness failure (every error is, under `--check`).

use std::fmt;

/// One client's failure.
#[derive(Debug)]
pub(crate) enum ClientError {
    /// The TCP connection could not be made.
    Connect(std::io::Error),
    /// The WebSocket layer failed (handshake, framing, I/O).
    WebSocket(tokio_tungstenite::tungstenite::Error),
    /// An HTTP request of the polling transport failed.
    Http(String),
    /// The server answered something the Engine.IO / Socket.IO specs don't allow at that point.
    Protocol(String),
    /// The server refused the Socket.IO CONNECT (`44`).
    ConnectRefused(String),
    /// The server closed the session.
    Closed,
    /// Nothing arrived in time.
    Timeout(&'static str),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "tcp connect: {e}"),
            Self::WebSocket(e) => write!(f, "websocket: {e}"),
            Self::Http(e) => write!(f, "http: {e}"),
            Self::Protocol(e) => write!(f, "protocol: {e}"),
            Self::ConnectRefused(e) => write!(f, "connect refused: {e}"),
            Self::Closed => f.write_str("closed by the server"),
            Self::Timeout(what) => write!(f, "timed out waiting for {what}"),
        }
    }
}

impl From<tokio_tungstenite::tungstenite::Error> for ClientError {
    fn from(e: tokio_tungstenite::tungstenite::Error) -> Self {
        match e {
            tokio_tungstenite::tungstenite::Error::ConnectionClosed => Self::Closed,
            other => Self::WebSocket(other),
        }
    }
}

impl From<hyper::Error> for ClientError {
    fn from(e: hyper::Error) -> Self {
        Self::Http(e.to_string())
    }
}

/// Counts errors and keeps a few distinct messages for the report.
#[derive(Debug, Default)]
pub(crate) struct ErrorLog {
    count: u64,
    samples: Vec<String>,
}

impl ErrorLog {
    const MAX_SAMPLES: usize = 5;

    pub(crate) fn record(&mut self, context: &str, error: &ClientError) {
        self.record_message(format!("{context}: {error}"));
    }

    pub(crate) fn record_message(&mut self, message: String) {
        self.count += 1;
        if self.samples.len() < Self::MAX_SAMPLES && !self.samples.contains(&message) {
            self.samples.push(message);
        }
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn samples(&self) -> &[String] {
        &self.samples
    }
}
