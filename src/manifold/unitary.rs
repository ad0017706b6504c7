//! The unitary groups `U(n)` and `SU(n)` with the Frobenius metric `⟨X, Y⟩ = Re tr(XᴴY)`.
//!
//! Points are row-major complex `n × n` matrices stored as `2n²` interleaved `(re, im)` reals,
//! so the metric is the Euclidean inner product of the ambient reals.
//!
//! # Volumes (Frobenius metric)
//! - `U(n)`: `g ↦ g e_n` is a Riemannian submersion onto `S^{2n−1} ⊂ C^n` with fibres `U(n−1)`
//!   (isometrically embedded). A horizontal generator `A = Σ_{i<n}(a_i E_in − ā_i E_ni) + ib E_nn`
//!   has `|A|²_F = 2Σ|a_i|² + b²` and moves `g e_n` with velocity of squared length
//!   `Σ|a_i|² + b²`, so the base is the unit sphere stretched by `√2` in the `2n−2` directions
//!   orthogonal to the Hopf fibre: base volume `2^{n−1}·2π^n/Γ(n)`. Hence
//!   `Vol U(n) = ∏_{k=1}^{n} 2^{k−1}·2π^k/(k−1)!`: `Vol U(1) = 2π`, `Vol U(2) = 8π³`.
//! - `SU(n)`: `SU(n) × U(1) → U(n)`, `(g, e^{iφ}) ↦ e^{iφ}g` is an `n`-fold covering, and the
//!   `U(1)` direction `iφ'·I` has Frobenius length `√n·|φ'|` (orthogonal to `su(n)`), i.e. a
//!   circle of length `2π√n`. So `Vol SU(n) = n·Vol U(n)/(2π√n) = √n·Vol U(n)/(2π)`:
//!   `Vol SU(2) = 4√2π² = 2π²(√2)³`, the round `S³` of radius `√2`.
//!
//! # Sampling
//! Haar on U(n): Gram–Schmidt QR of a complex Ginibre matrix (entries `(N + iN')/√2`); the
//! Gram–Schmidt `R` has a positive real diagonal, which is Mezzadri's (2007) phase fix. For
//! SU(n) the result is multiplied by `det(U)^{−1/n}` (principal root); the map commutes with left
//! multiplication by SU(n), so it pushes Haar(U(n)) to Haar(SU(n)).

use super::{
    check_finite, expect_lengths, require_len, CompactGroup, Manifold, ManifoldSpec, MetricForm,
    TangentProjection,
};
use crate::error::{Error, Num, Result};
use crate::linalg::{
    complex_from_interleaved, determinant_complex, expm_2x2, expm_anti_hermitian_into,
    interleaved_from_complex, logm_unitary_into, traceless_angles, unitary_eigen,
    uses_spectral_form,
};
use crate::random::{standard_normal, Rng};
use faer::{c64, Mat};
use statrs::function::gamma::ln_gamma;
use std::f64::consts::{LN_2, PI};

/// Shared implementation of U(n) (`special = false`) and SU(n) (`special = true`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct UnitaryGroup {
    n: usize,
    special: bool,
}

fn zero() -> c64 {
    c64::new(0.0, 0.0)
}

impl UnitaryGroup {
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::Group(if self.special {
            CompactGroup::SpecialUnitary(self.n)
        } else {
            CompactGroup::Unitary(self.n)
        })
    }

    /// `out = op(a)·b` with `op` = conjugate transpose when `adjoint_a`.
    fn product(&self, a: &[c64], adjoint_a: bool, b: &[c64]) -> Vec<c64> {
        let n = self.n;
        let mut out = vec![zero(); n * n];
        for i in 0..n {
            for k in 0..n {
                let aik = if adjoint_a {
                    a[k * n + i].conj()
                } else {
                    a[i * n + k]
                };
                for j in 0..n {
                    out[i * n + j] += aik * b[k * n + j];
                }
            }
        }
        out
    }

    /// Orthogonal projection onto `u(n)` (anti-Hermitian part) or `su(n)` (also traceless).
    fn project_algebra(&self, m: &mut [c64]) {
        let n = self.n;
        for i in 0..n {
            for j in i..n {
                let a = (m[i * n + j] - m[j * n + i].conj()) * 0.5;
                m[i * n + j] = a;
                m[j * n + i] = -a.conj();
            }
        }
        if self.special {
            let mean: f64 = (0..n).map(|i| m[i * n + i].im).sum::<f64>() / n as f64;
            for i in 0..n {
                m[i * n + i] = c64::new(0.0, m[i * n + i].im - mean);
            }
        }
    }

    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        let n = self.n;
        require_len("unitary point", x, 2 * n * n)?;
        check_finite("unitary point", x)?;
        let xc = complex_from_interleaved(x);
        let g = self.product(&xc, true, &xc);
        let defect = (0..n * n)
            .map(|k| {
                let id = if k % (n + 1) == 0 { 1.0 } else { 0.0 };
                (g[k] - id).norm_sqr()
            })
            .sum::<f64>()
            .sqrt();
        if defect > tol {
            return Err(Error::NotOnManifold {
                manifold: self.spec().to_string(),
                detail: format!("‖xᴴx − I‖_F = {defect:e}, expected 0 (not unitary)"),
                tolerance: tol,
            });
        }
        if self.special {
            let det = determinant_complex(&xc, n);
            if (det - 1.0).norm() > tol {
                return Err(Error::NotOnManifold {
                    manifold: self.spec().to_string(),
                    detail: format!(
                        "det x = {} {}{}i, expected 1",
                        Num(det.re),
                        if det.im < 0.0 { "-" } else { "+" },
                        Num(det.im.abs())
                    ),
                    tolerance: tol,
                });
            }
        }
        Ok(())
    }

    fn fix_determinant(&self, q: &mut [c64]) {
        if self.special {
            let det = determinant_complex(q, self.n);
            let root = c64::from_polar(1.0, -det.arg() / self.n as f64);
            q.iter_mut().for_each(|z| *z *= root);
        }
    }

    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        let n = self.n;
        let xc = complex_from_interleaved(x);
        let m = Mat::from_fn(n, n, |i, j| xc[i * n + j]);
        let Ok(svd) = m.svd() else {
            out.copy_from_slice(x);
            return;
        };
        let q = svd.U() * svd.V().adjoint();
        let mut flat: Vec<c64> = (0..n * n).map(|k| q[(k / n, k % n)]).collect();
        self.fix_determinant(&mut flat);
        interleaved_from_complex(&flat, out);
    }

    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let (xc, vc) = (complex_from_interleaved(x), complex_from_interleaved(v));
        let mut a = self.product(&xc, true, &vc);
        self.project_algebra(&mut a);
        interleaved_from_complex(&self.product(&xc, false, &a), out);
    }

    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let (xc, vc) = (complex_from_interleaved(x), complex_from_interleaved(v));
        let mut a = self.product(&xc, true, &vc);
        self.project_algebra(&mut a);
        // (The 2×2 closed form needs r = √det B as a complex root: beyond SQUARING_MAX_NORM its
        // rounded imaginary part, ≈ ε|r|, makes cosh overflow; the spectral form does not.)
        let large = uses_spectral_form(&a, self.n);
        let e = if self.n == 2 && !large {
            expm_2x2(&[a[0], a[1], a[2], a[3]]).to_vec()
        } else {
            let mut e = vec![zero(); self.n * self.n];
            expm_anti_hermitian_into(&mut e, &a, self.n);
            // In the spectral form the phases carry absolute errors ≈ u‖A‖ (possibly ≫ 2π), so
            // det e = e^{i Σθ} is no longer 1 for SU(n): restore it by the n-th root of its
            // phase (exact in theory; Padé needs no such fix, so only done there).
            if self.special && large {
                let phase = determinant_complex(&e, self.n).arg() / self.n as f64;
                let correction = c64::from_polar(1.0, -phase);
                e.iter_mut().for_each(|z| *z *= correction);
            }
            e
        };
        interleaved_from_complex(&self.product(&xc, false, &e), out);
    }

    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let (xc, yc) = (complex_from_interleaved(x), complex_from_interleaved(y));
        let rel = self.product(&xc, true, &yc);
        let mut l = vec![zero(); self.n * self.n];
        logm_unitary_into(&mut l, &rel, self.n, self.special);
        self.project_algebra(&mut l);
        interleaved_from_complex(&self.product(&xc, false, &l), out);
    }

    fn torus(&self, x: &[f64]) -> Vec<f64> {
        let xc = complex_from_interleaved(x);
        let mut angles = unitary_eigen(&xc, self.n).angles;
        if self.special {
            traceless_angles(&mut angles);
        }
        angles
    }

    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        let (xc, yc) = (complex_from_interleaved(x), complex_from_interleaved(y));
        let rel = self.product(&xc, true, &yc);
        let mut angles = unitary_eigen(&rel, self.n).angles;
        if self.special {
            traceless_angles(&mut angles);
        }
        angles.iter().map(|t| t * t).sum::<f64>().sqrt()
    }

    /// Orthonormal basis of `u(n)` / `su(n)`: `(E_ij − E_ji)/√2`, `i(E_ij + E_ji)/√2` (`i < j`),
    /// then `iE_jj` (U(n)) or the generalised Gell-Mann diagonals
    /// `i·diag(1, …, 1, −k, 0, …)/√(k(k+1))`, `k = 1 … n−1` (SU(n)).
    fn algebra_basis(&self) -> Vec<Vec<c64>> {
        let n = self.n;
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let mut basis = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                let mut a = vec![zero(); n * n];
                a[i * n + j] = c64::new(s, 0.0);
                a[j * n + i] = c64::new(-s, 0.0);
                basis.push(a);
                let mut b = vec![zero(); n * n];
                b[i * n + j] = c64::new(0.0, s);
                b[j * n + i] = c64::new(0.0, s);
                basis.push(b);
            }
        }
        if self.special {
            for k in 1..n {
                let c = 1.0 / ((k * (k + 1)) as f64).sqrt();
                let mut d = vec![zero(); n * n];
                for j in 0..k {
                    d[j * n + j] = c64::new(0.0, c);
                }
                d[k * n + k] = c64::new(0.0, -(k as f64) * c);
                basis.push(d);
            }
        } else {
            for j in 0..n {
                let mut d = vec![zero(); n * n];
                d[j * n + j] = c64::new(0.0, 1.0);
                basis.push(d);
            }
        }
        basis
    }

    fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
        let xc = complex_from_interleaved(x);
        let m = 2 * self.n * self.n;
        for (row, b) in self.algebra_basis().iter().enumerate() {
            interleaved_from_complex(
                &self.product(&xc, false, b),
                &mut out[row * m..(row + 1) * m],
            );
        }
    }

    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        let n = self.n;
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let mut cols = vec![zero(); n * n]; // column-major
        for c in 0..n {
            loop {
                for r in 0..n {
                    cols[c * n + r] = c64::new(standard_normal(rng) * s, standard_normal(rng) * s);
                }
                for _ in 0..2 {
                    for p in 0..c {
                        let d: c64 = (0..n)
                            .map(|r| cols[p * n + r].conj() * cols[c * n + r])
                            .sum();
                        for r in 0..n {
                            let pr = cols[p * n + r];
                            cols[c * n + r] -= d * pr;
                        }
                    }
                }
                let norm = (0..n)
                    .map(|r| cols[c * n + r].norm_sqr())
                    .sum::<f64>()
                    .sqrt();
                if norm > 1e-8 {
                    (0..n).for_each(|r| cols[c * n + r] /= norm);
                    break;
                }
            }
        }
        let mut q: Vec<c64> = (0..n * n).map(|k| cols[(k % n) * n + k / n]).collect();
        self.fix_determinant(&mut q);
        interleaved_from_complex(&q, out);
    }

    fn log_volume(&self) -> f64 {
        let unitary: f64 = (1..=self.n)
            .map(|k| {
                let k = k as f64;
                (k - 1.0) * LN_2 + LN_2 + k * PI.ln() - ln_gamma(k)
            })
            .sum();
        if self.special {
            unitary + 0.5 * (self.n as f64).ln() - (2.0 * PI).ln()
        } else {
            unitary
        }
    }
}

macro_rules! unitary_manifold {
    ($ty:ident, $special:expr, $min:expr) => {
        impl Manifold for $ty {
            fn spec(&self) -> ManifoldSpec {
                self.0.spec()
            }
            fn metric_form(&self) -> MetricForm {
                MetricForm::ScaledEuclidean(1.0)
            }
            fn tangent_projection(&self) -> TangentProjection {
                TangentProjection::MinimalInSphere
            }
            fn dim(&self) -> usize {
                self.0.n * self.0.n - usize::from($special)
            }
            fn ambient_dim(&self) -> usize {
                2 * self.0.n * self.0.n
            }
            fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
                self.0.check_point(x, tol)
            }
            fn project_point(&self, x: &[f64], out: &mut [f64]) {
                expect_lengths(self.ambient_dim(), &[x.len(), out.len()]);
                self.0.project_point(x, out)
            }
            fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
                expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
                self.0.project_tangent(x, v, out)
            }
            fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
                expect_lengths(self.ambient_dim(), &[x.len(), u.len(), v.len()]);
                u.iter().zip(v).map(|(a, b)| a * b).sum()
            }
            fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
                expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
                self.0.exp(x, v, out)
            }
            fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
                expect_lengths(self.ambient_dim(), &[x.len(), y.len(), out.len()]);
                self.0.log(x, y, out)
            }
            fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
                expect_lengths(self.ambient_dim(), &[x.len(), y.len()]);
                self.0.distance(x, y)
            }
            fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
                self.0.tangent_basis(x, out)
            }
            fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
                self.0.sample_uniform(rng, out)
            }
            fn log_volume(&self) -> f64 {
                self.0.log_volume()
            }
            fn as_lie_group(&self) -> Option<&dyn super::LieGroup> {
                Some(self)
            }
        }

        impl $ty {
            /// The group of `n × n` matrices.
            ///
            /// # Errors
            /// [`Error::InvalidArgument`] if `n` is below the minimum (2 for SU(n), 1 for U(n));
            /// [`Error::LimitExceeded`] above 2896 (`2n² ≤ 2²⁴` reals per point).
            pub fn new(n: usize) -> Result<Self> {
                if n < $min {
                    return Err(Error::invalid(
                        "n",
                        n,
                        format!("a matrix size n >= {} for {}", $min, stringify!($ty)),
                    ));
                }
                // 2n² reals per point: n ≤ 2896.
                crate::limits::check_at_most(
                    "unitary matrix size",
                    n,
                    2896,
                    "at most 2^24 reals per point",
                )?;
                Ok($ty(UnitaryGroup {
                    n,
                    special: $special,
                }))
            }

            /// The matrix size `n`.
            pub fn n(&self) -> usize {
                self.0.n
            }
        }
    };
}

/// `U(n) = {X ∈ C^{n×n} : XᴴX = I}`, `n ≥ 1`, Frobenius metric `Re tr(XᴴY)`.
///
/// Tangent space at `x`: `x·A`, `Aᴴ = −A`; projection `v ↦ x·(xᴴv − (xᴴv)ᴴ)/2`.
/// `exp_x(v) = x·expm(xᴴv)` (Padé-13; closed form [`expm_2x2`] for n = 2),
/// `log_x(y) = x·logm(xᴴy)` with principal eigen-angles (`+π` at the cut locus),
/// `d(x, y) = ‖log(xᴴy)‖_F = (Σθ_j²)^{1/2}`. `dim = n²`, `Vol = ∏_{k=1}^n 2^k π^k/(k−1)!`
/// (module docs). Nearest point: the polar factor `UVᴴ` of the SVD.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unitary(UnitaryGroup);

/// `SU(n) = {X ∈ U(n) : det X = 1}`, `n ≥ 2`, Frobenius metric `Re tr(XᴴY)`.
///
/// Tangent space at `x`: `x·A`, `A` anti-Hermitian and traceless; projection removes the
/// anti-Hermitian part's trace. `log_x(y) = x·L` with `L ∈ su(n)` the minimal-norm logarithm
/// (eigen-angles lifted to sum 0, [`traceless_angles`]); `d(x, y) = ‖L‖_F`; `dim = n² − 1`;
/// `Vol = √n·Vol U(n)/(2π)` (module docs). Nearest point: the polar factor divided by
/// `det^{1/n}` on the principal branch (the root nearest 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialUnitary(UnitaryGroup);

unitary_manifold!(Unitary, false, 1);
unitary_manifold!(SpecialUnitary, true, 2);

impl Unitary {
    /// Maximal-torus coordinates: the principal eigen-angles `θ ∈ (−π, π]`, descending.
    ///
    /// # Panics
    /// If `x.len() != 2n²`.
    pub fn maximal_torus_coordinates(&self, x: &[f64]) -> Vec<f64> {
        self.0.torus(x)
    }
}

impl SpecialUnitary {
    /// Maximal-torus coordinates: eigen-angles lifted to sum exactly 0 with minimal `Σθ²`
    /// ([`traceless_angles`]), descending; `|H|² = Σθ_j²` is the squared distance to `I`.
    ///
    /// # Panics
    /// If `x.len() != 2n²`.
    pub fn maximal_torus_coordinates(&self, x: &[f64]) -> Vec<f64> {
        self.0.torus(x)
    }
}

impl UnitaryGroup {
    /// `out = a·b` for interleaved complex `n × n` matrices.
    fn multiply_interleaved(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        let (ac, bc) = (complex_from_interleaved(a), complex_from_interleaved(b));
        interleaved_from_complex(&self.product(&ac, false, &bc), out);
    }

    /// `out = aᴴ` for an interleaved complex `n × n` matrix.
    fn adjoint_interleaved(&self, a: &[f64], out: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            for j in 0..n {
                out[2 * (i * n + j)] = a[2 * (j * n + i)];
                out[2 * (i * n + j) + 1] = -a[2 * (j * n + i) + 1];
            }
        }
    }
}

macro_rules! unitary_lie_group {
    ($ty:ident) => {
        /// A matrix group: `a·b` is the complex matrix product, `e = I`, `a⁻¹ = aᴴ`; the
        /// translations of tangent vectors are matrix products (`g·v`, `v·g`). The metric
        /// `Re tr(XᴴY)` is bi-invariant.
        impl super::LieGroup for $ty {
            fn identity(&self, out: &mut [f64]) {
                let n = self.0.n;
                out.iter_mut().for_each(|o| *o = 0.0);
                for i in 0..n {
                    out[2 * (i * n + i)] = 1.0;
                }
            }
            fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
                self.0.multiply_interleaved(a, b, out);
            }
            fn inverse(&self, a: &[f64], out: &mut [f64]) {
                self.0.adjoint_interleaved(a, out);
            }
            fn translate_left(&self, g: &[f64], v: &[f64], out: &mut [f64]) {
                self.0.multiply_interleaved(g, v, out);
            }
            fn translate_right(&self, v: &[f64], g: &[f64], out: &mut [f64]) {
                self.0.multiply_interleaved(v, g, out);
            }
        }
    };
}

unitary_lie_group!(Unitary);
unitary_lie_group!(SpecialUnitary);
