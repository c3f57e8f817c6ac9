//! ipsec.secrets: selectors, PSK/RSA/XAUTH secrets, includes, and Openswan's lookup of the
//! secret for a (local id, remote id) pair.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, DiagnosticKind, Parsed, Severity};
use crate::include::{self, MAX_INCLUDE_DEPTH};
use crate::lex::{read_file, Loc};
use crate::model::Id;
use crate::secret::{SecretBytes, SecretString};

/// Maximum number of lines one entry (an RSA block, mostly) may span. An 8192-bit key block
/// has about a dozen lines; the limit stops an unclosed `{` from swallowing the file.
pub const MAX_ENTRY_LINES: usize = 64;

/// The kind of secret an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// A pre-shared key (`PSK`, the default kind).
    Psk,
    /// An RSA private key (`RSA`).
    Rsa,
    /// An XAUTH password (`XAUTH`).
    Xauth,
    /// A kind this gateway does not use (`ECDSA`, `PIN`).
    Other,
}

/// An RSA private key as ipsec.secrets stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RsaSecret {
    /// A `{ Modulus: ... }` block: each `Name: value` line in order (comment lines dropped).
    /// Decode it with `keystore`.
    Block(Vec<(String, SecretString)>),
    /// `: RSA file [passphrase]`: a PEM or DER key file (relative names are under
    /// `ipsec.d/private/`), and its passphrase (`%prompt` means ask at load time).
    File {
        path: String,
        passphrase: Option<SecretString>,
    },
}

impl RsaSecret {
    /// Returns the block as Openswan writes it (`Name: value` lines, without braces), for
    /// `keystore`.
    pub fn block_text(&self) -> Option<SecretString> {
        match self {
            RsaSecret::Block(fields) => {
                let mut text = String::new();
                for (name, value) in fields {
                    text.push_str(name);
                    text.push_str(": ");
                    text.push_str(value.expose());
                    text.push('\n');
                }
                Some(SecretString::new(text))
            }
            RsaSecret::File { .. } => None,
        }
    }
}

/// A secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A pre-shared key, decoded (quoted text, `0x` hex, `0s` base64 or `0t` text).
    Psk(SecretBytes),
    /// An RSA private key.
    Rsa(RsaSecret),
    /// An XAUTH password, kept for later use.
    Xauth(SecretBytes),
    /// A kind this gateway does not use, named as written.
    Other(String),
}

impl Secret {
    /// Returns the kind of this secret.
    pub fn kind(&self) -> SecretKind {
        match self {
            Secret::Psk(_) => SecretKind::Psk,
            Secret::Rsa(_) => SecretKind::Rsa,
            Secret::Xauth(_) => SecretKind::Xauth,
            Secret::Other(_) => SecretKind::Other,
        }
    }
}

/// One entry: its selectors (indices) and its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretEntry {
    /// The indices before the colon; empty matches any pair.
    pub ids: Vec<Id>,
    /// The secret after the colon.
    pub secret: Secret,
    /// The file the entry came from.
    pub file: String,
    /// The line the entry starts on.
    pub line: usize,
}

/// A whole ipsec.secrets with its includes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    /// The entries in file order.
    pub entries: Vec<SecretEntry>,
}

impl Secrets {
    /// Finds the secret of `kind` for a conn between `local` and `remote`, as Openswan does.
    ///
    /// The most specific entry wins: one whose indices contain both ids (as two different
    /// indices), then (for RSA only) one whose indices contain the local id among others, then
    /// one with the local id as its only index, then one with no index. `%any` (and `%any6`,
    /// `0.0.0.0`) matches any address id; an exact match beats a `%any` match of the same
    /// rank. Among equals the first entry in the file wins.
    ///
    /// NOTE: Openswan's man page limits `%any` to IPv4 and `%any6` to IPv6 peers. The model
    /// reads both as [`Id::Any`], so here either matches both families.
    pub fn lookup(&self, kind: SecretKind, local: &Id, remote: &Id) -> Option<&SecretEntry> {
        let mut best: Option<((u8, usize), &SecretEntry)> = None;
        for entry in self.entries.iter().filter(|e| e.secret.kind() == kind) {
            let Some(rank) = rank(entry, kind, local, remote) else {
                continue;
            };
            if best.as_ref().is_none_or(|(r, _)| rank > *r) {
                best = Some((rank, entry));
            }
        }
        best.map(|(_, entry)| entry)
    }

    /// Finds the pre-shared key for `local` and `remote`.
    pub fn psk(&self, local: &Id, remote: &Id) -> Option<&SecretBytes> {
        match &self.lookup(SecretKind::Psk, local, remote)?.secret {
            Secret::Psk(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// Finds the RSA private key for `local` (and `remote`).
    pub fn rsa(&self, local: &Id, remote: &Id) -> Option<&RsaSecret> {
        match &self.lookup(SecretKind::Rsa, local, remote)?.secret {
            Secret::Rsa(key) => Some(key),
            _ => None,
        }
    }

    /// Finds the XAUTH password of `user` (an `@user` or `user@domain` index).
    pub fn xauth(&self, user: &Id) -> Option<&SecretBytes> {
        self.entries.iter().find_map(|e| match &e.secret {
            Secret::Xauth(bytes) if e.ids.iter().any(|id| same_id(id, user)) => Some(bytes),
            _ => None,
        })
    }
}

/// Scores how an index matches an id: 2 exactly, 1 through `%any`, 0 not at all.
fn match_id(index: &Id, id: &Id) -> u8 {
    if same_id(index, id) {
        return 2;
    }
    if *index == Id::Any {
        return match id {
            Id::Addr(_) | Id::Any => 1,
            _ => 0,
        };
    }
    0
}

fn same_id(a: &Id, b: &Id) -> bool {
    match (a, b) {
        (Id::Fqdn(x), Id::Fqdn(y))
        | (Id::Hostname(x), Id::Hostname(y))
        | (Id::UserFqdn(x), Id::UserFqdn(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

/// Ranks an entry for the pair (higher is better), or returns `None` if it does not apply.
fn rank(entry: &SecretEntry, kind: SecretKind, local: &Id, remote: &Id) -> Option<(u8, usize)> {
    if entry.ids.is_empty() {
        return Some((1, 0));
    }
    let me = entry
        .ids
        .iter()
        .map(|i| match_id(i, local))
        .max()
        .unwrap_or(0);
    if entry.ids.len() == 1 {
        return (me > 0).then_some((2, usize::from(me == 2)));
    }

    // The two ids must match two different indices, so that `A %any` does not pair two
    // strangers through its one `%any`.
    let mut best_pair: Option<usize> = None;
    for (i, mine) in entry.ids.iter().enumerate() {
        let mine = match_id(mine, local);
        if mine == 0 {
            continue;
        }
        for (j, theirs) in entry.ids.iter().enumerate() {
            let theirs = match_id(theirs, remote);
            if i == j || theirs == 0 {
                continue;
            }
            let exact = usize::from(mine == 2) + usize::from(theirs == 2);
            best_pair = best_pair.max(Some(exact));
        }
    }
    if let Some(exact) = best_pair {
        return Some((4, exact));
    }
    if me > 0 && kind == SecretKind::Rsa {
        return Some((3, usize::from(me == 2)));
    }
    None
}

/// Parses ipsec.secrets text named `name` (includes resolve against its directory).
pub fn parse_secrets_str(text: &str, name: &str) -> Parsed<Secrets> {
    let mut parser = SecretsParser {
        secrets: Secrets::default(),
        diagnostics: Vec::new(),
        stack: Vec::new(),
        read: HashSet::new(),
    };
    parser.parse_text(text, name);
    Parsed {
        value: parser.secrets,
        diagnostics: parser.diagnostics,
    }
}

/// Reads and parses an ipsec.secrets file and its includes. A file that group or others may
/// read gets a warning.
pub fn parse_secrets_file(path: impl AsRef<Path>) -> Parsed<Secrets> {
    let path = path.as_ref();
    let name = path.to_string_lossy().into_owned();
    match read_file(path) {
        Ok(text) => {
            let mut parsed = parse_secrets_str(&text, &name);
            if let Some(diag) = permission_warning(path) {
                parsed.diagnostics.insert(0, diag);
            }
            parsed
        }
        Err(reason) => Parsed {
            value: Secrets::default(),
            diagnostics: vec![file_error(
                &name,
                DiagnosticKind::Io {
                    path: name.clone(),
                    reason,
                },
            )],
        },
    }
}

fn file_error(name: &str, kind: DiagnosticKind) -> Diagnostic {
    Diagnostic {
        severity: Severity::Error,
        kind,
        file: name.to_owned(),
        line: 0,
        column: 0,
        text: String::new(),
        hint: None,
    }
}

#[cfg(unix)]
fn permission_warning(path: &Path) -> Option<Diagnostic> {
    use std::os::unix::fs::PermissionsExt;

    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    if mode & 0o077 == 0 {
        return None;
    }
    let name = path.to_string_lossy().into_owned();
    Some(Diagnostic {
        severity: Severity::Warning,
        kind: DiagnosticKind::SecretsPermissions {
            path: name.clone(),
            mode,
        },
        file: name.clone(),
        line: 0,
        column: 0,
        text: String::new(),
        hint: Some(format!("chmod 600 {name}")),
    })
}

#[cfg(not(unix))]
fn permission_warning(_path: &Path) -> Option<Diagnostic> {
    None
}

/// A token of an entry, with where it starts.
#[derive(Debug, Clone)]
struct Token {
    text: String,
    quoted: bool,
    line: usize,
    column: usize,
}

struct SecretsParser {
    secrets: Secrets,
    diagnostics: Vec<Diagnostic>,
    stack: Vec<PathBuf>,
    /// Canonical paths of every file read so far.
    read: HashSet<PathBuf>,
}

/// Redacts a line for diagnostics: everything up to the colon, then `[secret]`, so that no
/// secret reaches a log.
fn redacted(line: &str) -> String {
    match line.find(": ").or_else(|| line.find(":\t")) {
        Some(at) => format!("{} [secret]", &line[..at + 1]),
        None if line.trim_start().starts_with(['"', '{']) => "[secret]".to_owned(),
        None => line.to_owned(),
    }
}

impl SecretsParser {
    fn error(&mut self, loc: &Loc, kind: DiagnosticKind, hint: Option<&str>) {
        self.diagnostics.push(loc.diag(Severity::Error, kind, hint));
    }

    fn parse_text(&mut self, text: &str, name: &str) {
        let path = PathBuf::from(name);
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        self.read.insert(canonical.clone());
        self.stack.push(canonical);

        let lines: Vec<&str> = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let mut index = 0;
        while index < lines.len() {
            let line = lines[index];
            let loc = Loc {
                file: name.to_owned(),
                line: index + 1,
                column: 1,
                text: redacted(line),
            };
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                index += 1;
                continue;
            }
            if trimmed.len() != line.len() {
                self.error(
                    &loc.at_column(line.len() - trimmed.len() + 1),
                    DiagnosticKind::Syntax("indented line outside an entry".to_owned()),
                    Some("entries start in column 1; only their continuation lines are indented"),
                );
                index += 1;
                continue;
            }
            if let Some(rest) = line.strip_prefix("include") {
                if rest.starts_with(char::is_whitespace) {
                    let pattern = rest
                        .split('#')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .trim_matches('"');
                    self.include(pattern, &loc, &path);
                    index += 1;
                    continue;
                }
            }

            // Gather the entry: this line, indented continuation lines, and the lines of a
            // `{...}` block.
            let start = index;
            let mut depth = brace_depth(line);
            index += 1;
            while index < lines.len() && index - start < MAX_ENTRY_LINES {
                let next = lines[index];
                let continues = next.starts_with([' ', '\t']) || next.trim().is_empty();
                if depth <= 0 && !continues {
                    break;
                }
                if depth <= 0 && next.trim().is_empty() {
                    break;
                }
                depth += brace_depth(next);
                index += 1;
            }
            if depth > 0 {
                // Reported here once; the tokenizer would report the same open brace again.
                self.error(
                    &loc,
                    DiagnosticKind::Syntax("missing closing '}'".to_owned()),
                    Some("end the RSA block with a line containing '}'"),
                );
                continue;
            }
            let tokens = tokenize(&lines[start..index], start + 1);
            match tokens {
                Ok(tokens) => self.entry(tokens, &loc),
                Err((line, column, reason)) => {
                    let loc = Loc {
                        line,
                        column,
                        text: redacted(lines[line - 1]),
                        ..loc.clone()
                    };
                    self.error(&loc, DiagnosticKind::Syntax(reason), None);
                }
            }
        }
        self.stack.pop();
    }

    fn include(&mut self, pattern: &str, loc: &Loc, path: &Path) {
        if self.stack.len() > MAX_INCLUDE_DEPTH {
            self.error(loc, DiagnosticKind::IncludeTooDeep(MAX_INCLUDE_DEPTH), None);
            return;
        }
        let files = include::expand(pattern, path);
        if files.is_empty() {
            let kind = DiagnosticKind::IncludeNoMatch(pattern.to_owned());
            let severity = if include::has_glob(pattern) {
                Severity::Warning
            } else {
                Severity::Error
            };
            self.diagnostics.push(loc.diag(severity, kind, None));
            return;
        }
        let mut cycle_reported = false;
        for file in files {
            let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            let name = file.to_string_lossy().into_owned();
            if self.stack.contains(&canonical) {
                // One diagnostic per include line, however many files of its glob lead back.
                if !cycle_reported {
                    cycle_reported = true;
                    self.error(
                        loc,
                        DiagnosticKind::IncludeCycle(format!("{} -> {name}", loc.file)),
                        Some("remove one of the include lines"),
                    );
                }
                continue;
            }
            // A file is read once per parse: reading it again through another include path
            // adds only duplicates, and globs that match each other would otherwise walk
            // every order of the files (exponential work).
            if !self.read.insert(canonical) {
                continue;
            }
            match read_file(&file) {
                Ok(text) => self.parse_text(&text, &name),
                Err(reason) => self.error(loc, DiagnosticKind::Io { path: name, reason }, None),
            }
        }
    }

    fn entry(&mut self, tokens: Vec<Token>, loc: &Loc) {
        let colon = tokens.iter().position(|t| !t.quoted && t.text == ":");
        let (index_tokens, secret_tokens) = match colon {
            Some(at) => (&tokens[..at], &tokens[at + 1..]),
            // The old form without a colon: just a quoted PSK.
            None if tokens.len() == 1 && tokens[0].quoted => (&tokens[..0], &tokens[..]),
            None => {
                self.error(
                    loc,
                    DiagnosticKind::Syntax(
                        "missing ':' between the indices and the secret".to_owned(),
                    ),
                    Some("write 'INDEX INDEX : PSK \"secret\"' with a space after the colon"),
                );
                return;
            }
        };
        let ids: Vec<Id> = index_tokens.iter().map(|t| Id::parse(&t.text)).collect();

        let (kind_name, value_tokens) = match secret_tokens.first() {
            Some(t) if !t.quoted && !t.text.starts_with('{') && is_kind(&t.text) => {
                (t.text.to_ascii_uppercase(), &secret_tokens[1..])
            }
            _ => ("PSK".to_owned(), secret_tokens),
        };
        let secret = match kind_name.as_str() {
            "PSK" | "XAUTH" => match self.shared_secret(value_tokens, loc) {
                Some(bytes) if kind_name == "PSK" => Secret::Psk(bytes),
                Some(bytes) => Secret::Xauth(bytes),
                None => return,
            },
            "RSA" => match self.rsa_secret(value_tokens, loc) {
                Some(key) => Secret::Rsa(key),
                None => return,
            },
            other => Secret::Other(other.to_owned()),
        };
        self.secrets.entries.push(SecretEntry {
            ids,
            secret,
            file: loc.file.clone(),
            line: loc.line,
        });
    }

    fn shared_secret(&mut self, tokens: &[Token], loc: &Loc) -> Option<SecretBytes> {
        let [token] = tokens else {
            self.error(
                loc,
                DiagnosticKind::InvalidSecret(format!(
                    "expected one secret value, found {}",
                    tokens.len()
                )),
                Some("put the secret in double quotes"),
            );
            return None;
        };
        let token_loc = Loc {
            line: token.line,
            column: token.column,
            ..loc.clone()
        };
        if token.quoted {
            return Some(SecretBytes::new(token.text.as_bytes().to_vec()));
        }
        match decode_ttodata(&token.text) {
            Ok(bytes) => Some(SecretBytes::new(bytes)),
            Err(reason) => {
                self.error(
                    &token_loc,
                    DiagnosticKind::InvalidSecret(reason),
                    Some("put the secret in double quotes, or write it as 0x (hex), 0s (base64) or 0t (text)"),
                );
                None
            }
        }
    }

    fn rsa_secret(&mut self, tokens: &[Token], loc: &Loc) -> Option<RsaSecret> {
        let Some(first) = tokens.first() else {
            self.error(
                loc,
                DiagnosticKind::InvalidSecret("RSA without a key".to_owned()),
                None,
            );
            return None;
        };
        if !first.quoted && first.text.starts_with('{') {
            let body = first.text.trim_start_matches('{').trim_end_matches('}');
            // keystore checks the fields against each other (n = p*q, d, the CRT values and
            // the #pubkey= comment) and names the field that is wrong.
            if let Err(error) = keystore::RsaBlock::parse_at(body, first.line) {
                // keystore numbers its errors from `first.line`, so the failing line itself
                // is named, not the block's first line.
                let block_loc = match secrets_error_line(&error) {
                    Some(line) if line != first.line => Loc {
                        line,
                        column: 1,
                        text: "[secret]".to_owned(),
                        ..loc.clone()
                    },
                    _ => Loc {
                        line: first.line,
                        column: first.column,
                        ..loc.clone()
                    },
                };
                self.error(
                    &block_loc,
                    DiagnosticKind::InvalidSecret(format!("RSA key: {error}")),
                    Some("regenerate the block with 'ipsec rsasigkey --verbose 2048', or copy it again whole"),
                );
                return None;
            }
            let mut fields = Vec::new();
            for line in body.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                match line.split_once(':') {
                    Some((name, value)) => fields.push((
                        name.trim().to_owned(),
                        SecretString::new(value.trim().to_owned()),
                    )),
                    None => {
                        self.error(
                            loc,
                            DiagnosticKind::InvalidSecret("RSA block line without 'Name:'".to_owned()),
                            Some("each line of the block is 'Name: value', as ipsec rsasigkey prints it"),
                        );
                        return None;
                    }
                }
            }
            return Some(RsaSecret::Block(fields));
        }
        let passphrase = tokens.get(1).map(|t| SecretString::new(t.text.clone()));
        if tokens.len() > 2 {
            self.error(
                loc,
                DiagnosticKind::InvalidSecret("expected 'RSA FILE [PASSPHRASE]'".to_owned()),
                None,
            );
            return None;
        }
        Some(RsaSecret::File {
            path: first.text.clone(),
            passphrase,
        })
    }
}

/// The line a keystore block error names, when it names one.
fn secrets_error_line(error: &keystore::SecretsError) -> Option<usize> {
    use keystore::SecretsError as E;
    match error {
        E::Syntax { line, .. }
        | E::WrappedValue { line, .. }
        | E::UnknownField { line, .. }
        | E::DuplicateField { line, .. }
        | E::MissingField { line, .. }
        | E::InvalidValue { line, .. }
        | E::Inconsistent { line, .. }
        | E::Structure { line, .. } => Some(*line),
        _ => None,
    }
}

fn is_kind(text: &str) -> bool {
    ["PSK", "RSA", "XAUTH", "ECDSA", "PIN"]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(text))
}

/// Computes the change in `{`/`}` nesting over a line, outside quotes and comments.
fn brace_depth(line: &str) -> i32 {
    let mut depth = 0;
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            '#' if !quoted => break,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth -= 1,
            _ => {}
        }
    }
    depth
}

/// Splits an entry into tokens. `"..."` and `'...'` are strings; `{...}` is one token with
/// its lines; `:` followed by whitespace (or the end) separates indices from the secret.
fn tokenize(lines: &[&str], first_line: usize) -> Result<Vec<Token>, (usize, usize, String)> {
    let mut tokens = Vec::new();
    let mut block: Option<Token> = None;
    for (offset, line) in lines.iter().enumerate() {
        let line_number = first_line + offset;
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        if let Some(open) = block.as_mut() {
            match line.find('}') {
                Some(at) => {
                    open.text.push_str(&line[..at]);
                    open.text.push('}');
                    tokens.push(block.take().expect("block is open"));
                    i = line[..at + 1].chars().count();
                }
                None => {
                    open.text.push_str(line);
                    open.text.push('\n');
                    continue;
                }
            }
        }
        while i < chars.len() {
            let c = chars[i];
            if c.is_whitespace() {
                i += 1;
                continue;
            }
            if c == '#' {
                break;
            }
            let column = i + 1;
            if c == '"' || c == '\'' {
                let end = chars[i + 1..].iter().position(|&d| d == c).ok_or((
                    line_number,
                    column,
                    format!("missing closing {c}"),
                ))?;
                tokens.push(Token {
                    text: chars[i + 1..i + 1 + end].iter().collect(),
                    quoted: true,
                    line: line_number,
                    column,
                });
                i += end + 2;
                continue;
            }
            if c == '{' {
                let rest: String = chars[i + 1..].iter().collect();
                match rest.find('}') {
                    Some(at) => {
                        tokens.push(Token {
                            text: format!("{{{}}}", &rest[..at]),
                            quoted: false,
                            line: line_number,
                            column,
                        });
                        i += 1 + rest[..at].chars().count() + 1;
                    }
                    None => {
                        block = Some(Token {
                            text: format!("{{{rest}\n"),
                            quoted: false,
                            line: line_number,
                            column,
                        });
                        i = chars.len();
                    }
                }
                continue;
            }
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '"' {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let at_separator = i >= chars.len() || chars[i].is_whitespace() || chars[i] == '"';
            match word.strip_suffix(':') {
                Some(index) if at_separator && !word.ends_with("::") => {
                    if !index.is_empty() {
                        tokens.push(Token {
                            text: index.to_owned(),
                            quoted: false,
                            line: line_number,
                            column,
                        });
                    }
                    tokens.push(Token {
                        text: ":".to_owned(),
                        quoted: false,
                        line: line_number,
                        column: column + index.chars().count(),
                    });
                }
                _ => tokens.push(Token {
                    text: word,
                    quoted: false,
                    line: line_number,
                    column,
                }),
            }
        }
    }
    if let Some(open) = block {
        return Err((open.line, open.column, "missing closing '}'".to_owned()));
    }
    Ok(tokens)
}

/// Decodes Openswan's unquoted data forms: `0x` hex, `0s` base64, `0t` text.
pub(crate) fn decode_ttodata(text: &str) -> Result<Vec<u8>, String> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        let digits: Vec<u8> = hex.bytes().filter(|&b| b != b'_').collect();
        if digits.is_empty() || !digits.len().is_multiple_of(2) {
            return Err("0x value needs an even, non-zero number of hex digits".to_owned());
        }
        return digits
            .chunks(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).map_err(|_| "invalid hex".to_owned())?;
                u8::from_str_radix(text, 16).map_err(|_| format!("'{text}' is not hex"))
            })
            .collect();
    }
    if let Some(b64) = text.strip_prefix("0s").or_else(|| text.strip_prefix("0S")) {
        return decode_base64(b64);
    }
    if let Some(plain) = text.strip_prefix("0t").or_else(|| text.strip_prefix("0T")) {
        return Ok(plain.as_bytes().to_vec());
    }
    Err("unquoted secret without a 0x, 0s or 0t prefix".to_owned())
}

/// Decodes standard base64 (RFC 4648 section 4) with optional padding.
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for (position, c) in text.trim_end_matches('=').chars().enumerate() {
        let value = match c {
            'A'..='Z' => c as u32 - 'A' as u32,
            'a'..='z' => c as u32 - 'a' as u32 + 26,
            '0'..='9' => c as u32 - '0' as u32 + 52,
            '+' => 62,
            '/' => 63,
            _ => {
                return Err(format!(
                    "invalid base64 character '{c}' at offset {position}"
                ))
            }
        };
        buffer = (buffer << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if bits >= 6 {
        return Err("base64 value ends in the middle of a byte".to_owned());
    }
    Ok(out)
}
