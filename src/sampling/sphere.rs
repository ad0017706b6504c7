//! Exact sampling of the sphere heat kernel by rejection in the geodesic angle.

use super::HeatKernelSampler;
use crate::error::{check_len, check_time, Error, Result};
use crate::heat_kernel::{KernelMethod, SphereHeatKernel};
use crate::manifold::{Manifold, Sphere, MEMBERSHIP_TOLERANCE};
use crate::random::{standard_normal, uniform, Rng};
use std::f64::consts::{PI, TAU};

/// Largest number of proposals per draw before [`Error::Numerical`] is returned.
pub const MAX_PROPOSALS: usize = 100_000;

/// Smallest acceptance probability per proposal the rejection sampler accepts to work with
/// (`10⁻³`: at most ≈ 1000 kernel evaluations per draw expected, and `MAX_PROPOSALS` then
/// fails with probability `e^{−100}`); below it, [`Error::Numerical`] at once, naming the
/// acceptance. [`super::SphereAutoSampler`] uses rejection only above `0.05`.
pub const MIN_ACCEPTANCE: f64 = 1e-3;

/// Samples `p_t(x₀, ·)` on `S^d` by rejection, with the exact kernel of
/// [`SphereHeatKernel`] (`Auto`) in the acceptance ratio.
///
/// On `S¹` the angle is a wrapped normal: `x₀` is rotated by `φ = √t z` (exact, no rejection).
/// For `d ≥ 2` one of two proposals is used:
///
/// * Gaussian proposal: draw a tangent Gaussian `v ~ N(0, t I_d)` at `x₀`, reject
///   `|v| > π`, and propose `x = exp_{x₀}(v)`. Its density w.r.t. the volume of `S^d` is
///   `q(θ) = (2πt)^{−d/2} e^{−θ²/2t} (θ/sin θ)^{d−1}` at `θ = |v|` (the exp-map Jacobian
///   `(sin θ/θ)^{d−1}` divides the Gaussian). Accept with probability
///   `r(θ)/r(0)`, `r(θ) = p_t(θ) e^{θ²/2t} (sin θ/θ)^{d−1} ∝ p_t/q`, valid because
///   `r(θ) ≤ r(0)` on `[0, π]` (checked numerically on a fine grid for `d ∈ {2, 3}` in the tests).
/// * Uniform proposal: `x` uniform on `S^d`, accepted with `p_t(θ)/p_t(0)`
///   (valid since the kernel decreases in θ).
///
/// Per proposal, the acceptance probability is `(2πt)^{−d/2}/p_t(0)` for the Gaussian proposal
/// and `1/(Vol(S^d) p_t(0))` for the uniform one (integrate `q × acceptance` over the sphere);
/// the sampler uses the larger, i.e. the Gaussian proposal iff `(2πt)^{d/2} < Vol(S^d)`
/// (`t < 2` on `S²`, `t < 1.16` on `S³`). The acceptance rate is then at least `0.7` on `S²`
/// (at `t = 2`), `≈ 1 − d(d−1)t/12` for small `t`, and `→ 1` for large `t`. For `d ≥ 4` the
/// bound `r(θ) ≤ r(0)` of the Gaussian proposal is checked numerically on a grid of `θ` for
/// `d ∈ {4, 5, 8, 16, 127}`, `t ∈ [1e-5, 10]` wherever [`super::SphereAutoSampler`] uses this
/// sampler (`tests/heat_kernel_sampling.rs`); elsewhere that sampler switches to the angle flow.
///
/// Exact in every dimension: the `Auto` kernel is exact for all `d` and `t` (exact small-time
/// recursions for `d ≥ 4`, see [`crate::heat_kernel::odd_sphere`] and
/// [`crate::heat_kernel::even_sphere`]).
/// Cost per draw: about one kernel evaluation per proposal.
#[derive(Clone, Copy, Debug)]
pub struct SphereHeatKernelSampler {
    sphere: Sphere,
    kernel: SphereHeatKernel,
}

impl SphereHeatKernelSampler {
    /// The sampler on `sphere`.
    pub fn new(sphere: Sphere) -> Self {
        SphereHeatKernelSampler {
            sphere,
            kernel: SphereHeatKernel::new(sphere, KernelMethod::Auto),
        }
    }

    /// `log r(θ) = log p_t(θ) + θ²/2t + (d−1) log(sin θ/θ)`.
    fn log_ratio(&self, theta: f64, t: f64) -> Result<f64> {
        let d = self.sphere.dim() as f64;
        let lp = self.kernel.log_prob_angle(theta, t)?.log_prob;
        let jac = if theta < 1e-4 {
            -theta * theta / 6.0
        } else {
            (theta.sin() / theta).ln()
        };
        Ok(lp + theta * theta / (2.0 * t) + (d - 1.0) * jac)
    }
}

/// [`Error::Numerical`] if the acceptance `e^{log_acceptance}` is below [`MIN_ACCEPTANCE`].
fn check_acceptance(log_acceptance: f64, d: usize, t: f64) -> Result<()> {
    let acceptance = log_acceptance.min(0.0).exp();
    if acceptance >= MIN_ACCEPTANCE {
        Ok(())
    } else {
        Err(Error::Numerical {
            method: "sphere heat-kernel rejection sampler",
            detail: format!(
                "acceptance {acceptance:.2e} per proposal on S{d} at t = {t:e}, below \
                 {MIN_ACCEPTANCE:e} (≈ {:.1e} kernel evaluations per draw); use \
                 SphereAutoSampler or SphereFlowSampler",
                1.0 / acceptance
            ),
        })
    }
}

fn too_many(t: f64) -> Error {
    Error::Numerical {
        method: "sphere heat-kernel rejection sampler",
        detail: format!("no acceptance in {MAX_PROPOSALS} proposals at t = {t:e}"),
    }
}

impl HeatKernelSampler for SphereHeatKernelSampler {
    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }

    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        check_time(t)?;
        self.sphere.check_point(x0, MEMBERSHIP_TOLERANCE)?;
        check_len("sample output", out.len(), self.sphere.ambient_dim())?;
        let n = self.sphere.ambient_dim();
        let mut v = vec![0.0; n];
        if super::sphere_kernel_is_uniform(self.sphere.dim(), t) {
            // Uniform to f64 (total variation < ε/2): no proposals, no kernel evaluations.
            self.sphere.sample_uniform(rng, out);
            return Ok(());
        }
        if self.sphere.dim() == 1 {
            // Intrinsic circle: rotate x0 by a wrapped-normal angle.
            let phi = if t >= super::CIRCLE_UNIFORM_TIME {
                TAU * uniform(rng)
            } else {
                (t.sqrt() * standard_normal(rng)).rem_euclid(TAU)
            };
            let (s, c) = phi.sin_cos();
            out[0] = c * x0[0] - s * x0[1];
            out[1] = s * x0[0] + c * x0[1];
            return Ok(());
        }
        let d = self.sphere.dim() as f64;
        if 0.5 * d * (TAU * t).ln() >= self.sphere.log_volume() {
            let log_p0 = self.kernel.log_prob_angle(0.0, t)?.log_prob;
            check_acceptance(-self.sphere.log_volume() - log_p0, self.sphere.dim(), t)?;
            for _ in 0..MAX_PROPOSALS {
                self.sphere.sample_uniform(rng, out);
                let theta = self.sphere.distance(x0, out);
                let lp = self.kernel.log_prob_angle(theta, t)?.log_prob;
                if uniform(rng).ln() < lp - log_p0 {
                    return Ok(());
                }
            }
            return Err(too_many(t));
        }
        let log_r0 = self.log_ratio(0.0, t)?;
        // Acceptance (2πt)^{−d/2}/p_t(0) = e^{−log r(0)} (type docs).
        check_acceptance(-log_r0 - 0.5 * d * (TAU * t).ln(), self.sphere.dim(), t)?;
        let s = t.sqrt();
        for _ in 0..MAX_PROPOSALS {
            self.sphere.sample_tangent_normal(x0, rng, &mut v);
            v.iter_mut().for_each(|a| *a *= s);
            let theta = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if theta > PI {
                continue;
            }
            let log_r = self.log_ratio(theta, t)?;
            if uniform(rng).ln() < log_r - log_r0 {
                self.sphere.exp(x0, &v, out);
                return Ok(());
            }
        }
        Err(too_many(t))
    }
}
