//! Events the engine reports to the application: Openswan status lines and SA lifecycle events.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use zeroize::Zeroizing;

use crate::config::{DpdAction, EspCipher, EspIntegrity, IpsecMode, Subnet};

/// An event for the application, taken with [`Endpoint::poll_event`](crate::Endpoint::poll_event).
#[derive(Debug, Clone)]
#[non_exhaustive]
// A handful of events per negotiation: boxing the large ChildSa would only complicate matching.
#[allow(clippy::large_enum_variant)]
pub enum Event {
    /// A numbered line as Openswan's pluto prints it to `ipsec auto --up` and its log.
    Status(StatusLine),
    /// Main Mode completed: the ISAKMP SA `serial` is authenticated.
    IsakmpSaEstablished {
        /// Connection name.
        conn: String,
        /// State serial number (`#1`).
        serial: u32,
    },
    /// The ISAKMP SA `serial` was deleted, expired or replaced.
    IsakmpSaDeleted {
        /// Connection name.
        conn: String,
        /// State serial number.
        serial: u32,
    },
    /// Quick Mode completed: install both ESP SAs.
    IpsecSaEstablished(ChildSa),
    /// An IPsec SA pair was deleted (by us, by the peer, or at expiry): remove both SAs.
    IpsecSaDeleted {
        /// Connection name.
        conn: String,
        /// State serial number of the Quick Mode exchange that made the pair.
        serial: u32,
        /// SPI of the inbound SA (ours).
        inbound_spi: u32,
        /// SPI of the outbound SA (the peer's).
        outbound_spi: u32,
    },
    /// The peer sent no R-U-THERE-ACK within `dpdtimeout`.
    DpdDead {
        /// Connection name.
        conn: String,
        /// The configured `dpdaction`; with [`DpdAction::Restart`] the engine already started
        /// a new negotiation.
        action: DpdAction,
    },
    /// A negotiation failed for good (retransmission budget or keying tries used up, or the
    /// peer rejected us).
    Failed {
        /// Connection name.
        conn: String,
        /// State serial number.
        serial: u32,
        /// The reason for the failure.
        reason: FailureReason,
    },
}

/// The reason a negotiation failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureReason {
    /// No reply after the last retransmission, in the given state.
    RetransmissionsExhausted {
        /// Openswan's state name, e.g. `STATE_MAIN_I3`.
        state: &'static str,
    },
    /// The peer replied with a Notify of this type (e.g. `NO_PROPOSAL_CHOSEN`).
    PeerNotify(u16),
    /// The peer's HASH or signature did not verify.
    AuthenticationFailed,
    /// The peer's proposal or identities were unacceptable.
    Rejected,
}

/// One line of Openswan's whack output: `104 "net-to-net" #1: STATE_MAIN_I1: initiate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLine {
    /// Three-digit whack code: 100 + state number for a new state, 4 for an established SA,
    /// 3 for a note, 10 for a retransmission, 31 for a timeout, etc.
    pub code: u16,
    /// Connection name.
    pub conn: String,
    /// State serial number.
    pub serial: u32,
    /// Text after `#serial: `.
    pub text: String,
}

impl fmt::Display for StatusLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:03} \"{}\" #{}: {}",
            self.code, self.conn, self.serial, self.text
        )
    }
}

/// An established pair of ESP SAs with everything needed to install them.
#[derive(Debug, Clone)]
pub struct ChildSa {
    /// Connection name.
    pub conn: String,
    /// State serial number of the Quick Mode exchange.
    pub serial: u32,
    /// The SA the peer uses to send to us (our SPI).
    pub inbound: EspSaParams,
    /// The SA we use to send to the peer (its SPI).
    pub outbound: EspSaParams,
    /// Our protected subnet (our address as a host subnet when none is configured).
    pub local_subnet: Subnet,
    /// The peer's protected subnet.
    pub remote_subnet: Subnet,
    /// UDP encapsulation ports (local, remote) when ESP travels in UDP (RFC 3948); `None` for
    /// plain ESP.
    pub encapsulation: Option<(u16, u16)>,
    /// Negotiated lifetime of both SAs.
    pub lifetime: Duration,
    /// Whether this pair replaces an older pair of the same connection (a rekey). The old pair
    /// stays usable until an [`Event::IpsecSaDeleted`] names it.
    pub replaces: Option<u32>,
    /// The negotiated mode: tunnel, or transport (plain or UDP-encapsulated).
    pub mode: IpsecMode,
    /// The original addresses the peer sent in NAT-OA payloads. `None` unless the pair is in
    /// UDP-encapsulated transport mode and the peer sent them.
    pub nat_oa: Option<OriginalAddresses>,
}

/// The addresses a peer had before NAT, from its NAT-OA payloads (RFC 3947 5.2). A transport
/// mode datapath uses them to fix up TCP and UDP checksums after decryption (RFC 3948 3.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginalAddresses {
    /// The peer's own address before NAT: NAT-OAi when the peer initiated, NAT-OAr when it
    /// responded, or the single NAT-OA of the drafts.
    pub peer: IpAddr,
    /// Our address as the peer sent to it. Only RFC 3947 peers send it.
    pub local: Option<IpAddr>,
}

/// One direction of an ESP SA: SPI, algorithms, keys and tunnel endpoints.
#[derive(Clone)]
pub struct EspSaParams {
    /// Security parameter index as it appears in the ESP header.
    pub spi: u32,
    /// Encryption transform.
    pub cipher: EspCipher,
    /// Integrity algorithm.
    pub integrity: EspIntegrity,
    /// Encryption key (the first bytes of KEYMAT, RFC 2409 5.5).
    pub enc_key: Zeroizing<Vec<u8>>,
    /// Integrity key (the KEYMAT bytes after the encryption key).
    pub auth_key: Zeroizing<Vec<u8>>,
    /// Outer source address and port of the packets of this SA.
    pub src: SocketAddr,
    /// Outer destination address and port of the packets of this SA.
    pub dst: SocketAddr,
}

impl fmt::Debug for EspSaParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EspSaParams")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .field("cipher", &self.cipher)
            .field("integrity", &self.integrity)
            .field("src", &self.src)
            .field("dst", &self.dst)
            .finish_non_exhaustive()
    }
}
