//! `include` patterns: shell-style globs resolved relative to the including file.

use std::path::{Path, PathBuf};

/// Maximum nesting of `include` (the top file is depth 0). Openswan stops at 10 too; a deeper
/// chain is almost surely a mistake, and the limit bounds the work on hostile input.
pub const MAX_INCLUDE_DEPTH: usize = 10;

/// Maximum number of files one pattern may expand to, so a pattern like `/*/*/*` cannot make
/// the parser walk a whole file system.
pub const MAX_INCLUDE_MATCHES: usize = 1000;

/// Checks whether `text` contains a glob metacharacter.
pub(crate) fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// Resolves `pattern` against the directory of `including` and expands globs, sorted.
pub(crate) fn expand(pattern: &str, including: &Path) -> Vec<PathBuf> {
    let pattern_path = Path::new(pattern);
    let full = if pattern_path.is_absolute() {
        pattern_path.to_path_buf()
    } else {
        including
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(pattern_path)
    };
    if !has_glob(pattern) {
        return if full.is_file() {
            vec![full]
        } else {
            Vec::new()
        };
    }

    let mut candidates = vec![PathBuf::new()];
    for component in full.components() {
        let text = component.as_os_str().to_string_lossy();
        let mut next = Vec::new();
        for base in &candidates {
            if !has_glob(&text) {
                next.push(base.join(component.as_os_str()));
                continue;
            }
            let dir = if base.as_os_str().is_empty() {
                Path::new(".")
            } else {
                base.as_path()
            };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            let mut names: Vec<String> = entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|name| !name.starts_with('.') && glob_match(&text, name))
                .collect();
            names.sort();
            next.extend(names.into_iter().map(|name| base.join(name)));
            if next.len() > MAX_INCLUDE_MATCHES {
                break;
            }
        }
        next.truncate(MAX_INCLUDE_MATCHES);
        candidates = next;
    }
    candidates.retain(|p| p.is_file());
    candidates
}

/// Matches one path component against a pattern with `*`, `?` and `[...]` (with `!` or `^`
/// negation and `a-z` ranges).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    match_from(&pattern, &name)
}

fn match_from(pattern: &[char], name: &[char]) -> bool {
    // Iterative matching with one backtrack point for the last `*`: linear in practice and
    // without recursion depth proportional to the input.
    let (mut p, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                '*' => {
                    star = Some((p, n));
                    p += 1;
                    continue;
                }
                '?' => {
                    p += 1;
                    n += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, len)) = match_class(&pattern[p..], name[n]) {
                        if matched {
                            p += len;
                            n += 1;
                            continue;
                        }
                    } else if name[n] == '[' {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
                c if c == name[n] => {
                    p += 1;
                    n += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((star_p, star_n)) => {
                p = star_p + 1;
                n = star_n + 1;
                star = Some((star_p, star_n + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class at the start of `pattern`; returns (matched, class length),
/// or `None` when the class is not closed.
fn match_class(pattern: &[char], c: char) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(pattern.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < pattern.len() {
        if pattern[i] == ']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < pattern.len() && pattern[i + 1] == '-' && pattern[i + 2] != ']' {
            if pattern[i] <= c && c <= pattern[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if pattern[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn glob_cases() {
        assert!(glob_match("*.conf", "a.conf"));
        assert!(!glob_match("*.conf", "a.secrets"));
        assert!(glob_match("key-[0-9]*", "key-2048.secrets"));
        assert!(!glob_match("key-[!0-9]*", "key-2048.secrets"));
        assert!(glob_match("?", "x"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "aXXbYYc"));
        assert!(!glob_match("a*b*c", "aXXbYY"));
    }
}
