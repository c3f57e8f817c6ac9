//! Malformed datagrams are rejected with a typed error that names the failing offset: Libreswan's
//! fuzzer and CVE regression datagrams, and the hand-made malformed captures.

use std::path::{Path, PathBuf};

use ike_wire::{ExchangeType, Message, ParseError, ParseErrorKind, PayloadType};

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(shared) => PathBuf::from(shared),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Parses and checks a datagram as a receiver would before acting on it.
fn receive(bytes: &[u8]) -> Result<Message, ParseError> {
    let message = Message::parse(bytes)?;
    message.check()?;
    Ok(message)
}

fn read_hex(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    hex::decode(text.trim()).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads the name and bytes of each vector of the Libreswan fuzzer table.
fn fuzzer_vectors() -> Vec<(String, Vec<u8>)> {
    let path = shared_dir().join("vectors/malformed-ikev1/libreswan-fuzzer-ikev1.tsv");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let (name, digits) = line.split_once('\t').expect("name<TAB>hex");
            (
                name.to_owned(),
                hex::decode(digits.trim()).expect("hex datagram"),
            )
        })
        .collect()
}

#[test]
fn fuzzer_vectors_rejected_at_offset() {
    // (vector, offset, payload being read): found by reading each datagram's fields by hand.
    let expected: &[(&str, usize, Option<PayloadType>)] = &[
        ("cve-2009-0790.py#1", 24, None),
        (
            "cve-2015-3204.py#1",
            42,
            Some(PayloadType::SECURITY_ASSOCIATION),
        ),
        ("cve-2015-3204.py#2", 28, Some(PayloadType(15))),
        (
            "cve-2022-23094.py#1",
            86,
            Some(PayloadType::SECURITY_ASSOCIATION),
        ),
        (
            "cve-2020-1763(fuzzer-ikev1-03)#1",
            28,
            Some(PayloadType::SECURITY_ASSOCIATION),
        ),
        (
            "cve-2020-1763(fuzzer-ikev1-03)#2",
            28,
            Some(PayloadType::SIGNATURE),
        ),
    ];
    let vectors = fuzzer_vectors();
    assert_eq!(vectors.len(), expected.len(), "vector table changed");

    for ((name, bytes), (expected_name, offset, payload)) in vectors.iter().zip(expected) {
        assert_eq!(name, expected_name);
        let error = receive(bytes).expect_err(name);
        assert_eq!(error.offset, *offset, "{name}: {error}");
        assert_eq!(error.payload, *payload, "{name}: {error}");
        assert!(
            error.offset < bytes.len(),
            "{name}: offset past the datagram"
        );
        assert!(
            error.to_string().contains(&format!("at offset {offset}")),
            "{name}: {error}"
        );
    }
}

#[test]
fn cve_2015_3204_zero_proposal_length() {
    let (_, bytes) = &fuzzer_vectors()[1];
    let error = Message::parse(bytes).unwrap_err();
    assert_eq!(
        error.kind,
        ParseErrorKind::InvalidLength {
            field: "proposal length",
            length: 0,
            expected: "4 to 48 (the bytes left)".to_owned(),
        }
    );
}

#[test]
fn cve_2020_1763_sa_in_informational() {
    let (_, bytes) = &fuzzer_vectors()[4];
    let error = receive(bytes).unwrap_err();
    assert!(matches!(
        error.kind,
        ParseErrorKind::UnexpectedPayload {
            exchange: ExchangeType::INFORMATIONAL,
            ..
        }
    ));
}

#[test]
fn handmade_hex_rejected_at_offset() {
    let dir = shared_dir().join("captures/handmade");
    let cases: &[(&str, usize, Option<PayloadType>, &str)] = &[
        (
            "ikev1_malformed_a_len_past_end.hex",
            86,
            Some(PayloadType::VENDOR_ID),
            "payload length",
        ),
        (
            "ikev1_malformed_b_zero_len.hex",
            86,
            Some(PayloadType::VENDOR_ID),
            "payload length",
        ),
        (
            "ikev1_malformed_c_hdr_len_past_end.hex",
            24,
            None,
            "message length",
        ),
    ];

    for (file, offset, payload, field) in cases {
        let bytes = read_hex(&dir.join(file));
        let error = receive(&bytes).expect_err(file);
        assert_eq!(error.offset, *offset, "{file}: {error}");
        assert_eq!(error.payload, *payload, "{file}: {error}");
        match &error.kind {
            ParseErrorKind::InvalidLength { field: name, .. } => assert_eq!(name, field),
            other => panic!("{file}: expected an invalid length, got {other:?}"),
        }
    }
}

#[test]
fn every_prefix_rejected_without_panic() {
    let mut datagrams: Vec<Vec<u8>> = fuzzer_vectors().into_iter().map(|(_, b)| b).collect();
    datagrams.push(read_hex(
        &shared_dir().join("captures/ike-scan/ikescan_mm1_trans5212.hex"),
    ));

    for bytes in datagrams {
        for cut in 0..bytes.len() {
            let error = receive(&bytes[..cut]).expect_err("a truncated datagram");
            assert!(
                error.offset <= cut,
                "offset {} past {cut} bytes",
                error.offset
            );
        }
    }
}
