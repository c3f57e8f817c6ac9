//! IKEv1 RSA signatures: round trips, agreement with OpenSSL's PKCS#1 v1.5 type 1 signing, and
//! rejection of the e=3 forgeries that fool verifiers which parse the decrypted block.

use std::path::PathBuf;
use std::process::Command;

use keystore::{PrivateKey, PublicKey, SignatureError};
use rsa::BigUint;

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Libreswan 4.10's RSA key for the left gateway, exported from its NSS database as PKCS#8.
fn libreswan_left_key() -> (PathBuf, PrivateKey) {
    let path = shared_dir().join("interop/libreswan/golden/keys/L-private-pkcs8.pem");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    (path, PrivateKey::from_pem(&text).unwrap())
}

/// A 2048-bit e=3 public key from Openswan's own signature tests.
const E3_KEY_2048: &str =
    "0sAQO8vQM7bbu4Bwy/FH5IRs3s8NXCLEw/6iL3KO6oa1mrA0L/eIQBtwlC3xBHymnmeA3lKCwWLSCswTcGz/pRyChMo1BQDP1EmbJvVbqf05sSEc3++q0lMrvPSH0696wJkJrCLQiBNz6EzCn3S4O87JMYHs9isD1gHnW3fU4JSB4DH/jx4EMXvyGsmG7raubbvERM8BRYx8c2wqIec/oZHhmhaW25o+P3hhgiBzniX8WKKmY/nxr9/7ZLnzM+uW3+XWAARUKIn3LUWgJA9FiZ7P/LmIWoafCYvTUIj3d+BrVoWky5LvIcHA/ms26Xm3VUfKtYFhjT94t5SQ7tTFLjSRVT";

#[test]
fn sign_verify_round_trip() {
    let (_, key) = libreswan_left_key();
    let public = key.public();

    for hash_len in [16, 20, 32, 48, 64] {
        let hash: Vec<u8> = (0..hash_len).map(|i| i as u8 ^ 0x5a).collect();
        let signature = key.ikev1_sign(&hash).unwrap();
        assert_eq!(signature.len(), public.modulus_len());
        assert_eq!(public.ikev1_verify(&hash, &signature), Ok(()));

        let mut other_hash = hash.clone();
        other_hash[0] ^= 1;
        assert_eq!(
            public.ikev1_verify(&other_hash, &signature),
            Err(SignatureError::Mismatch)
        );

        let mut flipped = signature.clone();
        flipped[100] ^= 0x80;
        assert_eq!(
            public.ikev1_verify(&hash, &flipped),
            Err(SignatureError::Mismatch)
        );
    }
}

#[test]
fn verify_rejects_wrong_length() {
    let (_, key) = libreswan_left_key();
    let public = key.public();
    let signature = key.ikev1_sign(&[7; 20]).unwrap();

    assert_eq!(
        public.ikev1_verify(&[7; 20], &signature[1..]),
        Err(SignatureError::Length {
            found: signature.len() - 1,
            expected: signature.len()
        })
    );
    let mut longer = vec![0];
    longer.extend_from_slice(&signature);
    assert!(public.ikev1_verify(&[7; 20], &longer).is_err());
}

#[test]
fn sign_rejects_oversized_hash() {
    let (_, key) = libreswan_left_key();
    let modulus_len = key.public().modulus_len();
    assert_eq!(
        key.ikev1_sign(&vec![1; modulus_len - 10]),
        Err(SignatureError::HashTooLong {
            hash_len: modulus_len - 10,
            modulus_len
        })
    );
}

/// PKCS#1 v1.5 signatures are deterministic, so ours must equal OpenSSL's raw type 1 signature
/// (`pkeyutl -sign` with no digest pads the input as is, without a DigestInfo).
#[test]
fn signature_matches_openssl() {
    let (path, key) = libreswan_left_key();
    let hash: Vec<u8> = (0u8..20).collect();
    let input = std::env::temp_dir().join(format!("keystore-hash-{}.bin", std::process::id()));
    std::fs::write(&input, &hash).unwrap();

    let output = Command::new("openssl")
        .args([
            "pkeyutl",
            "-sign",
            "-pkeyopt",
            "rsa_padding_mode:pkcs1",
            "-inkey",
        ])
        .arg(&path)
        .arg("-in")
        .arg(&input)
        .output()
        .expect("openssl must be installed (scripts/install-deps.sh installs it)");
    std::fs::remove_file(&input).unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    assert_eq!(key.ikev1_sign(&hash).unwrap(), output.stdout);
}

/// Bleichenbacher's e=3 forgery: the cube root of `00 01 FF*8 00 hash garbage` cubes back to a
/// block whose first bytes are right and whose tail is garbage. A verifier that parses the
/// block and stops after the hash accepts it; ours compares the whole block.
#[test]
fn e3_forgery_rejected() {
    let public: PublicKey = E3_KEY_2048.parse().unwrap();
    assert_eq!(public.exponent(), [3]);
    let modulus_len = public.modulus_len();
    let hash = [0xabu8; 20];

    let mut prefix = vec![0x00, 0x01];
    prefix.extend_from_slice(&[0xff; 8]);
    prefix.push(0x00);
    prefix.extend_from_slice(&hash);
    let mut target = prefix.clone();
    target.resize(modulus_len, 0x00);

    let forged = BigUint::from_bytes_be(&target).cbrt() + BigUint::from(1u8);
    let cubed = (&forged * &forged * &forged).to_bytes_be();
    let mut block = vec![0u8; modulus_len - cubed.len()];
    block.extend_from_slice(&cubed);
    assert_eq!(
        &block[..prefix.len()],
        &prefix[..],
        "forgery must fool a parsing verifier"
    );
    assert_ne!(
        &block[prefix.len()..],
        &vec![0u8; modulus_len - prefix.len()][..]
    );

    let mut signature = vec![0u8; modulus_len];
    let forged_bytes = forged.to_bytes_be();
    signature[modulus_len - forged_bytes.len()..].copy_from_slice(&forged_bytes);
    assert_eq!(
        public.ikev1_verify(&hash, &signature),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn signature_not_below_modulus_rejected() {
    let public: PublicKey = E3_KEY_2048.parse().unwrap();
    let modulus = public.modulus();
    assert_eq!(
        public.ikev1_verify(&[0; 20], &modulus),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        public.ikev1_verify(&[0; 20], &vec![0xff; modulus.len()]),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn libreswan_key_ids() {
    let golden = shared_dir().join("interop/libreswan/golden/keys");
    let (_, key) = libreswan_left_key();
    let public = key.public();

    let ckaid = std::fs::read_to_string(golden.join("L.ckaid")).unwrap();
    assert_eq!(public.ckaid_hex(), ckaid.trim());
    assert_eq!(public.keyid(), "AwEAAeScH");

    let showhostkey =
        std::fs::read_to_string(golden.join("L-ipsec-showhostkey-left.stdout")).unwrap();
    let expected = format!("\tleftrsasigkey={}", public.to_rfc3110_0s());
    assert!(
        showhostkey.lines().any(|line| line == expected),
        "{showhostkey}"
    );

    let pem = std::fs::read_to_string(golden.join("L-ipsec-showhostkey-pem.stdout")).unwrap();
    assert_eq!(PublicKey::from_pem(&pem).unwrap(), public);
    assert_eq!(public.to_pem().unwrap().trim(), pem.trim());
}
