//! `setup start|stop|restart|status`: the daemon's life cycle.
//!
//! `setup start` without `--nofork` runs the same binary again with `--nofork` in its own
//! process group, its output going to `pluto.log` under the run directory, and returns once
//! the control socket accepts a connection (or the child failed, printing the child's log). The foreground
//! daemon loads and checks the whole configuration before it binds anything, so a bad file
//! never leaves a half-configured daemon behind.

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::net::{UnixListener, UnixStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use tracing::{error, info, warn};

use crate::cli::{Paths, SetupAction, SetupArgs, EXIT_FAILURE};
use crate::control::{self, Reply, Request, MAX_REQUEST_LEN};
use crate::engine::{self, Input};

/// How long `setup start` waits for the forked daemon's control socket.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// How long `setup stop` waits for the daemon to exit after asking it to.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);

/// Exit status of `setup status` when no daemon runs, as in LSB init scripts.
const EXIT_NOT_RUNNING: u8 = 3;

/// Runs `setup ACTION`.
pub fn setup(args: SetupArgs) -> u8 {
    match args.action {
        SetupAction::Start if args.nofork => run_foreground(&args),
        SetupAction::Start => start_background(&args),
        SetupAction::Stop => stop(&args.paths),
        SetupAction::Restart => {
            let rc = stop(&args.paths);
            if rc != 0 && rc != EXIT_NOT_RUNNING {
                return rc;
            }
            start_background(&args)
        }
        SetupAction::Status => status(&args.paths),
    }
}

/// Returns the pid in the pid file if that process is alive.
pub fn is_running(paths: &Paths) -> bool {
    running_pid(paths).is_some()
}

fn running_pid(paths: &Paths) -> Option<u32> {
    let text = fs::read_to_string(paths.pid_file()).ok()?;
    let pid: u32 = text.trim().parse().ok()?;
    Path::new(&format!("/proc/{pid}")).exists().then_some(pid)
}

fn status(paths: &Paths) -> u8 {
    match running_pid(paths) {
        Some(pid) => {
            println!("IPsec running, pluto pid {pid}");
            0
        }
        None => {
            println!("IPsec stopped");
            EXIT_NOT_RUNNING
        }
    }
}

fn start_background(args: &SetupArgs) -> u8 {
    if let Some(pid) = running_pid(&args.paths) {
        eprintln!("setup start: the daemon already runs as pid {pid}");
        return EXIT_FAILURE;
    }
    if let Err(error) = fs::create_dir_all(&args.paths.rundir) {
        eprintln!("create {} failed: {error}", args.paths.rundir.display());
        return EXIT_FAILURE;
    }
    let log_path = args.paths.log_file();
    let log = match fs::File::create(&log_path) {
        Ok(log) => log,
        Err(error) => {
            eprintln!("create {} failed: {error}", log_path.display());
            return EXIT_FAILURE;
        }
    };
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(error) => {
            eprintln!("find this program's path failed: {error}");
            return EXIT_FAILURE;
        }
    };

    let mut command = Command::new(exe);
    command
        .arg("setup")
        .arg("start")
        .arg("--nofork")
        .arg("--config")
        .arg(&args.paths.config)
        .arg("--secrets")
        .arg(&args.paths.secrets)
        .arg("--rundir")
        .arg(&args.paths.rundir)
        .arg("--datapath")
        .arg(format!("{:?}", args.datapath).to_lowercase());
    command
        .arg("--retransmit-interval")
        .arg(args.retransmit_interval.to_string());
    if let Some(dir) = &args.wireshark_keys {
        command.arg("--wireshark-keys").arg(dir);
    }
    let stderr = match log.try_clone() {
        Ok(stderr) => stderr,
        Err(error) => {
            eprintln!("duplicate the log file handle failed: {error}");
            return EXIT_FAILURE;
        }
    };
    command
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(stderr)
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            eprintln!("start the daemon failed: {error}");
            return EXIT_FAILURE;
        }
    };

    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        // The daemon binds the control socket before it writes the pid file: wait for both,
        // so that an immediate `setup stop` finds the pid.
        if UnixStream::connect(args.paths.control_socket()).is_ok()
            && running_pid(&args.paths).is_some()
        {
            return 0;
        }
        if let Ok(Some(exit)) = child.try_wait() {
            eprintln!("the daemon exited during start-up ({exit}); its log follows:");
            eprint!("{}", fs::read_to_string(&log_path).unwrap_or_default());
            return EXIT_FAILURE;
        }
        thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "the daemon did not open its control socket within {} s; see {}",
        START_TIMEOUT.as_secs(),
        log_path.display()
    );
    EXIT_FAILURE
}

fn stop(paths: &Paths) -> u8 {
    let Some(pid) = running_pid(paths) else {
        println!("IPsec stopped");
        return EXIT_NOT_RUNNING;
    };

    // Ask politely through the control socket so that the daemon deletes its SAs; fall back
    // to SIGTERM when the socket is gone.
    let asked = UnixStream::connect(paths.control_socket())
        .and_then(|stream| control::exchange(stream, &Request::Shutdown, |_| {}))
        .is_ok();
    if !asked {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status();
    }

    let deadline = Instant::now() + STOP_TIMEOUT;
    while Instant::now() < deadline {
        if !Path::new(&format!("/proc/{pid}")).exists() || is_zombie(pid) {
            return 0;
        }
        thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "setup stop: pid {pid} still runs after {} s",
        STOP_TIMEOUT.as_secs()
    );
    EXIT_FAILURE
}

/// True if the process has exited and only waits for its parent to reap it.
fn is_zombie(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
}

/// Runs the daemon in this process until `setup stop`, SIGTERM or SIGINT.
fn run_foreground(args: &SetupArgs) -> u8 {
    let paths = &args.paths;
    if let Some(pid) = running_pid(paths) {
        error!(pid, "the daemon already runs");
        return EXIT_FAILURE;
    }

    // Everything that can be wrong in the files is found before anything is bound.
    let settings = match engine::Settings::load(args) {
        Ok(settings) => settings,
        Err(message) => {
            eprintln!("{message}");
            error!("configuration rejected; the daemon does not start");
            return EXIT_FAILURE;
        }
    };

    if let Err(error) = fs::create_dir_all(&paths.rundir) {
        error!(%error, dir = %paths.rundir.display(), "create the run directory failed");
        return EXIT_FAILURE;
    }
    let socket_path = paths.control_socket();
    let _ = fs::remove_file(&socket_path);
    let listener = match UnixListener::bind(&socket_path) {
        Ok(listener) => listener,
        Err(error) => {
            error!(%error, socket = %socket_path.display(), "bind the control socket failed");
            return EXIT_FAILURE;
        }
    };

    let (inputs, input_rx) = mpsc::channel::<Input>();
    let mut engine = match engine::Engine::start(settings, inputs.clone()) {
        Ok(engine) => engine,
        Err(message) => {
            error!("{message}");
            let _ = fs::remove_file(&socket_path);
            return EXIT_FAILURE;
        }
    };

    if let Err(error) = fs::write(paths.pid_file(), format!("{}\n", std::process::id())) {
        error!(%error, "write the pid file failed");
        let _ = fs::remove_file(&socket_path);
        return EXIT_FAILURE;
    }
    spawn_control_listener(listener, inputs.clone());
    spawn_signal_watcher(inputs);
    info!(pid = std::process::id(), "daemon started");

    engine.run(input_rx);

    let _ = fs::remove_file(&socket_path);
    let _ = fs::remove_file(paths.pid_file());
    info!("daemon stopped");
    0
}

fn spawn_control_listener(listener: UnixListener, inputs: mpsc::Sender<Input>) {
    thread::spawn(move || {
        for stream in listener.incoming() {
            let stream = match stream {
                Ok(stream) => stream,
                Err(error) => {
                    warn!(%error, "accept on the control socket failed");
                    continue;
                }
            };
            let Some(request) = read_request(&stream) else {
                let mut reply = Reply::new(stream);
                reply.line("021 invalid request");
                reply.finish(EXIT_FAILURE);
                continue;
            };
            if inputs
                .send(Input::Control {
                    request,
                    reply: Reply::new(stream),
                })
                .is_err()
            {
                break;
            }
        }
    });
}

fn read_request(stream: &UnixStream) -> Option<Request> {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut line = String::new();
    let mut reader = BufReader::new(Read::take(stream, MAX_REQUEST_LEN as u64));
    reader.read_line(&mut line).ok()?;
    Request::parse(&line)
}

fn spawn_signal_watcher(inputs: mpsc::Sender<Input>) {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;

    let mut signals = match Signals::new([SIGINT, SIGTERM]) {
        Ok(signals) => signals,
        Err(error) => {
            warn!(%error, "install the signal handlers failed; stop the daemon with `setup stop`");
            return;
        }
    };
    thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            info!(signal, "signal received, shutting down");
            let _ = inputs.send(Input::Shutdown);
        }
    });
}
