//! Sampling from a score model by the reverse probability-flow ODE (default) or by the reverse
//! geodesic random walk with an optional Langevin corrector ([`GenerationMethod`]).
//!
//! # Method ([`GenerationMethod::ProbabilityFlow`])
//! Brownian time `t` (crate convention): the noised densities solve `∂_t p_t = ½ Δ p_t`, whose
//! probability-flow (PF) velocity is `v(x, t) = −½ ∇ log p_t(x) ≈ −½ s(x, t)` (derivation in
//! [`crate::likelihood`]; the PF-ODE of Song et al. 2021, eq. 13, with `f = 0`, `g = 1`, as
//! used on manifolds by De Bortoli et al. 2022, RSGM). The flow maps `p_T` to `p_{t0}`
//! deterministically, so
//!
//! 1. draw `x_T` from the uniform prior on the manifold (`Manifold::sample_uniform`), the limit
//!    of `p_T` for `T → ∞` (on `S^d` the error of this replacement is `≈ (d+1) e^{−d T/2}`
//!    relative, on `T^d` `≈ 2d e^{−T/2}`: the slowest eigenmode `e^{−λ₁ T/2}`);
//! 2. integrate `dx/dt = −½ s(x, t)` **backwards** from `t1 = T` to `t0 > 0` with the adaptive
//!    manifold Dormand–Prince 5(4) solver [`crate::ode::solve_manifold`] (points projected
//!    back onto the manifold after every step);
//! 3. return `x_{t0}`, a draw of the model's `p_{t0}`.
//!
//! With a [`GeometricSchedule`], `t0 = σ_min²` and `T = σ_max²` ([`generate_with_schedule`]).
//! Stage times of the solver may leave `[t0, T]` by rounding; the score is evaluated at the
//! time clamped to that interval.
//!
//! # Accuracy and cost
//! The samples are exact draws of the flow of the model's score up to (a) the prior
//! replacement above and (b) the ODE error, which is a few times the local tolerance
//! `atol + rtol |x|` per coordinate (DP5; [`GenerationOptions::ode`]). Each ODE step costs six
//! score evaluations of a whole chunk (FSAL: 6 per accepted step, plus rejected steps);
//! the work is reported in [`GeneratedSamples::stats`].
//!
//! # Reverse geodesic random walk ([`GenerationMethod::GeodesicRandomWalk`])
//! The stochastic reverse process of RSGM (Algorithm 1 run backwards; De Bortoli et al. 2022):
//! from the same uniform prior at `T`, on the geometric kernel-time grid
//! `t_k = T (t0/T)^{k/N}` ([`geometric_time_grid`], uniform steps of diffusion time in the
//! geometric schedule), with `γ_k = t_k − t_{k+1}`,
//!
//! `y ← exp_y(γ_k s(y, t_k) + √γ_k Z)` (predictor; drift `∇ log p`, twice the PF-ODE drift,
//! because the reverse SDE of `dX = dB` is `dY = ∇ log p_{T−τ}(Y) dτ + dB`),
//!
//! followed by `corrector_steps` Langevin moves `y ← exp_y(ε s(y, t_{k+1}) + √(2ε) Z)` with
//! `ε = min(2 snr² d/⟨|s|²⟩, t_{k+1})` per chunk (Song et al. 2021, Algorithm 5). Details and
//! error analysis in [`crate::sampling::geodesic_random_walk`]: weak first order,
//! error `O(ln(T/t0)/N)` for scores of scale `1/t`; unlike the PF-ODE the error does not
//! shrink with a tolerance, only with `N`. Cost: `N (1 + corrector_steps)` score evaluations
//! of each chunk, reported in [`GeneratedSamples::walk_stats`].
//!
//! Measured (`tests/generation.rs`, exact scores of three-centre heat-kernel mixtures,
//! `t0 = 0.05`): with `N = 100` the first and second moments of the samples match the exact
//! moments of `p_{t0}` on `S²` (n = 20 000, with and without one corrector step: all
//! `|z| < 1.6`), `SO(3)` (n = 4000, `|z| < 1.1`) and `SU(2)` (n = 1000, `|z| < 1.7`); the
//! discretisation bias is below those resolutions. Using half the score in the walk (the PF-ODE
//! drift) is detected at `|z| ≈ 15` with n = 4000.
//!
//! # Batching and determinism
//! The `n` samples are cut into chunks of [`GenerationOptions::chunk_size`] rows; each chunk is
//! one ODE (one shared step-size sequence for its points) or one reverse walk, processed in
//! parallel with rayon. Chunk `k` draws its prior points (and the walk's noise) from stream `k`
//! of [`crate::random::streams`] of [`GenerationOptions::seed`]. The samples depend on the
//! seed and the chunk size only, never on the number of threads.

use crate::error::{check_time, Error, Num, Result};
use crate::limits::{buffer_len, check_at_most, MAX_WALK_STEPS};
use crate::manifold::Manifold;
use crate::ode::{solve_manifold, ManifoldOdeSystem, OdeOptions, OdeStats};
use crate::random::{streams, Rng};
use crate::sampling::geodesic_random_walk::{
    geometric_time_grid, reverse_walk_chunk, LangevinCorrector, ReverseWalkStats,
};
use crate::schedule::GeometricSchedule;
use crate::score::ScoreField;
use rayon::prelude::*;

/// How [`generate`] transports prior draws at `T` to the model's `p_{t0}` (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum GenerationMethod {
    /// Reverse probability-flow ODE with the adaptive DP5 solver (deterministic given the
    /// prior draws; accuracy set by [`GenerationOptions::ode`]). The default.
    #[default]
    ProbabilityFlow,
    /// Reverse geodesic random walk (predictor) with an optional Langevin corrector.
    GeodesicRandomWalk {
        /// Predictor steps `N ≥ 1` on the geometric grid from `T` to `t0`.
        steps: usize,
        /// Langevin corrector steps after each predictor step (`0` = none).
        corrector_steps: usize,
        /// Signal-to-noise ratio of the corrector step size (finite, `> 0` if
        /// `corrector_steps > 0`; `0.16` in Song et al. 2021).
        snr: f64,
    },
}

/// Options of [`generate`]. Defaults are documented per field.
#[derive(Clone, Debug, PartialEq)]
pub struct GenerationOptions {
    /// ODE options; default [`OdeOptions::with_tolerances`]`(1e-5, 1e-5)` with its RMS error
    /// norm over the chunk (the default of `rdiff sample`).
    pub ode: OdeOptions,
    /// Seed of the prior draws; default `0`.
    pub seed: u64,
    /// Samples per ODE (and per rayon task); default `64`. Part of the result's identity: the
    /// same seed with another chunk size gives other samples.
    pub chunk_size: usize,
    /// Sampler; default [`GenerationMethod::ProbabilityFlow`].
    pub method: GenerationMethod,
}

impl Default for GenerationOptions {
    fn default() -> Self {
        GenerationOptions {
            ode: OdeOptions::with_tolerances(1e-5, 1e-5),
            seed: 0,
            chunk_size: 64,
            method: GenerationMethod::ProbabilityFlow,
        }
    }
}

/// Result of [`generate`].
#[derive(Clone, Debug)]
pub struct GeneratedSamples {
    /// The samples `x_{t0}`, row-major (`n` rows of `manifold.ambient_dim()` reals), on the
    /// manifold.
    pub samples: Vec<f64>,
    /// ODE work summed over all chunks (in chunk order); zero for the random walk.
    pub stats: OdeStats,
    /// Random-walk work summed over all chunks; zero for the probability-flow ODE.
    pub walk_stats: ReverseWalkStats,
    /// End (data-side) kernel time `t0`.
    pub t0: f64,
    /// Start (prior-side) kernel time `T`.
    pub t1: f64,
}

/// The reverse PF-ODE of one chunk: `ẋ = −½ s(x, t)`, no extra components.
struct ReverseFlow<'a> {
    score: &'a dyn ScoreField,
    count: usize,
    t0: f64,
    t1: f64,
}

impl ManifoldOdeSystem for ReverseFlow<'_> {
    fn manifold(&self) -> &dyn Manifold {
        self.score.manifold()
    }
    fn num_points(&self) -> usize {
        self.count
    }
    fn num_extra(&self) -> usize {
        0
    }
    fn rhs(
        &self,
        t: f64,
        points: &[f64],
        _extra: &[f64],
        velocity: &mut [f64],
        _rate: &mut [f64],
    ) -> Result<()> {
        // Stage times may leave [t0, t1] by rounding.
        let t = t.clamp(self.t0, self.t1);
        self.score.score_batch(points, &[t], velocity)?;
        velocity.iter_mut().for_each(|v| *v *= -0.5);
        Ok(())
    }
}

/// `n` samples of the model's `p_{t0}`: uniform prior draws at `t1 = T` transported to `t0` by
/// the reverse PF-ODE or the reverse geodesic random walk, as chosen by
/// [`GenerationOptions::method`] (module docs). `n = 0` gives an empty result.
///
/// # Errors
/// - [`Error::InvalidArgument`] for `t0 ≤ 0`, non-finite times, `t1 ≤ t0`, `chunk_size == 0`,
///   bad ODE options (probability flow), or `steps == 0` / a bad `snr` (random walk);
/// - [`Error::NonFinite`] if the score field returns a non-finite value (random walk);
/// - [`Error::Numerical`] if the ODE fails (e.g. step-size underflow), and any error of the
///   score field.
pub fn generate(
    score: &dyn ScoreField,
    n: usize,
    t0: f64,
    t1: f64,
    options: &GenerationOptions,
) -> Result<GeneratedSamples> {
    generate_with_progress(score, n, t0, t1, options, &|_| {})
}

/// [`generate`] with `t0 = σ_min²` and `T = σ_max²` of `schedule`.
///
/// # Errors
/// As [`generate`].
pub fn generate_with_schedule(
    score: &dyn ScoreField,
    n: usize,
    schedule: &GeometricSchedule,
    options: &GenerationOptions,
) -> Result<GeneratedSamples> {
    generate(score, n, schedule.t_min(), schedule.t_max(), options)
}

/// [`generate`], calling `on_chunk(rows)` after each finished chunk (from the worker thread
/// that solved it, in completion order; for progress bars).
///
/// # Errors
/// As [`generate`].
pub fn generate_with_progress(
    score: &dyn ScoreField,
    n: usize,
    t0: f64,
    t1: f64,
    options: &GenerationOptions,
    on_chunk: &(dyn Fn(usize) + Sync),
) -> Result<GeneratedSamples> {
    check_time(t0)?;
    if !(t1.is_finite() && t1 > t0) {
        return Err(Error::invalid(
            "t1",
            t1,
            format!("a finite start time T > t0 = {}", Num(t0)),
        ));
    }
    let chunk = options.chunk_size;
    if chunk == 0 {
        return Err(Error::invalid("chunk_size", 0, "at least 1 row"));
    }
    let dim = score.manifold().ambient_dim();
    // The result holds n rows; a chunk's ODE state holds `chunk` rows (and its stages).
    buffer_len("generated samples (n × ambient_dim)", n, dim)?;
    buffer_len(
        "generation chunk (chunk_size × ambient_dim)",
        chunk.min(n.max(1)),
        dim,
    )?;
    if let GenerationMethod::GeodesicRandomWalk {
        steps,
        corrector_steps,
        snr,
    } = options.method
    {
        let corrector = LangevinCorrector {
            steps: corrector_steps,
            snr,
        };
        return generate_by_walk(score, n, t0, t1, steps, &corrector, options, on_chunk);
    }
    options.ode.validate()?;
    let m = score.manifold();
    let chunks = n.div_ceil(chunk);
    let parts: Vec<(Vec<f64>, OdeStats)> = streams(options.seed, chunks)
        .into_par_iter()
        .enumerate()
        .map(|(k, mut rng)| {
            let count = chunk.min(n - k * chunk);
            let start = prior_draws(m, count, &mut rng);
            let system = ReverseFlow {
                score,
                count,
                t0,
                t1,
            };
            let solution = solve_manifold(&system, t1, t0, &start, &[], &[], &options.ode)?;
            on_chunk(count);
            Ok((solution.points, solution.stats))
        })
        .collect::<Result<_>>()?;
    let mut samples = Vec::with_capacity(n * dim);
    let mut stats = OdeStats::default();
    for (points, chunk_stats) in &parts {
        samples.extend_from_slice(points);
        stats.add(chunk_stats);
    }
    Ok(GeneratedSamples {
        samples,
        stats,
        walk_stats: ReverseWalkStats::default(),
        t0,
        t1,
    })
}

/// `count` uniform prior draws from `rng`, row-major.
fn prior_draws(m: &dyn Manifold, count: usize, rng: &mut Rng) -> Vec<f64> {
    let dim = m.ambient_dim();
    let mut start = vec![0.0; count * dim];
    for x in start.chunks_exact_mut(dim) {
        m.sample_uniform(rng, x);
    }
    start
}

/// The [`GenerationMethod::GeodesicRandomWalk`] branch of [`generate_with_progress`]
/// (times and chunk size already validated).
#[allow(clippy::too_many_arguments)]
fn generate_by_walk(
    score: &dyn ScoreField,
    n: usize,
    t0: f64,
    t1: f64,
    steps: usize,
    corrector: &LangevinCorrector,
    options: &GenerationOptions,
    on_chunk: &(dyn Fn(usize) + Sync),
) -> Result<GeneratedSamples> {
    check_at_most(
        "walk steps",
        steps,
        MAX_WALK_STEPS,
        "time: one score evaluation of every chunk per step, and a time grid of steps + 1 reals",
    )?;
    corrector.validate()?;
    let grid = geometric_time_grid(t0, t1, steps)?;
    let m = score.manifold();
    let chunk = options.chunk_size;
    let chunks = n.div_ceil(chunk);
    let batch_score = |x: &[f64], t: f64, out: &mut [f64]| score.score_batch(x, &[t], out);
    let parts: Vec<(Vec<f64>, ReverseWalkStats)> = streams(options.seed, chunks)
        .into_par_iter()
        .enumerate()
        .map(|(k, mut rng)| {
            let count = chunk.min(n - k * chunk);
            let mut points = prior_draws(m, count, &mut rng);
            let stats =
                reverse_walk_chunk(m, &mut points, &grid, &batch_score, corrector, &mut rng)?;
            on_chunk(count);
            Ok((points, stats))
        })
        .collect::<Result<_>>()?;
    let mut samples = Vec::with_capacity(n * m.ambient_dim());
    let mut walk_stats = ReverseWalkStats::default();
    for (points, chunk_stats) in &parts {
        samples.extend_from_slice(points);
        walk_stats.add(chunk_stats);
    }
    Ok(GeneratedSamples {
        samples,
        stats: OdeStats::default(),
        walk_stats,
        t0,
        t1,
    })
}
