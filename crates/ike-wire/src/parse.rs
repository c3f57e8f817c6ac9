//! Bytes to typed values, with nom's number and byte parsers under a cursor that tracks the
//! absolute offset and the payload being read, so that every error names both.

use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32, be_u8};
use nom::Parser;

use crate::enums::*;
use crate::error::{ParseError, ParseErrorKind};
use crate::limits::*;
use crate::types::*;

type NomError<'a> = nom::error::Error<&'a [u8]>;

/// A bounded view of the input that tracks the absolute offset of its first byte.
struct Cursor<'a> {
    input: &'a [u8],
    offset: usize,
    payload: Option<PayloadType>,
}

impl<'a> Cursor<'a> {
    fn new(input: &'a [u8], offset: usize, payload: Option<PayloadType>) -> Self {
        Self {
            input,
            offset,
            payload,
        }
    }

    fn remaining(&self) -> usize {
        self.input.len()
    }

    fn is_empty(&self) -> bool {
        self.input.is_empty()
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        ParseError::new(self.offset, self.payload, kind)
    }

    fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError::new(offset, self.payload, kind)
    }

    /// Runs a nom parser that needs `size` bytes, turning its failure into a `Truncated` error.
    fn run<O>(
        &mut self,
        field: &'static str,
        size: usize,
        mut parser: impl Parser<&'a [u8], Output = O, Error = NomError<'a>>,
    ) -> Result<O, ParseError> {
        match parser.parse(self.input) {
            Ok((rest, value)) => {
                self.offset += self.input.len() - rest.len();
                self.input = rest;
                Ok(value)
            }
            Err(_) => Err(self.error(ParseErrorKind::Truncated {
                field,
                expected: size,
                available: self.input.len(),
            })),
        }
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, ParseError> {
        self.run(field, 1, be_u8)
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, ParseError> {
        self.run(field, 2, be_u16)
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, ParseError> {
        self.run(field, 4, be_u32)
    }

    fn bytes(&mut self, field: &'static str, len: usize) -> Result<&'a [u8], ParseError> {
        self.run(field, len, take(len))
    }

    /// Splits off the next `len` bytes as a cursor of their own.
    fn sub(&mut self, field: &'static str, len: usize) -> Result<Cursor<'a>, ParseError> {
        let offset = self.offset;
        let input = self.bytes(field, len)?;
        Ok(Cursor::new(input, offset, self.payload))
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = self.input;
        self.offset += rest.len();
        self.input = &[];
        rest
    }

    fn finish(&self, container: &'static str) -> Result<(), ParseError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.error(ParseErrorKind::TrailingData {
                container,
                count: self.remaining(),
            }))
        }
    }
}

impl Header {
    /// Parses the 28-byte ISAKMP header at the start of `bytes`, ignoring what follows.
    ///
    /// Checks only that the Length field covers at least the header itself. Never panics.
    pub fn parse(bytes: &[u8]) -> Result<Header, ParseError> {
        let mut cursor = Cursor::new(bytes, 0, None);
        let fields = (
            take(8usize),
            take(8usize),
            be_u8,
            be_u8,
            be_u8,
            be_u8,
            be_u32,
            be_u32,
        );
        let (icookie, rcookie, next, version, exchange, flags, message_id, length) =
            cursor.run("ISAKMP header", HEADER_LEN, fields)?;

        let header = Header {
            initiator_cookie: to_cookie(icookie),
            responder_cookie: to_cookie(rcookie),
            next_payload: PayloadType(next),
            version,
            exchange_type: ExchangeType(exchange),
            flags: Flags(flags),
            message_id,
            length,
        };
        if (header.length as usize) < HEADER_LEN {
            return Err(ParseError::new(
                24,
                None,
                ParseErrorKind::InvalidLength {
                    field: "message length",
                    length: header.length as usize,
                    expected: format!("at least {HEADER_LEN} (the header)"),
                },
            ));
        }
        Ok(header)
    }

    /// Checks that the header's length equals the datagram's, and returns the message bytes.
    fn message_bytes<'a>(&self, datagram: &'a [u8]) -> Result<&'a [u8], ParseError> {
        let length = self.length as usize;
        if length != datagram.len() {
            return Err(ParseError::new(
                24,
                None,
                ParseErrorKind::InvalidLength {
                    field: "message length",
                    length,
                    expected: format!("{} (the datagram's size)", datagram.len()),
                },
            ));
        }
        Ok(datagram)
    }
}

fn to_cookie(bytes: &[u8]) -> [u8; 8] {
    let mut cookie = [0u8; 8];
    cookie.copy_from_slice(bytes);
    cookie
}

impl Message {
    /// Parses a whole plaintext ISAKMP message (one UDP/500 payload, or a UDP/4500 payload after
    /// the non-ESP marker).
    ///
    /// The header's Length must equal `bytes.len()`. Bytes after the last payload, inside that
    /// length, are kept in [`Message::trailing`]. Returns [`ParseErrorKind::Encrypted`] when the
    /// E flag is set. Never panics, and allocates no more than a small multiple of the input.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        let header = Header::parse(bytes)?;
        let message = header.message_bytes(bytes)?;
        if header.flags.contains(Flags::ENCRYPTION) {
            return Err(ParseError::new(19, None, ParseErrorKind::Encrypted));
        }

        let body = &message[HEADER_LEN..];
        let (payloads, trailing) = parse_chain(header.next_payload, body, HEADER_LEN)?;
        Ok(Message {
            header,
            payloads,
            trailing: trailing.to_vec(),
        })
    }
}

impl<'a> EncryptedMessage<'a> {
    /// Parses the clear header of a message whose E flag is set and keeps the body opaque.
    ///
    /// The header's Length must equal `bytes.len()`. Returns an `InvalidValue` error on the
    /// flags when the E flag is clear.
    pub fn parse(bytes: &'a [u8]) -> Result<EncryptedMessage<'a>, ParseError> {
        let header = Header::parse(bytes)?;
        let message = header.message_bytes(bytes)?;
        if !header.flags.contains(Flags::ENCRYPTION) {
            return Err(ParseError::new(
                19,
                None,
                ParseErrorKind::InvalidValue {
                    field: "flags",
                    value: u32::from(header.flags.0),
                    expected: "the E flag (0x01) set",
                },
            ));
        }
        Ok(EncryptedMessage {
            header,
            body: &message[HEADER_LEN..],
        })
    }

    /// Parses the decrypted body as a payload chain starting with the header's Next Payload.
    ///
    /// Padding after the last payload is accepted and dropped. Error offsets count from the start
    /// of the message, as if the plaintext followed the header.
    pub fn parse_decrypted(&self, plaintext: &[u8]) -> Result<Vec<Payload>, ParseError> {
        let (payloads, _padding) = parse_chain(self.header.next_payload, plaintext, HEADER_LEN)?;
        Ok(payloads)
    }
}

/// A parsed ISAKMP datagram, plaintext or still encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IsakmpMessage<'a> {
    Plain(Message),
    Encrypted(EncryptedMessage<'a>),
}

impl<'a> IsakmpMessage<'a> {
    /// Parses a datagram as [`Message`] or [`EncryptedMessage`] according to its E flag.
    pub fn parse(bytes: &'a [u8]) -> Result<IsakmpMessage<'a>, ParseError> {
        let header = Header::parse(bytes)?;
        if header.flags.contains(Flags::ENCRYPTION) {
            EncryptedMessage::parse(bytes).map(IsakmpMessage::Encrypted)
        } else {
            Message::parse(bytes).map(IsakmpMessage::Plain)
        }
    }

    /// Returns the clear header.
    pub fn header(&self) -> &Header {
        match self {
            IsakmpMessage::Plain(message) => &message.header,
            IsakmpMessage::Encrypted(message) => &message.header,
        }
    }
}

/// Parses a payload chain that starts with a payload of type `first`, as found after the header
/// or in a decrypted body.
///
/// Stops at the payload whose Next Payload is NONE and ignores the bytes after it (the padding of
/// an encrypted body). Error offsets count from the start of `bytes`. Never panics.
pub fn parse_payload_chain(first: PayloadType, bytes: &[u8]) -> Result<Vec<Payload>, ParseError> {
    parse_chain(first, bytes, 0).map(|(payloads, _padding)| payloads)
}

/// Parses a payload chain and also returns the bytes after its last payload.
pub fn parse_payload_chain_with_padding(
    first: PayloadType,
    bytes: &[u8],
) -> Result<(Vec<Payload>, &[u8]), ParseError> {
    parse_chain(first, bytes, 0)
}

fn parse_chain(
    first: PayloadType,
    bytes: &[u8],
    origin: usize,
) -> Result<(Vec<Payload>, &[u8]), ParseError> {
    let mut cursor = Cursor::new(bytes, origin, Some(first));
    let mut payloads = Vec::new();
    let mut next = first;

    while next != PayloadType::NONE {
        cursor.payload = Some(next);
        if payloads.len() == MAX_PAYLOADS {
            return Err(cursor.error(ParseErrorKind::TooMany {
                what: "payloads in a message",
                limit: MAX_PAYLOADS,
            }));
        }

        let (following, reserved, mut body) = generic_header(&mut cursor, "payload")?;
        payloads.push(parse_body(next, reserved, &mut body)?);
        next = PayloadType(following);
    }

    let padding = cursor.rest();
    Ok((payloads, padding))
}

/// Reads a generic payload header (RFC 2408 3.2) and returns the Next Payload, RESERVED and a
/// cursor over the body that the Payload Length delimits.
fn generic_header<'a>(
    cursor: &mut Cursor<'a>,
    what: &'static str,
) -> Result<(u8, u8, Cursor<'a>), ParseError> {
    let next = cursor.u8("next payload")?;
    let reserved = cursor.u8("RESERVED")?;
    let length_offset = cursor.offset;
    let length = usize::from(cursor.u16("payload length")?);

    let available = cursor.remaining() + GENERIC_HEADER_LEN;
    if length < GENERIC_HEADER_LEN || length > available {
        return Err(cursor.error_at(
            length_offset,
            ParseErrorKind::InvalidLength {
                field: match what {
                    "proposal" => "proposal length",
                    "transform" => "transform length",
                    _ => "payload length",
                },
                length,
                expected: format!("{GENERIC_HEADER_LEN} to {available} (the bytes left)"),
            },
        ));
    }
    let body = cursor.sub("payload body", length - GENERIC_HEADER_LEN)?;
    Ok((next, reserved, body))
}

fn parse_body(
    payload_type: PayloadType,
    reserved: u8,
    body: &mut Cursor<'_>,
) -> Result<Payload, ParseError> {
    let payload = match payload_type {
        PayloadType::SECURITY_ASSOCIATION => Payload::Sa(parse_sa(reserved, body)?),
        PayloadType::KEY_EXCHANGE => Payload::Ke(KeyExchange {
            reserved,
            data: body.rest().to_vec(),
        }),
        PayloadType::IDENTIFICATION => Payload::Id(Identification {
            reserved,
            id_type: IdType(body.u8("ID type")?),
            protocol_id: body.u8("protocol ID")?,
            port: body.u16("port")?,
            data: body.rest().to_vec(),
        }),
        PayloadType::CERTIFICATE => Payload::Cert(Certificate {
            reserved,
            encoding: CertEncoding(body.u8("certificate encoding")?),
            data: body.rest().to_vec(),
        }),
        PayloadType::CERTIFICATE_REQUEST => Payload::CertReq(CertificateRequest {
            reserved,
            encoding: CertEncoding(body.u8("certificate type")?),
            authority: body.rest().to_vec(),
        }),
        PayloadType::HASH => Payload::Hash(Hash {
            reserved,
            data: body.rest().to_vec(),
        }),
        PayloadType::SIGNATURE => Payload::Sig(Signature {
            reserved,
            data: body.rest().to_vec(),
        }),
        PayloadType::NONCE => Payload::Nonce(Nonce {
            reserved,
            data: body.rest().to_vec(),
        }),
        PayloadType::NOTIFICATION => Payload::Notify(parse_notification(reserved, body)?),
        PayloadType::DELETE => Payload::Delete(parse_delete(reserved, body)?),
        PayloadType::VENDOR_ID => Payload::VendorId(VendorId {
            reserved,
            data: body.rest().to_vec(),
        }),
        PayloadType::NAT_D | PayloadType::NAT_D_DRAFT => Payload::NatD(NatD {
            reserved,
            payload_type,
            hash: body.rest().to_vec(),
        }),
        PayloadType::NAT_OA | PayloadType::NAT_OA_DRAFT => Payload::NatOa(NatOa {
            reserved,
            payload_type,
            id_type: IdType(body.u8("ID type")?),
            reserved2: {
                let bytes = body.bytes("RESERVED", 3)?;
                [bytes[0], bytes[1], bytes[2]]
            },
            address: body.rest().to_vec(),
        }),
        PayloadType::FRAGMENT => Payload::Fragment(Fragment {
            reserved,
            fragment_id: body.u16("fragment ID")?,
            fragment_number: body.u8("fragment number")?,
            flags: body.u8("fragment flags")?,
            data: body.rest().to_vec(),
        }),
        _ => Payload::Unknown(UnknownPayload {
            reserved,
            payload_type,
            body: body.rest().to_vec(),
        }),
    };
    Ok(payload)
}

fn parse_sa(reserved: u8, body: &mut Cursor<'_>) -> Result<Sa, ParseError> {
    let doi = Doi(body.u32("DOI")?);
    // NOTE: SIT_SECRECY and SIT_INTEGRITY add labeled-domain fields after the situation (RFC
    // 2407 4.6.1). They are not decoded, so such an SA fails as a malformed proposal.
    let situation = body.u32("situation")?;

    let mut proposals = Vec::new();
    let mut more = !body.is_empty();
    while more {
        if proposals.len() == MAX_PROPOSALS {
            return Err(body.error(ParseErrorKind::TooMany {
                what: "proposals in an SA payload",
                limit: MAX_PROPOSALS,
            }));
        }
        let start = body.offset;
        let (next, proposal_reserved, mut proposal) = generic_header(body, "proposal")?;
        more = match PayloadType(next) {
            PayloadType::PROPOSAL => true,
            PayloadType::NONE => false,
            _ => {
                return Err(body.error_at(
                    start,
                    ParseErrorKind::InvalidValue {
                        field: "proposal next payload",
                        value: u32::from(next),
                        expected: "2 (Proposal) or 0 (NONE)",
                    },
                ))
            }
        };
        proposals.push(parse_proposal(proposal_reserved, &mut proposal)?);
    }
    body.finish("SA payload")?;

    Ok(Sa {
        reserved,
        doi,
        situation,
        proposals,
    })
}

fn parse_proposal(reserved: u8, body: &mut Cursor<'_>) -> Result<Proposal, ParseError> {
    let number = body.u8("proposal number")?;
    let protocol = ProtocolId(body.u8("protocol ID")?);
    let spi_size = body.u8("SPI size")?;
    let count_offset = body.offset;
    let declared = body.u8("number of transforms")?;
    let spi = body.bytes("SPI", usize::from(spi_size))?.to_vec();

    let mut transforms = Vec::new();
    let mut more = !body.is_empty();
    while more {
        if transforms.len() == MAX_TRANSFORMS {
            return Err(body.error(ParseErrorKind::TooMany {
                what: "transforms in a proposal",
                limit: MAX_TRANSFORMS,
            }));
        }
        let start = body.offset;
        let (next, transform_reserved, mut transform) = generic_header(body, "transform")?;
        more = match PayloadType(next) {
            PayloadType::TRANSFORM => true,
            PayloadType::NONE => false,
            _ => {
                return Err(body.error_at(
                    start,
                    ParseErrorKind::InvalidValue {
                        field: "transform next payload",
                        value: u32::from(next),
                        expected: "3 (Transform) or 0 (NONE)",
                    },
                ))
            }
        };
        transforms.push(parse_transform(transform_reserved, &mut transform)?);
    }
    body.finish("proposal")?;

    if usize::from(declared) != transforms.len() {
        return Err(body.error_at(
            count_offset,
            ParseErrorKind::TransformCountMismatch {
                declared,
                found: transforms.len(),
            },
        ));
    }
    Ok(Proposal {
        reserved,
        number,
        protocol,
        spi,
        transforms,
    })
}

fn parse_transform(reserved: u8, body: &mut Cursor<'_>) -> Result<Transform, ParseError> {
    let number = body.u8("transform number")?;
    let transform_id = body.u8("transform ID")?;
    let reserved2 = body.u16("RESERVED2")?;

    let mut attributes = Vec::new();
    while !body.is_empty() {
        if attributes.len() == MAX_ATTRIBUTES {
            return Err(body.error(ParseErrorKind::TooMany {
                what: "attributes in a transform",
                limit: MAX_ATTRIBUTES,
            }));
        }
        attributes.push(parse_attribute(body)?);
    }

    Ok(Transform {
        reserved,
        number,
        transform_id,
        reserved2,
        attributes,
    })
}

/// Reads one data attribute (RFC 2408 3.3): "If the AF bit is a zero (0), then the Data
/// Attributes are of the Type/Length/Value (TLV) form. If the AF bit is a one (1), then the
/// Data Attributes are of the Type/Value form."
fn parse_attribute(body: &mut Cursor<'_>) -> Result<Attribute, ParseError> {
    let raw_type = body.u16("attribute type")?;
    let kind = raw_type & ATTRIBUTE_TYPE_MASK;
    if raw_type & ATTRIBUTE_FORMAT_TV != 0 {
        let value = body.u16("attribute value")?;
        return Ok(Attribute {
            kind,
            value: AttributeValue::Basic(value),
        });
    }

    let length_offset = body.offset;
    let length = usize::from(body.u16("attribute length")?);
    if length > MAX_ATTRIBUTE_LENGTH || length > body.remaining() {
        return Err(body.error_at(
            length_offset,
            ParseErrorKind::InvalidLength {
                field: "attribute length",
                length,
                expected: format!(
                    "at most {} (the bytes left, limit {MAX_ATTRIBUTE_LENGTH})",
                    body.remaining()
                ),
            },
        ));
    }
    let value = body.bytes("attribute value", length)?.to_vec();
    Ok(Attribute {
        kind,
        value: AttributeValue::Variable(value),
    })
}

fn parse_notification(reserved: u8, body: &mut Cursor<'_>) -> Result<Notification, ParseError> {
    let doi = Doi(body.u32("DOI")?);
    let protocol = ProtocolId(body.u8("protocol ID")?);
    let spi_size = body.u8("SPI size")?;
    let notify_type = NotifyType(body.u16("notify message type")?);
    let spi = body.bytes("SPI", usize::from(spi_size))?.to_vec();
    let data = body.rest().to_vec();
    Ok(Notification {
        reserved,
        doi,
        protocol,
        notify_type,
        spi,
        data,
    })
}

fn parse_delete(reserved: u8, body: &mut Cursor<'_>) -> Result<Delete, ParseError> {
    let doi = Doi(body.u32("DOI")?);
    let protocol = ProtocolId(body.u8("protocol ID")?);
    let spi_size_offset = body.offset;
    let spi_size = body.u8("SPI size")?;
    let count_offset = body.offset;
    let count = usize::from(body.u16("number of SPIs")?);

    if spi_size == 0 && count != 0 {
        return Err(body.error_at(
            spi_size_offset,
            ParseErrorKind::InvalidValue {
                field: "SPI size",
                value: 0,
                expected: "a non-zero size when SPIs are listed",
            },
        ));
    }
    let expected = count * usize::from(spi_size);
    if expected != body.remaining() {
        return Err(body.error_at(
            count_offset,
            ParseErrorKind::InvalidLength {
                field: "SPI list",
                length: expected,
                expected: format!("{} (the bytes left in the payload)", body.remaining()),
            },
        ));
    }

    let mut spis = Vec::with_capacity(count);
    for _ in 0..count {
        spis.push(body.bytes("SPI", usize::from(spi_size))?.to_vec());
    }
    Ok(Delete {
        reserved,
        doi,
        protocol,
        spi_size,
        spis,
    })
}
