//! External direction: `WebSocket`s taken over from another HTTP server. A WSGI server (eventlet, gunicorn,
//! werkzeug) read the upgrade request and hands its socket here; once the endpoint accepted the WebSocket, this
//! module answers the handshake on that socket and serves the session on the tokio runtime exactly like a native
//! WebSocket, so no Python thread relays frames.

use std::net::Shutdown;
use std::os::fd::OwnedFd;
use std::sync::Arc;

use tokio::io::AsyncWriteExt;
use tokio::runtime::Runtime;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::handle::EngineHandle;
use super::request::RequestError;
use super::websocket::{Start, run, ws_config};
use crate::engine::{DisconnectReason, EioSid, Outbox};

/// The socket of an upgrade request another server has read, ready to be taken over.
pub struct AdoptedSocket {
    /// The connected socket (a descriptor of our own; the other server keeps its own until we are done).
    socket: std::net::TcpStream,
    /// Shuts the connection down at the end, while the other server still holds its descriptor.
    closer: std::net::TcpStream,
    /// Dropped when the WebSocket ends, so whoever holds the other end of this pipe learns the socket is free.
    done: OwnedFd,
    /// The `Sec-WebSocket-Accept` answer.
    accept: String,
}

impl AdoptedSocket {
    /// Check what taking the socket over needs (the `Sec-WebSocket-Key`, a second handle on the socket) before the
    /// engine hears of the connection, so a failure here leaves no session and nothing written to the socket.
    pub fn new(socket: std::net::TcpStream, done: OwnedFd, key: Option<&str>) -> Result<Self, RequestError> {
        let key = key.ok_or(RequestError::BadRequest)?;
        let accept = derive_accept_key(key.trim().as_bytes());
        let closer = socket.try_clone().map_err(|_| RequestError::BadRequest)?;
        Ok(Self {
            socket,
            closer,
            done,
            accept,
        })
    }

    /// Answer the handshake and serve `sid`'s session on `runtime`, as the endpoint accepted it.
    pub fn serve(self, handle: &Arc<EngineHandle>, runtime: &Runtime, sid: EioSid, outbox: Arc<Outbox>, start: Start) {
        let handle = handle.clone();
        let Self {
            socket,
            closer,
            done,
            accept,
        } = self;
        runtime.spawn(async move {
            let _done = done;
            let answer = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            );
            // The socket is made non-blocking only once taken over: the file is shared with the other server, which
            // keeps it on a refusal.
            let answered = match socket
                .set_nonblocking(true)
                .and_then(|()| tokio::net::TcpStream::from_std(socket))
            {
                Ok(mut stream) => stream.write_all(answer.as_bytes()).await.map(|()| stream),
                Err(err) => Err(err),
            };
            let Ok(stream) = answered else {
                start.abandon(&handle, sid, DisconnectReason::TransportError);
                let _ = closer.shutdown(Shutdown::Both);
                return;
            };
            let ws = WebSocketStream::from_raw_socket(stream, Role::Server, Some(ws_config(&handle))).await;
            run(&handle, ws, sid, &outbox, start).await;
            // The other server still holds a descriptor of this socket: shut the connection down so the peer sees
            // it end now, and whatever that server writes afterwards fails at once instead of reaching the client.
            let _ = closer.shutdown(Shutdown::Both);
        });
    }
}
