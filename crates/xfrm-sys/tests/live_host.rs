//! Live tests against the running kernel, each in a network namespace it creates (`xf-*`):
//! policies through their whole life, the ESP probe and the typed error for a kernel without
//! ESP, SPI allocation and acquire events. They need root and skip only without it.
//!
//! These run on any kernel with XFRM: on one without ESP the SA test expects
//! `EspNotAvailable`, on one with ESP (the VM) it expects the SA to install. Which case applies is
//! decided by iproute2 (`ip xfrm state add`), not by the crate under test.

mod common;

use std::net::{IpAddr, UdpSocket};
use std::time::Duration;

use common::{require_root, Netns};
use xfrm_sys::{
    names, Algorithm, AllocSpi, AuthAlgorithm, Direction, IpProtocol, Mark, Mode, MulticastGroup,
    PolicyAction, PolicyFlags, PolicyId, PolicySpec, PolicyType, SaSpec, Selector, Template,
    XfrmError, XfrmMessage, XfrmSocket,
};

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address is valid")
}

fn test_policies() -> Vec<PolicySpec> {
    let mut out = PolicySpec::new(
        Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16),
        Direction::OUT,
    );
    out.priority = 100;
    out.templates =
        vec![Template::tunnel(IpProtocol::ESP, ip("192.0.2.1"), ip("192.0.2.2")).with_reqid(1)];

    let mut fwd = PolicySpec::new(
        Selector::subnets(ip("10.2.0.0"), 16, ip("10.1.0.0"), 16)
            .with_protocol(IpProtocol::TCP)
            .with_destination_port(Some(443)),
        Direction::FWD,
    );
    fwd.flags = PolicyFlags::LOCALOK;
    fwd.mark = Some(Mark {
        value: 3,
        mask: 0xff,
    });
    let mut optional = Template::transport(IpProtocol::COMP, xfrm_sys::AddressFamily::INET);
    optional.optional = 1;
    fwd.templates = vec![
        optional,
        Template::tunnel(IpProtocol::ESP, ip("192.0.2.2"), ip("192.0.2.1")).with_reqid(2),
    ];

    let mut block = PolicySpec::new(
        Selector::subnets(ip("2001:db8:2::"), 48, ip("2001:db8:1::"), 48),
        Direction::IN,
    );
    block.action = PolicyAction::BLOCK;
    block.lifetime.hard_add_expires_seconds = 3600;
    block.if_id = Some(7);

    vec![out, fwd, block]
}

/// Sets the fields the kernel fills in (index, current lifetime, the implied main type) from
/// the dumped policy, so that the rest can be compared whole.
fn as_dumped(mut sent: PolicySpec, dumped: &PolicySpec) -> PolicySpec {
    sent.index = dumped.index;
    sent.current = dumped.current;
    if sent.policy_type.is_none() && dumped.policy_type == Some(PolicyType::MAIN) {
        sent.policy_type = dumped.policy_type;
    }
    sent
}

fn find<'a>(policies: &'a [PolicySpec], wanted: &PolicySpec) -> Option<&'a PolicySpec> {
    policies
        .iter()
        .find(|policy| policy.selector == wanted.selector && policy.direction == wanted.direction)
}

#[test]
fn policies_add_dump_update_delete() {
    if !require_root("policies_add_dump_update_delete") {
        return;
    }
    let netns = Netns::new("policy");
    netns.enter();
    let mut socket = XfrmSocket::open().expect("open NETLINK_XFRM");
    socket.flush_policies().expect("flush policies");

    let policies = test_policies();
    for policy in &policies {
        socket.add_policy(policy).expect("add policy");
    }

    // Dump and compare every field.
    let dumped = socket.dump_policies().expect("dump policies");
    assert_eq!(
        dumped.len(),
        policies.len(),
        "dump has every policy: {dumped:#?}"
    );
    for policy in &policies {
        let got = find(&dumped, policy).expect("policy is in the dump");
        assert_eq!(&as_dumped(policy.clone(), got), got, "dumped policy");
        assert_ne!(got.index, 0, "the kernel assigns an index");

        let read = socket.get_policy(&policy.policy_id()).expect("get policy");
        assert_eq!(&read, got, "get_policy equals the dump entry");
    }

    // A second add of the same policy is rejected with EEXIST.
    let error = socket
        .add_policy(&policies[0])
        .expect_err("duplicate policy");
    assert_eq!(error.errno(), Some(libc_eexist()), "duplicate add: {error}");

    // Update: new priority and a new reqid in the template.
    let mut updated = policies[0].clone();
    updated.priority = 50;
    updated.templates[0].reqid = 9;
    socket.update_policy(&updated).expect("update policy");
    let dumped = socket.dump_policies().expect("dump after update");
    assert_eq!(
        dumped.len(),
        policies.len(),
        "update replaces, it does not add"
    );
    let got = find(&dumped, &updated).expect("updated policy is in the dump");
    assert_eq!(&as_dumped(updated.clone(), got), got, "updated policy");

    // Delete every policy; a second delete reports ENOENT.
    for policy in &policies {
        socket
            .delete_policy(&policy.policy_id())
            .expect("delete policy");
    }
    assert!(
        socket
            .dump_policies()
            .expect("dump after delete")
            .is_empty(),
        "all policies deleted"
    );
    let error = socket
        .delete_policy(&policies[0].policy_id())
        .expect_err("delete of a missing policy");
    assert_eq!(error.errno(), Some(2), "missing policy: {error}");
    assert!(
        matches!(error, XfrmError::Kernel { .. }),
        "typed kernel error: {error:?}"
    );

    // Flush removes what add put in.
    socket.add_policy(&policies[1]).expect("add policy again");
    socket.flush_policies().expect("flush policies");
    assert!(
        socket.dump_policies().expect("dump after flush").is_empty(),
        "flushed"
    );

    // Lookups by index work too; the kernel matches the interface id as well.
    socket
        .add_policy(&policies[2])
        .expect("add policy for index lookup");
    let index = socket.dump_policies().expect("dump")[0].index;
    let mut by_index = PolicyId::new(Selector::default(), Direction::IN);
    by_index.index = index;
    by_index.if_id = policies[2].if_id;
    assert_eq!(
        socket.get_policy(&by_index).expect("get by index").index,
        index,
        "get by index"
    );
    socket.delete_policy(&by_index).expect("delete by index");
}

fn libc_eexist() -> i32 {
    17
}

fn esp_sa(spi: u32) -> SaSpec {
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        spi,
        Mode::TUNNEL,
    );
    sa.reqid = 1;
    sa.replay_window = 32;
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &[0x11; 16]).unwrap());
    sa.authentication = Some(AuthAlgorithm::new(names::HMAC_SHA1, &[0x22; 20], Some(96)).unwrap());
    sa
}

/// Asks iproute2 whether this kernel installs ESP SAs, independently of the crate.
fn iproute2_installs_esp(netns: &Netns) -> bool {
    let output = netns.exec(
        "ip",
        &[
            "xfrm",
            "state",
            "add",
            "src",
            "192.0.2.9",
            "dst",
            "192.0.2.10",
            "proto",
            "esp",
            "spi",
            "0x9999",
            "enc",
            "cbc(aes)",
            "0x00112233445566778899aabbccddeeff",
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        assert!(
            stderr.contains("Requested type not found"),
            "unexpected iproute2 failure: {stderr}"
        );
    }
    output.status.success()
}

#[test]
fn esp_probe_and_sa_install_agree_with_kernel() {
    if !require_root("esp_probe_and_sa_install_agree_with_kernel") {
        return;
    }
    let netns = Netns::new("esp");
    let kernel_has_esp = iproute2_installs_esp(&netns);
    netns.enter();
    let mut socket = XfrmSocket::open().expect("open NETLINK_XFRM");

    let probed = socket.probe_esp().expect("probe ESP");
    assert_eq!(
        probed, kernel_has_esp,
        "probe_esp against iproute2's verdict"
    );
    assert_eq!(
        xfrm_sys::probe_esp(),
        kernel_has_esp,
        "free probe_esp function"
    );

    let sa = esp_sa(0x1234);
    let result = socket.add_sa(&sa);
    if kernel_has_esp {
        result.expect("ESP SA installs on a kernel with ESP");
        let read = socket.get_sa(&sa.sa_id()).expect("get SA");
        assert_eq!(read.id, sa.id, "SA id read back");
        socket.delete_sa(&sa.sa_id()).expect("delete SA");
    } else {
        let error = result.expect_err("ESP SA must fail on a kernel without ESP");
        match &error {
            XfrmError::EspNotAvailable {
                operation, errno, ..
            } => {
                assert_eq!(*errno, 93, "EPROTONOSUPPORT");
                assert_eq!(*operation, xfrm_sys::Operation::AddSa);
            }
            other => panic!("expected EspNotAvailable, got {other:?}"),
        }
        assert!(
            error
                .to_string()
                .contains("ESP is not available in this kernel"),
            "message: {error}"
        );
        let update = socket
            .update_sa(&sa)
            .expect_err("update fails the same way");
        assert!(
            matches!(update, XfrmError::EspNotAvailable { .. }),
            "update: {update:?}"
        );
    }

    // The probe leaves nothing behind.
    let leftovers: Vec<_> = socket
        .dump_sas()
        .expect("dump SAs")
        .into_iter()
        .filter(|sa| sa.id.spi == 0xfffe_0001)
        .collect();
    assert!(leftovers.is_empty(), "probe SA left behind: {leftovers:?}");
}

#[test]
fn alloc_spi_reserves_spi_in_range() {
    if !require_root("alloc_spi_reserves_spi_in_range") {
        return;
    }
    let netns = Netns::new("spi");
    netns.enter();
    let mut socket = XfrmSocket::open().expect("open NETLINK_XFRM");

    let mut request = AllocSpi::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x1000,
        0x1fff,
    );
    request.info.reqid = 4;
    let larval = socket.alloc_spi(&request).expect("allocate SPI");
    assert!(
        (0x1000..=0x1fff).contains(&larval.id.spi),
        "SPI {:#x} in range",
        larval.id.spi
    );
    assert_eq!(larval.id.proto, IpProtocol::ESP);
    assert_eq!(larval.reqid, 4);

    let second = socket.alloc_spi(&request).expect("allocate a second SPI");
    assert_ne!(
        second.id.spi, larval.id.spi,
        "each allocation reserves a new SPI"
    );

    let dumped = socket.dump_sas().expect("dump SAs");
    assert!(
        dumped.iter().any(|sa| sa.id.spi == larval.id.spi),
        "larval SA is listed"
    );
    socket.delete_sa(&larval.sa_id()).expect("delete larval SA");
    socket.flush_sas(IpProtocol::ANY).expect("flush SAs");
    assert!(
        socket.dump_sas().expect("dump after flush").is_empty(),
        "flushed"
    );
}

#[test]
fn acquire_event_for_packet_without_sa() {
    if !require_root("acquire_event_for_packet_without_sa") {
        return;
    }
    let netns = Netns::new("acq");
    netns.ip(&["link", "add", "xf0", "type", "veth", "peer", "name", "xf1"]);
    netns.ip(&["addr", "add", "10.9.0.1/24", "dev", "xf0"]);
    netns.ip(&["link", "set", "xf0", "up"]);
    netns.ip(&["link", "set", "xf1", "up"]);
    netns.enter();

    let mut socket = XfrmSocket::open().expect("open NETLINK_XFRM");
    let mut events = XfrmSocket::open().expect("open event socket");
    events
        .subscribe(MulticastGroup::ACQUIRE)
        .expect("join the acquire group");

    let selector = Selector::hosts(ip("10.9.0.1"), ip("10.9.0.2"));
    let mut policy = PolicySpec::new(selector, Direction::OUT);
    policy.templates =
        vec![Template::tunnel(IpProtocol::ESP, ip("10.9.0.1"), ip("10.9.0.2")).with_reqid(6)];
    socket.add_policy(&policy).expect("add policy");

    // The datagram has no SA, so the kernel drops it and requests one from key managers.
    let sender = UdpSocket::bind("10.9.0.1:0").expect("bind UDP in the namespace");
    let _ = sender.send_to(b"acquire", "10.9.0.2:9");

    let event = events
        .receive_event(Duration::from_secs(5))
        .expect("receive event")
        .expect("an acquire event within 5 s");
    let XfrmMessage::Acquire(acquire) = event else {
        panic!("expected an acquire event, got {event:?}");
    };
    assert_eq!(acquire.id.proto, IpProtocol::ESP);
    assert_eq!(
        acquire.id.daddr,
        ip("10.9.0.2").into(),
        "SA destination from the template"
    );
    assert_eq!(acquire.saddr, ip("10.9.0.1").into());
    assert_eq!(
        acquire.selector.daddr,
        ip("10.9.0.2").into(),
        "the packet's destination"
    );
    assert_eq!(acquire.selector.proto, IpProtocol::UDP);
    assert_eq!(acquire.selector.dport, 9);
    assert_eq!(acquire.templates().len(), 1, "the policy's template");
    assert_eq!(acquire.templates()[0].reqid, 6);
    assert_eq!(acquire.policy.direction, Direction::OUT);
    assert_ne!(
        acquire.seq, 0,
        "the sequence number an SA answering it carries"
    );
}
