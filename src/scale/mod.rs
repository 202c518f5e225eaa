//! Scale-out drivers: the tasks that carry the pub/sub adapter's messages between the hosts of a fleet.
//!
//! In: messages the engine queued through [`crate::engine::pubsub::Publish`] (bounded: what does not fit is
//! counted and reported, never silently lost) and the messages of the channel. Out: every queued message
//! published, in order, once the backend is reachable; every channel message handed to an [`Inbound`].
//! Never: Python, the engine's lock held across I/O, a crash or a busy loop when the backend is down (reconnects
//! back off from 1 s to 60 s, and an outage is reported once when it starts and once when it ends).

pub mod outbound;
pub mod redis;

/// Where a driver hands what it receives and what it has to report. Implemented by the bindings.
pub trait Inbound: Send + Sync {
    /// One message from the channel (possibly our own, come back).
    fn deliver(&self, message: Vec<u8>);

    /// Something for the manager's log: a warning (an outage began, a message was dropped) or news (it ended).
    fn report(&self, warning: bool, message: String);
}
