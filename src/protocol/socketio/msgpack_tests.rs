use bytes::Bytes;
use proptest::prelude::*;
use rmpv::Value;

use super::msgpack::{decode, encode, encode_map, encode_str};
use super::packet::{DecodeError, PacketType};

fn value_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, value).unwrap();
    out
}

fn map(entries: Vec<(&str, Value)>) -> Bytes {
    let value = Value::Map(entries.into_iter().map(|(k, v)| (Value::from(k), v)).collect());
    Bytes::from(value_bytes(&value))
}

#[test]
fn decodes_what_socket_io_msgpack_parser_sends() {
    // notepack.io's encoding of `{type: 2, data: ["chat", "hi"], nsp: "/", id: 7}`.
    let msg = Bytes::from_static(b"\x84\xa4type\x02\xa4data\x92\xa4chat\xa2hi\xa3nsp\xa1/\xa2id\x07");
    let packet = decode(msg).unwrap();
    assert_eq!(packet.kind, PacketType::Event);
    assert_eq!(packet.namespace, "/");
    assert_eq!(packet.id, Some(7));
    assert_eq!(packet.event.as_deref(), Some("chat"));
    assert_eq!(packet.data.as_deref(), Some(&b"\x92\xa4chat\xa2hi"[..]));
    assert_eq!(packet.attachments, 0);

    // A CONNECT without auth: `data: undefined` (fixext 1 type 0) counts as no data, as does a missing id.
    let connect = decode(Bytes::from_static(
        b"\x83\xa4type\x00\xa4data\xd4\x00\x00\xa3nsp\xa4/foo",
    ))
    .unwrap();
    assert_eq!(
        (connect.kind, connect.namespace.as_str(), connect.data),
        (PacketType::Connect, "/foo", None)
    );
}

#[test]
fn decodes_what_python_socketio_sends() {
    // python-socketio always writes `data`, nil when there is none.
    let packet = decode(map(vec![
        ("type", Value::from(1)),
        ("data", Value::Nil),
        ("nsp", Value::from("/chat")),
    ]))
    .unwrap();
    assert_eq!((packet.kind, packet.data), (PacketType::Disconnect, None));
    let ack = decode(map(vec![
        ("type", Value::from(3)),
        ("data", Value::Array(vec![Value::Binary(vec![0, 255])])),
        ("nsp", Value::from("/")),
        ("id", Value::from(12)),
    ]))
    .unwrap();
    assert_eq!((ack.kind, ack.id), (PacketType::Ack, Some(12)));
}

#[test]
fn encodes_a_map_both_reference_parsers_read() {
    let data = value_bytes(&Value::Array(vec![Value::from("ev"), Value::Binary(vec![1, 2])]));
    let mut out = Vec::new();
    encode(&mut out, PacketType::Event, "/ns", Some(3), Some(&data));
    let value = rmpv::decode::read_value(&mut &out[..]).unwrap();
    let expected = Value::Map(vec![
        (Value::from("type"), Value::from(2)),
        (
            Value::from("data"),
            Value::Array(vec![Value::from("ev"), Value::Binary(vec![1, 2])]),
        ),
        (Value::from("nsp"), Value::from("/ns")),
        (Value::from("id"), Value::from(3)),
    ]);
    assert_eq!(value, expected);

    let mut out = Vec::new();
    encode(&mut out, PacketType::Disconnect, "", None, None);
    let value = rmpv::decode::read_value(&mut &out[..]).unwrap();
    assert_eq!(
        value,
        Value::Map(vec![
            (Value::from("type"), Value::from(1)),
            (Value::from("nsp"), Value::from("/"))
        ]),
        "no data key at all: the JS parser refuses a DISCONNECT whose data is null"
    );

    let sid = encode_str("abc");
    let connect = encode_map(&[("sid", &sid)]);
    let mut out = Vec::new();
    encode(&mut out, PacketType::Connect, "/", None, Some(&connect));
    let packet = decode(Bytes::from(out)).unwrap();
    assert_eq!(packet.data.as_deref(), Some(&connect[..]));
}

#[test]
#[expect(clippy::too_many_lines, reason = "one table of hostile inputs, each with its error")]
fn refuses_hostile_and_malformed_packets() {
    let cases: Vec<(Bytes, DecodeError)> = vec![
        (Bytes::new(), DecodeError::NotAMsgpackMap),
        (Bytes::from_static(b"\x92\x01\x02"), DecodeError::NotAMsgpackMap),
        (Bytes::from_static(b"42[\"a\"]"), DecodeError::NotAMsgpackMap),
        // A map announcing 2^32-1 entries in six bytes: refused when the bytes run out, nothing preallocated.
        (
            Bytes::from_static(b"\xdf\xff\xff\xff\xff\xa1a"),
            DecodeError::InvalidMsgpack,
        ),
        // A bin announcing 4 GiB.
        (
            Bytes::from_static(b"\x81\xa4data\xc6\xff\xff\xff\xff"),
            DecodeError::InvalidMsgpack,
        ),
        // An array announcing 2^32-1 elements.
        (
            Bytes::from_static(b"\x81\xa4data\xdd\xff\xff\xff\xff\x01"),
            DecodeError::InvalidMsgpack,
        ),
        (Bytes::from_static(b"\x81\xa4type\xa5ty"), DecodeError::InvalidMsgpack),
        (
            Bytes::from_static(b"\x82\xa4type\x00\xa3nsp\xa1/\x00"),
            DecodeError::InvalidMsgpack,
        ),
        (
            map(vec![("nsp", Value::from("/"))]),
            DecodeError::BadMsgpackField("type"),
        ),
        (map(vec![("type", Value::from(0))]), DecodeError::BadMsgpackField("nsp")),
        (
            map(vec![("type", Value::from("2")), ("nsp", Value::from("/"))]),
            DecodeError::BadMsgpackField("type"),
        ),
        (
            map(vec![("type", Value::from(5)), ("nsp", Value::from("/"))]),
            DecodeError::BadPacketType(5),
        ),
        (
            map(vec![("type", Value::from(-1)), ("nsp", Value::from("/"))]),
            DecodeError::BadMsgpackField("type"),
        ),
        (
            map(vec![("type", Value::from(0)), ("nsp", Value::from(1))]),
            DecodeError::BadMsgpackField("nsp"),
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                ("data", Value::Array(vec![Value::from("e")])),
                ("id", Value::from("1")),
            ]),
            DecodeError::BadMsgpackField("id"),
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                ("data", Value::Array(vec![Value::from("e")])),
                ("id", Value::from(-4)),
            ]),
            DecodeError::AckIdOutOfRange,
        ),
        (
            map(vec![
                ("type", Value::from(0)),
                ("nsp", Value::from("/")),
                ("id", Value::from(4)),
            ]),
            DecodeError::UnexpectedAckId(PacketType::Connect),
        ),
        (
            map(vec![
                ("type", Value::from(3)),
                ("nsp", Value::from("/")),
                ("data", Value::Array(vec![])),
            ]),
            DecodeError::MissingAckId(PacketType::Ack),
        ),
        (
            map(vec![("type", Value::from(2)), ("nsp", Value::from("/"))]),
            DecodeError::MissingData(PacketType::Event),
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                ("data", Value::Array(vec![])),
            ]),
            DecodeError::BadEventName,
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                ("data", Value::Array(vec![Value::from(1)])),
            ]),
            DecodeError::BadEventName,
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                ("data", Value::from("e")),
            ]),
            DecodeError::BadDataShape(PacketType::Event),
        ),
        (
            map(vec![
                ("type", Value::from(1)),
                ("nsp", Value::from("/")),
                ("data", Value::from(1)),
            ]),
            DecodeError::UnexpectedData(PacketType::Disconnect),
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                (
                    "data",
                    Value::Array(vec![
                        Value::from("e"),
                        Value::Map(vec![(Value::Array(vec![]), Value::Nil)]),
                    ]),
                ),
            ]),
            DecodeError::UnsupportedMsgpack("map key that is an array or a map"),
        ),
        (
            map(vec![
                ("type", Value::from(2)),
                ("nsp", Value::from("/")),
                ("data", Value::Array(vec![Value::from("e"), Value::Ext(5, vec![1])])),
            ]),
            DecodeError::UnsupportedMsgpack("extension type"),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(decode(input.clone()), Err(expected), "{input:?}");
    }
}

#[test]
fn refuses_nesting_deeper_than_python_may_build() {
    let mut deep = vec![0x91u8; 10_000];
    deep.push(0xc0);
    let mut msg = b"\x83\xa4type\x03\xa3nsp\xa1/\xa2id\x01\xa4data".to_vec();
    msg.extend_from_slice(&deep);
    assert_eq!(decode(Bytes::from(msg)), Err(DecodeError::InvalidMsgpack));
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Nil),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".*".prop_map(Value::from),
        proptest::collection::vec(any::<u8>(), 0..16).prop_map(Value::Binary),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((".*".prop_map(Value::from), inner), 0..6).prop_map(Value::Map),
        ]
    })
}

proptest! {
    #[test]
    fn events_round_trip(name in ".*", args in proptest::collection::vec(arb_value(), 0..4), ns in "/[a-z]{0,8}",
                         id in proptest::option::of(any::<u64>())) {
        let mut items = vec![Value::from(name.as_str())];
        items.extend(args);
        let data = value_bytes(&Value::Array(items));
        let mut out = Vec::new();
        encode(&mut out, PacketType::Event, &ns, id, Some(&data));
        let packet = decode(Bytes::from(out)).unwrap();
        prop_assert_eq!(packet.kind, PacketType::Event);
        prop_assert_eq!(packet.namespace, ns);
        prop_assert_eq!(packet.id, id);
        prop_assert_eq!(packet.event, Some(name));
        prop_assert_eq!(packet.data.as_deref(), Some(&data[..]));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(Bytes::from(bytes));
    }
}
