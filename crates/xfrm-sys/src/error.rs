//! Typed errors: [`ParseError`] for bytes that are not a valid netlink or XFRM message, and
//! [`XfrmError`] for a request that failed, naming the operation and the kernel's errno.

use std::fmt;
use std::io;
use std::time::Duration;

/// `EPROTONOSUPPORT`, which `XFRM_MSG_NEWSA` returns when the kernel has no ESP (or AH, IPComp)
/// type for the SA's protocol and family.
pub const EPROTONOSUPPORT: i32 = libc::EPROTONOSUPPORT;

/// A byte string that is not a valid netlink or XFRM message.
///
/// Offsets count from the start of the buffer handed to the parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A fixed-size structure or field runs past the end of its enclosing message or attribute.
    #[error("{what} at offset {offset} is truncated: needs {needed} bytes, {available} available")]
    Truncated {
        what: &'static str,
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// A length field (`nlmsg_len`, `nla_len`) is smaller than its header or larger than the data.
    #[error(
        "{what} at offset {offset} has invalid length {length}: expected {min} to {max} bytes"
    )]
    InvalidLength {
        what: &'static str,
        offset: usize,
        length: usize,
        min: usize,
        max: usize,
    },
    /// An algorithm name is not NUL-terminated within its 64 bytes or is not UTF-8.
    #[error("algorithm name at offset {offset} is not a NUL-terminated UTF-8 string of at most {max} bytes")]
    InvalidAlgorithmName { offset: usize, max: usize },
    /// An algorithm key length in bits is not a whole number of bytes.
    #[error("algorithm key length at offset {offset} is {bits} bits: expected a multiple of 8")]
    KeyLengthNotBytes { offset: usize, bits: u32 },
    /// An ESN replay bitmap is longer than the kernel allows.
    #[error("replay bitmap at offset {offset} has {words} words: expected at most {max}")]
    ReplayBitmapTooLong {
        offset: usize,
        words: usize,
        max: usize,
    },
    /// A policy or acquire message carries more templates than the kernel's maximum depth.
    #[error("template list at offset {offset} has {count} templates: expected at most {max}")]
    TooManyTemplates {
        offset: usize,
        count: usize,
        max: usize,
    },
    /// A message holds more attributes than [`crate::netlink::MAX_ATTRIBUTES`].
    #[error("message at offset {offset} has more than {max} attributes")]
    TooManyAttributes { offset: usize, max: usize },
}

/// The request an [`XfrmError`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    OpenSocket,
    AddSa,
    UpdateSa,
    DeleteSa,
    GetSa,
    DumpSas,
    FlushSas,
    AllocSpi,
    AddPolicy,
    UpdatePolicy,
    DeletePolicy,
    GetPolicy,
    DumpPolicies,
    FlushPolicies,
    Subscribe,
    ReceiveEvent,
    ProbeEsp,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Operation::OpenSocket => "opening the NETLINK_XFRM socket",
            Operation::AddSa => "adding an SA (XFRM_MSG_NEWSA)",
            Operation::UpdateSa => "updating an SA (XFRM_MSG_UPDSA)",
            Operation::DeleteSa => "deleting an SA (XFRM_MSG_DELSA)",
            Operation::GetSa => "getting an SA (XFRM_MSG_GETSA)",
            Operation::DumpSas => "dumping SAs (XFRM_MSG_GETSA dump)",
            Operation::FlushSas => "flushing SAs (XFRM_MSG_FLUSHSA)",
            Operation::AllocSpi => "allocating an SPI (XFRM_MSG_ALLOCSPI)",
            Operation::AddPolicy => "adding a policy (XFRM_MSG_NEWPOLICY)",
            Operation::UpdatePolicy => "updating a policy (XFRM_MSG_UPDPOLICY)",
            Operation::DeletePolicy => "deleting a policy (XFRM_MSG_DELPOLICY)",
            Operation::GetPolicy => "getting a policy (XFRM_MSG_GETPOLICY)",
            Operation::DumpPolicies => "dumping policies (XFRM_MSG_GETPOLICY dump)",
            Operation::FlushPolicies => "flushing policies (XFRM_MSG_FLUSHPOLICY)",
            Operation::Subscribe => "joining an XFRM multicast group",
            Operation::ReceiveEvent => "receiving an XFRM event",
            Operation::ProbeEsp => "probing for kernel ESP",
        };
        f.write_str(text)
    }
}

/// A failed XFRM request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum XfrmError {
    /// The kernel has no ESP for this address family: `XFRM_MSG_NEWSA` (or `UPDSA`) of an ESP SA
    /// returned `EPROTONOSUPPORT` ("Requested type not found"), as on kernels built without
    /// `CONFIG_INET_ESP` / `CONFIG_INET6_ESP` or with the `esp4`/`esp6` modules missing.
    #[error("ESP is not available in this kernel: {operation} returned errno {errno} (EPROTONOSUPPORT){}", ext_ack(.message))]
    EspNotAvailable {
        operation: Operation,
        errno: i32,
        message: Option<String>,
    },
    /// The kernel rejected the request with this errno (a positive value such as `libc::EEXIST`).
    #[error("{operation} failed: {} (errno {errno}){}", io::Error::from_raw_os_error(*.errno), ext_ack(.message))]
    Kernel {
        operation: Operation,
        errno: i32,
        /// The kernel's extended-ack message, when it sent one.
        message: Option<String>,
    },
    /// A socket system call failed.
    #[error("{operation} failed: {call}: {source}")]
    Socket {
        operation: Operation,
        call: &'static str,
        #[source]
        source: io::Error,
    },
    /// The kernel's reply could not be parsed.
    #[error("{operation} failed: invalid reply from the kernel: {source}")]
    InvalidReply {
        operation: Operation,
        #[source]
        source: ParseError,
    },
    /// The kernel answered with a message of a type the request does not expect.
    #[error("{operation} failed: unexpected reply of netlink type {message_type}")]
    UnexpectedReply {
        operation: Operation,
        message_type: u16,
    },
    /// A datagram did not fit the receive buffer.
    #[error("{operation} failed: a {length}-byte netlink datagram exceeds the {capacity}-byte receive buffer")]
    ReplyTooLarge {
        operation: Operation,
        length: usize,
        capacity: usize,
    },
    /// No reply came within the timeout.
    #[error("{operation} timed out after {after:?} without a reply from the kernel")]
    Timeout {
        operation: Operation,
        after: Duration,
    },
    /// The kernel's state changed during a dump (`NLM_F_DUMP_INTR`); the caller should retry.
    #[error("{operation} was interrupted by a concurrent change: retry the dump")]
    DumpInterrupted { operation: Operation },
}

fn ext_ack(message: &Option<String>) -> String {
    match message {
        Some(text) => format!(": {text}"),
        None => String::new(),
    }
}

impl XfrmError {
    /// Returns the kernel's errno (positive) when the kernel rejected the request.
    pub fn errno(&self) -> Option<i32> {
        match self {
            XfrmError::EspNotAvailable { errno, .. } | XfrmError::Kernel { errno, .. } => {
                Some(*errno)
            }
            XfrmError::Socket { source, .. } => source.raw_os_error(),
            _ => None,
        }
    }

    /// Returns the operation that failed.
    pub fn operation(&self) -> Operation {
        match self {
            XfrmError::EspNotAvailable { operation, .. }
            | XfrmError::Kernel { operation, .. }
            | XfrmError::Socket { operation, .. }
            | XfrmError::InvalidReply { operation, .. }
            | XfrmError::UnexpectedReply { operation, .. }
            | XfrmError::ReplyTooLarge { operation, .. }
            | XfrmError::Timeout { operation, .. }
            | XfrmError::DumpInterrupted { operation } => *operation,
        }
    }
}
