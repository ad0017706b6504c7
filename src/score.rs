//! Time-dependent score fields: the interface between score models (exact
//! heat-kernel mixtures, neural networks) and the probability-flow ODE, samplers and likelihoods.

use crate::error::Result;
use crate::manifold::Manifold;

/// A time-dependent tangent vector field `s(x, t) ≈ ∇_x log p_t(x)` on a manifold.
///
/// `t` is Brownian (kernel) time, as everywhere in the crate (`DESIGN.md`).
/// Batches are row-major: `n` rows of `manifold().ambient_dim()` reals.
pub trait ScoreField: Send + Sync {
    /// The manifold the field lives on.
    fn manifold(&self) -> &dyn Manifold;

    /// Writes `s(x_i, t)` for every row `x_i` of `x` into the matching row of `out`.
    ///
    /// # Errors
    /// Implementation-specific numerical failures.
    fn score_batch(&self, x: &[f64], t: f64, out: &mut [f64]) -> Result<()>;

    /// Writes the Riemannian divergence `div s(x_i, t)` of every row into `out[i]`.
    ///
    /// Default: central differences along geodesics through an orthonormal tangent basis,
    /// `div V(x) = Σ_i ⟨e_i, (V(exp_x(h e_i)) − V(exp_x(−h e_i))) / 2h⟩` with `h = 1e-4`
    /// (valid on embedded submanifolds with the induced metric because the covariant
    /// derivative is the tangential part of the ambient derivative). Truncation error is
    /// `O(h²)` times third derivatives of `V`, round-off `O(ε|V|/h)`; about 1e-8 relative
    /// for fields of unit scale. Models with an exact divergence override this.
    ///
    /// # Errors
    /// As [`ScoreField::score_batch`].
    fn divergence_batch(&self, x: &[f64], t: f64, out: &mut [f64]) -> Result<()> {
        let m = self.manifold();
        let (d, n) = (m.dim(), m.ambient_dim());
        let h = 1e-4;
        let rows = x.len() / n;
        let mut basis = vec![0.0; d * n];
        let mut shifted = vec![0.0; 2 * d * n];
        let mut values = vec![0.0; 2 * d * n];
        let mut step = vec![0.0; n];
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
            self.score_batch(&shifted, t, &mut values)?;
            let mut div = 0.0;
            for i in 0..d {
                let e = &basis[i * n..(i + 1) * n];
                let plus = &values[2 * i * n..(2 * i + 1) * n];
                let minus = &values[(2 * i + 1) * n..(2 * i + 2) * n];
                let diff: Vec<f64> = plus
                    .iter()
                    .zip(minus)
                    .map(|(p, q)| (p - q) / (2.0 * h))
                    .collect();
                div += m.inner(xr, e, &diff);
            }
            out[r] = div;
        }
        Ok(())
    }
}
