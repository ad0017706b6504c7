//! The unit sphere `S^d ⊂ R^{d+1}`.

use super::{
    check_finite, expect_lengths, require_len, Manifold, ManifoldSpec, MetricForm,
    TangentProjection,
};
use crate::error::{Error, Num, Result};
use crate::random::{standard_normal, Rng};
use statrs::function::gamma::ln_gamma;
use std::f64::consts::PI;

/// The unit sphere `S^d = {x ∈ R^{d+1} : |x| = 1}` with the round metric.
///
/// Volume `2π^{(d+1)/2} / Γ((d+1)/2)`. Geodesic distance
/// `θ = atan2(|x ∧ y|, x·y)` (accurate near 0 and near π),
/// `exp_x(v) = cos|v| x + sin|v| v/|v|`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sphere {
    dim: usize,
}

impl Sphere {
    /// The sphere of intrinsic dimension `dim` (ambient `dim + 1`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `dim == 0`; [`Error::LimitExceeded`] above `2²⁴ − 1`.
    pub fn new(dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("dim", dim, "a sphere dimension d >= 1"));
        }
        crate::limits::check_at_most(
            "sphere dimension",
            dim,
            crate::limits::MAX_AMBIENT_DIM - 1,
            "at most 2^24 reals per point",
        )?;
        Ok(Sphere { dim })
    }
}

#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// `sin(r)/r`, accurate for small `r` (Taylor series below 1e-4).
#[inline]
pub fn sinc(r: f64) -> f64 {
    if r.abs() < 1e-4 {
        let r2 = r * r;
        1.0 - r2 / 6.0 + r2 * r2 / 120.0
    } else {
        r.sin() / r
    }
}

impl Sphere {
    /// The geodesic angle and the unit direction at `x` towards `y` (a zero-free
    /// tangent direction is chosen deterministically when `y = ±x`). Returns `(θ, |w|)` and
    /// writes `w = y − (x·y) x` into `w`.
    fn angle_and_chord(&self, x: &[f64], y: &[f64], w: &mut [f64]) -> (f64, f64) {
        let c = dot(x, y);
        for i in 0..w.len() {
            w[i] = y[i] - c * x[i];
        }
        let s = dot(w, w).sqrt();
        (s.atan2(c), s)
    }
}

impl Manifold for Sphere {
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::Sphere(self.dim)
    }
    fn metric_form(&self) -> MetricForm {
        MetricForm::ScaledEuclidean(1.0)
    }
    fn tangent_projection(&self) -> TangentProjection {
        TangentProjection::Radial
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn ambient_dim(&self) -> usize {
        self.dim + 1
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        require_len("sphere point", x, self.dim + 1)?;
        check_finite("sphere point", x)?;
        let norm = dot(x, x).sqrt();
        if (norm - 1.0).abs() > tol {
            return Err(Error::NotOnManifold {
                manifold: self.spec().to_string(),
                detail: format!("|x| = {}, expected 1", Num(norm)),
                tolerance: tol,
            });
        }
        Ok(())
    }
    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), out.len()]);
        // Overflow-free (entries beyond 1e154 would square to ∞ and give 0 or NaN).
        let norm = crate::linalg::robust_norm(x);
        for (o, &a) in out.iter_mut().zip(x) {
            *o = a / norm;
        }
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        let c = dot(x, v);
        for i in 0..out.len() {
            out[i] = v[i] - c * x[i];
        }
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), u.len(), v.len()]);
        dot(u, v)
    }
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        // (Overflow-free: steps at huge t have entries ≈ 1e154, whose squares overflow.)
        let r = crate::linalg::robust_norm(v);
        let (c, s) = (r.cos(), sinc(r));
        for i in 0..out.len() {
            out[i] = c * x[i] + s * v[i];
        }
        // Renormalise: removes the O(ε) drift of the closed form.
        let norm = dot(out, out).sqrt();
        out.iter_mut().for_each(|o| *o /= norm);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len(), out.len()]);
        let (theta, s) = self.angle_and_chord(x, y, out);
        if s > 0.0 {
            // One more projection: near the antipode |w| = sin θ is small, and the rounding
            // of w = y − (x·y)x along x (~ε) would be scaled by θ/sin θ into a normal
            // component of the result (1e-11 at π − θ = 1e-4 without it; found by the
            // manifold law suite).
            let normal = dot(x, out);
            for (o, &a) in out.iter_mut().zip(x) {
                *o -= normal * a;
            }
            let f = theta / dot(out, out).sqrt();
            out.iter_mut().for_each(|o| *o *= f);
        } else if theta > 0.0 {
            // y = −x: every direction is minimising; take the first tangent basis vector.
            let n = self.dim + 1;
            let mut basis = vec![0.0; self.dim * n];
            self.tangent_basis(x, &mut basis);
            for i in 0..n {
                out[i] = PI * basis[i];
            }
        } else {
            out.iter_mut().for_each(|o| *o = 0.0);
        }
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len()]);
        let c = dot(x, y);
        let s2: f64 = x
            .iter()
            .zip(y)
            .map(|(a, b)| {
                let w = b - c * a;
                w * w
            })
            .sum();
        s2.sqrt().atan2(c)
    }
    fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
        // Gram–Schmidt on the standard basis, skipping the axis most aligned with x.
        let n = self.dim + 1;
        let skip = (0..n)
            .max_by(|&i, &j| x[i].abs().total_cmp(&x[j].abs()))
            .unwrap_or(0);
        for (row, axis) in (0..n).filter(|&a| a != skip).enumerate() {
            let (done, rest) = out.split_at_mut(row * n);
            let e = &mut rest[..n];
            e.iter_mut().for_each(|v| *v = 0.0);
            e[axis] = 1.0;
            // Two passes of modified Gram–Schmidt for orthogonality to ~1e-16.
            for _ in 0..2 {
                let c = dot(x, e);
                for i in 0..n {
                    e[i] -= c * x[i];
                }
                for prev in done.chunks_exact(n) {
                    let c = dot(prev, e);
                    for i in 0..n {
                        e[i] -= c * prev[i];
                    }
                }
            }
            let norm = dot(e, e).sqrt();
            e.iter_mut().for_each(|v| *v /= norm);
        }
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        loop {
            for o in out.iter_mut() {
                *o = standard_normal(rng);
            }
            let norm = dot(out, out).sqrt();
            if norm > 1e-150 {
                out.iter_mut().for_each(|o| *o /= norm);
                return;
            }
        }
    }
    fn log_volume(&self) -> f64 {
        let a = (self.dim as f64 + 1.0) / 2.0;
        std::f64::consts::LN_2 + a * PI.ln() - ln_gamma(a)
    }
    fn sample_tangent_normal(&self, x: &[f64], rng: &mut Rng, out: &mut [f64]) {
        for o in out.iter_mut() {
            *o = standard_normal(rng);
        }
        let c = dot(x, out);
        for i in 0..out.len() {
            out[i] -= c * x[i];
        }
    }
}
