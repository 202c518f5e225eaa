//! `--msgpack`: speak `socket.io-msgpack-parser`'s format over WebSocket (servers built with
//! `serializer='msgpack'`). The scenarios keep writing and reading Socket.IO packets as text (`421["echo",..]`);
//! the WebSocket transport translates each one to and from one binary message holding a msgpack map
//! `{type, data, nsp, id}`. The translation runs on the load generator's core, not the server's.

use std::sync::atomic::{AtomicBool, Ordering};

use rmpv::Value;

use crate::error::ClientError;

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turn msgpack on for every connection of this run.
pub(crate) fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether this run speaks msgpack.
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn protocol(message: impl Into<String>) -> ClientError {
    ClientError::Protocol(message.into())
}

fn json_to_msgpack(value: serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::from(b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(Value::from)
            .or_else(|| n.as_u64().map(Value::from))
            .unwrap_or_else(|| Value::from(n.as_f64().unwrap_or_default())),
        serde_json::Value::String(s) => Value::from(s),
        serde_json::Value::Array(items) => Value::Array(items.into_iter().map(json_to_msgpack).collect()),
        serde_json::Value::Object(map) => Value::Map(
            map.into_iter()
                .map(|(k, v)| (Value::from(k), json_to_msgpack(v)))
                .collect(),
        ),
    }
}

fn msgpack_to_json(value: Value) -> serde_json::Value {
    match value {
        Value::Nil | Value::Ext(..) => serde_json::Value::Null,
        Value::Boolean(b) => serde_json::Value::Bool(b),
        Value::Integer(n) => n
            .as_i64()
            .map(serde_json::Value::from)
            .or_else(|| n.as_u64().map(serde_json::Value::from))
            .unwrap_or_default(),
        Value::F32(f) => serde_json::Value::from(f64::from(f)),
        Value::F64(f) => serde_json::Value::from(f),
        Value::String(s) => serde_json::Value::from(s.into_str().unwrap_or_default()),
        Value::Binary(b) => serde_json::Value::from(b),
        Value::Array(items) => serde_json::Value::Array(items.into_iter().map(msgpack_to_json).collect()),
        Value::Map(entries) => serde_json::Value::Object(
            entries
                .into_iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_owned(), msgpack_to_json(v)))
                .collect(),
        ),
    }
}

/// A text Socket.IO packet of the default namespace (`4<type>[<id>][<json>]`) as a msgpack message.
pub(crate) fn encode(packet: &str) -> Result<Vec<u8>, ClientError> {
    let bytes = packet.as_bytes();
    let kind = match bytes.get(1) {
        Some(&digit @ b'0'..=b'4') => digit - b'0',
        _ => return Err(protocol(format!("cannot translate {packet:?} to msgpack"))),
    };
    let rest = packet.get(2..).unwrap_or_default();
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id: Option<u64> = rest
        .get(..digits)
        .filter(|d| !d.is_empty())
        .and_then(|d| d.parse().ok());
    let json = rest.get(digits..).unwrap_or_default();
    let mut entries = vec![(Value::from("type"), Value::from(kind))];
    if !json.is_empty() {
        let data: serde_json::Value =
            serde_json::from_str(json).map_err(|e| protocol(format!("bad JSON in {packet:?}: {e}")))?;
        entries.push((Value::from("data"), json_to_msgpack(data)));
    }
    entries.push((Value::from("nsp"), Value::from("/")));
    if let Some(id) = id {
        entries.push((Value::from("id"), Value::from(id)));
    }
    let mut out = Vec::with_capacity(packet.len() + 24);
    rmpv::encode::write_value(&mut out, &Value::Map(entries)).map_err(|e| protocol(e.to_string()))?;
    Ok(out)
}

/// A msgpack message as the text Socket.IO packet the scenarios read (`4<type>[<id>][<json>]`).
pub(crate) fn decode(message: &[u8]) -> Result<String, ClientError> {
    let value = rmpv::decode::read_value(&mut &message[..]).map_err(|e| protocol(format!("bad msgpack: {e}")))?;
    let Value::Map(entries) = value else {
        return Err(protocol("msgpack packet is not a map"));
    };
    let (mut kind, mut id, mut data) = (None, None, None);
    for (key, value) in entries {
        match key.as_str() {
            Some("type") => kind = value.as_u64(),
            Some("id") => id = value.as_u64(),
            Some("data") => data = Some(value),
            _ => {}
        }
    }
    let kind = kind.ok_or_else(|| protocol("msgpack packet without a type"))?;
    let mut text = format!("4{kind}");
    if let Some(id) = id {
        text.push_str(&id.to_string());
    }
    if let Some(data) = data {
        text.push_str(&msgpack_to_json(data).to_string());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_packets_the_scenarios_use() {
        for packet in [
            r#"421["echo",{"pad":"xx","seq":1}]"#,
            r#"42["tick",{"seq":3,"t":17}]"#,
            "40",
            "430[true]",
        ] {
            assert_eq!(decode(&encode(packet).unwrap()).unwrap(), packet);
        }
    }
}
