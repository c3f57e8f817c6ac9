//! The ipsec.conf line grammar: sections, indented `key=value` lines, comments, quotes,
//! `{...}` values, `version` and `include`. Produces raw sections for [`crate::resolve`].

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diag::{Diagnostic, DiagnosticKind, Severity};
use crate::include::{self, MAX_INCLUDE_DEPTH};

/// Maximum length of one input file in bytes. Real configs are a few kilobytes; the limit
/// keeps a wrong path (a disk image, /dev/zero) from being read whole.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// A source location with the line's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Loc {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub text: String,
}

impl Loc {
    pub(crate) fn diag(
        &self,
        severity: Severity,
        kind: DiagnosticKind,
        hint: Option<&str>,
    ) -> Diagnostic {
        Diagnostic {
            severity,
            kind,
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            text: self.text.clone(),
            hint: hint.map(str::to_owned),
        }
    }

    pub(crate) fn at_column(&self, column: usize) -> Loc {
        Loc {
            column,
            ..self.clone()
        }
    }
}

/// A `key=value` line.
#[derive(Debug, Clone)]
pub(crate) struct RawEntry {
    pub key: String,
    /// The value without quotes or braces; empty means "the default".
    pub value: String,
    pub loc: Loc,
    /// The column where the value starts.
    pub value_column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RawKind {
    Setup,
    Conn(String),
}

#[derive(Debug, Clone)]
pub(crate) struct RawSection {
    pub kind: RawKind,
    pub loc: Loc,
    pub entries: Vec<RawEntry>,
}

/// Everything read from a file and its includes.
#[derive(Debug, Default)]
pub(crate) struct RawConfig {
    pub version: Option<String>,
    pub sections: Vec<RawSection>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads a file whole, within [`MAX_FILE_SIZE`].
pub(crate) fn read_file(path: &Path) -> Result<String, String> {
    use std::io::Read;

    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(format!("larger than {MAX_FILE_SIZE} bytes"));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// A lexer that reads one top file and its includes into a [`RawConfig`].
pub(crate) struct Lexer {
    out: RawConfig,
    /// Canonical paths of the files being read, outermost first.
    stack: Vec<PathBuf>,
    /// Files named as the user wrote them, for cycle messages.
    stack_names: Vec<String>,
    /// Canonical paths of every file read so far.
    read: HashSet<PathBuf>,
    /// The key whose value continues on unindented lines, and the first such line.
    wrapping: Option<(String, usize)>,
    /// Whether the previous line was an unindented parameter, already reported, so that a
    /// whole unindented section gives one error and not one per line.
    unindented_run: bool,
}

impl Lexer {
    pub(crate) fn new() -> Lexer {
        Lexer {
            out: RawConfig::default(),
            stack: Vec::new(),
            stack_names: Vec::new(),
            read: HashSet::new(),
            wrapping: None,
            unindented_run: false,
        }
    }

    pub(crate) fn finish(self) -> RawConfig {
        self.out
    }

    /// Lexes `text` as the file `name` (which includes are resolved against).
    pub(crate) fn lex_text(&mut self, text: &str, name: &str) {
        let path = PathBuf::from(name);
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        self.read.insert(canonical.clone());
        self.stack.push(canonical);
        self.stack_names.push(name.to_owned());
        for (index, raw_line) in text.split('\n').enumerate() {
            let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
            let loc = Loc {
                file: name.to_owned(),
                line: index + 1,
                column: 1,
                text: line.to_owned(),
            };
            self.lex_line(line, &loc, &path);
        }
        self.wrapping = None;
        self.stack.pop();
        self.stack_names.pop();
    }

    fn error(&mut self, loc: &Loc, kind: DiagnosticKind, hint: Option<&str>) {
        self.out
            .diagnostics
            .push(loc.diag(Severity::Error, kind, hint));
    }

    fn warn(&mut self, loc: &Loc, kind: DiagnosticKind, hint: Option<&str>) {
        self.out
            .diagnostics
            .push(loc.diag(Severity::Warning, kind, hint));
    }

    fn lex_line(&mut self, line: &str, loc: &Loc, path: &Path) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        let indent = line.len() - trimmed.len();
        let in_unindented_run = std::mem::take(&mut self.unindented_run);
        let column = line[..indent].chars().count() + 1;
        if indent > 0 {
            self.wrapping = None;
            self.lex_parameter(trimmed, &loc.at_column(column));
            return;
        }

        let words = split_words(trimmed);
        match words.first().map(String::as_str) {
            Some("version") => {
                self.wrapping = None;
                self.lex_version(&words, loc);
            }
            Some("config") => {
                self.wrapping = None;
                if words.len() == 2 && words[1] == "setup" {
                    self.open_section(RawKind::Setup, loc);
                } else {
                    self.error(
                        loc,
                        DiagnosticKind::Syntax("expected 'config setup'".to_owned()),
                        None,
                    );
                }
            }
            Some("conn") => {
                self.wrapping = None;
                if words.len() == 2 {
                    self.open_section(RawKind::Conn(words[1].clone()), loc);
                } else {
                    self.error(
                        loc,
                        DiagnosticKind::Syntax("expected 'conn NAME'".to_owned()),
                        Some("a conn name is one word, with no spaces"),
                    );
                }
            }
            Some("include") => {
                self.wrapping = None;
                if words.len() == 2 {
                    self.lex_include(&words[1], loc, path);
                } else {
                    self.error(
                        loc,
                        DiagnosticKind::Syntax("expected 'include FILE'".to_owned()),
                        None,
                    );
                }
            }
            _ => self.lex_unindented(trimmed, loc, in_unindented_run),
        }
    }

    fn lex_version(&mut self, words: &[String], loc: &Loc) {
        match words.get(1).map(String::as_str) {
            Some(v @ ("2" | "2.0")) if words.len() == 2 => self.out.version = Some(v.to_owned()),
            _ => self.error(
                loc,
                DiagnosticKind::Syntax("expected 'version 2' or 'version 2.0'".to_owned()),
                Some("Openswan 2 reads only the version 2 syntax"),
            ),
        }
    }

    fn open_section(&mut self, kind: RawKind, loc: &Loc) {
        self.out.sections.push(RawSection {
            kind,
            loc: loc.clone(),
            entries: Vec::new(),
        });
    }

    /// Handles an unindented line that is no section header: a parameter that lost its indentation,
    /// or the rest of a value that a copy from a terminal wrapped.
    fn lex_unindented(&mut self, trimmed: &str, loc: &Loc, in_unindented_run: bool) {
        if self.wrapping.is_some() {
            // The first unindented line already produced the diagnostic for this value.
            return;
        }
        let after_parameter = self
            .out
            .sections
            .last()
            .and_then(|s| s.entries.last())
            .filter(|e| e.loc.file == loc.file && e.loc.line + 1 == loc.line)
            .cloned();
        match parse_key(trimmed) {
            Some(key) if trimmed[key.len()..].trim_start().starts_with('=') => {
                self.unindented_run = true;
                if in_unindented_run {
                    return;
                }
                self.error(
                    loc,
                    DiagnosticKind::NotIndented {
                        key: key.to_owned(),
                    },
                    Some("indent parameters under their 'conn' or 'config setup' line with a space or tab"),
                );
            }
            _ => match after_parameter {
                Some(entry) => {
                    let location = entry.loc.clone();
                    self.wrapping = Some((entry.key.clone(), loc.line));
                    // The value is cut short: drop it, so that only this diagnostic names it
                    // and not also the value check of the truncated text.
                    if let Some(section) = self.out.sections.last_mut() {
                        section.entries.pop();
                    }
                    self.error(
                        &location.at_column(entry.value_column),
                        DiagnosticKind::WrappedValue {
                            key: entry.key.clone(),
                            line: loc.line,
                        },
                        Some("join the lines so that the whole value follows 'key=' on one line"),
                    );
                }
                None => self.error(
                    loc,
                    DiagnosticKind::Syntax(
                        "expected 'conn NAME', 'config setup', 'include FILE' or 'version 2'"
                            .to_owned(),
                    ),
                    Some("parameters must be indented; other lines start with '#'"),
                ),
            },
        }
    }

    fn lex_parameter(&mut self, trimmed: &str, loc: &Loc) {
        let Some(key) = parse_key(trimmed) else {
            // Web copies of configs often show "[email protected]" where the page's
            // e-mail obfuscation ate a `leftid=@host` line.
            let hint = if trimmed.contains("[email") {
                "a web page replaced this line (probably leftid=@name or rightid=@name); restore it from the original"
            } else {
                "parameters are written key=value"
            };
            self.error(
                loc,
                DiagnosticKind::Syntax("expected key=value".to_owned()),
                Some(hint),
            );
            return;
        };
        let rest = trimmed[key.len()..].trim_start();
        let Some(after_equals) = rest.strip_prefix('=') else {
            self.error(
                loc,
                DiagnosticKind::Syntax(format!("expected '=' after '{key}'")),
                None,
            );
            return;
        };
        let value_text = after_equals.trim_start();
        let value_offset = trimmed.len() - value_text.len();
        let value_column = loc.column + trimmed[..value_offset].chars().count();
        let (value, tail) = match parse_value(value_text) {
            Ok(parsed) => parsed,
            Err(reason) => {
                self.error(
                    &loc.at_column(value_column),
                    DiagnosticKind::Syntax(reason),
                    None,
                );
                return;
            }
        };
        let tail = tail.trim_start();
        if !tail.is_empty() && !tail.starts_with('#') {
            let tail_column = loc.column + trimmed[..trimmed.len() - tail.len()].chars().count();
            self.error(
                &loc.at_column(tail_column),
                DiagnosticKind::Syntax(format!("unexpected text after the value of '{key}'")),
                Some("quote values that contain spaces, or start a comment with '#'"),
            );
            return;
        }
        let entry = RawEntry {
            key: key.to_owned(),
            value,
            loc: loc.clone(),
            value_column,
        };
        match self.out.sections.last_mut() {
            Some(section) => section.entries.push(entry),
            None => self.error(
                loc,
                DiagnosticKind::Syntax(format!("parameter '{key}' outside any section")),
                Some("put parameters under a 'conn NAME' or 'config setup' line"),
            ),
        }
    }

    fn lex_include(&mut self, pattern: &str, loc: &Loc, path: &Path) {
        let depth = self.stack.len();
        if depth > MAX_INCLUDE_DEPTH {
            self.error(
                loc,
                DiagnosticKind::IncludeTooDeep(MAX_INCLUDE_DEPTH),
                Some("an include probably includes itself through a glob"),
            );
            return;
        }
        let files = include::expand(pattern, path);
        if files.is_empty() {
            let kind = DiagnosticKind::IncludeNoMatch(pattern.to_owned());
            if include::has_glob(pattern) {
                self.warn(loc, kind, None);
            } else {
                self.error(loc, kind, None);
            }
            return;
        }
        let mut cycle_reported = false;
        for file in files {
            let canonical = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
            let name = file.to_string_lossy().into_owned();
            if let Some(start) = self.stack.iter().position(|p| *p == canonical) {
                // One diagnostic per include line, however many files of its glob lead back.
                if cycle_reported {
                    continue;
                }
                cycle_reported = true;
                let mut chain: Vec<&str> = self.stack_names[start..]
                    .iter()
                    .map(String::as_str)
                    .collect();
                chain.push(&name);
                let text = chain.join(" -> ");
                self.error(
                    loc,
                    DiagnosticKind::IncludeCycle(text),
                    Some("remove one of the include lines"),
                );
                continue;
            }
            if self.stack.len() > MAX_INCLUDE_DEPTH {
                self.error(loc, DiagnosticKind::IncludeTooDeep(MAX_INCLUDE_DEPTH), None);
                return;
            }
            // A file is read once per parse: reading it again through another include path
            // adds only duplicates, and globs that match each other would otherwise walk
            // every order of the files (exponential work).
            if !self.read.insert(canonical) {
                continue;
            }
            match read_file(&file) {
                Ok(text) => self.lex_text(&text, &name),
                Err(reason) => self.error(
                    loc,
                    DiagnosticKind::Io {
                        path: name.clone(),
                        reason,
                    },
                    None,
                ),
            }
        }
    }
}

/// Returns the key at the start of `text`: letters, digits, `_` and `-`.
fn parse_key(text: &str) -> Option<&str> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .unwrap_or(text.len());
    (end > 0).then(|| &text[..end])
}

/// Parses a value at the start of `text`: `"quoted"`, `{braced}` or a bare word. Returns the
/// value and the rest of the line.
pub(crate) fn parse_value(text: &str) -> Result<(String, &str), String> {
    if let Some(rest) = text.strip_prefix('"') {
        let end = rest
            .find('"')
            .ok_or_else(|| "missing closing '\"'".to_owned())?;
        return Ok((rest[..end].to_owned(), &rest[end + 1..]));
    }
    if let Some(rest) = text.strip_prefix('{') {
        let end = rest
            .find('}')
            .ok_or_else(|| "missing closing '}'".to_owned())?;
        return Ok((rest[..end].trim().to_owned(), &rest[end + 1..]));
    }
    if text.starts_with('#') {
        return Ok((String::new(), text));
    }
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    Ok((text[..end].to_owned(), &text[end..]))
}

/// Splits a header line into words, dropping a trailing comment. Quotes are kept with the
/// word, which is enough for section names and include paths.
fn split_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        if word.starts_with('#') {
            break;
        }
        words.push(word.trim_matches('"').to_owned());
    }
    words
}
