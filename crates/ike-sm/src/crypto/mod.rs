//! IKEv1 cryptography: PRFs, Diffie-Hellman groups, phase 1 ciphers and the RFC 2409 key derivation.
//!
//! Everything here is pure computation: no I/O, no clock, and no randomness except what the caller
//! passes in as a [`rand_core::CryptoRngCore`]. Algorithms are chosen from the numbers that
//! ISAKMP carries (the phase 1 attribute values of RFC 2409 appendix A), so this module does not
//! depend on `ike-wire`.
//!
//! - [`Hash`] and [`Prf`]: MD5, SHA-1, SHA2-256/384/512 and HMAC over them.
//! - [`DhGroup`], [`DhPrivate`]: MODP groups 1, 2, 5, 14, 15, 16 (RFC 2409, RFC 3526), ECP
//!   groups 19 and 20 (RFC 5903) and Curve25519 (group 31, RFC 7748 with the IKE encoding of
//!   RFC 8031). Peer public values are validated and the exponentiation on secrets is
//!   constant-time.
//! - [`Phase1Cipher`]: 3DES-CBC and AES-CBC-128/192/256 for the encrypted ISAKMP messages.
//! - [`kdf`]: SKEYID and its children, the encryption key expansion, IVs, HASH_I/HASH_R,
//!   Quick Mode and Informational hashes, and KEYMAT.
//!
//! Secret values ([`Secret`]) are zeroized on drop and their `Debug` output shows only the length.

mod cipher;
mod dh;
mod hash;
pub mod kdf;
mod secret;

pub use cipher::{CipherError, Phase1Cipher};
pub use dh::{
    DhError, DhGroup, DhPrivate, MODP1024_EXPONENT_BITS, MODP1536_EXPONENT_BITS,
    MODP2048_EXPONENT_BITS, MODP3072_EXPONENT_BITS, MODP4096_EXPONENT_BITS, MODP768_EXPONENT_BITS,
};
pub(crate) use hash::KeyedPrf;
pub use hash::{Hash, Prf};
pub use secret::Secret;
