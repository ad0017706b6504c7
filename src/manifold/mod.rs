//! Riemannian manifolds in ambient coordinates.
//!
//! A point is a slice of [`Manifold::ambient_dim`] reals (see the table in
//! [`crate::conventions`]); a batch is a row-major buffer of such rows. Tangent vectors and
//! scores use the same ambient coordinates, and [`Manifold::inner`] is the metric of
//! [`crate::conventions`] (flat on tori, round on spheres, `½tr(AᵀB)` on SO(n), `Re tr(XᴴY)` on
//! SU(n) and U(n)).
//!
//! What a manifold *is* is typed: [`Manifold::spec`] returns its [`ManifoldSpec`], and the
//! facts numerical code needs ([`CoordinateKind`], [`MetricForm`], [`TangentProjection`]) are
//! declared through the trait, never recovered from a name.

mod capabilities;
mod lie_group;
mod product;
mod spec;
mod special_orthogonal;
mod sphere;
mod torus;
mod unitary;

pub use crate::lie::CompactGroup;
pub use capabilities::{
    push_block, CoordinateBlock, CoordinateKind, MetricForm, TangentProjection,
};
pub use lie_group::LieGroup;
pub use product::Product;
pub use spec::{
    CustomName, ManifoldSpec, BUILTIN_FAMILIES, MAX_AMBIENT_DIM, MAX_FACTORS, SPEC_FORMS,
};
pub use special_orthogonal::SpecialOrthogonal;
pub use sphere::Sphere;
pub use torus::Torus;
pub use unitary::{SpecialUnitary, Unitary};

use crate::error::{check_len, Error, Result};
use crate::random::{standard_normal, Rng};
use rayon::prelude::*;
use std::sync::Arc;

/// Tolerance of the membership checks ([`Manifold::check_point`]) applied to user input by
/// every entry point of the crate: a point is accepted if it satisfies its manifold's
/// constraints to within `1e-6` (e.g. `||x| − 1| ≤ 1e-6` on a sphere), loose enough for points
/// written with 7 significant digits, tight enough that no estimator is affected.
pub const MEMBERSHIP_TOLERANCE: f64 = 1e-6;

/// A Riemannian manifold embedded in (or parametrised by) `R^ambient_dim`.
///
/// Per-point methods take slices of exact length and panic on a length
/// mismatch (a programming error inside the library); user input is validated
/// with [`Manifold::check_point`] / [`check_batch`] first.
pub trait Manifold: Send + Sync + std::fmt::Debug {
    /// What this manifold is: its typed identity (e.g. `ManifoldSpec::Sphere(2)`, printed
    /// `sphere:2`). Two manifolds with equal specs must have the same points, metric and heat
    /// kernel; a user manifold returns a [`ManifoldSpec::Custom`] name of its own.
    fn spec(&self) -> ManifoldSpec;
    /// Intrinsic dimension.
    fn dim(&self) -> usize;
    /// Number of reals per point (and per tangent vector).
    fn ambient_dim(&self) -> usize;
    /// Checks that `x` has the right length, is finite and lies on the manifold to within `tol`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`], [`Error::NonFinite`] or [`Error::NotOnManifold`] naming the defect.
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()>;
    /// Maps a point that drifted slightly off the manifold back onto it (nearest point / angle wrap).
    fn project_point(&self, x: &[f64], out: &mut [f64]);
    /// Orthogonal projection of an ambient vector `v` onto the tangent space at `x`.
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]);
    /// Riemannian inner product of tangent vectors `u`, `v` at `x`.
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64;
    /// Riemannian exponential map `exp_x(v)`.
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]);
    /// Riemannian logarithm: a tangent vector `v` at `x` of minimal norm with `exp_x(v) = y`.
    /// On the cut locus one minimising geodesic is chosen deterministically.
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]);
    /// Geodesic distance.
    fn distance(&self, x: &[f64], y: &[f64]) -> f64;
    /// An orthonormal basis (in the metric) of the tangent space at `x`:
    /// `dim()` rows of `ambient_dim()` reals, written row-major into `out`.
    fn tangent_basis(&self, x: &[f64], out: &mut [f64]);
    /// A draw from the normalised Riemannian volume (uniform distribution).
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]);
    /// Natural log of the Riemannian volume.
    fn log_volume(&self) -> f64;

    /// The factors `M₁, …, M_k` if this manifold is a [`Product`] (in order), else `None`.
    ///
    /// Lets generic code (heat kernels, samplers) treat a product factor by factor without
    /// downcasting: the heat kernel of a product is the product of the factors' kernels.
    fn factors(&self) -> Option<&[Arc<dyn Manifold>]> {
        None
    }

    /// How the ambient coordinates behave, as consecutive blocks covering all
    /// [`Manifold::ambient_dim`] coordinates (default: one [`CoordinateKind::Embedded`] block;
    /// tori: one [`CoordinateKind::Angles`] block; products: the factors' blocks in order).
    fn coordinate_blocks(&self) -> Vec<CoordinateBlock> {
        vec![CoordinateBlock {
            kind: CoordinateKind::Embedded,
            len: self.ambient_dim(),
        }]
    }

    /// The form of the metric [`Manifold::inner`] in ambient coordinates (default
    /// [`MetricForm::General`], which the score-matching losses refuse; every manifold of the
    /// crate declares a constant one).
    fn metric_form(&self) -> MetricForm {
        MetricForm::General
    }

    /// The form of [`Manifold::project_tangent`] (default [`TangentProjection::Generic`],
    /// always correct; the specific forms make exact divergences cheaper).
    fn tangent_projection(&self) -> TangentProjection {
        TangentProjection::Generic
    }

    /// A standard Gaussian tangent vector at `x` (covariance = identity in the metric).
    /// The default combines the tangent basis with `dim()` normal draws.
    fn sample_tangent_normal(&self, x: &[f64], rng: &mut Rng, out: &mut [f64]) {
        let (d, n) = (self.dim(), self.ambient_dim());
        let mut basis = vec![0.0; d * n];
        self.tangent_basis(x, &mut basis);
        out.iter_mut().for_each(|o| *o = 0.0);
        for i in 0..d {
            let z = standard_normal(rng);
            for j in 0..n {
                out[j] += z * basis[i * n + j];
            }
        }
    }

    /// Squared Riemannian norm of a tangent vector.
    fn norm_squared(&self, x: &[f64], v: &[f64]) -> f64 {
        self.inner(x, v, v)
    }

    /// The group structure if this manifold is a [`LieGroup`] (`SO(n)`, `SU(n)`, `U(n)`, `T^d`,
    /// and a [`Product`] whose factors are all groups), else `None` (the default).
    ///
    /// Lets generic code (e.g. the law suite of the `testing` feature) use group operations
    /// without downcasting. A user-defined group overrides it with `Some(self)`.
    fn as_lie_group(&self) -> Option<&dyn LieGroup> {
        None
    }
}

/// Checks every row of a row-major batch; the error names the first bad row (0-based).
///
/// # Errors
/// As [`Manifold::check_point`], with the row index in the message.
pub fn check_batch(manifold: &dyn Manifold, points: &[f64], tol: f64) -> Result<usize> {
    let n = manifold.ambient_dim();
    if n == 0 || points.len() % n != 0 {
        return Err(Error::DimensionMismatch {
            what: "batch of points (length must be a multiple of the ambient dimension)",
            expected: n * (points.len() / n.max(1) + 1),
            found: points.len(),
        });
    }
    for (row, x) in points.chunks_exact(n).enumerate() {
        manifold.check_point(x, tol).map_err(|e| match e {
            Error::NotOnManifold {
                manifold,
                detail,
                tolerance,
            } => Error::NotOnManifold {
                manifold,
                detail: format!("row {row}: {detail}"),
                tolerance,
            },
            Error::NonFinite { what } => Error::NonFinite {
                what: format!("row {row} of {what}"),
            },
            other => other,
        })?;
    }
    Ok(points.len() / n)
}

/// Checks that all entries of `x` are finite.
///
/// # Errors
/// [`Error::NonFinite`] naming `what` and the first bad index.
pub fn check_finite(what: &str, x: &[f64]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::NonFinite {
            what: format!("{what} (entry {i} = {})", crate::error::Num(x[i])),
        }),
    }
}

/// Applies `exp` row by row over a batch, in parallel: `out[i] = exp_{x[i]}(v[i])`.
pub fn exp_batch(manifold: &dyn Manifold, x: &[f64], v: &[f64], out: &mut [f64]) {
    let n = manifold.ambient_dim();
    assert_eq!(x.len(), v.len());
    assert_eq!(x.len(), out.len());
    out.par_chunks_mut(n)
        .zip(x.par_chunks(n).zip(v.par_chunks(n)))
        .for_each(|(o, (xi, vi))| manifold.exp(xi, vi, o));
}

/// Projects each row of `v` onto the tangent space at the matching row of `x`, in parallel.
pub fn project_tangent_batch(manifold: &dyn Manifold, x: &[f64], v: &[f64], out: &mut [f64]) {
    let n = manifold.ambient_dim();
    assert_eq!(x.len(), v.len());
    assert_eq!(x.len(), out.len());
    out.par_chunks_mut(n)
        .zip(x.par_chunks(n).zip(v.par_chunks(n)))
        .for_each(|(o, (xi, vi))| manifold.project_tangent(xi, vi, o));
}

/// Panics unless every slice length in `lengths` equals the ambient dimension `n`: the
/// per-point methods of [`Manifold`] document a panic on a length mismatch (a programming
/// error), and every implementation of the crate checks it, so a wrong slice never goes
/// unnoticed through `zip` or partial indexing.
#[track_caller]
#[inline]
pub(crate) fn expect_lengths(n: usize, lengths: &[usize]) {
    assert!(
        lengths.iter().all(|&l| l == n),
        "manifold method called with slices of lengths {lengths:?}, expected {n} reals each"
    );
}

pub(crate) fn require_len(what: &'static str, x: &[f64], n: usize) -> Result<()> {
    check_len(what, x.len(), n)
}

impl CompactGroup {
    /// The manifold of this group: [`SpecialOrthogonal`], [`SpecialUnitary`] or [`Unitary`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n` is below the family's minimum.
    pub fn manifold(self) -> Result<Arc<dyn Manifold>> {
        Ok(match self {
            CompactGroup::SpecialOrthogonal(n) => Arc::new(SpecialOrthogonal::new(n)?),
            CompactGroup::SpecialUnitary(n) => Arc::new(SpecialUnitary::new(n)?),
            CompactGroup::Unitary(n) => Arc::new(Unitary::new(n)?),
        })
    }
}

impl From<SpecialOrthogonal> for CompactGroup {
    fn from(g: SpecialOrthogonal) -> Self {
        CompactGroup::SpecialOrthogonal(g.n())
    }
}

impl From<SpecialUnitary> for CompactGroup {
    fn from(g: SpecialUnitary) -> Self {
        CompactGroup::SpecialUnitary(g.n())
    }
}

impl From<Unitary> for CompactGroup {
    fn from(g: Unitary) -> Self {
        CompactGroup::Unitary(g.n())
    }
}

/// `div V(x) = Σ_k ⟨e_k, (V(exp_x(h e_k)) − V(exp_x(−h e_k))) / 2h⟩` over an orthonormal
/// tangent basis `e_k` at `x`: the Riemannian divergence of a tangent field by central
/// differences along geodesics (valid on embedded submanifolds with the induced metric, because
/// the covariant derivative is the tangential part of the ambient derivative). Truncation
/// `O(h²)` times third derivatives of `V`, round-off `O(ε|V|/h)`.
///
/// `field(points, values)` writes `V` at the `2·dim` shifted points (rows `2k`, `2k + 1`: `±h e_k`)
/// in one call, so a batched field evaluates them together. Shared by
/// [`crate::score::ScoreField::divergence_batch`] and
/// [`crate::heat_kernel::HeatKernel::laplacian_log_prob`].
///
/// # Errors
/// Whatever `field` returns.
pub fn central_difference_divergence(
    manifold: &dyn Manifold,
    x: &[f64],
    h: f64,
    field: impl FnOnce(&[f64], &mut [f64]) -> Result<()>,
) -> Result<f64> {
    let (d, n) = (manifold.dim(), manifold.ambient_dim());
    let mut basis = vec![0.0; d * n];
    manifold.tangent_basis(x, &mut basis);
    let mut shifted = vec![0.0; 2 * d * n];
    let mut step = vec![0.0; n];
    for (k, e) in basis.chunks_exact(n).enumerate() {
        for (sign, row) in [(1.0, 2 * k), (-1.0, 2 * k + 1)] {
            for (s, v) in step.iter_mut().zip(e) {
                *s = sign * h * v;
            }
            manifold.exp(x, &step, &mut shifted[row * n..(row + 1) * n]);
        }
    }
    let mut values = vec![0.0; 2 * d * n];
    field(&shifted, &mut values)?;
    let mut diff = vec![0.0; n];
    let mut divergence = 0.0;
    for (e, pair) in basis.chunks_exact(n).zip(values.chunks_exact(2 * n)) {
        let (plus, minus) = pair.split_at(n);
        for ((o, p), q) in diff.iter_mut().zip(plus).zip(minus) {
            *o = (p - q) / (2.0 * h);
        }
        divergence += manifold.inner(x, e, &diff);
    }
    Ok(divergence)
}
