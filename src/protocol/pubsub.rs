//! python-socketio's pub/sub messages: what the servers of one fleet tell each other on the shared channel
//! (`socketio` by default), as JSON objects with a `method` key.
//!
//! compat: python-socketio >= 5.14 publishes `json.dumps(message)` (earlier versions pickled); we encode the way
//! `json.dumps` does by default (`", "` and `": "` separators, non-ASCII escaped as `\uXXXX`, keys in the order
//! python-socketio builds them), so a message from turbosio is byte for byte what python-socketio would publish for
//! the same emit. Methods: `emit` (`event`, `data` = the argument list, `binary` with base64 attachments after the
//! data, `namespace`, `room`, `skip_sid`, `callback` = `[sid, namespace, id]`, `host_id`), `disconnect`,
//! `enter_room`, `leave_room`, `close_room` and `callback` (`sid`, `namespace`, `id`, `args`).
//!
//! In: the bytes of one channel message (hostile: any publisher on the channel may send anything). Out: a
//! [`Message`] whose emit data is ready to frame as a Socket.IO event (`["event", args...]`). Never: I/O.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Why a channel message was not understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not a JSON object with the fields its `method` needs.
    #[error("malformed pub/sub message")]
    Malformed,
    /// A `binary` emit whose attachments are not base64 strings.
    #[error("bad base64 attachment in pub/sub message")]
    BadAttachment,
}

/// An emit to publish, as the engine describes it.
#[derive(Clone, Copy, Debug)]
pub struct EmitOut<'a> {
    /// The publishing host.
    pub host_id: &'a str,
    /// The namespace.
    pub namespace: &'a str,
    /// The compact JSON array the engine frames: event name first, then the arguments.
    pub data: &'a [u8],
    /// The binary attachments its placeholders point to.
    pub attachments: &'a [Bytes],
    /// The target rooms; `None` for everybody in the namespace.
    pub rooms: Option<&'a [&'a str]>,
    /// Sids left out.
    pub skip: &'a [&'a str],
}

/// A message another host published, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// `emit`: deliver an event to the local sockets it names.
    Emit(RemoteEmit),
    /// `disconnect`: disconnect `sid` from `namespace` if it lives here.
    Disconnect {
        /// The socket.
        sid: String,
        /// Its namespace.
        namespace: String,
    },
    /// `enter_room` (`join` true) or `leave_room` for a socket that may live here.
    Room {
        /// Whether the socket enters (or leaves) the room.
        join: bool,
        /// The socket.
        sid: String,
        /// Its namespace.
        namespace: String,
        /// The room.
        room: String,
    },
    /// `close_room`.
    CloseRoom {
        /// The namespace.
        namespace: String,
        /// The room.
        room: String,
    },
    /// `callback`: a client answered an emit that a host (`host_id`) made with a callback.
    Callback,
    /// A method this version does not know; ignored.
    Unknown,
}

/// The decoded parts of an `emit` message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteEmit {
    /// `["event", args...]`, to frame as a Socket.IO event.
    pub data: Vec<u8>,
    /// Binary attachments (decoded from base64).
    pub attachments: Vec<Bytes>,
    /// The namespace (`/` when absent).
    pub namespace: String,
    /// The target rooms; `None` for everybody in the namespace.
    pub rooms: Option<Vec<String>>,
    /// Sids left out.
    pub skip: Vec<String>,
    /// Whether the sender waits for an answer (`callback` set): the bindings must take it, to relay the answer.
    pub wants_callback: bool,
}

/// The envelope every method shares, with the fields of all of them; the ones a method does not use stay `None`.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    method: &'a RawValue,
    #[serde(borrow, default)]
    event: Option<&'a RawValue>,
    #[serde(borrow, default)]
    data: Option<&'a RawValue>,
    #[serde(default)]
    binary: Option<serde_json::Value>,
    #[serde(default)]
    namespace: Option<serde_json::Value>,
    #[serde(default)]
    room: Option<serde_json::Value>,
    #[serde(default)]
    skip_sid: Option<serde_json::Value>,
    #[serde(default)]
    callback: Option<serde_json::Value>,
    #[serde(default)]
    sid: Option<serde_json::Value>,
}

fn string_of(raw: &RawValue) -> Option<String> {
    serde_json::from_str::<String>(raw.get()).ok()
}

fn text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `null` -> none, a string -> one, a list -> its strings (python-socketio accepts both for rooms and skips).
fn names(value: Option<&serde_json::Value>) -> Option<Vec<String>> {
    match value? {
        serde_json::Value::Null => None,
        serde_json::Value::Array(items) => Some(items.iter().filter_map(|v| text(Some(v))).collect()),
        other => text(Some(other)).map(|s| vec![s]),
    }
}

/// Just the envelope, to drop our own messages before decoding them.
#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    method: &'a RawValue,
    #[serde(borrow, default)]
    host_id: Option<&'a RawValue>,
}

/// A message's `method`, and the host it comes from (for `callback`, the host it is addressed to) if it names one.
pub fn envelope(message: &[u8]) -> Option<(String, Option<String>)> {
    let head: Head<'_> = serde_json::from_slice(message).ok()?;
    Some((string_of(head.method)?, head.host_id.and_then(string_of)))
}

/// Decode one channel message.
pub fn decode(message: &[u8]) -> Result<Message, DecodeError> {
    let wire: Wire<'_> = serde_json::from_slice(message).map_err(|_| DecodeError::Malformed)?;
    let method = string_of(wire.method).ok_or(DecodeError::Malformed)?;
    let namespace = text(wire.namespace.as_ref()).unwrap_or_else(|| String::from("/"));
    let room = || text(wire.room.as_ref()).ok_or(DecodeError::Malformed);
    let sid = || text(wire.sid.as_ref()).ok_or(DecodeError::Malformed);
    Ok(match method.as_str() {
        "emit" => Message::Emit(decode_emit(&wire, namespace)?),
        "disconnect" => Message::Disconnect { sid: sid()?, namespace },
        "enter_room" | "leave_room" => Message::Room {
            join: method == "enter_room",
            sid: sid()?,
            namespace,
            room: room()?,
        },
        "close_room" => Message::CloseRoom {
            namespace,
            room: room()?,
        },
        "callback" => Message::Callback,
        _ => Message::Unknown,
    })
}

fn decode_emit(wire: &Wire<'_>, namespace: String) -> Result<RemoteEmit, DecodeError> {
    let event = wire.event.ok_or(DecodeError::Malformed)?;
    if string_of(event).is_none() {
        return Err(DecodeError::Malformed);
    }
    let binary = matches!(wire.binary, Some(serde_json::Value::Bool(true)));
    let data = wire.data.map_or("null", RawValue::get);
    let (args, attachments) = if binary {
        let mut parts: Vec<&RawValue> = serde_json::from_str(data).map_err(|_| DecodeError::Malformed)?;
        if parts.is_empty() {
            return Err(DecodeError::Malformed);
        }
        let args = parts.remove(0).get();
        let attachments = parts
            .into_iter()
            .map(|part| {
                let text: String = serde_json::from_str(part.get()).map_err(|_| DecodeError::BadAttachment)?;
                STANDARD
                    .decode(text)
                    .map(Bytes::from)
                    .map_err(|_| DecodeError::BadAttachment)
            })
            .collect::<Result<Vec<_>, _>>()?;
        (args, attachments)
    } else {
        (data, Vec::new())
    };
    let mut out = Vec::with_capacity(event.get().len() + args.len() + 2);
    out.push(b'[');
    out.extend_from_slice(event.get().as_bytes());
    let args = args.trim();
    if let Some(rest) = args.strip_prefix('[') {
        // A list of arguments: splice them after the event name.
        let rest = rest.trim_start();
        if !rest.starts_with(']') {
            out.push(b',');
        }
        out.extend_from_slice(rest.as_bytes());
    } else {
        // compat: a single non-list value is one argument (as python-socketio's receiver treats it).
        out.push(b',');
        out.extend_from_slice(args.as_bytes());
        out.push(b']');
    }
    let wants_callback = matches!(&wire.callback, Some(serde_json::Value::Array(parts)) if parts.len() == 3);
    Ok(RemoteEmit {
        data: out,
        attachments,
        namespace,
        rooms: names(wire.room.as_ref()),
        skip: names(wire.skip_sid.as_ref()).unwrap_or_default(),
        wants_callback,
    })
}

/// Append `compact` JSON re-spaced the way Python's `json.dumps` writes it by default: `", "` and `": "` between
/// items, non-ASCII characters as `\uXXXX` escapes (surrogate pairs above the BMP). Text inside strings is kept.
pub fn write_python_style(compact: &[u8], out: &mut Vec<u8>) {
    let mut in_string = false;
    let mut escaped = false;
    let text = String::from_utf8_lossy(compact);
    for ch in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
            if ch.is_ascii() {
                out.push(ch as u8);
            } else {
                let mut units = [0u16; 2];
                for unit in ch.encode_utf16(&mut units) {
                    out.extend_from_slice(format!("\\u{unit:04x}").as_bytes());
                }
            }
            continue;
        }
        match ch {
            '"' => {
                in_string = true;
                out.push(b'"');
            }
            ',' => out.extend_from_slice(b", "),
            ':' => out.extend_from_slice(b": "),
            c if c.is_ascii_whitespace() => {}
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    let json = serde_json::to_vec(s).unwrap_or_else(|_| b"\"\"".to_vec());
    write_python_style(&json, out);
}

/// `null`, one name, or a list of names, as python-socketio publishes `room` and `skip_sid`.
fn write_names(names: Option<&[&str]>, out: &mut Vec<u8>) {
    match names {
        None | Some([]) => out.extend_from_slice(b"null"),
        Some([one]) => write_string(one, out),
        Some(many) => {
            out.push(b'[');
            for (i, name) in many.iter().enumerate() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_string(name, out);
            }
            out.push(b']');
        }
    }
}

/// Split the engine's `["event", args...]` into the event name's JSON string and the arguments' JSON array.
fn split_event(data: &[u8]) -> Option<(&[u8], Vec<u8>)> {
    let inner = data.strip_prefix(b"[")?.strip_suffix(b"]")?;
    if inner.first() != Some(&b'"') {
        return None;
    }
    let mut escaped = false;
    let mut end = None;
    for (i, b) in inner.iter().enumerate().skip(1) {
        match (escaped, *b) {
            (true, _) => escaped = false,
            (false, b'\\') => escaped = true,
            (false, b'"') => {
                end = Some(i + 1);
                break;
            }
            _ => {}
        }
    }
    let end = end?;
    let (event, rest) = inner.split_at(end);
    let mut args = Vec::with_capacity(rest.len() + 1);
    args.push(b'[');
    args.extend_from_slice(rest.strip_prefix(b",").unwrap_or(rest));
    args.push(b']');
    Some((event, args))
}

/// Encode an `emit` message; `None` when `data` is not the engine's `["event", ...]` array.
pub fn encode_emit(emit: &EmitOut<'_>) -> Option<Vec<u8>> {
    let (event, args) = split_event(emit.data)?;
    let mut out = Vec::with_capacity(emit.data.len() * 2 + 160);
    out.extend_from_slice(b"{\"method\": \"emit\", \"event\": ");
    write_python_style(event, &mut out);
    out.extend_from_slice(b", \"data\": ");
    if emit.attachments.is_empty() {
        write_python_style(&args, &mut out);
        out.extend_from_slice(b", \"binary\": false");
    } else {
        out.push(b'[');
        write_python_style(&args, &mut out);
        for attachment in emit.attachments {
            out.extend_from_slice(b", \"");
            out.extend_from_slice(STANDARD.encode(attachment).as_bytes());
            out.push(b'"');
        }
        out.extend_from_slice(b"], \"binary\": true");
    }
    out.extend_from_slice(b", \"namespace\": ");
    write_string(emit.namespace, &mut out);
    out.extend_from_slice(b", \"room\": ");
    write_names(emit.rooms, &mut out);
    out.extend_from_slice(b", \"skip_sid\": ");
    write_names(Some(emit.skip), &mut out);
    out.extend_from_slice(b", \"callback\": null, \"host_id\": ");
    write_string(emit.host_id, &mut out);
    out.push(b'}');
    Some(out)
}

/// Encode a `close_room` message.
pub fn encode_close_room(host_id: &str, namespace: &str, room: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(80 + room.len() + namespace.len());
    out.extend_from_slice(b"{\"method\": \"close_room\", \"room\": ");
    write_string(room, &mut out);
    out.extend_from_slice(b", \"namespace\": ");
    write_string(namespace, &mut out);
    out.extend_from_slice(b", \"host_id\": ");
    write_string(host_id, &mut out);
    out.push(b'}');
    out
}

#[cfg(test)]
#[path = "pubsub_tests.rs"]
mod tests;
