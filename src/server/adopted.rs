//! External direction: `WebSocket`s taken over from another HTTP server. A WSGI server (eventlet, gunicorn, werkzeug) read the
//! upgrade request and hands its socket here; this module answers the handshake on that socket and serves the
//! session on the tokio runtime exactly like a native WebSocket, so no Python thread relays frames.

use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Instant;

use tokio::io::AsyncWriteExt;
use tokio::runtime::Runtime;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::websocket::{Start, run, ws_config};
use crate::engine::{DisconnectReason, RequestInfo, Transport};
use crate::server::handle::EngineHandle;
use crate::server::request::{EioQuery, RequestError, Route, route};

/// An upgrade request another server has read, and the socket it arrived on.
pub struct AdoptedRequest {
    /// The connected socket (a descriptor of our own; the other server keeps its own until we are done).
    pub socket: std::net::TcpStream,
    /// Dropped when the WebSocket ends, so whoever holds the other end of this pipe learns the socket is free.
    pub done: OwnedFd,
    /// The raw query string (carries `EIO`, `transport` and `sid`).
    pub query: String,
    /// The `Sec-WebSocket-Key` header.
    pub key: Option<String>,
    /// What the engine keeps about the request (headers, peer) for the connect handler.
    pub info: Box<RequestInfo>,
}

/// Join the request's session (or open one) and serve the WebSocket on `runtime`. On `Err` nothing was written
/// to the socket: the caller answers the error over its own HTTP server.
pub fn adopt(handle: &Arc<EngineHandle>, runtime: &Runtime, request: AdoptedRequest) -> Result<(), RequestError> {
    let key = request.key.as_deref().ok_or(RequestError::BadRequest)?;
    let accept = derive_accept_key(key.trim().as_bytes());
    // Checked before the engine hears of the connection, so a failure here leaves no session. The socket is made
    // non-blocking only once taken over: the file is shared with the other server, which keeps it on a refusal.
    let closer = request.socket.try_clone().map_err(|_| RequestError::BadRequest)?;
    let eio_query = EioQuery::parse(&request.query);
    let (sid, outbox, start) = match route("GET", &eio_query, true)? {
        Route::Handshake(_) => {
            let opened = handle
                .with(|e| e.open(Instant::now(), Transport::WebSocket, Some(request.info)))
                .map_err(|err| RequestError::from(&err))?;
            (opened.eio_sid, opened.outbox, Start::Fresh(opened.open_frame))
        }
        Route::Upgrade(sid) => {
            let outbox = handle
                .with(|e| e.begin_upgrade(sid))
                .map_err(|err| RequestError::from(&err))?;
            (sid, outbox, Start::Upgrading)
        }
        _ => return Err(RequestError::BadRequest),
    };
    let handle = handle.clone();
    let socket = request.socket;
    let done = request.done;
    runtime.spawn(async move {
        let _done = done;
        let upgrading = matches!(start, Start::Upgrading);
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        );
        let answered = match socket
            .set_nonblocking(true)
            .and_then(|()| tokio::net::TcpStream::from_std(socket))
        {
            Ok(mut stream) => stream.write_all(answer.as_bytes()).await.map(|()| stream),
            Err(err) => Err(err),
        };
        let Ok(stream) = answered else {
            handle.with(|e| {
                if upgrading {
                    e.abort_upgrade(sid);
                } else {
                    e.on_transport_closed(sid, DisconnectReason::TransportError);
                }
            });
            let _ = closer.shutdown(Shutdown::Both);
            return;
        };
        let ws = WebSocketStream::from_raw_socket(stream, Role::Server, Some(ws_config(&handle))).await;
        run(&handle, ws, sid, &outbox, start).await;
        // The other server still holds a descriptor of this socket: shut the connection down so the peer sees it
        // end now, and whatever that server writes afterwards fails at once instead of reaching the client.
        let _ = closer.shutdown(Shutdown::Both);
    });
    Ok(())
}
