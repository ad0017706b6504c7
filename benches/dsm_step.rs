//! One DSM training step on S² with the RSGM-sized MLP: batch 512, input `[x (3), σ] = 4`,
//! five SiLU hidden layers of 512, output 3, f64, Adam.
//!
//! - `dsm_step/full`: the real step of `DsmTrainer::step` — exact heat-kernel sampling of
//!   `x ~ p_t(x₀, ·)` and exact score targets for 512 rows, network forward + backward on the
//!   tape, Adam, EMA.
//! - `dsm_step/network_adam`: only loss + gradient (forward + backward) + Adam on a fixed,
//!   precomputed batch — like for like with `benches/peer/dsm_step_jax.py`.
//! - `dsm_step/batch_draw`: only the sampling + targets of one batch, on one thread (for the
//!   breakdown; the real step spreads this over all threads in chunks of 32 rows).
//! - `dsm_step/inference_forward`: the fast inference path on 512 rows (no tape).
//!
//! Run: `cargo bench --bench dsm_step` (see benches/README.md for the figures).

use criterion::{criterion_group, criterion_main, Criterion};
use riemannian_diffusion::manifold::{Manifold, Sphere};
use riemannian_diffusion::nn::{
    Activation, Adam, AdamOptions, InputEncoding, ScoreNet, ScoreNetConfig, SigmaEncoding,
};
use riemannian_diffusion::random::{rng_from_seed, uniform};
use riemannian_diffusion::train::{
    dsm_loss_and_gradient, DsmKernel, DsmTrainer, DsmWorkspace, HeatKernelNoise, TrainOptions,
};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const BATCH: usize = 512;

fn network(sphere: Arc<dyn Manifold>) -> ScoreNet {
    let config = ScoreNetConfig {
        ambient_dim: 3,
        hidden_width: 512,
        hidden_layers: 5,
        activation: Activation::Silu,
        sigma_encoding: SigmaEncoding::Raw,
        input_encoding: InputEncoding::ambient(3),
    };
    ScoreNet::new(sphere, config, 0).unwrap()
}

/// 1000 data points spread over the sphere (a fixed pseudo-random set).
fn data(sphere: &dyn Manifold) -> Vec<f64> {
    let mut rng = rng_from_seed(1);
    let mut data = vec![0.0; 3000];
    for row in data.chunks_exact_mut(3) {
        sphere.sample_uniform(&mut rng, row);
    }
    data
}

fn bench(c: &mut Criterion) {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = data(sphere.as_ref());
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    let options = TrainOptions {
        batch_size: BATCH,
        learning_rate: 2e-4,
        sigma_min: 1e-3,
        sigma_max: 2.0,
        ..TrainOptions::default()
    };

    let mut group = c.benchmark_group("dsm_step");
    group.sample_size(20);
    group.warm_up_time(Duration::from_secs(3));
    group.measurement_time(Duration::from_secs(15));

    let mut trainer = DsmTrainer::new(network(sphere.clone()), &data, &kernel, options).unwrap();
    group.bench_function("full", |b| {
        b.iter(|| black_box(trainer.step().unwrap().loss))
    });

    // A fixed batch: points, σ from the geometric schedule, exact targets.
    let mut rng = rng_from_seed(2);
    let (mut x, mut targets, mut sigmas) =
        (vec![0.0; BATCH * 3], vec![0.0; BATCH * 3], vec![0.0; BATCH]);
    for r in 0..BATCH {
        let s = uniform(&mut rng);
        sigmas[r] = options.sigma_min.powf(1.0 - s) * options.sigma_max.powf(s);
        let x0 = &data[(r % 1000) * 3..(r % 1000) * 3 + 3];
        kernel
            .sample_with_score(
                x0,
                sigmas[r] * sigmas[r],
                &mut rng,
                &mut x[r * 3..r * 3 + 3],
                &mut targets[r * 3..r * 3 + 3],
            )
            .unwrap();
    }
    let times: Vec<f64> = sigmas.iter().map(|s| s * s).collect();
    let mut net = network(sphere.clone());
    let mut adam = Adam::new(net.param_count(), AdamOptions::default()).unwrap();
    let mut workspace = DsmWorkspace::new();
    let mut grads = vec![0.0; net.param_count()];
    group.bench_function("network_adam", |b| {
        b.iter(|| {
            let loss =
                dsm_loss_and_gradient(&net, &mut workspace, &x, &times, &targets, &mut grads)
                    .unwrap();
            adam.step(net.params_mut(), &grads);
            black_box(loss)
        })
    });

    let mut x_noisy = vec![0.0; BATCH * 3];
    let mut target = vec![0.0; BATCH * 3];
    let mut rng = rng_from_seed(3);
    group.bench_function("batch_draw", |b| {
        b.iter(|| {
            for r in 0..BATCH {
                let sigma = 1e-3f64.powf(1.0 - uniform(&mut rng)) * 2.0;
                let x0 = &data[(r % 1000) * 3..(r % 1000) * 3 + 3];
                kernel
                    .sample_with_score(
                        x0,
                        sigma * sigma,
                        &mut rng,
                        &mut x_noisy[r * 3..r * 3 + 3],
                        &mut target[r * 3..r * 3 + 3],
                    )
                    .unwrap();
            }
            black_box(target[0])
        })
    });

    let mut out = vec![0.0; BATCH * 3];
    group.bench_function("inference_forward", |b| {
        b.iter(|| {
            net.score_into(&x, &times, &mut out).unwrap();
            black_box(out[0])
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
