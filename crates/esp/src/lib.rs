//! ESP (RFC 4303) packet transforms, security associations, anti-replay and selectors.
//!
//! The crate does no I/O and reads no clock: callers pass packets in buffers they own and
//! the current time as an [`Instant`](std::time::Instant). It is meant for userspace
//! datapaths (a TUN device and a UDP socket) and for tests that need an independent ESP.
//!
//! # Shape
//! - [`Suite`] pairs a [`Cipher`] (AES-CBC 128/192/256, 3DES-CBC, NULL, AES-GCM-16 128/256)
//!   with an [`Integrity`] algorithm (HMAC-MD5-96, HMAC-SHA1-96, HMAC-SHA2-256/384/512).
//! - [`OutboundSa::encapsulate`] turns an IP packet in a [`PacketBuf`] into an outer IP
//!   packet (tunnel or transport mode, optionally in UDP per RFC 3948) in the same buffer,
//!   using headroom and tailroom. [`Encapsulated`] gives both the whole packet and the ESP
//!   part for UDP sockets.
//! - [`InboundSa::decapsulate`] checks SPI, anti-replay window, ICV (in constant time),
//!   padding and Next Header, and returns a [`Decapsulated`] whose [`Delivery`] says what to
//!   do with the inner packet. Every failure is a typed [`EspError`] and is counted in the
//!   SA's [`Counters`].
//! - Lifetimes in bytes, packets and time raise [`LifetimeEvent`]s (soft: rekey; hard: the SA
//!   refuses further packets).
//! - [`Spd`] maps a packet to [`PolicyAction::Protect`], `Bypass` or `Discard`.
//! - [`classify_udp_payload`] and [`parse_outer`] split UDP/4500 traffic into IKE, ESP and
//!   NAT keepalives.
//!
//! Steady-state packet processing never allocates (a counting-allocator test checks every
//! suite). Raw key bytes are zeroized on drop and no `Debug` output shows them; the keyed
//! HMAC states and `ring`'s AES-GCM key schedule are not zeroized.
//!
//! # Algorithms
//! AES-CBC, 3DES and HMAC come from the RustCrypto crates (`aes`, `des`, `cbc`, `hmac`,
//! `sha1`, `sha2`, `md-5`), AES-GCM from `ring`, which was more than four times faster here.
//! CBC IVs come from a ChaCha20 CSPRNG owned by each [`OutboundSa`] and seeded from the
//! caller's CSPRNG; AES-GCM IVs are the 64-bit sequence number.
//!
//! # Example
//! ```
//! use std::net::{IpAddr, Ipv4Addr};
//! use std::time::Instant;
//! use esp::{InboundSa, Keys, Mode, OutboundSa, PacketBuf, SaConfig, Suite, MAX_HEADROOM};
//!
//! let now = Instant::now();
//! let config = SaConfig::new(
//!     0x1234_5678,
//!     Suite::AES128_SHA1,
//!     Mode::Tunnel,
//!     IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
//!     IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
//! );
//! let keys = Keys::new(&[7; 16], &[9; 20]);
//! let mut rng = rand_chacha::ChaCha20Rng::from_seed([1; 32]);
//! # use rand_core::SeedableRng;
//! let mut outbound = OutboundSa::new(config.clone(), &keys, now, &mut rng)?;
//! let mut inbound = InboundSa::new(config, &keys, now)?;
//!
//! // A minimal IPv4 header (20 bytes, protocol 59) with total length 20 and no checksum.
//! let inner = [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 59, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2];
//! let mut storage = [0u8; 256];
//! storage[MAX_HEADROOM..MAX_HEADROOM + inner.len()].copy_from_slice(&inner);
//! let mut buf = PacketBuf::new(&mut storage, MAX_HEADROOM, inner.len());
//! let sent = outbound.encapsulate(now, &mut buf)?;
//!
//! let mut buf = PacketBuf::new(&mut storage, sent.esp.start, sent.esp.len());
//! let received = inbound.decapsulate(now, &mut buf)?;
//! assert_eq!(&storage[received.packet], &inner[..]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod buf;
mod crypto;
mod error;
mod ip;
mod lifetime;
mod replay;
mod sa;
mod spd;
mod suite;
mod udp;

pub use buf::{PacketBuf, MAX_HEADROOM, MAX_TAILROOM};
pub use error::{ConfigError, EspError};
pub use ip::{
    IpHeader, IPV4_HEADER_LEN, IPV6_HEADER_LEN, PROTO_ESP, PROTO_IPV4, PROTO_IPV6,
    PROTO_NO_NEXT_HEADER,
};
pub use ip::{PROTO_TCP, PROTO_UDP, UDP_HEADER_LEN};
pub use lifetime::{Lifetime, LifetimeEvent, LimitKind, Limits};
pub use replay::{ReplayWindow, MAX_REPLAY_WINDOW};
pub use sa::{
    Counters, Decapsulated, Delivery, Encapsulated, InboundSa, Mode, OutboundSa, SaConfig,
};
pub use sa::{DEFAULT_REPLAY_WINDOW, ESP_HEADER_LEN};
pub use spd::{Flow, IpPrefix, PolicyAction, PortRange, PrefixError, Selector, Spd};
pub use suite::{Cipher, Integrity, Keys, Suite};
pub use udp::{classify_udp_payload, parse_outer, OuterKind, OuterPacket, UdpEncap, UdpPayload};
pub use udp::{NAT_KEEPALIVE, NAT_T_PORT, NON_ESP_MARKER};

/// Re-exported so that callers can seed [`OutboundSa::new`] without naming the version.
pub use rand_core;
