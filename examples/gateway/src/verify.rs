//! `verify`: the HOWTO's system checks, one line each with [OK], [N/A] or [FAILED].

use std::fs;
use std::path::Path;

use clap::Args;

use crate::cli::Paths;
use crate::daemon;
use crate::netns;

#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub paths: Paths,
}

/// Width of the check text column, as in Openswan's output.
const COLUMN: usize = 62;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    NotApplicable,
    Failed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "[OK]",
            Outcome::NotApplicable => "[N/A]",
            Outcome::Failed => "[FAILED]",
        }
    }
}

struct Report {
    failures: usize,
}

impl Report {
    fn check(&mut self, text: &str, outcome: Outcome) {
        println!("{text:<COLUMN$}{}", outcome.label());
        if outcome == Outcome::Failed {
            self.failures += 1;
        }
    }
}

/// Runs every check; the exit status is the number of failed checks (at most 99).
pub fn run(args: &VerifyArgs) -> u8 {
    let paths = &args.paths;
    let mut report = Report { failures: 0 };
    println!("Checking your system to see if IPsec got installed and started correctly");

    report.check("Version check and ipsec on-path", Outcome::Ok);
    println!(
        "Linux ipsec-rs gateway {} (kernel {})",
        env!("CARGO_PKG_VERSION"),
        kernel_release()
    );

    let kernel_esp = crate::engine::kernel_has_esp();
    report.check(
        "Checking for IPsec support in kernel",
        if kernel_esp {
            Outcome::Ok
        } else {
            Outcome::NotApplicable
        },
    );
    let tun = Path::new("/dev/net/tun").exists();
    let any_datapath = kernel_esp || tun;
    report.check(
        "Checking for userspace ESP datapath (/dev/net/tun)",
        if tun {
            Outcome::Ok
        } else if any_datapath {
            Outcome::NotApplicable
        } else {
            Outcome::Failed
        },
    );

    report.check(
        &format!("Checking for RSA private key ({})", paths.secrets.display()),
        if crate::engine::secrets_have_rsa_key(&paths.secrets) {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
    );

    report.check(
        "Checking that pluto is running",
        if daemon::is_running(paths) {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
    );

    let interfaces = count_interfaces();
    if interfaces >= 2 {
        report.check(
            "Two or more interfaces found, checking IP forwarding",
            if ip_forwarding() {
                Outcome::Ok
            } else {
                Outcome::Failed
            },
        );
    } else {
        report.check("Checking IP forwarding", Outcome::NotApplicable);
    }

    report.check("Checking NAT and MASQUERADEing", check_masquerade());
    report.check(
        "Checking for 'ip' command",
        if on_path("ip") {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
    );
    report.check(
        "Checking for 'iptables' command",
        if on_path("iptables") {
            Outcome::Ok
        } else {
            Outcome::Failed
        },
    );

    report.failures.min(99) as u8
}

fn kernel_release() -> String {
    fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|text| text.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Counts the network interfaces other than loopback in this namespace.
fn count_interfaces() -> usize {
    fs::read_dir("/sys/class/net")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|entry| entry.file_name() != "lo")
                .count()
        })
        .unwrap_or(0)
}

fn ip_forwarding() -> bool {
    fs::read_to_string("/proc/sys/net/ipv4/ip_forward")
        .map(|text| text.trim() == "1")
        .unwrap_or(false)
}

/// [N/A] without MASQUERADE rules; [OK] if each one excludes some destination, as the HOWTO's
/// `-d ! 10.0.0.0/24` rule does so that tunnel traffic is not translated; [FAILED] otherwise.
fn check_masquerade() -> Outcome {
    let Ok(rules) = netns::run(None, "iptables", &["-t", "nat", "-S", "POSTROUTING"]) else {
        return Outcome::NotApplicable;
    };
    let masquerade: Vec<&str> = rules
        .lines()
        .filter(|rule| rule.contains("MASQUERADE"))
        .collect();
    if masquerade.is_empty() {
        Outcome::NotApplicable
    } else if masquerade.iter().all(|rule| rule.contains("! -d")) {
        Outcome::Ok
    } else {
        Outcome::Failed
    }
}

fn on_path(program: &str) -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).any(|dir| dir.join(program).is_file())
}
