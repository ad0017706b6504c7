//! Highest weights of irreducible representations: validation, enumeration by Casimir,
//! Weyl dimension formula and Casimir eigenvalues.

use super::{CompactGroup, RootSystem};
use crate::error::{Error, Result};

/// An irreducible representation, identified by its highest weight.
///
/// Built by [`RootSystem::irrep`] (from labels) or [`RootSystem::dominant_weights`]
/// (enumeration); the dimension and Casimir eigenvalue are computed once at construction.
#[derive(Clone, Debug, PartialEq)]
pub struct Irrep {
    group: CompactGroup,
    labels: Vec<i64>,
    weight: Vec<f64>,
    dimension: f64,
    casimir: f64,
}

impl Irrep {
    /// The group this representation belongs to.
    pub fn group(&self) -> CompactGroup {
        self.group
    }

    /// Integer highest-weight labels in the normal form of the [module docs](super)
    /// (SU(n): partition with last entry 0; U(n): non-increasing integers; SO(2m+1):
    /// `λ_1 ≥ … ≥ λ_m ≥ 0`; SO(2m): `λ_1 ≥ … ≥ λ_{m−1} ≥ |λ_m|`).
    pub fn labels(&self) -> &[i64] {
        &self.labels
    }

    /// Highest weight as a vector in torus coordinates, so that `⟨λ, H⟩` is the phase of the
    /// highest-weight vector (for SU(n): projected onto `Σ = 0`).
    pub fn weight(&self) -> &[f64] {
        &self.weight
    }

    /// Dimension `d_λ = ∏_{α>0} ⟨λ+ρ, α⟩/⟨ρ, α⟩` (Weyl dimension formula). Computed as a
    /// product of ratios in `f64` and rounded to the nearest integer: exact while
    /// `d_λ < 2^53 / (#positive roots)`.
    pub fn dimension(&self) -> f64 {
        self.dimension
    }

    /// Casimir (minus Laplace–Beltrami) eigenvalue `c_λ = |λ+ρ|² − |ρ|²` in the binding
    /// metric; the heat-kernel factor is `e^{−c_λ t/2}`. Relative rounding error ≲ `4·torus_dim·ε`.
    pub fn casimir(&self) -> f64 {
        self.casimir
    }
}

impl RootSystem {
    /// Validates integer highest-weight labels and builds the [`Irrep`].
    ///
    /// For SU(n) any non-increasing vector is accepted and normalised by subtracting its
    /// last entry (weights are defined modulo `(1, …, 1)`).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `labels.len() != torus_dim`;
    /// [`Error::InvalidArgument`] if the labels are not dominant for the group (see the
    /// module docs), or too large (`|λ_j| > 2^20`, which bounds the `O(λ_1)` memory of
    /// [`character`](Self::character)).
    pub fn irrep(&self, labels: &[i64]) -> Result<Irrep> {
        crate::error::check_len("highest weight", labels.len(), self.torus_dim)?;
        if labels.iter().any(|l| l.unsigned_abs() > 1 << 20) {
            return Err(Error::invalid(
                "highest weight",
                format!("{labels:?}"),
                "labels of magnitude at most 2^20",
            ));
        }
        let non_increasing = labels.windows(2).all(|w| w[0] >= w[1]);
        let mut labels = labels.to_vec();
        let valid = match self.group {
            CompactGroup::SpecialUnitary(_) => {
                let last = labels[labels.len() - 1];
                labels.iter_mut().for_each(|l| *l -= last);
                non_increasing
            }
            CompactGroup::Unitary(_) => non_increasing,
            CompactGroup::SpecialOrthogonal(n) if n % 2 == 1 => {
                non_increasing && labels[labels.len() - 1] >= 0
            }
            CompactGroup::SpecialOrthogonal(_) => {
                let m = labels.len();
                m == 1
                    || (labels[..m - 1].windows(2).all(|w| w[0] >= w[1])
                        && labels[m - 2] >= labels[m - 1].abs())
            }
        };
        if !valid {
            let expected = match self.group {
                CompactGroup::SpecialUnitary(_) | CompactGroup::Unitary(_) => {
                    "non-increasing integers λ_1 >= … >= λ_n"
                }
                CompactGroup::SpecialOrthogonal(n) if n % 2 == 1 => {
                    "integers λ_1 >= … >= λ_m >= 0 (SO(2m+1))"
                }
                CompactGroup::SpecialOrthogonal(_) => {
                    "integers λ_1 >= … >= λ_(m-1) >= |λ_m| (SO(2m))"
                }
            };
            return Err(Error::invalid(
                "highest weight",
                format!("{labels:?}"),
                expected,
            ));
        }
        Ok(self.irrep_unchecked(labels))
    }

    /// Builds an [`Irrep`] from labels already in normal form.
    fn irrep_unchecked(&self, labels: Vec<i64>) -> Irrep {
        let mut weight: Vec<f64> = labels.iter().map(|&l| l as f64).collect();
        if let CompactGroup::SpecialUnitary(n) = self.group {
            let mean = weight.iter().sum::<f64>() / n as f64;
            weight.iter_mut().for_each(|w| *w -= mean);
        }
        let shifted: Vec<f64> = weight.iter().zip(&self.rho).map(|(w, r)| w + r).collect();
        let dimension = self
            .positive_roots
            .iter()
            .map(|alpha| self.inner(&shifted, alpha) / self.inner(&self.rho, alpha))
            .product::<f64>()
            .round();
        // c = |λ+ρ|² − |ρ|² = ⟨λ, λ + 2ρ⟩ avoids the cancellation of the difference.
        let casimir = weight
            .iter()
            .zip(&self.rho)
            .map(|(w, r)| w * (w + 2.0 * r))
            .sum::<f64>();
        Irrep {
            group: self.group,
            labels,
            weight,
            dimension,
            casimir,
        }
    }

    /// All irreducible representations with Casimir eigenvalue `c_λ ≤ max_casimir`, sorted
    /// by increasing `c_λ` (ties broken by lexicographically decreasing labels, so the
    /// order is deterministic). The trivial representation comes first.
    ///
    /// Enumeration: depth-first over the labels with the bound `|λ+ρ|² ≤ max_casimir + |ρ|²`
    /// pruning partial sums of squares (U(n), SO(n)); for SU(n) over partitions with
    /// `λ_1 ≤ √2·R − (n−1)` (since `|v|² ≥ (v_1 − v_n)²/2`), pruning with the pairwise form
    /// `|λ+ρ|²_{Σ=0} = (1/n) Σ_{j<k} (μ_j − μ_k)²`. Cost ≈ number of candidates visited,
    /// `O(R^rank)` up to Weyl-group factors.
    ///
    /// Only integer weights are returned for SO(n) (no spinor representations of Spin(n)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `max_casimir` is NaN, negative or infinite, or so large
    /// that more than about `10^7` candidates would be visited (estimated as
    /// `(2R + 2)^rank / |W|`, the box around the ball over the Weyl chambers).
    pub fn dominant_weights(&self, max_casimir: f64) -> Result<Vec<Irrep>> {
        if !(max_casimir.is_finite() && max_casimir >= 0.0) {
            return Err(Error::invalid(
                "max_casimir",
                max_casimir,
                "a finite bound >= 0",
            ));
        }
        let radius_sq = max_casimir + self.rho_norm_sq();
        let radius = radius_sq.sqrt();
        let estimate =
            (2.0 * radius + 2.0).powi(self.rank() as i32) / self.weyl_group_order() as f64;
        if estimate > 1e7 {
            return Err(Error::invalid(
                "max_casimir",
                max_casimir,
                format!("a bound visiting at most 1e7 candidate weights (estimate {estimate:.3e})"),
            ));
        }
        let r = self.torus_dim;
        let mut found: Vec<Vec<i64>> = Vec::new();
        let mut current = vec![0i64; r];
        match self.group {
            CompactGroup::SpecialUnitary(n) => {
                let max_first = ((2f64.sqrt() * radius) - (n as f64 - 1.0)).floor() as i64;
                if max_first >= 0 {
                    self.enumerate_su(0, max_first, radius_sq, &mut current, &mut found);
                }
            }
            _ => self.enumerate_box(0, radius_sq, 0.0, &mut current, &mut found),
        }
        let tolerance = 1e-12 * (1.0 + max_casimir);
        let mut irreps: Vec<Irrep> = found
            .into_iter()
            .map(|labels| self.irrep_unchecked(labels))
            .filter(|irrep| irrep.casimir <= max_casimir + tolerance)
            .collect();
        irreps.sort_by(|a, b| {
            a.casimir
                .total_cmp(&b.casimir)
                .then_with(|| b.labels.cmp(&a.labels))
        });
        Ok(irreps)
    }

    /// Depth-first enumeration for U(n) and SO(n): the squared norm of `μ = λ + ρ` is a sum
    /// of per-coordinate squares, so partial sums prune.
    fn enumerate_box(
        &self,
        j: usize,
        radius_sq: f64,
        partial: f64,
        current: &mut Vec<i64>,
        found: &mut Vec<Vec<i64>>,
    ) {
        let r = self.torus_dim;
        if j == r {
            found.push(current.clone());
            return;
        }
        let remaining = (radius_sq - partial).max(0.0).sqrt() + 1e-9;
        let rho = self.rho[j];
        let mut low = (-remaining - rho).ceil() as i64;
        let mut high = (remaining - rho).floor() as i64;
        match self.group {
            CompactGroup::Unitary(_) => {}
            CompactGroup::SpecialOrthogonal(n) => {
                let last_of_even = n % 2 == 0 && j == r - 1;
                if !last_of_even {
                    low = low.max(0);
                }
                if last_of_even && j > 0 {
                    low = low.max(-current[j - 1]);
                }
            }
            CompactGroup::SpecialUnitary(_) => unreachable!("SU(n) uses enumerate_su"),
        }
        if j > 0 {
            high = high.min(current[j - 1]);
        }
        for label in low..=high {
            let mu = label as f64 + rho;
            current[j] = label;
            self.enumerate_box(j + 1, radius_sq, partial + mu * mu, current, found);
        }
    }

    /// Enumeration of partitions `max_first ≥ λ_1 ≥ … ≥ λ_{n−1} ≥ λ_n = 0` for SU(n), pruned
    /// by the pairwise form of the projected norm over the labels fixed so far.
    fn enumerate_su(
        &self,
        j: usize,
        max_first: i64,
        radius_sq: f64,
        current: &mut Vec<i64>,
        found: &mut Vec<Vec<i64>>,
    ) {
        let n = self.torus_dim;
        if j == n - 1 {
            current[j] = 0;
            found.push(current.clone());
            return;
        }
        let high = if j == 0 { max_first } else { current[j - 1] };
        for label in 0..=high {
            current[j] = label;
            // Lower bound of n|p+ρ|² = Σ_{i<k} (μ_i − μ_k)²: exact for pairs among the fixed
            // labels; for a later index k the label lies in [0, λ_j], so
            // μ_i − μ_k ≥ λ_i − λ_j + (k − i) ≥ k − i.
            let mu = |i: usize| current[i] as f64 + self.rho[i];
            let mut pairs = 0.0;
            for i in 0..n {
                for k in i + 1..n {
                    pairs += if k <= j {
                        (mu(i) - mu(k)).powi(2)
                    } else if i <= j {
                        ((current[i] - current[j]) as f64 + (k - i) as f64).powi(2)
                    } else {
                        ((k - i) as f64).powi(2)
                    };
                }
            }
            if pairs / n as f64 > radius_sq + 1e-9 {
                continue;
            }
            self.enumerate_su(j + 1, max_first, radius_sq, current, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_dominant() {
        let so4 = RootSystem::special_orthogonal(4).unwrap();
        assert!(so4.irrep(&[1, -1]).is_ok());
        assert!(so4.irrep(&[1, -2]).is_err());
        let so5 = RootSystem::special_orthogonal(5).unwrap();
        assert!(so5.irrep(&[1, -1]).is_err());
        assert!(so5.irrep(&[1]).is_err());
        let su3 = RootSystem::special_unitary(3).unwrap();
        assert_eq!(su3.irrep(&[3, 2, 2]).unwrap().labels(), &[1, 0, 0]);
        assert!(su3.irrep(&[0, 1, 0]).is_err());
    }
}
