//! The client side: connecting to Socket.IO servers. So far only its TLS configuration ([`tls`]).

pub mod tls;
