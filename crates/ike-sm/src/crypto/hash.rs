//! Hash functions and HMAC-based PRFs negotiated in phase 1.

use std::fmt;

use hmac::{Hmac, Mac};
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::Secret;

/// A hash algorithm from the phase 1 Hash Algorithm attribute (RFC 2409 appendix A, class 2).
///
/// Tiger (3) is not supported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Hash {
    /// MD5 (attribute value 1), 16-byte output.
    Md5,
    /// SHA-1 (attribute value 2), 20-byte output.
    Sha1,
    /// SHA2-256 (attribute value 4), 32-byte output.
    Sha256,
    /// SHA2-384 (attribute value 5), 48-byte output.
    Sha384,
    /// SHA2-512 (attribute value 6), 64-byte output.
    Sha512,
}

impl Hash {
    /// Every supported hash, in attribute value order.
    pub const ALL: [Hash; 5] = [
        Hash::Md5,
        Hash::Sha1,
        Hash::Sha256,
        Hash::Sha384,
        Hash::Sha512,
    ];

    /// Maps a phase 1 Hash Algorithm attribute value to a hash, `None` for unsupported values.
    pub fn from_attribute(value: u16) -> Option<Self> {
        match value {
            1 => Some(Hash::Md5),
            2 => Some(Hash::Sha1),
            4 => Some(Hash::Sha256),
            5 => Some(Hash::Sha384),
            6 => Some(Hash::Sha512),
            _ => None,
        }
    }

    /// Returns the phase 1 Hash Algorithm attribute value.
    pub fn attribute(self) -> u16 {
        match self {
            Hash::Md5 => 1,
            Hash::Sha1 => 2,
            Hash::Sha256 => 4,
            Hash::Sha384 => 5,
            Hash::Sha512 => 6,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            Hash::Md5 => 16,
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }

    /// Hashes the concatenation of `parts`.
    pub fn digest(self, parts: &[&[u8]]) -> Vec<u8> {
        fn run<D: Digest>(parts: &[&[u8]]) -> Vec<u8> {
            let mut hasher = D::new();
            for part in parts {
                hasher.update(part);
            }
            hasher.finalize().to_vec()
        }

        match self {
            Hash::Md5 => run::<Md5>(parts),
            Hash::Sha1 => run::<Sha1>(parts),
            Hash::Sha256 => run::<Sha256>(parts),
            Hash::Sha384 => run::<Sha384>(parts),
            Hash::Sha512 => run::<Sha512>(parts),
        }
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Hash::Md5 => "MD5",
            Hash::Sha1 => "SHA1",
            Hash::Sha256 => "SHA2_256",
            Hash::Sha384 => "SHA2_384",
            Hash::Sha512 => "SHA2_512",
        };
        f.write_str(name)
    }
}

/// The phase 1 pseudo-random function: HMAC (RFC 2104) over the negotiated hash.
///
/// RFC 2409 section 4 makes the HMAC version of the negotiated hash the PRF when no PRF attribute
/// is negotiated, which is what every IKEv1 implementation in use does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prf {
    hash: Hash,
}

impl Prf {
    /// HMAC over `hash`.
    pub fn hmac(hash: Hash) -> Self {
        Self { hash }
    }

    /// Returns the underlying hash.
    pub fn hash(self) -> Hash {
        self.hash
    }

    /// Output length in bytes, the hash's output length.
    pub fn output_len(self) -> usize {
        self.hash.output_len()
    }

    /// Computes prf(key, parts[0] | parts[1] | ...). Keys of any length are accepted, as HMAC
    /// hashes keys longer than the block size.
    pub fn prf(self, key: &[u8], parts: &[&[u8]]) -> Secret {
        self.keyed(key).prf(parts)
    }

    /// Absorbs `key` once, for several outputs under the same key.
    pub(crate) fn keyed(self, key: &[u8]) -> KeyedPrf {
        fn new<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> M {
            let Ok(mac) = <M as hmac::digest::KeyInit>::new_from_slice(key) else {
                unreachable!("HMAC accepts keys of any length")
            };
            mac
        }

        let state = match self.hash {
            Hash::Md5 => KeyedState::Md5(new(key)),
            Hash::Sha1 => KeyedState::Sha1(new(key)),
            Hash::Sha256 => KeyedState::Sha256(new(key)),
            Hash::Sha384 => KeyedState::Sha384(new(key)),
            Hash::Sha512 => KeyedState::Sha512(new(key)),
        };
        KeyedPrf {
            hash: self.hash,
            state,
        }
    }
}

/// A PRF whose key is already absorbed: the HMAC states after the inner and the outer key block
/// (RFC 2104 section 4), so that each output costs only the hashing of its input.
///
/// NOTE: the `hmac` crate does not zeroize these key-derived states on drop, so values of this
/// type live only inside one derivation and are never stored.
pub(crate) struct KeyedPrf {
    hash: Hash,
    state: KeyedState,
}

enum KeyedState {
    Md5(Hmac<Md5>),
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl KeyedPrf {
    /// Output length in bytes, the hash's output length.
    pub(crate) fn output_len(&self) -> usize {
        self.hash.output_len()
    }

    /// Computes prf(key, parts[0] | parts[1] | ...) under the absorbed key.
    pub(crate) fn prf(&self, parts: &[&[u8]]) -> Secret {
        fn run<M: Mac + Clone>(mac: &M, parts: &[&[u8]]) -> Secret {
            let mut mac = mac.clone();
            for part in parts {
                mac.update(part);
            }
            Secret::new(mac.finalize().into_bytes().to_vec())
        }

        match &self.state {
            KeyedState::Md5(mac) => run(mac, parts),
            KeyedState::Sha1(mac) => run(mac, parts),
            KeyedState::Sha256(mac) => run(mac, parts),
            KeyedState::Sha384(mac) => run(mac, parts),
            KeyedState::Sha512(mac) => run(mac, parts),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(text: &str) -> Vec<u8> {
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn attribute_values_round_trip() {
        for hash in Hash::ALL {
            assert_eq!(Hash::from_attribute(hash.attribute()), Some(hash));
        }
        assert_eq!(Hash::from_attribute(3), None, "Tiger is not supported");
    }

    #[test]
    fn digest_known_answers() {
        assert_eq!(
            Hash::Md5.digest(&[b"a", b"bc"]),
            unhex("900150983cd24fb0d6963f7d28e17f72")
        );
        assert_eq!(
            Hash::Sha1.digest(&[b"abc"]),
            unhex("a9993e364706816aba3e25717850c26c9cd0d89d")
        );
        assert_eq!(
            Hash::Sha256.digest(&[b"ab", b"c"]),
            unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
    }

    /// RFC 2202 test cases 1, 2 and 6 for HMAC-MD5 and HMAC-SHA-1.
    #[test]
    fn hmac_rfc2202() {
        let key1_md5 = [0x0b; 16];
        let key1_sha1 = [0x0b; 20];
        let long_key = [0xaa; 80];
        let long_data = b"Test Using Larger Than Block-Size Key - Hash Key First";

        let md5 = Prf::hmac(Hash::Md5);
        assert_eq!(
            md5.prf(&key1_md5, &[b"Hi There"]).as_bytes(),
            unhex("9294727a3638bb1c13f48ef8158bfc9d")
        );
        assert_eq!(
            md5.prf(b"Jefe", &[b"what do ya want ", b"for nothing?"])
                .as_bytes(),
            unhex("750c783e6ab0b503eaa86e310a5db738")
        );
        assert_eq!(
            md5.prf(&long_key, &[long_data]).as_bytes(),
            unhex("6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd")
        );

        let sha1 = Prf::hmac(Hash::Sha1);
        assert_eq!(
            sha1.prf(&key1_sha1, &[b"Hi There"]).as_bytes(),
            unhex("b617318655057264e28bc0b6fb378c8ef146be00")
        );
        assert_eq!(
            sha1.prf(b"Jefe", &[b"what do ya want for nothing?"])
                .as_bytes(),
            unhex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79")
        );
        assert_eq!(
            sha1.prf(&long_key, &[long_data]).as_bytes(),
            unhex("aa4ae5e15272d00e95705637ce8a3b55ed402112")
        );
    }

    /// RFC 4231 test cases 1, 2 and 6 for HMAC-SHA-256, -384 and -512.
    #[test]
    fn hmac_rfc4231() {
        let key1 = [0x0b; 20];
        let key6 = [0xaa; 131];
        let data6: &[u8] = b"Test Using Larger Than Block-Size Key - Hash Key First";
        let cases: [(Hash, [&str; 3]); 3] = [
            (
                Hash::Sha256,
                [
                    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
                    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
                ],
            ),
            (
                Hash::Sha384,
                [
                    "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c\
                     faea9ea9076ede7f4af152e8b2fa9cb6",
                    "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
                     8e2240ca5e69e2c78b3239ecfab21649",
                    "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6\
                     0c2ef6ab4030fe8296248df163f44952",
                ],
            ),
            (
                Hash::Sha512,
                [
                    "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde\
                     daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854",
                    "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
                     9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
                    "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352\
                     6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598",
                ],
            ),
        ];

        for (hash, expected) in cases {
            let prf = Prf::hmac(hash);
            assert_eq!(
                prf.prf(&key1, &[b"Hi There"]).as_bytes(),
                unhex(expected[0]),
                "{hash} case 1"
            );
            assert_eq!(
                prf.prf(b"Jefe", &[b"what do ya want for nothing?"])
                    .as_bytes(),
                unhex(expected[1]),
                "{hash} case 2"
            );
            assert_eq!(
                prf.prf(&key6, &[data6]).as_bytes(),
                unhex(expected[2]),
                "{hash} case 6"
            );
            assert_eq!(prf.output_len(), hash.output_len());
        }
    }
}
