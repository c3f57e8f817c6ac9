//! The engine's public face: one [`Endpoint`] holds every connection and state.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Instant;

use rand_core::{CryptoRng, RngCore};

use crate::config::{ConnectionConfig, EndpointConfig};
use crate::event::Event;
use crate::status::EndpointStatus;

/// A datagram to send, taken with [`Endpoint::poll_transmit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// Our address and port to send from (port 500, or 4500 after the NAT-T float).
    pub local: SocketAddr,
    /// The peer's address and port.
    pub remote: SocketAddr,
    /// UDP payload. On port 4500 an IKE message is already prefixed with the 4-byte non-ESP
    /// marker, and a NAT-T keepalive is the single byte 0xFF (RFC 3948 2.2, 2.3).
    pub payload: Vec<u8>,
}

/// A cryptographically secure random number generator the engine draws cookies, nonces, SPIs,
/// message IDs and DH private values from.
///
/// Any `RngCore + CryptoRng + Send` type qualifies. Pass a seeded generator (e.g.
/// `rand_chacha::ChaCha20Rng::from_seed`) to make runs reproducible.
pub trait EngineRng: RngCore + CryptoRng + Send {}

impl<T: RngCore + CryptoRng + Send> EngineRng for T {}

/// Why a call on the [`Endpoint`] was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// No connection of that name was added.
    #[error("unknown connection \"{0}\"")]
    UnknownConnection(String),
    /// A connection of that name already exists.
    #[error("connection \"{0}\" already exists")]
    DuplicateConnection(String),
    /// The connection's settings cannot work; the message names the setting.
    #[error("connection \"{conn}\": invalid setting: {reason}")]
    InvalidConfig {
        /// Connection name.
        conn: String,
        /// Which setting is wrong and why.
        reason: String,
    },
}

/// A sans-IO IKEv1 endpoint: every connection, ISAKMP SA and IPsec SA of one gateway.
///
/// Feed it datagrams ([`handle`](Self::handle)), the passing of time
/// ([`handle_timeout`](Self::handle_timeout)) and commands ([`initiate`](Self::initiate),
/// [`delete`](Self::delete)); drain [`poll_transmit`](Self::poll_transmit),
/// [`poll_event`](Self::poll_event) and [`poll_timeout`](Self::poll_timeout) after each call.
/// It never reads a clock, opens a socket or spawns a thread, and given the same inputs and
/// the same random generator it produces the same outputs.
pub struct Endpoint {
    pub(crate) config: EndpointConfig,
    pub(crate) rng: Box<dyn EngineRng>,
    pub(crate) engine: crate::engine::Engine,
    pub(crate) transmits: VecDeque<Transmit>,
    pub(crate) events: VecDeque<Event>,
}

impl Endpoint {
    /// Creates an endpoint with no connections.
    pub fn new(config: EndpointConfig, rng: Box<dyn EngineRng>) -> Self {
        Self {
            config,
            rng,
            engine: crate::engine::Engine::default(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// Adds a connection. The endpoint answers negotiations from its peer from now on; call
    /// [`initiate`](Self::initiate) to start one.
    ///
    /// # Errors
    /// [`EndpointError::DuplicateConnection`] when the name is taken,
    /// [`EndpointError::InvalidConfig`] when the settings cannot work (e.g. RSA keys missing,
    /// address families of the ends differ).
    pub fn add_connection(&mut self, config: ConnectionConfig) -> Result<(), EndpointError> {
        self.engine_add_connection(config)
    }

    /// Removes a connection, deleting its SAs first (with Delete notifications to the peer).
    ///
    /// # Errors
    /// [`EndpointError::UnknownConnection`].
    pub fn remove_connection(&mut self, now: Instant, name: &str) -> Result<(), EndpointError> {
        self.engine_remove_connection(now, name)
    }

    /// Starts Main Mode (and then Quick Mode) for connection `name`, as `ipsec auto --up`.
    /// With an ISAKMP SA already established, starts only Quick Mode.
    ///
    /// # Errors
    /// [`EndpointError::UnknownConnection`].
    pub fn initiate(&mut self, now: Instant, name: &str) -> Result<(), EndpointError> {
        self.engine_initiate(now, name)
    }

    /// Processes one received UDP datagram. `local` is the address and port it arrived on
    /// (500 or 4500) and `remote` the sender's. On port 4500 pass the datagram as received:
    /// the non-ESP marker is removed here, and ESP packets or keepalives are ignored.
    ///
    /// Malformed, unexpected or unauthenticated datagrams are dropped (logged at debug level)
    /// and never create state, except a valid first Main Mode message.
    pub fn handle(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr, datagram: &[u8]) {
        self.engine_handle(now, local, remote, datagram)
    }

    /// Returns the next datagram to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// Returns the earliest time at which [`handle_timeout`](Self::handle_timeout) must be
    /// called, or `None` when no timer is armed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.engine_poll_timeout()
    }

    /// Runs every timer due at `now`: retransmissions, rekeying, expiry, DPD, NAT keepalives.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.engine_handle_timeout(now)
    }

    /// Returns the next event for the application, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// Deletes every SA of connection `name` (sending authenticated Delete payloads), as
    /// `ipsec auto --down`.
    ///
    /// # Errors
    /// [`EndpointError::UnknownConnection`].
    pub fn delete(&mut self, now: Instant, name: &str) -> Result<(), EndpointError> {
        self.engine_delete(now, name)
    }

    /// Returns a snapshot of connections and states for `ipsec auto --status`.
    pub fn status(&self) -> EndpointStatus {
        self.engine_status()
    }

    /// Returns Wireshark's IKEv1 decryption table entries for the established and
    /// half-established ISAKMP SAs: (initiator cookie, phase 1 encryption key).
    ///
    /// These are secret keys: the caller must only write them where a debugging operator asked
    /// for them. Format each as `hex(cookie),hex(key)` for `uat:ikev1_decryption_table`.
    pub fn ikev1_decryption_table(&self) -> Vec<([u8; 8], Vec<u8>)> {
        self.engine_decryption_table()
    }
}
