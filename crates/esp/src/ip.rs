//! The few IPv4 and IPv6 header fields ESP needs: parsing inner packets and emitting outer
//! headers.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::EspError;

/// IP protocol number of ESP.
pub const PROTO_ESP: u8 = 50;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// Next Header value for an IPv4 packet in tunnel mode (IP-in-IP).
pub const PROTO_IPV4: u8 = 4;
/// Next Header value for an IPv6 packet in tunnel mode.
pub const PROTO_IPV6: u8 = 41;
/// Next Header value of a dummy packet, which the receiver discards (RFC 4303 2.6).
pub const PROTO_NO_NEXT_HEADER: u8 = 59;

/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Length of the IPv6 base header.
pub const IPV6_HEADER_LEN: usize = 40;
/// Length of a UDP header.
pub const UDP_HEADER_LEN: usize = 8;

/// Hop limit of outer headers built by `encapsulate`.
pub(crate) const OUTER_TTL: u8 = 64;

/// The header fields of an IP packet that ESP processing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpHeader {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// IPv4 protocol, or the IPv6 base header's Next Header.
    pub protocol: u8,
    /// IPv4 type of service or IPv6 traffic class (DSCP and ECN).
    pub tos: u8,
    /// Length of the header, IPv4 options included.
    pub header_len: usize,
    /// Length of the whole packet from its length field.
    pub total_len: usize,
    /// IPv4 fragment offset is non-zero: the transport header is in an earlier fragment.
    pub later_fragment: bool,
}

impl IpHeader {
    /// Parses the header at the start of `packet`.
    ///
    /// # Errors
    /// [`EspError::Truncated`] when `packet` is shorter than the header or its length field,
    /// [`EspError::InvalidInnerPacket`] for a version other than 4 or 6 or an IHL below 5.
    pub fn parse(packet: &[u8]) -> Result<IpHeader, EspError> {
        let Some(&first) = packet.first() else {
            return Err(truncated("IP version", 0, 1, 0));
        };
        match first >> 4 {
            4 => parse_ipv4(packet),
            6 => parse_ipv6(packet),
            _ => Err(EspError::InvalidInnerPacket {
                reason: "IP version is neither 4 nor 6",
            }),
        }
    }
}

fn parse_ipv4(packet: &[u8]) -> Result<IpHeader, EspError> {
    if packet.len() < IPV4_HEADER_LEN {
        return Err(truncated("IPv4 header", 0, IPV4_HEADER_LEN, packet.len()));
    }
    let header_len = usize::from(packet[0] & 0x0f) * 4;
    if header_len < IPV4_HEADER_LEN {
        return Err(EspError::InvalidInnerPacket {
            reason: "IPv4 IHL below 5",
        });
    }
    let total_len = usize::from(u16::from_be_bytes([packet[2], packet[3]]));
    if total_len < header_len {
        return Err(EspError::InvalidInnerPacket {
            reason: "IPv4 total length below the header length",
        });
    }
    if packet.len() < total_len {
        return Err(truncated("IPv4 total length", 0, total_len, packet.len()));
    }
    let fragment_offset = u16::from_be_bytes([packet[6], packet[7]]) & 0x1fff;
    Ok(IpHeader {
        src: IpAddr::V4(Ipv4Addr::new(
            packet[12], packet[13], packet[14], packet[15],
        )),
        dst: IpAddr::V4(Ipv4Addr::new(
            packet[16], packet[17], packet[18], packet[19],
        )),
        protocol: packet[9],
        tos: packet[1],
        header_len,
        total_len,
        later_fragment: fragment_offset != 0,
    })
}

fn parse_ipv6(packet: &[u8]) -> Result<IpHeader, EspError> {
    if packet.len() < IPV6_HEADER_LEN {
        return Err(truncated("IPv6 header", 0, IPV6_HEADER_LEN, packet.len()));
    }
    let payload_len = usize::from(u16::from_be_bytes([packet[4], packet[5]]));
    let total_len = IPV6_HEADER_LEN + payload_len;
    if packet.len() < total_len {
        return Err(truncated("IPv6 payload length", 4, total_len, packet.len()));
    }
    let src: [u8; 16] = packet[8..24].try_into().expect("slice of 16");
    let dst: [u8; 16] = packet[24..40].try_into().expect("slice of 16");
    Ok(IpHeader {
        src: IpAddr::V6(Ipv6Addr::from(src)),
        dst: IpAddr::V6(Ipv6Addr::from(dst)),
        protocol: packet[6],
        tos: (packet[0] << 4) | (packet[1] >> 4),
        header_len: IPV6_HEADER_LEN,
        total_len,
        later_fragment: false,
    })
}

pub(crate) fn truncated(
    field: &'static str,
    offset: usize,
    needed: usize,
    available: usize,
) -> EspError {
    EspError::Truncated {
        field,
        offset,
        needed,
        available: available.saturating_sub(offset),
    }
}

/// Returns the Internet checksum (RFC 1071) of `data`, starting from the partial sum `initial`.
pub(crate) fn checksum(initial: u32, data: &[u8]) -> u16 {
    let mut sum = u64::from(initial);
    let mut chunks = data.chunks_exact(2);
    for pair in &mut chunks {
        sum += u64::from(u16::from_be_bytes([pair[0], pair[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u64::from(*last) << 8;
    }
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes an IPv4 header without options into `out` and fills in its checksum.
pub(crate) fn write_ipv4_header(
    out: &mut [u8],
    tos: u8,
    total_len: u16,
    identification: u16,
    protocol: u8,
    src: Ipv4Addr,
    dst: Ipv4Addr,
) {
    out[0] = 0x45;
    out[1] = tos;
    out[2..4].copy_from_slice(&total_len.to_be_bytes());
    out[4..6].copy_from_slice(&identification.to_be_bytes());
    out[6..8].copy_from_slice(&[0, 0]);
    out[8] = OUTER_TTL;
    out[9] = protocol;
    out[10..12].copy_from_slice(&[0, 0]);
    out[12..16].copy_from_slice(&src.octets());
    out[16..20].copy_from_slice(&dst.octets());
    let sum = checksum(0, &out[..IPV4_HEADER_LEN]);
    out[10..12].copy_from_slice(&sum.to_be_bytes());
}

/// Writes an IPv6 base header into `out`.
pub(crate) fn write_ipv6_header(
    out: &mut [u8],
    traffic_class: u8,
    payload_len: u16,
    next_header: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
) {
    out[0] = 0x60 | (traffic_class >> 4);
    out[1] = traffic_class << 4;
    out[2..4].copy_from_slice(&[0, 0]);
    out[4..6].copy_from_slice(&payload_len.to_be_bytes());
    out[6] = next_header;
    out[7] = OUTER_TTL;
    out[8..24].copy_from_slice(&src.octets());
    out[24..40].copy_from_slice(&dst.octets());
}

/// Returns the partial sum of the UDP pseudo-header (RFC 768, RFC 8200 8.1).
pub(crate) fn pseudo_header_sum(src: IpAddr, dst: IpAddr, protocol: u8, len: usize) -> u32 {
    let mut sum = 0u32;
    let mut add = |bytes: &[u8]| {
        for pair in bytes.chunks_exact(2) {
            sum += u32::from(u16::from_be_bytes([pair[0], pair[1]]));
        }
    };
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            add(&s.octets());
            add(&d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            add(&s.octets());
            add(&d.octets());
        }
        _ => {}
    }
    sum + u32::from(protocol) + (len as u32 & 0xffff) + (len as u32 >> 16)
}
