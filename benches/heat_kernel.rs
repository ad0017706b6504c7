//! Speed of the `Auto` heat-kernel scores (the DSM training hot path) and of the exact samplers.
//!
//! Points are drawn from the kernel itself (`x ~ p_t(x₀, ·)`), the distribution DSM evaluates
//! scores on. Throughput is reported per point.
//!
//! `auto_score_batch/*`: `Auto` throughput of [`HeatKernel::score_batch`] (the batched, parallel
//! entry point DSM training uses) on 1024 points per manifold at t ∈ {0.01, 0.1, 1}, for S², S³,
//! S⁷, S¹²⁷, SO(3), SU(2), SU(3), U(2). x₀ is Haar-uniform per row; x = exp_{x₀}(√t·z) with z a
//! standard Gaussian tangent vector (the kernel's own law to leading order in t; exact samplers
//! for the groups are not needed to time the kernel).
//!
//! `auto_sample_batch/*`: exact sampling throughput of `auto_sampler` per manifold.
//!
//! Run: `cargo bench --bench heat_kernel` (all) or `cargo bench --bench heat_kernel -- auto_score_batch`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use riemannian_diffusion::heat_kernel::{
    HeatKernel, KernelMethod, SphereHeatKernel, TorusHeatKernel,
};
use riemannian_diffusion::manifold::{CompactGroup, Manifold, ManifoldSpec, Sphere, Torus};
use riemannian_diffusion::registry::{auto_sampler, builtin, heat_kernel};
use riemannian_diffusion::sampling::{
    HeatKernelSampler, SphereHeatKernelSampler, TorusHeatKernelSampler,
};
use std::hint::black_box;

const POINTS: usize = 1024;

fn sphere_points(d: usize, t: f64) -> (Vec<f64>, Vec<f64>) {
    let sphere = Sphere::new(d).unwrap();
    let n = d + 1;
    let mut x0 = vec![0.0; POINTS * n];
    let mut rng = riemannian_diffusion::random::rng_from_seed(1);
    for row in x0.chunks_exact_mut(n) {
        sphere.sample_uniform(&mut rng, row);
    }
    let mut x = vec![0.0; POINTS * n];
    SphereHeatKernelSampler::new(sphere)
        .sample_batch(&x0, &[t], 2, &mut x)
        .unwrap();
    (x0, x)
}

fn sphere_score(c: &mut Criterion) {
    for d in [2usize, 3] {
        let kernel = SphereHeatKernel::new(Sphere::new(d).unwrap(), KernelMethod::Auto);
        let n = d + 1;
        let mut group = c.benchmark_group(format!("sphere{d}_auto_score_per_point"));
        group.throughput(Throughput::Elements(POINTS as u64));
        for t in [1e-3, 1e-2, 0.1, 0.3, 1.0, 3.0] {
            let (x0, x) = sphere_points(d, t);
            let mut s = vec![0.0; n];
            group.bench_with_input(BenchmarkId::from_parameter(t), &t, |b, &t| {
                b.iter(|| {
                    for i in 0..POINTS {
                        let e = kernel
                            .score(&x0[i * n..(i + 1) * n], &x[i * n..(i + 1) * n], t, &mut s)
                            .unwrap();
                        black_box((e, &s));
                    }
                })
            });
        }
        group.finish();
    }
}

fn sphere_score_batch(c: &mut Criterion) {
    let kernel = SphereHeatKernel::new(Sphere::new(2).unwrap(), KernelMethod::Auto);
    let mut group = c.benchmark_group("sphere2_auto_score_batch");
    group.throughput(Throughput::Elements(POINTS as u64));
    // Mixed times log-uniform in [1e-3, 3], as in DSM training.
    let t: Vec<f64> = (0..POINTS)
        .map(|i| 10f64.powf(-3.0 + 3.5 * i as f64 / POINTS as f64))
        .collect();
    let (x0, _) = sphere_points(2, 0.1);
    let mut x = vec![0.0; 3 * POINTS];
    SphereHeatKernelSampler::new(Sphere::new(2).unwrap())
        .sample_batch(&x0, &t, 3, &mut x)
        .unwrap();
    let mut scores = vec![0.0; 3 * POINTS];
    group.bench_function("mixed_t", |b| {
        b.iter(|| kernel.score_batch(&x0, &x, &t, &mut scores, None).unwrap())
    });
    group.finish();
}

fn torus_score(c: &mut Criterion) {
    let torus = Torus::new(2).unwrap();
    let kernel = TorusHeatKernel::new(torus, KernelMethod::Auto).unwrap();
    let mut group = c.benchmark_group("torus2_auto_score_per_point");
    group.throughput(Throughput::Elements(POINTS as u64));
    for t in [1e-2, 1.0, 10.0] {
        let x0 = vec![1.0; 2 * POINTS];
        let mut x = vec![0.0; 2 * POINTS];
        TorusHeatKernelSampler::new(torus)
            .sample_batch(&x0, &[t], 4, &mut x)
            .unwrap();
        let mut s = [0.0; 2];
        group.bench_with_input(BenchmarkId::from_parameter(t), &t, |b, &t| {
            b.iter(|| {
                for i in 0..POINTS {
                    black_box(
                        kernel
                            .score(&x0[2 * i..2 * i + 2], &x[2 * i..2 * i + 2], t, &mut s)
                            .unwrap(),
                    );
                }
            })
        });
    }
    group.finish();
}

fn sphere_sampling(c: &mut Criterion) {
    let sphere = Sphere::new(2).unwrap();
    let sampler = SphereHeatKernelSampler::new(sphere);
    let mut group = c.benchmark_group("sphere2_sample_per_point");
    group.throughput(Throughput::Elements(POINTS as u64));
    let x0 = [0.0, 0.0, 1.0];
    let mut out = vec![0.0; 3 * POINTS];
    for t in [1e-3, 0.1, 1.0, 3.0] {
        let mut rng = riemannian_diffusion::random::rng_from_seed(9);
        group.bench_with_input(BenchmarkId::from_parameter(t), &t, |b, &t| {
            b.iter(|| {
                for row in out.chunks_exact_mut(3) {
                    sampler.sample(&x0, t, &mut rng, row).unwrap();
                }
            })
        });
    }
    group.finish();
}

/// `POINTS` rows of `(x₀, x)`: `x₀` uniform, `x = exp_{x₀}(√t·z)`, `z` a standard tangent normal.
fn tangent_gaussian_points(manifold: &dyn Manifold, t: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let n = manifold.ambient_dim();
    let mut rng = riemannian_diffusion::random::rng_from_seed(seed);
    let mut x0 = vec![0.0; POINTS * n];
    let mut x = vec![0.0; POINTS * n];
    let mut v = vec![0.0; n];
    for (a, b) in x0.chunks_exact_mut(n).zip(x.chunks_exact_mut(n)) {
        manifold.sample_uniform(&mut rng, a);
        manifold.sample_tangent_normal(a, &mut rng, &mut v);
        v.iter_mut().for_each(|c| *c *= t.sqrt());
        manifold.exp(a, &v, b);
    }
    (x0, x)
}

fn auto_score_batch(c: &mut Criterion) {
    let specs = [
        ("S2", ManifoldSpec::Sphere(2)),
        ("S3", ManifoldSpec::Sphere(3)),
        ("S7", ManifoldSpec::Sphere(7)),
        ("S127", ManifoldSpec::Sphere(127)),
        (
            "SO3",
            ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3)),
        ),
        ("SU2", ManifoldSpec::Group(CompactGroup::SpecialUnitary(2))),
        ("SU3", ManifoldSpec::Group(CompactGroup::SpecialUnitary(3))),
        ("U2", ManifoldSpec::Group(CompactGroup::Unitary(2))),
    ];
    for (name, spec) in specs {
        let kernel = heat_kernel(&spec, KernelMethod::Auto, 1e-12).unwrap();
        let manifold = builtin().manifold(&spec).unwrap();
        let n = manifold.ambient_dim();
        let mut group = c.benchmark_group(format!("auto_score_batch/{name}"));
        group.throughput(Throughput::Elements(POINTS as u64));
        for t in [0.01, 0.1, 1.0] {
            let (x0, x) = tangent_gaussian_points(manifold.as_ref(), t, 5);
            let mut scores = vec![0.0; POINTS * n];
            let mut log_probs = vec![0.0; POINTS];
            group.bench_with_input(BenchmarkId::from_parameter(t), &t, |b, &t| {
                b.iter(|| {
                    kernel
                        .score_batch(&x0, &x, &[t], &mut scores, Some(&mut log_probs))
                        .unwrap()
                })
            });
        }
        group.finish();
    }
}

/// `auto_sample_batch/M/t`: exact draws by [`auto_sampler`] (`sample_batch`, the batched,
/// parallel entry point DSM training uses) of 256 points from `p_t(x₀, ·)`, x₀ Haar-uniform.
/// Groups and S¹²⁷ at small `t` run the maximal-torus / angle probability-flow ODE; S² and S¹²⁷
/// at large `t` use rejection (see `registry::auto_sampler`).
fn auto_sample_batch(c: &mut Criterion) {
    const ROWS: usize = 256;
    let specs = [
        ("S2", ManifoldSpec::Sphere(2)),
        ("S127", ManifoldSpec::Sphere(127)),
        (
            "SO3",
            ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3)),
        ),
        ("SU2", ManifoldSpec::Group(CompactGroup::SpecialUnitary(2))),
        ("SU3", ManifoldSpec::Group(CompactGroup::SpecialUnitary(3))),
        ("U2", ManifoldSpec::Group(CompactGroup::Unitary(2))),
    ];
    for (name, spec) in specs {
        let manifold = builtin().manifold(&spec).unwrap();
        let sampler = auto_sampler(manifold.as_ref()).unwrap();
        let n = manifold.ambient_dim();
        let mut x0 = vec![0.0; n];
        manifold.sample_uniform(&mut riemannian_diffusion::random::rng_from_seed(3), &mut x0);
        let mut out = vec![0.0; ROWS * n];
        let mut group = c.benchmark_group(format!("auto_sample_batch/{name}"));
        group.throughput(Throughput::Elements(ROWS as u64));
        group.sample_size(10);
        for t in [0.01, 0.1, 1.0] {
            group.bench_with_input(BenchmarkId::from_parameter(t), &t, |b, &t| {
                b.iter(|| sampler.sample_batch(&x0, &[t], 7, &mut out).unwrap())
            });
        }
        group.finish();
    }
}

criterion_group!(
    benches,
    sphere_score,
    sphere_score_batch,
    torus_score,
    sphere_sampling,
    auto_score_batch,
    auto_sample_batch
);
criterion_main!(benches);
