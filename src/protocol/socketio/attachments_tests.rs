//! Tests of binary attachments ([`super::attachments`]): placeholders and attachment collection.

use bytes::Bytes;

use super::*;
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
