//! Session and socket identifiers.
//!
//! Engine.IO sessions (`EioSid`) and Socket.IO sockets (`Sid`) are both 20-character URL-safe strings, as the
//! reference servers hand out, but they are different things: one Engine.IO session carries one socket per
//! namespace. Two newtypes keep them from being swapped.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Length of an identifier in characters: 15 random bytes in unpadded base64url.
pub const ID_LEN: usize = 20;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct RawId([u8; ID_LEN]);

impl RawId {
    fn random() -> Self {
        let bytes: [u8; 15] = rand::random();
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
            /// A fresh random identifier.
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
}
