//! # riemannian-diffusion
//!
//! Score-based diffusion models on Riemannian symmetric spaces (tori, spheres, the compact Lie
//! groups SO(n), SU(n), U(n) and their products), after De Bortoli et al. 2022 (RSGM) and
//! Lou et al. 2023 (Scaling Riemannian Diffusion Models).
//!
//! The conventions every API depends on — Brownian time `t` (`∂_t p = ½ Δ p`), metrics and
//! volumes, densities with respect to the Riemannian volume, scores as Riemannian gradients,
//! the point layout — are stated with their formulas in [`conventions`].
//!
//! ```
//! use riemannian_diffusion::manifold::ManifoldSpec;
//! use riemannian_diffusion::registry;
//!
//! // A manifold by its typed identity (here a product), its exact kernel and sampler.
//! let spec: ManifoldSpec = "so:3*sphere:2".parse()?;
//! let manifold = registry::builtin().manifold(&spec)?;
//! let kernel = registry::auto_kernel(manifold.as_ref())?;
//! let sampler = registry::auto_sampler(manifold.as_ref())?;
//! let x0 = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0];
//! let mut x = [0.0; 12];
//! sampler.sample_batch(&x0, &[0.1], 7, &mut x)?; // x ~ p_0.1(x0, ·), exactly
//! let mut score = [0.0; 12];
//! let evaluation = kernel.score(&x0, &x, 0.1, &mut score)?;
//! assert!(evaluation.log_prob.is_finite());
//! # Ok::<(), riemannian_diffusion::Error>(())
//! ```
//!
//! ## Features
//! - `cli` (default): the `rdiff` binary (argument parsing, progress bars); implies `plot`.
//! - `plot` (default): PNG density maps (the `plot` module).
//! - `testing`: the generic law suite users can run on their own manifolds.
//!
//! `cargo build --no-default-features` builds the library with only its numerical
//! dependencies (faer, num-complex, rayon, rand, rand_xoshiro, statrs).
//!
//! ## Layers (lower never imports higher)
//! `error`, `atomic_file`, `random`, `fast_math` → `linalg`, `autodiff`, `lie` → `manifold` → `heat_kernel`,
//! `ode` → `sampling`, `schedule` → `registry` → `score`, `mixture`, `nn` → `train`,
//! `likelihood`, `generation` → `data`, `plot` → the CLI.

#![warn(missing_docs)]

#[doc = include_str!("conventions.md")]
pub mod conventions {}

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;

pub mod atomic_file;
pub mod autodiff;
pub mod data;
pub mod error;
pub mod fast_math;
pub mod generation;
pub mod heat_kernel;
pub mod lie;
pub mod likelihood;
pub mod limits;
pub mod linalg;
pub mod manifold;
pub mod mixture;
pub mod nn;
pub mod ode;
#[cfg(feature = "plot")]
pub mod plot;
pub mod random;
pub mod registry;
pub mod sampling;
pub mod schedule;
pub mod score;
#[cfg(feature = "testing")]
pub mod testing;
pub mod train;

pub use error::{Error, Result};
