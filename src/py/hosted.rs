//! Hosted direction, Python half: the bridge between the native server and the user's web app written in Python
//! (an ASGI or WSGI app hosted by `turbosio.run`).
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
use crate::server::hosted::{
    Backlog, BodyPiece, ExchangeFlow, HostedApp, HostedRequest, HostedResponsePart, HostedWebSocketCommand,
    HostedWebSocketData, HostedWebSocketFlow, RawHeaders,
};

/// Requests waiting for Python's answer, and the web app's open WebSocket connections, by token.
pub struct HostedBridge {
    queue: Arc<EventQueue>,
    responders: Mutex<HashMap<u64, Responder>>,
    websockets: Mutex<HashMap<u64, HostedWebSocketLink>>,
}

/// Where one response's parts go, and its flow control.
type Responder = (UnboundedSender<HostedResponsePart>, Arc<ExchangeFlow>);

/// How the bindings reach one of the web app's WebSocket connections.
struct HostedWebSocketLink {
    commands: UnboundedSender<HostedWebSocketCommand>,
    flow: Arc<HostedWebSocketFlow>,
}

/// Why an answer from Python was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HostedAnswerError {
    /// The token names no open response (finished, aborted, or never issued).
    #[error("no open HTTP response with this token (it was completed or closed)")]
    NotOpen,
    /// The token names no open WebSocket (closed by either side, or never issued).
    #[error("the WebSocket is closed")]
    WebSocketClosed,
}

impl HostedBridge {
    /// A bridge queueing requests on `queue`.
    pub fn new(queue: Arc<EventQueue>) -> Arc<Self> {
        Arc::new(Self {
            queue,
            responders: Mutex::new(HashMap::new()),
            websockets: Mutex::new(HashMap::new()),
        })
    }

    /// `http.response.start`.
    pub fn start(&self, token: u64, status: u16, headers: RawHeaders) -> Result<(), HostedAnswerError> {
        let responders = self.responders.lock();
        let (respond, _) = responders.get(&token).ok_or(HostedAnswerError::NotOpen)?;
        if respond.send(HostedResponsePart::Start { status, headers }).is_err() {
            // The client left: forget the response now rather than wait for the app to abort it.
            drop(responders);
            self.forget(token);
            return Err(HostedAnswerError::NotOpen);
        }
        Ok(())
    }

    /// `http.response.body`; the last chunk (`more == false`) closes the response. Returns whether the client is
    /// behind and the app should wait (see [`HostedBridge::wait_written`]) before the next chunk.
    pub fn body(&self, token: u64, data: Bytes, more: bool) -> Result<bool, HostedAnswerError> {
        let mut responders = self.responders.lock();
        let entry = if more {
            responders.get(&token).cloned()
        } else {
            responders.remove(&token)
        };
        drop(responders);
        let (respond, flow) = entry.ok_or(HostedAnswerError::NotOpen)?;
        if !more {
            flow.end(); // the exchange is over: stop reading a body the app did not read
        }
        let size = data.len();
        let behind = flow.response.added(size);
        if respond.send(HostedResponsePart::Body { data, more }).is_err() {
            flow.response.removed(size);
            self.forget(token);
            return Err(HostedAnswerError::NotOpen);
        }
        Ok(behind && more)
    }

    /// After `body` said to wait: `Some(wake_token)` when the client is still behind (`WAKE(wake_token)` comes
    /// once it caught up or left), None when the app may go on now.
    pub fn wait_written(&self, token: u64) -> Option<u64> {
        let flow = self.responders.lock().get(&token)?.1.clone();
        self.wait_on(&flow.response)
    }

    /// The app read a piece of the request body: the driver may read another.
    pub fn request_body_consumed(&self, token: u64) {
        if let Some((_, flow)) = self.responders.lock().get(&token) {
            flow.request_credit.add_permits(1);
        }
    }

    fn forget(&self, token: u64) {
        let entry = self.responders.lock().remove(&token);
        if let Some((_, flow)) = entry {
            flow.end();
        }
    }

    fn wait_on(&self, backlog: &Backlog) -> Option<u64> {
        let wake_token = self.queue.next_token();
        backlog.register(self.queue.waker(wake_token)).then_some(wake_token)
    }

    /// Forget a response (the app failed or the client left); the driver answers 500 if nothing was started.
    pub fn abort(&self, token: u64) {
        self.forget(token);
    }

    /// A command of the app for one of its WebSocket connections. `Deny` and `Close` are the last one taken.
    /// Returns whether the app should wait before sending more (see [`HostedBridge::wait_sent`]).
    pub fn websocket(&self, token: u64, command: HostedWebSocketCommand) -> Result<bool, HostedAnswerError> {
        let mut websockets = self.websockets.lock();
        let last = matches!(
            command,
            HostedWebSocketCommand::Deny { .. } | HostedWebSocketCommand::Close { .. }
        );
        let counted = matches!(command, HostedWebSocketCommand::Send(_));
        let link = if last {
            websockets.remove(&token)
        } else {
            websockets.get(&token).map(|link| HostedWebSocketLink {
                commands: link.commands.clone(),
                flow: link.flow.clone(),
            })
        };
        drop(websockets);
        let link = link.ok_or(HostedAnswerError::WebSocketClosed)?;
        let behind = counted && link.flow.outbound.added(1);
        if link.commands.send(command).is_err() {
            if counted {
                link.flow.outbound.removed(1);
            }
            return Err(HostedAnswerError::WebSocketClosed);
        }
        Ok(behind)
    }

    /// The app's `receive` took a message: the driver may read one more.
    pub fn websocket_consumed(&self, token: u64) {
        if let Some(link) = self.websockets.lock().get(&token) {
            link.flow.inbound_credit.add_permits(1);
        }
    }

    /// After a `send` said to wait: `Some(wake_token)` when the backlog is still high (`WAKE(wake_token)` comes once
    /// it is low again or the connection ends), None when the app may go on now.
    pub fn wait_sent(&self, token: u64) -> Option<u64> {
        let flow = self.websockets.lock().get(&token)?.flow.clone();
        self.wait_on(&flow.outbound)
    }
}

impl HostedApp for HostedBridge {
    fn handle(&self, request: HostedRequest, respond: UnboundedSender<HostedResponsePart>) -> (u64, Arc<ExchangeFlow>) {
        let token = self.queue.next_token();
        let flow = Arc::new(ExchangeFlow::default());
        self.responders.lock().insert(token, (respond, flow.clone()));
        self.queue.push_http(token, request);
        (token, flow)
    }

    fn request_body(&self, token: u64, piece: BodyPiece) {
        self.queue.push_http_body(token, piece);
    }

    fn open_websocket(
        &self,
        request: HostedRequest,
        commands: UnboundedSender<HostedWebSocketCommand>,
    ) -> (u64, Arc<HostedWebSocketFlow>) {
        let token = self.queue.next_token();
        let flow = Arc::new(HostedWebSocketFlow::default());
        let link = HostedWebSocketLink {
            commands,
            flow: flow.clone(),
        };
        self.websockets.lock().insert(token, link);
        self.queue.push_websocket(token, request);
        (token, flow)
    }

    fn websocket_message(&self, token: u64, data: HostedWebSocketData) {
        self.queue.push_websocket_message(token, data);
    }

    fn websocket_gone(&self, token: u64, code: u16) {
        let link = self.websockets.lock().remove(&token);
        if let Some(link) = link {
            link.flow.outbound.close();
        }
        self.queue.push_websocket_gone(token, code);
    }

    fn poll_ready(&self, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        EventSink::poll_ready(self.queue.as_ref(), cx)
    }
}
