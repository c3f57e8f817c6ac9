//! NAT traversal in IKE (RFC 3947 and the drafts Openswan and Libreswan still announce), and the
//! dead peer detection vendor ID (RFC 3706).

use std::net::{IpAddr, SocketAddr};

use ike_wire::{EncapsulationMode, PayloadType};

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
