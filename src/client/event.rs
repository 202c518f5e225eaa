//! What the client engine tells the layer above.

use bytes::Bytes;

/// Why a client's Engine.IO session ended; the texts are python-engineio's client `reason` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// We asked (`disconnect()`).
    ClientDisconnect,
    /// The server sent a close packet, or disconnected the last namespace.
    ServerDisconnect,
    /// The connection broke, the server stopped pinging, or it sent something we could not decode.
    TransportError,
}

impl CloseReason {
    /// compat: python-engineio's `Client.reason` strings (a missed ping is a transport error there too).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientDisconnect => "client disconnect",
            Self::ServerDisconnect => "server disconnect",
            Self::TransportError => "transport error",
        }
    }
}

/// One thing that happened on a client connection, in arrival order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientEvent {
    /// The Engine.IO session is open (the open packet arrived) on `transport`.
    Open {
        /// The Engine.IO session id.
        eio_sid: String,
        /// `"polling"` or `"websocket"`.
        transport: &'static str,
    },
    /// The connection could not be made; nothing else follows.
    Failed {
        /// What went wrong, for the `ConnectionError` Python raises.
        message: String,
    },
    /// The server accepted a namespace.
    Connect {
        /// The namespace.
        namespace: String,
        /// The Socket.IO sid the server gave it.
        sid: String,
    },
    /// The server refused a namespace.
    ConnectError {
        /// The namespace.
        namespace: String,
        /// The JSON the server sent with the refusal (an object or a string), if any.
        data: Option<Bytes>,
    },
    /// An event from the server.
    Event {
        /// The namespace.
        namespace: String,
        /// The JSON array `[event, *args]`.
        data: Bytes,
        /// Binary attachments, in placeholder order.
        attachments: Vec<Bytes>,
        /// The id to acknowledge with, if the server asked for an ack.
        ack_id: Option<u64>,
    },
    /// The server's answer to one of our events.
    Ack {
        /// The namespace.
        namespace: String,
        /// The id we sent.
        ack_id: u64,
        /// The JSON array of arguments.
        data: Bytes,
        /// Binary attachments, in placeholder order.
        attachments: Vec<Bytes>,
    },
    /// The server disconnected one namespace.
    Disconnect {
        /// The namespace.
        namespace: String,
    },
    /// The Engine.IO session ended; nothing else follows.
    Closed {
        /// Why.
        reason: CloseReason,
    },
    /// Something worth logging that ended nothing by itself (a malformed frame is followed by `Closed`).
    Warning {
        /// The text to log.
        message: String,
    },
}

/// Where a connection's events go: implemented by the bindings, called on tokio threads without the GIL.
pub trait ClientSink: Send + Sync {
    /// Queue one event of client `client`.
    fn push(&self, client: u64, event: ClientEvent);
    /// Called after a burst of pushes: wake the consumer once.
    fn flush(&self);
    /// Ready when the consumer keeps up; pending (waking `cx` later) while too many events wait, so the driver
    /// stops reading from the server instead of growing the queue.
    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        let _ = cx;
        std::task::Poll::Ready(())
    }
}
