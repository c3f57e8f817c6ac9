//! Property tests: parsing never panics on any bytes, and typed messages survive emit and parse.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use xfrm_sys::netlink::NetlinkHeader;
use xfrm_sys::{
    names, AeadAlgorithm, Algorithm, AuthAlgorithm, Direction, Encap, EncapType, IpProtocol,
    LifetimeConfig, Mark, Mode, NetlinkMessage, Payload, PolicyAction, PolicySpec, ReplayEsn,
    ReplayState, SaFlags, SaSpec, Selector, Template, XfrmMessage,
};

fn address() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|bits| IpAddr::V4(Ipv4Addr::from(bits))),
        any::<u128>().prop_map(|bits| IpAddr::V6(Ipv6Addr::from(bits))),
    ]
}

fn selector() -> impl Strategy<Value = Selector> {
    (
        address(),
        address(),
        0u8..=128,
        0u8..=128,
        any::<u8>(),
        proptest::option::of(any::<u16>()),
        proptest::option::of(any::<u16>()),
    )
        .prop_map(|(src, dst, src_len, dst_len, proto, sport, dport)| {
            Selector::subnets(src, src_len, dst, dst_len)
                .with_protocol(IpProtocol(proto))
                .with_source_port(sport)
                .with_destination_port(dport)
        })
}

fn lifetime() -> impl Strategy<Value = LifetimeConfig> {
    proptest::array::uniform8(any::<u64>()).prop_map(|v| LifetimeConfig {
        soft_byte_limit: v[0],
        hard_byte_limit: v[1],
        soft_packet_limit: v[2],
        hard_packet_limit: v[3],
        soft_add_expires_seconds: v[4],
        hard_add_expires_seconds: v[5],
        soft_use_expires_seconds: v[6],
        hard_use_expires_seconds: v[7],
    })
}

fn key() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..72)
}

prop_compose! {
    fn sa_spec()(
        src in address(),
        dst in address(),
        spi in any::<u32>(),
        mode in 0u8..5,
        selector in selector(),
        lifetime in lifetime(),
        numbers in proptest::array::uniform4(any::<u32>()),
        flags in any::<u8>(),
        encryption in proptest::option::of(key()),
        authentication in proptest::option::of((key(), proptest::option::of(any::<u32>()))),
        aead in proptest::option::of((key(), any::<u32>())),
        encap in proptest::option::of((any::<u16>(), any::<u16>(), any::<u16>())),
        replay in proptest::option::of(proptest::array::uniform3(any::<u32>())),
        esn in proptest::option::of((proptest::array::uniform6(any::<u32>()), proptest::collection::vec(any::<u32>(), 0..8))),
        optional in proptest::array::uniform6(proptest::option::of(any::<u32>())),
    ) -> SaSpec {
        let mut sa = SaSpec::new(src, dst, IpProtocol::ESP, spi, Mode(mode));
        sa.selector = selector;
        sa.lifetime = lifetime;
        sa.seq = numbers[0];
        sa.reqid = numbers[1];
        sa.replay_window = numbers[2] as u8;
        sa.flags = SaFlags(flags);
        sa.encryption = encryption.map(|k| Algorithm::new(names::CBC_AES, &k).unwrap());
        sa.authentication = authentication.map(|(k, t)| AuthAlgorithm::new(names::HMAC_SHA512, &k, t).unwrap());
        sa.aead = aead.map(|(k, icv)| AeadAlgorithm::new(names::RFC4106_GCM_AES, &k, icv).unwrap());
        sa.encap = encap.map(|(kind, sport, dport)| Encap { kind: EncapType(kind), sport, dport, original_address: src.into() });
        sa.replay_state = replay.map(|r| ReplayState { oseq: r[0], seq: r[1], bitmap: r[2] });
        sa.replay_esn = esn.map(|(h, bitmap)| ReplayEsn {
            bitmap_len: h[0], oseq: h[1], seq: h[2], oseq_hi: h[3], seq_hi: h[4], replay_window: h[5], bitmap,
        });
        sa.extra_flags = optional[0];
        sa.mark = optional[1].map(|value| Mark { value, mask: !value });
        sa.if_id = optional[2];
        sa.tfc_pad = optional[3];
        sa.output_mark = optional[4];
        sa.output_mark_mask = optional[5];
        sa
    }
}

prop_compose! {
    fn policy_spec()(
        selector in selector(),
        lifetime in lifetime(),
        priority in any::<u32>(),
        index in any::<u32>(),
        direction in 0u8..3,
        action in 0u8..2,
        gateways in proptest::collection::vec((address(), address(), any::<u32>()), 0..=6),
        mark in proptest::option::of(any::<u32>()),
        if_id in proptest::option::of(any::<u32>()),
    ) -> PolicySpec {
        let mut policy = PolicySpec::new(selector, Direction(direction));
        policy.lifetime = lifetime;
        policy.priority = priority;
        policy.index = index;
        policy.action = PolicyAction(action);
        policy.templates = gateways
            .into_iter()
            .map(|(src, dst, reqid)| Template::tunnel(IpProtocol::ESP, src, dst).with_reqid(reqid))
            .collect();
        policy.mark = mark.map(|value| Mark { value, mask: u32::MAX });
        policy.if_id = if_id;
        policy
    }
}

fn round_trip(message: XfrmMessage) -> Result<(), TestCaseError> {
    let bytes = NetlinkMessage::request(message.clone(), 7).to_bytes();
    let parsed =
        NetlinkMessage::parse_datagram(&bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(parsed.len(), 1);
    prop_assert_eq!(&parsed[0].payload, &Payload::Xfrm(message));
    prop_assert_eq!(parsed[0].to_bytes(), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = NetlinkMessage::parse_datagram(&bytes);
    }

    /// Random bodies behind a well-formed header reach every XFRM body parser.
    #[test]
    fn arbitrary_xfrm_bodies_never_panic(
        message_type in 0u16..0x30,
        flags in any::<u16>(),
        body in proptest::collection::vec(any::<u8>(), 0..1200),
    ) {
        let mut datagram = Vec::new();
        let header = NetlinkHeader { length: (16 + body.len()) as u32, message_type, flags, sequence: 1, port_id: 0 };
        datagram.extend_from_slice(&header.length.to_ne_bytes());
        datagram.extend_from_slice(&header.message_type.to_ne_bytes());
        datagram.extend_from_slice(&header.flags.to_ne_bytes());
        datagram.extend_from_slice(&header.sequence.to_ne_bytes());
        datagram.extend_from_slice(&header.port_id.to_ne_bytes());
        datagram.extend_from_slice(&body);
        if let Ok(messages) = NetlinkMessage::parse_datagram(&datagram) {
            for message in messages {
                let _ = NetlinkMessage::parse_datagram(&message.to_bytes());
            }
        }
    }

    #[test]
    fn sa_round_trips(sa in sa_spec()) {
        round_trip(XfrmMessage::NewSa(sa))?;
    }

    #[test]
    fn policy_round_trips(policy in policy_spec()) {
        round_trip(XfrmMessage::UpdatePolicy(policy))?;
    }

    /// Every truncation and every single-byte corruption of a valid SA message parses or fails
    /// cleanly.
    #[test]
    fn damaged_sa_messages_never_panic(sa in sa_spec(), position in any::<prop::sample::Index>(), value in any::<u8>()) {
        let bytes = NetlinkMessage::request(XfrmMessage::NewSa(sa), 1).to_bytes();
        let cut = position.index(bytes.len());
        let _ = NetlinkMessage::parse_datagram(&bytes[..cut]);
        let mut corrupted = bytes.clone();
        corrupted[cut] = value;
        let _ = NetlinkMessage::parse_datagram(&corrupted);
    }
}
