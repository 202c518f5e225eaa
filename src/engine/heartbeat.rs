//! Server-driven heartbeats (Engine.IO v4) as a deadline queue.
//!
//! spec: in Engine.IO v4 the server sends a ping every `pingInterval` and the client must answer with a pong
//! within `pingTimeout`, or the session is closed. Each session holds one pending deadline at a time: either
//! "send the next ping" or "the pong is overdue". The driver runs one timer for the whole engine: it asks for
//! [`Heartbeats::next_deadline`] and calls the engine's `on_tick(now)` when it passes. Stale entries (the session
//! answered, or closed) are skipped by comparing a per-session generation number.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

use super::sid::EioSid;

/// What a session is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Beat {
    /// The next ping goes out at the deadline.
    SendPing,
    /// A ping went out; the session closes if no pong has come by the deadline.
    AwaitPong,
}

/// A session's heartbeat position: what it waits for and the generation of its live deadline.
#[derive(Clone, Copy, Debug)]
pub struct HeartbeatState {
    /// What the live deadline means.
    pub beat: Beat,
    /// Bumped on every reschedule; a queued deadline with an older generation is stale.
    pub generation: u64,
}

/// All sessions' deadlines, earliest first.
#[derive(Default)]
pub struct Heartbeats {
    queue: BinaryHeap<Reverse<(Instant, u64, EioSid)>>,
    next_generation: u64,
}

impl Heartbeats {
    /// Schedule `beat` for a session at `at`, replacing whatever it waited for before.
    pub fn schedule(&mut self, sid: EioSid, beat: Beat, at: Instant) -> HeartbeatState {
        self.next_generation += 1;
        let generation = self.next_generation;
        self.queue.push(Reverse((at, generation, sid)));
        HeartbeatState { beat, generation }
    }

    /// The earliest deadline, stale or not (a stale one only costs a wasted wake-up).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    /// Remove and return the deadlines that have passed, as (session, generation).
    pub fn pop_due(&mut self, now: Instant) -> Vec<(EioSid, u64)> {
        let mut due = Vec::new();
        while let Some(Reverse((at, generation, sid))) = self.queue.peek().copied() {
            if at > now {
                break;
            }
            self.queue.pop();
            due.push((sid, generation));
        }
        due
    }

    /// Deadlines queued, stale ones included.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether no deadline is queued.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn pops_only_due_deadlines_in_order() {
        let mut hb = Heartbeats::default();
        let t0 = Instant::now();
        let a = EioSid::random();
        let b = EioSid::random();
        let sa = hb.schedule(a, Beat::SendPing, t0 + Duration::from_millis(20));
        let sb = hb.schedule(b, Beat::SendPing, t0 + Duration::from_millis(10));
        assert_eq!(hb.next_deadline(), Some(t0 + Duration::from_millis(10)));
        assert!(hb.pop_due(t0).is_empty());
        assert_eq!(hb.pop_due(t0 + Duration::from_millis(15)), vec![(b, sb.generation)]);
        assert_eq!(hb.pop_due(t0 + Duration::from_millis(25)), vec![(a, sa.generation)]);
        assert!(hb.is_empty());
    }
}
