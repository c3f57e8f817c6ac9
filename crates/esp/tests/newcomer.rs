//! Cases written from the documentation alone, as a new user would try the API.
//!
//! They cover an IPv4 ping in tunnel mode over UDP/4500, IPv6 in transport mode, edge sizes,
//! bad padding, lifetime events next to rejected packets, and fragments in transport mode.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use common::{keys_for, sa_pair, storage_with, tunnel_v4, v4};
use esp::{
    parse_outer, Cipher, Delivery, EspError, Integrity, Lifetime, LifetimeEvent, LimitKind, Limits,
    Mode, OuterKind, PacketBuf, SaConfig, Suite, UdpEncap, MAX_HEADROOM, MAX_TAILROOM,
};
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Builds an IPv4 ICMP echo request with `data_len` bytes of data and zero checksums.
fn ipv4_ping(data_len: usize) -> Vec<u8> {
    let total = 20 + 8 + data_len;
    let mut p = vec![0u8; total];
    p[0] = 0x45;
    p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
    p[8] = 64;
    p[9] = 1;
    p[12..16].copy_from_slice(&[10, 1, 0, 1]);
    p[16..20].copy_from_slice(&[10, 2, 0, 1]);
    p[20] = 8;
    p[24..28].copy_from_slice(&[0x12, 0x34, 0, 1]);
    for (i, byte) in p[28..].iter_mut().enumerate() {
        *byte = i as u8;
    }
    p
}

/// Builds an IPv6 ICMPv6 echo request from 2001:db8::1 to 2001:db8::2.
fn ipv6_ping(data_len: usize) -> Vec<u8> {
    let payload = 8 + data_len;
    let mut p = vec![0u8; 40 + payload];
    p[0] = 0x60;
    p[4..6].copy_from_slice(&(payload as u16).to_be_bytes());
    p[6] = 58;
    p[7] = 64;
    p[8..24].copy_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1).octets());
    p[24..40].copy_from_slice(&Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2).octets());
    p[40] = 128;
    for (i, byte) in p[48..].iter_mut().enumerate() {
        *byte = i as u8;
    }
    p
}

#[test]
fn ipv4_ping_in_tunnel_mode_over_udp() {
    let now = Instant::now();
    let mut config = tunnel_v4(0xc001_d00d, Suite::AES128_SHA1);
    config.udp_encap = Some(UdpEncap::NAT_T);
    let (mut outbound, mut inbound) = sa_pair(config, &keys_for(Suite::AES128_SHA1, 1), now);
    let ping = ipv4_ping(56);
    let mut storage = storage_with(&ping);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    let sent = outbound.encapsulate(now, &mut buf).unwrap();

    // The receiver gets the whole outer packet and finds the ESP part with parse_outer.
    let outer = storage[sent.packet.clone()].to_vec();
    let parsed = parse_outer(&outer).unwrap();
    assert_eq!(parsed.kind, OuterKind::Esp);
    assert_eq!(parsed.udp_ports, Some((4500, 4500)));
    assert_eq!(parsed.src, v4(192, 0, 2, 1));
    assert_eq!(
        parsed.payload.start + sent.packet.start..parsed.payload.end + sent.packet.start,
        sent.esp
    );

    let mut storage = storage_with(&outer[parsed.payload.clone()]);
    let len = parsed.payload.len();
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, len);
    let got = inbound.decapsulate(now, &mut buf).unwrap();
    assert_eq!(got.delivery, Delivery::Tunnel);
    assert_eq!(got.next_header, 4);
    assert_eq!(&storage[got.packet], &ping[..]);
    assert_eq!(inbound.counters().bytes, ping.len() as u64);
}

#[test]
fn ipv6_ping_in_transport_mode() {
    let now = Instant::now();
    let suite = Suite::new(Cipher::AesCbc256, Integrity::HmacSha256_128).unwrap();
    let config = SaConfig::new(
        0x600d,
        suite,
        Mode::Transport,
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)),
    );
    let (mut outbound, mut inbound) = sa_pair(config, &keys_for(suite, 3), now);
    let ping = ipv6_ping(32);
    let mut storage = storage_with(&ping);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    let sent = outbound.encapsulate(now, &mut buf).unwrap();
    let packet = &storage[sent.packet.clone()];
    assert_eq!(packet[6], 50, "next header becomes ESP");
    assert_eq!(&packet[8..40], &ping[8..40], "addresses kept");
    let payload_len = usize::from(u16::from_be_bytes([packet[4], packet[5]]));
    assert_eq!(40 + payload_len, sent.packet.len());
    assert_eq!(sent.esp.start, sent.packet.start + 40);

    let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
    let got = inbound.decapsulate(now, &mut buf).unwrap();
    assert_eq!(got.delivery, Delivery::Transport);
    assert_eq!(got.next_header, 58);
    assert_eq!(&storage[got.packet], &ping[40..]);
}

#[test]
fn zero_length_payload_round_trips() {
    let now = Instant::now();
    for suite in [Suite::AES128_SHA1, Suite::AES128_GCM16] {
        let mut config = tunnel_v4(9, suite);
        config.mode = Mode::Transport;
        let (mut outbound, mut inbound) = sa_pair(config, &keys_for(suite, 4), now);
        let mut storage = [0u8; MAX_HEADROOM + MAX_TAILROOM];
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, 0);
        let sent = outbound.encapsulate_payload(now, &mut buf, 17).unwrap();
        let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
        let got = inbound.decapsulate(now, &mut buf).unwrap();
        assert_eq!(got.delivery, Delivery::Transport);
        assert!(got.packet.is_empty(), "{suite}");
        assert_eq!(inbound.counters().packets, 1);
    }
}

#[test]
fn largest_packets_fit_or_fail_typed() {
    let now = Instant::now();
    let suite = Suite::AES128_GCM16;
    let (mut outbound, mut inbound) = sa_pair(tunnel_v4(5, suite), &keys_for(suite, 5), now);
    // Outer 20 + ESP 8 + IV 8 + ICV 16, and the inner packet with its 2-byte trailer padded
    // to a multiple of 4: a 65478-byte inner packet makes 65532 bytes, one more makes 65536.
    let fits = ipv4_ping(65_478 - 28);
    let mut storage = storage_with(&fits);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, fits.len());
    let sent = outbound.encapsulate(now, &mut buf).unwrap();
    assert_eq!(sent.packet.len(), 65_532);
    let total = u16::from_be_bytes([
        storage[sent.packet.start + 2],
        storage[sent.packet.start + 3],
    ]);
    assert_eq!(total, 65_532);
    let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
    let got = inbound.decapsulate(now, &mut buf).unwrap();
    assert_eq!(&storage[got.packet], &fits[..]);

    let too_big = ipv4_ping(65_479 - 28);
    let mut storage = storage_with(&too_big);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, too_big.len());
    assert!(matches!(
        outbound.encapsulate(now, &mut buf),
        Err(EspError::InvalidInnerPacket { .. })
    ));
    assert_eq!(outbound.counters().invalid_inner, 1);
}

#[test]
fn bad_padding_after_valid_icv_rejected() {
    let now = Instant::now();
    let suite = Suite::new(Cipher::Null, Integrity::HmacSha1_96).unwrap();
    let keys = keys_for(suite, 6);
    let mut config = tunnel_v4(0x1111, suite);
    config.mode = Mode::Transport;
    let (_, mut inbound) = sa_pair(config, &keys, now);

    // SPI, sequence 1, 4 bytes of payload, padding 1 then 3 (must be 1, 2), Pad Length 2,
    // Next Header 17, then a valid HMAC-SHA1-96 so that only the padding is wrong.
    let mut packet = vec![
        0, 0, 0x11, 0x11, 0, 0, 0, 1, 0xaa, 0xbb, 0xcc, 0xdd, 1, 3, 2, 17,
    ];
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(keys.integrity()).unwrap();
    mac.update(&packet);
    packet.extend_from_slice(&mac.finalize().into_bytes()[..12]);

    let mut storage = packet.clone();
    let mut buf = PacketBuf::new(&mut storage, 0, packet.len());
    assert_eq!(
        inbound.decapsulate(now, &mut buf),
        Err(EspError::BadPadding {
            pad_len: 2,
            payload_len: 8
        })
    );
    assert_eq!(inbound.counters().bad_padding, 1);
    assert_eq!(inbound.counters().packets, 0);

    // The same packet with the padding corrected, as sequence number 2, is accepted.
    packet.truncate(16);
    packet[7] = 2;
    packet[13] = 2;
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(keys.integrity()).unwrap();
    mac.update(&packet);
    packet.extend_from_slice(&mac.finalize().into_bytes()[..12]);
    let mut buf = PacketBuf::new(&mut packet, 0, 28);
    let got = inbound.decapsulate(now, &mut buf).unwrap();
    assert_eq!(got.packet, 8..12);
}

/// Returns a lifetime with a soft time limit after 10 s and a hard one after 100 s.
fn soft_after_ten_seconds() -> Lifetime {
    Lifetime {
        soft: Limits {
            time: Some(Duration::from_secs(10)),
            ..Limits::default()
        },
        hard: Limits {
            time: Some(Duration::from_secs(100)),
            ..Limits::default()
        },
    }
}

#[test]
fn soft_event_survives_a_forged_packet() {
    let start = Instant::now();
    let suite = Suite::AES128_GCM16;
    let mut config = tunnel_v4(0x2222, suite);
    config.lifetime = soft_after_ten_seconds();
    let (mut outbound, mut inbound) = sa_pair(config, &keys_for(suite, 7), start);
    let ping = ipv4_ping(8);
    let mut storage = storage_with(&ping);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    let sent = outbound.encapsulate(start, &mut buf).unwrap();
    let esp = storage[sent.esp].to_vec();

    // After the soft limit, the first packet to arrive is a forgery.
    let later = start + Duration::from_secs(11);
    let mut forged = esp.clone();
    *forged.last_mut().unwrap() ^= 1;
    let mut buf = PacketBuf::new(&mut forged, 0, esp.len());
    assert!(matches!(
        inbound.decapsulate(later, &mut buf),
        Err(EspError::IcvMismatch { .. })
    ));

    // The rekey request still comes, with the next genuine packet.
    let mut genuine = esp;
    let len = genuine.len();
    let mut buf = PacketBuf::new(&mut genuine, 0, len);
    let got = inbound.decapsulate(later, &mut buf).unwrap();
    assert_eq!(
        got.lifetime_event,
        Some(LifetimeEvent::Soft(LimitKind::Time))
    );
}

#[test]
fn soft_event_survives_a_small_buffer() {
    let start = Instant::now();
    let suite = Suite::AES128_SHA1;
    let mut config = tunnel_v4(0x3333, suite);
    config.lifetime = soft_after_ten_seconds();
    let (mut outbound, _) = sa_pair(config, &keys_for(suite, 8), start);
    let ping = ipv4_ping(8);
    let later = start + Duration::from_secs(11);

    let mut storage = vec![0u8; MAX_HEADROOM + ping.len()];
    storage[MAX_HEADROOM..].copy_from_slice(&ping);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    assert!(matches!(
        outbound.encapsulate(later, &mut buf),
        Err(EspError::NoTailroom { .. })
    ));

    let mut storage = storage_with(&ping);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    let sent = outbound.encapsulate(later, &mut buf).unwrap();
    assert_eq!(
        sent.lifetime_event,
        Some(LifetimeEvent::Soft(LimitKind::Time))
    );

    // The hard limit is an error on the next packet, and the timer no longer reports it.
    let end = start + Duration::from_secs(100);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    storage_reset(&mut buf, &ping);
    assert_eq!(
        outbound.encapsulate(end, &mut buf),
        Err(EspError::Expired(LimitKind::Time))
    );
    assert_eq!(outbound.poll_lifetime(end), None);
}

fn storage_reset(buf: &mut PacketBuf<'_>, packet: &[u8]) {
    buf.set_range(MAX_HEADROOM..MAX_HEADROOM + packet.len())
        .unwrap();
    buf.data_mut().copy_from_slice(packet);
}

#[test]
fn transport_mode_refuses_ipv4_fragments() {
    let now = Instant::now();
    let suite = Suite::AES128_SHA1;
    let config = SaConfig::new(
        0x4444,
        suite,
        Mode::Transport,
        IpAddr::V4(Ipv4Addr::new(10, 1, 0, 1)),
        IpAddr::V4(Ipv4Addr::new(10, 2, 0, 1)),
    );
    let (mut outbound, _) = sa_pair(config, &keys_for(suite, 9), now);
    // More Fragments set, then a non-zero offset.
    for flags in [[0x20, 0x00], [0x00, 0x10]] {
        let mut ping = ipv4_ping(16);
        ping[6..8].copy_from_slice(&flags);
        let mut storage = storage_with(&ping);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
        assert!(matches!(
            outbound.encapsulate(now, &mut buf),
            Err(EspError::InvalidInnerPacket { .. })
        ));
    }
    // Don't Fragment alone is a whole datagram.
    let mut ping = ipv4_ping(16);
    ping[6] = 0x40;
    let mut storage = storage_with(&ping);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
    outbound.encapsulate(now, &mut buf).unwrap();
}

#[test]
fn gcm_iv_is_sequence_number() {
    let now = Instant::now();
    let suite = Suite::AES128_GCM16;
    let mut config = tunnel_v4(0x5555, suite);
    config.esn = true;
    let (mut outbound, _) = sa_pair(config, &keys_for(suite, 10), now);
    outbound.set_last_seq(u64::from(u32::MAX) - 1);
    let ping = ipv4_ping(8);
    let mut ivs = Vec::new();
    for _ in 0..3 {
        let mut storage = storage_with(&ping);
        let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, ping.len());
        let sent = outbound.encapsulate(now, &mut buf).unwrap();
        let iv: [u8; 8] = storage[sent.esp.start + 8..sent.esp.start + 16]
            .try_into()
            .unwrap();
        assert_eq!(u64::from_be_bytes(iv), sent.seq);
        ivs.push(sent.seq);
    }
    // The IV keeps counting across the 32-bit boundary instead of repeating.
    assert_eq!(ivs, [0xffff_ffff, 0x1_0000_0000, 0x1_0000_0001]);
}
