//! Reverse probability-flow ODE sampling (`riemannian_diffusion::generation`).

use riemannian_diffusion::generation::{generate, GenerationOptions};
use riemannian_diffusion::manifold::Sphere;
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::ode::OdeOptions;
use riemannian_diffusion::registry::auto_kernel;
use riemannian_diffusion::Error;

fn point_mass_on_s2() -> (HeatKernelMixture, Vec<f64>) {
    let sphere = Sphere::new(2).unwrap();
    let x0 = vec![0.0, 0.6, 0.8];
    let mixture = HeatKernelMixture::new(auto_kernel(&sphere).unwrap(), x0.clone()).unwrap();
    (mixture, x0)
}

/// With the exact score of a point mass noised by the heat kernel, the reverse PF-ODE must
/// produce draws of `p_{t0}(x₀, ·)`. On `S²`, `x·x₀` is a degree-1 harmonic (eigenvalue 2 of
/// `−Δ`), so under `∂_t p = ½Δp` its mean is exactly `E[x·x₀] = e^{−t0}`.
#[test]
fn reverse_flow_of_an_exact_score_reproduces_the_heat_kernel() {
    let (mixture, x0) = point_mass_on_s2();
    // T = 25: the uniform prior differs from p_T by e^{−25} ≈ 1e-11 (slowest mode), negligible.
    let (t0, t1) = (0.09, 25.0);
    let n = 512;
    let options = GenerationOptions {
        ode: OdeOptions::with_tolerances(1e-6, 1e-6),
        seed: 5,
        chunk_size: 64,
        ..GenerationOptions::default()
    };
    let result = generate(&mixture, n, t0, t1, &options).unwrap();
    let samples = &result.samples;
    assert_eq!(samples.len(), n * 3);
    assert_eq!((result.t0, result.t1), (t0, t1));
    assert!(result.stats.accepted_steps >= 8 && result.stats.rhs_evaluations > 0);
    // Points stay on the sphere (projection after every step).
    for x in samples.chunks_exact(3) {
        let norm = x.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12, "|x| = {norm}");
    }
    let cosines: Vec<f64> = samples
        .chunks_exact(3)
        .map(|x| x.iter().zip(&x0).map(|(a, b)| a * b).sum())
        .collect();
    let mean = cosines.iter().sum::<f64>() / n as f64;
    let var = cosines.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>() / (n - 1) as f64;
    let expected = (-t0).exp();
    // 5 standard errors of the sample mean (ODE error at tolerance 1e-6 is far smaller).
    assert!(
        (mean - expected).abs() < 5.0 * (var / n as f64).sqrt(),
        "E[x·x0] = {mean}, expected {expected} (sd {})",
        var.sqrt()
    );
    // Same seed, same samples.
    assert_eq!(
        *samples,
        generate(&mixture, n, t0, t1, &options).unwrap().samples
    );
}

/// Chunks are fixed and chunk `k` uses random stream `k`: one worker thread gives the same
/// bits as the default pool.
#[test]
fn samples_do_not_depend_on_the_thread_count() {
    let (mixture, _) = point_mass_on_s2();
    let options = GenerationOptions {
        chunk_size: 16,
        ..GenerationOptions::default()
    };
    // 50 rows: three full chunks and a partial one.
    let parallel = generate(&mixture, 50, 0.2, 10.0, &options).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let serial = pool
        .install(|| generate(&mixture, 50, 0.2, 10.0, &options))
        .unwrap();
    assert_eq!(parallel.samples, serial.samples);
    assert_eq!(parallel.stats, serial.stats);
    let empty = generate(&mixture, 0, 0.2, 10.0, &options).unwrap();
    assert!(empty.samples.is_empty());
}

#[test]
fn bad_arguments_are_errors() {
    let (mixture, _) = point_mass_on_s2();
    let options = GenerationOptions::default();
    let invalid =
        |r: riemannian_diffusion::Result<_>| matches!(r, Err(Error::InvalidArgument { .. }));
    assert!(invalid(generate(&mixture, 4, 0.0, 1.0, &options)));
    assert!(invalid(generate(&mixture, 4, f64::NAN, 1.0, &options)));
    assert!(invalid(generate(&mixture, 4, 1.0, 0.5, &options)));
    assert!(invalid(generate(&mixture, 4, 0.1, f64::INFINITY, &options)));
    let zero_chunk = GenerationOptions {
        chunk_size: 0,
        ..GenerationOptions::default()
    };
    assert!(invalid(generate(&mixture, 4, 0.1, 1.0, &zero_chunk)));
    let bad_tolerance = GenerationOptions {
        ode: OdeOptions::with_tolerances(-1.0, 1e-5),
        ..GenerationOptions::default()
    };
    assert!(invalid(generate(&mixture, 4, 0.1, 1.0, &bad_tolerance)));
}

// ---------------------------------------------------------------------------------------------
// Reverse geodesic random walk (GenerationMethod::GeodesicRandomWalk)
// ---------------------------------------------------------------------------------------------

use riemannian_diffusion::generation::GenerationMethod;
use riemannian_diffusion::manifold::{Manifold, SpecialOrthogonal};
use riemannian_diffusion::score::ScoreField;

/// `(name, per-sample statistic, exact mean)`.
type Statistic = (String, Box<dyn Fn(&[f64]) -> f64>, f64);

/// Checks each `(name, per-sample statistic, exact mean)` at `z` standard errors; prints them and
/// returns the largest `|mean − exact|/se`.
fn check_means(label: &str, rows: &[&[f64]], stats: &[Statistic], z: f64) -> f64 {
    let n = rows.len() as f64;
    let mut worst = 0.0f64;
    for (name, f, exact) in stats {
        let values: Vec<f64> = rows.iter().map(|x| f(x)).collect();
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0);
        let se = (var / n).sqrt();
        println!(
            "{label}: {name}: sample {mean:.5} ± {se:.1e}, exact {exact:.5}, z = {:.2}",
            (mean - exact) / se
        );
        worst = worst.max((mean - exact).abs() / se);
        assert!(
            (mean - exact).abs() < z * se,
            "{label}: {name} = {mean} vs exact {exact} (se {se})"
        );
    }
    worst
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn walk_options(seed: u64, steps: usize, corrector_steps: usize) -> GenerationOptions {
    GenerationOptions {
        seed,
        chunk_size: 64,
        method: GenerationMethod::GeodesicRandomWalk {
            steps,
            corrector_steps,
            snr: 0.16,
        },
        ..GenerationOptions::default()
    }
}

/// Three centres on `S²`, noised to `t0`; the exact score drives the reverse walk from the
/// uniform prior at `T = 20` (prior error `3 e^{−20}`, negligible).
///
/// Exact moments of `p_{t0} = (1/K) Σ_i p_{t0}(x_i, ·)`: degree-1 and degree-2 harmonics decay
/// as `e^{−t}` and `e^{−3t}` (eigenvalues 2 and 6 of `−Δ`, factor `e^{−λt/2}`), so for a unit
/// vector `c`: `E⟨x, c⟩ = e^{−t0} (1/K) Σ_i ⟨x_i, c⟩` and
/// `E⟨x, c⟩² = 1/3 + e^{−3t0} ((1/K) Σ_i ⟨x_i, c⟩² − 1/3)`.
///
/// `score_scale ≠ 1` multiplies the exact score (a deliberately wrong drift, for power checks).
fn sphere_walk_statistics(
    n: usize,
    steps: usize,
    corrector_steps: usize,
    z: f64,
    score_scale: f64,
) -> f64 {
    let sphere = Sphere::new(2).unwrap();
    let centres = vec![0.0, 0.0, 1.0, 0.6, 0.8, 0.0, -0.48, 0.6, -0.64];
    let mixture = HeatKernelMixture::new(auto_kernel(&sphere).unwrap(), centres.clone()).unwrap();
    let scaled = ScaledScore(&mixture, score_scale);
    let (t0, t1) = (0.05, 20.0);
    let start = std::time::Instant::now();
    let result = generate(
        &scaled,
        n,
        t0,
        t1,
        &walk_options(11, steps, corrector_steps),
    )
    .unwrap();
    let label = format!("S2 GRW N = {steps}, corrector {corrector_steps}, n = {n}");
    println!(
        "{label}: {:.2} s, {:?}",
        start.elapsed().as_secs_f64(),
        result.walk_stats
    );
    assert_eq!(result.walk_stats.predictor_steps, steps * n.div_ceil(64));
    let rows: Vec<&[f64]> = result.samples.chunks_exact(3).collect();
    for x in &rows {
        assert!((dot(x, x).sqrt() - 1.0).abs() < 1e-12);
    }
    let k = 3.0;
    let mut stats: Vec<Statistic> = vec![];
    for c in centres.chunks_exact(3) {
        let c = c.to_vec();
        let m1 = centres.chunks_exact(3).map(|xi| dot(xi, &c)).sum::<f64>() / k;
        let m2 = centres
            .chunks_exact(3)
            .map(|xi| dot(xi, &c).powi(2))
            .sum::<f64>()
            / k;
        let c1 = c.clone();
        stats.push((
            format!("E<x,{c:?}>"),
            Box::new(move |x: &[f64]| dot(x, &c1)),
            (-t0).exp() * m1,
        ));
        let c2 = c.clone();
        stats.push((
            format!("E<x,{c:?}>^2"),
            Box::new(move |x: &[f64]| dot(x, &c2).powi(2)),
            1.0 / 3.0 + (-3.0 * t0).exp() * (m2 - 1.0 / 3.0),
        ));
    }
    check_means(&label, &rows, &stats, z)
}

/// `c · s(x, t)`: a deliberately mis-scaled score.
struct ScaledScore<'a>(&'a HeatKernelMixture, f64);

impl ScoreField for ScaledScore<'_> {
    fn manifold(&self) -> &dyn Manifold {
        self.0.manifold()
    }
    fn score_batch(
        &self,
        x: &[f64],
        t: &[f64],
        out: &mut [f64],
    ) -> riemannian_diffusion::Result<()> {
        self.0.score_batch(x, t, out)?;
        out.iter_mut().for_each(|v| *v *= self.1);
        Ok(())
    }
}

/// 6 statistics at 4 standard errors each (two-sided p = 6e-5 each, 4e-4 for all six by
/// Bonferroni), `n = 4000`: the discretisation bias of 100 predictor steps (with or without one
/// corrector step) is below the resolution of `n = 20000` samples (ignored
/// `reverse_walk_bias_study`: all |z| < 1.6).
#[test]
fn reverse_walk_with_exact_score_reproduces_a_sphere_mixture() {
    sphere_walk_statistics(4000, 100, 1, 4.0, 1.0);
}

/// Power check of the statistics above: the reverse walk with half the score (the PF-ODE drift
/// `½ s` mistakenly used in the SDE) gives far too spread samples, detected at > 10 se.
#[test]
fn reverse_walk_with_half_the_score_is_detected() {
    let worst = sphere_walk_statistics(4000, 100, 0, f64::INFINITY, 0.5);
    assert!(worst > 10.0, "largest |z| = {worst}");
}

/// Rotation by `angle` about the unit `axis` (Rodrigues), row-major.
fn rotation(axis: [f64; 3], angle: f64) -> Vec<f64> {
    let norm = dot(&axis, &axis).sqrt();
    let [a, b, c] = axis.map(|v| v / norm);
    let (s, k) = (angle.sin(), 1.0 - angle.cos());
    vec![
        1.0 - k * (b * b + c * c),
        -s * c + k * a * b,
        s * b + k * a * c,
        s * c + k * a * b,
        1.0 - k * (a * a + c * c),
        -s * a + k * b * c,
        -s * b + k * a * c,
        s * a + k * b * c,
        1.0 - k * (a * a + b * b),
    ]
}

/// `cᵀ x` for row-major 3×3 matrices.
fn transpose_times(c: &[f64], x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            out[3 * i + j] = (0..3).map(|k| c[3 * k + i] * x[3 * k + j]).sum();
        }
    }
    out
}

/// Three rotations on `SO(3)` (½tr metric), noised to `t0`, sampled by the reverse walk with the
/// exact score from the uniform prior at `T = 10` (prior error: the slowest mode, `c = 2`, has
/// relative weight `≈ 9 e^{−10} = 4e-4` in `p_T`, far below the test's resolution).
///
/// Exact moments: for `x = x_i g`, `g ~ p_t(e, ·)`, `E[g] = e^{−t} I` (Schur; Casimir `c = 2` of
/// the defining representation, factor `e^{−ct/2}`) and
/// `E[g ⊗ g] = P₀ + e^{−t} P₁ + e^{−3t} P₂` on `V ⊗ V = V₀ ⊕ V₁ ⊕ V₂` (Casimirs 0, 2, 6). With
/// `A = cᵀ x_i`: `E tr(cᵀx) = e^{−t} tr A` and
/// `E tr(cᵀx)² = |A|²/3 + e^{−t} ((tr A)² − tr A²)/2 + e^{−3t} (((tr A)² + tr A²)/2 − |A|²/3)`
/// (pairing `Aᵀ ⊗ Aᵀ` with the identity, the swap and the trace projector), averaged over `i`.
fn rotation_walk_statistics(n: usize, steps: usize, corrector_steps: usize, z: f64) -> f64 {
    let group = SpecialOrthogonal::new(3).unwrap();
    let centres: Vec<f64> = [
        rotation([0.0, 0.0, 1.0], 0.0),
        rotation([1.0, 0.0, 0.0], 2.0),
        rotation([1.0, 1.0, 1.0], -1.5),
    ]
    .concat();
    let mixture = HeatKernelMixture::new(auto_kernel(&group).unwrap(), centres.clone()).unwrap();
    let (t0, t1) = (0.05, 10.0);
    let start = std::time::Instant::now();
    let result = generate(
        &mixture,
        n,
        t0,
        t1,
        &walk_options(12, steps, corrector_steps),
    )
    .unwrap();
    let label = format!("SO(3) GRW N = {steps}, corrector {corrector_steps}, n = {n}");
    println!(
        "{label}: {:.2} s, {:?}",
        start.elapsed().as_secs_f64(),
        result.walk_stats
    );
    let rows: Vec<&[f64]> = result.samples.chunks_exact(9).collect();
    for x in &rows {
        group.check_point(x, 1e-10).unwrap();
    }
    let (e1, e3) = ((-t0).exp(), (-3.0 * t0).exp());
    let k = 3.0;
    let mut stats: Vec<Statistic> = vec![];
    for (j, c) in centres.chunks_exact(9).enumerate() {
        let (mut m1, mut m2) = (0.0, 0.0);
        for xi in centres.chunks_exact(9) {
            let a = transpose_times(c, xi);
            let tr = a[0] + a[4] + a[8];
            let tr_sq: f64 = (0..3)
                .flat_map(|p| (0..3).map(move |q| (p, q)))
                .map(|(p, q)| a[3 * p + q] * a[3 * q + p])
                .sum();
            let frob = dot(&a, &a);
            m1 += e1 * tr / k;
            m2 += (frob / 3.0
                + e1 * (tr * tr - tr_sq) / 2.0
                + e3 * ((tr * tr + tr_sq) / 2.0 - frob / 3.0))
                / k;
        }
        let (c1, c2) = (c.to_vec(), c.to_vec());
        stats.push((
            format!("E tr(c{j}ᵀx)"),
            Box::new(move |x: &[f64]| dot(&c1, x)),
            m1,
        ));
        stats.push((
            format!("E tr(c{j}ᵀx)²"),
            Box::new(move |x: &[f64]| dot(&c2, x).powi(2)),
            m2,
        ));
    }
    check_means(&label, &rows, &stats, z)
}

/// 6 statistics at 4 standard errors each (two-sided p = 6e-5 each), `n = 1000`, 100 predictor
/// steps plus one corrector step (the exact SO(3) score costs ≈ 10 µs per centre and point).
#[test]
fn reverse_walk_with_exact_score_reproduces_a_rotation_mixture() {
    rotation_walk_statistics(1000, 100, 1, 4.0);
}

/// Discretisation bias study (slow, run with `--ignored --nocapture`): larger samples with and
/// without the corrector, to see the bias of the reverse walk against the exact moments.
#[test]
#[ignore]
fn reverse_walk_bias_study() {
    for (steps, corrector) in [(100, 0), (100, 1), (400, 0)] {
        sphere_walk_statistics(20_000, steps, corrector, 1e9, 1.0);
    }
    for (steps, corrector) in [(50, 0), (100, 1)] {
        rotation_walk_statistics(4000, steps, corrector, 1e9);
    }
}

/// The default method is still the probability-flow ODE; the walk is deterministic given the
/// seed and chunk size, independent of the thread count (chunk `k` uses stream `k` for its prior
/// draws and its walk noise).
#[test]
fn reverse_walk_is_deterministic_and_the_default_is_unchanged() {
    assert_eq!(
        GenerationOptions::default().method,
        GenerationMethod::ProbabilityFlow
    );
    let (mixture, _) = point_mass_on_s2();
    let options = GenerationOptions {
        chunk_size: 16,
        ..walk_options(3, 20, 2)
    };
    let parallel = generate(&mixture, 50, 0.2, 10.0, &options).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let serial = pool
        .install(|| generate(&mixture, 50, 0.2, 10.0, &options))
        .unwrap();
    assert_eq!(parallel.samples, serial.samples);
    assert_eq!(parallel.walk_stats, serial.walk_stats);
    // 4 chunks × 20 predictor steps × (1 + 2 corrector steps) score evaluations; no ODE work.
    assert_eq!(parallel.walk_stats.predictor_steps, 80);
    assert_eq!(parallel.walk_stats.corrector_steps, 160);
    assert_eq!(parallel.walk_stats.score_evaluations, 240);
    assert_eq!(parallel.stats.rhs_evaluations, 0);
    let other_seed = generate(
        &mixture,
        50,
        0.2,
        10.0,
        &GenerationOptions {
            seed: 4,
            ..options.clone()
        },
    )
    .unwrap();
    assert_ne!(parallel.samples, other_seed.samples);
    assert!(generate(&mixture, 0, 0.2, 10.0, &options)
        .unwrap()
        .samples
        .is_empty());
}

#[test]
fn reverse_walk_bad_arguments_are_errors() {
    let (mixture, _) = point_mass_on_s2();
    let invalid =
        |r: riemannian_diffusion::Result<_>| matches!(r, Err(Error::InvalidArgument { .. }));
    assert!(invalid(generate(
        &mixture,
        4,
        0.1,
        1.0,
        &walk_options(0, 0, 0)
    )));
    for snr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let options = GenerationOptions {
            method: GenerationMethod::GeodesicRandomWalk {
                steps: 10,
                corrector_steps: 1,
                snr,
            },
            ..GenerationOptions::default()
        };
        assert!(
            invalid(generate(&mixture, 4, 0.1, 1.0, &options)),
            "snr {snr}"
        );
    }
    assert!(invalid(generate(
        &mixture,
        4,
        0.0,
        1.0,
        &walk_options(0, 10, 0)
    )));
    assert!(invalid(generate(
        &mixture,
        4,
        1.0,
        0.5,
        &walk_options(0, 10, 0)
    )));
    // Without corrector steps the snr is not used.
    let unused_snr = GenerationOptions {
        method: GenerationMethod::GeodesicRandomWalk {
            steps: 2,
            corrector_steps: 0,
            snr: f64::NAN,
        },
        ..GenerationOptions::default()
    };
    assert!(generate(&mixture, 4, 0.1, 1.0, &unused_snr).is_ok());
}

/// Row-major complex 2×2 matrix from the interleaved (re, im) layout.
fn complex_matrix(x: &[f64]) -> Vec<num_complex::Complex64> {
    x.chunks_exact(2)
        .map(|p| num_complex::Complex64::new(p[0], p[1]))
        .collect()
}

/// Three elements of `SU(2)` (Frobenius metric), noised to `t0`, sampled by the reverse walk with
/// the exact score from the uniform prior at `T = 10`.
///
/// Exact moments from `crate::lie`: `E[g] = e^{−c₁t/2} I` with `c₁ = 3/2` the Casimir of the
/// defining representation, and `E[g ⊗ ḡ] = P₀ + e^{−c₂t/2}(I − P₀)` on `V ⊗ V̄ = V₀ ⊕ ad`
/// (`c₂ = 4`), so with `A = c^H x_i`: `E Re tr(c^H x) = e^{−c₁t/2} Re tr A` and
/// `E |tr(c^H x)|² = |A|²/2 + e^{−c₂t/2} (|tr A|² − |A|²/2)`, averaged over `i`.
/// 6 statistics at 4 standard errors, `n = 1000`, 100 predictor steps plus one corrector step.
#[test]
fn reverse_walk_with_exact_score_reproduces_a_special_unitary_mixture() {
    use num_complex::Complex64 as C;
    use riemannian_diffusion::lie::RootSystem;
    use riemannian_diffusion::manifold::SpecialUnitary;
    let roots = RootSystem::special_unitary(2).unwrap();
    let c1 = roots.irrep(&[1, 0]).unwrap().casimir();
    let c2 = roots.irrep(&[2, 0]).unwrap().casimir();
    assert!((c1 - 1.5).abs() < 1e-14 && (c2 - 4.0).abs() < 1e-14);
    let group = SpecialUnitary::new(2).unwrap();
    let (a, b) = (0.9f64, 2.2f64);
    let centres: Vec<f64> = vec![
        1.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        1.0,
        0.0, // identity
        a.cos(),
        a.sin(),
        0.0,
        0.0,
        0.0,
        0.0,
        a.cos(),
        -a.sin(), // diag(e^{ia}, e^{−ia})
        b.cos(),
        0.0,
        -b.sin(),
        0.0,
        b.sin(),
        0.0,
        b.cos(),
        0.0, // real rotation by b
    ];
    let mixture = HeatKernelMixture::new(auto_kernel(&group).unwrap(), centres.clone()).unwrap();
    let (t0, t1) = (0.05, 10.0);
    let (n, steps) = (1000, 100);
    let start = std::time::Instant::now();
    let result = generate(&mixture, n, t0, t1, &walk_options(13, steps, 1)).unwrap();
    let label = format!("SU(2) GRW N = {steps}, corrector 1, n = {n}");
    println!("{label}: {:.2} s", start.elapsed().as_secs_f64());
    let rows: Vec<&[f64]> = result.samples.chunks_exact(8).collect();
    for x in &rows {
        group.check_point(x, 1e-10).unwrap();
    }
    // tr(c^H x) for interleaved complex 2×2 matrices.
    let trace = |c: &[f64], x: &[f64]| -> C {
        let (c, x) = (complex_matrix(c), complex_matrix(x));
        (0..2)
            .flat_map(|i| (0..2).map(move |k| (i, k)))
            .map(|(i, k)| c[2 * k + i].conj() * x[2 * k + i])
            .sum()
    };
    let (e1, e2) = ((-c1 * t0 / 2.0).exp(), (-c2 * t0 / 2.0).exp());
    let mut stats: Vec<Statistic> = vec![];
    for (j, c) in centres.chunks_exact(8).enumerate() {
        let (mut m1, mut m2) = (0.0, 0.0);
        for xi in centres.chunks_exact(8) {
            let tr_a = trace(c, xi);
            let frob = 2.0; // |A|_F² = |c^H x_i|_F² = 2 for unitary 2×2 matrices.
            m1 += e1 * tr_a.re / 3.0;
            m2 += (frob / 2.0 + e2 * (tr_a.norm_sqr() - frob / 2.0)) / 3.0;
        }
        let (ca, cb) = (c.to_vec(), c.to_vec());
        stats.push((
            format!("E Re tr(c{j}^H x)"),
            Box::new(move |x: &[f64]| trace(&ca, x).re),
            m1,
        ));
        stats.push((
            format!("E |tr(c{j}^H x)|²"),
            Box::new(move |x: &[f64]| trace(&cb, x).norm_sqr()),
            m2,
        ));
    }
    check_means(&label, &rows, &stats, 4.0);
}
