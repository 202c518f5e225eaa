//! Tests of the Socket.IO packet codec ([`super::packet`]): spec examples, malformed input, round trips.

use bytes::Bytes;

use super::*;
use proptest::prelude::*;
use serde_json::Value;

fn packet(kind: PacketType, namespace: &str, id: Option<u64>, attachments: usize, data: Option<&str>) -> Packet {
    let event = match (kind, data.map(serde_json::from_str::<Value>)) {
        (PacketType::Event | PacketType::BinaryEvent, Some(Ok(Value::Array(items)))) => {
            items.first().and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    };
    Packet {
        kind,
        namespace: namespace.to_owned(),
        id,
        attachments,
        data: data.map(|d| Bytes::copy_from_slice(d.as_bytes())),
        event,
    }
}

fn decode(text: &str) -> Result<Packet, DecodeError> {
    Packet::decode(Bytes::copy_from_slice(text.as_bytes()), &DecodeLimits::default())
}

#[test]
fn decodes_spec_examples() {
    use PacketType::*;
    let cases: &[(&str, Packet)] = &[
        ("0", packet(Connect, "/", None, 0, None)),
        (
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
            packet(Connect, "/admin", None, 0, Some(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#)),
        ),
        (
            r#"0{"token":"123"}"#,
            packet(Connect, "/", None, 0, Some(r#"{"token":"123"}"#)),
        ),
        ("0/custom,", packet(Connect, "/custom", None, 0, None)),
        // spec test suite: "40/random" and "41/custom" end the namespace at the end of the text.
        ("0/random", packet(Connect, "/random", None, 0, None)),
        ("1", packet(Disconnect, "/", None, 0, None)),
        ("1/admin,", packet(Disconnect, "/admin", None, 0, None)),
        ("1/custom", packet(Disconnect, "/custom", None, 0, None)),
        (r#"2["foo"]"#, packet(Event, "/", None, 0, Some(r#"["foo"]"#))),
        (r#"2["hello",1]"#, packet(Event, "/", None, 0, Some(r#"["hello",1]"#))),
        (
            r#"2/admin,["bar"]"#,
            packet(Event, "/admin", None, 0, Some(r#"["bar"]"#)),
        ),
        (r#"212["foo"]"#, packet(Event, "/", Some(12), 0, Some(r#"["foo"]"#))),
        (
            r#"2/admin,456["project:delete",123]"#,
            packet(Event, "/admin", Some(456), 0, Some(r#"["project:delete",123]"#)),
        ),
        (
            r#"2["message",1,"2",{"3":[true]}]"#,
            packet(Event, "/", None, 0, Some(r#"["message",1,"2",{"3":[true]}]"#)),
        ),
        ("3/admin,456[]", packet(Ack, "/admin", Some(456), 0, Some("[]"))),
        (
            r#"3/admin,13["bar"]"#,
            packet(Ack, "/admin", Some(13), 0, Some(r#"["bar"]"#)),
        ),
        (r#"312["bar"]"#, packet(Ack, "/", Some(12), 0, Some(r#"["bar"]"#))),
        (
            r#"4{"message":"Not authorized"}"#,
            packet(ConnectError, "/", None, 0, Some(r#"{"message":"Not authorized"}"#)),
        ),
        (
            r#"4/random,{"message":"Invalid namespace"}"#,
            packet(
                ConnectError,
                "/random",
                None,
                0,
                Some(r#"{"message":"Invalid namespace"}"#),
            ),
        ),
        (
            r#"4"Not authorized""#,
            packet(ConnectError, "/", None, 0, Some(r#""Not authorized""#)),
        ),
        (
            r#"51-["hello",{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryEvent,
                "/",
                None,
                1,
                Some(r#"["hello",{"_placeholder":true,"num":0}]"#),
            ),
        ),
        (
            r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
            packet(
                BinaryEvent,
                "/admin",
                None,
                2,
                Some(r#"["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            ),
        ),
        (
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryAck,
                "/",
                Some(15),
                1,
                Some(r#"["bar",{"_placeholder":true,"num":0}]"#),
            ),
        ),
        (
            r#"61-/admin,1[{"_placeholder":true,"num":0}]"#,
            packet(
                BinaryAck,
                "/admin",
                Some(1),
                1,
                Some(r#"[{"_placeholder":true,"num":0}]"#),
            ),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(decode(input).as_ref(), Ok(expected), "input {input:?}");
    }
}

#[test]
fn decodes_edge_cases() {
    use PacketType::*;
    let cases: &[(&str, Packet)] = &[
        // compat: socket.io-parser accepts a zero attachment count.
        (r#"50-["a"]"#, packet(BinaryEvent, "/", None, 0, Some(r#"["a"]"#))),
        (r#"510-["a"]"#, packet(BinaryEvent, "/", None, 10, Some(r#"["a"]"#))),
        ("2/,[\"a\"]", packet(Event, "/", None, 0, Some("[\"a\"]"))),
        (
            "2/\u{e9}v\u{e9},[\"\u{20ac}\"]",
            packet(Event, "/\u{e9}v\u{e9}", None, 0, Some("[\"\u{20ac}\"]")),
        ),
        (r#"2 [ "a" ] "#, packet(Event, "/", None, 0, Some(r#" [ "a" ] "#))),
        (
            "218446744073709551615[\"a\"]",
            packet(Event, "/", Some(u64::MAX), 0, Some("[\"a\"]")),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(decode(input).as_ref(), Ok(expected), "input {input:?}");
    }
}

#[test]
fn unescapes_event_names() {
    let cases: &[(&str, &str)] = &[
        (r#"2["a\"b\\c\n"]"#, "a\"b\\c\n"),
        (r#"2["\u00e9\ud83d\ude00"]"#, "\u{e9}\u{1f600}"),
        (r#"2[""]"#, ""),
        (r#"51-["bin",{"_placeholder":true,"num":0}]"#, "bin"),
    ];
    for (input, name) in cases {
        assert_eq!(
            decode(input).map(|p| p.event),
            Ok(Some((*name).to_owned())),
            "input {input:?}"
        );
    }
    assert_eq!(decode(r#"31["not an event"]"#).map(|p| p.event), Ok(None));
}

#[test]
fn rejects_malformed_packets() {
    use DecodeError::*;
    use PacketType::*;
    let cases: &[(&[u8], DecodeError)] = &[
        (b"", EmptyPacket),
        (b"7", BadPacketType(b'7')),
        (b"abc", BadPacketType(b'a')),
        (b"/admin,0", BadPacketType(b'/')),
        (b"2[\"\xff\"]", InvalidUtf8),
        (b"2/\xc3,[\"a\"]", InvalidUtf8),
        (br#"5["a"]"#, InvalidAttachmentCount),
        (br#"5-["a"]"#, InvalidAttachmentCount),
        (br#"51["a"]"#, InvalidAttachmentCount),
        (b"6", InvalidAttachmentCount),
        (br#"511-["a"]"#, AttachmentsOutOfRange { limit: 10 }),
        (
            br#"599999999999999999999999999-["a"]"#,
            AttachmentsOutOfRange { limit: 10 },
        ),
        (br#"218446744073709551616["a"]"#, AckIdOutOfRange),
        (br#"2/admin,99999999999999999999999999999["a"]"#, AckIdOutOfRange),
        (b"012{}", UnexpectedAckId(Connect)),
        (b"112", UnexpectedAckId(Disconnect)),
        (br#"4/a,1{"message":"x"}"#, UnexpectedAckId(ConnectError)),
        (b"3[]", MissingAckId(Ack)),
        (b"3/admin,[]", MissingAckId(Ack)),
        (br#"61-[{"_placeholder":true,"num":0}]"#, MissingAckId(BinaryAck)),
        (br#"2["a""#, InvalidJson),
        (br#"2["a"]x"#, InvalidJson),
        (br#"2["a"]["b"]"#, InvalidJson),
        (b"2/admin,{bad", InvalidJson),
        (b"0{", InvalidJson),
        (b"2 ", InvalidJson),
        (b"4'x'", InvalidJson),
        (b"2", MissingData(Event)),
        (b"2/admin,", MissingData(Event)),
        (b"21", MissingData(Event)),
        (b"31", MissingData(Ack)),
        (b"4", MissingData(ConnectError)),
        (b"51-", MissingData(BinaryEvent)),
        // spec: "2/admin[...]" has no comma, so all of it is the namespace and the data is missing.
        (br#"2/admin["a"]"#, MissingData(Event)),
        (b"1{}", UnexpectedData(Disconnect)),
        (br#"1/admin,"x""#, UnexpectedData(Disconnect)),
        (b"0[]", BadDataShape(Connect)),
        (br#"0"token""#, BadDataShape(Connect)),
        (b"0null", BadDataShape(Connect)),
        (br#"2{"a":1}"#, BadDataShape(Event)),
        (br#"2"a""#, BadDataShape(Event)),
        (br#"51-{"a":1}"#, BadDataShape(BinaryEvent)),
        (b"31{}", BadDataShape(Ack)),
        (b"31true", BadDataShape(Ack)),
        (b"4[]", BadDataShape(ConnectError)),
        (b"4null", BadDataShape(ConnectError)),
        (b"2[]", BadEventName),
        (b"2[1]", BadEventName),
        (br#"2[null,"a"]"#, BadEventName),
        (br#"2[["a"]]"#, BadEventName),
        (br#"2[{"a":1}]"#, BadEventName),
        (b"51-[]", BadEventName),
    ];
    for (input, expected) in cases {
        let got = Packet::decode(Bytes::copy_from_slice(input), &DecodeLimits::default());
        assert_eq!(got, Err(expected.clone()), "input {:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn respects_custom_limits() {
    let none = DecodeLimits { max_attachments: 0 };
    let text = Bytes::from_static(br#"51-["a",{"_placeholder":true,"num":0}]"#);
    assert_eq!(
        Packet::decode(text, &none),
        Err(DecodeError::AttachmentsOutOfRange { limit: 0 })
    );
    let text = Bytes::from_static(br#"50-["a"]"#);
    assert_eq!(Packet::decode(text, &none).map(|p| p.attachments), Ok(0));
}

#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    // Skipped values are walked without recursion, so nesting depth costs heap, not stack.
    let deep = format!("2[\"a\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(decode(&deep).map(|p| p.event), Ok(Some("a".to_owned())));
    let deep_first = format!("2[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(decode(&deep_first), Err(DecodeError::BadEventName));
    let unclosed = format!("2[\"a\",{}", "{\"k\":[".repeat(100_000));
    assert_eq!(decode(&unclosed), Err(DecodeError::InvalidJson));
}

#[test]
fn data_is_a_slice_of_the_input() {
    let text = Bytes::from_static(br#"2/admin,7["x"]"#);
    let packet = Packet::decode(text.clone(), &DecodeLimits::default()).unwrap();
    assert_eq!(packet.data.unwrap().as_ptr(), text.get(9..).unwrap().as_ptr());
}

#[test]
fn encodes_spec_examples() {
    use PacketType::*;
    type Case<'a> = (PacketType, &'a str, Option<u64>, usize, Option<&'a str>, &'a str);
    let cases: &[Case<'_>] = &[
        (Connect, "/", None, 0, None, "0"),
        (
            Connect,
            "/admin",
            None,
            0,
            Some(r#"{"sid":"oSO0OpakMV_3jnilAAAA"}"#),
            r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#,
        ),
        (Disconnect, "/", None, 0, None, "1"),
        (Disconnect, "/admin", None, 0, None, "1/admin,"),
        (Event, "/", None, 0, Some(r#"["foo"]"#), r#"2["foo"]"#),
        (Event, "", None, 0, Some(r#"["foo"]"#), r#"2["foo"]"#),
        (Event, "/admin", None, 0, Some(r#"["bar"]"#), r#"2/admin,["bar"]"#),
        (Event, "/", Some(12), 0, Some(r#"["foo"]"#), r#"212["foo"]"#),
        (Event, "/", Some(0), 0, Some(r#"["foo"]"#), r#"20["foo"]"#),
        (Ack, "/admin", Some(13), 0, Some(r#"["bar"]"#), r#"3/admin,13["bar"]"#),
        (
            ConnectError,
            "/",
            None,
            0,
            Some(r#"{"message":"Not authorized"}"#),
            r#"4{"message":"Not authorized"}"#,
        ),
        (
            BinaryEvent,
            "/",
            None,
            1,
            Some(r#"["baz",{"_placeholder":true,"num":0}]"#),
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
        ),
        (
            BinaryAck,
            "/",
            Some(15),
            1,
            Some(r#"["bar",{"_placeholder":true,"num":0}]"#),
            r#"61-15["bar",{"_placeholder":true,"num":0}]"#,
        ),
        (BinaryAck, "/admin", Some(1), 12, Some("[]"), "612-/admin,1[]"),
        (
            Event,
            "/",
            Some(u64::MAX),
            0,
            Some("[\"a\"]"),
            "218446744073709551615[\"a\"]",
        ),
        // Attachments are written only for binary types.
        (Event, "/", None, 3, Some("[\"a\"]"), "2[\"a\"]"),
    ];
    for &(kind, namespace, id, attachments, data, expected) in cases {
        let mut out = Vec::new();
        encode(&mut out, kind, namespace, id, attachments, data.map(str::as_bytes));
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}

#[test]
fn packet_type_digits() {
    for digit in b'0'..=b'6' {
        let kind = PacketType::from_digit(digit).unwrap();
        assert_eq!(kind.digit(), digit);
    }
    assert_eq!(PacketType::from_digit(b'7'), None);
    assert_eq!(PacketType::BinaryEvent.to_string(), "BINARY_EVENT");
    assert_eq!(
        DecodeError::UnexpectedAckId(PacketType::Connect).to_string(),
        "unexpected ack id on CONNECT packet"
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn json_object() -> impl Strategy<Value = String> {
    proptest::collection::btree_map(any::<String>(), json_value(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().collect()).to_string())
}

fn json_array() -> impl Strategy<Value = String> {
    proptest::collection::vec(json_value(), 0..4).prop_map(|v| Value::Array(v).to_string())
}

fn event_array() -> impl Strategy<Value = (String, String)> {
    (any::<String>(), proptest::collection::vec(json_value(), 0..4)).prop_map(|(name, args)| {
        let mut items = vec![Value::from(name.clone())];
        items.extend(args);
        (name, Value::Array(items).to_string())
    })
}

/// Any packet `Packet::decode` accepts with the default limits, built field by field.
fn valid_packet() -> impl Strategy<Value = Packet> {
    let namespace = prop_oneof![Just("/".to_owned()), "/[^,]{1,12}"];
    let attachments = 0..=DEFAULT_MAX_ATTACHMENTS;
    let body =
        prop_oneof![
            proptest::option::of(json_object()).prop_map(|data| (PacketType::Connect, None, 0, data, None)),
            Just((PacketType::Disconnect, None, 0, None, None)),
            (proptest::option::of(any::<u64>()), event_array()).prop_map(|(id, (name, data))| (
                PacketType::Event,
                id,
                0,
                Some(data),
                Some(name)
            )),
            (any::<u64>(), json_array()).prop_map(|(id, data)| (PacketType::Ack, Some(id), 0, Some(data), None)),
            prop_oneof![json_object(), any::<String>().prop_map(|s| Value::from(s).to_string())].prop_map(|data| (
                PacketType::ConnectError,
                None,
                0,
                Some(data),
                None
            )),
            (proptest::option::of(any::<u64>()), attachments.clone(), event_array())
                .prop_map(|(id, n, (name, data))| (PacketType::BinaryEvent, id, n, Some(data), Some(name))),
            (any::<u64>(), attachments, json_array()).prop_map(|(id, n, data)| (
                PacketType::BinaryAck,
                Some(id),
                n,
                Some(data),
                None
            )),
        ];
    (namespace, body).prop_map(|(namespace, (kind, id, attachments, data, event))| Packet {
        kind,
        namespace,
        id,
        attachments,
        data: data.map(Bytes::from),
        event,
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decode_never_panics(input in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Packet::decode(Bytes::from(input), &DecodeLimits::default());
    }

    #[test]
    fn decode_never_panics_on_near_valid(
        input in "[0-7][0-9-]{0,3}(/[a-z,\u{e9}]{0,4})?[0-9]{0,22}[\\[\\]{}\",:0-9a-z_ ]{0,16}",
    ) {
        let _ = decode(&input);
    }

    #[test]
    fn round_trip(expected in valid_packet()) {
        let mut out = Vec::new();
        expected.encode(&mut out);
        prop_assert_eq!(Packet::decode(Bytes::from(out), &DecodeLimits::default()), Ok(expected));
    }
}
