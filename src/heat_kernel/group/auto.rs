//! `Auto`: per `(t, H)` the cheapest estimator meeting the relative tolerance `tol` of `p`.
//!
//! "Meeting `tol`" means that the estimator's error estimate
//! ([`TorusEvaluation::error_estimate`]) is at most `tol`, and where an acceptance test is made
//! (steps 2 and 3) also that its gradient's rounding estimate is at most `tol·max(1, |∇log f|)`.
//! The value returned always carries its own estimate: where no estimator meets `tol`, the best
//! one is returned if its estimate is within the crate's accuracy bar
//! [`EIGEN_MAX_RELATIVE_ERROR`] `= 1e-8`, otherwise [`Error::Numerical`] listing what was tried
//! and why it fell short (never a value known to be wrong, never an unbounded computation).
//!
//! **Huge `t`** never reaches this rule: the uniform regime of [`super`] (the characters
//! truncated to the trivial one under a rigorous bound) answers first, up to `t = f64::MAX`.
//! **Tiny `t`**: the path sum keeps only the closest path(s) (the Schwinger–DeWitt term, exact
//! to f64), with every path weight scaled so that products of singular Van Vleck factors
//! (`~(|Y|/t)^k` near the cut locus) stay in range; values beyond the f64 range are refused
//! by the kernel.
//!
//! **Cost model** (measured, 2-core machine, release): a real path term 40–60 ns, a complex
//! contour term ≈ 140 ns, a lattice candidate ≈ 20–50 ns, a character-series cost unit
//! ([`CharacterSeries::cost_estimate`]) 2.4–9 ns, the ambient reduction (eigen-decomposition,
//! score assembly) 4–20 µs. The budgets — [`LATTICE_CANDIDATE_BUDGET`] `= 10⁵` candidates,
//! [`PATH_TERM_BUDGET`] `= 10⁵` path terms, [`CHARACTER_COST_BUDGET`] `= 2·10⁶` units — keep one
//! evaluation near 10 ms or below; an estimator over its budget is not run. (Before, the
//! contour near the identity of SO(10) at `t = 0.1` took 5.8·10⁶ terms and 2 s, and the
//! lattice search of SO(20) at moderate `t` was refused with a "radius" error.)
//!
//! Rule:
//! 1. `t < CHARACTER_MIN_TIME = 1`: the path sum ([`super::paths`]) if affordable, truncated at
//!    `L = ln(1/tol) + 10`. When only the closest path survives the truncation (every other
//!    Gaussian weight below `tol·e^{−10}`) this *is* the Schwinger–DeWitt formula (one term) —
//!    for `t ≲ 0.02` away from the cut locus. Near walls the path sum switches to its contour
//!    regularisation by itself (`#paths × 8` terms at a single wall, `× 128` at a rank-2
//!    vertex, `× 8·16^{k−1}` at a rank-`k` vertex: this is what the budget stops). Otherwise
//!    the character expansion where it is affordable and not predicted to cancel (step 3's
//!    test).
//! 2. `1 ≤ t ≤ PATH_MAX_TIME = 4`: first a **direct** path sum if it needs no contour and has at
//!    most `CHEAP_PATH_TERMS = 64` terms, accepted if its error estimate (rounding
//!    `ε Σ|T|/Σ T` plus truncation, [`super::paths`]) is `≤ tol` and
//!    `ε Σ|T|‖∇log T‖/Σ T ≤ tol·max(1, |∇log f|)` (cancellation between paths of alternating
//!    sign grows with `t`).
//! 3. `t ≥ 1` otherwise: the character expansion, if affordable and the cancellation estimate
//!    from the Schwinger–DeWitt term, `100·ε·f_t(I)/f_t ≈ 100ε·e^{d²/2t}/∏φ(α(H_min)) ≤ tol`,
//!    and then its own error estimate (rounding plus tail, truncated at `tol/4` so that the
//!    tail leaves room for the rounding) and gradient rounding estimate (see
//!    [`super::characters`]) meet `tol`.
//! 4. Otherwise the affordable path sum with the contour (far from the identity at moderate
//!    `t`, where the characters cancel), and the affordable characters whatever their
//!    estimate; the one with the smaller estimate.
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
use super::paths::{
    evaluate_prepared, prepare, van_vleck, TorusPoint, LATTICE_CANDIDATE_BUDGET, PATH_TERM_BUDGET,
};
use super::TorusEvaluation;
use crate::error::{Error, Result};
use crate::heat_kernel::character_series::CharacterSeries;
use crate::heat_kernel::EIGEN_MAX_RELATIVE_ERROR;

/// Smallest `t` at which `Auto` tries the character expansion before the sum over paths.
pub const CHARACTER_MIN_TIME: f64 = 1.0;
/// Largest `t` at which `Auto` tries a cheap direct path sum before the characters.
pub const PATH_MAX_TIME: f64 = 4.0;
/// A direct path sum with at most this many terms counts as cheap (a character evaluation
/// costs 10–150 µs; a path term ≈ 50 ns).
pub const CHEAP_PATH_TERMS: usize = 64;
/// `Auto` truncates the character series at `tol/CHARACTER_TAIL_SHARE`, leaving the rest of
/// the tolerance to the rounding (the tail bound is `≤ max(target, rounding)`).
const CHARACTER_TAIL_SHARE: f64 = 4.0;
/// Most cost units ([`CharacterSeries::cost_estimate`]) one character evaluation may take:
/// measured 2.4–9 ns per unit on the 2-core machine (SO(5)–SO(8), SU(3)–SU(5), U(3)–U(5),
/// `t ∈ [0.05, 5]`), so `10⁶` units are ≤ 9 ms.
pub const CHARACTER_COST_BUDGET: f64 = 2e6;

/// The `Auto` evaluation (module docs).
///
/// # Errors
/// [`Error::Numerical`] where no estimator reaches the crate's accuracy bar
/// [`EIGEN_MAX_RELATIVE_ERROR`] within the budgets (high-codimension cut loci of high-rank
/// groups at moderate `t`), naming what was tried and why it was not enough.
pub(super) fn auto(
    series: &CharacterSeries,
    point: &TorusPoint,
    t: f64,
    tolerance: f64,
) -> Result<TorusEvaluation> {
    let rs = series.root_system();
    let h = &point.rounded;
    // The sum over paths, prepared within the lattice budget: its cost is then known. (Above
    // PATH_MAX_TIME only when the characters do not answer: the search is the larger there.)
    let prepare_paths = || prepare(rs, point, t, tolerance, LATTICE_CANDIDATE_BUDGET);
    let early = (t <= PATH_MAX_TIME).then(prepare_paths);
    // The character expansion: affordable, and not predicted to cancel (the SD ratio).
    let character_cost = series.cost_estimate(h, t, tolerance / CHARACTER_TAIL_SHARE);
    let characters_promising = || -> bool {
        if character_cost > CHARACTER_COST_BUDGET {
            return false;
        }
        let Ok(y) = closest_representative(rs, h) else {
            return false;
        };
        let mut log_ratio = 0.5 * rs.norm_sq(&y) / t;
        for alpha in rs.positive_roots() {
            let phi = van_vleck(rs.inner(alpha, &y));
            if phi.is_finite() && phi > 0.0 {
                log_ratio -= phi.ln();
            }
        }
        100.0 * f64::EPSILON * log_ratio.min(700.0).exp() <= tolerance
    };
    let mut failures: Vec<String> = Vec::new();
    let mut best: Option<TorusEvaluation> = None;
    let consider = |e: TorusEvaluation, best: &mut Option<TorusEvaluation>| {
        if best
            .as_ref()
            .is_none_or(|b| e.error_estimate < b.error_estimate)
        {
            *best = Some(e);
        }
    };
    // Whether a prepared sum fits the term budget (noting why not).
    let affordable = |prepared: &Result<_>, failures: &mut Vec<String>| -> bool {
        match prepared {
            Err(e) => {
                failures.push(format!("{e}"));
                false
            }
            Ok(p) => {
                let cost = super::paths::PreparedPaths::cost(p) as f64;
                let ok = cost <= PATH_TERM_BUDGET;
                if !ok {
                    failures.push(format!(
                        "the sum over paths needs {cost:.2e} term evaluations (budget \
                         {PATH_TERM_BUDGET:.0e}: wall contours in many directions)"
                    ));
                }
                ok
            }
        }
    };
    if t < CHARACTER_MIN_TIME {
        let prepared = early.unwrap_or_else(prepare_paths);
        let paths_affordable = affordable(&prepared, &mut failures);
        // 1. The path sum, when affordable: exact at small t, with the contour near walls.
        if let (Ok(p), true) = (&prepared, paths_affordable) {
            match evaluate_prepared(rs, p, t) {
                Ok((e, _)) => return Ok(e),
                Err(e) => failures.push(e.to_string()),
            }
        }
        // 2. Beyond its budget (many walls, high rank): the characters where they do not cancel.
        if characters_promising() {
            match characters(series, h, t, tolerance / CHARACTER_TAIL_SHARE) {
                Ok(c) if c.meets(tolerance) => return Ok(c.evaluation),
                Ok(c) => consider(c.evaluation, &mut best),
                Err(e) => failures.push(e.to_string()),
            }
        } else {
            failures.push(format!(
                "the character expansion cancels or is too costly here ({character_cost:.2e} units, budget {CHARACTER_COST_BUDGET:.0e})"
            ));
        }
        return finish(best, failures, h, t);
    }
    // 1. A cheap direct path sum (no wall contour, few paths) whose rounding estimate passes.
    if let Some(Ok(p)) = &early {
        {
            if !p.uses_contour() && p.cost() <= CHEAP_PATH_TERMS {
                if let Ok((e, rounding)) = evaluate_prepared(rs, p, t) {
                    let scale = e.gradient.iter().fold(1.0f64, |m, g| m.max(g.abs()));
                    if e.error_estimate <= tolerance && rounding.gradient <= tolerance * scale {
                        return Ok(e);
                    }
                }
            }
        }
    }
    // 2. The character expansion, when its cancellation (estimated first from the SD term,
    //    then from its own rounding bound) meets the tolerance and it is affordable.
    if characters_promising() {
        match characters(series, h, t, tolerance / CHARACTER_TAIL_SHARE) {
            Ok(c) if c.meets(tolerance) => return Ok(c.evaluation),
            Ok(c) => consider(c.evaluation, &mut best),
            Err(e) => failures.push(e.to_string()),
        }
    }
    // 3. The path sum (with the contour if needed), when affordable.
    let prepared = early.unwrap_or_else(prepare_paths);
    if let (Ok(p), true) = (&prepared, affordable(&prepared, &mut failures)) {
        match evaluate_prepared(rs, p, t) {
            Ok((e, _)) => consider(e, &mut best),
            Err(e) => failures.push(e.to_string()),
        }
    }
    // 4. The characters whatever their predicted cancellation (they report it), if affordable.
    if best.as_ref().is_none_or(|b| b.error_estimate > tolerance)
        && character_cost <= CHARACTER_COST_BUDGET
    {
        match characters(series, h, t, tolerance) {
            Ok(c) => consider(c.evaluation, &mut best),
            Err(e) => failures.push(e.to_string()),
        }
    }
    finish(best, failures, h, t)
}

/// The best evaluation if its estimate is within the crate's accuracy bar, else the error
/// that lists what was tried.
fn finish(
    best: Option<TorusEvaluation>,
    failures: Vec<String>,
    h: &[f64],
    t: f64,
) -> Result<TorusEvaluation> {
    match best {
        Some(e) if e.error_estimate <= EIGEN_MAX_RELATIVE_ERROR => Ok(e),
        best => Err(Error::Numerical {
            method: "group heat kernel, Auto",
            detail: format!(
                "no estimator reaches the accuracy bar {EIGEN_MAX_RELATIVE_ERROR:e} within the \
                 time budget at t = {t:e}, H = {h:?}{}: {}",
                best.map_or(String::new(), |e| format!(
                    " (best estimate {:e} by {})",
                    e.error_estimate, e.estimator
                )),
                failures.join("; ")
            ),
        }),
    }
}
