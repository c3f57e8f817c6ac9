//! Named limits and wire constants.
//!
//! Every loop in the parser is bounded by one of these counts or by the input's length, so no
//! input makes it loop long or allocate more than a small multiple of the datagram's size.

/// Maximum number of payloads in one message. Main Mode message 1 of common peers carries an SA
/// and up to about fifteen Vendor IDs, and a Quick Mode message at most ten payloads.
pub const MAX_PAYLOADS: usize = 64;
/// Maximum number of proposals in one SA payload. Peers offer a handful, and ike-scan a single
/// proposal with all transforms in it.
pub const MAX_PROPOSALS: usize = 64;
/// Maximum number of transforms in one proposal: the width of the 8-bit "# of Transforms" field.
pub const MAX_TRANSFORMS: usize = 255;
/// Maximum number of attributes in one transform. RFC 2409 appendix A defines sixteen Phase 1
/// classes and RFC 2407 eleven IPsec DOI classes. Only the life type and duration pair repeats,
/// once per unit.
pub const MAX_ATTRIBUTES: usize = 64;
/// Maximum length in bytes of a TLV attribute value: twice the 1024-byte prime of the largest
/// MODP group (8192 bits), which a New Group Mode Group Prime attribute may carry.
pub const MAX_ATTRIBUTE_LENGTH: usize = 2048;

/// AF bit of the attribute type: set for the TV (basic) format (RFC 2408 3.3).
pub(crate) const ATTRIBUTE_FORMAT_TV: u16 = 0x8000;
/// The attribute type without the AF bit.
pub(crate) const ATTRIBUTE_TYPE_MASK: u16 = 0x7fff;
