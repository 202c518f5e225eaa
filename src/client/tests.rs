//! The client engine driven with scripted server frames and a fake clock: no sockets, no tokio.

use std::time::{Duration, Instant};

use bytes::Bytes;

use super::engine::{ClientEngine, Limits, SendError};
use super::event::{ClientEvent, CloseReason};
use crate::protocol::engineio::Frame;

const OPEN: &[u8] =
    br#"0{"sid":"eio1","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

fn text(frame: &Frame) -> &[u8] {
    match frame {
        Frame::Text(b) | Frame::Binary(b) => b,
    }
}

fn texts(engine: &mut ClientEngine) -> Vec<Vec<u8>> {
    engine.take_frames().iter().map(|f| text(f).to_vec()).collect()
}

fn opened(namespaces: &[(&str, Option<&'static [u8]>)], now: Instant) -> ClientEngine {
    let wanted = namespaces
        .iter()
        .map(|(n, auth)| ((*n).to_owned(), auth.map(Bytes::from_static)))
        .collect();
    let mut engine = ClientEngine::new(wanted, Limits::default());
    engine.on_payload(Bytes::from_static(OPEN), now);
    engine
}

#[test]
fn the_open_packet_starts_the_session_and_sends_each_connect_with_its_auth() {
    let now = Instant::now();
    let mut engine = opened(&[("/", Some(&br#"{"token":"x"}"#[..])), ("/chat", None)], now);
    assert_eq!(
        engine.take_events(),
        vec![ClientEvent::Open {
            eio_sid: String::from("eio1"),
            transport: "polling"
        }]
    );
    assert_eq!(
        texts(&mut engine),
        vec![br#"40{"token":"x"}"#.to_vec(), b"40/chat,".to_vec()]
    );
    engine.on_text(Bytes::from_static(br#"40{"sid":"s1"}"#), now);
    engine.on_text(Bytes::from_static(br#"44/chat,{"message":"no"}"#), now);
    assert_eq!(
        engine.take_events(),
        vec![
            ClientEvent::Connect {
                namespace: String::from("/"),
                sid: String::from("s1")
            },
            ClientEvent::ConnectError {
                namespace: String::from("/chat"),
                data: Some(Bytes::from_static(br#"{"message":"no"}"#))
            },
        ]
    );
    assert!(engine.is_joined("/"));
    assert!(!engine.is_joined("/chat"));
}

#[test]
fn a_first_packet_that_is_not_open_fails_the_connect() {
    let mut engine = ClientEngine::new(vec![(String::from("/"), None)], Limits::default());
    engine.on_payload(Bytes::from_static(b"40"), Instant::now());
    assert!(matches!(engine.take_events().as_slice(), [ClientEvent::Failed { .. }]));
    assert!(engine.is_finished());
    assert!(engine.take_frames().is_empty());
}

#[test]
fn pings_are_answered_and_move_the_deadline_and_silence_ends_the_session() {
    let start = Instant::now();
    let mut engine = opened(&[("/", None)], start);
    engine.take_frames();
    assert_eq!(engine.next_deadline(), Some(start + Duration::from_secs(45)));
    let later = start + Duration::from_secs(25);
    engine.on_text(Bytes::from_static(b"2"), later);
    assert_eq!(texts(&mut engine), vec![b"3".to_vec()]);
    assert_eq!(engine.next_deadline(), Some(later + Duration::from_secs(45)));
    engine.on_tick(later + Duration::from_secs(44));
    assert!(!engine.is_finished());
    engine.take_events();
    engine.on_tick(later + Duration::from_secs(45));
    let events = engine.take_events();
    assert!(matches!(events.first(), Some(ClientEvent::Warning { .. })));
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::TransportError
        })
    );
}

#[test]
fn events_and_acks_both_ways_with_ids_and_binary_attachments() {
    let now = Instant::now();
    let mut engine = opened(&[("/", None)], now);
    engine.on_text(Bytes::from_static(br#"40{"sid":"s1"}"#), now);
    engine.take_events();
    engine.take_frames();
    assert_eq!(
        engine.emit("/nope", b"[\"a\"]", Vec::new(), None),
        Err(SendError::BadNamespace(String::from("/nope")))
    );
    engine.emit("/", br#"["hi",1]"#, Vec::new(), Some(7)).unwrap();
    engine
        .emit(
            "/",
            br#"["bin",{"_placeholder":true,"num":0}]"#,
            vec![Bytes::from_static(b"\x01\x02")],
            None,
        )
        .unwrap();
    let frames = engine.take_frames();
    assert_eq!(text(&frames[0]), br#"427["hi",1]"#);
    assert_eq!(text(&frames[1]), br#"451-["bin",{"_placeholder":true,"num":0}]"#);
    assert_eq!(frames[2], Frame::Binary(Bytes::from_static(b"\x01\x02")));

    engine.on_text(Bytes::from_static(br#"437["ok"]"#), now);
    engine.on_text(
        Bytes::from_static(br#"451-12["ev",{"_placeholder":true,"num":0}]"#),
        now,
    );
    assert_eq!(
        engine.take_events().len(),
        1,
        "the binary event waits for its attachment"
    );
    engine.on_binary(Bytes::from_static(b"zz"), now);
    assert_eq!(
        engine.take_events(),
        vec![ClientEvent::Event {
            namespace: String::from("/"),
            data: Bytes::from_static(br#"["ev",{"_placeholder":true,"num":0}]"#),
            attachments: vec![Bytes::from_static(b"zz")],
            ack_id: Some(12),
        }]
    );
    engine.ack("/", 12, b"[\"done\"]", Vec::new());
    assert_eq!(texts(&mut engine), vec![br#"4312["done"]"#.to_vec()]);
}

#[test]
fn disconnects_both_ways_and_close() {
    let now = Instant::now();
    let mut engine = opened(&[("/", None), ("/a", None)], now);
    engine.on_text(Bytes::from_static(br#"40{"sid":"s1"}"#), now);
    engine.on_text(Bytes::from_static(br#"40/a,{"sid":"s2"}"#), now);
    engine.take_events();
    engine.take_frames();
    engine.on_text(Bytes::from_static(b"41/a,"), now);
    assert_eq!(
        engine.take_events(),
        vec![ClientEvent::Disconnect {
            namespace: String::from("/a")
        }]
    );
    engine.close();
    assert_eq!(texts(&mut engine), vec![b"41".to_vec(), b"1".to_vec()]);
    assert_eq!(
        engine.take_events(),
        vec![ClientEvent::Closed {
            reason: CloseReason::ClientDisconnect
        }]
    );
    assert_eq!(
        engine.emit("/", b"[\"x\"]", Vec::new(), None),
        Err(SendError::Disconnected)
    );
}

#[test]
fn the_server_closing_and_malformed_frames_end_the_session() {
    let now = Instant::now();
    let mut engine = opened(&[("/", None)], now);
    engine.take_events();
    engine.on_text(Bytes::from_static(b"1"), now);
    assert_eq!(
        engine.take_events(),
        vec![ClientEvent::Closed {
            reason: CloseReason::ServerDisconnect
        }]
    );
    let mut engine = opened(&[("/", None)], now);
    engine.take_events();
    engine.on_text(Bytes::from_static(b"4{broken"), now);
    let events = engine.take_events();
    assert_eq!(
        events.last(),
        Some(&ClientEvent::Closed {
            reason: CloseReason::TransportError
        })
    );
    let mut engine = opened(&[("/", None)], now);
    engine.take_events();
    engine.on_binary(Bytes::from_static(b"stray"), now);
    assert!(engine.is_finished());
}

#[test]
fn the_upgrade_probe_is_checked() {
    use super::session::{check_probe_answer, probe_frame, upgrade_frame};
    use crate::protocol::engineio::Packet;
    assert_eq!(text(&probe_frame()), b"2probe");
    assert_eq!(text(&upgrade_frame()), b"5");
    assert!(check_probe_answer(&Packet::Pong(Bytes::from_static(b"probe"))).is_ok());
    assert!(check_probe_answer(&Packet::Pong(Bytes::new())).is_err());
    assert!(check_probe_answer(&Packet::Noop).is_err());
}

#[test]
fn polling_bodies_stay_within_the_servers_limits() {
    let now = Instant::now();
    let mut engine = opened(&[("/", None)], now);
    engine.on_text(Bytes::from_static(br#"40{"sid":"s1"}"#), now);
    engine.take_frames();
    for _ in 0..3 {
        engine.emit("/", br#"["e","0123456789"]"#, Vec::new(), None).unwrap();
    }
    // Each frame is 20 bytes; two plus a separator make 41.
    assert_eq!(engine.take_frames_within(16, 43).len(), 2);
    assert_eq!(
        engine.take_frames_within(16, 1).len(),
        1,
        "one frame always goes, however large"
    );
    assert!(engine.take_frames_within(16, 43).is_empty());
    for _ in 0..3 {
        engine.emit("/", br#"["e"]"#, Vec::new(), None).unwrap();
    }
    assert_eq!(
        engine.take_frames_within(2, 1000).len(),
        2,
        "and no more frames than the server decodes"
    );
}

#[test]
fn with_msgpack_every_packet_is_one_binary_map_and_a_text_message_ends_the_session() {
    use crate::protocol::socketio::{PacketType, msgpack};
    let now = Instant::now();
    let mut engine = ClientEngine::new(vec![(String::from("/"), None)], Limits::default()).with_msgpack(true);
    engine.on_payload(Bytes::from_static(OPEN), now);
    engine.take_events();
    let frames = engine.take_frames();
    let [Frame::Binary(connect)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    let connect = msgpack::decode(connect.clone()).unwrap();
    assert_eq!(
        (connect.kind, connect.namespace.as_str(), connect.data),
        (PacketType::Connect, "/", None)
    );

    let sid = msgpack::encode_map(&[("sid", &msgpack::encode_str("s1"))]);
    let mut answer = Vec::new();
    msgpack::encode(&mut answer, PacketType::Connect, "/", None, Some(&sid));
    engine.on_binary(Bytes::from(answer), now);
    assert_eq!(
        engine.take_events(),
        vec![ClientEvent::Connect {
            namespace: String::from("/"),
            sid: String::from("s1")
        }]
    );

    let data = b"\x92\xa2ev\xc4\x02\x00\x01";
    engine.emit("/", data, Vec::new(), Some(3)).unwrap();
    let frames = engine.take_frames();
    let [Frame::Binary(event)] = frames.as_slice() else {
        panic!("{frames:?}")
    };
    let event = msgpack::decode(event.clone()).unwrap();
    assert_eq!(
        (event.kind, event.id, event.data.as_deref()),
        (PacketType::Event, Some(3), Some(&data[..]))
    );

    let mut from_server = Vec::new();
    msgpack::encode(&mut from_server, PacketType::Event, "/", None, Some(data));
    engine.on_binary(Bytes::from(from_server), now);
    assert!(matches!(&engine.take_events()[..], [ClientEvent::Event { data: d, ack_id: None, .. }] if &d[..] == data));

    engine.on_text(Bytes::from_static(br#"42["ev"]"#), now);
    let events = engine.take_events();
    assert!(
        matches!(
            events.last(),
            Some(ClientEvent::Closed {
                reason: CloseReason::TransportError
            })
        ),
        "{events:?}"
    );
    assert!(engine.is_finished());
}
