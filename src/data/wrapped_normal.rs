//! Wrapped normal mixtures on the flat torus `T^d`.

use super::targets::{validate_weights, ComponentChooser, Target};
use super::von_mises_fisher::log_sum_exp;
use crate::error::{check_len, Error, Result};
use crate::manifold::{Manifold, Torus};
use crate::random::{standard_normal, Rng};
use std::f64::consts::{PI, TAU};

/// Wraps an angle into `[0, 2π)`.
fn wrap_angle(a: f64) -> f64 {
    let r = a.rem_euclid(TAU);
    if r >= TAU {
        0.0
    } else {
        r
    }
}

/// Wraps an angle difference into `[−π, π)`.
fn wrap_difference(a: f64) -> f64 {
    let r = (a + PI).rem_euclid(TAU) - PI;
    if r >= PI {
        r - TAU
    } else {
        r
    }
}

/// `ln p(θ)` of the wrapped normal `WN(μ, σ²)` on the circle `R/2πZ` (density with respect
/// to arc length, integrating to 1 over `[0, 2π)`):
/// `p(θ) = Σ_{k∈Z} (2πσ²)^{-1/2} exp(−(δ + 2πk)²/(2σ²))`, `δ = θ − μ` wrapped into `[−π, π)`.
///
/// Evaluated in log space around the nearest image `k = 0`:
/// `ln p = −δ²/(2σ²) − ln(σ√(2π)) + ln Σ_{|k|≤K} exp(−((δ+2πk)² − δ²)/(2σ²))` with
/// `K = ⌈10σ/(2π)⌉ + 1`. Omitted images satisfy `|δ + 2πk| ≥ 10σ + π`, so their total is
/// below `e^{−50}` relative to the `k = 0` term: the result is exact to rounding
/// (a few ulps) for every `σ > 0`. Cost `2K + 1` exponentials.
///
/// Returns NaN if `σ` is not finite and positive.
pub fn log_wrapped_normal_1d(theta: f64, mean: f64, sigma: f64) -> f64 {
    if !(sigma.is_finite() && sigma > 0.0) {
        return f64::NAN;
    }
    let delta = wrap_difference(theta - mean);
    let k_max = (10.0 * sigma / TAU).ceil() as i64 + 1;
    let inv_two_var = 0.5 / (sigma * sigma);
    let mut sum = 0.0;
    for k in -k_max..=k_max {
        let shifted = delta + TAU * k as f64;
        sum += (-(shifted * shifted - delta * delta) * inv_two_var).exp();
    }
    -delta * delta * inv_two_var - (sigma * (TAU).sqrt()).ln() + sum.ln()
}

/// One component of a [`WrappedNormalMixture`]: a normal with diagonal covariance wrapped onto `T^d`.
#[derive(Clone, Debug, PartialEq)]
pub struct WrappedNormalComponent {
    /// Mixture weight (normalised by [`WrappedNormalMixture::new`]).
    pub weight: f64,
    /// Mean angles (wrapped into `[0, 2π)` by the constructor).
    pub mean: Vec<f64>,
    /// Per-angle standard deviations `σ_i > 0` (before wrapping).
    pub std: Vec<f64>,
}

/// A mixture `Σ_j w_j Π_i WN(θ_i; μ_{ji}, σ_{ji}²)` of diagonal wrapped normals on `T^d`.
///
/// The wrapped sum over the lattice `2πZ^d` of a diagonal Gaussian factorises into 1-D
/// wrapped normals, so the log density is exact to rounding (see [`log_wrapped_normal_1d`]).
/// Densities are with respect to the flat volume `dθ_1 ⋯ dθ_d` (total `(2π)^d`).
/// Sampling: component `j` with probability `w_j`, then `θ = μ_j + σ_j ⊙ z mod 2π`,
/// `z ~ N(0, I)`.
#[derive(Clone, Debug)]
pub struct WrappedNormalMixture {
    torus: Torus,
    components: Vec<WrappedNormalComponent>,
    chooser: ComponentChooser,
}

impl WrappedNormalMixture {
    /// A mixture on `T^d`; weights are normalised to sum to 1 and means wrapped into `[0, 2π)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `d == 0`, no components, a weight that is not finite and
    /// positive, a non-finite mean or a standard deviation that is not finite and positive;
    /// [`Error::DimensionMismatch`] if a mean or std vector does not have `d` entries.
    pub fn new(d: usize, components: Vec<WrappedNormalComponent>) -> Result<Self> {
        let torus = Torus::new(d)?;
        let weights: Vec<f64> = components.iter().map(|c| c.weight).collect();
        let weights = validate_weights(&weights)?;
        let mut normalised = Vec::with_capacity(components.len());
        for (c, w) in components.into_iter().zip(&weights) {
            check_len("wrapped normal mean", c.mean.len(), d)?;
            check_len("wrapped normal std", c.std.len(), d)?;
            if let Some(m) = c.mean.iter().find(|m| !m.is_finite()) {
                return Err(Error::invalid("mean", m, "finite mean angles"));
            }
            if let Some(s) = c.std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
                return Err(Error::invalid("std", s, "finite standard deviations σ > 0"));
            }
            normalised.push(WrappedNormalComponent {
                weight: *w,
                mean: c.mean.iter().map(|&m| wrap_angle(m)).collect(),
                std: c.std,
            });
        }
        let chooser = ComponentChooser::new(&weights);
        Ok(WrappedNormalMixture {
            torus,
            components: normalised,
            chooser,
        })
    }

    /// The (normalised) components.
    pub fn components(&self) -> &[WrappedNormalComponent] {
        &self.components
    }
}

impl Target for WrappedNormalMixture {
    fn name(&self) -> String {
        format!(
            "wrapped normal mixture on T^{} ({} components)",
            self.torus.dim(),
            self.components.len()
        )
    }

    fn manifold(&self) -> &dyn Manifold {
        &self.torus
    }

    /// `ln Σ_j w_j Π_i WN(θ_i; μ_{ji}, σ_{ji}²)` by log-sum-exp over components; cost
    /// `O(J d (1 + σ))`.
    fn log_prob(&self, x: &[f64]) -> f64 {
        let exps: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                c.weight.ln()
                    + x.iter()
                        .zip(c.mean.iter().zip(&c.std))
                        .map(|(&t, (&m, &s))| log_wrapped_normal_1d(t, m, s))
                        .sum::<f64>()
            })
            .collect();
        log_sum_exp(&exps)
    }

    fn sample(&self, rng: &mut Rng, out: &mut [f64]) {
        let c = &self.components[self.chooser.choose(rng)];
        for ((o, m), s) in out.iter_mut().zip(&c.mean).zip(&c.std) {
            *o = wrap_angle(m + s * standard_normal(rng));
        }
    }
}
