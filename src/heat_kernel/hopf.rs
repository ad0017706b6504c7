//! The heat kernel of `S²` as an integral of the `S³` kernel over the fibres of the Hopf map.
//!
//! The Hopf map `S³ → S²(½)` is a Riemannian submersion with totally geodesic (great-circle)
//! fibres of length 2π, so it maps Brownian motion on `S³` to Brownian motion on `S²(½)`, and
//! `S²(½)` at time `τ` is the unit `S²` at time `4τ` (densities scaled by 4). Parametrising the
//! fibre over a point at unit-sphere angle θ from `x₀` by α ∈ [0, 2π), its points are at
//! `S³`-distance `ψ(α)` with `cos ψ = cos(θ/2) cos α`, hence (for `∂_t p = ½Δp`)
//!
//! `p^{S²}_t(θ) = ¼ ∫₀^{2π} p^{S³}_{t/4}(ψ(α)) dα`,
//! `∂_θ log p^{S²}_t = ⟨½ sin(θ/2) cos α · ∂_ψ log p^{S³} / sin ψ⟩`,
//!
//! the average being w.r.t. the integrand (`∂_θ ψ = sin(θ/2) cos α / (2 sin ψ)`). The `S³`
//! kernel is the exact path sum ([`super::sphere3`]). All quadrature weights are positive, so
//! the relative accuracy of `p` is that of the integrand (`~1e-15`) plus the quadrature error.
//!
//! **Quadrature.** The integrand is periodic and entire in α, so the `N`-point trapezoidal rule
//! converges geometrically; its error is the aliased Fourier coefficient of order `N`. Near
//! α = 0 the integrand behaves like `e^{κ cos α}` with `κ = 4 ψ₀ cot ψ₀ / t`, `ψ₀ = θ/2`; for
//! the von Mises density `I_N(κ)/I₀(κ) < 1e-17` holds for `N ≥ 9√κ + 12` (checked for
//! `κ ∈ [0.1, 10⁴]`), which is the rule used (`N` rounded up to even). The integrand decreases
//! on `[0, π]` (ψ increases, the kernel decreases in distance), so summation stops once the
//! remaining nodes cannot add `1e-17` relative. Nodes evaluated: about `14` for small `t`
//! (a Gaussian peak of width `√(t/κ')`), up to `N/2 + 1 ≈ 16–30` when the integrand is flat
//! (θ near π or `t ≳ 0.5`). Validated against an mpmath eigen series to `1e-13` (tests).
//!
//! **Error estimate** (relative in `p`, [`RadialEvaluation::error_estimate`]): the largest
//! estimate of the `S³` node values ([`super::sphere3`]; the weights are positive, so the
//! relative error of the sum is at most the largest of the terms'), plus `(nodes + 4)ε` for
//! summing the positive terms and the logarithm, plus `2e-17` (the aliased coefficient and
//! the nodes skipped by the stop rule), plus the sensitivity to the node angles: the nodes
//! `(cos α_j, sin α_j)` come from a rotation recurrence; each step rounds `sin α` by
//! `≈ ε(|sin α_{k−1}| + |sin α_k|)` and the rotation angle `h` by `εh`, so node `j` is off by
//! `δ_j ≈ ε(α_j + 2Σ_{k≤j}|sin α_k|)` in angle, and the sum moves by
//! `Σ_j w_j f_j |∂_α log f_j| δ_j / Σ_j w_j f_j`, with
//! `∂_α log f = ∂_ψ log p^{S³} · cos(θ/2) sin α / sin ψ` (the radius of `(cos α_j, sin α_j)`
//! drifts by `O(jε)` too, which moves the `S³` prefactors by as much: inside `(nodes + 4)ε`).

use super::sphere3::{s3_log_constant, s3_parts};
use super::{KernelMethod, RadialEvaluation};
use std::f64::consts::{PI, TAU};

/// `π − fl(π)`.
const PI_LOW: f64 = 1.2246467991473532e-16;

/// Smallest `t` at which the quadrature resolves its nodes: the peak of the integrand has
/// width `√(t/κ')` in α, and below `t ≈ 1e-280` the node offsets `sin²(α/2) ≈ t` leave the
/// normal f64 range. (`Auto` never needs the quadrature below `t ≈ 1e-21`: the Gaussian
/// regime of [`super::sphere`] is exact there for every f64 point.)
pub const HOPF_MIN_TIME: f64 = 1e-280;

/// `S²` kernel by Hopf-fibre quadrature of the `S³` path sum; `theta ∈ [0, π]`,
/// `t ≥ HOPF_MIN_TIME`.
pub(crate) fn s2_hopf(theta: f64, t: f64) -> RadialEvaluation {
    s2_hopf_refined(theta, t, 1.0)
}

/// [`s2_hopf`] with the node count multiplied by `refine` (tests check `refine = 2` changes nothing).
fn s2_hopf_refined(theta: f64, t: f64, refine: f64) -> RadialEvaluation {
    let tau = 0.25 * t;
    let (s_half, c_half) = (0.5 * theta).sin_cos();
    let psi0 = 0.5 * theta;
    // ψ₀ cot ψ₀ ∈ [0, 1].
    let psi_cot = if psi0 < 1e-8 {
        1.0
    } else {
        psi0 * c_half / s_half
    };
    // N = 9√κ + 12, κ = 4ψ₀cotψ₀/t, rounded up to even; kept in f64 (≈ 1e162 at t = 1e-324):
    // the stop rule below ends the sum after the peak, so only ~15–45 nodes are evaluated.
    let n = {
        let sqrt_kappa = 2.0 * psi_cot.sqrt() / t.sqrt();
        let raw = (refine * (9.0 * sqrt_kappa + 12.0)).ceil();
        raw + raw % 2.0
    };
    let half = 0.5 * n;
    let h = TAU / n;
    let mut sum = 0.0f64;
    let mut dsum = 0.0f64;
    let mut factor_ref = 1.0f64;
    let mut exponent_ref = 0.0f64;
    let mut terms = 0usize;
    // Largest S³ node estimate; Σ f_j |∂_α log f_j| α_j for the rounding of the node angles.
    let (mut node_error, mut angle_sensitivity, mut nodes) = (0.0f64, 0.0f64, 0usize);
    let mut j = 0usize;
    loop {
        let last = j as f64 >= half;
        // α_j = jh directly (its rounding, ε α_j, enters the estimate below).
        let alpha = if last { PI } else { h * j as f64 };
        let (sa, ca) = if last { (0.0, -1.0) } else { alpha.sin_cos() };
        let sin_psi = (s_half * s_half + c_half * c_half * sa * sa).sqrt();
        let cos_psi = c_half * ca;
        let psi = sin_psi.atan2(cos_psi);
        // π − ψ directly from the components near the antipode: `π − atan2(…)` would keep only
        // the absolute accuracy ε·π of ψ (relative 1e-12 at π − ψ = 5e-4: 1.6e-14 in log p at
        // t = 10, θ = 1e-3, where the node at α = π weighs O(1/N)).
        let pi_minus_psi = if cos_psi < 0.0 {
            sin_psi.atan2(-cos_psi)
        } else {
            (PI - psi) + PI_LOW
        };
        let v = s3_parts(psi, sin_psi, cos_psi, pi_minus_psi, tau);
        terms += v.terms;
        nodes += 1;
        node_error = node_error.max(v.relative_error);
        // −(ψ_j² − ψ₀²)/2τ = −(ψ_j − ψ₀)(ψ_j + ψ₀)/2τ with ψ_j − ψ₀ formed without
        // cancellation: cos ψ₀ − cos ψ_j = c_half(1 − cos α) = 2 c_half sin²(α/2), so
        // sin((ψ_j − ψ₀)/2) = c_half sin²(α/2)/sin((ψ_j + ψ₀)/2). (Forming ψ_j² − ψ₀² directly
        // loses everything at small t, where both are ~1/t larger than their difference.)
        let exponent_difference = if j == 0 {
            exponent_ref = v.exponent;
            factor_ref = v.factor;
            0.0
        } else {
            let mean = (0.5 * (psi + psi0)).sin();
            let half_alpha = (0.5 * alpha).sin();
            let sine = c_half * half_alpha * half_alpha / mean;
            // asin is ill-conditioned near 1: large gaps are formed directly (no cancellation).
            let gap = if sine < 0.5 {
                2.0 * sine.asin()
            } else {
                psi - psi0
            };
            -gap * (psi + psi0) / (2.0 * tau)
        };
        let ratio = exponent_difference.exp() * (v.factor / factor_ref);
        // Trapezoid weights over the full period folded onto [0, π]: 1 at α = 0 and α = π, 2 inside.
        let f = if j == 0 || last { ratio } else { 2.0 * ratio };
        sum += f;
        let slope = (v.dlog_prob_over_sin * c_half * sa).abs();
        if slope.is_finite() {
            angle_sensitivity += f * slope * alpha;
        }
        // At θ = 0 the derivative is 0 by symmetry (and the ψ = π node would give 0·∞).
        if s_half != 0.0 && f != 0.0 {
            dsum += f * 0.5 * s_half * ca * v.dlog_prob_over_sin;
        }
        // f is decreasing in α: the remaining (half − j) nodes add at most (half − j)·2·ratio.
        if last || (j > 0 && 2.0 * ratio * (half - j as f64) <= 1e-17 * sum) {
            break;
        }
        j += 1;
        // The peak spans ≤ 50 nodes (N ≈ 9√κ + 12 and the Gaussian width 1/√κ); a NaN ratio
        // (only for t below HOPF_MIN_TIME) must not run to N/2.
        debug_assert!(ratio.is_finite(), "Hopf node ratio {ratio} at t = {t:e}");
        if j > 100_000 || !ratio.is_finite() {
            break;
        }
    }
    RadialEvaluation {
        // p = ¼ h Σ_j weight_j p^{S³}(ψ_j), with p^{S³}(ψ_j) = C e^{exponent_ref} factor_ref ratio_j.
        log_prob: s3_log_constant(tau) + exponent_ref + (0.25 * h * factor_ref * sum).ln(),
        dlog_prob_dtheta: dsum / sum,
        terms,
        estimator: KernelMethod::SumOverPaths,
        error_estimate: node_error
            + (nodes + 4) as f64 * f64::EPSILON
            + 2e-17
            + f64::EPSILON * angle_sensitivity / sum,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn doubling_the_nodes_changes_nothing() {
        // The node rule is derived for a von Mises integrand; check the actual integrand on a
        // dense (t, θ) grid, t ∈ [1e-8, 1]: the quadrature error (≈ the change under doubling)
        // stays < 1e-13 relative.
        let mut worst = 0.0f64;
        for i in 0..=24 {
            let t = 10f64.powf(-8.0 + 8.0 * i as f64 / 24.0);
            for j in 0..=60 {
                let theta = PI * (0.5 - 0.5 * (PI * j as f64 / 60.0).cos());
                let a = s2_hopf_refined(theta, t, 1.0);
                let b = s2_hopf_refined(theta, t, 2.0);
                // Scales: log p is only representable to ε|log p|; the score is compared with
                // its natural size max(|s|, 1/√t) (near θ = π it is ~0 and rounding-dominated).
                let err_log = (a.log_prob - b.log_prob).abs() / (1.0 + b.log_prob.abs());
                let err_score = (a.dlog_prob_dtheta - b.dlog_prob_dtheta).abs()
                    / b.dlog_prob_dtheta.abs().max(1.0 / t.sqrt());
                // Near θ = π the score is a cancelling sum of node terms of size |q| ≈ ψ/τ, so its
                // rounding floor is ~ 20 ε (π/2τ) absolute, i.e. 20 ε π √t/(2τ) on this scale.
                let floor =
                    20.0 * f64::EPSILON * std::f64::consts::FRAC_PI_2 / (0.25 * t) * t.sqrt();
                worst = worst.max(err_log).max((err_score - floor).max(0.0));
            }
        }
        println!("worst relative change under node doubling: {worst:e}");
        assert!(worst < 1e-13, "worst change {worst:e}");
    }
}
