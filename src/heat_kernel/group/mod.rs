//! Heat kernels on the compact Lie groups `SO(n)`, `SU(n)` and `U(n)` from their root systems.
//!
//! Conventions: [`crate::conventions`] and [`crate::lie`] (Brownian time, densities w.r.t. the Riemannian
//! volume of the bi-invariant metric `½tr(AᵀB)` on SO(n), `Re tr(XᴴY)` on SU(n)/U(n)).
//!
//! # Reduction to the maximal torus
//! The metric is bi-invariant, so `p_t(x₀, x) = f_t(g)` with `g = x₀⁻¹x` (`x₀ᵀx`, `x₀ᴴx`) and
//! `f_t` a class function, determined by the torus coordinates `H` of `g` ([`crate::lie`]
//! table). `H` comes from [`unitary_eigen`] (U(n); SU(n) followed by the reduction
//! [`paths::TorusPoint::special_unitary`], which subtracts `2π` from some eigen-angles like
//! [`RootSystem::torus_algebra_point`] but keeps the integer shift exact, so that the path sum
//! forms root values and Gaussian gaps with the exact `2π`) or
//! [`special_orthogonal_rotation_angles`] (SO(n), which keeps the orientation sign of SO(2m)).
//!
//! # Sizes
//! [`GroupHeatKernel::new`] accepts SO(n ≤ 7), SU(n ≤ 4), U(n ≤ 3): the sizes whose `Auto`
//! kernel answers every `(t, x)` within its accuracy bar in about 10 ms
//! ([`crate::limits`], with the measurement); the parser refuses larger ones with the same
//! reason.
//!
//! # The uniform regime (huge `t`)
//! With `c₁` the smallest non-zero Casimir, `|S(H) − 1| ≤ Z(t) − 1 ≤ (Z(T) − 1)e^{−c₁(t−T)/2}`
//! for `t ≥ T` (`Z` the heat trace, `|χ_λ| ≤ d_λ`), and the score is bounded likewise (each
//! character's gradient is at most `d_λ` times twice its largest weight coordinate). `Z(T)` is
//! computed once per kernel, at `T = 2(ln d₁² + 7)/c₁`, from the character series at the
//! identity with its rigorous tail bound. Where both bounds are below the tolerance, `Eigen`
//! and `Auto` return `log p = −log Vol G` and a zero score, reported as `Eigen` with the
//! bound as error estimate — up to `t = f64::MAX` (where the series itself would form
//! `e^{|ρ|²t/2}·0`). One-time cost per kernel: 0.05–40 ms (SO(3)–SO(12)).
//!
//! # Estimators ([`KernelMethod`], all five offered: [`GroupHeatKernel::METHODS`])
//! Formulas, accuracy and cost are documented in the submodules:
//! - [`KernelMethod::SumOverPaths`]: [`paths`] — the lattice sum over `Γ` with the Van Vleck and
//!   curvature factors, with a Cauchy-integral (mean-value) regularisation at and near walls
//!   where single path terms are singular; full accuracy for `t ≤ 1` (measured score errors
//!   ≤ 2e-10 relative), `6e-9` at `t = 3`, alternating cancellation beyond (and unaffordable
//!   for `t ≳ 1e3`).
//! - [`KernelMethod::Eigen`], the **character expansion**: [`characters`] — Weyl characters
//!   truncated by Casimir, exact up to a rigorous tail bound, but loses
//!   `log10(f_t(I)/f_t(x)) ≈ d²/(2t ln 10)` digits to cancellation far from the identity at
//!   small `t`; the method of choice for `t ≳ 1`. Returns [`Error::Numerical`] where its
//!   rounding estimate exceeds [`EIGEN_MAX_RELATIVE_ERROR`] (1e-8), like the sphere's `Eigen`.
//! - [`KernelMethod::Varadhan`]: [`asymptotic`] — the leading Gaussian
//!   `(2πt)^{−dim G/2} e^{−d²/2t}`; relative error `O(d² + t)`.
//! - [`KernelMethod::SchwingerDeWitt`]: [`asymptotic`] — the closest path with Van Vleck and
//!   curvature factors; exact up to the other paths, error `≈ e^{−Δ(d²)/2t}`; an error at the
//!   cut locus.
//! - [`KernelMethod::Auto`]: [`auto`] — per `(t, H)` the cheapest of these whose error
//!   estimate meets [`GroupHeatKernel::tolerance`] (default [`DEFAULT_AUTO_TOLERANCE`]).
//!
//! Every evaluation reports the estimator that answered and its error estimate
//! ([`TorusEvaluation::error_estimate`], [`KernelEvaluation::error_estimate`]; the formulas
//! per estimator are in the [`KernelEvaluation`] docs).
//!
//! # Measured accuracy of `Auto` (default tolerance `1e-12`)
//! Against the mpmath reference (`reference_data/group_heat_kernel_*.csv`, ≥ 39 digits; 464
//! rows, `t ∈ {1e-4, …, 10}`, points from the identity to the cut locus, exactly on walls, next
//! to the SU(3) centre), through the ambient API (`x₀ = I`, `x` the f64 matrix):
//!
//! | group | max abs. error of `log p` | max rel. error of the score (`\|s\| ≥ 1e-6`) | max abs. score error (`\|s\| < 1e-6`) |
//! |---|---|---|---|
//! | SO(3) | 3.6e-12 | 5.8e-13 | 2.6e-19 |
//! | SO(4) | 7.3e-12 | 1.2e-10 | 1.3e-16 |
//! | SU(2) | 1.8e-12 | 4.3e-11 | 1.2e-18 |
//! | SU(3) | 2.9e-11 | 9.8e-11 | 3.7e-10 (3.8e-8 at one row, below) |
//! | U(2)  | 7.3e-12 | 3.5e-10 | 4.1e-15 |
//!
//! The one row above the bar (score `1e-9` relative, or absolute where `≈ 0`) is SU(3)
//! at `t = 1e-4`, `θ = (a, a)`, `a = fl(2π/3)`: `6.9e-16` from the centre element, where the
//! score is `Hess·offset` with `|Hess| ≈ 1e8`; the f64 matrix encodes the eigen-angle only to
//! one ulp (`4.4e-16`), which moves the score by `2.5e-7` — the error `3.8e-8` is below that
//! input sensitivity, and at the torus level (`H` exactly representable) the error is `8.7e-11`.
//! Larger `log p` errors at small `t` are the conditioning `|∇ log p|·ε|H| ≈ ε|H|²/t` of the
//! f64 input, not the estimators.
//!
//! # Score
//! `∇_x log p = x·Ω` with `Ω = k(Σ_j g_j G_j)k⁻¹` the torus gradient `g = ∂f/∂H` carried by the
//! eigenvectors of `g`: U(n)/SU(n): `Ω = V diag(i g_j) Vᴴ`; SO(n): `Ω = Σ_k ± g_k (w_k u_kᵀ −
//! u_k w_kᵀ)` with `u_k − i w_k = √2 v_k`, `v_k` the unit eigenvector of `e^{iψ_k}`, `ψ_k ∈ (0, π)`
//! (planes with angle 0 or π carry no gradient: `f` is even in each angle there).

pub mod asymptotic;
pub mod auto;
pub mod characters;
pub mod paths;

use super::{
    check_auto_tolerance, check_inputs, check_representable, HeatKernel, KernelEvaluation,
    KernelMethod, DEFAULT_AUTO_TOLERANCE, EIGEN_MAX_RELATIVE_ERROR,
};
use crate::error::{check_len, Error, Num, Result};
use crate::heat_kernel::character_series::CharacterSeries;
use crate::lie::RootSystem;
use crate::linalg::{special_orthogonal_rotation_angles, unitary_eigen};
use crate::manifold::{CompactGroup, Manifold};
use faer::c64;
use paths::TorusPoint;
use std::f64::consts::PI;
use std::sync::{Arc, OnceLock};

/// Heat kernel `p_t(x₀, x)` of `∂_t p = ½Δp` on SO(n), SU(n) or U(n) (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct GroupHeatKernel {
    group: CompactGroup,
    manifold: Arc<dyn Manifold>,
    roots: RootSystem,
    method: KernelMethod,
    tolerance: f64,
    series: Arc<CharacterSeries>,
    /// The uniform regime's bound, computed on first use (`None` if it could not be).
    uniform: Arc<OnceLock<Option<UniformBound>>>,
}

/// A rigorous bound of the distance of the kernel from the uniform density at large `t`
/// (module docs, *The uniform regime*): with `c₁` the smallest non-zero Casimir and
/// `E ≥ Z(T) − 1` the excess of the heat trace `Z = Σ_λ d_λ² e^{−c_λ t/2}` at a reference time
/// `T`, every `t ≥ T` has `|S(H) − 1| ≤ Z(t) − 1 ≤ E e^{−c₁(t − T)/2}` (each `c_λ ≥ c₁`, and
/// `|χ_λ| ≤ d_λ`), and `|∇S| ≤ G (Z(t − 1) − 1)` with `G = 2(√(|ρ|² + 1) + |ρ|)` (the
/// gradient of a character is at most `d_λ` times twice its largest weight coordinate,
/// `≤ 2(|λ + ρ| + |ρ|)`, and `√(c + |ρ|²) e^{−c/2} ≤ √(|ρ|² + 1)`).
#[derive(Clone, Copy, Debug)]
struct UniformBound {
    /// `T`.
    reference_time: f64,
    /// `E ≥ Z(T) − 1`.
    excess: f64,
    /// `c₁`.
    casimir: f64,
    /// `G`.
    gradient_factor: f64,
}

impl UniformBound {
    /// `Z(t) − 1` bounded (`∞` below the reference time).
    fn trace_excess(&self, t: f64) -> f64 {
        if t < self.reference_time {
            f64::INFINITY
        } else {
            self.excess * (-0.5 * self.casimir * (t - self.reference_time)).exp()
        }
    }

    /// `(relative error of p, absolute error of ∇ log p)` of the uniform density at `t`.
    fn errors(&self, t: f64) -> (f64, f64) {
        let value = self.trace_excess(t);
        let gradient = self.gradient_factor * self.trace_excess(t - 1.0) / (1.0 - value).max(0.5);
        (value, gradient)
    }
}

/// Torus-level evaluation: `log f`, `∂ log f/∂H`, terms, estimator and error estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct TorusEvaluation {
    /// `log f_t(e^H)` (density w.r.t. the Riemannian volume).
    pub log_prob: f64,
    /// `∂ log f/∂H` in torus coordinates (in `t`: projected onto `Σ = 0` for SU(n)).
    pub gradient: Vec<f64>,
    /// Terms used (paths × contour nodes, weights, …).
    pub terms: usize,
    /// The estimator that produced the value (never [`KernelMethod::Auto`]).
    pub estimator: KernelMethod,
    /// Estimated relative error of `f` (absolute error of `log f`); see
    /// [`KernelEvaluation::error_estimate`].
    pub error_estimate: f64,
}

impl From<&TorusEvaluation> for KernelEvaluation {
    /// The evaluation at `g = e^H` without the torus gradient (the caller maps that to the
    /// ambient score).
    fn from(e: &TorusEvaluation) -> Self {
        KernelEvaluation {
            log_prob: e.log_prob,
            terms: e.terms,
            estimator: e.estimator,
            error_estimate: e.error_estimate,
        }
    }
}

impl GroupHeatKernel {
    /// The estimators the groups offer: all of [`KernelMethod::ALL`] (`Eigen` is the character
    /// expansion).
    pub const METHODS: [KernelMethod; 5] = KernelMethod::ALL;

    /// The heat kernel of `group` (a [`CompactGroup`], or an `SO(n)`, `SU(n)` or `U(n)`
    /// manifold) with `method` (`Auto` tolerance [`DEFAULT_AUTO_TOLERANCE`]).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the matrix size is below the family's minimum;
    /// [`Error::LimitExceeded`] above the sizes whose kernel answers every `(t, x)` within the
    /// time budget ([`crate::limits::check_group_kernel_size`]: `so:7`, `su:4`, `u:3`), with
    /// the same reason as the parser gives.
    pub fn new(group: impl Into<CompactGroup>, method: KernelMethod) -> Result<Self> {
        let group = group.into();
        crate::limits::check_group_kernel_size(group)?;
        let manifold = group.manifold()?;
        let roots = RootSystem::new(group)?;
        let series = Arc::new(CharacterSeries::new(roots.clone()));
        Ok(GroupHeatKernel {
            group,
            manifold,
            roots,
            method,
            tolerance: DEFAULT_AUTO_TOLERANCE,
            series,
            uniform: Arc::new(OnceLock::new()),
        })
    }

    /// The uniform regime's bound (module docs), computed once per kernel: `c₁` and `d₁` from
    /// the dominant weights with Casimir `≤ n + 1` (every group here has a non-trivial irrep
    /// there: `c₁ = (n² − 1)/n`, `n − 1`, `n` for SU(n), SO(n), U(n)), the reference time
    /// `T = 2(ln d₁² + 7)/c₁` (where the leading excess term is `e^{−7}`, so the series at `T`
    /// needs few terms), and `Z(T)` from the character series at the identity, a sum of
    /// positive terms, with its rigorous tail bound and rounding estimate added.
    fn uniform_bound(&self) -> Option<UniformBound> {
        *self.uniform.get_or_init(|| {
            let rs = &self.roots;
            let irreps = rs
                .dominant_weights(self.n() as f64 + 1.0)
                .ok()?
                .into_iter()
                .filter(|irrep| irrep.casimir() > 1e-9);
            let lowest = irreps.min_by(|a, b| a.casimir().total_cmp(&b.casimir()))?;
            let (casimir, dimension) = (lowest.casimir(), lowest.dimension());
            let reference_time = 2.0 * (2.0 * dimension.ln() + 7.0) / casimir;
            let identity = vec![0.0; rs.torus_dim()];
            let trace = self.series.evaluate(&identity, reference_time, 1e-3).ok()?;
            let excess = trace.value - 1.0 + trace.tail_bound + trace.rounding_bound;
            let rho = rs.rho_norm_sq().sqrt();
            (excess.is_finite() && excess > 0.0).then_some(UniformBound {
                reference_time,
                excess,
                casimir,
                gradient_factor: 2.0 * ((rho * rho + 1.0).sqrt() + rho),
            })
        })
    }

    /// Whether the kernel at `t` is the uniform (Haar) density to relative accuracy
    /// `tolerance` everywhere, by the rigorous bound of the uniform regime (module docs):
    /// then its total variation from Haar measure is below `tolerance/2`.
    pub fn is_uniform(&self, t: f64, tolerance: f64) -> bool {
        t >= 1.0
            && self
                .uniform_bound()
                .is_some_and(|b| b.trace_excess(t) <= tolerance)
    }

    /// The uniform density `1/Vol G` with a zero gradient, if the [`UniformBound`] says it is
    /// within the tolerance at `t` (value relative, gradient absolute).
    fn uniform_evaluation(&self, t: f64) -> Option<TorusEvaluation> {
        // A cheap test first: no bound can pass before the smallest Casimir has decayed.
        if t < 1.0 {
            return None;
        }
        let bound = self.uniform_bound()?;
        let (value, gradient) = bound.errors(t);
        (value <= self.tolerance && gradient <= self.tolerance).then(|| TorusEvaluation {
            log_prob: -self.roots.volume().ln(),
            gradient: vec![0.0; self.roots.torus_dim()],
            terms: 1,
            estimator: KernelMethod::Eigen,
            error_estimate: value,
        })
    }

    /// Sets the relative tolerance of `p` requested from [`KernelMethod::Auto`] (default
    /// [`DEFAULT_AUTO_TOLERANCE`] = `1e-12`). The explicit `Eigen` and `SumOverPaths`
    /// truncate their series at this tolerance too.
    ///
    /// # Errors
    /// As [`check_auto_tolerance`] (finite, `1e-15 ≤ tolerance < 1`).
    pub fn with_tolerance(mut self, tolerance: f64) -> Result<Self> {
        check_auto_tolerance(tolerance)?;
        self.tolerance = tolerance;
        Ok(self)
    }

    /// The relative tolerance of `p` used by [`KernelMethod::Auto`] (and by the truncation of
    /// the explicit series).
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// The estimator in use.
    pub fn method(&self) -> KernelMethod {
        self.method
    }

    /// The root system of the group.
    pub fn root_system(&self) -> &RootSystem {
        &self.roots
    }

    /// The group.
    pub fn group(&self) -> CompactGroup {
        self.group
    }

    fn n(&self) -> usize {
        self.group.n()
    }

    /// `(log f_t(e^H), ∂ log f/∂H, terms)` at torus coordinates `h` (the [`crate::lie`] table;
    /// for SU(n) `h` must lie in `t`, `Σ h_j = 0` — reduce eigen-angles with
    /// [`RootSystem::torus_algebra_point`]) with the configured method. The gradient lies in `t`
    /// (projected onto `Σ = 0` for SU(n)).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] / [`Error::DimensionMismatch`] for bad `h` or `t`;
    /// [`Error::Numerical`] if the chosen method cannot evaluate (too many weights or lattice
    /// points, non-positive sum, Schwinger–DeWitt at the cut locus).
    pub fn torus_log_prob(&self, h: &[f64], t: f64) -> Result<(f64, Vec<f64>, usize)> {
        let e = self.evaluate_torus(h, t)?;
        Ok((e.log_prob, e.gradient, e.terms))
    }

    /// [`GroupHeatKernel::torus_log_prob`] with everything the estimator reports: `log f`, the
    /// gradient, terms, the estimator that answered and its error estimate.
    ///
    /// # Errors
    /// As [`GroupHeatKernel::torus_log_prob`].
    pub fn evaluate_torus(&self, h: &[f64], t: f64) -> Result<TorusEvaluation> {
        crate::error::check_time(t)?;
        crate::error::check_len("torus point", h.len(), self.roots.torus_dim())?;
        if let Some(bad) = h.iter().find(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "torus point",
                bad,
                "finite torus coordinates",
            ));
        }
        self.torus_evaluation(&TorusPoint::new(h), t)
    }

    /// SO(3) in closed form, without an eigensolver or heap allocation (the generic SO(n)
    /// path spent ≈ 30 % of its time in `malloc`/`free` and most of the rest in faer's
    /// Hermitian eigensolver). `g = x₀ᵀx` is a rotation by `θ ∈ [0, π]` about a unit axis `n`:
    ///
    /// - `v = vee((g − gᵀ)/2) = sin θ·n` and `c = (tr g − 1)/2 = cos θ`, so
    ///   `θ = atan2(|v|, c)`, accurate to `ε` absolute at every `θ` (the torus point `[θ]`);
    /// - the axis is `v/|v|` for `c ≥ 0`; for `c < 0` (where `|v| = sin θ` loses relative
    ///   accuracy towards π) it comes from the symmetric part `(g + gᵀ)/2 − cI = (1 − c)nnᵀ`
    ///   (the column of the largest diagonal entry), with the sign of `v`;
    /// - the score is `∂_θ log p · x[n]×`: moving `x → x e^{s[n]×}` moves `g` along its own
    ///   rotation axis, so `θ` grows at unit rate, and `|[n]×| = 1` in the metric
    ///   `½ tr(AᵀB)`. It is zero for `θ ≤ 1e-12` or `θ ≥ π − 1e-12`, as on the generic path.
    fn evaluate_so3(
        &self,
        x0: &[f64],
        x: &[f64],
        t: f64,
        score: Option<&mut [f64]>,
    ) -> Result<KernelEvaluation> {
        let mut g = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                g[i * 3 + j] = (0..3).map(|k| x0[k * 3 + i] * x[k * 3 + j]).sum();
            }
        }
        let v = [
            0.5 * (g[7] - g[5]),
            0.5 * (g[2] - g[6]),
            0.5 * (g[3] - g[1]),
        ];
        let sine = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
        let cosine = 0.5 * (g[0] + g[4] + g[8] - 1.0);
        let theta = sine.atan2(cosine);
        let e = self.torus_evaluation(&TorusPoint::new(&[theta]), t)?;
        if let Some(score) = score {
            check_len("score", score.len(), 9)?;
            score.iter_mut().for_each(|s| *s = 0.0);
            if theta > 1e-12 && theta < PI - 1e-12 {
                let axis = if cosine >= 0.0 {
                    v.map(|c| c / sine)
                } else {
                    let b = |i: usize, j: usize| {
                        0.5 * (g[i * 3 + j] + g[j * 3 + i]) - if i == j { cosine } else { 0.0 }
                    };
                    let j = (0..3)
                        .max_by(|&a, &c| b(a, a).total_cmp(&b(c, c)))
                        .unwrap_or(0);
                    let scale = ((1.0 - cosine) * b(j, j)).sqrt();
                    let mut a = [b(0, j) / scale, b(1, j) / scale, b(2, j) / scale];
                    if a[0] * v[0] + a[1] * v[1] + a[2] * v[2] < 0.0 {
                        a = a.map(|c| -c);
                    }
                    a
                };
                let k = [
                    0.0, -axis[2], axis[1], axis[2], 0.0, -axis[0], -axis[1], axis[0], 0.0,
                ];
                let coefficient = e.gradient[0];
                for i in 0..3 {
                    for j in 0..3 {
                        score[i * 3 + j] =
                            coefficient * (0..3).map(|m| x[i * 3 + m] * k[m * 3 + j]).sum::<f64>();
                    }
                }
            }
        }
        Ok(KernelEvaluation::from(&e))
    }

    /// Evaluates at `g = x₀⁻¹x`; when `score` is given, writes `∇_x log p` into it.
    fn evaluate(
        &self,
        x0: &[f64],
        x: &[f64],
        t: f64,
        score: Option<&mut [f64]>,
    ) -> Result<KernelEvaluation> {
        check_inputs(self.manifold(), x0, x, t)?;
        let n = self.n();
        match self.group {
            CompactGroup::SpecialOrthogonal(3) => self.evaluate_so3(x0, x, t, score),
            CompactGroup::SpecialOrthogonal(_) => {
                let mut g = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        g[i * n + j] = (0..n).map(|k| x0[k * n + i] * x[k * n + j]).sum();
                    }
                }
                let h = special_orthogonal_rotation_angles(&g, n);
                let e = self.torus_evaluation(&TorusPoint::new(&h), t)?;
                if let Some(score) = score {
                    let gc: Vec<c64> = g.iter().map(|&v| c64::new(v, 0.0)).collect();
                    let eig = unitary_eigen(&gc, n);
                    let mut used = vec![false; h.len()];
                    let mut omega = vec![0.0; n * n];
                    for (col, &psi) in eig.angles.iter().enumerate() {
                        if !(psi > 1e-12 && psi < PI - 1e-12) {
                            continue;
                        }
                        let best = (0..h.len()).filter(|&k| !used[k]).min_by(|&a, &b| {
                            (h[a].abs() - psi)
                                .abs()
                                .total_cmp(&(h[b].abs() - psi).abs())
                        });
                        let Some(k) = best else { continue };
                        used[k] = true;
                        let coefficient = e.gradient[k] * h[k].signum();
                        let s2 = std::f64::consts::SQRT_2;
                        let u: Vec<f64> =
                            (0..n).map(|i| s2 * eig.vectors[i * n + col].re).collect();
                        let w: Vec<f64> =
                            (0..n).map(|i| -s2 * eig.vectors[i * n + col].im).collect();
                        for i in 0..n {
                            for j in 0..n {
                                omega[i * n + j] += coefficient * (w[i] * u[j] - u[i] * w[j]);
                            }
                        }
                    }
                    check_len("score", score.len(), n * n)?;
                    for i in 0..n {
                        for j in 0..n {
                            score[i * n + j] =
                                (0..n).map(|k| x[i * n + k] * omega[k * n + j]).sum();
                        }
                    }
                }
                Ok(KernelEvaluation::from(&e))
            }
            CompactGroup::SpecialUnitary(_) | CompactGroup::Unitary(_) => {
                let a: Vec<c64> = x0.chunks_exact(2).map(|p| c64::new(p[0], p[1])).collect();
                let b: Vec<c64> = x.chunks_exact(2).map(|p| c64::new(p[0], p[1])).collect();
                let mut g = vec![c64::new(0.0, 0.0); n * n];
                for i in 0..n {
                    for j in 0..n {
                        g[i * n + j] = (0..n).map(|k| a[k * n + i].conj() * b[k * n + j]).sum();
                    }
                }
                let eig = unitary_eigen(&g, n);
                let point = match self.group {
                    CompactGroup::SpecialUnitary(_) => TorusPoint::special_unitary(&eig.angles),
                    _ => TorusPoint::new(&eig.angles),
                };
                let e = self.torus_evaluation(&point, t)?;
                if let Some(score) = score {
                    check_len("score", score.len(), 2 * n * n)?;
                    let v = &eig.vectors;
                    let mut omega = vec![c64::new(0.0, 0.0); n * n];
                    for i in 0..n {
                        for j in 0..n {
                            omega[i * n + j] = (0..n)
                                .map(|k| {
                                    v[i * n + k]
                                        * c64::new(0.0, e.gradient[k])
                                        * v[j * n + k].conj()
                                })
                                .sum();
                        }
                    }
                    for i in 0..n {
                        for j in 0..n {
                            let s: c64 = (0..n).map(|k| b[i * n + k] * omega[k * n + j]).sum();
                            score[2 * (i * n + j)] = s.re;
                            score[2 * (i * n + j) + 1] = s.im;
                        }
                    }
                }
                Ok(KernelEvaluation::from(&e))
            }
        }
    }

    fn torus_evaluation(&self, point: &TorusPoint, t: f64) -> Result<TorusEvaluation> {
        let rs = &self.roots;
        let h = &point.rounded;
        let tol = self.tolerance;
        // log p ≈ −d²/2t beyond the f64 range (t ≈ 5e-324): no estimator has a value to
        // return, and their nodes (contour radii ~t) would underflow on the way; said at once.
        if t < 1e-280 {
            if let Ok(y) = asymptotic::closest_representative(rs, h) {
                let d = rs.norm_sq(&y).sqrt();
                let exponent = 0.5 * d * (d / t);
                if !exponent.is_finite() {
                    return Err(super::beyond_range(&self.group.to_string(), t, d, false));
                }
            }
        }
        // The uniform regime (module docs): the character expansion truncated to its constant
        // term, for Eigen and Auto.
        if matches!(self.method, KernelMethod::Eigen | KernelMethod::Auto) {
            if let Some(e) = self.uniform_evaluation(t) {
                return Ok(e);
            }
        }
        let mut e = match self.method {
            KernelMethod::Eigen => {
                let cost = self.series.cost_estimate(h, t, tol);
                if cost > auto::CHARACTER_COST_BUDGET {
                    return Err(Error::Numerical {
                        method: "character expansion",
                        detail: format!(
                            "at t = {t:e} the expansion needs ≈ {cost:.2e} cost units, beyond the \
                             budget {:.0e} (small t: use the sum over paths or Auto)",
                            auto::CHARACTER_COST_BUDGET
                        ),
                    });
                }
                let value = characters::characters(&self.series, h, t, tol)?;
                // Like the sphere's Eigen estimator: refuse where f64 cancellation (far from
                // the identity at small t) leaves less than 1e-8 relative accuracy.
                if !value.rounding_meets(EIGEN_MAX_RELATIVE_ERROR) {
                    return Err(Error::Numerical {
                        method: "character expansion",
                        detail: format!(
                            "the series cancels at H = {h:?}, t = {t:e}: estimated relative \
                             rounding error {:e} (gradient {:e}) exceeds {EIGEN_MAX_RELATIVE_ERROR:e}; \
                             use the sum over paths or Auto",
                            value.rounding, value.gradient_rounding
                        ),
                    });
                }
                value.evaluation
            }
            KernelMethod::SumOverPaths => {
                let e = paths::path_sum(rs, point, t, tol)?;
                // The paths' terms are O(1) while the sum is ≈ e^{−|ρ|²t/2}·(uniform): at large
                // t they cancel to nothing in f64 (su:2 at t = 1e4 returned log p = 2450 for
                // −4.02). Refused where the a-posteriori estimate passes the accuracy bar.
                if e.error_estimate.is_nan() || e.error_estimate > EIGEN_MAX_RELATIVE_ERROR {
                    return Err(Error::Numerical {
                        method: "sum over paths",
                        detail: format!(
                            "at t = {} the paths cancel (estimated relative error {}, above \
                             {EIGEN_MAX_RELATIVE_ERROR:e}): the sum over paths is a small-t \
                             method (at this t use the character expansion, eigen, or auto)",
                            Num(t),
                            Num(e.error_estimate)
                        ),
                    });
                }
                e
            }
            KernelMethod::Varadhan => asymptotic::varadhan(rs, point, t)?,
            KernelMethod::SchwingerDeWitt => asymptotic::schwinger_dewitt(rs, point, t)?,
            KernelMethod::Auto => auto::auto(&self.series, point, t, tol)?,
        };
        if matches!(self.group, CompactGroup::SpecialUnitary(_)) {
            let mean = e.gradient.iter().sum::<f64>() / e.gradient.len() as f64;
            e.gradient.iter_mut().for_each(|g| *g -= mean);
        }
        Ok(e)
    }
}

impl HeatKernel for GroupHeatKernel {
    fn manifold(&self) -> &dyn Manifold {
        self.manifold.as_ref()
    }

    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        let e = self.evaluate(x0, x, t, None)?;
        check_representable(self.manifold(), x0, x, t, e, None)
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_len("score", score.len(), self.manifold().ambient_dim())?;
        let e = self.evaluate(x0, x, t, Some(score))?;
        check_representable(self.manifold(), x0, x, t, e, Some(score))
    }
}
