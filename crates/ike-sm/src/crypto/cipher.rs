//! Phase 1 ciphers: CBC mode over 3DES and AES, without padding, because the ISAKMP layer pads
//! the payload chain to the block size itself before encrypting.

use std::fmt;

use aes::{Aes128, Aes192, Aes256};
use cbc::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use des::TdesEde3;

/// A phase 1 Encryption Algorithm (RFC 2409 appendix A, class 1) with its key length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase1Cipher {
    /// 3DES-CBC (attribute value 5), 24-byte key, 8-byte blocks.
    TripleDesCbc,
    /// AES-CBC (attribute value 7, RFC 3602) with a 128-bit key.
    AesCbc128,
    /// AES-CBC with a 192-bit key.
    AesCbc192,
    /// AES-CBC with a 256-bit key.
    AesCbc256,
}

/// Errors from choosing or running a phase 1 cipher.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CipherError {
    /// The Encryption Algorithm attribute names a cipher this crate does not implement.
    #[error("unsupported phase 1 encryption algorithm {0}")]
    UnsupportedAlgorithm(u16),
    /// The Key Length attribute is missing where required or has a value the cipher lacks.
    #[error("invalid key length {key_len_bits:?} bits for encryption algorithm {algorithm}")]
    InvalidKeyLength {
        /// Encryption Algorithm attribute value.
        algorithm: u16,
        /// Key Length attribute value, `None` when absent.
        key_len_bits: Option<u16>,
    },
    /// The key passed in does not have the cipher's key length.
    #[error("key is {actual} bytes, expected {expected}")]
    KeyLength {
        /// Expected length in bytes.
        expected: usize,
        /// Length passed in.
        actual: usize,
    },
    /// The IV passed in is not one block long.
    #[error("IV is {actual} bytes, expected one block of {expected}")]
    IvLength {
        /// Block size in bytes.
        expected: usize,
        /// Length passed in.
        actual: usize,
    },
    /// The data is not a whole number of blocks.
    #[error("data is {len} bytes, not a multiple of the {block_size}-byte block size")]
    NotBlockAligned {
        /// Data length in bytes.
        len: usize,
        /// Block size in bytes.
        block_size: usize,
    },
}

/// Encryption Algorithm attribute value of 3DES-CBC.
const ENCR_3DES_CBC: u16 = 5;
/// Encryption Algorithm attribute value of AES-CBC.
const ENCR_AES_CBC: u16 = 7;

impl Phase1Cipher {
    /// Chooses the cipher from the Encryption Algorithm and Key Length attribute values.
    ///
    /// 3DES takes no Key Length attribute (a value of 192 is accepted). AES requires one, because
    /// RFC 3602 section 5.3 requires the Key Length attribute for AES in IKE.
    pub fn from_attributes(algorithm: u16, key_len_bits: Option<u16>) -> Result<Self, CipherError> {
        let invalid = CipherError::InvalidKeyLength {
            algorithm,
            key_len_bits,
        };
        match (algorithm, key_len_bits) {
            (ENCR_3DES_CBC, None | Some(192)) => Ok(Phase1Cipher::TripleDesCbc),
            (ENCR_3DES_CBC, Some(_)) => Err(invalid),
            (ENCR_AES_CBC, Some(128)) => Ok(Phase1Cipher::AesCbc128),
            (ENCR_AES_CBC, Some(192)) => Ok(Phase1Cipher::AesCbc192),
            (ENCR_AES_CBC, Some(256)) => Ok(Phase1Cipher::AesCbc256),
            (ENCR_AES_CBC, Some(_)) => Err(invalid),
            (other, _) => Err(CipherError::UnsupportedAlgorithm(other)),
        }
    }

    /// Returns the Encryption Algorithm attribute value.
    pub fn algorithm(self) -> u16 {
        match self {
            Phase1Cipher::TripleDesCbc => ENCR_3DES_CBC,
            _ => ENCR_AES_CBC,
        }
    }

    /// Returns the Key Length attribute value to send, `None` for the fixed-length 3DES.
    pub fn key_len_attribute(self) -> Option<u16> {
        match self {
            Phase1Cipher::TripleDesCbc => None,
            Phase1Cipher::AesCbc128 => Some(128),
            Phase1Cipher::AesCbc192 => Some(192),
            Phase1Cipher::AesCbc256 => Some(256),
        }
    }

    /// Block size in bytes, which is also the IV length.
    pub fn block_size(self) -> usize {
        match self {
            Phase1Cipher::TripleDesCbc => 8,
            _ => 16,
        }
    }

    /// Key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            Phase1Cipher::TripleDesCbc => 24,
            Phase1Cipher::AesCbc128 => 16,
            Phase1Cipher::AesCbc192 => 24,
            Phase1Cipher::AesCbc256 => 32,
        }
    }

    /// Encrypts `data` in place in CBC mode. `data` must be a whole number of blocks, because
    /// ISAKMP pads before encrypting. The IV for the next message is the last block of the
    /// result (RFC 2409 appendix B).
    pub fn encrypt_in_place(
        self,
        key: &[u8],
        iv: &[u8],
        data: &mut [u8],
    ) -> Result<(), CipherError> {
        self.check(key, iv, data)?;
        let len = data.len();
        let result = match self {
            Phase1Cipher::TripleDesCbc => cbc::Encryptor::<TdesEde3>::new_from_slices(key, iv)
                .map(|c| c.encrypt_padded_mut::<NoPadding>(data, len).map(|_| ())),
            Phase1Cipher::AesCbc128 => cbc::Encryptor::<Aes128>::new_from_slices(key, iv)
                .map(|c| c.encrypt_padded_mut::<NoPadding>(data, len).map(|_| ())),
            Phase1Cipher::AesCbc192 => cbc::Encryptor::<Aes192>::new_from_slices(key, iv)
                .map(|c| c.encrypt_padded_mut::<NoPadding>(data, len).map(|_| ())),
            Phase1Cipher::AesCbc256 => cbc::Encryptor::<Aes256>::new_from_slices(key, iv)
                .map(|c| c.encrypt_padded_mut::<NoPadding>(data, len).map(|_| ())),
        };
        // `check` has verified every length these calls validate.
        match result {
            Ok(Ok(())) => Ok(()),
            _ => Err(self.not_aligned(len)),
        }
    }

    /// Decrypts `data` in place in CBC mode. `data` must be a whole number of blocks. Keep the
    /// last ciphertext block before calling: it is the IV for the next message.
    pub fn decrypt_in_place(
        self,
        key: &[u8],
        iv: &[u8],
        data: &mut [u8],
    ) -> Result<(), CipherError> {
        self.check(key, iv, data)?;
        let len = data.len();
        let result = match self {
            Phase1Cipher::TripleDesCbc => cbc::Decryptor::<TdesEde3>::new_from_slices(key, iv)
                .map(|c| c.decrypt_padded_mut::<NoPadding>(data).map(|_| ())),
            Phase1Cipher::AesCbc128 => cbc::Decryptor::<Aes128>::new_from_slices(key, iv)
                .map(|c| c.decrypt_padded_mut::<NoPadding>(data).map(|_| ())),
            Phase1Cipher::AesCbc192 => cbc::Decryptor::<Aes192>::new_from_slices(key, iv)
                .map(|c| c.decrypt_padded_mut::<NoPadding>(data).map(|_| ())),
            Phase1Cipher::AesCbc256 => cbc::Decryptor::<Aes256>::new_from_slices(key, iv)
                .map(|c| c.decrypt_padded_mut::<NoPadding>(data).map(|_| ())),
        };
        match result {
            Ok(Ok(())) => Ok(()),
            _ => Err(self.not_aligned(len)),
        }
    }

    fn check(self, key: &[u8], iv: &[u8], data: &[u8]) -> Result<(), CipherError> {
        if key.len() != self.key_len() {
            return Err(CipherError::KeyLength {
                expected: self.key_len(),
                actual: key.len(),
            });
        }
        if iv.len() != self.block_size() {
            return Err(CipherError::IvLength {
                expected: self.block_size(),
                actual: iv.len(),
            });
        }
        if !data.len().is_multiple_of(self.block_size()) {
            return Err(self.not_aligned(data.len()));
        }
        Ok(())
    }

    fn not_aligned(self, len: usize) -> CipherError {
        CipherError::NotBlockAligned {
            len,
            block_size: self.block_size(),
        }
    }
}

impl fmt::Display for Phase1Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Phase1Cipher::TripleDesCbc => "3DES_CBC",
            Phase1Cipher::AesCbc128 => "AES_CBC_128",
            Phase1Cipher::AesCbc192 => "AES_CBC_192",
            Phase1Cipher::AesCbc256 => "AES_CBC_256",
        };
        f.write_str(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    /// RFC 3602 section 4, case 2: two blocks under AES-128-CBC.
    #[test]
    fn aes_cbc_rfc3602_case2() {
        let key = unhex("c286696d887c9aa0611bbb3e2025a45a");
        let iv = unhex("562e17996d093d28ddb3ba695a2e6f58");
        let plaintext = unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        let ciphertext = unhex("d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1");

        let mut data = plaintext.clone();
        Phase1Cipher::AesCbc128
            .encrypt_in_place(&key, &iv, &mut data)
            .unwrap();
        assert_eq!(data, ciphertext);
        Phase1Cipher::AesCbc128
            .decrypt_in_place(&key, &iv, &mut data)
            .unwrap();
        assert_eq!(data, plaintext);
    }

    #[test]
    fn triple_des_round_trip() {
        let key: Vec<u8> = (1..=24).collect();
        let iv = [7u8; 8];
        let plaintext = [0x5au8; 24];
        let mut data = plaintext;
        Phase1Cipher::TripleDesCbc
            .encrypt_in_place(&key, &iv, &mut data)
            .unwrap();
        assert_ne!(data, plaintext);
        Phase1Cipher::TripleDesCbc
            .decrypt_in_place(&key, &iv, &mut data)
            .unwrap();
        assert_eq!(data, plaintext);
    }

    #[test]
    fn rejects_bad_lengths() {
        let cipher = Phase1Cipher::AesCbc256;
        let mut data = [0u8; 17];
        let err = cipher
            .encrypt_in_place(&[0; 32], &[0; 16], &mut data)
            .unwrap_err();
        assert_eq!(
            err,
            CipherError::NotBlockAligned {
                len: 17,
                block_size: 16
            }
        );
        let err = cipher
            .decrypt_in_place(&[0; 16], &[0; 16], &mut data[..16])
            .unwrap_err();
        assert_eq!(
            err,
            CipherError::KeyLength {
                expected: 32,
                actual: 16
            }
        );
        let err = cipher
            .decrypt_in_place(&[0; 32], &[0; 8], &mut data[..16])
            .unwrap_err();
        assert_eq!(
            err,
            CipherError::IvLength {
                expected: 16,
                actual: 8
            }
        );
    }

    #[test]
    fn attributes_choose_cipher() {
        assert_eq!(
            Phase1Cipher::from_attributes(5, None),
            Ok(Phase1Cipher::TripleDesCbc)
        );
        assert!(Phase1Cipher::from_attributes(7, None).is_err());
        assert_eq!(
            Phase1Cipher::from_attributes(7, Some(256)),
            Ok(Phase1Cipher::AesCbc256)
        );
        assert!(Phase1Cipher::from_attributes(7, Some(64)).is_err());
        assert_eq!(
            Phase1Cipher::from_attributes(1, None),
            Err(CipherError::UnsupportedAlgorithm(1))
        );
        for cipher in [
            Phase1Cipher::TripleDesCbc,
            Phase1Cipher::AesCbc128,
            Phase1Cipher::AesCbc192,
            Phase1Cipher::AesCbc256,
        ] {
            let parsed =
                Phase1Cipher::from_attributes(cipher.algorithm(), cipher.key_len_attribute());
            assert_eq!(parsed, Ok(cipher));
        }
    }
}
