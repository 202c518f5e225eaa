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
    /// A polling body holds more packets than the server accepts in one request.
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

/// An outbound frame as queued for a client.
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

    /// A heartbeat `ping` packet with no payload, `2`.
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

    /// spec: the server answers the upgrade probe `2probe` with `3probe`.
    pub fn pong_probe() -> Frame {
        Frame::Text(Bytes::from_static(b"3probe"))
    }

    /// The `noop` packet, `6`, sent to a pending polling request during an upgrade.
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_spec_examples() {
        let cases: &[(&[u8], Packet)] = &[
            (
                br#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#,
                Packet::Open(Bytes::from_static(
                    br#"{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000}"#,
                )),
            ),
            (b"1", Packet::Close),
            (b"2", Packet::Ping(Bytes::new())),
            (b"2probe", Packet::Ping(Bytes::from_static(b"probe"))),
            (b"3", Packet::Pong(Bytes::new())),
            (b"3probe", Packet::Pong(Bytes::from_static(b"probe"))),
            (b"4hello", Packet::Message(Bytes::from_static(b"hello"))),
            (b"4", Packet::Message(Bytes::new())),
            (
                "4h\u{e9}llo \u{20ac}".as_bytes(),
                Packet::Message(Bytes::from("h\u{e9}llo \u{20ac}".as_bytes())),
            ),
            (
                br#"42["hey","Jude"]"#,
                Packet::Message(Bytes::from_static(br#"2["hey","Jude"]"#)),
            ),
            (b"5", Packet::Upgrade),
            (b"6", Packet::Noop),
            // compat: trailing data after close, upgrade and noop is ignored.
            (b"1x", Packet::Close),
            (b"5x", Packet::Upgrade),
            (b"6x", Packet::Noop),
        ];
        for (input, expected) in cases {
            let got = Packet::decode_text(Bytes::copy_from_slice(input));
            assert_eq!(got.as_ref(), Ok(expected), "input {:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn rejects_malformed_text() {
        let cases: &[(&[u8], DecodeError)] = &[
            (b"", DecodeError::EmptyPacket),
            (b"7", DecodeError::BadPacketType(b'7')),
            (b"/", DecodeError::BadPacketType(b'/')),
            (b"x", DecodeError::BadPacketType(b'x')),
            // spec: base64 binary is a polling-only form.
            (b"bAQIDBA==", DecodeError::BadPacketType(b'b')),
            (b"4\xff", DecodeError::InvalidUtf8),
            (b"4\xe2\x82", DecodeError::InvalidUtf8),
            (b"2\xc0\xaf", DecodeError::InvalidUtf8),
        ];
        for (input, expected) in cases {
            let got = Packet::decode_text(Bytes::copy_from_slice(input));
            assert_eq!(got, Err(expected.clone()), "input {input:?}");
        }
    }

    #[test]
    fn encodes_text() {
        let cases: &[(Packet, &[u8])] = &[
            (Packet::Open(Bytes::from_static(b"{}")), b"0{}"),
            (Packet::Close, b"1"),
            (Packet::Ping(Bytes::new()), b"2"),
            (Packet::Ping(Bytes::from_static(b"probe")), b"2probe"),
            (Packet::Pong(Bytes::from_static(b"probe")), b"3probe"),
            (Packet::Message(Bytes::from_static(b"hello")), b"4hello"),
            // spec: buffer <01 02 03 04> is "bAQIDBA==".
            (Packet::Binary(Bytes::from_static(&[1, 2, 3, 4])), b"bAQIDBA=="),
            (Packet::Binary(Bytes::new()), b"b"),
            (Packet::Upgrade, b"5"),
            (Packet::Noop, b"6"),
        ];
        for (packet, expected) in cases {
            let mut out = Vec::new();
            packet.encode_text(&mut out);
            assert_eq!(out, *expected, "packet {packet:?}");
        }
    }

    #[test]
    fn frame_constructors() {
        let cases: &[(Frame, Frame)] = &[
            (
                Frame::message(br#"2["a"]"#),
                Frame::Text(Bytes::from_static(br#"42["a"]"#)),
            ),
            (Frame::open(b"{}"), Frame::Text(Bytes::from_static(b"0{}"))),
            (Frame::close(), Frame::Text(Bytes::from_static(b"1"))),
            (Frame::ping(), Frame::Text(Bytes::from_static(b"2"))),
            (Frame::pong(b""), Frame::Text(Bytes::from_static(b"3"))),
            (Frame::pong(b"probe"), Frame::Text(Bytes::from_static(b"3probe"))),
            (Frame::pong_probe(), Frame::Text(Bytes::from_static(b"3probe"))),
            (Frame::noop(), Frame::Text(Bytes::from_static(b"6"))),
            (
                Frame::binary(Bytes::from_static(&[1, 2])),
                Frame::Binary(Bytes::from_static(&[1, 2])),
            ),
            (Packet::Noop.into(), Frame::Text(Bytes::from_static(b"6"))),
            (
                Packet::Binary(Bytes::from_static(&[9])).into(),
                Frame::Binary(Bytes::from_static(&[9])),
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got, expected);
        }
        assert_eq!(Frame::message(b"2[]").len(), 4);
        assert!(!Frame::ping().is_empty());
        assert!(Frame::Binary(Bytes::new()).is_empty());
        assert_eq!(Frame::ping().as_bytes(), &Bytes::from_static(b"2"));
    }

    #[test]
    fn decoding_does_not_copy() {
        let frame = Bytes::from_static(b"4hello");
        let Ok(Packet::Message(data)) = Packet::decode_text(frame.clone()) else {
            panic!("not a message");
        };
        assert_eq!(data.as_ptr(), frame.get(1..).unwrap().as_ptr());
    }

    /// Packets whose text form is decodable by [`Packet::decode_text`] (everything but `Binary`).
    fn text_packet() -> impl Strategy<Value = Packet> {
        let text = || any::<String>().prop_map(Bytes::from);
        prop_oneof![
            text().prop_map(Packet::Open),
            Just(Packet::Close),
            text().prop_map(Packet::Ping),
            text().prop_map(Packet::Pong),
            text().prop_map(Packet::Message),
            Just(Packet::Upgrade),
            Just(Packet::Noop),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn decode_text_never_panics(input in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = Packet::decode_text(Bytes::from(input));
        }

        #[test]
        fn decode_text_never_panics_on_typed_input(kind in 0u8..10, rest in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut input = vec![b'0' + kind];
            input.extend(rest);
            let _ = Packet::decode_text(Bytes::from(input));
        }

        #[test]
        fn text_round_trip(packet in text_packet()) {
            let mut out = Vec::new();
            packet.encode_text(&mut out);
            prop_assert_eq!(Packet::decode_text(Bytes::from(out)), Ok(packet));
        }
    }
}
