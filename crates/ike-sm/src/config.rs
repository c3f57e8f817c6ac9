//! Endpoint and connection configuration: what `ipsec.conf` and `ipsec.secrets` say about a
//! `conn`, in typed form.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use zeroize::Zeroizing;

/// Settings shared by every connection of an [`Endpoint`](crate::Endpoint).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EndpointConfig {
    /// Delay before the first retransmission of an unanswered message. Each further
    /// retransmission doubles it. Openswan 2.6 waits 10 s.
    pub retransmit_interval: Duration,
    /// Retransmissions of one message before the exchange is abandoned. Openswan 2.6 gives up
    /// after 2 ("max number of retransmissions (2) reached").
    pub max_retransmissions: u32,
    /// Interval between NAT-T keepalives (RFC 3948 2.3) while we are behind a NAT.
    pub nat_keepalive: Duration,
    /// Maximum number of half-open responder states (after MI1, before MI3). Further MI1s are
    /// dropped so that a flood of spoofed first messages cannot exhaust memory.
    pub max_half_open: usize,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        Self {
            retransmit_interval: Duration::from_secs(10),
            max_retransmissions: 2,
            nat_keepalive: Duration::from_secs(20),
            max_half_open: 1024,
        }
    }
}

/// One `conn` section: both ends, their identities, credentials, proposals and timers.
///
/// Build one with [`ConnectionConfig::new`] and set the fields that differ from Openswan's
/// defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// Connection name, printed in quotes in every status line (`"net-to-net"`).
    pub name: String,
    /// Our public address and IKE port (500).
    pub local: SocketAddr,
    /// The peer's public address and IKE port (500).
    pub remote: SocketAddr,
    /// Our identity (`leftid`); [`Identity::Address`] uses `local`'s IP address.
    pub local_id: Identity,
    /// The identity the peer must prove (`rightid`); [`Identity::Address`] uses `remote`'s IP.
    pub remote_id: Identity,
    /// How both sides authenticate (`authby=secret` or `authby=rsasig`).
    pub auth: Auth,
    /// Phase 1 proposals in order of preference (`ike=`). Empty means Openswan's defaults, see
    /// [`IkeProposal::openswan_defaults`].
    pub ike_proposals: Vec<IkeProposal>,
    /// Phase 2 ESP proposals in order of preference (`esp=`). Empty means Openswan's defaults,
    /// see [`EspProposal::openswan_defaults`].
    pub esp_proposals: Vec<EspProposal>,
    /// Perfect forward secrecy in Quick Mode (`pfs=yes`, Openswan's default).
    pub pfs: bool,
    /// The Quick Mode DH group when `pfs` is set (`pfsgroup=`); `None` reuses the phase 1 group.
    pub pfs_group: Option<DhGroupId>,
    /// Our protected subnet (`leftsubnet`); `None` protects only our own address.
    pub local_subnet: Option<Subnet>,
    /// The peer's protected subnet (`rightsubnet`); `None` means only the peer's address.
    pub remote_subnet: Option<Subnet>,
    /// Lifetime of the ISAKMP SA (`ikelifetime`, default 1 h).
    pub ike_lifetime: Duration,
    /// Lifetime of the IPsec SAs (`salifetime`/`keylife`, default 8 h).
    pub sa_lifetime: Duration,
    /// Whether SAs are replaced before they expire (`rekey`, default yes).
    pub rekey: bool,
    /// How long before expiry the replacement starts (`rekeymargin`, default 9 min).
    pub rekey_margin: Duration,
    /// Random extra share of `rekey_margin` in percent (`rekeyfuzz`, default 100).
    pub rekey_fuzz_percent: u32,
    /// Keying attempts before giving up (`keyingtries`); 0 means unlimited. Default 3.
    pub keying_tries: u32,
    /// Dead peer detection (RFC 3706); `None` disables sending R-U-THERE (we still acknowledge the peer's).
    pub dpd: Option<DpdConfig>,
    /// Whether NAT traversal (RFC 3947) is offered and accepted (`nat_traversal=yes`).
    pub nat_traversal: bool,
    /// Encapsulate ESP in UDP even without a NAT (`forceencaps=yes`): we send a NAT-D that
    /// cannot match, so both sides float to port 4500.
    pub force_encaps: bool,
    /// Whether the initiator starts Quick Mode right after Main Mode (`auto=start` and
    /// `ipsec auto --up` both do).
    pub initiate_quick_mode: bool,
    /// IPsec mode of the SAs (`type=tunnel`, Openswan's default, or `type=transport`). The
    /// responder rejects a proposal in the other mode with NO_PROPOSAL_CHOSEN.
    pub mode: IpsecMode,
}

impl ConnectionConfig {
    /// Creates a connection between two addresses with Openswan 2.6's defaults for every
    /// other setting.
    pub fn new(name: impl Into<String>, local: SocketAddr, remote: SocketAddr, auth: Auth) -> Self {
        Self {
            name: name.into(),
            local,
            remote,
            local_id: Identity::Address,
            remote_id: Identity::Address,
            auth,
            ike_proposals: Vec::new(),
            esp_proposals: Vec::new(),
            pfs: true,
            pfs_group: None,
            local_subnet: None,
            remote_subnet: None,
            ike_lifetime: Duration::from_secs(3600),
            sa_lifetime: Duration::from_secs(8 * 3600),
            rekey: true,
            rekey_margin: Duration::from_secs(540),
            rekey_fuzz_percent: 100,
            keying_tries: 3,
            dpd: None,
            nat_traversal: true,
            force_encaps: false,
            initiate_quick_mode: true,
            mode: IpsecMode::Tunnel,
        }
    }

    /// Returns the phase 1 proposals to offer or accept: the configured ones, or Openswan's
    /// defaults when none are configured.
    pub fn effective_ike_proposals(&self) -> Vec<IkeProposal> {
        if self.ike_proposals.is_empty() {
            IkeProposal::openswan_defaults()
        } else {
            self.ike_proposals.clone()
        }
    }

    /// Returns the ESP proposals to offer or accept, with Openswan's defaults when none are
    /// configured.
    pub fn effective_esp_proposals(&self) -> Vec<EspProposal> {
        if self.esp_proposals.is_empty() {
            EspProposal::openswan_defaults()
        } else {
            self.esp_proposals.clone()
        }
    }
}

/// IPsec mode of a connection's ESP SAs (`type=`, RFC 4301 4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IpsecMode {
    /// Tunnel mode: ESP carries whole IP packets between the protected subnets.
    #[default]
    Tunnel,
    /// Transport mode: ESP protects the payload of packets between the two hosts. Behind a
    /// NAT it is UDP-encapsulated and the peers exchange their original addresses in NAT-OA
    /// payloads (RFC 3947 5.2).
    Transport,
}

impl fmt::Display for IpsecMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IpsecMode::Tunnel => "tunnel",
            IpsecMode::Transport => "transport",
        })
    }
}

/// Credentials of a connection.
#[derive(Clone)]
#[non_exhaustive]
pub enum Auth {
    /// Pre-shared key (`authby=secret`), the bytes between the quotes in `ipsec.secrets`.
    Psk(Zeroizing<Vec<u8>>),
    /// RSA signatures (`authby=rsasig`) with raw keys: our private key (`: RSA {...}` in
    /// `ipsec.secrets`) and the peer's public key (`rightrsasigkey=`).
    Rsa {
        /// Our private key.
        local: keystore::PrivateKey,
        /// The peer's public key.
        remote: keystore::PublicKey,
    },
}

impl Auth {
    /// Creates pre-shared key credentials from the secret's bytes.
    pub fn psk(secret: impl AsRef<[u8]>) -> Self {
        Auth::Psk(Zeroizing::new(secret.as_ref().to_vec()))
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Psk(_) => f.write_str("Psk(<redacted>)"),
            Auth::Rsa { remote, .. } => {
                write!(f, "Rsa {{ local: <redacted>, remote: {} }}", remote.keyid())
            }
        }
    }
}

/// An IKE identity (RFC 2407 4.6.2.1) as written in `leftid=`/`rightid=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Identity {
    /// The IP address of the connection's end (Openswan's default when no id is given).
    Address,
    /// `ID_IPV4_ADDR`.
    Ipv4(Ipv4Addr),
    /// `ID_IPV6_ADDR`.
    Ipv6(Ipv6Addr),
    /// `ID_FQDN`, written `@name` in `ipsec.conf` (stored without the `@`).
    Fqdn(String),
    /// `ID_USER_FQDN`, written `user@domain`.
    UserFqdn(String),
}

impl Identity {
    /// Replaces [`Identity::Address`] by the concrete address identity of `addr`.
    pub fn resolve(&self, addr: IpAddr) -> Identity {
        match (self, addr) {
            (Identity::Address, IpAddr::V4(a)) => Identity::Ipv4(a),
            (Identity::Address, IpAddr::V6(a)) => Identity::Ipv6(a),
            (other, _) => other.clone(),
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Identity::Address => f.write_str("%any"),
            Identity::Ipv4(a) => write!(f, "{a}"),
            Identity::Ipv6(a) => write!(f, "{a}"),
            Identity::Fqdn(n) => write!(f, "@{n}"),
            Identity::UserFqdn(n) => f.write_str(n),
        }
    }
}

/// An IP subnet: address and prefix length, host bits cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    /// Network address (host bits are zero).
    pub addr: IpAddr,
    /// Prefix length in bits, at most 32 for IPv4 and 128 for IPv6.
    pub prefix_len: u8,
}

impl Subnet {
    /// Creates a subnet, clearing the host bits of `addr`. Returns `None` when `prefix_len`
    /// exceeds the address width.
    pub fn new(addr: IpAddr, prefix_len: u8) -> Option<Self> {
        match addr {
            IpAddr::V4(a) if prefix_len <= 32 => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(prefix_len))
                    .unwrap_or(0);
                Some(Self {
                    addr: IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask)),
                    prefix_len,
                })
            }
            IpAddr::V6(a) if prefix_len <= 128 => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(prefix_len))
                    .unwrap_or(0);
                Some(Self {
                    addr: IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask)),
                    prefix_len,
                })
            }
            _ => None,
        }
    }

    /// Creates the single-address subnet (`/32` or `/128`) of `addr`.
    pub fn host(addr: IpAddr) -> Self {
        let prefix_len = if addr.is_ipv4() { 32 } else { 128 };
        Self { addr, prefix_len }
    }

    /// Returns the network mask as bytes (4 or 16 of them).
    pub fn mask_bytes(&self) -> Vec<u8> {
        match self.addr {
            IpAddr::V4(_) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                mask.to_be_bytes().to_vec()
            }
            IpAddr::V6(_) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix_len))
                    .unwrap_or(0);
                mask.to_be_bytes().to_vec()
            }
        }
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

/// Phase 1 encryption algorithm (RFC 2409 appendix A, RFC 3602 for AES).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeCipher {
    /// `OAKLEY_3DES_CBC` (5), 192-bit key.
    TripleDesCbc,
    /// `OAKLEY_AES_CBC` (7) with a 128, 192 or 256-bit key.
    AesCbc {
        /// Key length in bits (128, 192 or 256).
        key_bits: u16,
    },
}

/// Phase 1 hash algorithm; its HMAC is the PRF (RFC 2409 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IkeHash {
    /// `OAKLEY_MD5` (1).
    Md5,
    /// `OAKLEY_SHA` (2).
    Sha1,
    /// `OAKLEY_SHA2_256` (4).
    Sha2_256,
    /// `OAKLEY_SHA2_384` (5).
    Sha2_384,
    /// `OAKLEY_SHA2_512` (6).
    Sha2_512,
}

/// Diffie-Hellman group (RFC 2409, RFC 3526, RFC 5903, RFC 8031).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DhGroupId {
    /// MODP 1024 (group 2).
    Modp1024,
    /// MODP 1536 (group 5).
    Modp1536,
    /// MODP 2048 (group 14).
    Modp2048,
    /// MODP 3072 (group 15).
    Modp3072,
    /// MODP 4096 (group 16).
    Modp4096,
    /// ECP 256 (group 19).
    Ecp256,
    /// ECP 384 (group 20).
    Ecp384,
    /// Curve25519 (group 31).
    Curve25519,
}

impl DhGroupId {
    /// Returns the group's IANA number (the Group Description attribute value).
    pub fn number(self) -> u16 {
        match self {
            DhGroupId::Modp1024 => 2,
            DhGroupId::Modp1536 => 5,
            DhGroupId::Modp2048 => 14,
            DhGroupId::Modp3072 => 15,
            DhGroupId::Modp4096 => 16,
            DhGroupId::Ecp256 => 19,
            DhGroupId::Ecp384 => 20,
            DhGroupId::Curve25519 => 31,
        }
    }

    /// Returns the group with IANA number `number`, if supported.
    pub fn from_number(number: u16) -> Option<Self> {
        Some(match number {
            2 => DhGroupId::Modp1024,
            5 => DhGroupId::Modp1536,
            14 => DhGroupId::Modp2048,
            15 => DhGroupId::Modp3072,
            16 => DhGroupId::Modp4096,
            19 => DhGroupId::Ecp256,
            20 => DhGroupId::Ecp384,
            31 => DhGroupId::Curve25519,
            _ => return None,
        })
    }
}

/// One phase 1 transform: cipher, hash/PRF and DH group. The authentication method comes from
/// [`Auth`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IkeProposal {
    /// Encryption algorithm.
    pub cipher: IkeCipher,
    /// Hash algorithm; its HMAC is the PRF.
    pub hash: IkeHash,
    /// Diffie-Hellman group.
    pub group: DhGroupId,
}

impl IkeProposal {
    /// Returns Openswan 2.6's default phase 1 offer when `ike=` is absent:
    /// 3DES and AES-128 with SHA1 and MD5, over MODP2048, MODP1536 and MODP1024.
    ///
    /// NOTE: the list follows Openswan 2.6's documented defaults (3DES/AES, SHA1/MD5,
    /// groups 14/5/2); the exact order Openswan uses was not observed here.
    pub fn openswan_defaults() -> Vec<IkeProposal> {
        let mut out = Vec::new();
        for group in [
            DhGroupId::Modp2048,
            DhGroupId::Modp1536,
            DhGroupId::Modp1024,
        ] {
            for cipher in [IkeCipher::AesCbc { key_bits: 128 }, IkeCipher::TripleDesCbc] {
                for hash in [IkeHash::Sha1, IkeHash::Md5] {
                    out.push(IkeProposal {
                        cipher,
                        hash,
                        group,
                    });
                }
            }
        }
        out
    }
}

/// ESP encryption transform (RFC 2407 4.4.4, RFC 3602).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EspCipher {
    /// `ESP_3DES` (3).
    TripleDesCbc,
    /// `ESP_AES` (12) in CBC mode with a 128, 192 or 256-bit key.
    AesCbc {
        /// Key length in bits.
        key_bits: u16,
    },
    /// `ESP_NULL` (11): integrity only.
    Null,
    /// `ESP_AES-GCM_16` (20, RFC 4106): AES-GCM with a 16-byte ICV and a 128 or 256-bit key.
    /// It authenticates by itself, so it goes with [`EspIntegrity::None`], and its KEYMAT is the
    /// key followed by a 4-byte salt.
    AesGcm16 {
        /// Key length in bits, without the salt.
        key_bits: u16,
    },
}

impl EspCipher {
    /// Returns the ESP transform id (RFC 2407 4.4.4).
    pub fn transform_id(self) -> u8 {
        match self {
            EspCipher::TripleDesCbc => 3,
            EspCipher::AesCbc { .. } => 12,
            EspCipher::Null => 11,
            EspCipher::AesGcm16 { .. } => 20,
        }
    }

    /// Returns the length in bytes of the cipher's share of KEYMAT: the key, plus the 4-byte
    /// salt for AES-GCM (RFC 4106).
    pub fn key_len(self) -> usize {
        match self {
            EspCipher::TripleDesCbc => 24,
            EspCipher::AesCbc { key_bits } => usize::from(key_bits) / 8,
            EspCipher::Null => 0,
            EspCipher::AesGcm16 { key_bits } => usize::from(key_bits) / 8 + AES_GCM_SALT_LEN,
        }
    }

    /// Reports whether the cipher authenticates by itself and takes no integrity algorithm.
    pub fn is_aead(self) -> bool {
        matches!(self, EspCipher::AesGcm16 { .. })
    }
}

/// Length of the AES-GCM salt taken from the end of the cipher's KEYMAT (RFC 4106).
pub const AES_GCM_SALT_LEN: usize = 4;

/// ESP integrity algorithm, the IPsec DOI Authentication Algorithm attribute (RFC 2407 4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EspIntegrity {
    /// `HMAC-MD5` (1), HMAC-MD5-96 on the wire.
    HmacMd5,
    /// `HMAC-SHA` (2), HMAC-SHA1-96 on the wire.
    HmacSha1,
    /// `HMAC-SHA2-256` (5), truncated to 128 bits (RFC 4868).
    HmacSha2_256,
    /// `HMAC-SHA2-384` (6), truncated to 192 bits.
    HmacSha2_384,
    /// `HMAC-SHA2-512` (7), truncated to 256 bits.
    HmacSha2_512,
    /// No Authentication Algorithm attribute: the only choice with an AEAD cipher such as
    /// [`EspCipher::AesGcm16`] (RFC 4106), which authenticates by itself.
    None,
}

impl EspIntegrity {
    /// Returns the Authentication Algorithm attribute value, `None` for [`EspIntegrity::None`],
    /// which sends no attribute.
    pub fn attribute_value(self) -> Option<u16> {
        match self {
            EspIntegrity::HmacMd5 => Some(1),
            EspIntegrity::HmacSha1 => Some(2),
            EspIntegrity::HmacSha2_256 => Some(5),
            EspIntegrity::HmacSha2_384 => Some(6),
            EspIntegrity::HmacSha2_512 => Some(7),
            EspIntegrity::None => None,
        }
    }

    /// Returns the key length in bytes.
    pub fn key_len(self) -> usize {
        match self {
            EspIntegrity::HmacMd5 => 16,
            EspIntegrity::HmacSha1 => 20,
            EspIntegrity::HmacSha2_256 => 32,
            EspIntegrity::HmacSha2_384 => 48,
            EspIntegrity::HmacSha2_512 => 64,
            EspIntegrity::None => 0,
        }
    }
}

/// One ESP transform offered in Quick Mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EspProposal {
    /// Encryption transform.
    pub cipher: EspCipher,
    /// Integrity algorithm.
    pub integrity: EspIntegrity,
}

impl EspProposal {
    /// Returns Openswan 2.6's default ESP offer when `esp=` is absent: AES-128 and 3DES, each
    /// with HMAC-SHA1 and HMAC-MD5.
    pub fn openswan_defaults() -> Vec<EspProposal> {
        let mut out = Vec::new();
        for cipher in [EspCipher::AesCbc { key_bits: 128 }, EspCipher::TripleDesCbc] {
            for integrity in [EspIntegrity::HmacSha1, EspIntegrity::HmacMd5] {
                out.push(EspProposal { cipher, integrity });
            }
        }
        out
    }
}

/// Dead peer detection settings (`dpddelay`, `dpdtimeout`, `dpdaction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DpdConfig {
    /// Idle time before an R-U-THERE is sent.
    pub delay: Duration,
    /// Time without any acknowledgement after which the peer is declared dead.
    pub timeout: Duration,
    /// What the gateway should do with a dead peer's connection.
    pub action: DpdAction,
}

/// Outcome requested when a peer is declared dead (`dpdaction=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DpdAction {
    /// Keep the policy and drop traffic until the peer returns (Openswan's default).
    Hold,
    /// Remove the SAs and the policy.
    Clear,
    /// Delete the SAs and start a new negotiation at once.
    Restart,
}

impl fmt::Display for DpdAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DpdAction::Hold => "hold",
            DpdAction::Clear => "clear",
            DpdAction::Restart => "restart",
        })
    }
}
