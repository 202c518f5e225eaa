//! What a peer (or a caller) did wrong, and what follows from it.

use crate::protocol::{engineio, socketio};

use super::event::DisconnectReason;
use crate::metrics::Reject;

/// A request or packet the engine refuses. Each variant says what the peer did; [`SessionError::closes_session`]
/// says whether the session ends because of it.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// The sid is not (or no longer) a session.
    #[error("unknown session id")]
    UnknownSession,
    /// The transport is disabled by configuration.
    #[error("transport not allowed")]
    TransportNotAllowed,
    /// The session is on another transport (e.g. polling after the upgrade to WebSocket).
    #[error("wrong transport for this session")]
    WrongTransport,
    /// An upgrade was asked for while one was running or had finished.
    #[error("session already upgraded or upgrading")]
    AlreadyUpgraded,
    /// A second long-polling GET arrived while one was waiting.
    #[error("overlapping long-polling requests")]
    OverlappingPoll,
    /// An Engine.IO packet or payload could not be decoded.
    #[error("bad Engine.IO packet: {0}")]
    BadEnginePacket(#[from] engineio::DecodeError),
    /// A Socket.IO packet could not be decoded.
    #[error("bad Socket.IO packet: {0}")]
    BadSocketPacket(#[from] socketio::DecodeError),
    /// A packet that is valid but not allowed here (e.g. an open packet from a client, binary data nobody
    /// announced, a second connect to the same namespace).
    #[error("unexpected packet: {0}")]
    UnexpectedPacket(&'static str),
    /// A message or body larger than `max_http_buffer_size`.
    #[error("payload too large (limit {limit} bytes)")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl SessionError {
    /// spec: a protocol violation closes that session only; an unknown sid or a bad request for a session that
    /// is fine otherwise leaves the session alone.
    pub fn closes_session(&self) -> Option<DisconnectReason> {
        match self {
            Self::UnknownSession | Self::TransportNotAllowed | Self::WrongTransport | Self::AlreadyUpgraded => None,
            Self::OverlappingPoll
            | Self::BadEnginePacket(_)
            | Self::BadSocketPacket(_)
            | Self::UnexpectedPacket(_)
            | Self::PayloadTooLarge { .. } => Some(DisconnectReason::TransportError),
        }
    }

    /// What a refusal counts as in `turbosio_rejected_total`; `None` for what is not the peer's bad input.
    pub fn rejects(&self) -> Option<Reject> {
        match self {
            Self::UnknownSession => Some(Reject::SessionIdUnknown),
            Self::TransportNotAllowed | Self::WrongTransport | Self::AlreadyUpgraded => Some(Reject::BadRequest),
            Self::OverlappingPoll => Some(Reject::OverlappingPoll),
            Self::BadEnginePacket(_) | Self::BadSocketPacket(_) => Some(Reject::MalformedPacket),
            Self::UnexpectedPacket(_) => Some(Reject::UnexpectedPacket),
            Self::PayloadTooLarge { .. } => Some(Reject::OversizePayload),
        }
    }
}
