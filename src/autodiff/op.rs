//! The closed set of tape operations and their derivative rules.
//!
//! Every variant documents its forward map and its vector–Jacobian product (VJP): given the
//! upstream gradient `G = ∂L/∂y` of the node's output `y`, the contribution added to each
//! operand's gradient. Both reverse sweeps — the fast buffer sweep in
//! [`Tape::backward`](super::Tape::backward) and the recorded sweep in
//! [`Tape::grad_graph`](super::Tape::grad_graph) — implement exactly these formulas, each in one
//! `match` over this enum; the test suite checks that the two agree to rounding and that both
//! agree with central finite differences.
//!
//! Notation: `∘` is the elementwise product, `σ(x) = 1/(1+e^{−x})` the logistic sigmoid,
//! `reduce_b` sums a full-shape gradient over the axes along which `b` was broadcast
//! (see [`Broadcast`]).

use super::Var;

/// How the second operand `b` of a binary elementwise op is broadcast against `a` (`n × m`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    /// `b` is `n × m`: no broadcast.
    None,
    /// `b` is `1 × m`: the same row is used for every row of `a` (e.g. a bias).
    /// Its gradient is the column sum of the full-shape gradient.
    Row,
    /// `b` is `n × 1`: one value per row. Its gradient is the row sum.
    Col,
    /// `b` is `1 × 1`. Its gradient is the total sum.
    Scalar,
}

impl Broadcast {
    /// Classifies the shape of `b` against the full shape of `a`, or `None` if incompatible.
    pub(crate) fn classify(a: (usize, usize), b: (usize, usize)) -> Option<Broadcast> {
        if a == b {
            Some(Broadcast::None)
        } else if b == (1, a.1) {
            Some(Broadcast::Row)
        } else if b == (a.0, 1) {
            Some(Broadcast::Col)
        } else if b == (1, 1) {
            Some(Broadcast::Scalar)
        } else {
            None
        }
    }
}

/// A recorded operation. `y` denotes the node's value, `G` its upstream gradient.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Differentiable leaf (see [`Tape::input`](super::Tape::input)).
    Input,
    /// Leaf without gradient (see [`Tape::constant`](super::Tape::constant)).
    Constant,
    /// `y = a + b` (b broadcast). VJP: `∂a = G`, `∂b = reduce_b(G)`.
    Add(Var, Var, Broadcast),
    /// `y = a − b`. VJP: `∂a = G`, `∂b = −reduce_b(G)`.
    Sub(Var, Var, Broadcast),
    /// `y = a ∘ b`. VJP: `∂a = G ∘ b`, `∂b = reduce_b(G ∘ a)`.
    Mul(Var, Var, Broadcast),
    /// `y = a / b`. VJP: `∂a = G / b`, `∂b = −reduce_b(G ∘ y / b)` (using `a/b² = y/b`).
    Div(Var, Var, Broadcast),
    /// `Y = A·B` (`n×k · k×m`). VJP: `∂A = G·Bᵀ`, `∂B = Aᵀ·G` (both through faer GEMM,
    /// accumulated straight into the gradient slots).
    Matmul(Var, Var),
    /// `Y = Aᵀ`. VJP: `∂A = Gᵀ`.
    Transpose(Var),
    /// `y = a + c`. VJP: `∂a = G`.
    AddScalar(Var, f64),
    /// `y = c·a`. VJP: `∂a = c·G`.
    MulScalar(Var, f64),
    /// `y = −a`. VJP: `∂a = −G`.
    Neg(Var),
    /// `y = eᵃ`. VJP: `∂a = G ∘ y`.
    Exp(Var),
    /// `y = ln a` (a > 0). VJP: `∂a = G / a`.
    Log(Var),
    /// `y = sin a`. VJP: `∂a = G ∘ cos a`.
    Sin(Var),
    /// `y = cos a`. VJP: `∂a = −G ∘ sin a`.
    Cos(Var),
    /// `y = tanh a`. VJP: `∂a = G ∘ (1 − y²)`.
    Tanh(Var),
    /// `y = σ(a)`, evaluated as `1/(1+e^{−a})` for `a ≥ 0` and `eᵃ/(1+eᵃ)` otherwise (no
    /// overflow). VJP: `∂a = G ∘ y ∘ (1 − y)`.
    Sigmoid(Var),
    /// `y = a·σ(a)` (SiLU / swish). VJP: `∂a = G ∘ σ(a)(1 + a(1 − σ(a)))`
    /// `= G ∘ (σ(a) + y − y σ(a))`. The buffer sweep recovers `σ(a) = y/a` (no second `exp`).
    Silu(Var),
    /// `y = ln(1 + eᵃ)`, evaluated stably as `max(a, 0) + ln1p(e^{−|a|})`.
    /// VJP: `∂a = G ∘ σ(a)`.
    Softplus(Var),
    /// `y = a²`. VJP: `∂a = 2 G ∘ a`.
    Square(Var),
    /// `y = √a` (a > 0 for a finite gradient). VJP: `∂a = G / (2y)`.
    Sqrt(Var),
    /// `y = Σ_ij a_ij` (1×1). VJP: `∂a_ij = G`.
    Sum(Var),
    /// `y = (1/nm) Σ_ij a_ij` (1×1). VJP: `∂a_ij = G / (nm)`.
    Mean(Var),
    /// `y_i = Σ_j a_ij` (n×1). VJP: `∂a_ij = G_i`.
    SumRows(Var),
    /// `y_i = (1/m) Σ_j a_ij` (n×1). VJP: `∂a_ij = G_i / m`.
    MeanRows(Var),
    /// `y_j = Σ_i a_ij` (1×m, column sums). VJP: `∂a_ij = G_j`.
    SumCols(Var),
    /// Broadcast of `a` (`1×m`, `n×1` or `1×1`) to the node's shape `n×m`:
    /// `y_ij = a_{broadcast index}`. VJP: `∂a = reduce_a(G)`.
    Expand(Var),
    /// `y = a[:, start..start+m]` where `m` is the node's column count.
    /// VJP: `∂a[:, start..start+m] = G`, zero elsewhere.
    SliceCols {
        /// Sliced operand.
        a: Var,
        /// First column taken.
        start: usize,
    },
    /// `y = [0 | a | 0]`: `a` placed at columns `start..start+cols(a)` of a zero matrix with
    /// the node's column count (the adjoint of `SliceCols`). VJP: `∂a = G[:, start..start+cols(a)]`.
    PadCols {
        /// Padded operand.
        a: Var,
        /// Column where `a` starts.
        start: usize,
    },
    /// `y = [a₁ | a₂ | …]` (column concatenation; the parts are stored in the tape's side
    /// list at `first..first+count`). VJP: `∂a_p = G[:, columns of part p]`.
    ConcatCols {
        /// Index of the first part in the side list.
        first: usize,
        /// Number of parts.
        count: usize,
    },
    /// `y_i = Σ_j a_ij b_ij` (n×1). VJP: `∂a_ij = G_i b_ij`, `∂b_ij = G_i a_ij`.
    RowDot(Var, Var),
}
