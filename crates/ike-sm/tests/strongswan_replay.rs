//! Replays real strongSwan 5.9.8 IKEv1 sessions through the crate's cryptography.
//!
//! Each session folder contains `session.pcap` (Main Mode, Quick Mode and ESP between two
//! strongSwan gateways), the gateways' `config/` and the key material each side logged
//! (`keys-gwL.json`, `keys-gwR.json`: `{group, label, len, hex}` in log order). The inputs are
//! the logged shared DH secret, the packets, and the pre-shared key in
//! `config/gwL/ipsec.secrets` (PSK sessions) or the RSA keys in `config/gwL/ipsec.conf`
//! (signature sessions). From them the test derives SKEYID and its children, the encryption key,
//! every IV, HASH_I, HASH_R and Quick Mode HASH(1..3) and the ESP keys. It decrypts every
//! encrypted ISAKMP message and every ESP packet, verifies the RSA signatures, and compares each
//! value with what both gateways logged. With `IKE_REPLAY_EXPORT_DIR` set it also writes the
//! derived keys in Wireshark's UAT formats for the tshark CI step.
//!
//! Sessions are read from `$STRONGSWAN_SESSIONS_DIR`, by default
//! `$SHARED_DIR/captures/strongswan` with `SHARED_DIR` defaulting to the `shared` folder beside
//! the repository. Every subfolder holding a `session.pcap` is one case.
//!
//! The packets are decoded by offset here rather than with `ike-wire`, so that this test checks
//! the cryptography independently of the codec.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ike_sm::crypto::kdf;
use ike_sm::crypto::{DhGroup, Hash, Phase1Cipher, Prf, Secret};

// ISAKMP numbers (RFC 2408 section 3, RFC 2407 section 4.6, RFC 3947).
const ISAKMP_HEADER_LEN: usize = 28;
const FLAG_ENCRYPTION: u8 = 0x01;
const EXCHANGE_MAIN_MODE: u8 = 2;
const EXCHANGE_INFORMATIONAL: u8 = 5;
const EXCHANGE_QUICK_MODE: u8 = 32;
const PAYLOAD_SA: u8 = 1;
const PAYLOAD_KE: u8 = 4;
const PAYLOAD_ID: u8 = 5;
const PAYLOAD_HASH: u8 = 8;
const PAYLOAD_SIG: u8 = 9;
const PAYLOAD_NONCE: u8 = 10;
const PROTOCOL_ESP: u8 = 3;
const AUTH_PRE_SHARED_KEY: u16 = 1;
const AUTH_RSA_SIGNATURE: u16 = 3;

/// A UDP datagram from the capture.
struct Datagram {
    src: [u8; 4],
    dst_port: u16,
    src_port: u16,
    payload: Vec<u8>,
}

/// One ISAKMP message from the capture.
struct IsakmpMessage {
    src: [u8; 4],
    bytes: Vec<u8>,
}

impl IsakmpMessage {
    fn cky_i(&self) -> [u8; 8] {
        self.bytes[0..8].try_into().unwrap()
    }
    fn cky_r(&self) -> [u8; 8] {
        self.bytes[8..16].try_into().unwrap()
    }
    fn first_payload(&self) -> u8 {
        self.bytes[16]
    }
    fn exchange(&self) -> u8 {
        self.bytes[18]
    }
    fn flags(&self) -> u8 {
        self.bytes[19]
    }
    fn message_id(&self) -> u32 {
        u32::from_be_bytes(self.bytes[20..24].try_into().unwrap())
    }
    fn body(&self) -> &[u8] {
        &self.bytes[ISAKMP_HEADER_LEN..]
    }
}

/// A payload of a chain: its type, its body (without the generic header) and the offset just
/// past it in the chain's bytes.
#[derive(Clone)]
struct Payload {
    kind: u8,
    body: Vec<u8>,
    end: usize,
}

/// Everything the gateways logged, by label, in log order.
struct KeyLog {
    name: String,
    entries: BTreeMap<String, Vec<Vec<u8>>>,
}

/// The values this test computed, by the label strongSwan logs them under.
#[derive(Default)]
struct Computed {
    values: BTreeMap<String, Vec<Vec<u8>>>,
}

impl Computed {
    fn add(&mut self, label: &str, value: &[u8]) {
        self.values
            .entry(label.to_string())
            .or_default()
            .push(value.to_vec());
    }
}

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn sessions_dir() -> PathBuf {
    match std::env::var_os("STRONGSWAN_SESSIONS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => shared_dir().join("captures/strongswan"),
    }
}

fn unhex(text: &str) -> Vec<u8> {
    assert!(
        text.len().is_multiple_of(2),
        "odd number of hex digits in {text:?}"
    );
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16)
                .unwrap_or_else(|_| panic!("invalid hex {text:?}"))
        })
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn read_u16(bytes: &[u8], offset: usize) -> u16 {
    u16::from_be_bytes([bytes[offset], bytes[offset + 1]])
}

fn read_u32(bytes: &[u8], offset: usize) -> u32 {
    u32::from_be_bytes(bytes[offset..offset + 4].try_into().unwrap())
}

/// Reads the UDP datagrams of a classic libpcap file with Ethernet or raw IPv4 link type.
fn read_pcap(path: &Path) -> Vec<Datagram> {
    let data =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        data.len() >= 24,
        "{}: shorter than a pcap header",
        path.display()
    );
    let little_endian = match &data[0..4] {
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => true,
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => false,
        other => panic!("{}: not a pcap file (magic {})", path.display(), hex(other)),
    };
    let u32_at = |offset: usize| {
        let bytes: [u8; 4] = data[offset..offset + 4].try_into().unwrap();
        if little_endian {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        }
    };
    let link_type = u32_at(20);
    let link_header_len = match link_type {
        1 => 14,   // Ethernet
        101 => 0,  // raw IP
        113 => 16, // Linux cooked capture
        other => panic!("{}: unsupported link type {other}", path.display()),
    };

    let mut datagrams = Vec::new();
    let mut offset = 24;
    while offset + 16 <= data.len() {
        let captured = u32_at(offset + 8) as usize;
        let frame = &data[offset + 16..offset + 16 + captured];
        offset += 16 + captured;

        let packet = &frame[link_header_len..];
        if packet.is_empty() || packet[0] >> 4 != 4 {
            continue;
        }
        let ihl = usize::from(packet[0] & 0x0f) * 4;
        let total_len = usize::from(read_u16(packet, 2));
        if packet[9] != 17 {
            continue;
        }
        let udp = &packet[ihl..total_len];
        datagrams.push(Datagram {
            src: packet[12..16].try_into().unwrap(),
            src_port: read_u16(udp, 0),
            dst_port: read_u16(udp, 2),
            payload: udp[8..].to_vec(),
        });
    }
    datagrams
}

/// Walks a payload chain starting with `first`. Stops at next payload 0 and ignores what follows
/// (the padding of a decrypted message).
fn walk_chain(first: u8, chain: &[u8]) -> Vec<Payload> {
    let mut payloads = Vec::new();
    let mut kind = first;
    let mut offset = 0;
    while kind != 0 {
        assert!(
            offset + 4 <= chain.len(),
            "payload {kind} header at offset {offset} past the end"
        );
        let next = chain[offset];
        let len = usize::from(read_u16(chain, offset + 2));
        assert!(
            len >= 4 && offset + len <= chain.len(),
            "payload {kind} at offset {offset} has length {len}"
        );
        payloads.push(Payload {
            kind,
            body: chain[offset + 4..offset + len].to_vec(),
            end: offset + len,
        });
        kind = next;
        offset += len;
    }
    payloads
}

fn find(payloads: &[Payload], kind: u8) -> &Payload {
    payloads
        .iter()
        .find(|p| p.kind == kind)
        .unwrap_or_else(|| panic!("no payload of type {kind}"))
}

/// Attributes of the first transform of the first proposal of an SA payload body, with the
/// proposal's SPI and the transform ID.
struct ChosenTransform {
    spi: Vec<u8>,
    transform_id: u8,
    attributes: BTreeMap<u16, u32>,
}

fn chosen_transform(sa_body: &[u8]) -> ChosenTransform {
    // SA body: DOI (4), Situation (4), then Proposal payloads.
    let proposals = walk_chain(2, &sa_body[8..]);
    let proposal = &proposals[0].body;
    let spi_size = usize::from(proposal[2]);
    let spi = proposal[4..4 + spi_size].to_vec();
    let transforms = walk_chain(3, &proposal[4 + spi_size..]);
    let transform = &transforms[0].body;
    let transform_id = transform[1];

    let mut attributes = BTreeMap::new();
    let mut offset = 4;
    while offset + 4 <= transform.len() {
        let kind = read_u16(transform, offset);
        if kind & 0x8000 != 0 {
            attributes.insert(kind & 0x7fff, u32::from(read_u16(transform, offset + 2)));
            offset += 4;
        } else {
            let len = usize::from(read_u16(transform, offset + 2));
            let value = &transform[offset + 4..offset + 4 + len];
            let number = value.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            attributes.insert(kind, number);
            offset += 4 + len;
        }
    }
    ChosenTransform {
        spi,
        transform_id,
        attributes,
    }
}

fn read_key_log(path: &Path) -> KeyLog {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let json: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut entries: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
    for entry in json.as_array().expect("key log is a JSON array") {
        let group = entry["group"].as_str().unwrap_or_default().trim();
        let label = entry["label"]
            .as_str()
            .expect("entry has a label")
            .trim()
            .trim_end_matches(" =")
            .trim();
        let value = unhex(entry["hex"].as_str().expect("entry has hex"));
        assert_eq!(
            Some(value.len() as u64),
            entry["len"].as_u64(),
            "{}: {label} length",
            path.display()
        );
        entries
            .entry(format!("{group} {label}"))
            .or_default()
            .push(value);
    }
    KeyLog {
        name: path.display().to_string(),
        entries,
    }
}

fn logged<'a>(log: &'a KeyLog, label: &str) -> &'a [Vec<u8>] {
    log.entries
        .get(label)
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("{}: no entry labelled {label:?}", log.name))
}

/// Reads the first quoted PSK of an ipsec.secrets file.
fn read_psk(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if let Some((_, rest)) = line.split_once(": PSK \"") {
            let secret = rest.split('"').next().expect("closing quote");
            return secret.as_bytes().to_vec();
        }
    }
    panic!("{}: no PSK line", path.display());
}

/// Reads `key="dns:0s..."` (strongSwan's spelling of an Openswan RFC 3110 key) from ipsec.conf.
fn read_rsasigkey(path: &Path, key: &str) -> keystore::PublicKey {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let prefix = format!("{key}=");
    let value = text
        .lines()
        .find_map(|line| line.trim().strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("{}: no {key}", path.display()));
    let value = value.trim().trim_matches('"');
    keystore::PublicKey::from_rfc3110_text(value)
        .unwrap_or_else(|e| panic!("{}: {key}: {e}", path.display()))
}

/// Decrypts one encrypted ISAKMP message, returning the plaintext payload chain (with padding)
/// and the last ciphertext block, which is the next IV.
fn decrypt(
    cipher: Phase1Cipher,
    key: &Secret,
    iv: &[u8],
    message: &IsakmpMessage,
) -> (Vec<u8>, Vec<u8>) {
    assert!(
        message.flags() & FLAG_ENCRYPTION != 0,
        "message is not encrypted"
    );
    let mut data = message.body().to_vec();
    let next_iv = data[data.len() - cipher.block_size()..].to_vec();
    cipher
        .decrypt_in_place(key.as_bytes(), iv, &mut data)
        .expect("ciphertext is block aligned");
    (data, next_iv)
}

fn integrity_hash(auth_algorithm: u32) -> (Hash, usize, usize) {
    // (hash, key length, ICV length) for the IPsec DOI Authentication Algorithm attribute.
    match auth_algorithm {
        1 => (Hash::Md5, 16, 12),
        2 => (Hash::Sha1, 20, 12),
        5 => (Hash::Sha256, 32, 16),
        6 => (Hash::Sha384, 48, 24),
        7 => (Hash::Sha512, 64, 32),
        other => panic!("unsupported ESP authentication algorithm {other}"),
    }
}

fn esp_cipher(transform_id: u8, key_len_bits: Option<u32>) -> Phase1Cipher {
    // ESP transform IDs (RFC 2407 section 4.4.4): ESP_3DES = 3, ESP_AES = 12. The CBC code is the
    // same as phase 1's, so the phase 1 type decrypts these too.
    match (transform_id, key_len_bits) {
        (3, _) => Phase1Cipher::TripleDesCbc,
        (12, bits) => {
            Phase1Cipher::from_attributes(7, bits.map(|b| b as u16)).expect("AES key length")
        }
        (other, _) => panic!("unsupported ESP transform {other}"),
    }
}

/// Replays one session folder and returns the computed values by log label, plus a count of
/// decrypted messages and ESP packets.
fn replay(dir: &Path) -> (Computed, usize, usize) {
    let mut computed = Computed::default();
    let datagrams = read_pcap(&dir.join("session.pcap"));
    let gw_l_keys = read_key_log(&dir.join("keys-gwL.json"));
    let gxy = logged(&gw_l_keys, "IKE shared Diffie Hellman secret")[0].clone();

    // Split the capture into ISAKMP messages and ESP packets (RFC 3948: on port 4500 a zero
    // non-ESP marker precedes ISAKMP, a one-byte 0xFF is a keepalive, anything else is ESP).
    let mut isakmp = Vec::new();
    let mut esp_packets = Vec::new();
    for datagram in datagrams {
        let is_natt = datagram.src_port == 4500 || datagram.dst_port == 4500;
        if datagram.src_port != 500 && datagram.dst_port != 500 && !is_natt {
            continue;
        }
        if is_natt {
            if datagram.payload == [0xff] {
                continue;
            }
            if datagram.payload[0..4] == [0, 0, 0, 0] {
                isakmp.push(IsakmpMessage {
                    src: datagram.src,
                    bytes: datagram.payload[4..].to_vec(),
                });
            } else {
                esp_packets.push((datagram.src, datagram.payload));
            }
        } else {
            isakmp.push(IsakmpMessage {
                src: datagram.src,
                bytes: datagram.payload,
            });
        }
    }
    let initiator = isakmp[0].src;
    let main_mode: Vec<&IsakmpMessage> = isakmp
        .iter()
        .filter(|m| m.exchange() == EXCHANGE_MAIN_MODE)
        .collect();
    assert_eq!(
        main_mode.len(),
        6,
        "{}: Main Mode message count",
        dir.display()
    );

    // Main Mode 1 and 2: the initiator's SA payload and the chosen transform.
    let mm1 = walk_chain(main_mode[0].first_payload(), main_mode[0].body());
    let mm2 = walk_chain(main_mode[1].first_payload(), main_mode[1].body());
    let sai_b = find(&mm1, PAYLOAD_SA).body.clone();
    let phase1 = chosen_transform(&find(&mm2, PAYLOAD_SA).body);
    let attribute = |kind: u16| phase1.attributes.get(&kind).copied();
    let hash =
        Hash::from_attribute(attribute(2).expect("hash attribute") as u16).expect("supported hash");
    let prf = Prf::hmac(hash);
    let cipher = Phase1Cipher::from_attributes(
        attribute(1).expect("encryption attribute") as u16,
        attribute(14).map(|bits| bits as u16),
    )
    .expect("supported cipher");
    let auth_method = attribute(3).expect("authentication method attribute") as u16;
    let group =
        DhGroup::from_id(attribute(4).expect("group attribute") as u16).expect("supported group");
    let cky_i = main_mode[0].cky_i();
    let cky_r = main_mode[1].cky_r();

    // Main Mode 3 and 4: KE and nonces.
    let mm3 = walk_chain(main_mode[2].first_payload(), main_mode[2].body());
    let mm4 = walk_chain(main_mode[3].first_payload(), main_mode[3].body());
    let gxi = find(&mm3, PAYLOAD_KE).body.clone();
    let gxr = find(&mm4, PAYLOAD_KE).body.clone();
    let ni_b = find(&mm3, PAYLOAD_NONCE).body.clone();
    let nr_b = find(&mm4, PAYLOAD_NONCE).body.clone();
    assert_eq!(
        gxi.len(),
        group.public_len(),
        "{group} KE length (initiator)"
    );
    assert_eq!(
        gxr.len(),
        group.public_len(),
        "{group} KE length (responder)"
    );
    assert_eq!(
        gxy.len(),
        group.shared_secret_len(),
        "{group} shared secret length"
    );

    // SKEYID and its children.
    let skeyid = match auth_method {
        AUTH_PRE_SHARED_KEY => kdf::skeyid_psk(
            prf,
            &read_psk(&dir.join("config/gwL/ipsec.secrets")),
            &ni_b,
            &nr_b,
        ),
        AUTH_RSA_SIGNATURE => kdf::skeyid_sig(prf, &ni_b, &nr_b, &gxy),
        other => panic!("unsupported authentication method {other}"),
    };
    let chain = kdf::skeyid_dae(prf, &skeyid, &gxy, &cky_i, &cky_r);
    let key = kdf::phase1_enc_key(prf, &chain.skeyid_e, cipher.key_len());
    let initial_iv = kdf::phase1_iv(hash, &gxi, &gxr, cipher.block_size());
    computed.add("IKE SKEYID", skeyid.as_bytes());
    computed.add("IKE SKEYID_d", chain.skeyid_d.as_bytes());
    computed.add("IKE SKEYID_a", chain.skeyid_a.as_bytes());
    computed.add("IKE SKEYID_e", chain.skeyid_e.as_bytes());
    computed.add("IKE encryption key Ka", key.as_bytes());
    computed.add("IKE initial IV", &initial_iv);

    // Main Mode 5 and 6: decrypt, then check HASH_I and HASH_R. With a PSK the HASH payload
    // carries them. With signatures the SIG payloads must verify over them under the RSA keys
    // in the gateways' ipsec.conf.
    let (mm5_plain, iv) = decrypt(cipher, &key, &initial_iv, main_mode[4]);
    computed.add("IKE next IV for MID 0", &iv);
    let (mm6_plain, last_phase1_block) = decrypt(cipher, &key, &iv, main_mode[5]);
    computed.add("IKE next IV for MID 0", &last_phase1_block);
    let mm5 = walk_chain(main_mode[4].first_payload(), &mm5_plain);
    let mm6 = walk_chain(main_mode[5].first_payload(), &mm6_plain);
    let idii_b = &find(&mm5, PAYLOAD_ID).body;
    let idir_b = &find(&mm6, PAYLOAD_ID).body;
    let hash_i = kdf::hash_i(prf, &skeyid, &gxi, &gxr, &cky_i, &cky_r, &sai_b, idii_b);
    let hash_r = kdf::hash_r(prf, &skeyid, &gxi, &gxr, &cky_i, &cky_r, &sai_b, idir_b);
    computed.add("IKE HASH_I", &hash_i);
    computed.add("IKE HASH_R", &hash_r);
    match auth_method {
        AUTH_PRE_SHARED_KEY => {
            assert_eq!(
                hex(&find(&mm5, PAYLOAD_HASH).body),
                hex(&hash_i),
                "HASH_I in Main Mode 5"
            );
            assert_eq!(
                hex(&find(&mm6, PAYLOAD_HASH).body),
                hex(&hash_r),
                "HASH_R in Main Mode 6"
            );
        }
        _ => {
            let conf = dir.join("config/gwL/ipsec.conf");
            let left = read_rsasigkey(&conf, "leftrsasigkey");
            let right = read_rsasigkey(&conf, "rightrsasigkey");
            let sig_i = &find(&mm5, PAYLOAD_SIG).body;
            let sig_r = &find(&mm6, PAYLOAD_SIG).body;
            left.ikev1_verify(&hash_i, sig_i)
                .expect("initiator's SIG over HASH_I verifies");
            right
                .ikev1_verify(&hash_r, sig_r)
                .expect("responder's SIG over HASH_R verifies");
            let mut wrong_hash = hash_i.clone();
            wrong_hash[0] ^= 1;
            assert!(
                left.ikev1_verify(&wrong_hash, sig_i).is_err(),
                "SIG rejects a changed HASH_I"
            );
        }
    }
    let mut decrypted = 2;

    // Quick Mode and Informational exchanges: each message ID starts from the last phase 1
    // block and chains from there (RFC 2409 appendix B).
    let mut exchange_ivs: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
    let mut quick_mode: Vec<(bool, Vec<Payload>, Vec<u8>, u32)> = Vec::new();
    for message in isakmp.iter().filter(|m| m.exchange() != EXCHANGE_MAIN_MODE) {
        let message_id = message.message_id();
        let label = format!("IKE next IV for MID {message_id}");
        let iv = match exchange_ivs.remove(&message_id) {
            Some(iv) => iv,
            None => {
                let iv = kdf::phase2_iv(hash, &last_phase1_block, message_id, cipher.block_size());
                computed.add(&label, &iv);
                iv
            }
        };
        let (plain, next_iv) = decrypt(cipher, &key, &iv, message);
        computed.add(&label, &next_iv);
        exchange_ivs.insert(message_id, next_iv);
        decrypted += 1;

        let payloads = walk_chain(message.first_payload(), &plain);
        let chain_end = payloads.last().map_or(0, |p| p.end);
        let hash_payload = &payloads[0];
        assert_eq!(
            hash_payload.kind, PAYLOAD_HASH,
            "MID {message_id}: first payload is HASH"
        );
        let after_hash = &plain[hash_payload.end..chain_end];

        match message.exchange() {
            EXCHANGE_QUICK_MODE => {
                quick_mode.push((
                    message.src == initiator,
                    payloads.clone(),
                    after_hash.to_vec(),
                    message_id,
                ));
            }
            EXCHANGE_INFORMATIONAL => {
                let expected =
                    kdf::informational_hash1(prf, &chain.skeyid_a, message_id, after_hash);
                assert_eq!(
                    hex(&hash_payload.body),
                    hex(&expected),
                    "Informational HASH(1), MID {message_id}"
                );
            }
            other => panic!("unexpected exchange type {other}"),
        }
    }

    // Quick Mode hashes and KEYMAT.
    assert_eq!(
        quick_mode.len(),
        3,
        "{}: Quick Mode message count",
        dir.display()
    );
    let senders: Vec<bool> = quick_mode
        .iter()
        .map(|(from_initiator, ..)| *from_initiator)
        .collect();
    assert_eq!(
        senders,
        [true, false, true],
        "Quick Mode senders: initiator, responder, initiator"
    );
    let (_, qm1, qm1_after, message_id) = &quick_mode[0];
    let (_, qm2, qm2_after, _) = &quick_mode[1];
    let (_, qm3, _, _) = &quick_mode[2];
    let qm_ni_b = find(qm1, PAYLOAD_NONCE).body.clone();
    let qm_nr_b = find(qm2, PAYLOAD_NONCE).body.clone();
    let hash1 = kdf::quick_mode_hash1(prf, &chain.skeyid_a, *message_id, qm1_after);
    let hash2 = kdf::quick_mode_hash2(prf, &chain.skeyid_a, *message_id, &qm_ni_b, qm2_after);
    let hash3 = kdf::quick_mode_hash3(prf, &chain.skeyid_a, *message_id, &qm_ni_b, &qm_nr_b);
    assert_eq!(hex(&qm1[0].body), hex(&hash1), "HASH(1)");
    assert_eq!(hex(&qm2[0].body), hex(&hash2), "HASH(2)");
    assert_eq!(hex(&qm3[0].body), hex(&hash3), "HASH(3)");
    computed.add("IKE Hash(1)", &hash1);
    computed.add("IKE Hash(2)", &hash2);
    computed.add("IKE Hash(3)", &hash3);

    // NOTE: PFS (a KE payload in Quick Mode) needs the Quick Mode DH secret, which strongSwan
    // logs under "DH secret"; the sessions here run without PFS.
    let qm_gxy: Option<Vec<u8>> = qm1
        .iter()
        .any(|p| p.kind == PAYLOAD_KE)
        .then(|| logged(&gw_l_keys, "CHD DH secret")[0].clone());

    let initiator_sa = chosen_transform(&find(qm1, PAYLOAD_SA).body);
    let responder_sa = chosen_transform(&find(qm2, PAYLOAD_SA).body);
    assert_eq!(
        responder_sa.attributes.get(&0),
        None,
        "attribute type 0 is reserved"
    );
    let suite = EspSuite {
        cipher: esp_cipher(
            responder_sa.transform_id,
            responder_sa.attributes.get(&6).copied(),
        ),
        auth: integrity_hash(
            responder_sa
                .attributes
                .get(&5)
                .copied()
                .expect("ESP authentication algorithm"),
        ),
    };
    let keymat_len = suite.cipher.key_len() + suite.auth.1;

    // The initiator sends with the SPI the responder chose, and the other way round.
    let mut directions = Vec::new();
    for (label, spi) in [
        ("initiator", &responder_sa.spi),
        ("responder", &initiator_sa.spi),
    ] {
        let keymat = kdf::keymat(
            prf,
            &chain.skeyid_d,
            qm_gxy.as_deref(),
            PROTOCOL_ESP,
            spi,
            &qm_ni_b,
            &qm_nr_b,
            keymat_len,
        );
        let (encryption, integrity) = keymat.as_bytes().split_at(suite.cipher.key_len());
        let seed = [&[PROTOCOL_ESP][..], spi, &qm_ni_b, &qm_nr_b].concat();
        computed.add(&format!("CHD {label} SA seed"), &seed);
        computed.add(&format!("CHD encryption {label} key"), encryption);
        computed.add(&format!("CHD integrity {label} key"), integrity);
        directions.push((
            u32::from_be_bytes(spi.as_slice().try_into().expect("ESP SPI is 4 bytes")),
            Secret::from_slice(encryption),
            Secret::from_slice(integrity),
        ));
    }

    let mut esp_count = 0;
    for (_, packet) in &esp_packets {
        let spi = read_u32(packet, 0);
        let (_, encryption, integrity) = directions
            .iter()
            .find(|(known, _, _)| *known == spi)
            .unwrap_or_else(|| panic!("ESP packet with unknown SPI {spi:#010x}"));
        decrypt_esp(&suite, encryption, integrity, packet, &mut computed);
        esp_count += 1;
    }

    if let Some(export_dir) = std::env::var_os("IKE_REPLAY_EXPORT_DIR") {
        let session = dir.file_name().expect("session folder name");
        let mut hashes = vec![hash1, hash2, hash3];
        if auth_method == AUTH_PRE_SHARED_KEY {
            hashes.extend([hash_i, hash_r]);
        }
        let export = TsharkExport {
            cky_i,
            key: &key,
            initiator,
            responder: isakmp[1].src,
            suite: &suite,
            directions: &directions,
            hashes,
        };
        export.write(&PathBuf::from(export_dir).join(session));
    }
    (computed, decrypted, esp_count)
}

/// Derived keys in Wireshark's UAT formats, written when `IKE_REPLAY_EXPORT_DIR` is set so that
/// a CI step can check that tshark decrypts the session with them.
struct TsharkExport<'a> {
    cky_i: [u8; 8],
    key: &'a Secret,
    initiator: [u8; 4],
    responder: [u8; 4],
    suite: &'a EspSuite,
    /// (SPI, encryption key, integrity key); the first entry keys the initiator's packets.
    directions: &'a [(u32, Secret, Secret)],
    /// HASH payload values this test computed (HASH_I and HASH_R only with a PSK).
    hashes: Vec<Vec<u8>>,
}

impl TsharkExport<'_> {
    fn write(&self, dir: &Path) {
        std::fs::create_dir_all(dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let ip = |a: [u8; 4]| format!("{}.{}.{}.{}", a[0], a[1], a[2], a[3]);

        let table = format!("{},{}\n", hex(&self.cky_i), hex(self.key.as_bytes()));
        std::fs::write(dir.join("ikev1_decryption_table"), table)
            .expect("write ikev1_decryption_table");

        let cipher = match self.suite.cipher {
            Phase1Cipher::TripleDesCbc => "TripleDES-CBC [RFC2451]",
            _ => "AES-CBC [RFC3602]",
        };
        let auth = match self.suite.auth.0 {
            Hash::Md5 => "HMAC-MD5-96 [RFC2403]",
            Hash::Sha1 => "HMAC-SHA-1-96 [RFC2404]",
            Hash::Sha256 => "HMAC-SHA-256-128 [RFC4868]",
            Hash::Sha384 => "HMAC-SHA-384-192 [RFC4868]",
            _ => "HMAC-SHA-512-256 [RFC4868]",
        };
        let mut esp_sa = String::new();
        let ends = [
            (self.initiator, self.responder),
            (self.responder, self.initiator),
        ];
        for ((spi, encryption, integrity), (src, dst)) in self.directions.iter().zip(ends) {
            let _ = writeln!(
                esp_sa,
                "\"IPv4\",\"{}\",\"{}\",\"{spi:#010x}\",\"{cipher}\",\"0x{}\",\"{auth}\",\"0x{}\"",
                ip(src),
                ip(dst),
                hex(encryption.as_bytes()),
                hex(integrity.as_bytes()),
            );
        }
        std::fs::write(dir.join("esp_sa"), esp_sa).expect("write esp_sa");

        let hashes: String = self.hashes.iter().map(|h| hex(h) + "\n").collect();
        std::fs::write(dir.join("hashes"), hashes).expect("write hashes");
    }
}

/// The negotiated ESP transform: cipher and (hash, key length, ICV length).
struct EspSuite {
    cipher: Phase1Cipher,
    auth: (Hash, usize, usize),
}

/// Verifies the ICV and decrypts one ESP packet (RFC 4303 section 2), recording the values
/// strongSwan logs per packet.
fn decrypt_esp(
    suite: &EspSuite,
    encryption: &Secret,
    integrity: &Secret,
    packet: &[u8],
    computed: &mut Computed,
) {
    let (hash, _, icv_len) = suite.auth;
    let block = suite.cipher.block_size();
    let (authenticated, icv) = packet.split_at(packet.len() - icv_len);
    let expected_icv = Prf::hmac(hash).prf(integrity.as_bytes(), &[authenticated]);
    assert_eq!(
        hex(icv),
        hex(&expected_icv.as_bytes()[..icv_len]),
        "ESP ICV of SPI {:#010x}",
        read_u32(packet, 0)
    );

    let iv = &authenticated[8..8 + block];
    let mut plain = authenticated[8 + block..].to_vec();
    computed.add("ESP IV", iv);
    computed.add("ESP encrypted", &plain);
    computed.add("ESP ICV", icv);
    suite
        .cipher
        .decrypt_in_place(encryption.as_bytes(), iv, &mut plain)
        .expect("ESP ciphertext is block aligned");

    // Trailer: padding 1, 2, 3, ..., pad length, next header (4 = IPv4).
    let next_header = plain[plain.len() - 1];
    let pad_len = usize::from(plain[plain.len() - 2]);
    let payload_len = plain.len() - 2 - pad_len;
    let padding = &plain[payload_len..plain.len() - 2];
    assert_eq!(next_header, 4, "ESP next header is IPv4");
    assert!(
        padding
            .iter()
            .enumerate()
            .all(|(i, b)| usize::from(*b) == i + 1),
        "ESP padding is 1, 2, 3, ..."
    );
    let payload = &plain[..payload_len];
    assert_eq!(
        payload[0] >> 4,
        4,
        "decrypted ESP payload is an IPv4 packet"
    );
    assert_eq!(payload[9], 1, "decrypted ESP payload is ICMP");
    computed.add("ESP payload", payload);
    computed.add("ESP padding", padding);
}

/// Compares every computed value with the values both gateways logged under the same label.
fn compare(dir: &Path, computed: &Computed) -> Vec<String> {
    let mut mismatches = Vec::new();
    for gateway in ["keys-gwL.json", "keys-gwR.json"] {
        let log = read_key_log(&dir.join(gateway));
        for (label, values) in &computed.values {
            let mut ours: Vec<String> = values.iter().map(|v| hex(v)).collect();
            ours.sort();
            ours.dedup();
            let mut theirs: Vec<String> = match log.entries.get(label) {
                Some(values) => values.iter().map(|v| hex(v)).collect(),
                None => {
                    mismatches.push(format!("{gateway}: nothing logged as {label:?}"));
                    continue;
                }
            };
            theirs.sort();
            theirs.dedup();
            if ours != theirs {
                mismatches.push(format!(
                    "{gateway}: {label}: computed {ours:?}, logged {theirs:?}"
                ));
            }
        }
    }
    mismatches
}

#[test]
fn strongswan_sessions_replay() {
    let root = sessions_dir();
    let mut sessions: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| {
            panic!(
                "cannot list {}: {e} (set STRONGSWAN_SESSIONS_DIR or SHARED_DIR)",
                root.display()
            )
        })
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.join("session.pcap").is_file())
        .collect();
    sessions.sort();
    assert!(
        !sessions.is_empty(),
        "no session folders in {}",
        root.display()
    );

    let mut failures = Vec::new();
    for dir in &sessions {
        let (computed, decrypted, esp_count) = replay(dir);
        let mismatches = compare(dir, &computed);
        let labels = computed.values.len();
        eprintln!(
            "{}: {labels} labels compared, {decrypted} ISAKMP messages and {esp_count} ESP packets decrypted",
            dir.display()
        );
        assert!(esp_count > 0, "{}: no ESP packet decrypted", dir.display());
        failures.extend(
            mismatches
                .into_iter()
                .map(|m| format!("{}: {m}", dir.display())),
        );
    }
    assert!(failures.is_empty(), "mismatches:\n{}", failures.join("\n"));
}
