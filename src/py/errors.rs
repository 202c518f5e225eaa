//! Every conversion from a Rust error to a Python exception.

use pyo3::PyErr;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};

use crate::engine::SessionError;

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
