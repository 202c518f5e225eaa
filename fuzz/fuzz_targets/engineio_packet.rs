//! Fuzz `Packet::decode_text` (WebSocket text frames): it must never panic, a packet it accepts must survive being
//! encoded and decoded again, and the WebSocket frame it makes must carry that same encoded text. A binary frame
//! is always a binary message, carried as it is.
#![no_main]

use _core::protocol::engineio::{Frame, Packet};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let binary = Packet::decode_binary(Bytes::copy_from_slice(data));
    assert_eq!(binary.into_frame(), Frame::Binary(Bytes::copy_from_slice(data)));

    let Ok(packet) = Packet::decode_text(Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut out = Vec::new();
    packet.encode_text(&mut out);
    assert_eq!(Packet::decode_text(Bytes::from(out.clone())), Ok(packet.clone()));
    assert_eq!(packet.into_frame(), Frame::Text(Bytes::from(out)));
});
