//! Exact samplers of the heat kernel: draws `x ~ p_t(x₀, ·)` for `∂_t p = ½Δp`.
//!
//! | sampler | method |
//! |---|---|
//! | [`TorusHeatKernelSampler`] | wrapped normal `x = (x₀ + √t z) mod 2π`, `z ~ N(0, I_d)` (exact) |
//! | [`SphereHeatKernelSampler`] | `d = 1`: wrapped normal of the angle; `d ≥ 2`: rejection sampling of the geodesic angle against the exact kernel (see its docs) |
//! | [`SphereFlowSampler`] | `S^d`, any `d`: probability-flow ODE of the geodesic angle from a flat start ([`probability_flow`]) |
//! | [`GroupHeatKernelSampler`] | `SO(n)`, `SU(n)`, `U(n)`: probability-flow ODE of the maximal-torus coordinates, conjugated by a Haar element |
//! | [`ProductHeatKernelSampler`] | `M₁ × … × M_k`: each factor with its own exact sampler (Brownian motion on a product is the tuple of independent factor motions) |
//! | [`GeodesicRandomWalkSampler`] | any manifold, **approximate**: `N` geodesic random-walk steps `exp_x(√(t/N) Z)` (weak order 1; exact on tori); reverse walk in [`geodesic_random_walk`] |
//!
//! [`crate::registry::auto_sampler`] picks: `T^d` → wrapped normal (exact, `d` normal draws); `S¹`–`S³` →
//! rejection (≈ 1.4 kernel evaluations per draw, acceptance ≥ 0.7); `S^d`, `d ≥ 4` →
//! [`SphereAutoSampler`]: rejection where its acceptance is `≥ 0.05` (small `d²t` or large `t`),
//! else the angle flow (the acceptance decays like `e^{−d(d−1)t/12}`); groups → torus flow;
//! products → factor by factor.
//!
//! **Extreme times.** Every sampler returns a draw or an error in bounded time for every finite
//! `t > 0`. Where the kernel is the uniform law to f64 (huge `t`: [`CIRCLE_UNIFORM_TIME`] on
//! circle coordinates, the Gegenbauer bound on spheres, the character bound of
//! [`crate::heat_kernel::GroupHeatKernel`] on groups) the samplers draw uniform / Haar points
//! directly instead of integrating a flow over `ln t` up to 709 or rounding `√t z`; at tiny `t`
//! the flows start at `t` itself (the tangent Gaussian, within their stated start bias) and the
//! rejection sampler accepts almost every Gaussian proposal. The flows run at most
//! [`probability_flow::FLOW_MAX_STEPS`] DP5 steps, the rejection sampler refuses an acceptance
//! below [`MIN_ACCEPTANCE`] up front.
//!
//! Batches are cut into chunks of [`SAMPLE_CHUNK_ROWS`] rows; chunk `k` draws from stream `k`
//! of [`crate::random::streams`], so a batch depends only on the seed, never on the thread count.

pub mod group;
pub mod probability_flow;
pub mod product;
mod sphere;
pub mod sphere_flow;
mod torus;

pub mod geodesic_random_walk;
pub use geodesic_random_walk::{
    forward_walk, geometric_time_grid, reverse_walk_chunk, GeodesicRandomWalkSampler,
    LangevinCorrector, ReverseWalkStats,
};

pub use group::GroupHeatKernelSampler;
pub use product::ProductHeatKernelSampler;
pub use sphere::{SphereHeatKernelSampler, MAX_PROPOSALS, MIN_ACCEPTANCE};
pub use sphere_flow::{SphereAutoSampler, SphereFlowSampler};
pub use torus::TorusHeatKernelSampler;

use crate::error::{check_len, Error, Result};
use crate::heat_kernel::{row, time};
use crate::manifold::Manifold;
use crate::random::{streams, Rng};
use rayon::prelude::*;

/// Rows per random stream in [`HeatKernelSampler::sample_batch`].
pub const SAMPLE_CHUNK_ROWS: usize = 256;

/// Smallest `t` at which the circle (each torus coordinate, `S¹`) samplers draw uniform
/// angles: the wrapped normal is uniform to `2e^{−t/2} ≤ 1e-17` in density there (and
/// `x₀ + √t z mod 2π` would only round `√t z`, whose f64 spacing exceeds `2π` for `t ≳ 1e33`).
pub const CIRCLE_UNIFORM_TIME: f64 = 80.0;

/// Whether the heat kernel of `S^d` at `t` is the uniform law to f64: `sup |p Vol − 1| =
/// p_t(0) Vol − 1 = Σ_{l≥1} m_l e^{−l(l+d−1)t/2} ≤ ε` (the Gegenbauer weights at θ = 0, where
/// every `|G_l| = 1`), so its total variation from uniform is below `ε/2`. Skipped (false)
/// while the first weight `(d + 1)e^{−dt/2}` alone exceeds `ε`.
pub(crate) fn sphere_kernel_is_uniform(d: usize, t: f64) -> bool {
    let df = d as f64;
    if t < 2.0 * ((df + 1.0) / f64::EPSILON).ln() / df {
        return false;
    }
    crate::heat_kernel::gegenbauer::gegenbauer_series(d, 0.0, t, 0.0)
        .is_ok_and(|e| e.log_prob.exp_m1() <= f64::EPSILON)
}

/// A sampler of the heat kernel `p_t(x₀, ·)` of a manifold.
pub trait HeatKernelSampler: Send + Sync {
    /// The manifold sampled on.
    fn manifold(&self) -> &dyn Manifold;

    /// Writes one draw `x ~ p_t(x0, ·)` into `out`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `t ≤ 0`/NaN, [`Error::DimensionMismatch`] /
    /// [`Error::NonFinite`] / [`Error::NotOnManifold`] for a bad `x0` or output length,
    /// [`Error::Numerical`] if the kernel cannot be evaluated.
    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()>;

    /// Fills the `n` rows of `out` with independent draws, row `i` from `p_{t_i}(x0_i, ·)`:
    /// `x0` holds one row (shared) or `n` rows, `t` one time (shared) or `n` times. Chunks of
    /// [`SAMPLE_CHUNK_ROWS`] rows use `random::streams(seed, ·)[chunk]` and run in parallel;
    /// the result depends on `seed` only.
    ///
    /// # Errors
    /// As [`HeatKernelSampler::sample`], and [`Error::DimensionMismatch`] for inconsistent shapes.
    fn sample_batch(&self, x0: &[f64], t: &[f64], seed: u64, out: &mut [f64]) -> Result<()> {
        let n = self.manifold().ambient_dim();
        if out.len() % n != 0 {
            return Err(Error::DimensionMismatch {
                what: "sample output (length must be a multiple of the ambient dimension)",
                expected: n * (out.len() / n + 1),
                found: out.len(),
            });
        }
        let rows = out.len() / n;
        if rows == 0 {
            return Ok(());
        }
        if x0.len() != n && x0.len() != rows * n {
            return Err(Error::DimensionMismatch {
                what: "batch of origins x0 (one row, or one per output row)",
                expected: rows * n,
                found: x0.len(),
            });
        }
        if t.len() != 1 {
            check_len(
                "batch of times t (one value, or one per output row)",
                t.len(),
                rows,
            )?;
        }
        let chunks = rows.div_ceil(SAMPLE_CHUNK_ROWS);
        let mut rngs = streams(seed, chunks);
        out.par_chunks_mut(SAMPLE_CHUNK_ROWS * n)
            .zip(rngs.par_iter_mut())
            .enumerate()
            .try_for_each(|(chunk, (o, rng))| {
                for (j, oi) in o.chunks_exact_mut(n).enumerate() {
                    let i = chunk * SAMPLE_CHUNK_ROWS + j;
                    self.sample(row(x0, n, i), time(t, i), rng, oi)?;
                }
                Ok(())
            })
    }
}
