//! Engine.IO v4 codec: single packets ([`packet`]) and HTTP long-polling bodies ([`payload`]).
//!
//! Contract: in come WebSocket frames and polling bodies exactly as received (a POST body on a server, a GET
//! response on a client); out come [`Packet`]s, or a [`DecodeError`] naming what is wrong with the bytes. A text
//! frame is a type digit followed by UTF-8 text, a binary WebSocket frame is always a binary message, and a polling
//! body is segments joined by [`SEPARATOR`], where a binary message is `b` + base64. The other way, an engine
//! queues [`Frame`]s and its driver writes them one per WebSocket frame or joins them with [`encode_payload`].
//! Every packet type decodes and encodes both ways: which side may send which packet is the engine's business.
//!
//! This module never panics or over-allocates on hostile input, never copies a text payload (packets are slices
//! of the received `Bytes`), and knows nothing of sessions, heartbeats or Socket.IO: a message payload is opaque
//! UTF-8 text here.

pub mod packet;
pub mod payload;

#[cfg(test)]
mod packet_tests;
#[cfg(test)]
mod payload_tests;

pub use packet::{DecodeError, Frame, Packet};
pub use payload::{SEPARATOR, decode_payload, encode_payload};
