//! Typed errors of the ESP transforms and of SA set-up.

use thiserror::Error;

/// Why a packet was not encapsulated or decapsulated.
///
/// Every variant is counted in [`Counters`](crate::Counters) of the SA that returned it. None of
/// them is raised by a panic: malformed input of any length ends in one of these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum EspError {
    /// The packet is shorter than its headers or trailer require.
    #[error(
        "truncated packet: {field} needs {needed} bytes at offset {offset}, {available} available"
    )]
    Truncated {
        /// The header, field or trailer that did not fit.
        field: &'static str,
        /// Offset of that field from the start of the input.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes present from `offset` on.
        available: usize,
    },

    /// The SPI in the ESP header is not the SPI of this SA.
    #[error("SPI mismatch: packet carries 0x{found:08x}, SA expects 0x{expected:08x}")]
    SpiMismatch {
        /// The SA's SPI.
        expected: u32,
        /// The SPI in the packet.
        found: u32,
    },

    /// The sequence number was already received (RFC 4303 3.4.3).
    #[error("replayed packet: sequence number {seq} was already received")]
    Replay {
        /// The full (ESN-expanded) sequence number.
        seq: u64,
    },

    /// The sequence number lies to the left of the anti-replay window (RFC 4303 3.4.3).
    #[error(
        "stale packet: sequence number {seq} is older than the replay window (highest {highest})"
    )]
    Stale {
        /// The full (ESN-expanded) sequence number.
        seq: u64,
        /// The highest sequence number received so far.
        highest: u64,
    },

    /// The integrity check value did not match (RFC 4303 3.4.4), or the AEAD tag failed.
    #[error("integrity check failed for sequence number {seq}")]
    IcvMismatch {
        /// The full (ESN-expanded) sequence number the ICV was checked for.
        seq: u64,
    },

    /// The ciphertext length is not a multiple of the cipher's block size.
    #[error("ciphertext length {len} is not a multiple of the block size {block_size}")]
    BadCiphertextLength {
        /// Bytes of ciphertext after the IV.
        len: usize,
        /// The cipher's block size.
        block_size: usize,
    },

    /// The decrypted trailer's padding is invalid (RFC 4303 2.4: monotonic 1, 2, 3, ...).
    #[error("invalid padding: pad length {pad_len} with {payload_len} bytes of decrypted payload")]
    BadPadding {
        /// The Pad Length field.
        pad_len: u8,
        /// Bytes of decrypted payload including the trailer.
        payload_len: usize,
    },

    /// The Next Header value does not fit the SA's mode.
    #[error("unexpected next header {next_header} in {mode} mode")]
    UnexpectedNextHeader {
        /// The Next Header field of the trailer.
        next_header: u8,
        /// "tunnel" or "transport".
        mode: &'static str,
    },

    /// The plaintext packet handed to `encapsulate` is not a well-formed IP packet.
    #[error("invalid inner packet: {reason}")]
    InvalidInnerPacket {
        /// What was wrong, for example "IP version 7" or "total length 1500 exceeds 84 bytes".
        reason: &'static str,
    },

    /// The caller's buffer has too little headroom for the headers to prepend.
    #[error("buffer headroom {available} too small, {needed} bytes needed")]
    NoHeadroom {
        /// Bytes needed in front of the data.
        needed: usize,
        /// Bytes available in front of the data.
        available: usize,
    },

    /// The caller's buffer has too little tailroom for padding, trailer and ICV.
    #[error("buffer tailroom {available} too small, {needed} bytes needed")]
    NoTailroom {
        /// Bytes needed after the data.
        needed: usize,
        /// Bytes available after the data.
        available: usize,
    },

    /// The outbound sequence number would cycle (RFC 4303 3.3.3); the SA must be rekeyed.
    #[error("sequence number space exhausted; rekey the SA")]
    SequenceExhausted,

    /// A hard lifetime has expired; the SA must not be used any more.
    #[error("SA expired: hard {0} limit reached")]
    Expired(crate::LimitKind),
}

/// Why an SA could not be created.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The encryption key has the wrong length for the cipher.
    #[error("encryption key is {found} bytes, {cipher} needs {expected}")]
    EncryptionKeyLength {
        /// Name of the cipher.
        cipher: &'static str,
        /// Required length in bytes (including the 4-byte salt for AES-GCM).
        expected: usize,
        /// Length given.
        found: usize,
    },

    /// The integrity key has the wrong length for the algorithm.
    #[error("integrity key is {found} bytes, {integrity} needs {expected}")]
    IntegrityKeyLength {
        /// Name of the integrity algorithm.
        integrity: &'static str,
        /// Required length in bytes.
        expected: usize,
        /// Length given.
        found: usize,
    },

    /// The cipher and integrity algorithm cannot be combined.
    #[error("invalid suite: {0}")]
    InvalidSuite(&'static str),

    /// The anti-replay window size is outside `0..=MAX_REPLAY_WINDOW`.
    #[error("replay window of {0} packets exceeds the maximum of {max}", max = crate::MAX_REPLAY_WINDOW)]
    ReplayWindowTooLarge(u32),

    /// A tunnel-mode outbound SA needs the outer source and destination addresses.
    #[error("tunnel endpoints {0}: both must be IPv4 or both IPv6")]
    TunnelEndpoints(&'static str),
}
