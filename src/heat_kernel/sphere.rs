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
//! [`SphereHeatKernel::with_tolerance`]; "meets `tol`" means the estimator's error estimate is
//! below `tol`):
//! * `d = 1`: paths for `t < π`, Fourier otherwise (≤ 9 terms).
//! * **The Gaussian regime**, `d ≥ 2`, `t ≤` [`GAUSSIAN_MAX_TIME`]: the first-order
//!   Schwinger–DeWitt term (O(1) work, [`super::asymptotic`]) whenever its error estimate
//!   `2|c₂(θ)|t² + P` meets `tol` — at small `t` it *is* the kernel to f64, and the estimate is
//!   honest there (the expansion runs in `t d²` away from the cut locus and in `t/(π − θ)`
//!   near it, where it is the asymptotic series of the caustic's Bessel function; `c₂` never
//!   vanishes). Reported as `SchwingerDeWitt` with that estimate. It covers every f64 point
//!   once `t ≲ 1e-21/d`: no f64 angle is closer to π than `π − fl(π) = 1.2e-16`, where the
//!   estimate is `≈ (d t/(π − θ))²/8`. The exact estimators below are therefore only needed
//!   down to `t ≈ 1e-24`, and are validated against this term down to `t = 1e-60`.
//! * `d = 2`: Gegenbauer for `t ≥ 0.5` (≤ 15 terms); for `0.1 ≤ t < 0.5` Gegenbauer where
//!   `θ² < 16t` and it meets `tol` (≤ 33 terms), else the Hopf quadrature (≈ 14 nodes at
//!   small `t`, ≤ 35 when the integrand is flat).
//! * `d = 3`: path sum for `t < 2` (1–4 terms), Gegenbauer otherwise (≤ 9 terms).
//! * odd `d ≥ 5`: for `t <` [`ODD_EIGEN_TIME`] the Cauchy recursion if its error estimate
//!   (rounding + aliasing bound) is below `tol`, else the Gegenbauer series if its estimate is;
//!   for larger `t` the same two in the opposite order.
//! * even `d ≥ 4`: the Gegenbauer series first, then the Hopf–Cauchy integral.
//! * The Gegenbauer series is tried only where its **cost model** predicts success: rounding
//!   `16ε p(0)/p(θ) ≤ tol` (from the Gaussian ratio; it cancels far from x₀ at small `t`) and
//!   a length `(√d + √83)/√t` within [`GEGENBAUER_TERM_BUDGET`] (without it, an even sphere
//!   at `t = 1e-8` spent 80 ms on 10⁵ terms that cancelled anyway).
//! * If no estimator meets `tol`, the one with the smallest estimate (the first-order term
//!   included), reported with that estimate — if it is within the crate's accuracy bar
//!   [`super::EIGEN_MAX_RELATIVE_ERROR`] `= 1e-8`; otherwise [`Error::Numerical`] saying so
//!   (never a value known to be wrong).
//!
//! **Huge `t`**: the Gegenbauer series stops after the constant term once `e^{−dt/2}`
//! underflows: `log p = −log Vol S^d`, score 0 (to its tail bound), up to `t = f64::MAX`.
//! **Tiny `t`**: `log p ≈ −θ²/2t` and the score `≈ θ/t` leave the f64 range (`t = 1e-310`,
//! θ = 1); the kernel then returns [`Error::Numerical`] ([`HeatKernel::log_prob`] docs)
//! rather than `±∞`.
//!
//! The rounding of the Gaussian exponent `θ²/2t` (absolute `~ε θ²/2t` in `log p`, e.g. `1e-11`
//! at `t = 1e-4`, θ = 3) is common to every f64 method and not counted in `tol`.
//!
//! **Measured `Auto` accuracy** (all 869 rows of `reference_data/sphere_heat_kernel.csv`,
//! `S¹, S², S³, S⁴, S⁷, S⁸, S¹²⁷, S¹²⁸`, `t ∈ [1e-4, 1e4]`, θ ∈ [0, π − 1e-3]):
//! `|Δ log p| ≤ 7.3e-12` (at `t = 1e-4`, `|log p| ~ 4e4`; `≤ 6e-14` for `t ≥ 1e-2`), score error
//! `≤ 4.5e-13 × max(|score|, 1)`; at `t = 1e-8` (`|log p| ~ 2e8`) `|Δ log p| ≤ 3e-8 ≈ 4ε|log p|`.

use super::asymptotic::{
    log_theta_over_sin, schwinger_dewitt, schwinger_dewitt_first_order, varadhan,
};
use super::circle;
use super::even_sphere::even_sphere_cauchy;
use super::gegenbauer::{gegenbauer_series, EIGEN_MAX_RELATIVE_ERROR};
use super::hopf::{s2_hopf, HOPF_MIN_TIME};
use super::odd_sphere::odd_sphere_cauchy;
use super::sphere3::s3_paths;
use super::{
    check_auto_tolerance, check_inputs, check_representable, HeatKernel, KernelEvaluation,
    KernelMethod, RadialEvaluation, DEFAULT_AUTO_TOLERANCE,
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

/// `Auto` takes the Gaussian regime (the first-order Schwinger–DeWitt term) only up to this
/// time: its error estimate counts the second geodesic only, which is honest while the
/// others are `e^{−2π²/t}` lighter (module docs).
pub const GAUSSIAN_MAX_TIME: f64 = 0.01;

/// Largest predicted length of a Gegenbauer series `Auto` tries (≈ 2 ms at ~100 ns per term on
/// the 2-core machine); beyond, the series is skipped for the Cauchy recursion.
pub const GEGENBAUER_TERM_BUDGET: f64 = 20_000.0;

/// Smallest `t` at which the explicit `SumOverPaths` Cauchy recursions (`d ≥ 4`) answer: their
/// saddle circles have radii `≈ n t²` near the antipode, which leave the normal f64 range
/// below `t ≈ 1e-140`; validated against the Gaussian regime down to `t = 1e-60`. (`Auto`
/// needs them only above `t ≈ 1e-21/d`, below which the Gaussian regime is exact for every f64
/// point: see the module docs.)
pub const CAUCHY_MIN_TIME: f64 = 1e-100;

/// The error of an explicit `SumOverPaths` below its smallest time.
fn below_range(d: usize, t: f64, min: f64) -> Error {
    Error::Numerical {
        method: "sphere heat kernel, sum over paths",
        detail: format!(
            "t = {t:e} is below {min:e}, the smallest time the S{d} path-sum quadrature resolves; \
             Auto (the Gaussian regime, exact to f64 there) answers at every t"
        ),
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
    /// [`Error::Numerical`] when the chosen (non-`Auto`) method cannot evaluate here, or
    /// `Auto` has nothing within the accuracy bar; [`Error::LimitExceeded`] for a sphere
    /// beyond the heat-kernel sizes ([`crate::limits::check_sphere_kernel_size`]: even
    /// `d ≤ 4096`, odd `d ≤ 65535`), with the same reason as the parser gives.
    pub fn log_prob_angle(&self, theta: f64, t: f64) -> Result<RadialEvaluation> {
        crate::limits::check_sphere_kernel_size(self.sphere.dim())?;
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
                1 => circle::circle_log_prob(theta, t, KernelMethod::SumOverPaths),
                2 | 3 if t > paths_max_time(d) => Err(Error::Numerical {
                    method: "sphere heat kernel, sum over paths",
                    detail: format!(
                        "t = {t:e} exceeds {:e}, beyond which the S{d} path sum cancels in f64; \
                         use Eigen or Auto",
                        paths_max_time(d)
                    ),
                }),
                2 if t < HOPF_MIN_TIME => Err(below_range(d, t, HOPF_MIN_TIME)),
                2 => Ok(s2_hopf(theta, t)),
                3 => Ok(s3_radial(theta, t)),
                _ if t < CAUCHY_MIN_TIME => Err(below_range(d, t, CAUCHY_MIN_TIME)),
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
        // The Gegenbauer series, where its cost model says it may meet the tolerance.
        let promising_eigen = || {
            if self.eigen_is_promising(theta, t, self.tolerance) {
                eigen()
            } else {
                Err(Error::Numerical {
                    method: "sphere heat kernel, Gegenbauer series",
                    detail: "not tried: predicted to cancel or to exceed its term budget".into(),
                })
            }
        };
        if d == 1 {
            return if t < PI {
                Ok(circle::paths(theta, t))
            } else {
                circle::fourier(theta, t)
            };
        }
        // The Gaussian regime (module docs): at small t the first-order Schwinger–DeWitt term
        // is exact to its error estimate, which is honest there; O(1) work.
        let gaussian = schwinger_dewitt_first_order(d, theta, t)?;
        if t <= GAUSSIAN_MAX_TIME && meets(&gaussian) {
            return Ok(gaussian);
        }
        match d {
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
                // (Below HOPF_MIN_TIME the Gaussian regime always meets the tolerance.)
                return self.best_of(theta, t, [Ok(s2_hopf(theta, t)), Ok(gaussian)]);
            }
            3 if t < S3_EIGEN_TIME => return Ok(s3_radial(theta, t)),
            2 | 3 => {}
            _ => {
                let cauchy = || {
                    if t < CAUCHY_MIN_TIME {
                        Err(below_range(d, t, CAUCHY_MIN_TIME))
                    } else if d % 2 == 1 {
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
                let first = if cauchy_first {
                    cauchy()
                } else {
                    promising_eigen()
                };
                if let Ok(e) = &first {
                    if meets(e) {
                        return Ok(*e);
                    }
                }
                let second = if cauchy_first {
                    promising_eigen()
                } else {
                    cauchy()
                };
                if let Ok(e) = &second {
                    if meets(e) {
                        return Ok(*e);
                    }
                }
                // Neither meets the tolerance: the smallest estimate, the first-order
                // asymptotic term included (module docs). The series skipped for a tolerance
                // below its rounding floor (16ε) is tried against the accuracy bar instead.
                let relaxed = if self.eigen_is_promising(theta, t, self.tolerance) {
                    Err(Error::Numerical {
                        method: "sphere heat kernel, Gegenbauer series",
                        detail: "already tried".into(),
                    })
                } else if self.eigen_is_promising(theta, t, EIGEN_MAX_RELATIVE_ERROR) {
                    eigen()
                } else {
                    Err(Error::Numerical {
                        method: "sphere heat kernel, Gegenbauer series",
                        detail: "not tried: predicted to miss the accuracy bar".into(),
                    })
                };
                return self.best_of(theta, t, [first, second, relaxed, Ok(gaussian)]);
            }
        }
        // S² for t ≥ 0.5, S³ for t ≥ 2: the Gegenbauer series (≤ 15 and ≤ 9 terms).
        self.best_of(theta, t, [eigen(), Ok(gaussian)])
    }

    /// The cost model of the Gegenbauer series (module docs): it is tried only if its predicted
    /// rounding error, `16ε p_t(0)/p_t(θ)` (its terms are bounded by those at θ = 0; the ratio
    /// from the Gaussian `θ²/2t − m ln(θ/sin θ)`), is below the tolerance and its predicted
    /// length `(√d + √83)/√t` (the peak of the weights at `l ≈ √(d/t)`, then `√(83/t)` to
    /// truncation) within [`GEGENBAUER_TERM_BUDGET`].
    fn eigen_is_promising(&self, theta: f64, t: f64, tolerance: f64) -> bool {
        let d = self.sphere.dim() as f64;
        let m = 0.5 * (d - 1.0);
        let log_ratio = theta * theta / (2.0 * t) - m * log_theta_over_sin(theta);
        let terms = (d.sqrt() + 83f64.sqrt()) / t.sqrt();
        16.0 * f64::EPSILON * log_ratio.min(700.0).exp() <= tolerance
            && terms <= GEGENBAUER_TERM_BUDGET
    }

    /// Where no estimator meets the tolerance: the evaluation with the smallest error estimate,
    /// reported with it, if that estimate is within the crate's accuracy bar
    /// [`EIGEN_MAX_RELATIVE_ERROR`]; otherwise an error that says so (no silently wrong value).
    fn best_of<const N: usize>(
        &self,
        theta: f64,
        t: f64,
        candidates: [Result<RadialEvaluation>; N],
    ) -> Result<RadialEvaluation> {
        let best = candidates
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| !e.error_estimate.is_nan())
            .min_by(|a, b| a.error_estimate.total_cmp(&b.error_estimate));
        match best {
            Some(e) if e.error_estimate <= EIGEN_MAX_RELATIVE_ERROR => Ok(e),
            best => Err(Error::Numerical {
                method: "sphere heat kernel, Auto",
                detail: format!(
                    "no estimator reaches the accuracy bar {EIGEN_MAX_RELATIVE_ERROR:e} on S{} \
                     at t = {t:e}, theta = {theta} (best estimate {})",
                    self.sphere.dim(),
                    best.map_or("none".to_string(), |e| format!(
                        "{:e} by {}",
                        e.error_estimate, e.estimator
                    ))
                ),
            }),
        }
    }

    /// Writes the unit tangent `u` at `x` pointing away from `x0`: `P_x(−x0)` normalised, with
    /// `P_x v = v − ⟨v, x⟩x` applied twice (once as `⟨x0, x⟩x − x0`, once more on the rounded
    /// result, so that `u` is tangent to rounding even when it is formed by cancellation near
    /// `x = −x0`). Zero at `x = x0`, and at `x = −x0` to within rounding (`|P_x x0| ≤ 64ε`):
    /// there the direction is undetermined by the f64 input, and the symmetric answer is zero.
    /// (Near `x0` a direction of size `θ ≪ ε` is kept: the score `≈ −θ/t` may be large.)
    fn direction(&self, x0: &[f64], x: &[f64], u: &mut [f64]) {
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
        let c = dot(x0, x);
        for i in 0..u.len() {
            u[i] = c * x[i] - x0[i];
        }
        let again = dot(u, x);
        for (ui, xi) in u.iter_mut().zip(x) {
            *ui -= again * xi;
        }
        let s = dot(u, u).sqrt();
        if s > 64.0 * f64::EPSILON || (c > 0.0 && s > 0.0) {
            u.iter_mut().for_each(|v| *v /= s);
        } else {
            u.iter_mut().for_each(|v| *v = 0.0);
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
        check_representable(&self.sphere, x0, x, t, r.into(), None)
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_inputs(&self.sphere, x0, x, t)?;
        check_len("score", score.len(), self.sphere.ambient_dim())?;
        // The same θ as `log_prob`, so both entry points return bit-identical log p.
        let r = self.log_prob_angle(self.sphere.distance(x0, x), t)?;
        self.direction(x0, x, score);
        // θ = 0 (or π) has the zero direction: the score is 0 there, even where ∂_θ log p
        // overflows (tiny t) and 0·∞ would be NaN.
        if score.iter().any(|v| *v != 0.0) {
            score.iter_mut().for_each(|v| *v *= r.dlog_prob_dtheta);
        }
        check_representable(&self.sphere, x0, x, t, r.into(), Some(score))
    }
}
