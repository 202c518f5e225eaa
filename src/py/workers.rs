//! `BrokerCore`: the built-in broker (`workers/broker.rs`) as the workers' supervisor starts and stops it.

use std::path::PathBuf;

use parking_lot::Mutex;
use pyo3::prelude::*;

use super::errors::os_error;
use crate::runtime::runtime;
use crate::workers::broker::Broker;

/// A pub/sub broker speaking the Redis protocol's pub/sub subset on a unix socket, on this process's runtime.
#[pyclass(frozen, module = "turbosio._core")]
pub struct BrokerCore {
    broker: Mutex<Option<Broker>>,
}

#[pymethods]
impl BrokerCore {
    /// Listen on the unix socket `path` (which must not exist yet).
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let runtime = runtime().map_err(os_error)?;
        let broker = py
            .detach(|| {
                let _entered = runtime.enter();
                Broker::start(&path)
            })
            .map_err(|e| os_error(format!("cannot listen on {}: {e}", path.display())))?;
        Ok(Self {
            broker: Mutex::new(Some(broker)),
        })
    }

    /// Stop: close every connection and remove the socket file. Idempotent.
    fn close(&self) {
        if let Some(broker) = self.broker.lock().take() {
            broker.stop();
        }
    }
}
