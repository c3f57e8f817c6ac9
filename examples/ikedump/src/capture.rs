//! Reads UDP datagrams on the IKE ports from pcap, pcapng and hex files.
//!
//! pcap-file reads the two capture formats. The link, IP and UDP headers are decoded here, for
//! the link types that tcpdump, tshark and the Linux "any" device write.

use std::fs;
use std::io::Cursor;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;

use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;

/// The IKE port, UDP 500 (RFC 2408 appendix A).
pub const IKE_PORT: u16 = 500;
/// The NAT-T port, where IKE follows a non-ESP marker (RFC 3948 2.2).
pub const NAT_T_PORT: u16 = 4500;

/// pcap magic numbers in both byte orders and both time resolutions.
const PCAP_MAGICS: [[u8; 4]; 4] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
];
/// pcapng Section Header Block type.
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// One UDP datagram to or from an IKE port, or one line of a hex file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Frame number in the capture, or line number in a hex file, counting from 1.
    pub frame: usize,
    /// Source and destination, `None` for hex input.
    pub addresses: Option<(SocketAddr, SocketAddr)>,
    /// The UDP payload (for port 4500 still with its non-ESP marker).
    pub payload: Vec<u8>,
}

impl Datagram {
    /// Reports whether either port is the NAT-T port, so the payload starts with a marker.
    pub fn is_nat_t(&self) -> bool {
        self.addresses
            .is_some_and(|(src, dst)| src.port() == NAT_T_PORT || dst.port() == NAT_T_PORT)
    }
}

/// Failure to read a capture or hex file.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: invalid capture file: {message}")]
    Format { path: String, message: String },
    #[error("{path} line {line}: invalid hex: {source}")]
    Hex {
        path: String,
        line: usize,
        source: hex::FromHexError,
    },
    #[error("{path} frame {frame}: link type {link} is not supported")]
    LinkType {
        path: String,
        frame: usize,
        link: String,
    },
}

/// The IKE datagrams of one file, and the error that stopped reading it early, if any.
#[derive(Debug)]
pub struct Capture {
    /// Datagrams read before the end of the file or the error.
    pub datagrams: Vec<Datagram>,
    /// The error that stopped reading before the end, for example a capture cut short mid-record.
    pub error: Option<CaptureError>,
}

/// Reads every IKE datagram from a pcap, pcapng or hex file, picking the format from the first
/// bytes. Frames that are not UDP to or from port 500 or 4500 are skipped, and so are IP
/// fragments, which are not reassembled. A capture that breaks off (for example a truncated last
/// record) keeps the datagrams read before the break.
pub fn read_capture(path: &Path) -> Capture {
    let mut datagrams = Vec::new();
    let error = read_into(path, &mut datagrams).err();
    Capture { datagrams, error }
}

/// Reads every IKE datagram like [`read_capture`], but fails on a file that breaks off.
#[allow(dead_code)] // Used by the ike-wire tests that include this module.
pub fn read_datagrams(path: &Path) -> Result<Vec<Datagram>, CaptureError> {
    let mut datagrams = Vec::new();
    read_into(path, &mut datagrams)?;
    Ok(datagrams)
}

fn read_into(path: &Path, datagrams: &mut Vec<Datagram>) -> Result<(), CaptureError> {
    let display = path.display().to_string();
    let bytes = fs::read(path).map_err(|source| CaptureError::Io {
        path: display.clone(),
        source,
    })?;

    let magic: Option<[u8; 4]> = bytes.get(..4).and_then(|m| m.try_into().ok());
    match magic {
        Some(magic) if PCAP_MAGICS.contains(&magic) => read_pcap(&display, &bytes, datagrams),
        Some(magic) if magic == PCAPNG_MAGIC => read_pcapng(&display, &bytes, datagrams),
        _ => {
            datagrams.extend(read_hex(&display, &bytes)?);
            Ok(())
        }
    }
}

fn format_error(path: &str, error: impl std::fmt::Display) -> CaptureError {
    CaptureError::Format {
        path: path.to_owned(),
        message: error.to_string(),
    }
}

fn read_pcap(path: &str, bytes: &[u8], datagrams: &mut Vec<Datagram>) -> Result<(), CaptureError> {
    let mut reader = PcapReader::new(Cursor::new(bytes)).map_err(|e| format_error(path, e))?;
    let link = reader.header().datalink;

    let mut frame = 0;
    while let Some(packet) = reader.next_packet() {
        frame += 1;
        let packet = packet.map_err(|e| format_error(path, format!("frame {frame}: {e}")))?;
        if let Some(datagram) = decode_frame(path, frame, link, &packet.data)? {
            datagrams.push(datagram);
        }
    }
    Ok(())
}

fn read_pcapng(
    path: &str,
    bytes: &[u8],
    datagrams: &mut Vec<Datagram>,
) -> Result<(), CaptureError> {
    let mut reader = PcapNgReader::new(Cursor::new(bytes)).map_err(|e| format_error(path, e))?;
    let mut links = Vec::new();
    let mut frame = 0;

    while let Some(block) = reader.next_block() {
        let block =
            block.map_err(|e| format_error(path, format!("block after frame {frame}: {e}")))?;
        let (interface, data) = match block {
            Block::SectionHeader(_) => {
                links.clear();
                continue;
            }
            Block::InterfaceDescription(interface) => {
                links.push(interface.linktype);
                continue;
            }
            Block::EnhancedPacket(packet) => (packet.interface_id as usize, packet.data),
            Block::SimplePacket(packet) => (0, packet.data),
            Block::Packet(packet) => (usize::from(packet.interface_id), packet.data),
            _ => continue,
        };

        frame += 1;
        let link = links.get(interface).copied().ok_or_else(|| {
            format_error(
                path,
                format!("frame {frame} names undeclared interface {interface}"),
            )
        })?;
        if let Some(datagram) = decode_frame(path, frame, link, &data)? {
            datagrams.push(datagram);
        }
    }
    Ok(())
}

/// Reads one datagram per non-empty line of hex digits; whitespace is ignored and `#` starts a
/// comment.
fn read_hex(path: &str, bytes: &[u8]) -> Result<Vec<Datagram>, CaptureError> {
    let text = String::from_utf8_lossy(bytes);
    let mut datagrams = Vec::new();

    for (index, line) in text.lines().enumerate() {
        let content = line.split('#').next().unwrap_or("");
        let digits: String = content.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.is_empty() {
            continue;
        }
        let payload = hex::decode(&digits).map_err(|source| CaptureError::Hex {
            path: path.to_owned(),
            line: index + 1,
            source,
        })?;
        datagrams.push(Datagram {
            frame: index + 1,
            addresses: None,
            payload,
        });
    }
    Ok(datagrams)
}

/// Decodes the link, IP and UDP headers of one frame. Returns `None` for frames that are not
/// UDP on an IKE port, or are truncated.
fn decode_frame(
    path: &str,
    frame: usize,
    link: DataLink,
    data: &[u8],
) -> Result<Option<Datagram>, CaptureError> {
    let network = match link {
        DataLink::ETHERNET => ethernet_payload(data),
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => Some(data),
        DataLink::NULL | DataLink::LOOP => data.get(4..),
        DataLink::LINUX_SLL => data.get(16..),
        DataLink::LINUX_SLL2 => data.get(20..),
        other => {
            return Err(CaptureError::LinkType {
                path: path.to_owned(),
                frame,
                link: format!("{other:?}"),
            })
        }
    };
    Ok(network.and_then(|packet| ip_udp_payload(frame, packet)))
}

fn ethernet_payload(data: &[u8]) -> Option<&[u8]> {
    let mut offset = 12;
    loop {
        let ether_type = u16::from_be_bytes([*data.get(offset)?, *data.get(offset + 1)?]);
        match ether_type {
            // 802.1Q and 802.1ad tags: skip the tag and read the inner type.
            0x8100 | 0x88a8 => offset += 4,
            _ => return data.get(offset + 2..),
        }
    }
}

fn ip_udp_payload(frame: usize, packet: &[u8]) -> Option<Datagram> {
    let version = packet.first()? >> 4;
    let (src, dst, udp) = match version {
        4 => {
            let header_len = usize::from(packet.first()? & 0x0f) * 4;
            let total_len = usize::from(u16::from_be_bytes([*packet.get(2)?, *packet.get(3)?]));
            let fragment = u16::from_be_bytes([*packet.get(6)?, *packet.get(7)?]);
            // Any fragment, the first included (More Fragments set), carries an incomplete
            // datagram.
            if packet.get(9)? != &17 || fragment & 0x3fff != 0 {
                return None;
            }
            let src = Ipv4Addr::from(<[u8; 4]>::try_from(packet.get(12..16)?).ok()?);
            let dst = Ipv4Addr::from(<[u8; 4]>::try_from(packet.get(16..20)?).ok()?);
            let end = total_len.min(packet.len());
            (
                IpAddr::V4(src),
                IpAddr::V4(dst),
                packet.get(header_len..end)?,
            )
        }
        6 => {
            let payload_len = usize::from(u16::from_be_bytes([*packet.get(4)?, *packet.get(5)?]));
            let src = Ipv6Addr::from(<[u8; 16]>::try_from(packet.get(8..24)?).ok()?);
            let dst = Ipv6Addr::from(<[u8; 16]>::try_from(packet.get(24..40)?).ok()?);
            let end = (40 + payload_len).min(packet.len());
            let (next, offset) = skip_ipv6_extensions(packet, *packet.get(6)?, 40)?;
            if next != 17 {
                return None;
            }
            (IpAddr::V6(src), IpAddr::V6(dst), packet.get(offset..end)?)
        }
        _ => return None,
    };

    let src_port = u16::from_be_bytes([*udp.first()?, *udp.get(1)?]);
    let dst_port = u16::from_be_bytes([*udp.get(2)?, *udp.get(3)?]);
    let udp_len = usize::from(u16::from_be_bytes([*udp.get(4)?, *udp.get(5)?]));
    let ike_ports = [IKE_PORT, NAT_T_PORT];
    if !ike_ports.contains(&src_port) && !ike_ports.contains(&dst_port) {
        return None;
    }
    let end = udp_len.clamp(8, udp.len().max(8));
    Some(Datagram {
        frame,
        addresses: Some((
            SocketAddr::new(src, src_port),
            SocketAddr::new(dst, dst_port),
        )),
        payload: udp.get(8..end)?.to_vec(),
    })
}

/// Skips IPv6 hop-by-hop, routing and destination options headers. Returns `None` for a
/// fragment header, because a fragment's UDP payload is incomplete.
fn skip_ipv6_extensions(packet: &[u8], mut next: u8, mut offset: usize) -> Option<(u8, usize)> {
    const MAX_EXTENSION_HEADERS: usize = 8;
    for _ in 0..MAX_EXTENSION_HEADERS {
        match next {
            0 | 43 | 60 => {
                let header_next = *packet.get(offset)?;
                let length = (usize::from(*packet.get(offset + 1)?) + 1) * 8;
                next = header_next;
                offset += length;
            }
            _ => return Some((next, offset)),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds an Ethernet + IPv4 + UDP frame carrying `payload`.
    fn udp_frame(src_port: u16, dst_port: u16, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        let total = 20 + 8 + payload.len();
        frame.extend_from_slice(&[
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            17,
        ]);
        frame.extend_from_slice(&[0, 0, 192, 0, 2, 1, 192, 0, 2, 2]);
        let udp_len = 8 + payload.len();
        frame.extend_from_slice(&src_port.to_be_bytes());
        frame.extend_from_slice(&dst_port.to_be_bytes());
        frame.extend_from_slice(&[(udp_len >> 8) as u8, udp_len as u8, 0, 0]);
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn ethernet_udp500_decoded() {
        let frame = udp_frame(500, 500, b"isakmp");
        let datagram = decode_frame("t", 1, DataLink::ETHERNET, &frame)
            .unwrap()
            .unwrap();
        assert_eq!(datagram.payload, b"isakmp");
        assert_eq!(
            datagram.addresses.unwrap().0,
            "192.0.2.1:500".parse().unwrap()
        );
        assert!(!datagram.is_nat_t());
    }

    #[test]
    fn ethernet_padding_ignored() {
        let mut frame = udp_frame(4500, 4500, b"x");
        frame.extend_from_slice(&[0; 10]);
        let datagram = decode_frame("t", 1, DataLink::ETHERNET, &frame)
            .unwrap()
            .unwrap();
        assert_eq!(datagram.payload, b"x");
        assert!(datagram.is_nat_t());
    }

    #[test]
    fn other_port_skipped() {
        let frame = udp_frame(53, 53, b"dns");
        assert_eq!(
            decode_frame("t", 1, DataLink::ETHERNET, &frame).unwrap(),
            None
        );
    }

    #[test]
    fn truncated_frame_skipped() {
        let frame = udp_frame(500, 500, b"isakmp");
        for cut in 0..frame.len() - 6 {
            let result = decode_frame("t", 1, DataLink::ETHERNET, &frame[..cut]).unwrap();
            assert!(result.is_none_or(|d| d.payload.len() < 6), "cut at {cut}");
        }
    }

    #[test]
    fn ipv4_fragments_skipped() {
        let mut frame = udp_frame(500, 500, b"isakmp");
        // Flags and fragment offset follow the Ethernet header and four IPv4 octets.
        for flags_offset in [[0x20, 0x00], [0x00, 0x10], [0x20, 0x10]] {
            frame[20..22].copy_from_slice(&flags_offset);
            let result = decode_frame("t", 1, DataLink::ETHERNET, &frame).unwrap();
            assert_eq!(result, None, "{flags_offset:02x?}");
        }
    }

    /// Builds a pcap file (little-endian, Ethernet) containing `frames`.
    fn pcap_file(frames: &[Vec<u8>]) -> Vec<u8> {
        let mut file = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        file.extend_from_slice(&[0; 8]);
        file.extend_from_slice(&65535u32.to_le_bytes());
        file.extend_from_slice(&1u32.to_le_bytes());
        for frame in frames {
            file.extend_from_slice(&[0; 8]);
            let len = u32::try_from(frame.len()).unwrap().to_le_bytes();
            file.extend_from_slice(&len);
            file.extend_from_slice(&len);
            file.extend_from_slice(frame);
        }
        file
    }

    #[test]
    fn truncated_pcap_keeps_earlier_frames() {
        let frames = [udp_frame(500, 500, b"one"), udp_frame(500, 500, b"two")];
        let mut file = pcap_file(&frames);
        file.truncate(file.len() - 5);
        let mut datagrams = Vec::new();
        let error = read_pcap("t", &file, &mut datagrams).unwrap_err();
        assert_eq!(datagrams.len(), 1);
        assert_eq!(datagrams[0].payload, b"one");
        assert!(error.to_string().contains("frame 2"), "{error}");
    }

    #[test]
    fn hex_lines_and_comments() {
        let datagrams = read_hex("t", b"# comment\n0102 03\n\nff # tail\n").unwrap();
        assert_eq!(datagrams.len(), 2);
        assert_eq!(datagrams[0].payload, [1, 2, 3]);
        assert_eq!(datagrams[0].frame, 2);
        assert_eq!(datagrams[1].payload, [0xff]);
    }

    #[test]
    fn invalid_hex_names_line() {
        let error = read_hex("t", b"0102\nzz\n").unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
    }
}
