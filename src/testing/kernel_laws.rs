//! [`check_heat_kernel_laws`]: validation, batch paths, symmetry, score, heat equation and
//! normalisation of a heat kernel.

use super::manifold_laws::Model;
use super::stats::{mean_var, z_critical};
use super::util::{
    basis, diff_norm, exp, off_manifold_points, project_tangent, scale, scaled, uniform_point,
};
use super::{Law, LawFailure, LawOptions, LawReport, Suite, Tracker};
use crate::error::Error;
use crate::heat_kernel::{HeatKernel, BATCH_CHUNK_ROWS};
use crate::manifold::Manifold;
use crate::random::{rng_from_seed, Rng};

/// `x₀` uniform and `x` either near `x₀` (`exp_{x₀}(√t z)`, `z` a tangent normal) or uniform.
pub(crate) fn kernel_pair(
    m: &dyn Manifold,
    t: f64,
    near: bool,
    rng: &mut Rng,
) -> (Vec<f64>, Vec<f64>) {
    let x0 = uniform_point(m, rng);
    let x = if near {
        let mut z = vec![0.0; m.ambient_dim()];
        m.sample_tangent_normal(&x0, rng, &mut z);
        exp(m, &x0, &scaled(&z, t.sqrt()))
    } else {
        uniform_point(m, rng)
    };
    (x0, x)
}

fn is_time_error(e: &Error) -> bool {
    matches!(e, Error::InvalidArgument { .. } | Error::NonFinite { .. })
}

/// The error kinds accepted for a bad point (see [`Law::RejectsBadPoints`]).
#[derive(Clone, Copy, Debug)]
enum BadPoint {
    Length,
    NaN,
    OffManifold,
}

impl BadPoint {
    fn accepts(self, e: &Error) -> bool {
        match self {
            BadPoint::Length => matches!(e, Error::DimensionMismatch { .. }),
            BadPoint::NaN => matches!(e, Error::NonFinite { .. } | Error::NotOnManifold { .. }),
            BadPoint::OffManifold => matches!(e, Error::NotOnManifold { .. }),
        }
    }
}

fn describe<T>(r: &crate::Result<T>) -> String {
    match r {
        Ok(_) => "Ok".to_string(),
        Err(e) => format!("Err({e})"),
    }
}

/// Turns a kernel error inside a law into a failure of that law.
fn evaluated<T>(
    t: &mut Tracker<'_>,
    r: crate::Result<T>,
    point: &[f64],
    what: &str,
) -> Result<T, LawFailure> {
    match r {
        Ok(v) => Ok(v),
        Err(e) => Err(t.failure(
            f64::INFINITY,
            0.0,
            point,
            format!("{what} returned an error: {e}"),
        )),
    }
}

/// Checks the laws of a heat kernel `p_t(x₀, x)` of `∂_t p = ½Δp` (Brownian time, density
/// w.r.t. the Riemannian volume, score = Riemannian gradient in `x`) on its manifold.
///
/// Laws, in order (formulas and tolerances in the docs of each [`Law`] variant):
/// [`Law::RejectsBadTime`], [`Law::RejectsBadPoints`], [`Law::BatchMatchesPointwise`],
/// [`Law::BatchDeterministic`], [`Law::KernelSymmetry`], [`Law::KernelBiInvariance`] (on Lie
/// groups only), [`Law::ScoreIsTangent`],
/// [`Law::ScoreIsGradient`], [`Law::HeatEquation`], [`Law::Normalisation`]. The pointwise laws
/// run at every time of [`LawOptions::times`] on [`LawOptions::kernel_cases`] pairs
/// `(x₀, x)` each (half with `x` at distance `~√t` from `x₀`, half uniform). The kernel's
/// claimed accuracy enters through [`LawOptions::log_prob_accuracy`] and
/// [`LawOptions::score_accuracy`].
///
/// Uses only `manifold`, `log_prob`, `score`, `log_prob_batch` and `score_batch` of the kernel.
/// Cost: about `(times·kernel_cases)·(6·dim + 10) + samples + 2000` kernel evaluations.
///
/// # Errors
/// The first violated law, as a [`LawFailure`] (a kernel error where a value was expected is a
/// failure of the law that asked for it).
///
/// # Panics
/// On inconsistent options.
pub fn check_heat_kernel_laws(
    kernel: &dyn HeatKernel,
    options: &LawOptions,
) -> Result<LawReport, LawFailure> {
    let m = kernel.manifold();
    let mut suite = Suite::new(format!("heat kernel on {}", m.spec()), options);
    let model = Model::new(m, options);
    let eta = model.eta;
    let (n, d) = (m.ambient_dim(), m.dim());
    let (a_p, a_s) = (options.log_prob_accuracy, options.score_accuracy);
    let times = options.times.clone();
    let per_time = options.kernel_cases.max(1);
    let pointwise_cases = times.len() * per_time;
    let case_time = |i: usize| (times[i / per_time], i % 2 == 0);

    suite.cases(Law::RejectsBadTime, 1, |rng, t| {
        let x0 = uniform_point(m, rng);
        let x = uniform_point(m, rng);
        for bad in [0.0, -1.0, f64::NEG_INFINITY, f64::INFINITY, f64::NAN] {
            let mut s = vec![0.0; n];
            let mut out = [0.0];
            let results = [
                ("log_prob", kernel.log_prob(&x0, &x, bad).map(|_| ())),
                ("score", kernel.score(&x0, &x, bad, &mut s).map(|_| ())),
                (
                    "log_prob_batch",
                    kernel.log_prob_batch(&x0, &x, &[bad], &mut out).map(|_| ()),
                ),
                (
                    "score_batch",
                    kernel
                        .score_batch(&x0, &x, &[bad], &mut s, None)
                        .map(|_| ()),
                ),
            ];
            for (what, r) in results {
                let ok = matches!(&r, Err(e) if is_time_error(e));
                t.require(ok, &x, || {
                    format!(
                        "{what} at t = {bad} returned {}, expected an InvalidArgument error",
                        describe(&r)
                    )
                })?;
            }
        }
        Ok(true)
    })?;

    suite.cases(Law::RejectsBadPoints, 1, |rng, t| {
        let x0 = uniform_point(m, rng);
        let x = uniform_point(m, rng);
        let time = 0.5;
        let mut bad: Vec<(BadPoint, Vec<f64>)> = vec![
            (BadPoint::Length, x[..n - 1].to_vec()),
            (BadPoint::Length, [x.clone(), vec![0.0]].concat()),
        ];
        let mut nan = x.clone();
        nan[0] = f64::NAN;
        bad.push((BadPoint::NaN, nan));
        let off = off_manifold_points(m, &x);
        t.require(!off.is_empty(), &x, || {
            "no off-manifold candidate was rejected by check_point".to_string()
        })?;
        bad.extend(off.into_iter().map(|p| (BadPoint::OffManifold, p)));
        for (kind, b) in &bad {
            let mut s = vec![0.0; n];
            let mut out = [0.0];
            let results = [
                ("log_prob(bad, x)", kernel.log_prob(b, &x, time).map(|_| ())),
                (
                    "log_prob(x0, bad)",
                    kernel.log_prob(&x0, b, time).map(|_| ()),
                ),
                (
                    "score(bad, x)",
                    kernel.score(b, &x, time, &mut s).map(|_| ()),
                ),
                (
                    "score(x0, bad)",
                    kernel.score(&x0, b, time, &mut s).map(|_| ()),
                ),
                (
                    "log_prob_batch(bad, x)",
                    kernel.log_prob_batch(b, &x, &[time], &mut out).map(|_| ()),
                ),
                (
                    "log_prob_batch(x0, bad)",
                    kernel.log_prob_batch(&x0, b, &[time], &mut out).map(|_| ()),
                ),
                (
                    "score_batch(x0, bad)",
                    kernel
                        .score_batch(&x0, b, &[time], &mut s, None)
                        .map(|_| ()),
                ),
            ];
            for (what, r) in results {
                let ok = matches!(&r, Err(e) if kind.accepts(e));
                t.require(ok, b, || {
                    format!(
                        "{what} with a bad point ({kind:?}) returned {}",
                        describe(&r)
                    )
                })?;
            }
        }
        Ok(true)
    })?;

    // Batch inputs: more than two chunks of rows, per-row origins and times.
    let rows = 2 * BATCH_CHUNK_ROWS + 7;
    let batch_seed = super::util::case_seed(options.seed, Law::BatchMatchesPointwise, 0);
    let (x0_one, x_rows, x0_rows, t_rows) = {
        let mut rng = rng_from_seed(batch_seed);
        let x0 = uniform_point(m, &mut rng);
        let mut xs = Vec::with_capacity(rows * n);
        let mut x0s = Vec::with_capacity(rows * n);
        let mut ts = Vec::with_capacity(rows);
        for i in 0..rows {
            let time = times[i % times.len()];
            let (a, b) = kernel_pair(m, time, i % 2 == 0, &mut rng);
            x0s.extend_from_slice(&a);
            xs.extend_from_slice(&b);
            ts.push(time);
        }
        (x0, xs, x0s, ts)
    };
    let shared_t = times[times.len() / 2];

    suite.cases(Law::BatchMatchesPointwise, 1, |_, t| {
        for (label, x0s, ts) in [
            ("shared x0 and t", &x0_one, vec![shared_t]),
            ("per-row x0 and t", &x0_rows, t_rows.clone()),
        ] {
            let mut lp = vec![0.0; rows];
            let r = kernel.log_prob_batch(x0s, &x_rows, &ts, &mut lp);
            evaluated(t, r, &x0_one, &format!("log_prob_batch ({label})"))?;
            let mut scores = vec![0.0; rows * n];
            let mut lp2 = vec![0.0; rows];
            let r = kernel.score_batch(x0s, &x_rows, &ts, &mut scores, Some(&mut lp2));
            evaluated(t, r, &x0_one, &format!("score_batch ({label})"))?;
            let mut scores3 = vec![0.0; rows * n];
            let r = kernel.score_batch(x0s, &x_rows, &ts, &mut scores3, None);
            evaluated(
                t,
                r,
                &x0_one,
                &format!("score_batch without log p ({label})"),
            )?;
            for i in 0..rows {
                let x0 = if x0s.len() == n {
                    &x0s[..]
                } else {
                    &x0s[i * n..(i + 1) * n]
                };
                let x = &x_rows[i * n..(i + 1) * n];
                let time = if ts.len() == 1 { ts[0] } else { ts[i] };
                let mut s = vec![0.0; n];
                let e = evaluated(t, kernel.score(x0, x, time, &mut s), x, "score")?;
                let lp_point = evaluated(t, kernel.log_prob(x0, x, time), x, "log_prob")?.log_prob;
                let tol_lp = 2.0 * a_p + eta * (1.0 + lp_point.abs());
                for (what, value) in [
                    ("log_prob_batch", lp[i]),
                    ("score_batch log p", lp2[i]),
                    ("score's log p", e.log_prob),
                ] {
                    t.check((value - lp_point).abs(), tol_lp, x, || {
                        format!("row {i} ({label}): {what} = {value} ≠ log_prob = {lp_point}")
                    })?;
                }
                let tol_s = 2.0 * a_s * scale(&s);
                for (what, batch) in [
                    ("score_batch", &scores),
                    ("score_batch (no log p)", &scores3),
                ] {
                    let err = diff_norm(&batch[i * n..(i + 1) * n], &s);
                    t.check(err, tol_s, x, || {
                        format!("row {i} ({label}): {what} differs from score by {err:e}")
                    })?;
                }
            }
        }
        Ok(true)
    })?;

    suite.cases(Law::BatchDeterministic, 1, |_, t| {
        let run = || -> crate::Result<(Vec<f64>, Vec<f64>)> {
            let mut lp = vec![0.0; rows];
            kernel.log_prob_batch(&x0_rows, &x_rows, &t_rows, &mut lp)?;
            let mut s = vec![0.0; rows * n];
            kernel.score_batch(&x0_rows, &x_rows, &t_rows, &mut s, None)?;
            Ok((lp, s))
        };
        let first = evaluated(t, run(), &x0_one, "batch evaluation")?;
        let second = evaluated(t, run(), &x0_one, "batch evaluation")?;
        let single = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
            Ok(pool) => evaluated(t, pool.install(run), &x0_one, "batch evaluation")?,
            Err(_) => first.clone(),
        };
        for (what, other) in [("a second call", &second), ("a one-thread pool", &single)] {
            let same = first
                .0
                .iter()
                .zip(&other.0)
                .all(|(a, b)| a.to_bits() == b.to_bits())
                && first
                    .1
                    .iter()
                    .zip(&other.1)
                    .all(|(a, b)| a.to_bits() == b.to_bits());
            t.require(same, &x0_one, || {
                format!("batch results differ bitwise in {what}")
            })?;
        }
        Ok(true)
    })?;

    suite.cases(Law::KernelSymmetry, pointwise_cases, |rng, t| {
        let (time, near) = case_time(t.case.unwrap_or(0));
        let (x0, x) = kernel_pair(m, time, near, rng);
        let mut s = vec![0.0; n];
        let forward = evaluated(t, kernel.score(&x0, &x, time, &mut s), &x, "score")?.log_prob;
        let backward = evaluated(t, kernel.log_prob(&x, &x0, time), &x, "log_prob")?.log_prob;
        let s_norm = m.norm_squared(&x, &s).max(0.0).sqrt();
        let sc = scale(&x0).max(scale(&x));
        let tol = 2.0 * a_p + 2.0 * eta * sc * (1.0 + forward.abs() + s_norm);
        t.check((forward - backward).abs(), tol, &x, || {
            format!("t = {time}: log p(x0, x) = {forward} ≠ log p(x, x0) = {backward}")
        })?;
        Ok(true)
    })?;

    if let Some(group) = m.as_lie_group() {
        suite.cases(Law::KernelBiInvariance, pointwise_cases, |rng, t| {
            let (time, near) = case_time(t.case.unwrap_or(0));
            let (x0, x) = kernel_pair(m, time, near, rng);
            let h = uniform_point(m, rng);
            let mut s = vec![0.0; n];
            let lp = evaluated(t, kernel.score(&x0, &x, time, &mut s), &x, "score")?.log_prob;
            let s_norm = m.norm_squared(&x, &s).max(0.0).sqrt();
            let sc = scale(&h) * scale(&x0).max(scale(&x));
            let tol_lp = 2.0 * a_p + 2.0 * eta * sc * (1.0 + lp.abs() + s_norm);
            let tol_s = 2.0 * a_s * s_norm.max(1.0) + 8.0 * eta * sc * (1.0 + s_norm + 1.0 / time);
            let product = |a: &[f64], b: &[f64]| {
                let mut out = vec![0.0; n];
                group.compose(a, b, &mut out);
                out
            };
            let mut expected_left = vec![0.0; n];
            group.translate_left(&h, &s, &mut expected_left);
            let mut expected_right = vec![0.0; n];
            group.translate_right(&s, &h, &mut expected_right);
            for (what, a, b, expected) in [
                ("left", product(&h, &x0), product(&h, &x), expected_left),
                ("right", product(&x0, &h), product(&x, &h), expected_right),
            ] {
                let mut st = vec![0.0; n];
                let e = evaluated(t, kernel.score(&a, &b, time, &mut st), &b, "score")?;
                t.check((e.log_prob - lp).abs(), tol_lp, &x, || {
                    format!("t = {time}: {what} translation changes log p = {lp} into {}", e.log_prob)
                })?;
                let err = diff_norm(&st, &expected);
                t.check(err, tol_s, &x, || {
                    format!("t = {time}: the score is not {what}-equivariant: ‖s(g·) − g·s‖ = {err:e} (‖s‖ = {s_norm:e})")
                })?;
            }
            Ok(true)
        })?;
    }

    suite.cases(Law::ScoreIsTangent, pointwise_cases, |rng, t| {
        let (time, near) = case_time(t.case.unwrap_or(0));
        let (x0, x) = kernel_pair(m, time, near, rng);
        let mut s = vec![0.0; n];
        evaluated(t, kernel.score(&x0, &x, time, &mut s), &x, "score")?;
        let p = project_tangent(m, &x, &s);
        let err = diff_norm(&p, &s);
        t.check(err, 2.0 * eta * scale(&x) * scale(&s), &x, || {
            format!("t = {time}: the score is not tangent: ‖Ps − s‖ = {err:e}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::ScoreIsGradient, pointwise_cases, |rng, t| {
        let (time, near) = case_time(t.case.unwrap_or(0));
        let (x0, x) = kernel_pair(m, time, near, rng);
        let mut s = vec![0.0; n];
        let centre = evaluated(t, kernel.score(&x0, &x, time, &mut s), &x, "score")?.log_prob;
        let s_norm = m.norm_squared(&x, &s).max(0.0).sqrt();
        let sc = scale(&x0).max(scale(&x));
        let h = options.gradient_step * time.sqrt().min(1.0);
        for (i, e) in basis(m, &x).iter().enumerate() {
            let mut f = |sigma: f64| -> Result<f64, LawFailure> {
                let y = exp(m, &x, &scaled(e, sigma));
                Ok(evaluated(t, kernel.log_prob(&x0, &y, time), &y, "log_prob")?.log_prob)
            };
            let (p1, m1, p2, m2) = (f(h)?, f(-h)?, f(2.0 * h)?, f(-2.0 * h)?);
            let d1 = (p1 - m1) / (2.0 * h);
            let d2 = (p2 - m2) / (4.0 * h);
            let largest = [centre, p1, m1, p2, m2].iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let delta = a_p + eta * sc * (1.0 + largest + s_norm);
            let (rho1, rho2) = (delta / h, delta / (2.0 * h));
            let truncation = ((d2 - d1).abs() + rho1 + rho2) / 3.0;
            let analytic = m.inner(&x, &s, e);
            let tol = 2.0 * truncation + rho1 + a_s * s_norm.max(1.0) + eta * s_norm;
            t.check((analytic - d1).abs(), tol, &x, || {
                format!(
                    "t = {time}, basis vector {i}: ⟨score, e⟩ = {analytic} but the central difference is {d1} \
                     (h = {h:.2e}; D(2h) = {d2}; log p = {centre})"
                )
            })?;
        }
        Ok(true)
    })?;

    suite.cases(Law::HeatEquation, pointwise_cases, |rng, t| {
        let (time, near) = case_time(t.case.unwrap_or(0));
        let (x0, x) = kernel_pair(m, time, near, rng);
        let sc = scale(&x0).max(scale(&x));
        let rows = basis(m, &x);
        let ell = time.sqrt().min(1.0);
        let residual = |t: &mut Tracker<'_>, h: f64, k: f64| -> Result<(f64, f64, f64), LawFailure> {
            let mut values = Vec::with_capacity(2 * d + 3);
            let mut lp = |t: &mut Tracker<'_>, y: &[f64], tt: f64| -> Result<f64, LawFailure> {
                let v = evaluated(t, kernel.log_prob(&x0, y, tt), y, "log_prob")?.log_prob;
                values.push(v);
                Ok(v)
            };
            let l0 = lp(t, &x, time)?;
            let dt = (lp(t, &x, time + k)? - lp(t, &x, time - k)?) / (2.0 * k);
            let (mut laplacian, mut grad_sq, mut grad_l1) = (0.0, 0.0, 0.0);
            for e in &rows {
                let plus = lp(t, &exp(m, &x, &scaled(e, h)), time)?;
                let minus = lp(t, &exp(m, &x, &scaled(e, -h)), time)?;
                laplacian += (plus - 2.0 * l0 + minus) / (h * h);
                let g = (plus - minus) / (2.0 * h);
                grad_sq += g * g;
                grad_l1 += g.abs();
            }
            let largest = values.iter().fold(0.0f64, |a, b| a.max(b.abs()));
            let delta = a_p + eta * sc * (1.0 + largest + grad_sq.sqrt());
            let rounding = delta / k + 2.0 * d as f64 * delta / (h * h) + delta * grad_l1 / h;
            let model = a_p * (1.0 / time + d as f64 / (ell * ell) + grad_l1 / ell);
            Ok((dt - 0.5 * (laplacian + grad_sq), rounding, model))
        };
        let h = options.laplacian_step * ell;
        let k = options.time_step * time;
        let (r1, rho1, model1) = residual(t, h, k)?;
        let (r2, rho2, _) = residual(t, 2.0 * h, 2.0 * k)?;
        let truncation = ((r2 - r1).abs() + rho1 + rho2) / 3.0;
        let tol = 2.0 * truncation + rho1 + model1;
        t.check(r1.abs(), tol, &x, || {
            format!(
                "t = {time}: ∂_t log p − ½(Δ log p + |∇ log p|²) = {r1:e} (at steps 2h, 2k: {r2:e}; \
                 h = {h:.2e}, k = {k:.2e})"
            )
        })?;
        Ok(true)
    })?;

    suite.once(Law::Normalisation, |seed, t| {
        let mut rng = rng_from_seed(seed);
        let x0 = uniform_point(m, &mut rng);
        let log_volume = m.log_volume();
        let variance = |t: &mut Tracker<'_>, time: f64| -> Result<f64, LawFailure> {
            let diagonal =
                evaluated(t, kernel.log_prob(&x0, &x0, 2.0 * time), &x0, "log_prob(x0, x0, 2t)")?;
            Ok((log_volume + diagonal.log_prob).exp() - 1.0)
        };
        let mut eligible = Vec::new();
        for &time in &times {
            let v = variance(t, time)?;
            if v <= options.max_weight_variance {
                eligible.push((time, v));
            }
        }
        if eligible.is_empty() {
            let mut time = times.iter().cloned().fold(0.0, f64::max);
            for _ in 0..30 {
                time *= 2.0;
                let v = variance(t, time)?;
                if v <= options.max_weight_variance {
                    eligible.push((time, v));
                    break;
                }
            }
        }
        t.require(!eligible.is_empty(), &x0, || {
            "no time up to 2³⁰·max(times) has a bounded weight variance".to_string()
        })?;
        let alpha = options.level / eligible.len() as f64;
        let samples = options.samples;
        let mut us = Vec::with_capacity(samples * n);
        for _ in 0..samples {
            us.extend(uniform_point(m, &mut rng));
        }
        for (time, predicted) in eligible {
            let mut lp = vec![0.0; samples];
            let r = kernel.log_prob_batch(&x0, &us, &[time], &mut lp);
            evaluated(t, r, &x0, "log_prob_batch")?;
            let w: Vec<f64> = lp.iter().map(|l| (l + log_volume).exp()).collect();
            let (mean, var) = mean_var(&w);
            let sigma2 = predicted.max(var);
            let z = (mean - 1.0) / (sigma2 / samples as f64).sqrt();
            t.count_test();
            t.check(z.abs(), z_critical(alpha), &x0, || {
                format!(
                    "t = {time}: E_U[Vol·p_t(x0, U)] = {mean:.5} ≠ 1 (z = {z:.2}; predicted variance {predicted:.3}, \
                     sample variance {var:.3})"
                )
            })?;
        }
        Ok(())
    })?;

    Ok(suite.finish())
}
