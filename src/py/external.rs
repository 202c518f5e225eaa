//! External direction: turbosio served by someone else's server. Engine.IO requests handed over from an ASGI
//! server (uvicorn, hypercorn, granian) or a WSGI server (eventlet, gunicorn, werkzeug).
//!
//! Python reads the request and calls in here; this module only converts: Python values become the endpoint's
//! request description, and the endpoint's answer becomes a plain tuple for Python to send. A long-polling GET or
//! a WebSocket writer that must wait registers a waker that queues `WAKE(token)` on the server's event queue, so
//! waits are resolved by the same one-per-burst drain as events, with no GIL on any tokio thread. What to answer
//! is [`Endpoint`]'s, the same as the native driver's, so both answer alike.

use std::collections::HashMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use super::dispatch::EventQueue;
use super::kinds as kind;
use super::parts::ServerParts;
use crate::engine::{DisconnectReason, Drained, EioSid, Outbox};
use crate::protocol::engineio::Frame;
use crate::runtime::runtime;
use crate::server::adopted::AdoptedSocket;
use crate::server::endpoint::{Answer, Cors, EioRequest, Endpoint, FrameOutcome, Reply, RequestHeaders, Upgrade};
use crate::server::request::RequestError;
use crate::server::websocket::Start;

type Headers = Vec<(Vec<u8>, Vec<u8>)>;

/// Driver for one server's Engine.IO path under ASGI or WSGI.
#[pyclass(frozen, module = "turbosio._core")]
pub struct ExternalDriverCore {
    endpoint: Endpoint,
    queue: Arc<EventQueue>,
    /// The outbox each Python-driven transport drains: waiting GETs and WebSocket writers, by session. Kept here,
    /// not looked up per call, because a closing session leaves the engine at once while its outbox still holds
    /// the last frames and the close.
    polls: Mutex<HashMap<EioSid, Arc<Outbox>>>,
    websockets: Mutex<HashMap<EioSid, Arc<Outbox>>>,
}

fn header<'a>(headers: &'a Headers, name: &str) -> Option<&'a str> {
    RequestHeaders::get(headers.as_slice(), name)
}

/// The endpoint's description of a request Python handed over; `remote` is the peer as `(host, port)`.
fn describe<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a Headers,
    remote: Option<(String, u16)>,
) -> EioRequest<'a, [(Vec<u8>, Vec<u8>)]> {
    EioRequest {
        method,
        path,
        query,
        headers: headers.as_slice(),
        peer: remote.and_then(|(host, port)| host.parse().ok().map(|ip| std::net::SocketAddr::new(ip, port))),
        // The hosting server's scheme does not reach this driver; Python sets the environ's from its own request.
        secure: false,
    }
}

/// `(ANSWER_RESPOND, status, headers, body)`.
fn respond(py: Python<'_>, reply: Reply) -> PyResult<Bound<'_, PyAny>> {
    let headers: Headers = reply
        .headers
        .into_iter()
        .map(|(name, value)| (name.as_bytes().to_vec(), value.as_bytes().to_vec()))
        .collect();
    Ok((
        kind::ANSWER_RESPOND,
        reply.status,
        headers,
        PyBytes::new(py, &reply.body),
    )
        .into_pyobject(py)?
        .into_any())
}

fn frame_to_python<'py>(py: Python<'py>, frame: &Frame) -> Bound<'py, PyAny> {
    match frame {
        Frame::Text(text) => PyString::new(py, &String::from_utf8_lossy(text)).into_any(),
        Frame::Binary(bin) => PyBytes::new(py, bin).into_any(),
    }
}

impl ExternalDriverCore {
    /// The external driver of the server made of `parts`.
    pub fn new(parts: ServerParts) -> Self {
        Self {
            endpoint: Endpoint::new(parts.handle, parts.http),
            queue: parts.queue,
            polls: Mutex::new(HashMap::new()),
            websockets: Mutex::new(HashMap::new()),
        }
    }

    /// Answer a waiting GET now if its outbox has frames or is closed; otherwise register `token`'s waker.
    fn poll_outbox<'py>(
        &self,
        py: Python<'py>,
        eio_sid: EioSid,
        token: u64,
        accept_encoding: Option<&str>,
        cors: &Cors,
    ) -> PyResult<Bound<'py, PyAny>> {
        let handle = self.endpoint.handle();
        let Some(outbox) = self.polls.lock().get(&eio_sid).cloned() else {
            handle.with(|e| e.end_poll(eio_sid));
            return respond(py, self.endpoint.poll_gone(cors));
        };
        let waker = self.queue.waker(token);
        let mut frames = Vec::new();
        let drained = outbox.poll_drain(&mut Context::from_waker(&waker), &mut frames);
        let Poll::Ready(drained) = drained else {
            return Ok((kind::ANSWER_WAIT, eio_sid.as_str(), token)
                .into_pyobject(py)?
                .into_any());
        };
        self.polls.lock().remove(&eio_sid);
        handle.with(|e| e.end_poll(eio_sid));
        respond(
            py,
            self.endpoint
                .poll_reply(eio_sid, frames, drained, accept_encoding, cors),
        )
    }

    /// The answer to a WebSocket request, for ASGI (`ws_open`): accepted, the outbox is kept for `ws_take`.
    fn websocket_answer<'py>(&self, py: Python<'py>, answer: Answer) -> PyResult<Bound<'py, PyAny>> {
        match answer {
            // Accepted only to be closed: no sid, so Python closes it at once (the session's own WebSocket keeps
            // its entry).
            Answer::AcceptWebSocket {
                start: Start::Refused, ..
            } => Ok((kind::ANSWER_ACCEPT_WEBSOCKET, py.None(), py.None())
                .into_pyobject(py)?
                .into_any()),
            Answer::AcceptWebSocket { eio_sid, outbox, start } => {
                self.websockets.lock().insert(eio_sid, outbox);
                let open = match &start {
                    Start::Fresh(open) => frame_to_python(py, open),
                    Start::Upgrading | Start::Refused => py.None().into_bound(py),
                };
                Ok((kind::ANSWER_ACCEPT_WEBSOCKET, eio_sid.as_str(), open)
                    .into_pyobject(py)?
                    .into_any())
            }
            Answer::Respond(reply) => respond(py, reply),
            // The endpoint answers a WebSocket request with nothing else.
            Answer::Wait { .. } | Answer::ReadBody { .. } => respond(py, Reply::error(RequestError::BadRequest)),
        }
    }
}

/// What Python passes for a frame outcome: `WS_CONTINUE`, `WS_UPGRADED`, `WS_CLOSED`, or the str to send now.
fn frame_outcome(py: Python<'_>, outcome: FrameOutcome) -> PyResult<Bound<'_, PyAny>> {
    Ok(match outcome {
        FrameOutcome::Continue => kind::WS_CONTINUE.into_pyobject(py)?.into_any(),
        FrameOutcome::Upgraded => kind::WS_UPGRADED.into_pyobject(py)?.into_any(),
        FrameOutcome::Closed => kind::WS_CLOSED.into_pyobject(py)?.into_any(),
        FrameOutcome::Reply(frame) => frame_to_python(py, &frame),
    })
}

#[pymethods]
impl ExternalDriverCore {
    /// The largest body accepted; Python stops reading a POST past it and passes `oversize=True`.
    #[getter]
    fn max_payload(&self) -> usize {
        self.endpoint.max_payload()
    }

    /// Handle an HTTP request to the Engine.IO path. Returns `(ANSWER_RESPOND, status, headers, body)` or
    /// `(ANSWER_WAIT, eio_sid, token)`.
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
        // Not `secure`: the hosting server's scheme does not reach this driver, so same-origin means http://.
        let cors = match self.endpoint.cors(headers.as_slice(), false) {
            Ok(cors) => cors,
            Err(refused) => return respond(py, refused),
        };
        let request = describe(method, path, query, &headers, remote);
        match py.detach(|| self.endpoint.http(&request, Upgrade::No, &cors)) {
            Answer::Respond(reply) => respond(py, reply),
            Answer::Wait { eio_sid, outbox } => {
                self.polls.lock().insert(eio_sid, outbox);
                let token = self.queue.next_token();
                self.poll_outbox(py, eio_sid, token, header(&headers, "accept-encoding"), &cors)
            }
            Answer::ReadBody { eio_sid } => {
                // Refused (413) before more than the limit was read, when oversize.
                let body = (!oversize).then(|| Bytes::copy_from_slice(body));
                respond(py, py.detach(|| self.endpoint.post(eio_sid, body, &cors)))
            }
            // Never for a plain HTTP request.
            Answer::AcceptWebSocket { .. } => respond(py, Reply::error(RequestError::BadRequest)),
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
            return respond(py, Reply::error(RequestError::SessionIdUnknown));
        };
        let cors = self.endpoint.cors(headers.as_slice(), false).unwrap_or_default();
        self.poll_outbox(py, eio_sid, token, header(&headers, "accept-encoding"), &cors)
    }

    /// The waiting GET's client went away.
    fn poll_abort(&self, eio_sid: &str) {
        if let Some(eio_sid) = EioSid::parse(eio_sid) {
            self.polls.lock().remove(&eio_sid);
            self.endpoint.handle().with(|e| e.end_poll(eio_sid));
        }
    }

    /// A WebSocket asks to connect. Returns `(ANSWER_ACCEPT_WEBSOCKET, eio_sid, first_frame | None)` to accept (the
    /// first frame is the open packet of a fresh session, None for an upgrade; `eio_sid` None: accept and close at
    /// once, a second WebSocket for a session), or `(ANSWER_RESPOND, status,
    /// headers, body)` to refuse.
    #[pyo3(signature = (path, query, headers, remote=None))]
    fn ws_open<'py>(
        &self,
        py: Python<'py>,
        path: &str,
        query: &str,
        headers: Headers,
        remote: Option<(String, u16)>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let cors = match self.endpoint.cors(headers.as_slice(), false) {
            Ok(cors) => cors,
            Err(refused) => return respond(py, refused),
        };
        let request = describe("GET", path, query, &headers, remote);
        let answer = py.detach(|| self.endpoint.websocket(&request, &cors));
        self.websocket_answer(py, answer)
    }

    /// A text frame arrived. Returns `WS_CONTINUE`, `WS_UPGRADED` (start writing the outbox), `WS_CLOSED`, or a str
    /// to send at once (the probe answer).
    fn ws_text<'py>(&self, py: Python<'py>, eio_sid: &str, text: &str) -> PyResult<Bound<'py, PyAny>> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return frame_outcome(py, FrameOutcome::Closed);
        };
        let frame = Bytes::copy_from_slice(text.as_bytes());
        frame_outcome(py, py.detach(|| self.endpoint.ws_text(eio_sid, frame)))
    }

    /// A binary frame arrived; same answers as `ws_text`.
    fn ws_binary<'py>(&self, py: Python<'py>, eio_sid: &str, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return frame_outcome(py, FrameOutcome::Closed);
        };
        let data = Bytes::copy_from_slice(data);
        frame_outcome(py, py.detach(|| self.endpoint.ws_binary(eio_sid, data)))
    }

    /// A frame over `max_http_buffer_size` arrived: the session closes.
    fn ws_oversize(&self, eio_sid: &str) {
        if let Some(eio_sid) = EioSid::parse(eio_sid) {
            self.endpoint.handle().with(|e| e.on_oversize(eio_sid));
        }
    }

    /// The WebSocket closed. `carries_session` is False for an upgrade that never finished; `server_shutdown`:
    /// the ASGI server closed it because it is shutting down (uvicorn's 1012), not the client; `stalled`: the
    /// writer gave up on a client that stopped reading (as the native server's write deadline does).
    #[pyo3(signature = (eio_sid, carries_session, server_shutdown=false, stalled=false))]
    fn ws_closed(&self, eio_sid: &str, carries_session: bool, server_shutdown: bool, stalled: bool) {
        let Some(eio_sid) = EioSid::parse(eio_sid) else { return };
        self.websockets.lock().remove(&eio_sid);
        let reason = if server_shutdown {
            DisconnectReason::ServerDisconnect
        } else if stalled {
            DisconnectReason::TransportError
        } else {
            DisconnectReason::TransportClose
        };
        self.endpoint.handle().websocket_ended(eio_sid, carries_session, reason);
    }

    /// Frames to write on a WebSocket: `(frames, state)` where state is `WS_OPEN` (empty frames: wait for
    /// `WAKE(token)`), `WS_ENDED` (closed after these frames) or `WS_ENDED_NOTIFY` (closed, send a close packet
    /// first).
    fn ws_take<'py>(&self, py: Python<'py>, eio_sid: &str, token: u64) -> PyResult<(Bound<'py, PyList>, u8)> {
        let Some(eio_sid) = EioSid::parse(eio_sid) else {
            return Ok((PyList::empty(py), kind::WS_ENDED));
        };
        let Some(outbox) = self.websockets.lock().get(&eio_sid).cloned() else {
            return Ok((PyList::empty(py), kind::WS_ENDED));
        };
        let waker = self.queue.waker(token);
        let mut frames = Vec::new();
        let state = match outbox.poll_drain(&mut Context::from_waker(&waker), &mut frames) {
            Poll::Pending | Poll::Ready(Drained::Frames) => kind::WS_OPEN,
            Poll::Ready(Drained::Closed { notify_client }) => {
                self.websockets.lock().remove(&eio_sid);
                if notify_client {
                    kind::WS_ENDED_NOTIFY
                } else {
                    kind::WS_ENDED
                }
            }
        };
        let list = PyList::empty(py);
        for frame in &frames {
            list.append(frame_to_python(py, frame))?;
        }
        Ok((list, state))
    }

    /// A probing WebSocket's 100 ms check: releases a GET waiting through the upgrade with a noop; False when the
    /// session is gone (the probe then ends with it).
    fn probe_tick(&self, eio_sid: &str) -> bool {
        EioSid::parse(eio_sid).is_some_and(|sid| self.endpoint.handle().with(|e| e.probe_tick(sid)))
    }

    /// Whether the Engine.IO session still exists.
    fn session_open(&self, eio_sid: &str) -> bool {
        EioSid::parse(eio_sid).is_some_and(|sid| self.endpoint.handle().with(|e| e.transport(sid).is_some()))
    }

    /// A fresh wake token.
    fn new_token(&self) -> u64 {
        self.queue.next_token()
    }

    /// Take over a WebSocket upgrade a WSGI server has read: `socket_fd` is its connected socket, `done_fd` the
    /// write end of a pipe. Both are duplicated, never closed, so the caller keeps its own descriptors; the pipe
    /// reaches EOF (once the caller closes its write end too) when the WebSocket has ended and the socket is
    /// shut down. Returns None when taken over, or `(ANSWER_RESPOND, status, headers, body)` for the caller to
    /// answer.
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
        let cors = match self.endpoint.cors(headers.as_slice(), false) {
            Ok(cors) => cors,
            Err(refused) => return respond(py, refused).map(Some),
        };
        let socket = std::net::TcpStream::from(super::fd::duplicate(socket_fd)?);
        // A descriptor that is not a connected socket is refused before anything is written to it.
        if socket.peer_addr().is_err() {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "socket_fd is not a connected socket",
            ));
        }
        let done = super::fd::duplicate(done_fd)?;
        let adopted = match AdoptedSocket::new(socket, done, header(&headers, "sec-websocket-key")) {
            Ok(adopted) => adopted,
            Err(err) => return respond(py, Reply::error(err)).map(Some),
        };
        let runtime = runtime().map_err(super::errors::os_error)?;
        let request = describe("GET", path, query, &headers, remote);
        match py.detach(|| self.endpoint.websocket(&request, &cors)) {
            Answer::AcceptWebSocket { eio_sid, outbox, start } => {
                adopted.serve(self.endpoint.handle(), runtime, eio_sid, outbox, start);
                Ok(None)
            }
            other => self.websocket_answer(py, other).map(Some),
        }
    }
}
