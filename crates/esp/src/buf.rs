//! A window into a caller-owned buffer, with room before and after the data.

use core::ops::Range;

use crate::EspError;

/// Headroom that covers every header `encapsulate` may prepend: an outer IPv6 header (40),
/// a UDP header (8), the ESP header (8) and the largest IV (16).
pub const MAX_HEADROOM: usize = 40 + 8 + 8 + 16;

/// Tailroom that covers every trailer `encapsulate` may append: up to 15 bytes of padding,
/// Pad Length, Next Header and the largest ICV (32, HMAC-SHA2-512-256).
pub const MAX_TAILROOM: usize = 15 + 2 + 32;

/// A packet held in `storage[start..end]`; the bytes before `start` are headroom, the bytes
/// after `end` tailroom.
///
/// Encapsulation and decapsulation move `start` and `end` inside the same storage, so the
/// packet never moves to a new allocation.
#[derive(Debug)]
pub struct PacketBuf<'a> {
    storage: &'a mut [u8],
    start: usize,
    end: usize,
}

impl<'a> PacketBuf<'a> {
    /// Wraps `storage` with the packet in `storage[start..start + len]`.
    ///
    /// A range past the storage end is clamped to it, so the constructor never panics.
    pub fn new(storage: &'a mut [u8], start: usize, len: usize) -> PacketBuf<'a> {
        let start = start.min(storage.len());
        let end = start.saturating_add(len).min(storage.len());
        PacketBuf {
            storage,
            start,
            end,
        }
    }

    /// Returns the packet bytes.
    pub fn data(&self) -> &[u8] {
        &self.storage[self.start..self.end]
    }

    /// Returns the packet bytes, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.start..self.end]
    }

    /// Returns the packet's position in the storage.
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }

    /// Returns the packet length.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Returns true if the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Returns the bytes free in front of the packet.
    pub fn headroom(&self) -> usize {
        self.start
    }

    /// Returns the bytes free after the packet.
    pub fn tailroom(&self) -> usize {
        self.storage.len() - self.end
    }

    /// Returns the whole storage, for reading ranges returned by the SA.
    pub fn storage(&self) -> &[u8] {
        self.storage
    }

    /// Sets the packet to `range` of the storage.
    ///
    /// # Errors
    /// [`EspError::Truncated`] if the range lies outside the storage.
    pub fn set_range(&mut self, range: Range<usize>) -> Result<(), EspError> {
        if range.start > range.end || range.end > self.storage.len() {
            return Err(EspError::Truncated {
                field: "packet range",
                offset: range.start,
                needed: range.end.saturating_sub(range.start),
                available: self.storage.len().saturating_sub(range.start),
            });
        }
        self.start = range.start;
        self.end = range.end;
        Ok(())
    }

    /// Grows the packet by `n` bytes at the front and returns them.
    pub(crate) fn push_front(&mut self, n: usize) -> Result<&mut [u8], EspError> {
        if n > self.start {
            return Err(EspError::NoHeadroom {
                needed: n,
                available: self.start,
            });
        }
        self.start -= n;
        Ok(&mut self.storage[self.start..self.start + n])
    }

    /// Grows the packet by `n` bytes at the back and returns them.
    pub(crate) fn push_back(&mut self, n: usize) -> Result<&mut [u8], EspError> {
        let available = self.storage.len() - self.end;
        if n > available {
            return Err(EspError::NoTailroom {
                needed: n,
                available,
            });
        }
        self.end += n;
        Ok(&mut self.storage[self.end - n..self.end])
    }

    /// Shrinks the packet to the sub-range `range` of its current data (relative offsets).
    pub(crate) fn narrow(&mut self, range: Range<usize>) {
        debug_assert!(range.start <= range.end && range.end <= self.len());
        self.end = self.start + range.end;
        self.start += range.start;
    }
}
