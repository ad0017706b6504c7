//! `Auto` heat-kernel score throughput on the JAX anchor's inputs (issue 10, goal 1), for the
//! side-by-side comparison run by `benches/compare.sh`.
//!
//! Inputs, as in the peer `../shared/peers/jax_kernels.py` (`sample_points`): `σ` log-uniform on
//! `[1e-3, 3]`, `t = σ²` per row, `x₀` uniform (Haar on the groups), `x = exp_{x₀}(σ ξ)` with `ξ`
//! a standard Gaussian tangent vector in the crate's metric (on SO(3), whose metric is
//! `½ tr(uᵀv)`, that is a rotation vector `N(0, σ² I₃)`, as in the peer). The random numbers
//! differ from the peer's; the distribution is the same.
//!
//! `kernel_scores/{S2,S127,SO3,SU3}/{1e-12,1e-6}`: one call of `HeatKernel::score_batch`
//! (parallel over fixed chunks; the thread count comes from `RAYON_NUM_THREADS`) on
//! [`POINTS`] rows, each with its own `t`. Throughput is per point.
//!
//! Run: `cargo bench --bench kernel_throughput`; `RAYON_NUM_THREADS=1` for one core.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use riemannian_diffusion::heat_kernel::KernelMethod;
use riemannian_diffusion::manifold::{Manifold, ManifoldSpec};
use riemannian_diffusion::random::{rng_from_seed, uniform, Rng};
use riemannian_diffusion::registry::{builtin, heat_kernel};
use std::hint::black_box;
use std::time::Duration;

/// Rows per call (the peer's `--batches 20000`).
const POINTS: usize = 20_000;

/// The peer's manifolds, by its names.
const MANIFOLDS: [(&str, &str); 4] = [
    ("S2", "sphere:2"),
    ("S127", "sphere:127"),
    ("SO3", "so:3"),
    ("SU3", "su:3"),
];

/// `σ` log-uniform on `[1e-3, 3]`.
fn sigma(rng: &mut Rng) -> f64 {
    let u = uniform(rng);
    (1e-3f64.ln() + u * (3f64.ln() - 1e-3f64.ln())).exp()
}

/// `(x0, x, t)` rows of the anchor's input distribution on `m`.
fn inputs(m: &dyn Manifold, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = m.ambient_dim();
    let mut rng = rng_from_seed(seed);
    let (mut x0, mut x, mut t) = (
        vec![0.0; POINTS * n],
        vec![0.0; POINTS * n],
        vec![0.0; POINTS],
    );
    let mut xi = vec![0.0; n];
    for i in 0..POINTS {
        let s = sigma(&mut rng);
        t[i] = s * s;
        let row0 = &mut x0[i * n..(i + 1) * n];
        m.sample_uniform(&mut rng, row0);
        m.sample_tangent_normal(row0, &mut rng, &mut xi);
        xi.iter_mut().for_each(|v| *v *= s);
        m.exp(row0, &xi, &mut x[i * n..(i + 1) * n]);
    }
    (x0, x, t)
}

fn kernel_scores(c: &mut Criterion) {
    for (name, spec_text) in MANIFOLDS {
        let spec: ManifoldSpec = spec_text.parse().unwrap();
        let m = builtin().manifold(&spec).unwrap();
        let (x0, x, t) = inputs(m.as_ref(), 1234);
        let mut out = vec![0.0; x.len()];
        let mut group = c.benchmark_group(format!("kernel_scores/{name}"));
        group.throughput(Throughput::Elements(POINTS as u64));
        group.sample_size(10);
        group.warm_up_time(Duration::from_secs(1));
        group.measurement_time(Duration::from_secs(4));
        for tol in [1e-12, 1e-6] {
            let kernel = heat_kernel(&spec, KernelMethod::Auto, tol).unwrap();
            group.bench_with_input(BenchmarkId::from_parameter(tol), &tol, |b, _| {
                b.iter(|| {
                    kernel.score_batch(&x0, &x, &t, &mut out, None).unwrap();
                    black_box(&out);
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, kernel_scores);
criterion_main!(benches);
