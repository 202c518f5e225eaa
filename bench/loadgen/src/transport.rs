//! The one interface the scenarios drive: a Socket.IO client connected to the default namespace over some
//! Engine.IO transport. Implementations answer the server's pings (`2` with `3`) and skip noops inside `recv`,
//! so scenarios only ever see Socket.IO packets (Engine.IO `4` messages).

use std::net::SocketAddr;

use tokio_tungstenite::tungstenite::Utf8Bytes;

use crate::error::ClientError;

/// A connected Socket.IO client (the CONNECT answer `40{"sid":..}` has been received).
pub(crate) trait Transport: Sized {
    /// What the report calls this transport.
    const NAME: &'static str;

    /// Opens the Engine.IO session and connects to namespace `/`.
    async fn connect(addr: SocketAddr) -> Result<Self, ClientError>;

    /// Sends one Engine.IO packet, e.g. `42["echo",{}]`.
    async fn send(&mut self, packet: &str) -> Result<(), ClientError>;

    /// The next Engine.IO message packet (`4...`), answering pings on the way.
    async fn recv(&mut self) -> Result<Utf8Bytes, ClientError>;
}

/// spec: the Engine.IO v4 packet types a client acts on.
pub(crate) enum Incoming {
    /// `4...`: a Socket.IO packet, for the scenario.
    Message(Utf8Bytes),
    /// `2`: the server's ping, owed a `3`.
    Ping,
    /// `6`: nothing to do.
    Noop,
}

/// Sorts one received Engine.IO packet.
pub(crate) fn classify(packet: Utf8Bytes) -> Result<Incoming, ClientError> {
    match packet.as_bytes().first() {
        Some(b'4') => Ok(Incoming::Message(packet)),
        Some(b'2') => Ok(Incoming::Ping),
        Some(b'6') => Ok(Incoming::Noop),
        Some(b'1') => Err(ClientError::Closed),
        _ => Err(ClientError::Protocol(format!(
            "unexpected engine.io packet {:?}",
            clip(&packet)
        ))),
    }
}

/// spec: Socket.IO v5 CONNECT answer for `/` is `40{"sid":"..."}`, a refusal is `44{...}`.
pub(crate) fn parse_connect_answer(packet: &str) -> Result<Option<String>, ClientError> {
    if let Some(rest) = packet.strip_prefix("40") {
        let value: serde_json::Value = serde_json::from_str(rest)
            .map_err(|e| ClientError::Protocol(format!("bad CONNECT answer {:?}: {e}", clip(packet))))?;
        let sid = value
            .get("sid")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| ClientError::Protocol(format!("CONNECT answer without sid: {:?}", clip(packet))))?;
        return Ok(Some(sid.to_owned()));
    }
    if let Some(rest) = packet.strip_prefix("44") {
        return Err(ClientError::ConnectRefused(clip(rest).to_owned()));
    }
    Ok(None)
}

/// spec: the Engine.IO open packet is `0{"sid":..,"pingInterval":..}`; returns its `sid`.
pub(crate) fn parse_open_packet(packet: &str) -> Result<String, ClientError> {
    let rest = packet
        .strip_prefix('0')
        .ok_or_else(|| ClientError::Protocol(format!("expected the open packet, got {:?}", clip(packet))))?;
    let value: serde_json::Value = serde_json::from_str(rest)
        .map_err(|e| ClientError::Protocol(format!("bad open packet {:?}: {e}", clip(packet))))?;
    value
        .get("sid")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| ClientError::Protocol(format!("open packet without sid: {:?}", clip(packet))))
}

/// The first 120 bytes of a packet, for error messages.
pub(crate) fn clip(text: &str) -> &str {
    let mut end = text.len().min(120);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}
