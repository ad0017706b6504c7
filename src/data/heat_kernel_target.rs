//! Heat-kernel mixtures as targets: an exactly sampled, exactly evaluated distribution on every
//! manifold with a heat kernel and an exact heat-kernel sampler (tori, spheres, SO(n), SU(n), U(n)).

use super::targets::Target;
use crate::error::{check_time, Result};
use crate::manifold::Manifold;
use crate::mixture::HeatKernelMixture;
use crate::random::{uniform, Rng};
use crate::registry::{auto_kernel, auto_sampler};
use crate::sampling::HeatKernelSampler;

/// The equal-weight mixture `p(x) = (1/N) Σ_i p_t(c_i, x)` of heat kernels at a fixed time `t`
/// around centres `c_i` (Brownian time, `∂_t p = ½Δp`; on `T^d` this is a mixture of isotropic
/// wrapped normals with `σ² = t`, on SO(3) of IGSO(3) laws).
///
/// - Density: [`HeatKernelMixture::log_prob`] with [`auto_kernel`] (exact to ~1e-12 relative).
/// - Sampling: a centre uniformly at random, then `x ~ p_t(c_i, ·)` by [`auto_sampler`]
///   (exact; the maximal-torus probability-flow sampler on groups).
pub struct HeatKernelMixtureTarget {
    mixture: HeatKernelMixture,
    sampler: Box<dyn HeatKernelSampler>,
    time: f64,
}

impl std::fmt::Debug for HeatKernelMixtureTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeatKernelMixtureTarget")
            .field("mixture", &self.mixture)
            .field("time", &self.time)
            .finish()
    }
}

impl HeatKernelMixtureTarget {
    /// The mixture of heat kernels at time `t` centred at the rows of `centres` on `manifold`.
    ///
    /// # Errors
    /// [`crate::Error::InvalidArgument`] for `t ≤ 0` or NaN, an empty `centres`, or a manifold
    /// without an automatic kernel or sampler; errors of [`HeatKernelMixture::new`] for bad rows.
    pub fn new(manifold: &dyn Manifold, centres: Vec<f64>, t: f64) -> Result<Self> {
        check_time(t)?;
        let sampler = auto_sampler(manifold)?;
        let mixture = HeatKernelMixture::new(auto_kernel(manifold)?, centres)?;
        Ok(HeatKernelMixtureTarget {
            mixture,
            sampler,
            time: t,
        })
    }

    /// The underlying mixture (its exact score and divergence at any time).
    pub fn mixture(&self) -> &HeatKernelMixture {
        &self.mixture
    }

    /// The kernel time `t` of the target.
    pub fn time(&self) -> f64 {
        self.time
    }
}

impl Target for HeatKernelMixtureTarget {
    fn name(&self) -> String {
        format!(
            "heat-kernel mixture on {} ({} centres, t = {})",
            self.manifold().spec(),
            self.mixture.len(),
            self.time
        )
    }

    fn manifold(&self) -> &dyn Manifold {
        self.mixture.kernel().manifold()
    }

    /// `log p(x)`; NaN if the kernel cannot be evaluated (not expected for points on the
    /// manifold: the automatic kernels cover every `(t, x)`).
    fn log_prob(&self, x: &[f64]) -> f64 {
        self.mixture.log_prob(x, self.time).unwrap_or(f64::NAN)
    }

    /// # Panics
    /// If the heat-kernel sampler fails (it returns an error where it cannot answer; the data
    /// generators use [`Target::try_sample`], which returns that error instead).
    fn sample(&self, rng: &mut Rng, out: &mut [f64]) {
        if let Err(e) = self.try_sample(rng, out) {
            panic!("heat-kernel mixture sampler failed: {e}");
        }
    }

    /// One draw: a centre uniformly at random, then the exact heat-kernel sampler.
    ///
    /// # Errors
    /// The sampler's ([`crate::sampling::HeatKernelSampler::sample`]).
    fn try_sample(&self, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        let n = self.manifold().ambient_dim();
        let count = self.mixture.len();
        let i = ((uniform(rng) * count as f64) as usize).min(count - 1);
        let centre = &self.mixture.points()[i * n..(i + 1) * n];
        self.sampler.sample(centre, self.time, rng, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{WrappedNormalComponent, WrappedNormalMixture};
    use crate::manifold::{SpecialUnitary, Torus};

    #[test]
    fn torus_heat_kernel_mixture_is_a_wrapped_normal_mixture() {
        // Independent route: on T^d the heat kernel at time t is the wrapped normal with σ² = t.
        let torus = Torus::new(2).unwrap();
        let centres = vec![1.0, 2.0, 4.0, 5.5];
        let t = 0.3;
        let target = HeatKernelMixtureTarget::new(&torus, centres.clone(), t).unwrap();
        let reference = WrappedNormalMixture::new(
            2,
            centres
                .chunks_exact(2)
                .map(|c| WrappedNormalComponent {
                    weight: 1.0,
                    mean: c.to_vec(),
                    std: vec![t.sqrt(); 2],
                })
                .collect(),
        )
        .unwrap();
        let mut xs = vec![0.0; 20_000 * 2];
        target.sample_batch(3, &mut xs).unwrap();
        for x in xs.chunks_exact(2).take(50) {
            let (a, b) = (target.log_prob(x), reference.log_prob(x));
            assert!((a - b).abs() < 1e-10 * (1.0 + b.abs()), "{a} vs {b}");
        }
        // E[cos θ₁] = mean_i e^{−t/2} cos c_{i,1}; |cos| ≤ 1 so the standard error is ≤ 1/√n.
        let exact = 0.5 * (-0.5 * t).exp() * (1.0f64.cos() + 4.0f64.cos());
        let m = xs.chunks_exact(2).map(|x| x[0].cos()).sum::<f64>() / 20_000.0;
        assert!((m - exact).abs() < 5.0 / 20_000f64.sqrt(), "{m} vs {exact}");
    }

    #[test]
    fn group_target_samples_on_the_group_with_finite_density() {
        let su2 = SpecialUnitary::new(2).unwrap();
        let mut rng = crate::random::rng_from_seed(1);
        let mut centres = vec![0.0; 16];
        for c in centres.chunks_exact_mut(8) {
            su2.sample_uniform(&mut rng, c);
        }
        let target = HeatKernelMixtureTarget::new(&su2, centres, 0.2).unwrap();
        let mut xs = vec![0.0; 64 * 8];
        target.sample_batch(2, &mut xs).unwrap();
        let mut lp = vec![0.0; 64];
        target.log_prob_batch(&xs, &mut lp).unwrap();
        assert!(lp.iter().all(|v| v.is_finite()));
        assert!(HeatKernelMixtureTarget::new(&su2, vec![], 0.2).is_err());
        assert!(HeatKernelMixtureTarget::new(&su2, xs[..8].to_vec(), 0.0).is_err());
    }
}
