//! Security policy database: subnets, protocols, ports, order and the default.

mod common;

use common::*;
use esp::{Flow, IpPrefix, PolicyAction, PortRange, Selector, Spd, PROTO_TCP, PROTO_UDP};

fn prefix(text: &str) -> IpPrefix {
    text.parse().unwrap()
}

fn flow(src: &str, dst: &str, protocol: u8, ports: Option<(u16, u16)>) -> Flow {
    Flow {
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        protocol,
        src_port: ports.map(|p| p.0),
        dst_port: ports.map(|p| p.1),
    }
}

#[test]
fn first_match_wins_and_default_discards() {
    let mut spd = Spd::new();
    // IKE in clear, DNS to one host discarded, the rest between the subnets protected.
    spd.push(
        Selector {
            protocol: Some(PROTO_UDP),
            dst_ports: PortRange::single(500),
            ..Selector::between(prefix("0.0.0.0/0"), prefix("0.0.0.0/0"))
        },
        PolicyAction::Bypass,
    );
    spd.push(
        Selector {
            protocol: Some(PROTO_UDP),
            dst_ports: PortRange::single(53),
            ..Selector::between(prefix("10.1.0.0/16"), prefix("10.2.0.53"))
        },
        PolicyAction::Discard,
    );
    spd.push(
        Selector::between(prefix("10.1.0.0/16"), prefix("10.2.0.0/16")),
        PolicyAction::Protect(7u32),
    );

    assert_eq!(
        spd.lookup_flow(&flow("192.0.2.1", "192.0.2.2", PROTO_UDP, Some((500, 500)))),
        &PolicyAction::Bypass
    );
    assert_eq!(
        spd.lookup_flow(&flow("10.1.3.4", "10.2.0.53", PROTO_UDP, Some((3333, 53)))),
        &PolicyAction::Discard
    );
    assert_eq!(
        spd.lookup_flow(&flow("10.1.3.4", "10.2.0.53", PROTO_TCP, Some((3333, 53)))),
        &PolicyAction::Protect(7)
    );
    assert_eq!(
        spd.lookup_flow(&flow("10.1.255.255", "10.2.9.9", 1, None)),
        &PolicyAction::Protect(7)
    );
    assert_eq!(
        spd.lookup_flow(&flow("10.3.0.1", "10.2.0.1", 1, None)),
        &PolicyAction::Discard
    );
    assert_eq!(
        spd.lookup_flow(&flow("2001:db8::1", "10.2.0.1", 1, None)),
        &PolicyAction::Discard
    );

    spd.remove_where(|action| *action == PolicyAction::Protect(7));
    assert_eq!(spd.entries().len(), 2);
    assert_eq!(
        spd.lookup_flow(&flow("10.1.255.255", "10.2.9.9", 1, None)),
        &PolicyAction::Discard
    );
}

#[test]
fn port_ranges_and_opaque_ports() {
    let selector = Selector {
        protocol: Some(PROTO_TCP),
        dst_ports: PortRange {
            low: 8000,
            high: 8080,
        },
        ..Selector::between(prefix("2001:db8::/32"), prefix("2001:db8:1::/48"))
    };
    assert!(selector.matches(&flow(
        "2001:db8::5",
        "2001:db8:1::9",
        PROTO_TCP,
        Some((40000, 8080))
    )));
    assert!(!selector.matches(&flow(
        "2001:db8::5",
        "2001:db8:1::9",
        PROTO_TCP,
        Some((40000, 8081))
    )));
    // A later fragment has no ports: only ANY matches it.
    assert!(!selector.matches(&flow("2001:db8::5", "2001:db8:1::9", PROTO_TCP, None)));
    let any = Selector::between(prefix("2001:db8::/32"), prefix("::/0"));
    assert!(any.matches(&flow("2001:db8::5", "2001:db8:1::9", PROTO_TCP, None)));
}

#[test]
fn flows_from_packets() {
    let packet = ipv4_udp([10, 1, 0, 1], [10, 2, 0, 1], 8);
    let parsed = Flow::from_packet(&packet).unwrap();
    assert_eq!(
        parsed,
        flow("10.1.0.1", "10.2.0.1", PROTO_UDP, Some((1234, 5678)))
    );

    let mut fragment = packet.clone();
    fragment[7] = 10; // fragment offset 80 bytes
    assert_eq!(Flow::from_packet(&fragment).unwrap().src_port, None);

    let packet = ipv6_udp(1, 2, 8);
    assert_eq!(Flow::from_packet(&packet).unwrap().dst_port, Some(5678));
    assert!(Flow::from_packet(&[0x45, 0, 0]).is_err());
}

#[test]
fn prefixes_parse_and_normalise() {
    assert_eq!(prefix("10.1.2.3/16").to_string(), "10.1.0.0/16");
    assert_eq!(prefix("10.1.2.3").len(), 32);
    assert_eq!(prefix("2001:db8::1/32").to_string(), "2001:db8::/32");
    assert!("10.0.0.0/33".parse::<IpPrefix>().is_err());
    assert!("10.0.0/8".parse::<IpPrefix>().is_err());
    assert!("::/129".parse::<IpPrefix>().is_err());
    assert!(prefix("0.0.0.0/0").contains("255.1.2.3".parse().unwrap()));
    assert!(!prefix("0.0.0.0/0").contains("::1".parse().unwrap()));
}
