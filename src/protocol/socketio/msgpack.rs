//! Socket.IO v5 packets as msgpack, the wire format of `socket.io-msgpack-parser` and of python-socketio's
//! `serializer='msgpack'`.
//!
//! spec (socket.io-msgpack-parser): each packet is one msgpack map `{type, data, nsp, id}` sent as one binary
//! Engine.IO message. There are no attachments: binary values travel inside the map as msgpack `bin`, so the
//! `BINARY_EVENT`/`BINARY_ACK` types never appear. `data` and `id` may be missing (or nil); `nsp` is required.
//!
//! Decoding checks the map and the shape of its data with the same rules as the JSON parser, and hands the data on
//! as the raw msgpack bytes of that value: the Python layer turns them into Python objects later, in one pass.
//! Decoding never preallocates from a length prefix (rmpv reads element by element and checks every `bin`/`str`
//! length against the bytes present) and bounds nesting depth.

use bytes::Bytes;
use rmpv::ValueRef;

use super::packet::{DecodeError, Packet, PacketType};

/// Nesting deeper than this is refused; Python builds the value recursively later.
const MAX_DEPTH: usize = 256;

/// How the JavaScript `notepack.io` encoder writes `undefined`: fixext 1, type 0, one zero byte.
pub fn is_undefined(value: &ValueRef<'_>) -> bool {
    matches!(value, ValueRef::Nil) || matches!(value, ValueRef::Ext(0, data) if *data == [0])
}

/// The packet type for a msgpack `type` field: `0`..=`4` (the binary types have no use without attachments).
fn packet_type(value: &ValueRef<'_>) -> Result<PacketType, DecodeError> {
    let n = match value {
        ValueRef::Integer(n) => n.as_u64(),
        _ => None,
    };
    match n {
        Some(0) => Ok(PacketType::Connect),
        Some(1) => Ok(PacketType::Disconnect),
        Some(2) => Ok(PacketType::Event),
        Some(3) => Ok(PacketType::Ack),
        Some(4) => Ok(PacketType::ConnectError),
        Some(n) => Err(DecodeError::BadPacketType(u8::try_from(n).unwrap_or(u8::MAX))),
        None => Err(DecodeError::BadMsgpackField("type")),
    }
}

/// Read one value from `rd`, returning it and the bytes it spans.
fn read_value<'a>(whole: &'a [u8], rd: &mut &'a [u8]) -> Result<(ValueRef<'a>, std::ops::Range<usize>), DecodeError> {
    let start = whole.len() - rd.len();
    let value = rmpv::decode::read_value_ref_with_max_depth(rd, MAX_DEPTH).map_err(|_| DecodeError::InvalidMsgpack)?;
    Ok((value, start..whole.len() - rd.len()))
}

/// Check that a value can become Python objects: map keys hashable (no arrays or maps), extensions only the two
/// `notepack.io` writes (`undefined`, and type 0 for an `ArrayBuffer`, which becomes `bytes`).
fn check_convertible(value: &ValueRef<'_>) -> Result<(), DecodeError> {
    match value {
        ValueRef::Array(items) => items.iter().try_for_each(check_convertible),
        ValueRef::Map(entries) => entries.iter().try_for_each(|(k, v)| {
            if matches!(k, ValueRef::Array(_) | ValueRef::Map(_)) {
                return Err(DecodeError::UnsupportedMsgpack("map key that is an array or a map"));
            }
            check_convertible(k)?;
            check_convertible(v)
        }),
        ValueRef::String(s) if s.as_str().is_none() => Err(DecodeError::InvalidUtf8),
        ValueRef::Ext(0, _) => Ok(()),
        ValueRef::Ext(..) => Err(DecodeError::UnsupportedMsgpack("extension type")),
        _ => Ok(()),
    }
}

/// Check the data's shape against the packet type (the JSON parser's rules); return the event name for events.
fn check_data(kind: PacketType, data: Option<&ValueRef<'_>>) -> Result<Option<String>, DecodeError> {
    match (kind, data) {
        (PacketType::Connect, None | Some(ValueRef::Map(_)))
        | (PacketType::Disconnect, None)
        | (PacketType::Ack, Some(ValueRef::Array(_)))
        | (PacketType::ConnectError, Some(ValueRef::Map(_) | ValueRef::String(_))) => Ok(None),
        (PacketType::Event, Some(ValueRef::Array(items))) => match items.first() {
            Some(ValueRef::String(name)) => name
                .as_str()
                .map(|s| Some(s.to_owned()))
                .ok_or(DecodeError::BadEventName),
            _ => Err(DecodeError::BadEventName),
        },
        (PacketType::Disconnect, Some(_)) => Err(DecodeError::UnexpectedData(kind)),
        (_, None) => Err(DecodeError::MissingData(kind)),
        (_, Some(_)) => Err(DecodeError::BadDataShape(kind)),
    }
}

/// Decode one binary Engine.IO message holding a msgpack-encoded packet.
///
/// The message must be exactly one map with an integer `type` in `0..=4`, a string `nsp`, an optional unsigned
/// integer `id` (required on acks, refused on other types than events and acks) and optional `data` of the shape
/// the type calls for. Other keys are ignored, as the reference parsers ignore them. The packet's `data` is the
/// slice of `message` holding the data value.
pub fn decode(message: Bytes) -> Result<Packet, DecodeError> {
    let whole: &[u8] = &message;
    let mut rd = whole;
    let len = rmp::decode::read_map_len(&mut rd).map_err(|_| DecodeError::NotAMsgpackMap)?;
    let (mut kind, mut namespace, mut id, mut data) = (None, None, None, None);
    for _ in 0..len {
        let (key, _) = read_value(whole, &mut rd)?;
        let (value, span) = read_value(whole, &mut rd)?;
        let Some(key) = (match key {
            ValueRef::String(s) => s.into_str(),
            _ => None,
        }) else {
            continue;
        };
        match key {
            "type" => kind = Some(packet_type(&value)?),
            "nsp" => match value {
                ValueRef::String(s) => namespace = Some(s.into_str().ok_or(DecodeError::InvalidUtf8)?.to_owned()),
                _ => return Err(DecodeError::BadMsgpackField("nsp")),
            },
            "id" if is_undefined(&value) => id = None,
            "id" => match value {
                ValueRef::Integer(n) => id = Some(n.as_u64().ok_or(DecodeError::AckIdOutOfRange)?),
                _ => return Err(DecodeError::BadMsgpackField("id")),
            },
            "data" if is_undefined(&value) => data = None,
            "data" => data = Some((value, span)),
            _ => {}
        }
    }
    if !rd.is_empty() {
        return Err(DecodeError::InvalidMsgpack);
    }
    let kind = kind.ok_or(DecodeError::BadMsgpackField("type"))?;
    let namespace = namespace.ok_or(DecodeError::BadMsgpackField("nsp"))?;
    if id.is_some() && !kind.accepts_ack_id() {
        return Err(DecodeError::UnexpectedAckId(kind));
    }
    if id.is_none() && kind == PacketType::Ack {
        return Err(DecodeError::MissingAckId(kind));
    }
    let event = check_data(kind, data.as_ref().map(|(value, _)| value))?;
    if let Some((value, _)) = &data {
        check_convertible(value)?;
    }
    let data = data.map(|(_, span)| message.slice(span));
    Ok(Packet {
        kind,
        namespace: if namespace.is_empty() {
            String::from("/")
        } else {
            namespace
        },
        id,
        attachments: 0,
        data,
        event,
    })
}

/// Append one msgpack-encoded packet to `out`: a map of `type`, `data` (when there is some), `nsp` and `id` (when
/// there is one). `data` is the already-encoded msgpack value and is copied verbatim.
///
/// `data` is left out rather than written as nil when there is none: the JavaScript parser accepts a `DISCONNECT`
/// or a `CONNECT` only without it.
pub fn encode(out: &mut Vec<u8>, kind: PacketType, namespace: &str, id: Option<u64>, data: Option<&[u8]>) {
    let fields = 2 + u32::from(data.is_some()) + u32::from(id.is_some());
    out.reserve(24 + namespace.len() + data.map_or(0, <[u8]>::len));
    // Writing into a Vec cannot fail.
    let _ = rmp::encode::write_map_len(out, fields);
    let _ = rmp::encode::write_str(out, "type");
    let _ = rmp::encode::write_uint(out, u64::from(kind as u8));
    if let Some(data) = data {
        let _ = rmp::encode::write_str(out, "data");
        out.extend_from_slice(data);
    }
    let _ = rmp::encode::write_str(out, "nsp");
    let _ = rmp::encode::write_str(out, if namespace.is_empty() { "/" } else { namespace });
    if let Some(id) = id {
        let _ = rmp::encode::write_str(out, "id");
        let _ = rmp::encode::write_uint(out, id);
    }
}

/// A map of string keys to values that are already msgpack-encoded (the answers to a CONNECT).
pub fn encode_map(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + entries.iter().map(|(k, v)| k.len() + v.len() + 2).sum::<usize>());
    let _ = rmp::encode::write_map_len(&mut out, u32::try_from(entries.len()).unwrap_or(u32::MAX));
    for (key, value) in entries {
        let _ = rmp::encode::write_str(&mut out, key);
        out.extend_from_slice(value);
    }
    out
}

/// One msgpack string.
pub fn encode_str(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 5);
    let _ = rmp::encode::write_str(&mut out, s);
    out
}
