//! Tests of the Engine.IO packet codec ([`super::packet`]): spec examples, malformed input, round trips.

use bytes::Bytes;

use super::*;
use proptest::prelude::*;

#[test]
fn decodes_spec_examples() {
    let cases: &[(&[u8], Packet)] = &[
        (
            br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#,
            Packet::Open(Bytes::from_static(
                br#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#,
            )),
        ),
        (b"1", Packet::Close),
        (b"2", Packet::Ping(Bytes::new())),
        (b"2probe", Packet::Ping(Bytes::from_static(b"probe"))),
        (b"3", Packet::Pong(Bytes::new())),
        (b"3probe", Packet::Pong(Bytes::from_static(b"probe"))),
        (b"4hello", Packet::Message(Bytes::from_static(b"hello"))),
        (b"4", Packet::Message(Bytes::new())),
        (
            "4h\u{e9}llo \u{20ac}".as_bytes(),
            Packet::Message(Bytes::from("h\u{e9}llo \u{20ac}".as_bytes())),
        ),
        (
            br#"42["hey","Jude"]"#,
            Packet::Message(Bytes::from_static(br#"2["hey","Jude"]"#)),
        ),
        (b"5", Packet::Upgrade),
        (b"6", Packet::Noop),
        // compat: trailing data after close, upgrade and noop is ignored.
        (b"1x", Packet::Close),
        (b"5x", Packet::Upgrade),
        (b"6x", Packet::Noop),
    ];
    for (input, expected) in cases {
        let got = Packet::decode_text(Bytes::copy_from_slice(input));
        assert_eq!(got.as_ref(), Ok(expected), "input {:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn rejects_malformed_text() {
    let cases: &[(&[u8], DecodeError)] = &[
        (b"", DecodeError::EmptyPacket),
        (b"7", DecodeError::BadPacketType(b'7')),
        (b"/", DecodeError::BadPacketType(b'/')),
        (b"x", DecodeError::BadPacketType(b'x')),
        // spec: base64 binary is a polling-only form.
        (b"bAQIDBA==", DecodeError::BadPacketType(b'b')),
        (b"4\xff", DecodeError::InvalidUtf8),
        (b"4\xe2\x82", DecodeError::InvalidUtf8),
        (b"2\xc0\xaf", DecodeError::InvalidUtf8),
    ];
    for (input, expected) in cases {
        let got = Packet::decode_text(Bytes::copy_from_slice(input));
        assert_eq!(got, Err(expected.clone()), "input {input:?}");
    }
}

#[test]
fn encodes_text() {
    let cases: &[(Packet, &[u8])] = &[
        (Packet::Open(Bytes::from_static(b"{}")), b"0{}"),
        (Packet::Close, b"1"),
        (Packet::Ping(Bytes::new()), b"2"),
        (Packet::Ping(Bytes::from_static(b"probe")), b"2probe"),
        (Packet::Pong(Bytes::from_static(b"probe")), b"3probe"),
        (Packet::Message(Bytes::from_static(b"hello")), b"4hello"),
        // spec: buffer <01 02 03 04> is "bAQIDBA==".
        (Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])), b"bAQIDBA=="),
        (Packet::Binary(Bytes::new()), b"b"),
        (Packet::Upgrade, b"5"),
        (Packet::Noop, b"6"),
    ];
    for (packet, expected) in cases {
        let mut out = Vec::new();
        packet.encode_text(&mut out);
        assert_eq!(out, *expected, "packet {packet:?}");
    }
}

#[test]
fn frame_constructors() {
    let cases: &[(Frame, Frame)] = &[
        (
            Frame::message(br#"2["a"]"#),
            Frame::Text(Bytes::from_static(br#"42["a"]"#)),
        ),
        (Frame::open(b"{}"), Frame::Text(Bytes::from_static(b"0{}"))),
        (Frame::close(), Frame::Text(Bytes::from_static(b"1"))),
        (Frame::ping(), Frame::Text(Bytes::from_static(b"2"))),
        (Frame::pong(b""), Frame::Text(Bytes::from_static(b"3"))),
        (Frame::pong(b"probe"), Frame::Text(Bytes::from_static(b"3probe"))),
        (Frame::pong_probe(), Frame::Text(Bytes::from_static(b"3probe"))),
        (Frame::noop(), Frame::Text(Bytes::from_static(b"6"))),
        (
            Frame::binary(Bytes::from_static(&[1, 2])),
            Frame::Binary(Bytes::from_static(&[1, 2])),
        ),
        (Packet::Noop.into(), Frame::Text(Bytes::from_static(b"6"))),
        (
            Packet::Binary(Bytes::from_static(&[9])).into(),
            Frame::Binary(Bytes::from_static(&[9])),
        ),
    ];
    for (got, expected) in cases {
        assert_eq!(got, expected);
    }
    assert_eq!(Frame::message(b"2[]").len(), 4);
    assert!(!Frame::ping().is_empty());
    assert!(Frame::Binary(Bytes::new()).is_empty());
    assert_eq!(Frame::ping().as_bytes(), &Bytes::from_static(b"2"));
}

#[test]
fn decoding_does_not_copy() {
    let frame = Bytes::from_static(b"4hello");
    let Ok(Packet::Message(data)) = Packet::decode_text(frame.clone()) else {
        panic!("not a message");
    };
    assert_eq!(data.as_ptr(), frame.get(1..).unwrap().as_ptr());
}

/// Packets whose text form is decodable by [`Packet::decode_text`] (everything but `Binary`).
fn text_packet() -> impl Strategy<Value = Packet> {
    let text = || any::<String>().prop_map(Bytes::from);
    prop_oneof![
        text().prop_map(Packet::Open),
        Just(Packet::Close),
        text().prop_map(Packet::Ping),
        text().prop_map(Packet::Pong),
        text().prop_map(Packet::Message),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_text_never_panics(input in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Packet::decode_text(Bytes::from(input));
    }

    #[test]
    fn decode_text_never_panics_on_typed_input(kind in 0u8..10, rest in proptest::collection::vec(any::<u8>(), 0..64)) {
        let mut input = vec![b'0' + kind];
        input.extend(rest);
        let _ = Packet::decode_text(Bytes::from(input));
    }

    #[test]
    fn text_round_trip(packet in text_packet()) {
        let mut out = Vec::new();
        packet.encode_text(&mut out);
        prop_assert_eq!(Packet::decode_text(Bytes::from(out)), Ok(packet));
    }
}
