//! The tangent projection `P_x` of a manifold, classified for exact divergences.

use crate::manifold::Manifold;
use crate::random::{fill_standard_normal, rng_from_seed};

/// The form of a manifold's orthogonal tangent projection `P_x` in ambient coordinates, as far
/// as the divergence of a projected field `P_x Y(x)` needs it.
///
/// On an embedded submanifold with the induced metric, the covariant derivative of a tangent
/// field is the tangential part of its ambient derivative, so for an orthonormal tangent basis
/// `e_i` at `x`
///
/// $$ \mathrm{div}(P Y)(x) = Σ_i ⟨e_i, J_Y e_i⟩ + Σ_i ⟨e_i, (D_{e_i} P) Y⟩, $$
///
/// with `J_Y` the ambient Jacobian of `Y`. The second (curvature) term is what this type
/// evaluates: zero for [`TangentProjection::Identity`]; `−d ⟨x, Y⟩` for
/// [`TangentProjection::Radial`] (`P_x v = v − ⟨x, v⟩ x` gives
/// `(D_e P) Y = −⟨e, Y⟩ x − ⟨x, Y⟩ e`, and `⟨e_i, x⟩ = 0`); and for
/// [`TangentProjection::Generic`] a central difference of `P` along geodesics with
/// `h = 1e-5` (no network evaluations; truncation `O(h²)`, round-off `O(ε|Y|/h) ≈ 1e-11|Y|`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TangentProjection {
    /// `P_x = I` (tori of angles).
    Identity,
    /// `P_x v = v − ⟨x, v⟩ x` with `|x| = 1` (spheres).
    Radial,
    /// Any other projection: only `Manifold::project_tangent` is used.
    Generic,
}

impl TangentProjection {
    /// Classifies `manifold.project_tangent` by probing it at three fixed pseudo-random points
    /// with three random vectors each (seeded, so the result is reproducible): `Identity` if it
    /// returns its input, `Radial` if it matches `v − ⟨x, v⟩ x` on unit-norm points, both to
    /// 1e-12 relative; `Generic` otherwise.
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
        } else {
            TangentProjection::Generic
        }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::{Sphere, Torus};

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
