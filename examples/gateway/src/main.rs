//! Openswan-compatible IKEv1 gateway.

mod conftools;
mod keytools;

fn main() {
    eprintln!("gateway: not implemented yet");
    std::process::exit(1);
}
