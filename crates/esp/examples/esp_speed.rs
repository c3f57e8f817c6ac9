//! Measures encapsulation and decapsulation throughput on one core, for comparison with
//! `openssl speed -evp` in the same run (see `benches/esp-vs-openssl.sh`).
//!
//! Usage: `esp_speed SUITE SIZE SECONDS`, where SUITE is one of `aes128-sha1`,
//! `aes128-sha256`, `3des-md5`, `aes128-gcm`, `aes256-gcm` and SIZE is the inner packet
//! length in bytes. Prints `SUITE SIZE encap_MBps decap_MBps`, with MB = 10^6 bytes of inner
//! packet per second of this thread's CPU time (from `/proc/thread-self/schedstat`, else wall
//! time). `openssl speed` likewise divides by CPU time unless given `-elapsed`, so both figures
//! are per core even on a loaded machine.

use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use esp::rand_core::OsRng;
use esp::{
    Cipher, InboundSa, Integrity, Keys, Mode, OutboundSa, PacketBuf, SaConfig, Suite, MAX_HEADROOM,
};

fn suite_named(name: &str) -> Option<Suite> {
    let (cipher, integrity) = match name {
        "aes128-sha1" => (Cipher::AesCbc128, Integrity::HmacSha1_96),
        "aes128-sha256" => (Cipher::AesCbc128, Integrity::HmacSha256_128),
        "3des-md5" => (Cipher::TripleDesCbc, Integrity::HmacMd5_96),
        "aes128-gcm" => (Cipher::AesGcm16_128, Integrity::None),
        "aes256-gcm" => (Cipher::AesGcm16_256, Integrity::None),
        _ => return None,
    };
    Suite::new(cipher, integrity).ok()
}

/// Builds an IPv4 packet of `size` bytes (protocol 59, no next header).
fn inner_packet(size: usize) -> Vec<u8> {
    let mut packet = vec![0xa5u8; size];
    packet[..20].copy_from_slice(&[
        0x45, 0, 0, 0, 0, 0, 0, 0, 64, 59, 0, 0, 10, 1, 0, 1, 10, 2, 0, 1,
    ]);
    packet[2..4].copy_from_slice(&(size as u16).to_be_bytes());
    packet
}

/// Returns this thread's CPU time, or `None` where Linux schedstat is unavailable.
fn thread_cpu_time() -> Option<Duration> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(nanos))
}

/// Runs `step` (which processes 256 packets) until `duration` of CPU time has passed and
/// returns the packets processed per second of CPU time.
fn measure(duration: Duration, mut step: impl FnMut()) -> f64 {
    let wall = Instant::now();
    let cpu = thread_cpu_time();
    let elapsed = || match (cpu, thread_cpu_time()) {
        (Some(start), Some(now)) => now.saturating_sub(start),
        _ => wall.elapsed(),
    };
    let mut count = 0u64;
    while elapsed() < duration {
        step();
        count += 256;
    }
    count as f64 / elapsed().as_secs_f64()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: esp_speed SUITE SIZE SECONDS (SUITE: aes128-sha1, aes128-sha256, 3des-md5, aes128-gcm, aes256-gcm)";
    let (Some(suite), Some(Ok(size)), Some(Ok(seconds))) = (
        args.get(1).and_then(|name| suite_named(name)),
        args.get(2).map(|s| s.parse::<usize>()),
        args.get(3).map(|s| s.parse::<f64>()),
    ) else {
        eprintln!("{usage}");
        return ExitCode::FAILURE;
    };
    if !(20..=65_000).contains(&size) {
        eprintln!("SIZE must be between 20 and 65000 bytes");
        return ExitCode::FAILURE;
    }

    let now = Instant::now();
    let local = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    let remote = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));
    let mut config = SaConfig::new(0x1234, suite, Mode::Tunnel, local, remote);
    config.esn = true;
    // Decapsulation re-reads one packet, so replay checks are off for the measurement.
    config.replay_window = 0;
    let enc: Vec<u8> = (0..suite.cipher().key_len() as u8).collect();
    let auth: Vec<u8> = (0..suite.integrity().key_len() as u8).collect();
    let keys = Keys::new(&enc, &auth);
    let mut outbound = OutboundSa::new(config.clone(), &keys, now, &mut OsRng).expect("valid SA");
    let mut inbound = InboundSa::new(config, &keys, now).expect("valid SA");

    let inner = inner_packet(size);
    let mut storage = vec![0u8; MAX_HEADROOM + size + 64];
    let duration = Duration::from_secs_f64(seconds);

    // One packet to decapsulate, encapsulated before the measurement.
    storage[MAX_HEADROOM..MAX_HEADROOM + size].copy_from_slice(&inner);
    let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, size);
    let sent = outbound.encapsulate(now, &mut buf).expect("encapsulate");
    let esp_packet = storage[sent.esp].to_vec();

    // Encapsulation: the inner packet is copied into place each time, as a datapath does.
    let encap_rate = measure(duration, || {
        for _ in 0..256 {
            storage[MAX_HEADROOM..MAX_HEADROOM + size].copy_from_slice(&inner);
            let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, size);
            outbound.encapsulate(now, &mut buf).expect("encapsulate");
        }
    }) * size as f64
        / 1e6;

    let len = esp_packet.len();
    let mut storage = vec![0u8; len];
    let decap_rate = measure(duration, || {
        for _ in 0..256 {
            storage.copy_from_slice(&esp_packet);
            let mut buf = PacketBuf::new(&mut storage, 0, len);
            inbound.decapsulate(now, &mut buf).expect("decapsulate");
        }
    }) * size as f64
        / 1e6;

    println!("{} {size} {encap_rate:.1} {decap_rate:.1}", args[1]);
    ExitCode::SUCCESS
}
