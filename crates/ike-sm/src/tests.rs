//! Tests that need the engine's internals: messages a correct peer would not send.

use std::time::Duration;

use ike_wire::{Delete, Doi, Payload, ProtocolId};

#[path = "../tests/util/mod.rs"]
mod util;

use crate::event::Event;
use util::{psk_config, Pair};

/// Sends from the left side a Delete for ESP naming `spi`, under its newest ISAKMP SA.
fn send_delete(pair: &mut Pair, spi: u32) {
    let now = pair.now;
    let endpoint = &mut pair.left.endpoint;
    let isakmp = endpoint.engine.connections[0]
        .newest_isakmp
        .expect("an established ISAKMP SA");
    let delete = Delete {
        reserved: 0,
        doi: Doi::IPSEC,
        protocol: ProtocolId::IPSEC_ESP,
        spi_size: 4,
        spis: vec![spi.to_be_bytes().to_vec()],
    };
    endpoint.send_informational(now, isakmp, vec![Payload::Delete(delete)]);
    pair.drive(Duration::from_secs(1));
}

fn deleted_on_right(pair: &Pair) -> Vec<(u32, u32)> {
    pair.right
        .events
        .iter()
        .filter_map(|e| match e {
            Event::IpsecSaDeleted {
                inbound_spi,
                outbound_spi,
                ..
            } => Some((*inbound_spi, *outbound_spi)),
            _ => None,
        })
        .collect()
}

fn established_pair(seed: u64) -> Pair {
    let mut pair = Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        seed,
    );
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert_eq!(pair.right.children().len(), 1);
    pair
}

#[test]
fn delete_naming_receivers_outbound_spi() {
    let mut pair = established_pair(51);
    let right = pair.right.children()[0].clone();
    send_delete(&mut pair, right.outbound.spi);
    assert_eq!(
        deleted_on_right(&pair),
        vec![(right.inbound.spi, right.outbound.spi)]
    );
}

#[test]
fn delete_naming_receivers_inbound_spi() {
    let mut pair = established_pair(52);
    let right = pair.right.children()[0].clone();
    send_delete(&mut pair, right.inbound.spi);
    assert_eq!(
        deleted_on_right(&pair),
        vec![(right.inbound.spi, right.outbound.spi)]
    );
}

#[test]
fn delete_naming_unknown_spi_ignored() {
    let mut pair = established_pair(53);
    send_delete(&mut pair, 0x0bad_cafe);
    assert!(deleted_on_right(&pair).is_empty());
    assert_eq!(pair.right.endpoint.status().states.len(), 2);
}
