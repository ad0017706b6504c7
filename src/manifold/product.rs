//! Products of manifolds (e.g. lattice gauge fields `SU(3)^{L×L}`).

use super::{require_len, Manifold};
use crate::error::{Error, Result};
use crate::random::Rng;

/// The Riemannian product `M₁ × … × M_k`: coordinates concatenated, metric the sum of the
/// factors' metrics, geodesics componentwise, `d² = Σ d_i²`, `log Vol = Σ log Vol_i`, uniform
/// sampling factor by factor, tangent basis block-diagonal (the factors' bases, zero-padded).
#[derive(Debug)]
pub struct Product {
    factors: Vec<Box<dyn Manifold>>,
    /// Start of each factor in the ambient coordinates (length `k + 1`).
    offsets: Vec<usize>,
    /// Start of each factor's rows in the tangent basis (length `k + 1`).
    dim_offsets: Vec<usize>,
}

impl Product {
    /// The product of `factors` (in order).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `factors` is empty.
    pub fn new(factors: Vec<Box<dyn Manifold>>) -> Result<Self> {
        if factors.is_empty() {
            return Err(Error::invalid("factors", 0, "at least one factor manifold"));
        }
        let mut offsets = vec![0];
        let mut dim_offsets = vec![0];
        for f in &factors {
            offsets.push(offsets.last().copied().unwrap_or(0) + f.ambient_dim());
            dim_offsets.push(dim_offsets.last().copied().unwrap_or(0) + f.dim());
        }
        Ok(Product {
            factors,
            offsets,
            dim_offsets,
        })
    }

    /// The power `M^k` (`k` copies of `m`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `k == 0`.
    pub fn power<M: Manifold + Clone + 'static>(m: M, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", k, "a power k >= 1"));
        }
        Product::new(
            (0..k)
                .map(|_| Box::new(m.clone()) as Box<dyn Manifold>)
                .collect(),
        )
    }

    /// The factors, in order.
    pub fn factors(&self) -> &[Box<dyn Manifold>] {
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
    fn factors(&self) -> Option<&[Box<dyn Manifold>]> {
        Some(&self.factors)
    }

    /// `M^k` when all factor names agree, otherwise `M₁ × M₂ × …`.
    fn name(&self) -> String {
        let first = self.factors[0].name();
        if self.factors.len() > 1 && self.factors.iter().all(|f| f.name() == first) {
            format!("{first}^{}", self.factors.len())
        } else {
            self.factors
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(" × ")
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
                        manifold: self.name(),
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
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.project_point(&x[r.clone()], &mut out[r]);
        }
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.project_tangent(&x[r.clone()], &v[r.clone()], &mut out[r]);
        }
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
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
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.exp(&x[r.clone()], &v[r.clone()], &mut out[r]);
        }
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        for (i, f) in self.factors.iter().enumerate() {
            let r = self.factor_range(i);
            f.log(&x[r.clone()], &y[r.clone()], &mut out[r]);
        }
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
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
