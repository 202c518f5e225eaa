//! Socket.IO v5 packets: header fields, raw JSON data, and the encoder for outbound packets.
//!
//! spec: `<packet type>[<# of binary attachments>-][<namespace>,][<acknowledgment id>][JSON-stringified payload]`.

use std::fmt;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// The kind of a Socket.IO packet, with its type digit as discriminant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// Ask to join a namespace (client), or accept the request (server).
    Connect = 0,
    /// Leave a namespace.
    Disconnect = 1,
    /// An event with JSON arguments.
    Event = 2,
    /// The answer to an event that asked for an acknowledgement.
    Ack = 3,
    /// Refuse a namespace connection.
    ConnectError = 4,
    /// An event whose arguments contain binary attachments.
    BinaryEvent = 5,
    /// An acknowledgement whose arguments contain binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The packet type for an ASCII type digit, if it is one of `0`..=`6`.
    pub fn from_digit(digit: u8) -> Option<PacketType> {
        Some(match digit {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The ASCII type digit that starts an encoded packet.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// Whether the packet is followed by binary attachments and carries an attachment count.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// Whether an acknowledgement id may appear in the header.
    pub fn accepts_ack_id(self) -> bool {
        matches!(
            self,
            PacketType::Event | PacketType::BinaryEvent | PacketType::Ack | PacketType::BinaryAck
        )
    }

    /// The packet type's name as the spec writes it, e.g. `BINARY_EVENT`.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Connect => "CONNECT",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Event => "EVENT",
            PacketType::Ack => "ACK",
            PacketType::ConnectError => "CONNECT_ERROR",
            PacketType::BinaryEvent => "BINARY_EVENT",
            PacketType::BinaryAck => "BINARY_ACK",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a Socket.IO packet was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The message text is empty, without even a type digit.
    #[error("empty packet")]
    EmptyPacket,
    /// The first byte is not one of the type digits `0`..=`6`.
    #[error("bad packet type {0:#04x}")]
    BadPacketType(u8),
    /// The packet is not valid UTF-8.
    #[error("invalid utf-8 in packet")]
    InvalidUtf8,
    /// A binary packet does not start with its attachment count: digits followed by `-`.
    #[error("malformed attachment count")]
    InvalidAttachmentCount,
    /// A binary packet announces more attachments than the limit allows.
    #[error("more than {limit} attachments")]
    AttachmentsOutOfRange {
        /// The largest attachment count accepted ([`DecodeLimits::max_attachments`]).
        limit: usize,
    },
    /// The acknowledgement id does not fit in a `u64`.
    #[error("ack id out of range")]
    AckIdOutOfRange,
    /// An acknowledgement id on a packet type that cannot carry one.
    #[error("unexpected ack id on {0} packet")]
    UnexpectedAckId(PacketType),
    /// An `ACK` or `BINARY_ACK` packet without the id of the event it answers.
    #[error("missing ack id on {0} packet")]
    MissingAckId(PacketType),
    /// The data is not well-formed JSON (or has trailing bytes after the JSON value).
    #[error("invalid json data")]
    InvalidJson,
    /// A packet type that requires data has none.
    #[error("missing data on {0} packet")]
    MissingData(PacketType),
    /// A `DISCONNECT` packet carries data.
    #[error("unexpected data on {0} packet")]
    UnexpectedData(PacketType),
    /// The data is valid JSON of the wrong kind for the packet type (e.g. an object on an `EVENT`).
    #[error("wrong data shape for {0} packet")]
    BadDataShape(PacketType),
    /// An event's data array is empty or its first element, the event name, is not a string.
    #[error("event name missing or not a string")]
    BadEventName,
    /// A `{"_placeholder":true,"num":n}` object refers to an attachment that does not exist.
    #[error("placeholder {num} out of range for {attachments} attachments")]
    PlaceholderOutOfRange {
        /// The attachment index the placeholder names.
        num: u64,
        /// How many attachments the packet announced.
        attachments: usize,
    },
    /// A `{"_placeholder":true}` object has no `num`, or one that is not a non-negative integer.
    #[error("placeholder without a valid num")]
    InvalidPlaceholder,
}

/// Default for [`DecodeLimits::max_attachments`].
pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;

/// Limits applied while decoding hostile input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodeLimits {
    /// The largest attachment count a binary packet may announce.
    pub max_attachments: usize,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        DecodeLimits {
            max_attachments: DEFAULT_MAX_ATTACHMENTS,
        }
    }
}

/// A decoded Socket.IO v5 packet header with its raw JSON data.
///
/// The data is validated but not parsed into values: the Python layer parses it later straight into Python
/// objects. For binary packets the data still holds the `{"_placeholder":true,"num":n}` objects; the attachments
/// arrive separately (see [`super::attachments::PartialBinary`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The packet type.
    pub kind: PacketType,
    /// The namespace, `"/"` when the header names none.
    pub namespace: String,
    /// The acknowledgement id, if the header carries one.
    pub id: Option<u64>,
    /// How many binary attachments follow; 0 for non-binary packets.
    pub attachments: usize,
    /// The JSON text of the data, as a slice of the decoded message; `None` when there is none.
    pub data: Option<Bytes>,
    /// For `EVENT` and `BINARY_EVENT`, the event name (the first array element, JSON-unescaped); else `None`.
    pub event: Option<String>,
}

impl Packet {
    /// Decode the text of an Engine.IO message (without its leading `4`).
    ///
    /// Checks, in order: the type digit; the attachment count, present exactly on binary types and at most
    /// `limits.max_attachments`; the namespace, which starts with `/` and ends at `,` or at the end of the text;
    /// the acknowledgement id, which must fit in a `u64`, is allowed only on events and acks, and is required on
    /// acks; and the data, which must be well-formed JSON of the shape the type calls for: `CONNECT` an object or
    /// nothing, `DISCONNECT` nothing, `EVENT`/`BINARY_EVENT` a non-empty array starting with a string,
    /// `ACK`/`BINARY_ACK` an array, `CONNECT_ERROR` an object or a string.
    pub fn decode(text: Bytes, limits: &DecodeLimits) -> Result<Packet, DecodeError> {
        let s = std::str::from_utf8(&text).map_err(|_| DecodeError::InvalidUtf8)?;
        let bytes = s.as_bytes();
        let &digit = bytes.first().ok_or(DecodeError::EmptyPacket)?;
        let kind = PacketType::from_digit(digit).ok_or(DecodeError::BadPacketType(digit))?;
        let mut pos = 1;

        let mut attachments = 0;
        if kind.is_binary() {
            let digits = digits_at(bytes, pos);
            if digits.is_empty() || bytes.get(pos + digits.len()) != Some(&b'-') {
                return Err(DecodeError::InvalidAttachmentCount);
            }
            attachments = parse_u64(digits)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n <= limits.max_attachments)
                .ok_or(DecodeError::AttachmentsOutOfRange {
                    limit: limits.max_attachments,
                })?;
            pos += digits.len() + 1;
        }

        let mut namespace = None;
        if bytes.get(pos) == Some(&b'/') {
            // spec: the namespace is delimited by a comma and has no escape sequence.
            let rest = bytes.get(pos..).unwrap_or_default();
            let comma = rest.iter().position(|&b| b == b',');
            let end = comma.map_or(bytes.len(), |offset| pos + offset);
            // `pos` and `end` sit on ASCII bytes or at the end, so they are char boundaries.
            namespace = Some(s.get(pos..end).ok_or(DecodeError::InvalidUtf8)?.to_owned());
            pos = if comma.is_some() { end + 1 } else { end };
        }

        let mut id = None;
        let digits = digits_at(bytes, pos);
        if !digits.is_empty() {
            if !kind.accepts_ack_id() {
                return Err(DecodeError::UnexpectedAckId(kind));
            }
            id = Some(parse_u64(digits).ok_or(DecodeError::AckIdOutOfRange)?);
            pos += digits.len();
        }
        if id.is_none() && matches!(kind, PacketType::Ack | PacketType::BinaryAck) {
            return Err(DecodeError::MissingAckId(kind));
        }

        let json = s.get(pos..).unwrap_or_default();
        let shape = if json.is_empty() {
            None
        } else {
            Some(parse_shape(
                json,
                matches!(kind, PacketType::Event | PacketType::BinaryEvent),
            )?)
        };
        let event = check_shape(kind, shape)?;
        let data = (!json.is_empty()).then(|| text.slice(pos..));

        Ok(Packet {
            kind,
            namespace: namespace.unwrap_or_else(|| String::from("/")),
            id,
            attachments,
            data,
            event,
        })
    }

    /// Append this packet to `out`, without the Engine.IO `4` prefix; see [`encode`].
    pub fn encode(&self, out: &mut Vec<u8>) {
        encode(
            out,
            self.kind,
            &self.namespace,
            self.id,
            self.attachments,
            self.data.as_deref(),
        );
    }
}

/// The run of ASCII digits starting at `pos` (empty if there is none).
fn digits_at(bytes: &[u8], pos: usize) -> &[u8] {
    let rest = bytes.get(pos..).unwrap_or_default();
    let len = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    rest.get(..len).unwrap_or_default()
}

/// Parse ASCII digits as a `u64`, or `None` on overflow.
fn parse_u64(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d.wrapping_sub(b'0')))
    })
}

/// Check the data's shape against the packet type; return the event name for events.
fn check_shape(kind: PacketType, shape: Option<Shape>) -> Result<Option<String>, DecodeError> {
    match (kind, shape) {
        (PacketType::Connect, None | Some(Shape::Object))
        | (PacketType::Disconnect, None)
        | (PacketType::Ack | PacketType::BinaryAck, Some(Shape::Array(_)))
        | (PacketType::ConnectError, Some(Shape::Object | Shape::String)) => Ok(None),
        (PacketType::Event | PacketType::BinaryEvent, Some(Shape::Array(First::String(name)))) => Ok(Some(name)),
        (PacketType::Event | PacketType::BinaryEvent, Some(Shape::Array(_))) => Err(DecodeError::BadEventName),
        (PacketType::Disconnect, Some(_)) => Err(DecodeError::UnexpectedData(kind)),
        (_, None) => Err(DecodeError::MissingData(kind)),
        (_, Some(_)) => Err(DecodeError::BadDataShape(kind)),
    }
}

/// The kind of a JSON value, as far as packet validation cares.
enum Shape {
    Object,
    Array(First),
    String,
    Scalar,
}

/// The first element of a JSON array.
enum First {
    Missing,
    /// A string; its text is kept only when it was asked for, else it is empty.
    String(String),
    Other,
}

/// Validate `json` as one JSON value and report its shape, in one pass and without building the value.
fn parse_shape(json: &str, keep_first_string: bool) -> Result<Shape, DecodeError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let shape = ShapeSeed { keep_first_string }
        .deserialize(&mut de)
        .map_err(|_| DecodeError::InvalidJson)?;
    de.end().map_err(|_| DecodeError::InvalidJson)?;
    Ok(shape)
}

/// Reads any JSON value, skipping everything but its kind and (for arrays) its first element.
#[derive(Clone, Copy)]
struct ShapeSeed {
    keep_first_string: bool,
}

impl<'de> DeserializeSeed<'de> for ShapeSeed {
    type Value = Shape;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ShapeSeed {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::String)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Shape::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        let first = seq
            .next_element_seed(FirstSeed {
                keep_string: self.keep_first_string,
            })?
            .unwrap_or(First::Missing);
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Shape::Array(first))
    }
}

/// Reads the first element of an array: a string (kept if asked) or anything else (skipped).
#[derive(Clone, Copy)]
struct FirstSeed {
    keep_string: bool,
}

impl<'de> DeserializeSeed<'de> for FirstSeed {
    type Value = First;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<First, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FirstSeed {
    type Value = First;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<First, E> {
        Ok(First::Other)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<First, E> {
        Ok(First::Other)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<First, E> {
        Ok(First::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<First, E> {
        Ok(First::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<First, E> {
        Ok(First::Other)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<First, E> {
        Ok(First::String(if self.keep_string {
            v.to_owned()
        } else {
            String::new()
        }))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<First, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(First::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<First, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(First::Other)
    }
}

/// Encode a packet into `out`, without the Engine.IO `4` prefix.
///
/// `data` is already-serialised JSON and is copied verbatim. The default namespace `"/"` (or an empty one) is
/// omitted; any other is written followed by `,`, and must start with `/` and contain no `,`. `attachments` is
/// written as `<n>-` for binary types and ignored for the others.
pub fn encode(
    out: &mut Vec<u8>,
    kind: PacketType,
    namespace: &str,
    id: Option<u64>,
    attachments: usize,
    data: Option<&[u8]>,
) {
    out.reserve(24 + namespace.len() + data.map_or(0, <[u8]>::len));
    out.push(kind.digit());
    if kind.is_binary() {
        push_decimal(out, u64::try_from(attachments).unwrap_or(u64::MAX));
        out.push(b'-');
    }
    // spec: "the namespace is only included if it is different from the main namespace (`/`)".
    if !namespace.is_empty() && namespace != "/" {
        out.extend_from_slice(namespace.as_bytes());
        out.push(b',');
    }
    if let Some(id) = id {
        push_decimal(out, id);
    }
    if let Some(data) = data {
        out.extend_from_slice(data);
    }
}

/// Encode the server's answer to a successful namespace connection: `0/ns,{"sid":"..."}`.
pub fn encode_connect_ok(out: &mut Vec<u8>, namespace: &str, sid: &str) {
    let sid = serde_json::Value::from(sid).to_string();
    let mut data = Vec::with_capacity(sid.len() + 8);
    data.extend_from_slice(br#"{"sid":"#);
    data.extend_from_slice(sid.as_bytes());
    data.push(b'}');
    encode(out, PacketType::Connect, namespace, None, 0, Some(&data));
}

/// Encode a refused namespace connection: `4/ns,{"message":"...","data":...}`.
///
/// `message` is JSON-escaped here; `data` is already-serialised JSON, and the `data` member is left out when it
/// is `None`.
pub fn encode_connect_error(out: &mut Vec<u8>, namespace: &str, message: &str, data: Option<&[u8]>) {
    let message = serde_json::Value::from(message).to_string();
    let mut body = Vec::with_capacity(message.len() + data.map_or(0, <[u8]>::len) + 20);
    body.extend_from_slice(br#"{"message":"#);
    body.extend_from_slice(message.as_bytes());
    if let Some(data) = data {
        body.extend_from_slice(br#","data":"#);
        body.extend_from_slice(data);
    }
    body.push(b'}');
    encode(out, PacketType::ConnectError, namespace, None, 0, Some(&body));
}

/// Append the decimal digits of `n` to `out`.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let start = out.len();
    loop {
        out.push(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if let Some(digits) = out.get_mut(start..) {
        digits.reverse();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

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
        let body = prop_oneof![
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
