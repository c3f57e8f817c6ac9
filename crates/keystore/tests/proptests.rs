//! Property tests: RFC 3110 encode/decode round trips, and no panic on arbitrary text.

use keystore::{PublicKey, RsaBlock};
use proptest::prelude::*;

/// Generates an odd modulus of 64 to 400 bytes with a non-zero top byte, and an odd exponent of at least
/// 3 that is shorter than the modulus (up to 300 bytes, so three-octet lengths occur).
fn key_numbers() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (64usize..=400).prop_flat_map(|modulus_len| {
        let exponent_len = 1usize..=(modulus_len - 1).min(300);
        (
            proptest::collection::vec(any::<u8>(), modulus_len),
            exponent_len.prop_flat_map(|len| proptest::collection::vec(any::<u8>(), len)),
        )
            .prop_map(|(mut modulus, mut exponent)| {
                modulus[0] |= 0x80;
                *modulus.last_mut().unwrap() |= 1;
                exponent[0] |= 1;
                *exponent.last_mut().unwrap() |= 1;
                if exponent.len() == 1 && exponent[0] < 3 {
                    exponent[0] = 3;
                }
                (modulus, exponent)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn rfc3110_round_trip((modulus, exponent) in key_numbers()) {
        let key = PublicKey::from_be_bytes(&modulus, &exponent).unwrap();
        prop_assert_eq!(key.modulus(), modulus.clone());
        prop_assert_eq!(key.exponent(), exponent.clone());

        let blob = key.to_rfc3110();
        if exponent.len() > 255 {
            prop_assert_eq!(blob[0], 0);
        } else {
            prop_assert_eq!(usize::from(blob[0]), exponent.len());
        }
        prop_assert_eq!(PublicKey::from_rfc3110(&blob).unwrap(), key.clone());

        let base64 = key.to_rfc3110_0s();
        let decoded: PublicKey = base64.parse().unwrap();
        prop_assert_eq!(decoded.to_rfc3110_0s(), base64);
        let decoded: PublicKey = key.to_rfc3110_0x().parse().unwrap();
        prop_assert_eq!(&decoded, &key);
        let decoded: PublicKey = key.to_strongswan_dns().parse().unwrap();
        prop_assert_eq!(&decoded, &key);
    }

    #[test]
    fn arbitrary_key_text_no_panic(text in ".{0,600}") {
        let _ = text.parse::<PublicKey>();
        let _ = keystore::rfc3110::decode_number_text(&text);
    }

    #[test]
    fn prefixed_key_text_no_panic(prefix in "(0s|0x|dns:0s|0S|0X)", digits in "[A-Za-z0-9+/=_]{0,700}") {
        let _ = format!("{prefix}{digits}").parse::<PublicKey>();
    }

    #[test]
    fn arbitrary_blob_no_panic(blob in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = PublicKey::from_rfc3110(&blob);
    }

    #[test]
    fn arbitrary_block_text_no_panic(text in "(.{0,80}\n){0,20}") {
        let _ = RsaBlock::parse(&text);
        let _ = RsaBlock::parse(&format!(": RSA {{\n{text}\n}}"));
    }

    #[test]
    fn block_like_text_no_panic(
        lines in proptest::collection::vec(
            "(Modulus|PublicExponent|PrivateExponent|Prime1|Prime2|Exponent1|Exponent2|Coefficient|CKAIDNSS|#pubkey=|# RSA) ?[:=]? ?(0x[0-9a-f]{0,40}|0s[A-Za-z0-9+/]{0,40}|[0-9]{1,5} bits)",
            0..14,
        )
    ) {
        let _ = RsaBlock::parse(&lines.join("\n"));
    }
}
