//! UDP encapsulation on port 4500 (RFC 3948 2.2 and 2.3, RFC 3947 4).

use crate::error::{ParseError, ParseErrorKind};

/// The four zero bytes before an IKE message on port 4500: "Non-ESP Marker is 4 bytes of zero
/// aligning with the SPI field of an ESP packet" (RFC 3948 2.2).
pub const NON_ESP_MARKER: [u8; 4] = [0; 4];
/// The single byte of a NAT-keepalive packet (RFC 3948 2.3).
pub const NAT_KEEPALIVE: u8 = 0xff;
/// Length of an ESP header, SPI and sequence number (RFC 4303 2).
const ESP_HEADER_LEN: usize = 8;

/// Contents of a UDP/4500 datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Udp4500Payload<'a> {
    /// An IKE message, with the non-ESP marker removed.
    Ike(&'a [u8]),
    /// An ESP packet, starting with its non-zero SPI.
    Esp(&'a [u8]),
    /// A NAT-keepalive (one 0xFF byte).
    NatKeepalive,
}

/// Splits a UDP/4500 datagram into an IKE message, an ESP packet or a NAT-keepalive.
///
/// Returns [`ParseErrorKind::InvalidUdpEncapsulation`] for an empty datagram, a datagram of one to
/// three bytes other than a keepalive, and an ESP packet shorter than its 8-byte header.
pub fn split_udp4500(datagram: &[u8]) -> Result<Udp4500Payload<'_>, ParseError> {
    let invalid = || {
        ParseError::new(
            0,
            None,
            ParseErrorKind::InvalidUdpEncapsulation {
                length: datagram.len(),
            },
        )
    };

    if datagram == [NAT_KEEPALIVE] {
        return Ok(Udp4500Payload::NatKeepalive);
    }
    match datagram.split_first_chunk::<4>() {
        Some((marker, message)) if *marker == NON_ESP_MARKER => Ok(Udp4500Payload::Ike(message)),
        Some(_) if datagram.len() >= ESP_HEADER_LEN => Ok(Udp4500Payload::Esp(datagram)),
        _ => Err(invalid()),
    }
}

/// Returns `message` with the non-ESP marker in front, ready to send on port 4500.
pub fn with_non_esp_marker(message: &[u8]) -> Vec<u8> {
    let mut datagram = Vec::with_capacity(NON_ESP_MARKER.len() + message.len());
    datagram.extend_from_slice(&NON_ESP_MARKER);
    datagram.extend_from_slice(message);
    datagram
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_recognised() {
        assert_eq!(split_udp4500(&[0xff]), Ok(Udp4500Payload::NatKeepalive));
    }

    #[test]
    fn marker_removed_from_ike() {
        let datagram = with_non_esp_marker(&[1, 2, 3]);
        assert_eq!(
            split_udp4500(&datagram),
            Ok(Udp4500Payload::Ike(&[1, 2, 3]))
        );
    }

    #[test]
    fn nonzero_spi_is_esp() {
        let packet = [0, 0, 0, 1, 0, 0, 0, 7, 0xaa];
        assert_eq!(split_udp4500(&packet), Ok(Udp4500Payload::Esp(&packet)));
    }

    #[test]
    fn short_datagrams_rejected() {
        for datagram in [&[][..], &[0xfe], &[0, 0, 0], &[1, 2, 3, 4, 5]] {
            let error = split_udp4500(datagram).unwrap_err();
            assert!(matches!(
                error.kind,
                ParseErrorKind::InvalidUdpEncapsulation { .. }
            ));
        }
    }
}
