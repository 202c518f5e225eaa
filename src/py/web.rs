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
use crate::server::web::{RawHeaders, WebApp, WebRequest, WebResponsePart};

/// Requests waiting for Python's answer, by token.
pub struct WebBridge {
    queue: Arc<EventQueue>,
    responders: Mutex<HashMap<u64, UnboundedSender<WebResponsePart>>>,
}

/// Why an answer from Python was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebAnswerError {
    /// The token names no open response (finished, aborted, or never issued).
    #[error("no open HTTP response with this token (it was completed or closed)")]
    NotOpen,
}

impl WebBridge {
    /// A bridge queueing requests on `queue`.
    pub fn new(queue: Arc<EventQueue>) -> Arc<Self> {
        Arc::new(Self {
            queue,
            responders: Mutex::new(HashMap::new()),
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
}

impl WebApp for WebBridge {
    fn handle(&self, request: WebRequest, respond: UnboundedSender<WebResponsePart>) {
        let token = self.queue.next_token();
        self.responders.lock().insert(token, respond);
        self.queue.push_http(token, request);
    }
}
