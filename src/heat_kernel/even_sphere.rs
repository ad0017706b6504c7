//! Exact heat kernel of the even spheres `S^{2n+2}`, `n ≥ 1`: the dimension recursion applied
//! to the Hopf-fibre integral of `S²`, each derivative taken as a Cauchy integral.
//!
//! **Formula.** The recursion `p_{d+2} = (1/2π) e^{dt/2} ∂_c p_d` (`c = cos θ`, see
//! [`super::odd_sphere`]) from `S²` gives `p_{2n+2}(c) = (2π)^{−n} e^{n(n+1)t/2} ∂_c^n p₂(c)`.
//! The `S²` kernel is the Hopf-fibre average of the `S³` kernel at time `τ = t/4`
//! ([`super::hopf`]): `p₂(c) = ¼ ∫₀^{2π} H(√v cos α) dα` with `v = (1 + c)/2 = cos²(θ/2)` and
//! `H(y) = p^{S³}_τ(arccos y)`. Only the even part of `H` survives the average, and
//! `H_even(√s) = Q(s)` is entire in `s` with positive Taylor coefficients, so
//!
//! `∂_c^n p₂(c) = 2^{−n} · ¼ ∫₀^{2π} cos^{2n}α · Q^{(n)}(v cos²α) dα`,
//!
//! an integral of a **positive** integrand. With `H = (1/2π) e^{τ/2} h'` (`S³` from the circle,
//! `h(y) = p₁^{τ}(arccos y)` the wrapped Gaussian at time `τ`) and `U(s) = [h(√s) − h(−√s)]/(2√s)`
//! (entire, positive coefficients `a_m`), `Q = (1/π) e^{τ/2} (U/2 + sU')`, hence
//!
//! `Q^{(n)}(s) = (1/π) e^{τ/2} n! [(n + ½) a_n + (n + 1) s a_{n+1}]` (`a_m = U^{(m)}(s)/m!`),
//!
//! a sum of positive terms. The coefficients `a_n, a_{n+1}, a_{n+2}` at `s = v cos²α` are
//! computed by the saddle-point Cauchy integral of [`super::odd_sphere`] (well conditioned for
//! functions with positive coefficients), sampling `h` at complex points through the same
//! cancellation-free image sum. `∂_θ log p = −sin θ · ∂_c^{n+1}p₂/∂_c^n p₂`.
//!
//! **Quadrature in α.** With `β = 2α` the integrand is a decreasing function of `β ∈ [0, π]`
//! with positive coefficients in `cos²α = (1 + cos β)/2`; near `β = 0` it behaves like
//! `e^{κ cos β}` with `κ = (n + v q)/2`, `q = Q^{(n+1)}/Q^{(n)}` at `v`. The `M`-point
//! trapezoidal rule in `β` uses `M = 9√κ + 12` (the von Mises rule of [`super::hopf`]: aliased
//! coefficient `< 1e-17`; checked by doubling `M` in the tests) and stops once the remaining
//! nodes cannot add `1e-17` relative (the integrand decreases).
//!
//! **Accuracy and cost.** Relative error of `p`: the largest Cauchy error estimate over the
//! nodes (rounding `~4ε(n+13)` times the cancellation of the `±√s` image sums, aliasing bound)
//! plus the `ε θ²/2t` rounding of the Gaussian exponents common to all f64 methods. Measured
//! against the mpmath Gegenbauer series (`reference_data/`, `S⁴`, `S⁸`, `S¹²⁸`, every row with
//! `t ≤ 0.1`): `|Δ log p| ≤ 9.1e-13`, score `≤ 4.5e-13` relative; against the f64 Gegenbauer
//! series on `S⁴, S⁶, S¹⁶, S¹²⁸` up to `t = 0.05` within the joint estimates (tests). Cost:
//! 10–25 nodes in α, each a Cauchy integral of `n + 13 + 8√(n+3)` complex samples (halved by
//! symmetry) plus the radius search: 0.1–0.2 ms on `S⁴`/`S⁸`, 0.4–0.7 ms on `S¹²⁸`, 1–2 ms on
//! `S⁵¹²` (release build, 2-core build machine) — exact but two orders slower than the odd
//! recursion; `Auto` uses the Gegenbauer series wherever it meets the tolerance.

use super::odd_sphere::{taylor_coefficients, Centre};
use super::{KernelMethod, RadialEvaluation};
use crate::error::{Error, Result};
use num_complex::Complex64;
use statrs::function::gamma::ln_gamma;
use std::f64::consts::{FRAC_PI_2, PI, TAU};

/// Most α nodes one evaluation may take: the integrand is a peak of ~8 nodes' width plus the
/// stop rule's margin (≤ 60 nodes measured); beyond, something is wrong and an error is
/// returned instead of looping.
const MAX_ALPHA_NODES: usize = 2000;

/// `log Q^{(n)}(s₀)`, `log Q^{(n+1)}(s₀)` at `s₀ = cos²ψ₀` (ψ₀ ∈ [0, π/2] the `S³` angle),
/// time `τ`, both without the common term `−ψ₀²/2τ − ½ ln 2πτ`, with the relative error estimate, the number of samples and the `log` of the saddle
/// radius (the first bracket of the next node is centred on it).
fn q_derivatives(
    n: usize,
    psi0: f64,
    y0: f64,
    tau: f64,
    previous_log_radius: Option<f64>,
    refine: usize,
) -> Result<(f64, f64, f64, usize, f64)> {
    // ψ₀ and y₀ = cos ψ₀ both accurate (near ψ₀ = π/2 the f64 ψ₀ fixes y₀ only to ±ε, while
    // the two image families ±y differ by e^{−πy₀/τ}: y₀ comes from cos(θ/2) cos α).
    let (sin0, one_minus) = if psi0 < 1.0 {
        let half = (0.5 * psi0).sin();
        (psi0.sin(), 2.0 * half * half)
    } else {
        (((1.0 - y0) * (1.0 + y0)).sqrt(), 1.0 - y0)
    };
    let one_plus = 1.0 + y0;
    // π/2 − ψ₀, accurate when small.
    let complement = y0.atan2(sin0);
    let plus = Centre::from_parts(
        psi0,
        y0,
        sin0,
        one_minus,
        one_plus,
        FRAC_PI_2 + complement,
        tau,
    );
    let minus = Centre::from_parts(
        FRAC_PI_2 + complement,
        -y0,
        sin0,
        one_plus,
        one_minus,
        psi0,
        tau,
    );
    let s0 = y0 * y0;
    // e^{−Δ}: the Gaussian of the −y samples relative to that of the +y samples,
    // Δ = ((π − ψ₀)² − ψ₀²)/2τ = π(π − 2ψ₀)/2τ.
    let delta = PI * (2.0 * complement) / (2.0 * tau);
    let sample = |e: Complex64| {
        let y = (Complex64::new(s0, 0.0) + e).sqrt();
        let ey = e / (y + y0);
        let (m1, s1, a1) = plus.sample(ey);
        // The −y image family is e^{−Δ} smaller on the real axis; beyond Δ = 1500 it cannot
        // matter anywhere on the circle (the samples vary by e^{O(n)}, n ≤ a few hundred).
        let (m2, s2, a2) = if delta > 1500.0 {
            (f64::NEG_INFINITY, Complex64::new(0.0, 0.0), 0.0)
        } else {
            minus.sample(-ey)
        };
        let m2 = m2 - delta;
        let m = m1.max(m2);
        let (w1, w2) = ((m1 - m).exp(), (m2 - m).exp());
        let inverse = 0.5 / y;
        (
            m,
            (s1 * w1 - s2 * w2) * inverse,
            (a1 * w1 + a2 * w2) * inverse.norm(),
        )
    };
    let nf = n as f64;
    let guess = if psi0 > 1e-3 {
        (nf + 1.0) * 2.0 * y0 * tau * psi0.sin() / psi0
    } else {
        2.0 * (nf + 1.0) * tau
    };
    // The saddle radius varies slowly between neighbouring α nodes: a narrow first bracket there.
    let (guess, halfwidth) = match previous_log_radius {
        Some(log_r) => (log_r, 0.4),
        None => (guess.max(1e-300).ln(), 2.0),
    };
    let taylor = taylor_coefficients(sample, n, 3, guess, halfwidth, refine)?;
    let [l0, l1, l2] = taylor.log_coefficients;
    // Q^{(m)} = (1/π)e^{τ/2} m! [(m + ½) a_m + (m + 1) s a_{m+1}], in logs relative to a_n.
    let q = |m: f64, la: f64, lb: f64| {
        (-PI.ln())
            + 0.5 * tau
            + ln_gamma(m + 1.0)
            + la
            + ((m + 0.5) + (m + 1.0) * s0 * (lb - la).exp()).ln()
    };
    // Relative to the normalisation of the samples, e^{−ψ₀²/2τ}/√(2πτ), which the caller adds
    // (at small τ it is ~1/τ larger than everything else: the differences between nodes and
    // between Q^{(n)} and Q^{(n+1)} must be formed before it is added).
    Ok((
        q(nf, l0, l1),
        q(nf + 1.0, l1, l2),
        taylor.relative_error,
        2 * taylor.samples,
        taylor.log_radius,
    ))
}

/// `(p_{2n+2}, ∂_θ log p_{2n+2})` at `theta ∈ [0, π]`, `t > 0`, `d = 2n + 2 ≥ 4`.
///
/// # Errors
/// [`Error::Numerical`] where an inner Cauchy integral fails (large `t`; use the Gegenbauer
/// series there).
pub(crate) fn even_sphere_cauchy(d: usize, theta: f64, t: f64) -> Result<RadialEvaluation> {
    even_sphere_cauchy_nodes(d, theta, t, 1)
}

/// [`even_sphere_cauchy`] with all node counts multiplied by `refine` (tests).
pub(crate) fn even_sphere_cauchy_nodes(
    d: usize,
    theta: f64,
    t: f64,
    refine: usize,
) -> Result<RadialEvaluation> {
    debug_assert!(d >= 4 && d % 2 == 0);
    let n = (d - 2) / 2;
    let nf = n as f64;
    let tau = 0.25 * t;
    let (sh, ch) = (0.5 * theta).sin_cos();
    let (sq, _) = (0.25 * theta).sin_cos();
    // S³ angle ψ₀(α) with cos ψ₀ = cos(θ/2) cos α, accurate for small ψ₀:
    // 1 − cos ψ₀ = 2 sin²(θ/4) + cos(θ/2) · 2 sin²(α/2).
    let psi_at = |alpha: f64| {
        let sa = (0.5 * alpha).sin();
        let one_minus = 2.0 * sq * sq + ch * 2.0 * sa * sa;
        if one_minus < 0.5 {
            2.0 * (0.5 * one_minus).sqrt().asin()
        } else {
            (ch * alpha.cos()).clamp(-1.0, 1.0).acos()
        }
    };
    // First node (α = 0) fixes the curvature κ and the node count.
    let psi_first = psi_at(0.0);
    let (q0, q1, mut error, mut samples, mut log_radius) =
        q_derivatives(n, psi_first, ch, tau, None, refine)?;
    let v = ch * ch;
    let kappa = 0.5 * (nf + v * (q1 - q0).exp());
    // Node count in f64 (huge at tiny t): the stop rule ends the sum after the peak.
    let nodes = {
        let raw = (refine as f64 * (9.0 * kappa.sqrt() + 12.0)).ceil();
        raw + raw % 2.0
    };
    if !nodes.is_finite() {
        return Err(Error::Numerical {
            method: "sphere heat kernel, even-sphere Hopf–Cauchy integral",
            detail: format!("t = {t:e} is below the range of the α quadrature (theta = {theta})"),
        });
    }
    let half = 0.5 * nodes;
    let h = TAU / nodes;
    // Sums relative to the first node: Σ w_j cos^{2n}α_j Q^{(n)}_j and cos^{2n+2}α_j Q^{(n+1)}_j.
    let (mut sum0, mut sum1) = (1.0f64, 1.0f64);
    let mut j = 1usize;
    while j as f64 <= half {
        let last = j as f64 >= half;
        let beta = if last { PI } else { h * j as f64 };
        let alpha = 0.5 * beta;
        let c2 = alpha.cos().powi(2);
        let psi = psi_at(alpha);
        let (a0, a1, e, k, lr) =
            q_derivatives(n, psi, ch * alpha.cos(), tau, Some(log_radius), refine)?;
        log_radius = lr;
        error = error.max(e);
        samples += k;
        // The common terms differ by −(ψ² − ψ₀²)/2τ = −(ψ − ψ₀)(ψ + ψ₀)/2τ, with ψ − ψ₀ from
        // cos ψ₀ − cos ψ = cos(θ/2)(1 − cos α) = 2 cos(θ/2) sin²(α/2) without cancellation.
        let gap = {
            let mean = (0.5 * (psi + psi_first)).sin();
            let half_alpha = (0.5 * alpha).sin();
            let sine = ch * half_alpha * half_alpha / mean;
            // asin is ill-conditioned near 1: large gaps are formed directly (no cancellation).
            if mean.is_nan() || mean <= 0.0 {
                0.0
            } else if sine < 0.5 {
                2.0 * sine.asin()
            } else {
                psi - psi_first
            }
        };
        let shift = -gap * (psi + psi_first) / (2.0 * tau);
        let weight = if last { 1.0 } else { 2.0 };
        let r0 = (shift + a0 - q0 + nf * c2.ln()).exp();
        let r1 = (shift + a1 - q1 + (nf + 1.0) * c2.ln()).exp();
        sum0 += weight * r0;
        sum1 += weight * r1;
        // Decreasing integrand: the remaining nodes add at most 2 r0 (half − j).
        if last || 2.0 * r0.max(r1) * (half - j as f64) <= 1e-17 * sum0.min(sum1) {
            break;
        }
        j += 1;
        if j > MAX_ALPHA_NODES || !(r0.is_finite() && r1.is_finite()) {
            return Err(Error::Numerical {
                method: "sphere heat kernel, even-sphere Hopf–Cauchy integral",
                detail: format!(
                    "the α quadrature does not converge at t = {t:e}, theta = {theta} \
                     ({j} nodes, node ratios {r0:e}, {r1:e})"
                ),
            });
        }
    }
    if sum0.is_nan() || sum1.is_nan() || sum0 <= 0.0 || sum1 <= 0.0 {
        return Err(Error::Numerical {
            method: "sphere heat kernel, even-sphere Hopf–Cauchy integral",
            detail: format!("non-positive quadrature at t = {t:e}, theta = {theta}"),
        });
    }
    // The common term of the first node: −ψ₀²/2τ − ½ ln 2πτ.
    let base = -psi_first * psi_first / (2.0 * tau) - 0.5 * (TAU * tau).ln();
    // ∂_c^n p₂ = 2^{−n} ¼ h [Σ …], p_{2n+2} = (2π)^{−n} e^{n(n+1)t/2} ∂_c^n p₂.
    let log_derivative = -nf * std::f64::consts::LN_2 + (0.25 * h).ln() + base + q0 + sum0.ln();
    let log_prob = -nf * TAU.ln() + 0.5 * nf * (nf + 1.0) * t + log_derivative;
    // ∂_c^{n+1} p₂ / ∂_c^n p₂ = ½ (Q^{(n+1)}_0 / Q^{(n)}_0) (sum1 / sum0).
    let ratio = 0.5 * (q1 - q0).exp() * (sum1 / sum0);
    Ok(RadialEvaluation {
        log_prob,
        dlog_prob_dtheta: -2.0 * sh * ch * ratio,
        terms: samples,
        estimator: KernelMethod::SumOverPaths,
        // The largest Cauchy estimate over the α nodes (module docs).
        error_estimate: error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heat_kernel::gegenbauer::gegenbauer_series;
    use crate::manifold::{Manifold, Sphere};

    #[test]
    fn matches_the_gegenbauer_series_and_refining_changes_nothing() {
        // Constants and score against the eigen series where it is accurate; doubling every node
        // count (α quadrature and Cauchy circles) changes nothing beyond rounding.
        let mut compared = 0;
        for &d in &[4usize, 6, 16, 128] {
            let log_volume = Sphere::new(d).unwrap().log_volume();
            for &t in &[1e-4, 1e-3, 1e-2, 5e-2] {
                for i in 0..=8 {
                    let theta = PI * i as f64 / 8.0;
                    let a = even_sphere_cauchy(d, theta, t).unwrap();
                    let floor = 4.0 * f64::EPSILON * (1.0 + theta * theta / (2.0 * t));
                    if d <= 16 {
                        let b = even_sphere_cauchy_nodes(d, theta, t, 2).unwrap();
                        assert!(
                            (a.log_prob - b.log_prob).abs()
                                < 2.0 * (a.error_estimate + b.error_estimate) + floor + 1e-14,
                            "refine d={d} t={t} θ={theta}: {a:?} {b:?}"
                        );
                    }
                    if let Ok(s) = gegenbauer_series(d, theta, t, log_volume) {
                        // (The series' estimate includes the rounding of its node cos θ,
                        // ε|∂_θ log p · cot θ|, up to ~1e-12 at t = 1e-4.)
                        if s.error_estimate < 1e-12 {
                            // The eigen weights drift by ~lε over l terms (documented in `gegenbauer`).
                            let drift = 4.0 * f64::EPSILON * s.terms as f64;
                            let tol =
                                4.0 * (s.error_estimate + a.error_estimate) + drift + floor + 1e-14;
                            assert!(
                                (a.log_prob - s.log_prob).abs() < tol,
                                "d={d} t={t} θ={theta}: {a:?} vs {:?}",
                                s
                            );
                            assert!(
                                (a.dlog_prob_dtheta - s.dlog_prob_dtheta).abs()
                                    < 100.0 * tol * s.dlog_prob_dtheta.abs().max(1.0),
                                "d={d} t={t} θ={theta}: {a:?} vs {:?}",
                                s
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 25, "{compared}");
    }
}
