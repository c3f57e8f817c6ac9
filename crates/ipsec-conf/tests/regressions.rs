//! Regressions found by testing the tools by hand: include cycles through globs, RSA key
//! values, RSA block error lines, unclosed blocks, `keyingtries` and `ikev2=`.

use std::fs;

use ipsec_conf::{parse_file, parse_secrets_file, parse_secrets_str, parse_str, Severity};

/// A real 2048-bit key, as `ipsec showhostkey` prints it.
const KEY_0S: &str = "0sAwEAAbtb1MZfBpUZml+ACjJsYBDQMpl/mkpFRA/6tQmrZjd6zT28T+HXsvcp99ONFwk3KQIG1KjKSRdr2Z4u3+4NaD2Sdgrf2yEJ8T73rikDqLVgU6UhYj+3OrHhCyhDuQu5ivfc8xAf6rvaJK6FbLIPOJyAqlj4KcC7k6ra8cok5MQbYTWXOzcHV81HrYV21/j+jJJnT1HRqoB/4fWe4HK1xkRykr2UymzE+BQwrilhTGEieFIHYftphr2Pg2A5nHDSWIe59MCRQbh4neqYTtFIR0c46s6kCKMV/v9287XjFQ1WpFnskVlK0uQOVJ3EKgnBuZSo8ND9EhsrUv2k4WJupHs=";

/// An RSA block whose Modulus was wrapped at 80 characters, so line 6 holds only digits.
const WRAPPED_BLOCK: &str = ": RSA {\n\
\t# RSA 2048 bits   vm   Fri Dec  4 22:33:38 2026\n\
\t# for signatures only, UNSAFE FOR ENCRYPTION\n\
\t#pubkey=0sAwEAAbtb1MZfBpUZml+ACjJsYBDQMpl/mkpFRA/6tQmrZjd6zT28T+HXsvcp99ONFwk3KQIG1KjKSRdr2Z4u3+4NaD2Sdgrf2yEJ8T73rikDqLVgU6UhYj+3OrHhCyhDuQu5ivfc8xAf6rvaJK6FbLIPOJyAqlj4KcC7k6ra8cok5MQbYTWXOzcHV81HrYV21/j+jJJnT1HRqoB/4fWe4HK1xkRykr2UymzE+BQwrilhTGEieFIHYftphr2Pg2A5nHDSWIe59MCRQbh4neqYTtFIR0c46s6kCKMV/v9287XjFQ1WpFnskVlK0uQOVJ3EKgnBuZSo8ND9EhsrUv2k4WJupHs=\n\
\tModulus: 0xbb5bd4c65f0695199a5f800a326c6010d032997f9a4a45440ffab509ab66377acd3d\n\
bc4fe1d7b2f729f7d38d170937290206d4a8ca49176bd99e2edfee0d683d92760adfdb2109f13ef7ae2903a8b56053a521623fb73ab1e10b2843b90bb98af7dcf3101feabbda24ae856cb20f389c80aa58f829c0bb93aadaf1ca24e4c41b6135973b370757cd47ad8576d7f8fe8c92674f51d1aa807fe1f59ee072b5c6447292bd94ca6cc4f81430ae29614c612278520761fb6986bd8f8360399c70d25887b9f4c09141b8789dea984ed148474738eacea408a315feff76f3b5e3150d56a459ec91594ad2e40e549dc42a09c1b994a8f0d0fd121b2b52fda4e1626ea47b\n\
\tPublicExponent: 0x010001\n\
\t# everything after this point is secret\n\
\tPrivateExponent: 0x291b65dcbc3eaa79fa97d774e54947ee886f81a4308af9158cd7f9de8c3f9a0e94776618b4b969a7b70a8bdcd9e008bd3397a2130286f4df91d895fa45b5a5585509172bb45d545c1cefa4c394ecf016996392a686ca41d38347ba66d973cc1ac47532d327dd8da7b8029e7d91b7ab391335ccdd6df3be7410b986f14e14ef3d9e17be0a0a39b411983fb571ae759f659d8373d0a7fcc6496b9f53e41e0bc9b4ef9a59e80e29c28e2946907f542f8fcd628d375ebf2aff3290f20afd2b481d9df5f838862620f3f9cb92cdcca267c9c325d2e10c626c85e35837a3c32c9ec7bb200c80e1789b924f89680c7f410ddf5e415b94d84ad93c070327ed4a78d7aae1\n\
\tPrime1: 0xc74deb2fd5c7bdfdcf9129fc15380d941eb7f7707dbd15941838e71b510151cfe21b3461b9dffe467d7f02c6cf644106b9a15c48c492869750754cd0817d10cd7070abb8c3fbc7e3813d202005bd668697bf0ddc686c768e3ff6d700334c28cd50b88a005d9565f41ee0a2eb44996ed93ca80986f60cf9ff912a98c10696f1cb\n\
\tPrime2: 0xf0a7fc57dc2b87e072c3a5925ec7beb042629a724a1792711f331a84fc63d37f225d0d7de90bf40a8e94950b11f89387ee924beb9bf83bd148c864a53026bf6c5e7aee5e0384f691aa86f40dad2df99b8d3f7fea8344215b4f7ac5798560855bfc0659ee962c5692e5e65a52c5561bee853a5a400b83d74c7eb493c418ef0211\n\
\tExponent1: 0x65c3a45dc5637ae038f6df2026d97b1d715defcb1178d5a6cb836a85a923ea5922134ff8c246dbf7b426810d7061b94e2cc47671756577b195547f874b46c7a88e4c09728b27695601ec6b15ceb879bc298955138082393ac2f04fb17b7fdca99118d8e5fce2c6af128112cedc3517c376543aa11dcb5c6f20f9460bf1486b67\n\
\tExponent2: 0x92803105eb6a34955647f40b5ed78a2612c3a3f1df58ea352321210bc3f9a14ecbc489ea146cca6b82d0c0cab46df6a1d1820de5a8553d54f251cbb323d4f2c32de0f82b13496630d6f6c0ab72b982324792587492e46ec9ff6065c6cc832dac09887446e1f4abdf514521c7318a720689e433fcb905d19327af162552686d81\n\
\tCoefficient: 0x2d3dea40e6decf4ca9b7016b682f04c0cd4722ed2661670812a067afc87245929e4aeee96a95181c71070c36d148a388a141a75f9dba84ce3068f22bbcebfd9c5c8fe3ae1ad9d955ebc4dad8f7a3f7a0ad1fc4727ef64574ace95d781bb6d13b1349f19596a8285b8a8b3a408f8b0789388f0914b45d8685eba36f4f706ee5b5\n\
\t}\n\
";

#[test]
fn include_glob_cycles_stay_small() {
    for (ext, count) in [("conf", 8), ("secrets", 9)] {
        let dir = tempfile::tempdir().unwrap();
        for i in 1..=count {
            let path = dir.path().join(format!("f{i}.{ext}"));
            fs::write(&path, format!("include *.{ext}\n")).unwrap();
        }
        let top = dir.path().join(format!("f1.{ext}"));
        let diagnostics = if ext == "conf" {
            parse_file(&top).diagnostics
        } else {
            parse_secrets_file(&top).diagnostics
        };
        let cycles: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.message().starts_with("include cycle"))
            .collect();
        // One per include line: each file is read once, and its line reports one cycle.
        assert_eq!(cycles.len(), count, "{ext}: {diagnostics:#?}");
        let mut places: Vec<_> = cycles.iter().map(|d| (&d.file, d.line)).collect();
        places.sort();
        places.dedup();
        assert_eq!(
            places.len(),
            count,
            "{ext}: one diagnostic per include line"
        );
    }
}

fn conn_with(line: &str) -> String {
    format!("conn a\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\t{line}\n")
}

#[test]
fn rsasigkey_values_are_decoded() {
    // The column is where the value starts, after the tab and `key=`.
    for (bad, column) in [
        ("leftrsasigkey=0sAQNbad!!", 16),
        ("rightrsasigkey=0x123", 17),
    ] {
        let parsed = parse_str(&conn_with(bad), "ipsec.conf");
        let errors: Vec<_> = parsed.errors().collect();
        assert_eq!(errors.len(), 1, "{bad}: {errors:#?}");
        assert_eq!((errors[0].line, errors[0].column), (4, column), "{bad}");
        assert!(
            errors[0].message().contains("not an RFC 3110 RSA key"),
            "{}",
            errors[0].message()
        );
    }
    for good in [
        format!("leftrsasigkey={KEY_0S}"),
        "leftrsasigkey=%cert".to_owned(),
        "leftrsasigkey=%dnsondemand".to_owned(),
        "leftrsasigkey=%dns".to_owned(),
        "leftrsasigkey=%none".to_owned(),
        "leftrsasigkey=".to_owned(),
    ] {
        let parsed = parse_str(&conn_with(&good), "ipsec.conf");
        assert!(!parsed.has_errors(), "{good}: {:#?}", parsed.diagnostics);
    }
}

#[test]
fn rsa_block_error_names_the_failing_line() {
    let parsed = parse_secrets_str(WRAPPED_BLOCK, "wrapped.secrets");
    let errors: Vec<_> = parsed.errors().collect();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].line, 6, "{}", errors[0]);
    assert!(errors[0].message().contains("line 6"), "{}", errors[0]);
}

#[test]
fn unclosed_rsa_block_reported_once() {
    let unclosed = WRAPPED_BLOCK.trim_end().strip_suffix('}').unwrap();
    let parsed = parse_secrets_str(unclosed, "unclosed.secrets");
    let missing: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.message().contains("missing closing '}'"))
        .collect();
    assert_eq!(missing.len(), 1, "{:#?}", parsed.diagnostics);
    assert_eq!(missing[0].line, 1);
}

#[test]
fn keyingtries_defaults_to_forever() {
    // Openswan 2.6.51.5's ipsec.conf(5): "before giving up (default %forever)".
    let parsed = parse_str(&conn_with("auto=add"), "ipsec.conf");
    assert!(!parsed.has_errors(), "{:#?}", parsed.diagnostics);
    assert_eq!(parsed.value.conns[0].keyingtries, 0);
    assert!(ipsec_conf::write_config(&parsed.value).contains("\tkeyingtries=%forever\n"));
}

#[test]
fn ikev2_policies() {
    let parsed = parse_str(&conn_with("ikev2=insist"), "ipsec.conf");
    let errors: Vec<_> = parsed.errors().collect();
    assert_eq!(errors.len(), 1, "{:#?}", parsed.diagnostics);
    assert_eq!(errors[0].line, 4);
    assert!(errors[0].hint.as_deref().unwrap().contains("IKEv1 only"));

    for value in ["propose", "permit", "yes"] {
        let parsed = parse_str(&conn_with(&format!("ikev2={value}")), "ipsec.conf");
        assert!(!parsed.has_errors(), "{value}: {:#?}", parsed.diagnostics);
        let warnings: Vec<_> = parsed
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .collect();
        assert_eq!(warnings.len(), 1, "{value}: {warnings:#?}");
        assert!(warnings[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("IKEv2 is not offered"));
    }

    for value in ["never", "no"] {
        let parsed = parse_str(&conn_with(&format!("ikev2={value}")), "ipsec.conf");
        assert!(
            parsed.diagnostics.is_empty(),
            "{value}: {:#?}",
            parsed.diagnostics
        );
    }
}
