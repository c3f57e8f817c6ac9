//! The keyword table: every ipsec.conf keyword of Openswan 2.6.51.5, and the foreign ones
//! that get a dialect diagnostic.

use crate::diag::Dialect;

/// The section kind a keyword belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Setup,
    Conn,
}

/// The level of support this gateway has for a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Support {
    /// Parsed into the typed model.
    Implemented,
    /// Recognised and kept in `other`, with a warning that the gateway ignores it.
    Unsupported,
    /// Openswan 2.6 marks it obsolete: a warning, then ignored.
    Obsolete,
}

/// One keyword of Openswan 2.6.51.5's `ipsec_conf_keywords_v2` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Keyword {
    pub name: &'static str,
    pub section: Section,
    /// Exists as `left<name>` and `right<name>` (the empty name is bare `left=`/`right=`).
    pub left_right: bool,
    pub support: Support,
}

const fn kw(name: &'static str, section: Section, left_right: bool, support: Support) -> Keyword {
    Keyword {
        name,
        section,
        left_right,
        support,
    }
}

use Section::{Conn as C, Setup as S};
use Support::{Implemented as I, Obsolete as O, Unsupported as U};

/// Openswan 2.6.51.5's keywords, in the order of its table.
pub(crate) const KEYWORDS: &[Keyword] = &[
    kw("interfaces", S, false, I),
    kw("myid", S, false, I),
    kw("syslog", S, false, U),
    kw("klipsdebug", S, false, U),
    kw("plutodebug", S, false, I),
    kw("plutoopts", S, false, U),
    kw("plutostderrlog", S, false, U),
    kw("plutostderrlogtime", S, false, U),
    kw("plutorestartoncrash", S, false, U),
    kw("dumpdir", S, false, U),
    kw("manualstart", S, false, U),
    kw("pluto", S, false, U),
    kw("plutowait", S, false, U),
    kw("oe", S, false, I),
    kw("prepluto", S, false, U),
    kw("postpluto", S, false, U),
    kw("fragicmp", S, false, U),
    kw("hidetos", S, false, U),
    kw("uniqueids", S, false, I),
    kw("overridemtu", S, false, U),
    kw("nocrsend", S, false, U),
    kw("strictcrlpolicy", S, false, U),
    kw("crlcheckinterval", S, false, U),
    kw("force_busy", S, false, U),
    kw("virtual_private", S, false, I),
    kw("nat_traversal", S, false, I),
    kw("disable_port_floating", S, false, U),
    kw("keep_alive", S, false, I),
    kw("force_keepalive", S, false, I),
    kw("listen", S, false, I),
    kw("protostack", S, false, I),
    kw("nhelpers", S, false, U),
    kw("secctx_attr_value", S, false, U),
    kw("forwardcontrol", S, false, O),
    kw("rp_filter", S, false, O),
    kw("plutofork", S, false, O),
    kw("ike", C, false, I),
    kw("subnet", C, true, I),
    kw("subnets", C, true, I),
    kw("sourceip", C, true, I),
    kw("nexthop", C, true, I),
    kw("firewall", C, true, O),
    kw("updown", C, true, I),
    kw("id", C, true, I),
    kw("rsasigkey", C, true, I),
    kw("rsasigkey2", C, true, I),
    kw("spibase", C, true, U),
    kw("cert", C, true, I),
    kw("sendcert", C, true, I),
    kw("ca", C, true, I),
    kw("auto", C, false, I),
    kw("also", C, false, I),
    kw("alsoflip", C, false, I),
    kw("endaddrfamily", C, false, U),
    kw("connaddrfamily", C, false, U),
    kw("clientaddrfamily", C, false, U),
    kw("tunneladdrfamily", C, false, U),
    kw("type", C, false, I),
    kw("authby", C, false, I),
    kw("keyexchange", C, false, I),
    kw("ikev2", C, false, I),
    kw("narrowing", C, false, U),
    kw("sareftrack", C, false, U),
    kw("pfs", C, false, I),
    kw("sha2_truncbug", C, false, U),
    kw("keylife", C, false, I),
    kw("lifetime", C, false, I),
    kw("salifetime", C, false, I),
    kw("loopback", C, false, U),
    kw("labeled_ipsec", C, false, U),
    kw("policy_label", C, false, U),
    kw("remote_peer_type", C, false, U),
    kw("nm_configured", C, false, U),
    kw("forceencaps", C, false, I),
    kw("overlapip", C, false, U),
    kw("rekey", C, false, I),
    kw("rekeymargin", C, false, I),
    kw("rekeyfuzz", C, false, I),
    kw("keyingtries", C, false, I),
    kw("ikelifetime", C, false, I),
    kw("disablearrivalcheck", C, false, U),
    kw("failureshunt", C, false, U),
    kw("connalias", C, false, U),
    kw("phase2alg", C, false, I),
    kw("esp", C, false, I),
    kw("ah", C, false, U),
    kw("subnetwithin", C, true, U),
    kw("protoport", C, true, I),
    kw("phase2", C, false, I),
    kw("auth", C, false, I),
    kw("compress", C, false, I),
    kw("metric", C, false, U),
    kw("dpddelay", C, false, I),
    kw("dpdtimeout", C, false, I),
    kw("dpdaction", C, false, I),
    kw("mtu", C, false, U),
    kw("aggrmode", C, false, I),
    kw("aggressive", C, false, I),
    kw("xauthserver", C, true, I),
    kw("xauthclient", C, true, I),
    kw("xauthname", C, true, U),
    kw("modecfgserver", C, true, I),
    kw("modecfgclient", C, true, I),
    kw("xauthusername", C, true, U),
    kw("modecfgpull", C, false, U),
    kw("modecfgdns1", C, true, U),
    kw("modecfgdns2", C, true, U),
    kw("modecfgwins1", C, true, U),
    kw("modecfgwins2", C, true, U),
    kw("spi", C, true, U),
    kw("espenckey", C, true, U),
    kw("espauthkey", C, true, U),
    kw("espreplay_window", C, true, U),
    kw("", C, true, I),
    // Not in 2.6.51.5's table, but accepted by earlier Openswan 2 releases and common in
    // configs written for them.
    kw("pfsgroup", C, false, I),
];

/// Keywords that only Libreswan accepts (without an Openswan equivalent).
const LIBRESWAN_ONLY: &[&str] = &[
    "ikev1_policy",
    "logfile",
    "logtime",
    "logappend",
    "logip",
    "audit_log",
    "ckaid",
    "ppk",
    "esn",
    "ikepad",
    "nat_ikev1_method",
    "fragmentation",
    "ike_frag",
    "encapsulation",
    "dnssec_enable",
    "nssdir",
    "ipsecdir",
    "secretsfile",
    "seedbits",
    "curl_iface",
    "curl_timeout",
    "ocsp_enable",
    "crl_strict",
    "ocsp_strict",
    "shuntlifetime",
    "ddos_mode",
    "vti_interface",
    "vti_routing",
    "mark",
    "ipsec_interface",
    "addresspool",
    "modecfgdns",
    "modecfgdns1",
    "modecfgdns2",
    "modecfgdomains",
    "modecfgbanner",
    "cisco_unity",
    "nat_keepalive",
    "ikev2_policy",
    "retransmit_timeout",
    "retransmit_interval",
    "sendca",
    "ikelifetime_max",
    "ikesa_lifetime",
    "ipsec_lifetime",
    "interface_ip",
    "keyingtries_max",
    "replay_window",
    "decap_dscp",
    "nopmtudisc",
    "xauthby",
    "xauthfail",
    "remote_peer_type",
];

/// Keywords that only strongSwan's starter accepts.
const STRONGSWAN_ONLY: &[&str] = &[
    "auth",
    "auth2",
    "cert2",
    "ca2",
    "id2",
    "groups",
    "groups2",
    "allowany",
    "dns",
    "ikeport",
    "hostaccess",
    "firewall",
    "mobike",
    "reauth",
    "rekeytime",
    "margintime",
    "marginbytes",
    "marginpackets",
    "closeaction",
    "inactivity",
    "installpolicy",
    "charondebug",
    "charonstart",
    "plutostart",
    "cachecrls",
    "eap_identity",
    "aaa_identity",
    "ikedscp",
    "tfc",
    "replay_window",
    "sha256_96",
    "lifepackets",
    "lifebytes",
];

/// The classification of a key in ipsec.conf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// An Openswan keyword. For `left*`/`right*` keys, `side` is the end.
    Known {
        keyword: &'static Keyword,
        side: Option<Side>,
    },
    /// A Libreswan spelling of an Openswan keyword (`virtual-private`).
    LibreswanSpelling {
        keyword: &'static Keyword,
        side: Option<Side>,
    },
    /// A keyword of another dialect.
    Foreign(Dialect),
    /// An `x-`/`X-` extension key, which Openswan passes through untouched.
    Extension,
    Unknown,
}

/// An end of a conn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Side {
    Left,
    Right,
}

impl Side {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

fn find(name: &str, section: Section) -> Option<(&'static Keyword, Option<Side>)> {
    if let Some(keyword) = KEYWORDS
        .iter()
        .find(|k| k.section == section && !k.left_right && k.name == name)
    {
        return Some((keyword, None));
    }
    if section != Section::Conn {
        return None;
    }
    for side in [Side::Left, Side::Right] {
        if let Some(rest) = name.strip_prefix(side.prefix()) {
            if let Some(keyword) = KEYWORDS.iter().find(|k| k.left_right && k.name == rest) {
                return Some((keyword, Some(side)));
            }
        }
    }
    None
}

/// Checks whether the name, with or without a `left`/`right` prefix, is in `list`.
fn in_list(list: &[&str], name: &str) -> bool {
    let bare = name
        .strip_prefix("left")
        .or_else(|| name.strip_prefix("right"))
        .unwrap_or(name);
    list.contains(&name) || list.contains(&bare)
}

/// Classifies `key` as it appears in a section of kind `section`.
pub(crate) fn lookup(key: &str, section: Section) -> Lookup {
    if key.starts_with("x-") || key.starts_with("X-") {
        return Lookup::Extension;
    }
    if let Some((keyword, side)) = find(key, section) {
        return Lookup::Known { keyword, side };
    }
    let underscored = key.replace('-', "_");
    if underscored != key {
        if let Some((keyword, side)) = find(&underscored, section) {
            return Lookup::LibreswanSpelling { keyword, side };
        }
    }
    if in_list(STRONGSWAN_ONLY, &underscored) {
        return Lookup::Foreign(Dialect::StrongSwan);
    }
    if in_list(LIBRESWAN_ONLY, &underscored) {
        return Lookup::Foreign(Dialect::Libreswan);
    }
    Lookup::Unknown
}

/// Checks whether `key` is a keyword of the other kind of section.
pub(crate) fn other_section(key: &str, section: Section) -> bool {
    let other = match section {
        Section::Setup => Section::Conn,
        Section::Conn => Section::Setup,
    };
    find(key, other).is_some() || find(&key.replace('-', "_"), other).is_some()
}
