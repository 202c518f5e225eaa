//! The words in which the engine asks for room membership and fan-out: a [`Room`] and a [`Target`].

use std::sync::Arc;

/// A room's name.
pub type Room = Arc<str>;

/// Who an emit goes to.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// Every socket of the namespace.
    All,
    /// The members of these rooms (a sid names that socket's own room), each socket once.
    Rooms(&'a [&'a str]),
}
