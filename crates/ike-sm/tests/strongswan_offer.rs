//! strongSwan 5.9.8's first Main Mode messages, taken from real captures, sent to ike-sm's
//! responder. Its default offer (AES-CBC-128, HMAC-SHA2-256, Curve25519) and a legacy
//! 3DES/MD5/MODP1024 one are accepted when the connection lists no `ike=`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use ike_sm::{Auth, ConnectionConfig, Endpoint, EndpointConfig, Event};
use ike_wire::{Message, Payload};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn shared_dir() -> PathBuf {
    std::env::var_os("SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")))
}

/// Returns the UDP payload of the first packet of an Ethernet pcap.
fn first_udp_payload(path: &PathBuf) -> Vec<u8> {
    let data = std::fs::read(path).expect("capture in the shared folder");
    assert_eq!(&data[..4], &[0xd4, 0xc3, 0xb2, 0xa1], "little-endian pcap");
    assert_eq!(
        u32::from_le_bytes(data[20..24].try_into().unwrap()),
        1,
        "Ethernet link type"
    );
    let captured = u32::from_le_bytes(data[24 + 8..24 + 12].try_into().unwrap()) as usize;
    let frame = &data[24 + 16..24 + 16 + captured];
    let ip = &frame[14..];
    let header_len = usize::from(ip[0] & 0x0f) * 4;
    let udp = &ip[header_len..];
    let udp_len = usize::from(u16::from_be_bytes([udp[4], udp[5]]));
    udp[8..udp_len].to_vec()
}

fn answer(session: &str) -> (Vec<String>, Message) {
    let mm1 = first_udp_payload(
        &shared_dir()
            .join("captures/strongswan")
            .join(session)
            .join("session.pcap"),
    );
    let local: SocketAddr = "192.0.2.2:500".parse().unwrap();
    let remote: SocketAddr = "192.0.2.1:500".parse().unwrap();
    let mut endpoint = Endpoint::new(
        EndpointConfig::default(),
        Box::new(ChaCha20Rng::seed_from_u64(1)),
    );
    let mut config = ConnectionConfig::new("net-to-net", local, remote, Auth::psk(b"unused"));
    if session == "rsa" {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let key = keystore::generate(1024, &mut rng).unwrap();
        config.auth = Auth::Rsa {
            local: key.clone(),
            remote: key.public(),
        };
    }
    endpoint.add_connection(config).unwrap();
    endpoint.handle(Instant::now(), local, remote, &mm1);

    let mut lines = Vec::new();
    while let Some(event) = endpoint.poll_event() {
        if let Event::Status(line) = event {
            lines.push(line.to_string());
        }
    }
    let reply = endpoint
        .poll_transmit()
        .expect("an answer to strongSwan's MI1");
    (lines, Message::parse(&reply.payload).unwrap())
}

fn chosen_attributes(reply: &Message) -> Vec<(u16, u64)> {
    let Some(Payload::Sa(sa)) = reply.payloads.first() else {
        panic!("MR1 starts with SA: {reply:?}")
    };
    assert_eq!(sa.proposals.len(), 1);
    assert_eq!(sa.proposals[0].transforms.len(), 1);
    sa.proposals[0].transforms[0]
        .attributes
        .iter()
        .map(|a| (a.kind, a.as_u64().unwrap()))
        .collect()
}

#[test]
fn strongswan_default_offer_answered() {
    let (lines, reply) = answer("rsa");
    assert_eq!(
        lines,
        vec![
            "000 \"net-to-net\" #1: responding to Main Mode".to_owned(),
            "000 \"net-to-net\" #1: transition from state STATE_MAIN_R0 to state STATE_MAIN_R1"
                .to_owned(),
            "105 \"net-to-net\" #1: STATE_MAIN_R1: sent MR1, expecting MI2".to_owned(),
        ]
    );
    let attributes = chosen_attributes(&reply);
    assert!(attributes.contains(&(1, 7)), "AES-CBC: {attributes:?}");
    assert!(
        attributes.contains(&(14, 128)),
        "128-bit key: {attributes:?}"
    );
    assert!(attributes.contains(&(2, 4)), "SHA2-256: {attributes:?}");
    assert!(attributes.contains(&(4, 31)), "Curve25519: {attributes:?}");
    assert!(
        attributes.contains(&(3, 3)),
        "RSA signatures: {attributes:?}"
    );
    let rfc3947 = [
        0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45,
        0x2f,
    ];
    let natt = reply
        .payloads
        .iter()
        .any(|p| matches!(p, Payload::VendorId(v) if v.data == rfc3947));
    assert!(natt, "the RFC 3947 vendor ID is echoed");
}

#[test]
fn strongswan_legacy_offer_answered() {
    let (_, reply) = answer("psk-legacy");
    let attributes = chosen_attributes(&reply);
    assert!(attributes.contains(&(1, 5)), "3DES: {attributes:?}");
    assert!(attributes.contains(&(2, 1)), "MD5: {attributes:?}");
    assert!(attributes.contains(&(4, 2)), "MODP1024: {attributes:?}");
}
