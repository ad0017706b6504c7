//! [`check_manifold_laws`]: the laws of a Riemannian manifold in ambient coordinates.

use super::stats::{chi_squared_critical, mean_var, z_critical};
use super::util::{
    add_scaled, basis, diff_norm, exp, gaussian_vector, log, log_abs_det, membership_defect,
    metric_scale, norm, point_error, project_tangent, scale, scaled, tangent_of_length,
    uniform_point, unit, UNIT_ROUNDOFF,
};
use super::{Law, LawFailure, LawOptions, LawReport, Suite};
use crate::manifold::{CoordinateKind, Manifold};
use crate::nn::TangentProjection;
use crate::random::rng_from_seed;
use statrs::function::gamma::ln_gamma;
use std::f64::consts::PI;

/// Constants of the error model for one manifold (module docs of [`crate::testing`]).
pub(crate) struct Model {
    /// `η = B·N·u`.
    pub eta: f64,
    /// Metric scale `c`.
    pub c: f64,
    /// `r_inj`.
    pub r_inj: f64,
    /// `f`.
    pub fraction: f64,
}

impl Model {
    pub(crate) fn new<M: Manifold + ?Sized>(m: &M, options: &LawOptions) -> Self {
        let x = uniform_point(m, &mut rng_from_seed(options.seed));
        Model {
            eta: options.rounding_budget * m.ambient_dim() as f64 * UNIT_ROUNDOFF,
            c: metric_scale(m, &x),
            r_inj: options.injectivity_radius,
            fraction: options.injectivity_fraction,
        }
    }

    /// `κ = 1/(1 − r/r_inj)` (capped at `10⁶` for `r ≥ r_inj`).
    pub(crate) fn kappa(&self, r: f64) -> f64 {
        1.0 / (1.0 - r / self.r_inj).max(1e-6)
    }
}

/// Checks the laws of a Riemannian manifold (listed below) on
/// [`LawOptions::cases`] random cases each, and the two statistical laws
/// [`Law::TangentNormalCovariance`] and [`Law::LogVolumeMonteCarlo`] (family-wise level
/// [`LawOptions::level`]).
///
/// Laws, in order (formulas and tolerances in the docs of each [`Law`] variant):
/// [`Law::UniformOnManifold`], [`Law::ProjectPointFixesManifold`],
/// [`Law::ProjectPointOnManifold`], [`Law::ProjectPointIsLocal`], [`Law::ProjectPointIdempotent`],
/// [`Law::ProjectTangentIdempotent`], [`Law::ProjectTangentSelfAdjoint`],
/// [`Law::ProjectTangentInBasisSpan`], [`Law::InnerSymmetric`], [`Law::InnerBilinear`],
/// [`Law::InnerPositive`], [`Law::TangentBasisOrthonormal`], [`Law::TangentBasisTangent`],
/// [`Law::ExpOnManifold`], [`Law::ExpOfLongVectorsOnManifold`], [`Law::LogOfExp`], [`Law::ExpOfLog`], [`Law::LogIsTangent`],
/// [`Law::DistanceIsLogNorm`], [`Law::DistanceSymmetric`], [`Law::DistanceZeroOnDiagonal`],
/// [`Law::TriangleInequality`], [`Law::GeodesicIsMinimising`], [`Law::DistanceAtMostLength`],
/// [`Law::TangentNormalIsTangent`],
/// [`Law::TangentNormalCovariance`], [`Law::LogVolumeReference`] (if a reference is given),
/// [`Law::LogVolumeMonteCarlo`], and the declared capabilities:
/// [`Law::CoordinateBlocksAreConsistent`], [`Law::MetricFormMatchesInner`],
/// [`Law::ProjectionFormMatchesDifferences`].
///
/// Uses only `spec`, `dim`, `ambient_dim`, `check_point`, `project_point`, `project_tangent`,
/// `inner`, `exp`, `log`, `distance`, `tangent_basis`, `sample_uniform`, `log_volume`,
/// `sample_tangent_normal`, `norm_squared`, `coordinate_blocks`, `metric_form` and
/// `tangent_projection`. Cost: a few thousand primitive calls
/// plus `2·samples` tangent normals and `samples` distances (milliseconds for the built-ins).
///
/// # Errors
/// The first violated law, as a [`LawFailure`].
///
/// # Panics
/// On inconsistent options (e.g. `cases == 0`, `level ∉ (0, 1)`).
pub fn check_manifold_laws(
    manifold: &dyn Manifold,
    options: &LawOptions,
) -> Result<LawReport, LawFailure> {
    let mut suite = Suite::new(manifold.spec().to_string(), options);
    let model = Model::new(manifold, options);
    let m = manifold;
    let cases = options.cases;
    let (n, d) = (m.ambient_dim(), m.dim());
    let eta = model.eta;
    let c = model.c;

    suite.cases(Law::UniformOnManifold, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let defect = membership_defect(m, &x, eta);
        t.check(defect.unwrap_or(f64::INFINITY), eta, &x, || {
            format!("check_point rejects a uniform sample at tolerance {eta:e}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectPointFixesManifold, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let mut p = vec![0.0; n];
        m.project_point(&x, &mut p);
        let e = point_error(m, &p, &x);
        t.check(e, eta * scale(&x), &x, || {
            format!("project_point moved a point of the manifold to {p:?}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectPointOnManifold, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let w = gaussian_vector(n, rng);
        let delta = scaled(&w, 1e-3 / norm(&w));
        let z = add_scaled(&x, 1.0, &delta);
        let mut p = vec![0.0; n];
        m.project_point(&z, &mut p);
        let tol = eta * scale(&z);
        let defect = membership_defect(m, &p, tol);
        t.check(defect.unwrap_or(f64::INFINITY), tol, &z, || {
            format!("project_point(x + δ) = {p:?} is not on the manifold")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectPointIsLocal, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let w = gaussian_vector(n, rng);
        let delta = scaled(&w, 1e-3 / norm(&w));
        let z = add_scaled(&x, 1.0, &delta);
        let mut p = vec![0.0; n];
        m.project_point(&z, &mut p);
        let delta_g = m.inner(&x, &delta, &delta).max(0.0).sqrt();
        let moved = m.distance(&p, &x);
        let bound = 2.0 * delta_g + 2.0 * eta * scale(&z);
        t.check(moved, bound, &z, || {
            format!(
                "d(project_point(x + δ), x) = {moved:e} > 2‖δ‖_g = {:e}",
                2.0 * delta_g
            )
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectPointIdempotent, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let w = gaussian_vector(n, rng);
        let z = add_scaled(&x, 1e-3 / norm(&w), &w);
        let (mut p, mut pp) = (vec![0.0; n], vec![0.0; n]);
        m.project_point(&z, &mut p);
        m.project_point(&p, &mut pp);
        let e = point_error(m, &pp, &p);
        t.check(e, 2.0 * eta * scale(&z), &z, || {
            format!("project_point(project_point(z)) = {pp:?} ≠ project_point(z) = {p:?}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectTangentIdempotent, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let v = gaussian_vector(n, rng);
        let p = project_tangent(m, &x, &v);
        let pp = project_tangent(m, &x, &p);
        let e = diff_norm(&p, &pp);
        t.check(e, 2.0 * eta * scale(&x) * scale(&v), &x, || {
            format!("P(Pv) ≠ Pv: ‖P(Pv) − Pv‖ = {e:e}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectTangentSelfAdjoint, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let a = gaussian_vector(n, rng);
        let b = gaussian_vector(n, rng);
        let pa = project_tangent(m, &x, &a);
        let pb = project_tangent(m, &x, &b);
        let (left, right) = (m.inner(&x, &pa, &b), m.inner(&x, &a, &pb));
        let tol = 4.0 * eta * c * scale(&x) * norm(&a) * norm(&b);
        t.check((left - right).abs(), tol, &x, || {
            format!("⟨Pa, b⟩ = {left} ≠ ⟨a, Pb⟩ = {right}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ProjectTangentInBasisSpan, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let v = gaussian_vector(n, rng);
        let p = project_tangent(m, &x, &v);
        let mut rebuilt = vec![0.0; n];
        for e in basis(m, &x) {
            let coefficient = m.inner(&x, &e, &p);
            rebuilt = add_scaled(&rebuilt, coefficient, &e);
        }
        let e = diff_norm(&rebuilt, &p);
        t.check(e, (2 + d) as f64 * eta * scale(&x) * scale(&v), &x, || {
            format!("P_x v is not in the span of tangent_basis(x): residual {e:e}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::InnerSymmetric, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let (u, w) = (
            tangent_of_length(m, &x, 1.0, rng),
            tangent_of_length(m, &x, 1.0, rng),
        );
        let (a, b) = (m.inner(&x, &u, &w), m.inner(&x, &w, &u));
        t.check(
            (a - b).abs(),
            2.0 * eta * c * norm(&u) * norm(&w),
            &x,
            || format!("⟨u, w⟩ = {a} ≠ ⟨w, u⟩ = {b}"),
        )?;
        Ok(true)
    })?;

    suite.cases(Law::InnerBilinear, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let u = tangent_of_length(m, &x, 1.0, rng);
        let w = tangent_of_length(m, &x, 1.0, rng);
        let z = tangent_of_length(m, &x, 1.0, rng);
        let (alpha, beta) = (4.0 * unit(rng) - 2.0, 4.0 * unit(rng) - 2.0);
        let combination: Vec<f64> = u
            .iter()
            .zip(&w)
            .map(|(p, q)| alpha * p + beta * q)
            .collect();
        let left = m.inner(&x, &combination, &z);
        let right = alpha * m.inner(&x, &u, &z) + beta * m.inner(&x, &w, &z);
        let tol = 4.0 * eta * c * (alpha.abs() * norm(&u) + beta.abs() * norm(&w)) * norm(&z);
        t.check((left - right).abs(), tol, &x, || {
            format!("⟨αu + βw, z⟩ = {left} ≠ α⟨u, z⟩ + β⟨w, z⟩ = {right}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::InnerPositive, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let a = gaussian_vector(d, rng);
        let mut v = vec![0.0; n];
        for (aj, e) in a.iter().zip(basis(m, &x)) {
            v = add_scaled(&v, *aj, &e);
        }
        let expected: f64 = a.iter().map(|v| v * v).sum();
        let (inner, squared) = (m.inner(&x, &v, &v), m.norm_squared(&x, &v));
        let tol = (2 + d) as f64 * eta * expected.max(c * norm(&v).powi(2));
        let e = (inner - expected).abs().max((squared - expected).abs());
        t.check(e, tol, &x, || {
            format!("⟨v, v⟩ = {inner}, norm_squared = {squared}, expected Σa² = {expected}")
        })?;
        t.require(inner > 0.0, &x, || {
            format!("⟨v, v⟩ = {inner} ≤ 0 for v ≠ 0")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::TangentBasisOrthonormal, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let mut raw = vec![f64::NAN; d * n];
        m.tangent_basis(&x, &mut raw);
        t.require(raw.iter().all(|v| !v.is_nan()), &x, || {
            format!("tangent_basis did not write all dim() = {d} rows (NaN left in the buffer)")
        })?;
        let rows: Vec<&[f64]> = raw.chunks_exact(n).collect();
        for i in 0..d {
            for j in 0..=i {
                let g = m.inner(&x, rows[i], rows[j]);
                let expected = if i == j { 1.0 } else { 0.0 };
                t.check((g - expected).abs(), 3.0 * eta, &x, || {
                    format!("⟨e_{i}, e_{j}⟩ = {g}, expected {expected}")
                })?;
            }
        }
        Ok(true)
    })?;

    suite.cases(Law::TangentBasisTangent, cases, |rng, t| {
        let x = uniform_point(m, rng);
        for (i, e) in basis(m, &x).iter().enumerate() {
            let p = project_tangent(m, &x, e);
            let err = diff_norm(&p, e);
            t.check(err, 2.0 * eta * scale(&x) * scale(e), &x, || {
                format!("basis vector e_{i} is not tangent: ‖Pe − e‖ = {err:e}")
            })?;
        }
        Ok(true)
    })?;

    let max_length = model.fraction * model.r_inj;

    suite.cases(Law::ExpOnManifold, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let length = max_length * unit(rng);
        let v = tangent_of_length(m, &x, length, rng);
        let y = exp(m, &x, &v);
        let tol = eta * (scale(&x) + norm(&v));
        let defect = membership_defect(m, &y, tol);
        t.check(defect.unwrap_or(f64::INFINITY), tol, &x, || {
            format!("exp_x(v) = {y:?} is not on the manifold (‖v‖_g = {length})")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ExpOfLongVectorsOnManifold, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let length = 10f64.powf(3.0 + 297.0 * unit(rng));
        let v = tangent_of_length(m, &x, length, rng);
        let y = exp(m, &x, &v);
        let tol = 16.0 * eta * scale(&x);
        let defect = membership_defect(m, &y, tol);
        t.check(defect.unwrap_or(f64::INFINITY), tol, &x, || {
            format!("exp_x(v) = {y:?} is not on the manifold (‖v‖_g = {length:e})")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::LogOfExp, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let length = max_length * unit(rng);
        let v = tangent_of_length(m, &x, length, rng);
        let y = exp(m, &x, &v);
        let w = log(m, &x, &y);
        let e = diff_norm(&v, &w);
        let tol = 2.0 * eta * (scale(&x) + norm(&v)) * model.kappa(length);
        t.check(e, tol, &x, || {
            format!("log_x(exp_x(v)) = {w:?} ≠ v = {v:?} (‖v‖_g = {length})")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ExpOfLog, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let y = match t.case.unwrap_or(0) % 4 {
            0 | 2 => uniform_point(m, rng),
            1 => exp(m, &x, &tangent_of_length(m, &x, model.r_inj, rng)),
            _ => {
                let length = model.r_inj * (0.95 + 0.1 * unit(rng));
                exp(m, &x, &tangent_of_length(m, &x, length, rng))
            }
        };
        let v = log(m, &x, &y);
        let z = exp(m, &x, &v);
        let e = point_error(m, &z, &y);
        let s = scale(&x).max(scale(&y));
        t.check(e, 3.0 * eta * s, &x, || {
            format!("exp_x(log_x(y)) = {z:?} ≠ y = {y:?}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::LogIsTangent, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let y = uniform_point(m, rng);
        let v = log(m, &x, &y);
        let p = project_tangent(m, &x, &v);
        let e = diff_norm(&p, &v);
        let s = scale(&x).max(scale(&y)) * scale(&v);
        t.check(e, 2.0 * eta * s, &x, || {
            format!("log_x(y) is not tangent: ‖P v − v‖ = {e:e}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::DistanceIsLogNorm, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let y = uniform_point(m, rng);
        let v = log(m, &x, &y);
        let (dist, length) = (m.distance(&x, &y), m.norm_squared(&x, &v).sqrt());
        let s = scale(&x).max(scale(&y));
        t.check(
            (dist - length).abs(),
            3.0 * eta * s * (1.0 + dist),
            &x,
            || format!("d(x, y) = {dist} ≠ ‖log_x y‖ = {length}"),
        )?;
        Ok(true)
    })?;

    suite.cases(Law::DistanceSymmetric, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let y = uniform_point(m, rng);
        let (a, b) = (m.distance(&x, &y), m.distance(&y, &x));
        let s = scale(&x).max(scale(&y));
        t.check((a - b).abs(), 2.0 * eta * s, &x, || {
            format!("d(x, y) = {a} ≠ d(y, x) = {b}")
        })?;
        t.require(a >= 0.0, &x, || format!("d(x, y) = {a} < 0"))?;
        Ok(true)
    })?;

    suite.cases(Law::DistanceZeroOnDiagonal, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let dist = m.distance(&x, &x);
        t.check(dist.abs(), eta * scale(&x), &x, || {
            format!("d(x, x) = {dist:e}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::TriangleInequality, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let y = uniform_point(m, rng);
        let z = uniform_point(m, rng);
        let (xz, xy, yz) = (m.distance(&x, &z), m.distance(&x, &y), m.distance(&y, &z));
        let s = scale(&x).max(scale(&y)).max(scale(&z));
        t.check((xz - xy - yz).max(0.0), 3.0 * eta * s, &x, || {
            format!("d(x, z) = {xz} > d(x, y) + d(y, z) = {}", xy + yz)
        })?;
        Ok(true)
    })?;

    suite.cases(Law::GeodesicIsMinimising, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let v = tangent_of_length(m, &x, 1.0, rng);
        let half = 0.5 * max_length;
        // log-uniform on [1e-6, f·r_inj/2]
        let draw = |rng: &mut crate::random::Rng| 1e-6 * (half / 1e-6).powf(unit(rng));
        let (a, b) = (draw(rng), draw(rng));
        let p = exp(m, &x, &scaled(&v, -a));
        let q = exp(m, &x, &scaled(&v, b));
        let dist = m.distance(&p, &q);
        t.check(
            (dist - (a + b)).abs(),
            3.0 * eta * (scale(&x) + a + b),
            &x,
            || {
                format!(
                    "d(exp_x(−a v), exp_x(b v)) = {dist} ≠ a + b = {} (a = {a:e}, b = {b:e})",
                    a + b
                )
            },
        )?;
        Ok(true)
    })?;

    suite.cases(Law::DistanceAtMostLength, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let length = 3.0 * model.r_inj * unit(rng);
        let v = tangent_of_length(m, &x, length, rng);
        let y = exp(m, &x, &v);
        let dist = m.distance(&x, &y);
        t.check(
            (dist - length).max(0.0),
            2.0 * eta * (scale(&x) + norm(&v)),
            &x,
            || format!("d(x, exp_x(v)) = {dist} > ‖v‖_g = {length}"),
        )?;
        Ok(true)
    })?;

    suite.cases(Law::TangentNormalIsTangent, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let mut v = vec![0.0; n];
        m.sample_tangent_normal(&x, rng, &mut v);
        let p = project_tangent(m, &x, &v);
        let e = diff_norm(&p, &v);
        t.check(e, 2.0 * eta * scale(&x) * scale(&v), &x, || {
            format!("sample_tangent_normal is not tangent: ‖Pv − v‖ = {e:e}")
        })?;
        Ok(true)
    })?;

    // Statistical laws: 2 points × 2 tests for the covariance, 1 volume test.
    let family = 5.0;
    let alpha = options.level / family;

    suite.once(Law::TangentNormalCovariance, |seed, t| {
        let mut rng = rng_from_seed(seed);
        let samples = options.samples;
        for _point in 0..2 {
            let x = uniform_point(m, &mut rng);
            let rows = basis(m, &x);
            let mut mean = vec![0.0; d];
            let mut second = vec![0.0; d * d];
            let mut v = vec![0.0; n];
            for _ in 0..samples {
                m.sample_tangent_normal(&x, &mut rng, &mut v);
                let a: Vec<f64> = rows.iter().map(|e| m.inner(&x, e, &v)).collect();
                for i in 0..d {
                    mean[i] += a[i];
                    for j in 0..d {
                        second[i * d + j] += a[i] * a[j];
                    }
                }
            }
            let ns = samples as f64;
            let mean_stat = mean.iter().map(|s| (s / ns).powi(2)).sum::<f64>() * ns;
            let crit_mean = chi_squared_critical(d, alpha);
            t.count_test();
            t.check(mean_stat, crit_mean, &x, || {
                format!("n|ā|² = {mean_stat:.3} exceeds the χ²_{d} critical value (mean ≠ 0)")
            })?;
            let s0: Vec<f64> = second.iter().map(|s| s / ns).collect();
            let trace: f64 = (0..d).map(|i| s0[i * d + i]).sum();
            let lrt = ns * (trace - log_abs_det(s0.clone(), d) - d as f64);
            let dof = d * (d + 1) / 2;
            let crit = chi_squared_critical(dof, alpha);
            t.count_test();
            t.check(lrt, crit, &x, || {
                format!("likelihood-ratio statistic {lrt:.3} for covariance = I exceeds the χ²_{dof} critical value")
            })?;
        }
        Ok(())
    })?;

    if let Some(reference) = options.reference_log_volume {
        suite.once(Law::LogVolumeReference, |_, t| {
            let lv = m.log_volume();
            t.check(
                (lv - reference).abs(),
                eta * (1.0 + reference.abs()),
                &[],
                || format!("log_volume() = {lv} ≠ reference {reference}"),
            )
        })?;
    }

    if options.monte_carlo_volume {
        suite.once(Law::LogVolumeMonteCarlo, |seed, t| {
            log_volume_monte_carlo(m, &model, options, alpha, seed, t)
        })?;
    }

    capability_laws(m, &mut suite, cases, eta, c)?;
    Ok(suite.finish())
}

/// Uniform points that must fall in the ball of [`Law::LogVolumeMonteCarlo`] (relative standard
/// error of `P̂` at most `1/√50 ≈ 14%`, so the normal approximation of `ln P̂` holds).
const MIN_BALL_HITS: usize = 50;

/// [`Law::LogVolumeMonteCarlo`].
fn log_volume_monte_carlo(
    m: &dyn Manifold,
    model: &Model,
    options: &LawOptions,
    alpha: f64,
    seed: u64,
    t: &mut super::Tracker<'_>,
) -> Result<(), LawFailure> {
    let mut rng = rng_from_seed(seed);
    let (n, d) = (m.ambient_dim(), m.dim());
    let x = uniform_point(m, &mut rng);
    // Radius: the median distance of a pilot sample, capped at f·r_inj.
    let mut pilot: Vec<f64> = (0..200)
        .map(|_| m.distance(&x, &uniform_point(m, &mut rng)))
        .collect();
    pilot.sort_by(f64::total_cmp);
    let r = pilot[pilot.len() / 2].min(model.fraction * model.r_inj);
    // Fraction of uniform points in the ball.
    let samples = options.samples;
    let inside = (0..samples)
        .filter(|_| m.distance(&x, &uniform_point(m, &mut rng)) < r)
        .count();
    let p_hat = inside as f64 / samples as f64;
    // The estimate needs points inside the ball: in high dimension the largest admissible ball
    // (radius f·r_inj) holds a vanishing fraction of the volume. Refuse to judge rather than
    // report a meaningless z (the caller can give `reference_log_volume` and switch this law
    // off with `monte_carlo_volume = false`).
    if inside < MIN_BALL_HITS {
        return Err(t.failure(
            inside as f64,
            MIN_BALL_HITS as f64,
            &x,
            format!(
                "only {inside} of {samples} uniform points fall in the ball of radius {r:.4} \
                 (at least {MIN_BALL_HITS} needed): the Monte Carlo volume cannot be estimated \
                 on this manifold; set LawOptions::monte_carlo_volume = false and give \
                 reference_log_volume"
            ),
        ));
    }
    // E[J] over the tangent ball by central differences of log_y ∘ exp_x.
    let chart_samples = (samples / 10).max(100);
    let step = 1e-5;
    let basis_x = basis(m, &x);
    let mut jacobians = Vec::with_capacity(chart_samples);
    for _ in 0..chart_samples {
        let radius = r * unit(&mut rng).powf(1.0 / d as f64);
        let v = tangent_of_length(m, &x, radius, &mut rng);
        let y = exp(m, &x, &v);
        let basis_y = basis(m, &y);
        let mut jac = vec![0.0; d * d];
        for (j, e) in basis_x.iter().enumerate() {
            let plus = log(m, &y, &exp(m, &x, &add_scaled(&v, step, e)));
            let minus = log(m, &y, &exp(m, &x, &add_scaled(&v, -step, e)));
            let column: Vec<f64> = plus
                .iter()
                .zip(&minus)
                .map(|(a, b)| (a - b) / (2.0 * step))
                .collect();
            for (i, f) in basis_y.iter().enumerate() {
                jac[i * d + j] = m.inner(&y, f, &column);
            }
        }
        jacobians.push(log_abs_det(jac, d).exp());
    }
    let (mean_j, var_j) = mean_var(&jacobians);
    let log_ball_unit = 0.5 * d as f64 * PI.ln() - ln_gamma(0.5 * d as f64 + 1.0);
    let log_ball = log_ball_unit + d as f64 * r.ln() + mean_j.ln();
    let estimate = log_ball - p_hat.ln();
    let se = (var_j / (chart_samples as f64 * mean_j * mean_j)
        + (1.0 - p_hat) / (samples as f64 * p_hat))
        .sqrt();
    let z = (estimate - m.log_volume()) / se;
    t.count_test();
    let _ = n;
    t.check(z.abs(), z_critical(alpha), &x, || {
        format!(
            "Monte Carlo log volume {estimate:.5} ± {se:.2e} vs log_volume() = {:.5} \
             (r = {r:.4}, P(d < r) = {p_hat:.4}, E[J] = {mean_j:.4e})",
            m.log_volume()
        )
    })
}

/// The laws of the declared capabilities: coordinate blocks, metric form, projection form.
fn capability_laws(
    m: &dyn Manifold,
    suite: &mut Suite<'_>,
    cases: usize,
    eta: f64,
    c: f64,
) -> Result<(), LawFailure> {
    let (n, d) = (m.ambient_dim(), m.dim());
    let blocks = m.coordinate_blocks();
    suite.cases(Law::CoordinateBlocksAreConsistent, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let covered: usize = blocks.iter().map(|b| b.len).sum();
        if covered != n || blocks.iter().any(|b| b.len == 0) {
            return Err(t.failure(
                (covered as f64 - n as f64).abs(),
                0.0,
                &x,
                format!("coordinate blocks {blocks:?} do not cover {n} coordinates"),
            ));
        }
        let mut start = 0;
        let mut shifted = x.clone();
        let mut p = vec![0.0; n];
        for block in &blocks {
            if block.kind == CoordinateKind::Angles {
                for j in start..start + block.len {
                    shifted[j] += 2.0 * PI;
                    m.project_point(&shifted, &mut p);
                    let e = point_error(m, &p, &x);
                    t.check(e, 2.0 * eta * (scale(&x) + 2.0 * PI), &x, || {
                        format!("angle coordinate {j} is not 2π-periodic: project_point(x + 2π e_j) = {p:?}")
                    })?;
                    shifted[j] = x[j];
                }
            }
            start += block.len;
        }
        Ok(true)
    })?;

    let weights = m.metric_form().diagonal(n);
    suite.cases(Law::MetricFormMatchesInner, cases, |rng, t| {
        let x = uniform_point(m, rng);
        let Some(w) = &weights else {
            return Ok(true);
        };
        let u = project_tangent(m, &x, &gaussian_vector(n, rng));
        let v = project_tangent(m, &x, &gaussian_vector(n, rng));
        let declared: f64 = (0..n).map(|j| w[j] * u[j] * v[j]).sum();
        let actual = m.inner(&x, &u, &v);
        t.check(
            (declared - actual).abs(),
            4.0 * eta * c.max(1.0) * norm(&u) * norm(&v),
            &x,
            || format!("declared metric weights give {declared}, inner gives {actual}"),
        )?;
        Ok(true)
    })?;

    let declared = m.tangent_projection();
    suite.cases(
        Law::ProjectionFormMatchesDifferences,
        cases.min(8),
        |rng, t| {
            let x = uniform_point(m, rng);
            let mut frame = vec![0.0; d * n];
            m.tangent_basis(&x, &mut frame);
            let (mut scratch, mut exact, mut differences) =
                (vec![0.0; 4 * n], vec![0.0; n], vec![0.0; n]);
            declared.curvature_covector(m, &x, &frame, &mut scratch, &mut exact);
            TangentProjection::Generic.curvature_covector(
                m,
                &x,
                &frame,
                &mut scratch,
                &mut differences,
            );
            let e = diff_norm(&exact, &differences);
            t.check(e, 1e-8 * (d as f64 + norm(&exact)), &x, || {
                format!(
                    "declared projection {declared:?} gives the curvature covector {exact:?}, \
                 central differences {differences:?}"
                )
            })?;
            Ok(true)
        },
    )
}
