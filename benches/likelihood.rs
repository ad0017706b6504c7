//! Probability-flow ODE log-likelihood (`riemannian_diffusion::likelihood`) on `S²`.
//!
//! Score: the exact score of a [`HeatKernelMixture`] of 8 data points on `S²`
//! (`SphereHeatKernel`, `Auto` estimator), divergence [`Divergence::Exact`]
//! (`div s = 2 ∂_t log p − |s|²` by the heat equation: 4 mixture densities plus one mixture
//! score per point and right-hand side, i.e. `5 × 8 = 40` kernel evaluations).
//! Queries: 256 points (128 within a geodesic distance ~0.3 of the data, 128 uniform),
//! integrated from `t0 = 0.05` to `T = 20` (`p_T` uniform to `≈ 3e-9`) with the default
//! [`LikelihoodOptions`] (`rtol = atol = 1e-5`, maximum norm, chunks of 64 points in
//! parallel with rayon). Criterion reports the time for all 256 points (and, with the
//! element throughput, points per second); the bench first prints the ODE work and the
//! largest deviation from the exact `log p_{t0}` of the mixture. Two more functions time one
//! right-hand side (score + exact divergence of all 256 points) at `t = t0` and `t = 1`.
//!
//! Run: `cargo bench --bench likelihood` (about 1 minute);
//! quick check: `cargo bench --bench likelihood -- --quick`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use riemannian_diffusion::heat_kernel::{KernelMethod, SphereHeatKernel};
use riemannian_diffusion::likelihood::{log_likelihood, Divergence, LikelihoodOptions};
use riemannian_diffusion::manifold::{Manifold, Sphere};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::random::rng_from_seed;
use riemannian_diffusion::score::ScoreField;
use std::hint::black_box;
use std::time::{Duration, Instant};

const DATA_POINTS: usize = 8;
const QUERY_POINTS: usize = 256;
const T0: f64 = 0.05;
const T1: f64 = 20.0;

/// The mixture of 8 uniform draws on `S²` and 256 query points (half near the data).
fn problem() -> (HeatKernelMixture, Vec<f64>) {
    let sphere = Sphere::new(2).unwrap();
    let mut rng = rng_from_seed(2026);
    let mut data = vec![0.0; 3 * DATA_POINTS];
    for row in data.chunks_exact_mut(3) {
        sphere.sample_uniform(&mut rng, row);
    }
    let mut queries = vec![0.0; 3 * QUERY_POINTS];
    let mut v = [0.0; 3];
    for (k, row) in queries.chunks_exact_mut(3).enumerate() {
        if k < QUERY_POINTS / 2 {
            let centre = &data[3 * (k % DATA_POINTS)..3 * (k % DATA_POINTS + 1)];
            sphere.sample_tangent_normal(centre, &mut rng, &mut v);
            v.iter_mut().for_each(|a| *a *= 0.3);
            sphere.exp(centre, &v, row);
        } else {
            sphere.sample_uniform(&mut rng, row);
        }
    }
    let kernel = Box::new(SphereHeatKernel::new(sphere, KernelMethod::Auto));
    (HeatKernelMixture::new(kernel, data).unwrap(), queries)
}

fn bench_likelihood(c: &mut Criterion) {
    let (mixture, queries) = problem();
    let options = LikelihoodOptions {
        divergence: Divergence::Exact,
        ..LikelihoodOptions::default()
    };
    let start = Instant::now();
    let report = log_likelihood(&mixture, &queries, T0, T1, &options).unwrap();
    let elapsed = start.elapsed();
    let mut exact = vec![0.0; QUERY_POINTS];
    mixture.log_prob_batch(&queries, &[T0], &mut exact).unwrap();
    let (mut near, mut far) = (0.0f64, 0.0f64);
    for (k, (a, b)) in report.log_likelihood.iter().zip(&exact).enumerate() {
        let e = (a - b).abs();
        if k < QUERY_POINTS / 2 {
            near = near.max(e);
        } else {
            far = far.max(e);
        }
    }
    println!(
        "S² PF-ODE likelihood, {QUERY_POINTS} points, {DATA_POINTS}-point mixture, t0 = {T0}, T = {T1}: {:?} (summed over {} chunks), one run {elapsed:.2?} = {:.2?}/point; max |PF-ODE − exact| = {near:.1e} (near data), {far:.1e} (uniform queries); exact log p in [{:.2}, {:.2}]",
        report.stats,
        QUERY_POINTS.div_ceil(options.chunk_size),
        elapsed / QUERY_POINTS as u32,
        exact.iter().copied().fold(f64::INFINITY, f64::min),
        exact.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let mut group = c.benchmark_group("pf_ode_likelihood_s2_mix8");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(QUERY_POINTS as u64));
    group.bench_function("exact_divergence_256pts", |b| {
        b.iter(|| {
            let r = log_likelihood(&mixture, black_box(&queries), T0, T1, &options).unwrap();
            black_box(r.mean_log_likelihood)
        })
    });
    // The cost of one right-hand side (score batch + exact divergence batch of all 256
    // points) at the data-side time t0 (small-t kernel estimator) and at t = 1 (Gegenbauer
    // series), to split the likelihood time into evaluations × cost per evaluation.
    let mut scores = vec![0.0; 3 * QUERY_POINTS];
    let mut divergences = vec![0.0; QUERY_POINTS];
    for t in [T0, 1.0] {
        group.bench_function(format!("rhs_score_and_divergence_256pts_t{t}"), |b| {
            b.iter(|| {
                mixture
                    .score_batch(black_box(&queries), &[t], &mut scores)
                    .unwrap();
                mixture
                    .divergence_batch(&queries, &[t], &mut divergences)
                    .unwrap();
                black_box(divergences[0])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_likelihood);
criterion_main!(benches);
