//! RSA public and private keys, key ids and IKEv1 signatures.

use std::fmt;
use std::str::FromStr;

use rand_core::OsRng;
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use rsa::{BigUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::error::{KeyError, Rfc3110Error, SignatureError};
use crate::rfc3110::{self, STRONGSWAN_DNS_PREFIX};

/// Smallest modulus accepted, in bits. Old Openswan files hold 512-bit keys, so loading them
/// must work; generating them does not (see [`crate::MIN_GENERATED_BITS`]).
pub const MIN_MODULUS_BITS: usize = 512;

/// Largest modulus accepted, in bits: twice the 8192-bit keys found in real Openswan files,
/// which also bounds the cost of one verification.
pub const MAX_MODULUS_BITS: usize = 16384;

/// Number of base64 characters in an Openswan/Libreswan key id.
const KEYID_LEN: usize = 9;

/// Minimum number of 0xFF octets in a PKCS#1 v1.5 type 1 block (RFC 8017 section 9.2).
const MIN_PADDING_LEN: usize = 8;

/// An RSA public key.
///
/// Built from RFC 3110 text ([`PublicKey::from_str`] reads `0s`, `0x` and `dns:0s`), from
/// numbers, or from PEM/DER (see [`crate::pem`]). The modulus is odd and between
/// [`MIN_MODULUS_BITS`] and [`MAX_MODULUS_BITS`]; the exponent is odd, at least 3 and smaller than
/// the modulus. Exponents of any length are kept, so three-octet RFC 3110 lengths round-trip.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublicKey {
    n: BigUint,
    e: BigUint,
}

impl PublicKey {
    /// Builds a key from a big-endian modulus and exponent (leading zero octets allowed).
    pub fn from_be_bytes(modulus: &[u8], exponent: &[u8]) -> Result<PublicKey, KeyError> {
        PublicKey::from_numbers(
            BigUint::from_bytes_be(modulus),
            BigUint::from_bytes_be(exponent),
        )
    }

    pub(crate) fn from_numbers(n: BigUint, e: BigUint) -> Result<PublicKey, KeyError> {
        let bits = n.bits();
        if !(MIN_MODULUS_BITS..=MAX_MODULUS_BITS).contains(&bits) {
            return Err(KeyError::ModulusSize {
                bits,
                min: MIN_MODULUS_BITS,
                max: MAX_MODULUS_BITS,
            });
        }
        if is_even(&n) {
            return Err(KeyError::EvenModulus);
        }
        if e < BigUint::from(3u8) {
            return Err(KeyError::PublicExponent {
                reason: "smaller than 3",
            });
        }
        if is_even(&e) {
            return Err(KeyError::PublicExponent { reason: "even" });
        }
        if e >= n {
            return Err(KeyError::PublicExponent {
                reason: "not smaller than the modulus",
            });
        }
        Ok(PublicKey { n, e })
    }

    /// Decodes an RFC 3110 blob (binary, as carried in DNS or after base64 decoding).
    pub fn from_rfc3110(blob: &[u8]) -> Result<PublicKey, Rfc3110Error> {
        let (exponent, modulus) = rfc3110::split_blob(blob)?;
        Ok(PublicKey::from_be_bytes(modulus, exponent)?)
    }

    /// Decodes Openswan's `0s...` (base64) or `0x...` (hex) text of an RFC 3110 blob, or
    /// strongSwan's `dns:0s...` spelling.
    pub fn from_rfc3110_text(text: &str) -> Result<PublicKey, Rfc3110Error> {
        let text = text.strip_prefix(STRONGSWAN_DNS_PREFIX).unwrap_or(text);
        let blob = rfc3110::decode_number_text(text)?;
        PublicKey::from_rfc3110(&blob)
    }

    /// Encodes the RFC 3110 blob.
    pub fn to_rfc3110(&self) -> Vec<u8> {
        rfc3110::join_blob(&self.e.to_bytes_be(), &self.n.to_bytes_be())
    }

    /// Encodes the key as Openswan writes `leftrsasigkey=`: `0s` + base64 of the RFC 3110 blob.
    pub fn to_rfc3110_0s(&self) -> String {
        rfc3110::encode_0s(&self.to_rfc3110())
    }

    /// Encodes the key as `0x` + hex of the RFC 3110 blob (FreeS/WAN's older `#pubkey=` form).
    pub fn to_rfc3110_0x(&self) -> String {
        rfc3110::encode_0x(&self.to_rfc3110())
    }

    /// Encodes the key as strongSwan 5.9 reads an RFC 3110 key in `leftrsasigkey=`: `dns:0s...`.
    pub fn to_strongswan_dns(&self) -> String {
        format!("{STRONGSWAN_DNS_PREFIX}{}", self.to_rfc3110_0s())
    }

    /// Returns the modulus n, big-endian without leading zeros.
    pub fn modulus(&self) -> Vec<u8> {
        self.n.to_bytes_be()
    }

    /// Returns the public exponent e, big-endian without leading zeros.
    pub fn exponent(&self) -> Vec<u8> {
        self.e.to_bytes_be()
    }

    /// Size of the modulus in bits, as `# RSA 2048 bits` reports it.
    pub fn bits(&self) -> usize {
        self.n.bits()
    }

    /// Size of the modulus in bytes, which is also the signature length.
    pub fn modulus_len(&self) -> usize {
        self.n.bits().div_ceil(8)
    }

    /// Returns the key id that Openswan and Libreswan print (`AQO...` for e=3, `AwEAA...` for e=65537): the
    /// first nine characters of the base64 RFC 3110 blob.
    pub fn keyid(&self) -> String {
        let text = self.to_rfc3110_0s();
        text[2..].chars().take(KEYID_LEN).collect()
    }

    /// Computes Libreswan's CKAID: SHA-1 of the modulus (big-endian, no leading zeros), as NSS computes
    /// `CKA_ID`.
    pub fn ckaid(&self) -> [u8; 20] {
        Sha1::digest(self.n.to_bytes_be()).into()
    }

    /// Returns the CKAID as the 40 lower-case hex digits Libreswan prints.
    pub fn ckaid_hex(&self) -> String {
        self.ckaid()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Verifies an IKEv1 RSA signature (RFC 2409 section 5.1): PKCS#1 v1.5 type 1 padding over
    /// the raw hash, without a DigestInfo.
    ///
    /// Computes `sig^e mod n`, builds the whole expected block `00 01 FF..FF 00 hash` and
    /// compares every byte in constant time. The decrypted block is never parsed, so
    /// Bleichenbacher-style forgeries against e=3 keys (garbage after the hash, short padding)
    /// fail.
    pub fn ikev1_verify(&self, hash: &[u8], signature: &[u8]) -> Result<(), SignatureError> {
        let modulus_len = self.modulus_len();
        if signature.len() != modulus_len {
            return Err(SignatureError::Length {
                found: signature.len(),
                expected: modulus_len,
            });
        }
        let expected = pkcs1_type1_block(hash, modulus_len)?;

        let s = BigUint::from_bytes_be(signature);
        if s >= self.n {
            return Err(SignatureError::Mismatch);
        }
        let m = s.modpow(&self.e, &self.n);
        let recovered = left_pad(&m.to_bytes_be(), modulus_len);

        if bool::from(recovered.ct_eq(&expected)) {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }

    /// Converts the key to the `rsa` crate's type, for its PEM/DER encoders.
    pub(crate) fn to_rsa(&self) -> RsaPublicKey {
        RsaPublicKey::new_unchecked(self.n.clone(), self.e.clone())
    }
}

impl FromStr for PublicKey {
    type Err = Rfc3110Error;

    /// Parses `0s...`, `0x...` or `dns:0s...` text, as [`PublicKey::from_rfc3110_text`].
    fn from_str(text: &str) -> Result<PublicKey, Rfc3110Error> {
        PublicKey::from_rfc3110_text(text)
    }
}

impl fmt::Display for PublicKey {
    /// Prints the `0s` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3110_0s())
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("bits", &self.bits())
            .field("keyid", &self.keyid())
            .finish()
    }
}

/// An RSA private key with two primes.
///
/// The secret numbers live in the `rsa` crate's `RsaPrivateKey`, which zeroizes them on drop.
/// `Debug` prints only the size and the key id. Every constructor checks that n = p*q, that
/// d is the inverse of e, and the CRT values (see [`crate::secrets`] for the field-by-field
/// check of Openswan blocks).
///
/// NOTE: the `rsa` 0.9 private-key operation is blinded but its big-integer arithmetic is not
/// constant time (RUSTSEC-2023-0071, the Marvin attack). Signing hashes chosen by the local
/// IKE engine exposes less than decryption oracles do, but the leak is not ruled out.
#[derive(Clone)]
pub struct PrivateKey {
    inner: Box<RsaPrivateKey>,
}

impl PrivateKey {
    pub(crate) fn from_rsa(inner: RsaPrivateKey) -> Result<PrivateKey, KeyError> {
        if inner.primes().len() != 2 {
            return Err(KeyError::Rsa(format!(
                "{} prime factors; only two-prime keys are supported",
                inner.primes().len()
            )));
        }
        PublicKey::from_numbers(inner.n().clone(), inner.e().clone())?;
        Ok(PrivateKey {
            inner: Box::new(inner),
        })
    }

    /// Returns the public half.
    pub fn public(&self) -> PublicKey {
        PublicKey {
            n: self.inner.n().clone(),
            e: self.inner.e().clone(),
        }
    }

    /// Size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.inner.n().bits()
    }

    /// Signs an IKEv1 hash (RFC 2409 section 5.1): PKCS#1 v1.5 type 1 padding over the raw hash,
    /// without a DigestInfo, as Openswan, Libreswan and strongSwan sign IKEv1 `SIG` payloads.
    ///
    /// The result is exactly [`PublicKey::modulus_len`] bytes. Fails only when the hash does not
    /// fit (more than modulus length - 11 bytes). The private operation is blinded with the
    /// operating system's random numbers.
    pub fn ikev1_sign(&self, hash: &[u8]) -> Result<Vec<u8>, SignatureError> {
        let modulus_len = self.public().modulus_len();
        pkcs1_type1_block(hash, modulus_len)?;

        self.inner
            .sign_with_rng(&mut OsRng, Pkcs1v15Sign::new_unprefixed(), hash)
            .map_err(|error| SignatureError::Rsa(error.to_string()))
    }

    /// The private exponent d, big-endian (secret: the caller must zeroize it).
    pub(crate) fn d(&self) -> &BigUint {
        self.inner.d()
    }

    /// Returns the primes (p, q) in the key's order.
    pub(crate) fn primes(&self) -> (&BigUint, &BigUint) {
        let primes = self.inner.primes();
        (&primes[0], &primes[1])
    }

    pub(crate) fn rsa(&self) -> &RsaPrivateKey {
        &self.inner
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("bits", &self.bits())
            .field("keyid", &self.public().keyid())
            .finish_non_exhaustive()
    }
}

/// Builds the PKCS#1 v1.5 type 1 block `00 01 FF..FF 00 hash` of `modulus_len` bytes.
fn pkcs1_type1_block(hash: &[u8], modulus_len: usize) -> Result<Vec<u8>, SignatureError> {
    if hash.len() + 3 + MIN_PADDING_LEN > modulus_len {
        return Err(SignatureError::HashTooLong {
            hash_len: hash.len(),
            modulus_len,
        });
    }

    let padding_len = modulus_len - 3 - hash.len();
    let mut block = Vec::with_capacity(modulus_len);
    block.push(0x00);
    block.push(0x01);
    block.resize(2 + padding_len, 0xff);
    block.push(0x00);
    block.extend_from_slice(hash);
    Ok(block)
}

/// Left-pads big-endian bytes with zeros to `len` bytes (values longer than `len` are kept).
pub(crate) fn left_pad(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut padded = vec![0u8; len.saturating_sub(bytes.len())];
    padded.extend_from_slice(bytes);
    padded
}

pub(crate) fn is_even(value: &BigUint) -> bool {
    value.to_bytes_le().first().is_none_or(|low| low & 1 == 0)
}
