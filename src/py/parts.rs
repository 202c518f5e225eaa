//! What every driver of one server shares: its engine, its event queue and its HTTP settings. `ServerCore` holds
//! them and the external driver gets a copy, so the external driver never names `ServerCore`.

use std::sync::Arc;

use super::dispatch::EventQueue;
use crate::server::endpoint::HttpConfig;
use crate::server::handle::EngineHandle;

/// The shared parts of one server.
#[derive(Clone)]
pub struct ServerParts {
    /// The engine.
    pub handle: Arc<EngineHandle>,
    /// The queue up to Python.
    pub queue: Arc<EventQueue>,
    /// The Engine.IO endpoint's HTTP settings.
    pub http: HttpConfig,
}
