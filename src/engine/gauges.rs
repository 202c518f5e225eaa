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
