//! Session and socket identifiers.
//!
//! Engine.IO sessions (`EioSid`) and Socket.IO sockets (`Sid`) are both 20-character URL-safe strings, as the
//! reference servers hand out, but they are different things: one Engine.IO session carries one socket per
//! namespace. Two newtypes keep them from being swapped.
//!
//! When several worker processes share one port, an Engine.IO session id names the worker that owns the session
//! in its first character ([`set_worker`], [`EioSid::worker`]), so a request that lands on another worker can be
//! handed to the owner. A process that is not a worker hands out fully random ids.

use std::fmt;
use std::sync::atomic::{AtomicU8, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of an identifier in characters: 15 random bytes in unpadded base64url.
pub const ID_LEN: usize = 20;

/// The most worker processes an Engine.IO session id can name: one base64url character.
pub const MAX_WORKERS: usize = 64;

/// This process's worker index, or `NOT_A_WORKER`.
static WORKER: AtomicU8 = AtomicU8::new(NOT_A_WORKER);
const NOT_A_WORKER: u8 = u8::MAX;

/// Make every Engine.IO session id this process hands out from now on name worker `index` (`None`: not a worker,
/// ids fully random). Ignored when `index` is not below [`MAX_WORKERS`].
pub fn set_worker(index: Option<usize>) {
    let value = match index {
        Some(i) if i < MAX_WORKERS => u8::try_from(i).unwrap_or(NOT_A_WORKER),
        _ => NOT_A_WORKER,
    };
    WORKER.store(value, Ordering::Relaxed);
}

/// The value of one base64url character, `None` for any other byte.
fn base64url_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'-' => Some(62),
        b'_' => Some(63),
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RawId([u8; ID_LEN]);

impl RawId {
    /// Random; in a worker process the first character names the worker (Socket.IO sids too: harmless, and the
    /// engine, which makes both, needs no argument for it).
    fn random() -> Self {
        match WORKER.load(Ordering::Relaxed) {
            NOT_A_WORKER => Self::encode(rand::random()),
            worker => Self::tagged(worker),
        }
    }

    /// Random, except that the first character is worker `worker`'s (below 64): the top six bits of the first
    /// byte become the first base64 character. 114 random bits remain.
    fn tagged(worker: u8) -> Self {
        let mut bytes: [u8; 15] = rand::random();
        bytes[0] = (worker << 2) | (bytes[0] & 0b11);
        Self::encode(bytes)
    }

    fn encode(bytes: [u8; 15]) -> Self {
        let mut out = [0u8; ID_LEN];
        // 15 bytes always encode to exactly 20 base64 characters, so the slice lengths match.
        let written = URL_SAFE_NO_PAD.encode_slice(bytes, &mut out).unwrap_or(0);
        debug_assert_eq!(written, ID_LEN);
        Self(out)
    }

    fn parse(text: &[u8]) -> Option<Self> {
        let arr: [u8; ID_LEN] = text.try_into().ok()?;
        arr.iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
            .then_some(Self(arr))
    }

    fn as_str(&self) -> &str {
        // Only ASCII base64url characters are ever stored (see `random` and `parse`).
        std::str::from_utf8(&self.0).unwrap_or("")
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(RawId);

        impl $name {
            /// A fresh random identifier (naming this process's worker, if it is one: [`set_worker`]).
            pub fn random() -> Self {
                Self(RawId::random())
            }

            /// Parse an identifier received from a peer or from Python; `None` if it cannot be one of ours.
            pub fn parse(text: &str) -> Option<Self> {
                RawId::parse(text.as_bytes()).map(Self)
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.as_str())
            }
        }
    };
}

id_type!(
    /// An Engine.IO session id: one per client connection, shared by all of its namespaces.
    EioSid
);

impl EioSid {
    /// The worker that a session id (as received, unparsed) names; `None` when it cannot be a session id.
    pub fn worker(text: &str) -> Option<usize> {
        if text.len() != ID_LEN {
            return None;
        }
        text.as_bytes()
            .first()
            .copied()
            .and_then(base64url_value)
            .map(usize::from)
    }
}
id_type!(
    /// A Socket.IO socket id: one per (connection, namespace).
    Sid
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_20_url_safe_chars_and_parse_back() {
        for _ in 0..100 {
            let sid = Sid::random();
            assert_eq!(sid.as_str().len(), ID_LEN);
            assert_eq!(Sid::parse(sid.as_str()), Some(sid));
        }
    }

    #[test]
    fn parse_rejects_wrong_length_and_characters() {
        assert_eq!(EioSid::parse("short"), None);
        assert_eq!(EioSid::parse("aaaaaaaaaaaaaaaaaaa/"), None);
        assert_eq!(EioSid::parse("aaaaaaaaaaaaaaaaaaaaa"), None);
        assert!(EioSid::parse("aaaaaaaaaaaaaaaaaa-_").is_some());
    }

    #[test]
    fn tagged_ids_name_their_worker_and_stay_random() {
        for worker in 0..64u8 {
            let a = EioSid(RawId::tagged(worker));
            let b = EioSid(RawId::tagged(worker));
            assert_ne!(a, b);
            assert_eq!(EioSid::parse(a.as_str()), Some(a));
            assert_eq!(EioSid::worker(a.as_str()), Some(usize::from(worker)));
        }
        assert_eq!(EioSid::worker("short"), None);
        assert_eq!(EioSid::worker("*aaaaaaaaaaaaaaaaaaa"), None);
    }
}
