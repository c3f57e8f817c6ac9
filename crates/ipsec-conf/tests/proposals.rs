//! Proposal strings in Openswan's syntax, parsed into ike-wire's algorithm numbers.

use ike_wire::{
    AuthAlgorithm, EncryptionAlgorithm, EspTransformId, GroupDescription, HashAlgorithm,
};
use ipsec_conf::{parse_str, EspAlgs, EspProposal, IkeAlgs, IkeProposal, Integrity};

#[test]
fn ike_old_syntax_with_semicolon() {
    let algs = IkeAlgs::parse("3des-md5;modp1024").unwrap();
    assert!(!algs.strict);
    assert_eq!(
        algs.proposals,
        [IkeProposal {
            encryption: EncryptionAlgorithm::TRIPLE_DES_CBC,
            key_len: None,
            hash: Some(HashAlgorithm::MD5),
            group: Some(GroupDescription::MODP1024),
        }]
    );
}

#[test]
fn ike_list_strict() {
    let algs = IkeAlgs::parse("aes128-sha1-modp2048,aes256-sha2_256-modp1536!").unwrap();
    assert!(algs.strict);
    assert_eq!(
        algs.proposals,
        [
            IkeProposal {
                encryption: EncryptionAlgorithm::AES_CBC,
                key_len: Some(128),
                hash: Some(HashAlgorithm::SHA),
                group: Some(GroupDescription::MODP2048),
            },
            IkeProposal {
                encryption: EncryptionAlgorithm::AES_CBC,
                key_len: Some(256),
                hash: Some(HashAlgorithm::SHA2_256),
                group: Some(GroupDescription::MODP1536),
            },
        ]
    );
}

#[test]
fn ike_cipher_only() {
    let algs = IkeAlgs::parse("aes").unwrap();
    assert_eq!(algs.proposals[0].hash, None);
    assert_eq!(algs.proposals[0].group, None);
}

#[test]
fn esp_forms() {
    let algs = EspAlgs::parse("aes256-sha2_256, 3des-md5;modp1024, aes_gcm128-null").unwrap();
    assert_eq!(
        algs.proposals,
        [
            EspProposal {
                transform: EspTransformId::AES_CBC,
                key_len: Some(256),
                integrity: Integrity::Alg(AuthAlgorithm::HMAC_SHA2_256),
                group: None,
            },
            EspProposal {
                transform: EspTransformId::TRIPLE_DES,
                key_len: None,
                integrity: Integrity::Alg(AuthAlgorithm::HMAC_MD5),
                group: Some(GroupDescription::MODP1024),
            },
            EspProposal {
                transform: EspTransformId::AES_GCM_16,
                key_len: Some(128),
                integrity: Integrity::None,
                group: None,
            },
        ]
    );
}

#[test]
fn esp_key_length_after_dash() {
    let algs = EspAlgs::parse("aes-128-sha1").unwrap();
    assert_eq!(algs.proposals[0].key_len, Some(128));
    assert_eq!(
        algs.proposals[0].integrity,
        Integrity::Alg(AuthAlgorithm::HMAC_SHA)
    );
}

#[test]
fn invalid_proposals_explain() {
    assert_eq!(
        IkeAlgs::parse("rot13-md5").unwrap_err(),
        "unknown IKE cipher 'rot13' in 'rot13-md5' (expected 3des, aes, aes128, ...)"
    );
    assert_eq!(
        EspAlgs::parse("aes100-sha1").unwrap_err(),
        "key length 100 is not valid for aes"
    );
    assert_eq!(
        IkeAlgs::parse("aes128-sha1,").unwrap_err(),
        "empty proposal in the list"
    );
    assert_eq!(
        IkeAlgs::parse("aes-sha1-modp999").unwrap_err(),
        "unknown DH group 'modp999' (expected modp1024, modp1536, modp2048, ...)"
    );
}

#[test]
fn conn_keys_use_proposals() {
    let text = "conn a\n\tike=aes128-sha1-modp2048!\n\tesp=aes128-sha1\n\tpfsgroup=modp1536\n";
    let parsed = parse_str(text, "ipsec.conf");
    assert!(parsed.diagnostics.is_empty(), "{:#?}", parsed.diagnostics);
    let conn = &parsed.value.conns[0];
    assert!(conn.ike.as_ref().unwrap().strict);
    assert_eq!(conn.esp.as_ref().unwrap().proposals.len(), 1);
    assert_eq!(conn.pfsgroup, Some(GroupDescription::MODP1536));

    let bad = parse_str("conn a\n\tike=aes128-whirlpool\n", "ipsec.conf");
    let messages: Vec<String> = bad
        .errors()
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message()))
        .collect();
    assert_eq!(
        messages,
        ["2:6: invalid value for ike: unknown IKE hash 'whirlpool' in 'aes128-whirlpool' (expected md5, sha1, sha2_256, ...)"]
    );
}
