//! A forged RSA signature: a responder configured with an e=3 public key for its peer
//! must reject a MI3 whose SIG is Bleichenbacher's forgery of HASH_I, and keep no ISAKMP SA.
//!
//! The test plays the initiator itself from MI2 on: it takes the left engine's MI1 and MI2,
//! puts its own KE into MI2 so that it knows g^xy, derives the keys with `crypto::kdf`, and
//! sends a MI3 whose SIG cubes to `00 01 FF*8 00 HASH_I garbage`, which a verifier that parses
//! the padding and stops after the hash would accept.

mod util;

use std::net::SocketAddr;
use std::time::Duration;

use ike_sm::crypto::{kdf, DhGroup, Hash, Phase1Cipher, Prf};
use ike_sm::{Auth, DhGroupId, Event, IkeCipher, IkeHash, IkeProposal};
use ike_wire::{
    ExchangeType, Flags, Header, IdType, Identification, Message, Payload, PayloadType, Signature,
    HEADER_LEN, ISAKMP_VERSION_1_0,
};
use keystore::PublicKey;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::BigUint;
use util::{rsa_config, rsa_keys, Pair};

/// A 2048-bit RSA public key with exponent 3 (the one keystore's signature tests use).
const E3_KEY_2048: &str =
    "0sAQO8vQM7bbu4Bwy/FH5IRs3s8NXCLEw/6iL3KO6oa1mrA0L/eIQBtwlC3xBHymnmeA3lKCwWLSCswTcGz/pRyChMo1BQDP1EmbJvVbqf05sSEc3++q0lMrvPSH0696wJkJrCLQiBNz6EzCn3S4O87JMYHs9isD1gHnW3fU4JSB4DH/jx4EMXvyGsmG7raubbvERM8BRYx8c2wqIec/oZHhmhaW25o+P3hhgiBzniX8WKKmY/nxr9/7ZLnzM+uW3+XWAARUKIn3LUWgJA9FiZ7P/LmIWoafCYvTUIj3d+BrVoWky5LvIcHA/ms26Xm3VUfKtYFhjT94t5SQ7tTFLjSRVT";

/// Returns the signature whose cube is `00 01 FF*8 00 hash` followed by garbage, as long as
/// the modulus.
fn forge_e3(hash: &[u8], modulus_len: usize) -> Vec<u8> {
    let mut prefix = vec![0x00, 0x01];
    prefix.extend_from_slice(&[0xff; 8]);
    prefix.push(0x00);
    prefix.extend_from_slice(hash);
    let mut target = prefix.clone();
    target.resize(modulus_len, 0x00);

    let forged = BigUint::from_bytes_be(&target).cbrt() + BigUint::from(1u8);
    let cubed = (&forged * &forged * &forged).to_bytes_be();
    let mut block = vec![0u8; modulus_len - cubed.len()];
    block.extend_from_slice(&cubed);
    assert_eq!(
        &block[..prefix.len()],
        &prefix[..],
        "the forgery must fool a verifier that parses the padding"
    );

    let forged = forged.to_bytes_be();
    let mut signature = vec![0u8; modulus_len];
    signature[modulus_len - forged.len()..].copy_from_slice(&forged);
    signature
}

fn payload_body(message: &Message, kind: PayloadType) -> Vec<u8> {
    message
        .payloads
        .iter()
        .find(|p| p.payload_type() == kind)
        .expect("payload present")
        .body_to_vec()
        .unwrap()
}

/// What the responder did with the MI3 built by [`send_mi3`].
struct Outcome {
    lines: Vec<String>,
    established: bool,
    states: Vec<&'static str>,
}

/// Runs MI1 and MR1 between the engines, then plays the initiator: sends MI2 with our own KE,
/// derives the keys from MR2, and sends a MI3 whose SIG is `sign(HASH_I)`. The responder
/// expects `peer_key` for the initiator.
fn send_mi3(peer_key: PublicKey, sign: impl Fn(&[u8]) -> Vec<u8>) -> Outcome {
    let proposal = IkeProposal {
        cipher: IkeCipher::AesCbc { key_bits: 128 },
        hash: IkeHash::Sha1,
        group: DhGroupId::Modp2048,
    };
    let mut left = rsa_config(true, false, false);
    left.ike_proposals = vec![proposal];
    let mut right = rsa_config(false, false, false);
    right.ike_proposals = vec![proposal];
    right.auth = Auth::Rsa {
        local: rsa_keys().1.clone(),
        remote: peer_key,
    };
    let mut pair = Pair::new(left, right, 31);
    // MI1 and MR1 travel; MI2 is held back and replaced by ours.
    pair.drop_filter = Some(Box::new(|_, from_left, index| from_left && index >= 1));
    pair.initiate();
    pair.drive(Duration::from_millis(35));

    let mi1 = Message::parse(&pair.left.sent[0].payload).unwrap();
    let mi2_sent = pair.left.sent.get(1).expect("MI2 sent").clone();
    let mut mi2 = Message::parse(&mi2_sent.payload).unwrap();
    let group = DhGroup::from_id(DhGroupId::Modp2048.number()).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let (private, gxi) = group.generate(&mut rng);
    for payload in &mut mi2.payloads {
        if let Payload::Ke(ke) = payload {
            ke.data = gxi.clone();
        }
    }
    let ni_b = payload_body(&mi2, PayloadType::NONCE);
    let cky_i = mi2.header.initiator_cookie;
    let cky_r = mi2.header.responder_cookie;

    let now = pair.now;
    let from = SocketAddr::new(mi2_sent.local.ip(), 500);
    let to = mi2_sent.remote;
    let right = &mut pair.right.endpoint;
    right.handle(now, to, from, &mi2.to_vec().unwrap());
    let mr2 = right.poll_transmit().expect("MR2");
    let mr2 = Message::parse(&mr2.payload).unwrap();
    let gxr = payload_body(&mr2, PayloadType::KEY_EXCHANGE);
    let nr_b = payload_body(&mr2, PayloadType::NONCE);

    // Derive the responder's keys (RFC 2409 section 5 and appendix B).
    let prf = Prf::hmac(Hash::Sha1);
    let gxy = private.shared_secret(&gxr).unwrap();
    let skeyid = kdf::skeyid_sig(prf, &ni_b, &nr_b, gxy.as_bytes());
    let chain = kdf::skeyid_dae(prf, &skeyid, gxy.as_bytes(), &cky_i, &cky_r);
    let cipher = Phase1Cipher::from_attributes(7, Some(128)).unwrap();
    let enc_key = kdf::phase1_enc_key(prf, &chain.skeyid_e, cipher.key_len());
    let iv = kdf::phase1_iv(Hash::Sha1, &gxi, &gxr, cipher.block_size());

    let id = Payload::Id(Identification {
        reserved: 0,
        id_type: IdType::FQDN,
        protocol_id: 17,
        port: 500,
        data: b"left.example".to_vec(),
    });
    let sai_b = payload_body(&mi1, PayloadType::SECURITY_ASSOCIATION);
    let hash_i = kdf::hash_i(
        prf,
        &skeyid,
        &gxi,
        &gxr,
        &cky_i,
        &cky_r,
        &sai_b,
        &id.body_to_vec().unwrap(),
    );
    let payloads = vec![id, Payload::Sig(Signature::new(sign(&hash_i)))];

    let mut body = ike_wire::emit_payloads(&payloads).unwrap();
    let block = cipher.block_size();
    body.resize(body.len().div_ceil(block) * block, 0);
    cipher
        .encrypt_in_place(enc_key.as_bytes(), &iv, &mut body)
        .unwrap();
    let header = Header {
        initiator_cookie: cky_i,
        responder_cookie: cky_r,
        next_payload: PayloadType::IDENTIFICATION,
        version: ISAKMP_VERSION_1_0,
        exchange_type: ExchangeType::IDENTITY_PROTECTION,
        flags: Flags::ENCRYPTION,
        message_id: 0,
        length: u32::try_from(HEADER_LEN + body.len()).unwrap(),
    };
    let mut mi3 = header.to_bytes().to_vec();
    mi3.extend_from_slice(&body);
    right.handle(now, to, from, &mi3);

    let mut outcome = Outcome {
        lines: Vec::new(),
        established: false,
        states: Vec::new(),
    };
    while let Some(event) = right.poll_event() {
        match event {
            Event::Status(line) => outcome.lines.push(line.to_string()),
            Event::IsakmpSaEstablished { .. } => outcome.established = true,
            _ => {}
        }
    }
    outcome.states = right.status().states.iter().map(|s| s.state).collect();
    outcome
}

/// Checks the harness: a genuine signature with the peer's real key establishes the ISAKMP SA,
/// so the forgery test signs the same HASH_I the responder computes.
#[test]
fn genuine_signature_establishes() {
    let left_key = &rsa_keys().0;
    let outcome = send_mi3(left_key.public(), |hash| left_key.ikev1_sign(hash).unwrap());
    assert!(outcome.established, "{:#?}", outcome.lines);
    assert!(
        outcome.states.contains(&"STATE_MAIN_R3"),
        "{:?}",
        outcome.states
    );
}

#[test]
fn e3_signature_forgery_rejected() {
    let e3_key: PublicKey = E3_KEY_2048.parse().unwrap();
    assert_eq!(e3_key.exponent(), [3]);
    let modulus_len = e3_key.modulus_len();
    let verifier = e3_key.clone();
    let outcome = send_mi3(e3_key.clone(), move |hash| {
        let signature = forge_e3(hash, modulus_len);
        assert!(verifier.ikev1_verify(hash, &signature).is_err());
        signature
    });

    let expected = format!(
        "Signature check (on @left.example) failed (wrong key?); tried *{}",
        e3_key.keyid()
    );
    assert!(
        outcome.lines.iter().any(|l| l.contains(&expected)),
        "{:#?}",
        outcome.lines
    );
    assert!(!outcome.established, "{:#?}", outcome.lines);
    assert!(
        !outcome
            .lines
            .iter()
            .any(|l| l.contains("ISAKMP SA established")),
        "{:#?}",
        outcome.lines
    );
    assert!(
        !outcome.states.contains(&"STATE_MAIN_R3"),
        "{:?}",
        outcome.states
    );
}
