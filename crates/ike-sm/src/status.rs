//! A snapshot of connections and states for `ipsec auto --status`.

use std::fmt;
use std::net::SocketAddr;
use std::time::Instant;

use crate::config::Subnet;

/// Everything `ipsec auto --status` prints about the engine, taken with
/// [`Endpoint::status`](crate::Endpoint::status).
#[derive(Debug, Clone, Default)]
pub struct EndpointStatus {
    /// Configured connections in the order they were added.
    pub connections: Vec<ConnectionStatus>,
    /// Live states (ISAKMP and IPsec SAs and negotiations in progress), by serial number.
    pub states: Vec<StateStatus>,
}

/// One configured connection.
#[derive(Debug, Clone)]
pub struct ConnectionStatus {
    /// Connection name.
    pub name: String,
    /// Our public address.
    pub local: SocketAddr,
    /// The peer's public address.
    pub remote: SocketAddr,
    /// Our protected subnet, if any.
    pub local_subnet: Option<Subnet>,
    /// The peer's protected subnet, if any.
    pub remote_subnet: Option<Subnet>,
    /// Serial of the newest established ISAKMP SA.
    pub newest_isakmp: Option<u32>,
    /// Serial of the newest established IPsec SA.
    pub newest_ipsec: Option<u32>,
    /// Openswan's name of the newest phase 1 algorithms, e.g. `AES_CBC_128-SHA1-MODP2048`.
    pub ike_algorithm_newest: Option<String>,
    /// Openswan's name of the newest ESP algorithms, e.g. `AES_128-HMAC_SHA1`.
    pub esp_algorithm_newest: Option<String>,
}

/// Whether a state is an ISAKMP (phase 1) or an IPsec (phase 2) state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateKind {
    /// Main Mode state, the ISAKMP SA.
    Isakmp,
    /// Quick Mode state, a pair of IPsec SAs.
    Ipsec,
}

/// One live state.
#[derive(Debug, Clone)]
pub struct StateStatus {
    /// Serial number (`#1`).
    pub serial: u32,
    /// Connection name.
    pub conn: String,
    /// ISAKMP or IPsec state.
    pub kind: StateKind,
    /// Openswan's state name, e.g. `STATE_MAIN_R3`.
    pub state: &'static str,
    /// Openswan's description of the state, e.g. `sent MR3, ISAKMP SA established`.
    pub story: &'static str,
    /// The next timer event: Openswan's name (`EVENT_SA_REPLACE`, `EVENT_RETRANSMIT`, ...)
    /// and its deadline.
    pub next_event: Option<(&'static str, Instant)>,
    /// Whether this is the connection's newest SA of its kind.
    pub newest: bool,
    /// For an established IPsec state: (outbound SPI, inbound SPI).
    pub esp_spis: Option<(u32, u32)>,
}

impl StateStatus {
    /// Formats the state as Openswan 2.6's `ipsec auto --status` line, with timers relative to
    /// `now`: `#4: "net-to-net" STATE_QUICK_R2 (IPsec SA established); EVENT_SA_REPLACE in 3635s;
    /// newest IPSEC; eroute owner` (without the leading `000 `).
    pub fn openswan_line(&self, now: Instant) -> String {
        let mut line = format!(
            "#{}: \"{}\" {} ({})",
            self.serial, self.conn, self.state, self.story
        );
        if let Some((name, at)) = self.next_event {
            let secs = at.saturating_duration_since(now).as_secs();
            line.push_str(&format!("; {name} in {secs}s"));
        }
        if self.newest {
            match self.kind {
                StateKind::Isakmp => line.push_str("; newest ISAKMP"),
                StateKind::Ipsec => line.push_str("; newest IPSEC; eroute owner"),
            }
        }
        line
    }
}

impl fmt::Display for StateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "#{}: \"{}\" {} ({})",
            self.serial, self.conn, self.state, self.story
        )
    }
}
