//! Property tests of the `Manifold` implementations (quickcheck drives the seeds).
//!
//! Tolerances: every map here is a closed form evaluated in f64 with O(1) condition
//! number away from the cut locus, so errors are a few ulps times the dimension; we
//! allow 1e-12 (absolute, unit-scale quantities).

use quickcheck::{quickcheck, TestResult};
use riemannian_diffusion::error::Error;
use riemannian_diffusion::manifold::{check_batch, Manifold, ManifoldSpec, Sphere, Torus};
use riemannian_diffusion::random::{rng_from_seed, standard_normal, uniform, Rng};
use riemannian_diffusion::score::ScoreField;

fn manifolds() -> Vec<Box<dyn Manifold>> {
    let mut out: Vec<Box<dyn Manifold>> = Vec::new();
    for d in [1, 2, 3, 5, 16] {
        out.push(Box::new(Sphere::new(d).unwrap()));
        out.push(Box::new(Torus::new(d).unwrap()));
    }
    out
}

/// A tangent vector at `x` with norm uniform in [0, max_norm).
fn tangent(m: &dyn Manifold, x: &[f64], rng: &mut Rng, max_norm: f64) -> Vec<f64> {
    let mut v = vec![0.0; m.ambient_dim()];
    m.sample_tangent_normal(x, rng, &mut v);
    let norm = m.norm_squared(x, &v).sqrt();
    let target = max_norm * uniform(rng);
    v.iter_mut().for_each(|c| *c *= target / norm);
    v
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

quickcheck! {
    fn exp_log_round_trip(seed: u64) -> bool {
        let mut rng = rng_from_seed(seed);
        manifolds().iter().all(|m| {
            let n = m.ambient_dim();
            let mut x = vec![0.0; n];
            m.sample_uniform(&mut rng, &mut x);
            // Stay away from the cut locus (|v| < π on spheres; each torus angle < π when |v| < π).
            let v = tangent(m.as_ref(), &x, &mut rng, 3.0);
            let (mut y, mut w) = (vec![0.0; n], vec![0.0; n]);
            m.exp(&x, &v, &mut y);
            m.log(&x, &y, &mut w);
            m.check_point(&y, 1e-12).is_ok()
                && max_abs_diff(&v, &w) < 1e-10
                && (m.distance(&x, &y) - m.norm_squared(&x, &v).sqrt()).abs() < 1e-10
        })
    }

    fn projection_is_idempotent_and_tangent(seed: u64) -> bool {
        let mut rng = rng_from_seed(seed);
        manifolds().iter().all(|m| {
            let n = m.ambient_dim();
            let mut x = vec![0.0; n];
            m.sample_uniform(&mut rng, &mut x);
            let v: Vec<f64> = (0..n).map(|_| standard_normal(&mut rng)).collect();
            let (mut p, mut pp) = (vec![0.0; n], vec![0.0; n]);
            m.project_tangent(&x, &v, &mut p);
            m.project_tangent(&x, &p, &mut pp);
            // The projection of v is orthogonal to v - P v in the metric.
            let residual: Vec<f64> = v.iter().zip(&p).map(|(a, b)| a - b).collect();
            let orth = if matches!(m.spec(), ManifoldSpec::Sphere(_)) { m.inner(&x, &residual, &p).abs() } else { 0.0 };
            max_abs_diff(&p, &pp) < 1e-12 && orth < 1e-12
        })
    }

    fn distance_is_symmetric_and_nonnegative(seed: u64) -> bool {
        let mut rng = rng_from_seed(seed);
        manifolds().iter().all(|m| {
            let n = m.ambient_dim();
            let (mut x, mut y) = (vec![0.0; n], vec![0.0; n]);
            m.sample_uniform(&mut rng, &mut x);
            m.sample_uniform(&mut rng, &mut y);
            let (dxy, dyx) = (m.distance(&x, &y), m.distance(&y, &x));
            (dxy - dyx).abs() < 1e-12 && dxy >= 0.0 && m.distance(&x, &x) < 1e-12
        })
    }

    fn samples_lie_on_the_manifold(seed: u64) -> bool {
        let mut rng = rng_from_seed(seed);
        manifolds().iter().all(|m| {
            let mut batch = vec![0.0; 50 * m.ambient_dim()];
            for row in batch.chunks_exact_mut(m.ambient_dim()) {
                m.sample_uniform(&mut rng, row);
            }
            matches!(check_batch(m.as_ref(), &batch, 1e-12), Ok(50))
        })
    }

    fn tangent_basis_is_orthonormal(seed: u64) -> TestResult {
        let mut rng = rng_from_seed(seed);
        for m in manifolds() {
            let (d, n) = (m.dim(), m.ambient_dim());
            let mut x = vec![0.0; n];
            m.sample_uniform(&mut rng, &mut x);
            let mut basis = vec![0.0; d * n];
            m.tangent_basis(&x, &mut basis);
            let mut projected = vec![0.0; n];
            for i in 0..d {
                let ei = &basis[i * n..(i + 1) * n];
                m.project_tangent(&x, ei, &mut projected);
                if max_abs_diff(ei, &projected) > 1e-12 {
                    return TestResult::error(format!("{}: basis vector {i} not tangent", m.spec()));
                }
                for j in 0..d {
                    let g = m.inner(&x, ei, &basis[j * n..(j + 1) * n]);
                    let expected = if i == j { 1.0 } else { 0.0 };
                    if (g - expected).abs() > 1e-12 {
                        return TestResult::error(format!("{}: <e{i}, e{j}> = {g}", m.spec()));
                    }
                }
            }
        }
        TestResult::passed()
    }
}

#[test]
fn log_volumes_match_closed_forms() {
    use std::f64::consts::PI;
    let cases: [(Box<dyn Manifold>, f64); 5] = [
        (Box::new(Sphere::new(1).unwrap()), 2.0 * PI),
        (Box::new(Sphere::new(2).unwrap()), 4.0 * PI),
        (Box::new(Sphere::new(3).unwrap()), 2.0 * PI * PI),
        (Box::new(Sphere::new(4).unwrap()), 8.0 * PI * PI / 3.0),
        (Box::new(Torus::new(2).unwrap()), 4.0 * PI * PI),
    ];
    for (m, volume) in cases {
        assert!(
            (m.log_volume() - volume.ln()).abs() < 1e-13,
            "{}: {} vs {}",
            m.spec(),
            m.log_volume(),
            volume.ln()
        );
    }
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
