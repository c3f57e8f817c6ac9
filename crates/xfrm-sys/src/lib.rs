//! Typed Linux XFRM netlink API for IPsec SAs and policies.
//!
//! `xfrm-sys` talks to the kernel's IPsec tables over a `NETLINK_XFRM` socket: it adds,
//! updates, reads, lists, deletes and flushes SAs and policies, allocates SPIs, and receives
//! acquire and expire events. The messages it builds are byte for byte the ones iproute2's
//! `ip xfrm` sends for the same command (a test compares them), and every reply is parsed into
//! the same types, so a dump can be compared with what was installed.
//!
//! ```no_run
//! use std::net::IpAddr;
//! use xfrm_sys::{names, AuthAlgorithm, Algorithm, Direction, IpProtocol, Mode, PolicySpec,
//!     SaSpec, Selector, Template, XfrmSocket};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (left, right): (IpAddr, IpAddr) = ("192.0.2.1".parse()?, "192.0.2.2".parse()?);
//! let mut socket = XfrmSocket::open()?;
//! if !socket.probe_esp()? {
//!     // No kernel ESP: use a userspace datapath instead.
//!     return Ok(());
//! }
//!
//! let mut sa = SaSpec::new(left, right, IpProtocol::ESP, 0x1000, Mode::TUNNEL);
//! sa.reqid = 1;
//! sa.replay_window = 32;
//! sa.encryption = Some(Algorithm::new(names::CBC_AES, &[0x11; 16])?);
//! sa.authentication = Some(AuthAlgorithm::new(names::HMAC_SHA256, &[0x22; 32], Some(128))?);
//! socket.add_sa(&sa)?;
//!
//! let selector = Selector::subnets("10.1.0.0".parse()?, 16, "10.2.0.0".parse()?, 16);
//! let mut policy = PolicySpec::new(selector, Direction::OUT);
//! policy.templates.push(Template::tunnel(IpProtocol::ESP, left, right).with_reqid(1));
//! socket.add_policy(&policy)?;
//! # Ok(())
//! # }
//! ```
//!
//! Layout: one module per netlink message kind ([`sa`], [`sa_id`], [`spi`], [`policy`],
//! [`flush`], [`events`]), shared structures in [`types`] and [`algorithm`], netlink framing in
//! [`netlink`] and [`message`], and the socket in [`socket`], the only module with `unsafe`
//! code (system calls through the `libc` crate, each with a SAFETY comment).
//!
//! Parsing never panics on any input: malformed bytes give a [`ParseError`] naming the
//! structure, the offset and what was expected. Failed requests give an [`XfrmError`] naming
//! the [`Operation`] and the kernel's errno; an ESP SA on a kernel without ESP gives
//! [`XfrmError::EspNotAvailable`]. Keys are zeroized on drop and `Debug` prints only their
//! length.
//!
//! Needs Linux and, for changes, `CAP_NET_ADMIN` in the socket's network namespace.

#![deny(unsafe_code)]

pub mod algorithm;
pub mod attr;
mod codec;
pub mod error;
pub mod events;
pub mod flush;
pub mod message;
pub mod netlink;
pub mod policy;
pub mod sa;
pub mod sa_id;
#[allow(unsafe_code)]
pub mod socket;
pub mod spi;
pub mod types;

pub use algorithm::{names, AeadAlgorithm, Algorithm, AlgorithmName, AuthAlgorithm, SecretKey};
pub use error::{Operation, ParseError, XfrmError};
pub use events::{Acquire, Expire, PolicyExpire};
pub use flush::{FlushPolicy, FlushSa};
pub use message::{NetlinkMessage, Payload, XfrmMessage};
pub use policy::{PolicyId, PolicySpec, Template};
pub use sa::SaSpec;
pub use sa_id::SaId;
pub use socket::{probe_esp, MulticastGroup, XfrmSocket};
pub use spi::AllocSpi;
pub use types::{
    AddressFamily, AddressFilter, Direction, Encap, EncapType, IpProtocol, LifetimeConfig,
    LifetimeCurrent, Mark, Mode, PolicyAction, PolicyFlags, PolicyType, ReplayEsn, ReplayState,
    SaExtraFlags, SaFlags, Selector, Share, Stats, XfrmAddress, XfrmId, XFRM_INF,
};
