//! Binary attachments: collecting the frames that follow a binary packet, and checking its placeholders.
//!
//! spec: a `BINARY_EVENT` or `BINARY_ACK` header announces `n` attachments; each is sent as its own binary
//! Engine.IO message right after the header, and the JSON data marks where each one goes with
//! `{"_placeholder":true,"num":<index>}`.

use std::cell::Cell;
use std::fmt;

use bytes::Bytes;
use serde::de::{self, Deserialize, DeserializeSeed, MapAccess, SeqAccess, Visitor};

use super::packet::{DecodeError, Packet};

/// Collects the binary attachments that follow a `BINARY_EVENT`/`BINARY_ACK` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartialBinary {
    /// The decoded header; `packet.attachments` is how many attachments are expected.
    pub packet: Packet,
    attachments: Vec<Bytes>,
}

impl PartialBinary {
    /// Start collecting the attachments announced by `packet`.
    pub fn new(packet: Packet) -> Self {
        PartialBinary {
            packet,
            attachments: Vec::new(),
        }
    }

    /// Add the next attachment, in arrival order.
    ///
    /// Once the packet is complete, further data is dropped: the caller should check [`Self::is_complete`] and
    /// hand later binary frames elsewhere.
    pub fn push(&mut self, data: Bytes) {
        if !self.is_complete() {
            self.attachments.push(data);
        }
    }

    /// Whether every announced attachment has arrived.
    pub fn is_complete(&self) -> bool {
        self.attachments.len() >= self.packet.attachments
    }

    /// How many attachments are still expected.
    pub fn remaining(&self) -> usize {
        self.packet.attachments.saturating_sub(self.attachments.len())
    }

    /// The header and the attachments received so far, in order.
    pub fn into_parts(self) -> (Packet, Vec<Bytes>) {
        (self.packet, self.attachments)
    }
}

/// Check every placeholder in a binary packet's JSON `data` against its `attachments` count.
///
/// An object is a placeholder when its `_placeholder` member is `true` (the reference parser's rule; an object
/// whose `_placeholder` is anything else is plain data). Its `num` must then be a non-negative integer below
/// `attachments`, else [`DecodeError::PlaceholderOutOfRange`] or [`DecodeError::InvalidPlaceholder`].
/// Placeholders may be reused or leave attachments unused, as the reference parser allows. Data that is not JSON,
/// or nests deeper than `serde_json`'s recursion limit (128), is [`DecodeError::InvalidJson`].
pub fn validate_placeholders(data: &[u8], attachments: usize) -> Result<(), DecodeError> {
    let fault = Cell::new(None);
    let mut de = serde_json::Deserializer::from_slice(data);
    let walked = Walk {
        attachments,
        fault: &fault,
    }
    .deserialize(&mut de)
    .and_then(|_| de.end());
    match (fault.take(), walked) {
        (Some(fault), _) => Err(fault),
        (None, Err(_)) => Err(DecodeError::InvalidJson),
        (None, Ok(())) => Ok(()),
    }
}

/// What a walked value looked like, as far as a placeholder's members care.
enum Seen {
    True,
    Index(u64),
    Other,
}

/// Walks a JSON value and checks each placeholder object in it.
///
/// A bad placeholder is stored in `fault` and the walk is aborted with a generic error, because `serde` errors
/// carry only text.
#[derive(Clone, Copy)]
struct Walk<'a> {
    attachments: usize,
    fault: &'a Cell<Option<DecodeError>>,
}

impl Walk<'_> {
    fn fail<E: de::Error>(self, fault: DecodeError) -> E {
        let error = E::custom(&fault);
        self.fault.set(Some(fault));
        error
    }
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Seen;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Seen, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Seen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Seen, E> {
        Ok(if v { Seen::True } else { Seen::Other })
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Seen, E> {
        Ok(Seen::Index(v))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Seen, E> {
        Ok(Seen::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Seen, A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Seen::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Seen, A::Error> {
        // Like JSON.parse, the last of duplicate members wins.
        let mut is_placeholder = false;
        let mut num = None;
        while let Some(key) = map.next_key::<Key>()? {
            let value = map.next_value_seed(self)?;
            match key {
                Key::Placeholder => is_placeholder = matches!(value, Seen::True),
                Key::Num => num = Some(value),
                Key::Other => {}
            }
        }
        if is_placeholder {
            match num {
                Some(Seen::Index(n)) if usize::try_from(n).is_ok_and(|n| n < self.attachments) => {}
                Some(Seen::Index(n)) => {
                    return Err(self.fail(DecodeError::PlaceholderOutOfRange {
                        num: n,
                        attachments: self.attachments,
                    }));
                }
                _ => return Err(self.fail(DecodeError::InvalidPlaceholder)),
            }
        }
        Ok(Seen::Other)
    }
}

/// An object member name, sorted into the two a placeholder uses and the rest.
enum Key {
    Placeholder,
    Num,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl Visitor<'_> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object member name")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
        Ok(match v {
            "_placeholder" => Key::Placeholder,
            "num" => Key::Num,
            _ => Key::Other,
        })
    }
}
