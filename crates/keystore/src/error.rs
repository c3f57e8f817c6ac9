//! Error types, one enum per kind of input.

use thiserror::Error;

/// A field of the Openswan `: RSA { ... }` block, named as the block spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BlockField {
    /// The `#pubkey=` comment line, an RFC 3110 copy of the public key.
    Pubkey,
    /// `Modulus:`, n.
    Modulus,
    /// `PublicExponent:`, e.
    PublicExponent,
    /// `PrivateExponent:`, d.
    PrivateExponent,
    /// `Prime1:`, p.
    Prime1,
    /// `Prime2:`, q.
    Prime2,
    /// `Exponent1:`, d mod (p-1).
    Exponent1,
    /// `Exponent2:`, d mod (q-1).
    Exponent2,
    /// `Coefficient:`, q^-1 mod p.
    Coefficient,
    /// `CKAIDNSS:`, Libreswan's reference to a key kept in an NSS database.
    CkaidNss,
}

impl BlockField {
    /// Every field in the order Openswan writes them (the `#pubkey=` comment first).
    pub const ALL: [BlockField; 10] = [
        BlockField::Pubkey,
        BlockField::Modulus,
        BlockField::PublicExponent,
        BlockField::PrivateExponent,
        BlockField::Prime1,
        BlockField::Prime2,
        BlockField::Exponent1,
        BlockField::Exponent2,
        BlockField::Coefficient,
        BlockField::CkaidNss,
    ];

    /// Returns the name as written in the block, without the colon.
    pub fn name(self) -> &'static str {
        match self {
            BlockField::Pubkey => "#pubkey",
            BlockField::Modulus => "Modulus",
            BlockField::PublicExponent => "PublicExponent",
            BlockField::PrivateExponent => "PrivateExponent",
            BlockField::Prime1 => "Prime1",
            BlockField::Prime2 => "Prime2",
            BlockField::Exponent1 => "Exponent1",
            BlockField::Exponent2 => "Exponent2",
            BlockField::Coefficient => "Coefficient",
            BlockField::CkaidNss => "CKAIDNSS",
        }
    }

    /// Looks a field up by its name as written in the block (case-sensitive, as Openswan reads it).
    pub fn from_name(name: &str) -> Option<BlockField> {
        BlockField::ALL
            .into_iter()
            .find(|field| field.name() == name)
    }
}

impl std::fmt::Display for BlockField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Errors from decoding an RFC 3110 key or a `0x`/`0s` number.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Rfc3110Error {
    /// The text does not start with `0s` (base64), `0x` (hex) or `dns:0s`.
    #[error("missing prefix: expected `0s` (base64) or `0x` (hex), found {found:?}")]
    MissingPrefix {
        /// Up to the first eight characters of the text.
        found: String,
    },
    /// The text contains no digits after its prefix.
    #[error("empty value after the `{prefix}` prefix")]
    Empty {
        /// `0s` or `0x`.
        prefix: &'static str,
    },
    /// A character that is not a base64 or hex digit, or broken base64 padding.
    #[error("invalid {encoding} digit {character:?} at offset {offset}")]
    InvalidDigit {
        /// `base64` or `hex`.
        encoding: &'static str,
        /// The character found.
        character: char,
        /// Byte offset in the text, counting the prefix.
        offset: usize,
    },
    /// Base64 text whose length or padding is wrong.
    #[error("invalid base64 length or padding ({length} characters after `0s`)")]
    InvalidBase64Length {
        /// Number of characters after the prefix.
        length: usize,
    },
    /// Hex text with an odd number of digits.
    #[error("odd number of hex digits ({digits}) after `0x`")]
    OddHexLength {
        /// Number of hex digits found.
        digits: usize,
    },
    /// The text is longer than [`crate::MAX_KEY_TEXT_LEN`].
    #[error("key text is {length} characters, longer than the maximum {max}")]
    TooLong {
        /// Length found.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// The blob ends before the exponent length, the exponent or the modulus.
    #[error(
        "key blob truncated: {what} needs {needed} bytes at offset {offset}, {available} left"
    )]
    Truncated {
        /// The part that is cut short.
        what: &'static str,
        /// Offset of that part in the blob.
        offset: usize,
        /// Bytes it needs.
        needed: usize,
        /// Bytes remaining.
        available: usize,
    },
    /// The exponent or modulus starts with a zero octet, which RFC 3110 section 2 prohibits.
    #[error("{what} has a leading zero octet at blob offset {offset} (RFC 3110 prohibits them)")]
    LeadingZero {
        /// `exponent` or `modulus`.
        what: &'static str,
        /// Offset of the zero octet in the blob.
        offset: usize,
    },
    /// The numbers decoded but do not form a usable RSA public key.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Errors from building a key out of numbers that decoded fine.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The modulus is shorter than [`crate::MIN_MODULUS_BITS`] or longer than
    /// [`crate::MAX_MODULUS_BITS`].
    #[error("modulus is {bits} bits, expected {min} to {max}")]
    ModulusSize {
        /// Size found.
        bits: usize,
        /// Smallest accepted size.
        min: usize,
        /// Largest accepted size.
        max: usize,
    },
    /// The modulus is even, so it is not a product of two odd primes.
    #[error("modulus is even")]
    EvenModulus,
    /// The public exponent is even, smaller than 3, or not smaller than the modulus.
    #[error("invalid public exponent: {reason}")]
    PublicExponent {
        /// The problem found.
        reason: &'static str,
    },
    /// The `rsa` crate rejected the key (after this crate's own checks passed).
    #[error("RSA key rejected: {0}")]
    Rsa(String),
}

/// Errors from reading an Openswan `: RSA { ... }` block.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SecretsError {
    /// A line inside the block that is neither a comment nor a `Name: value` field.
    #[error("line {line}: expected `Name: value` or a comment, found a line starting {text:?}")]
    Syntax {
        /// Line number (1-based, in the file the caller passed).
        line: usize,
        /// The first word of the line (the rest may be a secret value).
        text: String,
    },
    /// A line of bare digits after a field: the field's value was wrapped over two lines, for
    /// example when it was copied from a terminal.
    #[error("line {line} continues the value on line {field_line}: values must be on one line (join the two lines)")]
    WrappedValue {
        /// Line of the wrapped part.
        line: usize,
        /// Line of the field whose value it continues.
        field_line: usize,
    },
    /// A field name this block format does not have.
    #[error("line {line}: unknown field {name:?} in RSA block (expected Modulus, PublicExponent, PrivateExponent, Prime1, Prime2, Exponent1, Exponent2, Coefficient)")]
    UnknownField {
        /// Line number.
        line: usize,
        /// The name found.
        name: String,
    },
    /// A field given twice.
    #[error("line {line}: {field} repeated (first given on line {first_line})")]
    DuplicateField {
        /// Line of the repeat.
        line: usize,
        /// The field.
        field: BlockField,
        /// Line of the first occurrence.
        first_line: usize,
    },
    /// A required field is absent.
    #[error("RSA block ending on line {line}: missing {field}")]
    MissingField {
        /// Last line of the block.
        line: usize,
        /// The absent field.
        field: BlockField,
    },
    /// A field whose value is not a valid `0x`/`0s` number or key.
    #[error("line {line}: invalid {field}: {source}")]
    InvalidValue {
        /// Line number.
        line: usize,
        /// The field.
        field: BlockField,
        /// The decoding error.
        #[source]
        source: Rfc3110Error,
    },
    /// The numbers decode but do not agree with each other.
    #[error("line {line}: {field} is wrong: {reason}")]
    Inconsistent {
        /// Line of the wrong field.
        line: usize,
        /// The field that does not match the others.
        field: BlockField,
        /// The relation that failed.
        reason: &'static str,
    },
    /// The block has no closing `}`, or the text has no `: RSA {` where one was expected.
    #[error("line {line}: {expected}")]
    Structure {
        /// Line number.
        line: usize,
        /// The expected text.
        expected: &'static str,
    },
    /// The text is longer than [`crate::MAX_BLOCK_TEXT_LEN`].
    #[error("RSA block text is {length} bytes, longer than the maximum {max}")]
    TooLong {
        /// Length found.
        length: usize,
        /// The limit.
        max: usize,
    },
}

/// Errors from PEM and DER key files.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PemError {
    /// The file could not be read.
    #[error("cannot read key file {path}: {source}")]
    Io {
        /// The path given.
        path: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The data is neither PKCS#1 nor PKCS#8 (or SubjectPublicKeyInfo), in PEM or DER.
    #[error("invalid {format}: {reason}")]
    Format {
        /// The format tried, such as `PKCS#8 PEM`.
        format: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The PEM label is not one this crate reads.
    #[error("unsupported PEM label {label:?} (expected RSA PRIVATE KEY, PRIVATE KEY, RSA PUBLIC KEY or PUBLIC KEY)")]
    UnsupportedLabel {
        /// The label found.
        label: String,
    },
    /// The key is encrypted and no passphrase was given, or it uses OpenSSL's traditional
    /// PKCS#1 encryption, which is not supported.
    #[error("private key is encrypted: {detail}")]
    Encrypted {
        /// The marker that showed the key is encrypted, and what to do about it.
        detail: &'static str,
    },
    /// The key decoded but is unusable.
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// Errors from IKEv1 RSA signing and verification.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature's length differs from the modulus length in bytes.
    #[error("signature is {found} bytes, expected {expected} (the modulus length)")]
    Length {
        /// Bytes received.
        found: usize,
        /// Modulus length in bytes.
        expected: usize,
    },
    /// The hash does not fit in a PKCS#1 v1.5 block with at least 8 padding bytes.
    #[error("hash of {hash_len} bytes does not fit a {modulus_len}-byte modulus with PKCS#1 v1.5 padding")]
    HashTooLong {
        /// Hash length.
        hash_len: usize,
        /// Modulus length in bytes.
        modulus_len: usize,
    },
    /// The signature does not match the hash under this key.
    #[error("signature mismatch: not made over this hash with the matching private key")]
    Mismatch,
    /// The private-key operation failed inside the `rsa` crate.
    #[error("RSA signing failed: {0}")]
    Rsa(String),
}
