//! Settings of one engine, fixed when the server is built.

use std::time::Duration;

use super::outbox::OutboxLimits;

/// Which transports clients may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transports {
    /// HTTP long-polling allowed.
    pub polling: bool,
    /// WebSocket allowed.
    pub websocket: bool,
}

impl Default for Transports {
    fn default() -> Self {
        Self {
            polling: true,
            websocket: true,
        }
    }
}

/// How Socket.IO packets are written on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Parser {
    /// The default parser: text messages with JSON data, binary attachments in their own messages.
    #[default]
    Json,
    /// `socket.io-msgpack-parser`: one binary message per packet, a msgpack map (`serializer='msgpack'`).
    MsgPack,
}

/// Engine settings; python-engineio's names where they exist.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// spec: `pingInterval` of the handshake.
    pub ping_interval: Duration,
    /// spec: `pingTimeout` of the handshake.
    pub ping_timeout: Duration,
    /// Largest message or polling body accepted, in bytes (`max_http_buffer_size`; `maxPayload` of the handshake).
    pub max_payload: usize,
    /// Transports allowed.
    pub transports: Transports,
    /// Bound of each client's outbound queue.
    pub outbox: OutboxLimits,
    /// Most packets one polling POST may carry.
    pub max_packets_per_post: usize,
    /// Most binary attachments one Socket.IO packet may announce.
    pub max_attachments: usize,
    /// Whether Socket.IO runs on top; when false, messages go up as bare Engine.IO messages.
    pub socketio: bool,
    /// The Socket.IO parser both ways.
    pub parser: Parser,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            max_payload: 1_000_000,
            transports: Transports::default(),
            outbox: OutboxLimits::default(),
            max_packets_per_post: 1_000,
            max_attachments: 10,
            socketio: true,
            parser: Parser::Json,
        }
    }
}
