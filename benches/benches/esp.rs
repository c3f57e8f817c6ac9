//! ESP encapsulation and decapsulation per suite, for 64, 512 and 1400-byte inner packets.
//!
//! Throughput counts inner packet bytes. Decapsulation re-reads one packet per suite and size,
//! so its SA runs with the replay window disabled; the window check costs a few instructions.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use esp::rand_core::OsRng;
use esp::{
    Cipher, InboundSa, Integrity, Keys, Mode, OutboundSa, PacketBuf, SaConfig, Suite, MAX_HEADROOM,
};

const SIZES: [usize; 3] = [64, 512, 1400];

const SUITES: &[(Cipher, Integrity)] = &[
    (Cipher::AesCbc128, Integrity::HmacSha1_96),
    (Cipher::AesCbc128, Integrity::HmacSha256_128),
    (Cipher::AesCbc192, Integrity::HmacSha384_192),
    (Cipher::AesCbc256, Integrity::HmacSha512_256),
    (Cipher::TripleDesCbc, Integrity::HmacMd5_96),
    (Cipher::Null, Integrity::HmacSha1_96),
    (Cipher::AesGcm16_128, Integrity::None),
    (Cipher::AesGcm16_256, Integrity::None),
];

/// Builds an IPv4 packet of `size` bytes (protocol 59, no next header).
fn inner_packet(size: usize) -> Vec<u8> {
    let mut packet = vec![0xa5u8; size];
    packet[..20].copy_from_slice(&[
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 59, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1,
    ]);
    packet[2..4].copy_from_slice(&(size as u16).to_be_bytes());
    packet
}

fn sa_pair(suite: Suite, now: Instant) -> (OutboundSa, InboundSa) {
    let local = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let remote = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    let mut config = SaConfig::new(0x1234, suite, Mode::Tunnel, local, remote);
    config.esn = true;
    config.replay_window = 0;
    let enc: Vec<u8> = (0..suite.cipher().key_len() as u8).collect();
    let auth: Vec<u8> = (0..suite.integrity().key_len() as u8).collect();
    let keys = Keys::new(&enc, &auth);
    let outbound = OutboundSa::new(config.clone(), &keys, now, &mut OsRng).expect("valid SA");
    let inbound = InboundSa::new(config, &keys, now).expect("valid SA");
    (outbound, inbound)
}

fn esp_transforms(c: &mut Criterion) {
    let now = Instant::now();
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).expect("valid suite");
        let mut group = c.benchmark_group(format!("esp/{suite}"));
        for size in SIZES {
            let (mut outbound, mut inbound) = sa_pair(suite, now);
            let inner = inner_packet(size);
            let mut storage = vec![0u8; MAX_HEADROOM + size + 64];
            group.throughput(Throughput::Bytes(size as u64));

            group.bench_function(BenchmarkId::new("encap", size), |b| {
                b.iter(|| {
                    storage[MAX_HEADROOM..MAX_HEADROOM + size].copy_from_slice(&inner);
                    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, size);
                    black_box(outbound.encapsulate(now, &mut buf).expect("encapsulate"));
                })
            });

            storage[MAX_HEADROOM..MAX_HEADROOM + size].copy_from_slice(&inner);
            let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, size);
            let sent = outbound.encapsulate(now, &mut buf).expect("encapsulate");
            let esp_packet = storage[sent.esp].to_vec();
            let len = esp_packet.len();
            let mut storage = esp_packet.clone();
            group.bench_function(BenchmarkId::new("decap", size), |b| {
                b.iter(|| {
                    storage.copy_from_slice(&esp_packet);
                    let mut buf = PacketBuf::new(&mut storage, 0, len);
                    black_box(inbound.decapsulate(now, &mut buf).expect("decapsulate"));
                })
            });
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    // 48 benchmarks: short runs keep the whole set near two minutes on a shared machine.
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = esp_transforms
}
criterion_main!(benches);
