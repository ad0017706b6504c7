//! DSM training: the loss goes down, runs are bit-reproducible for any thread count, trained
//! models survive a checkpoint round trip.

use riemannian_diffusion::manifold::{Manifold, Sphere, Torus};
use riemannian_diffusion::nn::{Checkpoint, ScoreNet, ScoreNetConfig};
use riemannian_diffusion::random::rng_from_seed;
use riemannian_diffusion::score::ScoreField;
use riemannian_diffusion::train::{
    dsm_loss_and_gradient, train, DsmKernel, DsmTrainer, DsmWorkspace, HeatKernelNoise, Loss,
    Probe, TrainOptions,
};
use std::ops::ControlFlow;
use std::sync::Arc;

fn small_net(manifold: Arc<dyn Manifold>, width: usize, layers: usize, seed: u64) -> ScoreNet {
    let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
    config.hidden_width = width;
    config.hidden_layers = layers;
    ScoreNet::new(manifold, config, seed).unwrap()
}

/// Data: `k` points of `S²` near the north pole.
fn cluster(k: usize) -> Vec<f64> {
    let mut data = Vec::new();
    for i in 0..k {
        let a = 0.3 * i as f64;
        let (x, y) = (0.2 * a.cos(), 0.2 * a.sin());
        let z = (1.0f64 - x * x - y * y).sqrt();
        data.extend_from_slice(&[x, y, z]);
    }
    data
}

/// DSM loss of `net` on a fixed evaluation batch drawn from `kernel` (seeded).
fn evaluation_loss(
    net: &ScoreNet,
    kernel: &HeatKernelNoise,
    data: &[f64],
    options: &TrainOptions,
) -> f64 {
    // Drawn with its own generator, independent of the training streams; σ on a fixed grid.
    let n = net.config().ambient_dim;
    let rows = 2048;
    let mut rng = rng_from_seed(12345);
    let (mut x, mut targets, mut sigmas) =
        (vec![0.0; rows * n], vec![0.0; rows * n], vec![0.0; rows]);
    let data_rows = data.len() / n;
    for r in 0..rows {
        let s = (r as f64 + 0.5) / rows as f64;
        sigmas[r] = options.sigma_min.powf(1.0 - s) * options.sigma_max.powf(s);
        let x0 = &data[(r % data_rows) * n..(r % data_rows + 1) * n];
        kernel
            .sample_with_score(
                x0,
                sigmas[r] * sigmas[r],
                &mut rng,
                &mut x[r * n..(r + 1) * n],
                &mut targets[r * n..(r + 1) * n],
            )
            .unwrap();
    }
    let times: Vec<f64> = sigmas.iter().map(|s| s * s).collect();
    let mut grads = vec![0.0; net.param_count()];
    dsm_loss_and_gradient(
        net,
        &mut DsmWorkspace::new(),
        &x,
        &times,
        &targets,
        &mut grads,
    )
    .unwrap()
}

#[test]
fn training_reduces_the_dsm_loss() {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = cluster(1);
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    let options = TrainOptions {
        steps: 300,
        batch_size: 64,
        learning_rate: 3e-3,
        sigma_min: 0.05,
        sigma_max: 2.0,
        seed: 1,
        log_interval: 50,
        ..TrainOptions::default()
    };
    let net = small_net(sphere, 32, 2, 1);
    let before = evaluation_loss(&net, &kernel, &data, &options);
    let mut reports = 0;
    let model = train(net, &data, &kernel, options, |r| {
        if r.interval_mean.is_some() {
            reports += 1;
        }
        ControlFlow::Continue(())
    })
    .unwrap();
    let after = evaluation_loss(&model.network, &kernel, &data, &options);
    let after_ema = evaluation_loss(&model.ema_network(), &kernel, &data, &options);
    eprintln!("evaluation loss: before {before:.4}, after {after:.4}, EMA {after_ema:.4}");
    assert_eq!(model.losses.len(), 300);
    assert_eq!(reports, 6);
    // One data point: the DSM optimum is the kernel score itself (zero loss). Measured here:
    // 2.37 -> 0.12 (EMA 0.13); the bound asks for a fivefold reduction.
    assert!(after < 0.2 * before, "before {before}, after {after}");
}

/// Every loss of the family trains the network towards the heat-kernel score: the same short
/// run as `training_reduces_the_dsm_loss`, measured with the exact-target DSM evaluation loss.
/// ISM and sliced ISM have the same minimiser as DSM (their losses differ from it by a
/// θ-independent constant). Varadhan targets are biased at large `t` (on S² the exact score
/// is not `log_x(x₀)/t`), so their optimum keeps a positive DSM loss. Measured (300 steps):
/// 2.37 → 0.20 (Varadhan), 0.23 (ISM), 0.23 (sliced, 1 Rademacher probe), 0.23 (sliced, 2
/// Gaussian probes), against 0.12 for exact DSM; the bound asks for a threefold reduction.
#[test]
fn every_loss_reduces_the_dsm_evaluation_loss() {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = cluster(1);
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    for loss in [
        Loss::DsmVaradhan,
        Loss::Ism,
        Loss::Sliced {
            probe: Probe::Rademacher,
            probes: 1,
        },
        Loss::Sliced {
            probe: Probe::Gaussian,
            probes: 2,
        },
    ] {
        let options = TrainOptions {
            steps: 300,
            batch_size: 64,
            learning_rate: 3e-3,
            sigma_min: 0.05,
            sigma_max: 2.0,
            seed: 1,
            loss,
            ..TrainOptions::default()
        };
        let net = small_net(sphere.clone(), 32, 2, 1);
        let before = evaluation_loss(&net, &kernel, &data, &options);
        let model = train(net, &data, &kernel, options, |_| ControlFlow::Continue(())).unwrap();
        let after = evaluation_loss(&model.network, &kernel, &data, &options);
        let first: f64 = model.losses[..50].iter().sum::<f64>() / 50.0;
        let last: f64 = model.losses[250..].iter().sum::<f64>() / 50.0;
        eprintln!(
            "{loss}: DSM evaluation loss {before:.4} -> {after:.4}; own loss {first:.4} -> {last:.4}"
        );
        assert!(
            after < before / 3.0,
            "{loss}: before {before}, after {after}"
        );
        assert!(last < first, "{loss}: own loss {first} -> {last}");
    }
}

/// ISM and sliced ISM (probes drawn from the chunk streams) are bit-reproducible for any
/// thread count, like DSM.
#[test]
fn ism_training_is_identical_with_one_and_two_threads() {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = cluster(3);
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    for loss in [
        Loss::Ism,
        Loss::Sliced {
            probe: Probe::Rademacher,
            probes: 2,
        },
    ] {
        let options = TrainOptions {
            steps: 2,
            batch_size: 300,
            learning_rate: 1e-3,
            seed: 4,
            loss,
            ..TrainOptions::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let net = small_net(sphere.clone(), 16, 2, 3);
                train(net, &data, &kernel, options, |_| ControlFlow::Continue(())).unwrap()
            })
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.losses, two.losses, "{loss}");
        assert_eq!(one.network.params(), two.network.params(), "{loss}");
    }
}

#[test]
fn training_is_identical_with_one_and_two_threads() {
    let torus: Arc<dyn Manifold> = Arc::new(Torus::new(2).unwrap());
    let data = vec![0.5, 1.0, 3.0, 6.0, 6.2, 0.1];
    let kernel = HeatKernelNoise::for_manifold(torus.as_ref()).unwrap();
    // Batch 96: one tape with faer-parallel GEMMs (width 128: the 96×128·128×128 products
    // exceed the tape's parallel threshold). Batch 300: three chunk tapes (the last partial),
    // sequential GEMMs, gradients reduced in chunk order.
    for batch_size in [96, 300] {
        let options = TrainOptions {
            steps: 2,
            batch_size,
            learning_rate: 1e-3,
            sigma_min: 0.01,
            sigma_max: 3.0,
            seed: 7,
            grad_clip: Some(1.0),
            ..TrainOptions::default()
        };
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let net = small_net(torus.clone(), 128, 2, 3);
                train(net, &data, &kernel, options, |_| ControlFlow::Continue(())).unwrap()
            })
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.losses, two.losses, "batch {batch_size}");
        assert_eq!(
            one.network.params(),
            two.network.params(),
            "batch {batch_size}"
        );
        assert_eq!(one.ema_params, two.ema_params, "batch {batch_size}");
        // A different seed gives a different run.
        let other = train(
            small_net(torus.clone(), 128, 2, 3),
            &data,
            &kernel,
            TrainOptions { seed: 8, ..options },
            |_| ControlFlow::Continue(()),
        )
        .unwrap();
        assert_ne!(one.losses, other.losses);
    }
}

#[test]
fn trained_model_checkpoint_round_trip() {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = cluster(3);
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    let options = TrainOptions {
        steps: 2,
        batch_size: 16,
        sigma_min: 1e-3,
        ..TrainOptions::default()
    };
    let model = train(
        small_net(sphere.clone(), 8, 2, 2),
        &data,
        &kernel,
        options,
        |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!("rdiff-training-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model.ckpt");
    model.save(&path).unwrap();
    let c = Checkpoint::load(&path).unwrap();
    assert_eq!(c.metadata_value("steps"), Some("2"));
    assert_eq!(
        c.metadata_value("sigma_min")
            .map(|s| s.parse::<f64>().unwrap()),
        Some(1e-3)
    );
    let restored = c.ema_network(sphere.clone()).unwrap();
    let x = [0.0, 0.6, 0.8];
    let (mut a, mut b) = ([0.0; 3], [0.0; 3]);
    model.ema_network().score_batch(&x, &[0.1], &mut a).unwrap();
    restored.score_batch(&x, &[0.1], &mut b).unwrap();
    assert_eq!(a, b);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn trainer_rejects_bad_input() {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    let net = || small_net(sphere.clone(), 4, 1, 0);
    let ok = TrainOptions::default();
    // Off-manifold data, empty data, ragged data.
    assert!(DsmTrainer::new(net(), &[1.0, 1.0, 0.0], &kernel, ok).is_err());
    assert!(DsmTrainer::new(net(), &[], &kernel, ok).is_err());
    assert!(DsmTrainer::new(net(), &[1.0, 0.0], &kernel, ok).is_err());
    for bad in [
        TrainOptions {
            batch_size: 0,
            ..ok
        },
        TrainOptions {
            sigma_min: 0.0,
            ..ok
        },
        TrainOptions {
            sigma_max: 1e-4,
            ..ok
        },
        TrainOptions {
            learning_rate: f64::NAN,
            ..ok
        },
        TrainOptions {
            ema_decay: 1.0,
            ..ok
        },
        TrainOptions { s_min: 1.0, ..ok },
        TrainOptions {
            grad_clip: Some(-1.0),
            ..ok
        },
    ] {
        assert!(
            DsmTrainer::new(net(), &[0.0, 0.0, 1.0], &kernel, bad).is_err(),
            "{bad:?}"
        );
    }
    // A kernel on another manifold.
    let torus_kernel = HeatKernelNoise::for_manifold(&Torus::new(3).unwrap()).unwrap();
    assert!(DsmTrainer::new(net(), &[0.0, 0.0, 1.0], &torus_kernel, ok).is_err());
}

/// With a single data point `x₀`, the DSM optimum is the heat-kernel score `∇ log p_t(x₀, ·)`
/// itself, so a trained network must approximate it. Long (≈ 30 s in release on 2 cores):
/// `cargo test --release --test training -- --ignored`.
#[test]
#[ignore]
fn trained_network_approximates_the_kernel_score() {
    use riemannian_diffusion::registry::auto_kernel;
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = vec![0.0, 0.0, 1.0];
    let noise = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    let options = TrainOptions {
        steps: 3000,
        batch_size: 256,
        learning_rate: 1e-3,
        sigma_min: 0.1,
        sigma_max: 2.0,
        seed: 5,
        ..TrainOptions::default()
    };
    let model = train(
        small_net(sphere.clone(), 128, 3, 5),
        &data,
        &noise,
        options,
        |_| ControlFlow::Continue(()),
    )
    .unwrap();
    let net = model.ema_network();
    let kernel = auto_kernel(sphere.as_ref()).unwrap();
    let mut rng = rng_from_seed(99);
    for sigma in [0.15, 0.3, 0.6, 1.2] {
        let t = sigma * sigma;
        let (mut err2, mut norm2) = (0.0, 0.0);
        for _ in 0..500 {
            let (mut x, mut exact, mut learned) = ([0.0; 3], [0.0; 3], [0.0; 3]);
            noise
                .sample_with_score(&data, t, &mut rng, &mut x, &mut exact)
                .unwrap();
            kernel.score(&data, &x, t, &mut exact).unwrap();
            net.score_batch(&x, &[t], &mut learned).unwrap();
            err2 += (0..3).map(|j| (learned[j] - exact[j]).powi(2)).sum::<f64>();
            norm2 += exact.iter().map(|v| v * v).sum::<f64>();
        }
        let relative = (err2 / norm2).sqrt();
        eprintln!("σ = {sigma}: relative L2 error of the learned score {relative:.4}");
        // Measured 0.006, 0.003, 0.005, 0.016 (σ = 0.15 … 1.2) after 3000 steps (26 s release,
        // loaded machine); 0.08 leaves a fivefold margin for other seeds and kernels.
        assert!(relative < 0.08, "σ = {sigma}: relative error {relative}");
    }
}

/// DSM on SO(3) with the exact group heat-kernel sampler and score: a short run lowers the
/// DSM evaluation loss (data: three rotations near the identity). Also runs ISM for a few
/// steps to check the group path end to end (curvature term of the generic projection).
#[test]
fn dsm_training_on_so3_reduces_the_loss() {
    use riemannian_diffusion::manifold::SpecialOrthogonal;
    let so3: Arc<dyn Manifold> = Arc::new(SpecialOrthogonal::new(3).unwrap());
    let mut data = vec![0.0; 27];
    for (k, x0) in data.chunks_exact_mut(9).enumerate() {
        let a = 0.2 * (k as f64 + 1.0);
        let (c, s) = (a.cos(), a.sin());
        x0.copy_from_slice(&[c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0]);
    }
    let kernel = HeatKernelNoise::for_manifold(so3.as_ref()).unwrap();
    let options = TrainOptions {
        steps: 150,
        batch_size: 64,
        learning_rate: 3e-3,
        sigma_min: 0.1,
        sigma_max: 1.5,
        seed: 2,
        ..TrainOptions::default()
    };
    let net = small_net(so3.clone(), 32, 2, 1);
    let start = std::time::Instant::now();
    let before = evaluation_loss(&net, &kernel, &data, &options);
    let eval_time = start.elapsed();
    let start = std::time::Instant::now();
    let model = train(net, &data, &kernel, options, |_| ControlFlow::Continue(())).unwrap();
    let train_time = start.elapsed();
    let after = evaluation_loss(&model.network, &kernel, &data, &options);
    eprintln!(
        "SO(3) DSM evaluation loss {before:.4} -> {after:.4} (eval {eval_time:?}, train {train_time:?})"
    );
    // Measured 2.91 -> 0.48 (150 steps); the bound asks for a twofold reduction.
    assert!(after < 0.5 * before, "before {before}, after {after}");
    let ism = train(
        small_net(so3.clone(), 16, 2, 1),
        &data,
        &kernel,
        TrainOptions {
            steps: 3,
            loss: Loss::Ism,
            ..options
        },
        |_| ControlFlow::Continue(()),
    )
    .unwrap();
    assert!(ism.losses.iter().all(|l| l.is_finite()));
}
