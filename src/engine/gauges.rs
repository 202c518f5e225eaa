//! What the engine's state says for a metrics scrape: sessions by transport, sockets and rooms by namespace, and
//! how much waits in the outboxes. Read at scrape time, under the engine's lock (one pass over the sessions and
//! sockets), rather than counted on every message.

use std::collections::HashMap;

use super::Engine;
use super::adapter::Adapter;
use super::event::Transport;
use crate::metrics::Gauges;

impl<A: Adapter> Engine<A> {
    /// The gauges now.
    pub fn gauges(&self) -> Gauges {
        let mut gauges = Gauges::default();
        for session in self.sessions.values() {
            match session.transport {
                Transport::Polling => gauges.sessions_polling += 1,
                Transport::WebSocket => gauges.sessions_websocket += 1,
            }
            let (frames, bytes) = session.outbox.depth();
            gauges.outbox_frames += frames as u64;
            gauges.outbox_bytes += bytes as u64;
            gauges.outbox_max_frames = gauges.outbox_max_frames.max(frames as u64);
        }
        let mut sockets: HashMap<&str, u64> = HashMap::new();
        for socket in self.sockets.values() {
            *sockets.entry(socket.namespace()).or_default() += 1;
        }
        gauges.sockets = sockets.into_iter().map(|(ns, n)| (ns.to_owned(), n)).collect();
        gauges.sockets.sort_unstable();
        gauges.rooms = self
            .adapter
            .room_counts()
            .into_iter()
            .map(|(ns, n)| (ns.to_string(), n as u64))
            .collect();
        gauges.rooms.sort_unstable();
        gauges
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Instant;

    use bytes::Bytes;

    use super::*;
    use crate::engine::{EngineConfig, Event, EventSink};
    use crate::metrics::{Counter, Reject};

    struct Discard;

    impl EventSink for Discard {
        fn push(&self, _: Event) {}
    }

    #[test]
    fn gauges_read_the_state_and_counters_follow_the_traffic() {
        let mut engine = Engine::new(EngineConfig::default(), Arc::new(Discard));
        engine.metrics().enable();
        let now = Instant::now();
        let ws = engine.open(now, Transport::WebSocket, None).unwrap();
        let polling = engine.open(now, Transport::Polling, None).unwrap();
        engine.on_ws_text(now, ws.eio_sid, Bytes::from_static(b"40")).unwrap();
        engine
            .on_ws_text(now, ws.eio_sid, Bytes::from_static(b"42[\"a\"]"))
            .unwrap();
        let gauges = engine.gauges();
        assert_eq!((gauges.sessions_polling, gauges.sessions_websocket), (1, 1));
        assert_eq!(gauges.sockets, vec![("/".to_owned(), 1)]);
        assert!(gauges.rooms.iter().all(|(_, n)| *n == 0));
        let counts = engine.metrics().counts();
        assert_eq!(counts.get(Counter::OpenedWebSocket), 1);
        assert_eq!(counts.get(Counter::OpenedPolling), 1);
        assert_eq!(counts.get(Counter::PacketsIn), 2);
        assert_eq!(counts.get(Counter::BytesIn), 2 + 7);
        assert_eq!(counts.get(Counter::EventsIn), 1);
        assert_eq!(counts.get(Counter::PacketsOut), 2); // the two open packets

        // A packet that does not decode closes its session and is counted once.
        assert!(
            engine
                .on_ws_text(now, polling.eio_sid, Bytes::from_static(b"z"))
                .is_err()
        );
        let counts = engine.metrics().counts();
        let malformed = counts.rejected().find(|(r, _)| *r == Reject::MalformedPacket);
        assert_eq!(malformed, Some((Reject::MalformedPacket, 1)));
        assert_eq!(engine.gauges().sessions_polling, 0);
    }
}
