//! The lattice `Γ = ker(exp) ∩ t` of the maximal torus and its points near a torus point.

use super::{CompactGroup, RootSystem};
use crate::error::{Error, Result};

impl RootSystem {
    /// All lattice vectors `γ ∈ Γ` with `|H + γ| ≤ radius`, sorted by increasing `|H + γ|`
    /// (ties broken lexicographically), as needed by the sum-over-paths estimator
    /// `Σ_{γ∈Γ} f(H + γ)`.
    ///
    /// `Γ` is `2π{k ∈ Z^n : Σk = 0}` (SU(n)), `2πZ^n` (U(n)), `2πZ^m` (SO(n)). The search
    /// is depth-first over the integer coordinates `k_j`, pruning with the partial sums
    /// `Σ_{i≤j} (h_i + 2πk_i)²` (for SU(n) over `k_1..k_{n−1}`, with `k_n = −Σ k_j`), so the
    /// cost is proportional to the number of integer points in a box of side
    /// `≈ radius/π + 1` in `rank` dimensions.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `h.len() != torus_dim`; [`Error::InvalidArgument`] if
    /// `h` is not finite, if (SU(n)) `Σ h_j ≠ 0` to within `1e-9 (1 + Σ|h_j|)` (reduce the
    /// eigen-angles to `Σθ = 0` first: `H` must lie in `t`), or if `radius` is negative, NaN or
    /// so large that more than `10^7` candidates would be visited.
    pub fn lattice_points(&self, h: &[f64], radius: f64) -> Result<Vec<Vec<f64>>> {
        if !(radius.is_finite() && radius >= 0.0) {
            return Err(Error::invalid("radius", radius, "a finite radius >= 0"));
        }
        let estimate = self.lattice_candidates(radius);
        if estimate > 1e7 {
            return Err(Error::invalid(
                "radius",
                radius,
                format!(
                    "a radius visiting at most 1e7 lattice candidates (estimate {estimate:.3e})"
                ),
            ));
        }
        self.lattice_points_unchecked(h, radius)
    }

    /// The number of candidates [`lattice_points`](Self::lattice_points) visits for `radius`,
    /// estimated as the integer points of a box of side `radius/π + 2` in `rank` dimensions
    /// (`∞` for a non-finite radius): the cost model of the sum over paths.
    pub fn lattice_candidates(&self, radius: f64) -> f64 {
        if radius.is_finite() {
            (radius / std::f64::consts::PI + 2.0).powi(self.rank() as i32)
        } else {
            f64::INFINITY
        }
    }

    /// [`lattice_points`](Self::lattice_points) without the size check (callers check
    /// [`lattice_candidates`](Self::lattice_candidates) against their own budget).
    pub(crate) fn lattice_points_unchecked(&self, h: &[f64], radius: f64) -> Result<Vec<Vec<f64>>> {
        self.check_torus_point(h, true)?;
        if !(radius.is_finite() && radius >= 0.0) {
            return Err(Error::invalid("radius", radius, "a finite radius >= 0"));
        }
        let r = self.torus_dim;
        let free = match self.group {
            CompactGroup::SpecialUnitary(n) => n - 1,
            _ => r,
        };
        let radius_sq = radius * radius;
        let mut found: Vec<(f64, Vec<i64>)> = Vec::new();
        let mut current = vec![0i64; r];
        self.search(h, 0, free, radius_sq, 0.0, &mut current, &mut found);
        found.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        let two_pi = 2.0 * std::f64::consts::PI;
        Ok(found
            .into_iter()
            .map(|(_, k)| k.iter().map(|&k| two_pi * k as f64).collect())
            .collect())
    }

    /// Maps eigen-angles of a group element to a point `H` of the torus Lie algebra `t` with
    /// the same exponential, as required by [`lattice_points`](Self::lattice_points).
    ///
    /// For SU(n) the eigen-angles of a matrix (e.g. each in `(−π, π]`) sum to `2πk` for some
    /// integer `k`; this subtracts `2π` from the `k` largest angles (or adds `2π` to the `|k|`
    /// smallest when `k < 0`) and then removes the remaining rounding-level mean, so that
    /// `Σ H_j = 0` while `e^{iH_j} = e^{iθ_j}` up to rounding. For U(n) and SO(n) every angle
    /// vector already lies in `t` and is returned unchanged. Cost `O(n log n)`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `angles.len() != torus_dim`; [`Error::InvalidArgument`]
    /// if an angle is not finite or (SU(n)) `Σθ_j` is not a multiple of 2π to within
    /// `1e-9 (1 + Σ|θ_j|)`.
    pub fn torus_algebra_point(&self, angles: &[f64]) -> Result<Vec<f64>> {
        self.check_torus_point(angles, false)?;
        let mut h = angles.to_vec();
        if let CompactGroup::SpecialUnitary(n) = self.group {
            let two_pi = 2.0 * std::f64::consts::PI;
            let sum: f64 = h.iter().sum();
            let turns = (sum / two_pi).round();
            let scale = 1.0 + h.iter().map(|x| x.abs()).sum::<f64>();
            if (sum - two_pi * turns).abs() > 1e-9 * scale {
                return Err(Error::invalid(
                    "eigen-angles",
                    format!("{angles:?} (sum {sum:e})"),
                    "SU(n) eigen-angles whose sum is a multiple of 2π",
                ));
            }
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| h[b].total_cmp(&h[a]));
            let turns = turns as i64;
            if turns > 0 {
                for &j in order.iter().cycle().take(turns as usize) {
                    h[j] -= two_pi;
                }
            } else {
                for &j in order
                    .iter()
                    .rev()
                    .cycle()
                    .take(turns.unsigned_abs() as usize)
                {
                    h[j] += two_pi;
                }
            }
            let mean = h.iter().sum::<f64>() / n as f64;
            h.iter_mut().for_each(|x| *x -= mean);
        }
        Ok(h)
    }

    /// Depth-first search over `k_j`, `j < free`; completes `k_n = −Σk` for SU(n).
    #[allow(clippy::too_many_arguments)]
    fn search(
        &self,
        h: &[f64],
        j: usize,
        free: usize,
        radius_sq: f64,
        partial: f64,
        current: &mut Vec<i64>,
        found: &mut Vec<(f64, Vec<i64>)>,
    ) {
        let two_pi = 2.0 * std::f64::consts::PI;
        if j == free {
            let mut norm_sq = partial;
            if free < self.torus_dim {
                let last = -current[..free].iter().sum::<i64>();
                current[free] = last;
                norm_sq += (h[free] + two_pi * last as f64).powi(2);
            }
            if norm_sq <= radius_sq {
                found.push((norm_sq, current.clone()));
            }
            return;
        }
        let remaining = (radius_sq - partial).max(0.0).sqrt();
        let low = ((-remaining - h[j]) / two_pi).ceil() as i64;
        let high = ((remaining - h[j]) / two_pi).floor() as i64;
        for k in low..=high {
            current[j] = k;
            let term = (h[j] + two_pi * k as f64).powi(2);
            if partial + term <= radius_sq {
                self.search(h, j + 1, free, radius_sq, partial + term, current, found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn su2_lattice_is_two_pi_coroots() {
        let su2 = RootSystem::special_unitary(2).unwrap();
        let points = su2
            .lattice_points(&[0.1, -0.1], 2.0 * PI * 2f64.sqrt() + 0.5)
            .unwrap();
        // γ = 2π(k, −k): |H+γ| = √2 |0.1 + 2πk| ≤ 2π√2 + 0.5 gives k ∈ {−1, 0, 1}.
        assert_eq!(points.len(), 3);
        assert_eq!(points[0], vec![0.0, 0.0]);
        assert!(su2.lattice_points(&[0.1, 0.1], 1.0).is_err());
    }

    #[test]
    fn so3_lattice_is_two_pi_z() {
        let so3 = RootSystem::special_orthogonal(3).unwrap();
        let points = so3.lattice_points(&[3.0], 10.0).unwrap();
        let ks: Vec<f64> = points.iter().map(|g| g[0] / (2.0 * PI)).collect();
        assert_eq!(ks, vec![0.0, -1.0, 1.0, -2.0]);
    }

    #[test]
    fn eigen_angles_reduce_to_traceless_point() {
        let su3 = RootSystem::special_unitary(3).unwrap();
        let angles = [3.0, 2.5, 2.0 * PI - 5.5];
        let h = su3.torus_algebra_point(&angles).unwrap();
        assert!(h.iter().sum::<f64>().abs() < 1e-15);
        for (a, b) in angles.iter().zip(&h) {
            let turns = (a - b) / (2.0 * PI);
            assert!((turns - turns.round()).abs() < 1e-15);
        }
        let negative = su3
            .torus_algebra_point(&[-3.0, -2.5, 5.5 - 2.0 * PI])
            .unwrap();
        assert!(negative.iter().sum::<f64>().abs() < 1e-15);
        assert!(su3.torus_algebra_point(&[0.1, 0.0, 0.0]).is_err());
    }
}
