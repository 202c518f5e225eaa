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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::socketio::packet::DecodeLimits;
    use proptest::prelude::*;

    #[test]
    fn accepts_valid_placeholders() {
        let cases: &[(&str, usize)] = &[
            (r#"["hello",{"_placeholder":true,"num":0}]"#, 1),
            (
                r#"["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#,
                2,
            ),
            (r#"[{"_placeholder":true,"num":0}]"#, 1),
            (r#"["nested",{"a":[{"num":1,"_placeholder":true}]}]"#, 2),
            // Reused and unused attachments are allowed.
            (
                r#"["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#,
                3,
            ),
            (r#"["no placeholders",1,"two",null]"#, 0),
            // Only `"_placeholder": true` makes a placeholder.
            (r#"["x",{"_placeholder":false,"num":99}]"#, 0),
            (r#"["x",{"_placeholder":"true","num":"a"}]"#, 0),
            (r#"["x",{"_placeholder":1}]"#, 0),
            (r#"["x",{"num":99}]"#, 0),
            // The last duplicate member wins.
            (r#"["x",{"_placeholder":true,"_placeholder":false}]"#, 0),
            (r#"["x",{"_placeholder":true,"num":9,"num":0}]"#, 1),
        ];
        for (data, attachments) in cases {
            assert_eq!(
                validate_placeholders(data.as_bytes(), *attachments),
                Ok(()),
                "data {data}"
            );
        }
    }

    #[test]
    fn rejects_bad_placeholders() {
        use DecodeError::*;
        let cases: &[(&[u8], usize, DecodeError)] = &[
            (
                br#"["x",{"_placeholder":true,"num":1}]"#,
                1,
                PlaceholderOutOfRange { num: 1, attachments: 1 },
            ),
            (
                br#"["x",{"_placeholder":true,"num":0}]"#,
                0,
                PlaceholderOutOfRange { num: 0, attachments: 0 },
            ),
            (
                br#"["x",{"deep":[[{"_placeholder":true,"num":18446744073709551615}]]}]"#,
                2,
                PlaceholderOutOfRange {
                    num: u64::MAX,
                    attachments: 2,
                },
            ),
            (br#"["x",{"_placeholder":true}]"#, 1, InvalidPlaceholder),
            (br#"["x",{"_placeholder":true,"num":-1}]"#, 1, InvalidPlaceholder),
            (br#"["x",{"_placeholder":true,"num":0.0}]"#, 1, InvalidPlaceholder),
            (br#"["x",{"_placeholder":true,"num":"0"}]"#, 1, InvalidPlaceholder),
            (br#"["x",{"_placeholder":true,"num":null}]"#, 1, InvalidPlaceholder),
            (
                br#"["x",{"_placeholder":true,"num":{"_placeholder":true,"num":0}}]"#,
                1,
                InvalidPlaceholder,
            ),
            (
                br#"["x",{"_placeholder":true,"num":{"_placeholder":true,"num":5}}]"#,
                1,
                PlaceholderOutOfRange { num: 5, attachments: 1 },
            ),
            (br#"["x",{"_placeholder":true,"num":0}"#, 1, InvalidJson),
            (br#"["x"] ["y"]"#, 1, InvalidJson),
            (b"", 1, InvalidJson),
            (b"[\"\xff\"]", 1, InvalidJson),
        ];
        for (data, attachments, expected) in cases {
            assert_eq!(
                validate_placeholders(data, *attachments),
                Err(expected.clone()),
                "data {}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn rejects_deep_nesting_without_overflowing() {
        let deep = format!("[\"a\",{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(validate_placeholders(deep.as_bytes(), 1), Err(DecodeError::InvalidJson));
    }

    #[test]
    fn collects_attachments() {
        let limits = DecodeLimits::default();
        let header = Packet::decode(
            Bytes::from_static(br#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#),
            &limits,
        )
        .unwrap();
        assert_eq!(
            validate_placeholders(header.data.as_deref().unwrap(), header.attachments),
            Ok(())
        );

        let mut partial = PartialBinary::new(header.clone());
        assert!(!partial.is_complete());
        assert_eq!(partial.remaining(), 2);
        partial.push(Bytes::from_static(&[1, 2]));
        assert!(!partial.is_complete());
        partial.push(Bytes::from_static(&[3, 4]));
        assert!(partial.is_complete());
        assert_eq!(partial.remaining(), 0);
        partial.push(Bytes::from_static(&[5]));
        let (packet, attachments) = partial.into_parts();
        assert_eq!(packet, header);
        assert_eq!(
            attachments,
            vec![Bytes::from_static(&[1, 2]), Bytes::from_static(&[3, 4])]
        );
    }

    #[test]
    fn zero_attachments_complete_at_once() {
        let header = Packet::decode(Bytes::from_static(br#"50-["a"]"#), &DecodeLimits::default()).unwrap();
        let partial = PartialBinary::new(header);
        assert!(partial.is_complete());
        assert_eq!(partial.into_parts().1, Vec::<Bytes>::new());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn validate_never_panics(data in proptest::collection::vec(any::<u8>(), 0..64), n in 0usize..4) {
            let _ = validate_placeholders(&data, n);
        }

        #[test]
        fn validate_never_panics_on_near_valid(
            data in r#"\[("x"|\{"_placeholder":(true|false|1),"num":(-?[0-9]{1,3}|"0"|null)\}|,|\[|\]){0,8}\]?"#,
            n in 0usize..4,
        ) {
            let _ = validate_placeholders(data.as_bytes(), n);
        }

        #[test]
        fn placeholders_below_the_count_pass(nums in proptest::collection::vec(0u64..12, 0..6), count in 0usize..12) {
            let items: Vec<String> =
                nums.iter().map(|n| format!(r#"{{"_placeholder":true,"num":{n}}}"#)).collect();
            let data = format!(r#"["e",{}]"#, items.join(","));
            let data = if nums.is_empty() { r#"["e"]"#.to_owned() } else { data };
            let result = validate_placeholders(data.as_bytes(), count);
            match nums.iter().find(|&&n| n >= count as u64) {
                None => prop_assert_eq!(result, Ok(())),
                Some(&n) => prop_assert_eq!(result, Err(DecodeError::PlaceholderOutOfRange { num: n, attachments: count })),
            }
        }
    }
}
