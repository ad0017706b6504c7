//! Seeded random streams that do not depend on the thread count.
//!
//! Work is cut into chunks of a fixed size (independent of the number of
//! threads); chunk `k` draws from the stream obtained by `k` calls of
//! [`Xoshiro256PlusPlus::jump`] (2^128 steps apart) from the seed's generator.
//! Results therefore depend only on the seed and the chunk size.

use rand::RngExt;
pub use rand_xoshiro::rand_core::SeedableRng;
pub use rand_xoshiro::Xoshiro256PlusPlus;

/// The generator type used throughout the crate.
pub type Rng = Xoshiro256PlusPlus;

/// A generator seeded from a `u64`.
pub fn rng_from_seed(seed: u64) -> Rng {
    Xoshiro256PlusPlus::seed_from_u64(seed)
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
