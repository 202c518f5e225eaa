//! What the engine tells the layer above (the Python bindings): connections, messages, acks and disconnects.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;

use super::sid::{EioSid, Sid};

/// Transport of an Engine.IO session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// HTTP long-polling.
    Polling,
    /// WebSocket.
    WebSocket,
}

impl Transport {
    /// The name used in URLs and by python-engineio (`'polling'`, `'websocket'`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Polling => "polling",
            Self::WebSocket => "websocket",
        }
    }
}

/// Why a socket or session ended; the texts are python-socketio's `Server.reason` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisconnectReason {
    /// The client asked (Socket.IO disconnect packet or Engine.IO close packet).
    ClientDisconnect,
    /// The server asked (`disconnect()`, shutdown).
    ServerDisconnect,
    /// No pong within `pingTimeout`.
    PingTimeout,
    /// The connection went away.
    TransportClose,
    /// The client broke the protocol, sent too much, or did not read what it was sent.
    TransportError,
}

impl DisconnectReason {
    /// compat: python-socketio's reason strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientDisconnect => "client disconnect",
            Self::ServerDisconnect => "server disconnect",
            Self::PingTimeout => "ping timeout",
            Self::TransportClose => "transport close",
            Self::TransportError => "transport error",
        }
    }
}

/// The HTTP request that opened a session, kept for the `environ` handlers receive.
#[derive(Clone, Debug, Default)]
pub struct RequestInfo {
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Raw query string.
    pub query: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// The peer's address.
    pub remote_addr: Option<SocketAddr>,
    /// Whether the request came over TLS (the environ's `wsgi.url_scheme` is then `https`).
    pub secure: bool,
}

/// A bare Engine.IO message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EioData {
    /// A text message (UTF-8).
    Text(Bytes),
    /// A binary message.
    Binary(Bytes),
}

/// Something the layer above must act on.
#[derive(Debug)]
pub enum Event {
    /// An Engine.IO session opened.
    EioConnect {
        /// The session.
        eio_sid: EioSid,
        /// The transport it opened on.
        transport: Transport,
        /// The opening request, when the driver has one to give.
        request: Option<Box<RequestInfo>>,
    },
    /// A message on a bare Engine.IO session (only when Socket.IO is not layered on top).
    EioMessage {
        /// The session.
        eio_sid: EioSid,
        /// Its content.
        data: EioData,
    },
    /// An Engine.IO session ended.
    EioDisconnect {
        /// The session.
        eio_sid: EioSid,
        /// Why.
        reason: DisconnectReason,
    },
    /// A client asks to join a namespace; answer with `accept` or `refuse`.
    Connect {
        /// Its Engine.IO session.
        eio_sid: EioSid,
        /// The socket id it will have if accepted.
        sid: Sid,
        /// The namespace.
        namespace: Arc<str>,
        /// The auth payload (raw JSON object), if any.
        auth: Option<Bytes>,
    },
    /// An event from a client.
    Message {
        /// The sending socket.
        sid: Sid,
        /// Its namespace.
        namespace: Arc<str>,
        /// The raw JSON array: event name first, then arguments.
        data: Bytes,
        /// Ack id the client waits on, if any.
        ack_id: Option<u64>,
        /// Binary attachments, in `num` order.
        attachments: Vec<Bytes>,
    },
    /// A client answered an event the server sent with an ack id.
    Ack {
        /// The answering socket.
        sid: Sid,
        /// Its namespace.
        namespace: Arc<str>,
        /// The id the server sent.
        ack_id: u64,
        /// The raw JSON array of ack arguments.
        data: Bytes,
        /// Binary attachments, in `num` order.
        attachments: Vec<Bytes>,
    },
    /// Something worth a warning in the server log (`engineio.server`): a session closed for a protocol error, a
    /// slow consumer dropped. Carried as an event so that logging happens where Python is already attached.
    Warning {
        /// The log line.
        message: String,
    },
    /// A socket left a namespace.
    Disconnect {
        /// The socket.
        sid: Sid,
        /// Its namespace.
        namespace: Arc<str>,
        /// Why.
        reason: DisconnectReason,
        /// The transport its session was on: python-socketio's disconnect handler may still ask for it.
        transport: Option<Transport>,
    },
}

/// Where the engine puts events. Called with the engine borrowed, so it must only queue, never call back.
pub trait EventSink: Send + Sync {
    /// Queue one event.
    fn push(&self, event: Event);

    /// Whether the consumer keeps up. `Pending` (waking `cx` later) while it is too far behind: drivers then stop
    /// reading from clients, so a flood of events turns into TCP backpressure instead of memory.
    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let _ = cx;
        std::task::Poll::Ready(())
    }

    /// Signal the consumer about events pushed so far. Called by the driver after it released the engine, so a
    /// signal that costs a syscall does not lengthen the engine's critical section.
    fn flush(&self) {}
}
