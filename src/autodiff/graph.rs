//! Differentiable reverse sweep: the backward rules of [`Op`] recorded as tape ops.
//!
//! [`Tape::grad_graph`] walks the nodes in reverse like [`Tape::backward`], but every gradient
//! is a [`Var`] and every rule is expressed with the tape's own forward ops (`mul`, `matmul`,
//! `transpose`, `sum_cols`, `expand`, …). The resulting gradients are ordinary nodes, so they
//! can be combined and differentiated again: grad of grad, Hessian–vector products, exact
//! divergences `Σ_i ∂F_i/∂x_i` for implicit score matching, Hutchinson estimators.
//!
//! Only nodes that both depend on one of the `wrt` variables and lead to the output are
//! visited; operands that do not depend on `wrt` receive no gradient ops at all.

use super::{Broadcast, Op, Tape, Var};

impl Tape {
    /// Records the reverse sweep of `output` as tape ops and returns, for each `w` in `wrt`,
    /// a node holding `∂(Σ_ij seed_ij · output_ij)/∂w` (shape of `w`). With `seed = None`,
    /// `output` must be 1×1 and the seed is 1.
    ///
    /// The returned nodes depend differentiably on the inputs (and on `seed`), so calling
    /// `grad_graph` or [`Tape::backward`] on an expression of them gives second derivatives.
    /// A `w` the output does not depend on gets a constant zero node.
    ///
    /// Cost: comparable to the forward pass plus one op per rule term (matmul rules record a
    /// transpose copy and a product). Allocates the returned `Vec`; internal bookkeeping reuses
    /// the tape's buffers.
    ///
    /// # Panics
    /// If `seed` is `None` and `output` is not 1×1, or the seed's shape differs from `output`'s.
    pub fn grad_graph(&mut self, output: Var, seed: Option<Var>, wrt: &[Var]) -> Vec<Var> {
        let seed = match seed {
            Some(s) => {
                assert_eq!(
                    self.shape(s),
                    self.shape(output),
                    "Tape::grad_graph: seed shape differs from output shape"
                );
                s
            }
            None => {
                assert_eq!(
                    self.shape(output),
                    (1, 1),
                    "Tape::grad_graph: output must be 1×1 without a seed"
                );
                self.full(1, 1, 1.0)
            }
        };
        let end = output.index() + 1;

        // relevant[i]: node i depends on some wrt variable (forward marking, topological order).
        let mut relevant = std::mem::take(&mut self.relevant);
        relevant.clear();
        relevant.resize(end, false);
        for &w in wrt {
            if w.index() < end {
                relevant[w.index()] = true;
            }
        }
        for i in 0..end {
            if relevant[i] {
                continue;
            }
            relevant[i] = self.operands_any(self.nodes[i].op, |v| relevant[v.index()]);
        }

        let mut slots = std::mem::take(&mut self.graph_slots);
        slots.clear();
        slots.resize(end, None);
        if relevant[output.index()] {
            slots[output.index()] = Some(seed);
        }
        for i in (0..end).rev() {
            let Some(g) = slots[i] else { continue };
            if !relevant[i] || !self.operands_any(self.nodes[i].op, |v| relevant[v.index()]) {
                continue;
            }
            let node = self.nodes[i];
            let y = Var(i as u32);
            let (rows, cols) = (node.rows, node.cols);
            let want = |v: Var| relevant[v.index()];
            match node.op {
                Op::Input | Op::Constant => {}
                Op::Add(a, b, bc) => {
                    if want(a) {
                        accumulate(self, &mut slots, a, g);
                    }
                    if want(b) {
                        let d = self.reduce_to(g, bc);
                        accumulate(self, &mut slots, b, d);
                    }
                }
                Op::Sub(a, b, bc) => {
                    if want(a) {
                        accumulate(self, &mut slots, a, g);
                    }
                    if want(b) {
                        let r = self.reduce_to(g, bc);
                        let d = self.neg(r);
                        accumulate(self, &mut slots, b, d);
                    }
                }
                Op::Mul(a, b, bc) => {
                    if want(a) {
                        let d = self.mul(g, b);
                        accumulate(self, &mut slots, a, d);
                    }
                    if want(b) {
                        let ga = self.mul(g, a);
                        let d = self.reduce_to(ga, bc);
                        accumulate(self, &mut slots, b, d);
                    }
                }
                Op::Div(a, b, bc) => {
                    if want(a) {
                        let d = self.div(g, b);
                        accumulate(self, &mut slots, a, d);
                    }
                    if want(b) {
                        let gy = self.mul(g, y);
                        let q = self.div(gy, b);
                        let r = self.reduce_to(q, bc);
                        let d = self.neg(r);
                        accumulate(self, &mut slots, b, d);
                    }
                }
                Op::Matmul(a, b) => {
                    if want(a) {
                        let bt = self.transpose(b);
                        let d = self.matmul(g, bt);
                        accumulate(self, &mut slots, a, d);
                    }
                    if want(b) {
                        let at = self.transpose(a);
                        let d = self.matmul(at, g);
                        accumulate(self, &mut slots, b, d);
                    }
                }
                Op::Transpose(a) => {
                    let d = self.transpose(g);
                    accumulate(self, &mut slots, a, d);
                }
                Op::AddScalar(a, _) => accumulate(self, &mut slots, a, g),
                Op::MulScalar(a, c) => {
                    let d = self.mul_scalar(g, c);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Neg(a) => {
                    let d = self.neg(g);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Exp(a) => {
                    let d = self.mul(g, y);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Log(a) => {
                    let d = self.div(g, a);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Sin(a) => {
                    let c = self.cos(a);
                    let d = self.mul(g, c);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Cos(a) => {
                    let s = self.sin(a);
                    let gs = self.mul(g, s);
                    let d = self.neg(gs);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Tanh(a) => {
                    // 1 − y²
                    let y2 = self.square(y);
                    let m = self.neg(y2);
                    let one_minus = self.add_scalar(m, 1.0);
                    let d = self.mul(g, one_minus);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Sigmoid(a) => {
                    // y (1 − y)
                    let m = self.neg(y);
                    let one_minus = self.add_scalar(m, 1.0);
                    let yy = self.mul(y, one_minus);
                    let d = self.mul(g, yy);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Silu(a) => {
                    // σ(a) + y − y σ(a)
                    let s = self.sigmoid(a);
                    let ys = self.mul(y, s);
                    let y_minus = self.sub(y, ys);
                    let deriv = self.add(s, y_minus);
                    let d = self.mul(g, deriv);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Softplus(a) => {
                    let s = self.sigmoid(a);
                    let d = self.mul(g, s);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Square(a) => {
                    let two_a = self.mul_scalar(a, 2.0);
                    let d = self.mul(g, two_a);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Sqrt(a) => {
                    let half_g = self.mul_scalar(g, 0.5);
                    let d = self.div(half_g, y);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Sum(a) | Op::Mean(a) => {
                    let (ar, ac) = self.shape(a);
                    let mut d = self.expand(g, ar, ac);
                    if matches!(node.op, Op::Mean(_)) {
                        d = self.mul_scalar(d, 1.0 / (ar * ac) as f64);
                    }
                    accumulate(self, &mut slots, a, d);
                }
                Op::SumRows(a) | Op::MeanRows(a) => {
                    let (ar, ac) = self.shape(a);
                    let mut d = self.expand(g, ar, ac);
                    if matches!(node.op, Op::MeanRows(_)) {
                        d = self.mul_scalar(d, 1.0 / ac as f64);
                    }
                    accumulate(self, &mut slots, a, d);
                }
                Op::SumCols(a) => {
                    let (ar, ac) = self.shape(a);
                    let d = self.expand(g, ar, ac);
                    accumulate(self, &mut slots, a, d);
                }
                Op::Expand(a) => {
                    let bc = Broadcast::classify((rows, cols), self.shape(a))
                        .expect("recorded Expand has a valid broadcast");
                    let d = self.reduce_to(g, bc);
                    accumulate(self, &mut slots, a, d);
                }
                Op::SliceCols { a, start } => {
                    let ac = self.shape(a).1;
                    let d = self.pad_cols(g, start, ac);
                    accumulate(self, &mut slots, a, d);
                }
                Op::PadCols { a, start } => {
                    let ac = self.shape(a).1;
                    let d = self.slice_cols(g, start, start + ac);
                    accumulate(self, &mut slots, a, d);
                }
                Op::ConcatCols { first, count } => {
                    let mut start = 0;
                    for k in first..first + count {
                        let p = self.parts[k];
                        let pc = self.shape(p).1;
                        if want(p) {
                            let d = self.slice_cols(g, start, start + pc);
                            accumulate(self, &mut slots, p, d);
                        }
                        start += pc;
                    }
                }
                Op::RowDot(a, b) => {
                    if want(a) {
                        let d = self.mul(b, g);
                        accumulate(self, &mut slots, a, d);
                    }
                    if want(b) {
                        let d = self.mul(a, g);
                        accumulate(self, &mut slots, b, d);
                    }
                }
            }
        }

        let result = wrt
            .iter()
            .map(|&w| match slots.get(w.index()).copied().flatten() {
                Some(g) => g,
                None => {
                    let (r, c) = self.shape(w);
                    self.full(r, c, 0.0)
                }
            })
            .collect();
        self.graph_slots = slots;
        self.relevant = relevant;
        result
    }

    /// Whether any operand of `op` satisfies `pred`.
    fn operands_any(&self, op: Op, mut pred: impl FnMut(Var) -> bool) -> bool {
        match op {
            Op::Input | Op::Constant => false,
            Op::Add(a, b, _)
            | Op::Sub(a, b, _)
            | Op::Mul(a, b, _)
            | Op::Div(a, b, _)
            | Op::Matmul(a, b)
            | Op::RowDot(a, b) => pred(a) || pred(b),
            Op::Transpose(a)
            | Op::AddScalar(a, _)
            | Op::MulScalar(a, _)
            | Op::Neg(a)
            | Op::Exp(a)
            | Op::Log(a)
            | Op::Sin(a)
            | Op::Cos(a)
            | Op::Tanh(a)
            | Op::Sigmoid(a)
            | Op::Silu(a)
            | Op::Softplus(a)
            | Op::Square(a)
            | Op::Sqrt(a)
            | Op::Sum(a)
            | Op::Mean(a)
            | Op::SumRows(a)
            | Op::MeanRows(a)
            | Op::SumCols(a)
            | Op::Expand(a)
            | Op::SliceCols { a, .. }
            | Op::PadCols { a, .. } => pred(a),
            Op::ConcatCols { first, count } => {
                self.parts[first..first + count].iter().any(|&p| pred(p))
            }
        }
    }

    /// Sums a full-shape gradient over the axes along which an operand was broadcast.
    fn reduce_to(&mut self, g: Var, bc: Broadcast) -> Var {
        match bc {
            Broadcast::None => g,
            Broadcast::Row => self.sum_cols(g),
            Broadcast::Col => self.sum_rows(g),
            Broadcast::Scalar => self.sum(g),
        }
    }
}

/// `slots[v] += d` as a recorded op (or `slots[v] = d` for the first contribution).
fn accumulate(tape: &mut Tape, slots: &mut [Option<Var>], v: Var, d: Var) {
    slots[v.index()] = Some(match slots[v.index()] {
        Some(prev) => tape.add(prev, d),
        None => d,
    });
}
