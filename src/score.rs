//! Time-dependent score fields: the interface between score models (exact
//! heat-kernel mixtures, neural networks) and the probability-flow ODE, samplers and likelihoods.

use crate::error::{check_len, check_time, Result};
use crate::heat_kernel::batch_rows;
use crate::manifold::{central_difference_divergence, Manifold};

/// A time-dependent tangent vector field `s(x, t) ≈ ∇_x log p_t(x)` on a manifold.
///
/// `t` is Brownian (kernel) time, as everywhere in the crate ([`crate::conventions`]).
/// Batches follow the heat kernels' shapes: `x` holds `n` row-major rows of
/// `manifold().ambient_dim()` reals, `t` holds one time (shared by every row) or `n` times.
pub trait ScoreField: Send + Sync {
    /// The manifold the field lives on.
    fn manifold(&self) -> &dyn Manifold;

    /// Writes `s(x_i, t_i)` for every row `x_i` of `x` into the matching row of `out`.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) for inconsistent shapes
    /// ([`check_batch_shapes`]), [`Error::InvalidArgument`](crate::Error::InvalidArgument) for
    /// `t ≤ 0` or NaN; implementation-specific numerical failures.
    fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()>;

    /// Writes the Riemannian divergence `div s(x_i, t_i)` of every row into `out[i]`.
    ///
    /// Default: [`central_difference_divergence`], central differences along geodesics through
    /// an orthonormal tangent basis,
    /// `div V(x) = Σ_i ⟨e_i, (V(exp_x(h e_i)) − V(exp_x(−h e_i))) / 2h⟩` with `h = 1e-4`
    /// (valid on embedded submanifolds with the induced metric because the covariant
    /// derivative is the tangential part of the ambient derivative), the `2·dim` shifted points
    /// of a row in one [`ScoreField::score_batch`] call. Truncation error is
    /// `O(h²)` times third derivatives of `V`, round-off `O(ε|V|/h)`; about 1e-8 relative
    /// for fields of unit scale. Models with an exact divergence override this.
    ///
    /// # Errors
    /// As [`ScoreField::score_batch`], and for an `out` that is not one value per row.
    fn divergence_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        let m = self.manifold();
        let rows = check_batch_shapes(m, x, t)?;
        check_len("divergence output (one value per row)", out.len(), rows)?;
        let n = m.ambient_dim();
        for (r, (xr, o)) in x.chunks_exact(n).zip(out.iter_mut()).enumerate() {
            *o = central_difference_divergence(m, xr, 1e-4, |points, values| {
                self.score_batch(points, &[time(t, r)], values)
            })?;
        }
        Ok(())
    }
}

/// Checks the shapes of a batch `(x, t)` for a field on `manifold` and every time (finite,
/// `> 0`); returns the number of rows. Shared by every [`ScoreField`] implementation.
///
/// # Errors
/// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) if `x` is not a whole number
/// of rows or `t` is neither one time nor one per row; as [`check_time`] for a bad time.
pub fn check_batch_shapes(manifold: &dyn Manifold, x: &[f64], t: &[f64]) -> Result<usize> {
    let n = manifold.ambient_dim();
    let rows = batch_rows(n, &x[..n.min(x.len())], x, t)?;
    for &ti in t {
        check_time(ti)?;
    }
    Ok(rows)
}

/// The time of row `i` of a batch whose times are one shared value or one per row.
#[inline]
pub fn time(t: &[f64], i: usize) -> f64 {
    if t.len() == 1 {
        t[0]
    } else {
        t[i]
    }
}
