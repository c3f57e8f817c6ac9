//! `readwriteconf` and `addconn --checkconfig`: ipsec.conf tools built on `ipsec-conf`.
//!
//! Exit status follows Libreswan's tools: 0 when the files load, 3 when they cannot be
//! loaded. Errors go to stderr as `FILE:LINE:COLUMN: message`, each followed by its hint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ipsec_conf::{Diagnostic, Parsed};

/// Exit status when a configuration cannot be loaded (Libreswan's readwriteconf and addconn
/// use 3).
const EXIT_CANNOT_LOAD: u8 = 3;

/// The default ipsec.conf path.
pub const DEFAULT_CONFIG: &str = "/etc/ipsec.conf";

/// The default ipsec.secrets path.
pub const DEFAULT_SECRETS: &str = "/etc/ipsec.secrets";

/// `gateway readwriteconf`: print the configuration in canonical form.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadwriteconfArgs {
    /// The ipsec.conf to read.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// The ipsec.secrets to check as well (readwriteconf prints no secrets).
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
}

/// `gateway addconn --checkconfig`: load the configuration and report problems, without
/// adding any conn to a running daemon.
#[derive(Debug, Clone, clap::Args)]
pub struct AddconnArgs {
    /// Only check the configuration (the only mode this command supports).
    #[arg(long)]
    pub checkconfig: bool,
    /// Print each file opened and each conn loaded.
    #[arg(long)]
    pub verbose: bool,
    /// The ipsec.conf to read.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_CONFIG)]
    pub config: PathBuf,
    /// The ipsec.secrets to check too (default /etc/ipsec.secrets, skipped when it does not
    /// exist).
    #[arg(long, value_name = "FILE")]
    pub secrets: Option<PathBuf>,
}

/// Prints warnings and errors to stderr; returns whether there were errors.
fn report<T>(parsed: &Parsed<T>, prefix: &str) -> bool {
    let mut failed = false;
    for diagnostic in &parsed.diagnostics {
        if diagnostic.is_error() {
            failed = true;
            eprintln!("{prefix}{}", located(diagnostic));
        } else {
            eprintln!("{} (warning)", located(diagnostic));
        }
        if let Some(hint) = &diagnostic.hint {
            eprintln!("  hint: {hint}");
        }
    }
    failed
}

/// `FILE:LINE:COLUMN: message`, the form Openswan and Libreswan print with the column added
/// where one is known (`FILE:LINE: message` otherwise, `FILE: message` for a whole file).
fn located(diagnostic: &Diagnostic) -> String {
    if diagnostic.line == 0 {
        return format!("{}: {}", diagnostic.file, diagnostic.message());
    }
    if diagnostic.column == 0 {
        return format!(
            "{}:{}: {}",
            diagnostic.file,
            diagnostic.line,
            diagnostic.message()
        );
    }
    format!(
        "{}:{}:{}: {}",
        diagnostic.file,
        diagnostic.line,
        diagnostic.column,
        diagnostic.message()
    )
}

fn check_secrets(path: Option<&Path>, prefix: &str) -> bool {
    let (path, explicit) = match path {
        Some(path) => (path, true),
        None => (Path::new(DEFAULT_SECRETS), false),
    };
    if !explicit && !path.exists() {
        return true;
    }
    let parsed = ipsec_conf::parse_secrets_file(path);
    !report(&parsed, prefix)
}

/// Runs `readwriteconf`: prints the canonical configuration on stdout, or the errors on
/// stderr with status 3.
pub fn readwriteconf(args: &ReadwriteconfArgs) -> ExitCode {
    let parsed = ipsec_conf::parse_file(&args.config);
    let prefix = format!(
        "readwriteconf: config file \"{}\" cannot be loaded: ",
        args.config.display()
    );
    let config_ok = !report(&parsed, &prefix);
    let secrets_ok = match &args.secrets {
        Some(path) => check_secrets(
            Some(path),
            &format!(
                "readwriteconf: secrets file \"{}\" cannot be loaded: ",
                path.display()
            ),
        ),
        None => true,
    };
    if !config_ok || !secrets_ok {
        return ExitCode::from(EXIT_CANNOT_LOAD);
    }
    print!("{}", ipsec_conf::write_config(&parsed.value));
    ExitCode::SUCCESS
}

/// Runs `addconn --checkconfig`: status 0 when the configuration (and the secrets) load,
/// 3 with the errors on stderr otherwise.
pub fn addconn(args: &AddconnArgs) -> ExitCode {
    if !args.checkconfig {
        eprintln!("addconn: only --checkconfig is supported; use 'auto --add NAME' to load a conn");
        return ExitCode::from(EXIT_CANNOT_LOAD);
    }
    if args.verbose {
        println!("opening file: {}", args.config.display());
    }
    let parsed = ipsec_conf::parse_file(&args.config);
    let prefix = format!("cannot load config '{}': ", args.config.display());
    let config_ok = !report(&parsed, &prefix);
    if args.verbose && config_ok {
        for conn in &parsed.value.conns {
            eprintln!("Loading conn {}", conn.name);
        }
    }
    let secrets_prefix = "cannot load secrets: ";
    let secrets_ok = check_secrets(args.secrets.as_deref(), secrets_prefix);
    if config_ok && secrets_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_CANNOT_LOAD)
    }
}
