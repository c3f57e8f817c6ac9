//! RSA keys in Openswan's formats, the key ids Openswan and Libreswan print, and IKEv1 RSA
//! signatures.
//!
//! - [`PublicKey`]: RFC 3110 keys in the form `leftrsasigkey=` takes, `0s` (base64) or `0x` (hex),
//!   one- and three-octet exponent lengths, both directions, and strongSwan's `dns:0s...`
//!   spelling ([`PublicKey::to_strongswan_dns`]); PEM/DER (SubjectPublicKeyInfo, PKCS#1);
//!   [`PublicKey::keyid`] (`AQO...`) and [`PublicKey::ckaid`]; [`PublicKey::ikev1_verify`].
//! - [`PrivateKey`]: the Openswan ipsec.secrets block ([`RsaBlock`], checked field by field),
//!   PEM/DER in PKCS#1 and PKCS#8 ([`PrivateKey::from_pem`], [`load_private_key_file`] for
//!   `: RSA file.pem` entries), generation ([`generate`]), [`PrivateKey::ikev1_sign`].
//!
//! IKEv1 signatures (RFC 2409 section 5.1) are PKCS#1 v1.5 type 1 blocks over the raw hash,
//! with no DigestInfo. Verification rebuilds the whole expected block and compares it in
//! constant time, so the e=3 forgeries that parse the decrypted block fail.
//!
//! Secret numbers are zeroized on drop (the `rsa` crate's key type, and [`zeroize::Zeroizing`]
//! for the text this crate writes), and no `Debug` output shows them. Parsers never panic and
//! return typed errors naming the field, line or offset.
//!
//! ```
//! use keystore::PublicKey;
//!
//! let text = "0sAQOkietplPhkvb/uE9j2UhlB1dSMb3YMgXXQ5r6xMVzHGjASxbMeWCtUbkMI2jGmJzRjUzRvQOIHg14yC3lE4O2j";
//! let key: PublicKey = text.parse().unwrap();
//! assert_eq!(key.bits(), 512);
//! assert_eq!(key.exponent(), [3]);
//! assert_eq!(key.keyid(), "AQOkietpl");
//! assert_eq!(key.to_rfc3110_0s(), text);
//! ```
#![forbid(unsafe_code)]

mod error;
mod generate;
mod key;
pub mod pem;
pub mod rfc3110;
pub mod secrets;

pub use error::{BlockField, KeyError, PemError, Rfc3110Error, SecretsError, SignatureError};
pub use generate::{generate, GENERATED_PUBLIC_EXPONENT, MAX_GENERATED_BITS, MIN_GENERATED_BITS};
pub use key::{PrivateKey, PublicKey, MAX_MODULUS_BITS, MIN_MODULUS_BITS};
pub use pem::{load_private_key_file, resolve_key_file};
pub use rfc3110::MAX_KEY_TEXT_LEN;
pub use secrets::{
    format_rsa_block, format_rsa_block_body, BlockHeader, RsaBlock, RsaSecret, MAX_BLOCK_TEXT_LEN,
};

/// Re-exported because secret text such as [`format_rsa_block`]'s output comes wrapped in it.
pub use zeroize::Zeroizing;

/// Re-exported so callers can pass `&mut OsRng` to [`generate`] without naming `rand_core`.
pub use rand_core::OsRng;
