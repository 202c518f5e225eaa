//! Counters for Prometheus: what the engine, the drivers and the Python pumps count, and the text they are
//! rendered to.
//!
//! In: increments from the engine (under its lock), the drivers (outside it) and the bindings (handler latencies
//! timed by the Python pumps, one batch per drain; acknowledgement timeouts). Out: a [`Snapshot`] (counters plus
//! the gauges the engine reads from its own state at that moment, see `engine/gauges.rs`), rendered by
//! [`render::text`] in the Prometheus text exposition format 0.0.4.
//! Never: locks on the counting path. Every counter is a relaxed atomic; nothing counts until [`Metrics::enable`]
//! (off, a count is one relaxed load and a branch), so a server that never asks for metrics pays next to nothing.

pub mod histogram;
pub mod render;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

use self::histogram::{Histogram, HistogramSnapshot};

/// A plain counter, without labels beyond the ones its name implies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Counter {
    /// Sessions opened over long-polling.
    OpenedPolling,
    /// Sessions opened directly over WebSocket.
    OpenedWebSocket,
    /// Upgrades from polling to WebSocket that completed.
    Upgrades,
    /// Upgrades abandoned (the probing WebSocket closed or timed out before `5`).
    UpgradeFailures,
    /// Engine.IO packets received.
    PacketsIn,
    /// Bytes received in WebSocket frames and polling bodies.
    BytesIn,
    /// Engine.IO packets written to clients.
    PacketsOut,
    /// Bytes written to clients (frames as queued, before polling's framing or compression).
    BytesOut,
    /// Socket.IO events received.
    EventsIn,
    /// Socket.IO acknowledgements received.
    AcksIn,
    /// Acknowledgements the server waited for in vain (`call()` timed out).
    AckTimeouts,
    /// Clients disconnected because their outbound queue was full.
    SlowOutboxFull,
    /// Clients disconnected because a write did not finish within the deadline.
    SlowWriteTimeout,
}

impl Counter {
    const COUNT: usize = Self::SlowWriteTimeout as usize + 1;
}

/// Why input was refused; the label of `turbosio_rejected_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Reject {
    /// Node's code 0: `transport` missing or unknown.
    TransportUnknown,
    /// Node's code 1: a sid that names no session.
    SessionIdUnknown,
    /// Node's code 2: a handshake that is not a GET.
    BadHandshakeMethod,
    /// Node's code 3: any other malformed request.
    BadRequest,
    /// Node's code 4: refused by the CORS policy.
    Forbidden,
    /// Node's code 5: `EIO` is not 4.
    UnsupportedProtocolVersion,
    /// An Engine.IO or Socket.IO packet that did not decode.
    MalformedPacket,
    /// A packet that decoded but is not allowed where it came.
    UnexpectedPacket,
    /// A message or body over `max_http_buffer_size`.
    OversizePayload,
    /// A second long-polling GET while one waited.
    OverlappingPoll,
}

impl Reject {
    const COUNT: usize = Self::OverlappingPoll as usize + 1;
    const ALL: [Self; Self::COUNT] = [
        Self::TransportUnknown,
        Self::SessionIdUnknown,
        Self::BadHandshakeMethod,
        Self::BadRequest,
        Self::Forbidden,
        Self::UnsupportedProtocolVersion,
        Self::MalformedPacket,
        Self::UnexpectedPacket,
        Self::OversizePayload,
        Self::OverlappingPoll,
    ];

    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TransportUnknown => "transport_unknown",
            Self::SessionIdUnknown => "session_id_unknown",
            Self::BadHandshakeMethod => "bad_handshake_method",
            Self::BadRequest => "bad_request",
            Self::Forbidden => "forbidden",
            Self::UnsupportedProtocolVersion => "unsupported_protocol_version",
            Self::MalformedPacket => "malformed_packet",
            Self::UnexpectedPacket => "unexpected_packet",
            Self::OversizePayload => "oversize_payload",
            Self::OverlappingPoll => "overlapping_poll",
        }
    }
}

/// Every counter of one server.
pub struct Metrics {
    on: AtomicBool,
    counters: [AtomicU64; Counter::COUNT],
    rejected: [AtomicU64; Reject::COUNT],
    handler_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            on: AtomicBool::new(false),
            counters: std::array::from_fn(|_| AtomicU64::new(0)),
            rejected: std::array::from_fn(|_| AtomicU64::new(0)),
            handler_seconds: Histogram::default(),
        }
    }
}

impl Metrics {
    /// Start counting (idempotent). Counts start from zero at the first call.
    pub fn enable(&self) {
        self.on.store(true, Relaxed);
    }

    /// Whether counting is on.
    pub fn enabled(&self) -> bool {
        self.on.load(Relaxed)
    }

    /// Add `n` to `counter`.
    #[inline]
    pub fn add(&self, counter: Counter, n: u64) {
        if self.on.load(Relaxed) {
            self.counters[counter as usize].fetch_add(n, Relaxed);
        }
    }

    /// Count a packet and its bytes received.
    #[inline]
    pub fn received(&self, packets: u64, bytes: usize) {
        if self.on.load(Relaxed) {
            self.counters[Counter::PacketsIn as usize].fetch_add(packets, Relaxed);
            self.counters[Counter::BytesIn as usize].fetch_add(bytes as u64, Relaxed);
        }
    }

    /// Count frames and their bytes taken out of an outbox to be written.
    #[inline]
    pub fn sent(&self, frames: usize, bytes: usize) {
        if self.on.load(Relaxed) {
            self.counters[Counter::PacketsOut as usize].fetch_add(frames as u64, Relaxed);
            self.counters[Counter::BytesOut as usize].fetch_add(bytes as u64, Relaxed);
        }
    }

    /// Count refused input.
    pub fn reject(&self, reason: Reject) {
        if self.on.load(Relaxed) {
            self.rejected[reason as usize].fetch_add(1, Relaxed);
        }
    }

    /// Record handler run times, in nanoseconds (a batch from one drain).
    pub fn observe_handlers(&self, nanos: impl IntoIterator<Item = u64>) {
        if self.on.load(Relaxed) {
            self.handler_seconds.observe_all(nanos);
        }
    }

    /// The counters now (each read on its own: a snapshot taken while others count is not one instant, but
    /// every value is one the counter really had).
    pub fn counts(&self) -> Counts {
        Counts {
            enabled: self.enabled(),
            counters: std::array::from_fn(|i| self.counters[i].load(Relaxed)),
            rejected: std::array::from_fn(|i| self.rejected[i].load(Relaxed)),
            handler_seconds: self.handler_seconds.snapshot(),
        }
    }
}

/// The counters at one moment.
#[derive(Clone, Debug)]
pub struct Counts {
    /// Whether counting is on.
    pub enabled: bool,
    counters: [u64; Counter::COUNT],
    rejected: [u64; Reject::COUNT],
    /// Handler run times.
    pub handler_seconds: HistogramSnapshot,
}

impl Counts {
    /// The value of `counter`.
    pub fn get(&self, counter: Counter) -> u64 {
        self.counters[counter as usize]
    }

    /// Refusals by reason, every reason listed (zeros too, so a scrape shows the whole family).
    pub fn rejected(&self) -> impl Iterator<Item = (Reject, u64)> + '_ {
        Reject::ALL.iter().map(|r| (*r, self.rejected[*r as usize]))
    }
}

/// What the engine's state says at scrape time (read under its lock, briefly).
#[derive(Clone, Debug, Default)]
pub struct Gauges {
    /// Open sessions on long-polling.
    pub sessions_polling: u64,
    /// Open sessions on WebSocket.
    pub sessions_websocket: u64,
    /// Connected (or connecting) sockets, by namespace.
    pub sockets: Vec<(String, u64)>,
    /// Rooms with members, by namespace (a socket's own sid room is not counted).
    pub rooms: Vec<(String, u64)>,
    /// Frames queued for clients, over every session.
    pub outbox_frames: u64,
    /// Bytes queued for clients, over every session.
    pub outbox_bytes: u64,
    /// The longest queue of one session, in frames.
    pub outbox_max_frames: u64,
}

/// Everything one scrape reports.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// The counters.
    pub counts: Counts,
    /// The engine's state.
    pub gauges: Gauges,
}
