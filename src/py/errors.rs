//! Every conversion from a Rust error to a Python exception.

use pyo3::PyErr;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};

use crate::engine::SessionError;
use crate::tls::TlsError;

/// The runtime could not start, or a server could not bind: an OS-level failure.
pub fn os_error(message: impl std::fmt::Display) -> PyErr {
    PyOSError::new_err(message.to_string())
}

/// A bad argument from Python.
pub fn value_error(message: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(message.to_string())
}

/// The server is not in a state for the call (already listening, already stopped).
pub fn state_error(message: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(message.to_string())
}

impl From<SessionError> for PyErr {
    fn from(err: SessionError) -> Self {
        PyValueError::new_err(err.to_string())
    }
}

impl From<super::hosted::HostedAnswerError> for PyErr {
    fn from(err: super::hosted::HostedAnswerError) -> Self {
        match err {
            // What ASGI servers raise when an app sends on a connection the client has left.
            super::hosted::HostedAnswerError::WebSocketClosed => PyOSError::new_err(err.to_string()),
            super::hosted::HostedAnswerError::NotOpen => PyRuntimeError::new_err(err.to_string()),
        }
    }
}

impl From<TlsError> for PyErr {
    /// An unreadable file is an `OSError` carrying errno and file name (so `FileNotFoundError` for a missing one, as
    /// `ssl.load_cert_chain` raises); an empty system store is an `OSError` too; a file with the wrong contents is a
    /// `ValueError`.
    fn from(err: TlsError) -> Self {
        match &err {
            TlsError::Unreadable { role, path, source } => match source.raw_os_error() {
                Some(errno) => {
                    let os_text = source.to_string();
                    let os_text = os_text
                        .strip_suffix(&format!(" (os error {errno})"))
                        .unwrap_or(&os_text);
                    let strerror = format!("cannot read the {role}: {os_text}");
                    PyOSError::new_err((errno, strerror, path.to_string_lossy().into_owned()))
                }
                None => PyOSError::new_err(err.to_string()),
            },
            TlsError::NoSystemRoots { .. } => PyOSError::new_err(err.to_string()),
            _ => PyValueError::new_err(err.to_string()),
        }
    }
}
