//! Typed values to bytes with cookie-factory.
//!
//! Lengths, counts and Next Payload fields are computed here. Every size is checked against its
//! field's width before anything is written, so a value either emits whole or returns an
//! [`EmitError`].

use std::io::Write;

use cookie_factory::bytes::{be_u16, be_u32, be_u8};
use cookie_factory::combinator::slice;
use cookie_factory::sequence::tuple;
use cookie_factory::{gen_simple, GenResult, WriteContext};

use crate::enums::PayloadType;
use crate::error::EmitError;
use crate::limits::*;
use crate::types::*;

const MAX_PAYLOAD_BODY: usize = u16::MAX as usize - GENERIC_HEADER_LEN;

impl Header {
    /// Encodes the header as it is, including its `length` field.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        bytes[0..8].copy_from_slice(&self.initiator_cookie);
        bytes[8..16].copy_from_slice(&self.responder_cookie);
        bytes[16] = self.next_payload.0;
        bytes[17] = self.version;
        bytes[18] = self.exchange_type.0;
        bytes[19] = self.flags.0;
        bytes[20..24].copy_from_slice(&self.message_id.to_be_bytes());
        bytes[24..28].copy_from_slice(&self.length.to_be_bytes());
        bytes
    }
}

impl Message {
    /// Encodes the message, computing the header's Next Payload and Length, every payload's
    /// Next Payload and Length, and the counts in SA, proposal and delete payloads.
    pub fn to_vec(&self) -> Result<Vec<u8>, EmitError> {
        let mut out = Vec::new();
        self.emit(&mut out)?;
        Ok(out)
    }

    /// Appends the encoded message to `out` (see [`Message::to_vec`]), reserving its whole length
    /// first.
    pub fn emit(&self, out: &mut Vec<u8>) -> Result<(), EmitError> {
        let chain_len = chain_len(&self.payloads)?;
        let length = HEADER_LEN + chain_len + self.trailing.len();
        out.reserve(length);
        let length = u32::try_from(length).map_err(|_| EmitError::MessageTooLong { length })?;

        let header = Header {
            next_payload: first_type(&self.payloads),
            length,
            ..self.header.clone()
        };
        out.extend_from_slice(&header.to_bytes());
        write_chain(&self.payloads, out)?;
        out.extend_from_slice(&self.trailing);
        Ok(())
    }

    /// Returns the number of bytes [`Message::to_vec`] produces.
    pub fn buffer_len(&self) -> Result<usize, EmitError> {
        Ok(HEADER_LEN + chain_len(&self.payloads)? + self.trailing.len())
    }
}

/// Encodes a payload chain without an ISAKMP header: the plaintext of an encrypted message before
/// padding, or the bytes a Quick Mode HASH(1) covers. The last payload's Next Payload is NONE.
pub fn emit_payloads(payloads: &[Payload]) -> Result<Vec<u8>, EmitError> {
    let mut out = Vec::new();
    emit_payloads_into(payloads, &mut out)?;
    Ok(out)
}

/// Appends the encoded payload chain to `out` (see [`emit_payloads`]), reserving its whole length
/// first. On an error, `out` may hold the payloads before the one that failed.
pub fn emit_payloads_into(payloads: &[Payload], out: &mut Vec<u8>) -> Result<(), EmitError> {
    out.reserve(chain_len(payloads)?);
    write_chain(payloads, out)
}

/// Returns the number of bytes [`emit_payloads`] produces for `payloads`.
pub fn payloads_len(payloads: &[Payload]) -> Result<usize, EmitError> {
    chain_len(payloads)
}

impl Payload {
    /// Encodes the payload body without its generic header, as RFC 2409 5 defines the `_b`
    /// values: "SAi_b is the entire body of the SA payload (minus the ISAKMP generic header)".
    pub fn body_to_vec(&self) -> Result<Vec<u8>, EmitError> {
        let mut body = Vec::with_capacity(self.body_len()?);
        write_body_vec(self, &mut body)?;
        Ok(body)
    }

    /// Returns the length of the body without the generic header, checking every field width
    /// and that the stored payload type parses back into this variant.
    pub fn body_len(&self) -> Result<usize, EmitError> {
        check_payload_type(self)?;
        let len = match self {
            Payload::Sa(sa) => sa_body_len(sa)?,
            Payload::Ke(p) => p.data.len(),
            Payload::Id(p) => 4 + p.data.len(),
            Payload::Cert(p) => 1 + p.data.len(),
            Payload::CertReq(p) => 1 + p.authority.len(),
            Payload::Hash(p) => p.data.len(),
            Payload::Sig(p) => p.data.len(),
            Payload::Nonce(p) => p.data.len(),
            Payload::Notify(p) => {
                check_count("notification SPI size", p.spi.len(), u8::MAX.into())?;
                8 + p.spi.len() + p.data.len()
            }
            Payload::Delete(p) => {
                check_count("number of SPIs", p.spis.len(), u16::MAX.into())?;
                for spi in &p.spis {
                    if spi.len() != usize::from(p.spi_size) {
                        return Err(EmitError::SpiSizeMismatch {
                            spi_size: p.spi_size,
                            length: spi.len(),
                        });
                    }
                }
                8 + p.spis.len() * usize::from(p.spi_size)
            }
            Payload::VendorId(p) => p.data.len(),
            Payload::NatD(p) => p.hash.len(),
            Payload::NatOa(p) => 4 + p.address.len(),
            Payload::Fragment(p) => 4 + p.data.len(),
            Payload::Unknown(p) => p.body.len(),
        };
        if len > MAX_PAYLOAD_BODY {
            return Err(EmitError::PayloadTooLong {
                payload: self.payload_type(),
                length: len + GENERIC_HEADER_LEN,
            });
        }
        Ok(len)
    }
}

/// Checks the payload types stored in [`NatD`], [`NatOa`] and [`UnknownPayload`]: any other
/// number would be read back as a different payload, or as the end of the chain.
fn check_payload_type(payload: &Payload) -> Result<(), EmitError> {
    let (variant, payload_type, allowed, expected) = match payload {
        Payload::NatD(p) => (
            "NAT-D",
            p.payload_type,
            matches!(
                p.payload_type,
                PayloadType::NAT_D | PayloadType::NAT_D_DRAFT
            ),
            "20 or 130",
        ),
        Payload::NatOa(p) => (
            "NAT-OA",
            p.payload_type,
            matches!(
                p.payload_type,
                PayloadType::NAT_OA | PayloadType::NAT_OA_DRAFT
            ),
            "21 or 131",
        ),
        Payload::Unknown(p) => (
            "unknown",
            p.payload_type,
            !DECODED_PAYLOAD_TYPES.contains(&p.payload_type),
            "a type that is neither NONE nor decoded by this crate",
        ),
        _ => return Ok(()),
    };
    if allowed {
        return Ok(());
    }
    Err(EmitError::PayloadTypeMismatch {
        variant,
        payload_type,
        expected,
    })
}

/// NONE and the payload types that parsing decodes into a variant other than
/// [`Payload::Unknown`].
const DECODED_PAYLOAD_TYPES: [PayloadType; 17] = [
    PayloadType::NONE,
    PayloadType::SECURITY_ASSOCIATION,
    PayloadType::KEY_EXCHANGE,
    PayloadType::IDENTIFICATION,
    PayloadType::CERTIFICATE,
    PayloadType::CERTIFICATE_REQUEST,
    PayloadType::HASH,
    PayloadType::SIGNATURE,
    PayloadType::NONCE,
    PayloadType::NOTIFICATION,
    PayloadType::DELETE,
    PayloadType::VENDOR_ID,
    PayloadType::NAT_D,
    PayloadType::NAT_D_DRAFT,
    PayloadType::NAT_OA,
    PayloadType::NAT_OA_DRAFT,
    PayloadType::FRAGMENT,
];

fn first_type(payloads: &[Payload]) -> PayloadType {
    payloads
        .first()
        .map_or(PayloadType::NONE, Payload::payload_type)
}

fn check_count(field: &'static str, value: usize, max: usize) -> Result<(), EmitError> {
    if value > max {
        return Err(EmitError::CountTooLarge { field, value, max });
    }
    Ok(())
}

fn chain_len(payloads: &[Payload]) -> Result<usize, EmitError> {
    let mut total = 0;
    for payload in payloads {
        total += GENERIC_HEADER_LEN + payload.body_len()?;
    }
    Ok(total)
}

fn attribute_len(attribute: &Attribute) -> Result<usize, EmitError> {
    if attribute.kind & ATTRIBUTE_FORMAT_TV != 0 {
        return Err(EmitError::AttributeTypeTooLarge {
            kind: attribute.kind,
        });
    }
    match &attribute.value {
        AttributeValue::Basic(_) => Ok(4),
        AttributeValue::Variable(value) if value.len() > usize::from(u16::MAX) => {
            Err(EmitError::AttributeTooLong {
                kind: attribute.kind,
                length: value.len(),
            })
        }
        AttributeValue::Variable(value) => Ok(4 + value.len()),
    }
}

fn transform_body_len(transform: &Transform) -> Result<usize, EmitError> {
    let mut len = 4;
    for attribute in &transform.attributes {
        len += attribute_len(attribute)?;
    }
    if len > MAX_PAYLOAD_BODY {
        return Err(EmitError::PayloadTooLong {
            payload: PayloadType::TRANSFORM,
            length: len + GENERIC_HEADER_LEN,
        });
    }
    Ok(len)
}

fn proposal_body_len(proposal: &Proposal) -> Result<usize, EmitError> {
    check_count("SPI size", proposal.spi.len(), u8::MAX.into())?;
    check_count(
        "number of transforms",
        proposal.transforms.len(),
        u8::MAX.into(),
    )?;
    let mut len = 4 + proposal.spi.len();
    for transform in &proposal.transforms {
        len += GENERIC_HEADER_LEN + transform_body_len(transform)?;
    }
    if len > MAX_PAYLOAD_BODY {
        return Err(EmitError::PayloadTooLong {
            payload: PayloadType::PROPOSAL,
            length: len + GENERIC_HEADER_LEN,
        });
    }
    Ok(len)
}

fn sa_body_len(sa: &Sa) -> Result<usize, EmitError> {
    let mut len = 8;
    for proposal in &sa.proposals {
        len += GENERIC_HEADER_LEN + proposal_body_len(proposal)?;
    }
    Ok(len)
}

fn write_chain(payloads: &[Payload], out: &mut Vec<u8>) -> Result<(), EmitError> {
    for (index, payload) in payloads.iter().enumerate() {
        let next = payloads
            .get(index + 1)
            .map_or(PayloadType::NONE, Payload::payload_type);
        let body_len = payload.body_len()?;
        let header = generic_header(next, payload.reserved(), body_len);
        gen_simple(header, &mut *out)?;
        write_body_vec(payload, out)?;
    }
    Ok(())
}

/// Writes a payload body whose sizes [`Payload::body_len`] has checked.
fn write_body_vec(payload: &Payload, out: &mut Vec<u8>) -> Result<(), EmitError> {
    write_body(payload, WriteContext::from(out))?;
    Ok(())
}

/// Generic payload header (RFC 2408 3.2). `body_len` has been checked against the 16-bit field.
fn generic_header<W: Write>(
    next: PayloadType,
    reserved: u8,
    body_len: usize,
) -> impl cookie_factory::SerializeFn<W> {
    let length = (GENERIC_HEADER_LEN + body_len) as u16;
    tuple((be_u8(next.0), be_u8(reserved), be_u16(length)))
}

fn write_body<W: Write>(payload: &Payload, out: WriteContext<W>) -> GenResult<W> {
    match payload {
        Payload::Sa(sa) => write_sa(sa, out),
        Payload::Ke(p) => slice(&p.data)(out),
        Payload::Id(p) => tuple((
            be_u8(p.id_type.0),
            be_u8(p.protocol_id),
            be_u16(p.port),
            slice(&p.data),
        ))(out),
        Payload::Cert(p) => tuple((be_u8(p.encoding.0), slice(&p.data)))(out),
        Payload::CertReq(p) => tuple((be_u8(p.encoding.0), slice(&p.authority)))(out),
        Payload::Hash(p) => slice(&p.data)(out),
        Payload::Sig(p) => slice(&p.data)(out),
        Payload::Nonce(p) => slice(&p.data)(out),
        Payload::Notify(p) => tuple((
            be_u32(p.doi.0),
            be_u8(p.protocol.0),
            be_u8(p.spi.len() as u8),
            be_u16(p.notify_type.0),
            slice(&p.spi),
            slice(&p.data),
        ))(out),
        Payload::Delete(p) => {
            let mut out = tuple((
                be_u32(p.doi.0),
                be_u8(p.protocol.0),
                be_u8(p.spi_size),
                be_u16(p.spis.len() as u16),
            ))(out)?;
            for spi in &p.spis {
                out = slice(spi)(out)?;
            }
            Ok(out)
        }
        Payload::VendorId(p) => slice(&p.data)(out),
        Payload::NatD(p) => slice(&p.hash)(out),
        Payload::NatOa(p) => {
            tuple((be_u8(p.id_type.0), slice(p.reserved2), slice(&p.address)))(out)
        }
        Payload::Fragment(p) => tuple((
            be_u16(p.fragment_id),
            be_u8(p.fragment_number),
            be_u8(p.flags),
            slice(&p.data),
        ))(out),
        Payload::Unknown(p) => slice(&p.body)(out),
    }
}

/// Writes an SA body whose sizes [`sa_body_len`] has checked.
fn write_sa<W: Write>(sa: &Sa, out: WriteContext<W>) -> GenResult<W> {
    let mut out = tuple((be_u32(sa.doi.0), be_u32(sa.situation)))(out)?;
    for (index, proposal) in sa.proposals.iter().enumerate() {
        let next = if index + 1 < sa.proposals.len() {
            PayloadType::PROPOSAL
        } else {
            PayloadType::NONE
        };
        let body_len = proposal_body_len(proposal).unwrap_or(0);
        out = generic_header(next, proposal.reserved, body_len)(out)?;
        out = tuple((
            be_u8(proposal.number),
            be_u8(proposal.protocol.0),
            be_u8(proposal.spi.len() as u8),
            be_u8(proposal.transforms.len() as u8),
            slice(&proposal.spi),
        ))(out)?;

        for (index, transform) in proposal.transforms.iter().enumerate() {
            let next = if index + 1 < proposal.transforms.len() {
                PayloadType::TRANSFORM
            } else {
                PayloadType::NONE
            };
            let body_len = transform_body_len(transform).unwrap_or(0);
            out = generic_header(next, transform.reserved, body_len)(out)?;
            out = tuple((
                be_u8(transform.number),
                be_u8(transform.transform_id),
                be_u16(transform.reserved2),
            ))(out)?;
            for attribute in &transform.attributes {
                out = write_attribute(attribute, out)?;
            }
        }
    }
    Ok(out)
}

fn write_attribute<W: Write>(attribute: &Attribute, out: WriteContext<W>) -> GenResult<W> {
    match &attribute.value {
        AttributeValue::Basic(value) => {
            tuple((be_u16(attribute.kind | ATTRIBUTE_FORMAT_TV), be_u16(*value)))(out)
        }
        AttributeValue::Variable(value) => tuple((
            be_u16(attribute.kind),
            be_u16(value.len() as u16),
            slice(value),
        ))(out),
    }
}
