//! Tests that need the engine's internals: messages a correct peer would not send.

use std::time::Duration;

use ike_wire::{Delete, Doi, EncapsulationMode, IdType, NatOa, Payload, PayloadType, ProtocolId};

#[path = "../tests/util/mod.rs"]
mod util;

use crate::config::{EspProposal, IpsecMode};
use crate::event::Event;
use crate::proposal::{esp_offer, EspOfferParams};
use util::{psk_config, Pair, CONN};

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

/// Returns a pair whose left side, behind a NAT, completed Main Mode for a transport-mode
/// connection and started no Quick Mode.
fn transport_main_mode_only(seed: u64) -> Pair {
    let mut left = psk_config(true, true, false);
    let mut right = psk_config(false, true, false);
    for config in [&mut left, &mut right] {
        config.mode = IpsecMode::Transport;
        config.local_subnet = None;
        config.remote_subnet = None;
        config.pfs = false;
    }
    left.initiate_quick_mode = false;
    let mut pair = Pair::new(left, right, seed);
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert_eq!(pair.right.endpoint.status().states.len(), 1);
    pair
}

/// Sends from the left side a QI1 proposing UDP-encapsulated transport with `nat_oa`, and
/// returns the right side's status lines.
fn send_qi1_with_nat_oa(pair: &mut Pair, nat_oa: Vec<NatOa>) -> Vec<String> {
    let endpoint = &mut pair.left.endpoint;
    let isakmp = endpoint.engine.connections[0]
        .newest_isakmp
        .expect("an established ISAKMP SA");
    let offer = esp_offer(
        &EspProposal::openswan_defaults(),
        EspOfferParams {
            spi: 0x1234_5678,
            lifetime: Duration::from_secs(3600),
            mode: EncapsulationMode::UDP_TRANSPORT,
            pfs_group: None,
        },
    );
    let mut payloads = vec![
        Payload::Sa(offer),
        Payload::Nonce(ike_wire::Nonce::new(vec![7; 32])),
    ];
    payloads.extend(nat_oa.into_iter().map(Payload::NatOa));
    endpoint.send_quick_mode_for_test(isakmp, 0x0102_0304, payloads);
    pair.drive(Duration::from_secs(1));
    pair.right.status_lines()
}

fn nat_oa(id_type: IdType, address: Vec<u8>) -> NatOa {
    NatOa {
        reserved: 0,
        payload_type: PayloadType::NAT_OA,
        id_type,
        reserved2: [0; 3],
        address,
    }
}

/// Asserts that the right side rejected the QI1 with `error` and kept no IPsec state.
fn assert_nat_oa_rejected(pair: &Pair, lines: &[String], error: &str) {
    let expected = format!("003 \"{CONN}\" #1: {error}");
    assert!(lines.contains(&expected), "{lines:#?}");
    let states = pair.right.endpoint.status().states;
    assert_eq!(states.len(), 1, "only the ISAKMP SA remains");
    assert!(pair.right.children().is_empty());
    assert!(pair
        .left
        .status_lines()
        .iter()
        .any(|l| l.contains("ignoring informational payload, type PAYLOAD_MALFORMED")));
}

#[test]
fn nat_oa_with_fqdn_type_rejected() {
    let mut pair = transport_main_mode_only(61);
    let lines = send_qi1_with_nat_oa(&mut pair, vec![nat_oa(IdType::FQDN, b"a.example".to_vec())]);
    assert_nat_oa_rejected(
        &pair,
        &lines,
        "NAT-OA payload 0: ID type 2 is not ID_IPV4_ADDR or ID_IPV6_ADDR",
    );
}

#[test]
fn nat_oa_with_short_address_rejected() {
    let mut pair = transport_main_mode_only(62);
    let lines = send_qi1_with_nat_oa(
        &mut pair,
        vec![
            nat_oa(IdType::IPV4_ADDR, vec![10, 1, 0, 2]),
            nat_oa(IdType::IPV6_ADDR, vec![0; 4]),
        ],
    );
    assert_nat_oa_rejected(
        &pair,
        &lines,
        "NAT-OA payload 1: ID_IPV6_ADDR address of 4 bytes, expected 16",
    );
}

#[test]
fn nat_oa_with_empty_address_rejected() {
    let mut pair = transport_main_mode_only(63);
    let lines = send_qi1_with_nat_oa(&mut pair, vec![nat_oa(IdType::IPV4_ADDR, Vec::new())]);
    assert_nat_oa_rejected(
        &pair,
        &lines,
        "NAT-OA payload 0: ID_IPV4_ADDR address of 0 bytes, expected 4",
    );
}

#[test]
fn three_nat_oa_payloads_rejected() {
    let mut pair = transport_main_mode_only(64);
    let address = nat_oa(IdType::IPV4_ADDR, vec![10, 1, 0, 2]);
    let lines = send_qi1_with_nat_oa(&mut pair, vec![address.clone(), address.clone(), address]);
    assert_nat_oa_rejected(&pair, &lines, "3 NAT-OA payloads, at most 2 expected");
}

#[test]
fn valid_nat_oa_accepted() {
    let mut pair = transport_main_mode_only(65);
    let lines = send_qi1_with_nat_oa(
        &mut pair,
        vec![
            nat_oa(IdType::IPV4_ADDR, vec![10, 1, 0, 2]),
            nat_oa(IdType::IPV4_ADDR, vec![192, 0, 2, 2]),
        ],
    );
    assert!(
        lines.iter().any(|l| l.contains("STATE_QUICK_R1: sent QR1")),
        "{lines:#?}"
    );
}
