//! Policies: `struct xfrm_userpolicy_info` with its templates (`struct xfrm_user_tmpl` in
//! `XFRMA_TMPL`), the body of `XFRM_MSG_NEWPOLICY`, `XFRM_MSG_UPDPOLICY` and policy dumps.

use std::net::IpAddr;

use crate::attr::{XFRMA_IF_ID, XFRMA_MARK, XFRMA_POLICY_TYPE, XFRMA_TMPL};
use crate::codec::{pad_to, put_u16_ne, put_u32_ne, Fields};
use crate::error::ParseError;
use crate::netlink::{parse_attributes, put_attribute, put_u32_attribute, RawAttribute};
use crate::types::{
    family_of, parse_mark_attribute, parse_u32_attribute, AddressFamily, Direction, IpProtocol,
    LifetimeConfig, LifetimeCurrent, Mark, Mode, PolicyAction, PolicyFlags, PolicyType, Selector,
    Share, XfrmAddress, XfrmId,
};

/// Maximum number of templates in one policy: the kernel's `XFRM_MAX_DEPTH`.
pub const MAX_TEMPLATES: usize = 6;

/// `struct xfrm_user_tmpl`: one transform a policy requires (for example ESP in tunnel mode
/// between two gateways).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Template {
    /// Tunnel destination (zero in transport mode), SPI (0: any) and protocol.
    pub id: XfrmId,
    pub family: AddressFamily,
    /// Tunnel source (zero in transport mode).
    pub saddr: XfrmAddress,
    /// Matches SAs with this reqid; 0 matches any.
    pub reqid: u32,
    pub mode: Mode,
    pub share: Share,
    /// 1 when the transform may be skipped (`ip xfrm ... level use`).
    pub optional: u8,
    /// Bit masks of acceptable SADB algorithm numbers; all ones accepts any.
    pub aalgos: u32,
    pub ealgos: u32,
    pub calgos: u32,
}

impl Template {
    /// Size of `struct xfrm_user_tmpl`.
    pub const SIZE: usize = 64;

    /// Builds a transport-mode template for `proto` in `family`, as `ip xfrm policy ... tmpl proto
    /// PROTO mode transport` builds it (with the family of the policy's addresses).
    pub fn transport(proto: IpProtocol, family: AddressFamily) -> Self {
        Template {
            id: XfrmId {
                daddr: XfrmAddress::default(),
                spi: 0,
                proto,
            },
            family,
            saddr: XfrmAddress::default(),
            reqid: 0,
            mode: Mode::TRANSPORT,
            share: Share::ANY,
            optional: 0,
            aalgos: u32::MAX,
            ealgos: u32::MAX,
            calgos: u32::MAX,
        }
    }

    /// Builds a tunnel-mode template between the gateways `src` and `dst`.
    pub fn tunnel(proto: IpProtocol, src: IpAddr, dst: IpAddr) -> Self {
        let mut template = Template::transport(proto, family_of(dst));
        template.id.daddr = dst.into();
        template.saddr = src.into();
        template.family = family_of(dst);
        template.mode = Mode::TUNNEL;
        template
    }

    /// Sets the reqid that links the template to its SAs.
    pub fn with_reqid(mut self, reqid: u32) -> Self {
        self.reqid = reqid;
        self
    }

    fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(Template {
            id: XfrmId::parse(&fields.sub(0, XfrmId::SIZE, "xfrm_id")?)?,
            family: AddressFamily(fields.u16_ne(24)?),
            saddr: XfrmAddress::parse(fields, 28)?,
            reqid: fields.u32_ne(44)?,
            mode: Mode(fields.u8(48)?),
            share: Share(fields.u8(49)?),
            optional: fields.u8(50)?,
            aalgos: fields.u32_ne(52)?,
            ealgos: fields.u32_ne(56)?,
            calgos: fields.u32_ne(60)?,
        })
    }

    fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.id.emit(buf);
        put_u16_ne(buf, self.family.0);
        pad_to(buf, start, 28);
        self.saddr.emit(buf);
        put_u32_ne(buf, self.reqid);
        buf.push(self.mode.0);
        buf.push(self.share.0);
        buf.push(self.optional);
        pad_to(buf, start, 52);
        put_u32_ne(buf, self.aalgos);
        put_u32_ne(buf, self.ealgos);
        put_u32_ne(buf, self.calgos);
    }
}

/// Parses the payload of `XFRMA_TMPL`: whole templates back to back.
pub(crate) fn parse_templates(payload: &[u8], base: usize) -> Result<Vec<Template>, ParseError> {
    let count = payload.len() / Template::SIZE;
    if count > MAX_TEMPLATES {
        return Err(ParseError::TooManyTemplates {
            offset: base,
            count,
            max: MAX_TEMPLATES,
        });
    }
    if !payload.len().is_multiple_of(Template::SIZE) {
        return Err(ParseError::InvalidLength {
            what: "XFRMA_TMPL",
            offset: base,
            length: payload.len(),
            min: 0,
            max: MAX_TEMPLATES * Template::SIZE,
        });
    }
    let fields = Fields::new(payload, base, 0, "XFRMA_TMPL")?;
    (0..count)
        .map(|index| {
            Template::parse(&fields.sub(
                index * Template::SIZE,
                Template::SIZE,
                "xfrm_user_tmpl",
            )?)
        })
        .collect()
}

pub(crate) fn templates_bytes(templates: &[Template]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(templates.len() * Template::SIZE);
    for template in templates {
        template.emit(&mut buf);
    }
    buf
}

/// `struct xfrm_userpolicy_type`: a type byte and three reserved bytes (6 bytes with padding).
pub(crate) fn policy_type_bytes(policy_type: PolicyType) -> [u8; 6] {
    [policy_type.0, 0, 0, 0, 0, 0]
}

pub(crate) fn parse_policy_type(payload: &[u8], base: usize) -> Result<PolicyType, ParseError> {
    Ok(PolicyType(
        Fields::new(payload, base, 6, "xfrm_userpolicy_type")?.u8(0)?,
    ))
}

/// A policy as the kernel stores it: `struct xfrm_userpolicy_info`, its templates and the
/// attributes this crate models.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct PolicySpec {
    pub selector: Selector,
    pub lifetime: LifetimeConfig,
    /// Zero in requests; the kernel fills it in replies.
    pub current: LifetimeCurrent,
    /// Lower values win.
    pub priority: u32,
    /// 0 in requests lets the kernel choose; replies carry the kernel's index.
    pub index: u32,
    pub direction: Direction,
    pub action: PolicyAction,
    pub flags: PolicyFlags,
    pub share: Share,
    /// `XFRMA_POLICY_TYPE`.
    pub policy_type: Option<PolicyType>,
    /// `XFRMA_TMPL`, at most [`MAX_TEMPLATES`]; empty for a policy without transforms.
    pub templates: Vec<Template>,
    /// `XFRMA_MARK`.
    pub mark: Option<Mark>,
    /// `XFRMA_IF_ID`.
    pub if_id: Option<u32>,
    /// Attributes the crate does not model, emitted after the others.
    pub other_attributes: Vec<RawAttribute>,
}

impl PolicySpec {
    /// Size of `struct xfrm_userpolicy_info`.
    pub const SIZE: usize = 168;

    /// Builds an allow policy for `selector` in `direction` with no templates and unlimited
    /// lifetimes, as `ip xfrm policy add SELECTOR dir DIR` builds it.
    pub fn new(selector: Selector, direction: Direction) -> Self {
        PolicySpec {
            selector,
            lifetime: LifetimeConfig::default(),
            current: LifetimeCurrent::default(),
            priority: 0,
            index: 0,
            direction,
            action: PolicyAction::ALLOW,
            flags: PolicyFlags::default(),
            share: Share::ANY,
            policy_type: None,
            templates: Vec::new(),
            mark: None,
            if_id: None,
            other_attributes: Vec::new(),
        }
    }

    /// Returns the key that names this policy for [`crate::XfrmSocket::delete_policy`] and
    /// `get_policy`: selector, direction, type, mark and interface id.
    pub fn policy_id(&self) -> crate::PolicyId {
        crate::PolicyId {
            selector: self.selector,
            index: 0,
            direction: self.direction,
            policy_type: self.policy_type,
            mark: self.mark,
            if_id: self.if_id,
        }
    }

    /// Parses `struct xfrm_userpolicy_info` and the attributes after it.
    pub fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_userpolicy_info")?;
        let mut policy = Self::parse_info(&fields)?;
        policy.parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)?;
        Ok(policy)
    }

    pub(crate) fn parse_info(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let mut policy = PolicySpec::new(
            Selector::parse(&fields.sub(0, Selector::SIZE, "xfrm_selector")?)?,
            Direction(fields.u8(160)?),
        );
        policy.lifetime =
            LifetimeConfig::parse(&fields.sub(56, LifetimeConfig::SIZE, "xfrm_lifetime_cfg")?)?;
        policy.current = LifetimeCurrent::parse(&fields.sub(
            120,
            LifetimeCurrent::SIZE,
            "xfrm_lifetime_cur",
        )?)?;
        policy.priority = fields.u32_ne(152)?;
        policy.index = fields.u32_ne(156)?;
        policy.action = PolicyAction(fields.u8(161)?);
        policy.flags = PolicyFlags(fields.u8(162)?);
        policy.share = Share(fields.u8(163)?);
        Ok(policy)
    }

    pub(crate) fn parse_attributes(&mut self, bytes: &[u8], base: usize) -> Result<(), ParseError> {
        for attribute in parse_attributes(bytes, base)? {
            let offset = attribute.offset;
            match attribute.kind {
                XFRMA_POLICY_TYPE => {
                    self.policy_type = Some(parse_policy_type(attribute.payload, offset)?)
                }
                XFRMA_TMPL => self.templates = parse_templates(attribute.payload, offset)?,
                XFRMA_MARK => self.mark = Some(parse_mark_attribute(attribute.payload, offset)?),
                XFRMA_IF_ID => {
                    self.if_id = Some(parse_u32_attribute(
                        attribute.payload,
                        offset,
                        "XFRMA_IF_ID",
                    )?)
                }
                _ => self.other_attributes.push(attribute.to_raw()),
            }
        }
        Ok(())
    }

    pub(crate) fn emit_info(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.selector.emit(buf);
        self.lifetime.emit(buf);
        self.current.emit(buf);
        put_u32_ne(buf, self.priority);
        put_u32_ne(buf, self.index);
        buf.push(self.direction.0);
        buf.push(self.action.0);
        buf.push(self.flags.0);
        buf.push(self.share.0);
        pad_to(buf, start, Self::SIZE);
    }

    /// Appends the attributes in the order `ip xfrm policy add` (iproute2 6.1) sends them:
    /// policy type, templates, mark, if_id.
    pub(crate) fn emit_attributes(&self, buf: &mut Vec<u8>) {
        if let Some(policy_type) = self.policy_type {
            put_attribute(buf, XFRMA_POLICY_TYPE, &policy_type_bytes(policy_type));
        }
        if !self.templates.is_empty() {
            put_attribute(buf, XFRMA_TMPL, &templates_bytes(&self.templates));
        }
        if let Some(mark) = self.mark {
            put_attribute(buf, XFRMA_MARK, &mark.to_bytes());
        }
        put_u32_attribute(buf, XFRMA_IF_ID, self.if_id);
        for attribute in &self.other_attributes {
            put_attribute(buf, attribute.kind, &attribute.payload);
        }
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        self.emit_info(buf);
        self.emit_attributes(buf);
    }
}

/// The key of a policy: `struct xfrm_userpolicy_id` (selector or index, and direction) for
/// `XFRM_MSG_DELPOLICY` and `XFRM_MSG_GETPOLICY`, with type, mark and interface id.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct PolicyId {
    pub selector: Selector,
    /// When non-zero the kernel looks the policy up by index and ignores the selector.
    pub index: u32,
    pub direction: Direction,
    /// `XFRMA_POLICY_TYPE`.
    pub policy_type: Option<PolicyType>,
    /// `XFRMA_MARK`.
    pub mark: Option<Mark>,
    /// `XFRMA_IF_ID`.
    pub if_id: Option<u32>,
}

impl PolicyId {
    /// Size of `struct xfrm_userpolicy_id`.
    pub const SIZE: usize = 64;

    /// Names the main policy with this selector and direction.
    pub fn new(selector: Selector, direction: Direction) -> Self {
        PolicyId {
            selector,
            index: 0,
            direction,
            policy_type: None,
            mark: None,
            if_id: None,
        }
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.selector.emit(buf);
        put_u32_ne(buf, self.index);
        buf.push(self.direction.0);
        pad_to(buf, start, Self::SIZE);

        if let Some(policy_type) = self.policy_type {
            put_attribute(buf, XFRMA_POLICY_TYPE, &policy_type_bytes(policy_type));
        }
        if let Some(mark) = self.mark {
            put_attribute(buf, XFRMA_MARK, &mark.to_bytes());
        }
        put_u32_attribute(buf, XFRMA_IF_ID, self.if_id);
    }

    pub(crate) fn parse(
        bytes: &[u8],
        base: usize,
    ) -> Result<(Self, Vec<RawAttribute>), ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_userpolicy_id")?;
        let mut id = PolicyId::new(
            Selector::parse(&fields.sub(0, Selector::SIZE, "xfrm_selector")?)?,
            Direction(fields.u8(60)?),
        );
        id.index = fields.u32_ne(56)?;
        let mut other = Vec::new();
        for attribute in parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)? {
            let offset = attribute.offset;
            match attribute.kind {
                XFRMA_POLICY_TYPE => {
                    id.policy_type = Some(parse_policy_type(attribute.payload, offset)?)
                }
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
