//! UDP encapsulation of ESP (RFC 3948): ESP in UDP/4500, the non-ESP marker, NAT keepalives.

use core::ops::Range;
use std::net::IpAddr;

use crate::ip::{self, IpHeader, PROTO_ESP, PROTO_UDP, UDP_HEADER_LEN};
use crate::EspError;

/// The UDP port of IKE and ESP after NAT traversal starts (RFC 3947).
pub const NAT_T_PORT: u16 = 4500;

/// Four zero bytes that precede an IKE message on port 4500, where an SPI is never zero
/// (RFC 3948 2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];

/// The one-byte NAT keepalive datagram (RFC 3948 2.3).
pub const NAT_KEEPALIVE: [u8; 1] = [0xff];

/// Source and destination UDP ports of an SA that travels in UDP (RFC 3948).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UdpEncap {
    /// Source port of packets this SA sends.
    pub src_port: u16,
    /// Destination port of packets this SA sends.
    pub dst_port: u16,
}

impl UdpEncap {
    /// Both ports 4500, as when neither side is behind a NAT that rewrote ports.
    pub const NAT_T: UdpEncap = UdpEncap {
        src_port: NAT_T_PORT,
        dst_port: NAT_T_PORT,
    };
}

/// What a UDP/4500 datagram carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UdpPayload<'a> {
    /// An IKE message, with the non-ESP marker removed.
    Ike(&'a [u8]),
    /// An ESP packet, starting at the SPI.
    Esp(&'a [u8]),
    /// A NAT keepalive: discard it.
    NatKeepalive,
}

/// Splits a UDP/4500 payload into IKE, ESP or NAT keepalive (RFC 3948 2.2 and 2.3).
///
/// # Errors
/// [`EspError::Truncated`] for an empty payload, or one too short for an ESP header that is
/// not a keepalive.
pub fn classify_udp_payload(payload: &[u8]) -> Result<UdpPayload<'_>, EspError> {
    if payload == NAT_KEEPALIVE {
        return Ok(UdpPayload::NatKeepalive);
    }
    if payload.len() >= NON_ESP_MARKER.len() && payload[..4] == NON_ESP_MARKER {
        return Ok(UdpPayload::Ike(&payload[4..]));
    }
    if payload.len() < 8 {
        return Err(ip::truncated("ESP header", 0, 8, payload.len()));
    }
    Ok(UdpPayload::Esp(payload))
}

/// What an IP packet received from the network carries, with ranges into that packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuterPacket {
    /// Outer source address.
    pub src: IpAddr,
    /// Outer destination address.
    pub dst: IpAddr,
    /// UDP ports (source, destination) when the packet is UDP.
    pub udp_ports: Option<(u16, u16)>,
    /// The kind of content.
    pub kind: OuterKind,
    /// Where the content lies in the packet: the ESP packet from its SPI, the IKE message
    /// after the non-ESP marker, or the whole UDP payload otherwise.
    pub payload: Range<usize>,
}

/// The content of an [`OuterPacket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OuterKind {
    /// ESP, directly in IP (protocol 50) or in UDP/4500.
    Esp,
    /// IKE in UDP/4500 after the non-ESP marker.
    Ike,
    /// A NAT keepalive.
    NatKeepalive,
    /// Any other UDP datagram (for example IKE on port 500).
    OtherUdp,
    /// Any other protocol.
    Other(u8),
}

/// Parses an outer IPv4 or IPv6 packet and finds the ESP packet in it, directly or in UDP.
///
/// UDP payloads are classified when either port is 4500.
///
/// # Errors
/// [`EspError::Truncated`] and [`EspError::InvalidInnerPacket`] as [`IpHeader::parse`], and
/// [`EspError::Truncated`] for a short UDP header.
pub fn parse_outer(packet: &[u8]) -> Result<OuterPacket, EspError> {
    let header = IpHeader::parse(packet)?;
    let body = header.header_len..header.total_len;
    let (kind, payload, udp_ports) = match header.protocol {
        PROTO_ESP => (OuterKind::Esp, body, None),
        PROTO_UDP => {
            if body.len() < UDP_HEADER_LEN {
                return Err(ip::truncated(
                    "UDP header",
                    body.start,
                    UDP_HEADER_LEN,
                    header.total_len,
                ));
            }
            let udp = &packet[body.clone()];
            let ports = (
                u16::from_be_bytes([udp[0], udp[1]]),
                u16::from_be_bytes([udp[2], udp[3]]),
            );
            let start = body.start + UDP_HEADER_LEN;
            if ports.0 != NAT_T_PORT && ports.1 != NAT_T_PORT {
                (OuterKind::OtherUdp, start..body.end, Some(ports))
            } else {
                match classify_udp_payload(&packet[start..body.end])? {
                    UdpPayload::Esp(_) => (OuterKind::Esp, start..body.end, Some(ports)),
                    UdpPayload::Ike(_) => (OuterKind::Ike, start + 4..body.end, Some(ports)),
                    UdpPayload::NatKeepalive => {
                        (OuterKind::NatKeepalive, start..body.end, Some(ports))
                    }
                }
            }
        }
        other => (OuterKind::Other(other), body, None),
    };
    Ok(OuterPacket {
        src: header.src,
        dst: header.dst,
        udp_ports,
        kind,
        payload,
    })
}
