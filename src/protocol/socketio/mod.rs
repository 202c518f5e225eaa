//! Socket.IO v5 codec: packet headers and data ([`packet`]), binary attachments ([`attachments`]), and the msgpack
//! format of `socket.io-msgpack-parser` ([`msgpack`]).
//!
//! Contract: in comes the text of one Engine.IO message (without its `4`) and, for binary packets, the binary
//! messages that follow it; out comes a [`Packet`] whose header fields are parsed and whose JSON data is validated
//! (well-formed, and of the shape its type calls for) but left as raw text, or a [`DecodeError`] naming the fault.
//! Going out, [`encode`] writes a header in front of JSON the caller already serialised. Every packet type decodes
//! and encodes both ways (a CONNECT with or without data, a `CONNECT_ERROR`); what a server answers to a CONNECT
//! is built by the engine.
//!
//! This module never panics on hostile input, never builds JSON values (Python parses the data later, straight
//! into Python objects), bounds what a header may announce through [`DecodeLimits`], and knows nothing of
//! sessions, namespaces' handlers or acknowledgement bookkeeping.

pub mod attachments;
pub mod msgpack;
pub mod packet;

#[cfg(test)]
mod attachments_tests;
#[cfg(test)]
mod msgpack_tests;
#[cfg(test)]
mod packet_tests;

pub use attachments::{PartialBinary, validate_placeholders};
pub use packet::{DEFAULT_MAX_ATTACHMENTS, DecodeError, DecodeLimits, Packet, PacketType, encode};
