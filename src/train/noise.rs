//! The exact noising process of DSM: heat-kernel sampler plus heat-kernel score.

use super::trainer::DsmKernel;
use crate::error::{Error, Result};
use crate::heat_kernel::{auto_kernel, HeatKernel};
use crate::manifold::Manifold;
use crate::random::Rng;
use crate::sampling::{auto_sampler, HeatKernelSampler};

/// [`DsmKernel`] from an exact heat-kernel sampler and the heat kernel's score:
/// `x ~ p_t(x₀, ·)` by [`HeatKernelSampler::sample`], target `∇_x log p_t(x₀, x)` by
/// [`HeatKernel::score`]. Both must describe the same kernel (same `t` convention,
/// `∂_t p = ½Δp`), which [`HeatKernelNoise::for_manifold`] guarantees.
pub struct HeatKernelNoise {
    sampler: Box<dyn HeatKernelSampler>,
    kernel: Box<dyn HeatKernel>,
}

impl HeatKernelNoise {
    /// The exact sampler and automatic kernel of a manifold ([`auto_sampler`],
    /// [`auto_kernel`]: tori, spheres, SO(n), SU(n), U(n)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for manifolds without an exact sampler.
    pub fn for_manifold(manifold: &dyn Manifold) -> Result<Self> {
        Self::new(auto_sampler(manifold)?, auto_kernel(manifold)?)
    }

    /// A sampler and a kernel of the same manifold.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if their manifolds differ (by name).
    pub fn new(sampler: Box<dyn HeatKernelSampler>, kernel: Box<dyn HeatKernel>) -> Result<Self> {
        if sampler.manifold().name() != kernel.manifold().name() {
            return Err(Error::invalid(
                "kernel",
                kernel.manifold().name(),
                format!(
                    "a kernel on the sampler's manifold {}",
                    sampler.manifold().name()
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
