//! The one tokio runtime of the process, started on first use.
//!
//! `fork()` copies a runtime into the child without its threads, so a child that uses the parent's runtime would
//! queue tasks nobody runs. The runtime therefore belongs to the process that built it: a forked child (a
//! granian or gunicorn worker forked from a parent that already created a server) builds its own on first use.

use std::sync::OnceLock;

use parking_lot::Mutex;
use tokio::runtime::{Builder, Runtime};

/// The process that built the runtime, and the runtime (leaked: it lives as long as the process, and a child's
/// inherited copy must never be dropped, since dropping joins threads that do not exist there).
static RUNTIME: OnceLock<Mutex<Option<(u32, &'static Runtime)>>> = OnceLock::new();

/// The current process's runtime. Worker count: `TURBOSIO_WORKERS` or the number of cores.
pub fn runtime() -> Result<&'static Runtime, String> {
    let pid = std::process::id();
    let mut slot = RUNTIME.get_or_init(|| Mutex::new(None)).lock();
    if let Some((owner, runtime)) = *slot
        && owner == pid
    {
        return Ok(runtime);
    }
    let workers = std::env::var("TURBOSIO_WORKERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, usize::from));
    let runtime = Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("turbosio-io")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *slot = Some((pid, runtime));
    Ok(runtime)
}
