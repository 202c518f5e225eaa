//! TLS material shared by both directions: the one crypto provider, reading PEM files, and the error a bad file
//! gives. The server's acceptor is built in `server/tls.rs`, the client's configuration in `client/tls.rs`; both
//! read their files through here, so a missing file or a file that is not PEM reads the same on either side.
//!
//! In: file paths. Out: DER certificates and keys for rustls, or a [`TlsError`] naming the file and the fault.
//! Never: sockets, Python.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Which file a [`TlsError`] is about, named as the user named it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PemRole {
    /// The server's certificate chain (`ssl_certfile`).
    Certificate,
    /// The server's private key (`ssl_keyfile`, or `ssl_certfile` when it holds the key too).
    PrivateKey,
    /// The certificate authorities a client trusts instead of the system's.
    CaBundle,
}

impl std::fmt::Display for PemRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Certificate => "certificate file (ssl_certfile)",
            Self::PrivateKey => "private key file (ssl_keyfile)",
            Self::CaBundle => "CA bundle",
        })
    }
}

/// Why TLS could not be set up. Each variant names the file it is about, so the user knows which one to fix.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read (missing, not permitted, a directory).
    #[error("cannot read the {role} {}: {source}", .path.display())]
    Unreadable {
        /// Which file.
        role: PemRole,
        /// The path as given.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file holds no PEM section of the kind needed (not PEM at all, or e.g. a key where a certificate
    /// belongs).
    #[error("the {role} {} holds no PEM {expected}", .path.display())]
    NothingFound {
        /// Which file.
        role: PemRole,
        /// The path as given.
        path: PathBuf,
        /// What was looked for ("certificate", "private key").
        expected: &'static str,
    },
    /// A PEM section is malformed (bad base64, a missing END line).
    #[error("the {role} {} is not valid PEM: {detail}", .path.display())]
    BadPem {
        /// Which file.
        role: PemRole,
        /// The path as given.
        path: PathBuf,
        /// The parser's account.
        detail: String,
    },
    /// rustls refused the material: the key does not belong to the certificate, or is of a kind it cannot use.
    #[error("the private key {} does not fit the certificate {}: {detail}", .key.display(), .certificate.display())]
    Mismatch {
        /// The certificate file.
        certificate: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls' account.
        detail: String,
    },
    /// A CA certificate could not be used as a trust anchor.
    #[error("the {role} {} holds a certificate that cannot be trusted as an authority: {detail}", .path.display())]
    BadAuthority {
        /// Which file.
        role: PemRole,
        /// The path as given.
        path: PathBuf,
        /// webpki's account.
        detail: String,
    },
    /// The system's certificate store gave no usable root certificate.
    #[error("no usable root certificate in the system's certificate store: {detail}")]
    NoSystemRoots {
        /// What went wrong while loading them, or that there were none.
        detail: String,
    },
    /// rustls refused the configuration itself (should not happen with the provider's defaults).
    #[error("TLS configuration refused: {0}")]
    Config(String),
}

/// The crypto provider of every TLS config here: aws-lc-rs, rustls' default (with post-quantum key exchange). Named
/// explicitly rather than taken from the process default, so a dependency that enables a second provider in rustls
/// cannot make building a config ambiguous.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The whole file, or [`TlsError::Unreadable`].
pub fn read(role: PemRole, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Unreadable {
        role,
        path: path.to_owned(),
        source,
    })
}

/// Every certificate in a PEM file's contents, in file order; at least one.
pub fn certificates(role: PemRole, path: &Path, contents: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certificates = CertificateDer::pem_slice_iter(contents)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| bad_pem(role, path, &err))?;
    if certificates.is_empty() {
        return Err(TlsError::NothingFound {
            role,
            path: path.to_owned(),
            expected: "certificate",
        });
    }
    Ok(certificates)
}

/// The first private key (PKCS#8, PKCS#1 RSA or SEC1 EC) in a PEM file's contents.
pub fn private_key(role: PemRole, path: &Path, contents: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(contents).map_err(|err| match err {
        pem::Error::NoItemsFound => TlsError::NothingFound {
            role,
            path: path.to_owned(),
            // An encrypted key is a PEM section of its own kind, which rustls cannot decrypt.
            expected: "private key (unencrypted PKCS#8, RSA or EC)",
        },
        err => bad_pem(role, path, &err),
    })
}

fn bad_pem(role: PemRole, path: &Path, err: &pem::Error) -> TlsError {
    TlsError::BadPem {
        role,
        path: path.to_owned(),
        detail: err.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A self-signed certificate for `localhost` and its key, as PEM text.
    pub(crate) fn self_signed() -> (String, String) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        (made.cert.pem(), made.signing_key.serialize_pem())
    }

    #[test]
    fn reads_certificates_and_keys_from_pem() {
        let (cert, key) = self_signed();
        let path = Path::new("x.pem");
        let both = format!("{cert}{key}");
        assert_eq!(
            certificates(PemRole::Certificate, path, both.as_bytes()).unwrap().len(),
            1
        );
        assert!(matches!(
            private_key(PemRole::PrivateKey, path, both.as_bytes()).unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
    }

    #[test]
    fn says_which_file_lacks_what() {
        let (cert, key) = self_signed();
        let path = Path::new("/etc/x.pem");
        let err = certificates(PemRole::Certificate, path, key.as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the certificate file (ssl_certfile) /etc/x.pem holds no PEM certificate"
        );
        let err = private_key(PemRole::PrivateKey, path, cert.as_bytes()).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("the private key file (ssl_keyfile) /etc/x.pem holds no PEM private key")
        );
        let err = certificates(PemRole::CaBundle, path, b"just text").unwrap_err();
        assert!(matches!(err, TlsError::NothingFound { .. }));
    }

    #[test]
    fn a_broken_section_is_bad_pem() {
        let (cert, _) = self_signed();
        let truncated = &cert[..cert.len() / 2];
        let err = certificates(PemRole::Certificate, Path::new("c.pem"), truncated.as_bytes()).unwrap_err();
        assert!(matches!(err, TlsError::BadPem { .. }), "{err}");
    }

    #[test]
    fn a_missing_file_carries_its_errno() {
        let path = Path::new("/nonexistent/turbosio/cert.pem");
        let err = read(PemRole::Certificate, path).unwrap_err();
        assert!(matches!(&err, TlsError::Unreadable { source, .. } if source.raw_os_error() == Some(2)));
        assert!(err.to_string().contains("/nonexistent/turbosio/cert.pem"));
    }
}
