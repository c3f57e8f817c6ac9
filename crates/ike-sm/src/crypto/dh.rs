//! Diffie-Hellman groups for IKEv1: MODP (RFC 2409, RFC 3526), ECP (RFC 5903) and Curve25519.
//!
//! Wire encodings, as carried in the KE payload and fed to SKEYID:
//! - MODP: the public value and the shared secret are big-endian, left-padded with zeros to the
//!   length of the prime (RFC 2409 section 5 and RFC 2631 section 2.1.2).
//! - ECP: the public value is x | y, each coordinate as long as the field (no 0x04 prefix), and
//!   the shared secret is the x coordinate of the shared point (RFC 5903 sections 7 and 9).
//! - Curve25519: 32-byte little-endian u-coordinates as RFC 7748 defines them (RFC 8031
//!   section 2 for IKE, used the same way in IKEv1 by strongSwan 5.9.8).
//!
//! Constant time: MODP exponentiation is this crate's own Montgomery arithmetic on fixed-size
//! limb arrays (module `modexp`). It uses a fixed window for the peer's base and a fixed-base
//! table for generator 2, reads every table entry through a mask, and processes the exponent for
//! its full public bit length (the `MODP*_EXPONENT_BITS` constants). The ECP groups use the RustCrypto `p256`/`p384`
//! scalar multiplication and Curve25519 uses `x25519-dalek`, both constant-time.
//!
//! `benches/ike-vs-openssl.sh` prints our cost next to OpenSSL's for MODP2048 and Curve25519.

mod modexp;
mod primes;

use std::fmt;
use std::sync::OnceLock;

use modexp::{ModpArithmetic, ModpContext};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::CryptoRngCore;
use subtle::ConstantTimeEq;
use zeroize::Zeroize;

use super::Secret;

/// A Diffie-Hellman group, named by its IKEv1 Group Description number (RFC 2409 appendix A,
/// class 4, and the IANA registry that RFC 3526 and RFC 5903 extend).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DhGroup {
    /// Group 1, 768-bit MODP (RFC 2409 section 6.1). Weak: accepted only when configured.
    Modp768,
    /// Group 2, 1024-bit MODP (RFC 2409 section 6.2).
    Modp1024,
    /// Group 5, 1536-bit MODP (RFC 3526 section 2).
    Modp1536,
    /// Group 14, 2048-bit MODP (RFC 3526 section 3).
    Modp2048,
    /// Group 15, 3072-bit MODP (RFC 3526 section 4).
    Modp3072,
    /// Group 16, 4096-bit MODP (RFC 3526 section 5).
    Modp4096,
    /// Group 19, NIST P-256 (RFC 5903).
    Ecp256,
    /// Group 20, NIST P-384 (RFC 5903).
    Ecp384,
    /// Group 31, Curve25519 (RFC 8031).
    Curve25519,
}

/// Errors from Diffie-Hellman group selection, peer value validation and key import.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DhError {
    /// The Group Description number names no group this crate implements.
    #[error("unsupported Diffie-Hellman group {0}")]
    UnsupportedGroup(u16),
    /// The peer's KE data has the wrong length for the group.
    #[error("{group} public value is {actual} bytes, expected {expected}")]
    PublicValueLength {
        /// The negotiated group.
        group: DhGroup,
        /// Length the group requires.
        expected: usize,
        /// Length received.
        actual: usize,
    },
    /// A MODP public value outside 1 < y < p-1 (0, 1, p-1 or at least p).
    #[error("{group} public value is out of range: it must satisfy 1 < y < p-1")]
    PublicValueOutOfRange {
        /// The negotiated group.
        group: DhGroup,
    },
    /// An ECP public value that is not a point on the curve, or the point at infinity.
    #[error("{group} public value is not a valid curve point")]
    InvalidPoint {
        /// The negotiated group.
        group: DhGroup,
    },
    /// The shared secret is degenerate (1 for MODP, all zeros for Curve25519), which only a
    /// small-order peer value produces.
    #[error("{group} shared secret is degenerate: the peer sent a small-order public value")]
    DegenerateSharedSecret {
        /// The negotiated group.
        group: DhGroup,
    },
    /// A private value given to [`DhPrivate::from_bytes`] that is out of range or has the wrong
    /// length.
    #[error("{group} private value is invalid: {reason}")]
    InvalidPrivateValue {
        /// The group.
        group: DhGroup,
        /// The reason, e.g. "exponent below 2".
        reason: &'static str,
    },
}

/// A MODP group's constants.
struct ModpGroup {
    /// Prime as big-endian hex.
    prime_hex: &'static str,
    /// Prime length in bits (and bytes of the encoding times 8).
    bits: u32,
    /// Private exponent length in bits, one of the `MODP*_EXPONENT_BITS` constants.
    exponent_bits: u32,
}

// Private exponent lengths. NIST SP 800-56A Rev. 3 section 5.6.1.1.1 requires a private key of at
// least 2s bits in a safe-prime group of security strength s, because Pollard's lambda finds an
// n-bit exponent in about 2^(n/2) steps. The strengths s come from NIST SP 800-57 Part 1 Table 2
// for 1024, 2048 and 3072 bits (80, 112, 128), and for 1536 and 4096 bits from the formula of
// NIST SP 800-56B Rev. 2 Appendix D, (1.923 (L ln 2)^(1/3) (ln(L ln 2))^(2/3) - 4.69) / ln 2
// rounded to a multiple of 8, which gives 96 and 152 (and 72 for 768, 80, 112 and 128 for the
// others). Each length below is at least 2s. Groups 5, 14, 15 and 16 round 2s up (by 8, 1, 19
// and 21 bits) as a margin over an estimate that is itself rounded.

/// Private exponent length of group 1 (768-bit MODP): 160 bits, more than 2s = 144 because no
/// group here uses fewer than the 160 bits of group 2.
pub const MODP768_EXPONENT_BITS: u32 = 160;
/// Private exponent length of group 2 (1024-bit MODP, s = 80): 160 bits.
pub const MODP1024_EXPONENT_BITS: u32 = 160;
/// Private exponent length of group 5 (1536-bit MODP, s = 96): 200 bits.
pub const MODP1536_EXPONENT_BITS: u32 = 200;
/// Private exponent length of group 14 (2048-bit MODP, s = 112): 225 bits.
pub const MODP2048_EXPONENT_BITS: u32 = 225;
/// Private exponent length of group 15 (3072-bit MODP, s = 128): 275 bits.
pub const MODP3072_EXPONENT_BITS: u32 = 275;
/// Private exponent length of group 16 (4096-bit MODP, s = 152): 325 bits.
pub const MODP4096_EXPONENT_BITS: u32 = 325;

impl DhGroup {
    /// Every supported group, in Group Description order.
    pub const ALL: [DhGroup; 9] = [
        DhGroup::Modp768,
        DhGroup::Modp1024,
        DhGroup::Modp1536,
        DhGroup::Modp2048,
        DhGroup::Modp3072,
        DhGroup::Modp4096,
        DhGroup::Ecp256,
        DhGroup::Ecp384,
        DhGroup::Curve25519,
    ];

    /// Maps a Group Description attribute value to a group.
    pub fn from_id(id: u16) -> Result<Self, DhError> {
        match id {
            1 => Ok(DhGroup::Modp768),
            2 => Ok(DhGroup::Modp1024),
            5 => Ok(DhGroup::Modp1536),
            14 => Ok(DhGroup::Modp2048),
            15 => Ok(DhGroup::Modp3072),
            16 => Ok(DhGroup::Modp4096),
            19 => Ok(DhGroup::Ecp256),
            20 => Ok(DhGroup::Ecp384),
            31 => Ok(DhGroup::Curve25519),
            other => Err(DhError::UnsupportedGroup(other)),
        }
    }

    /// Returns the Group Description attribute value.
    pub fn id(self) -> u16 {
        match self {
            DhGroup::Modp768 => 1,
            DhGroup::Modp1024 => 2,
            DhGroup::Modp1536 => 5,
            DhGroup::Modp2048 => 14,
            DhGroup::Modp3072 => 15,
            DhGroup::Modp4096 => 16,
            DhGroup::Ecp256 => 19,
            DhGroup::Ecp384 => 20,
            DhGroup::Curve25519 => 31,
        }
    }

    /// Length in bytes of the KE payload's key exchange data.
    pub fn public_len(self) -> usize {
        match self {
            DhGroup::Ecp256 => 64,
            DhGroup::Ecp384 => 96,
            DhGroup::Curve25519 => 32,
            modp => modp.modp().map_or(0, |group| group.bits as usize / 8),
        }
    }

    /// Length in bytes of the shared secret g^xy.
    pub fn shared_secret_len(self) -> usize {
        match self {
            DhGroup::Ecp256 => 32,
            DhGroup::Ecp384 => 48,
            DhGroup::Curve25519 => 32,
            modp => modp.public_len(),
        }
    }

    /// Generates a private value and returns it with the public value to send in KE.
    ///
    /// The randomness comes only from `rng`. For MODP groups the private exponent has the group's
    /// fixed exponent length (see the module documentation).
    pub fn generate(self, rng: &mut impl CryptoRngCore) -> (DhPrivate, Vec<u8>) {
        let key = match self {
            DhGroup::Ecp256 => PrivateKey::Ecp256(p256::NonZeroScalar::random(&mut *rng)),
            DhGroup::Ecp384 => PrivateKey::Ecp384(p384::NonZeroScalar::random(&mut *rng)),
            DhGroup::Curve25519 => {
                PrivateKey::X25519(x25519_dalek::StaticSecret::random_from_rng(&mut *rng))
            }
            modp => {
                let bits = modp
                    .modp()
                    .expect("every other group is MODP")
                    .exponent_bits;
                let mut bytes = vec![0u8; bits.div_ceil(8) as usize];
                loop {
                    // A uniformly random exponent of `bits` bits. Rejection of a value below 2
                    // happens with probability 2^-159 at most.
                    rng.fill_bytes(&mut bytes);
                    bytes[0] &= 0xff >> (8 * bytes.len() as u32 - bits);
                    let exponent = ModpExponent::from_be(&bytes, bits);
                    if !exponent.is_below_two() {
                        bytes.zeroize();
                        break PrivateKey::Modp(exponent);
                    }
                }
            }
        };
        let private = DhPrivate { group: self, key };
        let public = private.public_value();
        (private, public)
    }

    fn modp(self) -> Option<&'static ModpGroup> {
        let group = match self {
            DhGroup::Modp768 => &ModpGroup {
                prime_hex: primes::MODP_768,
                bits: 768,
                exponent_bits: MODP768_EXPONENT_BITS,
            },
            DhGroup::Modp1024 => &ModpGroup {
                prime_hex: primes::MODP_1024,
                bits: 1024,
                exponent_bits: MODP1024_EXPONENT_BITS,
            },
            DhGroup::Modp1536 => &ModpGroup {
                prime_hex: primes::MODP_1536,
                bits: 1536,
                exponent_bits: MODP1536_EXPONENT_BITS,
            },
            DhGroup::Modp2048 => &ModpGroup {
                prime_hex: primes::MODP_2048,
                bits: 2048,
                exponent_bits: MODP2048_EXPONENT_BITS,
            },
            DhGroup::Modp3072 => &ModpGroup {
                prime_hex: primes::MODP_3072,
                bits: 3072,
                exponent_bits: MODP3072_EXPONENT_BITS,
            },
            DhGroup::Modp4096 => &ModpGroup {
                prime_hex: primes::MODP_4096,
                bits: 4096,
                exponent_bits: MODP4096_EXPONENT_BITS,
            },
            _ => return None,
        };
        Some(group)
    }

    /// Returns the private exponent length in bits of a MODP group (the `MODP*_EXPONENT_BITS`
    /// constants), or `None` for an elliptic-curve group.
    pub fn private_exponent_bits(self) -> Option<u32> {
        self.modp().map(|group| group.exponent_bits)
    }

    /// Montgomery arithmetic for a MODP group, set up once per process.
    fn arithmetic(self) -> Option<&'static dyn ModpArithmetic> {
        fn context<const N: usize, const D: usize>(
            cell: &'static OnceLock<ModpContext<N, D>>,
            group: &ModpGroup,
        ) -> &'static dyn ModpArithmetic {
            cell.get_or_init(|| {
                ModpContext::new(&decode_hex_prime(group.prime_hex), group.exponent_bits)
            })
        }
        static MODP768: OnceLock<ModpContext<12, 24>> = OnceLock::new();
        static MODP1024: OnceLock<ModpContext<16, 32>> = OnceLock::new();
        static MODP1536: OnceLock<ModpContext<24, 48>> = OnceLock::new();
        static MODP2048: OnceLock<ModpContext<32, 64>> = OnceLock::new();
        static MODP3072: OnceLock<ModpContext<48, 96>> = OnceLock::new();
        static MODP4096: OnceLock<ModpContext<64, 128>> = OnceLock::new();

        let group = self.modp()?;
        let arithmetic = match self {
            DhGroup::Modp768 => context(&MODP768, group),
            DhGroup::Modp1024 => context(&MODP1024, group),
            DhGroup::Modp1536 => context(&MODP1536, group),
            DhGroup::Modp2048 => context(&MODP2048, group),
            DhGroup::Modp3072 => context(&MODP3072, group),
            DhGroup::Modp4096 => context(&MODP4096, group),
            _ => return None,
        };
        Some(arithmetic)
    }
}

impl fmt::Display for DhGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            DhGroup::Modp768 => "MODP768",
            DhGroup::Modp1024 => "MODP1024",
            DhGroup::Modp1536 => "MODP1536",
            DhGroup::Modp2048 => "MODP2048",
            DhGroup::Modp3072 => "MODP3072",
            DhGroup::Modp4096 => "MODP4096",
            DhGroup::Ecp256 => "ECP256",
            DhGroup::Ecp384 => "ECP384",
            DhGroup::Curve25519 => "CURVE25519",
        };
        f.write_str(name)
    }
}

/// Decodes one of the compiled-in prime constants to big-endian bytes.
fn decode_hex_prime(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("prime constants are hex"))
        .collect()
}

/// A MODP private exponent, zeroized on drop, with the public bound on its bit length that the
/// exponentiation runs for.
struct ModpExponent {
    /// Little-endian 64-bit limbs.
    limbs: Vec<u64>,
    bits: u32,
}

impl ModpExponent {
    fn from_be(bytes: &[u8], bits: u32) -> Self {
        Self {
            limbs: modexp::exponent_limbs(bytes),
            bits,
        }
    }

    /// Returns whether the value is 0 or 1. Only a rejected value takes the early return.
    fn is_below_two(&self) -> bool {
        let high = self.limbs.iter().skip(1).fold(0, |acc, &limb| acc | limb);
        let low = self.limbs.first().copied().unwrap_or(0);
        (high | (low >> 1)) == 0
    }
}

impl Drop for ModpExponent {
    fn drop(&mut self) {
        self.limbs.zeroize();
    }
}

enum PrivateKey {
    Modp(ModpExponent),
    Ecp256(p256::NonZeroScalar),
    Ecp384(p384::NonZeroScalar),
    X25519(x25519_dalek::StaticSecret),
}

/// Our Diffie-Hellman private value for one exchange. Zeroized on drop; `Debug` shows only the
/// group.
pub struct DhPrivate {
    group: DhGroup,
    key: PrivateKey,
}

impl fmt::Debug for DhPrivate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DhPrivate")
            .field("group", &self.group)
            .finish_non_exhaustive()
    }
}

impl Drop for DhPrivate {
    fn drop(&mut self) {
        // `ModpExponent` and `StaticSecret` zeroize themselves on drop; the scalars do not.
        match &mut self.key {
            PrivateKey::Ecp256(scalar) => scalar.zeroize(),
            PrivateKey::Ecp384(scalar) => scalar.zeroize(),
            PrivateKey::Modp(_) | PrivateKey::X25519(_) => {}
        }
    }
}

impl DhPrivate {
    /// Rebuilds a private value from its encoding: a big-endian exponent for MODP groups (at most
    /// the prime's length), a big-endian scalar for ECP groups, 32 bytes for Curve25519.
    ///
    /// For known-answer tests and for replaying logged sessions. A MODP exponent rebuilt here is
    /// raised over the prime's full bit length, whatever its value. Errors with
    /// [`DhError::InvalidPrivateValue`] for a zero or out-of-range value or a wrong length.
    pub fn from_bytes(group: DhGroup, bytes: &[u8]) -> Result<Self, DhError> {
        let invalid = |reason| DhError::InvalidPrivateValue { group, reason };
        let key = match group {
            DhGroup::Ecp256 => {
                let scalar = p256::NonZeroScalar::try_from(bytes)
                    .map_err(|_| invalid("not a nonzero scalar below the group order"))?;
                PrivateKey::Ecp256(scalar)
            }
            DhGroup::Ecp384 => {
                let scalar = p384::NonZeroScalar::try_from(bytes)
                    .map_err(|_| invalid("not a nonzero scalar below the group order"))?;
                PrivateKey::Ecp384(scalar)
            }
            DhGroup::Curve25519 => {
                let mut array: [u8; 32] = bytes
                    .try_into()
                    .map_err(|_| invalid("length is not 32 bytes"))?;
                let secret = x25519_dalek::StaticSecret::from(array);
                array.zeroize();
                PrivateKey::X25519(secret)
            }
            modp => {
                let len = modp.public_len();
                if bytes.len() > len {
                    return Err(invalid("longer than the prime"));
                }
                let exponent = ModpExponent::from_be(bytes, 8 * len as u32);
                if exponent.is_below_two() {
                    return Err(invalid("exponent below 2"));
                }
                PrivateKey::Modp(exponent)
            }
        };
        Ok(Self { group, key })
    }

    /// Returns the group this value belongs to.
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// Our public value in the KE payload encoding (see the module documentation).
    pub fn public_value(&self) -> Vec<u8> {
        match &self.key {
            PrivateKey::Modp(exponent) => {
                let arithmetic = self.group.arithmetic().expect("MODP key in a MODP group");
                arithmetic.pow_generator(&exponent.limbs, exponent.bits)
            }
            PrivateKey::Ecp256(scalar) => {
                let point = p256::PublicKey::from_secret_scalar(scalar).to_encoded_point(false);
                // Drop the SEC1 0x04 prefix, leaving x | y as RFC 5903 section 7 encodes it.
                point.as_bytes()[1..].to_vec()
            }
            PrivateKey::Ecp384(scalar) => {
                let point = p384::PublicKey::from_secret_scalar(scalar).to_encoded_point(false);
                point.as_bytes()[1..].to_vec()
            }
            PrivateKey::X25519(secret) => x25519_dalek::PublicKey::from(secret).as_bytes().to_vec(),
        }
    }

    /// Computes the shared secret g^xy from the peer's KE data, after validating it.
    ///
    /// Errors: [`DhError::PublicValueLength`] for a wrong length,
    /// [`DhError::PublicValueOutOfRange`] for a MODP value not in 1 < y < p-1,
    /// [`DhError::InvalidPoint`] for an ECP value off the curve, and
    /// [`DhError::DegenerateSharedSecret`] when the result is 1 (MODP) or all zeros
    /// (Curve25519, RFC 7748 section 6.1).
    pub fn shared_secret(&self, peer_public: &[u8]) -> Result<Secret, DhError> {
        let group = self.group;
        if peer_public.len() != group.public_len() {
            return Err(DhError::PublicValueLength {
                group,
                expected: group.public_len(),
                actual: peer_public.len(),
            });
        }

        match &self.key {
            PrivateKey::Modp(exponent) => {
                let arithmetic = group.arithmetic().expect("MODP key in a MODP group");
                if !arithmetic.is_valid_public(peer_public) {
                    return Err(DhError::PublicValueOutOfRange { group });
                }

                let shared =
                    Secret::new(arithmetic.pow(peer_public, &exponent.limbs, exponent.bits));
                let mut one = vec![0u8; shared.len()];
                one[shared.len() - 1] = 1;
                let degenerate: bool = shared.as_bytes().ct_eq(&one).into();
                if degenerate {
                    return Err(DhError::DegenerateSharedSecret { group });
                }
                Ok(shared)
            }
            PrivateKey::Ecp256(scalar) => {
                let point = ecp_point::<p256::NistP256>(peer_public)
                    .ok_or(DhError::InvalidPoint { group })?;
                let shared = p256::ecdh::diffie_hellman(scalar, point.as_affine());
                Ok(Secret::from_slice(shared.raw_secret_bytes()))
            }
            PrivateKey::Ecp384(scalar) => {
                let point = ecp_point::<p384::NistP384>(peer_public)
                    .ok_or(DhError::InvalidPoint { group })?;
                let shared = p384::ecdh::diffie_hellman(scalar, point.as_affine());
                Ok(Secret::from_slice(shared.raw_secret_bytes()))
            }
            PrivateKey::X25519(secret) => {
                let mut array = [0u8; 32];
                array.copy_from_slice(peer_public);
                let shared = secret.diffie_hellman(&x25519_dalek::PublicKey::from(array));
                if !shared.was_contributory() {
                    return Err(DhError::DegenerateSharedSecret { group });
                }
                Ok(Secret::from_slice(shared.as_bytes()))
            }
        }
    }
}

/// Parses x | y into a validated, non-identity point.
fn ecp_point<C>(x_y: &[u8]) -> Option<p256::elliptic_curve::PublicKey<C>>
where
    C: p256::elliptic_curve::CurveArithmetic,
    p256::elliptic_curve::AffinePoint<C>: p256::elliptic_curve::sec1::FromEncodedPoint<C>
        + p256::elliptic_curve::sec1::ToEncodedPoint<C>,
    p256::elliptic_curve::FieldBytesSize<C>: p256::elliptic_curve::sec1::ModulusSize,
{
    let mut sec1 = Vec::with_capacity(x_y.len() + 1);
    sec1.push(0x04);
    sec1.extend_from_slice(x_y);
    p256::elliptic_curve::PublicKey::<C>::from_sec1_bytes(&sec1).ok()
}

#[cfg(test)]
mod tests {
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn prime_bytes(group: DhGroup) -> Vec<u8> {
        group.arithmetic().unwrap().modulus_be()
    }

    #[test]
    fn group_ids_round_trip() {
        for group in DhGroup::ALL {
            assert_eq!(DhGroup::from_id(group.id()), Ok(group));
        }
        assert_eq!(DhGroup::from_id(3), Err(DhError::UnsupportedGroup(3)));
    }

    #[test]
    fn exponent_lengths_cover_twice_strength() {
        // Security strengths from NIST SP 800-57 Part 1 Table 2 and SP 800-56B Rev. 2 Appendix D.
        for (group, strength) in [
            (DhGroup::Modp768, 72),
            (DhGroup::Modp1024, 80),
            (DhGroup::Modp1536, 96),
            (DhGroup::Modp2048, 112),
            (DhGroup::Modp3072, 128),
            (DhGroup::Modp4096, 152),
        ] {
            let bits = group.private_exponent_bits().unwrap();
            assert!(bits >= 2 * strength, "{group}: {bits} bits");
        }
        assert_eq!(DhGroup::Curve25519.private_exponent_bits(), None);
    }

    #[test]
    fn generated_exponents_have_group_length() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let group = DhGroup::Modp2048;
        let mut top_bit_seen = false;
        for _ in 0..16 {
            let (private, _) = group.generate(&mut rng);
            let PrivateKey::Modp(exponent) = &private.key else {
                panic!("MODP group with a non-MODP key");
            };
            assert_eq!(exponent.bits, MODP2048_EXPONENT_BITS);
            assert_eq!(exponent.limbs.len(), 4, "225 bits in 29 bytes");
            assert_eq!(exponent.limbs[3] >> 33, 0, "no bit at or above 2^225");
            top_bit_seen |= exponent.limbs[3] >> 32 == 1;
        }
        assert!(top_bit_seen, "bit 224 set in at least one of 16 exponents");
    }

    #[test]
    fn modp_primes_are_well_formed() {
        for group in DhGroup::ALL.into_iter().filter(|g| g.modp().is_some()) {
            let prime = prime_bytes(group);
            assert_eq!(prime.len(), group.public_len(), "{group} length");
            assert!(prime[..8].iter().all(|&b| b == 0xff), "{group} top 64 bits");
            assert!(
                prime[prime.len() - 8..].iter().all(|&b| b == 0xff),
                "{group} bottom 64 bits"
            );

            // Fermat test with base 2: 2^(p-1) = 1 mod p. Cheap enough at 4096 bits.
            let mut p_minus_1 = prime.clone();
            *p_minus_1.last_mut().unwrap() -= 1;
            let exponent = modexp::exponent_limbs(&p_minus_1);
            let bits = 8 * prime.len() as u32;
            let result = group.arithmetic().unwrap().pow_generator(&exponent, bits);
            let mut one = vec![0u8; prime.len()];
            *one.last_mut().unwrap() = 1;
            assert_eq!(result, one, "{group} Fermat test");
        }
    }

    /// Expected values computed with Python's built-in `pow` over the RFC 2409 group 2 prime.
    #[test]
    fn modp1024_known_answer() {
        let x = unhex("0123456789abcdef0123456789abcdef01234567");
        let y = unhex("fedcba9876543210fedcba9876543210fedcba98");
        let gx = unhex(concat!(
            "775607678996051141bcd769216504385fd107867e85203c37be2985fffe5079",
            "9e7686529e67aee072f4fcbe30bda192339d89f5ed153defc64eaa63c30c400a",
            "23c461f6295edd8a67c88abfab502a5b15ea4b95813e7ba3994aadfec9d396ff",
            "ad8c7b89ed90b8a7d713762851f11c3cee6e16697c8f1c7626719266f54d82b8",
        ));
        let gy = unhex(concat!(
            "7ae291f77c460fc525ae656e7da0743ba6f81d6e6f93184ea497c526696a3ce1",
            "38fe32ded1828e5c29471b48b9b322ea7a2354152e3e3aeb6ffdcd97b455f74a",
            "58958525260fdcebff76bea492d940167d4f061a6c6808243956b5a41a2883eb",
            "5dfd8cb845f502194f0e6a57e369823f4281baa0ceaa7d1dd815e48483ce60bc",
        ));
        let gxy = unhex(concat!(
            "46d0dddb131723b56f46d73a899dad540a6946eae83636efee6f76299467b89b",
            "bd12359ff0d31f9cf23a5655e91b12c306f2061949ca64c4cc13b5bc0de8fada",
            "fd4d57d1c3508193c1e07048ad145c6c6cbf740ce368de7aaadf1151e0e08c78",
            "0e350cf879c360e46bf91e5acc77c61dac3b548336a4d78f09a36c52c8b5beec",
        ));

        let ours = DhPrivate::from_bytes(DhGroup::Modp1024, &x).unwrap();
        let theirs = DhPrivate::from_bytes(DhGroup::Modp1024, &y).unwrap();
        assert_eq!(ours.public_value(), gx);
        assert_eq!(theirs.public_value(), gy);
        assert_eq!(ours.shared_secret(&gy).unwrap().as_bytes(), gxy);
        assert_eq!(theirs.shared_secret(&gx).unwrap().as_bytes(), gxy);
    }

    #[test]
    fn modp_rejects_out_of_range() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for group in [DhGroup::Modp1024, DhGroup::Modp2048] {
            let (private, _) = group.generate(&mut rng);
            let len = group.public_len();
            let prime = prime_bytes(group);

            let zero = vec![0u8; len];
            let mut one = vec![0u8; len];
            one[len - 1] = 1;
            let mut p_minus_1 = prime.clone();
            p_minus_1[len - 1] -= 1;
            let all_ff = vec![0xffu8; len];

            for (name, value) in [
                ("0", &zero),
                ("1", &one),
                ("p-1", &p_minus_1),
                ("p", &prime),
                ("2^n-1", &all_ff),
            ] {
                let err = private.shared_secret(value).unwrap_err();
                assert_eq!(
                    err,
                    DhError::PublicValueOutOfRange { group },
                    "{group} y = {name}"
                );
            }

            let err = private.shared_secret(&one[1..]).unwrap_err();
            assert!(
                matches!(err, DhError::PublicValueLength { .. }),
                "{group} short value"
            );

            let mut two = vec![0u8; len];
            two[len - 1] = 2;
            assert!(
                private.shared_secret(&two).is_ok(),
                "{group} y = 2 is in range"
            );
        }
    }

    #[test]
    fn generated_pairs_agree() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        for group in DhGroup::ALL {
            let (alice, alice_public) = group.generate(&mut rng);
            let (bob, bob_public) = group.generate(&mut rng);
            assert_eq!(
                alice_public.len(),
                group.public_len(),
                "{group} public length"
            );
            assert_eq!(alice.group(), group);

            let alice_shared = alice.shared_secret(&bob_public).unwrap();
            let bob_shared = bob.shared_secret(&alice_public).unwrap();
            assert_eq!(alice_shared, bob_shared, "{group} shared secrets differ");
            assert_eq!(
                alice_shared.len(),
                group.shared_secret_len(),
                "{group} secret length"
            );
        }
    }

    #[test]
    fn debug_hides_private_value() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (private, _) = DhGroup::Curve25519.generate(&mut rng);
        assert_eq!(
            format!("{private:?}"),
            "DhPrivate { group: Curve25519, .. }"
        );
    }

    /// RFC 5903 section 8.1, the 256-bit random ECP group.
    #[test]
    fn ecp256_rfc5903() {
        let i = unhex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433");
        let gi = unhex(concat!(
            "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180",
            "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
        ));
        let r = unhex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53");
        let gr = unhex(concat!(
            "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63",
            "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB",
        ));
        let gir = unhex("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE");

        let initiator = DhPrivate::from_bytes(DhGroup::Ecp256, &i).unwrap();
        let responder = DhPrivate::from_bytes(DhGroup::Ecp256, &r).unwrap();
        assert_eq!(initiator.public_value(), gi);
        assert_eq!(responder.public_value(), gr);
        assert_eq!(initiator.shared_secret(&gr).unwrap().as_bytes(), gir);
        assert_eq!(responder.shared_secret(&gi).unwrap().as_bytes(), gir);
    }

    /// RFC 5903 section 8.2, the 384-bit random ECP group.
    #[test]
    fn ecp384_rfc5903() {
        let i = unhex(concat!(
            "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F16",
            "0647B67414DCE655E35B538041E649EE3FAEF896783AB194",
        ));
        let gr = unhex(concat!(
            "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571",
            "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
        ));
        let gir = unhex(concat!(
            "11187331C279962D93D604243FD592CB9D0A926F422E4718",
            "7521287E7156C5C4D603135569B9E9D09CF5D4A270F59746",
        ));

        let initiator = DhPrivate::from_bytes(DhGroup::Ecp384, &i).unwrap();
        assert_eq!(initiator.shared_secret(&gr).unwrap().as_bytes(), gir);
    }

    #[test]
    fn ecp_rejects_invalid_points() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let (private, public) = DhGroup::Ecp256.generate(&mut rng);

        let zero = vec![0u8; 64];
        let err = private.shared_secret(&zero).unwrap_err();
        assert_eq!(
            err,
            DhError::InvalidPoint {
                group: DhGroup::Ecp256
            },
            "point (0, 0)"
        );

        let mut off_curve = public.clone();
        off_curve[63] ^= 1;
        let err = private.shared_secret(&off_curve).unwrap_err();
        assert_eq!(
            err,
            DhError::InvalidPoint {
                group: DhGroup::Ecp256
            },
            "y changed"
        );

        let err = private.shared_secret(&public[..63]).unwrap_err();
        assert!(
            matches!(err, DhError::PublicValueLength { .. }),
            "short value"
        );
    }

    /// RFC 7748 section 6.1.
    #[test]
    fn x25519_rfc7748() {
        let alice = unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        let alice_public =
            unhex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
        let bob = unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        let bob_public = unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
        let shared = unhex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");

        let alice = DhPrivate::from_bytes(DhGroup::Curve25519, &alice).unwrap();
        let bob = DhPrivate::from_bytes(DhGroup::Curve25519, &bob).unwrap();
        assert_eq!(alice.public_value(), alice_public);
        assert_eq!(bob.public_value(), bob_public);
        assert_eq!(alice.shared_secret(&bob_public).unwrap().as_bytes(), shared);
        assert_eq!(bob.shared_secret(&alice_public).unwrap().as_bytes(), shared);
    }

    #[test]
    fn x25519_rejects_small_order() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let (private, _) = DhGroup::Curve25519.generate(&mut rng);
        let mut one = [0u8; 32];
        one[0] = 1;
        for (name, value) in [("0", [0u8; 32]), ("1", one)] {
            let err = private.shared_secret(&value).unwrap_err();
            assert_eq!(
                err,
                DhError::DegenerateSharedSecret {
                    group: DhGroup::Curve25519
                },
                "u = {name}"
            );
        }
    }
}
