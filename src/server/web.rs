//! Requests outside the Engine.IO path, handed to the web app the server hosts beside Socket.IO (an ASGI app such
//! as `FastAPI`, under `turbosio.run`).
//!
//! The driver reads the request (body bounded), gives it to a [`WebApp`] together with a channel, and streams
//! whatever response parts come back. The bindings implement [`WebApp`] by queueing the request for Python, so
//! no tokio thread waits on Python: the response arrives through the channel when the app sends it.

use std::net::SocketAddr;

use bytes::Bytes;
use tokio::sync::mpsc::UnboundedSender;

/// Headers as ASGI carries them: lower-case names and values as bytes.
pub type RawHeaders = Vec<(Vec<u8>, Vec<u8>)>;

/// One HTTP request for the web app.
#[derive(Debug)]
pub struct WebRequest {
    /// HTTP method.
    pub method: String,
    /// Path, percent-decoded as ASGI wants it.
    pub path: String,
    /// The path as received.
    pub raw_path: String,
    /// Raw query string.
    pub query: String,
    /// Request headers.
    pub headers: RawHeaders,
    /// The whole request body.
    pub body: Bytes,
    /// The peer.
    pub remote: Option<SocketAddr>,
}

/// A piece of the web app's answer, in ASGI order: one `Start`, then `Body` parts until one says `more: false`.
#[derive(Debug)]
pub enum WebResponsePart {
    /// Status and headers.
    Start {
        /// HTTP status.
        status: u16,
        /// Response headers.
        headers: RawHeaders,
    },
    /// A body chunk.
    Body {
        /// The chunk.
        data: Bytes,
        /// Whether more chunks follow.
        more: bool,
    },
}

/// The web app behind the native server. `respond` receives the response parts; dropping it early ends the
/// response (a 500 when nothing was started).
pub trait WebApp: Send + Sync {
    /// Take one request.
    fn handle(&self, request: WebRequest, respond: UnboundedSender<WebResponsePart>);
}

/// Largest request body handed to the web app; larger ones are answered 413 before they are buffered.
pub const MAX_WEB_BODY: usize = 64 * 1024 * 1024;
