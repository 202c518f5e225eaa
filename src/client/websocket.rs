//! The WebSocket transport of a client, on tokio-tungstenite over a stream from [`super::stream::open`].

use std::time::Duration;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use super::stream::{self, BoxStream, TlsOptions};
use super::target::Target;
use crate::protocol::engineio::Frame;

/// A client WebSocket.
pub type ClientSocket = WebSocketStream<BoxStream>;

/// A frame from the server, as the engine takes it.
pub enum Incoming {
    /// A text frame.
    Text(Bytes),
    /// A binary frame.
    Binary(Bytes),
    /// The WebSocket ended (closed, or broke with this error text).
    Gone(Option<String>),
}

/// Open a WebSocket to `url` on `target`, sending `headers`, within `timeout`.
pub async fn open(
    target: &Target,
    url: &str,
    tls: &TlsOptions,
    headers: &[(String, String)],
    max_message: usize,
    timeout: Duration,
) -> Result<ClientSocket, String> {
    let handshake = async {
        let mut request = url.into_client_request().map_err(|e| e.to_string())?;
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| e.to_string())?;
            let value = HeaderValue::from_str(value).map_err(|e| e.to_string())?;
            request.headers_mut().append(name, value);
        }
        let stream = stream::open(target, tls, timeout).await.map_err(|e| e.to_string())?;
        // perf (bench client-many): tungstenite zero-fills its read buffer before each read; at the default 128 KiB
        // that was a quarter of a 500-client process's time, one small ack per read. 4 KiB as the server uses.
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .max_message_size(Some(max_message))
            .max_frame_size(Some(max_message));
        let (socket, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
            .await
            .map_err(|e| e.to_string())?;
        Ok::<_, String>(socket)
    };
    tokio::time::timeout(timeout, handshake)
        .await
        .map_err(|_| String::from("websocket connection timed out"))?
}

/// Write `frames` in order.
pub async fn send(socket: &mut ClientSocket, frames: Vec<Frame>) -> Result<(), String> {
    for frame in frames {
        let message = match frame {
            Frame::Text(bytes) => Message::Text(Utf8Bytes::try_from(bytes).map_err(|e| e.to_string())?),
            Frame::Binary(bytes) => Message::Binary(bytes),
        };
        socket.feed(message).await.map_err(|e| e.to_string())?;
    }
    socket.flush().await.map_err(|e| e.to_string())
}

/// The next Engine.IO frame (WebSocket pings and pongs are handled below this).
pub async fn receive(socket: &mut ClientSocket) -> Incoming {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Incoming::Text(Bytes::from(text)),
            Some(Ok(Message::Binary(data))) => return Incoming::Binary(data),
            Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
            Some(Ok(Message::Close(_))) | None => return Incoming::Gone(None),
            Some(Err(err)) => return Incoming::Gone(Some(err.to_string())),
        }
    }
}
