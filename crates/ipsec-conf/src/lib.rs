//! Openswan `ipsec.conf` and `ipsec.secrets`, read into typed models with diagnostics a
//! person can act on, and written back in canonical form.
//!
//! ```
//! let text = "conn net-to-net\n\tleft=192.0.2.1\n\tright=192.0.2.2\n\tauthby=secret\n\tauto=add\n";
//! let parsed = ipsec_conf::parse_str(text, "ipsec.conf");
//! assert!(!parsed.has_errors());
//! let conn = parsed.value.conn("net-to-net").unwrap();
//! assert_eq!(conn.authby, ipsec_conf::AuthBy::Secret);
//!
//! let secrets = ipsec_conf::parse_secrets_str(
//!     "192.0.2.1 192.0.2.2 : PSK \"not secret\"\n",
//!     "ipsec.secrets",
//! );
//! let local = ipsec_conf::Id::parse("192.0.2.1");
//! let remote = ipsec_conf::Id::parse("192.0.2.2");
//! assert_eq!(secrets.value.psk(&local, &remote).unwrap().expose(), b"not secret");
//! ```
//!
//! The grammar is Openswan 2.6's ipsec.conf(5): `version 2`, `config setup`, `conn NAME`,
//! parameters indented under their section, `#` comments, `"quoted"` and `{braced}` values,
//! `include` with globs relative to the including file (at most [`MAX_INCLUDE_DEPTH`] deep,
//! cycles reported), `also=`/`alsoflip=` in any order (cycles reported), `conn %default`, and
//! `x-` extension keys. A key repeated in one section is an error; an empty value means the
//! default. Every keyword of Openswan 2.6.51.5 is recognised; those this gateway does not act
//! on produce a "recognised, not supported" warning and are kept in the `other` maps.
//! Libreswan spellings and strongSwan keywords produce a diagnostic that names the dialect.
//!
//! Parsing never panics and never stops at the first problem: the result is always a model
//! (of what could be read) plus every diagnostic, in file order.
#![forbid(unsafe_code)]

mod diag;
mod include;
mod keywords;
mod lex;
mod model;
pub mod proposal;
mod resolve;
mod secret;
mod secrets;
mod values;
mod writer;

pub use diag::{Diagnostic, DiagnosticKind, Dialect, Parsed, Severity};
pub use include::{MAX_INCLUDE_DEPTH, MAX_INCLUDE_MATCHES};
pub use lex::MAX_FILE_SIZE;
pub use model::{
    AuthBy, Auto, Config, ConfigSetup, Conn, ConnType, DpdAction, End, Host, Id, Ikev2Policy,
    NextHop, Phase2, ProtoPort, RsaSigKey, Subnet,
};
pub use proposal::{EspAlgs, EspProposal, IkeAlgs, IkeProposal, Integrity};
pub use resolve::MAX_ALSO_DEPTH;
pub use secret::{SecretBytes, SecretString};
pub use secrets::{
    parse_secrets_file, parse_secrets_str, RsaSecret, Secret, SecretEntry, SecretKind, Secrets,
    MAX_ENTRY_LINES,
};
pub use writer::write_config;

use std::path::Path;

/// Parses ipsec.conf text. `name` is used in diagnostics and as the base for relative
/// `include` paths (its directory).
pub fn parse_str(text: &str, name: &str) -> Parsed<Config> {
    let mut lexer = lex::Lexer::new();
    lexer.lex_text(text, name);
    let (value, diagnostics) = resolve::resolve(lexer.finish());
    Parsed { value, diagnostics }
}

/// Reads and parses an ipsec.conf file and its includes. A file that cannot be read gives an
/// empty model and an [`DiagnosticKind::Io`] error.
pub fn parse_file(path: impl AsRef<Path>) -> Parsed<Config> {
    let path = path.as_ref();
    let name = path.to_string_lossy().into_owned();
    match lex::read_file(path) {
        Ok(text) => parse_str(&text, &name),
        Err(reason) => Parsed {
            value: Config::default(),
            diagnostics: vec![Diagnostic {
                severity: Severity::Error,
                kind: DiagnosticKind::Io {
                    path: name.clone(),
                    reason,
                },
                file: name,
                line: 0,
                column: 0,
                text: String::new(),
                hint: None,
            }],
        },
    }
}
