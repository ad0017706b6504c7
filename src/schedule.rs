//! Noise schedules: diffusion time `s ∈ [0, 1]` ↦ kernel (Brownian) time `t = σ(s)²`.
//!
//! The geometric schedule of Song & Ermon's variance-exploding SDE, used by
//! RSGM (De Bortoli et al. 2022, §5) and Lou et al. 2023:
//!
//! `σ(s) = σ_min^{1−s} σ_max^{s}`, `t(s) = σ(s)²`,
//! `g(s)² = dσ²/ds = 2 σ(s)² ln(σ_max/σ_min)`.
//!
//! With the crate's convention `∂_t p = ½ Δ p` (Brownian time), the forward
//! noising SDE in diffusion time is `dX = g(s) dB_s` in the sense that the law
//! of `X_s` is the heat kernel at kernel time `t(s)` (variance `σ(s)²` per
//! dimension in flat space). Only the difference `t(s) − t(0)` is noise
//! actually added by the SDE; this library treats `t(s) = σ(s)²` itself as the
//! kernel time (the data at `s = 0` are the heat-kernel smoothing at
//! `t = σ_min²`), as in the reference implementations.

use crate::error::{Error, Result};

/// Default `σ_min` of training and evaluation (`t_min = 1e-4`): small enough that the model
/// density at `t_min` is within `O(t_min · |Δ log p_data|)` of the data density on the
/// earth-science scales (features of ≳ 0.05 rad), large enough that the score stays `O(1/σ)`
/// with `σ ≥ 1e-2`. The per-manifold `σ_max` comes from
/// [`crate::registry::Registry::default_sigma_max`].
pub const DEFAULT_SIGMA_MIN: f64 = 1e-2;

/// Smallest `σ_min` a [`GeometricSchedule`] accepts (`1e-8`, kernel time `t_min = 1e-16`).
///
/// Points are stored as `f64` coordinates of unit scale, resolved to `ε ≈ 2.2e-16`; a noise
/// displacement of size `σ` is therefore represented with relative error about `ε/σ`, and the
/// score targets (`≈ displacement / σ²`, weighted by `σ²` in the loss) with the same relative
/// error. At `σ = 1e-8` that is `≈ 2e-8`; below, it grows until the targets are pure rounding
/// noise (`σ ≲ 1e-16`: measured DSM losses of `1e66` at `σ_min = 1e-50`), and `σ² = t`
/// underflows past the smallest normal `f64` at `σ ≈ 1.5e-154` (losses become NaN).
pub const MIN_SIGMA: f64 = 1e-8;

/// Largest `σ_max` a [`GeometricSchedule`] accepts (`1e8`, kernel time `t_max = 1e16`).
///
/// Heat kernels on the compact manifolds of this crate are uniform to double precision once
/// `t` is a few dozen times the squared diameter (a few hundred at most), so nothing is gained
/// past this bound; it keeps `σ²`, `g² = 2σ² ln(σ_max/σ_min)` and the time steps of the
/// samplers finite and well scaled.
pub const MAX_SIGMA: f64 = 1e8;

/// The geometric schedule `σ(s) = σ_min^{1−s} σ_max^{s}` (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeometricSchedule {
    sigma_min: f64,
    sigma_max: f64,
}

impl GeometricSchedule {
    /// A schedule from `σ_min` to `σ_max`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad level and the reason unless
    /// [`MIN_SIGMA`]` ≤ σ_min < σ_max ≤ `[`MAX_SIGMA`].
    pub fn new(sigma_min: f64, sigma_max: f64) -> Result<Self> {
        if !(sigma_min.is_finite() && sigma_min > 0.0) {
            return Err(Error::invalid(
                "sigma_min",
                format!("{sigma_min:e}"),
                "a finite noise level > 0",
            ));
        }
        if sigma_min < MIN_SIGMA {
            return Err(Error::invalid(
                "sigma_min",
                format!("{sigma_min:e}"),
                format!(
                    "a noise level >= {MIN_SIGMA:e}: below it the noise is lost in the rounding \
                     of f64 coordinates (relative error 2.2e-16/sigma in the score targets)"
                ),
            ));
        }
        if !(sigma_max.is_finite() && sigma_max > sigma_min) {
            return Err(Error::invalid(
                "sigma_max",
                format!("{sigma_max:e}"),
                format!(
                    "a finite noise level > sigma_min = {}",
                    crate::error::Num(sigma_min)
                ),
            ));
        }
        if sigma_max > MAX_SIGMA {
            return Err(Error::invalid(
                "sigma_max",
                format!("{sigma_max:e}"),
                format!(
                    "a noise level <= {MAX_SIGMA:e}: heat kernels are uniform to double \
                     precision long before t = sigma_max^2 = 1e16"
                ),
            ));
        }
        Ok(GeometricSchedule {
            sigma_min,
            sigma_max,
        })
    }

    /// `σ_min`.
    pub fn sigma_min(&self) -> f64 {
        self.sigma_min
    }

    /// `σ_max`.
    pub fn sigma_max(&self) -> f64 {
        self.sigma_max
    }

    /// `ln(σ_max/σ_min)`.
    pub fn log_ratio(&self) -> f64 {
        (self.sigma_max / self.sigma_min).ln()
    }

    /// `σ(s) = σ_min^{1−s} σ_max^{s} = σ_min exp(s ln(σ_max/σ_min))`.
    ///
    /// Defined by the same formula for `s` outside `[0, 1]` (extrapolation).
    pub fn sigma(&self, s: f64) -> f64 {
        self.sigma_min * (s * self.log_ratio()).exp()
    }

    /// Kernel time `t(s) = σ(s)²`.
    pub fn kernel_time(&self, s: f64) -> f64 {
        let sigma = self.sigma(s);
        sigma * sigma
    }

    /// `g(s)² = dσ²/ds = 2 σ(s)² ln(σ_max/σ_min)`.
    pub fn g_squared(&self, s: f64) -> f64 {
        2.0 * self.kernel_time(s) * self.log_ratio()
    }

    /// Smallest kernel time `σ_min²` (at `s = 0`).
    pub fn t_min(&self) -> f64 {
        self.sigma_min * self.sigma_min
    }

    /// Largest kernel time `σ_max²` (at `s = 1`).
    pub fn t_max(&self) -> f64 {
        self.sigma_max * self.sigma_max
    }

    /// Inverse of [`GeometricSchedule::kernel_time`]: `s = ln(√t / σ_min) / ln(σ_max/σ_min)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `t` is finite and `> 0`.
    pub fn diffusion_time(&self, t: f64) -> Result<f64> {
        crate::error::check_time(t)?;
        Ok((0.5 * t.ln() - self.sigma_min.ln()) / self.log_ratio())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_inverse() {
        let sch = GeometricSchedule::new(0.01, 3.0).unwrap();
        assert!((sch.sigma(0.0) - 0.01).abs() < 1e-17);
        assert!((sch.sigma(1.0) - 3.0).abs() < 1e-14);
        assert!((sch.t_max() - 9.0).abs() < 1e-14);
        assert!((sch.t_min() - 1e-4).abs() < 1e-19);
        for k in 0..=10 {
            let s = k as f64 / 10.0;
            let back = sch.diffusion_time(sch.kernel_time(s)).unwrap();
            assert!((back - s).abs() < 1e-14, "s = {s}: {back}");
            // Geometric interpolation: σ(s) = σ_min^{1−s} σ_max^s.
            let direct = 0.01f64.powf(1.0 - s) * 3.0f64.powf(s);
            assert!((sch.sigma(s) - direct).abs() < 1e-14 * direct);
        }
    }

    #[test]
    fn g_squared_is_derivative_of_kernel_time() {
        let sch = GeometricSchedule::new(0.05, 4.0).unwrap();
        let h = 1e-5;
        for k in 1..10 {
            let s = k as f64 / 10.0;
            let fd = (sch.kernel_time(s + h) - sch.kernel_time(s - h)) / (2.0 * h);
            // Central difference: truncation (h²/6)·|d³t/ds³| = (h²/6)(2 ln r)² g² ≈ 1.3e-9 · g².
            assert!(
                (fd - sch.g_squared(s)).abs() < 1e-8 * sch.g_squared(s),
                "s = {s}"
            );
        }
    }

    /// Property: for any valid `(σ_min, σ_max)` and `s ∈ [0, 1]`, `σ` is increasing, lies in
    /// `[σ_min, σ_max]`, and `diffusion_time ∘ kernel_time = id` to rounding.
    #[test]
    fn quickcheck_monotone_and_invertible() {
        fn prop(a: u32, b: u32, c: u16) -> bool {
            let sigma_min = 1e-3 + (a % 1000) as f64 * 1e-3;
            let sigma_max = sigma_min * (1.0 + 1e-3 + (b % 10_000) as f64 * 1e-2);
            let s = c as f64 / u16::MAX as f64;
            let sch = GeometricSchedule::new(sigma_min, sigma_max).unwrap();
            let sigma = sch.sigma(s);
            let inside = sigma >= sigma_min * (1.0 - 1e-14) && sigma <= sigma_max * (1.0 + 1e-14);
            let increasing = sch.sigma((s + 1e-3).min(1.0)) >= sigma;
            let back = sch.diffusion_time(sch.kernel_time(s)).unwrap();
            // |d s / d ln t| = 1/(2 ln r) with ln r ≥ 1e-3: rounding of ln t (≤ 1e-15 · |ln t|)
            // becomes ≤ 1e-15 · 15 / 2e-3 ≈ 1e-11 in s.
            inside && increasing && (back - s).abs() < 1e-10
        }
        quickcheck::quickcheck(prop as fn(u32, u32, u16) -> bool);
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(GeometricSchedule::new(0.0, 1.0).is_err());
        assert!(GeometricSchedule::new(-1.0, 1.0).is_err());
        assert!(GeometricSchedule::new(1.0, 1.0).is_err());
        assert!(GeometricSchedule::new(2.0, 1.0).is_err());
        assert!(GeometricSchedule::new(f64::NAN, 1.0).is_err());
        assert!(GeometricSchedule::new(0.1, f64::INFINITY).is_err());
        // Below the rounding of f64 coordinates, above where every kernel is uniform.
        let m = GeometricSchedule::new(1e-160, 1.0).unwrap_err().to_string();
        assert!(
            m.contains("sigma_min = 1e-160") && m.contains("rounding"),
            "{m}"
        );
        assert!(GeometricSchedule::new(MIN_SIGMA, MAX_SIGMA).is_ok());
        assert!(GeometricSchedule::new(MIN_SIGMA / 2.0, 1.0).is_err());
        assert!(GeometricSchedule::new(0.1, MAX_SIGMA * 2.0).is_err());
        let sch = GeometricSchedule::new(0.1, 1.0).unwrap();
        assert!(sch.diffusion_time(0.0).is_err());
        assert!(sch.diffusion_time(f64::NAN).is_err());
    }
}
