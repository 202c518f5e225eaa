//! The client's TLS configuration for `https://` and `wss://` servers: which server certificates it trusts.
//! The client's drivers wrap their TCP stream with `tokio_rustls::TlsConnector::from(client_config(..)?)`; one
//! configuration serves every connection of a client (and its session resumption cache with it).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::tls::{self, PemRole, TlsError};

/// ALPN: the client speaks HTTP/1.1 (long-polling, and the WebSocket handshake).
const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// Which server certificates the client accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verify {
    /// Certificates that chain to the system's roots (`SSL_CERT_FILE`/`SSL_CERT_DIR` when set, as OpenSSL reads
    /// them) and name the host: python-socketio's default, `ssl_verify=True`.
    SystemRoots,
    /// Any certificate (`ssl_verify=False`). The handshake's signatures are still checked against the certificate
    /// the server sent, but nothing says that certificate is the server's.
    Nothing,
    /// Certificates that chain to the authorities in this PEM file (and name the host). compat: the bundle
    /// replaces the system's roots, as `requests`' `verify=path` and `ssl.create_default_context(cafile=...)` do.
    CaBundle(PathBuf),
}

/// The configuration for `verify`. The system roots are read once per process and the configurations without a
/// file are shared, so a thousand clients cost one; a CA bundle is read on each call.
pub fn client_config(verify: Verify) -> Result<Arc<ClientConfig>, TlsError> {
    static SYSTEM_ROOTS: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    static NOTHING: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    match verify {
        Verify::SystemRoots => {
            if let Some(config) = SYSTEM_ROOTS.get() {
                return Ok(config.clone());
            }
            // Not cached on failure: certificates installed later are found by the next client.
            let config = verifying(system_roots()?)?;
            Ok(SYSTEM_ROOTS.get_or_init(|| config).clone())
        }
        Verify::Nothing => {
            if let Some(config) = NOTHING.get() {
                return Ok(config.clone());
            }
            let config = trusting_anything()?;
            Ok(NOTHING.get_or_init(|| config).clone())
        }
        Verify::CaBundle(path) => verifying(bundle_roots(&path)?),
    }
}

/// The trust anchors in a CA bundle file.
fn bundle_roots(path: &std::path::Path) -> Result<RootCertStore, TlsError> {
    let pem = tls::read(PemRole::CaBundle, path)?;
    let mut roots = RootCertStore::empty();
    for certificate in tls::certificates(PemRole::CaBundle, path, &pem)? {
        roots.add(certificate).map_err(|err| TlsError::BadAuthority {
            role: PemRole::CaBundle,
            path: path.to_owned(),
            detail: err.to_string(),
        })?;
    }
    Ok(roots)
}

/// The system's trust anchors; an error only when none is usable (a few unparsable ones are skipped, as OpenSSL
/// skips them).
fn system_roots() -> Result<RootCertStore, TlsError> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _unusable) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let detail = if found.errors.is_empty() {
            "none found".to_owned()
        } else {
            found
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        };
        return Err(TlsError::NoSystemRoots { detail });
    }
    Ok(roots)
}

fn verifying(roots: RootCertStore) -> Result<Arc<ClientConfig>, TlsError> {
    let config = ClientConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError::Config(err.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(finish(config))
}

fn trusting_anything() -> Result<Arc<ClientConfig>, TlsError> {
    let provider = tls::provider();
    let config = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError::Config(err.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    Ok(finish(config))
}

fn finish(mut config: ClientConfig) -> Arc<ClientConfig> {
    config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
    Arc::new(config)
}

/// `ssl_verify=False`: accepts whatever certificate the server presents, for whatever name.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    use rustls::pki_types::PrivateKeyDer;
    use rustls::pki_types::pem::PemObject;
    use rustls::{ClientConnection, ServerConfig, ServerConnection};

    use super::*;

    /// A CA, and a certificate for `localhost` it issued with that certificate's key (PEM).
    struct Pki {
        ca_pem: String,
        leaf: CertificateDer<'static>,
        leaf_key: String,
    }

    fn pki() -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        Pki {
            ca_pem: ca.pem(),
            leaf: leaf.der().clone(),
            leaf_key: leaf_key.serialize_pem(),
        }
    }

    fn bundle(name: &str, contents: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("turbosio-ca-{name}-{}.pem", std::process::id()));
        std::fs::write(&path, contents).unwrap();
        path
    }

    /// Run a whole handshake in memory between `client` (asking for `host`) and a server presenting `pki`'s
    /// certificate: no sockets, the two sides' bytes handed across by hand.
    fn handshake(client: Arc<ClientConfig>, host: &str, pki: &Pki) -> Result<(), rustls::Error> {
        let key = PrivateKeyDer::from_pem_slice(pki.leaf_key.as_bytes()).unwrap();
        let server = ServerConfig::builder_with_provider(tls::provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![pki.leaf.clone()], key)
            .unwrap();
        let mut server = ServerConnection::new(Arc::new(server)).unwrap();
        let mut client = ClientConnection::new(client, ServerName::try_from(host.to_owned()).unwrap()).unwrap();
        for _ in 0..10 {
            let mut wire = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut wire).unwrap();
            }
            let mut reading = wire.as_slice();
            while !reading.is_empty() {
                server.read_tls(&mut reading).unwrap();
            }
            server.process_new_packets()?;
            let mut wire = Vec::new();
            while server.wants_write() {
                server.write_tls(&mut wire).unwrap();
            }
            let mut reading = wire.as_slice();
            while !reading.is_empty() {
                client.read_tls(&mut reading).unwrap();
            }
            client.process_new_packets()?;
            if !client.is_handshaking() && !server.is_handshaking() {
                return Ok(());
            }
        }
        panic!("the handshake did not finish");
    }

    #[test]
    fn a_ca_bundle_trusts_what_its_authority_issued_for_that_name() {
        let pki = pki();
        let path = bundle("trusted", &pki.ca_pem);
        let config = client_config(Verify::CaBundle(path.clone())).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        handshake(config.clone(), "localhost", &pki).unwrap();
        let err = handshake(config, "example.com", &pki).unwrap_err();
        assert!(matches!(err, rustls::Error::InvalidCertificate(_)), "{err}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn a_ca_bundle_refuses_another_authoritys_certificate() {
        let path = bundle("other", &pki().ca_pem);
        let err = handshake(
            client_config(Verify::CaBundle(path.clone())).unwrap(),
            "localhost",
            &pki(),
        )
        .unwrap_err();
        assert!(matches!(err, rustls::Error::InvalidCertificate(_)), "{err}");
        let _ = std::fs::remove_file(path);
    }

    #[test]
    fn without_verification_any_certificate_and_name_pass() {
        let pki = pki();
        let config = client_config(Verify::Nothing).unwrap();
        handshake(config.clone(), "example.com", &pki).unwrap();
        assert!(Arc::ptr_eq(&config, &client_config(Verify::Nothing).unwrap()));
    }

    #[test]
    fn the_system_roots_refuse_a_private_authority() {
        // This machine's store may be empty (a bare container): then the error says so.
        match client_config(Verify::SystemRoots) {
            Ok(config) => {
                let err = handshake(config, "localhost", &pki()).unwrap_err();
                assert!(matches!(err, rustls::Error::InvalidCertificate(_)), "{err}");
            }
            Err(err) => assert!(matches!(err, TlsError::NoSystemRoots { .. }), "{err}"),
        }
    }

    #[test]
    fn a_bad_bundle_is_named() {
        let missing = Path::new("/nonexistent/turbosio/ca.pem").to_owned();
        let err = client_config(Verify::CaBundle(missing)).unwrap_err();
        assert!(
            err.to_string().contains("CA bundle /nonexistent/turbosio/ca.pem"),
            "{err}"
        );
        let path = bundle("key-only", &pki().leaf_key);
        let err = client_config(Verify::CaBundle(path.clone())).unwrap_err();
        assert!(
            matches!(
                err,
                TlsError::NothingFound {
                    role: PemRole::CaBundle,
                    ..
                }
            ),
            "{err}"
        );
        let _ = std::fs::remove_file(path);
    }
}
