//! Work: what makes one branch of the block tree the main chain, and the block locator a node
//! sends to find where its chain and a peer's part.
//!
//! A block's work is 2^bits, the expected number of hashes its proof took. Every block of a
//! chain declares the chain's difficulty (a validation rule), so a branch's cumulative work is
//! (height + 1) · 2^bits and comparing work compares heights; the rule is still written in work,
//! so that a chain whose difficulty changed would change only this file.

/// The work of one block of `bits` leading zero bits: 2^bits.
pub fn block_work(bits: u32) -> u128 {
    1u128 << bits.min(127)
}

/// The cumulative work of a chain from genesis to a block at `height`, every block at `bits`.
/// Saturates rather than wraps (it cannot be reached: heights are below 2^63 and bits at most 64).
pub fn chain_work(height: u64, bits: u32) -> u128 {
    u128::from(height)
        .saturating_add(1)
        .saturating_mul(block_work(bits))
}

/// The heights a block locator names for a chain whose tip is at `tip`, newest first: the last
/// ten one by one, then exponentially further apart, always ending at genesis. Its length grows
/// with the logarithm of the chain (about 10 + log2(tip) hashes), yet the peer finds the last
/// block both chains share to within the spacing at that depth.
pub fn locator_heights(tip: u64) -> Vec<u64> {
    let mut heights = Vec::new();
    let mut height = tip;
    let mut step = 1;
    loop {
        heights.push(height);
        if height == 0 {
            return heights;
        }
        if heights.len() >= 10 {
            step *= 2;
        }
        height = height.saturating_sub(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn locator_of_a_short_chain_names_every_block() {
        assert_eq!(locator_heights(0), vec![0]);
        assert_eq!(locator_heights(3), vec![3, 2, 1, 0]);
    }

    #[test]
    fn locator_spacing_doubles_after_ten() {
        assert_eq!(
            locator_heights(100),
            vec![
                100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 89, 85, 77, 61, 29, 0
            ]
        );
    }

    #[test]
    fn work_grows_with_height_and_bits() {
        assert_eq!(block_work(12), 4096);
        assert_eq!(chain_work(0, 12), 4096);
        assert_eq!(chain_work(9, 12), 40_960);
        assert_eq!(chain_work(u64::MAX - 1, 64), u128::MAX - (1 << 64) + 1);
        assert_eq!(chain_work(u64::MAX, 64), u128::MAX);
    }

    proptest! {
        #[test]
        fn locators_are_short_descending_and_end_at_genesis(tip in 0u64..u64::MAX / 2) {
            let heights = locator_heights(tip);
            prop_assert_eq!(heights[0], tip);
            prop_assert_eq!(*heights.last().unwrap(), 0);
            prop_assert!(heights.windows(2).all(|w| w[0] > w[1]));
            prop_assert!(heights.len() <= 10 + 64);
        }
    }
}
