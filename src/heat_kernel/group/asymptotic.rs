//! Varadhan and Schwinger–DeWitt approximations on a compact Lie group.
//!
//! Both use one path: `H_min`, the representative of `H` modulo `Γ` closest to 0, so
//! `d = |H_min|` is the geodesic distance of `e^H` to the identity.
//!
//! * **Varadhan**: `f_t ≈ (2πt)^{−dim G/2} e^{−d²/2t}`, torus gradient `−H_min/t`. Relative
//!   error `Σ_{α>0} ln φ(α(H_min)) + |ρ|²t/2 + (other paths) = Σ_α α(H_min)²/24 + |ρ|²t/2 + …`,
//!   i.e. `O(d² + t)`.
//! * **Schwinger–DeWitt**: `× ∏_{α>0} φ(α(H_min)) · e^{|ρ|²t/2}` (`φ(a) = (a/2)/sin(a/2)`, the
//!   Van Vleck factor, and the curvature factor); gradient `Σ_α ψ(α(H_min))α − H_min/t`. On a
//!   compact group this is *exactly* the `γ = 0` term of the path sum ([`super::paths`]), so its
//!   relative error is the sum of the other paths, `Σ_{γ≠0} T(H+γ)/T(H_min) ≈
//!   e^{−(|H+γ|² − d²)/2t}` for the second-closest representative: exponentially small in
//!   `1/t` away from the cut locus (there is no power-law `O(t²)` error, unlike on even spheres).
//!   At the cut locus (`α(H_min) ∈ 2πZ∖{0}` for some root, to within the rounding of `α(H_min)`,
//!   `|sin(α/2)| ≤ 8πε`: two closest representatives) the Van Vleck factor is infinite and
//!   [`Error::Numerical`] is returned; near it the result is finite but O(1) wrong (the mirror
//!   path is as heavy), which is why `Auto` uses the path sum there.
//!
//! **Error estimates** ([`TorusEvaluation::error_estimate`], absolute in `log f`): with
//! `P = Σ_{γ≠0} |T(H+γ)|/T(H_min)` the relative weight of the omitted paths
//! (`paths::other_paths`: every path within the truncation radius of `tol = 1e-16`,
//! singular factors regularised as mirror pairs),
//! * Varadhan: `|Σ_{α>0} ln φ(α(H_min)) + |ρ|²t/2| + P` (the first term is exactly what
//!   Schwinger–DeWitt adds; infinite at the cut locus, where nothing can be said);
//! * Schwinger–DeWitt: `P` (the neglected terms themselves, to first order in them; `≈ 1` near
//!   the cut locus, where the mirror path is as heavy).
//!
//! Cost: one lattice search in a ball of radius `|H|` plus `O(#roots · torus_dim)` flops, and
//! for the error estimate one more lattice search in the ball of radius `|H| + √(2tL)`,
//! `L ≈ 47`.

use super::paths::{other_paths, van_vleck, van_vleck_log_derivative, TorusPoint};
use super::TorusEvaluation;
use crate::error::{Error, Result};
use crate::heat_kernel::KernelMethod;
use crate::lie::RootSystem;
use std::f64::consts::PI;

/// `H_min`: the closest lattice representative of `H` (ties: lexicographic, deterministic).
///
/// # Errors
/// As [`RootSystem::lattice_points`].
pub(super) fn closest_representative(rs: &RootSystem, h: &[f64]) -> Result<Vec<f64>> {
    let norm = rs.norm_sq(h).sqrt();
    // No a-priori size check: at radius |H| (H already reduced) the depth-first search keeps
    // at most the two or three nearest shifts per coordinate, whatever the rank.
    let lattice = rs.lattice_points_unchecked(h, norm * (1.0 + 1e-12) + 1e-300)?;
    let gamma = lattice.first().ok_or_else(|| Error::Numerical {
        method: "closest lattice point",
        detail: format!("no lattice point found near H = {h:?}"),
    })?;
    Ok(h.iter().zip(gamma).map(|(a, b)| a + b).collect())
}

/// `P`, the weight of the omitted paths (module docs); infinite if the lattice search is
/// unaffordable.
fn omitted_paths(rs: &RootSystem, point: &TorusPoint, t: f64) -> f64 {
    other_paths(rs, point, t).unwrap_or(f64::INFINITY)
}

/// Varadhan's leading Gaussian (module docs).
///
/// # Errors
/// As [`closest_representative`].
pub(super) fn varadhan(rs: &RootSystem, point: &TorusPoint, t: f64) -> Result<TorusEvaluation> {
    let y = closest_representative(rs, &point.rounded)?;
    let dim = rs.group_dim() as f64;
    // What Schwinger–DeWitt adds: Σ ln φ(α(H_min)) + |ρ|²t/2 (φ is even and ≥ 1 below 2π).
    let mut neglected = 0.5 * rs.rho_norm_sq() * t;
    for alpha in rs.positive_roots() {
        neglected += van_vleck(rs.inner(alpha, &y)).abs().ln();
    }
    Ok(TorusEvaluation {
        log_prob: -0.5 * dim * (2.0 * PI * t).ln() - 0.5 * rs.norm_sq(&y) / t,
        gradient: y.iter().map(|v| -v / t).collect(),
        terms: 1,
        estimator: KernelMethod::Varadhan,
        error_estimate: neglected.abs() + omitted_paths(rs, point, t),
    })
}

/// Schwinger–DeWitt: the closest path with Van Vleck and curvature factors (module docs).
///
/// # Errors
/// As [`closest_representative`]; [`Error::Numerical`] at the cut locus.
pub(super) fn schwinger_dewitt(
    rs: &RootSystem,
    point: &TorusPoint,
    t: f64,
) -> Result<TorusEvaluation> {
    let h = &point.rounded;
    let y = closest_representative(rs, h)?;
    let dim = rs.group_dim() as f64;
    let mut log_prob =
        -0.5 * dim * (2.0 * PI * t).ln() - 0.5 * rs.norm_sq(&y) / t + 0.5 * rs.rho_norm_sq() * t;
    let mut gradient: Vec<f64> = y.iter().map(|v| -v / t).collect();
    for alpha in rs.positive_roots() {
        let a = rs.inner(alpha, &y);
        let phi = van_vleck(a);
        // At the cut locus |α(H_min)| = 2π: sin(α/2) vanishes up to the rounding of α (≤ 4ε·2π).
        let on_cut_locus = a.abs() > PI && (0.5 * a).sin().abs() <= 8.0 * PI * f64::EPSILON;
        if on_cut_locus || !(phi.is_finite() && phi > 0.0) {
            return Err(Error::Numerical {
                method: "Schwinger-DeWitt",
                detail: format!(
                    "H = {h:?} is on the cut locus (root value {a} = 2π·{:.0}): the Van Vleck \
                     factor is singular; use SumOverPaths or Auto",
                    a / (2.0 * PI)
                ),
            });
        }
        log_prob += phi.ln();
        let psi = van_vleck_log_derivative(a);
        for (g, ak) in gradient.iter_mut().zip(alpha) {
            *g += psi * ak;
        }
    }
    Ok(TorusEvaluation {
        log_prob,
        gradient,
        terms: 1,
        estimator: KernelMethod::SchwingerDeWitt,
        error_estimate: omitted_paths(rs, point, t),
    })
}
