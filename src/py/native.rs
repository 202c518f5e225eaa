//! `ServerCore`'s native lifecycle: `listen` starts the hyper server on the shared runtime, `shutdown` stops it and
//! drains its connections. Serving itself is `server/native/`'s; this only starts, stops and waits.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;

use super::errors::{os_error, state_error, value_error};
use super::server::ServerCore;
use crate::runtime::runtime;
use crate::server::hosted::HostedApp;
use crate::server::native::NativeServer;

#[pymethods]
impl ServerCore {
    /// Serve natively on `host:port` (port 0 picks a free one); returns the bound port. With `web_app`, requests
    /// outside the Socket.IO path come to Python as `HTTP` items (answer with `http_start` / `http_body`). With
    /// `ssl_certfile` (and `ssl_keyfile`, unless the certificate file holds the key), over TLS only; their problems
    /// raise here, before the port is bound.
    #[pyo3(signature = (host, port, web_app=false, ssl_certfile=None, ssl_keyfile=None))]
    fn listen(
        &self,
        py: Python<'_>,
        host: &str,
        port: u16,
        web_app: bool,
        ssl_certfile: Option<PathBuf>,
        ssl_keyfile: Option<PathBuf>,
    ) -> PyResult<u16> {
        if self.native.lock().is_some() {
            return Err(state_error("this server is already listening"));
        }
        let tls = match (&ssl_certfile, &ssl_keyfile) {
            (Some(cert), key) => Some(py.detach(|| crate::server::tls::acceptor(cert, key.as_deref()))?),
            (None, Some(_)) => return Err(value_error("ssl_keyfile needs ssl_certfile")),
            (None, None) => None,
        };
        let addr: SocketAddr = (host, port)
            .to_socket_addrs()
            .map_err(|e| os_error(format!("cannot resolve {host}:{port}: {e}")))?
            .next()
            .ok_or_else(|| os_error(format!("cannot resolve {host}:{port}")))?;
        let runtime = runtime().map_err(os_error)?;
        let handle = self.parts.handle.clone();
        let http = self.parts.http.clone();
        // The `native` lock is not held here: another thread may call shutdown() while this one waits without
        // the GIL.
        let server = py
            .detach(|| {
                let hosted: Option<Arc<dyn HostedApp>> = web_app.then(|| self.hosted.clone() as Arc<dyn HostedApp>);
                runtime.block_on(NativeServer::bind(addr, handle, http, hosted, tls))
            })
            .map_err(|e| os_error(format!("cannot listen on {addr}: {e}")))?;
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
