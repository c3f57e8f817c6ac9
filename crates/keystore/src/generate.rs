//! Key generation as `ipsec rsasigkey` does it.

use rand_core::CryptoRngCore;
use rsa::BigUint;

use crate::error::KeyError;
use crate::key::PrivateKey;

/// Public exponent of generated keys (F4, as Openswan 2.6's `rsasigkey` uses).
pub const GENERATED_PUBLIC_EXPONENT: u32 = 65537;

/// Smallest key size [`generate`] makes, in bits.
pub const MIN_GENERATED_BITS: usize = 1024;

/// Largest key size [`generate`] makes, in bits (Openswan's `rsasigkey` limit).
pub const MAX_GENERATED_BITS: usize = 8192;

/// Generates a two-prime RSA key of `bits` bits with exponent 65537.
///
/// `bits` must be a multiple of 16 between [`MIN_GENERATED_BITS`] and [`MAX_GENERATED_BITS`],
/// as `ipsec rsasigkey` requires. A 2048-bit key takes about a second with an optimised `rsa`
/// build, longer and with a wide spread for larger keys.
pub fn generate(bits: usize, rng: &mut impl CryptoRngCore) -> Result<PrivateKey, KeyError> {
    if !(MIN_GENERATED_BITS..=MAX_GENERATED_BITS).contains(&bits) || !bits.is_multiple_of(16) {
        return Err(KeyError::ModulusSize {
            bits,
            min: MIN_GENERATED_BITS,
            max: MAX_GENERATED_BITS,
        });
    }

    let exponent = BigUint::from(GENERATED_PUBLIC_EXPONENT);
    let key = rsa::RsaPrivateKey::new_with_exp(rng, bits, &exponent)
        .map_err(|error| KeyError::Rsa(error.to_string()))?;
    PrivateKey::from_rsa(key)
}
