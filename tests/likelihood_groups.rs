//! End-to-end PF-ODE likelihoods on compact Lie groups and products, with an exact score.
//!
//! As in `tests/likelihood_exact_score.rs` (S², T²): the score is that of a heat-kernel
//! mixture `p_t(x) = (1/N) Σ_i p_t(x_i, x)` built on the exact group kernel
//! ([`auto_kernel`], exact to ~1e-12), so the probability-flow ODE likelihood at `t0` must
//! reproduce the mixture's own `log p_{t0}(x)` up to
//! - the ODE error: local error per step `≤ atol + rtol |·|` (maximum norm) on the
//!   accumulator `ℓ = ∫ ½ div s dt` and on the point; a position error `δx` changes the
//!   result by `≈ ⟨s, δx⟩`; DP5's global error is a few local tolerances
//!   (`tests/ode_solver.rs`). Allowance per query point: `10 · tol · (1 + |ℓ| + |s(x, t0)|)`,
//!   and `10 · tol` for the data points and their neighbours (typical density);
//! - the prior: `p_T` is uniform to `< 1e-8` at the chosen `T` (asserted at the query and
//!   final points; slowest modes: SO(3) with ½tr metric `9 e^{−T}` (Casimir 2 of the `l = 1`
//!   irrep, dimension² 9), SU(2) with the Frobenius metric `4 e^{−3T/4}` (Casimir 3/2));
//! - the divergence: heat-equation form `2 ∂_t log p − |s|²` (≈ 1e-11 relative, `mixture`),
//!   or the default geodesic central differences of `ScoreField::divergence_batch`
//!   (`h = 1e-4`, ≈ 1e-8 relative), which are checked here on groups and products against
//!   the heat-equation divergence.
//!
//! Also checked: `Manifold::log_volume` of SO(n), SU(n), U(n) against the root-system
//! volume `Vol G = Vol T ∏_{α>0} 2π/⟨α, ρ⟩` (two independent formulas), which is the prior
//! term `−log Vol G` of the likelihood.

use riemannian_diffusion::heat_kernel::{HeatKernel, KernelEvaluation, KernelMethod};
use riemannian_diffusion::lie::RootSystem;
use riemannian_diffusion::likelihood::{
    log_likelihood, Divergence, LikelihoodOptions, ProbeDistribution,
};
use riemannian_diffusion::manifold::{
    Manifold, Product, SpecialOrthogonal, SpecialUnitary, Sphere, Unitary,
};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::random::rng_from_seed;
use riemannian_diffusion::registry::auto_kernel;
use riemannian_diffusion::score::ScoreField;
use riemannian_diffusion::Result;
use std::sync::Arc;
use std::time::Instant;

/// The identity matrix in the ambient coordinates of SO(n) (`real`) or SU(n)/U(n).
fn identity(n: usize, real: bool) -> Vec<f64> {
    if real {
        (0..n * n)
            .map(|k| if k % (n + 1) == 0 { 1.0 } else { 0.0 })
            .collect()
    } else {
        let mut x = vec![0.0; 2 * n * n];
        for i in 0..n {
            x[2 * (i * n + i)] = 1.0;
        }
        x
    }
}

/// `count` centres `exp_{origin}(scale · ξ)`, `ξ` a standard tangent Gaussian, from `seed`.
fn centres(m: &dyn Manifold, origin: &[f64], count: usize, scale: f64, seed: u64) -> Vec<f64> {
    let n = m.ambient_dim();
    let mut rng = rng_from_seed(seed);
    let (mut v, mut y) = (vec![0.0; n], vec![0.0; n]);
    let mut out = Vec::with_capacity(count * n);
    for _ in 0..count {
        m.sample_tangent_normal(origin, &mut rng, &mut v);
        v.iter_mut().for_each(|a| *a *= scale);
        m.exp(origin, &v, &mut y);
        out.extend_from_slice(&y);
    }
    out
}

fn so3_mixture() -> HeatKernelMixture {
    let so3 = SpecialOrthogonal::new(3).unwrap();
    let points = centres(&so3, &identity(3, true), 3, 1.2, 11);
    HeatKernelMixture::new(auto_kernel(&so3).unwrap(), points).unwrap()
}

fn su2_mixture() -> HeatKernelMixture {
    let su2 = SpecialUnitary::new(2).unwrap();
    let points = centres(&su2, &identity(2, false), 3, 1.2, 12);
    HeatKernelMixture::new(auto_kernel(&su2).unwrap(), points).unwrap()
}

/// The heat kernel of a product `M₁ × M₂` (product metric): `p_t = p_t¹ p_t²`, score the
/// concatenation of the factors' scores (the Laplacian of a product is the sum of the
/// factors' Laplacians, so the product of kernels solves `∂_t p = ½Δp` with the right
/// initial condition).
struct ProductKernel {
    product: Product,
    factors: Vec<Box<dyn HeatKernel>>,
}

impl ProductKernel {
    fn new(factors: Vec<Arc<dyn Manifold>>) -> Self {
        let kernels = factors
            .iter()
            .map(|f| auto_kernel(f.as_ref()).unwrap())
            .collect();
        ProductKernel {
            product: Product::new(factors).unwrap(),
            factors: kernels,
        }
    }
}

impl HeatKernel for ProductKernel {
    fn manifold(&self) -> &dyn Manifold {
        &self.product
    }
    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        let mut total = KernelEvaluation {
            log_prob: 0.0,
            terms: 0,
            estimator: KernelMethod::Eigen,
            error_estimate: 0.0,
        };
        for (i, k) in self.factors.iter().enumerate() {
            let r = self.product.factor_range(i);
            let e = k.log_prob(&x0[r.clone()], &x[r], t)?;
            total.log_prob += e.log_prob;
            total.terms += e.terms;
            if i == 0 || e.error_estimate > total.error_estimate {
                total.estimator = e.estimator;
            }
            total.error_estimate += e.error_estimate;
        }
        Ok(total)
    }
    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        let mut total = KernelEvaluation {
            log_prob: 0.0,
            terms: 0,
            estimator: KernelMethod::Eigen,
            error_estimate: 0.0,
        };
        for (i, k) in self.factors.iter().enumerate() {
            let r = self.product.factor_range(i);
            let e = k.score(&x0[r.clone()], &x[r.clone()], t, &mut score[r])?;
            total.log_prob += e.log_prob;
            total.terms += e.terms;
            if i == 0 || e.error_estimate > total.error_estimate {
                total.estimator = e.estimator;
            }
            total.error_estimate += e.error_estimate;
        }
        Ok(total)
    }
}

/// A mixture on `SO(3) × S²` (5 dimensions) with the product kernel.
fn product_mixture() -> HeatKernelMixture {
    let factors: Vec<Arc<dyn Manifold>> = vec![
        Arc::new(SpecialOrthogonal::new(3).unwrap()),
        Arc::new(Sphere::new(2).unwrap()),
    ];
    let kernel = ProductKernel::new(factors);
    let mut origin = identity(3, true);
    origin.extend_from_slice(&[0.0, 0.0, 1.0]);
    let points = centres(kernel.manifold(), &origin, 3, 1.0, 13);
    HeatKernelMixture::new(Box::new(kernel), points).unwrap()
}

/// Query points: the data points, points near them, and uniform draws.
fn queries(mix: &HeatKernelMixture, seed: u64) -> Vec<f64> {
    let m = mix.kernel().manifold();
    let n = m.ambient_dim();
    let mut rng = rng_from_seed(seed);
    let mut q = mix.points().to_vec();
    let (mut v, mut y) = (vec![0.0; n], vec![0.0; n]);
    for x in mix.points().chunks_exact(n) {
        m.sample_tangent_normal(x, &mut rng, &mut v);
        v.iter_mut().for_each(|a| *a *= 0.3);
        m.exp(x, &v, &mut y);
        q.extend_from_slice(&y);
    }
    for _ in 0..3 {
        m.sample_uniform(&mut rng, &mut y);
        q.extend_from_slice(&y);
    }
    q
}

/// `p_T` is uniform (`−log Vol`) to `1e-8` at the given points.
fn assert_uniform_at(mix: &HeatKernelMixture, x: &[f64], t: f64) {
    let m = mix.kernel().manifold();
    for xi in x.chunks_exact(m.ambient_dim()) {
        let lp = mix.log_prob(xi, t).unwrap();
        assert!(
            (lp + m.log_volume()).abs() < 1e-8,
            "{}: log p_T = {lp} vs −log Vol = {}",
            m.spec(),
            -m.log_volume()
        );
    }
}

/// Wraps a score field so that the likelihood uses the default (generic finite-difference)
/// `divergence_batch` instead of the mixture's heat-equation divergence.
struct GenericDivergence<'a>(&'a HeatKernelMixture);

impl ScoreField for GenericDivergence<'_> {
    fn manifold(&self) -> &dyn Manifold {
        self.0.manifold()
    }
    fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        self.0.score_batch(x, t, out)
    }
}

/// PF-ODE log-likelihood of the query points against the exact mixture density; returns the
/// largest error.
fn compare(mix: &HeatKernelMixture, generic: bool, t0: f64, t1: f64, tol: f64, seed: u64) -> f64 {
    let m = mix.kernel().manifold();
    let n = m.ambient_dim();
    let q = queries(mix, seed);
    assert_uniform_at(mix, &q, t1);
    let mut options = LikelihoodOptions::default();
    options.ode.rtol = tol;
    options.ode.atol = tol;
    let start = Instant::now();
    let report = if generic {
        log_likelihood(&GenericDivergence(mix), &q, t0, t1, &options).unwrap()
    } else {
        log_likelihood(mix, &q, t0, t1, &options).unwrap()
    };
    let elapsed = start.elapsed();
    let rows = q.len() / n;
    let mut exact = vec![0.0; rows];
    mix.log_prob_batch(&q, &[t0], &mut exact).unwrap();
    let mut score = vec![0.0; rows * n];
    mix.score_batch(&q, &[t0], &mut score).unwrap();
    let mut errors = Vec::new();
    let mut worst: f64 = 0.0;
    for k in 0..rows {
        let (a, b) = (report.log_likelihood[k], exact[k]);
        let s_norm = m
            .norm_squared(&q[k * n..(k + 1) * n], &score[k * n..(k + 1) * n])
            .sqrt();
        let allowed = 10.0 * tol * (1.0 + (b + m.log_volume()).abs() + s_norm) + 1e-8;
        errors.push(format!("{:.1e}", a - b));
        worst = worst.max((a - b).abs());
        assert!(
            (a - b).abs() < allowed,
            "{} point {k}: PF-ODE {a} vs exact {b} (|s| = {s_norm}, allowed {allowed:e})",
            m.spec()
        );
        if k < 2 * mix.len() {
            assert!(
                (a - b).abs() < 10.0 * tol,
                "{} point {k}: PF-ODE {a} vs exact {b}",
                m.spec()
            );
        }
    }
    println!(
        "{} ({} divergence) t0 = {t0}, T = {t1}, rtol = atol = {tol:e}: PF-ODE − exact = {errors:?}, \
         exact log p = {exact:.2?}, {:?}, {elapsed:?}",
        m.spec(),
        if generic { "finite-difference" } else { "heat-equation" },
        report.stats
    );
    assert_uniform_at(mix, &report.final_points, t1);
    worst
}

#[test]
fn so3_pf_ode_likelihood_matches_exact_mixture_density() {
    // Slowest mode of SO(3) (½tr metric): 9 e^{−T} ≈ 1.3e-10 at T = 25.
    let mix = so3_mixture();
    compare(&mix, false, 0.05, 25.0, 1e-5, 1);
    compare(&mix, false, 0.05, 25.0, 1e-8, 1);
}

#[test]
fn su2_pf_ode_likelihood_matches_exact_mixture_density() {
    // Slowest mode of SU(2) (Frobenius metric): 4 e^{−3T/4} ≈ 3e-13 at T = 40.
    let mix = su2_mixture();
    compare(&mix, false, 0.05, 40.0, 1e-5, 2);
    compare(&mix, false, 0.05, 40.0, 1e-8, 2);
}

#[test]
fn generic_finite_difference_divergence_gives_the_same_likelihood_on_groups() {
    // The default `ScoreField::divergence_batch` (geodesic central differences through the
    // manifold's orthonormal tangent basis, in the group's own metric) inside the PF-ODE.
    compare(&so3_mixture(), true, 0.05, 25.0, 1e-6, 3);
    compare(&su2_mixture(), true, 0.05, 40.0, 1e-6, 4);
}

#[test]
fn product_pf_ode_likelihood_matches_exact_mixture_density() {
    // SO(3) × S²: slowest modes 9 e^{−T} (SO(3)) and 3 e^{−T} (S²): ≈ 1.7e-10 at T = 25.
    let mix = product_mixture();
    compare(&mix, false, 0.05, 25.0, 1e-5, 5);
    compare(&mix, true, 0.05, 25.0, 1e-6, 6);
}

/// The default finite-difference divergence against the heat-equation divergence
/// `2 ∂_t log p − |s|²` at uniform points (both independent of the PF-ODE).
fn check_divergence(mix: &HeatKernelMixture, t: f64, seed: u64) {
    let m = mix.manifold();
    let n = m.ambient_dim();
    let mut rng = rng_from_seed(seed);
    let rows = 8;
    let mut x = vec![0.0; rows * n];
    for r in x.chunks_exact_mut(n) {
        m.sample_uniform(&mut rng, r);
    }
    let mut exact = vec![0.0; rows];
    mix.divergence_batch(&x, &[t], &mut exact).unwrap();
    let mut fd = vec![0.0; rows];
    GenericDivergence(mix)
        .divergence_batch(&x, &[t], &mut fd)
        .unwrap();
    let worst = exact
        .iter()
        .zip(&fd)
        .map(|(a, b)| (a - b).abs() / (1.0 + b.abs()))
        .fold(0.0, f64::max);
    println!(
        "{} t = {t}: heat-equation vs finite-difference divergence, max rel. diff {worst:.1e}",
        m.spec()
    );
    // Central difference with h = 1e-4: truncation h²/6 |∂³s| ≲ 1e-8/t² relative for these
    // kernels, round-off ≈ 1e-16 |s| / h ≈ 1e-12 |s|; the heat-equation side ≈ 1e-11.
    assert!(worst < 1e-6, "{}: {worst}", m.spec());
}

#[test]
fn default_divergence_is_correct_on_groups_and_products() {
    check_divergence(&so3_mixture(), 0.3, 7);
    check_divergence(&so3_mixture(), 2.0, 8);
    check_divergence(&su2_mixture(), 0.3, 9);
    check_divergence(&product_mixture(), 0.5, 10);
    let u2 = Unitary::new(2).unwrap();
    let mix = HeatKernelMixture::new(
        auto_kernel(&u2).unwrap(),
        centres(&u2, &identity(2, false), 2, 1.0, 14),
    )
    .unwrap();
    check_divergence(&mix, 0.4, 11);
    let so4 = SpecialOrthogonal::new(4).unwrap();
    let mix = HeatKernelMixture::new(
        auto_kernel(&so4).unwrap(),
        centres(&so4, &identity(4, true), 2, 1.0, 15),
    )
    .unwrap();
    check_divergence(&mix, 0.4, 12);
}

#[test]
fn manifold_volumes_match_root_system_volumes() {
    // Two independent derivations: the fibration/induction product of `Manifold::log_volume`
    // and the Macdonald-type formula Vol T ∏_{α>0} 2π/⟨α, ρ⟩ of `RootSystem::volume`.
    let mut cases: Vec<(Box<dyn Manifold>, RootSystem)> = Vec::new();
    for n in 2..=7 {
        cases.push((
            Box::new(SpecialOrthogonal::new(n).unwrap()),
            RootSystem::special_orthogonal(n).unwrap(),
        ));
    }
    for n in 2..=5 {
        cases.push((
            Box::new(SpecialUnitary::new(n).unwrap()),
            RootSystem::special_unitary(n).unwrap(),
        ));
    }
    for n in 1..=5 {
        cases.push((
            Box::new(Unitary::new(n).unwrap()),
            RootSystem::unitary(n).unwrap(),
        ));
    }
    for (m, roots) in &cases {
        let (a, b) = (m.log_volume(), roots.volume().ln());
        // ln Γ (statrs) and the products are accurate to a few ulps of the O(10) logs.
        assert!(
            (a - b).abs() < 1e-12 * (1.0 + a.abs()),
            "{}: log_volume {a} vs root-system {b}",
            m.spec()
        );
    }
}

#[test]
fn group_prior_is_minus_log_volume_at_large_t() {
    // log p_T → −log Vol G for a single kernel and for the mixture (the likelihood's prior term).
    let so3 = so3_mixture();
    let su2 = su2_mixture();
    let mut rng = rng_from_seed(21);
    for (mix, t) in [(&so3, 25.0), (&su2, 40.0)] {
        let m = mix.manifold();
        let mut x = vec![0.0; m.ambient_dim()];
        for _ in 0..5 {
            m.sample_uniform(&mut rng, &mut x);
            let lp = mix.log_prob(&x, t).unwrap();
            assert!((lp + m.log_volume()).abs() < 1e-8, "{}: {lp}", m.spec());
        }
    }
}

/// Hutchinson on a group (probes projected onto the tangent space at x): the mean over
/// replicas of one point is within 4 standard errors (false alarm 6e-5) plus the ODE allowance.
/// Before the Euclidean pairing fix the SO(3) estimate was `c · div` with `c = ½` (the ½tr
/// metric factor): z = −18.8.
fn hutchinson_is_unbiased(mix: &HeatKernelMixture, t1: f64, probe: ProbeDistribution) {
    let n = mix.manifold().ambient_dim();
    let x = mix.points()[..n].to_vec();
    let replicas = 128;
    let points: Vec<f64> = (0..replicas).flat_map(|_| x.iter().copied()).collect();
    let options = LikelihoodOptions {
        divergence: Divergence::Hutchinson { probe, step: 1e-4 },
        seed: 5,
        ..LikelihoodOptions::default()
    };
    let t0 = 0.1;
    let start = Instant::now();
    let report = log_likelihood(mix, &points, t0, t1, &options).unwrap();
    let mean = report.mean_log_likelihood;
    let se = report.standard_error();
    let exact = mix.log_prob(&x, t0).unwrap();
    println!(
        "{} Hutchinson ({probe:?}): mean {mean} ± {se}, exact {exact}, z = {}, {:?}",
        mix.manifold().spec(),
        (mean - exact) / se,
        start.elapsed()
    );
    assert!(se > 0.0);
    assert!(
        (mean - exact).abs() < 4.0 * se + 1e-4,
        "{mean} ± {se} vs {exact}"
    );
}

#[test]
fn so3_hutchinson_is_unbiased() {
    hutchinson_is_unbiased(&so3_mixture(), 25.0, ProbeDistribution::Rademacher);
}

#[test]
fn su2_hutchinson_is_unbiased() {
    hutchinson_is_unbiased(&su2_mixture(), 40.0, ProbeDistribution::Gaussian);
}
