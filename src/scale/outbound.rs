//! The outbound queue between the engine (which must never wait on the network) and the publishing task.
//!
//! Bounded: while the backend is down messages wait here, up to `capacity`; past it a new message is refused,
//! counted in [`Stats::dropped`] and reported (the first one of each outage as a warning, then one summary when
//! the outage ends). Writers that must know their message left (a write-only emitter in a script that exits next)
//! wait on its sequence number with [`Outbound::wait_sent`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};
use tokio::sync::Notify;

use super::Inbound;
use crate::engine::pubsub::Publish;

/// Counters a manager reports (`stats()` in Python).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Messages published.
    pub published: u64,
    /// Messages refused because the queue was full.
    pub dropped: u64,
    /// Messages waiting now.
    pub queued: u64,
}

struct State {
    queue: VecDeque<Vec<u8>>,
    /// Sequence number of the next message accepted (the first is 1).
    next_seq: u64,
    /// Every message up to this sequence number has been published.
    sent_seq: u64,
}

/// The queue, shared by the engine (writer), the publishing task (reader) and waiting emitters.
pub struct Outbound {
    state: Mutex<State>,
    sent: Condvar,
    /// Wakes the publishing task.
    pub(super) ready: Notify,
    capacity: usize,
    published: AtomicU64,
    dropped: AtomicU64,
    dropped_this_outage: AtomicU64,
    /// Whether the backend is unreachable now (shared by the publisher and the subscriber, so that one outage is
    /// reported once).
    down: AtomicBool,
    closed: AtomicBool,
    inbound: Arc<dyn Inbound>,
}

impl Outbound {
    /// An empty queue holding at most `capacity` messages; reports go to `inbound`.
    pub fn new(capacity: usize, inbound: Arc<dyn Inbound>) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                next_seq: 1,
                sent_seq: 0,
            }),
            sent: Condvar::new(),
            ready: Notify::new(),
            capacity: capacity.max(1),
            published: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            dropped_this_outage: AtomicU64::new(0),
            down: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            inbound,
        })
    }

    /// Queue a message; its sequence number, or `None` when the queue is full (counted and reported).
    pub fn push(&self, message: Vec<u8>) -> Option<u64> {
        if self.closed.load(Ordering::Relaxed) {
            return None; // the manager was closed: nothing is published any more, by request
        }
        let seq = {
            let mut state = self.state.lock();
            if state.queue.len() >= self.capacity {
                None
            } else {
                state.queue.push_back(message);
                let seq = state.next_seq;
                state.next_seq += 1;
                Some(seq)
            }
        };
        if seq.is_some() {
            self.ready.notify_one();
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            if self.dropped_this_outage.fetch_add(1, Ordering::Relaxed) == 0 {
                self.inbound.report(
                    true,
                    format!(
                        "pub/sub outbound queue full ({} messages): dropping messages until the backend is back",
                        self.capacity
                    ),
                );
            }
        }
        seq
    }

    /// Up to `max` messages from the front, left in the queue until [`Outbound::sent`] says they left.
    pub(super) fn peek(&self, max: usize) -> Vec<Vec<u8>> {
        self.state.lock().queue.iter().take(max).cloned().collect()
    }

    /// The first `count` messages were published.
    pub(super) fn sent(&self, count: usize) {
        let mut state = self.state.lock();
        let count = count.min(state.queue.len());
        state.queue.drain(..count);
        state.sent_seq += count as u64;
        drop(state);
        self.published.fetch_add(count as u64, Ordering::Relaxed);
        self.sent.notify_all();
    }

    /// Wait until message `seq` was published, at most `timeout`; whether it was.
    pub fn wait_sent(&self, seq: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock();
        while state.sent_seq < seq {
            if self.closed.load(Ordering::Relaxed) || self.sent.wait_until(&mut state, deadline).timed_out() {
                return state.sent_seq >= seq;
            }
        }
        true
    }

    /// The backend could not be reached: report it if this starts an outage.
    pub(super) fn went_down(&self, what: &str, err: &dyn std::fmt::Display) {
        if !self.down.swap(true, Ordering::Relaxed) {
            self.inbound.report(
                true,
                format!("pub/sub backend unreachable ({what}: {err}); delivering locally and retrying"),
            );
        }
    }

    /// The backend answered again: report the end of an outage, with what it cost.
    pub(super) fn came_back(&self) {
        if self.down.swap(false, Ordering::Relaxed) {
            let dropped = self.dropped_this_outage.swap(0, Ordering::Relaxed);
            self.inbound.report(
                false,
                format!("pub/sub backend reachable again ({dropped} messages dropped meanwhile)"),
            );
        }
    }

    /// Report a fault of the driver itself.
    pub(super) fn report_fault(&self, message: &str) {
        self.inbound.report(true, message.to_owned());
    }

    /// Whether [`Outbound::close`] was called.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Stop: nothing more is accepted, waiting emitters return.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Relaxed);
        self.ready.notify_one();
        let _guard = self.state.lock();
        self.sent.notify_all();
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        Stats {
            published: self.published.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            queued: self.state.lock().queue.len() as u64,
        }
    }
}

impl Publish for Outbound {
    fn publish(&self, message: Vec<u8>) {
        self.push(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Log(Mutex<Vec<(bool, String)>>);

    impl Inbound for Log {
        fn deliver(&self, _message: Vec<u8>) {}
        fn report(&self, warning: bool, message: String) {
            self.0.lock().push((warning, message));
        }
    }

    #[test]
    fn overflow_is_counted_and_reported_once_per_outage() {
        let log = Arc::new(Log::default());
        let out = Outbound::new(2, log.clone());
        assert_eq!(out.push(b"a".to_vec()), Some(1));
        assert_eq!(out.push(b"b".to_vec()), Some(2));
        assert_eq!(out.push(b"c".to_vec()), None);
        assert_eq!(out.push(b"d".to_vec()), None);
        assert_eq!(log.0.lock().len(), 1);
        out.went_down("publish", &"refused");
        out.went_down("subscribe", &"refused");
        assert_eq!(
            out.stats(),
            Stats {
                published: 0,
                dropped: 2,
                queued: 2
            }
        );
        assert_eq!(out.peek(10), vec![b"a".to_vec(), b"b".to_vec()]);
        out.sent(1);
        assert!(out.wait_sent(1, Duration::ZERO));
        assert!(!out.wait_sent(2, Duration::from_millis(1)));
        out.came_back();
        let log = log.0.lock();
        assert_eq!(log.len(), 3, "{log:?}");
        assert!(log[2].1.contains("2 messages dropped"), "{log:?}");
    }
}
