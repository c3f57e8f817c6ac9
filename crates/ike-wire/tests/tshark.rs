//! tshark, an independent decoder, agrees with what we emit.
//!
//! Messages covering every payload kind and every Phase 1 and IPsec DOI attribute are emitted by
//! the crate, written into a pcap (Ethernet, IPv4, UDP 500 and 4500), and decoded by tshark. No
//! frame may be flagged `_ws.malformed` or carry an expert item of severity error, and the field
//! values tshark prints must equal the values of our model.
//!
//! Needs `tshark` on the PATH (Debian package tshark).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use ike_wire::*;

const ICOOKIE: [u8; 8] = [0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x70, 0x81];
const RCOOKIE: [u8; 8] = [0x91, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0xf7, 0x08];

/// A datagram for the pcap: UDP ports and payload.
struct Frame {
    port: u16,
    message: Option<Message>,
    payload: Vec<u8>,
}

fn header(exchange: ExchangeType, responder_cookie: [u8; 8], message_id: u32) -> Header {
    Header {
        initiator_cookie: ICOOKIE,
        responder_cookie,
        next_payload: PayloadType::NONE,
        version: ISAKMP_VERSION_1_0,
        exchange_type: exchange,
        flags: Flags::default(),
        message_id,
        length: 0,
    }
}

fn message(header: Header, payloads: Vec<Payload>) -> Message {
    Message {
        header,
        payloads,
        trailing: Vec::new(),
    }
}

fn transform(number: u8, transform_id: u8, attributes: Vec<Attribute>) -> Transform {
    Transform {
        reserved: 0,
        number,
        transform_id,
        reserved2: 0,
        attributes,
    }
}

fn proposal(number: u8, protocol: ProtocolId, spi: &[u8], transforms: Vec<Transform>) -> Proposal {
    Proposal {
        reserved: 0,
        number,
        protocol,
        spi: spi.to_vec(),
        transforms,
    }
}

fn sa(proposals: Vec<Proposal>) -> Payload {
    Payload::Sa(Sa {
        reserved: 0,
        doi: Doi::IPSEC,
        situation: Sa::SIT_IDENTITY_ONLY,
        proposals,
    })
}

fn id(id_type: IdType, protocol_id: u8, port: u16, data: &[u8]) -> Payload {
    Payload::Id(Identification {
        reserved: 0,
        id_type,
        protocol_id,
        port,
        data: data.to_vec(),
    })
}

fn notify(protocol: ProtocolId, notify_type: NotifyType, spi: &[u8], data: &[u8]) -> Payload {
    Payload::Notify(Notification {
        reserved: 0,
        doi: Doi::IPSEC,
        protocol,
        notify_type,
        spi: spi.to_vec(),
        data: data.to_vec(),
    })
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| seed.wrapping_add((i as u8).wrapping_mul(7)))
        .collect()
}

fn cookies() -> Vec<u8> {
    [ICOOKIE, RCOOKIE].concat()
}

/// Builds transforms with every Phase 1 attribute class of RFC 2409 appendix A, in TV and TLV
/// forms, with both life types.
fn phase1_transforms() -> Vec<Transform> {
    use IkeAttributeType as A;
    vec![
        transform(
            1,
            IkeTransformId::KEY_IKE.0,
            vec![
                Attribute::basic(A::ENCRYPTION_ALGORITHM, EncryptionAlgorithm::AES_CBC),
                Attribute::basic(A::KEY_LENGTH, 256u16),
                Attribute::basic(A::HASH_ALGORITHM, HashAlgorithm::SHA2_256),
                Attribute::basic(A::AUTHENTICATION_METHOD, AuthMethod::RSA_SIGNATURES),
                Attribute::basic(A::GROUP_DESCRIPTION, GroupDescription::MODP2048),
                Attribute::basic(A::LIFE_TYPE, LifeType::SECONDS),
                Attribute::variable(A::LIFE_DURATION, vec![0, 1, 0x51, 0x80]),
                Attribute::basic(A::LIFE_TYPE, LifeType::KILOBYTES),
                Attribute::basic(A::LIFE_DURATION, 4608u16),
            ],
        ),
        transform(
            2,
            IkeTransformId::KEY_IKE.0,
            vec![
                Attribute::basic(A::ENCRYPTION_ALGORITHM, EncryptionAlgorithm::TRIPLE_DES_CBC),
                Attribute::basic(A::HASH_ALGORITHM, HashAlgorithm::SHA),
                Attribute::basic(A::AUTHENTICATION_METHOD, AuthMethod::PRE_SHARED_KEY),
                Attribute::basic(A::GROUP_TYPE, GroupType::MODP),
                Attribute::variable(A::GROUP_PRIME, pattern(0xc1, 96)),
                Attribute::variable(A::GROUP_GENERATOR_ONE, vec![2]),
                Attribute::variable(A::GROUP_GENERATOR_TWO, vec![0, 5]),
                Attribute::variable(A::GROUP_CURVE_A, pattern(0x11, 8)),
                Attribute::variable(A::GROUP_CURVE_B, pattern(0x21, 8)),
                Attribute::variable(A::GROUP_ORDER, pattern(0x31, 12)),
                Attribute::basic(A::FIELD_SIZE, 768u16),
                Attribute::basic(A::PRF, 1u16),
                Attribute::basic(A::LIFE_TYPE, LifeType::SECONDS),
                Attribute::variable(A::LIFE_DURATION, vec![0, 0, 0x70, 0x80]),
            ],
        ),
    ]
}

/// Builds transforms with every IPsec DOI attribute class of RFC 2407 4.5 (and ECN, ESN), and
/// every encapsulation mode.
fn esp_transforms() -> Vec<Transform> {
    use IpsecAttributeType as A;
    let mut transforms = vec![transform(
        1,
        EspTransformId::AES_CBC.0,
        vec![
            Attribute::basic(A::SA_LIFE_TYPE, LifeType::SECONDS),
            Attribute::variable(A::SA_LIFE_DURATION, vec![0, 0, 0x0e, 0x10]),
            Attribute::basic(A::SA_LIFE_TYPE, LifeType::KILOBYTES),
            Attribute::basic(A::SA_LIFE_DURATION, 50000u16),
            Attribute::basic(A::GROUP_DESCRIPTION, GroupDescription::MODP1536),
            Attribute::basic(A::ENCAPSULATION_MODE, EncapsulationMode::TUNNEL),
            Attribute::basic(A::AUTHENTICATION_ALGORITHM, AuthAlgorithm::HMAC_SHA2_256),
            Attribute::basic(A::KEY_LENGTH, 128u16),
            Attribute::basic(A::KEY_ROUNDS, 12u16),
            Attribute::basic(A::COMPRESS_DICTIONARY_SIZE, 4u16),
            Attribute::variable(A::COMPRESS_PRIVATE_ALGORITHM, vec![0xde, 0xad, 0xbe, 0xef]),
            Attribute::basic(A::ECN_TUNNEL, 1u16),
            Attribute::basic(A::EXTENDED_SEQUENCE_NUMBER, 1u16),
        ],
    )];
    let modes = [
        (
            EspTransformId::TRIPLE_DES,
            EncapsulationMode::TRANSPORT,
            AuthAlgorithm::HMAC_MD5,
        ),
        (
            EspTransformId::AES_CBC,
            EncapsulationMode::UDP_TUNNEL,
            AuthAlgorithm::HMAC_SHA,
        ),
        (
            EspTransformId::AES_CBC,
            EncapsulationMode::UDP_TRANSPORT,
            AuthAlgorithm::HMAC_SHA2_512,
        ),
        (
            EspTransformId::AES_GCM_16,
            EncapsulationMode::UDP_TUNNEL_DRAFT,
            AuthAlgorithm(0),
        ),
        (
            EspTransformId::NULL,
            EncapsulationMode::UDP_TRANSPORT_DRAFT,
            AuthAlgorithm::HMAC_SHA2_384,
        ),
    ];
    for (index, (cipher, mode, auth)) in modes.into_iter().enumerate() {
        let mut attributes = vec![Attribute::basic(A::ENCAPSULATION_MODE, mode)];
        if auth != AuthAlgorithm(0) {
            attributes.push(Attribute::basic(A::AUTHENTICATION_ALGORITHM, auth));
        }
        transforms.push(transform(index as u8 + 2, cipher.0, attributes));
    }
    transforms
}

/// Loads the X.509 certificate (self-signed, CN=gw-left, ECDSA P-256) and its subject DN in DER.
fn certificate() -> (Vec<u8>, Vec<u8>) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/gw-left-cert.der");
    let der = std::fs::read(&path).unwrap();
    let dn = der[46..66].to_vec();
    (der, dn)
}

/// Builds the messages, one per frame. Together they contain every payload kind.
fn corpus() -> Vec<Frame> {
    let (cert, dn) = certificate();
    let mut frames = Vec::new();
    let mut push = |port, message: Message| {
        let payload = message.to_vec().unwrap();
        frames.push(Frame {
            port,
            message: Some(message),
            payload,
        });
    };

    // Main Mode message 1: SA with all Phase 1 attributes, and Vendor IDs.
    push(
        500,
        message(
            header(ExchangeType::IDENTITY_PROTECTION, [0; 8], 0),
            vec![
                sa(vec![proposal(
                    1,
                    ProtocolId::ISAKMP,
                    &[],
                    phase1_transforms(),
                )]),
                Payload::VendorId(VendorId::new(pattern(0x40, 16))),
                Payload::VendorId(VendorId::new(pattern(0x50, 8))),
            ],
        ),
    );

    // Main Mode message 3: KE, Nonce and the RFC 3947 NAT-D payloads.
    push(
        500,
        message(
            header(ExchangeType::IDENTITY_PROTECTION, RCOOKIE, 0),
            vec![
                Payload::Ke(KeyExchange::new(pattern(0x61, 128))),
                Payload::Nonce(Nonce::new(pattern(0x71, 32))),
                Payload::NatD(NatD {
                    reserved: 0,
                    payload_type: PayloadType::NAT_D,
                    hash: pattern(0x81, 20),
                }),
                Payload::NatD(NatD {
                    reserved: 0,
                    payload_type: PayloadType::NAT_D,
                    hash: pattern(0x91, 20),
                }),
            ],
        ),
    );

    // Main Mode message 4 of a draft NAT-T peer: NAT-D under payload number 130.
    push(
        500,
        message(
            header(ExchangeType::IDENTITY_PROTECTION, RCOOKIE, 0),
            vec![
                Payload::Ke(KeyExchange::new(pattern(0x62, 128))),
                Payload::Nonce(Nonce::new(pattern(0x72, 24))),
                Payload::NatD(NatD {
                    reserved: 0,
                    payload_type: PayloadType::NAT_D_DRAFT,
                    hash: pattern(0xa1, 20),
                }),
            ],
        ),
    );

    // Main Mode message 5 sent in the clear: ID, CERT, CR, SIG, HASH and INITIAL-CONTACT.
    push(
        4500,
        message(
            header(ExchangeType::IDENTITY_PROTECTION, RCOOKIE, 0),
            vec![
                id(IdType::IPV4_ADDR, 17, 500, &[192, 0, 2, 1]),
                Payload::Cert(Certificate {
                    reserved: 0,
                    encoding: CertEncoding::X509_SIGNATURE,
                    data: cert,
                }),
                Payload::CertReq(CertificateRequest {
                    reserved: 0,
                    encoding: CertEncoding::X509_SIGNATURE,
                    authority: dn.clone(),
                }),
                Payload::Sig(Signature::new(pattern(0xb1, 64))),
                Payload::Hash(Hash::new(pattern(0xc1, 20))),
                notify(
                    ProtocolId::ISAKMP,
                    NotifyType::INITIAL_CONTACT,
                    &cookies(),
                    &[],
                ),
            ],
        ),
    );

    // Aggressive Mode message 1 with an FQDN identity.
    push(
        500,
        message(
            header(ExchangeType::AGGRESSIVE, [0; 8], 0),
            vec![
                sa(vec![proposal(
                    1,
                    ProtocolId::ISAKMP,
                    &[],
                    phase1_transforms()[1..].to_vec(),
                )]),
                Payload::Ke(KeyExchange::new(pattern(0x63, 96))),
                Payload::Nonce(Nonce::new(pattern(0x73, 16))),
                id(IdType::FQDN, 0, 0, b"gw-left.example.org"),
                Payload::VendorId(VendorId::new(pattern(0x42, 16))),
            ],
        ),
    );

    // Quick Mode message 1 in the clear: ESP, AH and IPCOMP proposals, PFS KE, client IDs,
    // NAT-OA under both numbers.
    push(
        4500,
        message(
            header(ExchangeType::QUICK_MODE, RCOOKIE, 0x1e0f_0c0a),
            vec![
                Payload::Hash(Hash::new(pattern(0xd1, 20))),
                sa(vec![
                    proposal(
                        1,
                        ProtocolId::IPSEC_ESP,
                        &[0xc0, 0xff, 0xee, 0x01],
                        esp_transforms(),
                    ),
                    proposal(
                        1,
                        ProtocolId::IPSEC_AH,
                        &[0xc0, 0xff, 0xee, 0x02],
                        vec![transform(
                            1,
                            AhTransformId::SHA.0,
                            vec![
                                Attribute::basic(
                                    IpsecAttributeType::AUTHENTICATION_ALGORITHM,
                                    AuthAlgorithm::HMAC_SHA,
                                ),
                                Attribute::basic(
                                    IpsecAttributeType::ENCAPSULATION_MODE,
                                    EncapsulationMode::TUNNEL,
                                ),
                            ],
                        )],
                    ),
                    proposal(
                        1,
                        ProtocolId::IPCOMP,
                        &[0x12, 0x34],
                        vec![transform(1, IpcompTransformId::DEFLATE.0, vec![])],
                    ),
                ]),
                Payload::Nonce(Nonce::new(pattern(0x74, 20))),
                Payload::Ke(KeyExchange::new(pattern(0x64, 128))),
                id(
                    IdType::IPV4_ADDR_SUBNET,
                    0,
                    0,
                    &[10, 1, 0, 0, 255, 255, 0, 0],
                ),
                id(IdType::IPV4_ADDR_RANGE, 6, 80, &[10, 2, 0, 1, 10, 2, 0, 9]),
                Payload::NatOa(NatOa {
                    reserved: 0,
                    payload_type: PayloadType::NAT_OA,
                    id_type: IdType::IPV4_ADDR,
                    reserved2: [0; 3],
                    address: vec![10, 0, 0, 1],
                }),
                Payload::NatOa(NatOa {
                    reserved: 0,
                    payload_type: PayloadType::NAT_OA_DRAFT,
                    id_type: IdType::IPV4_ADDR,
                    reserved2: [0; 3],
                    address: vec![10, 0, 0, 2],
                }),
            ],
        ),
    );

    // Quick Mode message 2 with the remaining identity types.
    let v6 = |last: u8| {
        let mut address = [0u8; 16];
        address[..4].copy_from_slice(&[0x20, 0x01, 0x0d, 0xb8]);
        address[15] = last;
        address
    };
    push(
        4500,
        message(
            header(ExchangeType::QUICK_MODE, RCOOKIE, 0x1e0f_0c0b),
            vec![
                Payload::Hash(Hash::new(pattern(0xd2, 20))),
                sa(vec![proposal(
                    1,
                    ProtocolId::IPSEC_ESP,
                    &[0xc0, 0xff, 0xee, 0x03],
                    esp_transforms()[..1].to_vec(),
                )]),
                Payload::Nonce(Nonce::new(pattern(0x75, 20))),
                id(IdType::IPV6_ADDR, 0, 0, &v6(1)),
                id(
                    IdType::IPV6_ADDR_SUBNET,
                    0,
                    0,
                    &[v6(0), [0xff; 16]].concat(),
                ),
                id(IdType::IPV6_ADDR_RANGE, 0, 0, &[v6(1), v6(9)].concat()),
                id(IdType::USER_FQDN, 0, 0, b"admin@example.org"),
                id(IdType::DER_ASN1_DN, 0, 0, &dn),
                id(IdType::KEY_ID, 0, 0, &pattern(0xe1, 12)),
            ],
        ),
    );

    // Informational: DPD, responder lifetime, replay status, and deletes.
    let informational = message(
        header(ExchangeType::INFORMATIONAL, RCOOKIE, 0x2233_4455),
        vec![
            Payload::Hash(Hash::new(pattern(0xd3, 20))),
            notify(
                ProtocolId::ISAKMP,
                NotifyType::R_U_THERE,
                &cookies(),
                &[0, 0, 0x30, 0x39],
            ),
            notify(
                ProtocolId::ISAKMP,
                NotifyType::R_U_THERE_ACK,
                &cookies(),
                &[0, 0, 0x30, 0x39],
            ),
            notify(
                ProtocolId::IPSEC_ESP,
                NotifyType::RESPONDER_LIFETIME,
                &[0xc0, 0xff, 0xee, 0x01],
                &[
                    0x80, 0x01, 0x00, 0x01, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x0e, 0x10,
                ],
            ),
            notify(
                ProtocolId::IPSEC_ESP,
                NotifyType::REPLAY_STATUS,
                &[0xc0, 0xff, 0xee, 0x01],
                &[0, 0, 0, 1],
            ),
            notify(
                ProtocolId::IPSEC_ESP,
                NotifyType::NO_PROPOSAL_CHOSEN,
                &[],
                &[],
            ),
            Payload::Delete(Delete {
                reserved: 0,
                doi: Doi::IPSEC,
                protocol: ProtocolId::ISAKMP,
                spi_size: 16,
                spis: vec![cookies()],
            }),
            Payload::Delete(Delete {
                reserved: 0,
                doi: Doi::IPSEC,
                protocol: ProtocolId::IPSEC_ESP,
                spi_size: 4,
                spis: vec![vec![0xc0, 0xff, 0xee, 0x01], vec![0xc0, 0xff, 0xee, 0x03]],
            }),
        ],
    );
    let informational_bytes = informational.to_vec().unwrap();
    push(4500, informational);

    // Transaction (Mode Config): an Attribute payload, which the crate keeps as raw bytes. Its
    // body is a CFG_REQUEST with identifier 7 asking for INTERNAL_IP4_ADDRESS.
    push(
        500,
        message(
            header(ExchangeType::TRANSACTION, RCOOKIE, 0x0506_0708),
            vec![
                Payload::Hash(Hash::new(pattern(0xd4, 20))),
                Payload::Unknown(UnknownPayload {
                    reserved: 0,
                    payload_type: PayloadType::ATTRIBUTE,
                    body: vec![1, 0, 0, 7, 0, 1, 0, 0],
                }),
            ],
        ),
    );

    // New Group Mode: HASH and an SA that defines a MODP group.
    push(
        500,
        message(
            header(ExchangeType::NEW_GROUP_MODE, RCOOKIE, 0x0a0b_0c0d),
            vec![
                Payload::Hash(Hash::new(pattern(0xd5, 20))),
                sa(vec![proposal(
                    1,
                    ProtocolId::ISAKMP,
                    &[],
                    vec![transform(
                        1,
                        IkeTransformId::KEY_IKE.0,
                        vec![
                            Attribute::basic(IkeAttributeType::GROUP_TYPE, GroupType::MODP),
                            Attribute::variable(IkeAttributeType::GROUP_PRIME, pattern(0x55, 64)),
                            Attribute::variable(IkeAttributeType::GROUP_GENERATOR_ONE, vec![2]),
                        ],
                    )],
                )]),
            ],
        ),
    );

    // An IKE fragment carrying the whole Informational message as its only, last fragment.
    push(
        4500,
        message(
            header(ExchangeType::INFORMATIONAL, RCOOKIE, 0),
            vec![Payload::Fragment(Fragment {
                reserved: 0,
                fragment_id: 1,
                fragment_number: 1,
                flags: Fragment::LAST,
                data: informational_bytes,
            })],
        ),
    );

    // An encrypted Main Mode message 5 (opaque body), and a NAT-keepalive.
    let mut encrypted = header(ExchangeType::IDENTITY_PROTECTION, RCOOKIE, 0);
    encrypted.next_payload = PayloadType::IDENTIFICATION;
    encrypted.flags = Flags::ENCRYPTION;
    encrypted.length = (HEADER_LEN + 48) as u32;
    let mut encrypted_bytes = encrypted.to_bytes().to_vec();
    encrypted_bytes.extend_from_slice(&pattern(0x99, 48));
    frames.push(Frame {
        port: 4500,
        message: None,
        payload: encrypted_bytes,
    });
    frames.push(Frame {
        port: 4500,
        message: None,
        payload: vec![NAT_KEEPALIVE],
    });

    frames
}

/// Wraps a UDP payload in Ethernet, IPv4 (with its header checksum) and UDP headers.
fn ethernet_frame(port: u16, payload: &[u8]) -> Vec<u8> {
    let udp_payload = if port == 4500 && payload != [NAT_KEEPALIVE] {
        with_non_esp_marker(payload)
    } else {
        payload.to_vec()
    };
    let udp_len = 8 + udp_payload.len();
    let total_len = 20 + udp_len;

    let mut ip = vec![
        0x45,
        0,
        (total_len >> 8) as u8,
        total_len as u8,
        0,
        1,
        0x40,
        0,
        64,
        17,
        0,
        0,
    ];
    ip.extend_from_slice(&[192, 0, 2, 1, 192, 0, 2, 2]);
    let sum = ip
        .chunks(2)
        .map(|pair| u32::from(u16::from_be_bytes([pair[0], pair[1]])))
        .sum::<u32>();
    let folded = (sum & 0xffff) + (sum >> 16);
    let checksum = !((folded & 0xffff) + (folded >> 16)) as u16;
    ip[10..12].copy_from_slice(&checksum.to_be_bytes());

    let mut frame = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00];
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&port.to_be_bytes());
    frame.extend_from_slice(&port.to_be_bytes());
    frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
    frame.extend_from_slice(&[0, 0]);
    frame.extend_from_slice(&udp_payload);
    frame
}

fn write_pcap(frames: &[Frame]) -> PathBuf {
    let mut file = vec![
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ];
    for (index, frame) in frames.iter().enumerate() {
        let data = ethernet_frame(frame.port, &frame.payload);
        let seconds = 1_700_000_000u32 + index as u32;
        file.extend_from_slice(&seconds.to_le_bytes());
        file.extend_from_slice(&0u32.to_le_bytes());
        file.extend_from_slice(&(data.len() as u32).to_le_bytes());
        file.extend_from_slice(&(data.len() as u32).to_le_bytes());
        file.extend_from_slice(&data);
    }
    let path = std::env::temp_dir().join(format!("ike-wire-tshark-{}.pcap", std::process::id()));
    std::fs::write(&path, file).unwrap();
    path
}

fn tshark(args: &[&str]) -> String {
    let output = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark is installed (Debian package tshark)");
    // tshark warns about running as root on stderr, so only the status and stdout count.
    assert!(
        output.status.success(),
        "tshark {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Field values per frame: one map of field name to its occurrences for each frame.
fn tshark_fields(pcap: &str, fields: &[&str]) -> Vec<BTreeMap<String, Vec<String>>> {
    let mut args = vec![
        "-r",
        pcap,
        "-T",
        "fields",
        "-E",
        "separator=\t",
        "-E",
        "aggregator=|",
    ];
    args.extend(["-E", "occurrence=a"]);
    for field in fields {
        args.extend(["-e", field]);
    }
    tshark(&args)
        .lines()
        .map(|line| {
            fields
                .iter()
                .zip(line.split('\t'))
                .filter(|(_, value)| !value.is_empty())
                .map(|(field, value)| {
                    let values = value.split('|').map(normalize).collect();
                    (field.to_string(), values)
                })
                .collect()
        })
        .collect()
}

/// Writes tshark's hexadecimal numbers in decimal, so that they compare with ours.
fn normalize(value: &str) -> String {
    match value.strip_prefix("0x") {
        Some(digits) if digits.len() <= 16 => u64::from_str_radix(digits, 16)
            .map(|n| n.to_string())
            .unwrap_or_else(|_| value.to_owned()),
        _ => value.to_owned(),
    }
}

/// Builds the field values we expect tshark to print for one message, in tree order.
#[derive(Default)]
struct Expected(BTreeMap<String, Vec<String>>);

impl Expected {
    fn add(&mut self, field: &str, value: impl ToString) {
        self.0
            .entry(field.to_owned())
            .or_default()
            .push(value.to_string());
    }

    fn message(&mut self, message: &Message) {
        let header = &message.header;
        self.add("isakmp.ispi", hex::encode(header.initiator_cookie));
        self.add("isakmp.rspi", hex::encode(header.responder_cookie));
        self.add("isakmp.exchangetype", header.exchange_type.0);
        self.add("isakmp.messageid", header.message_id);
        self.add("isakmp.length", message.buffer_len().unwrap());
        for payload in &message.payloads {
            self.payload(payload);
        }
    }

    fn payload(&mut self, payload: &Payload) {
        self.add("isakmp.typepayload", payload.payload_type().0);
        self.add("isakmp.payloadlength", 4 + payload.body_len().unwrap());
        match payload {
            Payload::Sa(sa) => {
                self.add("isakmp.sa.doi", sa.doi.0);
                for proposal in &sa.proposals {
                    self.proposal(proposal);
                }
            }
            Payload::Ke(p) => self.add("isakmp.key_exchange.data", hex::encode(&p.data)),
            Payload::Id(p) => {
                self.add("isakmp.id.type", p.id_type.0);
                self.add("isakmp.id.protoid", p.protocol_id);
                self.add("isakmp.id.port", p.port);
                self.id_data(p.id_type, &p.data);
            }
            Payload::Cert(p) => self.add("isakmp.cert.encoding", p.encoding.0),
            Payload::CertReq(p) => {
                self.add("isakmp.certreq.type", p.encoding.0);
            }
            Payload::Hash(p) => self.add("isakmp.hash", hex::encode(&p.data)),
            Payload::Sig(p) => self.add("isakmp.sig", hex::encode(&p.data)),
            Payload::Nonce(p) => self.add("isakmp.nonce", hex::encode(&p.data)),
            Payload::Notify(p) => {
                self.add("isakmp.notify.doi", p.doi.0);
                self.add("isakmp.notify.protoid", p.protocol.0);
                self.add("isakmp.spisize", p.spi.len());
                self.add("isakmp.notify.msgtype", p.notify_type.0);
                if !p.spi.is_empty() {
                    self.add("isakmp.spi", hex::encode(&p.spi));
                }
            }
            Payload::Delete(p) => {
                self.add("isakmp.delete.doi", p.doi.0);
                self.add("isakmp.delete.protoid", p.protocol.0);
                self.add("isakmp.spisize", p.spi_size);
                self.add("isakmp.spinum", p.spis.len());
                for spi in &p.spis {
                    self.add("isakmp.delete.spi", hex::encode(spi));
                }
            }
            Payload::VendorId(p) => self.add("isakmp.vid_bytes", hex::encode(&p.data)),
            Payload::NatD(p) => self.add("isakmp.ike.nat_hash", hex::encode(&p.hash)),
            Payload::NatOa(p) => {
                self.add("isakmp.id.type", p.id_type.0);
                let address: [u8; 4] = p.address[..].try_into().unwrap();
                self.add(
                    "isakmp.ike.nat_original_address_ipv4",
                    std::net::Ipv4Addr::from(address),
                );
            }
            Payload::Fragment(p) => {
                self.add("isakmp.frag.packetid", p.fragment_id);
                self.add("isakmp.frag.seq", p.fragment_number);
                self.add("isakmp.frag.last", p.flags);
            }
            Payload::Unknown(p) if p.payload_type == PayloadType::ATTRIBUTE => {
                self.add("isakmp.cfg.type", p.body[0]);
                self.add(
                    "isakmp.cfg.identifier",
                    u16::from_be_bytes([p.body[2], p.body[3]]),
                );
            }
            Payload::Unknown(_) => {}
        }
    }

    fn proposal(&mut self, proposal: &Proposal) {
        let attribute_len = |a: &Attribute| match &a.value {
            AttributeValue::Basic(_) => 4,
            AttributeValue::Variable(bytes) => 4 + bytes.len(),
        };
        let transform_len =
            |t: &Transform| 8 + t.attributes.iter().map(attribute_len).sum::<usize>();
        let proposal_len =
            8 + proposal.spi.len() + proposal.transforms.iter().map(transform_len).sum::<usize>();

        self.add("isakmp.typepayload", PayloadType::PROPOSAL.0);
        self.add("isakmp.payloadlength", proposal_len);
        self.add("isakmp.prop.number", proposal.number);
        self.add("isakmp.prop.protoid", proposal.protocol.0);
        self.add("isakmp.spisize", proposal.spi.len());
        self.add("isakmp.prop.transforms", proposal.transforms.len());
        if !proposal.spi.is_empty() {
            self.add("isakmp.spi", hex::encode(&proposal.spi));
        }
        let prefix = if proposal.protocol == ProtocolId::ISAKMP {
            "isakmp.ike.attr"
        } else {
            "isakmp.ipsec.attr"
        };
        for transform in &proposal.transforms {
            self.add("isakmp.typepayload", PayloadType::TRANSFORM.0);
            self.add("isakmp.payloadlength", transform_len(transform));
            self.add("isakmp.trans.number", transform.number);
            self.add("isakmp.trans.id", transform.transform_id);
            for attribute in &transform.attributes {
                self.add(&format!("{prefix}.type"), attribute.kind);
                let value = match &attribute.value {
                    AttributeValue::Basic(value) => hex::encode(value.to_be_bytes()),
                    AttributeValue::Variable(bytes) => hex::encode(bytes),
                };
                self.add(&format!("{prefix}.value"), value);
            }
        }
    }

    fn id_data(&mut self, id_type: IdType, data: &[u8]) {
        use std::net::{Ipv4Addr, Ipv6Addr};
        let v4 = |bytes: &[u8]| Ipv4Addr::from(<[u8; 4]>::try_from(bytes).unwrap());
        let v6 = |bytes: &[u8]| Ipv6Addr::from(<[u8; 16]>::try_from(bytes).unwrap());
        match id_type {
            IdType::IPV4_ADDR => self.add("isakmp.id.data.ipv4_addr", v4(data)),
            IdType::FQDN => self.add("isakmp.id.data.fqdn", String::from_utf8_lossy(data)),
            IdType::USER_FQDN => {
                self.add("isakmp.id.data.user_fqdn", String::from_utf8_lossy(data))
            }
            IdType::IPV4_ADDR_SUBNET => {
                self.add("isakmp.id.data.ipv4_addr", v4(&data[..4]));
                self.add("isakmp.id.data.ipv4_subnet", v4(&data[4..]));
            }
            IdType::IPV4_ADDR_RANGE => {
                self.add("isakmp.id.data.ipv4_range_start", v4(&data[..4]));
                self.add("isakmp.id.data.ipv4_range_end", v4(&data[4..]));
            }
            IdType::IPV6_ADDR => self.add("isakmp.id.data.ipv6_addr", v6(data)),
            IdType::IPV6_ADDR_SUBNET => {
                self.add("isakmp.id.data.ipv6_addr", v6(&data[..16]));
                self.add("isakmp.id.data.ipv6_subnet", v6(&data[16..]));
            }
            IdType::IPV6_ADDR_RANGE => {
                self.add("isakmp.id.data.ipv6_range_start", v6(&data[..16]));
                self.add("isakmp.id.data.ipv6_range_end", v6(&data[16..]));
            }
            IdType::KEY_ID => self.add("isakmp.id.data.key_id", hex::encode(data)),
            _ => {}
        }
    }
}

const FIELDS: &[&str] = &[
    "isakmp.ispi",
    "isakmp.rspi",
    "isakmp.exchangetype",
    "isakmp.messageid",
    "isakmp.length",
    "isakmp.typepayload",
    "isakmp.payloadlength",
    "isakmp.sa.doi",
    "isakmp.prop.number",
    "isakmp.prop.protoid",
    "isakmp.spisize",
    "isakmp.spi",
    "isakmp.prop.transforms",
    "isakmp.trans.number",
    "isakmp.trans.id",
    "isakmp.ike.attr.type",
    "isakmp.ike.attr.value",
    "isakmp.ipsec.attr.type",
    "isakmp.ipsec.attr.value",
    "isakmp.key_exchange.data",
    "isakmp.id.type",
    "isakmp.id.protoid",
    "isakmp.id.port",
    "isakmp.id.data.ipv4_addr",
    "isakmp.id.data.fqdn",
    "isakmp.id.data.user_fqdn",
    "isakmp.id.data.ipv4_subnet",
    "isakmp.id.data.ipv4_range_start",
    "isakmp.id.data.ipv4_range_end",
    "isakmp.id.data.ipv6_addr",
    "isakmp.id.data.ipv6_subnet",
    "isakmp.id.data.ipv6_range_start",
    "isakmp.id.data.ipv6_range_end",
    "isakmp.id.data.key_id",
    "isakmp.cert.encoding",
    "isakmp.certreq.type",
    "isakmp.hash",
    "isakmp.sig",
    "isakmp.nonce",
    "isakmp.notify.doi",
    "isakmp.notify.protoid",
    "isakmp.notify.msgtype",
    "isakmp.delete.doi",
    "isakmp.delete.protoid",
    "isakmp.spinum",
    "isakmp.delete.spi",
    "isakmp.vid_bytes",
    "isakmp.ike.nat_hash",
    "isakmp.ike.nat_original_address_ipv4",
    "isakmp.frag.packetid",
    "isakmp.frag.seq",
    "isakmp.frag.last",
    "isakmp.cfg.type",
    "isakmp.cfg.identifier",
];

#[test]
fn tshark_decodes_every_payload_kind() {
    let frames = corpus();
    let pcap = write_pcap(&frames);
    let pcap_name = pcap.to_str().unwrap().to_owned();

    let flagged = tshark(&[
        "-r",
        &pcap_name,
        "-Y",
        "_ws.malformed || _ws.expert.severity >= error",
        "-T",
        "fields",
        "-e",
        "frame.number",
        "-e",
        "_ws.expert.message",
    ]);
    let decoded = tshark_fields(&pcap_name, FIELDS);
    std::fs::remove_file(&pcap).unwrap();

    assert_eq!(flagged.trim(), "", "tshark flagged frames as malformed");
    let covered: std::collections::BTreeSet<u8> = frames
        .iter()
        .filter_map(|frame| frame.message.as_ref())
        .flat_map(|message| message.payloads.iter().map(|p| p.payload_type().0))
        .collect();
    let every_kind = [
        1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 20, 21, 130, 131, 132,
    ];
    assert_eq!(covered.into_iter().collect::<Vec<_>>(), every_kind);
    assert_eq!(decoded.len(), frames.len());

    for (index, (frame, fields)) in frames.iter().zip(&decoded).enumerate() {
        let number = index + 1;
        let mut expected = Expected::default();
        match &frame.message {
            Some(message) => {
                expected.message(message);
                if let Some(Payload::Fragment(fragment)) = message.payloads.first() {
                    // tshark reassembles the single fragment and decodes the message inside it.
                    expected.message(&Message::parse(&fragment.data).unwrap());
                }
            }
            None if frame.payload == [NAT_KEEPALIVE] => {}
            None => {
                let header = Header::parse(&frame.payload).unwrap();
                expected.add("isakmp.ispi", hex::encode(header.initiator_cookie));
                expected.add("isakmp.rspi", hex::encode(header.responder_cookie));
                expected.add("isakmp.exchangetype", header.exchange_type.0);
                expected.add("isakmp.messageid", header.message_id);
                expected.add("isakmp.length", header.length);
            }
        }

        for (field, values) in &expected.0 {
            assert_eq!(
                fields.get(field),
                Some(values),
                "frame {number}: field {field}"
            );
        }
        for field in fields.keys() {
            assert!(
                expected.0.contains_key(field),
                "frame {number}: tshark printed {field} = {:?}, which we do not expect",
                fields[field]
            );
        }
    }
}
