//! The exact sum over geodesics of the heat kernel of `S³ ≅ SU(2)`.
//!
//! For `∂_t p = ½Δp` on the unit `S³` (volume `2π²`),
//!
//! `p_t(ψ) = e^{t/2} (2πt)^{−3/2} Σ_{k∈Z} (ψ + 2πk)/sin ψ · e^{−(ψ+2πk)²/2t}`,
//!
//! (Poisson summation of the eigen series `(1/2π²) Σ_n n e^{−(n²−1)t/2} sin nψ / sin ψ`, or
//! the Lie-group path sum of [`crate::conventions`] with `|ρ|² = 1`). The individual terms are singular at
//! ψ = 0 and ψ = π; they are paired so that every evaluated expression is regular:
//!
//! * ψ ≤ π/2 (pairs `±k` about 0, `a = 2πk`, `y = 2aψ/t`, `E± = e^{−a(a∓2ψ)/2t}`):
//!   `p = C e^{−ψ²/2t} (ψ/sin ψ) B`, `B = 1 + Σ_{k≥1} [E₊ + E₋ − (2a²/t) E₊ φ₁(y)]`,
//!   `φ₁(y) = (1 − e^{−y})/y`.
//! * ψ > π/2 (pairs `k, −1−k` about π, `φ = π − ψ`, `b = (2k+1)π`, `z = 2bφ/t`,
//!   `R_k = e^{−(b−π)(b+π−2φ)/2t}`):
//!   `p = C e^{−ψ²/2t} (φ/sin φ) Σ_{k≥0} R_k [(2b²/t) φ₁(z) − 1 − e^{−z}]`,
//!
//! with `C = e^{t/2}(2πt)^{−3/2}`. `∂_ψ log p` is differentiated analytically; for ψ ≤ π/2 it
//! is computed as `ψ · W` with `W` free of cancellation (using `χ̃(y) = (φ₁ + 2φ₁')/y`), so
//! `∂_ψ log p / sin ψ` is accurate down to ψ = 0. Paths are summed until their relative
//! weight is below `e^{−50}`; for `t ≤ 2` that is at most 3 pairs. Relative accuracy `~1e-15`
//! for `t ≲ 2`; the bracket cancels for large `t` (`B ≪ 1`), where the eigen series is used.
//!
//! **Error estimate** (relative in `p`, a posteriori): `4ε(1 + M/|B|) + 2e^{−50}/|B|`, with
//! `M` the sum of the moduli of the terms of the bracket `B` (its cancellation; `M/|B| = 1`
//! for `t → 0`) and `2e^{−50}/|B|` the omitted pairs (each below `e^{−50}` of the first term).

use super::asymptotic::inverse_minus_cot;
use std::f64::consts::{FRAC_PI_2, PI, TAU};

/// `S³` kernel value: `log p`, `∂_ψ log p`, terms used, estimated relative error of `p`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct S3Value {
    pub log_prob: f64,
    pub dlog_prob_dpsi: f64,
    pub terms: usize,
    pub relative_error: f64,
}

/// `φ₁(y) = (1 − e^{−y})/y`, `φ₁(0) = 1`.
#[inline]
fn phi1(y: f64) -> f64 {
    if y < 1e-8 {
        1.0 - 0.5 * y
    } else {
        -(-y).exp_m1() / y
    }
}

/// `φ₁'(z) = (e^{−z} − φ₁(z))/z`; by its series `Σ_{n≥1} n (−z)^{n−1} (−1)/(n+1)!` for
/// `z < 0.5` (20 terms, truncation < 1e-19), where the difference would cancel.
#[inline]
fn phi1_derivative(z: f64, exp_minus_z: f64, phi1_z: f64) -> f64 {
    if z < 0.5 {
        let mut sum = 0.0;
        let mut power = 1.0; // (−z)^{n−1}
        let mut factorial = 2.0; // (n+1)!
        for n in 1..21 {
            let nf = n as f64;
            if n > 1 {
                power *= -z;
                factorial *= nf + 1.0;
            }
            sum -= nf * power / factorial;
        }
        sum
    } else {
        (exp_minus_z - phi1_z) / z
    }
}

/// `χ̃(y) = [y(1 + e^{−y}) − 2(1 − e^{−y})]/y³ = Σ_{j≥3} (−1)^{j−1}(j−2)/j! · y^{j−3}`.
#[inline]
fn chi_tilde(y: f64) -> f64 {
    if y < 1.0 {
        // 18 terms of the series: truncation < y^18 · 18/21! < 4e-19.
        let mut term_factorial = 6.0; // j!
        let mut power = 1.0; // y^{j−3}
        let mut sum = 0.0;
        for j in 3..21 {
            let jf = j as f64;
            if j > 3 {
                term_factorial *= jf;
                power *= y;
            }
            let sign = if j % 2 == 1 { 1.0 } else { -1.0 };
            sum += sign * (jf - 2.0) / term_factorial * power;
        }
        sum
    } else {
        let e = (-y).exp();
        (y * (1.0 + e) + 2.0 * (-y).exp_m1()) / (y * y * y)
    }
}

/// `(1/ψ − cot ψ)/ψ`, finite at 0 (→ 1/3).
#[inline]
fn inverse_minus_cot_over(psi: f64) -> f64 {
    if psi < 0.1 {
        let p2 = psi * psi;
        1.0 / 3.0
            + p2 * (1.0 / 45.0 + p2 * (2.0 / 945.0 + p2 * (1.0 / 4725.0 + p2 * 2.0 / 93555.0)))
    } else {
        inverse_minus_cot(psi) / psi
    }
}

/// `π − fl(π)`: the part of π not representable in `PI`.
const PI_LOW: f64 = 1.2246467991473532e-16;

/// Relative path weight below which summation stops.
const PATH_CUTOFF_EXPONENT: f64 = 50.0;

/// The `S³` kernel split as `p = e^{t/2}(2πt)^{−3/2} · e^{exponent} · factor` with
/// `exponent = −ψ²/2t` (the only part that can under/overflow) and `factor = O(1)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct S3Parts {
    pub exponent: f64,
    pub factor: f64,
    pub dlog_prob_dpsi: f64,
    pub dlog_prob_over_sin: f64,
    pub terms: usize,
    /// Estimated relative error of `factor` (module docs).
    pub relative_error: f64,
}

/// Estimated relative error of the bracket `b` summed from terms of total modulus `magnitude`.
#[inline]
fn bracket_error(b: f64, magnitude: f64) -> f64 {
    4.0 * f64::EPSILON * (1.0 + magnitude / b.abs()) + 2.0 * (-PATH_CUTOFF_EXPONENT).exp() / b.abs()
}

/// Whether a path pair of relative weight `e^{−e}` and amplitude up to `(1 + scale)²` is
/// below `e^{−50}`. The cheap test `e > 1500` (`2 ln(1 + scale) < 1450` for any finite
/// `scale`) avoids the logarithm in the common small-`t` case.
#[inline]
fn negligible(e: f64, scale: f64) -> bool {
    e > 1500.0 || e > PATH_CUTOFF_EXPONENT + 2.0 * (1.0 + scale).ln()
}

/// `ψ / sin ψ` given an accurate `sin ψ` (`ψ ≤ π/2`).
#[inline]
fn over_sin(psi: f64, sin_psi: f64) -> f64 {
    if psi < 1e-5 {
        1.0 + psi * psi / 6.0
    } else {
        psi / sin_psi
    }
}

/// The `S³` path sum at `psi ∈ [0, π]` with `sin_psi = sin ψ`, `cos_psi = cos ψ` and
/// `pi_minus_psi = π − ψ` (all accurate: near ψ = π, `π − ψ` cannot be formed from an f64 `ψ`
/// to relative accuracy, and its relative error becomes that of the ψ > π/2 terms), `t > 0`.
pub(crate) fn s3_parts(psi: f64, sin_psi: f64, cos_psi: f64, pi_minus_psi: f64, t: f64) -> S3Parts {
    let exponent = -psi * psi / (2.0 * t);
    if psi <= FRAC_PI_2 {
        let (mut b, mut b_tilde) = (1.0f64, 0.0f64);
        let mut magnitude = 1.0f64;
        let mut k = 1usize;
        loop {
            let a = TAU * k as f64;
            let e = a * (a - 2.0 * psi) / (2.0 * t);
            let scale = 2.0 * a * a / t;
            if negligible(e, scale) {
                break;
            }
            let e_plus = (-e).exp();
            let y = 2.0 * a * psi / t;
            let e_minus = e_plus * (-y).exp();
            let f1 = phi1(y);
            b += e_plus + e_minus - scale * e_plus * f1;
            magnitude += e_plus + e_minus + scale * e_plus * f1;
            b_tilde += (scale / t) * e_plus * (f1 - scale * chi_tilde(y));
            k += 1;
        }
        let imc = if psi < 0.1 {
            inverse_minus_cot_over(psi)
        } else {
            (1.0 / psi - cos_psi / sin_psi) / psi
        };
        let w = -1.0 / t + imc + b_tilde / b;
        let ratio = over_sin(psi, sin_psi);
        S3Parts {
            exponent,
            factor: ratio * b,
            // ∂_ψ log p = ψ·W vanishes at ψ = 0 (W = −∞ there for t below 1/f64::MAX).
            dlog_prob_dpsi: if psi == 0.0 { 0.0 } else { psi * w },
            dlog_prob_over_sin: w * ratio,
            terms: 2 * k - 1,
            relative_error: bracket_error(b, magnitude),
        }
    } else {
        let phi = pi_minus_psi;
        let (mut b, mut db) = (0.0f64, 0.0f64);
        let mut magnitude = 0.0f64;
        let mut k = 0usize;
        loop {
            let bk = PI * (2 * k + 1) as f64;
            let e = (bk - PI) * (bk + PI - 2.0 * phi) / (2.0 * t);
            let scale = 2.0 * bk * bk / t;
            if k > 0 && negligible(e, scale) {
                break;
            }
            let r = (-e).exp();
            let z = 2.0 * bk * phi / t;
            let ez = (-z).exp();
            // (2b²/t)φ₁(z) and (2b/t)((2b²/t)φ₁'(z) + e^{−z}). For z ≥ 1 they are formed from
            // 2b²/(tz) = b/φ, so that nothing overflows at tiny t (where 2b²/t = ∞ and
            // φ₁(z) = 0 would give ∞·0); below, the series of φ₁' avoids the cancellation.
            let (scaled_f1, derivative) = if z >= 1.0 {
                let f1 = -(-z).exp_m1();
                let weighted = if z > 700.0 { 0.0 } else { (2.0 * bk / t) * ez };
                (bk / phi * f1, bk / phi * (weighted - f1 / phi) + weighted)
            } else {
                let f1 = phi1(z);
                let df1 = phi1_derivative(z, ez, f1);
                (scale * f1, (2.0 * bk / t) * (scale * df1 + ez))
            };
            let bracket = scaled_f1 - 1.0 - ez;
            b += r * bracket;
            magnitude += r * (scaled_f1 + 1.0 + ez);
            db += r * ((bk - PI) / t * bracket + derivative);
            k += 1;
        }
        // ∂_φ log p = ψ/t + (1/φ − cot φ) + B'/B, and ∂_ψ = −∂_φ (cot φ = −cos ψ / sin ψ).
        let imc = if phi < 0.1 {
            inverse_minus_cot(phi)
        } else {
            1.0 / phi + cos_psi / sin_psi
        };
        let dpsi = -(psi / t + imc + db / b);
        S3Parts {
            exponent,
            factor: over_sin(phi, sin_psi) * b,
            dlog_prob_dpsi: dpsi,
            dlog_prob_over_sin: if phi > 0.0 { dpsi / sin_psi } else { 0.0 },
            terms: 2 * k,
            relative_error: bracket_error(b, magnitude),
        }
    }
}

/// `log` of the constant `e^{t/2}(2πt)^{−3/2}`.
#[inline]
pub(crate) fn s3_log_constant(t: f64) -> f64 {
    0.5 * t - 1.5 * (TAU * t).ln()
}

/// The `S³` path sum at `psi ∈ [0, π]`, time `t > 0`.
pub(crate) fn s3_paths(psi: f64, t: f64) -> S3Value {
    let (sin_psi, cos_psi) = psi.sin_cos();
    // π − ψ with the low part of π restored, so that φ and sin ψ = sin φ agree to ~1 ulp.
    let v = s3_parts(psi, sin_psi, cos_psi, (PI - psi) + PI_LOW, t);
    S3Value {
        log_prob: s3_log_constant(t) + v.exponent + v.factor.ln(),
        dlog_prob_dpsi: v.dlog_prob_dpsi,
        terms: v.terms,
        relative_error: v.relative_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Eigen series `(1/2π²) Σ n e^{−(n²−1)t/2} sin nψ / sin ψ` in f64, with its rounding
    /// error bound on `log p`: `ε Σ|terms| · 200 / |Σ terms|` (the series cancels where p is small).
    fn eigen(psi: f64, t: f64) -> (f64, f64, f64) {
        let (mut s, mut ds, mut abs) = (0.0, 0.0, 0.0);
        for n in 1..200 {
            let nf = n as f64;
            let w = nf * (-(nf * nf - 1.0) * t / 2.0).exp();
            s += w * (nf * psi).sin();
            ds += w * nf * (nf * psi).cos();
            abs += w * nf;
        }
        let p = s / psi.sin() / (2.0 * PI * PI);
        (
            p.ln(),
            ds / s - 1.0 / psi.tan(),
            200.0 * f64::EPSILON * abs / s.abs(),
        )
    }

    #[test]
    fn path_sum_matches_eigen_series() {
        for &t in &[0.3, 1.0, 2.0] {
            for i in 1..40 {
                let psi = PI * i as f64 / 40.0;
                let v = s3_paths(psi, t);
                let (lp, dlp, bound) = eigen(psi, t);
                // The path sum is accurate to ~1e-15; the tolerance is the f64 reference's own bound.
                let tol = 1e-14 + bound;
                assert!(
                    (v.log_prob - lp).abs() < tol,
                    "t={t} ψ={psi}: {} vs {lp}",
                    v.log_prob
                );
                assert!(
                    (v.dlog_prob_dpsi - dlp).abs() < tol * 100.0 * (1.0 + dlp.abs()),
                    "t={t} ψ={psi}: {} vs {dlp}",
                    v.dlog_prob_dpsi
                );
            }
        }
    }

    #[test]
    fn series_helpers_are_continuous() {
        for &y in &[0.999999f64, 1.000001] {
            let direct = {
                let e = (-y).exp();
                (y * (1.0 + e) - 2.0 * (1.0 - e)) / (y * y * y)
            };
            assert!((chi_tilde(y) - direct).abs() < 1e-13);
        }
        assert!((chi_tilde(0.0) - 1.0 / 6.0).abs() < 1e-16);
        for &z in &[0.4999999f64, 0.5000001] {
            let direct = ((-z).exp() - phi1(z)) / z;
            assert!((phi1_derivative(z, (-z).exp(), phi1(z)) - direct).abs() < 1e-14);
        }
        assert_eq!(phi1_derivative(0.0, 1.0, 1.0), -0.5);
        // mpmath values of (1/ψ − cot ψ)/ψ on both sides of the series/direct switch.
        assert!((inverse_minus_cot_over(0.0999999) - 0.333_555_766_962_329_35).abs() < 1e-15);
        assert!((inverse_minus_cot_over(0.1000001) - 0.333_555_767_852_913_9).abs() < 1e-13);
    }

    #[test]
    fn regular_at_both_poles() {
        for &t in &[1e-8, 1e-3, 0.5, 2.0] {
            for &psi in &[0.0, 1e-300, 1e-9, PI - 1e-9, PI] {
                let v = s3_paths(psi, t);
                assert!(
                    v.log_prob.is_finite() && v.dlog_prob_dpsi.is_finite(),
                    "{t} {psi} {v:?}"
                );
            }
        }
    }
}
