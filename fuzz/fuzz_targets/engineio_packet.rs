//! Fuzz `Packet::decode_text` (WebSocket text frames): it must never panic, and a packet it accepts must survive
//! being encoded and decoded again.
#![no_main]

use _core::protocol::engineio::Packet;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::decode_text(Bytes::copy_from_slice(data)) else {
        return;
    };
    let mut out = Vec::new();
    packet.encode_text(&mut out);
    assert_eq!(Packet::decode_text(Bytes::from(out)), Ok(packet));
});
