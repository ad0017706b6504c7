//! Forward + backward of the benchmark MLP shape used for DSM training:
//! batch 512, `4 → 512 → 512 → 512 → 512 → 512 → 3` (five SiLU hidden layers), f64,
//! squared-error loss. Compare with the JAX reference step (same shape, jit, CPU, f64).
//!
//! Run: `cargo bench --bench autodiff`.

use criterion::{criterion_group, criterion_main, Criterion};
use riemannian_diffusion::autodiff::Tape;
use std::hint::black_box;

const BATCH: usize = 512;
const WIDTHS: [usize; 7] = [4, 512, 512, 512, 512, 512, 3];

/// Deterministic pseudo-random weights (scaled like Glorot/He initialisation).
fn parameters() -> Vec<(Vec<f64>, Vec<f64>)> {
    WIDTHS
        .windows(2)
        .enumerate()
        .map(|(layer, w)| {
            let scale = (1.0 / w[0] as f64).sqrt();
            let weights = (0..w[0] * w[1])
                .map(|i| ((i * 7919 + layer * 104_729) as f64 * 0.618).sin() * scale)
                .collect();
            let bias = (0..w[1]).map(|i| (i as f64 * 0.1).cos() * 0.1).collect();
            (weights, bias)
        })
        .collect()
}

/// One training step: record the forward pass, the loss, and the reverse sweep.
fn step(tape: &mut Tape, params: &[(Vec<f64>, Vec<f64>)], x: &[f64], target: &[f64]) -> f64 {
    tape.clear();
    let mut h = tape.constant(BATCH, WIDTHS[0], x);
    let last = params.len() - 1;
    for (layer, (w, b)) in params.iter().enumerate() {
        let (fan_in, fan_out) = (WIDTHS[layer], WIDTHS[layer + 1]);
        let wv = tape.input(fan_in, fan_out, w);
        let bv = tape.input(1, fan_out, b);
        let z = tape.matmul(h, wv);
        let z = tape.add(z, bv);
        h = if layer < last { tape.silu(z) } else { z };
    }
    let t = tape.constant(BATCH, WIDTHS[6], target);
    let diff = tape.sub(h, t);
    let sq = tape.square(diff);
    let per_row = tape.sum_rows(sq);
    let loss = tape.mean(per_row);
    tape.backward(loss);
    tape.scalar(loss)
}

fn bench_mlp(c: &mut Criterion) {
    let params = parameters();
    let x: Vec<f64> = (0..BATCH * WIDTHS[0])
        .map(|i| (i as f64 * 0.37).sin())
        .collect();
    let target: Vec<f64> = (0..BATCH * WIDTHS[6])
        .map(|i| (i as f64 * 0.11).cos())
        .collect();
    let mut group = c.benchmark_group("mlp_dsm_step_b512_w512x5");
    group.sample_size(20);
    for (name, par) in [("rayon", faer::Par::rayon(0)), ("seq", faer::Par::Seq)] {
        let mut tape = Tape::new();
        tape.set_parallelism(par);
        group.bench_function(format!("forward_backward_{name}"), |b| {
            b.iter(|| black_box(step(&mut tape, &params, &x, &target)))
        });
    }
    let mut tape = Tape::new();
    group.bench_function("forward_no_grad_rayon", |b| {
        b.iter(|| {
            tape.clear();
            tape.set_grad_enabled(false);
            let mut h = tape.constant(BATCH, WIDTHS[0], &x);
            for (layer, (w, bias)) in params.iter().enumerate() {
                let wv = tape.constant(WIDTHS[layer], WIDTHS[layer + 1], w);
                let bv = tape.constant(1, WIDTHS[layer + 1], bias);
                let z = tape.matmul(h, wv);
                let z = tape.add(z, bv);
                h = tape.silu(z);
            }
            black_box(tape.value(h)[0])
        })
    });
    group.finish();
}

criterion_group!(benches, bench_mlp);
criterion_main!(benches);
