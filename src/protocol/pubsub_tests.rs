use bytes::Bytes;

use super::*;

#[test]
fn emit_is_byte_for_byte_what_json_dumps_writes() {
    // The expected text is Python's `json.dumps` of the dict python-socketio 5.18 builds for this emit.
    let data = "[\"ch\u{e9}\",{\"a\":[1,\"x\u{1F600}\"]},null]";
    let out = encode_emit(&EmitOut {
        host_id: "h1",
        namespace: "/",
        data: data.as_bytes(),
        attachments: &[],
        rooms: Some(&["r1"]),
        skip: &[],
    })
    .unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"method": "emit", "event": "ch\u00e9", "data": [{"a": [1, "x\ud83d\ude00"]}, null], "binary": false, "namespace": "/", "room": "r1", "skip_sid": null, "callback": null, "host_id": "h1"}"#
    );
    assert_eq!(
        String::from_utf8(encode_close_room("h", "/chat", "r")).unwrap(),
        r#"{"method": "close_room", "room": "r", "namespace": "/chat", "host_id": "h"}"#
    );
}

#[test]
fn binary_emit_round_trips_through_base64() {
    let attachments = [Bytes::from_static(b"\x00\x01bin")];
    let out = encode_emit(&EmitOut {
        host_id: "h",
        namespace: "/n",
        data: br#"["up",{"_placeholder":true,"num":0}]"#,
        attachments: &attachments,
        rooms: None,
        skip: &["a", "b"],
    })
    .unwrap();
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.contains(r#""data": [[{"_placeholder": true, "num": 0}], "AAFiaW4="], "binary": true"#),
        "{text}"
    );
    assert!(text.contains(r#""room": null, "skip_sid": ["a", "b"]"#), "{text}");
    let Message::Emit(emit) = decode(&out).unwrap() else {
        panic!("not an emit")
    };
    assert_eq!(emit.data, br#"["up",{"_placeholder": true, "num": 0}]"#);
    assert_eq!(emit.attachments, attachments);
    assert_eq!(emit.namespace, "/n");
    assert_eq!(emit.rooms, None);
    assert_eq!(emit.skip, ["a", "b"]);
    assert!(!emit.wants_callback);
}

#[test]
fn decodes_what_python_socketio_publishes() {
    let msg = br#"{"method": "emit", "event": "ev", "data": [], "binary": false, "namespace": "/", "room": ["r", "s"], "skip_sid": "x", "callback": ["sid", "/", 3], "host_id": "other"}"#;
    let Message::Emit(emit) = decode(msg).unwrap() else {
        panic!("not an emit")
    };
    assert_eq!(emit.data, br#"["ev"]"#);
    assert_eq!(emit.rooms, Some(vec!["r".to_owned(), "s".to_owned()]));
    assert_eq!(emit.skip, ["x"]);
    assert!(emit.wants_callback);
    assert_eq!(envelope(msg), Some(("emit".to_owned(), Some("other".to_owned()))));
    // compat: a pre-5.14 style single value is one argument.
    let Message::Emit(emit) = decode(br#"{"method":"emit","event":"e","data":5}"#).unwrap() else {
        panic!()
    };
    assert_eq!(emit.data, br#"["e",5]"#);
    assert_eq!(
        decode(br#"{"method": "enter_room", "sid": "s", "room": "r", "namespace": "/", "host_id": "h"}"#),
        Ok(Message::Room {
            join: true,
            sid: "s".into(),
            namespace: "/".into(),
            room: "r".into()
        })
    );
    assert_eq!(
        decode(br#"{"method": "disconnect", "sid": "s", "namespace": null, "host_id": "h"}"#),
        Ok(Message::Disconnect {
            sid: "s".into(),
            namespace: "/".into()
        })
    );
    assert_eq!(
        decode(br#"{"method": "callback", "host_id": "h"}"#),
        Ok(Message::Callback)
    );
    assert_eq!(decode(br#"{"method": "later"}"#), Ok(Message::Unknown));
}

#[test]
fn hostile_messages_are_refused_without_panicking() {
    for bad in [
        &b""[..],
        b"[]",
        b"{}",
        b"{\"method\": 3}",
        b"{\"method\": \"emit\"}",
        b"{\"method\": \"emit\", \"event\": 1, \"data\": []}",
        b"{\"method\": \"emit\", \"event\": \"e\", \"data\": [], \"binary\": true}",
        b"{\"method\": \"emit\", \"event\": \"e\", \"data\": [[], 5], \"binary\": true}",
        b"{\"method\": \"emit\", \"event\": \"e\", \"data\": [[], \"!!\"], \"binary\": true}",
        b"{\"method\": \"enter_room\", \"sid\": \"s\"}",
        b"\xff\xfe",
    ] {
        assert!(decode(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
    }
}
