//! Eigen-angles and logarithms of unitary and special orthogonal matrices.
//!
//! # Eigen-decomposition of a unitary matrix
//! A unitary `U` is normal: `U = V diag(e^{iθ}) Vᴴ` with `V` unitary. We never run a general
//! (non-normal) eigensolver; instead we diagonalise Hermitian functions of `U` with faer's
//! self-adjoint eigensolver, which returns orthonormal eigenvectors:
//!
//! 1. `M_φ = (e^{−iφ}U + e^{iφ}Uᴴ)/2` is Hermitian, commutes with `U`, and has eigenvalues
//!    `cos(θ_j − φ)`. Two eigenvalues of `U` collide in `M_φ` iff `θ_j + θ_k ≡ 2φ` or `θ_j = θ_k`.
//!    Eigenvalues of `M_φ` closer than `τ = min(0.05, 1/(2n))` (chained) form clusters; for a
//!    pair in different clusters the invariant subspaces are resolved to `O(u/τ)` and the
//!    residual `‖UV − VΛ‖` stays `O(u/τ) = O(n·u)` (Davis–Kahan; the gap of `M_φ` between
//!    `θ_j, θ_k` is `2|sin((θ_j+θ_k)/2 − φ)|·|sin((θ_j−θ_k)/2)|`, the residual from a mixing
//!    angle `η` is `η·2|sin((θ_j−θ_k)/2)|`).
//! 2. Each cluster is split again with `φ₂ = φ₁ + π/2` on the compressed matrix `WᴴUW`.
//!    A pair that stays together at both levels has `4 sin²((θ_j−θ_k)/2) ≤ 2(kτ)²`, so every
//!    surviving cluster lies on a short arc around `ψ = arg tr(WᴴUW)`.
//! 3. On such an arc `K = (e^{−iψ}T − e^{iψ}Tᴴ)/(2i)` has eigenvalues `sin(θ_j − ψ)`, strictly
//!    increasing in `θ_j` on the arc, so its eigenvectors resolve the cluster with residual
//!    `O(u)`; exactly repeated eigenvalues (identity, `−I`, block repeats) give an arbitrary
//!    orthonormal basis of the eigenspace, which is harmless.
//!
//! Angles are Rayleigh quotients `θ_j = arg(v_jᴴ U v_j)`, wrapped to `(−π, π]`: values within
//! [`CUT_LOCUS_TOLERANCE`] of `−π` are mapped to `+π` (so `−I` gives `θ = π` deterministically).
//! Cost `O(n³)` (two or three Hermitian eigensolves of size ≤ n).
//!
//! # Logarithms
//! - Unitary: `log U = V diag(iθ) Vᴴ` with principal `θ ∈ (−π, π]` (minimal Frobenius norm).
//! - Special unitary: the angles are lifted to `θ_j − 2π m_j`, `m_j ∈ {0, 1}` (or `{0, −1}`), so
//!   that `Σθ_j = 0` — the minimal-norm element of `su(n)` with `exp = U`: if the principal
//!   angles sum to `2πk`, the `k` largest are lowered by `2π` (greedy is optimal because the
//!   cost `Σ θ_j²` is separable and convex). See [`traceless_angles`].
//! - Special orthogonal: the real part of the unitary logarithm for eigenvalues away from `−1`;
//!   on the `−1` eigenspace (the cut locus; angles within `1e-6` of `π`) a real logarithm is
//!   built explicitly (see [`logm_special_orthogonal_into`]) so the result is real skew-symmetric.

use faer::{c64, Mat, Side};
use std::f64::consts::PI;

/// Angles within this distance of `−π` are reported as `+π` (the branch cut of the principal
/// logarithm is placed on the `+π` side deterministically).
pub const CUT_LOCUS_TOLERANCE: f64 = 1e-13;

/// First splitting phase `φ₁` of the eigen-angle algorithm (any value that is not a multiple of
/// `π/4` avoids the collisions `θ_j + θ_k ∈ {0, π}` typical of SO(n) and SU(2)).
const PHI_1: f64 = 0.9;

/// Eigen-decomposition `U = V diag(e^{iθ}) Vᴴ` of a unitary matrix.
#[derive(Clone, Debug)]
pub struct UnitaryEigen {
    /// Eigen-angles in `(−π, π]`, sorted in descending order.
    pub angles: Vec<f64>,
    /// Orthonormal eigenvectors, row-major `n × n`: column `k` belongs to `angles[k]`.
    pub vectors: Vec<c64>,
}

/// Copies interleaved `(re, im)` reals into complex numbers.
///
/// # Panics
/// If `x.len()` is odd.
pub fn complex_from_interleaved(x: &[f64]) -> Vec<c64> {
    assert!(x.len() % 2 == 0, "interleaved complex buffer of odd length");
    x.chunks_exact(2).map(|p| c64::new(p[0], p[1])).collect()
}

/// Writes complex numbers as interleaved `(re, im)` reals.
///
/// # Panics
/// If `out.len() != 2·z.len()`.
pub fn interleaved_from_complex(z: &[c64], out: &mut [f64]) {
    assert_eq!(out.len(), 2 * z.len(), "interleaved output length");
    for (o, v) in out.chunks_exact_mut(2).zip(z) {
        o[0] = v.re;
        o[1] = v.im;
    }
}

/// Determinant of a complex `n × n` matrix (row-major) by LU with partial pivoting.
/// Cost `n³/3`; backward stable.
///
/// # Panics
/// If `a.len() != n²`.
pub fn determinant_complex(a: &[c64], n: usize) -> c64 {
    assert_eq!(a.len(), n * n, "determinant: matrix length");
    let mut m = a.to_vec();
    let mut det = c64::new(1.0, 0.0);
    for k in 0..n {
        let p = (k..n)
            .max_by(|&i, &j| m[i * n + k].norm().total_cmp(&m[j * n + k].norm()))
            .unwrap_or(k);
        if m[p * n + k].norm() == 0.0 {
            return c64::new(0.0, 0.0);
        }
        if p != k {
            for j in 0..n {
                m.swap(k * n + j, p * n + j);
            }
            det = -det;
        }
        let pivot = m[k * n + k];
        det *= pivot;
        for i in k + 1..n {
            let f = m[i * n + k] / pivot;
            for j in k + 1..n {
                let mkj = m[k * n + j];
                m[i * n + j] -= f * mkj;
            }
        }
    }
    det
}

/// Determinant of a real `n × n` matrix (row-major): the cofactor expansion for `n ≤ 3`, LU
/// with partial pivoting otherwise.
///
/// # Panics
/// If `a.len() != n²`.
pub fn determinant_real(a: &[f64], n: usize) -> f64 {
    assert_eq!(a.len(), n * n, "determinant: matrix length");
    // n ≤ 3 in closed form (no allocation: SO(3) membership checks run on every kernel call).
    match n {
        0 => 1.0,
        1 => a[0],
        2 => a[0] * a[3] - a[1] * a[2],
        3 => {
            a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
                + a[2] * (a[3] * a[7] - a[4] * a[6])
        }
        _ => {
            let ac: Vec<c64> = a.iter().map(|&x| c64::new(x, 0.0)).collect();
            determinant_complex(&ac, n).re
        }
    }
}

/// Pfaffian of a real skew-symmetric `n × n` matrix (row-major; only the strict upper triangle
/// is read, the lower is taken as its negative). `Pf(A)² = det A`; `Pf = 0` for odd `n`.
/// Skew-symmetric Gaussian elimination with partial pivoting (Parlett–Reid-type), cost `n³/3`.
///
/// # Panics
/// If `a.len() != n²`.
pub fn pfaffian(a: &[f64], n: usize) -> f64 {
    assert_eq!(a.len(), n * n, "pfaffian: matrix length");
    if n % 2 == 1 {
        return 0.0;
    }
    let mut m = vec![0.0; n * n];
    for i in 0..n {
        for j in i + 1..n {
            m[i * n + j] = a[i * n + j];
            m[j * n + i] = -a[i * n + j];
        }
    }
    let mut pf = 1.0;
    let mut k = 0;
    while k + 1 < n {
        // Pivot: largest |m[k][p]| for p > k, moved to column/row k+1.
        let p = (k + 1..n)
            .max_by(|&i, &j| m[k * n + i].abs().total_cmp(&m[k * n + j].abs()))
            .unwrap_or(k + 1);
        if p != k + 1 {
            for j in 0..n {
                m.swap((k + 1) * n + j, p * n + j);
            }
            for i in 0..n {
                m.swap(i * n + k + 1, i * n + p);
            }
            pf = -pf;
        }
        let pivot = m[k * n + k + 1];
        if pivot == 0.0 {
            return 0.0;
        }
        pf *= pivot;
        // Eliminate row/column k and k+1 couplings from the trailing block:
        // M' = M − (u vᵀ − v uᵀ) with u = m[k+2.., k+1]·(1) and v = m[k, k+2..]/pivot.
        for i in k + 2..n {
            let ti = m[k * n + i] / pivot;
            for j in k + 2..n {
                let tj = m[k * n + j] / pivot;
                let update = ti * m[j * n + k + 1] - m[i * n + k + 1] * tj;
                m[i * n + j] += update;
            }
        }
        k += 2;
    }
    pf
}

fn wrap_angle(theta: f64) -> f64 {
    let t = if theta <= -PI + CUT_LOCUS_TOLERANCE {
        theta + 2.0 * PI
    } else {
        theta
    };
    t.min(PI)
}

fn hermitian_eigen(m: &Mat<c64>) -> (Vec<f64>, Mat<c64>) {
    let k = m.nrows();
    match m.self_adjoint_eigen(Side::Lower) {
        Ok(e) => {
            let s = e.S().column_vector();
            ((0..k).map(|i| s[i].re).collect(), e.U().to_owned())
        }
        // faer's tridiagonal QR does not fail on finite Hermitian input; keep the basis.
        Err(_) => (vec![0.0; k], Mat::identity(k, k)),
    }
}

fn resolve(u: &Mat<c64>, w: Mat<c64>, level: usize, tau: f64, out: &mut Vec<(f64, Vec<c64>)>) {
    let k = w.ncols();
    let t = w.adjoint() * (u * &w);
    if k == 1 {
        out.push((
            wrap_angle(t[(0, 0)].arg()),
            w.col(0).iter().copied().collect(),
        ));
        return;
    }
    if level < 2 {
        let phi = PHI_1 + level as f64 * PI / 2.0;
        let e = c64::from_polar(1.0, -phi);
        let m = Mat::from_fn(k, k, |i, j| (t[(i, j)] * e + (t[(j, i)] * e).conj()) * 0.5);
        let (mu, y) = hermitian_eigen(&m);
        let v = &w * &y;
        let mut start = 0;
        for end in 1..=k {
            if end == k || mu[end] - mu[end - 1] > tau {
                let sub = Mat::from_fn(v.nrows(), end - start, |i, j| v[(i, start + j)]);
                resolve(u, sub, level + 1, tau, out);
                start = end;
            }
        }
    } else {
        // Short arc around ψ: K = (e^{−iψ}T − e^{iψ}Tᴴ)/(2i) has eigenvalues sin(θ − ψ).
        let trace: c64 = (0..k).map(|i| t[(i, i)]).sum();
        let e = c64::from_polar(1.0, -trace.arg());
        let half_over_i = c64::new(0.0, -0.5);
        let m = Mat::from_fn(k, k, |i, j| {
            (t[(i, j)] * e - (t[(j, i)] * e).conj()) * half_over_i
        });
        let (_, y) = hermitian_eigen(&m);
        let v = &w * &y;
        let uv = u * &v;
        for j in 0..k {
            let rq: c64 = (0..v.nrows()).map(|i| v[(i, j)].conj() * uv[(i, j)]).sum();
            out.push((wrap_angle(rq.arg()), v.col(j).iter().copied().collect()));
        }
    }
}

/// Eigen-decomposition of a unitary `n × n` matrix (row-major complex), angles descending.
///
/// Algorithm and accuracy: see the module docs (residual `‖UV − V e^{iΘ}‖ = O(n·u)`, `V`
/// orthonormal to `O(u)`, stable for repeated eigenvalues). The input is assumed unitary to
/// working accuracy; for a merely normal matrix the moduli are ignored.
///
/// # Panics
/// If `u.len() != n²`.
pub fn unitary_eigen(u: &[c64], n: usize) -> UnitaryEigen {
    assert_eq!(u.len(), n * n, "unitary_eigen: matrix length");
    let um = Mat::from_fn(n, n, |i, j| u[i * n + j]);
    let tau = (0.5 / n.max(1) as f64).min(0.05);
    let mut pairs = Vec::with_capacity(n);
    if n > 0 {
        resolve(&um, Mat::identity(n, n), 0, tau, &mut pairs);
    }
    pairs.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut vectors = vec![c64::new(0.0, 0.0); n * n];
    for (col, (_, v)) in pairs.iter().enumerate() {
        for i in 0..n {
            vectors[i * n + col] = v[i];
        }
    }
    UnitaryEigen {
        angles: pairs.iter().map(|p| p.0).collect(),
        vectors,
    }
}

/// Lifts principal eigen-angles (summing to `2πk`) to the minimal-norm angles with sum `0`:
/// the `k` largest are lowered by `2π` (or the `|k|` smallest raised if `k < 0`); the input
/// order (descending) is kept where possible and the result is re-sorted descending.
/// These are the maximal-torus (Lie algebra) coordinates of an element of SU(n).
pub fn traceless_angles(angles: &mut [f64]) {
    let sum: f64 = angles.iter().sum();
    let k = (sum / (2.0 * PI)).round() as i64;
    let mut order: Vec<usize> = (0..angles.len()).collect();
    order.sort_by(|&a, &b| angles[b].total_cmp(&angles[a]));
    if k > 0 {
        for &i in order.iter().take(k as usize) {
            angles[i] -= 2.0 * PI;
        }
    } else if k < 0 {
        for &i in order.iter().rev().take((-k) as usize) {
            angles[i] += 2.0 * PI;
        }
    }
    angles.sort_by(|a, b| b.total_cmp(a));
}

/// `out = V diag(iθ) Vᴴ` from an eigen-decomposition.
fn assemble_log(out: &mut [c64], vectors: &[c64], angles: &[f64], n: usize) {
    for i in 0..n {
        for j in 0..n {
            let mut s = c64::new(0.0, 0.0);
            for (k, &theta) in angles.iter().enumerate() {
                s += vectors[i * n + k] * vectors[j * n + k].conj() * theta;
            }
            out[i * n + j] = c64::new(-s.im, s.re);
        }
    }
}

/// Logarithm of a unitary matrix: `out = V diag(iθ) Vᴴ`, anti-Hermitian; returns the angles used.
///
/// With `traceless = false` the angles are principal (`(−π, π]`, minimal Frobenius norm, the
/// logarithm in `u(n)`); with `traceless = true` they are lifted by [`traceless_angles`] so the
/// result lies in `su(n)` (requires `det U = 1`). At the cut locus (an eigenvalue `−1`) the
/// angle `+π` is used (then lowered to `−π` by the traceless lift when needed, largest first).
///
/// # Panics
/// If `u.len() != n²` or `out.len() != n²`.
pub fn logm_unitary_into(out: &mut [c64], u: &[c64], n: usize, traceless: bool) -> Vec<f64> {
    assert_eq!(out.len(), n * n, "logm: output length");
    let eig = unitary_eigen(u, n);
    let mut angles = eig.angles.clone();
    if traceless {
        // Lift in place while keeping the pairing with eigenvectors.
        let sum: f64 = angles.iter().sum();
        let k = (sum / (2.0 * PI)).round() as i64;
        // `angles` are sorted descending already.
        if k > 0 {
            for a in angles.iter_mut().take(k as usize) {
                *a -= 2.0 * PI;
            }
        } else if k < 0 {
            for a in angles.iter_mut().rev().take((-k) as usize) {
                *a += 2.0 * PI;
            }
        }
    }
    assemble_log(out, &eig.vectors, &angles, n);
    angles
}

fn real_symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Mat<f64>) {
    let m = Mat::from_fn(n, n, |i, j| 0.5 * (a[i * n + j] + a[j * n + i]));
    match m.self_adjoint_eigen(Side::Lower) {
        Ok(e) => {
            let s = e.S().column_vector();
            ((0..n).map(|i| s[i]).collect(), e.U().to_owned())
        }
        Err(_) => (vec![0.0; n], Mat::identity(n, n)),
    }
}

/// Angles within this distance of `π` are treated as the cut locus by
/// [`logm_special_orthogonal_into`].
const REAL_CUT_BAND: f64 = 1e-6;

/// Real logarithm of a special orthogonal `n × n` matrix `Q` (row-major): a real
/// skew-symmetric `Ω` with `e^Ω = Q` and minimal Frobenius norm (rotation angles in `[0, π]`).
///
/// Away from eigenvalue `−1`, `Ω = Re(V diag(iθ) Vᴴ)` (exactly real in exact arithmetic,
/// since the angles come in conjugate pairs). On the `(−1)`-eigen­space `E` (angles within
/// `1e-6` of `π`): with a real orthonormal basis `B` of `E` and `R = BᵀQB = −e^{A}`,
/// `A = log(−R)` small, the restriction is `log R = A + πJ`, where `J` is the complex structure
/// `J = −A(AᵀA)^{−1/2}` on the range of `A` (so each plane rotates by `a − π·sign(a)`,
/// `|·| ≤ π`) and, on `ker A` (exact `−1` eigenvalues, the cut locus proper), the deterministic
/// pairing `J e_{2j} = e_{2j+1}` of the orthonormal kernel basis returned by faer's symmetric
/// eigensolver. Every choice there has the same norm (all minimal geodesics have length `π√k`).
///
/// # Panics
/// If the lengths are not `n²`.
pub fn logm_special_orthogonal_into(out: &mut [f64], q: &[f64], n: usize) {
    assert_eq!(q.len(), n * n, "logm: matrix length");
    assert_eq!(out.len(), n * n, "logm: output length");
    let qc: Vec<c64> = q.iter().map(|&x| c64::new(x, 0.0)).collect();
    let eig = unitary_eigen(&qc, n);
    let regular: Vec<usize> = (0..n)
        .filter(|&k| eig.angles[k].abs() <= PI - REAL_CUT_BAND)
        .collect();
    let near: Vec<usize> = (0..n)
        .filter(|&k| eig.angles[k].abs() > PI - REAL_CUT_BAND)
        .collect();
    for i in 0..n {
        for j in 0..n {
            let mut s = c64::new(0.0, 0.0);
            for &k in &regular {
                s += eig.vectors[i * n + k] * eig.vectors[j * n + k].conj() * eig.angles[k];
            }
            // Re(i·s) = −Im s.
            out[i * n + j] = -s.im;
        }
    }
    if !near.is_empty() {
        // Real projector onto E and a real orthonormal basis of it.
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                let s: c64 = near
                    .iter()
                    .map(|&k| eig.vectors[i * n + k] * eig.vectors[j * n + k].conj())
                    .sum();
                p[i * n + j] = s.re;
            }
        }
        let (pe, pv) = real_symmetric_eigen(&p, n);
        let cols: Vec<usize> = (0..n).filter(|&k| pe[k] > 0.5).collect();
        let d = cols.len();
        let b = |i: usize, c: usize| pv[(i, cols[c])];
        // R = Bᵀ Q B and −R as complex.
        let mut minus_r = vec![c64::new(0.0, 0.0); d * d];
        for a in 0..d {
            for c in 0..d {
                let mut s = 0.0;
                for i in 0..n {
                    for j in 0..n {
                        s += b(i, a) * q[i * n + j] * b(j, c);
                    }
                }
                minus_r[a * d + c] = c64::new(-s, 0.0);
            }
        }
        let mut log_mr = vec![c64::new(0.0, 0.0); d * d];
        logm_unitary_into(&mut log_mr, &minus_r, d, false);
        let mut a_mat = vec![0.0; d * d];
        for r in 0..d {
            for c in 0..d {
                a_mat[r * d + c] = 0.5 * (log_mr[r * d + c].re - log_mr[c * d + r].re);
            }
        }
        // S = AᵀA, eigenpairs σ², w.
        let mut s_mat = vec![0.0; d * d];
        for r in 0..d {
            for c in 0..d {
                s_mat[r * d + c] = (0..d).map(|k| a_mat[k * d + r] * a_mat[k * d + c]).sum();
            }
        }
        let (sig2, w) = real_symmetric_eigen(&s_mat, d);
        let threshold = 1e-13;
        let mut j_mat = vec![0.0; d * d];
        let mut kernel = Vec::new();
        for (k, &s2) in sig2.iter().enumerate() {
            let sigma = s2.max(0.0).sqrt();
            if sigma > threshold {
                // J −= A w wᵀ / σ.
                for r in 0..d {
                    let aw: f64 = (0..d).map(|c| a_mat[r * d + c] * w[(c, k)]).sum();
                    for c in 0..d {
                        j_mat[r * d + c] -= aw * w[(c, k)] / sigma;
                    }
                }
            } else {
                kernel.push(k);
            }
        }
        for pair in kernel.chunks_exact(2) {
            for r in 0..d {
                for c in 0..d {
                    j_mat[r * d + c] +=
                        w[(r, pair[1])] * w[(c, pair[0])] - w[(r, pair[0])] * w[(c, pair[1])];
                }
            }
        }
        // out += B (A + πJ) Bᵀ.
        for i in 0..n {
            for j in 0..n {
                let mut s = 0.0;
                for r in 0..d {
                    for c in 0..d {
                        s += b(i, r) * (a_mat[r * d + c] + PI * j_mat[r * d + c]) * b(j, c);
                    }
                }
                out[i * n + j] += s;
            }
        }
    }
    // Exact skew-symmetry.
    for i in 0..n {
        for j in i..n {
            let s = 0.5 * (out[i * n + j] - out[j * n + i]);
            out[i * n + j] = s;
            out[j * n + i] = -s;
        }
    }
}

/// Rotation angles of `Q ∈ SO(n)`, `m = ⌊n/2⌋` of them: the canonical form
/// `Q = P diag(R(θ₁), …, R(θ_m), [1]) Pᵀ` with `P ∈ SO(n)` and
/// `R(θ) = [[cos θ, −sin θ], [sin θ, cos θ]]`.
///
/// Ordering (a Weyl-chamber representative): `θ₁ ≥ θ₂ ≥ … ≥ θ_m ≥ 0` for odd `n` (type B_m:
/// the Weyl group has all sign changes); for even `n` (type D_m, only even numbers of sign
/// changes) `θ₁ ≥ … ≥ θ_{m−1} ≥ |θ_m|` and `θ_m` carries the sign of the orientation:
/// `sign(θ_m) = sign((−1)^m Pf((Q − Qᵀ)/2))`, because `Pf` of the skew part is invariant under
/// `P ∈ SO(n)` and equals `∏(−sin θ_j)` on the canonical form. For SO(2) this is
/// `θ = atan2(Q₁₀, Q₀₀)`. Angles are in `[0, π]` (`θ_m ∈ [−π, π]`).
///
/// # Panics
/// If `q.len() != n²`.
pub fn special_orthogonal_rotation_angles(q: &[f64], n: usize) -> Vec<f64> {
    assert_eq!(q.len(), n * n, "rotation angles: matrix length");
    let qc: Vec<c64> = q.iter().map(|&x| c64::new(x, 0.0)).collect();
    let mut abs: Vec<f64> = unitary_eigen(&qc, n)
        .angles
        .iter()
        .map(|t| t.abs())
        .collect();
    abs.sort_by(|a, b| b.total_cmp(a));
    let m = n / 2;
    let mut angles: Vec<f64> = (0..m)
        .map(|j| 0.5 * (abs[2 * j] + abs[2 * j + 1]))
        .collect();
    if n % 2 == 0 && m > 0 {
        let mut skew = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                skew[i * n + j] = 0.5 * (q[i * n + j] - q[j * n + i]);
            }
        }
        let pf = pfaffian(&skew, n);
        let sign = if m % 2 == 0 { pf } else { -pf };
        if sign < 0.0 {
            angles[m - 1] = -angles[m - 1];
        }
    }
    angles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rot(t: f64) -> [f64; 4] {
        [t.cos(), -t.sin(), t.sin(), t.cos()]
    }

    fn block_diag(blocks: &[[f64; 4]], extra_one: bool) -> (Vec<f64>, usize) {
        let n = 2 * blocks.len() + usize::from(extra_one);
        let mut q = vec![0.0; n * n];
        for (b, r) in blocks.iter().enumerate() {
            let o = 2 * b;
            q[o * n + o] = r[0];
            q[o * n + o + 1] = r[1];
            q[(o + 1) * n + o] = r[2];
            q[(o + 1) * n + o + 1] = r[3];
        }
        if extra_one {
            q[n * n - 1] = 1.0;
        }
        (q, n)
    }

    #[test]
    fn pfaffian_of_canonical_form() {
        let (q, n) = block_diag(&[rot(0.3), rot(-1.2)], false);
        let mut s = vec![0.0; 16];
        for i in 0..4 {
            for j in 0..4 {
                s[i * 4 + j] = 0.5 * (q[i * n + j] - q[j * n + i]);
            }
        }
        let expected = (-(0.3f64).sin()) * (-(-1.2f64).sin());
        assert!((pfaffian(&s, 4) - expected).abs() < 1e-15);
        let det = determinant_real(&s, 4);
        assert!((det - expected * expected).abs() < 1e-15);
    }

    #[test]
    fn identity_and_minus_identity_are_stable() {
        for n in 1..6 {
            let id: Vec<c64> = (0..n * n)
                .map(|k| c64::new(if k % (n + 1) == 0 { 1.0 } else { 0.0 }, 0.0))
                .collect();
            let e = unitary_eigen(&id, n);
            assert!(e.angles.iter().all(|&t| t == 0.0), "{:?}", e.angles);
            let minus: Vec<c64> = id.iter().map(|z| -z).collect();
            let e = unitary_eigen(&minus, n);
            assert!(e.angles.iter().all(|&t| t == PI), "{:?}", e.angles);
        }
    }

    #[test]
    fn rotation_angles_and_logs_of_block_forms() {
        let (q, n) = block_diag(&[rot(2.0), rot(2.0), rot(-0.5)], true);
        let a = special_orthogonal_rotation_angles(&q, n);
        assert!(
            (a[0] - 2.0).abs() < 1e-14 && (a[1] - 2.0).abs() < 1e-14 && (a[2] - 0.5).abs() < 1e-14,
            "{a:?}"
        );
        let (q, n) = block_diag(&[rot(2.0), rot(-0.5)], false);
        let a = special_orthogonal_rotation_angles(&q, n);
        assert!(
            (a[0] - 2.0).abs() < 1e-14 && (a[1] + 0.5).abs() < 1e-14,
            "{a:?}"
        );
        // Cut locus: diag(R(π), R(π)) = −I₄ and a near-cut rotation.
        for t in [PI, PI - 1e-9, PI - 5e-7, PI - 2e-6, PI - 1e-3] {
            let (q, n) = block_diag(&[rot(t), rot(t), rot(0.25)], false);
            let mut l = vec![0.0; n * n];
            logm_special_orthogonal_into(&mut l, &q, n);
            let mut e = vec![0.0; n * n];
            super::super::expm_real_into(&mut e, &l, n);
            let err = e
                .iter()
                .zip(&q)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-13, "t={t}: exp(log Q) error {err}");
            let norm2: f64 = l.iter().map(|x| x * x).sum();
            let expected = 2.0 * (2.0 * t * t + 0.25 * 0.25);
            assert!(
                (norm2 - expected).abs() < 1e-12,
                "t={t}: {norm2} vs {expected}"
            );
        }
    }
}
