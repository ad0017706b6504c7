//! Fast first-order reverse sweep on raw buffers.
//!
//! Gradients live in `Tape::grads`, an arena with the same offsets as the values. A node's
//! slot is valid only when `grad_set[node]` is true: the first contribution overwrites the slot
//! (stale data from a previous step is never read, so no zero-fill pass is needed), later
//! contributions add to it. The rules are those documented on [`Op`].

use super::{expand_into, sigmoid, Broadcast, Node, Op, Tape, Var};
use crate::linalg::{matmul_into, transpose_into, Transpose};

/// Above this many entries of `A`, the weight gradient `Aᵀ·G` transposes `A` into scratch first.
const TRANSPOSE_COPY_THRESHOLD: usize = 64 * 64;

/// `dst = src` (replace) or `dst += src`, elementwise from an iterator of contributions.
#[inline]
fn write(dst: &mut [f64], replace: bool, src: impl Iterator<Item = f64>) {
    if replace {
        dst.iter_mut().zip(src).for_each(|(d, s)| *d = s);
    } else {
        dst.iter_mut().zip(src).for_each(|(d, s)| *d += s);
    }
}

/// Reduces the full-shape (`·×cols`) contribution `full` to the broadcast shape of `dst` and
/// writes (or adds) it.
fn reduce_into(bc: Broadcast, cols: usize, full: &[f64], dst: &mut [f64], replace: bool) {
    if replace {
        dst.fill(0.0);
    }
    if full.is_empty() {
        return;
    }
    match bc {
        Broadcast::None => dst.iter_mut().zip(full).for_each(|(d, s)| *d += s),
        Broadcast::Row => {
            for row in full.chunks_exact(cols) {
                dst.iter_mut().zip(row).for_each(|(d, s)| *d += s);
            }
        }
        Broadcast::Col => {
            for (d, row) in dst.iter_mut().zip(full.chunks_exact(cols)) {
                *d += row.iter().sum::<f64>();
            }
        }
        Broadcast::Scalar => dst[0] += full.iter().sum::<f64>(),
    }
}

/// Writes the contribution `src` (full shape `·×cols`) into the gradient of a broadcast operand.
fn write_reduced(
    bc: Broadcast,
    cols: usize,
    dst: &mut [f64],
    replace: bool,
    scratch: &mut Vec<f64>,
    src: impl Iterator<Item = f64>,
) {
    if bc == Broadcast::None {
        write(dst, replace, src);
    } else {
        scratch.clear();
        scratch.extend(src);
        reduce_into(bc, cols, scratch, dst, replace);
    }
}

/// Borrowed state of the sweep.
struct Sweep<'t> {
    nodes: &'t [Node],
    grad_set: &'t mut [bool],
}

impl Sweep<'_> {
    /// The gradient slot of `v` inside `before` (the arena below the current node) and whether
    /// it must be overwritten; `None` when `v` takes no gradient. Marks the slot as set.
    fn slot<'g>(&mut self, before: &'g mut [f64], v: Var) -> Option<(&'g mut [f64], bool)> {
        let node = &self.nodes[v.index()];
        if !node.needs_grad {
            return None;
        }
        let replace = !self.grad_set[v.index()];
        self.grad_set[v.index()] = true;
        Some((&mut before[node.range()], replace))
    }
}

impl Tape {
    /// First-order reverse sweep from a 1×1 `output` (seed 1). Afterwards [`Tape::grad`] returns
    /// `∂output/∂v` for every input `v` (and every intermediate node) that `output` depends on.
    ///
    /// Cost: about twice the forward cost (one GEMM per matmul operand); no allocation once the
    /// tape's buffers have grown to the graph size.
    ///
    /// # Panics
    /// If `output` is not 1×1.
    pub fn backward(&mut self, output: Var) {
        assert_eq!(
            self.shape(output),
            (1, 1),
            "Tape::backward: output must be 1×1 (use backward_with_seed)"
        );
        self.backward_with_seed(output, &[1.0]);
    }

    /// First-order reverse sweep with an explicit seed (row-major, same shape as `output`):
    /// afterwards [`Tape::grad`] returns `∂(Σ_ij seed_ij·output_ij)/∂v`, a vector–Jacobian
    /// product.
    ///
    /// # Panics
    /// If `seed.len()` differs from the size of `output`.
    pub fn backward_with_seed(&mut self, output: Var, seed: &[f64]) {
        let out_node = *self.node(output);
        assert_eq!(
            seed.len(),
            out_node.len(),
            "Tape::backward_with_seed: seed length"
        );
        let end = output.index() + 1;
        self.grad_set.clear();
        self.grad_set.resize(self.nodes.len(), false);
        let arena = self.nodes[output.index()].offset + out_node.len();
        if self.grads.len() < arena {
            self.grads.resize(arena, 0.0);
        }
        if !out_node.needs_grad {
            return;
        }
        self.grads[out_node.range()].copy_from_slice(seed);
        self.grad_set[output.index()] = true;

        let par = self.par;
        let Tape {
            nodes,
            values,
            parts,
            grads,
            grad_set,
            scratch_a,
            scratch_b,
            ..
        } = self;
        let nodes: &[Node] = nodes;
        let values: &[f64] = values;
        let val = |v: Var| &values[nodes[v.index()].range()];
        let mut sweep = Sweep { nodes, grad_set };
        for i in (0..end).rev() {
            let node = nodes[i];
            if !node.needs_grad || !sweep.grad_set[i] {
                continue;
            }
            let (before, after) = grads.split_at_mut(node.offset);
            let g = &after[..node.len()];
            let (rows, cols) = (node.rows, node.cols);
            let y = &values[node.range()];
            match node.op {
                Op::Input | Op::Constant => {}
                Op::Add(a, b, bc) | Op::Sub(a, b, bc) => {
                    if let Some((d, r)) = sweep.slot(before, a) {
                        write(d, r, g.iter().copied());
                    }
                    if let Some((d, r)) = sweep.slot(before, b) {
                        if matches!(node.op, Op::Add(..)) {
                            write_reduced(bc, cols, d, r, scratch_a, g.iter().copied());
                        } else {
                            write_reduced(bc, cols, d, r, scratch_a, g.iter().map(|g| -g));
                        }
                    }
                }
                Op::Mul(a, b, bc) => {
                    let (va, vb) = (val(a), val(b));
                    if nodes[a.index()].needs_grad {
                        let bfull = full_shape(bc, cols, vb, scratch_b, node.len());
                        let (d, r) = sweep.slot(before, a).expect("needs_grad checked");
                        write(d, r, g.iter().zip(bfull).map(|(g, b)| g * b));
                    }
                    if let Some((d, r)) = sweep.slot(before, b) {
                        write_reduced(
                            bc,
                            cols,
                            d,
                            r,
                            scratch_a,
                            g.iter().zip(va).map(|(g, a)| g * a),
                        );
                    }
                }
                Op::Div(a, b, bc) => {
                    let vb = val(b);
                    let bfull = full_shape(bc, cols, vb, scratch_b, node.len());
                    if let Some((d, r)) = sweep.slot(before, a) {
                        write(d, r, g.iter().zip(bfull.iter()).map(|(g, b)| g / b));
                    }
                    if let Some((d, r)) = sweep.slot(before, b) {
                        let contrib = g
                            .iter()
                            .zip(y)
                            .zip(bfull.iter())
                            .map(|((g, y), b)| -g * y / b);
                        write_reduced(bc, cols, d, r, scratch_a, contrib);
                    }
                }
                Op::Matmul(a, b) => {
                    let (n, k) = (nodes[a.index()].rows, nodes[a.index()].cols);
                    let m = cols;
                    let p = if n.saturating_mul(k).saturating_mul(m)
                        >= super::PARALLEL_MATMUL_THRESHOLD
                    {
                        par
                    } else {
                        faer::Par::Seq
                    };
                    let (va, vb) = (val(a), val(b));
                    if let Some((d, r)) = sweep.slot(before, a) {
                        // ∂A (n×k) (+)= G (n×m) · Bᵀ, B stored k×m.
                        matmul_into(d, g, Transpose::No, vb, Transpose::Yes, n, m, k, !r, p);
                    }
                    if let Some((d, r)) = sweep.slot(before, b) {
                        // ∂B (k×m) (+)= Aᵀ · G, A stored n×k. For large A an explicit
                        // transpose copy (n·k moves) makes the GEMM operands row-major,
                        // which faer runs measurably faster than the transposed view.
                        if n * k >= TRANSPOSE_COPY_THRESHOLD {
                            scratch_b.clear();
                            scratch_b.resize(n * k, 0.0);
                            transpose_into(scratch_b, va, n, k);
                            matmul_into(
                                d,
                                scratch_b,
                                Transpose::No,
                                g,
                                Transpose::No,
                                k,
                                n,
                                m,
                                !r,
                                p,
                            );
                        } else {
                            matmul_into(d, va, Transpose::Yes, g, Transpose::No, k, n, m, !r, p);
                        }
                    }
                }
                Op::Transpose(a) => {
                    if let Some((d, r)) = sweep.slot(before, a) {
                        // The node is rows×cols, a is cols×rows: ∂a[j][i] (+)= G[i][j].
                        for i in 0..rows {
                            for j in 0..cols {
                                let s = g[i * cols + j];
                                let t = &mut d[j * rows + i];
                                *t = if r { s } else { *t + s };
                            }
                        }
                    }
                }
                Op::AddScalar(a, _) => unary(&mut sweep, values, before, a, g, |g, _, _| g),
                Op::MulScalar(a, c) => unary(&mut sweep, values, before, a, g, |g, _, _| c * g),
                Op::Neg(a) => unary(&mut sweep, values, before, a, g, |g, _, _| -g),
                Op::Exp(a) => unary_y(&mut sweep, values, before, a, g, y, |g, _, y| g * y),
                Op::Log(a) => unary(&mut sweep, values, before, a, g, |g, x, _| g / x),
                Op::Sin(a) => unary(&mut sweep, values, before, a, g, |g, x, _| g * x.cos()),
                Op::Cos(a) => unary(&mut sweep, values, before, a, g, |g, x, _| -g * x.sin()),
                Op::Tanh(a) => unary_y(&mut sweep, values, before, a, g, y, |g, _, y| {
                    g * (1.0 - y * y)
                }),
                Op::Sigmoid(a) => unary_y(&mut sweep, values, before, a, g, y, |g, _, y| {
                    g * y * (1.0 - y)
                }),
                Op::Silu(a) => {
                    // σ(x) = y/x avoids a second exp (vectorised; see `fast_math::silu_backward`).
                    let x = &values[sweep.nodes[a.index()].range()];
                    if let Some((d, r)) = sweep.slot(before, a) {
                        crate::fast_math::silu_backward(g, x, y, d, r);
                    }
                }
                Op::Softplus(a) => {
                    unary(&mut sweep, values, before, a, g, |g, x, _| g * sigmoid(x))
                }
                Op::Square(a) => unary(&mut sweep, values, before, a, g, |g, x, _| 2.0 * g * x),
                Op::Sqrt(a) => unary_y(&mut sweep, values, before, a, g, y, |g, _, y| 0.5 * g / y),
                Op::Sum(a) | Op::Mean(a) => {
                    let len = nodes[a.index()].len();
                    let s = if matches!(node.op, Op::Mean(_)) {
                        g[0] / len as f64
                    } else {
                        g[0]
                    };
                    if let Some((d, r)) = sweep.slot(before, a) {
                        write(d, r, std::iter::repeat(s));
                    }
                }
                Op::SumRows(a) | Op::MeanRows(a) => {
                    let ac = nodes[a.index()].cols;
                    let scale = if matches!(node.op, Op::MeanRows(_)) {
                        1.0 / ac as f64
                    } else {
                        1.0
                    };
                    if let Some((d, r)) = sweep.slot(before, a) {
                        if ac > 0 {
                            for (drow, &gi) in d.chunks_exact_mut(ac).zip(g) {
                                write(drow, r, std::iter::repeat(gi * scale));
                            }
                        }
                    }
                }
                Op::SumCols(a) => {
                    if let Some((d, r)) = sweep.slot(before, a) {
                        if cols > 0 {
                            for drow in d.chunks_exact_mut(cols) {
                                write(drow, r, g.iter().copied());
                            }
                        }
                    }
                }
                Op::Expand(a) => {
                    let an = &nodes[a.index()];
                    let bc = Broadcast::classify((rows, cols), (an.rows, an.cols))
                        .expect("recorded Expand has a valid broadcast");
                    if let Some((d, r)) = sweep.slot(before, a) {
                        reduce_into(bc, cols, g, d, r);
                    }
                }
                Op::SliceCols { a, start } => {
                    let ac = nodes[a.index()].cols;
                    if let Some((d, r)) = sweep.slot(before, a) {
                        if r {
                            d.fill(0.0);
                        }
                        if cols > 0 {
                            for (drow, grow) in d.chunks_exact_mut(ac).zip(g.chunks_exact(cols)) {
                                write(&mut drow[start..start + cols], false, grow.iter().copied());
                            }
                        }
                    }
                }
                Op::PadCols { a, start } => {
                    let ac = nodes[a.index()].cols;
                    if let Some((d, r)) = sweep.slot(before, a) {
                        if ac > 0 {
                            for (drow, grow) in d.chunks_exact_mut(ac).zip(g.chunks_exact(cols)) {
                                write(drow, r, grow[start..start + ac].iter().copied());
                            }
                        }
                    }
                }
                Op::ConcatCols { first, count } => {
                    let mut start = 0;
                    for &p in &parts[first..first + count] {
                        let pc = nodes[p.index()].cols;
                        if let Some((d, r)) = sweep.slot(before, p) {
                            if pc > 0 {
                                for (drow, grow) in d.chunks_exact_mut(pc).zip(g.chunks_exact(cols))
                                {
                                    write(drow, r, grow[start..start + pc].iter().copied());
                                }
                            }
                        }
                        start += pc;
                    }
                }
                Op::RowDot(a, b) => {
                    let ac = nodes[a.index()].cols;
                    let (va, vb) = (val(a), val(b));
                    for (target, other) in [(a, vb), (b, va)] {
                        if let Some((d, r)) = sweep.slot(before, target) {
                            if ac > 0 {
                                for ((drow, orow), &gi) in
                                    d.chunks_exact_mut(ac).zip(other.chunks_exact(ac)).zip(g)
                                {
                                    write(drow, r, orow.iter().map(|o| gi * o));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Gradient of the last [`Tape::backward`] output with respect to `v` (row-major, shape of
    /// `v`); `None` for constants, for nodes the output does not depend on, and before any
    /// backward sweep.
    pub fn grad(&self, v: Var) -> Option<&[f64]> {
        if *self.grad_set.get(v.index())? {
            Some(&self.grads[self.node(v).range()])
        } else {
            None
        }
    }
}

/// The broadcast operand `b` as a full-shape slice (a view when not broadcast).
fn full_shape<'s>(
    bc: Broadcast,
    cols: usize,
    b: &'s [f64],
    scratch: &'s mut Vec<f64>,
    len: usize,
) -> &'s [f64] {
    if bc == Broadcast::None {
        b
    } else {
        scratch.clear();
        scratch.resize(len, 0.0);
        expand_into(bc, cols, b, scratch);
        scratch
    }
}

/// Unary rule `∂a (+)= f(G, a, ·)` reading the operand value.
#[inline]
fn unary(
    sweep: &mut Sweep<'_>,
    values: &[f64],
    before: &mut [f64],
    a: Var,
    g: &[f64],
    f: impl Fn(f64, f64, f64) -> f64,
) {
    let x = &values[sweep.nodes[a.index()].range()];
    if let Some((d, r)) = sweep.slot(before, a) {
        write(d, r, g.iter().zip(x).map(|(&g, &x)| f(g, x, 0.0)));
    }
}

/// Unary rule `∂a (+)= f(G, a, y)` reading the operand and the output values.
#[inline]
fn unary_y(
    sweep: &mut Sweep<'_>,
    values: &[f64],
    before: &mut [f64],
    a: Var,
    g: &[f64],
    y: &[f64],
    f: impl Fn(f64, f64, f64) -> f64,
) {
    let x = &values[sweep.nodes[a.index()].range()];
    if let Some((d, r)) = sweep.slot(before, a) {
        write(
            d,
            r,
            g.iter().zip(x).zip(y).map(|((&g, &x), &y)| f(g, x, y)),
        );
    }
}
