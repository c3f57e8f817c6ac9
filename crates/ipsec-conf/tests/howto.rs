//! The HOWTO's two configurations (Openswan Quick HOWTO chapter 35): the RSA `net-to-net`
//! conn with leftrsasigkey/rightrsasigkey, and the PSK variant with its secrets line. The
//! text is read from the shared reference copy at test time.

use std::path::PathBuf;

use ipsec_conf::{
    parse_secrets_str, parse_str, AuthBy, Auto, Config, ConfigSetup, Conn, End, Host, Id, NextHop,
    Severity, Subnet,
};

/// The shared folder: `SHARED_DIR`, or `../shared` next to the workspace root.
fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => dir.into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn howto() -> Vec<String> {
    let path = shared_dir().join("reference/openswan-howto-ch35.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The lines from `start` up to and including the first line containing `end` after it.
fn block(lines: &[String], start: usize, end: &str) -> Vec<String> {
    let stop = lines[start..]
        .iter()
        .position(|l| l.contains(end))
        .expect("end marker")
        + start;
    lines[start..=stop].to_vec()
}

fn rsa_block() -> Vec<String> {
    let lines = howto();
    let file_line = lines
        .iter()
        .position(|l| l == "# File: /etc/ipsec.conf")
        .expect("the RSA configuration");
    block(&lines, file_line - 1, "on booting")
}

fn psk_block() -> Vec<String> {
    let lines = howto();
    let start = lines
        .iter()
        .position(|l| l.trim() == "authby=secret                # Key exchange method")
        .expect("the PSK configuration")
        - 1;
    block(&lines, start, "on booting")
}

fn addr(text: &str) -> Host {
    Host::Addr(text.parse().unwrap())
}

fn subnet(text: &str) -> Subnet {
    text.parse().unwrap()
}

#[test]
fn rsa_config_verbatim_reports_page_damage() {
    let text = rsa_block().join("\n");
    let parsed = parse_str(&text, "howto-rsa.conf");
    let errors: Vec<String> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message()))
        .collect();
    // The page's e-mail obfuscation replaced the leftid=/rightid= lines, and its line
    // wrapping split both keys: the HOWTO's own warning about copying keys from a screen.
    assert_eq!(
        errors,
        [
            "8:3: syntax error: expected key=value",
            "10:17: leftrsasigkey continues on line 11: keys must be on one line",
            "17:3: syntax error: expected key=value",
            "19:18: rightrsasigkey continues on line 20: keys must be on one line",
        ]
    );
    let hint = parsed.diagnostics[0].hint.as_deref().unwrap();
    assert!(hint.contains("leftid=@name"), "{hint}");
}

/// The RSA block with each key joined onto one line and the two obfuscated id lines
/// dropped, which is what an admin does after reading the diagnostics.
fn repaired_rsa() -> (String, String, String) {
    let lines = rsa_block();
    let mut out: Vec<String> = Vec::new();
    let mut keys = Vec::new();
    for line in lines {
        if line.contains("[email") {
            continue;
        }
        let continues = !line.is_empty() && !line.starts_with([' ', '\t', '#']);
        if continues && !line.starts_with("conn ") {
            let joined: String = line.split_whitespace().collect();
            out.last_mut().unwrap().push_str(&joined);
            continue;
        }
        out.push(line);
    }
    for line in &out {
        if let Some((_, key)) = line.trim().split_once("rsasigkey=") {
            keys.push(key.to_owned());
        }
    }
    (out.join("\n"), keys[0].clone(), keys[1].clone())
}

#[test]
fn rsa_config_model() {
    let (text, left_key, right_key) = repaired_rsa();
    assert!(left_key.starts_with(
        "0sAQNrV9AYdaW94FXvIxu5p54+MRaW0wy0+HHQrdGofklZYQ4TCBlL+Ym00Ahfc8mqXlerZY12Os41G8SIV+zz"
    ));
    assert!(left_key.ends_with("EtfnRhRPblKJ239OlIq1"));
    assert!(right_key.ends_with("DJ0EbVMVV+Xvwlm9++9zbY3mlc+cSXMPAJZ"));

    let parsed = parse_str(&text, "howto-rsa.conf");
    // The page's keys lost characters (210 and 211 base64 digits, not a multiple of 4), so
    // even joined they do not decode: the key check says so, and the model has no key.
    let errors: Vec<String> = parsed
        .diagnostics
        .iter()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message()))
        .collect();
    assert_eq!(
        errors,
        [
            "9:17: invalid value for leftrsasigkey: not an RFC 3110 RSA key: invalid base64 length or padding (210 characters after `0s`)",
            "15:18: invalid value for rightrsasigkey: not an RFC 3110 RSA key: invalid base64 length or padding (211 characters after `0s`)",
        ]
    );
    assert!(!right_key.is_empty());

    let mut expected = Conn::new("net-to-net");
    expected.left = End {
        host: Some(addr("97.158.253.25")),
        subnets: vec![subnet("172.16.1.0/24")],
        rsasigkey: None,
        nexthop: Some(NextHop::DefaultRoute),
        ..End::default()
    };
    expected.right = End {
        host: Some(addr("6.25.232.1")),
        subnets: vec![subnet("10.0.0.0/24")],
        rsasigkey: None,
        nexthop: Some(NextHop::Addr("97.158.253.25".parse().unwrap())),
        ..End::default()
    };
    expected.authby = AuthBy::RsaSig;
    expected.auto = Auto::Start;
    let expected = Config {
        version: None,
        setup: ConfigSetup {
            uniqueids: true,
            ..ConfigSetup::default()
        },
        conns: vec![expected],
    };
    assert_eq!(parsed.value, expected);
}

#[test]
fn psk_config_model() {
    let text = psk_block().join("\n");
    let parsed = parse_str(&text, "howto-psk.conf");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);

    let mut expected = Conn::new("net-to-net");
    expected.authby = AuthBy::Secret;
    expected.left = End {
        host: Some(addr("97.158.253.25")),
        subnets: vec![subnet("172.16.1.0/24")],
        nexthop: Some(NextHop::DefaultRoute),
        ..End::default()
    };
    expected.right = End {
        host: Some(addr("6.25.232.1")),
        subnets: vec![subnet("10.0.0.0/24")],
        nexthop: Some(NextHop::Addr("97.158.253.25".parse().unwrap())),
        ..End::default()
    };
    expected.auto = Auto::Start;
    assert_eq!(parsed.value.conns, [expected]);
}

#[test]
fn psk_secrets_line_and_lookup() {
    let lines = howto();
    let line = lines
        .iter()
        .find(|l| l.starts_with("97.158.253.25 ") && l.contains(": PSK"))
        .expect("the PSK secrets line");
    let parsed = parse_secrets_str(line, "howto.secrets");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let entries = &parsed.value.entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].ids,
        [Id::parse("97.158.253.25"), Id::parse("6.25.232.6")]
    );

    let left = Id::Addr("97.158.253.25".parse().unwrap());
    let psk = parsed
        .value
        .psk(&left, &Id::Addr("6.25.232.6".parse().unwrap()))
        .expect("the PSK for the pair");
    assert_eq!(psk.expose(), b"nonebutourselvescanfreeourminds");
    // Either end looks the same entry up.
    assert!(parsed
        .value
        .psk(&Id::Addr("6.25.232.6".parse().unwrap()), &left)
        .is_some());
    // The HOWTO's conn has right=6.25.232.1 but its secrets line names 6.25.232.6, so
    // Openswan finds no PSK for the conn as printed: a two-index entry needs both ids.
    assert!(parsed
        .value
        .psk(&left, &Id::Addr("6.25.232.1".parse().unwrap()))
        .is_none());
}
