//! The bounded queue of frames waiting to be written to one client.
//!
//! The engine pushes frames; whichever transport currently owns the session (a WebSocket writer task, a pending
//! long-polling GET, or an ASGI `send` loop in Python) drains them. Waking uses a plain [`Waker`], so the queue
//! works with any executor and knows nothing of tokio or Python. A client that stops reading fills its queue to
//! the bound; the push then fails and the engine disconnects that one client.
//!
//! perf (bench echo, broadcast): a push never wakes anyone itself; it hands the waker to the caller, and the engine
//! wakes everyone after releasing its lock, so a wake-up (which may be a syscall) never lengthens the engine's
//! critical section.

use std::collections::VecDeque;
use std::task::{Context, Poll, Waker};

use parking_lot::Mutex;

use crate::metrics::Metrics;
use crate::protocol::engineio::Frame;

/// How much may wait for one client before it is treated as a slow consumer.
#[derive(Clone, Copy, Debug)]
pub struct OutboxLimits {
    /// Most frames queued at once.
    pub max_frames: usize,
    /// Most bytes queued at once.
    pub max_bytes: usize,
}

impl Default for OutboxLimits {
    fn default() -> Self {
        Self {
            max_frames: 10_000,
            max_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Why a push was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The client has not read its queue and the bound is reached.
    #[error("outbound queue full")]
    Overflow,
    /// The session is closing; nothing more is sent.
    #[error("session closed")]
    Closed,
}

/// What a drain found once the queue was empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drained {
    /// Frames were moved out; the session goes on.
    Frames,
    /// The session is closed and everything queued before the close was moved out. `notify_client` says whether
    /// the transport should tell the client (an Engine.IO close packet on polling, a close frame on WebSocket).
    Closed {
        /// Whether the client should be told.
        notify_client: bool,
    },
}

#[derive(Default)]
struct State {
    frames: VecDeque<Frame>,
    bytes: usize,
    waker: Option<Waker>,
    closed: Option<bool>,
}

/// A bounded, wakeable frame queue for one Engine.IO session.
pub struct Outbox {
    limits: OutboxLimits,
    state: Mutex<State>,
    /// Where the frames taken out are counted (a session's queue; the stand-ins that release a GET count nothing).
    metrics: Option<std::sync::Arc<Metrics>>,
}

impl Outbox {
    /// An empty queue with the given bounds.
    pub fn new(limits: OutboxLimits) -> Self {
        Self {
            limits,
            state: Mutex::new(State::default()),
            metrics: None,
        }
    }

    /// An empty queue whose drained frames and bytes count as sent in `metrics`.
    pub fn counted(limits: OutboxLimits, metrics: std::sync::Arc<Metrics>) -> Self {
        Self {
            metrics: Some(metrics),
            ..Self::new(limits)
        }
    }

    /// Frames and bytes queued now.
    pub fn depth(&self) -> (usize, usize) {
        let state = self.state.lock();
        (state.frames.len(), state.bytes)
    }

    /// Queue frames for the client, all or none. The transport that drains this queue is added to `wakes`.
    pub fn push_all<'a>(
        &self,
        frames: impl IntoIterator<Item = &'a Frame> + Clone,
        wakes: &mut Vec<Waker>,
    ) -> Result<(), PushError> {
        let (count, bytes) = frames
            .clone()
            .into_iter()
            .fold((0, 0), |(c, b), f| (c + 1, b + f.len()));
        let waker = {
            let mut state = self.state.lock();
            if state.closed.is_some() {
                return Err(PushError::Closed);
            }
            if state.frames.len() + count > self.limits.max_frames || state.bytes + bytes > self.limits.max_bytes {
                return Err(PushError::Overflow);
            }
            state.frames.extend(frames.into_iter().cloned());
            state.bytes += bytes;
            state.waker.take()
        };
        wakes.extend(waker);
        Ok(())
    }

    /// Queue one frame.
    pub fn push(&self, frame: Frame, wakes: &mut Vec<Waker>) -> Result<(), PushError> {
        self.push_all(std::iter::once(&frame), wakes)
    }

    /// Queue a frame past the bound (for the few control frames the protocol itself needs: ping, pong, noop, the
    /// answers to a CONNECT), but not past twice the bound: a client that lets even those pile up is not reading,
    /// and a peer that keeps asking for them (pings in polling POSTs, with no GET to take the pongs) must not grow
    /// the queue without limit. Fails with `Overflow` then, and when closed.
    pub fn push_control(&self, frame: Frame, wakes: &mut Vec<Waker>) -> Result<(), PushError> {
        let waker = {
            let mut state = self.state.lock();
            if state.closed.is_some() {
                return Err(PushError::Closed);
            }
            if state.frames.len() >= self.limits.max_frames.saturating_mul(2)
                || state.bytes + frame.len() > self.limits.max_bytes.saturating_mul(2)
            {
                return Err(PushError::Overflow);
            }
            state.bytes += frame.len();
            state.frames.push_back(frame);
            state.waker.take()
        };
        wakes.extend(waker);
        Ok(())
    }

    /// Move every queued frame into `out`. `Pending` (with the waker kept) when there is nothing to move and the
    /// session is open.
    pub fn poll_drain(&self, cx: &mut Context<'_>, out: &mut Vec<Frame>) -> Poll<Drained> {
        let mut state = self.state.lock();
        if let Some(drained) = self.drain_locked(&mut state, out) {
            return Poll::Ready(drained);
        }
        match &state.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Move every queued frame into `out` without waiting; `None` when there was nothing and it is still open.
    pub fn drain_now(&self, out: &mut Vec<Frame>) -> Option<Drained> {
        self.drain_locked(&mut self.state.lock(), out)
    }

    fn drain_locked(&self, state: &mut State, out: &mut Vec<Frame>) -> Option<Drained> {
        if !state.frames.is_empty() {
            if let Some(metrics) = &self.metrics {
                metrics.sent(state.frames.len(), state.bytes);
            }
            out.extend(state.frames.drain(..));
            state.bytes = 0;
            return Some(Drained::Frames);
        }
        state.closed.map(|notify_client| Drained::Closed { notify_client })
    }

    /// Stop accepting frames. What is already queued is still delivered, then the drainer sees `Closed`.
    pub fn close(&self, notify_client: bool, wakes: &mut Vec<Waker>) {
        let waker = {
            let mut state = self.state.lock();
            if state.closed.is_none() {
                state.closed = Some(notify_client);
            }
            state.waker.take()
        };
        wakes.extend(waker);
    }

    /// Whether `close` was called.
    pub fn is_closed(&self) -> bool {
        self.state.lock().closed.is_some()
    }

    /// Frames waiting now.
    pub fn len(&self) -> usize {
        self.state.lock().frames.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes waiting now (for the interleaving driver's checks).
    #[cfg(any(test, fuzzing))]
    pub fn queued_bytes(&self) -> usize {
        self.state.lock().bytes
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    use bytes::Bytes;

    use super::*;

    struct CountingWaker(AtomicUsize);
    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn text(s: &'static str) -> Frame {
        Frame::Text(Bytes::from_static(s.as_bytes()))
    }

    #[test]
    fn drain_returns_pending_then_wakes_on_push() {
        let outbox = Outbox::new(OutboxLimits::default());
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        let mut out = Vec::new();
        assert!(outbox.poll_drain(&mut cx, &mut out).is_pending());
        let mut wakes = Vec::new();
        outbox.push(text("4a"), &mut wakes).unwrap();
        assert_eq!(
            counter.0.load(Ordering::SeqCst),
            0,
            "the push only hands the waker over"
        );
        wakes.into_iter().for_each(Waker::wake);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(outbox.poll_drain(&mut cx, &mut out), Poll::Ready(Drained::Frames));
        assert_eq!(out, vec![text("4a")]);
    }

    #[test]
    fn overflow_by_count_and_bytes_refuses_whole_push() {
        let outbox = Outbox::new(OutboxLimits {
            max_frames: 2,
            max_bytes: 5,
        });
        let w = &mut Vec::new();
        outbox.push(text("4ab"), w).unwrap();
        assert_eq!(outbox.push(text("4abc"), w), Err(PushError::Overflow));
        outbox.push(text("4"), w).unwrap();
        assert_eq!(outbox.push(text("4"), w), Err(PushError::Overflow));
        assert_eq!(outbox.len(), 2);
        outbox.push_control(text("6"), w).unwrap();
        assert_eq!(outbox.len(), 3);
    }

    #[test]
    fn close_delivers_queued_frames_first() {
        let outbox = Outbox::new(OutboxLimits::default());
        let w = &mut Vec::new();
        outbox.push(text("41"), w).unwrap();
        outbox.close(true, w);
        assert_eq!(outbox.push(text("42"), w), Err(PushError::Closed));
        let mut out = Vec::new();
        assert_eq!(outbox.drain_now(&mut out), Some(Drained::Frames));
        assert_eq!(
            outbox.drain_now(&mut out),
            Some(Drained::Closed { notify_client: true })
        );
        assert_eq!(out.len(), 1);
    }
}
