//! The native driver: hyper serves HTTP long-polling and upgrades to WebSocket with tokio-tungstenite, on the
//! shared tokio runtime. It only converts: a hyper request becomes the [`Endpoint`]'s request description, and the
//! endpoint's [`Answer`] becomes hyper I/O (a response, a wait on an outbox, a body read, a WebSocket task).
//! One task per TCP connection, which first completes a TLS handshake when the server has a certificate; paths
//! outside the Engine.IO path go to the hosted web app. As one of several workers on a port, a server also
//! listens on its own unix socket for the requests other workers relay to it (`handover.rs`).

mod handover;
mod hosted;
mod polling;
mod websocket;

pub use handover::Workers;

use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use super::endpoint::{Answer, EioRequest, Endpoint, HttpConfig, Reply, RequestHeaders, Upgrade};
use super::handle::EngineHandle;
use super::hosted::HostedApp;

/// Every response body: a whole buffer for Engine.IO answers, a stream for the hosted web app (which fails when
/// the app gives up mid-body, so hyper cuts the connection).
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

/// How long a client has to finish its TLS handshake; one that stalls would otherwise hold a task forever.
const TLS_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

struct Shared {
    endpoint: Endpoint,
    /// The app that answers every other path (`turbosio.run(ASGIApp(sio, other_asgi_app=...))`).
    hosted_app: Option<Arc<dyn HostedApp>>,
    /// Connection tasks (HTTP connections and WebSocket sessions) still running, for a draining shutdown.
    live: AtomicUsize,
    /// Becomes true when the server shuts down (the web app's WebSocket connections close with 1001).
    stopped: watch::Receiver<bool>,
    /// This process's place among the workers sharing the port, when it is one, and its relays to the others.
    relays: Option<Arc<handover::Relays>>,
}

/// Where a native server takes its connections from.
pub enum Listen {
    /// Bind this address.
    Addr(SocketAddr),
    /// A listening TCP socket opened by Python (a worker's own, bound with `SO_REUSEPORT` to the shared port).
    Inherited(std::net::TcpListener),
}

/// Counts a connection task as live until it ends, however it ends.
struct Live(Arc<Shared>);

impl Live {
    fn new(shared: &Arc<Shared>) -> Self {
        shared.live.fetch_add(1, Ordering::AcqRel);
        Self(shared.clone())
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.live.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A running native server; dropping it does not stop it, [`NativeServer::shutdown`] does.
pub struct NativeServer {
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    shared: Arc<Shared>,
}

impl NativeServer {
    /// Bind `addr` and serve on the current runtime; over TLS when given an acceptor (`server/tls.rs`). As a
    /// worker, also serve the requests other workers relay on this worker's unix socket.
    pub async fn bind(
        listen: Listen,
        handle: Arc<EngineHandle>,
        config: HttpConfig,
        hosted_app: Option<Arc<dyn HostedApp>>,
        tls: Option<TlsAcceptor>,
        workers: Option<Workers>,
    ) -> std::io::Result<Self> {
        let listener = match listen {
            Listen::Addr(addr) => TcpListener::bind(addr).await?,
            Listen::Inherited(listener) => {
                listener.set_nonblocking(true)?;
                TcpListener::from_std(listener)?
            }
        };
        let local_addr = listener.local_addr()?;
        let relayed = match &workers {
            Some(workers) => {
                let path = workers
                    .sockets
                    .get(workers.me)
                    .ok_or_else(|| std::io::Error::other("no unix socket for this worker"))?;
                // A socket left by the worker this one replaces.
                let _ = std::fs::remove_file(path);
                Some(UnixListener::bind(path)?)
            }
            None => None,
        };
        let (stop, mut stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            endpoint: Endpoint::new(handle, config),
            hosted_app,
            live: AtomicUsize::new(0),
            stopped: stopped.clone(),
            relays: workers.map(|w| Arc::new(handover::Relays::new(w))),
        });
        if let Some(relayed) = relayed {
            tokio::spawn(accept_relayed(shared.clone(), relayed));
        }
        let accepting = shared.clone();
        tokio::spawn(async move {
            let shared = accepting;
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => return,
                };
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        // Typically EMFILE/ENFILE: retrying at once would spin a core. Say so, back off, and
                        // accept again once descriptors are free; clients wait in the listen backlog meanwhile.
                        shared
                            .endpoint
                            .handle()
                            .warn(format!("accept failed: {err}; retrying in 100 ms"));
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let live = Live::new(&shared);
                let connection = connection(shared.clone(), stream, peer, tls.clone(), stopped.clone());
                tokio::spawn(async move {
                    let _live = live;
                    connection.await;
                });
            }
        });
        Ok(Self {
            local_addr,
            stop,
            shared,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stop accepting connections.
    pub fn shutdown(&self) {
        let _ = self.stop.send(true);
    }

    /// Wait until every connection task has ended (their sessions closed and queues flushed), at most `limit`.
    pub async fn drain(&self, limit: std::time::Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.shared.live.load(Ordering::Acquire) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

/// Accept the connections other workers relay requests over, until the server stops.
async fn accept_relayed(shared: Arc<Shared>, listener: UnixListener) {
    let mut stopped = shared.stopped.clone();
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    shared.endpoint.handle().warn(format!("accept on the workers' socket failed: {err}"));
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopped.changed() => return,
        };
        let live = Live::new(&shared);
        let connection = relayed(shared.clone(), stream, stopped.clone());
        tokio::spawn(async move {
            let _live = live;
            connection.await;
        });
    }
}

/// One connection from another worker: requests for this worker's sessions, each carrying its client's address.
async fn relayed(shared: Arc<Shared>, stream: UnixStream, stopped: watch::Receiver<bool>) {
    let service = service_fn(move |mut req: Request<Incoming>| {
        let shared = shared.clone();
        let (peer, secure) = handover::relayed_from(&mut req);
        async move { Ok::<_, Infallible>(serve(shared, req, peer, secure).await) }
    });
    serve_until_stopped(stream, service, stopped).await;
}

/// Serve HTTP/1.1 (upgrades included) on `io` until the peer closes it or the server stops.
async fn serve_until_stopped<Io, S>(io: Io, service: S, mut stopped: watch::Receiver<bool>)
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming, ResBody = Body>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => {}
        _ = stopped.changed() => {
            // Finish the request in flight (a waiting poll gets its close packet), then stop.
            conn.as_mut().graceful_shutdown();
            let _ = conn.as_mut().await;
        }
    }
}

/// One accepted TCP connection, from the TLS handshake (when the server has TLS) to the end of its HTTP/1.1
/// exchanges.
async fn connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<TlsAcceptor>,
    stopped: watch::Receiver<bool>,
) {
    match tls {
        None => http(shared, stream, peer, false, stopped).await,
        // Boxed: a plain connection's task then does not carry the room for a TLS connection's state.
        Some(acceptor) => Box::pin(secure_connection(shared, stream, peer, acceptor, stopped)).await,
    }
}

/// The TLS handshake, then HTTP/1.1 over it. A failed handshake ends this connection only.
async fn secure_connection(
    shared: Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    mut stopped: watch::Receiver<bool>,
) {
    let handshake = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT, acceptor.accept(stream));
    let stream = tokio::select! {
        done = handshake => match done {
            Ok(Ok(stream)) => stream,
            // Plain HTTP sent to the TLS port, a scanner, a client that distrusts the certificate: routine, and
            // the peer's own problem to report.
            Ok(Err(err)) => {
                log::debug!(target: "engineio.server", "TLS handshake with {peer} failed: {err}");
                return;
            }
            Err(_) => {
                log::debug!(target: "engineio.server", "TLS handshake with {peer} timed out");
                return;
            }
        },
        _ = stopped.changed() => return,
    };
    http(shared, stream, peer, true, stopped).await;
}

/// Serve HTTP/1.1 on `io` (a TCP stream, or the TLS stream over one when `secure`) until the client closes it or
/// the server stops. Generic rather than boxed, so plain TCP keeps its direct I/O calls.
async fn http<Io>(shared: Arc<Shared>, io: Io, peer: SocketAddr, secure: bool, stopped: watch::Receiver<bool>)
where
    Io: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move {
            // perf: one `None` check per request when this process is not one of several workers.
            if let Some(owner) = handover::owner(&shared, &req) {
                return Ok::<_, Infallible>(handover::relay(&shared, owner, req, peer, secure).await);
            }
            Ok::<_, Infallible>(serve(shared, req, peer, secure).await)
        }
    });
    serve_until_stopped(io, service, stopped).await;
}

async fn serve(shared: Arc<Shared>, req: Request<Incoming>, peer: SocketAddr, secure: bool) -> Response<Body> {
    let endpoint = &shared.endpoint;
    if let Some(reply) = endpoint.metrics(req.method().as_str(), req.uri().path()) {
        return response(reply);
    }
    if !endpoint.serves(req.uri().path()) {
        return match &shared.hosted_app {
            Some(app) if websocket::is_upgrade_request(&req) => {
                hosted::websocket(&shared, app.clone(), req, peer, secure).await
            }
            Some(app) => hosted::serve(app, req, peer, secure).await,
            None => plain(StatusCode::NOT_FOUND, "Not Found"),
        };
    }
    let cors = match endpoint.cors(req.headers(), secure) {
        Ok(cors) => cors,
        Err(refused) => return response(refused),
    };
    let upgrade = match (
        websocket::is_upgrade_request(&req),
        req.headers().contains_key(header::SEC_WEBSOCKET_KEY),
    ) {
        (false, _) => Upgrade::No,
        (true, true) => Upgrade::Possible,
        (true, false) => Upgrade::KeyMissing,
    };
    let description = EioRequest {
        method: req.method().as_str(),
        path: req.uri().path(),
        query: req.uri().query().unwrap_or(""),
        headers: req.headers(),
        peer: Some(peer),
        secure,
    };
    match endpoint.http(&description, upgrade, &cors) {
        Answer::Respond(reply) => response(reply),
        Answer::Wait { eio_sid, outbox } => {
            let accept = req
                .headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            polling::get(&shared, eio_sid, &outbox, accept.as_deref(), &cors).await
        }
        Answer::ReadBody { eio_sid } => polling::post(&shared, eio_sid, req, &cors).await,
        Answer::AcceptWebSocket { eio_sid, outbox, start } => websocket::accept(&shared, req, eio_sid, outbox, start),
    }
}

impl RequestHeaders for HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        HeaderMap::get(self, name).and_then(|v| v.to_str().ok())
    }

    fn to_pairs(&self) -> Vec<(String, String)> {
        self.iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
            .collect()
    }
}

/// hyper's form of a [`Reply`].
pub(crate) fn response(reply: Reply) -> Response<Body> {
    let mut response = Response::new(full(reply.body));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::BAD_REQUEST);
    let headers = response.headers_mut();
    for (name, value) in reply.headers {
        let value = match value {
            Cow::Borrowed(value) => HeaderValue::from_static(value),
            Cow::Owned(value) => match HeaderValue::from_str(&value) {
                Ok(value) => value,
                Err(_) => continue,
            },
        };
        headers.insert(HeaderName::from_static(name), value);
    }
    response
}

pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    response(Reply::text(status.as_u16(), text))
}
