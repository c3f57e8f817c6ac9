//! `auto --status` and `whack --status` in Openswan 2.6's layout: interfaces, the algorithm
//! lists, one block per conn, one line per state with its next event, and the datapath's drop
//! counters.

use std::fmt::Write;
use std::time::Instant;

use ike_sm::{EndpointStatus, StateKind};

use crate::datapath::{Datapath, TUN_NAME};
use crate::settings::ConnSpec;

/// ESP algorithms the userspace datapath implements, in Openswan's
/// `algorithm ESP encrypt:` form: (transform id, name, IV length, min and max key bits).
const ESP_ENCRYPT: &[(u8, &str, u8, u16, u16)] = &[
    (3, "ESP_3DES", 8, 192, 192),
    (11, "ESP_NULL", 0, 0, 0),
    (12, "ESP_AES", 16, 128, 256),
    (20, "ESP_AES_GCM_C", 8, 128, 256),
];

/// ESP integrity algorithms: (IPsec DOI auth algorithm id, name, key bits).
const ESP_AUTH: &[(u8, &str, u16)] = &[
    (1, "AUTH_ALGORITHM_HMAC_MD5", 128),
    (2, "AUTH_ALGORITHM_HMAC_SHA1", 160),
    (5, "AUTH_ALGORITHM_HMAC_SHA2_256", 256),
    (6, "AUTH_ALGORITHM_HMAC_SHA2_384", 384),
    (7, "AUTH_ALGORITHM_HMAC_SHA2_512", 512),
];

/// Phase 1 ciphers: (attribute value, name, block size, default key bits).
const IKE_ENCRYPT: &[(u8, &str, u8, u16)] = &[
    (5, "OAKLEY_3DES_CBC", 8, 192),
    (7, "OAKLEY_AES_CBC", 16, 128),
];

/// Phase 1 hashes: (attribute value, name, hash size in bytes).
const IKE_HASH: &[(u8, &str, u8)] = &[
    (1, "OAKLEY_MD5", 16),
    (2, "OAKLEY_SHA1", 20),
    (4, "OAKLEY_SHA2_256", 32),
    (5, "OAKLEY_SHA2_384", 48),
    (6, "OAKLEY_SHA2_512", 64),
];

/// DH groups: (group number, name, bits).
const IKE_DH: &[(u16, &str, u16)] = &[
    (2, "OAKLEY_GROUP_MODP1024", 1024),
    (5, "OAKLEY_GROUP_MODP1536", 1536),
    (14, "OAKLEY_GROUP_MODP2048", 2048),
    (15, "OAKLEY_GROUP_MODP3072", 3072),
    (16, "OAKLEY_GROUP_MODP4096", 4096),
    (19, "OAKLEY_GROUP_ECP256", 256),
    (20, "OAKLEY_GROUP_ECP384", 384),
    (31, "OAKLEY_GROUP_CURVE25519", 255),
];

/// Renders the whole status text, one `000 ` line each.
pub fn render(
    status: &EndpointStatus,
    conns: &[ConnSpec],
    datapath: &Datapath,
    now: Instant,
    started: Instant,
) -> String {
    let mut out = String::new();
    let mut line = |text: &str| {
        let _ = writeln!(out, "000 {text}");
    };

    let mut interfaces: Vec<String> = conns
        .iter()
        .map(|conn| conn.config.local.ip().to_string())
        .collect();
    interfaces.sort();
    interfaces.dedup();
    for address in &interfaces {
        line(&format!("interface {TUN_NAME} {address}:500"));
        line(&format!("interface {TUN_NAME} {address}:4500"));
    }
    line("%myid = (none)");
    line("debug none");
    line(" ");

    for (id, name, ivlen, min, max) in ESP_ENCRYPT {
        line(&format!(
            "algorithm ESP encrypt: id={id}, name={name}, ivlen={ivlen}, keysizemin={min}, keysizemax={max}"
        ));
    }
    for (id, name, bits) in ESP_AUTH {
        line(&format!(
            "algorithm ESP auth attr: id={id}, name={name}, keysizemin={bits}, keysizemax={bits}"
        ));
    }
    line(" ");
    for (id, name, block, keydeflen) in IKE_ENCRYPT {
        line(&format!(
            "algorithm IKE encrypt: id={id}, name={name}, blocksize={block}, keydeflen={keydeflen}"
        ));
    }
    for (id, name, size) in IKE_HASH {
        line(&format!(
            "algorithm IKE hash: id={id}, name={name}, hashsize={size}"
        ));
    }
    for (id, name, bits) in IKE_DH {
        line(&format!(
            "algorithm IKE dh group: id={id}, name={name}, bits={bits}"
        ));
    }
    line(" ");

    let drops = &datapath.drops;
    let load =
        |counter: &std::sync::atomic::AtomicU64| counter.load(std::sync::atomic::Ordering::Relaxed);
    line(&format!(
        "stats dropped: malformed IKE {}, no SA {}, unknown SPI {}, ESP rejected {}, outside selectors {}, malformed IP {}; up {}s",
        load(&drops.ike_malformed),
        load(&drops.no_outbound_sa),
        load(&drops.unknown_spi),
        load(&drops.esp_rejected),
        load(&drops.selector_mismatch),
        load(&drops.malformed),
        now.saturating_duration_since(started).as_secs(),
    ));
    line(" ");

    for conn in conns {
        render_conn(conn, status, &mut line);
    }
    line(" ");

    let mut states: Vec<_> = status.states.iter().collect();
    states.sort_by_key(|state| std::cmp::Reverse(state.serial));
    let traffic = datapath.traffic();
    for state in states {
        line(&state.openswan_line(now));
        if let (StateKind::Ipsec, Some((outbound, inbound))) = (state.kind, state.esp_spis) {
            if let Some(conn) = conns.iter().find(|conn| conn.name() == state.conn) {
                let remote = conn.config.remote.ip();
                let local = conn.config.local.ip();
                line(&format!(
                    "#{}: \"{}\" esp.{outbound:x}@{remote} esp.{inbound:x}@{local} tun.0@{remote} tun.0@{local}",
                    state.serial, state.conn
                ));
            }
            if let Some((_, _, sent, received)) = traffic
                .iter()
                .find(|(conn, serial, _, _)| *conn == state.conn && *serial == state.serial)
            {
                line(&format!(
                    "#{}: \"{}\" packets out {sent}, in {received}",
                    state.serial, state.conn
                ));
            }
        }
    }
    line(" ");
    out
}

fn render_conn(conn: &ConnSpec, status: &EndpointStatus, line: &mut impl FnMut(&str)) {
    let name = conn.name();
    let config = &conn.config;
    let subnet = |subnet: Option<ike_sm::Subnet>, host: std::net::IpAddr| match subnet {
        Some(subnet) => format!("{subnet}==="),
        None => {
            let _ = host;
            String::new()
        }
    };
    let nexthop = |hop: Option<std::net::IpAddr>| match hop {
        Some(hop) => format!("---{hop}"),
        None => String::new(),
    };
    let local = config.local.ip();
    let remote = config.remote.ip();
    let local_side = format!(
        "{}{local}<{local}>{}",
        subnet(config.local_subnet, local),
        nexthop(conn.local_nexthop)
    );
    let remote_side = format!(
        "{}{remote}<{remote}>{}",
        nexthop(conn.remote_nexthop)
            .strip_prefix("---")
            .map(|hop| format!("{hop}---"))
            .unwrap_or_default(),
        config
            .remote_subnet
            .map(|subnet| format!("==={subnet}"))
            .unwrap_or_default()
    );
    let (left, right) = if conn.we_are_left {
        (local_side, remote_side)
    } else {
        (remote_side, local_side)
    };
    let connection = status.connections.iter().find(|c| c.name == name);
    let erouted = match connection.and_then(|c| c.newest_ipsec) {
        Some(serial) => format!("erouted; eroute owner: #{serial}"),
        None => "prospective erouted; eroute owner: #0".to_string(),
    };
    line(&format!("\"{name}\": {left}...{right}; {erouted}"));
    line(&format!(
        "\"{name}\":     ike_life: {}s; ipsec_life: {}s; rekey_margin: {}s; rekey_fuzz: {}%; keyingtries: {}",
        config.ike_lifetime.as_secs(),
        config.sa_lifetime.as_secs(),
        config.rekey_margin.as_secs(),
        config.rekey_fuzz_percent,
        config.keying_tries
    ));
    let auth = match config.auth {
        ike_sm::Auth::Psk(_) => "PSK",
        _ => "RSASIG",
    };
    let pfs = if config.pfs { "+PFS" } else { "" };
    let encaps = if config.force_encaps {
        "+FORCEENCAPS"
    } else {
        ""
    };
    line(&format!(
        "\"{name}\":   policy: {auth}+ENCRYPT+TUNNEL{pfs}+UP{encaps}; interface: {TUN_NAME};"
    ));
    let newest = |serial: Option<u32>| {
        serial
            .map(|s| format!("#{s}"))
            .unwrap_or_else(|| "#0".into())
    };
    line(&format!(
        "\"{name}\":   newest ISAKMP SA: {}; newest IPsec SA: {};",
        newest(connection.and_then(|c| c.newest_isakmp)),
        newest(connection.and_then(|c| c.newest_ipsec))
    ));
    line(&format!(
        "\"{name}\":   IKE algorithms wanted: {}",
        conn.ike_text.as_deref().unwrap_or("(default)")
    ));
    if let Some(newest) = connection.and_then(|c| c.ike_algorithm_newest.as_deref()) {
        line(&format!("\"{name}\":   IKE algorithm newest: {newest}"));
    }
    line(&format!(
        "\"{name}\":   ESP algorithms wanted: {}",
        conn.esp_text.as_deref().unwrap_or("(default)")
    ));
    if let Some(newest) = connection.and_then(|c| c.esp_algorithm_newest.as_deref()) {
        let pfsgroup = match config.pfs_group {
            Some(group) if config.pfs => format!("{group:?}").to_uppercase(),
            _ if config.pfs => "<Phase1>".to_string(),
            _ => "<N/A>".to_string(),
        };
        line(&format!(
            "\"{name}\":   ESP algorithm newest: {newest}; pfsgroup={pfsgroup}"
        ));
    }
}
