//! UDP segmentation and receive offload glue (OS glue with `unsafe` code, like `tun`).
//!
//! `UDP_SEGMENT` lets one `sendmsg` carry many equal-sized datagrams, which the kernel cuts
//! apart as late as possible; `UDP_GRO` lets one `recvmsg` return such a train still joined,
//! with the size to cut it at. Between two gateways on one link a burst of ESP packets then
//! costs one system call on each side instead of one per packet.

#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;

use socket2::SockAddr;

/// `SOL_UDP` and the `UDP_SEGMENT` / `UDP_GRO` options from `<linux/udp.h>`.
const SOL_UDP: libc::c_int = 17;
const UDP_SEGMENT: libc::c_int = 103;
const UDP_GRO: libc::c_int = 104;

/// Most segments the kernel accepts in one `UDP_SEGMENT` send (`UDP_MAX_SEGMENTS`).
pub const MAX_SEGMENTS: usize = 64;

/// Largest UDP payload of one send: an IPv4 datagram of 65,535 bytes less the IP and UDP
/// headers.
pub const MAX_PAYLOAD: usize = 65_535 - 20 - 8;

/// Room for one control message of one `int` (the `UDP_GRO` size) or `u16`, 8-byte aligned.
#[repr(C, align(8))]
struct CmsgSpace([u8; 32]);

/// Asks the kernel to deliver coalesced datagram trains on `socket`.
pub fn enable_gro(socket: &UdpSocket) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: `on` is a live `int` and the length passed is its size; the fd is owned by
    // `socket` for the whole call.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            SOL_UDP,
            UDP_GRO,
            (&on as *const libc::c_int).cast(),
            mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Sends `payload` to `to` as datagrams of `segment` bytes each (the last may be shorter).
pub fn send_segments(
    socket: &UdpSocket,
    payload: &[u8],
    segment: u16,
    to: SocketAddr,
) -> io::Result<()> {
    let address = SockAddr::from(to);
    let mut iov = libc::iovec {
        iov_base: payload.as_ptr() as *mut libc::c_void,
        iov_len: payload.len(),
    };
    let mut control = CmsgSpace([0; 32]);
    // SAFETY: a zeroed msghdr is a valid empty one.
    let mut message: libc::msghdr = unsafe { mem::zeroed() };
    message.msg_name = address.as_ptr() as *mut libc::c_void;
    message.msg_namelen = address.len();
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.0.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE only computes a size.
    message.msg_controllen = unsafe { libc::CMSG_SPACE(mem::size_of::<u16>() as u32) } as _;
    // SAFETY: msg_control points to `control`, 32 aligned bytes, more than CMSG_SPACE of a
    // u16, so CMSG_FIRSTHDR returns a header inside it and CMSG_DATA points to the u16 after
    // that header, still inside it; unaligned writes are used for the data.
    unsafe {
        let header = libc::CMSG_FIRSTHDR(&message);
        (*header).cmsg_level = SOL_UDP;
        (*header).cmsg_type = UDP_SEGMENT;
        (*header).cmsg_len = libc::CMSG_LEN(mem::size_of::<u16>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<u16>(), segment);
    }
    // SAFETY: every pointer in `message` (address, iovec over `payload`, control) refers to
    // memory that lives and is not moved for the whole call; sendmsg only reads it.
    let sent = unsafe { libc::sendmsg(socket.as_raw_fd(), &message, 0) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Receives one datagram, or one coalesced train, into `buf`: its length, its source and,
/// for a train, the size of each datagram in it.
pub fn recv_gro(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<usize>)> {
    // SAFETY: a zeroed sockaddr_storage is valid, and the kernel fills at most its size.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let mut control = CmsgSpace([0; 32]);
    // SAFETY: a zeroed msghdr is a valid empty one.
    let mut message: libc::msghdr = unsafe { mem::zeroed() };
    message.msg_name = (&mut storage as *mut libc::sockaddr_storage).cast();
    message.msg_namelen = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    message.msg_iov = &mut iov;
    message.msg_iovlen = 1;
    message.msg_control = control.0.as_mut_ptr().cast();
    message.msg_controllen = control.0.len() as _;
    // SAFETY: every pointer in `message` refers to memory borrowed mutably for the whole
    // call, with the lengths given, so the kernel writes only within `storage`, `buf` and
    // `control`.
    let received = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut message, 0) };
    let len = usize::try_from(received).map_err(|_| io::Error::last_os_error())?;

    let mut segment = None;
    // SAFETY: the kernel set msg_controllen to the bytes it wrote into `control`; the CMSG
    // macros walk only headers within that length, and the data is read unaligned and only
    // when the header says it holds an int.
    unsafe {
        let mut header = libc::CMSG_FIRSTHDR(&message);
        while !header.is_null() {
            if (*header).cmsg_level == SOL_UDP
                && (*header).cmsg_type == UDP_GRO
                && (*header).cmsg_len as usize
                    >= libc::CMSG_LEN(mem::size_of::<libc::c_int>() as u32) as usize
            {
                let size = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<libc::c_int>());
                segment = usize::try_from(size).ok().filter(|size| *size > 0);
            }
            header = libc::CMSG_NXTHDR(&message, header);
        }
    }
    // SAFETY: `storage` is a sockaddr_storage the kernel filled with msg_namelen bytes.
    let address = unsafe { SockAddr::new(storage, message.msg_namelen) };
    let from = address.as_socket().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            "recvmsg returned a source that is not an IP address",
        )
    })?;
    Ok((len, from, segment))
}
