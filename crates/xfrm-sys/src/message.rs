//! Whole netlink messages on a `NETLINK_XFRM` socket: the XFRM message types and their bodies,
//! plus the netlink control messages (errors, acks, end of dump).

use crate::error::ParseError;
use crate::events::{Acquire, Expire, PolicyExpire};
use crate::flush::{FlushPolicy, FlushSa};
use crate::netlink::{
    build_message, split_messages, ErrorMessage, NetlinkHeader, NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP,
};
use crate::policy::{PolicyId, PolicySpec};
use crate::sa::SaSpec;
use crate::sa_id::SaId;
use crate::spi::AllocSpi;
use crate::types::AddressFilter;

/// `XFRM_MSG_*` message types (`linux/xfrm.h`).
pub mod message_type {
    pub const NEWSA: u16 = 0x10;
    pub const DELSA: u16 = 0x11;
    pub const GETSA: u16 = 0x12;
    pub const NEWPOLICY: u16 = 0x13;
    pub const DELPOLICY: u16 = 0x14;
    pub const GETPOLICY: u16 = 0x15;
    pub const ALLOCSPI: u16 = 0x16;
    pub const ACQUIRE: u16 = 0x17;
    pub const EXPIRE: u16 = 0x18;
    pub const UPDPOLICY: u16 = 0x19;
    pub const UPDSA: u16 = 0x1a;
    pub const POLEXPIRE: u16 = 0x1b;
    pub const FLUSHSA: u16 = 0x1c;
    pub const FLUSHPOLICY: u16 = 0x1d;
}

/// A typed XFRM message body.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum XfrmMessage {
    /// `XFRM_MSG_NEWSA`: a request to add an SA, or an SA in a reply or dump.
    NewSa(SaSpec),
    /// `XFRM_MSG_UPDSA`.
    UpdateSa(SaSpec),
    /// `XFRM_MSG_DELSA`. The kernel's multicast form also carries the deleted SA in `XFRMA_SA`,
    /// which the parser skips.
    DeleteSa(SaId),
    /// `XFRM_MSG_GETSA` for one SA.
    GetSa(SaId),
    /// `XFRM_MSG_GETSA` with `NLM_F_DUMP`: the optional address filter.
    DumpSas(Option<AddressFilter>),
    AllocSpi(AllocSpi),
    FlushSa(FlushSa),
    /// `XFRM_MSG_NEWPOLICY`: a request, or a policy in a reply or dump.
    NewPolicy(PolicySpec),
    UpdatePolicy(PolicySpec),
    DeletePolicy(PolicyId),
    GetPolicy(PolicyId),
    /// `XFRM_MSG_GETPOLICY` with `NLM_F_DUMP` (no body).
    DumpPolicies,
    FlushPolicy(FlushPolicy),
    Acquire(Acquire),
    Expire(Expire),
    PolicyExpire(PolicyExpire),
    /// Another XFRM message type, or a body this crate does not decode for that type.
    Other {
        message_type: u16,
        body: Vec<u8>,
    },
}

impl XfrmMessage {
    pub fn message_type(&self) -> u16 {
        use message_type::*;
        match self {
            XfrmMessage::NewSa(_) => NEWSA,
            XfrmMessage::UpdateSa(_) => UPDSA,
            XfrmMessage::DeleteSa(_) => DELSA,
            XfrmMessage::GetSa(_) | XfrmMessage::DumpSas(_) => GETSA,
            XfrmMessage::AllocSpi(_) => ALLOCSPI,
            XfrmMessage::FlushSa(_) => FLUSHSA,
            XfrmMessage::NewPolicy(_) => NEWPOLICY,
            XfrmMessage::UpdatePolicy(_) => UPDPOLICY,
            XfrmMessage::DeletePolicy(_) => DELPOLICY,
            XfrmMessage::GetPolicy(_) | XfrmMessage::DumpPolicies => GETPOLICY,
            XfrmMessage::FlushPolicy(_) => FLUSHPOLICY,
            XfrmMessage::Acquire(_) => ACQUIRE,
            XfrmMessage::Expire(_) => EXPIRE,
            XfrmMessage::PolicyExpire(_) => POLEXPIRE,
            XfrmMessage::Other { message_type, .. } => *message_type,
        }
    }

    /// The netlink flags `XfrmSocket` and `ip xfrm` send this request with: `NLM_F_ACK` on
    /// changes, none on single reads (the reply itself acknowledges) and `NLM_F_DUMP` on dumps.
    pub fn request_flags(&self) -> u16 {
        use crate::netlink::{NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST};
        match self {
            XfrmMessage::GetSa(_) | XfrmMessage::GetPolicy(_) | XfrmMessage::AllocSpi(_) => {
                NLM_F_REQUEST
            }
            XfrmMessage::DumpSas(_) | XfrmMessage::DumpPolicies => NLM_F_REQUEST | NLM_F_DUMP,
            _ => NLM_F_REQUEST | NLM_F_ACK,
        }
    }

    /// Appends the body (fixed structure and attributes).
    pub fn emit(&self, buf: &mut Vec<u8>) {
        match self {
            XfrmMessage::NewSa(sa) | XfrmMessage::UpdateSa(sa) => sa.emit(buf),
            XfrmMessage::DeleteSa(id) | XfrmMessage::GetSa(id) => id.emit(buf),
            XfrmMessage::DumpSas(filter) => {
                if let Some(filter) = filter {
                    crate::netlink::put_attribute(
                        buf,
                        crate::attr::XFRMA_ADDRESS_FILTER,
                        &filter.to_bytes(),
                    );
                }
            }
            XfrmMessage::AllocSpi(request) => request.emit(buf),
            XfrmMessage::FlushSa(flush) => flush.emit(buf),
            XfrmMessage::NewPolicy(policy) | XfrmMessage::UpdatePolicy(policy) => policy.emit(buf),
            XfrmMessage::DeletePolicy(id) | XfrmMessage::GetPolicy(id) => id.emit(buf),
            XfrmMessage::DumpPolicies => {}
            XfrmMessage::FlushPolicy(flush) => flush.emit(buf),
            XfrmMessage::Acquire(acquire) => acquire.emit(buf),
            XfrmMessage::Expire(expire) => expire.emit(buf),
            XfrmMessage::PolicyExpire(expire) => expire.emit(buf),
            XfrmMessage::Other { body, .. } => buf.extend_from_slice(body),
        }
    }

    /// Parses a body of type `message_type`. `flags` distinguishes a dump request (`NLM_F_DUMP`) from
    /// a single `GETSA`/`GETPOLICY`; `base` is the body's offset for error messages.
    ///
    /// Never panics. Unknown message types become [`XfrmMessage::Other`].
    pub fn parse(
        message_type: u16,
        flags: u16,
        body: &[u8],
        base: usize,
    ) -> Result<Self, ParseError> {
        use message_type::*;
        let dump = flags & crate::netlink::NLM_F_DUMP == crate::netlink::NLM_F_DUMP
            && flags & crate::netlink::NLM_F_REQUEST != 0;
        Ok(match message_type {
            NEWSA => XfrmMessage::NewSa(SaSpec::parse(body, base)?),
            UPDSA => XfrmMessage::UpdateSa(SaSpec::parse(body, base)?),
            GETSA if dump => {
                let mut filter = None;
                for attribute in crate::netlink::parse_attributes(body, base)? {
                    if attribute.kind == crate::attr::XFRMA_ADDRESS_FILTER {
                        let fields = crate::codec::Fields::new(
                            attribute.payload,
                            attribute.offset,
                            AddressFilter::SIZE,
                            "xfrm_address_filter",
                        )?;
                        filter = Some(AddressFilter::parse(&fields)?);
                    }
                }
                XfrmMessage::DumpSas(filter)
            }
            GETPOLICY if dump => XfrmMessage::DumpPolicies,
            DELSA => XfrmMessage::DeleteSa(SaId::parse(body, base)?.0),
            GETSA => XfrmMessage::GetSa(SaId::parse(body, base)?.0),
            ALLOCSPI => XfrmMessage::AllocSpi(AllocSpi::parse(body, base)?),
            FLUSHSA => XfrmMessage::FlushSa(FlushSa::parse(body, base)?),
            NEWPOLICY => XfrmMessage::NewPolicy(PolicySpec::parse(body, base)?),
            UPDPOLICY => XfrmMessage::UpdatePolicy(PolicySpec::parse(body, base)?),
            DELPOLICY => XfrmMessage::DeletePolicy(PolicyId::parse(body, base)?.0),
            GETPOLICY => XfrmMessage::GetPolicy(PolicyId::parse(body, base)?.0),
            FLUSHPOLICY => XfrmMessage::FlushPolicy(FlushPolicy::parse(body, base)?),
            ACQUIRE => XfrmMessage::Acquire(Acquire::parse(body, base)?),
            EXPIRE => XfrmMessage::Expire(Expire::parse(body, base)?),
            POLEXPIRE => XfrmMessage::PolicyExpire(PolicyExpire::parse(body, base)?),
            _ => XfrmMessage::Other {
                message_type,
                body: body.to_vec(),
            },
        })
    }
}

/// The payload of one netlink message.
// Boxing the XFRM message would cost an allocation per message to save stack space in a value
// that is handled one at a time.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum Payload {
    Xfrm(XfrmMessage),
    /// `NLMSG_ERROR`: errno 0 is an acknowledgement.
    Error(ErrorMessage),
    /// `NLMSG_DONE`, with the dump's final status (0 or a negative errno).
    Done(i32),
    /// `NLMSG_NOOP`.
    Noop,
    /// Another control message, kept as bytes.
    Other(Vec<u8>),
}

/// One netlink message: header and typed payload.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct NetlinkMessage {
    /// `length` is recomputed by [`NetlinkMessage::to_bytes`].
    pub header: NetlinkHeader,
    pub payload: Payload,
}

impl NetlinkMessage {
    /// Builds a request with this sequence number, with the message type and flags that `message`
    /// calls for ([`XfrmMessage::request_flags`]) and port id 0.
    pub fn request(message: XfrmMessage, sequence: u32) -> Self {
        NetlinkMessage {
            header: NetlinkHeader {
                length: 0,
                message_type: message.message_type(),
                flags: message.request_flags(),
                sequence,
                port_id: 0,
            },
            payload: Payload::Xfrm(message),
        }
    }

    /// Serialises the message, filling in `nlmsg_len`. Never panics.
    pub fn to_bytes(&self) -> Vec<u8> {
        let header = &self.header;
        build_message(
            header.message_type,
            header.flags,
            header.sequence,
            header.port_id,
            |buf| match &self.payload {
                Payload::Xfrm(message) => message.emit(buf),
                Payload::Error(error) => error.emit(buf),
                Payload::Done(status) => buf.extend_from_slice(&status.to_ne_bytes()),
                Payload::Noop => {}
                Payload::Other(bytes) => buf.extend_from_slice(bytes),
            },
        )
    }

    /// Parses every message in a datagram. Never panics on any input.
    pub fn parse_datagram(datagram: &[u8]) -> Result<Vec<NetlinkMessage>, ParseError> {
        let mut messages = Vec::new();
        for raw in split_messages(datagram)? {
            let header = raw.header;
            let payload = match header.message_type {
                NLMSG_ERROR => Payload::Error(ErrorMessage::parse(
                    &header,
                    raw.payload,
                    raw.payload_offset,
                )?),
                NLMSG_DONE => {
                    let status = crate::codec::Fields::new(
                        raw.payload,
                        raw.payload_offset,
                        0,
                        "NLMSG_DONE",
                    )?;
                    Payload::Done(if raw.payload.len() >= 4 {
                        status.i32_ne(0)?
                    } else {
                        0
                    })
                }
                NLMSG_NOOP => Payload::Noop,
                kind if kind < 0x10 => Payload::Other(raw.payload.to_vec()),
                kind => Payload::Xfrm(XfrmMessage::parse(
                    kind,
                    header.flags,
                    raw.payload,
                    raw.payload_offset,
                )?),
            };
            messages.push(NetlinkMessage { header, payload });
        }
        Ok(messages)
    }
}
