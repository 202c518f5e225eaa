//! The client side: a sans-IO Engine.IO v4 / Socket.IO v5 client engine and its tokio driver.
//!
//! In: the frames a server sends (polling bodies, WebSocket frames), the time as an argument (`on_tick(now)`), and
//! calls from the bindings (`emit`, `ack`, `disconnect_namespace`, `close`). Out: frames for the driver to write,
//! [`ClientEvent`]s for the layer above (the open packet, namespace answers, events, acks, the end of the session),
//! and the next deadline (the ping the server owes us). The sans-IO part ([`session`], [`socketio`], [`engine`],
//! [`reconnect`]) has no sockets, clocks, tokio or Python, so `cargo test` drives it with scripted input and a fake
//! clock. The driver ([`connection`], with [`polling`] over hyper's client and [`websocket`] over
//! tokio-tungstenite, both on a stream [`stream::open`] gives, plain or TLS with [`tls`]'s config) runs one task per connection on the process's
//! shared runtime. Never: Python. Events go up through the [`ClientSink`] the bindings implement without the GIL.
//!
//! Reconnection: [`reconnect::Schedule`] computes python-socketio's backoff; the bindings run the attempts, because
//! each one re-evaluates the user's callable `url`, `headers` and `auth` in Python.

pub mod connection;
pub mod engine;
pub mod event;
pub mod polling;
pub mod reconnect;
pub mod session;
pub mod socketio;
pub mod stream;
pub mod target;
pub mod tls;
pub mod websocket;

#[cfg(test)]
mod tests;

pub use connection::{ConnectOptions, Connection};
pub use engine::{ClientEngine, SendError};
pub use event::{ClientEvent, ClientSink, CloseReason};
pub use reconnect::Schedule;
pub use target::Target;
