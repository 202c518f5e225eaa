//! Fuzz the client's protocol state (`ClientEngine`): what a server sends (text frames, binary frames, polling
//! bodies, starting with an open packet or not), interleaved with emits, closes and time passing. It must never
//! panic, must report the end of the session once (`Closed` or `Failed`) and nothing after it, and must refuse
//! emits once its queue is over the bound.
#![no_main]

use std::time::{Duration, Instant};

use _core::client::engine::Limits;
use _core::client::{ClientEngine, ClientEvent};
use bytes::Bytes;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;

const LIMITS: Limits = Limits {
    max_queued_bytes: 512,
    max_payload_packets: 8,
    max_attachments: 2,
};

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let namespaces = vec![
        ("/".to_owned(), None),
        ("/a".to_owned(), Some(Bytes::from_static(b"{}"))),
    ];
    let mut client = ClientEngine::new(namespaces, LIMITS);
    let mut now = Instant::now();
    match u.choose_index(3)? {
        // A well-formed open packet first, so the fuzzer starts past the handshake.
        0 => client.on_text(
            Bytes::from_static(br#"0{"sid":"s","upgrades":["websocket"],"pingInterval":100,"pingTimeout":50}"#),
            now,
        ),
        // One whose numbers the fuzzer picks.
        1 => {
            let (interval, timeout, payload): (u64, u64, u64) = u.arbitrary()?;
            let open = format!(
                r#"0{{"sid":"s","upgrades":[],"pingInterval":{interval},"pingTimeout":{timeout},"maxPayload":{payload}}}"#
            );
            client.on_text(Bytes::from(open), now);
        }
        _ => {}
    }
    let mut ended = false;
    while !u.is_empty() {
        match u.choose_index(8)? {
            0 | 1 => client.on_text(Bytes::copy_from_slice(u.arbitrary::<&[u8]>()?), now),
            2 => client.on_binary(Bytes::copy_from_slice(u.arbitrary::<&[u8]>()?), now),
            3 => client.on_payload(Bytes::copy_from_slice(u.arbitrary::<&[u8]>()?), now),
            4 => {
                now += Duration::from_millis(u64::from(u.arbitrary::<u16>()?));
                client.on_tick(now);
            }
            5 => {
                let queued: usize = client.take_frames_within(8, 256).iter().map(|f| f.len()).sum();
                assert!(queued > 0 || !client.has_frames());
            }
            6 => {
                let namespace = if u.arbitrary()? { "/" } else { "/a" };
                let data: &[u8] = u.arbitrary()?;
                let attachments = vec![Bytes::from_static(b"\x01"); u.choose_index(3)?];
                let joined = client.is_joined(namespace);
                let result = client.emit(namespace, data, attachments, u.arbitrary()?);
                assert!(result.is_err() || (joined && !client.is_finished()));
            }
            _ => {
                if u.arbitrary()? {
                    client.close();
                } else {
                    client.disconnect_namespace("/a");
                }
            }
        }
        for event in client.take_events() {
            assert!(!ended, "an event after the session ended: {event:?}");
            ended = matches!(event, ClientEvent::Closed { .. } | ClientEvent::Failed { .. });
        }
        assert_eq!(
            ended,
            client.is_finished(),
            "the end of the session was not reported once"
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
