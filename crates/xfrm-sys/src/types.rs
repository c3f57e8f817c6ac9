//! Structures shared by several XFRM messages (`linux/xfrm.h`): addresses, selectors, SA ids,
//! lifetimes, marks, UDP encapsulation and replay state, plus the open enums of the protocol.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::codec::{
    pad_to, put_i32_ne, put_u16_be, put_u16_ne, put_u32_be, put_u32_ne, put_u64_ne, Fields,
};
use crate::error::ParseError;

macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident($int:ty) { $($(#[$cmeta:meta])* $constant:ident = $value:expr => $text:expr,)* }) => {
        $(#[$meta])*
        ///
        /// An open enum: values the crate does not name survive a round trip and print as numbers.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub $int);

        impl $name {
            $($(#[$cmeta])* pub const $constant: $name = $name($value);)*

            /// Returns the kernel's name for a known value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($value => Some($text),)*
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(text) => f.write_str(text),
                    None => write!(f, "{}", self.0),
                }
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }
    };
}

open_enum! {
    /// An address family (`AF_*`), as a `__u16` in XFRM structures.
    AddressFamily(u16) {
        UNSPEC = 0 => "unspec",
        INET = 2 => "inet",
        INET6 = 10 => "inet6",
    }
}

open_enum! {
    /// An IP protocol number: the SA protocol (`xfrm_id.proto`) or a selector's upper layer.
    IpProtocol(u8) {
        /// In a selector, any protocol; in `XFRM_MSG_FLUSHSA`, every SA.
        ANY = 0 => "any",
        ICMP = 1 => "icmp",
        TCP = 6 => "tcp",
        UDP = 17 => "udp",
        ROUTING = 43 => "route2",
        GRE = 47 => "gre",
        ESP = 50 => "esp",
        AH = 51 => "ah",
        ICMPV6 = 58 => "ipv6-icmp",
        DSTOPTS = 60 => "hao",
        COMP = 108 => "comp",
        SCTP = 132 => "sctp",
        /// `IPSEC_PROTO_ANY`: AH, ESP or IPComp.
        IPSEC_ANY = 255 => "ipsec-any",
    }
}

open_enum! {
    /// `XFRM_MODE_*`.
    Mode(u8) {
        TRANSPORT = 0 => "transport",
        TUNNEL = 1 => "tunnel",
        ROUTE_OPTIMIZATION = 2 => "ro",
        IN_TRIGGER = 3 => "in_trigger",
        BEET = 4 => "beet",
    }
}

open_enum! {
    /// `XFRM_POLICY_IN`, `_OUT`, `_FWD`.
    Direction(u8) {
        IN = 0 => "in",
        OUT = 1 => "out",
        FWD = 2 => "fwd",
    }
}

open_enum! {
    /// `XFRM_POLICY_ALLOW` or `XFRM_POLICY_BLOCK`.
    PolicyAction(u8) {
        ALLOW = 0 => "allow",
        BLOCK = 1 => "block",
    }
}

open_enum! {
    /// `XFRM_POLICY_TYPE_MAIN` or `_SUB` (sub-policies need `CONFIG_XFRM_SUB_POLICY`).
    PolicyType(u8) {
        MAIN = 0 => "main",
        SUB = 1 => "sub",
    }
}

open_enum! {
    /// `XFRM_SHARE_*`, the template and policy sharing mode.
    Share(u8) {
        ANY = 0 => "any",
        SESSION = 1 => "session",
        USER = 2 => "user",
        UNIQUE = 3 => "unique",
    }
}

open_enum! {
    /// The encapsulation type of `struct xfrm_encap_tmpl` (`UDP_ENCAP_*`, `TCP_ENCAP_ESPINTCP`).
    EncapType(u16) {
        /// draft-ietf-ipsec-nat-t-ike-00/01: ESP in UDP after an 8-byte non-IKE marker.
        ESPINUDP_NON_IKE = 1 => "espinudp-nonike",
        /// RFC 3948 ESP in UDP.
        ESPINUDP = 2 => "espinudp",
        /// RFC 8229 ESP in TCP.
        ESPINTCP = 7 => "espintcp",
    }
}

/// Flag bits of `xfrm_usersa_info.flags` (`XFRM_STATE_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SaFlags(pub u8);

impl SaFlags {
    pub const NOECN: SaFlags = SaFlags(1);
    pub const DECAP_DSCP: SaFlags = SaFlags(2);
    pub const NOPMTUDISC: SaFlags = SaFlags(4);
    pub const WILDRECV: SaFlags = SaFlags(8);
    pub const ICMP: SaFlags = SaFlags(16);
    pub const AF_UNSPEC: SaFlags = SaFlags(32);
    pub const ALIGN4: SaFlags = SaFlags(64);
    /// Extended sequence numbers: needs an `XFRMA_REPLAY_ESN_VAL` ([`ReplayEsn`]).
    pub const ESN: SaFlags = SaFlags(128);

    pub fn contains(self, other: SaFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for SaFlags {
    type Output = SaFlags;
    fn bitor(self, other: SaFlags) -> SaFlags {
        SaFlags(self.0 | other.0)
    }
}

/// Flag bits of `XFRMA_SA_EXTRA_FLAGS` (`XFRM_SA_XFLAG_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct SaExtraFlags(pub u32);

impl SaExtraFlags {
    pub const DONT_ENCAP_DSCP: SaExtraFlags = SaExtraFlags(1);
    pub const OSEQ_MAY_WRAP: SaExtraFlags = SaExtraFlags(2);
}

/// Flag bits of `xfrm_userpolicy_info.flags` (`XFRM_POLICY_*`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct PolicyFlags(pub u8);

impl PolicyFlags {
    pub const LOCALOK: PolicyFlags = PolicyFlags(1);
    pub const ICMP: PolicyFlags = PolicyFlags(2);
}

/// `xfrm_address_t`: 16 bytes, an IPv4 address in the first 4 and zeros after it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct XfrmAddress(pub [u8; 16]);

impl XfrmAddress {
    pub const SIZE: usize = 16;

    /// Reads the address in the layout of `family`: IPv4 from the first 4 bytes, IPv6 from all 16.
    /// Returns `None` for another family.
    pub fn to_ip(&self, family: AddressFamily) -> Option<IpAddr> {
        match family {
            AddressFamily::INET => {
                let [a, b, c, d, ..] = self.0;
                Some(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
            }
            AddressFamily::INET6 => Some(IpAddr::V6(Ipv6Addr::from(self.0))),
            _ => None,
        }
    }

    pub(crate) fn parse(fields: &Fields<'_>, offset: usize) -> Result<Self, ParseError> {
        Ok(XfrmAddress(fields.bytes16(offset)?))
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.0);
    }
}

impl From<Ipv4Addr> for XfrmAddress {
    fn from(address: Ipv4Addr) -> Self {
        let mut bytes = [0u8; 16];
        bytes[..4].copy_from_slice(&address.octets());
        XfrmAddress(bytes)
    }
}

impl From<Ipv6Addr> for XfrmAddress {
    fn from(address: Ipv6Addr) -> Self {
        XfrmAddress(address.octets())
    }
}

impl From<IpAddr> for XfrmAddress {
    fn from(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(v4) => v4.into(),
            IpAddr::V6(v6) => v6.into(),
        }
    }
}

impl fmt::Debug for XfrmAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0[4..].iter().all(|b| *b == 0) {
            write!(
                f,
                "{}",
                self.to_ip(AddressFamily::INET)
                    .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            )
        } else {
            write!(f, "{}", Ipv6Addr::from(self.0))
        }
    }
}

/// Returns the address family of an IP address.
pub fn family_of(address: IpAddr) -> AddressFamily {
    match address {
        IpAddr::V4(_) => AddressFamily::INET,
        IpAddr::V6(_) => AddressFamily::INET6,
    }
}

/// `struct xfrm_selector`: the traffic an SA or policy applies to.
///
/// Ports are in host order here and in network order on the wire; a port matches when
/// `(port & mask) == (selector port & mask)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Selector {
    pub daddr: XfrmAddress,
    pub saddr: XfrmAddress,
    pub dport: u16,
    pub dport_mask: u16,
    pub sport: u16,
    pub sport_mask: u16,
    pub family: AddressFamily,
    pub prefixlen_d: u8,
    pub prefixlen_s: u8,
    pub proto: IpProtocol,
    pub ifindex: i32,
    pub user: u32,
}

impl Selector {
    pub const SIZE: usize = 56;

    /// Selects traffic from `src/src_prefix` to `dst/dst_prefix`, any protocol and port.
    /// The family comes from `dst`.
    pub fn subnets(src: IpAddr, src_prefix: u8, dst: IpAddr, dst_prefix: u8) -> Self {
        Selector {
            daddr: dst.into(),
            saddr: src.into(),
            family: family_of(dst),
            prefixlen_d: dst_prefix,
            prefixlen_s: src_prefix,
            ..Selector::default()
        }
    }

    /// Selects one host pair (a /32 or /128 each way).
    pub fn hosts(src: IpAddr, dst: IpAddr) -> Self {
        let bits = match dst {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        Selector::subnets(src, bits, dst, bits)
    }

    /// Restricts the selector to one upper-layer protocol.
    pub fn with_protocol(mut self, proto: IpProtocol) -> Self {
        self.proto = proto;
        self
    }

    /// Restricts the selector to one source port (`None` leaves it open).
    pub fn with_source_port(mut self, port: Option<u16>) -> Self {
        self.sport = port.unwrap_or(0);
        self.sport_mask = if port.is_some() { 0xffff } else { 0 };
        self
    }

    /// Restricts the selector to one destination port (`None` leaves it open).
    pub fn with_destination_port(mut self, port: Option<u16>) -> Self {
        self.dport = port.unwrap_or(0);
        self.dport_mask = if port.is_some() { 0xffff } else { 0 };
        self
    }

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(Selector {
            daddr: XfrmAddress::parse(fields, 0)?,
            saddr: XfrmAddress::parse(fields, 16)?,
            dport: fields.u16_be(32)?,
            dport_mask: fields.u16_be(34)?,
            sport: fields.u16_be(36)?,
            sport_mask: fields.u16_be(38)?,
            family: AddressFamily(fields.u16_ne(40)?),
            prefixlen_d: fields.u8(42)?,
            prefixlen_s: fields.u8(43)?,
            proto: IpProtocol(fields.u8(44)?),
            ifindex: fields.i32_ne(48)?,
            user: fields.u32_ne(52)?,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.daddr.emit(buf);
        self.saddr.emit(buf);
        put_u16_be(buf, self.dport);
        put_u16_be(buf, self.dport_mask);
        put_u16_be(buf, self.sport);
        put_u16_be(buf, self.sport_mask);
        put_u16_ne(buf, self.family.0);
        buf.push(self.prefixlen_d);
        buf.push(self.prefixlen_s);
        buf.push(self.proto.0);
        pad_to(buf, start, 48);
        put_i32_ne(buf, self.ifindex);
        put_u32_ne(buf, self.user);
    }
}

/// `struct xfrm_id`: destination address, SPI and protocol, which name an SA.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct XfrmId {
    pub daddr: XfrmAddress,
    /// The SPI in host order (network order on the wire).
    pub spi: u32,
    pub proto: IpProtocol,
}

impl XfrmId {
    pub const SIZE: usize = 24;

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(XfrmId {
            daddr: XfrmAddress::parse(fields, 0)?,
            spi: fields.u32_be(16)?,
            proto: IpProtocol(fields.u8(20)?),
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        let start = buf.len();
        self.daddr.emit(buf);
        put_u32_be(buf, self.spi);
        buf.push(self.proto.0);
        pad_to(buf, start, Self::SIZE);
    }
}

/// `XFRM_INF`: no limit.
pub const XFRM_INF: u64 = u64::MAX;

/// `struct xfrm_lifetime_cfg`: soft limits raise an expire event, hard limits delete the SA.
///
/// [`Default`] is "no limit" ([`XFRM_INF`] everywhere), as `ip xfrm` sends it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct LifetimeConfig {
    pub soft_byte_limit: u64,
    pub hard_byte_limit: u64,
    pub soft_packet_limit: u64,
    pub hard_packet_limit: u64,
    /// Seconds after the SA was added.
    pub soft_add_expires_seconds: u64,
    pub hard_add_expires_seconds: u64,
    /// Seconds after the SA was first used.
    pub soft_use_expires_seconds: u64,
    pub hard_use_expires_seconds: u64,
}

impl Default for LifetimeConfig {
    fn default() -> Self {
        LifetimeConfig {
            soft_byte_limit: XFRM_INF,
            hard_byte_limit: XFRM_INF,
            soft_packet_limit: XFRM_INF,
            hard_packet_limit: XFRM_INF,
            soft_add_expires_seconds: 0,
            hard_add_expires_seconds: 0,
            soft_use_expires_seconds: 0,
            hard_use_expires_seconds: 0,
        }
    }
}

impl LifetimeConfig {
    pub const SIZE: usize = 64;

    /// All limits zero, as `ip xfrm state allocspi` sends them.
    pub const ZERO: LifetimeConfig = LifetimeConfig {
        soft_byte_limit: 0,
        hard_byte_limit: 0,
        soft_packet_limit: 0,
        hard_packet_limit: 0,
        soft_add_expires_seconds: 0,
        hard_add_expires_seconds: 0,
        soft_use_expires_seconds: 0,
        hard_use_expires_seconds: 0,
    };

    fn values(&self) -> [u64; 8] {
        [
            self.soft_byte_limit,
            self.hard_byte_limit,
            self.soft_packet_limit,
            self.hard_packet_limit,
            self.soft_add_expires_seconds,
            self.hard_add_expires_seconds,
            self.soft_use_expires_seconds,
            self.hard_use_expires_seconds,
        ]
    }

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(LifetimeConfig {
            soft_byte_limit: fields.u64_ne(0)?,
            hard_byte_limit: fields.u64_ne(8)?,
            soft_packet_limit: fields.u64_ne(16)?,
            hard_packet_limit: fields.u64_ne(24)?,
            soft_add_expires_seconds: fields.u64_ne(32)?,
            hard_add_expires_seconds: fields.u64_ne(40)?,
            soft_use_expires_seconds: fields.u64_ne(48)?,
            hard_use_expires_seconds: fields.u64_ne(56)?,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        for value in self.values() {
            put_u64_ne(buf, value);
        }
    }
}

/// `struct xfrm_lifetime_cur`: what the kernel has counted so far (zero in requests).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct LifetimeCurrent {
    pub bytes: u64,
    pub packets: u64,
    /// Seconds since the epoch.
    pub add_time: u64,
    pub use_time: u64,
}

impl LifetimeCurrent {
    pub const SIZE: usize = 32;

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(LifetimeCurrent {
            bytes: fields.u64_ne(0)?,
            packets: fields.u64_ne(8)?,
            add_time: fields.u64_ne(16)?,
            use_time: fields.u64_ne(24)?,
        })
    }

    pub(crate) fn emit(&self, buf: &mut Vec<u8>) {
        put_u64_ne(buf, self.bytes);
        put_u64_ne(buf, self.packets);
        put_u64_ne(buf, self.add_time);
        put_u64_ne(buf, self.use_time);
    }
}

/// `struct xfrm_stats`: the kernel's error counters for an SA (zero in requests).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Stats {
    pub replay_window: u32,
    pub replay: u32,
    pub integrity_failed: u32,
}

/// `struct xfrm_mark`: the SA or policy applies to packets with `skb->mark & mask == value`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Mark {
    pub value: u32,
    pub mask: u32,
}

impl Mark {
    pub const SIZE: usize = 8;

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(Mark {
            value: fields.u32_ne(0)?,
            mask: fields.u32_ne(4)?,
        })
    }

    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::SIZE);
        put_u32_ne(&mut buf, self.value);
        put_u32_ne(&mut buf, self.mask);
        buf
    }
}

/// `struct xfrm_encap_tmpl`: UDP (or TCP) encapsulation of ESP for NAT traversal.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct Encap {
    pub kind: EncapType,
    /// Source port, host order.
    pub sport: u16,
    /// Destination port, host order.
    pub dport: u16,
    /// The peer's original address before NAT (NAT-OA), or zero.
    pub original_address: XfrmAddress,
}

impl Encap {
    pub const SIZE: usize = 24;

    /// RFC 3948 ESP in UDP between the two ports (usually 4500 and 4500).
    pub fn esp_in_udp(sport: u16, dport: u16) -> Self {
        Encap {
            kind: EncapType::ESPINUDP,
            sport,
            dport,
            original_address: XfrmAddress::default(),
        }
    }

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(Encap {
            kind: EncapType(fields.u16_ne(0)?),
            sport: fields.u16_be(2)?,
            dport: fields.u16_be(4)?,
            original_address: XfrmAddress::parse(fields, 8)?,
        })
    }

    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::SIZE);
        put_u16_ne(&mut buf, self.kind.0);
        put_u16_be(&mut buf, self.sport);
        put_u16_be(&mut buf, self.dport);
        pad_to(&mut buf, 0, 8);
        self.original_address.emit(&mut buf);
        buf
    }
}

/// `struct xfrm_replay_state` (`XFRMA_REPLAY_VAL`): 32-bit sequence numbers and a 32-packet
/// window bitmap.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct ReplayState {
    /// Last sequence number sent.
    pub oseq: u32,
    /// Highest sequence number received.
    pub seq: u32,
    pub bitmap: u32,
}

impl ReplayState {
    pub const SIZE: usize = 12;

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(ReplayState {
            oseq: fields.u32_ne(0)?,
            seq: fields.u32_ne(4)?,
            bitmap: fields.u32_ne(8)?,
        })
    }

    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::SIZE);
        put_u32_ne(&mut buf, self.oseq);
        put_u32_ne(&mut buf, self.seq);
        put_u32_ne(&mut buf, self.bitmap);
        buf
    }
}

/// Maximum replay bitmap length in 32-bit words: the kernel's `XFRMA_REPLAY_ESN_MAX` is 4096
/// bits (`net/xfrm/xfrm_user.c`, Linux 6.1).
pub const MAX_REPLAY_BITMAP_WORDS: usize = 4096 / 32;

/// `struct xfrm_replay_state_esn` (`XFRMA_REPLAY_ESN_VAL`): 64-bit extended sequence numbers
/// (RFC 4303 section 2.2.1) and a window of `replay_window` packets.
///
/// `bitmap` may be shorter than `bitmap_len` words: `ip xfrm` sends the header alone and the
/// kernel accepts that; the kernel's dumps carry all `bitmap_len` words.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct ReplayEsn {
    /// Bitmap length in 32-bit words.
    pub bitmap_len: u32,
    pub oseq: u32,
    pub seq: u32,
    pub oseq_hi: u32,
    pub seq_hi: u32,
    /// Window size in packets.
    pub replay_window: u32,
    pub bitmap: Vec<u32>,
}

impl ReplayEsn {
    /// Size without the bitmap.
    pub const HEADER_SIZE: usize = 24;

    /// Builds a fresh ESN state with a window of `replay_window` packets, as `ip xfrm` does: the
    /// bitmap length is the window rounded up to words, and no bitmap words are sent.
    pub fn with_window(replay_window: u32) -> Self {
        ReplayEsn {
            bitmap_len: replay_window.div_ceil(32),
            replay_window,
            ..ReplayEsn::default()
        }
    }

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        let bitmap_bytes = fields.rest(Self::HEADER_SIZE);
        let words = bitmap_bytes.len() / 4;
        if words > MAX_REPLAY_BITMAP_WORDS {
            return Err(ParseError::ReplayBitmapTooLong {
                offset: fields.base() + Self::HEADER_SIZE,
                words,
                max: MAX_REPLAY_BITMAP_WORDS,
            });
        }
        let mut bitmap = Vec::with_capacity(words);
        for word in 0..words {
            bitmap.push(fields.u32_ne(Self::HEADER_SIZE + 4 * word)?);
        }
        Ok(ReplayEsn {
            bitmap_len: fields.u32_ne(0)?,
            oseq: fields.u32_ne(4)?,
            seq: fields.u32_ne(8)?,
            oseq_hi: fields.u32_ne(12)?,
            seq_hi: fields.u32_ne(16)?,
            replay_window: fields.u32_ne(20)?,
            bitmap,
        })
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::HEADER_SIZE + 4 * self.bitmap.len());
        for value in [
            self.bitmap_len,
            self.oseq,
            self.seq,
            self.oseq_hi,
            self.seq_hi,
            self.replay_window,
        ] {
            put_u32_ne(&mut buf, value);
        }
        for word in &self.bitmap {
            put_u32_ne(&mut buf, *word);
        }
        buf
    }
}

/// `struct xfrm_address_filter` (`XFRMA_ADDRESS_FILTER`): restricts an SA dump to SAs whose
/// addresses fall in the two prefixes. An all-zero filter matches every SA.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, Debug)]
pub struct AddressFilter {
    pub saddr: XfrmAddress,
    pub daddr: XfrmAddress,
    pub family: AddressFamily,
    pub prefixlen_s: u8,
    pub prefixlen_d: u8,
}

impl AddressFilter {
    pub const SIZE: usize = 36;

    pub(crate) fn parse(fields: &Fields<'_>) -> Result<Self, ParseError> {
        Ok(AddressFilter {
            saddr: XfrmAddress::parse(fields, 0)?,
            daddr: XfrmAddress::parse(fields, 16)?,
            family: AddressFamily(fields.u16_ne(32)?),
            prefixlen_s: fields.u8(34)?,
            prefixlen_d: fields.u8(35)?,
        })
    }

    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(Self::SIZE);
        self.saddr.emit(&mut buf);
        self.daddr.emit(&mut buf);
        put_u16_ne(&mut buf, self.family.0);
        buf.push(self.prefixlen_s);
        buf.push(self.prefixlen_d);
        buf
    }
}

/// Reads an `XFRMA_MARK` payload (`struct xfrm_mark`).
pub(crate) fn parse_mark_attribute(payload: &[u8], offset: usize) -> Result<Mark, ParseError> {
    Mark::parse(&Fields::new(payload, offset, Mark::SIZE, "xfrm_mark")?)
}

/// Reads a `__u32` attribute payload.
pub(crate) fn parse_u32_attribute(
    payload: &[u8],
    offset: usize,
    what: &'static str,
) -> Result<u32, ParseError> {
    Fields::new(payload, offset, 4, what)?.u32_ne(0)
}
