//! The rules a block header meets alone: its version, the chain's difficulty, and proof of work
//! that meets it. Headers-first sync checks a peer's headers by them before any body is asked
//! for; a block is checked by them first.

use super::block_error::BlockError;
use super::header::{BLOCK_VERSION, BlockHeader};
use super::params::Params;
use super::pow::{leading_zero_bits, meets_difficulty};

/// Whether a check looks at the header's proof of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Work {
    /// As every rule says.
    Checked,
    /// Not yet: the block is this node's own, its nonce still being searched (see
    /// [`connect_unsealed`](super::connect_unsealed)).
    Deferred,
}

/// What a header shows alone: the version, the chain's difficulty, and proof of work that meets
/// it.
pub fn check_header(header: &BlockHeader, params: &Params) -> Result<(), BlockError> {
    check_version(header)?;
    check_bits(header, params)?;
    check_work(header)
}

/// The header's version is [`BLOCK_VERSION`].
pub(super) fn check_version(header: &BlockHeader) -> Result<(), BlockError> {
    match header.version {
        BLOCK_VERSION => Ok(()),
        other => Err(BlockError::UnknownVersion(other)),
    }
}

/// The header declares the chain's difficulty.
pub(super) fn check_bits(header: &BlockHeader, params: &Params) -> Result<(), BlockError> {
    if header.bits != params.difficulty_bits {
        return Err(BlockError::WrongDifficulty {
            expected: params.difficulty_bits,
            found: header.bits,
        });
    }
    Ok(())
}

/// The header's hash meets the difficulty it declares.
pub(super) fn check_work(header: &BlockHeader) -> Result<(), BlockError> {
    let hash = header.hash();
    if !meets_difficulty(&hash, header.bits) {
        return Err(BlockError::InsufficientWork {
            required: header.bits,
            found: leading_zero_bits(&hash),
        });
    }
    Ok(())
}

/// [`check_header`], its proof of work checked or not.
pub(super) fn check_header_as(
    header: &BlockHeader,
    params: &Params,
    work: Work,
) -> Result<(), BlockError> {
    match work {
        Work::Checked => check_header(header, params),
        Work::Deferred => {
            check_version(header)?;
            check_bits(header, params)
        }
    }
}
