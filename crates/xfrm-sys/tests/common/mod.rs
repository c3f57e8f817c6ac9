//! Helpers shared by the integration tests: root checks, network namespaces named `xf-*`, and
//! running commands inside them.

#![allow(dead_code)]

use std::fs::File;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Returns true when the tests run as root; otherwise prints why the calling test is skipped.
pub fn require_root(test: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    eprintln!(
        "SKIPPED {test}: needs root (CAP_NET_ADMIN to create network namespaces and XFRM state)"
    );
    false
}

/// A network namespace created for one test and deleted when dropped.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `xf-<purpose>-<pid>-<n>`, unique per test process and call.
    pub fn new(purpose: &str) -> Netns {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "xf-{purpose}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        run(Command::new("ip").args(["netns", "add", &name]));
        let netns = Netns { name };
        netns.ip(&["link", "set", "lo", "up"]);
        netns
    }

    /// Moves the calling thread into this namespace. Sockets opened afterwards belong to it.
    pub fn enter(&self) {
        let file = File::open(format!("/run/netns/{}", self.name)).expect("open /run/netns entry");
        rustix::thread::move_into_link_name_space(
            std::os::fd::AsFd::as_fd(&file),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .expect("setns into the test namespace");
    }

    /// Runs `ip ARGS` in the namespace and panics with its output if it fails.
    pub fn ip(&self, args: &[&str]) -> Output {
        run(Command::new("ip").args(["-n", &self.name]).args(args))
    }

    /// Runs `ip COMMAND` in the namespace, with COMMAND split at whitespace, and panics with
    /// its output if it fails.
    pub fn ip_command(&self, command: &str) -> Output {
        self.ip(&command.split_whitespace().collect::<Vec<_>>())
    }

    /// Runs a command in the namespace and returns its output, whatever its status.
    pub fn exec(&self, program: &str, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name, program])
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("failed to run {program} in {}: {error}", self.name))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// Runs a command and panics with its stderr if it fails.
pub fn run(command: &mut Command) -> Output {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("failed to run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed with {}: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}
