//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Instant;

use esp::rand_core::SeedableRng;
use esp::{Cipher, InboundSa, Integrity, Keys, Mode, OutboundSa, SaConfig, Suite, MAX_HEADROOM};

/// Every cipher and integrity pair the crate supports.
pub const SUITES: &[(Cipher, Integrity)] = &[
    (Cipher::AesCbc128, Integrity::HmacSha1_96),
    (Cipher::AesCbc192, Integrity::HmacSha256_128),
    (Cipher::AesCbc256, Integrity::HmacSha512_256),
    (Cipher::AesCbc128, Integrity::HmacSha384_192),
    (Cipher::TripleDesCbc, Integrity::HmacMd5_96),
    (Cipher::Null, Integrity::HmacSha1_96),
    (Cipher::AesCbc128, Integrity::None),
    (Cipher::AesGcm16_128, Integrity::None),
    (Cipher::AesGcm16_256, Integrity::None),
];

/// Returns the folder of shared test material: `SHARED_DIR`, else `../shared` beside the repository.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

pub fn hex(text: &str) -> Vec<u8> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(text.len().is_multiple_of(2), "odd hex length in {text:?}");
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Deterministic key bytes for a suite.
pub fn keys_for(suite: Suite, seed: u8) -> Keys {
    let enc: Vec<u8> = (0..suite.cipher().key_len())
        .map(|i| seed.wrapping_add(i as u8))
        .collect();
    let auth: Vec<u8> = (0..suite.integrity().key_len())
        .map(|i| seed ^ (i as u8).wrapping_mul(7))
        .collect();
    Keys::new(&enc, &auth)
}

pub fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(a, b, c, d))
}

pub fn v6(last: u16) -> IpAddr {
    IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, last))
}

/// Creates an outbound and an inbound SA sharing one configuration and keys.
pub fn sa_pair(config: SaConfig, keys: &Keys, now: Instant) -> (OutboundSa, InboundSa) {
    let mut rng = rand_chacha::ChaCha20Rng::from_seed([42; 32]);
    let outbound = OutboundSa::new(config.clone(), keys, now, &mut rng).expect("outbound SA");
    let inbound = InboundSa::new(config, keys, now).expect("inbound SA");
    (outbound, inbound)
}

/// Builds an IPv4 UDP packet with `payload_len` bytes of payload and a valid header checksum.
pub fn ipv4_udp(src: [u8; 4], dst: [u8; 4], payload_len: usize) -> Vec<u8> {
    let total = 20 + 8 + payload_len;
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    p[8] = 64;
    p[9] = 17;
    p[12..16].copy_from_slice(&src);
    p[16..20].copy_from_slice(&dst);
    let sum = checksum(&p[..20]);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p[20..22].copy_from_slice(&1234u16.to_be_bytes());
    p[22..24].copy_from_slice(&5678u16.to_be_bytes());
    p[24..26].copy_from_slice(&((8 + payload_len) as u16).to_be_bytes());
    for (i, byte) in p[28..].iter_mut().enumerate() {
        *byte = i as u8;
    }
    p
}

/// Builds an IPv6 UDP packet with `payload_len` bytes of payload (UDP checksum left 0).
pub fn ipv6_udp(src: u16, dst: u16, payload_len: usize) -> Vec<u8> {
    let mut p = vec![0u8; 40 + 8 + payload_len];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&((8 + payload_len) as u16).to_be_bytes());
    p[6] = 17;
    p[7] = 64;
    let IpAddr::V6(s) = v6(src) else {
        unreachable!()
    };
    let IpAddr::V6(d) = v6(dst) else {
        unreachable!()
    };
    p[8..24].copy_from_slice(&s.octets());
    p[24..40].copy_from_slice(&d.octets());
    p[40..42].copy_from_slice(&1234u16.to_be_bytes());
    p[42..44].copy_from_slice(&5678u16.to_be_bytes());
    p[44..46].copy_from_slice(&((8 + payload_len) as u16).to_be_bytes());
    for (i, byte) in p[48..].iter_mut().enumerate() {
        *byte = i as u8;
    }
    p
}

pub fn checksum(data: &[u8]) -> u16 {
    let mut sum = 0u32;
    for pair in data.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Storage with the packet placed after `MAX_HEADROOM` bytes and room for any trailer.
pub fn storage_with(packet: &[u8]) -> Vec<u8> {
    let mut storage = vec![0u8; MAX_HEADROOM + packet.len() + 128];
    storage[MAX_HEADROOM..MAX_HEADROOM + packet.len()].copy_from_slice(packet);
    storage
}

/// The records of a classic pcap file, each with its link-layer type.
pub fn read_pcap(bytes: &[u8]) -> (u32, Vec<Vec<u8>>) {
    assert!(bytes.len() >= 24, "pcap shorter than its global header");
    let magic = u32::from_le_bytes(bytes[0..4].try_into().unwrap());
    let little = match magic {
        0xa1b2c3d4 | 0xa1b23c4d => true,
        0xd4c3b2a1 | 0x4d3cb2a1 => false,
        other => panic!("not a classic pcap file: magic 0x{other:08x}"),
    };
    let read32 = |b: &[u8]| {
        let arr: [u8; 4] = b.try_into().unwrap();
        if little {
            u32::from_le_bytes(arr)
        } else {
            u32::from_be_bytes(arr)
        }
    };
    let linktype = read32(&bytes[20..24]);
    let mut records = Vec::new();
    let mut offset = 24;
    while offset + 16 <= bytes.len() {
        let caplen = read32(&bytes[offset + 8..offset + 12]) as usize;
        let start = offset + 16;
        records.push(bytes[start..start + caplen].to_vec());
        offset = start + caplen;
    }
    (linktype, records)
}

/// Strips the link-layer header of a pcap record: Ethernet (1), raw IP (101), Linux cooked
/// (113) or Linux cooked v2 (276).
pub fn ip_of_record(linktype: u32, record: &[u8]) -> &[u8] {
    match linktype {
        1 => &record[14..],
        101 => record,
        113 => &record[16..],
        276 => &record[20..],
        other => panic!("unsupported pcap link type {other}"),
    }
}

/// Writes a classic pcap file with raw IPv4/IPv6 records (link type 101).
pub fn write_pcap(packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes());
    for (i, packet) in packets.iter().enumerate() {
        out.extend_from_slice(&(i as u32 + 1).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        out.extend_from_slice(packet);
    }
    out
}

/// A tunnel-mode IPv4 configuration between 192.0.2.1 and 192.0.2.2.
pub fn tunnel_v4(spi: u32, suite: Suite) -> SaConfig {
    SaConfig::new(spi, suite, Mode::Tunnel, v4(192, 0, 2, 1), v4(192, 0, 2, 2))
}
