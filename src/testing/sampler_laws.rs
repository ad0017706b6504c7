//! [`check_sampler_matches_kernel`]: a heat-kernel sampler draws from the law its kernel states.

use super::manifold_laws::Model;
use super::stats::{mean_var, snis, z_critical};
use super::util::{
    basis, exp, membership_defect, off_manifold_points, scale, scaled, uniform_point,
};
use super::{Law, LawFailure, LawOptions, LawReport, Suite, Tracker};
use crate::heat_kernel::HeatKernel;
use crate::manifold::Manifold;
use crate::random::rng_from_seed;
use crate::sampling::{HeatKernelSampler, SAMPLE_CHUNK_ROWS};
use rayon::prelude::*;

/// Step of the finite differences of the Stein test functions (their derivatives are `O(1)`).
const STEIN_STEP: f64 = 1e-3;

/// The smooth test functions of [`Law::SteinIdentity`] at `x`, relative to `x₀`:
/// `f₁ = Σ_k (1 − cos(x_k − x₀_k))`, `f₁²`, `sin(x₀ − x₀₀)`, `sin(x₁ − x₀₁)` (the last only if
/// the ambient dimension is at least 2).
fn stein_functions(x0: &[f64], x: &[f64]) -> Vec<f64> {
    let f1: f64 = x.iter().zip(x0).map(|(a, b)| 1.0 - (a - b).cos()).sum();
    let mut f = vec![f1, f1 * f1];
    for k in 0..x.len().min(2) {
        f.push((x[k] - x0[k]).sin());
    }
    f
}

fn stein_names(count: usize) -> Vec<String> {
    let mut names = vec!["f₁ = Σ(1 − cos(x_k − x₀_k))".to_string(), "f₁²".to_string()];
    for k in 0..count - 2 {
        names.push(format!("sin(x_{k} − x₀_{k})"));
    }
    names
}

/// `⟨s, ∇f⟩ + Δf` at `x` for every Stein test function, by central differences along the
/// geodesics `exp_x(±h e_j)`.
fn stein_terms(m: &dyn Manifold, x0: &[f64], x: &[f64], score: &[f64]) -> Vec<f64> {
    let f0 = stein_functions(x0, x);
    let mut terms = vec![0.0; f0.len()];
    let h = STEIN_STEP;
    for e in basis(m, x) {
        let plus = stein_functions(x0, &exp(m, x, &scaled(&e, h)));
        let minus = stein_functions(x0, &exp(m, x, &scaled(&e, -h)));
        let s_e = m.inner(x, score, &e);
        for k in 0..f0.len() {
            let gradient = (plus[k] - minus[k]) / (2.0 * h);
            let second = (plus[k] - 2.0 * f0[k] + minus[k]) / (h * h);
            terms[k] += s_e * gradient + second;
        }
    }
    terms
}

/// The moment functions of [`Law::KernelMoments`]: the first `min(3, N)` ambient coordinates,
/// `d(x₀, x)` and `f₁`.
fn moment_functions(m: &dyn Manifold, x0: &[f64], x: &[f64]) -> Vec<f64> {
    let mut f: Vec<f64> = x[..x.len().min(3)].to_vec();
    f.push(m.distance(x0, x));
    f.push(x.iter().zip(x0).map(|(a, b)| 1.0 - (a - b).cos()).sum());
    f
}

fn moment_names(n: usize) -> Vec<String> {
    let mut names: Vec<String> = (0..n.min(3)).map(|k| format!("coordinate {k}")).collect();
    names.push("d(x₀, x)".to_string());
    names.push("f₁ = Σ(1 − cos(x_k − x₀_k))".to_string());
    names
}

fn kernel_error(t: &Tracker<'_>, e: crate::Error, point: &[f64], what: &str) -> LawFailure {
    t.failure(
        f64::INFINITY,
        0.0,
        point,
        format!("{what} returned an error: {e}"),
    )
}

/// Checks that `sampler` draws from `p_t(x₀, ·)` as `kernel` states it, with the laws (in
/// order; formulas and tolerances in the docs of each [`Law`] variant)
/// [`Law::SamplerRejectsBadInput`], [`Law::SamplerDeterministic`], [`Law::SamplesOnManifold`],
/// [`Law::SteinIdentity`] and [`Law::KernelMoments`], at every time of
/// [`LawOptions::sampler_times`] with [`LawOptions::sampler_draws`] draws from a uniform origin.
///
/// The distributional laws are two complementary families of `z` tests at the family-wise level
/// [`LawOptions::level`] (Bonferroni over all functions and times): the Stein identity uses the
/// kernel's score and works at any `t`; the moment comparison uses the kernel's `log p` through
/// self-normalised importance sampling from uniform draws and runs at the times where the
/// importance weights have bounded variance. The kernel should have passed
/// [`check_heat_kernel_laws`](super::check_heat_kernel_laws) (these laws trust its score and
/// normalisation).
///
/// Uses only `manifold`, `sample` and `sample_batch` of the sampler and `log_prob`,
/// `log_prob_batch`, `score_batch` of the kernel. Cost: `(2·dim + 1)` exponential maps and one
/// score per draw, `samples` kernel evaluations per eligible time, and `~1600` extra draws.
///
/// # Errors
/// The first violated law, as a [`LawFailure`].
///
/// # Panics
/// On inconsistent options, or if the sampler's and the kernel's manifolds have different
/// ambient dimensions.
pub fn check_sampler_matches_kernel(
    sampler: &dyn HeatKernelSampler,
    kernel: &dyn HeatKernel,
    options: &LawOptions,
) -> Result<LawReport, LawFailure> {
    let m = sampler.manifold();
    assert_eq!(
        m.ambient_dim(),
        kernel.manifold().ambient_dim(),
        "the sampler's and the kernel's manifolds differ"
    );
    let mut suite = Suite::new(format!("heat kernel sampler on {}", m.spec()), options);
    let model = Model::new(m, options);
    let eta = model.eta;
    let n = m.ambient_dim();
    let times = options.sampler_times.clone();

    suite.cases(Law::SamplerRejectsBadInput, 1, |rng, t| {
        let x0 = uniform_point(m, rng);
        let mut out = vec![0.0; n];
        let mut batch = vec![0.0; 3 * n];
        for bad in [0.0, -1.0, f64::NAN] {
            let one = sampler.sample(&x0, bad, rng, &mut out);
            let many = sampler.sample_batch(&x0, &[bad], 1, &mut batch);
            t.require(one.is_err() && many.is_err(), &x0, || {
                format!("sampling at t = {bad} did not return an error")
            })?;
        }
        let mut nan = x0.clone();
        nan[0] = f64::NAN;
        let mut bad = off_manifold_points(m, &x0);
        bad.push(nan);
        bad.push(x0[..n - 1].to_vec());
        for b in &bad {
            let one = sampler.sample(b, 0.5, rng, &mut out);
            let many = sampler.sample_batch(b, &[0.5], 1, &mut batch);
            t.require(one.is_err() && many.is_err(), b, || {
                "sampling from an origin off the manifold did not return an error".to_string()
            })?;
        }
        Ok(true)
    })?;

    suite.cases(Law::SamplerDeterministic, 1, |rng, t| {
        let x0 = uniform_point(m, rng);
        let time = times.first().copied().unwrap_or(0.5);
        let rows = 2 * SAMPLE_CHUNK_ROWS + 5;
        let seed = t.seed;
        let run = |seed: u64| -> crate::Result<Vec<f64>> {
            let mut out = vec![0.0; rows * n];
            sampler.sample_batch(&x0, &[time], seed, &mut out)?;
            Ok(out)
        };
        let first = run(seed).map_err(|e| kernel_error(t, e, &x0, "sample_batch"))?;
        let second = run(seed).map_err(|e| kernel_error(t, e, &x0, "sample_batch"))?;
        let single = match rayon::ThreadPoolBuilder::new().num_threads(1).build() {
            Ok(pool) => pool
                .install(|| run(seed))
                .map_err(|e| kernel_error(t, e, &x0, "sample_batch"))?,
            Err(_) => first.clone(),
        };
        let other = run(seed ^ 1).map_err(|e| kernel_error(t, e, &x0, "sample_batch"))?;
        let bitwise =
            |a: &[f64], b: &[f64]| a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits());
        t.require(bitwise(&first, &second), &x0, || {
            "sample_batch differs between two calls with the same seed".to_string()
        })?;
        t.require(bitwise(&first, &single), &x0, || {
            "sample_batch differs in a one-thread pool".to_string()
        })?;
        t.require(!bitwise(&first, &other), &x0, || {
            "sample_batch gives the same draws for two different seeds".to_string()
        })?;
        let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
        let mut r1 = rng_from_seed(seed);
        let mut r2 = r1.clone();
        let one = sampler.sample(&x0, time, &mut r1, &mut a);
        let two = sampler.sample(&x0, time, &mut r2, &mut b);
        t.require(one.is_ok() && two.is_ok() && bitwise(&a, &b), &x0, || {
            "sample with equal generators gives different draws".to_string()
        })?;
        Ok(true)
    })?;

    // Draws, scores and importance weights per time (shared by the distributional laws).
    struct Draws {
        time: f64,
        x0: Vec<f64>,
        rows: Vec<f64>,
        /// `Vol·p_{2t}(x₀, x₀) − 1`.
        weight_variance: f64,
    }
    let draws_seed = super::util::case_seed(options.seed, Law::SamplesOnManifold, 0);
    let mut draws = Vec::with_capacity(times.len());
    for (i, &time) in times.iter().enumerate() {
        let seed = draws_seed.wrapping_add(i as u64);
        let x0 = uniform_point(m, &mut rng_from_seed(seed));
        let mut rows = vec![0.0; options.sampler_draws * n];
        if let Err(e) = sampler.sample_batch(&x0, &[time], seed, &mut rows) {
            return Err(super::LawFailure {
                law: Law::SamplesOnManifold,
                subject: format!("heat kernel sampler on {}", m.spec()),
                case: None,
                seed,
                point: x0,
                error: f64::INFINITY,
                tolerance: 0.0,
                detail: format!("sample_batch at t = {time} returned an error: {e}"),
            });
        }
        let diagonal = kernel.log_prob(&x0, &x0, 2.0 * time);
        let weight_variance = match diagonal {
            Ok(e) => (m.log_volume() + e.log_prob).exp() - 1.0,
            Err(_) => f64::INFINITY,
        };
        draws.push(Draws {
            time,
            x0,
            rows,
            weight_variance,
        });
    }

    suite.once(Law::SamplesOnManifold, |_, t| {
        for d in &draws {
            for x in d.rows.chunks_exact(n) {
                let tol = 4.0 * eta * scale(&d.x0);
                let defect = membership_defect(m, x, tol);
                t.count_test();
                t.check(defect.unwrap_or(f64::INFINITY), tol, x, || {
                    format!("t = {}: a draw is not on the manifold", d.time)
                })?;
            }
        }
        Ok(())
    })?;

    let stein_count = stein_functions(&draws[0].x0, &draws[0].x0).len();
    let moment_count = moment_names(n).len();
    let eligible = draws
        .iter()
        .filter(|d| d.weight_variance <= options.max_weight_variance)
        .count();
    let family = times.len() * stein_count + eligible * moment_count;
    let alpha = options.level / family.max(1) as f64;
    let critical = z_critical(alpha);

    suite.once(Law::SteinIdentity, |_, t| {
        for d in &draws {
            let rows = d.rows.len() / n;
            let mut scores = vec![0.0; d.rows.len()];
            kernel
                .score_batch(&d.x0, &d.rows, &[d.time], &mut scores, None)
                .map_err(|e| kernel_error(t, e, &d.x0, "score_batch"))?;
            let terms: Vec<Vec<f64>> = (0..rows)
                .into_par_iter()
                .map(|i| {
                    let x = &d.rows[i * n..(i + 1) * n];
                    stein_terms(m, &d.x0, x, &scores[i * n..(i + 1) * n])
                })
                .collect();
            for (k, name) in stein_names(stein_count).iter().enumerate() {
                let values: Vec<f64> = terms.iter().map(|v| v[k]).collect();
                let (mean, var) = mean_var(&values);
                let z = if var > 0.0 {
                    mean / (var / rows as f64).sqrt()
                } else if mean == 0.0 {
                    0.0
                } else {
                    f64::INFINITY
                };
                t.count_test();
                t.check(z.abs(), critical, &d.x0, || {
                    format!(
                        "t = {}: E[⟨s, ∇f⟩ + Δf] = {mean:.4e} ≠ 0 for f = {name} (z = {z:.2}, {rows} draws)",
                        d.time
                    )
                })?;
            }
        }
        Ok(())
    })?;

    suite.once(Law::KernelMoments, |seed, t| {
        let log_volume = m.log_volume();
        for (i, d) in draws.iter().enumerate() {
            if d.weight_variance > options.max_weight_variance {
                continue;
            }
            let mut rng = rng_from_seed(seed.wrapping_add(i as u64));
            let samples = options.samples;
            let mut us = Vec::with_capacity(samples * n);
            for _ in 0..samples {
                us.extend(uniform_point(m, &mut rng));
            }
            let mut lp = vec![0.0; samples];
            kernel
                .log_prob_batch(&d.x0, &us, &[d.time], &mut lp)
                .map_err(|e| kernel_error(t, e, &d.x0, "log_prob_batch"))?;
            let w: Vec<f64> = lp.iter().map(|l| (l + log_volume).exp()).collect();
            let proposal: Vec<Vec<f64>> = us
                .chunks_exact(n)
                .map(|u| moment_functions(m, &d.x0, u))
                .collect();
            let sampled: Vec<Vec<f64>> = d
                .rows
                .chunks_exact(n)
                .map(|x| moment_functions(m, &d.x0, x))
                .collect();
            for (k, name) in moment_names(n).iter().enumerate() {
                let f: Vec<f64> = proposal.iter().map(|v| v[k]).collect();
                let (mu, var_mu) = snis(&w, &f);
                let g: Vec<f64> = sampled.iter().map(|v| v[k]).collect();
                let (mean, var) = mean_var(&g);
                let se = (var / g.len() as f64 + var_mu).sqrt();
                let z = if se > 0.0 { (mean - mu) / se } else { 0.0 };
                t.count_test();
                t.check(z.abs(), critical, &d.x0, || {
                    format!(
                        "t = {}: sampler mean of {name} = {mean:.5} but the kernel gives {mu:.5} \
                         (importance sampling, weight variance {:.2}; z = {z:.2})",
                        d.time, d.weight_variance
                    )
                })?;
            }
        }
        Ok(())
    })?;

    Ok(suite.finish())
}
