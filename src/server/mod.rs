//! Drivers: the parts that move bytes between sockets and the sans-IO engine.
//!
//! In: TCP connections (native hyper + tokio-tungstenite server) and, for the ASGI driver, requests handed over
//! by the bindings. Out: calls into [`EngineHandle`], and frames written from each session's outbox.
//! Never: Python. Every wait here is on tokio; the only way up to Python is the engine's event sink, which the
//! bindings implement without taking the GIL on a tokio thread.

pub mod adopted;
pub mod compression;
pub mod cors;
pub mod endpoint;
pub mod handle;
pub mod hosted;
pub mod native;
pub mod request;
pub mod runtime;
pub mod websocket;

pub use handle::EngineHandle;
