//! Time-dependent score fields: the interface between score models (exact
//! heat-kernel mixtures, neural networks) and the probability-flow ODE, samplers and likelihoods.

use crate::error::{check_len, check_time, Result};
use crate::heat_kernel::batch_rows;
use crate::manifold::Manifold;

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
    /// Default: central differences along geodesics through an orthonormal tangent basis,
    /// `div V(x) = Σ_i ⟨e_i, (V(exp_x(h e_i)) − V(exp_x(−h e_i))) / 2h⟩` with `h = 1e-4`
    /// (valid on embedded submanifolds with the induced metric because the covariant
    /// derivative is the tangential part of the ambient derivative). Truncation error is
    /// `O(h²)` times third derivatives of `V`, round-off `O(ε|V|/h)`; about 1e-8 relative
    /// for fields of unit scale. Models with an exact divergence override this.
    ///
    /// # Errors
    /// As [`ScoreField::score_batch`], and for an `out` that is not one value per row.
    fn divergence_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        let m = self.manifold();
        let rows = check_batch_shapes(m, x, t)?;
        check_len("divergence output (one value per row)", out.len(), rows)?;
        let (d, n) = (m.dim(), m.ambient_dim());
        let h = 1e-4;
        let mut basis = vec![0.0; d * n];
        let mut shifted = vec![0.0; 2 * d * n];
        let mut values = vec![0.0; 2 * d * n];
        let mut step = vec![0.0; n];
        let mut diff = vec![0.0; n];
        for r in 0..rows {
            let xr = &x[r * n..(r + 1) * n];
            m.tangent_basis(xr, &mut basis);
            for i in 0..d {
                for (sign, k) in [(1.0, 2 * i), (-1.0, 2 * i + 1)] {
                    for j in 0..n {
                        step[j] = sign * h * basis[i * n + j];
                    }
                    m.exp(xr, &step, &mut shifted[k * n..(k + 1) * n]);
                }
            }
            self.score_batch(&shifted, &[time(t, r)], &mut values)?;
            let mut div = 0.0;
            for i in 0..d {
                let e = &basis[i * n..(i + 1) * n];
                let plus = &values[2 * i * n..(2 * i + 1) * n];
                let minus = &values[(2 * i + 1) * n..(2 * i + 2) * n];
                for ((o, p), q) in diff.iter_mut().zip(plus).zip(minus) {
                    *o = (p - q) / (2.0 * h);
                }
                div += m.inner(xr, e, &diff);
            }
            out[r] = div;
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
