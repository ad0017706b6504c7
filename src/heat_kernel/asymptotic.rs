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
//! * **First order** (`Auto` for `d ≥ 4` where the eigen series cancels): the leading term times
//!   `e^{a₁(θ)t}`; error `O(t²)` with a coefficient growing like `d⁴`.
//!
//! Cost: a handful of flops and one `ln`/`sin`.

use super::RadialEvaluation;
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

/// Leading Schwinger–DeWitt term times `e^{a₁(θ) t}`, `a₁ = (d−1)(d−3)/8 · (θ cot θ − 1)/θ²`:
/// relative error `O(t²)` away from the cut locus (the `O(d⁴t²)` coefficient makes it useful
/// only for `d² t ≪ 1`). Used by `Auto` for `d ≥ 4` where the Gegenbauer series cancels.
pub(crate) fn schwinger_dewitt_first_order(
    d: usize,
    theta: f64,
    t: f64,
) -> Result<RadialEvaluation> {
    let lead = schwinger_dewitt(d, theta, t)?;
    let c = (d as f64 - 1.0) * (d as f64 - 3.0) / 8.0;
    let (g, dg) = first_correction_shape(theta);
    Ok(RadialEvaluation {
        log_prob: lead.log_prob + c * g * t,
        dlog_prob_dtheta: lead.dlog_prob_dtheta + c * dg * t,
        terms: 2,
    })
}

/// Varadhan's leading Gaussian on `S^d`.
pub(crate) fn varadhan(d: usize, theta: f64, t: f64) -> RadialEvaluation {
    RadialEvaluation {
        log_prob: -0.5 * d as f64 * (TAU * t).ln() - theta * theta / (2.0 * t),
        dlog_prob_dtheta: -theta / t,
        terms: 1,
    }
}

/// Leading Schwinger–DeWitt term on `S^d`.
pub(crate) fn schwinger_dewitt(d: usize, theta: f64, t: f64) -> Result<RadialEvaluation> {
    let m = 0.5 * (d as f64 - 1.0);
    if d > 1 && PI - theta < 1e-12 {
        return Err(Error::Numerical {
            method: "sphere heat kernel, Schwinger–DeWitt",
            detail: format!(
                "the Van Vleck factor diverges at the cut locus (theta = {theta}); use Auto"
            ),
        });
    }
    let g = varadhan(d, theta, t);
    Ok(RadialEvaluation {
        log_prob: g.log_prob + m * log_theta_over_sin(theta) + 0.5 * m * m * t,
        dlog_prob_dtheta: g.dlog_prob_dtheta + m * inverse_minus_cot(theta),
        terms: 1,
    })
}
