//! [`check_lie_group_laws`]: group axioms and their compatibility with a bi-invariant metric.

use super::manifold_laws::Model;
use super::stats::{ks_critical, ks_statistic, two_sample_z, z_critical};
use super::util::{
    diff_norm, exp, log, membership_defect, norm, point_error, project_tangent, scale, scaled,
    tangent_of_length, uniform_point, unit,
};
use super::{Law, LawFailure, LawOptions, LawReport, Suite};
use crate::manifold::LieGroup;
use crate::random::rng_from_seed;

fn identity(g: &dyn LieGroup) -> Vec<f64> {
    let mut e = vec![0.0; g.ambient_dim()];
    g.identity(&mut e);
    e
}

fn compose(g: &dyn LieGroup, a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.ambient_dim()];
    g.compose(a, b, &mut out);
    out
}

fn inverse(g: &dyn LieGroup, a: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.ambient_dim()];
    g.inverse(a, &mut out);
    out
}

fn left(g: &dyn LieGroup, h: &[f64], v: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.ambient_dim()];
    g.translate_left(h, v, &mut out);
    out
}

fn right(g: &dyn LieGroup, v: &[f64], h: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.ambient_dim()];
    g.translate_right(v, h, &mut out);
    out
}

/// Checks the laws of a Lie group with a bi-invariant metric on [`LawOptions::cases`] random
/// cases each, and the statistical law [`Law::HaarInvariance`] (level [`LawOptions::level`]).
///
/// Laws, in order (formulas and tolerances in the docs of each [`Law`] variant):
/// [`Law::GroupClosure`], [`Law::Associativity`], [`Law::Identity`], [`Law::Inverse`],
/// [`Law::BiInvariantDistance`], [`Law::BiInvariantMetric`], [`Law::TranslatedExp`],
/// [`Law::TranslatedLog`], [`Law::OneParameterSubgroup`] (discards cases outside the injectivity
/// domain and requires the minimum number of accepted cases), [`Law::AdjointEquivariance`],
/// [`Law::HaarInvariance`].
///
/// The manifold laws of the group are checked separately by
/// [`check_manifold_laws`](super::check_manifold_laws). Get a `&dyn LieGroup` from a manifold
/// with [`Manifold::as_lie_group`](crate::manifold::Manifold::as_lie_group).
///
/// # Errors
/// The first violated law, as a [`LawFailure`].
///
/// # Panics
/// On inconsistent options.
pub fn check_lie_group_laws(
    group: &dyn LieGroup,
    options: &LawOptions,
) -> Result<LawReport, LawFailure> {
    let g = group;
    let mut suite = Suite::new(g.spec().to_string(), options);
    let model = Model::new(g, options);
    let (eta, c) = (model.eta, model.c);
    let cases = options.cases;
    let e = identity(g);
    let max_length = model.fraction * model.r_inj;

    suite.cases(Law::GroupClosure, cases, |rng, t| {
        let a = uniform_point(g, rng);
        let b = uniform_point(g, rng);
        let candidates = [
            ("identity", e.clone(), eta),
            ("a·b", compose(g, &a, &b), eta * scale(&a) * scale(&b)),
            ("a⁻¹", inverse(g, &a), eta * scale(&a)),
        ];
        for (what, point, tol) in candidates {
            let defect = membership_defect(g, &point, tol);
            t.check(defect.unwrap_or(f64::INFINITY), tol, &a, || {
                format!("{what} = {point:?} is not on the manifold")
            })?;
        }
        Ok(true)
    })?;

    suite.cases(Law::Associativity, cases, |rng, t| {
        let a = uniform_point(g, rng);
        let b = uniform_point(g, rng);
        let z = uniform_point(g, rng);
        let lhs = compose(g, &compose(g, &a, &b), &z);
        let rhs = compose(g, &a, &compose(g, &b, &z));
        let err = point_error(g, &lhs, &rhs);
        let s = scale(&a) * scale(&b) * scale(&z);
        t.check(err, 5.0 * eta * s, &a, || {
            format!("(ab)c = {lhs:?} ≠ a(bc) = {rhs:?}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::Identity, cases, |rng, t| {
        let a = uniform_point(g, rng);
        let s = scale(&e) * scale(&a);
        for (what, value) in [("e·a", compose(g, &e, &a)), ("a·e", compose(g, &a, &e))] {
            let err = point_error(g, &value, &a);
            t.check(err, 3.0 * eta * s, &a, || format!("{what} = {value:?} ≠ a"))?;
        }
        Ok(true)
    })?;

    suite.cases(Law::Inverse, cases, |rng, t| {
        let a = uniform_point(g, rng);
        let inv = inverse(g, &a);
        let s = scale(&a) * scale(&inv);
        for (what, value) in [
            ("a·a⁻¹", compose(g, &a, &inv)),
            ("a⁻¹·a", compose(g, &inv, &a)),
        ] {
            let err = point_error(g, &value, &e);
            t.check(err, 3.0 * eta * s, &a, || format!("{what} = {value:?} ≠ e"))?;
        }
        Ok(true)
    })?;

    suite.cases(Law::BiInvariantDistance, cases, |rng, t| {
        let a = uniform_point(g, rng);
        let b = uniform_point(g, rng);
        let h = uniform_point(g, rng);
        let reference = g.distance(&a, &b);
        let s = scale(&h) * scale(&a).max(scale(&b));
        let tol = 4.0 * eta * s * (1.0 + reference);
        let l = g.distance(&compose(g, &h, &a), &compose(g, &h, &b));
        let r = g.distance(&compose(g, &a, &h), &compose(g, &b, &h));
        t.check((l - reference).abs(), tol, &a, || {
            format!("d(ga, gb) = {l} ≠ d(a, b) = {reference}")
        })?;
        t.check((r - reference).abs(), tol, &a, || {
            format!("d(ag, bg) = {r} ≠ d(a, b) = {reference}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::BiInvariantMetric, cases, |rng, t| {
        let x = uniform_point(g, rng);
        let h = uniform_point(g, rng);
        let u = tangent_of_length(g, &x, 1.0, rng);
        let w = tangent_of_length(g, &x, 1.0, rng);
        let reference = g.inner(&x, &u, &w);
        let s = scale(&x) * scale(&h);
        for (what, point, tu, tw) in [
            ("left", compose(g, &h, &x), left(g, &h, &u), left(g, &h, &w)),
            ("right", compose(g, &x, &h), right(g, &u, &h), right(g, &w, &h)),
        ] {
            let p = project_tangent(g, &point, &tu);
            let err = diff_norm(&p, &tu);
            t.check(err, 2.0 * eta * s * scale(&tu), &x, || {
                format!("the {what}-translated tangent vector is not tangent at the translated point: ‖Pv − v‖ = {err:e}")
            })?;
            let value = g.inner(&point, &tu, &tw);
            t.check((value - reference).abs(), 4.0 * eta * c * s * norm(&u) * norm(&w), &x, || {
                format!("{what} translation changes ⟨u, w⟩ = {reference} into {value}")
            })?;
        }
        Ok(true)
    })?;

    suite.cases(Law::TranslatedExp, cases, |rng, t| {
        let x = uniform_point(g, rng);
        let length = max_length * unit(rng);
        let v = tangent_of_length(g, &x, length, rng);
        let inv = inverse(g, &x);
        let direct = exp(g, &x, &v);
        let via_left = compose(g, &x, &exp(g, &e, &left(g, &inv, &v)));
        let via_right = compose(g, &exp(g, &e, &right(g, &v, &inv)), &x);
        let tol = 5.0 * eta * scale(&x) * (scale(&x) + norm(&v));
        for (what, value) in [("x·exp_e(x⁻¹v)", via_left), ("exp_e(vx⁻¹)·x", via_right)] {
            let err = point_error(g, &value, &direct);
            t.check(err, tol, &x, || {
                format!("exp_x(v) = {direct:?} ≠ {what} = {value:?} (‖v‖_g = {length})")
            })?;
        }
        Ok(true)
    })?;

    suite.cases(Law::TranslatedLog, cases, |rng, t| {
        let x = uniform_point(g, rng);
        let length = max_length * unit(rng);
        let v = tangent_of_length(g, &x, length, rng);
        let y = exp(g, &x, &v);
        let direct = log(g, &x, &y);
        let translated = left(g, &x, &log(g, &e, &compose(g, &inverse(g, &x), &y)));
        let err = diff_norm(&direct, &translated);
        let tol = 4.0 * eta * scale(&x) * (scale(&x) + norm(&v)) * model.kappa(length);
        t.check(err, tol, &x, || {
            format!("log_x(y) = {direct:?} ≠ x·log_e(x⁻¹y) = {translated:?}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::OneParameterSubgroup, cases, |rng, t| {
        let xi = tangent_of_length(g, &e, 1.0, rng);
        let (a, b) = (
            max_length * (2.0 * unit(rng) - 1.0),
            max_length * (2.0 * unit(rng) - 1.0),
        );
        if (a + b).abs() > max_length {
            return Ok(false);
        }
        let ea = exp(g, &e, &scaled(&xi, a));
        let eb = exp(g, &e, &scaled(&xi, b));
        let sum = exp(g, &e, &scaled(&xi, a + b));
        let product = compose(g, &ea, &eb);
        let s = scale(&e) * (scale(&e) + a.abs() + b.abs());
        let err = point_error(g, &product, &sum);
        t.check(err, 5.0 * eta * s, &e, || {
            format!("exp(aξ)·exp(bξ) = {product:?} ≠ exp((a + b)ξ) = {sum:?} (a = {a}, b = {b})")
        })?;
        let minus = exp(g, &e, &scaled(&xi, -a));
        let inv = inverse(g, &ea);
        let err = point_error(g, &inv, &minus);
        t.check(err, 3.0 * eta * s, &e, || {
            format!("exp(aξ)⁻¹ = {inv:?} ≠ exp(−aξ) = {minus:?} (a = {a})")
        })?;
        let logged = log(g, &e, &product);
        let expected = scaled(&xi, a + b);
        let err = diff_norm(&logged, &expected);
        t.check(err, 5.0 * eta * s * model.kappa((a + b).abs()), &e, || {
            format!("log_e(exp(aξ)·exp(bξ)) = {logged:?} ≠ (a + b)ξ = {expected:?}")
        })?;
        Ok(true)
    })?;

    suite.cases(Law::AdjointEquivariance, cases, |rng, t| {
        let h = uniform_point(g, rng);
        let xi = tangent_of_length(g, &e, max_length * unit(rng), rng);
        let h_inv = inverse(g, &h);
        let conjugated = compose(g, &compose(g, &h, &exp(g, &e, &xi)), &h_inv);
        let adjoint = right(g, &left(g, &h, &xi), &h_inv);
        let direct = exp(g, &e, &adjoint);
        let err = point_error(g, &conjugated, &direct);
        let tol = 6.0 * eta * scale(&h).powi(2) * (scale(&e) + norm(&xi));
        t.check(err, tol, &h, || {
            format!("g·exp(ξ)·g⁻¹ = {conjugated:?} ≠ exp(gξg⁻¹) = {direct:?}")
        })?;
        Ok(true)
    })?;

    suite.once(Law::HaarInvariance, |seed, t| {
        let mut rng = rng_from_seed(seed);
        let n = options.samples;
        let u: Vec<Vec<f64>> = (0..n).map(|_| uniform_point(g, &mut rng)).collect();
        let u2: Vec<Vec<f64>> = (0..n).map(|_| uniform_point(g, &mut rng)).collect();
        let h = uniform_point(g, &mut rng);
        let near = exp(g, &e, &tangent_of_length(g, &e, 1.0, &mut rng));
        let coordinates = g.ambient_dim().min(4);
        let family = 2 + 2 * (coordinates + 1);
        let alpha = options.level / family as f64;
        let half = n / 2;
        let distances =
            |centre: &[f64], rows: &[Vec<f64>]| -> Vec<f64> { rows.iter().map(|x| g.distance(centre, x)).collect() };
        let from_identity = distances(&e, &u[..half]);
        for (what, centre) in [("a Haar-random g", &h), ("exp_e(ξ), ‖ξ‖ = 1", &near)] {
            let other = distances(centre, &u[half..]);
            let stat = ks_statistic(&from_identity, &other);
            let crit = ks_critical(from_identity.len(), other.len(), alpha);
            t.count_test();
            t.check(stat, crit, centre, || {
                format!("Kolmogorov–Smirnov: d(e, U) and d(c, U) differ in law for c = {what} (D = {stat:.4})")
            })?;
        }
        let features = |x: &[f64]| -> Vec<f64> {
            let mut f: Vec<f64> = x[..coordinates].to_vec();
            f.push(g.distance(&e, x));
            f
        };
        let reference: Vec<Vec<f64>> = u2.iter().map(|x| features(x)).collect();
        for (what, translated) in [
            ("g·U", u.iter().map(|x| features(&compose(g, &h, x))).collect::<Vec<_>>()),
            ("U·g", u.iter().map(|x| features(&compose(g, x, &h))).collect::<Vec<_>>()),
        ] {
            for k in 0..=coordinates {
                let a: Vec<f64> = translated.iter().map(|f| f[k]).collect();
                let b: Vec<f64> = reference.iter().map(|f| f[k]).collect();
                let z = two_sample_z(&a, &b);
                let name = if k < coordinates {
                    format!("coordinate {k}")
                } else {
                    "d(e, ·)".to_string()
                };
                t.count_test();
                t.check(z.abs(), z_critical(alpha), &h, || {
                    format!("mean of {name} differs between {what} and U (two-sample z = {z:.3})")
                })?;
            }
        }
        Ok(())
    })?;

    Ok(suite.finish())
}
