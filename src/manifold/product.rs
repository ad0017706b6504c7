//! Products of manifolds (e.g. lattice gauge fields `SU(3)^{L×L}`).

use super::{
    expect_lengths, push_block, require_len, CoordinateBlock, Manifold, ManifoldSpec, MetricForm,
    TangentProjection,
};
use crate::error::{Error, Result};
use crate::random::Rng;
use std::sync::Arc;

/// The Riemannian product `M₁ × … × M_k`: coordinates concatenated, metric the sum of the
/// factors' metrics, geodesics componentwise, `d² = Σ d_i²`, `log Vol = Σ log Vol_i`, uniform
/// sampling factor by factor, tangent basis block-diagonal (the factors' bases, zero-padded).
///
/// The factors are shared (`Arc`), so kernels and samplers built per factor refer to the same
/// manifold objects as the product. Its [`Manifold::spec`] is the flat
/// [`ManifoldSpec::Product`] of the factors' specs (a product of products is the product of
/// all their factors, with the same coordinates in the same order).
#[derive(Clone, Debug)]
pub struct Product {
    factors: Vec<Arc<dyn Manifold>>,
    /// Start of each factor in the ambient coordinates (length `k + 1`).
    offsets: Vec<usize>,
    /// Start of each factor's rows in the tangent basis (length `k + 1`).
    dim_offsets: Vec<usize>,
}

impl Product {
    /// The product of `factors` (in order).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `factors` is empty; [`Error::LimitExceeded`] for more than
    /// [`crate::limits::MAX_AMBIENT_DIM`] reals per point in all.
    pub fn new(factors: Vec<Arc<dyn Manifold>>) -> Result<Self> {
        if factors.is_empty() {
            return Err(Error::invalid("factors", 0, "at least one factor manifold"));
        }
        let mut offsets = vec![0usize];
        let mut dim_offsets = vec![0usize];
        for f in &factors {
            let (ambient, dim) = (
                offsets[offsets.len() - 1].checked_add(f.ambient_dim()),
                dim_offsets[dim_offsets.len() - 1].checked_add(f.dim()),
            );
            match (ambient, dim) {
                (Some(a), Some(d)) if a <= crate::limits::MAX_AMBIENT_DIM => {
                    offsets.push(a);
                    dim_offsets.push(d);
                }
                _ => {
                    return Err(Error::LimitExceeded {
                        name: "product manifold",
                        value: format!("{} factors", factors.len()),
                        limit: format!("{} reals per point", crate::limits::MAX_AMBIENT_DIM),
                        reason: "at most 2^24 reals per point",
                    })
                }
            }
        }
        Ok(Product {
            factors,
            offsets,
            dim_offsets,
        })
    }

    /// The power `M^k` (`k` copies of `m`, sharing one `Arc`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `k == 0`.
    pub fn power(m: Arc<dyn Manifold>, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", k, "a power k >= 1"));
        }
        Product::new(vec![m; k])
    }

    /// The factors, in order.
    pub fn factors(&self) -> &[Arc<dyn Manifold>] {
        &self.factors
    }

    /// The ambient coordinate range of factor `i`.
    ///
    /// # Panics
    /// If `i` is out of range.
    pub fn factor_range(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }
}

impl Manifold for Product {
    fn factors(&self) -> Option<&[Arc<dyn Manifold>]> {
        Some(&self.factors)
    }

    /// The flat product of the factors' specs (one factor: that factor's spec).
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::product(self.factors.iter().map(|f| f.spec()).collect())
            .expect("a product has at least one factor")
    }

    /// The factors' blocks in order (adjacent blocks of one kind merged).
    fn coordinate_blocks(&self) -> Vec<CoordinateBlock> {
        let mut blocks = Vec::new();
        for f in &self.factors {
            for b in f.coordinate_blocks() {
                push_block(&mut blocks, b);
            }
        }
        blocks
    }

    /// [`MetricForm::ScaledEuclidean`] if every factor has the same scale, else
    /// [`MetricForm::ConstantDiagonal`] with each factor's weights on its coordinates if every
    /// factor's metric is constant and diagonal, else [`MetricForm::General`].
    fn metric_form(&self) -> MetricForm {
        let forms: Vec<MetricForm> = self.factors.iter().map(|f| f.metric_form()).collect();
        if let MetricForm::ScaledEuclidean(c) = forms[0] {
            if forms.iter().all(|m| *m == MetricForm::ScaledEuclidean(c)) {
                return MetricForm::ScaledEuclidean(c);
            }
        }
        let mut weights = Vec::with_capacity(self.ambient_dim());
        for (f, form) in self.factors.iter().zip(&forms) {
            match form.diagonal(f.ambient_dim()) {
                Some(w) => weights.extend(w),
                None => return MetricForm::General,
            }
        }
        MetricForm::ConstantDiagonal(weights)
    }

    /// [`TangentProjection::Identity`] if every factor's is; for a power `M^k` of a
    /// [`TangentProjection::Radial`] or [`TangentProjection::MinimalInSphere`] factor,
    /// `MinimalInSphere` (a product of `k` copies of a minimal `d`-submanifold of the sphere of
    /// radius `R` is minimal of dimension `kd` in the sphere of radius `√k R`, with the same
    /// `d/R²`); otherwise [`TangentProjection::Generic`].
    fn tangent_projection(&self) -> TangentProjection {
        let forms: Vec<TangentProjection> = self
            .factors
            .iter()
            .map(|f| f.tangent_projection())
            .collect();
        if forms.iter().all(|p| *p == TangentProjection::Identity) {
            return TangentProjection::Identity;
        }
        let first = self.factors[0].spec();
        let power = self.factors.iter().all(|f| f.spec() == first);
        let round = matches!(
            forms[0],
            TangentProjection::Radial | TangentProjection::MinimalInSphere
        );
        if power && round {
            TangentProjection::MinimalInSphere
        } else {
            TangentProjection::Generic
        }
    }
    fn dim(&self) -> usize {
        self.dim_offsets[self.factors.len()]
    }
    fn ambient_dim(&self) -> usize {
        self.offsets[self.factors.len()]
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        require_len("product point", x, self.ambient_dim())?;
        for (i, f) in self.factors.iter().enumerate() {
            f.check_point(&x[self.factor_range(i)], tol)
                .map_err(|e| match e {
                    Error::NotOnManifold {
                        manifold,
                        detail,
                        tolerance,
                    } => Error::NotOnManifold {
                        manifold: self.spec().to_string(),
                        detail: format!("factor {i} ({manifold}): {detail}"),
                        tolerance,
                    },
                    Error::NonFinite { what } => Error::NonFinite {
                        what: format!("factor {i} of product point: {what}"),
                    },
                    other => other,
                })?;
        }
        Ok(())
    }
    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), out.len()]);
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.project_point(&x[r.clone()], &mut out[r]);
        }
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.project_tangent(&x[r.clone()], &v[r.clone()], &mut out[r]);
        }
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), u.len(), v.len()]);
        self.factors
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let r = self.factor_range(i);
                f.inner(&x[r.clone()], &u[r.clone()], &v[r])
            })
            .sum()
    }
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), v.len(), out.len()]);
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.exp(&x[r.clone()], &v[r.clone()], &mut out[r]);
        }
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len(), out.len()]);
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.log(&x[r.clone()], &y[r.clone()], &mut out[r]);
        }
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        expect_lengths(self.ambient_dim(), &[x.len(), y.len()]);
        self.factors
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let r = self.factor_range(i);
                f.distance(&x[r.clone()], &y[r]).powi(2)
            })
            .sum::<f64>()
            .sqrt()
    }
    fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
        let n = self.ambient_dim();
        out.iter_mut().for_each(|o| *o = 0.0);
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            let (fd, fn_) = (f.dim(), f.ambient_dim());
            let mut block = vec![0.0; fd * fn_];
            f.tangent_basis(&x[r.clone()], &mut block);
            for row in 0..fd {
                let dst = (self.dim_offsets[i] + row) * n + r.start;
                out[dst..dst + fn_].copy_from_slice(&block[row * fn_..(row + 1) * fn_]);
            }
        }
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        for (i, f) in self.factors.iter().enumerate() {
            f.sample_uniform(rng, &mut out[self.factor_range(i)]);
        }
    }
    fn log_volume(&self) -> f64 {
        self.factors.iter().map(|f| f.log_volume()).sum()
    }
    fn sample_tangent_normal(&self, x: &[f64], rng: &mut Rng, out: &mut [f64]) {
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.sample_tangent_normal(&x[r.clone()], rng, &mut out[r]);
        }
    }
    /// `Some` exactly when every factor is a Lie group (then the product group, factor by factor).
    fn as_lie_group(&self) -> Option<&dyn super::LieGroup> {
        super::lie_group::product_as_lie_group(self)
    }
}
