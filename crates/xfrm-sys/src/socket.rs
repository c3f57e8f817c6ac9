//! The `NETLINK_XFRM` socket: the only module with `unsafe` code, confined to the `sys`
//! wrappers around socket system calls (through the `libc` crate).

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr};
use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::algorithm::{names, Algorithm, AuthAlgorithm};
use crate::error::{Operation, XfrmError, EPROTONOSUPPORT};
use crate::flush::{FlushPolicy, FlushSa};
use crate::message::{NetlinkMessage, Payload, XfrmMessage};
use crate::netlink::{ErrorMessage, NLM_F_DUMP_INTR};
use crate::policy::{PolicyId, PolicySpec};
use crate::sa::SaSpec;
use crate::sa_id::SaId;
use crate::spi::AllocSpi;
use crate::types::{AddressFilter, IpProtocol, Mode};

/// Receive buffer size. The kernel sizes dump datagrams at most 32 KiB (`netlink_dump` in
/// Linux 6.1), and events are far smaller.
pub const RECEIVE_BUFFER_LEN: usize = 64 * 1024;

/// How long a request waits for the kernel's reply before [`XfrmError::Timeout`]. The kernel
/// replies to XFRM requests synchronously, so this only guards against a lost reply.
pub const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// Maximum number of multicast events queued while a request waits for its reply. Older
/// events are dropped past it.
pub const MAX_QUEUED_EVENTS: usize = 1024;

/// SPI of the SA that [`XfrmSocket::probe_esp`] requests from the kernel. The kernel never
/// installs it: the request fails either at the missing ESP type or at the key check.
const PROBE_SPI: u32 = 0xfffe_0001;

/// `NETLINK_EXT_ACK`: ask for error strings in `NLMSG_ERROR`.
const NETLINK_EXT_ACK: libc::c_int = 11;
/// `NETLINK_CAP_ACK`: do not echo the request's payload in `NLMSG_ERROR`.
const NETLINK_CAP_ACK: libc::c_int = 10;

/// `XFRMNLGRP_*` multicast groups for [`XfrmSocket::subscribe`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct MulticastGroup(pub u32);

impl MulticastGroup {
    /// `XFRM_MSG_ACQUIRE`: a policy needs an SA.
    pub const ACQUIRE: MulticastGroup = MulticastGroup(1);
    /// `XFRM_MSG_EXPIRE` and `XFRM_MSG_POLEXPIRE`: soft and hard lifetime events.
    pub const EXPIRE: MulticastGroup = MulticastGroup(2);
    /// SA additions, updates and deletions.
    pub const SA: MulticastGroup = MulticastGroup(3);
    /// Policy additions, updates and deletions.
    pub const POLICY: MulticastGroup = MulticastGroup(4);
}

/// A `NETLINK_XFRM` socket in the calling thread's network namespace.
///
/// Requests are synchronous: each method sends one message and reads the kernel's reply.
/// Managing SAs and policies needs `CAP_NET_ADMIN`. Multicast events (acquire, expire) are read
/// with [`XfrmSocket::receive_event`] after [`XfrmSocket::subscribe`]; a socket used for events
/// should usually be a separate one, because events that arrive while a request waits are
/// queued (up to [`MAX_QUEUED_EVENTS`]).
#[derive(Debug)]
pub struct XfrmSocket {
    fd: OwnedFd,
    port_id: u32,
    sequence: u32,
    buffer: Vec<u8>,
    events: VecDeque<XfrmMessage>,
    subscribed: bool,
    reply_timeout: Duration,
}

impl XfrmSocket {
    /// Opens and binds a socket, with extended acks on so that errors carry the kernel's text.
    pub fn open() -> Result<Self, XfrmError> {
        let operation = Operation::OpenSocket;
        let fd =
            sys::open_netlink_xfrm().map_err(|source| socket_error(operation, "socket", source))?;
        let port_id = sys::bind(&fd).map_err(|source| socket_error(operation, "bind", source))?;
        // Extended acks are best effort: kernels before 4.12 lack them and still work.
        let _ = sys::set_option(&fd, libc::SOL_NETLINK, NETLINK_EXT_ACK, 1);
        let _ = sys::set_option(&fd, libc::SOL_NETLINK, NETLINK_CAP_ACK, 1);
        Ok(XfrmSocket {
            fd,
            port_id,
            sequence: initial_sequence(),
            buffer: vec![0; RECEIVE_BUFFER_LEN],
            events: VecDeque::new(),
            subscribed: false,
            reply_timeout: DEFAULT_REPLY_TIMEOUT,
        })
    }

    /// Returns the netlink port id the kernel assigned to this socket.
    pub fn port_id(&self) -> u32 {
        self.port_id
    }

    /// Sets how long requests wait for a reply.
    pub fn set_reply_timeout(&mut self, timeout: Duration) {
        self.reply_timeout = timeout;
    }

    /// Installs a new SA (`XFRM_MSG_NEWSA`).
    ///
    /// Fails with [`XfrmError::EspNotAvailable`] for an ESP SA on a kernel without ESP, and
    /// with [`XfrmError::Kernel`] (errno `EEXIST`) when the SA already exists.
    pub fn add_sa(&mut self, sa: &SaSpec) -> Result<(), XfrmError> {
        let result = self.acknowledged(Operation::AddSa, XfrmMessage::NewSa(sa.clone()));
        map_missing_esp(result, sa.id.proto)
    }

    /// Replaces an SA or completes one made by [`XfrmSocket::alloc_spi`] (`XFRM_MSG_UPDSA`).
    pub fn update_sa(&mut self, sa: &SaSpec) -> Result<(), XfrmError> {
        let result = self.acknowledged(Operation::UpdateSa, XfrmMessage::UpdateSa(sa.clone()));
        map_missing_esp(result, sa.id.proto)
    }

    /// Deletes one SA (`XFRM_MSG_DELSA`); errno `ESRCH` when it does not exist.
    pub fn delete_sa(&mut self, id: &SaId) -> Result<(), XfrmError> {
        self.acknowledged(Operation::DeleteSa, XfrmMessage::DeleteSa(id.clone()))
    }

    /// Reads one SA back (`XFRM_MSG_GETSA`); errno `ESRCH` when it does not exist.
    pub fn get_sa(&mut self, id: &SaId) -> Result<SaSpec, XfrmError> {
        let operation = Operation::GetSa;
        match self.single_reply(operation, XfrmMessage::GetSa(id.clone()))? {
            XfrmMessage::NewSa(sa) => Ok(sa),
            other => Err(XfrmError::UnexpectedReply {
                operation,
                message_type: other.message_type(),
            }),
        }
    }

    /// Lists every SA of the namespace (`XFRM_MSG_GETSA` dump).
    pub fn dump_sas(&mut self) -> Result<Vec<SaSpec>, XfrmError> {
        self.dump_sas_filtered(None)
    }

    /// Lists the SAs whose addresses match `filter` (`XFRMA_ADDRESS_FILTER`).
    pub fn dump_sas_filtered(
        &mut self,
        filter: Option<AddressFilter>,
    ) -> Result<Vec<SaSpec>, XfrmError> {
        let operation = Operation::DumpSas;
        self.dump(operation, XfrmMessage::DumpSas(filter))?
            .into_iter()
            .map(|message| match message {
                XfrmMessage::NewSa(sa) => Ok(sa),
                other => Err(XfrmError::UnexpectedReply {
                    operation,
                    message_type: other.message_type(),
                }),
            })
            .collect()
    }

    /// Deletes every SA of `proto`, or all SAs with [`IpProtocol::ANY`] (`XFRM_MSG_FLUSHSA`).
    pub fn flush_sas(&mut self, proto: IpProtocol) -> Result<(), XfrmError> {
        self.acknowledged(Operation::FlushSas, XfrmMessage::FlushSa(FlushSa { proto }))
    }

    /// Reserves a free SPI (`XFRM_MSG_ALLOCSPI`) and returns the larval SA the kernel made; its
    /// `id.spi` is the SPI.
    pub fn alloc_spi(&mut self, request: &AllocSpi) -> Result<SaSpec, XfrmError> {
        let operation = Operation::AllocSpi;
        let reply = self.single_reply(operation, XfrmMessage::AllocSpi(request.clone()));
        match map_missing_esp(reply, request.info.id.proto)? {
            XfrmMessage::NewSa(sa) => Ok(sa),
            other => Err(XfrmError::UnexpectedReply {
                operation,
                message_type: other.message_type(),
            }),
        }
    }

    /// Installs a new policy (`XFRM_MSG_NEWPOLICY`); errno `EEXIST` when one with the same
    /// selector, direction and mark exists.
    pub fn add_policy(&mut self, policy: &PolicySpec) -> Result<(), XfrmError> {
        self.acknowledged(Operation::AddPolicy, XfrmMessage::NewPolicy(policy.clone()))
    }

    /// Adds or replaces a policy (`XFRM_MSG_UPDPOLICY`).
    pub fn update_policy(&mut self, policy: &PolicySpec) -> Result<(), XfrmError> {
        self.acknowledged(
            Operation::UpdatePolicy,
            XfrmMessage::UpdatePolicy(policy.clone()),
        )
    }

    /// Deletes a policy (`XFRM_MSG_DELPOLICY`); errno `ENOENT` when it does not exist.
    pub fn delete_policy(&mut self, id: &PolicyId) -> Result<(), XfrmError> {
        self.acknowledged(Operation::DeletePolicy, XfrmMessage::DeletePolicy(*id))
    }

    /// Reads one policy back (`XFRM_MSG_GETPOLICY`).
    pub fn get_policy(&mut self, id: &PolicyId) -> Result<PolicySpec, XfrmError> {
        let operation = Operation::GetPolicy;
        match self.single_reply(operation, XfrmMessage::GetPolicy(*id))? {
            XfrmMessage::NewPolicy(policy) => Ok(policy),
            other => Err(XfrmError::UnexpectedReply {
                operation,
                message_type: other.message_type(),
            }),
        }
    }

    /// Lists every policy of the namespace (`XFRM_MSG_GETPOLICY` dump), including the
    /// per-socket policies the kernel reports.
    pub fn dump_policies(&mut self) -> Result<Vec<PolicySpec>, XfrmError> {
        let operation = Operation::DumpPolicies;
        self.dump(operation, XfrmMessage::DumpPolicies)?
            .into_iter()
            .map(|message| match message {
                XfrmMessage::NewPolicy(policy) => Ok(policy),
                other => Err(XfrmError::UnexpectedReply {
                    operation,
                    message_type: other.message_type(),
                }),
            })
            .collect()
    }

    /// Deletes every main policy (`XFRM_MSG_FLUSHPOLICY`).
    pub fn flush_policies(&mut self) -> Result<(), XfrmError> {
        self.acknowledged(
            Operation::FlushPolicies,
            XfrmMessage::FlushPolicy(FlushPolicy::default()),
        )
    }

    /// Tells whether the kernel can install IPv4 ESP SAs.
    ///
    /// Sends an `XFRM_MSG_NEWSA` for an ESP SA whose AES key is one byte long. A kernel without
    /// ESP rejects it with `EPROTONOSUPPORT` before looking at keys; a kernel with ESP gets as
    /// far as keying the cipher and rejects it with `EINVAL`. Either way nothing is installed.
    /// Needs `CAP_NET_ADMIN` (otherwise the kernel's `EPERM` comes back as an error).
    pub fn probe_esp(&mut self) -> Result<bool, XfrmError> {
        let operation = Operation::ProbeEsp;
        let mut sa = SaSpec::new(
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)),
            IpProtocol::ESP,
            PROBE_SPI,
            Mode::TRANSPORT,
        );
        sa.encryption =
            Some(Algorithm::new(names::CBC_AES, &[0]).expect("constant algorithm name is valid"));
        sa.authentication = Some(
            AuthAlgorithm::new(names::HMAC_SHA1, &[0; 20], Some(96))
                .expect("constant algorithm name is valid"),
        );

        match self.acknowledged(operation, XfrmMessage::NewSa(sa.clone())) {
            Err(XfrmError::Kernel { errno, .. }) if errno == EPROTONOSUPPORT => Ok(false),
            Err(XfrmError::Kernel { errno, .. }) if errno == libc::EINVAL => Ok(true),
            Err(error) => Err(error),
            Ok(()) => {
                // NOTE: no kernel seen so far accepts a one-byte AES key; if one does, the SA
                // proves ESP works and is removed again.
                self.delete_sa(&sa.sa_id())?;
                Ok(true)
            }
        }
    }

    /// Joins a multicast group so that [`XfrmSocket::receive_event`] returns its messages.
    pub fn subscribe(&mut self, group: MulticastGroup) -> Result<(), XfrmError> {
        sys::set_option(
            &self.fd,
            libc::SOL_NETLINK,
            libc::NETLINK_ADD_MEMBERSHIP,
            group.0 as libc::c_int,
        )
        .map_err(|source| {
            socket_error(
                Operation::Subscribe,
                "setsockopt(NETLINK_ADD_MEMBERSHIP)",
                source,
            )
        })?;
        self.subscribed = true;
        Ok(())
    }

    /// Returns the next multicast event, waiting up to `timeout`; `Ok(None)` when none came.
    pub fn receive_event(&mut self, timeout: Duration) -> Result<Option<XfrmMessage>, XfrmError> {
        let operation = Operation::ReceiveEvent;
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(event) = self.events.pop_front() {
                return Ok(Some(event));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            if !sys::wait_readable(&self.fd, remaining)
                .map_err(|source| socket_error(operation, "poll", source))?
            {
                return Ok(None);
            }
            for message in self.receive_datagram(operation)? {
                if let Payload::Xfrm(event) = message.payload {
                    self.queue_event(event);
                }
            }
        }
    }

    /// Sends a request with `NLM_F_ACK` and waits for the acknowledgement.
    fn acknowledged(
        &mut self,
        operation: Operation,
        message: XfrmMessage,
    ) -> Result<(), XfrmError> {
        let sequence = self.send(operation, message)?;
        loop {
            for reply in self.replies(operation, sequence)? {
                if let Payload::Error(error) = reply.payload {
                    return kernel_result(operation, &error);
                }
            }
        }
    }

    /// Sends a request to which the kernel replies with one XFRM message (`GETSA`, `GETPOLICY`,
    /// `ALLOCSPI`).
    fn single_reply(
        &mut self,
        operation: Operation,
        message: XfrmMessage,
    ) -> Result<XfrmMessage, XfrmError> {
        let sequence = self.send(operation, message)?;
        loop {
            for reply in self.replies(operation, sequence)? {
                match reply.payload {
                    Payload::Error(error) => {
                        kernel_result(operation, &error)?;
                    }
                    Payload::Xfrm(message) => return Ok(message),
                    _ => {}
                }
            }
        }
    }

    /// Sends a dump request and collects the messages up to `NLMSG_DONE`.
    fn dump(
        &mut self,
        operation: Operation,
        message: XfrmMessage,
    ) -> Result<Vec<XfrmMessage>, XfrmError> {
        let sequence = self.send(operation, message)?;
        let mut messages = Vec::new();
        let mut interrupted = false;
        loop {
            for reply in self.replies(operation, sequence)? {
                interrupted |= reply.header.flags & NLM_F_DUMP_INTR != 0;
                match reply.payload {
                    Payload::Xfrm(message) => messages.push(message),
                    Payload::Error(error) => kernel_result(operation, &error)?,
                    Payload::Done(status) if status < 0 => {
                        return Err(kernel_error(operation, -status, None));
                    }
                    Payload::Done(_) if interrupted => {
                        return Err(XfrmError::DumpInterrupted { operation })
                    }
                    Payload::Done(_) => return Ok(messages),
                    _ => {}
                }
            }
        }
    }

    fn send(&mut self, operation: Operation, message: XfrmMessage) -> Result<u32, XfrmError> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut request = NetlinkMessage::request(message, self.sequence);
        request.header.port_id = self.port_id;
        // The request may contain keys: wipe the buffer after sending.
        let bytes = Zeroizing::new(request.to_bytes());
        sys::send(&self.fd, &bytes).map_err(|source| socket_error(operation, "sendto", source))?;
        Ok(self.sequence)
    }

    /// Waits for the next datagram and returns the replies to `sequence`; others are
    /// queued as events.
    fn replies(
        &mut self,
        operation: Operation,
        sequence: u32,
    ) -> Result<Vec<NetlinkMessage>, XfrmError> {
        if !sys::wait_readable(&self.fd, self.reply_timeout)
            .map_err(|source| socket_error(operation, "poll", source))?
        {
            return Err(XfrmError::Timeout {
                operation,
                after: self.reply_timeout,
            });
        }
        let mut replies = Vec::new();
        for message in self.receive_datagram(operation)? {
            let is_reply =
                message.header.sequence == sequence && message.header.port_id == self.port_id;
            match message.payload {
                Payload::Xfrm(event) if !is_reply => self.queue_event(event),
                _ if is_reply => replies.push(message),
                _ => {}
            }
        }
        Ok(replies)
    }

    fn receive_datagram(&mut self, operation: Operation) -> Result<Vec<NetlinkMessage>, XfrmError> {
        let length = sys::receive(&self.fd, &mut self.buffer)
            .map_err(|source| socket_error(operation, "recv", source))?;
        if length > self.buffer.len() {
            return Err(XfrmError::ReplyTooLarge {
                operation,
                length,
                capacity: self.buffer.len(),
            });
        }
        let datagram = self.buffer.get(..length).unwrap_or(&[]);
        let parsed = NetlinkMessage::parse_datagram(datagram);
        // Replies to GETSA and SA dumps contain keys.
        self.buffer.get_mut(..length).unwrap_or(&mut []).fill(0);
        parsed.map_err(|source| XfrmError::InvalidReply { operation, source })
    }

    fn queue_event(&mut self, event: XfrmMessage) {
        if !self.subscribed {
            return;
        }
        if self.events.len() == MAX_QUEUED_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }
}

/// Opens a socket and probes for ESP; any failure (including missing privileges) is `false`.
pub fn probe_esp() -> bool {
    XfrmSocket::open()
        .and_then(|mut socket| socket.probe_esp())
        .unwrap_or(false)
}

fn initial_sequence() -> u32 {
    // Any start works: replies are matched on sequence and port id together.
    std::process::id().wrapping_mul(0x9e37_79b9)
}

fn socket_error(operation: Operation, call: &'static str, source: std::io::Error) -> XfrmError {
    XfrmError::Socket {
        operation,
        call,
        source,
    }
}

fn kernel_error(operation: Operation, errno: i32, message: Option<String>) -> XfrmError {
    XfrmError::Kernel {
        operation,
        errno,
        message,
    }
}

fn kernel_result(operation: Operation, error: &ErrorMessage) -> Result<(), XfrmError> {
    if error.error == 0 {
        return Ok(());
    }
    Err(kernel_error(
        operation,
        error.error.saturating_neg(),
        error.message.clone(),
    ))
}

/// Turns `EPROTONOSUPPORT` for an ESP SA into [`XfrmError::EspNotAvailable`], unless the
/// kernel's extended ack names another cause (such as "Requested mode not found").
fn map_missing_esp<T>(result: Result<T, XfrmError>, proto: IpProtocol) -> Result<T, XfrmError> {
    match result {
        Err(XfrmError::Kernel {
            operation,
            errno,
            message,
        }) if errno == EPROTONOSUPPORT
            && proto == IpProtocol::ESP
            && message
                .as_deref()
                .is_none_or(|text| text.contains("type not found")) =>
        {
            Err(XfrmError::EspNotAvailable {
                operation,
                errno,
                message,
            })
        }
        other => other,
    }
}

mod sys {
    use std::io;
    use std::mem::size_of;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    use std::time::Duration;

    fn kernel_address() -> libc::sockaddr_nl {
        // SAFETY: sockaddr_nl is a plain C struct of integers, for which all-zero bytes are a
        // valid value (it has a private padding field, so it cannot be built literally).
        let mut address: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        address.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        address
    }

    pub(super) fn open_netlink_xfrm() -> io::Result<OwnedFd> {
        // SAFETY: socket() takes no pointers and has no preconditions.
        let fd = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_RAW | libc::SOCK_CLOEXEC,
                libc::NETLINK_XFRM,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a descriptor that socket() just returned, so it is open and nothing else
        // owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Binds to a kernel-chosen port id and returns it.
    pub(super) fn bind(fd: &OwnedFd) -> io::Result<u32> {
        let address = kernel_address();
        let length = size_of::<libc::sockaddr_nl>() as libc::socklen_t;
        // SAFETY: the pointer and length describe a live, initialised sockaddr_nl on our stack.
        let status = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&address as *const libc::sockaddr_nl).cast(),
                length,
            )
        };
        if status < 0 {
            return Err(io::Error::last_os_error());
        }

        let mut bound = kernel_address();
        let mut bound_length = length;
        // SAFETY: the pointers refer to a writable sockaddr_nl and its length, both on our stack
        // and live for the call; the kernel writes at most bound_length bytes.
        let status = unsafe {
            libc::getsockname(
                fd.as_raw_fd(),
                (&mut bound as *mut libc::sockaddr_nl).cast(),
                &mut bound_length,
            )
        };
        if status < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(bound.nl_pid)
    }

    pub(super) fn set_option(
        fd: &OwnedFd,
        level: libc::c_int,
        name: libc::c_int,
        value: libc::c_int,
    ) -> io::Result<()> {
        // SAFETY: the pointer and length describe a live c_int on our stack.
        let status = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                level,
                name,
                (&value as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if status < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// Sends one datagram to the kernel (port id 0).
    pub(super) fn send(fd: &OwnedFd, bytes: &[u8]) -> io::Result<()> {
        let address = kernel_address();
        loop {
            // SAFETY: `bytes` is a live slice for the call, and the address pointer and length
            // describe a live sockaddr_nl on our stack.
            let sent = unsafe {
                libc::sendto(
                    fd.as_raw_fd(),
                    bytes.as_ptr().cast(),
                    bytes.len(),
                    0,
                    (&address as *const libc::sockaddr_nl).cast(),
                    size_of::<libc::sockaddr_nl>() as libc::socklen_t,
                )
            };
            if sent >= 0 {
                return Ok(());
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }

    /// Receives one datagram into `buf` and returns its full length, which exceeds `buf.len()`
    /// when the datagram was truncated (`MSG_TRUNC`).
    pub(super) fn receive(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            // SAFETY: `buf` is a live, writable slice and the kernel writes at most buf.len()
            // bytes into it.
            let received = unsafe {
                libc::recv(
                    fd.as_raw_fd(),
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_TRUNC,
                )
            };
            if received >= 0 {
                return Ok(received as usize);
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }

    /// Waits until the socket is readable; `false` when `timeout` passed first.
    pub(super) fn wait_readable(fd: &OwnedFd, timeout: Duration) -> io::Result<bool> {
        let mut poll_fd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let milliseconds = timeout.as_millis().min(libc::c_int::MAX as u128) as libc::c_int;
        loop {
            // SAFETY: the pointer refers to one live pollfd on our stack, matching nfds = 1.
            let ready = unsafe { libc::poll(&mut poll_fd, 1, milliseconds) };
            if ready >= 0 {
                return Ok(ready > 0);
            }
            let error = io::Error::last_os_error();
            if error.kind() != io::ErrorKind::Interrupted {
                return Err(error);
            }
        }
    }
}
