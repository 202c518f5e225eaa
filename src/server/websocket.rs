//! An Engine.IO session served over a WebSocket stream, whoever accepted the connection: the native server after
//! hyper's upgrade, or a socket adopted from a WSGI server (external direction). One task both reads frames into
//! the engine and writes the session's outbox, so no frame waits on another client.

use std::future::poll_fn;
use std::task::Poll;
use std::time::Instant;

use bytes::Bytes;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncReadExt;
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, Utf8Bytes};

use crate::engine::{DisconnectReason, Drained, EioSid, Outbox, WsOutcome};
use crate::protocol::engineio::Frame;
use crate::server::handle::EngineHandle;

/// How often a probing WebSocket releases a GET waiting through the upgrade and checks that its polling session
/// still exists (Node's upgrade check interval).
const PROBE_CHECK: std::time::Duration = std::time::Duration::from_millis(100);
/// How long an upgrade may stay unfinished (Node's `upgradeTimeout`).
const UPGRADE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a write to a client may take before the client is given up on (it stopped reading).
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long closing a connection may take.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// How a WebSocket joins its session.
pub enum Start {
    /// Opened by this very request: send the open packet, then serve.
    Fresh(Frame),
    /// An upgrade of a polling session: probe first, drain the outbox only after `5`.
    Upgrading,
    /// A second WebSocket for a session that upgrades or has upgraded: complete the handshake, then close it
    /// without touching the session.
    Refused,
}

impl Start {
    /// The WebSocket ended before it was served (no handshake, the connection failed): undo what accepting it
    /// did to the session.
    pub fn abandon(&self, handle: &EngineHandle, sid: EioSid, reason: DisconnectReason) {
        match self {
            Self::Fresh(_) => handle.websocket_ended(sid, true, reason),
            Self::Upgrading => handle.websocket_ended(sid, false, reason),
            Self::Refused => {}
        }
    }
}

/// Frame limits of a server-side WebSocket.
pub fn ws_config(handle: &EngineHandle) -> WebSocketConfig {
    // node (ws maxPayload = maxHttpBufferSize): the whole message, type prefix included, is bounded. perf (bench
    // idle): a 4 KiB read buffer instead of tungstenite's preallocated 128 KiB keeps an idle connection small;
    // Socket.IO frames are small and a large one only costs a few more reads.
    let limit = handle.with(|e| e.config().max_payload);
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit))
}

fn to_message(frame: Frame) -> Option<Message> {
    match frame {
        // Every text frame the engine queues is ASCII type digit + JSON or UTF-8 text, so this never fails.
        Frame::Text(bytes) => Utf8Bytes::try_from(bytes).ok().map(Message::Text),
        Frame::Binary(bytes) => Some(Message::Binary(bytes)),
    }
}

/// node (ws): a message over maxPayload ends the session and is answered with close code 1009 and a reason.
async fn close_oversized<S>(
    handle: &EngineHandle,
    sid: EioSid,
    mut sink: SplitSink<WebSocketStream<S>, Message>,
    stream: SplitStream<WebSocketStream<S>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let err = handle.with(|e| e.on_oversize(sid));
    let close = CloseFrame {
        code: CloseCode::Size,
        reason: Utf8Bytes::from(err.to_string()),
    };
    let _ = timeout(CLOSE_GRACE, sink.send(Message::Close(Some(close)))).await;
    // The rest of the message is still unread: closing the socket over it would reset the connection and lose
    // the close frame. Discard bytes until the peer closes (or the grace ends).
    if let Ok(mut ws) = stream.reunite(sink) {
        let mut scratch = [0u8; 4096];
        let _ = timeout(CLOSE_GRACE, async {
            while matches!(ws.get_mut().read(&mut scratch).await, Ok(n) if n > 0) {}
        })
        .await;
    }
}

/// Serve one session's WebSocket until either side closes it.
pub async fn run<S>(handle: &EngineHandle, ws: WebSocketStream<S>, sid: EioSid, outbox: &Outbox, start: Start)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let mut draining = match start {
        Start::Fresh(open) => {
            if let Some(message) = to_message(open)
                && !matches!(timeout(SEND_TIMEOUT, sink.send(message)).await, Ok(Ok(())))
            {
                handle.with(|e| e.on_transport_closed(sid, DisconnectReason::TransportClose));
                return;
            }
            true
        }
        Start::Upgrading => false,
        Start::Refused => {
            let _ = timeout(CLOSE_GRACE, sink.close()).await;
            return;
        }
    };
    let probe_started = Instant::now();
    let mut frames = Vec::new();
    loop {
        tokio::select! {
            // Read only while Python keeps up with the events already queued (backpressure).
            incoming = async { handle.ready().await; stream.next().await } => {
                let now = Instant::now();
                let outcome = match incoming {
                    Some(Ok(Message::Text(text))) => handle.with(|e| e.on_ws_text(now, sid, Bytes::from(text))),
                    Some(Ok(Message::Binary(data))) => handle.with(|e| e.on_ws_binary(now, sid, data)),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => Ok(WsOutcome::Continue),
                    Some(Err(WsError::Capacity(_))) => {
                        close_oversized(handle, sid, sink, stream).await;
                        return;
                    }
                    Some(Ok(Message::Close(_)) | Err(_)) | None => {
                        // After a client's close frame tungstenite queued the answer; it goes out on this flush.
                        let _ = timeout(CLOSE_GRACE, sink.flush()).await;
                        handle.websocket_ended(sid, draining, DisconnectReason::TransportClose);
                        return;
                    }
                };
                match outcome {
                    Ok(WsOutcome::Continue) => {}
                    Ok(WsOutcome::Reply(frame)) => {
                        if let Some(message) = to_message(frame) {
                            let _ = timeout(SEND_TIMEOUT, sink.send(message)).await;
                        }
                    }
                    Ok(WsOutcome::Upgraded) => draining = true,
                    Ok(WsOutcome::Closed) | Err(_) => {
                        if draining || matches!(outcome, Ok(WsOutcome::Closed)) {
                            let _ = timeout(CLOSE_GRACE, sink.close()).await;
                            return;
                        }
                        let _ = timeout(CLOSE_GRACE, sink.close()).await;
                        handle.with(|e| e.abort_upgrade(sid));
                        return;
                    }
                }
            }
            // While probing, the polling transport owns the outbox; every PROBE_CHECK release a GET that waits
            // through the upgrade, look whether the session is still there (it may time out or close on the
            // polling side) and give the upgrade up after UPGRADE_TIMEOUT, as Node does, so a stalled probe does
            // not linger.
            () = tokio::time::sleep(PROBE_CHECK), if !draining => {
                let gone = !handle.with(|e| e.probe_tick(sid));
                if gone || probe_started.elapsed() >= UPGRADE_TIMEOUT {
                    handle.with(|e| e.abort_upgrade(sid));
                    let _ = timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            }
            drained = poll_fn(|cx| if draining { outbox.poll_drain(cx, &mut frames) } else { Poll::Pending }) => {
                // A client that stops reading must not pin this task forever: the batch has a deadline (the timer
                // is only armed when the write does not finish at once).
                let written = timeout(SEND_TIMEOUT, async {
                    for frame in frames.drain(..) {
                        if let Some(message) = to_message(frame) {
                            sink.feed(message).await?;
                        }
                    }
                    sink.flush().await
                })
                .await;
                let ended = match written {
                    Ok(Ok(())) => None,
                    // A client that stopped reading is at fault, as when its outbox overflows: `transport error`.
                    // A write that failed means the connection went away: `transport close`.
                    Err(_elapsed) => {
                        handle.metrics().add(crate::metrics::Counter::SlowWriteTimeout, 1);
                        Some(DisconnectReason::TransportError)
                    }
                    Ok(Err(_)) => Some(DisconnectReason::TransportClose),
                };
                if let Some(reason) = ended {
                    frames.clear();
                    handle.with(|e| e.on_transport_closed(sid, reason));
                    return;
                }
                if let Drained::Closed { notify_client } = drained {
                    if notify_client {
                        let _ = timeout(CLOSE_GRACE, sink.send(Message::text("1"))).await;
                    }
                    let _ = timeout(CLOSE_GRACE, sink.close()).await;
                    return;
                }
            }
        }
    }
}
