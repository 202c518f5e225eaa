//! `ServerCore`'s native lifecycle: `listen` starts the hyper server on the shared runtime, `shutdown` stops it and
//! drains its connections. Serving itself is `server/native/`'s; this only starts, stops and waits.

use std::net::ToSocketAddrs;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;

use super::errors::{os_error, state_error, value_error};
use super::fd::duplicate;
use super::server::ServerCore;
use crate::engine::sid::{MAX_WORKERS, set_worker};
use crate::runtime::runtime;
use crate::server::hosted::HostedApp;
use crate::server::native::{Listen, NativeServer, Workers};

#[pymethods]
impl ServerCore {
    /// Serve natively on `host:port` (port 0 picks a free one); returns the bound port. With `web_app`, requests
    /// outside the Socket.IO path come to Python as `HTTP` items (answer with `http_start` / `http_body`). With
    /// `ssl_certfile` (and `ssl_keyfile`, unless the certificate file holds the key), over TLS only; their problems
    /// raise here, before the port is bound.
    ///
    /// As worker `worker` of several sharing a port (`turbosio.run(..., workers=N)`): serve a duplicate of the
    /// listening socket `fd` (the worker's own, bound with `SO_REUSEPORT`; `host` and `port` are then only for
    /// messages) and relay requests for other workers' sessions to them over `worker_sockets` (every worker's unix
    /// socket, by index).
    #[pyo3(signature = (
        host, port, web_app=false, ssl_certfile=None, ssl_keyfile=None, *, fd=None, worker=None, worker_sockets=None,
        metrics_path=None
    ))]
    #[expect(clippy::too_many_arguments, reason = "keyword arguments from Python")]
    fn listen(
        &self,
        py: Python<'_>,
        host: &str,
        port: u16,
        web_app: bool,
        ssl_certfile: Option<PathBuf>,
        ssl_keyfile: Option<PathBuf>,
        fd: Option<i32>,
        worker: Option<usize>,
        worker_sockets: Option<Vec<PathBuf>>,
        metrics_path: Option<String>,
    ) -> PyResult<u16> {
        if self.native.lock().is_some() {
            return Err(state_error("this server is already listening"));
        }
        let tls = match (&ssl_certfile, &ssl_keyfile) {
            (Some(cert), key) => Some(py.detach(|| crate::server::tls::acceptor(cert, key.as_deref()))?),
            (None, Some(_)) => return Err(value_error("ssl_keyfile needs ssl_certfile")),
            (None, None) => None,
        };
        let workers = match (worker, worker_sockets) {
            (Some(me), Some(sockets)) if me < sockets.len() && sockets.len() <= MAX_WORKERS => {
                Some(Workers { me, sockets })
            }
            (None, None) => None,
            _ => {
                return Err(value_error(format!(
                    "worker must be an index into worker_sockets, which holds at most {MAX_WORKERS}"
                )));
            }
        };
        let listen = match fd {
            Some(fd) => Listen::Inherited(std::net::TcpListener::from(duplicate(fd)?)),
            None => Listen::Addr(
                (host, port)
                    .to_socket_addrs()
                    .map_err(|e| os_error(format!("cannot resolve {host}:{port}: {e}")))?
                    .next()
                    .ok_or_else(|| os_error(format!("cannot resolve {host}:{port}")))?,
            ),
        };
        // Session ids made from now on name this worker; the engine makes them, and the process is the worker.
        set_worker(workers.as_ref().map(|w| w.me));
        let runtime = runtime().map_err(os_error)?;
        let handle = self.parts.handle.clone();
        let mut http = self.parts.http.clone();
        if let Some(path) = metrics_path {
            // Serving metrics means counting them.
            self.parts.handle.metrics().enable();
            http.metrics_path = Some(path);
        }
        // The `native` lock is not held here: another thread may call shutdown() while this one waits without
        // the GIL.
        let server = py
            .detach(|| {
                let hosted: Option<Arc<dyn HostedApp>> = web_app.then(|| self.hosted.clone() as Arc<dyn HostedApp>);
                runtime.block_on(NativeServer::bind(listen, handle, http, hosted, tls, workers))
            })
            .map_err(|e| os_error(format!("cannot listen on {host}:{port}: {e}")))?;
        let port = server.local_addr().port();
        let mut native = self.native.lock();
        if native.is_some() {
            server.shutdown();
            return Err(state_error("this server is already listening"));
        }
        *native = Some(server);
        Ok(port)
    }

    /// Stop listening, close every session (their disconnect events still arrive through `drain`) and wait up
    /// to `timeout` seconds for the connections to flush what was queued for them.
    #[pyo3(signature = (timeout=2.0))]
    fn shutdown(&self, py: Python<'_>, timeout: f64) {
        let server = self.native.lock().take();
        if let Some(server) = &server {
            server.shutdown();
        }
        py.detach(|| {
            self.parts.handle.with(crate::engine::Engine::close_all);
            if let (Some(server), Ok(runtime)) = (&server, runtime()) {
                let limit = Duration::try_from_secs_f64(timeout).unwrap_or_default();
                runtime.block_on(server.drain(limit));
            }
        });
    }
}
