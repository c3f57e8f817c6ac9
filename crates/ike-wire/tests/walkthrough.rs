//! A new user's path through the crate, written from the rustdoc alone: build Main Mode message 1,
//! emit and parse it, then read an encrypted message and its decrypted chain with padding.

use ike_wire::*;

fn ike_transform(number: u8, cipher: EncryptionAlgorithm, hash: HashAlgorithm) -> Transform {
    Transform {
        number,
        transform_id: IkeTransformId::KEY_IKE.0,
        attributes: vec![
            Attribute::basic(IkeAttributeType::ENCRYPTION_ALGORITHM, cipher),
            Attribute::basic(IkeAttributeType::HASH_ALGORITHM, hash),
            Attribute::basic(
                IkeAttributeType::AUTHENTICATION_METHOD,
                AuthMethod::PRE_SHARED_KEY,
            ),
            Attribute::basic(
                IkeAttributeType::GROUP_DESCRIPTION,
                GroupDescription::MODP1024,
            ),
            Attribute::basic(IkeAttributeType::LIFE_TYPE, LifeType::SECONDS),
            Attribute::number(IkeAttributeType::LIFE_DURATION, 86_400),
        ],
        ..Transform::default()
    }
}

fn main_mode_1() -> Message {
    let proposal = |number, transforms| Proposal {
        number,
        protocol: ProtocolId::ISAKMP,
        transforms,
        ..Proposal::default()
    };
    Message {
        header: Header {
            initiator_cookie: *b"cookie-i",
            version: ISAKMP_VERSION_1_0,
            exchange_type: ExchangeType::IDENTITY_PROTECTION,
            ..Header::default()
        },
        payloads: vec![
            Payload::Sa(Sa {
                doi: Doi::IPSEC,
                situation: Sa::SIT_IDENTITY_ONLY,
                proposals: vec![
                    proposal(
                        1,
                        vec![
                            ike_transform(1, EncryptionAlgorithm::AES_CBC, HashAlgorithm::SHA),
                            ike_transform(
                                2,
                                EncryptionAlgorithm::TRIPLE_DES_CBC,
                                HashAlgorithm::MD5,
                            ),
                        ],
                    ),
                    proposal(
                        2,
                        vec![ike_transform(
                            1,
                            EncryptionAlgorithm::TRIPLE_DES_CBC,
                            HashAlgorithm::SHA,
                        )],
                    ),
                ],
                ..Sa::default()
            }),
            Payload::VendorId(VendorId::new(
                *b"\x4a\x13\x1c\x81\x07\x03\x58\x45\x5c\x57\x28\xf2\x0e\x95\x45\x2f",
            )),
            Payload::VendorId(VendorId::new(
                *b"\xaf\xca\xd7\x13\x68\xa1\xf1\xc9\x6b\x86\x96\xfc\x77\x57\x01\x00",
            )),
            Payload::NatD(NatD {
                payload_type: PayloadType::NAT_D,
                hash: vec![0x11; 20],
                ..NatD::default()
            }),
        ],
        ..Message::default()
    }
}

#[test]
fn main_mode_1_emits_and_parses_back() {
    let message = main_mode_1();
    let bytes = message.to_vec().unwrap();
    assert_eq!(bytes.len(), message.buffer_len().unwrap());
    assert_eq!(
        u32::from_be_bytes(bytes[24..28].try_into().unwrap()) as usize,
        bytes.len()
    );

    let parsed = Message::parse(&bytes).unwrap();
    parsed.check().unwrap();
    assert_eq!(
        parsed.header.next_payload,
        PayloadType::SECURITY_ASSOCIATION
    );
    assert_eq!(parsed.payloads, message.payloads);
    assert_eq!(parsed.to_vec().unwrap(), bytes);
}

#[test]
fn truncated_main_mode_1_names_offset_and_payload() {
    let mut bytes = main_mode_1().to_vec().unwrap();
    // Cut the last NAT-D payload short and fix up the header length to match.
    bytes.truncate(bytes.len() - 5);
    let length = bytes.len() as u32;
    bytes[24..28].copy_from_slice(&length.to_be_bytes());
    let error = Message::parse(&bytes).unwrap_err();
    assert_eq!(error.payload, Some(PayloadType::NAT_D), "{error}");
    assert!(
        error.offset > HEADER_LEN && error.offset < bytes.len(),
        "{error}"
    );
    let text = error.to_string();
    assert!(
        text.contains("offset") && text.contains("expected"),
        "{text}"
    );
}

#[test]
fn encrypted_message_and_decrypted_chain_with_padding() {
    let chain = vec![
        Payload::Id(Identification {
            id_type: IdType::IPV4_ADDR,
            protocol_id: 17,
            port: 500,
            data: vec![192, 0, 2, 1],
            ..Identification::default()
        }),
        Payload::Hash(Hash::new(vec![0x22; 20])),
    ];
    let mut plaintext = emit_payloads(&chain).unwrap();
    let pad = 16 - plaintext.len() % 16;
    plaintext.extend(std::iter::repeat_n(0u8, pad - 1));
    plaintext.push((pad - 1) as u8);

    // Stand-in ciphertext: the same length as the padded plaintext.
    let body = vec![0xa5; plaintext.len()];
    let header = Header {
        initiator_cookie: *b"cookie-i",
        responder_cookie: *b"cookie-r",
        next_payload: PayloadType::IDENTIFICATION,
        version: ISAKMP_VERSION_1_0,
        exchange_type: ExchangeType::IDENTITY_PROTECTION,
        flags: Flags::ENCRYPTION,
        message_id: 0,
        length: (HEADER_LEN + body.len()) as u32,
    };
    let mut wire = header.to_bytes().to_vec();
    wire.extend_from_slice(&body);

    let IsakmpMessage::Encrypted(encrypted) = IsakmpMessage::parse(&wire).unwrap() else {
        panic!("expected an encrypted message");
    };
    assert_eq!(encrypted.header, header);
    assert_eq!(encrypted.body, &body[..]);
    assert_eq!(
        Message::parse(&wire).unwrap_err().kind,
        ParseErrorKind::Encrypted
    );

    assert_eq!(encrypted.parse_decrypted(&plaintext).unwrap(), chain);
    let (payloads, padding) =
        parse_payload_chain_with_padding(PayloadType::IDENTIFICATION, &plaintext).unwrap();
    assert_eq!(payloads, chain);
    assert_eq!(padding.len(), pad);
}

#[test]
fn emit_mismatched_payload_type() {
    // `NatD::default()` has payload type NONE, which would end the chain early.
    let mut message = main_mode_1();
    message.payloads[3] = Payload::NatD(NatD {
        hash: vec![0x11; 20],
        ..NatD::default()
    });
    let error = message.to_vec().unwrap_err();
    assert!(
        matches!(
            error,
            EmitError::PayloadTypeMismatch {
                payload_type: PayloadType::NONE,
                ..
            }
        ),
        "{error}"
    );

    let nat_oa = Payload::NatOa(NatOa {
        payload_type: PayloadType::NAT_D,
        id_type: IdType::IPV4_ADDR,
        address: vec![192, 0, 2, 1],
        ..NatOa::default()
    });
    let unknown_sa = Payload::Unknown(UnknownPayload {
        payload_type: PayloadType::SECURITY_ASSOCIATION,
        body: vec![0; 8],
        ..UnknownPayload::default()
    });
    for payload in [nat_oa, unknown_sa] {
        assert!(
            emit_payloads(std::slice::from_ref(&payload)).is_err(),
            "{payload:?}"
        );
        assert!(payload.body_to_vec().is_err(), "{payload:?}");
    }

    let draft = Payload::NatOa(NatOa {
        payload_type: PayloadType::NAT_OA_DRAFT,
        id_type: IdType::IPV4_ADDR,
        address: vec![192, 0, 2, 1],
        ..NatOa::default()
    });
    let chain = emit_payloads(std::slice::from_ref(&draft)).unwrap();
    assert_eq!(
        parse_payload_chain(PayloadType::NAT_OA_DRAFT, &chain).unwrap(),
        [draft]
    );
}
