//! Parse and emit errors.

use crate::PayloadType;

/// A message or payload that could not be parsed.
///
/// `offset` counts bytes from the start of the buffer handed to the parser (the ISAKMP header for
/// [`crate::Message::parse`], the first payload for [`crate::parse_payload_chain`]). `payload` is
/// the payload being read when the error was found, `None` inside the ISAKMP header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} at offset {offset}{}", InPayload(*.payload))]
pub struct ParseError {
    /// Byte offset of the field that failed.
    pub offset: usize,
    /// Payload that contains the field, or `None` for the ISAKMP header.
    pub payload: Option<PayloadType>,
    /// The failure and what was expected.
    pub kind: ParseErrorKind,
}

struct InPayload(Option<PayloadType>);

impl core::fmt::Display for InPayload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(payload) if payload.name().is_some() => {
                write!(f, " in {payload} payload ({})", payload.0)
            }
            Some(payload) => write!(f, " in payload of type {}", payload.0),
            None => f.write_str(" in ISAKMP header"),
        }
    }
}

/// Failure kinds of a [`ParseError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Fewer bytes remain than the field needs.
    #[error("truncated {field}: expected {expected} bytes, {available} available")]
    Truncated {
        field: &'static str,
        expected: usize,
        available: usize,
    },
    /// A length field is below the structure's minimum or runs past its container.
    #[error("invalid {field} {length}: expected {expected}")]
    InvalidLength {
        field: &'static str,
        length: usize,
        expected: String,
    },
    /// A field contains a value that the structure does not allow.
    #[error("invalid {field} {value}: expected {expected}")]
    InvalidValue {
        field: &'static str,
        value: u32,
        expected: &'static str,
    },
    /// More elements than the named limit allows.
    #[error("too many {what}: the limit is {limit}")]
    TooMany { what: &'static str, limit: usize },
    /// Bytes left over inside a structure whose elements should fill it exactly.
    #[error("{count} unused bytes at the end of {container}")]
    TrailingData {
        container: &'static str,
        count: usize,
    },
    /// The proposal's transform count disagrees with the transforms found in it.
    #[error("proposal declares {declared} transforms but contains {found}")]
    TransformCountMismatch { declared: u8, found: usize },
    /// A payload that the exchange type does not allow there (see [`crate::check_payloads`]).
    #[error("unexpected payload in {exchange} exchange: {reason}")]
    UnexpectedPayload {
        exchange: crate::ExchangeType,
        reason: &'static str,
    },
    /// [`crate::Message::parse`] was given a message with the Encryption flag set.
    #[error("message is encrypted (E flag set): use EncryptedMessage::parse")]
    Encrypted,
    /// A UDP/4500 datagram that is neither a NAT-keepalive, a marked IKE message nor ESP.
    #[error("UDP/4500 datagram of {length} bytes is neither a NAT-keepalive, IKE nor ESP")]
    InvalidUdpEncapsulation { length: usize },
}

impl ParseError {
    pub(crate) fn new(offset: usize, payload: Option<PayloadType>, kind: ParseErrorKind) -> Self {
        Self {
            offset,
            payload,
            kind,
        }
    }
}

/// A value that cannot be encoded, because a count or length exceeds its field's width.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmitError {
    /// A payload body is longer than its 16-bit length field can express.
    #[error("{payload} payload of {length} bytes exceeds the 65535-byte payload length")]
    PayloadTooLong { payload: PayloadType, length: usize },
    /// The whole message is longer than the 32-bit header length can express.
    #[error("message of {length} bytes exceeds the 32-bit header length")]
    MessageTooLong { length: usize },
    /// A TLV attribute value is longer than its 16-bit length field can express.
    #[error("attribute {kind} value of {length} bytes exceeds 65535 bytes")]
    AttributeTooLong { kind: u16, length: usize },
    /// An attribute type needs bit 15, which the wire format uses as the Attribute Format flag.
    #[error("attribute type {kind} does not fit in 15 bits")]
    AttributeTypeTooLarge { kind: u16 },
    /// A count (proposals' transforms, SPIs, SPI size) exceeds its field's width.
    #[error("{field} {value} exceeds the field's maximum {max}")]
    CountTooLarge {
        field: &'static str,
        value: usize,
        max: usize,
    },
    /// A Delete payload SPI whose length differs from the payload's SPI size.
    #[error("Delete payload SPI of {length} bytes differs from its SPI size {spi_size}")]
    SpiSizeMismatch { spi_size: u8, length: usize },
    /// A payload's stored type would not parse back into the same variant. NONE ends the chain,
    /// NAT-D and NAT-OA each have an RFC and a draft number, and an unknown payload must not
    /// carry a type this crate decodes.
    #[error(
        "{variant} payload cannot be sent as payload type {payload_type}: expected {expected}"
    )]
    PayloadTypeMismatch {
        variant: &'static str,
        payload_type: PayloadType,
        expected: &'static str,
    },
    /// The cookie-factory serializer failed.
    #[error("serializer failed: {0}")]
    Serializer(String),
}

impl From<cookie_factory::GenError> for EmitError {
    fn from(error: cookie_factory::GenError) -> Self {
        Self::Serializer(format!("{error:?}"))
    }
}
