//! End-to-end PF-ODE likelihoods with an exact score (no training).
//!
//! The data set is a few points; the score is that of the heat-kernel mixture
//! `p_t(x) = (1/N) Σ_i p_t(x_i, x)`, exact at every `t`. Then the probability-flow
//! ODE likelihood at `t0` must reproduce the mixture's own `log p_{t0}(x)`:
//! the only errors are the ODE's (global error of the accumulated `∫ ½ div s dt`,
//! a few times `rtol`, as measured for DP5 in `tests/ode_solver.rs`), the prior's
//! (`p_T` uniform to `< 1e-8` at the chosen `T`, checked below) and the divergence's
//! (`≈ 1e-11` relative, see `mixture`).
//!
//! Error model for the allowance: the solver keeps the local error of the accumulator
//! `ℓ = ∫ ½ div s dt` below `atol + rtol |ℓ|` and that of the point below
//! `atol + rtol |x|` per step (maximum norm); a position error `δx` made at time `t`
//! changes the result by `≈ ⟨s(x, t), δx⟩` (the flow transports `log p_t`), and the global
//! error of DP5 is a few times the local tolerance (`tests/ode_solver.rs`). Hence we allow
//! `10 · tol · (1 + |ℓ| + |s(x, t0)|) + 1e-8` per query point, and in addition
//! require `1e-4` at the default `rtol = atol = 1e-5` for the data points and their
//! neighbours (points of typical density). Far-tail query points (`log p` down to `−15`,
//! `|s| ≈ 40`) have errors up to `≈ 1.5e-3` at `1e-5` and `≈ 1e-6` at `1e-8`.

use riemannian_diffusion::heat_kernel::{KernelMethod, SphereHeatKernel, TorusHeatKernel};
use riemannian_diffusion::likelihood::{
    log_likelihood, log_likelihood_with_schedule, Divergence, LikelihoodOptions, ProbeDistribution,
};
use riemannian_diffusion::manifold::{Sphere, Torus};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::random::rng_from_seed;
use riemannian_diffusion::schedule::GeometricSchedule;
use riemannian_diffusion::score::ScoreField;
use std::time::Instant;

fn sphere_mixture() -> HeatKernelMixture {
    let s2 = Sphere::new(2).unwrap();
    let kernel = Box::new(SphereHeatKernel::new(s2, KernelMethod::Auto));
    let points = vec![0.0, 0.0, 1.0, 0.6, 0.8, 0.0, -0.48, 0.6, -0.64];
    HeatKernelMixture::new(kernel, points).unwrap()
}

fn torus_mixture() -> HeatKernelMixture {
    let t2 = Torus::new(2).unwrap();
    let kernel = Box::new(TorusHeatKernel::new(t2, KernelMethod::Auto).unwrap());
    HeatKernelMixture::new(kernel, vec![0.5, 1.0, 3.0, 5.5, 6.0, 2.5]).unwrap()
}

/// Query points: the data points themselves, points near them, and uniform draws.
fn queries(mix: &HeatKernelMixture, seed: u64) -> Vec<f64> {
    let m = mix.kernel().manifold();
    let n = m.ambient_dim();
    let mut rng = rng_from_seed(seed);
    let mut q = mix.points().to_vec();
    let mut v = vec![0.0; n];
    let mut y = vec![0.0; n];
    for x in mix.points().chunks_exact(n) {
        m.sample_tangent_normal(x, &mut rng, &mut v);
        v.iter_mut().for_each(|a| *a *= 0.3);
        m.exp(x, &v, &mut y);
        q.extend_from_slice(&y);
    }
    for _ in 0..3 {
        m.sample_uniform(&mut rng, &mut y);
        q.extend_from_slice(&y);
    }
    q
}

/// Checks `p_T` is uniform to `1e-8` at the query points and the final points.
fn assert_uniform_at(mix: &HeatKernelMixture, x: &[f64], t: f64) {
    let m = mix.kernel().manifold();
    for xi in x.chunks_exact(m.ambient_dim()) {
        let lp = mix.log_prob(xi, t).unwrap();
        assert!(
            (lp + m.log_volume()).abs() < 1e-8,
            "log p_T = {lp} vs −log Vol = {}",
            -m.log_volume()
        );
    }
}

fn compare(mix: &HeatKernelMixture, t0: f64, t1: f64, tol: f64, seed: u64) {
    let m = mix.kernel().manifold();
    let n = m.ambient_dim();
    let q = queries(mix, seed);
    assert_uniform_at(mix, &q, t1);
    let mut options = LikelihoodOptions::default();
    options.ode.rtol = tol;
    options.ode.atol = tol;
    let start = Instant::now();
    let report = log_likelihood(mix, &q, t0, t1, &options).unwrap();
    let elapsed = start.elapsed();
    let rows = q.len() / n;
    let mut exact = vec![0.0; rows];
    mix.log_prob_batch(&q, &[t0], &mut exact).unwrap();
    let mut score = vec![0.0; rows * n];
    mix.score_batch(&q, &[t0], &mut score).unwrap();
    let mut errors = Vec::new();
    for k in 0..rows {
        let (a, b) = (report.log_likelihood[k], exact[k]);
        let s_norm = m
            .norm_squared(&q[k * n..(k + 1) * n], &score[k * n..(k + 1) * n])
            .sqrt();
        let allowed = 10.0 * tol * (1.0 + (b + m.log_volume()).abs() + s_norm) + 1e-8;
        errors.push(format!("{:.1e}", a - b));
        assert!(
            (a - b).abs() < allowed,
            "point {k}: PF-ODE {a} vs exact {b} (|s| = {s_norm}, allowed {allowed:e})"
        );
        // Data points and their neighbours: the headline 1e-4 at rtol = atol = 1e-5.
        if k < 2 * mix.len() {
            assert!(
                (a - b).abs() < 10.0 * tol,
                "point {k}: PF-ODE {a} vs exact {b}"
            );
        }
    }
    println!(
        "{} t0 = {t0}, T = {t1}, rtol = atol = {tol:e}: PF-ODE − exact = {errors:?}, exact log p = {exact:.2?}, {:?}, {elapsed:?}",
        m.spec(),
        report.stats
    );
    assert_uniform_at(mix, &report.final_points, t1);
}

#[test]
fn sphere_pf_ode_likelihood_matches_exact_mixture_density() {
    // Slowest mode of S²: e^{−T} · 3 ≈ 6e-9 at T = 20.
    compare(&sphere_mixture(), 0.05, 20.0, 1e-5, 1);
    compare(&sphere_mixture(), 0.05, 20.0, 1e-8, 1);
}

#[test]
fn torus_pf_ode_likelihood_matches_exact_mixture_density() {
    // Slowest modes of T²: 4 e^{−T/2} ≈ 8e-9 at T = 40.
    compare(&torus_mixture(), 0.05, 40.0, 1e-5, 2);
    compare(&torus_mixture(), 0.05, 40.0, 1e-8, 2);
}

#[test]
fn schedule_entry_point_uses_sigma_squared() {
    let mix = sphere_mixture();
    let schedule = GeometricSchedule::new(0.2, 20f64.sqrt()).unwrap();
    let q = &mix.points()[..3];
    let report =
        log_likelihood_with_schedule(&mix, q, &schedule, 0.0, &LikelihoodOptions::default())
            .unwrap();
    assert!((report.t0 - 0.04).abs() < 1e-15 && (report.t1 - 20.0).abs() < 1e-12);
    let exact = mix.log_prob(q, 0.04).unwrap();
    assert!(
        (report.log_likelihood[0] - exact).abs() < 1e-4,
        "{} vs {exact}",
        report.log_likelihood[0]
    );
    assert!(
        log_likelihood_with_schedule(&mix, q, &schedule, 1.0, &LikelihoodOptions::default())
            .is_err()
    );
}

/// Hutchinson: unbiased within its standard error, and reproducible from the seed
/// regardless of the number of threads.
fn hutchinson_is_unbiased(probe: ProbeDistribution) {
    let mix = sphere_mixture();
    let n = 3;
    let x = [0.3, 0.4, (1.0f64 - 0.25).sqrt()];
    let replicas = 256;
    let points: Vec<f64> = (0..replicas).flat_map(|_| x).collect();
    let (t0, t1) = (0.1, 20.0);
    let options = LikelihoodOptions {
        divergence: Divergence::Hutchinson { probe, step: 1e-4 },
        seed: 42,
        ..LikelihoodOptions::default()
    };
    let start = Instant::now();
    let report = log_likelihood(&mix, &points, t0, t1, &options).unwrap();
    let elapsed = start.elapsed();
    let values = &report.log_likelihood;
    let mean = values.iter().sum::<f64>() / replicas as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (replicas as f64 - 1.0);
    let se = (var / replicas as f64).sqrt();
    assert!((report.standard_error() - se).abs() < 1e-12 * se);
    let exact = mix.log_prob(&x, t0).unwrap();
    println!(
        "Hutchinson {probe:?}: mean {mean} ± {se} (sd {}), exact {exact}, z = {}, {elapsed:?}",
        var.sqrt(),
        (mean - exact) / se
    );
    assert!(var > 0.0);
    // 4 standard errors (false alarm 6e-5) plus the ODE error allowance.
    assert!(
        (mean - exact).abs() < 4.0 * se + 1e-4,
        "mean {mean} ± {se} vs exact {exact}"
    );
    // Determinism: a one-thread pool gives bit-identical results.
    // (The first two chunks of 64 rows, solved on one thread, must reproduce the same rows.)
    let single = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| log_likelihood(&mix, &points[..128 * n], t0, t1, &options).unwrap());
    assert_eq!(&single.log_likelihood[..], &report.log_likelihood[..128]);
}

#[test]
fn hutchinson_gaussian_is_unbiased_and_deterministic() {
    hutchinson_is_unbiased(ProbeDistribution::Gaussian);
}

#[test]
fn hutchinson_rademacher_is_unbiased_and_deterministic() {
    hutchinson_is_unbiased(ProbeDistribution::Rademacher);
}

#[test]
fn rejects_bad_arguments() {
    let mix = sphere_mixture();
    let q = &mix.points()[..3];
    let o = LikelihoodOptions::default();
    assert!(log_likelihood(&mix, q, 0.0, 1.0, &o).is_err());
    assert!(log_likelihood(&mix, q, 1.0, 0.5, &o).is_err());
    assert!(log_likelihood(&mix, q, 0.1, f64::NAN, &o).is_err());
    assert!(log_likelihood(&mix, &[1.0, 1.0, 1.0], 0.1, 1.0, &o).is_err());
    assert!(log_likelihood(&mix, &[1.0, 0.0], 0.1, 1.0, &o).is_err());
    assert!(log_likelihood(&mix, &[], 0.1, 1.0, &o).is_err());
    let bad = LikelihoodOptions {
        chunk_size: 0,
        ..LikelihoodOptions::default()
    };
    assert!(log_likelihood(&mix, q, 0.1, 1.0, &bad).is_err());
}
