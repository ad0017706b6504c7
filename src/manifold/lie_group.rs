//! Lie groups: manifolds with a smooth group structure, in ambient coordinates.
//!
//! The compact groups of this crate (`SO(n)`, `SU(n)`, `U(n)`, the torus `T^d` and products of
//! groups) carry **bi-invariant** metrics, so left and right translations are isometries and the
//! Riemannian exponential at the identity `e` is the group exponential:
//!
//! - `exp_x(v) = x·exp_e(x⁻¹v) = exp_e(v x⁻¹)·x` and `log_x(y) = x·log_e(x⁻¹y)`;
//! - `d(ga, gb) = d(a, b) = d(ag, bg)` and `⟨g·u, g·w⟩_{gx} = ⟨u, w⟩_x = ⟨u·g, w·g⟩_{xg}`;
//! - one-parameter subgroups `s ↦ exp_e(sξ)` are geodesics through `e`:
//!   `exp_e(aξ)·exp_e(bξ) = exp_e((a + b)ξ)`;
//! - the normalised Riemannian volume (what [`Manifold::sample_uniform`] draws from) is the
//!   bi-invariant Haar probability measure.
//!
//! Here `x⁻¹v` is shorthand for the differential of left translation, [`LieGroup::translate_left`]
//! `(x⁻¹, v)`, which maps `T_x G` to `T_e G`. On a matrix group both translations and the group
//! product are matrix products of the ambient row-major matrices; on the torus the product is
//! the sum of angles (mod 2π) and translations leave tangent vectors unchanged.
//!
//! These identities are checked for every group by `riemannian_diffusion::testing::check_lie_group_laws`
//! (feature `testing`).

use super::{Manifold, Product, Torus};

/// A Lie group `G` whose points are stored as [`Manifold`] points (ambient row-major reals).
///
/// All methods take and write slices of [`Manifold::ambient_dim`] reals and panic on a length
/// mismatch (a programming error). For a bi-invariant metric (every group of this crate), the
/// module docs list the identities that tie the group operations to the Riemannian structure.
///
/// Obtain a `&dyn LieGroup` from any manifold with [`Manifold::as_lie_group`].
pub trait LieGroup: Manifold {
    /// Writes the identity element `e` into `out`.
    fn identity(&self, out: &mut [f64]);

    /// The group product `out = a·b`.
    fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]);

    /// The inverse `out = a⁻¹` (`aᵀ` on `SO(n)`, `aᴴ` on `U(n)`/`SU(n)`, `−a mod 2π` on `T^d`).
    fn inverse(&self, a: &[f64], out: &mut [f64]);

    /// The differential of left translation by `g`: maps `v ∈ T_x G` to `g·v ∈ T_{gx} G`
    /// (the matrix product `g v` on a matrix group; `v` itself on the torus).
    fn translate_left(&self, g: &[f64], v: &[f64], out: &mut [f64]);

    /// The differential of right translation by `g`: maps `v ∈ T_x G` to `v·g ∈ T_{xg} G`
    /// (the matrix product `v g` on a matrix group; `v` itself on the torus).
    fn translate_right(&self, v: &[f64], g: &[f64], out: &mut [f64]);
}

/// The torus `T^d = R^d/2πZ^d` as an abelian group: `a·b = (a + b) mod 2π`, `e = 0`,
/// `a⁻¹ = −a mod 2π`; translations do not change tangent vectors (the angles are global flat
/// coordinates).
impl LieGroup for Torus {
    fn identity(&self, out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = 0.0);
    }
    fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = super::torus::wrap_angle(x + y);
        }
    }
    fn inverse(&self, a: &[f64], out: &mut [f64]) {
        for (o, &x) in out.iter_mut().zip(a) {
            *o = super::torus::wrap_angle(-x);
        }
    }
    fn translate_left(&self, _g: &[f64], v: &[f64], out: &mut [f64]) {
        out.copy_from_slice(v);
    }
    fn translate_right(&self, v: &[f64], _g: &[f64], out: &mut [f64]) {
        out.copy_from_slice(v);
    }
}

/// The direct product `G₁ × … × G_k` of groups: every operation factor by factor.
///
/// # Panics
/// Every method panics if some factor is not a Lie group ([`Manifold::as_lie_group`] returns
/// `None`); [`Manifold::as_lie_group`] of a [`Product`] returns `Some` exactly when all factors
/// are groups.
impl LieGroup for Product {
    fn identity(&self, out: &mut [f64]) {
        for (i, f) in self.factors().iter().enumerate() {
            factor_group(f.as_ref()).identity(&mut out[self.factor_range(i)]);
        }
    }
    fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        for (i, f) in self.factors().iter().enumerate() {
            let r = self.factor_range(i);
            factor_group(f.as_ref()).compose(&a[r.clone()], &b[r.clone()], &mut out[r]);
        }
    }
    fn inverse(&self, a: &[f64], out: &mut [f64]) {
        for (i, f) in self.factors().iter().enumerate() {
            let r = self.factor_range(i);
            factor_group(f.as_ref()).inverse(&a[r.clone()], &mut out[r]);
        }
    }
    fn translate_left(&self, g: &[f64], v: &[f64], out: &mut [f64]) {
        for (i, f) in self.factors().iter().enumerate() {
            let r = self.factor_range(i);
            factor_group(f.as_ref()).translate_left(&g[r.clone()], &v[r.clone()], &mut out[r]);
        }
    }
    fn translate_right(&self, v: &[f64], g: &[f64], out: &mut [f64]) {
        for (i, f) in self.factors().iter().enumerate() {
            let r = self.factor_range(i);
            factor_group(f.as_ref()).translate_right(&v[r.clone()], &g[r.clone()], &mut out[r]);
        }
    }
}

fn factor_group(f: &dyn Manifold) -> &dyn LieGroup {
    f.as_lie_group()
        .unwrap_or_else(|| panic!("product factor {f:?} is not a Lie group"))
}

/// `Some(self)` when every factor of `product` is a Lie group (the hook of [`Product`]).
pub(super) fn product_as_lie_group(product: &Product) -> Option<&dyn LieGroup> {
    if product.factors().iter().all(|f| f.as_lie_group().is_some()) {
        Some(product)
    } else {
        None
    }
}
