//! The heat kernel of the circle `S¹ = R/2πZ` (one coordinate of the torus).
//!
//! With `∂_t p = ½ ∂²_δ p` and `δ` the signed angle from `x₀`, two exact representations:
//!
//! * **Fourier (eigen) series** `p_t(δ) = (1/2π) [1 + 2 Σ_{n≥1} e^{−n² t/2} cos nδ]`;
//!   terms needed for `1e-18` truncation: `n ≤ √(83/t)`. All terms are `O(1)`, so the
//!   absolute error is `~ n ε / 2π`; relative accuracy is lost where `p` is small
//!   (small `t`, `|δ|` near π): where the estimated relative error exceeds
//!   [`super::EIGEN_MAX_RELATIVE_ERROR`] the evaluation returns [`Error::Numerical`].
//! * **Sum over paths (wrapped Gaussian)** `p_t(δ) = (2πt)^{−1/2} Σ_{k∈Z} e^{−(δ+2πk)²/(2t)}`;
//!   computed as `log p = −½ log 2πt − δ²/2t + log(1 + Σ_{k≠0} e^{−2πk(δ+πk)/t})` for
//!   `δ ∈ [−π, π)`, a sum of positive terms (relative accuracy `~ 4ε` for every `(t, δ)`),
//!   `2K + 1` terms with `K = ⌈(√(83 t) + π)/2π⌉`.
//!
//! `Auto` uses paths for `t < π` (at most 9 terms; 7 below `t = 2.97`) and the Fourier series
//! for `t ≥ π` (at most 7 terms; there `p ≥ 0.35/2π` so there is no cancellation).
//!
//! **Error estimates** ([`RadialEvaluation::error_estimate`], relative in `p`):
//! * paths: `(2K + 4)ε` (the sum `1 + Σ_{k≠0} w_k` of positive terms, each `w_k` to a few ulps,
//!   and the logarithm), plus the rigorous bound of the omitted images `|k| > K`: with
//!   `2πK ≥ √(83t) + π` every omitted exponent exceeds `41.5`, and consecutive omitted terms
//!   shrink at least by `q = e^{−4π²(K+1)/t}`, so they sum to at most `2e^{−41.5}/(1 − q)`
//!   (`≤ 2e-18` for `t ≤ 100`).
//! * Fourier, `N` terms: the rounding estimate `4ε(N+1)Σ_n|terms|/S` it already checks against
//!   [`super::EIGEN_MAX_RELATIVE_ERROR`], plus the rigorous tail bound
//!   `Σ_{n>N} 2e^{−n²t/2} ≤ 2e^{−(N+1)²t/2}/(1 − e^{−(2N+3)t/2})` relative to `S` (the ratio of
//!   consecutive terms decreases).

use super::gegenbauer::EIGEN_MAX_RELATIVE_ERROR;
use super::{KernelMethod, RadialEvaluation};
use crate::error::{check_time, Error, Result};
use std::f64::consts::{PI, TAU};

/// Largest `t` at which an explicit `SumOverPaths` evaluation answers: `2⌈(√(83t) + π)/2π⌉ + 1`
/// images is about 10⁵ there (≈ 1 ms); beyond, the Fourier series is exact with one term.
pub const MAX_PATHS_TIME: f64 = 1e9;

/// Largest number of Fourier terms an explicit `Eigen` evaluation may use (reached near `t = 1e-10`).
pub const MAX_FOURIER_TERMS: usize = 1_000_000;

/// `log p_t(δ)` and `∂_δ log p_t(δ)` of the circle heat kernel at the signed angle `delta`
/// (any real; it is wrapped into `[−π, π)`), by the chosen method (`Auto`, `Eigen` or
/// `SumOverPaths`, see [`super::torus`]).
///
/// # Errors
/// [`Error::InvalidArgument`] for `t ≤ 0`/NaN, a non-finite `delta`, or `Varadhan` /
/// `SchwingerDeWitt` (not offered on the flat circle, see [`super::TorusHeatKernel::new`]);
/// [`Error::Numerical`] if `Eigen` would need more than [`MAX_FOURIER_TERMS`] terms or cancels
/// to no accuracy.
pub fn circle_log_prob(delta: f64, t: f64, method: KernelMethod) -> Result<RadialEvaluation> {
    check_time(t)?;
    if !delta.is_finite() {
        return Err(Error::invalid("delta", delta, "a finite angle"));
    }
    let delta = wrap_difference(delta);
    match method {
        KernelMethod::Eigen => fourier(delta, t),
        KernelMethod::SumOverPaths if t > MAX_PATHS_TIME => Err(Error::Numerical {
            method: "circle heat kernel, sum over paths",
            detail: format!(
                "t = {t:e} needs {:.1e} images (limit {MAX_PATHS_TIME:e} in t, ≈ 10⁵ images); \
                 use Eigen or Auto (the Fourier series needs one term there)",
                2.0 * ((83.0 * t).sqrt() + PI) / TAU
            ),
        }),
        KernelMethod::SumOverPaths => Ok(paths(delta, t)),
        KernelMethod::Auto => {
            if t < PI {
                Ok(paths(delta, t))
            } else {
                fourier(delta, t)
            }
        }
        KernelMethod::Varadhan | KernelMethod::SchwingerDeWitt => {
            Err(super::torus::not_offered(method, "the circle"))
        }
    }
}

/// Wrapped-Gaussian sum over paths, `delta ∈ [−π, π]`.
pub(crate) fn paths(delta: f64, t: f64) -> RadialEvaluation {
    let k_max = (((83.0 * t).sqrt() + PI) / TAU).ceil().max(1.0) as usize;
    let mut sum = 1.0;
    // Σ_k −(δ + 2πk)/t · w_k, with w_0 = 1.
    let mut dsum = -delta / t;
    for k in 1..=k_max {
        let kf = k as f64;
        // 2πk and πk with the low part of π restored: at δ = fl(π) (which is < π) the two
        // nearest paths differ by 2(π − fl(π)), which decides the sign of the score there.
        let a = TAU * kf;
        let low = kf * PI_LOW;
        let w_plus = (-(a * ((delta + PI * kf) + low)) / t).exp();
        let w_minus = (-(a * ((PI * kf - delta) + low)) / t).exp();
        sum += w_plus + w_minus;
        dsum -= (((delta + a) + 2.0 * low) * w_plus + ((delta - a) - 2.0 * low) * w_minus) / t;
    }
    // Omitted images |k| > K: exponents > 41.5, shrinking by q = e^{−4π²(K+1)/t} (module docs).
    let q = (-4.0 * PI * PI * (k_max as f64 + 1.0) / t).exp();
    let truncation = 2.0 * (-41.5f64).exp() / (1.0 - q);
    RadialEvaluation {
        log_prob: -0.5 * (TAU * t).ln() - delta * delta / (2.0 * t) + sum.ln(),
        dlog_prob_dtheta: dsum / sum,
        terms: 2 * k_max + 1,
        estimator: KernelMethod::SumOverPaths,
        error_estimate: (2 * k_max + 4) as f64 * f64::EPSILON + truncation,
    }
}

/// Fourier series, `delta ∈ [−π, π]`.
pub(crate) fn fourier(delta: f64, t: f64) -> Result<RadialEvaluation> {
    let n_max = (83.0 / t).sqrt().ceil().max(1.0);
    if n_max > MAX_FOURIER_TERMS as f64 {
        return Err(Error::Numerical {
            method: "circle heat kernel, Fourier series",
            detail: format!("t = {t:e} needs {n_max:e} terms (limit {MAX_FOURIER_TERMS}); use SumOverPaths or Auto"),
        });
    }
    let n_max = n_max as usize;
    let (mut sum, mut dsum, mut abs_sum) = (1.0, 0.0, 1.0);
    for n in 1..=n_max {
        let nf = n as f64;
        let w = 2.0 * (-0.5 * t * nf * nf).exp();
        let (s, c) = (nf * delta).sin_cos();
        sum += w * c;
        dsum -= w * nf * s;
        abs_sum += w;
    }
    // Rounding error of the sum: a few ulps per term, relative to Σ|terms|.
    let error = 4.0 * f64::EPSILON * (n_max as f64 + 1.0) * abs_sum;
    if error.partial_cmp(&(EIGEN_MAX_RELATIVE_ERROR * sum)) != Some(std::cmp::Ordering::Less) {
        return Err(Error::Numerical {
            method: "circle heat kernel, Fourier series",
            detail: format!(
                "the series cancels at t = {t:e}, delta = {delta}: sum {sum:e} vs rounding error {error:e}; use SumOverPaths or Auto"
            ),
        });
    }
    // Rigorous tail bound Σ_{n>N} 2e^{−n²t/2} ≤ 2e^{−(N+1)²t/2}/(1 − e^{−(2N+3)t/2}).
    let next = n_max as f64 + 1.0;
    let tail = 2.0 * (-0.5 * t * next * next).exp() / -(-0.5 * t * (2.0 * next + 1.0)).exp_m1();
    Ok(RadialEvaluation {
        log_prob: sum.ln() - TAU.ln(),
        dlog_prob_dtheta: dsum / sum,
        terms: n_max + 1,
        estimator: KernelMethod::Eigen,
        error_estimate: (error + tail) / sum,
    })
}

/// `π − fl(π)`.
const PI_LOW: f64 = 1.2246467991473532e-16;

/// Wraps an angle difference into `[−π, π)`.
#[inline]
///
/// Every double in `[−fl(π), fl(π)]` lies inside the real interval `(−π, π)` and is returned
/// unchanged (so `fl(π)` is not mapped to `−fl(π)`).
pub(crate) fn wrap_difference(a: f64) -> f64 {
    if (-PI..=PI).contains(&a) {
        return a;
    }
    let r = (a + PI).rem_euclid(TAU) - PI;
    if r >= PI {
        r - TAU
    } else {
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fourier_matches_paths_where_both_are_accurate() {
        for &t in &[0.3, 1.0, 3.0, 10.0] {
            for i in 0..=20 {
                let delta = -PI + TAU * i as f64 / 20.0;
                let a = paths(wrap_difference(delta), t);
                // The Fourier series may refuse where it cancels (only possible for t < 1 here).
                let b = match fourier(wrap_difference(delta), t) {
                    Ok(b) => b,
                    Err(_) if t < 1.0 => continue,
                    Err(e) => panic!("{e}"),
                };
                // Paths are accurate to ~4ε relative; the Fourier sum to ε (n+1) Σ|terms| / sum
                // (cancellation where p is small), Σ|terms| ≤ 1 + 2Σe^{−n²t/2} ≤ 4 here.
                let bound =
                    1e-14 + 4.0 * f64::EPSILON * b.terms as f64 * 4.0 / (TAU * a.log_prob.exp());
                assert!(
                    (a.log_prob - b.log_prob).abs() < bound,
                    "t={t} δ={delta}: {a:?} {b:?}"
                );
                assert!(
                    (a.dlog_prob_dtheta - b.dlog_prob_dtheta).abs()
                        < 10.0 * bound * (1.0 + a.dlog_prob_dtheta.abs())
                );
            }
        }
    }

    #[test]
    fn fourier_reports_cancellation_instead_of_nan() {
        assert!(matches!(fourier(PI, 1e-3), Err(Error::Numerical { .. })));
        let p = circle_log_prob(PI, 1e-3, KernelMethod::Auto).unwrap();
        assert!(p.log_prob.is_finite());
        // Two equal paths at the antipode: p = 2 (2πt)^{−1/2} e^{−π²/2t}.
        let expect = 2f64.ln() - 0.5 * (TAU * 1e-3).ln() - PI * PI / 2e-3;
        assert!((p.log_prob - expect).abs() < 1e-12 * expect.abs());
        // fl(π) < π: the score is −(π/t) tanh(π(π − fl(π))/t) = −1.2085554791845565e-9 (mpmath),
        // obtained as a cancellation of two terms ±π/t = ±3142: rounding floor ~ 4ε π/t = 3e-12.
        assert!(
            (p.dlog_prob_dtheta + 1.2085554791845565e-9).abs() < 3e-12,
            "{p:?}"
        );
    }
}
