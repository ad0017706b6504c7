//! The exact noising process of DSM: heat-kernel sampler plus heat-kernel score.

use super::trainer::DsmKernel;
use crate::error::{Error, Result};
use crate::heat_kernel::HeatKernel;
use crate::manifold::Manifold;
use crate::random::Rng;
use crate::registry::{self, Registry};
use crate::sampling::HeatKernelSampler;

/// [`DsmKernel`] from an exact heat-kernel sampler and the heat kernel's score:
/// `x ~ p_t(x₀, ·)` by [`HeatKernelSampler::sample`], target `∇_x log p_t(x₀, x)` by
/// [`HeatKernel::score`]. Both must describe the same kernel (same `t` convention,
/// `∂_t p = ½Δp`), which [`HeatKernelNoise::for_manifold`] guarantees.
pub struct HeatKernelNoise {
    sampler: Box<dyn HeatKernelSampler>,
    kernel: Box<dyn HeatKernel>,
}

impl HeatKernelNoise {
    /// The exact sampler and `Auto` kernel of a built-in manifold or a product of built-in
    /// manifolds ([`registry::auto_sampler`], [`registry::auto_kernel`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for manifolds the built-in registry does not know.
    pub fn for_manifold(manifold: &dyn Manifold) -> Result<Self> {
        Self::from_registry(registry::builtin(), manifold)
    }

    /// The exact sampler and `Auto` kernel of `manifold` from `registry` (user manifolds).
    ///
    /// # Errors
    /// As [`Registry::auto_sampler`] and [`Registry::auto_kernel`].
    pub fn from_registry(registry: &Registry, manifold: &dyn Manifold) -> Result<Self> {
        Self::new(
            registry.auto_sampler(manifold)?,
            registry.auto_kernel(manifold)?,
        )
    }

    /// A sampler and a kernel of the same manifold.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if their manifolds differ (by [`Manifold::spec`]).
    pub fn new(sampler: Box<dyn HeatKernelSampler>, kernel: Box<dyn HeatKernel>) -> Result<Self> {
        if sampler.manifold().spec() != kernel.manifold().spec() {
            return Err(Error::invalid(
                "kernel",
                kernel.manifold().spec(),
                format!(
                    "a kernel on the sampler's manifold {}",
                    sampler.manifold().spec()
                ),
            ));
        }
        Ok(HeatKernelNoise { sampler, kernel })
    }
}

impl DsmKernel for HeatKernelNoise {
    fn manifold(&self) -> &dyn Manifold {
        self.sampler.manifold()
    }

    fn sample_with_score(
        &self,
        x0: &[f64],
        t: f64,
        rng: &mut Rng,
        x: &mut [f64],
        target: &mut [f64],
    ) -> Result<()> {
        self.sampler.sample(x0, t, rng, x)?;
        self.kernel.score(x0, x, t, target)?;
        Ok(())
    }

    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, x: &mut [f64]) -> Result<()> {
        self.sampler.sample(x0, t, rng, x)
    }
}
