//! The userspace ESP datapath: a TUN device, a raw ESP socket and the UDP/4500 socket.
//!
//! Routes send the remote subnets into the TUN device. One thread reads the device, finds the
//! outbound SA whose selectors cover the packet, encapsulates in place and sends the ESP
//! packet as raw IP protocol 50 or in UDP to port 4500. Received ESP (raw socket, or UDP/4500
//! datagrams the IKE socket thread hands over) is looked up by SPI, decapsulated, checked
//! against the SA's selectors and written to the device. Packets with no SA are dropped and
//! counted, never sent in clear.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use esp::{
    Cipher, Delivery, InboundSa, Integrity, Keys, Mode, OutboundSa, PacketBuf, SaConfig, Suite,
    UdpEncap, MAX_HEADROOM,
};
use ike_sm::{ChildSa, EspCipher, EspIntegrity, EspSaParams, Subnet};
use socket2::{Domain, Protocol, Socket, Type};
use tracing::{debug, info, warn};

use crate::tun::{Tun, VnetHdr, VNET_F_NEEDS_CSUM, VNET_GSO_ECN, VNET_GSO_NONE, VNET_GSO_TCPV4};
use crate::udp_gso;

/// Name of the TUN device; one daemon per network namespace.
pub const TUN_NAME: &str = "ipsec0";

/// MTU of the TUN device: 1500 minus the worst-case ESP overhead we add (outer IPv4 20, UDP 8,
/// ESP header 8, IV 16, padding up to 17 with the trailer, ICV 32), rounded down.
pub const TUN_MTU: u32 = 1400;

/// Size of each packet buffer: the largest IPv4 packet (a TCP segment the TUN device hands over
/// whole can be that large) plus ESP's headroom and tailroom.
const BUFFER_LEN: usize = 65_535 + 2 * MAX_HEADROOM;

/// IP protocol number of ESP.
const IPPROTO_ESP: i32 = 50;

/// Minimum interval between two log lines about the same kind of dropped packet.
const LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Counts of packets the datapath dropped, shown by `auto --status`.
#[derive(Debug, Default)]
pub struct DropCounters {
    /// IKE datagrams that do not parse as ISAKMP, dropped before the engine.
    pub ike_malformed: AtomicU64,
    pub no_outbound_sa: AtomicU64,
    pub unknown_spi: AtomicU64,
    pub esp_rejected: AtomicU64,
    pub selector_mismatch: AtomicU64,
    pub malformed: AtomicU64,
}

struct OutboundEntry {
    conn: String,
    serial: u32,
    local_subnet: Subnet,
    remote_subnet: Subnet,
    peer: IpAddr,
    /// UDP ports when ESP travels in UDP; `None` for raw ESP.
    encapsulation: Option<(u16, u16)>,
    sa: OutboundSa,
}

struct InboundEntry {
    conn: String,
    serial: u32,
    local_subnet: Subnet,
    remote_subnet: Subnet,
    sa: InboundSa,
}

/// The SAs the datapath uses, filled by the event loop.
pub struct Datapath {
    /// The TUN device and raw ESP socket; `None` when the kernel processes ESP and this
    /// struct only keeps the drop counters.
    tun: Option<Tun>,
    /// Newest first, so that a rekeyed pair takes over at once.
    outbound: Mutex<Vec<OutboundEntry>>,
    inbound: Mutex<HashMap<u32, InboundEntry>>,
    raw_esp: Option<UdpSocket>,
    /// The UDP/4500 socket of each local address, for encapsulated ESP.
    nat_t_sockets: Mutex<HashMap<IpAddr, UdpSocket>>,
    pub drops: DropCounters,
    rate_limit: Mutex<HashMap<&'static str, Instant>>,
}

impl Datapath {
    /// Creates only the drop counters, for the kernel datapath.
    pub fn counters_only() -> Arc<Datapath> {
        Arc::new(Datapath {
            tun: None,
            outbound: Mutex::new(Vec::new()),
            inbound: Mutex::new(HashMap::new()),
            raw_esp: None,
            nat_t_sockets: Mutex::new(HashMap::new()),
            drops: DropCounters::default(),
            rate_limit: Mutex::new(HashMap::new()),
        })
    }

    /// Creates the TUN device and the raw ESP socket; no thread runs yet.
    pub fn open() -> Result<Arc<Datapath>, String> {
        let tun = Tun::open(TUN_NAME)
            .map_err(|error| format!("open the TUN device {TUN_NAME} failed: {error}"))?;
        crate::netns::ip(&[
            "link",
            "set",
            "dev",
            TUN_NAME,
            "mtu",
            &TUN_MTU.to_string(),
            "up",
        ])
        .map_err(|error| error.to_string())?;
        // The tunnel carries IPv4 only; without IPv6 the kernel sends no router solicitations
        // into it. Failure is harmless (IPv6 may be off already).
        let _ = crate::netns::run(
            None,
            "sysctl",
            &["-qw", &format!("net.ipv6.conf.{TUN_NAME}.disable_ipv6=1")],
        );

        info!(
            offload = tun.offload(),
            "TUN device {TUN_NAME} open (offload: large TCP segments read whole)"
        );

        let raw = Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(IPPROTO_ESP)))
            .map_err(|error| format!("open the raw ESP socket failed: {error}"))?;
        Ok(Arc::new(Datapath {
            tun: Some(tun),
            outbound: Mutex::new(Vec::new()),
            inbound: Mutex::new(HashMap::new()),
            raw_esp: Some(UdpSocket::from(raw)),
            nat_t_sockets: Mutex::new(HashMap::new()),
            drops: DropCounters::default(),
            rate_limit: Mutex::new(HashMap::new()),
        }))
    }

    /// Registers the UDP/4500 socket of a local address for sending encapsulated ESP.
    pub fn add_nat_t_socket(&self, local: IpAddr, socket: UdpSocket) {
        lock(&self.nat_t_sockets).insert(local, socket);
    }

    /// Starts the TUN and raw ESP reader threads (none for the kernel datapath).
    pub fn spawn_threads(self: &Arc<Datapath>) {
        if self.tun.is_none() {
            return;
        }
        let datapath = Arc::clone(self);
        thread::Builder::new()
            .name("tun-reader".into())
            .spawn(move || datapath.run_tun_reader())
            .expect("spawn the TUN reader thread");
        let datapath = Arc::clone(self);
        thread::Builder::new()
            .name("esp-reader".into())
            .spawn(move || datapath.run_raw_esp_reader())
            .expect("spawn the ESP reader thread");
    }

    /// Routes `subnet` into the TUN device, so that its traffic is protected or dropped.
    pub fn route(&self, subnet: &Subnet) -> Result<(), String> {
        if self.tun.is_none() {
            return Ok(());
        }
        crate::netns::ip(&["route", "replace", &subnet.to_string(), "dev", TUN_NAME])
            .map(|_| ())
            .map_err(|error| error.to_string())
    }

    /// Installs both directions of a new IPsec SA pair.
    pub fn install(&self, child: &ChildSa) -> Result<(), String> {
        let now = Instant::now();
        let encap = child
            .encapsulation
            .map(|(src_port, dst_port)| UdpEncap { src_port, dst_port });
        let outbound_config = sa_config(&child.outbound, encap)?;
        let outbound_keys = Keys::new(&child.outbound.enc_key, &child.outbound.auth_key);
        let outbound = OutboundSa::new(
            outbound_config,
            &outbound_keys,
            now,
            &mut esp::rand_core::OsRng,
        )
        .map_err(|error| format!("outbound SA: {error}"))?;

        let inbound_encap = child.encapsulation.map(|(local, remote)| UdpEncap {
            src_port: remote,
            dst_port: local,
        });
        let inbound_config = sa_config(&child.inbound, inbound_encap)?;
        let inbound_keys = Keys::new(&child.inbound.enc_key, &child.inbound.auth_key);
        let inbound = InboundSa::new(inbound_config, &inbound_keys, now)
            .map_err(|error| format!("inbound SA: {error}"))?;

        lock(&self.inbound).insert(
            child.inbound.spi,
            InboundEntry {
                conn: child.conn.clone(),
                serial: child.serial,
                local_subnet: child.local_subnet,
                remote_subnet: child.remote_subnet,
                sa: inbound,
            },
        );
        lock(&self.outbound).insert(
            0,
            OutboundEntry {
                conn: child.conn.clone(),
                serial: child.serial,
                local_subnet: child.local_subnet,
                remote_subnet: child.remote_subnet,
                peer: child.outbound.dst.ip(),
                encapsulation: child.encapsulation,
                sa: outbound,
            },
        );
        self.route(&child.remote_subnet)?;
        info!(
            conn = %child.conn,
            serial = child.serial,
            outbound_spi = format_args!("{:#010x}", child.outbound.spi),
            inbound_spi = format_args!("{:#010x}", child.inbound.spi),
            encapsulation = ?child.encapsulation,
            "ESP SAs installed in the userspace datapath"
        );
        Ok(())
    }

    /// Removes both directions of an SA pair.
    pub fn remove(&self, conn: &str, serial: u32, inbound_spi: u32) {
        lock(&self.inbound).remove(&inbound_spi);
        lock(&self.outbound).retain(|entry| !(entry.conn == conn && entry.serial == serial));
        info!(conn, serial, "ESP SAs removed from the userspace datapath");
    }

    /// Removes every SA of `conn`.
    pub fn remove_conn(&self, conn: &str) {
        lock(&self.inbound).retain(|_, entry| entry.conn != conn);
        lock(&self.outbound).retain(|entry| entry.conn != conn);
    }

    /// Per-SA packet counts for `auto --status`: (conn, serial, outbound packets, inbound
    /// packets).
    pub fn traffic(&self) -> Vec<(String, u32, u64, u64)> {
        let inbound = lock(&self.inbound);
        lock(&self.outbound)
            .iter()
            .map(|out| {
                let received = inbound
                    .values()
                    .filter(|entry| entry.conn == out.conn && entry.serial == out.serial)
                    .map(|entry| entry.sa.counters().packets)
                    .sum();
                (
                    out.conn.clone(),
                    out.serial,
                    out.sa.counters().packets,
                    received,
                )
            })
            .collect()
    }

    fn run_tun_reader(&self) {
        let Some(tun) = &self.tun else { return };
        // Both buffers are allocated once: `storage` holds what the device hands over (with
        // headroom, so that a single packet is encapsulated in place), `segment` one cut of a
        // large TCP segment, and `batch` the ESP packets of one read until they are sent.
        let mut storage = vec![0u8; BUFFER_LEN];
        let mut segment = vec![0u8; BUFFER_LEN];
        let mut batch = Batch::default();
        loop {
            let (header, len) = match tun
                .read_packet(&mut storage[MAX_HEADROOM..BUFFER_LEN - MAX_HEADROOM])
            {
                Ok(read) => read,
                Err(error) => {
                    warn!(%error, "read from the TUN device failed; the outbound datapath stops");
                    return;
                }
            };
            self.send_packets(&mut storage, len, header, &mut segment, &mut batch);
        }
    }

    /// Protects the packet at `storage[MAX_HEADROOM..][..len]` and sends it; a large TCP
    /// segment (`header.gso_type`) is first cut into segments of `header.gso_size` bytes of
    /// payload, as the kernel would have done before handing them over one by one.
    fn send_packets(
        &self,
        storage: &mut [u8],
        len: usize,
        header: VnetHdr,
        segment: &mut [u8],
        batch: &mut Batch,
    ) {
        let packet = &mut storage[MAX_HEADROOM..MAX_HEADROOM + len];
        let Some((src, dst)) = ipv4_addresses(packet) else {
            self.count_drop(
                &self.drops.malformed,
                "malformed",
                "non-IPv4 packet from the TUN device dropped",
            );
            return;
        };
        let split = match header.gso_type & !VNET_GSO_ECN {
            VNET_GSO_NONE => {
                if header.flags & VNET_F_NEEDS_CSUM != 0
                    && !finish_checksum(
                        packet,
                        usize::from(header.csum_start),
                        usize::from(header.csum_offset),
                    )
                {
                    self.count_drop(
                        &self.drops.malformed,
                        "malformed",
                        "TUN packet with an unfinished checksum out of bounds dropped",
                    );
                    return;
                }
                None
            }
            VNET_GSO_TCPV4 => match TcpSplit::new(packet, usize::from(header.gso_size)) {
                Some(split) => Some(split),
                None => {
                    self.count_drop(
                        &self.drops.malformed,
                        "malformed",
                        "malformed large TCP segment from the TUN device dropped",
                    );
                    return;
                }
            },
            _ => {
                self.count_drop(
                    &self.drops.malformed,
                    "malformed",
                    "TUN packet with an unexpected segmentation type dropped",
                );
                return;
            }
        };

        let mut outbound = lock(&self.outbound);
        let Some(entry) = outbound.iter_mut().find(|entry| {
            contains(&entry.remote_subnet, dst) && contains(&entry.local_subnet, src)
        }) else {
            drop(outbound);
            self.count_drop(
                &self.drops.no_outbound_sa,
                "no_outbound_sa",
                "packet for a tunnel without an established SA dropped",
            );
            return;
        };
        let now = Instant::now();
        batch.clear();
        match split {
            None => {
                let mut buf = PacketBuf::new(storage, MAX_HEADROOM, len);
                match entry.sa.encapsulate(now, &mut buf) {
                    Ok(sent) => batch.push(&storage[sent.esp]),
                    Err(error) => {
                        debug!(conn = %entry.conn, serial = entry.serial, %error, "ESP encapsulation failed");
                    }
                }
            }
            Some(split) => {
                let packet = &storage[MAX_HEADROOM..MAX_HEADROOM + len];
                for index in 0..split.count() {
                    let cut = split.write(
                        packet,
                        index,
                        &mut segment[MAX_HEADROOM..BUFFER_LEN - MAX_HEADROOM],
                    );
                    let mut buf = PacketBuf::new(segment, MAX_HEADROOM, cut);
                    match entry.sa.encapsulate(now, &mut buf) {
                        Ok(sent) => batch.push(&segment[sent.esp]),
                        Err(error) => {
                            debug!(conn = %entry.conn, serial = entry.serial, %error, "ESP encapsulation failed");
                            break;
                        }
                    }
                }
            }
        }
        let peer = entry.peer;
        let encapsulation = entry.encapsulation;
        let local = entry.sa.config().src;
        drop(outbound);
        if batch.is_empty() {
            return;
        }

        match encapsulation {
            None => {
                let Some(raw) = &self.raw_esp else { return };
                for esp_packet in batch.packets() {
                    if let Err(error) = raw.send_to(esp_packet, SocketAddr::new(peer, 0)) {
                        debug!(%error, %peer, "send ESP failed");
                    }
                }
            }
            Some((_, remote_port)) => {
                let sockets = lock(&self.nat_t_sockets);
                let Some(socket) = sockets.get(&local) else {
                    return;
                };
                batch.send_udp(socket, SocketAddr::new(peer, remote_port));
            }
        }
    }

    fn run_raw_esp_reader(&self) {
        let Some(raw_esp) = &self.raw_esp else { return };
        let mut storage = vec![0u8; BUFFER_LEN];
        loop {
            let (len, _from) = match raw_esp.recv_from(&mut storage) {
                Ok(received) => received,
                Err(error) => {
                    warn!(%error, "receive on the raw ESP socket failed; the inbound datapath stops");
                    return;
                }
            };
            // A raw IPv4 socket delivers the IP header too.
            let header_len = match storage.first() {
                Some(first) if len >= 20 => usize::from(first & 0x0f) * 4,
                _ => continue,
            };
            if header_len < 20 || header_len >= len {
                self.count_drop(
                    &self.drops.malformed,
                    "malformed",
                    "malformed ESP packet dropped",
                );
                continue;
            }
            self.receive_esp(&mut storage, header_len, len - header_len, None);
        }
    }

    /// Verifies, decrypts and delivers the ESP packet at `storage[start..][..len]` (from its
    /// SPI on). With a `coalescer`, TCP segments are joined there and written by
    /// [`flush`](Self::flush).
    pub fn receive_esp(
        &self,
        storage: &mut [u8],
        start: usize,
        len: usize,
        coalescer: Option<&mut Coalescer>,
    ) {
        let Some(spi_bytes) = storage.get(start..start + 4) else {
            self.count_drop(
                &self.drops.malformed,
                "malformed",
                "truncated ESP packet dropped",
            );
            return;
        };
        let spi = u32::from_be_bytes([spi_bytes[0], spi_bytes[1], spi_bytes[2], spi_bytes[3]]);

        let mut inbound = lock(&self.inbound);
        let Some(entry) = inbound.get_mut(&spi) else {
            drop(inbound);
            self.count_drop(
                &self.drops.unknown_spi,
                "unknown_spi",
                "ESP packet with an unknown SPI dropped",
            );
            return;
        };
        let now = Instant::now();
        let mut buf = PacketBuf::new(storage, start, len);
        let received = match entry.sa.decapsulate(now, &mut buf) {
            Ok(received) => received,
            Err(error) => {
                let conn = entry.conn.clone();
                drop(inbound);
                debug!(conn, spi = format_args!("{spi:#010x}"), %error, "ESP packet rejected");
                self.count_drop(
                    &self.drops.esp_rejected,
                    "esp_rejected",
                    "ESP packet rejected (integrity, replay or padding)",
                );
                return;
            }
        };
        let local_subnet = entry.local_subnet;
        let remote_subnet = entry.remote_subnet;
        drop(inbound);

        if received.delivery != Delivery::Tunnel {
            return;
        }
        let inner = &storage[received.packet];
        let allowed = ipv4_addresses(inner).is_some_and(|(src, dst)| {
            contains(&remote_subnet, src) && contains(&local_subnet, dst)
        });
        if !allowed {
            self.count_drop(
                &self.drops.selector_mismatch,
                "selector_mismatch",
                "decrypted packet outside the SA's selectors dropped",
            );
            return;
        }
        let Some(tun) = &self.tun else { return };
        if let Some(coalescer) = coalescer {
            if coalescer.join(inner) {
                return;
            }
            self.flush(coalescer);
            if coalescer.join(inner) {
                return;
            }
        }
        if let Err(error) = tun.write_packet(inner) {
            debug!(%error, "write to the TUN device failed");
        }
    }

    /// Writes the segments joined in `coalescer` to the TUN device and empties it.
    pub fn flush(&self, coalescer: &mut Coalescer) {
        let Some(tun) = &self.tun else {
            coalescer.clear();
            return;
        };
        let result = match coalescer.finish() {
            None => return,
            Some((None, packet)) => tun.write_packet(packet),
            Some((Some(header), packet)) => tun.write_segment(header, packet),
        };
        if let Err(error) = result {
            debug!(%error, "write to the TUN device failed");
        }
        coalescer.clear();
    }

    /// Counts a dropped packet and logs it at most once per `LOG_INTERVAL` per kind.
    pub fn count_drop(&self, counter: &AtomicU64, kind: &'static str, message: &str) {
        let total = counter.fetch_add(1, Ordering::Relaxed) + 1;
        let now = Instant::now();
        let mut last = lock(&self.rate_limit);
        let due = last
            .get(kind)
            .is_none_or(|at| now.duration_since(*at) >= LOG_INTERVAL);
        if due {
            last.insert(kind, now);
            warn!(total, "{message}");
        }
    }
}

/// Locks a mutex, recovering the data when a datapath thread panicked while holding it.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn sa_config(params: &EspSaParams, encap: Option<UdpEncap>) -> Result<SaConfig, String> {
    let cipher = match params.cipher {
        EspCipher::TripleDesCbc => Cipher::TripleDesCbc,
        EspCipher::AesCbc { key_bits: 128 } => Cipher::AesCbc128,
        EspCipher::AesCbc { key_bits: 192 } => Cipher::AesCbc192,
        EspCipher::AesCbc { key_bits: 256 } => Cipher::AesCbc256,
        EspCipher::Null => Cipher::Null,
        EspCipher::AesGcm16 { key_bits: 128 } => Cipher::AesGcm16_128,
        EspCipher::AesGcm16 { key_bits: 256 } => Cipher::AesGcm16_256,
        other => {
            return Err(format!(
                "ESP cipher {other:?} is not supported by the datapath"
            ))
        }
    };
    let integrity = match params.integrity {
        EspIntegrity::HmacMd5 => Integrity::HmacMd5_96,
        EspIntegrity::HmacSha1 => Integrity::HmacSha1_96,
        EspIntegrity::HmacSha2_256 => Integrity::HmacSha256_128,
        EspIntegrity::HmacSha2_384 => Integrity::HmacSha384_192,
        EspIntegrity::HmacSha2_512 => Integrity::HmacSha512_256,
        EspIntegrity::None => Integrity::None,
    };
    let suite = Suite::new(cipher, integrity).map_err(|error| error.to_string())?;
    let mut config = SaConfig::new(
        params.spi,
        suite,
        Mode::Tunnel,
        params.src.ip(),
        params.dst.ip(),
    );
    config.udp_encap = encap;
    Ok(config)
}

/// Source and destination of an IPv4 packet.
fn ipv4_addresses(packet: &[u8]) -> Option<(IpAddr, IpAddr)> {
    if packet.len() < 20 || packet[0] >> 4 != 4 {
        return None;
    }
    let src = IpAddr::from([packet[12], packet[13], packet[14], packet[15]]);
    let dst = IpAddr::from([packet[16], packet[17], packet[18], packet[19]]);
    Some((src, dst))
}

/// True when `addr` lies in `subnet`.
pub fn contains(subnet: &Subnet, addr: IpAddr) -> bool {
    match (subnet.addr, addr) {
        (IpAddr::V4(net), IpAddr::V4(addr)) => {
            let mask = u32::MAX
                .checked_shl(32 - u32::from(subnet.prefix_len))
                .unwrap_or(0);
            u32::from(net) & mask == u32::from(addr) & mask
        }
        (IpAddr::V6(net), IpAddr::V6(addr)) => {
            let mask = u128::MAX
                .checked_shl(128 - u32::from(subnet.prefix_len))
                .unwrap_or(0);
            u128::from(net) & mask == u128::from(addr) & mask
        }
        _ => false,
    }
}

/// The ESP packets made from one TUN read, stored back to back.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    lens: Vec<usize>,
}

impl Batch {
    fn clear(&mut self) {
        self.bytes.clear();
        self.lens.clear();
    }

    fn is_empty(&self) -> bool {
        self.lens.is_empty()
    }

    fn push(&mut self, packet: &[u8]) {
        self.bytes.extend_from_slice(packet);
        self.lens.push(packet.len());
    }

    fn packets(&self) -> impl Iterator<Item = &[u8]> {
        self.lens.iter().scan(0, |offset, len| {
            let packet = &self.bytes[*offset..*offset + len];
            *offset += len;
            Some(packet)
        })
    }

    /// Sends the packets to `to` through `socket`: runs of equal-sized packets (the last of
    /// a run may be shorter) in one system call with UDP segmentation offload, the rest one
    /// by one, and one by one again if the kernel rejects the offload.
    fn send_udp(&self, socket: &UdpSocket, to: SocketAddr) {
        let mut offset = 0;
        let mut first = 0;
        while first < self.lens.len() {
            let size = self.lens[first];
            let mut end = first + 1;
            let mut total = size;
            while end < self.lens.len()
                && end - first < udp_gso::MAX_SEGMENTS
                && self.lens[end] <= size
                && total + self.lens[end] <= udp_gso::MAX_PAYLOAD
            {
                total += self.lens[end];
                end += 1;
                if self.lens[end - 1] < size {
                    break;
                }
            }
            let run = &self.bytes[offset..offset + total];
            let sent = end - first > 1
                && u16::try_from(size).is_ok_and(|segment| {
                    udp_gso::send_segments(socket, run, segment, to)
                        .map_err(|error| debug!(%error, "UDP segmentation offload rejected; sending one by one"))
                        .is_ok()
                });
            if !sent {
                let mut at = 0;
                for len in &self.lens[first..end] {
                    if let Err(error) = socket.send_to(&run[at..at + len], to) {
                        debug!(%error, peer = %to, "send ESP failed");
                    }
                    at += len;
                }
            }
            offset += total;
            first = end;
        }
    }
}

/// How to cut a large TCP/IPv4 segment into packets of at most `mss` bytes of payload.
#[derive(Debug, Clone, Copy)]
struct TcpSplit {
    ip_len: usize,
    header_len: usize,
    payload_len: usize,
    mss: usize,
}

impl TcpSplit {
    /// Checks that `packet` is TCP/IPv4 with headers that fit and payload to cut.
    fn new(packet: &[u8], mss: usize) -> Option<TcpSplit> {
        let ip_len = usize::from(packet.first()? & 0x0f) * 4;
        if packet.first()? >> 4 != 4 || ip_len < 20 || *packet.get(9)? != 6 || mss == 0 {
            return None;
        }
        let tcp_len = usize::from(packet.get(ip_len + 12)? >> 4) * 4;
        let header_len = ip_len + tcp_len;
        if tcp_len < 20 || header_len >= packet.len() {
            return None;
        }
        Some(TcpSplit {
            ip_len,
            header_len,
            payload_len: packet.len() - header_len,
            mss,
        })
    }

    fn count(&self) -> usize {
        self.payload_len.div_ceil(self.mss)
    }

    /// Writes cut `index` of `packet` into `out`, with its length, IP ID, sequence number,
    /// flags and both checksums set; returns its length.
    fn write(&self, packet: &[u8], index: usize, out: &mut [u8]) -> usize {
        let start = index * self.mss;
        let chunk = self.mss.min(self.payload_len - start);
        let total = self.header_len + chunk;
        out[..self.header_len].copy_from_slice(&packet[..self.header_len]);
        out[self.header_len..total]
            .copy_from_slice(&packet[self.header_len + start..self.header_len + start + chunk]);
        let (ip, tcp) = out[..total].split_at_mut(self.ip_len);

        ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        let id = u16::from_be_bytes([ip[4], ip[5]]).wrapping_add(index as u16);
        ip[4..6].copy_from_slice(&id.to_be_bytes());
        ip[10..12].fill(0);
        let ip_check = !fold(sum(0, ip));
        ip[10..12].copy_from_slice(&ip_check.to_be_bytes());

        let seq = u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]).wrapping_add(start as u32);
        tcp[4..8].copy_from_slice(&seq.to_be_bytes());
        if index + 1 < self.count() {
            tcp[13] &= !(TCP_FIN | TCP_PSH);
        }
        if index > 0 {
            tcp[13] &= !TCP_CWR;
        }
        tcp[16..18].fill(0);
        let mut pseudo = [0u8; 12];
        pseudo[..8].copy_from_slice(&ip[12..20]);
        pseudo[9] = 6;
        pseudo[10..12].copy_from_slice(&(tcp.len() as u16).to_be_bytes());
        let tcp_check = !fold(sum(sum(0, &pseudo), tcp));
        tcp[16..18].copy_from_slice(&tcp_check.to_be_bytes());
        total
    }
}

/// TCP flags cleared on all but the last cut (FIN, PSH) or all but the first (CWR).
const TCP_FIN: u8 = 0x01;
const TCP_PSH: u8 = 0x08;
const TCP_CWR: u8 = 0x80;

/// Finishes a checksum the kernel left partial: the one's complement sum from `start` to the
/// end (the field already holds the pseudo-header sum) goes to `start + offset`. False when
/// the field lies outside the packet.
fn finish_checksum(packet: &mut [u8], start: usize, offset: usize) -> bool {
    let field = start + offset;
    if field + 2 > packet.len() {
        return false;
    }
    let check = !fold(sum(0, &packet[start..]));
    packet[field..field + 2].copy_from_slice(&check.to_be_bytes());
    true
}

/// Adds `bytes` as big-endian 16-bit words to a one's complement running sum.
fn sum(mut total: u64, bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(2);
    for word in &mut words {
        total += u64::from(u16::from_be_bytes([word[0], word[1]]));
    }
    if let [last] = words.remainder() {
        total += u64::from(*last) << 8;
    }
    total
}

/// Folds a running sum to 16 bits.
fn fold(mut total: u64) -> u16 {
    while total > 0xffff {
        total = (total & 0xffff) + (total >> 16);
    }
    total as u16
}

/// Decrypted TCP/IPv4 segments of one flow, in sequence, joined into one large segment so that
/// the TUN device takes them in one write (the kernel cuts them again where needed).
#[derive(Debug, Default)]
pub struct Coalescer {
    bytes: Vec<u8>,
    ip_len: usize,
    header_len: usize,
    mss: usize,
    segments: usize,
    next_seq: u32,
    /// True after a shorter segment or one with PSH: nothing may follow it.
    closed: bool,
}

/// TCP ACK flag; segments with any flag but ACK and PSH are never joined.
const TCP_ACK: u8 = 0x10;

/// Most segments joined into one write.
const MAX_JOINED: usize = 64;

impl Coalescer {
    fn clear(&mut self) {
        self.bytes.clear();
        self.segments = 0;
        self.closed = false;
    }

    /// Appends `packet` when it continues the joined flow (or starts one when empty); false
    /// when it cannot join and must be written on its own after a flush.
    fn join(&mut self, packet: &[u8]) -> bool {
        let Some(ip_len) = packet.first().map(|first| usize::from(first & 0x0f) * 4) else {
            return false;
        };
        if packet[0] >> 4 != 4
            || ip_len < 20
            || packet.len() < ip_len + 20
            || packet[9] != 6
            || usize::from(u16::from_be_bytes([packet[2], packet[3]])) != packet.len()
            || packet[6] & 0x3f != 0
            || packet[7] != 0
        {
            return false;
        }
        let tcp = &packet[ip_len..];
        let header_len = ip_len + usize::from(tcp[12] >> 4) * 4;
        let flags = tcp[13];
        if header_len < ip_len + 20
            || header_len >= packet.len()
            || flags & !(TCP_ACK | TCP_PSH) != 0
            || flags & TCP_ACK == 0
        {
            return false;
        }
        let payload = packet.len() - header_len;
        let seq = u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]);

        if self.segments == 0 {
            self.bytes.clear();
            self.bytes.extend_from_slice(packet);
            self.ip_len = ip_len;
            self.header_len = header_len;
            self.mss = payload;
            self.segments = 1;
            self.next_seq = seq.wrapping_add(payload as u32);
            self.closed = flags & TCP_PSH != 0;
            return true;
        }
        let first = &self.bytes[..self.header_len];
        let same_headers = header_len == self.header_len
            && ip_len == self.ip_len
            && packet[..2] == first[..2]
            && packet[6..10] == first[6..10]
            && packet[12..ip_len] == first[12..ip_len]
            && tcp[..4] == first[ip_len..ip_len + 4]
            && tcp[8..13] == first[ip_len + 8..ip_len + 13]
            && tcp[14..16] == first[ip_len + 14..ip_len + 16]
            && tcp[18..header_len - ip_len] == first[ip_len + 18..header_len];
        if self.closed
            || !same_headers
            || seq != self.next_seq
            || payload > self.mss
            || self.segments >= MAX_JOINED
            || self.bytes.len() + payload > 65_535
        {
            return false;
        }
        self.bytes.extend_from_slice(&packet[header_len..]);
        self.segments += 1;
        self.next_seq = seq.wrapping_add(payload as u32);
        if payload < self.mss || flags & TCP_PSH != 0 {
            self.bytes[ip_len + 13] |= flags & TCP_PSH;
            self.closed = true;
        }
        true
    }

    /// Completes the joined packet: `None` when empty, else the virtio-net header to write it
    /// with (none for a single segment, which is written unchanged) and the packet.
    fn finish(&mut self) -> Option<(Option<VnetHdr>, &[u8])> {
        match self.segments {
            0 => None,
            1 => Some((None, &self.bytes[..])),
            _ => {
                let total = self.bytes.len();
                let (ip, tcp) = self.bytes.split_at_mut(self.ip_len);
                ip[2..4].copy_from_slice(&(total as u16).to_be_bytes());
                ip[10..12].fill(0);
                let ip_check = !fold(sum(0, ip));
                ip[10..12].copy_from_slice(&ip_check.to_be_bytes());
                // The kernel finishes the checksum from the pseudo-header sum in the field.
                let mut pseudo = [0u8; 12];
                pseudo[..8].copy_from_slice(&ip[12..20]);
                pseudo[9] = 6;
                pseudo[10..12].copy_from_slice(&(tcp.len() as u16).to_be_bytes());
                tcp[16..18].copy_from_slice(&fold(sum(0, &pseudo)).to_be_bytes());
                let header = VnetHdr {
                    flags: VNET_F_NEEDS_CSUM,
                    gso_type: VNET_GSO_TCPV4,
                    hdr_len: self.header_len as u16,
                    gso_size: self.mss as u16,
                    csum_start: self.ip_len as u16,
                    csum_offset: 16,
                };
                Some((Some(header), &self.bytes[..]))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnet_contains_address() {
        let subnet = Subnet::new("10.0.0.0".parse().unwrap(), 24).unwrap();
        assert!(contains(&subnet, "10.0.0.105".parse().unwrap()));
        assert!(!contains(&subnet, "10.0.1.1".parse().unwrap()));
        let all = Subnet::new("0.0.0.0".parse().unwrap(), 0).unwrap();
        assert!(contains(&all, "192.0.2.1".parse().unwrap()));
    }

    /// A TCP/IPv4 packet 10.0.0.1:1000 -> 10.0.0.2:2000 with `payload` bytes, seq 1000,
    /// flags PSH|ACK|CWR|FIN.
    fn tcp_packet(payload: usize) -> Vec<u8> {
        let mut packet = vec![0u8; 40 + payload];
        packet[0] = 0x45;
        packet[2..4].copy_from_slice(&((40 + payload) as u16).to_be_bytes());
        packet[4..6].copy_from_slice(&0xfffe_u16.to_be_bytes());
        packet[8] = 64;
        packet[9] = 6;
        packet[12..16].copy_from_slice(&[10, 0, 0, 1]);
        packet[16..20].copy_from_slice(&[10, 0, 0, 2]);
        packet[20..22].copy_from_slice(&1000u16.to_be_bytes());
        packet[22..24].copy_from_slice(&2000u16.to_be_bytes());
        packet[24..28].copy_from_slice(&1000u32.to_be_bytes());
        packet[32] = 5 << 4;
        packet[33] = TCP_CWR | TCP_PSH | 0x10 | TCP_FIN;
        for (index, byte) in packet[40..].iter_mut().enumerate() {
            *byte = index as u8;
        }
        packet
    }

    /// True when the IP header and TCP checksums of `packet` verify.
    fn checksums_verify(packet: &[u8]) -> bool {
        let mut pseudo = [0u8; 12];
        pseudo[..8].copy_from_slice(&packet[12..20]);
        pseudo[9] = 6;
        pseudo[10..12].copy_from_slice(&((packet.len() - 20) as u16).to_be_bytes());
        fold(sum(0, &packet[..20])) == 0xffff && fold(sum(sum(0, &pseudo), &packet[20..])) == 0xffff
    }

    #[test]
    fn tcp_split_cuts_large_segment() {
        let packet = tcp_packet(3000);
        let split = TcpSplit::new(&packet, 1300).unwrap();
        assert_eq!(split.count(), 3);
        let mut out = vec![0u8; 2000];
        let mut payload = Vec::new();
        for index in 0..3 {
            let len = split.write(&packet, index, &mut out);
            let cut = &out[..len];
            assert_eq!(len, 40 + [1300, 1300, 400][index]);
            assert_eq!(usize::from(u16::from_be_bytes([cut[2], cut[3]])), len);
            assert_eq!(
                u16::from_be_bytes([cut[4], cut[5]]),
                0xfffe_u16.wrapping_add(index as u16)
            );
            assert_eq!(
                u32::from_be_bytes([cut[24], cut[25], cut[26], cut[27]]),
                1000 + 1300 * index as u32
            );
            let flags = cut[33];
            assert_eq!(
                flags & TCP_CWR != 0,
                index == 0,
                "CWR only on the first cut"
            );
            assert_eq!(
                flags & (TCP_FIN | TCP_PSH) != 0,
                index == 2,
                "FIN, PSH on the last"
            );
            assert!(checksums_verify(cut), "checksums of cut {index}");
            payload.extend_from_slice(&cut[40..]);
        }
        assert_eq!(payload, packet[40..]);
    }

    #[test]
    fn tcp_split_rejects_non_tcp_and_bare_headers() {
        let mut udp = tcp_packet(100);
        udp[9] = 17;
        assert!(TcpSplit::new(&udp, 50).is_none());
        assert!(TcpSplit::new(&tcp_packet(0), 50).is_none());
        assert!(TcpSplit::new(&tcp_packet(100), 0).is_none());
        assert!(TcpSplit::new(&[0x45; 30], 50).is_none());
    }

    #[test]
    fn finish_checksum_completes_partial_sum() {
        let mut packet = tcp_packet(101);
        // What the kernel leaves: the pseudo-header sum, not complemented, in the field.
        let mut pseudo = [0u8; 12];
        pseudo[..8].copy_from_slice(&packet[12..20]);
        pseudo[9] = 6;
        pseudo[10..12].copy_from_slice(&(121u16).to_be_bytes());
        let partial = fold(sum(0, &pseudo));
        packet[36..38].copy_from_slice(&partial.to_be_bytes());
        let ip_check = !fold(sum(0, &packet[..20]));
        packet[10..12].copy_from_slice(&ip_check.to_be_bytes());
        assert!(finish_checksum(&mut packet, 20, 16));
        assert!(checksums_verify(&packet));
        assert!(!finish_checksum(&mut packet, 140, 16));
    }

    #[test]
    fn coalescer_joins_cuts_in_sequence() {
        let mut packet = tcp_packet(3000);
        packet[33] = 0x10 | TCP_PSH;
        let split = TcpSplit::new(&packet, 1300).unwrap();
        let mut coalescer = Coalescer::default();
        let mut out = vec![0u8; 2000];
        for index in 0..3 {
            let len = split.write(&packet, index, &mut out);
            assert!(coalescer.join(&out[..len]), "cut {index} joins");
        }
        let len = split.write(&packet, 0, &mut out);
        assert!(!coalescer.join(&out[..len]), "nothing joins after PSH");

        let (header, joined) = coalescer.finish().unwrap();
        let header = header.unwrap();
        assert_eq!(header.gso_size, 1300);
        assert_eq!(header.hdr_len, 40);
        assert_eq!(joined.len(), packet.len());
        assert_eq!(joined[40..], packet[40..]);
        assert_eq!(joined[33], 0x10 | TCP_PSH);
        assert_eq!(fold(sum(0, &joined[..20])), 0xffff);
    }

    #[test]
    fn coalescer_rejects_gap_and_flags() {
        let packet = tcp_packet(3000);
        let split = TcpSplit::new(&packet, 1300).unwrap();
        let mut out = vec![0u8; 2000];
        let mut coalescer = Coalescer::default();
        // The first cut carries CWR, so it is never joined.
        let len = split.write(&packet, 0, &mut out);
        assert!(!coalescer.join(&out[..len]));

        let len = split.write(&packet, 1, &mut out);
        assert!(coalescer.join(&out[..len]));
        let mut gap = out[..len].to_vec();
        gap[24..28].copy_from_slice(&1u32.to_be_bytes());
        assert!(!coalescer.join(&gap));
        let (header, single) = coalescer.finish().unwrap();
        assert!(header.is_none());
        assert_eq!(single, &out[..len]);
    }

    #[test]
    fn batch_keeps_packets_in_order() {
        let mut batch = Batch::default();
        batch.push(&[1, 2, 3]);
        batch.push(&[4]);
        let packets: Vec<&[u8]> = batch.packets().collect();
        assert_eq!(packets, [&[1u8, 2, 3][..], &[4u8][..]]);
        batch.clear();
        assert!(batch.is_empty());
    }

    #[test]
    fn ipv4_addresses_rejects_short_packet() {
        assert_eq!(ipv4_addresses(&[0x45; 10]), None);
    }
}
