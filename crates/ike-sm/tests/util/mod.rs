//! A `Pair` of endpoints driven through simulated time over a simulated network with optional
//! loss, duplication, reordering and NAT.

#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use ike_sm::{
    Auth, ChildSa, ConnectionConfig, Endpoint, EndpointConfig, Event, Identity, StatusLine, Subnet,
    Transmit,
};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Public address of the left gateway (or of its NAT).
pub const LEFT_PUBLIC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// Public address of the right gateway (or of its NAT).
pub const RIGHT_PUBLIC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
/// Address of the left gateway behind its NAT.
pub const LEFT_PRIVATE: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 2);
/// Address of the right gateway behind its NAT.
pub const RIGHT_PRIVATE: Ipv4Addr = Ipv4Addr::new(10, 2, 0, 2);

/// Connection name used by every test.
pub const CONN: &str = "net-to-net";

/// Decides whether to drop a datagram: (datagram, sent by the left side, index among the
/// sender's datagrams).
pub type DropFilter = Box<dyn FnMut(&Transmit, bool, usize) -> bool>;

/// One side of the pair.
pub struct Side {
    pub endpoint: Endpoint,
    pub events: Vec<Event>,
    /// The address the gateway has on its own interface.
    pub address: IpAddr,
    /// The address the peer sees: the NAT's when `behind_nat`.
    pub public: IpAddr,
    pub behind_nat: bool,
    /// Datagrams this side sent, as they left it (before NAT and loss).
    pub sent: Vec<Transmit>,
    /// When each datagram of `sent` was sent.
    pub sent_at: Vec<Instant>,
    /// When each event of `events` was taken.
    pub event_at: Vec<Instant>,
}

impl Side {
    pub fn status_lines(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Status(line) => Some(line.to_string()),
                _ => None,
            })
            .collect()
    }

    pub fn lines(&self) -> Vec<&StatusLine> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Status(line) => Some(line),
                _ => None,
            })
            .collect()
    }

    pub fn children(&self) -> Vec<&ChildSa> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::IpsecSaEstablished(child) => Some(child),
                _ => None,
            })
            .collect()
    }
}

/// Network impairments, as probabilities per datagram.
#[derive(Debug, Clone, Copy, Default)]
pub struct Impairments {
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
}

struct InFlight {
    deliver_at: Instant,
    order: u64,
    to_right: bool,
    local: SocketAddr,
    remote: SocketAddr,
    payload: Vec<u8>,
}

/// Two endpoints and the network between them.
pub struct Pair {
    pub now: Instant,
    pub left: Side,
    pub right: Side,
    pub latency: Duration,
    pub impairments: Impairments,
    /// Drop everything from then on (a peer that went silent).
    pub blackhole: bool,
    network_rng: ChaCha20Rng,
    queue: Vec<InFlight>,
    order: u64,
    /// Every delivery and event, for comparing runs.
    pub trace: Vec<String>,
    /// Drops a datagram when it returns true: (datagram, sent by the left side, index of the
    /// datagram among those the sender sent).
    pub drop_filter: Option<DropFilter>,
}

/// Returns a PSK connection between the two gateways with subnets, as in the HOWTO.
pub fn psk_config(left: bool, left_nat: bool, right_nat: bool) -> ConnectionConfig {
    let left_addr = if left_nat { LEFT_PRIVATE } else { LEFT_PUBLIC };
    let right_addr = if right_nat {
        RIGHT_PRIVATE
    } else {
        RIGHT_PUBLIC
    };
    let (local, remote, local_seen, remote_public) = if left {
        (left_addr, RIGHT_PUBLIC, left_addr, right_addr)
    } else {
        (right_addr, LEFT_PUBLIC, right_addr, left_addr)
    };
    let _ = (local_seen, remote_public);
    let mut config = ConnectionConfig::new(
        CONN,
        SocketAddr::new(IpAddr::V4(local), 500),
        SocketAddr::new(IpAddr::V4(remote), 500),
        Auth::psk(b"nonebutourselvescanfreeourminds"),
    );
    let left_subnet = Subnet::new("172.16.1.0".parse().unwrap(), 24).unwrap();
    let right_subnet = Subnet::new("10.0.0.0".parse().unwrap(), 24).unwrap();
    let (local_id, remote_id) = (
        Identity::Fqdn("left.example".into()),
        Identity::Fqdn("right.example".into()),
    );
    if left {
        config.local_subnet = Some(left_subnet);
        config.remote_subnet = Some(right_subnet);
        config.local_id = local_id;
        config.remote_id = remote_id;
    } else {
        config.local_subnet = Some(right_subnet);
        config.remote_subnet = Some(left_subnet);
        config.local_id = remote_id;
        config.remote_id = local_id;
    }
    config
}

impl Pair {
    /// Creates a pair whose endpoints and network draw from generators seeded with `seed`.
    pub fn new(left: ConnectionConfig, right: ConnectionConfig, seed: u64) -> Self {
        Self::with_config(left, right, seed, EndpointConfig::default())
    }

    pub fn with_config(
        left: ConnectionConfig,
        right: ConnectionConfig,
        seed: u64,
        config: EndpointConfig,
    ) -> Self {
        let side = |conn: ConnectionConfig, public: Ipv4Addr, stream: u64| {
            let mut endpoint = Endpoint::new(
                config.clone(),
                Box::new(ChaCha20Rng::seed_from_u64(
                    seed.wrapping_mul(3).wrapping_add(stream),
                )),
            );
            let address = conn.local.ip();
            endpoint.add_connection(conn).expect("valid connection");
            Side {
                endpoint,
                events: Vec::new(),
                address,
                public: IpAddr::V4(public),
                behind_nat: address != IpAddr::V4(public),
                sent: Vec::new(),
                sent_at: Vec::new(),
                event_at: Vec::new(),
            }
        };
        Self {
            now: Instant::now(),
            left: side(left, LEFT_PUBLIC, 1),
            right: side(right, RIGHT_PUBLIC, 2),
            latency: Duration::from_millis(10),
            impairments: Impairments::default(),
            blackhole: false,
            network_rng: ChaCha20Rng::seed_from_u64(seed.wrapping_mul(3)),
            queue: Vec::new(),
            order: 0,
            trace: Vec::new(),
            drop_filter: None,
        }
    }

    fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.network_rng.next_u32() as f64) < p * (u32::MAX as f64)
    }

    /// Moves what both endpoints want to send into the network.
    fn collect_transmits(&mut self) {
        for to_right in [true, false] {
            loop {
                let side = if to_right {
                    &mut self.left
                } else {
                    &mut self.right
                };
                let Some(transmit) = side.endpoint.poll_transmit() else {
                    break;
                };
                side.sent.push(transmit.clone());
                side.sent_at.push(self.now);
                let index = side.sent.len() - 1;
                let src_public = side.public;
                let behind_nat = side.behind_nat;
                let mut source = transmit.local;
                if behind_nat {
                    source.set_ip(src_public);
                }
                let receiver = if to_right { &self.right } else { &self.left };
                // Port-preserving NAT: the receiver's NAT forwards to its private address.
                let mut destination = transmit.remote;
                if destination.ip() != receiver.public {
                    self.trace.push(format!(
                        "misaddressed {} -> {}",
                        transmit.local, transmit.remote
                    ));
                    continue;
                }
                destination.set_ip(receiver.address);

                let filtered = self
                    .drop_filter
                    .as_mut()
                    .is_some_and(|filter| filter(&transmit, to_right, index));
                if self.blackhole || filtered || self.chance(self.impairments.loss) {
                    self.trace.push(format!(
                        "lost {} bytes to {}",
                        transmit.payload.len(),
                        destination
                    ));
                    continue;
                }
                let copies = if self.chance(self.impairments.duplicate) {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let mut delay = self.latency;
                    if self.chance(self.impairments.reorder) {
                        delay +=
                            Duration::from_millis(u64::from(self.network_rng.next_u32() % 200));
                    }
                    self.order += 1;
                    self.queue.push(InFlight {
                        deliver_at: self.now + delay,
                        order: self.order,
                        to_right,
                        local: destination,
                        remote: source,
                        payload: transmit.payload.clone(),
                    });
                }
            }
        }
    }

    fn collect_events(&mut self) {
        for (name, side) in [("left", &mut self.left), ("right", &mut self.right)] {
            while let Some(event) = side.endpoint.poll_event() {
                if let Event::Status(line) = &event {
                    self.trace.push(format!("{name}: {line}"));
                }
                side.events.push(event);
                side.event_at.push(self.now);
            }
        }
    }

    /// Starts the connection on the left side.
    pub fn initiate(&mut self) {
        self.left
            .endpoint
            .initiate(self.now, CONN)
            .expect("known connection");
        self.collect_events();
        self.collect_transmits();
    }

    /// Runs the simulation for `duration` of simulated time, or until nothing is pending.
    pub fn drive(&mut self, duration: Duration) {
        let end = self.now + duration;
        loop {
            self.collect_events();
            self.collect_transmits();
            let next_packet = self.queue.iter().map(|p| p.deliver_at).min();
            let next_timer = [
                self.left.endpoint.poll_timeout(),
                self.right.endpoint.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = [next_packet, next_timer].into_iter().flatten().min() else {
                break;
            };
            if next > end {
                break;
            }
            self.now = self.now.max(next);

            self.queue.sort_by_key(|p| (p.deliver_at, p.order));
            while self.queue.first().is_some_and(|p| p.deliver_at <= self.now) {
                let packet = self.queue.remove(0);
                let side = if packet.to_right {
                    &mut self.right
                } else {
                    &mut self.left
                };
                self.trace.push(format!(
                    "deliver {} bytes {} -> {}",
                    packet.payload.len(),
                    packet.remote,
                    packet.local
                ));
                side.endpoint
                    .handle(self.now, packet.local, packet.remote, &packet.payload);
            }
            for side in [&mut self.left, &mut self.right] {
                if side
                    .endpoint
                    .poll_timeout()
                    .is_some_and(|at| at <= self.now)
                {
                    side.endpoint.handle_timeout(self.now);
                }
            }
        }
        self.now = self.now.max(end);
        self.collect_events();
    }
}

/// Returns a pair of RSA keys for the two sides, generated once per test binary.
pub fn rsa_keys() -> &'static (keystore::PrivateKey, keystore::PrivateKey) {
    static KEYS: std::sync::OnceLock<(keystore::PrivateKey, keystore::PrivateKey)> =
        std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let left = keystore::generate(1024, &mut rng).expect("key generation");
        let right = keystore::generate(1024, &mut rng).expect("key generation");
        (left, right)
    })
}

/// Returns an RSA-signature connection between the two gateways.
pub fn rsa_config(left: bool, left_nat: bool, right_nat: bool) -> ConnectionConfig {
    let (left_key, right_key) = rsa_keys();
    let mut config = psk_config(left, left_nat, right_nat);
    config.auth = if left {
        Auth::Rsa {
            local: left_key.clone(),
            remote: right_key.public(),
        }
    } else {
        Auth::Rsa {
            local: right_key.clone(),
            remote: left_key.public(),
        }
    };
    config
}
