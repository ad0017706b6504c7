//! Group-specific checks the generic law suite (`tests/laws.rs`) does not make: the double-cover
//! volume relation, the SO(3) rotation angle, cut-locus logarithms, eigen-angle stability,
//! Haar moments, product dimensions and error messages. Round trips, projections, bases,
//! distances, uniform samples, volumes and the group axioms of every group are laws of that
//! suite.
//!
//! Tolerances. Points and tangent vectors are O(1); exp uses Padé-13 (forward error a few ulps
//! for skew/anti-Hermitian arguments), log uses the eigen-angle algorithm whose residual is
//! `O(n·u/τ)` with `τ ≥ 1/(2n)` (see `linalg::unitary`), i.e. `≲ 2n²·u ≈ 1e-14` for n ≤ 5.

use riemannian_diffusion::error::Error;
use riemannian_diffusion::linalg::{expm_real_into, rodrigues};
use riemannian_diffusion::manifold::{
    CompactGroup, Manifold, ManifoldSpec, Product, SpecialOrthogonal, SpecialUnitary, Unitary,
};
use riemannian_diffusion::random::{rng_from_seed, Rng};
use std::f64::consts::PI;
use std::sync::Arc;

fn uniform_point(m: &dyn Manifold, rng: &mut Rng) -> Vec<f64> {
    let mut x = vec![0.0; m.ambient_dim()];
    m.sample_uniform(rng, &mut x);
    x
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Independent check of Vol SU(2) = 4√2π² and Vol SO(3) = 8π²: SU(2) → SO(3) is a 2-fold
/// cover, and with Frobenius on su(2) vs ½tr on so(3) the adjoint map scales lengths by √2
/// (the generator iσ_z/√2 of unit Frobenius norm rotates by angle √2·t). So
/// Vol SU(2) = 2·Vol SO(3)/(√2)³.
#[test]
fn su2_and_so3_volumes_are_consistent_with_the_double_cover() {
    let su2 = SpecialUnitary::new(2).unwrap().log_volume();
    let so3 = SpecialOrthogonal::new(3).unwrap().log_volume();
    assert!((su2 - (2f64.ln() + so3 - 1.5 * 2f64.ln())).abs() < 1e-13);
}

#[test]
fn so3_distance_is_the_rotation_angle_including_the_cut_locus() {
    let m = SpecialOrthogonal::new(3).unwrap();
    let id = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let axis = [0.48, -0.6, 0.64]; // unit
    for theta in [1e-12, 1e-6, 0.5, 2.0, PI - 1e-6, PI - 1e-12, PI] {
        let r = rodrigues([axis[0] * theta, axis[1] * theta, axis[2] * theta]);
        assert!(
            (m.distance(&id, &r) - theta).abs() < 1e-14 * theta.max(1.0),
            "θ = {theta}"
        );
        let mut v = [0.0; 9];
        m.log(&id, &r, &mut v);
        assert!(
            (m.norm_squared(&id, &v).sqrt() - theta).abs() < 1e-12,
            "θ = {theta}"
        );
        let mut back = [0.0; 9];
        m.exp(&id, &v, &mut back);
        assert!(
            max_abs_diff(&back, &r) < 1e-12,
            "θ = {theta}: {}",
            max_abs_diff(&back, &r)
        );
        assert!((m.maximal_torus_coordinates(&r)[0] - theta).abs() < 1e-12);
    }
}

#[test]
fn cut_locus_logs_of_minus_identity() {
    // SO(4): −I = diag(R(π), R(π)): distance π√2, a real skew log with exp = −I.
    let so4 = SpecialOrthogonal::new(4).unwrap();
    let id: Vec<f64> = (0..16)
        .map(|k| if k % 5 == 0 { 1.0 } else { 0.0 })
        .collect();
    let minus: Vec<f64> = id.iter().map(|a| -a).collect();
    assert!((so4.distance(&id, &minus) - PI * 2f64.sqrt()).abs() < 1e-14);
    let mut v = vec![0.0; 16];
    so4.log(&id, &minus, &mut v);
    let mut back = vec![0.0; 16];
    expm_real_into(&mut back, &v, 4);
    assert!(max_abs_diff(&back, &minus) < 1e-14);
    assert_eq!(so4.maximal_torus_coordinates(&minus), vec![PI, PI]);
    assert_eq!(so4.maximal_torus_coordinates(&id), vec![0.0, 0.0]);
    // SU(2): −I has traceless angles (π, −π) and distance π√2; U(2): angles (π, π).
    let su2 = SpecialUnitary::new(2).unwrap();
    let u2 = Unitary::new(2).unwrap();
    let idc = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    let minusc: Vec<f64> = idc.iter().map(|a| -a).collect();
    assert_eq!(su2.maximal_torus_coordinates(&minusc), vec![PI, -PI]);
    assert_eq!(u2.maximal_torus_coordinates(&minusc), vec![PI, PI]);
    assert!((su2.distance(&idc, &minusc) - PI * 2f64.sqrt()).abs() < 1e-14);
    let mut w = vec![0.0; 8];
    su2.log(&idc, &minusc, &mut w);
    let mut back = vec![0.0; 8];
    su2.exp(&idc, &w, &mut back);
    assert!(max_abs_diff(&back, &minusc) < 1e-14);
    // SU(3): e^{2πi/3} I, angles lifted to (2π/3, 2π/3, −4π/3).
    let su3 = SpecialUnitary::new(3).unwrap();
    let z = (2.0 * PI / 3.0).sin_cos();
    let mut x = vec![0.0; 18];
    for k in 0..3 {
        x[2 * (4 * k)] = z.1;
        x[2 * (4 * k) + 1] = z.0;
    }
    su3.check_point(&x, 1e-14).unwrap();
    let t = su3.maximal_torus_coordinates(&x);
    assert!(
        max_abs_diff(&t, &[2.0 * PI / 3.0, 2.0 * PI / 3.0, -4.0 * PI / 3.0]) < 1e-14,
        "{t:?}"
    );
}

#[test]
fn eigen_angles_of_conjugated_torus_elements() {
    // x = g exp(H) gᴴ for Haar g: the torus coordinates recover H (sorted), including repeats.
    let mut rng = rng_from_seed(3);
    let u3 = Unitary::new(3).unwrap();
    let mut worst = 0.0f64;
    // Includes adversarial spectra for the algorithm of `linalg::unitary`: θ₁ + θ₂ = 2φ₁ = 1.8
    // (collision of the first Hermitian function), near-degenerate triples, near-cut pairs.
    for angles in [
        [0.0, 0.0, 0.0],
        [1.0, 1.0, -2.5],
        [PI, 0.3, 0.3],
        [3.0, -3.0, 1e-9],
        [1.9, -0.1, 2.5],
        [1.9, -0.1 + 1e-9, 0.4],
        [0.5, 0.5 + 1e-9, 0.5 - 1e-9],
        [PI - 1e-12, -PI + 1e-11, 0.0],
    ] {
        let g = uniform_point(&u3, &mut rng);
        // v = g·diag(iθ) at g, then y = exp_g(v) = g e^{iθ}, and x = y gᴴ via log/exp at identity.
        let mut h = vec![0.0; 18];
        for k in 0..3 {
            h[2 * (4 * k) + 1] = angles[k];
        }
        let id = [
            1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0,
            0.0,
        ];
        let mut d = vec![0.0; 18];
        u3.exp(&id, &h, &mut d);
        let x = conjugate(&g, &d, 3);
        let mut t = u3.maximal_torus_coordinates(&x);
        let mut expected = angles.to_vec();
        expected.sort_by(|a, b| b.total_cmp(a));
        t.iter_mut().zip(&expected).for_each(|(a, e)| {
            if (*a - e).abs() > PI {
                *a -= 2.0 * PI * (*a - e).signum();
            }
        });
        worst = worst.max(max_abs_diff(&t, &expected));
    }
    println!("worst eigen-angle error of conjugated torus elements: {worst:.1e}");
    assert!(worst < 1e-13, "{worst:e}");
    // SO(5) block repeats.
    let so5 = SpecialOrthogonal::new(5).unwrap();
    let mut q = vec![0.0; 25];
    let (s, c) = 1.2f64.sin_cos();
    for b in 0..2 {
        let o = 2 * b;
        q[o * 5 + o] = c;
        q[o * 5 + o + 1] = -s;
        q[(o + 1) * 5 + o] = s;
        q[(o + 1) * 5 + o + 1] = c;
    }
    q[24] = 1.0;
    let g = uniform_point(&so5, &mut rng);
    let x = conjugate_real(&g, &q, 5);
    let t = so5.maximal_torus_coordinates(&x);
    assert!(max_abs_diff(&t, &[1.2, 1.2]) < 1e-13, "{t:?}");
}

/// `g d gᴴ` for interleaved complex n×n matrices.
fn conjugate(g: &[f64], d: &[f64], n: usize) -> Vec<f64> {
    let c = |m: &[f64], i: usize, j: usize| (m[2 * (i * n + j)], m[2 * (i * n + j) + 1]);
    let mul = |a: (f64, f64), b: (f64, f64)| (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0);
    let mut out = vec![0.0; 2 * n * n];
    for i in 0..n {
        for j in 0..n {
            let mut s = (0.0, 0.0);
            for k in 0..n {
                for l in 0..n {
                    let gjl = c(g, j, l);
                    let t = mul(mul(c(g, i, k), c(d, k, l)), (gjl.0, -gjl.1));
                    s = (s.0 + t.0, s.1 + t.1);
                }
            }
            out[2 * (i * n + j)] = s.0;
            out[2 * (i * n + j) + 1] = s.1;
        }
    }
    out
}

fn conjugate_real(g: &[f64], q: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            let mut s = 0.0;
            for k in 0..n {
                for l in 0..n {
                    s += g[i * n + k] * q[k * n + l] * g[j * n + l];
                }
            }
            out[i * n + j] = s;
        }
    }
    out
}

/// Haar moments by Schur orthogonality / invariant theory: for the defining representation V,
/// `E[tr g] = 0` (V has no invariant vector) and `E[|tr g|²] = dim Hom_G(V, V) = 1` for U(n),
/// SU(n) (n ≥ 2) and SO(n) (n ≥ 3; real characters); SO(2) has `E[(2cos θ)²] = 2`, U(1) has
/// `E[|e^{iθ}|²] = 1`. Checked within 5 standard errors of 4000 samples.
#[test]
fn haar_sampling_moments() {
    let cases: Vec<(Box<dyn Manifold>, usize, bool, f64)> = vec![
        (Box::new(SpecialOrthogonal::new(2).unwrap()), 2, false, 2.0),
        (Box::new(SpecialOrthogonal::new(3).unwrap()), 3, false, 1.0),
        (Box::new(SpecialOrthogonal::new(5).unwrap()), 5, false, 1.0),
        (Box::new(Unitary::new(1).unwrap()), 1, true, 1.0),
        (Box::new(Unitary::new(3).unwrap()), 3, true, 1.0),
        (Box::new(SpecialUnitary::new(2).unwrap()), 2, true, 1.0),
        (Box::new(SpecialUnitary::new(3).unwrap()), 3, true, 1.0),
    ];
    let samples = 4000;
    for (m, n, complex, second) in cases {
        let mut rng = rng_from_seed(11);
        let (mut tr_re, mut tr_im, mut abs2) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..samples {
            let x = uniform_point(m.as_ref(), &mut rng);
            let (mut re, mut im) = (0.0, 0.0);
            for i in 0..n {
                if complex {
                    re += x[2 * (i * n + i)];
                    im += x[2 * (i * n + i) + 1];
                } else {
                    re += x[i * n + i];
                }
            }
            tr_re.push(re);
            tr_im.push(im);
            abs2.push(re * re + im * im);
        }
        for (what, data, expected) in [
            ("Re tr g", &tr_re, 0.0),
            ("Im tr g", &tr_im, 0.0),
            ("|tr g|²", &abs2, second),
        ] {
            let mean = data.iter().sum::<f64>() / samples as f64;
            let var = data.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (samples - 1) as f64;
            let se = (var / samples as f64).sqrt().max(1e-300);
            if !complex && what == "Im tr g" {
                continue;
            }
            assert!(
                (mean - expected).abs() < 5.0 * se,
                "{}: E[{what}] = {mean} ± {se}, expected {expected}",
                m.spec()
            );
        }
    }
}

#[test]
fn product_names_dims_and_blocks() {
    let p = Product::power(Arc::new(SpecialUnitary::new(3).unwrap()), 4).unwrap();
    let su3 = ManifoldSpec::Group(CompactGroup::SpecialUnitary(3));
    assert_eq!(p.spec(), su3.power(4).unwrap());
    assert_eq!(p.spec().to_string(), "su:3^4");
    assert_eq!(p.dim(), 32);
    assert_eq!(p.ambient_dim(), 72);
    let mixed = Product::new(vec![
        Arc::new(SpecialOrthogonal::new(3).unwrap()),
        Arc::new(Unitary::new(1).unwrap()),
    ])
    .unwrap();
    assert_eq!(
        mixed.spec(),
        ManifoldSpec::Product(vec![
            ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3)),
            ManifoldSpec::Group(CompactGroup::Unitary(1)),
        ])
    );
    assert_eq!(mixed.spec().to_string(), "so:3*u:1");
    assert!(Product::new(vec![]).is_err());
    assert!(Product::power(Arc::new(Unitary::new(1).unwrap()), 0).is_err());
    let mut bad = vec![0.0; 11];
    bad[0] = 1.0;
    bad[4] = 1.0;
    bad[8] = 1.0;
    bad[9] = 2.0; // |z| = 2 in the U(1) factor
    let err = mixed.check_point(&bad, 1e-6).unwrap_err();
    assert!(err.to_string().contains("factor 1"), "{err}");
}

#[test]
fn bad_points_are_rejected_with_clear_errors() {
    assert!(SpecialOrthogonal::new(1).is_err());
    assert!(SpecialUnitary::new(1).is_err());
    assert!(Unitary::new(0).is_err());
    let so3 = SpecialOrthogonal::new(3).unwrap();
    let reflection = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, -1.0];
    let err = so3.check_point(&reflection, 1e-6).unwrap_err();
    assert!(err.to_string().contains("det x = -1"), "{err}");
    let scaled = [2.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let err = so3.check_point(&scaled, 1e-6).unwrap_err();
    assert!(err.to_string().contains("not orthogonal"), "{err}");
    let err = so3.check_point(&[f64::NAN; 9], 1e-6).unwrap_err();
    assert!(matches!(err, Error::NonFinite { .. }), "{err}");
    let err = so3.check_point(&[1.0; 4], 1e-6).unwrap_err();
    assert!(
        matches!(
            err,
            Error::DimensionMismatch {
                expected: 9,
                found: 4,
                ..
            }
        ),
        "{err}"
    );
    // diag(i, 1) is unitary but has det i: fine for U(2), rejected by SU(2).
    let x = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0];
    assert!(Unitary::new(2).unwrap().check_point(&x, 1e-12).is_ok());
    let err = SpecialUnitary::new(2)
        .unwrap()
        .check_point(&x, 1e-6)
        .unwrap_err();
    assert!(err.to_string().contains("det x"), "{err}");
    let err = Unitary::new(2)
        .unwrap()
        .check_point(&[1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 1e-6)
        .unwrap_err();
    assert!(err.to_string().contains("not unitary"), "{err}");
}
