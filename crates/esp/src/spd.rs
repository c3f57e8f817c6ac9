//! Security policy database (RFC 4301 4.4.1): ordered selectors mapping a packet to protect,
//! bypass or discard.

use core::fmt;
use core::str::FromStr;
use std::net::IpAddr;

use thiserror::Error;

use crate::ip::{IpHeader, PROTO_TCP, PROTO_UDP};
use crate::EspError;

/// SCTP protocol number; its header starts with the two ports like TCP and UDP.
const PROTO_SCTP: u8 = 132;

/// An address prefix such as `10.1.0.0/16` or `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpPrefix {
    addr: IpAddr,
    len: u8,
}

/// Why a prefix could not be built or parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PrefixError {
    /// The prefix length exceeds the address width.
    #[error("prefix length {len} exceeds {max} for {addr}")]
    LengthTooLarge {
        /// The address.
        addr: IpAddr,
        /// The prefix length given.
        len: u8,
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
    /// The text is not `ADDRESS/LENGTH` or a bare address.
    #[error("invalid prefix {0:?}: expected ADDRESS/LENGTH, for example 10.1.0.0/16")]
    Syntax(String),
}

impl IpPrefix {
    /// Builds a prefix; host bits of `addr` are cleared.
    ///
    /// # Errors
    /// [`PrefixError::LengthTooLarge`] when `len` exceeds 32 (IPv4) or 128 (IPv6).
    pub fn new(addr: IpAddr, len: u8) -> Result<IpPrefix, PrefixError> {
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if len > max {
            return Err(PrefixError::LengthTooLarge { addr, len, max });
        }
        let addr = match addr {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask32(len)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask128(len)).into()),
        };
        Ok(IpPrefix { addr, len })
    }

    /// The prefix that contains every address of `addr`'s family.
    pub fn any(ipv6: bool) -> IpPrefix {
        let addr = if ipv6 {
            IpAddr::V6(0u128.into())
        } else {
            IpAddr::V4(0u32.into())
        };
        IpPrefix { addr, len: 0 }
    }

    /// Returns the network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// Returns the prefix length in bits.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// Returns true for a zero-length prefix, which matches every address of its family.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Returns true if `addr` lies in the prefix; addresses of the other family never do.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.addr, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => u32::from(a) & mask32(self.len) == u32::from(net),
            (IpAddr::V6(net), IpAddr::V6(a)) => {
                u128::from(a) & mask128(self.len) == u128::from(net)
            }
            _ => false,
        }
    }
}

fn mask32(len: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)
}

fn mask128(len: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)
}

impl FromStr for IpPrefix {
    type Err = PrefixError;

    fn from_str(text: &str) -> Result<IpPrefix, PrefixError> {
        let syntax = || PrefixError::Syntax(text.to_owned());
        let (addr, len) = match text.split_once('/') {
            Some((addr, len)) => (addr, Some(len)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| syntax())?;
        let len = match len {
            Some(len) => len.parse().map_err(|_| syntax())?,
            None if addr.is_ipv4() => 32,
            None => 128,
        };
        IpPrefix::new(addr, len)
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// An inclusive range of ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// Lowest port matched.
    pub low: u16,
    /// Highest port matched.
    pub high: u16,
}

impl PortRange {
    /// Every port, including packets whose ports are unknown (RFC 4301 "ANY").
    pub const ANY: PortRange = PortRange {
        low: 0,
        high: u16::MAX,
    };

    /// A single port.
    pub const fn single(port: u16) -> PortRange {
        PortRange {
            low: port,
            high: port,
        }
    }

    fn matches(&self, port: Option<u16>) -> bool {
        match port {
            Some(port) => self.low <= port && port <= self.high,
            // Ports not available (no ports in the protocol, or a later fragment: RFC 4301
            // calls them OPAQUE) match only ANY.
            None => *self == PortRange::ANY,
        }
    }
}

/// The fields of a packet that selectors match (RFC 4301 4.4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Flow {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IP protocol (the IPv6 base header's Next Header).
    pub protocol: u8,
    /// Source port, for TCP, UDP and SCTP first fragments.
    pub src_port: Option<u16>,
    /// Destination port, for TCP, UDP and SCTP first fragments.
    pub dst_port: Option<u16>,
}

impl Flow {
    /// Reads the selector fields of an IP packet.
    ///
    /// NOTE: IPv6 extension headers are not walked, so a packet with them has the first
    /// extension header's number as its protocol and no ports.
    ///
    /// # Errors
    /// The errors of [`IpHeader::parse`].
    pub fn from_packet(packet: &[u8]) -> Result<Flow, EspError> {
        let header = IpHeader::parse(packet)?;
        let mut flow = Flow {
            src: header.src,
            dst: header.dst,
            protocol: header.protocol,
            src_port: None,
            dst_port: None,
        };
        let has_ports = matches!(header.protocol, PROTO_TCP | PROTO_UDP | PROTO_SCTP);
        let transport = &packet[header.header_len..header.total_len];
        if has_ports && !header.later_fragment && transport.len() >= 4 {
            flow.src_port = Some(u16::from_be_bytes([transport[0], transport[1]]));
            flow.dst_port = Some(u16::from_be_bytes([transport[2], transport[3]]));
        }
        Ok(flow)
    }
}

/// Traffic selectors of one policy: addresses, protocol and ports, all of which must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Selector {
    /// Source prefix.
    pub src: IpPrefix,
    /// Destination prefix.
    pub dst: IpPrefix,
    /// IP protocol, or `None` for any.
    pub protocol: Option<u8>,
    /// Source ports.
    pub src_ports: PortRange,
    /// Destination ports.
    pub dst_ports: PortRange,
}

impl Selector {
    /// A selector for all traffic between two prefixes.
    pub fn between(src: IpPrefix, dst: IpPrefix) -> Selector {
        Selector {
            src,
            dst,
            protocol: None,
            src_ports: PortRange::ANY,
            dst_ports: PortRange::ANY,
        }
    }

    /// Returns true if `flow` matches every field.
    pub fn matches(&self, flow: &Flow) -> bool {
        self.src.contains(flow.src)
            && self.dst.contains(flow.dst)
            && self.protocol.is_none_or(|p| p == flow.protocol)
            && self.src_ports.matches(flow.src_port)
            && self.dst_ports.matches(flow.dst_port)
    }
}

/// What a policy does with a matching packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyAction<T> {
    /// Protect with the SA the caller identifies by `T` (an index, SPI or handle).
    Protect(T),
    /// Send or accept in clear.
    Bypass,
    /// Drop.
    Discard,
}

/// An ordered list of policies; the first whose selector matches decides (RFC 4301 4.4.1).
/// A packet that matches none is discarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spd<T> {
    entries: Vec<(Selector, PolicyAction<T>)>,
}

impl<T> Default for Spd<T> {
    fn default() -> Self {
        Spd {
            entries: Vec::new(),
        }
    }
}

impl<T> Spd<T> {
    /// Creates an empty database, which discards everything.
    pub fn new() -> Spd<T> {
        Spd::default()
    }

    /// Appends a policy after the existing ones.
    pub fn push(&mut self, selector: Selector, action: PolicyAction<T>) {
        self.entries.push((selector, action));
    }

    /// Removes every policy whose action satisfies `predicate`, for example on SA deletion.
    pub fn remove_where(&mut self, mut predicate: impl FnMut(&PolicyAction<T>) -> bool) {
        self.entries.retain(|(_, action)| !predicate(action));
    }

    /// Returns the policies in order.
    pub fn entries(&self) -> &[(Selector, PolicyAction<T>)] {
        &self.entries
    }

    /// Returns the action for a flow: that of the first matching policy, else discard.
    pub fn lookup_flow(&self, flow: &Flow) -> &PolicyAction<T> {
        self.entries
            .iter()
            .find(|(selector, _)| selector.matches(flow))
            .map(|(_, action)| action)
            .unwrap_or(&PolicyAction::Discard)
    }

    /// Returns the action for an IP packet; never allocates.
    ///
    /// # Errors
    /// The errors of [`IpHeader::parse`] for a packet that is not IP.
    pub fn lookup(&self, packet: &[u8]) -> Result<&PolicyAction<T>, EspError> {
        Ok(self.lookup_flow(&Flow::from_packet(packet)?))
    }
}
