//! ipsec.secrets: selectors, secret forms, continuation lines, includes, permissions, the
//! lookup for a (local id, remote id) pair, and secrets kept out of `Debug` and diagnostics.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use ipsec_conf::{
    parse_secrets_file, parse_secrets_str, Id, RsaSecret, Secret, SecretKind, Severity,
};

fn id(text: &str) -> Id {
    Id::parse(text)
}

#[test]
fn psk_forms_decode() {
    let text = "192.0.2.1 192.0.2.2 : PSK \"quoted # not a comment\"\n\
                @a.example @b.example : PSK 0x414243\n\
                alice@example.com %any : PSK 0sQUJD\n\
                10.0.0.1 10.0.0.2 : PSK 0tABC\n";
    let parsed = parse_secrets_str(text, "ipsec.secrets");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let secrets = &parsed.value;
    assert_eq!(secrets.entries.len(), 4);
    assert_eq!(
        secrets
            .psk(&id("192.0.2.1"), &id("192.0.2.2"))
            .unwrap()
            .expose(),
        b"quoted # not a comment"
    );
    assert_eq!(
        secrets
            .psk(&id("@a.example"), &id("@b.example"))
            .unwrap()
            .expose(),
        b"ABC"
    );
    assert_eq!(
        secrets.entries[2].ids,
        [Id::UserFqdn("alice@example.com".into()), Id::Any]
    );
    assert_eq!(secrets.entries[3].secret.kind(), SecretKind::Psk);
}

#[test]
fn lookup_prefers_specific_entries() {
    let text = ": PSK \"default\"\n\
                192.0.2.1 : PSK \"mine\"\n\
                192.0.2.1 %any : PSK \"any peer\"\n\
                192.0.2.1 192.0.2.2 : PSK \"exact\"\n";
    let secrets = parse_secrets_str(text, "ipsec.secrets").value;
    let me = id("192.0.2.1");
    assert_eq!(
        secrets.psk(&me, &id("192.0.2.2")).unwrap().expose(),
        b"exact"
    );
    assert_eq!(
        secrets.psk(&me, &id("192.0.2.3")).unwrap().expose(),
        b"any peer"
    );
    assert_eq!(
        secrets.psk(&me, &id("@peer.example")).unwrap().expose(),
        b"mine"
    );
    assert_eq!(
        secrets
            .psk(&id("198.51.100.1"), &id("192.0.2.2"))
            .unwrap()
            .expose(),
        b"default"
    );
}

#[test]
fn rsa_entry_matches_local_id_only() {
    let text = "@gw.example @gw2.example : RSA gw.pem \"pass phrase\"\n\
                @other.example : RSA /etc/other.pem\n";
    let secrets = parse_secrets_str(text, "ipsec.secrets").value;
    match secrets.rsa(&id("@gw.example"), &id("@peer.example")) {
        Some(RsaSecret::File { path, passphrase }) => {
            assert_eq!(path, "gw.pem");
            assert_eq!(passphrase.as_ref().unwrap().expose(), "pass phrase");
        }
        other => panic!("unexpected {other:?}"),
    }
    // A PSK needs both ids of a two-index entry.
    let psk = parse_secrets_str("@gw.example @gw2.example : PSK \"x\"\n", "s").value;
    assert!(psk.psk(&id("@gw.example"), &id("@peer.example")).is_none());
}

#[test]
fn continuation_lines_and_xauth() {
    let text =
        "www.example.net @www.example.org\n    10.6.0.1 10.7.0.1 1.8.0.1: PSK \"shared by 5\"\n\
                @username : XAUTH \"password\"\n";
    let parsed = parse_secrets_str(text, "ipsec.secrets");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let secrets = &parsed.value;
    assert_eq!(secrets.entries[0].ids.len(), 5);
    assert_eq!(secrets.entries[0].line, 1);
    assert_eq!(
        secrets
            .psk(&id("10.7.0.1"), &id("1.8.0.1"))
            .unwrap()
            .expose(),
        b"shared by 5"
    );
    assert_eq!(
        secrets.xauth(&id("@username")).unwrap().expose(),
        b"password"
    );
}

#[test]
fn errors_hide_the_secret() {
    let text = "192.0.2.1 192.0.2.2 : PSK topsecretvalue\n";
    let parsed = parse_secrets_str(text, "ipsec.secrets");
    let error = parsed.errors().next().expect("an unquoted PSK is rejected");
    assert_eq!(error.line, 1);
    assert_eq!(error.column, 27);
    assert_eq!(
        error.message(),
        "invalid secret: unquoted secret without a 0x, 0s or 0t prefix"
    );
    assert_eq!(error.text, "192.0.2.1 192.0.2.2 : [secret]");
    assert!(!format!("{error:?}").contains("topsecretvalue"));
}

#[test]
fn debug_never_shows_secrets() {
    let text = "192.0.2.1 192.0.2.2 : PSK \"hunter2-psk\"\n: RSA key.pem \"hunter2-pass\"\n";
    let parsed = parse_secrets_str(text, "ipsec.secrets");
    let debug = format!("{:?}", parsed.value);
    assert!(!debug.contains("hunter2"), "{debug}");
    assert!(debug.contains("[secret]"));
}

#[test]
fn rsa_block_checked_by_keystore() {
    // Openswan's own test key: the block loads and its fields agree.
    let good = std::fs::read_to_string(shared_dir().join(
        "corpus/openswan-samples/tests__unit__libopenswan__lo02-verifysigs__key-0512.secrets",
    ))
    .unwrap();
    let parsed = parse_secrets_str(&good, "key-0512.secrets");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    assert!(matches!(
        parsed.value.entries[0].secret,
        Secret::Rsa(RsaSecret::Block(_))
    ));

    // The same block with the modulus changed is reported at its line.
    let broken = good.replacen("Modulus: 0x", "Modulus: 0x1", 1);
    let parsed = parse_secrets_str(&broken, "key-0512.secrets");
    let error = parsed
        .errors()
        .next()
        .expect("an inconsistent block is rejected");
    assert!(
        error.message().starts_with("invalid secret: RSA key:"),
        "{}",
        error.message()
    );
    assert!(parsed.value.entries.is_empty());
}

#[test]
fn include_glob_and_permissions() {
    let dir = tempfile::tempdir().unwrap();
    let top = dir.path().join("ipsec.secrets");
    fs::create_dir(dir.path().join("ipsec.d")).unwrap();
    fs::write(&top, "include ipsec.d/*.secrets\n: PSK \"top\"\n").unwrap();
    fs::write(dir.path().join("ipsec.d/a.secrets"), "@a : XAUTH \"a\"\n").unwrap();
    fs::set_permissions(&top, fs::Permissions::from_mode(0o644)).unwrap();

    let parsed = parse_secrets_file(&top);
    let warnings: Vec<String> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .map(|d| d.message())
        .collect();
    assert_eq!(
        warnings,
        [format!(
            "{} is readable by group or others (mode 644)",
            top.display()
        )]
    );
    assert_eq!(parsed.value.entries.len(), 2);
    assert_eq!(parsed.value.entries[0].secret.kind(), SecretKind::Xauth);

    fs::set_permissions(&top, fs::Permissions::from_mode(0o600)).unwrap();
    assert!(parse_secrets_file(&top).diagnostics.is_empty());
}

/// Returns the shared folder: `SHARED_DIR`, or `../shared` next to the workspace root.
fn shared_dir() -> std::path::PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => dir.into(),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}
