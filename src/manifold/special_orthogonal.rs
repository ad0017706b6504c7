//! The special orthogonal group `SO(n)` with the bi-invariant metric `⟨A, B⟩ = ½ tr(AᵀB)`.

use super::{
    check_finite, expect_lengths, require_len, CompactGroup, Manifold, ManifoldSpec, MetricForm,
    TangentProjection,
};
use crate::error::{Error, Num, Result};
use crate::linalg::{
    determinant_real, expm_skew3, expm_skew_into, logm_special_orthogonal_into,
    special_orthogonal_rotation_angles, unitary_eigen,
};
use crate::random::{standard_normal, Rng};
use faer::{c64, Mat};
use statrs::function::gamma::ln_gamma;
use std::f64::consts::PI;

/// `SO(n) = {Q ∈ R^{n×n} : QᵀQ = I, det Q = 1}`, `n ≥ 2`, as row-major `n²` ambient reals.
///
/// - **Metric** `⟨A, B⟩ = ½ tr(AᵀB) = ½ Σ a_ij b_ij` ([`crate::conventions`]): on SO(3) the distance to the
///   identity is the rotation angle. Tangent space at `x`: `{xΩ : Ωᵀ = −Ω}`; orthogonal
///   projection `v ↦ x·skew(xᵀv)`, `skew(M) = (M − Mᵀ)/2` (the metric is a multiple of the
///   Euclidean one, so the Euclidean projection is orthogonal). Orthonormal basis
///   `x(E_ij − E_ji)`, `i < j`. `dim = n(n−1)/2`.
/// - **Exp / log**: `exp_x(v) = x·expm(xᵀv)` (Rodrigues for n = 3, Padé-13 otherwise);
///   `log_x(y) = x·logm(xᵀy)` ([`logm_special_orthogonal_into`]; deterministic at the cut locus).
/// - **Distance** `d(x, y) = (½‖log(xᵀy)‖_F²)^{1/2} = (Σ_j θ_j²)^{1/2}` over the rotation angles
///   `θ_j` of `xᵀy` (computed from the eigen-angles, no logarithm needed; closed forms
///   `atan2` of the rotation's sine and cosine for n = 2, 3).
/// - **Volume** `Vol SO(n) = ∏_{k=2}^{n} Vol(S^{k−1}) = ∏_{k=2}^{n} 2π^{k/2}/Γ(k/2)`.
///   Derivation: `g ↦ g e_n` is a Riemannian submersion `SO(n) → S^{n−1}` (unit sphere) with
///   fibres isometric to `SO(n−1)` (same ½tr metric): the horizontal generators
///   `Σ_i a_i(E_in − E_ni)` have ½tr-norm `|a|` and move `g e_n` with speed `|a|`. Hence
///   `Vol SO(n) = Vol(S^{n−1})·Vol SO(n−1)` with `Vol SO(2) = 2π` (`R(θ)` has unit speed):
///   `Vol SO(3) = 2π·4π = 8π²`.
/// - **Uniform sampling** (Haar): Gram–Schmidt QR of a standard Gaussian matrix (which yields
///   `R` with positive diagonal — Mezzadri 2007's sign fix, Haar on O(n)), then the first column
///   is negated if `det = −1` (a measure-preserving bijection between the two cosets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpecialOrthogonal {
    n: usize,
}

impl SpecialOrthogonal {
    /// `SO(n)`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `n < 2`; [`Error::LimitExceeded`] above 4096.
    pub fn new(n: usize) -> Result<Self> {
        if n < 2 {
            return Err(Error::invalid("n", n, "a matrix size n >= 2 for SO(n)"));
        }
        // n² reals per point: n ≤ 4096.
        crate::limits::check_at_most(
            "SO(n) matrix size",
            n,
            1 << 12,
            "at most 2^24 reals per point",
        )?;
        Ok(SpecialOrthogonal { n })
    }

    /// The matrix size `n`.
    pub fn n(&self) -> usize {
        self.n
    }

    /// Maximal-torus coordinates of `x`: the `⌊n/2⌋` rotation angles of its canonical form,
    /// ordered as a Weyl-chamber representative (descending, non-negative; for even `n` the last
    /// carries the orientation sign). See [`special_orthogonal_rotation_angles`].
    ///
    /// # Panics
    /// If `x.len() != n²`.
    pub fn maximal_torus_coordinates(&self, x: &[f64]) -> Vec<f64> {
        special_orthogonal_rotation_angles(x, self.n)
    }

    /// `out = aᵀ b` (or `a b` when `transpose_a` is false), all `n × n` row-major.
    fn product(&self, a: &[f64], transpose_a: bool, b: &[f64], out: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            for j in 0..n {
                let mut s = 0.0;
                for k in 0..n {
                    let aik = if transpose_a {
                        a[k * n + i]
                    } else {
                        a[i * n + k]
                    };
                    s += aik * b[k * n + j];
                }
                out[i * n + j] = s;
            }
        }
    }

    /// `Ω = skew(xᵀv)`.
    fn algebra(&self, x: &[f64], v: &[f64]) -> Vec<f64> {
        let n = self.n;
        let mut m = vec![0.0; n * n];
        self.product(x, true, v, &mut m);
        let mut omega = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                omega[i * n + j] = 0.5 * (m[i * n + j] - m[j * n + i]);
            }
        }
        omega
    }

    fn expm_skew(&self, omega: &[f64], out: &mut [f64]) {
        if self.n == 3 {
            let mut w = [0.0; 9];
            w.copy_from_slice(omega);
            out.copy_from_slice(&expm_skew3(&w));
        } else if self.n == 2 {
            let t = omega[2];
            out.copy_from_slice(&[t.cos(), -t.sin(), t.sin(), t.cos()]);
        } else {
            expm_skew_into(out, omega, self.n);
        }
    }
}

impl Manifold for SpecialOrthogonal {
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(self.n))
    }
    fn metric_form(&self) -> MetricForm {
        MetricForm::ScaledEuclidean(0.5)
    }
    fn tangent_projection(&self) -> TangentProjection {
        TangentProjection::MinimalInSphere
    }
    fn dim(&self) -> usize {
        self.n * (self.n - 1) / 2
    }
    fn ambient_dim(&self) -> usize {
        self.n * self.n
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        let n = self.n;
        require_len("SO(n) point", x, n * n)?;
        check_finite("SO(n) point", x)?;
        let mut g = vec![0.0; n * n];
        self.product(x, true, x, &mut g);
        let defect = (0..n * n)
            .map(|k| {
                let id = if k % (n + 1) == 0 { 1.0 } else { 0.0 };
                (g[k] - id).powi(2)
            })
            .sum::<f64>()
            .sqrt();
        if defect > tol {
            return Err(Error::NotOnManifold {
                manifold: self.spec().to_string(),
                detail: format!("‖xᵀx − I‖_F = {defect:e}, expected 0 (not orthogonal)"),
                tolerance: tol,
            });
        }
        let det = determinant_real(x, n);
        if (det - 1.0).abs() > tol {
            return Err(Error::NotOnManifold {
                manifold: self.spec().to_string(),
                detail: format!("det x = {}, expected 1", Num(det)),
                tolerance: tol,
            });
        }
        Ok(())
    }
    /// Nearest point of SO(n) in the Frobenius norm: `U diag(1, …, 1, det(UVᵀ)) Vᵀ` from the SVD
    /// `x = UΣVᵀ` (special orthogonal Procrustes; the sign goes on the smallest singular value).
    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), out.len()]);
        let n = self.n;
        let m = Mat::from_fn(n, n, |i, j| x[i * n + j]);
        let Ok(svd) = m.svd() else {
            out.copy_from_slice(x);
            return;
        };
        let (u, v, s) = (svd.U(), svd.V(), svd.S().column_vector());
        let q = u * v.transpose();
        let mut flat: Vec<f64> = (0..n * n).map(|k| q[(k / n, k % n)]).collect();
        if determinant_real(&flat, n) < 0.0 {
            let kmin = (0..n)
                .min_by(|&a, &b| s[a].total_cmp(&s[b]))
                .unwrap_or(n - 1);
            for i in 0..n {
                for j in 0..n {
                    flat[i * n + j] -= 2.0 * u[(i, kmin)] * v[(j, kmin)];
                }
            }
        }
        out.copy_from_slice(&flat);
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        let omega = self.algebra(x, v);
        self.product(x, false, &omega, out);
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), u.len(), v.len()]);
        0.5 * u.iter().zip(v).map(|(a, b)| a * b).sum::<f64>()
    }
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        let omega = self.algebra(x, v);
        let mut e = vec![0.0; omega.len()];
        self.expm_skew(&omega, &mut e);
        self.product(x, false, &e, out);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len(), out.len()]);
        let n = self.n;
        let mut rel = vec![0.0; n * n];
        self.product(x, true, y, &mut rel);
        let mut omega = vec![0.0; n * n];
        logm_special_orthogonal_into(&mut omega, &rel, n);
        self.product(x, false, &omega, out);
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len()]);
        let n = self.n;
        let mut rel = vec![0.0; n * n];
        self.product(x, true, y, &mut rel);
        if n == 2 {
            return rel[2].atan2(rel[0]).abs();
        }
        if n == 3 {
            // θ = atan2(|w|, (tr R − 1)/2) with w the axial vector of skew(R), |w| = sin θ:
            // absolute accuracy O(u) uniformly on [0, π].
            let w = [
                0.5 * (rel[7] - rel[5]),
                0.5 * (rel[2] - rel[6]),
                0.5 * (rel[3] - rel[1]),
            ];
            let sin = (w[0] * w[0] + w[1] * w[1] + w[2] * w[2]).sqrt();
            return sin.atan2(0.5 * (rel[0] + rel[4] + rel[8] - 1.0));
        }
        let rc: Vec<c64> = rel.iter().map(|&a| c64::new(a, 0.0)).collect();
        let angles = unitary_eigen(&rc, n).angles;
        (0.5 * angles.iter().map(|t| t * t).sum::<f64>()).sqrt()
    }
    fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
        let n = self.n;
        let mut row = 0;
        for i in 0..n {
            for j in i + 1..n {
                let o = &mut out[row * n * n..(row + 1) * n * n];
                // x(E_ij − E_ji): column j of the result is x[:, i], column i is −x[:, j].
                o.iter_mut().for_each(|c| *c = 0.0);
                for r in 0..n {
                    o[r * n + j] = x[r * n + i];
                    o[r * n + i] = -x[r * n + j];
                }
                row += 1;
            }
        }
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        let n = self.n;
        // Columns of a Gaussian matrix, orthonormalised by two-pass modified Gram–Schmidt
        // (R has a positive diagonal, Mezzadri's sign fix).
        let mut cols = vec![0.0; n * n]; // column-major: cols[c*n + r]
        for c in 0..n {
            loop {
                for r in 0..n {
                    cols[c * n + r] = standard_normal(rng);
                }
                for _ in 0..2 {
                    for p in 0..c {
                        let d: f64 = (0..n).map(|r| cols[p * n + r] * cols[c * n + r]).sum();
                        for r in 0..n {
                            cols[c * n + r] -= d * cols[p * n + r];
                        }
                    }
                }
                let norm = (0..n).map(|r| cols[c * n + r].powi(2)).sum::<f64>().sqrt();
                if norm > 1e-8 {
                    (0..n).for_each(|r| cols[c * n + r] /= norm);
                    break;
                }
            }
        }
        for r in 0..n {
            for c in 0..n {
                out[r * n + c] = cols[c * n + r];
            }
        }
        if determinant_real(out, n) < 0.0 {
            for r in 0..n {
                out[r * n] = -out[r * n];
            }
        }
    }
    fn log_volume(&self) -> f64 {
        (2..=self.n)
            .map(|k| {
                let h = k as f64 / 2.0;
                std::f64::consts::LN_2 + h * PI.ln() - ln_gamma(h)
            })
            .sum()
    }
    fn as_lie_group(&self) -> Option<&dyn super::LieGroup> {
        Some(self)
    }
}

/// `SO(n)` as a matrix group: `a·b` is the matrix product, `e = I`, `a⁻¹ = aᵀ`; the translations
/// of tangent vectors are matrix products (`g·v`, `v·g`). The metric `½ tr(AᵀB)` is bi-invariant.
impl super::LieGroup for SpecialOrthogonal {
    fn identity(&self, out: &mut [f64]) {
        let n = self.n;
        for (k, o) in out.iter_mut().enumerate() {
            *o = if k % (n + 1) == 0 { 1.0 } else { 0.0 };
        }
    }
    fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        self.product(a, false, b, out);
    }
    fn inverse(&self, a: &[f64], out: &mut [f64]) {
        let n = self.n;
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = a[j * n + i];
            }
        }
    }
    fn translate_left(&self, g: &[f64], v: &[f64], out: &mut [f64]) {
        self.product(g, false, v, out);
    }
    fn translate_right(&self, v: &[f64], g: &[f64], out: &mut [f64]) {
        self.product(v, false, g, out);
    }
}
