//! Typed values of the ISAKMP header and payloads.
//!
//! Every struct keeps the bytes that emitting cannot recompute (RESERVED fields, SPI sizes of
//! empty deletes), so that parsing then emitting gives back the original bytes. Lengths, counts
//! and Next Payload fields are recomputed on emit.

use crate::enums::*;

/// Length of the ISAKMP header in bytes (RFC 2408 3.1).
pub const HEADER_LEN: usize = 28;
/// Length of the generic payload header in bytes (RFC 2408 3.2).
pub const GENERIC_HEADER_LEN: usize = 4;
/// ISAKMP version 1.0 as carried in the header: MjVer in the high nibble, MnVer in the low one.
pub const ISAKMP_VERSION_1_0: u8 = 0x10;

/// Flags octet of the ISAKMP header (RFC 2408 3.1). Unassigned bits are kept as received.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// E(ncryption Bit): "all payloads following the header are encrypted".
    pub const ENCRYPTION: Flags = Flags(0x01);
    /// C(ommit Bit): the sender wants the key exchange synchronised.
    pub const COMMIT: Flags = Flags(0x02);
    /// A(uthentication Only Bit): the message is authenticated but not encrypted.
    pub const AUTHENTICATION_ONLY: Flags = Flags(0x04);

    /// Reports whether every bit of `other` is set.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for Flags {
    type Output = Flags;

    fn bitor(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }
}

impl core::fmt::Debug for Flags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Flags({:#04x} {self})", self.0)
    }
}

impl core::fmt::Display for Flags {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let names = [
            (Self::ENCRYPTION, "E"),
            (Self::COMMIT, "C"),
            (Self::AUTHENTICATION_ONLY, "A"),
        ];
        let mut first = true;
        for (flag, name) in names {
            if self.contains(flag) {
                if !first {
                    f.write_str("|")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        let unknown = self.0 & !0x07;
        if unknown != 0 {
            if !first {
                f.write_str("|")?;
            }
            write!(f, "{unknown:#04x}")?;
            first = false;
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

/// ISAKMP header (RFC 2408 3.1), 28 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Header {
    /// "Cookie of entity that initiated SA establishment, SA notification, or SA deletion."
    pub initiator_cookie: [u8; 8],
    /// "Cookie of entity that is responding to an SA establishment request, SA notification, or
    /// SA deletion." Zero in the first message of an exchange.
    pub responder_cookie: [u8; 8],
    /// Type of the first payload.
    pub next_payload: PayloadType,
    /// MjVer and MnVer nibbles, [`ISAKMP_VERSION_1_0`] for IKEv1.
    pub version: u8,
    pub exchange_type: ExchangeType,
    pub flags: Flags,
    /// "Unique Message Identifier used to identify protocol state during Phase 2 negotiations";
    /// zero in Phase 1.
    pub message_id: u32,
    /// "Length of total message (header + payloads) in octets." [`crate::Message::to_vec`]
    /// recomputes it, [`Header::to_bytes`] writes it as it is.
    pub length: u32,
}

/// A plaintext ISAKMP message: the header and its payload chain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub header: Header,
    pub payloads: Vec<Payload>,
    /// Bytes after the last payload, inside the header's length. Usually empty.
    pub trailing: Vec<u8>,
}

/// An ISAKMP message whose E flag is set: the clear header and the still encrypted body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncryptedMessage<'a> {
    pub header: Header,
    /// Everything after the header up to the header's length: the CBC ciphertext.
    pub body: &'a [u8],
}

/// One ISAKMP payload, with its body decoded by payload type.
///
/// The generic payload header's Next Payload and Payload Length are not stored: emitting derives
/// them from the neighbour and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Sa(Sa),
    Ke(KeyExchange),
    Id(Identification),
    Cert(Certificate),
    CertReq(CertificateRequest),
    Hash(Hash),
    Sig(Signature),
    Nonce(Nonce),
    Notify(Notification),
    Delete(Delete),
    VendorId(VendorId),
    NatD(NatD),
    NatOa(NatOa),
    Fragment(Fragment),
    /// A payload type this crate does not decode (for example Mode Config attributes), kept as
    /// raw body bytes.
    Unknown(UnknownPayload),
}

impl Payload {
    /// Returns the type this payload is sent as in the preceding Next Payload field.
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Payload::Sa(_) => PayloadType::SECURITY_ASSOCIATION,
            Payload::Ke(_) => PayloadType::KEY_EXCHANGE,
            Payload::Id(_) => PayloadType::IDENTIFICATION,
            Payload::Cert(_) => PayloadType::CERTIFICATE,
            Payload::CertReq(_) => PayloadType::CERTIFICATE_REQUEST,
            Payload::Hash(_) => PayloadType::HASH,
            Payload::Sig(_) => PayloadType::SIGNATURE,
            Payload::Nonce(_) => PayloadType::NONCE,
            Payload::Notify(_) => PayloadType::NOTIFICATION,
            Payload::Delete(_) => PayloadType::DELETE,
            Payload::VendorId(_) => PayloadType::VENDOR_ID,
            Payload::NatD(natd) => natd.payload_type,
            Payload::NatOa(natoa) => natoa.payload_type,
            Payload::Fragment(_) => PayloadType::FRAGMENT,
            Payload::Unknown(unknown) => unknown.payload_type,
        }
    }

    /// Returns the generic header's RESERVED octet as it will be emitted.
    pub fn reserved(&self) -> u8 {
        match self {
            Payload::Sa(p) => p.reserved,
            Payload::Ke(p) => p.reserved,
            Payload::Id(p) => p.reserved,
            Payload::Cert(p) => p.reserved,
            Payload::CertReq(p) => p.reserved,
            Payload::Hash(p) => p.reserved,
            Payload::Sig(p) => p.reserved,
            Payload::Nonce(p) => p.reserved,
            Payload::Notify(p) => p.reserved,
            Payload::Delete(p) => p.reserved,
            Payload::VendorId(p) => p.reserved,
            Payload::NatD(p) => p.reserved,
            Payload::NatOa(p) => p.reserved,
            Payload::Fragment(p) => p.reserved,
            Payload::Unknown(p) => p.reserved,
        }
    }
}

/// Security Association payload (RFC 2408 3.4) with the IPsec DOI situation (RFC 2407 4.6.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sa {
    pub reserved: u8,
    pub doi: Doi,
    /// Situation bitmap: SIT_IDENTITY_ONLY (1), SIT_SECRECY (2), SIT_INTEGRITY (4).
    pub situation: u32,
    pub proposals: Vec<Proposal>,
}

impl Sa {
    /// SIT_IDENTITY_ONLY, the only situation IKE peers use (RFC 2407 4.2).
    pub const SIT_IDENTITY_ONLY: u32 = 1;
}

/// Proposal payload (RFC 2408 3.5), carried inside an SA payload.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Proposal {
    pub reserved: u8,
    /// "Proposal number for the current payload"; proposals sharing a number are ANDed.
    pub number: u8,
    pub protocol: ProtocolId,
    /// The sending entity's SPI: empty or the cookies in Phase 1, four bytes for AH and ESP, two
    /// for IPCOMP (RFC 2407 4.4.1).
    pub spi: Vec<u8>,
    pub transforms: Vec<Transform>,
}

/// Transform payload (RFC 2408 3.6), carried inside a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Transform {
    pub reserved: u8,
    /// "Transform # for the current payload."
    pub number: u8,
    /// "Transform identifier for the protocol within the current proposal": read it as an
    /// [`IkeTransformId`], [`AhTransformId`], [`EspTransformId`] or [`IpcompTransformId`]
    /// according to the proposal's protocol.
    pub transform_id: u8,
    /// The RESERVED2 field.
    pub reserved2: u16,
    pub attributes: Vec<Attribute>,
}

/// Data attribute (RFC 2408 3.3) in the TV (basic) or TLV (variable) format.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// The Attribute Type without the AF bit (15 bits): an [`IkeAttributeType`] in Phase 1, an
    /// [`IpsecAttributeType`] in Phase 2.
    pub kind: u16,
    pub value: AttributeValue,
}

/// Value of a data attribute; the variant decides the AF bit on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AttributeValue {
    /// TV format (AF = 1): a two-byte value in place of the length.
    Basic(u16),
    /// TLV format (AF = 0): a length-prefixed value, for example a four-byte life duration.
    Variable(Vec<u8>),
}

impl Attribute {
    /// Builds a TV attribute.
    pub fn basic(kind: impl Into<u16>, value: impl Into<u16>) -> Self {
        Self {
            kind: kind.into(),
            value: AttributeValue::Basic(value.into()),
        }
    }

    /// Builds a TLV attribute.
    pub fn variable(kind: impl Into<u16>, value: impl Into<Vec<u8>>) -> Self {
        Self {
            kind: kind.into(),
            value: AttributeValue::Variable(value.into()),
        }
    }

    /// Builds an attribute for a number in the shortest form: TV up to 65535, otherwise a TLV
    /// of four or eight bytes, as life durations are sent (RFC 2409 appendix A).
    pub fn number(kind: impl Into<u16>, value: u64) -> Self {
        match u16::try_from(value) {
            Ok(short) => Self::basic(kind, short),
            Err(_) => match u32::try_from(value) {
                Ok(word) => Self::variable(kind, word.to_be_bytes().to_vec()),
                Err(_) => Self::variable(kind, value.to_be_bytes().to_vec()),
            },
        }
    }

    /// Returns the value as an unsigned number: a TV value, or a TLV value of at most eight
    /// bytes read big-endian. `None` for longer TLV values.
    pub fn as_u64(&self) -> Option<u64> {
        match &self.value {
            AttributeValue::Basic(value) => Some(u64::from(*value)),
            AttributeValue::Variable(bytes) if bytes.len() <= 8 => {
                Some(bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
            }
            AttributeValue::Variable(_) => None,
        }
    }
}

/// Key Exchange payload (RFC 2408 3.7): the public Diffie-Hellman value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyExchange {
    pub reserved: u8,
    pub data: Vec<u8>,
}

/// Identification payload (RFC 2408 3.8) with the IPsec DOI fields (RFC 2407 4.6.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Identification {
    pub reserved: u8,
    pub id_type: IdType,
    /// IP protocol number (for example 17 for UDP), or 0 to mean any.
    pub protocol_id: u8,
    /// Port, or 0 to mean any.
    pub port: u16,
    /// The identity: an address, address and mask, address range, name or DER bytes.
    pub data: Vec<u8>,
}

/// Certificate payload (RFC 2408 3.9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Certificate {
    pub reserved: u8,
    pub encoding: CertEncoding,
    pub data: Vec<u8>,
}

/// Certificate Request payload (RFC 2408 3.10).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CertificateRequest {
    pub reserved: u8,
    pub encoding: CertEncoding,
    /// "An encoding of an acceptable certificate authority", possibly empty.
    pub authority: Vec<u8>,
}

/// Hash payload (RFC 2408 3.11): the output of the negotiated hash or PRF.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hash {
    pub reserved: u8,
    pub data: Vec<u8>,
}

/// Signature payload (RFC 2408 3.12).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    pub reserved: u8,
    pub data: Vec<u8>,
}

/// Nonce payload (RFC 2408 3.13).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Nonce {
    pub reserved: u8,
    pub data: Vec<u8>,
}

/// Notification payload (RFC 2408 3.14).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Notification {
    pub reserved: u8,
    pub doi: Doi,
    pub protocol: ProtocolId,
    pub notify_type: NotifyType,
    /// SPI of the SA concerned: the two cookies (16 bytes) or empty for ISAKMP, four bytes for
    /// AH and ESP.
    pub spi: Vec<u8>,
    /// Notification Data, for example the REPLAY-STATUS flag or the R-U-THERE sequence number.
    pub data: Vec<u8>,
}

/// Delete payload (RFC 2408 3.15).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delete {
    pub reserved: u8,
    pub doi: Doi,
    pub protocol: ProtocolId,
    /// Length of each SPI in bytes; kept apart from `spis` because a delete may carry no SPI.
    pub spi_size: u8,
    pub spis: Vec<Vec<u8>>,
}

/// Vendor ID payload (RFC 2408 3.16).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VendorId {
    pub reserved: u8,
    pub data: Vec<u8>,
}

/// NAT Discovery payload (RFC 3947 3.2): a hash of cookies, address and port.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NatD {
    pub reserved: u8,
    /// [`PayloadType::NAT_D`] (20) or the draft number [`PayloadType::NAT_D_DRAFT`] (130).
    pub payload_type: PayloadType,
    pub hash: Vec<u8>,
}

/// NAT Original Address payload (RFC 3947 5.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NatOa {
    pub reserved: u8,
    /// [`PayloadType::NAT_OA`] (21) or the draft number [`PayloadType::NAT_OA_DRAFT`] (131).
    pub payload_type: PayloadType,
    /// ID_IPV4_ADDR or ID_IPV6_ADDR.
    pub id_type: IdType,
    /// The three RESERVED octets after the ID type.
    pub reserved2: [u8; 3],
    pub address: Vec<u8>,
}

/// IKEv1 fragment payload (payload type 132), one piece of a larger ISAKMP message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fragment {
    pub reserved: u8,
    /// Identifies the message that the fragments belong to.
    pub fragment_id: u16,
    /// Position of this fragment, counting from 1.
    pub fragment_number: u8,
    /// Bit 0 ([`Fragment::LAST`]) marks the last fragment.
    pub flags: u8,
    pub data: Vec<u8>,
}

impl Fragment {
    /// Flag of the last fragment of a message.
    pub const LAST: u8 = 0x01;
}

/// A payload whose type this crate does not decode.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnknownPayload {
    pub reserved: u8,
    pub payload_type: PayloadType,
    pub body: Vec<u8>,
}

macro_rules! data_payload_new {
    ($($ty:ident),*) => {
        $(
            impl $ty {
                /// Builds the payload around `data` with a zero RESERVED octet.
                pub fn new(data: impl Into<Vec<u8>>) -> Self {
                    Self { reserved: 0, data: data.into() }
                }
            }
        )*
    };
}

data_payload_new!(KeyExchange, Hash, Signature, Nonce, VendorId);
