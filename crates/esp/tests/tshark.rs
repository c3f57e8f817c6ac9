//! tshark, an independent ESP implementation, decrypts packets this crate emits and checks
//! their ICV; a packet with one flipped bit fails the check.
//!
//! Needs `tshark` on PATH (Debian package `tshark`).

mod common;

use std::process::Command;
use std::time::Instant;

use common::*;
use esp::{Cipher, Integrity, Keys, PacketBuf, Suite, UdpEncap, MAX_HEADROOM};

struct Case {
    spi: u32,
    suite: Suite,
    wireshark_cipher: &'static str,
    wireshark_integrity: &'static str,
    udp: bool,
}

const CASES: &[(u32, Cipher, Integrity, &str, &str, bool)] = &[
    (
        0x1000_0001,
        Cipher::AesCbc128,
        Integrity::HmacSha1_96,
        "AES-CBC [RFC3602]",
        "HMAC-SHA-1-96 [RFC2404]",
        false,
    ),
    (
        0x1000_0002,
        Cipher::TripleDesCbc,
        Integrity::HmacMd5_96,
        "TripleDES-CBC [RFC2451]",
        "HMAC-MD5-96 [RFC2403]",
        false,
    ),
    (
        0x1000_0003,
        Cipher::AesCbc128,
        Integrity::HmacSha256_128,
        "AES-CBC [RFC3602]",
        "HMAC-SHA-256-128 [RFC4868]",
        false,
    ),
    (
        0x1000_0004,
        Cipher::AesGcm16_128,
        Integrity::None,
        "AES-GCM with 16 octet ICV [RFC4106]",
        "NULL",
        false,
    ),
    (
        0x1000_0005,
        Cipher::AesCbc256,
        Integrity::HmacSha512_256,
        "AES-CBC [RFC3602]",
        "HMAC-SHA-512-256 [RFC4868]",
        true,
    ),
];

fn tshark_fields(pcap: &std::path::Path, uat: &[String], fields: &[&str]) -> Vec<Vec<String>> {
    let mut command = Command::new("tshark");
    command.arg("-n").arg("-r").arg(pcap);
    command.args([
        "-o",
        "esp.enable_encryption_decode:TRUE",
        "-o",
        "esp.enable_authentication_check:TRUE",
    ]);
    for line in uat {
        command.arg("-o").arg(format!("uat:esp_sa:{line}"));
    }
    command.args(["-T", "fields", "-E", "separator=\t", "-E", "aggregator=|"]);
    for field in fields {
        command.args(["-e", field]);
    }
    let output = command
        .output()
        .expect("tshark runs (install the Debian package tshark)");
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    // stderr carries the "Running as user root" warning: only stdout is parsed.
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split('\t').map(str::to_owned).collect())
        .collect()
}

#[test]
fn tshark_verifies_emitted_packets() {
    let now = Instant::now();
    let cases: Vec<Case> = CASES
        .iter()
        .map(
            |&(spi, cipher, integrity, wireshark_cipher, wireshark_integrity, udp)| Case {
                spi,
                suite: Suite::new(cipher, integrity).unwrap(),
                wireshark_cipher,
                wireshark_integrity,
                udp,
            },
        )
        .collect();

    let payload_len = 23;
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], payload_len);
    let udp_payload = to_hex(&inner[28..]);
    let mut packets = Vec::new();
    let mut uat = Vec::new();
    for case in &cases {
        let keys = keys_for(case.suite, case.spi as u8);
        let mut config = tunnel_v4(case.spi, case.suite);
        if case.udp {
            config.udp_encap = Some(UdpEncap::NAT_T);
        }
        let (mut outbound, _) = sa_pair(config, &keys, now);

        // Two good packets, then a copy of the second with one bit of ciphertext flipped.
        for _ in 0..2 {
            let mut storage = storage_with(&inner);
            let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
            let sent = outbound.encapsulate(now, &mut buf).unwrap();
            packets.push(storage[sent.packet].to_vec());
        }
        let mut flipped = packets.last().unwrap().clone();
        let at = flipped.len() - case.suite.icv_len() - 3;
        flipped[at] ^= 0x01;
        packets.push(flipped);

        uat.push(uat_line(case, &keys));
    }

    let dir = std::env::temp_dir().join(format!("esp-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("emitted.pcap");
    std::fs::write(&pcap, write_pcap(&packets)).unwrap();

    let rows = tshark_fields(
        &pcap,
        &uat,
        &[
            "frame.number",
            "esp.spi",
            "esp.icv_good",
            "esp.icv_bad",
            "data.data",
        ],
    );
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(rows.len(), packets.len(), "one line per frame: {rows:?}");

    for (i, case) in cases.iter().enumerate() {
        let name = format!("{} (SPI 0x{:08x})", case.suite, case.spi);
        for j in 0..3 {
            let row = &rows[i * 3 + j];
            assert_eq!(
                row[1],
                format!("0x{:08x}", case.spi),
                "{name}: frame {}",
                row[0]
            );
            if j < 2 {
                assert_eq!(
                    row[2], "1",
                    "{name}: frame {} ICV good expected: {row:?}",
                    row[0]
                );
                assert_eq!(
                    row[3], "0",
                    "{name}: frame {} ICV bad flag: {row:?}",
                    row[0]
                );
                assert_eq!(
                    row[4], udp_payload,
                    "{name}: frame {} decrypted payload",
                    row[0]
                );
            } else {
                assert_eq!(
                    row[3], "1",
                    "{name}: frame {} with a flipped bit must fail the ICV: {row:?}",
                    row[0]
                );
                assert_eq!(
                    row[2], "0",
                    "{name}: frame {} ICV good flag: {row:?}",
                    row[0]
                );
            }
        }
    }
}

fn uat_line(case: &Case, keys: &Keys) -> String {
    let integrity_key = if keys.integrity().is_empty() {
        String::new()
    } else {
        format!("0x{}", to_hex(keys.integrity()))
    };
    format!(
        "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x{:08x}\",\"{}\",\"0x{}\",\"{}\",\"{}\"",
        case.spi,
        case.wireshark_cipher,
        to_hex(keys.encryption()),
        case.wireshark_integrity,
        integrity_key
    )
}
