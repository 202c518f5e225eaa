//! Engine tests: scripted input, a fake clock, no sockets. Compiled only under #[cfg(test)] (see mod.rs).

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use parking_lot::Mutex;

use super::adapter::Target;
use super::*;
use crate::protocol::engineio::{Frame, decode_payload};

#[derive(Default)]
struct VecSink(Mutex<Vec<Event>>);

impl EventSink for VecSink {
    fn push(&self, event: Event) {
        self.0.lock().push(event);
    }
}

impl VecSink {
    fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock())
    }
}

struct Fixture {
    engine: Engine,
    sink: Arc<VecSink>,
    t0: Instant,
}

fn fixture(config: EngineConfig) -> Fixture {
    let sink = Arc::new(VecSink::default());
    Fixture {
        engine: Engine::new(config, sink.clone()),
        sink,
        t0: Instant::now(),
    }
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Text(b) => String::from_utf8(b.to_vec()).unwrap(),
        Frame::Binary(b) => format!("<binary {}>", b.len()),
    }
}

fn drain(outbox: &Outbox) -> Vec<String> {
    let mut out = Vec::new();
    outbox.drain_now(&mut out);
    out.iter().map(text).collect()
}

fn b(s: &str) -> Bytes {
    Bytes::copy_from_slice(s.as_bytes())
}

impl Fixture {
    fn open_ws(&mut self) -> (EioSid, Arc<Outbox>) {
        let opened = self.engine.open(self.t0, Transport::WebSocket, None).unwrap();
        (opened.eio_sid, opened.outbox)
    }

    /// Open a WebSocket session and connect it to `ns`, accepted. Returns the socket's sid.
    fn connect(&mut self, ns: &str) -> (EioSid, Sid, Arc<Outbox>) {
        let (eio_sid, outbox) = self.open_ws();
        let connect = if ns == "/" { "40".to_owned() } else { format!("40{ns},") };
        self.engine.on_ws_text(self.t0, eio_sid, b(&connect)).unwrap();
        let sid = self.connecting_sid();
        self.engine.accept(sid).unwrap();
        drain(&outbox);
        (eio_sid, sid, outbox)
    }

    /// The sid of the socket whose CONNECT the sink just got (its other events are dropped).
    fn connecting_sid(&self) -> Sid {
        self.sink
            .take()
            .into_iter()
            .find_map(|e| match e {
                Event::Connect { sid, .. } => Some(sid),
                _ => None,
            })
            .unwrap()
    }
}

#[test]
fn handshake_advertises_exact_milliseconds_and_upgrades() {
    let config = EngineConfig {
        ping_interval: Duration::from_millis(25_500),
        ping_timeout: Duration::from_millis(300),
        ..EngineConfig::default()
    };
    let mut fx = fixture(config);
    let opened = fx.engine.open(fx.t0, Transport::Polling, None).unwrap();
    let open = text(&opened.open_frame);
    assert!(open.starts_with('0'));
    let json: serde_json::Value = serde_json::from_str(&open[1..]).unwrap();
    assert_eq!(json["sid"], opened.eio_sid.as_str());
    assert_eq!(json["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(json["pingInterval"], 25_500);
    assert_eq!(json["pingTimeout"], 300);
    assert_eq!(json["maxPayload"], 1_000_000);
    assert!(matches!(
        fx.sink.take().as_slice(),
        [Event::EioConnect {
            transport: Transport::Polling,
            ..
        }]
    ));

    let ws = fx.engine.open(fx.t0, Transport::WebSocket, None).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text(&ws.open_frame)[1..]).unwrap();
    assert_eq!(json["upgrades"], serde_json::json!([]));
}

#[test]
fn disabled_transport_is_refused() {
    let config = EngineConfig {
        transports: Transports {
            polling: false,
            websocket: true,
        },
        ..Default::default()
    };
    let mut fx = fixture(config);
    assert!(matches!(
        fx.engine.open(fx.t0, Transport::Polling, None),
        Err(SessionError::TransportNotAllowed)
    ));
}

#[test]
fn heartbeat_pings_then_closes_exactly_when_pong_is_overdue() {
    let config = EngineConfig {
        ping_interval: Duration::from_millis(100),
        ping_timeout: Duration::from_millis(50),
        ..EngineConfig::default()
    };
    let mut fx = fixture(config);
    let (eio_sid, outbox) = fx.open_ws();
    let t0 = fx.t0;
    fx.engine.on_tick(t0 + Duration::from_millis(99));
    assert!(drain(&outbox).is_empty());
    assert_eq!(fx.engine.next_deadline(), Some(t0 + Duration::from_millis(100)));
    fx.engine.on_tick(t0 + Duration::from_millis(100));
    assert_eq!(drain(&outbox), ["2"]);
    // A pong in time restarts the interval.
    fx.engine
        .on_ws_text(t0 + Duration::from_millis(120), eio_sid, b("3"))
        .unwrap();
    fx.engine.on_tick(t0 + Duration::from_millis(160));
    assert_eq!(fx.engine.session_count(), 1);
    fx.engine.on_tick(t0 + Duration::from_millis(220));
    assert_eq!(drain(&outbox), ["2"]);
    // No pong: closed at ping + pingTimeout, not before.
    fx.engine.on_tick(t0 + Duration::from_millis(269));
    assert_eq!(fx.engine.session_count(), 1);
    fx.engine.on_tick(t0 + Duration::from_millis(270));
    assert_eq!(fx.engine.session_count(), 0);
    assert!(outbox.is_closed());
    let events = fx.sink.take();
    assert!(events.iter().any(|e| matches!(
        e,
        Event::EioDisconnect {
            reason: DisconnectReason::PingTimeout,
            ..
        }
    )));
}

#[test]
fn polling_post_batches_and_overlapping_get_closes() {
    let mut fx = fixture(EngineConfig {
        socketio: false,
        ..EngineConfig::default()
    });
    let opened = fx.engine.open(fx.t0, Transport::Polling, None).unwrap();
    let eio_sid = opened.eio_sid;
    fx.engine.on_post(fx.t0, eio_sid, b("4hello\x1e4world")).unwrap();
    let messages: Vec<_> = fx
        .sink
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::EioMessage {
                data: EioData::Text(t), ..
            } => Some(t),
            _ => None,
        })
        .collect();
    assert_eq!(messages, [b("hello"), b("world")]);

    fx.engine.eio_send(eio_sid, EioData::Text(b("a"))).unwrap();
    fx.engine
        .eio_send(eio_sid, EioData::Binary(Bytes::from_static(&[1, 2, 3, 4])))
        .unwrap();
    let outbox = fx.engine.begin_poll(eio_sid).unwrap();
    let mut frames = Vec::new();
    outbox.drain_now(&mut frames);
    assert_eq!(&encode_payload(frames.iter())[..], b"4a\x1ebAQIDBA==");
    // spec: a second GET while one waits ends the session.
    assert!(matches!(
        fx.engine.begin_poll(eio_sid),
        Err(SessionError::OverlappingPoll)
    ));
    assert_eq!(fx.engine.session_count(), 0);
}

#[test]
fn a_close_in_a_post_releases_the_next_get_with_a_noop_once() {
    let mut fx = fixture(EngineConfig::default());
    let eio_sid = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    fx.engine.on_post(fx.t0, eio_sid, b("1")).unwrap();
    assert_eq!(fx.engine.session_count(), 0);
    // node: the GET that follows (or crossed) the close is answered with a noop; the one after finds no session.
    let outbox = fx.engine.begin_poll(eio_sid).unwrap();
    let mut frames = Vec::new();
    assert_eq!(
        outbox.drain_now(&mut frames),
        Some(Drained::Closed { notify_client: false })
    );
    fx.engine.end_poll(eio_sid);
    assert!(matches!(
        fx.engine.begin_poll(eio_sid),
        Err(SessionError::UnknownSession)
    ));
    // Unclaimed, the grace is forgotten after a heartbeat period.
    let other = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    fx.engine.on_post(fx.t0, other, b("1")).unwrap();
    let config = EngineConfig::default();
    fx.engine.on_tick(fx.t0 + config.ping_interval + config.ping_timeout);
    assert!(fx.engine.begin_poll(other).is_err());
}

#[test]
fn malformed_post_closes_only_that_session() {
    let mut fx = fixture(EngineConfig::default());
    let a = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    let other = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    assert!(fx.engine.on_post(fx.t0, a, b("9oops")).is_err());
    assert_eq!(fx.engine.transport(a), None);
    assert_eq!(fx.engine.transport(other), Some(Transport::Polling));
    assert!(fx.sink.take().iter().any(|e| matches!(e, Event::Warning { .. })));
}

#[test]
fn upgrade_flow_probe_noop_then_websocket_only() {
    let mut fx = fixture(EngineConfig::default());
    let opened = fx.engine.open(fx.t0, Transport::Polling, None).unwrap();
    let eio_sid = opened.eio_sid;
    // A GET waits from before the probe: the probe flushes it with a noop.
    fx.engine.begin_poll(eio_sid).unwrap();
    let outbox = fx.engine.begin_upgrade(eio_sid).unwrap();
    assert!(matches!(
        fx.engine.begin_upgrade(eio_sid),
        Err(SessionError::AlreadyUpgraded)
    ));
    let reply = fx.engine.on_ws_text(fx.t0, eio_sid, b("2probe")).unwrap();
    assert_eq!(reply, WsOutcome::Reply(Frame::Text(b("3probe"))));
    assert_eq!(drain(&outbox), ["6"]);
    fx.engine.end_poll(eio_sid);
    assert_eq!(
        fx.engine.on_ws_text(fx.t0, eio_sid, b("5")).unwrap(),
        WsOutcome::Upgraded
    );
    assert_eq!(fx.engine.transport(eio_sid), Some(Transport::WebSocket));
    assert!(matches!(
        fx.engine.begin_poll(eio_sid),
        Err(SessionError::WrongTransport)
    ));
    assert!(matches!(
        fx.engine.on_post(fx.t0, eio_sid, b("6")),
        Err(SessionError::WrongTransport)
    ));
    assert!(fx.engine.begin_upgrade(eio_sid).is_err());
}

#[test]
fn a_get_during_the_probe_waits_for_the_tick_or_sees_the_upgrade() {
    let mut fx = fixture(EngineConfig::default());
    let eio_sid = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    fx.engine.begin_upgrade(eio_sid).unwrap();
    fx.engine.on_ws_text(fx.t0, eio_sid, b("2probe")).unwrap();
    // A GET during the probe is not answered at once; the probe's tick releases it with a noop.
    let waiting = fx.engine.begin_poll(eio_sid).unwrap();
    let mut frames = Vec::new();
    assert_eq!(waiting.drain_now(&mut frames), None);
    assert!(fx.engine.probe_tick(eio_sid));
    assert_eq!(
        waiting.drain_now(&mut frames),
        Some(Drained::Closed { notify_client: false })
    );
    fx.engine.end_poll(eio_sid);
    // One that the `5` overtakes is released too, and the session says it upgraded (the driver answers 400).
    let waiting = fx.engine.begin_poll(eio_sid).unwrap();
    assert_eq!(
        fx.engine.on_ws_text(fx.t0, eio_sid, b("5")).unwrap(),
        WsOutcome::Upgraded
    );
    assert_eq!(
        waiting.drain_now(&mut frames),
        Some(Drained::Closed { notify_client: false })
    );
    assert!(fx.engine.upgraded(eio_sid));
    assert!(frames.is_empty());
}

#[test]
fn connect_accept_sends_sid_then_pending_frames() {
    let mut fx = fixture(EngineConfig::default());
    let (eio_sid, outbox) = fx.open_ws();
    fx.engine
        .on_ws_text(fx.t0, eio_sid, b("40/chat,{\"token\":\"x\"}"))
        .unwrap();
    let events = fx.sink.take();
    let Some(Event::Connect {
        sid, namespace, auth, ..
    }) = events.into_iter().last()
    else {
        panic!()
    };
    assert_eq!(&*namespace, "/chat");
    assert_eq!(auth, Some(b("{\"token\":\"x\"}")));
    // Emitted during the connect handler: held back until the connect is answered.
    fx.engine.join(sid, "/chat", "room1").unwrap();
    fx.engine
        .emit("/chat", b"[\"hi\"]", &[], Target::Rooms(&["room1"]), &[]);
    assert!(drain(&outbox).is_empty());
    fx.engine.accept(sid).unwrap();
    assert_eq!(
        drain(&outbox),
        [format!("40/chat,{{\"sid\":\"{sid}\"}}"), "42/chat,[\"hi\"]".to_owned()]
    );
}

#[test]
fn refuse_sends_connect_error_and_no_disconnect_event() {
    let mut fx = fixture(EngineConfig::default());
    let (eio_sid, outbox) = fx.open_ws();
    fx.engine.on_ws_text(fx.t0, eio_sid, b("40")).unwrap();
    let Some(Event::Connect { sid, .. }) = fx.sink.take().into_iter().last() else {
        panic!()
    };
    fx.engine
        .refuse(sid, "Not \"allowed\"", Some(b"{\"code\":401}"))
        .unwrap();
    assert_eq!(
        drain(&outbox),
        ["44{\"message\":\"Not \\\"allowed\\\"\",\"data\":{\"code\":401}}"]
    );
    assert!(fx.sink.take().is_empty());
    assert!(fx.engine.rooms(sid, "/").is_empty());
}

#[test]
fn rooms_skip_and_broadcast_reach_exactly_the_members() {
    let mut fx = fixture(EngineConfig::default());
    let (_, a, out_a) = fx.connect("/");
    let (_, b_sid, out_b) = fx.connect("/");
    let (_, c, out_c) = fx.connect("/");
    let (_, other_ns, out_other) = fx.connect("/other");
    fx.engine.join(a, "/", "r").unwrap();
    fx.engine.join(b_sid, "/", "r").unwrap();
    assert!(fx.engine.join(other_ns, "/", "r").is_err());
    fx.engine.emit("/", b"[\"m\",1]", &[], Target::Rooms(&["r"]), &[a]);
    assert!(drain(&out_a).is_empty());
    assert_eq!(drain(&out_b), ["42[\"m\",1]"]);
    assert!(drain(&out_c).is_empty());
    // A sid is its own room; two targets that overlap deliver once.
    let c_str = c.to_string();
    fx.engine
        .emit("/", b"[\"n\"]", &[], Target::Rooms(&["r", c_str.as_str(), "r"]), &[]);
    assert_eq!(drain(&out_a), ["42[\"n\"]"]);
    assert_eq!(drain(&out_b), ["42[\"n\"]"]);
    assert_eq!(drain(&out_c), ["42[\"n\"]"]);
    fx.engine.emit("/", b"[\"all\"]", &[], Target::All, &[]);
    assert_eq!(drain(&out_c), ["42[\"all\"]"]);
    assert!(drain(&out_other).is_empty());
    let rooms: Vec<String> = fx.engine.rooms(a, "/").iter().map(ToString::to_string).collect();
    assert_eq!(rooms, [a.to_string(), "r".to_owned()]);
    fx.engine.close_room("/", "r");
    assert_eq!(fx.engine.rooms(a, "/").len(), 1);
}

#[test]
fn events_acks_and_binary_go_up_and_down() {
    let mut fx = fixture(EngineConfig::default());
    let (eio_sid, sid, outbox) = fx.connect("/");
    fx.engine.on_ws_text(fx.t0, eio_sid, b("4212[\"echo\",\"x\"]")).unwrap();
    let mut events = fx.sink.take();
    fx.engine
        .on_ws_text(fx.t0, eio_sid, b("451-3[\"bin\",{\"_placeholder\":true,\"num\":0}]"))
        .unwrap();
    assert!(fx.sink.take().is_empty(), "binary event waits for its attachment");
    fx.engine
        .on_ws_binary(fx.t0, eio_sid, Bytes::from_static(&[9, 9]))
        .unwrap();
    events.extend(fx.sink.take());
    let [
        Event::Message {
            ack_id: Some(12),
            data: d1,
            ..
        },
        Event::Message {
            ack_id: Some(3),
            attachments,
            ..
        },
    ] = events.as_slice()
    else {
        panic!("{events:?}")
    };
    assert_eq!(d1, &b("[\"echo\",\"x\"]"));
    assert_eq!(attachments, &[Bytes::from_static(&[9, 9])]);

    fx.engine.ack(sid, "/", 12, b"[\"x\"]", &[]).unwrap();
    fx.engine
        .ack(
            sid,
            "/",
            3,
            b"[{\"_placeholder\":true,\"num\":0}]",
            &[Bytes::from_static(b"z")],
        )
        .unwrap();
    assert_eq!(
        drain(&outbox),
        ["4312[\"x\"]", "461-3[{\"_placeholder\":true,\"num\":0}]", "<binary 1>"]
    );

    let sent = fx
        .engine
        .emit_with_ack("/", b"[\"q\"]", &[], Target::Rooms(&[sid.as_str()]), &[]);
    assert_eq!(sent, [(sid, 0)]);
    assert_eq!(drain(&outbox), ["420[\"q\"]"]);
    fx.engine.on_ws_text(fx.t0, eio_sid, b("430[\"answer\"]")).unwrap();
    assert!(matches!(fx.sink.take().as_slice(), [Event::Ack { ack_id: 0, .. }]));
}

#[test]
fn bad_socketio_packets_close_the_session() {
    for bad in [
        "49",
        "42[\"a\"",
        "42{}",
        "4299999999999999999999[\"a\"]",
        "4511-[\"a\"]",
    ] {
        let mut fx = fixture(EngineConfig::default());
        let (eio_sid, _, outbox) = fx.connect("/");
        assert!(fx.engine.on_ws_text(fx.t0, eio_sid, b(bad)).is_err(), "{bad}");
        assert!(outbox.is_closed(), "{bad}");
        let events = fx.sink.take();
        assert!(
            events.iter().any(|e| matches!(
                e,
                Event::Disconnect {
                    reason: DisconnectReason::TransportError,
                    ..
                }
            )),
            "{bad}: {events:?}"
        );
    }
}

#[test]
fn client_and_server_disconnect_reasons() {
    let mut fx = fixture(EngineConfig::default());
    let (eio_sid, sid, outbox) = fx.connect("/chat");
    fx.engine.on_ws_text(fx.t0, eio_sid, b("41/chat,")).unwrap();
    assert!(matches!(
        fx.sink.take().as_slice(),
        [Event::Disconnect {
            reason: DisconnectReason::ClientDisconnect,
            ..
        }]
    ));
    assert!(fx.engine.disconnect(sid, "/chat").is_err());
    let (_, sid2, outbox2) = fx.connect("/chat");
    fx.engine.disconnect(sid2, "/chat").unwrap();
    assert_eq!(drain(&outbox2), ["41/chat,"]);
    assert!(matches!(
        fx.sink.take().as_slice(),
        [Event::Disconnect {
            reason: DisconnectReason::ServerDisconnect,
            ..
        }]
    ));
    assert!(drain(&outbox).is_empty());
}

#[test]
fn disconnect_events_name_the_transport_the_session_was_on() {
    let mut fx = fixture(EngineConfig::default());
    let (eio_sid, sid, _) = fx.connect("/");
    let (_, chat_sid, _) = fx.connect("/chat");
    fx.engine.disconnect(chat_sid, "/chat").unwrap();
    fx.engine.on_transport_closed(eio_sid, DisconnectReason::TransportClose);
    let transports: Vec<_> = fx
        .sink
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::Disconnect { sid, transport, .. } => Some((sid, transport)),
            _ => None,
        })
        .collect();
    assert_eq!(
        transports,
        [
            (chat_sid, Some(Transport::WebSocket)),
            (sid, Some(Transport::WebSocket))
        ]
    );
}

#[test]
fn slow_consumer_is_disconnected_and_others_keep_receiving() {
    let config = EngineConfig {
        outbox: OutboxLimits {
            max_frames: 5,
            max_bytes: 1 << 20,
        },
        ..EngineConfig::default()
    };
    let mut fx = fixture(config);
    let (_, slow, slow_out) = fx.connect("/");
    let (_, fast, fast_out) = fx.connect("/");
    for _ in 0..6 {
        fx.engine.emit("/", b"[\"tick\"]", &[], Target::All, &[]);
        drain(&fast_out);
    }
    assert!(slow_out.is_closed());
    assert!(fx.engine.rooms(slow, "/").is_empty());
    fx.engine.emit("/", b"[\"after\"]", &[], Target::All, &[]);
    assert_eq!(drain(&fast_out), ["42[\"after\"]"]);
    assert_eq!(fx.engine.rooms(fast, "/").len(), 1);
}

#[test]
fn oversize_message_is_refused() {
    let mut fx = fixture(EngineConfig {
        max_payload: 10,
        ..EngineConfig::default()
    });
    let (eio_sid, _, outbox) = fx.connect("/");
    assert!(matches!(
        fx.engine.on_ws_text(fx.t0, eio_sid, b("42[\"aaaaaaaaaaaa\"]")),
        Err(SessionError::PayloadTooLarge { limit: 10 })
    ));
    assert!(outbox.is_closed());
}

fn encode_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Bytes {
    crate::protocol::engineio::encode_payload(frames)
}

#[test]
fn decode_payload_is_reexported() {
    assert_eq!(decode_payload(b("6"), 10).unwrap().len(), 1);
}

#[test]
fn a_repeated_connect_is_answered_with_the_same_sid() {
    let mut fx = fixture(EngineConfig::default());
    let (eio_sid, sid, outbox) = fx.connect("/chat");
    fx.engine.on_ws_text(fx.t0, eio_sid, b("40/chat,")).unwrap();
    assert_eq!(drain(&outbox), [format!("40/chat,{{\"sid\":\"{sid}\"}}")]);
    assert!(fx.sink.take().is_empty(), "no second connect handler call");
    assert_eq!(fx.engine.transport(eio_sid), Some(Transport::WebSocket));
}

#[test]
fn a_poll_during_the_upgrade_is_answered_with_a_noop_at_the_next_tick() {
    let mut fx = fixture(EngineConfig::default());
    let eio_sid = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    fx.engine.begin_upgrade(eio_sid).unwrap();
    fx.engine.on_ws_text(fx.t0, eio_sid, b("2probe")).unwrap();
    for _ in 0..2 {
        let outbox = fx.engine.begin_poll(eio_sid).unwrap();
        assert!(outbox.is_empty());
        fx.engine.probe_tick(eio_sid);
        let mut frames = Vec::new();
        assert_eq!(
            outbox.drain_now(&mut frames),
            Some(Drained::Closed { notify_client: false })
        );
        fx.engine.end_poll(eio_sid);
    }
}

#[test]
fn frames_held_for_a_connecting_socket_are_bounded_too() {
    let config = EngineConfig {
        outbox: OutboxLimits {
            max_frames: 3,
            max_bytes: 1 << 20,
        },
        ..EngineConfig::default()
    };
    let mut fx = fixture(config);
    let (eio_sid, outbox) = fx.open_ws();
    fx.engine.on_ws_text(fx.t0, eio_sid, b("40")).unwrap();
    let Some(Event::Connect { sid, .. }) = fx.sink.take().into_iter().last() else {
        panic!()
    };
    for _ in 0..3 {
        fx.engine.emit("/", b"[\"tick\"]", &[], Target::All, &[]);
    }
    assert!(!outbox.is_closed(), "within the bound");
    fx.engine.emit("/", b"[\"tick\"]", &[], Target::All, &[]);
    assert!(
        outbox.is_closed(),
        "a connect handler that never answers cannot make the server hold frames forever"
    );
    assert!(
        fx.engine.accept(sid).is_err(),
        "the socket is gone, so Python learns it cannot accept it"
    );
}

/// The admin socket's events (name and arguments), from what its outbox got.
fn admin_events(outbox: &Outbox) -> Vec<(String, serde_json::Value)> {
    drain(outbox)
        .iter()
        .filter_map(|frame| frame.strip_prefix("42/admin,"))
        .map(|json| {
            let serde_json::Value::Array(mut parts) = serde_json::from_str(json).unwrap() else {
                panic!("not an event: {json}");
            };
            let name = parts.remove(0).as_str().unwrap().to_owned();
            (name, serde_json::Value::Array(parts))
        })
        .collect()
}

fn fixed_clock() -> std::time::SystemTime {
    std::time::UNIX_EPOCH + Duration::from_millis(1_796_685_669_123)
}

#[test]
fn admin_tap_reports_what_sockets_do_in_development_mode() {
    let mut fx = fixture(EngineConfig::default());
    fx.engine.instrument(admin::AdminTap::new("/admin", true, fixed_clock));
    let (_, _, admin) = fx.connect("/admin");
    let (user_eio, user, user_out) = fx.connect("/");
    let events = admin_events(&admin);
    assert_eq!(events.len(), 1, "{events:?}");
    let (name, args) = &events[0];
    assert_eq!(name, "socket_connected");
    assert_eq!(args[0]["id"], user.as_str());
    assert_eq!(args[0]["clientId"], user_eio.as_str());
    assert_eq!(args[0]["transport"], "websocket");
    assert_eq!(args[0]["rooms"], serde_json::json!([user.as_str()]));
    assert_eq!(args[0]["handshake"]["issued"], 1_796_685_669_123_u64);
    assert_eq!(args[1], "2026-12-07T23:21:09.123Z");

    fx.engine.join(user, "/", "lobby").unwrap();
    fx.engine.on_ws_text(fx.t0, user_eio, b(r#"42["hi",{"n":1}]"#)).unwrap();
    fx.engine
        .emit("/", br#"["news",2]"#, &[], Target::Rooms(&["lobby"]), &[]);
    fx.engine.emit("/admin", br#"["to_admins"]"#, &[], Target::All, &[]);
    fx.engine.leave(user, "/", "lobby").unwrap();
    let time = "2026-12-07T23:21:09.123Z";
    let names: Vec<(String, serde_json::Value)> = admin_events(&admin);
    assert_eq!(
        names,
        vec![
            (
                "room_joined".into(),
                serde_json::json!(["/", "lobby", user.as_str(), time])
            ),
            (
                "event_received".into(),
                serde_json::json!(["/", user.as_str(), ["hi", {"n": 1}], time])
            ),
            (
                "event_sent".into(),
                serde_json::json!(["/", user.as_str(), ["news", 2], time])
            ),
            // An emit to the admins reaches them, but is not reported as sent.
            ("to_admins".into(), serde_json::json!([])),
            (
                "room_left".into(),
                serde_json::json!(["/", "lobby", user.as_str(), time])
            ),
        ]
    );
    assert_eq!(drain(&user_out), vec![r#"42["news",2]"#]);

    fx.engine.on_ws_text(fx.t0, user_eio, b("41")).unwrap();
    assert_eq!(
        admin_events(&admin),
        vec![(
            "socket_disconnected".into(),
            serde_json::json!(["/", user.as_str(), "client disconnect", time])
        )]
    );
    let stats = fx.engine.admin_stats();
    assert_eq!(stats["clientsCount"], 2);
    assert_eq!(
        stats["namespaces"],
        serde_json::json!([{"name": "/admin", "socketsCount": 1}])
    );
    let counted = |kind: &str| {
        stats["aggregatedEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == kind)
            .map(|e| e["count"].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(counted("rawConnection"), 2);
    assert_eq!(counted("packetsIn"), 4);
    assert!(counted("packetsOut") >= 8 && counted("bytesOut") > counted("packetsOut"));
    assert_eq!(fx.engine.admin_stats()["aggregatedEvents"], serde_json::json!([]));
}

#[test]
fn admin_tap_in_production_mode_only_counts() {
    let mut fx = fixture(EngineConfig::default());
    fx.engine.instrument(admin::AdminTap::new("/admin", false, fixed_clock));
    let (_, admin_sid, admin) = fx.connect("/admin");
    let (user_eio, user, _) = fx.connect("/");
    fx.engine.join(user, "/", "lobby").unwrap();
    fx.engine.on_ws_text(fx.t0, user_eio, b(r#"42["hi"]"#)).unwrap();
    fx.engine.emit("/", br#"["news"]"#, &[], Target::All, &[]);
    assert!(drain(&admin).is_empty());
    assert_eq!(fx.engine.admin_all_sockets(Some(admin_sid)), serde_json::json!([]));
    assert!(
        fx.engine.admin_stats()["aggregatedEvents"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[test]
fn an_engine_not_instrumented_reports_nothing() {
    let mut fx = fixture(EngineConfig::default());
    let (_, _, admin) = fx.connect("/admin");
    let (user_eio, _, _) = fx.connect("/");
    fx.engine.on_ws_text(fx.t0, user_eio, b(r#"42["hi"]"#)).unwrap();
    assert!(drain(&admin).is_empty());
    assert_eq!(fx.engine.admin_stats()["aggregatedEvents"], serde_json::json!([]));
}

#[test]
fn admin_tap_reports_an_upgrade() {
    let mut fx = fixture(EngineConfig::default());
    fx.engine.instrument(admin::AdminTap::new("/admin", true, fixed_clock));
    let (_, _, admin) = fx.connect("/admin");
    let eio_sid = fx.engine.open(fx.t0, Transport::Polling, None).unwrap().eio_sid;
    fx.engine.on_post(fx.t0, eio_sid, b("40")).unwrap();
    let sid = fx.connecting_sid();
    fx.engine.accept(sid).unwrap();
    let connected = admin_events(&admin);
    assert_eq!(connected[0].1[0]["transport"], "polling");
    fx.engine.begin_upgrade(eio_sid).unwrap();
    fx.engine.on_ws_text(fx.t0, eio_sid, b("2probe")).unwrap();
    fx.engine.on_ws_text(fx.t0, eio_sid, b("5")).unwrap();
    assert_eq!(
        admin_events(&admin),
        vec![(
            "socket_updated".into(),
            serde_json::json!([{"id": sid.as_str(), "nsp": "/", "transport": "websocket"}])
        )]
    );
}

/// A msgpack packet as socket.io-msgpack-parser writes it.
fn msgpack_packet(kind: crate::protocol::socketio::PacketType, data: Option<&[u8]>, id: Option<u64>) -> Bytes {
    let mut out = Vec::new();
    crate::protocol::socketio::msgpack::encode(&mut out, kind, "/", id, data);
    Bytes::from(out)
}

#[test]
fn msgpack_parser_frames_binary_maps_and_closes_only_a_session_that_sends_garbage() {
    use crate::protocol::socketio::{PacketType, msgpack};
    let mut fx = fixture(EngineConfig {
        parser: Parser::MsgPack,
        ..EngineConfig::default()
    });
    let mut sockets = Vec::new();
    for _ in 0..2 {
        let (eio_sid, outbox) = fx.open_ws();
        drain(&outbox);
        let connect = msgpack_packet(PacketType::Connect, None, None);
        fx.engine.on_ws_binary(fx.t0, eio_sid, connect).unwrap();
        let sid = fx
            .sink
            .take()
            .into_iter()
            .find_map(|e| match e {
                Event::Connect { sid, auth: None, .. } => Some(sid),
                _ => None,
            })
            .unwrap();
        fx.engine.accept(sid).unwrap();
        let mut frames = Vec::new();
        outbox.drain_now(&mut frames);
        let [Frame::Binary(answer)] = frames.as_slice() else {
            panic!("{frames:?}")
        };
        let answer = msgpack::decode(answer.clone()).unwrap();
        assert_eq!(answer.kind, PacketType::Connect);
        assert!(answer.data.unwrap().windows(3).any(|w| w == b"sid"));
        sockets.push((eio_sid, sid, outbox));
    }

    // An event arrives with its data as the raw msgpack array.
    let data = b"\x92\xa4chat\xc4\x01\x00";
    let event = msgpack_packet(PacketType::Event, Some(data), Some(4));
    fx.engine.on_ws_binary(fx.t0, sockets[0].0, event).unwrap();
    let events = fx.sink.take();
    assert!(matches!(&events[..], [Event::Message { data: d, ack_id: Some(4), .. }] if &d[..] == data));

    // A broadcast is framed once: every recipient gets the same binary message.
    fx.engine.emit("/", data, &[], Target::All, &[]);
    let mut got = Vec::new();
    for (_, _, outbox) in &sockets {
        let mut frames = Vec::new();
        outbox.drain_now(&mut frames);
        got.push(frames);
    }
    let ([Frame::Binary(first_frame)], [Frame::Binary(second_frame)]) = (got[0].as_slice(), got[1].as_slice()) else {
        panic!("{got:?}")
    };
    assert_eq!(first_frame.as_ptr(), second_frame.as_ptr());
    assert_eq!(
        msgpack::decode(first_frame.clone()).unwrap().data.as_deref(),
        Some(&data[..])
    );

    // A text message, then malformed msgpack: each closes its own session only.
    let (first, second) = (sockets[0].0, sockets[1].0);
    assert!(fx.engine.on_ws_text(fx.t0, first, b("42[\"chat\"]")).is_err());
    assert_eq!(fx.engine.transport(first), None);
    assert_eq!(fx.engine.transport(second), Some(Transport::WebSocket));
    assert!(
        fx.engine
            .on_ws_binary(fx.t0, second, Bytes::from_static(b"\x93\x01"))
            .is_err()
    );
    assert_eq!(fx.engine.transport(second), None);
    assert!(fx.sink.take().iter().any(|e| matches!(e, Event::Warning { .. })));
}
