//! The probability-flow ODE of a radial (maximal-torus or geodesic-angle) heat-kernel law,
//! integrated in scaled coordinates.
//!
//! # The ODE
//! Let `y ∈ R^r` be the radial coordinates of a kernel sample (torus coordinates `H` of
//! `x₀⁻¹x` on a group, the geodesic angle `θ` on a sphere) with density `q_t(y) ∝ p_t(y) J(y)`,
//! `J` the Jacobian of the radial chart (`|Δ(H)|²` resp. `sin^{d−1}θ`). The radial process is a
//! diffusion `dy = ½∇log J dt + dW` (generator `½Δ_y + ½∇log J·∇`), so the Fokker–Planck
//! equation `∂_t q = −∇·(½∇log J q) + ½Δq` is the continuity equation of the velocity
//! `v = ½∇log J − ½∇log q_t = −½ ∇_y log p_t(y)`: the Jacobian drops out, and the velocity is
//! the radial score of the kernel itself (see [`super::group`] and [`super::sphere_flow`] for
//! the two cases).
//!
//! # Scaled coordinates
//! In the flat regime `p_t ≈ N(0, t)`, so `v ≈ y/2t` and `y ∝ √t`; at equilibrium (`t` beyond
//! the relaxation time `τ`) `v → 0` and `y` is constant. We integrate `u = y/σ(t)` with
//! `σ(t)² = tτ/(t + τ)` in `s = ln t`:
//!
//! `du/ds = −(t/2σ) ∇_y log p_t(σu) − ½ (τ/(t + τ)) u`,
//!
//! whose right side is `O(t/τ)` plus curvature corrections `O(t)` as `t → 0` (it vanishes
//! identically for the Gaussian up to the `t/τ` term) and `O(τ/t)` as `t → ∞`. So the start
//! time `t₀` can be tiny at no cost (the adaptive DP5 takes large steps where the right side is
//! below the tolerance), the initial `u₀ = z √((t₀+τ)/τ)` is essentially the `t₀`-independent
//! flat variable `z` (eigenvalues of a standard Gaussian Lie-algebra element, resp. a chi
//! variable), and the equilibrated tail costs a few steps.
//!
//! # Error sources
//! 1. **Start bias.** The flow map `Φ_{t₀→t}` is one measurable bijection, so the total
//!    variation between the sampled law and the kernel law at `t` equals the one at `t₀`
//!    between the flat start and `p_{t₀}`. Each sampler bounds that by `c·t₀` (its docs) and
//!    picks `t₀ = min(t, b/c)` for a requested bias `b` ([`DEFAULT_START_BIAS`] = `1e-6`).
//! 2. **ODE tolerance.** DP5 with `rtol` = [`DEFAULT_FLOW_RTOL`], `atol` = [`DEFAULT_FLOW_ATOL`]
//!    on `u` (`|u| = O(1)`): radial coordinates accurate to `~1e-6·σ(t)` (global error a few
//!    times the local tolerance; measured in the unit tests), i.e. a CDF shift `≲ 1e-5`.
//! 3. **Kernel accuracy.** The `Auto` kernels' scores are accurate to `≤ 1e-9` relative
//!    (heat-kernel module docs); through the flow this moves positions by `≲ 1e-9·t·|∇log p|`.
//!
//! All three are several orders of magnitude below the resolution of any feasible
//! distribution test (`D_crit ≈ 1e-2` at `n = 2·10⁴`).

use crate::error::{Error, Result};
use crate::ode::{solve, FnSystem, OdeOptions, OdeStats};

/// Default requested total-variation bias of the flat start (see the module docs).
pub const DEFAULT_START_BIAS: f64 = 1e-6;
/// Default relative tolerance of the DP5 integration of the scaled coordinates.
pub const DEFAULT_FLOW_RTOL: f64 = 1e-6;
/// Default absolute tolerance of the DP5 integration of the scaled coordinates.
pub const DEFAULT_FLOW_ATOL: f64 = 1e-8;
/// Largest step in `s = ln t` (keeps the DP5 error estimate in its asymptotic regime when the
/// right side is negligible over many decades of `t`).
pub const MAX_LOG_TIME_STEP: f64 = 4.0;

/// Most DP5 steps (accepted and rejected) of one draw of the flow samplers: a draw takes
/// 10–20 accepted steps (relaxation of the scaled variable, module docs), plus `ln(t/t₀)/4`
/// at most for the `max_step` of 4 in `ln t` (≤ 400 from `t₀ = 1e-324` to `t = 1e308`); the
/// cap turns a pathological draw into [`Error::Numerical`] after at most `6·FLOW_MAX_STEPS`
/// kernel evaluations instead of the solver's general `10⁵` steps.
pub const FLOW_MAX_STEPS: usize = 2000;

/// The default ODE options of the flow samplers: `rtol = 1e-6`, `atol = 1e-8`,
/// `max_step = 4` in `ln t`, maximum error norm (every coordinate meets the tolerance), at
/// most [`FLOW_MAX_STEPS`] steps.
pub fn default_flow_options() -> OdeOptions {
    OdeOptions {
        max_step: MAX_LOG_TIME_STEP,
        max_steps: FLOW_MAX_STEPS,
        norm: crate::ode::ErrorNorm::Max,
        ..OdeOptions::with_tolerances(DEFAULT_FLOW_RTOL, DEFAULT_FLOW_ATOL)
    }
}

/// What every flow sampler configures the same way: the DP5 options, the requested start
/// bias `b`, and the manifold's bias coefficient `c` (flat-start bias `≤ c·t₀`).
#[derive(Clone, Debug)]
pub(crate) struct FlowSettings {
    pub(crate) options: OdeOptions,
    start_bias: f64,
    bias_coefficient: f64,
}

impl FlowSettings {
    /// [`default_flow_options`] and [`DEFAULT_START_BIAS`] for a manifold with coefficient `c`.
    pub(crate) fn new(bias_coefficient: f64) -> Self {
        FlowSettings {
            options: default_flow_options(),
            start_bias: DEFAULT_START_BIAS,
            bias_coefficient,
        }
    }

    /// Replaces the DP5 options.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] as [`OdeOptions::validate`].
    pub(crate) fn set_ode_options(&mut self, options: OdeOptions) -> Result<()> {
        options.validate()?;
        self.options = options;
        Ok(())
    }

    /// Replaces the requested start bias.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `0 < b < 1`.
    pub(crate) fn set_start_bias(&mut self, bias: f64) -> Result<()> {
        if !(bias > 0.0 && bias < 1.0) {
            return Err(Error::invalid("start bias", bias, "a value in (0, 1)"));
        }
        self.start_bias = bias;
        Ok(())
    }

    /// Start time `t₀ = min(t, b / c)` for a flat-start bias `≤ c·t₀ ≤ b`. A zero coefficient
    /// (flat law exact, e.g. abelian groups) gives `t₀ = t`.
    pub(crate) fn start_time(&self, t: f64) -> f64 {
        if self.bias_coefficient <= 0.0 {
            t
        } else {
            t.min(self.start_bias / self.bias_coefficient)
        }
    }
}

/// Integrates the scaled probability flow from the flat start `y(t₀) = √t₀·z` to `t` with
/// relaxation time `tau` and returns the radial coordinates `y(t)` (`√t·z` if `t0 >= t`).
///
/// `gradient(y, τ, g)` writes `∇_y log p_τ(y)` into `g`.
pub(crate) fn integrate_flow<G>(
    z: &[f64],
    t0: f64,
    t: f64,
    tau: f64,
    options: &OdeOptions,
    gradient: G,
) -> Result<(Vec<f64>, OdeStats)>
where
    G: Fn(&[f64], f64, &mut [f64]) -> Result<()>,
{
    if t0 >= t {
        let scale = t.sqrt();
        return Ok((z.iter().map(|u| u * scale).collect(), OdeStats::default()));
    }
    let sigma = |time: f64| (time * tau / (time + tau)).sqrt();
    let r = z.len();
    let start = t0.sqrt() / sigma(t0);
    let u0: Vec<f64> = z.iter().map(|v| v * start).collect();
    let system = FnSystem::new(r, |s: f64, u: &[f64], du: &mut [f64]| {
        let time = s.exp();
        let scale = sigma(time);
        let y: Vec<f64> = u.iter().map(|v| v * scale).collect();
        let mut g = vec![0.0; r];
        gradient(&y, time, &mut g)?;
        let a = 0.5 * time / scale;
        let b = 0.5 * tau / (time + tau);
        for ((d, &ui), &gi) in du.iter_mut().zip(u).zip(&g) {
            *d = -a * gi - b * ui;
        }
        Ok(())
    });
    let solution = solve(&system, t0.ln(), t.ln(), &u0, &[], options)?;
    let scale = sigma(t);
    let y: Vec<f64> = solution.y_final.iter().map(|u| u * scale).collect();
    if let Some(bad) = y.iter().find(|v| !v.is_finite()) {
        return Err(Error::Numerical {
            method: "heat-kernel probability-flow sampler",
            detail: format!("non-finite radial coordinate {bad} at t = {t:e}"),
        });
    }
    Ok((y, solution.stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Flat kernel: the output is `√t u0` (to the ODE tolerance; the scaled flow is `O(t/τ)`).
    #[test]
    fn gaussian_flow_is_identity_in_scaled_coordinates() {
        let u0 = [0.3, -1.2];
        let (y, stats) =
            integrate_flow(&u0, 1e-9, 4.0, 0.5, &default_flow_options(), |y, tau, g| {
                for (gi, yi) in g.iter_mut().zip(y) {
                    *gi = -yi / tau;
                }
                Ok(())
            })
            .unwrap();
        assert!(
            (y[0] - 0.6).abs() < 2e-6 && (y[1] + 2.4).abs() < 8e-6,
            "{y:?}"
        );
        assert!(stats.accepted_steps < 25, "{stats:?}");
    }

    /// Gaussian with variance `a t + b` (an exactly solvable flow): `y(t) = y0 √((a t + b)/(a t0 + b))`;
    /// bound: global error ≲ 10 × rtol (measured 1.0e-7 relative).
    #[test]
    fn affine_variance_flow_matches_closed_form() {
        let (a, b) = (1.5, 0.2);
        let (t0, t) = (1e-3, 7.0);
        let u0 = [0.8];
        let (y, _) = integrate_flow(&u0, t0, t, 2.0, &default_flow_options(), |y, tau, g| {
            // velocity −½∂ log p = a y / (2(a τ + b)) requires ∂ log p = −a y/(a τ + b)
            g[0] = -a * y[0] / (a * tau + b);
            Ok(())
        })
        .unwrap();
        let y0 = u0[0] * t0.sqrt();
        let exact = y0 * ((a * t + b) / (a * t0 + b)).sqrt();
        assert!(
            (y[0] - exact).abs() < 1e-5 * exact.abs(),
            "{} vs {exact}",
            y[0]
        );
    }
}
