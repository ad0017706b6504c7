//! Geodesic random walks (GRW): the forward Brownian motion and the reverse (score-driven)
//! process of RSGM (De Bortoli et al. 2022, Algorithm 1), on any [`Manifold`].
//!
//! # Forward walk
//! With the crate's Brownian time (`∂_t p = ½ Δ p`, [`crate::conventions`]), Brownian motion run for time
//! `t` is approximated by `N` steps of size `γ = t/N`:
//!
//! `X_{k+1} = exp_{X_k}(√γ Z_k)`, `Z_k ~ N(0, I)` in `T_{X_k}M`
//! ([`Manifold::sample_tangent_normal`], identity covariance in the binding metric).
//!
//! The one-step generator is `(E f(exp_x(√γ Z)) − f(x))/γ = ½ Δ f(x) + O(γ)` (Taylor expansion of
//! `f ∘ exp_x` along geodesics: the odd moments of `Z` vanish and `E[Z Zᵀ] = I` gives the
//! trace of the Hessian, `Δ f`). Hence the walk is a **weak first-order** scheme:
//! `|E f(X_N) − E f(B_t)| = O(t²/N)` for smooth `f`. The rate is measured in
//! `tests/geodesic_random_walk.rs`: on `S²` (`f = cos θ`) and `SO(3)` (`f = tr g`) the GRW law
//! is known in closed form (the one-step operator is diagonal on spherical harmonics /
//! characters) and the error is `≈ e^{−t} t²/(6N)` resp. `≈ 3 e^{−t} t²/(12N)`. Measured at
//! `t = 2`, `N ∈ {2, …, 32}`, 2^19 walks per `N`: the sample means agree with the exact GRW law at
//! every `N` (within 4.5 standard errors: this pins the step variance, which the reference
//! implementation gets wrong on spheres), and the least-squares slope of `ln|error|` against
//! `ln N` is `−1.23 ± 0.03` on `S²` (exact-law slope over this range `−1.17`, steepened by the
//! `O(γ²)` terms at `γ = 1`) and `−1.05 ± 0.04` on `SO(3)` (exact `−1.04`). On the flat torus the
//! walk is exact for every `N` (sum of Gaussian increments). Cost: `N` exponential maps and `N`
//! tangent normal draws per sample.
//!
//! Points are not re-projected between steps: each step is one exponential map of the manifold,
//! so the distance from the manifold grows by rounding only (`O(k ε)` after `k` steps; a
//! quickcheck property asserts `< 1e-12` on `S²` and `SO(3)`).
//!
//! # Reverse walk
//! The time reversal of `dX = dB` (Brownian time) from the law `p_T` is
//! `dY = ∇ log p_{T−τ}(Y) dτ + dB_τ` (Haussmann–Pardoux; on manifolds RSGM Theorem 1: the drift
//! is `g² ∇ log p` with `g = 1` here, not `½ g²` as in the probability-flow ODE). On a decreasing
//! kernel-time grid `T = t_0 > t_1 > … > t_N = t_min`, with `γ_k = t_k − t_{k+1}`, the geodesic
//! Euler–Maruyama step is
//!
//! `Y_{k+1} = exp_{Y_k}(γ_k s(Y_k, t_k) + √γ_k Z_k)` (predictor),
//!
//! optionally followed by `M` Langevin corrector steps targeting `p_{t_{k+1}}` (Song et al.
//! 2021, Algorithm 5, on the manifold):
//!
//! `y ← exp_y(ε s(y, t_{k+1}) + √(2ε) Z)`, `ε = min(2 r² d / ⟨|s|²⟩, t_{k+1})`,
//!
//! with `r` the signal-to-noise ratio ([`LangevinCorrector::snr`]), `d` the manifold dimension
//! (`E|Z|² = d`), and `⟨|s|²⟩` the mean squared score norm over the chunk: one step size per
//! chunk, as Song et al. use one per batch (a per-point step size would change the stationary
//! law of the Langevin dynamics to `∝ p/ε`). The cap `ε ≤ t_{k+1}` keeps the Langevin move
//! `√(2ε)` within the noise scale of `p_{t_{k+1}}` where the score is nearly zero (large `t`).
//! The Langevin dynamics `dY = ∇ log p dτ + √2 dB` leaves `p` (density w.r.t. the Riemannian
//! volume) invariant; its geodesic Euler discretisation has an `O(ε)` bias.
//!
//! The predictor is weak first order in the step: with a geometric grid ([`geometric_time_grid`],
//! the RSGM/VE schedule uniform in diffusion time) and scores of scale `1/t`, the error is
//! `O(max_k γ_k/t_k) = O(ln(T/t_min)/N)`. Cost per predictor step: one batched score
//! evaluation, one exponential map and one tangent normal per point; each corrector step adds
//! the same again.
//!
//! # Batching and determinism
//! [`GeodesicRandomWalkSampler`] implements [`HeatKernelSampler`], whose `sample_batch` cuts the
//! rows into fixed chunks with one random stream each. [`reverse_walk_chunk`] walks one chunk
//! with one generator; `crate::generation` runs chunks in parallel with stream `k` for chunk `k`.
//! Results depend on the seed and the chunk size only, never on the thread count.

use super::HeatKernelSampler;
use crate::error::{check_len, check_time, Error, Num, Result};
use crate::limits::{check_at_most, MAX_CORRECTOR_STEPS, MAX_WALK_STEPS};
use crate::manifold::{Manifold, MEMBERSHIP_TOLERANCE};
use crate::random::Rng;

/// Writes `exp_x(a·drift + b·Z)` into `out`, `Z` a standard tangent normal at `x`
/// (`noise` is scratch of the ambient length).
///
/// # Errors
/// [`Error::OutOfRange`] if the step vector or its squared length overflows (`a·drift` beyond
/// `f64::MAX`, e.g. a drift of size 2 over a step `γ = 1e308`, or entries beyond `≈ 1e154`):
/// no point of the walk is defined then.
fn walk_step(
    manifold: &dyn Manifold,
    x: &[f64],
    drift: Option<(&[f64], f64)>,
    noise_scale: f64,
    rng: &mut Rng,
    noise: &mut [f64],
    out: &mut [f64],
) -> Result<()> {
    manifold.sample_tangent_normal(x, rng, noise);
    match drift {
        Some((s, a)) => noise
            .iter_mut()
            .zip(s)
            .for_each(|(z, s)| *z = a * s + noise_scale * *z),
        None => noise.iter_mut().for_each(|z| *z *= noise_scale),
    }
    // A step whose squared length overflows (entries beyond ≈ 1e154) would overflow inside
    // the exponential's matrix products; its endpoint is rounding noise anyway.
    if noise.iter().any(|v| !v.is_finite()) || !manifold.norm_squared(x, noise).is_finite() {
        return Err(Error::OutOfRange {
            what: "a geodesic-random-walk step".into(),
            detail: format!(
                "(step size γ = {}, noise scale {}): the tangent step γ·s + √γ·Z overflows \
                 (use more steps or a shorter time span)",
                Num(drift.map_or(0.0, |(_, a)| a)),
                Num(noise_scale)
            ),
        });
    }
    manifold.exp(x, noise, out);
    Ok(())
}

/// One forward geodesic random walk of `steps` steps of size `γ = t/steps` from `x0`:
/// an approximate draw of the heat kernel `p_t(x0, ·)` (module docs: weak order 1).
///
/// # Errors
/// [`Error::InvalidArgument`] for `t ≤ 0`/NaN or `steps == 0`; [`Error::DimensionMismatch`],
/// [`Error::NonFinite`] or [`Error::NotOnManifold`] for a bad `x0` or output length;
/// [`Error::OutOfRange`] if the squared length of a step `√(t/steps)·Z` overflows
/// (`t/steps ≳ 1e307`).
pub fn forward_walk(
    manifold: &dyn Manifold,
    x0: &[f64],
    t: f64,
    steps: usize,
    rng: &mut Rng,
    out: &mut [f64],
) -> Result<()> {
    check_time(t)?;
    check_steps(steps)?;
    manifold.check_point(x0, MEMBERSHIP_TOLERANCE)?;
    let n = manifold.ambient_dim();
    check_len("walk output", out.len(), n)?;
    let scale = (t / steps as f64).sqrt();
    let mut current = x0.to_vec();
    let mut noise = vec![0.0; n];
    for _ in 0..steps {
        walk_step(manifold, &current, None, scale, rng, &mut noise, &mut *out)?;
        current.copy_from_slice(out);
    }
    Ok(())
}

/// `1 ≤ steps ≤` [`MAX_WALK_STEPS`] (the resource policy, [`crate::limits`]).
fn check_steps(steps: usize) -> Result<()> {
    if steps == 0 {
        return Err(Error::invalid("steps", 0, "at least 1 walk step"));
    }
    check_at_most(
        "walk steps",
        steps,
        MAX_WALK_STEPS,
        "time: every step evaluates the whole batch, and the time grid holds steps + 1 reals",
    )
}

/// The forward geodesic random walk as an (approximate) [`HeatKernelSampler`]:
/// `sample(x0, t, …)` runs [`forward_walk`] with a fixed number of steps.
///
/// Approximate with weak error `O(t²/steps)` (module docs), except on flat tori where it is exact.
/// `sample_batch` is parallel over fixed chunks with one random stream each.
#[derive(Clone, Debug)]
pub struct GeodesicRandomWalkSampler<M: Manifold> {
    manifold: M,
    steps: usize,
}

impl<M: Manifold> GeodesicRandomWalkSampler<M> {
    /// A walk of `steps` steps on `manifold`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `steps == 0`.
    pub fn new(manifold: M, steps: usize) -> Result<Self> {
        check_steps(steps)?;
        Ok(GeodesicRandomWalkSampler { manifold, steps })
    }

    /// Number of steps per draw.
    pub fn steps(&self) -> usize {
        self.steps
    }
}

impl<M: Manifold> HeatKernelSampler for GeodesicRandomWalkSampler<M> {
    fn manifold(&self) -> &dyn Manifold {
        &self.manifold
    }

    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        forward_walk(&self.manifold, x0, t, self.steps, rng, out)
    }
}

/// The geometric kernel-time grid `t_k = T (t_min/T)^{k/N}`, `k = 0, …, N` (decreasing, exact
/// endpoints): uniform steps in diffusion time `s` of the geometric schedule
/// `σ(s) = σ_min^{1−s} σ_max^s` (RSGM §5), since `t = σ²` is then geometric in `s`.
///
/// # Errors
/// [`Error::InvalidArgument`] unless `0 < t_min < T < ∞` and `steps ≥ 1`.
pub fn geometric_time_grid(t_min: f64, t_max: f64, steps: usize) -> Result<Vec<f64>> {
    check_time(t_min)?;
    if !(t_max.is_finite() && t_max > t_min) {
        return Err(Error::invalid(
            "t_max",
            t_max,
            format!("a finite time > t_min = {}", Num(t_min)),
        ));
    }
    check_steps(steps)?;
    let ratio = (t_min / t_max).ln();
    let mut grid: Vec<f64> = (0..=steps)
        .map(|k| t_max * (ratio * k as f64 / steps as f64).exp())
        .collect();
    grid[0] = t_max;
    grid[steps] = t_min;
    Ok(grid)
}

/// Langevin corrector of the reverse walk (module docs): `steps` moves
/// `y ← exp_y(ε s + √(2ε) Z)` per predictor step, `ε = min(2 snr² d/⟨|s|²⟩, t)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LangevinCorrector {
    /// Corrector steps after each predictor step (`0` = predictor only).
    pub steps: usize,
    /// Signal-to-noise ratio `r` of the step-size rule; Song et al. 2021 use `0.16` for
    /// VE models on images. Must be finite and `> 0` when `steps > 0`.
    pub snr: f64,
}

impl Default for LangevinCorrector {
    /// No correction (`steps = 0`), `snr = 0.16` (Song et al. 2021).
    fn default() -> Self {
        LangevinCorrector {
            steps: 0,
            snr: 0.16,
        }
    }
}

impl LangevinCorrector {
    /// Checks the options.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `steps > 0` and `snr` is not finite and `> 0`;
    /// [`Error::LimitExceeded`] for more than [`MAX_CORRECTOR_STEPS`] steps.
    pub fn validate(&self) -> Result<()> {
        if self.steps > 0 && !(self.snr.is_finite() && self.snr > 0.0) {
            return Err(Error::invalid("snr", self.snr, "a finite ratio > 0"));
        }
        check_at_most(
            "corrector steps",
            self.steps,
            MAX_CORRECTOR_STEPS,
            "time: each corrector step evaluates the whole batch once more per walk step",
        )
    }
}

/// Work done by [`reverse_walk_chunk`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReverseWalkStats {
    /// Predictor (reverse GRW) steps.
    pub predictor_steps: usize,
    /// Langevin corrector steps.
    pub corrector_steps: usize,
    /// Batched score evaluations (one per predictor and per corrector step).
    pub score_evaluations: usize,
}

impl ReverseWalkStats {
    /// Component-wise sum.
    pub fn add(&mut self, other: &ReverseWalkStats) {
        self.predictor_steps += other.predictor_steps;
        self.corrector_steps += other.corrector_steps;
        self.score_evaluations += other.score_evaluations;
    }
}

/// A batched score: `score(points, t, out)` writes `s(x_i, t)` for every row of `points`.
pub type BatchScore<'a> = dyn Fn(&[f64], f64, &mut [f64]) -> Result<()> + 'a;

/// Runs the reverse geodesic random walk (with optional Langevin corrector) on one chunk of
/// points, in place: `points` holds rows at kernel time `times[0]` on entry and the rows at
/// `times.last()` on exit (module docs). `score` is called with the whole chunk.
///
/// # Errors
/// [`Error::InvalidArgument`] if `times` has fewer than two entries, is not strictly
/// decreasing and positive, or the corrector options are invalid;
/// [`Error::DimensionMismatch`] if `points` is not a whole number of rows;
/// [`Error::NonFinite`] if the score returns a non-finite value; errors of `score`.
pub fn reverse_walk_chunk(
    manifold: &dyn Manifold,
    points: &mut [f64],
    times: &[f64],
    score: &BatchScore<'_>,
    corrector: &LangevinCorrector,
    rng: &mut Rng,
) -> Result<ReverseWalkStats> {
    check_grid(times)?;
    corrector.validate()?;
    let n = manifold.ambient_dim();
    if points.len() % n != 0 {
        return Err(Error::DimensionMismatch {
            what: "chunk of points (length must be a multiple of the ambient dimension)",
            expected: n * (points.len() / n + 1),
            found: points.len(),
        });
    }
    let mut stats = ReverseWalkStats::default();
    if points.is_empty() {
        return Ok(stats);
    }
    let mut scores = vec![0.0; points.len()];
    let mut noise = vec![0.0; n];
    let mut next = vec![0.0; n];
    let d = manifold.dim() as f64;
    for pair in times.windows(2) {
        let (t, t_next) = (pair[0], pair[1]);
        let gamma = t - t_next;
        evaluate(score, points, t, &mut scores)?;
        stats.score_evaluations += 1;
        move_all(
            manifold,
            points,
            &scores,
            gamma,
            gamma.sqrt(),
            rng,
            &mut noise,
            &mut next,
        )?;
        stats.predictor_steps += 1;
        for _ in 0..corrector.steps {
            evaluate(score, points, t_next, &mut scores)?;
            stats.score_evaluations += 1;
            stats.corrector_steps += 1;
            let rows = (points.len() / n) as f64;
            let mean_sq = scores
                .chunks_exact(n)
                .zip(points.chunks_exact(n))
                .map(|(s, x)| manifold.norm_squared(x, s))
                .sum::<f64>()
                / rows;
            // All scores zero: the target is locally flat, nothing to correct (a zero-size
            // step). Scores are finite (checked by `evaluate`), so `mean_sq` is not NaN.
            if mean_sq <= 0.0 {
                continue;
            }
            let eps = (2.0 * corrector.snr * corrector.snr * d / mean_sq).min(t_next);
            move_all(
                manifold,
                points,
                &scores,
                eps,
                (2.0 * eps).sqrt(),
                rng,
                &mut noise,
                &mut next,
            )?;
        }
    }
    Ok(stats)
}

/// `score(points, t, out)` with a finiteness check of the output.
fn evaluate(score: &BatchScore<'_>, points: &[f64], t: f64, out: &mut [f64]) -> Result<()> {
    score(points, t, out)?;
    if let Some(i) = out.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: format!("score at t = {} (entry {i} = {})", Num(t), Num(out[i])),
        });
    }
    Ok(())
}

/// `x_i ← exp_{x_i}(a s_i + b Z_i)` for every row.
#[allow(clippy::too_many_arguments)]
fn move_all(
    manifold: &dyn Manifold,
    points: &mut [f64],
    scores: &[f64],
    a: f64,
    b: f64,
    rng: &mut Rng,
    noise: &mut [f64],
    next: &mut [f64],
) -> Result<()> {
    let n = manifold.ambient_dim();
    for (x, s) in points.chunks_exact_mut(n).zip(scores.chunks_exact(n)) {
        walk_step(manifold, x, Some((s, a)), b, rng, noise, next)?;
        x.copy_from_slice(next);
    }
    Ok(())
}

fn check_grid(times: &[f64]) -> Result<()> {
    if times.len() < 2 {
        return Err(Error::invalid(
            "times",
            format!("{times:?}"),
            "a grid of at least two kernel times",
        ));
    }
    for pair in times.windows(2) {
        check_time(pair[1])?;
        if !(pair[0].is_finite() && pair[0] > pair[1]) {
            return Err(Error::invalid(
                "times",
                format!("{} followed by {}", Num(pair[0]), Num(pair[1])),
                "a strictly decreasing grid of finite times > 0",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::{Sphere, Torus};
    use crate::random::rng_from_seed;

    #[test]
    fn grid_is_geometric_with_exact_endpoints() {
        let grid = geometric_time_grid(0.01, 4.0, 8).unwrap();
        assert_eq!(grid.len(), 9);
        assert_eq!((grid[0], grid[8]), (4.0, 0.01));
        for w in grid.windows(3) {
            assert!(w[0] > w[1]);
            // Constant ratio (400)^{1/8}.
            assert!((w[1] * w[1] - w[0] * w[2]).abs() < 1e-13 * w[1] * w[1]);
        }
        assert!(geometric_time_grid(0.0, 1.0, 4).is_err());
        assert!(geometric_time_grid(1.0, 1.0, 4).is_err());
        assert!(geometric_time_grid(0.1, f64::NAN, 4).is_err());
        assert!(geometric_time_grid(0.1, 1.0, 0).is_err());
    }

    /// With a zero score, one predictor step on the grid `[0.2, 0.1]` is a forward step: on the
    /// flat circle an exact Gaussian increment of variance `γ = 0.1`.
    #[test]
    fn zero_score_reverse_step_is_a_forward_step() {
        let torus = Torus::new(1).unwrap();
        let zero = |_: &[f64], _: f64, out: &mut [f64]| -> Result<()> {
            out.iter_mut().for_each(|o| *o = 0.0);
            Ok(())
        };
        let rows = 20_000;
        let mut points = vec![std::f64::consts::PI; rows];
        let mut rng = rng_from_seed(3);
        let stats = reverse_walk_chunk(
            &torus,
            &mut points,
            &[0.2, 0.1],
            &zero,
            &LangevinCorrector::default(),
            &mut rng,
        )
        .unwrap();
        assert_eq!(stats.predictor_steps, 1);
        assert_eq!(stats.score_evaluations, 1);
        // Increments are N(0, 0.1); from π, wrapping needs |increment| > π ≈ 9.9 sd: never seen.
        let var = points
            .iter()
            .map(|x| (x - std::f64::consts::PI).powi(2))
            .sum::<f64>()
            / rows as f64;
        // sd of the variance estimate: 0.1·√(2/rows) = 1e-3; 5 sd.
        assert!((var - 0.1).abs() < 5e-3, "variance {var}");
    }

    #[test]
    fn forward_walk_stays_on_the_sphere_and_rejects_bad_input() {
        let sphere = Sphere::new(2).unwrap();
        let mut rng = rng_from_seed(1);
        let mut out = vec![0.0; 3];
        forward_walk(&sphere, &[0.0, 0.0, 1.0], 3.0, 100, &mut rng, &mut out).unwrap();
        let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12);
        assert!(forward_walk(&sphere, &[0.0, 0.0, 1.0], 0.0, 4, &mut rng, &mut out).is_err());
        assert!(forward_walk(&sphere, &[0.0, 0.0, 1.0], 1.0, 0, &mut rng, &mut out).is_err());
        assert!(forward_walk(&sphere, &[0.0, 0.0, 2.0], 1.0, 4, &mut rng, &mut out).is_err());
        assert!(forward_walk(&sphere, &[0.0, 0.0, 1.0], 1.0, 4, &mut rng, &mut out[..2]).is_err());
        assert!(GeodesicRandomWalkSampler::new(sphere, 0).is_err());
    }

    #[test]
    fn reverse_walk_rejects_bad_grids_and_scores() {
        let sphere = Sphere::new(2).unwrap();
        let mut rng = rng_from_seed(1);
        let mut points = vec![0.0, 0.0, 1.0];
        let nan = |_: &[f64], _: f64, out: &mut [f64]| -> Result<()> {
            out.iter_mut().for_each(|o| *o = f64::NAN);
            Ok(())
        };
        let c = LangevinCorrector::default();
        let run = |times: &[f64], c: &LangevinCorrector, p: &mut [f64], rng: &mut Rng| {
            reverse_walk_chunk(&sphere, p, times, &nan, c, rng)
        };
        assert!(matches!(
            run(&[1.0, 0.5], &c, &mut points, &mut rng),
            Err(Error::NonFinite { .. })
        ));
        assert!(run(&[1.0], &c, &mut points, &mut rng).is_err());
        assert!(run(&[0.5, 1.0], &c, &mut points, &mut rng).is_err());
        assert!(run(&[1.0, 0.0], &c, &mut points, &mut rng).is_err());
        assert!(run(&[f64::NAN, 0.5], &c, &mut points, &mut rng).is_err());
        let bad = LangevinCorrector {
            steps: 1,
            snr: -1.0,
        };
        assert!(run(&[1.0, 0.5], &bad, &mut points, &mut rng).is_err());
        assert!(run(&[1.0, 0.5], &c, &mut points[..2], &mut rng).is_err());
    }
}
