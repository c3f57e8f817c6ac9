//! Every file of the shared corpus (Openswan man pages and samples, Libreswan test configs,
//! real-world deployments) parses, or fails with the diagnostics pinned in
//! `tests/corpus.expected`. Templates (`.j2`, `.erb`, `.tpl`, heredocs) are rendered with
//! sample values first. The corpus is read at test time from `SHARED_DIR`, or `../shared`
//! next to the workspace root.
//!
//! Run with `UPDATE_EXPECT=1` to rewrite `corpus.expected` after a deliberate change, then
//! review the diff.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use ipsec_conf::{parse_secrets_str, parse_str, Diagnostic, Severity};

fn shared_dir() -> PathBuf {
    match std::env::var_os("SHARED_DIR") {
        Some(dir) => dir.into(),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    }
}

/// Picks a sample value for a template variable from its name.
fn sample_value(expression: &str) -> &'static str {
    let name = expression.to_ascii_lowercase();
    if [
        "nat_t",
        "traversal",
        "opportunistic",
        "enable",
        "uniqueids",
        "pfs",
    ]
    .iter()
    .any(|k| name.contains(k))
    {
        "yes"
    } else if name.contains("authby") || name.contains("auth_type") {
        "secret"
    } else if name.contains("protostack") {
        "netkey"
    } else if name.contains("debug") {
        "none"
    } else if ["subnet", "cidr", "network", "_net", "netmask", "vpc"]
        .iter()
        .any(|k| name.contains(k))
    {
        "10.1.0.0/16"
    } else if ["psk", "secret", "password", "key"]
        .iter()
        .any(|k| name.contains(k))
    {
        "sample-secret"
    } else if [
        "ip", "address", "addr", "peer", "gateway", "left", "right", "server", "host", "endpoint",
    ]
    .iter()
    .any(|k| name.contains(k))
    {
        "192.0.2.50"
    } else {
        "sample"
    }
}

/// Replaces every `open ... close` expression with a sample value.
fn substitute(text: &str, open: &str, close: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find(open) {
        let Some(len) = rest[start + open.len()..].find(close) else {
            break;
        };
        let expression = &rest[start + open.len()..start + open.len() + len];
        if expression.contains('\n') {
            // An unclosed tag (a typo in the template): keep it as text.
            out.push_str(&rest[..start + open.len()]);
            rest = &rest[start + open.len()..];
            continue;
        }
        out.push_str(&rest[..start]);
        rest = &rest[start + open.len() + len + close.len()..];
        // An expression followed by `/24` is an address, whatever its name suggests.
        if rest.starts_with('/') {
            out.push_str("10.1.0.0");
        } else {
            out.push_str(sample_value(expression));
        }
    }
    out.push_str(rest);
    out
}

/// Replaces shell variables (`$NAME`, `${NAME}`) with sample values.
fn substitute_shell(text: &str) -> String {
    let text = substitute(text, "${", "}");
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        let name: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            out.push(c);
            continue;
        }
        for _ in 0..name.chars().count() {
            chars.next();
        }
        out.push_str(sample_value(&name));
    }
    out
}

/// Drops lines that hold only a control tag (`{% if %}`, `<% end -%>`, `%{ for }`).
fn drop_control_lines(text: &str, open: &str, close: &str) -> String {
    text.lines()
        .filter(|line| {
            let t = line.trim();
            !(t.starts_with(open) && t.ends_with(close))
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Renders a template with sample values; other files are returned unchanged.
fn render(name: &str, text: &str) -> String {
    if name.ends_with(".j2") {
        // Some templates turn on Jinja's line statements (`% if ...`) and `##` comments.
        let text: String = text
            .lines()
            .filter(|line| {
                let t = line.trim_start();
                !(t.starts_with("% ") || t == "%" || t.starts_with("##"))
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let text = drop_control_lines(&text, "{%", "%}");
        let text = substitute(&text, "{#", "#}");
        substitute(&text, "{{", "}}")
    } else if name.ends_with(".erb") {
        let text = drop_control_lines(text, "<%", "%>");
        let text = substitute(&text, "<%=", "%>");
        substitute(&text, "<%", "%>")
    } else if name.ends_with(".tpl") {
        let text = drop_control_lines(text, "%{", "}");
        substitute_shell(&text)
    } else if name.ends_with(".heredoc") {
        substitute_shell(text)
    } else {
        text.to_owned()
    }
}

fn is_secrets(name: &str) -> bool {
    name.contains("secrets")
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let errors: Vec<&Diagnostic> = diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let warnings = diagnostics.len() - errors.len();
    match errors.first() {
        None => format!("ok, {warnings} warnings"),
        Some(first) => format!(
            "{} errors, {warnings} warnings, first {}:{}: {}",
            errors.len(),
            first.line,
            first.column,
            first.message()
        ),
    }
}

fn corpus_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["openswan-man", "openswan-samples", "real-world"] {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{}: {e}", root.join(dir).display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .collect();
        entries.sort();
        files.extend(entries);
    }
    files
}

#[test]
fn corpus_outcomes_pinned() {
    let root = shared_dir().join("corpus");
    let mut report = String::new();
    for path in corpus_files(&root) {
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let text = render(&relative, &String::from_utf8_lossy(&bytes));
        // Named relative to the corpus, so that messages do not depend on where the shared
        // folder is. Its includes name paths of other machines and are not found either way.
        let name = format!("corpus/{relative}");
        let diagnostics = if is_secrets(&relative) {
            parse_secrets_str(&text, &name).diagnostics
        } else {
            let parsed = parse_str(&text, &name);
            // Whatever was read must survive the canonical writer.
            if !parsed.has_errors() {
                let written = ipsec_conf::write_config(&parsed.value);
                let again = parse_str(&written, "canonical.conf");
                assert!(!again.has_errors(), "{relative}: {:#?}", again.diagnostics);
                assert_eq!(again.value, parsed.value, "{relative}");
            }
            parsed.diagnostics
        };
        let kind = if is_secrets(&relative) {
            "secrets"
        } else {
            "conf"
        };
        let _ = writeln!(report, "{relative} [{kind}]: {}", summary(&diagnostics));
    }

    let expected_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus.expected");
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&expected_path, &report).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&expected_path).unwrap();
    let mismatches: Vec<String> = expected
        .lines()
        .zip(report.lines())
        .filter(|(e, r)| e != r)
        .map(|(e, r)| format!("expected: {e}\n  actual: {r}"))
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(
        expected.lines().count(),
        report.lines().count(),
        "file count changed"
    );
}
