//! The canonical binary encoding's reader and its errors.
//!
//! Integers are little-endian and fixed-width; counts are `u32`. The reader never allocates from a
//! length it has not checked against the bytes that remain.

use thiserror::Error;

/// Why bytes are not a valid encoding.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended inside a field.
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} remain")]
    UnexpectedEnd {
        /// Bytes the field needed.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// Bytes remained after a complete value.
    #[error("{0} trailing bytes after the encoded value")]
    TrailingBytes(usize),
    /// A count larger than the rest of the input could hold.
    #[error("{what} count {count} exceeds what the remaining {remaining} bytes can hold")]
    CountTooLarge {
        /// What was being counted.
        what: &'static str,
        /// The count read.
        count: u32,
        /// Bytes remaining.
        remaining: usize,
    },
    /// An input's witness tag is none of 0, 1 or 2.
    #[error("unknown witness tag {0}")]
    UnknownWitnessTag(u8),
    /// Well-formed bytes whose value breaks a rule of its type (a premine output of 0).
    #[error("{0}")]
    Invalid(String),
}

/// A cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len()
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.bytes.len() {
            return Err(DecodeError::UnexpectedEnd {
                needed: n,
                remaining: self.bytes.len(),
            });
        }
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// Reads a count of items each at least `min_size` bytes long, refusing counts the remaining
    /// input cannot hold, so a hostile count cannot make the caller allocate.
    pub(crate) fn count(
        &mut self,
        what: &'static str,
        min_size: usize,
    ) -> Result<usize, DecodeError> {
        let count = self.u32()?;
        let remaining = self.remaining();
        if (count as usize).saturating_mul(min_size) > remaining {
            return Err(DecodeError::CountTooLarge {
                what,
                count,
                remaining,
            });
        }
        Ok(count as usize)
    }

    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        match self.bytes.len() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_refuses_short_input_and_large_counts() {
        let mut r = Reader::new(&[1, 0, 0, 0, 9]);
        assert_eq!(
            r.count("thing", 2),
            Err(DecodeError::CountTooLarge {
                what: "thing",
                count: 1,
                remaining: 1
            })
        );
        let mut r = Reader::new(&[1, 2]);
        assert_eq!(
            r.u32(),
            Err(DecodeError::UnexpectedEnd {
                needed: 4,
                remaining: 2
            })
        );
        let r = Reader::new(&[1]);
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes(1)));
    }
}
