//! Seeded random streams that do not depend on the thread count.
//!
//! Work is cut into chunks of a fixed size (independent of the number of
//! threads); chunk `k` draws from the stream obtained by `k` calls of
//! [`Xoshiro256PlusPlus::jump`] (2^128 steps apart) from the seed's generator.
//! Results therefore depend only on the seed and the chunk size.
//!
//! # One user seed, independent purposes
//! A run is steered by one user seed, but the synthetic data, the train/validation/test split,
//! the network initialisation, the training batches and the evaluation probes must not share
//! a stream (otherwise, e.g., the split permutation would be correlated with the data draws).
//! [`derive_seed`] maps `(seed, purpose)` to the seed of that purpose's stream:
//!
//! | [`Purpose`] | used by |
//! |---|---|
//! | `Data` | samples of synthetic targets (`rdiff train` data sets) |
//! | `Split` | the 80/10/10 permutation ([`crate::data::split_80_10_10`]) |
//! | `Initialisation` | the network's initial weights ([`crate::nn::ScoreNet::new`] via the CLI, or [`crate::train::TrainOptions::seed`] users) |
//! | `Batches` | the training batches and their noise ([`crate::train::DsmTrainer`]) |
//! | `Evaluation` | Hutchinson probes and generation of the evaluation commands |

use rand::RngExt;
pub use rand_xoshiro::rand_core::SeedableRng;
pub use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator type used throughout the crate.
pub type Rng = Xoshiro256PlusPlus;

/// A generator seeded from a `u64`.
pub fn rng_from_seed(seed: u64) -> Rng {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// What a random stream is used for (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// Samples of synthetic data sets.
    Data,
    /// The train/validation/test split.
    Split,
    /// Network initialisation.
    Initialisation,
    /// Training batches: data indices, noise levels, heat-kernel draws, probes.
    Batches,
    /// Evaluation: Hutchinson probes, generated samples.
    Evaluation,
}

impl Purpose {
    /// A fixed 64-bit tag per purpose (ASCII of its name), mixed into the seed.
    fn tag(self) -> u64 {
        match self {
            Purpose::Data => u64::from_be_bytes(*b"data\0\0\0\0"),
            Purpose::Split => u64::from_be_bytes(*b"split\0\0\0"),
            Purpose::Initialisation => u64::from_be_bytes(*b"init\0\0\0\0"),
            Purpose::Batches => u64::from_be_bytes(*b"batches\0"),
            Purpose::Evaluation => u64::from_be_bytes(*b"evaluate"),
        }
    }
}

/// The SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijection of `u64` whose outputs for
/// nearby inputs are statistically independent.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of `purpose`'s stream for the user seed `seed`:
/// `splitmix64(splitmix64(seed) ⊕ tag(purpose))`. Different purposes (and different seeds)
/// give unrelated xoshiro streams; the same pair always gives the same seed.
pub fn derive_seed(seed: u64, purpose: Purpose) -> u64 {
    splitmix64(splitmix64(seed) ^ purpose.tag())
}

/// `count` independent streams: stream `k` is the seed's generator jumped `k` times.
pub fn streams(seed: u64, count: usize) -> Vec<Rng> {
    let mut rng = rng_from_seed(seed);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push(rng.clone());
        rng.jump();
    }
    out
}

/// A uniform draw in `[0, 1)` with 53 random bits.
#[inline]
pub fn uniform(rng: &mut Rng) -> f64 {
    rng.random::<f64>()
}

/// A standard normal draw (Marsaglia's polar method; exact in distribution).
#[inline]
pub fn standard_normal(rng: &mut Rng) -> f64 {
    loop {
        let u = 2.0 * uniform(rng) - 1.0;
        let v = 2.0 * uniform(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            return u * (-2.0 * s.ln() / s).sqrt();
        }
    }
}

/// Fills `out` with independent standard normal draws.
pub fn fill_standard_normal(rng: &mut Rng, out: &mut [f64]) {
    for v in out.iter_mut() {
        *v = standard_normal(rng);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_moments() {
        let mut rng = rng_from_seed(7);
        let n = 200_000;
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let z = standard_normal(&mut rng);
            s1 += z;
            s2 += z * z;
        }
        let mean = s1 / n as f64;
        let var = s2 / n as f64 - mean * mean;
        // Standard errors: 1/sqrt(n) = 2.2e-3 for the mean, sqrt(2/n) = 3.2e-3 for the variance; 5 sigma.
        assert!(mean.abs() < 0.011, "mean {mean}");
        assert!((var - 1.0).abs() < 0.016, "var {var}");
    }

    #[test]
    fn derived_seeds_are_distinct_per_purpose_and_seed() {
        let purposes = [
            Purpose::Data,
            Purpose::Split,
            Purpose::Initialisation,
            Purpose::Batches,
            Purpose::Evaluation,
        ];
        let mut seen = std::collections::HashSet::new();
        for seed in [0, 1, 2, u64::MAX] {
            for p in purposes {
                assert!(seen.insert(derive_seed(seed, p)), "{seed} {p:?}");
                assert_eq!(derive_seed(seed, p), derive_seed(seed, p));
            }
        }
        // The first draws of two purposes' streams are unrelated.
        let a = uniform(&mut rng_from_seed(derive_seed(0, Purpose::Data)));
        let b = uniform(&mut rng_from_seed(derive_seed(0, Purpose::Split)));
        assert_ne!(a, b);
    }

    #[test]
    fn streams_are_distinct_and_reproducible() {
        let mut a = streams(3, 2);
        let mut b = streams(3, 2);
        let x0 = uniform(&mut a[0]);
        let x1 = uniform(&mut a[1]);
        assert_ne!(x0, x1);
        assert_eq!(x0, uniform(&mut b[0]));
        assert_eq!(x1, uniform(&mut b[1]));
    }
}
