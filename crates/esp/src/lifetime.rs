//! SA lifetimes in bytes, packets and time, with soft and hard limits (RFC 4301 4.4.2.1).

use core::fmt;
use std::time::{Duration, Instant};

/// Limits on one SA; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of inner packets protected or verified.
    pub bytes: Option<u64>,
    /// Packets protected or verified.
    pub packets: Option<u64>,
    /// Time since the SA was created.
    pub time: Option<Duration>,
}

/// Soft and hard limits. Reaching a soft limit asks for a rekey; reaching a hard limit makes
/// the SA refuse all further packets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifetime {
    /// Limits that raise [`LifetimeEvent::Soft`] once.
    pub soft: Limits,
    /// Limits that raise [`LifetimeEvent::Hard`] once and expire the SA.
    pub hard: Limits,
}

/// Which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    /// The byte limit.
    Bytes,
    /// The packet limit.
    Packets,
    /// The time limit.
    Time,
}

impl fmt::Display for LimitKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LimitKind::Bytes => "bytes",
            LimitKind::Packets => "packets",
            LimitKind::Time => "time",
        })
    }
}

/// A lifetime limit reached, reported once per SA and kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LifetimeEvent {
    /// A soft limit: start rekeying; the SA still works.
    Soft(LimitKind),
    /// A hard limit: the SA has expired and rejects every further packet.
    Hard(LimitKind),
}

/// Usage of an SA against its lifetime.
#[derive(Debug, Clone)]
pub(crate) struct LifetimeState {
    lifetime: Lifetime,
    created: Instant,
    soft_reported: bool,
    expired: Option<LimitKind>,
}

impl LifetimeState {
    pub(crate) fn new(lifetime: Lifetime, created: Instant) -> LifetimeState {
        LifetimeState {
            lifetime,
            created,
            soft_reported: false,
            expired: None,
        }
    }

    pub(crate) fn expired(&self) -> Option<LimitKind> {
        self.expired
    }

    /// Returns the hard limit reached so far, marking the SA expired; leaves soft limits for
    /// [`update`](Self::update) to report.
    pub(crate) fn check_hard(
        &mut self,
        now: Instant,
        bytes: u64,
        packets: u64,
    ) -> Option<LimitKind> {
        if self.expired.is_none() {
            let age = now.saturating_duration_since(self.created);
            self.expired = reached(&self.lifetime.hard, age, bytes, packets);
        }
        self.expired
    }

    /// Compares the usage so far with the limits and returns the first event not yet reported.
    pub(crate) fn update(
        &mut self,
        now: Instant,
        bytes: u64,
        packets: u64,
    ) -> Option<LifetimeEvent> {
        if self.expired.is_some() {
            return None;
        }
        let age = now.saturating_duration_since(self.created);

        if let Some(kind) = reached(&self.lifetime.hard, age, bytes, packets) {
            self.expired = Some(kind);
            return Some(LifetimeEvent::Hard(kind));
        }
        if !self.soft_reported {
            if let Some(kind) = reached(&self.lifetime.soft, age, bytes, packets) {
                self.soft_reported = true;
                return Some(LifetimeEvent::Soft(kind));
            }
        }
        None
    }
}

fn reached(limits: &Limits, age: Duration, bytes: u64, packets: u64) -> Option<LimitKind> {
    if limits.bytes.is_some_and(|limit| bytes >= limit) {
        return Some(LimitKind::Bytes);
    }
    if limits.packets.is_some_and(|limit| packets >= limit) {
        return Some(LimitKind::Packets);
    }
    if limits.time.is_some_and(|limit| age >= limit) {
        return Some(LimitKind::Time);
    }
    None
}
