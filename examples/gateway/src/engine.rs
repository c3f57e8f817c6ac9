//! The daemon's event loop.
//!
//! Threads, not an async runtime: the gateway has a handful of blocking sources (two UDP
//! sockets per local address, the raw ESP socket, the TUN device, the control socket), each
//! read by one thread. IKE inputs go through one channel to the loop thread, which alone owns
//! the sans-IO `ike_sm::Endpoint`, so the engine needs no lock; the loop waits on the channel
//! with a timeout equal to the engine's next timer. ESP packets never enter this loop: the
//! datapath threads look up SAs in a shared table that this loop fills.

use std::path::Path;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use tracing::info;

use crate::cli::{SetupArgs, EXIT_FAILURE};
use crate::control::{Reply, Request};

/// Longest wait of the loop when the engine has no timer armed.
const IDLE_WAIT: Duration = Duration::from_secs(60);

/// An input to the event loop.
pub enum Input {
    Control { request: Request, reply: Reply },
    Shutdown,
}

/// Everything read from the files, checked before the daemon binds anything.
pub struct Settings {}

impl Settings {
    /// Reads and checks the configuration and secrets; the error is the text to print.
    pub fn load(_args: &SetupArgs) -> Result<Settings, String> {
        Ok(Settings {})
    }
}

pub struct Engine {
    _settings: Settings,
}

impl Engine {
    /// Binds the sockets and opens the datapath for every loaded conn.
    pub fn start(settings: Settings, _inputs: Sender<Input>) -> Result<Engine, String> {
        Ok(Engine {
            _settings: settings,
        })
    }

    /// Runs until a shutdown request or signal.
    pub fn run(&mut self, inputs: Receiver<Input>) {
        loop {
            let input = match inputs.recv_timeout(IDLE_WAIT) {
                Ok(input) => input,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => return,
            };
            match input {
                Input::Shutdown => return,
                Input::Control { request, reply } => {
                    if self.handle_control(request, reply) {
                        return;
                    }
                }
            }
        }
    }

    /// Handles one control request; returns true when the daemon must stop.
    fn handle_control(&mut self, request: Request, mut reply: Reply) -> bool {
        let _now = Instant::now();
        match request {
            Request::Shutdown => {
                info!("shutdown requested through the control socket");
                reply.finish(0);
                true
            }
            _ => {
                reply.line("021 not implemented yet");
                reply.finish(EXIT_FAILURE);
                false
            }
        }
    }
}

/// True when the kernel can process ESP itself.
pub fn kernel_has_esp() -> bool {
    false
}

/// True when the secrets file has an RSA private key.
pub fn secrets_have_rsa_key(path: &Path) -> bool {
    std::fs::read_to_string(path)
        .map(|text| text.contains(": RSA"))
        .unwrap_or(false)
}
