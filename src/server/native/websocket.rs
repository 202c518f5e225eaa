//! WebSocket over hyper: the handshake straight over WebSocket and the upgrade of a polling session. Once hyper
//! hands the connection over, [`crate::server::websocket::run`] serves the session.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::{Body, Live, Shared, error_response, full};
use crate::engine::{DisconnectReason, EioSid, Outbox, RequestInfo, Transport};
use crate::server::request::RequestError;
use crate::server::websocket::{Start, run, ws_config};

/// Whether the request asks to switch to WebSocket.
pub(super) fn is_upgrade_request(req: &Request<Incoming>) -> bool {
    let has = |name: header::HeaderName, token: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    has(header::UPGRADE, "websocket") && has(header::CONNECTION, "upgrade")
}

fn switching_protocols(req: &Request<Incoming>) -> Option<Response<Body>> {
    let key = req.headers().get(header::SEC_WEBSOCKET_KEY)?;
    let accept = HeaderValue::from_str(&derive_accept_key(key.as_bytes())).ok()?;
    let mut response = Response::new(full(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    Some(response)
}

pub(super) fn handshake(shared: &Arc<Shared>, req: Request<Incoming>, info: Box<RequestInfo>) -> Response<Body> {
    let Some(response) = switching_protocols(&req) else {
        return error_response(RequestError::BadRequest);
    };
    let opened = match shared
        .handle
        .with(|e| e.open(Instant::now(), Transport::WebSocket, Some(info)))
    {
        Ok(opened) => opened,
        Err(err) => return error_response(RequestError::from(&err)),
    };
    spawn_connection(
        shared,
        req,
        opened.eio_sid,
        opened.outbox,
        Start::Fresh(opened.open_frame),
    );
    response
}

pub(super) fn upgrade(shared: &Arc<Shared>, sid: EioSid, req: Request<Incoming>) -> Response<Body> {
    let Some(response) = switching_protocols(&req) else {
        return error_response(RequestError::BadRequest);
    };
    let outbox = match shared.handle.with(|e| e.begin_upgrade(sid)) {
        Ok(outbox) => outbox,
        Err(err) => return error_response(RequestError::from(&err)),
    };
    spawn_connection(shared, req, sid, outbox, Start::Upgrading);
    response
}

fn spawn_connection(shared: &Arc<Shared>, req: Request<Incoming>, sid: EioSid, outbox: Arc<Outbox>, start: Start) {
    let shared = shared.clone();
    let live = Live::new(&shared);
    tokio::spawn(async move {
        let _live = live;
        let upgrading = matches!(start, Start::Upgrading);
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            shared.handle.with(|e| {
                if upgrading {
                    e.abort_upgrade(sid);
                } else {
                    e.on_transport_closed(sid, DisconnectReason::TransportError);
                }
            });
            return;
        };
        let config = ws_config(&shared.handle);
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
        run(&shared.handle, ws, sid, &outbox, start).await;
    });
}
