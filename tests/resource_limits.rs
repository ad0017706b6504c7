//! The resource policy (`riemannian_diffusion::limits`, issue 9 item 1) at the library entry
//! points: every size a user controls is refused with `Error::LimitExceeded` — naming the size,
//! the bound and why — before anything is allocated or computed. Each case here would otherwise
//! allocate terabytes, overflow a size computation, or loop for years; each must return at once.

use riemannian_diffusion::data::{builtin_target, Dataset};
use riemannian_diffusion::generation::{generate, GenerationMethod, GenerationOptions};
use riemannian_diffusion::limits::{
    MAX_BATCH_SIZE, MAX_CORRECTOR_STEPS, MAX_HIDDEN_LAYERS, MAX_HIDDEN_WIDTH, MAX_STEPS,
    MAX_WALK_STEPS,
};
use riemannian_diffusion::manifold::{Manifold, Sphere};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::nn::{ScoreNet, ScoreNetConfig};
use riemannian_diffusion::random::rng_from_seed;
use riemannian_diffusion::registry::auto_kernel;
use riemannian_diffusion::sampling::forward_walk;
use riemannian_diffusion::train::{DsmTrainer, HeatKernelNoise, TrainOptions};
use riemannian_diffusion::Error;
use std::sync::Arc;
use std::time::Instant;

/// Asserts a `LimitExceeded` error naming `name` (and returns its message).
fn assert_limit<T>(result: riemannian_diffusion::Result<T>, name: &str) -> String {
    match result {
        Err(error @ Error::LimitExceeded { .. }) => {
            let message = error.to_string();
            assert!(message.contains(name), "{message}");
            message
        }
        Err(other) => panic!("expected LimitExceeded naming {name}, got {other}"),
        Ok(_) => panic!("expected LimitExceeded naming {name}, got Ok"),
    }
}

fn sphere() -> Arc<dyn Manifold> {
    Arc::new(Sphere::new(2).unwrap())
}

#[test]
fn network_sizes_are_bounded_before_allocation() {
    let m = sphere();
    let base = ScoreNetConfig::for_manifold(m.as_ref());
    for (width, layers, name) in [
        (MAX_HIDDEN_WIDTH + 1, 1, "hidden_width"),
        (1 << 20, 3, "hidden_width"),
        (usize::MAX, 3, "hidden_width"),
        (64, MAX_HIDDEN_LAYERS + 1, "hidden_layers"),
        (64, usize::MAX, "hidden_layers"),
        // Within each bound, but 5 × 16384² × 256 parameters far exceed the state budget.
        (MAX_HIDDEN_WIDTH, MAX_HIDDEN_LAYERS, "network state"),
    ] {
        let config = ScoreNetConfig {
            hidden_width: width,
            hidden_layers: layers,
            ..base.clone()
        };
        let started = Instant::now();
        assert_limit(ScoreNet::new(m.clone(), config, 0), name);
        assert!(started.elapsed().as_secs_f64() < 1.0);
    }
}

#[test]
fn training_sizes_are_bounded() {
    let m = sphere();
    let noise = HeatKernelNoise::for_manifold(m.as_ref()).unwrap();
    let data = vec![0.0, 0.0, 1.0];
    let net = || {
        let mut config = ScoreNetConfig::for_manifold(m.as_ref());
        config.hidden_width = 8;
        config.hidden_layers = 1;
        ScoreNet::new(m.clone(), config, 0).unwrap()
    };
    for (options, name) in [
        (
            TrainOptions {
                steps: MAX_STEPS + 1,
                ..TrainOptions::default()
            },
            "steps",
        ),
        (
            TrainOptions {
                batch_size: MAX_BATCH_SIZE + 1,
                ..TrainOptions::default()
            },
            "batch_size",
        ),
        (
            TrainOptions {
                batch_size: usize::MAX,
                ..TrainOptions::default()
            },
            "batch_size",
        ),
    ] {
        assert_limit(DsmTrainer::new(net(), &data, &noise, options), name);
    }
    // Within the batch bound, but a wide, deep network's tapes for 2²⁰ rows exceed the
    // memory budget: refused naming the batch size, before the batch buffers exist.
    let mut config = ScoreNetConfig::for_manifold(m.as_ref());
    config.hidden_width = 1024;
    config.hidden_layers = 8;
    let wide = ScoreNet::new(m.clone(), config, 0).unwrap();
    let options = TrainOptions {
        batch_size: MAX_BATCH_SIZE,
        ..TrainOptions::default()
    };
    let message = assert_limit(DsmTrainer::new(wide, &data, &noise, options), "batch_size");
    assert!(message.contains("tape"), "{message}");
}

#[test]
fn sample_counts_and_walk_steps_are_bounded() {
    let m = sphere();
    let target = builtin_target("vmf-mixture").unwrap();
    assert_limit(
        Dataset::sampled_from(target.as_ref(), "huge", usize::MAX, 0),
        "data set",
    );
    assert_limit(
        Dataset::sampled_from(target.as_ref(), "huge", 1 << 40, 0),
        "data set",
    );
    let mixture =
        HeatKernelMixture::new(auto_kernel(m.as_ref()).unwrap(), vec![0.0, 0.0, 1.0]).unwrap();
    assert_limit(
        generate(
            &mixture,
            usize::MAX,
            0.01,
            9.0,
            &GenerationOptions::default(),
        ),
        "generated samples",
    );
    let walk = |steps, corrector_steps| GenerationOptions {
        method: GenerationMethod::GeodesicRandomWalk {
            steps,
            corrector_steps,
            snr: 0.16,
        },
        ..GenerationOptions::default()
    };
    assert_limit(
        generate(&mixture, 4, 0.01, 9.0, &walk(MAX_WALK_STEPS + 1, 0)),
        "walk steps",
    );
    assert_limit(
        generate(&mixture, 4, 0.01, 9.0, &walk(100, MAX_CORRECTOR_STEPS + 1)),
        "corrector steps",
    );
    assert_limit(
        generate(&mixture, 4, 0.01, 9.0, &walk(100, usize::MAX)),
        "corrector steps",
    );
    let mut out = [0.0; 3];
    assert_limit(
        forward_walk(
            m.as_ref(),
            &[0.0, 0.0, 1.0],
            1.0,
            1_000_000_000,
            &mut rng_from_seed(0),
            &mut out,
        ),
        "walk steps",
    );
}

#[test]
fn oversized_data_files_are_refused_without_reading_them() {
    let dir = std::env::temp_dir().join(format!("rdiff-limits-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.csv");
    // A sparse file of 2 GiB: no disk space, but metadata says it is too large.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(2 << 30).unwrap();
    drop(file);
    let started = Instant::now();
    assert_limit(
        riemannian_diffusion::data::earth::load_lat_lon_file(&path, "huge"),
        "data file",
    );
    assert!(started.elapsed().as_secs_f64() < 1.0);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Manifold constructors bound their sizes so that `ambient_dim()` can never overflow.
#[test]
fn manifold_sizes_are_bounded() {
    use riemannian_diffusion::manifold::{
        Product, SpecialOrthogonal, SpecialUnitary, Torus, Unitary,
    };
    assert_limit(Sphere::new(usize::MAX), "sphere dimension");
    assert_limit(Torus::new(usize::MAX), "torus dimension");
    assert_limit(SpecialOrthogonal::new(usize::MAX), "SO(n)");
    assert_limit(SpecialUnitary::new(1 << 40), "unitary");
    assert_limit(Unitary::new(2897), "unitary");
    assert!(Unitary::new(2896).is_ok());
    let big: Arc<dyn Manifold> = Arc::new(Torus::new(1 << 23).unwrap());
    assert_limit(Product::new(vec![big.clone(), big.clone(), big]), "product");
}
