//! The pub/sub adapter: [`LocalAdapter`] plus a link to the other hosts of a fleet, and the engine's entry point
//! for what they publish.
//!
//! In: the engine's adapter calls (as for [`LocalAdapter`], to which every call is delegated) and, from the driver
//! that reads the channel, messages of other hosts ([`triage`], then [`Engine::apply_remote`]). Out: the local recipients, as the
//! local adapter gives them, and messages handed to a [`Publish`] queue: an `emit` for every broadcast that may
//! reach another host, a `close_room` for every closed room.
//! Never: the network. [`Publish::publish`] only queues (the engine runs under a lock); the driver task that owns
//! the connection sends. Without a link (the default) this adapter is exactly the local one.
//!
//! Messages from other hosts fan out with [`Adapter::recipients`], never `broadcast`, so they are not published
//! again. An emit whose sender waits for acks, and a `callback` answer, need the bindings' ack table: [`triage`]
//! leaves those to the caller ([`Incoming::Forward`]). Parsing happens in [`triage`], outside the engine's lock.

use std::sync::Arc;

use crate::protocol::pubsub::{self as wire, EmitOut, Message};

use super::Engine;
use super::adapter::{Adapter, Broadcast, Room, Target};
use super::rooms::LocalAdapter;
use super::sid::Sid;

/// Where the adapter's messages go: a bounded queue a driver task drains. Must return at once.
pub trait Publish: Send + Sync {
    /// Queue one message for the channel (the driver counts and logs what it has to drop).
    fn publish(&self, message: Vec<u8>);
}

/// This host's identity on the channel and its outbound queue.
#[derive(Clone)]
pub struct Link {
    /// python-socketio's `host_id`: a message carrying ours is our own, come back.
    pub host_id: Arc<str>,
    /// Where messages are queued.
    pub publisher: Arc<dyn Publish>,
}

/// [`LocalAdapter`], publishing to the other hosts once linked.
#[derive(Default)]
pub struct PubSubAdapter {
    local: LocalAdapter,
    link: Option<Link>,
}

#[cfg(any(test, fuzzing))]
impl PubSubAdapter {
    /// For the interleaving driver's checks: the local index's inventory (membership lives only there).
    pub fn inventory(&self) -> (usize, Vec<(Arc<str>, Sid)>) {
        self.local.inventory()
    }
}

impl PubSubAdapter {
    /// Whether every room `target` names is the sid of a socket of this process: then nobody else can be reached.
    fn only_local_sids(&self, namespace: &str, target: Target<'_>) -> bool {
        match target {
            Target::All => false,
            Target::Rooms(rooms) => rooms.iter().all(|room| {
                Sid::parse(room).is_some() && !self.local.recipients(namespace, Target::Rooms(&[room]), &[]).is_empty()
            }),
        }
    }
}

impl Adapter for PubSubAdapter {
    fn add_socket(&mut self, namespace: &Arc<str>, sid: Sid) {
        self.local.add_socket(namespace, sid);
    }

    fn remove_socket(&mut self, namespace: &str, sid: Sid) {
        self.local.remove_socket(namespace, sid);
    }

    fn join(&mut self, namespace: &str, sid: Sid, room: &str) {
        self.local.join(namespace, sid, room);
    }

    fn leave(&mut self, namespace: &str, sid: Sid, room: &str) {
        self.local.leave(namespace, sid, room);
    }

    fn close_room(&mut self, namespace: &str, room: &str) {
        self.local.close_room(namespace, room);
        if let Some(link) = &self.link {
            link.publisher
                .publish(wire::encode_close_room(&link.host_id, namespace, room));
        }
    }

    fn room_counts(&self) -> Vec<(Arc<str>, usize)> {
        self.local.room_counts()
    }

    fn rooms_of(&self, namespace: &str, sid: Sid) -> &[Room] {
        self.local.rooms_of(namespace, sid)
    }

    fn recipients(&self, namespace: &str, target: Target<'_>, skip: &[Sid]) -> Vec<Sid> {
        self.local.recipients(namespace, target, skip)
    }

    fn broadcast(&mut self, emit: &Broadcast<'_>) -> Vec<Sid> {
        if let Some(link) = &self.link
            && !self.only_local_sids(emit.namespace, emit.target)
        {
            let skip: Vec<&str> = emit.skip.iter().map(Sid::as_str).collect();
            let rooms = match emit.target {
                Target::All => None,
                Target::Rooms(rooms) => Some(rooms),
            };
            let message = wire::encode_emit(&EmitOut {
                host_id: &link.host_id,
                namespace: emit.namespace,
                data: emit.data,
                attachments: emit.attachments,
                rooms,
                skip: &skip,
            });
            if let Some(message) = message {
                link.publisher.publish(message);
            }
        }
        self.local.recipients(emit.namespace, emit.target, emit.skip)
    }
}

/// What to do with a channel message; decided by [`triage`] without the engine, so that no lock is held while a
/// message is parsed.
#[derive(Debug, PartialEq, Eq)]
pub enum Incoming {
    /// Apply it to this process's sockets ([`Engine::apply_remote`]).
    Apply(Message),
    /// The bindings must handle it: an emit that waits for acks, or an ack answer addressed to this host.
    Forward,
    /// Our own message come back, one for another host, or one that is not understood: dropped.
    Ignore,
}

/// Sort one message from the channel, for the host `host_id`.
pub fn triage(host_id: &str, message: &[u8]) -> Incoming {
    let Some((method, from)) = wire::envelope(message) else {
        return Incoming::Ignore;
    };
    let ours = from.as_deref() == Some(host_id);
    if method == "callback" {
        // The answer to an emit with a callback is addressed to the host that made it.
        return if ours { Incoming::Forward } else { Incoming::Ignore };
    }
    if ours {
        return Incoming::Ignore;
    }
    match wire::decode(message) {
        Ok(Message::Emit(emit)) if emit.wants_callback => Incoming::Forward,
        Ok(Message::Emit(emit))
            if !emit.attachments.is_empty()
                && crate::protocol::socketio::validate_placeholders(&emit.data, emit.attachments.len()).is_err() =>
        {
            Incoming::Ignore
        }
        Ok(Message::Callback | Message::Unknown) | Err(_) => Incoming::Ignore,
        Ok(message) => Incoming::Apply(message),
    }
}

impl Engine<PubSubAdapter> {
    /// Link this engine to a fleet (or unlink it with `None`): from now on broadcasts and closed rooms are
    /// published through `link`.
    pub fn set_link(&mut self, link: Option<Link>) {
        self.adapter.link = link;
    }

    /// Deliver a message of another host (sorted by [`triage`]) to the sockets of this process. Nothing is
    /// published again: the fan-out asks [`Adapter::recipients`], and rooms are closed in the local adapter.
    pub fn apply_remote(&mut self, message: Message) {
        match message {
            Message::Emit(emit) => {
                let skip: Vec<Sid> = emit.skip.iter().filter_map(|s| Sid::parse(s)).collect();
                let rooms: Vec<&str> = emit.rooms.iter().flatten().map(String::as_str).collect();
                let target = if emit.rooms.is_some() {
                    Target::Rooms(&rooms)
                } else {
                    Target::All
                };
                let recipients = self.adapter.recipients(&emit.namespace, target, &skip);
                self.fan_out(recipients, &emit.namespace, &emit.data, &emit.attachments);
            }
            Message::Disconnect { sid, namespace } => {
                if let Some(sid) = Sid::parse(&sid) {
                    let _ = self.disconnect(sid, &namespace);
                }
            }
            Message::Room {
                join,
                sid,
                namespace,
                room,
            } => {
                if let Some(sid) = Sid::parse(&sid) {
                    let _ = if join {
                        self.join(sid, &namespace, &room)
                    } else {
                        self.leave(sid, &namespace, &room)
                    };
                }
            }
            Message::CloseRoom { namespace, room } => self.adapter.local.close_room(&namespace, &room),
            Message::Callback | Message::Unknown => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use parking_lot::Mutex;

    use super::*;
    use crate::engine::adapter::Adapter;

    #[derive(Default)]
    struct Queue(Mutex<Vec<Vec<u8>>>);

    impl Publish for Queue {
        fn publish(&self, message: Vec<u8>) {
            self.0.lock().push(message);
        }
    }

    fn linked() -> (PubSubAdapter, Arc<Queue>) {
        let queue = Arc::new(Queue::default());
        let adapter = PubSubAdapter {
            local: LocalAdapter::default(),
            link: Some(Link {
                host_id: Arc::from("me"),
                publisher: queue.clone(),
            }),
        };
        (adapter, queue)
    }

    #[test]
    fn broadcasts_are_published_unless_they_name_only_local_sids() {
        let (mut adapter, queue) = linked();
        let ns: Arc<str> = Arc::from("/");
        let a = Sid::random();
        adapter.add_socket(&ns, a);
        adapter.join("/", a, "room");
        let emit = |target| Broadcast {
            namespace: "/",
            target,
            skip: &[],
            data: b"[\"e\",1]",
            attachments: &[],
        };
        assert_eq!(adapter.broadcast(&emit(Target::Rooms(&["room"]))), vec![a]);
        assert_eq!(queue.0.lock().len(), 1);
        let own = [a.as_str()];
        assert_eq!(adapter.broadcast(&emit(Target::Rooms(&own))), vec![a]);
        assert_eq!(queue.0.lock().len(), 1, "a local sid is not published");
        let remote = Sid::random();
        let other = [remote.as_str()];
        assert!(adapter.broadcast(&emit(Target::Rooms(&other))).is_empty());
        assert_eq!(queue.0.lock().len(), 2, "a sid that is not here is published");
        adapter.close_room("/", "room");
        let last = queue.0.lock().pop().unwrap();
        assert!(last.starts_with(b"{\"method\": \"close_room\""));
        assert!(adapter.rooms_of("/", a).is_empty());
    }

    #[test]
    fn triage_drops_our_own_messages_and_forwards_what_needs_the_ack_table() {
        let own = br#"{"method": "emit", "event": "e", "data": [], "host_id": "me"}"#;
        assert_eq!(triage("me", own), Incoming::Ignore);
        assert!(matches!(triage("other", own), Incoming::Apply(Message::Emit(_))));
        let acked = br#"{"method": "emit", "event": "e", "data": [], "callback": ["s", "/", 1], "host_id": "x"}"#;
        assert_eq!(triage("me", acked), Incoming::Forward);
        let answer = br#"{"method": "callback", "host_id": "me", "sid": "s", "namespace": "/", "id": 1, "args": []}"#;
        assert_eq!(triage("me", answer), Incoming::Forward);
        assert_eq!(triage("other", answer), Incoming::Ignore);
        let bad_binary = br#"{"method": "emit", "event": "e", "data": [[{"_placeholder": true, "num": 5}], "AA=="], "binary": true, "host_id": "x"}"#;
        assert_eq!(triage("me", bad_binary), Incoming::Ignore);
        assert_eq!(triage("me", b"not json"), Incoming::Ignore);
    }

    #[test]
    fn without_a_link_nothing_is_published() {
        let mut adapter = PubSubAdapter::default();
        let ns: Arc<str> = Arc::from("/");
        let a = Sid::random();
        adapter.add_socket(&ns, a);
        let got = adapter.broadcast(&Broadcast {
            namespace: "/",
            target: Target::All,
            skip: &[],
            data: b"[\"e\"]",
            attachments: &[],
        });
        assert_eq!(got, vec![a]);
    }
}
