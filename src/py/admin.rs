//! The Admin UI's side of `ServerCore` (`Server.instrument()`): install the engine's tap, and read what the
//! Python half sends on each admin connect (`all_sockets`) and every `server_stats_interval` (`server_stats`).
//! The per-message taps themselves never come up here: the engine frames them (`engine/admin.rs`).

use std::time::SystemTime;

use pyo3::prelude::*;

use super::server::ServerCore;
use crate::engine::Sid;
use crate::engine::admin::AdminTap;

#[pymethods]
impl ServerCore {
    /// Report to the sockets of `namespace` from now on; `development` adds the per-event taps.
    fn admin_instrument(&self, py: Python<'_>, namespace: &str, development: bool) {
        let tap = AdminTap::new(namespace, development, SystemTime::now);
        py.detach(|| self.parts.handle.with(|e| e.instrument(tap)));
    }

    /// Stop the taps and the counters.
    fn admin_uninstrument(&self, py: Python<'_>) {
        py.detach(|| self.parts.handle.with(crate::engine::Engine::uninstrument));
    }

    /// Every connected socket as the Admin UI lists it, and `admin` (the admin socket being welcomed) with them
    /// (a JSON array; empty in production mode).
    fn admin_all_sockets(&self, py: Python<'_>, admin: &str) -> String {
        let admin = Sid::parse(admin);
        py.detach(|| self.parts.handle.with(|e| e.admin_all_sockets(admin).to_string()))
    }

    /// The engine's part of `server_stats` as a JSON object; the counters restart from zero.
    fn admin_stats(&self, py: Python<'_>) -> String {
        py.detach(|| self.parts.handle.with(|e| e.admin_stats().to_string()))
    }
}
