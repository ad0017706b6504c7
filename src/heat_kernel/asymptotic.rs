//! Small-time asymptotic approximations of the heat kernel of `S^d` (approximate by design).
//!
//! For `∂_t p = ½Δp`, the Minakshisundaram–Pleijel / Schwinger–DeWitt expansion on `S^d` reads
//!
//! `p_t(θ) = (2πt)^{−d/2} e^{−θ²/2t} (θ/sin θ)^{(d−1)/2} e^{(d−1)²t/8} (1 + a₁(θ) t + O(t²))`,
//!
//! where `(θ/sin θ)^{(d−1)/2}` is the square root of the Van Vleck–Morette determinant and
//! `e^{(d−1)²t/8}` exponentiates the constant part of the first transport coefficient: with
//! `U = (θ/sin θ)^m`, `m = (d−1)/2`, the radial Laplacian gives
//! `ΔU/U = m² + m(m−1)(1/θ² − 1/sin²θ)`, so for `∂_t = Δ` the first coefficient is
//! `m² + m(m−1)(θ cot θ − 1)/θ²` (equal to `R/6 = d(d−1)/6` at θ = 0); halving the time for
//! `½Δ` gives the factor `e^{m² t/2} = e^{(d−1)²t/8}` and the residual
//! `a₁(θ) = (d−1)(d−3)/8 · (θ cot θ − 1)/θ²`. The residual vanishes for `d = 1` and `d = 3`,
//! where the leading term is exact up to the other geodesics (paths winding around the sphere,
//! relative size `e^{−2π(π−θ)/t}`).
//!
//! * **Varadhan**: `(2πt)^{−d/2} e^{−θ²/2t}` (the leading Gaussian; `t log p → −θ²/2`).
//!   Relative error `O(θ² + t)`; score `−θ/t`.
//! * **Schwinger–DeWitt** (leading term above, without `a₁`): relative error
//!   `|a₁| t + O(t²)` away from the cut locus (e.g. `d = 2`, θ = 0: `t/24`), `O(e^{−2π(π−θ)/t})`
//!   for `d ∈ {1, 3}`; it diverges at θ = π (conjugate point), where an error is returned.
//!
//! * **First order** (`Auto`'s last resort for `d ≥ 4`, when no exact method can evaluate): the
//!   leading term times `e^{a₁(θ)t}`; error `c₂(θ)t² + O(t³)` (below).
//!
//! **Second order.** Writing `p = (2πt)^{−d/2} e^{−θ²/2t} U(θ) w` with `U = (θ/sin θ)^m`, the
//! transport (Hadamard) recursion in the time `τ = t/2` of `∂_τ = Δ` is
//! `(k + θ∂_θ) u_k = U^{−1} Δ(U u_{k−1})`, `u₀ = 1`; it gives `u₁ = m² + m(m−1) g(θ)`,
//! `g = (θ cot θ − 1)/θ²` (the factor above), and, integrating `θ^{−2}∫₀^θ s U^{−1}Δ(U u₁) ds` in
//! closed form (the non-elementary pieces combine to `d/ds(−cot s/s)`),
//! `log w = u₁τ + (u₂ − u₁²/2)τ² + O(τ³)` with
//!
//! `c₂(θ) = (u₂ − u₁²/2)/4 = m(m−1)[(2m−1)θ² + 6(m−1)θ cot θ − 3θ²/sin²θ − 3(2m−3)] / (12θ⁴)`
//!
//! the coefficient of `t²` in `log p` (series below θ = 0.1:
//! `−m(m−1)/12 · [(2m+1)/15 + (4m+6)θ²/315 + (2m+5)θ⁴/1575 + (4m+14)θ⁶/31185]`). At θ = 0 it is
//! `−d(d−1)(d−3)/720`, which is Gilkey's `a₂ − a₁²/2` for the round `S^d` (`a₂ = (2|Rm|² −
//! 2|Ric|² + 5R²)/360`, halved twice for `½Δ`): a check of the closed form. `c₂ ≡ 0` for
//! `d ∈ {1, 3}` (the leading term is exact there up to the other geodesics).
//!
//! **Error estimates** ([`RadialEvaluation::error_estimate`], the absolute error of `log p`):
//! the neglected terms of the expansion through `O(t²)` (exact coefficients), plus `|c₂|t²`
//! once more as the allowance for the higher orders, plus `P`, the relative weight of the
//! second geodesic (length `2π − θ`; `∞` for `t > 1`, where the images are no longer a
//! perturbation):
//! * Varadhan: `|m ln(θ/sin θ) + (m²/2 + a₁)t + c₂t²| + |c₂|t² + P`;
//! * Schwinger–DeWitt: `|a₁t + c₂t²| + |c₂|t² + P`;
//! * first order: `2|c₂|t² + P`;
//!
//! with `P = ((2π − θ)/max(θ, t/4π))^m e^{−2π(π−θ)/t}` (the Van Vleck ratio of the two
//! geodesics times their Gaussian ratio; the floor `t/4π` reproduces the exact `S³` value
//! `8π²/t · e^{−2π²/t}` at θ = 0, where the second geodesics form a caustic). The expansion is
//! asymptotic: the estimate is honest where the terms decrease (`d² t ≲ 1`, θ away from π) and
//! grows without bound towards the cut locus, where these approximations are useless.
//!
//! Cost: a handful of flops and one `ln`/`sin`.

use super::{KernelMethod, RadialEvaluation};
use crate::error::{Error, Result};
use std::f64::consts::{PI, TAU};

/// `1/θ − cot θ`, accurate near 0 (series below 0.1: θ/3 + θ³/45 + 2θ⁵/945 + θ⁷/4725).
pub(crate) fn inverse_minus_cot(theta: f64) -> f64 {
    if theta.abs() < 0.1 {
        let t2 = theta * theta;
        theta
            * (1.0 / 3.0
                + t2 * (1.0 / 45.0 + t2 * (2.0 / 945.0 + t2 * (1.0 / 4725.0 + t2 * 2.0 / 93555.0))))
    } else {
        1.0 / theta - 1.0 / theta.tan()
    }
}

/// `log(θ / sin θ)`, accurate near 0 (series below 0.1: θ²/6 + θ⁴/180 + θ⁶/2835 + θ⁸/37800).
pub(crate) fn log_theta_over_sin(theta: f64) -> f64 {
    if theta.abs() < 0.1 {
        let t2 = theta * theta;
        t2 * (1.0 / 6.0 + t2 * (1.0 / 180.0 + t2 * (1.0 / 2835.0 + t2 / 37800.0)))
    } else {
        (theta / theta.sin()).ln()
    }
}

/// `g(θ) = (θ cot θ − 1)/θ²` (→ −1/3 at 0) and `g'(θ)`, by series below 0.1.
pub(crate) fn first_correction_shape(theta: f64) -> (f64, f64) {
    if theta < 0.1 {
        let t2 = theta * theta;
        let g = -(1.0 / 3.0
            + t2 * (1.0 / 45.0 + t2 * (2.0 / 945.0 + t2 * (1.0 / 4725.0 + t2 * 2.0 / 93555.0))));
        let dg =
            -theta * (2.0 / 45.0 + t2 * (8.0 / 945.0 + t2 * (6.0 / 4725.0 + t2 * 16.0 / 93555.0)));
        (g, dg)
    } else {
        let h = inverse_minus_cot(theta);
        let s = theta.sin();
        (
            -h / theta,
            -(1.0 / (s * s) - 1.0 / (theta * theta)) / theta + h / (theta * theta),
        )
    }
}

/// `c₂(θ)`, the coefficient of `t²` in `log p` beyond the first-order term (module docs).
pub(crate) fn second_order_coefficient(d: usize, theta: f64) -> f64 {
    let m = 0.5 * (d as f64 - 1.0);
    let factor = m * (m - 1.0) / 12.0;
    if factor == 0.0 {
        return 0.0;
    }
    if theta < 0.1 {
        let t2 = theta * theta;
        -factor
            * ((2.0 * m + 1.0) / 15.0
                + t2 * ((4.0 * m + 6.0) / 315.0
                    + t2 * ((2.0 * m + 5.0) / 1575.0 + t2 * (4.0 * m + 14.0) / 31185.0)))
    } else {
        let (s, c) = theta.sin_cos();
        let t2 = theta * theta;
        let bracket = (2.0 * m - 1.0) * t2 + 6.0 * (m - 1.0) * theta * c / s
            - 3.0 * t2 / (s * s)
            - 3.0 * (2.0 * m - 3.0);
        factor * bracket / (t2 * t2)
    }
}

/// `P`: the relative weight of the second geodesic (module docs); `∞` for `t > 1`, where the
/// other images are no longer a perturbation (the third family alone weighs
/// `e^{−2π(π+θ)/t} ≥ e^{−2π²} `) and nothing can be said.
fn second_geodesic(d: usize, theta: f64, t: f64) -> f64 {
    if t > 1.0 {
        return f64::INFINITY;
    }
    let m = 0.5 * (d as f64 - 1.0);
    let floor = theta.max(t / (4.0 * PI)).max(f64::MIN_POSITIVE);
    // π − θ with the low part of π (θ = fl(π) is 1.2e-16 from the cut locus, not at it).
    let phi = (PI - theta) + 1.2246467991473532e-16;
    // In logs, so that tiny t gives e^{−∞} = 0 rather than ∞·0 (the ratio overflows there).
    let gaussian = 2.0 * PI * phi / t;
    let van_vleck = m * ((2.0 * PI - theta).ln() - floor.ln());
    if gaussian > 1e4 + van_vleck.max(0.0) {
        0.0
    } else {
        (van_vleck - gaussian).exp()
    }
}

/// The first-order correction `a₁(θ) = (d−1)(d−3)/8 · g(θ)` and its derivative.
fn first_correction(d: usize, theta: f64) -> (f64, f64) {
    let c = (d as f64 - 1.0) * (d as f64 - 3.0) / 8.0;
    let (g, dg) = first_correction_shape(theta);
    (c * g, c * dg)
}

/// Leading Schwinger–DeWitt term times `e^{a₁(θ) t}`, `a₁ = (d−1)(d−3)/8 · (θ cot θ − 1)/θ²`:
/// relative error `c₂(θ)t² + O(t³)` away from the cut locus (useful only for `d² t ≪ 1`).
/// `Auto`'s last resort for `d ≥ 4` where no exact method evaluates; reported as
/// `SchwingerDeWitt` with the estimate `2|c₂|t² + P` (module docs).
pub(crate) fn schwinger_dewitt_first_order(
    d: usize,
    theta: f64,
    t: f64,
) -> Result<RadialEvaluation> {
    let lead = leading_term(d, theta, t);
    let (a1, da1) = first_correction(d, theta);
    let c2 = second_order_coefficient(d, theta);
    Ok(RadialEvaluation {
        log_prob: lead.log_prob + a1 * t,
        dlog_prob_dtheta: lead.dlog_prob_dtheta + da1 * t,
        terms: 2,
        estimator: KernelMethod::SchwingerDeWitt,
        error_estimate: 2.0 * c2.abs() * t * t + second_geodesic(d, theta, t),
    })
}

/// Varadhan's leading Gaussian on `S^d`, with the error estimate of the module docs.
pub(crate) fn varadhan(d: usize, theta: f64, t: f64) -> RadialEvaluation {
    let m = 0.5 * (d as f64 - 1.0);
    let (a1, _) = first_correction(d, theta);
    let second = second_order_coefficient(d, theta) * t * t;
    let neglected = m * log_theta_over_sin(theta) + (0.5 * m * m + a1) * t + second;
    RadialEvaluation {
        log_prob: -0.5 * d as f64 * (TAU * t).ln() - theta * theta / (2.0 * t),
        dlog_prob_dtheta: -theta / t,
        terms: 1,
        estimator: KernelMethod::Varadhan,
        error_estimate: neglected.abs() + second.abs() + second_geodesic(d, theta, t),
    }
}

/// Leading Schwinger–DeWitt term on `S^d`, with the error estimate of the module docs.
///
/// # Errors
/// [`Error::Numerical`] within `1e-12` of the cut locus θ = π, where the Van Vleck factor
/// diverges (its estimate is useless there unless `t` is tiny; `Auto` decides by the estimate
/// of the first-order term instead).
pub(crate) fn schwinger_dewitt(d: usize, theta: f64, t: f64) -> Result<RadialEvaluation> {
    if d > 1 && PI - theta < 1e-12 {
        return Err(Error::Numerical {
            method: "sphere heat kernel, Schwinger–DeWitt",
            detail: format!(
                "the Van Vleck factor diverges at the cut locus (theta = {theta}); use Auto"
            ),
        });
    }
    Ok(leading_term(d, theta, t))
}

/// The leading Schwinger–DeWitt term for any `theta ∈ [0, fl(π)]` (finite there: every f64
/// angle is at least `π − fl(π) ≈ 1.2e-16` from the cut locus).
fn leading_term(d: usize, theta: f64, t: f64) -> RadialEvaluation {
    let m = 0.5 * (d as f64 - 1.0);
    let g = varadhan(d, theta, t);
    let (a1, _) = first_correction(d, theta);
    let second = second_order_coefficient(d, theta) * t * t;
    RadialEvaluation {
        log_prob: g.log_prob + m * log_theta_over_sin(theta) + 0.5 * m * m * t,
        dlog_prob_dtheta: g.dlog_prob_dtheta + m * inverse_minus_cot(theta),
        terms: 1,
        estimator: KernelMethod::SchwingerDeWitt,
        error_estimate: (a1 * t + second).abs() + second.abs() + second_geodesic(d, theta, t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heat_kernel::SphereHeatKernel;
    use crate::manifold::Sphere;

    #[test]
    fn second_order_coefficient_matches_gilkey_and_is_continuous() {
        for d in [1usize, 2, 3, 4, 7, 8, 128] {
            let df = d as f64;
            // Gilkey's a₂ − a₁²/2 on the round S^d, in Brownian time: −d(d−1)(d−3)/720.
            let gilkey = -df * (df - 1.0) * (df - 3.0) / 720.0;
            assert!((second_order_coefficient(d, 0.0) - gilkey).abs() <= 1e-15 * gilkey.abs());
            // Series below 0.1 and the closed form above agree at the switch (the closed form
            // cancels there by ~θ⁴/15: relative rounding ≈ 10ε/θ⁴ ≈ 2e-11).
            let below = second_order_coefficient(d, 0.1 - 1e-12);
            let above = second_order_coefficient(d, 0.1 + 1e-12);
            assert!(
                (below - above).abs() <= 1e-10 * below.abs().max(1e-300),
                "d={d}: {below} vs {above}"
            );
        }
        // c₂ ≡ 0 where the leading term is exact up to other geodesics.
        for theta in [0.0, 0.5, 2.0] {
            assert_eq!(second_order_coefficient(1, theta), 0.0);
            assert_eq!(second_order_coefficient(3, theta), 0.0);
        }
    }

    /// `Auto`'s last resort, the first-order term, reports `2|c₂|t² + P`: at least its actual
    /// error and at most a few times it (c₂ is the exact next coefficient) where `d²t` is small.
    #[test]
    fn first_order_estimate_brackets_its_error() {
        let mut worst: f64 = 1.0;
        for d in [2usize, 4, 8, 16] {
            let auto = SphereHeatKernel::new(Sphere::new(d).unwrap(), KernelMethod::Auto);
            for t in [1e-3, 3e-3, 1e-2] {
                for theta in [0.0, 0.3, 1.0, 2.0] {
                    let exact = auto.log_prob_angle(theta, t).unwrap();
                    assert!(exact.error_estimate < 1e-12);
                    let e = schwinger_dewitt_first_order(d, theta, t).unwrap();
                    assert_eq!(e.estimator, KernelMethod::SchwingerDeWitt);
                    let actual = (e.log_prob - exact.log_prob).abs();
                    if actual < 1e-12 {
                        continue; // below the exact value's own accuracy
                    }
                    let ratio = e.error_estimate / actual;
                    assert!(
                        (1.0..=3.0).contains(&ratio),
                        "d={d} t={t} θ={theta}: estimate {:e} vs actual {actual:e}",
                        e.error_estimate
                    );
                    worst = worst.max(ratio);
                }
            }
        }
        println!("first-order Schwinger–DeWitt: estimate/actual ≤ {worst:.2}");
    }
}
