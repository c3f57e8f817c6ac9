//! Round trips every IKE datagram of the capture folder: each parses, and emitting the parsed
//! value gives the same bytes. Files whose name contains `malformed` must be rejected instead.
//!
//! The folder is `$IKE_CAPTURES_DIR`, else `$SHARED_DIR/captures`, else `captures` in the shared
//! folder beside the repository. A new capture file in it is a new case.

#[path = "../../../examples/ikedump/src/capture.rs"]
#[allow(dead_code)]
mod capture;

use std::path::{Path, PathBuf};

use ike_wire::{
    emit_payloads, parse_payload_chain_with_padding, split_udp4500, Header, IsakmpMessage,
    PayloadType, Udp4500Payload,
};

fn captures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("IKE_CAPTURES_DIR") {
        return PathBuf::from(dir);
    }
    if let Some(shared) = std::env::var_os("SHARED_DIR") {
        return Path::new(&shared).join("captures");
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures")
}

fn capture_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .unwrap_or_else(|e| panic!("cannot list capture folder {}: {e}", folder.display()));
        for entry in entries {
            let path = entry.expect("readable directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "hex")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Reads the IKE messages of a file: UDP/500 payloads, and UDP/4500 payloads after the marker.
fn ike_messages(path: &Path) -> Vec<(usize, Vec<u8>)> {
    let datagrams = capture::read_datagrams(path).unwrap_or_else(|e| panic!("{e}"));
    let mut messages = Vec::new();
    for datagram in datagrams {
        if !datagram.is_nat_t() {
            messages.push((datagram.frame, datagram.payload));
            continue;
        }
        match split_udp4500(&datagram.payload) {
            Ok(Udp4500Payload::Ike(message)) => messages.push((datagram.frame, message.to_vec())),
            Ok(Udp4500Payload::Esp(_) | Udp4500Payload::NatKeepalive) => {}
            Err(error) => panic!("{} frame {}: {error}", path.display(), datagram.frame),
        }
    }
    messages
}

/// Parses, checks and re-emits one message, returning a description of the failure.
fn round_trip(bytes: &[u8]) -> Result<(), String> {
    let emitted = match IsakmpMessage::parse(bytes).map_err(|e| e.to_string())? {
        IsakmpMessage::Plain(message) => {
            message.check().map_err(|e| e.to_string())?;
            message.to_vec().map_err(|e| e.to_string())?
        }
        IsakmpMessage::Encrypted(message) => {
            let mut emitted = message.header.to_bytes().to_vec();
            emitted.extend_from_slice(message.body);
            emitted
        }
    };
    if emitted != bytes {
        return Err(format!(
            "re-emitted bytes differ\n  parsed:  {}\n  emitted: {}",
            hex::encode(bytes),
            hex::encode(&emitted)
        ));
    }
    Ok(())
}

/// Returns the first payload type of a bare payload chain file (`*_plaintext_payloads.hex`): the
/// Next Payload in the header of its encrypted counterpart (`*_encrypted.hex`).
fn chain_first_type(path: &Path) -> PayloadType {
    let name = path.file_name().unwrap().to_str().unwrap();
    let encrypted = path.with_file_name(name.replace("plaintext_payloads", "encrypted"));
    let messages = ike_messages(&encrypted);
    Header::parse(&messages[0].1)
        .expect("encrypted counterpart has a header")
        .next_payload
}

#[test]
fn every_capture_round_trips() {
    let dir = captures_dir();
    let files = capture_files(&dir);
    assert!(!files.is_empty(), "no capture files in {}", dir.display());

    let mut failures = Vec::new();
    let mut checked = 0;
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let malformed = name.contains("malformed");
        let bare_chain = name.contains("plaintext_payloads");
        let messages = ike_messages(path);

        for (frame, bytes) in messages {
            checked += 1;
            let result = if bare_chain {
                round_trip_chain(chain_first_type(path), &bytes)
            } else {
                round_trip(&bytes)
            };
            match (malformed, result) {
                (false, Err(reason)) => {
                    failures.push(format!("{} frame {frame}: {reason}", path.display()))
                }
                (true, Ok(())) => failures.push(format!(
                    "{} frame {frame}: malformed message was accepted",
                    path.display()
                )),
                _ => {}
            }
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        checked >= 50,
        "only {checked} messages found in {}",
        dir.display()
    );
    eprintln!("{checked} messages from {} files checked", files.len());
}

fn round_trip_chain(first: PayloadType, bytes: &[u8]) -> Result<(), String> {
    let (payloads, padding) =
        parse_payload_chain_with_padding(first, bytes).map_err(|e| e.to_string())?;
    let mut emitted = emit_payloads(&payloads).map_err(|e| e.to_string())?;
    emitted.extend_from_slice(padding);
    if emitted != bytes {
        return Err("re-emitted payload chain differs".to_owned());
    }
    Ok(())
}
