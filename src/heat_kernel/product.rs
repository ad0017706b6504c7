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

use super::{auto_kernel, check_inputs, HeatKernel, KernelEvaluation, ManifoldSpec};
use crate::error::{check_len, Error, Result};
use crate::manifold::{Manifold, Product};

/// Heat kernel of a [`Product`]: the product of one kernel per factor (module docs).
pub struct ProductHeatKernel {
    product: Product,
    kernels: Vec<Box<dyn HeatKernel>>,
}

impl ProductHeatKernel {
    /// The product of the given factor kernels, on the product of their manifolds (in order).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `kernels` is empty, or a factor's manifold is not one this
    /// crate can rebuild (a torus, sphere, SO(n), SU(n), U(n) or a product of those).
    pub fn new(kernels: Vec<Box<dyn HeatKernel>>) -> Result<Self> {
        if kernels.is_empty() {
            return Err(Error::invalid("kernels", 0, "at least one factor kernel"));
        }
        Ok(ProductHeatKernel {
            product: product_of(kernels.iter().map(|k| k.manifold()))?,
            kernels,
        })
    }

    /// The `Auto` kernel of every factor of `product` ([`auto_kernel`]).
    ///
    /// # Errors
    /// As [`auto_kernel`] for a factor.
    pub fn auto(product: &dyn Manifold) -> Result<Self> {
        Self::new(map_factors(product, auto_kernel)?)
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
        let mut total = KernelEvaluation {
            log_prob: 0.0,
            terms: 0,
        };
        for (i, kernel) in self.kernels.iter().enumerate() {
            let range = self.product.factor_range(i);
            let (a, b) = (&x0[range.clone()], &x[range.clone()]);
            let e = match score.as_deref_mut() {
                Some(s) => kernel.score(a, b, t, &mut s[range])?,
                None => kernel.log_prob(a, b, t)?,
            };
            total.log_prob += e.log_prob;
            total.terms += e.terms;
        }
        Ok(total)
    }
}

/// A fresh boxed copy of a manifold built by this crate (products rebuilt factor by factor).
fn rebuild_manifold(manifold: &dyn Manifold) -> Result<Box<dyn Manifold>> {
    match manifold.factors() {
        Some(_) => Ok(Box::new(Product::new(map_factors(
            manifold,
            rebuild_manifold,
        )?)?)),
        None => ManifoldSpec::of(manifold)?.manifold(),
    }
}

/// The [`Product`] of fresh copies of `factors` (in order), for per-factor kernels and samplers
/// that must own the manifold they report.
///
/// # Errors
/// [`Error::InvalidArgument`] for no factors, or a factor this crate cannot rebuild.
pub(crate) fn product_of<'a>(factors: impl Iterator<Item = &'a dyn Manifold>) -> Result<Product> {
    Product::new(factors.map(rebuild_manifold).collect::<Result<Vec<_>>>()?)
}

/// `f` applied to every factor of the product `manifold`, in order.
///
/// # Errors
/// [`Error::InvalidArgument`] if `manifold` is not a product; the first error of `f`.
pub(crate) fn map_factors<T>(
    manifold: &dyn Manifold,
    f: impl Fn(&dyn Manifold) -> Result<T>,
) -> Result<Vec<T>> {
    let factors = manifold.factors().ok_or_else(|| {
        Error::invalid("manifold", manifold.name(), "a product manifold (Product)")
    })?;
    factors.iter().map(|m| f(m.as_ref())).collect()
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
}
