//! TUN device glue: the only module with `unsafe` code.
//!
//! A TUN device in `IFF_TUN | IFF_NO_PI` mode carries bare IP packets: each `read` returns one
//! packet the kernel routed into the device, each `write` injects one packet as if it had
//! arrived on it. Addresses and routes are set with the `ip` command by the caller.

#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;

/// Maximum interface name length the kernel accepts, including the terminating NUL (`IFNAMSIZ`).
const IFNAMSIZ: usize = libc::IFNAMSIZ;

/// `TUNSETIFF` from `<linux/if_tun.h>`: `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;

/// An open TUN device; the kernel removes the device when this is dropped.
#[derive(Debug)]
pub struct Tun {
    file: File,
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
            flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short,
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
        Ok(Tun { file })
    }

    /// Reads one IP packet into `buf`, returning its length.
    pub fn read_packet(&self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut &self.file, buf)
    }

    /// Writes one IP packet.
    pub fn write_packet(&self, packet: &[u8]) -> io::Result<()> {
        io::Write::write(&mut &self.file, packet).map(|_| ())
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
    fn open_rejects_long_name() {
        assert!(Tun::open("a-name-of-16-byt").is_err());
        assert!(Tun::open("").is_err());
    }
}
