//! Netlink framing: the `nlmsghdr` header, `nlattr` attributes, and `NLMSG_ERROR` acks with
//! their extended-ack message (see `linux/netlink.h`).

use crate::codec::{pad_to, put_i32_ne, put_u16_ne, put_u32_ne, Fields};
use crate::error::ParseError;

/// Size of `struct nlmsghdr`.
pub const HEADER_LEN: usize = 16;
/// Size of `struct nlattr`.
pub const ATTRIBUTE_HEADER_LEN: usize = 4;
/// Maximum number of attributes parsed from one message. XFRM messages carry about a dozen, and
/// the cap bounds the work a hostile buffer can cause.
pub const MAX_ATTRIBUTES: usize = 256;

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR`: an error or, with errno 0, an acknowledgement.
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: the end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;

/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multipart reply.
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`: the sender wants an acknowledgement.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP_INTR`: the dump was inconsistent because the data changed.
pub const NLM_F_DUMP_INTR: u16 = 0x10;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;
/// `NLM_F_CAPPED` on an `NLMSG_ERROR`: the request's payload is not echoed.
pub const NLM_F_CAPPED: u16 = 0x100;
/// `NLM_F_ACK_TLVS` on an `NLMSG_ERROR`: extended-ack attributes follow.
pub const NLM_F_ACK_TLVS: u16 = 0x200;

/// `NLMSGERR_ATTR_MSG`: a NUL-terminated error string.
const NLMSGERR_ATTR_MSG: u16 = 1;
/// Bits of `nla_type` that are flags (`NLA_F_NESTED`, `NLA_F_NET_BYTEORDER`), not the type.
const NLA_TYPE_MASK: u16 = 0x3fff;

/// `struct nlmsghdr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NetlinkHeader {
    /// Length of the whole message including this header, in bytes.
    pub length: u32,
    pub message_type: u16,
    pub flags: u16,
    pub sequence: u32,
    /// Port id of the sender (0 for the kernel).
    pub port_id: u32,
}

impl NetlinkHeader {
    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(NetlinkHeader {
            length: fields.u32_ne(0)?,
            message_type: fields.u16_ne(4)?,
            flags: fields.u16_ne(6)?,
            sequence: fields.u32_ne(8)?,
            port_id: fields.u32_ne(12)?,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        put_u32_ne(buf, self.length);
        put_u16_ne(buf, self.message_type);
        put_u16_ne(buf, self.flags);
        put_u32_ne(buf, self.sequence);
        put_u32_ne(buf, self.port_id);
    }
}

/// One netlink message from a datagram: its header and its payload bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawMessage<'a> {
    pub header: NetlinkHeader,
    pub payload: &'a [u8],
    /// Offset of the payload in the datagram.
    pub payload_offset: usize,
}

/// Splits a datagram into netlink messages, honouring `NLMSG_ALIGN` padding between them.
///
/// Never panics; a length field that is too small or runs past the datagram is an error.
pub fn split_messages(datagram: &[u8]) -> Result<Vec<RawMessage<'_>>, ParseError> {
    let mut messages = Vec::new();
    let mut offset = 0;
    while offset < datagram.len() {
        let rest = datagram.get(offset..).unwrap_or(&[]);
        let fields = Fields::new(rest, offset, HEADER_LEN, "netlink header")?;
        let header = NetlinkHeader::parse(&fields)?;
        let length = header.length as usize;
        if length < HEADER_LEN || length > rest.len() {
            return Err(ParseError::InvalidLength {
                what: "netlink message",
                offset,
                length,
                min: HEADER_LEN,
                max: rest.len(),
            });
        }
        messages.push(RawMessage {
            header,
            payload: rest.get(HEADER_LEN..length).unwrap_or(&[]),
            payload_offset: offset + HEADER_LEN,
        });
        offset = offset.saturating_add(align4(length));
    }
    Ok(messages)
}

/// Rounds up to the 4-byte netlink alignment (`NLMSG_ALIGN`, `NLA_ALIGN`).
pub(crate) fn align4(length: usize) -> usize {
    length.saturating_add(3) & !3
}

/// One `nlattr`: its type (flags masked off) and its payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Attribute<'a> {
    pub(crate) kind: u16,
    pub(crate) payload: &'a [u8],
    /// Offset of the payload in the buffer handed to the parser.
    pub(crate) offset: usize,
}

impl Attribute<'_> {
    /// Copies the attribute for a list of attributes the crate does not model.
    pub(crate) fn to_raw(self) -> RawAttribute {
        RawAttribute {
            kind: self.kind,
            payload: self.payload.to_vec(),
        }
    }
}

/// Parses a run of attributes that starts at `base` in the parsed buffer.
pub(crate) fn parse_attributes(
    bytes: &[u8],
    base: usize,
) -> Result<Vec<Attribute<'_>>, ParseError> {
    let mut attributes = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        if attributes.len() == MAX_ATTRIBUTES {
            return Err(ParseError::TooManyAttributes {
                offset: base + offset,
                max: MAX_ATTRIBUTES,
            });
        }
        let rest = bytes.get(offset..).unwrap_or(&[]);
        let fields = Fields::new(
            rest,
            base + offset,
            ATTRIBUTE_HEADER_LEN,
            "netlink attribute",
        )?;
        let length = fields.u16_ne(0)? as usize;
        let kind = fields.u16_ne(2)? & NLA_TYPE_MASK;
        if length < ATTRIBUTE_HEADER_LEN || length > rest.len() {
            return Err(ParseError::InvalidLength {
                what: "netlink attribute",
                offset: base + offset,
                length,
                min: ATTRIBUTE_HEADER_LEN,
                max: rest.len(),
            });
        }
        attributes.push(Attribute {
            kind,
            payload: rest.get(ATTRIBUTE_HEADER_LEN..length).unwrap_or(&[]),
            offset: base + offset + ATTRIBUTE_HEADER_LEN,
        });
        offset = offset.saturating_add(align4(length));
    }
    Ok(attributes)
}

/// Appends one attribute with its padding.
///
/// XFRM attributes are at most a few hundred bytes; a payload over `u16::MAX - 4` bytes cannot
/// be expressed, so its length field saturates and the kernel rejects the message.
pub(crate) fn put_attribute(buf: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let length = (ATTRIBUTE_HEADER_LEN + payload.len()).min(u16::MAX as usize);
    put_u16_ne(buf, length as u16);
    put_u16_ne(buf, kind);
    buf.extend_from_slice(payload);
    let start = buf.len() - payload.len() - ATTRIBUTE_HEADER_LEN;
    pad_to(buf, start, align4(ATTRIBUTE_HEADER_LEN + payload.len()));
}

/// Appends a `__u32` attribute in host byte order when `value` is set.
pub(crate) fn put_u32_attribute(buf: &mut Vec<u8>, kind: u16, value: Option<u32>) {
    if let Some(value) = value {
        put_attribute(buf, kind, &value.to_ne_bytes());
    }
}

/// An attribute this crate does not model, kept so that parse and emit round-trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawAttribute {
    /// `nla_type` with the flag bits masked off.
    pub kind: u16,
    pub payload: Vec<u8>,
}

/// Builds a whole netlink message: header (with the length filled in), body and attributes.
pub(crate) fn build_message(
    message_type: u16,
    flags: u16,
    sequence: u32,
    port_id: u32,
    body: impl FnOnce(&mut Vec<u8>),
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(512);
    NetlinkHeader {
        length: 0,
        message_type,
        flags,
        sequence,
        port_id,
    }
    .emit(&mut buf);
    body(&mut buf);
    let length = (buf.len() as u32).to_ne_bytes();
    buf[..4].copy_from_slice(&length);
    buf
}

/// The payload of an `NLMSG_ERROR` message (`struct nlmsgerr` and extended-ack attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorMessage {
    /// The errno as the kernel sends it: 0 for an acknowledgement, negative for an error.
    pub error: i32,
    /// The header of the request this message replies to.
    pub request: NetlinkHeader,
    /// `NLMSGERR_ATTR_MSG`, the kernel's explanation, when extended acks are on.
    pub message: Option<String>,
}

impl ErrorMessage {
    pub(crate) fn parse(
        header: &NetlinkHeader,
        payload: &[u8],
        base: usize,
    ) -> Result<Self, ParseError> {
        let fields = Fields::new(payload, base, 4 + HEADER_LEN, "nlmsgerr")?;
        let error = fields.i32_ne(0)?;
        let request = NetlinkHeader::parse(&fields.sub(4, HEADER_LEN, "nlmsgerr request")?)?;

        let mut message = None;
        if header.flags & NLM_F_ACK_TLVS != 0 {
            // Without NLM_F_CAPPED the whole request follows its header.
            let echoed = if header.flags & NLM_F_CAPPED != 0 || error == 0 {
                HEADER_LEN
            } else {
                (request.length as usize).max(HEADER_LEN)
            };
            let start = align4(4 + echoed);
            let tlvs = fields.rest(start);
            for attribute in parse_attributes(tlvs, base + start)? {
                if attribute.kind == NLMSGERR_ATTR_MSG {
                    let text = attribute.payload.split(|b| *b == 0).next().unwrap_or(&[]);
                    message = Some(String::from_utf8_lossy(text).into_owned());
                }
            }
        }

        Ok(ErrorMessage {
            error,
            request,
            message,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        put_i32_ne(buf, self.error);
        self.request.emit(buf);
        if let Some(text) = &self.message {
            let mut payload = text.as_bytes().to_vec();
            payload.push(0);
            put_attribute(buf, NLMSGERR_ATTR_MSG, &payload);
        }
    }
}
