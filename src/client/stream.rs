//! Where a client's byte streams are opened: TCP, with TLS over it for `https`/`wss` servers.
//!
//! In: the server ([`Target`]) and [`TlsOptions`], whose rustls configuration is built once per connection attempt
//! ([`TlsOptions::prepare`]) and shared by every request and WebSocket of that attempt. Out: a stream, TLS handshake
//! included, within the connect timeout. A TLS failure is an error whose text names it
//! (`TLS handshake with HOST:PORT failed: invalid peer certificate: ...`).

use std::sync::Arc;
use std::time::Duration;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::target::Target;
use super::tls::{Verify, client_config};
use crate::tls::TlsError;

/// A byte stream a client can speak HTTP or WebSocket over.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// A boxed [`Stream`], so plain and TLS streams share one type.
pub type BoxStream = Box<dyn Stream>;

/// How a connection attempt secures its streams: the rustls configuration for an `https`/`wss` target, none for a
/// plain one.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    config: Option<Arc<ClientConfig>>,
}

impl TlsOptions {
    /// The options for connecting to `target`, checking its certificate as `verify` says (`ssl_verify`). Only a
    /// secure target builds a configuration; that may read files (the system's roots once per process, a CA bundle
    /// each time), so call it once per attempt, off the runtime's threads.
    pub fn prepare(target: &Target, verify: Verify) -> Result<TlsOptions, TlsError> {
        let config = if target.secure {
            Some(client_config(verify)?)
        } else {
            None
        };
        Ok(TlsOptions { config })
    }
}

/// Open a connection to `target`, the TLS handshake included, within `timeout`.
pub async fn open(target: &Target, tls: &TlsOptions, timeout: Duration) -> std::io::Result<BoxStream> {
    tokio::time::timeout(timeout, connect(target, tls))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))?
}

async fn connect(target: &Target, tls: &TlsOptions) -> std::io::Result<BoxStream> {
    let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
    // perf: small Socket.IO frames must not wait for Nagle's algorithm.
    tcp.set_nodelay(true)?;
    if !target.secure {
        return Ok(Box::new(tcp));
    }
    let failed = |detail: &dyn std::fmt::Display| {
        std::io::Error::other(format!(
            "TLS handshake with {}:{} failed: {detail}",
            target.host, target.port
        ))
    };
    let Some(config) = &tls.config else {
        return Err(failed(&"no TLS configuration was prepared for this connection"));
    };
    // The name the certificate must carry, also sent as SNI (an IP address is checked, not sent).
    let name = ServerName::try_from(target.host.clone()).map_err(|err| failed(&err))?;
    match TlsConnector::from(config.clone()).connect(name, tcp).await {
        Ok(stream) => Ok(Box::new(stream)),
        Err(err) => Err(failed(&err)),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::ServerConfig;
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio_rustls::TlsAcceptor;

    use super::*;

    /// A CA's PEM, and a certificate for `names` it issued (DER) with its key (PEM); `expired` backdates it.
    fn issue(names: &[&str], expired: bool) -> (String, CertificateDer<'static>, String) {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2020, 1, 2);
        }
        let cert = params.signed_by(&key, &ca).unwrap();
        (ca.pem(), cert.der().clone(), key.serialize_pem())
    }

    /// A TLS server on 127.0.0.1 that answers one line `ok` to each connection; its port.
    async fn serve(cert: CertificateDer<'static>, key: &str) -> u16 {
        let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let config = ServerConfig::builder_with_provider(crate::tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls.write_all(b"ok\n").await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        port
    }

    fn bundle(name: &str, pem: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("turbosio-stream-{name}-{}.pem", std::process::id()));
        std::fs::write(&path, pem).unwrap();
        path
    }

    fn target(host: &str, port: u16) -> Target {
        Target::parse(&format!("https://{host}:{port}")).unwrap()
    }

    async fn attempt(host: &str, port: u16, verify: Verify) -> Result<String, String> {
        let target = target(host, port);
        let tls = TlsOptions::prepare(&target, verify).map_err(|e| e.to_string())?;
        let mut stream = open(&target, &tls, Duration::from_secs(5))
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.map_err(|e| e.to_string())?;
        Ok(answer)
    }

    #[tokio::test]
    async fn trusts_what_the_bundle_vouches_for_by_name_and_address() {
        let (ca, cert, key) = issue(&["localhost", "127.0.0.1"], false);
        let port = serve(cert, &key).await;
        let path = bundle("good", &ca);
        for host in ["localhost", "127.0.0.1"] {
            assert_eq!(
                attempt(host, port, Verify::CaBundle(path.clone())).await.unwrap(),
                "ok\n"
            );
        }
        let _ = std::fs::remove_file(path);
    }

    #[tokio::test]
    async fn names_the_certificate_fault() {
        let (ca, cert, key) = issue(&["elsewhere.test"], false);
        let wrong_name = serve(cert, &key).await;
        let path = bundle("named", &ca);
        let err = attempt("127.0.0.1", wrong_name, Verify::CaBundle(path.clone()))
            .await
            .unwrap_err();
        assert!(
            err.starts_with(&format!("TLS handshake with 127.0.0.1:{wrong_name} failed: ")),
            "{err}"
        );
        assert!(err.contains("certificate") && err.contains("127.0.0.1"), "{err}");
        // Not verifying accepts the same server.
        assert_eq!(attempt("127.0.0.1", wrong_name, Verify::Nothing).await.unwrap(), "ok\n");

        let untrusted = attempt("127.0.0.1", wrong_name, Verify::SystemRoots).await.unwrap_err();
        // The system's roots know nothing of this CA (or this machine has none: that error names certificates too).
        assert!(untrusted.contains("certificate"), "{untrusted}");

        let (ca, cert, key) = issue(&["127.0.0.1"], true);
        let expired = serve(cert, &key).await;
        let path2 = bundle("expired", &ca);
        let err = attempt("127.0.0.1", expired, Verify::CaBundle(path2.clone()))
            .await
            .unwrap_err();
        assert!(
            err.contains("certificate") && err.to_lowercase().contains("expired"),
            "{err}"
        );
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(path2);
    }

    #[tokio::test]
    async fn a_silent_server_is_a_timeout_not_a_hang() {
        // Accepts TCP, never answers the TLS handshake.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                held.push(tcp);
            }
        });
        let target = target("127.0.0.1", port);
        let tls = TlsOptions::prepare(&target, Verify::Nothing).unwrap();
        let err = open(&target, &tls, Duration::from_millis(200)).await.err().unwrap();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        // A secure target without a prepared configuration is an error, not a panic.
        let err = open(&target, &TlsOptions::default(), Duration::from_millis(200))
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("no TLS configuration"), "{err}");
    }

    #[test]
    fn only_a_secure_target_reads_the_bundle() {
        let missing = || Verify::CaBundle(PathBuf::from("/nonexistent/ca.pem"));
        let err = TlsOptions::prepare(&target("localhost", 1), missing()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("cannot read the CA bundle /nonexistent/ca.pem"),
            "{err}"
        );
        let plain = Target::parse("http://localhost:1").unwrap();
        assert!(TlsOptions::prepare(&plain, missing()).is_ok());
    }
}
