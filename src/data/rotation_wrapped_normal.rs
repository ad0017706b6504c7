//! Wrapped normal mixtures on the rotation group `SO(3)`.
//!
//! A wrapped normal `WN(μ, σ²)` on `SO(3)` is the law of `R = μ · expm(Ω)` where `Ω ∈ so(3)` is
//! a Gaussian `N(0, σ² I₃)` in an orthonormal basis of the Lie algebra for the crate's metric
//! `⟨A, B⟩ = ½ tr(AᵀB)` ([`crate::conventions`]), i.e. `R = exp_μ(ξ)` with `ξ` a standard tangent Gaussian
//! at `μ` scaled by `σ`. Its rotation angle away from `μ` is `θ = d(μ, R) = |Ω| mod` wrapping.
//!
//! # Density (w.r.t. the Riemannian volume, total `8π²`)
//! The exponential map of a bi-invariant metric has volume Jacobian
//! `∏_{α>0} (sin(α(Ω)/2) / (α(Ω)/2))² = 4 sin²(|Ω|/2) / |Ω|²` on `SO(3)` (one positive root,
//! `α(Ω) = |Ω|`), and the preimages of a rotation by angle `θ ∈ [0, π]` about the axis `n` are
//! `Ω = (θ + 2πk) n`, `k ∈ Z`. Summing the Gaussian over them:
//!
//! `p(R) = (2πσ²)^{−3/2} Σ_{k∈Z} (θ + 2πk)² exp(−(θ + 2πk)²/(2σ²)) / (4 sin²(θ/2))`.
//!
//! (Check: the volume element in exponential coordinates is `4 sin²(θ/2) dθ dΩ_{S²}`, so
//! `∫ p = 4π ∫_0^π Σ_k … dθ = ∫_{R³} N(0, σ²I) = 1`; unit test by quadrature.) This is the
//! "wrapped normal" of RSGM's SO(3) mixtures; it is *not* the heat kernel (the isotropic
//! Gaussian IGSO(3), [`crate::heat_kernel::auto_kernel`] at `t = σ²`), whose path sum
//! ([`crate::conventions`]) has the same images but the Jacobian factor to the power one,
//! `((θ+2πk)/2) / sin(θ/2)`, and the factor `e^{|ρ|² t/2}`: the two densities differ by
//! `O(θ² + σ²)` relative near the mean.
//!
//! At `θ = 0` the images `k ≠ 0` (whole spheres `|Ω| = 2π|k|` mapped to `μ`) make the density
//! genuinely unbounded, `≈ (2πσ²)^{−3/2} Σ_{k≠0} (2πk)² e^{−2π²k²/σ²} / θ²`: an integrable
//! singularity of weight `e^{−2π²/σ²}` (`≈ 3·10⁻⁹` at `σ = 1`), and [`log_wrapped_normal_rotation`]
//! returns `+∞` at `θ = 0` unless that weight underflows (`σ ≲ 0.12`). For the same reason a
//! wrapped normal does *not* tend to the uniform (Haar) law as `σ → ∞`, unlike the heat kernel:
//! use it with `σ ≲ 1` (the built-in target uses `σ ≤ 0.4`).

use super::targets::{validate_weights, ComponentChooser, Target};
use super::von_mises_fisher::log_sum_exp;
use crate::error::{Error, Result};
use crate::manifold::{Manifold, SpecialOrthogonal, MEMBERSHIP_TOLERANCE};
use crate::random::Rng;
use std::f64::consts::{PI, TAU};

/// `ln p(θ)` of the wrapped normal `WN(μ, σ²)` on `SO(3)` at a rotation at angle `θ = d(μ, R)`
/// from its mean (module docs), density w.r.t. the Riemannian volume of the ½tr metric.
///
/// Evaluated as `−(3/2) ln(2πσ²) + 2 ln((θ/2)/sin(θ/2)) + LSE_k[2 ln|1 + 2πk/θ| − (θ+2πk)²/(2σ²)]`
/// (the `k = 0` image factored out, so no cancellation as `θ → 0`), over
/// `|k| ≤ K = ⌈(10σ + π)/2π⌉ + 1`: omitted images have `|θ + 2πk| ≥ 10σ + π` and weigh
/// `< e^{−50}` relative to the included ones. Accuracy a few ulps of the result; cost `2K + 1`
/// exponentials. `θ` is clamped into `[0, π]`.
///
/// Returns NaN if `σ` is not finite and positive or `θ` is NaN; `+∞` at `θ = 0` when an image
/// `k ≠ 0` contributes (module docs).
pub fn log_wrapped_normal_rotation(theta: f64, sigma: f64) -> f64 {
    if !(sigma.is_finite() && sigma > 0.0) || theta.is_nan() {
        return f64::NAN;
    }
    let theta = theta.clamp(0.0, PI);
    let inv_two_var = 0.5 / (sigma * sigma);
    let k_max = ((10.0 * sigma + PI) / TAU).ceil() as i64 + 1;
    let gauss = -1.5 * (TAU * sigma * sigma).ln();
    if theta == 0.0 {
        let image = -(TAU * TAU) * inv_two_var;
        return if image.exp() > 0.0 {
            f64::INFINITY
        } else {
            gauss
        };
    }
    let mut exponents = Vec::with_capacity(2 * k_max as usize + 1);
    for k in -k_max..=k_max {
        let phi = theta + TAU * k as f64;
        let ratio = (phi / theta).abs();
        if ratio == 0.0 {
            continue;
        }
        exponents.push(2.0 * ratio.ln() - phi * phi * inv_two_var);
    }
    let half = 0.5 * theta;
    gauss + 2.0 * (half / half.sin()).ln() + log_sum_exp(&exponents)
}

/// One component of a [`RotationWrappedNormalMixture`].
#[derive(Clone, Debug, PartialEq)]
pub struct RotationWrappedNormalComponent {
    /// Mixture weight (normalised by [`RotationWrappedNormalMixture::new`]).
    pub weight: f64,
    /// Mean rotation, row-major `3 × 3` (projected exactly onto SO(3) by the constructor).
    pub mean: Vec<f64>,
    /// Standard deviation `σ > 0` of the Lie-algebra Gaussian (radians, ½tr metric).
    pub std: f64,
}

/// A mixture `Σ_j w_j WN(μ_j, σ_j²)` of wrapped normals on `SO(3)` (module docs).
///
/// Sampling: component `j` with probability `w_j`, then `R = exp_{μ_j}(σ_j ξ)` with `ξ` a
/// standard tangent Gaussian ([`Manifold::sample_tangent_normal`]); exact. Log density by
/// log-sum-exp over components of [`log_wrapped_normal_rotation`] at `θ_j = d(μ_j, R)`.
#[derive(Clone, Debug)]
pub struct RotationWrappedNormalMixture {
    group: SpecialOrthogonal,
    components: Vec<RotationWrappedNormalComponent>,
    chooser: ComponentChooser,
}

impl RotationWrappedNormalMixture {
    /// A mixture on `SO(3)`; weights are normalised to sum to 1.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for no components, a weight that is not finite and positive,
    /// or a standard deviation that is not finite and positive; [`Error::DimensionMismatch`],
    /// [`Error::NonFinite`] or [`Error::NotOnManifold`] for a mean that is not a rotation
    /// (tolerance [`MEMBERSHIP_TOLERANCE`]).
    pub fn new(components: Vec<RotationWrappedNormalComponent>) -> Result<Self> {
        let group = SpecialOrthogonal::new(3)?;
        let weights: Vec<f64> = components.iter().map(|c| c.weight).collect();
        let weights = validate_weights(&weights)?;
        let mut normalised = Vec::with_capacity(components.len());
        for (c, w) in components.into_iter().zip(&weights) {
            group.check_point(&c.mean, MEMBERSHIP_TOLERANCE)?;
            if !(c.std.is_finite() && c.std > 0.0) {
                return Err(Error::invalid(
                    "std",
                    c.std,
                    "a finite standard deviation σ > 0",
                ));
            }
            let mut mean = vec![0.0; 9];
            group.project_point(&c.mean, &mut mean);
            normalised.push(RotationWrappedNormalComponent {
                weight: *w,
                mean,
                std: c.std,
            });
        }
        Ok(RotationWrappedNormalMixture {
            group,
            components: normalised,
            chooser: ComponentChooser::new(&weights),
        })
    }

    /// The (normalised) components.
    pub fn components(&self) -> &[RotationWrappedNormalComponent] {
        &self.components
    }
}

impl Target for RotationWrappedNormalMixture {
    fn name(&self) -> String {
        format!(
            "wrapped normal mixture on SO(3) ({} components)",
            self.components.len()
        )
    }

    fn manifold(&self) -> &dyn Manifold {
        &self.group
    }

    /// Cost `O(J (1 + σ))` for `J` components (one rotation angle each).
    fn log_prob(&self, x: &[f64]) -> f64 {
        let exps: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                c.weight.ln() + log_wrapped_normal_rotation(self.group.distance(&c.mean, x), c.std)
            })
            .collect();
        log_sum_exp(&exps)
    }

    fn sample(&self, rng: &mut Rng, out: &mut [f64]) {
        let c = &self.components[self.chooser.choose(rng)];
        let mut xi = [0.0; 9];
        self.group.sample_tangent_normal(&c.mean, rng, &mut xi);
        xi.iter_mut().for_each(|v| *v *= c.std);
        self.group.exp(&c.mean, &xi, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Composite Simpson on `[0, π]` with `n` (even) intervals.
    fn simpson(n: usize, f: impl Fn(f64) -> f64) -> f64 {
        let h = PI / n as f64;
        let mut s = f(0.0) + f(PI);
        for i in 1..n {
            s += if i % 2 == 1 { 4.0 } else { 2.0 } * f(i as f64 * h);
        }
        s * h / 3.0
    }

    /// `∫_{SO(3)} f(θ) p dV = 4π ∫_0^π f(θ) p(θ) 4 sin²(θ/2) dθ` (Simpson, 4000 intervals: the
    /// integrand `Σ_k φ² e^{−φ²/2σ²}` is smooth, error `O(h⁴) ≈ 1e-12` for `σ ≥ 0.2`).
    fn integrate(sigma: f64, f: impl Fn(f64) -> f64) -> f64 {
        4.0 * PI
            * simpson(4000, |t| {
                // The integrand is continuous at θ = 0 (where p = +∞ and the weight is 0).
                let t = t.max(1e-12);
                let w = 4.0 * (0.5 * t).sin().powi(2);
                f(t) * (log_wrapped_normal_rotation(t, sigma) + w.ln()).exp()
            })
    }

    #[test]
    fn density_integrates_to_one_and_matches_gaussian_moment() {
        // E[cos θ] = E[cos |Ω|] for Ω ~ N(0, σ² I₃) = (1 − σ²) e^{−σ²/2} (from
        // ∫_0^∞ r² cos(σr) e^{−r²/2} dr = √(π/2)(1 − σ²) e^{−σ²/2}); independent of the wrapping sum.
        for &sigma in &[0.2, 0.5, 1.0, 2.0, 5.0] {
            let mass = integrate(sigma, |_| 1.0);
            assert!((mass - 1.0).abs() < 1e-10, "σ={sigma}: mass {mass}");
            let moment = integrate(sigma, f64::cos);
            let exact = (1.0 - sigma * sigma) * (-0.5 * sigma * sigma).exp();
            assert!(
                (moment - exact).abs() < 1e-10,
                "σ={sigma}: E cos θ {moment} vs {exact}"
            );
        }
    }

    #[test]
    fn small_sigma_matches_direct_formula_and_centre_is_singular() {
        // Small σ, moderate θ: only k = 0 matters, p = N(θ) θ² / (4 sin²(θ/2)) directly.
        let (sigma, theta) = (0.1f64, 0.3f64);
        let direct = -1.5 * (TAU * sigma * sigma).ln() - theta * theta / (2.0 * sigma * sigma)
            + (theta * theta / (4.0 * (0.5 * theta).sin().powi(2))).ln();
        assert!((log_wrapped_normal_rotation(theta, sigma) - direct).abs() < 1e-13);
        // Large σ does NOT tend to Haar: the images pile up at the mean (module docs).
        assert!(
            log_wrapped_normal_rotation(1e-3, 40.0) > log_wrapped_normal_rotation(3.0, 40.0) + 10.0
        );
        // θ → 0 with small σ: only k = 0 matters, p → (2πσ²)^{−3/2}.
        let sigma = 0.1;
        let g = -1.5 * (TAU * sigma * sigma).ln();
        assert!((log_wrapped_normal_rotation(1e-12, sigma) - g).abs() < 1e-12);
        assert_eq!(log_wrapped_normal_rotation(0.0, sigma), g);
        assert_eq!(log_wrapped_normal_rotation(0.0, 1.0), f64::INFINITY);
        assert!(log_wrapped_normal_rotation(1.0, 0.0).is_nan());
        assert!(log_wrapped_normal_rotation(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn sampler_matches_density_moment() {
        let so3 = SpecialOrthogonal::new(3).unwrap();
        let mut mean = vec![0.0; 9];
        let mut rng = crate::random::rng_from_seed(3);
        so3.sample_uniform(&mut rng, &mut mean);
        for (seed, &sigma) in [0.3, 1.0, 2.5].iter().enumerate() {
            let t = RotationWrappedNormalMixture::new(vec![RotationWrappedNormalComponent {
                weight: 1.0,
                mean: mean.clone(),
                std: sigma,
            }])
            .unwrap();
            let n = 50_000;
            let mut xs = vec![0.0; n * 9];
            t.sample_batch(seed as u64, &mut xs).unwrap();
            let cos: Vec<f64> = xs
                .chunks_exact(9)
                .map(|x| so3.distance(&mean, x).cos())
                .collect();
            let m = cos.iter().sum::<f64>() / n as f64;
            let var = cos.iter().map(|c| (c - m).powi(2)).sum::<f64>() / (n - 1) as f64;
            let exact = integrate(sigma, f64::cos);
            assert!(
                (m - exact).abs() < 5.0 * (var / n as f64).sqrt(),
                "σ={sigma}: {m} vs {exact}"
            );
            // E[cos² θ] by quadrature of the density against the samples (checks the shape).
            let exact2 = integrate(sigma, |th| th.cos().powi(2));
            let m2 = cos.iter().map(|c| c * c).sum::<f64>() / n as f64;
            assert!((m2 - exact2).abs() < 5.0 / (n as f64).sqrt(), "σ={sigma}");
            for x in xs.chunks_exact(9) {
                so3.check_point(x, 1e-12).unwrap();
            }
        }
    }

    #[test]
    fn rejects_bad_components() {
        let id = vec![1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let make = |mean: Vec<f64>, std: f64, weight: f64| {
            RotationWrappedNormalMixture::new(vec![RotationWrappedNormalComponent {
                weight,
                mean,
                std,
            }])
        };
        assert!(make(id.clone(), 0.5, 1.0).is_ok());
        assert!(make(id.clone(), 0.0, 1.0).is_err());
        assert!(make(id.clone(), f64::NAN, 1.0).is_err());
        assert!(make(id.clone(), 0.5, -1.0).is_err());
        assert!(make(vec![1.0; 9], 0.5, 1.0).is_err());
        assert!(make(id[..4].to_vec(), 0.5, 1.0).is_err());
        let mut reflection = id;
        reflection[0] = -1.0;
        assert!(make(reflection, 0.5, 1.0).is_err());
        assert!(RotationWrappedNormalMixture::new(vec![]).is_err());
    }
}
