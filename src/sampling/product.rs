//! Exact heat-kernel sampling on a product manifold, factor by factor.
//!
//! Brownian motion on a Riemannian product `M₁ × … × M_k` is the tuple of independent
//! Brownian motions on the factors (the Laplacian is the sum of the factors' Laplacians), so
//! `x ~ p_t(x₀, ·)` is drawn by sampling each factor `xⁱ ~ p_t^{(i)}(x₀ⁱ, ·)` with its own exact
//! sampler, in order, from the same random stream. Exactness and cost are the factors'.

use super::{auto_sampler, HeatKernelSampler};
use crate::error::{check_len, Error, Result};
use crate::heat_kernel::check_inputs;
use crate::heat_kernel::product::{map_factors, product_of};
use crate::manifold::{Manifold, Product};
use crate::random::Rng;

/// Sampler of the heat kernel of a [`Product`]: one exact sampler per factor (module docs).
pub struct ProductHeatKernelSampler {
    product: Product,
    samplers: Vec<Box<dyn HeatKernelSampler>>,
}

impl ProductHeatKernelSampler {
    /// The product of the given factor samplers, on the product of their manifolds (in order).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `samplers` is empty or a factor's manifold is not one this
    /// crate can rebuild (a torus, sphere, SO(n), SU(n), U(n) or a product of those).
    pub fn new(samplers: Vec<Box<dyn HeatKernelSampler>>) -> Result<Self> {
        if samplers.is_empty() {
            return Err(Error::invalid("samplers", 0, "at least one factor sampler"));
        }
        Ok(ProductHeatKernelSampler {
            product: product_of(samplers.iter().map(|s| s.manifold()))?,
            samplers,
        })
    }

    /// [`auto_sampler`] for every factor of `product`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `product` is not a product; as [`auto_sampler`] for a factor.
    pub fn auto(product: &dyn Manifold) -> Result<Self> {
        Self::new(map_factors(product, auto_sampler)?)
    }
}

impl HeatKernelSampler for ProductHeatKernelSampler {
    fn manifold(&self) -> &dyn Manifold {
        &self.product
    }

    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        check_inputs(&self.product, x0, x0, t)?;
        check_len("sample output", out.len(), self.product.ambient_dim())?;
        for (i, sampler) in self.samplers.iter().enumerate() {
            let range = self.product.factor_range(i);
            sampler.sample(&x0[range.clone()], t, rng, &mut out[range])?;
        }
        Ok(())
    }
}
