//! Sum over lattice paths on the maximal torus, with a Cauchy-integral regularisation at and
//! near the walls of the affine Weyl group.
//!
//! # Formula
//! With `Γ = ker(exp) ∩ t` ([`RootSystem::lattice_points`]), `φ(a) = (a/2)/sin(a/2)` and
//! `dim G`, `ρ` of [`RootSystem`] (verified constant `C = 1`, see [`crate::lie`]):
//!
//! `f_t(e^H) = (2πt)^{−dim G/2} e^{|ρ|²t/2} Σ_{γ∈Γ} T(H+γ)`,
//! `T(Y) = ∏_{α>0} φ(α(Y)) · e^{−|Y|²/2t}`,
//! `∇ log T(Y) = Σ_{α>0} ψ(α(Y)) α − Y/t`, `ψ(a) = 1/a − ½cot(a/2)`.
//!
//! Since `α(γ) ∈ 2πZ`, `sin(α(H+γ)/2) = ±sin(α(H)/2)`: `f = F(H)/Δ(H)` with
//! `Δ(H) = ∏_{α>0} sin(α(H)/2)` and `F` a signed sum of the entire functions
//! `∏_α (α(Y)/2) e^{−|Y|²/2t}`. `F` is anti-invariant under the affine Weyl group, so it
//! vanishes on every wall `α(H) ∈ 2πZ` and `f` is an entire function of `H` — but a path
//! with `α(H+γ) ∈ 2πZ∖{0}` (a *singular* path for the root `α`) has a term `∝ 1/sin(α(H)/2)`
//! that only cancels against its mirror path `H + γ' = s_α(H+γ) + u α^∨` (`u` below).
//!
//! # Truncation
//! Paths with `|Y|² > d² + 2tL` are omitted (`d = min_γ|H+γ|`). An omitted term is at most
//! `e^{−(|Y|²−d²)/2t} ∏_α |φ(α(Y))|` relative to the closest one, and for a singular path
//! `|φ(α(Y))| = |α(Y)/2|/|sin(u_α/2)|` — amplified near (not on) a wall. So
//! `L = ln(1/tol) + 10 + Σ_α ln max(1, |α|R/(2 max(|sin(u_α/2)|, σ_α)))` with `R` the first
//! estimate of the radius and `σ_α = t/(64|α|(R + √t))` (≈ the contour radius, below which the
//! contour — not a direct term — sees the wall): every omitted term is below `e^{−10}·tol`,
//! and the number of lattice points per shell grows only polynomially (design bound; checked
//! against the reference data and the character series on SO(5)–SO(7), SU(4), U(3)). For the
//! default `tol = 1e−12`, `L ≈ 38` plus ≈ 0–15 per root near walls. The enumeration visits
//! `O((R/π + 2)^rank)` lattice candidates, `R ≈ d + √(2tL)`. (Without the amplification term the
//! SO(6) kernel at `t = 1`, `|H| ≈ 0.7`, was off by `1.4e−11` in `log p`.)
//!
//! # Cancellation near a wall, and when to regularise
//! Let `u = α(H) − 2πk` be the signed distance to the nearest wall of a root `α` that has a
//! singular kept path. A mirror pair contributes `[g(Y) − g(Y − uα^∨)]/sin(u/2)` (`g` the
//! smooth numerator), i.e. two terms of size `|g|/|u|` whose difference is `≈ |∂g|` with
//! `|∂g/g| ≈ A = |α(Y)|/(|α|² t)` (the Gaussian's log-derivative along the wall normal). The
//! direct sum therefore loses a factor `≈ 1/(|u| A)` in `f` and its square in the gradient
//! (`∇f` involves one more power of `1/sin`): relative errors `ε/(|u|A)` and `ε/(|u|A)²`. It
//! is used as long as `|u| ≥ s/8` with `s = ½/A'`, `A' = (max_γ |α(Y_γ)|/|α|² + √t/|α|)/t`
//! (kept paths), i.e. losses ≤ 16 in `f` and ≤ 256 in the score (`≲ 6e−14`).
//!
//! Closer to walls (the set `J` of such roots, closed under "its wall is within reach of the
//! contour below") the kernel is evaluated by the **mean-value property of analytic
//! functions** in the wall-normal coordinates. Take linearly independent roots
//! `α_1..α_k ∈ J` spanning `span J` and dual vectors `b_i ∈ span J` (`α_j(b_i) = δ_ij`);
//! `Q(w) = f(H + Σ_i w_i b_i)`, `w ∈ C^k`, is entire, so `f(H) = Q(0)` is the mean of `Q`
//! over the torus `|w_i| = r_i`, and so is `∇f(H)` (mean of the complex gradient
//! `Σ_γ T ∇log T` at the nodes). The trapezoidal rule with `M` equispaced angles per
//! coordinate is exact for the Fourier modes `|n| < M` of the integrand; its error is the
//! aliased Taylor coefficient `≈ max|Q| (κr)^M/M!` for `Q ≈ e^{κw}`. The radii are
//! `r_i ≈ ½/κ_i` with `κ_i = (max_γ |⟨Y_γ, b_i⟩| + √t|b_i|)/t` (the Gaussian's log-derivative
//! and curvature along `b_i`, so `Q` varies by `O(1)` on the contour and the node values do
//! not cancel), capped at `½`, made geometric (`r_{i+1} ≥ 4r_i`) so that no root of
//! `span J` vanishes on the distinguished boundary (every such root is `Σ c_i α_i` with
//! `|c_i| ≤ 2`, and the dominant term `|c_j|r_j` exceeds the rest). `M = 16`: aliasing
//! `≈ 0.5^{16}/16! ≈ 7e−19`. At the nodes every term is evaluated in complex arithmetic with
//! `|sin(α(Y)/2)| ≳ r` for `α ∈ J`, so the nodes lose only `O(1)` digits; the node values are
//! real-analytic in the conjugate pairs, so only half of the `M^k` nodes are evaluated
//! (angles `2π(j+½)/M`, nodes paired with their complex conjugates).
//!
//! This covers single walls (SU(2)/U(2) at `±I`, SO(3) at the identity for `γ ≠ 0`), pairs
//! of orthogonal walls (SO(4) = D₂) and the A₂ vertices of SU(3) (its centre elements), at
//! any distance from the wall including exactly on it. Cost: `#paths × M^k/2` complex term
//! evaluations (`k ≤ rank`), reported in `terms`.
//!
//! # Rounding (what makes walls and near-ties accurate)
//! - **Consistent singular factors.** `α(Y) = u_α + 2πn` with the wall offset
//!   `u_α = α(H) − 2πk_α` computed once per root and integer windings `n`: every path uses
//!   `sin(α(Y)/2) = (−1)^n sin(u_α/2)` and `cot(α(Y)/2) = cot(u_α/2)`, so the members of a
//!   mirror pair see *identical* denominators. (Forming `sin(α(H+γ)/2)` from the rounded
//!   `H + γ` perturbs them differently by `≈ 2.4e−16|k|` because `2π` is not an f64, and
//!   `1/sin²` amplifies that: score errors `2e−9` at `θ = π − 1e−3`, `t = 0.1` before this.)
//! - **Exact `2π`.** `u_α` and the Gaussian gaps `|Y|² − d²` are formed in double-double from
//!   the f64 angles `θ`, the integer shifts and `2π = fl(2π) + 2.449e−16`
//!   ([`TorusPoint`]). Near the SU(3) centre the score is `Hess·(offset)` with an offset of
//!   `6.9e−16`, which `fl(2π)` alone would change by 35 %.
//! - What remains is the conditioning of the problem in its f64 input `H`:
//!   `|∇ log f|·ε|H| ≈ ε|H|²/t` in `log f` (`3e−11` at `t = 1e−4`) and `‖Hess log f‖·ε|H|` in the
//!   score; the contour nodes add `O(1)` digits on top (`t/(rA) ≈ 2`).
//!
//! # Error estimate
//! [`TorusEvaluation::error_estimate`] (relative in `f`, a posteriori) is the sum of
//! - the rounding estimate `ε Σ|T|/Σ T` (cancellation between paths of alternating sign, or
//!   between the contour nodes; `Auto` compares it with the tolerance, see [`super::auto`]);
//! - the truncation: every omitted term is below `e^{−(ln(1/tol) + 10)} = tol·e^{−10}` of the
//!   closest path's Gaussian, and about as many lie just outside the radius as inside, so
//!   `tol·e^{−10}(#paths + 1)/Σ T` (a design estimate, not a bound);
//! - on a wall contour, the aliasing `1e-18·Σ|T|/Σ T` (`0.5^{16}/16!` of the largest node value).
//!
//! For the one-path approximations ([`super::asymptotic`]) `other_paths` estimates what the
//! omitted paths weigh: `Σ_{γ≠0} |T(H+γ)|/|T(H_min)|` over the paths this truncation keeps at
//! `tol = 1e-16`, with each singular factor `(α(Y)/2)/sin(u/2)` (a path with winding `n ≠ 0`)
//! regularised as its mirror pair is: the pair `[g(Y) − g(Y − uα^∨)]/sin(u/2)` is about
//! `4|g||α(Y)|/(|α|²t)` for `|u| ≲ |α|²t/|α(Y)|` (the Gaussian's log-derivative along the wall
//! normal), so each member counts as `|α(Y)/2|/max(|sin(u/2)|, |α|²t/(2|α(Y)|))`.

use super::TorusEvaluation;
use crate::error::{Error, Num, Result};
use crate::heat_kernel::KernelMethod;
use crate::lie::RootSystem;
use num_complex::Complex64;
use std::f64::consts::{PI, TAU};

/// Most lattice candidates one path sum may search ([`RootSystem::lattice_candidates`]):
/// `10⁵` is ≈ 2–5 ms on the 2-core machine (the cost model of [`super::auto`]).
pub const LATTICE_CANDIDATE_BUDGET: f64 = 1e5;

/// Most term evaluations (`#paths × contour nodes`) one path sum may
/// take: `10⁵` is ≤ 14 ms at the measured 40–60 ns per real and 140 ns per complex term
/// (the contour in `k` wall directions needs `8·16^{k−1}` nodes per path, so `k ≤ 3` fits
/// with a few paths, `k ≥ 4` does not).
pub const PATH_TERM_BUDGET: f64 = 1e5;

/// Contour nodes per wall-normal coordinate (module docs: aliasing `≈ 0.5^M/M!`).
pub const CONTOUR_NODES: usize = 16;
/// Relative aliasing of the contour mean, `≈ 0.5^16/16! ≈ 7e-19` rounded up (module docs):
/// counted against the mean of the node moduli.
const CONTOUR_ALIASING: f64 = 1e-18;
/// Radius scale `c` in `r = c/κ` (module docs).
const RADIUS_SCALE: f64 = 0.5;
/// Largest contour radius (keeps the contour away from the next wall of the same root, `2π`).
const MAX_RADIUS: f64 = 0.5;
/// A root joins `J` when `|u| < s·WALL_FRACTION` (module docs).
const WALL_FRACTION: f64 = 0.125;
/// Ratio between successive contour radii.
const RADIUS_RATIO: f64 = 4.0;
/// Extra truncation margin `L = ln(1/tol) + TRUNCATION_MARGIN`.
const TRUNCATION_MARGIN: f64 = 10.0;

/// `φ(a) = (a/2)/sin(a/2)`.
pub(super) fn van_vleck(a: f64) -> f64 {
    if a.abs() < 1e-2 {
        let a2 = a * a;
        1.0 + a2 / 24.0 + 7.0 * a2 * a2 / 5760.0 + 31.0 * a2 * a2 * a2 / 967_680.0
    } else {
        0.5 * a / (0.5 * a).sin()
    }
}

/// `ψ(a) = d/da ln φ(a) = 1/a − ½cot(a/2)`.
pub(super) fn van_vleck_log_derivative(a: f64) -> f64 {
    if a.abs() < 1e-2 {
        let a2 = a * a;
        a / 12.0 + a * a2 / 720.0 + a * a2 * a2 / 30_240.0 + a * a2 * a2 * a2 / 1_209_600.0
    } else {
        1.0 / a - 0.5 / (0.5 * a).tan()
    }
}

/// `a/b` by Smith's algorithm: the textbook formula forms `|b|²`, which underflows for
/// `|b| ≲ 1e-154` (contour nodes at `t ≲ 1e-150` sit that close to the walls).
fn divide(a: Complex64, b: Complex64) -> Complex64 {
    if b.re.abs() >= b.im.abs() {
        let ratio = b.im / b.re;
        let denominator = b.re + b.im * ratio;
        Complex64::new(
            (a.re + a.im * ratio) / denominator,
            (a.im - a.re * ratio) / denominator,
        )
    } else {
        let ratio = b.re / b.im;
        let denominator = b.re * ratio + b.im;
        Complex64::new(
            (a.re * ratio + a.im) / denominator,
            (a.im * ratio - a.re) / denominator,
        )
    }
}

/// Complex `φ(a)` (same series below `|a| < 1e−2`: truncation `< 1e−17`).
fn van_vleck_complex(a: Complex64) -> Complex64 {
    if a.norm() < 1e-2 {
        let a2 = a * a;
        1.0 + a2 / 24.0 + a2 * a2 * (7.0 / 5760.0) + a2 * a2 * a2 * (31.0 / 967_680.0)
    } else {
        a * 0.5 / (a * 0.5).sin()
    }
}

/// Complex `ψ(a) = 1/a − ½cot(a/2)`.
fn van_vleck_log_derivative_complex(a: Complex64) -> Complex64 {
    if a.norm() < 1e-2 {
        let a2 = a * a;
        a / 12.0 + a * a2 / 720.0 + a * a2 * a2 / 30_240.0 + a * a2 * a2 * a2 / 1_209_600.0
    } else {
        let half = a * 0.5;
        a.inv() - half.cos() / half.sin() * 0.5
    }
}

/// A torus point `H = θ + 2πs − μ(1, …, 1)`: f64 angles `θ`, an integer shift `s` and, for
/// SU(n), the mean `μ` that puts `H` into `Σ = 0`. Root values `α(H) = α(θ) + 2πα(s)` and
/// Gaussian gaps are formed from `(θ, s)` with the exact `2π` (double-double), so the SU(n)
/// reduction of eigen-angles (subtracting `2π` from some of them) loses nothing: near a centre
/// element `e^{2πik/n}I` the score is `Hess·(offset)` with an offset of a few ulps, which an
/// f64 `H` could not hold.
#[derive(Clone, Debug)]
pub struct TorusPoint {
    /// `θ` (f64).
    pub angles: Vec<f64>,
    /// `s` (integers).
    pub shift: Vec<i64>,
    /// `μ` (0 except for SU(n)).
    pub mean: f64,
    /// `H` rounded to f64 (`θ + 2πs − μ`).
    pub rounded: Vec<f64>,
}

impl TorusPoint {
    /// `H` itself (no shift).
    pub fn new(h: &[f64]) -> Self {
        TorusPoint {
            angles: h.to_vec(),
            shift: vec![0; h.len()],
            mean: 0.0,
            rounded: h.to_vec(),
        }
    }

    /// SU(n) eigen-angles `θ` (summing to `2πm`): subtract `2π` from the `m` largest (add to the
    /// `|m|` smallest if `m < 0`), as [`RootSystem::torus_algebra_point`], keeping the shift exact.
    pub fn special_unitary(angles: &[f64]) -> Self {
        let n = angles.len();
        let sum: f64 = angles.iter().sum();
        let turns = (sum / TAU).round() as i64;
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| angles[b].total_cmp(&angles[a]));
        let mut shift = vec![0i64; n];
        if turns > 0 {
            for &j in order.iter().cycle().take(turns as usize) {
                shift[j] -= 1;
            }
        } else {
            for &j in order
                .iter()
                .rev()
                .cycle()
                .take(turns.unsigned_abs() as usize)
            {
                shift[j] += 1;
            }
        }
        let mut rounded: Vec<f64> = angles
            .iter()
            .zip(&shift)
            .map(|(a, &k)| {
                let v = dd_add((*a, 0.0), tau_times(k));
                v.0 + v.1
            })
            .collect();
        let mean = rounded.iter().sum::<f64>() / n as f64;
        rounded.iter_mut().for_each(|x| *x -= mean);
        TorusPoint {
            angles: angles.to_vec(),
            shift,
            mean,
            rounded,
        }
    }
}

/// The kept paths `Y = H + γ` (closest first).
pub(super) struct Paths {
    /// Path points `H + γ` (correctly rounded from `H + 2πk` with the exact `2π`), closest first.
    pub points: Vec<Vec<f64>>,
    /// `|Y|² − |Y_0|²` of each point, with the exact `2π` (double-double, see [`exponent_gap`]).
    pub gaps: Vec<f64>,
    /// `d² = |Y_0|²` (double-double, rounded).
    pub min_sq: f64,
    /// Integer coordinates `z = s + k` of each point (`Y = θ + 2πz − μ`, `γ = 2πk`).
    pub lattice: Vec<Vec<i64>>,
    /// Bound `e^{−(ln(1/tol) + 10)}` on every omitted term relative to the closest path's
    /// Gaussian (module docs, Truncation).
    pub omitted_term_bound: f64,
}

/// `2π = TAU_HI + TAU_LO` to ~107 bits (`TAU_LO = 2π − fl(2π)`).
const TAU_LO: f64 = 2.449_293_598_294_706_4e-16;

/// Error-free sum: `a + b = s + e` exactly.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// Double-double `(hi, lo)` sum.
fn dd_add(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (s, e) = two_sum(a.0, b.0);
    let e = e + a.1 + b.1;
    two_sum(s, e)
}

/// Double-double product.
fn dd_mul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let p = a.0 * b.0;
    let e = a.0.mul_add(b.0, -p) + (a.0 * b.1 + a.1 * b.0);
    two_sum(p, e)
}

/// `2π·k` as a double-double.
fn tau_times(k: i64) -> (f64, f64) {
    dd_mul((TAU, TAU_LO), (k as f64, 0.0))
}

/// `|H + 2πk|² − |H + 2πk₀|² = Σ_j 2π(k_j − k₀_j)·(2h_j + 2π(k_j + k₀_j))` in double-double:
/// the Gaussian weights of nearly tied paths (cut locus, SU(n) centre) depend on this small
/// difference of large squares, and `fl(2π)` alone would perturb it by `≈ 2.4e−16·|k|·|Y|`.
fn exponent_gap(h: &[f64], k: &[i64], k0: &[i64]) -> f64 {
    let mut sum = (0.0, 0.0);
    for ((hj, &kj), &k0j) in h.iter().zip(k).zip(k0) {
        let delta = kj - k0j;
        if delta == 0 {
            continue;
        }
        let inner = dd_add((2.0 * hj, 0.0), tau_times(kj + k0j));
        sum = dd_add(sum, dd_mul(inner, tau_times(delta)));
    }
    sum.0 + sum.1
}

/// `α(H)` for a root with coordinates in `{−1, 0, 1}` (all roots here), in double-double.
fn root_value(alpha: &[f64], h: &[f64]) -> (f64, f64) {
    let mut sum = (0.0, 0.0);
    for (a, hj) in alpha.iter().zip(h) {
        if *a != 0.0 {
            sum = dd_add(sum, (a * hj, 0.0));
        }
    }
    sum
}

/// Base truncation exponent `ln(1/tol) + 10` (the Van Vleck amplification is added in
/// [`kept_paths`]).
pub(super) fn truncation_exponent(tolerance: f64) -> f64 {
    (1.0 / tolerance).ln() + TRUNCATION_MARGIN
}

/// Lattice points within the truncation radius (module docs), closest first.
///
/// # Errors
/// [`Error::Numerical`] if the lattice search would visit more than `budget` candidates
/// ([`RootSystem::lattice_candidates`]: large `t`, or high rank at moderate `t`), naming the
/// estimate and the budget.
pub(super) fn kept_paths(
    rs: &RootSystem,
    point: &TorusPoint,
    t: f64,
    tolerance: f64,
    budget: f64,
) -> Result<Paths> {
    let h = &point.rounded;
    let norm = rs.norm_sq(h).sqrt();
    // Van Vleck amplification of omitted paths: |φ(α(Y))| ≤ (|α|R/2)/|sin(u_α/2)|, with the
    // denominator floored at σ_α = t/(64|α|(R + √t)) ≈ the contour radius (module docs).
    let amplification = |radius: f64| -> f64 {
        rs.positive_roots()
            .iter()
            .map(|alpha| {
                let a = root_value(alpha, &point.angles).0
                    + TAU
                        * alpha
                            .iter()
                            .zip(&point.shift)
                            .map(|(c, &k)| c * k as f64)
                            .sum::<f64>();
                let u = a - TAU * (a / TAU).round();
                let norm_alpha = rs.norm_sq(alpha).sqrt();
                // (Floored at the smallest normal f64: at t ≈ 5e-324 the quotient underflows,
                // and a root exactly on its wall would give ln(·/0) = ∞.)
                let floor =
                    (t / (64.0 * norm_alpha * (radius + t.sqrt()))).clamp(f64::MIN_POSITIVE, 0.5);
                let sine = (0.5 * u).sin().abs().max(floor);
                (0.5 * norm_alpha * radius / sine).max(1.0).ln()
            })
            .sum()
    };
    let base = truncation_exponent(tolerance);
    let first = norm + (2.0 * t * base).sqrt();
    let l = base + amplification(first);
    // (The relative slack keeps γ = 0 itself inside when t is so small that the Gaussian
    // margin vanishes: the search's partial sums round.)
    let radius = norm * (1.0 + 1e-12) + (2.0 * t * l).sqrt();
    let candidates = rs.lattice_candidates(radius);
    if candidates.is_nan() || candidates > budget {
        return Err(Error::Numerical {
            method: "sum over paths",
            detail: format!(
                "at t = {} the paths that matter (length up to {} from H) would take a \
                 lattice search over ≈ {candidates:.2e} candidates in rank {}, beyond the \
                 budget {budget:.0e}: the sum over paths is a small-t method (at this t use \
                 the character expansion, eigen, or auto)",
                Num(t),
                Num(radius),
                rs.rank()
            ),
        });
    }
    let lattice = rs.lattice_points_unchecked(h, radius)?;
    // Total integer shifts z = s + k, so that Y = θ + 2πz − μ.
    let integer: Vec<Vec<i64>> = lattice
        .iter()
        .map(|g| {
            g.iter()
                .zip(&point.shift)
                .map(|(v, s)| (v / TAU).round() as i64 + s)
                .collect()
        })
        .collect();
    let theta = &point.angles;
    let Some(first_found) = integer.first().cloned() else {
        return Err(Error::Numerical {
            method: "sum over paths",
            detail: format!("no lattice path found near H = {h:?}"),
        });
    };
    // The closest path by the exact (double-double) gaps: the search sorts by f64 norms, which
    // can order nearly tied paths (cut locus) the other way; a negative gap would then blow up
    // as e^{−gap/2t} at small t.
    let k0 = integer
        .iter()
        .map(|k| (exponent_gap(theta, k, &first_found), k))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k.clone())
        .unwrap_or(first_found);
    // d² = |θ + 2πz₀ − μ|² = |θ + 2πz₀|² − nμ² (SU(n): Σ(θ + 2πz₀) = nμ since Σk₀ = 0).
    let mut min_sq = (0.0, 0.0);
    for (tj, &kj) in theta.iter().zip(&k0) {
        let y = dd_add((*tj, 0.0), tau_times(kj));
        min_sq = dd_add(min_sq, dd_mul(y, y));
    }
    let mu = point.mean;
    min_sq = dd_add(min_sq, (-(h.len() as f64) * mu * mu, 0.0));
    let mut kept = Paths {
        points: Vec::new(),
        gaps: Vec::new(),
        min_sq: min_sq.0 + min_sq.1,
        lattice: Vec::new(),
        omitted_term_bound: (-base).exp(),
    };
    let mut order: Vec<(f64, Vec<i64>)> = integer
        .into_iter()
        .map(|k| (exponent_gap(theta, &k, &k0), k))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    for (gap, k) in order {
        // (Rounding of the double-double gap can leave a tied path a few ulps below 0.)
        let gap = gap.max(0.0);
        if gap <= 2.0 * t * l {
            let y = theta
                .iter()
                .zip(&k)
                .map(|(tj, &kj)| {
                    let v = dd_add((*tj, 0.0), tau_times(kj));
                    (v.0 - mu) + v.1
                })
                .collect();
            kept.points.push(y);
            kept.gaps.push(gap);
            kept.lattice.push(k);
        }
    }
    Ok(kept)
}

/// Wall-normal frame of the contour regularisation.
struct WallFrame {
    /// Dual vectors `b_i` (torus coordinates).
    duals: Vec<Vec<f64>>,
    /// Contour radii `r_i`.
    radii: Vec<f64>,
}

/// `Σ_γ T(H+γ)` and `Σ_γ T ∇log T`, scaled by `e^{d²/2t}`, plus the number of term evaluations.
struct ScaledSum {
    value: f64,
    gradient: Vec<f64>,
    terms: usize,
    /// The sums above are `e^{−log_scale}` times the true ones (a common scale that keeps
    /// products of singular Van Vleck factors, `~(|Y|/t)^k` at tiny `t`, in range).
    log_scale: f64,
    /// `Σ_γ|T|` (direct), or its average over the contour nodes.
    magnitude: f64,
    /// `Σ_γ|T|·‖∇log T‖_∞` (direct), or its average over the contour nodes.
    gradient_magnitude: f64,
}

/// Rounding estimates of a path sum: `ε Σ|T|/Σ T` (relative, `f`) and
/// `ε Σ|T|‖∇log T‖_∞/Σ T` (absolute, `∇ log f`). (The full error estimate of `f`, with the
/// truncation, is the evaluation's [`TorusEvaluation::error_estimate`].)
#[derive(Clone, Copy, Debug)]
pub(super) struct PathRounding {
    /// Relative rounding error estimate of `f`.
    pub value: f64,
    /// Absolute rounding error estimate of `∇ log f`.
    pub gradient: f64,
}

/// A prepared path sum: kept paths, windings and (near walls) the contour frame. Lets `Auto`
/// see the cost ([`PreparedPaths::cost`]) before evaluating.
pub(super) struct PreparedPaths {
    paths: Paths,
    windings: Windings,
    frame: Option<WallFrame>,
    rounded: Vec<f64>,
}

impl PreparedPaths {
    /// Complex or real term evaluations the sum will take (`#paths × #nodes`).
    pub fn cost(&self) -> usize {
        let nodes = match &self.frame {
            None => 1,
            Some(f) => CONTOUR_NODES / 2 * CONTOUR_NODES.pow(f.duals.len() as u32 - 1),
        };
        self.paths.points.len() * nodes
    }

    /// Whether the wall contour is needed.
    pub fn uses_contour(&self) -> bool {
        self.frame.is_some()
    }
}

/// Kept paths, windings and wall frame (module docs).
///
/// # Errors
/// As [`kept_paths`].
pub(super) fn prepare(
    rs: &RootSystem,
    point: &TorusPoint,
    t: f64,
    tolerance: f64,
    budget: f64,
) -> Result<PreparedPaths> {
    let paths = kept_paths(rs, point, t, tolerance, budget)?;
    let windings = windings(rs, point, &paths);
    let frame = wall_frame(rs, &paths, t, &windings);
    Ok(PreparedPaths {
        paths,
        windings,
        frame,
        rounded: point.rounded.clone(),
    })
}

/// Evaluates a prepared sum; also returns the rounding estimates ([`PathRounding`]: cancellation
/// between the terms; `Auto` compares them with the tolerance).
///
/// # Errors
/// [`Error::Numerical`] if the sum is not positive and finite.
pub(super) fn evaluate_prepared(
    rs: &RootSystem,
    prepared: &PreparedPaths,
    t: f64,
) -> Result<(TorusEvaluation, PathRounding)> {
    let PreparedPaths {
        paths,
        windings,
        frame,
        rounded,
    } = prepared;
    let sum = match frame {
        None => direct_sum(rs, paths, t, windings),
        Some(frame) => contour_sum(rs, paths, t, frame, windings),
    };
    let rounding = PathRounding {
        value: f64::EPSILON * sum.magnitude / sum.value.abs(),
        gradient: f64::EPSILON * sum.gradient_magnitude / sum.value.abs(),
    };
    // Error estimate (module docs, Error estimate): rounding, the omitted paths (each below
    // `omitted_term_bound`; about as many in the next shell as kept), the contour's aliasing.
    let aliasing = if frame.is_some() {
        CONTOUR_ALIASING
    } else {
        0.0
    };
    let error_estimate = rounding.value
        + (paths.omitted_term_bound * (paths.points.len() + 1) as f64 + aliasing * sum.magnitude)
            / sum.value.abs();
    let mut evaluation = finish(rs, rounded, t, paths.min_sq, sum)?;
    evaluation.error_estimate = error_estimate;
    Ok((evaluation, rounding))
}

/// `Σ_{γ≠0} |T(H+γ)|/|T(H_min)|`, the relative weight of the paths a one-path approximation
/// omits, with singular factors regularised as mirror pairs (module docs, Error estimate).
///
/// # Errors
/// As [`kept_paths`].
pub(super) fn other_paths(rs: &RootSystem, point: &TorusPoint, t: f64) -> Result<f64> {
    let paths = kept_paths(rs, point, t, 1e-16, LATTICE_CANDIDATE_BUDGET)?;
    let w = windings(rs, point, &paths);
    let roots = rs.positive_roots();
    let sines: Vec<f64> = w.offsets.iter().map(|u| (0.5 * u).sin().abs()).collect();
    let log_amplitude = |p: usize| -> f64 {
        let mut log_amplitude = -0.5 * paths.gaps[p] / t;
        for (j, alpha) in roots.iter().enumerate() {
            let n = w.windings[p * roots.len() + j];
            let u = w.offsets[j];
            let factor = if n == 0 {
                van_vleck(u).abs()
            } else {
                let a = (u + TAU * n as f64).abs();
                let floor = (rs.norm_sq(alpha) * t / (2.0 * a)).max(f64::MIN_POSITIVE);
                0.5 * a / sines[j].max(floor)
            };
            log_amplitude += factor.ln();
        }
        log_amplitude
    };
    let closest = log_amplitude(0);
    Ok((1..paths.points.len())
        .map(|p| (log_amplitude(p) - closest).exp())
        .sum())
}

/// Path sum `log f_t(e^H)`, `∇ log f` (module docs).
///
/// # Errors
/// As [`kept_paths`]; [`Error::Numerical`] if the sum is not positive and finite.
pub(super) fn path_sum(
    rs: &RootSystem,
    point: &TorusPoint,
    t: f64,
    tolerance: f64,
) -> Result<TorusEvaluation> {
    let prepared = prepare(rs, point, t, tolerance, LATTICE_CANDIDATE_BUDGET)?;
    let cost = prepared.cost() as f64;
    if cost > PATH_TERM_BUDGET {
        return Err(Error::Numerical {
            method: "sum over paths",
            detail: format!(
                "at t = {t:e}, H = {:?} the sum needs {cost:.2e} term evaluations ({} paths{}), \
                 beyond the budget {PATH_TERM_BUDGET:.0e}",
                point.rounded,
                prepared.paths.points.len(),
                prepared.frame.as_ref().map_or(String::new(), |f| format!(
                    " × {} contour nodes around {} walls",
                    prepared.cost() / prepared.paths.points.len().max(1),
                    f.duals.len()
                )),
            ),
        });
    }
    Ok(evaluate_prepared(rs, &prepared, t)?.0)
}

fn finish(
    rs: &RootSystem,
    h: &[f64],
    t: f64,
    min_sq: f64,
    sum: ScaledSum,
) -> Result<TorusEvaluation> {
    if !(sum.value > 0.0 && sum.value.is_finite()) {
        return Err(Error::Numerical {
            method: "sum over paths",
            detail: format!(
                "non-positive or non-finite sum {:e} at H = {h:?}, t = {t}",
                sum.value
            ),
        });
    }
    let gradient: Vec<f64> = sum.gradient.iter().map(|g| g / sum.value).collect();
    let dim = rs.group_dim() as f64;
    let log_prob = -0.5 * dim * (2.0 * PI * t).ln() + 0.5 * rs.rho_norm_sq() * t - 0.5 * min_sq / t
        + (sum.value.ln() + sum.log_scale);
    Ok(TorusEvaluation {
        log_prob,
        gradient,
        terms: sum.terms,
        estimator: KernelMethod::SumOverPaths,
        // Set by the caller, which knows the truncation.
        error_estimate: f64::INFINITY,
    })
}

/// Per-root wall data shared by all paths: `α(Y) = u_α + 2π n_{γ,α}` with the offset
/// `u_α = α(H) − 2πk_α` (`|u_α| ≤ π`) computed once and the integer windings
/// `n_{γ,α} = k_α + α(γ)/2π` exact. All singular factors are evaluated from `u_α`
/// (`sin(α(Y)/2) = (−1)^n sin(u_α/2)`, `cot(α(Y)/2) = cot(u_α/2)`), so mirror paths see
/// *identical* denominators: the lattice `2πZ` is not representable in f64, and forming
/// `sin(α(H+γ)/2)` from the rounded `H + γ` would perturb the two members of a mirror pair
/// differently by `≈ 2.4e−16·|k|`, amplified by `1/sin²` in the score.
struct Windings {
    /// `u_α` per root.
    offsets: Vec<f64>,
    /// `n_{γ,α}`, path-major (`path * #roots + root`).
    windings: Vec<i64>,
}

fn windings(rs: &RootSystem, point: &TorusPoint, paths: &Paths) -> Windings {
    let roots = rs.positive_roots();
    let mut offsets = Vec::with_capacity(roots.len());
    let mut base = Vec::with_capacity(roots.len());
    for alpha in roots {
        // α(H) = α(θ) + 2πα(s) (α kills the SU(n) mean).
        let shift: f64 = alpha
            .iter()
            .zip(&point.shift)
            .map(|(a, &s)| a * s as f64)
            .sum();
        let a = dd_add(
            root_value(alpha, &point.angles),
            tau_times(shift.round() as i64),
        );
        let k = ((a.0 + a.1) / TAU).round() as i64;
        // u = α(H) − 2πk with the exact 2π: the offset from the true wall.
        let u = dd_add(a, {
            let w = tau_times(k);
            (-w.0, -w.1)
        });
        offsets.push(u.0 + u.1);
        base.push(k);
    }
    let mut windings = Vec::with_capacity(paths.points.len() * roots.len());
    for z in &paths.lattice {
        for (alpha, &k) in roots.iter().zip(&base) {
            // α(γ)/2π = α(z − s).
            let m: f64 = alpha
                .iter()
                .zip(z)
                .zip(&point.shift)
                .map(|((a, &zj), &sj)| a * (zj - sj) as f64)
                .sum();
            windings.push(k + m.round() as i64);
        }
    }
    Windings { offsets, windings }
}

/// `(φ, ψ)` of a path term for a root with offset `u` and winding `n` (real).
fn factors(u: f64, n: i64, sin_half: f64, cot_half: f64) -> (f64, f64) {
    if n == 0 {
        (van_vleck(u), van_vleck_log_derivative(u))
    } else {
        let a = u + TAU * n as f64;
        let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
        (0.5 * a / (sign * sin_half), 1.0 / a - 0.5 * cot_half)
    }
}

/// Direct real summation (no root of `J`): every term is finite.
fn direct_sum(rs: &RootSystem, paths: &Paths, t: f64, w: &Windings) -> ScaledSum {
    let r = rs.torus_dim();
    let roots = rs.positive_roots();
    let trig: Vec<(f64, f64)> = w
        .offsets
        .iter()
        .map(|&u| {
            let (s, c) = (0.5 * u).sin_cos();
            (s, c / s)
        })
        .collect();
    // Singular factors (a/2)/sin(u/2) are ~1/t at tiny t and their products overflow: each
    // path's exponent carries the logs of their magnitudes, relative to the largest path's.
    let log_singular = |p: usize| -> f64 {
        roots
            .iter()
            .enumerate()
            .filter(|&(j, _)| w.windings[p * roots.len() + j] != 0)
            .map(|(j, _)| {
                let a = w.offsets[j] + TAU * w.windings[p * roots.len() + j] as f64;
                (0.5 * a.abs()).ln() - trig[j].0.abs().ln()
            })
            .sum()
    };
    let exponents: Vec<f64> = (0..paths.points.len())
        .map(|p| -0.5 * paths.gaps[p] / t + log_singular(p))
        .collect();
    let log_scale = exponents
        .iter()
        .fold(f64::NEG_INFINITY, |m, &e| m.max(e))
        .max(-700.0);
    let mut value = 0.0;
    let mut magnitude = 0.0;
    let mut gradient_magnitude = 0.0;
    let mut gradient = vec![0.0; r];
    let mut grad = vec![0.0; r];
    for (p, y) in paths.points.iter().enumerate() {
        let mut weight = (exponents[p] - log_scale).exp();
        for (g, yk) in grad.iter_mut().zip(y) {
            *g = -yk / t;
        }
        for (j, alpha) in roots.iter().enumerate() {
            let n = w.windings[p * roots.len() + j];
            let (phi, psi) = factors(w.offsets[j], n, trig[j].0, trig[j].1);
            // Singular factors only contribute their sign here (their magnitude is in the
            // exponent).
            weight *= if n == 0 { phi } else { phi.signum() };
            for (g, ak) in grad.iter_mut().zip(alpha) {
                *g += psi * ak;
            }
        }
        value += weight;
        magnitude += weight.abs();
        gradient_magnitude += weight.abs() * grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for (s, g) in gradient.iter_mut().zip(&grad) {
            *s += weight * g;
        }
    }
    ScaledSum {
        value,
        gradient,
        terms: paths.points.len(),
        log_scale,
        magnitude,
        gradient_magnitude,
    }
}

/// The regularisation frame, or `None` when the direct sum is accurate (module docs).
fn wall_frame(rs: &RootSystem, paths: &Paths, t: f64, w: &Windings) -> Option<WallFrame> {
    let roots = rs.positive_roots();
    let sqrt_t = t.sqrt();
    // Per root: offset u, singular kept path?, scale s.
    let info: Vec<(f64, bool, f64)> = roots
        .iter()
        .enumerate()
        .map(|(j, alpha)| {
            let u = w.offsets[j];
            let norm_sq = rs.norm_sq(alpha);
            let mut max_a: f64 = 0.0;
            let mut singular = false;
            for (p, y) in paths.points.iter().enumerate() {
                max_a = max_a.max(rs.inner(alpha, y).abs());
                singular |= w.windings[p * roots.len() + j] != 0;
            }
            let kappa = (max_a / norm_sq + sqrt_t / norm_sq.sqrt()) / t;
            (u, singular, (RADIUS_SCALE / kappa).min(MAX_RADIUS))
        })
        .collect();
    let mut in_j: Vec<bool> = info
        .iter()
        .map(|&(u, singular, s)| singular && u.abs() < WALL_FRACTION * s)
        .collect();
    if !in_j.iter().any(|&b| b) {
        return None;
    }
    loop {
        // Basis: greedy linearly independent subset of J, ordered by increasing own scale.
        let mut candidates: Vec<usize> = (0..roots.len()).filter(|&j| in_j[j]).collect();
        candidates.sort_by(|&a, &b| info[a].2.total_cmp(&info[b].2));
        let mut basis: Vec<usize> = Vec::new();
        for &j in &candidates {
            let mut trial = basis.clone();
            trial.push(j);
            if gram_inverse(rs, &trial).is_some() {
                basis = trial;
            }
        }
        let gram_inv = gram_inverse(rs, &basis).expect("independent basis");
        let k = basis.len();
        let dim = rs.torus_dim();
        let duals: Vec<Vec<f64>> = (0..k)
            .map(|i| {
                let mut b = vec![0.0; dim];
                for (l, &j) in basis.iter().enumerate() {
                    for (bk, ak) in b.iter_mut().zip(&roots[j]) {
                        *bk += gram_inv[i * k + l] * ak;
                    }
                }
                b
            })
            .collect();
        // Own radii from the Gaussian scale along each b_i, then geometric from the inside out.
        let own: Vec<f64> = duals
            .iter()
            .map(|b| {
                let max_yb = paths
                    .points
                    .iter()
                    .map(|y| rs.inner(y, b).abs())
                    .fold(0.0, f64::max);
                let kappa = (max_yb + sqrt_t * rs.norm_sq(b).sqrt()) / t;
                (RADIUS_SCALE / kappa).min(MAX_RADIUS)
            })
            .collect();
        let mut radii = own.clone();
        for i in (0..k.saturating_sub(1)).rev() {
            radii[i] = radii[i].min(radii[i + 1] / RADIUS_RATIO);
        }
        // Closure: a singular root outside span(J) whose wall the contour can reach joins J.
        let mut grew = false;
        for (j, alpha) in roots.iter().enumerate() {
            if in_j[j] || !info[j].1 {
                continue;
            }
            let coefficients: Vec<f64> = duals.iter().map(|b| rs.inner(alpha, b)).collect();
            let mut residual = alpha.clone();
            for (c, &bj) in coefficients.iter().zip(&basis) {
                for (x, a) in residual.iter_mut().zip(&roots[bj]) {
                    *x -= c * a;
                }
            }
            if rs.norm_sq(&residual) < 1e-20 {
                continue; // in span(J): its value on the contour is Σ c_i (u_i + w_i) (+ 2πZ or far)
            }
            let reach: f64 = coefficients
                .iter()
                .zip(&radii)
                .zip(&basis)
                .map(|((c, r), &bj)| c.abs() * (r + info[bj].0.abs()))
                .sum();
            if info[j].0.abs() < 4.0 * reach {
                in_j[j] = true;
                grew = true;
            }
        }
        if !grew {
            return Some(WallFrame { duals, radii });
        }
    }
}

/// Inverse of the Gram matrix `⟨α_i, α_j⟩` of the chosen roots (row-major), or `None` if they
/// are linearly dependent.
fn gram_inverse(rs: &RootSystem, basis: &[usize]) -> Option<Vec<f64>> {
    let k = basis.len();
    let roots = rs.positive_roots();
    let mut a = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            a[i * k + j] = rs.inner(&roots[basis[i]], &roots[basis[j]]);
        }
    }
    // Gauss–Jordan with partial pivoting on [A | I].
    let mut inv = vec![0.0; k * k];
    for i in 0..k {
        inv[i * k + i] = 1.0;
    }
    for col in 0..k {
        let pivot =
            (col..k).max_by(|&x, &y| a[x * k + col].abs().total_cmp(&a[y * k + col].abs()))?;
        if a[pivot * k + col].abs() < 1e-9 {
            return None;
        }
        for j in 0..k {
            a.swap(col * k + j, pivot * k + j);
            inv.swap(col * k + j, pivot * k + j);
        }
        let d = a[col * k + col];
        for j in 0..k {
            a[col * k + j] /= d;
            inv[col * k + j] /= d;
        }
        for row in 0..k {
            if row != col {
                let f = a[row * k + col];
                for j in 0..k {
                    a[row * k + j] -= f * a[col * k + j];
                    inv[row * k + j] -= f * inv[col * k + j];
                }
            }
        }
    }
    Some(inv)
}

/// Mean of `Σ_γ T` and `Σ_γ T∇log T` over the contour nodes (module docs).
fn contour_sum(
    rs: &RootSystem,
    paths: &Paths,
    t: f64,
    frame: &WallFrame,
    wind: &Windings,
) -> ScaledSum {
    let k = frame.duals.len();
    let dim = rs.torus_dim();
    let m = CONTOUR_NODES;
    let roots = rs.positive_roots();
    let nr = roots.len();
    let zero = Complex64::new(0.0, 0.0);
    // Unit circle nodes at angles 2π(j + ½)/M.
    let unit: Vec<Complex64> = (0..m)
        .map(|j| Complex64::from_polar(1.0, TAU * (j as f64 + 0.5) / m as f64))
        .collect();
    // Root values of the duals: α(b_i).
    let alpha_b: Vec<Vec<f64>> = roots
        .iter()
        .map(|a| frame.duals.iter().map(|b| rs.inner(a, b)).collect())
        .collect();
    let mut value = 0.0;
    let mut magnitude = 0.0;
    let mut gradient_magnitude = 0.0;
    let mut gradient = vec![0.0; dim];
    let mut shift = vec![zero; dim];
    let mut grad = vec![zero; dim];
    let mut node_gradient = vec![zero; dim];
    // Per root at the node: (u(w), sin(u/2), cot(u/2), φ(u), ψ(u)).
    let mut root_data = vec![(zero, zero, zero, zero, zero); nr];
    // Singular factors (a/2)/sin(u/2) are ~1/r on the contour (r ~ t/|Y|), so their products
    // overflow at tiny t: each is divided by A/(2R) (A = |u_α + 2πn|, R = |u_α| + the contour's
    // reach in u_α, so that the quotient is O(1)), and the logs of these divisors go into the
    // path's exponent, taken relative to the largest path's (`log_scale`).
    let reach: Vec<f64> = (0..nr)
        .map(|j| {
            let r: f64 = alpha_b[j]
                .iter()
                .zip(&frame.radii)
                .map(|(c, ri)| c.abs() * ri)
                .sum();
            (wind.offsets[j].abs() + r).max(1e-300)
        })
        .collect();
    let divisors: Vec<Vec<f64>> = (0..paths.points.len())
        .map(|p| {
            (0..nr)
                .map(|j| {
                    let n = wind.windings[p * nr + j];
                    if n == 0 {
                        1.0
                    } else {
                        (wind.offsets[j] + TAU * n as f64).abs() / (2.0 * reach[j])
                    }
                })
                .collect()
        })
        .collect();
    let exponents: Vec<f64> = (0..paths.points.len())
        .map(|p| -0.5 * paths.gaps[p] / t + divisors[p].iter().map(|d| d.ln()).sum::<f64>())
        .collect();
    let log_scale = exponents
        .iter()
        .fold(f64::NEG_INFINITY, |m, &e| m.max(e))
        .max(-700.0);
    let mut index = vec![0usize; k];
    let half = m / 2;
    let count = half * m.pow(k as u32 - 1);
    for _ in 0..count {
        // Node offsets w_i = r_i e^{iθ_{j_i}}; first coordinate in the upper half plane only.
        let w: Vec<Complex64> = (0..k).map(|i| unit[index[i]] * frame.radii[i]).collect();
        shift.iter_mut().for_each(|s| *s = zero);
        for (wi, b) in w.iter().zip(&frame.duals) {
            for (s, bk) in shift.iter_mut().zip(b) {
                *s += wi * bk;
            }
        }
        for (j, data) in root_data.iter_mut().enumerate() {
            let u: Complex64 = alpha_b[j]
                .iter()
                .zip(&w)
                .map(|(c, wi)| wi * c)
                .sum::<Complex64>()
                + wind.offsets[j];
            let half_u = u * 0.5;
            let sin = half_u.sin();
            *data = (
                u,
                sin,
                divide(half_u.cos(), sin),
                van_vleck_complex(u),
                van_vleck_log_derivative_complex(u),
            );
        }
        let mut node_value = zero;
        node_gradient.iter_mut().for_each(|g| *g = zero);
        for (p, y) in paths.points.iter().enumerate() {
            // −(Y·Y − d²)/2t with Y complex (bilinear form): the real gap is in the exponent,
            // the node's shift added here.
            let mut quad = Complex64::new(0.0, 0.0);
            for ((yk, sk), g) in y.iter().zip(&shift).zip(grad.iter_mut()) {
                quad += sk * (2.0 * yk) + sk * sk;
                *g = -(sk + yk) / t;
            }
            let mut term = (-quad / (2.0 * t) + (exponents[p] - log_scale)).exp();
            for (j, alpha) in roots.iter().enumerate() {
                let n = wind.windings[p * nr + j];
                let (u, sin, cot, phi0, psi0) = root_data[j];
                let (phi, psi) = if n == 0 {
                    (phi0, psi0)
                } else {
                    let a = u + TAU * n as f64;
                    let sign = if n % 2 == 0 { 1.0 } else { -1.0 };
                    (
                        divide(a * 0.5, sin * (sign * divisors[p][j])),
                        a.inv() - cot * 0.5,
                    )
                };
                term *= phi;
                for (g, ak) in grad.iter_mut().zip(alpha) {
                    *g += psi * ak;
                }
            }
            node_value += term;
            magnitude += term.norm();
            gradient_magnitude += term.norm() * grad.iter().fold(0.0f64, |m, g| m.max(g.norm()));
            for (s, g) in node_gradient.iter_mut().zip(&grad) {
                *s += term * g;
            }
        }
        value += node_value.re;
        for (s, g) in gradient.iter_mut().zip(&node_gradient) {
            *s += g.re;
        }
        // Next multi-index (first coordinate runs over the upper half only).
        for i in 0..k {
            index[i] += 1;
            let limit = if i == 0 { half } else { m };
            if index[i] < limit {
                break;
            }
            index[i] = 0;
        }
    }
    let norm = 1.0 / count as f64;
    ScaledSum {
        value: value * norm,
        gradient: gradient.iter().map(|g| g * norm).collect(),
        terms: paths.points.len() * count,
        log_scale,
        magnitude: magnitude * norm,
        gradient_magnitude: gradient_magnitude * norm,
    }
}
