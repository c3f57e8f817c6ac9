//! SA keys: `struct xfrm_usersa_id`, the body of `XFRM_MSG_DELSA` and `XFRM_MSG_GETSA`.

use std::net::IpAddr;

use crate::attr::{XFRMA_IF_ID, XFRMA_MARK, XFRMA_SRCADDR};
use crate::codec::{pad_to, put_u16_ne, put_u32_be, Fields};
use crate::error::ParseError;
use crate::netlink::{parse_attributes, put_attribute, put_u32_attribute, RawAttribute};
use crate::types::{
    family_of, parse_mark_attribute, parse_u32_attribute, AddressFamily, IpProtocol, Mark,
    XfrmAddress,
};

/// The key of an SA: destination, SPI, family and protocol, optionally narrowed by source
/// address (`XFRMA_SRCADDR`), mark and xfrm interface id.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct SaId {
    pub daddr: XfrmAddress,
    /// Host order.
    pub spi: u32,
    pub family: AddressFamily,
    pub proto: IpProtocol,
    /// `XFRMA_SRCADDR`.
    pub saddr: Option<XfrmAddress>,
    /// `XFRMA_MARK`: needed to name an SA that was added with a mark.
    pub mark: Option<Mark>,
    /// `XFRMA_IF_ID`.
    pub if_id: Option<u32>,
}

impl SaId {
    /// Size of `struct xfrm_usersa_id`.
    pub const SIZE: usize = 24;

    /// Names the SA `src -> dst` with this protocol and SPI, as `ip xfrm state delete src SRC
    /// dst DST proto PROTO spi SPI` does.
    pub fn new(src: IpAddr, dst: IpAddr, proto: IpProtocol, spi: u32) -> Self {
        SaId {
            daddr: dst.into(),
            spi,
            family: family_of(dst),
            proto,
            saddr: Some(src.into()),
            mark: None,
            if_id: None,
        }
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.daddr.emit(buf);
        put_u32_be(buf, self.spi);
        put_u16_ne(buf, self.family.0);
        buf.push(self.proto.0);
        pad_to(buf, start, Self::SIZE);

        if let Some(saddr) = self.saddr {
            put_attribute(buf, XFRMA_SRCADDR, &saddr.0);
        }
        if let Some(mark) = self.mark {
            put_attribute(buf, XFRMA_MARK, &mark.to_bytes());
        }
        put_u32_attribute(buf, XFRMA_IF_ID, self.if_id);
    }

    /// Parses the body; attributes other than the three modelled ones are returned apart.
    pub(crate) fn parse(
        bytes: &[u8],
        base: usize,
    ) -> Result<(Self, Vec<RawAttribute>), ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_usersa_id")?;
        let mut id = SaId {
            daddr: XfrmAddress::parse(&fields, 0)?,
            spi: fields.u32_be(16)?,
            family: AddressFamily(fields.u16_ne(20)?),
            proto: IpProtocol(fields.u8(22)?),
            saddr: None,
            mark: None,
            if_id: None,
        };
        let mut other = Vec::new();
        for attribute in parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)? {
            let offset = attribute.offset;
            let attribute_fields = Fields::new(attribute.payload, offset, 0, "XFRM attribute")?;
            match attribute.kind {
                XFRMA_SRCADDR => id.saddr = Some(XfrmAddress::parse(&attribute_fields, 0)?),
                XFRMA_MARK => id.mark = Some(parse_mark_attribute(attribute.payload, offset)?),
                XFRMA_IF_ID => {
                    id.if_id = Some(parse_u32_attribute(
                        attribute.payload,
                        offset,
                        "XFRMA_IF_ID",
                    )?)
                }
                _ => other.push(attribute.to_raw()),
            }
        }
        Ok((id, other))
    }
}
