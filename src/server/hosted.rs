//! Hosted direction, sans-hyper half: turbosio hosts the user's web app (an ASGI or WSGI app such as `FastAPI` or
//! Flask, under `turbosio.run`) and hands it every request outside the Engine.IO path.
//!
//! The driver gives the request to a [`HostedApp`] together with a channel (the body follows in pieces), and streams
//! whatever response parts come back. The bindings implement [`HostedApp`] by queueing the request for Python, so
//! no tokio thread waits on Python: the response arrives through the channel when the app sends it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::Waker;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::{Semaphore, watch};

/// Headers as ASGI carries them: lower-case names and values as bytes.
pub type RawHeaders = Vec<(Vec<u8>, Vec<u8>)>;

/// One HTTP request for the web app.
#[derive(Debug)]
pub struct HostedRequest {
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
    /// The request body when it is already whole (no body, or a WebSocket request); otherwise empty, and the body
    /// follows in pieces through [`HostedApp::request_body`].
    pub body: Bytes,
    /// Whether more of the body follows.
    pub more_body: bool,
    /// The peer.
    pub remote: Option<SocketAddr>,
    /// Whether the request came over TLS (the app's scheme is then `https` / `wss`).
    pub secure: bool,
}

/// A piece of the web app's answer, in ASGI order: one `Start`, then `Body` parts until one says `more: false`.
#[derive(Debug)]
pub enum HostedResponsePart {
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
pub enum HostedWebSocketData {
    /// A text message.
    Text(String),
    /// A binary message.
    Binary(Bytes),
}

/// What the web app does with one of its WebSocket connections, in ASGI order: `Accept` or `Deny` first, then
/// `Send`s, then `Close`.
#[derive(Debug)]
pub enum HostedWebSocketCommand {
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
    Send(HostedWebSocketData),
    /// Close with this code and reason.
    Close {
        /// WebSocket close code.
        code: u16,
        /// Close reason.
        reason: String,
    },
}

/// The web app behind the native server. `respond` receives the response parts; dropping it early ends the
/// response (a 500 when nothing was started, a cut-off body otherwise).
pub trait HostedApp: Send + Sync {
    /// Take one request. Returns its token and flow control: the response's backlog, which the driver drains as
    /// it writes body chunks, and the credit for the request body's pieces.
    fn handle(&self, request: HostedRequest, respond: UnboundedSender<HostedResponsePart>) -> (u64, Arc<ExchangeFlow>);

    /// A piece of the request body that [`HostedApp::handle`] announced (`more_body`).
    fn request_body(&self, token: u64, piece: BodyPiece);

    /// Take a WebSocket request (its body is empty); the app answers on `commands`. Returns the connection's
    /// token, which names it in [`HostedApp::websocket_message`] and [`HostedApp::websocket_gone`], and its flow control.
    fn open_websocket(
        &self,
        request: HostedRequest,
        commands: UnboundedSender<HostedWebSocketCommand>,
    ) -> (u64, Arc<HostedWebSocketFlow>);

    /// A message arrived on an accepted WebSocket.
    fn websocket_message(&self, token: u64, data: HostedWebSocketData);

    /// The WebSocket ended (the client closed with `code`, or the connection dropped: 1006); no command is taken
    /// for it any more.
    fn websocket_gone(&self, token: u64, code: u16);

    /// Ready when the app keeps up with what was handed to it; drivers stop reading from clients meanwhile.
    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()>;
}

/// What the app has sent on one response or WebSocket and the driver has not written to the client yet. Python's
/// side cannot block in the call that hands data over (that would hold the event loop), so the call says when the
/// backlog passed its high mark, and the sender then waits on [`Backlog::register`] until it is back down.
#[derive(Debug)]
pub struct Backlog {
    pending: AtomicUsize,
    high: usize,
    low: usize,
    /// Every waiting sender (an app may send from several tasks at once), and whether the connection ended.
    waiters: Mutex<(Vec<Waker>, bool)>,
}

impl Backlog {
    /// A backlog whose sender waits past `high` units until `low` are left.
    pub fn new(high: usize, low: usize) -> Self {
        Self {
            pending: AtomicUsize::new(0),
            high,
            low,
            waiters: Mutex::new((Vec::new(), false)),
        }
    }

    /// The app handed `n` units over; true when it should wait before handing more.
    pub fn added(&self, n: usize) -> bool {
        self.pending.fetch_add(n, Ordering::AcqRel) + n > self.high
    }

    /// The driver wrote (or dropped) `n` units.
    pub fn removed(&self, n: usize) {
        let before = self
            .pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |p| Some(p.saturating_sub(n)))
            .unwrap_or_default();
        if before.saturating_sub(n) <= self.low {
            self.wake_all();
        }
    }

    /// The connection ended: wake every waiting sender (its next hand-over fails) and let no one wait any more.
    pub fn close(&self) {
        self.waiters.lock().1 = true;
        self.wake_all();
    }

    fn wake_all(&self) {
        let waiters = std::mem::take(&mut self.waiters.lock().0);
        for waker in waiters {
            waker.wake();
        }
    }

    /// Register `waker` for when the backlog is down to its low mark; false if it already is, or the connection
    /// ended (the caller goes on at once; a waker left registered then only fires a wake-up nobody waits for).
    pub fn register(&self, waker: Waker) -> bool {
        {
            let mut waiters = self.waiters.lock();
            if waiters.1 || self.pending.load(Ordering::Acquire) <= self.low {
                return false;
            }
            waiters.0.push(waker);
        }
        // The driver may have drained, or the connection ended, between the check and the registration.
        !(self.waiters.lock().1 || self.pending.load(Ordering::Acquire) <= self.low)
    }
}

/// Flow control of one of the web app's WebSocket connections, so neither a client that floods nor one that stops
/// reading makes the server buffer without bound.
#[derive(Debug)]
pub struct HostedWebSocketFlow {
    /// Messages the driver may still hand over before the app reads some: the driver takes a permit per message,
    /// the app's `receive` gives it back. The driver stops reading from the client meanwhile.
    pub inbound_credit: Semaphore,
    /// The app's messages not yet written, counted in messages.
    pub outbound: Backlog,
}

/// Messages handed to the app and not yet read by it, at most (uvicorn's queue holds 32 as well).
pub const HOSTED_WEBSOCKET_INBOUND_CREDIT: usize = 32;
/// Unwritten messages past which the app's `send` waits, and the number at which it goes on.
const HOSTED_WEBSOCKET_BACKLOG: (usize, usize) = (256, 64);
/// Unwritten response bytes past which the app's next body chunk waits, and the number at which it goes on.
const RESPONSE_BACKLOG: (usize, usize) = (1 << 20, 256 << 10);

impl Default for HostedWebSocketFlow {
    fn default() -> Self {
        Self {
            inbound_credit: Semaphore::new(HOSTED_WEBSOCKET_INBOUND_CREDIT),
            outbound: Backlog::new(HOSTED_WEBSOCKET_BACKLOG.0, HOSTED_WEBSOCKET_BACKLOG.1),
        }
    }
}

/// Flow control of one request and its response.
#[derive(Debug)]
pub struct ExchangeFlow {
    /// The response's unwritten bytes.
    pub response: Backlog,
    /// Body pieces the driver may still read before the app takes some: one permit per piece, given back as the
    /// app reads it.
    pub request_credit: Semaphore,
    /// Set once the exchange is over (answered, aborted, or the client left): the driver stops reading the body.
    pub ended: watch::Sender<bool>,
}

impl ExchangeFlow {
    /// The exchange is over.
    pub fn end(&self) {
        self.ended.send_replace(true);
    }
}

/// Request body pieces read ahead of the app, at most.
pub const REQUEST_BODY_CREDIT: usize = 16;

impl Default for ExchangeFlow {
    fn default() -> Self {
        Self {
            response: Backlog::new(RESPONSE_BACKLOG.0, RESPONSE_BACKLOG.1),
            request_credit: Semaphore::new(REQUEST_BODY_CREDIT),
            ended: watch::channel(false).0,
        }
    }
}

/// A piece of a request body on its way to the app.
#[derive(Debug)]
pub enum BodyPiece {
    /// Data; more follows.
    Data(Bytes),
    /// The body is complete.
    End,
    /// The body will not complete: the client left, or sent a malformed body.
    Broken,
}

/// Largest WebSocket message the web app is handed (uvicorn's default); a larger one closes the connection (1009).
pub const MAX_HOSTED_WEBSOCKET_MESSAGE: usize = 16 * 1024 * 1024;
