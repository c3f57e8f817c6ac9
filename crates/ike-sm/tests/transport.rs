//! Transport mode (`type=transport`) between two engines: plain ESP, UDP-encapsulated behind a
//! NAT on either side or with forceencaps, and the NAT-OA payloads of RFC 3947 5.2.
//!
//! The test decrypts the Quick Mode messages itself, from the exported phase 1 encryption key,
//! so that the payload chain on the wire is checked independently of the engine.

mod util;

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use aes::cipher::{BlockDecryptMut, KeyIvInit};
use ike_sm::{
    ChildSa, ConnectionConfig, DhGroupId, EspCipher, EspIntegrity, EspProposal, Event, IkeCipher,
    IkeHash, IkeProposal, IpsecMode, OriginalAddresses, Transmit,
};
use ike_wire::{AttributeValue, EncapsulationMode, IdType, Payload, PayloadType};
use sha1::{Digest, Sha1};
use util::{psk_config, Pair, CONN, RIGHT_PUBLIC};

/// Length of the ISAKMP header (RFC 2408 3.1).
const HEADER_LEN: usize = 28;
/// AES block length, the phase 1 cipher of every case here.
const BLOCK_LEN: usize = 16;
/// Exchange type of Quick Mode (RFC 2409 5.5).
const QUICK_MODE: u8 = 32;

/// Returns a host-to-host transport-mode connection: no subnets, so Quick Mode carries no
/// client IDs. Phase 1 is fixed to AES-128/SHA1 so that the test can decrypt it.
fn transport_config(left: bool, left_nat: bool, right_nat: bool, pfs: bool) -> ConnectionConfig {
    let mut config = psk_config(left, left_nat, right_nat);
    config.mode = IpsecMode::Transport;
    config.local_subnet = None;
    config.remote_subnet = None;
    config.pfs = pfs;
    config.ike_proposals = vec![IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Modp1024,
    }];
    config.esp_proposals = vec![EspProposal {
        cipher: EspCipher::AesCbc { key_bits: 128 },
        integrity: EspIntegrity::HmacSha1,
    }];
    config
}

/// Returns the ISAKMP message in a datagram, without the non-ESP marker of port 4500.
fn isakmp_message(transmit: &Transmit) -> &[u8] {
    if transmit.local.port() == 4500 || transmit.remote.port() == 4500 {
        &transmit.payload[4..]
    } else {
        &transmit.payload
    }
}

/// Decrypts an AES-CBC message body with `iv`. Returns the plaintext and the last ciphertext
/// block, which is the IV of the next message of the same exchange.
fn decrypt(key: &[u8], iv: &[u8], message: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let body = &message[HEADER_LEN..];
    let mut plaintext = body.to_vec();
    cbc::Decryptor::<aes::Aes128>::new_from_slices(key, iv)
        .unwrap()
        .decrypt_padded_mut::<cbc::cipher::block_padding::NoPadding>(&mut plaintext)
        .unwrap();
    (plaintext, body[body.len() - BLOCK_LEN..].to_vec())
}

/// The three Quick Mode messages of a pair, decrypted and parsed.
struct QuickMode {
    qi1: Vec<Payload>,
    qr1: Vec<Payload>,
    qi2: Vec<Payload>,
}

/// Decrypts the first Quick Mode exchange of `pair`: its IV is the first block of
/// SHA1(last phase 1 ciphertext block | M-ID) (RFC 2409 appendix B), and each later message
/// continues the CBC chain.
fn decrypt_quick_mode(pair: &Pair) -> QuickMode {
    let table = pair.left.endpoint.ikev1_decryption_table();
    let key = &table[0].1;
    let sent_by = |side: &util::Side| -> Vec<Vec<u8>> {
        side.sent
            .iter()
            .map(|t| isakmp_message(t).to_vec())
            .collect()
    };
    let (left, right) = (sent_by(&pair.left), sent_by(&pair.right));
    let mr3 = &right[2];
    let last_phase1_block = &mr3[mr3.len() - BLOCK_LEN..];
    let (qi1, qr1, qi2) = (&left[3], &right[3], &left[4]);
    for message in [qi1, qr1, qi2] {
        assert_eq!(message[18], QUICK_MODE, "exchange type");
    }

    let message_id = &qi1[20..24];
    let iv = Sha1::new()
        .chain_update(last_phase1_block)
        .chain_update(message_id)
        .finalize();
    let (qi1_plain, iv) = decrypt(key, &iv[..BLOCK_LEN], qi1);
    let (qr1_plain, iv) = decrypt(key, &iv, qr1);
    let (qi2_plain, _) = decrypt(key, &iv, qi2);
    let parse = |plain: &[u8]| {
        ike_wire::parse_payload_chain_with_padding(PayloadType::HASH, plain)
            .unwrap()
            .0
    };
    QuickMode {
        qi1: parse(&qi1_plain),
        qr1: parse(&qr1_plain),
        qi2: parse(&qi2_plain),
    }
}

fn payload_types(payloads: &[Payload]) -> Vec<PayloadType> {
    payloads.iter().map(Payload::payload_type).collect()
}

/// Returns the encapsulation mode of the single transform of a message's SA payload.
fn sa_mode(payloads: &[Payload]) -> EncapsulationMode {
    let Some(Payload::Sa(sa)) = payloads.iter().find(|p| matches!(p, Payload::Sa(_))) else {
        panic!("no SA payload");
    };
    let transform = &sa.proposals[0].transforms[0];
    let attribute = transform
        .attributes
        .iter()
        .find(|a| a.kind == 4)
        .expect("an Encapsulation Mode attribute");
    match attribute.value {
        AttributeValue::Basic(value) => EncapsulationMode(value),
        AttributeValue::Variable(_) => panic!("Encapsulation Mode in TLV format"),
    }
}

/// Returns the addresses of a message's NAT-OA payloads, checking their type and layout.
fn nat_oa_addresses(payloads: &[Payload]) -> Vec<IpAddr> {
    payloads
        .iter()
        .filter_map(|p| match p {
            Payload::NatOa(oa) => {
                assert_eq!(oa.payload_type, PayloadType::NAT_OA, "RFC 3947 number 21");
                assert_eq!(oa.id_type, IdType::IPV4_ADDR);
                assert_eq!(oa.reserved2, [0; 3]);
                Some(IpAddr::from(
                    <[u8; 4]>::try_from(oa.address.as_slice()).unwrap(),
                ))
            }
            _ => None,
        })
        .collect()
}

fn assert_children_match(left: &ChildSa, right: &ChildSa) {
    assert_eq!(left.outbound.spi, right.inbound.spi);
    assert_eq!(left.inbound.spi, right.outbound.spi);
    assert_eq!(*left.outbound.enc_key, *right.inbound.enc_key);
    assert_eq!(*left.outbound.auth_key, *right.inbound.auth_key);
    assert_eq!(*left.inbound.enc_key, *right.outbound.enc_key);
    assert_eq!(*left.inbound.auth_key, *right.outbound.auth_key);
    assert_ne!(*left.inbound.enc_key, *left.outbound.enc_key);
    assert_eq!(left.mode, IpsecMode::Transport);
    assert_eq!(right.mode, IpsecMode::Transport);
    assert_eq!(left.encapsulation.is_some(), right.encapsulation.is_some());
}

fn established(mut pair: Pair) -> Pair {
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert_eq!(
        pair.left.children().len(),
        1,
        "left lines: {:#?}\nright lines: {:#?}",
        pair.left.status_lines(),
        pair.right.status_lines()
    );
    assert_eq!(pair.right.children().len(), 1);
    assert_children_match(pair.left.children()[0], pair.right.children()[0]);
    pair
}

#[test]
fn transport_without_nat_plain_esp() {
    for (pfs, seed) in [(true, 201), (false, 202)] {
        let pair = established(Pair::new(
            transport_config(true, false, false, pfs),
            transport_config(false, false, false, pfs),
            seed,
        ));
        let left = pair.left.children()[0];
        assert!(left.encapsulation.is_none());
        assert_eq!(left.nat_oa, None);
        assert_eq!(pair.right.children()[0].nat_oa, None);

        let quick = decrypt_quick_mode(&pair);
        assert_eq!(sa_mode(&quick.qi1), EncapsulationMode::TRANSPORT);
        assert_eq!(sa_mode(&quick.qr1), EncapsulationMode::TRANSPORT);
        let mut expected = vec![PayloadType::HASH, PayloadType::SECURITY_ASSOCIATION];
        expected.push(PayloadType::NONCE);
        if pfs {
            expected.push(PayloadType::KEY_EXCHANGE);
        }
        assert_eq!(
            payload_types(&quick.qi1),
            expected,
            "QI1 without IDs or NAT-OA"
        );
        assert_eq!(
            payload_types(&quick.qr1),
            expected,
            "QR1 without IDs or NAT-OA"
        );
        assert_eq!(payload_types(&quick.qi2), vec![PayloadType::HASH]);

        let established = pair.right.status_lines().last().unwrap().clone();
        assert!(
            established.starts_with(&format!(
                "004 \"{CONN}\" #2: STATE_QUICK_R2: IPsec SA established transport mode {{ESP=>0x"
            )),
            "{established}"
        );
        assert!(
            established.contains("NATOA=none NATD=none"),
            "{established}"
        );
    }
}

/// Runs a UDP-encapsulated case and checks the NAT-OA payloads of QI1 and QR1 and the
/// original addresses each side reports.
fn check_udp_transport(pair: &Pair, pfs: bool) {
    let left_child = pair.left.children()[0];
    let right_child = pair.right.children()[0];
    assert_eq!(left_child.encapsulation, Some((4500, 4500)));

    let quick = decrypt_quick_mode(pair);
    assert_eq!(sa_mode(&quick.qi1), EncapsulationMode::UDP_TRANSPORT);
    assert_eq!(sa_mode(&quick.qr1), EncapsulationMode::UDP_TRANSPORT);
    let mut expected = vec![
        PayloadType::HASH,
        PayloadType::SECURITY_ASSOCIATION,
        PayloadType::NONCE,
    ];
    if pfs {
        expected.push(PayloadType::KEY_EXCHANGE);
    }
    expected.extend([PayloadType::NAT_OA, PayloadType::NAT_OA]);
    assert_eq!(payload_types(&quick.qi1), expected, "QI1");
    assert_eq!(payload_types(&quick.qr1), expected, "QR1");
    assert_eq!(payload_types(&quick.qi2), vec![PayloadType::HASH]);

    // QI1: NAT-OAi is the initiator's own address, NAT-OAr the address it sent to.
    let right_public = IpAddr::V4(RIGHT_PUBLIC);
    assert_eq!(
        nat_oa_addresses(&quick.qi1),
        vec![pair.left.address, right_public]
    );
    // QR1: NAT-OAi is where QI1 came from, NAT-OAr the responder's own address.
    assert_eq!(
        nat_oa_addresses(&quick.qr1),
        vec![pair.left.public, pair.right.address]
    );

    assert_eq!(
        right_child.nat_oa,
        Some(OriginalAddresses {
            peer: pair.left.address,
            local: Some(right_public),
        })
    );
    assert_eq!(
        left_child.nat_oa,
        Some(OriginalAddresses {
            peer: pair.right.address,
            local: Some(pair.left.public),
        })
    );
    let established = pair.right.status_lines().last().unwrap().clone();
    let natd = SocketAddr::new(pair.left.public, 4500);
    assert!(
        established.contains(&format!("NATOA={} NATD={natd}", pair.left.address)),
        "{established}"
    );
    assert!(
        established.contains("transport mode {ESP=>"),
        "{established}"
    );
}

#[test]
fn transport_nat_on_left() {
    for (pfs, seed) in [(true, 211), (false, 212)] {
        let pair = established(Pair::new(
            transport_config(true, true, false, pfs),
            transport_config(false, true, false, pfs),
            seed,
        ));
        check_udp_transport(&pair, pfs);
    }
}

#[test]
fn transport_nat_on_right() {
    for (pfs, seed) in [(true, 221), (false, 222)] {
        let pair = established(Pair::new(
            transport_config(true, false, true, pfs),
            transport_config(false, false, true, pfs),
            seed,
        ));
        check_udp_transport(&pair, pfs);
    }
}

#[test]
fn transport_forceencaps_sends_nat_oa() {
    for (pfs, seed) in [(true, 231), (false, 232)] {
        let mut left = transport_config(true, false, false, pfs);
        left.force_encaps = true;
        let pair = established(Pair::new(
            left,
            transport_config(false, false, false, pfs),
            seed,
        ));
        check_udp_transport(&pair, pfs);
    }
}

#[test]
fn tunnel_behind_nat_sends_no_nat_oa() {
    let mut left = transport_config(true, true, false, true);
    let mut right = transport_config(false, true, false, true);
    left.mode = IpsecMode::Tunnel;
    right.mode = IpsecMode::Tunnel;
    let mut pair = Pair::new(left, right, 241);
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert_eq!(pair.left.children()[0].mode, IpsecMode::Tunnel);
    assert_eq!(pair.right.children()[0].mode, IpsecMode::Tunnel);
    assert_eq!(pair.right.children()[0].nat_oa, None);

    let quick = decrypt_quick_mode(&pair);
    assert_eq!(sa_mode(&quick.qi1), EncapsulationMode::UDP_TUNNEL);
    assert!(nat_oa_addresses(&quick.qi1).is_empty());
    assert!(nat_oa_addresses(&quick.qr1).is_empty());
}

/// Runs a pair whose sides want different modes and checks the responder's rejection.
fn check_mode_mismatch(left_mode: IpsecMode, right_mode: IpsecMode, seed: u64) {
    let mut left = transport_config(true, false, false, true);
    let mut right = transport_config(false, false, false, true);
    left.mode = left_mode;
    right.mode = right_mode;
    let mut pair = Pair::new(left, right, seed);
    pair.initiate();
    pair.drive(Duration::from_secs(5));

    let right_lines = pair.right.status_lines();
    assert!(
        right_lines
            .iter()
            .any(|l| l == &format!("003 \"{CONN}\" #1: no acceptable Proposal in IPsec SA")),
        "{right_lines:#?}"
    );
    let left_lines = pair.left.status_lines();
    assert!(
        left_lines
            .iter()
            .any(|l| l.contains("ignoring informational payload, type NO_PROPOSAL_CHOSEN")),
        "{left_lines:#?}"
    );
    assert!(pair.left.children().is_empty());
    assert!(pair.right.children().is_empty());
    let right_states = pair.right.endpoint.status().states;
    assert_eq!(right_states.len(), 1, "only the ISAKMP SA remains");
    assert_eq!(right_states[0].state, "STATE_MAIN_R3");
    assert!(!pair
        .right
        .events
        .iter()
        .any(|e| matches!(e, Event::IpsecSaEstablished(_))));
}

#[test]
fn tunnel_offer_to_transport_rejected() {
    check_mode_mismatch(IpsecMode::Tunnel, IpsecMode::Transport, 251);
}

#[test]
fn transport_offer_to_tunnel_rejected() {
    check_mode_mismatch(IpsecMode::Transport, IpsecMode::Tunnel, 252);
}
