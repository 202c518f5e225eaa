//! Hosted direction, hyper half: the native server hosts the user's web app beside Socket.IO. It reads the request
//! (bounded), hands it to the [`HostedApp`] and streams its answer back as it comes.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use hyper::body::{Frame, Incoming};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::sync::{SemaphorePermit, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use super::{Body, Live, Shared, plain};
use crate::server::hosted::{
    BodyPiece, ExchangeFlow, HostedApp, HostedRequest, HostedResponsePart, HostedWebSocketCommand, HostedWebSocketData,
    HostedWebSocketFlow, MAX_HOSTED_WEBSOCKET_MESSAGE,
};

/// How long a closing WebSocket waits for the client's own close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// How long a write to a client may take before the client is given up on (it stopped reading).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the app's WebSocket connections are pinged (uvicorn's default interval).
const PING_EVERY: Duration = Duration::from_secs(20);

/// The body of a web-app response: the chunks the app sends, until one says there is no more.
struct StreamedBody {
    parts: UnboundedReceiver<HostedResponsePart>,
    /// Its backlog is drained as chunks go out, so the app's sends wait for a slow client instead of piling up here.
    flow: Arc<ExchangeFlow>,
    done: bool,
    /// The app gave up mid-body; the error is returned on the next poll, once hyper has flushed what it holds.
    cut: bool,
}

impl hyper::body::Body for StreamedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.done {
            return Poll::Ready(None);
        }
        if self.cut {
            self.done = true;
            return Poll::Ready(Some(Err(std::io::Error::other(
                "the web app did not finish its response",
            ))));
        }
        match self.parts.poll_recv(cx) {
            Poll::Ready(Some(HostedResponsePart::Body { data, more })) => {
                self.flow.response.removed(data.len());
                self.done = !more;
                Poll::Ready(Some(Ok(Frame::data(data))))
            }
            // The app failed or gave up mid-body (or started twice, its protocol error reported in Python): an
            // error makes hyper cut the connection, so the client sees a truncated response, not a complete one.
            // Pending first: hyper flushes the headers and chunks it holds before polling again, and an error
            // returned at once would drop them unsent.
            Poll::Ready(Some(HostedResponsePart::Start { .. }) | None) => {
                self.cut = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl Drop for StreamedBody {
    fn drop(&mut self) {
        // The client left (or the response is complete): a sender waiting for it to catch up must learn now (its
        // next chunk is refused), and the request body is read no further.
        self.flow.response.close();
        self.flow.end();
    }
}

/// ASGI's `path` is percent-decoded; undecodable input is kept as it came.
fn decode_path(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |at: usize| bytes.get(at).and_then(|c| char::from(*c).to_digit(16));
        if let (b'%', Some(hi), Some(lo)) = (b, hex(i + 1), hex(i + 2)) {
            out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| raw.to_owned())
}

fn hosted_request(parts: &hyper::http::request::Parts, body: Bytes, peer: SocketAddr, secure: bool) -> HostedRequest {
    let raw_path = parts.uri.path().to_owned();
    HostedRequest {
        method: parts.method.as_str().to_owned(),
        path: decode_path(&raw_path),
        raw_path,
        query: parts.uri.query().unwrap_or("").to_owned(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect(),
        body,
        more_body: false,
        remote: Some(peer),
        secure,
    }
}

/// Ends the exchange if the response never gets a body to carry that (no start from the app, or the client left
/// while the app was deciding).
struct EndUnlessStreaming(Option<Arc<ExchangeFlow>>);

impl Drop for EndUnlessStreaming {
    fn drop(&mut self) {
        if let Some(flow) = self.0.take() {
            flow.end();
        }
    }
}

/// A request body is read ahead up to this much before the app is called: a typical body reaches the app whole
/// (with its exact length, which WSGI apps such as Django rely on); only a larger one streams.
const PREFETCH: usize = 1 << 20;
/// Largest piece of a streamed body handed to the app. The read-ahead credit counts pieces, so this bounds the
/// bytes waiting for an app that does not read: `REQUEST_BODY_CREDIT` x 64 KiB.
const MAX_PIECE: usize = 64 * 1024;
/// A client that sends no body data for this long is given up on: the app sees its body broken off, so a worker
/// blocked reading it is freed.
const BODY_GAP: Duration = Duration::from_secs(60);
/// After the app answered without reading the whole body, at most this much more is read (and discarded) for
/// this long, so that a client still sending gets the answer instead of a connection reset.
const DISCARD_AFTER_ANSWER: (usize, Duration) = (4 << 20, Duration::from_secs(1));

pub(super) async fn serve(
    app: &Arc<dyn HostedApp>,
    req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
) -> Response<Body> {
    let (parts, mut body) = req.into_parts();
    // The body is not buffered beyond PREFETCH: past it, the app gets it in pieces as it reads them (at most
    // REQUEST_BODY_CREDIT pieces ahead), so an upload costs the server little memory however large or slow it
    // is, and, as under uvicorn, its size is the app's business.
    let mut more_body = !hyper::body::Body::is_end_stream(&body);
    let mut head = BytesMut::new();
    while more_body && head.len() < PREFETCH {
        match tokio::time::timeout(BODY_GAP, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    head.extend_from_slice(&data);
                }
            }
            Ok(None) => more_body = false,
            Ok(Some(Err(_))) | Err(_) => return plain(StatusCode::BAD_REQUEST, "Bad Request"),
        }
    }
    let mut request = hosted_request(&parts, head.freeze(), peer, secure);
    request.more_body = more_body;
    let (respond, mut answer) = unbounded_channel();
    let (token, flow) = app.handle(request, respond);
    let mut guard = EndUnlessStreaming(Some(flow.clone()));
    if more_body {
        read_body(app.clone(), token, flow.clone(), body);
    }
    let Some(HostedResponsePart::Start { status, headers }) = answer.recv().await else {
        return plain(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    guard.0 = None; // from here the response body ends the exchange
    let mut response = Response::new(
        StreamedBody {
            parts: answer,
            flow,
            done: false,
            cut: false,
        }
        .boxed(),
    );
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&name), HeaderValue::from_bytes(&value)) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// Hand the rest of the request body to the app piece by piece, as it reads them, until it is complete or broken.
/// If the exchange ends first, the app is told the body broke off (so no read of it waits any more).
fn read_body(app: Arc<dyn HostedApp>, token: u64, flow: Arc<ExchangeFlow>, mut body: Incoming) {
    tokio::spawn(async move {
        let mut ended = flow.ended.subscribe();
        let last = 'read: loop {
            let frame = tokio::select! {
                frame = tokio::time::timeout(BODY_GAP, body.frame()) => frame,
                _ = ended.wait_for(|over| *over) => break 'read None,
            };
            match frame {
                Ok(Some(Ok(frame))) => {
                    let Ok(mut data) = frame.into_data() else { continue }; // trailers: nothing for the app
                    while !data.is_empty() {
                        let piece = data.split_to(data.len().min(MAX_PIECE));
                        let credit = tokio::select! {
                            credit = flow.request_credit.acquire() => credit,
                            _ = ended.wait_for(|over| *over) => break 'read None,
                        };
                        credit.map(SemaphorePermit::forget).ok();
                        app.request_body(token, BodyPiece::Data(piece));
                    }
                }
                Ok(None) => break Some(BodyPiece::End),
                Ok(Some(Err(_))) | Err(_) => break Some(BodyPiece::Broken),
            }
        };
        let Some(last) = last else {
            app.request_body(token, BodyPiece::Broken);
            let (limit, time) = DISCARD_AFTER_ANSWER;
            let _ = tokio::time::timeout(time, async {
                let mut discarded = 0;
                while let Some(Ok(frame)) = body.frame().await {
                    discarded += frame.data_ref().map_or(0, Bytes::len);
                    if discarded > limit {
                        break;
                    }
                }
            })
            .await;
            return;
        };
        app.request_body(token, last);
    });
}

/// Tells the app its WebSocket is gone if the handshake is abandoned before the app decided (the client left).
struct GoneUnlessDecided {
    app: Arc<dyn HostedApp>,
    token: u64,
    decided: bool,
}

impl Drop for GoneUnlessDecided {
    fn drop(&mut self) {
        if !self.decided {
            self.app.websocket_gone(self.token, 1006);
        }
    }
}

/// A WebSocket request for the web app: the app accepts or denies it, then the connection relays messages both
/// ways until either side closes.
pub(super) async fn websocket(
    shared: &Arc<Shared>,
    app: Arc<dyn HostedApp>,
    req: Request<Incoming>,
    peer: SocketAddr,
    secure: bool,
) -> Response<Body> {
    let Some(accept_key) = req
        .headers()
        .get(header::SEC_WEBSOCKET_KEY)
        .map(|key| derive_accept_key(key.as_bytes()))
    else {
        return plain(StatusCode::BAD_REQUEST, "Bad Request");
    };
    let (parts, body) = req.into_parts();
    let (commands_tx, mut commands) = unbounded_channel();
    let (token, flow) = app.open_websocket(hosted_request(&parts, Bytes::new(), peer, secure), commands_tx);
    let mut guard = GoneUnlessDecided {
        app: app.clone(),
        token,
        decided: false,
    };
    let (subprotocol, extra_headers) = match commands.recv().await {
        Some(HostedWebSocketCommand::Accept { subprotocol, headers }) => (subprotocol, headers),
        Some(HostedWebSocketCommand::Deny { status }) => {
            guard.decided = true;
            app.websocket_gone(token, 1006);
            let mut response = plain(StatusCode::FORBIDDEN, "Forbidden");
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::FORBIDDEN);
            return response;
        }
        // The Python side sends nothing else first; anything else, or silence, is a refusal.
        _ => return plain(StatusCode::FORBIDDEN, "Forbidden"),
    };
    guard.decided = true;
    let mut response = Response::new(super::full(Bytes::new()));
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(accept) = HeaderValue::from_str(&accept_key) {
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    }
    if let Some(chosen) = subprotocol.and_then(|p| HeaderValue::from_str(&p).ok()) {
        headers.insert(header::SEC_WEBSOCKET_PROTOCOL, chosen);
    }
    for (name, value) in extra_headers {
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(&name), HeaderValue::from_bytes(&value)) {
            headers.append(name, value);
        }
    }
    let req = Request::from_parts(parts, body);
    let live = Live::new(shared);
    let stopped = shared.stopped.clone();
    tokio::spawn(async move {
        let _live = live;
        let code = match hyper::upgrade::on(req).await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .max_message_size(Some(MAX_HOSTED_WEBSOCKET_MESSAGE))
                    .max_frame_size(Some(MAX_HOSTED_WEBSOCKET_MESSAGE));
                let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, Some(config)).await;
                relay(app.as_ref(), token, &flow, ws, commands, stopped).await
            }
            Err(_) => 1006,
        };
        flow.outbound.close();
        app.websocket_gone(token, code);
    });
    response
}

/// Move messages between the client and the app until one side closes; returns the close code to report.
async fn relay<S>(
    app: &dyn HostedApp,
    token: u64,
    flow: &HostedWebSocketFlow,
    ws: WebSocketStream<S>,
    mut commands: UnboundedReceiver<HostedWebSocketCommand>,
    mut stopped: watch::Receiver<bool>,
) -> u16
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let close = |code: u16, reason: String| {
        Message::Close(Some(CloseFrame {
            code: code.into(),
            reason: reason.into(),
        }))
    };
    // A client that stops reading must not pin this task (and the app's) forever: each write has a deadline.
    macro_rules! send {
        ($message:expr) => {
            matches!(
                tokio::time::timeout(SEND_TIMEOUT, sink.send($message)).await,
                Ok(Ok(()))
            )
        };
    }
    let mut pings = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let mut heard = tokio::time::Instant::now();
    let code = loop {
        tokio::select! {
            // Read only while Python keeps up (backpressure, as for Socket.IO traffic) and while the app has read
            // all but a few of the messages already handed to it. The permit goes back if the read is cancelled.
            (credit, incoming) = async {
                poll_fn(|cx| app.poll_ready(cx)).await;
                let credit = flow.inbound_credit.acquire().await;
                (credit, stream.next().await)
            } => {
                heard = tokio::time::Instant::now();
                match incoming {
                    Some(Ok(Message::Text(text))) => {
                        credit.map(SemaphorePermit::forget).ok();
                        app.websocket_message(token, HostedWebSocketData::Text(text.as_str().to_owned()));
                    }
                    Some(Ok(Message::Binary(data))) => {
                        credit.map(SemaphorePermit::forget).ok();
                        app.websocket_message(token, HostedWebSocketData::Binary(data));
                    }
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(frame))) => {
                        // tungstenite queued the answering close frame; it goes out on this flush.
                        let _ = tokio::time::timeout(SEND_TIMEOUT, sink.flush()).await;
                        return frame.map_or(1005, |f| f.code.into());
                    }
                    Some(Err(WsError::Capacity(_))) => {
                        send!(close(1009, "message too big".to_owned()));
                        break 1009;
                    }
                    Some(Err(_)) | None => return 1006,
                }
            },
            command = commands.recv() => match command {
                Some(HostedWebSocketCommand::Send(data)) => {
                    let message = match data {
                        HostedWebSocketData::Text(text) => Message::text(text),
                        HostedWebSocketData::Binary(data) => Message::Binary(data),
                    };
                    let written = send!(message);
                    flow.outbound.removed(1);
                    if !written {
                        return 1006;
                    }
                }
                Some(HostedWebSocketCommand::Close { code, reason }) => {
                    send!(close(code, reason));
                    break code;
                }
                // Accepting twice or denying after the accept is refused in Python before it gets here.
                Some(HostedWebSocketCommand::Accept { .. } | HostedWebSocketCommand::Deny { .. }) => {}
                None => {
                    send!(close(1011, String::new()));
                    break 1011;
                }
            },
            // Liveness: a peer that vanished without a FIN answers no ping; after two silent intervals it is gone.
            _ = pings.tick() => {
                if flow.inbound_credit.available_permits() == 0 {
                    // Not reading (the app is behind), so no pong could have been seen: not a sign of a dead peer.
                    heard = tokio::time::Instant::now();
                }
                if heard.elapsed() >= 2 * PING_EVERY || !send!(Message::Ping(Bytes::new())) {
                    return 1006;
                }
            }
            _ = stopped.changed() => {
                send!(close(1001, "server shutting down".to_owned()));
                break 1001;
            }
        }
    };
    // We closed: give the client a moment to answer with its own close frame, as the protocol asks.
    let _ = tokio::time::timeout(CLOSE_GRACE, async { while let Some(Ok(_)) = stream.next().await {} }).await;
    code
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Poll;

    use futures_util::SinkExt;
    use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
    use tokio::sync::watch;
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::Role;

    use super::{decode_path, relay};
    use crate::server::hosted::{
        BodyPiece, ExchangeFlow, HOSTED_WEBSOCKET_INBOUND_CREDIT, HostedApp, HostedRequest, HostedResponsePart,
        HostedWebSocketCommand, HostedWebSocketData, HostedWebSocketFlow,
    };

    /// An app that counts the messages handed to it and never reads them.
    #[derive(Default)]
    struct CountingApp {
        handed: AtomicUsize,
    }

    impl HostedApp for CountingApp {
        fn handle(&self, _: HostedRequest, _: UnboundedSender<HostedResponsePart>) -> (u64, Arc<ExchangeFlow>) {
            (0, Arc::default())
        }
        fn request_body(&self, _: u64, _: BodyPiece) {}
        fn open_websocket(
            &self,
            _: HostedRequest,
            _: UnboundedSender<HostedWebSocketCommand>,
        ) -> (u64, Arc<HostedWebSocketFlow>) {
            (0, Arc::default())
        }
        fn websocket_message(&self, _: u64, _: HostedWebSocketData) {
            self.handed.fetch_add(1, Ordering::SeqCst);
        }
        fn websocket_gone(&self, _: u64, _: u16) {}
        fn poll_ready(&self, _: &mut std::task::Context<'_>) -> Poll<()> {
            Poll::Ready(())
        }
    }

    /// Let the relay run until it waits (for credit or for the client).
    async fn settle() {
        for _ in 0..1000 {
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn a_flooding_client_is_read_only_as_fast_as_the_app_reads() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (server_io, client_io) = tokio::io::duplex(1 << 20);
            let server = WebSocketStream::from_raw_socket(server_io, Role::Server, None).await;
            let mut client = WebSocketStream::from_raw_socket(client_io, Role::Client, None).await;
            let app = Arc::new(CountingApp::default());
            let flow = Arc::new(HostedWebSocketFlow::default());
            let (_commands, commands_rx) = unbounded_channel();
            let (_stop, stopped) = watch::channel(false);
            let relaying = {
                let (app, flow) = (app.clone(), flow.clone());
                tokio::spawn(async move { relay(app.as_ref(), 7, &flow, server, commands_rx, stopped).await })
            };
            for i in 0..200 {
                client.send(Message::text(i.to_string())).await.unwrap();
            }
            settle().await;
            assert_eq!(app.handed.load(Ordering::SeqCst), HOSTED_WEBSOCKET_INBOUND_CREDIT);
            // The app reads ten: ten more are handed over, no more.
            flow.inbound_credit.add_permits(10);
            settle().await;
            assert_eq!(app.handed.load(Ordering::SeqCst), HOSTED_WEBSOCKET_INBOUND_CREDIT + 10);
            client.close(None).await.unwrap();
            flow.inbound_credit.add_permits(1000);
            assert_eq!(relaying.await.unwrap(), 1005);
            assert_eq!(app.handed.load(Ordering::SeqCst), 200);
        });
    }

    #[test]
    fn paths_are_percent_decoded_and_bad_escapes_kept() {
        assert_eq!(decode_path("/a%20b/%C3%A9"), "/a b/é");
        assert_eq!(decode_path("/100%"), "/100%");
        assert_eq!(decode_path("/%zz"), "/%zz");
        assert_eq!(decode_path("/%ff"), "/%ff");
    }
}
