//! Sans-IO Engine.IO v4 and Socket.IO v5 server state.
//!
//! In: requests and raw frames from a driver (`open`, `begin_poll`, `on_post`, `on_ws_text`, ...), which the engine
//! decodes with `protocol`; calls from the bindings (`emit`, `accept`, `join`, ...); and the time as an argument
//! (`on_tick(now)`).
//! Out: frames queued in each session's [`Outbox`], [`Event`]s pushed into the [`EventSink`] the engine was built
//! with, and the next heartbeat deadline.
//! Never: sockets, timers, threads, tokio or Python. The driver owns those and serialises calls into an
//! `Engine` (it is plain `&mut self` state), so the whole protocol is tested here with scripted input and a
//! fake clock.
//!
//! This is the server's side of the protocol: what only a server says is built in `handshake` (the open packet,
//! the answers to a namespace CONNECT), and the packets a server refuses from its peer (an open packet, an upgrade
//! outside an upgrade, a `CONNECT_ERROR`) are refused where they arrive, in `on_packet` and `on_socketio_packet`.
//! Room membership and fan-out targets go through an [`adapter::Adapter`] ([`pubsub::PubSubAdapter`], which is
//! [`rooms::LocalAdapter`] until linked to other hosts, unless [`Engine::with_adapter`] is given another), asked
//! once per broadcast; the broadcast is framed once and the same
//! frames go to every recipient. Tests: `tests.rs` drives the whole engine; smaller files test themselves at their
//! bottom.

pub mod adapter;
pub mod admin;
pub mod config;
pub mod errors;
pub mod event;
mod gauges;
mod handshake;
pub mod heartbeat;
#[cfg(any(test, fuzzing))]
pub mod interleave;
pub mod outbox;
pub mod pubsub;
pub mod rooms;
pub mod session;
pub mod sid;
pub mod socketio;

use std::collections::HashMap;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use bytes::Bytes;

use crate::metrics::{Counter, Metrics};
use crate::protocol::engineio::{self as eio, Frame, Packet};

use self::adapter::Adapter;
pub use self::config::{EngineConfig, Parser, Transports};
pub use self::errors::SessionError;
pub use self::event::{DisconnectReason, EioData, Event, EventSink, RequestInfo, Transport};
use self::heartbeat::{Beat, Heartbeats};
pub use self::outbox::{Drained, Outbox, OutboxLimits, PushError};
use self::pubsub::PubSubAdapter;
use self::session::{Session, Upgrade};
pub use self::sid::{EioSid, Sid};
use self::socketio::Socket;

/// A session that was just opened.
pub struct Opened {
    /// Its id.
    pub eio_sid: EioSid,
    /// Its outbound queue.
    pub outbox: Arc<Outbox>,
    /// spec: the open packet (`0{"sid":...}`), to answer the handshake request or send as the first WS frame.
    pub open_frame: Frame,
}

/// What a driver does after feeding a WebSocket frame.
#[derive(Debug, PartialEq, Eq)]
pub enum WsOutcome {
    /// Nothing special.
    Continue,
    /// Write this frame on the WebSocket now, ahead of the queue (the `3probe` answer while upgrading).
    Reply(Frame),
    /// The upgrade finished: this WebSocket now drains the session's outbox.
    Upgraded,
    /// The session ended; close the WebSocket.
    Closed,
}

/// The server's whole protocol state; `A` keeps room membership (see [`adapter`]).
pub struct Engine<A = PubSubAdapter> {
    config: EngineConfig,
    sink: Arc<dyn EventSink>,
    sessions: HashMap<EioSid, Session>,
    sockets: HashMap<Sid, Socket>,
    /// Room membership and fan-out resolution.
    adapter: A,
    heartbeats: Heartbeats,
    /// Sessions a client closed with a close packet in a POST while no GET waited, and when: the next GET for one is
    /// still answered (a noop), as Node does. Forgotten after one heartbeat period.
    closed_by_post: HashMap<EioSid, Instant>,
    /// Transports to wake once the caller has released the engine (see [`Engine::take_wakes`]).
    wakes: Vec<Waker>,
    /// The Admin UI's taps, once instrumented (`admin.rs`).
    admin: Option<Box<admin::AdminTap>>,
    /// What is counted for Prometheus (off until enabled; see `crate::metrics`).
    metrics: Arc<Metrics>,
}

impl Engine {
    /// An engine with no sessions, keeping rooms in this process until [`Engine::set_link`] joins it to a fleet.
    pub fn new(config: EngineConfig, sink: Arc<dyn EventSink>) -> Self {
        Self::with_adapter(config, sink, PubSubAdapter::default())
    }
}

impl<A: Adapter> Engine<A> {
    /// An engine with no sessions whose rooms and fan-out go through `adapter`.
    pub fn with_adapter(config: EngineConfig, sink: Arc<dyn EventSink>, adapter: A) -> Self {
        Self {
            config,
            sink,
            sessions: HashMap::new(),
            sockets: HashMap::new(),
            adapter,
            heartbeats: Heartbeats::default(),
            closed_by_post: HashMap::new(),
            wakes: Vec::new(),
            admin: None,
            metrics: Arc::default(),
        }
    }

    /// The counters; the drivers and the bindings count into them too, without the engine's lock.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The settings.
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// The transports that have new frames (or a close) since the last call. The caller wakes them after
    /// releasing the engine, so that no wake-up runs inside the engine's critical section.
    pub fn take_wakes(&mut self) -> Vec<Waker> {
        std::mem::take(&mut self.wakes)
    }

    /// Sessions open now.
    pub fn session_count(&self) -> usize {
        self.sessions.len()
    }

    /// The transport a session uses now.
    pub fn transport(&self, eio_sid: EioSid) -> Option<Transport> {
        self.sessions.get(&eio_sid).map(|s| s.transport)
    }

    /// spec: the handshake. Creates a session on `transport` and gives back the open packet.
    pub fn open(
        &mut self,
        now: Instant,
        transport: Transport,
        request: Option<Box<RequestInfo>>,
    ) -> Result<Opened, SessionError> {
        let allowed = match transport {
            Transport::Polling => self.config.transports.polling,
            Transport::WebSocket => self.config.transports.websocket,
        };
        if !allowed {
            return Err(SessionError::TransportNotAllowed);
        }
        let eio_sid = EioSid::random();
        let upgrades = transport == Transport::Polling && self.config.transports.websocket;
        let outbox = Arc::new(Outbox::counted(self.config.outbox, self.metrics.clone()));
        self.metrics.add(
            match transport {
                Transport::Polling => Counter::OpenedPolling,
                Transport::WebSocket => Counter::OpenedWebSocket,
            },
            1,
        );
        let heartbeat = self
            .heartbeats
            .schedule(eio_sid, Beat::SendPing, now + self.config.ping_interval);
        self.sessions.insert(
            eio_sid,
            Session {
                outbox: outbox.clone(),
                transport,
                upgrade: Upgrade::None,
                polling_get: false,
                probe_poll: None,
                heartbeat,
                sockets: Vec::new(),
                partial: None,
            },
        );
        self.admin_session_opened(eio_sid, request.as_deref());
        self.sink.push(Event::EioConnect {
            eio_sid,
            transport,
            request,
        });
        let open_frame = handshake::open_frame(eio_sid, upgrades, &self.config);
        // Written by the driver itself (the handshake's answer, or a WebSocket's first frame), not via the outbox.
        self.metrics.sent(1, open_frame.len());
        Ok(Opened {
            eio_sid,
            outbox,
            open_frame,
        })
    }

    /// A long-polling GET arrived: gives the queue to wait on. Call [`Engine::end_poll`] when it is answered.
    pub fn begin_poll(&mut self, eio_sid: EioSid) -> Result<Arc<Outbox>, SessionError> {
        let Some(session) = self.sessions.get_mut(&eio_sid) else {
            if self.closed_by_post.remove(&eio_sid).is_some() {
                // node: the GET that follows a client's close is released with a noop, even when the POST
                // reached the server first; only the GET after it finds the session gone.
                let outbox = Arc::new(Outbox::new(self.config.outbox));
                outbox.close(false, &mut self.wakes);
                return Ok(outbox);
            }
            return Err(SessionError::UnknownSession);
        };
        if session.transport != Transport::Polling || session.upgrade == Upgrade::Done {
            return Err(SessionError::WrongTransport);
        }
        if session.polling_get {
            // spec: overlapping GETs are a protocol violation; the session is closed.
            let err = SessionError::OverlappingPoll;
            self.close_for(eio_sid, &err);
            return Err(err);
        }
        session.polling_get = true;
        if session.upgrade == Upgrade::Probing && session.outbox.is_empty() {
            // spec: during the upgrade, polls are flushed with noops, as Node does on its next 100 ms check
            // ([`Engine::probe_tick`]), not at once: a GET sent right after `5` may reach the server before the
            // `5` does, and must then see the upgrade and be refused rather than be answered.
            let waiting = Arc::new(Outbox::new(self.config.outbox));
            session.probe_poll = Some(waiting.clone());
            return Ok(waiting);
        }
        Ok(session.outbox.clone())
    }

    /// The long-polling GET was answered (or its connection dropped).
    pub fn end_poll(&mut self, eio_sid: EioSid) {
        if let Some(session) = self.sessions.get_mut(&eio_sid) {
            session.polling_get = false;
            session.probe_poll = None;
        }
    }

    /// A probing WebSocket's periodic check (every 100 ms, like Node's): releases a GET waiting through the
    /// upgrade with a noop. False when the session is gone.
    pub fn probe_tick(&mut self, eio_sid: EioSid) -> bool {
        let Some(session) = self.sessions.get_mut(&eio_sid) else {
            return false;
        };
        if let Some(waiting) = session.probe_poll.take() {
            waiting.close(false, &mut self.wakes);
        }
        true
    }

    /// Whether the session has completed the upgrade to WebSocket (a GET that waited through it is refused).
    pub fn upgraded(&self, eio_sid: EioSid) -> bool {
        self.sessions.get(&eio_sid).is_some_and(|s| s.upgrade == Upgrade::Done)
    }

    /// A long-polling POST body arrived (the driver has already refused bodies over `max_payload`).
    pub fn on_post(&mut self, now: Instant, eio_sid: EioSid, body: Bytes) -> Result<(), SessionError> {
        self.admin_count(admin::Counter::PacketsIn, body.len());
        let session = self.sessions.get(&eio_sid).ok_or(SessionError::UnknownSession)?;
        if session.transport != Transport::Polling || session.upgrade == Upgrade::Done {
            return Err(SessionError::WrongTransport);
        }
        self.metrics.received(0, body.len());
        let result = eio::decode_payload(body, self.config.max_packets_per_post)
            .map_err(SessionError::from)
            .and_then(|packets| {
                for packet in packets {
                    if self.on_packet(now, eio_sid, packet, Transport::Polling)? == WsOutcome::Closed {
                        break;
                    }
                }
                Ok(())
            });
        self.fail_on_error(eio_sid, result)
    }

    /// A WebSocket connected for an existing polling session: the upgrade begins.
    pub fn begin_upgrade(&mut self, eio_sid: EioSid) -> Result<Arc<Outbox>, SessionError> {
        if !self.config.transports.websocket {
            return Err(SessionError::TransportNotAllowed);
        }
        let session = self.sessions.get_mut(&eio_sid).ok_or(SessionError::UnknownSession)?;
        if session.transport != Transport::Polling || session.upgrade != Upgrade::None {
            return Err(SessionError::AlreadyUpgraded);
        }
        session.upgrade = Upgrade::Probing;
        Ok(session.outbox.clone())
    }

    /// The probing WebSocket went away before the upgrade finished: the session stays on polling.
    pub fn abort_upgrade(&mut self, eio_sid: EioSid) {
        if let Some(session) = self.sessions.get_mut(&eio_sid)
            && session.upgrade == Upgrade::Probing
        {
            session.upgrade = Upgrade::None;
            self.metrics.add(Counter::UpgradeFailures, 1);
            if let Some(waiting) = session.probe_poll.take() {
                waiting.close(false, &mut self.wakes);
            }
        }
    }

    /// A WebSocket text frame arrived.
    pub fn on_ws_text(&mut self, now: Instant, eio_sid: EioSid, frame: Bytes) -> Result<WsOutcome, SessionError> {
        self.admin_count(admin::Counter::PacketsIn, frame.len());
        self.metrics.received(0, frame.len());
        let result = Packet::decode_text(frame)
            .map_err(SessionError::from)
            .and_then(|packet| self.on_packet(now, eio_sid, packet, Transport::WebSocket));
        self.fail_on_error(eio_sid, result)
    }

    /// A WebSocket binary frame arrived.
    pub fn on_ws_binary(&mut self, now: Instant, eio_sid: EioSid, data: Bytes) -> Result<WsOutcome, SessionError> {
        self.admin_count(admin::Counter::PacketsIn, data.len());
        self.metrics.received(0, data.len());
        let result = self.on_packet(now, eio_sid, Packet::Binary(data), Transport::WebSocket);
        self.fail_on_error(eio_sid, result)
    }

    /// A frame larger than `max_payload` arrived (the driver refuses it before buffering it all).
    pub fn on_oversize(&mut self, eio_sid: EioSid) -> SessionError {
        let err = SessionError::PayloadTooLarge {
            limit: self.config.max_payload,
        };
        self.close_for(eio_sid, &err);
        err
    }

    /// The connection that carried the session went away.
    pub fn on_transport_closed(&mut self, eio_sid: EioSid, reason: DisconnectReason) {
        self.close(eio_sid, reason, false);
    }

    /// End a session: its sockets leave their namespaces (a `Disconnect` event each, then `EioDisconnect`), and the
    /// outbox closes after what is queued. `notify_client` adds an Engine.IO close packet.
    pub fn close(&mut self, eio_sid: EioSid, reason: DisconnectReason, notify_client: bool) {
        // The sockets go first, while their session still says which transport it was on.
        let Some(sockets) = self.sessions.get(&eio_sid).map(|s| s.sockets.clone()) else {
            return;
        };
        for (_, sid) in sockets {
            self.drop_socket(sid, Some(reason));
        }
        let Some(session) = self.sessions.remove(&eio_sid) else {
            return;
        };
        session.outbox.close(notify_client, &mut self.wakes);
        if let Some(waiting) = session.probe_poll {
            waiting.close(notify_client, &mut self.wakes);
        }
        self.admin_session_closed(eio_sid);
        self.sink.push(Event::EioDisconnect { eio_sid, reason });
    }

    /// Close every session (server shutdown): each gets what was queued for it, then its connection closes.
    /// node (`io.close()`): no close packet, so clients see their transport close and reconnect, and a restart
    /// brings them back; python-socketio's client would take a close packet as a goodbye and stay away.
    pub fn close_all(&mut self) {
        let all: Vec<EioSid> = self.sessions.keys().copied().collect();
        for eio_sid in all {
            self.close(eio_sid, DisconnectReason::ServerDisconnect, false);
        }
    }

    /// When [`Engine::on_tick`] next has work.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.heartbeats.next_deadline()
    }

    /// spec: heartbeats. Sends due pings and closes sessions whose pong is overdue.
    pub fn on_tick(&mut self, now: Instant) {
        if !self.closed_by_post.is_empty() {
            let keep = self.config.ping_interval + self.config.ping_timeout;
            self.closed_by_post.retain(|_, at| now.duration_since(*at) < keep);
        }
        for (eio_sid, generation) in self.heartbeats.pop_due(now) {
            let Some(session) = self.sessions.get_mut(&eio_sid) else {
                continue;
            };
            if session.heartbeat.generation != generation {
                continue;
            }
            match session.heartbeat.beat {
                Beat::SendPing => {
                    // A ping goes past the queue bound (up to twice it): the pong deadline decides about slow readers.
                    let _ = session.outbox.push_control(Frame::ping(), &mut self.wakes);
                    session.heartbeat =
                        self.heartbeats
                            .schedule(eio_sid, Beat::AwaitPong, now + self.config.ping_timeout);
                }
                Beat::AwaitPong => self.close(eio_sid, DisconnectReason::PingTimeout, false),
            }
        }
    }

    /// Send a bare Engine.IO message (python-engineio's `send`).
    pub fn eio_send(&mut self, eio_sid: EioSid, data: EioData) -> Result<(), SessionError> {
        let frame = match data {
            EioData::Text(text) => Frame::message(&text),
            EioData::Binary(bin) => Frame::Binary(bin),
        };
        let len = frame.len();
        let session = self.sessions.get(&eio_sid).ok_or(SessionError::UnknownSession)?;
        let pushed = session.outbox.push(frame, &mut self.wakes);
        self.admin_count(admin::Counter::PacketsOut, len);
        if let Err(PushError::Overflow) = pushed {
            self.slow_consumer(eio_sid);
        }
        Ok(())
    }

    fn on_packet(
        &mut self,
        now: Instant,
        eio_sid: EioSid,
        packet: Packet,
        via: Transport,
    ) -> Result<WsOutcome, SessionError> {
        let session = self.sessions.get_mut(&eio_sid).ok_or(SessionError::UnknownSession)?;
        self.metrics.add(Counter::PacketsIn, 1);
        match packet {
            Packet::Open(_) => Err(SessionError::UnexpectedPacket("open packet from a client")),
            Packet::Close => {
                if via == Transport::Polling && !session.polling_get {
                    self.closed_by_post.insert(eio_sid, now);
                }
                self.close(eio_sid, DisconnectReason::ClientDisconnect, false);
                Ok(WsOutcome::Closed)
            }
            Packet::Ping(data) => {
                let pong = Frame::pong(&data);
                if via == Transport::WebSocket && session.upgrade == Upgrade::Probing {
                    // spec: answer the probe on the new WebSocket and flush the waiting GET with a noop. Only a
                    // waiting one: a noop queued for nobody would answer a GET sent after `5` that overtook it.
                    if let Some(waiting) = session.probe_poll.take() {
                        waiting.close(false, &mut self.wakes);
                    } else if session.polling_get {
                        let _ = session.outbox.push_control(Frame::noop(), &mut self.wakes);
                    }
                    self.metrics.sent(1, pong.len());
                    Ok(WsOutcome::Reply(pong))
                } else {
                    if session.outbox.push_control(pong, &mut self.wakes) == Err(PushError::Overflow) {
                        // Pings whose pongs nobody reads (found by the interleaving fuzz): a slow consumer.
                        self.slow_consumer(eio_sid);
                        return Ok(WsOutcome::Closed);
                    }
                    Ok(WsOutcome::Continue)
                }
            }
            Packet::Pong(_) => {
                if session.heartbeat.beat == Beat::AwaitPong {
                    session.heartbeat =
                        self.heartbeats
                            .schedule(eio_sid, Beat::SendPing, now + self.config.ping_interval);
                }
                Ok(WsOutcome::Continue)
            }
            Packet::Upgrade => {
                if via == Transport::WebSocket && session.upgrade == Upgrade::Probing {
                    session.upgrade = Upgrade::Done;
                    session.transport = Transport::WebSocket;
                    self.metrics.add(Counter::Upgrades, 1);
                    // A GET still waiting was sent after the `5`: its driver sees the upgrade and refuses it.
                    if let Some(waiting) = session.probe_poll.take() {
                        waiting.close(false, &mut self.wakes);
                    }
                    self.admin_upgraded(eio_sid);
                    Ok(WsOutcome::Upgraded)
                } else {
                    Err(SessionError::UnexpectedPacket("upgrade packet outside an upgrade"))
                }
            }
            Packet::Noop => Ok(WsOutcome::Continue),
            Packet::Message(text) => {
                if text.len() > self.config.max_payload {
                    return Err(SessionError::PayloadTooLarge {
                        limit: self.config.max_payload,
                    });
                }
                if self.config.socketio {
                    self.on_socketio_text(eio_sid, text)?;
                } else {
                    self.sink.push(Event::EioMessage {
                        eio_sid,
                        data: EioData::Text(text),
                    });
                }
                Ok(WsOutcome::Continue)
            }
            Packet::Binary(data) => {
                if data.len() > self.config.max_payload {
                    return Err(SessionError::PayloadTooLarge {
                        limit: self.config.max_payload,
                    });
                }
                if self.config.socketio {
                    self.on_socketio_binary(eio_sid, data)?;
                } else {
                    self.sink.push(Event::EioMessage {
                        eio_sid,
                        data: EioData::Binary(data),
                    });
                }
                Ok(WsOutcome::Continue)
            }
        }
    }

    /// Close the session when `result` is an error that ends it; pass the result on either way.
    fn fail_on_error<T>(&mut self, eio_sid: EioSid, result: Result<T, SessionError>) -> Result<T, SessionError> {
        if let Err(err) = &result {
            self.close_for(eio_sid, err);
        }
        result
    }

    fn close_for(&mut self, eio_sid: EioSid, err: &SessionError) {
        if let Some(reason) = err.closes_session()
            && self.sessions.contains_key(&eio_sid)
        {
            if let Some(why) = err.rejects() {
                self.metrics.reject(why);
            }
            self.warn(format!("closing session {eio_sid}: {err}"));
            self.close(eio_sid, reason, true);
        }
    }

    /// A client's queue overflowed: it is not reading. Disconnect it rather than grow memory.
    fn slow_consumer(&mut self, eio_sid: EioSid) {
        if self.sessions.contains_key(&eio_sid) {
            self.metrics.add(Counter::SlowOutboxFull, 1);
            self.warn(format!(
                "closing session {eio_sid}: outbound queue full (client not reading)"
            ));
            self.close(eio_sid, DisconnectReason::TransportError, false);
        }
    }

    fn warn(&self, message: String) {
        self.sink.push(Event::Warning { message });
    }
}

#[cfg(test)]
mod tests;
