//! Von Mises–Fisher mixtures on `S^d`.

use super::special::{log_bessel_i, sample_beta};
use super::targets::{validate_weights, ComponentChooser, Target};
use crate::error::{Error, Result};
use crate::manifold::{Manifold, Sphere};
use crate::random::{standard_normal, uniform, Rng};
use std::f64::consts::PI;

/// `ln C_d(κ)`, the log normaliser of the von Mises–Fisher density
/// `f(x) = C_d(κ) exp(κ μ·x)` on `S^d ⊂ R^{d+1}` with respect to the Riemannian
/// (surface) volume.
///
/// With `p = d + 1`: `C_d(κ) = κ^{p/2−1} / ((2π)^{p/2} I_{p/2−1}(κ))`.
/// On `S²` this is `κ / (4π sinh κ)`, evaluated as
/// `ln κ − ln 2π − κ − ln(1 − e^{−2κ})` with `ln(−expm1(−2κ))`, accurate to a few ulps for
/// every `κ > 0` (no overflow of `sinh`). Other dimensions use [`log_bessel_i`]
/// (absolute error ≈ `1e-16 (κ + d) ln(2 + κ + d)`). `κ = 0` gives the uniform density
/// `−ln vol(S^d)`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `d == 0` or `κ` is negative or not finite.
pub fn log_vmf_normaliser(d: usize, kappa: f64) -> Result<f64> {
    if d == 0 {
        return Err(Error::invalid("d", d, "a sphere dimension d >= 1"));
    }
    if !(kappa.is_finite() && kappa >= 0.0) {
        return Err(Error::invalid(
            "kappa",
            kappa,
            "a finite concentration κ >= 0",
        ));
    }
    if kappa == 0.0 {
        return Ok(-Sphere::new(d)?.log_volume());
    }
    if d == 2 {
        return Ok(kappa.ln() - (2.0 * PI).ln() - kappa - (-(-2.0 * kappa).exp_m1()).ln());
    }
    let p = (d + 1) as f64;
    let nu = 0.5 * p - 1.0;
    Ok(nu * kappa.ln() - 0.5 * p * (2.0 * PI).ln() - log_bessel_i(nu, kappa))
}

/// One component of a [`VonMisesFisherMixture`].
#[derive(Clone, Debug, PartialEq)]
pub struct VonMisesFisherComponent {
    /// Mixture weight (normalised by [`VonMisesFisherMixture::new`]).
    pub weight: f64,
    /// Mean direction, a unit vector of `R^{d+1}` (normalised by the constructor).
    pub mean: Vec<f64>,
    /// Concentration `κ ≥ 0`.
    pub kappa: f64,
}

/// A finite mixture `Σ_j w_j C_d(κ_j) exp(κ_j μ_j·x)` of von Mises–Fisher densities on `S^d`.
///
/// Densities are with respect to the Riemannian volume of the unit sphere.
/// Sampling uses Wood's (1994) rejection algorithm, exact for every `d ≥ 1` and `κ ≥ 0`.
#[derive(Clone, Debug)]
pub struct VonMisesFisherMixture {
    sphere: Sphere,
    components: Vec<VonMisesFisherComponent>,
    /// `ln w_j + ln C_d(κ_j)`, cached.
    log_coefficients: Vec<f64>,
    /// Picks a component by weight.
    chooser: ComponentChooser,
}

impl VonMisesFisherMixture {
    /// A mixture on `S^d`; weights are normalised to sum to 1 and means to unit length.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `d == 0`, no components, a weight that is not finite and
    /// positive, a negative / non-finite `κ`, or a zero / non-finite mean;
    /// [`Error::DimensionMismatch`] if a mean does not have `d + 1` entries.
    pub fn new(d: usize, components: Vec<VonMisesFisherComponent>) -> Result<Self> {
        let sphere = Sphere::new(d)?;
        let weights: Vec<f64> = components.iter().map(|c| c.weight).collect();
        let weights = validate_weights(&weights)?;
        let mut normalised = Vec::with_capacity(components.len());
        let mut log_coefficients = Vec::with_capacity(components.len());
        for (c, w) in components.into_iter().zip(&weights) {
            crate::error::check_len("vMF mean direction", c.mean.len(), d + 1)?;
            let norm = c.mean.iter().map(|v| v * v).sum::<f64>().sqrt();
            if !(norm.is_finite() && norm > 0.0) {
                return Err(Error::invalid(
                    "mean",
                    format!("{:?}", c.mean),
                    "a finite nonzero mean direction",
                ));
            }
            log_coefficients.push(w.ln() + log_vmf_normaliser(d, c.kappa)?);
            normalised.push(VonMisesFisherComponent {
                weight: *w,
                mean: c.mean.iter().map(|v| v / norm).collect(),
                kappa: c.kappa,
            });
        }
        let chooser = ComponentChooser::new(&weights);
        Ok(VonMisesFisherMixture {
            sphere,
            components: normalised,
            log_coefficients,
            chooser,
        })
    }

    /// The (normalised) components.
    pub fn components(&self) -> &[VonMisesFisherComponent] {
        &self.components
    }
}

/// One draw of `W = μ·x` for `x ~ vMF(μ, κ)` on `S^d` by Wood (1994), returned as
/// `(W, 1 − W)` with `1 − W` computed without cancellation.
///
/// With `b = d / (2κ + √(4κ² + d²))`, `x₀ = (1 − b)/(1 + b)`, `c = κ x₀ + d ln(1 − x₀²)`:
/// draw `Z ~ Beta(d/2, d/2)`, `U ~ U(0, 1)`, set `W = (1 − (1 + b)Z)/(1 − (1 − b)Z)` and
/// accept if `κW + d ln(1 − x₀W) − c ≥ ln U`. Acceptance rate ≥ ~0.6 for all `κ`, `d`.
fn wood_cosine(d: usize, kappa: f64, rng: &mut Rng) -> (f64, f64) {
    let m = d as f64;
    let b = m / (2.0 * kappa + (4.0 * kappa * kappa + m * m).sqrt());
    let x0 = (1.0 - b) / (1.0 + b);
    let c = kappa * x0 + m * (1.0 - x0 * x0).ln();
    loop {
        let z = if d == 2 {
            uniform(rng)
        } else {
            sample_beta(0.5 * m, 0.5 * m, rng)
        };
        let denominator = 1.0 - (1.0 - b) * z;
        let w = (1.0 - (1.0 + b) * z) / denominator;
        let one_minus_w = 2.0 * b * z / denominator;
        let u = uniform(rng);
        if kappa * w + m * (1.0 - x0 * w).ln() - c >= u.ln() {
            return (w, one_minus_w);
        }
    }
}

/// Writes one draw of `vMF(μ, κ)` on `S^d` into `out`: `x = W μ + √(1 − W²) v` with `W` from
/// Wood's algorithm and `v` uniform on the unit sphere of `μ^⊥` (a projected Gaussian).
///
/// # Panics
/// If `mean.len() != out.len()` (programming error).
pub fn sample_vmf(mean: &[f64], kappa: f64, rng: &mut Rng, out: &mut [f64]) {
    assert_eq!(mean.len(), out.len());
    let d = mean.len() - 1;
    let (w, one_minus_w) = wood_cosine(d, kappa, rng);
    let radial = (one_minus_w * (1.0 + w)).max(0.0).sqrt();
    loop {
        for o in out.iter_mut() {
            *o = standard_normal(rng);
        }
        let c: f64 = out.iter().zip(mean).map(|(a, b)| a * b).sum();
        for (o, m) in out.iter_mut().zip(mean) {
            *o -= c * m;
        }
        let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
        if norm > 1e-150 {
            for (o, m) in out.iter_mut().zip(mean) {
                *o = w * m + radial * *o / norm;
            }
            // Renormalise: removes the O(ε) drift of W² + (1 − W²) ≠ 1 in floating point.
            let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
            out.iter_mut().for_each(|o| *o /= norm);
            return;
        }
    }
}

impl Target for VonMisesFisherMixture {
    fn name(&self) -> String {
        format!(
            "vMF mixture on S^{} ({} components)",
            self.sphere.dim(),
            self.components.len()
        )
    }

    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }

    /// `ln Σ_j exp(ln w_j + ln C_d(κ_j) + κ_j μ_j·x)` by log-sum-exp. Accuracy ≈ a few ulps
    /// of the largest exponent; cost `O(J (d + 1))` for `J` components.
    fn log_prob(&self, x: &[f64]) -> f64 {
        let mut exponents = [0.0f64; 16];
        let mut heap = Vec::new();
        let exps: &mut [f64] = if self.components.len() <= 16 {
            &mut exponents[..self.components.len()]
        } else {
            heap.resize(self.components.len(), 0.0);
            &mut heap
        };
        for ((e, c), lc) in exps
            .iter_mut()
            .zip(&self.components)
            .zip(&self.log_coefficients)
        {
            let dot: f64 = c.mean.iter().zip(x).map(|(a, b)| a * b).sum();
            *e = lc + c.kappa * dot;
        }
        log_sum_exp(exps)
    }

    fn sample(&self, rng: &mut Rng, out: &mut [f64]) {
        let c = &self.components[self.chooser.choose(rng)];
        sample_vmf(&c.mean, c.kappa, rng, out);
    }
}

/// `ln Σ exp(a_i)`, stable (shifts by the maximum); `−∞` for an empty slice.
pub(crate) fn log_sum_exp(a: &[f64]) -> f64 {
    let max = a.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return max;
    }
    max + a.iter().map(|v| (v - max).exp()).sum::<f64>().ln()
}
