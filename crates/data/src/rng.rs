//! The seeded randomness of the crate: epoch orders, per-example augmentation and splits.
//!
//! Everything random in `youshi-data` is a pure function of a `u64` seed and a few counters,
//! computed with fixed arithmetic on a specified generator, so it is the same on every machine,
//! in every run, in the foreground or on a background thread, and when training resumes at
//! epoch `k` without having run epochs `0..k`:
//!
//! 1. **Generator.** ChaCha8 ([`TensorRng`]) built with `from_seed` from a 32-byte key:
//!    `seed`, `a` and `b` as little-endian `u64`s followed by an 8-byte domain tag
//!    ([`derive_rng`]). The tags are `b"shuffle\0"` (epoch orders, `a` = epoch, `b` = 0),
//!    `b"augment\0"` (transforms, `a` = epoch, `b` = the example's index in the dataset) and
//!    `b"split\0\0\0"` (random splits, `a` = `b` = 0).
//! 2. **Integers.** A uniform integer in `0..n` is drawn by rejection ([`below`]): draw a
//!    64-bit word `x` with `next_u64`, accept it if `x <= u64::MAX - r` with
//!    `r = 2^64 mod n`, and return `x mod n`.
//! 3. **Permutations.** The Fisher–Yates shuffle ([`permutation`]): start from `0..n`; for
//!    `i` from `n - 1` down to 1, swap entry `i` with entry `below(i + 1)`.
//!
//! ```
//! use youshi_data::rng::epoch_order;
//! let a = epoch_order(7, 3, 10);
//! assert_eq!(a, epoch_order(7, 3, 10)); // a function of (seed, epoch) only
//! assert_ne!(a, epoch_order(7, 4, 10)); // another epoch, another order
//! let mut sorted = a.clone();
//! sorted.sort();
//! assert_eq!(sorted, (0..10).collect::<Vec<_>>());
//! ```

use rand::{RngCore, SeedableRng};
use youshi_tensor::TensorRng;

/// Domain tag of epoch orders.
pub const SHUFFLE: [u8; 8] = *b"shuffle\0";
/// Domain tag of per-example augmentation.
pub const AUGMENT: [u8; 8] = *b"augment\0";
/// Domain tag of random dataset splits.
pub const SPLIT: [u8; 8] = *b"split\0\0\0";

/// A ChaCha8 generator keyed by `seed`, two counters and a domain tag (see the
/// [module docs](self)).
///
/// # Examples
/// ```
/// use rand::RngCore;
/// use youshi_data::rng::{derive_rng, AUGMENT};
/// let x = derive_rng(1, 2, 3, AUGMENT).next_u64();
/// assert_eq!(x, derive_rng(1, 2, 3, AUGMENT).next_u64());
/// assert_ne!(x, derive_rng(1, 2, 4, AUGMENT).next_u64());
/// ```
pub fn derive_rng(seed: u64, a: u64, b: u64, domain: [u8; 8]) -> TensorRng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&a.to_le_bytes());
    key[16..24].copy_from_slice(&b.to_le_bytes());
    key[24..].copy_from_slice(&domain);
    TensorRng::from_seed(key)
}

/// The generator a transform gets for example `index` (its index in the dataset) in `epoch`.
pub fn example_rng(seed: u64, epoch: usize, index: usize) -> TensorRng {
    derive_rng(seed, epoch as u64, index as u64, AUGMENT)
}

/// A uniform integer in `0..n` by rejection sampling on 64-bit words; 0 when `n` is 0 or 1
/// (drawing nothing).
pub fn below<R: RngCore + ?Sized>(rng: &mut R, n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    // r = 2^64 mod n; the accepted words 0..=u64::MAX - r number a multiple of n.
    let r = (u64::MAX % n + 1) % n;
    let limit = u64::MAX - r;
    loop {
        let x = rng.next_u64();
        if x <= limit {
            return x % n;
        }
    }
}

/// A uniformly random permutation of `0..n` by the Fisher–Yates shuffle (see the
/// [module docs](self)).
pub fn permutation<R: RngCore + ?Sized>(n: usize, rng: &mut R) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = below(rng, i as u64 + 1) as usize;
        p.swap(i, j);
    }
    p
}

/// The order in which a shuffling loader visits `n` examples in `epoch`: the
/// [`permutation`] drawn from `derive_rng(seed, epoch, 0, SHUFFLE)`.
pub fn epoch_order(seed: u64, epoch: usize, n: usize) -> Vec<usize> {
    permutation(n, &mut derive_rng(seed, epoch as u64, 0, SHUFFLE))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A generator replaying fixed words, to drive the rejection step.
    struct Fixed(Vec<u64>);

    impl RngCore for Fixed {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0.remove(0)
        }
        fn fill_bytes(&mut self, _dest: &mut [u8]) {
            unreachable!("the tests draw words only")
        }
        fn try_fill_bytes(&mut self, _dest: &mut [u8]) -> Result<(), rand::Error> {
            unreachable!("the tests draw words only")
        }
    }

    #[test]
    fn below_rejects_the_biased_tail() {
        // 2^64 mod 3 = 1, so u64::MAX is the one rejected word.
        let mut rng = Fixed(vec![u64::MAX, u64::MAX - 1, 5]);
        assert_eq!(below(&mut rng, 3), (u64::MAX - 1) % 3);
        assert_eq!(rng.0, vec![5]);
        // Powers of two reject nothing.
        let mut rng = Fixed(vec![u64::MAX]);
        assert_eq!(below(&mut rng, 4), 3);
        // n = 0 and 1 draw nothing.
        let mut rng = Fixed(vec![]);
        assert_eq!(below(&mut rng, 0), 0);
        assert_eq!(below(&mut rng, 1), 0);
    }

    #[test]
    fn below_is_uniform() {
        let mut rng = derive_rng(0, 0, 0, SHUFFLE);
        let mut counts = [0usize; 7];
        let n = 70_000;
        for _ in 0..n {
            counts[below(&mut rng, 7) as usize] += 1;
        }
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 400.0, "counts {counts:?}");
        }
    }

    #[test]
    fn permutations_are_permutations_and_uniform() {
        let mut rng = derive_rng(5, 0, 0, SHUFFLE);
        // All 6 orders of 3 elements appear about equally often.
        let mut seen = std::collections::HashMap::new();
        for _ in 0..6000 {
            *seen.entry(permutation(3, &mut rng)).or_insert(0usize) += 1;
        }
        assert_eq!(seen.len(), 6);
        for (p, c) in &seen {
            assert!((*c as f64 - 1000.0).abs() < 120.0, "{p:?} drawn {c} times");
        }
        assert!(permutation(0, &mut rng).is_empty());
        assert_eq!(permutation(1, &mut rng), vec![0]);
    }

    #[test]
    fn domains_and_counters_give_distinct_streams() {
        let first = |seed, a, b, d| derive_rng(seed, a, b, d).next_u64();
        let base = first(0, 0, 0, SHUFFLE);
        assert_ne!(base, first(1, 0, 0, SHUFFLE));
        assert_ne!(base, first(0, 1, 0, SHUFFLE));
        assert_ne!(base, first(0, 0, 1, SHUFFLE));
        assert_ne!(base, first(0, 0, 0, AUGMENT));
        assert_ne!(base, first(0, 0, 0, SPLIT));
    }
}
