//! Algorithm attributes: `struct xfrm_algo` (`XFRMA_ALG_CRYPT`, `_AUTH`, `_COMP`),
//! `struct xfrm_algo_auth` (`XFRMA_ALG_AUTH_TRUNC`) and `struct xfrm_algo_aead`
//! (`XFRMA_ALG_AEAD`). Algorithms are named as the kernel's crypto API names them.

use std::fmt;

use zeroize::Zeroizing;

use crate::codec::{put_u32_ne, Fields};
use crate::error::ParseError;

/// Kernel names of the algorithms IPsec gateways use (see `net/xfrm/xfrm_algo.c`).
pub mod names {
    /// AES-CBC (RFC 3602), 128/192/256-bit keys.
    pub const CBC_AES: &str = "cbc(aes)";
    /// 3DES-CBC (RFC 2451), 192-bit key.
    pub const CBC_DES3_EDE: &str = "cbc(des3_ede)";
    /// The NULL cipher (RFC 2410).
    pub const ECB_CIPHER_NULL: &str = "ecb(cipher_null)";
    /// HMAC-MD5-96 (RFC 2403), 128-bit key.
    pub const HMAC_MD5: &str = "hmac(md5)";
    /// HMAC-SHA1-96 (RFC 2404), 160-bit key.
    pub const HMAC_SHA1: &str = "hmac(sha1)";
    /// HMAC-SHA-256-128 (RFC 4868), 256-bit key.
    pub const HMAC_SHA256: &str = "hmac(sha256)";
    /// HMAC-SHA-384-192 (RFC 4868), 384-bit key.
    pub const HMAC_SHA384: &str = "hmac(sha384)";
    /// HMAC-SHA-512-256 (RFC 4868), 512-bit key.
    pub const HMAC_SHA512: &str = "hmac(sha512)";
    /// AES-GCM for ESP (RFC 4106): the key is the AES key followed by the 4-byte salt.
    pub const RFC4106_GCM_AES: &str = "rfc4106(gcm(aes))";
    /// IPComp with DEFLATE (RFC 2394).
    pub const DEFLATE: &str = "deflate";
}

/// Size of `alg_name` in the kernel's algorithm structures, including the terminating NUL.
pub const ALGORITHM_NAME_SIZE: usize = 64;

/// Maximum key length accepted when parsing, in bytes. The longest IPsec key is 64 bytes
/// (HMAC-SHA-512); the cap only bounds allocations from hostile input.
pub const MAX_KEY_LEN: usize = 1024;

/// A kernel crypto API algorithm name of at most 63 bytes with no NUL byte.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AlgorithmName(String);

/// An algorithm name that does not fit `alg_name`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid algorithm name {name:?}: expected 1 to {max} bytes with no NUL", max = ALGORITHM_NAME_SIZE - 1)]
pub struct InvalidAlgorithmName {
    pub name: String,
}

impl AlgorithmName {
    /// Checks that `name` fits the kernel's 64-byte, NUL-terminated field.
    pub fn new(name: &str) -> Result<Self, InvalidAlgorithmName> {
        if name.is_empty() || name.len() >= ALGORITHM_NAME_SIZE || name.contains('\0') {
            return Err(InvalidAlgorithmName {
                name: name.to_owned(),
            });
        }
        Ok(AlgorithmName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let raw = fields.slice(0, ALGORITHM_NAME_SIZE)?;
        let invalid = ParseError::InvalidAlgorithmName {
            offset: fields.base(),
            max: ALGORITHM_NAME_SIZE - 1,
        };
        let end = raw.iter().position(|b| *b == 0).ok_or(invalid.clone())?;
        let text =
            std::str::from_utf8(raw.get(..end).unwrap_or(&[])).map_err(|_| invalid.clone())?;
        AlgorithmName::new(text).map_err(|_| invalid)
    }

    fn emit(&self, buf: &mut Vec<u8>) {
        let mut field = [0u8; ALGORITHM_NAME_SIZE];
        let bytes = self.0.as_bytes();
        field[..bytes.len()].copy_from_slice(bytes);
        buf.extend_from_slice(&field);
    }
}

impl fmt::Display for AlgorithmName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for AlgorithmName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// Key material, zeroized on drop. `Debug` prints only the length.
///
/// `PartialEq` compares in variable time: it serves tests and dump comparisons, not secret
/// verification.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretKey(Zeroizing<Vec<u8>>);

impl SecretKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretKey(Zeroizing::new(bytes))
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Key length in bits as the kernel counts it (`alg_key_len`).
    fn bits(&self) -> u32 {
        (self.0.len() as u32).saturating_mul(8)
    }
}

impl From<&[u8]> for SecretKey {
    fn from(bytes: &[u8]) -> Self {
        SecretKey::new(bytes.to_vec())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({} bytes)", self.0.len())
    }
}

/// Reads `alg_key_len` (bits) at `len_offset` and the key bytes at `key_offset`.
fn parse_key(
    fields: &Fields<'_>,
    len_offset: usize,
    key_offset: usize,
) -> Result<SecretKey, ParseError> {
    let bits = fields.u32_ne(len_offset)?;
    if bits % 8 != 0 {
        return Err(ParseError::KeyLengthNotBytes {
            offset: fields.base() + len_offset,
            bits,
        });
    }
    let len = (bits / 8) as usize;
    if len > MAX_KEY_LEN {
        return Err(ParseError::InvalidLength {
            what: "algorithm key",
            offset: fields.base() + key_offset,
            length: len,
            min: 0,
            max: MAX_KEY_LEN,
        });
    }
    Ok(SecretKey::new(fields.slice(key_offset, len)?.to_vec()))
}

/// `struct xfrm_algo`: a cipher (`XFRMA_ALG_CRYPT`), an untruncated authenticator
/// (`XFRMA_ALG_AUTH`) or a compressor (`XFRMA_ALG_COMP`, empty key).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Algorithm {
    pub name: AlgorithmName,
    pub key: SecretKey,
}

impl Algorithm {
    /// Size without the key.
    pub const HEADER_SIZE: usize = ALGORITHM_NAME_SIZE + 4;

    pub fn new(name: &str, key: &[u8]) -> Result<Self, InvalidAlgorithmName> {
        Ok(Algorithm {
            name: AlgorithmName::new(name)?,
            key: key.into(),
        })
    }

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let fields = fields.sub(0, Self::HEADER_SIZE, "xfrm_algo")?;
        Ok(Algorithm {
            name: AlgorithmName::parse(&fields)?,
            key: parse_key(&fields, ALGORITHM_NAME_SIZE, Self::HEADER_SIZE)?,
        })
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut buf = Zeroizing::new(Vec::with_capacity(Self::HEADER_SIZE + self.key.len()));
        self.name.emit(&mut buf);
        put_u32_ne(&mut buf, self.key.bits());
        buf.extend_from_slice(self.key.as_bytes());
        buf
    }
}

/// An authentication algorithm. With `truncation_bits` it is sent as `struct xfrm_algo_auth`
/// (`XFRMA_ALG_AUTH_TRUNC`, as `ip xfrm ... auth-trunc` does); without, as `struct xfrm_algo`
/// (`XFRMA_ALG_AUTH`), and the kernel applies its default truncation (96 bits for HMAC-MD5 and
/// HMAC-SHA1; half the digest for HMAC-SHA-2 since Linux 2.6.33).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AuthAlgorithm {
    pub name: AlgorithmName,
    pub key: SecretKey,
    /// ICV length in bits.
    pub truncation_bits: Option<u32>,
}

impl AuthAlgorithm {
    /// Size of `struct xfrm_algo_auth` without the key.
    pub const HEADER_SIZE: usize = ALGORITHM_NAME_SIZE + 8;

    pub fn new(
        name: &str,
        key: &[u8],
        truncation_bits: Option<u32>,
    ) -> Result<Self, InvalidAlgorithmName> {
        Ok(AuthAlgorithm {
            name: AlgorithmName::new(name)?,
            key: key.into(),
            truncation_bits,
        })
    }

    pub(crate) fn parse_truncated(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let fields = fields.sub(0, Self::HEADER_SIZE, "xfrm_algo_auth")?;
        Ok(AuthAlgorithm {
            name: AlgorithmName::parse(&fields)?,
            key: parse_key(&fields, ALGORITHM_NAME_SIZE, Self::HEADER_SIZE)?,
            truncation_bits: Some(fields.u32_ne(ALGORITHM_NAME_SIZE + 4)?),
        })
    }

    pub(crate) fn parse_untruncated(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let algorithm = Algorithm::parse(fields)?;
        Ok(AuthAlgorithm {
            name: algorithm.name,
            key: algorithm.key,
            truncation_bits: None,
        })
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        match self.truncation_bits {
            None => Algorithm {
                name: self.name.clone(),
                key: self.key.clone(),
            }
            .to_bytes(),
            Some(truncation) => {
                let mut buf =
                    Zeroizing::new(Vec::with_capacity(Self::HEADER_SIZE + self.key.len()));
                self.name.emit(&mut buf);
                put_u32_ne(&mut buf, self.key.bits());
                put_u32_ne(&mut buf, truncation);
                buf.extend_from_slice(self.key.as_bytes());
                buf
            }
        }
    }
}

/// `struct xfrm_algo_aead` (`XFRMA_ALG_AEAD`): a combined-mode cipher such as
/// `rfc4106(gcm(aes))`.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AeadAlgorithm {
    pub name: AlgorithmName,
    /// For RFC 4106 the AES key followed by the 4-byte salt.
    pub key: SecretKey,
    /// ICV length in bits (64, 96 or 128 for GCM).
    pub icv_bits: u32,
}

impl AeadAlgorithm {
    /// Size without the key.
    pub const HEADER_SIZE: usize = ALGORITHM_NAME_SIZE + 8;

    pub fn new(name: &str, key: &[u8], icv_bits: u32) -> Result<Self, InvalidAlgorithmName> {
        Ok(AeadAlgorithm {
            name: AlgorithmName::new(name)?,
            key: key.into(),
            icv_bits,
        })
    }

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let fields = fields.sub(0, Self::HEADER_SIZE, "xfrm_algo_aead")?;
        Ok(AeadAlgorithm {
            name: AlgorithmName::parse(&fields)?,
            key: parse_key(&fields, ALGORITHM_NAME_SIZE, Self::HEADER_SIZE)?,
            icv_bits: fields.u32_ne(ALGORITHM_NAME_SIZE + 4)?,
        })
    }

    pub(crate) fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut buf = Zeroizing::new(Vec::with_capacity(Self::HEADER_SIZE + self.key.len()));
        self.name.emit(&mut buf);
        put_u32_ne(&mut buf, self.key.bits());
        put_u32_ne(&mut buf, self.icv_bits);
        buf.extend_from_slice(self.key.as_bytes());
        buf
    }
}
