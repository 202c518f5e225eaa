//! External direction: turbosio served by someone else's server. Engine.IO requests handed over from an ASGI
//! server (uvicorn, hypercorn, granian) or a WSGI server (eventlet, gunicorn, werkzeug).
//!
//! Python reads the ASGI `receive` messages and calls in here; answers come back as plain tuples for Python to
//! `send`. A long-polling GET or a WebSocket writer that must wait registers a waker that queues `WAKE(token)`
//! on the server's event queue, so waits are resolved by the same one-per-burst drain as events, with no GIL on
//! any tokio thread. Routing, CORS and every engine call are the native driver's, so both answer alike.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use super::dispatch::EventQueue;
use super::server::ServerCore;
use crate::engine::{Drained, EioSid, Outbox, RequestInfo, SessionError, Transport, WsOutcome};
use crate::protocol::engineio::{Frame, encode_payload};
use crate::server::adopted::{AdoptedRequest, adopt};
use crate::server::compression::compress;
use crate::server::cors::CorsDecision;
use crate::server::handle::EngineHandle;
use crate::server::native::HttpConfig;
use crate::server::request::{EioQuery, RequestError, Route, route};
use crate::server::runtime::runtime;

type Headers = Vec<(Vec<u8>, Vec<u8>)>;

/// A complete HTTP answer: `(0, status, headers, body)`.
const RESPOND: u8 = 0;
/// A long-polling GET must wait: `(1, eio_sid, token)`; call `poll_resume` after `WAKE(token)`.
const WAIT: u8 = 1;
/// A WebSocket may be accepted: `(2, eio_sid, first_frame | None)`.
const ACCEPT_WS: u8 = 2;

/// Driver for one server's Engine.IO path under ASGI.
#[pyclass(frozen, module = "turbosio._core")]
pub struct ExternalDriverCore {
    handle: Arc<EngineHandle>,
    queue: Arc<EventQueue>,
    /// The outbox each Python-driven transport drains: waiting GETs and WebSocket writers, by session. Kept here,
    /// not looked up per call, because a closing session leaves the engine at once while its outbox still holds
    /// the last frames and the close.
    polls: Mutex<HashMap<EioSid, Arc<Outbox>>>,
    websockets: Mutex<HashMap<EioSid, Arc<Outbox>>>,
    http: HttpConfig,
}

fn header<'a>(headers: &'a Headers, name: &[u8]) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

fn request_info(
    method: &str,
    path: &str,
    query: &str,
    headers: &Headers,
    remote: Option<(String, u16)>,
) -> RequestInfo {
    RequestInfo {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    String::from_utf8_lossy(k).to_ascii_lowercase(),
                    String::from_utf8_lossy(v).into_owned(),
                )
            })
            .collect(),
        remote_addr: remote.and_then(|(host, port)| host.parse().ok().map(|ip| std::net::SocketAddr::new(ip, port))),
    }
}

fn respond<'py>(
    py: Python<'py>,
    status: u16,
    content_type: &'static [u8],
    body: &[u8],
    extra: Headers,
) -> PyResult<Bound<'py, PyAny>> {
    let mut headers: Headers = vec![(b"content-type".to_vec(), content_type.to_vec())];
    headers.extend(extra);
    Ok((RESPOND, status, headers, PyBytes::new(py, body))
        .into_pyobject(py)?
        .into_any())
}

fn error(py: Python<'_>, err: RequestError, extra: Headers) -> PyResult<Bound<'_, PyAny>> {
    respond(py, err.status(), b"application/json", err.body().as_bytes(), extra)
}

fn frame_to_python<'py>(py: Python<'py>, frame: &Frame) -> Bound<'py, PyAny> {
    match frame {
        Frame::Text(text) => PyString::new(py, &String::from_utf8_lossy(text)).into_any(),
        Frame::Binary(bin) => PyBytes::new(py, bin).into_any(),
    }
}

impl ExternalDriverCore {
    /// What the ASGI driver of `server` needs: the same engine, queue and HTTP settings.
    pub fn for_server(server: &ServerCore) -> Self {
        Self {
            handle: server.handle.clone(),
            queue: server.queue.clone(),
            http: server.http.clone(),
            polls: Mutex::new(HashMap::new()),
            websockets: Mutex::new(HashMap::new()),
        }
    }

    fn cors(&self, headers: &Headers) -> Result<Headers, RequestError> {
        match self
            .http
            .cors
            .check(header(headers, b"origin"), header(headers, b"host"), false)
        {
            CorsDecision::Refuse => Err(RequestError::BadRequest),
            CorsDecision::Allow(None) => Ok(Vec::new()),
            CorsDecision::Allow(Some(origin)) => {
                let mut out = vec![(b"access-control-allow-origin".to_vec(), origin.into_bytes())];
                if self.http.cors_credentials {
                    out.push((b"access-control-allow-credentials".to_vec(), b"true".to_vec()));
                }
                Ok(out)
            }
        }
    }

    /// Answer a waiting GET now if its outbox has frames or is closed; otherwise register `token`'s waker.
    fn poll_outbox<'py>(
        &self,
        py: Python<'py>,
        eio_sid: EioSid,
        token: u64,
        accept_encoding: Option<&str>,
        mut cors: Headers,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(outbox) = self.polls.lock().get(&eio_sid).cloned() else {
            self.handle.with(|e| e.end_poll(eio_sid));
            return respond(py, 200, b"text/plain; charset=UTF-8", b"1", cors);
        };
        let waker = self.queue.waker(token);
        let mut frames = Vec::new();
        let drained = outbox.poll_drain(&mut Context::from_waker(&waker), &mut frames);
        let Poll::Ready(drained) = drained else {
            return Ok((WAIT, eio_sid.as_str(), token).into_pyobject(py)?.into_any());
        };
        if let Drained::Closed { notify_client } = drained {
            if notify_client {
                frames.push(Frame::Text(Bytes::from_static(b"1")));
            } else if frames.is_empty() {
                frames.push(Frame::Text(Bytes::from_static(b"6")));
            }
        }
        self.polls.lock().remove(&eio_sid);
        self.handle.with(|e| e.end_poll(eio_sid));
        let body = encode_payload(frames.iter());
        if let Some((coding, compressed)) = compress(self.http.compression, accept_encoding, &body) {
            cors.push((b"content-encoding".to_vec(), coding.as_bytes().to_vec()));
            return respond(py, 200, b"text/plain; charset=UTF-8", &compressed, cors);
        }
        respond(py, 200, b"text/plain; charset=UTF-8", &body, cors)
    }
}

#[pymethods]
impl ExternalDriverCore {
    /// The largest body accepted; Python stops reading a POST past it and passes `oversize=True`.
    #[getter]
    fn max_payload(&self) -> usize {
        self.handle.with(|e| e.config().max_payload)
    }

    /// Handle an HTTP request to the Engine.IO path. Returns `(0, status, headers, body)` or `(1, eio_sid, token)`.
    #[pyo3(signature = (method, path, query, headers, body, remote=None, oversize=false))]
    #[expect(clippy::too_many_arguments, reason = "one ASGI request, flattened")]
    fn http<'py>(
        &self,
        py: Python<'py>,
        method: &str,
        path: &str,
        query: &str,
        headers: Headers,
        body: &[u8],
        remote: Option<(String, u16)>,
        oversize: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Ok(cors) = self.cors(&headers) else {
            return respond(py, 400, b"text/plain", b"Not an accepted origin.", Vec::new());
        };
        let eio_query = EioQuery::parse(query);
        match route(method, &eio_query, false) {
            Err(err) => error(py, err, cors),
            Ok(Route::Preflight) => {
                let mut extra = cors;
                extra.push((b"access-control-allow-methods".to_vec(), b"OPTIONS, GET, POST".to_vec()));
                if let Some(asked) = header(&headers, b"access-control-request-headers") {
                    extra.push((b"access-control-allow-headers".to_vec(), asked.as_bytes().to_vec()));
                }
                Ok((RESPOND, 204, extra, PyBytes::new(py, b""))
                    .into_pyobject(py)?
                    .into_any())
            }
            Ok(Route::Handshake(_)) => {
                let info = Box::new(request_info(method, path, query, &headers, remote));
                match py.detach(|| {
                    self.handle
                        .with(|e| e.open(Instant::now(), Transport::Polling, Some(info)))
                }) {
                    Ok(opened) => {
                        let mut extra = cors;
                        if let Some(name) = &self.http.cookie {
                            let cookie = format!("{name}={}; Path=/; HttpOnly; SameSite=Lax", opened.eio_sid);
                            extra.push((b"set-cookie".to_vec(), cookie.into_bytes()));
                        }
                        let body = encode_payload([&opened.open_frame]);
                        respond(py, 200, b"text/plain; charset=UTF-8", &body, extra)
                    }
                    Err(err) => error(py, RequestError::from(&err), cors),
                }
            }
            Ok(Route::Poll(eio_sid)) => match py.detach(|| self.handle.with(|e| e.begin_poll(eio_sid))) {
                Ok(outbox) => {
                    self.polls.lock().insert(eio_sid, outbox);
                    let token = self.queue.next_token();
                    self.poll_outbox(py, eio_sid, token, header(&headers, b"accept-encoding"), cors)
                }
                Err(err) => error(py, RequestError::from(&err), cors),
            },
            Ok(Route::Post(eio_sid)) => {
                if oversize {
                    // Refused before more than the limit was read; the session ends.
                    self.handle.with(|e| e.on_oversize(eio_sid));
                    return respond(
                        py,
                        413,
                        b"application/json",
                        RequestError::BadRequest.body().as_bytes(),
                        cors,
                    );
                }
                let body = Bytes::copy_from_slice(body);
                match py.detach(|| self.handle.with(|e| e.on_post(Instant::now(), eio_sid, body))) {
                    Ok(()) => respond(py, 200, b"text/html", b"ok", cors),
                    Err(err) => error(py, RequestError::from(&err), cors),
                }
            }
            Ok(Route::Upgrade(_)) => error(py, RequestError::BadRequest, cors),
        }
    }

    /// Continue a waiting GET after its `WAKE(token)`; `headers` are the GET's, for CORS and compression.
    fn poll_resume<'py>(
        &self,
        py: Python<'py>,
        eio_sid: &str,
        token: u64,
        headers: Headers,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return error(py, RequestError::SessionIdUnknown, Vec::new());
        };
        let cors = self.cors(&headers).unwrap_or_default();
        self.poll_outbox(py, eio_sid, token, header(&headers, b"accept-encoding"), cors)
    }

    /// The waiting GET's client went away.
    fn poll_abort(&self, eio_sid: &str) {
        if let Some(eio_sid) = EioSid::parse(eio_sid) {
            self.polls.lock().remove(&eio_sid);
            self.handle.with(|e| e.end_poll(eio_sid));
        }
    }

    /// A WebSocket asks to connect. Returns `(2, eio_sid, first_frame | None)` to accept (the first frame is the
    /// open packet of a fresh session, None for an upgrade), or `(0, status, headers, body)` to refuse.
    #[pyo3(signature = (path, query, headers, remote=None))]
    fn ws_open<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        query: &str,
        headers: Headers,
        remote: Option<(String, u16)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if self.cors(&headers).is_err() {
            return respond(py, 400, b"text/plain", b"Not an accepted origin.", Vec::new());
        }
        let eio_query = EioQuery::parse(query);
        match route("GET", &eio_query, true) {
            Ok(Route::Handshake(_)) => {
                let info = Box::new(request_info("GET", path, query, &headers, remote));
                match py.detach(|| {
                    self.handle
                        .with(|e| e.open(Instant::now(), Transport::WebSocket, Some(info)))
                }) {
                    Ok(opened) => Ok((
                        {
                            self.websockets.lock().insert(opened.eio_sid, opened.outbox.clone());
                            ACCEPT_WS
                        },
                        opened.eio_sid.as_str(),
                        frame_to_python(py, &opened.open_frame),
                    )
                        .into_pyobject(py)?
                        .into_any()),
                    Err(err) => error(py, RequestError::from(&err), Vec::new()),
                }
            }
            Ok(Route::Upgrade(eio_sid)) => match self.handle.with(|e| e.begin_upgrade(eio_sid)) {
                Ok(outbox) => {
                    self.websockets.lock().insert(eio_sid, outbox);
                    Ok((ACCEPT_WS, eio_sid.as_str(), py.None()).into_pyobject(py)?.into_any())
                }
                Err(err) => error(py, RequestError::from(&err), Vec::new()),
            },
            Ok(_) => error(py, RequestError::BadRequest, Vec::new()),
            Err(err) => error(py, err, Vec::new()),
        }
    }

    /// A text frame arrived. Returns 0 (go on), 1 (upgraded: start writing the outbox), 2 (closed), or a str to
    /// send at once (the probe answer).
    fn ws_text<'py>(&self, py: Python<'py>, eio_sid: &str, text: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return Ok(2u8.into_pyobject(py)?.into_any());
        };
        let frame = Bytes::copy_from_slice(text.as_bytes());
        let outcome = py.detach(|| self.handle.with(|e| e.on_ws_text(Instant::now(), eio_sid, frame)));
        ws_outcome(py, outcome)
    }

    /// A binary frame arrived; same answers as `ws_text`.
    fn ws_binary<'py>(&self, py: Python<'py>, eio_sid: &str, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return Ok(2u8.into_pyobject(py)?.into_any());
        };
        let data = Bytes::copy_from_slice(data);
        let outcome = py.detach(|| self.handle.with(|e| e.on_ws_binary(Instant::now(), eio_sid, data)));
        ws_outcome(py, outcome)
    }

    /// A frame over `max_http_buffer_size` arrived: the session closes.
    fn ws_oversize(&self, eio_sid: &str) {
        if let Some(eio_sid) = EioSid::parse(eio_sid) {
            self.handle.with(|e| e.on_oversize(eio_sid));
        }
    }

    /// The WebSocket closed. `carries_session` is False for an upgrade that never finished.
    fn ws_closed(&self, eio_sid: &str, carries_session: bool) {
        let Some(eio_sid) = EioSid::parse(eio_sid) else { return };
        self.websockets.lock().remove(&eio_sid);
        self.handle.with(|e| {
            if carries_session {
                e.on_transport_closed(eio_sid, crate::engine::DisconnectReason::TransportClose);
            } else {
                e.abort_upgrade(eio_sid);
            }
        });
    }

    /// Frames to write on a WebSocket: `(frames, state)` where state 0 = open (empty frames: wait for
    /// `WAKE(token)`), 1 = closed after these frames, 2 = closed, send a close packet first.
    fn ws_take<'py>(&self, py: Python<'py>, eio_sid: &str, token: u64) -> PyResult<(Bound<'py, PyList>, u8)> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return Ok((PyList::empty(py), 1));
        };
        let Some(outbox) = self.websockets.lock().get(&eio_sid).cloned() else {
            return Ok((PyList::empty(py), 1));
        };
        let waker = self.queue.waker(token);
        let mut frames = Vec::new();
        let state = match outbox.poll_drain(&mut Context::from_waker(&waker), &mut frames) {
            Poll::Pending | Poll::Ready(Drained::Frames) => 0,
            Poll::Ready(Drained::Closed { notify_client }) => {
                self.websockets.lock().remove(&eio_sid);
                1 + u8::from(notify_client)
            }
        };
        let list = PyList::empty(py);
        for frame in &frames {
            list.append(frame_to_python(py, frame))?;
        }
        Ok((list, state))
    }

    /// Whether the Engine.IO session still exists (a probing WebSocket checks this to end with its session).
    fn session_open(&self, eio_sid: &str) -> bool {
        EioSid::parse(eio_sid).is_some_and(|sid| self.handle.with(|e| e.transport(sid).is_some()))
    }

    /// A fresh wake token.
    fn new_token(&self) -> u64 {
        self.queue.next_token()
    }

    /// Take over a WebSocket upgrade a WSGI server has read: `socket_fd` is its connected socket, `done_fd` the
    /// write end of a pipe. Both are duplicated, never closed, so the caller keeps its own descriptors; the pipe
    /// reaches EOF (once the caller closes its write end too) when the WebSocket has ended and the socket is
    /// shut down. Returns None when taken over, or `(0, status, headers, body)` for the caller to answer.
    #[pyo3(signature = (socket_fd, done_fd, path, query, headers, remote=None))]
    #[expect(clippy::too_many_arguments, reason = "one WSGI request, flattened")]
    fn adopt_websocket<'py>(
        &self,
        py: Python<'py>,
        socket_fd: i32,
        done_fd: i32,
        path: &str,
        query: &str,
        headers: Headers,
        remote: Option<(String, u16)>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if self.cors(&headers).is_err() {
            return respond(py, 400, b"text/plain", b"Not an accepted origin.", Vec::new()).map(Some);
        }
        let socket = std::net::TcpStream::from(super::fd::duplicate(socket_fd)?);
        // A descriptor that is not a connected socket is refused before anything is written to it.
        if socket.peer_addr().is_err() {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "socket_fd is not a connected socket",
            ));
        }
        let done = super::fd::duplicate(done_fd)?;
        let request = AdoptedRequest {
            socket,
            done,
            query: query.to_owned(),
            key: header(&headers, b"sec-websocket-key").map(str::to_owned),
            info: Box::new(request_info("GET", path, query, &headers, remote)),
        };
        let runtime = runtime().map_err(super::errors::os_error)?;
        match py.detach(|| adopt(&self.handle, runtime, request)) {
            Ok(()) => Ok(None),
            Err(err) => error(py, err, Vec::new()).map(Some),
        }
    }
}

fn ws_outcome(py: Python<'_>, outcome: Result<WsOutcome, SessionError>) -> PyResult<Bound<'_, PyAny>> {
    Ok(match outcome {
        Ok(WsOutcome::Continue) => 0u8.into_pyobject(py)?.into_any(),
        Ok(WsOutcome::Upgraded) => 1u8.into_pyobject(py)?.into_any(),
        Ok(WsOutcome::Closed) | Err(_) => 2u8.into_pyobject(py)?.into_any(),
        Ok(WsOutcome::Reply(frame)) => frame_to_python(py, &frame),
    })
}
