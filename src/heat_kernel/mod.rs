//! Heat kernels `p_t(x₀, x)` of `∂_t p = ½ Δ p` on tori, spheres and the compact Lie groups
//! SO(n), SU(n), U(n), with their scores.
//!
//! Conventions (binding, [`crate::conventions`]): `t` is Brownian time (flat space: `p_t = N(x₀, tI)`,
//! eigen factors `e^{−λt/2}`); densities are w.r.t. the Riemannian volume; the score is the
//! Riemannian gradient `∇_x log p_t(x₀, x)` w.r.t. the second argument, as an ambient tangent vector.
//!
//! One trait, [`HeatKernel`]; one vocabulary of estimators, [`KernelMethod`], taken by every
//! constructor:
//!
//! | kernel | methods |
//! |---|---|
//! | [`TorusHeatKernel`] (`T^d`, product of circles) | [`KernelMethod::Eigen`] (Fourier series), [`KernelMethod::SumOverPaths`] (wrapped Gaussian), [`KernelMethod::Auto`] |
//! | [`SphereHeatKernel`] (`S^d`, radial in the geodesic angle θ) | [`KernelMethod::Eigen`] (Gegenbauer series), [`KernelMethod::SumOverPaths`] (exact: path sums `d ≤ 3`, the `∂_c` recursion for `d ≥ 4`), [`KernelMethod::Varadhan`], [`KernelMethod::SchwingerDeWitt`], [`KernelMethod::Auto`] |
//! | [`ProductHeatKernel`] (`M₁ × … × M_k`) | the product of the factors' kernels (each with its own method) |
//! | [`GroupHeatKernel`] (SO(n), SU(n), U(n), class function of the maximal-torus coordinates) | [`KernelMethod::Eigen`] (the character expansion, [`CharacterSeries`]), [`KernelMethod::SumOverPaths`] (lattice paths, wall-regularised), [`KernelMethod::Varadhan`], [`KernelMethod::SchwingerDeWitt`], [`KernelMethod::Auto`] |
//!
//! [`crate::registry::Registry::heat_kernel`] builds any of them from a manifold and a
//! [`KernelMethod`] (the names `rdiff kernel` accepts); [`crate::registry::auto_kernel`] gives
//! the `Auto` kernel of a manifold. `Auto`'s relative tolerance of `p` is
//! [`DEFAULT_AUTO_TOLERANCE`] unless set with `with_tolerance` (validated by
//! [`check_auto_tolerance`], at least [`MIN_AUTO_TOLERANCE`]).
//!
//! Every evaluation ([`KernelEvaluation`]) reports the number of series terms (or quadrature
//! nodes) it used, the estimator that produced it (`Auto` reports what it picked) and an
//! estimate of its error ([`KernelEvaluation::error_estimate`]; the table there says what it
//! is per estimator). The formulas, their derivations, accuracy and cost are documented
//! in the estimator modules: [`circle`] (Fourier / wrapped Gaussian), [`gegenbauer`] (eigen
//! series on `S^d`), [`sphere3`] (exact `S³` path sum), [`hopf`] (`S²` from `S³` through the
//! Hopf fibration), [`odd_sphere`] / [`even_sphere`] (exact small-time kernels of `S^d`, `d ≥ 4`),
//! [`asymptotic`] (Varadhan, Schwinger–DeWitt), [`group`] (paths, walls, `Auto` on groups),
//! [`character_series`]; the `Auto` rules and measured accuracy are in the docs of the
//! [`torus`], [`sphere`] and [`group`] modules.
//!
//! For DSM targets: draw `x ~ p_t(x₀, ·)` with [`crate::sampling`], then [`HeatKernel::score`]
//! (or [`HeatKernel::score_batch`]) gives `∇_x log p_t(x₀, x)` exactly (to `~1e-12` for `d ≤ 3`).

pub mod asymptotic;
pub mod character_series;
pub mod circle;
pub mod even_sphere;
pub mod gegenbauer;
pub mod group;
pub mod hopf;
pub mod method;
pub mod odd_sphere;
pub mod product;
pub mod sphere;
pub mod sphere3;
pub mod torus;

pub use character_series::{CharacterSeries, CharacterSum};
pub use circle::{circle_log_prob, MAX_FOURIER_TERMS};
pub use gegenbauer::{EIGEN_MAX_RELATIVE_ERROR, MAX_GEGENBAUER_TERMS};
pub use group::GroupHeatKernel;
pub use method::{check_auto_tolerance, KernelMethod, DEFAULT_AUTO_TOLERANCE, MIN_AUTO_TOLERANCE};
pub use product::ProductHeatKernel;
pub use sphere::SphereHeatKernel;
pub use torus::TorusHeatKernel;

use crate::error::{check_len, check_time, Error, Num, Result};
use crate::manifold::{central_difference_divergence, Manifold, MEMBERSHIP_TOLERANCE};
use rayon::prelude::*;

/// The value of `log p_t(x₀, x)`, the number of terms the estimator summed, which estimator
/// answered and how accurate it is.
///
/// # The error estimate
/// [`KernelEvaluation::error_estimate`] estimates the relative error of `p`, i.e. the absolute
/// error of `log p`, of this evaluation. It leaves out the rounding common to every f64
/// method, which no estimator can avoid: the representation of `log p` and of the normalising
/// constants (`≈ ε·(|log p| + |log Vol M|)`) and the rounding of the Gaussian exponent
/// `d(x₀, x)²/2t` formed from f64 inputs (`≈ ε·d²/2t`; on the groups, the conditioning
/// `ε|H|²/t` of the kernel in the f64 matrix). `Auto` meets its tolerance exactly when this
/// estimate is below it. What it is, per estimator (`ε = f64::EPSILON`):
///
/// | estimator | `error_estimate` |
/// |---|---|
/// | circle / torus `SumOverPaths` (wrapped Gaussian, [`circle`]) | `(2K + 4)ε` (a sum of positive terms) + the rigorous bound `2e^{−41.5}/(1 − q)` of the omitted images |
/// | circle / torus `Eigen` (Fourier, [`circle`]) | rounding `4ε(N+1)Σ\|terms\|/S` + the rigorous tail bound `2e^{−(N+1)²t/2}/((1 − e^{−(2N+3)t/2}) S)` |
/// | sphere `Eigen` (Gegenbauer, [`gegenbauer`]) | rounding `ε Σ(l+2)\|terms\|/S` + the rigorous tail bound `w_L q/((1 − q) S)` + the rounding of the node `x = cos θ`, `ε\|x S′(x)/S\|` |
/// | `S³` `SumOverPaths` ([`sphere3`]) | `4ε(1 + Σ\|terms\|/\|B\|)` (cancellation in the bracket `B`) + `2e^{−50}/\|B\|` (omitted pairs) |
/// | `S²` `SumOverPaths` (Hopf quadrature, [`hopf`]) | the largest `S³` node estimate + `(nodes + 4)ε` + `2e-17` (aliasing, stopped nodes) + the sensitivity to the rounded node angles |
/// | `S^d`, `d ≥ 4`, `SumOverPaths` (Cauchy recursions, [`odd_sphere`], [`even_sphere`]) | the a-posteriori estimate of the Cauchy integrals: rounding `4ε(n+11)Σ\|samples\|/\|Σ\|` + Cauchy's bound on the aliasing (for even `d` the largest over the α nodes) |
/// | sphere `Varadhan`, `SchwingerDeWitt` ([`asymptotic`]) | the neglected terms of the Minakshisundaram–Pleijel expansion through `O(t²)` (exact coefficients `a₁(θ)`, `c₂(θ)`), plus `\|c₂\|t²` for the higher orders, plus the second geodesic (formulas in [`asymptotic`]) |
/// | group `Eigen` (characters, [`group::characters`]) | `(rounding_bound + tail_bound)/S` ([`CharacterSum`]: rounding estimate plus the rigorous truncation bound) + on SO(n) the rounding of the nodes `cos φ_b`, `ε Σ_b \|∂_{φ_b} log f · cot φ_b\|` |
/// | group `SumOverPaths` ([`group::paths`]) | rounding `ε Σ\|T\|/ΣT` + truncation `tol·e^{−10}(#paths + 1)/ΣT` + on a wall contour the aliasing `1e-18 Σ\|T\|/ΣT` |
/// | group `Varadhan`, `SchwingerDeWitt` ([`group::asymptotic`]) | `\|Σ_α ln φ(α(H_min)) + \|ρ\|²t/2\|` (Varadhan only; exact) + the omitted paths `Σ_{γ≠0}\|T(H+γ)\|/T(H_min)` (walls regularised) |
/// | [`ProductHeatKernel`], [`TorusHeatKernel`] (over the circles) | the sum of the factors' estimates (first order in the errors); the estimator is that of the factor with the largest estimate |
///
/// `f64::INFINITY` where nothing can be said (the asymptotic formulas at the cut locus).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelEvaluation {
    /// `log p_t(x₀, x)`, density w.r.t. the Riemannian volume.
    pub log_prob: f64,
    /// Number of series terms / paths / quadrature nodes used (summed over coordinates on `T^d`).
    pub terms: usize,
    /// The estimator that produced the value: never [`KernelMethod::Auto`] (`Auto` reports the
    /// estimator it picked at this `(t, x)`); on products, the factor with the largest error
    /// estimate.
    pub estimator: KernelMethod,
    /// Estimated relative error of `p` (absolute error of `log p`) of this evaluation; see the
    /// [type docs](KernelEvaluation#the-error-estimate).
    pub error_estimate: f64,
}

impl From<RadialEvaluation> for KernelEvaluation {
    fn from(r: RadialEvaluation) -> Self {
        KernelEvaluation {
            log_prob: r.log_prob,
            terms: r.terms,
            estimator: r.estimator,
            error_estimate: r.error_estimate,
        }
    }
}

/// A radial kernel evaluated at a geodesic distance: `log p`, its derivative in the distance,
/// terms used, the estimator and its error estimate (as in [`KernelEvaluation`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RadialEvaluation {
    /// `log p_t(θ)`, density w.r.t. the Riemannian volume.
    pub log_prob: f64,
    /// `∂_θ log p_t(θ)`: the component of the score along the unit geodesic direction pointing away from `x₀`.
    pub dlog_prob_dtheta: f64,
    /// Number of series terms / paths / quadrature nodes used.
    pub terms: usize,
    /// The estimator that produced the value (never [`KernelMethod::Auto`]).
    pub estimator: KernelMethod,
    /// Estimated relative error of `p` ([`KernelEvaluation::error_estimate`]).
    pub error_estimate: f64,
}

/// Accumulates the evaluations of the factors of a product kernel (`T^d` as a product of
/// circles, [`ProductHeatKernel`]): `log p`, terms and error estimates add up (the errors to
/// first order); the estimator is that of the factor with the largest error estimate (the
/// first one on ties).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ProductEvaluation {
    log_prob: f64,
    terms: usize,
    error_estimate: f64,
    /// The estimator and error estimate of the least accurate factor so far.
    worst: Option<(KernelMethod, f64)>,
}

impl ProductEvaluation {
    /// Adds one factor's evaluation.
    pub(crate) fn push(&mut self, factor: KernelEvaluation) {
        self.log_prob += factor.log_prob;
        self.terms += factor.terms;
        self.error_estimate += factor.error_estimate;
        // A NaN estimate (never produced) wins rather than being silently dropped.
        let larger = match self.worst {
            None => true,
            Some((_, worst)) => factor.error_estimate > worst || factor.error_estimate.is_nan(),
        };
        if larger {
            self.worst = Some((factor.estimator, factor.error_estimate));
        }
    }

    /// The product's evaluation. An empty product is the constant 1 (`log p = 0`), exactly.
    pub(crate) fn finish(self) -> KernelEvaluation {
        KernelEvaluation {
            log_prob: self.log_prob,
            terms: self.terms,
            estimator: self.worst.map_or(KernelMethod::Eigen, |w| w.0),
            error_estimate: self.error_estimate,
        }
    }
}

/// Rows of the batched entry points processed per rayon task (fixed, so results never depend on the thread count).
pub const BATCH_CHUNK_ROWS: usize = 256;

/// A heat kernel `p_t(x₀, x)` of `∂_t p = ½ Δ p` on a manifold, with its score.
///
/// Implementations validate their input: `t` must be finite and `> 0`, points must have the
/// ambient length and lie on the manifold to within [`MEMBERSHIP_TOLERANCE`].
pub trait HeatKernel: Send + Sync {
    /// The manifold the kernel lives on.
    fn manifold(&self) -> &dyn Manifold;

    /// `log p_t(x₀, x)` w.r.t. the Riemannian volume, and the number of terms used.
    ///
    /// Every finite `t > 0` is accepted, from `5e-324` to `f64::MAX`: at small `t` the kernel
    /// is the Gaussian `(2πt)^{−dim/2} e^{−d²/2t}` (returned as such where that is exact to
    /// f64), at large `t` the uniform density `1/Vol M`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `t ≤ 0` or NaN, [`Error::DimensionMismatch`] /
    /// [`Error::NonFinite`] / [`Error::NotOnManifold`] for bad points, [`Error::Numerical`]
    /// when an explicitly chosen estimator cannot deliver any accuracy at this `(t, x)`, when
    /// `Auto` has no estimator within the crate's accuracy bar there; [`Error::OutOfRange`] when
    /// the value itself is beyond the f64 range (`log p ≈ −d²/2t < −f64::MAX`, e.g.
    /// `t = 1e-310`, `d = 1`).
    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation>;

    /// The score `∇_x log p_t(x₀, x)` (Riemannian gradient, ambient coordinates) written into
    /// `score`; returns `log p_t(x₀, x)` as well.
    ///
    /// # Errors
    /// As [`HeatKernel::log_prob`] (a score of size `≈ d/t` beyond the f64 range included), plus
    /// [`Error::DimensionMismatch`] if `score` has the wrong length.
    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation>;

    /// `Δ_x log p_t(x₀, x)`, the Laplace–Beltrami operator of the log-density in `x` (used by
    /// [`crate::mixture::HeatKernelMixture::divergence`] where the heat-equation form cancels).
    ///
    /// Default: central differences of [`HeatKernel::score`] along geodesics through an
    /// orthonormal tangent basis at `x`, `Σ_k ⟨e_k, (s(exp_x(h e_k)) − s(exp_x(−h e_k)))/2h⟩`
    /// with `h = 10⁻⁴` (the tangential part of the ambient derivative is the covariant one on an
    /// embedded submanifold): `2·dim` score evaluations, `≈ 10⁻⁸` relative for a score that
    /// varies on the scale of the manifold (at small `t` it is `≈ −log_x(x₀)/t` plus a smooth
    /// part). Products sum their factors' Laplacians and the torus its circles', so their cost
    /// stays linear in the dimension.
    ///
    /// # Errors
    /// As [`HeatKernel::score`] at `x` and at the shifted points.
    fn laplacian_log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<f64> {
        let m = self.manifold();
        check_inputs(m, x0, x, t)?;
        let n = m.ambient_dim();
        central_difference_divergence(m, x, LAPLACIAN_STEP, |points, values| {
            for (y, s) in points.chunks_exact(n).zip(values.chunks_exact_mut(n)) {
                self.score(x0, y, t, s)?;
            }
            Ok(())
        })
    }

    /// Batched [`HeatKernel::log_prob`]: `x` holds `n` rows; `x0` holds one row (shared) or `n`
    /// rows; `t` holds one time (shared) or `n` times. Writes `log p` of row `i` into `out[i]`
    /// and returns the largest number of terms used by any row. Parallel over fixed chunks of
    /// [`BATCH_CHUNK_ROWS`] rows.
    ///
    /// # Errors
    /// As [`HeatKernel::log_prob`] (the first failing row is reported), and
    /// [`Error::DimensionMismatch`] for inconsistent batch shapes.
    fn log_prob_batch(&self, x0: &[f64], x: &[f64], t: &[f64], out: &mut [f64]) -> Result<usize> {
        let n = self.manifold().ambient_dim();
        let rows = batch_rows(n, x0, x, t)?;
        check_len("log_prob output", out.len(), rows)?;
        let terms = out
            .par_chunks_mut(BATCH_CHUNK_ROWS)
            .enumerate()
            .map(|(chunk, out)| {
                let mut max_terms = 0;
                for (j, o) in out.iter_mut().enumerate() {
                    let i = chunk * BATCH_CHUNK_ROWS + j;
                    let e = self.log_prob(row(x0, n, i), row(x, n, i), time(t, i))?;
                    *o = e.log_prob;
                    max_terms = max_terms.max(e.terms);
                }
                Ok(max_terms)
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(terms.into_iter().max().unwrap_or(0))
    }

    /// Batched [`HeatKernel::score`] with the same broadcasting rules as
    /// [`HeatKernel::log_prob_batch`]: scores into the rows of `scores` (`n × ambient_dim`),
    /// and `log p` into `log_probs` when given. Returns the largest number of terms used.
    ///
    /// # Errors
    /// As [`HeatKernel::log_prob_batch`].
    fn score_batch(
        &self,
        x0: &[f64],
        x: &[f64],
        t: &[f64],
        scores: &mut [f64],
        log_probs: Option<&mut [f64]>,
    ) -> Result<usize> {
        let n = self.manifold().ambient_dim();
        let rows = batch_rows(n, x0, x, t)?;
        check_len("score output", scores.len(), rows * n)?;
        let mut scratch;
        let log_probs = match log_probs {
            Some(l) => {
                check_len("log_prob output", l.len(), rows)?;
                l
            }
            None => {
                scratch = vec![0.0; rows];
                &mut scratch[..]
            }
        };
        let terms = scores
            .par_chunks_mut(BATCH_CHUNK_ROWS * n)
            .zip(log_probs.par_chunks_mut(BATCH_CHUNK_ROWS))
            .enumerate()
            .map(|(chunk, (s, l))| {
                let mut max_terms = 0;
                for (j, (si, li)) in s.chunks_exact_mut(n).zip(l.iter_mut()).enumerate() {
                    let i = chunk * BATCH_CHUNK_ROWS + j;
                    let e = self.score(row(x0, n, i), row(x, n, i), time(t, i), si)?;
                    *li = e.log_prob;
                    max_terms = max_terms.max(e.terms);
                }
                Ok(max_terms)
            })
            .collect::<Result<Vec<usize>>>()?;
        Ok(terms.into_iter().max().unwrap_or(0))
    }
}

/// Number of rows of a broadcast batch `(x0, x, t)`; see [`HeatKernel::log_prob_batch`].
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x` is not a whole number of rows, or `x0` / `t` are neither
/// one row / one value nor `n` rows / values.
pub fn batch_rows(ambient_dim: usize, x0: &[f64], x: &[f64], t: &[f64]) -> Result<usize> {
    if ambient_dim == 0 || x.len() % ambient_dim != 0 {
        return Err(Error::DimensionMismatch {
            what: "batch of points x (length must be a multiple of the ambient dimension)",
            expected: ambient_dim * (x.len() / ambient_dim.max(1) + 1),
            found: x.len(),
        });
    }
    let rows = x.len() / ambient_dim;
    if x0.len() != ambient_dim && x0.len() != x.len() {
        return Err(Error::DimensionMismatch {
            what: "batch of origins x0 (one row, or as many rows as x)",
            expected: x.len(),
            found: x0.len(),
        });
    }
    if t.len() != 1 && t.len() != rows {
        return Err(Error::DimensionMismatch {
            what: "batch of times t (one value, or one per row of x)",
            expected: rows,
            found: t.len(),
        });
    }
    Ok(rows)
}

#[inline]
pub(crate) fn row(buf: &[f64], n: usize, i: usize) -> &[f64] {
    if buf.len() == n {
        buf
    } else {
        &buf[i * n..(i + 1) * n]
    }
}

#[inline]
pub(crate) fn time(t: &[f64], i: usize) -> f64 {
    if t.len() == 1 {
        t[0]
    } else {
        t[i]
    }
}

/// Geodesic step of the central differences of [`HeatKernel::laplacian_log_prob`].
pub(crate) const LAPLACIAN_STEP: f64 = 1e-4;

/// Validates `(x0, x, t)` for a kernel on `manifold`.
pub(crate) fn check_inputs(manifold: &dyn Manifold, x0: &[f64], x: &[f64], t: f64) -> Result<()> {
    check_time(t)?;
    manifold.check_point(x0, MEMBERSHIP_TOLERANCE)?;
    manifold.check_point(x, MEMBERSHIP_TOLERANCE)
}

/// Returns `evaluation` if `log p` (and every component of `score`, when given) is a finite
/// f64; otherwise the error that says the value does not exist in f64.
///
/// At small `t` the kernel is the Gaussian `(2πt)^{−dim/2} e^{−d²/2t}` and its score has size
/// `d/t` (`d = d(x₀, x)`): for `t = 1e-310`, `d = 1`, `log p ≈ −5e309` lies below `−f64::MAX`,
/// and the score overflows already where `d/t > 1.8e308`. Every estimator computes these
/// leading terms as `±∞` there; no finite f64 is right, so the entry points return
/// [`Error::OutOfRange`] naming the quantity, `t` and `d` instead (never `±∞` or NaN).
///
/// # Errors
/// [`Error::OutOfRange`] as above.
pub(crate) fn check_representable(
    manifold: &dyn Manifold,
    x0: &[f64],
    x: &[f64],
    t: f64,
    evaluation: KernelEvaluation,
    score: Option<&[f64]>,
) -> Result<KernelEvaluation> {
    let score_ok = score.is_none_or(|s| s.iter().all(|v| v.is_finite()));
    if evaluation.log_prob.is_finite() && score_ok {
        // An error estimate that cannot be formed (an `∞ − ∞` among its terms at extreme t)
        // says nothing: reported as `∞`, never NaN.
        let mut evaluation = evaluation;
        if evaluation.error_estimate.is_nan() {
            evaluation.error_estimate = f64::INFINITY;
        }
        return Ok(evaluation);
    }
    let d = manifold.distance(x0, x);
    Err(beyond_range(
        &manifold.spec().to_string(),
        t,
        d,
        evaluation.log_prob.is_finite(),
    ))
}

/// The error of [`check_representable`]: `log p ≈ −d²/2t` (or, if `score_only`, the score of
/// size `≈ d/t`) beyond the f64 range on `place` at `t`.
pub(crate) fn beyond_range(place: &str, t: f64, d: f64, score_only: bool) -> Error {
    let what = if score_only {
        format!("the score (size ≈ d/t = {:.3e})", d / t)
    } else {
        format!("log p (≈ −d²/2t = {:.3e})", -0.5 * d * (d / t))
    };
    Error::OutOfRange {
        what: format!("heat kernel {what}"),
        detail: format!(
            "on {place} at t = {}, d(x0, x) = {}: no finite f64 value exists (larger t, or x \
             closer to x0, give finite values)",
            Num(t),
            Num(d)
        ),
    }
}
