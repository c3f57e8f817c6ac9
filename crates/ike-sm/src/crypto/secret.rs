//! A byte string that is zeroized on drop and never printed.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret key material: SKEYID and its children, DH shared secrets, KEYMAT, private values.
///
/// The bytes are overwritten with zeros when the value is dropped. `Debug` prints only the length,
/// and `PartialEq` compares in constant time. Read the bytes with [`Secret::as_bytes`].
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps `bytes`, taking ownership so that no unzeroized copy is left behind by this call.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// Copies `bytes` into a new secret.
    pub fn from_slice(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// Returns the secret bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns whether the secret has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Shortens the secret to `len` bytes, zeroizing the bytes cut off. Does nothing when the
    /// secret is already at most `len` bytes long.
    pub fn truncate(&mut self, len: usize) {
        if len < self.0.len() {
            self.0[len..].zeroize();
            self.0.truncate(len);
        }
    }

    /// Appends `bytes`. Grows by reallocating into a zeroized-on-drop buffer, so that the old
    /// allocation is wiped before it is freed.
    pub(crate) fn extend_from_slice(&mut self, bytes: &[u8]) {
        if self.0.capacity() - self.0.len() < bytes.len() {
            let mut grown = Vec::with_capacity((self.0.len() + bytes.len()).max(2 * self.0.len()));
            grown.extend_from_slice(&self.0);
            self.0.zeroize();
            self.0 = grown;
        }
        self.0.extend_from_slice(bytes);
    }
}

impl AsRef<[u8]> for Secret {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Secret {}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_bytes() {
        let secret = Secret::from_slice(&[0xAB; 4]);
        let printed = format!("{secret:?}");
        assert_eq!(printed, "Secret(4 bytes)");
    }

    #[test]
    fn truncate_and_extend() {
        let mut secret = Secret::from_slice(b"abcdef");
        secret.truncate(3);
        assert_eq!(secret.as_bytes(), b"abc");
        secret.extend_from_slice(b"xyz0123456789");
        assert_eq!(secret.as_bytes(), b"abcxyz0123456789");
    }
}
