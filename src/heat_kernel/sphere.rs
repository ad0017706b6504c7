//! The heat kernel of the unit sphere `S^d`: a radial function of the geodesic angle θ.
//!
//! For `∂_t p = ½Δp`, `p_t(x₀, x) = p_t(θ)` with `θ = d(x₀, x)`, density w.r.t. the round
//! volume `2π^{(d+1)/2}/Γ((d+1)/2)`. Estimators (accuracy measured against the mpmath references
//! of `reference_data/` in `tests/heat_kernel_accuracy.rs`; costs per evaluation on one core of
//! the 2-core build machine, release build):
//!
//! | method | formula | accuracy | cost |
//! |---|---|---|---|
//! | `Eigen` | Gegenbauer eigen-expansion, [`super::gegenbauer`] | exact; refuses (`Err`) where its error estimate exceeds `1e-8` (it cancels: small `t`, θ far from 0) | `≈ √(83/t)` terms |
//! | `SumOverPaths`, `d = 1` | wrapped Gaussian | `~1e-15` relative | `2⌈(√(83t)+π)/2π⌉ + 1` terms |
//! | `SumOverPaths`, `d = 3` | exact path sum, [`super::sphere3`] | `~1e-15` for `t ≲ 10`, `≤ 2e-13` at 20; `Err` above [`paths_max_time`] (the terms cancel) | 1–4 terms for `t ≤ 2` |
//! | `SumOverPaths`, `d = 2` | Hopf-fibre quadrature of the `S³` path sum, [`super::hopf`] | `~1e-13`; `Err` above [`paths_max_time`] = 100 | 10–35 nodes |
//! | `SumOverPaths`, odd `d ≥ 5` | `(2π)^{−n}e^{n²t/2} ∂_c^n` of the wrapped Gaussian (`d = 2n+1`), the derivative as a saddle-point Cauchy integral, [`super::odd_sphere`] | exact, `≤ 1e-11` in `log p` for `t ≤ 0.03` (`Err` where it cannot bracket the saddle, `t ≳ 0.1`) | `n + 12 + 8√n` complex samples: 5 µs (`S⁷`), 20 µs (`S¹²⁷`), 55 µs (`S⁵¹¹`) |
//! | `SumOverPaths`, even `d ≥ 4` | `(2π)^{−n}e^{n(n+1)t/2} ∂_c^n` of the Hopf integral of `S²` (`d = 2n+2`), [`super::even_sphere`] | exact, `≤ 1e-12` in `log p` for `t ≤ 0.05` | 10–25 Cauchy integrals: 0.2 ms (`S⁴`, `S⁸`), 0.7 ms (`S¹²⁸`), 2–3 ms (`S⁵¹²`) |
//! | `Varadhan` | `(2πt)^{−d/2} e^{−θ²/2t}` (leading Gaussian) | approximate, `O(θ² + t)` relative | O(1) |
//! | `SchwingerDeWitt` | `× (θ/sin θ)^{(d−1)/2} e^{(d−1)²t/8}` (leading Schwinger–DeWitt term, [`super::asymptotic`]) | approximate, `a₁(θ)t + O(t²)`; diverges at θ = π (an error there) | O(1) |
//! | `Auto` | per `(d, t, θ)` the cheapest exact method whose error estimate meets the tolerance (below) | `≤ tol`, as reported | see below |
//!
//! `SumOverPaths` is exact for small and moderate `t`; for `d ≥ 4` it returns
//! [`Error::Numerical`] at large `t` (`≳ 0.1`, where the saddle radius grows and the eigen series
//! is the method of choice), and on `S²`/`S³` above [`paths_max_time`]. Every evaluation
//! reports its estimator and error estimate ([`RadialEvaluation::error_estimate`]; the formulas
//! per estimator are in the [`KernelEvaluation`] docs).
//!
//! `Auto` (relative tolerance `tol` of `p`, default [`DEFAULT_AUTO_TOLERANCE`] `= 1e-12`, see
//! [`SphereHeatKernel::with_tolerance`]; every branch below is an exact method, and "meets
//! `tol`" means its error estimate is below `tol`):
//! * `d = 1`: paths for `t < π`, Fourier otherwise (≤ 9 terms).
//! * `d = 2`: Gegenbauer for `t ≥ 0.5` (≤ 15 terms); for `0.1 ≤ t < 0.5` Gegenbauer where
//!   `θ² < 16t` and it meets `tol` (≤ 33 terms), else the Hopf quadrature (≈ 14 nodes at
//!   small `t`, ≤ 35 when the integrand is flat).
//! * `d = 3`: path sum for `t < 2` (1–4 terms), Gegenbauer otherwise (≤ 9 terms).
//! * odd `d ≥ 5`: for `t <` [`ODD_EIGEN_TIME`] the Cauchy recursion if its error estimate
//!   (rounding + aliasing bound) is below `tol`, else the Gegenbauer series if its estimate is;
//!   for larger `t` the same two in the opposite order. If neither meets `tol`, the one with the
//!   smaller estimate (reported with that estimate, `≥ tol`).
//! * even `d ≥ 4`: the Gegenbauer series first at every `t` (far cheaper than the Hopf–Cauchy
//!   integral), then the Hopf–Cauchy integral; if neither meets `tol`, the one with the smaller
//!   estimate.
//! * Only if no exact method evaluates at all (`d ≥ 4`: the Cauchy integral fails and the
//!   Gegenbauer series refuses, i.e. its estimate exceeds [`super::EIGEN_MAX_RELATIVE_ERROR`];
//!   not observed for `d ≤ 512`, `t ∈ [1e-8, 1e4]`) the first-order Schwinger–DeWitt term is
//!   returned, reported as `SchwingerDeWitt` with its error estimate `2|c₂|t² + P`
//!   ([`super::asymptotic`]).
//!
//! The rounding of the Gaussian exponent `θ²/2t` (absolute `~ε θ²/2t` in `log p`, e.g. `1e-11`
//! at `t = 1e-4`, θ = 3) is common to every f64 method and not counted in `tol`.
//!
//! **Measured `Auto` accuracy** (all 869 rows of `reference_data/sphere_heat_kernel.csv`,
//! `S¹, S², S³, S⁴, S⁷, S⁸, S¹²⁷, S¹²⁸`, `t ∈ [1e-4, 1e4]`, θ ∈ [0, π − 1e-3]):
//! `|Δ log p| ≤ 7.3e-12` (at `t = 1e-4`, `|log p| ~ 4e4`; `≤ 6e-14` for `t ≥ 1e-2`), score error
//! `≤ 4.5e-13 × max(|score|, 1)`; at `t = 1e-8` (`|log p| ~ 2e8`) `|Δ log p| ≤ 3e-8 ≈ 4ε|log p|`.

use super::asymptotic::{schwinger_dewitt, schwinger_dewitt_first_order, varadhan};
use super::circle;
use super::even_sphere::even_sphere_cauchy;
use super::gegenbauer::{gegenbauer_series, EIGEN_MAX_RELATIVE_ERROR};
use super::hopf::s2_hopf;
use super::odd_sphere::odd_sphere_cauchy;
use super::sphere3::s3_paths;
use super::{
    check_auto_tolerance, check_inputs, HeatKernel, KernelEvaluation, KernelMethod,
    RadialEvaluation, DEFAULT_AUTO_TOLERANCE,
};
use crate::error::{check_len, check_time, Error, Result};
use crate::manifold::{Manifold, Sphere};
use std::f64::consts::PI;

/// Largest `t` at which the explicit `SumOverPaths` estimator answers on `S²` (100) and `S³`
/// (20): the path terms grow with `t` and cancel. Measured against the Gegenbauer series on a
/// 201-point θ grid: `S³` ≤ 2e-13 at `t = 20` (2e-11 at 30, 2e-7 at 50), `S²` ≤ 1e-12 at
/// `t = 100` (1e-7 at 200). `Auto` switches to the series long before (t = 2 and 0.5).
pub fn paths_max_time(d: usize) -> f64 {
    if d == 2 {
        100.0
    } else {
        20.0
    }
}

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
        estimator: KernelMethod::SumOverPaths,
        error_estimate: v.relative_error,
    }
}

/// `Auto` on odd `S^d`, `d ≥ 5`: below this time the Cauchy recursion is tried first, above it
/// the Gegenbauer series (few terms there, while the saddle radius grows like `e^{nt}`).
pub const ODD_EIGEN_TIME: f64 = 0.05;

/// Heat kernel of `S^d ⊂ R^{d+1}` for `∂_t p = ½Δp`, density w.r.t. the round volume.
///
/// Estimators ([`KernelMethod`], all five offered: [`SphereHeatKernel::METHODS`]), `Auto`
/// rules, accuracy and cost: see the table in the [module docs](self).
///
/// The kernel depends on the geodesic angle `θ = d(x₀, x)` only. The score at `x` is
/// `∂_θ log p_t(θ) · u`, with `u = (cos θ · x − x₀)/sin θ` the unit tangent at `x` pointing
/// away from `x₀`; it vanishes at θ = 0 and at the cut locus θ = π (where `∂_θ log p = 0`).
#[derive(Clone, Copy, Debug)]
pub struct SphereHeatKernel {
    sphere: Sphere,
    method: KernelMethod,
    tolerance: f64,
}

impl SphereHeatKernel {
    /// The estimators the sphere offers: all of [`KernelMethod::ALL`].
    pub const METHODS: [KernelMethod; 5] = KernelMethod::ALL;

    /// The kernel of `sphere` evaluated with `method` (tolerance [`DEFAULT_AUTO_TOLERANCE`] for
    /// `Auto`). Every method is offered.
    pub fn new(sphere: Sphere, method: KernelMethod) -> Self {
        SphereHeatKernel {
            sphere,
            method,
            tolerance: DEFAULT_AUTO_TOLERANCE,
        }
    }

    /// The same kernel with `Auto` asked for relative accuracy `tolerance` of `p` (default
    /// `1e-12`). `Auto` then takes, per `(t, θ)`, the cheapest exact estimator whose error
    /// estimate is below it (see the [module docs](self)); explicit methods ignore it.
    /// The rounding of the Gaussian exponent `θ²/2t` (relative `ε θ²/2t` in `p`, i.e. absolute
    /// `ε θ²/2t` in `log p`) is common to every f64 method and is not counted.
    ///
    /// # Errors
    /// As [`check_auto_tolerance`] (finite, `1e-15 ≤ tolerance < 1`).
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        check_auto_tolerance(tolerance)?;
        self.tolerance = tolerance;
        Ok(self)
    }

    /// The relative tolerance of `p` requested from `Auto`.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The estimator in use.
    pub fn method(&self) -> KernelMethod {
        self.method
    }

    /// `log p_t(θ)` and `∂_θ log p_t(θ)` at the geodesic angle `theta ∈ [0, π]`, with the
    /// estimator that answered and its error estimate.
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
            KernelMethod::Eigen => gegenbauer_series(d, theta, t, self.sphere.log_volume()),
            KernelMethod::Varadhan => Ok(varadhan(d, theta, t)),
            KernelMethod::SchwingerDeWitt => schwinger_dewitt(d, theta, t),
            KernelMethod::SumOverPaths => match d {
                1 => Ok(circle::paths(theta, t)),
                2 | 3 if t > paths_max_time(d) => Err(Error::Numerical {
                    method: "sphere heat kernel, sum over paths",
                    detail: format!(
                        "t = {t:e} exceeds {:e}, beyond which the S{d} path sum cancels in f64; \
                         use Eigen or Auto",
                        paths_max_time(d)
                    ),
                }),
                2 => Ok(s2_hopf(theta, t)),
                3 => Ok(s3_radial(theta, t)),
                _ => {
                    let eval = if d % 2 == 1 {
                        odd_sphere_cauchy(d, theta, t)?
                    } else {
                        even_sphere_cauchy(d, theta, t)?
                    };
                    let error = eval.error_estimate;
                    if error < EIGEN_MAX_RELATIVE_ERROR {
                        Ok(eval)
                    } else {
                        Err(Error::Numerical {
                            method: "sphere heat kernel, Cauchy recursion (SumOverPaths)",
                            detail: format!(
                                "estimated relative error {error:e} at t = {t:e}, theta = {theta} (large t); use Eigen or Auto"
                            ),
                        })
                    }
                }
            },
            KernelMethod::Auto => self.auto(theta, t),
        }
    }

    fn auto(&self, theta: f64, t: f64) -> Result<RadialEvaluation> {
        let d = self.sphere.dim();
        let meets = |e: &RadialEvaluation| e.error_estimate < self.tolerance;
        let eigen = || gegenbauer_series(d, theta, t, self.sphere.log_volume());
        match d {
            1 if t < PI => return Ok(circle::paths(theta, t)),
            1 => return circle::fourier(theta, t),
            2 if t < S2_EIGEN_TIME => {
                // Between 0.1 and 0.5 the Gegenbauer series (≤ 33 terms) is cheaper than the
                // quadrature where it does not cancel (θ² < 16t: p(θ)/p(0) > e^{−8}).
                if t >= 0.1 && theta * theta < 16.0 * t {
                    if let Ok(s) = eigen() {
                        if meets(&s) {
                            return Ok(s);
                        }
                    }
                }
                return Ok(s2_hopf(theta, t));
            }
            3 if t < S3_EIGEN_TIME => return Ok(s3_radial(theta, t)),
            2 | 3 => {}
            _ => {
                let cauchy = || {
                    if d % 2 == 1 {
                        odd_sphere_cauchy(d, theta, t)
                    } else {
                        even_sphere_cauchy(d, theta, t)
                    }
                };
                // Odd d at small t: the Cauchy integral first (the eigen series needs
                // ≳ √(83/t) terms and cancels). Otherwise the eigen series first: few terms at
                // large t, where the odd saddle radius grows; and for even d at every t, ≲ 20 µs
                // for t ≥ 1e-4 against 0.1–2 ms for the Hopf–Cauchy integral.
                let cauchy_first = d % 2 == 1 && t < ODD_EIGEN_TIME;
                let first = if cauchy_first { cauchy() } else { eigen() };
                if let Ok(e) = &first {
                    if meets(e) {
                        return Ok(*e);
                    }
                }
                let second = if cauchy_first { eigen() } else { cauchy() };
                if let Ok(e) = &second {
                    if meets(e) {
                        return Ok(*e);
                    }
                }
                // Neither meets the tolerance: the smaller estimate (reported as it is).
                match (first, second) {
                    (Ok(a), Ok(b)) => {
                        return Ok(if b.error_estimate < a.error_estimate {
                            b
                        } else {
                            a
                        })
                    }
                    (Ok(e), Err(_)) | (Err(_), Ok(e)) => return Ok(e),
                    (Err(_), Err(_)) => {}
                }
                // No exact method evaluates: the first-order asymptotic term (module docs).
                return schwinger_dewitt_first_order(d, theta.min(PI - 1e-9), t);
            }
        }
        // S² for t ≥ 0.5, S³ for t ≥ 2: the Gegenbauer series (≤ 15 and ≤ 9 terms).
        eigen().or_else(|_| schwinger_dewitt_first_order(d, theta.min(PI - 1e-9), t))
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
        Ok(r.into())
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_inputs(&self.sphere, x0, x, t)?;
        check_len("score", score.len(), self.sphere.ambient_dim())?;
        // The same θ as `log_prob`, so both entry points return bit-identical log p.
        let r = self.log_prob_angle(self.sphere.distance(x0, x), t)?;
        self.direction(x0, x, score);
        score.iter_mut().for_each(|v| *v *= r.dlog_prob_dtheta);
        Ok(r.into())
    }
}
