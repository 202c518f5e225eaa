//! [`ClientEngine`]: one connection's whole client protocol state, Engine.IO and Socket.IO, without I/O.
//!
//! The driver feeds it what the server sent (`on_text`, `on_binary`, `on_payload`) and the time (`on_tick`), takes
//! the frames to write ([`ClientEngine::take_frames`]) and the events for Python ([`ClientEngine::take_events`]),
//! and stops once [`ClientEngine::is_finished`] and every frame is written. Errors from the peer end the session
//! here, in [`ClientEngine::fail`], so the driver never decides what a protocol error means.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;

use super::event::{ClientEvent, CloseReason};
use super::session::{Received, Session};
use super::socketio::{Namespaces, connect_sid, msgpack_connect_sid, packet_frames};
use crate::protocol::engineio::{self as eio, Frame, Packet};
use crate::protocol::socketio::{self as sio, DecodeLimits, PacketType, PartialBinary};

/// Why an outbound packet was not queued.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The namespace is not joined.
    #[error("{0} is not a connected namespace.")]
    BadNamespace(String),
    /// The session ended.
    #[error("the client is not connected")]
    Disconnected,
    /// The outbound queue is at its limit: the server is not reading.
    #[error("send queue full ({0} bytes waiting)")]
    QueueFull(usize),
}

/// Bounds of one connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes that may wait to be written before emits are refused.
    pub max_queued_bytes: usize,
    /// Packets accepted in one polling body.
    pub max_payload_packets: usize,
    /// Attachments a binary packet may announce.
    pub max_attachments: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_queued_bytes: 64 * 1024 * 1024,
            max_payload_packets: 100_000,
            max_attachments: 1_000,
        }
    }
}

/// A client connection's protocol state.
pub struct ClientEngine {
    session: Session,
    namespaces: Namespaces,
    /// Namespaces to join once the session opens, with their auth JSON.
    wanted: Vec<(String, Option<Bytes>)>,
    partial: Option<PartialBinary>,
    frames: VecDeque<Frame>,
    queued_bytes: usize,
    events: Vec<ClientEvent>,
    limits: Limits,
    transport: &'static str,
    /// `Closed` or `Failed` was reported; nothing follows.
    finished: bool,
    /// `serializer='msgpack'`: every packet is one binary message holding a msgpack map.
    msgpack: bool,
}

impl ClientEngine {
    /// A connection that will join `namespaces` (each with its auth JSON) once the server's open packet arrives.
    pub fn new(namespaces: Vec<(String, Option<Bytes>)>, limits: Limits) -> ClientEngine {
        ClientEngine {
            session: Session::new(),
            namespaces: Namespaces::default(),
            wanted: namespaces,
            partial: None,
            frames: VecDeque::new(),
            queued_bytes: 0,
            events: Vec::new(),
            limits,
            transport: "polling",
            finished: false,
            msgpack: false,
        }
    }

    /// Speak `socket.io-msgpack-parser`'s format instead of the default JSON parser's.
    #[must_use]
    pub fn with_msgpack(mut self, msgpack: bool) -> ClientEngine {
        self.msgpack = msgpack;
        self
    }

    /// The session's handshake, once open.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The transport now carrying the session: `"polling"` or `"websocket"`.
    pub fn transport(&self) -> &'static str {
        self.transport
    }

    /// Set by the driver: the session started on, or upgraded to, `transport`.
    pub fn set_transport(&mut self, transport: &'static str) {
        self.transport = transport;
    }

    /// Whether the session ended (closed or never opened); the driver writes what is queued, then stops.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Whether `namespace` is joined.
    pub fn is_joined(&self, namespace: &str) -> bool {
        self.namespaces.is_joined(namespace)
    }

    /// The deadline by which the server must ping.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.session.next_deadline()
    }

    /// Frames to write, oldest first.
    pub fn take_frames(&mut self) -> Vec<Frame> {
        self.queued_bytes = 0;
        self.frames.drain(..).collect()
    }

    /// Frames for one polling body of at most `max_frames` frames and `max_bytes` once encoded (spec: the server's
    /// `maxPayload`), oldest first; always at least one frame, so an oversized single packet still goes out (and the
    /// server decides).
    pub fn take_frames_within(&mut self, max_frames: usize, max_bytes: usize) -> Vec<Frame> {
        let mut taken = Vec::new();
        let mut size = 0;
        while let Some(frame) = self.frames.front() {
            if taken.len() >= max_frames.max(1) {
                break;
            }
            let encoded = match frame {
                Frame::Text(text) => text.len(),
                // `b` + base64, 4 bytes per 3.
                Frame::Binary(data) => 1 + data.len().div_ceil(3) * 4,
            } + usize::from(!taken.is_empty());
            if !taken.is_empty() && size + encoded > max_bytes {
                break;
            }
            size += encoded;
            if let Some(frame) = self.frames.pop_front() {
                self.queued_bytes = self.queued_bytes.saturating_sub(frame.len());
                taken.push(frame);
            }
        }
        taken
    }

    /// Whether frames wait to be written.
    pub fn has_frames(&self) -> bool {
        !self.frames.is_empty()
    }

    /// Events for the layer above, in arrival order.
    pub fn take_events(&mut self) -> Vec<ClientEvent> {
        std::mem::take(&mut self.events)
    }

    /// A text WebSocket frame from the server.
    pub fn on_text(&mut self, frame: Bytes, now: Instant) {
        match Packet::decode_text(frame) {
            Ok(packet) => self.on_packet(packet, now),
            Err(err) => self.fail(&format!("malformed packet from the server: {err}")),
        }
    }

    /// A binary WebSocket frame from the server.
    pub fn on_binary(&mut self, frame: Bytes, now: Instant) {
        self.on_packet(Packet::decode_binary(frame), now);
    }

    /// A polling response body from the server.
    pub fn on_payload(&mut self, body: Bytes, now: Instant) {
        match eio::decode_payload(body, self.limits.max_payload_packets) {
            Ok(packets) => {
                for packet in packets {
                    if self.finished {
                        break;
                    }
                    self.on_packet(packet, now);
                }
            }
            Err(err) => self.fail(&format!("malformed payload from the server: {err}")),
        }
    }

    /// One Engine.IO packet from the server.
    pub fn on_packet(&mut self, packet: Packet, now: Instant) {
        if self.finished {
            return;
        }
        let mut reply = Vec::new();
        let received = self.session.on_packet(packet, now, &mut reply);
        for frame in reply {
            self.queue_frame(frame);
        }
        match received {
            Ok(Received::Opened(handshake)) => {
                self.events.push(ClientEvent::Open {
                    eio_sid: handshake.sid,
                    transport: self.transport,
                });
                for (namespace, auth) in std::mem::take(&mut self.wanted) {
                    self.send_connect(&namespace, auth.as_deref());
                }
            }
            Ok(Received::Message(text)) => self.on_socketio_text(text),
            Ok(Received::Binary(data)) => self.on_attachment(data),
            Ok(Received::Closed) => self.finish(CloseReason::ServerDisconnect),
            Ok(Received::Nothing) => {}
            Err(err) => self.fail(&err.to_string()),
        }
    }

    /// Let time pass: a server that stopped pinging ends the session.
    pub fn on_tick(&mut self, now: Instant) {
        if let Err(err) = self.session.on_tick(now) {
            self.fail(&err.to_string());
        }
    }

    /// The connection broke or the server misbehaved: before the open packet that is a failed connect, after it
    /// the session ends with a transport error.
    pub fn fail(&mut self, message: &str) {
        if self.finished {
            return;
        }
        if self.session.handshake().is_none() {
            self.finished = true;
            self.session.close();
            self.events.push(ClientEvent::Failed {
                message: message.to_owned(),
            });
            return;
        }
        self.events.push(ClientEvent::Warning {
            message: message.to_owned(),
        });
        self.finish(CloseReason::TransportError);
    }

    /// Report something worth logging that ends nothing.
    pub fn warn(&mut self, message: &str) {
        self.events.push(ClientEvent::Warning {
            message: message.to_owned(),
        });
    }

    /// We close: leave every namespace, send the close packet, and end the session.
    pub fn close(&mut self) {
        if self.finished {
            return;
        }
        if self.session.handshake().is_none() {
            self.fail("connection aborted");
            return;
        }
        for namespace in self.namespaces.names() {
            self.queue_packet(PacketType::Disconnect, &namespace, None, None, Vec::new());
        }
        self.queue_frame(Frame::close());
        self.finish(CloseReason::ClientDisconnect);
    }

    /// Ask to join `namespace` (now if the session is open, else once it opens).
    pub fn connect_namespace(&mut self, namespace: &str, auth: Option<Bytes>) {
        if self.session.is_open() {
            self.send_connect(namespace, auth.as_deref());
        } else if !self.finished {
            self.wanted.push((namespace.to_owned(), auth));
        }
    }

    /// Leave `namespace`: a DISCONNECT packet if it was joining or joined.
    pub fn disconnect_namespace(&mut self, namespace: &str) {
        if self.namespaces.leave(namespace) && self.session.is_open() {
            self.queue_packet(PacketType::Disconnect, namespace, None, None, Vec::new());
        }
    }

    /// Queue an EVENT (`data` is the JSON array `[event, *args]`); `id` asks the server for an ack.
    pub fn emit(
        &mut self,
        namespace: &str,
        data: &[u8],
        attachments: Vec<Bytes>,
        id: Option<u64>,
    ) -> Result<(), SendError> {
        if self.finished {
            return Err(SendError::Disconnected);
        }
        if !self.namespaces.is_joined(namespace) {
            return Err(SendError::BadNamespace(namespace.to_owned()));
        }
        if self.queued_bytes > self.limits.max_queued_bytes {
            return Err(SendError::QueueFull(self.queued_bytes));
        }
        self.queue_packet(PacketType::Event, namespace, id, Some(data), attachments);
        Ok(())
    }

    /// Queue the ACK of the server's event `id` (`data` is the JSON array of arguments). Dropped when the namespace
    /// is gone, since the server forgot the ack with it.
    pub fn ack(&mut self, namespace: &str, id: u64, data: &[u8], attachments: Vec<Bytes>) {
        if !self.finished && self.namespaces.is_joined(namespace) {
            self.queue_packet(PacketType::Ack, namespace, Some(id), Some(data), attachments);
        }
    }

    fn send_connect(&mut self, namespace: &str, auth: Option<&[u8]>) {
        self.namespaces.joining(namespace);
        self.queue_packet(PacketType::Connect, namespace, None, auth, Vec::new());
    }

    fn queue_packet(
        &mut self,
        kind: PacketType,
        namespace: &str,
        id: Option<u64>,
        data: Option<&[u8]>,
        attachments: Vec<Bytes>,
    ) {
        if self.msgpack {
            let mut out = Vec::with_capacity(24 + namespace.len() + data.map_or(0, <[u8]>::len));
            sio::msgpack::encode(&mut out, kind, namespace, id, data);
            self.queue_frame(Frame::Binary(out.into()));
            return;
        }
        for frame in packet_frames(kind, namespace, id, data, attachments) {
            self.queue_frame(frame);
        }
    }

    fn queue_frame(&mut self, frame: Frame) {
        self.queued_bytes += frame.len();
        self.frames.push_back(frame);
    }

    fn finish(&mut self, reason: CloseReason) {
        self.finished = true;
        self.session.close();
        self.namespaces.clear();
        self.partial = None;
        self.events.push(ClientEvent::Closed { reason });
    }

    fn on_socketio_text(&mut self, text: Bytes) {
        if self.msgpack {
            self.fail("a text message arrived on a msgpack connection");
            return;
        }
        if self.partial.is_some() {
            self.fail("a text message arrived while binary attachments were expected");
            return;
        }
        let limits = DecodeLimits {
            max_attachments: self.limits.max_attachments,
        };
        let packet = match sio::Packet::decode(text, &limits) {
            Ok(packet) => packet,
            Err(err) => {
                self.fail(&format!("malformed Socket.IO packet from the server: {err}"));
                return;
            }
        };
        self.on_socketio_packet(packet);
    }

    fn on_msgpack(&mut self, data: Bytes) {
        match sio::msgpack::decode(data) {
            Ok(packet) => self.on_socketio_packet(packet),
            Err(err) => self.fail(&format!("malformed msgpack Socket.IO packet from the server: {err}")),
        }
    }

    fn on_socketio_packet(&mut self, packet: sio::Packet) {
        match packet.kind {
            PacketType::Connect => {
                let sid = if self.msgpack {
                    msgpack_connect_sid(packet.data.as_ref())
                } else {
                    connect_sid(packet.data.as_ref())
                };
                let sid = sid.unwrap_or_default();
                if self.namespaces.joined(&packet.namespace, sid.clone()) {
                    self.events.push(ClientEvent::Connect {
                        namespace: packet.namespace,
                        sid,
                    });
                }
            }
            PacketType::ConnectError => {
                self.namespaces.leave(&packet.namespace);
                self.events.push(ClientEvent::ConnectError {
                    namespace: packet.namespace,
                    data: packet.data,
                });
            }
            PacketType::Disconnect => {
                if self.namespaces.leave(&packet.namespace) {
                    self.events.push(ClientEvent::Disconnect {
                        namespace: packet.namespace,
                    });
                }
            }
            PacketType::Event | PacketType::Ack => self.deliver(packet, Vec::new()),
            PacketType::BinaryEvent | PacketType::BinaryAck => {
                if let Some(data) = &packet.data
                    && let Err(err) = sio::validate_placeholders(data, packet.attachments)
                {
                    self.fail(&format!("malformed Socket.IO packet from the server: {err}"));
                    return;
                }
                let partial = PartialBinary::new(packet);
                if partial.is_complete() {
                    let (packet, attachments) = partial.into_parts();
                    self.deliver(packet, attachments);
                } else {
                    self.partial = Some(partial);
                }
            }
        }
    }

    fn on_attachment(&mut self, data: Bytes) {
        if self.msgpack {
            self.on_msgpack(data);
            return;
        }
        let Some(partial) = self.partial.as_mut() else {
            self.fail("a binary message arrived that no packet announced");
            return;
        };
        partial.push(data);
        if partial.is_complete()
            && let Some(partial) = self.partial.take()
        {
            let (packet, attachments) = partial.into_parts();
            self.deliver(packet, attachments);
        }
    }

    fn deliver(&mut self, packet: sio::Packet, attachments: Vec<Bytes>) {
        // The decoder guarantees data on events and acks, and an id on acks.
        let data = packet.data.unwrap_or_else(|| Bytes::from_static(b"[]"));
        let event = match (packet.kind, packet.id) {
            (PacketType::Ack | PacketType::BinaryAck, Some(ack_id)) => ClientEvent::Ack {
                namespace: packet.namespace,
                ack_id,
                data,
                attachments,
            },
            _ => ClientEvent::Event {
                namespace: packet.namespace,
                data,
                attachments,
                ack_id: packet.id,
            },
        };
        self.events.push(event);
    }
}
