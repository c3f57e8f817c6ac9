//! Prints ISAKMP/IKEv1 messages from pcap, pcapng or hex files.
#![forbid(unsafe_code)]

fn main() {
    eprintln!("ikedump: not implemented yet");
    std::process::exit(1);
}
