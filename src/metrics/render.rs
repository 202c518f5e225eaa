//! The Prometheus text exposition format, version 0.0.4: `# HELP` and `# TYPE` per family, then one sample per
//! line; a histogram as cumulative `_bucket{le=...}` lines, `_sum` and `_count`.

use std::fmt::Write;

use super::histogram::HistogramSnapshot;
use super::{Counter, Counts, Gauges, Snapshot};

/// The `Content-Type` of [`text`]'s output.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Label values escape backslash, double quote and newline.
fn escape(value: &str, out: &mut String) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

struct Out(String);

impl Out {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.0.push(',');
                }
                self.0.push_str(key);
                self.0.push_str("=\"");
                escape(val, &mut self.0);
                self.0.push('"');
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A family (name, type, help) whose samples differ by one label.
    fn by_label(&mut self, (name, kind, help): (&str, &str, &str), label: &str, samples: &[(&str, u64)]) {
        self.family(name, kind, help);
        for (value, n) in samples {
            self.sample(name, &[(label, value)], n);
        }
    }

    fn single(&mut self, name: &str, kind: &str, help: &str, value: u64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// Render every family of `snapshot`.
pub fn text(snapshot: &Snapshot) -> String {
    let mut out = Out(String::with_capacity(4096));
    connections(&mut out, snapshot);
    traffic(&mut out, &snapshot.counts);
    queues(&mut out, &snapshot.gauges);
    handlers(&mut out, &snapshot.counts.handler_seconds);
    out.0
}

/// Sessions, sockets, rooms.
fn connections(out: &mut Out, snapshot: &Snapshot) {
    let (c, g) = (&snapshot.counts, &snapshot.gauges);

    out.by_label(
        (
            "turbosio_sessions",
            "gauge",
            "Engine.IO sessions open now, by transport.",
        ),
        "transport",
        &[("polling", g.sessions_polling), ("websocket", g.sessions_websocket)],
    );
    out.by_label(
        (
            "turbosio_sessions_opened_total",
            "counter",
            "Engine.IO sessions opened, by the transport of their handshake.",
        ),
        "transport",
        &[
            ("polling", c.get(Counter::OpenedPolling)),
            ("websocket", c.get(Counter::OpenedWebSocket)),
        ],
    );
    out.family(
        "turbosio_sockets",
        "gauge",
        "Socket.IO sockets connected now, by namespace.",
    );
    for (namespace, n) in &g.sockets {
        out.sample("turbosio_sockets", &[("namespace", namespace)], n);
    }
    out.family(
        "turbosio_rooms",
        "gauge",
        "Rooms with members now, by namespace (sid rooms not counted).",
    );
    for (namespace, n) in &g.rooms {
        out.sample("turbosio_rooms", &[("namespace", namespace)], n);
    }
}

/// Upgrades, packets, bytes, events, acks, slow clients, refusals.
fn traffic(out: &mut Out, c: &Counts) {
    for (name, help, counter) in [
        (
            "turbosio_upgrades_total",
            "Upgrades from polling to WebSocket completed.",
            Counter::Upgrades,
        ),
        (
            "turbosio_upgrade_failures_total",
            "Upgrades abandoned before they completed.",
            Counter::UpgradeFailures,
        ),
        (
            "turbosio_packets_received_total",
            "Engine.IO packets received.",
            Counter::PacketsIn,
        ),
        (
            "turbosio_bytes_received_total",
            "Bytes received in WebSocket messages and polling bodies.",
            Counter::BytesIn,
        ),
        (
            "turbosio_packets_sent_total",
            "Engine.IO packets sent.",
            Counter::PacketsOut,
        ),
        (
            "turbosio_bytes_sent_total",
            "Bytes of Engine.IO packets sent.",
            Counter::BytesOut,
        ),
        (
            "turbosio_events_received_total",
            "Socket.IO events received.",
            Counter::EventsIn,
        ),
        (
            "turbosio_acks_received_total",
            "Socket.IO acknowledgements received.",
            Counter::AcksIn,
        ),
        (
            "turbosio_ack_timeouts_total",
            "Acknowledgements waited for in vain (call() timed out).",
            Counter::AckTimeouts,
        ),
    ] {
        out.single(name, "counter", help, c.get(counter));
    }
    out.by_label(
        (
            "turbosio_slow_client_disconnects_total",
            "counter",
            "Clients disconnected for not reading, by cause.",
        ),
        "cause",
        &[
            ("outbox_full", c.get(Counter::SlowOutboxFull)),
            ("write_timeout", c.get(Counter::SlowWriteTimeout)),
        ],
    );
    out.family(
        "turbosio_rejected_total",
        "counter",
        "Requests and packets refused, by reason.",
    );
    for (reason, n) in c.rejected() {
        out.sample("turbosio_rejected_total", &[("reason", reason.as_str())], n);
    }
}

/// What waits for clients.
fn queues(out: &mut Out, g: &Gauges) {
    out.single(
        "turbosio_outbox_frames",
        "gauge",
        "Frames queued for clients now, over every session.",
        g.outbox_frames,
    );
    out.single(
        "turbosio_outbox_bytes",
        "gauge",
        "Bytes queued for clients now, over every session.",
        g.outbox_bytes,
    );
    out.single(
        "turbosio_outbox_max_frames",
        "gauge",
        "Frames queued now for the session with the longest queue.",
        g.outbox_max_frames,
    );
}

/// The handlers' run times.
fn handlers(out: &mut Out, h: &HistogramSnapshot) {
    let name = "turbosio_handler_duration_seconds";
    out.family(
        name,
        "histogram",
        "Time Python handlers took (a coroutine handler until it finished).",
    );
    let bucket = format!("{name}_bucket");
    let mut le = String::new();
    for (bound, n) in h.cumulative() {
        le.clear();
        match bound {
            Some(seconds) => {
                let _ = write!(le, "{seconds}");
            }
            None => le.push_str("+Inf"),
        }
        out.sample(&bucket, &[("le", &le)], n);
    }
    out.sample(&format!("{name}_sum"), &[], h.sum_seconds());
    out.sample(&format!("{name}_count"), &[], h.count);
}

#[cfg(test)]
mod tests {
    use super::super::{Metrics, Reject};
    use super::*;

    fn lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn families_have_help_and_type_and_labels_are_escaped() {
        let metrics = Metrics::default();
        metrics.add(Counter::EventsIn, 5); // off: not counted
        metrics.enable();
        metrics.add(Counter::EventsIn, 2);
        metrics.reject(Reject::MalformedPacket);
        metrics.observe_handlers([30_000, 2_000_000]);
        let gauges = Gauges {
            sessions_websocket: 3,
            sockets: vec![("/".into(), 3), ("/a\"b\\c\nd".into(), 1)],
            ..Gauges::default()
        };
        let text = text(&Snapshot {
            counts: metrics.counts(),
            gauges,
        });
        let l = lines(&text);
        let at = l
            .iter()
            .position(|s| *s == "# HELP turbosio_events_received_total Socket.IO events received.");
        let at = at.expect("help line");
        assert_eq!(l[at + 1], "# TYPE turbosio_events_received_total counter");
        assert_eq!(l[at + 2], "turbosio_events_received_total 2");
        assert!(l.contains(&"turbosio_sessions{transport=\"websocket\"} 3"));
        assert!(l.contains(&"turbosio_sockets{namespace=\"/a\\\"b\\\\c\\nd\"} 1"));
        assert!(l.contains(&"turbosio_rejected_total{reason=\"malformed_packet\"} 1"));
        assert!(l.contains(&"turbosio_rejected_total{reason=\"oversize_payload\"} 0"));
        assert!(l.contains(&"# TYPE turbosio_handler_duration_seconds histogram"));
        assert!(l.contains(&"turbosio_handler_duration_seconds_bucket{le=\"0.00005\"} 1"));
        assert!(l.contains(&"turbosio_handler_duration_seconds_bucket{le=\"0.0025\"} 2"));
        assert!(l.contains(&"turbosio_handler_duration_seconds_bucket{le=\"+Inf\"} 2"));
        assert!(l.contains(&"turbosio_handler_duration_seconds_sum 0.00203"));
        assert!(l.contains(&"turbosio_handler_duration_seconds_count 2"));
        // Every sample line belongs to the family announced last.
        let mut family = "";
        for line in l {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                family = rest.split(' ').next().unwrap_or("");
            } else if !line.starts_with('#') {
                assert!(line.starts_with(family), "{line} outside {family}");
            }
        }
        assert!(text.ends_with('\n'));
    }
}
