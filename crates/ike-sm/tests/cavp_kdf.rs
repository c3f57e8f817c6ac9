//! NIST CAVP IKEv1 KDF vectors (SP 800-135 component tests) run through the crate's RFC 2409 key
//! derivation: SKEYID for pre-shared keys and for signatures, then SKEYID_d, SKEYID_a, SKEYID_e.
//!
//! The `.fax` files are read at run time from `$SHARED_DIR/vectors/cavp-ike-kdf/`. `SHARED_DIR`
//! defaults to the `shared` folder beside the repository.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use ike_sm::crypto::kdf::{skeyid_dae, skeyid_psk, skeyid_sig};
use ike_sm::crypto::{Hash, Prf, Secret};

/// One `COUNT = n` block with the hash of the section it appears in.
struct Case {
    line: usize,
    hash: Hash,
    fields: BTreeMap<String, Vec<u8>>,
}

impl Case {
    fn field(&self, name: &str) -> &[u8] {
        self.fields
            .get(name)
            .unwrap_or_else(|| panic!("case at line {} has no {name} field", self.line))
    }

    fn cookie(&self, name: &str) -> [u8; 8] {
        self.field(name)
            .try_into()
            .unwrap_or_else(|_| panic!("case at line {}: {name} is not 8 bytes", self.line))
    }
}

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

fn unhex(text: &str, line: usize) -> Vec<u8> {
    assert!(
        text.len().is_multiple_of(2),
        "line {line}: odd number of hex digits"
    );
    (0..text.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&text[i..i + 2], 16)
                .unwrap_or_else(|_| panic!("line {line}: invalid hex {:?}", &text[i..i + 2]))
        })
        .collect()
}

/// Parses a `.fax` file: `[SHA-n]` section headers choose the hash, `COUNT = n` starts a case and
/// `NAME = hex` lines fill it. Other bracketed headers (lengths) and comments are skipped.
fn parse_fax(name: &str) -> Vec<Case> {
    let path = shared_dir().join("vectors/cavp-ike-kdf").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (set SHARED_DIR)", path.display()));

    let mut cases = Vec::new();
    let mut hash = None;
    for (index, raw) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            match section {
                "SHA-1" => hash = Some(Hash::Sha1),
                "SHA-256" => hash = Some(Hash::Sha256),
                "SHA-384" => hash = Some(Hash::Sha384),
                "SHA-512" => hash = Some(Hash::Sha512),
                other if other.starts_with("SHA") => {
                    panic!("line {line_number}: unknown hash {other}")
                }
                _ => {}
            }
            continue;
        }

        let (key, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("{name} line {line_number}: expected `NAME = value`"));
        if key == "COUNT" {
            let hash = hash.unwrap_or_else(|| {
                panic!("{name} line {line_number}: case before a [SHA-n] header")
            });
            cases.push(Case {
                line: line_number,
                hash,
                fields: BTreeMap::new(),
            });
            continue;
        }
        let case = cases
            .last_mut()
            .unwrap_or_else(|| panic!("{name} line {line_number}: field before COUNT"));
        case.fields
            .insert(key.to_string(), unhex(value, line_number));
    }
    cases
}

/// Checks SKEYID_d/a/e from `skeyid` against the case, returning the names that differ.
fn check_children(case: &Case, prf: Prf, skeyid: &Secret) -> Vec<&'static str> {
    let chain = skeyid_dae(
        prf,
        skeyid,
        case.field("g^xy"),
        &case.cookie("CKY_I"),
        &case.cookie("CKY_R"),
    );
    let mut wrong = Vec::new();
    if skeyid.as_bytes() != case.field("SKEYID") {
        wrong.push("SKEYID");
    }
    if chain.skeyid_d.as_bytes() != case.field("SKEYID_d") {
        wrong.push("SKEYID_d");
    }
    if chain.skeyid_a.as_bytes() != case.field("SKEYID_a") {
        wrong.push("SKEYID_a");
    }
    if chain.skeyid_e.as_bytes() != case.field("SKEYID_e") {
        wrong.push("SKEYID_e");
    }
    wrong
}

fn run(name: &str, derive: impl Fn(&Case, Prf) -> Secret) {
    let cases = parse_fax(name);
    assert!(!cases.is_empty(), "{name} has no cases");

    let mut failures = Vec::new();
    let mut hashes = BTreeSet::new();
    for case in &cases {
        let prf = Prf::hmac(case.hash);
        hashes.insert(case.hash.to_string());
        let skeyid = derive(case, prf);
        let wrong = check_children(case, prf, &skeyid);
        if !wrong.is_empty() {
            failures.push(format!(
                "line {} ({}): {}",
                case.line,
                case.hash,
                wrong.join(", ")
            ));
        }
    }

    let expected_hashes: BTreeSet<String> = ["SHA1", "SHA2_256", "SHA2_384", "SHA2_512"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(hashes, expected_hashes, "{name}: hashes covered");
    assert!(
        failures.is_empty(),
        "{name}: {} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    eprintln!("{name}: {} cases passed", cases.len());
}

#[test]
fn cavp_ikev1_psk() {
    run("fax_ikev1_psk.fax", |case, prf| {
        skeyid_psk(
            prf,
            case.field("pre-shared-key"),
            case.field("Ni"),
            case.field("Nr"),
        )
    });
}

#[test]
fn cavp_ikev1_signature() {
    run("fax_ikev1_dsa.fax", |case, prf| {
        skeyid_sig(prf, case.field("Ni"), case.field("Nr"), case.field("g^xy"))
    });
}
