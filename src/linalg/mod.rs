//! The faer layer: dense kernels on **row-major** `f64` slices.
//!
//! # Memory layout
//! Every matrix in this crate is a contiguous row-major buffer: an `n × m` matrix `A` is a
//! slice `a` of length `n·m` with `A[i][j] = a[i·m + j]`. One point (or one sample) per row.
//! faer's owned `Mat` pads its columns, so we never store data in `Mat`; instead we wrap our own
//! slices in zero-copy views (`MatRef::from_row_major_slice`, `MatMut::from_row_major_slice_mut`)
//! at the boundary and call faer's kernels on the views. Hot loops stay on plain slices.
//!
//! # Parallelism
//! Kernels that may run in parallel take an explicit [`faer::Par`]: `Par::rayon(0)` uses the
//! global rayon pool with all its threads; use `Par::Seq` when already inside a rayon task.
//!
//! # Contents
//! - [`matmul_into`]: `C (+)= op(A)·op(B)` through faer's GEMM.
//! - [`transpose_into`]: blocked out-of-place transpose.
//! - Batched row-wise helpers: [`row_dots_into`], [`row_norms_into`], [`scale_rows`], [`axpy`].
//! - Fixed 3×3 helpers on `[f64; 9]` (row-major): [`mat3_mul`], [`mat3_transpose`],
//!   [`mat3_det`], [`mat3_vec`], [`mat3_identity`].
//! - Matrix functions (submodules `expm`, `unitary`, re-exported here): the matrix exponential
//!   [`expm_complex_into`] / [`expm_real_into`] (Padé-13 scaling and squaring, Higham 2005),
//!   Rodrigues' formula [`rodrigues`]; eigen-angles and logarithms of unitary and special
//!   orthogonal matrices ([`unitary_eigen`], [`logm_unitary_into`],
//!   [`logm_special_orthogonal_into`], [`special_orthogonal_rotation_angles`]); determinants
//!   and the Pfaffian. Complex matrices are `faer::c64` (= `num_complex::Complex<f64>`) slices;
//!   [`complex_from_interleaved`] / [`interleaved_from_complex`] convert the `(re, im)` layout.

use faer::{Accum, MatMut, MatRef, Par};

mod expm;
mod unitary;

pub use expm::{
    expm_2x2, expm_anti_hermitian_into, expm_complex, expm_complex_into, expm_real_into,
    expm_skew3, expm_skew_into, rodrigues, rodrigues_coefficients, uses_spectral_form, PADE13,
    SQUARING_MAX_NORM, THETA_13,
};
pub use unitary::{
    complex_from_interleaved, determinant_complex, determinant_real, interleaved_from_complex,
    logm_special_orthogonal_into, logm_unitary_into, pfaffian, special_orthogonal_rotation_angles,
    traceless_angles, unitary_eigen, UnitaryEigen, CUT_LOCUS_TOLERANCE,
};

/// Whether an operand enters a product as stored or transposed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transpose {
    /// Use the matrix as stored.
    No,
    /// Use its transpose.
    Yes,
}

/// `C = op(A)·op(B)` (or `C += op(A)·op(B)` when `accumulate`), all row-major.
///
/// Shapes: `op(A)` is `n × k`, `op(B)` is `k × m`, `C` is `n × m`. With
/// `Transpose::No`, `a` stores `A` as `n × k`; with `Transpose::Yes`, `a` stores the
/// `k × n` matrix whose transpose is used (likewise `b`: `k × m` or `m × k`).
/// The product runs in faer's blocked GEMM on zero-copy views of the slices, with the
/// given parallelism. Cost `2·n·k·m` flops. With `k = 0`, `C` is zeroed (or unchanged
/// when accumulating).
///
/// # Panics
/// If a slice length does not match its shape.
///
/// # Example
/// ```
/// use riemannian_diffusion::linalg::{matmul_into, Transpose};
/// let a = [1.0, 2.0, 3.0, 4.0]; // [[1, 2], [3, 4]]
/// let b = [1.0, 0.0, 1.0, 1.0]; // [[1, 0], [1, 1]]
/// let mut c = [0.0; 4];
/// matmul_into(&mut c, &a, Transpose::No, &b, Transpose::No, 2, 2, 2, false, faer::Par::Seq);
/// assert_eq!(c, [3.0, 2.0, 7.0, 4.0]);
/// ```
pub fn matmul_into(
    out: &mut [f64],
    a: &[f64],
    transpose_a: Transpose,
    b: &[f64],
    transpose_b: Transpose,
    n: usize,
    k: usize,
    m: usize,
    accumulate: bool,
    par: Par,
) {
    assert_eq!(out.len(), n * m, "matmul_into: output length");
    assert_eq!(a.len(), n * k, "matmul_into: lhs length");
    assert_eq!(b.len(), k * m, "matmul_into: rhs length");
    let lhs = match transpose_a {
        Transpose::No => MatRef::from_row_major_slice(a, n, k),
        Transpose::Yes => MatRef::from_row_major_slice(a, k, n).transpose(),
    };
    let rhs = match transpose_b {
        Transpose::No => MatRef::from_row_major_slice(b, k, m),
        Transpose::Yes => MatRef::from_row_major_slice(b, m, k).transpose(),
    };
    let dst = MatMut::from_row_major_slice_mut(out, n, m);
    let beta = if accumulate {
        Accum::Add
    } else {
        Accum::Replace
    };
    faer::linalg::matmul::matmul(dst, beta, lhs, rhs, 1.0, par);
}

/// `dst = srcᵀ`: `src` is row-major `rows × cols`, `dst` row-major `cols × rows`.
///
/// Cache-blocked (32×32 tiles), so both reads and writes stay within a few cache lines.
///
/// # Panics
/// If `src.len()` or `dst.len()` differs from `rows · cols`.
pub fn transpose_into(dst: &mut [f64], src: &[f64], rows: usize, cols: usize) {
    assert_eq!(src.len(), rows * cols, "transpose_into: source length");
    assert_eq!(dst.len(), rows * cols, "transpose_into: destination length");
    const TILE: usize = 32;
    for ib in (0..rows).step_by(TILE) {
        for jb in (0..cols).step_by(TILE) {
            for i in ib..(ib + TILE).min(rows) {
                for j in jb..(jb + TILE).min(cols) {
                    dst[j * rows + i] = src[i * cols + j];
                }
            }
        }
    }
}

/// Row-wise dot products: `out[i] = Σ_j a[i·cols + j] · b[i·cols + j]` (row-major `n × cols`).
///
/// # Panics
/// If `a.len() != b.len()` or `a.len() != out.len() · cols`.
pub fn row_dots_into(out: &mut [f64], a: &[f64], b: &[f64], cols: usize) {
    assert_eq!(a.len(), b.len(), "row_dots_into: operand lengths");
    assert_eq!(a.len(), out.len() * cols, "row_dots_into: output length");
    if cols == 0 {
        out.fill(0.0);
        return;
    }
    for ((o, ra), rb) in out
        .iter_mut()
        .zip(a.chunks_exact(cols))
        .zip(b.chunks_exact(cols))
    {
        *o = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    }
}

/// Euclidean norm of each row: `out[i] = ‖a_i‖₂` (row-major `n × cols`).
///
/// Computed as `sqrt(Σ a_ij²)`; relative error `O(cols · ε)`; overflows only if a squared
/// entry overflows (|a_ij| > 1e154).
///
/// # Panics
/// If `a.len() != out.len() · cols`.
pub fn row_norms_into(out: &mut [f64], a: &[f64], cols: usize) {
    assert_eq!(a.len(), out.len() * cols, "row_norms_into: output length");
    if cols == 0 {
        out.fill(0.0);
        return;
    }
    for (o, row) in out.iter_mut().zip(a.chunks_exact(cols)) {
        *o = row.iter().map(|x| x * x).sum::<f64>().sqrt();
    }
}

/// Multiplies row `i` of the row-major `n × cols` matrix `a` by `scales[i]`, in place.
///
/// # Panics
/// If `a.len() != scales.len() · cols`.
pub fn scale_rows(a: &mut [f64], scales: &[f64], cols: usize) {
    assert_eq!(a.len(), scales.len() * cols, "scale_rows: length");
    if cols == 0 {
        return;
    }
    for (row, s) in a.chunks_exact_mut(cols).zip(scales) {
        row.iter_mut().for_each(|x| *x *= s);
    }
}

/// The Euclidean norm `√(Σ v_i²)` without overflow or underflow of the squares: for
/// `max|v_i|` outside `[1e-150, 1e150]` the vector is scaled by it first (a geodesic step at
/// `t ≈ f64::MAX` has entries `≈ 1e154`, whose squares overflow). Accuracy a few ulps; the
/// common case costs one pass more than `dot(v, v).sqrt()` only when scaling is needed.
pub fn robust_norm(v: &[f64]) -> f64 {
    let plain = v.iter().map(|x| x * x).sum::<f64>().sqrt();
    if plain.is_finite() && plain > 1e-150 {
        return plain;
    }
    let scale = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if scale == 0.0 || !scale.is_finite() {
        return scale;
    }
    scale * v.iter().map(|x| (x / scale).powi(2)).sum::<f64>().sqrt()
}

/// `y ← y + α·x` on equal-length slices.
///
/// # Panics
/// If `x.len() != y.len()`.
pub fn axpy(y: &mut [f64], alpha: f64, x: &[f64]) {
    assert_eq!(x.len(), y.len(), "axpy: length");
    y.iter_mut().zip(x).for_each(|(y, x)| *y += alpha * x);
}

/// The 3×3 identity, row-major.
pub const fn mat3_identity() -> [f64; 9] {
    [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
}

/// Product `A·B` of two row-major 3×3 matrices (27 multiply-adds).
pub fn mat3_mul(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut c = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            c[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
        }
    }
    c
}

/// Transpose `Aᵀ` of a row-major 3×3 matrix.
pub fn mat3_transpose(a: &[f64; 9]) -> [f64; 9] {
    [a[0], a[3], a[6], a[1], a[4], a[7], a[2], a[5], a[8]]
}

/// Determinant of a row-major 3×3 matrix by cofactor expansion along the first row:
/// `det A = a₀₀(a₁₁a₂₂ − a₁₂a₂₁) − a₀₁(a₁₀a₂₂ − a₁₂a₂₀) + a₀₂(a₁₀a₂₁ − a₁₁a₂₀)`.
pub fn mat3_det(a: &[f64; 9]) -> f64 {
    a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
        + a[2] * (a[3] * a[7] - a[4] * a[6])
}

/// Matrix-vector product `A·v` for a row-major 3×3 matrix.
pub fn mat3_vec(a: &[f64; 9], v: &[f64; 3]) -> [f64; 3] {
    [
        a[0] * v[0] + a[1] * v[1] + a[2] * v[2],
        a[3] * v[0] + a[4] * v[1] + a[5] * v[2],
        a[6] * v[0] + a[7] * v[1] + a[8] * v[2],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Naive triple loop reference, exact for small integer inputs.
    fn naive(a: &[f64], b: &[f64], n: usize, k: usize, m: usize) -> Vec<f64> {
        let mut c = vec![0.0; n * m];
        for i in 0..n {
            for j in 0..m {
                for l in 0..k {
                    c[i * m + j] += a[i * k + l] * b[l * m + j];
                }
            }
        }
        c
    }

    fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
        let mut t = vec![0.0; a.len()];
        for i in 0..rows {
            for j in 0..cols {
                t[j * rows + i] = a[i * cols + j];
            }
        }
        t
    }

    #[test]
    fn matmul_matches_naive_for_all_transpositions() {
        // Small integers: every product and sum is exact in f64, so equality is exact.
        let (n, k, m) = (5, 7, 3);
        let a: Vec<f64> = (0..n * k).map(|i| ((i * 7) % 11) as f64 - 5.0).collect();
        let b: Vec<f64> = (0..k * m).map(|i| ((i * 5) % 13) as f64 - 6.0).collect();
        let expected = naive(&a, &b, n, k, m);
        let at = transpose(&a, n, k);
        let bt = transpose(&b, k, m);
        for (ta, sa) in [(Transpose::No, &a), (Transpose::Yes, &at)] {
            for (tb, sb) in [(Transpose::No, &b), (Transpose::Yes, &bt)] {
                for par in [Par::Seq, Par::rayon(0)] {
                    let mut c = vec![f64::NAN; n * m];
                    matmul_into(&mut c, sa, ta, sb, tb, n, k, m, false, par);
                    assert_eq!(c, expected);
                    matmul_into(&mut c, sa, ta, sb, tb, n, k, m, true, par);
                    let doubled: Vec<f64> = expected.iter().map(|x| 2.0 * x).collect();
                    assert_eq!(c, doubled);
                }
            }
        }
    }

    #[test]
    fn matmul_with_empty_inner_dimension_zeroes_output() {
        let mut c = vec![1.0; 6];
        matmul_into(
            &mut c,
            &[],
            Transpose::No,
            &[],
            Transpose::No,
            2,
            0,
            3,
            false,
            Par::Seq,
        );
        assert_eq!(c, vec![0.0; 6]);
    }

    #[test]
    fn transpose_into_matches_naive_across_tile_edges() {
        let (rows, cols) = (37, 70);
        let a: Vec<f64> = (0..rows * cols).map(|i| i as f64).collect();
        let mut t = vec![0.0; rows * cols];
        transpose_into(&mut t, &a, rows, cols);
        assert_eq!(t, transpose(&a, rows, cols));
    }

    #[test]
    fn row_helpers() {
        let a = [3.0, 4.0, 1.0, 0.0];
        let b = [1.0, 2.0, 5.0, 7.0];
        let mut out = [0.0; 2];
        row_dots_into(&mut out, &a, &b, 2);
        assert_eq!(out, [11.0, 5.0]);
        row_norms_into(&mut out, &a, 2);
        assert_eq!(out, [5.0, 1.0]);
        let mut c = a;
        scale_rows(&mut c, &[2.0, -1.0], 2);
        assert_eq!(c, [6.0, 8.0, -1.0, 0.0]);
        axpy(&mut c, 0.5, &b);
        assert_eq!(c, [6.5, 9.0, 1.5, 3.5]);
    }

    #[test]
    fn mat3_helpers() {
        let a = [2.0, 1.0, 0.0, 0.0, 3.0, 1.0, 1.0, 0.0, 4.0];
        let b = [1.0, 2.0, 3.0, 0.0, 1.0, 4.0, 5.0, 6.0, 0.0];
        assert_eq!(mat3_mul(&a, &b).to_vec(), naive(&a, &b, 3, 3, 3));
        assert_eq!(mat3_mul(&a, &mat3_identity()), a);
        assert_eq!(mat3_transpose(&a).to_vec(), transpose(&a, 3, 3));
        let mut t = [0.0; 9];
        transpose_into(&mut t, &a, 3, 3);
        assert_eq!(t, mat3_transpose(&a));
        // det a = 2(12 − 0) − 1(0 − 1) + 0 = 25; det b = 1 (known textbook matrix).
        assert_eq!(mat3_det(&a), 25.0);
        assert_eq!(mat3_det(&b), 1.0);
        // det(AB) = det A det B, det Aᵀ = det A.
        assert_eq!(mat3_det(&mat3_mul(&a, &b)), 25.0);
        assert_eq!(mat3_det(&mat3_transpose(&a)), 25.0);
        assert_eq!(mat3_vec(&a, &[1.0, 2.0, 3.0]), [4.0, 9.0, 13.0]);
    }
}
