//! Property tests: emitting then parsing gives back the generated value, and no input panics.

use ike_wire::*;
use proptest::collection::vec;
use proptest::prelude::*;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..max)
}

fn attribute() -> impl Strategy<Value = Attribute> {
    let value = prop_oneof![
        any::<u16>().prop_map(AttributeValue::Basic),
        bytes(40).prop_map(AttributeValue::Variable),
    ];
    (0u16..=0x7fff, value).prop_map(|(kind, value)| Attribute { kind, value })
}

fn transform() -> impl Strategy<Value = Transform> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u16>(),
        vec(attribute(), 0..6),
    )
        .prop_map(
            |(reserved, number, transform_id, reserved2, attributes)| Transform {
                reserved,
                number,
                transform_id,
                reserved2,
                attributes,
            },
        )
}

fn proposal() -> impl Strategy<Value = Proposal> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        bytes(17),
        vec(transform(), 0..4),
    )
        .prop_map(|(reserved, number, protocol, spi, transforms)| Proposal {
            reserved,
            number,
            protocol: ProtocolId(protocol),
            spi,
            transforms,
        })
}

/// Payload types that the parser keeps as [`Payload::Unknown`].
fn unknown_type() -> impl Strategy<Value = PayloadType> {
    prop_oneof![2u8..=3, 14u8..=19, 22u8..=129, 133u8..=255].prop_map(PayloadType)
}

fn payload() -> impl Strategy<Value = Payload> {
    let r = any::<u8>();
    prop_oneof![
        (r, any::<u32>(), any::<u32>(), vec(proposal(), 0..3)).prop_map(
            |(reserved, doi, situation, proposals)| Payload::Sa(Sa {
                reserved,
                doi: Doi(doi),
                situation,
                proposals,
            })
        ),
        (r, bytes(64)).prop_map(|(reserved, data)| Payload::Ke(KeyExchange { reserved, data })),
        (r, any::<u8>(), any::<u8>(), any::<u16>(), bytes(24)).prop_map(
            |(reserved, id_type, protocol_id, port, data)| Payload::Id(Identification {
                reserved,
                id_type: IdType(id_type),
                protocol_id,
                port,
                data,
            })
        ),
        (r, any::<u8>(), bytes(32)).prop_map(|(reserved, encoding, data)| {
            Payload::Cert(Certificate {
                reserved,
                encoding: CertEncoding(encoding),
                data,
            })
        }),
        (r, any::<u8>(), bytes(32)).prop_map(|(reserved, encoding, authority)| {
            Payload::CertReq(CertificateRequest {
                reserved,
                encoding: CertEncoding(encoding),
                authority,
            })
        }),
        (r, bytes(32)).prop_map(|(reserved, data)| Payload::Hash(Hash { reserved, data })),
        (r, bytes(32)).prop_map(|(reserved, data)| Payload::Sig(Signature { reserved, data })),
        (r, bytes(32)).prop_map(|(reserved, data)| Payload::Nonce(Nonce { reserved, data })),
        (
            r,
            any::<u32>(),
            any::<u8>(),
            any::<u16>(),
            bytes(17),
            bytes(8)
        )
            .prop_map(
                |(reserved, doi, protocol, notify_type, spi, data)| Payload::Notify(Notification {
                    reserved,
                    doi: Doi(doi),
                    protocol: ProtocolId(protocol),
                    notify_type: NotifyType(notify_type),
                    spi,
                    data,
                })
            ),
        (r, any::<u32>(), any::<u8>(), 1u8..17, 0usize..4).prop_flat_map(
            |(reserved, doi, protocol, spi_size, count)| {
                vec(vec(any::<u8>(), usize::from(spi_size)), count).prop_map(move |spis| {
                    Payload::Delete(Delete {
                        reserved,
                        doi: Doi(doi),
                        protocol: ProtocolId(protocol),
                        spi_size,
                        spis,
                    })
                })
            }
        ),
        (r, bytes(20)).prop_map(|(reserved, data)| Payload::VendorId(VendorId { reserved, data })),
        (
            r,
            prop_oneof![Just(PayloadType::NAT_D), Just(PayloadType::NAT_D_DRAFT)],
            bytes(32)
        )
            .prop_map(|(reserved, payload_type, hash)| Payload::NatD(NatD {
                reserved,
                payload_type,
                hash,
            })),
        (
            r,
            prop_oneof![Just(PayloadType::NAT_OA), Just(PayloadType::NAT_OA_DRAFT)],
            any::<u8>(),
            any::<[u8; 3]>(),
            bytes(16)
        )
            .prop_map(|(reserved, payload_type, id_type, reserved2, address)| {
                Payload::NatOa(NatOa {
                    reserved,
                    payload_type,
                    id_type: IdType(id_type),
                    reserved2,
                    address,
                })
            }),
        (r, any::<u16>(), any::<u8>(), any::<u8>(), bytes(40)).prop_map(
            |(reserved, fragment_id, fragment_number, flags, data)| Payload::Fragment(Fragment {
                reserved,
                fragment_id,
                fragment_number,
                flags,
                data,
            })
        ),
        (r, unknown_type(), bytes(24)).prop_map(|(reserved, payload_type, body)| {
            Payload::Unknown(UnknownPayload {
                reserved,
                payload_type,
                body,
            })
        }),
    ]
}

/// Messages without the E flag, with the header's Next Payload and Length left for emit to set.
fn message() -> impl Strategy<Value = Message> {
    (
        any::<[u8; 8]>(),
        any::<[u8; 8]>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>().prop_map(|f| f & !Flags::ENCRYPTION.0),
        any::<u32>(),
        vec(payload(), 0..8),
        bytes(8),
    )
        .prop_map(
            |(icookie, rcookie, version, exchange, flags, message_id, payloads, trailing)| {
                Message {
                    header: Header {
                        initiator_cookie: icookie,
                        responder_cookie: rcookie,
                        next_payload: PayloadType::NONE,
                        version,
                        exchange_type: ExchangeType(exchange),
                        flags: Flags(flags),
                        message_id,
                        length: 0,
                    },
                    payloads,
                    trailing,
                }
            },
        )
}

/// Sets the header fields that emitting computes, as parsing will report them.
fn with_computed_header(mut message: Message, emitted_len: usize) -> Message {
    message.header.next_payload = message
        .payloads
        .first()
        .map_or(PayloadType::NONE, Payload::payload_type);
    message.header.length = emitted_len as u32;
    message
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn emit_then_parse_is_identity(message in message()) {
        let bytes = message.to_vec().unwrap();
        prop_assert_eq!(bytes.len(), message.buffer_len().unwrap());

        let parsed = Message::parse(&bytes).unwrap();
        let expected = with_computed_header(message, bytes.len());
        prop_assert_eq!(&parsed, &expected);
        prop_assert_eq!(parsed.to_vec().unwrap(), bytes);
    }

    #[test]
    fn payload_chain_round_trips_with_padding(
        payloads in vec(payload(), 1..8),
        padding in bytes(16),
    ) {
        let mut bytes = emit_payloads(&payloads).unwrap();
        let chain_len = bytes.len();
        bytes.extend_from_slice(&padding);

        let first = payloads[0].payload_type();
        let (parsed, rest) = parse_payload_chain_with_padding(first, &bytes).unwrap();
        prop_assert_eq!(&parsed, &payloads);
        prop_assert_eq!(rest, &bytes[chain_len..]);
    }

    #[test]
    fn emit_into_appends_the_same_chain(
        payloads in vec(payload(), 1..8),
        prefix in bytes(16),
    ) {
        let expected = emit_payloads(&payloads).unwrap();
        prop_assert_eq!(payloads_len(&payloads).unwrap(), expected.len());

        let mut out = prefix.clone();
        emit_payloads_into(&payloads, &mut out).unwrap();
        prop_assert_eq!(&out[..prefix.len()], &prefix[..]);
        prop_assert_eq!(&out[prefix.len()..], &expected[..]);
    }

    #[test]
    fn body_matches_emitted_payload(payload in payload()) {
        let body = payload.body_to_vec().unwrap();
        let emitted = emit_payloads(std::slice::from_ref(&payload)).unwrap();
        prop_assert_eq!(&emitted[4..], &body[..]);
        prop_assert_eq!(usize::from(u16::from_be_bytes([emitted[2], emitted[3]])), emitted.len());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in bytes(600), first in any::<u8>()) {
        if let Ok(message) = Message::parse(&bytes) {
            let _ = message.check();
            prop_assert_eq!(message.to_vec().unwrap(), bytes.clone());
        }
        let _ = IsakmpMessage::parse(&bytes);
        let _ = parse_payload_chain(PayloadType(first), &bytes);
        let _ = split_udp4500(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(
        message in message(),
        edits in vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = message.to_vec().unwrap();
        for (index, value) in edits {
            let position = index.index(bytes.len());
            bytes[position] = value;
        }
        let end = cut.index(bytes.len() + 1);
        bytes.truncate(end.max(bytes.len() / 2));

        match Message::parse(&bytes) {
            Ok(parsed) => {
                let _ = parsed.check();
                prop_assert_eq!(parsed.to_vec().unwrap(), bytes);
            }
            Err(error) => prop_assert!(error.offset <= bytes.len()),
        }
    }
}
