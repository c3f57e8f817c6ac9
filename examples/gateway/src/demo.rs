//! `gateway demo`: the HOWTO's two sites in network namespaces, run with a pre-shared key and
//! then with RSA keys.
//!
//! ```text
//!  demo-hostL          demo-gwL                 demo-rtr                  demo-gwR          demo-hostR
//!  172.16.1.1 --- in0 172.16.1.254
//!                     out0 192.0.2.1 --- 192.0.2.254  198.51.100.254 --- out0 198.51.100.1
//!                                                                         in0 10.0.0.1 --- 10.0.0.105
//! ```
//!
//! The outside addresses are documentation ranges (RFC 5737) on two different links, so each
//! gateway reaches its peer through the router and `leftnexthop=%defaultroute` matters. Every
//! step runs this binary's own subcommands, as an admin would, and prints what they print.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use clap::Args;

use crate::cli::EXIT_FAILURE;
use crate::netns::{self, CommandError};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Keep the namespaces and daemons after the run, for inspection.
    #[arg(long)]
    pub keep: bool,
    /// Run only the given authentication methods.
    #[arg(long, value_delimiter = ',', default_value = "psk,rsa")]
    pub auth: Vec<DemoAuth>,
    /// Prefix of the namespace names (PREFIX-hostL, PREFIX-gwL, PREFIX-rtr, ...).
    #[arg(long, default_value = "demo")]
    pub prefix: String,
    /// Phase 1 proposals written as `ike=` on both gateways (default: none, the built-in list).
    #[arg(long, value_name = "PROPOSALS")]
    pub ike: Option<String>,
    /// Phase 2 proposals written as `phase2alg=` on both gateways.
    #[arg(long, value_name = "PROPOSALS")]
    pub esp: Option<String>,
    /// `pfs=` on both gateways.
    #[arg(long, value_name = "yes|no")]
    pub pfs: Option<String>,
    /// Write `forceencaps=yes`, so that ESP travels in UDP/4500.
    #[arg(long)]
    pub forceencaps: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoAuth {
    Psk,
    Rsa,
}

/// Namespace names, `PREFIX-hostL` and so on.
#[derive(Debug, Clone)]
struct Names {
    host_l: String,
    gw_l: String,
    router: String,
    gw_r: String,
    host_r: String,
}

impl Names {
    fn new(prefix: &str) -> Names {
        Names {
            host_l: format!("{prefix}-hostL"),
            gw_l: format!("{prefix}-gwL"),
            router: format!("{prefix}-rtr"),
            gw_r: format!("{prefix}-gwR"),
            host_r: format!("{prefix}-hostR"),
        }
    }

    fn all(&self) -> [&str; 5] {
        [
            &self.host_l,
            &self.gw_l,
            &self.router,
            &self.gw_r,
            &self.host_r,
        ]
    }
}

const LEFT_OUTSIDE: &str = "192.0.2.1";
const RIGHT_OUTSIDE: &str = "198.51.100.1";
const LEFT_HOST: &str = "172.16.1.1";
const RIGHT_HOST: &str = "10.0.0.105";

/// Pings sent across the tunnel; every one needs a reply.
const PING_COUNT: &str = "4";

/// Polls, 100 ms apart, for tcpdump to report that it captures.
const CAPTURE_START_POLLS: u32 = 100;

/// The PSK in the HOWTO's example.
const DEMO_PSK: &str = "nonebutourselvescanfreeourminds";

/// Runs the demo; exit status 0 only if every step of every run worked.
pub fn run(args: &DemoArgs) -> u8 {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("find this program's path failed: {error}");
            return EXIT_FAILURE;
        }
    };
    let workdir = std::env::temp_dir().join(format!("gateway-demo.{}", std::process::id()));

    let mut failed = false;
    for auth in &args.auth {
        let mut site = Demo {
            names: Names::new(&args.prefix),
            extra_conf: extra_conf_lines(args),
            exe: exe.clone(),
            workdir: workdir.join(format!("{auth:?}").to_lowercase()),
            daemons_started: Vec::new(),
        };
        banner(&format!("net-to-net with {}", auth_title(*auth)));
        let result = site.run(*auth);
        if !args.keep {
            site.teardown();
        }
        match result {
            Ok(()) => println!("demo: {} run passed", auth_title(*auth)),
            Err(error) => {
                println!("demo: {} run FAILED: {error}", auth_title(*auth));
                failed = true;
            }
        }
    }
    if !args.keep {
        let _ = fs::remove_dir_all(&workdir);
    }

    if failed {
        println!("demo: FAILED");
        EXIT_FAILURE
    } else {
        println!("demo: every step passed");
        0
    }
}

/// Builds the indented conn lines that the test options request.
fn extra_conf_lines(args: &DemoArgs) -> String {
    let mut lines = String::new();
    if let Some(ike) = &args.ike {
        lines.push_str(&format!("    ike={ike}\n"));
    }
    if let Some(esp) = &args.esp {
        lines.push_str(&format!("    phase2alg={esp}\n"));
    }
    if let Some(pfs) = &args.pfs {
        lines.push_str(&format!("    pfs={pfs}\n"));
    }
    if args.forceencaps {
        lines.push_str("    forceencaps=yes\n");
    }
    lines
}

fn auth_title(auth: DemoAuth) -> &'static str {
    match auth {
        DemoAuth::Psk => "a pre-shared key",
        DemoAuth::Rsa => "RSA keys",
    }
}

fn banner(text: &str) {
    println!();
    println!("==== {text}");
}

/// A failed demo step.
#[derive(Debug, thiserror::Error)]
enum DemoError {
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("{0}")]
    Step(String),
    #[error("{path}: {error}")]
    File {
        path: PathBuf,
        error: std::io::Error,
    },
}

struct Demo {
    names: Names,
    /// Conn lines from the test options (`ike=`, `phase2alg=`, `pfs=`, `forceencaps=`).
    extra_conf: String,
    exe: PathBuf,
    workdir: PathBuf,
    daemons_started: Vec<(String, PathBuf)>,
}

/// One gateway's files.
struct Side {
    netns: String,
    dir: PathBuf,
}

impl Side {
    fn config(&self) -> PathBuf {
        self.dir.join("ipsec.conf")
    }
    fn secrets(&self) -> PathBuf {
        self.dir.join("ipsec.secrets")
    }
    fn rundir(&self) -> PathBuf {
        self.dir.join("run")
    }
    fn path_args(&self) -> Vec<String> {
        vec![
            "--config".into(),
            self.config().display().to_string(),
            "--secrets".into(),
            self.secrets().display().to_string(),
            "--rundir".into(),
            self.rundir().display().to_string(),
        ]
    }
}

impl Demo {
    fn run(&mut self, auth: DemoAuth) -> Result<(), DemoError> {
        banner("building the two sites in network namespaces");
        self.teardown_namespaces();
        let n = self.names.clone();
        build_topology(&n)?;
        println!(
            "{} {LEFT_HOST} -> {} {LEFT_OUTSIDE} -> {} -> {} {RIGHT_OUTSIDE} -> {} {RIGHT_HOST}",
            n.host_l, n.gw_l, n.router, n.gw_r, n.host_r
        );

        let left = Side {
            netns: n.gw_l.clone(),
            dir: self.workdir.join("gwL"),
        };
        let right = Side {
            netns: n.gw_r.clone(),
            dir: self.workdir.join("gwR"),
        };
        for side in [&left, &right] {
            create_dir(&side.dir)?;
        }

        match auth {
            DemoAuth::Psk => self.write_psk_files(&left, &right)?,
            DemoAuth::Rsa => self.write_rsa_files(&left, &right)?,
        }

        banner("starting both daemons (setup start)");
        for side in [&right, &left] {
            self.gateway(&side.netns, &["setup", "start"], &side.path_args())?;
            self.daemons_started
                .push((side.netns.clone(), side.rundir()));
            println!("{}: daemon started", side.netns);
        }

        banner(&format!("{}# gateway auto --up net-to-net", n.gw_l));
        self.gateway(
            &n.gw_l,
            &["auto", "--up", "net-to-net"],
            &["--rundir".into(), left.rundir().display().to_string()],
        )?;

        banner(&format!(
            "{}# ping -c {PING_COUNT} {RIGHT_HOST}, capturing on the router's link to {}",
            n.host_l, n.gw_l
        ));
        let capture_file = self.workdir.join("outside.pcap");
        let capture = start_capture(&capture_file, &n.router)?;
        let ping = netns::output(
            Some(&n.host_l),
            "ping",
            &["-c", PING_COUNT, "-i", "0.3", "-W", "2", RIGHT_HOST],
        );
        thread::sleep(Duration::from_millis(300));
        stop_capture(capture);
        let ping = ping?;
        print!("{}", String::from_utf8_lossy(&ping.stdout));
        if !ping.status.success() {
            return Err(DemoError::Step(format!(
                "ping from {LEFT_HOST} to {RIGHT_HOST} across the tunnel failed"
            )));
        }

        banner("capture summary of the outside link");
        check_capture(&capture_file)?;

        banner(&format!("{}# gateway auto --status", n.gw_l));
        self.gateway(
            &n.gw_l,
            &["auto", "--status"],
            &["--rundir".into(), left.rundir().display().to_string()],
        )?;
        Ok(())
    }

    /// Writes the HOWTO's PSK `net-to-net` conn and secrets line for both gateways.
    fn write_psk_files(&self, left: &Side, right: &Side) -> Result<(), DemoError> {
        banner("writing the HOWTO's net-to-net conn with authby=secret");
        let conf = net_to_net_conf("    authby=secret\n", &self.extra_conf);
        let secrets = format!("{LEFT_OUTSIDE} {RIGHT_OUTSIDE} : PSK \"{DEMO_PSK}\"\n");
        for side in [left, right] {
            write_file(&side.config(), &conf)?;
            write_secrets(&side.secrets(), &secrets)?;
        }
        print!("{conf}");
        Ok(())
    }

    /// Makes one RSA key per gateway with `rsasigkey`, puts it into that gateway's secrets,
    /// and takes the public halves with `showhostkey --left/--right` into the shared conn.
    fn write_rsa_files(&self, left: &Side, right: &Side) -> Result<(), DemoError> {
        banner("making RSA keys: gateway rsasigkey --verbose 2048 > keys.tmp");
        for side in [left, right] {
            let key = self.gateway_output(None, &["rsasigkey", "--verbose", "2048"], &[])?;
            write_file(&side.dir.join("keys.tmp"), &key)?;
            write_secrets(&side.secrets(), &format!(": RSA {{\n{key}\t}}\n"))?;
            println!(
                "{}: key written to {}",
                side.netns,
                side.secrets().display()
            );
        }

        banner("gateway showhostkey --left > /tmp/left.pub; gateway showhostkey --right > /tmp/right.pub");
        let left_key = self.gateway_output(
            None,
            &["showhostkey", "--left"],
            &["--secrets".into(), left.secrets().display().to_string()],
        )?;
        let right_key = self.gateway_output(
            None,
            &["showhostkey", "--right"],
            &["--secrets".into(), right.secrets().display().to_string()],
        )?;
        print!("{left_key}{right_key}");

        let keys = format!(
            "    leftid=@vpn1.example.com\n    rightid=@vpn2.example.com\n{}\n{}\n",
            indent_key_line(&left_key),
            indent_key_line(&right_key)
        );
        let conf = net_to_net_conf(&keys, &self.extra_conf);
        for side in [left, right] {
            write_file(&side.config(), &conf)?;
        }
        banner("the net-to-net conn on both gateways");
        print!("{conf}");
        Ok(())
    }

    /// Runs `gateway ARGS EXTRA` in `netns`, printing its output; fails on a non-zero exit.
    fn gateway(&self, netns: &str, args: &[&str], extra: &[String]) -> Result<(), DemoError> {
        let output = self.gateway_command(Some(netns), args, extra).output();
        let output = output.map_err(|error| DemoError::Step(format!("run gateway: {error}")))?;
        print!("{}", String::from_utf8_lossy(&output.stdout));
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        if !output.status.success() {
            return Err(DemoError::Step(format!(
                "`gateway {}` in {netns} failed ({})",
                args.join(" "),
                output.status
            )));
        }
        Ok(())
    }

    /// Runs `gateway ARGS EXTRA` and returns its stdout; fails on a non-zero exit.
    fn gateway_output(
        &self,
        netns: Option<&str>,
        args: &[&str],
        extra: &[String],
    ) -> Result<String, DemoError> {
        let output = self.gateway_command(netns, args, extra).output();
        let output = output.map_err(|error| DemoError::Step(format!("run gateway: {error}")))?;
        if !output.status.success() {
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            return Err(DemoError::Step(format!(
                "`gateway {}` failed ({})",
                args.join(" "),
                output.status
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    fn gateway_command(&self, netns: Option<&str>, args: &[&str], extra: &[String]) -> Command {
        let exe = self.exe.display().to_string();
        let mut command = netns::command(netns, &exe, args);
        command.args(extra).stdin(Stdio::null());
        command
    }

    fn teardown(&mut self) {
        for (netns, rundir) in self.daemons_started.drain(..) {
            let _ = netns::output(
                Some(&netns),
                &self.exe.display().to_string(),
                &["setup", "stop", "--rundir", &rundir.display().to_string()],
            );
        }
        self.teardown_namespaces();
    }

    fn teardown_namespaces(&self) {
        for name in self.names.all() {
            let _ = netns::output(None, "ip", &["netns", "del", name]);
        }
    }
}

/// Builds the HOWTO's `net-to-net` conn with the demo's addresses. `auth` contains the indented
/// lines that differ between PSK and RSA, `extra` the test options' lines.
fn net_to_net_conf(auth: &str, extra: &str) -> String {
    format!(
        "# ipsec.conf written by `gateway demo`, after the HOWTO's net-to-net example.\n\
         config setup\n\
         \x20   protostack=netkey\n\
         \n\
         conn net-to-net\n\
         {auth}\
         \x20   left={LEFT_OUTSIDE}\n\
         \x20   leftsubnet=172.16.1.0/24\n\
         \x20   leftnexthop=%defaultroute\n\
         \x20   right={RIGHT_OUTSIDE}\n\
         \x20   rightsubnet=10.0.0.0/24\n\
         \x20   rightnexthop=%defaultroute\n\
         \x20   auto=add\n\
         {extra}"
    )
}

/// Turns showhostkey's `\tleftrsasigkey=0s...` line into one indented conn line.
fn indent_key_line(output: &str) -> String {
    let line = output
        .lines()
        .map(str::trim)
        .find(|line| line.contains("rsasigkey="))
        .unwrap_or_default();
    format!("    {line}")
}

fn build_topology(n: &Names) -> Result<(), DemoError> {
    for name in n.all() {
        netns::ip(&["netns", "add", name])?;
        netns::run(Some(name), "ip", &["link", "set", "lo", "up"])?;
    }

    // Links: veth pairs created directly inside their namespaces.
    let links = [
        (&n.host_l, "eth0", &n.gw_l, "in0"),
        (&n.gw_l, "out0", &n.router, "toL"),
        (&n.router, "toR", &n.gw_r, "out0"),
        (&n.gw_r, "in0", &n.host_r, "eth0"),
    ];
    for (a, a_if, b, b_if) in links {
        netns::run(
            Some(a),
            "ip",
            &[
                "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b,
            ],
        )?;
        netns::run(Some(a), "ip", &["link", "set", a_if, "up"])?;
        netns::run(Some(b), "ip", &["link", "set", b_if, "up"])?;
    }

    let addresses = [
        (&n.host_l, "eth0", "172.16.1.1/24"),
        (&n.gw_l, "in0", "172.16.1.254/24"),
        (&n.gw_l, "out0", "192.0.2.1/24"),
        (&n.router, "toL", "192.0.2.254/24"),
        (&n.router, "toR", "198.51.100.254/24"),
        (&n.gw_r, "out0", "198.51.100.1/24"),
        (&n.gw_r, "in0", "10.0.0.1/24"),
        (&n.host_r, "eth0", "10.0.0.105/24"),
    ];
    for (name, interface, address) in addresses {
        netns::run(
            Some(name),
            "ip",
            &["addr", "add", address, "dev", interface],
        )?;
    }

    let routes = [
        (&n.host_l, "172.16.1.254"),
        (&n.gw_l, "192.0.2.254"),
        (&n.gw_r, "198.51.100.254"),
        (&n.host_r, "10.0.0.1"),
    ];
    for (name, gateway) in routes {
        netns::run(
            Some(name),
            "ip",
            &["route", "add", "default", "via", gateway],
        )?;
    }
    for name in [&n.gw_l, &n.router, &n.gw_r] {
        netns::run(Some(name), "sysctl", &["-qw", "net.ipv4.ip_forward=1"])?;
    }
    Ok(())
}

fn start_capture(file: &Path, router: &str) -> Result<Child, DemoError> {
    let errors = file.with_extension("err");
    let stderr = fs::File::create(&errors).map_err(|error| DemoError::File {
        path: errors.clone(),
        error,
    })?;
    let file = file.display().to_string();
    let child = netns::command(
        Some(router),
        "tcpdump",
        &[
            "-i",
            "toL",
            "-n",
            "-U",
            "--immediate-mode",
            "-w",
            &file,
            "ip",
        ],
    )
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(stderr)
    .spawn()
    .map_err(|error| DemoError::Step(format!("start tcpdump: {error}")))?;

    // tcpdump prints "listening on" once it captures; a loaded machine can take seconds.
    for _ in 0..CAPTURE_START_POLLS {
        let text = fs::read_to_string(&errors).unwrap_or_default();
        if text.contains("listening on") {
            return Ok(child);
        }
        thread::sleep(Duration::from_millis(100));
    }
    stop_capture(child);
    Err(DemoError::Step(format!(
        "tcpdump did not start within {} s",
        CAPTURE_START_POLLS / 10
    )))
}

fn stop_capture(mut capture: Child) {
    let _ = Command::new("kill")
        .arg("-INT")
        .arg(capture.id().to_string())
        .status();
    let _ = capture.wait();
}

/// Prints the capture and checks it: ESP in both directions and no other IP packet.
fn check_capture(file: &Path) -> Result<(), DemoError> {
    let file = file.display().to_string();
    let all = netns::run(None, "tcpdump", &["-n", "-r", &file])?;
    for line in all.lines() {
        println!("  {line}");
    }

    let count = |filter: &str| -> Result<usize, DemoError> {
        let lines = netns::run(None, "tcpdump", &["-n", "-r", &file, filter])?;
        Ok(lines.lines().count())
    };
    let esp_out = count(&format!(
        "src {LEFT_OUTSIDE} and (esp or (udp port 4500 and udp[8:4] != 0))"
    ))?;
    let esp_in = count(&format!(
        "dst {LEFT_OUTSIDE} and (esp or (udp port 4500 and udp[8:4] != 0))"
    ))?;
    let other = count("ip and not esp and not (udp port 4500 and udp[8:4] != 0)")?;
    println!("ESP {LEFT_OUTSIDE} -> {RIGHT_OUTSIDE}: {esp_out} packets, back: {esp_in} packets, anything else: {other} packets");

    if esp_out == 0 || esp_in == 0 {
        return Err(DemoError::Step(
            "the capture shows no ESP in one direction".into(),
        ));
    }
    if other != 0 {
        return Err(DemoError::Step(format!(
            "the outside link carried {other} packets that were not ESP"
        )));
    }
    println!("the outside link carried only ESP");
    Ok(())
}

fn create_dir(path: &Path) -> Result<(), DemoError> {
    fs::create_dir_all(path).map_err(|error| DemoError::File {
        path: path.to_path_buf(),
        error,
    })
}

fn write_file(path: &Path, text: &str) -> Result<(), DemoError> {
    fs::write(path, text).map_err(|error| DemoError::File {
        path: path.to_path_buf(),
        error,
    })
}

/// Writes a secrets file readable by its owner only, as Openswan expects.
fn write_secrets(path: &Path, text: &str) -> Result<(), DemoError> {
    use std::os::unix::fs::PermissionsExt;

    write_file(path, text)?;
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(|error| DemoError::File {
        path: path.to_path_buf(),
        error,
    })
}
