//! `ClientHubCore` and `ClientCore`: the Rust half of `turbosio.Client` / `turbosio.AsyncClient`.
//!
//! Many clients in one process share one hub: its queue takes every client's events on tokio threads without the
//! GIL, and one byte on one pipe wakes the consumer (an asyncio loop's reader, or the threaded clients' pump) once
//! per burst; the drain turns the whole burst into tuples tagged with the client id under one attach. So a
//! thousand `AsyncClient`s on one loop cost one pipe and one reader. `ClientCore` holds one client's connection:
//! its verbs serialise under the GIL, then let go of it before touching the engine.

use std::io::{PipeReader, PipeWriter, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::convert;
use super::errors::{os_error, value_error};
use super::kinds as kind;
use crate::client::engine::Limits;
use crate::client::stream::TlsOptions;
use crate::client::tls::Verify;
use crate::client::{ClientEvent, ClientSink, ConnectOptions, Connection, Schedule, Target};
use crate::runtime::runtime;

/// Events queued before the drivers stop reading from their servers until Python catches up.
const HIGH_WATER: usize = 10_000;

/// Every client's events, waiting for the consumer.
struct HubQueue {
    /// (client id, whether its payloads are msgpack, event).
    items: Mutex<Vec<(u64, bool, ClientEvent)>>,
    /// Drivers waiting for the queue to fall below [`HIGH_WATER`].
    blocked: Mutex<Vec<std::task::Waker>>,
    /// Set when a wake-up byte is unread; cleared by the drain.
    armed: AtomicBool,
    wake_tx: PipeWriter,
    wake_rx: PipeReader,
}

/// One client's way into its hub: each event is tagged with how that client's payloads are encoded.
struct HubSink {
    queue: Arc<HubQueue>,
    /// `serializer='msgpack'`.
    msgpack: bool,
}

impl ClientSink for HubSink {
    fn push(&self, client: u64, event: ClientEvent) {
        self.queue.items.lock().push((client, self.msgpack, event));
    }

    fn flush(&self) {
        self.queue.flush();
    }

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        self.queue.poll_ready(cx)
    }
}

impl HubQueue {
    fn new(wake_rx: PipeReader, wake_tx: PipeWriter) -> Self {
        HubQueue {
            items: Mutex::new(Vec::new()),
            blocked: Mutex::new(Vec::new()),
            armed: AtomicBool::new(false),
            wake_tx,
            wake_rx,
        }
    }

    fn flush(&self) {
        if !self.armed.swap(true, Ordering::AcqRel) {
            // A full pipe already means "wake up", so a failed write loses nothing.
            let _ = (&self.wake_tx).write(&[1]);
        }
    }

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.items.lock().len() < HIGH_WATER {
            return std::task::Poll::Ready(());
        }
        self.blocked.lock().push(cx.waker().clone());
        // A drain between the check and the registration already emptied the queue: look again.
        if self.items.lock().len() < HIGH_WATER {
            return std::task::Poll::Ready(());
        }
        std::task::Poll::Pending
    }
}

/// The shared event queue of a group of clients (one per asyncio loop, one for all threaded clients).
#[pyclass(frozen, module = "turbosio._core")]
pub struct ClientHubCore {
    queue: Arc<HubQueue>,
}

// Every method returns PyResult, even the infallible ones, so no later change can let a panic reach Python unseen.
/// `ssl_verify` as Python passes it: a flag, or the path of a CA bundle (as `requests`' `verify=path`).
#[derive(FromPyObject)]
enum SslVerify {
    Flag(bool),
    CaBundle(PathBuf),
}

impl From<SslVerify> for Verify {
    fn from(value: SslVerify) -> Self {
        match value {
            SslVerify::Flag(true) => Verify::SystemRoots,
            SslVerify::Flag(false) => Verify::Nothing,
            SslVerify::CaBundle(path) => Verify::CaBundle(path),
        }
    }
}

#[pymethods]
#[expect(clippy::unnecessary_wraps, reason = "every binding returns PyResult (house rule)")]
impl ClientHubCore {
    #[new]
    fn new() -> PyResult<Self> {
        let (wake_rx, wake_tx) = std::io::pipe().map_err(os_error)?;
        Ok(ClientHubCore {
            queue: Arc::new(HubQueue::new(wake_rx, wake_tx)),
        })
    }

    /// The descriptor to watch for readability; read it empty, then call `drain`.
    fn wake_fd(&self) -> PyResult<i32> {
        Ok(self.queue.wake_rx.as_raw_fd())
    }

    /// Every queued event as `(kind, client_id, ...)` tuples, in arrival order.
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // Disarm before taking: a push racing with this lands in this batch or writes a fresh byte.
        self.queue.armed.store(false, Ordering::Release);
        let items = std::mem::take(&mut *self.queue.items.lock());
        for waker in self.queue.blocked.lock().drain(..) {
            waker.wake();
        }
        let out = PyList::empty(py);
        for (client, msgpack, event) in items {
            match event_tuple(py, client, event, msgpack) {
                Ok(tuple) => out.append(tuple)?,
                Err(err) => {
                    let message = format!("dropped a packet that could not be converted: {err}");
                    out.append((kind::CLIENT_WARNING, client, message))?;
                }
            }
        }
        Ok(out)
    }
}

/// Parse a payload (JSON with its attachments, or msgpack) into Python objects.
fn payload<'py>(py: Python<'py>, data: &[u8], attachments: &[Bytes], msgpack: bool) -> PyResult<Bound<'py, PyAny>> {
    if msgpack {
        super::msgpack::decode(py, data)
    } else {
        convert::decode(py, data, attachments)
    }
}

fn event_tuple(py: Python<'_>, client: u64, event: ClientEvent, msgpack: bool) -> PyResult<Bound<'_, PyTuple>> {
    Ok(match event {
        ClientEvent::Open { eio_sid, transport } => {
            (kind::CLIENT_OPEN, client, eio_sid, transport).into_pyobject(py)?
        }
        ClientEvent::Failed { message } => (kind::CLIENT_FAILED, client, message).into_pyobject(py)?,
        ClientEvent::Connect { namespace, sid } => (kind::CLIENT_CONNECT, client, namespace, sid).into_pyobject(py)?,
        ClientEvent::ConnectError { namespace, data } => {
            let data = match data {
                Some(json) => payload(py, &json, &[], msgpack)?,
                None => py.None().into_bound(py),
            };
            (kind::CLIENT_CONNECT_ERROR, client, namespace, data).into_pyobject(py)?
        }
        ClientEvent::Event {
            namespace,
            data,
            attachments,
            ack_id,
        } => {
            let list = payload(py, &data, &attachments, msgpack)?;
            let list = list.cast::<PyList>()?;
            let event = list.get_item(0)?;
            let args = list.get_slice(1, list.len());
            (kind::CLIENT_EVENT, client, namespace, event, args, ack_id).into_pyobject(py)?
        }
        ClientEvent::Ack {
            namespace,
            ack_id,
            data,
            attachments,
        } => {
            let args = payload(py, &data, &attachments, msgpack)?;
            (kind::CLIENT_ACK, client, namespace, ack_id, args).into_pyobject(py)?
        }
        ClientEvent::Disconnect { namespace } => (kind::CLIENT_DISCONNECT, client, namespace).into_pyobject(py)?,
        ClientEvent::Closed { reason } => (kind::CLIENT_CLOSE, client, reason.as_str()).into_pyobject(py)?,
        ClientEvent::Warning { message } => (kind::CLIENT_WARNING, client, message).into_pyobject(py)?,
    })
}

static NEXT_CLIENT: AtomicU64 = AtomicU64::new(1);

/// The Rust core of one client: its current connection and its reconnection schedule.
#[pyclass(frozen, module = "turbosio._core")]
pub struct ClientCore {
    id: u64,
    /// Where the next connection's events go (an asyncio client moves to its loop's hub when it connects).
    hub: Mutex<Arc<HubQueue>>,
    connection: Mutex<Option<Arc<Connection>>>,
    schedule: Mutex<Option<Schedule>>,
    /// `serializer='msgpack'`.
    msgpack: bool,
}

impl ClientCore {
    fn connection(&self) -> Option<Arc<Connection>> {
        self.connection.lock().clone()
    }
}

impl Drop for ClientCore {
    fn drop(&mut self) {
        // A client Python forgot must not keep its connection open.
        if let Some(connection) = self.connection.get_mut().take() {
            connection.with(crate::client::ClientEngine::close);
        }
    }
}

fn auth_json(auth: Option<&Bound<'_, PyAny>>, msgpack: bool) -> PyResult<Option<Bytes>> {
    match auth.filter(|a| !a.is_none()) {
        None => Ok(None),
        Some(auth) => {
            let encoded = if msgpack {
                super::msgpack::encode_value(auth)?
            } else {
                convert::encode_value(auth)?
            };
            if !encoded.attachments.is_empty() {
                return Err(value_error("auth cannot hold binary data"));
            }
            Ok(Some(Bytes::from(encoded.json)))
        }
    }
}

#[pymethods]
#[expect(clippy::unnecessary_wraps, reason = "every binding returns PyResult (house rule)")]
impl ClientCore {
    #[new]
    #[pyo3(signature = (hub, msgpack=false))]
    fn new(hub: &ClientHubCore, msgpack: bool) -> PyResult<Self> {
        Ok(ClientCore {
            id: NEXT_CLIENT.fetch_add(1, Ordering::Relaxed),
            hub: Mutex::new(hub.queue.clone()),
            connection: Mutex::new(None),
            schedule: Mutex::new(None),
            msgpack,
        })
    }

    /// The id that tags this client's items in the hub's drain.
    #[getter]
    fn id(&self) -> PyResult<u64> {
        Ok(self.id)
    }

    /// Send the events of later connections to `hub`.
    fn use_hub(&self, hub: &ClientHubCore) -> PyResult<()> {
        *self.hub.lock() = hub.queue.clone();
        Ok(())
    }

    /// Start connecting; the outcome arrives as `CLIENT_OPEN` or `CLIENT_FAILED`. Any previous connection is closed.
    #[pyo3(signature = (url, headers, transports, socketio_path, namespaces, auth, request_timeout, ssl_verify))]
    #[expect(
        clippy::too_many_arguments,
        reason = "mirrors python-socketio's connect() parameters"
    )]
    fn connect(
        &self,
        py: Python<'_>,
        url: &str,
        headers: Vec<(String, String)>,
        transports: Vec<String>,
        socketio_path: &str,
        namespaces: Vec<String>,
        auth: Option<&Bound<'_, PyAny>>,
        request_timeout: f64,
        ssl_verify: SslVerify,
    ) -> PyResult<()> {
        let target = Target::parse(url).map_err(value_error)?;
        let polling = transports.iter().any(|t| t == "polling");
        let websocket = transports.iter().any(|t| t == "websocket");
        if !polling && !websocket {
            return Err(value_error("no valid transports provided"));
        }
        let auth = auth_json(auth, self.msgpack)?;
        let request_timeout = Duration::try_from_secs_f64(request_timeout)
            .ok()
            .filter(|d| !d.is_zero())
            .ok_or_else(|| value_error("request_timeout must be a positive number of seconds"))?;
        // Built here, once per attempt: every request and the WebSocket of this attempt share it.
        let tls = py.detach(|| TlsOptions::prepare(&target, ssl_verify.into()))?;
        let options = ConnectOptions {
            target,
            path: socketio_path.to_owned(),
            headers,
            polling,
            websocket,
            request_timeout,
            tls,
            namespaces: namespaces.into_iter().map(|n| (n, auth.clone())).collect(),
            limits: Limits::default(),
            max_message: 100 * 1024 * 1024,
            msgpack: self.msgpack,
        };
        let runtime = runtime().map_err(os_error)?;
        let hub = self.hub.lock().clone();
        let sink: Arc<dyn ClientSink> = Arc::new(HubSink {
            queue: hub,
            msgpack: self.msgpack,
        });
        let id = self.id;
        py.detach(|| {
            let connection = Connection::start(runtime, id, options, sink);
            if let Some(old) = self.connection.lock().replace(connection) {
                old.with(crate::client::ClientEngine::close);
            }
        });
        Ok(())
    }

    /// Queue an event; `id` asks for an ack. False when the namespace is not connected (any more).
    #[pyo3(signature = (namespace, event, args, id=None))]
    fn emit(
        &self,
        py: Python<'_>,
        namespace: &str,
        event: &Bound<'_, PyAny>,
        args: &Bound<'_, PyTuple>,
        id: Option<u64>,
    ) -> PyResult<bool> {
        let encoded = if self.msgpack {
            super::msgpack::encode_event(event, args)?
        } else {
            convert::encode_event(event, args)?
        };
        let Some(connection) = self.connection() else {
            return Ok(false);
        };
        py.detach(
            || match connection.with(|e| e.emit(namespace, &encoded.json, encoded.attachments, id)) {
                Ok(()) => Ok(true),
                Err(crate::client::SendError::QueueFull(bytes)) => {
                    Err(os_error(format!("send queue full: {bytes} bytes wait for the server")))
                }
                Err(_) => Ok(false),
            },
        )
    }

    /// Answer the server's event `id` in `namespace` with `args`.
    fn ack(&self, py: Python<'_>, namespace: &str, id: u64, args: &Bound<'_, PyTuple>) -> PyResult<()> {
        let encoded = if self.msgpack {
            super::msgpack::encode_args(args)?
        } else {
            convert::encode_args(args)?
        };
        if let Some(connection) = self.connection() {
            py.detach(|| connection.with(|e| e.ack(namespace, id, &encoded.json, encoded.attachments)));
        }
        Ok(())
    }

    /// Join one more namespace on the open connection.
    #[pyo3(signature = (namespace, auth=None))]
    fn connect_namespace(&self, py: Python<'_>, namespace: &str, auth: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let auth = auth_json(auth, self.msgpack)?;
        if let Some(connection) = self.connection() {
            py.detach(|| connection.with(|e| e.connect_namespace(namespace, auth)));
        }
        Ok(())
    }

    /// Leave `namespace` (a DISCONNECT packet).
    fn disconnect_namespace(&self, py: Python<'_>, namespace: &str) -> PyResult<()> {
        if let Some(connection) = self.connection() {
            py.detach(|| connection.with(|e| e.disconnect_namespace(namespace)));
        }
        Ok(())
    }

    /// Close the connection (leaving every namespace first); `CLIENT_CLOSE` follows.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(connection) = self.connection() {
            py.detach(|| connection.with(crate::client::ClientEngine::close));
        }
        Ok(())
    }

    /// `'polling'` or `'websocket'` while connected, else None.
    fn transport(&self) -> PyResult<Option<&'static str>> {
        Ok(self
            .connection()
            .and_then(|c| c.read(|e| (!e.is_finished()).then(|| e.transport()))))
    }

    /// Start a run of reconnection attempts with python-socketio's options.
    fn start_reconnecting(&self, delay: f64, delay_max: f64, randomization_factor: f64, attempts: u32) -> PyResult<()> {
        *self.schedule.lock() = Some(Schedule::new(delay, delay_max, randomization_factor, attempts));
        Ok(())
    }

    /// Seconds to wait before the next attempt, or None when the attempts are used up.
    fn next_reconnect_delay(&self) -> PyResult<Option<f64>> {
        let mut schedule = self.schedule.lock();
        Ok(schedule
            .as_mut()
            .and_then(|s| s.next_delay(rand::random::<f64>()))
            .map(|d| d.as_secs_f64()))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::task::{Context, Poll, Waker};

    use super::*;

    #[test]
    fn the_hub_wakes_once_per_burst_and_holds_drivers_back_past_the_high_water_mark() {
        let (wake_rx, wake_tx) = std::io::pipe().unwrap();
        let hub = HubSink {
            queue: Arc::new(HubQueue::new(wake_rx, wake_tx)),
            msgpack: false,
        };
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(hub.poll_ready(&mut cx), Poll::Ready(()));
        for _ in 0..HIGH_WATER {
            hub.push(7, ClientEvent::Warning { message: String::new() });
            hub.flush();
        }
        let mut buf = [0u8; 16];
        assert_eq!(
            (&hub.queue.wake_rx).read(&mut buf).unwrap(),
            1,
            "one byte for the whole burst"
        );
        assert_eq!(hub.poll_ready(&mut cx), Poll::Pending);
        assert_eq!(hub.queue.blocked.lock().len(), 1);
    }
}
