//! Byte-exact comparison with iproute2. For each row of a table, `ip xfrm ...` runs under
//! strace in a fresh `xf-*` network namespace, and the test takes the netlink request it sends
//! from strace's hex dump. That request must equal the one this crate builds for the command.
//!
//! Two header fields differ by design and are zeroed in both messages before comparing:
//! `nlmsg_seq` (iproute2 uses the time of day, the crate a per-socket counter) and `nlmsg_pid`
//! (iproute2 sends 0, the crate's socket sends its port id). Everything else must match: the
//! message type, flags, lengths, every structure field, padding byte and attribute.
//!
//! On a kernel without ESP, `ip xfrm state add ... proto esp` fails ("Requested type not
//! found"), but only after sending the request, which is what the test captures.
//!
//! Needs root (network namespaces) and strace.

mod common;

use std::net::IpAddr;

use common::{require_root, Netns};
use xfrm_sys::{
    names, AddressFamily, AddressFilter, AeadAlgorithm, Algorithm, AllocSpi, AuthAlgorithm,
    Direction, Encap, EncapType, FlushPolicy, FlushSa, IpProtocol, LifetimeConfig, Mark, Mode,
    NetlinkMessage, PolicyAction, PolicyFlags, PolicyId, PolicySpec, PolicyType, ReplayEsn,
    ReplayState, SaExtraFlags, SaFlags, SaId, SaSpec, Selector, Template, XfrmAddress, XfrmMessage,
};

const AES128_KEY: &str = "0x00112233445566778899aabbccddeeff";
const AES256_KEY: &str = "0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const DES3_KEY: &str = "0x00112233445566778899aabbccddeeff0011223344556677";
const MD5_KEY: &str = "0xffeeddccbbaa99887766554433221100";
const SHA1_KEY: &str = "0xffeeddccbbaa99887766554433221100ffeeddcc";
const SHA256_KEY: &str = "0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
const SHA384_KEY: &str =
    "0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
const SHA512_KEY: &str = "0xffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";
const GCM128_KEY: &str = "0x00112233445566778899aabbccddeeff01020304";

fn key(hex: &str) -> Vec<u8> {
    let digits = hex.trim_start_matches("0x");
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).expect("test key is hex"))
        .collect()
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address is valid")
}

/// One row: the `ip xfrm` arguments and the message the crate must build for them.
struct Case {
    name: &'static str,
    args: Vec<String>,
    message: XfrmMessage,
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_owned).collect()
}

fn sa_cases() -> Vec<Case> {
    let mut cases = Vec::new();

    // IPv4 tunnel mode, AES-CBC with HMAC-SHA1-96, a selector with ports and every limit.
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x1000,
        Mode::TUNNEL,
    );
    sa.reqid = 7;
    // iproute2 parses `seq` into network byte order; the kernel reads the field in host order.
    sa.seq = 9u32.to_be();
    sa.replay_window = 32;
    sa.flags = SaFlags::NOECN
        | SaFlags::DECAP_DSCP
        | SaFlags::NOPMTUDISC
        | SaFlags::WILDRECV
        | SaFlags::ICMP
        | SaFlags::ALIGN4;
    sa.selector = Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16)
        .with_protocol(IpProtocol::UDP)
        .with_source_port(Some(500))
        .with_destination_port(Some(4500));
    sa.lifetime = LifetimeConfig {
        soft_byte_limit: 1000,
        hard_byte_limit: 2000,
        soft_packet_limit: 10,
        hard_packet_limit: 20,
        soft_add_expires_seconds: 30,
        hard_add_expires_seconds: 60,
        soft_use_expires_seconds: 40,
        hard_use_expires_seconds: 80,
    };
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &key(AES128_KEY)).unwrap());
    sa.authentication =
        Some(AuthAlgorithm::new(names::HMAC_SHA1, &key(SHA1_KEY), Some(96)).unwrap());
    cases.push(Case {
        name: "newsa ipv4 tunnel aes sha1 selector limits",
        args: args(&format!(
            "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 7 seq 9 mode tunnel \
             replay-window 32 \
             flag noecn flag decap-dscp flag nopmtudisc flag wildrecv flag icmp flag align4 \
             sel src 10.1.0.0/16 dst 10.2.0.0/16 proto udp sport 500 dport 4500 \
             limit byte-soft 1000 limit byte-hard 2000 limit packet-soft 10 limit packet-hard 20 \
             limit time-soft 30 limit time-hard 60 limit time-use-soft 40 limit time-use-hard 80 \
             enc cbc(aes) {AES128_KEY} auth-trunc hmac(sha1) {SHA1_KEY} 96"
        )),
        message: XfrmMessage::NewSa(sa),
    });

    // IPv4 transport mode in UDP (NAT traversal), 3DES with untruncated HMAC-MD5, replay
    // counters, extra flags, marks, interface id and TFC padding.
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x2000,
        Mode::TRANSPORT,
    );
    sa.flags = SaFlags::AF_UNSPEC;
    sa.encap = Some(Encap {
        kind: EncapType::ESPINUDP,
        sport: 4500,
        dport: 4501,
        original_address: XfrmAddress::from(ip("198.51.100.7")),
    });
    sa.encryption = Some(Algorithm::new(names::CBC_DES3_EDE, &key(DES3_KEY)).unwrap());
    sa.authentication = Some(AuthAlgorithm::new(names::HMAC_MD5, &key(MD5_KEY), None).unwrap());
    sa.replay_state = Some(ReplayState {
        oseq: 4,
        seq: 3,
        bitmap: 0,
    });
    sa.extra_flags = Some(SaExtraFlags::DONT_ENCAP_DSCP.0 | SaExtraFlags::OSEQ_MAY_WRAP.0);
    sa.mark = Some(Mark {
        value: 7,
        mask: 0xff,
    });
    sa.if_id = Some(9);
    sa.tfc_pad = Some(16);
    sa.output_mark = Some(3);
    sa.output_mark_mask = Some(0xf);
    cases.push(Case {
        name: "newsa ipv4 transport espinudp 3des md5 marks",
        args: args(&format!(
            "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x2000 mode transport \
             flag af-unspec replay-seq 3 replay-oseq 4 encap espinudp 4500 4501 198.51.100.7 \
             enc cbc(des3_ede) {DES3_KEY} auth hmac(md5) {MD5_KEY} \
             extra-flag dont-encap-dscp extra-flag oseq-may-wrap \
             mark 7 mask 0xff if_id 9 tfcpad 16 output-mark 3 mask 0xf"
        )),
        message: XfrmMessage::NewSa(sa),
    });

    // IPv6 tunnel mode, AES-GCM (RFC 4106) with ESN.
    let mut sa = SaSpec::new(
        ip("2001:db8::1"),
        ip("2001:db8::2"),
        IpProtocol::ESP,
        0x3000,
        Mode::TUNNEL,
    );
    sa.reqid = 3;
    sa.flags = SaFlags::ESN;
    sa.selector = Selector::subnets(ip("2001:db8:1::"), 48, ip("2001:db8:2::"), 48);
    sa.aead = Some(AeadAlgorithm::new(names::RFC4106_GCM_AES, &key(GCM128_KEY), 128).unwrap());
    sa.replay_esn = Some(ReplayEsn {
        seq_hi: 1,
        oseq_hi: 2,
        ..ReplayEsn::with_window(128)
    });
    cases.push(Case {
        name: "newsa ipv6 tunnel gcm esn",
        args: args(&format!(
            "state add src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x3000 reqid 3 mode tunnel \
             flag esn replay-window 128 replay-seq-hi 1 replay-oseq-hi 2 \
             sel src 2001:db8:1::/48 dst 2001:db8:2::/48 \
             aead rfc4106(gcm(aes)) {GCM128_KEY} 128"
        )),
        message: XfrmMessage::NewSa(sa),
    });

    // The HMAC-SHA-2 family with their RFC 4868 truncations, and AES-256.
    for (name, auth, auth_key, truncation, spi, spi_text) in [
        (
            "newsa aes256 sha256",
            "hmac(sha256)",
            SHA256_KEY,
            "128",
            0x4001,
            "0x4001",
        ),
        (
            "newsa aes256 sha384",
            "hmac(sha384)",
            SHA384_KEY,
            "192",
            0x4002,
            "0x4002",
        ),
        (
            "newsa aes256 sha512",
            "hmac(sha512)",
            SHA512_KEY,
            "256",
            0x4003,
            "0x4003",
        ),
    ] {
        let mut sa = SaSpec::new(
            ip("192.0.2.1"),
            ip("192.0.2.2"),
            IpProtocol::ESP,
            spi,
            Mode::TRANSPORT,
        );
        sa.encryption = Some(Algorithm::new(names::CBC_AES, &key(AES256_KEY)).unwrap());
        sa.authentication = Some(
            AuthAlgorithm::new(auth, &key(auth_key), Some(truncation.parse().unwrap())).unwrap(),
        );
        cases.push(Case {
            name,
            args: args(&format!(
                "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi {spi_text} \
                 enc cbc(aes) {AES256_KEY} auth-trunc {auth} {auth_key} {truncation}"
            )),
            message: XfrmMessage::NewSa(sa),
        });
    }

    // IPComp.
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::COMP,
        0x5000,
        Mode::TUNNEL,
    );
    sa.compression = Some(Algorithm::new(names::DEFLATE, &[]).unwrap());
    cases.push(Case {
        name: "newsa ipcomp deflate",
        args: args(
            "state add src 192.0.2.1 dst 192.0.2.2 proto comp spi 0x5000 mode tunnel comp deflate",
        ),
        message: XfrmMessage::NewSa(sa),
    });

    // Update of an SA.
    let mut sa = SaSpec::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x1000,
        Mode::TUNNEL,
    );
    sa.reqid = 7;
    sa.encryption = Some(Algorithm::new(names::CBC_AES, &key(AES128_KEY)).unwrap());
    sa.authentication =
        Some(AuthAlgorithm::new(names::HMAC_SHA256, &key(SHA256_KEY), Some(128)).unwrap());
    cases.push(Case {
        name: "updsa",
        args: args(&format!(
            "state update src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 7 mode tunnel \
             enc cbc(aes) {AES128_KEY} auth-trunc hmac(sha256) {SHA256_KEY} 128"
        )),
        message: XfrmMessage::UpdateSa(sa),
    });

    // SPI allocation.
    let mut request = AllocSpi::new(
        ip("192.0.2.1"),
        ip("192.0.2.2"),
        IpProtocol::ESP,
        0x100,
        0x200,
    );
    request.info.reqid = 5;
    request.info.mode = Mode::TUNNEL;
    request.info.seq = 11u32.to_be();
    request.info.mark = Some(Mark {
        value: 1,
        mask: 0xffff_ffff,
    });
    cases.push(Case {
        name: "allocspi",
        args: args("state allocspi src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel mark 1 reqid 5 seq 11 min 0x100 max 0x200"),
        message: XfrmMessage::AllocSpi(request),
    });

    // Delete and get by SA id, with and without a mark.
    cases.push(Case {
        name: "delsa",
        args: args("state delete src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000"),
        message: XfrmMessage::DeleteSa(SaId::new(
            ip("192.0.2.1"),
            ip("192.0.2.2"),
            IpProtocol::ESP,
            0x1000,
        )),
    });
    let mut id = SaId::new(
        ip("2001:db8::1"),
        ip("2001:db8::2"),
        IpProtocol::ESP,
        0x3000,
    );
    id.mark = Some(Mark {
        value: 5,
        mask: 0xf,
    });
    cases.push(Case {
        name: "getsa ipv6 with mark",
        args: args(
            "state get src 2001:db8::1 dst 2001:db8::2 proto esp spi 0x3000 mark 5 mask 0xf",
        ),
        message: XfrmMessage::GetSa(id),
    });

    cases.push(Case {
        name: "flushsa all",
        args: args("state flush"),
        message: XfrmMessage::FlushSa(FlushSa {
            proto: IpProtocol::ANY,
        }),
    });
    cases.push(Case {
        name: "flushsa esp",
        args: args("state flush proto esp"),
        message: XfrmMessage::FlushSa(FlushSa {
            proto: IpProtocol::ESP,
        }),
    });
    cases.push(Case {
        name: "dump sas",
        args: args("state list"),
        message: XfrmMessage::DumpSas(Some(AddressFilter::default())),
    });
    cases
}

fn policy_cases() -> Vec<Case> {
    let mut cases = Vec::new();

    // Forward policy with every policy attribute: type, two templates, mark, interface id.
    let selector = Selector::subnets(ip("10.1.0.0"), 24, ip("10.2.0.0"), 24)
        .with_protocol(IpProtocol::TCP)
        .with_destination_port(Some(80));
    let mut policy = PolicySpec::new(selector, Direction::FWD);
    policy.priority = 10;
    policy.flags = PolicyFlags::LOCALOK;
    policy.policy_type = Some(PolicyType::MAIN);
    let mut esp = Template::tunnel(IpProtocol::ESP, ip("192.0.2.1"), ip("192.0.2.2")).with_reqid(3);
    esp.optional = 1;
    let mut comp = Template::transport(IpProtocol::COMP, AddressFamily::INET);
    comp.id.spi = 0x77;
    policy.templates = vec![esp, comp];
    policy.mark = Some(Mark {
        value: 5,
        mask: 0xf,
    });
    policy.if_id = Some(4);
    cases.push(Case {
        name: "newpolicy fwd templates mark if_id",
        args: args(
            "policy add src 10.1.0.0/24 dst 10.2.0.0/24 proto tcp dport 80 dir fwd priority 10 \
             action allow flag localok ptype main mark 5 mask 0xf if_id 4 \
             tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 3 mode tunnel level use \
             tmpl proto comp spi 0x77 mode transport",
        ),
        message: XfrmMessage::NewPolicy(policy),
    });

    // IPv6 block policy with lifetimes, replaced through UPDPOLICY.
    let mut policy = PolicySpec::new(
        Selector::subnets(ip("2001:db8:1::"), 48, ip("2001:db8:2::"), 48),
        Direction::IN,
    );
    policy.action = PolicyAction::BLOCK;
    policy.index = 0x40;
    policy.lifetime.soft_add_expires_seconds = 100;
    policy.lifetime.hard_add_expires_seconds = 200;
    policy.lifetime.soft_byte_limit = 3000;
    cases.push(Case {
        name: "updpolicy ipv6 block lifetimes",
        args: args(
            "policy update src 2001:db8:1::/48 dst 2001:db8:2::/48 dir in index 0x40 action block \
             limit time-soft 100 limit time-hard 200 limit byte-soft 3000",
        ),
        message: XfrmMessage::UpdatePolicy(policy),
    });

    // IPv4 output policy, tunnel template, as a gateway installs one.
    let mut policy = PolicySpec::new(
        Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16),
        Direction::OUT,
    );
    policy.templates =
        vec![Template::tunnel(IpProtocol::ESP, ip("192.0.2.1"), ip("192.0.2.2")).with_reqid(1)];
    cases.push(Case {
        name: "newpolicy out tunnel",
        args: args(
            "policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out \
             tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel",
        ),
        message: XfrmMessage::NewPolicy(policy),
    });

    cases.push(Case {
        name: "delpolicy by selector",
        args: args("policy delete src 10.1.0.0/16 dst 10.2.0.0/16 dir out"),
        message: XfrmMessage::DeletePolicy(PolicyId::new(
            Selector::subnets(ip("10.1.0.0"), 16, ip("10.2.0.0"), 16),
            Direction::OUT,
        )),
    });
    let mut id = PolicyId::new(
        Selector::subnets(ip("10.1.0.0"), 24, ip("10.2.0.0"), 24),
        Direction::FWD,
    );
    id.policy_type = Some(PolicyType::MAIN);
    id.mark = Some(Mark {
        value: 5,
        mask: 0xf,
    });
    id.if_id = Some(4);
    cases.push(Case {
        name: "delpolicy with type mark if_id",
        args: args("policy delete src 10.1.0.0/24 dst 10.2.0.0/24 dir fwd ptype main mark 5 mask 0xf if_id 4"),
        message: XfrmMessage::DeletePolicy(id),
    });
    // Without a selector, `ip xfrm policy get` still sets the selector's family to AF_INET.
    let selector = Selector {
        family: AddressFamily::INET,
        ..Selector::default()
    };
    let mut id = PolicyId::new(selector, Direction::IN);
    id.index = 0x48;
    cases.push(Case {
        name: "getpolicy by index",
        args: args("policy get index 0x48 dir in"),
        message: XfrmMessage::GetPolicy(id),
    });
    cases.push(Case {
        name: "flushpolicy",
        args: args("policy flush"),
        message: XfrmMessage::FlushPolicy(FlushPolicy::default()),
    });
    cases.push(Case {
        name: "flushpolicy sub",
        args: args("policy flush ptype sub"),
        message: XfrmMessage::FlushPolicy(FlushPolicy {
            policy_type: Some(PolicyType::SUB),
        }),
    });
    cases.push(Case {
        name: "dump policies",
        args: args("policy list"),
        message: XfrmMessage::DumpPolicies,
    });
    cases
}

/// Runs `ip xfrm ARGS` under strace in `netns` and returns the XFRM requests it sent, as
/// reassembled from strace's `-e write=all` hex dump.
fn capture(netns: &Netns, args: &[String]) -> Vec<Vec<u8>> {
    let mut strace_args = vec![
        "-f",
        "-qq",
        "-e",
        "trace=sendmsg,sendto",
        "-e",
        "write=all",
        "-xx",
        "-s",
        "65535",
        "ip",
        "xfrm",
    ];
    strace_args.extend(args.iter().map(String::as_str));
    let output = netns.exec("strace", &strace_args);
    let stderr = String::from_utf8_lossy(&output.stderr);

    // sendmsg dumps start each iovec with " * N bytes in buffer K"; sendto dumps have no such
    // line. A dump at offset 00000 starts a new datagram unless it follows "buffer K" with K > 0.
    let mut datagrams: Vec<Vec<u8>> = Vec::new();
    let mut continues_datagram = false;
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix(" * ") {
            continues_datagram = !rest.ends_with(" in buffer 0");
        } else if let Some(rest) = line.strip_prefix(" | ") {
            // " | 00000  fc 00 00 00 ...  ascii |": 5 offset digits, 2 spaces, 16 bytes in hex.
            if rest.starts_with("00000 ") && !continues_datagram {
                datagrams.push(Vec::new());
            }
            continues_datagram = false;
            let hex = rest
                .get(7..56)
                .unwrap_or_else(|| rest.get(7..).unwrap_or(""));
            let current = datagrams
                .last_mut()
                .expect("hex dump line after offset 00000");
            for token in hex.split_whitespace() {
                current.push(u8::from_str_radix(token, 16).expect("strace hex byte"));
            }
        }
    }

    datagrams
        .into_iter()
        .filter(|datagram| {
            let length = datagram
                .get(0..4)
                .map(|b| u32::from_ne_bytes(b.try_into().unwrap()));
            let kind = datagram
                .get(4..6)
                .map(|b| u16::from_ne_bytes(b.try_into().unwrap()));
            length == Some(datagram.len() as u32)
                && kind.is_some_and(|kind| (0x10..0x40).contains(&kind))
        })
        .collect()
}

/// Zeroes `nlmsg_seq` and `nlmsg_pid`, the two fields that legitimately differ.
fn normalise(mut message: Vec<u8>) -> Vec<u8> {
    if message.len() >= 16 {
        message[8..16].fill(0);
    }
    message
}

fn hex_lines(bytes: &[u8]) -> String {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(row, chunk)| {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            format!("{:04x}: {}\n", row * 16, hex.join(" "))
        })
        .collect()
}

fn check_cases(cases: Vec<Case>) {
    let netns = Netns::new("bytes");
    let mut failures = Vec::new();
    for case in cases {
        let captured = capture(&netns, &case.args);
        assert_eq!(
            captured.len(),
            1,
            "{}: expected one XFRM request from `ip xfrm {}`, strace showed {}",
            case.name,
            case.args.join(" "),
            captured.len()
        );
        let expected = normalise(captured.into_iter().next().unwrap());
        let built = normalise(NetlinkMessage::request(case.message.clone(), 0).to_bytes());
        if built != expected {
            let first = built
                .iter()
                .zip(&expected)
                .position(|(a, b)| a != b)
                .unwrap_or(built.len().min(expected.len()));
            failures.push(format!(
                "{}: first difference at byte {first} (built {} bytes, iproute2 {} bytes)\nip xfrm {}\nbuilt:\n{}iproute2:\n{}",
                case.name,
                built.len(),
                expected.len(),
                case.args.join(" "),
                hex_lines(&built),
                hex_lines(&expected)
            ));
            continue;
        }

        // The captured request also parses back to the same typed message.
        let parsed = NetlinkMessage::parse_datagram(&expected).expect("iproute2's request parses");
        assert_eq!(parsed.len(), 1, "{}: one message", case.name);
        assert_eq!(
            parsed[0].payload,
            xfrm_sys::Payload::Xfrm(case.message),
            "{}: parsed request",
            case.name
        );
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sa_requests_match_iproute2() {
    if !require_root("sa_requests_match_iproute2") {
        return;
    }
    check_cases(sa_cases());
}

#[test]
fn policy_requests_match_iproute2() {
    if !require_root("policy_requests_match_iproute2") {
        return;
    }
    check_cases(policy_cases());
}

#[test]
fn table_covers_every_attribute_kind() {
    // Every attribute the crate emits appears in at least one row, so each one is compared.
    let mut kinds = std::collections::BTreeSet::new();
    for case in sa_cases().into_iter().chain(policy_cases()) {
        let bytes = NetlinkMessage::request(case.message.clone(), 0).to_bytes();
        let fixed = match &case.message {
            XfrmMessage::DumpSas(_) | XfrmMessage::DumpPolicies | XfrmMessage::FlushPolicy(_) => 0,
            message => match message.message_type() {
                0x10 | 0x1a => SaSpec::SIZE,
                0x11 | 0x12 => SaId::SIZE,
                0x16 => AllocSpi::SIZE,
                0x13 | 0x19 => PolicySpec::SIZE,
                0x14 | 0x15 => PolicyId::SIZE,
                0x1c => FlushSa::SIZE,
                _ => 0,
            },
        };
        let mut offset = 16 + fixed;
        while offset + 4 <= bytes.len() {
            let length = u16::from_ne_bytes([bytes[offset], bytes[offset + 1]]) as usize;
            assert!(
                length >= 4,
                "{}: attribute length {length} at byte {offset}",
                case.name
            );
            kinds.insert(u16::from_ne_bytes([bytes[offset + 2], bytes[offset + 3]]));
            offset += (length + 3) & !3;
        }
    }
    use xfrm_sys::attr::*;
    for kind in [
        XFRMA_ALG_AUTH,
        XFRMA_ALG_CRYPT,
        XFRMA_ALG_COMP,
        XFRMA_ENCAP,
        XFRMA_TMPL,
        XFRMA_REPLAY_VAL,
        XFRMA_SRCADDR,
        XFRMA_POLICY_TYPE,
        XFRMA_ALG_AEAD,
        XFRMA_ALG_AUTH_TRUNC,
        XFRMA_MARK,
        XFRMA_TFCPAD,
        XFRMA_REPLAY_ESN_VAL,
        XFRMA_SA_EXTRA_FLAGS,
        XFRMA_ADDRESS_FILTER,
        XFRMA_SET_MARK,
        XFRMA_SET_MARK_MASK,
        XFRMA_IF_ID,
    ] {
        assert!(
            kinds.contains(&kind),
            "attribute {kind} is not in the table"
        );
    }
}
