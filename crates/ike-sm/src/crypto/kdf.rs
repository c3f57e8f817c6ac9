//! RFC 2409 key derivation and authentication hashes.
//!
//! Notation follows RFC 2409 section 3.2: `_b` is a payload's body without its generic header,
//! `|` is concatenation, `CKY-I`/`CKY-R` are the ISAKMP header cookies and `M-ID` the header's
//! 4-byte message ID in network order. `g^xy` is the shared secret in its wire encoding, as
//! [`DhPrivate::shared_secret`](super::DhPrivate::shared_secret) returns it.
//!
//! Every function is deterministic and allocates only its output. Secret outputs are
//! [`Secret`]s; authentication hashes, which travel in the clear, are plain `Vec<u8>`.

use super::{Hash, KeyedPrf, Prf, Secret};

/// SKEYID for pre-shared key authentication (RFC 2409 section 5):
/// `prf(pre-shared-key, Ni_b | Nr_b)`.
pub fn skeyid_psk(prf: Prf, psk: &[u8], ni_b: &[u8], nr_b: &[u8]) -> Secret {
    prf.prf(psk, &[ni_b, nr_b])
}

/// SKEYID for signature authentication (RFC 2409 section 5): `prf(Ni_b | Nr_b, g^xy)`.
pub fn skeyid_sig(prf: Prf, ni_b: &[u8], nr_b: &[u8], gxy: &[u8]) -> Secret {
    let mut key = Secret::new(Vec::with_capacity(ni_b.len() + nr_b.len()));
    key.extend_from_slice(ni_b);
    key.extend_from_slice(nr_b);
    prf.prf(key.as_bytes(), &[gxy])
}

/// SKEYID_d, SKEYID_a and SKEYID_e: the keys for IPsec SA keying material, for ISAKMP message
/// authentication and for ISAKMP encryption.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkeyidChain {
    /// `prf(SKEYID, g^xy | CKY-I | CKY-R | 0)`.
    pub skeyid_d: Secret,
    /// `prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)`.
    pub skeyid_a: Secret,
    /// `prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)`.
    pub skeyid_e: Secret,
}

/// Derives SKEYID_d, SKEYID_a and SKEYID_e from SKEYID (RFC 2409 section 5). The constants 0, 1
/// and 2 are single octets.
pub fn skeyid_dae(
    prf: Prf,
    skeyid: &Secret,
    gxy: &[u8],
    cky_i: &[u8; 8],
    cky_r: &[u8; 8],
) -> SkeyidChain {
    let keyed = prf.keyed(skeyid.as_bytes());
    let skeyid_d = keyed.prf(&[gxy, cky_i, cky_r, &[0]]);
    let skeyid_a = keyed.prf(&[skeyid_d.as_bytes(), gxy, cky_i, cky_r, &[1]]);
    let skeyid_e = keyed.prf(&[skeyid_a.as_bytes(), gxy, cky_i, cky_r, &[2]]);
    SkeyidChain {
        skeyid_d,
        skeyid_a,
        skeyid_e,
    }
}

/// Derives the phase 1 encryption key of `key_len` bytes from SKEYID_e (RFC 2409 appendix B).
///
/// When SKEYID_e is long enough its first `key_len` bytes are the key. Otherwise the key is the
/// first `key_len` bytes of `K1 | K2 | K3 | ...` with `K1 = prf(SKEYID_e, 0)` (one zero octet) and
/// `Kn = prf(SKEYID_e, K(n-1))`. This is what strongSwan 5.9.8, Libreswan and the NIST CAVP
/// vectors do, e.g. for AES-256 with HMAC-SHA1 or 3DES with HMAC-MD5.
pub fn phase1_enc_key(prf: Prf, skeyid_e: &Secret, key_len: usize) -> Secret {
    if skeyid_e.len() >= key_len {
        let mut key = skeyid_e.clone();
        key.truncate(key_len);
        return key;
    }

    let mut key = Secret::new(Vec::with_capacity(key_len + prf.output_len()));
    let keyed = prf.keyed(skeyid_e.as_bytes());
    let mut block = keyed.prf(&[&[0]]);
    loop {
        key.extend_from_slice(block.as_bytes());
        if key.len() >= key_len {
            break;
        }
        block = keyed.prf(&[block.as_bytes()]);
    }
    key.truncate(key_len);
    key
}

/// Computes the phase 1 IV (RFC 2409 appendix B): `hash(g^xi | g^xr)` truncated to `block_size` bytes,
/// where `hash` is the negotiated hash (not the PRF), g^xi the initiator's and g^xr the
/// responder's public value.
pub fn phase1_iv(hash: Hash, gxi: &[u8], gxr: &[u8], block_size: usize) -> Vec<u8> {
    let mut iv = hash.digest(&[gxi, gxr]);
    iv.truncate(block_size);
    iv
}

/// Computes the first IV of a phase 2 or Informational exchange (RFC 2409 appendix B):
/// `hash(last phase 1 CBC output block | M-ID)` truncated to `block_size` bytes. Later messages
/// of the same exchange chain from the last ciphertext block, as in phase 1.
pub fn phase2_iv(
    hash: Hash,
    last_phase1_block: &[u8],
    message_id: u32,
    block_size: usize,
) -> Vec<u8> {
    let mut iv = hash.digest(&[last_phase1_block, &message_id.to_be_bytes()]);
    iv.truncate(block_size);
    iv
}

/// HASH_I (RFC 2409 section 5):
/// `prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)`.
///
/// `sai_b` is the body of the initiator's whole SA payload (from the DOI field on), and `idii_b`
/// the body of the initiator's ID payload.
#[allow(clippy::too_many_arguments)]
pub fn hash_i(
    prf: Prf,
    skeyid: &Secret,
    gxi: &[u8],
    gxr: &[u8],
    cky_i: &[u8; 8],
    cky_r: &[u8; 8],
    sai_b: &[u8],
    idii_b: &[u8],
) -> Vec<u8> {
    prf.prf(skeyid.as_bytes(), &[gxi, gxr, cky_i, cky_r, sai_b, idii_b])
        .as_bytes()
        .to_vec()
}

/// HASH_R (RFC 2409 section 5):
/// `prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)`.
///
/// Arguments are in the initiator/responder roles, not in the order they are hashed; `sai_b` is
/// still the initiator's SA payload body.
#[allow(clippy::too_many_arguments)]
pub fn hash_r(
    prf: Prf,
    skeyid: &Secret,
    gxi: &[u8],
    gxr: &[u8],
    cky_i: &[u8; 8],
    cky_r: &[u8; 8],
    sai_b: &[u8],
    idir_b: &[u8],
) -> Vec<u8> {
    prf.prf(skeyid.as_bytes(), &[gxr, gxi, cky_r, cky_i, sai_b, idir_b])
        .as_bytes()
        .to_vec()
}

/// Quick Mode HASH(1) (RFC 2409 section 5.5): `prf(SKEYID_a, M-ID | <message after HASH>)`.
///
/// `after_hash` is every payload that follows the HASH payload, with generic headers, exactly
/// as sent (SA | Ni [| KE] [| IDci | IDcr] and any Notify or NAT-OA payloads), without the
/// padding.
pub fn quick_mode_hash1(
    prf: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    after_hash: &[u8],
) -> Vec<u8> {
    prf.prf(
        skeyid_a.as_bytes(),
        &[&message_id.to_be_bytes(), after_hash],
    )
    .as_bytes()
    .to_vec()
}

/// Quick Mode HASH(2) (RFC 2409 section 5.5):
/// `prf(SKEYID_a, M-ID | Ni_b | <message after HASH>)`, with `ni_b` the body of the initiator's
/// Nonce payload and `after_hash` as in [`quick_mode_hash1`].
pub fn quick_mode_hash2(
    prf: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    ni_b: &[u8],
    after_hash: &[u8],
) -> Vec<u8> {
    prf.prf(
        skeyid_a.as_bytes(),
        &[&message_id.to_be_bytes(), ni_b, after_hash],
    )
    .as_bytes()
    .to_vec()
}

/// Quick Mode HASH(3) (RFC 2409 section 5.5): `prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)`, the 0
/// being one octet.
pub fn quick_mode_hash3(
    prf: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    ni_b: &[u8],
    nr_b: &[u8],
) -> Vec<u8> {
    prf.prf(
        skeyid_a.as_bytes(),
        &[&[0], &message_id.to_be_bytes(), ni_b, nr_b],
    )
    .as_bytes()
    .to_vec()
}

/// Informational HASH(1) (RFC 2409 section 5.7): `prf(SKEYID_a, M-ID | N/D)`, with `after_hash`
/// the Notify or Delete payload(s) following HASH, generic headers included.
pub fn informational_hash1(
    prf: Prf,
    skeyid_a: &Secret,
    message_id: u32,
    after_hash: &[u8],
) -> Vec<u8> {
    quick_mode_hash1(prf, skeyid_a, message_id, after_hash)
}

/// Quick Mode KEYMAT of `len` bytes for one SA direction (RFC 2409 section 5.5).
///
/// Without PFS: `prf(SKEYID_d, protocol | SPI | Ni_b | Nr_b)`. With PFS, `gxy_qm` is the Quick
/// Mode shared secret and is prepended: `prf(SKEYID_d, g(qm)^xy | protocol | SPI | Ni_b | Nr_b)`.
/// When one output is too short, the blocks chain: `K1 = prf(SKEYID_d, [g(qm)^xy |] protocol |
/// SPI | Ni_b | Nr_b)`, `Kn = prf(SKEYID_d, K(n-1) | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)`,
/// `KEYMAT = K1 | K2 | ...`. `protocol` is the Protocol-ID (3 for ESP) and `spi` the SPI of the
/// SA being keyed: the one its receiver chose. Callers take the encryption key from the front
/// and the integrity key after it, as strongSwan 5.9.8 does (checked by the session replay test).
#[allow(clippy::too_many_arguments)]
pub fn keymat(
    prf: Prf,
    skeyid_d: &Secret,
    gxy_qm: Option<&[u8]>,
    protocol: u8,
    spi: &[u8],
    ni_b: &[u8],
    nr_b: &[u8],
    len: usize,
) -> Secret {
    let keyed = prf.keyed(skeyid_d.as_bytes());
    keymat_keyed(&keyed, gxy_qm, protocol, spi, ni_b, nr_b, len)
}

/// Derives KEYMAT as [`keymat`] does, with SKEYID_d already absorbed into `skeyid_d`.
pub(crate) fn keymat_keyed(
    skeyid_d: &KeyedPrf,
    gxy_qm: Option<&[u8]>,
    protocol: u8,
    spi: &[u8],
    ni_b: &[u8],
    nr_b: &[u8],
    len: usize,
) -> Secret {
    let gxy: &[u8] = gxy_qm.unwrap_or(&[]);
    let protocol = [protocol];

    // Room for the whole last block, so that the secret is never moved by a reallocation.
    let mut keymat = Secret::new(Vec::with_capacity(len + skeyid_d.output_len()));
    let mut block = skeyid_d.prf(&[gxy, &protocol, spi, ni_b, nr_b]);
    loop {
        keymat.extend_from_slice(block.as_bytes());
        if keymat.len() >= len {
            break;
        }
        block = skeyid_d.prf(&[block.as_bytes(), gxy, &protocol, spi, ni_b, nr_b]);
    }
    keymat.truncate(len);
    keymat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enc_key_truncates_long_skeyid_e() {
        let prf = Prf::hmac(Hash::Sha256);
        let skeyid_e = Secret::new((0..32).collect());
        let key = phase1_enc_key(prf, &skeyid_e, 16);
        assert_eq!(key.as_bytes(), &skeyid_e.as_bytes()[..16]);
    }

    #[test]
    fn enc_key_expands_short_skeyid_e() {
        let prf = Prf::hmac(Hash::Md5);
        let skeyid_e = Secret::new((0..16).collect());
        let key = phase1_enc_key(prf, &skeyid_e, 24);

        let k1 = prf.prf(skeyid_e.as_bytes(), &[&[0]]);
        let k2 = prf.prf(skeyid_e.as_bytes(), &[k1.as_bytes()]);
        let mut expected = k1.as_bytes().to_vec();
        expected.extend_from_slice(&k2.as_bytes()[..8]);
        assert_eq!(key.as_bytes(), expected);
    }

    #[test]
    fn keymat_chains_blocks() {
        let prf = Prf::hmac(Hash::Sha1);
        let skeyid_d = Secret::new(vec![9; 20]);
        let spi = [0x12, 0x34, 0x56, 0x78];
        let gxy = [5u8; 128];
        let keymat = keymat(prf, &skeyid_d, Some(&gxy), 3, &spi, b"ni", b"nr", 50);

        let k1 = prf.prf(skeyid_d.as_bytes(), &[&gxy, &[3], &spi, b"ni", b"nr"]);
        let k2 = prf.prf(
            skeyid_d.as_bytes(),
            &[k1.as_bytes(), &gxy, &[3], &spi, b"ni", b"nr"],
        );
        let k3 = prf.prf(
            skeyid_d.as_bytes(),
            &[k2.as_bytes(), &gxy, &[3], &spi, b"ni", b"nr"],
        );
        let expected: Vec<u8> = [k1.as_bytes(), k2.as_bytes(), &k3.as_bytes()[..10]].concat();
        assert_eq!(keymat.as_bytes(), expected);
    }

    #[test]
    fn ivs_truncate_to_block() {
        let iv = phase1_iv(Hash::Sha256, b"gxi", b"gxr", 16);
        assert_eq!(iv, Hash::Sha256.digest(&[b"gxigxr"])[..16]);
        let iv = phase2_iv(Hash::Md5, &[1; 8], 0x0102_0304, 8);
        assert_eq!(iv, Hash::Md5.digest(&[&[1; 8], &[1, 2, 3, 4]])[..8]);
    }
}
