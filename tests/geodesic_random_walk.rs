//! Weak convergence of the forward geodesic random walk (RSGM Algorithm 1) to the heat kernel.
//!
//! For `f` a degree-1 spherical harmonic on `S²` or a matrix coefficient of the defining
//! representation of `SO(3)`, one GRW step of size `γ` multiplies `E f` by a known scalar `m(γ)`
//! (isotropy of the tangent Gaussian: odd terms vanish, and on `SO(3)` `E[exp(√γ Ω)] = m I` by
//! Schur's lemma), so after `N = t/γ` steps
//!
//! - `S²`, `f = ⟨x, x₀⟩`: `E f(X_N) = m(γ)^N`, `m(γ) = E cos(√γ R) = Σ_k (−2γ)^k k!/(2k)!`
//!   (`R² ~ χ²₂`), while the heat kernel gives `e^{−t}` (eigenvalue `ℓ(ℓ+1) = 2` of `−Δ`, factor
//!   `e^{−λt/2}`). `ln m = −γ − γ²/6 + O(γ³)`: error `≈ −e^{−t} t²/(6N)`.
//! - `SO(3)` (½tr metric), `f = tr(x₀ᵀ x)`: `E f(X_N) = 3 m(γ)^N`,
//!   `m(γ) = (1 + 2 E cos(√γ R))/3 = (1 + 2 e^{−γ/2}(1 − γ))/3` (`R² ~ χ²₃`), heat kernel
//!   `d e^{−c t/2}` with `d = 3`, `c = 2` the dimension and Casimir of the defining representation
//!   (taken from `crate::lie`). `ln m = −γ − γ²/12 + O(γ³)`: error `≈ −3 e^{−t} t²/(12N)`.
//! - `T²`, `f = cos(x₁ − x₀₁)`: exact for every `N`, `E f = e^{−t/2}`.
//!
//! Each test checks (a) the Monte-Carlo mean against the exact GRW value `m(γ)^N` for every `N`
//! (a sharp test of the implementation), (b) the measured slope of `ln|error|` against `ln N`,
//! where `error = mean − (heat-kernel value)`, by weighted least squares, against the slope of
//! the exact GRW errors (and that this is within 0.2 of the first-order rate −1; the
//! higher-order terms at γ = t/2 = 1 steepen it).

use riemannian_diffusion::lie::RootSystem;
use riemannian_diffusion::manifold::{Manifold, SpecialOrthogonal, Sphere, Torus};
use riemannian_diffusion::sampling::{GeodesicRandomWalkSampler, HeatKernelSampler};

const STEPS: [usize; 5] = [2, 4, 8, 16, 32];

/// Sample mean and standard error of `f` over the rows of `samples`.
fn mean_and_standard_error(samples: &[f64], n: usize, f: impl Fn(&[f64]) -> f64) -> (f64, f64) {
    let values: Vec<f64> = samples.chunks_exact(n).map(f).collect();
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1.0);
    (mean, (var / count).sqrt())
}

/// Weighted least-squares slope of `y` on `x` with standard deviations `sd`; returns
/// `(slope, standard error of the slope)`.
fn weighted_slope(x: &[f64], y: &[f64], sd: &[f64]) -> (f64, f64) {
    let w: Vec<f64> = sd.iter().map(|s| 1.0 / (s * s)).collect();
    let sw: f64 = w.iter().sum();
    let mx = x.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let my = y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / sw;
    let sxx: f64 = x.iter().zip(&w).map(|(a, b)| b * (a - mx) * (a - mx)).sum();
    let sxy: f64 = x
        .iter()
        .zip(y)
        .zip(&w)
        .map(|((a, c), b)| b * (a - mx) * (c - my))
        .sum();
    (sxy / sxx, (1.0 / sxx).sqrt())
}

/// Runs the walk for every step count in [`STEPS`], checks the exact GRW law and returns the
/// measured and predicted convergence slopes.
#[allow(clippy::too_many_arguments)]
fn convergence<M: Manifold + Clone>(
    name: &str,
    manifold: M,
    x0: &[f64],
    t: f64,
    rows: usize,
    f: &dyn Fn(&[f64]) -> f64,
    grw_value: &dyn Fn(usize) -> f64,
    heat_value: f64,
) -> (f64, f64, f64) {
    let n = manifold.ambient_dim();
    let (mut logs_n, mut logs_err, mut sds, mut logs_exact) = (vec![], vec![], vec![], vec![]);
    for (i, &steps) in STEPS.iter().enumerate() {
        let sampler = GeodesicRandomWalkSampler::new(manifold.clone(), steps).unwrap();
        let mut out = vec![0.0; rows * n];
        let start = std::time::Instant::now();
        sampler
            .sample_batch(x0, &[t], 100 + i as u64, &mut out)
            .unwrap();
        let elapsed = start.elapsed().as_secs_f64();
        let (mean, se) = mean_and_standard_error(&out, n, f);
        let exact_walk = grw_value(steps);
        // (a) The walk's law: 4.5 standard errors (two-sided p ≈ 7e-6 per check).
        assert!(
            (mean - exact_walk).abs() < 4.5 * se,
            "{name}, N = {steps}: mean {mean} vs exact GRW value {exact_walk} (se {se})"
        );
        let error = mean - heat_value;
        println!(
            "{name} N = {steps:2}: E f = {mean:.6} ± {se:.1e}, GRW exact {exact_walk:.6}, \
             kernel {heat_value:.6}, error {error:.3e} (exact GRW error {:.3e}), {elapsed:.2} s",
            exact_walk - heat_value
        );
        logs_n.push((steps as f64).ln());
        logs_err.push(error.abs().ln());
        // Delta method: sd of ln|error| = se/|error| (error must be resolved; checked below).
        sds.push(se / error.abs());
        logs_exact.push((exact_walk - heat_value).abs().ln());
    }
    assert!(
        sds.iter().all(|s| *s < 0.5),
        "{name}: errors not resolved by Monte Carlo: relative sds {sds:?}"
    );
    let (slope, slope_se) = weighted_slope(&logs_n, &logs_err, &sds);
    let (predicted, _) = weighted_slope(&logs_n, &logs_exact, &sds);
    println!("{name}: measured slope {slope:.3} ± {slope_se:.3}, exact GRW slope {predicted:.3}");
    (slope, slope_se, predicted)
}

fn check_slope(name: &str, (slope, slope_se, predicted): (f64, f64, f64)) {
    // The exact GRW errors decay at first order (ln m = −γ + O(γ²)); over N ∈ [2, 32] at t = 2
    // (γ up to 1) the least-squares slope deviates from −1 by the higher-order terms: −1.17 on
    // S², −1.04 on SO(3).
    assert!(
        (predicted + 1.0).abs() < 0.2,
        "{name}: exact slope {predicted}"
    );
    // The measured slope agrees with it to 4 standard errors, and is first order.
    assert!(
        (slope - predicted).abs() < 4.0 * slope_se,
        "{name}: slope {slope} ± {slope_se} vs {predicted}"
    );
    assert!((slope + 1.0).abs() < 0.35, "{name}: slope {slope}");
}

/// `S²` from the north pole at `t = 2` (where the error is largest relative to the sd of `f`).
#[test]
fn sphere_walk_converges_at_first_order() {
    let t = 2.0;
    let x0 = [0.0, 0.0, 1.0];
    let m = |gamma: f64| {
        // Σ_k (−2γ)^k k!/(2k)!, terms decrease by 2γ/((2k+1)(2k+2)) ≤ 1/6 for γ ≤ 1.
        let (mut sum, mut term) = (0.0, 1.0);
        for k in 0..40 {
            sum += term;
            term *= -2.0 * gamma * (k as f64 + 1.0) / ((2 * k + 1) as f64 * (2 * k + 2) as f64);
        }
        sum
    };
    let grw = |steps: usize| m(t / steps as f64).powi(steps as i32);
    let f = |x: &[f64]| x[2];
    let result = convergence(
        "S2",
        Sphere::new(2).unwrap(),
        &x0,
        t,
        1 << 19,
        &f,
        &grw,
        (-t).exp(),
    );
    check_slope("S2", result);
}

/// `SO(3)` from a fixed rotation at `t = 2`; the kernel value comes from the Casimir of the
/// defining representation in `crate::lie`.
#[test]
fn special_orthogonal_walk_converges_at_first_order() {
    let t = 2.0;
    let roots = RootSystem::special_orthogonal(3).unwrap();
    let defining = roots.irrep(&[1]).unwrap();
    assert_eq!(defining.dimension(), 3.0);
    assert!((defining.casimir() - 2.0).abs() < 1e-14);
    let heat = defining.dimension() * (-defining.casimir() * t / 2.0).exp();
    // x0 = rotation by 0.7 about z.
    let (c, s) = (0.7f64.cos(), 0.7f64.sin());
    let x0 = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
    let m = |gamma: f64| (1.0 + 2.0 * (-gamma / 2.0).exp() * (1.0 - gamma)) / 3.0;
    let grw = |steps: usize| 3.0 * m(t / steps as f64).powi(steps as i32);
    let f = |x: &[f64]| x.iter().zip(&x0).map(|(a, b)| a * b).sum::<f64>();
    let result = convergence(
        "SO(3)",
        SpecialOrthogonal::new(3).unwrap(),
        &x0,
        t,
        1 << 19,
        &f,
        &grw,
        heat,
    );
    check_slope("SO(3)", result);
}

/// On the flat torus the walk is exact for every step count: `E cos(x₁ − x₀₁) = e^{−t/2}`.
#[test]
fn torus_walk_is_exact_for_every_step_count() {
    let t = 1.5;
    let x0 = [1.0, 4.0];
    let torus = Torus::new(2).unwrap();
    for (i, steps) in [1usize, 2, 8].into_iter().enumerate() {
        let sampler = GeodesicRandomWalkSampler::new(torus, steps).unwrap();
        let rows = 1 << 16;
        let mut out = vec![0.0; rows * 2];
        sampler.sample_batch(&x0, &[t], i as u64, &mut out).unwrap();
        let (mean, se) = mean_and_standard_error(&out, 2, |x| (x[0] - x0[0]).cos());
        let exact = (-t / 2.0).exp();
        assert!(
            (mean - exact).abs() < 4.5 * se,
            "T2, N = {steps}: {mean} vs {exact} (se {se})"
        );
    }
}

/// Batches are cut into fixed chunks with one stream each: one thread gives the same bits.
#[test]
fn walk_batches_do_not_depend_on_the_thread_count() {
    let sampler = GeodesicRandomWalkSampler::new(Sphere::new(2).unwrap(), 5).unwrap();
    let mut parallel = vec![0.0; 700 * 3];
    sampler
        .sample_batch(&[1.0, 0.0, 0.0], &[0.3], 9, &mut parallel)
        .unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let mut serial = vec![0.0; 700 * 3];
    pool.install(|| sampler.sample_batch(&[1.0, 0.0, 0.0], &[0.3], 9, &mut serial))
        .unwrap();
    assert_eq!(parallel, serial);
}

/// Property: for any seed, time and step count the walk ends on the manifold (no drift off
/// `SO(3)` or `S²` beyond rounding: each step is an exact exponential map of a tangent vector).
#[test]
fn quickcheck_walks_stay_on_the_manifold() {
    fn prop(seed: u64, time: u16, steps: u8) -> bool {
        let t = 1e-3 + time as f64 / 1000.0;
        let steps = 1 + steps as usize % 40;
        let mut rng = riemannian_diffusion::random::rng_from_seed(seed);
        let so3 = SpecialOrthogonal::new(3).unwrap();
        let mut g = vec![0.0; 9];
        let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        riemannian_diffusion::sampling::forward_walk(&so3, &identity, t, steps, &mut rng, &mut g)
            .unwrap();
        let s2 = Sphere::new(2).unwrap();
        let mut x = vec![0.0; 3];
        riemannian_diffusion::sampling::forward_walk(
            &s2,
            &[0.0, 1.0, 0.0],
            t,
            steps,
            &mut rng,
            &mut x,
        )
        .unwrap();
        so3.check_point(&g, 1e-12).is_ok() && s2.check_point(&x, 1e-12).is_ok()
    }
    quickcheck::quickcheck(prop as fn(u64, u16, u8) -> bool);
}
