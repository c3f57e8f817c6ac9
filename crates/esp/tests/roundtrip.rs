//! Encapsulation followed by decapsulation for every suite, mode and address family.

mod common;

use std::time::{Duration, Instant};

use common::*;
use esp::{
    classify_udp_payload, parse_outer, Delivery, EspError, Lifetime, LifetimeEvent, LimitKind,
    Limits, Mode, OuterKind, PacketBuf, SaConfig, Suite, UdpEncap, UdpPayload, MAX_HEADROOM,
    PROTO_ESP, PROTO_UDP,
};

/// Encapsulates `inner`, checks the outer packet, decapsulates the ESP part and returns it.
fn round_trip(config: SaConfig, inner: &[u8], sizes: usize) {
    let now = Instant::now();
    let keys = keys_for(config.suite, 3);
    let (mut outbound, mut inbound) = sa_pair(config.clone(), &keys, now);

    for n in 0..sizes {
        let mut storage = storage_with(inner);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
        let sent = outbound.encapsulate(now, &mut buf).expect("encapsulate");
        assert_eq!(sent.seq, n as u64 + 1);

        let outer = parse_outer(&storage[sent.packet.clone()]).expect("outer packet parses");
        assert_eq!(outer.kind, OuterKind::Esp);
        let esp_start = sent.packet.start + outer.payload.start;
        assert_eq!(esp_start..sent.packet.start + outer.payload.end, sent.esp);
        let expected_protocol = if config.udp_encap.is_some() {
            PROTO_UDP
        } else {
            PROTO_ESP
        };
        let protocol = if storage[sent.packet.start] >> 4 == 4 {
            storage[sent.packet.start + 9]
        } else {
            storage[sent.packet.start + 6]
        };
        assert_eq!(protocol, expected_protocol);
        if storage[sent.packet.start] >> 4 == 4 {
            assert_eq!(
                checksum(&storage[sent.packet.start..sent.packet.start + 20]),
                0,
                "outer IPv4 checksum"
            );
        }

        let esp_len = sent.esp.len();
        let mut buf = PacketBuf::new(&mut storage, sent.esp.start, esp_len);
        let received = inbound.decapsulate(now, &mut buf).expect("decapsulate");
        assert_eq!(received.seq, n as u64 + 1);
        match config.mode {
            Mode::Tunnel => {
                assert_eq!(received.delivery, Delivery::Tunnel);
                assert_eq!(&storage[received.packet.clone()], inner);
            }
            Mode::Transport => {
                assert_eq!(received.delivery, Delivery::Transport);
                let header_len = if inner[0] >> 4 == 4 { 20 } else { 40 };
                assert_eq!(&storage[received.packet.clone()], &inner[header_len..]);
                assert_eq!(received.next_header, PROTO_UDP);
            }
        }
    }
    assert_eq!(inbound.counters().packets, sizes as u64);
    assert_eq!(outbound.counters().packets, sizes as u64);
}

#[test]
fn every_suite_tunnel_ipv4() {
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        for len in [0, 1, 13, 14, 15, 16, 17, 100, 1400] {
            round_trip(
                tunnel_v4(0x100, suite),
                &ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], len),
                2,
            );
        }
    }
}

#[test]
fn every_suite_tunnel_ipv6() {
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        let config = SaConfig::new(0x200, suite, Mode::Tunnel, v6(1), v6(2));
        round_trip(config.clone(), &ipv6_udp(10, 20, 77), 2);
        // IPv4 inside IPv6.
        round_trip(config, &ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 30), 1);
    }
}

#[test]
fn every_suite_transport_both_families() {
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        let config = SaConfig::new(
            0x300,
            suite,
            Mode::Transport,
            v4(10, 1, 0, 1),
            v4(10, 2, 0, 1),
        );
        round_trip(config, &ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 50), 2);
        let config = SaConfig::new(0x301, suite, Mode::Transport, v6(10), v6(20));
        round_trip(config, &ipv6_udp(10, 20, 50), 2);
    }
}

#[test]
fn udp_encapsulation_and_esn() {
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        let mut config = tunnel_v4(0x400, suite);
        config.udp_encap = Some(UdpEncap::NAT_T);
        config.esn = true;
        round_trip(
            config.clone(),
            &ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 64),
            3,
        );

        let mut config = SaConfig::new(0x401, suite, Mode::Tunnel, v6(1), v6(2));
        config.udp_encap = Some(UdpEncap {
            src_port: 4500,
            dst_port: 31000,
        });
        round_trip(config, &ipv6_udp(10, 20, 64), 1);
    }
}

#[test]
fn ipv6_udp_checksum_is_valid() {
    let now = Instant::now();
    let mut config = SaConfig::new(0x402, Suite::AES128_SHA1, Mode::Tunnel, v6(1), v6(2));
    config.udp_encap = Some(UdpEncap::NAT_T);
    let (mut outbound, _) = sa_pair(config, &keys_for(Suite::AES128_SHA1, 1), now);
    let inner = ipv6_udp(10, 20, 33);
    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    let sent = outbound.encapsulate(now, &mut buf).unwrap();
    let packet = &storage[sent.packet];

    // Sum of the pseudo-header and the UDP datagram must be 0xffff.
    let udp = &packet[40..];
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&packet[8..40]);
    pseudo.extend_from_slice(&(udp.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, 17]);
    pseudo.extend_from_slice(udp);
    assert_eq!(checksum(&pseudo), 0);
}

#[test]
fn tampered_bytes_fail_icv() {
    let now = Instant::now();
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        if suite.icv_len() == 0 {
            continue;
        }
        let keys = keys_for(suite, 9);
        let (mut outbound, mut inbound) = sa_pair(tunnel_v4(0x500, suite), &keys, now);
        let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 40);
        let mut storage = storage_with(&inner);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
        let sent = outbound.encapsulate(now, &mut buf).unwrap();
        let esp = storage[sent.esp.clone()].to_vec();

        // Every bit after the SPI, one at a time.
        for bit in 32..esp.len() * 8 {
            let mut copy = esp.clone();
            copy[bit / 8] ^= 1 << (bit % 8);
            let len = copy.len();
            let mut buf = PacketBuf::new(&mut copy, 0, len);
            let error = inbound
                .decapsulate(now, &mut buf)
                .expect_err("tampered packet accepted");
            assert!(
                matches!(
                    error,
                    EspError::IcvMismatch { .. } | EspError::Replay { .. } | EspError::Stale { .. }
                ),
                "{suite}: bit {bit}: {error}"
            );
        }
        assert!(inbound.counters().icv_failures > 0, "{suite}");
        assert_eq!(inbound.counters().packets, 0, "{suite}");

        // The original still passes: failed packets did not move the window.
        let len = esp.len();
        let mut copy = esp.clone();
        let mut buf = PacketBuf::new(&mut copy, 0, len);
        inbound.decapsulate(now, &mut buf).expect("original packet");
    }
}

#[test]
fn truncated_packets_are_rejected() {
    let now = Instant::now();
    for &(cipher, integrity) in SUITES {
        let suite = Suite::new(cipher, integrity).unwrap();
        let keys = keys_for(suite, 5);
        let (mut outbound, mut inbound) = sa_pair(tunnel_v4(0x600, suite), &keys, now);
        let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 40);
        let mut storage = storage_with(&inner);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
        let sent = outbound.encapsulate(now, &mut buf).unwrap();
        let esp = storage[sent.esp].to_vec();
        for len in 0..esp.len() {
            let mut copy = esp[..len].to_vec();
            let mut buf = PacketBuf::new(&mut copy, 0, len);
            assert!(
                inbound.decapsulate(now, &mut buf).is_err(),
                "{suite}: {len} bytes accepted"
            );
        }
    }
}

#[test]
fn wrong_spi_is_counted() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let (mut outbound, _) = sa_pair(tunnel_v4(1, suite), &keys_for(suite, 1), now);
    let (_, mut inbound) = sa_pair(tunnel_v4(2, suite), &keys_for(suite, 1), now);
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 10);
    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    let sent = outbound.encapsulate(now, &mut buf).unwrap();
    let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
    assert_eq!(
        inbound.decapsulate(now, &mut buf),
        Err(EspError::SpiMismatch {
            expected: 2,
            found: 1
        })
    );
    assert_eq!(inbound.counters().spi_mismatches, 1);
}

#[test]
fn small_buffers_are_rejected() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let (mut outbound, _) = sa_pair(tunnel_v4(1, suite), &keys_for(suite, 1), now);
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 10);

    let mut storage = inner.clone();
    storage.extend_from_slice(&[0; 64]);
    let mut buf = PacketBuf::new(&mut storage, 0, inner.len());
    assert!(matches!(
        outbound.encapsulate(now, &mut buf),
        Err(EspError::NoHeadroom { .. })
    ));

    let mut storage = vec![0; MAX_HEADROOM];
    storage.extend_from_slice(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    assert!(matches!(
        outbound.encapsulate(now, &mut buf),
        Err(EspError::NoTailroom { .. })
    ));
    assert_eq!(outbound.counters().buffer_errors, 2);
}

#[test]
fn non_ip_input_is_rejected() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let (mut outbound, _) = sa_pair(tunnel_v4(1, suite), &keys_for(suite, 1), now);
    for packet in [vec![], vec![0x45], vec![0x70; 40], {
        let mut p = ipv4_udp([1, 1, 1, 1], [2, 2, 2, 2], 10);
        p[3] = 200;
        p
    }] {
        let mut storage = storage_with(&packet);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, packet.len());
        assert!(outbound.encapsulate(now, &mut buf).is_err(), "{packet:?}");
    }
}

#[test]
fn lifetime_packets_soft_then_hard() {
    let now = Instant::now();
    let suite = Suite::AES128_GCM16;
    let mut config = tunnel_v4(7, suite);
    config.lifetime = Lifetime {
        soft: Limits {
            packets: Some(2),
            ..Limits::default()
        },
        hard: Limits {
            packets: Some(3),
            ..Limits::default()
        },
    };
    let (mut outbound, mut inbound) = sa_pair(config, &keys_for(suite, 2), now);
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 10);
    let mut events = Vec::new();
    let mut inbound_events = Vec::new();
    for _ in 0..3 {
        let mut storage = storage_with(&inner);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
        let sent = outbound.encapsulate(now, &mut buf).unwrap();
        events.push(sent.lifetime_event);
        let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
        inbound_events.push(inbound.decapsulate(now, &mut buf).unwrap().lifetime_event);
    }
    let expected = vec![
        None,
        Some(LifetimeEvent::Soft(LimitKind::Packets)),
        Some(LifetimeEvent::Hard(LimitKind::Packets)),
    ];
    assert_eq!(events, expected);
    assert_eq!(inbound_events, expected);

    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    assert_eq!(
        outbound.encapsulate(now, &mut buf),
        Err(EspError::Expired(LimitKind::Packets))
    );
    assert_eq!(outbound.counters().expired, 1);
}

#[test]
fn lifetime_bytes_and_time() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let mut config = tunnel_v4(8, suite);
    config.lifetime = Lifetime {
        soft: Limits {
            bytes: Some(100),
            time: Some(Duration::from_secs(60)),
            ..Limits::default()
        },
        hard: Limits {
            time: Some(Duration::from_secs(90)),
            ..Limits::default()
        },
    };
    let (mut outbound, _) = sa_pair(config, &keys_for(suite, 2), now);
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 80);

    assert_eq!(outbound.poll_lifetime(now + Duration::from_secs(10)), None);
    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    let sent = outbound.encapsulate(now, &mut buf).unwrap();
    assert_eq!(
        sent.lifetime_event,
        Some(LifetimeEvent::Soft(LimitKind::Bytes))
    );
    // The soft event is reported once only.
    assert_eq!(outbound.poll_lifetime(now + Duration::from_secs(61)), None);
    assert_eq!(
        outbound.poll_lifetime(now + Duration::from_secs(90)),
        Some(LifetimeEvent::Hard(LimitKind::Time))
    );
    assert_eq!(outbound.poll_lifetime(now + Duration::from_secs(91)), None);

    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    assert_eq!(
        outbound.encapsulate(now + Duration::from_secs(91), &mut buf),
        Err(EspError::Expired(LimitKind::Time))
    );
}

#[test]
fn sequence_number_exhaustion() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let (mut outbound, _) = sa_pair(tunnel_v4(9, suite), &keys_for(suite, 2), now);
    outbound.set_last_seq(u64::from(u32::MAX) - 1);
    let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 8);
    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    assert_eq!(
        outbound.encapsulate(now, &mut buf).unwrap().seq,
        u64::from(u32::MAX)
    );
    let mut storage = storage_with(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
    assert_eq!(
        outbound.encapsulate(now, &mut buf),
        Err(EspError::SequenceExhausted)
    );
}

#[test]
fn esn_crosses_the_32_bit_boundary() {
    let now = Instant::now();
    for suite in [Suite::AES128_SHA1, Suite::AES128_GCM16] {
        let mut config = tunnel_v4(10, suite);
        config.esn = true;
        let (mut outbound, mut inbound) = sa_pair(config, &keys_for(suite, 2), now);
        let start = u64::from(u32::MAX) - 3;
        outbound.set_last_seq(start);
        inbound.set_highest_seq(start);
        let inner = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 8);
        for expected in start + 1..start + 8 {
            let mut storage = storage_with(&inner);
            let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
            let sent = outbound.encapsulate(now, &mut buf).unwrap();
            assert_eq!(sent.seq, expected);
            // Only the low 32 bits travel.
            assert_eq!(
                &storage[sent.esp.start + 4..sent.esp.start + 8],
                &(expected as u32).to_be_bytes()
            );
            let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
            assert_eq!(
                inbound.decapsulate(now, &mut buf).unwrap().seq,
                expected,
                "{suite}"
            );
        }
    }
}

#[test]
fn dummy_packets_are_dropped_silently() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let (mut outbound, mut inbound) = sa_pair(tunnel_v4(11, suite), &keys_for(suite, 2), now);
    let mut storage = storage_with(&[0xaa; 20]);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, 20);
    let sent = outbound
        .encapsulate_payload(now, &mut buf, esp::PROTO_NO_NEXT_HEADER)
        .unwrap();
    let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
    let received = inbound.decapsulate(now, &mut buf).unwrap();
    assert_eq!(received.delivery, Delivery::Dummy);
    assert_eq!(inbound.counters().dummy, 1);
    assert_eq!(inbound.counters().packets, 0);
}

#[test]
fn tunnel_rejects_foreign_next_header() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let (mut outbound, mut inbound) = sa_pair(tunnel_v4(12, suite), &keys_for(suite, 2), now);
    let mut storage = storage_with(&[0x45; 20]);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, 20);
    let sent = outbound.encapsulate_payload(now, &mut buf, 6).unwrap();
    let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
    assert_eq!(
        inbound.decapsulate(now, &mut buf),
        Err(EspError::UnexpectedNextHeader {
            next_header: 6,
            mode: "tunnel"
        })
    );
    assert_eq!(inbound.counters().invalid_inner, 1);
}

#[test]
fn udp_4500_classification() {
    assert_eq!(classify_udp_payload(&[0xff]), Ok(UdpPayload::NatKeepalive));
    assert_eq!(
        classify_udp_payload(&[0, 0, 0, 0, 1, 2]),
        Ok(UdpPayload::Ike(&[1, 2]))
    );
    assert_eq!(
        classify_udp_payload(&[0, 0, 0, 1, 0, 0, 0, 1]),
        Ok(UdpPayload::Esp(&[0, 0, 0, 1, 0, 0, 0, 1]))
    );
    assert!(matches!(
        classify_udp_payload(&[]),
        Err(EspError::Truncated { .. })
    ));
    assert!(matches!(
        classify_udp_payload(&[1, 2, 3]),
        Err(EspError::Truncated { .. })
    ));
}

#[test]
fn invalid_suites_are_rejected() {
    use esp::{Cipher, Integrity};
    assert!(Suite::new(Cipher::AesGcm16_128, Integrity::HmacSha1_96).is_err());
    assert!(Suite::new(Cipher::Null, Integrity::None).is_err());
    let keys = esp::Keys::new(&[0; 15], &[0; 20]);
    let config = tunnel_v4(1, Suite::AES128_SHA1);
    assert!(matches!(
        esp::InboundSa::new(config, &keys, Instant::now()),
        Err(esp::ConfigError::EncryptionKeyLength {
            expected: 16,
            found: 15,
            ..
        })
    ));
}

#[test]
fn debug_output_hides_keys() {
    let keys = esp::Keys::new(&[0xab; 16], &[0xcd; 20]);
    let text = format!("{keys:?}");
    assert!(!text.contains("171"), "{text}");
    assert!(!text.contains("ab"), "{text}");
    let (outbound, inbound) = sa_pair(tunnel_v4(1, Suite::AES128_SHA1), &keys, Instant::now());
    for text in [format!("{outbound:?}"), format!("{inbound:?}")] {
        assert!(!text.contains("171"), "{text}");
        assert!(!text.contains("205"), "{text}");
    }
}
