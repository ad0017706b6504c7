//! The seam between the losses and the network architecture: [`TapeModel`].

use super::network::{ScoreNet, TapeForward};
use super::projection::TangentProjection;
use crate::autodiff::{Tape, Var};
use crate::score::ScoreField;

/// A trainable score model in the form every loss of [`crate::train`] uses:
///
/// $$ s_θ(x, t) = P_x\, y_θ(x, σ) / σ , \qquad σ = \sqrt t , $$
///
/// where the raw output `y_θ` (`rows × ambient_dim`) can be recorded on an autodiff [`Tape`]
/// as a differentiable function of the points and of parameter leaves, and `P_x` is the
/// manifold's tangent projection. [`ScoreNet`] (an MLP) is one implementation; another
/// architecture (residual MLP, attention over lattice sites, …) only has to implement these
/// methods to be trained by DSM, ISM or sliced ISM. The `ScoreField` supertrait supplies the
/// manifold and inference.
pub trait TapeModel: ScoreField {
    /// Number of trainable parameters (the length of every gradient vector).
    fn param_count(&self) -> usize;

    /// The classified tangent projection of the manifold (for exact divergences).
    fn projection(&self) -> TangentProjection;

    /// Records the raw output `y_θ(x, σ)`, `σ = √t`, for `points` (a `rows × ambient_dim` tape
    /// variable, constant or differentiable) and one kernel time `t` per row (or one for all
    /// rows); parameter leaves
    /// are differentiable when `differentiable_params`. Every op on the path from `points` to
    /// the output must support [`Tape::grad_graph`] (true for all tape ops), so ISM can
    /// differentiate the input Jacobian again.
    fn forward_tape(
        &self,
        tape: &mut Tape,
        points: Var,
        times: &[f64],
        differentiable_params: bool,
    ) -> TapeForward;

    /// Writes the gradients held by the parameter leaves of `forward` into `grads` (flat,
    /// `param_count` long, zeros for unreached leaves).
    fn gather_param_grads(&self, tape: &Tape, forward: &TapeForward, grads: &mut [f64]);

    /// Adds the gradients held by the parameter leaves of `forward` to `grads`.
    fn accumulate_param_grads(&self, tape: &Tape, forward: &TapeForward, grads: &mut [f64]);
}

impl TapeModel for ScoreNet {
    fn param_count(&self) -> usize {
        ScoreNet::param_count(self)
    }

    fn projection(&self) -> TangentProjection {
        ScoreNet::projection(self)
    }

    fn forward_tape(
        &self,
        tape: &mut Tape,
        points: Var,
        times: &[f64],
        differentiable_params: bool,
    ) -> TapeForward {
        ScoreNet::forward_tape(self, tape, points, times, differentiable_params)
    }

    fn gather_param_grads(&self, tape: &Tape, forward: &TapeForward, grads: &mut [f64]) {
        ScoreNet::gather_param_grads(self, tape, forward, grads)
    }

    fn accumulate_param_grads(&self, tape: &Tape, forward: &TapeForward, grads: &mut [f64]) {
        ScoreNet::accumulate_param_grads(self, tape, forward, grads)
    }
}
