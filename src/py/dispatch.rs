//! The one road from the engine up to Python: a queue of events and a wake-up pipe.
//!
//! Tokio threads (and Python threads inside `detach`) push engine events here without the GIL. The first push after
//! a drain writes one byte to a socket pair; the Python side watches the other end (`loop.add_reader` for asyncio,
//! a `select` in a thread for the sync server) and drains the whole burst with one call, under one attach. So
//! Python is woken once per burst, not once per event, and no tokio thread ever takes the GIL.
//!
//! Transports driven from Python (the external driver, under ASGI or WSGI servers) wait on outboxes through a [`PyWaker`]: waking it queues a
//! `Wake(token)` item here, which the drain hands to Python like any event.

use std::io::Write;
use std::io::{PipeReader, PipeWriter};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::task::Wake;

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};
use tokio::sync::Notify;

use super::convert;
use super::kinds as kind;
use crate::engine::{EioData, Event, EventSink, RequestInfo, Transport};
use crate::server::hosted::{BodyPiece, HostedRequest, HostedWebSocketData};

enum Item {
    Engine(Event),
    Wake(u64),
    Http(u64, Box<HostedRequest>),
    WebSocket(u64, Box<HostedRequest>),
    WebSocketMessage(u64, HostedWebSocketData),
    WebSocketGone(u64, u16),
    HttpBody(u64, BodyPiece),
    PubSub(Vec<u8>),
    PubSubLog(bool, String),
}

/// The queue between the engine and Python.
pub struct EventQueue {
    items: Mutex<Vec<Item>>,
    /// Payload bytes of the messages in `items` (see [`HIGH_WATER_BYTES`]).
    bytes: AtomicUsize,
    /// Drivers waiting for the queue to fall below [`HIGH_WATER`].
    blocked: Mutex<Vec<std::task::Waker>>,
    armed: AtomicBool,
    /// Set when a push armed the queue and the wake-up byte still has to be written.
    wake_due: AtomicBool,
    next_token: AtomicU64,
    wake_tx: PipeWriter,
    /// Python sets it non-blocking and watches it. A blocking write end is safe: at most one byte is ever unread
    /// (see `armed`), far below a pipe's capacity.
    wake_rx: PipeReader,
    /// When set, `flush` asks a runtime task to write the wake-up byte at the end of the runtime's current tick
    /// instead of writing it at once (see [`EventQueue::new`]).
    coalescer: Option<Arc<Notify>>,
    /// Whether Socket.IO payloads are msgpack (`serializer='msgpack'`) rather than JSON.
    msgpack: AtomicBool,
}

impl EventQueue {
    /// An empty queue with its wake-up pipe. With a `runtime`, wake-ups are coalesced per runtime tick.
    ///
    /// perf (bench echo): written as soon as the first event of a burst is queued, the wake-up byte made the
    /// kernel switch to the Python thread after every frame on a one-core server (19.8k switches/s), so Python
    /// drained bursts of one. A task on the runtime now writes it after a `yield_now`, that is once the I/O that
    /// is ready in this tick has been read, so Python wakes once for all of it.
    pub fn new(runtime: Option<&tokio::runtime::Runtime>) -> std::io::Result<Arc<Self>> {
        // perf (bench echo): a pipe is cheaper to signal through than a socket pair.
        let (wake_rx, wake_tx) = std::io::pipe()?;
        let coalescer = runtime.map(|_| Arc::new(Notify::new()));
        let queue = Arc::new(Self {
            items: Mutex::new(Vec::new()),
            bytes: AtomicUsize::new(0),
            blocked: Mutex::new(Vec::new()),
            armed: AtomicBool::new(false),
            wake_due: AtomicBool::new(false),
            next_token: AtomicU64::new(1),
            wake_tx,
            wake_rx,
            coalescer: coalescer.clone(),
            msgpack: AtomicBool::new(false),
        });
        if let (Some(runtime), Some(signal)) = (runtime, coalescer) {
            let weak = Arc::downgrade(&queue);
            runtime.spawn(async move {
                loop {
                    signal.notified().await;
                    tokio::task::yield_now().await;
                    let Some(queue) = weak.upgrade() else { return };
                    queue.write_wake();
                }
            });
        }
        Ok(queue)
    }

    /// Parse Socket.IO payloads as msgpack from now on (set once, before the server serves).
    pub fn use_msgpack(&self) {
        self.msgpack.store(true, Ordering::Relaxed);
    }

    /// The descriptor Python watches for readability.
    pub fn wake_fd(&self) -> i32 {
        self.wake_rx.as_raw_fd()
    }

    fn push_item(&self, item: Item) {
        let weight = item.payload_len();
        {
            // Counted under the items' lock, so that `take` zeroes exactly the bytes it takes.
            let mut items = self.items.lock();
            if weight > 0 {
                self.bytes.fetch_add(weight, Ordering::Relaxed);
            }
            items.push(item);
        }
        if !self.armed.swap(true, Ordering::AcqRel) {
            // The byte is written by `flush`, outside the engine's lock.
            self.wake_due.store(true, Ordering::Release);
        }
    }

    fn write_wake(&self) {
        if self.wake_due.swap(false, Ordering::AcqRel) {
            // A full pipe already means "wake up", so a failed write loses nothing.
            let _ = (&self.wake_tx).write(&[1]);
        }
    }

    fn take(&self) -> Vec<Item> {
        // Disarm before taking: a push racing with this either lands in this batch or writes a fresh byte.
        self.armed.store(false, Ordering::Release);
        let items = {
            let mut items = self.items.lock();
            self.bytes.store(0, Ordering::Relaxed);
            std::mem::take(&mut *items)
        };
        for waker in self.blocked.lock().drain(..) {
            waker.wake();
        }
        items
    }

    /// Items waiting now.
    pub fn len(&self) -> usize {
        self.items.lock().len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.lock().is_empty()
    }

    /// A token no other waiter on this queue has.
    pub fn next_token(&self) -> u64 {
        self.next_token.fetch_add(1, Ordering::Relaxed)
    }

    /// Queue a request for the hosted web app and signal Python (this runs on a tokio thread, outside the engine).
    pub fn push_http(&self, token: u64, request: HostedRequest) {
        self.push_item(Item::Http(token, Box::new(request)));
        self.flush();
    }

    /// Queue a piece of a hosted web-app request's body.
    pub fn push_http_body(&self, token: u64, piece: BodyPiece) {
        self.push_item(Item::HttpBody(token, piece));
        self.flush();
    }

    /// Queue a WebSocket request for the hosted web app.
    pub fn push_websocket(&self, token: u64, request: HostedRequest) {
        self.push_item(Item::WebSocket(token, Box::new(request)));
        self.flush();
    }

    /// Queue a message that arrived on one of the web app's WebSocket connections.
    pub fn push_websocket_message(&self, token: u64, data: HostedWebSocketData) {
        self.push_item(Item::WebSocketMessage(token, data));
        self.flush();
    }

    /// A pub/sub message the engine left to Python (`PUBSUB`).
    pub fn push_pubsub(&self, message: Vec<u8>) {
        self.push_item(Item::PubSub(message));
        self.flush();
    }

    /// News from the pub/sub driver for the manager's log (`PUBSUB_LOG`).
    pub fn push_pubsub_log(&self, warning: bool, message: String) {
        self.push_item(Item::PubSubLog(warning, message));
        self.flush();
    }

    /// Queue the end of one of the web app's WebSocket connections.
    pub fn push_websocket_gone(&self, token: u64, code: u16) {
        self.push_item(Item::WebSocketGone(token, code));
        self.flush();
    }

    /// A waker that queues `Wake(token)`.
    pub fn waker(self: &Arc<Self>, token: u64) -> std::task::Waker {
        std::task::Waker::from(Arc::new(PyWaker {
            queue: Arc::downgrade(self),
            token,
        }))
    }

    /// Take every queued item and turn it into Python tuples. Payloads are parsed here, on the Python thread.
    pub fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let items = self.take();
        let out = PyList::empty(py);
        let msgpack = self.msgpack.load(Ordering::Relaxed);
        for item in items {
            match to_python(py, item, msgpack) {
                Ok(tuple) => out.append(tuple)?,
                Err(err) => {
                    let message = format!("dropped a packet that could not be converted: {err}");
                    out.append((kind::WARNING, message))?;
                }
            }
        }
        Ok(out)
    }
}

/// Events queued before drivers stop reading from clients until Python catches up.
const HIGH_WATER: usize = 10_000;
/// Message bytes queued before drivers stop reading: with large messages, the count alone would let the queue hold
/// `HIGH_WATER` times `max_http_buffer_size`.
const HIGH_WATER_BYTES: usize = 8 * 1024 * 1024;

impl Item {
    /// The bytes a client sent that this item holds (messages only; the rest is small and bounded by count).
    fn payload_len(&self) -> usize {
        match self {
            Self::Engine(Event::Message { data, attachments, .. } | Event::Ack { data, attachments, .. }) => {
                data.len() + attachments.iter().map(Bytes::len).sum::<usize>()
            }
            Self::Engine(Event::EioMessage {
                data: EioData::Text(data) | EioData::Binary(data),
                ..
            }) => data.len(),
            _ => 0,
        }
    }
}

impl EventQueue {
    fn is_below_high_water(&self) -> bool {
        self.items.lock().len() < HIGH_WATER && self.bytes.load(Ordering::Relaxed) < HIGH_WATER_BYTES
    }
}

impl Drop for EventQueue {
    fn drop(&mut self) {
        // Let the coalescing task see that the queue is gone and end.
        if let Some(signal) = &self.coalescer {
            signal.notify_one();
        }
    }
}

impl EventSink for EventQueue {
    fn push(&self, event: Event) {
        self.push_item(Item::Engine(event));
    }

    fn flush(&self) {
        if !self.wake_due.load(Ordering::Acquire) {
            return;
        }
        match &self.coalescer {
            Some(signal) => signal.notify_one(),
            None => self.write_wake(),
        }
    }

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if self.is_below_high_water() {
            return std::task::Poll::Ready(());
        }
        self.blocked.lock().push(cx.waker().clone());
        // A drain between the length check and the registration already emptied the queue: look again.
        if self.is_below_high_water() {
            return std::task::Poll::Ready(());
        }
        std::task::Poll::Pending
    }
}

struct PyWaker {
    queue: Weak<EventQueue>,
    token: u64,
}

impl Wake for PyWaker {
    fn wake(self: Arc<Self>) {
        if let Some(queue) = self.queue.upgrade() {
            queue.push_item(Item::Wake(self.token));
            queue.flush();
        }
    }
}

fn request_tuple<'py>(py: Python<'py>, request: Option<&RequestInfo>) -> PyResult<Bound<'py, PyAny>> {
    let Some(r) = request else {
        return Ok(py.None().into_bound(py));
    };
    let (host, port) = r
        .remote_addr
        .map_or((String::new(), 0), |a| (a.ip().to_string(), a.port()));
    Ok((
        r.method.as_str(),
        r.path.as_str(),
        r.query.as_str(),
        r.headers.clone(),
        host,
        port,
        r.secure,
    )
        .into_pyobject(py)?
        .into_any())
}

fn http_tuple(py: Python<'_>, kind: u8, token: u64, r: HostedRequest) -> PyResult<Bound<'_, PyTuple>> {
    let headers = PyList::empty(py);
    for (name, value) in &r.headers {
        headers.append((
            pyo3::types::PyBytes::new(py, name),
            pyo3::types::PyBytes::new(py, value),
        ))?;
    }
    let (host, port) = r.remote.map_or((String::new(), 0), |a| (a.ip().to_string(), a.port()));
    let head = (kind, token, r.method, r.path, r.raw_path, r.query);
    let tail = (
        headers,
        pyo3::types::PyBytes::new(py, &r.body),
        host,
        port,
        r.more_body,
        r.secure,
    );
    let items: Vec<Bound<'_, PyAny>> = head
        .into_pyobject(py)?
        .iter()
        .chain(tail.into_pyobject(py)?.iter())
        .collect();
    PyTuple::new(py, items)
}

/// Split a decoded `[event, *args]` list into its name and arguments.
fn split_event<'py>(list: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyAny>)> {
    let list = list.cast::<PyList>()?;
    let event = list.get_item(0)?;
    let args = list.get_slice(1, list.len());
    Ok((event, args.into_any()))
}

/// Parse a Socket.IO payload (JSON with its attachments, or msgpack) into Python objects.
fn payload<'py>(py: Python<'py>, data: &[u8], attachments: &[Bytes], msgpack: bool) -> PyResult<Bound<'py, PyAny>> {
    if msgpack {
        super::msgpack::decode(py, data)
    } else {
        convert::decode(py, data, attachments)
    }
}

fn to_python(py: Python<'_>, item: Item, msgpack: bool) -> PyResult<Bound<'_, PyTuple>> {
    let event = match item {
        Item::Wake(token) => return (kind::WAKE, token).into_pyobject(py),
        Item::Http(token, request) => return http_tuple(py, kind::HTTP, token, *request),
        Item::WebSocket(token, request) => return http_tuple(py, kind::WEBSOCKET, token, *request),
        Item::WebSocketMessage(token, HostedWebSocketData::Text(text)) => {
            return (kind::WEBSOCKET_MESSAGE, token, text).into_pyobject(py);
        }
        Item::WebSocketMessage(token, HostedWebSocketData::Binary(data)) => {
            return (kind::WEBSOCKET_MESSAGE, token, pyo3::types::PyBytes::new(py, &data)).into_pyobject(py);
        }
        Item::WebSocketGone(token, code) => return (kind::WEBSOCKET_GONE, token, code).into_pyobject(py),
        Item::HttpBody(token, piece) => {
            let (data, state) = match piece {
                BodyPiece::Data(data) => (data, kind::BODY_MORE),
                BodyPiece::End => (bytes::Bytes::new(), kind::BODY_END),
                BodyPiece::Broken => (bytes::Bytes::new(), kind::BODY_BROKEN),
            };
            return (kind::HTTP_BODY, token, pyo3::types::PyBytes::new(py, &data), state).into_pyobject(py);
        }
        Item::PubSub(message) => return (kind::PUBSUB, PyBytes::new(py, &message)).into_pyobject(py),
        Item::PubSubLog(warning, message) => return (kind::PUBSUB_LOG, warning, message).into_pyobject(py),
        Item::Engine(event) => event,
    };
    let tuple = match event {
        Event::EioConnect {
            eio_sid,
            transport,
            request,
        } => {
            let request = request_tuple(py, request.as_deref())?;
            (kind::EIO_CONNECT, eio_sid.as_str(), transport.as_str(), request).into_pyobject(py)?
        }
        Event::EioMessage { eio_sid, data } => {
            let data = match data {
                EioData::Text(text) => PyString::new(py, &String::from_utf8_lossy(&text)).into_any(),
                EioData::Binary(bin) => pyo3::types::PyBytes::new(py, &bin).into_any(),
            };
            (kind::EIO_MESSAGE, eio_sid.as_str(), data).into_pyobject(py)?
        }
        Event::EioDisconnect { eio_sid, reason } => {
            (kind::EIO_DISCONNECT, eio_sid.as_str(), reason.as_str()).into_pyobject(py)?
        }
        Event::Connect {
            eio_sid,
            sid,
            namespace,
            auth,
        } => {
            let auth = match auth {
                Some(json) => payload(py, &json, &[], msgpack)?,
                None => py.None().into_bound(py),
            };
            (kind::CONNECT, eio_sid.as_str(), sid.as_str(), &*namespace, auth).into_pyobject(py)?
        }
        Event::Message {
            sid,
            namespace,
            data,
            ack_id,
            attachments,
        } => {
            let (event, args) = split_event(&payload(py, &data, &attachments, msgpack)?)?;
            (kind::EVENT, sid.as_str(), &*namespace, event, args, ack_id).into_pyobject(py)?
        }
        Event::Ack {
            sid,
            namespace,
            ack_id,
            data,
            attachments,
        } => {
            let args = payload(py, &data, &attachments, msgpack)?;
            (kind::ACK, sid.as_str(), &*namespace, ack_id, args).into_pyobject(py)?
        }
        Event::Disconnect {
            sid,
            namespace,
            reason,
            transport,
        } => (
            kind::DISCONNECT,
            sid.as_str(),
            &*namespace,
            reason.as_str(),
            transport.map(Transport::as_str),
        )
            .into_pyobject(py)?,
        Event::Warning { message } => (kind::WARNING, message).into_pyobject(py)?,
    };
    Ok(tuple)
}

#[cfg(test)]
mod tests {
    use std::task::{Context, Poll, Waker};

    use super::*;
    use crate::engine::{DisconnectReason, EioSid};

    struct CountingWaker(AtomicUsize);
    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn a_few_large_messages_hold_drivers_back_as_many_small_events_do() {
        let queue = EventQueue::new(None).unwrap();
        let waker = Waker::noop();
        let mut cx = Context::from_waker(waker);
        let big = Bytes::from(vec![b'x'; HIGH_WATER_BYTES / 4]);
        for _ in 0..4 {
            assert_eq!(queue.poll_ready(&mut cx), Poll::Ready(()));
            queue.push(Event::EioMessage {
                eio_sid: EioSid::random(),
                data: EioData::Binary(big.clone()),
            });
        }
        assert_eq!(queue.poll_ready(&mut cx), Poll::Pending);
        assert_eq!(queue.take().len(), 4);
        assert_eq!(queue.poll_ready(&mut cx), Poll::Ready(()));
    }

    #[test]
    fn a_full_queue_holds_drivers_back_until_drained_and_wakes_python_once() {
        let queue = EventQueue::new(None).unwrap();
        let counter = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(counter.clone());
        let mut cx = Context::from_waker(&waker);
        assert_eq!(queue.poll_ready(&mut cx), Poll::Ready(()));
        for _ in 0..HIGH_WATER {
            queue.push(Event::EioDisconnect {
                eio_sid: EioSid::random(),
                reason: DisconnectReason::TransportClose,
            });
        }
        assert_eq!(queue.poll_ready(&mut cx), Poll::Pending);
        queue.flush();
        queue.flush();
        // One byte for the whole burst.
        let mut buf = [0u8; 16];
        assert_eq!(std::io::Read::read(&mut &queue.wake_rx, &mut buf).unwrap(), 1);
        assert_eq!(queue.take().len(), HIGH_WATER);
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
        assert_eq!(queue.poll_ready(&mut cx), Poll::Ready(()));
    }
}
