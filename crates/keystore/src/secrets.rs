//! Openswan's `: RSA { ... }` block in ipsec.secrets: reading, checking and writing.
//!
//! The block is what `ipsec rsasigkey --verbose BITS` prints:
//!
//! ```text
//! : RSA {
//!         # RSA 2048 bits   east   Fri Dec  4 21:03:17 2026
//!         # for signatures only, UNSAFE FOR ENCRYPTION
//!         #pubkey=0sAwEAAc...
//!         Modulus: 0xc3...
//!         PublicExponent: 0x010001
//!         # everything after this point is secret
//!         PrivateExponent: 0x...
//!         Prime1: 0x...
//!         Prime2: 0x...
//!         Exponent1: 0x...
//!         Exponent2: 0x...
//!         Coefficient: 0x...
//!         }
//! ```
//!
//! Values are `0x` hex or `0s` base64. Libreswan adds `CKAIDNSS:` when the private key lives in
//! an NSS database; the other private fields then hold placeholders, and the block reads as
//! [`RsaSecret::Nss`].

use rsa::{BigUint, RsaPrivateKey};
use zeroize::Zeroizing;

use crate::error::{BlockField, KeyError, Rfc3110Error, SecretsError};
use crate::key::{PrivateKey, PublicKey};
use crate::rfc3110;

/// Maximum size of a block's text in bytes: eight 16384-bit numbers in hex plus comments fit in
/// about 20 KiB.
pub const MAX_BLOCK_TEXT_LEN: usize = 64 * 1024;

/// The first comment line Openswan writes, `# RSA 2048 bits   host   date` (or FreeS/WAN's
/// `# 1024 bits, date`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHeader {
    /// Key size as the comment states it (Openswan writes the requested size).
    pub bits: usize,
    /// The text after `bits`: host name and date, separated by three spaces in Openswan 2.x.
    pub comment: String,
    /// Line number of the comment.
    pub line: usize,
}

/// The key material of an RSA block.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum RsaSecret {
    /// A whole private key, checked for consistency.
    Private(PrivateKey),
    /// Libreswan's reference to a private key in an NSS database: only the public key and the
    /// CKAID are real.
    Nss {
        /// The public key from `Modulus` and `PublicExponent`.
        public: PublicKey,
        /// The `CKAIDNSS` value, checked to be SHA-1 of the modulus.
        ckaid: [u8; 20],
    },
}

/// A parsed and checked `: RSA { ... }` block.
#[derive(Clone, Debug)]
pub struct RsaBlock {
    /// The `# RSA N bits ...` comment, when present.
    pub header: Option<BlockHeader>,
    /// Whether a `#pubkey=` comment was present (it is checked against the modulus).
    pub has_pubkey_comment: bool,
    /// The key.
    pub secret: RsaSecret,
}

impl RsaBlock {
    /// Parses a block and checks that its fields agree.
    ///
    /// `text` is either the block's body (the lines `rsasigkey` prints) or the whole entry from
    /// `: RSA {` (with any selectors before the colon) to the closing `}`. Line numbers in
    /// errors count from 1 at the start of `text`. Never panics.
    pub fn parse(text: &str) -> Result<RsaBlock, SecretsError> {
        RsaBlock::parse_at(text, 1)
    }

    /// As [`RsaBlock::parse`], with `first_line` the line number of `text`'s first line in the
    /// file it came from, so that errors point into that file.
    pub fn parse_at(text: &str, first_line: usize) -> Result<RsaBlock, SecretsError> {
        if text.len() > MAX_BLOCK_TEXT_LEN {
            return Err(SecretsError::TooLong {
                length: text.len(),
                max: MAX_BLOCK_TEXT_LEN,
            });
        }

        let lines = block_body_lines(text, first_line)?;
        let fields = collect_fields(&lines)?;
        fields.check()
    }

    /// Returns the public key.
    pub fn public(&self) -> PublicKey {
        match &self.secret {
            RsaSecret::Private(key) => key.public(),
            RsaSecret::Nss { public, .. } => public.clone(),
        }
    }

    /// Returns the private key, unless the block only refers to an NSS database.
    pub fn private(&self) -> Option<&PrivateKey> {
        match &self.secret {
            RsaSecret::Private(key) => Some(key),
            RsaSecret::Nss { .. } => None,
        }
    }
}

/// Returns the body lines with their line numbers, without the `: RSA {` opener and `}` closer.
fn block_body_lines(text: &str, first_line: usize) -> Result<Vec<(usize, &str)>, SecretsError> {
    let mut lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(index, line)| (first_line + index, line))
        .collect();

    let opener = lines
        .iter()
        .position(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'));
    let Some(opener) = opener else {
        return Ok(lines);
    };
    let (opener_line, opener_text) = lines[opener];
    let Some((_, after_colon)) = opener_text.split_once(':') else {
        return Ok(lines);
    };
    let after_colon = after_colon.trim_start();
    if !after_colon.starts_with("RSA") {
        return Ok(lines);
    }

    // A whole entry: the `{` may follow `RSA` on the same line or stand on the next one.
    let rest = after_colon["RSA".len()..].trim();
    let body_start = if let Some(after_brace) = rest.strip_prefix('{') {
        if !after_brace.trim().is_empty() {
            return Err(SecretsError::Structure {
                line: opener_line,
                expected: "line break after `{` (fields go on their own lines)",
            });
        }
        opener + 1
    } else if rest.is_empty() {
        match lines.get(opener + 1) {
            Some((_, next)) if next.trim() == "{" => opener + 2,
            _ => {
                return Err(SecretsError::Structure {
                    line: opener_line,
                    expected: "`{` after `: RSA`",
                })
            }
        }
    } else {
        return Err(SecretsError::Structure {
            line: opener_line,
            expected: "`{` after `: RSA` (a key file reference is not a block)",
        });
    };

    let closer = lines[body_start..]
        .iter()
        .position(|(_, line)| line.trim_start().starts_with('}'));
    let Some(closer) = closer else {
        let last = lines.last().map_or(opener_line, |(number, _)| *number);
        return Err(SecretsError::Structure {
            line: last,
            expected: "`}` closing the RSA block",
        });
    };
    let closer = body_start + closer;
    if let Some((line, text)) = lines[closer + 1..]
        .iter()
        .find(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
    {
        return Err(SecretsError::Syntax {
            line: *line,
            text: first_word(text),
        });
    }

    lines.truncate(closer);
    lines.drain(..body_start);
    Ok(lines)
}

/// One decoded field: its line and value bytes (zeroized on drop, since most are secret).
struct FieldValue {
    line: usize,
    bytes: Zeroizing<Vec<u8>>,
}

#[derive(Default)]
struct BlockFields {
    header: Option<BlockHeader>,
    pubkey: Option<(usize, String)>,
    values: [Option<FieldValue>; BlockField::ALL.len()],
    last_line: usize,
    /// Line of the last `Name: value` field read.
    last_field_line: Option<usize>,
}

fn collect_fields(lines: &[(usize, &str)]) -> Result<BlockFields, SecretsError> {
    let mut fields = BlockFields::default();

    for &(line, raw) in lines {
        fields.last_line = line;
        let text = raw.trim();
        if text.is_empty() {
            continue;
        }

        if let Some(comment) = text.strip_prefix('#') {
            fields.read_comment(line, comment);
            continue;
        }

        let Some((name, value)) = text.split_once(':') else {
            // A line of bare digits after a field is the rest of a value that an editor or a
            // terminal wrapped. Its text may be secret, so the error does not repeat it.
            if let (Some(field_line), true) = (fields.last_field_line, is_number_text(text)) {
                return Err(SecretsError::WrappedValue { line, field_line });
            }
            return Err(SecretsError::Syntax {
                line,
                text: first_word(text),
            });
        };
        let name = name.trim();
        let field = match BlockField::from_name(name) {
            Some(field) if field != BlockField::Pubkey => field,
            _ => {
                return Err(SecretsError::UnknownField {
                    line,
                    name: name.chars().take(60).collect(),
                })
            }
        };

        let slot = &mut fields.values[field_index(field)];
        if let Some(first) = slot {
            return Err(SecretsError::DuplicateField {
                line,
                field,
                first_line: first.line,
            });
        }
        let bytes = rfc3110::decode_number_text(value.trim()).map_err(|source| {
            SecretsError::InvalidValue {
                line,
                field,
                source: redact(field, source),
            }
        })?;
        *slot = Some(FieldValue {
            line,
            bytes: Zeroizing::new(bytes),
        });
        fields.last_field_line = Some(line);
    }

    Ok(fields)
}

/// Returns whether `text` consists only of hex or base64 digits, as the wrapped part of a value does.
fn is_number_text(text: &str) -> bool {
    text.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
}

/// Returns the first word of a line, up to 40 characters, so that an error about a malformed
/// line never repeats a secret value that follows the field name.
fn first_word(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == ':')
        .next()
        .unwrap_or("")
        .chars()
        .take(40)
        .collect()
}

/// Removes the start of a secret field's value from a decoding error.
fn redact(field: BlockField, error: Rfc3110Error) -> Rfc3110Error {
    let public = matches!(
        field,
        BlockField::Pubkey
            | BlockField::Modulus
            | BlockField::PublicExponent
            | BlockField::CkaidNss
    );
    match error {
        Rfc3110Error::MissingPrefix { .. } if !public => Rfc3110Error::MissingPrefix {
            found: "(secret value not shown)".to_owned(),
        },
        other => other,
    }
}

fn field_index(field: BlockField) -> usize {
    BlockField::ALL
        .iter()
        .position(|candidate| *candidate == field)
        .unwrap_or(0)
}

impl BlockFields {
    fn read_comment(&mut self, line: usize, comment: &str) {
        let comment = comment.trim();
        if let Some(pubkey) = comment.strip_prefix("pubkey=") {
            self.pubkey = Some((line, pubkey.trim().to_owned()));
            return;
        }
        if self.header.is_some() {
            return;
        }

        let words = comment.strip_prefix("RSA").unwrap_or(comment).trim_start();
        let Some((number, rest)) = words.split_once(char::is_whitespace) else {
            return;
        };
        let Ok(bits) = number.parse::<usize>() else {
            return;
        };
        let Some(rest) = rest.trim_start().strip_prefix("bits") else {
            return;
        };
        self.header = Some(BlockHeader {
            bits,
            comment: rest.trim_start_matches(',').trim().to_owned(),
            line,
        });
    }

    fn get(&self, field: BlockField) -> Option<&FieldValue> {
        self.values[field_index(field)].as_ref()
    }

    fn require(&self, field: BlockField) -> Result<(usize, Zeroizing<BigUint>), SecretsError> {
        let value = self.get(field).ok_or(SecretsError::MissingField {
            line: self.last_line,
            field,
        })?;
        Ok((
            value.line,
            Zeroizing::new(BigUint::from_bytes_be(&value.bytes)),
        ))
    }

    fn check(self) -> Result<RsaBlock, SecretsError> {
        let (n_line, n) = self.require(BlockField::Modulus)?;
        let (e_line, e) = self.require(BlockField::PublicExponent)?;
        let public = PublicKey::from_numbers((*n).clone(), (*e).clone()).map_err(|error| {
            let (line, field) = match error {
                KeyError::PublicExponent { .. } => (e_line, BlockField::PublicExponent),
                _ => (n_line, BlockField::Modulus),
            };
            SecretsError::InvalidValue {
                line,
                field,
                source: error.into(),
            }
        })?;

        let pubkey = match &self.pubkey {
            Some((line, text)) => {
                let key = PublicKey::from_rfc3110_text(text).map_err(|source| {
                    SecretsError::InvalidValue {
                        line: *line,
                        field: BlockField::Pubkey,
                        source,
                    }
                })?;
                Some((*line, key))
            }
            None => None,
        };

        // The private fields are checked before the `#pubkey=` comment, so that a wrong
        // Modulus is reported as such rather than as a comment that does not match it.
        let secret = if let Some(ckaid) = self.get(BlockField::CkaidNss) {
            if ckaid.bytes.as_slice() != public.ckaid() {
                return Err(SecretsError::Inconsistent {
                    line: ckaid.line,
                    field: BlockField::CkaidNss,
                    reason: "is not the SHA-1 of Modulus",
                });
            }
            RsaSecret::Nss {
                ckaid: public.ckaid(),
                public: public.clone(),
            }
        } else {
            let comment_exponent = pubkey
                .as_ref()
                .filter(|(_, key)| key.modulus() == public.modulus())
                .map(|(_, key)| BigUint::from_bytes_be(&key.exponent()));
            let key = self.check_private(n_line, n, (e_line, e), comment_exponent)?;
            RsaSecret::Private(key)
        };

        if let Some((line, key)) = pubkey {
            if key != public {
                return Err(SecretsError::Inconsistent {
                    line,
                    field: BlockField::Pubkey,
                    reason: "does not match Modulus and PublicExponent",
                });
            }
        }

        Ok(RsaBlock {
            header: self.header,
            has_pubkey_comment: self.pubkey.is_some(),
            secret,
        })
    }

    /// Checks the private fields against each other and names the first one that is wrong.
    fn check_private(
        &self,
        n_line: usize,
        n: Zeroizing<BigUint>,
        (e_line, e): (usize, Zeroizing<BigUint>),
        comment_exponent: Option<BigUint>,
    ) -> Result<PrivateKey, SecretsError> {
        let one = BigUint::from(1u8);
        let (d_line, d) = self.require(BlockField::PrivateExponent)?;
        let (p_line, p) = self.require(BlockField::Prime1)?;
        let (q_line, q) = self.require(BlockField::Prime2)?;
        let (dp_line, dp) = self.require(BlockField::Exponent1)?;
        let (dq_line, dq) = self.require(BlockField::Exponent2)?;
        let (qinv_line, qinv) = self.require(BlockField::Coefficient)?;

        let inconsistent = |line, field, reason| SecretsError::Inconsistent {
            line,
            field,
            reason,
        };

        if *p <= one || *p >= *n {
            return Err(inconsistent(
                p_line,
                BlockField::Prime1,
                "not between 1 and Modulus",
            ));
        }
        if *q <= one || *q >= *n {
            return Err(inconsistent(
                q_line,
                BlockField::Prime2,
                "not between 1 and Modulus",
            ));
        }
        if *Zeroizing::new(&*p * &*q) != *n {
            let p_divides = *Zeroizing::new(&*n % &*p) == BigUint::from(0u8);
            let q_divides = *Zeroizing::new(&*n % &*q) == BigUint::from(0u8);
            return Err(match (p_divides, q_divides) {
                (true, false) => {
                    inconsistent(q_line, BlockField::Prime2, "Prime1 * Prime2 is not Modulus")
                }
                (false, true) => {
                    inconsistent(p_line, BlockField::Prime1, "Prime1 * Prime2 is not Modulus")
                }
                _ => inconsistent(n_line, BlockField::Modulus, "not Prime1 * Prime2"),
            });
        }

        let p_minus_1 = Zeroizing::new(&*p - &one);
        let q_minus_1 = Zeroizing::new(&*q - &one);
        let inverts = |exponent: &BigUint| {
            let ed = Zeroizing::new(exponent * &*d);
            *Zeroizing::new(&*ed % &*p_minus_1) == one && *Zeroizing::new(&*ed % &*q_minus_1) == one
        };
        if !inverts(&e) {
            // When the `#pubkey=` comment carries another exponent that fits d, the
            // PublicExponent line is the one that was changed.
            if comment_exponent.is_some_and(|exponent| exponent != *e && inverts(&exponent)) {
                return Err(inconsistent(
                    e_line,
                    BlockField::PublicExponent,
                    "does not match #pubkey and PrivateExponent",
                ));
            }
            return Err(inconsistent(
                d_line,
                BlockField::PrivateExponent,
                "PublicExponent * PrivateExponent is not 1 mod (Prime1-1) and (Prime2-1)",
            ));
        }
        if *Zeroizing::new(&*d % &*p_minus_1) != *dp {
            return Err(inconsistent(
                dp_line,
                BlockField::Exponent1,
                "not PrivateExponent mod (Prime1-1)",
            ));
        }
        if *Zeroizing::new(&*d % &*q_minus_1) != *dq {
            return Err(inconsistent(
                dq_line,
                BlockField::Exponent2,
                "not PrivateExponent mod (Prime2-1)",
            ));
        }
        if *qinv >= *p || *Zeroizing::new(&*qinv * &*q % &*p) != one {
            return Err(inconsistent(
                qinv_line,
                BlockField::Coefficient,
                "not the inverse of Prime2 mod Prime1",
            ));
        }

        let rsa = RsaPrivateKey::from_components(
            (*n).clone(),
            (*e).clone(),
            (*d).clone(),
            vec![(*p).clone(), (*q).clone()],
        )
        .map_err(|error| SecretsError::InvalidValue {
            line: n_line,
            field: BlockField::Modulus,
            source: KeyError::Rsa(error.to_string()).into(),
        })?;
        PrivateKey::from_rsa(rsa).map_err(|error| SecretsError::InvalidValue {
            line: n_line,
            field: BlockField::Modulus,
            source: error.into(),
        })
    }
}

/// Formats a private key as the body of an Openswan 2.6 RSA block, as `ipsec rsasigkey` prints
/// it: a tab before each line, `0x` values, the `#pubkey=0s...` comment.
///
/// `host` and `date` fill the `# RSA N bits   host   date` line (`date` in C's `ctime` form,
/// such as `Fri Dec  4 21:03:17 2026`). The result contains the private key: the caller keeps
/// it out of logs and zeroizes it (it is returned in [`Zeroizing`]).
pub fn format_rsa_block_body(key: &PrivateKey, host: &str, date: &str) -> Zeroizing<String> {
    let public = key.public();
    let (p, q) = key.primes();
    let d = key.d();
    let one = BigUint::from(1u8);
    let exponent1 = Zeroizing::new(d % &Zeroizing::new(p - &one) as &BigUint);
    let exponent2 = Zeroizing::new(d % &Zeroizing::new(q - &one) as &BigUint);
    let coefficient = key
        .rsa()
        .crt_coefficient()
        .map(Zeroizing::new)
        .unwrap_or_else(|| Zeroizing::new(BigUint::from(0u8)));

    let hex =
        |value: &BigUint| Zeroizing::new(rfc3110::encode_0x(&Zeroizing::new(value.to_bytes_be())));
    let mut text = Zeroizing::new(String::with_capacity(8 * 1024));
    text.push_str(&format!(
        "\t# RSA {} bits   {host}   {date}\n",
        public.bits()
    ));
    text.push_str("\t# for signatures only, UNSAFE FOR ENCRYPTION\n");
    text.push_str(&format!("\t#pubkey={}\n", public.to_rfc3110_0s()));
    text.push_str(&format!(
        "\tModulus: {}\n",
        rfc3110::encode_0x(&public.modulus())
    ));
    text.push_str(&format!(
        "\tPublicExponent: {}\n",
        rfc3110::encode_0x(&public.exponent())
    ));
    text.push_str("\t# everything after this point is secret\n");
    for (name, value) in [
        ("PrivateExponent", d),
        ("Prime1", p),
        ("Prime2", q),
        ("Exponent1", &*exponent1),
        ("Exponent2", &*exponent2),
        ("Coefficient", &*coefficient),
    ] {
        text.push('\t');
        text.push_str(name);
        text.push_str(": ");
        text.push_str(&hex(value));
        text.push('\n');
    }
    text
}

/// Formats a whole `: RSA { ... }` entry with no selectors, as `ipsec newhostkey` writes it.
pub fn format_rsa_block(key: &PrivateKey, host: &str, date: &str) -> Zeroizing<String> {
    let body = format_rsa_block_body(key, host, date);
    let mut text = Zeroizing::new(String::with_capacity(body.len() + 16));
    text.push_str(": RSA\t{\n");
    text.push_str(&body);
    text.push_str("\t}\n");
    text
}
