//! Bounds-checked field access for parsing and little helpers for emitting.
//!
//! XFRM structures use the host's byte order for lengths, counters and families, and network
//! byte order for SPIs and ports. This crate targets Linux on little- and big-endian hosts alike
//! through `to_ne_bytes`/`from_ne_bytes`.

use crate::error::ParseError;

/// A view of one fixed-size structure inside a larger buffer.
///
/// Every accessor checks its range, so a wrong offset yields [`ParseError::Truncated`] instead of
/// a panic.
#[derive(Clone, Copy)]
pub(crate) struct Fields<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes[0]` in the buffer handed to the parser, for error messages.
    base: usize,
    what: &'static str,
}

impl<'a> Fields<'a> {
    /// Checks that `bytes` holds at least `size` bytes of the structure `what`.
    pub(crate) fn new(
        bytes: &'a [u8],
        base: usize,
        size: usize,
        what: &'static str,
    ) -> Result<Self, ParseError> {
        if bytes.len() < size {
            return Err(ParseError::Truncated {
                what,
                offset: base,
                needed: size,
                available: bytes.len(),
            });
        }
        Ok(Fields { bytes, base, what })
    }

    pub(crate) fn slice(&self, offset: usize, len: usize) -> Result<&'a [u8], ParseError> {
        offset
            .checked_add(len)
            .and_then(|end| self.bytes.get(offset..end))
            .ok_or(ParseError::Truncated {
                what: self.what,
                offset: self.base + offset,
                needed: len,
                available: self.bytes.len().saturating_sub(offset),
            })
    }

    pub(crate) fn sub(
        &self,
        offset: usize,
        size: usize,
        what: &'static str,
    ) -> Result<Fields<'a>, ParseError> {
        let bytes = self.bytes.get(offset..).unwrap_or(&[]);
        Fields::new(bytes, self.base + offset, size, what)
    }

    pub(crate) fn rest(&self, offset: usize) -> &'a [u8] {
        self.bytes.get(offset..).unwrap_or(&[])
    }

    pub(crate) fn base(&self) -> usize {
        self.base
    }

    fn array<const N: usize>(&self, offset: usize) -> Result<[u8; N], ParseError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.slice(offset, N)?);
        Ok(out)
    }

    pub(crate) fn u8(&self, offset: usize) -> Result<u8, ParseError> {
        Ok(self.array::<1>(offset)?[0])
    }

    pub(crate) fn u16_ne(&self, offset: usize) -> Result<u16, ParseError> {
        Ok(u16::from_ne_bytes(self.array(offset)?))
    }

    pub(crate) fn u16_be(&self, offset: usize) -> Result<u16, ParseError> {
        Ok(u16::from_be_bytes(self.array(offset)?))
    }

    pub(crate) fn u32_ne(&self, offset: usize) -> Result<u32, ParseError> {
        Ok(u32::from_ne_bytes(self.array(offset)?))
    }

    pub(crate) fn u32_be(&self, offset: usize) -> Result<u32, ParseError> {
        Ok(u32::from_be_bytes(self.array(offset)?))
    }

    pub(crate) fn i32_ne(&self, offset: usize) -> Result<i32, ParseError> {
        Ok(i32::from_ne_bytes(self.array(offset)?))
    }

    pub(crate) fn u64_ne(&self, offset: usize) -> Result<u64, ParseError> {
        Ok(u64::from_ne_bytes(self.array(offset)?))
    }

    pub(crate) fn bytes16(&self, offset: usize) -> Result<[u8; 16], ParseError> {
        self.array(offset)
    }
}

/// Appends fields in order; structures pad themselves with [`pad_to`].
pub(crate) fn put_u16_ne(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_ne_bytes());
}

pub(crate) fn put_u16_be(buf: &mut Vec<u8>, value: u16) {
    buf.extend_from_slice(&value.to_be_bytes());
}

pub(crate) fn put_u32_ne(buf: &mut Vec<u8>, value: u32) {
    buf.extend_from_slice(&value.to_ne_bytes());
}

pub(crate) fn put_u32_be(buf: &mut Vec<u8>, value: u32) {
    buf.extend_from_slice(&value.to_be_bytes());
}

pub(crate) fn put_i32_ne(buf: &mut Vec<u8>, value: i32) {
    buf.extend_from_slice(&value.to_ne_bytes());
}

pub(crate) fn put_u64_ne(buf: &mut Vec<u8>, value: u64) {
    buf.extend_from_slice(&value.to_ne_bytes());
}

/// Pads with zero bytes until the structure that started at `start` is `size` bytes long.
pub(crate) fn pad_to(buf: &mut Vec<u8>, start: usize, size: usize) {
    let end = start + size;
    if buf.len() < end {
        buf.resize(end, 0);
    }
}
