//! Fuzz `decode_payload` (HTTP long-polling bodies): it must never panic, must respect its packet limit, and the
//! packets it accepts must survive `encode_payload` and a second decode.
#![no_main]

use _core::protocol::engineio::{Frame, decode_payload, encode_payload};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

const MAX_PACKETS: usize = 16;

fuzz_target!(|data: &[u8]| {
    let Ok(packets) = decode_payload(Bytes::copy_from_slice(data), MAX_PACKETS) else {
        return;
    };
    assert!(!packets.is_empty() && packets.len() <= MAX_PACKETS);
    let frames: Vec<Frame> = packets.iter().cloned().map(Frame::from).collect();
    let body = encode_payload(&frames);
    assert_eq!(decode_payload(body, MAX_PACKETS), Ok(packets));
});
