//! HTTP long-polling for a client: GET and POST requests on hyper's HTTP/1 client, each on its own connection.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;

use super::stream::{self, TlsOptions};
use super::target::Target;

/// Why a polling request failed.
#[derive(Debug, thiserror::Error)]
pub enum PollingError {
    /// The connection could not be made, or broke.
    #[error("{0}")]
    Io(String),
    /// No answer in time.
    #[error("request timed out")]
    TimedOut,
    /// The server answered with a status other than 2xx.
    #[error("Unexpected status code {status} in server response")]
    Status {
        /// The HTTP status.
        status: StatusCode,
        /// The body, which may hold the server's JSON reason.
        body: Bytes,
    },
}

/// One HTTP connection to the server, opened on first use and reopened when it closes.
pub struct Channel {
    target: Target,
    tls: TlsOptions,
    headers: Vec<(String, String)>,
    max_body: usize,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Channel {
    /// A channel to `target` sending `headers` with every request and accepting bodies up to `max_body` bytes.
    pub fn new(target: Target, tls: TlsOptions, headers: Vec<(String, String)>, max_body: usize) -> Channel {
        Channel {
            target,
            tls,
            headers,
            max_body,
            sender: None,
        }
    }

    /// Send one request and return its body; the whole exchange (connect included) must finish within `timeout`.
    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, PollingError> {
        tokio::time::timeout(timeout, self.exchange(method, path, body, timeout))
            .await
            .map_err(|_| PollingError::TimedOut)?
    }

    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, PollingError> {
        let io = |e: &dyn std::fmt::Display| PollingError::Io(e.to_string());
        if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
            let stream = stream::open(&self.target, &self.tls, timeout)
                .await
                .map_err(|e| io(&e))?;
            let (sender, connection) = http1::handshake(TokioIo::new(stream)).await.map_err(|e| io(&e))?;
            tokio::spawn(async move {
                // The connection ends when the sender is dropped or the server closes it; either is routine.
                let _ = connection.await;
            });
            self.sender = Some(sender);
        }
        let Some(sender) = self.sender.as_mut() else {
            return Err(PollingError::Io(String::from("no connection")));
        };
        sender.ready().await.map_err(|e| io(&e))?;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, self.target.host_header());
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if !body.is_empty() {
            request = request.header(hyper::header::CONTENT_TYPE, "text/plain;charset=UTF-8");
        }
        let request = request.body(Full::new(body)).map_err(|e| io(&e))?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(err) => {
                self.sender = None;
                return Err(io(&err));
            }
        };
        let status = response.status();
        let body = Limited::new(response.into_body(), self.max_body)
            .collect()
            .await
            .map_err(|e| PollingError::Io(format!("bad response body: {e}")))?
            .to_bytes();
        if !status.is_success() {
            return Err(PollingError::Status { status, body });
        }
        Ok(body)
    }
}
