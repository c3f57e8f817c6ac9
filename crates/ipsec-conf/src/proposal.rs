//! Proposal strings in Openswan's syntax: `ike=` (`3des-md5;modp1024`, `aes128-sha1-modp2048`)
//! and `phase2alg=`/`esp=` (`aes256-sha2_256`, `aes_gcm128-null`), comma lists, and a trailing
//! `!` for strict mode (offer and accept only these).

/// Maximum number of proposals in one list. Openswan's own tables are smaller; a longer list
/// would not fit in one SA payload anyway.
pub const MAX_PROPOSALS: usize = 64;

use ike_wire::{
    AuthAlgorithm, EncryptionAlgorithm, EspTransformId, GroupDescription, HashAlgorithm,
};

/// One phase 1 proposal: `aes128-sha1-modp2048`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IkeProposal {
    /// The cipher (IKE Encryption Algorithm attribute).
    pub encryption: EncryptionAlgorithm,
    /// The key length in bits, when given (`aes128`, `aes-256`).
    pub key_len: Option<u16>,
    /// The hash, `None` when not given (Openswan then offers its default hashes).
    pub hash: Option<HashAlgorithm>,
    /// The DH group, `None` when not given (Openswan then offers its default groups).
    pub group: Option<GroupDescription>,
}

/// The integrity part of an ESP proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Integrity {
    /// Not given: Openswan offers its default algorithms.
    Default,
    /// `null` or `none`: no integrity algorithm (for AES-GCM, which authenticates itself).
    None,
    /// An IPsec DOI authentication algorithm.
    Alg(AuthAlgorithm),
}

/// One phase 2 proposal: `aes256-sha2_256`, `3des-md5;modp1024`, `aes_gcm128-null`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EspProposal {
    /// The ESP transform.
    pub transform: EspTransformId,
    /// The key length in bits, when given.
    pub key_len: Option<u16>,
    /// The integrity algorithm.
    pub integrity: Integrity,
    /// The PFS group written after `;`, when given.
    pub group: Option<GroupDescription>,
}

/// A parsed `ike=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeAlgs {
    /// The value as written (without surrounding quotes), printed back by the writer.
    pub text: String,
    /// A trailing `!`: accept nothing else.
    pub strict: bool,
    /// The proposals in order of preference.
    pub proposals: Vec<IkeProposal>,
}

/// A parsed `phase2alg=`/`esp=` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EspAlgs {
    /// The value as written (without surrounding quotes), printed back by the writer.
    pub text: String,
    /// A trailing `!`: accept nothing else.
    pub strict: bool,
    /// The proposals in order of preference.
    pub proposals: Vec<EspProposal>,
}

/// Splits off the `!` and the comma list.
fn split_list(text: &str) -> Result<(bool, Vec<&str>), String> {
    let (body, strict) = match text.trim().strip_suffix('!') {
        Some(body) => (body, true),
        None => (text.trim(), false),
    };
    let items: Vec<&str> = body.split(',').map(str::trim).collect();
    if items.iter().any(|item| item.is_empty()) {
        return Err("empty proposal in the list".to_owned());
    }
    if items.len() > MAX_PROPOSALS {
        return Err(format!("more than {MAX_PROPOSALS} proposals"));
    }
    Ok((strict, items))
}

impl IkeAlgs {
    /// Parses an `ike=` value. Errors name the part that is wrong and what was expected.
    pub fn parse(text: &str) -> Result<IkeAlgs, String> {
        let (strict, items) = split_list(text)?;
        let proposals = items
            .into_iter()
            .map(parse_ike_item)
            .collect::<Result<_, _>>()?;
        Ok(IkeAlgs {
            text: text.trim().to_owned(),
            strict,
            proposals,
        })
    }
}

impl EspAlgs {
    /// Parses a `phase2alg=`/`esp=` value. Errors name the part that is wrong and what was
    /// expected.
    pub fn parse(text: &str) -> Result<EspAlgs, String> {
        let (strict, items) = split_list(text)?;
        let proposals = items
            .into_iter()
            .map(parse_esp_item)
            .collect::<Result<_, _>>()?;
        Ok(EspAlgs {
            text: text.trim().to_owned(),
            strict,
            proposals,
        })
    }
}

/// Phase 1 encryption names and their IKE attribute numbers (RFC 2409 appendix A).
const IKE_CIPHERS: &[(&str, u16)] = &[
    ("3des", 5),
    ("des", 1),
    ("aes", 7),
    ("blowfish", 3),
    ("cast", 6),
    ("camellia", 8),
];

/// Phase 1 hash names and their IKE attribute numbers.
const IKE_HASHES: &[(&str, u16)] = &[
    ("md5", 1),
    ("sha", 2),
    ("sha1", 2),
    ("sha2", 4),
    ("sha256", 4),
    ("sha2_256", 4),
    ("sha384", 5),
    ("sha2_384", 5),
    ("sha512", 6),
    ("sha2_512", 6),
];

/// ESP transform names and their IPsec DOI ESP transform ids (RFC 2407 4.4.4, IANA).
const ESP_CIPHERS: &[(&str, u8)] = &[
    ("3des", 3),
    ("des", 2),
    ("blowfish", 7),
    ("null", 11),
    ("aes", 12),
    ("aes_ctr", 13),
    ("aesctr", 13),
    ("aes_ccm_a", 14),
    ("aes_ccm_b", 15),
    ("aes_ccm_c", 16),
    ("aes_ccm", 16),
    ("aes_gcm_a", 18),
    ("aes_gcm_b", 19),
    ("aes_gcm_c", 20),
    ("aes_gcm", 20),
    ("camellia", 22),
];

/// ESP authentication names and their IPsec DOI authentication algorithm numbers. The
/// number 0 stands for no integrity algorithm.
const ESP_AUTHS: &[(&str, u16)] = &[
    ("md5", 1),
    ("sha", 2),
    ("sha1", 2),
    ("sha2", 5),
    ("sha256", 5),
    ("sha2_256", 5),
    ("sha384", 6),
    ("sha2_384", 6),
    ("sha512", 7),
    ("sha2_512", 7),
    ("aes_xcbc", 9),
    ("null", 0),
    ("none", 0),
];

/// Diffie-Hellman group names and their numbers (RFC 2409, RFC 3526, RFC 5903, RFC 8031).
const GROUPS: &[(&str, u16)] = &[
    ("modp768", 1),
    ("modp1024", 2),
    ("modp1536", 5),
    ("modp2048", 14),
    ("modp3072", 15),
    ("modp4096", 16),
    ("modp6144", 17),
    ("modp8192", 18),
    ("ecp256", 19),
    ("ecp384", 20),
    ("ecp521", 21),
    ("curve25519", 31),
];

fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|&(_, v)| v)
}

/// Parses a group name: `modp1024`, `dh14`, or a bare group number.
pub fn parse_group(text: &str) -> Result<GroupDescription, String> {
    let name = text.to_ascii_lowercase();
    if let Some(number) = lookup(GROUPS, &name) {
        return Ok(GroupDescription(number));
    }
    let number = name.strip_prefix("dh").unwrap_or(&name);
    if let Ok(number) = number.parse::<u16>() {
        if GROUPS.iter().any(|&(_, v)| v == number) {
            return Ok(GroupDescription(number));
        }
    }
    Err(format!(
        "unknown DH group '{text}' (expected modp1024, modp1536, modp2048, ...)"
    ))
}

/// Returns the Openswan name of a group (`modp1024`) that [`parse_group`] reads back, or
/// its number for a group without a name.
pub fn group_name(group: GroupDescription) -> String {
    GROUPS
        .iter()
        .find(|&&(_, v)| v == group.0)
        .map(|&(name, _)| name.to_owned())
        .unwrap_or_else(|| group.0.to_string())
}

/// Splits a cipher name from its optional key length: `aes128`, `aes-128`, `aes_gcm256`, `3des`.
/// Returns the name, the key length and how many tokens were consumed.
fn split_cipher<'a>(tokens: &[&'a str]) -> Result<(&'a str, Option<u16>, usize), String> {
    let first = tokens[0];
    let digits_at = first.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (name, key_len) = if first == "3des" || digits_at == first.len() || digits_at == 0 {
        (first, None)
    } else {
        let (name, digits) = first.split_at(digits_at);
        let key_len = digits
            .parse::<u16>()
            .map_err(|_| format!("'{digits}' is not a key length"))?;
        (name.trim_end_matches('_'), Some(key_len))
    };
    if key_len.is_none() {
        if let Some(Ok(bits)) = tokens.get(1).map(|t| t.parse::<u16>()) {
            return Ok((name, Some(bits), 2));
        }
    }
    Ok((name, key_len, 1))
}

fn check_key_len(name: &str, key_len: Option<u16>) -> Result<(), String> {
    match key_len {
        None | Some(128) | Some(192) | Some(256)
            if name.starts_with("aes") || name == "camellia" =>
        {
            Ok(())
        }
        None => Ok(()),
        Some(bits) if name == "blowfish" && (40..=448).contains(&bits) => Ok(()),
        Some(bits) => Err(format!("key length {bits} is not valid for {name}")),
    }
}

fn tokens(item: &str) -> Vec<String> {
    item.split(['-', ';'])
        .map(|t| t.trim().to_ascii_lowercase())
        .collect()
}

/// Parses one `ike=` proposal.
fn parse_ike_item(item: &str) -> Result<IkeProposal, String> {
    let owned = tokens(item);
    let tokens: Vec<&str> = owned.iter().map(String::as_str).collect();
    let (name, key_len, used) = split_cipher(&tokens)?;
    let cipher = lookup(IKE_CIPHERS, name).ok_or_else(|| {
        format!(
            "unknown IKE cipher '{}' in '{item}' (expected 3des, aes, aes128, ...)",
            tokens[0]
        )
    })?;
    check_key_len(name, key_len)?;
    let rest = &tokens[used..];
    let hash = match rest.first() {
        Some(h) => Some(HashAlgorithm(lookup(IKE_HASHES, h).ok_or_else(|| {
            format!("unknown IKE hash '{h}' in '{item}' (expected md5, sha1, sha2_256, ...)")
        })?)),
        None => None,
    };
    let group = match rest.get(1) {
        Some(g) => Some(parse_group(g)?),
        None => None,
    };
    if rest.len() > 2 {
        return Err(format!("unexpected '{}' in '{item}'", rest[2]));
    }
    Ok(IkeProposal {
        encryption: EncryptionAlgorithm(cipher),
        key_len,
        hash,
        group,
    })
}

/// Parses one `phase2alg=` proposal.
fn parse_esp_item(item: &str) -> Result<EspProposal, String> {
    let owned = tokens(item);
    let tokens: Vec<&str> = owned.iter().map(String::as_str).collect();
    let (name, key_len, used) = split_cipher(&tokens)?;
    let transform = lookup(ESP_CIPHERS, name).ok_or_else(|| {
        format!(
            "unknown ESP cipher '{}' in '{item}' (expected 3des, aes128, aes_gcm128, ...)",
            tokens[0]
        )
    })?;
    check_key_len(name, key_len)?;
    let rest = &tokens[used..];
    let integrity = match rest.first() {
        Some(a) => match lookup(ESP_AUTHS, a) {
            Some(0) => Integrity::None,
            Some(number) => Integrity::Alg(AuthAlgorithm(number)),
            None => {
                return Err(format!(
                    "unknown ESP integrity '{a}' in '{item}' (expected md5, sha1, sha2_256, null)"
                ))
            }
        },
        None => Integrity::Default,
    };
    let group = match rest.get(1) {
        Some(g) => Some(parse_group(g)?),
        None => None,
    };
    if rest.len() > 2 {
        return Err(format!("unexpected '{}' in '{item}'", rest[2]));
    }
    Ok(EspProposal {
        transform: EspTransformId(transform),
        key_len,
        integrity,
        group,
    })
}
