//! Drivers: the parts that move bytes between sockets and the sans-IO engine.
//!
//! In: TCP connections (the native hyper + tokio-tungstenite server), and request descriptions from the external
//! driver in `py/` (turbosio served by an ASGI or WSGI server). Out: calls into [`EngineHandle`], and frames written
//! from each session's outbox. What a request to the Engine.IO path gets is decided once, in [`endpoint`], for
//! every driver; `native/` only converts hyper types to and from it. The hosted direction (turbosio hosting the
//! user's web app on the native server) is [`hosted`]. Never: Python. Every wait here is on tokio; the only way up
//! to Python is the engine's event sink and the [`hosted::HostedApp`] trait, which the bindings implement without
//! taking the GIL on a tokio thread.

pub mod adopted;
pub mod compression;
pub mod cors;
pub mod endpoint;
pub mod handle;
pub mod hosted;
pub mod native;
pub mod request;
pub mod tls;
pub mod websocket;

pub use handle::EngineHandle;
