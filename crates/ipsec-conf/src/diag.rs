//! Diagnostics: what is wrong in a file, where, and what to do about it.

use std::fmt;

/// The severity of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The file loads, but something in it is ignored, deprecated or suspicious.
    Warning,
    /// The file (or the part named) is not usable as written.
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The dialect a foreign keyword or spelling belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Libreswan (Openswan's successor), for example `virtual-private` or `ikev1-policy`.
    Libreswan,
    /// strongSwan's starter syntax, for example `leftauth` or `keyexchange=ikev2`.
    StrongSwan,
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Libreswan => "Libreswan",
            Dialect::StrongSwan => "strongSwan",
        })
    }
}

/// One kind of problem, with the values that describe it. `Display` is the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DiagnosticKind {
    /// The file could not be read.
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
    /// The line is not valid syntax at all.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A `key=value` line that starts in column 1, so it belongs to no section.
    #[error("parameter '{key}' is not indented")]
    NotIndented { key: String },
    /// A key (usually an RSA key) was split over several lines.
    #[error("{key} continues on line {line}: keys must be on one line")]
    WrappedValue { key: String, line: usize },
    /// The keyword is not known to Openswan 2.6 nor to any other dialect.
    #[error("unknown keyword '{0}'")]
    UnknownKeyword(String),
    /// The keyword belongs to the `conn` sections but appeared in `config setup`, or
    /// the other way round.
    #[error("keyword '{key}' is not valid in {section}")]
    WrongSection { key: String, section: String },
    /// Openswan 2.6 accepts the keyword, but this gateway does not act on it.
    #[error("keyword '{0}' recognised, not supported by this gateway")]
    Unsupported(String),
    /// Openswan 2.6 lists the keyword as obsolete.
    #[error("keyword '{0}' is obsolete and ignored")]
    Obsolete(String),
    /// A keyword or value from another IPsec implementation.
    #[error("'{key}' is {dialect} syntax, not Openswan")]
    ForeignDialect { key: String, dialect: Dialect },
    /// The same key appears twice in one section.
    #[error("duplicate key '{key}' (first set on line {first_line})")]
    RepeatedKey { key: String, first_line: usize },
    /// Two `conn` sections share a name.
    #[error("duplicate conn '{name}' (first defined at {first})")]
    DuplicateConn { name: String, first: String },
    /// A value that does not parse for its keyword.
    #[error("invalid value for {key}: {reason}")]
    InvalidValue { key: String, reason: String },
    /// `include` nested deeper than [`crate::MAX_INCLUDE_DEPTH`].
    #[error("include nested deeper than {0} levels")]
    IncludeTooDeep(usize),
    /// An `include` that leads back to a file already being read.
    #[error("include cycle: {0}")]
    IncludeCycle(String),
    /// An include pattern that matches no file.
    #[error("include '{0}' matches no file")]
    IncludeNoMatch(String),
    /// `also=` names a section that does not exist.
    #[error("also={0}: no such conn")]
    AlsoNotFound(String),
    /// `also=` chains that lead back to a conn already being expanded.
    #[error("also cycle: {0}")]
    AlsoCycle(String),
    /// A conn lacks something it needs (for example `left=` or `right=`).
    #[error("conn '{conn}': {reason}")]
    IncompleteConn { conn: String, reason: String },
    /// The secrets file can be read by group or others.
    #[error("{path} is readable by group or others (mode {mode:o})")]
    SecretsPermissions { path: String, mode: u32 },
    /// A secrets entry that is not usable.
    #[error("invalid secret: {0}")]
    InvalidSecret(String),
}

/// A problem found in a file, with its place, the offending text and a hint.
///
/// Lines and columns start at 1. A diagnostic about a whole file has line 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The severity.
    pub severity: Severity,
    /// The problem, with its values.
    pub kind: DiagnosticKind,
    /// The file, as it was named to the parser (or as an `include` resolved it).
    pub file: String,
    /// Line number, from 1.
    pub line: usize,
    /// Column number in characters, from 1.
    pub column: usize,
    /// The source line (secrets files: the line with the secret replaced by `[secret]`).
    pub text: String,
    /// The suggested fix, when it is not obvious from the message.
    pub hint: Option<String>,
}

impl Diagnostic {
    /// The message, as `kind` displays it.
    pub fn message(&self) -> String {
        self.kind.to_string()
    }

    /// Whether this diagnostic is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// Prints `file:line:column: severity: message`, then the hint on its own line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}: {}",
            self.file, self.line, self.column, self.severity, self.kind
        )?;
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// A parsed value together with everything noticed while parsing it.
#[derive(Debug, Clone)]
pub struct Parsed<T> {
    /// The model built from the input. With errors present, it holds what could be read.
    pub value: T,
    /// Warnings and errors, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl<T> Parsed<T> {
    /// Whether any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// The errors only.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}
