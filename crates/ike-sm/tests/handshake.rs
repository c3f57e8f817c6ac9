//! Main Mode and Quick Mode between two engines through the `Pair` harness.

mod util;

use std::time::Duration;

use ike_sm::{
    ChildSa, DhGroupId, EspCipher, EspIntegrity, EspProposal, Event, IkeCipher, IkeHash,
    IkeProposal,
};
use util::{psk_config, rsa_config, Pair, CONN};

/// Asserts that the two sides hold mirror-image SAs with equal keys.
fn assert_children_match(left: &ChildSa, right: &ChildSa) {
    assert_eq!(left.outbound.spi, right.inbound.spi);
    assert_eq!(left.inbound.spi, right.outbound.spi);
    assert_eq!(*left.outbound.enc_key, *right.inbound.enc_key);
    assert_eq!(*left.outbound.auth_key, *right.inbound.auth_key);
    assert_eq!(*left.inbound.enc_key, *right.outbound.enc_key);
    assert_eq!(*left.inbound.auth_key, *right.outbound.auth_key);
    assert_ne!(*left.inbound.enc_key, *left.outbound.enc_key);
    assert_eq!(left.local_subnet, right.remote_subnet);
    assert_eq!(left.remote_subnet, right.local_subnet);
    assert_eq!(left.encapsulation.is_some(), right.encapsulation.is_some());
}

fn established_pair(mut pair: Pair) -> Pair {
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    let left = pair.left.children();
    let right = pair.right.children();
    assert_eq!(
        left.len(),
        1,
        "left lines: {:#?}\nright lines: {:#?}",
        pair.left.status_lines(),
        pair.right.status_lines()
    );
    assert_eq!(
        right.len(),
        1,
        "right lines: {:#?}",
        pair.right.status_lines()
    );
    assert_children_match(left[0], right[0]);
    pair
}

/// Pins both sides' status lines. The initiator's are the whack output of `ipsec auto --up
/// net-to-net` in the Openswan HOWTO ("Quick HOWTO: Ch35: Configuring Linux VPNs",
/// <http://www.linuxhomenetworking.com/wiki/index.php?title=Quick_HOWTO_:_Ch35_:_Configuring_Linux_VPNs>),
/// whose `ipsec auto --status` also shows the responder's `STATE_MAIN_R3 (sent MR3, ISAKMP SA
/// established)` and `STATE_QUICK_R2 (IPsec SA established)`.
///
/// The responder's sequence follows the auth.log of Openswan 2.6.38 ("Linux Openswan
/// U2.6.38/K3.13.0-33-generic (netkey)" on Ubuntu 14.04) that a user posted in the forum
/// threads "L2TP IPSec strange behaviour" (2014-08-14) and "Openswan cannot install eroute"
/// (2014-08-15): `responding to Main Mode`, a `transition from state X to state Y` line before
/// each new state, `Main mode peer ID is ID_IPV4_ADDR: '...'` before STATE_MAIN_R3, `the peer
/// proposed: <ours> -> <theirs>` on the ISAKMP SA, `responding to Quick Mode proposal
/// {msgid:01000000}`, a STATE_QUICK_R1 line without SA details (Libreswan 3.x and later append
/// them), and `STATE_QUICK_R2: IPsec SA established transport mode {ESP=>0x... <0x...
/// xfrm=AES_128-HMAC_SHA1 NATOA=... NATD=... DPD=none}`.
///
/// NOTE: the forum threads were read from a public archive that gave no URL for them. The
/// `us:`/`them:` lines Openswan logs after `responding to Quick Mode proposal` are not emitted,
/// because their layout for a subnet-to-subnet connection (nexthop, `[+S=C]` flags) was not
/// observed.
#[test]
fn psk_aes128_sha1_modp2048_lines() {
    let mut left = psk_config(true, false, false);
    let mut right = psk_config(false, false, false);
    let proposal = IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Modp2048,
    };
    let esp = EspProposal {
        cipher: EspCipher::AesCbc { key_bits: 128 },
        integrity: EspIntegrity::HmacSha1,
    };
    left.ike_proposals = vec![proposal];
    right.ike_proposals = vec![proposal];
    left.esp_proposals = vec![esp];
    right.esp_proposals = vec![esp];
    let pair = established_pair(Pair::new(left, right, 1));

    let child = pair.left.children()[0].clone();
    let details = format!(
        "tunnel mode {{ESP=>0x{:08x} <0x{:08x} xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=none DPD=none}}",
        child.outbound.spi, child.inbound.spi
    );
    assert_eq!(
        pair.left.status_lines(),
        vec![
            format!("104 \"{CONN}\" #1: STATE_MAIN_I1: initiate"),
            format!("106 \"{CONN}\" #1: STATE_MAIN_I2: sent MI2, expecting MR2"),
            format!("108 \"{CONN}\" #1: STATE_MAIN_I3: sent MI3, expecting MR3"),
            format!("004 \"{CONN}\" #1: STATE_MAIN_I4: ISAKMP SA established {{auth=OAKLEY_PRESHARED_KEY cipher=aes_128 prf=oakley_sha group=modp2048}}"),
            format!("112 \"{CONN}\" #2: STATE_QUICK_I1: initiate"),
            format!("004 \"{CONN}\" #2: STATE_QUICK_I2: sent QI2, IPsec SA established {details}"),
        ]
    );
    let right_details = format!(
        "tunnel mode {{ESP=>0x{:08x} <0x{:08x} xfrm=AES_128-HMAC_SHA1 NATOA=none NATD=none DPD=none}}",
        child.inbound.spi, child.outbound.spi
    );
    // The message ID of QI1, the left side's fourth datagram, in the ISAKMP header.
    let qi1 = &pair.left.sent[3].payload;
    let msgid = u32::from_be_bytes(qi1[20..24].try_into().unwrap());
    assert_eq!(
        pair.right.status_lines(),
        vec![
            format!("000 \"{CONN}\" #1: responding to Main Mode"),
            format!("000 \"{CONN}\" #1: transition from state STATE_MAIN_R0 to state STATE_MAIN_R1"),
            format!("105 \"{CONN}\" #1: STATE_MAIN_R1: sent MR1, expecting MI2"),
            format!("000 \"{CONN}\" #1: transition from state STATE_MAIN_R1 to state STATE_MAIN_R2"),
            format!("107 \"{CONN}\" #1: STATE_MAIN_R2: sent MR2, expecting MI3"),
            format!("000 \"{CONN}\" #1: Main mode peer ID is ID_FQDN: '@left.example'"),
            format!("000 \"{CONN}\" #1: transition from state STATE_MAIN_R2 to state STATE_MAIN_R3"),
            format!("004 \"{CONN}\" #1: STATE_MAIN_R3: sent MR3, ISAKMP SA established {{auth=OAKLEY_PRESHARED_KEY cipher=aes_128 prf=oakley_sha group=modp2048}}"),
            format!("000 \"{CONN}\" #1: the peer proposed: 10.0.0.0/24:0/0 -> 172.16.1.0/24:0/0"),
            format!("000 \"{CONN}\" #2: responding to Quick Mode proposal {{msgid:{msgid:08x}}}"),
            format!("000 \"{CONN}\" #2: transition from state STATE_QUICK_R0 to state STATE_QUICK_R1"),
            format!("113 \"{CONN}\" #2: STATE_QUICK_R1: sent QR1, inbound IPsec SA installed, expecting QI2"),
            format!("000 \"{CONN}\" #2: transition from state STATE_QUICK_R1 to state STATE_QUICK_R2"),
            format!("004 \"{CONN}\" #2: STATE_QUICK_R2: IPsec SA established {right_details}"),
        ]
    );
    assert_eq!(child.inbound.enc_key.len(), 16);
    assert_eq!(child.inbound.auth_key.len(), 20);
    assert!(child.encapsulation.is_none());
}

#[test]
fn psk_default_proposals_establish() {
    established_pair(Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        2,
    ));
}

#[test]
fn proposal_matrix_psk() {
    proposal_matrix(psk_config);
}

#[test]
fn proposal_matrix_rsa() {
    proposal_matrix(rsa_config);
}

#[test]
fn rsa_established_line() {
    let pair = established_pair(Pair::new(
        rsa_config(true, false, false),
        rsa_config(false, false, false),
        9,
    ));
    assert!(
        pair.left.status_lines()[3].contains("{auth=OAKLEY_RSA_SIG cipher="),
        "{:?}",
        pair.left.status_lines()
    );
}

fn proposal_matrix(make: fn(bool, bool, bool) -> ike_sm::ConnectionConfig) {
    let ciphers = [
        IkeCipher::TripleDesCbc,
        IkeCipher::AesCbc { key_bits: 128 },
        IkeCipher::AesCbc { key_bits: 256 },
    ];
    let hashes = [IkeHash::Md5, IkeHash::Sha1, IkeHash::Sha2_256];
    let groups = [
        DhGroupId::Modp1024,
        DhGroupId::Modp2048,
        DhGroupId::Curve25519,
    ];
    let mut seed = 100;
    for cipher in ciphers {
        for hash in hashes {
            for group in groups {
                for pfs in [true, false] {
                    seed += 1;
                    let proposal = IkeProposal {
                        cipher,
                        hash,
                        group,
                    };
                    let esp_cipher = match cipher {
                        IkeCipher::TripleDesCbc => EspCipher::TripleDesCbc,
                        IkeCipher::AesCbc { key_bits } => EspCipher::AesCbc { key_bits },
                    };
                    let integrity = match hash {
                        IkeHash::Md5 => EspIntegrity::HmacMd5,
                        IkeHash::Sha1 => EspIntegrity::HmacSha1,
                        _ => EspIntegrity::HmacSha2_256,
                    };
                    let esp = EspProposal {
                        cipher: esp_cipher,
                        integrity,
                    };
                    let mut left = make(true, false, false);
                    let mut right = make(false, false, false);
                    for config in [&mut left, &mut right] {
                        config.ike_proposals = vec![proposal];
                        config.esp_proposals = vec![esp];
                        config.pfs = pfs;
                    }
                    let pair = established_pair(Pair::new(left, right, seed));
                    let child = pair.left.children()[0].clone();
                    assert_eq!(child.outbound.cipher, esp_cipher, "{proposal:?}");
                    assert_eq!(child.outbound.enc_key.len(), esp_cipher.key_len());
                    assert_eq!(child.outbound.auth_key.len(), integrity.key_len());
                }
            }
        }
    }
}

#[test]
fn nat_on_left_floats_to_4500() {
    let pair = established_pair(Pair::new(
        psk_config(true, true, false),
        psk_config(false, true, false),
        3,
    ));
    let left = pair.left.children()[0].clone();
    let right = pair.right.children()[0].clone();
    assert_eq!(left.encapsulation, Some((4500, 4500)));
    assert_eq!(right.encapsulation, Some((4500, 4500)));
    assert!(pair
        .left
        .status_lines()
        .last()
        .unwrap()
        .contains("NATD=192.0.2.2:4500"));
}

#[test]
fn nat_on_right_floats_to_4500() {
    let pair = established_pair(Pair::new(
        psk_config(true, false, true),
        psk_config(false, false, true),
        4,
    ));
    assert_eq!(pair.left.children()[0].encapsulation, Some((4500, 4500)));
    assert_eq!(pair.right.children()[0].encapsulation, Some((4500, 4500)));
}

#[test]
fn forceencaps_without_nat() {
    let mut left = psk_config(true, false, false);
    left.force_encaps = true;
    let pair = established_pair(Pair::new(left, psk_config(false, false, false), 5));
    assert_eq!(pair.left.children()[0].encapsulation, Some((4500, 4500)));
    assert_eq!(pair.right.children()[0].encapsulation, Some((4500, 4500)));
    let floated = pair
        .left
        .sent
        .iter()
        .filter(|t| t.local.port() == 4500)
        .count();
    assert!(floated >= 2, "MI3 and QI1 travel on port 4500");
}

#[test]
fn strongswan_default_offer_accepted() {
    let mut left = psk_config(true, false, false);
    left.ike_proposals = vec![IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha2_256,
        group: DhGroupId::Curve25519,
    }];
    left.esp_proposals = vec![EspProposal {
        cipher: EspCipher::AesCbc { key_bits: 128 },
        integrity: EspIntegrity::HmacSha2_256,
    }];
    established_pair(Pair::new(left, psk_config(false, false, false), 6));
}

#[test]
fn responder_picks_first_acceptable() {
    let mut left = psk_config(true, false, false);
    let mut right = psk_config(false, false, false);
    let first = IkeProposal {
        cipher: IkeCipher::TripleDesCbc,
        hash: IkeHash::Md5,
        group: DhGroupId::Modp1024,
    };
    let second = IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 256 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Modp2048,
    };
    let third = IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Modp2048,
    };
    left.ike_proposals = vec![first, second, third];
    right.ike_proposals = vec![third, second];
    let pair = established_pair(Pair::new(left, right, 7));
    assert!(pair.left.status_lines()[3].contains("cipher=aes_256 prf=oakley_sha group=modp2048"));
}

#[test]
fn same_seed_same_trace() {
    let run = |seed| {
        let mut pair = Pair::new(
            psk_config(true, false, false),
            psk_config(false, false, false),
            seed,
        );
        pair.impairments = util::Impairments {
            loss: 0.3,
            duplicate: 0.3,
            reorder: 0.3,
        };
        pair.initiate();
        pair.drive(Duration::from_secs(300));
        let sent: Vec<Vec<u8>> = pair
            .left
            .sent
            .iter()
            .chain(&pair.right.sent)
            .map(|t| t.payload.clone())
            .collect();
        (pair.trace, sent)
    };
    assert_eq!(run(42), run(42));
    assert_ne!(run(42).1, run(43).1);
}

#[test]
fn delete_reaches_peer() {
    let mut pair = established_pair(Pair::new(
        psk_config(true, false, false),
        psk_config(false, false, false),
        8,
    ));
    let now = pair.now;
    pair.left.endpoint.delete(now, CONN).unwrap();
    pair.drive(Duration::from_secs(1));
    let deleted_ipsec = pair
        .right
        .events
        .iter()
        .filter(|e| matches!(e, Event::IpsecSaDeleted { .. }))
        .count();
    let deleted_isakmp = pair
        .right
        .events
        .iter()
        .filter(|e| matches!(e, Event::IsakmpSaDeleted { .. }))
        .count();
    assert_eq!(deleted_ipsec, 1);
    assert_eq!(deleted_isakmp, 1);
    assert!(pair.right.endpoint.status().states.is_empty());
    assert!(pair.left.endpoint.status().states.is_empty());
}

#[test]
fn responder_lifetime_honoured() {
    let mut right = psk_config(false, false, false);
    right.sa_lifetime = Duration::from_secs(1800);
    let pair = established_pair(Pair::new(psk_config(true, false, false), right, 10));
    assert_eq!(pair.left.children()[0].lifetime, Duration::from_secs(1800));
    assert_eq!(pair.right.children()[0].lifetime, Duration::from_secs(1800));
}

/// AES-GCM-16 ESP (RFC 4106): no Authentication Algorithm, KEYMAT is the AES key and a 4-byte
/// salt, and no integrity key.
#[test]
fn aes_gcm_esp_establishes() {
    for (key_bits, seed) in [(128u16, 21), (256, 22)] {
        for pfs in [true, false] {
            let mut left = psk_config(true, false, false);
            let mut right = psk_config(false, false, false);
            let esp = EspProposal {
                cipher: EspCipher::AesGcm16 { key_bits },
                integrity: EspIntegrity::None,
            };
            left.esp_proposals = vec![esp];
            right.esp_proposals = vec![esp];
            left.pfs = pfs;
            right.pfs = pfs;
            let pair = established_pair(Pair::new(left, right, seed));
            let child = pair.left.children()[0].clone();
            for sa in [&child.inbound, &child.outbound] {
                assert_eq!(sa.cipher, EspCipher::AesGcm16 { key_bits });
                assert_eq!(sa.integrity, EspIntegrity::None);
                assert_eq!(sa.enc_key.len(), usize::from(key_bits) / 8 + 4);
                assert!(sa.auth_key.is_empty());
            }
            let lines = pair.left.status_lines();
            let established = lines
                .iter()
                .find(|line| line.contains("STATE_QUICK_I2"))
                .expect("an established line");
            assert!(
                established.contains(&format!("xfrm=AES_GCM_16_{key_bits}-NONE")),
                "{established}"
            );
        }
    }
}

/// A responder configured for AES-CBC does not accept an AES-GCM offer.
#[test]
fn aes_gcm_offer_needs_matching_config() {
    let mut left = psk_config(true, false, false);
    left.esp_proposals = vec![EspProposal {
        cipher: EspCipher::AesGcm16 { key_bits: 128 },
        integrity: EspIntegrity::None,
    }];
    let mut right = psk_config(false, false, false);
    right.esp_proposals = vec![EspProposal {
        cipher: EspCipher::AesCbc { key_bits: 128 },
        integrity: EspIntegrity::HmacSha1,
    }];
    let mut pair = Pair::new(left, right, 23);
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert!(pair.left.children().is_empty());
    assert!(pair.right.children().is_empty());
}
