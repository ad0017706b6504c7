//! Character expansion `f_t(e^H) = S(H)/Vol G`, `S = Σ_λ d_λ χ_λ(e^H) e^{−c_λ t/2}`, by
//! [`CharacterSeries`] (cached dominant weights or the Andréief determinant form, rigorous tail
//! bound `≤ tol·|S|`, analytic gradient `∂S/∂H`; see [`crate::heat_kernel::character_series`]).
//!
//! `log f = ln S − ln Vol G`, `∇ log f = ∇S/S`. **Rounding**: the terms are bounded by those of
//! `S` at the identity, so the relative rounding error of `S` is `≈ ε Σ|terms|/|S|`, which
//! grows like `f_t(I)/f_t(e^H) ≈ e^{d²/2t}` far from the identity at small `t`;
//! [`CharacterSum::rounding_bound`] estimates it and `Auto` accepts the expansion only when
//! `rounding_bound/|S| ≤ tol` and the gradient's `gradient_rounding_bound/|S| ≤ tol·max(1, |∇log f|)`.
//! Cost: `#irreps ∝ (ln(1/tol)/t)^{rank/2}` (large `t`) or `O(√(ln(1/tol)/t)·r³)` (determinant
//! form, small `t`).
//!
//! **Error estimate** ([`TorusEvaluation::error_estimate`], relative in `f`):
//! `(rounding_bound + tail_bound)/S`, the rounding estimate plus the rigorous truncation bound
//! of [`CharacterSum`], plus for SO(n) the representation error of the nodes: the characters
//! of SO(n) are polynomials in `x_b = cos φ_b`, and rounding `x_b` (`ε|x_b|`) moves `log f` by
//! `ε Σ_b |∂ log f/∂φ_b| |cos φ_b|/|sin φ_b|`, about `ε/t` near the identity at small `t`
//! (`2e-12` at `t = 1e-4`, measured `4.5e-13` on SO(3) at φ = 1e-6, which the rounding estimate
//! of the sum alone put at `8e-15`). (`x_b = 1` at φ_b = 0 is exact and counts nothing.) The series is truncated at `tail_bound ≤ max(tol·S, rounding_bound)`,
//! so the estimate is at most `tol + 2·rounding_bound/S`; `Auto` truncates at `tol/4` and
//! accepts the expansion when the whole estimate is below `tol` ([`super::auto`]).

use super::TorusEvaluation;
use crate::error::{Error, Result};
use crate::heat_kernel::character_series::{CharacterSeries, CharacterSum};
use crate::heat_kernel::KernelMethod;
use crate::manifold::CompactGroup;

/// A character-expansion evaluation and its estimated relative rounding errors.
pub(super) struct CharacterValue {
    /// `log f`, gradient, terms; error estimate `rounding + tail_bound/S` (module docs).
    pub evaluation: TorusEvaluation,
    /// `rounding_bound/|S|`: relative rounding error of `f`.
    pub rounding: f64,
    /// `gradient_rounding_bound/|S|`: absolute rounding error of `∇ log f`.
    pub gradient_rounding: f64,
}

impl CharacterValue {
    /// Whether the rounding estimates meet a relative tolerance (module docs): the rounding of
    /// the value and `gradient_rounding ≤ tolerance·max(1, |∇log f|_∞)`.
    pub fn rounding_meets(&self, tolerance: f64) -> bool {
        self.rounding <= tolerance && self.gradient_rounding <= tolerance * self.gradient_scale()
    }

    /// Whether the whole error estimate of the value (rounding and truncation) and the
    /// gradient's rounding estimate meet a relative tolerance (`Auto`'s test, module docs).
    pub fn meets(&self, tolerance: f64) -> bool {
        self.evaluation.error_estimate <= tolerance
            && self.gradient_rounding <= tolerance * self.gradient_scale()
    }

    fn gradient_scale(&self) -> f64 {
        self.evaluation
            .gradient
            .iter()
            .fold(1.0f64, |m, g| m.max(g.abs()))
    }
}

/// The character expansion at `H` (module docs).
///
/// # Errors
/// As [`CharacterSeries::evaluate`]; [`Error::Numerical`] if `S` is not positive and finite.
pub(super) fn characters(
    series: &CharacterSeries,
    h: &[f64],
    t: f64,
    tolerance: f64,
) -> Result<CharacterValue> {
    let CharacterSum {
        value,
        gradient,
        terms,
        tail_bound,
        rounding_bound,
        gradient_rounding_bound,
    } = series.evaluate(h, t, tolerance)?;
    if !(value > 0.0 && value.is_finite()) {
        return Err(Error::Numerical {
            method: "character expansion",
            detail: format!(
                "non-positive or non-finite sum {value:e} at H = {h:?}, t = {t} (rounding \
                 estimate {rounding_bound:e}: use the sum over paths here)"
            ),
        });
    }
    let rs = series.root_system();
    let volume = rs.volume();
    let gradient: Vec<f64> = gradient.iter().map(|g| g / value).collect();
    // SO(n): the nodes x_b = cos φ_b are rounded (module docs).
    let nodes = match rs.group() {
        CompactGroup::SpecialOrthogonal(_) => h
            .iter()
            .zip(&gradient)
            .map(|(phi, g)| {
                let (s, c) = phi.sin_cos();
                if *g == 0.0 {
                    0.0
                } else {
                    (g * c / s).abs()
                }
            })
            .sum::<f64>(),
        _ => 0.0,
    };
    Ok(CharacterValue {
        evaluation: TorusEvaluation {
            log_prob: value.ln() - volume.ln(),
            gradient,
            terms,
            estimator: KernelMethod::Eigen,
            error_estimate: (rounding_bound + tail_bound) / value + f64::EPSILON * nodes,
        },
        rounding: rounding_bound / value,
        gradient_rounding: gradient_rounding_bound / value,
    })
}
