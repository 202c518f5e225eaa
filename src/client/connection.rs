//! The tokio driver of one client connection: handshake, upgrade, the polling or WebSocket loop, heartbeats.
//!
//! One task per connection on the shared runtime. The [`ClientEngine`] sits in a mutex shared with the bindings:
//! whoever changes it (this task with what the server sent, a Python thread with an emit) publishes the events it
//! produced to the [`ClientSink`] while still holding the lock, so events leave in the order they happened, and
//! wakes this task when frames wait. The task owns the sockets and one timer, set to the engine's deadline.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::FutureExt;
use hyper::Method;
use parking_lot::Mutex;
use tokio::sync::Notify;

use super::engine::{ClientEngine, Limits};
use super::event::ClientSink;
use super::polling::{Channel, PollingError};
use super::session::{check_probe_answer, probe_frame, upgrade_frame};
use super::stream::TlsOptions;
use super::target::Target;
use super::websocket::{self, ClientSocket, Incoming};
use crate::protocol::engineio::{Packet, encode_payload};

/// spec: the `maxPayload` a server that does not announce one is taken to have (Node's default, 1 MB).
const DEFAULT_MAX_PAYLOAD: usize = 1_000_000;

/// compat: python-engineio servers refuse a polling body of more than 16 packets (`max_decode_packets`).
const MAX_PACKETS_PER_POST: usize = 16;

/// Bounds of the polling loop, from the handshake.
struct PollLimits {
    /// How long a GET may wait for the server.
    timeout: Duration,
    /// The largest POST body the server accepts.
    max_payload: usize,
}

/// Extra time a long-polling GET may take beyond `pingInterval + pingTimeout` (python-engineio's margin).
const POLL_MARGIN: Duration = Duration::from_secs(5);

/// Everything a connection attempt needs, with the user's callables already evaluated.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// The server.
    pub target: Target,
    /// The Engine.IO path (`socketio_path`).
    pub path: String,
    /// Extra request headers.
    pub headers: Vec<(String, String)>,
    /// Whether long-polling may be used (it opens the session when allowed).
    pub polling: bool,
    /// Whether WebSocket may be used (directly, or by upgrading).
    pub websocket: bool,
    /// How long connecting and each request may take.
    pub request_timeout: Duration,
    /// Certificate checks for `https`/`wss`.
    pub tls: TlsOptions,
    /// The namespaces to join, each with its auth JSON.
    pub namespaces: Vec<(String, Option<Bytes>)>,
    /// Queue and decode bounds.
    pub limits: Limits,
    /// The largest message (WebSocket) or polling body accepted from the server.
    pub max_message: usize,
    /// Speak `socket.io-msgpack-parser`'s format (`serializer='msgpack'`).
    pub msgpack: bool,
}

/// One client connection, shared by its driver task and the bindings.
pub struct Connection {
    id: u64,
    engine: Mutex<ClientEngine>,
    wake: Notify,
    sink: Arc<dyn ClientSink>,
}

impl Connection {
    /// Wait while the layer above is too far behind.
    async fn ready(&self) {
        std::future::poll_fn(|cx| self.sink.poll_ready(cx)).await;
    }

    /// Start connecting on `runtime`; events are pushed to `sink` tagged with `id`.
    pub fn start(
        runtime: &tokio::runtime::Runtime,
        id: u64,
        options: ConnectOptions,
        sink: Arc<dyn ClientSink>,
    ) -> Arc<Connection> {
        let engine = ClientEngine::new(options.namespaces.clone(), options.limits).with_msgpack(options.msgpack);
        let connection = Arc::new(Connection {
            id,
            engine: Mutex::new(engine),
            wake: Notify::new(),
            sink,
        });
        runtime.spawn(run(connection.clone(), options));
        connection
    }

    /// Change the engine from outside the driver (the bindings), then publish what it produced and wake the driver
    /// if there is something to write.
    pub fn with<R>(&self, f: impl FnOnce(&mut ClientEngine) -> R) -> R {
        let mut engine = self.engine.lock();
        let result = f(&mut engine);
        self.publish(&mut engine);
        if engine.has_frames() || engine.is_finished() {
            self.wake.notify_one();
        }
        result
    }

    /// Read the engine without changing it (nothing to publish, nobody to wake).
    pub fn read<R>(&self, f: impl FnOnce(&ClientEngine) -> R) -> R {
        f(&self.engine.lock())
    }

    /// Change the engine from the driver itself: publish events, but never wake the driver, which looks at the
    /// engine again before it waits. (Waking itself while a POST is under way made it spin and starve the
    /// runtime thread that POST needed.)
    fn step<R>(&self, f: impl FnOnce(&mut ClientEngine) -> R) -> R {
        let mut engine = self.engine.lock();
        let result = f(&mut engine);
        self.publish(&mut engine);
        result
    }

    fn publish(&self, engine: &mut ClientEngine) {
        let events = engine.take_events();
        if !events.is_empty() {
            for event in events {
                self.sink.push(self.id, event);
            }
            self.sink.flush();
        }
    }
}

async fn run(connection: Arc<Connection>, options: ConnectOptions) {
    // A panic here ends this connection only, and Python still hears that it ended.
    match AssertUnwindSafe(drive(&connection, &options)).catch_unwind().await {
        Ok(Ok(())) => {}
        Ok(Err(message)) => connection.step(|e| e.fail(&message)),
        Err(_) => connection.step(|e| e.fail("internal error in the client driver")),
    }
    // However the loop ended, the layer above hears that the session is over.
    connection.step(|e| e.fail("the connection ended"));
}

async fn drive(connection: &Connection, o: &ConnectOptions) -> Result<(), String> {
    if !o.polling {
        let url = o.target.websocket_url(&o.path, None);
        let socket = websocket::open(&o.target, &url, &o.tls, &o.headers, o.max_message, o.request_timeout).await?;
        connection.step(|e| e.set_transport("websocket"));
        return websocket_loop(connection, socket, Some(Instant::now() + o.request_timeout)).await;
    }
    let mut get = Channel::new(o.target.clone(), o.tls.clone(), o.headers.clone(), o.max_message);
    let path = o.target.request_path(&o.path, "polling", None);
    let body = get
        .request(Method::GET, &path, Bytes::new(), o.request_timeout)
        .await
        .map_err(describe)?;
    connection.step(|e| e.on_payload(body, Instant::now()));
    let opened = connection.step(|e| {
        let handshake = e.session().handshake().filter(|_| !e.is_finished())?;
        let upgradable = handshake.upgrades.iter().any(|u| u == "websocket");
        let max_payload = handshake
            .max_payload
            .and_then(|m| usize::try_from(m).ok())
            .unwrap_or(DEFAULT_MAX_PAYLOAD);
        Some((
            handshake.sid.clone(),
            upgradable,
            handshake.silence_allowed(),
            max_payload,
        ))
    });
    let Some((sid, upgradable, silence, max_payload)) = opened else {
        return Ok(());
    };
    if o.websocket && upgradable {
        match upgrade(connection, o, &sid).await {
            Ok(socket) => {
                // The polling connection is no longer needed; let the server see it close.
                drop(get);
                return websocket_loop(connection, socket, None).await;
            }
            Err(message) => connection.step(|e| e.warn(&format!("WebSocket upgrade failed: {message}"))),
        }
    }
    let limits = PollLimits {
        timeout: silence + POLL_MARGIN,
        max_payload,
    };
    polling_loop(connection, o, get, &sid, limits).await
}

/// The text of a polling failure, as python-engineio words it.
fn describe(err: PollingError) -> String {
    err.to_string()
}

/// Probe a WebSocket beside the polling session and switch to it (spec: `2probe`, `3probe`, then `5`).
async fn upgrade(connection: &Connection, o: &ConnectOptions, sid: &str) -> Result<ClientSocket, String> {
    let url = o.target.websocket_url(&o.path, Some(sid));
    let mut socket = websocket::open(&o.target, &url, &o.tls, &o.headers, o.max_message, o.request_timeout).await?;
    websocket::send(&mut socket, vec![probe_frame()]).await?;
    let answer = tokio::time::timeout(o.request_timeout, websocket::receive(&mut socket))
        .await
        .map_err(|_| String::from("no answer to the probe"))?;
    let Incoming::Text(text) = answer else {
        return Err(String::from("no PONG packet"));
    };
    let packet = Packet::decode_text(text).map_err(|e| e.to_string())?;
    check_probe_answer(&packet).map_err(|e| e.to_string())?;
    websocket::send(&mut socket, vec![upgrade_frame()]).await?;
    connection.step(|e| e.set_transport("websocket"));
    Ok(socket)
}

type Exchange = Pin<Box<dyn Future<Output = (Channel, Result<Bytes, PollingError>)> + Send>>;

fn exchange(mut channel: Channel, method: Method, path: String, body: Bytes, timeout: Duration) -> Exchange {
    Box::pin(async move {
        let result = channel.request(method, &path, body, timeout).await;
        (channel, result)
    })
}

async fn maybe<F: Future + Unpin>(future: &mut Option<F>) -> F::Output {
    match future {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
        None => std::future::pending().await,
    }
}

/// Long-polling: one GET always waiting for the server, one POST at a time carrying what is queued.
async fn polling_loop(
    connection: &Connection,
    o: &ConnectOptions,
    get: Channel,
    sid: &str,
    limits: PollLimits,
) -> Result<(), String> {
    let path = o.target.request_path(&o.path, "polling", Some(sid));
    let mut get_channel = Some(get);
    let mut post_channel = Some(Channel::new(
        o.target.clone(),
        o.tls.clone(),
        o.headers.clone(),
        o.max_message,
    ));
    let mut getting: Option<Exchange> = None;
    let mut posting: Option<Exchange> = None;
    loop {
        if let Some(channel) = post_channel.take() {
            let frames = connection.step(|e| e.take_frames_within(MAX_PACKETS_PER_POST, limits.max_payload));
            if frames.is_empty() {
                post_channel = Some(channel);
            } else {
                let body = encode_payload(&frames);
                posting = Some(exchange(channel, Method::POST, path.clone(), body, o.request_timeout));
            }
        }
        let (finished, deadline) = connection.step(|e| (e.is_finished(), e.next_deadline()));
        if finished {
            // Our DISCONNECT and close packets go out after any POST under way; their outcome no longer matters.
            if let Some(post) = posting.take() {
                post_channel = Some(post.await.0);
            }
            let frames = connection.step(|e| e.take_frames_within(MAX_PACKETS_PER_POST, limits.max_payload));
            if let (false, Some(mut channel)) = (frames.is_empty(), post_channel.take()) {
                let body = encode_payload(&frames);
                let _ = channel.request(Method::POST, &path, body, o.request_timeout).await;
            }
            return Ok(());
        }
        if let Some(channel) = get_channel.take() {
            connection.ready().await;
            getting = Some(exchange(
                channel,
                Method::GET,
                path.clone(),
                Bytes::new(),
                limits.timeout,
            ));
        }
        tokio::select! {
            (channel, result) = maybe(&mut getting) => {
                getting = None;
                get_channel = Some(channel);
                let body = result.map_err(|e| format!("polling GET failed: {e}"))?;
                connection.step(|e| e.on_payload(body, Instant::now()));
            }
            (channel, result) = maybe(&mut posting) => {
                posting = None;
                post_channel = Some(channel);
                result.map_err(|e| format!("polling POST failed: {e}"))?;
            }
            () = connection.wake.notified() => {}
            () = sleep_until(deadline) => connection.step(|e| e.on_tick(Instant::now())),
        }
    }
}

/// WebSocket: write what is queued, then wait for a frame, a wake-up or the deadline.
async fn websocket_loop(
    connection: &Connection,
    mut socket: ClientSocket,
    open_deadline: Option<Instant>,
) -> Result<(), String> {
    loop {
        let (frames, finished, deadline) = connection.step(|e| (e.take_frames(), e.is_finished(), e.next_deadline()));
        if !frames.is_empty() {
            websocket::send(&mut socket, frames).await?;
        }
        if finished {
            let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
            return Ok(());
        }
        connection.ready().await;
        tokio::select! {
            incoming = websocket::receive(&mut socket) => match incoming {
                Incoming::Text(text) => connection.step(|e| e.on_text(text, Instant::now())),
                Incoming::Binary(data) => connection.step(|e| e.on_binary(data, Instant::now())),
                Incoming::Gone(error) => {
                    return Err(error.unwrap_or_else(|| String::from("the server closed the connection")));
                }
            },
            () = connection.wake.notified() => {}
            () = sleep_until(deadline.or(open_deadline)) => {
                if connection.step(|e| e.session().handshake().is_none()) {
                    return Err(String::from("no OPEN packet from the server in time"));
                }
                connection.step(|e| e.on_tick(Instant::now()));
            }
        }
    }
}
