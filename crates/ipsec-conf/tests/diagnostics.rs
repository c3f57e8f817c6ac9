//! Pinned diagnostics for the mistakes admins make most: each case checks the file, line,
//! column and message that the admin reads.

use std::fs;

use std::time::Duration;

use ipsec_conf::{parse_file, parse_str, Auto, Diagnostic, Host, Severity};

/// The errors of `text`, as `line:column: message`.
fn errors(text: &str) -> Vec<String> {
    let parsed = parse_str(text, "ipsec.conf");
    parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message()))
        .collect()
}

fn only_error(text: &str) -> Diagnostic {
    let parsed = parse_str(text, "ipsec.conf");
    let errors: Vec<Diagnostic> = parsed.errors().cloned().collect();
    assert_eq!(errors.len(), 1, "expected one error, got {errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn unindented_parameters() {
    let text = "conn net-to-net\nleft=192.0.2.1\n\tright=192.0.2.2\n";
    let error = only_error(text);
    assert_eq!(error.file, "ipsec.conf");
    assert_eq!(error.line, 2);
    assert_eq!(error.column, 1);
    assert_eq!(error.text, "left=192.0.2.1");
    assert_eq!(error.message(), "parameter 'left' is not indented");
    assert!(error.hint.unwrap().contains("indent parameters"));
}

#[test]
fn unindented_section_reported_once() {
    let text =
        "conn net-to-net\nleft=192.0.2.1\nright=192.0.2.2\nauto=add\n\nconn b\nleft=192.0.2.3\n";
    assert_eq!(
        errors(text),
        [
            "2:1: parameter 'left' is not indented",
            "7:1: parameter 'left' is not indented",
        ]
    );
}

#[test]
fn key_wrapped_across_lines() {
    let text = "conn net-to-net\n\
                \tleft=192.0.2.1\n\
                \tleftrsasigkey=0sAQNrV9AYdaW94FXvIxu5p54+MRaW0wy0\n\
                8SIV+zzIO04WZ4wmOvEr8DZaldTbfCuvUvMhrTtCpZdm53yF5rCa\n\
                VPQi73KfRoDbdb3ND0EtfnRhRPblKJ239OlIq1\n\
                \tright=192.0.2.2\n";
    let error = only_error(text);
    assert_eq!(error.line, 3);
    assert_eq!(error.column, 16);
    assert_eq!(
        error.message(),
        "leftrsasigkey continues on line 4: keys must be on one line"
    );
    assert!(error.hint.unwrap().contains("join the lines"));
}

#[test]
fn unknown_keyword() {
    let text = "conn net-to-net\n\tleft=192.0.2.1\n\tfrobnicate=yes\n\tright=192.0.2.2\n";
    assert_eq!(errors(text), ["3:2: unknown keyword 'frobnicate'"]);
}

#[test]
fn duplicate_conn_name() {
    let text = "conn a\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\nconn a\n\tleft=192.0.2.3\n";
    assert_eq!(
        errors(text),
        ["5:1: duplicate conn 'a' (first defined at ipsec.conf:1)"]
    );
}

#[test]
fn repeated_key() {
    let text = "conn a\n\tleft=192.0.2.1\n\tleft=192.0.2.9\n\tright=192.0.2.2\n";
    assert_eq!(
        errors(text),
        ["3:2: duplicate key 'left' (first set on line 2)"]
    );
}

#[test]
fn repeated_key_through_alias() {
    let text = "conn a\n\tkeylife=1h\n\tsalifetime=2h\n";
    assert_eq!(
        errors(text),
        ["3:2: duplicate key 'salifetime' (first set on line 2)"]
    );
}

#[test]
fn include_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("ipsec.conf");
    let a = dir.path().join("a.conf");
    let b = dir.path().join("b.conf");
    fs::write(&top, "config setup\n\tprotostack=netkey\ninclude a.conf\n").unwrap();
    fs::write(&a, "conn a\n\tleft=192.0.2.1\ninclude b.conf\n").unwrap();
    fs::write(&b, "conn b\n\tleft=192.0.2.3\ninclude a.conf\n").unwrap();

    let parsed = parse_file(&top);
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let error = errors[0];
    assert_eq!(error.file, b.to_string_lossy());
    assert_eq!(error.line, 3);
    assert_eq!(
        error.message(),
        format!(
            "include cycle: {} -> {} -> {}",
            a.display(),
            b.display(),
            a.display()
        )
    );
    // Both conns were still read once.
    let names: Vec<&str> = parsed.value.conns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn include_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("ipsec.conf");
    fs::write(&top, "include *.conf\nconn a\n\tleft=192.0.2.1\n").unwrap();
    let parsed = parse_file(&top);
    let messages: Vec<String> = parsed.errors().map(|d| d.message()).collect();
    assert_eq!(
        messages,
        [format!(
            "include cycle: {} -> {}",
            top.display(),
            top.display()
        )]
    );
}

#[test]
fn include_glob_relative_to_including_file() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ipsec.d");
    fs::create_dir(&sub).unwrap();
    let top = dir.path().join("ipsec.conf");
    fs::write(&top, "include ipsec.d/*.conf\n").unwrap();
    fs::write(sub.join("b.conf"), "conn b\n\tleft=192.0.2.2\n").unwrap();
    fs::write(sub.join("a.conf"), "conn a\n\tleft=192.0.2.1\n").unwrap();
    fs::write(sub.join("a.secrets"), "not a conf file\n").unwrap();
    let parsed = parse_file(&top);
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let names: Vec<&str> = parsed.value.conns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn include_depth_limit() {
    let dir = tempfile::tempdir().unwrap();
    for level in 0..12 {
        let text = format!("include f{}.conf\n", level + 1);
        fs::write(dir.path().join(format!("f{level}.conf")), text).unwrap();
    }
    fs::write(dir.path().join("f12.conf"), "conn deep\n").unwrap();
    let parsed = parse_file(dir.path().join("f0.conf"));
    let errors: Vec<&Diagnostic> = parsed.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].message(), "include nested deeper than 10 levels");
    assert!(errors[0].file.ends_with("f10.conf"));
}

#[test]
fn also_cycle() {
    let text = "conn a\n\talso=b\n\tleft=192.0.2.1\n\nconn b\n\talso=c\n\nconn c\n\talso=a\n";
    let parsed = parse_str(text, "ipsec.conf");
    let errors: Vec<String> = parsed
        .errors()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message()))
        .collect();
    // The cycle is reported once, at the also= line that closes it.
    assert_eq!(errors, ["9:7: also cycle: a -> b -> c -> a"]);
}

#[test]
fn alsoflip_swaps_ends() {
    let text = [
        "conn base",
        "\tleft=192.0.2.1",
        "\tleftsubnet=10.1.0.0/16",
        "\tright=192.0.2.2",
        "",
        "conn other-side",
        "\talsoflip=base",
    ]
    .join("\n");
    let parsed = parse_str(&text, "ipsec.conf");
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let conn = parsed.value.conn("other-side").unwrap();
    assert_eq!(
        conn.right.host,
        Some(Host::Addr("192.0.2.1".parse().unwrap()))
    );
    assert_eq!(conn.right.subnets, ["10.1.0.0/16".parse().unwrap()]);
    assert_eq!(
        conn.left.host,
        Some(Host::Addr("192.0.2.2".parse().unwrap()))
    );
    assert!(conn.left.subnets.is_empty());
}

#[test]
fn also_in_any_order_and_default() {
    let text = [
        "conn %default",
        "\tkeyingtries=%forever",
        "\tikelifetime=2h",
        "",
        "conn use",
        "\talso=later",
        "\tauto=add",
        "\tikelifetime=",
        "",
        "conn later",
        "\tleft=192.0.2.1",
        "\tright=192.0.2.2",
        "\tauto=start",
    ]
    .join("\n");
    let parsed = parse_str(&text, "ipsec.conf");
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    let conn = parsed.value.conn("use").unwrap();
    assert_eq!(
        conn.left.host,
        Some(Host::Addr("192.0.2.1".parse().unwrap()))
    );
    // The conn's own auto= wins over the also= target's.
    assert_eq!(conn.auto, Auto::Add);
    // %default applies, and an empty value restores the built-in default over it.
    assert_eq!(conn.keyingtries, 0);
    assert_eq!(conn.ikelifetime, Duration::from_secs(3600));
    assert_eq!(
        parsed.value.conn("later").unwrap().ikelifetime,
        Duration::from_secs(7200)
    );
    assert!(parsed.value.conn("%default").is_none());
}

#[test]
fn also_target_missing() {
    assert_eq!(
        errors("conn a\n\talso=nowhere\n"),
        ["2:7: also=nowhere: no such conn"]
    );
}

#[test]
fn strongswan_keyword_names_dialect() {
    let text = "conn a\n\tleftauth=psk\n\tkeyexchange=ikev2\n";
    assert_eq!(
        errors(text),
        [
            "2:2: 'leftauth' is strongSwan syntax, not Openswan",
            "3:14: 'keyexchange=ikev2' is strongSwan syntax, not Openswan",
        ]
    );
}

#[test]
fn libreswan_spelling_is_a_warning() {
    let parsed = parse_str(
        "config setup\n\tvirtual-private=%v4:10.0.0.0/8\n",
        "ipsec.conf",
    );
    assert!(!parsed.has_errors());
    let warning = &parsed.diagnostics[0];
    assert_eq!(warning.severity, Severity::Warning);
    assert_eq!(
        warning.message(),
        "'virtual-private' is Libreswan syntax, not Openswan"
    );
    assert_eq!(
        warning.hint.as_deref(),
        Some("Openswan spells it 'virtual_private'")
    );
    assert_eq!(parsed.value.setup.virtual_private, ["%v4:10.0.0.0/8"]);
}

#[test]
fn unsupported_keyword_is_recognised() {
    let parsed = parse_str("conn a\n\tleft=192.0.2.1\n\tmtu=1400\n", "x.conf");
    assert!(!parsed.has_errors());
    let rendered: Vec<String> = parsed.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        rendered,
        ["x.conf:3:2: warning: keyword 'mtu' recognised, not supported by this gateway"]
    );
    assert_eq!(parsed.value.conns[0].other["mtu"], "1400");
}

#[test]
fn every_openswan_keyword_is_recognised() {
    let list = std::fs::read_to_string(
        shared_dir().join("corpus/openswan-man/openswan-2.6.51.5-keywords.txt"),
    )
    .unwrap();
    let mut section = "";
    let mut checked = 0;
    for line in list.lines() {
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() || line.starts_with("(empty") {
            continue;
        }
        let mut fields = line.split_whitespace();
        let name = fields.next().unwrap();
        let flags = fields.next().unwrap();
        let keys: Vec<String> = if flags.contains("kv_leftright") {
            vec![format!("left{name}"), format!("right{name}")]
        } else {
            vec![name.to_owned()]
        };
        for key in keys {
            let text = if section == "[config setup]" {
                format!("config setup\n\t{key}=1\n")
            } else {
                format!("conn a\n\t{key}=1\n")
            };
            let parsed = parse_str(&text, "k.conf");
            for d in &parsed.diagnostics {
                let message = d.message();
                assert!(
                    !message.contains("unknown keyword") && !message.contains("is not valid in"),
                    "{key}: {message}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked > 140, "only {checked} keywords checked");
}

/// The shared folder: `SHARED_DIR`, or `../shared` next to the workspace root.
fn shared_dir() -> std::path::PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => dir.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

#[test]
fn values_units_and_booleans() {
    let text = [
        "conn a",
        "\tikelifetime=8h",
        "\tsalifetime=30m",
        "\trekeymargin=90",
        "\tdpddelay=1d",
        "\tkeyingtries=%forever",
        "\tpfs=no",
        "\tX-site-note=\"kept as written\"",
        "\tx-other=1",
    ]
    .join("\n");
    let parsed = parse_str(&text, "ipsec.conf");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let conn = &parsed.value.conns[0];
    assert_eq!(conn.ikelifetime, Duration::from_secs(8 * 3600));
    assert_eq!(conn.salifetime, Duration::from_secs(1800));
    assert_eq!(conn.rekeymargin, Duration::from_secs(90));
    assert_eq!(conn.dpddelay, Some(Duration::from_secs(86400)));
    assert_eq!(conn.keyingtries, 0);
    assert!(!conn.pfs);
    assert_eq!(conn.other["X-site-note"], "kept as written");
    assert_eq!(conn.other["x-other"], "1");
}

#[test]
fn invalid_values_explain() {
    let text = "conn a\n\tikelifetime=8x\n\tpfs=maybe\n\tauto=begin\n\tleft=not an address\n";
    assert_eq!(
        errors(text),
        [
            "2:14: invalid value for ikelifetime: '8x' is not a duration",
            "3:6: invalid value for pfs: 'maybe' is not a boolean",
            "4:7: invalid value for auto: 'begin' is not one of ignore, add, route, start, manual",
            "5:11: syntax error: unexpected text after the value of 'left'",
        ]
    );
}
