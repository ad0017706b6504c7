//! # riemannian-diffusion
//!
//! Score-based diffusion models on Riemannian symmetric spaces (tori, spheres,
//! compact Lie groups), after De Bortoli et al. 2022 (RSGM) and Lou et al. 2023
//! (Scaling Riemannian Diffusion Models).
//!
//! ## Conventions (binding, see `DESIGN.md`)
//! - **Time** `t` is Brownian-motion time: `∂_t p = ½ Δ p`; in flat space `p_t = N(x₀, t I)`.
//!   A noise schedule maps diffusion time `s ∈ [0, 1]` to `t = σ(s)²`.
//! - **Densities** are with respect to the Riemannian volume (they integrate to 1).
//! - **Scores** are Riemannian gradients of `log p` w.r.t. the second argument, as
//!   tangent vectors in ambient coordinates.
//! - **Points**: `Torus(d)` stores `d` angles in `[0, 2π)`; `Sphere(d)` stores a unit
//!   vector of `R^{d+1}`. A batch is a row-major buffer, one point per row.
//!
//! ## Layers (lower never imports higher)
//! `error`, `random`, `fast_math` → `linalg`, `autodiff` → `manifold` → `heat_kernel`, `ode` →
//! `sampling`, `schedule` → `score`, `nn` → `train`, `likelihood`, `generation` → `data`, `plot` → CLI.

#![warn(missing_docs)]

pub mod autodiff;
pub mod data;
pub mod error;
pub mod fast_math;
pub mod generation;
pub mod heat_kernel;
pub mod lie;
pub mod likelihood;
pub mod linalg;
pub mod manifold;
pub mod mixture;
pub mod nn;
pub mod ode;
pub mod plot;
pub mod random;
pub mod sampling;
pub mod schedule;
pub mod score;
#[cfg(feature = "testing")]
pub mod testing;
pub mod train;

pub use error::{Error, Result};
