//! Wire codecs for Engine.IO v4 and Socket.IO v5.
//!
//! Contract: this layer turns bytes received from a peer into typed packets, and typed packets into bytes, and
//! does nothing else. It has no state beyond a partly received binary Socket.IO packet, no I/O, no clock, and no
//! knowledge of sessions, tokio, hyper or Python; it depends on `std`, `bytes`, `base64`, `serde`, `serde_json` and
//! `thiserror` only.
//!
//! - In: `Bytes` as they came off the wire (a WebSocket frame, a polling request body, the text of an Engine.IO
//!   message). Everything here is hostile input: decoders return a [`engineio::DecodeError`] or
//!   [`socketio::DecodeError`] naming the fault and never panic, index out of bounds or allocate in proportion to
//!   a length the peer claims.
//! - Out: [`engineio::Packet`] and [`socketio::Packet`] values that borrow the input buffer (`Bytes::slice`)
//!   instead of copying it, and encoded frames and polling bodies for the driver to send. Encoding our own
//!   packets cannot fail, so encoders return no `Result`.
//! - Never: a rule that depends on which side we are. Every packet type decodes and encodes whichever way it
//!   travels, so the server engine and a client engine share these codecs. What only a server says (the
//!   handshake data, a CONNECT answer carrying a sid, a `CONNECT_ERROR`) is built in `engine/handshake.rs`, and
//!   the packets a server refuses from its peer (an open packet, a `CONNECT_ERROR`) are refused by the engine.
//!
//! JSON payloads are validated but not turned into values: the Python layer parses them straight into Python
//! objects later. Tests live in `<codec>_tests.rs` next to each codec and use only its public items.
#![deny(clippy::indexing_slicing)]

pub mod engineio;
pub mod pubsub;
pub mod socketio;
