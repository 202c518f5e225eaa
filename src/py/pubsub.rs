//! `RedisManagerCore`: the Rust half of `turbosio.RedisManager` / `turbosio.AsyncRedisManager`.
//!
//! It owns the Redis driver (`scale::redis`) and, once attached to a server, links that server's engine to it: the
//! engine's pub/sub adapter queues messages for the driver, and the driver's reader applies other hosts' messages
//! to the engine under its lock (no Python). The two kinds of message that need Python's ack table (an emit that
//! waits for acks, an ack answer for this host) and the driver's reports reach Python through the server's event
//! queue (`PUBSUB`, `PUBSUB_LOG`). A write-only manager has no server: its reports wait in a short list that
//! Python takes after each publish.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::dispatch::EventQueue;
use super::errors::{os_error, value_error};
use super::server::ServerCore;
use crate::engine::pubsub::{Incoming, Link, triage};
use crate::runtime::runtime;
use crate::scale::Inbound;
use crate::scale::redis::{RedisConfig, RedisDriver};
use crate::server::handle::EngineHandle;

/// Reports kept for a manager without a server, oldest dropped first.
const MAX_PENDING_REPORTS: usize = 64;

/// Where the driver's messages and reports go.
struct Bridge {
    host_id: Arc<str>,
    engine: Mutex<Option<(Weak<EngineHandle>, Arc<EventQueue>)>>,
    reports: Mutex<VecDeque<(bool, String)>>,
}

impl Inbound for Bridge {
    fn deliver(&self, message: Vec<u8>) {
        let Some((engine, queue)) = self.engine.lock().clone() else {
            return;
        };
        let Some(engine) = engine.upgrade() else { return };
        match triage(&self.host_id, &message) {
            Incoming::Apply(decoded) => engine.with(|e| e.apply_remote(decoded)),
            Incoming::Forward => queue.push_pubsub(message),
            Incoming::Ignore => {}
        }
    }

    fn report(&self, warning: bool, message: String) {
        if let Some((_, queue)) = &*self.engine.lock() {
            queue.push_pubsub_log(warning, message);
            return;
        }
        let mut reports = self.reports.lock();
        if reports.len() >= MAX_PENDING_REPORTS {
            reports.pop_front();
        }
        reports.push_back((warning, message));
    }
}

/// The Redis link of one manager.
#[pyclass(frozen, module = "turbosio._core")]
pub struct RedisManagerCore {
    driver: RedisDriver,
    host_id: Arc<str>,
    bridge: Arc<Bridge>,
    attached: Mutex<Option<Arc<EngineHandle>>>,
}

#[pymethods]
impl RedisManagerCore {
    /// Check the URL and start the publishing task (it connects when there is something to publish).
    #[new]
    #[pyo3(signature = (url, channel, host_id, *, max_queue=10_000, username=None, password=None, db=None, socket_connect_timeout=None))]
    #[expect(clippy::too_many_arguments, reason = "mirrors the manager's keyword arguments")]
    fn new(
        url: String,
        channel: String,
        host_id: &str,
        max_queue: usize,
        username: Option<String>,
        password: Option<String>,
        db: Option<i64>,
        socket_connect_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let connect_timeout = match socket_connect_timeout {
            Some(s) if s.is_finite() && s > 0.0 => Some(Duration::from_secs_f64(s)),
            Some(_) => {
                return Err(value_error(
                    "socket_connect_timeout must be a positive number of seconds",
                ));
            }
            None => None,
        };
        let config = RedisConfig {
            url,
            channel,
            username,
            password,
            db,
            connect_timeout,
        };
        let host_id: Arc<str> = Arc::from(host_id);
        let bridge = Arc::new(Bridge {
            host_id: host_id.clone(),
            engine: Mutex::new(None),
            reports: Mutex::new(VecDeque::new()),
        });
        let driver = RedisDriver::new(&config, max_queue, bridge.clone()).map_err(value_error)?;
        driver.start_publisher(runtime().map_err(os_error)?);
        Ok(Self {
            driver,
            host_id,
            bridge,
            attached: Mutex::new(None),
        })
    }

    /// Link `server`'s engine to the channel: its broadcasts and closed rooms are published from now on, and, with
    /// `subscribe`, other hosts' messages are read and delivered to its sockets.
    fn attach(&self, py: Python<'_>, server: &ServerCore, subscribe: bool) -> PyResult<()> {
        let handle = server.parts.handle.clone();
        *self.bridge.engine.lock() = Some((Arc::downgrade(&handle), server.parts.queue.clone()));
        let link = Link {
            host_id: self.host_id.clone(),
            publisher: self.driver.outbound.clone(),
        };
        py.detach(|| handle.with(|e| e.set_link(Some(link))));
        if subscribe {
            self.driver
                .start_subscriber(runtime().map_err(os_error)?, self.bridge.clone());
        }
        *self.attached.lock() = Some(handle);
        Ok(())
    }

    /// Queue a message for the channel; False when the queue is full (the message is dropped and counted).
    fn publish(&self, message: &Bound<'_, PyBytes>) -> bool {
        self.driver.outbound.push(message.as_bytes().to_vec()).is_some()
    }

    /// Queue a message and wait (without the GIL) until it was published, at most `timeout` seconds; whether it
    /// was.
    fn publish_wait(&self, py: Python<'_>, message: &Bound<'_, PyBytes>, timeout: f64) -> bool {
        let Some(seq) = self.driver.outbound.push(message.as_bytes().to_vec()) else {
            return false;
        };
        let timeout = Duration::try_from_secs_f64(timeout.max(0.0)).unwrap_or(Duration::MAX);
        let outbound = self.driver.outbound.clone();
        py.detach(move || outbound.wait_sent(seq, timeout))
    }

    /// `(published, dropped, queued)`: messages published, refused because the queue was full, waiting now.
    fn stats(&self) -> (u64, u64, u64) {
        let stats = self.driver.outbound.stats();
        (stats.published, stats.dropped, stats.queued)
    }

    /// The driver's reports since the last call, `(is_warning, message)`, for a manager without a server.
    fn take_reports(&self) -> Vec<(bool, String)> {
        self.bridge.reports.lock().drain(..).collect()
    }

    /// Stop the driver and unlink the server's engine (it goes back to delivering locally only).
    fn close(&self, py: Python<'_>) {
        self.driver.close();
        *self.bridge.engine.lock() = None;
        if let Some(handle) = self.attached.lock().take() {
            py.detach(|| handle.with(|e| e.set_link(None)));
        }
    }

    /// python-socketio's `host_id`.
    #[getter]
    fn host_id(&self) -> &str {
        &self.host_id
    }
}
