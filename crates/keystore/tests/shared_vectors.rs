//! Known-answer tests against the project's shared material: RFC 3110 keys with their moduli,
//! and the RSA blocks of real Openswan and Libreswan ipsec.secrets files.
//!
//! The shared folder is `../shared` from the workspace root, or `$SHARED_DIR`.

use std::path::PathBuf;

use keystore::{PublicKey, RsaBlock, RsaSecret};

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[test]
fn rfc3110_vectors_decode_and_encode() {
    let path = shared_dir().join("vectors/rsa-keys/openswan_pubkey_0s_vs_modulus.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let vectors: serde_json::Value = serde_json::from_str(&text).unwrap();
    let vectors = vectors.as_array().unwrap();
    assert_eq!(vectors.len(), 13);

    for vector in vectors {
        let name = vector["file"].as_str().unwrap();
        let text = vector["pubkey_0s"].as_str().unwrap();
        let key: PublicKey = text
            .parse()
            .unwrap_or_else(|error| panic!("{name}: {error}"));

        assert_eq!(
            hex(&key.modulus()),
            vector["modulus_hex"].as_str().unwrap(),
            "{name}: modulus"
        );
        assert_eq!(
            hex(&key.exponent()),
            vector["public_exponent_hex"].as_str().unwrap(),
            "{name}: exponent"
        );
        // The listed size is the one the key was generated for; some moduli have a clear top bit.
        assert_eq!(
            8 * key.modulus_len() as u64,
            vector["bits"].as_u64().unwrap(),
            "{name}: size"
        );
        assert_eq!(key.to_rfc3110_0s(), text, "{name}: 0s round trip");

        let from_hex: PublicKey = key.to_rfc3110_0x().parse().unwrap();
        assert_eq!(from_hex, key, "{name}: 0x round trip");
        let from_dns: PublicKey = key.to_strongswan_dns().parse().unwrap();
        assert_eq!(from_dns, key, "{name}: dns:0s round trip");
    }
}

/// Returns each `: RSA {` ... `}` entry of a secrets file with the line number it starts on.
fn rsa_blocks(text: &str) -> Vec<(usize, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let opens = line.contains(": RSA")
            && !line.trim_start().starts_with('#')
            && (line.trim_end().ends_with('{')
                || lines.get(index + 1).is_some_and(|next| next.trim() == "{"));
        if !opens {
            index += 1;
            continue;
        }
        let end = (index..lines.len())
            .skip(1)
            .find(|&end| lines[end].trim_start().starts_with('}'))
            .expect("closing brace");
        blocks.push((index + 1, lines[index..=end].join("\n")));
        index = end + 1;
    }
    blocks
}

#[test]
fn corpus_rsa_blocks_load_and_check() {
    let dir = shared_dir().join("corpus/openswan-samples");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    names.sort();

    let mut private_blocks = 0;
    let mut nss_blocks = 0;
    for path in names {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        for (line, block) in rsa_blocks(&text) {
            let parsed = RsaBlock::parse_at(&block, line)
                .unwrap_or_else(|error| panic!("{}:{line}: {error}", path.display()));
            match parsed.secret {
                RsaSecret::Private(_) => private_blocks += 1,
                RsaSecret::Nss { .. } => nss_blocks += 1,
                _ => unreachable!(),
            }
        }
    }
    eprintln!("{private_blocks} private blocks, {nss_blocks} NSS reference blocks");
    assert_eq!(private_blocks, 13);
    assert_eq!(nss_blocks, 2);
}
