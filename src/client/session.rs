//! The Engine.IO v4 client session: the open packet, the heartbeat the server owes us, the upgrade probe, close.
//!
//! spec: in v4 the server pings every `pingInterval` and expects a pong within `pingTimeout`. A client therefore
//! answers each ping at once and treats `pingInterval + pingTimeout` without a ping as a dead connection; every
//! ping moves that deadline.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::protocol::engineio::{DecodeError, Frame, Packet};

/// Why the session cannot go on; each is fatal to the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    /// The server's bytes are not Engine.IO.
    #[error("malformed packet from the server: {0}")]
    Decode(#[from] DecodeError),
    /// The first packet was not the open packet.
    #[error("OPEN packet not returned by server")]
    NoOpenPacket,
    /// The open packet's JSON lacks `sid`, `pingInterval` or `pingTimeout`.
    #[error("malformed handshake data from the server")]
    BadHandshake,
    /// A packet only a client sends, or a second open packet.
    #[error("unexpected {0} packet from the server")]
    UnexpectedPacket(&'static str),
    /// The WebSocket did not answer the probe with `3probe`.
    #[error("websocket upgrade failed: no PONG packet")]
    ProbeFailed,
    /// No ping within `pingInterval + pingTimeout`.
    #[error("no ping from the server within {0:?}")]
    PingTimeout(Duration),
}

/// The handshake data of the open packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handshake {
    /// The Engine.IO session id.
    pub sid: String,
    /// Transports the server offers to upgrade to.
    pub upgrades: Vec<String>,
    /// How often the server pings.
    pub ping_interval: Duration,
    /// How long the server waits for a pong.
    pub ping_timeout: Duration,
    /// The largest message the server accepts (`maxPayload`), if it says.
    pub max_payload: Option<u64>,
}

impl Handshake {
    /// Parse the JSON of an open packet.
    pub fn parse(json: &[u8]) -> Result<Handshake, SessionError> {
        let value: serde_json::Value = serde_json::from_slice(json).map_err(|_| SessionError::BadHandshake)?;
        let sid = value
            .get("sid")
            .and_then(serde_json::Value::as_str)
            .ok_or(SessionError::BadHandshake)?;
        let millis = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_u64)
                .map(Duration::from_millis)
                .ok_or(SessionError::BadHandshake)
        };
        let upgrades = value
            .get("upgrades")
            .and_then(serde_json::Value::as_array)
            .map(|list| list.iter().filter_map(|u| u.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(Handshake {
            sid: sid.to_owned(),
            upgrades,
            ping_interval: millis("pingInterval")?,
            ping_timeout: millis("pingTimeout")?,
            max_payload: value.get("maxPayload").and_then(serde_json::Value::as_u64),
        })
    }

    /// How long the server may stay silent before we call the connection dead.
    pub fn silence_allowed(&self) -> Duration {
        self.ping_interval.saturating_add(self.ping_timeout)
    }
}

/// What a received packet means for the layer above.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// The session is open.
    Opened(Handshake),
    /// A text message (a Socket.IO packet).
    Message(Bytes),
    /// A binary message (a Socket.IO attachment).
    Binary(Bytes),
    /// The server closed the session.
    Closed,
    /// Nothing for the layer above (a ping was answered, a noop).
    Nothing,
}

/// One client session's Engine.IO state.
#[derive(Debug, Default)]
pub struct Session {
    handshake: Option<Handshake>,
    /// When the connection counts as dead unless a ping arrives.
    deadline: Option<Instant>,
    closed: bool,
}

impl Session {
    /// A session waiting for its open packet.
    pub fn new() -> Session {
        Session::default()
    }

    /// The handshake, once the open packet arrived.
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake.as_ref()
    }

    /// Whether the open packet arrived and the session has not ended.
    pub fn is_open(&self) -> bool {
        self.handshake.is_some() && !self.closed
    }

    /// Whether the session ended.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Mark the session ended (either side); later packets are ignored.
    pub fn close(&mut self) {
        self.closed = true;
        self.deadline = None;
    }

    /// The time by which the server must ping.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether the server's silence outlasted `pingInterval + pingTimeout` at `now`.
    pub fn on_tick(&mut self, now: Instant) -> Result<(), SessionError> {
        match (self.deadline, &self.handshake) {
            (Some(deadline), Some(handshake)) if now >= deadline => {
                Err(SessionError::PingTimeout(handshake.silence_allowed()))
            }
            _ => Ok(()),
        }
    }

    /// Take in one packet from the server; `reply` receives what must be sent back at once (a pong).
    pub fn on_packet(
        &mut self,
        packet: Packet,
        now: Instant,
        reply: &mut Vec<Frame>,
    ) -> Result<Received, SessionError> {
        if self.closed {
            return Ok(Received::Nothing);
        }
        if self.handshake.is_none() {
            let Packet::Open(json) = packet else {
                return Err(SessionError::NoOpenPacket);
            };
            let handshake = Handshake::parse(&json)?;
            self.deadline = Some(now + handshake.silence_allowed());
            self.handshake = Some(handshake.clone());
            return Ok(Received::Opened(handshake));
        }
        Ok(match packet {
            Packet::Ping(data) => {
                if let Some(handshake) = &self.handshake {
                    self.deadline = Some(now + handshake.silence_allowed());
                }
                reply.push(Frame::pong(&data));
                Received::Nothing
            }
            Packet::Message(text) => Received::Message(text),
            Packet::Binary(data) => Received::Binary(data),
            Packet::Close => {
                self.close();
                Received::Closed
            }
            Packet::Noop | Packet::Pong(_) => Received::Nothing,
            Packet::Open(_) => return Err(SessionError::UnexpectedPacket("OPEN")),
            Packet::Upgrade => return Err(SessionError::UnexpectedPacket("UPGRADE")),
        })
    }
}

/// spec: the upgrade probe a client sends on the new WebSocket, `2probe`.
pub fn probe_frame() -> Frame {
    Frame::Text(Bytes::from_static(b"2probe"))
}

/// spec: the packet that completes an upgrade, `5`.
pub fn upgrade_frame() -> Frame {
    Frame::Text(Bytes::from_static(b"5"))
}

/// Check the server's answer to [`probe_frame`]: it must be `3probe`.
pub fn check_probe_answer(packet: &Packet) -> Result<(), SessionError> {
    match packet {
        Packet::Pong(data) if &data[..] == b"probe" => Ok(()),
        _ => Err(SessionError::ProbeFailed),
    }
}
