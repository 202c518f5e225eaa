//! HTTP long-polling bodies: several Engine.IO packets joined by a record separator.

use bytes::Bytes;

use super::packet::{BASE64, BINARY_PREFIX, DecodeError, Frame, Packet, push_base64};

/// spec: packets are separated by the record separator 0x1e; binary packets are 'b' + base64.
pub const SEPARATOR: u8 = 0x1e;

/// Decode a polling body (a POST body on a server, a GET response on a client) into its packets, in order.
///
/// Text segments are decoded by [`Packet::decode_text`] and keep pointing into `body`; `b` segments are decoded
/// from base64 into [`Packet::Binary`]. A body with more than `max_packets` segments is refused with
/// [`DecodeError::TooManyPackets`] before the extra segment is looked at. An empty segment (an empty body, two
/// separators in a row, or a trailing separator) is [`DecodeError::EmptyPacket`].
pub fn decode_payload(body: Bytes, max_packets: usize) -> Result<Vec<Packet>, DecodeError> {
    let mut packets = Vec::new();
    let mut start = 0;
    loop {
        let rest = body.get(start..).unwrap_or_default();
        let end = rest
            .iter()
            .position(|&b| b == SEPARATOR)
            .map_or(body.len(), |offset| start + offset);
        if packets.len() >= max_packets {
            return Err(DecodeError::TooManyPackets { limit: max_packets });
        }
        packets.push(decode_segment(body.slice(start..end))?);
        if end >= body.len() {
            return Ok(packets);
        }
        start = end + 1;
    }
}

/// Decode one segment of a polling body: a text packet, or `b` + base64 for a binary message.
fn decode_segment(segment: Bytes) -> Result<Packet, DecodeError> {
    match segment.split_first() {
        Some((&BINARY_PREFIX, encoded)) => {
            let data = base64::Engine::decode(&BASE64, encoded).map_err(|_| DecodeError::InvalidBase64)?;
            Ok(Packet::Binary(Bytes::from(data)))
        }
        _ => Packet::decode_text(segment),
    }
}

/// Encode queued frames into one polling body, joined by [`SEPARATOR`].
///
/// `Text` frames are copied verbatim and `Binary` frames become `b` + standard base64. No frames give an empty
/// body; the caller decides whether that is worth sending.
pub fn encode_payload<'a>(frames: impl IntoIterator<Item = &'a Frame>) -> Bytes {
    let mut out = Vec::new();
    for (i, frame) in frames.into_iter().enumerate() {
        if i > 0 {
            out.push(SEPARATOR);
        }
        match frame {
            Frame::Text(text) => out.extend_from_slice(text),
            Frame::Binary(data) => push_base64(&mut out, data),
        }
    }
    Bytes::from(out)
}
