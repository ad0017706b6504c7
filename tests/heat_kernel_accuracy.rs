//! Accuracy of the heat kernels: reference values (mpmath, `reference_data/`), normalisation
//! by quadrature, finiteness over `t ∈ [1e-8, 1e4]`, scores against finite differences,
//! symmetry and batch consistency.
//!
//! Acceptance bar (from the issue): the `Auto` kernels on `S²`, `S³` and `T²` agree with the
//! reference to `1e-8` in `log p` (i.e. `1e-8` relative in `p`) and in the score relative to
//! `max(|score|, 1)` (absolute where the score is ~0), for `t ∈ [1e-3, 10]` and
//! `θ ∈ [0, π − 1e-3]`. Measured (Nov 2026): spheres `9e-13` in `log p`, `8e-15` in the score;
//! `T²` `2e-12` and `6e-13`.

use riemannian_diffusion::heat_kernel::{
    auto_kernel, HeatKernel, SphereHeatKernel, SphereMethod, TorusHeatKernel, TorusMethod,
};
use riemannian_diffusion::manifold::{Manifold, Sphere, Torus};
use riemannian_diffusion::random::rng_from_seed;
use std::f64::consts::{PI, TAU};

const TOLERANCE: f64 = 1e-8;

/// The bar on `log p`: `1e-8`, or `4ε|log p|` where `log p` itself is huge (t = 1e-8 rows:
/// `|log p| ~ 4e8`, and `−θ²/2t` is representable only to `ε|log p|` in f64). Inside the
/// acceptance range `|log p| < 5000`, so this never exceeds `1e-8` there.
fn log_tolerance(log_p: f64) -> f64 {
    TOLERANCE.max(4.0 * f64::EPSILON * log_p.abs())
}

fn read_csv(name: &str) -> Vec<Vec<f64>> {
    let path = format!("{}/reference_data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (generate it with reference_data/generate_heat_kernel_reference.py)")
    });
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|s| {
                    if s.trim().is_empty() {
                        0.0
                    } else {
                        s.trim().parse().unwrap()
                    }
                })
                .collect()
        })
        .collect()
}

fn in_acceptance_range(t: f64, theta: f64) -> bool {
    (1e-3..=10.0).contains(&t) && theta <= PI - 1e-3 + 1e-15
}

#[test]
fn auto_sphere_kernel_matches_reference() {
    let rows = read_csv("sphere_heat_kernel.csv");
    let (mut worst_log, mut worst_score, mut checked) = (0.0f64, 0.0f64, 0);
    let (mut range_log, mut range_score) = (0.0f64, 0.0f64);
    for r in &rows {
        let (d, t, theta, log_p, dlog_p) = (r[0] as usize, r[1], r[2], r[3], r[4]);
        if d > 3 {
            continue; // d ≥ 4: Auto is exact only where the Gegenbauer series is (tested below).
        }
        let kernel = SphereHeatKernel::new(Sphere::new(d).unwrap(), SphereMethod::Auto);
        let e = kernel.log_prob_angle(theta, t).unwrap();
        let err_log = (e.log_prob - log_p).abs();
        let err_score = (e.dlog_prob_dtheta - dlog_p).abs() / dlog_p.abs().max(1.0);
        // The bar is stated for the acceptance range; the extra rows (t = 1e-8, 1e-4, 100, 1e4,
        // θ = π) are held to the same bar because they meet it (measured).
        assert!(
            err_log <= log_tolerance(log_p),
            "S^{d} t={t} θ={theta}: log p {} vs {log_p}",
            e.log_prob
        );
        assert!(
            err_score <= TOLERANCE,
            "S^{d} t={t} θ={theta}: ∂θ log p {} vs {dlog_p}",
            e.dlog_prob_dtheta
        );
        worst_log = worst_log.max(err_log);
        worst_score = worst_score.max(err_score);
        if in_acceptance_range(t, theta) {
            range_log = range_log.max(err_log);
            range_score = range_score.max(err_score);
        }
        checked += 1;
    }
    assert!(checked > 100, "only {checked} reference rows");
    println!("sphere reference, d ≤ 3: {checked} rows; acceptance range: worst |Δ log p| = {range_log:.2e}, score {range_score:.2e}; all rows: {worst_log:.2e}, {worst_score:.2e}");
}

#[test]
fn auto_torus_kernel_matches_reference() {
    let rows = read_csv("torus_heat_kernel.csv");
    let (mut worst_log, mut worst_score) = (0.0f64, 0.0f64);
    let (mut range_log, mut range_score) = (0.0f64, 0.0f64);
    for r in &rows {
        let (d, t) = (r[0] as usize, r[1]);
        let x: Vec<f64> = r[2..2 + d].to_vec();
        let (log_p, s) = (r[4], &r[5..5 + d]);
        let kernel = TorusHeatKernel::new(Torus::new(d).unwrap(), TorusMethod::Auto);
        let mut score = vec![0.0; d];
        let e = kernel.score(&vec![0.0; d], &x, t, &mut score).unwrap();
        let err_log = (e.log_prob - log_p).abs();
        assert!(
            err_log <= log_tolerance(log_p),
            "T^{d} t={t} x={x:?}: log p {} vs {log_p}",
            e.log_prob
        );
        for i in 0..d {
            let err = (score[i] - s[i]).abs() / s[i].abs().max(1.0);
            assert!(
                err <= TOLERANCE,
                "T^{d} t={t} x={x:?}: score {score:?} vs {s:?}"
            );
            worst_score = worst_score.max(err);
            if (1e-3..=10.0).contains(&t) {
                range_score = range_score.max(err);
            }
        }
        worst_log = worst_log.max(err_log);
        if (1e-3..=10.0).contains(&t) {
            range_log = range_log.max(err_log);
        }
    }
    println!("torus reference: {} rows; t ∈ [1e-3, 10]: worst |Δ log p| = {range_log:.2e}, score {range_score:.2e}; all rows: {worst_log:.2e}, {worst_score:.2e}", rows.len());
}

#[test]
fn eigen_sphere_kernel_matches_reference_where_it_does_not_cancel() {
    // The Gegenbauer series is exact; it may refuse (Error::Numerical) where it cancels, but
    // whenever it answers it must meet the bar. For d = 7 and d = 127 this is the only exact check.
    let rows = read_csv("sphere_heat_kernel.csv");
    let mut answered = 0;
    for r in &rows {
        let (d, t, theta, log_p, dlog_p) = (r[0] as usize, r[1], r[2], r[3], r[4]);
        if t < 1e-2 {
            continue; // thousands of terms: slow in the default suite, nothing new
        }
        let kernel = SphereHeatKernel::new(Sphere::new(d).unwrap(), SphereMethod::Eigen);
        if let Ok(e) = kernel.log_prob_angle(theta, t) {
            // The series refuses when its rounding estimate exceeds 1e-8 relative, so every
            // answer must meet the bar (the score relative to max(|score|, 1), as for Auto).
            let err = (e.log_prob - log_p).abs();
            assert!(
                err <= log_tolerance(log_p),
                "Eigen S^{d} t={t} θ={theta}: log p {} vs {log_p}",
                e.log_prob
            );
            let err_score = (e.dlog_prob_dtheta - dlog_p).abs() / dlog_p.abs().max(1.0);
            assert!(
                err_score <= TOLERANCE,
                "Eigen S^{d} t={t} θ={theta}: score {} vs {dlog_p}",
                e.dlog_prob_dtheta
            );
            answered += 1;
        }
    }
    assert!(answered > 50);
}

/// Composite Simpson's rule with `n` (even) intervals on `[a, b]`.
fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + h * i as f64) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[test]
fn sphere_kernels_integrate_to_one() {
    // ∫_0^π p_t(θ) Vol(S^{d−1}) sin^{d−1}θ dθ by composite Simpson with 8000 intervals
    // (h = 3.9e-4). Error ≤ π h⁴ max|f⁗|/180 ≈ π h⁴/(180 σ⁴) · O(1) with σ = √t: 2e-8 at
    // t = 1e-3 (the narrowest peak), < 1e-12 for t ≥ 1e-2; tolerances follow that bound.
    for d in 1..=3usize {
        let sphere = Sphere::new(d).unwrap();
        let area = if d == 1 {
            2.0
        } else {
            Sphere::new(d - 1).unwrap().log_volume().exp()
        };
        let kernel = SphereHeatKernel::new(sphere, SphereMethod::Auto);
        for &(t, tol) in &[
            (1e-3, 1e-7),
            (1e-2, 1e-10),
            (0.1, 1e-10),
            (0.3, 1e-10),
            (1.0, 1e-10),
            (5.0, 1e-10),
        ] {
            let f = |th: f64| {
                kernel.log_prob_angle(th.min(PI), t).unwrap().log_prob.exp()
                    * area
                    * th.sin().powi(d as i32 - 1)
            };
            let mass = simpson(f, 0.0, PI, 8000);
            assert!((mass - 1.0).abs() < tol, "S^{d} t={t}: mass {mass}");
        }
    }
}

#[test]
fn torus_kernel_integrates_to_one() {
    // Periodic trapezoidal rule on a 256×256 grid: exponentially accurate for a smooth periodic
    // integrand, error ~ e^{−2π²σ²/h²} ≈ e^{−33} at σ² = t = 0.01, h = 2π/256.
    let torus = Torus::new(2).unwrap();
    for method in [
        TorusMethod::Auto,
        TorusMethod::SumOverPaths,
        TorusMethod::Eigen,
    ] {
        let kernel = TorusHeatKernel::new(torus, method);
        for &t in &[0.01, 0.1, 1.0, 10.0] {
            if method == TorusMethod::Eigen && t < 1.0 {
                continue; // the Fourier series cancels far from x0 at small t (it reports an error)
            }
            let n = 256;
            let h = TAU / n as f64;
            let x0 = [1.0, 5.0];
            let mut mass = 0.0;
            for i in 0..n {
                for j in 0..n {
                    mass += kernel
                        .log_prob(&x0, &[h * i as f64, h * j as f64], t)
                        .unwrap()
                        .log_prob
                        .exp();
                }
            }
            mass *= h * h;
            assert!((mass - 1.0).abs() < 1e-12, "{method:?} t={t}: mass {mass}");
        }
    }
}

#[test]
fn auto_is_finite_from_tiny_to_huge_times() {
    let thetas = [
        0.0,
        1e-300,
        1e-12,
        1e-6,
        0.3,
        1.0,
        PI / 2.0,
        2.5,
        PI - 1e-6,
        PI - 1e-12,
        PI,
    ];
    for d in 1..=5usize {
        let kernel = SphereHeatKernel::new(Sphere::new(d).unwrap(), SphereMethod::Auto);
        for i in 0..=48 {
            let t = 10f64.powf(-8.0 + 12.0 * i as f64 / 48.0);
            for &theta in &thetas {
                let e = kernel.log_prob_angle(theta, t).unwrap();
                assert!(
                    e.log_prob.is_finite() && e.dlog_prob_dtheta.is_finite(),
                    "S^{d} t={t} θ={theta}: {e:?}"
                );
                // (d ≥ 4 falls back to the approximate Schwinger–DeWitt term at small t, whose
                // Van Vleck factor grows towards the cut locus: monotonicity only for exact d ≤ 3.)
                if d <= 3 {
                    assert!(
                        e.dlog_prob_dtheta <= 1e-9 * (1.0 + 1.0 / t),
                        "S^{d} t={t} θ={theta}: kernel must decrease in θ: {e:?}"
                    );
                }
            }
            // Through the point API, including x = x0 and x = −x0 exactly.
            let n = d + 1;
            let mut x0 = vec![0.0; n];
            x0[0] = 1.0;
            let antipode: Vec<f64> = x0.iter().map(|v| -v).collect();
            for x in [&x0, &antipode] {
                let mut s = vec![0.0; n];
                let e = kernel.score(&x0, x, t, &mut s).unwrap();
                assert!(
                    e.log_prob.is_finite()
                        && s.iter()
                            .all(|v| v.is_finite() && v.abs() < 1e-6 * (1.0 + 1.0 / t)),
                    "S^{d} t={t}: {s:?}"
                );
            }
        }
    }
    let kernel = TorusHeatKernel::new(Torus::new(2).unwrap(), TorusMethod::Auto);
    for i in 0..=48 {
        let t = 10f64.powf(-8.0 + 12.0 * i as f64 / 48.0);
        for &x in &[
            [0.0, 0.0],
            [PI, PI],
            [PI - 1e-12, 1e-12],
            [TAU - 1e-15, 3.0],
        ] {
            let mut s = [0.0; 2];
            let e = kernel.score(&[0.0, 0.0], &x, t, &mut s).unwrap();
            assert!(
                e.log_prob.is_finite() && s.iter().all(|v| v.is_finite()),
                "T² t={t} x={x:?}"
            );
        }
    }
}

fn random_unit(rng: &mut riemannian_diffusion::random::Rng, n: usize) -> Vec<f64> {
    let sphere = Sphere::new(n - 1).unwrap();
    let mut x = vec![0.0; n];
    sphere.sample_uniform(rng, &mut x);
    x
}

#[test]
fn sphere_score_is_the_gradient_of_log_p() {
    // Central differences along geodesics through a tangent basis: truncation h²|∂³ log p|/6,
    // rounding ε|log p|/h; with h = 1e-5 and t ≥ 0.01 both are below 1e-6 relative.
    let mut rng = rng_from_seed(11);
    for d in 2..=3usize {
        let sphere = Sphere::new(d).unwrap();
        let kernel = SphereHeatKernel::new(sphere, SphereMethod::Auto);
        let n = d + 1;
        for k in 0..60 {
            let t = [0.01, 0.05, 0.3, 1.0, 4.0][k % 5];
            let x0 = random_unit(&mut rng, n);
            let x = random_unit(&mut rng, n);
            let mut s = vec![0.0; n];
            kernel.score(&x0, &x, t, &mut s).unwrap();
            assert!(
                sphere.inner(&x, &x, &s).abs()
                    < 1e-12 * (1.0 + s.iter().map(|v| v.abs()).sum::<f64>()),
                "score not tangent"
            );
            let mut basis = vec![0.0; d * n];
            sphere.tangent_basis(&x, &mut basis);
            let h = 1e-5;
            for i in 0..d {
                let e = &basis[i * n..(i + 1) * n];
                let (mut xp, mut xm) = (vec![0.0; n], vec![0.0; n]);
                sphere.exp(&x, &e.iter().map(|v| h * v).collect::<Vec<_>>(), &mut xp);
                sphere.exp(&x, &e.iter().map(|v| -h * v).collect::<Vec<_>>(), &mut xm);
                let fd = (kernel.log_prob(&x0, &xp, t).unwrap().log_prob
                    - kernel.log_prob(&x0, &xm, t).unwrap().log_prob)
                    / (2.0 * h);
                let analytic = sphere.inner(&x, &s, e);
                let scale = s.iter().map(|v| v * v).sum::<f64>().sqrt().max(1.0);
                assert!(
                    (fd - analytic).abs() < 1e-6 * scale,
                    "S^{d} t={t}: fd {fd} vs {analytic}"
                );
            }
        }
    }
}

#[test]
fn sphere_kernel_is_symmetric_and_batches_agree() {
    let mut rng = rng_from_seed(5);
    let sphere = Sphere::new(2).unwrap();
    let kernel = auto_kernel(&sphere).unwrap();
    let rows = 700; // more than two chunks of 256
    let mut x0 = Vec::new();
    let mut x = Vec::new();
    let mut t = Vec::new();
    for i in 0..rows {
        x0.extend(random_unit(&mut rng, 3));
        x.extend(random_unit(&mut rng, 3));
        t.push(10f64.powf(-3.0 + 4.0 * i as f64 / rows as f64));
    }
    let mut lp = vec![0.0; rows];
    let mut scores = vec![0.0; 3 * rows];
    let mut lp2 = vec![0.0; rows];
    kernel.log_prob_batch(&x0, &x, &t, &mut lp).unwrap();
    kernel
        .score_batch(&x0, &x, &t, &mut scores, Some(&mut lp2))
        .unwrap();
    for i in 0..rows {
        let (a, b) = (&x0[3 * i..3 * i + 3], &x[3 * i..3 * i + 3]);
        let forward = kernel.log_prob(a, b, t[i]).unwrap().log_prob;
        let backward = kernel.log_prob(b, a, t[i]).unwrap().log_prob;
        assert_eq!(lp[i], forward);
        assert_eq!(lp2[i], forward);
        assert!((forward - backward).abs() <= 1e-12 * forward.abs().max(1.0));
        let mut s = [0.0; 3];
        kernel.score(a, b, t[i], &mut s).unwrap();
        assert_eq!(&scores[3 * i..3 * i + 3], &s);
    }
    // Broadcast x0 and t.
    let mut lp3 = vec![0.0; rows];
    kernel
        .log_prob_batch(&x0[..3], &x, &t[..1], &mut lp3)
        .unwrap();
    assert_eq!(
        lp3[7],
        kernel
            .log_prob(&x0[..3], &x[21..24], t[0])
            .unwrap()
            .log_prob
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let sphere = Sphere::new(2).unwrap();
    let kernel = SphereHeatKernel::new(sphere, SphereMethod::Auto);
    let x0 = [0.0, 0.0, 1.0];
    let mut s = [0.0; 3];
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(kernel.log_prob(&x0, &x0, t).is_err());
    }
    assert!(kernel.log_prob(&x0, &[0.0, 1.0], 1.0).is_err());
    assert!(kernel.log_prob(&x0, &[0.0, 0.0, 2.0], 1.0).is_err());
    assert!(kernel.log_prob(&x0, &[f64::NAN, 0.0, 1.0], 1.0).is_err());
    assert!(kernel.score(&x0, &x0, 1.0, &mut s[..2]).is_err());
    assert!(kernel.log_prob_angle(4.0, 1.0).is_err());
    assert!(kernel
        .log_prob_batch(&x0, &[0.0; 4], &[1.0], &mut [0.0; 1])
        .is_err());
    let torus = TorusHeatKernel::new(Torus::new(2).unwrap(), TorusMethod::Auto);
    assert!(torus.log_prob(&[0.0, 0.0], &[7.0, 0.0], 1.0).is_err());
    // Explicit methods report, rather than hide, regimes they cannot handle.
    let eigen = SphereHeatKernel::new(sphere, SphereMethod::Eigen);
    assert!(eigen.log_prob_angle(PI, 1e-3).is_err());
    let sdw = SphereHeatKernel::new(sphere, SphereMethod::SchwingerDeWitt);
    assert!(sdw.log_prob_angle(PI, 0.1).is_err());
}

#[test]
fn schwinger_dewitt_error_is_the_derived_first_correction() {
    // Leading term error on S²: log p − log p_SdW = a₁(θ) t + O(t²), a₁ = (d−1)(d−3)/8 ·
    // (θ cot θ − 1)/θ² = −(θ cot θ − 1)/(8θ²). Checks the derivation in `asymptotic`.
    let sphere = Sphere::new(2).unwrap();
    let exact = SphereHeatKernel::new(sphere, SphereMethod::Auto);
    let sdw = SphereHeatKernel::new(sphere, SphereMethod::SchwingerDeWitt);
    for &theta in &[0.0f64, 0.5, 1.0, 2.0] {
        let a1 = if theta == 0.0 {
            1.0 / 24.0
        } else {
            -(theta / theta.tan() - 1.0) / (8.0 * theta * theta)
        };
        for &t in &[1e-3, 1e-2] {
            let diff = exact.log_prob_angle(theta, t).unwrap().log_prob
                - sdw.log_prob_angle(theta, t).unwrap().log_prob;
            assert!(
                (diff - a1 * t).abs() < 0.5 * t * t,
                "θ={theta} t={t}: diff {diff} vs a₁t {}",
                a1 * t
            );
        }
    }
    // S³: the leading term is exact up to the winding paths (relative e^{−2π(π−θ)/t}).
    let s3 = Sphere::new(3).unwrap();
    let exact = SphereHeatKernel::new(s3, SphereMethod::Auto);
    let sdw = SphereHeatKernel::new(s3, SphereMethod::SchwingerDeWitt);
    for &theta in &[0.0f64, 1.0, 2.0] {
        let diff = exact.log_prob_angle(theta, 0.1).unwrap().log_prob
            - sdw.log_prob_angle(theta, 0.1).unwrap().log_prob;
        assert!(diff.abs() < 1e-12, "θ={theta}: {diff}");
    }
}

#[test]
fn large_dimension_eigen_series_is_normalised() {
    // S^7 and S^127 at moderate t (the Gegenbauer series with rescaled weights), Simpson in θ.
    for &(d, t) in &[(7usize, 0.3), (127, 0.05)] {
        let sphere = Sphere::new(d).unwrap();
        let log_area = Sphere::new(d - 1).unwrap().log_volume();
        let kernel = SphereHeatKernel::new(sphere, SphereMethod::Eigen);
        let f = |th: f64| {
            if th <= 0.0 || th >= PI {
                return 0.0;
            }
            (kernel
                .log_prob_angle(th, t)
                .map(|e| e.log_prob)
                .unwrap_or(f64::NEG_INFINITY)
                + log_area
                + (d as f64 - 1.0) * th.sin().ln())
            .exp()
        };
        let mass = simpson(f, 0.0, PI, 4000);
        assert!((mass - 1.0).abs() < 1e-9, "S^{d} t={t}: mass {mass}");
    }
}

/// Reports (does not assert) how far `Auto` is from the reference on `S^7` and `S^127`, where
/// small times fall back to the approximate Schwinger–DeWitt term.
#[test]
#[ignore]
fn report_auto_accuracy_in_high_dimension() {
    for r in read_csv("sphere_heat_kernel.csv") {
        let (d, t, theta, log_p, dlog_p) = (r[0] as usize, r[1], r[2], r[3], r[4]);
        if d < 4 {
            continue;
        }
        let kernel = SphereHeatKernel::new(Sphere::new(d).unwrap(), SphereMethod::Auto);
        let e = kernel.log_prob_angle(theta, t).unwrap();
        let err = (e.log_prob - log_p).abs();
        if err > 1e-8 && theta < 3.0 {
            println!(
                "S^{d} t={t} θ={theta}: Δ log p = {err:.2e}, score {} vs {dlog_p}",
                e.dlog_prob_dtheta
            );
        }
    }
}

#[test]
fn auto_in_high_dimension_meets_its_documented_accuracy() {
    // d ≥ 4: exact (Gegenbauer) for t ≥ 0.3; first-order Schwinger–DeWitt at small t, whose
    // measured error (t², d⁴ scaling) is documented in `heat_kernel::sphere`: S⁷ ≤ 1e-6 and
    // S¹²⁷ ≤ 1e-2 for t ≤ 1e-3, θ ≤ 2.5.
    for r in read_csv("sphere_heat_kernel.csv") {
        let (d, t, theta, log_p) = (r[0] as usize, r[1], r[2], r[3]);
        if d < 4 {
            continue;
        }
        let kernel = SphereHeatKernel::new(Sphere::new(d).unwrap(), SphereMethod::Auto);
        let err = (kernel.log_prob_angle(theta, t).unwrap().log_prob - log_p).abs();
        let bound = if t >= 0.3 {
            log_tolerance(log_p)
        } else if t <= 1e-3 && theta <= 2.5 {
            if d == 7 {
                1e-6
            } else {
                1e-2
            }
        } else {
            continue;
        };
        assert!(
            err <= bound.max(log_tolerance(log_p)),
            "S^{d} t={t} θ={theta}: Δ log p = {err:e} > {bound:e}"
        );
    }
}

mod properties {
    use super::*;
    use quickcheck::{quickcheck, TestResult};

    /// Maps arbitrary quickcheck floats to `t ∈ [1e-3, 10]` (log-uniform) and `θ ∈ [0, π]`.
    fn unit(a: f64) -> f64 {
        if a.is_finite() {
            (a.abs() * 0.618_033_988_749_895).fract()
        } else {
            0.5
        }
    }

    quickcheck! {
        /// Wherever the (exact) Gegenbauer series answers, `Auto` agrees with it: both are exact
        /// and the series refuses beyond `1e-8` estimated rounding error.
        fn auto_agrees_with_eigen(a: f64, b: f64, dim: bool) -> TestResult {
            let d = if dim { 2 } else { 3 };
            let t = 10f64.powf(-1.0 + 2.0 * unit(a)); // [0.1, 10]: at most 33 terms
            let theta = PI * unit(b);
            let sphere = Sphere::new(d).unwrap();
            let eigen = SphereHeatKernel::new(sphere, SphereMethod::Eigen);
            let auto = SphereHeatKernel::new(sphere, SphereMethod::Auto);
            match eigen.log_prob_angle(theta, t) {
                Err(_) => TestResult::discard(),
                Ok(e) => {
                    let x = auto.log_prob_angle(theta, t).unwrap();
                    TestResult::from_bool(
                        (e.log_prob - x.log_prob).abs() < 1e-8
                            && (e.dlog_prob_dtheta - x.dlog_prob_dtheta).abs() < 1e-8 * x.dlog_prob_dtheta.abs().max(1.0),
                    )
                }
            }
        }

        /// The kernel decreases in the distance (`∂_θ log p ≤ 0`) and is finite, for `d ≤ 3`.
        fn auto_decreases_in_theta(a: f64, b: f64, dim: u8) -> bool {
            let d = 1 + (dim % 3) as usize;
            let t = 10f64.powf(-3.0 + 4.0 * unit(a));
            let theta = PI * unit(b);
            let e = SphereHeatKernel::new(Sphere::new(d).unwrap(), SphereMethod::Auto).log_prob_angle(theta, t).unwrap();
            e.log_prob.is_finite() && e.dlog_prob_dtheta <= 1e-9 * (1.0 + 1.0 / t)
        }

        /// Torus: Fourier and wrapped-Gaussian agree where the Fourier series answers.
        fn torus_methods_agree(a: f64, b: f64, c: f64) -> TestResult {
            let t = 10f64.powf(-1.0 + 2.0 * unit(a));
            let x = [TAU * unit(b), TAU * unit(c)];
            let torus = Torus::new(2).unwrap();
            let (mut s1, mut s2) = ([0.0; 2], [0.0; 2]);
            let paths = TorusHeatKernel::new(torus, TorusMethod::SumOverPaths).score(&[0.0, 0.0], &x, t, &mut s1).unwrap();
            match TorusHeatKernel::new(torus, TorusMethod::Eigen).score(&[0.0, 0.0], &x, t, &mut s2) {
                Err(_) => TestResult::discard(),
                Ok(f) => TestResult::from_bool(
                    (paths.log_prob - f.log_prob).abs() < 1e-8
                        && (0..2).all(|i| (s1[i] - s2[i]).abs() < 1e-8 * s1[i].abs().max(1.0)),
                ),
            }
        }
    }
}
