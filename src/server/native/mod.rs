//! The native driver: hyper serves HTTP long-polling and upgrades to WebSocket with tokio-tungstenite, on the
//! shared tokio runtime. One task per TCP connection; a WebSocket task both reads frames into the engine and
//! writes its session's outbox, so no frame waits on another client.

mod hosted;
mod polling;
mod websocket;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::compression::CompressionConfig;
use super::cors::{CorsDecision, CorsPolicy};
use super::handle::EngineHandle;
use super::hosted::HostedApp;
use super::request::{EioQuery, RequestError, Route, route};
use crate::engine::RequestInfo;

/// HTTP-level settings of the native server.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// The Engine.IO path, with leading and trailing slash (`/socket.io/`).
    pub path: String,
    /// Who may connect cross-origin.
    pub cors: CorsPolicy,
    /// Whether to send `Access-Control-Allow-Credentials: true`.
    pub cors_credentials: bool,
    /// Name of the session cookie to set on the handshake, if any.
    pub cookie: Option<String>,
    /// Compression of polling responses.
    pub compression: CompressionConfig,
}

/// Every response body: a whole buffer for Engine.IO answers, a stream for the hosted web app (which fails when
/// the app gives up mid-body, so hyper cuts the connection).
pub(crate) type Body = BoxBody<Bytes, std::io::Error>;

pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into())
        .map_err(|never: Infallible| match never {})
        .boxed()
}

struct Shared {
    handle: Arc<EngineHandle>,
    config: HttpConfig,
    /// The app that answers every other path (`turbosio.run(ASGIApp(sio, other_asgi_app=...))`).
    hosted_app: Option<Arc<dyn HostedApp>>,
    /// Connection tasks (HTTP connections and WebSocket sessions) still running, for a draining shutdown.
    live: AtomicUsize,
    /// Becomes true when the server shuts down (the web app's WebSocket connections close with 1001).
    stopped: watch::Receiver<bool>,
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
    /// Bind `addr` and serve on the current runtime.
    pub async fn bind(
        addr: SocketAddr,
        handle: Arc<EngineHandle>,
        config: HttpConfig,
        hosted_app: Option<Arc<dyn HostedApp>>,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            handle,
            config,
            hosted_app,
            live: AtomicUsize::new(0),
            stopped: stopped.clone(),
        });
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
                        shared.handle.warn(format!("accept failed: {err}; retrying in 100 ms"));
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let mut stopped = stopped.clone();
                let live = Live::new(&shared);
                tokio::spawn(async move {
                    let _live = live;
                    let service = service_fn(move |req| {
                        let shared = shared.clone();
                        async move { Ok::<_, Infallible>(serve(shared, req, peer).await) }
                    });
                    let conn = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
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

async fn serve(shared: Arc<Shared>, req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
    let path = req.uri().path();
    let under_path = path == shared.config.path || path == shared.config.path.trim_end_matches('/');
    if !under_path {
        return match &shared.hosted_app {
            Some(app) if websocket::is_upgrade_request(&req) => {
                hosted::websocket(&shared, app.clone(), req, peer).await
            }
            Some(app) => hosted::serve(app, req, peer).await,
            None => plain(StatusCode::NOT_FOUND, "Not Found"),
        };
    }
    let headers = req.headers();
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let allow_origin = match shared.config.cors.check(origin, host, false) {
        CorsDecision::Allow(origin) => origin,
        CorsDecision::Refuse => return plain(StatusCode::BAD_REQUEST, "Not an accepted origin."),
    };
    let query = req.uri().query().unwrap_or("");
    let eio_query = EioQuery::parse(query);
    let mut response = match route(req.method().as_str(), &eio_query, websocket::is_upgrade_request(&req)) {
        Err(err) => error_response(err),
        Ok(Route::Preflight) => preflight(req.headers()),
        Ok(Route::Handshake(transport)) => {
            let info = Box::new(request_info(&req, peer));
            match transport {
                crate::engine::Transport::Polling => polling::handshake(&shared, info),
                crate::engine::Transport::WebSocket => websocket::handshake(&shared, req, info),
            }
        }
        Ok(Route::Poll(sid)) => {
            let accept = req
                .headers()
                .get(header::ACCEPT_ENCODING)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            polling::get(&shared, sid, accept.as_deref()).await
        }
        Ok(Route::Post(sid)) => polling::post(&shared, sid, req).await,
        Ok(Route::Upgrade(sid)) => websocket::upgrade(&shared, sid, req),
    };
    if let Some(origin) = allow_origin {
        add_cors(response.headers_mut(), &origin, shared.config.cors_credentials);
    }
    response
}

fn request_info(req: &Request<Incoming>, peer: SocketAddr) -> RequestInfo {
    RequestInfo {
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().unwrap_or("").to_owned(),
        headers: req
            .headers()
            .iter()
            .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_owned(), v.to_owned())))
            .collect(),
        remote_addr: Some(peer),
    }
}

pub(crate) fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

pub(crate) fn error_response(err: RequestError) -> Response<Body> {
    let mut response = Response::new(full(Bytes::from(err.body())));
    *response.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::BAD_REQUEST);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn preflight(request_headers: &HeaderMap) -> Response<Body> {
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("OPTIONS, GET, POST"),
    );
    if let Some(asked) = request_headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    response
}

fn add_cors(headers: &mut HeaderMap, origin: &str, credentials: bool) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        if credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}
