//! DP5 for ODEs on manifolds (batched points plus Euclidean extras).

use super::{integrate, OdeOptions, OdeStats, OdeSystem};
use crate::error::{check_len, Error, Result};
use crate::manifold::{check_batch, Manifold, MEMBERSHIP_TOLERANCE};

/// An ODE `ẋ_i = V_i(t, x, e)`, `ė = W(t, x, e)` for a batch of points `x_i` on a manifold
/// (`V_i` tangent at `x_i`) and extra Euclidean components `e` (e.g. log-density accumulators).
///
/// # Scheme (projected extension; HNW *Geometric Numerical Integration* §IV.4)
/// Points live in ambient coordinates `R^n`. Let `π` be [`Manifold::project_point`]
/// (nearest point: normalisation on spheres, angle wrap on tori) and `P_y`
/// [`Manifold::project_tangent`]. The field is extended to a neighbourhood of the
/// manifold by `Ṽ(z) = P_{π(z)} V(π(z))`; `Ṽ` is smooth, tangent on the manifold and
/// equal to `V` there, so the manifold is invariant under its flow and the two
/// flows agree on it. DP5 is applied to `Ṽ` in ambient coordinates: stage points are
/// `z_i = x + h Σ_j a_ij K_j` in the (ambient) tangent directions taken at the step's
/// start, the field is evaluated at the retracted points `π(z_i)`, and every accepted
/// step (and every dense-output value) is retracted with `π`, the metric-projection
/// retraction (on tori `π(x + v) = exp_x(v)`; on spheres `π(x + v)` agrees with
/// `exp_x(v)` to `O(|v|³)`). Because the exact flow stays on the manifold, the final
/// projection changes the step by no more than its local error, so the method keeps
/// **order 5** for any smooth tangent field (tested on S² with a non-Killing field),
/// the embedded error estimate and the dense output carry over unchanged, and
/// iterates lie on the manifold to rounding (`| |x| − 1 | ≲ 1e-15` on spheres).
/// The error norm is taken over all ambient point coordinates and the extras.
///
/// Requirements on the manifold: `project_point` must be a smooth map from a
/// neighbourhood of the manifold onto it that fixes the manifold (nearest-point
/// projection; the polar factor on matrix groups) and `project_tangent` the orthogonal
/// projection. No `exp`/`log` is needed. (Runge–Kutta in normal coordinates at the
/// step's start, with stage points `exp_x(h Σ a_ij K_j)`, would need the inverse
/// differential of `exp` to map the stage slopes back to `T_x M`, as in
/// Runge–Kutta–Munthe-Kaas methods; merely projecting them onto `T_x M` reduces the
/// order to 2.)
///
/// Implementations receive points already on the manifold and may return any
/// ambient vector: the solver projects it onto the tangent space.
pub trait ManifoldOdeSystem {
    /// The manifold of the points.
    fn manifold(&self) -> &dyn Manifold;
    /// Number of points in the batch.
    fn num_points(&self) -> usize;
    /// Number of extra Euclidean components.
    fn num_extra(&self) -> usize;
    /// Writes the velocities (row-major, one ambient row per point) and the extras' rates.
    ///
    /// # Errors
    /// Implementation-specific; aborts the integration.
    fn rhs(
        &self,
        t: f64,
        points: &[f64],
        extra: &[f64],
        velocity: &mut [f64],
        extra_rate: &mut [f64],
    ) -> Result<()>;
}

/// Result of [`solve_manifold`].
#[derive(Clone, Debug)]
pub struct ManifoldOdeSolution {
    /// Final time.
    pub t_final: f64,
    /// Points at `t_final` (row-major), on the manifold.
    pub points: Vec<f64>,
    /// Extra components at `t_final`.
    pub extra: Vec<f64>,
    /// The requested output times.
    pub t_eval: Vec<f64>,
    /// Points at each output time: block `k` (`num_points × ambient_dim`) is time `t_eval[k]`.
    pub points_eval: Vec<f64>,
    /// Extras at each output time: block `k` (`num_extra`) is time `t_eval[k]`.
    pub extra_eval: Vec<f64>,
    /// Work counters.
    pub stats: OdeStats,
}

/// Flattens a [`ManifoldOdeSystem`] into an [`OdeSystem`] on `R^{N n + m}` (the extension `Ṽ`).
struct Extended<'a, S: ?Sized> {
    system: &'a S,
    point_len: usize,
    extra_len: usize,
}

impl<S: ManifoldOdeSystem + ?Sized> OdeSystem for Extended<'_, S> {
    fn dim(&self) -> usize {
        self.point_len + self.extra_len
    }
    fn rhs(&self, t: f64, y: &[f64], dy: &mut [f64]) -> Result<()> {
        let m = self.system.manifold();
        let n = m.ambient_dim();
        let (z, extra) = y.split_at(self.point_len);
        let mut points = vec![0.0; self.point_len];
        for (p, zi) in points.chunks_exact_mut(n).zip(z.chunks_exact(n)) {
            m.project_point(zi, p);
        }
        let (dz, de) = dy.split_at_mut(self.point_len);
        let mut raw = vec![0.0; self.point_len];
        self.system.rhs(t, &points, extra, &mut raw, de)?;
        for ((o, p), v) in dz
            .chunks_exact_mut(n)
            .zip(points.chunks_exact(n))
            .zip(raw.chunks_exact(n))
        {
            m.project_tangent(p, v, o);
        }
        Ok(())
    }
    fn project_state(&self, y: &mut [f64]) {
        let m = self.system.manifold();
        let n = m.ambient_dim();
        let mut tmp = vec![0.0; n];
        for row in y[..self.point_len].chunks_exact_mut(n) {
            m.project_point(row, &mut tmp);
            row.copy_from_slice(&tmp);
        }
    }
}

fn prepare<S: ManifoldOdeSystem + ?Sized>(
    system: &S,
    points0: &[f64],
    extra0: &[f64],
) -> Result<Vec<f64>> {
    let m = system.manifold();
    let point_len = system.num_points() * m.ambient_dim();
    check_len("initial points", points0.len(), point_len)?;
    check_len("initial extra components", extra0.len(), system.num_extra())?;
    if point_len > 0 {
        check_batch(m, points0, MEMBERSHIP_TOLERANCE)?;
    }
    if let Some(i) = extra0.iter().position(|v| !v.is_finite()) {
        return Err(Error::NonFinite {
            what: format!("initial extra component {i} = {}", extra0[i]),
        });
    }
    let mut y = Vec::with_capacity(point_len + extra0.len());
    y.extend_from_slice(points0);
    y.extend_from_slice(extra0);
    Ok(y)
}

fn split<S: ManifoldOdeSystem + ?Sized>(
    system: &S,
    sol: super::OdeSolution,
) -> ManifoldOdeSolution {
    let point_len = system.num_points() * system.manifold().ambient_dim();
    let dim = point_len + system.num_extra();
    let mut points_eval = Vec::with_capacity(sol.t_eval.len() * point_len);
    let mut extra_eval = Vec::with_capacity(sol.t_eval.len() * system.num_extra());
    for row in sol.y_eval.chunks_exact(dim.max(1)).take(sol.t_eval.len()) {
        points_eval.extend_from_slice(&row[..point_len]);
        extra_eval.extend_from_slice(&row[point_len..]);
    }
    let (p, e) = sol.y_final.split_at(point_len);
    ManifoldOdeSolution {
        t_final: sol.t_final,
        points: p.to_vec(),
        extra: e.to_vec(),
        t_eval: sol.t_eval,
        points_eval,
        extra_eval,
        stats: sol.stats,
    }
}

/// Integrates a [`ManifoldOdeSystem`] from `t0` to `t1` with adaptive DP5(4) steps
/// (forward or backward in time); `t_eval` as in [`super::solve`].
///
/// The initial points are checked to lie on the manifold to
/// [`MEMBERSHIP_TOLERANCE`] and are projected onto it exactly first.
///
/// # Errors
/// [`Error::DimensionMismatch`], [`Error::NotOnManifold`], [`Error::NonFinite`] for bad
/// initial values; otherwise as [`super::solve`].
pub fn solve_manifold<S: ManifoldOdeSystem + ?Sized>(
    system: &S,
    t0: f64,
    t1: f64,
    points0: &[f64],
    extra0: &[f64],
    t_eval: &[f64],
    options: &OdeOptions,
) -> Result<ManifoldOdeSolution> {
    options.validate()?;
    let mut y0 = prepare(system, points0, extra0)?;
    let ext = Extended {
        system,
        point_len: points0.len(),
        extra_len: extra0.len(),
    };
    ext.project_state(&mut y0);
    super::validate_problem(&ext, t0, t1, &y0, t_eval)?;
    let sol = integrate(&ext, t0, t1, &y0, t_eval, options, None)?;
    Ok(split(system, sol))
}

/// [`solve_manifold`] with `steps` equal steps and no error control (for order studies).
///
/// # Errors
/// As [`solve_manifold`]; [`Error::InvalidArgument`] if `steps == 0`.
pub fn solve_manifold_fixed<S: ManifoldOdeSystem + ?Sized>(
    system: &S,
    t0: f64,
    t1: f64,
    points0: &[f64],
    extra0: &[f64],
    steps: usize,
) -> Result<ManifoldOdeSolution> {
    if steps == 0 {
        return Err(Error::invalid("steps", 0, "at least one step"));
    }
    let mut y0 = prepare(system, points0, extra0)?;
    let ext = Extended {
        system,
        point_len: points0.len(),
        extra_len: extra0.len(),
    };
    ext.project_state(&mut y0);
    super::validate_problem(&ext, t0, t1, &y0, &[])?;
    let sol = integrate(&ext, t0, t1, &y0, &[], &OdeOptions::default(), Some(steps))?;
    Ok(split(system, sol))
}
