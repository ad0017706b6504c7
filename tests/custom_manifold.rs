//! Adding a manifold from outside the crate: one module (`common/scaled_circle.rs`: the
//! manifold, its heat kernel and its exact sampler) plus one registry entry
//! (`ScaledCircleFamily` there). With
//! that, everything the library builds on a manifold works on it — alone and inside products
//! with built-in manifolds — without any change to the crate: parsing and printing its spec,
//! rebuilding it from a checkpoint, the product kernel and sampler, DSM training, the
//! probability-flow likelihood, the default schedule and the input encoding of the network.
//!
//! The example is the circle of radius `r` embedded in `R²`, `C_r = {x : |x| = r}` with the
//! induced metric. Its heat kernel in the arclength `s = rθ` is the wrapped Gaussian
//! `p_t(s) = Σ_k (2πt)^{−1/2} e^{−(s + 2πrk)²/2t}` (density w.r.t. arclength, total `2πr`).

#[path = "common/scaled_circle.rs"]
mod scaled_circle;

use riemannian_diffusion::heat_kernel::KernelMethod;
use riemannian_diffusion::likelihood::{log_likelihood, LikelihoodOptions};
use riemannian_diffusion::manifold::{CoordinateKind, Manifold, ManifoldSpec, Product, Sphere};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::nn::{Checkpoint, InputEncoding, ScoreNet, ScoreNetConfig};
use riemannian_diffusion::train::{train, HeatKernelNoise, TrainOptions};
use scaled_circle::{registry, ScaledCircle};
use std::ops::ControlFlow;
use std::sync::Arc;

#[test]
fn the_spec_parses_prints_and_rebuilds_the_manifold_alone_and_in_products() {
    let registry = registry();
    let spec = registry.parse("scaled-circle:2.5*sphere:2").unwrap();
    assert_eq!(spec.to_string(), "scaled-circle:2.5*sphere:2");
    let manifold = registry.manifold(&spec).unwrap();
    assert_eq!(manifold.spec(), spec);
    assert_eq!(manifold.ambient_dim(), 5);
    // The built-in parser and registry do not know the family, and say so.
    assert!("scaled-circle:2.5".parse::<ManifoldSpec>().is_err());
    let message = riemannian_diffusion::registry::builtin()
        .manifold(&ManifoldSpec::custom("scaled-circle:2.5").unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("scaled-circle"), "{message}");
    // A user manifold never impersonates a built-in one.
    assert!(ManifoldSpec::custom("sphere:2").is_err());
}

#[test]
fn product_kernels_and_samplers_come_from_the_registry() {
    let registry = registry();
    let circle: Arc<dyn Manifold> = Arc::new(ScaledCircle { radius: 2.5 });
    let product = Product::new(vec![circle.clone(), Arc::new(Sphere::new(2).unwrap())]).unwrap();
    let kernel = registry.auto_kernel(&product).unwrap();
    let sampler = registry.auto_sampler(&product).unwrap();
    let x0 = [2.5, 0.0, 0.0, 0.0, 1.0];
    let mut x = vec![0.0; 5 * 200];
    sampler.sample_batch(&x0, &[0.3], 11, &mut x).unwrap();
    for row in x.chunks_exact(5) {
        product.check_point(row, 1e-9).unwrap();
    }
    // log p of the product is the sum of the factors' (sphere from the built-in kernel).
    let sphere_kernel = registry.auto_kernel(&Sphere::new(2).unwrap()).unwrap();
    let circle_kernel = registry.auto_kernel(circle.as_ref()).unwrap();
    let (a, b) = (&x[..5], &x[5..10]);
    let joint = kernel.log_prob(a, b, 0.3).unwrap().log_prob;
    let parts = circle_kernel
        .log_prob(&a[..2], &b[..2], 0.3)
        .unwrap()
        .log_prob
        + sphere_kernel
            .log_prob(&a[2..], &b[2..], 0.3)
            .unwrap()
            .log_prob;
    assert!((joint - parts).abs() < 1e-13, "{joint} vs {parts}");
    // Varadhan is not offered on the circle factor, so not on the product either.
    assert!(!registry
        .methods(&product.spec())
        .unwrap()
        .contains(&KernelMethod::Varadhan));
}

/// The network reads the circle factor as embedded coordinates and the torus factor as angles,
/// each where it sits.
#[test]
fn the_network_reads_each_factor_by_its_coordinate_kind() {
    let torus = Arc::new(riemannian_diffusion::manifold::Torus::new(1).unwrap());
    let product = Product::new(vec![Arc::new(ScaledCircle { radius: 2.5 }), torus]).unwrap();
    let encoding = InputEncoding::for_manifold(&product);
    let kinds: Vec<(CoordinateKind, usize)> =
        encoding.blocks().iter().map(|b| (b.kind, b.len)).collect();
    assert_eq!(
        kinds,
        vec![(CoordinateKind::Embedded, 2), (CoordinateKind::Angles, 1)]
    );
    assert_eq!(encoding.feature_count(), 4);
}

/// DSM training, the PF-ODE likelihood and checkpoints on the user manifold. The exact
/// mixture score (the user's kernel in `HeatKernelMixture`) integrated by the PF-ODE must
/// reproduce the exact mixture density, the check the built-in manifolds' likelihood tests
/// make: their error model `10·tol·(1 + |ℓ| + |s|)` at ODE tolerance `tol = 1e-6`, with
/// `|log p| ≲ 3` and `|s| ≲ 5` here, allows `1e-4` nats (measured: 1.6e-6).
#[test]
fn training_likelihood_and_checkpoints_work_on_the_user_manifold() {
    let registry = registry();
    let circle = ScaledCircle { radius: 2.5 };
    let manifold: Arc<dyn Manifold> = Arc::new(circle);
    // Data: draws from a two-centre heat-kernel mixture at t = 0.2 on the circle.
    let centres = vec![2.5, 0.0, -2.5, 0.0];
    let mixture = HeatKernelMixture::new(
        registry.auto_kernel(manifold.as_ref()).unwrap(),
        centres.clone(),
    )
    .unwrap();
    let sampler = registry.auto_sampler(manifold.as_ref()).unwrap();
    let mut data = vec![0.0; 2 * 400];
    let x0: Vec<f64> = (0..400)
        .flat_map(|i| centres[(i % 2) * 2..(i % 2) * 2 + 2].to_vec())
        .collect();
    sampler.sample_batch(&x0, &[0.2], 3, &mut data).unwrap();

    // The exact PF-ODE likelihood of the mixture noised to t0 = 0.2 from the user's kernel.
    let t0 = 0.2;
    let sigma_max = registry.default_sigma_max(manifold.as_ref()).unwrap();
    let mut options = LikelihoodOptions::default();
    options.ode.rtol = 1e-6;
    options.ode.atol = 1e-6;
    let points = &data[..2 * 20];
    let report = log_likelihood(&mixture, points, t0, sigma_max * sigma_max, &options).unwrap();
    let mut exact = vec![0.0; 20];
    mixture.log_prob_batch(points, &[t0], &mut exact).unwrap();
    let worst = report
        .log_likelihood
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "scaled circle: PF-ODE vs exact log p worst {worst:.2e} over 20 points ({} rhs evaluations)",
        report.stats.rhs_evaluations
    );
    assert!(worst < 1e-4, "PF-ODE vs exact log p: {worst}");

    // DSM training through the registry's noise, with the library's defaults for the family.
    let noise = HeatKernelNoise::from_registry(&registry, manifold.as_ref()).unwrap();
    let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
    config.hidden_width = 32;
    config.hidden_layers = 2;
    let network = ScoreNet::new(manifold.clone(), config, 1).unwrap();
    let options = TrainOptions {
        steps: 300,
        batch_size: 64,
        ..TrainOptions::for_manifold_in(&registry, manifold.as_ref()).unwrap()
    };
    assert_eq!(options.sigma_max, sigma_max);
    let model = train(network, &data, &noise, options, |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    let first: f64 = model.losses[..50].iter().sum::<f64>() / 50.0;
    let last: f64 = model.losses[250..].iter().sum::<f64>() / 50.0;
    eprintln!("scaled circle: DSM loss {first:.4} -> {last:.4} over 300 steps");
    assert!(last < first, "DSM loss {first} -> {last}");

    // Checkpoint round trip: the spec is stored, the registry rebuilds the manifold.
    let dir = std::env::temp_dir().join(format!("rdiff-custom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("circle.ckpt");
    model
        .network
        .save(&path, Some(&model.ema_params), vec![])
        .unwrap();
    let checkpoint = Checkpoint::load(&path).unwrap();
    assert_eq!(checkpoint.manifold.to_string(), "scaled-circle:2.5");
    let rebuilt = registry.manifold(&checkpoint.manifold).unwrap();
    let restored = checkpoint.network(rebuilt).unwrap();
    assert_eq!(restored.params(), model.network.params());
    std::fs::remove_dir_all(&dir).unwrap();
}
