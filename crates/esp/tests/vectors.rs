//! Known-answer tests: RFC 3602 AES-CBC ESP cases and the RFC 4106 AES-GCM cases of
//! draft-mcgrew-gcm-test-01, in both directions.

mod common;

use std::time::Instant;

use common::*;
use esp::{
    Cipher, InboundSa, Integrity, Keys, Mode, OutboundSa, PacketBuf, SaConfig, Suite, MAX_HEADROOM,
};
use serde_json::Value;

fn load(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn field<'a>(case: &'a Value, name: &str) -> &'a str {
    case[name]
        .as_str()
        .unwrap_or_else(|| panic!("field {name} missing in {case}"))
}

/// Encapsulates `payload` with a fixed IV and sequence number and returns the ESP packet.
fn encapsulate_fixed(
    config: SaConfig,
    keys: &Keys,
    seq: u64,
    iv: &[u8],
    payload: &[u8],
    next_header: u8,
) -> Vec<u8> {
    let now = Instant::now();
    let mut rng = <rand_chacha::ChaCha20Rng as esp::rand_core::SeedableRng>::from_seed([0; 32]);
    let mut outbound = OutboundSa::new(config, keys, now, &mut rng).unwrap();
    outbound.set_last_seq(seq - 1);
    let mut storage = storage_with(payload);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, payload.len());
    let sent = outbound
        .encapsulate_payload_with_iv(now, &mut buf, next_header, iv)
        .expect("encapsulate");
    assert_eq!(sent.seq, seq);
    storage[sent.esp].to_vec()
}

/// Decapsulates `packet` and returns the payload and Next Header.
fn decapsulate(
    config: SaConfig,
    keys: &Keys,
    seq: u64,
    packet: &[u8],
) -> Result<(Vec<u8>, u8), esp::EspError> {
    let now = Instant::now();
    let mut inbound = InboundSa::new(config, keys, now).unwrap();
    inbound.set_highest_seq(seq - 1);
    let mut storage = packet.to_vec();
    let mut buf = PacketBuf::new(&mut storage, 0, packet.len());
    let received = inbound.decapsulate(now, &mut buf)?;
    assert_eq!(received.seq, seq);
    Ok((storage[received.packet].to_vec(), received.next_header))
}

#[test]
fn rfc3602_esp_packets_both_directions() {
    let doc = load(&shared_dir().join("vectors/esp/rfc3602_aes_cbc.json"));
    let cases = doc["esp_packets"].as_array().expect("esp_packets array");
    assert_eq!(cases.len(), 4, "RFC 3602 has four ESP cases (5 to 8)");
    for case in cases {
        let name = format!("RFC 3602 case {}", case["rfc3602_case"]);
        let key = hex(field(case, "key"));
        let spi = u32::from_str_radix(field(case, "spi"), 16).unwrap();
        let seq = case["seq"].as_u64().unwrap();
        let next_header = case["next_header"].as_u64().unwrap() as u8;
        let payload = hex(field(case, "payload"));
        let packet = hex(field(case, "esp_packet"));
        let iv = hex(field(case, "iv"));

        // The RFC's cases are encryption-only: no ICV.
        let suite = Suite::new(Cipher::AesCbc128, Integrity::None).unwrap();
        let config = SaConfig::new(
            spi,
            suite,
            Mode::Transport,
            v4(192, 168, 123, 3),
            v4(192, 168, 123, 100),
        );
        let keys = Keys::new(&key, &[]);

        let emitted = encapsulate_fixed(config.clone(), &keys, seq, &iv, &payload, next_header);
        assert_eq!(to_hex(&emitted), to_hex(&packet), "{name}: encapsulation");

        let (decrypted, nh) = decapsulate(config, &keys, seq, &packet).expect(&name);
        assert_eq!(
            to_hex(&decrypted),
            to_hex(&payload),
            "{name}: decapsulation"
        );
        assert_eq!(nh, next_header, "{name}: next header");
    }
}

#[test]
fn rfc3602_aes_cbc_cases_both_directions() {
    // Cases 1 to 4 are bare AES-CBC over whole blocks. CBC encrypts a prefix independently
    // of what follows, so an ESP packet carrying the plaintext as payload starts with the
    // RFC's ciphertext, and decapsulating that packet returns the plaintext.
    let doc = load(&shared_dir().join("vectors/esp/rfc3602_aes_cbc.json"));
    let cases = doc["aes_cbc"].as_array().expect("aes_cbc array");
    assert_eq!(cases.len(), 4, "RFC 3602 has four AES-CBC cases (1 to 4)");
    for case in cases {
        let name = format!("RFC 3602 case {}", case["rfc3602_case"]);
        let key = hex(field(case, "key"));
        let iv = hex(field(case, "iv"));
        let plaintext = hex(field(case, "plaintext"));
        let ciphertext = hex(field(case, "ciphertext"));
        let suite = Suite::new(Cipher::AesCbc128, Integrity::None).unwrap();
        let config = SaConfig::new(1, suite, Mode::Transport, v4(1, 1, 1, 1), v4(2, 2, 2, 2));
        let keys = Keys::new(&key, &[]);

        let packet = encapsulate_fixed(config.clone(), &keys, 1, &iv, &plaintext, 6);
        let body = &packet[8 + 16..];
        assert_eq!(
            to_hex(&body[..ciphertext.len()]),
            to_hex(&ciphertext),
            "{name}: encryption"
        );

        let (decrypted, next_header) = decapsulate(config, &keys, 1, &packet).expect(&name);
        assert_eq!(to_hex(&decrypted), to_hex(&plaintext), "{name}: decryption");
        assert_eq!(next_header, 6, "{name}: next header");
    }
}

#[test]
fn rfc4106_gcm_cases_both_directions() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4106_gcm.json");
    let doc = load(&path);
    let cases = doc["cases"].as_array().expect("cases array");
    assert_eq!(cases.len(), 11);
    for (i, case) in cases.iter().enumerate() {
        let name = format!("GCM case {}", i + 1);
        let mut key = hex(field(case, "key"));
        key.extend_from_slice(&hex(field(case, "salt")));
        let spi = u32::from_str_radix(field(case, "spi"), 16).unwrap();
        let seq = u64::from_str_radix(field(case, "seq"), 16).unwrap();
        let iv = hex(field(case, "iv"));
        let plaintext = hex(field(case, "plaintext_with_trailer"));
        let sealed = hex(field(case, "ciphertext_and_tag"));
        let esn = case["esn"].as_bool().expect("esn flag");

        let cipher = if key.len() == 20 {
            Cipher::AesGcm16_128
        } else {
            Cipher::AesGcm16_256
        };
        let suite = Suite::new(cipher, Integrity::None).unwrap();
        let mut config = SaConfig::new(spi, suite, Mode::Transport, v4(1, 1, 1, 1), v4(2, 2, 2, 2));
        config.esn = esn;
        let keys = Keys::new(&key, &[]);

        let mut packet = spi.to_be_bytes().to_vec();
        packet.extend_from_slice(&(seq as u32).to_be_bytes());
        packet.extend_from_slice(&iv);
        packet.extend_from_slice(&sealed);

        let pad_len = usize::from(plaintext[plaintext.len() - 2]);
        let next_header = plaintext[plaintext.len() - 1];
        let payload = &plaintext[..plaintext.len() - 2 - pad_len];

        let (decrypted, nh) = decapsulate(config.clone(), &keys, seq, &packet).expect(&name);
        assert_eq!(to_hex(&decrypted), to_hex(payload), "{name}: decapsulation");
        assert_eq!(nh, next_header, "{name}: next header");

        let emitted = encapsulate_fixed(config, &keys, seq, &iv, payload, next_header);
        assert_eq!(to_hex(&emitted), to_hex(&packet), "{name}: encapsulation");
    }
}
