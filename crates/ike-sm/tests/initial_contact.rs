//! INITIAL-CONTACT: the initiator sends it on its first Main Mode with a peer, and the
//! responder then deletes the ISAKMP SAs it still has from the peer's earlier run.

mod util;

use std::time::Duration;

use ike_sm::{Endpoint, EndpointConfig, Event};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use util::{psk_config, Pair, CONN};

#[test]
fn restarted_peer_replaces_old_isakmp_sa() {
    let mut pair = Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        41,
    );
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert_eq!(pair.right.children().len(), 1);
    let old_serials: Vec<u32> = pair
        .right
        .endpoint
        .status()
        .states
        .iter()
        .map(|state| state.serial)
        .collect();
    assert!(!old_serials.is_empty());

    // The left gateway restarts: a fresh engine that has never talked to the right one.
    let mut restarted = Endpoint::new(
        EndpointConfig::default(),
        Box::new(ChaCha20Rng::seed_from_u64(99)),
    );
    restarted
        .add_connection(psk_config(true, false, false))
        .expect("valid connection");
    pair.left.endpoint = restarted;
    pair.right.events.clear();
    pair.initiate();
    pair.drive(Duration::from_secs(5));

    let deleted: Vec<u32> = pair
        .right
        .events
        .iter()
        .filter_map(|event| match event {
            Event::IsakmpSaDeleted { conn, serial } if conn == CONN => Some(*serial),
            _ => None,
        })
        .collect();
    let lines = pair.right.status_lines();
    assert!(
        old_serials.iter().any(|serial| deleted.contains(serial)),
        "old ISAKMP SA deleted: {deleted:?} of {old_serials:?}\n{lines:#?}"
    );
    let states = pair.right.endpoint.status().states;
    let kept_isakmp = states
        .iter()
        .filter(|state| state.state.starts_with("STATE_MAIN"))
        .count();
    assert_eq!(kept_isakmp, 1, "{states:#?}");
}
