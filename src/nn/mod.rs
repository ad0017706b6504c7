//! Neural score networks: MLPs on manifolds, Adam, EMA and checkpoints.
//!
//! The model (RSGM, De Bortoli et al. 2022, §3; Lou et al. 2023, §5) is
//!
//! $$ s_θ(x, σ) = P_x\big(\mathrm{net}_θ(\phi(x), \psi(σ))\big) / σ, $$
//!
//! where `net` is a fully connected network, `φ` encodes the point (ambient coordinates, or
//! `(cos, sin)` of angles on tori), `ψ` encodes the noise level (raw `σ`, or `ln σ` with a
//! sinusoidal embedding), and `P_x` is the orthogonal projection onto the tangent space at `x`
//! (`I − x xᵀ` on spheres, the identity on tori). Dividing by `σ` matches the `1/σ` growth of
//! the true score `∇ log p_t` at small `t = σ²`, so the network output stays of unit scale.
//!
//! - [`ScoreNetConfig`], [`Activation`], [`SigmaEncoding`], [`InputEncoding`]: architecture.
//! - [`ScoreNet`]: parameters, a fast batched inference path (faer GEMM into preallocated
//!   buffers, rayon over fixed row chunks, vectorised SiLU with relative error < 1e-15), the
//!   same network on an autodiff [`Tape`] for training, and [`crate::score::ScoreField`]
//!   (`σ = √t`) with an exact divergence for likelihoods.
//! - [`TapeModel`]: the seam the losses train through (raw output on a tape + projection),
//!   so the MLP can be swapped for another architecture.
//! - [`Adam`], [`Ema`], [`clip_global_norm`]: optimisation.
//! - [`Checkpoint`]: the binary checkpoint format (atomic writes, checksummed loads).
//!
//! [`Tape`]: crate::autodiff::Tape

mod checkpoint;
mod config;
mod model;
mod network;
mod optim;
mod projection;

pub use checkpoint::{Checkpoint, CHECKPOINT_MAGIC, CHECKPOINT_VERSION};
pub use config::{
    Activation, InputEncoding, ScoreNetConfig, SigmaEncoding, DEFAULT_HIDDEN_LAYERS,
    DEFAULT_HIDDEN_WIDTH,
};
pub use model::TapeModel;
pub use network::{ScoreNet, TapeForward, INFERENCE_CHUNK_ROWS};
pub use optim::{clip_global_norm, Adam, AdamOptions, Ema};
pub use projection::TangentProjection;
