//! The flat torus `T^d = [0, 2π)^d`.

use super::{
    check_finite, expect_lengths, require_len, CoordinateBlock, CoordinateKind, Manifold,
    ManifoldSpec, MetricForm, TangentProjection,
};
use crate::error::{Error, Num, Result};
use crate::random::{standard_normal, uniform, Rng};
use std::f64::consts::{PI, TAU};

/// The flat torus `T^d = R^d / 2πZ^d`, points stored as `d` angles in `[0, 2π)`.
///
/// Metric: Euclidean in the angles; volume `(2π)^d`. `exp_x(v) = (x + v) mod 2π`,
/// `log_x(y)` wraps each `y_i − x_i` into `[−π, π)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Torus {
    dim: usize,
}

impl Torus {
    /// The torus of dimension `dim`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `dim == 0`; [`Error::LimitExceeded`] above `2²⁴`.
    pub fn new(dim: usize) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("dim", dim, "a torus dimension d >= 1"));
        }
        crate::limits::check_at_most(
            "torus dimension",
            dim,
            crate::limits::MAX_AMBIENT_DIM,
            "at most 2^24 reals per point",
        )?;
        Ok(Torus { dim })
    }
}

/// Wraps an angle into `[0, 2π)`.
#[inline]
pub fn wrap_angle(a: f64) -> f64 {
    let r = a.rem_euclid(TAU);
    if r >= TAU {
        0.0
    } else {
        r
    }
}

/// Wraps an angle difference into `[−π, π)`.
#[inline]
pub fn wrap_difference(a: f64) -> f64 {
    let r = (a + PI).rem_euclid(TAU) - PI;
    if r >= PI {
        r - TAU
    } else {
        r
    }
}

impl Manifold for Torus {
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::Torus(self.dim)
    }
    fn coordinate_blocks(&self) -> Vec<CoordinateBlock> {
        vec![CoordinateBlock {
            kind: CoordinateKind::Angles,
            len: self.dim,
        }]
    }
    fn metric_form(&self) -> MetricForm {
        MetricForm::ScaledEuclidean(1.0)
    }
    fn tangent_projection(&self) -> TangentProjection {
        TangentProjection::Identity
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn ambient_dim(&self) -> usize {
        self.dim
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        require_len("torus point", x, self.dim)?;
        check_finite("torus point", x)?;
        if let Some(i) = x.iter().position(|&a| a < -tol || a > TAU + tol) {
            return Err(Error::NotOnManifold {
                manifold: self.spec().to_string(),
                detail: format!(
                    "angle {i} = {} is outside [0, 2π); wrap angles first",
                    Num(x[i])
                ),
                tolerance: tol,
            });
        }
        Ok(())
    }
    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), out.len()]);
        for (o, &a) in out.iter_mut().zip(x) {
            *o = wrap_angle(a);
        }
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        out.copy_from_slice(v);
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), u.len(), v.len()]);
        u.iter().zip(v).map(|(a, b)| a * b).sum()
    }
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        for i in 0..self.dim {
            out[i] = wrap_angle(x[i] + v[i]);
        }
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len(), out.len()]);
        for i in 0..self.dim {
            out[i] = wrap_difference(y[i] - x[i]);
        }
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len()]);
        x.iter()
            .zip(y)
            .map(|(a, b)| wrap_difference(b - a).powi(2))
            .sum::<f64>()
            .sqrt()
    }
    fn tangent_basis(&self, _x: &[f64], out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
        for i in 0..self.dim {
            out[i * self.dim + i] = 1.0;
        }
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        for o in out.iter_mut() {
            *o = wrap_angle(TAU * uniform(rng));
        }
    }
    fn log_volume(&self) -> f64 {
        self.dim as f64 * TAU.ln()
    }
    fn sample_tangent_normal(&self, _x: &[f64], rng: &mut Rng, out: &mut [f64]) {
        for o in out.iter_mut() {
            *o = standard_normal(rng);
        }
    }
    fn as_lie_group(&self) -> Option<&dyn super::LieGroup> {
        Some(self)
    }
}
