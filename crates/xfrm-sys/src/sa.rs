//! SAs: `struct xfrm_usersa_info` and its attributes, the body of `XFRM_MSG_NEWSA`,
//! `XFRM_MSG_UPDSA`, the kernel's replies to `GETSA` and `ALLOCSPI`, and SA dumps.

use std::net::IpAddr;

use crate::algorithm::{AeadAlgorithm, Algorithm, AuthAlgorithm};
use crate::attr::*;
use crate::codec::{pad_to, put_u16_ne, put_u32_ne, Fields};
use crate::error::ParseError;
use crate::netlink::{parse_attributes, put_attribute, put_u32_attribute, RawAttribute};
use crate::types::{
    family_of, parse_mark_attribute, parse_u32_attribute, AddressFamily, Encap, IpProtocol,
    LifetimeConfig, LifetimeCurrent, Mark, Mode, ReplayEsn, ReplayState, SaFlags, Selector, Stats,
    XfrmAddress, XfrmId,
};

/// An SA as the kernel stores it: `struct xfrm_usersa_info` plus the attributes this crate
/// models. Attributes it does not model are kept in `other_attributes`.
///
/// Requests leave `current` and `stats` zero; the kernel fills them in its replies.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct SaSpec {
    /// The traffic the SA may carry (zero: any, which `ip xfrm` sends by default).
    pub selector: Selector,
    /// Destination address, SPI and protocol.
    pub id: XfrmId,
    /// Source address (the tunnel's local end in tunnel mode).
    pub saddr: XfrmAddress,
    pub lifetime: LifetimeConfig,
    pub current: LifetimeCurrent,
    pub stats: Stats,
    /// The sequence number of the `XFRM_MSG_ACQUIRE` this SA responds to, or 0.
    pub seq: u32,
    /// Links the SA to policy templates with the same reqid.
    pub reqid: u32,
    pub family: AddressFamily,
    pub mode: Mode,
    /// Anti-replay window in packets, at most 32 without ESN (0 turns anti-replay off).
    pub replay_window: u8,
    pub flags: SaFlags,
    /// `XFRMA_ENCAP`: ESP in UDP (NAT traversal).
    pub encap: Option<Encap>,
    /// `XFRMA_ALG_AEAD`.
    pub aead: Option<AeadAlgorithm>,
    /// `XFRMA_ALG_CRYPT`.
    pub encryption: Option<Algorithm>,
    /// `XFRMA_ALG_AUTH_TRUNC` or `XFRMA_ALG_AUTH`. Dumps carry both for one SA, and the parser
    /// keeps the truncated form.
    pub authentication: Option<AuthAlgorithm>,
    /// `XFRMA_ALG_COMP`.
    pub compression: Option<Algorithm>,
    /// `XFRMA_REPLAY_VAL`.
    pub replay_state: Option<ReplayState>,
    /// `XFRMA_REPLAY_ESN_VAL`, needed with [`SaFlags::ESN`] or a window over 255 packets.
    pub replay_esn: Option<ReplayEsn>,
    /// `XFRMA_SA_EXTRA_FLAGS` ([`crate::SaExtraFlags`] bits).
    pub extra_flags: Option<u32>,
    /// `XFRMA_MARK`.
    pub mark: Option<Mark>,
    /// `XFRMA_IF_ID`: the xfrm interface the SA belongs to.
    pub if_id: Option<u32>,
    /// `XFRMA_TFCPAD`: traffic flow confidentiality padding, in bytes.
    pub tfc_pad: Option<u32>,
    /// `XFRMA_SET_MARK`: the mark set on packets after the transform (`ip xfrm ... output-mark`).
    pub output_mark: Option<u32>,
    /// `XFRMA_SET_MARK_MASK`.
    pub output_mark_mask: Option<u32>,
    /// Attributes the crate does not model, in the order received; emitted after the others.
    pub other_attributes: Vec<RawAttribute>,
}

impl SaSpec {
    /// Size of `struct xfrm_usersa_info`.
    pub const SIZE: usize = 224;

    /// An SA from `src` to `dst` with no algorithms yet, unlimited lifetimes and a zero
    /// selector, as `ip xfrm state add src SRC dst DST proto PROTO spi SPI mode MODE` builds it.
    pub fn new(src: IpAddr, dst: IpAddr, proto: IpProtocol, spi: u32, mode: Mode) -> Self {
        SaSpec {
            selector: Selector::default(),
            id: XfrmId {
                daddr: dst.into(),
                spi,
                proto,
            },
            saddr: src.into(),
            lifetime: LifetimeConfig::default(),
            current: LifetimeCurrent::default(),
            stats: Stats::default(),
            seq: 0,
            reqid: 0,
            family: family_of(dst),
            mode,
            replay_window: 0,
            flags: SaFlags::default(),
            encap: None,
            aead: None,
            encryption: None,
            authentication: None,
            compression: None,
            replay_state: None,
            replay_esn: None,
            extra_flags: None,
            mark: None,
            if_id: None,
            tfc_pad: None,
            output_mark: None,
            output_mark_mask: None,
            other_attributes: Vec::new(),
        }
    }

    /// Returns the key that names this SA for [`crate::XfrmSocket::get_sa`] and `delete_sa`.
    pub fn sa_id(&self) -> crate::SaId {
        crate::SaId {
            daddr: self.id.daddr,
            spi: self.id.spi,
            family: self.family,
            proto: self.id.proto,
            saddr: Some(self.saddr),
            mark: self.mark,
            if_id: None,
        }
    }

    /// Parses `struct xfrm_usersa_info` and the attributes after it. `base` is the offset of
    /// `bytes` in the datagram, for error messages.
    pub fn parse(bytes: &[u8], base: usize) -> Result<Self, ParseError> {
        let fields = Fields::new(bytes, base, Self::SIZE, "xfrm_usersa_info")?;
        let mut sa = Self::parse_info(&fields)?;
        sa.parse_attributes(fields.rest(Self::SIZE), base + Self::SIZE)?;
        Ok(sa)
    }

    /// Parses the fixed part only.
    pub(crate) fn parse_info(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let stats = fields.sub(192, 12, "xfrm_stats")?;
        Ok(SaSpec {
            selector: Selector::parse(&fields.sub(0, Selector::SIZE, "xfrm_selector")?)?,
            id: XfrmId::parse(&fields.sub(56, XfrmId::SIZE, "xfrm_id")?)?,
            saddr: XfrmAddress::parse(fields, 80)?,
            lifetime: LifetimeConfig::parse(&fields.sub(
                96,
                LifetimeConfig::SIZE,
                "xfrm_lifetime_cfg",
            )?)?,
            current: LifetimeCurrent::parse(&fields.sub(
                160,
                LifetimeCurrent::SIZE,
                "xfrm_lifetime_cur",
            )?)?,
            stats: Stats {
                replay_window: stats.u32_ne(0)?,
                replay: stats.u32_ne(4)?,
                integrity_failed: stats.u32_ne(8)?,
            },
            seq: fields.u32_ne(204)?,
            reqid: fields.u32_ne(208)?,
            family: AddressFamily(fields.u16_ne(212)?),
            mode: Mode(fields.u8(214)?),
            replay_window: fields.u8(215)?,
            flags: SaFlags(fields.u8(216)?),
            ..SaSpec::new(
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                IpProtocol::ANY,
                0,
                Mode::TRANSPORT,
            )
        })
    }

    pub(crate) fn parse_attributes(&mut self, bytes: &[u8], base: usize) -> Result<(), ParseError> {
        for attribute in parse_attributes(bytes, base)? {
            let fields = Fields::new(attribute.payload, attribute.offset, 0, "XFRM attribute")?;
            let offset = attribute.offset;
            let parse_u32 = |what| parse_u32_attribute(attribute.payload, offset, what);
            match attribute.kind {
                XFRMA_ENCAP => {
                    self.encap = Some(Encap::parse(&fields.sub(
                        0,
                        Encap::SIZE,
                        "xfrm_encap_tmpl",
                    )?)?)
                }
                XFRMA_ALG_AEAD => self.aead = Some(AeadAlgorithm::parse(&fields)?),
                XFRMA_ALG_CRYPT => self.encryption = Some(Algorithm::parse(&fields)?),
                XFRMA_ALG_AUTH_TRUNC => {
                    self.authentication = Some(AuthAlgorithm::parse_truncated(&fields)?)
                }
                XFRMA_ALG_AUTH => {
                    let untruncated = AuthAlgorithm::parse_untruncated(&fields)?;
                    let has_truncated = self
                        .authentication
                        .as_ref()
                        .is_some_and(|auth| auth.truncation_bits.is_some());
                    if !has_truncated {
                        self.authentication = Some(untruncated);
                    }
                }
                XFRMA_ALG_COMP => self.compression = Some(Algorithm::parse(&fields)?),
                XFRMA_REPLAY_VAL => {
                    self.replay_state = Some(ReplayState::parse(&fields.sub(
                        0,
                        ReplayState::SIZE,
                        "xfrm_replay_state",
                    )?)?)
                }
                XFRMA_REPLAY_ESN_VAL => {
                    self.replay_esn = Some(ReplayEsn::parse(&fields.sub(
                        0,
                        ReplayEsn::HEADER_SIZE,
                        "xfrm_replay_state_esn",
                    )?)?)
                }
                XFRMA_SA_EXTRA_FLAGS => self.extra_flags = Some(parse_u32("XFRMA_SA_EXTRA_FLAGS")?),
                XFRMA_MARK => self.mark = Some(parse_mark_attribute(attribute.payload, offset)?),
                XFRMA_IF_ID => self.if_id = Some(parse_u32("XFRMA_IF_ID")?),
                XFRMA_TFCPAD => self.tfc_pad = Some(parse_u32("XFRMA_TFCPAD")?),
                XFRMA_SET_MARK => self.output_mark = Some(parse_u32("XFRMA_SET_MARK")?),
                XFRMA_SET_MARK_MASK => {
                    self.output_mark_mask = Some(parse_u32("XFRMA_SET_MARK_MASK")?)
                }
                _ => self.other_attributes.push(attribute.to_raw()),
            }
        }
        Ok(())
    }

    /// Appends `struct xfrm_usersa_info`.
    pub(crate) fn emit_info(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.selector.emit(buf);
        self.id.emit(buf);
        self.saddr.emit(buf);
        self.lifetime.emit(buf);
        self.current.emit(buf);
        put_u32_ne(buf, self.stats.replay_window);
        put_u32_ne(buf, self.stats.replay);
        put_u32_ne(buf, self.stats.integrity_failed);
        put_u32_ne(buf, self.seq);
        put_u32_ne(buf, self.reqid);
        put_u16_ne(buf, self.family.0);
        buf.push(self.mode.0);
        buf.push(self.replay_window);
        buf.push(self.flags.0);
        pad_to(buf, start, Self::SIZE);
    }

    /// Appends the attributes in the order `ip xfrm state add` (iproute2 6.1) sends them when
    /// its arguments come in the order encap, aead/enc/auth/comp: the encapsulation and
    /// algorithms first, then replay state, extra flags, mark, if_id, TFC padding and output
    /// mark.
    pub(crate) fn emit_attributes(&self, buf: &mut Vec<u8>) {
        if let Some(encap) = &self.encap {
            put_attribute(buf, XFRMA_ENCAP, &encap.to_bytes());
        }
        if let Some(aead) = &self.aead {
            put_attribute(buf, XFRMA_ALG_AEAD, &aead.to_bytes());
        }
        if let Some(encryption) = &self.encryption {
            put_attribute(buf, XFRMA_ALG_CRYPT, &encryption.to_bytes());
        }
        if let Some(authentication) = &self.authentication {
            let kind = if authentication.truncation_bits.is_some() {
                XFRMA_ALG_AUTH_TRUNC
            } else {
                XFRMA_ALG_AUTH
            };
            put_attribute(buf, kind, &authentication.to_bytes());
        }
        if let Some(compression) = &self.compression {
            put_attribute(buf, XFRMA_ALG_COMP, &compression.to_bytes());
        }
        if let Some(replay_esn) = &self.replay_esn {
            put_attribute(buf, XFRMA_REPLAY_ESN_VAL, &replay_esn.to_bytes());
        }
        if let Some(replay_state) = &self.replay_state {
            put_attribute(buf, XFRMA_REPLAY_VAL, &replay_state.to_bytes());
        }
        put_u32_attribute(buf, XFRMA_SA_EXTRA_FLAGS, self.extra_flags);
        if let Some(mark) = self.mark {
            put_attribute(buf, XFRMA_MARK, &mark.to_bytes());
        }
        put_u32_attribute(buf, XFRMA_IF_ID, self.if_id);
        put_u32_attribute(buf, XFRMA_TFCPAD, self.tfc_pad);
        put_u32_attribute(buf, XFRMA_SET_MARK, self.output_mark);
        put_u32_attribute(buf, XFRMA_SET_MARK_MASK, self.output_mark_mask);
        for attribute in &self.other_attributes {
            put_attribute(buf, attribute.kind, &attribute.payload);
        }
    }

    /// Appends the whole body: `struct xfrm_usersa_info` and the attributes.
    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        self.emit_info(buf);
        self.emit_attributes(buf);
    }
}
