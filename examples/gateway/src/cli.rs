//! The command tree, shaped after Openswan's `ipsec` command.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

use std::process::ExitCode;

use crate::{conftools, control, daemon, demo, keytools, verify};

/// Openswan-compatible IKEv1 site-to-site VPN gateway.
#[derive(Debug, Parser)]
#[command(name = "gateway", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start, stop or query the daemon (Openswan's `ipsec setup`).
    Setup(SetupArgs),
    /// Add, delete, bring up or down a connection, or print the daemon's status.
    Auto(AutoArgs),
    /// Low-level control of the daemon; only `--status` is supported.
    Whack(WhackArgs),
    /// Check that the system can run the gateway, printing [OK]/[N/A]/[FAILED] per check.
    Verify(verify::VerifyArgs),
    /// Generate an RSA key for ipsec.secrets.
    Rsasigkey(keytools::RsasigkeyArgs),
    /// Print this host's public key as a `leftrsasigkey=`/`rightrsasigkey=` line.
    Showhostkey(keytools::ShowhostkeyArgs),
    /// Print random bits, e.g. for a pre-shared key.
    Ranbits(keytools::RanbitsArgs),
    /// Print ipsec.conf in canonical form.
    Readwriteconf(conftools::ReadwriteconfArgs),
    /// Check ipsec.conf (`addconn --checkconfig`).
    Addconn(conftools::AddconnArgs),
    /// Build the HOWTO's two sites in network namespaces and run the tunnel with PSK and RSA.
    Demo(demo::DemoArgs),
}

/// Files and directories shared by the subcommands that read the configuration or talk to the
/// daemon. They are accepted after the subcommand, so two daemons can run side by side.
#[derive(Debug, Clone, Args)]
pub struct Paths {
    /// ipsec.conf to read.
    #[arg(long, value_name = "FILE", default_value = "/etc/ipsec.conf")]
    pub config: PathBuf,
    /// ipsec.secrets to read.
    #[arg(long, value_name = "FILE", default_value = "/etc/ipsec.secrets")]
    pub secrets: PathBuf,
    /// Directory of the pid file, control socket and daemon log.
    #[arg(long, value_name = "DIR", default_value = "/run/pluto")]
    pub rundir: PathBuf,
}

impl Paths {
    pub fn control_socket(&self) -> PathBuf {
        self.rundir.join("pluto.ctl")
    }

    pub fn pid_file(&self) -> PathBuf {
        self.rundir.join("pluto.pid")
    }

    pub fn log_file(&self) -> PathBuf {
        self.rundir.join("pluto.log")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SetupAction {
    Start,
    Stop,
    Restart,
    Status,
}

/// The place where ESP is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Datapath {
    /// ESP in this process over a TUN device.
    Userspace,
    /// ESP in the Linux kernel, SAs and policies installed through XFRM.
    Kernel,
    /// The kernel when it has ESP, otherwise userspace.
    Auto,
}

#[derive(Debug, Args)]
pub struct SetupArgs {
    pub action: SetupAction,
    /// Stay in the foreground and log to stderr.
    #[arg(long)]
    pub nofork: bool,
    /// Datapath: where ESP is processed.
    #[arg(long, value_enum, default_value = "auto")]
    pub datapath: Datapath,
    /// Write Wireshark's `ikev1_decryption_table` and `esp_sa` files into DIR as SAs come up.
    #[arg(long, value_name = "DIR")]
    pub wireshark_keys: Option<PathBuf>,
    /// Seconds before the first retransmission of an unanswered IKE message; each further one
    /// doubles it. Openswan waits 10 s; tests use less.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub retransmit_interval: u64,
    #[command(flatten)]
    pub paths: Paths,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("operation").required(true).multiple(false)))]
pub struct AutoArgs {
    /// Load the connection NAME from the config file into the daemon.
    #[arg(long, group = "operation")]
    pub add: bool,
    /// Remove the connection NAME from the daemon, deleting its SAs.
    #[arg(long, group = "operation")]
    pub delete: bool,
    /// Negotiate the connection NAME and print the status lines until it is up or failed.
    #[arg(long, group = "operation")]
    pub up: bool,
    /// Delete the SAs of the connection NAME but keep it loaded.
    #[arg(long, group = "operation")]
    pub down: bool,
    /// Reload the connection NAME from the config file (delete, then add).
    #[arg(long, group = "operation")]
    pub replace: bool,
    /// Reread the secrets file.
    #[arg(long, group = "operation")]
    pub rereadsecrets: bool,
    /// Print the daemon's algorithms, connections and states.
    #[arg(long, group = "operation")]
    pub status: bool,
    /// Connection name.
    pub name: Option<String>,
    #[command(flatten)]
    pub paths: Paths,
}

#[derive(Debug, Args)]
pub struct WhackArgs {
    /// Print the daemon's algorithms, connections and states.
    #[arg(long, required = true)]
    pub status: bool,
    #[command(flatten)]
    pub paths: Paths,
}

/// Exit status for a failure that has no Openswan status code: a usage, file or socket error.
pub const EXIT_FAILURE: u8 = 1;

/// Runs the parsed command and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    let code = match cli.command {
        Command::Setup(args) => daemon::setup(args),
        Command::Auto(args) => run_auto(args),
        Command::Whack(args) => control::run_client(&args.paths, control::Request::Status),
        Command::Verify(args) => verify::run(&args),
        Command::Rsasigkey(args) => return keytools::rsasigkey(&args),
        Command::Showhostkey(args) => return keytools::showhostkey(&args),
        Command::Ranbits(args) => return keytools::ranbits(&args),
        Command::Readwriteconf(args) => return conftools::readwriteconf(&args),
        Command::Addconn(args) => return conftools::addconn(&args),
        Command::Demo(args) => demo::run(&args),
    };
    ExitCode::from(code)
}

fn run_auto(args: AutoArgs) -> u8 {
    let needs_name = !(args.status || args.rereadsecrets);
    let name = match (&args.name, needs_name) {
        (Some(name), _) => name.clone(),
        (None, false) => String::new(),
        (None, true) => {
            eprintln!("auto: missing connection name, e.g. `auto --up net-to-net`");
            return EXIT_FAILURE;
        }
    };

    let request = if args.add {
        control::Request::Add(name)
    } else if args.delete {
        control::Request::Delete(name)
    } else if args.up {
        control::Request::Up(name)
    } else if args.down {
        control::Request::Down(name)
    } else if args.replace {
        control::Request::Replace(name)
    } else if args.rereadsecrets {
        control::Request::RereadSecrets
    } else {
        control::Request::Status
    };
    control::run_client(&args.paths, request)
}
