//! Eigenfunction (Gegenbauer) expansion of the heat kernel of `S^d`.
//!
//! With `λ = (d−1)/2`, `x = cos θ`, the zonal eigenfunctions of degree `l` have
//! eigenvalue `−l(l+d−1)` and multiplicity `m_l = (2l+d−1)/(d−1) · C(l+d−2, l)` (`m_0 = 1`,
//! `m_l = 2` for `d = 1`), so for `∂_t p = ½Δp`
//!
//! `p_t(θ) = (1/Vol S^d) Σ_{l≥0} m_l e^{−l(l+d−1)t/2} G_l(cos θ)`,
//!
//! where `G_l = C_l^λ / C_l^λ(1) ∈ [−1, 1]` is the Gegenbauer polynomial normalised at 1
//! (Chebyshev `T_l` for `d = 1`, Legendre `P_l` for `d = 2`). `G_l` obeys the damped
//! three-term recurrence `G_{l+1} = [2(l+λ) x G_l − l G_{l−1}] / (l + 2λ)`, which never
//! overflows (`|G_l| ≤ 1`) and is forward-stable for `|x| ≤ 1`; its derivative obeys the
//! differentiated recurrence. The weights `w_l = m_l e^{−l(l+d−1)t/2}` are formed by their
//! ratios `(m_l/m_{l−1}) e^{−(2l+d−2)t/2}` (one `exp` per degree; relative drift `~lε`)
//! with a rescale by `1e-200` before overflow, so nothing overflows even for `d` in the hundreds.
//!
//! The score component is `∂_θ log p = −sin θ · S'(x)/S(x)` with `S = Σ m_l e^{…} G_l`.
//!
//! Truncation: terms are summed past the peak of `m_l e^{−l(l+d−1)t/2}` until
//! `m_l e^{…} (l+1)² < 1e-18 ×` the largest term (about `√(83/t)` terms for small `d`). The
//! weights are log-concave in `l` (both the multiplicity ratio and `e^{−(2l+d)t/2}` decrease),
//! so past the last degree `L` they shrink at least geometrically with the ratio `q < 1` at
//! `L`, and `|G_l| ≤ 1`: the omitted tail is at most `w_L q/(1 − q)` (rigorous).
//! Rounding: the absolute error of `S` is about `ε Σ_l (l+2)|term_l|` (the `l+2` covers the
//! `~lε` drift of the weights); the relative error of `log p` is that divided by `S`. The
//! series is a polynomial in the node `x = cos θ`, itself rounded (`ε|x|`): that moves `log p` by
//! `ε|x S'(x)/S|`, i.e. `ε|∂_θ log p · cot θ| ≈ ε/t` near θ = 0 at small `t` (measured `4.4e-13`
//! on `S¹` at `t = 1e-4`, θ = 1e-6, where rounding and tail alone are `2e-14`). The reported
//! estimate ([`super::RadialEvaluation::error_estimate`]) is the sum of the three. Where the terms cancel (`p` tiny: small `t`, θ near π)
//! this blows up; the evaluation then returns [`Error::Numerical`] (estimate above
//! [`EIGEN_MAX_RELATIVE_ERROR`]).
//! `Auto` only uses this series where the estimate is below `1e-12`.

use super::{KernelMethod, RadialEvaluation};
use crate::error::{Error, Result};

/// Largest error estimate (relative in `p`) with which an explicit `Eigen` evaluation (Fourier
/// on the circle, Gegenbauer on `S^d`, characters on the groups) still answers; beyond it
/// [`Error::Numerical`] is returned (the series cancels). Equal to the crate's accuracy bar
/// for kernels. Also the bar of the explicit `SumOverPaths` Cauchy recursions on `S^d`, `d ≥ 4`.
pub const EIGEN_MAX_RELATIVE_ERROR: f64 = 1e-8;

/// Largest number of Gegenbauer terms an evaluation may use.
pub const MAX_GEGENBAUER_TERMS: usize = 1_000_000;

/// Gegenbauer series on `S^d` at angle `theta ∈ [0, π]`; `log_volume = log Vol(S^d)`. The
/// error estimate is rounding plus the rigorous tail bound, relative to `S` (module docs).
///
/// # Errors
/// [`Error::Numerical`] where the estimate reaches [`EIGEN_MAX_RELATIVE_ERROR`] or more than
/// [`MAX_GEGENBAUER_TERMS`] terms are needed.
pub(crate) fn gegenbauer_series(
    d: usize,
    theta: f64,
    t: f64,
    log_volume: f64,
) -> Result<RadialEvaluation> {
    let (s_theta, x) = theta.sin_cos();
    let df = d as f64;
    // The weights peak near l ≈ √(d/t) and need ≈ √(83/t) more terms: refuse at once where
    // that exceeds the cap (at t = 1e-300 the loop would otherwise run to the cap first).
    let predicted = (df.sqrt() + 83f64.sqrt()) / t.sqrt();
    if predicted > 4.0 * MAX_GEGENBAUER_TERMS as f64 {
        return Err(Error::Numerical {
            method: "sphere heat kernel, Gegenbauer series",
            detail: format!(
                "t = {t:e} needs ≈ {predicted:.1e} terms (limit {MAX_GEGENBAUER_TERMS}); use Auto"
            ),
        });
    }
    let lambda = 0.5 * (df - 1.0);
    // Degree 0 term: m_0 = 1, G_0 = 1, G_0' = 0.
    let (mut g_prev, mut dg_prev) = (1.0f64, 0.0f64);
    let (mut g, mut dg) = (x, 1.0f64);
    // All sums and the weight are scaled by e^{−log_scale} (rescaled before overflow).
    let mut log_scale = 0.0f64;
    let (mut sum, mut dsum, mut abs_sum) = (1.0f64, 0.0f64, 2.0f64);
    // w_l = m_l e^{−l(l+d−1)t/2} by the ratio w_{l}/w_{l−1} = (m_l/m_{l−1}) e^{−(2l+d−2)t/2}.
    let mut weight = 1.0f64;
    let mut max_weight = 1.0f64;
    // e^{−(2l+d−2)t/2}, recomputed by one `exp` per degree: a running product would carry a
    // relative error ~lε into every later weight, i.e. ~l²ε/2 in w_l (measured 1e-12 on S¹²⁷).
    let mut decay = (-0.5 * t * df).exp(); // at l = 1
    let mut l = 1usize;
    // Bound on the omitted terms Σ_{l>L} w_l|G_l| (set when the loop stops).
    let tail;
    loop {
        let lf = l as f64;
        let multiplicity_ratio = if d == 1 {
            if l == 1 {
                2.0
            } else {
                1.0
            }
        } else {
            (2.0 * lf + df - 1.0) / (2.0 * lf + df - 3.0) * (lf + df - 2.0) / lf
        };
        weight *= multiplicity_ratio * decay;
        decay = (-0.5 * t * (2.0 * lf + df)).exp(); // at l + 1
        if weight > 1e200 {
            sum *= 1e-200;
            dsum *= 1e-200;
            abs_sum *= 1e-200;
            weight *= 1e-200;
            max_weight *= 1e-200;
            log_scale += 200.0 * std::f64::consts::LN_10;
        }
        max_weight = max_weight.max(weight);
        sum += weight * g;
        dsum += weight * dg;
        abs_sum += weight * (lf + 2.0) * g.abs().max(f64::EPSILON);
        // Past the peak (the log weight is concave in l) and negligible: stop.
        let next_ratio = if d == 1 {
            1.0
        } else {
            (2.0 * lf + df + 1.0) / (2.0 * lf + df - 1.0) * (lf + df - 1.0) / (lf + 1.0)
        } * decay;
        if next_ratio < 1.0 && weight * (lf + 1.0) * (lf + 1.0) < 1e-18 * max_weight {
            tail = weight * next_ratio / (1.0 - next_ratio);
            break;
        }
        if l >= MAX_GEGENBAUER_TERMS {
            return Err(Error::Numerical {
                method: "sphere heat kernel, Gegenbauer series",
                detail: format!("t = {t:e} needs more than {MAX_GEGENBAUER_TERMS} terms; use Auto"),
            });
        }
        // Advance the recurrence to degree l + 1.
        let denom = lf + 2.0 * lambda;
        let g_next = (2.0 * (lf + lambda) * x * g - lf * g_prev) / denom;
        let dg_next = (2.0 * (lf + lambda) * (g + x * dg) - lf * dg_prev) / denom;
        g_prev = g;
        dg_prev = dg;
        g = g_next;
        dg = dg_next;
        l += 1;
    }
    // Rounding and tail of the sum, and the rounding of the node x = cos θ (module docs).
    let relative_error =
        (f64::EPSILON * abs_sum + tail) / sum.abs() + f64::EPSILON * (x * dsum / sum).abs();
    let accurate = sum > 0.0 && relative_error < EIGEN_MAX_RELATIVE_ERROR;
    if !accurate {
        return Err(Error::Numerical {
            method: "sphere heat kernel, Gegenbauer series",
            detail: format!(
                "the series cancels at t = {t:e}, theta = {theta}: relative rounding error {relative_error:e}; use Auto"
            ),
        });
    }
    Ok(RadialEvaluation {
        log_prob: sum.ln() + log_scale - log_volume,
        dlog_prob_dtheta: -s_theta * dsum / sum,
        terms: l + 1,
        estimator: KernelMethod::Eigen,
        error_estimate: relative_error,
    })
}
