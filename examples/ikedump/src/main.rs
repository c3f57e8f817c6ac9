//! Prints ISAKMP/IKEv1 messages from pcap, pcapng or hex files.
//!
//! Each UDP datagram to or from port 500, and each IKE message on port 4500 after its non-ESP
//! marker, is parsed with `ike-wire` and printed as text or, with `--json`, as one JSON object per
//! line. `--roundtrip` re-emits every parsed message and reports any byte that differs.
//!
//! Exit status: 0 when every message parsed (and round-tripped), 1 when a message is malformed
//! or re-emits differently, 2 when a file cannot be read.
#![forbid(unsafe_code)]

mod capture;
mod describe;
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use ike_wire::{
    emit_payloads, parse_payload_chain_with_padding, split_udp4500, IsakmpMessage, PayloadType,
    Udp4500Payload, NON_ESP_MARKER,
};
use serde_json::json;

use crate::capture::Datagram;
use crate::render::Parsed;

/// Stand-in first payload type of a bare hex chain read without `--payloads`: the first payload
/// is then shown undecoded, and the rest follow from the Next Payload fields.
const UNKNOWN_FIRST_PAYLOAD: PayloadType = PayloadType(255);

#[derive(Parser)]
#[command(
    version,
    about = "Prints ISAKMP/IKEv1 messages from pcap, pcapng or hex files"
)]
struct Args {
    /// Print one JSON object per message, one per line, instead of text.
    #[arg(long)]
    json: bool,
    /// Re-emit each parsed message and fail if its bytes differ from the input.
    #[arg(long)]
    roundtrip: bool,
    /// Read hex records as bare payload chains (decrypted bodies) whose first payload has this
    /// type number, for example 5 for Identification. Without it, a hex record that does not
    /// start with an ISAKMP version 1 or 2 header is read as a chain with an undecoded first
    /// payload.
    #[arg(long, value_name = "TYPE")]
    payloads: Option<u8>,
    /// Also write each IKE message's bytes (without the non-ESP marker) to DIR, one file per
    /// message named after the input file and frame, for example as fuzzing seeds.
    #[arg(long, value_name = "DIR")]
    extract: Option<PathBuf>,
    /// pcap, pcapng or hex files (one datagram per line of hex digits).
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Counts of what was read, for the exit status and the closing line.
#[derive(Default)]
struct Totals {
    messages: usize,
    malformed: usize,
    roundtrip_failures: usize,
    unreadable_files: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut totals = Totals::default();

    for path in &args.files {
        let capture = capture::read_capture(path);
        for datagram in &capture.datagrams {
            process(&args, path, datagram, &mut totals);
        }
        if let Some(error) = capture.error {
            eprintln!("ikedump: {error}");
            totals.unreadable_files += 1;
        }
    }

    if args.roundtrip {
        eprintln!(
            "ikedump: {} messages, {} malformed, {} round-trip failures",
            totals.messages, totals.malformed, totals.roundtrip_failures
        );
    }
    if totals.unreadable_files > 0 {
        ExitCode::from(2)
    } else if totals.malformed > 0 || totals.roundtrip_failures > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn process(args: &Args, path: &Path, datagram: &Datagram, totals: &mut Totals) {
    let unit = if datagram.addresses.is_some() {
        "frame"
    } else {
        "line"
    };
    let location = format!("{} {unit} {}", path.display(), datagram.frame);

    let bytes = if datagram.is_nat_t() {
        match split_udp4500(&datagram.payload) {
            Ok(Udp4500Payload::Ike(message)) => message,
            Ok(Udp4500Payload::Esp(_) | Udp4500Payload::NatKeepalive) => return,
            Err(error) => {
                eprintln!("{location}: malformed UDP/4500 datagram: {error}");
                totals.malformed += 1;
                return;
            }
        }
    } else if is_marked_hex_record(args, datagram) {
        &datagram.payload[NON_ESP_MARKER.len()..]
    } else {
        &datagram.payload[..]
    };
    totals.messages += 1;

    if let Some(dir) = &args.extract {
        let stem = path
            .file_stem()
            .map_or("input".into(), |s| s.to_string_lossy());
        let parent = path.parent().and_then(Path::file_name);
        let prefix = parent.map_or(String::new(), |p| format!("{}-", p.to_string_lossy()));
        let file = dir.join(format!("{prefix}{stem}-{}.bin", datagram.frame));
        if let Err(error) = std::fs::write(&file, bytes) {
            eprintln!("ikedump: cannot write {}: {error}", file.display());
            totals.unreadable_files += 1;
        }
    }

    let first_type = chain_first_type(args, datagram, bytes);
    let parsed = match parse(bytes, first_type) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("{location}: malformed ISAKMP message: {error}");
            totals.malformed += 1;
            return;
        }
    };

    if args.json {
        let mut object = render::json(&parsed);
        object["file"] = json!(path.display().to_string());
        object["frame"] = json!(datagram.frame);
        if let Some((src, dst)) = datagram.addresses {
            object["src"] = json!(src.to_string());
            object["dst"] = json!(dst.to_string());
        }
        println!("{object}");
    } else {
        match datagram.addresses {
            Some((src, dst)) => println!("{location}: {src} -> {dst}"),
            None => println!("{location}:"),
        }
        if first_type == Some(UNKNOWN_FIRST_PAYLOAD) {
            println!("  first payload type not known: pass --payloads TYPE to decode it");
        }
        print!("{}", render::text(&parsed));
    }

    if args.roundtrip {
        if let Err(reason) = round_trip(&parsed, bytes) {
            eprintln!("{location}: round trip failed: {reason}");
            totals.roundtrip_failures += 1;
        }
    }
}

/// Decides whether a record is a bare payload chain, and with which first payload type.
fn chain_first_type(args: &Args, datagram: &Datagram, bytes: &[u8]) -> Option<PayloadType> {
    let from_hex = datagram.addresses.is_none();
    if !from_hex {
        return None;
    }
    if let Some(first) = args.payloads {
        return Some(PayloadType(first));
    }
    (!has_isakmp_header(bytes)).then_some(UNKNOWN_FIRST_PAYLOAD)
}

/// Reports whether `bytes` start with an ISAKMP header of version 1 or 2.
fn has_isakmp_header(bytes: &[u8]) -> bool {
    bytes.len() >= 28 && matches!(bytes[17] >> 4, 1 | 2)
}

/// Reports whether a hex record is a UDP/4500 payload: a non-ESP marker, then an ISAKMP header.
fn is_marked_hex_record(args: &Args, datagram: &Datagram) -> bool {
    let payload = &datagram.payload;
    datagram.addresses.is_none()
        && args.payloads.is_none()
        && payload.starts_with(&NON_ESP_MARKER)
        && has_isakmp_header(&payload[NON_ESP_MARKER.len()..])
}

/// Parses a message (and checks its exchange's payload rules), or a bare payload chain.
fn parse(bytes: &[u8], chain_first_type: Option<PayloadType>) -> Result<Parsed<'_>, String> {
    if let Some(first) = chain_first_type {
        let (payloads, padding) =
            parse_payload_chain_with_padding(first, bytes).map_err(|e| e.to_string())?;
        return Ok(Parsed::Chain { payloads, padding });
    }

    let message = IsakmpMessage::parse(bytes).map_err(|e| e.to_string())?;
    if let IsakmpMessage::Plain(plain) = &message {
        plain.check().map_err(|e| e.to_string())?;
    }
    Ok(Parsed::Message(message))
}

/// Re-emits a parsed record and compares it with the input bytes.
fn round_trip(parsed: &Parsed<'_>, bytes: &[u8]) -> Result<(), String> {
    let emitted = match parsed {
        Parsed::Message(IsakmpMessage::Plain(message)) => {
            message.to_vec().map_err(|e| e.to_string())?
        }
        Parsed::Message(IsakmpMessage::Encrypted(message)) => {
            let mut emitted = message.header.to_bytes().to_vec();
            emitted.extend_from_slice(message.body);
            emitted
        }
        Parsed::Chain { payloads, padding } => {
            let mut emitted = emit_payloads(payloads).map_err(|e| e.to_string())?;
            emitted.extend_from_slice(padding);
            emitted
        }
    };

    if emitted == bytes {
        return Ok(());
    }
    let offset = emitted
        .iter()
        .zip(bytes)
        .position(|(a, b)| a != b)
        .unwrap_or(emitted.len().min(bytes.len()));
    Err(format!(
        "re-emitted {} bytes differ from the {} input bytes, first at offset {offset}",
        emitted.len(),
        bytes.len()
    ))
}
