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

/// A WebSocket message's payload, either way.
#[derive(Debug)]
pub enum WebSocketData {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// What the web app does with one of its WebSocket connections, in ASGI order: `Accept` or `Deny` first, then
/// `Send`s, then `Close`.
#[derive(Debug)]
pub enum WebSocketCommand {
    /// Complete the handshake.
    Accept {
        /// The subprotocol chosen among the client's, if any.
        subprotocol: Option<String>,
        /// Extra response headers.
        headers: RawHeaders,
    },
    /// Refuse the handshake with this HTTP status.
    Deny {
        /// HTTP status (403 when the app closes before accepting).
        status: u16,
    },
    /// Send a message.
    Send(WebSocketData),
    /// Close with this code and reason.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// The web app behind the native server. `respond` receives the response parts; dropping it early ends the
/// response (a 500 when nothing was started).
pub trait WebApp: Send + Sync {
    /// Take one request.
    fn handle(&self, request: WebRequest, respond: UnboundedSender<WebResponsePart>);

    /// Take a WebSocket request (its body is empty); the app answers on `commands`. Returns the connection's
    /// token, which names it in [`WebApp::websocket_message`] and [`WebApp::websocket_gone`].
    fn open_websocket(&self, request: WebRequest, commands: UnboundedSender<WebSocketCommand>) -> u64;

    /// A message arrived on an accepted WebSocket.
    fn websocket_message(&self, token: u64, data: WebSocketData);

    /// The WebSocket ended (the client closed with `code`, or the connection dropped: 1006); no command is taken
    /// for it any more.
    fn websocket_gone(&self, token: u64, code: u16);

    /// Ready when the app keeps up with what was handed to it; drivers stop reading from clients meanwhile.
    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()>;
}

/// Largest WebSocket message the web app is handed (uvicorn's default); a larger one closes the connection (1009).
pub const MAX_WEB_SOCKET_MESSAGE: usize = 16 * 1024 * 1024;

/// Largest request body handed to the web app; larger ones are answered 413 before they are buffered.
pub const MAX_WEB_BODY: usize = 64 * 1024 * 1024;
