//! Fuzz python-socketio's pub/sub messages as another host (or anyone who can publish on the channel) sends them:
//! the envelope and the full decode never panic, and a decoded emit's data is what the engine would frame.
#![no_main]

use _core::protocol::pubsub::{EmitOut, Message, decode, encode_emit, envelope};
use _core::protocol::socketio::validate_placeholders;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = envelope(data);
    let Ok(Message::Emit(emit)) = decode(data) else {
        return;
    };
    if validate_placeholders(&emit.data, emit.attachments.len()).is_err() {
        return;
    }
    // Valid framed data re-encodes (as this host would publish it) without panicking.
    let _ = encode_emit(&EmitOut {
        host_id: "fuzz",
        namespace: &emit.namespace,
        data: &emit.data,
        attachments: &emit.attachments,
        rooms: None,
        skip: &[],
    });
});
