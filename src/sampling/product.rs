//! Exact heat-kernel sampling on a product manifold, factor by factor.
//!
//! Brownian motion on a Riemannian product `M₁ × … × M_k` is the tuple of independent
//! Brownian motions on the factors (the Laplacian is the sum of the factors' Laplacians), so
//! `x ~ p_t(x₀, ·)` is drawn by sampling each factor `xⁱ ~ p_t^{(i)}(x₀ⁱ, ·)` with its own exact
//! sampler, in order, from the same random stream. Exactness and cost are the factors'.

use super::HeatKernelSampler;
use crate::error::{check_len, Result};
use crate::heat_kernel::check_inputs;
use crate::heat_kernel::product::check_factor_parts;
use crate::manifold::{Manifold, Product};
use crate::random::Rng;

/// Sampler of the heat kernel of a [`Product`]: one exact sampler per factor (module docs).
pub struct ProductHeatKernelSampler {
    product: Product,
    samplers: Vec<Box<dyn HeatKernelSampler>>,
}

impl ProductHeatKernelSampler {
    /// The product of the factor samplers `samplers[i]` on the factors of `product` (in order).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) unless there is one
    /// sampler per factor; [`Error::InvalidArgument`](crate::Error::InvalidArgument) if a
    /// sampler's manifold differs from its factor (by spec).
    pub fn new(product: Product, samplers: Vec<Box<dyn HeatKernelSampler>>) -> Result<Self> {
        check_factor_parts(
            &product,
            "factor samplers",
            samplers.iter().map(|s| s.manifold()),
        )?;
        Ok(ProductHeatKernelSampler { product, samplers })
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
