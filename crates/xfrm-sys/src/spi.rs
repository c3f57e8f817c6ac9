//! SPI allocation: `struct xfrm_userspi_info`, the body of `XFRM_MSG_ALLOCSPI`.

use std::net::IpAddr;

use crate::codec::{put_u32_ne, Fields};
use crate::error::ParseError;
use crate::sa::SaSpec;
use crate::types::{IpProtocol, LifetimeConfig, Mode};

/// A request for a free SPI in `min..=max`. The kernel creates a larval SA (state ACQ) with
/// that SPI, which a later `update_sa` completes.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct AllocSpi {
    /// The larval SA: addresses, protocol, mode, reqid, seq, mark. Its SPI is ignored.
    pub info: SaSpec,
    /// Lowest acceptable SPI, host order.
    pub min: u32,
    /// Highest acceptable SPI, host order.
    pub max: u32,
}

impl AllocSpi {
    /// Size of `struct xfrm_userspi_info`.
    pub const SIZE: usize = SaSpec::SIZE + 8;

    /// As `ip xfrm state allocspi src SRC dst DST proto PROTO min MIN max MAX` builds it: zero
    /// lifetimes, transport mode.
    pub fn new(src: IpAddr, dst: IpAddr, proto: IpProtocol, min: u32, max: u32) -> Self {
        let mut info = SaSpec::new(src, dst, proto, 0, Mode::TRANSPORT);
        info.lifetime = LifetimeConfig::ZERO;
        AllocSpi { info, min, max }
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        self.info.emit_info(buf);
        put_u32_ne(buf, self.min);
        put_u32_ne(buf, self.max);
        self.info.emit_attributes(buf);
    }

    pub(crate) fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_userspi_info")?;
        let mut info = SaSpec::parse_info(&fields)?;
        info.parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)?;
        Ok(AllocSpi {
            info,
            min: fields.u32_ne(SaSpec::SIZE)?,
            max: fields.u32_ne(SaSpec::SIZE + 4)?,
        })
    }
}
