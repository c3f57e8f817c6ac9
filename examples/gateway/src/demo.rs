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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoAuth {
    Psk,
    Rsa,
}

/// Namespace names, with a prefix that no other user of this machine's namespaces takes.
pub const HOST_L: &str = "demo-hostL";
pub const GW_L: &str = "demo-gwL";
pub const ROUTER: &str = "demo-rtr";
pub const GW_R: &str = "demo-gwR";
pub const HOST_R: &str = "demo-hostR";

const ALL_NAMESPACES: [&str; 5] = [HOST_L, GW_L, ROUTER, GW_R, HOST_R];

const LEFT_OUTSIDE: &str = "192.0.2.1";
const RIGHT_OUTSIDE: &str = "198.51.100.1";
const LEFT_HOST: &str = "172.16.1.1";
const RIGHT_HOST: &str = "10.0.0.105";

/// Pings sent across the tunnel; all must be answered.
const PING_COUNT: &str = "4";

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
    exe: PathBuf,
    workdir: PathBuf,
    daemons_started: Vec<(&'static str, PathBuf)>,
}

/// One gateway's files.
struct Side {
    netns: &'static str,
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
        build_topology()?;
        println!("{HOST_L} {LEFT_HOST} -> {GW_L} {LEFT_OUTSIDE} -> {ROUTER} -> {GW_R} {RIGHT_OUTSIDE} -> {HOST_R} {RIGHT_HOST}");

        let left = Side {
            netns: GW_L,
            dir: self.workdir.join("gwL"),
        };
        let right = Side {
            netns: GW_R,
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
            self.gateway(side.netns, &["setup", "start"], &side.path_args())?;
            self.daemons_started.push((side.netns, side.rundir()));
            println!("{}: daemon started", side.netns);
        }

        banner(&format!("{GW_L}# gateway auto --up net-to-net"));
        self.gateway(
            GW_L,
            &["auto", "--up", "net-to-net"],
            &["--rundir".into(), left.rundir().display().to_string()],
        )?;

        banner(&format!(
            "{HOST_L}# ping -c {PING_COUNT} {RIGHT_HOST}, capturing on the router's link to {GW_L}"
        ));
        let capture_file = self.workdir.join("outside.pcap");
        let capture = start_capture(&capture_file)?;
        let ping = netns::output(
            Some(HOST_L),
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

        banner(&format!("{GW_L}# gateway auto --status"));
        self.gateway(
            GW_L,
            &["auto", "--status"],
            &["--rundir".into(), left.rundir().display().to_string()],
        )?;
        Ok(())
    }

    /// Writes the HOWTO's PSK `net-to-net` conn and secrets line for both gateways.
    fn write_psk_files(&self, left: &Side, right: &Side) -> Result<(), DemoError> {
        banner("writing the HOWTO's net-to-net conn with authby=secret");
        let conf = net_to_net_conf("    authby=secret\n");
        let secrets = format!("{LEFT_OUTSIDE} {RIGHT_OUTSIDE} : PSK \"{DEMO_PSK}\"\n");
        for side in [left, right] {
            write_file(&side.config(), &conf)?;
            write_file(&side.secrets(), &secrets)?;
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
            write_file(&side.secrets(), &format!(": RSA {{\n{key}\t}}\n"))?;
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
        let conf = net_to_net_conf(&keys);
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
                Some(netns),
                &self.exe.display().to_string(),
                &["setup", "stop", "--rundir", &rundir.display().to_string()],
            );
        }
        self.teardown_namespaces();
    }

    fn teardown_namespaces(&self) {
        for name in ALL_NAMESPACES {
            let _ = netns::output(None, "ip", &["netns", "del", name]);
        }
    }
}

/// The HOWTO's `net-to-net` conn with the demo's addresses; `auth` holds the indented lines
/// that differ between PSK and RSA.
fn net_to_net_conf(auth: &str) -> String {
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
         \x20   auto=add\n"
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

fn build_topology() -> Result<(), DemoError> {
    for name in ALL_NAMESPACES {
        netns::ip(&["netns", "add", name])?;
        netns::run(Some(name), "ip", &["link", "set", "lo", "up"])?;
    }

    // Links: veth pairs created directly inside their namespaces.
    let links = [
        (HOST_L, "eth0", GW_L, "in0"),
        (GW_L, "out0", ROUTER, "toL"),
        (ROUTER, "toR", GW_R, "out0"),
        (GW_R, "in0", HOST_R, "eth0"),
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
        (HOST_L, "eth0", "172.16.1.1/24"),
        (GW_L, "in0", "172.16.1.254/24"),
        (GW_L, "out0", "192.0.2.1/24"),
        (ROUTER, "toL", "192.0.2.254/24"),
        (ROUTER, "toR", "198.51.100.254/24"),
        (GW_R, "out0", "198.51.100.1/24"),
        (GW_R, "in0", "10.0.0.1/24"),
        (HOST_R, "eth0", "10.0.0.105/24"),
    ];
    for (name, interface, address) in addresses {
        netns::run(
            Some(name),
            "ip",
            &["addr", "add", address, "dev", interface],
        )?;
    }

    let routes = [
        (HOST_L, "172.16.1.254"),
        (GW_L, "192.0.2.254"),
        (GW_R, "198.51.100.254"),
        (HOST_R, "10.0.0.1"),
    ];
    for (name, gateway) in routes {
        netns::run(
            Some(name),
            "ip",
            &["route", "add", "default", "via", gateway],
        )?;
    }
    for name in [GW_L, ROUTER, GW_R] {
        netns::run(Some(name), "sysctl", &["-qw", "net.ipv4.ip_forward=1"])?;
    }
    Ok(())
}

fn start_capture(file: &Path) -> Result<Child, DemoError> {
    let file = file.display().to_string();
    let child = netns::command(
        Some(ROUTER),
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
    .stderr(Stdio::null())
    .spawn()
    .map_err(|error| DemoError::Step(format!("start tcpdump: {error}")))?;
    // tcpdump needs a moment to open the interface before the first packet.
    thread::sleep(Duration::from_millis(700));
    Ok(child)
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
