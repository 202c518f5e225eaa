//! The numbers at the Python boundary: the kind that opens every drained item (server and client), the state of a hosted request's
//! body piece, and what the external driver answers. Each is exported as an attribute of `turbosio._core` under
//! the name below, and `python/turbosio/_kinds.py` re-exports them, so the two sides cannot drift apart.

/// Declares the constants and [`ALL`], the list the module exports.
macro_rules! constants {
    ($($(#[$doc:meta])* $name:ident = $value:expr;)*) => {
        $($(#[$doc])* pub const $name: u8 = $value;)*
        /// Every constant with its Python name, in declaration order.
        pub const ALL: &[(&str, u8)] = &[$((stringify!($name), $name)),*];
    };
}

constants! {
    /// `(EIO_CONNECT, eio_sid, transport, request)`
    EIO_CONNECT = 0;
    /// `(EIO_MESSAGE, eio_sid, str | bytes)`
    EIO_MESSAGE = 1;
    /// `(EIO_DISCONNECT, eio_sid, reason)`
    EIO_DISCONNECT = 2;
    /// `(CONNECT, eio_sid, sid, namespace, auth)`
    CONNECT = 3;
    /// `(EVENT, sid, namespace, event, args, ack_id)`
    EVENT = 4;
    /// `(ACK, sid, namespace, ack_id, args)`
    ACK = 5;
    /// `(DISCONNECT, sid, namespace, reason)`
    DISCONNECT = 6;
    /// `(WARNING, message)`
    WARNING = 7;
    /// `(WAKE, token)`
    WAKE = 8;
    /// `(HTTP, token, method, path, raw_path, query, headers, body, remote_host, remote_port, more_body)`; with
    /// `more_body`, the body follows as `HTTP_BODY` items.
    HTTP = 9;
    /// `(WEBSOCKET, token, method, path, raw_path, query, headers, body, remote_host, remote_port, more_body)`: a
    /// WebSocket request for the hosted web app (body empty).
    WEBSOCKET = 10;
    /// `(WEBSOCKET_MESSAGE, token, str | bytes)`
    WEBSOCKET_MESSAGE = 11;
    /// `(WEBSOCKET_GONE, token, close_code)`
    WEBSOCKET_GONE = 12;
    /// `(HTTP_BODY, token, data, state)`, state one of `BODY_*`.
    HTTP_BODY = 13;
    /// `(PUBSUB, message)`: a pub/sub message the engine left to Python (an emit waiting for acks, or an ack
    /// answer for this host), as the channel carried it (`bytes`).
    PUBSUB = 14;
    /// `(PUBSUB_LOG, is_warning, message)`: news from the pub/sub driver for the manager's logger.
    PUBSUB_LOG = 15;

    /// `ClientHubCore.drain()`: `(CLIENT_OPEN, client_id, eio_sid, transport)`, the Engine.IO session is open.
    CLIENT_OPEN = 20;
    /// `(CLIENT_FAILED, client_id, message)`: the connection could not be made; nothing follows.
    CLIENT_FAILED = 21;
    /// `(CLIENT_CONNECT, client_id, namespace, sid)`
    CLIENT_CONNECT = 22;
    /// `(CLIENT_CONNECT_ERROR, client_id, namespace, data)`
    CLIENT_CONNECT_ERROR = 23;
    /// `(CLIENT_EVENT, client_id, namespace, event, args, ack_id)`
    CLIENT_EVENT = 24;
    /// `(CLIENT_ACK, client_id, namespace, ack_id, args)`
    CLIENT_ACK = 25;
    /// `(CLIENT_DISCONNECT, client_id, namespace)`: the server left one namespace.
    CLIENT_DISCONNECT = 26;
    /// `(CLIENT_CLOSE, client_id, reason)`: the Engine.IO session ended; nothing follows.
    CLIENT_CLOSE = 27;
    /// `(CLIENT_WARNING, client_id, message)`
    CLIENT_WARNING = 28;

    /// An `HTTP_BODY` piece: more follows.
    BODY_MORE = 0;
    /// An `HTTP_BODY` piece: the body is complete.
    BODY_END = 1;
    /// An `HTTP_BODY` piece: the body never will be.
    BODY_BROKEN = 2;

    /// `ExternalDriverCore.http()` / `ws_open()`: `(ANSWER_RESPOND, status, headers, body)`.
    ANSWER_RESPOND = 0;
    /// `ExternalDriverCore.http()`: `(ANSWER_WAIT, eio_sid, token)`; call `poll_resume` after `WAKE(token)`.
    ANSWER_WAIT = 1;
    /// `ExternalDriverCore.ws_open()`: `(ANSWER_ACCEPT_WEBSOCKET, eio_sid, open_frame | None)`.
    ANSWER_ACCEPT_WEBSOCKET = 2;

    /// `ExternalDriverCore.ws_text()` / `ws_binary()`: go on.
    WS_CONTINUE = 0;
    /// The upgrade finished: start writing the outbox.
    WS_UPGRADED = 1;
    /// The session ended: close the WebSocket.
    WS_CLOSED = 2;

    /// `ExternalDriverCore.ws_take()` state: still open (no frames: wait for the token).
    WS_OPEN = 0;
    /// Ended after these frames.
    WS_ENDED = 1;
    /// Ended: send a close packet after these frames.
    WS_ENDED_NOTIFY = 2;
}
