//! Cipher and integrity algorithms, their key sizes, and key material.

use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::ConfigError;

/// ESP encryption transform.
///
/// Key lengths follow the IANA "ESP Transform Identifiers" registry; AES-GCM keys carry the
/// 4-byte salt at their end (RFC 4106 8.1), so AES-GCM-16 with AES-128 takes a 20-byte key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cipher {
    /// NULL encryption (RFC 2410): the payload travels in clear, integrity is required.
    Null,
    /// AES-CBC with a 128-bit key (RFC 3602).
    AesCbc128,
    /// AES-CBC with a 192-bit key (RFC 3602).
    AesCbc192,
    /// AES-CBC with a 256-bit key (RFC 3602).
    AesCbc256,
    /// Triple DES (EDE3) in CBC mode with a 192-bit key (RFC 2451).
    TripleDesCbc,
    /// AES-GCM with a 16-byte ICV and an 8-byte IV, 128-bit key plus 4-byte salt (RFC 4106).
    AesGcm16_128,
    /// AES-GCM with a 16-byte ICV and an 8-byte IV, 256-bit key plus 4-byte salt (RFC 4106).
    AesGcm16_256,
}

impl Cipher {
    /// Returns the encryption key length in bytes, including the salt for AES-GCM.
    pub const fn key_len(self) -> usize {
        match self {
            Cipher::Null => 0,
            Cipher::AesCbc128 => 16,
            Cipher::AesCbc192 => 24,
            Cipher::AesCbc256 => 32,
            Cipher::TripleDesCbc => 24,
            Cipher::AesGcm16_128 => 16 + 4,
            Cipher::AesGcm16_256 => 32 + 4,
        }
    }

    /// Returns the length of the IV carried in each packet.
    pub const fn iv_len(self) -> usize {
        match self {
            Cipher::Null => 0,
            Cipher::AesCbc128 | Cipher::AesCbc192 | Cipher::AesCbc256 => 16,
            Cipher::TripleDesCbc => 8,
            Cipher::AesGcm16_128 | Cipher::AesGcm16_256 => 8,
        }
    }

    /// Returns the alignment that padding must reach: the block size, but at least 4 bytes
    /// (RFC 4303 2.4).
    pub const fn pad_align(self) -> usize {
        match self {
            Cipher::AesCbc128 | Cipher::AesCbc192 | Cipher::AesCbc256 => 16,
            Cipher::TripleDesCbc => 8,
            Cipher::Null | Cipher::AesGcm16_128 | Cipher::AesGcm16_256 => 4,
        }
    }

    /// Returns true for combined-mode (AEAD) ciphers, which bring their own ICV.
    pub const fn is_aead(self) -> bool {
        matches!(self, Cipher::AesGcm16_128 | Cipher::AesGcm16_256)
    }

    /// Returns the name used in error messages and logs.
    pub const fn name(self) -> &'static str {
        match self {
            Cipher::Null => "NULL",
            Cipher::AesCbc128 => "AES-CBC-128",
            Cipher::AesCbc192 => "AES-CBC-192",
            Cipher::AesCbc256 => "AES-CBC-256",
            Cipher::TripleDesCbc => "3DES-CBC",
            Cipher::AesGcm16_128 => "AES-GCM-16-128",
            Cipher::AesGcm16_256 => "AES-GCM-16-256",
        }
    }
}

impl fmt::Display for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// ESP integrity transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Integrity {
    /// No separate integrity: allowed with AES-GCM, or for encryption-only SAs (RFC 4303 3.2).
    None,
    /// HMAC-MD5 truncated to 96 bits (RFC 2403).
    HmacMd5_96,
    /// HMAC-SHA-1 truncated to 96 bits (RFC 2404).
    HmacSha1_96,
    /// HMAC-SHA-256 truncated to 128 bits (RFC 4868).
    HmacSha256_128,
    /// HMAC-SHA-384 truncated to 192 bits (RFC 4868).
    HmacSha384_192,
    /// HMAC-SHA-512 truncated to 256 bits (RFC 4868).
    HmacSha512_256,
}

impl Integrity {
    /// Returns the key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Integrity::None => 0,
            Integrity::HmacMd5_96 => 16,
            Integrity::HmacSha1_96 => 20,
            Integrity::HmacSha256_128 => 32,
            Integrity::HmacSha384_192 => 48,
            Integrity::HmacSha512_256 => 64,
        }
    }

    /// Returns the length of the truncated ICV in bytes.
    pub const fn icv_len(self) -> usize {
        match self {
            Integrity::None => 0,
            Integrity::HmacMd5_96 | Integrity::HmacSha1_96 => 12,
            Integrity::HmacSha256_128 => 16,
            Integrity::HmacSha384_192 => 24,
            Integrity::HmacSha512_256 => 32,
        }
    }

    /// Returns the name used in error messages and logs.
    pub const fn name(self) -> &'static str {
        match self {
            Integrity::None => "none",
            Integrity::HmacMd5_96 => "HMAC-MD5-96",
            Integrity::HmacSha1_96 => "HMAC-SHA1-96",
            Integrity::HmacSha256_128 => "HMAC-SHA2-256-128",
            Integrity::HmacSha384_192 => "HMAC-SHA2-384-192",
            Integrity::HmacSha512_256 => "HMAC-SHA2-512-256",
        }
    }
}

impl fmt::Display for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A checked pair of cipher and integrity algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Suite {
    cipher: Cipher,
    integrity: Integrity,
}

impl Suite {
    /// AES-CBC-128 with HMAC-SHA1-96, the most common IKEv1 ESP proposal.
    pub const AES128_SHA1: Suite = Suite {
        cipher: Cipher::AesCbc128,
        integrity: Integrity::HmacSha1_96,
    };
    /// AES-GCM-16 with a 128-bit key.
    pub const AES128_GCM16: Suite = Suite {
        cipher: Cipher::AesGcm16_128,
        integrity: Integrity::None,
    };

    /// Combines a cipher and an integrity algorithm.
    ///
    /// # Errors
    /// [`ConfigError::InvalidSuite`] for AES-GCM with a separate integrity algorithm (RFC 4106
    /// 8.4 forbids it) and for NULL encryption without integrity (RFC 4303 3.2: ESP must provide
    /// at least one of the two).
    pub const fn new(cipher: Cipher, integrity: Integrity) -> Result<Suite, ConfigError> {
        if cipher.is_aead() && !matches!(integrity, Integrity::None) {
            return Err(ConfigError::InvalidSuite(
                "AES-GCM carries its own ICV; integrity must be None",
            ));
        }
        if matches!(cipher, Cipher::Null) && matches!(integrity, Integrity::None) {
            return Err(ConfigError::InvalidSuite(
                "NULL encryption needs an integrity algorithm",
            ));
        }
        Ok(Suite { cipher, integrity })
    }

    /// Returns the cipher.
    pub const fn cipher(self) -> Cipher {
        self.cipher
    }

    /// Returns the integrity algorithm.
    pub const fn integrity(self) -> Integrity {
        self.integrity
    }

    /// Returns the ICV length in bytes: the AEAD tag for AES-GCM, else the truncated HMAC.
    pub const fn icv_len(self) -> usize {
        if self.cipher.is_aead() {
            16
        } else {
            self.integrity.icv_len()
        }
    }

    /// Returns the bytes that encapsulation adds after the data at most: padding up to the
    /// alignment, Pad Length, Next Header and the ICV.
    pub const fn max_trailer_len(self) -> usize {
        self.cipher.pad_align() - 1 + 2 + self.icv_len()
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cipher.is_aead() {
            write!(f, "{}", self.cipher)
        } else {
            write!(f, "{}/{}", self.cipher, self.integrity)
        }
    }
}

/// Key material of one SA direction, zeroized on drop.
///
/// `Debug` prints only the lengths.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Keys {
    encryption: Vec<u8>,
    integrity: Vec<u8>,
}

impl Keys {
    /// Copies the encryption key (with the trailing 4-byte salt for AES-GCM) and the integrity
    /// key (empty for AES-GCM and encryption-only SAs).
    pub fn new(encryption: &[u8], integrity: &[u8]) -> Keys {
        Keys {
            encryption: encryption.to_vec(),
            integrity: integrity.to_vec(),
        }
    }

    /// Returns the encryption key bytes.
    pub fn encryption(&self) -> &[u8] {
        &self.encryption
    }

    /// Returns the integrity key bytes.
    pub fn integrity(&self) -> &[u8] {
        &self.integrity
    }

    /// Checks both lengths against the suite.
    pub(crate) fn check(&self, suite: Suite) -> Result<(), ConfigError> {
        let cipher = suite.cipher();
        if self.encryption.len() != cipher.key_len() {
            return Err(ConfigError::EncryptionKeyLength {
                cipher: cipher.name(),
                expected: cipher.key_len(),
                found: self.encryption.len(),
            });
        }
        let integrity = suite.integrity();
        if self.integrity.len() != integrity.key_len() {
            return Err(ConfigError::IntegrityKeyLength {
                integrity: integrity.name(),
                expected: integrity.key_len(),
                found: self.integrity.len(),
            });
        }
        Ok(())
    }
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("encryption_len", &self.encryption.len())
            .field("integrity_len", &self.integrity.len())
            .finish()
    }
}
