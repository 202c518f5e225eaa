//! The Socket.IO Admin UI's taps (`Server.instrument()`): what an instrumented server reports to the sockets of its
//! admin namespace, framed here so that no message costs Python anything.
//!
//! In: hooks the engine calls when an [`AdminTap`] is installed (one `Option` check otherwise): a session opens or
//! closes, a socket is accepted or leaves, joins or leaves a room, sends an event, is sent one, upgrades; and every
//! frame in or out, for the per-second counts. Out: `socket_connected`, `socket_disconnected`, `room_joined`,
//! `room_left`, `event_received`, `event_sent` and `socket_updated` events pushed to every socket of the admin
//! namespace (development mode only), and on request the `all_sockets` list and the counters of `server_stats`.
//! The wall clock is the one thing the tap reads itself, through the function it was built with, so tests can fix it.
//! Wire shapes: the `@socket.io/admin-ui` server (arguments in that order) and python-socketio's `admin.py`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::Engine;
use super::adapter::{Adapter, Target};
use super::event::{DisconnectReason, RequestInfo, Transport};
use super::sid::{EioSid, Sid};
use crate::protocol::engineio::Frame;

/// The per-second counter names of `aggregatedEvents`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Counter {
    /// An Engine.IO session opened.
    RawConnection,
    /// An Engine.IO session closed.
    RawDisconnection,
    /// A frame (WebSocket message or polling POST) came in.
    PacketsIn,
    /// A frame was queued for a client.
    PacketsOut,
    /// Bytes that came in.
    BytesIn,
    /// Bytes queued for clients.
    BytesOut,
}

impl Counter {
    fn as_str(self) -> &'static str {
        match self {
            Self::RawConnection => "rawConnection",
            Self::RawDisconnection => "rawDisconnection",
            Self::PacketsIn => "packetsIn",
            Self::PacketsOut => "packetsOut",
            Self::BytesIn => "bytesIn",
            Self::BytesOut => "bytesOut",
        }
    }
}

/// What one instrumented engine reports, and where.
pub struct AdminTap {
    namespace: Arc<str>,
    /// Development mode: the event taps and `all_sockets`; production mode keeps only the counters.
    development: bool,
    clock: fn() -> SystemTime,
    /// Per second (ms since the epoch, floored to the second) and counter: the sum since the last `server_stats`.
    counts: BTreeMap<(u64, Counter), u64>,
    /// Development mode: each session's handshake (address, headers, query, secure, url), as JSON.
    handshakes: HashMap<EioSid, Map<String, Value>>,
    /// Development mode: when each socket was accepted (ms since the epoch).
    connected_at: HashMap<Sid, u64>,
}

impl AdminTap {
    /// A tap reporting to `namespace`; `development` turns the event taps on. `clock` gives the wall time.
    pub fn new(namespace: &str, development: bool, clock: fn() -> SystemTime) -> Self {
        Self {
            namespace: Arc::from(namespace),
            development,
            clock,
            counts: BTreeMap::new(),
            handshakes: HashMap::new(),
            connected_at: HashMap::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        (self.clock)()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    /// Add `by` to a counter of the current second.
    pub fn count(&mut self, counter: Counter, by: usize) {
        let second = self.now_ms() / 1000 * 1000;
        *self.counts.entry((second, counter)).or_insert(0) += by as u64;
    }

    /// The counts since the last call, as `aggregatedEvents` (`[{timestamp, type, count}]`), and start afresh.
    pub fn take_counts(&mut self) -> Value {
        let counts = std::mem::take(&mut self.counts);
        Value::Array(
            counts
                .into_iter()
                .map(|((timestamp, counter), count)| json!({"timestamp": timestamp, "type": counter.as_str(), "count": count}))
                .collect(),
        )
    }
}

/// `2026-12-07T23:21:09.123Z`, as JavaScript's `Date.toISOString()` (what the Node server sends).
pub fn iso_time(ms: u64) -> String {
    let secs = ms / 1000;
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// A query string as the handshake's `query`: each name once, a repeated name with the list of its values.
fn query_object(query: &str) -> Map<String, Value> {
    let mut out = Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (form_decoded(name), Value::String(form_decoded(value)));
        match out.get_mut(&name) {
            None => {
                out.insert(name, value);
            }
            Some(Value::Array(values)) => values.push(value),
            Some(first) => *first = Value::Array(vec![first.take(), value]),
        }
    }
    out
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; a bad escape stays as it is.
fn form_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        let escaped = (b == b'%')
            .then(|| tail.get(..2))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if let Some(v) = escaped {
            out.push(v);
            rest = &tail[2..];
        } else {
            out.push(if b == b'+' { b' ' } else { b });
            rest = tail;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn handshake_of(request: &RequestInfo) -> Map<String, Value> {
    let mut headers = Map::new();
    for (name, value) in &request.headers {
        headers.insert(name.clone(), Value::String(value.clone()));
    }
    let mut out = Map::new();
    out.insert(
        "address".into(),
        Value::String(request.remote_addr.map(|a| a.ip().to_string()).unwrap_or_default()),
    );
    out.insert("headers".into(), Value::Object(headers));
    out.insert("query".into(), Value::Object(query_object(&request.query)));
    out.insert("secure".into(), Value::Bool(request.secure));
    out.insert("url".into(), Value::String(request.path.clone()));
    out
}

/// A JSON string literal.
fn quoted(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

/// `["<event>", <args>...]` where the args are already JSON.
fn event_array(event: &str, args: &[&str]) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + args.iter().map(|a| a.len() + 1).sum::<usize>());
    out.push(b'[');
    out.extend_from_slice(quoted(event).as_bytes());
    for arg in args {
        out.push(b',');
        out.extend_from_slice(arg.as_bytes());
    }
    out.push(b']');
    out
}

impl<A: Adapter> Engine<A> {
    /// Report to the Admin UI from now on (`Server.instrument()`); installing again replaces the tap.
    pub fn instrument(&mut self, tap: AdminTap) {
        let mut tap = tap;
        if tap.development {
            // Sessions opened before instrumenting are still listed, without the handshake details.
            for eio_sid in self.sessions.keys() {
                tap.handshakes.insert(*eio_sid, handshake_of(&RequestInfo::default()));
            }
        }
        self.admin = Some(Box::new(tap));
    }

    /// Stop reporting (`uninstrument()`): the tap and what it kept go.
    pub fn uninstrument(&mut self) {
        self.admin = None;
    }

    /// The admin namespace when instrumented.
    pub fn admin_namespace(&self) -> Option<&str> {
        self.admin.as_deref().map(|t| &*t.namespace)
    }

    pub(super) fn admin_count(&mut self, counter: Counter, bytes: usize) {
        if let Some(tap) = &mut self.admin {
            tap.count(counter, 1);
            let bytes_counter = match counter {
                Counter::PacketsIn => Counter::BytesIn,
                Counter::PacketsOut => Counter::BytesOut,
                _ => return,
            };
            tap.count(bytes_counter, bytes);
        }
    }

    /// One frame of `bytes` queued for a client.
    pub(super) fn admin_count_out(&mut self, bytes: usize) {
        self.admin_count(Counter::PacketsOut, bytes);
    }

    pub(super) fn admin_session_opened(&mut self, eio_sid: EioSid, request: Option<&RequestInfo>) {
        let Some(tap) = &mut self.admin else { return };
        tap.count(Counter::RawConnection, 1);
        if tap.development {
            let default = RequestInfo::default();
            tap.handshakes
                .insert(eio_sid, handshake_of(request.unwrap_or(&default)));
        }
    }

    pub(super) fn admin_session_closed(&mut self, eio_sid: EioSid) {
        let Some(tap) = &mut self.admin else { return };
        tap.count(Counter::RawDisconnection, 1);
        tap.handshakes.remove(&eio_sid);
    }

    /// `socket`, as the Admin UI lists it (`id`, `clientId`, `transport`, `nsp`, `data`, `handshake`, `rooms`).
    fn admin_socket_json(&self, sid: Sid) -> Option<Value> {
        let tap = self.admin.as_deref()?;
        let socket = self.sockets.get(&sid)?;
        let transport = self.transport(socket.eio_sid).unwrap_or(Transport::Polling);
        let mut handshake = tap.handshakes.get(&socket.eio_sid).cloned().unwrap_or_default();
        let issued = tap.connected_at.get(&sid).copied().unwrap_or(0);
        handshake.insert("issued".into(), json!(issued));
        handshake.insert(
            "time".into(),
            Value::String(if issued == 0 { String::new() } else { iso_time(issued) }),
        );
        let rooms: Vec<Value> = self
            .rooms(sid, &socket.namespace)
            .iter()
            .map(|r| Value::String(r.to_string()))
            .collect();
        Some(json!({
            "id": sid.as_str(),
            "clientId": socket.eio_sid.as_str(),
            "transport": transport.as_str(),
            "nsp": &*socket.namespace,
            "data": {},
            "handshake": handshake,
            "rooms": rooms,
        }))
    }

    /// Every connected socket of every namespace, for `all_sockets` (an empty list unless in development mode).
    /// `admin` is the admin socket being welcomed, listed too although its connect is still pending, as the
    /// reference servers list it (the UI picks its namespace from this list).
    pub fn admin_all_sockets(&self, admin: Option<Sid>) -> Value {
        let Some(tap) = self.admin.as_deref() else {
            return Value::Array(Vec::new());
        };
        if !tap.development {
            return Value::Array(Vec::new());
        }
        let mut sids: Vec<(&Arc<str>, Sid)> = self
            .sockets
            .iter()
            .filter(|(sid, s)| s.is_accepted() || Some(**sid) == admin)
            .map(|(sid, s)| (&s.namespace, *sid))
            .collect();
        sids.sort_by(|a, b| a.0.cmp(b.0).then_with(|| a.1.as_str().cmp(b.1.as_str())));
        Value::Array(
            sids.into_iter()
                .filter_map(|(_, sid)| self.admin_socket_json(sid))
                .collect(),
        )
    }

    /// The figures of `server_stats` this engine knows: `clientsCount`, `pollingClientsCount`, `aggregatedEvents`
    /// (the counters since the last call, which are then reset) and the sockets per namespace.
    pub fn admin_stats(&mut self) -> Value {
        let clients = self.sessions.len();
        let polling = self
            .sessions
            .values()
            .filter(|s| s.transport == Transport::Polling)
            .count();
        let mut per_namespace: BTreeMap<&str, usize> = BTreeMap::new();
        for socket in self.sockets.values().filter(|s| s.is_accepted()) {
            *per_namespace.entry(&socket.namespace).or_insert(0) += 1;
        }
        let namespaces: Vec<Value> = per_namespace
            .into_iter()
            .map(|(name, count)| json!({"name": name, "socketsCount": count}))
            .collect();
        let events = self
            .admin
            .as_mut()
            .map_or(Value::Array(Vec::new()), |t| t.take_counts());
        json!({
            "clientsCount": clients,
            "pollingClientsCount": polling,
            "aggregatedEvents": events,
            "namespaces": namespaces,
        })
    }

    /// The tap in development mode, with the time now as ms and as text.
    fn admin_dev(&self) -> Option<(u64, String)> {
        let tap = self.admin.as_deref().filter(|t| t.development)?;
        let ms = tap.now_ms();
        Some((ms, quoted(&iso_time(ms))))
    }

    /// Push one event to every socket of the admin namespace.
    fn admin_send(&mut self, data: Vec<u8>, attachments: &[Bytes]) {
        let Some(namespace) = self.admin.as_deref().map(|t| t.namespace.clone()) else {
            return;
        };
        let recipients = self.adapter.recipients(&namespace, Target::All, &[]);
        if recipients.is_empty() {
            return;
        }
        let mut frames: Vec<Frame> = Vec::with_capacity(1 + attachments.len());
        frames.push(super::socketio::event_frame(&namespace, &data, attachments.len()));
        frames.extend(attachments.iter().cloned().map(Frame::Binary));
        for sid in recipients {
            self.push_to_socket(sid, &frames);
        }
    }

    pub(super) fn admin_socket_accepted(&mut self, sid: Sid) {
        let Some((ms, time)) = self.admin_dev() else { return };
        if let Some(tap) = &mut self.admin {
            tap.connected_at.insert(sid, ms);
        }
        let Some(socket) = self.admin_socket_json(sid) else {
            return;
        };
        self.admin_send(event_array("socket_connected", &[&socket.to_string(), &time]), &[]);
    }

    pub(super) fn admin_socket_gone(&mut self, sid: Sid, namespace: &str, reason: DisconnectReason) {
        let Some((_, time)) = self.admin_dev() else { return };
        if let Some(tap) = &mut self.admin {
            tap.connected_at.remove(&sid);
        }
        let args = [
            &quoted(namespace),
            &quoted(sid.as_str()),
            &quoted(reason.as_str()),
            &time,
        ];
        self.admin_send(event_array("socket_disconnected", &args.map(String::as_str)), &[]);
    }

    pub(super) fn admin_room(&mut self, joined: bool, namespace: &str, sid: Sid, room: &str) {
        let Some((_, time)) = self.admin_dev() else { return };
        let event = if joined { "room_joined" } else { "room_left" };
        let args = [&quoted(namespace), &quoted(room), &quoted(sid.as_str()), &time];
        self.admin_send(event_array(event, &args.map(String::as_str)), &[]);
    }

    /// `data` is the event's JSON array (name first); binary attachments are passed on with it.
    pub(super) fn admin_event_received(&mut self, sid: Sid, namespace: &str, data: &[u8], attachments: &[Bytes]) {
        let Some((_, time)) = self.admin_dev() else { return };
        let Ok(data) = std::str::from_utf8(data) else { return };
        let args = [&*quoted(namespace), &*quoted(sid.as_str()), data, &time];
        self.admin_send(event_array("event_received", &args), attachments);
    }

    /// One `event_sent` per recipient, as the reference servers report; events of the admin namespace are not.
    pub(super) fn admin_events_sent(
        &mut self,
        recipients: &[Sid],
        namespace: &str,
        data: &[u8],
        attachments: &[Bytes],
    ) {
        let Some((_, time)) = self.admin_dev() else { return };
        if self.admin_namespace() == Some(namespace) {
            return;
        }
        let Ok(data) = std::str::from_utf8(data) else { return };
        let namespace = quoted(namespace);
        for sid in recipients {
            let args = [&*namespace, &*quoted(sid.as_str()), data, &time];
            self.admin_send(event_array("event_sent", &args), attachments);
        }
    }

    pub(super) fn admin_upgraded(&mut self, eio_sid: EioSid) {
        if self.admin_dev().is_none() {
            return;
        }
        let sockets: Vec<(Arc<str>, Sid)> = self
            .sessions
            .get(&eio_sid)
            .map(|s| s.sockets.clone())
            .unwrap_or_default();
        for (namespace, sid) in sockets {
            let update = json!({"id": sid.as_str(), "nsp": &*namespace, "transport": "websocket"});
            self.admin_send(event_array("socket_updated", &[&update.to_string()]), &[]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_time_matches_javascript() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_time(1_796_685_669_123), "2026-12-07T23:21:09.123Z");
        assert_eq!(iso_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn query_repeats_become_lists_and_escapes_decode() {
        let q = query_object("EIO=4&transport=polling&a=1&a=2&a=3&n=x%20y+z&bad=%zz&flag");
        assert_eq!(q["EIO"], "4");
        assert_eq!(q["a"], json!(["1", "2", "3"]));
        assert_eq!(q["n"], "x y z");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(q["flag"], "");
    }

    #[test]
    fn counts_are_per_second_and_taken_once() {
        fn clock() -> SystemTime {
            UNIX_EPOCH + std::time::Duration::from_millis(5_500)
        }
        let mut tap = AdminTap::new("/admin", false, clock);
        tap.count(Counter::PacketsIn, 1);
        tap.count(Counter::PacketsIn, 1);
        tap.count(Counter::BytesIn, 40);
        let taken = tap.take_counts();
        assert_eq!(
            taken,
            json!([
                {"timestamp": 5000, "type": "packetsIn", "count": 2},
                {"timestamp": 5000, "type": "bytesIn", "count": 40},
            ])
        );
        assert_eq!(tap.take_counts(), json!([]));
    }
}
