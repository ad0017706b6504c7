//! Seeded train / validation / test splits.
//!
//! RSGM (`config/experiment/earth_data.yaml`, `splits: [0.8, 0.1, 0.1]`) draws one random
//! permutation of the rows from the run's seed and cuts it into blocks of
//! `⌊0.8 N⌋`, `⌊0.1 N⌋` and the remaining `N − ⌊0.8 N⌋ − ⌊0.1 N⌋` rows. We keep the sizes
//! and the "one permutation per seed" protocol; the permutation itself comes from this
//! crate's generator ([`crate::random::rng_from_seed`]) and therefore differs from JAX's,
//! so individual splits (not their distribution) differ from the paper's.

use super::Dataset;
use crate::random::{derive_seed, rng_from_seed, Purpose, Rng};
use rand::RngExt;

/// The three parts of a split data set.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Training rows (`⌊0.8 N⌋`).
    pub train: Dataset,
    /// Validation rows (`⌊0.1 N⌋`).
    pub val: Dataset,
    /// Test rows (the rest).
    pub test: Dataset,
}

/// A uniformly random permutation of `0..n` (Fisher–Yates, unbiased bounded draws).
pub fn random_permutation(n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        perm.swap(i, j);
    }
    perm
}

/// Sizes `(⌊0.8 N⌋, ⌊0.1 N⌋, rest)` of the RSGM split, in exact integer arithmetic
/// (equal to Python's `int(0.8 * N)`, `int(0.1 * N)` for every `N < 2^50`, since the
/// doubles nearest 0.8 and 0.1 are slightly above them).
pub fn split_sizes(n: usize) -> (usize, usize, usize) {
    let train = n * 8 / 10;
    let val = n / 10;
    (train, val, n - train - val)
}

/// Splits `data` 80/10/10 by one random permutation drawn from the split stream of the user
/// seed, `rng_from_seed(derive_seed(seed, Purpose::Split))` ([`crate::random`]):
/// the first `⌊0.8 N⌋` permuted rows are the training set, the next `⌊0.1 N⌋` the
/// validation set, the rest the test set. Parts are named `<name>/train`, `/val`, `/test`.
///
/// Deterministic in `seed`; cost `O(N)`.
pub fn split_80_10_10(data: &Dataset, seed: u64) -> Split {
    let n = data.len();
    let perm = random_permutation(n, &mut rng_from_seed(derive_seed(seed, Purpose::Split)));
    let (train, val, _) = split_sizes(n);
    Split {
        train: data.select(format!("{}/train", data.name), &perm[..train]),
        val: data.select(format!("{}/val", data.name), &perm[train..train + val]),
        test: data.select(format!("{}/test", data.name), &perm[train + val..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_rsgm_table() {
        // From the data README: Volcano 661/82/84, Earthquake 4896/612/612,
        // Flood 3900/487/488, Fire 10247/1280/1282.
        assert_eq!(split_sizes(827), (661, 82, 84));
        assert_eq!(split_sizes(6120), (4896, 612, 612));
        assert_eq!(split_sizes(4875), (3900, 487, 488));
        assert_eq!(split_sizes(12809), (10247, 1280, 1282));
        for n in 0..2000usize {
            let (a, b, _) = split_sizes(n);
            assert_eq!(a, (0.8 * n as f64) as usize);
            assert_eq!(b, (0.1 * n as f64) as usize);
        }
    }

    #[test]
    fn permutation_is_a_permutation_and_seeded() {
        let p = random_permutation(1000, &mut rng_from_seed(5));
        let mut sorted = p.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
        assert_eq!(p, random_permutation(1000, &mut rng_from_seed(5)));
        assert_ne!(p, random_permutation(1000, &mut rng_from_seed(6)));
    }

    #[test]
    fn split_partitions_rows() {
        let data = Dataset::new("d", 1, (0..57).map(|i| i as f64).collect()).unwrap();
        let s = split_80_10_10(&data, 1);
        assert_eq!((s.train.len(), s.val.len(), s.test.len()), (45, 5, 7));
        let mut all: Vec<f64> = [s.train.points, s.val.points, s.test.points].concat();
        all.sort_by(f64::total_cmp);
        assert_eq!(all, data.points);
        assert_eq!(s.test.name, "d/test");
    }
}
