//! TUN device glue (OS glue with `unsafe` code, like `udp_gso`).
//!
//! The device runs in `IFF_TUN | IFF_NO_PI | IFF_VNET_HDR` mode: each packet is preceded by a
//! 10-byte virtio-net header. With TCP segmentation offload switched on (`TUNSETOFFLOAD`), the
//! kernel hands over TCP segments of up to 64 KiB in one read (the header gives the segment
//! size to cut them into) and packets whose checksum is still to be finished, which saves one
//! system call per wire-sized packet. Writes carry a zeroed header: one whole packet, checksums
//! done. Addresses and routes are set with the `ip` command by the caller.

#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;

/// Maximum interface name length the kernel accepts, including the terminating NUL (`IFNAMSIZ`).
const IFNAMSIZ: usize = libc::IFNAMSIZ;

/// `TUNSETIFF` from `<linux/if_tun.h>`: `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

/// `TUNSETOFFLOAD` from `<linux/if_tun.h>`: `_IOW('T', 208, unsigned int)`.
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;

/// Offload flags from `<linux/if_tun.h>`: the reader finishes checksums (`TUN_F_CSUM`) and
/// accepts TCP/IPv4 segments larger than the MTU (`TUN_F_TSO4`).
const TUN_F_CSUM: libc::c_uint = 0x01;
const TUN_F_TSO4: libc::c_uint = 0x02;

/// Size of `struct virtio_net_hdr`, the default `TUNSETVNETHDRSZ`.
pub const VNET_HDR_LEN: usize = 10;

/// `VIRTIO_NET_HDR_F_NEEDS_CSUM`: the checksum at `csum_start + csum_offset` is to be finished.
pub const VNET_F_NEEDS_CSUM: u8 = 1;
/// `VIRTIO_NET_HDR_GSO_NONE`, `VIRTIO_NET_HDR_GSO_TCPV4` and the ECN bit.
pub const VNET_GSO_NONE: u8 = 0;
pub const VNET_GSO_TCPV4: u8 = 1;
pub const VNET_GSO_ECN: u8 = 0x80;

/// The virtio-net header that precedes each packet read from the device (little endian, the
/// host's order on the machines we run on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VnetHdr {
    pub flags: u8,
    pub gso_type: u8,
    pub hdr_len: u16,
    pub gso_size: u16,
    pub csum_start: u16,
    pub csum_offset: u16,
}

impl VnetHdr {
    fn to_bytes(self) -> [u8; VNET_HDR_LEN] {
        let mut bytes = [0u8; VNET_HDR_LEN];
        bytes[0] = self.flags;
        bytes[1] = self.gso_type;
        bytes[2..4].copy_from_slice(&self.hdr_len.to_le_bytes());
        bytes[4..6].copy_from_slice(&self.gso_size.to_le_bytes());
        bytes[6..8].copy_from_slice(&self.csum_start.to_le_bytes());
        bytes[8..10].copy_from_slice(&self.csum_offset.to_le_bytes());
        bytes
    }

    fn parse(bytes: &[u8; VNET_HDR_LEN]) -> VnetHdr {
        let word = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
        VnetHdr {
            flags: bytes[0],
            gso_type: bytes[1],
            hdr_len: word(2),
            gso_size: word(4),
            csum_start: word(6),
            csum_offset: word(8),
        }
    }
}

/// An open TUN device; the kernel removes the device when this is dropped.
#[derive(Debug)]
pub struct Tun {
    file: File,
    /// True when `TUNSETOFFLOAD` accepted checksum and TCP segmentation offload.
    offload: bool,
}

/// `struct ifreq` as `TUNSETIFF` reads it: the name, then the flags in the union.
#[repr(C)]
struct IfReqFlags {
    name: [libc::c_char; IFNAMSIZ],
    flags: libc::c_short,
    /// The rest of the 40-byte `struct ifreq` union, which the kernel copies in full.
    _pad: [u8; 22],
}

impl Tun {
    /// Creates (or attaches to) the TUN device `name`, which must be shorter than 16 bytes.
    pub fn open(name: &str) -> io::Result<Tun> {
        if name.is_empty() || name.len() >= IFNAMSIZ || name.contains('\0') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid TUN device name {name:?}: expected 1 to 15 bytes"),
            ));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/net/tun")?;

        let mut request = IfReqFlags {
            name: [0; IFNAMSIZ],
            flags: (libc::IFF_TUN | libc::IFF_NO_PI | libc::IFF_VNET_HDR) as libc::c_short,
            _pad: [0; 22],
        };
        for (slot, byte) in request.name.iter_mut().zip(name.bytes()) {
            *slot = byte as libc::c_char;
        }

        // SAFETY: the fd is an open /dev/net/tun that `file` owns for the whole call. `request`
        // is a properly aligned, fully initialised `struct ifreq` layout that lives across the
        // call, and its name is NUL terminated because its length was checked above. TUNSETIFF
        // reads and writes only within its 40 bytes.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF as _, &mut request) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }

        // SAFETY: the fd is the open TUN device `file` owns; TUNSETOFFLOAD takes its flags as
        // the integer argument itself and touches no memory of ours.
        let rc = unsafe {
            libc::ioctl(
                file.as_raw_fd(),
                TUNSETOFFLOAD as _,
                (TUN_F_CSUM | TUN_F_TSO4) as libc::c_ulong,
            )
        };
        Ok(Tun {
            file,
            offload: rc == 0,
        })
    }

    /// True when the kernel may hand over large TCP segments and unfinished checksums.
    pub fn offload(&self) -> bool {
        self.offload
    }

    /// Reads one packet (possibly a large TCP segment) into `buf`, returning its virtio-net
    /// header and its length.
    pub fn read_packet(&self, buf: &mut [u8]) -> io::Result<(VnetHdr, usize)> {
        let mut header = [0u8; VNET_HDR_LEN];
        let iov = [
            libc::iovec {
                iov_base: header.as_mut_ptr().cast(),
                iov_len: header.len(),
            },
            libc::iovec {
                iov_base: buf.as_mut_ptr().cast(),
                iov_len: buf.len(),
            },
        ];
        // SAFETY: both iovecs point into buffers that are borrowed mutably for the whole call
        // and whose lengths are the iovecs' lengths, so the kernel writes only within them;
        // the fd is the TUN device `self.file` owns.
        let read = unsafe { libc::readv(self.file.as_raw_fd(), iov.as_ptr(), 2) };
        let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
        if read < VNET_HDR_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("TUN read of {read} bytes is shorter than the {VNET_HDR_LEN}-byte virtio-net header"),
            ));
        }
        Ok((VnetHdr::parse(&header), read - VNET_HDR_LEN))
    }

    /// Writes one whole IP packet with finished checksums.
    pub fn write_packet(&self, packet: &[u8]) -> io::Result<()> {
        self.write_segment(VnetHdr::default(), packet)
    }

    /// Writes one packet with its virtio-net header, such as a large TCP segment for the
    /// kernel to cut at `header.gso_size` bytes of payload.
    pub fn write_segment(&self, header: VnetHdr, packet: &[u8]) -> io::Result<()> {
        let header = header.to_bytes();
        let iov = [
            libc::iovec {
                iov_base: header.as_ptr() as *mut libc::c_void,
                iov_len: header.len(),
            },
            libc::iovec {
                iov_base: packet.as_ptr() as *mut libc::c_void,
                iov_len: packet.len(),
            },
        ];
        // SAFETY: both iovecs point into buffers borrowed for the whole call with the iovecs'
        // lengths; writev only reads from them. The fd is the TUN device `self.file` owns.
        let written = unsafe { libc::writev(self.file.as_raw_fd(), iov.as_ptr(), 2) };
        if written < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ifreq_has_kernel_size() {
        assert_eq!(std::mem::size_of::<IfReqFlags>(), 40);
    }

    #[test]
    fn vnet_header_fields_are_little_endian() {
        let header = VnetHdr::parse(&[1, 1, 54, 0, 0x78, 0x05, 34, 0, 16, 0]);
        assert_eq!(header.flags, VNET_F_NEEDS_CSUM);
        assert_eq!(header.gso_type, VNET_GSO_TCPV4);
        assert_eq!(header.hdr_len, 54);
        assert_eq!(header.gso_size, 1400);
        assert_eq!(header.csum_start, 34);
        assert_eq!(header.csum_offset, 16);
        assert_eq!(VnetHdr::parse(&header.to_bytes()), header);
    }

    #[test]
    fn open_rejects_long_name() {
        assert!(Tun::open("a-name-of-16-byt").is_err());
        assert!(Tun::open("").is_err());
    }
}
