//! The engine shared between drivers, the bindings and the heartbeat timer.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::engine::{DisconnectReason, EioSid, Engine, EngineConfig, Event, EventSink};
use crate::metrics::{Metrics, Snapshot};

/// An [`Engine`] behind one lock, plus the timer that drives its heartbeats.
///
/// Every call holds the lock only for the engine's own work (decode a packet, queue frames); socket I/O happens
/// outside it, on each session's outbox.
pub struct EngineHandle {
    engine: Mutex<Engine>,
    sink: Arc<dyn EventSink>,
    ping_interval: Duration,
    /// The engine's counters, reachable without its lock.
    metrics: Arc<Metrics>,
}

impl EngineHandle {
    /// Build the engine; the heartbeat timer starts with [`EngineHandle::start_timer`].
    pub fn new(config: EngineConfig, sink: Arc<dyn EventSink>) -> Arc<Self> {
        let ping_interval = config.ping_interval;
        let engine = Engine::new(config, sink.clone());
        let metrics = engine.metrics().clone();
        Arc::new(Self {
            engine: Mutex::new(engine),
            sink,
            ping_interval,
            metrics,
        })
    }

    /// The counters (counting needs no lock).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Counters and gauges now: the engine is locked only while its gauges are read.
    pub fn metrics_snapshot(&self) -> Snapshot {
        let gauges = self.engine.lock().gauges();
        Snapshot {
            counts: self.metrics.counts(),
            gauges,
        }
    }

    /// Run `f` with the engine locked; then, unlocked, wake the transports it gave frames to and let the event
    /// sink signal its consumer. perf (bench echo): wake-ups are syscalls at times; made inside the lock they kept
    /// Python waiting on it (`parking_lot` spinning in `sched_yield` was 27% of the Python thread's samples).
    pub fn with<R>(&self, f: impl FnOnce(&mut Engine) -> R) -> R {
        let (result, wakes) = {
            let mut engine = self.engine.lock();
            let result = f(&mut engine);
            (result, engine.take_wakes())
        };
        for waker in wakes {
            waker.wake();
        }
        self.sink.flush();
        result
    }

    /// A WebSocket of `eio_sid` ended: the session's transport closed with `reason` if the WebSocket carried it,
    /// otherwise the upgrade it probed is abandoned.
    pub fn websocket_ended(&self, eio_sid: EioSid, carries_session: bool, reason: DisconnectReason) {
        self.with(|e| {
            if carries_session {
                e.on_transport_closed(eio_sid, reason);
            } else {
                e.abort_upgrade(eio_sid);
            }
        });
    }

    /// Report a driver problem (e.g. the process ran out of file descriptors) to the `engineio.server` log.
    pub fn warn(&self, message: String) {
        self.sink.push(Event::Warning { message });
        self.sink.flush();
    }

    /// Wait until the event consumer keeps up (see [`EventSink::poll_ready`]).
    pub async fn ready(&self) {
        std::future::poll_fn(|cx| self.sink.poll_ready(cx)).await;
    }

    /// Start the heartbeat timer on the runtime. It sleeps to the engine's next deadline, never longer than one
    /// ping interval: any deadline created meanwhile is at least a ping interval away, so none is overslept. It
    /// holds the engine only weakly while it sleeps, and ends once the engine is gone.
    pub fn start_timer(self: &Arc<Self>, runtime: &tokio::runtime::Runtime) {
        let handle = Arc::downgrade(self);
        runtime.spawn(async move {
            loop {
                let wake_at = {
                    let Some(this) = handle.upgrade() else { return };
                    let now = Instant::now();
                    let limit = now + this.ping_interval;
                    this.with(|e| e.next_deadline()).map_or(limit, |d| d.min(limit))
                };
                tokio::time::sleep_until(wake_at.into()).await;
                let Some(this) = handle.upgrade() else { return };
                this.with(|e| e.on_tick(Instant::now()));
            }
        });
    }
}
