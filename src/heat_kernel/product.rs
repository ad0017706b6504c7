//! The heat kernel of a product manifold `M₁ × … × M_k`.
//!
//! The Laplacian of a Riemannian product is the sum of the factors' Laplacians acting on their
//! own coordinates, so `∂_t p = ½Δp` separates and
//!
//! `p_t((x₀¹, …, x₀ᵏ), (x¹, …, xᵏ)) = ∏_i p_t^{(i)}(x₀ⁱ, xⁱ)`,
//!
//! a density w.r.t. the product volume. Hence `log p = Σ_i log p^{(i)}` and the score (the
//! Riemannian gradient in the product metric) is the concatenation of the factors' scores.
//! Accuracy and cost are those of the factor kernels (summed); `terms` is the sum of the
//! factors' term counts.
//!
//! **Estimator and error estimate.** The relative error of a product of `k` factors, each with
//! relative error `e_i`, is `∏(1 + e_i) − 1 = Σ e_i + O(e²)`: the reported
//! [`KernelEvaluation::error_estimate`] is the sum of the factors' estimates (first order),
//! and [`KernelEvaluation::estimator`] is the estimator of the factor with the largest
//! estimate (the one that limits the accuracy; the first such factor on ties).

use super::{check_inputs, check_representable, HeatKernel, KernelEvaluation, ProductEvaluation};
use crate::error::{check_len, Error, Result};
use crate::manifold::{Manifold, Product};

/// Heat kernel of a [`Product`]: the product of one kernel per factor (module docs).
pub struct ProductHeatKernel {
    product: Product,
    kernels: Vec<Box<dyn HeatKernel>>,
}

/// Checks that `parts[i]`'s manifold is factor `i` of `product` (equal specs), one part per factor.
///
/// # Errors
/// [`Error::DimensionMismatch`] for a wrong number of parts; [`Error::InvalidArgument`] naming
/// the first factor whose part lives on another manifold.
pub(crate) fn check_factor_parts<'a>(
    product: &Product,
    what: &'static str,
    parts: impl ExactSizeIterator<Item = &'a dyn Manifold>,
) -> Result<()> {
    check_len(what, parts.len(), product.factors().len())?;
    for (i, (part, factor)) in parts.zip(product.factors()).enumerate() {
        if part.spec() != factor.spec() {
            return Err(Error::invalid(
                what,
                format!("factor {i} on {}", part.spec()),
                format!("one per factor, factor {i} on {}", factor.spec()),
            ));
        }
    }
    Ok(())
}

impl ProductHeatKernel {
    /// The product of the factor kernels `kernels[i]` on the factors of `product` (in order).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] unless there is one kernel per factor;
    /// [`Error::InvalidArgument`] if a kernel's manifold differs from its factor (by spec).
    pub fn new(product: Product, kernels: Vec<Box<dyn HeatKernel>>) -> Result<Self> {
        check_factor_parts(
            &product,
            "factor kernels",
            kernels.iter().map(|k| k.manifold()),
        )?;
        Ok(ProductHeatKernel { product, kernels })
    }

    /// The factor kernels, in order.
    pub fn kernels(&self) -> &[Box<dyn HeatKernel>] {
        &self.kernels
    }

    fn evaluate(
        &self,
        x0: &[f64],
        x: &[f64],
        t: f64,
        mut score: Option<&mut [f64]>,
    ) -> Result<KernelEvaluation> {
        check_inputs(&self.product, x0, x, t)?;
        let mut total = ProductEvaluation::default();
        for (i, kernel) in self.kernels.iter().enumerate() {
            let range = self.product.factor_range(i);
            let (a, b) = (&x0[range.clone()], &x[range.clone()]);
            let e = match score.as_deref_mut() {
                Some(s) => kernel.score(a, b, t, &mut s[range])?,
                None => kernel.log_prob(a, b, t)?,
            };
            total.push(e);
        }
        // Each factor is finite; their sum can still leave the f64 range.
        check_representable(&self.product, x0, x, t, total.finish(), score.as_deref())
    }
}

impl HeatKernel for ProductHeatKernel {
    fn manifold(&self) -> &dyn Manifold {
        &self.product
    }

    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        self.evaluate(x0, x, t, None)
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_len("score", score.len(), self.product.ambient_dim())?;
        self.evaluate(x0, x, t, Some(score))
    }

    /// The sum of the factors' Laplacians (`log p` is a sum over the factors).
    fn laplacian_log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<f64> {
        check_inputs(&self.product, x0, x, t)?;
        let mut total = 0.0;
        for (i, kernel) in self.kernels.iter().enumerate() {
            let range = self.product.factor_range(i);
            total += kernel.laplacian_log_prob(&x0[range.clone()], &x[range], t)?;
        }
        Ok(total)
    }
}
