//! `ServerCore`: the Rust half of `turbosio.AsyncServer` / `turbosio.Server` (and of the bare Engine.IO servers).
//!
//! Python builds one per server with validated settings. This file holds the constructor, the drain and the verbs:
//! those that only queue frames (`emit`, `ack`, rooms, `disconnect`) serialise under the GIL, then release it for
//! the fan-out, and return at once. The native listen/shutdown lifecycle is in `native.rs`, the relay for the
//! hosted web app in `relay.rs` (pyo3's `multiple-pymethods` lets each file add its own `#[pymethods]` block).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PySet, PyString, PyTuple};

use super::convert;
use super::dispatch::EventQueue;
use super::errors::{os_error, value_error};
use super::hosted::HostedBridge;
use super::msgpack;
use super::parts::ServerParts;
use crate::engine::adapter::Target;
use crate::engine::{EioData, EioSid, EngineConfig, OutboxLimits, Parser, Sid, Transports};
use crate::runtime::runtime;
use crate::server::compression::CompressionConfig;
use crate::server::cors::CorsPolicy;
use crate::server::endpoint::HttpConfig;
use crate::server::handle::EngineHandle;
use crate::server::native::NativeServer;

/// The Rust core of one server.
#[pyclass(frozen, module = "turbosio._core")]
pub struct ServerCore {
    pub(crate) parts: ServerParts,
    /// The native server while listening (`native.rs`).
    pub(crate) native: Mutex<Option<NativeServer>>,
    /// Where the hosted web app's requests wait for Python (`relay.rs`).
    pub(crate) hosted: Arc<HostedBridge>,
    /// The process that created the server (its engine threads live there).
    created_by: u32,
    /// `serializer='msgpack'`: payloads are msgpack both ways.
    msgpack: bool,
}

/// How an emit fans out.
#[derive(Clone, Copy)]
enum Fanout {
    /// To every recipient, and to the other hosts of a fleet.
    Broadcast,
    /// To the sockets of this process only (`ignore_queue=True`).
    Local,
    /// To this process's sockets, each with its own ack id.
    WithAck,
}

fn cors_policy(origins: Option<&Bound<'_, PyAny>>) -> PyResult<CorsPolicy> {
    let Some(origins) = origins.filter(|o| !o.is_none()) else {
        return Ok(CorsPolicy::SameOrigin);
    };
    if let Ok(s) = origins.cast::<PyString>() {
        let s = s.to_cow()?;
        return Ok(if s == "*" {
            CorsPolicy::Any
        } else {
            CorsPolicy::List(vec![s.into_owned()])
        });
    }
    let list: Vec<String> = origins
        .try_iter()
        .map_err(|_| value_error("cors_allowed_origins must be None, '*', a string or a list of strings"))?
        .map(|o| o.and_then(|o| o.extract::<String>()))
        .collect::<PyResult<_>>()
        .map_err(|_| value_error("cors_allowed_origins must be None, '*', a string or a list of strings"))?;
    Ok(if list.is_empty() {
        CorsPolicy::Disabled
    } else {
        CorsPolicy::List(list)
    })
}

/// Longest interval accepted; larger values (a common way to "turn pings off") are clamped, so deadlines
/// computed from them never overflow `Instant`.
const LONGEST_INTERVAL: Duration = Duration::from_secs(365 * 24 * 3600);

fn seconds(name: &str, value: f64) -> PyResult<Duration> {
    if value.is_finite() && value > LONGEST_INTERVAL.as_secs_f64() {
        return Ok(LONGEST_INTERVAL);
    }
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| value_error(format!("{name} must be a positive number of seconds")))
}

/// Room names: a string, or an iterable of strings; other values are named by their `str()`.
fn room_names(value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(vec![s.to_cow()?.into_owned()]);
    }
    if value.cast::<PyList>().is_ok() || value.cast::<PyTuple>().is_ok() || value.cast::<PySet>().is_ok() {
        return value
            .try_iter()?
            .map(|item| Ok(item?.str()?.to_cow()?.into_owned()))
            .collect();
    }
    Ok(vec![value.str()?.to_cow()?.into_owned()])
}

fn sids(value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Sid>> {
    let Some(value) = value.filter(|v| !v.is_none()) else {
        return Ok(Vec::new());
    };
    Ok(room_names(value)?.iter().filter_map(|s| Sid::parse(s)).collect())
}

fn sid(text: &str) -> Option<Sid> {
    Sid::parse(text)
}

fn eio_sid(text: &str) -> Option<EioSid> {
    EioSid::parse(text)
}

impl ServerCore {
    fn encode_event(&self, event: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>) -> PyResult<convert::Encoded> {
        if self.msgpack {
            msgpack::encode_event(event, args)
        } else {
            convert::encode_event(event, args)
        }
    }

    fn encode_args(&self, args: &Bound<'_, PyTuple>) -> PyResult<convert::Encoded> {
        if self.msgpack {
            msgpack::encode_args(args)
        } else {
            convert::encode_args(args)
        }
    }

    fn encode(&self, value: &Bound<'_, PyAny>) -> PyResult<convert::Encoded> {
        if self.msgpack {
            msgpack::encode_value(value)
        } else {
            convert::encode_value(value)
        }
    }

    /// Apply `op` to a socket and each named room, with the GIL released. An unknown sid does nothing, as in
    /// python-socketio.
    fn for_each_room(
        &self,
        py: Python<'_>,
        sid: &str,
        room: &Bound<'_, PyAny>,
        op: impl Fn(&mut crate::engine::Engine, Sid, &str) -> Result<(), crate::engine::socketio::SocketError> + Send + Sync,
    ) -> PyResult<()> {
        let Some(sid) = self::sid(sid) else { return Ok(()) };
        let rooms = room_names(room)?;
        py.detach(|| {
            self.parts.handle.with(|e| {
                for room in &rooms {
                    let _ = op(e, sid, room);
                }
            });
        });
        Ok(())
    }

    fn emit_inner(
        &self,
        py: Python<'_>,
        namespace: &str,
        encoded: &convert::Encoded,
        to: Option<&Bound<'_, PyAny>>,
        skip_sid: Option<&Bound<'_, PyAny>>,
        how: Fanout,
    ) -> PyResult<Vec<(Sid, u64)>> {
        let rooms = match to.filter(|t| !t.is_none()) {
            Some(to) => Some(room_names(to)?),
            None => None,
        };
        let skip = sids(skip_sid)?;
        let handle = &self.parts.handle;
        Ok(py.detach(|| {
            let room_refs: Vec<&str>;
            let target = match &rooms {
                Some(rooms) => {
                    room_refs = rooms.iter().map(String::as_str).collect();
                    Target::Rooms(&room_refs)
                }
                None => Target::All,
            };
            handle.with(|e| match how {
                Fanout::WithAck => e.emit_with_ack(namespace, &encoded.json, &encoded.attachments, target, &skip),
                Fanout::Local => {
                    e.emit_local(namespace, &encoded.json, &encoded.attachments, target, &skip);
                    Vec::new()
                }
                Fanout::Broadcast => {
                    e.emit(namespace, &encoded.json, &encoded.attachments, target, &skip);
                    Vec::new()
                }
            })
        }))
    }
}

#[pymethods]
impl ServerCore {
    #[new]
    #[pyo3(signature = (
        *, ping_interval=25.0, ping_timeout=20.0, max_http_buffer_size=1_000_000, transports=None,
        cors_allowed_origins=None, cors_credentials=true, cookie=None, socketio_path="socket.io", socketio=true,
        max_queue_frames=10_000, max_queue_bytes=16_777_216, allow_upgrades=true, http_compression=true,
        compression_threshold=1024, msgpack=false
    ))]
    #[expect(
        clippy::too_many_arguments,
        clippy::fn_params_excessive_bools,
        reason = "mirrors python-engineio's keyword arguments"
    )]
    fn new(
        ping_interval: f64,
        ping_timeout: f64,
        max_http_buffer_size: usize,
        transports: Option<Vec<String>>,
        cors_allowed_origins: Option<&Bound<'_, PyAny>>,
        cors_credentials: bool,
        cookie: Option<String>,
        socketio_path: &str,
        socketio: bool,
        max_queue_frames: usize,
        max_queue_bytes: usize,
        allow_upgrades: bool,
        http_compression: bool,
        compression_threshold: usize,
        msgpack: bool,
    ) -> PyResult<Self> {
        let transports = match transports {
            None => Transports::default(),
            Some(list) => {
                if list.is_empty() || list.iter().any(|t| t != "polling" && t != "websocket") {
                    return Err(value_error(
                        "transports must be a non-empty list of 'polling' and 'websocket'",
                    ));
                }
                Transports {
                    polling: list.iter().any(|t| t == "polling"),
                    websocket: list.iter().any(|t| t == "websocket"),
                }
            }
        };
        let transports = if allow_upgrades || !transports.polling {
            transports
        } else {
            Transports {
                websocket: false,
                ..transports
            }
        };
        if max_http_buffer_size == 0 {
            return Err(value_error("max_http_buffer_size must be positive"));
        }
        let config = EngineConfig {
            ping_interval: seconds("ping_interval", ping_interval)?,
            ping_timeout: seconds("ping_timeout", ping_timeout)?,
            max_payload: max_http_buffer_size,
            transports,
            outbox: OutboxLimits {
                max_frames: max_queue_frames.max(16),
                max_bytes: max_queue_bytes.max(1024),
            },
            socketio,
            parser: if msgpack { Parser::MsgPack } else { Parser::Json },
            ..EngineConfig::default()
        };
        let path = format!("/{}/", socketio_path.trim_matches('/'));
        let http = HttpConfig {
            path,
            cors: cors_policy(cors_allowed_origins)?,
            cors_credentials,
            cookie,
            compression: CompressionConfig {
                enabled: http_compression,
                threshold: compression_threshold,
            },
            metrics_path: None,
        };
        let runtime = runtime().map_err(os_error)?;
        let queue = EventQueue::new(Some(runtime)).map_err(os_error)?;
        if msgpack {
            queue.use_msgpack();
        }
        let handle = EngineHandle::new(config, queue.clone());
        handle.start_timer(runtime);
        let hosted = HostedBridge::new(queue.clone());
        Ok(Self {
            parts: ServerParts { handle, queue, http },
            native: Mutex::new(None),
            hosted,
            created_by: std::process::id(),
            msgpack,
        })
    }

    /// Whether this process is a `fork()` child of the one that created the server: the server's threads stayed
    /// in the parent, so it cannot serve here (Python refuses with a clear error rather than stall).
    fn forked(&self) -> bool {
        std::process::id() != self.created_by
    }

    /// The descriptor that becomes readable when `drain()` has something.
    fn wake_fd(&self) -> i32 {
        self.parts.queue.wake_fd()
    }

    /// Take every pending event as a list of tuples.
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.parts.queue.drain(py)
    }

    /// Events waiting (for tests and monitoring).
    fn pending(&self) -> usize {
        self.parts.queue.len()
    }

    /// Accept a connecting socket; False when it is gone (the client left while its connect handler ran).
    fn accept(&self, py: Python<'_>, sid: &str) -> bool {
        let Some(sid) = self::sid(sid) else { return false };
        py.detach(|| self.parts.handle.with(|e| e.accept(sid).is_ok()))
    }

    /// Refuse a connecting socket with a `CONNECT_ERROR` carrying `message` and optional `data`.
    #[pyo3(signature = (sid, message, data=None))]
    fn refuse(&self, py: Python<'_>, sid: &str, message: &str, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let Some(sid) = self::sid(sid) else { return Ok(()) };
        let data = match data.filter(|d| !d.is_none()) {
            Some(d) => Some(self.encode(d)?.json),
            None => None,
        };
        py.detach(|| self.parts.handle.with(|e| e.refuse(sid, message, data.as_deref()).ok()));
        Ok(())
    }

    /// Emit `event` with `args` to a namespace, a room or list of rooms, or sids, minus `skip_sid`; with
    /// `local_only`, to this process's sockets only (nothing is published to a fleet).
    #[pyo3(signature = (namespace, event, args, to=None, skip_sid=None, local_only=false))]
    #[expect(clippy::too_many_arguments, reason = "python-socketio's emit arguments")]
    fn emit(
        &self,
        py: Python<'_>,
        namespace: &str,
        event: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        to: Option<&Bound<'_, PyAny>>,
        skip_sid: Option<&Bound<'_, PyAny>>,
        local_only: bool,
    ) -> PyResult<()> {
        let encoded = self.encode_event(event, args)?;
        let how = if local_only { Fanout::Local } else { Fanout::Broadcast };
        self.emit_inner(py, namespace, &encoded, to, skip_sid, how)?;
        Ok(())
    }

    /// Like `emit`, each recipient with its own ack id; returns `[(sid, ack_id), ...]`.
    #[pyo3(signature = (namespace, event, args, to=None, skip_sid=None))]
    fn emit_with_ack(
        &self,
        py: Python<'_>,
        namespace: &str,
        event: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        to: Option<&Bound<'_, PyAny>>,
        skip_sid: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<(String, u64)>> {
        let encoded = self.encode_event(event, args)?;
        let sent = self.emit_inner(py, namespace, &encoded, to, skip_sid, Fanout::WithAck)?;
        Ok(sent.into_iter().map(|(sid, id)| (sid.to_string(), id)).collect())
    }

    /// Answer a client's event that carried an ack id.
    fn ack(&self, py: Python<'_>, sid: &str, namespace: &str, ack_id: u64, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let Some(sid) = self::sid(sid) else { return Ok(()) };
        let encoded = self.encode_args(args)?;
        py.detach(|| {
            self.parts
                .handle
                .with(|e| e.ack(sid, namespace, ack_id, &encoded.json, &encoded.attachments).ok())
        });
        Ok(())
    }

    /// Disconnect a socket from its namespace; False if it was not connected.
    fn disconnect(&self, py: Python<'_>, sid: &str, namespace: &str) -> bool {
        let Some(sid) = self::sid(sid) else { return false };
        py.detach(|| self.parts.handle.with(|e| e.disconnect(sid, namespace).is_ok()))
    }

    /// Put a socket in a room (or each room of a list).
    fn enter_room(&self, py: Python<'_>, sid: &str, namespace: &str, room: &Bound<'_, PyAny>) -> PyResult<()> {
        self.for_each_room(py, sid, room, |e, sid, room| e.join(sid, namespace, room))
    }

    /// Take a socket out of a room (or each room of a list).
    fn leave_room(&self, py: Python<'_>, sid: &str, namespace: &str, room: &Bound<'_, PyAny>) -> PyResult<()> {
        self.for_each_room(py, sid, room, |e, sid, room| e.leave(sid, namespace, room))
    }

    /// Empty a room.
    fn close_room(&self, py: Python<'_>, namespace: &str, room: &Bound<'_, PyAny>) -> PyResult<()> {
        let rooms = room_names(room)?;
        py.detach(|| {
            self.parts
                .handle
                .with(|e| rooms.iter().for_each(|room| e.close_room(namespace, room)));
        });
        Ok(())
    }

    /// The rooms of a socket, its own sid first.
    fn rooms(&self, py: Python<'_>, sid: &str, namespace: &str) -> Vec<String> {
        let Some(sid) = self::sid(sid) else { return Vec::new() };
        py.detach(|| {
            self.parts
                .handle
                .with(|e| e.rooms(sid, namespace).iter().map(ToString::to_string).collect())
        })
    }

    /// The transport of an Engine.IO session (`'polling'` or `'websocket'`), None if unknown.
    fn transport(&self, eio_sid: &str) -> Option<&'static str> {
        let eio_sid = self::eio_sid(eio_sid)?;
        self.parts
            .handle
            .with(|e| e.transport(eio_sid).map(crate::engine::Transport::as_str))
    }

    /// Send a bare Engine.IO message (str or bytes).
    fn eio_send(&self, py: Python<'_>, eio_sid: &str, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        let Some(eio_sid) = self::eio_sid(eio_sid) else {
            return Ok(false);
        };
        let data = if let Ok(s) = data.cast::<PyString>() {
            EioData::Text(Bytes::from(s.to_cow()?.into_owned()))
        } else if let Ok(b) = data.cast::<PyBytes>() {
            EioData::Binary(Bytes::copy_from_slice(b.as_bytes()))
        } else {
            return Err(value_error("data must be str or bytes"));
        };
        Ok(py.detach(|| self.parts.handle.with(|e| e.eio_send(eio_sid, data).is_ok())))
    }

    /// Close an Engine.IO session (its sockets disconnect with reason 'server disconnect').
    fn eio_close(&self, py: Python<'_>, eio_sid: &str) {
        let Some(eio_sid) = self::eio_sid(eio_sid) else { return };
        py.detach(|| {
            self.parts
                .handle
                .with(|e| e.close(eio_sid, crate::engine::DisconnectReason::ServerDisconnect, true));
        });
    }

    /// The external driver for this server (used when an ASGI or WSGI server serves it).
    fn external_driver(&self) -> super::external::ExternalDriverCore {
        super::external::ExternalDriverCore::new(self.parts.clone())
    }
}
