//! NAT traversal in IKE (RFC 3947 and the drafts Openswan and Libreswan still announce), and the
//! dead peer detection vendor ID (RFC 3706).

use std::net::{IpAddr, SocketAddr};

use ike_wire::{EncapsulationMode, IdType, PayloadType};

use crate::crypto::Hash;

/// Vendor ID of RFC 3947: MD5("RFC 3947").
pub(crate) const VID_RFC3947: [u8; 16] = hex16("4a131c81070358455c5728f20e95452f");
/// Vendor ID of draft-ietf-ipsec-nat-t-ike-03.
pub(crate) const VID_DRAFT_03: [u8; 16] = hex16("7d9419a65310ca6f2c179d9215529d56");
/// Vendor ID of draft-ietf-ipsec-nat-t-ike-02 with a trailing newline in the hashed name.
pub(crate) const VID_DRAFT_02_N: [u8; 16] = hex16("90cb80913ebb696e086381b5ec427b1f");
/// Vendor ID of draft-ietf-ipsec-nat-t-ike-02.
pub(crate) const VID_DRAFT_02: [u8; 16] = hex16("cd60464335df21f87cfdb2fc68b6a448");
/// Vendor ID of RFC 3706 dead peer detection.
pub(crate) const VID_DPD: [u8; 16] = hex16("afcad71368a1f1c96b8696fc77570100");

const fn hex16(text: &str) -> [u8; 16] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let bytes = text.as_bytes();
    let mut out = [0u8; 16];
    let mut i = 0;
    while i < 16 {
        out[i] = (nibble(bytes[2 * i]) << 4) | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// The NAT-T variant both peers announced, the newest one winning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum NattMethod {
    Draft02,
    Draft03,
    Rfc3947,
}

impl NattMethod {
    /// Vendor IDs we send in the first Main Mode message, newest first.
    pub(crate) fn offered_vids() -> [[u8; 16]; 4] {
        [VID_RFC3947, VID_DRAFT_03, VID_DRAFT_02_N, VID_DRAFT_02]
    }

    /// Reads a vendor ID as a NAT-T announcement.
    pub(crate) fn from_vid(vid: &[u8]) -> Option<Self> {
        if vid == VID_RFC3947 {
            Some(NattMethod::Rfc3947)
        } else if vid == VID_DRAFT_03 {
            Some(NattMethod::Draft03)
        } else if vid == VID_DRAFT_02 || vid == VID_DRAFT_02_N {
            Some(NattMethod::Draft02)
        } else {
            None
        }
    }

    /// The vendor ID a responder echoes for this method.
    pub(crate) fn vid(self) -> [u8; 16] {
        match self {
            NattMethod::Rfc3947 => VID_RFC3947,
            NattMethod::Draft03 => VID_DRAFT_03,
            NattMethod::Draft02 => VID_DRAFT_02_N,
        }
    }

    /// Payload type of NAT-D: 20 in RFC 3947, 130 in the drafts.
    pub(crate) fn natd_type(self) -> PayloadType {
        match self {
            NattMethod::Rfc3947 => PayloadType::NAT_D,
            _ => PayloadType::NAT_D_DRAFT,
        }
    }

    /// Encapsulation mode of a UDP-encapsulated tunnel: 3 in RFC 3947, 61443 in the drafts.
    pub(crate) fn udp_tunnel_mode(self) -> EncapsulationMode {
        match self {
            NattMethod::Rfc3947 => EncapsulationMode::UDP_TUNNEL,
            _ => EncapsulationMode::UDP_TUNNEL_DRAFT,
        }
    }
}

/// Computes a NAT-D hash: HASH(CKY-I | CKY-R | IP | Port) (RFC 3947 3.2).
pub(crate) fn natd_hash(
    hash: Hash,
    icookie: &[u8; 8],
    rcookie: &[u8; 8],
    addr: SocketAddr,
) -> Vec<u8> {
    let ip = match addr.ip() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    hash.digest(&[icookie, rcookie, &ip, &addr.port().to_be_bytes()])
}

/// Maximum number of NAT-OA payloads in one Quick Mode message: NAT-OAi and NAT-OAr
/// (RFC 3947 5.2). The drafts send one.
pub(crate) const MAX_NAT_OA: usize = 2;

/// A NAT-OA payload (RFC 3947 5.2) that cannot hold an original address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NatOaError {
    /// The ID type is neither ID_IPV4_ADDR (1) nor ID_IPV6_ADDR (5), the only types RFC 3947
    /// 5.2 allows.
    #[error("NAT-OA payload {index}: ID type {id_type} is not ID_IPV4_ADDR or ID_IPV6_ADDR")]
    UnsupportedIdType {
        /// Position of the payload among the message's NAT-OA payloads, from 0.
        index: usize,
        /// The received ID type.
        id_type: u8,
    },
    /// The address is not 4 bytes for ID_IPV4_ADDR or 16 bytes for ID_IPV6_ADDR.
    #[error("NAT-OA payload {index}: {id_type} address of {actual} bytes, expected {expected}")]
    InvalidAddressLength {
        /// Position of the payload among the message's NAT-OA payloads, from 0.
        index: usize,
        /// Openswan's name of the ID type.
        id_type: &'static str,
        /// Length of the received address in bytes.
        actual: usize,
        /// Length the ID type requires.
        expected: usize,
    },
    /// More NAT-OA payloads than NAT-OAi and NAT-OAr.
    #[error("{count} NAT-OA payloads, at most {MAX_NAT_OA} expected")]
    TooMany {
        /// Number of NAT-OA payloads in the message.
        count: usize,
    },
}

impl NattMethod {
    /// Encapsulation mode of UDP-encapsulated transport: 4 in RFC 3947, 61444 in the drafts.
    pub(crate) fn udp_transport_mode(self) -> EncapsulationMode {
        match self {
            NattMethod::Rfc3947 => EncapsulationMode::UDP_TRANSPORT,
            _ => EncapsulationMode::UDP_TRANSPORT_DRAFT,
        }
    }

    /// Payload type of NAT-OA: 21 in RFC 3947, 131 in the drafts.
    pub(crate) fn nat_oa_type(self) -> PayloadType {
        match self {
            NattMethod::Rfc3947 => PayloadType::NAT_OA,
            _ => PayloadType::NAT_OA_DRAFT,
        }
    }

    /// Builds the NAT-OA payloads of a Quick Mode message for UDP-encapsulated transport.
    ///
    /// RFC 3947 5.2 sends two in both QI1 and QR1, NAT-OAi first and NAT-OAr second. NAT-OAi is
    /// the initiator's address: the initiator's own, or the source of QI1 as the responder
    /// received it. NAT-OAr is the responder's address: the destination of QI1 as the
    /// initiator sent it, or the responder's own. The drafts send one, the sender's own address.
    pub(crate) fn nat_oa_payloads(
        self,
        initiator: IpAddr,
        responder: IpAddr,
        we_initiated: bool,
    ) -> Vec<ike_wire::Payload> {
        let addresses = match self {
            NattMethod::Rfc3947 => vec![initiator, responder],
            _ if we_initiated => vec![initiator],
            _ => vec![responder],
        };
        addresses
            .into_iter()
            .map(|address| {
                let (id_type, bytes) = match address {
                    IpAddr::V4(a) => (IdType::IPV4_ADDR, a.octets().to_vec()),
                    IpAddr::V6(a) => (IdType::IPV6_ADDR, a.octets().to_vec()),
                };
                ike_wire::Payload::NatOa(ike_wire::NatOa {
                    reserved: 0,
                    payload_type: self.nat_oa_type(),
                    id_type,
                    reserved2: [0; 3],
                    address: bytes,
                })
            })
            .collect()
    }
}

/// Reads the addresses of the NAT-OA payloads of a received Quick Mode message, in order.
///
/// Either payload number (21 or 131) is accepted. Returns [`NatOaError`] for more than
/// [`MAX_NAT_OA`] payloads, an ID type other than ID_IPV4_ADDR or ID_IPV6_ADDR, or an
/// address whose length does not match its type. Never panics.
pub(crate) fn read_nat_oa(payloads: &[ike_wire::Payload]) -> Result<Vec<IpAddr>, NatOaError> {
    let nat_oa: Vec<&ike_wire::NatOa> = payloads
        .iter()
        .filter_map(|payload| match payload {
            ike_wire::Payload::NatOa(p) => Some(p),
            _ => None,
        })
        .collect();
    if nat_oa.len() > MAX_NAT_OA {
        return Err(NatOaError::TooMany {
            count: nat_oa.len(),
        });
    }

    let mut addresses = Vec::with_capacity(nat_oa.len());
    for (index, payload) in nat_oa.into_iter().enumerate() {
        let length_error =
            |id_type: &'static str, expected: usize| NatOaError::InvalidAddressLength {
                index,
                id_type,
                actual: payload.address.len(),
                expected,
            };
        let address = match payload.id_type {
            IdType::IPV4_ADDR => <[u8; 4]>::try_from(payload.address.as_slice())
                .map(IpAddr::from)
                .map_err(|_| length_error("ID_IPV4_ADDR", 4))?,
            IdType::IPV6_ADDR => <[u8; 16]>::try_from(payload.address.as_slice())
                .map(IpAddr::from)
                .map_err(|_| length_error("ID_IPV6_ADDR", 16))?,
            other => {
                return Err(NatOaError::UnsupportedIdType {
                    index,
                    id_type: other.0,
                })
            }
        };
        addresses.push(address);
    }
    Ok(addresses)
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const INITIATOR: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 1, 0, 2));
    const RESPONDER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn rfc3947_sends_both_addresses() {
        for we_initiated in [true, false] {
            let payloads = NattMethod::Rfc3947.nat_oa_payloads(INITIATOR, RESPONDER, we_initiated);
            assert_eq!(read_nat_oa(&payloads), Ok(vec![INITIATOR, RESPONDER]));
            for payload in &payloads {
                assert_eq!(payload.payload_type(), PayloadType::NAT_OA);
            }
        }
    }

    #[test]
    fn drafts_send_own_address_as_131() {
        for method in [NattMethod::Draft02, NattMethod::Draft03] {
            let initiator = method.nat_oa_payloads(INITIATOR, RESPONDER, true);
            let responder = method.nat_oa_payloads(INITIATOR, RESPONDER, false);
            assert_eq!(read_nat_oa(&initiator), Ok(vec![INITIATOR]));
            assert_eq!(read_nat_oa(&responder), Ok(vec![RESPONDER]));
            assert_eq!(initiator[0].payload_type(), PayloadType::NAT_OA_DRAFT);
            assert_eq!(
                method.udp_transport_mode(),
                EncapsulationMode::UDP_TRANSPORT_DRAFT
            );
        }
        assert_eq!(
            NattMethod::Rfc3947.udp_transport_mode(),
            EncapsulationMode::UDP_TRANSPORT
        );
    }

    #[test]
    fn ipv6_nat_oa_round_trips() {
        let address = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
        let payloads = NattMethod::Rfc3947.nat_oa_payloads(address, RESPONDER, true);
        let bytes = ike_wire::emit_payloads(&payloads).unwrap();
        let parsed = ike_wire::parse_payload_chain(PayloadType::NAT_OA, &bytes).unwrap();
        assert_eq!(read_nat_oa(&parsed), Ok(vec![address, RESPONDER]));
    }

    #[test]
    fn range_id_type_rejected() {
        let payload = ike_wire::Payload::NatOa(ike_wire::NatOa {
            reserved: 0,
            payload_type: PayloadType::NAT_OA,
            id_type: IdType::IPV4_ADDR_RANGE,
            reserved2: [0; 3],
            address: vec![0; 8],
        });
        assert_eq!(
            read_nat_oa(&[payload]),
            Err(NatOaError::UnsupportedIdType {
                index: 0,
                id_type: 7
            })
        );
    }
}
