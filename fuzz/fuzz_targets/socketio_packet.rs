//! Fuzz `Packet::decode` (Socket.IO message text): it must never panic, and a packet it accepts must survive
//! being encoded and decoded again.
#![no_main]

use _core::protocol::socketio::{DecodeLimits, Packet};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits::default();
    let Ok(packet) = Packet::decode(Bytes::copy_from_slice(data), &limits) else {
        return;
    };
    assert!(packet.attachments <= limits.max_attachments);
    let mut out = Vec::new();
    packet.encode(&mut out);
    assert_eq!(Packet::decode(Bytes::from(out), &limits), Ok(packet));
});
