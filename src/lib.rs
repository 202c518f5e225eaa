//! turbosio's native core: Engine.IO v4 / Socket.IO v5 in Rust, exposed to Python as `turbosio._core`.

pub mod client;
pub mod engine;
pub mod metrics;
pub mod protocol;
pub mod py;
pub mod runtime;
pub mod scale;
pub mod server;
pub mod tls;
pub mod workers;

use pyo3::prelude::*;

/// The extension module `turbosio._core`.
#[pymodule]
mod _core {
    #[pymodule_export]
    use crate::py::server::ServerCore;

    #[pymodule_export]
    use crate::py::external::ExternalDriverCore;

    #[pymodule_export]
    use crate::py::client::ClientCore;

    #[pymodule_export]
    use crate::py::client::ClientHubCore;

    #[pymodule_export]
    use crate::py::pubsub::RedisManagerCore;

    #[pymodule_export]
    use crate::py::workers::BrokerCore;

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        // The numbers at the boundary (item kinds, body states, the external driver's answers), so that
        // `turbosio._kinds` re-exports them instead of repeating them.
        for (name, value) in crate::py::kinds::ALL {
            m.add(*name, *value)?;
        }
        Ok(())
    }
}
