//! Fuzz the binary-packet path: decode a header, check its placeholders, and collect its attachments. The first
//! input byte picks an attachment count for a direct `validate_placeholders` call on the rest.
#![no_main]

use _core::protocol::socketio::{DecodeLimits, Packet, PartialBinary, validate_placeholders};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&count, json)) = data.split_first() {
        let _ = validate_placeholders(json, usize::from(count % 16));
    }

    let Ok(packet) = Packet::decode(Bytes::copy_from_slice(data), &DecodeLimits::default()) else {
        return;
    };
    if !packet.kind.is_binary() {
        return;
    }
    if let Some(json) = packet.data.as_deref() {
        let _ = validate_placeholders(json, packet.attachments);
    }
    let expected = packet.attachments;
    let mut partial = PartialBinary::new(packet);
    for i in 0..=expected {
        partial.push(Bytes::from(vec![0; i]));
    }
    assert!(partial.is_complete());
    assert_eq!(partial.into_parts().1.len(), expected);
});
