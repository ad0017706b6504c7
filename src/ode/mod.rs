//! Adaptive Dormand–Prince 5(4) integration on `R^n` and on manifolds.
//!
//! # Method
//! The explicit Runge–Kutta pair of Dormand & Prince (1980) (7 stages, first
//! same as last, so 6 right-hand-side evaluations per step): the fifth-order
//! solution is propagated (local extrapolation) and the embedded fourth-order
//! one gives the error estimate `err_i = h Σ_j (b_j − b̂_j) k_j`
//! (Hairer, Nørsett & Wanner, *Solving ODEs I*, 2nd ed., §II.5, Table 5.2).
//!
//! **Error norm** (HNW II.4, eq. 4.11): a step is accepted when
//! `‖err‖ = sqrt( (1/n) Σ_i (err_i / sc_i)² ) ≤ 1` with
//! `sc_i = atol + rtol · max(|y_i|, |y_new,i|)` (scalar `rtol`, `atol`); the maximum
//! norm is available as [`ErrorNorm::Max`] for batches of independent problems.
//!
//! **Step-size control**: the PI controller of HNW II.4 (eq. 4.13) as used in
//! their `dopri5` code: `h_new = h · clamp(S · ‖err_n‖^{−α} · ‖err_{n−1}‖^{β}, f_min, f_max)`
//! with safety `S = 0.9`, factor bounds `[f_min, f_max] = [0.2, 10]`, `β = 0.04`,
//! `α = 1/5 − 0.75 β = 0.17` (`β = 0` gives the classical controller with
//! exponent `1/5`). After a rejection the step shrinks by `max(f_min, S ‖err‖^{−α})`
//! and the next accepted step may not grow.
//!
//! **Initial step** (HNW II.4, "starting step size" algorithm): with
//! `d0 = ‖y0‖`, `d1 = ‖f(t0, y0)‖` in the same scaled norm, `h0 = 0.01 d0/d1`
//! (or `1e-6` if `d0` or `d1 < 1e-5`), one explicit Euler step to estimate
//! `d2 = ‖f(t0+h0, y0+h0 f0) − f0‖ / h0`, then `h1 = (0.01 / max(d1, d2))^{1/5}`
//! and `h = min(100 h0, h1)` (one extra evaluation).
//!
//! **Dense output**: Shampine's fourth-order continuous extension of DP5
//! (HNW II.6), free (uses the 7 stages of the step), so solutions at requested
//! output times cost nothing extra and do not shorten steps. Its error is
//! `O(h⁵)` locally, i.e. of the same size as the step's own error.
//!
//! **Guards**: the integration fails with [`Error::Numerical`] when the step
//! size falls below `max(min_step, 16 ε max(|t|, |t1 − t0|))` (step-size underflow, e.g. a
//! blow-up or a non-finite right-hand side) or when more than `max_steps`
//! steps (accepted + rejected) are attempted.
//!
//! Integration runs forward (`t1 > t0`) or backward (`t1 < t0`) in time.
//!
//! # Manifolds
//! [`solve_manifold`] integrates `ẋ = V(t, x)` for a batch of points on a
//! [`Manifold`](crate::manifold::Manifold) (with `V` tangent) together with extra Euclidean components,
//! see [`ManifoldOdeSystem`] for the scheme (DP5 on the projected extension of
//! the field; fifth order, iterates on the manifold to rounding).

mod manifold;
mod tableau;

pub use manifold::{solve_manifold, solve_manifold_fixed, ManifoldOdeSolution, ManifoldOdeSystem};

use crate::error::{Error, Num, Result};
use tableau::{A, C, D, E};

/// Name used in [`Error::Numerical`] reports.
const METHOD: &str = "Dormand–Prince 5(4) ODE solver";

/// A right-hand side `y' = f(t, y)` on `R^dim`.
pub trait OdeSystem {
    /// Number of state components.
    fn dim(&self) -> usize;

    /// Writes `f(t, y)` into `dy` (both of length [`OdeSystem::dim`]).
    ///
    /// # Errors
    /// Implementation-specific; the error aborts the integration and is returned as is.
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) -> Result<()>;

    /// Maps an accepted state (and a dense-output value) back onto the constraint
    /// set the system lives on. Default: no constraint (identity).
    ///
    /// The next step reuses `f(t, y_new)` evaluated *before* the projection (first same
    /// as last), which is exact when `f(t, project(y)) = f(t, y)` near the constraint set
    /// (as for the extended field of [`solve_manifold`]) and otherwise differs by the
    /// projection's displacement, itself of the size of the local error.
    fn project_state(&self, _y: &mut [f64]) {}
}

/// An [`OdeSystem`] from a closure `f(t, y, dy)`.
///
/// ```
/// use riemannian_diffusion::ode::{solve, FnSystem, OdeOptions};
/// // y' = −y, y(0) = 1.
/// let sys = FnSystem::new(1, |_t: f64, y: &[f64], dy: &mut [f64]| {
///     dy[0] = -y[0];
///     Ok(())
/// });
/// let sol = solve(&sys, 0.0, 1.0, &[1.0], &[], &OdeOptions::default()).unwrap();
/// assert!((sol.y_final[0] - (-1.0f64).exp()).abs() < 1e-5);
/// ```
pub struct FnSystem<F> {
    dim: usize,
    f: F,
}

impl<F> FnSystem<F>
where
    F: Fn(f64, &[f64], &mut [f64]) -> Result<()>,
{
    /// Wraps `f` as a system of dimension `dim`.
    pub fn new(dim: usize, f: F) -> Self {
        FnSystem { dim, f }
    }
}

impl<F> OdeSystem for FnSystem<F>
where
    F: Fn(f64, &[f64], &mut [f64]) -> Result<()>,
{
    fn dim(&self) -> usize {
        self.dim
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) -> Result<()> {
        (self.f)(t, y, dy)
    }
}

/// How the scaled error components `err_i / sc_i` are combined into one number.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorNorm {
    /// Root mean square `sqrt((1/n) Σ (err_i/sc_i)²)` (HNW II.4, eq. 4.11; the default).
    #[default]
    Rms,
    /// Maximum `max_i |err_i/sc_i|`: every component meets the tolerance on its own.
    /// Preferable when the state is a batch of independent problems sharing the steps
    /// (the RMS norm lets one of `n` components carry `√n` times the tolerance).
    Max,
}

/// Options of the adaptive solver. Defaults are documented per field.
#[derive(Clone, Debug, PartialEq)]
pub struct OdeOptions {
    /// Relative tolerance (`> 0`). Default `1e-6`.
    pub rtol: f64,
    /// Absolute tolerance (`> 0`). Default `1e-9`.
    pub atol: f64,
    /// Magnitude of the first step; `None` (default) selects it with the HNW II.4 algorithm.
    pub first_step: Option<f64>,
    /// Largest allowed step magnitude. Default `∞`.
    pub max_step: f64,
    /// Smallest allowed step magnitude before reporting step-size underflow. Default `0`
    /// (the floor `16 ε max(|t|, |t1 − t0|)` always applies).
    pub min_step: f64,
    /// Maximum number of attempted steps (accepted + rejected). Default `100_000`.
    pub max_steps: usize,
    /// Safety factor `S` of the controller. Default `0.9` (HNW II.4, `dopri5`).
    pub safety: f64,
    /// Smallest step-size ratio `h_new / h` per step. Default `0.2` (HNW II.4, `dopri5`).
    pub min_factor: f64,
    /// Largest step-size ratio `h_new / h` per step. Default `10` (HNW II.4, `dopri5`).
    pub max_factor: f64,
    /// PI-controller exponent `β` on the previous error. Default `0.04` (HNW II.4,
    /// recommended for DP5); the proportional exponent is `α = 0.2 − 0.75 β`.
    pub beta: f64,
    /// Error norm; default [`ErrorNorm::Rms`] (HNW II.4).
    pub norm: ErrorNorm,
}

impl Default for OdeOptions {
    fn default() -> Self {
        OdeOptions {
            rtol: 1e-6,
            atol: 1e-9,
            first_step: None,
            max_step: f64::INFINITY,
            min_step: 0.0,
            max_steps: 100_000,
            safety: 0.9,
            min_factor: 0.2,
            max_factor: 10.0,
            beta: 0.04,
            norm: ErrorNorm::Rms,
        }
    }
}

impl OdeOptions {
    /// Default options with `rtol` and `atol` replaced.
    pub fn with_tolerances(rtol: f64, atol: f64) -> Self {
        OdeOptions {
            rtol,
            atol,
            ..OdeOptions::default()
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let positive = |name: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::invalid(name, v, "a finite value > 0"))
            }
        };
        positive("rtol", self.rtol)?;
        positive("atol", self.atol)?;
        if let Some(h) = self.first_step {
            positive("first_step", h)?;
        }
        if self.max_step.is_nan() || self.max_step <= 0.0 {
            return Err(Error::invalid(
                "max_step",
                self.max_step,
                "a value > 0 (may be ∞)",
            ));
        }
        if !(self.min_step.is_finite() && self.min_step >= 0.0 && self.min_step < self.max_step) {
            return Err(Error::invalid(
                "min_step",
                self.min_step,
                "a finite value in [0, max_step)",
            ));
        }
        if self.max_steps == 0 {
            return Err(Error::invalid("max_steps", 0, "at least 1"));
        }
        if !(self.safety > 0.0 && self.safety <= 1.0) {
            return Err(Error::invalid("safety", self.safety, "a value in (0, 1]"));
        }
        if !(self.min_factor > 0.0 && self.min_factor < 1.0) {
            return Err(Error::invalid(
                "min_factor",
                self.min_factor,
                "a value in (0, 1)",
            ));
        }
        if !(self.max_factor > 1.0 && self.max_factor.is_finite()) {
            return Err(Error::invalid(
                "max_factor",
                self.max_factor,
                "a finite value > 1",
            ));
        }
        if !(self.beta >= 0.0 && self.beta < 0.2 / 0.75) {
            return Err(Error::invalid(
                "beta",
                self.beta,
                "a value in [0, 0.2667) so that α = 0.2 − 0.75β > 0",
            ));
        }
        Ok(())
    }
}

/// Work counters of one integration.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OdeStats {
    /// Accepted steps.
    pub accepted_steps: usize,
    /// Rejected steps (error estimate above tolerance or non-finite).
    pub rejected_steps: usize,
    /// Right-hand-side evaluations (including the initial-step selection).
    pub rhs_evaluations: usize,
}

impl OdeStats {
    /// Component-wise sum (for reporting several integrations together).
    pub fn add(&mut self, other: &OdeStats) {
        self.accepted_steps += other.accepted_steps;
        self.rejected_steps += other.rejected_steps;
        self.rhs_evaluations += other.rhs_evaluations;
    }
}

/// Result of [`solve`] / [`solve_fixed`].
#[derive(Clone, Debug)]
pub struct OdeSolution {
    /// Final time (equals the requested `t1`).
    pub t_final: f64,
    /// State at `t_final`.
    pub y_final: Vec<f64>,
    /// The requested output times.
    pub t_eval: Vec<f64>,
    /// States at `t_eval`, row-major: row `k` (length `dim`) is the state at `t_eval[k]`.
    pub y_eval: Vec<f64>,
    /// Work counters.
    pub stats: OdeStats,
}

/// Integrates `y' = f(t, y)` from `(t0, y0)` to `t1` with adaptive DP5(4) steps.
///
/// `t_eval` lists output times (may be empty), monotone in the direction of
/// integration and inside `[t0, t1]`; values there come from the dense output
/// (fourth-order interpolant, error of the size of the local step error).
///
/// Cost: 6 evaluations per accepted or rejected step plus 2 at start.
///
/// # Errors
/// - [`Error::DimensionMismatch`] if `y0.len() != system.dim()`;
/// - [`Error::InvalidArgument`] for non-finite times, bad `t_eval` or options;
/// - [`Error::NonFinite`] if `y0` is not finite;
/// - [`Error::Numerical`] on step-size underflow or more than `max_steps` steps;
/// - any error returned by `system.rhs`.
pub fn solve<S: OdeSystem + ?Sized>(
    system: &S,
    t0: f64,
    t1: f64,
    y0: &[f64],
    t_eval: &[f64],
    options: &OdeOptions,
) -> Result<OdeSolution> {
    options.validate()?;
    validate_problem(system, t0, t1, y0, t_eval)?;
    integrate(system, t0, t1, y0, t_eval, options, None)
}

/// Integrates with `steps` equal DP5 steps and no error control (for order studies).
///
/// # Errors
/// As [`solve`] (without the options checks); [`Error::InvalidArgument`] if `steps == 0`.
pub fn solve_fixed<S: OdeSystem + ?Sized>(
    system: &S,
    t0: f64,
    t1: f64,
    y0: &[f64],
    steps: usize,
) -> Result<OdeSolution> {
    if steps == 0 {
        return Err(Error::invalid("steps", 0, "at least one step"));
    }
    validate_problem(system, t0, t1, y0, &[])?;
    integrate(system, t0, t1, y0, &[], &OdeOptions::default(), Some(steps))
}

fn validate_problem<S: OdeSystem + ?Sized>(
    system: &S,
    t0: f64,
    t1: f64,
    y0: &[f64],
    t_eval: &[f64],
) -> Result<()> {
    crate::error::check_len("initial state y0", y0.len(), system.dim())?;
    if !t0.is_finite() {
        return Err(Error::invalid("t0", t0, "a finite time"));
    }
    if !t1.is_finite() {
        return Err(Error::invalid("t1", t1, "a finite time"));
    }
    if let Some(i) = y0.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: format!("initial state y0 (entry {i} = {})", y0[i]),
        });
    }
    let dir = if t1 >= t0 { 1.0 } else { -1.0 };
    let mut prev = t0;
    for (k, &te) in t_eval.iter().enumerate() {
        let inside = te.is_finite() && dir * (te - t0) >= 0.0 && dir * (t1 - te) >= 0.0;
        if !inside || dir * (te - prev) < 0.0 {
            return Err(Error::invalid(
                "t_eval",
                format!("t_eval[{k}] = {te}"),
                format!(
                    "finite output times inside [{}, {}], monotone in the direction of integration",
                    Num(t0),
                    Num(t1)
                ),
            ));
        }
        prev = te;
    }
    Ok(())
}

/// Scaled norm of `v_i / (atol + rtol max(|a_i|, |b_i|))`: RMS or maximum.
fn scaled_norm(v: &[f64], a: &[f64], b: &[f64], options: &OdeOptions) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let scaled = v.iter().zip(a.iter().zip(b)).map(|(&e, (&x, &y))| {
        let sc = options.atol + options.rtol * x.abs().max(y.abs());
        e / sc
    });
    match options.norm {
        ErrorNorm::Rms => (scaled.map(|q| q * q).sum::<f64>() / v.len() as f64).sqrt(),
        // NaN-propagating maximum, so that a non-finite error rejects the step.
        ErrorNorm::Max => scaled.fold(0.0, |m: f64, q| {
            if q.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(q.abs())
            }
        }),
    }
}

/// Counts evaluations and rejects non-finite states before the user's `rhs` sees them.
struct Counted<'a, S: ?Sized> {
    system: &'a S,
    evaluations: std::cell::Cell<usize>,
}

impl<S: OdeSystem + ?Sized> Counted<'_, S> {
    fn eval(&self, t: f64, y: &[f64], dy: &mut [f64]) -> Result<()> {
        self.evaluations.set(self.evaluations.get() + 1);
        if y.iter().all(|v| v.is_finite()) {
            self.system.rhs(t, y, dy)
        } else {
            // A non-finite trial state: report NaN so that the step is rejected.
            dy.iter_mut().for_each(|d| *d = f64::NAN);
            Ok(())
        }
    }
}

/// Work buffers of one DP5 step.
struct Stages {
    k: [Vec<f64>; 7],
    y_stage: Vec<f64>,
    y_new: Vec<f64>,
    err: Vec<f64>,
}

impl Stages {
    fn new(n: usize) -> Self {
        Stages {
            k: std::array::from_fn(|_| vec![0.0; n]),
            y_stage: vec![0.0; n],
            y_new: vec![0.0; n],
            err: vec![0.0; n],
        }
    }

    /// One DP5 step from `(t, y)` with `k[0] = f(t, y)` already set: fills stages 2–7,
    /// `y_new` (fifth order, unprojected) and `err` (`h Σ e_i k_i`).
    fn step<S: OdeSystem + ?Sized>(
        &mut self,
        f: &Counted<S>,
        t: f64,
        h: f64,
        y: &[f64],
    ) -> Result<()> {
        let n = y.len();
        for i in 1..7 {
            for m in 0..n {
                let mut acc = 0.0;
                for j in 0..i {
                    acc += A[i][j] * self.k[j][m];
                }
                self.y_stage[m] = y[m] + h * acc;
            }
            f.eval(t + C[i] * h, &self.y_stage, &mut self.k[i])?;
            if i == 6 {
                // Stage 7 is evaluated at the fifth-order solution (FSAL).
                self.y_new.copy_from_slice(&self.y_stage);
            }
        }
        for m in 0..n {
            let mut acc = 0.0;
            for j in 0..7 {
                acc += E[j] * self.k[j][m];
            }
            self.err[m] = h * acc;
        }
        Ok(())
    }

    /// Dense output `y(t + θh)` of the last step (before projection) into `out`.
    fn interpolate(&self, y: &[f64], h: f64, theta: f64, out: &mut [f64]) {
        let s1 = 1.0 - theta;
        for m in 0..y.len() {
            let delta = self.y_new[m] - y[m];
            let k1 = h * self.k[0][m];
            let k7 = h * self.k[6][m];
            let mut dk = 0.0;
            for j in 0..7 {
                dk += D[j] * self.k[j][m];
            }
            let bspl = k1 - delta;
            let r4 = delta - k7 - bspl;
            out[m] = y[m] + theta * (delta + s1 * (bspl + theta * (r4 + s1 * h * dk)));
        }
    }
}

/// HNW II.4 starting step size (magnitude), using one extra evaluation.
fn initial_step<S: OdeSystem + ?Sized>(
    f: &Counted<S>,
    t0: f64,
    y0: &[f64],
    f0: &[f64],
    dir: f64,
    span: f64,
    options: &OdeOptions,
) -> Result<f64> {
    let d0 = scaled_norm(y0, y0, y0, options);
    let d1 = scaled_norm(f0, y0, y0, options);
    let mut h0 = if d0 < 1e-5 || d1 < 1e-5 {
        1e-6
    } else {
        0.01 * d0 / d1
    };
    h0 = h0.min(options.max_step).min(span);
    let y1: Vec<f64> = y0.iter().zip(f0).map(|(y, d)| y + dir * h0 * d).collect();
    let mut f1 = vec![0.0; y0.len()];
    f.eval(t0 + dir * h0, &y1, &mut f1)?;
    let diff: Vec<f64> = f1.iter().zip(f0).map(|(a, b)| a - b).collect();
    let d2 = scaled_norm(&diff, y0, y0, options) / h0;
    let dmax = d1.max(d2);
    let h1 = if dmax.is_finite() && dmax > 1e-15 {
        (0.01 / dmax).powf(1.0 / 5.0)
    } else if dmax.is_finite() {
        (h0 * 1e-3).max(1e-6)
    } else {
        h0 * 1e-3
    };
    Ok((100.0 * h0).min(h1).min(options.max_step).min(span))
}

fn integrate<S: OdeSystem + ?Sized>(
    system: &S,
    t0: f64,
    t1: f64,
    y0: &[f64],
    t_eval: &[f64],
    options: &OdeOptions,
    fixed_steps: Option<usize>,
) -> Result<OdeSolution> {
    let n = y0.len();
    let f = Counted {
        system,
        evaluations: std::cell::Cell::new(0),
    };
    let mut stats = OdeStats::default();
    let mut y_eval = vec![0.0; t_eval.len() * n];
    let mut next_out = 0;
    let mut y = y0.to_vec();
    // Outputs requested at t0 itself.
    while next_out < t_eval.len() && t_eval[next_out] == t0 {
        y_eval[next_out * n..(next_out + 1) * n].copy_from_slice(&y);
        next_out += 1;
    }
    let finish = |y: Vec<f64>, y_eval: Vec<f64>, f: &Counted<S>, mut stats: OdeStats| {
        stats.rhs_evaluations = f.evaluations.get();
        OdeSolution {
            t_final: t1,
            y_final: y,
            t_eval: t_eval.to_vec(),
            y_eval,
            stats,
        }
    };
    if t1 == t0 {
        while next_out < t_eval.len() {
            y_eval[next_out * n..(next_out + 1) * n].copy_from_slice(&y);
            next_out += 1;
        }
        return Ok(finish(y, y_eval, &f, stats));
    }
    let dir = if t1 > t0 { 1.0 } else { -1.0 };
    let span = (t1 - t0).abs();
    let mut work = Stages::new(n);
    f.eval(t0, &y, &mut work.k[0])?;

    if let Some(steps) = fixed_steps {
        let h = (t1 - t0) / steps as f64;
        for i in 0..steps {
            let t = t0 + i as f64 * h;
            work.step(&f, t, h, &y)?;
            y.copy_from_slice(&work.y_new);
            system.project_state(&mut y);
            let (first, rest) = work.k.split_at_mut(6);
            first[0].copy_from_slice(&rest[0]);
            stats.accepted_steps += 1;
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::Numerical {
                method: METHOD,
                detail: format!("fixed-step solution became non-finite (component {i})"),
            });
        }
        return Ok(finish(y, y_eval, &f, stats));
    }

    let alpha = 0.2 - 0.75 * options.beta;
    let mut h_abs = match options.first_step {
        Some(h) => h.min(span).min(options.max_step),
        None => initial_step(&f, t0, &y, &work.k[0], dir, span, options)?,
    };
    let mut t = t0;
    let mut err_old: f64 = 1e-4;
    let mut last_rejected = false;
    let mut out_row = vec![0.0; n];
    loop {
        if stats.accepted_steps + stats.rejected_steps >= options.max_steps {
            return Err(Error::Numerical {
                method: METHOD,
                detail: format!(
                    "more than max_steps = {} steps at t = {} (integrating from {} to {}; raise max_steps, or loosen rtol/atol)",
                    options.max_steps,
                    Num(t),
                    Num(t0),
                    Num(t1)
                ),
            });
        }
        let floor = options
            .min_step
            .max(16.0 * f64::EPSILON * t.abs().max(span));
        h_abs = h_abs.min(options.max_step);
        let remaining = (t1 - t).abs();
        // Land exactly on t1 (and avoid a tiny last step).
        let last = h_abs >= remaining || h_abs * (1.0 + 1e-12) >= remaining;
        if last {
            h_abs = remaining;
        }
        if h_abs < floor && !last {
            return Err(Error::Numerical {
                method: METHOD,
                detail: format!(
                    "step size underflow at t = {}: |h| = {h_abs:e} below {floor:e} (integrating from {} to {}; stiff problem, singularity or non-finite right-hand side)",
                    Num(t),
                    Num(t0),
                    Num(t1)
                ),
            });
        }
        let h = dir * h_abs;
        work.step(&f, t, h, &y)?;
        let err = scaled_norm(&work.err, &y, &work.y_new, options);
        if err.is_finite() && err <= 1.0 {
            stats.accepted_steps += 1;
            let t_new = if last { t1 } else { t + h };
            while next_out < t_eval.len() && dir * (t_eval[next_out] - t_new) <= 0.0 {
                let theta = (t_eval[next_out] - t) / h;
                work.interpolate(&y, h, theta, &mut out_row);
                system.project_state(&mut out_row);
                y_eval[next_out * n..(next_out + 1) * n].copy_from_slice(&out_row);
                next_out += 1;
            }
            y.copy_from_slice(&work.y_new);
            system.project_state(&mut y);
            t = t_new;
            let (first, rest) = work.k.split_at_mut(6);
            first[0].copy_from_slice(&rest[0]);
            if last {
                return Ok(finish(y, y_eval, &f, stats));
            }
            let err_c = err.max(1e-10);
            let mut factor = options.safety * err_old.powf(options.beta) / err_c.powf(alpha);
            factor = factor.clamp(options.min_factor, options.max_factor);
            if last_rejected {
                factor = factor.min(1.0);
            }
            h_abs *= factor;
            err_old = err.max(1e-4);
            last_rejected = false;
        } else {
            stats.rejected_steps += 1;
            let factor = if err.is_finite() {
                (options.safety / err.powf(alpha)).max(options.min_factor)
            } else {
                options.min_factor
            };
            h_abs *= factor;
            last_rejected = true;
            if h_abs < floor {
                return Err(Error::Numerical {
                    method: METHOD,
                    detail: format!(
                        "step size underflow at t = {}: |h| = {h_abs:e} below {floor:e} after a rejected step with error norm {err:e} (integrating from {} to {})",
                        Num(t),
                        Num(t0),
                        Num(t1)
                    ),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_count_six_evaluations_per_step_plus_two() {
        let sys = FnSystem::new(2, |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = y[1];
            dy[1] = -y[0];
            Ok(())
        });
        let sol = solve(&sys, 0.0, 10.0, &[1.0, 0.0], &[], &OdeOptions::default()).unwrap();
        let s = sol.stats;
        assert_eq!(
            s.rhs_evaluations,
            2 + 6 * (s.accepted_steps + s.rejected_steps)
        );
    }

    #[test]
    fn rejects_bad_options_and_inputs() {
        let sys = FnSystem::new(1, |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = y[0];
            Ok(())
        });
        let opt = OdeOptions {
            rtol: f64::NAN,
            ..OdeOptions::default()
        };
        assert!(matches!(
            solve(&sys, 0.0, 1.0, &[1.0], &[], &opt),
            Err(Error::InvalidArgument { name: "rtol", .. })
        ));
        let opt = OdeOptions::default();
        assert!(matches!(
            solve(&sys, 0.0, 1.0, &[1.0, 2.0], &[], &opt),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            solve(&sys, 0.0, 1.0, &[f64::NAN], &[], &opt),
            Err(Error::NonFinite { .. })
        ));
        assert!(matches!(
            solve(&sys, 0.0, 1.0, &[1.0], &[0.5, 0.2], &opt),
            Err(Error::InvalidArgument { name: "t_eval", .. })
        ));
        assert!(matches!(
            solve(&sys, 0.0, 1.0, &[1.0], &[1.5], &opt),
            Err(Error::InvalidArgument { name: "t_eval", .. })
        ));
        assert!(matches!(
            solve(&sys, 0.0, f64::INFINITY, &[1.0], &[], &opt),
            Err(Error::InvalidArgument { name: "t1", .. })
        ));
    }

    #[test]
    fn max_norm_makes_padding_components_irrelevant() {
        // One active component y' = y cos t padded with 99 inert zeros: under the maximum norm
        // the step sequence and result are those of the scalar problem; under the RMS norm the
        // padding dilutes the error estimate by √100 and the result is less accurate.
        let f = |t: f64, y: &[f64], dy: &mut [f64]| {
            dy.iter_mut().for_each(|d| *d = 0.0);
            dy[0] = y[0] * t.cos();
            Ok(())
        };
        let exact = 3f64.sin().exp();
        let solo = solve(
            &FnSystem::new(1, f),
            0.0,
            3.0,
            &[1.0],
            &[],
            &OdeOptions {
                first_step: Some(0.01),
                ..OdeOptions::default()
            },
        )
        .unwrap();
        let mut y0 = vec![0.0; 100];
        y0[0] = 1.0;
        let max = OdeOptions {
            first_step: Some(0.01),
            norm: ErrorNorm::Max,
            ..OdeOptions::default()
        };
        let padded = solve(&FnSystem::new(100, f), 0.0, 3.0, &y0, &[], &max).unwrap();
        assert_eq!(padded.y_final[0], solo.y_final[0]);
        assert_eq!(padded.stats.accepted_steps, solo.stats.accepted_steps);
        let rms = OdeOptions {
            norm: ErrorNorm::Rms,
            ..max
        };
        let diluted = solve(&FnSystem::new(100, f), 0.0, 3.0, &y0, &[], &rms).unwrap();
        assert!(diluted.stats.accepted_steps < solo.stats.accepted_steps);
        assert!((diluted.y_final[0] - exact).abs() > (solo.y_final[0] - exact).abs());
    }

    #[test]
    fn zero_length_interval_returns_initial_state() {
        let sys = FnSystem::new(1, |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = y[0];
            Ok(())
        });
        let sol = solve(&sys, 2.0, 2.0, &[3.0], &[2.0], &OdeOptions::default()).unwrap();
        assert_eq!(sol.y_final, vec![3.0]);
        assert_eq!(sol.y_eval, vec![3.0]);
        assert_eq!(sol.stats.rhs_evaluations, 0);
    }

    #[test]
    fn dense_output_is_exact_for_quartic_quadrature() {
        // y' = 4 t³ (y = t⁴) is integrated exactly by an order-4 interpolant.
        let sys = FnSystem::new(1, |t: f64, _y: &[f64], dy: &mut [f64]| {
            dy[0] = 4.0 * t * t * t;
            Ok(())
        });
        let opt = OdeOptions {
            first_step: Some(0.7),
            max_step: 0.7,
            ..OdeOptions::default()
        };
        let times = [0.1, 0.33, 0.5, 0.9, 1.4, 2.0];
        let sol = solve(&sys, 0.0, 2.0, &[0.0], &times, &opt).unwrap();
        for (k, &te) in times.iter().enumerate() {
            let exact = te.powi(4);
            assert!(
                (sol.y_eval[k] - exact).abs() < 1e-13 * (1.0 + exact),
                "t = {te}: {} vs {exact}",
                sol.y_eval[k]
            );
        }
    }
}
