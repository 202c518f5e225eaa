//! WebSocket over hyper: the 101 answer to a WebSocket the endpoint accepted (a fresh session or the upgrade of a
//! polling one). Once hyper hands the connection over, [`crate::server::websocket::run`] serves the session.

use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::{Body, Live, Shared, full};
use crate::engine::{DisconnectReason, EioSid, Outbox};
use crate::server::endpoint::Reply;
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

/// The 101 answer; None without a `Sec-WebSocket-Key` (the endpoint refuses such a request before this).
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

/// Switch the connection to WebSocket and serve `sid`'s session on it once hyper hands it over.
pub(super) fn accept(
    shared: &Arc<Shared>,
    req: Request<Incoming>,
    sid: EioSid,
    outbox: Arc<Outbox>,
    start: Start,
) -> Response<Body> {
    let handle = shared.endpoint.handle().clone();
    let Some(response) = switching_protocols(&req) else {
        start.abandon(&handle, sid, DisconnectReason::TransportError);
        return super::response(Reply::error(RequestError::BadRequest));
    };
    let live = Live::new(shared);
    tokio::spawn(async move {
        let _live = live;
        let Ok(upgraded) = hyper::upgrade::on(req).await else {
            start.abandon(&handle, sid, DisconnectReason::TransportError);
            return;
        };
        let config = ws_config(&handle);
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
        run(&handle, ws, sid, &outbox, start).await;
    });
    response
}
