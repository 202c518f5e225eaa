//! One Engine.IO session: its transport, upgrade state, heartbeat, outbound queue and Socket.IO sockets.

use std::sync::Arc;

use crate::protocol::socketio::PartialBinary;

use super::event::Transport;
use super::heartbeat::HeartbeatState;
use super::outbox::Outbox;
use super::sid::Sid;

/// Where a session stands in the polling -> WebSocket upgrade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upgrade {
    /// On its first transport; an upgrade may still come.
    None,
    /// spec: a WebSocket connected with this sid and is being probed (`2probe` / `3probe`); polling still serves.
    Probing,
    /// spec: the client sent `5`; the WebSocket is the transport from now on.
    Done,
}

/// State of one Engine.IO session.
pub struct Session {
    /// Frames waiting for the client.
    pub outbox: Arc<Outbox>,
    /// The transport that carries the session now.
    pub transport: Transport,
    /// Upgrade progress.
    pub upgrade: Upgrade,
    /// Whether a long-polling GET is waiting.
    pub polling_get: bool,
    /// The queue a GET that arrived while the upgrade was probing waits on: released with a noop by the probe's
    /// next tick, or refused if the upgrade completes first (the GET was sent after `5`).
    pub probe_poll: Option<Arc<Outbox>>,
    /// What the heartbeat waits for.
    pub heartbeat: HeartbeatState,
    /// Socket.IO sockets of this session, one per namespace.
    pub sockets: Vec<(Arc<str>, Sid)>,
    /// A binary Socket.IO packet waiting for its attachments.
    pub partial: Option<PartialBinary>,
}

impl Session {
    /// The socket this session has in `namespace`, if any.
    pub fn socket_in(&self, namespace: &str) -> Option<Sid> {
        self.sockets
            .iter()
            .find(|(ns, _)| &**ns == namespace)
            .map(|(_, sid)| *sid)
    }

    /// Forget a socket of this session.
    pub fn remove_socket(&mut self, sid: Sid) {
        self.sockets.retain(|(_, s)| *s != sid);
    }
}
