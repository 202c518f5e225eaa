//! Descriptors lent by Python. The one file of the crate allowed `unsafe`: Rust cannot name a descriptor it did
//! not open without it. Not for speed (no benchmark applies); it is what lets a WSGI server hand its socket over.
#![allow(unsafe_code)]

use std::os::fd::{BorrowedFd, OwnedFd, RawFd};

/// A descriptor of our own for the open file behind `fd`, which the caller keeps (and closes) as before.
///
/// Only `dup` happens on `fd`, during this call; afterwards Rust uses its own copy and never touches the
/// caller's. A closed or invalid `fd` is an `Err`, not undefined behaviour, because `dup` checks it.
pub fn duplicate(fd: RawFd) -> std::io::Result<OwnedFd> {
    if fd < 0 {
        return Err(std::io::Error::from_raw_os_error(9)); // EBADF
    }
    // SAFETY: `BorrowedFd` requires `fd` to stay open while borrowed. The borrow lives only for the `dup` below,
    // inside this call, while the Python caller still holds the object that owns `fd` (it passes the
    // `fileno()` of a socket or pipe it keeps). Were `fd` closed anyway, `dup` fails with EBADF (or names another
    // file, which the caller's checks then refuse): no memory is ever touched through it.
    let borrowed = unsafe { BorrowedFd::borrow_raw(fd) };
    borrowed.try_clone_to_owned()
}
