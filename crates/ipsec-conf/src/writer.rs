//! The canonical writer: a [`Config`] printed as ipsec.conf text that parses back to the
//! same model. `also=` and `%default` are already resolved in the model, so every conn is
//! printed whole, with every key, defaults included.

use std::fmt::Write;

use crate::model::{Config, Conn, End};
use crate::values::format_duration;

/// Quotes a value when it is empty or contains characters the grammar would split on.
fn quote(value: &str) -> String {
    if value.is_empty()
        || value.contains(|c: char| c.is_whitespace() || c == '#' || c == '"' || c == '{')
    {
        format!("\"{value}\"")
    } else {
        value.to_owned()
    }
}

fn line(out: &mut String, key: &str, value: impl std::fmt::Display) {
    let text = value.to_string();
    let _ = writeln!(out, "\t{key}={}", quote(&text));
}

/// Prints `config` in canonical form: `version`, `config setup`, then each conn.
pub fn write_config(config: &Config) -> String {
    let mut out = String::new();
    if let Some(version) = &config.version {
        let _ = writeln!(out, "version {version}\n");
    }

    let setup = &config.setup;
    out.push_str("config setup\n");
    if let Some(v) = &setup.interfaces {
        line(&mut out, "interfaces", v);
    }
    line(&mut out, "nat_traversal", yes_no(setup.nat_traversal));
    if !setup.virtual_private.is_empty() {
        line(&mut out, "virtual_private", setup.virtual_private.join(","));
    }
    if let Some(v) = &setup.protostack {
        line(&mut out, "protostack", v);
    }
    if !setup.plutodebug.is_empty() {
        line(&mut out, "plutodebug", setup.plutodebug.join(" "));
    }
    line(&mut out, "uniqueids", yes_no(setup.uniqueids));
    line(&mut out, "oe", yes_no(setup.oe));
    if let Some(v) = &setup.myid {
        line(&mut out, "myid", v);
    }
    if let Some(v) = setup.keep_alive {
        line(&mut out, "keep_alive", format_duration(v));
    }
    line(&mut out, "force_keepalive", yes_no(setup.force_keepalive));
    if let Some(v) = setup.listen {
        line(&mut out, "listen", v);
    }
    for (key, value) in &setup.other {
        line(&mut out, key, value);
    }

    for conn in &config.conns {
        out.push('\n');
        write_conn(&mut out, conn);
    }
    out
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

fn write_end(out: &mut String, side: &str, end: &End) {
    let key = |name: &str| format!("{side}{name}");
    if let Some(v) = &end.host {
        line(out, &key(""), v);
    }
    match end.subnets.as_slice() {
        [] => {}
        [one] => line(out, &key("subnet"), one),
        many => {
            let list: Vec<String> = many.iter().map(ToString::to_string).collect();
            let _ = writeln!(out, "\t{}={{{}}}", key("subnets"), list.join(" "));
        }
    }
    if let Some(v) = &end.id {
        line(out, &key("id"), v);
    }
    if let Some(v) = &end.rsasigkey {
        line(out, &key("rsasigkey"), v);
    }
    if let Some(v) = &end.rsasigkey2 {
        line(out, &key("rsasigkey2"), v);
    }
    if let Some(v) = &end.nexthop {
        line(out, &key("nexthop"), v);
    }
    if let Some(v) = &end.sourceip {
        line(out, &key("sourceip"), v);
    }
    if let Some(v) = &end.protoport {
        line(out, &key("protoport"), v);
    }
    if let Some(v) = &end.updown {
        line(out, &key("updown"), v);
    }
    if let Some(v) = &end.cert {
        line(out, &key("cert"), v);
    }
    if let Some(v) = &end.ca {
        line(out, &key("ca"), v);
    }
    if let Some(v) = &end.sendcert {
        line(out, &key("sendcert"), v);
    }
    for (name, value) in [
        ("xauthserver", end.xauthserver),
        ("xauthclient", end.xauthclient),
        ("modecfgserver", end.modecfgserver),
        ("modecfgclient", end.modecfgclient),
    ] {
        if value {
            line(out, &key(name), "yes");
        }
    }
}

fn write_conn(out: &mut String, conn: &Conn) {
    let _ = writeln!(out, "conn {}", conn.name);
    write_end(out, "left", &conn.left);
    write_end(out, "right", &conn.right);
    line(out, "authby", conn.authby);
    line(out, "auto", conn.auto);
    line(out, "type", conn.conn_type);
    if let Some(ike) = &conn.ike {
        line(out, "ike", &ike.text);
    }
    if let Some(esp) = &conn.esp {
        line(out, "phase2alg", &esp.text);
    }
    line(out, "phase2", conn.phase2);
    line(out, "pfs", yes_no(conn.pfs));
    if let Some(group) = &conn.pfsgroup {
        line(out, "pfsgroup", crate::proposal::group_name(*group));
    }
    line(out, "keyexchange", &conn.keyexchange);
    line(out, "ikev2", conn.ikev2);
    line(out, "aggrmode", yes_no(conn.aggrmode));
    line(out, "ikelifetime", format_duration(conn.ikelifetime));
    line(out, "salifetime", format_duration(conn.salifetime));
    line(out, "rekey", yes_no(conn.rekey));
    line(out, "rekeymargin", format_duration(conn.rekeymargin));
    line(out, "rekeyfuzz", format!("{}%", conn.rekeyfuzz));
    if conn.keyingtries == 0 {
        line(out, "keyingtries", "%forever");
    } else {
        line(out, "keyingtries", conn.keyingtries);
    }
    if let Some(v) = conn.dpddelay {
        line(out, "dpddelay", format_duration(v));
    }
    if let Some(v) = conn.dpdtimeout {
        line(out, "dpdtimeout", format_duration(v));
    }
    line(out, "dpdaction", conn.dpdaction);
    line(out, "forceencaps", yes_no(conn.forceencaps));
    line(out, "compress", yes_no(conn.compress));
    for (key, value) in &conn.other {
        line(out, key, value);
    }
}
