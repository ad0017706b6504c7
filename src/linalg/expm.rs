//! The matrix exponential: Padé-13 scaling and squaring, and closed forms for small skew matrices.
//!
//! # Algorithm (general `n × n`, real or complex)
//! Higham, *The scaling and squaring method for the matrix exponential revisited*,
//! SIAM J. Matrix Anal. Appl. 26(4), 2005, Algorithm 2.3 (also Higham, *Functions of
//! Matrices*, SIAM 2008, Alg. 10.20), degree-13 branch only:
//!
//! 1. `s = max(0, ⌈log₂(‖A‖₁ / θ₁₃)⌉)` with `θ₁₃ = 5.371920351148152` (Higham 2005, Table 2.3:
//!    the largest `‖2^{-s}A‖₁` for which the `[13/13]` Padé approximant has backward error
//!    `≤ u = 2⁻⁵³` in exact arithmetic).
//! 2. With `B = 2^{-s}A`, `B₂ = B²`, `B₄ = B₂²`, `B₆ = B₂B₄`:
//!    `U = B[B₆(b₁₃B₆ + b₁₁B₄ + b₉B₂) + b₇B₆ + b₅B₄ + b₃B₂ + b₁I]`,
//!    `V = B₆(b₁₂B₆ + b₁₀B₄ + b₈B₂) + b₆B₆ + b₄B₄ + b₂B₂ + b₀I`,
//!    `r₁₃(B) = (V − U)⁻¹(V + U)` (LU with partial pivoting, faer).
//! 3. `e^A = r₁₃(B)^{2^s}` by repeated squaring.
//!
//! The coefficients `b_k` are the `[13/13]` Padé numerator coefficients of `e^x`,
//! `c_k = (26−k)!·13! / (26!·k!·(13−k)!)`, divided by `c₁₃` (so `b₁₃ = 1`, `b₁₂ = 14!/12! = 182`,
//! `b₀ = 26!/13!`), exactly as listed in Higham 2005, Alg. 2.3; see [`PADE13`] (the unit test
//! `pade_coefficients_match_factorial_formula` recomputes them). Only the degree-13 branch is used
//! (the lower degrees 3–9 of Algorithm 2.3 only save flops for small norms).
//!
//! Cost: 6 matrix products + one LU solve + `s` squarings, i.e. `(6 + s + 4/3)·n³` complex
//! multiply-adds. Accuracy: backward error `≤ u` for the Padé step; for normal matrices (all our
//! uses: skew-symmetric / anti-Hermitian) the forward relative error is a small multiple of
//! `(s + n)·u` (measured 3.8e-16 relative against a compensated Taylor series for random 4×4
//! complex matrices with `‖A‖₁ < θ₁₃`; ≤ 1e-13 asserted).
//!
//! Real matrices are computed through the complex kernel: with zero imaginary parts every
//! complex operation is exact-zero in the imaginary part, so the result is the real algorithm's.

use faer::linalg::solvers::Solve;
use faer::{c64, Mat};

/// The `θ₁₃` bound of Higham (2005), Table 2.3: `[13/13]` Padé is accurate to unit roundoff for
/// `‖A‖₁ ≤ θ₁₃`.
pub const THETA_13: f64 = 5.371_920_351_148_152;

/// Coefficients `b₀ … b₁₃` of the `[13/13]` Padé approximant to `e^x` (Higham 2005, Alg. 2.3).
pub const PADE13: [f64; 14] = [
    64_764_752_532_480_000.0,
    32_382_376_266_240_000.0,
    7_771_770_303_897_600.0,
    1_187_353_796_428_800.0,
    129_060_195_264_000.0,
    10_559_470_521_600.0,
    670_442_572_800.0,
    33_522_128_640.0,
    1_323_241_920.0,
    40_840_800.0,
    960_960.0,
    16_380.0,
    182.0,
    1.0,
];

#[cfg(test)]
fn to_mat(a: &[c64], n: usize) -> Mat<c64> {
    Mat::from_fn(n, n, |i, j| a[i * n + j])
}

fn lin_comb(terms: &[(f64, &Mat<c64>)], identity: f64, n: usize) -> Mat<c64> {
    Mat::from_fn(n, n, |i, j| {
        let mut s = if i == j {
            c64::new(identity, 0.0)
        } else {
            c64::new(0.0, 0.0)
        };
        for (c, m) in terms {
            s += m[(i, j)] * *c;
        }
        s
    })
}

/// `out = e^A` for a complex `n × n` matrix `A` (row-major), by Padé-13 scaling and squaring.
///
/// See the module docs for the algorithm, constants and accuracy.
///
/// # Panics
/// If `a.len() != n²` or `out.len() != n²`, or if `A` has non-finite entries.
pub fn expm_complex_into(out: &mut [c64], a: &[c64], n: usize) {
    assert_eq!(a.len(), n * n, "expm: matrix length");
    assert_eq!(out.len(), n * n, "expm: output length");
    if n == 0 {
        return;
    }
    // 1-norm: max column sum of |a_ij|.
    let norm1 = (0..n)
        .map(|j| (0..n).map(|i| a[i * n + j].norm()).sum::<f64>())
        .fold(0.0, f64::max);
    assert!(norm1.is_finite(), "expm: non-finite matrix");
    let s = if norm1 > THETA_13 {
        (norm1 / THETA_13).log2().ceil().max(0.0) as i32
    } else {
        0
    };
    let scale = 2f64.powi(-s);
    let b = Mat::from_fn(n, n, |i, j| a[i * n + j] * scale);
    let b2 = &b * &b;
    let b4 = &b2 * &b2;
    let b6 = &b2 * &b4;
    let c = &PADE13;
    let inner_u = lin_comb(&[(c[13], &b6), (c[11], &b4), (c[9], &b2)], 0.0, n);
    let tail_u = lin_comb(&[(c[7], &b6), (c[5], &b4), (c[3], &b2)], c[1], n);
    let u_poly = &b6 * &inner_u + &tail_u;
    let u = &b * &u_poly;
    let inner_v = lin_comb(&[(c[12], &b6), (c[10], &b4), (c[8], &b2)], 0.0, n);
    let tail_v = lin_comb(&[(c[6], &b6), (c[4], &b4), (c[2], &b2)], c[0], n);
    let v = &b6 * &inner_v + &tail_v;
    let numerator = &v + &u;
    let denominator = &v - &u;
    let mut r = denominator.partial_piv_lu().solve(&numerator);
    for _ in 0..s {
        r = &r * &r;
    }
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = r[(i, j)];
        }
    }
}

/// `e^A` for a complex matrix (allocating wrapper of [`expm_complex_into`]).
pub fn expm_complex(a: &[c64], n: usize) -> Vec<c64> {
    let mut out = vec![c64::new(0.0, 0.0); n * n];
    expm_complex_into(&mut out, a, n);
    out
}

/// `out = e^A` for a real `n × n` matrix `A` (row-major), by Padé-13 scaling and squaring
/// (through the complex kernel; see the module docs).
///
/// # Panics
/// As [`expm_complex_into`].
pub fn expm_real_into(out: &mut [f64], a: &[f64], n: usize) {
    assert_eq!(out.len(), n * n, "expm: output length");
    let ac: Vec<c64> = a.iter().map(|&x| c64::new(x, 0.0)).collect();
    let r = expm_complex(&ac, n);
    for (o, z) in out.iter_mut().zip(&r) {
        *o = z.re;
    }
}

/// Largest `‖A‖₁` for which [`expm_anti_hermitian_into`] uses Padé scaling and squaring
/// (`≈ 344`): at most 6 squarings, whose rounding grows like `2^s·u ≤ 2⁶·2⁻⁵³ ≈ 7e-15`, so the
/// result stays unitary to `≈ 10⁻¹⁴` (the law `ExpOfLongVectorsOnManifold` fails with 16).
pub const SQUARING_MAX_NORM: f64 = THETA_13 * 64.0;

/// `out = e^A` for an anti-Hermitian `n × n` matrix `A` (`Aᴴ = −A`, row-major): a unitary
/// matrix, for every finite `A`.
///
/// For `‖A‖₁ ≤` [`SQUARING_MAX_NORM`] this is [`expm_complex_into`]. Beyond it, repeated
/// squaring would amplify rounding by `2^s` (at `‖A‖ ≈ 10²¹`, from a geodesic step at huge
/// `t`, the result is no longer unitary and overflows to NaN), so the spectral form is used
/// instead: `H = −iA` is Hermitian, `H = QΛQᴴ` (faer's self-adjoint eigensolver, `A` first
/// scaled by its largest entry), and `e^A = Q e^{iΛ} Qᴴ`, unitary to rounding. Its accuracy
/// is that of the eigenvalues, `≈ u·‖A‖` absolute in each phase: the most any algorithm can
/// get from the f64 entries of `A` (whose own rounding moves the phases by as much). For
/// phases beyond the f64 range (entries near `f64::MAX`) the phase is undetermined and `0` is
/// used. Cost `≈ 9n³` for the eigensolver.
///
/// # Panics
/// If `a.len() != n²`, `out.len() != n²`, or `A` has a NaN or infinite entry.
pub fn expm_anti_hermitian_into(out: &mut [c64], a: &[c64], n: usize) {
    anti_hermitian_exp_into(out, a, n, false);
}

/// Whether [`expm_anti_hermitian_into`] uses the spectral form for `A` (`‖A‖₁` above
/// [`SQUARING_MAX_NORM`]), where the phases carry absolute errors `≈ u‖A‖`.
pub fn uses_spectral_form(a: &[c64], n: usize) -> bool {
    one_norm(a, n) > SQUARING_MAX_NORM
}

/// The one dispatch of [`expm_anti_hermitian_into`] and [`expm_skew_into`] (`real`: `A` is
/// real skew-symmetric, see [`spectral_exp_into`]).
fn anti_hermitian_exp_into(out: &mut [c64], a: &[c64], n: usize, real: bool) {
    assert_eq!(a.len(), n * n, "expm: matrix length");
    assert_eq!(out.len(), n * n, "expm: output length");
    assert!(
        a.iter().all(|z| z.re.is_finite() && z.im.is_finite()),
        "expm: non-finite matrix"
    );
    if uses_spectral_form(a, n) {
        spectral_exp_into(out, a, n, real);
    } else {
        expm_complex_into(out, a, n);
    }
}

/// `‖A‖₁`, the largest column sum of `|a_ij|`.
fn one_norm(a: &[c64], n: usize) -> f64 {
    (0..n)
        .map(|j| (0..n).map(|i| a[i * n + j].norm()).sum::<f64>())
        .fold(0.0, f64::max)
}

/// `e^A = Q e^{iΛ} Qᴴ` for anti-Hermitian `A` with `−iA = QΛQᴴ` (see
/// [`expm_anti_hermitian_into`]). If `real` (`A` real skew-symmetric), the eigenvalues come in
/// pairs `±λ` whose separately rounded phases would not be conjugate at large `‖A‖` (leaving
/// an imaginary part of size one): each pair is made exactly opposite, `λ = (λ₊ − λ₋)/2`, so
/// the result is real to rounding.
fn spectral_exp_into(out: &mut [c64], a: &[c64], n: usize, real: bool) {
    let scale = a
        .iter()
        .map(|z| z.re.abs().max(z.im.abs()))
        .fold(0.0, f64::max);
    // H/scale = −iA/scale (the solver reads the lower triangle).
    let h = Mat::from_fn(n, n, |i, j| {
        let z = a[i * n + j] / scale;
        c64::new(z.im, -z.re)
    });
    let (mut values, q) = match h.self_adjoint_eigen(faer::Side::Lower) {
        Ok(e) => {
            let s = e.S().column_vector();
            (
                (0..n).map(|i| s[i].re).collect::<Vec<f64>>(),
                e.U().to_owned(),
            )
        }
        // faer's tridiagonal QR does not fail on finite Hermitian input.
        Err(_) => (vec![0.0; n], Mat::identity(n, n)),
    };
    if real {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
        for k in 0..n / 2 {
            let (lo, hi) = (order[k], order[n - 1 - k]);
            let lambda = 0.5 * (values[hi] - values[lo]);
            values[hi] = lambda;
            values[lo] = -lambda;
        }
        if n % 2 == 1 {
            values[order[n / 2]] = 0.0;
        }
    }
    let phases: Vec<c64> = values
        .iter()
        .map(|&mu| {
            let angle = mu * scale;
            c64::from_polar(1.0, if angle.is_finite() { angle } else { 0.0 })
        })
        .collect();
    for i in 0..n {
        for j in 0..n {
            out[i * n + j] = (0..n)
                .map(|k| q[(i, k)] * phases[k] * q[(j, k)].conj())
                .sum();
        }
    }
}

/// `out = e^Ω` for a real skew-symmetric `n × n` matrix `Ω` (row-major): a rotation, for every
/// finite `Ω`. As [`expm_anti_hermitian_into`] (Padé up to [`SQUARING_MAX_NORM`], the spectral
/// form beyond, with the `±λ` pairs of a real skew matrix kept exactly opposite); the
/// imaginary parts, zero to rounding, are dropped.
///
/// # Panics
/// As [`expm_anti_hermitian_into`].
pub fn expm_skew_into(out: &mut [f64], omega: &[f64], n: usize) {
    assert_eq!(out.len(), n * n, "expm: output length");
    let ac: Vec<c64> = omega.iter().map(|&x| c64::new(x, 0.0)).collect();
    let mut r = vec![c64::new(0.0, 0.0); n * n];
    anti_hermitian_exp_into(&mut r, &ac, n, true);
    for (o, z) in out.iter_mut().zip(&r) {
        *o = z.re;
    }
}

/// `(sin(r)/r, (1 − cos r)/r²)`, accurate for all `r ≥ 0`: the second uses
/// `(1 − cos r)/r² = ½ (sin(r/2)/(r/2))²`, and `sin(x)/x` uses its Taylor series
/// `1 − x²/6 + x⁴/120` below `1e-4` (truncation `< x⁶/5040 < 1e-27`).
pub fn rodrigues_coefficients(r: f64) -> (f64, f64) {
    let sinc = |x: f64| {
        if x.abs() < 1e-4 {
            let x2 = x * x;
            1.0 - x2 / 6.0 + x2 * x2 / 120.0
        } else {
            x.sin() / x
        }
    };
    let h = sinc(0.5 * r);
    (sinc(r), 0.5 * h * h)
}

/// Rodrigues' formula: `e^{[w]×} = I + (sin θ/θ)[w]× + ((1 − cos θ)/θ²)[w]×²` with `θ = |w|`,
/// where `[w]× = [[0, −w₃, w₂], [w₃, 0, −w₁], [−w₂, w₁, 0]]`. Row-major result.
/// Stable at `θ → 0` (see [`rodrigues_coefficients`]); a rotation by angle `θ` about `w/θ`.
pub fn rodrigues(w: [f64; 3]) -> [f64; 9] {
    let theta = super::robust_norm(&w);
    let (mut a, mut b) = rodrigues_coefficients(theta);
    // Beyond 1e150 the entries of [w]×² overflow: use the unit axis w/θ with the coefficients
    // sin θ and 1 − cos θ instead (the same matrix).
    let w = if theta > 1e150 {
        (a, b) = (theta.sin(), 1.0 - theta.cos());
        w.map(|c| c / theta)
    } else {
        w
    };
    let k = [0.0, -w[2], w[1], w[2], 0.0, -w[0], -w[1], w[0], 0.0];
    let k2 = super::mat3_mul(&k, &k);
    let mut out = [0.0; 9];
    for i in 0..9 {
        out[i] = a * k[i] + b * k2[i];
    }
    out[0] += 1.0;
    out[4] += 1.0;
    out[8] += 1.0;
    out
}

/// `e^Ω` for a real skew-symmetric 3×3 `Ω` (row-major) by [`rodrigues`]; only the
/// skew-symmetric part `(Ω − Ωᵀ)/2` is used.
pub fn expm_skew3(omega: &[f64; 9]) -> [f64; 9] {
    let w = [
        0.5 * (omega[7] - omega[5]),
        0.5 * (omega[2] - omega[6]),
        0.5 * (omega[3] - omega[1]),
    ];
    rodrigues(w)
}

/// `e^A` for a 2×2 complex matrix `A` (row-major) in closed form, intended for anti-Hermitian
/// `A ∈ u(2)` (exact for any 2×2 matrix, but only well-conditioned when `det(A − (trA/2)I)` is
/// real and non-negative up to rounding, as it is on `u(2)`).
///
/// With `μ = tr A / 2` and `B = A − μI` (traceless), Cayley–Hamilton gives `B² = −det(B)·I`,
/// so `e^A = e^μ (cos r·I + (sin r/r)·B)` with `r = √det B` (principal complex root; `r = |b|`
/// for `B = i b·σ`, `b ∈ R³`). `sin r/r` uses its Taylor series for `|r| < 1e-4`. Accuracy a few
/// ulps (measured ≤ 1e-15 against Padé in the unit tests); cost ~40 flops.
pub fn expm_2x2(a: &[c64; 4]) -> [c64; 4] {
    let mu = (a[0] + a[3]) * 0.5;
    let b = [a[0] - mu, a[1], a[2], a[3] - mu];
    // r = √det B, with B scaled by its largest entry first so that det B cannot overflow
    // (entries beyond 1e154, from geodesic steps at huge t).
    let scale = b
        .iter()
        .map(|z| z.re.abs().max(z.im.abs()))
        .fold(0.0, f64::max);
    let r = if scale > 1e100 {
        let c = b.map(|z| z / scale);
        (c[0] * c[3] - c[1] * c[2]).sqrt() * scale
    } else {
        (b[0] * b[3] - b[1] * b[2]).sqrt()
    };
    let (cos, sinc) = if r.norm() < 1e-4 {
        let r2 = r * r;
        (
            c64::new(1.0, 0.0) - r2 * 0.5 + r2 * r2 / 24.0,
            c64::new(1.0, 0.0) - r2 / 6.0 + r2 * r2 / 120.0,
        )
    } else {
        (r.cos(), r.sin() / r)
    };
    let e = mu.exp();
    [
        e * (cos + sinc * b[0]),
        e * sinc * b[1],
        e * sinc * b[2],
        e * (cos + sinc * b[3]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unitarity defect `‖UᴴU − I‖_max`.
    fn unitarity_defect(u: &[c64], n: usize) -> f64 {
        let m = to_mat(u, n);
        let g = m.adjoint() * &m;
        let mut worst = 0.0f64;
        for i in 0..n {
            for j in 0..n {
                let id = if i == j { 1.0 } else { 0.0 };
                worst = worst.max((g[(i, j)] - c64::new(id, 0.0)).norm());
            }
        }
        worst
    }

    /// A fixed anti-Hermitian 3×3 matrix of unit scale.
    fn anti_hermitian_example() -> Vec<c64> {
        let h = [
            [0.3, 0.0, 0.2, -0.7, -0.4, 0.1],
            [0.2, 0.7, -1.1, 0.0, 0.5, 0.6],
            [-0.4, -0.1, 0.5, -0.6, 0.9, 0.0],
        ];
        // H Hermitian from its upper triangle, A = iH.
        let mut a = vec![c64::new(0.0, 0.0); 9];
        for i in 0..3 {
            for j in i..3 {
                let z = c64::new(h[i][2 * j], if i == j { 0.0 } else { h[i][2 * j + 1] });
                a[i * 3 + j] = c64::new(0.0, 1.0) * z;
                a[j * 3 + i] = -(c64::new(0.0, 1.0) * z).conj();
            }
        }
        a
    }

    #[test]
    fn spectral_and_pade_agree_where_both_apply() {
        // Scaled so that ‖A‖₁ is just above SQUARING_MAX_NORM: the spectral path; the Padé one
        // (7 squarings) is accurate to ≈ 2⁷u·‖A‖ ≈ 5e-12 absolute in the phases, the spectral
        // one to ≈ u·‖A‖ ≈ 4e-14: their difference is bounded by the Padé error (×20 slack).
        let base = anti_hermitian_example();
        let norm1 = (0..3)
            .map(|j| (0..3).map(|i| base[i * 3 + j].norm()).sum::<f64>())
            .fold(0.0, f64::max);
        let factor = 1.01 * SQUARING_MAX_NORM / norm1;
        let a: Vec<c64> = base.iter().map(|z| z * factor).collect();
        let mut spectral = vec![c64::new(0.0, 0.0); 9];
        expm_anti_hermitian_into(&mut spectral, &a, 3);
        let pade = expm_complex(&a, 3);
        assert!(
            max_rel(&spectral, &pade) < 1e-4,
            "{}",
            max_rel(&spectral, &pade)
        );
        assert!(unitarity_defect(&spectral, 3) < 1e-14);
    }

    #[test]
    fn huge_anti_hermitian_exponentials_stay_unitary() {
        // ‖A‖ ≈ 10²¹ (a geodesic step at t ≈ 10⁴²) and ≈ 10¹⁵⁰: Padé with 70+ squarings
        // loses unitarity entirely; the spectral form keeps it to rounding.
        for factor in [1e21, 1e150, 1e300] {
            let a: Vec<c64> = anti_hermitian_example()
                .iter()
                .map(|z| z * factor)
                .collect();
            let mut e = vec![c64::new(0.0, 0.0); 9];
            expm_anti_hermitian_into(&mut e, &a, 3);
            assert!(e.iter().all(|z| z.re.is_finite() && z.im.is_finite()));
            assert!(unitarity_defect(&e, 3) < 1e-14, "factor {factor:e}");
        }
        // Real skew 4×4 (two rotation planes) at ‖Ω‖ ≈ 10²¹ and 10¹⁵⁰: orthogonal to rounding.
        let base = [
            0.0, 1.0, -0.3, 0.5, -1.0, 0.0, 2.0, -0.7, 0.3, -2.0, 0.0, 0.4, -0.5, 0.7, -0.4, 0.0,
        ];
        for factor in [1e21, 1e150] {
            let omega: Vec<f64> = base.iter().map(|v| v * factor).collect();
            let mut r = vec![0.0; 16];
            expm_skew_into(&mut r, &omega, 4);
            let rc: Vec<c64> = r.iter().map(|&x| c64::new(x, 0.0)).collect();
            assert!(unitarity_defect(&rc, 4) < 1e-14, "factor {factor:e}");
        }
    }

    fn max_rel(a: &[c64], b: &[c64]) -> f64 {
        let scale = b.iter().map(|z| z.norm()).fold(0.0, f64::max).max(1e-300);
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).norm())
            .fold(0.0, f64::max)
            / scale
    }

    /// Taylor series `Σ A^k/k!` with Kahan-compensated accumulation; for `‖A‖ ≤ 2` and 60 terms
    /// the truncation is `< 2^60/60! < 1e-63`, the summation error a few ulps.
    fn taylor(a: &[c64], n: usize) -> Vec<c64> {
        let am = to_mat(a, n);
        let mut term = Mat::<c64>::identity(n, n);
        let mut sum = vec![c64::new(0.0, 0.0); n * n];
        let mut comp = vec![c64::new(0.0, 0.0); n * n];
        for k in 0..60 {
            if k > 0 {
                term = (&term * &am) * faer::Scale(c64::new(1.0 / k as f64, 0.0));
            }
            for i in 0..n {
                for j in 0..n {
                    let idx = i * n + j;
                    let y = term[(i, j)] - comp[idx];
                    let t = sum[idx] + y;
                    comp[idx] = (t - sum[idx]) - y;
                    sum[idx] = t;
                }
            }
        }
        sum
    }

    #[test]
    fn pade_matches_compensated_taylor() {
        let n = 4;
        let mut state = 0x1234_5678_u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let mut worst = 0.0f64;
        for _ in 0..20 {
            let a: Vec<c64> = (0..n * n).map(|_| c64::new(next(), next()) * 0.8).collect();
            let e = expm_complex(&a, n);
            let t = taylor(&a, n);
            worst = worst.max(max_rel(&e, &t));
        }
        println!("Padé-13 vs compensated Taylor: max relative error {worst:.1e}");
        assert!(worst < 1e-13, "rel err {worst}");
    }

    #[test]
    fn closed_forms_rotation_diagonal_nilpotent() {
        // 2×2 rotation generator with angle 7 (forces scaling and squaring: ‖A‖₁ = 7 > θ₁₃).
        for &t in &[1e-9, 0.3, 3.0, 7.0, 40.0] {
            let a = [0.0, -t, t, 0.0];
            let mut e = [0.0; 4];
            expm_real_into(&mut e, &a, 2);
            let exact = [t.cos(), -t.sin(), t.sin(), t.cos()];
            for k in 0..4 {
                assert!((e[k] - exact[k]).abs() < 1e-13 * t.max(1.0), "t={t}: {e:?}");
            }
        }
        // Diagonal complex.
        let d = [c64::new(-3.0, 1.0), c64::new(0.5, -20.0)];
        let a = [d[0], c64::new(0.0, 0.0), c64::new(0.0, 0.0), d[1]];
        let e = expm_complex(&a, 2);
        for (k, dk) in d.iter().enumerate() {
            let exact = dk.exp();
            assert!((e[3 * k] - exact).norm() < 1e-13 * exact.norm());
        }
        // Nilpotent strictly upper triangular: e^N = I + N + N²/2.
        let a = [0.0, 2.0, 3.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0];
        let mut e = [0.0; 9];
        expm_real_into(&mut e, &a, 3);
        let exact = [1.0, 2.0, 3.0 + 5.0, 0.0, 1.0, 5.0, 0.0, 0.0, 1.0];
        for k in 0..9 {
            assert!((e[k] - exact[k]).abs() < 1e-13 * 8.0);
        }
    }

    #[test]
    fn pade_coefficients_match_factorial_formula() {
        // b_k = c_k / c₁₃ = (26−k)! / (k!·(13−k)!); f64 factorials carry ≤ ~30 roundings.
        let fact = |n: u32| (1..=n).map(f64::from).product::<f64>();
        for k in 0..=13u32 {
            let b = fact(26 - k) / (fact(k) * fact(13 - k));
            let rel = (b - PADE13[k as usize]).abs() / PADE13[k as usize];
            assert!(rel < 1e-14, "k = {k}: {b} vs {}", PADE13[k as usize]);
        }
    }

    #[test]
    fn closed_form_2x2_matches_pade() {
        let cases = [
            [0.3, 1e-7, -0.2, 0.05, 0.4, -1.1],
            [0.0, 2.0, 1.0, -1.5, 3.0, 0.2],
            [1e-9, -3e-9, 2e-9, 0.0, 0.0, 1e-9],
            [0.0, 3.1, 0.0, 0.0, -3.1, 0.0],
        ];
        for c in cases {
            // A = i·diag(c0, c3) + [[0, z], [−z̄, 0]] with z = c1 + i c2, plus i c4 on (0,0)…
            let z = c64::new(c[1], c[2]);
            let a = [
                c64::new(0.0, c[0] + c[4]),
                z,
                -z.conj(),
                c64::new(0.0, c[3] + c[5]),
            ];
            let closed = expm_2x2(&a);
            let pade = expm_complex(&a, 2);
            assert!(
                max_rel(&closed, &pade) < 2e-15,
                "{c:?}: {}",
                max_rel(&closed, &pade)
            );
        }
    }

    #[test]
    fn rodrigues_matches_pade() {
        for w in [
            [1e-9, -2e-9, 3e-10],
            [0.3, -0.2, 0.1],
            [2.0, 1.0, -1.5],
            [0.0, 0.0, 3.1],
        ] {
            let r = rodrigues(w);
            let k = [0.0, -w[2], w[1], w[2], 0.0, -w[0], -w[1], w[0], 0.0];
            let mut e = [0.0; 9];
            expm_real_into(&mut e, &k, 3);
            for i in 0..9 {
                assert!((r[i] - e[i]).abs() < 1e-14, "{w:?}: {r:?} vs {e:?}");
            }
            assert_eq!(expm_skew3(&k), r);
        }
    }
}
