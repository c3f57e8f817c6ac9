//! tshark as an independent decoder of what the engine sends. Every message of a handshake
//! decodes with no malformed or error-level expert item. With the exported
//! `ikev1_decryption_table`, tshark decrypts the Main Mode and Quick Mode messages, and in
//! transport mode behind a NAT it finds our NAT-OA payloads (RFC 3947 5.2).
//!
//! Needs tshark, so it is ignored by default and run by `ci/steps/36-ikesm-tshark.sh`.

mod util;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ike_sm::{
    ConnectionConfig, DhGroupId, EspCipher, EspIntegrity, EspProposal, IkeCipher, IkeHash,
    IkeProposal, IpsecMode, Transmit,
};
use util::{psk_config, rsa_config, Pair, RIGHT_PUBLIC};

/// Payload types tshark lists for a tunnel-mode QI1 or QR1 after HASH, SA, proposal and
/// transform: Nonce, KE (PFS) and the two client IDs.
const TUNNEL_QUICK_MODE_TAIL: &str = "|10|4|5|5";

/// Writes `packets` (time offset, datagram) as an Ethernet/IPv4/UDP pcap file.
fn write_pcap(path: &Path, packets: &[(Duration, SocketAddr, SocketAddr, Vec<u8>)]) {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (at, src, dst, payload) in packets {
        let (IpAddr::V4(src_ip), IpAddr::V4(dst_ip)) = (src.ip(), dst.ip()) else {
            panic!("IPv4 only")
        };
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut ip = vec![0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0];
        ip[2..4].copy_from_slice(&(ip_len as u16).to_be_bytes());
        ip.extend_from_slice(&src_ip.octets());
        ip.extend_from_slice(&dst_ip.octets());
        let sum: u32 = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum();
        let folded = (sum & 0xffff) + (sum >> 16);
        let checksum = !(((folded & 0xffff) + (folded >> 16)) as u16);
        ip[10..12].copy_from_slice(&checksum.to_be_bytes());

        let mut frame = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&src.port().to_be_bytes());
        frame.extend_from_slice(&dst.port().to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(payload);

        out.extend_from_slice(&(at.as_secs() as u32).to_le_bytes());
        out.extend_from_slice(&at.subsec_micros().to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap();
}

fn tshark(args: &[&str]) -> String {
    let output = Command::new("tshark")
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        output.status.success(),
        "tshark {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs a handshake, writes its datagrams to a pcap and checks tshark's view of them.
fn check_case(name: &str, left: ConnectionConfig, right: ConnectionConfig, seed: u64) {
    check_case_with(
        name,
        left,
        right,
        seed,
        TUNNEL_QUICK_MODE_TAIL,
        |_, _, _| {},
    );
}

/// Runs a handshake like [`check_case`]. QI1 and QR1 must end with the payload types
/// `quick_mode_tail`, and `extra` checks more of the decrypted pcap: (pair, pcap path,
/// decryption table option).
fn check_case_with(
    name: &str,
    left: ConnectionConfig,
    right: ConnectionConfig,
    seed: u64,
    quick_mode_tail: &str,
    extra: impl Fn(&Pair, &str, &str),
) {
    let mut pair = Pair::new(left, right, seed);
    pair.initiate();
    pair.drive(Duration::from_secs(5));
    assert_eq!(pair.left.children().len(), 1, "{name}: handshake completes");
    let table = pair.left.endpoint.ikev1_decryption_table();
    assert_eq!(table.len(), 1);

    // Datagrams in the order they were sent, as they left each side.
    let start = pair.left.sent_at[0];
    let mut packets: Vec<(Duration, SocketAddr, SocketAddr, Vec<u8>)> = Vec::new();
    for side in [&pair.left, &pair.right] {
        for (transmit, at) in side.sent.iter().zip(&side.sent_at) {
            let Transmit {
                local,
                remote,
                payload,
            } = transmit;
            packets.push((*at - start, *local, *remote, payload.clone()));
        }
    }
    packets.sort_by_key(|p| p.0);
    let dir = std::env::temp_dir().join(format!("ikesm-tshark-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let pcap = dir.join("handshake.pcap");
    write_pcap(&pcap, &packets);
    let pcap = pcap.to_str().unwrap();

    let flagged = tshark(&[
        "-r",
        pcap,
        "-Y",
        "_ws.malformed || _ws.expert.severity >= error",
    ]);
    assert_eq!(flagged.trim(), "", "{name}: malformed or error-level items");

    let uat = format!(
        "uat:ikev1_decryption_table:{},{}",
        hex(&table[0].0),
        hex(&table[0].1)
    );
    let fields = tshark(&[
        "-r",
        pcap,
        "-o",
        &uat,
        "-d",
        "udp.port==4500,udpencap",
        "-T",
        "fields",
        "-E",
        "separator=;",
        "-E",
        "aggregator=|",
        "-e",
        "isakmp.exchangetype",
        "-e",
        "isakmp.typepayload",
    ]);
    let rows: Vec<&str> = fields.lines().collect();
    assert_eq!(rows.len(), packets.len(), "{name}: {fields}");
    let main_mode_encrypted: Vec<&&str> = rows.iter().filter(|r| r.starts_with("2;5|")).collect();
    assert_eq!(
        main_mode_encrypted.len(),
        2,
        "{name}: MI3 and MR3 decrypt to ID + HASH or SIG\n{fields}"
    );
    let quick_mode: Vec<&&str> = rows.iter().filter(|r| r.starts_with("32;8")).collect();
    assert_eq!(
        quick_mode.len(),
        3,
        "{name}: QI1, QR1 and QI2 decrypt\n{fields}"
    );
    // HASH, SA (with its proposal and transforms), then the payloads of `quick_mode_tail`.
    let qi1 = quick_mode[0];
    assert!(
        qi1.starts_with("32;8|1|2|3|") && qi1.ends_with(&format!("|3{quick_mode_tail}")),
        "{name}: QI1 {qi1}"
    );
    assert_eq!(
        *quick_mode[1],
        format!("32;8|1|2|3{quick_mode_tail}"),
        "{name}: QR1"
    );
    assert_eq!(*quick_mode[2], "32;8", "{name}: QI2 is HASH(3) alone");

    let flagged = tshark(&[
        "-r",
        pcap,
        "-o",
        &uat,
        "-Y",
        "_ws.malformed || _ws.expert.severity >= error",
    ]);
    assert_eq!(
        flagged.trim(),
        "",
        "{name}: malformed items after decryption"
    );
    extra(&pair, pcap, &uat);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
#[ignore = "needs tshark; run by ci/steps/36-ikesm-tshark.sh"]
fn tshark_decodes_and_decrypts() {
    let suites = [
        (
            "aes128-sha1-modp2048",
            IkeCipher::AesCbc { key_bits: 128 },
            IkeHash::Sha1,
            DhGroupId::Modp2048,
        ),
        (
            "3des-md5-modp1024",
            IkeCipher::TripleDesCbc,
            IkeHash::Md5,
            DhGroupId::Modp1024,
        ),
        (
            "aes256-sha256-curve25519",
            IkeCipher::AesCbc { key_bits: 256 },
            IkeHash::Sha2_256,
            DhGroupId::Curve25519,
        ),
    ];
    for (index, (name, cipher, hash, group)) in suites.into_iter().enumerate() {
        let mut left = psk_config(true, false, false);
        let mut right = psk_config(false, false, false);
        for config in [&mut left, &mut right] {
            config.ike_proposals = vec![IkeProposal {
                cipher,
                hash,
                group,
            }];
            config.esp_proposals = vec![EspProposal {
                cipher: EspCipher::AesCbc { key_bits: 128 },
                integrity: EspIntegrity::HmacSha1,
            }];
        }
        check_case(name, left, right, 60 + index as u64);
    }

    let mut left = psk_config(true, false, false);
    left.force_encaps = true;
    check_case("psk-forceencaps", left, psk_config(false, false, false), 70);
    check_case(
        "psk-nat-left",
        psk_config(true, true, false),
        psk_config(false, true, false),
        71,
    );
    check_case(
        "rsa",
        rsa_config(true, false, false),
        rsa_config(false, false, false),
        72,
    );
    check_transport_nat();
}

/// Host-to-host transport mode with the left side behind a NAT: QI1 and QR1 propose and
/// choose UDP-Encapsulated-Transport (4) and carry NAT-OAi and NAT-OAr, which tshark decodes
/// as the addresses RFC 3947 5.2 names.
fn check_transport_nat() {
    let transport = |left: bool| {
        let mut config = psk_config(left, true, false);
        config.mode = IpsecMode::Transport;
        config.local_subnet = None;
        config.remote_subnet = None;
        config
    };
    // Nonce, KE (PFS), NAT-OAi and NAT-OAr, with no client IDs between two hosts.
    let tail = "|10|4|21|21";
    check_case_with(
        "transport-nat-left",
        transport(true),
        transport(false),
        73,
        tail,
        |pair, pcap, uat| {
            let fields = tshark(&[
                "-r",
                pcap,
                "-o",
                uat,
                "-d",
                "udp.port==4500,udpencap",
                "-Y",
                "isakmp.exchangetype == 32 && isakmp.ike.nat_original_address_ipv4",
                "-T",
                "fields",
                "-E",
                "separator=;",
                "-E",
                "aggregator=,",
                "-e",
                "isakmp.ipsec.attr.encap_mode",
                "-e",
                "isakmp.ike.nat_original_address_ipv4",
            ]);
            let rows: Vec<&str> = fields.lines().collect();
            let left_private = pair.left.address;
            let left_public = pair.left.public;
            let right = pair.right.address;
            // QI1 lists the mode once per transform of Openswan's four-transform default
            // offer; QR1 carries the chosen transform.
            assert_eq!(
                rows,
                vec![
                    format!("4,4,4,4;{left_private},{RIGHT_PUBLIC}"),
                    format!("4;{left_public},{right}"),
                ],
                "transport-nat-left: QI1 and QR1 encapsulation mode and NAT-OA\n{fields}"
            );
        },
    );
}
