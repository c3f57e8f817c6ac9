//! ISAKMP/IKEv1 message codec (RFC 2407, 2408, 2409, 3947, 3706): bytes to typed values with nom,
//! typed values to bytes with cookie-factory. No cryptography and no I/O.
//!
//! # Shape
//!
//! - [`Message`] is a plaintext message: a [`Header`] and a list of [`Payload`]s, one enum variant
//!   per payload kind. An SA payload ([`Sa`]) contains [`Proposal`]s, which contain
//!   [`Transform`]s, which contain [`Attribute`]s in the TV ([`AttributeValue::Basic`]) or TLV
//!   ([`AttributeValue::Variable`]) form.
//! - Registered numbers are open enumerations: newtypes such as [`ExchangeType`] or
//!   [`NotifyType`] with associated constants. An unregistered number is kept, printed as the
//!   number, and emitted unchanged.
//! - Parsing then emitting gives back the input bytes. Next Payload fields, lengths and counts
//!   are computed when emitting, and everything else (RESERVED octets, the Delete SPI size, bytes
//!   after the last payload) is stored.
//!
//! # Entry points
//!
//! - [`Message::parse`] and [`Message::to_vec`] for plaintext messages.
//! - [`IsakmpMessage::parse`] picks [`Message`] or [`EncryptedMessage`] from the E flag.
//!   [`EncryptedMessage::parse`] keeps the body opaque, and after the caller decrypts it
//!   [`EncryptedMessage::parse_decrypted`] or [`parse_payload_chain`] reads the payloads,
//!   accepting the padding after the last one.
//! - [`emit_payloads`] encodes a chain without a header (the plaintext to encrypt, or the bytes
//!   of a Quick Mode HASH), and [`Payload::body_to_vec`] one body without its generic header (the
//!   `SAi_b` and `IDii_b` of RFC 2409 5). [`emit_payloads_into`] appends a chain to a buffer
//!   that already contains the header, and [`payloads_len`] returns its length.
//! - [`Message::check`] and [`check_payloads`] apply the per-exchange payload rules of RFC 2408
//!   and RFC 2409 (which payloads, in which order) that a receiver enforces after parsing.
//! - [`split_udp4500`] separates IKE (after the [`NON_ESP_MARKER`]), ESP and NAT-keepalives on
//!   UDP port 4500.
//!
//! # Guarantees
//!
//! Parsing never panics. Every loop is bounded by the input or by a named limit
//! ([`MAX_PAYLOADS`], [`MAX_PROPOSALS`], [`MAX_TRANSFORMS`], [`MAX_ATTRIBUTES`],
//! [`MAX_ATTRIBUTE_LENGTH`]), and allocation stays within a small multiple of the input's size.
//! A [`ParseError`] names the byte offset, the payload being read and what was expected.
//! Emitting checks every length and count against its field's width first and returns an
//! [`EmitError`] instead of writing a truncated field.
//!
//! ```
//! use ike_wire::{Message, Payload, ExchangeType, EncryptionAlgorithm, IkeAttributeType};
//!
//! let bytes = hex::decode(concat!(
//!     "f4b2dcc7ce1f8ed7000000000000000001100200000000000000005400000038",
//!     "00000001000000010000002c010100010000002401010000800100058002000280",
//!     "03000180040002800b0001000c000400007080",
//! )).unwrap();
//! let message = Message::parse(&bytes)?;
//! assert_eq!(message.header.exchange_type, ExchangeType::IDENTITY_PROTECTION);
//!
//! let Payload::Sa(sa) = &message.payloads[0] else { panic!("expected an SA payload") };
//! let cipher = &sa.proposals[0].transforms[0].attributes[0];
//! assert_eq!(cipher.kind, IkeAttributeType::ENCRYPTION_ALGORITHM.0);
//! assert_eq!(cipher.as_u64(), Some(EncryptionAlgorithm::TRIPLE_DES_CBC.0.into()));
//!
//! assert_eq!(message.to_vec()?, bytes);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod emit;
mod enums;
mod error;
mod limits;
mod natt;
mod parse;
mod types;
mod validate;

pub use emit::{emit_payloads, emit_payloads_into, payloads_len};
pub use enums::*;
pub use error::{EmitError, ParseError, ParseErrorKind};
pub use limits::{
    MAX_ATTRIBUTES, MAX_ATTRIBUTE_LENGTH, MAX_PAYLOADS, MAX_PROPOSALS, MAX_TRANSFORMS,
};
pub use natt::{split_udp4500, with_non_esp_marker, Udp4500Payload, NAT_KEEPALIVE, NON_ESP_MARKER};
pub use parse::{parse_payload_chain, parse_payload_chain_with_padding, IsakmpMessage};
pub use types::*;
pub use validate::check_payloads;
