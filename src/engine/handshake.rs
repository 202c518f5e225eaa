//! spec: what only a server says in the two handshakes: Engine.IO's open packet (the session's handshake data)
//! and Socket.IO's answer to a namespace CONNECT (the socket's sid, or a `CONNECT_ERROR`).
//!
//! The codecs in `protocol/` encode and decode every packet type in both directions, so a client engine can reuse
//! them; the contents that only a server puts in those packets are built here. Which packets a server refuses from
//! its peer (an open packet, a `CONNECT_ERROR`) is decided where they arrive, in `Engine::on_packet` and
//! `on_socketio_packet`.

use bytes::Bytes;

use crate::protocol::engineio::Frame;
use crate::protocol::socketio::{self as sio, PacketType};

use super::config::{EngineConfig, Parser};
use super::sid::{EioSid, Sid};

/// The open packet answering a handshake: `0{"sid":...}`. `upgrades` lists `websocket` when the session starts on
/// polling and WebSocket is allowed.
pub(crate) fn open_frame(eio_sid: EioSid, upgrades: bool, config: &EngineConfig) -> Frame {
    // spec: the handshake's keys in the spec's order, intervals in exact milliseconds.
    let upgrades = if upgrades { "[\"websocket\"]" } else { "[]" };
    let text = format!(
        "0{{\"sid\":\"{eio_sid}\",\"upgrades\":{upgrades},\"pingInterval\":{},\"pingTimeout\":{},\"maxPayload\":{}}}",
        config.ping_interval.as_millis(),
        config.ping_timeout.as_millis(),
        config.max_payload,
    );
    Frame::Text(Bytes::from(text))
}

/// The Engine.IO message accepting `sid` into `namespace`: `40/ns,{"sid":"..."}`.
pub(crate) fn connect_ok_frame(parser: Parser, namespace: &str, sid: Sid) -> Frame {
    if parser == Parser::MsgPack {
        let data = sio::msgpack::encode_map(&[("sid", &sio::msgpack::encode_str(sid.as_str()))]);
        let mut out = Vec::with_capacity(data.len() + namespace.len() + 24);
        sio::msgpack::encode(&mut out, PacketType::Connect, namespace, None, Some(&data));
        return Frame::Binary(out.into());
    }
    let mut out = Vec::with_capacity(40 + namespace.len());
    out.push(b'4');
    encode_connect_ok(&mut out, namespace, sid.as_str());
    Frame::Text(out.into())
}

/// The Engine.IO message refusing a connection to `namespace`: `44/ns,{"message":"...","data":...}`.
///
/// With the msgpack parser, `data` is already msgpack.
pub(crate) fn connect_error_frame(parser: Parser, namespace: &str, message: &str, data: Option<&[u8]>) -> Frame {
    if parser == Parser::MsgPack {
        let message = sio::msgpack::encode_str(message);
        let mut entries: Vec<(&str, &[u8])> = vec![("message", &message)];
        if let Some(data) = data {
            entries.push(("data", data));
        }
        let body = sio::msgpack::encode_map(&entries);
        let mut out = Vec::with_capacity(body.len() + namespace.len() + 24);
        sio::msgpack::encode(&mut out, PacketType::ConnectError, namespace, None, Some(&body));
        return Frame::Binary(out.into());
    }
    let mut out = Vec::with_capacity(40 + namespace.len() + message.len());
    out.push(b'4');
    encode_connect_error(&mut out, namespace, message, data);
    Frame::Text(out.into())
}

/// Encode the answer to a successful namespace connection: `0/ns,{"sid":"..."}`.
pub(crate) fn encode_connect_ok(out: &mut Vec<u8>, namespace: &str, sid: &str) {
    let sid = serde_json::Value::from(sid).to_string();
    let mut data = Vec::with_capacity(sid.len() + 8);
    data.extend_from_slice(br#"{"sid":"#);
    data.extend_from_slice(sid.as_bytes());
    data.push(b'}');
    sio::encode(out, PacketType::Connect, namespace, None, 0, Some(&data));
}

/// Encode a refused namespace connection: `4/ns,{"message":"...","data":...}`.
///
/// `message` is JSON-escaped here; `data` is already-serialised JSON, and the `data` member is left out when it
/// is `None`.
pub(crate) fn encode_connect_error(out: &mut Vec<u8>, namespace: &str, message: &str, data: Option<&[u8]>) {
    let message = serde_json::Value::from(message).to_string();
    let mut body = Vec::with_capacity(message.len() + data.map_or(0, <[u8]>::len) + 20);
    body.extend_from_slice(br#"{"message":"#);
    body.extend_from_slice(message.as_bytes());
    if let Some(data) = data {
        body.extend_from_slice(br#","data":"#);
        body.extend_from_slice(data);
    }
    body.push(b'}');
    sio::encode(out, PacketType::ConnectError, namespace, None, 0, Some(&body));
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;
    use crate::protocol::socketio::{DecodeLimits, Packet};

    #[test]
    fn encodes_connect_answers() {
        let mut out = Vec::new();
        encode_connect_ok(&mut out, "/admin", "oSO0OpakMV_3jnilAAAA");
        assert_eq!(out, br#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#);

        out.clear();
        encode_connect_ok(&mut out, "/", "wZX3oN0bSVIhsaknAAAI");
        assert_eq!(out, br#"0{"sid":"wZX3oN0bSVIhsaknAAAI"}"#);

        out.clear();
        encode_connect_error(&mut out, "/", "Not authorized", None);
        assert_eq!(out, br#"4{"message":"Not authorized"}"#);

        out.clear();
        encode_connect_error(&mut out, "/random", "Invalid namespace", None);
        assert_eq!(out, br#"4/random,{"message":"Invalid namespace"}"#);

        out.clear();
        encode_connect_error(&mut out, "/", "say \"no\"\n", Some(br#"{"code":7}"#));
        assert_eq!(out, br#"4{"message":"say \"no\"\n","data":{"code":7}}"#);
        let decoded = Packet::decode(Bytes::from(out), &DecodeLimits::default()).unwrap();
        let data: Value = serde_json::from_slice(&decoded.data.unwrap()).unwrap();
        assert_eq!(data, json!({"message": "say \"no\"\n", "data": {"code": 7}}));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn connect_answers_round_trip(sid in any::<String>(), message in any::<String>()) {
            let mut out = Vec::new();
            encode_connect_ok(&mut out, "/", &sid);
            let data = Packet::decode(Bytes::from(out), &DecodeLimits::default()).unwrap().data.unwrap();
            prop_assert_eq!(serde_json::from_slice::<Value>(&data).unwrap(), json!({ "sid": sid }));

            let mut out = Vec::new();
            encode_connect_error(&mut out, "/x", &message, None);
            let data = Packet::decode(Bytes::from(out), &DecodeLimits::default()).unwrap().data.unwrap();
            prop_assert_eq!(serde_json::from_slice::<Value>(&data).unwrap(), json!({ "message": message }));
        }
    }
}
