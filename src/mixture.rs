//! The exact score of a data set noised by the heat kernel (a heat-kernel mixture).
//!
//! For data points `x_1, …, x_N` and kernel time `t`, the noised law is
//!
//! `p_t(x) = (1/N) Σ_i p_t(x_i, x)`,
//!
//! with `p_t(x_i, ·)` the heat kernel of `∂_t p = ½ Δ p` (crate convention). It is the
//! law of the forward diffusion started from the empirical distribution, so its score
//! is the ideal (Bayes-optimal) denoising score-matching target and gives an exact,
//! training-free [`ScoreField`] for end-to-end tests of samplers and likelihoods.
//!
//! - `log p_t(x) = LSE_i(ℓ_i) − ln N` with `ℓ_i = log p_t(x_i, x)` (log-sum-exp, stable
//!   when every `p_t(x_i, x)` underflows);
//! - score `s = ∇ log p_t = Σ_i w_i ∇ℓ_i`, softmax weights `w_i = e^{ℓ_i − LSE}`;
//! - divergence from the heat equation: since `Δ p = 2 ∂_t p`,
//!   `div s = Δ log p = Δp/p − |∇ log p|² = 2 ∂_t log p_t(x) − |s|²`,
//!   with `∂_t log p` by a fourth-order central difference in `u = ln t`
//!   (`η = 2·10⁻³`: truncation `η⁴/30 · |∂_u⁵ log p| ≈ 5·10⁻¹³ |∂_u log p|` for the
//!   Gaussian-like `log p ≈ −θ²/2t`; round-off `≈ 10⁻¹⁵|log p|/η`). Cost `4N` kernel
//!   evaluations plus the score (`N`), independent of the dimension, instead of
//!   `2 d N` score evaluations for the generic finite-difference divergence. Accurate
//!   to the kernel's own accuracy divided by `η` (`≈ 10⁻¹¹` relative for exact
//!   estimators); if an `Auto` kernel switches estimator inside `[t e^{−2η}, t e^{2η}]`
//!   the jump between the two estimators is amplified by `1/η` too.
//!
//!   At small `t` away from the data both terms are `≈ d²/t²` while their difference is
//!   `≈ −dim/t`, so the heat-equation form cancels (and overflows to NaN once `d/t` passes
//!   `10¹⁵⁴`). There the divergence uses `div s = Σ_i w_i Δℓ_i + Σ_i w_i |∇ℓ_i − s|²`
//!   (differentiate `s = Σ w_i ∇ℓ_i`, with `∇w_i = w_i(∇ℓ_i − s)`), each `Δℓ_i` by central
//!   differences of the component's score (`≈ 10⁻⁸` relative): no term cancels.

use crate::error::{check_len, check_time, Error, Num, Result};
use crate::heat_kernel::HeatKernel;
use crate::manifold::{check_batch, Manifold, MEMBERSHIP_TOLERANCE};
use crate::score::{check_batch_shapes, time, ScoreField};
use rayon::prelude::*;

/// Rows per rayon task in the batched methods (fixed: results do not depend on the thread count).
const CHUNK_ROWS: usize = 64;

/// Step in `u = ln t` of the finite difference for `∂_t log p` (see the module docs).
const LOG_TIME_STEP: f64 = 2e-3;

/// The heat-equation divergence is used while `t·Σ w_i |∇ℓ_i|² / dim` (how much larger the two
/// cancelling terms are than the result) is at most this; its relative error is then
/// `≲ 10⁻¹¹ · 10³ = 10⁻⁸`, the spatial route's accuracy.
const HEAT_EQUATION_MAX_RATIO: f64 = 1e3;

/// Components lighter than this leave their Laplacian out of the spatial divergence (a share of
/// at most this fraction of their own `Δℓ_i ≈ −dim/t`); their spread term is always kept.
const MIN_SPATIAL_WEIGHT: f64 = 1e-18;

/// `p_t(x) = (1/N) Σ_i p_t(x_i, x)`: a data set of `N` points noised by a heat kernel.
pub struct HeatKernelMixture {
    kernel: Box<dyn HeatKernel>,
    points: Vec<f64>,
    count: usize,
}

impl std::fmt::Debug for HeatKernelMixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeatKernelMixture")
            .field("manifold", &self.kernel.manifold().spec())
            .field("count", &self.count)
            .finish()
    }
}

impl HeatKernelMixture {
    /// The mixture of `kernel` centred at the rows of `points` (row-major, ambient coordinates).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an empty data set; [`Error::DimensionMismatch`],
    /// [`Error::NonFinite`] or [`Error::NotOnManifold`] for bad rows (see [`check_batch`]).
    pub fn new(kernel: Box<dyn HeatKernel>, points: Vec<f64>) -> Result<Self> {
        if points.is_empty() {
            return Err(Error::invalid("points", "[]", "at least one data point"));
        }
        let count = check_batch(kernel.manifold(), &points, MEMBERSHIP_TOLERANCE)?;
        Ok(HeatKernelMixture {
            kernel,
            points,
            count,
        })
    }

    /// The data points (row-major).
    pub fn points(&self) -> &[f64] {
        &self.points
    }

    /// Number of data points `N`.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Always `false` (a mixture has at least one point).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The heat kernel.
    pub fn kernel(&self) -> &dyn HeatKernel {
        self.kernel.as_ref()
    }

    fn center(&self, i: usize) -> &[f64] {
        let n = self.kernel.manifold().ambient_dim();
        &self.points[i * n..(i + 1) * n]
    }

    /// `log p_t(x) = LSE_i log p_t(x_i, x) − ln N`.
    ///
    /// A component whose own value is beyond the f64 range ([`Error::OutOfRange`], e.g. a
    /// far centre at `t = 1e-310`) is the exact `−∞` term of the log-sum-exp.
    ///
    /// # Errors
    /// As [`HeatKernel::log_prob`] (bad `x`, `t ≤ 0`, estimator failure);
    /// [`Error::OutOfRange`] if every component is beyond the f64 range.
    pub fn log_prob(&self, x: &[f64], t: f64) -> Result<f64> {
        let mut logs = Vec::with_capacity(self.count);
        for i in 0..self.count {
            logs.push(match self.kernel.log_prob(self.center(i), x, t) {
                Ok(e) => e.log_prob,
                Err(Error::OutOfRange { .. }) => f64::NEG_INFINITY,
                Err(e) => return Err(e),
            });
        }
        let lse = log_sum_exp(&logs);
        if lse == f64::NEG_INFINITY {
            return Err(self.beyond_range(x, t));
        }
        Ok(lse - (self.count as f64).ln())
    }

    /// The error for a mixture whose every component is beyond the f64 range at `(x, t)`.
    fn beyond_range(&self, x: &[f64], t: f64) -> Error {
        let m = self.kernel.manifold();
        let nearest = (0..self.count)
            .map(|i| m.distance(self.center(i), x))
            .fold(f64::INFINITY, f64::min);
        let place = format!("{} (nearest of {} mixture points)", m.spec(), self.count);
        crate::heat_kernel::beyond_range(&place, t, nearest, false)
    }

    /// Batched [`HeatKernelMixture::log_prob`] over the rows of `x` into `out`, with `t` one
    /// time for all rows or one per row (the shapes of [`ScoreField::score_batch`]).
    ///
    /// # Errors
    /// As [`HeatKernelMixture::log_prob`]; [`Error::DimensionMismatch`] for bad shapes.
    pub fn log_prob_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        self.per_row(x, t, out, |xi, ti| self.log_prob(xi, ti))
    }

    /// Applies `f(x_i, t_i)` to every row, in parallel over fixed chunks, into `out[i]`.
    fn per_row(
        &self,
        x: &[f64],
        t: &[f64],
        out: &mut [f64],
        f: impl Fn(&[f64], f64) -> Result<f64> + Sync,
    ) -> Result<()> {
        let n = self.kernel.manifold().ambient_dim();
        let rows = check_batch_shapes(self.kernel.manifold(), x, t)?;
        check_len("output (one value per row)", out.len(), rows)?;
        out.par_chunks_mut(CHUNK_ROWS)
            .zip(x.par_chunks(CHUNK_ROWS * n))
            .enumerate()
            .try_for_each(|(chunk, (o, xs))| {
                for (j, (oi, xi)) in o.iter_mut().zip(xs.chunks_exact(n)).enumerate() {
                    *oi = f(xi, time(t, chunk * CHUNK_ROWS + j))?;
                }
                Ok(())
            })
    }

    /// Every component's `ℓ_i = log p_t(x_i, x)`, score `∇ℓ_i` and softmax weight
    /// `w_i = e^{ℓ_i − LSE}`. A component beyond the f64 range gets `ℓ_i = −∞`, `w_i = 0` and a
    /// zero score; one whose log p is finite but whose score overflows is an error only if its
    /// weight is not zero in f64 (otherwise it contributes exactly nothing).
    fn components(&self, x: &[f64], t: f64) -> Result<Components> {
        let n = self.kernel.manifold().ambient_dim();
        let mut scores = vec![0.0; self.count * n];
        let mut logs = Vec::with_capacity(self.count);
        let mut overflowing = Vec::new();
        for (i, s) in scores.chunks_exact_mut(n).enumerate() {
            match self.kernel.score(self.center(i), x, t, s) {
                Ok(e) => logs.push(e.log_prob),
                Err(error @ Error::OutOfRange { .. }) => {
                    s.iter_mut().for_each(|v| *v = 0.0);
                    match self.kernel.log_prob(self.center(i), x, t) {
                        Ok(e) => {
                            logs.push(e.log_prob);
                            overflowing.push((i, error));
                        }
                        Err(Error::OutOfRange { .. }) => logs.push(f64::NEG_INFINITY),
                        Err(e) => return Err(e),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if max == f64::NEG_INFINITY {
            return Err(self.beyond_range(x, t));
        }
        // Weights normalised by their own sum, not by e^{−LSE}: at |ℓ| ≈ 1e284 the LSE's
        // `+ ln N` is lost to rounding, and e^{ℓ_i − LSE} would sum to N (found by the fuzz
        // suite: two equal centres at t = 2.7e-285 gave twice the score).
        let mut weights: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        let lse = max + total.ln();
        if let Some((_, error)) = overflowing.into_iter().find(|(i, _)| weights[*i] > 0.0) {
            return Err(error);
        }
        Ok(Components {
            scores,
            weights,
            lse,
        })
    }

    /// The score `s(x) = Σ_i w_i ∇ log p_t(x_i, x)` into `out`; returns `log p_t(x)`.
    ///
    /// # Errors
    /// As [`HeatKernelMixture::log_prob`] ([`Error::OutOfRange`] also when the score of a
    /// component that carries weight overflows); [`Error::DimensionMismatch`] if `out` has the
    /// wrong length.
    pub fn score(&self, x: &[f64], t: f64, out: &mut [f64]) -> Result<f64> {
        let n = self.kernel.manifold().ambient_dim();
        check_len("score output", out.len(), n)?;
        let c = self.components(x, t)?;
        c.weighted_score(n, out);
        if out.iter().any(|v| !v.is_finite()) {
            return Err(Error::OutOfRange {
                what: "the mixture score".into(),
                detail: format!(
                    "at t = {}: its components of size ≈ d/t overflow when combined (larger t \
                     gives finite values)",
                    Num(t)
                ),
            });
        }
        Ok(c.lse - (self.count as f64).ln())
    }

    /// `div s(x) = Δ log p_t(x)`, by one of two exact identities (module docs):
    ///
    /// - the heat equation, `2 ∂_t log p_t(x) − |s(x)|²` (`4N` kernel evaluations), where the
    ///   difference does not cancel: `t·Σ w_i |∇ℓ_i|² / dim ≤ 10³` (the Gaussian ratio
    ///   `d²/(t·dim)`), keeping its `≈ 10⁻¹¹·(1 + ratio)` relative error below `10⁻⁸`, and `t`
    ///   is a normal f64 (so that `t·e^{±η}` are distinct);
    /// - otherwise (small `t` away from the data, where both terms are `≈ d²/t²` and their
    ///   difference `≈ −dim/t`), `Σ_i w_i Δℓ_i + Σ_i w_i |∇ℓ_i − s|²` with each component's
    ///   `Δℓ_i` by central differences of its score along geodesics (as
    ///   [`ScoreField::divergence_batch`]'s default, `h = 10⁻⁴`; `2·dim` scores per component
    ///   of weight `≥ 10⁻¹⁸`, the lighter ones dropped with their `≤ 10⁻¹⁸` share). No term
    ///   cancels, so it stays finite wherever `dim/t` is.
    ///
    /// # Errors
    /// As [`HeatKernelMixture::score`]; [`Error::OutOfRange`] where `div s ≈ −dim/t` itself
    /// overflows.
    pub fn divergence(&self, x: &[f64], t: f64) -> Result<f64> {
        check_time(t)?;
        let m = self.kernel.manifold();
        let n = m.ambient_dim();
        let c = self.components(x, t)?;
        let mut s = vec![0.0; n];
        c.weighted_score(n, &mut s);
        let spread: f64 = c
            .weights
            .iter()
            .zip(c.scores.chunks_exact(n))
            .filter(|(w, _)| **w > 0.0)
            .map(|(w, si)| w * m.norm_squared(x, si))
            .sum();
        let ratio = t * spread / m.dim() as f64;
        // (Below the normal range, t·e^{±η} would round to t itself: the spatial route.)
        if ratio.is_finite() && ratio <= HEAT_EQUATION_MAX_RATIO && t >= f64::MIN_POSITIVE {
            let div = self.heat_equation_divergence(x, t, m.norm_squared(x, &s))?;
            if div.is_finite() {
                return Ok(div);
            }
        }
        let div = self.spatial_divergence(x, t, &c, &s)?;
        if !div.is_finite() {
            return Err(Error::OutOfRange {
                what: format!(
                    "the mixture divergence (−dim/t = {:.3e} plus the spread of the component \
                     scores Σ w_i|∇ℓ_i − s|²)",
                    -(m.dim() as f64) / t
                ),
                detail: format!(
                    "at t = {}: no finite f64 value exists (larger t gives finite values)",
                    Num(t)
                ),
            });
        }
        Ok(div)
    }

    /// `2 ∂_t log p_t(x) − |s|²`, with `score_norm_squared = |s|²` (module docs).
    fn heat_equation_divergence(&self, x: &[f64], t: f64, score_norm_squared: f64) -> Result<f64> {
        let eta = LOG_TIME_STEP;
        let f = |k: f64| self.log_prob(x, t * (k * eta).exp());
        // f'(u) ≈ [f(u−2η) − 8 f(u−η) + 8 f(u+η) − f(u+2η)] / (12 η), and ∂_t = (1/t) ∂_u;
        // where t·e^{2η} overflows (t near f64::MAX) the fourth-order backward difference
        // [25 f(u) − 48 f(u−η) + 36 f(u−2η) − 16 f(u−3η) + 3 f(u−4η)] / (12 η).
        let du = if (t * (2.0 * eta).exp()).is_finite() {
            (f(-2.0)? - 8.0 * f(-1.0)? + 8.0 * f(1.0)? - f(2.0)?) / (12.0 * eta)
        } else {
            (25.0 * f(0.0)? - 48.0 * f(-1.0)? + 36.0 * f(-2.0)? - 16.0 * f(-3.0)? + 3.0 * f(-4.0)?)
                / (12.0 * eta)
        };
        Ok(2.0 * du / t - score_norm_squared)
    }

    /// `Σ_i w_i Δℓ_i + Σ_i w_i |∇ℓ_i − s|²`, with `s` the mixture score and `Δℓ_i` for the
    /// components of weight at least [`MIN_SPATIAL_WEIGHT`] (module docs).
    fn spatial_divergence(&self, x: &[f64], t: f64, c: &Components, s: &[f64]) -> Result<f64> {
        let m = self.kernel.manifold();
        let n = m.ambient_dim();
        let mut div = 0.0;
        let mut deviation = vec![0.0; n];
        for (i, (w, si)) in c.weights.iter().zip(c.scores.chunks_exact(n)).enumerate() {
            if *w == 0.0 {
                continue;
            }
            for ((d, a), b) in deviation.iter_mut().zip(si).zip(s) {
                *d = a - b;
            }
            // The spread term is cheap and may dominate (|∇ℓ_i − s|² ≈ (Δd/t)² at small t):
            // every component of non-zero weight; the Laplacian (2·dim scores) only above
            // MIN_SPATIAL_WEIGHT.
            div += w * m.norm_squared(x, &deviation);
            if *w >= MIN_SPATIAL_WEIGHT {
                div += w * self.kernel.laplacian_log_prob(self.center(i), x, t)?;
            }
        }
        Ok(div)
    }
}

/// Per-component values of a mixture at one `(x, t)` (see `HeatKernelMixture::components`).
struct Components {
    /// Row `i`: `∇ℓ_i` (zero for a component of weight 0 beyond the f64 range).
    scores: Vec<f64>,
    /// `w_i = e^{ℓ_i − LSE}`.
    weights: Vec<f64>,
    /// `LSE_i ℓ_i` (finite).
    lse: f64,
}

impl Components {
    /// `out = Σ_i w_i ∇ℓ_i` over the components of non-zero weight.
    fn weighted_score(&self, n: usize, out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for (w, s) in self.weights.iter().zip(self.scores.chunks_exact(n)) {
            if *w > 0.0 {
                for (o, v) in out.iter_mut().zip(s) {
                    *o += w * v;
                }
            }
        }
    }
}

/// `ln Σ exp(v_i)`, stable (`−∞` for an empty slice or all `−∞`).
fn log_sum_exp(v: &[f64]) -> f64 {
    let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY || max.is_nan() {
        return max;
    }
    max + v.iter().map(|x| (x - max).exp()).sum::<f64>().ln()
}

impl ScoreField for HeatKernelMixture {
    fn manifold(&self) -> &dyn Manifold {
        self.kernel.manifold()
    }

    /// Exact mixture score, parallel over fixed chunks of rows.
    fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.kernel.manifold().ambient_dim();
        let rows = check_batch_shapes(self.kernel.manifold(), x, t)?;
        check_len("score output", out.len(), rows * n)?;
        out.par_chunks_mut(CHUNK_ROWS * n)
            .zip(x.par_chunks(CHUNK_ROWS * n))
            .enumerate()
            .try_for_each(|(chunk, (o, xs))| {
                for (j, (oi, xi)) in o.chunks_exact_mut(n).zip(xs.chunks_exact(n)).enumerate() {
                    self.score(xi, time(t, chunk * CHUNK_ROWS + j), oi)?;
                }
                Ok(())
            })
    }

    /// Divergence by the heat equation, `2 ∂_t log p − |s|²` (module docs).
    fn divergence_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        self.per_row(x, t, out, |xi, ti| self.divergence(xi, ti))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heat_kernel::{KernelMethod, SphereHeatKernel, TorusHeatKernel};
    use crate::manifold::{Sphere, Torus};
    use crate::random::rng_from_seed;

    fn sphere_mixture() -> HeatKernelMixture {
        let s2 = Sphere::new(2).unwrap();
        let kernel = Box::new(SphereHeatKernel::new(s2, KernelMethod::Eigen));
        let points = vec![0.0, 0.0, 1.0, 0.6, 0.8, 0.0, -0.48, 0.6, -0.64];
        HeatKernelMixture::new(kernel, points).unwrap()
    }

    fn torus_mixture() -> HeatKernelMixture {
        let t2 = Torus::new(2).unwrap();
        let kernel = Box::new(TorusHeatKernel::new(t2, KernelMethod::Auto).unwrap());
        HeatKernelMixture::new(kernel, vec![0.5, 1.0, 3.0, 5.5, 6.0, 2.5]).unwrap()
    }

    /// Score versus central differences of `log p` along geodesics through a tangent basis.
    fn check_score(mix: &HeatKernelMixture, t: f64, seed: u64) {
        let m = mix.manifold();
        let (d, n) = (m.dim(), m.ambient_dim());
        let mut rng = rng_from_seed(seed);
        let (mut x, mut s, mut basis, mut y) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; d * n], vec![0.0; n]);
        for _ in 0..10 {
            m.sample_uniform(&mut rng, &mut x);
            mix.score(&x, t, &mut s).unwrap();
            m.tangent_basis(&x, &mut basis);
            let h = 1e-5;
            for e in basis.chunks_exact(n) {
                let step: Vec<f64> = e.iter().map(|v| h * v).collect();
                m.exp(&x, &step, &mut y);
                let plus = mix.log_prob(&y, t).unwrap();
                let back: Vec<f64> = step.iter().map(|v| -v).collect();
                m.exp(&x, &back, &mut y);
                let minus = mix.log_prob(&y, t).unwrap();
                let fd = (plus - minus) / (2.0 * h);
                let exact = m.inner(&x, e, &s);
                // Truncation h²/6 |∂³ log p| ≲ 1e-10/t³, round-off 1e-16 |log p| / h ≈ 1e-10.
                assert!(
                    (fd - exact).abs() < 1e-6 * (1.0 + exact.abs()),
                    "fd {fd} vs score {exact}"
                );
            }
        }
    }

    #[test]
    fn score_matches_finite_differences_of_log_density() {
        check_score(&sphere_mixture(), 0.3, 1);
        check_score(&torus_mixture(), 0.2, 2);
    }

    /// The heat-equation divergence against the generic geodesic central-difference one.
    fn check_divergence(mix: &HeatKernelMixture, t: f64, seed: u64) {
        let m = mix.manifold();
        let n = m.ambient_dim();
        let mut rng = rng_from_seed(seed);
        let rows = 16;
        let mut x = vec![0.0; rows * n];
        for r in x.chunks_exact_mut(n) {
            m.sample_uniform(&mut rng, r);
        }
        let mut exact = vec![0.0; rows];
        mix.divergence_batch(&x, &[t], &mut exact).unwrap();
        struct Generic<'a>(&'a HeatKernelMixture);
        impl ScoreField for Generic<'_> {
            fn manifold(&self) -> &dyn Manifold {
                self.0.manifold()
            }
            fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
                self.0.score_batch(x, t, out)
            }
        }
        let mut fd = vec![0.0; rows];
        Generic(mix).divergence_batch(&x, &[t], &mut fd).unwrap();
        for (a, b) in exact.iter().zip(&fd) {
            // The generic central difference (h = 1e-4) is accurate to ~1e-7 relative here.
            assert!(
                (a - b).abs() < 1e-6 * (1.0 + b.abs()),
                "heat-equation {a} vs finite-difference {b}"
            );
        }
    }

    #[test]
    fn heat_equation_divergence_matches_finite_differences() {
        check_divergence(&sphere_mixture(), 0.3, 3);
        check_divergence(&sphere_mixture(), 2.0, 4);
        check_divergence(&torus_mixture(), 0.2, 5);
    }

    #[test]
    fn single_flat_like_kernel_has_divergence_minus_d_over_t_near_centre() {
        // For small t, near the centre p ≈ N(x₀, tI): div s ≈ −d/t (curvature corrections O(1)).
        let mix = torus_mixture();
        let t = 0.01;
        let div = mix.divergence(&[0.5, 1.0], t).unwrap();
        assert!((div + 2.0 / t).abs() < 1e-6 * 2.0 / t, "{div}");
    }

    /// Both divergence routes at points where both are accurate (ratio `d²/(t·dim)` at most
    /// `π²/0.6 ≈ 16` on S², `2π²/0.1 ≈ 200` on T²: heat-equation error ≲ 10⁻¹¹·201, spatial
    /// ≈ 10⁻⁸): they agree to 10⁻⁷ relative.
    #[test]
    fn spatial_and_heat_equation_divergences_agree() {
        for (mix, t, seed) in [(sphere_mixture(), 0.3, 6), (torus_mixture(), 0.05, 7)] {
            let m = mix.manifold();
            let n = m.ambient_dim();
            let mut rng = rng_from_seed(seed);
            let mut x = vec![0.0; n];
            for _ in 0..8 {
                m.sample_uniform(&mut rng, &mut x);
                let c = mix.components(&x, t).unwrap();
                let mut s = vec![0.0; n];
                c.weighted_score(n, &mut s);
                let heat = mix
                    .heat_equation_divergence(&x, t, m.norm_squared(&x, &s))
                    .unwrap();
                let spatial = mix.spatial_divergence(&x, t, &c, &s).unwrap();
                assert!(
                    (heat - spatial).abs() < 1e-7 * (1.0 + heat.abs()),
                    "heat-equation {heat} vs spatial {spatial} at t = {t}"
                );
            }
        }
    }

    /// At `t = 10⁻²⁰⁰` the flat-torus kernel is one Gaussian to f64 (the next wrap is
    /// `e^{−4π²/2t}` smaller), so `div s = −dim/t` exactly; the heat-equation form would give
    /// `∞ − ∞ = NaN` (both terms `≈ d²/t² = 10⁴⁰⁰`). Far centres are exact `−∞` terms of the
    /// log-sum-exp, not errors.
    #[test]
    fn tiny_time_divergence_and_far_components() {
        let mix = torus_mixture();
        let t = 1e-200;
        let x = [0.5 + 0.3, 1.0 - 0.2];
        let div = mix.divergence(&x, t).unwrap();
        assert!((div + 2.0 / t).abs() < 1e-7 * 2.0 / t, "{div:e}");
        // At t = 1e-310 only the centre x itself has a finite log p.
        let t = 1e-310;
        let at_centre = mix.log_prob(&[3.0, 5.5], t).unwrap();
        let single = TorusHeatKernel::new(Torus::new(2).unwrap(), KernelMethod::Auto)
            .unwrap()
            .log_prob(&[3.0, 5.5], &[3.0, 5.5], t)
            .unwrap()
            .log_prob;
        assert!((at_centre - (single - 3f64.ln())).abs() < 1e-12 * single.abs());
        let error = mix.log_prob(&[2.0, 2.0], t).unwrap_err();
        assert!(matches!(error, Error::OutOfRange { .. }), "{error}");
        assert!(
            error.to_string().contains("nearest of 3 mixture points"),
            "{error}"
        );
    }

    /// Equal centres at `t = 2.7e-285` (`ℓ ≈ −1.1e284`, where an LSE loses its `+ ln N`):
    /// the mixture's score and divergence are the single kernel's.
    #[test]
    fn equal_centres_at_tiny_time_weigh_one_half_each() {
        let kernel =
            || Box::new(TorusHeatKernel::new(Torus::new(1).unwrap(), KernelMethod::Auto).unwrap());
        let twice = HeatKernelMixture::new(kernel(), vec![0.0, 0.0]).unwrap();
        let once = HeatKernelMixture::new(kernel(), vec![0.0]).unwrap();
        let (t, x) = (2.7463841788596253e-285, [5.5038372338174595]);
        let (mut a, mut b) = ([0.0], [0.0]);
        twice.score(&x, t, &mut a).unwrap();
        once.score(&x, t, &mut b).unwrap();
        assert_eq!(a, b);
        let div = twice.divergence(&x, t).unwrap();
        assert!((div + 1.0 / t).abs() < 1e-7 / t, "{div:e}");
    }

    /// `Δ log p = 2 ∂_t log p − |∇ log p|²` for one kernel (the heat equation), at `t = 0.5`
    /// where neither side cancels: the torus and product overrides and the default
    /// (sphere) Laplacian against a fourth-order difference in `ln t` (both ≈ 1e-9).
    #[test]
    fn kernel_laplacians_satisfy_the_heat_equation() {
        use crate::heat_kernel::ProductHeatKernel;
        use crate::manifold::Product;
        use std::sync::Arc;
        let t = 0.5;
        let torus = TorusHeatKernel::new(Torus::new(3).unwrap(), KernelMethod::Auto).unwrap();
        let sphere = SphereHeatKernel::new(Sphere::new(2).unwrap(), KernelMethod::Auto);
        let product = ProductHeatKernel::new(
            Product::new(vec![
                Arc::new(Torus::new(1).unwrap()),
                Arc::new(Sphere::new(2).unwrap()),
            ])
            .unwrap(),
            vec![
                Box::new(TorusHeatKernel::new(Torus::new(1).unwrap(), KernelMethod::Auto).unwrap()),
                Box::new(SphereHeatKernel::new(
                    Sphere::new(2).unwrap(),
                    KernelMethod::Auto,
                )),
            ],
        )
        .unwrap();
        let cases: [(&dyn HeatKernel, Vec<f64>, Vec<f64>); 3] = [
            (&torus, vec![0.1, 2.0, 4.0], vec![1.3, 5.9, 3.5]),
            (&sphere, vec![0.0, 0.0, 1.0], vec![0.6, 0.0, 0.8]),
            (&product, vec![0.1, 0.0, 0.0, 1.0], vec![2.1, 0.6, 0.0, 0.8]),
        ];
        for (kernel, x0, x) in cases {
            let m = kernel.manifold();
            let eta = 2e-3;
            let f = |k: f64| {
                kernel
                    .log_prob(&x0, &x, t * (k * eta).exp())
                    .unwrap()
                    .log_prob
            };
            let du = (f(-2.0) - 8.0 * f(-1.0) + 8.0 * f(1.0) - f(2.0)) / (12.0 * eta);
            let mut s = vec![0.0; x.len()];
            kernel.score(&x0, &x, t, &mut s).unwrap();
            let expected = 2.0 * du / t - m.norm_squared(&x, &s);
            let laplacian = kernel.laplacian_log_prob(&x0, &x, t).unwrap();
            assert!(
                (laplacian - expected).abs() < 1e-7 * (1.0 + expected.abs()),
                "{}: {laplacian} vs {expected}",
                m.spec()
            );
        }
    }

    #[test]
    fn rejects_bad_input() {
        let s2 = Sphere::new(2).unwrap();
        let k = || Box::new(SphereHeatKernel::new(s2, KernelMethod::Auto));
        assert!(HeatKernelMixture::new(k(), vec![]).is_err());
        assert!(HeatKernelMixture::new(k(), vec![1.0, 1.0, 0.0]).is_err());
        assert!(HeatKernelMixture::new(k(), vec![1.0, 0.0]).is_err());
        let mix = sphere_mixture();
        assert!(mix.log_prob(&[1.0, 0.0, 0.0], 0.0).is_err());
        assert!(mix.divergence(&[1.0, 0.0, 0.0], f64::NAN).is_err());
        assert!(mix.log_prob(&[2.0, 0.0, 0.0], 1.0).is_err());
        let mut out = vec![0.0; 2];
        assert!(mix.score_batch(&[1.0, 0.0, 0.0], &[1.0], &mut out).is_err());
    }
}
