//! Arbitrary datagrams to an initiator in the middle of a handshake (waiting for MR1, MR2,
//! MR3 or QR1, or established): the engine never panics, never loses a state, and once keys
//! exist no forged datagram moves a state on.
#![no_main]
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ike_sm::{
    Auth, ConnectionConfig, DhGroupId, Endpoint, EndpointConfig, IkeCipher, IkeHash, IkeProposal,
};
use libfuzzer_sys::fuzz_target;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn endpoint(seed: u64, local: SocketAddr, remote: SocketAddr) -> Endpoint {
    let mut endpoint = Endpoint::new(
        EndpointConfig::default(),
        Box::new(ChaCha8Rng::seed_from_u64(seed)),
    );
    let mut config = ConnectionConfig::new("net-to-net", local, remote, Auth::psk(b"secret"));
    // Curve25519 keeps each iteration's key exchange cheap.
    config.ike_proposals = vec![IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Curve25519,
    }];
    config.force_encaps = seed % 2 == 0;
    endpoint.add_connection(config).unwrap();
    endpoint
}

/// Delivers at most `count` datagrams from `from` to `to`.
fn deliver(from: &mut Endpoint, to: &mut Endpoint, now: Instant, count: usize) {
    for _ in 0..count {
        let Some(transmit) = from.poll_transmit() else {
            return;
        };
        to.handle(now, transmit.remote, transmit.local, &transmit.payload);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, datagram)) = data.split_first() else {
        return;
    };
    let left: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let right: SocketAddr = "192.0.2.2:500".parse().unwrap();
    let mut initiator = endpoint(u64::from(selector & 1), left, right);
    let mut responder = endpoint(7, right, left);
    let now = Instant::now();

    // Run the handshake to the chosen step: each step is one message each way.
    initiator.initiate(now, "net-to-net").unwrap();
    let steps = usize::from(selector >> 1) % 5;
    for _ in 0..steps {
        deliver(&mut initiator, &mut responder, now, 1);
        deliver(&mut responder, &mut initiator, now, 1);
    }
    while initiator.poll_transmit().is_some() {}
    while initiator.poll_event().is_some() {}
    let before = initiator.status().states;

    let port = if selector & 0x80 == 0 {
        left
    } else {
        "192.0.2.1:4500".parse().unwrap()
    };
    initiator.handle(now, port, right, datagram);
    let after = initiator.status().states;
    assert_eq!(
        before.len(),
        after.len(),
        "a stray datagram changed the number of states"
    );
    // MR1 and MR2 are plaintext, so an input may be a valid reply; later messages need keys.
    if steps >= 2 {
        for (old, new) in before.iter().zip(&after) {
            assert_eq!(
                old.state, new.state,
                "a forged datagram moved state #{}",
                old.serial
            );
        }
    }

    let mut at = now;
    for _ in 0..8 {
        let Some(next) = initiator.poll_timeout() else {
            break;
        };
        at = at.max(next) + Duration::from_millis(1);
        initiator.handle_timeout(at);
        while initiator.poll_transmit().is_some() {}
        while initiator.poll_event().is_some() {}
    }
});
