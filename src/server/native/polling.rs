//! HTTP long-polling over hyper: the waiting GET and the reading of a POST body. What to answer is the
//! endpoint's; this module only waits and reads.

use std::future::poll_fn;
use std::sync::Arc;

use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header;
use hyper::{Request, Response};

use super::{Body, Shared, response};
use crate::engine::{EioSid, Outbox};
use crate::server::endpoint::Cors;

/// Marks the GET as answered even when hyper drops the request future (client went away).
struct PollGuard<'a> {
    shared: &'a Shared,
    sid: EioSid,
}

impl Drop for PollGuard<'_> {
    fn drop(&mut self) {
        self.shared.endpoint.handle().with(|e| e.end_poll(self.sid));
    }
}

pub(super) async fn get(
    shared: &Arc<Shared>,
    sid: EioSid,
    outbox: &Outbox,
    accept_encoding: Option<&str>,
    cors: &Cors,
) -> Response<Body> {
    let _guard = PollGuard { shared, sid };
    let mut frames = Vec::new();
    let drained = poll_fn(|cx| outbox.poll_drain(cx, &mut frames)).await;
    response(shared.endpoint.poll_reply(sid, frames, drained, accept_encoding, cors))
}

pub(super) async fn post(shared: &Arc<Shared>, sid: EioSid, req: Request<Incoming>, cors: &Cors) -> Response<Body> {
    let endpoint = &shared.endpoint;
    let limit = endpoint.max_payload();
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
    if body.is_some() {
        endpoint.handle().ready().await;
    }
    response(endpoint.post(sid, body, cors))
}
