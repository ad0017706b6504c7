//! Manifold checks the generic law suite (`tests/laws.rs`, `riemannian_diffusion::testing`)
//! does not make: the antipodal logarithm, the error messages for bad points, and the default
//! finite-difference divergence. Round trips, projections, distances, bases, uniform samples
//! and volumes of every manifold are laws of that suite.
//!
//! Tolerances: every map here is a closed form evaluated in f64 with O(1) condition
//! number away from the cut locus, so errors are a few ulps times the dimension.

use riemannian_diffusion::error::Error;
use riemannian_diffusion::manifold::{check_batch, Manifold, Sphere, Torus};
use riemannian_diffusion::random::{rng_from_seed, standard_normal};
use riemannian_diffusion::score::ScoreField;

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

#[test]
fn antipodal_log_has_length_pi() {
    let m = Sphere::new(2).unwrap();
    let x = [0.0, 0.0, 1.0];
    let y = [0.0, 0.0, -1.0];
    let mut v = [0.0; 3];
    m.log(&x, &y, &mut v);
    assert!((m.norm_squared(&x, &v).sqrt() - std::f64::consts::PI).abs() < 1e-14);
    let mut back = [0.0; 3];
    m.exp(&x, &v, &mut back);
    assert!(max_abs_diff(&back, &y) < 1e-14);
}

#[test]
fn bad_points_are_rejected_with_clear_errors() {
    let s2 = Sphere::new(2).unwrap();
    let err = s2.check_point(&[1.0, 1.0, 0.0], 1e-6).unwrap_err();
    assert!(matches!(err, Error::NotOnManifold { .. }), "{err}");
    assert!(err.to_string().contains("|x| = 1.414"), "{err}");
    let err = s2.check_point(&[f64::NAN, 0.0, 1.0], 1e-6).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    let err = s2.check_point(&[1.0, 0.0], 1e-6).unwrap_err();
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: 3,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    let t2 = Torus::new(2).unwrap();
    let err = t2.check_point(&[0.5, 7.0], 1e-6).unwrap_err();
    assert!(err.to_string().contains("angle 1 = 7"), "{err}");
    let err = check_batch(&s2, &[0.0, 0.0, 1.0, 0.0, 2.0, 0.0], 1e-6).unwrap_err();
    assert!(err.to_string().contains("row 1"), "{err}");
    assert!(Sphere::new(0).is_err());
    assert!(Torus::new(0).is_err());
}

/// `V(x) = P_x a` is the gradient of `f(x) = a·x` on `S^d`, and `Δ f = −d f`:
/// the default finite-difference divergence must reproduce `−d (a·x)`.
struct LinearGradientField {
    sphere: Sphere,
    a: Vec<f64>,
}

impl ScoreField for LinearGradientField {
    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }
    fn score_batch(
        &self,
        x: &[f64],
        _t: &[f64],
        out: &mut [f64],
    ) -> riemannian_diffusion::Result<()> {
        let n = self.sphere.ambient_dim();
        for (xi, oi) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            self.sphere.project_tangent(xi, &self.a, oi);
        }
        Ok(())
    }
}

#[test]
fn finite_difference_divergence_matches_laplacian_of_linear_function() {
    let mut rng = rng_from_seed(11);
    for d in [1, 2, 4] {
        let sphere = Sphere::new(d).unwrap();
        let n = d + 1;
        let a: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
        let field = LinearGradientField {
            sphere,
            a: a.clone(),
        };
        let mut x = vec![0.0; 5 * n];
        for row in x.chunks_exact_mut(n) {
            sphere.sample_uniform(&mut rng, row);
        }
        let mut div = vec![0.0; 5];
        field.divergence_batch(&x, &[1.0], &mut div).unwrap();
        for (row, dv) in x.chunks_exact(n).zip(&div) {
            let ax: f64 = row.iter().zip(&a).map(|(p, q)| p * q).sum();
            // Central differences with h = 1e-4: O(h²|a|) ≈ 1e-8 truncation.
            assert!(
                (dv + d as f64 * ax).abs() < 1e-7,
                "d={d}: {dv} vs {}",
                -(d as f64) * ax
            );
        }
    }
}
