//! Tests of the long-polling payload codec ([`super::payload`]): spec examples, limits, round trips.

use bytes::Bytes;

use super::*;
use proptest::prelude::*;

fn msg(text: &'static [u8]) -> Packet {
    Packet::Message(Bytes::from_static(text))
}

#[test]
fn decodes_spec_examples() {
    let cases: &[(&[u8], Vec<Packet>)] = &[
        (
            b"4hello\x1e2\x1e4world",
            vec![msg(b"hello"), Packet::Ping(Bytes::new()), msg(b"world")],
        ),
        (
            b"4hello\x1ebAQIDBA==",
            vec![msg(b"hello"), Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))],
        ),
        (br#"42["hello"]"#, vec![msg(br#"2["hello"]"#)]),
        (
            b"42[\"hello\"]\x1e42[\"world\"]",
            vec![msg(br#"2["hello"]"#), msg(br#"2["world"]"#)],
        ),
        (b"3", vec![Packet::Pong(Bytes::new())]),
        (b"1", vec![Packet::Close]),
        (b"b", vec![Packet::Binary(Bytes::new())]),
        // compat: unpadded base64 is accepted.
        (b"bAQIDBA", vec![Packet::Binary(Bytes::from_static(&[1, 2, 3, 4]))]),
        (b"4\xe2\x82\xac\x1e4", vec![msg("\u{20ac}".as_bytes()), msg(b"")]),
    ];
    for (input, expected) in cases {
        let got = decode_payload(Bytes::copy_from_slice(input), 16);
        assert_eq!(got.as_ref(), Ok(expected), "input {:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn rejects_malformed_payloads() {
    let cases: &[(&[u8], usize, DecodeError)] = &[
        (b"", 16, DecodeError::EmptyPacket),
        (b"4a\x1e", 16, DecodeError::EmptyPacket),
        (b"\x1e4a", 16, DecodeError::EmptyPacket),
        (b"4a\x1e\x1e4b", 16, DecodeError::EmptyPacket),
        (b"4a\x1e9", 16, DecodeError::BadPacketType(b'9')),
        (b"4a\x1e4\xff", 16, DecodeError::InvalidUtf8),
        (b"bAQ!DBA==", 16, DecodeError::InvalidBase64),
        (b"b\xffAAA", 16, DecodeError::InvalidBase64),
        (b"bAQIDBA===", 16, DecodeError::InvalidBase64),
        (b"2\x1e2\x1e2", 2, DecodeError::TooManyPackets { limit: 2 }),
        (b"2", 0, DecodeError::TooManyPackets { limit: 0 }),
        // The limit is checked before the extra segment is decoded.
        (b"2\x1e\xff", 1, DecodeError::TooManyPackets { limit: 1 }),
    ];
    for (input, limit, expected) in cases {
        let got = decode_payload(Bytes::copy_from_slice(input), *limit);
        assert_eq!(got, Err(expected.clone()), "input {input:?}");
    }
}

#[test]
fn accepts_exactly_the_limit() {
    assert_eq!(decode_payload(Bytes::from_static(b"2\x1e2"), 2).map(|p| p.len()), Ok(2));
}

#[test]
fn encodes_frames() {
    let frames = [
        Frame::message(b"hello"),
        Frame::ping(),
        Frame::Binary(Bytes::from_static(&[1, 2, 3, 4])),
        Frame::message(b"world"),
    ];
    assert_eq!(
        encode_payload(&frames),
        Bytes::from_static(b"4hello\x1e2\x1ebAQIDBA==\x1e4world")
    );
    assert_eq!(encode_payload(&[Frame::noop()]), Bytes::from_static(b"6"));
    assert_eq!(encode_payload(&[]), Bytes::new());
}

#[test]
fn text_segments_are_not_copied() {
    let body = Bytes::from_static(b"4a\x1e4b");
    let packets = decode_payload(body.clone(), 4).unwrap();
    let Some(Packet::Message(second)) = packets.get(1) else {
        panic!("not a message");
    };
    assert_eq!(second.as_ptr(), body.get(4..).unwrap().as_ptr());
}

/// Packets that can travel in a polling payload: any text without the separator, and any binary.
fn payload_packet() -> impl Strategy<Value = Packet> {
    let text = || "[^\x1e]*".prop_map(Bytes::from);
    prop_oneof![
        text().prop_map(Packet::Open),
        Just(Packet::Close),
        text().prop_map(Packet::Ping),
        text().prop_map(Packet::Pong),
        text().prop_map(Packet::Message),
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| Packet::Binary(Bytes::from(v))),
        Just(Packet::Upgrade),
        Just(Packet::Noop),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_payload_never_panics(input in proptest::collection::vec(any::<u8>(), 0..96), limit in 0usize..8) {
        let _ = decode_payload(Bytes::from(input), limit);
    }

    #[test]
    fn decode_payload_never_panics_on_near_valid(
        segments in proptest::collection::vec("(b[A-Za-z0-9+/=]{0,9}|[0-7][a-z\x1e]{0,5})", 0..6),
    ) {
        let _ = decode_payload(Bytes::from(segments.join("\x1e")), 4);
    }

    #[test]
    fn payload_round_trip(packets in proptest::collection::vec(payload_packet(), 1..8)) {
        let frames: Vec<Frame> = packets.iter().cloned().map(Frame::from).collect();
        let body = encode_payload(&frames);
        prop_assert_eq!(decode_payload(body, packets.len()), Ok(packets));
    }
}
