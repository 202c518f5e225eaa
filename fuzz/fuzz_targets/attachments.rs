//! Fuzz the binary-packet path: decode a header, check its placeholders, and collect its attachments. The first
//! input byte picks an attachment count for a direct `validate_placeholders` call on the rest. Nothing may panic,
//! placeholders valid for `n` attachments stay valid for `n + 1`, and reassembly gives back the header with exactly
//! its attachments, in order.
#![no_main]

use _core::protocol::socketio::{DecodeLimits, Packet, PartialBinary, validate_placeholders};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&count, json)) = data.split_first() {
        // More attachments never make valid placeholders invalid.
        let count = usize::from(count % 16);
        if validate_placeholders(json, count).is_ok() {
            assert!(validate_placeholders(json, count + 1).is_ok());
        }
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
    // Reassembly: the header comes back unchanged with exactly the announced attachments, in order; an extra
    // frame pushed after completion is not taken.
    let expected = packet.attachments;
    let mut partial = PartialBinary::new(packet.clone());
    for i in 0..=expected {
        assert_eq!(partial.is_complete(), i == expected);
        partial.push(Bytes::from(vec![0; i]));
    }
    let (header, attachments) = partial.into_parts();
    assert_eq!(header, packet);
    assert_eq!(
        attachments.iter().map(Bytes::len).collect::<Vec<_>>(),
        (0..expected).collect::<Vec<_>>()
    );
});
