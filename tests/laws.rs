//! The generic law suite (`riemannian_diffusion::testing`, feature `testing`) over every built-in
//! manifold, its Lie group structure, its `Auto` heat kernel and its exact sampler; a
//! user-defined manifold passing the manifold laws; and deliberately broken implementations that
//! each check must reject (power).
//!
//! Run with `cargo test --release --features testing --test laws -- --nocapture` to print every
//! report (measured worst error and tolerance per law). Statistical levels: each check call has
//! family-wise level `LawOptions::level = 1e-4`; over the 70 check calls on built-ins in this
//! file (21 manifolds × 3 + 14 groups) the false-rejection probability is below `7e-3` (seeds
//! are fixed, so runs are deterministic).

#![cfg(feature = "testing")]

#[path = "common/scaled_circle.rs"]
mod scaled_circle;

use riemannian_diffusion::heat_kernel::{HeatKernel, KernelEvaluation};
use riemannian_diffusion::manifold::{
    CompactGroup, LieGroup, Manifold, ManifoldSpec, Product, SpecialOrthogonal, SpecialUnitary,
    Sphere, Torus, Unitary,
};
use riemannian_diffusion::random::Rng;
use riemannian_diffusion::registry::{auto_kernel, auto_sampler};
use riemannian_diffusion::sampling::HeatKernelSampler;
use riemannian_diffusion::testing::{
    check_heat_kernel_laws, check_lie_group_laws, check_manifold_laws,
    check_sampler_matches_kernel, Law, LawFailure, LawOptions, LawReport,
};
use riemannian_diffusion::Result;
use scaled_circle::ScaledCircle;
use statrs::function::gamma::ln_gamma;
use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Instant;

/// The crate's `Auto` heat kernel and exact sampler of a built-in manifold (the only place that
/// names the registry entry points).
fn auto(m: &dyn Manifold) -> (Box<dyn HeatKernel>, Box<dyn HeatKernelSampler>) {
    (auto_kernel(m).unwrap(), auto_sampler(m).unwrap())
}

fn boxed(m: impl Manifold + 'static) -> Arc<dyn Manifold> {
    Arc::new(m)
}

/// Every built-in manifold family at the sizes of the issue, and four products.
fn builtins() -> Vec<Arc<dyn Manifold>> {
    let mut out = Vec::new();
    for d in [1, 2, 3] {
        out.push(boxed(Torus::new(d).unwrap()));
    }
    for d in [1, 2, 3, 4, 7] {
        out.push(boxed(Sphere::new(d).unwrap()));
    }
    for n in [2, 3, 4, 5] {
        out.push(boxed(SpecialOrthogonal::new(n).unwrap()));
    }
    for n in [2, 3] {
        out.push(boxed(SpecialUnitary::new(n).unwrap()));
    }
    for n in [1, 2, 3] {
        out.push(boxed(Unitary::new(n).unwrap()));
    }
    out.push(boxed(
        Product::new(vec![
            boxed(Torus::new(1).unwrap()),
            boxed(Sphere::new(2).unwrap()),
        ])
        .unwrap(),
    ));
    out.push(boxed(
        Product::new(vec![
            boxed(SpecialOrthogonal::new(3).unwrap()),
            boxed(Sphere::new(2).unwrap()),
        ])
        .unwrap(),
    ));
    out.push(boxed(
        Product::power(Arc::new(SpecialUnitary::new(2).unwrap()), 2).unwrap(),
    ));
    out.push(boxed(
        Product::new(vec![
            boxed(Torus::new(1).unwrap()),
            boxed(SpecialOrthogonal::new(3).unwrap()),
        ])
        .unwrap(),
    ));
    out
}

/// Closed-form volumes, independent of `log_volume` (see `tests/manifold_properties.rs` and
/// `tests/lie_group_manifolds.rs` for their derivations): `Vol S^d = 2π^{(d+1)/2}/Γ((d+1)/2)`,
/// `(2π)^d`, `Vol SO(2) = 2π`, `SO(3) = 8π²`, `SO(4) = 16π⁴`, `U(1) = 2π`, `U(2) = 8π³`,
/// `SU(2) = 4√2π²` (round `S³` of radius `√2`).
fn reference_log_volume(spec: &ManifoldSpec) -> Option<f64> {
    let sphere = |d: f64| 2f64.ln() + (d + 1.0) / 2.0 * PI.ln() - ln_gamma((d + 1.0) / 2.0);
    Some(match spec {
        ManifoldSpec::Torus(d) => *d as f64 * (2.0 * PI).ln(),
        ManifoldSpec::Sphere(1) => sphere(1.0),
        ManifoldSpec::Sphere(2) => (4.0 * PI).ln(),
        ManifoldSpec::Sphere(3) => (2.0 * PI * PI).ln(),
        ManifoldSpec::Sphere(4) => (8.0 * PI * PI / 3.0).ln(),
        ManifoldSpec::Sphere(7) => (PI.powi(4) / 3.0).ln(),
        ManifoldSpec::Group(group) => match group {
            CompactGroup::SpecialOrthogonal(2) => (2.0 * PI).ln(),
            CompactGroup::SpecialOrthogonal(3) => (8.0 * PI * PI).ln(),
            CompactGroup::SpecialOrthogonal(4) => (16.0 * PI.powi(4)).ln(),
            CompactGroup::Unitary(1) => (2.0 * PI).ln(),
            CompactGroup::Unitary(2) => (8.0 * PI.powi(3)).ln(),
            CompactGroup::SpecialUnitary(2) => (4.0 * 2f64.sqrt() * PI * PI).ln(),
            _ => return None,
        },
        _ => return None,
    })
}

/// Runs `check` on every subject, prints the reports, and fails listing every violated law.
fn run_all<T>(
    what: &str,
    subjects: &[T],
    label: impl Fn(&T) -> String,
    check: impl Fn(&T) -> std::result::Result<LawReport, LawFailure>,
) {
    let start = Instant::now();
    let mut failures = Vec::new();
    for s in subjects {
        let t0 = Instant::now();
        match check(s) {
            Ok(report) => {
                println!("{report}  ({:.2} s)", t0.elapsed().as_secs_f64());
                if std::env::var_os("LAWS_TABLE").is_some() {
                    for r in &report.results {
                        println!(
                            "LAW\t{}\t{}\t{:e}\t{:e}\t{}",
                            report.subject,
                            r.law,
                            r.worst_error,
                            r.tolerance,
                            r.ratio()
                        );
                    }
                }
                assert!(report.worst_ratio() <= 1.0);
            }
            Err(failure) => {
                println!("FAILED {}: {failure}", label(s));
                failures.push(failure.to_string());
            }
        }
    }
    println!("{what}: {:.2} s in total", start.elapsed().as_secs_f64());
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Closed-form log volumes of the larger sizes, from the product formulas
/// `Vol SO(n) = ∏_{k=2}^n 2π^{k/2}/Γ(k/2)` (fibring over spheres) and
/// `Vol U(n) = ∏_{k=1}^n (2π)^k/(k−1)!` (see `tests/lie_group_manifolds.rs`).
fn larger_reference_log_volume(spec: &ManifoldSpec) -> Option<f64> {
    let sphere = |d: f64| 2f64.ln() + (d + 1.0) / 2.0 * PI.ln() - ln_gamma((d + 1.0) / 2.0);
    Some(match spec {
        ManifoldSpec::Torus(d) => *d as f64 * (2.0 * PI).ln(),
        ManifoldSpec::Sphere(d) => sphere(*d as f64),
        ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(n)) => {
            (2..=*n).map(|k| sphere(k as f64 - 1.0)).sum()
        }
        ManifoldSpec::Group(CompactGroup::Unitary(n)) => (1..=*n)
            .map(|k| k as f64 * (2.0 * PI).ln() - ln_gamma(k as f64))
            .sum(),
        ManifoldSpec::Product(factors) => factors
            .iter()
            .map(larger_reference_log_volume)
            .sum::<Option<f64>>()?,
        _ => return None,
    })
}

/// Larger sizes for the manifold and group laws only (cheap there; the kernel and sampler laws
/// of the sizes in [`builtins`] cost seconds): the sizes the replaced property tests covered.
fn larger_sizes() -> Vec<Arc<dyn Manifold>> {
    vec![
        boxed(Torus::new(5).unwrap()),
        boxed(Torus::new(16).unwrap()),
        boxed(Sphere::new(5).unwrap()),
        boxed(Sphere::new(16).unwrap()),
        boxed(SpecialOrthogonal::new(8).unwrap()),
        boxed(Unitary::new(6).unwrap()),
        boxed(Product::power(Arc::new(Unitary::new(1).unwrap()), 3).unwrap()),
    ]
}

#[test]
fn every_builtin_manifold_obeys_the_manifold_laws() {
    let mut manifolds = builtins();
    manifolds.extend(larger_sizes());
    run_all(
        "manifold laws",
        &manifolds,
        |m| m.spec().to_string(),
        |m| {
            let spec = m.spec();
            // The larger sizes: closed-form volumes instead of the Monte Carlo one, which cannot
            // reach enough of a 16-dimensional manifold within the injectivity radius.
            let large = larger_sizes().iter().any(|l| l.spec() == spec);
            let options = LawOptions {
                reference_log_volume: if large {
                    larger_reference_log_volume(&spec)
                } else {
                    reference_log_volume(&spec)
                },
                monte_carlo_volume: !large,
                ..LawOptions::default()
            };
            check_manifold_laws(m.as_ref(), &options)
        },
    );
}

#[test]
fn every_builtin_group_obeys_the_lie_group_laws() {
    let mut manifolds = builtins();
    manifolds.extend(larger_sizes());
    let groups: Vec<&dyn LieGroup> = manifolds.iter().filter_map(|m| m.as_lie_group()).collect();
    // Tori, SO(2..5), SU(2), SU(3), U(1..3), SU(2)², T¹ × SO(3), T⁵, T¹⁶, SO(8), U(6), U(1)³;
    // not the spheres and the products with spheres.
    assert_eq!(groups.len(), manifolds.len() - 5 - 2 - 2);
    run_all(
        "Lie group laws",
        &groups,
        |g| g.spec().to_string(),
        |g| check_lie_group_laws(*g, &LawOptions::default()),
    );
}

#[test]
fn every_auto_heat_kernel_obeys_the_heat_kernel_laws() {
    let manifolds = builtins();
    run_all(
        "heat kernel laws",
        &manifolds,
        |m| m.spec().to_string(),
        |m| {
            // t = 0.01 as well: the small-time regime of the path sums, walls and recursions.
            let options = LawOptions {
                times: vec![0.01, 0.05, 0.5, 2.0],
                ..LawOptions::default()
            };
            check_heat_kernel_laws(auto(m.as_ref()).0.as_ref(), &options)
        },
    );
}

#[test]
fn every_exact_sampler_matches_its_kernel() {
    let manifolds = builtins();
    run_all(
        "sampler laws",
        &manifolds,
        |m| m.spec().to_string(),
        |m| {
            let (kernel, sampler) = auto(m.as_ref());
            check_sampler_matches_kernel(sampler.as_ref(), kernel.as_ref(), &LawOptions::default())
        },
    );
}

// ---------------------------------------------------------------------------------------------
// A user-defined manifold (tests/common/scaled_circle.rs): manifold, kernel and sampler laws.

#[test]
fn a_user_defined_circle_obeys_the_manifold_kernel_and_sampler_laws() {
    for r in [0.5, 1.0, 3.0] {
        let circle = ScaledCircle { radius: r };
        let options = LawOptions {
            injectivity_radius: PI * r,
            reference_log_volume: Some((2.0 * PI * r).ln()),
            ..LawOptions::default()
        };
        let report = check_manifold_laws(&circle, &options).unwrap_or_else(|f| panic!("{f}"));
        println!("{report}");
        assert!(report.get(Law::LogVolumeMonteCarlo).is_some());
        // The user's kernel and sampler, from the user's registry entry.
        let registry = scaled_circle::registry();
        let kernel = registry.auto_kernel(&circle).unwrap();
        let sampler = registry.auto_sampler(&circle).unwrap();
        let report =
            check_heat_kernel_laws(kernel.as_ref(), &options).unwrap_or_else(|f| panic!("{f}"));
        println!("{report}");
        let report = check_sampler_matches_kernel(sampler.as_ref(), kernel.as_ref(), &options)
            .unwrap_or_else(|f| panic!("{f}"));
        println!("{report}");
    }
}

// ---------------------------------------------------------------------------------------------
// Power: broken implementations are rejected, by the law that names the defect.

/// `S²` whose `exp` is the retraction `(x + v)/|x + v|` instead of the exponential map.
#[derive(Debug)]
struct RetractionSphere(Sphere);

macro_rules! delegate_manifold {
    ($inner:tt) => {
        fn spec(&self) -> ManifoldSpec {
            // A broken copy is not the manifold it wraps.
            ManifoldSpec::custom("broken-test-manifold").expect("a valid name")
        }
        fn dim(&self) -> usize {
            self.$inner.dim()
        }
        fn ambient_dim(&self) -> usize {
            self.$inner.ambient_dim()
        }
        fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
            self.$inner.check_point(x, tol)
        }
        fn project_point(&self, x: &[f64], out: &mut [f64]) {
            self.$inner.project_point(x, out)
        }
        fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
            self.$inner.project_tangent(x, v, out)
        }
        fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
            self.$inner.inner(x, u, v)
        }
        fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
            self.$inner.log(x, y, out)
        }
        fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
            self.$inner.distance(x, y)
        }
        fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
            self.$inner.tangent_basis(x, out)
        }
        fn log_volume(&self) -> f64 {
            self.$inner.log_volume()
        }
    };
}

impl Manifold for RetractionSphere {
    delegate_manifold!(0);
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let y: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + b).collect();
        self.0.project_point(&y, out);
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        self.0.sample_uniform(rng, out)
    }
}

#[test]
fn a_wrong_exponential_map_is_rejected() {
    let failure = check_manifold_laws(
        &RetractionSphere(Sphere::new(2).unwrap()),
        &LawOptions::default(),
    )
    .expect_err("a retraction is not the exponential map");
    println!("{failure}");
    assert_eq!(failure.law, Law::LogOfExp);
    assert!(failure.error > failure.tolerance);
}

/// `SO(3)` whose "uniform" sampler is concentrated near the identity (`exp_e` of a Gaussian):
/// on the manifold, but not Haar.
#[derive(Debug)]
struct ConcentratedSo3(SpecialOrthogonal);

impl Manifold for ConcentratedSo3 {
    delegate_manifold!(0);
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.exp(x, v, out)
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        let mut e = [0.0; 9];
        self.0.identity(&mut e);
        let mut v = [0.0; 9];
        self.0.sample_tangent_normal(&e, rng, &mut v);
        v.iter_mut().for_each(|c| *c *= 0.7);
        self.0.exp(&e, &v, out);
    }
    fn as_lie_group(&self) -> Option<&dyn LieGroup> {
        Some(self)
    }
}

impl LieGroup for ConcentratedSo3 {
    fn identity(&self, out: &mut [f64]) {
        self.0.identity(out)
    }
    fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        self.0.compose(a, b, out)
    }
    fn inverse(&self, a: &[f64], out: &mut [f64]) {
        self.0.inverse(a, out)
    }
    fn translate_left(&self, g: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.translate_left(g, v, out)
    }
    fn translate_right(&self, v: &[f64], g: &[f64], out: &mut [f64]) {
        self.0.translate_right(v, g, out)
    }
}

#[test]
fn a_non_haar_uniform_sampler_is_rejected() {
    let group = ConcentratedSo3(SpecialOrthogonal::new(3).unwrap());
    let failure = check_lie_group_laws(&group, &LawOptions::default())
        .expect_err("a concentrated sampler is not Haar");
    println!("{failure}");
    assert_eq!(failure.law, Law::HaarInvariance);
}

/// `SU(2)` whose inverse forgets the complex conjugation (`aᵀ` instead of `aᴴ`).
#[derive(Debug)]
struct TransposeSu2(SpecialUnitary);

impl Manifold for TransposeSu2 {
    delegate_manifold!(0);
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.exp(x, v, out)
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        self.0.sample_uniform(rng, out)
    }
}

impl LieGroup for TransposeSu2 {
    fn identity(&self, out: &mut [f64]) {
        self.0.identity(out)
    }
    fn compose(&self, a: &[f64], b: &[f64], out: &mut [f64]) {
        self.0.compose(a, b, out)
    }
    fn inverse(&self, a: &[f64], out: &mut [f64]) {
        for i in 0..2 {
            for j in 0..2 {
                out[2 * (i * 2 + j)] = a[2 * (j * 2 + i)];
                out[2 * (i * 2 + j) + 1] = a[2 * (j * 2 + i) + 1];
            }
        }
    }
    fn translate_left(&self, g: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.translate_left(g, v, out)
    }
    fn translate_right(&self, v: &[f64], g: &[f64], out: &mut [f64]) {
        self.0.translate_right(v, g, out)
    }
}

#[test]
fn a_wrong_group_inverse_is_rejected() {
    let failure = check_lie_group_laws(
        &TransposeSu2(SpecialUnitary::new(2).unwrap()),
        &LawOptions::default(),
    )
    .expect_err("aᵀ is not the inverse in SU(2)");
    println!("{failure}");
    // aᵀ is unitary, so closure holds; the inverse law fails.
    assert_eq!(failure.law, Law::Inverse);
}

/// Wraps a kernel and changes one thing.
struct BrokenKernel {
    inner: Box<dyn HeatKernel>,
    defect: KernelDefect,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum KernelDefect {
    /// `log p(x₀, x) + 0.01·x_0` (with the matching score): not symmetric.
    Asymmetric,
    /// The score times 1.01.
    ScoreScale,
    /// `p_{2t}` reported as `p_t` (the `∂_t p = Δp` convention) with its own score: symmetric,
    /// a gradient, normalised, but not a solution of `∂_t p = ½Δp`.
    TimeConvention,
    /// `log p + ln 1.1`: everything but the normalisation.
    Normalisation,
}

impl BrokenKernel {
    fn new(m: &dyn Manifold, defect: KernelDefect) -> Self {
        BrokenKernel {
            inner: auto(m).0,
            defect,
        }
    }
    fn time(&self, t: f64) -> f64 {
        if self.defect == KernelDefect::TimeConvention {
            2.0 * t
        } else {
            t
        }
    }
    fn shift(&self, x: &[f64]) -> f64 {
        match self.defect {
            KernelDefect::Asymmetric => 0.01 * x[0],
            KernelDefect::Normalisation => 1.1f64.ln(),
            _ => 0.0,
        }
    }
}

impl HeatKernel for BrokenKernel {
    fn manifold(&self) -> &dyn Manifold {
        self.inner.manifold()
    }
    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        let mut e = self.inner.log_prob(x0, x, self.time(t))?;
        e.log_prob += self.shift(x);
        Ok(e)
    }
    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        let mut e = self.inner.score(x0, x, self.time(t), score)?;
        e.log_prob += self.shift(x);
        match self.defect {
            KernelDefect::ScoreScale => score.iter_mut().for_each(|s| *s *= 1.01),
            KernelDefect::Asymmetric => {
                // + 0.01·∇x_0 = 0.01·P_x e_0
                let m = self.manifold();
                let mut e0 = vec![0.0; m.ambient_dim()];
                e0[0] = 0.01;
                let mut p = vec![0.0; m.ambient_dim()];
                m.project_tangent(x, &e0, &mut p);
                score.iter_mut().zip(&p).for_each(|(s, q)| *s += q);
            }
            _ => {}
        }
        Ok(e)
    }
}

#[test]
fn broken_kernels_are_rejected_by_the_law_they_break() {
    let s2 = Sphere::new(2).unwrap();
    let so3 = SpecialOrthogonal::new(3).unwrap();
    for (m, defect, law) in [
        (
            &s2 as &dyn Manifold,
            KernelDefect::Asymmetric,
            Law::KernelSymmetry,
        ),
        (&so3, KernelDefect::Asymmetric, Law::KernelSymmetry),
        (&s2, KernelDefect::ScoreScale, Law::ScoreIsGradient),
        (&so3, KernelDefect::ScoreScale, Law::ScoreIsGradient),
        (&s2, KernelDefect::TimeConvention, Law::HeatEquation),
        (&so3, KernelDefect::TimeConvention, Law::HeatEquation),
        (&s2, KernelDefect::Normalisation, Law::Normalisation),
        (&so3, KernelDefect::Normalisation, Law::Normalisation),
    ] {
        let kernel = BrokenKernel::new(m, defect);
        let failure = check_heat_kernel_laws(&kernel, &LawOptions::default())
            .expect_err("a broken kernel must fail");
        println!("{defect:?} on {m:?}: {failure}");
        assert_eq!(failure.law, law, "{defect:?} on {m:?}: {failure}");
    }
}

/// Wraps a sampler and changes one thing.
struct BrokenSampler {
    inner: Box<dyn HeatKernelSampler>,
    defect: SamplerDefect,
}

#[derive(Clone, Copy, Debug)]
enum SamplerDefect {
    /// Samples `p_{1.3t}`.
    Time,
    /// `exp_{x₀}(√t z)` with `z` a tangent normal: the Euclidean law pushed through `exp`, i.e.
    /// the Jacobian of `exp` (curvature) ignored.
    FlatJacobian,
}

impl HeatKernelSampler for BrokenSampler {
    fn manifold(&self) -> &dyn Manifold {
        self.inner.manifold()
    }
    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        match self.defect {
            SamplerDefect::Time => self.inner.sample(x0, 1.3 * t, rng, out),
            SamplerDefect::FlatJacobian => {
                riemannian_diffusion::error::check_time(t)?;
                let m = self.manifold();
                m.check_point(x0, 1e-6)?;
                let mut z = vec![0.0; m.ambient_dim()];
                m.sample_tangent_normal(x0, rng, &mut z);
                z.iter_mut().for_each(|c| *c *= t.sqrt());
                m.exp(x0, &z, out);
                Ok(())
            }
        }
    }
}

#[test]
fn wrong_samplers_are_rejected() {
    let manifolds = [
        boxed(Sphere::new(2).unwrap()),
        boxed(SpecialOrthogonal::new(3).unwrap()),
        boxed(SpecialUnitary::new(2).unwrap()),
    ];
    for m in &manifolds {
        for defect in [SamplerDefect::Time, SamplerDefect::FlatJacobian] {
            let (kernel, inner) = auto(m.as_ref());
            let sampler = BrokenSampler { inner, defect };
            let failure =
                check_sampler_matches_kernel(&sampler, kernel.as_ref(), &LawOptions::default())
                    .expect_err("a wrong sampler must fail");
            println!("{defect:?} on {m:?}: {failure}");
            assert!(
                matches!(failure.law, Law::SteinIdentity | Law::KernelMoments),
                "{failure}"
            );
        }
    }
}

/// A law that can discard cases (one-parameter subgroups: pairs with `|a + b| > f·r_inj` are
/// discarded, about a quarter) fails when fewer than the minimum are accepted, and reports its
/// counts when it passes.
#[test]
fn discarding_laws_require_a_minimum_of_accepted_cases() {
    let so3 = SpecialOrthogonal::new(3).unwrap();
    let options = LawOptions::default();
    let report = check_lie_group_laws(&so3, &options).unwrap();
    let r = report.get(Law::OneParameterSubgroup).unwrap();
    println!(
        "one-parameter subgroups on SO(3): {} accepted, {} discarded",
        r.cases, r.discarded
    );
    assert_eq!(r.cases + r.discarded, options.cases);
    assert!(r.discarded > 0);
    let strict = LawOptions {
        min_accepted_fraction: 1.0,
        ..LawOptions::default()
    };
    let failure = check_lie_group_laws(&so3, &strict).unwrap_err();
    println!("{failure}");
    assert_eq!(failure.law, Law::OneParameterSubgroup);
    assert!(failure.detail.contains("cases were accepted"), "{failure}");
}

#[test]
fn failures_name_the_law_seed_point_error_and_tolerance() {
    let failure = check_manifold_laws(
        &RetractionSphere(Sphere::new(2).unwrap()),
        &LawOptions::default(),
    )
    .unwrap_err();
    let text = failure.to_string();
    assert!(text.contains("log_of_exp"), "{text}");
    assert!(text.contains(&format!("seed {}", failure.seed)), "{text}");
    assert!(text.contains("tolerance"), "{text}");
    assert_eq!(failure.point.len(), 3);
    assert!(failure.case.is_some());
    // The failing case is reproducible: its seed regenerates the same point.
    let again = check_manifold_laws(
        &RetractionSphere(Sphere::new(2).unwrap()),
        &LawOptions::default(),
    )
    .unwrap_err();
    assert_eq!(again, failure);
}

/// Robustness of the tolerances: the manifold and group laws over 8 seeds × 256 cases and the
/// heat kernel laws over 3 seeds × 8 pairs per time (≈ 85 s; not a CI test:
/// `cargo test --release --features testing --test laws -- --ignored --nocapture`).
///
/// Known finding (Nov 2026): `Sphere::log` is not backward stable near the antipode. It forms
/// `w = y − (x·y)x` once and returns `θ/|w|·w`, so the `O(u)` normal component of `w` is amplified
/// by `θ/sin θ`: on `S¹` the result leaves the tangent space by `1.0e-11` at `π − θ = 2.5e-5`
/// ([`Law::LogIsTangent`] fails at 4 of 2048 cases; tolerance `8.9e-14`). Projecting `w` once
/// more (or returning `θ/|w|·P_x w`) fixes it.
#[test]
#[ignore]
fn soak_many_seeds() {
    let manifolds = builtins();
    let mut failures = Vec::new();
    let mut worst: std::collections::BTreeMap<String, (f64, String)> = Default::default();
    let mut note = |report: &LawReport| {
        for r in &report.results {
            let e = worst
                .entry(r.law.to_string())
                .or_insert((0.0, String::new()));
            if r.ratio() > e.0 {
                *e = (r.ratio(), report.subject.clone());
            }
        }
    };
    for seed in 0..8u64 {
        let options = LawOptions {
            seed: 1000 + seed,
            cases: 256,
            kernel_cases: 8,
            ..LawOptions::default()
        };
        for m in &manifolds {
            match check_manifold_laws(m.as_ref(), &options) {
                Ok(r) => note(&r),
                Err(f) => failures.push(f.to_string()),
            }
            if let Some(g) = m.as_lie_group() {
                match check_lie_group_laws(g, &options) {
                    Ok(r) => note(&r),
                    Err(f) => failures.push(f.to_string()),
                }
            }
            if seed < 3 {
                match check_heat_kernel_laws(auto(m.as_ref()).0.as_ref(), &options) {
                    Ok(r) => note(&r),
                    Err(f) => failures.push(f.to_string()),
                }
            }
        }
    }
    for (law, (ratio, subject)) in &worst {
        println!("{law:32} worst ratio {ratio:.3} on {subject}");
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
