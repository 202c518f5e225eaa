//! Python bindings: the only layer that touches Python.
//!
//! In: calls from `python/turbosio/` (emit, rooms, accept, drain, the external driver's requests, the hosted app's
//! answers). Out: engine calls, and tuples of drained events. `ClientCore`/`ClientHubCore` (`client.rs`) are the clients' half. `ServerCore` is split by job (`server.rs` verbs,
//! `native.rs` lifecycle, `relay.rs` hosted relay); `external.rs` only converts between Python and
//! `server::endpoint`; `pubsub.rs` binds the Redis manager's driver (`scale`). Never: Python work on a tokio thread, the GIL held across fan-out or I/O, a `Py<T>` handed
//! to a lower layer.

pub mod admin;
pub mod client;
pub mod convert;
pub mod dispatch;
pub mod errors;
pub mod external;
pub mod fd;
pub mod hosted;
pub mod kinds;
pub mod metrics;
pub mod msgpack;
pub mod native;
pub mod parts;
pub mod pubsub;
pub mod relay;
pub mod server;
pub mod workers;
