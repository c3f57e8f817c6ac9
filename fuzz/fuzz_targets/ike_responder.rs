//! Arbitrary datagrams to a responder with one PSK connection: the engine never panics, creates
//! at most one half-open state per datagram, and sends nothing back to a datagram from an
//! address with no connection.
#![no_main]
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ike_sm::{Auth, ConnectionConfig, Endpoint, EndpointConfig};
use libfuzzer_sys::fuzz_target;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Splits the input into datagrams, each prefixed by a one-byte length.
fn datagrams(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((&len, rest)) = data.split_first() {
        let len = usize::from(len).max(1) * 4;
        let (datagram, rest) = rest.split_at(len.min(rest.len()));
        out.push(datagram);
        data = rest;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let local: SocketAddr = "192.0.2.2:500".parse().unwrap();
    let local_natt: SocketAddr = "192.0.2.2:4500".parse().unwrap();
    let peer: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let stranger: SocketAddr = "198.51.100.7:500".parse().unwrap();

    let mut endpoint = Endpoint::new(
        EndpointConfig::default(),
        Box::new(ChaCha8Rng::seed_from_u64(1)),
    );
    let psk = ConnectionConfig::new("net-to-net", local, peer, Auth::psk(b"secret"));
    endpoint.add_connection(psk).unwrap();

    let now = Instant::now();
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let (datagrams, whole) = if selector & 1 == 0 {
        (datagrams(rest), false)
    } else {
        (vec![rest], true)
    };
    for (index, datagram) in datagrams.iter().enumerate() {
        let at = now + Duration::from_millis(index as u64 * 10);
        let port = if selector & 2 == 0 { local } else { local_natt };
        endpoint.handle(at, port, peer, datagram);
        while endpoint.poll_transmit().is_some() {}
        while endpoint.poll_event().is_some() {}

        endpoint.handle(at, local, stranger, datagram);
        assert!(
            endpoint.poll_transmit().is_none(),
            "answered a peer with no connection"
        );
    }
    let states = endpoint.status().states;
    assert!(
        states.len() <= datagrams.len(),
        "{} states from {} datagrams",
        states.len(),
        datagrams.len()
    );
    if whole {
        assert!(states.len() <= 1);
    }

    // Timers run on whatever state the datagrams left behind.
    let mut at = now;
    for _ in 0..8 {
        let Some(next) = endpoint.poll_timeout() else {
            break;
        };
        at = at.max(next);
        endpoint.handle_timeout(at);
        while endpoint.poll_transmit().is_some() {}
        while endpoint.poll_event().is_some() {}
    }
});
