//! Decapsulates arbitrary bytes under SAs with arbitrary suites, modes, windows and keys, and
//! checks that what the crate encapsulates, it decapsulates back unchanged.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use esp::rand_core::{CryptoRng, RngCore};
use esp::{
    Cipher, InboundSa, Integrity, Keys, Lifetime, Limits, Mode, OutboundSa, PacketBuf, SaConfig,
    Suite, UdpEncap, MAX_HEADROOM, MAX_TAILROOM,
};
use libfuzzer_sys::fuzz_target;

const SUITES: &[(Cipher, Integrity)] = &[
    (Cipher::AesCbc128, Integrity::HmacSha1_96),
    (Cipher::AesCbc192, Integrity::HmacSha256_128),
    (Cipher::AesCbc256, Integrity::HmacSha512_256),
    (Cipher::TripleDesCbc, Integrity::HmacMd5_96),
    (Cipher::Null, Integrity::HmacSha384_192),
    (Cipher::AesGcm16_128, Integrity::None),
    (Cipher::AesGcm16_256, Integrity::None),
    // Encryption-only suites let arbitrary bytes reach the padding and Next Header checks.
    (Cipher::AesCbc128, Integrity::None),
    (Cipher::TripleDesCbc, Integrity::None),
];

#[derive(Arbitrary, Debug)]
struct Input {
    suite: u8,
    transport: bool,
    ipv6: bool,
    esn: bool,
    udp: bool,
    window: u16,
    highest: u64,
    packet_limit: Option<u8>,
    key_material: [u8; 96],
    /// Raw packets handed to `decapsulate`.
    packets: Vec<Vec<u8>>,
    /// Inner packets to encapsulate and decapsulate again.
    inner: Vec<Vec<u8>>,
    /// Payloads to protect with `encapsulate_payload` and a given Next Header.
    payloads: Vec<(u8, Vec<u8>)>,
}

/// A deterministic generator for CBC IVs; the fuzzer needs repeatable runs, not secrecy.
struct CounterRng(u64);

impl RngCore for CounterRng {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for byte in dest {
            *byte = self.next_u64() as u8;
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), esp::rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for CounterRng {}

fuzz_target!(|input: Input| {
    let (cipher, integrity) = SUITES[usize::from(input.suite) % SUITES.len()];
    let suite = Suite::new(cipher, integrity).expect("listed suites are valid");
    let (src, dst) = if input.ipv6 {
        (
            IpAddr::V6(Ipv6Addr::LOCALHOST),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
        )
    } else {
        (
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
        )
    };
    let mode = if input.transport {
        Mode::Transport
    } else {
        Mode::Tunnel
    };
    let mut config = SaConfig::new(0x0102_0304, suite, mode, src, dst);
    config.esn = input.esn;
    config.replay_window = u32::from(input.window) % 5000;
    config.udp_encap = input.udp.then_some(UdpEncap::NAT_T);
    config.lifetime = Lifetime {
        soft: Limits::default(),
        hard: Limits {
            packets: input.packet_limit.map(u64::from),
            ..Limits::default()
        },
    };
    let enc_len = cipher.key_len();
    let keys = Keys::new(
        &input.key_material[..enc_len],
        &input.key_material[enc_len..enc_len + integrity.key_len()],
    );
    let now = Instant::now();

    let mut inbound = InboundSa::new(config.clone(), &keys, now).expect("valid SA");
    inbound.set_highest_seq(input.highest);
    let mut storage = vec![0u8; MAX_HEADROOM + 70_000 + MAX_TAILROOM];

    // Arbitrary bytes: any result but a panic is fine, and accepted packets stay in bounds.
    for packet in input.packets.iter().take(16) {
        storage[..packet.len()].copy_from_slice(packet);
        let mut buf = PacketBuf::new(&mut storage, 0, packet.len());
        if let Ok(received) = inbound.decapsulate(now + Duration::from_secs(1), &mut buf) {
            assert!(received.packet.end <= packet.len());
        }
        let _ = esp::parse_outer(packet);
        let _ = esp::classify_udp_payload(packet);
        let _ = esp::Flow::from_packet(packet);
    }

    // What we emit, we accept unchanged.
    let mut rng = CounterRng(input.highest);
    let mut outbound = OutboundSa::new(config.clone(), &keys, now, &mut rng).expect("valid SA");
    let mut receiver = InboundSa::new(config, &keys, now).expect("valid SA");
    for inner in input.inner.iter().take(8) {
        storage[MAX_HEADROOM..MAX_HEADROOM + inner.len()].copy_from_slice(inner);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
        let Ok(sent) = outbound.encapsulate(now, &mut buf) else {
            continue;
        };
        assert!(esp::parse_outer(&storage[sent.packet.clone()]).is_ok());
        let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
        let received = receiver
            .decapsulate(now, &mut buf)
            .expect("own packet decapsulates");
        let header = esp::IpHeader::parse(inner).expect("encapsulate accepted it");
        let expected = match mode {
            Mode::Tunnel => &inner[..header.total_len],
            Mode::Transport => &inner[header.header_len..header.total_len],
        };
        assert_eq!(&storage[received.packet], expected);
    }
    for (next_header, payload) in input.payloads.iter().take(8) {
        storage[MAX_HEADROOM..MAX_HEADROOM + payload.len()].copy_from_slice(payload);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, payload.len());
        let Ok(sent) = outbound.encapsulate_payload(now, &mut buf, *next_header) else {
            continue;
        };
        let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
        if let Ok(received) = receiver.decapsulate(now, &mut buf) {
            assert_eq!(received.next_header, *next_header);
            if received.delivery != esp::Delivery::Dummy {
                assert_eq!(&storage[received.packet], &payload[..]);
            }
        }
    }
});
