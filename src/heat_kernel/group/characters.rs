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

use super::TorusEvaluation;
use crate::error::{Error, Result};
use crate::heat_kernel::character_series::{CharacterSeries, CharacterSum};

/// A character-expansion evaluation and its estimated relative rounding errors.
pub(super) struct CharacterValue {
    /// `log f`, gradient, terms.
    pub evaluation: TorusEvaluation,
    /// `rounding_bound/|S|`: relative rounding error of `f`.
    pub rounding: f64,
    /// `gradient_rounding_bound/|S|`: absolute rounding error of `∇ log f`.
    pub gradient_rounding: f64,
}

impl CharacterValue {
    /// Whether the rounding estimates meet a relative tolerance (module docs).
    pub fn meets(&self, tolerance: f64) -> bool {
        let scale = self
            .evaluation
            .gradient
            .iter()
            .fold(1.0f64, |m, g| m.max(g.abs()));
        self.rounding <= tolerance && self.gradient_rounding <= tolerance * scale
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
        rounding_bound,
        gradient_rounding_bound,
        ..
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
    let volume = series.root_system().volume();
    Ok(CharacterValue {
        evaluation: TorusEvaluation {
            log_prob: value.ln() - volume.ln(),
            gradient: gradient.iter().map(|g| g / value).collect(),
            terms,
        },
        rounding: rounding_bound / value,
        gradient_rounding: gradient_rounding_bound / value,
    })
}
