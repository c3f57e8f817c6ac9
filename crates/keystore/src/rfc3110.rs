//! RFC 3110 key blobs and Openswan's `0s`/`0x` text forms.
//!
//! RFC 3110 section 2 lays out an RSA public key in three parts, all big-endian and without
//! leading zero octets. The exponent length comes first: one octet, or a zero octet followed by
//! two octets when the exponent is longer than 255 octets. The exponent and the modulus follow. Openswan writes the blob in
//! `ipsec.conf` as `0s` + base64 or `0x` + hex; strongSwan reads it as `dns:0s...`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use crate::error::Rfc3110Error;

/// Maximum length of a key or number in text form. A 16384-bit modulus in hex is about
/// 4100 characters, so this leaves room for the largest key this crate accepts.
pub const MAX_KEY_TEXT_LEN: usize = 16 * 1024;

/// Openswan's prefix for base64 text.
pub const BASE64_PREFIX: &str = "0s";
/// Openswan's prefix for hex text.
pub const HEX_PREFIX: &str = "0x";
/// strongSwan's prefix for an RFC 3110 key in `leftrsasigkey=`/`rightrsasigkey=`.
pub const STRONGSWAN_DNS_PREFIX: &str = "dns:";

/// Decodes Openswan's `0x` (hex) or `0s` (base64) text into bytes.
///
/// Hex may contain `_` separators, as `ranbits` prints them; the prefix is case-insensitive
/// (`0X`, `0S`). Never panics; errors name the offending offset.
pub fn decode_number_text(text: &str) -> Result<Vec<u8>, Rfc3110Error> {
    if text.len() > MAX_KEY_TEXT_LEN {
        return Err(Rfc3110Error::TooLong {
            length: text.len(),
            max: MAX_KEY_TEXT_LEN,
        });
    }

    let prefix = text.get(..2).map(str::to_ascii_lowercase);
    match prefix.as_deref() {
        Some(BASE64_PREFIX) => decode_base64(&text[2..]),
        Some(HEX_PREFIX) => decode_hex(&text[2..]),
        _ => Err(Rfc3110Error::MissingPrefix {
            found: text.chars().take(8).collect(),
        }),
    }
}

fn decode_base64(digits: &str) -> Result<Vec<u8>, Rfc3110Error> {
    if digits.is_empty() {
        return Err(Rfc3110Error::Empty {
            prefix: BASE64_PREFIX,
        });
    }

    if let Some((index, character)) = digits
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
    {
        return Err(Rfc3110Error::InvalidDigit {
            encoding: "base64",
            character,
            offset: index + 2,
        });
    }

    STANDARD.decode(digits).map_err(|error| match error {
        base64::DecodeError::InvalidByte(offset, byte) => Rfc3110Error::InvalidDigit {
            encoding: "base64",
            character: char::from(byte),
            offset: offset + 2,
        },
        _ => Rfc3110Error::InvalidBase64Length {
            length: digits.len(),
        },
    })
}

fn decode_hex(digits: &str) -> Result<Vec<u8>, Rfc3110Error> {
    let mut nibbles = Vec::with_capacity(digits.len());
    for (index, character) in digits.char_indices() {
        if character == '_' {
            continue;
        }
        let value = character.to_digit(16).ok_or(Rfc3110Error::InvalidDigit {
            encoding: "hex",
            character,
            offset: index + 2,
        })?;
        nibbles.push(value as u8);
    }

    if nibbles.is_empty() {
        return Err(Rfc3110Error::Empty { prefix: HEX_PREFIX });
    }
    if nibbles.len() % 2 != 0 {
        return Err(Rfc3110Error::OddHexLength {
            digits: nibbles.len(),
        });
    }

    Ok(nibbles
        .chunks_exact(2)
        .map(|pair| (pair[0] << 4) | pair[1])
        .collect())
}

/// Encodes bytes as Openswan's `0s` base64 text.
pub fn encode_0s(bytes: &[u8]) -> String {
    format!("{BASE64_PREFIX}{}", STANDARD.encode(bytes))
}

/// Encodes bytes as Openswan's `0x` hex text, lower case, without separators.
pub fn encode_0x(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(2 + 2 * bytes.len());
    text.push_str(HEX_PREFIX);
    for byte in bytes {
        text.push_str(&format!("{byte:02x}"));
    }
    text
}

/// Splits an RFC 3110 blob into (exponent, modulus), both big-endian without leading zeros.
///
/// Accepts the one-octet exponent length and the three-octet form (zero, then a 16-bit length),
/// including the three-octet form for a short exponent. Never panics.
pub fn split_blob(blob: &[u8]) -> Result<(&[u8], &[u8]), Rfc3110Error> {
    let (exponent_len, exponent_offset) = match blob {
        [] => {
            return Err(Rfc3110Error::Truncated {
                what: "exponent length",
                offset: 0,
                needed: 1,
                available: 0,
            })
        }
        [0, rest @ ..] => match rest {
            [high, low, ..] => (usize::from(u16::from_be_bytes([*high, *low])), 3),
            _ => {
                return Err(Rfc3110Error::Truncated {
                    what: "three-octet exponent length",
                    offset: 0,
                    needed: 3,
                    available: blob.len(),
                })
            }
        },
        [length, ..] => (usize::from(*length), 1),
    };

    let rest = &blob[exponent_offset..];
    if exponent_len == 0 || rest.len() < exponent_len {
        return Err(Rfc3110Error::Truncated {
            what: "exponent",
            offset: exponent_offset,
            needed: exponent_len.max(1),
            available: rest.len(),
        });
    }
    let (exponent, modulus) = rest.split_at(exponent_len);
    let modulus_offset = exponent_offset + exponent_len;

    if modulus.is_empty() {
        return Err(Rfc3110Error::Truncated {
            what: "modulus",
            offset: modulus_offset,
            needed: 1,
            available: 0,
        });
    }
    if exponent[0] == 0 {
        return Err(Rfc3110Error::LeadingZero {
            what: "exponent",
            offset: exponent_offset,
        });
    }
    if modulus[0] == 0 {
        return Err(Rfc3110Error::LeadingZero {
            what: "modulus",
            offset: modulus_offset,
        });
    }

    Ok((exponent, modulus))
}

/// Builds an RFC 3110 blob from a big-endian exponent and modulus without leading zeros.
///
/// Uses the one-octet length for exponents up to 255 octets and the three-octet form above.
/// Exponents longer than 65535 octets cannot be represented; callers keep exponents smaller than
/// the modulus, which [`crate::MAX_MODULUS_BITS`] bounds well below that.
pub fn join_blob(exponent: &[u8], modulus: &[u8]) -> Vec<u8> {
    let mut blob = Vec::with_capacity(3 + exponent.len() + modulus.len());
    match u8::try_from(exponent.len()) {
        Ok(length) if length > 0 => blob.push(length),
        _ => {
            let length = u16::try_from(exponent.len()).unwrap_or(u16::MAX);
            blob.push(0);
            blob.extend_from_slice(&length.to_be_bytes());
        }
    }
    blob.extend_from_slice(exponent);
    blob.extend_from_slice(modulus);
    blob
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_separators() {
        assert_eq!(decode_number_text("0x01_02_ff").unwrap(), vec![1, 2, 255]);
    }

    #[test]
    fn hex_odd_length_rejected() {
        assert_eq!(
            decode_number_text("0x123"),
            Err(Rfc3110Error::OddHexLength { digits: 3 })
        );
    }

    #[test]
    fn hex_bad_digit_offset() {
        assert_eq!(
            decode_number_text("0x12g4"),
            Err(Rfc3110Error::InvalidDigit {
                encoding: "hex",
                character: 'g',
                offset: 4
            })
        );
    }

    #[test]
    fn base64_bad_digit_offset() {
        assert!(matches!(
            decode_number_text("0sAQ!D"),
            Err(Rfc3110Error::InvalidDigit { offset: 4, .. })
        ));
    }

    #[test]
    fn missing_prefix() {
        assert!(matches!(
            decode_number_text("AQOkiet"),
            Err(Rfc3110Error::MissingPrefix { .. })
        ));
    }

    #[test]
    fn three_octet_length_split() {
        let exponent = vec![0x55; 300];
        let blob = join_blob(&exponent, &[0xc1, 0x01]);
        assert_eq!(&blob[..3], &[0, 0x01, 0x2c]);
        let (e, n) = split_blob(&blob).unwrap();
        assert_eq!(e, &exponent[..]);
        assert_eq!(n, &[0xc1, 0x01]);
    }

    #[test]
    fn three_octet_length_for_short_exponent() {
        let (e, n) = split_blob(&[0, 0, 1, 3, 0xc1]).unwrap();
        assert_eq!(e, &[3]);
        assert_eq!(n, &[0xc1]);
    }

    #[test]
    fn truncated_blobs() {
        assert!(split_blob(&[]).is_err());
        assert!(split_blob(&[0, 1]).is_err());
        assert!(split_blob(&[3, 1, 0]).is_err());
        assert!(split_blob(&[1, 3]).is_err());
    }

    #[test]
    fn leading_zero_modulus_rejected() {
        assert_eq!(
            split_blob(&[1, 3, 0, 0xc1]),
            Err(Rfc3110Error::LeadingZero {
                what: "modulus",
                offset: 2
            })
        );
    }
}
