//! The Engine.IO endpoint, whoever drives it: the native hyper server, or the external driver that ASGI and WSGI
//! servers feed from Python.
//!
//! In: a described request ([`EioRequest`]: method, path, query, headers, peer). Out: an [`Answer`] the driver
//! carries out with its own I/O: a whole [`Reply`], a long-polling GET to wait on an outbox, a POST body to read,
//! or a WebSocket to accept. CORS, the preflight, the session cookie, the close packet of a polling GET,
//! compression and the 413 of an oversized POST are decided here once, so every driver answers alike. Never:
//! sockets, hyper or Python types, or a wait: drivers wait, this only decides.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;

use super::compression::{CompressionConfig, compress};
use super::cors::{CorsDecision, CorsPolicy};
use super::handle::EngineHandle;
use super::request::{EioQuery, RequestError, Route, route};
use super::websocket::Start;
use crate::engine::{Drained, EioSid, Outbox, OutboxLimits, RequestInfo, SessionError, Transport, WsOutcome};
use crate::metrics::Reject;
use crate::protocol::engineio::{Frame, encode_payload};

/// HTTP-level settings of the Engine.IO endpoint, for every driver.
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
    /// The path that answers with Prometheus metrics (native server only; `None`: no such path).
    pub metrics_path: Option<String>,
}

/// A request's headers as a driver holds them (hyper's map, or ASGI's byte pairs).
pub trait RequestHeaders {
    /// The value of header `name` (given in lower case) as text, if present and readable.
    fn get(&self, name: &str) -> Option<&str>;
    /// Every header as text, names in lower case, for the connect handler's environ.
    fn to_pairs(&self) -> Vec<(String, String)>;
}

/// Headers as ASGI carries them: names and values as bytes.
impl RequestHeaders for [(Vec<u8>, Vec<u8>)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name.as_bytes()))
            .and_then(|(_, v)| std::str::from_utf8(v).ok())
    }

    fn to_pairs(&self) -> Vec<(String, String)> {
        self.iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).to_ascii_lowercase(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect()
    }
}

/// One request to the Engine.IO path, as every driver describes it.
pub struct EioRequest<'a, H: RequestHeaders + ?Sized> {
    /// HTTP method.
    pub method: &'a str,
    /// Path without the query.
    pub path: &'a str,
    /// Raw query string.
    pub query: &'a str,
    /// Request headers.
    pub headers: &'a H,
    /// The peer, when known.
    pub peer: Option<SocketAddr>,
    /// Whether the request came over TLS.
    pub secure: bool,
}

impl<H: RequestHeaders + ?Sized> EioRequest<'_, H> {
    /// What the engine keeps of the request for the connect handler.
    fn info(&self) -> RequestInfo {
        RequestInfo {
            method: self.method.to_owned(),
            path: self.path.to_owned(),
            query: self.query.to_owned(),
            headers: self.headers.to_pairs(),
            remote_addr: self.peer,
            secure: self.secure,
        }
    }
}

/// Whether a request asks to switch to WebSocket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Upgrade {
    /// A plain HTTP request.
    No,
    /// An upgrade the driver can complete.
    Possible,
    /// Upgrade headers without a `Sec-WebSocket-Key`: a WebSocket route is refused.
    KeyMissing,
}

/// A whole HTTP answer.
#[derive(Debug)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Header names (lower case) and values.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The body.
    pub body: Bytes,
}

const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

impl Reply {
    fn new(status: u16, content_type: Option<&'static str>, body: Bytes) -> Self {
        let headers = content_type
            .map(|t| ("content-type", Cow::Borrowed(t)))
            .into_iter()
            .collect();
        Self { status, headers, body }
    }

    /// A request refused before it reached the engine (Node's JSON error body).
    pub fn error(err: RequestError) -> Self {
        Self::new(err.status(), Some("application/json"), Bytes::from(err.body()))
    }

    /// A short plain-text answer.
    pub fn text(status: u16, text: &'static str) -> Self {
        Self::new(status, Some(TEXT_PLAIN), Bytes::from_static(text.as_bytes()))
    }

    /// An Engine.IO payload (the handshake's open packet, a polling GET's frames).
    fn payload(body: Bytes) -> Self {
        Self::new(200, Some(TEXT_PLAIN), body)
    }

    fn header(mut self, name: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub(crate) fn with_cors(mut self, cors: &Cors) -> Self {
        cors.add_to(&mut self.headers);
        self
    }
}

/// The CORS headers every answer to an allowed request carries.
#[derive(Clone, Debug, Default)]
pub struct Cors {
    /// The origin to echo in `Access-Control-Allow-Origin`, when there is one.
    origin: Option<String>,
    credentials: bool,
}

impl Cors {
    fn add_to(&self, headers: &mut Vec<(&'static str, Cow<'static, str>)>) {
        if let Some(origin) = &self.origin {
            headers.push(("access-control-allow-origin", Cow::Owned(origin.clone())));
            if self.credentials {
                headers.push(("access-control-allow-credentials", Cow::Borrowed("true")));
            }
        }
    }
}

/// What the driver does with a request.
pub enum Answer {
    /// Send this answer.
    Respond(Reply),
    /// A long-polling GET: wait until `outbox` has frames or closes, then answer with [`Endpoint::poll_reply`].
    /// The driver calls `end_poll` once the GET is over, however it ends.
    Wait {
        /// The session polled.
        eio_sid: EioSid,
        /// Its outbox.
        outbox: Arc<Outbox>,
    },
    /// A long-polling POST: read the body, at most `max_payload` bytes, then answer with [`Endpoint::post`].
    ReadBody {
        /// The session posted to.
        eio_sid: EioSid,
    },
    /// Accept the WebSocket and serve the session on it.
    AcceptWebSocket {
        /// The session the WebSocket carries (or probes, for an upgrade).
        eio_sid: EioSid,
        /// Its outbox.
        outbox: Arc<Outbox>,
        /// A fresh session (with its open packet) or an upgrade.
        start: Start,
    },
}

impl Answer {
    fn refused(err: RequestError, cors: &Cors) -> Self {
        Self::Respond(Reply::error(err).with_cors(cors))
    }
}

/// How a WebSocket frame from the client went, for a driver that relays frames itself.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameOutcome {
    /// Nothing to do.
    Continue,
    /// Write this frame now, ahead of the queue (the probe answer).
    Reply(Frame),
    /// The upgrade finished: start writing the session's outbox.
    Upgraded,
    /// The session ended (or is unknown): close the WebSocket.
    Closed,
}

impl From<Result<WsOutcome, SessionError>> for FrameOutcome {
    fn from(outcome: Result<WsOutcome, SessionError>) -> Self {
        match outcome {
            Ok(WsOutcome::Continue) => Self::Continue,
            Ok(WsOutcome::Reply(frame)) => Self::Reply(frame),
            Ok(WsOutcome::Upgraded) => Self::Upgraded,
            Ok(WsOutcome::Closed) | Err(_) => Self::Closed,
        }
    }
}

/// The Engine.IO endpoint of one server: its engine and HTTP settings.
pub struct Endpoint {
    handle: Arc<EngineHandle>,
    config: HttpConfig,
}

impl Endpoint {
    /// The endpoint serving `handle`'s engine with `config`.
    pub fn new(handle: Arc<EngineHandle>, config: HttpConfig) -> Self {
        Self { handle, config }
    }

    /// The engine.
    pub fn handle(&self) -> &Arc<EngineHandle> {
        &self.handle
    }

    /// Whether `path` is the Engine.IO path (with or without its trailing slash).
    pub fn serves(&self, path: &str) -> bool {
        path == self.config.path || path == self.config.path.trim_end_matches('/')
    }

    /// The answer to a request for the metrics path, if `path` is it: the Prometheus text for GET, its headers
    /// alone for HEAD, 405 otherwise. The engine is locked only to read its gauges; rendering runs outside.
    pub fn metrics(&self, method: &str, path: &str) -> Option<Reply> {
        if self.config.metrics_path.as_deref() != Some(path) {
            return None;
        }
        let body = match method {
            "GET" => Bytes::from(crate::metrics::render::text(&self.handle.metrics_snapshot())),
            "HEAD" => Bytes::new(),
            _ => return Some(Reply::text(405, "Method Not Allowed").header("allow", "GET, HEAD")),
        };
        Some(Reply::new(200, Some(crate::metrics::render::CONTENT_TYPE), body))
    }

    /// The largest POST body or WebSocket message accepted.
    pub fn max_payload(&self) -> usize {
        self.handle.with(|e| e.config().max_payload)
    }

    /// Check the request's origin: the CORS headers its answers carry, or the refusal to send. `secure`: the
    /// request came over TLS (the server's own origin is then `https://`).
    pub fn cors<H: RequestHeaders + ?Sized>(&self, headers: &H, secure: bool) -> Result<Cors, Reply> {
        match self
            .config
            .cors
            .check(headers.get("origin"), headers.get("host"), secure)
        {
            CorsDecision::Allow(origin) => Ok(Cors {
                origin,
                credentials: self.config.cors_credentials,
            }),
            CorsDecision::Refuse => {
                self.handle.metrics().reject(Reject::Forbidden);
                Err(Reply::text(400, "Not an accepted origin."))
            }
        }
    }

    /// Answer an HTTP request to the Engine.IO path (a WebSocket one when `upgrade` says so). Calls the engine.
    pub fn http<H: RequestHeaders + ?Sized>(&self, req: &EioRequest<'_, H>, upgrade: Upgrade, cors: &Cors) -> Answer {
        let query = EioQuery::parse(req.query);
        let route = match route(req.method, &query, upgrade != Upgrade::No) {
            Ok(route) => route,
            Err(err) => return self.refuse(err, cors),
        };
        match route {
            Route::Preflight => {
                let mut reply = Reply::new(204, None, Bytes::new()).with_cors(cors);
                reply = reply.header("access-control-allow-methods", "OPTIONS, GET, POST");
                if let Some(asked) = req.headers.get("access-control-request-headers") {
                    reply = reply.header("access-control-allow-headers", asked.to_owned());
                }
                Answer::Respond(reply)
            }
            Route::Handshake(Transport::Polling) => {
                match self
                    .handle
                    .with(|e| e.open(Instant::now(), Transport::Polling, Some(Box::new(req.info()))))
                {
                    Ok(opened) => {
                        let mut reply = Reply::payload(encode_payload([&opened.open_frame]));
                        if let Some(name) = &self.config.cookie {
                            let cookie = format!("{name}={}; Path=/; HttpOnly; SameSite=Lax", opened.eio_sid);
                            reply = reply.header("set-cookie", cookie);
                        }
                        Answer::Respond(reply.with_cors(cors))
                    }
                    Err(err) => self.refuse_session(&err, cors),
                }
            }
            Route::Poll(eio_sid) => match self.handle.with(|e| e.begin_poll(eio_sid)) {
                Ok(outbox) => Answer::Wait { eio_sid, outbox },
                Err(err) => self.refuse_session(&err, cors),
            },
            Route::Post(eio_sid) => Answer::ReadBody { eio_sid },
            Route::Handshake(Transport::WebSocket) | Route::Upgrade(_) if upgrade == Upgrade::KeyMissing => {
                self.refuse(RequestError::BadRequest, cors)
            }
            Route::Handshake(Transport::WebSocket) | Route::Upgrade(_) => self.accept_websocket(req, route, cors),
        }
    }

    /// Answer a request that can only be a WebSocket (the other server already took it as one): any other route
    /// is refused.
    pub fn websocket<H: RequestHeaders + ?Sized>(&self, req: &EioRequest<'_, H>, cors: &Cors) -> Answer {
        let query = EioQuery::parse(req.query);
        match route("GET", &query, true) {
            Ok(route @ (Route::Handshake(Transport::WebSocket) | Route::Upgrade(_))) => {
                self.accept_websocket(req, route, cors)
            }
            Ok(_) => self.refuse(RequestError::BadRequest, cors),
            Err(err) => self.refuse(err, cors),
        }
    }

    fn accept_websocket<H: RequestHeaders + ?Sized>(
        &self,
        req: &EioRequest<'_, H>,
        route: Route,
        cors: &Cors,
    ) -> Answer {
        let accepted = match route {
            Route::Upgrade(eio_sid) => self
                .handle
                .with(|e| e.begin_upgrade(eio_sid))
                .map(|outbox| (eio_sid, outbox, Start::Upgrading)),
            _ => self
                .handle
                .with(|e| e.open(Instant::now(), Transport::WebSocket, Some(Box::new(req.info()))))
                .map(|opened| (opened.eio_sid, opened.outbox, Start::Fresh(opened.open_frame))),
        };
        match accepted {
            Ok((eio_sid, outbox, start)) => Answer::AcceptWebSocket { eio_sid, outbox, start },
            // node (Server.onWebSocket): a WebSocket for a session that is upgrading or has upgraded completes its
            // handshake and is closed at once; a refused handshake would reach the client as an error event.
            Err(SessionError::AlreadyUpgraded) => {
                let Route::Upgrade(eio_sid) = route else {
                    unreachable!("only an upgrade finds its session upgraded")
                };
                Answer::AcceptWebSocket {
                    eio_sid,
                    outbox: Arc::new(Outbox::new(OutboxLimits::default())),
                    start: Start::Refused,
                }
            }
            Err(err) => self.refuse_session(&err, cors),
        }
    }

    /// Refuse a request and count the refusal.
    fn refuse(&self, err: RequestError, cors: &Cors) -> Answer {
        self.handle.metrics().reject(match err {
            RequestError::TransportUnknown => Reject::TransportUnknown,
            RequestError::SessionIdUnknown => Reject::SessionIdUnknown,
            RequestError::BadHandshakeMethod => Reject::BadHandshakeMethod,
            RequestError::BadRequest => Reject::BadRequest,
            RequestError::Forbidden => Reject::Forbidden,
            RequestError::UnsupportedProtocolVersion => Reject::UnsupportedProtocolVersion,
        });
        Answer::refused(err, cors)
    }

    /// Refuse a request the engine turned down, counting it unless the engine did (an error that closes the
    /// session is counted where it closes it).
    fn refuse_session(&self, err: &SessionError, cors: &Cors) -> Answer {
        self.count_session_error(err);
        Answer::refused(RequestError::from(err), cors)
    }

    fn count_session_error(&self, err: &SessionError) {
        if err.closes_session().is_none()
            && let Some(reason) = err.rejects()
        {
            self.handle.metrics().reject(reason);
        }
    }

    /// The answer to `eio_sid`'s long-polling GET whose outbox gave `frames` and then `drained`.
    pub fn poll_reply(
        &self,
        eio_sid: EioSid,
        mut frames: Vec<Frame>,
        drained: Drained,
        accept_encoding: Option<&str>,
        cors: &Cors,
    ) -> Reply {
        let released = drained == Drained::Closed { notify_client: false } && frames.is_empty();
        if released && self.handle.with(|e| e.upgraded(eio_sid)) {
            // node test-suite ("ignores HTTP requests with same sid after upgrade"): a GET that waited through the
            // upgrade's end was sent after the `5`.
            self.handle.metrics().reject(Reject::BadRequest);
            return Reply::error(RequestError::BadRequest).with_cors(cors);
        }
        if let Drained::Closed { notify_client } = drained {
            // spec: a server-side close reaches a polling client as a close packet; when the client closed, its
            // pending GET is released with a noop.
            if notify_client {
                frames.push(Frame::Text(Bytes::from_static(b"1")));
            } else if frames.is_empty() {
                frames.push(Frame::Text(Bytes::from_static(b"6")));
            }
        }
        let body = encode_payload(frames.iter());
        let reply = match compress(self.config.compression, accept_encoding, &body) {
            Some((coding, compressed)) => {
                Reply::payload(Bytes::from(compressed)).header("content-encoding", Cow::Borrowed(coding))
            }
            None => Reply::payload(body),
        };
        reply.with_cors(cors)
    }

    /// The answer to a long-polling GET whose session no longer has a waiting outbox: a close packet.
    pub fn poll_gone(&self, cors: &Cors) -> Reply {
        Reply::payload(Bytes::from_static(b"1")).with_cors(cors)
    }

    /// Feed a POST body to the session; None when it was over `max_payload` (refused with 413 before more was
    /// read, and the session ends).
    pub fn post(&self, eio_sid: EioSid, body: Option<Bytes>, cors: &Cors) -> Reply {
        let Some(body) = body else {
            self.handle.with(|e| e.on_oversize(eio_sid));
            let mut reply = Reply::error(RequestError::BadRequest);
            reply.status = 413;
            return reply.with_cors(cors);
        };
        match self.handle.with(|e| e.on_post(Instant::now(), eio_sid, body)) {
            Ok(()) => Reply::new(200, Some("text/html"), Bytes::from_static(b"ok")).with_cors(cors),
            Err(err) => {
                self.count_session_error(&err);
                Reply::error(RequestError::from(&err)).with_cors(cors)
            }
        }
    }

    /// A text frame arrived on a WebSocket the driver relays itself.
    pub fn ws_text(&self, eio_sid: EioSid, frame: Bytes) -> FrameOutcome {
        self.handle
            .with(|e| e.on_ws_text(Instant::now(), eio_sid, frame))
            .into()
    }

    /// A binary frame arrived on a WebSocket the driver relays itself.
    pub fn ws_binary(&self, eio_sid: EioSid, data: Bytes) -> FrameOutcome {
        self.handle
            .with(|e| e.on_ws_binary(Instant::now(), eio_sid, data))
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{EngineConfig, Event, EventSink};

    struct Discard;
    impl EventSink for Discard {
        fn push(&self, _: Event) {}
    }

    fn endpoint(cors: CorsPolicy, cookie: Option<&str>) -> Endpoint {
        let config = HttpConfig {
            path: "/socket.io/".into(),
            cors,
            cors_credentials: true,
            cookie: cookie.map(Into::into),
            compression: CompressionConfig::default(),
            metrics_path: None,
        };
        Endpoint::new(EngineHandle::new(EngineConfig::default(), Arc::new(Discard)), config)
    }

    type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

    fn headers(pairs: &[(&str, &str)]) -> Pairs {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    }

    fn get<'a>(method: &'a str, query: &'a str, headers: &'a Pairs) -> EioRequest<'a, [(Vec<u8>, Vec<u8>)]> {
        EioRequest {
            method,
            path: "/socket.io/",
            query,
            headers: headers.as_slice(),
            peer: None,
            secure: false,
        }
    }

    fn header<'a>(reply: &'a Reply, name: &str) -> Option<&'a str> {
        reply.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_ref())
    }

    fn respond(answer: Answer) -> Reply {
        match answer {
            Answer::Respond(reply) => reply,
            _ => panic!("expected a whole answer"),
        }
    }

    #[test]
    fn same_origin_follows_the_connections_scheme() {
        let endpoint = endpoint(CorsPolicy::SameOrigin, None);
        let asking = headers(&[("origin", "https://a.example"), ("host", "a.example")]);
        assert!(endpoint.cors(asking.as_slice(), true).is_ok());
        assert!(endpoint.cors(asking.as_slice(), false).is_err());
    }

    #[test]
    fn a_refused_origin_gets_a_400_and_an_allowed_one_is_echoed_on_every_answer() {
        let endpoint = endpoint(CorsPolicy::List(vec!["http://a.example".into()]), None);
        let refused = endpoint.cors(headers(&[("Origin", "http://b.example")]).as_slice(), false);
        assert_eq!(refused.map(|_| ()).unwrap_err().status, 400);
        let asking = headers(&[
            ("origin", "http://a.example"),
            ("access-control-request-headers", "x-a"),
        ]);
        let cors = endpoint.cors(asking.as_slice(), false).unwrap();
        let preflight = respond(endpoint.http(&get("OPTIONS", "", &asking), Upgrade::No, &cors));
        assert_eq!(preflight.status, 204);
        assert_eq!(
            header(&preflight, "access-control-allow-origin"),
            Some("http://a.example")
        );
        assert_eq!(header(&preflight, "access-control-allow-credentials"), Some("true"));
        assert_eq!(header(&preflight, "access-control-allow-headers"), Some("x-a"));
        let refused = respond(endpoint.http(&get("GET", "EIO=3&transport=polling", &asking), Upgrade::No, &cors));
        assert_eq!(
            (refused.status, header(&refused, "content-type")),
            (400, Some("application/json"))
        );
        assert_eq!(
            header(&refused, "access-control-allow-origin"),
            Some("http://a.example")
        );
    }

    #[test]
    fn a_polling_handshake_sets_the_cookie_and_an_oversized_post_is_a_413() {
        let endpoint = endpoint(CorsPolicy::Any, Some("io"));
        let none = Pairs::new();
        let cors = Cors::default();
        let opened = respond(endpoint.http(&get("GET", "EIO=4&transport=polling", &none), Upgrade::No, &cors));
        assert_eq!(opened.status, 200);
        assert!(opened.body.starts_with(b"0{"));
        assert!(header(&opened, "set-cookie").is_some_and(|c| c.starts_with("io=")));
        let sid = header(&opened, "set-cookie").unwrap()[3..23].to_owned();
        let query = format!("EIO=4&transport=polling&sid={sid}");
        let Answer::ReadBody { eio_sid } = endpoint.http(&get("POST", &query, &none), Upgrade::No, &cors) else {
            panic!("a POST reads its body");
        };
        assert_eq!(endpoint.post(eio_sid, None, &cors).status, 413);
        let gone = respond(endpoint.http(&get("GET", &query, &none), Upgrade::No, &cors));
        assert_eq!(gone.status, 400);
    }

    #[test]
    fn a_polling_get_on_a_closed_outbox_gets_a_close_packet_or_a_noop() {
        let endpoint = endpoint(CorsPolicy::Disabled, None);
        let cors = Cors::default();
        let notify = endpoint.poll_reply(
            EioSid::random(),
            Vec::new(),
            Drained::Closed { notify_client: true },
            None,
            &cors,
        );
        assert_eq!(&notify.body[..], b"1");
        let quiet = endpoint.poll_reply(
            EioSid::random(),
            Vec::new(),
            Drained::Closed { notify_client: false },
            None,
            &cors,
        );
        assert_eq!(&quiet.body[..], b"6");
        let big = vec![Frame::Text(Bytes::from(vec![b'4'; 4096]))];
        let compressed = endpoint.poll_reply(EioSid::random(), big, Drained::Frames, Some("gzip"), &cors);
        assert_eq!(header(&compressed, "content-encoding"), Some("gzip"));
    }

    #[test]
    fn a_websocket_route_without_a_key_is_refused_before_the_engine_hears_of_it() {
        let endpoint = endpoint(CorsPolicy::Any, None);
        let none = Pairs::new();
        let cors = Cors::default();
        let query = "EIO=4&transport=websocket";
        let refused = respond(endpoint.http(&get("GET", query, &none), Upgrade::KeyMissing, &cors));
        assert_eq!(refused.status, 400);
        assert_eq!(endpoint.handle().with(|e| e.session_count()), 0);
        assert!(matches!(
            endpoint.websocket(&get("GET", query, &none), &cors),
            Answer::AcceptWebSocket {
                start: Start::Fresh(_),
                ..
            }
        ));
        let polling = endpoint.websocket(&get("GET", "EIO=4&transport=polling", &none), &cors);
        assert_eq!(respond(polling).status, 400);
    }
}
