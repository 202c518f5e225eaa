//! `ServerCore`'s metrics verbs: switch counting on, take the handler latencies the Python pumps timed (one batch
//! per drain), count acknowledgement timeouts, and give a snapshot as a dict or as Prometheus text. A snapshot
//! locks the engine only to read its gauges, with the GIL released; rendering runs outside both.

use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::server::ServerCore;
use crate::metrics::{Counter, Snapshot, render};

fn pairs<'py>(py: Python<'py>, items: &[(String, u64)]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in items {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

fn dict<'py>(py: Python<'py>, items: &[(&str, u64)]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (key, value) in items {
        dict.set_item(key, value)?;
    }
    Ok(dict)
}

/// The dict `AsyncServer.metrics()` documents.
fn to_dict<'py>(py: Python<'py>, s: &Snapshot) -> PyResult<Bound<'py, PyDict>> {
    let (c, g) = (&s.counts, &s.gauges);
    let out = PyDict::new(py);
    out.set_item("enabled", c.enabled)?;
    let by_transport = |polling, websocket| dict(py, &[("polling", polling), ("websocket", websocket)]);
    out.set_item("sessions", by_transport(g.sessions_polling, g.sessions_websocket)?)?;
    out.set_item(
        "sessions_opened",
        by_transport(c.get(Counter::OpenedPolling), c.get(Counter::OpenedWebSocket))?,
    )?;
    out.set_item("sockets", pairs(py, &g.sockets)?)?;
    out.set_item("rooms", pairs(py, &g.rooms)?)?;
    for (key, counter) in [
        ("upgrades", Counter::Upgrades),
        ("upgrade_failures", Counter::UpgradeFailures),
        ("packets_received", Counter::PacketsIn),
        ("bytes_received", Counter::BytesIn),
        ("packets_sent", Counter::PacketsOut),
        ("bytes_sent", Counter::BytesOut),
        ("events_received", Counter::EventsIn),
        ("acks_received", Counter::AcksIn),
        ("ack_timeouts", Counter::AckTimeouts),
    ] {
        out.set_item(key, c.get(counter))?;
    }
    out.set_item(
        "slow_client_disconnects",
        dict(
            py,
            &[
                ("outbox_full", c.get(Counter::SlowOutboxFull)),
                ("write_timeout", c.get(Counter::SlowWriteTimeout)),
            ],
        )?,
    )?;
    let rejected: Vec<(&str, u64)> = c.rejected().map(|(r, n)| (r.as_str(), n)).collect();
    out.set_item("rejected", dict(py, &rejected)?)?;
    out.set_item(
        "outbox",
        dict(
            py,
            &[
                ("frames", g.outbox_frames),
                ("bytes", g.outbox_bytes),
                ("max_frames", g.outbox_max_frames),
            ],
        )?,
    )?;
    let h = &c.handler_seconds;
    let latency = PyDict::new(py);
    latency.set_item("count", h.count)?;
    latency.set_item("sum", h.sum_seconds())?;
    let buckets = PyList::empty(py);
    for (bound, n) in h.cumulative() {
        buckets.append((bound.unwrap_or(f64::INFINITY), n))?;
    }
    latency.set_item("buckets", buckets)?;
    out.set_item("handler_duration", latency)?;
    Ok(out)
}

#[pymethods]
impl ServerCore {
    /// Start counting (idempotent).
    fn metrics_enable(&self) {
        self.parts.handle.metrics().enable();
    }

    /// Whether counting is on.
    fn metrics_enabled(&self) -> bool {
        self.parts.handle.metrics().enabled()
    }

    /// Record handler run times in seconds (the pumps hand one batch per drain). perf: floats, not integer
    /// nanoseconds: `time.perf_counter()` takes its float from a free list, where `perf_counter_ns()` allocates a
    /// big int for every reading (bench/instructions.sh, echo with metrics on).
    fn metrics_observe(&self, seconds: Vec<f64>) {
        self.parts.handle.metrics().observe_handlers(
            seconds
                .into_iter()
                .filter_map(|s| Duration::try_from_secs_f64(s).ok())
                .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)),
        );
    }

    /// Count an acknowledgement that never came (`call()` timed out).
    fn metrics_ack_timeout(&self) {
        self.parts.handle.metrics().add(Counter::AckTimeouts, 1);
    }

    /// Counters and gauges now, as a dict.
    fn metrics_snapshot<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snapshot = py.detach(|| self.parts.handle.metrics_snapshot());
        to_dict(py, &snapshot)
    }

    /// Counters and gauges now, in the Prometheus text format (0.0.4).
    fn metrics_text(&self, py: Python<'_>) -> String {
        py.detach(|| render::text(&self.parts.handle.metrics_snapshot()))
    }

    /// The `Content-Type` of `metrics_text`.
    #[staticmethod]
    fn metrics_content_type() -> &'static str {
        render::CONTENT_TYPE
    }
}
