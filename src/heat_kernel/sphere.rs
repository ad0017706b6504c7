//! The heat kernel of the unit sphere `S^d`: a radial function of the geodesic angle θ.
//!
//! For `∂_t p = ½Δp`, `p_t(x₀, x) = p_t(θ)` with `θ = d(x₀, x)`, density w.r.t. the round
//! volume `2π^{(d+1)/2}/Γ((d+1)/2)`. Estimators (accuracy measured against mpmath references
//! in `tests/heat_kernel_accuracy.rs`; costs are per evaluation on one core):
//!
//! | method | formula | accuracy | cost |
//! |---|---|---|---|
//! | `Eigen` | Gegenbauer series, [`super::gegenbauer`] | exact; refuses (`Err`) where its rounding estimate exceeds `1e-8` | `≈ √(83/t)` terms |
//! | `SumOverPaths`, `d = 1` | wrapped Gaussian | `~1e-15` relative | `2⌈(√(83t)+π)/2π⌉ + 1` terms |
//! | `SumOverPaths`, `d = 3` | exact path sum, [`super::sphere3`] | `~1e-15` for `t ≲ 2` (cancels for large `t`) | 1–4 terms for `t ≤ 2` |
//! | `SumOverPaths`, `d = 2` | Hopf-fibre quadrature of the `S³` path sum, [`super::hopf`] | `~1e-13` | 10–35 nodes |
//! | `Varadhan` | `(2πt)^{−d/2} e^{−θ²/2t}` | approximate, `O(θ² + t)` relative | O(1) |
//! | `SchwingerDeWitt` | `× (θ/sin θ)^{(d−1)/2} e^{(d−1)²t/8}` | approximate, `a₁(θ)t + O(t²)`; diverges at θ = π | O(1) |
//!
//! `Auto`:
//! * `d = 1`: paths for `t < π`, Fourier otherwise (≤ 7 terms).
//! * `d = 2`: Gegenbauer for `t ≥ 0.5` (≤ 15 terms); for `0.1 ≤ t < 0.5` Gegenbauer where
//!   `θ² < 16t` and its rounding estimate is below `1e-12` (≤ 33 terms), else the Hopf
//!   quadrature (≈ 14 nodes at small `t`, ≤ 35 when the integrand is flat).
//! * `d = 3`: path sum for `t < 2` (1–4 terms), Gegenbauer otherwise (≤ 9 terms).
//! * `d ≥ 4`: Gegenbauer where its rounding estimate is below `1e-7`, otherwise the
//!   Schwinger–DeWitt term with its first correction `e^{a₁(θ)t}` (θ clamped to `π − 1e-9`).
//!   **Approximate** at small `t`, error `O(d⁴t²)`: measured `|Δ log p| ≤ 1e-6` on `S⁷` and
//!   `≤ 1e-2` on `S¹²⁷` for `t ≤ 1e-3`, θ ≤ 2.5; `1e-4` (`S⁷`) to `0.7` (`S¹²⁷`) at `t = 0.01`;
//!   O(1) near θ = π. No exact small-time method is implemented for `d ≥ 4`.
//!
//! Measured `Auto` accuracy for `d ≤ 3`, `t ∈ [1e-3, 10]`, `θ ∈ [0, π − 1e-3]`: `|Δ log p| ≤ 1e-12`,
//! score error `≤ 1e-14 × max(|score|, 1)` (387 mpmath reference rows).

use super::asymptotic::{schwinger_dewitt, schwinger_dewitt_first_order, varadhan};
use super::circle;
use super::gegenbauer::gegenbauer_series;
use super::hopf::s2_hopf;
use super::sphere3::s3_paths;
use super::{check_inputs, HeatKernel, KernelEvaluation, RadialEvaluation};
use crate::error::{check_len, check_time, Error, Result};
use crate::manifold::{Manifold, Sphere};
use std::f64::consts::PI;

/// `Auto` on `S²` uses the Hopf quadrature below this time and the Gegenbauer series above.
pub const S2_EIGEN_TIME: f64 = 0.5;
/// `Auto` on `S³` uses the path sum below this time and the Gegenbauer series above.
pub const S3_EIGEN_TIME: f64 = 2.0;

fn s3_radial(theta: f64, t: f64) -> RadialEvaluation {
    let v = s3_paths(theta, t);
    RadialEvaluation {
        log_prob: v.log_prob,
        dlog_prob_dtheta: v.dlog_prob_dpsi,
        terms: v.terms,
    }
}

/// Largest estimated relative rounding error at which `Auto` accepts the Gegenbauer series for
/// `d ≥ 4` (beyond it the first-order Schwinger–DeWitt approximation, typically worse, is used).
pub const AUTO_EIGEN_TOLERANCE: f64 = 1e-7;

/// Estimator of the sphere heat kernel `p_t(θ)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SphereMethod {
    /// Gegenbauer eigen-expansion (exact; `≈ √(83/t)` terms; errors out where it cancels).
    Eigen,
    /// Exact sums over geodesics: `d = 1` wrapped Gaussian, `d = 3` the path sum
    /// `e^{t/2}(2πt)^{−3/2} Σ_k (θ+2πk)/sin θ · e^{−(θ+2πk)²/2t}`, `d = 2` the Hopf-fibre
    /// integral of the `S³` path sum. Not available for `d ≥ 4`.
    SumOverPaths,
    /// Leading Gaussian `(2πt)^{−d/2} e^{−θ²/2t}` (approximate).
    Varadhan,
    /// Leading Schwinger–DeWitt term (approximate; see the module docs of `asymptotic`).
    SchwingerDeWitt,
    /// Picks a method per `(d, t, θ)`: exact for `d ≤ 3` (see the module docs for the rules),
    /// Gegenbauer or the approximate first-order Schwinger–DeWitt term for `d ≥ 4`.
    #[default]
    Auto,
}

/// Heat kernel of `S^d ⊂ R^{d+1}` for `∂_t p = ½Δp`, density w.r.t. the round volume.
///
/// Estimators, `Auto` rules, accuracy and cost: see the table in the [module docs](self) and
/// [`SphereMethod`].
///
/// The kernel depends on the geodesic angle `θ = d(x₀, x)` only. The score at `x` is
/// `∂_θ log p_t(θ) · u`, with `u = (cos θ · x − x₀)/sin θ` the unit tangent at `x` pointing
/// away from `x₀`; it vanishes at θ = 0 and at the cut locus θ = π (where `∂_θ log p = 0`).
#[derive(Clone, Copy, Debug)]
pub struct SphereHeatKernel {
    sphere: Sphere,
    method: SphereMethod,
}

impl SphereHeatKernel {
    /// The kernel of `sphere` evaluated with `method`.
    pub fn new(sphere: Sphere, method: SphereMethod) -> Self {
        SphereHeatKernel { sphere, method }
    }

    /// The estimator in use.
    pub fn method(&self) -> SphereMethod {
        self.method
    }

    /// `log p_t(θ)` and `∂_θ log p_t(θ)` at the geodesic angle `theta ∈ [0, π]`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `t ≤ 0`/NaN or `theta` outside `[0, π]`;
    /// [`Error::Numerical`] when the chosen (non-`Auto`) method cannot evaluate here.
    pub fn log_prob_angle(&self, theta: f64, t: f64) -> Result<RadialEvaluation> {
        check_time(t)?;
        if !(0.0..=PI).contains(&theta) {
            return Err(Error::invalid("theta", theta, "a geodesic angle in [0, π]"));
        }
        let d = self.sphere.dim();
        match self.method {
            SphereMethod::Eigen => {
                Ok(gegenbauer_series(d, theta, t, self.sphere.log_volume())?.eval)
            }
            SphereMethod::Varadhan => Ok(varadhan(d, theta, t)),
            SphereMethod::SchwingerDeWitt => schwinger_dewitt(d, theta, t),
            SphereMethod::SumOverPaths => match d {
                1 => Ok(circle::paths(theta, t)),
                2 => Ok(s2_hopf(theta, t)),
                3 => Ok(s3_radial(theta, t)),
                _ => Err(Error::invalid(
                    "method",
                    "SumOverPaths",
                    "d = 1, 2 or 3 for the sum over paths",
                )),
            },
            SphereMethod::Auto => self.auto(theta, t),
        }
    }

    fn auto(&self, theta: f64, t: f64) -> Result<RadialEvaluation> {
        let d = self.sphere.dim();
        if d == 1 {
            return if t < PI {
                Ok(circle::paths(theta, t))
            } else {
                circle::fourier(theta, t)
            };
        }
        match d {
            2 if t < S2_EIGEN_TIME => {
                // Between 0.1 and 0.5 the Gegenbauer series (≤ 33 terms) is cheaper than the
                // quadrature where it does not cancel (θ² < 16t: p(θ)/p(0) > e^{−8}).
                if t >= 0.1 && theta * theta < 16.0 * t {
                    if let Ok(s) = gegenbauer_series(d, theta, t, self.sphere.log_volume()) {
                        if s.relative_error < 1e-12 {
                            return Ok(s.eval);
                        }
                    }
                }
                return Ok(s2_hopf(theta, t));
            }
            3 if t < S3_EIGEN_TIME => return Ok(s3_radial(theta, t)),
            _ => {}
        }
        match gegenbauer_series(d, theta, t, self.sphere.log_volume()) {
            Ok(s) if s.relative_error < AUTO_EIGEN_TOLERANCE => Ok(s.eval),
            _ => schwinger_dewitt_first_order(d, theta.min(PI - 1e-9), t),
        }
    }

    /// Writes the unit tangent `u` at `x` pointing away from `x0` (zero when `x = ±x0`).
    fn direction(&self, x0: &[f64], x: &[f64], u: &mut [f64]) {
        let c: f64 = x0.iter().zip(x).map(|(a, b)| a * b).sum();
        for i in 0..u.len() {
            u[i] = c * x[i] - x0[i];
        }
        let s = u.iter().map(|v| v * v).sum::<f64>().sqrt();
        if s > 0.0 {
            u.iter_mut().for_each(|v| *v /= s);
        }
    }
}

impl HeatKernel for SphereHeatKernel {
    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }

    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        check_inputs(&self.sphere, x0, x, t)?;
        let r = self.log_prob_angle(self.sphere.distance(x0, x), t)?;
        Ok(KernelEvaluation {
            log_prob: r.log_prob,
            terms: r.terms,
        })
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_inputs(&self.sphere, x0, x, t)?;
        check_len("score", score.len(), self.sphere.ambient_dim())?;
        // The same θ as `log_prob`, so both entry points return bit-identical log p.
        let r = self.log_prob_angle(self.sphere.distance(x0, x), t)?;
        self.direction(x0, x, score);
        score.iter_mut().for_each(|v| *v *= r.dlog_prob_dtheta);
        Ok(KernelEvaluation {
            log_prob: r.log_prob,
            terms: r.terms,
        })
    }
}
