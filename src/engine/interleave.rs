//! A driver that runs the engine through random interleavings of what clients do (handshakes, packets, polls,
//! upgrades, closes), what the application does (accept, refuse, emit, rooms, disconnects) and time passing, and
//! checks the engine's invariants after every step.
//!
//! In: a [`Choices`] source, which decides every step. `fuzz/fuzz_targets/engine_interleavings.rs` feeds it
//! libFuzzer's input through `arbitrary::Unstructured`; the tests at the bottom feed it a seeded PRNG, so a plain
//! stable `cargo test` runs the same driver without cargo-fuzz.
//! Out: a panic naming the broken invariant (libFuzzer records the input). Checked after each step: every open
//! session's outbox is open and within twice its [`OutboxLimits`]; sessions, sockets and the adapter agree with
//! each other; a session that ended is gone everywhere, its outbox closed, with exactly one `EioDisconnect`; a
//! socket gets one `Disconnect` if and only if it was accepted and has gone. At the end, closing everything (or
//! letting the heartbeats run out) leaves no session, socket, room member, grace entry or deadline behind.
//!
//! Compiled only under `cfg(test)` or `cfg(fuzzing)` (cargo-fuzz sets it): none of this is on a server's path.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;

use super::adapter::{Adapter, Target};
use super::{
    DisconnectReason, EioData, EioSid, Engine, EngineConfig, Event, EventSink, Outbox, OutboxLimits, Sid, Transport,
    Transports, WsOutcome,
};

/// Where the driver's decisions come from.
pub trait Choices {
    /// A number below `n` (`n` > 0); 0 once the source is used up.
    fn below(&mut self, n: usize) -> usize;
    /// Up to `max` bytes.
    fn bytes(&mut self, max: usize) -> Vec<u8>;
    /// Whether the source has nothing left: the run ends.
    fn is_exhausted(&self) -> bool;
}

/// Texts a well-behaved client sends (most of the time the driver picks one of these, so sessions live long).
const TEXTS: &[&str] = &[
    "2",
    "2probe",
    "3",
    "6",
    "40",
    "40/a,",
    "40{\"token\":1}",
    "41",
    "41/a,",
    "42[\"e\",1]",
    "42/a,[\"e\"]",
    "427[\"e\"]",
    "43/a,1[1]",
    "430[]",
    "451-[\"e\",{\"_placeholder\":true,\"num\":0}]",
    "452-/a,3[{\"_placeholder\":true,\"num\":1},{\"_placeholder\":true,\"num\":0}]",
    "461-0[{\"_placeholder\":true,\"num\":0}]",
];
/// Texts that break the protocol somewhere (the driver also sends raw bytes).
const HOSTILE: &[&str] = &[
    "1",
    "5",
    "3probe",
    "0{}",
    "4",
    "44{\"message\":\"x\"}",
    "42",
    "49",
    "4[",
    "x",
    "",
];
const NAMESPACES: &[&str] = &["/", "/a", "/b"];
const ROOMS: &[&str] = &["r1", "r2", "r3"];

/// The settings the driver runs with: small bounds and short heartbeats, so that overflows and timeouts happen
/// within a few steps.
pub fn config(socketio: bool) -> EngineConfig {
    EngineConfig {
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(50),
        max_payload: 200,
        transports: Transports::default(),
        outbox: OutboxLimits {
            max_frames: 6,
            max_bytes: 300,
        },
        max_packets_per_post: 6,
        max_attachments: 2,
        socketio,
        parser: super::Parser::Json,
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Event>>);

impl EventSink for Recorder {
    fn push(&self, event: Event) {
        self.0.lock().push(event);
    }
}

/// What the driver knows of one session it opened.
struct TrackedSession {
    eio_sid: EioSid,
    outbox: Arc<Outbox>,
    /// A WebSocket carries or probes the session, so WebSocket frames may arrive for it.
    websocket: bool,
    /// The queue a long-polling GET waits on.
    poll: Option<Arc<Outbox>>,
    disconnects: usize,
}

/// What the driver knows of one socket the engine announced.
struct TrackedSocket {
    sid: Sid,
    namespace: Arc<str>,
    accepted: bool,
    disconnects: usize,
}

/// The engine under test and what the driver saw of it.
pub struct Harness {
    engine: Engine,
    sink: Arc<Recorder>,
    now: Instant,
    sessions: Vec<TrackedSession>,
    sockets: Vec<TrackedSocket>,
    socket_index: HashMap<Sid, usize>,
}

impl Harness {
    /// An engine with no sessions.
    fn new(socketio: bool) -> Self {
        let sink = Arc::new(Recorder::default());
        Self {
            engine: Engine::new(config(socketio), sink.clone()),
            sink,
            now: Instant::now(),
            sessions: Vec::new(),
            sockets: Vec::new(),
            socket_index: HashMap::new(),
        }
    }

    /// Run steps until `choices` is used up (at most `max_steps`), then end every session and check nothing stays.
    ///
    /// # Panics
    /// When an invariant (see the module's doc) breaks: that is the finding.
    pub fn run(choices: &mut impl Choices, max_steps: usize) {
        let mut harness = Self::new(choices.below(8) != 0);
        for _ in 0..max_steps {
            if choices.is_exhausted() {
                break;
            }
            harness.step(choices);
            harness.check();
        }
        harness.finish(choices.below(2) == 0);
    }

    /// A session the driver opened, ended or not; half the time the newest, so that one client gets long runs.
    fn session(&self, choices: &mut impl Choices) -> Option<usize> {
        let count = self.sessions.len();
        if count == 0 {
            return None;
        }
        Some(if choices.below(2) == 0 {
            count - 1
        } else {
            choices.below(count)
        })
    }

    fn socket(&self, choices: &mut impl Choices) -> Option<(Sid, Arc<str>)> {
        if self.sockets.is_empty() {
            return None;
        }
        let s = &self.sockets[choices.below(self.sockets.len())];
        // Now and then the wrong namespace, which the engine must refuse.
        let namespace = if choices.below(8) == 0 {
            Arc::from(NAMESPACES[choices.below(NAMESPACES.len())])
        } else {
            s.namespace.clone()
        };
        Some((s.sid, namespace))
    }

    fn text(choices: &mut impl Choices) -> Vec<u8> {
        match choices.below(16) {
            0 => choices.bytes(40),
            1 => HOSTILE[choices.below(HOSTILE.len())].as_bytes().to_vec(),
            _ => TEXTS[choices.below(TEXTS.len())].as_bytes().to_vec(),
        }
    }

    fn post_body(choices: &mut impl Choices) -> Bytes {
        let mut body = Vec::new();
        for i in 0..=choices.below(4) {
            if i > 0 {
                body.push(0x1e);
            }
            if choices.below(5) == 0 {
                body.extend_from_slice(b"bAQI=");
            } else {
                body.extend(Self::text(choices));
            }
        }
        Bytes::from(body)
    }

    fn data(choices: &mut impl Choices) -> (Vec<u8>, Vec<Bytes>) {
        let size = choices.below(3) * 40;
        match choices.below(3) {
            0 => (format!("[\"e\",\"{}\"]", "x".repeat(size)).into_bytes(), Vec::new()),
            1 => (
                br#"["e",{"_placeholder":true,"num":0}]"#.to_vec(),
                vec![Bytes::from(vec![7; size])],
            ),
            _ => (br#"["e"]"#.to_vec(), Vec::new()),
        }
    }

    /// One step: a client, the application or the clock acts.
    #[expect(
        clippy::too_many_lines,
        reason = "one match over every kind of step reads best as a whole"
    )]
    fn step(&mut self, choices: &mut impl Choices) {
        let now = self.now;
        match choices.below(29) {
            0 | 1 if self.engine.session_count() < 3 || choices.below(8) == 0 => {
                let transport = if choices.below(2) == 0 {
                    Transport::Polling
                } else {
                    Transport::WebSocket
                };
                let opened = self
                    .engine
                    .open(now, transport, None)
                    .expect("both transports are allowed");
                self.sessions.push(TrackedSession {
                    eio_sid: opened.eio_sid,
                    outbox: opened.outbox,
                    websocket: transport == Transport::WebSocket,
                    poll: None,
                    disconnects: 0,
                });
            }
            2 | 3 => {
                if let Some(i) = self.session(choices) {
                    let body = Self::post_body(choices);
                    let _ = self.engine.on_post(now, self.sessions[i].eio_sid, body);
                }
            }
            4..=6 => {
                if let Some(i) = self.session(choices)
                    && self.sessions[i].websocket
                {
                    let eio_sid = self.sessions[i].eio_sid;
                    let outcome = if choices.below(6) == 0 {
                        self.engine.on_ws_binary(now, eio_sid, Bytes::from(choices.bytes(8)))
                    } else {
                        self.engine.on_ws_text(now, eio_sid, Bytes::from(Self::text(choices)))
                    };
                    self.after_ws(i, outcome);
                }
            }
            7 => {
                // A long-polling GET arrives; now and then while one still waits, which the spec forbids.
                if let Some(i) = self.session(choices)
                    && (self.sessions[i].poll.is_none() || choices.below(8) == 0)
                {
                    let eio_sid = self.sessions[i].eio_sid;
                    if let Ok(outbox) = self.engine.begin_poll(eio_sid) {
                        self.sessions[i].poll = Some(outbox);
                    }
                }
            }
            8 => {
                // The GET is answered with what is queued (if anything), or its connection drops.
                if let Some(i) = self.session(choices)
                    && let Some(poll) = self.sessions[i].poll.take()
                {
                    poll.drain_now(&mut Vec::new());
                    self.engine.end_poll(self.sessions[i].eio_sid);
                }
            }
            9 => {
                // A WebSocket that carries the session writes what is queued.
                if let Some(i) = self.session(choices)
                    && self.engine.transport(self.sessions[i].eio_sid) == Some(Transport::WebSocket)
                {
                    self.sessions[i].outbox.drain_now(&mut Vec::new());
                }
            }
            10 => {
                // A WebSocket connects to upgrade the session.
                if let Some(i) = self.session(choices)
                    && self.engine.begin_upgrade(self.sessions[i].eio_sid).is_ok()
                {
                    self.sessions[i].websocket = true;
                }
            }
            11 => {
                if let Some(i) = self.session(choices) {
                    let eio_sid = self.sessions[i].eio_sid;
                    if choices.below(2) == 0 {
                        self.engine.probe_tick(eio_sid);
                    } else {
                        self.ws_gone(i);
                    }
                }
            }
            12 => {
                if let Some(i) = self.session(choices) {
                    let eio_sid = self.sessions[i].eio_sid;
                    match choices.below(3) {
                        0 => self
                            .engine
                            .on_transport_closed(eio_sid, DisconnectReason::TransportClose),
                        1 => {
                            self.engine.on_oversize(eio_sid);
                        }
                        _ => self
                            .engine
                            .close(eio_sid, DisconnectReason::ServerDisconnect, choices.below(2) == 0),
                    }
                }
            }
            13 | 14 => {
                let advance = [1, 10, 49, 50, 51, 99, 100, 150, 400][choices.below(9)];
                self.now += Duration::from_millis(advance);
                self.engine.on_tick(self.now);
            }
            15 | 16 => {
                if let Some((sid, _)) = self.socket(choices) {
                    match choices.below(3) {
                        0 => {
                            let _ = self.engine.refuse(sid, "no", None);
                        }
                        _ => {
                            if self.engine.accept(sid).is_ok() {
                                let i = self.socket_index[&sid];
                                self.sockets[i].accepted = true;
                            }
                        }
                    }
                }
            }
            17 => {
                if let Some((sid, namespace)) = self.socket(choices) {
                    let room = ROOMS[choices.below(ROOMS.len())];
                    let _ = match choices.below(4) {
                        0 => self.engine.disconnect(sid, &namespace),
                        1 => self.engine.leave(sid, &namespace, room),
                        _ => self.engine.join(sid, &namespace, room),
                    };
                }
            }
            18 | 19 => {
                let namespace = NAMESPACES[choices.below(NAMESPACES.len())];
                let (data, attachments) = Self::data(choices);
                let room = ROOMS[choices.below(ROOMS.len())];
                let rooms = [room];
                let target = if choices.below(2) == 0 {
                    Target::All
                } else {
                    Target::Rooms(&rooms)
                };
                let skip: Vec<Sid> = self.socket(choices).map(|(sid, _)| sid).into_iter().collect();
                if choices.below(3) == 0 {
                    self.engine.emit_with_ack(namespace, &data, &attachments, target, &skip);
                } else {
                    self.engine.emit(namespace, &data, &attachments, target, &skip);
                }
            }
            20 => {
                if let Some((sid, namespace)) = self.socket(choices) {
                    let (data, attachments) = Self::data(choices);
                    let _ = self.engine.ack(sid, &namespace, 3, &data, &attachments);
                }
            }
            21 => {
                if let Some(i) = self.session(choices) {
                    let data = EioData::Text(Bytes::from(Self::text(choices)));
                    let _ = self.engine.eio_send(self.sessions[i].eio_sid, data);
                }
            }
            22 => self
                .engine
                .close_room(NAMESPACES[choices.below(2)], ROOMS[choices.below(ROOMS.len())]),
            26 | 27 => {
                // A burst: one text repeated, as a client flooding the server would send it.
                if let Some(i) = self.session(choices) {
                    let eio_sid = self.sessions[i].eio_sid;
                    let text = Self::text(choices);
                    let times = 1 + choices.below(8);
                    if self.sessions[i].websocket {
                        for _ in 0..times {
                            let outcome = self.engine.on_ws_text(now, eio_sid, Bytes::from(text.clone()));
                            let ended = matches!(outcome, Ok(WsOutcome::Closed) | Err(_));
                            self.after_ws(i, outcome);
                            if ended {
                                break;
                            }
                        }
                    } else {
                        let body = vec![text.as_slice(); times].join(&0x1e);
                        let _ = self.engine.on_post(now, eio_sid, Bytes::from(body));
                    }
                }
            }
            23..=25 => {
                // A client keeps its heartbeat: a pong on whichever transport carries it.
                if let Some(i) = self.session(choices) {
                    let eio_sid = self.sessions[i].eio_sid;
                    if self.engine.transport(eio_sid) == Some(Transport::WebSocket) {
                        let outcome = self.engine.on_ws_text(now, eio_sid, Bytes::from_static(b"3"));
                        self.after_ws(i, outcome);
                    } else {
                        let _ = self.engine.on_post(now, eio_sid, Bytes::from_static(b"3"));
                    }
                }
            }
            _ => {
                if choices.below(8) == 0 {
                    self.engine.close_all();
                }
            }
        }
        self.take_events();
    }

    /// What a WebSocket driver does with the outcome of a frame: a failed or closed probe gives the upgrade up.
    fn after_ws(&mut self, i: usize, outcome: Result<WsOutcome, super::SessionError>) {
        if matches!(outcome, Ok(WsOutcome::Closed) | Err(_)) {
            self.ws_gone(i);
        }
    }

    /// The WebSocket of a session went away: it ends the session if it carried it, else the upgrade.
    fn ws_gone(&mut self, i: usize) {
        let session = &mut self.sessions[i];
        if !session.websocket {
            return;
        }
        session.websocket = false;
        if self.engine.transport(session.eio_sid) == Some(Transport::WebSocket) {
            self.engine
                .on_transport_closed(session.eio_sid, DisconnectReason::TransportClose);
        } else {
            self.engine.abort_upgrade(session.eio_sid);
        }
    }

    /// Take the events of the last step and check each against what came before.
    fn take_events(&mut self) {
        let events = std::mem::take(&mut *self.sink.0.lock());
        for event in events {
            match event {
                Event::EioDisconnect { eio_sid, .. } => {
                    let session = self
                        .sessions
                        .iter_mut()
                        .find(|s| s.eio_sid == eio_sid)
                        .expect("EioDisconnect for a session the driver opened");
                    session.disconnects += 1;
                }
                Event::Connect { sid, namespace, .. } => {
                    assert!(!self.socket_index.contains_key(&sid), "Connect reuses sid {sid}");
                    self.socket_index.insert(sid, self.sockets.len());
                    self.sockets.push(TrackedSocket {
                        sid,
                        namespace,
                        accepted: false,
                        disconnects: 0,
                    });
                }
                Event::Disconnect { sid, .. } => {
                    let socket = &mut self.sockets[self.socket_index[&sid]];
                    socket.disconnects += 1;
                }
                Event::EioConnect { .. }
                | Event::EioMessage { .. }
                | Event::Message { .. }
                | Event::Ack { .. }
                | Event::Warning { .. } => {}
            }
        }
    }

    /// The invariants that hold between any two steps.
    fn check(&self) {
        self.engine.check_consistency();
        let limits = self.engine.config().outbox;
        for s in &self.sessions {
            let open = self.engine.transport(s.eio_sid).is_some();
            if open {
                assert!(
                    !s.outbox.is_closed(),
                    "session {} is open but its outbox is closed",
                    s.eio_sid
                );
                assert_eq!(s.disconnects, 0, "session {} is open but was reported gone", s.eio_sid);
                assert!(
                    s.outbox.len() <= 2 * limits.max_frames && s.outbox.queued_bytes() <= 2 * limits.max_bytes,
                    "session {}: {} frames / {} bytes queued, over twice the bound {limits:?}",
                    s.eio_sid,
                    s.outbox.len(),
                    s.outbox.queued_bytes(),
                );
            } else {
                assert!(
                    s.outbox.is_closed(),
                    "session {} is gone but its outbox is open",
                    s.eio_sid
                );
                assert_eq!(s.disconnects, 1, "session {} is gone: EioDisconnect count", s.eio_sid);
            }
        }
        for s in &self.sockets {
            let live = self.engine.is_socket(s.sid);
            let expected = usize::from(!live && s.accepted);
            assert_eq!(
                s.disconnects, expected,
                "socket {} (live {live}, accepted {}): Disconnect count",
                s.sid, s.accepted
            );
        }
    }

    /// End every session, by closing them all or by letting the heartbeats run out, and check nothing stays.
    fn finish(mut self, close_all: bool) {
        if close_all {
            self.engine.close_all();
        } else {
            let period = self.engine.config().ping_interval + self.engine.config().ping_timeout;
            for _ in 0..2 {
                self.now += period;
                self.engine.on_tick(self.now);
            }
            assert!(
                self.engine.is_idle(),
                "deadlines or close grace entries left after every session timed out"
            );
        }
        self.take_events();
        self.check();
        assert_eq!(self.engine.session_count(), 0);
        assert!(self.sockets.iter().all(|s| !self.engine.is_socket(s.sid)));
    }
}

/// Inspection for the driver: reads the engine's tables, never changes them.
impl Engine {
    /// Whether `sid` is a socket the engine knows (connecting or connected).
    pub fn is_socket(&self, sid: Sid) -> bool {
        self.sockets.contains_key(&sid)
    }

    /// Whether nothing at all is left: no session, socket, room member, close grace entry or heartbeat deadline.
    pub fn is_idle(&self) -> bool {
        let (namespaces, members) = self.adapter.inventory();
        self.sessions.is_empty()
            && self.sockets.is_empty()
            && namespaces == 0
            && members.is_empty()
            && self.closed_by_post.is_empty()
            && self.heartbeats.is_empty()
    }

    /// Panic unless sessions, sockets and the adapter agree: each socket's session lists it under its namespace and
    /// is open, each socket a session lists exists, and the adapter names exactly the live sockets, in their
    /// namespaces. A socket still connecting holds back no more than the outbox's frame bound.
    ///
    /// # Panics
    /// When they disagree, naming what is wrong.
    pub fn check_consistency(&self) {
        let max_frames = self.config.outbox.max_frames;
        for (sid, socket) in &self.sockets {
            let (eio_sid, namespace, pending) = socket.inspect();
            let session = self
                .sessions
                .get(&eio_sid)
                .unwrap_or_else(|| panic!("socket {sid} outlived its session {eio_sid}"));
            assert_eq!(
                session.socket_in(namespace),
                Some(*sid),
                "session {eio_sid} does not list socket {sid}"
            );
            assert!(
                pending.unwrap_or(0) <= max_frames,
                "socket {sid} holds back {pending:?} frames"
            );
            let all = self.adapter.recipients(namespace, Target::All, &[]);
            assert!(all.contains(sid), "the adapter lost socket {sid} of {namespace}");
        }
        for (eio_sid, session) in &self.sessions {
            assert!(
                !session.outbox.is_closed(),
                "session {eio_sid} is open with a closed outbox"
            );
            for (namespace, sid) in &session.sockets {
                let socket = self.sockets.get(sid);
                assert!(
                    socket.is_some_and(|s| s.inspect().0 == *eio_sid && s.inspect().1 == namespace),
                    "session {eio_sid} lists socket {sid} of {namespace}, which the engine does not have"
                );
            }
        }
        let (_, members) = self.adapter.inventory();
        for (namespace, sid) in members {
            assert!(
                self.sockets.get(&sid).is_some_and(|s| *s.inspect().1 == namespace),
                "the adapter still names socket {sid} in {namespace}, which is gone"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// A seeded PRNG as the source, each run a fixed number of decisions long.
    struct Seeded {
        rng: StdRng,
        left: usize,
    }

    impl Choices for Seeded {
        fn below(&mut self, n: usize) -> usize {
            self.left = self.left.saturating_sub(1);
            self.rng.random_range(0..n)
        }

        fn bytes(&mut self, max: usize) -> Vec<u8> {
            let len = self.below(max + 1);
            (0..len).map(|_| self.rng.random()).collect()
        }

        fn is_exhausted(&self) -> bool {
            self.left == 0
        }
    }

    #[test]
    fn random_interleavings_keep_the_engine_consistent() {
        for seed in 0..2_000_u64 {
            let mut choices = Seeded {
                rng: StdRng::seed_from_u64(seed),
                left: 200 + usize::try_from(seed % 10).unwrap() * 300,
            };
            Harness::run(&mut choices, 1_000);
        }
    }
}

#[cfg(test)]
mod regressions {
    use super::*;

    fn engine() -> (Engine, Arc<Recorder>, Instant) {
        let sink = Arc::new(Recorder::default());
        (Engine::new(config(true), sink.clone()), sink, Instant::now())
    }

    #[test]
    fn pings_in_posts_with_no_get_to_read_the_pongs_end_as_a_slow_consumer() {
        let (mut engine, sink, now) = engine();
        let opened = engine.open(now, Transport::Polling, None).unwrap();
        let limits = config(true).outbox;
        for _ in 0..20 {
            let _ = engine.on_post(
                now,
                opened.eio_sid,
                Bytes::from_static(b"2xxxxxxxxxxxxxxxxxxxxxxxxx\x1e2\x1e2"),
            );
            assert!(opened.outbox.len() <= 2 * limits.max_frames);
            assert!(opened.outbox.queued_bytes() <= 2 * limits.max_bytes);
        }
        assert_eq!(engine.session_count(), 0);
        assert!(sink.0.lock().iter().any(|e| matches!(
            e,
            Event::EioDisconnect {
                reason: DisconnectReason::TransportError,
                ..
            }
        )));
    }

    #[test]
    fn an_accepted_socket_cannot_be_refused_out_of_its_disconnect() {
        let (mut engine, sink, now) = engine();
        let opened = engine.open(now, Transport::WebSocket, None).unwrap();
        engine
            .on_ws_text(now, opened.eio_sid, Bytes::from_static(b"40"))
            .unwrap();
        let sid = sink
            .0
            .lock()
            .iter()
            .find_map(|e| match e {
                Event::Connect { sid, .. } => Some(*sid),
                _ => None,
            })
            .unwrap();
        engine.accept(sid).unwrap();
        assert_eq!(
            engine.refuse(sid, "no", None),
            Err(super::super::socketio::SocketError::AlreadyAccepted)
        );
        assert!(engine.is_socket(sid));
        engine.close(opened.eio_sid, DisconnectReason::ServerDisconnect, false);
        let disconnects = sink
            .0
            .lock()
            .iter()
            .filter(|e| matches!(e, Event::Disconnect { .. }))
            .count();
        assert_eq!(disconnects, 1);
    }
}
