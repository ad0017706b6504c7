//! The heat kernel of the flat torus `T^d = R^d / 2πZ^d`: a product of circle kernels.
//!
//! `p_t(x₀, x) = Π_i p¹_t(x_i − x₀_i)` with `p¹` the circle kernel of [`super::circle`]. Methods
//! ([`TorusHeatKernel::METHODS`]), per circle factor:
//!
//! | method | formula | accuracy | cost |
//! |---|---|---|---|
//! | `Eigen` | Fourier series `(1/2π)[1 + 2Σ e^{−n²t/2} cos nδ]` | exact; loses relative accuracy where `p` is tiny (small `t`, `\|δ\|` near π) and returns an error there (rounding estimate above `1e-8`) | `√(83/t)` terms |
//! | `SumOverPaths` | wrapped Gaussian `(2πt)^{−1/2} Σ_k e^{−(δ+2πk)²/2t}` | exact, all terms positive, `~4ε` relative | `2⌈(√(83t)+π)/2π⌉ + 1` terms |
//! | `Auto` | paths for `t < π`, Fourier otherwise | relative error `~1e-15` per factor | at most 9 terms per coordinate (7 for `t < 2.97`) |
//!
//! `Varadhan` and `SchwingerDeWitt` are not offered: on the flat torus both are the single
//! nearest-image Gaussian, the leading term of the exact `SumOverPaths`, and
//! [`TorusHeatKernel::new`] refuses them rather than silently substituting `SumOverPaths`.
//!
//! Both circle estimators `Auto` chooses between are exact in f64 arithmetic in their regimes
//! (paths for `t < π`: a sum of positive terms, relative error `≤ 4ε` per factor; Fourier for
//! `t ≥ π`: at most 6 terms, no cancellation since `p ≥ 0.35/2π`, error `≤ 28ε`), so the rule
//! does not depend on the tolerance. The error estimate of an evaluation is the sum of its
//! factors' ([`super::circle`]: at most `(2K + 4)ε ≤ 12ε` per factor for paths below `t = π`,
//! and for Fourier the series' own rounding estimate `4ε(N+1)Σ|terms|/S`, at most `≈ 68ε =
//! 1.5e-14` at `t = π`, δ = π, more pessimistic than the `28ε` analysis); the estimator
//! reported is that of the factor with the largest estimate. A tolerance below these estimates
//! is recorded but not met, and the estimates say so.

use super::circle::{circle_log_prob, wrap_difference};
use super::{
    check_inputs, check_representable, HeatKernel, KernelEvaluation, KernelMethod,
    ProductEvaluation,
};
use crate::error::{check_len, Error, Result};
use crate::heat_kernel::{check_auto_tolerance, DEFAULT_AUTO_TOLERANCE};
use crate::manifold::{Manifold, Torus};

/// The error for `Varadhan` / `SchwingerDeWitt` on a flat torus or circle (`place`).
pub(crate) fn not_offered(method: KernelMethod, place: impl std::fmt::Display) -> Error {
    Error::invalid(
        "method",
        method,
        format!(
            "one of auto, eigen, paths on {place} (on the flat torus Varadhan and \
             Schwinger–DeWitt are both the single nearest-image Gaussian, the leading term \
             of the exact `paths`, which is not offered separately)"
        ),
    )
}

/// Heat kernel of `T^d`: `p_t(x₀, x) = Π_i p¹_t(x_i − x₀_i)` with `p¹` the circle kernel.
///
/// The score is `∂_{x_i} log p = ∂_δ log p¹_t(δ_i)`, `δ_i = x_i − x₀_i` wrapped into `[−π, π)`.
/// Cost: `d` circle evaluations (the table in the [module docs](self)).
#[derive(Clone, Copy, Debug)]
pub struct TorusHeatKernel {
    torus: Torus,
    method: KernelMethod,
    tolerance: f64,
}

impl TorusHeatKernel {
    /// The estimators the torus offers, in the order of [`KernelMethod::ALL`].
    pub const METHODS: [KernelMethod; 3] = [
        KernelMethod::Auto,
        KernelMethod::Eigen,
        KernelMethod::SumOverPaths,
    ];

    /// The kernel of `torus` evaluated with `method` (`Auto` tolerance
    /// [`DEFAULT_AUTO_TOLERANCE`] = `1e-12`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `Varadhan` and `SchwingerDeWitt`, which the flat torus
    /// does not offer (see the [module docs](self)).
    pub fn new(torus: Torus, method: KernelMethod) -> Result<Self> {
        if !Self::METHODS.contains(&method) {
            return Err(not_offered(method, torus.spec()));
        }
        Ok(TorusHeatKernel {
            torus,
            method,
            tolerance: DEFAULT_AUTO_TOLERANCE,
        })
    }

    /// The same kernel with `Auto` asked for relative accuracy `tolerance` of `p`.
    ///
    /// Every admissible tolerance is met by the same rule (see the [module docs](self)); the
    /// value is recorded and reported by [`Self::tolerance`].
    ///
    /// # Errors
    /// As [`check_auto_tolerance`].
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        check_auto_tolerance(tolerance)?;
        self.tolerance = tolerance;
        Ok(self)
    }

    /// The relative tolerance of `p` requested from `Auto`.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The estimator in use.
    pub fn method(&self) -> KernelMethod {
        self.method
    }

    /// Evaluates at validated inputs; writes the score when asked.
    fn evaluate(
        &self,
        x0: &[f64],
        x: &[f64],
        t: f64,
        mut score: Option<&mut [f64]>,
    ) -> Result<KernelEvaluation> {
        let mut out = ProductEvaluation::default();
        for (i, (a, b)) in x0.iter().zip(x).enumerate() {
            let r = circle_log_prob(wrap_difference(b - a), t, self.method)?;
            if let Some(s) = score.as_deref_mut() {
                s[i] = r.dlog_prob_dtheta;
            }
            out.push(r.into());
        }
        Ok(out.finish())
    }
}

impl HeatKernel for TorusHeatKernel {
    fn manifold(&self) -> &dyn Manifold {
        &self.torus
    }

    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        check_inputs(&self.torus, x0, x, t)?;
        let e = self.evaluate(x0, x, t, None)?;
        check_representable(&self.torus, x0, x, t, e, None)
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_inputs(&self.torus, x0, x, t)?;
        check_len("score", score.len(), self.torus.ambient_dim())?;
        let e = self.evaluate(x0, x, t, Some(score))?;
        check_representable(&self.torus, x0, x, t, e, Some(score))
    }

    /// The sum over the coordinates of the circle log-density's second derivative, each by a
    /// central difference of its derivative (step `h = 10⁻⁴`): `2·D` circle evaluations.
    fn laplacian_log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<f64> {
        check_inputs(&self.torus, x0, x, t)?;
        let h = super::LAPLACIAN_STEP;
        let mut total = 0.0;
        for (a, b) in x0.iter().zip(x) {
            let delta = wrap_difference(b - a);
            let plus = circle_log_prob(wrap_difference(delta + h), t, self.method)?;
            let minus = circle_log_prob(wrap_difference(delta - h), t, self.method)?;
            total += (plus.dlog_prob_dtheta - minus.dlog_prob_dtheta) / (2.0 * h);
        }
        Ok(total)
    }
}
