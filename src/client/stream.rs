//! The seam where a client's byte stream is opened: plain TCP now; TLS (`https`/`wss`) plugs in here.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::target::Target;

/// A byte stream a client can speak HTTP or WebSocket over.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// A boxed [`Stream`], so plain and TLS streams share one type.
pub type BoxStream = Box<dyn Stream>;

/// How a client checks the server's certificate (read when TLS is available).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsOptions {
    /// `ssl_verify`: check the certificate chain and host name.
    pub verify: bool,
}

impl Default for TlsOptions {
    fn default() -> Self {
        TlsOptions { verify: true }
    }
}

/// Open a connection to `target` within `timeout`.
pub async fn open(target: &Target, tls: &TlsOptions, timeout: Duration) -> std::io::Result<BoxStream> {
    let connect = TcpStream::connect((target.host.as_str(), target.port));
    let tcp = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))??;
    // perf: small Socket.IO frames must not wait for Nagle's algorithm.
    tcp.set_nodelay(true)?;
    if target.secure {
        // The rustls client config (src/client/tls.rs) wraps `tcp` here once it lands.
        let _ = tls.verify;
        return Err(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "https:// and wss:// need TLS, which this build does not support yet",
        ));
    }
    Ok(Box::new(tcp))
}
