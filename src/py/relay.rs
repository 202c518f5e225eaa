//! Hosted direction: `ServerCore`'s methods through which Python answers the web app turbosio hosts natively
//! (`turbosio.run` with a `FastAPI` or Flask app): the response parts of its HTTP requests and the messages of its
//! WebSocket connections. Each hands over to the [`super::hosted::HostedBridge`] and returns at once.

use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use super::errors::{state_error, value_error};
use super::server::ServerCore;
use crate::server::hosted::{HostedWebSocketCommand, HostedWebSocketData};

#[pymethods]
impl ServerCore {
    /// `http.response.start` for a hosted web-app request.
    fn http_start(&self, token: u64, status: u16, headers: Vec<(Vec<u8>, Vec<u8>)>) -> PyResult<()> {
        self.hosted.start(token, status, headers).map_err(state_error)
    }

    /// `http.response.body` for a hosted web-app request; `more_body=False` finishes it. Returns True when the
    /// client is behind: call `http_wait_written` before the next chunk.
    #[pyo3(signature = (token, body, more_body=false))]
    fn http_body(&self, token: u64, body: &[u8], more_body: bool) -> PyResult<bool> {
        self.hosted
            .body(token, Bytes::copy_from_slice(body), more_body)
            .map_err(state_error)
    }

    /// After `http_body` returned True: a wake token to wait for (`WAKE(token)` once the client caught up or left),
    /// or None to go on now.
    fn http_wait_written(&self, token: u64) -> Option<u64> {
        self.hosted.wait_written(token)
    }

    /// The app read a piece of a request body (an `HTTP_BODY` item): let the driver read another.
    fn http_body_consumed(&self, token: u64) {
        self.hosted.request_body_consumed(token);
    }

    /// Give up on a hosted web-app request (the app failed); the client gets a 500 if nothing was sent yet.
    fn http_abort(&self, token: u64) {
        self.hosted.abort(token);
    }

    /// `websocket.accept` for one of the hosted web app's WebSocket connections.
    #[pyo3(signature = (token, subprotocol=None, headers=Vec::new()))]
    fn ws_accept(&self, token: u64, subprotocol: Option<String>, headers: Vec<(Vec<u8>, Vec<u8>)>) -> PyResult<()> {
        self.hosted
            .websocket(token, HostedWebSocketCommand::Accept { subprotocol, headers })?;
        Ok(())
    }

    /// Refuse a WebSocket handshake the hosted web app has not accepted (HTTP `status`, 403 by default).
    #[pyo3(signature = (token, status=403))]
    fn ws_deny(&self, token: u64, status: u16) -> PyResult<()> {
        self.hosted.websocket(token, HostedWebSocketCommand::Deny { status })?;
        Ok(())
    }

    /// `websocket.send`: a `str` goes as a text message, `bytes` as a binary one. Raises `OSError` once closed.
    /// Returns True when the client is behind: the app should call `ws_wait_sent` before sending more.
    fn ws_send(&self, token: u64, data: &Bound<'_, PyAny>) -> PyResult<bool> {
        let data = if let Ok(text) = data.cast::<PyString>() {
            HostedWebSocketData::Text(text.to_str()?.to_owned())
        } else if let Ok(bytes) = data.cast::<PyBytes>() {
            HostedWebSocketData::Binary(Bytes::copy_from_slice(bytes.as_bytes()))
        } else {
            return Err(value_error("a WebSocket message is str or bytes"));
        };
        Ok(self.hosted.websocket(token, HostedWebSocketCommand::Send(data))?)
    }

    /// `websocket.close` of an accepted connection. Raises `OSError` once closed.
    #[pyo3(signature = (token, code=1000, reason=String::new()))]
    fn ws_close(&self, token: u64, code: u16, reason: String) -> PyResult<()> {
        self.hosted
            .websocket(token, HostedWebSocketCommand::Close { code, reason })?;
        Ok(())
    }

    /// After `ws_send` returned True: a wake token to wait for (`WAKE(token)` once the client caught up or the
    /// connection ended), or None to go on now.
    fn ws_wait_sent(&self, token: u64) -> Option<u64> {
        self.hosted.wait_sent(token)
    }

    /// The app's `receive` took a message: let the driver read another from the client.
    fn ws_consumed(&self, token: u64) {
        self.hosted.websocket_consumed(token);
    }
}
