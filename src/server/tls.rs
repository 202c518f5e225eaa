//! The native server's TLS: a PEM certificate chain and its private key become the [`TlsAcceptor`] that every
//! accepted TCP connection goes through when `turbosio.run(..., ssl_certfile=..., ssl_keyfile=...)` asks for TLS.
//! Everything that can be wrong with the files is found here, before the port is bound, and reported as a
//! [`TlsError`] naming the file.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use crate::tls::{self, PemRole, TlsError};

/// ALPN: the server speaks HTTP/1.1 only (hyper's http1 builder); WebSocket upgrades ride on it.
const ALPN_HTTP_1_1: &[u8] = b"http/1.1";

/// The acceptor for `cert_path` (a PEM chain, leaf first) and `key_path` (a PEM key: PKCS#8, PKCS#1 RSA or SEC1 EC).
/// compat: without `key_path` the key is read from the certificate file, as Python's `ssl.load_cert_chain` does.
pub fn acceptor(cert_path: &Path, key_path: Option<&Path>) -> Result<TlsAcceptor, TlsError> {
    let cert_pem = tls::read(PemRole::Certificate, cert_path)?;
    let chain = tls::certificates(PemRole::Certificate, cert_path, &cert_pem)?;
    let key = match key_path {
        Some(path) => tls::private_key(PemRole::PrivateKey, path, &tls::read(PemRole::PrivateKey, path)?)?,
        None => tls::private_key(PemRole::Certificate, cert_path, &cert_pem)?,
    };
    let mut config = ServerConfig::builder_with_provider(tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError::Config(err.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| TlsError::Mismatch {
            certificate: cert_path.to_owned(),
            key: key_path.unwrap_or(cert_path).to_owned(),
            detail: match err {
                rustls::Error::InconsistentKeys(_) => "it is not the key of the first certificate".to_owned(),
                rustls::Error::General(detail) => detail,
                other => other.to_string(),
            },
        })?;
    config.alpn_protocols = vec![ALPN_HTTP_1_1.to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::tls::tests::self_signed;

    /// Files in a directory of their own under the system's temporary directory, removed on drop.
    struct Files(PathBuf);

    impl Files {
        fn new(name: &str) -> Self {
            let dir = std::env::temp_dir().join(format!("turbosio-tls-{name}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Self(dir)
        }

        fn write(&self, name: &str, contents: &str) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, contents).unwrap();
            path
        }
    }

    impl Drop for Files {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_chain_and_its_key_make_an_acceptor_that_offers_http_1_1() {
        let files = Files::new("ok");
        let (cert, key) = self_signed();
        let cert = files.write("cert.pem", &cert);
        let key = files.write("key.pem", &key);
        let acceptor = acceptor(&cert, Some(&key)).unwrap();
        assert_eq!(acceptor.config().alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    /// What `acceptor` refused with: the kind of fault, and which file it names as what.
    fn refusal(cert: &Path, key: Option<&Path>) -> (&'static str, Option<PemRole>, String) {
        let Err(err) = acceptor(cert, key) else {
            panic!("accepted {} and {key:?}", cert.display())
        };
        let (kind, role) = match &err {
            TlsError::Unreadable { role, .. } => ("unreadable", Some(*role)),
            TlsError::NothingFound { role, .. } => ("nothing found", Some(*role)),
            TlsError::Mismatch { .. } => ("mismatch", None),
            other => panic!("unexpected refusal: {other}"),
        };
        (kind, role, err.to_string())
    }

    #[test]
    fn the_key_may_sit_in_the_certificate_file() {
        let files = Files::new("both");
        let (cert, key) = self_signed();
        let both = files.write("both.pem", &format!("{cert}{key}"));
        assert!(acceptor(&both, None).is_ok());
        let only_cert = files.write("cert.pem", &cert);
        let (kind, role, _) = refusal(&only_cert, None);
        assert_eq!((kind, role), ("nothing found", Some(PemRole::Certificate)));
    }

    #[test]
    fn another_certificates_key_is_refused_naming_both_files() {
        let files = Files::new("mismatch");
        let (cert, _) = self_signed();
        let (_, other_key) = self_signed();
        let cert = files.write("cert.pem", &cert);
        let key = files.write("other-key.pem", &other_key);
        let (kind, _, message) = refusal(&cert, Some(&key));
        assert_eq!(kind, "mismatch");
        assert!(
            message.contains("other-key.pem") && message.contains("cert.pem"),
            "{message}"
        );
    }

    #[test]
    fn a_missing_or_wrong_file_is_named() {
        let files = Files::new("wrong");
        let (cert, key) = self_signed();
        let cert = files.write("cert.pem", &cert);
        let missing = files.0.join("missing-key.pem");
        let (kind, role, message) = refusal(&cert, Some(&missing));
        assert_eq!((kind, role), ("unreadable", Some(PemRole::PrivateKey)));
        assert!(message.contains("missing-key.pem"), "{message}");
        let key = files.write("key.pem", &key);
        let (kind, role, _) = refusal(&key, Some(&key));
        assert_eq!((kind, role), ("nothing found", Some(PemRole::Certificate)));
        let garbage = files.write("garbage.pem", "not a certificate\n");
        assert_eq!(refusal(&garbage, Some(&key)).0, "nothing found");
    }
}
