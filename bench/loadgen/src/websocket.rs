//! Socket.IO over a plain WebSocket (`transport=websocket` from the start, no polling upgrade).

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::error::ClientError;
use crate::transport::{Incoming, Transport, classify, clip, parse_connect_answer, parse_open_packet};

const READ_BUFFER_SIZE: usize = 16 * 1024;

/// One WebSocket connection carrying one Engine.IO session.
pub(crate) struct WebSocket {
    ws: WebSocketStream<TcpStream>,
}

impl WebSocket {
    /// The next text frame; WebSocket-level pings are answered by tungstenite itself.
    async fn next_text(&mut self) -> Result<Utf8Bytes, ClientError> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Close(_))) | None => return Err(ClientError::Closed),
                Some(Ok(Message::Binary(data))) if crate::msgpack::enabled() => {
                    return Ok(Utf8Bytes::from(crate::msgpack::decode(&data)?));
                }
                Some(Ok(Message::Binary(_))) => {
                    return Err(ClientError::Protocol("unexpected binary frame".to_owned()));
                }
                Some(Err(e)) => return Err(e.into()),
            }
        }
    }

    /// Ends the session politely: a WebSocket close frame, without waiting for the answer.
    pub(crate) async fn close(mut self) {
        // The server may already be gone; nothing useful to do about an error here.
        let _ = self.ws.close(None).await;
    }
}

impl Transport for WebSocket {
    const NAME: &'static str = "websocket";

    async fn connect(addr: SocketAddr) -> Result<Self, ClientError> {
        let tcp = TcpStream::connect(addr).await.map_err(ClientError::Connect)?;
        tcp.set_nodelay(true).map_err(ClientError::Connect)?;
        let url = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket");
        // perf: idle and storm hold thousands of clients; tungstenite's default 128 KiB read buffer per
        // connection would make this process the one that runs out of memory. Our frames are small.
        let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_SIZE);
        let (ws, _response) = tokio_tungstenite::client_async_with_config(url, tcp, Some(config)).await?;
        let mut this = Self { ws };
        // spec: the server speaks first, with the open packet.
        let open = this.next_text().await?;
        parse_open_packet(&open)?;
        this.send("40").await?;
        let packet = this.recv().await?;
        if parse_connect_answer(&packet)?.is_none() {
            return Err(ClientError::Protocol(format!(
                "expected the CONNECT answer, got {:?}",
                clip(&packet)
            )));
        }
        Ok(this)
    }

    async fn send(&mut self, packet: &str) -> Result<(), ClientError> {
        if crate::msgpack::enabled() && packet.starts_with('4') {
            self.ws.send(Message::binary(crate::msgpack::encode(packet)?)).await?;
            return Ok(());
        }
        self.ws.send(Message::text(packet)).await?;
        Ok(())
    }

    async fn recv(&mut self) -> Result<Utf8Bytes, ClientError> {
        loop {
            match classify(self.next_text().await?)? {
                Incoming::Message(packet) => return Ok(packet),
                Incoming::Ping => self.send("3").await?,
                Incoming::Noop => {}
            }
        }
    }
}
