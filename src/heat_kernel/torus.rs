//! The heat kernel of the flat torus `T^d = R^d / 2πZ^d`: a product of circle kernels.

use super::circle::{circle_log_prob, wrap_difference};
use super::{check_inputs, HeatKernel, KernelEvaluation};
use crate::error::{check_len, Result};
use crate::manifold::{Manifold, Torus};

/// Estimator of the circle factor (see the module docs of [`super::circle_log_prob`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TorusMethod {
    /// Fourier series `(1/2π)[1 + 2Σ e^{−n²t/2} cos nδ]`; exact, `√(83/t)` terms, loses relative
    /// accuracy (returns an error) where `p` is tiny (small `t`, `|δ|` near π).
    Eigen,
    /// Wrapped Gaussian `(2πt)^{−1/2} Σ_k e^{−(δ+2πk)²/2t}`; exact, all terms positive,
    /// `2⌈(√(83t)+π)/2π⌉ + 1` terms.
    SumOverPaths,
    /// Paths for `t < π`, Fourier otherwise: at most 7 terms per coordinate, relative error `~1e-15`.
    #[default]
    Auto,
}

/// Heat kernel of `T^d`: `p_t(x₀, x) = Π_i p¹_t(x_i − x₀_i)` with `p¹` the circle kernel.
///
/// The score is `∂_{x_i} log p = ∂_δ log p¹_t(δ_i)`, `δ_i = x_i − x₀_i` wrapped into `[−π, π)`.
/// Cost: `d` circle evaluations (see [`TorusMethod`]).
#[derive(Clone, Copy, Debug)]
pub struct TorusHeatKernel {
    torus: Torus,
    method: TorusMethod,
    tolerance: f64,
}

impl TorusHeatKernel {
    /// The kernel of `torus` evaluated with `method` (`Auto` tolerance
    /// [`DEFAULT_TOLERANCE`](super::sphere::DEFAULT_TOLERANCE) = `1e-12`).
    pub fn new(torus: Torus, method: TorusMethod) -> Self {
        TorusHeatKernel {
            torus,
            method,
            tolerance: super::sphere::DEFAULT_TOLERANCE,
        }
    }

    /// The same kernel with `Auto` asked for relative accuracy `tolerance` of `p`.
    ///
    /// Both circle estimators `Auto` chooses between are exact in f64 arithmetic in their
    /// regimes (paths for `t < π`: a sum of positive terms, relative error `≤ 4ε` per factor;
    /// Fourier for `t ≥ π`: at most 6 terms, no cancellation since `p ≥ 0.35/2π`, error
    /// `≤ 28ε`), so every admissible tolerance (`≥ 1e-15` per factor, `d·1e-15` for `T^d`)
    /// is met by the same rule; the value is recorded and reported by [`Self::tolerance`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`](crate::Error::InvalidArgument) if `tolerance` is not finite
    /// or below `1e-15`.
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        super::sphere::check_tolerance(tolerance)?;
        self.tolerance = tolerance;
        Ok(self)
    }

    /// The relative tolerance of `p` requested from `Auto`.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The estimator in use.
    pub fn method(&self) -> TorusMethod {
        self.method
    }
}

impl HeatKernel for TorusHeatKernel {
    fn manifold(&self) -> &dyn Manifold {
        &self.torus
    }

    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        check_inputs(&self.torus, x0, x, t)?;
        let mut out = KernelEvaluation {
            log_prob: 0.0,
            terms: 0,
        };
        for (a, b) in x0.iter().zip(x) {
            let r = circle_log_prob(wrap_difference(b - a), t, self.method)?;
            out.log_prob += r.log_prob;
            out.terms += r.terms;
        }
        Ok(out)
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_inputs(&self.torus, x0, x, t)?;
        check_len("score", score.len(), self.torus.ambient_dim())?;
        let mut out = KernelEvaluation {
            log_prob: 0.0,
            terms: 0,
        };
        for ((a, b), s) in x0.iter().zip(x).zip(score.iter_mut()) {
            let r = circle_log_prob(wrap_difference(b - a), t, self.method)?;
            out.log_prob += r.log_prob;
            out.terms += r.terms;
            *s = r.dlog_prob_dtheta;
        }
        Ok(out)
    }
}
