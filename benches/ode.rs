//! Adaptive Dormand–Prince 5(4) (`riemannian_diffusion::ode`) on two workloads.
//!
//! 1. **Lorenz system on `R³`** (`σ = 10`, `ρ = 28`, `β = 8/3`) from `(1, 1, 1)` over
//!    `t ∈ [0, 1]` at `rtol = 1e-6, atol = 1e-9` and at `rtol = 1e-10, atol = 1e-13`.
//!    One right-hand side is ~10 flops, so the timing measures the solver's own
//!    overhead per step (stage combinations, error norm, step control). Before timing, the
//!    bench prints the accepted/rejected steps, evaluations and the error at `t = 1` against
//!    a reference solution at `rtol = 1e-13, atol = 1e-16`.
//! 2. **Manifold DP5 on `S²`**: a batch of 512 points under the rotation field
//!    `V(x) = ω × x` (unit axis `ω = (1, 2, 2)/3`, angular speed 1) over one full turn
//!    `t ∈ [0, 2π]`, integrated as one ODE of dimension 1536 with shared steps
//!    ([`solve_manifold`], projected extension + retraction by normalisation), at
//!    `rtol = 1e-6` and `1e-10` (`atol = 1e-3 rtol`). The exact flow is the rotation
//!    by angle `t` (Rodrigues); the bench prints the largest geodesic distance to it and
//!    the largest `| |x| − 1 |`.
//!
//! Run: `cargo bench --bench ode` (about 1 minute); quick check:
//! `cargo bench --bench ode -- --quick`.

use criterion::{criterion_group, criterion_main, Criterion};
use riemannian_diffusion::error::Result;
use riemannian_diffusion::manifold::{Manifold, Sphere};
use riemannian_diffusion::ode::{
    solve, solve_manifold, FnSystem, ManifoldOdeSystem, OdeOptions, OdeSystem,
};
use riemannian_diffusion::random::rng_from_seed;
use std::hint::black_box;
use std::time::Duration;

/// Lorenz right-hand side `(σ(y−x), x(ρ−z)−y, xy−βz)`.
fn lorenz() -> impl OdeSystem {
    FnSystem::new(3, |_t: f64, y: &[f64], dy: &mut [f64]| {
        let (sigma, rho, beta) = (10.0, 28.0, 8.0 / 3.0);
        dy[0] = sigma * (y[1] - y[0]);
        dy[1] = y[0] * (rho - y[2]) - y[1];
        dy[2] = y[0] * y[1] - beta * y[2];
        Ok(())
    })
}

const LORENZ_START: [f64; 3] = [1.0, 1.0, 1.0];
const LORENZ_END: f64 = 1.0;

/// The two tolerance settings: `(label, rtol, atol)`.
const TOLERANCES: [(&str, f64, f64); 2] = [("rtol1e-6", 1e-6, 1e-9), ("rtol1e-10", 1e-10, 1e-13)];

fn bench_lorenz(c: &mut Criterion) {
    let system = lorenz();
    let reference = solve(
        &system,
        0.0,
        LORENZ_END,
        &LORENZ_START,
        &[],
        &OdeOptions::with_tolerances(1e-13, 1e-16),
    )
    .expect("reference solution");
    let mut group = c.benchmark_group("dp5_lorenz_t0-1");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(5));
    for (label, rtol, atol) in TOLERANCES {
        let options = OdeOptions::with_tolerances(rtol, atol);
        let sol = solve(&system, 0.0, LORENZ_END, &LORENZ_START, &[], &options).unwrap();
        let error = sol
            .y_final
            .iter()
            .zip(&reference.y_final)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        println!(
            "Lorenz {label}: {} accepted + {} rejected steps, {} evaluations, max |y(1) − reference| = {error:.1e} (|y(1)| ≈ {:.1})",
            sol.stats.accepted_steps,
            sol.stats.rejected_steps,
            sol.stats.rhs_evaluations,
            reference.y_final.iter().map(|v| v * v).sum::<f64>().sqrt()
        );
        group.bench_function(label, |b| {
            b.iter(|| {
                let sol = solve(
                    &system,
                    0.0,
                    LORENZ_END,
                    black_box(&LORENZ_START),
                    &[],
                    &options,
                )
                .unwrap();
                black_box(sol.y_final[0])
            })
        });
    }
    group.finish();
}

/// `V(x) = ω × x` on `S²`: rigid rotation about the unit axis `ω` at angular speed `|ω| = 1`.
struct Rotation {
    sphere: Sphere,
    axis: [f64; 3],
    count: usize,
}

impl ManifoldOdeSystem for Rotation {
    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }
    fn num_points(&self) -> usize {
        self.count
    }
    fn num_extra(&self) -> usize {
        0
    }
    fn rhs(
        &self,
        _t: f64,
        points: &[f64],
        _extra: &[f64],
        velocity: &mut [f64],
        _extra_rate: &mut [f64],
    ) -> Result<()> {
        let w = self.axis;
        for (x, v) in points.chunks_exact(3).zip(velocity.chunks_exact_mut(3)) {
            v[0] = w[1] * x[2] - w[2] * x[1];
            v[1] = w[2] * x[0] - w[0] * x[2];
            v[2] = w[0] * x[1] - w[1] * x[0];
        }
        Ok(())
    }
}

/// Rodrigues: rotation of `x` by `angle` about the unit axis `w`.
fn rotate(w: &[f64; 3], x: &[f64], angle: f64) -> [f64; 3] {
    let (s, c) = angle.sin_cos();
    let dot = w[0] * x[0] + w[1] * x[1] + w[2] * x[2];
    let cross = [
        w[1] * x[2] - w[2] * x[1],
        w[2] * x[0] - w[0] * x[2],
        w[0] * x[1] - w[1] * x[0],
    ];
    std::array::from_fn(|i| c * x[i] + s * cross[i] + (1.0 - c) * dot * w[i])
}

fn bench_sphere_rotation(c: &mut Criterion) {
    const POINTS: usize = 512;
    let sphere = Sphere::new(2).unwrap();
    let system = Rotation {
        sphere,
        axis: [1.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0],
        count: POINTS,
    };
    let mut rng = rng_from_seed(7);
    let mut x0 = vec![0.0; 3 * POINTS];
    for row in x0.chunks_exact_mut(3) {
        sphere.sample_uniform(&mut rng, row);
    }
    let t1 = 2.0 * std::f64::consts::PI;
    let mut group = c.benchmark_group("dp5_sphere_rotation_512pts_t0-2pi");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    for (label, rtol, _) in TOLERANCES {
        let options = OdeOptions::with_tolerances(rtol, 1e-3 * rtol);
        let sol = solve_manifold(&system, 0.0, t1, &x0, &[], &[], &options).unwrap();
        let (mut distance, mut norm_defect) = (0.0f64, 0.0f64);
        for (x, start) in sol.points.chunks_exact(3).zip(x0.chunks_exact(3)) {
            let exact = rotate(&system.axis, start, t1);
            distance = distance.max(sphere.distance(x, &exact));
            norm_defect =
                norm_defect.max((x.iter().map(|v| v * v).sum::<f64>().sqrt() - 1.0).abs());
        }
        println!(
            "S² rotation {label}: {} accepted + {} rejected steps, {} evaluations, max geodesic error {distance:.1e}, max ||x| − 1| = {norm_defect:.1e}",
            sol.stats.accepted_steps, sol.stats.rejected_steps, sol.stats.rhs_evaluations
        );
        group.bench_function(label, |b| {
            b.iter(|| {
                let sol =
                    solve_manifold(&system, 0.0, t1, black_box(&x0), &[], &[], &options).unwrap();
                black_box(sol.points[0])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_lorenz, bench_sphere_rotation);
criterion_main!(benches);
