//! The client's Socket.IO state: which namespaces are joining or joined, and a binary packet still collecting its
//! attachments; plus the frames for each packet a client sends.

use std::collections::HashMap;

use bytes::Bytes;

use crate::protocol::engineio::Frame;
use crate::protocol::socketio::{self as sio, PacketType};

/// Where a namespace stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Membership {
    /// CONNECT sent, no answer yet.
    Joining,
    /// The server accepted; the sid it gave.
    Joined(String),
}

/// The namespaces of one connection.
#[derive(Debug, Default)]
pub struct Namespaces {
    states: HashMap<String, Membership>,
}

impl Namespaces {
    /// Record that a CONNECT went out for `namespace`.
    pub fn joining(&mut self, namespace: &str) {
        self.states.insert(namespace.to_owned(), Membership::Joining);
    }

    /// The server accepted `namespace`; false if we never asked for it (the answer is then ignored).
    pub fn joined(&mut self, namespace: &str, sid: String) -> bool {
        match self.states.get_mut(namespace) {
            Some(state) => {
                *state = Membership::Joined(sid);
                true
            }
            None => false,
        }
    }

    /// Forget `namespace`; true if it was joining or joined.
    pub fn leave(&mut self, namespace: &str) -> bool {
        self.states.remove(namespace).is_some()
    }

    /// Whether `namespace` is joined.
    pub fn is_joined(&self, namespace: &str) -> bool {
        matches!(self.states.get(namespace), Some(Membership::Joined(_)))
    }

    /// The namespaces that are joining or joined.
    pub fn names(&self) -> Vec<String> {
        self.states.keys().cloned().collect()
    }

    /// Whether none is left.
    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    /// Forget every namespace.
    pub fn clear(&mut self) {
        self.states.clear();
    }
}

/// The frames of one outbound Socket.IO packet: the header message, then one binary message per attachment.
pub fn packet_frames(
    kind: PacketType,
    namespace: &str,
    id: Option<u64>,
    data: Option<&[u8]>,
    attachments: Vec<Bytes>,
) -> Vec<Frame> {
    let kind = match (kind, attachments.is_empty()) {
        (PacketType::Event, false) => PacketType::BinaryEvent,
        (PacketType::Ack, false) => PacketType::BinaryAck,
        (kind, _) => kind,
    };
    let mut text = Vec::new();
    sio::encode(&mut text, kind, namespace, id, attachments.len(), data);
    let mut frames = Vec::with_capacity(1 + attachments.len());
    frames.push(Frame::message(&text));
    frames.extend(attachments.into_iter().map(Frame::binary));
    frames
}

/// The sid a CONNECT answer carries: `{"sid": "..."}`.
pub fn connect_sid(data: Option<&Bytes>) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(data?).ok()?;
    value.get("sid")?.as_str().map(str::to_owned)
}

/// The sid a msgpack CONNECT answer carries: a map with a string `sid`.
pub fn msgpack_connect_sid(data: Option<&Bytes>) -> Option<String> {
    let value = rmpv::decode::read_value_ref(&mut &data?[..]).ok()?;
    let rmpv::ValueRef::Map(entries) = value else {
        return None;
    };
    entries.iter().find_map(|(k, v)| match (k, v) {
        (rmpv::ValueRef::String(k), rmpv::ValueRef::String(v)) if k.as_str() == Some("sid") => {
            v.as_str().map(str::to_owned)
        }
        _ => None,
    })
}
