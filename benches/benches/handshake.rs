//! Complete PSK Main Mode + Quick Mode handshakes between two ike-sm endpoints in memory, and
//! the four Diffie-Hellman operations such a handshake needs, to report DH's share.
//!
//! The handshakes run without PFS, so each one performs exactly four DH operations: both sides
//! generate a key pair and both compute the shared secret. `benches/ike-vs-openssl.sh` runs
//! this benchmark next to `openssl speed` for the same groups and prints DH's share of a
//! handshake and the ratio of a handshake to four OpenSSL DH operations.

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use ike_sm::crypto::DhGroup;
use ike_sm::{
    Auth, ConnectionConfig, DhGroupId, Endpoint, EndpointConfig, EspCipher, EspIntegrity,
    EspProposal, Event, IkeCipher, IkeHash, IkeProposal,
};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn endpoint(seed: u64, local: SocketAddr, remote: SocketAddr, group: DhGroupId) -> Endpoint {
    let mut endpoint = Endpoint::new(
        EndpointConfig::default(),
        Box::new(ChaCha8Rng::seed_from_u64(seed)),
    );
    let mut config = ConnectionConfig::new(
        "net-to-net",
        local,
        remote,
        Auth::psk(b"nonebutourselvescanfreeourminds"),
    );
    config.ike_proposals = vec![IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group,
    }];
    config.esp_proposals = vec![EspProposal {
        cipher: EspCipher::AesCbc { key_bits: 128 },
        integrity: EspIntegrity::HmacSha1,
    }];
    config.pfs = false;
    config.local_subnet = ike_sm::Subnet::new("172.16.1.0".parse().unwrap(), 24);
    config.remote_subnet = ike_sm::Subnet::new("10.0.0.0".parse().unwrap(), 24);
    if seed.is_multiple_of(2) {
        std::mem::swap(&mut config.local_subnet, &mut config.remote_subnet);
    }
    endpoint.add_connection(config).unwrap();
    endpoint
}

/// Runs one handshake to the end; panics unless both sides hold the IPsec SAs.
fn handshake(seed: u64, group: DhGroupId) {
    let left: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let right: SocketAddr = "192.0.2.2:500".parse().unwrap();
    let mut initiator = endpoint(seed * 2 + 1, left, right, group);
    let mut responder = endpoint(seed * 2 + 2, right, left, group);
    let now = Instant::now();
    initiator.initiate(now, "net-to-net").unwrap();

    let mut established = 0;
    for _ in 0..16 {
        let mut moved = false;
        while let Some(t) = initiator.poll_transmit() {
            responder.handle(now, t.remote, t.local, &t.payload);
            moved = true;
        }
        while let Some(t) = responder.poll_transmit() {
            initiator.handle(now, t.remote, t.local, &t.payload);
            moved = true;
        }
        for endpoint in [&mut initiator, &mut responder] {
            while let Some(event) = endpoint.poll_event() {
                if let Event::IpsecSaEstablished(child) = event {
                    black_box(child);
                    established += 1;
                }
            }
        }
        if !moved {
            break;
        }
    }
    assert_eq!(established, 2, "both sides establish the IPsec SAs");
}

/// Performs the DH work of one handshake: two key pairs and two shared secrets.
fn four_dh_operations(rng: &mut ChaCha8Rng, group: DhGroup) {
    let (left, left_public) = group.generate(rng);
    let (right, right_public) = group.generate(rng);
    black_box(left.shared_secret(&right_public).unwrap());
    black_box(right.shared_secret(&left_public).unwrap());
}

fn benchmarks(c: &mut Criterion) {
    for (name, id, group) in [
        ("modp2048", DhGroupId::Modp2048, DhGroup::Modp2048),
        ("curve25519", DhGroupId::Curve25519, DhGroup::Curve25519),
    ] {
        let mut bench = c.benchmark_group(format!("handshake-{name}"));
        bench.sample_size(20);
        let mut seed = 0;
        bench.bench_function("psk_main_quick", |b| {
            b.iter(|| {
                seed += 1;
                handshake(seed, id)
            })
        });
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        bench.bench_function("four_dh_operations", |b| {
            b.iter(|| four_dh_operations(&mut rng, group))
        });
        bench.finish();
    }
}

criterion_group!(benches, benchmarks);
criterion_main!(benches);
