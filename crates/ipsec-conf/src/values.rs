//! Parsing of individual values (booleans, durations, addresses, ids, ...) into the model.

use std::net::IpAddr;
use std::time::Duration;

use crate::diag::{DiagnosticKind, Dialect};
use crate::keywords::Support;
use crate::model::{
    AuthBy, Auto, ConfigSetup, Conn, ConnType, DpdAction, End, Host, Id, Ikev2Policy, NextHop,
    Phase2, ProtoPort, RsaSigKey, Subnet,
};
use crate::proposal::{self, EspAlgs, IkeAlgs};
use crate::resolve::Setting;

/// A problem with a value: what, and a hint.
pub(crate) type Problem = (DiagnosticKind, Option<&'static str>);

fn invalid(key: &str, reason: impl Into<String>) -> Problem {
    (
        DiagnosticKind::InvalidValue {
            key: key.to_owned(),
            reason: reason.into(),
        },
        None,
    )
}

fn invalid_hint(key: &str, reason: impl Into<String>, hint: &'static str) -> Problem {
    (
        DiagnosticKind::InvalidValue {
            key: key.to_owned(),
            reason: reason.into(),
        },
        Some(hint),
    )
}

/// Parses `yes`/`no` (and `true`/`false`, `on`/`off`, which configs in the field use too).
pub(crate) fn parse_bool(key: &str, value: &str) -> Result<bool, Problem> {
    match value {
        "yes" | "true" | "on" => Ok(true),
        "no" | "false" | "off" => Ok(false),
        other => Err(invalid_hint(
            key,
            format!("'{other}' is not a boolean"),
            "write yes or no",
        )),
    }
}

/// Parses a duration: a whole number with an optional unit `s`, `m`, `h` or `d` (seconds when
/// none is given).
pub(crate) fn parse_duration(key: &str, value: &str) -> Result<Duration, Problem> {
    let (number, unit) = match value.find(|c: char| !c.is_ascii_digit()) {
        Some(at) => value.split_at(at),
        None => (value, ""),
    };
    let scale: u64 = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => {
            return Err(invalid_hint(
                key,
                format!("'{value}' is not a duration"),
                "write a whole number with an optional unit s, m, h or d, such as 8h",
            ))
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .map(Duration::from_secs)
        .ok_or_else(|| invalid(key, format!("'{value}' is not a duration")))
}

/// Prints a duration in the largest unit that divides it, as [`parse_duration`] reads it.
pub(crate) fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    if secs == 0 {
        return "0s".to_owned();
    }
    for (unit, scale) in [("d", 86400), ("h", 3600), ("m", 60)] {
        if secs.is_multiple_of(scale) {
            return format!("{}{unit}", secs / scale);
        }
    }
    format!("{secs}s")
}

fn parse_addr(key: &str, value: &str) -> Result<IpAddr, Problem> {
    value
        .parse()
        .map_err(|_| invalid(key, format!("'{value}' is not an IP address")))
}

fn is_hostname(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        && value.chars().any(|c| c.is_ascii_alphabetic())
}

pub(crate) fn parse_host(key: &str, value: &str) -> Result<Host, Problem> {
    match value {
        "%defaultroute" => Ok(Host::DefaultRoute),
        "%any" | "%any6" => Ok(Host::Any),
        "%opportunistic" => Ok(Host::Opportunistic),
        "%group" => Ok(Host::Group),
        "%opportunisticgroup" => Ok(Host::OpportunisticGroup),
        _ => {
            if let Ok(addr) = value.parse::<IpAddr>() {
                return Ok(Host::Addr(addr));
            }
            if is_hostname(value) {
                return Ok(Host::Fqdn(value.to_owned()));
            }
            Err(invalid_hint(
                key,
                format!("'{value}' is not an address, host name, %defaultroute or %any"),
                "write an IP address such as 192.0.2.1",
            ))
        }
    }
}

fn parse_subnets(key: &str, value: &str) -> Result<Vec<Subnet>, Problem> {
    value
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Subnet>()
                .map_err(|reason| invalid_hint(key, reason, "write a prefix such as 10.0.0.0/24"))
        })
        .collect()
}

fn parse_rsasigkey(key: &str, value: &str) -> Result<RsaSigKey, Problem> {
    match value {
        "%cert" => Ok(RsaSigKey::Cert),
        "%dns" | "%dnsondemand" => Ok(RsaSigKey::Dns),
        "%none" => Ok(RsaSigKey::None),
        _ if value.starts_with("0s") || value.starts_with("0x") => {
            match keystore::PublicKey::from_rfc3110_text(value) {
                Ok(_) => Ok(RsaSigKey::Key(value.to_owned())),
                Err(error) => Err(invalid_hint(
                    key,
                    format!("not an RFC 3110 RSA key: {error}"),
                    "paste the output of 'ipsec showhostkey --left' (or --right) on one line",
                )),
            }
        }
        _ => Err(invalid_hint(
            key,
            "expected an RFC 3110 key starting with 0s or 0x, %cert or %dnsondemand",
            "paste the output of 'ipsec showhostkey --left' (or --right)",
        )),
    }
}

fn parse_nexthop(key: &str, value: &str) -> Result<NextHop, Problem> {
    match value {
        "%defaultroute" => Ok(NextHop::DefaultRoute),
        "%direct" => Ok(NextHop::Direct),
        _ => parse_addr(key, value).map(NextHop::Addr),
    }
}

fn protocol_number(name: &str) -> Option<u8> {
    match name {
        "icmp" => Some(1),
        "tcp" => Some(6),
        "udp" => Some(17),
        "gre" => Some(47),
        "esp" => Some(50),
        "ah" => Some(51),
        "icmpv6" | "ipv6-icmp" => Some(58),
        _ => name.parse().ok(),
    }
}

fn port_number(name: &str) -> Option<Option<u16>> {
    match name {
        "%any" => Some(None),
        "l2tp" => Some(Some(1701)),
        "isakmp" => Some(Some(500)),
        "ipsec-nat-t" => Some(Some(4500)),
        _ => name.parse().ok().map(Some),
    }
}

fn parse_protoport(key: &str, value: &str) -> Result<ProtoPort, Problem> {
    let (proto_text, port_text) = match value.split_once('/') {
        Some((proto, port)) => (proto, Some(port)),
        None => (value, None),
    };
    let protocol = protocol_number(proto_text)
        .ok_or_else(|| invalid(key, format!("'{proto_text}' is not an IP protocol")))?;
    let port = match port_text {
        None => None,
        Some(text) => {
            port_number(text).ok_or_else(|| invalid(key, format!("'{text}' is not a port")))?
        }
    };
    Ok(ProtoPort { protocol, port })
}

fn parse_keyword<T>(
    key: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    values: &[&str],
) -> Result<T, Problem> {
    parse(value).ok_or_else(|| {
        invalid(
            key,
            format!("'{value}' is not one of {}", values.join(", ")),
        )
    })
}

/// Sets one `config setup` key. An empty value keeps the default.
pub(crate) fn apply_setup(
    setup: &mut ConfigSetup,
    key: &str,
    setting: &Setting,
) -> Result<(), Problem> {
    let value = setting.value.as_str();
    if value.is_empty() {
        return Ok(());
    }
    match key {
        "interfaces" => setup.interfaces = Some(value.to_owned()),
        "nat_traversal" => setup.nat_traversal = parse_bool(key, value)?,
        "virtual_private" => {
            setup.virtual_private = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            for entry in &setup.virtual_private {
                let net = entry
                    .strip_prefix("%v4:")
                    .or_else(|| entry.strip_prefix("%v6:"))
                    .ok_or_else(|| {
                        invalid_hint(
                            key,
                            format!("'{entry}' does not start with %v4: or %v6:"),
                            "write entries like %v4:10.0.0.0/8,%v4:!192.168.1.0/24",
                        )
                    })?;
                let net = net.strip_prefix('!').unwrap_or(net);
                net.parse::<Subnet>()
                    .map_err(|reason| invalid(key, reason))?;
            }
        }
        "protostack" => setup.protostack = Some(value.to_owned()),
        "plutodebug" => {
            setup.plutodebug = value.split_whitespace().map(str::to_owned).collect();
        }
        "uniqueids" => setup.uniqueids = parse_bool(key, value)?,
        "oe" => setup.oe = parse_bool(key, value)?,
        "myid" => setup.myid = Some(value.to_owned()),
        "keep_alive" => setup.keep_alive = Some(parse_duration(key, value)?),
        "force_keepalive" => setup.force_keepalive = parse_bool(key, value)?,
        "listen" => setup.listen = Some(parse_addr(key, value)?),
        _ => {
            setup.other.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(())
}

fn end_mut<'a>(conn: &'a mut Conn, key: &'a str) -> Option<(&'a mut End, &'a str)> {
    if let Some(rest) = key.strip_prefix("left") {
        Some((&mut conn.left, rest))
    } else if let Some(rest) = key.strip_prefix("right") {
        Some((&mut conn.right, rest))
    } else {
        None
    }
}

/// Sets one conn key. An empty value keeps the default. `Ok(Some(..))` is a warning.
pub(crate) fn apply_conn(
    conn: &mut Conn,
    key: &str,
    setting: &Setting,
) -> Result<Option<Problem>, Problem> {
    let value = setting.value.as_str();
    if value.is_empty() {
        return Ok(None);
    }
    if setting.support != Support::Implemented {
        conn.other.insert(key.to_owned(), value.to_owned());
        return Ok(None);
    }
    let written = setting.written.as_str();

    if let Some((end, field)) = end_mut(conn, key) {
        let warning = apply_end(end, field, written, value)?;
        if warning.is_some() {
            conn.other.insert(key.to_owned(), value.to_owned());
        }
        return Ok(warning);
    }

    match key {
        "authby" => {
            let (authby, warning) = match value {
                "pubkey" => (AuthBy::RsaSig, Some(Dialect::StrongSwan)),
                "psk" => (AuthBy::Secret, Some(Dialect::StrongSwan)),
                _ => (
                    parse_keyword(written, value, AuthBy::parse, AuthBy::VALUES)?,
                    None,
                ),
            };
            conn.authby = authby;
            if let Some(dialect) = warning {
                return Ok(Some((
                    DiagnosticKind::ForeignDialect {
                        key: format!("authby={value}"),
                        dialect,
                    },
                    Some("Openswan spells it authby=secret or authby=rsasig"),
                )));
            }
        }
        "auto" => conn.auto = parse_keyword(written, value, Auto::parse, Auto::VALUES)?,
        "type" => {
            conn.conn_type = parse_keyword(written, value, ConnType::parse, ConnType::VALUES)?
        }
        "phase2" => conn.phase2 = parse_keyword(written, value, Phase2::parse, Phase2::VALUES)?,
        "ike" => conn.ike = Some(IkeAlgs::parse(value).map_err(|r| invalid(written, r))?),
        "phase2alg" => conn.esp = Some(EspAlgs::parse(value).map_err(|r| invalid(written, r))?),
        "pfs" => conn.pfs = parse_bool(written, value)?,
        "pfsgroup" => {
            conn.pfsgroup = Some(proposal::parse_group(value).map_err(|r| invalid(written, r))?);
        }
        "keyexchange" => match value {
            "ike" => conn.keyexchange = value.to_owned(),
            "ikev1" => {
                conn.keyexchange = "ike".to_owned();
                return Ok(Some((
                    DiagnosticKind::ForeignDialect {
                        key: "keyexchange=ikev1".to_owned(),
                        dialect: Dialect::StrongSwan,
                    },
                    Some("Openswan writes keyexchange=ike, which is IKEv1"),
                )));
            }
            "ikev2" => {
                return Err((
                    DiagnosticKind::ForeignDialect {
                        key: "keyexchange=ikev2".to_owned(),
                        dialect: Dialect::StrongSwan,
                    },
                    Some("this gateway speaks IKEv1 only: use keyexchange=ike"),
                ))
            }
            _ => return Err(invalid(written, format!("'{value}' is not 'ike'"))),
        },
        "ikev2" => {
            conn.ikev2 = parse_keyword(written, value, Ikev2Policy::parse, Ikev2Policy::VALUES)?;
            match conn.ikev2 {
                Ikev2Policy::Never => {}
                Ikev2Policy::Insist => {
                    return Err((
                        DiagnosticKind::Unsupported(format!("{written}={value}")),
                        Some("this gateway speaks IKEv1 only: use ikev2=never"),
                    ))
                }
                Ikev2Policy::Permit | Ikev2Policy::Propose => {
                    return Ok(Some((
                        DiagnosticKind::Unsupported(format!("{written}={value}")),
                        Some("IKEv2 is not offered: this gateway negotiates the conn with IKEv1, which this setting still allows"),
                    )))
                }
            }
        }
        "aggrmode" => conn.aggrmode = parse_bool(written, value)?,
        "ikelifetime" => conn.ikelifetime = parse_duration(written, value)?,
        "salifetime" => conn.salifetime = parse_duration(written, value)?,
        "rekey" => conn.rekey = parse_bool(written, value)?,
        "rekeymargin" => conn.rekeymargin = parse_duration(written, value)?,
        "rekeyfuzz" => {
            let number = value.strip_suffix('%').unwrap_or(value);
            conn.rekeyfuzz = number
                .parse()
                .map_err(|_| invalid(written, format!("'{value}' is not a percentage")))?;
        }
        "keyingtries" => {
            conn.keyingtries = if value == "%forever" {
                0
            } else {
                value.parse().map_err(|_| {
                    invalid_hint(
                        written,
                        format!("'{value}' is not a number"),
                        "write a count, or %forever (0) to retry without end",
                    )
                })?
            };
        }
        "dpddelay" => conn.dpddelay = Some(parse_duration(written, value)?),
        "dpdtimeout" => conn.dpdtimeout = Some(parse_duration(written, value)?),
        "dpdaction" => {
            conn.dpdaction = parse_keyword(written, value, DpdAction::parse, DpdAction::VALUES)?
        }
        "forceencaps" => conn.forceencaps = parse_bool(written, value)?,
        "compress" => conn.compress = parse_bool(written, value)?,
        _ => {
            conn.other.insert(key.to_owned(), value.to_owned());
        }
    }
    Ok(None)
}

fn apply_end(
    end: &mut End,
    field: &str,
    written: &str,
    value: &str,
) -> Result<Option<Problem>, Problem> {
    match field {
        "" => end.host = Some(parse_host(written, value)?),
        "subnet" | "subnets" => {
            if value.starts_with("vhost:") || value.starts_with("vnet:") || value.starts_with('%') {
                // The caller keeps the value in `other`, so that the writer prints it back.
                return Ok(Some((
                    DiagnosticKind::Unsupported(format!("{written}={value}")),
                    Some(
                        "virtual subnets (vhost:, vnet:, %priv) are not supported by this gateway",
                    ),
                )));
            }
            let subnets = parse_subnets(written, value)?;
            if field == "subnet" && subnets.len() > 1 {
                return Err(invalid_hint(
                    written,
                    "more than one prefix",
                    "list several prefixes in leftsubnets={...}",
                ));
            }
            for subnet in subnets {
                if !end.subnets.contains(&subnet) {
                    end.subnets.push(subnet);
                }
            }
        }
        "id" => end.id = Some(Id::parse(value)),
        "rsasigkey" => end.rsasigkey = Some(parse_rsasigkey(written, value)?),
        "rsasigkey2" => end.rsasigkey2 = Some(parse_rsasigkey(written, value)?),
        "nexthop" => end.nexthop = Some(parse_nexthop(written, value)?),
        "sourceip" => end.sourceip = Some(parse_addr(written, value)?),
        "protoport" => end.protoport = Some(parse_protoport(written, value)?),
        "updown" => end.updown = Some(value.to_owned()),
        "cert" => end.cert = Some(value.to_owned()),
        "ca" => end.ca = Some(value.to_owned()),
        "sendcert" => end.sendcert = Some(value.to_owned()),
        "xauthserver" => end.xauthserver = parse_bool(written, value)?,
        "xauthclient" => end.xauthclient = parse_bool(written, value)?,
        "modecfgserver" => end.modecfgserver = parse_bool(written, value)?,
        "modecfgclient" => end.modecfgclient = parse_bool(written, value)?,
        _ => return Err(invalid(written, "not an end parameter")),
    }
    Ok(None)
}
