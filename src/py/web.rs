//! The bridge between the native server and a web app written in Python (an ASGI app hosted by `turbosio.run`).
//!
//! A request becomes an `HTTP` item on the event queue (so Python gets it in the same one-per-burst drain as
//! events); Python answers through `ServerCore.http_start` / `http_body`, which feed the channel the driver is
//! streaming the response from. Nothing here waits on Python.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::mpsc::UnboundedSender;

use super::dispatch::EventQueue;
use crate::engine::EventSink;
use crate::server::web::{RawHeaders, WebApp, WebRequest, WebResponsePart, WebSocketCommand, WebSocketData};

/// Requests waiting for Python's answer, and the web app's open WebSocket connections, by token.
pub struct WebBridge {
    queue: Arc<EventQueue>,
    responders: Mutex<HashMap<u64, UnboundedSender<WebResponsePart>>>,
    websockets: Mutex<HashMap<u64, UnboundedSender<WebSocketCommand>>>,
}

/// Why an answer from Python was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebAnswerError {
    /// The token names no open response (finished, aborted, or never issued).
    #[error("no open HTTP response with this token (it was completed or closed)")]
    NotOpen,
    /// The token names no open WebSocket (closed by either side, or never issued).
    #[error("the WebSocket is closed")]
    WebSocketClosed,
}

impl WebBridge {
    /// A bridge queueing requests on `queue`.
    pub fn new(queue: Arc<EventQueue>) -> Arc<Self> {
        Arc::new(Self {
            queue,
            responders: Mutex::new(HashMap::new()),
            websockets: Mutex::new(HashMap::new()),
        })
    }

    /// `http.response.start`.
    pub fn start(&self, token: u64, status: u16, headers: RawHeaders) -> Result<(), WebAnswerError> {
        let responders = self.responders.lock();
        let respond = responders.get(&token).ok_or(WebAnswerError::NotOpen)?;
        respond
            .send(WebResponsePart::Start { status, headers })
            .map_err(|_| WebAnswerError::NotOpen)
    }

    /// `http.response.body`; the last chunk (`more == false`) closes the response.
    pub fn body(&self, token: u64, data: Bytes, more: bool) -> Result<(), WebAnswerError> {
        let mut responders = self.responders.lock();
        let respond = if more {
            responders.get(&token).cloned()
        } else {
            responders.remove(&token)
        };
        let respond = respond.ok_or(WebAnswerError::NotOpen)?;
        respond
            .send(WebResponsePart::Body { data, more })
            .map_err(|_| WebAnswerError::NotOpen)
    }

    /// Forget a response (the app failed or the client left); the driver answers 500 if nothing was started.
    pub fn abort(&self, token: u64) {
        self.responders.lock().remove(&token);
    }

    /// A command of the app for one of its WebSocket connections. `Deny` and `Close` are the last one taken.
    pub fn websocket(&self, token: u64, command: WebSocketCommand) -> Result<(), WebAnswerError> {
        let mut websockets = self.websockets.lock();
        let last = matches!(command, WebSocketCommand::Deny { .. } | WebSocketCommand::Close { .. });
        let sender = if last {
            websockets.remove(&token)
        } else {
            websockets.get(&token).cloned()
        };
        let sender = sender.ok_or(WebAnswerError::WebSocketClosed)?;
        sender.send(command).map_err(|_| WebAnswerError::WebSocketClosed)
    }
}

impl WebApp for WebBridge {
    fn handle(&self, request: WebRequest, respond: UnboundedSender<WebResponsePart>) {
        let token = self.queue.next_token();
        self.responders.lock().insert(token, respond);
        self.queue.push_http(token, request);
    }

    fn open_websocket(&self, request: WebRequest, commands: UnboundedSender<WebSocketCommand>) -> u64 {
        let token = self.queue.next_token();
        self.websockets.lock().insert(token, commands);
        self.queue.push_websocket(token, request);
        token
    }

    fn websocket_message(&self, token: u64, data: WebSocketData) {
        self.queue.push_websocket_message(token, data);
    }

    fn websocket_gone(&self, token: u64, code: u16) {
        self.websockets.lock().remove(&token);
        self.queue.push_websocket_gone(token, code);
    }

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        EventSink::poll_ready(self.queue.as_ref(), cx)
    }
}
