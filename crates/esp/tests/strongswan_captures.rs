//! The ESP packets of real strongSwan 5.9.8 sessions decrypt to the pings, with the child SA
//! keys strongSwan logged.

mod common;

use std::collections::HashMap;
use std::time::Instant;

use common::*;
use esp::{
    parse_outer, Cipher, Delivery, InboundSa, Integrity, Keys, Mode, OuterKind, PacketBuf,
    SaConfig, Suite,
};
use serde_json::Value;

/// Child SA keys by SPI, read from a strongSwan key log: each "<role> SA seed" starts with the
/// protocol (3, ESP) and the SPI, and the "<kind> <role> key" entries belong to that SPI.
fn child_keys(log: &Value) -> HashMap<u32, (Vec<u8>, Vec<u8>)> {
    let entries = log.as_array().expect("key log is an array");
    let find = |label: &str| -> Vec<u8> {
        let entry = entries
            .iter()
            .find(|e| e["label"] == label)
            .unwrap_or_else(|| panic!("no {label:?} entry"));
        hex(entry["hex"].as_str().unwrap())
    };
    let mut keys = HashMap::new();
    for role in ["initiator", "responder"] {
        let seed = find(&format!("{role} SA seed"));
        assert_eq!(seed[0], 3, "protocol ESP in the {role} seed");
        let spi = u32::from_be_bytes(seed[1..5].try_into().unwrap());
        keys.insert(
            spi,
            (
                find(&format!("encryption {role} key")),
                find(&format!("integrity {role} key")),
            ),
        );
    }
    keys
}

/// Returns the inner packets strongSwan logged as ESP payloads.
fn logged_payloads(log: &Value) -> Vec<Vec<u8>> {
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["group"] == "ESP" && e["label"].as_str().unwrap().trim().starts_with("payload")
        })
        .map(|e| hex(e["hex"].as_str().unwrap()))
        .collect()
}

fn decrypt_session(folder: &str, suite: Suite) {
    let dir = shared_dir().join("captures/strongswan").join(folder);
    let log: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("keys-gwL.json")).unwrap()).unwrap();
    let keys = child_keys(&log);
    let payloads = logged_payloads(&log);
    assert!(!payloads.is_empty());

    let (linktype, records) = read_pcap(&std::fs::read(dir.join("session.pcap")).unwrap());
    let now = Instant::now();
    let mut sas: HashMap<u32, InboundSa> = HashMap::new();
    let mut pings = Vec::new();
    for record in &records {
        let packet = ip_of_record(linktype, record);
        let outer = parse_outer(packet).expect("capture packet parses");
        if outer.kind != OuterKind::Esp {
            continue;
        }
        assert_eq!(
            outer.udp_ports,
            Some((4500, 4500)),
            "strongSwan's userspace ESP travels in UDP/4500"
        );
        let esp = &packet[outer.payload.clone()];
        let spi = u32::from_be_bytes(esp[..4].try_into().unwrap());
        let sa = sas.entry(spi).or_insert_with(|| {
            let (enc, auth) = keys
                .get(&spi)
                .unwrap_or_else(|| panic!("{folder}: no keys for SPI 0x{spi:08x}"));
            let config = SaConfig::new(spi, suite, Mode::Tunnel, outer.src, outer.dst);
            InboundSa::new(config, &Keys::new(enc, auth), now).expect("SA from logged keys")
        });

        let mut storage = esp.to_vec();
        let len = storage.len();
        let mut buf = PacketBuf::new(&mut storage, 0, len);
        let received = sa
            .decapsulate(now, &mut buf)
            .unwrap_or_else(|e| panic!("{folder}: SPI 0x{spi:08x}: {e}"));
        assert_eq!(received.delivery, Delivery::Tunnel);
        let inner = storage[received.packet].to_vec();
        assert_eq!(inner[9], 1, "{folder}: inner packet is ICMP");
        assert!(
            payloads.contains(&inner),
            "{folder}: decrypted packet is one strongSwan logged"
        );
        pings.push(inner[20]);
    }
    assert_eq!(
        pings,
        [8, 0, 8, 0, 8, 0],
        "{folder}: three echo requests, each answered"
    );
    assert_eq!(sas.len(), 2, "{folder}: one SA per direction");
}

#[test]
fn strongswan_rsa_session_aes_sha256() {
    decrypt_session(
        "rsa",
        Suite::new(Cipher::AesCbc128, Integrity::HmacSha256_128).unwrap(),
    );
}

#[test]
fn strongswan_psk_legacy_session_3des_md5() {
    decrypt_session(
        "psk-legacy",
        Suite::new(Cipher::TripleDesCbc, Integrity::HmacMd5_96).unwrap(),
    );
}
