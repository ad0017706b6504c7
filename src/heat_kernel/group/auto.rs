//! `Auto`: per `(t, H)` the cheapest estimator meeting the relative tolerance `tol` of `p`.
//!
//! "Meeting `tol`" means that the estimator's error estimate
//! ([`TorusEvaluation::error_estimate`]) is at most `tol`, and where an acceptance test is made
//! (steps 2 and 3) also that its gradient's rounding estimate is at most `tol·max(1, |∇log f|)`.
//! The value returned always carries its own estimate: where no estimator meets `tol`
//! (step 4), the estimate says by how much.
//!
//! Cost model (measured, 2-core build machine, release): a real path term ≈ 50 ns, a complex
//! contour term ≈ 150 ns, one character-series evaluation 5–150 µs (SU(4): ≈ 150 µs), the
//! ambient reduction (eigen-decomposition, score assembly) 4–20 µs.
//!
//! Rule:
//! 1. `t < CHARACTER_MIN_TIME = 1`: the path sum ([`super::paths`]), truncated at
//!    `L = ln(1/tol) + 10`. When only the closest path survives the truncation (every other
//!    Gaussian weight below `tol·e^{−10}`) this *is* the Schwinger–DeWitt formula (one term) —
//!    for `t ≲ 0.02` away from the cut locus. Near walls the path sum switches to its contour
//!    regularisation by itself (`#paths × 8` terms at a single wall, `× 128` at a rank-2
//!    vertex).
//! 2. `1 ≤ t ≤ PATH_MAX_TIME = 4`: first a **direct** path sum if it needs no contour and has at
//!    most `CHEAP_PATH_TERMS = 64` terms, accepted if its error estimate (rounding
//!    `ε Σ|T|/Σ T` plus truncation, [`super::paths`]) is `≤ tol` and
//!    `ε Σ|T|‖∇log T‖/Σ T ≤ tol·max(1, |∇log f|)` (cancellation between paths of alternating
//!    sign grows with `t`).
//! 3. `t ≥ 1` otherwise: the character expansion, if the cancellation estimate from the
//!    Schwinger–DeWitt term, `100·ε·f_t(I)/f_t ≈ 100ε·e^{d²/2t}/∏φ(α(H_min)) ≤ tol`, and then
//!    its own error estimate (rounding plus tail, truncated at `tol/4` so that the tail leaves
//!    room for the rounding) and gradient rounding estimate (see [`super::characters`]) meet
//!    `tol`.
//! 4. Otherwise the path sum with the contour (far from the identity at moderate `t`, where the
//!    characters cancel); if the lattice search is unaffordable (`> 10⁷` candidates) the
//!    characters whatever their estimate.
//!
//! Measured (`tests/group_heat_kernel.rs::auto_timing_report`, release, 2-core machine):
//! mean terms / time per `score` call at random `(x₀, x)` including the ambient reduction
//! (eigen-decomposition, score assembly: 4–20 µs of it), and time per `torus_log_prob`:
//!
//! | group | t = 1e-3 | 1e-2 | 0.1 | 1 | 10 |
//! |---|---|---|---|---|---|
//! | SO(3) | 1.0 / 14 µs / 1.0 µs | 1.0 / 12 / 0.9 | 1.5 / 13 / 0.9 | 3.0 / 13 / 1.3 | 3 / 14 / 2.4 |
//! | SO(4) | 1.0 / 17 / 1.1 | 1.1 / 17 / 1.1 | 1.6 / 17 / 1.1 | 7.2 / 20 / 7.5 | 3.1 / 18 / 2.1 |
//! | SO(5) | 1.0 / 21 / 1.4 | 1.1 / 21 / 1.4 | 1.7 / 21 / 1.4 | 7.9 / 25 / 20 | 3 / 22 / 2.1 |
//! | SU(2) | 1.0 / 5.2 / 1.0 | 1.0 / 4.9 / 1.0 | 1.0 / 5.4 / 1.0 | 2.0 / 5.6 / 1.3 | 12 / 8.7 / 4.3 |
//! | SU(3) | 1.0 / 8.6 / 1.5 | 1.0 / 8.5 / 1.3 | 1.0 / 8.5 / 1.3 | 4.1 / 10 / 3.0 | 21 / 16 / 8.5 |
//! | SU(4) | 1.0 / 11 / 1.8 | 1.0 / 11 / 1.7 | 1.2 / 11 / 1.7 | 10.5 / 19 / 6.6 | 31 / 120 / 101 |
//! | U(2) | 1.0 / 4.9 / 1.0 | 1.0 / 4.9 / 1.0 | 1.3 / 5.1 / 1.0 | 7.1 / 7.4 / 2.8 | 6 / 6.9 / 2.8 |
//! | U(3) | 1.0 / 8.2 / 1.4 | 1.1 / 8.8 / 1.3 | 1.6 / 8.8 / 1.3 | 16.5 / 19 / 8.4 | 7 / 10 / 4.0 |
//!
//! (At t = 10 the terms are the character series'.) Accuracy: the table in the
//! [parent module docs](super).

use super::asymptotic::closest_representative;
use super::characters::characters;
use super::paths::{evaluate_prepared, path_sum, prepare, van_vleck, TorusPoint};
use super::TorusEvaluation;
use crate::error::Result;
use crate::heat_kernel::character_series::CharacterSeries;

/// Smallest `t` at which `Auto` tries the character expansion.
pub const CHARACTER_MIN_TIME: f64 = 1.0;
/// Largest `t` at which `Auto` tries a cheap direct path sum before the characters.
pub const PATH_MAX_TIME: f64 = 4.0;
/// A direct path sum with at most this many terms counts as cheap (a character evaluation
/// costs 10–150 µs; a path term ≈ 50 ns).
pub const CHEAP_PATH_TERMS: usize = 64;
/// `Auto` truncates the character series at `tol/CHARACTER_TAIL_SHARE`, leaving the rest of
/// the tolerance to the rounding (the tail bound is `≤ max(target, rounding)`).
const CHARACTER_TAIL_SHARE: f64 = 4.0;

/// The `Auto` evaluation (module docs).
///
/// # Errors
/// As the estimators it calls (only for pathological inputs).
pub(super) fn auto(
    series: &CharacterSeries,
    point: &TorusPoint,
    t: f64,
    tolerance: f64,
) -> Result<TorusEvaluation> {
    let rs = series.root_system();
    let h = &point.rounded;
    if t < CHARACTER_MIN_TIME {
        return path_sum(rs, point, t, tolerance);
    }
    // 1. A cheap direct path sum (no wall contour, few paths) whose rounding estimate passes.
    let prepared = if t <= PATH_MAX_TIME {
        prepare(rs, point, t, tolerance).ok()
    } else {
        None
    };
    if let Some(p) = &prepared {
        if !p.uses_contour() && p.cost() <= CHEAP_PATH_TERMS {
            if let Ok((e, rounding)) = evaluate_prepared(rs, p, t) {
                let scale = e.gradient.iter().fold(1.0f64, |m, g| m.max(g.abs()));
                if e.error_estimate <= tolerance && rounding.gradient <= tolerance * scale {
                    return Ok(e);
                }
            }
        }
    }
    // 2. The character expansion, when its cancellation (estimated first from the SD term,
    //    then from its own rounding bound) meets the tolerance.
    let y = closest_representative(rs, h)?;
    let mut log_ratio = 0.5 * rs.norm_sq(&y) / t;
    for alpha in rs.positive_roots() {
        let phi = van_vleck(rs.inner(alpha, &y));
        if phi.is_finite() && phi > 0.0 {
            log_ratio -= phi.ln();
        }
    }
    let mut fallback = None;
    if 100.0 * f64::EPSILON * log_ratio.exp() <= tolerance {
        if let Ok(c) = characters(series, h, t, tolerance / CHARACTER_TAIL_SHARE) {
            if c.meets(tolerance) {
                return Ok(c.evaluation);
            }
            fallback = Some(c.evaluation);
        }
    }
    // 3. The path sum (with the contour if needed); the characters if it is unaffordable.
    let paths = match prepared {
        Some(p) => evaluate_prepared(rs, &p, t).map(|r| r.0),
        None => path_sum(rs, point, t, tolerance),
    };
    match (paths, fallback) {
        (Ok(e), _) => Ok(e),
        (Err(_), Some(e)) => Ok(e),
        (Err(path_error), None) => match characters(series, h, t, tolerance) {
            Ok(c) => Ok(c.evaluation),
            Err(_) => Err(path_error),
        },
    }
}
