//! The Socket.IO v5 layer of the engine: namespaces, sockets, connects, events, acks, rooms (kept by the adapter)
//! and broadcasts.
//!
//! One Engine.IO session carries one socket per namespace. A socket is created when its CONNECT arrives and is
//! "connecting" until the bindings `accept` or `refuse` it (the connect handler runs in between); frames emitted
//! to it meanwhile wait in the socket and follow the CONNECT answer, so a client never sees an event before its
//! connect succeeded.

use std::sync::Arc;

use bytes::Bytes;

use crate::protocol::engineio::Frame;
use crate::protocol::socketio::{self as sio, DecodeLimits, PacketType, PartialBinary};

use super::Engine;
use super::adapter::{Adapter, Broadcast, Room, Target};
use super::config::Parser;
use super::errors::SessionError;
use super::event::{DisconnectReason, Event};
use super::handshake;
use super::outbox::PushError;
use super::sid::{EioSid, Sid};

/// One Socket.IO socket.
pub struct Socket {
    pub(super) eio_sid: EioSid,
    pub(super) namespace: Arc<str>,
    /// Frames emitted before the connect was accepted; `None` once connected.
    pending: Option<Vec<Frame>>,
    next_ack_id: u64,
}

impl Socket {
    /// Whether the connect was accepted (a connecting socket is not listed anywhere yet).
    pub(super) fn is_accepted(&self) -> bool {
        self.pending.is_none()
    }
}

#[cfg(any(test, fuzzing))]
impl Socket {
    /// For the interleaving driver's checks: its session, its namespace, and how many frames it holds back while
    /// connecting (`None` once accepted).
    pub(super) fn inspect(&self) -> (EioSid, &Arc<str>, Option<usize>) {
        (self.eio_sid, &self.namespace, self.pending.as_ref().map(Vec::len))
    }
}

impl Socket {
    /// The namespace it is connected to.
    pub(super) fn namespace(&self) -> &str {
        &self.namespace
    }
}

/// Why an operation on a socket did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    /// No such socket in that namespace (never was, or already disconnected).
    #[error("socket is not connected to that namespace")]
    NotConnected,
    /// The socket was accepted already, so it can no longer be refused (disconnect it instead).
    #[error("socket was already accepted")]
    AlreadyAccepted,
}

fn sio_frame(
    parser: Parser,
    kind: PacketType,
    namespace: &str,
    id: Option<u64>,
    attachments: usize,
    data: Option<&[u8]>,
) -> Frame {
    let mut out = Vec::with_capacity(16 + namespace.len() + data.map_or(0, <[u8]>::len));
    if parser == Parser::MsgPack {
        // spec (socket.io-msgpack-parser): no attachments; `data` is already msgpack with its binary inline.
        sio::msgpack::encode(&mut out, kind, namespace, id, data);
        return Frame::Binary(out.into());
    }
    out.push(b'4');
    sio::encode(&mut out, kind, namespace, id, attachments, data);
    Frame::Text(out.into())
}

/// An `EVENT` (or `BINARY_EVENT` when it has attachments) with no ack id, in JSON: the Admin UI's reports (its tap
/// is refused on a msgpack server, whose event data it could not embed).
pub(super) fn event_frame(namespace: &str, data: &[u8], attachments: usize) -> Frame {
    let kind = if attachments == 0 {
        PacketType::Event
    } else {
        PacketType::BinaryEvent
    };
    sio_frame(Parser::Json, kind, namespace, None, attachments, Some(data))
}

/// An event's or ack's frames: the packet, then its attachments (none with msgpack, which carries bytes inline).
fn packet_frames(
    parser: Parser,
    kind: PacketType,
    namespace: &str,
    id: Option<u64>,
    data: &[u8],
    attachments: &[Bytes],
) -> Vec<Frame> {
    let mut frames = Vec::with_capacity(1 + attachments.len());
    frames.push(sio_frame(parser, kind, namespace, id, attachments.len(), Some(data)));
    frames.extend(attachments.iter().cloned().map(Frame::Binary));
    frames
}

fn event_kind(attachments: &[Bytes], text: PacketType, binary: PacketType) -> PacketType {
    if attachments.is_empty() { text } else { binary }
}

impl<A: Adapter> Engine<A> {
    pub(super) fn on_socketio_text(&mut self, eio_sid: EioSid, text: Bytes) -> Result<(), SessionError> {
        let limits = DecodeLimits {
            max_attachments: self.config.max_attachments,
        };
        if self.config.parser == Parser::MsgPack {
            return Err(SessionError::UnexpectedPacket("text message on a msgpack server"));
        }
        let session = self.sessions.get_mut(&eio_sid).ok_or(SessionError::UnknownSession)?;
        if session.partial.is_some() {
            return Err(SessionError::UnexpectedPacket(
                "text packet while binary attachments were expected",
            ));
        }
        let packet = sio::Packet::decode(text, &limits)?;
        if packet.attachments > 0 {
            session.partial = Some(PartialBinary::new(packet));
            return Ok(());
        }
        self.on_socketio_packet(eio_sid, packet, Vec::new())
    }

    pub(super) fn on_socketio_binary(&mut self, eio_sid: EioSid, data: Bytes) -> Result<(), SessionError> {
        if self.config.parser == Parser::MsgPack {
            let packet = sio::msgpack::decode(data)?;
            return self.on_socketio_packet(eio_sid, packet, Vec::new());
        }
        let session = self.sessions.get_mut(&eio_sid).ok_or(SessionError::UnknownSession)?;
        let partial = session
            .partial
            .as_mut()
            .ok_or(SessionError::UnexpectedPacket("binary data nobody announced"))?;
        partial.push(data);
        if !partial.is_complete() {
            return Ok(());
        }
        let Some(partial) = session.partial.take() else {
            return Ok(());
        };
        let (packet, attachments) = partial.into_parts();
        if let Some(data) = &packet.data {
            sio::validate_placeholders(data, attachments.len())?;
        }
        self.on_socketio_packet(eio_sid, packet, attachments)
    }

    fn on_socketio_packet(
        &mut self,
        eio_sid: EioSid,
        packet: sio::Packet,
        attachments: Vec<Bytes>,
    ) -> Result<(), SessionError> {
        let session = self.sessions.get_mut(&eio_sid).ok_or(SessionError::UnknownSession)?;
        let existing = session.socket_in(&packet.namespace);
        match packet.kind {
            PacketType::Connect => {
                if let Some(sid) = existing {
                    // compat: socket.io-client can send CONNECT twice for one namespace; like the reference
                    // servers, answer again with the same sid (or let the pending answer cover it).
                    self.repeat_connect_answer(sid);
                    return Ok(());
                }
                let sid = Sid::random();
                let namespace: Arc<str> = Arc::from(packet.namespace.as_str());
                session.sockets.push((namespace.clone(), sid));
                self.sockets.insert(
                    sid,
                    Socket {
                        eio_sid,
                        namespace: namespace.clone(),
                        pending: Some(Vec::new()),
                        next_ack_id: 0,
                    },
                );
                self.adapter.add_socket(&namespace, sid);
                self.sink.push(Event::Connect {
                    eio_sid,
                    sid,
                    namespace,
                    auth: packet.data,
                });
            }
            PacketType::Disconnect => {
                if let Some(sid) = existing {
                    self.drop_socket(sid, Some(DisconnectReason::ClientDisconnect));
                }
            }
            PacketType::Event | PacketType::BinaryEvent => {
                // spec: an event for a namespace the client has not asked to join closes the connection. One sent
                // right after its CONNECT, before the answer, is delivered after the connect event (as the
                // reference servers do).
                let Some(sid) = existing else {
                    return Err(SessionError::UnexpectedPacket(
                        "event for a namespace that is not connected",
                    ));
                };
                let Some(data) = packet.data else {
                    return Err(SessionError::UnexpectedPacket("event without data"));
                };
                let namespace = self.namespace_of(sid);
                self.admin_event_received(sid, &namespace, &data, &attachments);
                self.metrics.add(crate::metrics::Counter::EventsIn, 1);
                self.sink.push(Event::Message {
                    sid,
                    namespace,
                    data,
                    ack_id: packet.id,
                    attachments,
                });
            }
            PacketType::Ack | PacketType::BinaryAck => {
                let Some(sid) = existing else {
                    return Err(SessionError::UnexpectedPacket(
                        "ack for a namespace that is not connected",
                    ));
                };
                let (Some(ack_id), Some(data)) = (packet.id, packet.data) else {
                    return Err(SessionError::UnexpectedPacket("ack without id or data"));
                };
                let namespace = self.namespace_of(sid);
                self.metrics.add(crate::metrics::Counter::AcksIn, 1);
                self.sink.push(Event::Ack {
                    sid,
                    namespace,
                    ack_id,
                    data,
                    attachments,
                });
            }
            PacketType::ConnectError => return Err(SessionError::UnexpectedPacket("connect error from a client")),
        }
        Ok(())
    }

    fn namespace_of(&self, sid: Sid) -> Arc<str> {
        self.sockets
            .get(&sid)
            .map_or_else(|| Arc::from("/"), |s| s.namespace.clone())
    }

    fn socket_in(&self, sid: Sid, namespace: &str) -> Result<&Socket, SocketError> {
        self.sockets
            .get(&sid)
            .filter(|s| &*s.namespace == namespace)
            .ok_or(SocketError::NotConnected)
    }

    fn repeat_connect_answer(&mut self, sid: Sid) {
        let Some(socket) = self.sockets.get(&sid) else { return };
        if socket.pending.is_some() {
            return;
        }
        let frame = handshake::connect_ok_frame(self.config.parser, &socket.namespace, sid);
        let eio_sid = socket.eio_sid;
        self.push_to_session(eio_sid, std::iter::once(&frame), true);
    }

    /// Let a connecting socket in: the client gets `CONNECT {"sid"}` and then whatever was emitted to it meanwhile.
    pub fn accept(&mut self, sid: Sid) -> Result<(), SocketError> {
        let socket = self.sockets.get_mut(&sid).ok_or(SocketError::NotConnected)?;
        let Some(pending) = socket.pending.take() else {
            return Ok(());
        };
        let connect = handshake::connect_ok_frame(self.config.parser, &socket.namespace, sid);
        let eio_sid = socket.eio_sid;
        self.push_to_session(eio_sid, std::iter::once(&connect).chain(pending.iter()), true);
        self.admin_socket_accepted(sid);
        Ok(())
    }

    /// Turn a connecting socket away with `CONNECT_ERROR {"message", "data"}`; no disconnect handler runs.
    pub fn refuse(&mut self, sid: Sid, message: &str, data: Option<&[u8]>) -> Result<(), SocketError> {
        let socket = self.sockets.get(&sid).ok_or(SocketError::NotConnected)?;
        if socket.pending.is_none() {
            // Dropping an accepted socket here would skip its `Disconnect` event (found by the interleaving fuzz).
            return Err(SocketError::AlreadyAccepted);
        }
        let frame = handshake::connect_error_frame(self.config.parser, &socket.namespace, message, data);
        let eio_sid = socket.eio_sid;
        self.drop_socket(sid, None);
        self.push_to_session(eio_sid, std::iter::once(&frame), true);
        Ok(())
    }

    /// Server-side disconnect of one socket: the client gets `DISCONNECT`, a `Disconnect` event follows.
    pub fn disconnect(&mut self, sid: Sid, namespace: &str) -> Result<(), SocketError> {
        let socket = self.socket_in(sid, namespace)?;
        let frame = sio_frame(
            self.config.parser,
            PacketType::Disconnect,
            &socket.namespace,
            None,
            0,
            None,
        );
        let eio_sid = socket.eio_sid;
        self.push_to_session(eio_sid, std::iter::once(&frame), true);
        self.drop_socket(sid, Some(DisconnectReason::ServerDisconnect));
        Ok(())
    }

    /// Forget a socket everywhere; `reason` set means a `Disconnect` event is due.
    pub(super) fn drop_socket(&mut self, sid: Sid, reason: Option<DisconnectReason>) {
        let Some(socket) = self.sockets.remove(&sid) else {
            return;
        };
        self.adapter.remove_socket(&socket.namespace, sid);
        let transport = self.sessions.get_mut(&socket.eio_sid).map(|session| {
            session.remove_socket(sid);
            session.transport
        });
        // A socket that was never accepted was never connected: no disconnect handler for it.
        if let (Some(reason), None) = (reason, &socket.pending) {
            self.admin_socket_gone(sid, &socket.namespace, reason);
            self.sink.push(Event::Disconnect {
                sid,
                namespace: socket.namespace,
                reason,
                transport,
            });
        }
    }

    /// Put a socket in a room.
    pub fn join(&mut self, sid: Sid, namespace: &str, room: &str) -> Result<(), SocketError> {
        self.socket_in(sid, namespace)?;
        self.adapter.join(namespace, sid, room);
        self.admin_room(true, namespace, sid, room);
        Ok(())
    }

    /// Take a socket out of a room.
    pub fn leave(&mut self, sid: Sid, namespace: &str, room: &str) -> Result<(), SocketError> {
        self.socket_in(sid, namespace)?;
        self.adapter.leave(namespace, sid, room);
        self.admin_room(false, namespace, sid, room);
        Ok(())
    }

    /// Empty a room.
    pub fn close_room(&mut self, namespace: &str, room: &str) {
        self.adapter.close_room(namespace, room);
    }

    /// The rooms of a socket: its own sid first, then the rooms it joined in order.
    pub fn rooms(&self, sid: Sid, namespace: &str) -> Vec<Room> {
        if self.socket_in(sid, namespace).is_err() {
            return Vec::new();
        }
        let mut rooms = vec![Room::from(sid.as_str())];
        rooms.extend(self.adapter.rooms_of(namespace, sid).iter().cloned());
        rooms
    }

    /// The sockets of a namespace that a `target` names, minus `skip`, each once.
    pub fn recipients(&self, namespace: &str, target: Target<'_>, skip: &[Sid]) -> Vec<Sid> {
        self.adapter.recipients(namespace, target, skip)
    }

    /// Send an event to the sockets `target` names. `data` is the serialised JSON array (event name first) and
    /// `attachments` its binary parts. The frame is encoded once and shared by every recipient.
    pub fn emit(&mut self, namespace: &str, data: &[u8], attachments: &[Bytes], target: Target<'_>, skip: &[Sid]) {
        let recipients = self.adapter.broadcast(&Broadcast {
            namespace,
            target,
            skip,
            data,
            attachments,
        });
        self.fan_out(recipients, namespace, data, attachments);
    }

    /// Like [`Engine::emit`], to the sockets of this process only: the adapter is asked for recipients, and a
    /// pub/sub adapter publishes nothing (python-socketio's `ignore_queue=True`).
    pub fn emit_local(
        &mut self,
        namespace: &str,
        data: &[u8],
        attachments: &[Bytes],
        target: Target<'_>,
        skip: &[Sid],
    ) {
        let recipients = self.adapter.recipients(namespace, target, skip);
        self.fan_out(recipients, namespace, data, attachments);
    }

    /// Frame an event once and push it to every one of `recipients`.
    pub(super) fn fan_out(&mut self, recipients: Vec<Sid>, namespace: &str, data: &[u8], attachments: &[Bytes]) {
        if recipients.is_empty() {
            return;
        }
        let kind = event_kind(attachments, PacketType::Event, PacketType::BinaryEvent);
        let frames = packet_frames(self.config.parser, kind, namespace, None, data, attachments);
        for sid in &recipients {
            self.push_to_socket(*sid, &frames);
        }
        self.admin_events_sent(&recipients, namespace, data, attachments);
    }

    /// Like [`Engine::emit`], but each recipient gets its own ack id; returns (socket, ack id) for each.
    pub fn emit_with_ack(
        &mut self,
        namespace: &str,
        data: &[u8],
        attachments: &[Bytes],
        target: Target<'_>,
        skip: &[Sid],
    ) -> Vec<(Sid, u64)> {
        let recipients = self.recipients(namespace, target, skip);
        let kind = event_kind(attachments, PacketType::Event, PacketType::BinaryEvent);
        let mut sent = Vec::with_capacity(recipients.len());
        for sid in recipients {
            let Some(socket) = self.sockets.get_mut(&sid) else {
                continue;
            };
            let ack_id = socket.next_ack_id;
            socket.next_ack_id += 1;
            let frames = packet_frames(self.config.parser, kind, namespace, Some(ack_id), data, attachments);
            self.push_to_socket(sid, &frames);
            sent.push((sid, ack_id));
        }
        if self.admin.is_some() {
            let recipients: Vec<Sid> = sent.iter().map(|(sid, _)| *sid).collect();
            self.admin_events_sent(&recipients, namespace, data, attachments);
        }
        sent
    }

    /// Answer a client's event that carried an ack id. `data` is the serialised JSON array of ack arguments.
    pub fn ack(
        &mut self,
        sid: Sid,
        namespace: &str,
        ack_id: u64,
        data: &[u8],
        attachments: &[Bytes],
    ) -> Result<(), SocketError> {
        self.socket_in(sid, namespace)?;
        let kind = event_kind(attachments, PacketType::Ack, PacketType::BinaryAck);
        let frames = packet_frames(self.config.parser, kind, namespace, Some(ack_id), data, attachments);
        self.push_to_socket(sid, &frames);
        Ok(())
    }

    pub(super) fn push_to_socket(&mut self, sid: Sid, frames: &[Frame]) {
        let Some(socket) = self.sockets.get_mut(&sid) else {
            return;
        };
        if let Some(pending) = &mut socket.pending {
            // Held back until the connect is answered, within the same bound as a session's outbox.
            if pending.len() + frames.len() <= self.config.outbox.max_frames {
                pending.extend(frames.iter().cloned());
                return;
            }
            let eio_sid = socket.eio_sid;
            self.slow_consumer(eio_sid);
            return;
        }
        let eio_sid = socket.eio_sid;
        self.push_to_session(eio_sid, frames.iter(), false);
    }

    fn push_to_session<'a>(&mut self, eio_sid: EioSid, frames: impl Iterator<Item = &'a Frame> + Clone, control: bool) {
        if self.admin.is_some() {
            for frame in frames.clone() {
                self.admin_count_out(frame.len());
            }
        }
        let Some(session) = self.sessions.get(&eio_sid) else {
            return;
        };
        let result = if control {
            frames
                .clone()
                .try_for_each(|f| session.outbox.push_control(f.clone(), &mut self.wakes))
        } else {
            session.outbox.push_all(frames, &mut self.wakes)
        };
        if result == Err(PushError::Overflow) {
            self.slow_consumer(eio_sid);
        }
    }
}
