//! Unit tests of the tape mechanics. Per-op finite-difference checks with random inputs live
//! in `tests/autodiff_gradients.rs`.

use super::*;

/// Relative closeness with an absolute floor of `tol` (for values near 0).
fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + a.abs().max(b.abs()))
}

#[test]
fn value_used_several_times_accumulates() {
    // f(x) = Σ (x∘x + 3x) + Σ x∘x (x∘x recorded once, used twice): ∂f/∂x = 4x + 3.
    let mut tape = Tape::new();
    let data = [0.5, -1.25, 2.0, 3.0];
    let x = tape.input(2, 2, &data);
    let xx = tape.mul(x, x);
    let three_x = tape.mul_scalar(x, 3.0);
    let s = tape.add(xx, three_x);
    let f1 = tape.sum(s);
    let f2 = tape.sum(xx);
    let f = tape.add(f1, f2);
    tape.backward(f);
    let g = tape.grad(x).unwrap().to_vec();
    for (gi, xi) in g.iter().zip(data) {
        assert_eq!(*gi, 4.0 * xi + 3.0);
    }
    // Graph mode accumulates the same way.
    let gg = tape.grad_graph(f, None, &[x])[0];
    assert_eq!(tape.value(gg), g.as_slice());
}

#[test]
fn constants_and_unreached_nodes_have_no_gradient() {
    let mut tape = Tape::new();
    let x = tape.input(1, 2, &[1.0, 2.0]);
    let c = tape.constant(1, 2, &[3.0, 4.0]);
    let unused = tape.input(1, 1, &[5.0]);
    let p = tape.mul(x, c);
    let f = tape.sum(p);
    tape.backward(f);
    assert_eq!(tape.grad(x), Some(&[3.0, 4.0][..]));
    assert_eq!(tape.grad(c), None);
    assert_eq!(tape.grad(unused), None);
    let g = tape.grad_graph(f, None, &[unused, x]);
    assert_eq!(tape.value(g[0]), &[0.0]);
    assert_eq!(tape.value(g[1]), &[3.0, 4.0]);
}

#[test]
fn no_grad_mode_records_constants() {
    let mut tape = Tape::new();
    let x = tape.input(1, 1, &[2.0]);
    tape.set_grad_enabled(false);
    let y = tape.exp(x);
    tape.set_grad_enabled(true);
    assert!(!tape.requires_grad(y));
    let z = tape.mul(x, y);
    tape.backward(z);
    // y is treated as a constant: ∂z/∂x = y = e².
    assert_eq!(tape.grad(x).unwrap()[0], 2f64.exp());
    assert!(!Tape::no_grad().grad_enabled());
}

#[test]
fn broadcasting_shapes_and_commuted_operands() {
    let mut tape = Tape::new();
    let a = tape.input(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let row = tape.input(1, 3, &[10.0, 20.0, 30.0]);
    let col = tape.input(2, 1, &[100.0, 200.0]);
    let s = tape.input(1, 1, &[0.5]);
    let r1 = tape.add(row, a); // commuted: row broadcast
    assert_eq!(tape.value(r1), &[11.0, 22.0, 33.0, 14.0, 25.0, 36.0]);
    let r2 = tape.mul(r1, col);
    assert_eq!(tape.value(r2)[3..], [2800.0, 5000.0, 7200.0]);
    let r3 = tape.div(r2, s);
    let f = tape.sum(r3);
    tape.backward(f);
    // ∂f/∂row_j = Σ_i col_i / s = 600 for each j; ∂f/∂col_i = Σ_j (a_ij + row_j)/s.
    assert_eq!(tape.grad(row).unwrap(), &[600.0, 600.0, 600.0]);
    assert_eq!(tape.grad(col).unwrap(), &[132.0, 150.0]);
    // ∂f/∂s = −f/s.
    assert!(close(
        tape.grad(s).unwrap()[0],
        -tape.scalar(f) / 0.5,
        1e-15
    ));
}

#[test]
fn stable_activations_at_extreme_inputs() {
    let mut tape = Tape::new();
    let x = tape.input(1, 4, &[-1000.0, -40.0, 40.0, 1000.0]);
    let sp = tape.softplus(x);
    let sg = tape.sigmoid(x);
    let si = tape.silu(x);
    assert_eq!(tape.value(sp)[3], 1000.0);
    assert_eq!(tape.value(sp)[2], 40.0 + (-40f64).exp());
    // softplus(−40) = ln(1+e^{−40}) = e^{−40}(1 − e^{−40}/2 + …): full relative accuracy.
    assert!(close(tape.value(sp)[1], (-40f64).exp(), 1e-15));
    assert_eq!(tape.value(sg)[0], 0.0);
    assert_eq!(tape.value(sg)[3], 1.0);
    assert!(tape.value(si).iter().all(|v| v.is_finite()));
    let a = tape.sum(sp);
    let b = tape.sum(si);
    let f = tape.add(a, b);
    tape.backward(f);
    assert!(tape.grad(x).unwrap().iter().all(|v| v.is_finite()));
}

/// `f(x) = sin(x)·exp(x²)/(1+x²)` and its analytic first and second derivatives.
fn composite_reference(x: f64) -> (f64, f64, f64) {
    let (u, du, d2u) = (x.sin(), x.cos(), -x.sin());
    let v = (x * x).exp();
    let (dv, d2v) = (2.0 * x * v, (2.0 + 4.0 * x * x) * v);
    let q = 1.0 + x * x;
    let (w, dw, d2w) = (
        1.0 / q,
        -2.0 * x / (q * q),
        (6.0 * x * x - 2.0) / (q * q * q),
    );
    let f = u * v * w;
    let df = du * v * w + u * dv * w + u * v * dw;
    let d2f =
        d2u * v * w + u * d2v * w + u * v * d2w + 2.0 * (du * dv * w + du * v * dw + u * dv * dw);
    (f, df, d2f)
}

#[test]
fn second_derivative_of_composite_scalar_function() {
    // Error analysis: every value is a composition of ~20 correctly rounded operations on
    // O(1..e^{2.25}) quantities, so both sides carry relative error ~20ε ≈ 5e-15 (the analytic
    // side sums terms of mixed sign; their size relative to f'' is ≤ ~10 on this grid).
    // Tolerance 1e-12 relative leaves a wide margin.
    for k in 0..=30 {
        let x0 = -1.5 + 0.1 * k as f64;
        let mut tape = Tape::new();
        let x = tape.input(1, 1, &[x0]);
        let s = tape.sin(x);
        let x2 = tape.square(x);
        let e = tape.exp(x2);
        let q = tape.add_scalar(x2, 1.0);
        let num = tape.mul(s, e);
        let f = tape.div(num, q);
        let df = tape.grad_graph(f, None, &[x])[0];
        let d2f = tape.grad_graph(df, None, &[x])[0];
        let (rf, rdf, rd2f) = composite_reference(x0);
        assert!(close(tape.scalar(f), rf, 1e-13), "f at {x0}");
        assert!(close(tape.scalar(df), rdf, 1e-12), "f' at {x0}");
        assert!(
            close(tape.scalar(d2f), rd2f, 1e-12),
            "f'' at {x0}: {} vs {rd2f}",
            tape.scalar(d2f)
        );
        // The buffer sweep on the recorded first derivative gives f'' as well.
        tape.backward(df);
        assert!(close(tape.grad(x).unwrap()[0], rd2f, 1e-12));
    }
}

/// Parameters of `F(x) = tanh(x W1 + b1) W2 + b2` from R³ to R³ (rows are points).
struct Field {
    w1: Vec<f64>,
    b1: Vec<f64>,
    w2: Vec<f64>,
    b2: Vec<f64>,
}

const HIDDEN: usize = 6;

impl Field {
    fn new() -> Field {
        let w = |i: usize, s: f64| (i as f64 * 0.731 + s).sin() * 0.9;
        Field {
            w1: (0..3 * HIDDEN).map(|i| w(i, 0.3)).collect(),
            b1: (0..HIDDEN).map(|i| w(i, 1.7) * 0.5).collect(),
            w2: (0..HIDDEN * 3).map(|i| w(i, 2.9)).collect(),
            b2: (0..3).map(|i| w(i, 4.1)).collect(),
        }
    }

    /// Analytic divergence `Σ_i ∂F_i/∂x_i = Σ_i Σ_h W1[i,h] (1 − t_h²) W2[h,i]` summed over points.
    fn divergence_sum(&self, points: &[f64]) -> f64 {
        let mut total = 0.0;
        for x in points.chunks_exact(3) {
            for h in 0..HIDDEN {
                let z = self.b1[h] + (0..3).map(|i| x[i] * self.w1[i * HIDDEN + h]).sum::<f64>();
                let d = 1.0 - z.tanh().powi(2);
                for i in 0..3 {
                    total += self.w1[i * HIDDEN + h] * d * self.w2[h * 3 + i];
                }
            }
        }
        total
    }
}

#[test]
fn divergence_through_grad_graph_and_its_parameter_gradient() {
    let field = Field::new();
    let n = 5;
    let points: Vec<f64> = (0..3 * n).map(|i| (i as f64 * 1.37).cos()).collect();
    let mut tape = Tape::new();
    let x = tape.input(n, 3, &points);
    let w1 = tape.input(3, HIDDEN, &field.w1);
    let b1 = tape.input(1, HIDDEN, &field.b1);
    let w2 = tape.input(HIDDEN, 3, &field.w2);
    let b2 = tape.input(1, 3, &field.b2);
    let z = tape.matmul(x, w1);
    let z = tape.add(z, b1);
    let h = tape.tanh(z);
    let f = tape.matmul(h, w2);
    let f = tape.add(f, b2);
    // div F = Σ_i ⟨e_i, ∂(e_i·F)/∂x⟩ with seeds e_i (one column of ones per point).
    let mut diag = Vec::new();
    for i in 0..3 {
        let mut seed = vec![0.0; 3 * n];
        seed.iter_mut().skip(i).step_by(3).for_each(|s| *s = 1.0);
        let seed = tape.constant(n, 3, &seed);
        let jac_row = tape.grad_graph(f, Some(seed), &[x])[0];
        diag.push(tape.slice_cols(jac_row, i, i + 1));
    }
    let d01 = tape.add(diag[0], diag[1]);
    let div = tape.add(d01, diag[2]); // n×1 divergences
    let loss = tape.sum(div);
    // Value: exact formula, relative error ~ a few ε.
    let exact = field.divergence_sum(&points);
    assert!(close(tape.scalar(loss), exact, 1e-13));
    tape.backward(loss);
    let grad_w1 = tape.grad(w1).unwrap().to_vec();
    let grad_w2 = tape.grad(w2).unwrap().to_vec();
    assert!(tape.grad(b2).is_none(), "div F does not depend on b2");
    // Central differences of the analytic divergence, h = 1e-5: truncation h²|L'''|/6 ≲ 1e-10·|L'''|,
    // rounding ε|L|/h ≈ 1e-11·|L| with |L| ≲ 50: errors ≲ 1e-9; tolerance 1e-7.
    let h = 1e-5;
    for (which, grad) in [(0, &grad_w1), (1, &grad_w2)] {
        for j in 0..3 * HIDDEN {
            let eval = |delta: f64| {
                let mut p = Field::new();
                if which == 0 {
                    p.w1[j] += delta;
                } else {
                    p.w2[j] += delta;
                }
                p.divergence_sum(&points)
            };
            let fd = (eval(h) - eval(-h)) / (2.0 * h);
            assert!(
                close(grad[j], fd, 1e-7),
                "param {which}[{j}]: {} vs {fd}",
                grad[j]
            );
        }
    }
    // Same second-order quantity through a second grad_graph.
    let g = tape.grad_graph(loss, None, &[w1])[0];
    for (a, b) in tape.value(g).iter().zip(&grad_w1) {
        assert!(close(*a, *b, 1e-13));
    }
}

/// One DSM-like step on a 2-layer SiLU MLP; returns the loss.
fn training_step(tape: &mut Tape, params: &[Vec<f64>], x: &[f64], target: &[f64], n: usize) -> f64 {
    tape.clear();
    let xv = tape.constant(n, 4, x);
    let t = tape.constant(n, 3, target);
    let w1 = tape.input(4, 16, &params[0]);
    let b1 = tape.input(1, 16, &params[1]);
    let w2 = tape.input(16, 3, &params[2]);
    let z = tape.matmul(xv, w1);
    let z = tape.add(z, b1);
    let h = tape.silu(z);
    let out = tape.matmul(h, w2);
    let diff = tape.sub(out, t);
    let sq = tape.square(diff);
    let per_row = tape.sum_rows(sq);
    let loss = tape.mean(per_row);
    // A second-order term (gradient penalty) exercises grad_graph's buffers as well.
    let gb1 = tape.grad_graph(loss, None, &[b1])[0];
    let gb1_sq = tape.square(gb1);
    let penalty = tape.sum(gb1_sq);
    let penalty = tape.mul_scalar(penalty, 0.1);
    let total = tape.add(loss, penalty);
    tape.backward(total);
    tape.scalar(total) + tape.grad(w2).unwrap()[0]
}

#[test]
fn steady_state_steps_do_not_grow_capacity() {
    let n = 8;
    let params: Vec<Vec<f64>> = [64, 16, 48]
        .iter()
        .map(|&len| (0..len).map(|i| (i as f64 * 0.37).sin()).collect())
        .collect();
    let x: Vec<f64> = (0..4 * n).map(|i| (i as f64).cos()).collect();
    let target: Vec<f64> = (0..3 * n).map(|i| (i as f64 * 0.5).sin()).collect();
    let mut tape = Tape::new();
    let first = training_step(&mut tape, &params, &x, &target, n);
    let capacity = tape.capacity();
    let values_ptr = tape.values.as_ptr();
    for _ in 0..20 {
        let again = training_step(&mut tape, &params, &x, &target, n);
        assert_eq!(again, first, "steps are deterministic");
        assert_eq!(tape.capacity(), capacity);
    }
    // The arena was never reallocated.
    assert_eq!(tape.values.as_ptr(), values_ptr);
}

#[test]
fn backward_with_seed_is_a_vector_jacobian_product() {
    let mut tape = Tape::new();
    let x = tape.input(2, 2, &[1.0, 2.0, 3.0, 4.0]);
    let y = tape.square(x);
    tape.backward_with_seed(y, &[1.0, 0.0, 0.5, -1.0]);
    assert_eq!(tape.grad(x).unwrap(), &[2.0, 0.0, 3.0, -8.0]);
}

#[test]
fn shapes_of_structural_ops() {
    let mut tape = Tape::new();
    let a = tape.input(2, 3, &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let b = tape.input(2, 1, &[7.0, 8.0]);
    let c = tape.concat_cols(&[a, b]);
    assert_eq!(tape.shape(c), (2, 4));
    assert_eq!(tape.value(c), &[1.0, 2.0, 3.0, 7.0, 4.0, 5.0, 6.0, 8.0]);
    let s = tape.slice_cols(c, 1, 3);
    assert_eq!(tape.value(s), &[2.0, 3.0, 5.0, 6.0]);
    let p = tape.pad_cols(s, 1, 4);
    assert_eq!(tape.value(p), &[0.0, 2.0, 3.0, 0.0, 0.0, 5.0, 6.0, 0.0]);
    let t = tape.transpose(a);
    assert_eq!(tape.value(t), &[1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    let sc = tape.sum_cols(a);
    assert_eq!(tape.value(sc), &[5.0, 7.0, 9.0]);
    let mr = tape.mean_rows(a);
    assert_eq!(tape.value(mr), &[2.0, 5.0]);
    let e = tape.expand(b, 2, 3);
    assert_eq!(tape.value(e), &[7.0, 7.0, 7.0, 8.0, 8.0, 8.0]);
    let rd = tape.row_dot(a, a);
    assert_eq!(tape.value(rd), &[14.0, 77.0]);
    assert_eq!(tape.op(rd), Op::RowDot(a, a));
}

#[test]
#[should_panic(expected = "cannot broadcast")]
fn incompatible_shapes_panic() {
    let mut tape = Tape::new();
    let a = tape.input(2, 3, &[0.0; 6]);
    let b = tape.input(3, 2, &[0.0; 6]);
    tape.sub(a, b);
}

#[test]
fn large_matmul_gradients_are_exact_on_integers() {
    // Shapes above PARALLEL_MATMUL_THRESHOLD and the transpose-copy threshold of the weight
    // gradient. Small-integer data make every product and sum exact in f64, so the result must
    // equal the naive reference exactly: L = Σ P∘(AB), ∂A = P Bᵀ, ∂B = Aᵀ P.
    let (n, k, m) = (80, 64, 60);
    assert!(n * k * m >= PARALLEL_MATMUL_THRESHOLD);
    let a: Vec<f64> = (0..n * k).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
    let b: Vec<f64> = (0..k * m).map(|i| ((i * 3) % 7) as f64 - 3.0).collect();
    let p: Vec<f64> = (0..n * m).map(|i| ((i * 11) % 3) as f64 - 1.0).collect();
    let mut da = vec![0.0; n * k];
    let mut db = vec![0.0; k * m];
    for i in 0..n {
        for j in 0..m {
            for l in 0..k {
                da[i * k + l] += p[i * m + j] * b[l * m + j];
                db[l * m + j] += a[i * k + l] * p[i * m + j];
            }
        }
    }
    for par in [Par::Seq, Par::rayon(0)] {
        let mut tape = Tape::new();
        tape.set_parallelism(par);
        let av = tape.input(n, k, &a);
        let bv = tape.input(k, m, &b);
        let pv = tape.constant(n, m, &p);
        let c = tape.matmul(av, bv);
        let w = tape.mul(c, pv);
        let loss = tape.sum(w);
        tape.backward(loss);
        assert_eq!(tape.grad(av).unwrap(), da.as_slice());
        assert_eq!(tape.grad(bv).unwrap(), db.as_slice());
        let g = tape.grad_graph(loss, None, &[av, bv]);
        assert_eq!(tape.value(g[0]), da.as_slice());
        assert_eq!(tape.value(g[1]), db.as_slice());
        // Accumulation into an already-set slot (A used twice: A·B and A∘A).
        let sq = tape.square(av);
        let s2 = tape.sum(sq);
        let total = tape.add(loss, s2);
        tape.backward(total);
        let expected: Vec<f64> = da.iter().zip(&a).map(|(d, x)| d + 2.0 * x).collect();
        assert_eq!(tape.grad(av).unwrap(), expected.as_slice());
    }
}
