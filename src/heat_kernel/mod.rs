//! Heat kernels `p_t(x₀, x)` of `∂_t p = ½ Δ p` on tori, spheres and the compact Lie groups
//! SO(n), SU(n), U(n), with their scores.
//!
//! Conventions (binding, [`crate::conventions`]): `t` is Brownian time (flat space: `p_t = N(x₀, tI)`,
//! eigen factors `e^{−λt/2}`); densities are w.r.t. the Riemannian volume; the score is the
//! Riemannian gradient `∇_x log p_t(x₀, x)` w.r.t. the second argument, as an ambient tangent vector.
//!
//! One trait, [`HeatKernel`], several estimators selected by a method enum:
//!
//! | kernel | methods |
//! |---|---|
//! | [`TorusHeatKernel`] (`T^d`, product of circles) | [`TorusMethod::Eigen`] (Fourier series), [`TorusMethod::SumOverPaths`] (wrapped Gaussian), [`TorusMethod::Auto`] |
//! | [`SphereHeatKernel`] (`S^d`, radial in the geodesic angle θ) | [`SphereMethod::Eigen`] (Gegenbauer series), [`SphereMethod::SumOverPaths`] (exact: path sums `d ≤ 3`, the `∂_c` recursion for `d ≥ 4`), [`SphereMethod::Varadhan`], [`SphereMethod::SchwingerDeWitt`], [`SphereMethod::Auto`] |
//! | [`ProductHeatKernel`] (`M₁ × … × M_k`) | the product of the factors' kernels (each with its own method) |
//! | [`GroupHeatKernel`] (SO(n), SU(n), U(n), class function of the maximal-torus coordinates) | [`GroupMethod::CharacterExpansion`] ([`CharacterSeries`]), [`GroupMethod::SumOverPaths`] (lattice paths, wall-regularised), [`GroupMethod::Varadhan`], [`GroupMethod::SchwingerDeWitt`], [`GroupMethod::Auto`] |
//!
//! [`crate::registry::Registry::heat_kernel`] builds any of them from a manifold and a
//! [`KernelMethod`] (the names `rdiff kernel` accepts); [`crate::registry::auto_kernel`] gives
//! the `Auto` kernel of a manifold.
//!
//! Every evaluation reports the number of series terms (or quadrature nodes) it used in
//! [`KernelEvaluation::terms`]. The formulas, their derivations, accuracy and cost are documented
//! in the estimator modules: [`circle`] (Fourier / wrapped Gaussian), [`gegenbauer`] (eigen
//! series on `S^d`), [`sphere3`] (exact `S³` path sum), [`hopf`] (`S²` from `S³` through the
//! Hopf fibration), [`odd_sphere`] / [`even_sphere`] (exact small-time kernels of `S^d`, `d ≥ 4`),
//! [`asymptotic`] (Varadhan, Schwinger–DeWitt), [`group`] (paths, walls, `Auto` on groups),
//! [`character_series`]; the `Auto` rules and measured accuracy are in the docs of the `sphere`
//! and `group` modules and of [`TorusMethod`].
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
pub use group::{GroupHeatKernel, GroupMethod};
pub use method::{check_auto_tolerance, KernelMethod, DEFAULT_AUTO_TOLERANCE, MIN_AUTO_TOLERANCE};
pub use product::ProductHeatKernel;
pub use sphere::{SphereHeatKernel, SphereMethod};
pub use torus::{TorusHeatKernel, TorusMethod};

use crate::error::{check_len, check_time, Error, Result};
use crate::manifold::{Manifold, MEMBERSHIP_TOLERANCE};
use rayon::prelude::*;

/// The value of `log p_t(x₀, x)` and the number of terms the estimator summed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KernelEvaluation {
    /// `log p_t(x₀, x)`, density w.r.t. the Riemannian volume.
    pub log_prob: f64,
    /// Number of series terms / paths / quadrature nodes used (summed over coordinates on `T^d`).
    pub terms: usize,
}

/// A radial kernel evaluated at a geodesic distance: `log p`, its derivative in the distance, terms used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RadialEvaluation {
    /// `log p_t(θ)`, density w.r.t. the Riemannian volume.
    pub log_prob: f64,
    /// `∂_θ log p_t(θ)`: the component of the score along the unit geodesic direction pointing away from `x₀`.
    pub dlog_prob_dtheta: f64,
    /// Number of series terms / paths / quadrature nodes used.
    pub terms: usize,
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
    /// # Errors
    /// [`Error::InvalidArgument`] for `t ≤ 0` or NaN, [`Error::DimensionMismatch`] /
    /// [`Error::NonFinite`] / [`Error::NotOnManifold`] for bad points, [`Error::Numerical`]
    /// when an explicitly chosen estimator cannot deliver any accuracy at this `(t, x)`.
    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation>;

    /// The score `∇_x log p_t(x₀, x)` (Riemannian gradient, ambient coordinates) written into
    /// `score`; returns `log p_t(x₀, x)` as well.
    ///
    /// # Errors
    /// As [`HeatKernel::log_prob`], plus [`Error::DimensionMismatch`] if `score` has the wrong length.
    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation>;

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

/// Validates `(x0, x, t)` for a kernel on `manifold`.
pub(crate) fn check_inputs(manifold: &dyn Manifold, x0: &[f64], x: &[f64], t: f64) -> Result<()> {
    check_time(t)?;
    manifold.check_point(x0, MEMBERSHIP_TOLERANCE)?;
    manifold.check_point(x, MEMBERSHIP_TOLERANCE)
}
