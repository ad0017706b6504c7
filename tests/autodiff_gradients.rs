//! Finite-difference checks of every autodiff op with quickcheck-generated shapes and values.
//!
//! For each op we build `L(x) = Σ_ij P_ij · op(x)_ij` with a random projection `P`, and check:
//!
//! 1. **First order**: `Tape::backward` against central differences
//!    `(L(x + h e_k) − L(x − h e_k)) / 2h` for every input entry `k`.
//! 2. **Graph mode**: the gradients recorded by `Tape::grad_graph` equal the buffer gradients
//!    (same formulas, different summation order: agreement to ~1e-15 relative; we allow 1e-12).
//! 3. **Second order**: with random directions `Q`, the gradient of `M = Σ ⟨∇L, Q⟩` (through
//!    `grad_graph`) is the Hessian-vector product `H·Q`; it is checked against central
//!    differences of the first-order gradient, `(∇L(x + hQ) − ∇L(x − hQ)) / 2h`.
//!
//! # Tolerance
//! Inputs lie in bounded domains chosen per op (e.g. `[0.5, 3]` for `log`, `sqrt` and divisors),
//! shapes are at most 4×4, `|P|, |Q| ≤ 1`, so `|L| ≲ 16·e² ≈ 120` and the third (fourth)
//! derivatives along a coordinate are bounded by ~`6/0.5⁴ ≈ 100` (the worst case, `1/b`).
//! Central differences with `h = 1e-5` have truncation error `h²/6·|L'''| ≲ 2e-9` and rounding
//! error `≈ ε|L|/h ≲ 3e-9`. The tolerance `|fd − ad| ≤ 1e-7·(1 + |ad|)` leaves a margin of ~20.

use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use riemannian_diffusion::autodiff::{Tape, Var};

const H: f64 = 1e-5;
const FD_TOL: f64 = 1e-7;
const GRAPH_TOL: f64 = 1e-12;

/// Random shape parameters and a pool of uniform numbers in [0, 1).
#[derive(Clone, Debug)]
struct Sample {
    n: usize,
    k: usize,
    m: usize,
    choice: usize,
    pool: Vec<f64>,
    cursor: usize,
}

impl Arbitrary for Sample {
    fn arbitrary(g: &mut Gen) -> Self {
        let dim = |g: &mut Gen| 1 + usize::arbitrary(g) % 4;
        Sample {
            n: dim(g),
            k: dim(g),
            m: dim(g),
            choice: usize::arbitrary(g),
            pool: (0..400)
                .map(|_| f64::from(u32::arbitrary(g)) / (f64::from(u32::MAX) + 1.0))
                .collect(),
            cursor: 0,
        }
    }
}

impl Sample {
    /// `len` numbers uniform in `[lo, hi)` (cycling through the pool).
    fn uniform(&mut self, len: usize, lo: f64, hi: f64) -> Vec<f64> {
        (0..len)
            .map(|_| {
                let u = self.pool[self.cursor % self.pool.len()];
                self.cursor += 1;
                lo + (hi - lo) * u
            })
            .collect()
    }
}

/// One input matrix (rows, cols, row-major data).
#[derive(Clone, Debug)]
struct Leaf {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

fn leaf(s: &mut Sample, rows: usize, cols: usize, lo: f64, hi: f64) -> Leaf {
    Leaf {
        rows,
        cols,
        data: s.uniform(rows * cols, lo, hi),
    }
}

type Build = Box<dyn Fn(&mut Tape, &[Var]) -> Var>;

/// A test problem: inputs and a graph built from them.
struct Problem {
    inputs: Vec<Leaf>,
    build: Build,
}

/// Records `L = Σ P∘op(inputs)` and returns (tape, input vars, L).
fn record(problem: &Problem, inputs: &[Leaf], projection: &[f64]) -> (Tape, Vec<Var>, Var) {
    let mut tape = Tape::new();
    tape.set_parallelism(faer::Par::Seq);
    let vars: Vec<Var> = inputs
        .iter()
        .map(|l| tape.input(l.rows, l.cols, &l.data))
        .collect();
    let out = (problem.build)(&mut tape, &vars);
    let (r, c) = tape.shape(out);
    let p = tape.constant(r, c, &projection[..r * c]);
    let weighted = tape.mul(out, p);
    let loss = tape.sum(weighted);
    (tape, vars, loss)
}

/// First-order gradients of `L` at `inputs` by the buffer sweep.
fn gradients(problem: &Problem, inputs: &[Leaf], projection: &[f64]) -> (f64, Vec<Vec<f64>>) {
    let (mut tape, vars, loss) = record(problem, inputs, projection);
    tape.backward(loss);
    let grads = vars
        .iter()
        .zip(inputs)
        .map(|(&v, l)| {
            tape.grad(v)
                .map_or_else(|| vec![0.0; l.data.len()], <[f64]>::to_vec)
        })
        .collect();
    (tape.scalar(loss), grads)
}

fn close(ad: f64, reference: f64, tol: f64) -> bool {
    (ad - reference).abs() <= tol * (1.0 + ad.abs())
}

/// Runs checks 1–3 of the module docs on one generated problem.
fn check(problem: Problem, s: &mut Sample) -> TestResult {
    let inputs = problem.inputs.clone();
    let projection = s.uniform(64, -1.0, 1.0);
    let directions: Vec<Vec<f64>> = inputs
        .iter()
        .map(|l| s.uniform(l.data.len(), -1.0, 1.0))
        .collect();
    let (_, grads) = gradients(&problem, &inputs, &projection);

    // 1. First order against central differences.
    for (i, l) in inputs.iter().enumerate() {
        for k in 0..l.data.len() {
            let eval = |delta: f64| {
                let mut shifted = inputs.clone();
                shifted[i].data[k] += delta;
                let (tape, _, loss) = record(&problem, &shifted, &projection);
                tape.scalar(loss)
            };
            let fd = (eval(H) - eval(-H)) / (2.0 * H);
            if !close(grads[i][k], fd, FD_TOL) {
                return TestResult::error(format!(
                    "first order: input {i} entry {k}: ad {} vs fd {fd}",
                    grads[i][k]
                ));
            }
        }
    }

    // 2. grad_graph values equal buffer gradients; 3. Hessian-vector products.
    let (mut tape, vars, loss) = record(&problem, &inputs, &projection);
    let recorded = tape.grad_graph(loss, None, &vars);
    let mut m = None;
    for (i, (&g, l)) in recorded.iter().zip(&inputs).enumerate() {
        for (k, (&a, &b)) in tape.value(g).iter().zip(&grads[i]).enumerate() {
            if !close(a, b, GRAPH_TOL) {
                return TestResult::error(format!(
                    "grad_graph: input {i} entry {k}: {a} vs backward {b}"
                ));
            }
        }
        let q = tape.constant(l.rows, l.cols, &directions[i]);
        let gq = tape.mul(g, q);
        let term = tape.sum(gq);
        m = Some(match m {
            None => term,
            Some(acc) => tape.add(acc, term),
        });
    }
    let m = m.expect("at least one input");
    tape.backward(m);
    let shifted = |sign: f64| -> Vec<Leaf> {
        inputs
            .iter()
            .zip(&directions)
            .map(|(l, q)| Leaf {
                data: l
                    .data
                    .iter()
                    .zip(q)
                    .map(|(x, q)| x + sign * H * q)
                    .collect(),
                ..l.clone()
            })
            .collect()
    };
    let (_, plus) = gradients(&problem, &shifted(1.0), &projection);
    let (_, minus) = gradients(&problem, &shifted(-1.0), &projection);
    for (i, &v) in vars.iter().enumerate() {
        let hv = tape
            .grad(v)
            .map_or_else(|| vec![0.0; inputs[i].data.len()], <[f64]>::to_vec);
        for k in 0..hv.len() {
            let fd = (plus[i][k] - minus[i][k]) / (2.0 * H);
            if !close(hv[k], fd, FD_TOL) {
                return TestResult::error(format!(
                    "second order: input {i} entry {k}: Hv {} vs fd {fd}",
                    hv[k]
                ));
            }
        }
    }
    TestResult::passed()
}

/// Shape of a broadcast operand of an `n×m` matrix, chosen by `choice`.
fn broadcast_shape(s: &Sample) -> (usize, usize) {
    match s.choice % 4 {
        0 => (s.n, s.m),
        1 => (1, s.m),
        2 => (s.n, 1),
        _ => (1, 1),
    }
}

fn unary(s: &mut Sample, lo: f64, hi: f64, f: fn(&mut Tape, Var) -> Var) -> Problem {
    let (n, m) = (s.n, s.m);
    Problem {
        inputs: vec![leaf(s, n, m, lo, hi)],
        build: Box::new(move |t, v| f(t, v[0])),
    }
}

fn binary(s: &mut Sample, b_lo: f64, b_hi: f64, f: fn(&mut Tape, Var, Var) -> Var) -> Problem {
    let (n, m) = (s.n, s.m);
    let (br, bc) = broadcast_shape(s);
    let a = leaf(s, n, m, -2.0, 2.0);
    let b = leaf(s, br, bc, b_lo, b_hi);
    Problem {
        inputs: vec![a, b],
        build: Box::new(move |t, v| f(t, v[0], v[1])),
    }
}

macro_rules! op_test {
    ($name:ident, |$s:ident| $problem:expr) => {
        #[test]
        fn $name() {
            fn prop(mut sample: Sample) -> TestResult {
                let $s = &mut sample;
                let problem = $problem;
                check(problem, $s)
            }
            QuickCheck::new()
                .tests(40)
                .quickcheck(prop as fn(Sample) -> TestResult);
        }
    };
}

op_test!(add, |s| binary(s, -2.0, 2.0, Tape::add));
op_test!(sub, |s| binary(s, -2.0, 2.0, Tape::sub));
op_test!(mul, |s| binary(s, -2.0, 2.0, Tape::mul));
op_test!(div, |s| binary(s, 0.5, 3.0, Tape::div));
op_test!(add_commuted_broadcast, |s| binary(
    s,
    -2.0,
    2.0,
    |t, a, b| t.add(b, a)
));
op_test!(mul_commuted_broadcast, |s| binary(
    s,
    -2.0,
    2.0,
    |t, a, b| t.mul(b, a)
));
op_test!(matmul, |s| {
    let (n, k, m) = (s.n, s.k, s.m);
    Problem {
        inputs: vec![leaf(s, n, k, -2.0, 2.0), leaf(s, k, m, -2.0, 2.0)],
        build: Box::new(|t, v| t.matmul(v[0], v[1])),
    }
});
op_test!(matmul_same_operand, |s| {
    let n = s.n;
    Problem {
        inputs: vec![leaf(s, n, n, -1.0, 1.0)],
        build: Box::new(|t, v| t.matmul(v[0], v[0])),
    }
});
op_test!(transpose, |s| unary(s, -2.0, 2.0, Tape::transpose));
op_test!(add_scalar, |s| {
    let c = s.uniform(1, -3.0, 3.0)[0];
    let (n, m) = (s.n, s.m);
    Problem {
        inputs: vec![leaf(s, n, m, -2.0, 2.0)],
        build: Box::new(move |t, v| t.add_scalar(v[0], c)),
    }
});
op_test!(mul_scalar, |s| {
    let c = s.uniform(1, -3.0, 3.0)[0];
    let (n, m) = (s.n, s.m);
    Problem {
        inputs: vec![leaf(s, n, m, -2.0, 2.0)],
        build: Box::new(move |t, v| t.mul_scalar(v[0], c)),
    }
});
op_test!(neg, |s| unary(s, -2.0, 2.0, Tape::neg));
op_test!(exp, |s| unary(s, -2.0, 2.0, Tape::exp));
op_test!(log, |s| unary(s, 0.5, 3.0, Tape::log));
op_test!(sin, |s| unary(s, -3.0, 3.0, Tape::sin));
op_test!(cos, |s| unary(s, -3.0, 3.0, Tape::cos));
op_test!(tanh, |s| unary(s, -2.0, 2.0, Tape::tanh));
op_test!(sigmoid, |s| unary(s, -4.0, 4.0, Tape::sigmoid));
op_test!(silu, |s| unary(s, -4.0, 4.0, Tape::silu));
op_test!(softplus, |s| unary(s, -4.0, 4.0, Tape::softplus));
op_test!(square, |s| unary(s, -2.0, 2.0, Tape::square));
op_test!(sqrt, |s| unary(s, 0.5, 3.0, Tape::sqrt));
op_test!(sum, |s| unary(s, -2.0, 2.0, Tape::sum));
op_test!(mean, |s| unary(s, -2.0, 2.0, Tape::mean));
op_test!(sum_rows, |s| unary(s, -2.0, 2.0, Tape::sum_rows));
op_test!(mean_rows, |s| unary(s, -2.0, 2.0, Tape::mean_rows));
op_test!(sum_cols, |s| unary(s, -2.0, 2.0, Tape::sum_cols));
op_test!(expand, |s| {
    let (n, m) = (s.n, s.m);
    let (br, bc) = broadcast_shape(s);
    Problem {
        inputs: vec![leaf(s, br, bc, -2.0, 2.0)],
        build: Box::new(move |t, v| t.expand(v[0], n, m)),
    }
});
op_test!(slice_cols, |s| {
    let (n, m) = (s.n, s.m);
    let start = s.choice % m;
    let end = start + 1 + (s.choice / 4) % (m - start);
    Problem {
        inputs: vec![leaf(s, n, m, -2.0, 2.0)],
        build: Box::new(move |t, v| t.slice_cols(v[0], start, end)),
    }
});
op_test!(pad_cols, |s| {
    let (n, m) = (s.n, s.m);
    let start = s.choice % 3;
    let total = start + m + (s.choice / 3) % 3;
    Problem {
        inputs: vec![leaf(s, n, m, -2.0, 2.0)],
        build: Box::new(move |t, v| t.pad_cols(v[0], start, total)),
    }
});
op_test!(concat_cols, |s| {
    let (n, k, m) = (s.n, s.k, s.m);
    Problem {
        inputs: vec![
            leaf(s, n, k, -2.0, 2.0),
            leaf(s, n, m, -2.0, 2.0),
            leaf(s, n, 1, -2.0, 2.0),
        ],
        // The first part appears twice: gradients of repeated parts must accumulate.
        build: Box::new(|t, v| t.concat_cols(&[v[0], v[1], v[2], v[0]])),
    }
});
op_test!(row_dot, |s| {
    let (n, m) = (s.n, s.m);
    Problem {
        inputs: vec![leaf(s, n, m, -2.0, 2.0), leaf(s, n, m, -2.0, 2.0)],
        build: Box::new(|t, v| t.row_dot(v[0], v[1])),
    }
});
op_test!(row_dot_same_operand, |s| unary(s, -2.0, 2.0, |t, a| t
    .row_dot(a, a)));

// A small composite: a SiLU layer, a softplus, a log-sum and a normalisation, mixing every
// kind of broadcast — the shape of an MLP score network with a DSM-type loss.
op_test!(composite_mlp, |s| {
    let (n, k, m) = (s.n, s.k, s.m);
    Problem {
        inputs: vec![
            leaf(s, n, k, -1.0, 1.0),
            leaf(s, k, m, -1.0, 1.0),
            leaf(s, 1, m, -1.0, 1.0),
        ],
        build: Box::new(|t, v| {
            let z = t.matmul(v[0], v[1]);
            let z = t.add(z, v[2]);
            let h = t.silu(z);
            let p = t.softplus(h);
            let r = t.sum_rows(p);
            let l = t.log(r);
            let norm = t.row_dot(h, h);
            let norm = t.add_scalar(norm, 1.0);
            let root = t.sqrt(norm);
            let q = t.div(l, root);
            let th = t.tanh(z);
            t.mul(th, q)
        }),
    }
});
