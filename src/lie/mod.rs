//! Root systems and representation data of the compact groups SU(n), U(n) and SO(n).
//!
//! This module is the reference for the conventions used by the Lie-group heat-kernel
//! estimators: every quantity is expressed in the coordinates of the maximal torus that
//! match the binding metrics of [`crate::conventions`].
//!
//! # Torus coordinates and metric
//!
//! | group | Cartan type | torus element | coordinates `H` | Lie algebra `t` |
//! |-------|-------------|---------------|-----------------|-----------------|
//! | `U(n)`, n ≥ 1 | A_{n−1} ⊕ centre | `diag(e^{iθ_1}, …, e^{iθ_n})` | `θ ∈ R^n` | all of `R^n` |
//! | `SU(n)`, n ≥ 2 | A_{n−1} | `diag(e^{iθ_1}, …, e^{iθ_n})` | `θ ∈ R^n` | hyperplane `Σθ_j = 0` |
//! | `SO(2m+1)`, m ≥ 1 | B_m | `diag(R(φ_1), …, R(φ_m), 1)` | `φ ∈ R^m` | all of `R^m` |
//! | `SO(2m)`, m ≥ 1 | D_m | `diag(R(φ_1), …, R(φ_m))` | `φ ∈ R^m` | all of `R^m` |
//!
//! with `R(φ) = [[cos φ, −sin φ], [sin φ, cos φ]]`. The number of coordinates is
//! [`RootSystem::torus_dim`]; for SU(n) it exceeds the rank by one (the coordinates are the
//! ambient ones of the hyperplane `Σθ = 0`).
//!
//! **Metric.** On U(n)/SU(n) the Frobenius metric `⟨X, Y⟩ = Re tr(XᴴY)` restricted to
//! `t` gives `|H|² = Σ θ_j²`. On SO(n) the metric `½ tr(AᵀB)` makes every rotation-block
//! generator `E_{2k−1,2k} − E_{2k,2k−1}` a unit vector, so `|H|² = Σ φ_k²`. In both cases the
//! inner product on torus coordinates is the **Euclidean** one ([`RootSystem::inner`]); on
//! SO(3) the distance to the identity is therefore the rotation angle.
//!
//! **Weights.** A weight `λ` (an element of `t*`) is identified with a vector of `R^{torus_dim}`
//! through the metric, so that the corresponding character of the torus is
//! `e^H ↦ e^{i⟨λ, H⟩}` with the Euclidean `⟨λ, H⟩ = Σ λ_j H_j`. For U(n) the weight `λ ∈ Z^n`
//! acts as `e^{iΣλ_jθ_j}`; for SO(n) the weight `λ ∈ Z^m` acts as `e^{iΣλ_kφ_k}`. For SU(n)
//! weights are defined modulo `(1, …, 1)`; their torus vector is the projection onto `Σ = 0`
//! (this is what makes `|λ+ρ|²` well defined).
//!
//! # Roots
//! - A_{n−1} (U(n), SU(n)): positive roots `e_j − e_k`, `j < k`; `ρ_j = (n+1)/2 − j`
//!   (`ρ = ((n−1)/2, …, −(n−1)/2)`, already in `Σ = 0`).
//! - B_m (SO(2m+1)): positive roots `e_j ± e_k` (`j < k`) and `e_j`; `ρ_j = m − j + ½`.
//! - D_m (SO(2m)): positive roots `e_j ± e_k` (`j < k`); `ρ_j = m − j`. SO(2) = D_1 has no roots.
//!
//! Weyl group orders: `n!` (A_{n−1}), `2^m m!` (B_m), `2^{m−1} m!` (D_m).
//!
//! # Irreducible representations ([`Irrep`])
//! Highest weights are stored as integer labels ([`Irrep::labels`]):
//! - SU(n): a partition `λ_1 ≥ … ≥ λ_{n−1} ≥ λ_n = 0` (the representative of the class
//!   modulo `(1, …, 1)` with last entry 0); torus vector `λ − mean(λ)·(1, …, 1)`.
//! - U(n): any non-increasing `λ ∈ Z^n` (negative entries allowed: `det^{−1}` is `(−1, …, −1)`).
//! - SO(2m+1): `λ_1 ≥ … ≥ λ_m ≥ 0`, integers.
//! - SO(2m): `λ_1 ≥ … ≥ λ_{m−1} ≥ |λ_m|`, integers (`λ_m < 0` is the conjugate chirality).
//!
//! Only **integer** weights are representations of SO(n); the half-integer (spinor) weights
//! belong to Spin(n) and are deliberately not enumerated.
//!
//! - Weyl dimension formula: `d_λ = ∏_{α>0} ⟨λ+ρ, α⟩ / ⟨ρ, α⟩`.
//! - Casimir = Laplace–Beltrami eigenvalue in the binding metric:
//!   `Δ χ_λ = −c_λ χ_λ` with `c_λ = |λ+ρ|² − |ρ|²`. Checks: SO(3) spin l: `c = l(l+1)`;
//!   SU(2) (a round S³ of radius √2) spin l/2: `c = l(l+2)/2`; SU(3) fundamental: `8/3`;
//!   U(1): `c(k) = k²`.
//! - With Brownian time (`∂_t p = ½Δp`) the heat kernel is
//!   `p_t(g) = Σ_λ d_λ χ_λ(g) e^{−c_λ t/2} / Vol(G)`; at the identity
//!   `p_t(e) = Σ_λ d_λ² e^{−c_λ t/2} / Vol(G)`.
//! - Weyl character formula `χ_λ(e^H) = Σ_w ε(w) e^{i⟨w(λ+ρ), H⟩} / Σ_w ε(w) e^{i⟨wρ, H⟩}`,
//!   evaluated in a division-free form that is stable at and near singular `H`
//!   (see [`RootSystem::character`]).
//!
//! # Volume
//! `Vol(G) = Vol(T) ∏_{α>0} 2π/⟨α, ρ⟩` (Harish-Chandra/Macdonald), with `Vol(T)` the covolume
//! of the lattice `Γ` in `t`: `(2π)^n` for U(n), `√n (2π)^{n−1}` for SU(n), `(2π)^m` for SO(n).
//! Checks: SO(3) `8π²`; SU(2) `4√2 π²` (S³ of radius √2); U(1) `2π`. It is verified in the
//! tests through the small-time heat trace `p_t(e) → (2πt)^{−dim/2} e^{|ρ|² t/2}`.
//!
//! # Lattice `Γ = ker(exp) ∩ t`
//! - SU(n): `2π {k ∈ Z^n : Σ k_j = 0}` (2π times the coroot lattice; SU(n) is simply connected).
//! - U(n): `2π Z^n`.
//! - SO(n): `2π Z^m` (contains the coroot lattice with index 2 for n ≥ 3: π₁(SO(n)) = Z₂,
//!   and SO(2) is a circle).
//!
//! [`RootSystem::lattice_points`] enumerates `γ ∈ Γ` with `|H + γ| ≤ R`, as needed by the
//! sum-over-paths estimator; [`RootSystem::torus_algebra_point`] maps SU(n) eigen-angles
//! (summing to `2πk`) into `t` (summing to 0).
//!
//! # Sum over paths (verified)
//! With these conventions the formula of [`crate::conventions`] holds with **no extra constant** for
//! densities w.r.t. the Riemannian volume, for simply connected and non-simply-connected
//! groups alike (Γ = ker exp, including SO(n) and U(n)):
//!
//! `p_t(e^H) = (2πt)^{−dim G/2} e^{|ρ|² t/2} Σ_{γ∈Γ} ∏_{α>0} [α(H+γ)/2 / sin(α(H+γ)/2)] e^{−|H+γ|²/(2t)}`.
//!
//! `tests/root_systems.rs` checks it against `Σ_λ d_λ χ_λ(e^H) e^{−c_λ t/2}/Vol(G)` at
//! generic `H` for SU(2), SU(3), U(1), U(2), SO(2)–SO(6), t ∈ {0.2, 1, 3}: agreement to
//! `3.4e−15·p_t(e)`; and at `H = 0` (small t, where only γ = 0 matters) the heat trace
//! `Σ d_λ² e^{−c_λ t/2}/Vol(G) = (2πt)^{−dim/2} e^{|ρ|²t/2}` to `3.3e−15` relative for
//! SU(2..4), U(1..3), SO(2..8). At singular `H` (some `sin(α(H)/2) = 0`) individual path
//! terms are singular and only their sum has a finite (confluent) limit.

mod character;
mod lattice;
mod weights;

pub use weights::Irrep;

use crate::error::{Error, Result};

/// Which compact group a [`RootSystem`] describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompactGroup {
    /// SU(n), n ≥ 2: Cartan type A_{n−1}.
    SpecialUnitary(usize),
    /// U(n), n ≥ 1: Cartan type A_{n−1} plus a one-dimensional centre.
    Unitary(usize),
    /// SO(n), n ≥ 2: Cartan type B_m for n = 2m+1, D_m for n = 2m.
    SpecialOrthogonal(usize),
}

impl CompactGroup {
    /// The matrix size `n`.
    pub fn n(self) -> usize {
        match self {
            CompactGroup::SpecialUnitary(n)
            | CompactGroup::Unitary(n)
            | CompactGroup::SpecialOrthogonal(n) => n,
        }
    }

    /// `true` for SU(n) and U(n) (complex matrices).
    pub fn is_complex(self) -> bool {
        !matches!(self, CompactGroup::SpecialOrthogonal(_))
    }

    /// The smallest admissible matrix size: 2 for SO(n) and SU(n), 1 for U(n).
    pub fn minimum_n(self) -> usize {
        match self {
            CompactGroup::Unitary(_) => 1,
            CompactGroup::SpecialUnitary(_) | CompactGroup::SpecialOrthogonal(_) => 2,
        }
    }

    /// Real dimension of the group: `n(n−1)/2` (SO), `n² − 1` (SU), `n²` (U).
    pub fn dim(self) -> usize {
        let n = self.n();
        match self {
            CompactGroup::SpecialOrthogonal(_) => n * n.saturating_sub(1) / 2,
            CompactGroup::SpecialUnitary(_) => (n * n).saturating_sub(1),
            CompactGroup::Unitary(_) => n * n,
        }
    }

    /// Reals per point in ambient coordinates: `n²` (SO, row-major), `2n²` (SU, U: each entry
    /// as `re, im`); saturates instead of overflowing for absurd sizes.
    pub fn ambient_dim(self) -> usize {
        let n2 = self.n().saturating_mul(self.n());
        if self.is_complex() {
            n2.saturating_mul(2)
        } else {
            n2
        }
    }
}

/// Cartan type of the semisimple part of the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CartanType {
    /// A_l (SU(l+1), and U(l+1) without its centre); `A(0)` is the trivial system of U(1).
    A(usize),
    /// B_m (SO(2m+1)).
    B(usize),
    /// D_m (SO(2m)); `D(1)` is the empty system of SO(2).
    D(usize),
}

/// Root system, Weyl vector, weights and torus lattice of SU(n), U(n) or SO(n) in the
/// torus coordinates and metric documented in the [module docs](self).
///
/// Construction is `O(torus_dim²)`; all quantities are then cached.
#[derive(Clone, Debug)]
pub struct RootSystem {
    group: CompactGroup,
    torus_dim: usize,
    positive_roots: Vec<Vec<f64>>,
    rho: Vec<f64>,
}

impl RootSystem {
    /// Root system of SU(n) (type A_{n−1}).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n < 2`.
    pub fn special_unitary(n: usize) -> Result<Self> {
        if n < 2 {
            return Err(Error::invalid("n", n, "n >= 2 for SU(n)"));
        }
        Ok(Self::type_a(CompactGroup::SpecialUnitary(n), n))
    }

    /// Root system of U(n) (type A_{n−1} plus the central direction `(1, …, 1)`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n < 1`.
    pub fn unitary(n: usize) -> Result<Self> {
        if n < 1 {
            return Err(Error::invalid("n", n, "n >= 1 for U(n)"));
        }
        Ok(Self::type_a(CompactGroup::Unitary(n), n))
    }

    /// Root system of SO(n) (B_m for n = 2m+1, D_m for n = 2m).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n < 2`.
    pub fn special_orthogonal(n: usize) -> Result<Self> {
        if n < 2 {
            return Err(Error::invalid("n", n, "n >= 2 for SO(n)"));
        }
        let m = n / 2;
        let odd = n % 2 == 1;
        let mut positive_roots = Vec::new();
        for j in 0..m {
            for k in j + 1..m {
                let mut minus = vec![0.0; m];
                minus[j] = 1.0;
                minus[k] = -1.0;
                positive_roots.push(minus);
                let mut plus = vec![0.0; m];
                plus[j] = 1.0;
                plus[k] = 1.0;
                positive_roots.push(plus);
            }
            if odd {
                let mut short = vec![0.0; m];
                short[j] = 1.0;
                positive_roots.push(short);
            }
        }
        let rho = (0..m)
            .map(|j| (m - 1 - j) as f64 + if odd { 0.5 } else { 0.0 })
            .collect();
        Ok(Self {
            group: CompactGroup::SpecialOrthogonal(n),
            torus_dim: m,
            positive_roots,
            rho,
        })
    }

    /// Root system of a [`CompactGroup`].
    ///
    /// # Errors
    /// As the specific constructors.
    pub fn new(group: CompactGroup) -> Result<Self> {
        match group {
            CompactGroup::SpecialUnitary(n) => Self::special_unitary(n),
            CompactGroup::Unitary(n) => Self::unitary(n),
            CompactGroup::SpecialOrthogonal(n) => Self::special_orthogonal(n),
        }
    }

    fn type_a(group: CompactGroup, n: usize) -> Self {
        let mut positive_roots = Vec::with_capacity(n * (n - 1) / 2);
        for j in 0..n {
            for k in j + 1..n {
                let mut root = vec![0.0; n];
                root[j] = 1.0;
                root[k] = -1.0;
                positive_roots.push(root);
            }
        }
        let rho = (0..n).map(|j| (n as f64 - 1.0) / 2.0 - j as f64).collect();
        Self {
            group,
            torus_dim: n,
            positive_roots,
            rho,
        }
    }

    /// The group described.
    pub fn group(&self) -> CompactGroup {
        self.group
    }

    /// Cartan type of the semisimple part.
    pub fn cartan_type(&self) -> CartanType {
        match self.group {
            CompactGroup::SpecialUnitary(n) | CompactGroup::Unitary(n) => CartanType::A(n - 1),
            CompactGroup::SpecialOrthogonal(n) if n % 2 == 1 => CartanType::B(n / 2),
            CompactGroup::SpecialOrthogonal(n) => CartanType::D(n / 2),
        }
    }

    /// Rank of the group (dimension of the maximal torus): `n−1` for SU(n), `n` for U(n),
    /// `⌊n/2⌋` for SO(n).
    pub fn rank(&self) -> usize {
        match self.group {
            CompactGroup::SpecialUnitary(n) => n - 1,
            _ => self.torus_dim,
        }
    }

    /// Number of torus coordinates (length of `H`, of weights and of roots): `n` for SU(n)
    /// and U(n), `⌊n/2⌋` for SO(n).
    pub fn torus_dim(&self) -> usize {
        self.torus_dim
    }

    /// Dimension of the group: `n²−1` (SU(n)), `n²` (U(n)), `n(n−1)/2` (SO(n)); equals
    /// `rank + 2·#positive roots`.
    pub fn group_dim(&self) -> usize {
        self.rank() + 2 * self.positive_roots.len()
    }

    /// Positive roots as vectors in torus coordinates (`α(H) = ⟨α, H⟩`).
    pub fn positive_roots(&self) -> &[Vec<f64>] {
        &self.positive_roots
    }

    /// Weyl vector `ρ = ½ Σ_{α>0} α` in torus coordinates.
    pub fn rho(&self) -> &[f64] {
        &self.rho
    }

    /// `|ρ|²` in the binding metric: `n(n²−1)/12` for A_{n−1}, `m(2m−1)(2m+1)/12` for
    /// B_m, `m(m−1)(2m−1)/6` for D_m. This is the curvature constant of the heat-kernel
    /// factor `e^{|ρ|² t/2}`.
    pub fn rho_norm_sq(&self) -> f64 {
        self.norm_sq(&self.rho)
    }

    /// Order of the Weyl group: `n!` (A_{n−1}), `2^m m!` (B_m), `2^{m−1} m!` (D_m).
    pub fn weyl_group_order(&self) -> u64 {
        let factorial = |k: usize| (1..=k as u64).product::<u64>();
        match self.cartan_type() {
            CartanType::A(l) => factorial(l + 1),
            CartanType::B(m) => (1u64 << m) * factorial(m),
            CartanType::D(m) => (1u64 << (m - 1)) * factorial(m),
        }
    }

    /// Inner product of two torus vectors (elements of `t` or, identified by the metric,
    /// of `t*`): the Euclidean `Σ a_j b_j`.
    ///
    /// # Panics
    /// If the lengths differ from [`torus_dim`](Self::torus_dim).
    pub fn inner(&self, a: &[f64], b: &[f64]) -> f64 {
        assert_eq!(a.len(), self.torus_dim, "lie: vector length");
        assert_eq!(b.len(), self.torus_dim, "lie: vector length");
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    /// Squared norm `⟨a, a⟩` of a torus vector.
    ///
    /// # Panics
    /// If `a.len() != torus_dim`.
    pub fn norm_sq(&self, a: &[f64]) -> f64 {
        self.inner(a, a)
    }

    /// Riemannian volume of the maximal torus, the covolume of `Γ` in `t`:
    /// `(2π)^n` (U(n)), `√n (2π)^{n−1}` (SU(n)), `(2π)^m` (SO(n)).
    pub fn torus_volume(&self) -> f64 {
        let two_pi = 2.0 * std::f64::consts::PI;
        match self.group {
            CompactGroup::SpecialUnitary(n) => (n as f64).sqrt() * two_pi.powi(n as i32 - 1),
            _ => two_pi.powi(self.torus_dim as i32),
        }
    }

    /// Riemannian volume of the group in the binding metric,
    /// `Vol(G) = Vol(T) ∏_{α>0} 2π/⟨α, ρ⟩`. SO(3): `8π²`; SU(2): `4√2π²`; U(1): `2π`.
    pub fn volume(&self) -> f64 {
        let two_pi = 2.0 * std::f64::consts::PI;
        self.positive_roots
            .iter()
            .map(|alpha| two_pi / self.inner(alpha, &self.rho))
            .product::<f64>()
            * self.torus_volume()
    }

    /// Checks that `h` is a finite torus point of the right length; for SU(n) also that
    /// `Σ h_j = 0` to within `1e-9 (1 + Σ|h_j|)` when `require_traceless`.
    fn check_torus_point(&self, h: &[f64], require_traceless: bool) -> Result<()> {
        crate::error::check_len("torus point", h.len(), self.torus_dim)?;
        if let Some(bad) = h.iter().find(|x| !x.is_finite()) {
            return Err(Error::invalid(
                "torus point",
                bad,
                "finite torus coordinates",
            ));
        }
        if require_traceless {
            if let CompactGroup::SpecialUnitary(_) = self.group {
                let sum: f64 = h.iter().sum();
                let scale: f64 = 1.0 + h.iter().map(|x| x.abs()).sum::<f64>();
                if sum.abs() > 1e-9 * scale {
                    return Err(Error::invalid(
                        "torus point",
                        format!("{h:?} (sum {sum:e})"),
                        "an SU(n) torus point with coordinates summing to 0",
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn basic_counts() {
        for n in 2..7 {
            let su = RootSystem::special_unitary(n).unwrap();
            assert_eq!(su.group_dim(), n * n - 1);
            assert_eq!(su.rank(), n - 1);
            let u = RootSystem::unitary(n).unwrap();
            assert_eq!(u.group_dim(), n * n);
            let so = RootSystem::special_orthogonal(n).unwrap();
            assert_eq!(so.group_dim(), n * (n - 1) / 2);
        }
        assert_eq!(RootSystem::unitary(1).unwrap().group_dim(), 1);
        assert!(RootSystem::special_unitary(1).is_err());
        assert!(RootSystem::unitary(0).is_err());
        assert!(RootSystem::special_orthogonal(1).is_err());
    }

    #[test]
    fn rho_is_half_sum_of_positive_roots() {
        for group in [
            CompactGroup::SpecialUnitary(4),
            CompactGroup::Unitary(3),
            CompactGroup::SpecialOrthogonal(7),
            CompactGroup::SpecialOrthogonal(8),
        ] {
            let rs = RootSystem::new(group).unwrap();
            let mut half_sum = vec![0.0; rs.torus_dim()];
            for alpha in rs.positive_roots() {
                for (s, a) in half_sum.iter_mut().zip(alpha) {
                    *s += 0.5 * a;
                }
            }
            assert_eq!(half_sum, rs.rho(), "{group:?}");
        }
    }

    #[test]
    fn known_volumes() {
        let so3 = RootSystem::special_orthogonal(3).unwrap();
        assert!((so3.volume() - 8.0 * PI * PI).abs() < 1e-12 * so3.volume());
        let su2 = RootSystem::special_unitary(2).unwrap();
        let s3 = 2.0 * PI * PI * 2f64.sqrt().powi(3);
        assert!((su2.volume() - s3).abs() < 1e-12 * s3);
        let u1 = RootSystem::unitary(1).unwrap();
        assert!((u1.volume() - 2.0 * PI).abs() < 1e-15);
    }
}
