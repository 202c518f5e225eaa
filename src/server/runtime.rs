//! The one tokio runtime of the process, started on first use.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();

/// The shared runtime. Worker count: `TURBOSIO_WORKERS` or the number of cores.
pub fn runtime() -> Result<&'static Runtime, String> {
    RUNTIME
        .get_or_init(|| {
            let workers = std::env::var("TURBOSIO_WORKERS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
            Builder::new_multi_thread()
                .worker_threads(workers)
                .thread_name("turbosio-io")
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the tokio runtime: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}
