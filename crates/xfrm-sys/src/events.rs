//! Kernel events: `struct xfrm_user_acquire` (`XFRM_MSG_ACQUIRE`: a policy needs an SA that
//! does not exist), `struct xfrm_user_expire` (`XFRM_MSG_EXPIRE`: an SA reached a soft or hard
//! limit) and `struct xfrm_user_polexpire` (`XFRM_MSG_POLEXPIRE`).

use crate::attr::XFRMA_TMPL;
use crate::codec::{pad_to, put_u32_ne, Fields};
use crate::error::ParseError;
use crate::netlink::put_attribute;
use crate::policy::{templates_bytes, PolicySpec, Template};
use crate::sa::SaSpec;
use crate::types::{Selector, XfrmAddress, XfrmId};

/// `XFRM_MSG_ACQUIRE`: traffic matched `policy`, whose template asks for an SA that does not
/// exist. A key manager negotiates one and installs it with `seq` set to this `seq`.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Acquire {
    /// Destination and protocol of the SA wanted (SPI 0).
    pub id: XfrmId,
    pub saddr: XfrmAddress,
    /// The packet's selector.
    pub selector: Selector,
    /// The policy that triggered, with the message's templates and other attributes parsed
    /// into it.
    pub policy: PolicySpec,
    pub aalgos: u32,
    pub ealgos: u32,
    pub calgos: u32,
    pub seq: u32,
}

impl Acquire {
    /// Size of `struct xfrm_user_acquire`.
    pub const SIZE: usize = 280;

    /// The templates of the triggering policy (`XFRMA_TMPL`).
    pub fn templates(&self) -> &[Template] {
        &self.policy.templates
    }

    pub(crate) fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_user_acquire")?;
        let mut policy =
            PolicySpec::parse_info(&fields.sub(96, PolicySpec::SIZE, "xfrm_userpolicy_info")?)?;
        policy.parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)?;
        Ok(Acquire {
            id: XfrmId::parse(&fields.sub(0, XfrmId::SIZE, "xfrm_id")?)?,
            saddr: XfrmAddress::parse(&fields, 24)?,
            selector: Selector::parse(&fields.sub(40, Selector::SIZE, "xfrm_selector")?)?,
            policy,
            aalgos: fields.u32_ne(264)?,
            ealgos: fields.u32_ne(268)?,
            calgos: fields.u32_ne(272)?,
            seq: fields.u32_ne(276)?,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.id.emit(buf);
        self.saddr.emit(buf);
        self.selector.emit(buf);
        self.policy.emit_info(buf);
        put_u32_ne(buf, self.aalgos);
        put_u32_ne(buf, self.ealgos);
        put_u32_ne(buf, self.calgos);
        put_u32_ne(buf, self.seq);
        pad_to(buf, start, Self::SIZE);
        if !self.policy.templates.is_empty() {
            put_attribute(buf, XFRMA_TMPL, &templates_bytes(&self.policy.templates));
        }
        let mut rest = self.policy.clone();
        rest.templates.clear();
        rest.emit_attributes(buf);
    }
}

/// `XFRM_MSG_EXPIRE`: an SA reached a soft limit (`hard` false: renegotiate) or a hard limit
/// (`hard` true: the kernel deleted it).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct Expire {
    /// The SA, with its current counters and attributes.
    pub state: SaSpec,
    pub hard: bool,
}

impl Expire {
    /// Size of `struct xfrm_user_expire`.
    pub const SIZE: usize = SaSpec::SIZE + 8;

    pub(crate) fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_user_expire")?;
        let mut state = SaSpec::parse_info(&fields)?;
        state.parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)?;
        Ok(Expire {
            state,
            hard: fields.u8(SaSpec::SIZE)? != 0,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.state.emit_info(buf);
        buf.push(u8::from(self.hard));
        pad_to(buf, start, Self::SIZE);
        self.state.emit_attributes(buf);
    }
}

/// `XFRM_MSG_POLEXPIRE`: a policy reached a soft or hard lifetime.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct PolicyExpire {
    pub policy: PolicySpec,
    pub hard: bool,
}

impl PolicyExpire {
    /// Size of `struct xfrm_user_polexpire`.
    pub const SIZE: usize = PolicySpec::SIZE + 8;

    pub(crate) fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_user_polexpire")?;
        let mut policy = PolicySpec::parse_info(&fields)?;
        policy.parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)?;
        Ok(PolicyExpire {
            policy,
            hard: fields.u8(PolicySpec::SIZE)? != 0,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.policy.emit_info(buf);
        buf.push(u8::from(self.hard));
        pad_to(buf, start, Self::SIZE);
        self.policy.emit_attributes(buf);
    }
}
