//! Engine.IO v4 packets: the type digit, its payload, and the outbound [`Frame`].

use base64::Engine as _;
use bytes::Bytes;

/// Why an Engine.IO packet or polling payload was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A text frame or a polling segment had no bytes at all, not even a type digit.
    #[error("empty packet")]
    EmptyPacket,
    /// The first byte is not one of the type digits `0`..=`6`.
    #[error("bad packet type {0:#04x}")]
    BadPacketType(u8),
    /// A text packet is not valid UTF-8.
    #[error("invalid utf-8 in text packet")]
    InvalidUtf8,
    /// A `b`-prefixed polling segment is not valid standard base64.
    #[error("invalid base64 in binary packet")]
    InvalidBase64,
    /// A polling body holds more packets than the receiver accepts in one body.
    #[error("more than {limit} packets in one payload")]
    TooManyPackets {
        /// The largest number of packets accepted in one body.
        limit: usize,
    },
}

/// Standard base64 alphabet with `=` padding on output. Input is accepted with or without padding.
///
/// compat: some clients strip the padding of binary polling segments; decoding still has to reject any other
/// deviation from the standard alphabet.
pub(crate) const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

// spec: packet type ids of Engine.IO v4 ("open" 0 .. "noop" 6).
const OPEN: u8 = b'0';
const CLOSE: u8 = b'1';
const PING: u8 = b'2';
const PONG: u8 = b'3';
const MESSAGE: u8 = b'4';
const UPGRADE: u8 = b'5';
const NOOP: u8 = b'6';
/// spec: prefix of a base64-encoded binary packet inside a polling payload.
pub(crate) const BINARY_PREFIX: u8 = b'b';

/// One Engine.IO v4 packet as it travels in a WebSocket frame or a polling payload segment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet {
    /// Handshake sent by the server; holds the JSON text of the handshake data.
    Open(Bytes),
    /// Ask the other side to close the session.
    Close,
    /// Heartbeat or upgrade probe; holds its payload, such as `b"probe"` or nothing.
    Ping(Bytes),
    /// Answer to a ping, echoing its payload.
    Pong(Bytes),
    /// A text message: UTF-8 payload without the leading `4`.
    Message(Bytes),
    /// A binary message: the raw bytes (a binary WebSocket frame, or a decoded `b` polling segment).
    Binary(Bytes),
    /// Sent by the client on the new transport to finish an upgrade.
    Upgrade,
    /// Does nothing; used to release a pending polling request during an upgrade.
    Noop,
}

impl Packet {
    /// Decode a text frame or polling segment: a type digit `0`..=`6` followed by UTF-8 text.
    ///
    /// `b`-prefixed base64 is not accepted here: it exists only inside polling payloads (see
    /// [`super::payload::decode_payload`]). Payloads are kept as slices of `frame`, never copied.
    pub fn decode_text(frame: Bytes) -> Result<Packet, DecodeError> {
        let &kind = frame.first().ok_or(DecodeError::EmptyPacket)?;
        if !(OPEN..=NOOP).contains(&kind) {
            return Err(DecodeError::BadPacketType(kind));
        }
        // spec: "The character encoding is UTF-8 for plain text".
        if std::str::from_utf8(&frame).is_err() {
            return Err(DecodeError::InvalidUtf8);
        }
        let data = frame.slice(1..);
        Ok(match kind {
            OPEN => Packet::Open(data),
            PING => Packet::Ping(data),
            PONG => Packet::Pong(data),
            MESSAGE => Packet::Message(data),
            // compat: the reference parsers ignore data after close, upgrade and noop; so do we.
            CLOSE => Packet::Close,
            UPGRADE => Packet::Upgrade,
            _ => Packet::Noop,
        })
    }

    /// Wrap a binary WebSocket frame; every binary frame is a binary message.
    pub fn decode_binary(frame: Bytes) -> Packet {
        Packet::Binary(frame)
    }

    /// Append this packet in text form (type digit followed by its data) to `out`.
    ///
    /// [`Packet::Binary`] is written in polling form, `b` followed by standard base64.
    pub fn encode_text(&self, out: &mut Vec<u8>) {
        match self {
            Packet::Open(data) => push_text(out, OPEN, data),
            Packet::Close => out.push(CLOSE),
            Packet::Ping(data) => push_text(out, PING, data),
            Packet::Pong(data) => push_text(out, PONG, data),
            Packet::Message(data) => push_text(out, MESSAGE, data),
            Packet::Binary(data) => push_base64(out, data),
            Packet::Upgrade => out.push(UPGRADE),
            Packet::Noop => out.push(NOOP),
        }
    }

    /// Turn this packet into the frame a WebSocket sends: [`Frame::Binary`] for binary messages, else text.
    pub fn into_frame(self) -> Frame {
        match self {
            Packet::Binary(data) => Frame::Binary(data),
            other => {
                let mut out = Vec::with_capacity(1 + other.data_len());
                other.encode_text(&mut out);
                Frame::Text(Bytes::from(out))
            }
        }
    }

    /// Length of the payload carried by the packet, without the type digit.
    fn data_len(&self) -> usize {
        match self {
            Packet::Open(d) | Packet::Ping(d) | Packet::Pong(d) | Packet::Message(d) | Packet::Binary(d) => d.len(),
            Packet::Close | Packet::Upgrade | Packet::Noop => 0,
        }
    }
}

fn push_text(out: &mut Vec<u8>, kind: u8, data: &[u8]) {
    out.reserve(1 + data.len());
    out.push(kind);
    out.extend_from_slice(data);
}

/// Append `b` and the standard base64 of `data` to `out`.
pub(crate) fn push_base64(out: &mut Vec<u8>, data: &[u8]) {
    let mut encoded = String::new();
    BASE64.encode_string(data, &mut encoded);
    out.reserve(1 + encoded.len());
    out.push(BINARY_PREFIX);
    out.extend_from_slice(encoded.as_bytes());
}

/// An outbound frame as queued for the peer (by either side).
///
/// `Text` holds a complete Engine.IO text packet, type digit included (`b"42[\"a\"]"`, `b"2"`); `Binary` holds
/// the raw bytes of a binary message. Polling encodes `Binary` as `b` + base64 (see
/// [`super::payload::encode_payload`]); a WebSocket sends it as a binary frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete Engine.IO text packet, type digit included.
    Text(Bytes),
    /// The raw bytes of a binary message.
    Binary(Bytes),
}

impl Frame {
    /// Number of bytes held (for `Text` the type digit included; for `Binary` before any base64).
    pub fn len(&self) -> usize {
        match self {
            Frame::Text(b) | Frame::Binary(b) => b.len(),
        }
    }

    /// Whether the frame holds no bytes at all (never true for frames built by the constructors here).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frame's bytes as they go into a WebSocket frame.
    pub fn as_bytes(&self) -> &Bytes {
        match self {
            Frame::Text(b) | Frame::Binary(b) => b,
        }
    }

    /// An Engine.IO message carrying an encoded Socket.IO packet: `4` followed by `sio_text`.
    pub fn message(sio_text: &[u8]) -> Frame {
        Frame::Text(text_frame(MESSAGE, sio_text))
    }

    /// A binary message (such as a Socket.IO attachment).
    pub fn binary(data: Bytes) -> Frame {
        Frame::Binary(data)
    }

    /// The `open` packet: `0` followed by the JSON handshake data.
    pub fn open(json: &[u8]) -> Frame {
        Frame::Text(text_frame(OPEN, json))
    }

    /// The `close` packet, `1`.
    pub fn close() -> Frame {
        Frame::Text(Bytes::from_static(b"1"))
    }

    /// A `ping` packet with no payload, `2`, as heartbeats send it.
    pub fn ping() -> Frame {
        Frame::Text(Bytes::from_static(b"2"))
    }

    /// A `pong` packet echoing `payload`, e.g. `3probe` during an upgrade.
    pub fn pong(payload: &[u8]) -> Frame {
        if payload.is_empty() {
            Frame::Text(Bytes::from_static(b"3"))
        } else {
            Frame::Text(text_frame(PONG, payload))
        }
    }

    /// spec: `3probe`, the answer to the upgrade probe `2probe`.
    pub fn pong_probe() -> Frame {
        Frame::Text(Bytes::from_static(b"3probe"))
    }

    /// The `noop` packet, `6` (spec: it releases a pending polling request during an upgrade).
    pub fn noop() -> Frame {
        Frame::Text(Bytes::from_static(b"6"))
    }
}

impl From<Packet> for Frame {
    fn from(packet: Packet) -> Frame {
        packet.into_frame()
    }
}

fn text_frame(kind: u8, data: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(1 + data.len());
    push_text(&mut out, kind, data);
    Bytes::from(out)
}
