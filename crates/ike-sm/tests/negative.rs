//! Negotiations that must fail, and what each side reports when they do.

mod util;

use std::net::SocketAddr;
use std::time::Duration;

use ike_sm::{DhGroupId, Event, FailureReason, IkeCipher, IkeHash, IkeProposal, Subnet};
use ike_wire::{Message, Payload};
use util::{psk_config, rsa_config, rsa_keys, Pair};

const BUDGET_MAIN_I3: &str =
    "031 \"net-to-net\" #1: max number of retransmissions (2) reached STATE_MAIN_I3.  \
     Possible authentication failure: no acceptable response to our first encrypted message";

fn run(pair: &mut Pair, seconds: u64) {
    pair.initiate();
    pair.drive(Duration::from_secs(seconds));
}

fn has_line(lines: &[String], text: &str) -> bool {
    lines.iter().any(|line| line.contains(text))
}

#[test]
fn wrong_psk_exhausts_budget() {
    let mut left = psk_config(true, false, false);
    left.keying_tries = 1;
    let mut right = psk_config(false, false, false);
    right.auth = ike_sm::Auth::psk(b"a different secret");
    let mut pair = Pair::new(left, right, 11);
    run(&mut pair, 200);

    let left_lines = pair.left.status_lines();
    let right_lines = pair.right.status_lines();
    assert!(
        has_line(
            &right_lines,
            "probable authentication failure (mismatch of preshared secrets?)"
        ),
        "{right_lines:#?}"
    );
    assert!(
        has_line(
            &left_lines,
            "ignoring informational payload, type PAYLOAD_MALFORMED"
        ),
        "{left_lines:#?}"
    );
    assert_eq!(left_lines.last().map(String::as_str), Some(BUDGET_MAIN_I3));
    assert!(pair.left.children().is_empty());
    assert!(pair.right.children().is_empty());
    let failed = pair.left.events.iter().any(|e| {
        matches!(
            e,
            Event::Failed {
                reason: FailureReason::RetransmissionsExhausted {
                    state: "STATE_MAIN_I3"
                },
                ..
            }
        )
    });
    assert!(failed);
    assert!(pair.left.endpoint.status().states.is_empty());
}

#[test]
fn wrong_rsa_key_gives_invalid_key_information() {
    let mut left = rsa_config(true, false, false);
    left.keying_tries = 1;
    let mut right = rsa_config(false, false, false);
    // The right side expects its own key from the left: the HOWTO's misapplied key.
    right.auth = ike_sm::Auth::Rsa {
        local: rsa_keys().1.clone(),
        remote: rsa_keys().1.public(),
    };
    let mut pair = Pair::new(left, right, 12);
    run(&mut pair, 200);

    let left_lines = pair.left.status_lines();
    let right_lines = pair.right.status_lines();
    let keyid = rsa_keys().1.public().keyid();
    let expected =
        format!("Signature check (on @left.example) failed (wrong key?); tried *{keyid}");
    assert!(has_line(&right_lines, &expected), "{right_lines:#?}");
    assert!(
        left_lines.contains(
            &"003 \"net-to-net\" #1: ignoring informational payload, type INVALID_KEY_INFORMATION"
                .to_owned()
        ),
        "{left_lines:#?}"
    );
    assert!(left_lines
        .contains(&"003 \"net-to-net\" #1: received and ignored informational message".to_owned()));
    assert_eq!(left_lines.last().map(String::as_str), Some(BUDGET_MAIN_I3));
}

#[test]
fn no_common_proposal_keeps_no_state() {
    let mut left = psk_config(true, false, false);
    left.keying_tries = 1;
    left.ike_proposals = vec![IkeProposal {
        cipher: IkeCipher::TripleDesCbc,
        hash: IkeHash::Md5,
        group: DhGroupId::Modp1024,
    }];
    let mut right = psk_config(false, false, false);
    right.ike_proposals = vec![IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 256 },
        hash: IkeHash::Sha2_256,
        group: DhGroupId::Modp2048,
    }];
    let mut pair = Pair::new(left, right, 13);
    run(&mut pair, 200);

    let left_lines = pair.left.status_lines();
    assert!(has_line(
        &pair.right.status_lines(),
        "no acceptable Oakley Transform"
    ));
    assert!(
        has_line(
            &left_lines,
            "ignoring informational payload, type NO_PROPOSAL_CHOSEN"
        ),
        "{left_lines:#?}"
    );
    assert!(has_line(
        &left_lines,
        "max number of retransmissions (2) reached STATE_MAIN_I1"
    ));
    assert!(pair.right.endpoint.status().states.is_empty());
    assert!(pair.left.endpoint.status().states.is_empty());
}

#[test]
fn mismatched_subnets_invalid_id_information() {
    let left = psk_config(true, false, false);
    let mut right = psk_config(false, false, false);
    right.remote_subnet = Subnet::new("172.16.2.0".parse().unwrap(), 24);
    let mut pair = Pair::new(left, right, 14);
    run(&mut pair, 5);

    let left_lines = pair.left.status_lines();
    assert!(has_line(&pair.right.status_lines(), "cannot respond to IPsec SA request because no connection is known for 172.16.1.0/24...10.0.0.0/24"));
    assert!(
        has_line(
            &left_lines,
            "ignoring informational payload, type INVALID_ID_INFORMATION"
        ),
        "{left_lines:#?}"
    );
    assert!(pair.left.children().is_empty());
    assert!(pair.right.children().is_empty());
    let right_states = pair.right.endpoint.status().states;
    assert_eq!(right_states.len(), 1, "only the ISAKMP SA remains");
    assert_eq!(right_states[0].state, "STATE_MAIN_R3");
}

/// RFC 2409 group 2's prime, whose p-1 is an invalid public value.
const MODP_1024: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74",
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437",
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
);

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn invalid_ke_values_rejected() {
    let mut p_minus_1 = hex(MODP_1024);
    *p_minus_1.last_mut().unwrap() -= 1;
    let mut zero = vec![0u8; 128];
    let mut one = vec![0u8; 128];
    one[127] = 1;
    for (name, value) in [("0", &mut zero), ("1", &mut one), ("p-1", &mut p_minus_1)] {
        let proposal = IkeProposal {
            cipher: IkeCipher::AesCbc { key_bits: 128 },
            hash: IkeHash::Sha1,
            group: DhGroupId::Modp1024,
        };
        let mut left = psk_config(true, false, false);
        left.ike_proposals = vec![proposal];
        let mut pair = Pair::new(left, psk_config(false, false, false), 15);
        let replacement = value.clone();
        // Rewrite the KE of MI2 (the left side's second datagram) on the wire.
        pair.drop_filter = Some(Box::new(|_, from_left, index| from_left && index == 1));
        pair.initiate();
        pair.drive(Duration::from_millis(35));
        let mi2 = pair.left.sent.get(1).expect("MI2 sent").clone();
        let mut message = Message::parse(&mi2.payload).unwrap();
        for payload in &mut message.payloads {
            if let Payload::Ke(ke) = payload {
                ke.data = replacement.clone();
            }
        }
        let forged = message.to_vec().unwrap();
        let right_states_before = pair.right.endpoint.status().states.len();
        let now = pair.now;
        let from = SocketAddr::new(mi2.local.ip(), 500);
        let to = mi2.remote;
        pair.right.endpoint.handle(now, to, from, &forged);
        let mut lines = Vec::new();
        while let Some(event) = pair.right.endpoint.poll_event() {
            if let Event::Status(line) = event {
                lines.push(line.to_string());
            }
        }
        assert!(
            lines.iter().any(|l| l.contains("invalid KE value")),
            "KE {name}: {lines:?}"
        );
        let notify = pair.right.endpoint.poll_transmit().expect("a notification");
        let parsed = Message::parse(&notify.payload).unwrap();
        let Payload::Notify(n) = &parsed.payloads[0] else {
            panic!("expected a Notify")
        };
        assert_eq!(
            n.notify_type,
            ike_wire::NotifyType::INVALID_KEY_INFORMATION,
            "KE {name}"
        );
        assert!(right_states_before >= 1);
        assert!(
            pair.right.endpoint.status().states.len() < right_states_before,
            "KE {name}: state removed"
        );
    }
}

#[test]
fn lost_quick_mode_reply_retransmitted() {
    let mut pair = Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        16,
    );
    // The right side's fourth datagram is QR1.
    pair.drop_filter = Some(Box::new(|_, from_left, index| !from_left && index == 3));
    run(&mut pair, 60);
    assert_eq!(
        pair.left.children().len(),
        1,
        "{:#?}",
        pair.left.status_lines()
    );
    assert_eq!(pair.right.children().len(), 1);
    let quick_i1_sent = pair
        .left
        .sent
        .iter()
        .filter(|t| t.payload.len() > 28 && t.payload[18] == 32)
        .count();
    assert!(
        quick_i1_sent >= 3,
        "QI1 twice and QI2 once, got {quick_i1_sent} Quick Mode datagrams"
    );
    let left = pair.left.children()[0].clone();
    let right = pair.right.children()[0].clone();
    assert_eq!(*left.outbound.enc_key, *right.inbound.enc_key);
}

#[test]
fn lost_final_quick_mode_message_recovered() {
    let mut pair = Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        17,
    );
    // The left side's fifth datagram is QI2; the responder retransmits QR1 and gets it again.
    pair.drop_filter = Some(Box::new(|_, from_left, index| from_left && index == 4));
    run(&mut pair, 60);
    assert_eq!(pair.left.children().len(), 1);
    assert_eq!(
        pair.right.children().len(),
        1,
        "{:#?}",
        pair.right.status_lines()
    );
}

#[test]
fn unauthenticated_informational_ignored() {
    let mut pair = Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        18,
    );
    run(&mut pair, 5);
    assert_eq!(pair.right.children().len(), 1);

    // A plaintext Delete for the ISAKMP SA, with the right cookies but no HASH.
    let mm1 = Message::parse(&pair.left.sent[0].payload).unwrap();
    let mr1 = Message::parse(&pair.right.sent[0].payload).unwrap();
    let mut spi = mm1.header.initiator_cookie.to_vec();
    spi.extend_from_slice(&mr1.header.responder_cookie);
    let header = ike_wire::Header {
        initiator_cookie: mm1.header.initiator_cookie,
        responder_cookie: mr1.header.responder_cookie,
        next_payload: ike_wire::PayloadType::DELETE,
        version: ike_wire::ISAKMP_VERSION_1_0,
        exchange_type: ike_wire::ExchangeType::INFORMATIONAL,
        flags: Default::default(),
        message_id: 0x1234_5678,
        length: 0,
    };
    let delete = ike_wire::Delete {
        reserved: 0,
        doi: ike_wire::Doi::IPSEC,
        protocol: ike_wire::ProtocolId::ISAKMP,
        spi_size: 16,
        spis: vec![spi],
    };
    let bytes = Message {
        header: header.clone(),
        payloads: vec![Payload::Delete(delete.clone())],
        trailing: Vec::new(),
    }
    .to_vec()
    .unwrap();
    let now = pair.now;
    let (to, from) = (pair.left.sent[0].remote, pair.left.sent[0].local);
    let states_before = pair.right.endpoint.status().states.len();
    pair.right.endpoint.handle(now, to, from, &bytes);

    // The same with unknown cookies, and with the E flag set over garbage.
    let mut unknown = header.clone();
    unknown.initiator_cookie = [9; 8];
    let bytes = Message {
        header: unknown,
        payloads: vec![Payload::Delete(delete)],
        trailing: Vec::new(),
    }
    .to_vec()
    .unwrap();
    pair.right.endpoint.handle(now, to, from, &bytes);
    let mut encrypted = header;
    encrypted.flags = ike_wire::Flags::ENCRYPTION;
    encrypted.length = 28 + 32;
    let mut bytes = encrypted.to_bytes().to_vec();
    bytes.extend_from_slice(&[0xAB; 32]);
    pair.right.endpoint.handle(now, to, from, &bytes);

    assert_eq!(pair.right.endpoint.status().states.len(), states_before);
    assert!(pair.right.endpoint.poll_transmit().is_none());
    while let Some(event) = pair.right.endpoint.poll_event() {
        assert!(
            !matches!(
                event,
                Event::IsakmpSaDeleted { .. } | Event::IpsecSaDeleted { .. }
            ),
            "{event:?}"
        );
    }
}

#[test]
fn aggressive_mode_rejected() {
    let mut pair = Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        19,
    );
    pair.initiate();
    let mut message = Message::parse(&pair.left.sent[0].payload).unwrap();
    message.header.exchange_type = ike_wire::ExchangeType::AGGRESSIVE;
    let bytes = message.to_vec().unwrap();
    let now = pair.now;
    pair.right.endpoint.handle(
        now,
        "192.0.2.2:500".parse().unwrap(),
        "192.0.2.1:500".parse().unwrap(),
        &bytes,
    );
    assert!(pair.right.endpoint.poll_transmit().is_none());
    assert!(pair.right.endpoint.status().states.is_empty());
}

#[test]
fn malformed_datagrams_dropped() {
    let vectors = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/vectors/malformed-ikev1/libreswan-fuzzer-ikev1.tsv"
    ))
    .expect("malformed vectors in the shared folder");
    let mut count = 0;
    for line in vectors
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (name, bytes) = line.split_once('\t').expect("name and hex");
        let bytes = hex(bytes.trim());
        count += 1;

        // A responder with no state, and an initiator waiting for MR1.
        let mut pair = Pair::new(
            psk_config(true, false, false),
            psk_config(false, false, false),
            20,
        );
        pair.initiate();
        let now = pair.now;
        let (left, right): (SocketAddr, SocketAddr) = (
            "192.0.2.1:500".parse().unwrap(),
            "192.0.2.2:500".parse().unwrap(),
        );
        pair.right.endpoint.handle(now, right, left, &bytes);
        pair.left.endpoint.handle(now, left, right, &bytes);
        let right_states = pair.right.endpoint.status().states;
        assert!(right_states.len() <= 1, "{name}: {right_states:?}");
        for state in &right_states {
            assert_eq!(
                state.state, "STATE_MAIN_R1",
                "{name}: only a valid MI1 may create a state"
            );
        }
        assert_eq!(pair.left.endpoint.status().states.len(), 1, "{name}");
        assert_eq!(
            pair.left.endpoint.status().states[0].state,
            "STATE_MAIN_I1",
            "{name}"
        );
    }
    assert_eq!(count, 6);
}

#[test]
fn keying_tries_bound_attempts() {
    let mut left = psk_config(true, false, false);
    left.keying_tries = 2;
    let mut right = psk_config(false, false, false);
    right.auth = ike_sm::Auth::psk(b"a different secret");
    let mut pair = Pair::new(left, right, 21);
    run(&mut pair, 600);

    let lines = pair.left.status_lines();
    let initiated = lines
        .iter()
        .filter(|l| l.contains("STATE_MAIN_I1: initiate"))
        .count();
    assert_eq!(initiated, 2, "{lines:#?}");
    assert!(
        has_line(&lines, "starting keying attempt 2 of at most 2"),
        "{lines:#?}"
    );
    let budget = lines.iter().filter(|l| l.starts_with("031 ")).count();
    assert_eq!(budget, 2);
    assert!(pair.left.endpoint.status().states.is_empty());
}
