//! Fuzz `msgpack::decode` (a binary message under `serializer='msgpack'`): it must never panic, and a packet it
//! accepts must survive being encoded and decoded again.
#![no_main]

use _core::protocol::socketio::msgpack;
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = msgpack::decode(Bytes::copy_from_slice(data)) else {
        return;
    };
    assert_eq!(packet.attachments, 0);
    let mut out = Vec::new();
    msgpack::encode(&mut out, packet.kind, &packet.namespace, packet.id, packet.data.as_deref());
    assert_eq!(msgpack::decode(Bytes::from(out)), Ok(packet));
});
