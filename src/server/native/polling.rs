//! HTTP long-polling: the handshake over polling, the waiting GET and the POST.

use std::future::poll_fn;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::{Body, Shared, error_response, full};
use crate::engine::{Drained, EioSid, RequestInfo, Transport};
use crate::protocol::engineio::{Frame, encode_payload};
use crate::server::compression::compress;
use crate::server::request::RequestError;

fn payload_response(body: Bytes) -> Response<Body> {
    let mut response = Response::new(full(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

pub(super) fn handshake(shared: &Shared, info: Box<RequestInfo>) -> Response<Body> {
    let opened = match shared
        .handle
        .with(|e| e.open(Instant::now(), Transport::Polling, Some(info)))
    {
        Ok(opened) => opened,
        Err(err) => return error_response(RequestError::from(&err)),
    };
    let mut response = payload_response(encode_payload([&opened.open_frame]));
    if let Some(name) = &shared.config.cookie {
        let cookie = format!("{name}={}; Path=/; HttpOnly; SameSite=Lax", opened.eio_sid);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    response
}

/// Marks the GET as answered even when hyper drops the request future (client went away).
struct PollGuard<'a> {
    shared: &'a Shared,
    sid: EioSid,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.shared.handle.with(|e| e.end_poll(self.sid));
    }
}

pub(super) async fn get(shared: &Arc<Shared>, sid: EioSid, accept_encoding: Option<&str>) -> Response<Body> {
    let outbox = match shared.handle.with(|e| e.begin_poll(sid)) {
        Ok(outbox) => outbox,
        Err(err) => return error_response(RequestError::from(&err)),
    };
    let _guard = PollGuard { shared, sid };
    let mut frames = Vec::new();
    if let Drained::Closed { notify_client } = poll_fn(|cx| outbox.poll_drain(cx, &mut frames)).await {
        // spec: a server-side close reaches a polling client as a close packet; when the client closed, its
        // pending GET is released with a noop.
        if notify_client {
            frames.push(Frame::Text(Bytes::from_static(b"1")));
        } else if frames.is_empty() {
            frames.push(Frame::Text(Bytes::from_static(b"6")));
        }
    }
    let body = encode_payload(frames.iter());
    match compress(shared.config.compression, accept_encoding, &body) {
        Some((coding, compressed)) => {
            let mut response = payload_response(Bytes::from(compressed));
            response
                .headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static(coding));
            response
        }
        None => payload_response(body),
    }
}

pub(super) async fn post(shared: &Arc<Shared>, sid: EioSid, req: Request<Incoming>) -> Response<Body> {
    let limit = shared.handle.with(|e| e.config().max_payload);
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let body = if declared.is_some_and(|n| n > limit) {
        None
    } else {
        Limited::new(req.into_body(), limit)
            .collect()
            .await
            .ok()
            .map(http_body_util::Collected::to_bytes)
    };
    let Some(body) = body else {
        // Refused before buffering more than the limit; the session ends.
        shared.handle.with(|e| e.on_oversize(sid));
        let mut response = error_response(RequestError::BadRequest);
        *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return response;
    };
    shared.handle.ready().await;
    match shared.handle.with(|e| e.on_post(Instant::now(), sid, body)) {
        Ok(()) => {
            let mut response = Response::new(full(Bytes::from_static(b"ok")));
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            response
        }
        Err(err) => error_response(RequestError::from(&err)),
    }
}
