//! Property tests: model to text to model is the identity, and no text makes the parsers
//! panic.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use ike_wire::GroupDescription;
use ipsec_conf::{
    parse_secrets_str, parse_str, write_config, AuthBy, Auto, Config, ConfigSetup, Conn, ConnType,
    DpdAction, End, EspAlgs, Host, Id, IkeAlgs, Ikev2Policy, NextHop, Phase2, ProtoPort, RsaSigKey,
    Subnet,
};
use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

fn ip() -> impl Strategy<Value = IpAddr> {
    prop_oneof![
        any::<u32>().prop_map(|n| IpAddr::V4(Ipv4Addr::from(n))),
        any::<u128>().prop_map(|n| IpAddr::V6(Ipv6Addr::from(n))),
    ]
}

fn specified_ip() -> impl Strategy<Value = IpAddr> {
    ip().prop_filter("unspecified addresses read back as %any", |a| {
        !a.is_unspecified()
    })
}

fn subnet() -> impl Strategy<Value = Subnet> {
    ip().prop_flat_map(|addr| {
        let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
        (Just(addr), 0..=max).prop_map(|(addr, prefix_len)| Subnet { addr, prefix_len })
    })
}

fn hostname() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9-]{0,10}(\\.[a-z][a-z0-9-]{0,10}){0,3}"
}

/// Text without quotes, line breaks or `{`, which the grammar cannot carry in a value.
fn plain_text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9/_.:%,=@+-]([A-Za-z0-9/_.:%,=@+ -]{0,20}[A-Za-z0-9/_.:%,=@+-])?"
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,8}"
}

fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        ip().prop_map(Host::Addr),
        Just(Host::DefaultRoute),
        Just(Host::Any),
        Just(Host::Opportunistic),
        Just(Host::Group),
        Just(Host::OpportunisticGroup),
        hostname().prop_map(Host::Fqdn),
    ]
}

fn id() -> impl Strategy<Value = Id> {
    prop_oneof![
        specified_ip().prop_map(Id::Addr),
        hostname().prop_map(Id::Fqdn),
        (word(), hostname()).prop_map(|(user, host)| Id::UserFqdn(format!("{user}@{host}"))),
        "[0-9a-f]{2,16}".prop_map(Id::KeyId),
        (word(), word()).prop_map(|(o, cn)| Id::Dn(format!("C=CA, O={o}, CN={cn}"))),
        Just(Id::Any),
        Just(Id::FromCert),
        hostname().prop_map(Id::Hostname),
    ]
}

/// A real 2048-bit key in `0s` form (the parser now decodes keys, so random text will not do).
const KEY_0S: &str = "0sAwEAAbtb1MZfBpUZml+ACjJsYBDQMpl/mkpFRA/6tQmrZjd6zT28T+HXsvcp99ONFwk3KQIG1KjKSRdr2Z4u3+4NaD2Sdgrf2yEJ8T73rikDqLVgU6UhYj+3OrHhCyhDuQu5ivfc8xAf6rvaJK6FbLIPOJyAqlj4KcC7k6ra8cok5MQbYTWXOzcHV81HrYV21/j+jJJnT1HRqoB/4fWe4HK1xkRykr2UymzE+BQwrilhTGEieFIHYftphr2Pg2A5nHDSWIe59MCRQbh4neqYTtFIR0c46s6kCKMV/v9287XjFQ1WpFnskVlK0uQOVJ3EKgnBuZSo8ND9EhsrUv2k4WJupHs=";

/// Another real 2048-bit key, in `0x` form.
const KEY_0X: &str = "0x03010001c4bdb8696d47ba1c845d345e96d0fefbff02dcdaa63fd7ec56022cdacb412fec99b3e3945fe7648ed375a2a79cff84532ac2b73f76321438d41a2e66ad8b0487e6d27a054328d1fef4d3553c13437b873d506a6b1d077d4c290ea06ba1437739bbd1fc7111bf8fa815265e4945b4abd4487f0d3f9919596a732401ce69eeb9d3547ce2da2b39c60270d9f361b92dc634b426a873bb58b80ecebf8a634b2f99979ae4533579284be5c47f28978d1819a5dd1a4cb074ad706bcec876dbda2ca4fd66a608737c4f8f57cbb3fe9b432624248c829d8106c61829ac7c40bb0486e68697f9c24c10f7c9394b004b9c7525fdb008698027c9eb9cf0c39a5b917bbe2f17";

fn rsasigkey() -> impl Strategy<Value = RsaSigKey> {
    prop_oneof![
        Just(RsaSigKey::Key(KEY_0S.to_owned())),
        Just(RsaSigKey::Key(KEY_0X.to_owned())),
        Just(RsaSigKey::Cert),
        Just(RsaSigKey::Dns),
        Just(RsaSigKey::None),
    ]
}

fn nexthop() -> impl Strategy<Value = NextHop> {
    prop_oneof![
        ip().prop_map(NextHop::Addr),
        Just(NextHop::DefaultRoute),
        Just(NextHop::Direct),
    ]
}

fn end() -> impl Strategy<Value = End> {
    (
        (
            option::of(host()),
            vec(subnet(), 0..3),
            option::of(id()),
            option::of(rsasigkey()),
            option::of(rsasigkey()),
            option::of(nexthop()),
            option::of(ip()),
        ),
        (
            option::of((any::<u8>(), option::of(any::<u16>()))),
            option::of(plain_text()),
            option::of(plain_text()),
            option::of(plain_text()),
            option::of(prop_oneof![Just("always"), Just("ifasked"), Just("never")]),
            any::<[bool; 4]>(),
        ),
    )
        .prop_map(
            |(
                (host, mut subnets, id, rsasigkey, rsasigkey2, nexthop, sourceip),
                (protoport, updown, cert, ca, sendcert, flags),
            )| {
                subnets.dedup();
                let mut unique = Vec::new();
                for s in subnets {
                    if !unique.contains(&s) {
                        unique.push(s);
                    }
                }
                End {
                    host,
                    subnets: unique,
                    id,
                    rsasigkey,
                    rsasigkey2,
                    nexthop,
                    sourceip,
                    protoport: protoport.map(|(protocol, port)| ProtoPort { protocol, port }),
                    updown,
                    cert,
                    ca,
                    sendcert: sendcert.map(str::to_owned),
                    xauthserver: flags[0],
                    xauthclient: flags[1],
                    modecfgserver: flags[2],
                    modecfgclient: flags[3],
                }
            },
        )
}

fn duration() -> impl Strategy<Value = Duration> {
    (0u64..10_000_000).prop_map(Duration::from_secs)
}

const IKE_STRINGS: &[&str] = &[
    "3des-md5;modp1024",
    "aes128-sha1-modp2048",
    "aes256-sha2_256-modp1536,3des-sha1!",
    "aes",
];

const ESP_STRINGS: &[&str] = &[
    "aes256-sha2_256",
    "3des-md5;modp1024",
    "aes_gcm128-null",
    "aes128-sha1,3des-md5!",
];

/// Unsupported keys and `x-` keys, which the model keeps in `other`.
fn conn_other() -> impl Strategy<Value = BTreeMap<String, String>> {
    btree_map(
        prop_oneof![
            Just("mtu".to_owned()),
            Just("metric".to_owned()),
            Just("leftspibase".to_owned()),
            "x-[a-z]{1,8}",
        ],
        plain_text(),
        0..3,
    )
}

fn conn() -> impl Strategy<Value = Conn> {
    (
        (
            "[a-z][a-z0-9-]{0,12}",
            end(),
            end(),
            prop_oneof![
                Just(AuthBy::RsaSig),
                Just(AuthBy::Secret),
                Just(AuthBy::SecretOrRsaSig),
                Just(AuthBy::Never)
            ],
            prop_oneof![
                Just(Auto::Ignore),
                Just(Auto::Add),
                Just(Auto::Route),
                Just(Auto::Start),
                Just(Auto::Manual)
            ],
            prop_oneof![
                Just(ConnType::Tunnel),
                Just(ConnType::Transport),
                Just(ConnType::Passthrough),
                Just(ConnType::Drop),
                Just(ConnType::Reject)
            ],
            option::of(prop::sample::select(IKE_STRINGS)),
            option::of(prop::sample::select(ESP_STRINGS)),
        ),
        (
            prop_oneof![Just(Phase2::Esp), Just(Phase2::Ah)],
            option::of(prop::sample::select(&[2u16, 5, 14, 15, 16][..])),
            prop_oneof![
                Just(Ikev2Policy::Never),
                Just(Ikev2Policy::Permit),
                // ikev2=insist is an error here (IKEv1 only), so no loadable model has it.
                Just(Ikev2Policy::Propose)
            ],
            (duration(), duration(), duration()),
            (any::<u32>(), any::<u32>()),
            (option::of(duration()), option::of(duration())),
            prop_oneof![
                Just(DpdAction::Hold),
                Just(DpdAction::Clear),
                Just(DpdAction::Restart),
                Just(DpdAction::RestartByPeer)
            ],
            any::<[bool; 5]>(),
            conn_other(),
        ),
    )
        .prop_map(
            |(
                (name, left, right, authby, auto, conn_type, ike, esp),
                (phase2, pfsgroup, ikev2, lifetimes, counts, dpd, dpdaction, flags, other),
            )| {
                let mut conn = Conn::new(name);
                conn.left = left;
                conn.right = right;
                conn.authby = authby;
                conn.auto = auto;
                conn.conn_type = conn_type;
                conn.ike = ike.map(|t| IkeAlgs::parse(t).unwrap());
                conn.esp = esp.map(|t| EspAlgs::parse(t).unwrap());
                conn.phase2 = phase2;
                conn.pfsgroup = pfsgroup.map(GroupDescription);
                conn.ikev2 = ikev2;
                (conn.ikelifetime, conn.salifetime, conn.rekeymargin) = lifetimes;
                (conn.rekeyfuzz, conn.keyingtries) = counts;
                (conn.dpddelay, conn.dpdtimeout) = dpd;
                conn.dpdaction = dpdaction;
                conn.pfs = flags[0];
                conn.aggrmode = flags[1];
                conn.rekey = flags[2];
                conn.forceencaps = flags[3];
                conn.compress = flags[4];
                conn.other = other;
                // A conn that is loaded at start needs both hosts; the parser rejects it
                // otherwise, so only such valid models are generated.
                if matches!(conn.auto, Auto::Add | Auto::Route | Auto::Start) {
                    conn.left.host.get_or_insert(Host::DefaultRoute);
                    conn.right.host.get_or_insert(Host::Any);
                }
                conn
            },
        )
}

fn setup() -> impl Strategy<Value = ConfigSetup> {
    (
        (
            option::of(prop_oneof![
                Just("%defaultroute".to_owned()),
                Just("%none".to_owned()),
                Just("ipsec0=eth0 ipsec1=ppp0".to_owned()),
            ]),
            any::<[bool; 5]>(),
            vec((any::<bool>(), subnet(), any::<bool>()), 0..4),
            option::of(prop_oneof![Just("netkey"), Just("klips"), Just("auto")]),
            vec(word(), 0..3),
        ),
        (
            option::of(id().prop_map(|i| i.to_string())),
            option::of(duration()),
            option::of(ip()),
            btree_map("x-[a-z]{1,8}", plain_text(), 0..2),
        ),
    )
        .prop_map(
            |(
                (interfaces, flags, vp, protostack, plutodebug),
                (myid, keep_alive, listen, other),
            )| {
                ConfigSetup {
                    interfaces,
                    nat_traversal: flags[0],
                    virtual_private: vp
                        .into_iter()
                        .map(|(not, net, _)| {
                            let family = if net.addr.is_ipv4() { "v4" } else { "v6" };
                            let bang = if not { "!" } else { "" };
                            format!("%{family}:{bang}{net}")
                        })
                        .collect(),
                    protostack: protostack.map(str::to_owned),
                    plutodebug,
                    uniqueids: flags[1],
                    oe: flags[2],
                    myid: myid.filter(|m| !m.contains(' ')),
                    keep_alive,
                    force_keepalive: flags[3],
                    listen,
                    other,
                }
            },
        )
}

fn config() -> impl Strategy<Value = Config> {
    (
        option::of(prop_oneof![Just("2".to_owned()), Just("2.0".to_owned())]),
        setup(),
        vec(conn(), 0..4),
    )
        .prop_map(|(version, setup, conns)| {
            let mut unique: Vec<Conn> = Vec::new();
            for conn in conns {
                if !unique.iter().any(|c| c.name == conn.name) {
                    unique.push(conn);
                }
            }
            Config {
                version,
                setup,
                conns: unique,
            }
        })
}

#[test]
fn model_text_model_identity() {
    // The strategy's value trees are deep nested tuples, which overflow the test harness's
    // default 2 MiB stack in unoptimised builds.
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(|| {
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(512));
            let result = runner.run(&config(), |config| {
                let text = write_config(&config);
                let parsed = parse_str(&text, "roundtrip.conf");
                let errors: Vec<String> = parsed.errors().map(ToString::to_string).collect();
                prop_assert!(errors.is_empty(), "{errors:#?}\n{text}");
                prop_assert_eq!(&parsed.value, &config, "{}", text);
                Ok(())
            });
            if let Err(failure) = result {
                panic!("{failure}");
            }
        })
        .unwrap();
    worker.join().unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_conf_text_never_panics(text in "(?s).{0,400}") {
        let _ = parse_str(&text, "/nonexistent-proptest-dir/ipsec.conf");
    }

    #[test]
    fn conf_like_text_never_panics(
        lines in vec(prop_oneof![
            Just("conn a".to_owned()),
            Just("conn %default".to_owned()),
            Just("config setup".to_owned()),
            Just("version 2".to_owned()),
            Just("include *.conf".to_owned()),
            "[\t ]{0,2}[a-z]{1,12}=[ -~]{0,20}",
            "[\t ]also(flip)?=[ab]",
            "[ -~]{0,30}",
        ], 0..30)
    ) {
        let _ = parse_str(&lines.join("\n"), "/nonexistent-proptest-dir/ipsec.conf");
    }

    #[test]
    fn arbitrary_secrets_text_never_panics(text in "(?s).{0,400}") {
        let parsed = parse_secrets_str(&text, "/nonexistent-proptest-dir/ipsec.secrets");
        let local = Id::parse("192.0.2.1");
        let _ = parsed.value.psk(&local, &Id::Any);
    }

    #[test]
    fn secrets_like_text_never_panics(
        lines in vec(prop_oneof![
            "[0-9.@a-z%: ]{0,20}: (PSK|RSA|XAUTH) [\"{0-9a-zA-Z}: ]{0,20}",
            "[\t ]+[A-Za-z]{1,10}: 0[sx][0-9A-Za-z+/=]{0,20}",
            Just("}".to_owned()),
            Just(": RSA {".to_owned()),
            "[ -~]{0,30}",
        ], 0..20)
    ) {
        let _ = parse_secrets_str(&lines.join("\n"), "/nonexistent-proptest-dir/ipsec.secrets");
    }
}
