//! Fixtures shared by the root-system and character-series tests: a dependency-free
//! deterministic generator, the list of groups exercised, random maximal-torus points.

use riemannian_diffusion::lie::{CompactGroup, RootSystem};
use std::f64::consts::PI;

/// Deterministic uniform numbers in [0, 1) (SplitMix64), so these tests do not depend on
/// the crate's own `random` module.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// The next uniform number in [0, 1) (53 random bits).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// SU(2..4), U(1..3), SO(2..8): every Cartan type (A, B, D) at ranks 1–4.
pub fn all_groups() -> Vec<CompactGroup> {
    use CompactGroup::*;
    vec![
        SpecialUnitary(2),
        SpecialUnitary(3),
        SpecialUnitary(4),
        Unitary(1),
        Unitary(2),
        Unitary(3),
        SpecialOrthogonal(2),
        SpecialOrthogonal(3),
        SpecialOrthogonal(4),
        SpecialOrthogonal(5),
        SpecialOrthogonal(6),
        SpecialOrthogonal(7),
        SpecialOrthogonal(8),
    ]
}

/// A uniformly random torus point `H ∈ [−π, π)^r` (for SU(n) shifted to `Σ H_j = 0`).
pub fn random_torus_point(rs: &RootSystem, rng: &mut SplitMix) -> Vec<f64> {
    let mut h: Vec<f64> = (0..rs.torus_dim())
        .map(|_| (2.0 * rng.uniform() - 1.0) * PI)
        .collect();
    if matches!(rs.group(), CompactGroup::SpecialUnitary(_)) {
        let mean = h.iter().sum::<f64>() / h.len() as f64;
        h.iter_mut().for_each(|x| *x -= mean);
    }
    h
}
