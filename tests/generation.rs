//! Reverse probability-flow ODE sampling (`riemannian_diffusion::generation`).

use riemannian_diffusion::generation::{generate, GenerationOptions};
use riemannian_diffusion::heat_kernel::auto_kernel;
use riemannian_diffusion::manifold::Sphere;
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::ode::OdeOptions;
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
