//! Encrypted messages of the real strongSwan sessions and the hand-made Main Mode capture decrypt
//! (with the logged keys and IVs) into payload chains that parse and pass the exchange checks.
//!
//! The ciphers come straight from the aes, des and cbc crates, so this test checks the codec's
//! encrypted-message split and padding handling independently of the negotiation engine.

#[path = "../../../examples/ikedump/src/capture.rs"]
#[allow(dead_code)]
mod capture;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use aes::cipher::{BlockDecryptMut, KeyIvInit};
use ike_wire::{
    check_payloads, emit_payloads, parse_payload_chain_with_padding, split_udp4500,
    EncryptedMessage, IsakmpMessage, Payload, PayloadType, Udp4500Payload,
};
use sha1::Digest;

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(shared) => PathBuf::from(shared),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// CBC-decrypts `ciphertext` with 3DES (24-byte key) or AES (16, 24 or 32 bytes).
fn cbc_decrypt(key: &[u8], iv: &[u8], ciphertext: &[u8]) -> Vec<u8> {
    use cbc::cipher::block_padding::NoPadding;

    let mut buffer = ciphertext.to_vec();
    let result = match (key.len(), iv.len()) {
        (24, 8) => cbc::Decryptor::<des::TdesEde3>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_mut::<NoPadding>(&mut buffer)
            .map(|_| ()),
        (16, 16) => cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_mut::<NoPadding>(&mut buffer)
            .map(|_| ()),
        (24, 16) => cbc::Decryptor::<aes::Aes192>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_mut::<NoPadding>(&mut buffer)
            .map(|_| ()),
        (32, 16) => cbc::Decryptor::<aes::Aes256>::new_from_slices(key, iv)
            .unwrap()
            .decrypt_padded_mut::<NoPadding>(&mut buffer)
            .map(|_| ()),
        other => panic!("no cipher for key and IV lengths {other:?}"),
    };
    result.expect("ciphertext is a whole number of blocks");
    buffer
}

/// Loads the logged key material of one gateway: every `{label, hex}` entry of the IKE group.
fn logged_keys(path: &Path) -> Vec<(String, Vec<u8>)> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let entries: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    entries
        .iter()
        .filter(|entry| entry["group"] == "IKE")
        .map(|entry| {
            let label = entry["label"].as_str().unwrap().to_owned();
            let value = hex::decode(entry["hex"].as_str().unwrap()).unwrap();
            (label, value)
        })
        .collect()
}

fn logged(keys: &[(String, Vec<u8>)], label: &str) -> Vec<Vec<u8>> {
    keys.iter()
        .filter(|(l, _)| l == label)
        .map(|(_, v)| v.clone())
        .collect()
}

/// Reads the IKE messages of a capture, without the non-ESP marker on port 4500.
fn ike_messages(path: &Path) -> Vec<(usize, Vec<u8>)> {
    let mut messages = Vec::new();
    for datagram in capture::read_datagrams(path).unwrap() {
        let bytes = if datagram.is_nat_t() {
            match split_udp4500(&datagram.payload).unwrap() {
                Udp4500Payload::Ike(message) => message.to_vec(),
                _ => continue,
            }
        } else {
            datagram.payload
        };
        messages.push((datagram.frame, bytes));
    }
    messages
}

/// Parses a decrypted body, checks it against its exchange, and checks that the payloads
/// re-emit to the plaintext before the padding. Returns the payload types.
fn parse_plaintext(message: &EncryptedMessage<'_>, plaintext: &[u8], what: &str) -> Vec<u8> {
    let (payloads, padding) =
        parse_payload_chain_with_padding(message.header.next_payload, plaintext)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
    check_payloads(message.header.exchange_type, &payloads, 28)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        padding.len() < 32,
        "{what}: {} bytes of padding",
        padding.len()
    );

    let emitted = emit_payloads(&payloads).unwrap();
    assert_eq!(
        emitted,
        plaintext[..plaintext.len() - padding.len()],
        "{what}"
    );
    assert_eq!(
        message.parse_decrypted(plaintext).unwrap(),
        payloads,
        "{what}"
    );
    payloads.iter().map(|p| p.payload_type().0).collect()
}

/// Decrypts every encrypted message of a strongSwan session and returns the payload types of
/// each. The IV chains per message ID (RFC 2409 appendix B). Phase 1 starts from the logged
/// initial IV, and a Phase 2 exchange from the first IV logged for its message ID. Each further
/// message continues from the previous ciphertext's last block.
fn decrypt_session(name: &str) -> Vec<Vec<u8>> {
    let dir = shared_dir().join("captures/strongswan").join(name);
    let keys = logged_keys(&dir.join("keys-gwL.json"));
    let key = &logged(&keys, "encryption key Ka")[0];
    let initial_iv = logged(&keys, "initial IV")[0].clone();

    let mut next_iv: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut decrypted = Vec::new();
    for (frame, bytes) in ike_messages(&dir.join("session.pcap")) {
        let IsakmpMessage::Encrypted(message) = IsakmpMessage::parse(&bytes).unwrap() else {
            continue;
        };
        let message_id = message.header.message_id;
        let iv = next_iv.remove(&message_id).unwrap_or_else(|| {
            if message_id == 0 {
                initial_iv.clone()
            } else {
                logged(&keys, &format!("next IV for MID {message_id}"))[0].clone()
            }
        });

        let plaintext = cbc_decrypt(key, &iv, message.body);
        let last_block = message.body[message.body.len() - iv.len()..].to_vec();
        next_iv.insert(message_id, last_block);

        let what = format!("{name} frame {frame}");
        decrypted.push(parse_plaintext(&message, &plaintext, &what));
    }
    decrypted
}

const ID: u8 = PayloadType::IDENTIFICATION.0;
const HASH: u8 = PayloadType::HASH.0;
const SIG: u8 = PayloadType::SIGNATURE.0;
const SA: u8 = PayloadType::SECURITY_ASSOCIATION.0;
const NONCE: u8 = PayloadType::NONCE.0;
const NOTIFY: u8 = PayloadType::NOTIFICATION.0;

#[test]
fn strongswan_psk_session_decrypts() {
    let messages = decrypt_session("psk-legacy");
    let expected: &[&[u8]] = &[
        // MM5: IDii, HASH_I and INITIAL-CONTACT. MM6: IDir, HASH_R.
        &[ID, HASH, NOTIFY],
        &[ID, HASH],
        // QM1 and QM2: HASH, SA, Nonce and both client IDs. QM3: HASH(3) alone.
        &[HASH, SA, NONCE, ID, ID],
        &[HASH, SA, NONCE, ID, ID],
        &[HASH],
    ];
    assert_eq!(messages, expected);
}

#[test]
fn strongswan_rsa_session_decrypts() {
    let messages = decrypt_session("rsa");
    let expected: &[&[u8]] = &[
        &[ID, SIG, NOTIFY],
        &[ID, SIG],
        &[HASH, SA, NONCE, ID, ID],
        &[HASH, SA, NONCE, ID, ID],
        &[HASH],
    ];
    assert_eq!(messages, expected);
}

/// The hand-made Main Mode exchange: 3DES with the key that tshark's decryption table lists, and
/// the Phase 1 IV of RFC 2409 appendix B, the first eight bytes of SHA1(g^xi | g^xr).
#[test]
fn handmade_mm5_decrypts_to_plaintext_file() {
    let handmade = shared_dir().join("captures/handmade");
    let table = std::fs::read_to_string(shared_dir().join("oracles/tshark/ikev1_decryption_table"))
        .unwrap();
    let (cookie, key) = table.trim().split_once(',').unwrap();
    let key = hex::decode(key).unwrap();

    let messages = ike_messages(&handmade.join("ikev1_mm_encrypted.pcap"));
    let mut public_values = Vec::new();
    let mut encrypted = None;
    for (_, bytes) in &messages {
        match IsakmpMessage::parse(bytes).unwrap() {
            IsakmpMessage::Plain(message) => {
                for payload in message.payloads {
                    if let Payload::Ke(ke) = payload {
                        public_values.push(ke.data);
                    }
                }
            }
            IsakmpMessage::Encrypted(message) => {
                encrypted.get_or_insert(message);
            }
        }
    }
    let message = encrypted.expect("an encrypted MM5");
    assert_eq!(hex::encode(message.header.initiator_cookie), cookie);
    assert_eq!(public_values.len(), 2, "KE payloads of MM3 and MM4");

    let digest = sha1::Sha1::new()
        .chain_update(&public_values[0])
        .chain_update(&public_values[1])
        .finalize();
    let plaintext = cbc_decrypt(&key, &digest[..8], message.body);

    let expected =
        std::fs::read_to_string(handmade.join("ikev1_mm5_plaintext_payloads.hex")).unwrap();
    assert_eq!(hex::encode(&plaintext), expected.trim());
    assert_eq!(
        parse_plaintext(&message, &plaintext, "handmade MM5"),
        [ID, HASH]
    );
}
