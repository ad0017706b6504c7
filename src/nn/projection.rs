//! The curvature term of a tangent projection `P_x` for exact divergences, and a numerical
//! check of a manifold's declared [`TangentProjection`].
//!
//! A manifold declares the form of its projection ([`Manifold::tangent_projection`]; the enum
//! and the formulas are documented at [`TangentProjection`]); this module evaluates the
//! curvature term `Σ_i ⟨e_i, (D_{e_i} P) y⟩` of each form and can classify a projection by
//! probing it ([`TangentProjection::probe`]), which the tests use to check every declaration.

use crate::manifold::Manifold;
pub use crate::manifold::TangentProjection;
use crate::random::{fill_standard_normal, rng_from_seed};

impl TangentProjection {
    /// Classifies `manifold.project_tangent` by probing it at three fixed pseudo-random points
    /// with three random vectors each (seeded, so the result is reproducible): `Identity` if it
    /// returns its input, `Radial` if it matches `v − ⟨x, v⟩ x` on unit-norm points, both to
    /// 1e-12 relative; `MinimalInSphere` if `|x|` is the same at the probe points (1e-12) and
    /// the central-difference curvature covector matches `−(d/|x|²) x` to 1e-7 relative (its
    /// own error is ≈ 1e-10, a non-minimal embedding misses by O(1)); `Generic` otherwise
    /// (e.g. products of factors on spheres of different radii).
    pub fn probe(manifold: &dyn Manifold) -> Self {
        let n = manifold.ambient_dim();
        let mut rng = rng_from_seed(0x7a6e_6765_6e74);
        let (mut x, mut v, mut out) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        let (mut identity, mut radial) = (true, true);
        for _ in 0..3 {
            manifold.sample_uniform(&mut rng, &mut x);
            let norm_x: f64 = x.iter().map(|a| a * a).sum::<f64>().sqrt();
            radial &= (norm_x - 1.0).abs() <= 1e-12;
            for _ in 0..3 {
                fill_standard_normal(&mut rng, &mut v);
                manifold.project_tangent(&x, &v, &mut out);
                let scale = 1.0 + v.iter().map(|a| a.abs()).sum::<f64>();
                let xv: f64 = x.iter().zip(&v).map(|(a, b)| a * b).sum();
                let err_identity: f64 = out.iter().zip(&v).map(|(o, a)| (o - a).abs()).sum();
                let err_radial: f64 = (0..n).map(|j| (out[j] - (v[j] - xv * x[j])).abs()).sum();
                identity &= err_identity <= 1e-12 * scale;
                radial &= err_radial <= 1e-12 * scale;
            }
        }
        if identity {
            TangentProjection::Identity
        } else if radial {
            TangentProjection::Radial
        } else if Self::is_minimal_in_sphere(manifold) {
            TangentProjection::MinimalInSphere
        } else {
            TangentProjection::Generic
        }
    }

    /// The numerical test of [`TangentProjection::MinimalInSphere`] (see [`Self::probe`]).
    fn is_minimal_in_sphere(manifold: &dyn Manifold) -> bool {
        let (d, n) = (manifold.dim(), manifold.ambient_dim());
        let mut rng = rng_from_seed(0x006d_696e_696d_616c);
        let (mut x, mut basis, mut scratch, mut c) = (
            vec![0.0; n],
            vec![0.0; d * n],
            vec![0.0; 4 * n],
            vec![0.0; n],
        );
        let mut radius_sq: Option<f64> = None;
        for _ in 0..3 {
            manifold.sample_uniform(&mut rng, &mut x);
            let r2: f64 = x.iter().map(|a| a * a).sum();
            if r2.is_nan() || r2 <= 0.0 {
                return false;
            }
            match radius_sq {
                Some(r) if (r - r2).abs() > 1e-12 * r => return false,
                _ => radius_sq = Some(r2),
            }
            manifold.tangent_basis(&x, &mut basis);
            TangentProjection::Generic.curvature_covector(
                manifold,
                &x,
                &basis,
                &mut scratch,
                &mut c,
            );
            let kappa = d as f64 / r2;
            let err: f64 = c.iter().zip(&x).map(|(a, b)| (a + kappa * b).powi(2)).sum();
            let scale: f64 = c.iter().map(|a| a * a).sum();
            if err.sqrt() > 1e-7 * scale.sqrt().max(1e-300) {
                return false;
            }
        }
        true
    }

    /// The curvature term `Σ_i ⟨e_i, (D_{e_i} P) y⟩` at `x` for a fixed ambient vector `y`,
    /// given the orthonormal tangent basis `basis` (`dim` rows of `ambient_dim`) at `x`.
    /// `scratch` must hold `4·ambient_dim` reals.
    pub fn curvature_term(
        self,
        manifold: &dyn Manifold,
        x: &[f64],
        y: &[f64],
        basis: &[f64],
        scratch: &mut [f64],
    ) -> f64 {
        let n = manifold.ambient_dim();
        match self {
            TangentProjection::Identity => 0.0,
            TangentProjection::Radial => {
                let xy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
                let trace: f64 = basis.chunks_exact(n).map(|e| manifold.inner(x, e, e)).sum();
                -xy * trace
            }
            TangentProjection::MinimalInSphere => {
                let (xy, r2) = x
                    .iter()
                    .zip(y)
                    .fold((0.0, 0.0), |(xy, r2), (a, b)| (xy + a * b, r2 + a * a));
                -((basis.len() / n) as f64) / r2 * xy
            }
            TangentProjection::Generic => {
                let h = 1e-5;
                let (step, rest) = scratch.split_at_mut(n);
                let (moved, rest) = rest.split_at_mut(n);
                let (plus, rest) = rest.split_at_mut(n);
                let minus = &mut rest[..n];
                let mut total = 0.0;
                for e in basis.chunks_exact(n) {
                    for (s, &a) in step.iter_mut().zip(e) {
                        *s = h * a;
                    }
                    manifold.exp(x, step, moved);
                    manifold.project_tangent(moved, y, plus);
                    step.iter_mut().for_each(|s| *s = -*s);
                    manifold.exp(x, step, moved);
                    manifold.project_tangent(moved, y, minus);
                    for (p, &m) in plus.iter_mut().zip(minus.iter()) {
                        *p = (*p - m) / (2.0 * h);
                    }
                    total += manifold.inner(x, e, plus);
                }
                total
            }
        }
    }
    /// The curvature term as a covector: writes `c` with
    /// `Σ_i ⟨e_i, (D_{e_i} P) y⟩_x = c · y` (Euclidean dot) for every ambient `y`, given the
    /// orthonormal tangent basis `basis` at `x`. Every manifold of this crate (products
    /// included) has a constant metric that is a multiple `k` of the Euclidean one on each
    /// factor, and its basis vectors lie in one factor each, so `P` and its derivatives are
    /// Euclidean-symmetric and `c = Σ_i k_i (D_{e_i} P) e_i`, `k_i = ⟨e_i, e_i⟩_x / |e_i|²`. Exact for [`TangentProjection::Identity`] (`c = 0`),
    /// [`TangentProjection::Radial`] (`c = −d·x`) and [`TangentProjection::MinimalInSphere`]
    /// (`c = −(d/|x|²)·x`); [`TangentProjection::Generic`] uses the
    /// central difference of [`TangentProjection::curvature_term`] (`h = 1e-5`, error
    /// `O(h²) + O(ε/h) ≈ 1e-10`), `2d` exponentials and projections. This lets a loss add the
    /// term to a tape as the row dot product of the network output with a constant.
    /// `scratch` must hold `4·ambient_dim` reals; `out` has `ambient_dim` entries.
    pub fn curvature_covector(
        self,
        manifold: &dyn Manifold,
        x: &[f64],
        basis: &[f64],
        scratch: &mut [f64],
        out: &mut [f64],
    ) {
        let n = manifold.ambient_dim();
        out.iter_mut().for_each(|c| *c = 0.0);
        match self {
            TangentProjection::Identity => {}
            TangentProjection::Radial => {
                let trace: f64 = basis.chunks_exact(n).map(|e| manifold.inner(x, e, e)).sum();
                for (c, &a) in out.iter_mut().zip(x) {
                    *c = -trace * a;
                }
            }
            TangentProjection::MinimalInSphere => {
                let r2: f64 = x.iter().map(|a| a * a).sum();
                let kappa = (basis.len() / n) as f64 / r2;
                for (c, &a) in out.iter_mut().zip(x) {
                    *c = -kappa * a;
                }
            }
            TangentProjection::Generic => {
                let h = 1e-5;
                let (step, rest) = scratch.split_at_mut(n);
                let (moved, rest) = rest.split_at_mut(n);
                let (plus, rest) = rest.split_at_mut(n);
                let minus = &mut rest[..n];
                for e in basis.chunks_exact(n) {
                    let euclid: f64 = e.iter().map(|a| a * a).sum();
                    let k = manifold.inner(x, e, e) / euclid;
                    for (s, &a) in step.iter_mut().zip(e) {
                        *s = h * a;
                    }
                    manifold.exp(x, step, moved);
                    manifold.project_tangent(moved, e, plus);
                    step.iter_mut().for_each(|s| *s = -*s);
                    manifold.exp(x, step, moved);
                    manifold.project_tangent(moved, e, minus);
                    for ((c, &p), &m) in out.iter_mut().zip(plus.iter()).zip(minus.iter()) {
                        *c += k * (p - m) / (2.0 * h);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::{Sphere, Torus};
    use std::sync::Arc;

    #[test]
    fn probe_classifies_groups_as_minimal_and_products_as_generic() {
        use crate::manifold::{Product, SpecialOrthogonal, SpecialUnitary, Unitary};
        for m in [
            Box::new(SpecialOrthogonal::new(3).unwrap()) as Box<dyn Manifold>,
            Box::new(SpecialOrthogonal::new(4).unwrap()),
            Box::new(SpecialUnitary::new(2).unwrap()),
            Box::new(SpecialUnitary::new(3).unwrap()),
            Box::new(Unitary::new(2).unwrap()),
        ] {
            assert_eq!(
                TangentProjection::probe(m.as_ref()),
                TangentProjection::MinimalInSphere,
                "{}",
                m.spec()
            );
        }
        let product = Product::new(vec![
            Arc::new(SpecialOrthogonal::new(3).unwrap()),
            Arc::new(Sphere::new(2).unwrap()),
        ])
        .unwrap();
        assert_eq!(
            TangentProjection::probe(&product),
            TangentProjection::Generic
        );
    }

    #[test]
    fn probe_classifies_sphere_and_torus() {
        assert_eq!(
            TangentProjection::probe(&Sphere::new(2).unwrap()),
            TangentProjection::Radial
        );
        assert_eq!(
            TangentProjection::probe(&Torus::new(3).unwrap()),
            TangentProjection::Identity
        );
    }

    /// The covector form `c·y` against `curvature_term(y)` on every projection class: the
    /// same central differences (Generic) or the same formula, so agreement to round-off of
    /// the differences (≈ ε/h · |y| ≈ 1e-11).
    #[test]
    fn curvature_covector_matches_curvature_term() {
        use crate::manifold::{SpecialOrthogonal, SpecialUnitary};
        let manifolds: Vec<Box<dyn Manifold>> = vec![
            Box::new(Sphere::new(3).unwrap()),
            Box::new(Torus::new(2).unwrap()),
            Box::new(SpecialOrthogonal::new(3).unwrap()),
            Box::new(SpecialUnitary::new(2).unwrap()),
        ];
        let mut rng = rng_from_seed(8);
        for m in manifolds {
            let (d, n) = (m.dim(), m.ambient_dim());
            let class = TangentProjection::probe(m.as_ref());
            let (mut x, mut y, mut basis, mut scratch, mut c) = (
                vec![0.0; n],
                vec![0.0; n],
                vec![0.0; d * n],
                vec![0.0; 4 * n],
                vec![0.0; n],
            );
            for _ in 0..3 {
                m.sample_uniform(&mut rng, &mut x);
                fill_standard_normal(&mut rng, &mut y);
                m.tangent_basis(&x, &mut basis);
                let term = class.curvature_term(m.as_ref(), &x, &y, &basis, &mut scratch);
                class.curvature_covector(m.as_ref(), &x, &basis, &mut scratch, &mut c);
                let dot: f64 = c.iter().zip(&y).map(|(a, b)| a * b).sum();
                assert!(
                    (term - dot).abs() < 1e-9 * (1.0 + term.abs()),
                    "{}: {term} vs {dot}",
                    m.spec()
                );
            }
        }
    }

    #[test]
    fn generic_curvature_matches_radial_formula_on_sphere() {
        let m = Sphere::new(3).unwrap();
        let mut rng = rng_from_seed(5);
        let (mut x, mut y, mut basis, mut scratch) =
            (vec![0.0; 4], vec![0.0; 4], vec![0.0; 12], vec![0.0; 16]);
        m.sample_uniform(&mut rng, &mut x);
        fill_standard_normal(&mut rng, &mut y);
        m.tangent_basis(&x, &mut basis);
        let exact = TangentProjection::Radial.curvature_term(&m, &x, &y, &basis, &mut scratch);
        let fd = TangentProjection::Generic.curvature_term(&m, &x, &y, &basis, &mut scratch);
        // Central difference with h = 1e-5: truncation ~h²|y| ≈ 1e-10, round-off ~ε|y|/h ≈ 1e-11.
        assert!(
            (exact - fd).abs() < 1e-8 * (1.0 + exact.abs()),
            "{exact} vs {fd}"
        );
    }
}
