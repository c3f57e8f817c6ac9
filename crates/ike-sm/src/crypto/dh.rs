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
//! Constant time: MODP exponentiation uses crypto-bigint's `BoxedMontyForm::pow_bounded_exp`, a
//! fixed-window Montgomery exponentiation whose memory accesses and running time depend only on
//! the exponent's bit length, which is a public constant per group. The ECP groups use the
//! RustCrypto `p256`/`p384` scalar multiplication and Curve25519 uses `x25519-dalek`, both
//! constant-time.
//!
//! Why crypto-bigint: `num-bigint` (the other pure-Rust big-integer crate in use) documents no
//! constant-time guarantee and its `modpow` branches on exponent bits. `rsa`'s internal
//! `crypto-bigint` use shows the same crate is the RustCrypto answer for secret exponents, and
//! `BoxedUint` works at run-time sizes, so one code path serves every MODP group. The cost is
//! measured in `benches/dh.rs` against `openssl speed` (see BENCHMARKS.md).

mod primes;

use std::fmt;
use std::sync::OnceLock;

use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
use crypto_bigint::{BoxedUint, Odd, RandomBits};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use rand_core::CryptoRngCore;
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
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A MODP group's constants.
struct ModpGroup {
    /// Prime as big-endian hex.
    prime_hex: &'static str,
    /// Prime length in bits (and bytes of the encoding times 8).
    bits: u32,
    /// Private exponent length in bits: the upper end of the exponent sizes RFC 3526 section 8
    /// gives for the group's strength estimate, and 160 bits for groups 1 and 2.
    exponent_bits: u32,
}

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

    /// The Group Description attribute value.
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
                let group = modp.modp().expect("every other group is MODP");
                loop {
                    // Rejection of an exponent below 2 happens with probability 2^-159 at most.
                    let exponent =
                        BoxedUint::random_bits_with_precision(rng, group.exponent_bits, group.bits);
                    if exponent.bits_vartime() > 1 {
                        break PrivateKey::Modp(ModpExponent(exponent));
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
                exponent_bits: 160,
            },
            DhGroup::Modp1024 => &ModpGroup {
                prime_hex: primes::MODP_1024,
                bits: 1024,
                exponent_bits: 160,
            },
            DhGroup::Modp1536 => &ModpGroup {
                prime_hex: primes::MODP_1536,
                bits: 1536,
                exponent_bits: 240,
            },
            DhGroup::Modp2048 => &ModpGroup {
                prime_hex: primes::MODP_2048,
                bits: 2048,
                exponent_bits: 320,
            },
            DhGroup::Modp3072 => &ModpGroup {
                prime_hex: primes::MODP_3072,
                bits: 3072,
                exponent_bits: 420,
            },
            DhGroup::Modp4096 => &ModpGroup {
                prime_hex: primes::MODP_4096,
                bits: 4096,
                exponent_bits: 480,
            },
            _ => return None,
        };
        Some(group)
    }

    /// Montgomery parameters for a MODP group, computed once per process.
    fn monty_params(self) -> Option<&'static BoxedMontyParams> {
        static PARAMS: [OnceLock<BoxedMontyParams>; 6] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        let index = match self {
            DhGroup::Modp768 => 0,
            DhGroup::Modp1024 => 1,
            DhGroup::Modp1536 => 2,
            DhGroup::Modp2048 => 3,
            DhGroup::Modp3072 => 4,
            DhGroup::Modp4096 => 5,
            _ => return None,
        };
        let group = self.modp()?;
        Some(PARAMS[index].get_or_init(|| {
            let prime = decode_hex_prime(group.prime_hex, group.bits);
            let odd = Odd::new(prime).expect("MODP primes are odd");
            BoxedMontyParams::new_vartime(odd)
        }))
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

/// Decodes one of the compiled-in prime constants.
fn decode_hex_prime(hex: &str, bits: u32) -> BoxedUint {
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("prime constants are hex"))
        .collect();
    BoxedUint::from_be_slice(&bytes, bits).expect("prime constants fit their bit length")
}

/// A MODP private exponent, zeroized on drop.
struct ModpExponent(BoxedUint);

impl Drop for ModpExponent {
    fn drop(&mut self) {
        self.0.zeroize();
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
    /// For known-answer tests and for replaying logged sessions. Errors with
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
                let params = modp.monty_params().expect("every other group is MODP");
                let bits = params.bits_precision();
                if bytes.len() > bits as usize / 8 {
                    return Err(invalid("longer than the prime"));
                }
                let exponent = BoxedUint::from_be_slice(bytes, bits)
                    .map_err(|_| invalid("longer than the prime"))?;
                if exponent.bits_vartime() < 2 {
                    return Err(invalid("exponent below 2"));
                }
                PrivateKey::Modp(ModpExponent(exponent))
            }
        };
        Ok(Self { group, key })
    }

    /// The group this value belongs to.
    pub fn group(&self) -> DhGroup {
        self.group
    }

    /// Our public value in the KE payload encoding (see the module documentation).
    pub fn public_value(&self) -> Vec<u8> {
        match &self.key {
            PrivateKey::Modp(exponent) => {
                let params = self.group.monty_params().expect("MODP key in a MODP group");
                let generator = BoxedMontyForm::new(
                    BoxedUint::from(2u64).widen(params.bits_precision()),
                    params.clone(),
                );
                let public = modp_pow(self.group, &generator, &exponent.0);
                to_fixed_be(&public, self.group.public_len())
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
                let params = group.monty_params().expect("MODP key in a MODP group");
                let bits = params.bits_precision();
                let peer = BoxedUint::from_be_slice(peer_public, bits)
                    .map_err(|_| DhError::PublicValueOutOfRange { group })?;
                let p_minus_1 = params
                    .modulus()
                    .as_ref()
                    .wrapping_sub(&BoxedUint::one_with_precision(bits));
                let one = BoxedUint::one_with_precision(bits);
                if peer <= one || peer >= p_minus_1 {
                    return Err(DhError::PublicValueOutOfRange { group });
                }

                let base = BoxedMontyForm::new(peer, params.clone());
                let mut shared = modp_pow(group, &base, &exponent.0);
                let degenerate = shared == one;
                let bytes = to_fixed_be(&shared, group.shared_secret_len());
                shared.zeroize();
                if degenerate {
                    return Err(DhError::DegenerateSharedSecret { group });
                }
                Ok(Secret::new(bytes))
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

/// Raises `base` to the private exponent in constant time for the group's fixed exponent length.
/// Exponents rebuilt by [`DhPrivate::from_bytes`] may be longer, so the bound is their precision
/// then, which depends only on the prime.
fn modp_pow(group: DhGroup, base: &BoxedMontyForm, exponent: &BoxedUint) -> BoxedUint {
    let fixed_bits = group.modp().map_or(0, |g| g.exponent_bits);
    let exponent_bits = if exponent.bits_vartime() <= fixed_bits {
        fixed_bits
    } else {
        exponent.bits_precision()
    };
    base.pow_bounded_exp(exponent, exponent_bits).retrieve()
}

/// Big-endian encoding left-padded with zeros to `len` bytes.
fn to_fixed_be(value: &BoxedUint, len: usize) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let mut out = vec![0u8; len];
    if bytes.len() >= len {
        out.copy_from_slice(&bytes[bytes.len() - len..]);
    } else {
        out[len - bytes.len()..].copy_from_slice(&bytes);
    }
    out
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
