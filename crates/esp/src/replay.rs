//! Anti-replay window (RFC 4303 3.4.3) with extended sequence numbers (RFC 4303 Appendix A).

use core::fmt;

use crate::{ConfigError, EspError};

/// Largest anti-replay window accepted, in packets. RFC 4303 asks for at least 32 and
/// recommends 64; high-rate links with reordering use thousands, so the limit is generous. The
/// bitmap costs `size / 8` bytes, allocated once when the SA is created.
pub const MAX_REPLAY_WINDOW: u32 = 65_536;

/// Receive-side sequence number state: the highest number seen and which of the `size`
/// numbers below it were received.
///
/// The bitmap is a ring of 64-bit words indexed by sequence number (the layout of RFC 6479),
/// so sliding the window never shifts memory. A `size` of 0 disables replay checks but still
/// tracks the highest number, which ESN inference needs.
#[derive(Clone)]
pub struct ReplayWindow {
    size: u32,
    esn: bool,
    top: u64,
    bitmap: Box<[u64]>,
}

impl ReplayWindow {
    /// Creates a window of `size` packets; `esn` selects 64-bit extended sequence numbers.
    ///
    /// # Errors
    /// [`ConfigError::ReplayWindowTooLarge`] above [`MAX_REPLAY_WINDOW`].
    pub fn new(size: u32, esn: bool) -> Result<ReplayWindow, ConfigError> {
        if size > MAX_REPLAY_WINDOW {
            return Err(ConfigError::ReplayWindowTooLarge(size));
        }

        // One spare word, so that the word holding `top` never shares bits with the word
        // holding the window's bottom edge.
        let words = (size as usize).div_ceil(64) + 1;
        let words = words.next_power_of_two();
        Ok(ReplayWindow {
            size,
            esn,
            top: 0,
            bitmap: vec![0; words].into_boxed_slice(),
        })
    }

    /// Returns the window size in packets.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Returns the highest sequence number accepted so far (0 before the first packet).
    pub fn highest(&self) -> u64 {
        self.top
    }

    /// Sets the highest sequence number to `seq` and marks every number below it as not
    /// received.
    pub fn reset(&mut self, seq: u64) {
        self.top = seq;
        self.bitmap.fill(0);
    }

    /// Reconstructs the full sequence number from the 32 bits carried in the packet.
    ///
    /// Without ESN this is the number itself. With ESN it picks the high-order half that puts
    /// the number nearest the window (RFC 4303 Appendix A2.2).
    ///
    /// # Errors
    /// [`EspError::Stale`] when the number would lie below 1 or beyond 2^64 - 1.
    pub fn infer(&self, seq_low: u32) -> Result<u64, EspError> {
        if !self.esn {
            return Ok(u64::from(seq_low));
        }

        let window = u64::from(self.size.max(1));
        let top_low = self.top & 0xffff_ffff;
        let top_high = self.top >> 32;
        let seq_low = u64::from(seq_low);
        let stale = EspError::Stale {
            seq: seq_low,
            highest: self.top,
        };

        let high = if top_low >= window - 1 {
            // Case A: the window lies within one 2^32 subspace.
            if seq_low >= top_low + 1 - window {
                top_high
            } else {
                top_high
                    .checked_add(1)
                    .filter(|h| *h <= 0xffff_ffff)
                    .ok_or(stale.clone())?
            }
        } else {
            // Case B: the window spans two subspaces.
            let bottom_low = (top_low + (1u64 << 32) + 1 - window) & 0xffff_ffff;
            if seq_low >= bottom_low {
                top_high.checked_sub(1).ok_or(stale.clone())?
            } else {
                top_high
            }
        };
        Ok((high << 32) | seq_low)
    }

    /// Checks a full sequence number without recording it.
    ///
    /// # Errors
    /// [`EspError::Stale`] for 0 and for numbers below the window, [`EspError::Replay`] for
    /// numbers already accepted.
    pub fn check(&self, seq: u64) -> Result<(), EspError> {
        if seq == 0 {
            return Err(EspError::Stale {
                seq,
                highest: self.top,
            });
        }
        if self.size == 0 || seq > self.top {
            return Ok(());
        }
        if self.top - seq >= u64::from(self.size) {
            return Err(EspError::Stale {
                seq,
                highest: self.top,
            });
        }
        let (word, bit) = self.position(seq);
        if self.bitmap[word] & bit != 0 {
            return Err(EspError::Replay { seq });
        }
        Ok(())
    }

    /// Records a sequence number whose ICV was verified, sliding the window if it is new.
    ///
    /// Call only after [`check`](Self::check) passed, so a forged packet cannot move the window.
    pub fn accept(&mut self, seq: u64) {
        if seq > self.top {
            if self.size > 0 {
                self.clear_words_after_top(seq);
            }
            self.top = seq;
        }
        if self.size > 0 {
            let (word, bit) = self.position(seq);
            self.bitmap[word] |= bit;
        }
    }

    fn position(&self, seq: u64) -> (usize, u64) {
        let mask = self.bitmap.len() as u64 - 1;
        (((seq >> 6) & mask) as usize, 1u64 << (seq & 63))
    }

    /// Clears the words for numbers in `(top, new_top]`, which still hold bits from an
    /// earlier turn of the ring.
    fn clear_words_after_top(&mut self, new_top: u64) {
        let words = self.bitmap.len() as u64;
        let first = (self.top >> 6) + 1;
        let last = new_top >> 6;
        if last < first {
            return;
        }
        let count = (last - first + 1).min(words);
        for i in 0..count {
            let index = ((first + i) & (words - 1)) as usize;
            self.bitmap[index] = 0;
        }
    }
}

impl fmt::Debug for ReplayWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayWindow")
            .field("size", &self.size)
            .field("esn", &self.esn)
            .field("highest", &self.top)
            .finish()
    }
}
