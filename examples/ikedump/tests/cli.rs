//! Runs the ikedump binary on the shared captures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn captures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("IKE_CAPTURES_DIR") {
        return PathBuf::from(dir);
    }
    match std::env::var_os("SHARED_DIR") {
        Some(shared) => Path::new(&shared).join("captures"),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/captures"),
    }
}

fn ikedump(args: &[&str], files: &[PathBuf]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ikedump"))
        .args(args)
        .args(files)
        .output()
        .expect("ikedump runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Every capture and hex file under the folder, split into valid and malformed ones.
fn capture_files() -> (Vec<PathBuf>, Vec<PathBuf>) {
    let mut valid = Vec::new();
    let mut malformed = Vec::new();
    let mut pending = vec![captures_dir()];
    while let Some(folder) = pending.pop() {
        for entry in std::fs::read_dir(&folder).expect("capture folder") {
            let path = entry.unwrap().path();
            let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
            if path.is_dir() {
                pending.push(path);
            } else if matches!(extension, "pcap" | "pcapng" | "hex") {
                let name = path.file_name().unwrap().to_string_lossy();
                if name.contains("malformed") {
                    malformed.push(path);
                } else {
                    valid.push(path);
                }
            }
        }
    }
    valid.sort();
    malformed.sort();
    (valid, malformed)
}

#[test]
fn trans5212_proposal_printed() {
    let file = captures_dir().join("ike-scan/ikescan_mm1_trans5212.hex");
    let output = ikedump(&[], &[file]);
    assert!(output.status.success(), "{}", stderr(&output));

    let text = stdout(&output);
    for expected in [
        "Encryption Algorithm: 3DES-CBC",
        "Hash Algorithm: SHA1",
        "Authentication Method: pre-shared key",
        "Group Description: MODP1024",
        "Life Duration: 28800 s",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn roundtrip_passes_on_every_capture() {
    let (valid, _) = capture_files();
    assert!(valid.len() >= 20, "only {} capture files", valid.len());

    let output = ikedump(&["--roundtrip"], &valid);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains(" 0 malformed, 0 round-trip failures"));
}

#[test]
fn malformed_capture_fails_with_offset() {
    let (_, malformed) = capture_files();
    assert!(!malformed.is_empty());

    for file in malformed {
        let output = ikedump(&[], std::slice::from_ref(&file));
        assert_eq!(output.status.code(), Some(1), "{}", file.display());
        let errors = stderr(&output);
        assert!(errors.contains("malformed ISAKMP message"), "{errors}");
        assert!(errors.contains(" at offset "), "{errors}");
        assert!(
            errors.contains(" frame ") || errors.contains(" line "),
            "{errors}"
        );
    }
}

#[test]
fn json_lines_parse() {
    let file = captures_dir().join("strongswan/psk-legacy/session.pcap");
    let output = ikedump(&["--json"], &[file]);
    assert!(output.status.success(), "{}", stderr(&output));

    let objects: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(objects.len(), 9, "MM1 to MM6 and QM1 to QM3");
    assert_eq!(objects[0]["header"]["exchange_type"], 2);
    assert_eq!(
        objects[0]["payloads"][0]["type_name"],
        "Security Association"
    );
    assert_eq!(objects[0]["src"], "192.0.2.1:500");
    let encrypted = objects
        .iter()
        .filter(|o| o.get("encrypted_body").is_some())
        .count();
    assert_eq!(encrypted, 5, "MM5, MM6 and Quick Mode are encrypted");
}

#[test]
fn pcapng_matches_pcap() {
    use pcap_file::pcap::PcapReader;
    use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
    use pcap_file::pcapng::blocks::interface_description::InterfaceDescriptionBlock;
    use pcap_file::pcapng::PcapNgWriter;

    let pcap = captures_dir().join("strongswan/rsa/session.pcap");
    let file = std::fs::File::open(&pcap).unwrap();
    let mut reader = PcapReader::new(file).unwrap();

    let mut writer = PcapNgWriter::new(Vec::new()).unwrap();
    let interface = InterfaceDescriptionBlock {
        linktype: reader.header().datalink,
        snaplen: 0xffff,
        options: vec![],
    };
    writer.write_pcapng_block(interface).unwrap();
    while let Some(packet) = reader.next_packet() {
        let packet = packet.unwrap();
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: packet.timestamp,
            original_len: packet.orig_len,
            data: packet.data,
            options: vec![],
        };
        writer.write_pcapng_block(block).unwrap();
    }

    let pcapng = std::env::temp_dir().join(format!("ikedump-test-{}.pcapng", std::process::id()));
    std::fs::write(&pcapng, writer.into_inner()).unwrap();
    let from_pcapng = ikedump(&["--roundtrip"], std::slice::from_ref(&pcapng));
    std::fs::remove_file(&pcapng).unwrap();
    let from_pcap = ikedump(&["--roundtrip"], &[pcap]);

    assert!(from_pcapng.status.success(), "{}", stderr(&from_pcapng));
    let strip = |text: String| -> Vec<String> {
        text.lines()
            .map(|line| {
                line.split_once(" frame ")
                    .map_or(line, |(_, rest)| rest)
                    .to_owned()
            })
            .collect()
    };
    assert_eq!(strip(stdout(&from_pcapng)), strip(stdout(&from_pcap)));
    assert!(stdout(&from_pcap).lines().count() > 50);
}

#[test]
fn unreadable_file_exits_2() {
    let output = ikedump(&[], &[PathBuf::from("/nonexistent/capture.pcap")]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("cannot read"));
}

#[test]
fn hex_record_after_non_esp_marker() {
    let mm1 = std::fs::read_to_string(captures_dir().join("handmade/ikev1_mm1.hex")).unwrap();
    let record = mm1
        .lines()
        .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .unwrap();
    let file = std::env::temp_dir().join(format!("ikedump-marker-{}.hex", std::process::id()));
    std::fs::write(&file, format!("0000 0000 {record}\n")).unwrap();
    let output = ikedump(&["--roundtrip"], std::slice::from_ref(&file));
    std::fs::remove_file(&file).unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("Identity Protection"),
        "{}",
        stdout(&output)
    );
}
