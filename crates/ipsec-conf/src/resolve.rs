//! From raw sections to the typed model: keyword checks, repeated keys, `also=`/`alsoflip=`,
//! `conn %default`, and value parsing.

use std::collections::{BTreeMap, HashMap};

use crate::diag::{Diagnostic, DiagnosticKind, Dialect, Severity};
use crate::keywords::{self, Lookup, Section, Side, Support};
use crate::lex::{Loc, RawConfig, RawEntry, RawKind};
use crate::model::{Config, ConfigSetup, Conn};
use crate::values;

/// Maximum depth of `also=` chains. Real configs use two or three levels; the limit bounds
/// the work when a chain is long but not circular.
pub const MAX_ALSO_DEPTH: usize = 32;

/// A value set in a section, under its canonical key.
#[derive(Debug, Clone)]
pub(crate) struct Setting {
    /// The key as written (`keylife`, `virtual-private`), for messages.
    pub written: String,
    pub value: String,
    pub loc: Loc,
    pub value_column: usize,
    pub support: Support,
}

impl Setting {
    pub(crate) fn value_loc(&self) -> Loc {
        self.loc.at_column(self.value_column)
    }
}

#[derive(Debug, Clone)]
struct AlsoRef {
    target: String,
    flip: bool,
    loc: Loc,
}

#[derive(Debug, Clone, Default)]
struct SectionData {
    settings: BTreeMap<String, Setting>,
    /// Settings in the order written, by canonical key.
    order: Vec<String>,
    also: Vec<AlsoRef>,
}

impl SectionData {
    fn insert(&mut self, key: String, setting: Setting) {
        self.order.push(key.clone());
        self.settings.insert(key, setting);
    }
}

struct Resolver {
    diagnostics: Vec<Diagnostic>,
    /// Cycles already reported, by their sorted members, so that a cycle through three conns
    /// is reported once and not from each of them.
    also_cycles: std::collections::HashSet<Vec<String>>,
}

/// Returns the canonical name of an Openswan keyword, with aliases folded (`keylife` is
/// `salifetime`, `esp` is `phase2alg`).
fn canonical(name: &str) -> &str {
    match name {
        "keylife" | "lifetime" => "salifetime",
        "esp" => "phase2alg",
        "aggressive" => "aggrmode",
        "auth" => "phase2",
        other => other,
    }
}

fn swap_side(key: &str) -> String {
    if let Some(rest) = key.strip_prefix("left") {
        format!("right{rest}")
    } else if let Some(rest) = key.strip_prefix("right") {
        format!("left{rest}")
    } else {
        key.to_owned()
    }
}

/// Builds the typed model from raw sections, appending diagnostics to `raw`'s.
pub(crate) fn resolve(raw: RawConfig) -> (Config, Vec<Diagnostic>) {
    let mut resolver = Resolver {
        diagnostics: raw.diagnostics,
        also_cycles: Default::default(),
    };
    let mut setup = SectionData::default();
    let mut default = SectionData::default();
    let mut conns: Vec<(String, Loc, SectionData)> = Vec::new();
    let mut conn_index: HashMap<String, usize> = HashMap::new();

    for section in &raw.sections {
        match &section.kind {
            RawKind::Setup => resolver.read_section(&section.entries, Section::Setup, &mut setup),
            RawKind::Conn(name) if name == "%default" => {
                resolver.read_section(&section.entries, Section::Conn, &mut default)
            }
            RawKind::Conn(name) => {
                let mut data = SectionData::default();
                resolver.read_section(&section.entries, Section::Conn, &mut data);
                if let Some(&first) = conn_index.get(name) {
                    let first_loc = &conns[first].1;
                    resolver.diagnostics.push(section.loc.diag(
                        Severity::Error,
                        DiagnosticKind::DuplicateConn {
                            name: name.clone(),
                            first: format!("{}:{}", first_loc.file, first_loc.line),
                        },
                        Some("give each conn a unique name, or merge the two sections"),
                    ));
                    continue;
                }
                conn_index.insert(name.clone(), conns.len());
                conns.push((name.clone(), section.loc.clone(), data));
            }
        }
    }

    let mut config = Config {
        version: raw.version,
        setup: resolver.build_setup(&setup),
        conns: Vec::new(),
    };
    for (name, loc, data) in &conns {
        let mut merged = SectionData::default();
        let mut stack = vec![name.clone()];
        resolver.merge(data, false, &conns, &conn_index, &mut stack, &mut merged);
        for (key, setting) in &default.settings {
            if !merged.settings.contains_key(key) {
                merged.insert(key.clone(), setting.clone());
            }
        }
        let conn = resolver.build_conn(name, loc, &merged);
        config.conns.push(conn);
    }

    resolver
        .diagnostics
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    (config, resolver.diagnostics)
}

impl Resolver {
    fn push(&mut self, loc: &Loc, severity: Severity, kind: DiagnosticKind, hint: Option<&str>) {
        self.diagnostics.push(loc.diag(severity, kind, hint));
    }

    /// Checks each key of a section and records its value under the canonical key.
    fn read_section(&mut self, entries: &[RawEntry], section: Section, data: &mut SectionData) {
        for entry in entries {
            let key = entry.key.as_str();
            let (canonical_key, support) = match keywords::lookup(key, section) {
                Lookup::Known { keyword, side } => {
                    (self.known_key(keyword.name, side), keyword.support)
                }
                Lookup::LibreswanSpelling { keyword, side } => {
                    let openswan = match side {
                        Some(side) => format!("{}{}", side.prefix(), keyword.name),
                        None => keyword.name.to_owned(),
                    };
                    self.push(
                        &entry.loc,
                        Severity::Warning,
                        DiagnosticKind::ForeignDialect {
                            key: key.to_owned(),
                            dialect: Dialect::Libreswan,
                        },
                        Some(&format!("Openswan spells it '{openswan}'")),
                    );
                    (self.known_key(keyword.name, side), keyword.support)
                }
                Lookup::Extension => (key.to_owned(), Support::Unsupported),
                Lookup::Foreign(dialect) => {
                    let (severity, hint) = match dialect {
                        Dialect::Libreswan => (
                            Severity::Warning,
                            "Openswan 2.6 has no such keyword; this gateway ignores it",
                        ),
                        Dialect::StrongSwan => (
                            Severity::Error,
                            "rewrite the conn in Openswan syntax (see ipsec.conf(5) of Openswan 2.6)",
                        ),
                    };
                    self.push(
                        &entry.loc,
                        severity,
                        DiagnosticKind::ForeignDialect {
                            key: key.to_owned(),
                            dialect,
                        },
                        Some(hint),
                    );
                    continue;
                }
                Lookup::Unknown => {
                    let wrong_section = keywords::other_section(key, section);
                    let (kind, hint) = if wrong_section {
                        let name = match section {
                            Section::Setup => "config setup",
                            Section::Conn => "a conn section",
                        };
                        (
                            DiagnosticKind::WrongSection {
                                key: key.to_owned(),
                                section: name.to_owned(),
                            },
                            "move it to the section it belongs to",
                        )
                    } else {
                        (
                            DiagnosticKind::UnknownKeyword(key.to_owned()),
                            "check the spelling against ipsec.conf(5); site-specific keys start with 'x-'",
                        )
                    };
                    self.push(&entry.loc, Severity::Error, kind, Some(hint));
                    continue;
                }
            };

            match support {
                Support::Implemented => {}
                Support::Unsupported if !canonical_key.starts_with(['x', 'X']) => self.push(
                    &entry.loc,
                    Severity::Warning,
                    DiagnosticKind::Unsupported(key.to_owned()),
                    None,
                ),
                Support::Unsupported => {}
                Support::Obsolete => {
                    self.push(
                        &entry.loc,
                        Severity::Warning,
                        DiagnosticKind::Obsolete(key.to_owned()),
                        None,
                    );
                    continue;
                }
            }

            if canonical_key == "also" || canonical_key == "alsoflip" {
                for target in entry.value.split_whitespace() {
                    data.also.push(AlsoRef {
                        target: target.to_owned(),
                        flip: canonical_key == "alsoflip",
                        loc: entry.loc.at_column(entry.value_column),
                    });
                }
                continue;
            }

            if let Some(first) = data.settings.get(&canonical_key) {
                // Openswan's table lets `auto` repeat; the last one wins.
                if canonical_key != "auto" {
                    let first_line = first.loc.line;
                    self.push(
                        &entry.loc,
                        Severity::Error,
                        DiagnosticKind::RepeatedKey {
                            key: key.to_owned(),
                            first_line,
                        },
                        Some("delete one of the two lines"),
                    );
                    continue;
                }
            }
            data.insert(
                canonical_key,
                Setting {
                    written: key.to_owned(),
                    value: entry.value.clone(),
                    loc: entry.loc.clone(),
                    value_column: entry.value_column,
                    support,
                },
            );
        }
    }

    fn known_key(&self, name: &str, side: Option<Side>) -> String {
        let name = canonical(name);
        match side {
            Some(side) => format!("{}{}", side.prefix(), name),
            None => name.to_owned(),
        }
    }

    /// Copies into `merged` the settings of `data` and of its `also=` targets that `merged`
    /// lacks. Own settings win over included ones, and earlier `also=` lines over later ones.
    fn merge(
        &mut self,
        data: &SectionData,
        flip: bool,
        conns: &[(String, Loc, SectionData)],
        index: &HashMap<String, usize>,
        stack: &mut Vec<String>,
        merged: &mut SectionData,
    ) {
        for (key, setting) in &data.settings {
            let key = if flip { swap_side(key) } else { key.clone() };
            if !merged.settings.contains_key(&key) {
                merged.insert(key, setting.clone());
            }
        }
        for also in &data.also {
            if let Some(start) = stack.iter().position(|name| *name == also.target) {
                let mut chain = stack[start..].to_vec();
                let mut members = chain.clone();
                members.sort();
                if !self.also_cycles.insert(members) {
                    continue;
                }
                chain.push(also.target.clone());
                self.push(
                    &also.loc,
                    Severity::Error,
                    DiagnosticKind::AlsoCycle(chain.join(" -> ")),
                    Some("an also= chain must not lead back to a conn it started from"),
                );
                continue;
            }
            if stack.len() > MAX_ALSO_DEPTH {
                self.push(
                    &also.loc,
                    Severity::Error,
                    DiagnosticKind::AlsoCycle(format!("deeper than {MAX_ALSO_DEPTH} levels")),
                    None,
                );
                continue;
            }
            let Some(&target) = index.get(&also.target) else {
                self.push(
                    &also.loc,
                    Severity::Error,
                    DiagnosticKind::AlsoNotFound(also.target.clone()),
                    Some("also= names another conn section of this file or its includes"),
                );
                continue;
            };
            stack.push(also.target.clone());
            let target_data = conns[target].2.clone();
            self.merge(&target_data, flip ^ also.flip, conns, index, stack, merged);
            stack.pop();
        }
    }

    fn build_setup(&mut self, data: &SectionData) -> ConfigSetup {
        let mut setup = ConfigSetup {
            uniqueids: true,
            ..ConfigSetup::default()
        };
        for key in &data.order {
            let setting = &data.settings[key];
            if let Err((kind, hint)) = values::apply_setup(&mut setup, key, setting) {
                self.push(&setting.value_loc(), Severity::Error, kind, hint);
            }
        }
        setup
    }

    fn build_conn(&mut self, name: &str, loc: &Loc, data: &SectionData) -> Conn {
        let mut conn = Conn::new(name);
        for key in &data.order {
            let setting = &data.settings[key];
            match values::apply_conn(&mut conn, key, setting) {
                Ok(Some((kind, hint))) => {
                    self.push(&setting.value_loc(), Severity::Warning, kind, hint)
                }
                Ok(None) => {}
                Err((kind, hint)) => self.push(&setting.value_loc(), Severity::Error, kind, hint),
            }
        }
        if matches!(
            conn.auto,
            crate::model::Auto::Add | crate::model::Auto::Route | crate::model::Auto::Start
        ) {
            for (end, side) in [(&conn.left, "left"), (&conn.right, "right")] {
                if end.host.is_none() {
                    self.push(
                        loc,
                        Severity::Error,
                        DiagnosticKind::IncompleteConn {
                            conn: name.to_owned(),
                            reason: format!("{side}= is not set"),
                        },
                        Some("set both left= and right=, or use auto=ignore for a template"),
                    );
                }
            }
        }
        conn
    }
}
