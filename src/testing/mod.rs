//! A generic law suite for manifolds, Lie groups, heat kernels and heat-kernel samplers
//! (feature `testing`), in the spirit of the generic group tests of `sophus_lie`.
//!
//! Four entry points check an implementation against the mathematics it claims, and return
//! either a [`LawReport`] (every law with its worst measured error and tolerance) or the first
//! [`LawFailure`] (which law, at which case seed and point, the measured error and the
//! tolerance):
//!
//! | function | checks |
//! |---|---|
//! | [`check_manifold_laws`] | membership, projections, metric, `exp`/`log`, distance, geodesics, tangent basis, tangent normals, volume |
//! | [`check_lie_group_laws`] | group axioms, closure, bi-invariance, translated `exp`/`log`, one-parameter subgroups, Haar measure |
//! | [`check_heat_kernel_laws`] | input validation, batch paths, symmetry, score = ∇ log p, heat equation, normalisation |
//! | [`check_sampler_matches_kernel`] | input validation, determinism, membership, Stein identity, moments against the kernel |
//!
//! Each law is a variant of [`Law`], whose docs state the formula and where its tolerance comes
//! from. They work for user-defined manifolds, kernels and samplers too:
//!
//! ```
//! use riemannian_diffusion::manifold::Sphere;
//! use riemannian_diffusion::testing::{check_manifold_laws, LawOptions};
//!
//! let report = check_manifold_laws(&Sphere::new(2).unwrap(), &LawOptions::default())
//!     .unwrap_or_else(|failure| panic!("{failure}"));
//! assert!(report.worst_ratio() <= 1.0);
//! ```
//!
//! # Error model of the deterministic laws
//! Let `u = 2⁻⁵³` (unit roundoff), `N` the ambient dimension, `B` =
//! [`LawOptions::rounding_budget`] and `η = B·N·u`. One call of a manifold method (a
//! *primitive*) whose inputs have ambient Euclidean norm at most `S ≥ 1` is assumed to return its
//! output with ambient Euclidean error at most `η·S` (scalars: absolute error `η·S`). This is the
//! standard forward-error bound of backward-stable linear algebra: a length-`N` inner product
//! errs by `γ_N ≈ N·u` relative to the product of the norms (Higham, *Accuracy and Stability of
//! Numerical Algorithms*, 2nd ed., §3.1), and a primitive chains a bounded number of such stages
//! (matrix products, a Padé or Rodrigues evaluation, an eigendecomposition, a re-orthogonalisation):
//! the default `B = 64` allows 8 stages with a constant 8 each (complex arithmetic costs up to
//! `2√2` per operation). A law whose two sides make `k` primitive calls therefore has tolerance
//! `k·η·S·κ`, where `κ` is the condition number of the compared map (1 unless the law says
//! otherwise). Inner products carry the metric scale `c = max_i 1/‖e_i‖²` over an orthonormal
//! tangent basis (`c = ½` on `SO(n)`, 1 elsewhere): `|δ⟨a, b⟩| ≤ k·η·c·‖a‖‖b‖`.
//! Two points are compared by `min(‖a − b‖, d(a, b))` (the ambient norm, or the distance when a
//! parametrisation wraps, as angles do on the torus).
//!
//! The laws near the cut locus use `r_inj` = [`LawOptions::injectivity_radius`] (a lower bound of
//! the injectivity radius; π for every built-in manifold: tori, spheres, `SO(n)` and `U(n)` have
//! exactly π, `SU(n)` has `π√2`) and the fraction `f` = [`LawOptions::injectivity_fraction`].
//!
//! # Finite differences (heat kernel laws)
//! A central difference `D(h)` has truncation error `C·h² + O(h⁴)` and round-off `ρ(h) ∝ δ/h^m`
//! (`δ` = error of one evaluation, `m` = order of the derivative). The constant `C` depends on
//! higher derivatives that are not known a priori, so it is estimated a posteriori by Richardson
//! (`D(2h) − D(h) = 3Ch² + …`): `|Ch²| ≤ T = (|D(2h) − D(h)| + ρ(h) + ρ(2h))/3`, and the
//! tolerance is `2T + ρ(h)` (the factor 2 covers the neglected `O(h⁴)`) plus the accuracy the
//! compared quantity claims. A bug that is not a discretisation artefact (a wrong factor, a wrong
//! time) does not shrink with `h` and is not absorbed by `T`.
//!
//! # Statistical laws
//! Every statistical test is two-sided at a level fixed in advance; within one call of a check
//! function the family-wise false-rejection probability is at most [`LawOptions::level`]
//! (default `1e-4`) by Bonferroni: with `K` tests in the family, each runs at level `α/K`
//! (`z` tests: `|z| ≤ Φ⁻¹(1 − α/2K)`; χ² and Kolmogorov–Smirnov tests at their `1 − α/K`
//! quantiles). The measured error of a statistical law is its test statistic and the tolerance
//! its critical value. Seeds are fixed, so every check is deterministic.
//!
//! # Cases and discards
//! A law is evaluated on [`LawOptions::cases`] random cases; case `i` of law `L` draws from
//! `rng_from_seed(s)` with `s` derived from [`LawOptions::seed`], `L` and `i` (reported in a
//! failure). A law that may discard a case (e.g. when a drawn element falls outside the domain
//! where the law holds) fails unless at least `⌈cases·min_accepted_fraction⌉` cases were
//! accepted (the failure names the starved law and says how many cases it accepted).
//!
//! The cases are driven by the crate's own seeded generator rather than `quickcheck`: the laws
//! need geometric distributions (uniform points, tangent vectors of prescribed length) that
//! `Arbitrary` cannot express, shrinking real-valued inputs is useless here, and the failing seed
//! reproduces the case exactly.

mod kernel_laws;
mod lie_group_laws;
mod manifold_laws;
mod sampler_laws;
mod stats;
mod util;

pub use kernel_laws::check_heat_kernel_laws;
pub use lie_group_laws::check_lie_group_laws;
pub use manifold_laws::check_manifold_laws;
pub use sampler_laws::check_sampler_matches_kernel;

use std::fmt;

/// Options of the law checks, with documented defaults ([`LawOptions::default`]).
#[derive(Clone, Debug, PartialEq)]
pub struct LawOptions {
    /// Base seed of every case and statistical sample. Default `0x1a35_2024`.
    pub seed: u64,
    /// Random cases per deterministic law. Default 32 (every built-in manifold runs all four
    /// checks in well under a second at this size).
    pub cases: usize,
    /// Laws that may discard cases fail unless `⌈cases·min_accepted_fraction⌉` were accepted.
    /// Default `0.5`.
    pub min_accepted_fraction: f64,
    /// `B` of the error model (module docs): unit roundoffs per ambient coordinate that one
    /// primitive may lose. Default 64 (8 backward-stable stages with constant 8).
    pub rounding_budget: f64,
    /// A lower bound `r_inj` of the injectivity radius. Default π (exact for tori, spheres,
    /// `SO(n)`, `U(n)`; `SU(n)` has `π√2`). Set it for manifolds of another size.
    pub injectivity_radius: f64,
    /// Tangent vectors of the round-trip laws have length up to `f·r_inj`, `f` this fraction.
    /// Default `0.9` (condition factor `κ = 1/(1 − f) = 10` at the largest length).
    pub injectivity_fraction: f64,
    /// Family-wise level of the statistical laws of one check call (Bonferroni). Default `1e-4`.
    pub level: f64,
    /// Draws per statistical test (uniform points, tangent normals, importance samples).
    /// Default 4000.
    pub samples: usize,
    /// The known `log Vol(M)` if there is one (checked exactly, see [`Law::LogVolumeReference`]).
    /// Default `None` (only the Monte Carlo check [`Law::LogVolumeMonteCarlo`]).
    pub reference_log_volume: Option<f64>,
    /// Run [`Law::LogVolumeMonteCarlo`]. Default `true`. It needs at least 50 of
    /// [`LawOptions::samples`] uniform points within `f·r_inj` of a point, which fails in high
    /// dimension (e.g. `T¹⁶`, `U(6)`): switch it off there and give
    /// [`LawOptions::reference_log_volume`].
    pub monte_carlo_volume: bool,
    /// Times of the heat kernel laws. Default `[0.05, 0.5, 2.0]` (a concentrated, a moderate and
    /// an almost uniform kernel on unit-size manifolds).
    pub times: Vec<f64>,
    /// Base points `(x₀, x)` per time for the pointwise heat kernel laws; half have `x` near `x₀`
    /// (`x = exp_{x₀}(√t z)`), half uniform. Default 4.
    pub kernel_cases: usize,
    /// Claimed absolute accuracy of `log p` (the kernel's contract). Default `1e-10`, the `Auto`
    /// kernels' worst contract (`S^d`, `d ≥ 4`; the others promise `1e-12`).
    pub log_prob_accuracy: f64,
    /// Claimed relative accuracy of the score, `|δs| ≤ a·max(1, ‖s‖)`. Default `1e-9` (the
    /// `Auto` kernels' contract).
    pub score_accuracy: f64,
    /// First-derivative step: `h = gradient_step·min(1, √t)`. Default `1e-3` (near the optimum
    /// `(3δ/|f'''|)^{1/3}` for `δ ≈ 1e-10`, `|f'''| ≈ t^{−3/2}`).
    pub gradient_step: f64,
    /// Second-derivative step: `h = laplacian_step·min(1, √t)`. Default `1e-2` (near the optimum
    /// `(48δ/|f''''|)^{1/4}` for `δ ≈ 1e-10`, `|f''''| ≈ t^{−2}`).
    pub laplacian_step: f64,
    /// Time step of `∂_t`: `k = time_step·t`. Default `1e-2`.
    pub time_step: f64,
    /// Importance weights `Vol·p_t(x₀, U)` (`U` uniform) are used only at times where their
    /// variance `Vol·p_{2t}(x₀, x₀) − 1` is at most this. Default 16.
    pub max_weight_variance: f64,
    /// Times of the sampler check. Default `[0.05, 0.5, 2.0]`: the flow and rejection samplers
    /// change regime with `t`, and curvature errors (a wrong Jacobian) grow like `t`: the
    /// law of `exp_{x₀}(√t z)` on `S²` differs from the kernel's by `z ≈ 0.4, 4, 17` standard
    /// errors at these times with 2000 draws (in `E[d(x₀, x)]`).
    pub sampler_times: Vec<f64>,
    /// Sampler draws per time. Default 2000.
    pub sampler_draws: usize,
}

impl Default for LawOptions {
    fn default() -> Self {
        LawOptions {
            seed: 0x1a35_2024,
            cases: 32,
            min_accepted_fraction: 0.5,
            rounding_budget: 64.0,
            injectivity_radius: std::f64::consts::PI,
            injectivity_fraction: 0.9,
            level: 1e-4,
            samples: 4000,
            reference_log_volume: None,
            monte_carlo_volume: true,
            times: vec![0.05, 0.5, 2.0],
            kernel_cases: 4,
            log_prob_accuracy: 1e-10,
            score_accuracy: 1e-9,
            gradient_step: 1e-3,
            laplacian_step: 1e-2,
            time_step: 1e-2,
            max_weight_variance: 16.0,
            sampler_times: vec![0.05, 0.5, 2.0],
            sampler_draws: 2000,
        }
    }
}

impl LawOptions {
    /// Panics with a clear message on inconsistent options (a programming error in the caller).
    fn validate(&self) {
        assert!(self.cases >= 1, "LawOptions::cases must be >= 1");
        assert!(
            (0.0..=1.0).contains(&self.min_accepted_fraction),
            "LawOptions::min_accepted_fraction must lie in [0, 1]"
        );
        assert!(
            self.rounding_budget > 0.0,
            "LawOptions::rounding_budget must be > 0"
        );
        assert!(
            self.injectivity_radius > 0.0 && self.injectivity_radius.is_finite(),
            "LawOptions::injectivity_radius must be finite and > 0"
        );
        assert!(
            self.injectivity_fraction > 0.0 && self.injectivity_fraction < 1.0,
            "LawOptions::injectivity_fraction must lie in (0, 1)"
        );
        assert!(
            self.level > 0.0 && self.level < 1.0,
            "LawOptions::level must lie in (0, 1)"
        );
        assert!(self.samples >= 100, "LawOptions::samples must be >= 100");
        assert!(
            self.times.iter().all(|t| t.is_finite() && *t > 0.0),
            "LawOptions::times must be finite and > 0"
        );
        assert!(
            self.sampler_times.iter().all(|t| t.is_finite() && *t > 0.0),
            "LawOptions::sampler_times must be finite and > 0"
        );
        assert!(
            self.sampler_draws >= 100,
            "LawOptions::sampler_draws must be >= 100"
        );
        assert!(
            self.time_step > 0.0 && self.time_step < 0.25,
            "LawOptions::time_step must lie in (0, 0.25) (t − 2k must stay > 0)"
        );
        assert!(
            self.gradient_step > 0.0 && self.laplacian_step > 0.0,
            "finite-difference steps must be > 0"
        );
    }

    /// The minimum number of accepted cases out of `cases`.
    fn min_accepted(&self, cases: usize) -> usize {
        ((cases as f64 * self.min_accepted_fraction).ceil() as usize).max(1)
    }
}

/// The laws checked by this module. Each variant states its formula and its tolerance (the
/// symbols `η`, `S`, `k`, `c`, `κ`, `r_inj`, `f`, `T`, `ρ`, `δ` are those of the module docs).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Law {
    // ----- manifold -----
    /// `sample_uniform` returns points that pass `check_point(x, η)`. The reported error is the
    /// smallest passing tolerance of the ladder `η·2^{−j}`, `j = 0, 1, …` (within a factor 2 of
    /// the point's membership defect).
    UniformOnManifold,
    /// `project_point(x) = x` for `x` on the manifold: `k = 1`, `S = max(1, ‖x‖)`.
    ProjectPointFixesManifold,
    /// `p = project_point(x + δ)` (ambient `δ`, `‖δ‖ = 10⁻³`) passes `check_point(p, η·S)`.
    ProjectPointOnManifold,
    /// `project_point` is local: for `z = x + δ` as in [`Law::ProjectPointOnManifold`],
    /// `d(project_point(z), x) ≤ 2‖δ‖_g + 2η·S` with `‖δ‖_g² = ⟨δ, δ⟩_x`. A nearest-point map
    /// moves `x + δ` to `x + P_xδ + O(‖δ‖²)` (`‖P_xδ‖_g ≤ ‖δ‖_g`), and an exact nearest point
    /// satisfies `‖p − x‖ ≤ 2‖δ‖`; angle wrapping moves it by exactly `‖δ‖`.
    ProjectPointIsLocal,
    /// `project_point(project_point(z)) = project_point(z)`: `k = 2`, `S = max(1, ‖z‖)`.
    ProjectPointIdempotent,
    /// `P_x(P_x v) = P_x v` for ambient Gaussian `v`: `k = 2`, `S = max(1, ‖x‖)·max(1, ‖v‖)`.
    ProjectTangentIdempotent,
    /// `⟨P_x a, b⟩ = ⟨a, P_x b⟩` for ambient Gaussian `a`, `b` (orthogonal projection; needs
    /// `inner` to extend bilinearly to ambient vectors, true for metrics induced by an ambient
    /// inner product): `k = 4`, scale `c·S·‖a‖‖b‖`.
    ProjectTangentSelfAdjoint,
    /// The projection is tangent: `P_x v = Σ_j ⟨e_j, P_x v⟩ e_j` over the tangent basis:
    /// `k = 2 + d` (projection, basis, `d` coefficients), `S = max(1, ‖x‖)·max(1, ‖v‖)`.
    ProjectTangentInBasisSpan,
    /// `⟨u, w⟩_x = ⟨w, u⟩_x` for tangent `u`, `w`: `k = 2`, scale `c·‖u‖‖w‖`.
    InnerSymmetric,
    /// `⟨αu + βw, z⟩ = α⟨u, z⟩ + β⟨w, z⟩` for tangent `u`, `w`, `z`: `k = 4`, scale
    /// `c·(|α|‖u‖ + |β|‖w‖)‖z‖`.
    InnerBilinear,
    /// Positive definite with the right values: for `v = Σ_j a_j e_j`,
    /// `⟨v, v⟩ = norm_squared(v) = Σ_j a_j² > 0`: `k = 2 + d`, scale `max(|a|², c‖v‖²)`.
    InnerPositive,
    /// `exp_x(v)` lies on the manifold (`check_point` at `η·(S + ‖v‖_g)`), for `‖v‖_g ≤ f·r_inj`.
    ExpOnManifold,
    /// `exp_x(v)` lies on the manifold for very long tangent vectors too, `‖v‖_g` log-uniform
    /// on `[10³, 10³⁰⁰]` (geodesic steps at huge `t`; squares of the entries overflow above
    /// `10¹⁵⁴`): `check_point` at `η·S·16`, independent
    /// of `‖v‖` — the point's position along the geodesic is then rounding noise, but it must
    /// be a point of the manifold (an exponential by repeated squaring fails this).
    ExpOfLongVectorsOnManifold,
    /// `log_x(exp_x(v)) = v` for tangent `v` with `‖v‖_g = f·r_inj·U`, `U` uniform on `[0, 1)`:
    /// `k = 2`, `S = max(1, ‖x‖) + ‖v‖`, `κ = 1/(1 − ‖v‖_g/r_inj)` (the logarithm's condition
    /// number grows like `θ/sin θ ≤ π/(π − θ)` towards the cut locus on spheres and, with the
    /// eigen-angle differences, on the groups).
    LogOfExp,
    /// `exp_x(log_x(y)) = y` for `y` uniform (even cases) or `y = exp_x(v)` with
    /// `‖v‖_g ∈ [0.95, 1.05]·r_inj` (odd cases; exactly `r_inj` in every other one): at and
    /// around the cut locus, where `log` is ill-conditioned but backward-stable (the computed
    /// logarithm is exact for a point within `η·S` of `y`): `k = 3` (with the comparison),
    /// `S = max(1, ‖x‖, ‖y‖)`.
    ExpOfLog,
    /// `log_x(y)` is tangent at `x`: `P_x log_x y = log_x y`: `k = 2`, `S` as [`Law::ExpOfLog`]
    /// times `max(1, ‖log_x y‖)`.
    LogIsTangent,
    /// `d(x, y) = ‖log_x y‖_g` for uniform `x`, `y`: `k = 3`, scale `S·(1 + d)`.
    DistanceIsLogNorm,
    /// `d(x, y) = d(y, x) ≥ 0`: `k = 2`, `S = max(1, ‖x‖, ‖y‖)`.
    DistanceSymmetric,
    /// `d(x, x) = 0`: `k = 1`, `S = max(1, ‖x‖)`. A distance computed from `arccos` of a trace
    /// errs by `√u` here and fails.
    DistanceZeroOnDiagonal,
    /// `d(x, z) ≤ d(x, y) + d(y, z)`, with slack `k = 3`, `S = max(1, ‖x‖, ‖y‖, ‖z‖)`.
    TriangleInequality,
    /// Geodesics minimise: for unit tangent `v` and `a, b ≥ 0` with `a + b ≤ f·r_inj`,
    /// `d(exp_x(−a v), exp_x(b v)) = a + b`. `a`, `b` are log-uniform on `[10⁻⁶, f·r_inj/2]`, so
    /// the law covers the small-`s` regime `d(x, exp_x(s v)) = s` where a distance must be
    /// accurate to `η` absolutely: `k = 3`, scale `S + a + b`.
    GeodesicIsMinimising,
    /// Distance is the infimum of lengths: `d(x, exp_x(v)) ≤ ‖v‖_g` for any tangent `v`, here
    /// `‖v‖_g` uniform on `[0, 3·r_inj]` (beyond the cut locus geodesics stop minimising, and a
    /// distance that forgets to wrap exceeds `‖v‖`): slack `k = 2`, scale `S + ‖v‖`.
    DistanceAtMostLength,
    /// `tangent_basis` writes `dim()` rows (a buffer pre-filled with NaN is fully overwritten)
    /// that are orthonormal: `|⟨e_i, e_j⟩ − δ_ij| ≤ 3η`.
    TangentBasisOrthonormal,
    /// Every basis row is tangent: `‖P_x e_i − e_i‖ ≤ 2η·max(1, ‖x‖)·max(1, ‖e_i‖)`.
    TangentBasisTangent,
    /// `sample_tangent_normal` is tangent: `‖P_x v − v‖ ≤ 2η·max(1, ‖x‖)·max(1, ‖v‖)`.
    TangentNormalIsTangent,
    /// `sample_tangent_normal` has identity covariance in the metric: with coefficients
    /// `a = (⟨e_j, v⟩)_j` of `n` = [`LawOptions::samples`] draws at each of two points,
    /// `n|ā|² ~ χ²_d` (mean zero) and the likelihood-ratio statistic
    /// `n(tr S₀ − ln det S₀ − d) ~ χ²_{d(d+1)/2}` (`S₀ = Σ a aᵀ/n`, covariance `I`; asymptotic,
    /// Anderson, *An Introduction to Multivariate Statistical Analysis*, §10.8), each at its
    /// Bonferroni level.
    TangentNormalCovariance,
    /// `log_volume()` equals [`LawOptions::reference_log_volume`]: tolerance `η·(1 + |ref|)`.
    LogVolumeReference,
    /// Monte Carlo volume: for `r ≤ f·r_inj`, `P_U(d(x, U) < r) = Vol B(x, r)/Vol M` with
    /// `Vol B(x, r) = ω_d r^d E[J(v)]` (`v` uniform in the tangent ball of radius `r`,
    /// `J = |det d(exp_x)_v|` by central differences of `log_y ∘ exp_x` in orthonormal frames,
    /// step `10⁻⁵`: relative error `≲ 10⁻⁷`, negligible). `r` is the median of `d(x, U)` from an
    /// independent pilot sample, capped at `f·r_inj`. The statistic
    /// `z = (ln V̂ − log_volume)/σ̂`, `σ̂² = Var(J)/(m·E[J]²) + (1 − P̂)/(nP̂)` (delta method) is
    /// tested two-sided at the Bonferroni level.
    LogVolumeMonteCarlo,
    /// The declared coordinate blocks ([`Manifold::coordinate_blocks`]) cover
    /// `ambient_dim()` coordinates with non-empty blocks, and every coordinate of a
    /// [`CoordinateKind::Angles`] block is `2π`-periodic: `project_point(x + 2π e_j)` is `x`
    /// (`k = 2`, `S = max(1, ‖x‖ + 2π)`).
    ///
    /// [`Manifold::coordinate_blocks`]: crate::manifold::Manifold::coordinate_blocks
    /// [`CoordinateKind::Angles`]: crate::manifold::CoordinateKind::Angles
    CoordinateBlocksAreConsistent,
    /// The declared metric form ([`Manifold::metric_form`]) is the metric: for a constant
    /// diagonal form with weights `w`, `⟨u, v⟩_x = Σ_j w_j u_j v_j` for tangent `u`, `v`
    /// (`k = 4`, scale `c‖u‖‖v‖`); a `General` form is always consistent (losses refuse it).
    ///
    /// [`Manifold::metric_form`]: crate::manifold::Manifold::metric_form
    MetricFormMatchesInner,
    /// The declared tangent-projection form ([`Manifold::tangent_projection`]) gives the same
    /// curvature covector `c(x)` (`Σ_i ⟨e_i, (D_{e_i} P) y⟩ = c·y`) as central differences of
    /// `project_tangent` along geodesics (`TangentProjection::Generic`, step `h = 10⁻⁵`:
    /// truncation `≈ h²` times third derivatives of order `d`, round-off `≈ ε/h ≈ 2e-11` per
    /// unit): `‖c_declared − c_differences‖ ≤ 10⁻⁸·(d + ‖c‖)`, ten times that budget
    /// (measured ≤ 3e-10 on the built-ins; a wrong declaration errs by `O(‖c‖)`).
    ///
    /// [`Manifold::tangent_projection`]: crate::manifold::Manifold::tangent_projection
    ProjectionFormMatchesDifferences,

    // ----- Lie group -----
    /// `e`, `a·b` and `a⁻¹` lie on the manifold (`check_point` at `k·η·S`, `k` = 1, 1, 1).
    GroupClosure,
    /// `(ab)c = a(bc)`: `k = 5` (four products and the comparison).
    Associativity,
    /// `e·a = a = a·e`: `k = 3`.
    Identity,
    /// `a·a⁻¹ = e = a⁻¹·a`: `k = 3`.
    Inverse,
    /// `d(ga, gb) = d(a, b) = d(ag, bg)`: `k = 4`, scale `S·(1 + d)`.
    BiInvariantDistance,
    /// Translations are isometries onto tangent spaces: `g·u` is tangent at `g·x` and
    /// `⟨g·u, g·w⟩_{gx} = ⟨u, w⟩_x = ⟨u·g, w·g⟩_{xg}`: `k = 4`, scale `c·‖u‖‖w‖`.
    BiInvariantMetric,
    /// `exp_x(v) = x·exp_e(x⁻¹v) = exp_e(v x⁻¹)·x` for `‖v‖_g ≤ f·r_inj`: `k = 5`,
    /// `S = max(1, ‖x‖) + ‖v‖`.
    TranslatedExp,
    /// `log_x(y) = x·log_e(x⁻¹y)` for `y = exp_x(v)`, `‖v‖_g ≤ f·r_inj`: `k = 4`, with `κ` of
    /// [`Law::LogOfExp`].
    TranslatedLog,
    /// One-parameter subgroups: for `ξ ∈ T_eG`, `exp_e(aξ)·exp_e(bξ) = exp_e((a + b)ξ)`,
    /// `exp_e(ξ)⁻¹ = exp_e(−ξ)`, and `log_e` of the product is `(a + b)ξ` when
    /// `|a + b|‖ξ‖_g ≤ f·r_inj` (cases beyond are discarded; at least
    /// `⌈cases·min_accepted_fraction⌉` must remain): `k = 5` (`κ` of [`Law::LogOfExp`] for `log`).
    OneParameterSubgroup,
    /// `g·exp_e(ξ)·g⁻¹ = exp_e(g ξ g⁻¹)` (the exponential commutes with `Ad_g`): `k = 6`.
    AdjointEquivariance,
    /// `sample_uniform` is the Haar probability: distances `d(c, U)` to the identity and to two
    /// other centres `c` have the same law (two-sample Kolmogorov–Smirnov on disjoint halves,
    /// critical value `√(−ln(α'/2)/2)·√((n + m)/(nm))`, asymptotic), and the means of a few
    /// ambient coordinates and of `d(e, ·)` agree between `g·U`, `U·g` and an independent `U'`
    /// (two-sample `z` tests), all at the Bonferroni level `α'`.
    HaarInvariance,

    // ----- heat kernel -----
    /// `log_prob`, `score`, `log_prob_batch` and `score_batch` return `Err` for `t ∈ {0, −1,
    /// −∞, +∞, NaN}` (`InvalidArgument`, or `NonFinite` for non-finite `t`).
    RejectsBadTime,
    /// The four entry points return `Err` for points of the wrong length (`DimensionMismatch`),
    /// with a NaN entry (`NonFinite` or `NotOnManifold`) and for points that
    /// `check_point(·, MEMBERSHIP_TOLERANCE)` rejects (`NotOnManifold`), in either argument.
    RejectsBadPoints,
    /// `log_prob_batch` and `score_batch` (shared and per-row `x₀` and `t`, with and without the
    /// optional `log p` output, more than one chunk of rows) agree with `log_prob` / `score`
    /// row by row: `|δ log p| ≤ 2a_p + η(1 + |log p|)` and `‖δs‖ ≤ 2a_s·max(1, ‖s‖)` (`a_p`, `a_s`
    /// = [`LawOptions::log_prob_accuracy`], [`LawOptions::score_accuracy`]: a batch path may use
    /// different, equally accurate arithmetic).
    BatchMatchesPointwise,
    /// Batch results are bitwise reproducible: the same call twice, and in a one-thread pool.
    BatchDeterministic,
    /// `p_t(x, y) = p_t(y, x)`: `|δ log p| ≤ 2a_p + 2η·S·(1 + |log p| + ‖s‖_g)` (each side's
    /// contract, plus rounding of the relative position moving `log p` by `‖s‖·η·S`).
    KernelSymmetry,
    /// On a Lie group (the kernel's manifold has [`Manifold::as_lie_group`]), the kernel is
    /// bi-invariant and the score equivariant: for uniform `g`,
    /// `p_t(gx₀, gx) = p_t(x₀, x) = p_t(x₀g, xg)`, `s(gx₀, gx) = g·s(x₀, x)` and
    /// `s(x₀g, xg) = s(x₀, x)·g` (translations are isometries fixing the heat equation).
    /// Tolerances: `log p` as [`Law::KernelSymmetry`] with `S = max(1, ‖g‖)·max(1, ‖x₀‖, ‖x‖)`;
    /// score `2a_s·max(1, ‖s‖) + 8η·S·(1 + ‖s‖ + 1/t)` (the translated points err by `η·S`,
    /// which moves the score by at most the Hessian norm of `log p` times that; the Hessian is
    /// bounded by `1/t` for the Gaussian part plus `‖s‖` for the curvature terms).
    ///
    /// [`Manifold::as_lie_group`]: crate::manifold::Manifold::as_lie_group
    KernelBiInvariance,
    /// The score is tangent: `‖P_x s − s‖ ≤ 2η·S·max(1, ‖s‖)`.
    ScoreIsTangent,
    /// `⟨s, e_i⟩ = ∂_σ log p_t(x₀, exp_x(σe_i))|_{σ=0}` for every basis vector, by the central
    /// difference `D(h)`, `h` = [`LawOptions::gradient_step`]`·min(1, √t)`:
    /// tolerance `2T + ρ(h) + a_s·max(1, ‖s‖) + η‖s‖` with `ρ(h) = δ/h`,
    /// `δ = a_p + η·S·(1 + |log p| + ‖s‖)`.
    ScoreIsGradient,
    /// The heat equation `∂_t log p = ½(Δ log p + ‖∇ log p‖²)` (equivalent to `∂_t p = ½Δp`),
    /// with `∂_t` by a central difference of step `k` = [`LawOptions::time_step`]`·t` and `Δ`,
    /// `∇` by second and first central differences along the geodesics `exp_x(±h e_i)`
    /// (`Δf = Σ_i ∂²_σ f(exp_x(σe_i))`, exact for geodesics and an orthonormal basis),
    /// `h` = [`LawOptions::laplacian_step`]`·min(1, √t)`. The residual `R(h, k)` has truncation
    /// `C·h² + O(h⁴)` (`h` and `k` are doubled together, so both truncation terms scale by 4), round-off
    /// `ρ = δ/k + 2dδ/h² + δ·Σ|g_i|/h` and a model term `a_p·(1/t + d/ℓ² + Σ|g_i|/ℓ)`,
    /// `ℓ = min(1, √t)` (a smooth kernel error of size `a_p` varying on the scale `ℓ`).
    /// Tolerance `2T + ρ + model`.
    HeatEquation,
    /// `∫ p_t(x₀, x) dx = 1`: `W = Vol·p_t(x₀, U)`, `U` uniform, has mean 1 and variance
    /// `σ² = Vol·p_{2t}(x₀, x₀) − 1` (Chapman–Kolmogorov and symmetry). At each time of
    /// [`LawOptions::times`] where `σ² ≤` [`LawOptions::max_weight_variance`] (or, if none, the
    /// last time doubled until it is), `z = (W̄ − 1)/√(max(σ², s²)/n)` is tested two-sided at the
    /// Bonferroni level (`s²` the sample variance, `n` = [`LawOptions::samples`]).
    Normalisation,

    // ----- sampler -----
    /// `sample` and `sample_batch` return `Err` for `t ∈ {0, −1, NaN}` and for an `x₀` that
    /// `check_point(·, MEMBERSHIP_TOLERANCE)` rejects or that has the wrong length.
    SamplerRejectsBadInput,
    /// Every draw passes `check_point(x, 4η·S)` (a sampler's last stage is a few primitives:
    /// `k = 4`).
    SamplesOnManifold,
    /// `sample_batch` is a function of the seed: bitwise equal twice and in a one-thread pool,
    /// different for another seed; `sample` with equal generators gives equal draws.
    SamplerDeterministic,
    /// Stein identity `E_{x∼p_t}[⟨s(x), ∇f(x)⟩ + Δf(x)] = 0` (integration by parts on a closed
    /// manifold, `s` the kernel's score) for the smooth test functions
    /// `f₁ = Σ_k (1 − cos(x_k − x₀_k))`, `f₁²` and `sin(x_k − x₀_k)`, `k < 2`, with `∇f`, `Δf`
    /// by central differences along geodesics (step `10⁻³`: bias `≲ 10⁻⁶·d·max|f''''|`, far
    /// below the standard error); one-sample `z` test per time and function, Bonferroni level.
    /// Valid at every `t` (no importance weights), so it covers small times.
    SteinIdentity,
    /// Moments against the kernel: for `f` in {a few ambient coordinates, `d(x₀, x)`, `f₁`},
    /// the sampler mean is compared with the self-normalised importance-sampling estimate
    /// `Σ w f/Σ w`, `w = p_t(x₀, U)`, `U` uniform ([`LawOptions::samples`] draws), by the
    /// two-sample `z = (f̄ − μ̂)/√(s²/n + Σw²(f − μ̂)²/(Σw)²)`, at times where the weight variance
    /// is at most [`LawOptions::max_weight_variance`]; Bonferroni level.
    KernelMoments,
}

impl Law {
    /// The law's name in `snake_case` (stable, for tables and logs).
    pub fn name(self) -> &'static str {
        match self {
            Law::UniformOnManifold => "uniform_on_manifold",
            Law::ProjectPointFixesManifold => "project_point_fixes_manifold",
            Law::ProjectPointOnManifold => "project_point_on_manifold",
            Law::ProjectPointIsLocal => "project_point_is_local",
            Law::ProjectPointIdempotent => "project_point_idempotent",
            Law::ProjectTangentIdempotent => "project_tangent_idempotent",
            Law::ProjectTangentSelfAdjoint => "project_tangent_self_adjoint",
            Law::ProjectTangentInBasisSpan => "project_tangent_in_basis_span",
            Law::InnerSymmetric => "inner_symmetric",
            Law::InnerBilinear => "inner_bilinear",
            Law::InnerPositive => "inner_positive",
            Law::ExpOnManifold => "exp_on_manifold",
            Law::ExpOfLongVectorsOnManifold => "exp_of_long_vectors_on_manifold",
            Law::LogOfExp => "log_of_exp",
            Law::ExpOfLog => "exp_of_log",
            Law::LogIsTangent => "log_is_tangent",
            Law::DistanceIsLogNorm => "distance_is_log_norm",
            Law::DistanceSymmetric => "distance_symmetric",
            Law::DistanceZeroOnDiagonal => "distance_zero_on_diagonal",
            Law::TriangleInequality => "triangle_inequality",
            Law::GeodesicIsMinimising => "geodesic_is_minimising",
            Law::DistanceAtMostLength => "distance_at_most_length",
            Law::TangentBasisOrthonormal => "tangent_basis_orthonormal",
            Law::TangentBasisTangent => "tangent_basis_tangent",
            Law::TangentNormalIsTangent => "tangent_normal_is_tangent",
            Law::TangentNormalCovariance => "tangent_normal_covariance",
            Law::LogVolumeReference => "log_volume_reference",
            Law::LogVolumeMonteCarlo => "log_volume_monte_carlo",
            Law::CoordinateBlocksAreConsistent => "coordinate_blocks_are_consistent",
            Law::MetricFormMatchesInner => "metric_form_matches_inner",
            Law::ProjectionFormMatchesDifferences => "projection_form_matches_differences",
            Law::GroupClosure => "group_closure",
            Law::Associativity => "associativity",
            Law::Identity => "identity",
            Law::Inverse => "inverse",
            Law::BiInvariantDistance => "bi_invariant_distance",
            Law::BiInvariantMetric => "bi_invariant_metric",
            Law::TranslatedExp => "translated_exp",
            Law::TranslatedLog => "translated_log",
            Law::OneParameterSubgroup => "one_parameter_subgroup",
            Law::AdjointEquivariance => "adjoint_equivariance",
            Law::HaarInvariance => "haar_invariance",
            Law::RejectsBadTime => "rejects_bad_time",
            Law::RejectsBadPoints => "rejects_bad_points",
            Law::BatchMatchesPointwise => "batch_matches_pointwise",
            Law::BatchDeterministic => "batch_deterministic",
            Law::KernelSymmetry => "kernel_symmetry",
            Law::KernelBiInvariance => "kernel_bi_invariance",
            Law::ScoreIsTangent => "score_is_tangent",
            Law::ScoreIsGradient => "score_is_gradient",
            Law::HeatEquation => "heat_equation",
            Law::Normalisation => "normalisation",
            Law::SamplerRejectsBadInput => "sampler_rejects_bad_input",
            Law::SamplesOnManifold => "samples_on_manifold",
            Law::SamplerDeterministic => "sampler_deterministic",
            Law::SteinIdentity => "stein_identity",
            Law::KernelMoments => "kernel_moments",
        }
    }

    /// Whether the law is a statistical test (error = test statistic, tolerance = critical value).
    pub fn is_statistical(self) -> bool {
        matches!(
            self,
            Law::TangentNormalCovariance
                | Law::LogVolumeMonteCarlo
                | Law::HaarInvariance
                | Law::Normalisation
                | Law::SteinIdentity
                | Law::KernelMoments
        )
    }
}

impl fmt::Display for Law {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The outcome of one law: how many cases it saw and its worst measured error.
#[derive(Clone, Debug, PartialEq)]
pub struct LawResult {
    /// The law.
    pub law: Law,
    /// Accepted cases (deterministic laws) or tests in the family (statistical laws).
    pub cases: usize,
    /// Discarded cases (outside the law's domain).
    pub discarded: usize,
    /// The measured error with the largest ratio `error/tolerance` (0 if no measurement).
    pub worst_error: f64,
    /// The tolerance of that measurement.
    pub tolerance: f64,
    /// The case seed of that measurement.
    pub seed: u64,
}

impl LawResult {
    /// `worst_error/tolerance` (0 when both are 0; a law passes when this is `≤ 1`).
    pub fn ratio(&self) -> f64 {
        ratio(self.worst_error, self.tolerance)
    }
}

fn ratio(error: f64, tolerance: f64) -> f64 {
    if error == 0.0 {
        0.0
    } else {
        error / tolerance
    }
}

/// Every law one check passed, with measured errors; [`fmt::Display`] prints a table.
#[derive(Clone, Debug, PartialEq)]
pub struct LawReport {
    /// The checked object (its `Debug` label).
    pub subject: String,
    /// One entry per law, in the order checked.
    pub results: Vec<LawResult>,
}

impl LawReport {
    /// The result of `law`, if it was checked.
    pub fn get(&self, law: Law) -> Option<&LawResult> {
        self.results.iter().find(|r| r.law == law)
    }

    /// The largest `error/tolerance` over all laws (`≤ 1` since every law passed).
    pub fn worst_ratio(&self) -> f64 {
        self.results
            .iter()
            .map(LawResult::ratio)
            .fold(0.0, f64::max)
    }
}

impl fmt::Display for LawReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.subject)?;
        for r in &self.results {
            writeln!(
                f,
                "  {:<32} cases {:>4} (discarded {:>3})  worst {:>10.3e} / tol {:>10.3e} = {:.3}",
                r.law.name(),
                r.cases,
                r.discarded,
                r.worst_error,
                r.tolerance,
                r.ratio()
            )?;
        }
        Ok(())
    }
}

/// A violated law: which law, where, by how much.
#[derive(Clone, Debug, PartialEq)]
pub struct LawFailure {
    /// The violated law (for a law that accepted too few cases, `detail` says how many).
    pub law: Law,
    /// The checked object (its `Debug` label).
    pub subject: String,
    /// Index of the failing case (`None` for statistical laws and whole-law failures).
    pub case: Option<usize>,
    /// Seed of the failing case: the case draws from `rng_from_seed(seed)`; re-running the check
    /// with the same [`LawOptions`] reproduces it.
    pub seed: u64,
    /// The point (ambient coordinates) where the law failed, if there is one.
    pub point: Vec<f64>,
    /// The measured error (or test statistic; `NaN` if the computation produced NaN).
    pub error: f64,
    /// The tolerance (or critical value).
    pub tolerance: f64,
    /// What was compared, with the values involved.
    pub detail: String,
}

impl fmt::Display for LawFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: law `{}` failed", self.subject, self.law)?;
        if let Some(case) = self.case {
            write!(f, " at case {case}")?;
        }
        write!(
            f,
            " (seed {}): error {:.4e} > tolerance {:.4e}: {}",
            self.seed, self.error, self.tolerance, self.detail
        )?;
        if !self.point.is_empty() {
            write!(f, "; point = {:?}", self.point)?;
        }
        Ok(())
    }
}

impl std::error::Error for LawFailure {}

/// Accumulates the results of one check call.
pub(crate) struct Suite<'a> {
    subject: String,
    options: &'a LawOptions,
    results: Vec<LawResult>,
}

/// The running worst case of one law.
pub(crate) struct Tracker<'s> {
    law: Law,
    subject: &'s str,
    case: Option<usize>,
    seed: u64,
    accepted: usize,
    discarded: usize,
    worst: Option<(f64, f64, f64, u64)>,
}

impl<'a> Suite<'a> {
    pub(crate) fn new(subject: String, options: &'a LawOptions) -> Self {
        options.validate();
        Suite {
            subject,
            options,
            results: Vec::new(),
        }
    }

    /// Runs `law` on `cases` seeded cases. `case(rng, tracker)` returns `Ok(true)` when the case
    /// was accepted, `Ok(false)` when it was discarded.
    pub(crate) fn cases(
        &mut self,
        law: Law,
        cases: usize,
        mut case: impl FnMut(&mut crate::random::Rng, &mut Tracker<'_>) -> Result<bool, LawFailure>,
    ) -> Result<(), LawFailure> {
        let mut tracker = Tracker::new(law, &self.subject);
        for i in 0..cases {
            let seed = util::case_seed(self.options.seed, law, i);
            tracker.case = Some(i);
            tracker.seed = seed;
            let mut rng = crate::random::rng_from_seed(seed);
            if case(&mut rng, &mut tracker)? {
                tracker.accepted += 1;
            } else {
                tracker.discarded += 1;
            }
        }
        let min = self.options.min_accepted(cases);
        if tracker.accepted < min {
            return Err(LawFailure {
                law,
                subject: self.subject.clone(),
                case: None,
                seed: self.options.seed,
                point: Vec::new(),
                error: (min - tracker.accepted) as f64,
                tolerance: 0.0,
                detail: format!(
                    "only {} of {cases} cases were accepted ({} discarded); at least {min} are required",
                    tracker.accepted, tracker.discarded
                ),
            });
        }
        let result = tracker.result();
        self.push(result);
        Ok(())
    }

    /// Runs a law once (statistical laws, whole-object checks) with the law's seed.
    pub(crate) fn once(
        &mut self,
        law: Law,
        run: impl FnOnce(u64, &mut Tracker<'_>) -> Result<(), LawFailure>,
    ) -> Result<(), LawFailure> {
        let mut tracker = Tracker::new(law, &self.subject);
        let seed = util::case_seed(self.options.seed, law, 0);
        tracker.seed = seed;
        run(seed, &mut tracker)?;
        let result = tracker.result();
        self.push(result);
        Ok(())
    }

    fn push(&mut self, result: LawResult) {
        self.results.push(result);
    }

    pub(crate) fn finish(self) -> LawReport {
        LawReport {
            subject: self.subject,
            results: self.results,
        }
    }
}

impl<'s> Tracker<'s> {
    fn new(law: Law, subject: &'s str) -> Self {
        Tracker {
            law,
            subject,
            case: None,
            seed: 0,
            accepted: 0,
            discarded: 0,
            worst: None,
        }
    }

    fn result(self) -> LawResult {
        let (_, worst_error, tolerance, seed) = self.worst.unwrap_or((0.0, 0.0, 0.0, 0));
        let cases = if self.law.is_statistical() || self.case.is_none() {
            self.accepted.max(1)
        } else {
            self.accepted
        };
        LawResult {
            law: self.law,
            cases,
            discarded: self.discarded,
            worst_error,
            tolerance,
            seed,
        }
    }

    /// Records `error ≤ tolerance` (NaN errors fail); on violation returns the failure.
    pub(crate) fn check(
        &mut self,
        error: f64,
        tolerance: f64,
        point: &[f64],
        detail: impl FnOnce() -> String,
    ) -> Result<(), LawFailure> {
        // A NaN error (or tolerance) fails.
        if error.is_nan() || tolerance.is_nan() || error > tolerance {
            return Err(self.failure(error, tolerance, point, detail()));
        }
        let r = ratio(error, tolerance);
        // Replace on a larger ratio, or a first real tolerance over a `require` placeholder.
        if self
            .worst
            .is_none_or(|(w, _, t, _)| r > w || (t == 0.0 && tolerance > 0.0 && r >= w))
        {
            self.worst = Some((r, error, tolerance, self.seed));
        }
        Ok(())
    }

    /// A failure of this law at the current case.
    pub(crate) fn failure(
        &self,
        error: f64,
        tolerance: f64,
        point: &[f64],
        detail: String,
    ) -> LawFailure {
        LawFailure {
            law: self.law,
            subject: self.subject.to_string(),
            case: self.case,
            seed: self.seed,
            point: point.to_vec(),
            error,
            tolerance,
            detail,
        }
    }

    /// Records a pass/fail condition (error 0 or 1 against tolerance 0).
    /// A passing condition does not displace the recorded worst measurement.
    pub(crate) fn require(
        &mut self,
        ok: bool,
        point: &[f64],
        detail: impl FnOnce() -> String,
    ) -> Result<(), LawFailure> {
        if ok {
            if self.worst.is_none() {
                self.worst = Some((0.0, 0.0, 0.0, self.seed));
            }
            Ok(())
        } else {
            Err(self.failure(1.0, 0.0, point, detail()))
        }
    }

    /// Counts one statistical test of a family (for the report's `cases`).
    pub(crate) fn count_test(&mut self) {
        self.accepted += 1;
    }
}
