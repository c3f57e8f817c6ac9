//! The daemon's event loop.
//!
//! Threads, not an async runtime: the gateway has a handful of blocking sources (the UDP
//! sockets on 500 and 4500 of each local address, the raw ESP socket, the TUN device, the
//! control socket), each read by one thread. IKE inputs go through one channel to the loop
//! thread. That thread alone owns the sans-IO `ike_sm::Endpoint`, so the engine needs no lock.
//! The loop waits on the channel with a timeout equal to the engine's next timer. ESP packets
//! never enter this loop: the datapath threads look up SAs in tables that this loop fills.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use ike_sm::{Endpoint, EndpointConfig, Event};
use ipsec_conf::Auto;
use rand::SeedableRng;
use tracing::{debug, error, info, warn};

use crate::cli::{Datapath as DatapathChoice, SetupArgs, EXIT_FAILURE};
use crate::control::{Reply, Request};
use crate::datapath::{Coalescer, Datapath};
use crate::kernel::KernelDatapath;
use crate::settings::{self, ConnSpec, IKE_PORT};
use crate::status;
use crate::wireshark::KeyExport;

/// Maximum wait of the loop when the engine has no timer armed.
const IDLE_WAIT: Duration = Duration::from_secs(60);

/// UDP port of IKE after NAT-T's float and of UDP-encapsulated ESP (RFC 3947, RFC 3948).
pub const NAT_T_PORT: u16 = 4500;

/// Largest UDP datagram the socket threads read.
const MAX_DATAGRAM: usize = 65_535;

/// Whack status code of Openswan's "no connection named" error.
const RC_UNKNOWN_NAME: u8 = 20;

/// An input to the event loop.
pub enum Input {
    Datagram {
        local: SocketAddr,
        remote: SocketAddr,
        bytes: Vec<u8>,
    },
    Control {
        request: Request,
        reply: Reply,
    },
    Shutdown,
}

/// Everything read from the files, checked before the daemon binds anything.
pub struct Settings {
    pub conns: Vec<ConnSpec>,
    /// ESP in the kernel through XFRM rather than in this process.
    pub kernel_datapath: bool,
    pub wireshark_keys: Option<std::path::PathBuf>,
    pub retransmit_interval: Duration,
    pub config_path: std::path::PathBuf,
    pub secrets_path: std::path::PathBuf,
}

impl Settings {
    /// Reads and checks the configuration and secrets; the error is the text to print.
    pub fn load(args: &SetupArgs) -> Result<Settings, String> {
        let conns = load_conns(&args.paths.config, &args.paths.secrets)?;
        let kernel_datapath = match args.datapath {
            DatapathChoice::Userspace => false,
            DatapathChoice::Kernel if kernel_has_esp() => true,
            DatapathChoice::Kernel => {
                return Err(
                    "--datapath kernel: this kernel cannot install ESP SAs (no CONFIG_INET_ESP); use --datapath userspace"
                        .into(),
                )
            }
            DatapathChoice::Auto => kernel_has_esp(),
        };
        Ok(Settings {
            conns,
            kernel_datapath,
            wireshark_keys: args.wireshark_keys.clone(),
            retransmit_interval: Duration::from_secs(args.retransmit_interval.max(1)),
            config_path: args.paths.config.clone(),
            secrets_path: args.paths.secrets.clone(),
        })
    }
}

/// Loads every conn that is not `auto=ignore`.
fn load_conns(config_path: &Path, secrets_path: &Path) -> Result<Vec<ConnSpec>, String> {
    let (config, secrets) = settings::load(config_path, secrets_path)?;
    let mut conns = Vec::new();
    for conn in &config.conns {
        if conn.auto == Auto::Ignore {
            continue;
        }
        conns.push(settings::conn_spec(conn, &config, &secrets, secrets_path)?);
    }
    Ok(conns)
}

/// A client of `auto --up` waiting for its conn's outcome.
struct UpWaiter {
    conn: String,
    reply: Reply,
    last_code: u16,
}

pub struct Engine {
    endpoint: Endpoint,
    conns: Vec<ConnSpec>,
    config_path: std::path::PathBuf,
    secrets_path: std::path::PathBuf,
    sockets: HashMap<SocketAddr, UdpSocket>,
    datapath: Arc<Datapath>,
    inputs: Sender<Input>,
    waiters: Vec<UpWaiter>,
    started: Instant,
    key_export: Option<KeyExport>,
    kernel: Option<KernelDatapath>,
}

impl Engine {
    /// Binds the sockets, opens the datapath and loads every conn; `auto=start` conns are
    /// initiated when the loop runs.
    pub fn start(settings: Settings, inputs: Sender<Input>) -> Result<Engine, String> {
        let key_export = settings
            .wireshark_keys
            .as_deref()
            .map(KeyExport::new)
            .transpose()?;
        let (datapath, kernel) = if settings.kernel_datapath {
            info!("datapath: kernel ESP through XFRM");
            (Datapath::counters_only(), Some(KernelDatapath::open()?))
        } else {
            info!("datapath: userspace ESP over TUN");
            (Datapath::open()?, None)
        };
        let rng = Box::new(rand::rngs::StdRng::from_entropy());
        let mut endpoint_config = EndpointConfig::default();
        endpoint_config.retransmit_interval = settings.retransmit_interval;
        let endpoint = Endpoint::new(endpoint_config, rng);
        let mut engine = Engine {
            endpoint,
            conns: Vec::new(),
            config_path: settings.config_path,
            secrets_path: settings.secrets_path,
            sockets: HashMap::new(),
            datapath,
            inputs,
            waiters: Vec::new(),
            started: Instant::now(),
            key_export,
            kernel,
        };
        for conn in settings.conns {
            engine.add_conn(conn)?;
        }
        engine.datapath.spawn_threads();
        Ok(engine)
    }

    /// Adds a conn to the engine, binding its local address's sockets and routing its remote
    /// subnet into the TUN device.
    fn add_conn(&mut self, conn: ConnSpec) -> Result<(), String> {
        let local_ip = conn.config.local.ip();
        self.bind(local_ip)?;
        if let Some(subnet) = &conn.config.remote_subnet {
            self.datapath.route(subnet)?;
        }
        self.endpoint
            .add_connection(conn.config.clone())
            .map_err(|error| error.to_string())?;
        info!(conn = conn.name(), local = %conn.config.local, remote = %conn.config.remote, "connection added");
        self.conns.push(conn);
        Ok(())
    }

    /// Binds UDP 500 and 4500 on `addr` once, each with its reader thread.
    fn bind(&mut self, addr: IpAddr) -> Result<(), String> {
        for port in [IKE_PORT, NAT_T_PORT] {
            let local = SocketAddr::new(addr, port);
            if self.sockets.contains_key(&local) {
                continue;
            }
            let socket = UdpSocket::bind(local)
                .map_err(|error| format!("bind UDP {local} failed: {error}"))?;
            let reader = socket
                .try_clone()
                .map_err(|error| format!("clone the socket {local}: {error}"))?;
            if port == NAT_T_PORT {
                let sender = socket
                    .try_clone()
                    .map_err(|error| format!("clone the socket {local}: {error}"))?;
                self.datapath.add_nat_t_socket(addr, sender);
            }
            let inputs = self.inputs.clone();
            let datapath = Arc::clone(&self.datapath);
            thread::Builder::new()
                .name(format!("udp-{local}"))
                .spawn(move || read_udp(reader, local, inputs, datapath))
                .map_err(|error| format!("spawn a socket thread: {error}"))?;
            self.sockets.insert(local, socket);
            info!(%local, "listening for IKE");
        }
        Ok(())
    }

    /// Runs until a shutdown request or signal.
    pub fn run(&mut self, inputs: Receiver<Input>) {
        let starting: Vec<String> = self
            .conns
            .iter()
            .filter(|conn| conn.auto == Auto::Start)
            .map(|conn| conn.name().to_string())
            .collect();
        for name in starting {
            info!(conn = %name, "auto=start: initiating");
            if let Err(error) = self.endpoint.initiate(Instant::now(), &name) {
                warn!(conn = %name, %error, "initiate failed");
            }
        }
        self.drain();

        loop {
            let wait = match self.endpoint.poll_timeout() {
                Some(at) => at.saturating_duration_since(Instant::now()),
                None => IDLE_WAIT,
            };
            let input = match inputs.recv_timeout(wait) {
                Ok(input) => Some(input),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let now = Instant::now();
            match input {
                None => {}
                Some(Input::Shutdown) => {
                    self.shutdown();
                    return;
                }
                Some(Input::Datagram {
                    local,
                    remote,
                    bytes,
                }) => self.handle_datagram(now, local, remote, &bytes),
                Some(Input::Control { request, reply }) => {
                    let stop = self.handle_control(request, reply);
                    if stop {
                        self.shutdown();
                        return;
                    }
                }
            }
            if self
                .endpoint
                .poll_timeout()
                .is_some_and(|at| at <= Instant::now())
            {
                self.endpoint.handle_timeout(Instant::now());
            }
            self.drain();
        }
    }

    /// Passes a received IKE datagram to the engine unless it is malformed.
    fn handle_datagram(
        &mut self,
        now: Instant,
        local: SocketAddr,
        remote: SocketAddr,
        bytes: &[u8],
    ) {
        if self.is_well_formed(local, remote, bytes) {
            self.endpoint.handle(now, local, remote, bytes);
        }
    }

    /// Checks that a datagram parses as ISAKMP, after the non-ESP marker on port 4500. The ones
    /// that do not are counted and logged (rate-limited), and never reach the engine.
    fn is_well_formed(&self, local: SocketAddr, remote: SocketAddr, datagram: &[u8]) -> bool {
        let ike = if local.port() == NAT_T_PORT {
            match datagram.strip_prefix(&ike_wire::NON_ESP_MARKER[..]) {
                Some(ike) => ike,
                None => datagram,
            }
        } else {
            datagram
        };
        match ike_wire::IsakmpMessage::parse(ike) {
            Ok(_) => true,
            Err(error) => {
                debug!(%local, %remote, %error, "malformed IKE datagram");
                self.datapath.count_drop(
                    &self.datapath.drops.ike_malformed,
                    "ike_malformed",
                    &format!("malformed IKE datagram from {remote} dropped: {error}"),
                );
                false
            }
        }
    }

    /// Deletes every SA (sending Delete notifications) before the daemon exits.
    fn shutdown(&mut self) {
        let now = Instant::now();
        let names: Vec<String> = self.conns.iter().map(|c| c.name().to_string()).collect();
        for name in names {
            let _ = self.endpoint.delete(now, &name);
        }
        self.drain();
        if let Some(kernel) = &self.kernel {
            kernel.remove_all();
        }
        for waiter in self.waiters.drain(..) {
            let mut reply = waiter.reply;
            reply.line(&format!(
                "003 \"{}\": the daemon is shutting down",
                waiter.conn
            ));
            reply.finish(EXIT_FAILURE);
        }
    }

    /// Sends every pending datagram and handles every pending event.
    fn drain(&mut self) {
        while let Some(transmit) = self.endpoint.poll_transmit() {
            match self.sockets.get(&transmit.local) {
                Some(socket) => {
                    if let Err(error) = socket.send_to(&transmit.payload, transmit.remote) {
                        warn!(%error, local = %transmit.local, remote = %transmit.remote, "send failed");
                    }
                }
                None => warn!(local = %transmit.local, "no socket bound for this local address"),
            }
        }
        while let Some(event) = self.endpoint.poll_event() {
            self.handle_event(event);
        }
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Status(line) => {
                info!(conn = %line.conn, serial = line.serial, "{}", line.text);
                for waiter in self.waiters.iter_mut().filter(|w| w.conn == line.conn) {
                    waiter.reply.line(&line.to_string());
                    waiter.last_code = line.code;
                }
            }
            Event::IsakmpSaEstablished { .. } => {
                if let Some(export) = &self.key_export {
                    export.write_ikev1_table(&self.endpoint.ikev1_decryption_table());
                }
            }
            Event::IpsecSaEstablished(child) => {
                if let Some(export) = &self.key_export {
                    export.append_esp_sas([&child.outbound, &child.inbound]);
                }
                let installed = match &self.kernel {
                    Some(kernel) => kernel.install(&child),
                    None => self.datapath.install(&child),
                };
                if let Err(message) = installed {
                    error!(conn = %child.conn, serial = child.serial, "{message}");
                }
                self.finish_waiters(&child.conn, 0);
            }
            Event::IpsecSaDeleted {
                conn,
                serial,
                inbound_spi,
                ..
            } => {
                self.datapath.remove(&conn, serial, inbound_spi);
                if let Some(kernel) = &self.kernel {
                    kernel.remove(&conn, serial);
                }
            }
            Event::Failed {
                conn,
                serial,
                reason,
            } => {
                warn!(conn = %conn, serial, ?reason, "negotiation failed");
                self.finish_failed_waiters(&conn);
            }
            Event::DpdDead { conn, action } => {
                warn!(conn = %conn, %action, "peer declared dead by DPD");
            }
            other => debug!(?other, "engine event"),
        }
    }

    fn finish_waiters(&mut self, conn: &str, rc: u8) {
        let (done, keep): (Vec<_>, Vec<_>) = self
            .waiters
            .drain(..)
            .partition(|waiter| waiter.conn == conn);
        self.waiters = keep;
        for waiter in done {
            waiter.reply.finish(rc);
        }
    }

    /// Ends `auto --up` clients of a failed conn. The exit status is the last status code when
    /// it is an error code (10 to 99, as whack's), else 1.
    fn finish_failed_waiters(&mut self, conn: &str) {
        let (done, keep): (Vec<_>, Vec<_>) = self
            .waiters
            .drain(..)
            .partition(|waiter| waiter.conn == conn);
        self.waiters = keep;
        for waiter in done {
            let rc = match waiter.last_code {
                10..=99 => waiter.last_code as u8,
                _ => EXIT_FAILURE,
            };
            waiter.reply.finish(rc);
        }
    }

    fn conn_exists(&self, name: &str) -> bool {
        self.conns.iter().any(|conn| conn.name() == name)
    }

    /// Handles one control request; returns true when the daemon must stop.
    fn handle_control(&mut self, request: Request, mut reply: Reply) -> bool {
        let now = Instant::now();
        match request {
            Request::Shutdown => {
                info!("shutdown requested through the control socket");
                reply.finish(0);
                return true;
            }
            Request::Status => {
                let text = status::render(
                    &self.endpoint.status(),
                    &self.conns,
                    &self.datapath,
                    now,
                    self.started,
                );
                for line in text.lines() {
                    reply.line(line);
                }
                reply.finish(0);
            }
            Request::Up(name) => {
                if !self.conn_exists(&name) {
                    reply.line(&format!("021 no connection named \"{name}\""));
                    reply.finish(RC_UNKNOWN_NAME);
                    return false;
                }
                match self.endpoint.initiate(now, &name) {
                    Ok(()) => self.waiters.push(UpWaiter {
                        conn: name,
                        reply,
                        last_code: 0,
                    }),
                    Err(error) => {
                        reply.line(&format!("021 \"{name}\": {error}"));
                        reply.finish(EXIT_FAILURE);
                    }
                }
            }
            Request::Down(name) => match self.endpoint.delete(now, &name) {
                Ok(()) => {
                    self.datapath.remove_conn(&name);
                    if let Some(kernel) = &self.kernel {
                        kernel.remove_conn(&name);
                    }
                    reply.line(&format!("000 \"{name}\": deleting SAs"));
                    reply.finish(0);
                }
                Err(error) => {
                    reply.line(&format!("021 {error}"));
                    reply.finish(RC_UNKNOWN_NAME);
                }
            },
            Request::Delete(name) => {
                self.delete_conn(now, &name, &mut reply);
            }
            Request::Add(name) => {
                let rc = self.add_from_file(&name, &mut reply);
                reply.finish(rc);
            }
            Request::Replace(name) => {
                if self.conn_exists(&name) {
                    let mut quiet = Reply::sink();
                    self.delete_conn(now, &name, &mut quiet);
                }
                let rc = self.add_from_file(&name, &mut reply);
                reply.finish(rc);
            }
            Request::RereadSecrets => {
                // NOTE: the engine keeps the credentials it was given per conn, so new secrets
                // take effect for conns loaded afterwards (`auto --replace`).
                match settings::load(&self.config_path, &self.secrets_path) {
                    Ok(_) => {
                        reply.line("002 forgetting secrets");
                        reply.line(&format!(
                            "002 loading secrets from \"{}\"",
                            self.secrets_path.display()
                        ));
                        reply.finish(0);
                    }
                    Err(message) => {
                        reply.line(&format!("021 {message}"));
                        reply.finish(EXIT_FAILURE);
                    }
                }
            }
        }
        false
    }

    fn delete_conn(&mut self, now: Instant, name: &str, reply: &mut Reply) {
        match self.endpoint.remove_connection(now, name) {
            Ok(()) => {
                self.datapath.remove_conn(name);
                if let Some(kernel) = &self.kernel {
                    kernel.remove_conn(name);
                }
                self.conns.retain(|conn| conn.name() != name);
                reply.finish_ref(0);
            }
            Err(error) => {
                reply.line(&format!("021 {error}"));
                reply.finish_ref(RC_UNKNOWN_NAME);
            }
        }
    }

    /// Reads conn `name` from the config file and adds it; returns the exit status.
    fn add_from_file(&mut self, name: &str, reply: &mut Reply) -> u8 {
        let (config, secrets) = match settings::load(&self.config_path, &self.secrets_path) {
            Ok(files) => files,
            Err(message) => {
                for line in message.lines() {
                    reply.line(&format!("021 {line}"));
                }
                return EXIT_FAILURE;
            }
        };
        let Some(conn) = config.conn(name) else {
            reply.line(&format!(
                "021 no connection named \"{name}\" in {}",
                self.config_path.display()
            ));
            return RC_UNKNOWN_NAME;
        };
        if self.conn_exists(name) {
            reply.line(&format!("021 attempt to redefine connection \"{name}\""));
            return EXIT_FAILURE;
        }
        let spec = match settings::conn_spec(conn, &config, &secrets, &self.secrets_path) {
            Ok(spec) => spec,
            Err(message) => {
                reply.line(&format!("021 {message}"));
                return EXIT_FAILURE;
            }
        };
        match self.add_conn(spec) {
            Ok(()) => {
                reply.line(&format!("002 added connection description \"{name}\""));
                0
            }
            Err(message) => {
                reply.line(&format!("021 {message}"));
                EXIT_FAILURE
            }
        }
    }
}

/// Reads one UDP socket: IKE goes to the event loop, ESP (port 4500) to the datapath. On port
/// 4500 the kernel may hand over a train of datagrams joined (UDP receive offload), which is
/// cut at the size it reports and each piece handled as one datagram.
fn read_udp(socket: UdpSocket, local: SocketAddr, inputs: Sender<Input>, datapath: Arc<Datapath>) {
    let mut buffer = vec![0u8; MAX_DATAGRAM + 2 * esp::MAX_HEADROOM];
    let start = esp::MAX_HEADROOM;
    let mut coalescer = Coalescer::default();
    if local.port() == NAT_T_PORT {
        if let Err(error) = crate::udp_gso::enable_gro(&socket) {
            debug!(%local, %error, "UDP receive offload unavailable");
        }
    }
    loop {
        let (len, remote, segment) =
            match crate::udp_gso::recv_gro(&socket, &mut buffer[start..start + MAX_DATAGRAM]) {
                Ok(received) => received,
                Err(error) => {
                    warn!(%local, %error, "receive failed; this socket's reader stops");
                    return;
                }
            };
        let segment = segment.unwrap_or(len).max(1);
        let mut offset = start;
        while offset < start + len {
            let piece = segment.min(start + len - offset);
            let at = offset;
            offset += piece;
            let datagram = &buffer[at..at + piece];
            if local.port() == NAT_T_PORT {
                match esp::classify_udp_payload(datagram) {
                    Ok(esp::UdpPayload::Esp(_)) => {
                        datapath.receive_esp(&mut buffer, at, piece, Some(&mut coalescer));
                        continue;
                    }
                    Ok(esp::UdpPayload::NatKeepalive) => continue,
                    Ok(esp::UdpPayload::Ike(_)) | Err(_) => {}
                }
            }
            let input = Input::Datagram {
                local,
                remote,
                bytes: datagram.to_vec(),
            };
            if inputs.send(input).is_err() {
                return;
            }
        }
        datapath.flush(&mut coalescer);
    }
}

/// True when the kernel can process ESP itself.
pub fn kernel_has_esp() -> bool {
    crate::kernel::kernel_has_esp()
}

/// True when the secrets file has an RSA private key.
pub fn secrets_have_rsa_key(path: &Path) -> bool {
    let parsed = ipsec_conf::parse_secrets_file(path);
    parsed
        .value
        .entries
        .iter()
        .any(|entry| entry.secret.kind() == ipsec_conf::SecretKind::Rsa)
}
