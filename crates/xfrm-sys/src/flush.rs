//! Flushes: `struct xfrm_usersa_flush` (`XFRM_MSG_FLUSHSA`) and the empty body of
//! `XFRM_MSG_FLUSHPOLICY` with its optional `XFRMA_POLICY_TYPE`.

use crate::attr::XFRMA_POLICY_TYPE;
use crate::codec::Fields;
use crate::error::ParseError;
use crate::netlink::{parse_attributes, put_attribute};
use crate::policy::parse_policy_type;
use crate::types::{IpProtocol, PolicyType};

/// Deletes every SA of one protocol; [`IpProtocol::ANY`] (0) deletes all of them.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FlushSa {
    pub proto: IpProtocol,
}

impl FlushSa {
    /// Size of `struct xfrm_usersa_flush` (one byte, sent unpadded as `ip xfrm` does).
    pub const SIZE: usize = 1;

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        buf.push(self.proto.0);
    }

    pub(crate) fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_usersa_flush")?;
        Ok(FlushSa {
            proto: IpProtocol(fields.u8(0)?),
        })
    }
}

/// Deletes every policy, or every policy of one type.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct FlushPolicy {
    /// `XFRMA_POLICY_TYPE`; `None` flushes the main policies.
    pub policy_type: Option<PolicyType>,
}

impl FlushPolicy {
    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        if let Some(policy_type) = self.policy_type {
            put_attribute(
                buf,
                XFRMA_POLICY_TYPE,
                &crate::policy::policy_type_bytes(policy_type),
            );
        }
    }

    pub(crate) fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let mut flush = FlushPolicy::default();
        for attribute in parse_attributes(bytes, base)? {
            if attribute.kind == XFRMA_POLICY_TYPE {
                flush.policy_type = Some(parse_policy_type(attribute.payload, attribute.offset)?);
            }
        }
        Ok(flush)
    }
}
