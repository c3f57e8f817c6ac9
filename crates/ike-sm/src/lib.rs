//! Sans-IO IKEv1 negotiation engine: Main Mode, Quick Mode, Informational exchanges, NAT
//! traversal and dead peer detection (RFC 2407, 2408, 2409, 3947, 3706).
//!
//! The engine follows quinn-proto's model. An [`Endpoint`] holds every connection and state;
//! the application feeds it received datagrams ([`Endpoint::handle`]), the current time
//! ([`Endpoint::handle_timeout`]) and commands ([`Endpoint::initiate`], [`Endpoint::delete`]),
//! and drains what it produced: datagrams to send ([`Endpoint::poll_transmit`]), the next
//! timer deadline ([`Endpoint::poll_timeout`]) and [`Event`]s such as Openswan's status lines
//! and established IPsec SAs with their keys. The crate opens no sockets, reads no clock and
//! spawns no threads: time comes in as `now: Instant` and randomness from the generator given
//! to [`Endpoint::new`], so the same inputs and seed give the same trace.
//!
//! ```no_run
//! use std::time::Instant;
//! use ike_sm::{Auth, ConnectionConfig, Endpoint, EndpointConfig, Event};
//! # fn rng() -> Box<dyn ike_sm::EngineRng> { unimplemented!() }
//!
//! let mut endpoint = Endpoint::new(EndpointConfig::default(), rng());
//! let conn = ConnectionConfig::new(
//!     "net-to-net",
//!     "192.0.2.1:500".parse().unwrap(),
//!     "192.0.2.2:500".parse().unwrap(),
//!     Auth::psk(b"nonebutourselvescanfreeourminds"),
//! );
//! endpoint.add_connection(conn).unwrap();
//! endpoint.initiate(Instant::now(), "net-to-net").unwrap();
//! while let Some(transmit) = endpoint.poll_transmit() {
//!     // send transmit.payload from transmit.local to transmit.remote
//! #   let _ = transmit;
//! }
//! while let Some(event) = endpoint.poll_event() {
//!     if let Event::Status(line) = event {
//!         println!("{line}"); // 104 "net-to-net" #1: STATE_MAIN_I1: initiate
//!     }
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod crypto;
mod endpoint;
mod engine;
pub mod event;
mod informational;
mod names;
mod natt;
mod phase1;
mod phase2;
mod proposal;
#[cfg(test)]
mod tests;

// The shared test harness names this crate `ike_sm`, as integration tests do.
#[cfg(test)]
extern crate self as ike_sm;
pub mod status;

/// The `rand_core` version whose traits [`EngineRng`] builds on.
pub use rand_core;

pub use config::{
    Auth, ConnectionConfig, DhGroupId, DpdAction, DpdConfig, EndpointConfig, EspCipher,
    EspIntegrity, EspProposal, Identity, IkeCipher, IkeHash, IkeProposal, IpsecMode, Subnet,
};
pub use endpoint::{Endpoint, EndpointError, EngineRng, Transmit};
pub use event::{ChildSa, EspSaParams, Event, FailureReason, OriginalAddresses, StatusLine};
pub use natt::NatOaError;
pub use status::{ConnectionStatus, EndpointStatus, StateKind, StateStatus};
