//! Sticky routing between worker processes that share one port. A session lives in the worker that opened it,
//! and its id names that worker (`engine::sid`). A long-polling request or WebSocket upgrade that the kernel gives
//! to another worker is relayed to the owner: the request goes over the owner's unix socket to the owner's own
//! HTTP service, the answer comes back the same way, and an upgraded connection is spliced through. Handshakes
//! (no sid) and the hosted app's paths are served where they land.
//!
//! The owner learns the client's address and whether it came over TLS from two headers that only the relaying
//! worker sets (the unix sockets live in a directory only this server's user can open), and never relays again.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use parking_lot::Mutex;
use tokio::net::UnixStream;

use super::{Body, Live, Shared, response, serve};
use crate::engine::sid::EioSid;
use crate::server::endpoint::Reply;
use crate::server::request::RequestError;

/// The client's address, set by the worker that relays a request.
const PEER: HeaderName = HeaderName::from_static("x-turbosio-relayed-peer");
/// Present when the client's connection is TLS.
const SECURE: HeaderName = HeaderName::from_static("x-turbosio-relayed-secure");

/// Idle connections kept open to each other worker, for the next relayed request.
const MAX_IDLE: usize = 64;

/// This process's place among the workers.
pub struct Workers {
    /// This worker's index: the one its session ids name.
    pub me: usize,
    /// Every worker's unix socket, by index (this one's included: it listens there).
    pub sockets: Vec<PathBuf>,
}

/// The workers, and the idle connections to each.
pub(super) struct Relays {
    workers: Workers,
    /// perf: polling echo with 2 workers (bench `polling`): a connection per relayed request cost more than the
    /// request itself.
    idle: Vec<Mutex<Vec<SendRequest<Incoming>>>>,
}

impl Relays {
    pub(super) fn new(workers: Workers) -> Self {
        let idle = workers.sockets.iter().map(|_| Mutex::new(Vec::new())).collect();
        Self { workers, idle }
    }

    /// A connection to worker `owner` that can take a request now: an idle one, or a new one.
    async fn sender(&self, owner: usize) -> std::io::Result<SendRequest<Incoming>> {
        let idle = self
            .idle
            .get(owner)
            .ok_or_else(|| std::io::Error::other("no such worker"))?;
        loop {
            let Some(sender) = idle.lock().pop() else { break };
            if sender.is_ready() {
                return Ok(sender);
            }
            // Closed (the owner restarted or stopped): dropped.
        }
        let socket = self
            .workers
            .sockets
            .get(owner)
            .ok_or_else(|| std::io::Error::other("no such worker"))?;
        let stream = UnixStream::connect(socket).await?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(conn.with_upgrades());
        Ok(sender)
    }

    /// Keep `sender` for the next request to `owner` once it has finished with this one.
    fn give_back(self: &Arc<Self>, owner: usize, mut sender: SendRequest<Incoming>) {
        let relays = self.clone();
        tokio::spawn(async move {
            if sender.ready().await.is_ok()
                && let Some(idle) = relays.idle.get(owner)
            {
                let mut idle = idle.lock();
                if idle.len() < MAX_IDLE {
                    idle.push(sender);
                }
            }
        });
    }
}

/// The worker that owns the session `req` names, when that is another worker.
pub(super) fn owner(shared: &Shared, req: &Request<Incoming>) -> Option<usize> {
    let workers = &shared.relays.as_ref()?.workers;
    if !shared.endpoint.serves(req.uri().path()) {
        return None;
    }
    let sid = req
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("sid="))?;
    let worker = EioSid::worker(sid)?;
    (worker != workers.me && worker < workers.sockets.len()).then_some(worker)
}

/// Relay `req` to worker `owner` and give back its answer. When the owner cannot be reached (it died and its
/// sessions with it), the client hears that its session is unknown, and reconnects.
pub(super) async fn relay(
    shared: &Arc<Shared>,
    owner: usize,
    mut req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
) -> Response<Body> {
    let Some(relays) = shared.relays.clone() else {
        return serve(shared.clone(), req, peer, secure).await;
    };
    let upgrade_from_client = super::websocket::is_upgrade_request(&req).then(|| hyper::upgrade::on(&mut req));
    let cors = shared.endpoint.cors(req.headers(), secure);
    let headers = req.headers_mut();
    headers.remove(&SECURE);
    if let Ok(value) = HeaderValue::from_str(&peer.to_string()) {
        headers.insert(PEER, value);
    }
    if secure {
        headers.insert(SECURE, HeaderValue::from_static("1"));
    }
    let answer = async {
        let mut sender = relays.sender(owner).await?;
        let answer = sender.send_request(req).await.map_err(std::io::Error::other)?;
        if answer.status() != StatusCode::SWITCHING_PROTOCOLS {
            relays.give_back(owner, sender);
        }
        Ok::<_, std::io::Error>(answer)
    };
    let mut answer = match answer.await {
        Ok(answer) => answer,
        Err(err) => {
            log::info!(target: "engineio.server", "worker {owner} is gone ({err}): its sessions ended");
            let reply = Reply::error(RequestError::SessionIdUnknown);
            return match cors {
                Ok(cors) => response(reply.with_cors(&cors)),
                Err(refused) => response(refused),
            };
        }
    };
    if answer.status() == StatusCode::SWITCHING_PROTOCOLS
        && let Some(from_client) = upgrade_from_client
    {
        let from_owner = hyper::upgrade::on(&mut answer);
        let live = Live::new(shared);
        tokio::spawn(async move {
            let _live = live;
            if let (Ok(client), Ok(owner)) = (from_client.await, from_owner.await) {
                let _ = tokio::io::copy_bidirectional(&mut TokioIo::new(client), &mut TokioIo::new(owner)).await;
            }
        });
    }
    answer.map(|body| body.map_err(std::io::Error::other).boxed())
}

/// Take the relaying worker's headers off a request that came over the unix socket: the client's address and
/// whether its connection is TLS.
pub(super) fn relayed_from(req: &mut Request<Incoming>) -> (SocketAddr, bool) {
    let headers = req.headers_mut();
    let peer = headers
        .remove(&PEER)
        .and_then(|v| v.to_str().ok().and_then(|v| v.parse().ok()))
        .unwrap_or(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)));
    let secure = headers.remove(&SECURE).is_some();
    (peer, secure)
}
