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
    /// A msgpack packet is not well-formed msgpack (truncated, a bad marker, trailing bytes, too deep).
    #[error("invalid msgpack")]
    InvalidMsgpack,
    /// A msgpack packet is not a map.
    #[error("msgpack packet is not a map")]
    NotAMsgpackMap,
    /// A msgpack packet's field is missing or of the wrong type (`type`, `nsp`, `id`).
    #[error("msgpack packet field {0} missing or mistyped")]
    BadMsgpackField(&'static str),
    /// A msgpack value that has no Python counterpart (an unknown extension type, an unhashable map key).
    #[error("unsupported msgpack value: {0}")]
    UnsupportedMsgpack(&'static str),
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
