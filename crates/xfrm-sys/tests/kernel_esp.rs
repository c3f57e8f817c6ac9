//! Live tests that need a kernel with ESP (`esp4`, `esp6`), each in network namespaces it
//! creates: SAs for every algorithm install and dump back equal, a byte limit expires an SA with
//! expire events, and pings cross between two namespaces in tunnel and transport mode. Every SA
//! and policy is set up through the crate; `ip` only builds the namespaces, links and routes.
//!
//! They are ignored by default because the development machines' kernel has no ESP. CI runs
//! them inside a VM with Debian's stock kernel through `ci/steps/52-xfrm-vm.sh` with
//! `--include-ignored`. They need root.

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::{require_root, Netns};
use xfrm_sys::{
    names, AddressFamily, AeadAlgorithm, Algorithm, AllocSpi, AuthAlgorithm, Direction, Encap,
    IpProtocol, LifetimeConfig, Mark, Mode, MulticastGroup, PolicySpec, ReplayEsn, ReplayState,
    SaFlags, SaSpec, Selector, Template, XfrmError, XfrmMessage, XfrmSocket,
};

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address is valid")
}

/// Deterministic key material of `len` bytes.
fn key(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_mul(31).wrapping_add(i as u8))
        .collect()
}

/// Builds one SA for every cipher and authenticator of the gateway's proposals, with their key
/// and ICV lengths.
fn algorithm_table() -> Vec<SaSpec> {
    let mut table = Vec::new();
    let mut spi = 0x1000;
    let mut next_spi = || {
        spi += 1;
        spi
    };

    let ciphers = [
        (names::CBC_AES, 16),
        (names::CBC_AES, 24),
        (names::CBC_AES, 32),
        (names::CBC_DES3_EDE, 24),
    ];
    let authenticators = [
        (names::HMAC_MD5, 16, 96),
        (names::HMAC_SHA1, 20, 96),
        (names::HMAC_SHA256, 32, 128),
        (names::HMAC_SHA384, 48, 192),
        (names::HMAC_SHA512, 64, 256),
    ];
    for (cipher, cipher_len) in ciphers {
        for (auth, auth_len, truncation) in authenticators {
            let mut sa = SaSpec::new(
                ip("192.0.2.1"),
                ip("192.0.2.2"),
                IpProtocol::ESP,
                next_spi(),
                Mode::TUNNEL,
            );
            sa.reqid = 1;
            sa.replay_window = 32;
            sa.encryption = Some(Algorithm::new(cipher, &key(cipher_len, 1)).unwrap());
            sa.authentication =
                Some(AuthAlgorithm::new(auth, &key(auth_len, 2), Some(truncation)).unwrap());
            table.push(sa);
        }
    }

    // AES-GCM with 128-, 192- and 256-bit keys (plus the 4-byte salt) and every ICV length.
    for aes_len in [16, 24, 32] {
        for icv_bits in [64, 96, 128] {
            let mut sa = SaSpec::new(
                ip("2001:db8::1"),
                ip("2001:db8::2"),
                IpProtocol::ESP,
                next_spi(),
                Mode::TRANSPORT,
            );
            sa.replay_window = 32;
            sa.aead = Some(
                AeadAlgorithm::new(names::RFC4106_GCM_AES, &key(aes_len + 4, 3), icv_bits).unwrap(),
            );
            table.push(sa);
        }
    }

    // An untruncated authenticator: the kernel applies the default ICV length.
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        next_spi(),
        Mode::TRANSPORT,
    );
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &key(16, 4)).unwrap());
    sa.authentication = Some(AuthAlgorithm::new(names::HMAC_SHA1, &key(20, 5), None).unwrap());
    table.push(sa);

    // UDP encapsulation, marks, lifetimes and a selector.
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        next_spi(),
        Mode::TUNNEL,
    );
    sa.encap = Some(Encap::esp_in_udp(4500, 4500));
    sa.selector = Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16);
    sa.mark = Some(Mark {
        value: 0x10,
        mask: 0xff,
    });
    sa.output_mark = Some(7);
    sa.output_mark_mask = Some(0xf);
    sa.if_id = Some(3);
    sa.lifetime = LifetimeConfig {
        soft_byte_limit: 1 << 30,
        hard_byte_limit: 1 << 31,
        soft_add_expires_seconds: 3000,
        hard_add_expires_seconds: 3600,
        ..LifetimeConfig::default()
    };
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &key(32, 6)).unwrap());
    sa.authentication =
        Some(AuthAlgorithm::new(names::HMAC_SHA256, &key(32, 7), Some(128)).unwrap());
    table.push(sa);

    // Extended sequence numbers with a 128-packet window, IPv6 tunnel.
    let mut sa = SaSpec::new(
        ip("2001:db8::1"),
        ip("2001:db8::2"),
        IpProtocol::ESP,
        next_spi(),
        Mode::TUNNEL,
    );
    sa.flags = SaFlags::ESN;
    sa.replay_esn = Some(ReplayEsn::with_window(128));
    sa.aead = Some(AeadAlgorithm::new(names::RFC4106_GCM_AES, &key(20, 8), 128).unwrap());
    table.push(sa);

    table
}

/// Returns what the kernel reports for `sent`. The kernel adds its counters, the default
/// truncation of an untruncated HMAC, an empty replay state when none was sent and the whole ESN
/// bitmap. It also puts the SA's family in a selector sent without one, unless the SA has
/// `XFRM_STATE_AF_UNSPEC`.
fn as_dumped(mut sent: SaSpec, dumped: &SaSpec) -> SaSpec {
    if sent.selector.family == AddressFamily::UNSPEC && !sent.flags.contains(SaFlags::AF_UNSPEC) {
        sent.selector.family = sent.family;
    }
    sent.current = dumped.current;
    sent.stats = dumped.stats;
    if sent.replay_state.is_none() && sent.replay_esn.is_none() {
        assert_eq!(
            dumped.replay_state,
            Some(ReplayState::default()),
            "fresh replay state"
        );
        sent.replay_state = dumped.replay_state;
    }
    if let Some(esn) = &mut sent.replay_esn {
        esn.bitmap = vec![0; esn.bitmap_len as usize];
    }
    if let Some(auth) = &mut sent.authentication {
        if auth.truncation_bits.is_none() {
            assert_eq!(
                auth.name.as_str(),
                names::HMAC_SHA1,
                "default truncation known for this table"
            );
            auth.truncation_bits = Some(96);
        }
    }
    sent
}

#[test]
#[ignore = "needs a kernel with ESP: runs in the VM (ci/steps/52-xfrm-vm.sh)"]
fn every_algorithm_installs_and_dumps_back() {
    if !require_root("every_algorithm_installs_and_dumps_back") {
        return;
    }
    let netns = Netns::new("algs");
    netns.enter();
    let mut socket = XfrmSocket::open().expect("open NETLINK_XFRM");
    assert!(
        socket.probe_esp().expect("probe ESP"),
        "the probe reports ESP"
    );
    assert!(xfrm_sys::probe_esp(), "the free probe reports ESP");

    let table = algorithm_table();
    for sa in &table {
        socket
            .add_sa(sa)
            .unwrap_or_else(|error| panic!("add SA {:#x}: {error}", sa.id.spi));
    }

    let dumped = socket.dump_sas().expect("dump SAs");
    assert_eq!(dumped.len(), table.len(), "dump has every SA");
    for sa in &table {
        let got = dumped
            .iter()
            .find(|candidate| candidate.id == sa.id)
            .unwrap_or_else(|| panic!("SA {:#x} is in the dump", sa.id.spi));
        assert_eq!(
            &as_dumped(sa.clone(), got),
            got,
            "dumped SA {:#x}",
            sa.id.spi
        );
        let read = socket.get_sa(&sa.sa_id()).expect("get SA");
        assert_eq!(
            &read, got,
            "get_sa equals the dump entry for {:#x}",
            sa.id.spi
        );
    }

    // A duplicate is EEXIST; an update replaces the lifetime.
    let error = socket.add_sa(&table[0]).expect_err("duplicate SA");
    assert_eq!(error.errno(), Some(17), "duplicate: {error}");
    let mut updated = table[0].clone();
    updated.lifetime.soft_packet_limit = 1000;
    updated.lifetime.hard_packet_limit = 2000;
    socket.update_sa(&updated).expect("update SA");
    let got = socket.get_sa(&updated.sa_id()).expect("get updated SA");
    assert_eq!(got.lifetime, updated.lifetime, "updated lifetime");

    // Delete one, then flush the rest.
    socket.delete_sa(&table[1].sa_id()).expect("delete SA");
    let error = socket
        .get_sa(&table[1].sa_id())
        .expect_err("deleted SA is gone");
    assert_eq!(error.errno(), Some(3), "ESRCH: {error}");
    socket.flush_sas(IpProtocol::ESP).expect("flush ESP SAs");
    assert!(
        socket.dump_sas().expect("dump after flush").is_empty(),
        "flushed"
    );

    // An allocated SPI becomes a full SA through update.
    let request = AllocSpi::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x2000,
        0x2fff,
    );
    let larval = socket.alloc_spi(&request).expect("allocate SPI");
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        larval.id.spi,
        Mode::TRANSPORT,
    );
    sa.aead = Some(AeadAlgorithm::new(names::RFC4106_GCM_AES, &key(20, 9), 128).unwrap());
    socket.update_sa(&sa).expect("complete the allocated SA");
    let got = socket.get_sa(&sa.sa_id()).expect("get completed SA");
    assert_eq!(got.aead, sa.aead, "completed SA has its key");
}

/// Two namespaces joined by a veth pair, each with its own XFRM socket.
struct Pair {
    left: Netns,
    /// Held so that the namespace lives as long as the pair.
    #[allow(dead_code)]
    right: Netns,
    left_socket: XfrmSocket,
    right_socket: XfrmSocket,
    /// Outer (gateway) addresses.
    left_outer: IpAddr,
    right_outer: IpAddr,
    /// Addresses the ping runs between: the outer ones in transport mode, loopback addresses
    /// behind the gateways in tunnel mode.
    left_inner: IpAddr,
    right_inner: IpAddr,
}

impl Pair {
    fn new(ipv6: bool, tunnel: bool) -> Pair {
        let left = Netns::new("left");
        let right = Netns::new("right");
        left.ip_command(&format!(
            "link add xfl type veth peer name xfr netns {}",
            right.name
        ));
        let (left_outer, right_outer, prefix) = if ipv6 {
            (ip("2001:db8:77::1"), ip("2001:db8:77::2"), "64")
        } else {
            (ip("192.168.77.1"), ip("192.168.77.2"), "24")
        };
        for (netns, device, address) in [(&left, "xfl", left_outer), (&right, "xfr", right_outer)] {
            netns.ip_command(&format!("addr add {address}/{prefix} dev {device} nodad"));
            netns.ip_command(&format!("link set {device} up"));
        }

        let (left_inner, right_inner) = if !tunnel {
            (left_outer, right_outer)
        } else {
            let (left_inner, right_inner, host) = if ipv6 {
                (ip("2001:db8:1::1"), ip("2001:db8:2::1"), "128")
            } else {
                (ip("10.1.0.1"), ip("10.2.0.1"), "32")
            };
            // Each side's inner address is on its loopback device, and the route to the other's
            // goes through the other gateway's outer address.
            for (netns, inner, peer_inner, peer_outer) in [
                (&left, left_inner, right_inner, right_outer),
                (&right, right_inner, left_inner, left_outer),
            ] {
                netns.ip_command(&format!("addr add {inner}/{host} dev lo nodad"));
                netns.ip_command(&format!(
                    "route add {peer_inner}/{host} via {peer_outer} src {inner}"
                ));
            }
            (left_inner, right_inner)
        };

        left.enter();
        let left_socket = XfrmSocket::open().expect("open NETLINK_XFRM in left");
        right.enter();
        let right_socket = XfrmSocket::open().expect("open NETLINK_XFRM in right");
        Pair {
            left,
            right,
            left_socket,
            right_socket,
            left_outer,
            right_outer,
            left_inner,
            right_inner,
        }
    }

    fn mode(&self) -> Mode {
        if self.left_inner == self.left_outer {
            Mode::TRANSPORT
        } else {
            Mode::TUNNEL
        }
    }

    /// Builds the SA from `src` to `dst` with the pair's mode and the algorithms `configure` sets.
    fn sa(&self, src: IpAddr, dst: IpAddr, spi: u32, configure: &dyn Fn(&mut SaSpec)) -> SaSpec {
        let mut sa = SaSpec::new(src, dst, IpProtocol::ESP, spi, self.mode());
        sa.reqid = spi;
        sa.replay_window = 32;
        configure(&mut sa);
        sa
    }

    /// Installs both SAs in both namespaces, and an out and an in policy on each side.
    fn install(&mut self, outbound: &SaSpec, inbound: &SaSpec) {
        for socket in [&mut self.left_socket, &mut self.right_socket] {
            socket.add_sa(outbound).expect("add left-to-right SA");
            socket.add_sa(inbound).expect("add right-to-left SA");
        }
        let bits = if self.left_inner.is_ipv4() { 32 } else { 128 };
        let sides = [
            (
                self.left_inner,
                self.right_inner,
                self.left_outer,
                self.right_outer,
                outbound.reqid,
                inbound.reqid,
            ),
            (
                self.right_inner,
                self.left_inner,
                self.right_outer,
                self.left_outer,
                inbound.reqid,
                outbound.reqid,
            ),
        ];
        for (index, (local, remote, local_outer, remote_outer, out_reqid, in_reqid)) in
            sides.into_iter().enumerate()
        {
            let template = |src: IpAddr, dst: IpAddr, reqid: u32| {
                if self.mode() == Mode::TUNNEL {
                    Template::tunnel(IpProtocol::ESP, src, dst).with_reqid(reqid)
                } else {
                    let family = xfrm_sys::types::family_of(dst);
                    Template::transport(IpProtocol::ESP, family).with_reqid(reqid)
                }
            };
            let mut out =
                PolicySpec::new(Selector::subnets(local, bits, remote, bits), Direction::OUT);
            out.templates = vec![template(local_outer, remote_outer, out_reqid)];
            let mut incoming =
                PolicySpec::new(Selector::subnets(remote, bits, local, bits), Direction::IN);
            incoming.templates = vec![template(remote_outer, local_outer, in_reqid)];
            let socket = if index == 0 {
                &mut self.left_socket
            } else {
                &mut self.right_socket
            };
            socket.add_policy(&out).expect("add out policy");
            socket.add_policy(&incoming).expect("add in policy");
        }
    }

    fn ping(&self, count: u32) -> std::process::Output {
        let count = count.to_string();
        self.left.exec(
            "ping",
            &[
                "-c",
                &count,
                "-i",
                "0.2",
                "-W",
                "5",
                "-I",
                &self.left_inner.to_string(),
                &self.right_inner.to_string(),
            ],
        )
    }
}

fn aes_sha256(sa: &mut SaSpec) {
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &key(16, sa.id.spi as u8)).unwrap());
    sa.authentication = Some(
        AuthAlgorithm::new(names::HMAC_SHA256, &key(32, 1 + sa.id.spi as u8), Some(128)).unwrap(),
    );
}

fn gcm(sa: &mut SaSpec) {
    sa.aead =
        Some(AeadAlgorithm::new(names::RFC4106_GCM_AES, &key(20, sa.id.spi as u8), 128).unwrap());
}

fn des3_sha1(sa: &mut SaSpec) {
    sa.encryption = Some(Algorithm::new(names::CBC_DES3_EDE, &key(24, sa.id.spi as u8)).unwrap());
    sa.authentication = Some(
        AuthAlgorithm::new(names::HMAC_SHA1, &key(20, 1 + sa.id.spi as u8), Some(96)).unwrap(),
    );
}

/// Pings across the pair and checks that both SAs counted the packets on both sides. Skips
/// `test` unless it runs as root.
fn ping_through(test: &str, ipv6: bool, tunnel: bool, configure: &dyn Fn(&mut SaSpec)) {
    if !require_root(test) {
        return;
    }
    let mut pair = Pair::new(ipv6, tunnel);
    let outbound = pair.sa(pair.left_outer, pair.right_outer, 0x501, configure);
    let inbound = pair.sa(pair.right_outer, pair.left_outer, 0x502, configure);
    pair.install(&outbound, &inbound);

    let output = pair.ping(3);
    assert!(
        output.status.success(),
        "ping {} -> {} failed: {}{}",
        pair.left_inner,
        pair.right_inner,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    for (side, socket) in [
        ("left", &mut pair.left_socket),
        ("right", &mut pair.right_socket),
    ] {
        for sa in [&outbound, &inbound] {
            let state = socket.get_sa(&sa.sa_id()).expect("get SA after ping");
            assert!(
                state.current.packets >= 3,
                "{side}: SA {:#x} carried {} packets, expected the 3 pings",
                sa.id.spi,
                state.current.packets
            );
        }
    }
}

#[test]
#[ignore = "needs a kernel with ESP: runs in the VM (ci/steps/52-xfrm-vm.sh)"]
fn ping_crosses_ipv4_tunnel() {
    ping_through("ping_crosses_ipv4_tunnel", false, true, &aes_sha256);
}

#[test]
#[ignore = "needs a kernel with ESP: runs in the VM (ci/steps/52-xfrm-vm.sh)"]
fn ping_crosses_ipv4_transport() {
    ping_through("ping_crosses_ipv4_transport", false, false, &gcm);
}

#[test]
#[ignore = "needs a kernel with ESP: runs in the VM (ci/steps/52-xfrm-vm.sh)"]
fn ping_crosses_ipv6_tunnel() {
    ping_through("ping_crosses_ipv6_tunnel", true, true, &gcm);
}

#[test]
#[ignore = "needs a kernel with ESP: runs in the VM (ci/steps/52-xfrm-vm.sh)"]
fn ping_crosses_ipv6_transport() {
    ping_through("ping_crosses_ipv6_transport", true, false, &des3_sha1);
}

#[test]
#[ignore = "needs a kernel with ESP: runs in the VM (ci/steps/52-xfrm-vm.sh)"]
fn byte_limit_expires_sa_with_events() {
    if !require_root("byte_limit_expires_sa_with_events") {
        return;
    }
    let mut pair = Pair::new(false, false);
    pair.left.enter();
    let mut events = XfrmSocket::open().expect("open event socket in left");
    events
        .subscribe(MulticastGroup::EXPIRE)
        .expect("join the expire group");

    // In transport mode the kernel counts 64 bytes per echo request (ICMP header and data,
    // Linux 6.1): the soft limit falls after 5 requests, the hard one after 16, and the 17th
    // request finds the SA expired.
    let mut outbound = pair.sa(pair.left_outer, pair.right_outer, 0x601, &aes_sha256);
    outbound.lifetime.soft_byte_limit = 300;
    outbound.lifetime.hard_byte_limit = 1000;
    let inbound = pair.sa(pair.right_outer, pair.left_outer, 0x602, &aes_sha256);
    pair.install(&outbound, &inbound);

    // The ping fails once the hard limit removes the SA; only the events matter here.
    let ping = pair.ping(20);
    let after_ping = pair.left_socket.get_sa(&outbound.sa_id());

    let mut soft = None;
    let mut hard = None;
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while hard.is_none() && Instant::now() < deadline {
        let Some(event) = events
            .receive_event(Duration::from_secs(1))
            .expect("receive event")
        else {
            continue;
        };
        seen.push(format!("{event:?}"));
        if let XfrmMessage::Expire(expire) = event {
            assert_eq!(
                expire.state.id.spi, outbound.id.spi,
                "only the limited SA expires"
            );
            if expire.hard {
                hard = Some(expire);
            } else {
                soft = Some(expire);
            }
        }
    }
    let context = format!(
        "ping: {}{}\nSA after ping: {after_ping:?}\nevents: {seen:#?}",
        String::from_utf8_lossy(&ping.stdout),
        String::from_utf8_lossy(&ping.stderr)
    );
    let soft = soft.unwrap_or_else(|| panic!("a soft expire event\n{context}"));
    let hard = hard.unwrap_or_else(|| panic!("a hard expire event\n{context}"));
    assert!(
        soft.state.current.bytes >= 300,
        "soft expire after {} bytes",
        soft.state.current.bytes
    );
    assert!(
        hard.state.current.bytes >= 1000,
        "hard expire after {} bytes",
        hard.state.current.bytes
    );
    assert_eq!(hard.state.lifetime.hard_byte_limit, 1000);

    let error = pair
        .left_socket
        .get_sa(&outbound.sa_id())
        .expect_err("hard expiry deletes the SA");
    assert!(
        matches!(error, XfrmError::Kernel { errno: 3, .. }),
        "ESRCH: {error:?}"
    );
}
