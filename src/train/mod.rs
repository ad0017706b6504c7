//! Score matching on manifolds (DSM, DSM with Varadhan targets, ISM, sliced ISM) and the
//! training loop.
//!
//! For data `x₀ ~ p_data`, diffusion time `s ~ U[s_min, 1]`, noise level
//! `σ = σ(s) = σ_min^{1−s} σ_max^{s}` ([`GeometricSchedule`]) and kernel time `t = σ²`, draw
//! `x ~ p_t(x₀, ·)` exactly from the heat kernel and regress the network on the exact
//! conditional score (RSGM, De Bortoli et al. 2022, eq. (8); Lou et al. 2023, §3):
//!
//! $$ \mathcal L(θ) = \mathbb E\, σ^2 \,\big\| s_θ(x, σ) − ∇_x \log p_t(x₀, x) \big\|_x^2 , $$
//!
//! with the metric norm at `x` (Euclidean in ambient coordinates on spheres and tori). The
//! weight `σ²` makes every noise level contribute `O(1)` (Song & Ermon 2019).
//!
//! - [`dsm_loss_and_gradient`]: the loss of a batch and its exact parameter gradient (one
//!   forward and one reverse sweep per fixed chunk of rows, one tape per chunk in parallel,
//!   gradients summed in chunk order; [`DsmWorkspace`] keeps the tapes between steps).
//! - The loss family, chosen by [`TrainOptions::loss`] ([`Loss`], [`Probe`]), all with the
//!   weight `σ²`: [`Loss::Dsm`] (above), [`Loss::DsmVaradhan`] (targets
//!   [`varadhan_target`] `= log_x(x₀)/t`), [`Loss::Ism`] ([`ism_loss_and_gradient`]:
//!   `E σ²(‖s_θ‖² + 2 div_M s_θ)` with the exact Riemannian divergence of the network, grad of
//!   grad through the tape) and [`Loss::Sliced`] ([`sliced_ism_loss_and_gradient`]: Hutchinson
//!   probes `z = P_x ε`). ISM equals DSM minus a θ-independent constant in expectation.
//!   The loss functions are generic over [`crate::nn::TapeModel`], the seam that lets another
//!   architecture replace the MLP.
//! - [`HeatKernelNoise`]: the exact noising process (heat-kernel sampler + kernel score).
//! - [`DsmTrainer`]: one step at a time (batch drawing in parallel over fixed chunks with
//!   jumped random streams, Adam, clipping, EMA), deterministic from a seed whatever the
//!   thread count; [`train`]: the whole loop with a per-step callback.
//!
//! [`GeometricSchedule`]: crate::schedule::GeometricSchedule

mod dsm;
mod ism;
mod loss;
mod noise;
mod trainer;

pub use dsm::{dsm_loss_and_gradient, DsmWorkspace, DSM_CHUNK_ROWS};
pub use ism::{
    ism_chunk_rows, ism_loss_and_gradient, sliced_ism_loss_and_gradient, varadhan_target,
};
pub use loss::{Loss, Probe};
pub use noise::HeatKernelNoise;
pub use trainer::{
    train, DsmKernel, DsmTrainer, StepReport, TrainOptions, TrainedModel, BATCH_CHUNK_ROWS,
};
