//! Requests outside the Engine.IO path, handed to the web app the server hosts beside Socket.IO (an ASGI app such
//! as `FastAPI`, under `turbosio.run`).
//!
//! The driver reads the request (body bounded), gives it to a [`WebApp`] together with a channel, and streams
//! whatever response parts come back. The bindings implement [`WebApp`] by queueing the request for Python, so
//! no tokio thread waits on Python: the response arrives through the channel when the app sends it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Semaphore;
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
    /// token, which names it in [`WebApp::websocket_message`] and [`WebApp::websocket_gone`], and its flow control.
    fn open_websocket(
        &self,
        request: WebRequest,
        commands: UnboundedSender<WebSocketCommand>,
    ) -> (u64, Arc<WebSocketFlow>);

    /// A message arrived on an accepted WebSocket.
    fn websocket_message(&self, token: u64, data: WebSocketData);

    /// The WebSocket ended (the client closed with `code`, or the connection dropped: 1006); no command is taken
    /// for it any more.
    fn websocket_gone(&self, token: u64, code: u16);

    /// Ready when the app keeps up with what was handed to it; drivers stop reading from clients meanwhile.
    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()>;
}

/// Flow control of one of the web app's WebSocket connections, shared by the driver and the bindings, so neither
/// a client that floods nor one that stops reading makes the server buffer without bound.
#[derive(Debug)]
pub struct WebSocketFlow {
    /// Messages the driver may still hand over before the app reads some: the driver takes a permit per message,
    /// the app's `receive` gives it back. The driver stops reading from the client meanwhile.
    pub inbound_credit: Semaphore,
    /// Messages the app has sent that the driver has not written to the client yet.
    pub outbound_backlog: AtomicUsize,
    /// Woken once the backlog is back down to [`WEB_SOCKET_BACKLOG_LOW`] (or the connection ends); the app's
    /// `send` waits on it after the backlog passed [`WEB_SOCKET_BACKLOG_HIGH`].
    pub drained: Mutex<Option<Waker>>,
}

/// Messages handed to the app and not yet read by it, at most.
pub const WEB_SOCKET_INBOUND_CREDIT: usize = 64;
/// Unwritten messages past which the app's `send` waits.
pub const WEB_SOCKET_BACKLOG_HIGH: usize = 256;
/// Unwritten messages at which a waiting `send` goes on.
pub const WEB_SOCKET_BACKLOG_LOW: usize = 64;

impl Default for WebSocketFlow {
    fn default() -> Self {
        Self {
            inbound_credit: Semaphore::new(WEB_SOCKET_INBOUND_CREDIT),
            outbound_backlog: AtomicUsize::new(0),
            drained: Mutex::new(None),
        }
    }
}

impl WebSocketFlow {
    /// The driver wrote one of the app's messages.
    pub fn sent_one(&self) {
        if self.outbound_backlog.fetch_sub(1, Ordering::AcqRel) <= WEB_SOCKET_BACKLOG_LOW + 1 {
            self.wake_sender();
        }
    }

    /// Let a waiting `send` go on (the backlog drained, or the connection ended).
    pub fn wake_sender(&self) {
        if let Some(waker) = self.drained.lock().take() {
            waker.wake();
        }
    }
}

/// Largest WebSocket message the web app is handed (uvicorn's default); a larger one closes the connection (1009).
pub const MAX_WEB_SOCKET_MESSAGE: usize = 16 * 1024 * 1024;

/// Largest request body handed to the web app; larger ones are answered 413 before they are buffered.
pub const MAX_WEB_BODY: usize = 64 * 1024 * 1024;
