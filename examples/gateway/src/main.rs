//! Openswan-compatible IKEv1 gateway.
//!
//! One binary whose subcommands mirror Openswan's `ipsec` command: `setup` runs the daemon,
//! `auto` and `whack` talk to it through its control socket, and the key and config tools work
//! on files. Invoked through a link named `ipsec`, it behaves the same.

#![deny(unsafe_code)]

mod cli;
mod conftools;
mod control;
mod daemon;
mod datapath;
mod demo;
mod engine;
mod kernel;
mod keytools;
mod netns;
mod settings;
mod status;
mod tun;
mod udp_gso;
mod verify;
mod wireshark;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    init_tracing();

    cli::run(cli::Cli::parse())
}

/// Sends `tracing` output to stderr, filtered by `RUST_LOG` (default `info`).
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}
