//! The typed model of an ipsec.conf file.
//!
//! Every conn is stored resolved: `also=`/`alsoflip=` and `conn %default` are already applied,
//! so a [`Conn`] is complete on its own. Keys that were never set keep their Openswan default,
//! and [`crate::write_config`] prints every field, so model to text to model is the identity.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use ike_wire::GroupDescription;

use crate::proposal::{EspAlgs, IkeAlgs};

/// A whole ipsec.conf, with its includes read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    /// The `version` line (`2` or `2.0`), if present.
    pub version: Option<String>,
    /// The `config setup` section (all files' sections merged).
    pub setup: ConfigSetup,
    /// The conns in file order, resolved. `%default` is not among them.
    pub conns: Vec<Conn>,
}

impl Config {
    /// Finds a conn by name.
    pub fn conn(&self, name: &str) -> Option<&Conn> {
        self.conns.iter().find(|c| c.name == name)
    }
}

/// The `config setup` section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigSetup {
    /// `interfaces=`: `%defaultroute`, `%none` or `"ipsec0=eth0 ..."`, raw.
    pub interfaces: Option<String>,
    /// `nat_traversal=yes|no` (Openswan default: no).
    pub nat_traversal: bool,
    /// `virtual_private=`: the `%v4:`/`%v6:` list, each entry as written (`%v4:10.0.0.0/8`,
    /// `%v4:!10.1.0.0/16`).
    pub virtual_private: Vec<String>,
    /// `protostack=`: `auto`, `klips`, `netkey`, `mast` or `bsd`, raw.
    pub protostack: Option<String>,
    /// `plutodebug=`: the debug categories (`none`, `all`, `control`, ...).
    pub plutodebug: Vec<String>,
    /// `uniqueids=yes|no` (default: yes).
    pub uniqueids: bool,
    /// `oe=yes|no` (default: no).
    pub oe: bool,
    /// `myid=`, raw.
    pub myid: Option<String>,
    /// `keep_alive=` in seconds, for NAT-T keepalives.
    pub keep_alive: Option<Duration>,
    /// `force_keepalive=yes|no`.
    pub force_keepalive: bool,
    /// `listen=`: the one address pluto listens on.
    pub listen: Option<IpAddr>,
    /// Other recognised keys (unsupported ones, and `x-` extensions), as written.
    pub other: BTreeMap<String, String>,
}

/// One end of a conn: `left*` or `right*` keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct End {
    /// `left=`: the public address of this end.
    pub host: Option<Host>,
    /// `leftsubnet=` and `leftsubnets={...}`, in order (empty: the host itself).
    pub subnets: Vec<Subnet>,
    /// `leftid=`.
    pub id: Option<Id>,
    /// `leftrsasigkey=`.
    pub rsasigkey: Option<RsaSigKey>,
    /// `leftrsasigkey2=`, a second key accepted during key rollover.
    pub rsasigkey2: Option<RsaSigKey>,
    /// `leftnexthop=`.
    pub nexthop: Option<NextHop>,
    /// `leftsourceip=`: the address used for traffic this end originates into the tunnel.
    pub sourceip: Option<IpAddr>,
    /// `leftprotoport=`.
    pub protoport: Option<ProtoPort>,
    /// `leftupdown=`: the updown script, raw (may contain arguments).
    pub updown: Option<String>,
    /// `leftcert=`: certificate file, raw.
    pub cert: Option<String>,
    /// `leftca=`, raw.
    pub ca: Option<String>,
    /// `leftsendcert=`, raw.
    pub sendcert: Option<String>,
    /// `leftxauthserver=yes|no`.
    pub xauthserver: bool,
    /// `leftxauthclient=yes|no`.
    pub xauthclient: bool,
    /// `leftmodecfgserver=yes|no`.
    pub modecfgserver: bool,
    /// `leftmodecfgclient=yes|no`.
    pub modecfgclient: bool,
}

/// A `conn` section, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conn {
    /// The section name (`net-to-net`).
    pub name: String,
    /// The `left*` keys.
    pub left: End,
    /// The `right*` keys.
    pub right: End,
    /// `authby=` (default `rsasig`).
    pub authby: AuthBy,
    /// `auto=` (default `ignore`).
    pub auto: Auto,
    /// `type=` (default `tunnel`).
    pub conn_type: ConnType,
    /// `ike=`: phase 1 proposals, `None` for the built-in list.
    pub ike: Option<IkeAlgs>,
    /// `phase2alg=` or its older name `esp=`: phase 2 proposals, `None` for the built-in list.
    pub esp: Option<EspAlgs>,
    /// `phase2=esp|ah` (default `esp`).
    pub phase2: Phase2,
    /// `pfs=yes|no` (default yes).
    pub pfs: bool,
    /// `pfsgroup=`: the DH group for PFS (default: the phase 1 group).
    pub pfsgroup: Option<GroupDescription>,
    /// `keyexchange=ike` (the only Openswan value).
    pub keyexchange: String,
    /// `ikev2=` (default `never`, spelled `no` too).
    pub ikev2: Ikev2Policy,
    /// `aggrmode=yes|no` (default no).
    pub aggrmode: bool,
    /// `ikelifetime=` (default 1 hour).
    pub ikelifetime: Duration,
    /// `salifetime=` or its older names `keylife=`/`lifetime=` (default 8 hours).
    pub salifetime: Duration,
    /// `rekey=yes|no` (default yes).
    pub rekey: bool,
    /// `rekeymargin=` (default 9 minutes).
    pub rekeymargin: Duration,
    /// `rekeyfuzz=` in percent (default 100).
    pub rekeyfuzz: u32,
    /// `keyingtries=`; 0 is `%forever`, the default in Openswan 2.6's ipsec.conf(5).
    pub keyingtries: u32,
    /// `dpddelay=`: seconds between DPD R_U_THERE probes; `None` disables DPD.
    pub dpddelay: Option<Duration>,
    /// `dpdtimeout=`: silence after which the peer is declared dead.
    pub dpdtimeout: Option<Duration>,
    /// `dpdaction=` (default `hold`).
    pub dpdaction: DpdAction,
    /// `forceencaps=yes|no` (default no): UDP-encapsulate ESP even without a NAT.
    pub forceencaps: bool,
    /// `compress=yes|no` (default no): propose IPComp.
    pub compress: bool,
    /// Other recognised keys (unsupported ones, and `x-` extensions), as written.
    pub other: BTreeMap<String, String>,
}

impl Conn {
    /// Creates a conn with every key at its Openswan 2.6 default.
    pub fn new(name: impl Into<String>) -> Conn {
        Conn {
            name: name.into(),
            left: End::default(),
            right: End::default(),
            authby: AuthBy::RsaSig,
            auto: Auto::Ignore,
            conn_type: ConnType::Tunnel,
            ike: None,
            esp: None,
            phase2: Phase2::Esp,
            pfs: true,
            pfsgroup: None,
            keyexchange: "ike".to_owned(),
            ikev2: Ikev2Policy::Never,
            aggrmode: false,
            ikelifetime: Duration::from_secs(3600),
            salifetime: Duration::from_secs(8 * 3600),
            rekey: true,
            rekeymargin: Duration::from_secs(540),
            rekeyfuzz: 100,
            keyingtries: 0,
            dpddelay: None,
            dpdtimeout: None,
            dpdaction: DpdAction::Hold,
            forceencaps: false,
            compress: false,
            other: BTreeMap::new(),
        }
    }
}

/// The address of an end (`left=`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A literal IPv4 or IPv6 address.
    Addr(IpAddr),
    /// `%defaultroute`: the address of the interface of the default route.
    DefaultRoute,
    /// `%any` (or `%any6`): any peer address, filled in when the peer connects.
    Any,
    /// `%opportunistic`: the peer is found through DNS.
    Opportunistic,
    /// `%group`: a policy group template (opportunistic encryption).
    Group,
    /// `%opportunisticgroup`: an opportunistic policy group template.
    OpportunisticGroup,
    /// A host name to resolve (`vpn.example.com`).
    Fqdn(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Addr(a) => write!(f, "{a}"),
            Host::DefaultRoute => f.write_str("%defaultroute"),
            Host::Any => f.write_str("%any"),
            Host::Opportunistic => f.write_str("%opportunistic"),
            Host::Group => f.write_str("%group"),
            Host::OpportunisticGroup => f.write_str("%opportunisticgroup"),
            Host::Fqdn(name) => f.write_str(name),
        }
    }
}

/// An address prefix (`172.16.1.0/24`). The host bits are kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subnet {
    /// The network address.
    pub addr: IpAddr,
    /// The prefix length: 0..=32 for IPv4, 0..=128 for IPv6.
    pub prefix_len: u8,
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)
    }
}

impl std::str::FromStr for Subnet {
    type Err = String;

    /// Parses `addr/len`, or a bare address as a host prefix (/32 or /128). Openswan also
    /// accepts `%v4:`/`%v6:` prefixes here only in `virtual_private`, so they are rejected.
    fn from_str(text: &str) -> Result<Subnet, String> {
        let (addr_text, len_text) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        let addr: IpAddr = addr_text
            .parse()
            .map_err(|_| format!("'{addr_text}' is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix_len = match len_text {
            None => max,
            Some(l) => match l.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => {
                    // Openswan also takes a dotted netmask (`/255.255.255.0`).
                    let mask: std::net::Ipv4Addr = l
                        .parse()
                        .map_err(|_| format!("prefix length '{l}' is not 0..={max}"))?;
                    let bits = u32::from(mask);
                    if !addr.is_ipv4() || bits.leading_ones() + bits.trailing_zeros() != 32 {
                        return Err(format!("netmask '{l}' is not contiguous"));
                    }
                    bits.leading_ones() as u8
                }
            },
        };
        Ok(Subnet { addr, prefix_len })
    }
}

/// An IKE identity (`leftid=`, or a selector in ipsec.secrets).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Id {
    /// An IP address (ID_IPV4_ADDR or ID_IPV6_ADDR).
    Addr(IpAddr),
    /// `@name`: a FQDN sent as is, without resolving it (ID_FQDN).
    Fqdn(String),
    /// `user@example.com` (ID_USER_FQDN).
    UserFqdn(String),
    /// `@#hex`: raw bytes (ID_KEY_ID).
    KeyId(String),
    /// An X.509 distinguished name (`"C=CA, O=Example, CN=gw"`), as written (ID_DER_ASN1_DN).
    Dn(String),
    /// `%any`, `%any6`, `0.0.0.0` or `::`: matches any identity.
    Any,
    /// `%fromcert`: the subject of the end's certificate.
    FromCert,
    /// A host name without `@`, which Openswan resolves to an address.
    Hostname(String),
}

impl Id {
    /// Parses an identity as Openswan writes it in ipsec.conf and ipsec.secrets.
    pub fn parse(text: &str) -> Id {
        if text == "%any" || text == "%any6" {
            return Id::Any;
        }
        if text == "%fromcert" {
            return Id::FromCert;
        }
        if let Ok(addr) = text.parse::<IpAddr>() {
            if addr.is_unspecified() {
                return Id::Any;
            }
            return Id::Addr(addr);
        }
        if let Some(rest) = text.strip_prefix("@#") {
            return Id::KeyId(rest.to_owned());
        }
        if let Some(rest) = text.strip_prefix('@') {
            return Id::Fqdn(rest.to_owned());
        }
        if text.contains('=') {
            return Id::Dn(text.to_owned());
        }
        if text.contains('@') {
            return Id::UserFqdn(text.to_owned());
        }
        Id::Hostname(text.to_owned())
    }
}

impl fmt::Display for Id {
    /// Prints the identity the way [`Id::parse`] reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Id::Addr(a) => write!(f, "{a}"),
            Id::Fqdn(name) => write!(f, "@{name}"),
            Id::UserFqdn(name) => f.write_str(name),
            Id::KeyId(hex) => write!(f, "@#{hex}"),
            Id::Dn(dn) => f.write_str(dn),
            Id::Any => f.write_str("%any"),
            Id::FromCert => f.write_str("%fromcert"),
            Id::Hostname(name) => f.write_str(name),
        }
    }
}

/// `leftrsasigkey=`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RsaSigKey {
    /// An RFC 3110 key in Openswan's `0s` (base64) or `0x` (hex) text, as written; decode it
    /// with the `keystore` crate.
    Key(String),
    /// `%cert`: the key comes from the end's certificate.
    Cert,
    /// `%dns`, `%dnsondemand`: the key is looked up in DNS.
    Dns,
    /// `%none`: no key.
    None,
}

impl fmt::Display for RsaSigKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RsaSigKey::Key(text) => f.write_str(text),
            RsaSigKey::Cert => f.write_str("%cert"),
            RsaSigKey::Dns => f.write_str("%dnsondemand"),
            RsaSigKey::None => f.write_str("%none"),
        }
    }
}

/// `leftnexthop=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NextHop {
    /// A router address.
    Addr(IpAddr),
    /// `%defaultroute`: the gateway of the default route.
    DefaultRoute,
    /// `%direct`: the peer is on the local link.
    Direct,
}

impl fmt::Display for NextHop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NextHop::Addr(a) => write!(f, "{a}"),
            NextHop::DefaultRoute => f.write_str("%defaultroute"),
            NextHop::Direct => f.write_str("%direct"),
        }
    }
}

/// `leftprotoport=protocol/port`, for example `17/1701` or `udp/%any`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProtoPort {
    /// The IP protocol number (names like `udp` are translated).
    pub protocol: u8,
    /// The port, `None` for `%any` or no port.
    pub port: Option<u16>,
}

impl fmt::Display for ProtoPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(port) => write!(f, "{}/{}", self.protocol, port),
            None => write!(f, "{}/%any", self.protocol),
        }
    }
}

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
        }

        impl $name {
            /// The values accepted, canonical spelling first.
            pub const VALUES: &'static [&'static str] = &[$($text,)*];

            /// Parses the Openswan spelling (or an accepted alias).
            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text $(| $alias)* => Some($name::$variant),)*
                    _ => None,
                }
            }

            /// Returns the canonical Openswan spelling.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// `authby=`: how the peers authenticate phase 1.
    AuthBy {
        /// RSA signatures with keys from `leftrsasigkey=`/`rightrsasigkey=` or certificates.
        RsaSig = "rsasig",
        /// A pre-shared key from ipsec.secrets.
        Secret = "secret" | "psk",
        /// Either, as the peer proposes.
        SecretOrRsaSig = "secret|rsasig" | "rsasig|secret",
        /// No authentication (only for `type=passthrough`-like conns).
        Never = "never",
    }
}

keyword_enum! {
    /// `auto=`: what happens to the conn when IPsec starts.
    Auto {
        /// Nothing.
        Ignore = "ignore",
        /// Load it, wait for the peer or `auto --up`.
        Add = "add",
        /// Load it and install the route (trap) so traffic triggers negotiation.
        Route = "route",
        /// Load it and negotiate now.
        Start = "start",
        /// Manual keying (not supported by this gateway).
        Manual = "manual",
    }
}

keyword_enum! {
    /// `type=`: the kind of connection.
    ConnType {
        /// Subnet to subnet through the tunnel.
        Tunnel = "tunnel",
        /// Host to host, transport mode.
        Transport = "transport",
        /// Traffic bypasses IPsec.
        Passthrough = "passthrough",
        /// Traffic is dropped silently.
        Drop = "drop",
        /// Traffic is dropped with an ICMP error.
        Reject = "reject",
    }
}

keyword_enum! {
    /// `phase2=`: the IPsec protocol.
    Phase2 {
        /// ESP (RFC 4303).
        Esp = "esp",
        /// AH (RFC 4302).
        Ah = "ah",
    }
}

keyword_enum! {
    /// `ikev2=`: Openswan's IKEv2 policy for the conn.
    Ikev2Policy {
        /// IKEv1 only.
        Never = "never" | "no",
        /// Accept IKEv2 from a peer, initiate with IKEv1.
        Permit = "permit",
        /// Initiate with IKEv2, accept both.
        Propose = "propose" | "yes",
        /// IKEv2 only.
        Insist = "insist",
    }
}

keyword_enum! {
    /// `dpdaction=`: what happens when dead peer detection declares the peer dead.
    DpdAction {
        /// Keep the routes, so traffic waits for a new negotiation.
        Hold = "hold",
        /// Remove the conn's SAs and routes.
        Clear = "clear",
        /// Renegotiate at once.
        Restart = "restart",
        /// Like `restart`, but only by the peer that started the conn.
        RestartByPeer = "restart_by_peer",
    }
}
