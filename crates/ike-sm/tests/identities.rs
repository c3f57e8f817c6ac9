//! Handshakes with every identity type the engine supports: ID_IPV4_ADDR, ID_IPV6_ADDR (over
//! IPv6 transport with IPv6 subnets), ID_FQDN and ID_USER_FQDN, with pre-shared keys and RSA
//! signatures, plus an identity the responder does not expect.
//!
//! The driver here is a lossless network between two endpoints. The `Pair` harness in `util`
//! supports only IPv4 addresses, and these cases need no loss or NAT.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use ike_sm::{Auth, ChildSa, ConnectionConfig, Endpoint, EndpointConfig, Event, Identity, Subnet};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const CONN: &str = "net-to-net";
const PSK: &[u8] = b"identities test key";

/// The outcome of one negotiation: every event of each side.
struct Outcome {
    left: Vec<Event>,
    right: Vec<Event>,
}

impl Outcome {
    fn children(events: &[Event]) -> Vec<&ChildSa> {
        events
            .iter()
            .filter_map(|event| match event {
                Event::IpsecSaEstablished(child) => Some(child),
                _ => None,
            })
            .collect()
    }

    fn lines(events: &[Event]) -> Vec<String> {
        events
            .iter()
            .filter_map(|event| match event {
                Event::Status(line) => Some(line.to_string()),
                _ => None,
            })
            .collect()
    }
}

/// The addresses, subnets and identities of both sides. The left side is the initiator.
struct Sides {
    left_addr: IpAddr,
    right_addr: IpAddr,
    left_subnet: Subnet,
    right_subnet: Subnet,
    left_id: Identity,
    right_id: Identity,
}

impl Sides {
    fn config(&self, left: bool, auth: Auth) -> ConnectionConfig {
        let (local, remote) = if left {
            (self.left_addr, self.right_addr)
        } else {
            (self.right_addr, self.left_addr)
        };
        let mut config = ConnectionConfig::new(
            CONN,
            SocketAddr::new(local, 500),
            SocketAddr::new(remote, 500),
            auth,
        );
        let (local_subnet, remote_subnet, local_id, remote_id) = if left {
            (
                self.left_subnet,
                self.right_subnet,
                &self.left_id,
                &self.right_id,
            )
        } else {
            (
                self.right_subnet,
                self.left_subnet,
                &self.right_id,
                &self.left_id,
            )
        };
        config.local_subnet = Some(local_subnet);
        config.remote_subnet = Some(remote_subnet);
        config.local_id = local_id.clone();
        config.remote_id = remote_id.clone();
        config
    }
}

fn endpoint(config: ConnectionConfig, seed: u64) -> Endpoint {
    let mut endpoint = Endpoint::new(
        EndpointConfig::default(),
        Box::new(ChaCha20Rng::seed_from_u64(seed)),
    );
    endpoint.add_connection(config).expect("valid connection");
    endpoint
}

/// Runs the initiator's `ipsec auto --up` and delivers every datagram at once, for at most
/// `limit` of simulated time.
fn negotiate(left: ConnectionConfig, right: ConnectionConfig, limit: Duration) -> Outcome {
    let mut now = Instant::now();
    let end = now + limit;
    let mut left = endpoint(left, 1);
    let mut right = endpoint(right, 2);
    let mut outcome = Outcome {
        left: Vec::new(),
        right: Vec::new(),
    };
    left.initiate(now, CONN).expect("known connection");

    loop {
        let mut moved = false;
        for from_left in [true, false] {
            let (sender, receiver) = if from_left {
                (&mut left, &mut right)
            } else {
                (&mut right, &mut left)
            };
            while let Some(transmit) = sender.poll_transmit() {
                receiver.handle(now, transmit.remote, transmit.local, &transmit.payload);
                moved = true;
            }
        }
        while let Some(event) = left.poll_event() {
            outcome.left.push(event);
        }
        while let Some(event) = right.poll_event() {
            outcome.right.push(event);
        }
        if moved {
            continue;
        }

        let next = [left.poll_timeout(), right.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(at) if at <= end => {
                now = now.max(at);
                left.handle_timeout(now);
                right.handle_timeout(now);
            }
            _ => return outcome,
        }
    }
}

fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

fn subnet(addr: &str, prefix_len: u8) -> Subnet {
    Subnet::new(ip(addr), prefix_len).expect("test subnet")
}

fn ipv4_sides(left_id: Identity, right_id: Identity) -> Sides {
    Sides {
        left_addr: ip("192.0.2.1"),
        right_addr: ip("192.0.2.2"),
        left_subnet: subnet("172.16.1.0", 24),
        right_subnet: subnet("10.0.0.0", 24),
        left_id,
        right_id,
    }
}

fn ipv6_sides(left_id: Identity, right_id: Identity) -> Sides {
    Sides {
        left_addr: ip("2001:db8::1"),
        right_addr: ip("2001:db8::2"),
        left_subnet: subnet("2001:db8:1::", 64),
        right_subnet: subnet("2001:db8:2::", 64),
        left_id,
        right_id,
    }
}

fn psk() -> Auth {
    Auth::psk(PSK)
}

fn rsa_auth(left: bool) -> Auth {
    static KEYS: std::sync::OnceLock<(keystore::PrivateKey, keystore::PrivateKey)> =
        std::sync::OnceLock::new();
    let (left_key, right_key) = KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let left = keystore::generate(1024, &mut rng).expect("key generation");
        let right = keystore::generate(1024, &mut rng).expect("key generation");
        (left, right)
    });
    let (local, remote) = if left {
        (left_key, right_key)
    } else {
        (right_key, left_key)
    };
    Auth::Rsa {
        local: local.clone(),
        remote: remote.public(),
    }
}

/// Negotiates and checks that both sides established one matching pair of SAs with the
/// configured subnets and outer addresses.
fn assert_established(sides: &Sides, rsa: bool) -> Outcome {
    let auth = |left| if rsa { rsa_auth(left) } else { psk() };
    let outcome = negotiate(
        sides.config(true, auth(true)),
        sides.config(false, auth(false)),
        Duration::from_secs(5),
    );
    let left = Outcome::children(&outcome.left);
    let right = Outcome::children(&outcome.right);
    assert_eq!(
        left.len(),
        1,
        "left lines: {:#?}\nright lines: {:#?}",
        Outcome::lines(&outcome.left),
        Outcome::lines(&outcome.right)
    );
    assert_eq!(
        right.len(),
        1,
        "right lines: {:#?}",
        Outcome::lines(&outcome.right)
    );

    let (left, right) = (left[0], right[0]);
    assert_eq!(left.inbound.spi, right.outbound.spi);
    assert_eq!(left.outbound.spi, right.inbound.spi);
    assert_eq!(*left.inbound.enc_key, *right.outbound.enc_key);
    assert_eq!(*left.outbound.auth_key, *right.inbound.auth_key);
    assert_eq!(left.local_subnet, sides.left_subnet);
    assert_eq!(left.remote_subnet, sides.right_subnet);
    assert_eq!(right.local_subnet, sides.right_subnet);
    assert_eq!(right.remote_subnet, sides.left_subnet);
    assert_eq!(left.outbound.dst.ip(), sides.right_addr);
    assert_eq!(left.outbound.src.ip(), sides.left_addr);
    outcome
}

#[test]
fn ipv4_address_ids_psk() {
    let sides = ipv4_sides(Identity::Address, Identity::Address);
    assert_established(&sides, false);
}

#[test]
fn explicit_ipv4_ids_rsa() {
    let sides = ipv4_sides(
        Identity::Ipv4("192.0.2.1".parse().unwrap()),
        Identity::Ipv4("192.0.2.2".parse().unwrap()),
    );
    assert_established(&sides, true);
}

#[test]
fn user_fqdn_ids_psk_and_rsa() {
    let sides = ipv4_sides(
        Identity::UserFqdn("left@example.org".into()),
        Identity::UserFqdn("right@example.org".into()),
    );
    assert_established(&sides, false);
    assert_established(&sides, true);
}

#[test]
fn ipv6_address_ids_psk() {
    let sides = ipv6_sides(Identity::Address, Identity::Address);
    let outcome = assert_established(&sides, false);
    let lines = Outcome::lines(&outcome.left);
    assert!(
        lines
            .iter()
            .any(|line| line.contains("IPsec SA established")),
        "left lines: {lines:#?}"
    );
}

#[test]
fn ipv6_fqdn_ids_rsa() {
    let sides = ipv6_sides(
        Identity::Fqdn("left.example".into()),
        Identity::Fqdn("right.example".into()),
    );
    assert_established(&sides, true);
}

#[test]
fn unexpected_peer_id_rejected() {
    let sides = ipv4_sides(
        Identity::UserFqdn("intruder@example.org".into()),
        Identity::UserFqdn("right@example.org".into()),
    );
    let mut right = sides.config(false, psk());
    right.remote_id = Identity::UserFqdn("left@example.org".into());
    let outcome = negotiate(sides.config(true, psk()), right, Duration::from_secs(120));

    assert!(Outcome::children(&outcome.left).is_empty());
    assert!(Outcome::children(&outcome.right).is_empty());
    let established = |events: &[Event]| {
        events
            .iter()
            .any(|event| matches!(event, Event::IsakmpSaEstablished { .. }))
    };
    assert!(
        !established(&outcome.right),
        "right lines: {:#?}",
        Outcome::lines(&outcome.right)
    );

    // The responder replies to MI3 with an unauthenticated INVALID_ID_INFORMATION, which the
    // initiator logs and ignores until its retransmission budget runs out.
    let left_lines = Outcome::lines(&outcome.left);
    assert!(
        left_lines
            .iter()
            .any(|line| line
                .ends_with("ignoring informational payload, type INVALID_ID_INFORMATION")),
        "left lines: {left_lines:#?}"
    );
    assert!(
        left_lines
            .iter()
            .any(|line| line.contains("max number of retransmissions (2) reached STATE_MAIN_I3")),
        "left lines: {left_lines:#?}"
    );
}
