//! The Openswan `: RSA { ... }` block: generated keys written and read back, each field changed
//! in turn and named by the consistency check, PEM/DER round trips and `: RSA file` references.

use std::sync::OnceLock;

use keystore::{
    format_rsa_block, format_rsa_block_body, generate, load_private_key_file, resolve_key_file,
    BlockField, OsRng, PemError, PrivateKey, RsaBlock, RsaSecret, SecretsError,
};

/// Returns one 1024-bit key shared by the tests, because generation is the slow part.
fn test_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| generate(1024, &mut OsRng).unwrap())
}

const DATE: &str = "Fri Dec  4 21:03:17 2026";

#[test]
fn generated_block_round_trip() {
    let key = test_key();
    let body = format_rsa_block_body(key, "east", DATE);

    let lines: Vec<&str> = body.lines().collect();
    assert_eq!(lines[0], format!("\t# RSA 1024 bits   east   {DATE}"));
    assert_eq!(lines[1], "\t# for signatures only, UNSAFE FOR ENCRYPTION");
    assert_eq!(
        lines[2],
        format!("\t#pubkey={}", key.public().to_rfc3110_0s())
    );
    assert!(lines[3].starts_with("\tModulus: 0x"));
    assert_eq!(lines[4], "\tPublicExponent: 0x010001");
    assert_eq!(lines[5], "\t# everything after this point is secret");
    let names: Vec<&str> = lines[6..]
        .iter()
        .map(|line| line.trim().split(':').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "PrivateExponent",
            "Prime1",
            "Prime2",
            "Exponent1",
            "Exponent2",
            "Coefficient"
        ]
    );

    let block = RsaBlock::parse(&body).unwrap();
    let header = block.header.as_ref().unwrap();
    assert_eq!(header.bits, 1024);
    assert_eq!(header.comment, format!("east   {DATE}"));
    assert!(block.has_pubkey_comment);
    assert_eq!(block.public(), key.public());

    let whole = format_rsa_block(key, "east", DATE);
    assert!(whole.starts_with(": RSA\t{\n"));
    assert!(whole.ends_with("\t}\n"));
    let block = RsaBlock::parse(&whole).unwrap();
    assert_eq!(block.public(), key.public());
    let signature = block.private().unwrap().ikev1_sign(&[1; 20]).unwrap();
    assert_eq!(key.public().ikev1_verify(&[1; 20], &signature), Ok(()));
}

#[test]
fn brace_on_next_line_and_selectors() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let text = format!("@east.example.com : RSA\n    {{\n{}    }}\n", &*body);
    let block = RsaBlock::parse(&text).unwrap();
    assert_eq!(block.public(), test_key().public());
}

/// Replaces the value of `field` (a `Name: 0x...` line) with `value`.
fn replace_field(body: &str, name: &str, value: &str) -> String {
    body.lines()
        .map(|line| {
            if line.trim_start().starts_with(&format!("{name}:")) {
                format!("\t{name}: {value}")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Returns the hex value of a field plus 2 (so odd stays odd), as `0x` text of whole bytes.
///
/// The key is random, so the sum may start with a nibble below 0x10: it is padded back to an
/// even digit count, as Openswan writes every value.
fn bumped_value(body: &str, name: &str) -> String {
    let line = body
        .lines()
        .find(|line| line.trim_start().starts_with(&format!("{name}:")))
        .unwrap();
    let hex = line.split("0x").nth(1).unwrap();
    let value = rsa::BigUint::parse_bytes(hex.as_bytes(), 16).unwrap() + 2u8;
    let digits = value.to_str_radix(16);
    if digits.len() % 2 == 1 {
        format!("0x0{digits}")
    } else {
        format!("0x{digits}")
    }
}

#[test]
fn consistency_check_names_field() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let cases = [
        ("Modulus", BlockField::Modulus, 4),
        ("PrivateExponent", BlockField::PrivateExponent, 7),
        ("Prime1", BlockField::Prime1, 8),
        ("Prime2", BlockField::Prime2, 9),
        ("Exponent1", BlockField::Exponent1, 10),
        ("Exponent2", BlockField::Exponent2, 11),
        ("Coefficient", BlockField::Coefficient, 12),
    ];

    for (name, field, line) in cases {
        let text = replace_field(&body, name, &bumped_value(&body, name));
        match RsaBlock::parse(&text) {
            Err(SecretsError::Inconsistent {
                field: found,
                line: found_line,
                ..
            }) => {
                assert_eq!(found, field, "{name}");
                assert_eq!(found_line, line, "{name}");
            }
            other => panic!("{name}: expected an inconsistency, got {other:?}"),
        }
    }
}

#[test]
fn wrong_public_exponent_named() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let text = replace_field(&body, "PublicExponent", "0x03");
    let error = RsaBlock::parse(&text).unwrap_err();
    assert!(
        matches!(
            error,
            SecretsError::Inconsistent {
                field: BlockField::PublicExponent,
                line: 5,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "line 5: PublicExponent is wrong: does not match #pubkey and PrivateExponent"
    );
}

#[test]
fn wrong_pubkey_comment_named() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let other = generate(1024, &mut OsRng).unwrap();
    let text = body.replace(
        &test_key().public().to_rfc3110_0s(),
        &other.public().to_rfc3110_0s(),
    );
    assert!(matches!(
        RsaBlock::parse(&text),
        Err(SecretsError::Inconsistent {
            field: BlockField::Pubkey,
            line: 3,
            ..
        })
    ));
}

#[test]
fn missing_and_repeated_fields() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let without: String = body
        .lines()
        .filter(|line| !line.contains("Coefficient"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(matches!(
        RsaBlock::parse(&without),
        Err(SecretsError::MissingField {
            field: BlockField::Coefficient,
            ..
        })
    ));

    let repeated = format!("{}\tPrime1: 0x03\n", &*body);
    assert!(matches!(
        RsaBlock::parse(&repeated),
        Err(SecretsError::DuplicateField {
            field: BlockField::Prime1,
            line: 13,
            first_line: 8
        })
    ));

    let unknown = format!("{}\tPrime3: 0x03\n", &*body);
    assert!(matches!(
        RsaBlock::parse(&unknown),
        Err(SecretsError::UnknownField { line: 13, .. })
    ));
}

#[test]
fn base64_values_accepted() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let converted: String = body
        .lines()
        .map(|line| match line.split_once(": 0x") {
            Some((name, hex)) => {
                let bytes: Vec<u8> = (0..hex.len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                    .collect();
                format!("{name}: {}\n", keystore::rfc3110::encode_0s(&bytes))
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert!(converted.contains("Prime1: 0s"));
    assert_eq!(
        RsaBlock::parse(&converted).unwrap().public(),
        test_key().public()
    );
}

#[test]
fn unclosed_block_rejected() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let text = format!(": RSA {{\n{}", &*body);
    assert!(matches!(
        RsaBlock::parse(&text),
        Err(SecretsError::Structure { line: 13, .. })
    ));
}

#[test]
fn nss_reference_block() {
    let public = test_key().public();
    let text = format!(
        ": RSA {{\n\tModulus: {}\n\tPublicExponent: 0x010001\n\tPrivateExponent: 0x{ckaid}\n\tCKAIDNSS: 0x{ckaid}\n}}\n",
        keystore::rfc3110::encode_0x(&public.modulus()),
        ckaid = public.ckaid_hex(),
    );
    let block = RsaBlock::parse(&text).unwrap();
    assert!(matches!(block.secret, RsaSecret::Nss { ckaid, .. } if ckaid == public.ckaid()));
    assert!(block.private().is_none());

    let wrong = text.replace(
        &format!("CKAIDNSS: 0x{}", public.ckaid_hex()),
        "CKAIDNSS: 0x00",
    );
    assert!(matches!(
        RsaBlock::parse(&wrong),
        Err(SecretsError::Inconsistent {
            field: BlockField::CkaidNss,
            line: 5,
            ..
        })
    ));
}

#[test]
fn pem_and_der_round_trips() {
    let key = test_key();
    let public = key.public();

    let pkcs1 = key.to_pkcs1_pem().unwrap();
    assert!(pkcs1.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    assert_eq!(PrivateKey::from_pem(&pkcs1).unwrap().public(), public);

    let pkcs8 = key.to_pkcs8_pem().unwrap();
    assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(PrivateKey::from_pem(&pkcs8).unwrap().public(), public);

    assert_eq!(
        PrivateKey::from_der(&key.to_pkcs1_der().unwrap())
            .unwrap()
            .public(),
        public
    );
    assert_eq!(
        PrivateKey::from_der(&key.to_pkcs8_der().unwrap())
            .unwrap()
            .public(),
        public
    );

    let spki = public.to_pem().unwrap();
    assert_eq!(keystore::PublicKey::from_pem(&spki).unwrap(), public);
    assert_eq!(
        keystore::PublicKey::from_der(&public.to_der().unwrap()).unwrap(),
        public
    );
}

#[test]
fn wrapped_value_named_not_shown() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let prime = body
        .lines()
        .position(|line| line.trim_start().starts_with("PrivateExponent:"))
        .unwrap();
    let mut lines: Vec<String> = body.lines().map(str::to_owned).collect();
    let tail = lines[prime].split_off(60);
    lines.insert(prime + 1, tail.clone());

    let error = RsaBlock::parse_at(&lines.join("\n"), 1).unwrap_err();
    assert_eq!(
        error,
        SecretsError::WrappedValue {
            line: prime + 2,
            field_line: prime + 1
        }
    );
    let message = error.to_string();
    assert!(message.contains("values must be on one line"), "{message}");
    assert!(!message.contains(&tail[..8]), "{message}");
}

#[test]
fn encrypted_pem_reported() {
    let text = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    assert!(matches!(
        PrivateKey::from_pem(text),
        Err(PemError::Encrypted { .. })
    ));
}

#[test]
fn encrypted_pem_error_names_passphrase() {
    let text = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let error = PrivateKey::from_pem(text).unwrap_err();
    assert_eq!(
        error.to_string(),
        "private key is encrypted: ENCRYPTED PRIVATE KEY label (give its passphrase after the \
         file name, as in `: RSA key.pem \"passphrase\"`)"
    );
}

#[test]
fn key_file_reference_loads() {
    let dir = std::env::temp_dir().join(format!("keystore-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hostKey.pem"),
        test_key().to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
    std::fs::write(
        dir.join("hostKey.der"),
        &*test_key().to_pkcs1_der().unwrap(),
    )
    .unwrap();

    let pem_path = resolve_key_file("hostKey.pem", &dir);
    assert_eq!(pem_path, dir.join("hostKey.pem"));
    let loaded = load_private_key_file(&pem_path, None).unwrap();
    assert_eq!(loaded.public(), test_key().public());
    let loaded = load_private_key_file(&resolve_key_file("hostKey.der", &dir), None).unwrap();
    assert_eq!(loaded.public(), test_key().public());

    let absolute = dir.join("hostKey.pem");
    assert_eq!(
        resolve_key_file(absolute.to_str().unwrap(), std::path::Path::new("/x")),
        absolute
    );
    assert!(matches!(
        load_private_key_file(&dir.join("absent.pem"), None),
        Err(PemError::Io { .. })
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn debug_hides_secrets() {
    let key = test_key();
    let debug = format!("{key:?}");
    assert!(
        debug.starts_with("PrivateKey { bits: 1024, keyid: \"AwEAA"),
        "{debug}"
    );
    let body = format_rsa_block_body(key, "east", DATE);
    let prime_line = body.lines().find(|line| line.contains("Prime1")).unwrap();
    let prime_hex = &prime_line.split("0x").nth(1).unwrap()[..16];
    assert!(!debug.contains(prime_hex));

    let block = RsaBlock::parse(&body).unwrap();
    let debug = format!("{block:?}");
    assert!(!debug.contains(prime_hex), "{debug}");
}

#[test]
fn errors_hide_secret_values() {
    let body = format_rsa_block_body(test_key(), "east", DATE);
    let prime_line = body.lines().find(|line| line.contains("Prime1")).unwrap();
    let prime_hex = prime_line.split("0x").nth(1).unwrap().to_owned();

    let no_colon = body.replace("Prime1: 0x", "Prime1 0x");
    let error = RsaBlock::parse(&no_colon).unwrap_err().to_string();
    assert_eq!(
        error,
        "line 8: expected `Name: value` or a comment, found a line starting \"Prime1\""
    );

    let no_prefix = body.replace("Prime1: 0x", "Prime1: ");
    let error = RsaBlock::parse(&no_prefix).unwrap_err().to_string();
    assert!(
        error.starts_with("line 8: invalid Prime1: missing prefix"),
        "{error}"
    );
    assert!(!error.contains(&prime_hex[..8]), "{error}");
}

/// Runs OpenSSL with `args` and returns its standard output.
fn openssl(args: &[&str]) -> Vec<u8> {
    let output = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed (scripts/install-deps.sh installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn encrypted_pkcs8_from_openssl() {
    let dir = std::env::temp_dir().join(format!("keystore-encrypted-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let plain = dir.join("plain.pem");
    std::fs::write(&plain, test_key().to_pkcs8_pem().unwrap().as_bytes()).unwrap();
    let plain = plain.to_str().unwrap();

    let encrypted = openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        plain,
        "-v2",
        "aes-256-cbc",
        "-passout",
        "pass:s3cret",
    ]);
    let encrypted_path = dir.join("encrypted.pem");
    std::fs::write(&encrypted_path, &encrypted).unwrap();
    assert!(encrypted.starts_with(b"-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let loaded = load_private_key_file(&encrypted_path, Some("s3cret")).unwrap();
    assert_eq!(loaded.public(), test_key().public());
    assert!(matches!(
        load_private_key_file(&encrypted_path, None),
        Err(PemError::Encrypted { .. })
    ));
    let wrong = load_private_key_file(&encrypted_path, Some("wrong")).unwrap_err();
    assert!(matches!(wrong, PemError::Format { .. }));
    assert!(
        wrong.to_string().contains("check the passphrase"),
        "{wrong}"
    );

    let der = openssl(&[
        "pkcs8",
        "-topk8",
        "-in",
        plain,
        "-v2",
        "aes-128-cbc",
        "-passout",
        "pass:s3cret",
        "-outform",
        "DER",
    ]);
    let der_path = dir.join("encrypted.der");
    std::fs::write(&der_path, &der).unwrap();
    assert_eq!(
        load_private_key_file(&der_path, Some("s3cret"))
            .unwrap()
            .public(),
        test_key().public()
    );

    let traditional = openssl(&[
        "rsa",
        "-in",
        plain,
        "-traditional",
        "-aes128",
        "-passout",
        "pass:s3cret",
    ]);
    let traditional = String::from_utf8(traditional).unwrap();
    assert!(traditional.contains("Proc-Type: 4,ENCRYPTED"));
    let error = PrivateKey::from_pem_with_passphrase(&traditional, b"s3cret").unwrap_err();
    assert!(matches!(error, PemError::Encrypted { .. }));
    assert!(
        error.to_string().contains("openssl pkcs8 -topk8"),
        "{error}"
    );

    let unencrypted = load_private_key_file(std::path::Path::new(plain), Some("ignored")).unwrap();
    assert_eq!(unencrypted.public(), test_key().public());
    std::fs::remove_dir_all(&dir).unwrap();
}
