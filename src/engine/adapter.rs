//! The adapter seam: the engine keeps room membership and finds who a broadcast reaches only through [`Adapter`],
//! so that whatever spans processes stays out of `emit`.
//!
//! In: membership changes from the engine (a socket entered or left a namespace, joined or left a room, a room
//! was closed) and, once per broadcast, a [`Broadcast`]: namespace, [`Target`], sids to skip and the serialised
//! event. Out: the sockets of this process that a target names, each once and minus the skipped ones, and the
//! rooms a socket joined.
//! Never: frames, outboxes or sessions (the engine encodes a broadcast once and pushes that one frame to every sid
//! it gets back), I/O or blocking on the engine's thread, Python.
//!
//! What the engine promises an adapter: `add_socket` when a socket's CONNECT arrives (before the connect handler
//! has accepted it) and `remove_socket` when it goes, whatever the reason; `join`, `leave` and `rooms_of` only
//! for sockets of this process that are in that namespace (the engine checks first); one `broadcast` per `emit`,
//! never one call per recipient.
//!
//! [`LocalAdapter`](super::rooms::LocalAdapter) is all a single process needs.
//! [`PubSubAdapter`](super::pubsub::PubSubAdapter) wraps it for a fleet (Redis, python-socketio's JSON messages):
//! it delegates every call and adds publishing in `broadcast` and `close_room`; messages of other hosts come in
//! through [`Engine::apply_remote`](super::Engine::apply_remote), which fans out with [`Adapter::recipients`]
//! instead of `broadcast`, so they are not published again. Membership stays where the socket lives: joins,
//! leaves and disconnects of sids of other hosts, and emits that wait for acks there, are relayed by the bindings
//! (they know which sids are local). Not covered: asking other hosts which sockets a room has.

use std::sync::Arc;

use bytes::Bytes;

use super::sid::Sid;

/// A room's name.
pub type Room = Arc<str>;

/// Who an emit goes to.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// Every socket of the namespace.
    All,
    /// The members of these rooms (a sid names that socket's own room), each socket once.
    Rooms(&'a [&'a str]),
}

/// One emit as the adapter sees it: where it goes and what it says, before it is framed.
#[derive(Clone, Copy, Debug)]
pub struct Broadcast<'a> {
    /// The namespace it is emitted in.
    pub namespace: &'a str,
    /// Who it goes to.
    pub target: Target<'a>,
    /// Sockets left out even when the target names them.
    pub skip: &'a [Sid],
    /// The serialised JSON array: event name first, then the arguments.
    pub data: &'a [u8],
    /// The binary attachments the data's placeholders point to.
    pub attachments: &'a [Bytes],
}

/// Room membership and fan-out target resolution for one engine (every namespace).
pub trait Adapter {
    /// `sid` entered `namespace`: from now on it is one of [`Target::All`], and its sid names it as a room.
    fn add_socket(&mut self, namespace: &Arc<str>, sid: Sid);

    /// `sid` left `namespace` (disconnect, refused connect, or its session ended): it leaves every room there.
    fn remove_socket(&mut self, namespace: &str, sid: Sid);

    /// Put `sid` in `room`. Joining twice is harmless.
    fn join(&mut self, namespace: &str, sid: Sid, room: &str);

    /// Take `sid` out of `room`. Leaving a room one is not in is harmless.
    fn leave(&mut self, namespace: &str, sid: Sid, room: &str);

    /// Empty `room`; its members stay connected.
    fn close_room(&mut self, namespace: &str, room: &str);

    /// The rooms `sid` joined in `namespace`, in join order, without its own sid.
    fn rooms_of(&self, namespace: &str, sid: Sid) -> &[Room];

    /// The sockets of this process in `namespace` that `target` names, each once, minus `skip`.
    fn recipients(&self, namespace: &str, target: Target<'_>, skip: &[Sid]) -> Vec<Sid>;

    /// How many rooms have members, by namespace (for metrics; sid rooms are not counted). None by default.
    fn room_counts(&self) -> Vec<(Arc<str>, usize)> {
        Vec::new()
    }

    /// An emit is about to be fanned out: give the local sockets it reaches. Only [`Adapter::recipients`] by
    /// default; a pub/sub adapter also publishes it to the other hosts here.
    fn broadcast(&mut self, emit: &Broadcast<'_>) -> Vec<Sid> {
        self.recipients(emit.namespace, emit.target, emit.skip)
    }
}
