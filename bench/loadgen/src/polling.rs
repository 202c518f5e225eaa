//! Socket.IO over Engine.IO long-polling only, the way a browser client does it: one keep-alive HTTP/1.1
//! connection always holds a pending GET, a second one carries the POSTs.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::error::ClientError;
use crate::transport::{Incoming, Transport, classify, clip, parse_connect_answer, parse_open_packet};

/// spec: Engine.IO v4 joins the packets of one polling payload with the record separator.
const RECORD_SEPARATOR: u8 = 0x1e;

type HttpSender = SendRequest<Full<Bytes>>;

/// One long-polling Engine.IO session.
pub(crate) struct Polling {
    post: HttpSender,
    host: String,
    session_path: String,
    incoming: mpsc::UnboundedReceiver<Result<Utf8Bytes, ClientError>>,
    reader: JoinHandle<()>,
}

impl Drop for Polling {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

async fn open_http(addr: SocketAddr) -> Result<HttpSender, ClientError> {
    let tcp = TcpStream::connect(addr).await.map_err(ClientError::Connect)?;
    tcp.set_nodelay(true).map_err(ClientError::Connect)?;
    let (sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
    tokio::task::spawn_local(async move {
        // Ends when the sender is dropped or the server closes; the request side reports any error.
        let _ = connection.await;
    });
    Ok(sender)
}

async fn request(
    sender: &mut HttpSender,
    method: Method,
    path: &str,
    host: &str,
    body: Bytes,
) -> Result<Bytes, ClientError> {
    sender.ready().await?;
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, host)
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(Full::new(body))
        .map_err(|e| ClientError::Http(e.to_string()))?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        return Err(ClientError::Http(format!("{status}: {}", clip(&text))));
    }
    Ok(body)
}

/// Splits one polling payload into its packets.
fn split_payload(body: &Bytes) -> Result<Vec<Utf8Bytes>, ClientError> {
    let mut packets = Vec::new();
    let mut start = 0;
    for (i, byte) in body.iter().enumerate() {
        if *byte == RECORD_SEPARATOR {
            packets.push(body.slice(start..i));
            start = i + 1;
        }
    }
    packets.push(body.slice(start..));
    packets
        .into_iter()
        .map(|bytes| Utf8Bytes::try_from(bytes).map_err(|e| ClientError::Protocol(format!("payload not UTF-8: {e}"))))
        .collect()
}

/// Keeps one GET pending at all times and forwards every packet it brings.
async fn read_loop(
    mut get: HttpSender,
    path: String,
    host: String,
    tx: mpsc::UnboundedSender<Result<Utf8Bytes, ClientError>>,
) {
    loop {
        let packets = match request(&mut get, Method::GET, &path, &host, Bytes::new()).await {
            Ok(body) => split_payload(&body),
            Err(e) => Err(e),
        };
        match packets {
            Ok(packets) => {
                for packet in packets {
                    if tx.send(Ok(packet)).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
}

impl Transport for Polling {
    const NAME: &'static str = "polling";

    async fn connect(addr: SocketAddr) -> Result<Self, ClientError> {
        let host = addr.to_string();
        let mut get = open_http(addr).await?;
        let post = open_http(addr).await?;
        let handshake = request(
            &mut get,
            Method::GET,
            "/socket.io/?EIO=4&transport=polling",
            &host,
            Bytes::new(),
        )
        .await?;
        let first = split_payload(&handshake)?
            .into_iter()
            .next()
            .ok_or_else(|| ClientError::Protocol("empty handshake".to_owned()))?;
        let eio_sid = parse_open_packet(&first)?;
        let session_path = format!("/socket.io/?EIO=4&transport=polling&sid={eio_sid}");
        let (tx, incoming) = mpsc::unbounded_channel();
        let reader = tokio::task::spawn_local(read_loop(get, session_path.clone(), host.clone(), tx));
        let mut this = Self {
            post,
            host,
            session_path,
            incoming,
            reader,
        };
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
        let body = Bytes::copy_from_slice(packet.as_bytes());
        let answer = request(&mut self.post, Method::POST, &self.session_path, &self.host, body).await?;
        // spec: the body of a POST's answer is "ok"; python-engineio writes "OK".
        if !answer.eq_ignore_ascii_case(b"ok") {
            let text = String::from_utf8_lossy(&answer);
            return Err(ClientError::Protocol(format!("POST answered {:?}", clip(&text))));
        }
        Ok(())
    }

    async fn recv(&mut self) -> Result<Utf8Bytes, ClientError> {
        loop {
            let packet = self.incoming.recv().await.ok_or(ClientError::Closed)??;
            match classify(packet)? {
                Incoming::Message(packet) => return Ok(packet),
                Incoming::Ping => self.send("3").await?,
                Incoming::Noop => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_payload_on_record_separator() {
        let body = Bytes::from_static(b"2\x1e42[\"a\"]\x1e6");
        let packets = split_payload(&body).unwrap();
        let texts: Vec<&str> = packets.iter().map(Utf8Bytes::as_str).collect();
        assert_eq!(texts, ["2", "42[\"a\"]", "6"]);
    }
}
