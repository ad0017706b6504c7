//! Heat kernels on the compact Lie groups `SO(n)`, `SU(n)` and `U(n)` from their root systems.
//!
//! Conventions: `DESIGN.md` and [`crate::lie`] (Brownian time, densities w.r.t. the Riemannian
//! volume of the bi-invariant metric `½tr(AᵀB)` on SO(n), `Re tr(XᴴY)` on SU(n)/U(n)).
//!
//! # Reduction to the maximal torus
//! The metric is bi-invariant, so `p_t(x₀, x) = f_t(g)` with `g = x₀⁻¹x` (`x₀ᵀx`, `x₀ᴴx`) and
//! `f_t` a class function, determined by the torus coordinates `H` of `g` ([`crate::lie`]
//! table). `H` comes from [`unitary_eigen`] (U(n); SU(n) followed by
//! [`RootSystem::torus_algebra_point`]) or [`special_orthogonal_rotation_angles`] (SO(n), which
//! keeps the orientation sign of SO(2m)).
//!
//! # Estimators ([`GroupMethod`])
//! - **Character expansion**: `f_t(e^H) = (1/Vol G) Σ_λ d_λ χ_λ(H) e^{−c_λ t/2}` over dominant
//!   weights with `c_λ ≤ C`. Since `|χ_λ| ≤ d_λ` the neglected tail is at most
//!   `T(C) = Σ_{c_λ > C} d_λ² e^{−c_λ t/2}`. `C = (2/t)(37 + dim G·(1 + ln(1 + 1/t)) + 10)`: the
//!   factor `e^{−Ct/2} ≤ e^{−47} ≈ 4e−21` times the polynomial growth of `d_λ²` (degree
//!   `dim G − rank` in `|λ|`) and of the weight count; this is a design bound, **checked
//!   numerically** (the reference comparison in `tests/group_heat_kernel.rs`), not proved. Cost:
//!   `#weights ∝ C^{rank/2}` character evaluations; large for small `t` (use the path sum there).
//!   The torus gradient `∂f/∂H` is a **5-point central difference** of `log f` in `H` with step
//!   `δ = 1e−3` (truncation `δ⁴|∂⁵ log f|/30`, rounding `≈ ε|log f|/δ`; measured in the tests),
//!   along `e_j` (projected onto `Σ = 0` for SU(n)); analytic character derivatives are a TODO.
//! - **Sum over paths**: `f_t(e^H) = (2πt)^{−dim G/2} e^{|ρ|²t/2} Σ_{γ∈Γ} ∏_{α>0} φ(α(H+γ))
//!   e^{−|H+γ|²/(2t)}`, `φ(a) = (a/2)/sin(a/2)` (series for `|a| < 10⁻²`), over
//!   `|H+γ| ≤ R = |H| + √(2t·40 ln 10)`: every omitted path has Gaussian weight below `10⁻⁴⁰`
//!   relative to the closest one (`φ` grows only polynomially since
//!   `|sin(α(H+γ)/2)| = |sin(α(H)/2)|`). Gradient analytic: `∂ log term/∂H =
//!   Σ_α ψ(α(H+γ)) α − (H+γ)/t`, `ψ(a) = 1/a − ½cot(a/2)`. **Walls**: where `sin(α(H)/2) ≈ 0`
//!   but `α(H+γ) ≠ 0` for a path with non-negligible weight, single terms blow up and only their
//!   sum is finite; then (`|sin(α(H)/2)| < 10⁻⁶` for such a path) the estimator falls back to
//!   the character expansion when `t ≥ 0.1` and its f64 cancellation `ε p_t(I)/p_t(x) ≤ 1e−11`,
//!   and otherwise returns [`Error::Numerical`] (TODO: pair the paths related by the wall
//!   reflection). Near (not on)
//!   such walls the cancellation costs `≈ log10(1/|sin(α(H)/2)|)` digits.
//!
//! # Score
//! `∇_x log p = x·Ω` with `Ω = k(Σ_j g_j G_j)k⁻¹` the torus gradient `g = ∂f/∂H` carried by the
//! eigenvectors of `g`: U(n)/SU(n): `Ω = V diag(i g_j) Vᴴ`; SO(n): `Ω = Σ_k ± g_k (w_k u_kᵀ −
//! u_k w_kᵀ)` with `u_k − i w_k = √2 v_k`, `v_k` the unit eigenvector of `e^{iψ_k}`, `ψ_k ∈ (0, π)`
//! (planes with angle 0 or π carry no gradient: `f` is even in each angle there).

use super::{check_inputs, HeatKernel, KernelEvaluation};
use crate::error::{check_len, Error, Result};
use crate::lie::RootSystem;
use crate::linalg::{special_orthogonal_rotation_angles, unitary_eigen};
use crate::manifold::{Manifold, SpecialOrthogonal, SpecialUnitary, Unitary};
use faer::c64;
use std::f64::consts::{LN_10, PI};

/// Estimator of a [`GroupHeatKernel`] (see the [module docs](self)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupMethod {
    /// Sum over irreducible characters; accurate for `t ≳ 0.1`, cost grows like `t^{−rank/2}`.
    CharacterExpansion,
    /// Sum over lattice paths `γ ∈ Γ` (Van Vleck and curvature factors); accurate for small `t`.
    SumOverPaths,
}

/// A compact Lie group manifold supported by [`GroupHeatKernel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactLieGroup {
    /// `SO(n)`, `½tr(AᵀB)` metric.
    SpecialOrthogonal(SpecialOrthogonal),
    /// `SU(n)`, Frobenius metric.
    SpecialUnitary(SpecialUnitary),
    /// `U(n)`, Frobenius metric.
    Unitary(Unitary),
}

impl From<SpecialOrthogonal> for CompactLieGroup {
    fn from(g: SpecialOrthogonal) -> Self {
        CompactLieGroup::SpecialOrthogonal(g)
    }
}
impl From<SpecialUnitary> for CompactLieGroup {
    fn from(g: SpecialUnitary) -> Self {
        CompactLieGroup::SpecialUnitary(g)
    }
}
impl From<Unitary> for CompactLieGroup {
    fn from(g: Unitary) -> Self {
        CompactLieGroup::Unitary(g)
    }
}

/// Heat kernel `p_t(x₀, x)` of `∂_t p = ½Δp` on SO(n), SU(n) or U(n) (see the [module docs](self)).
#[derive(Clone, Debug)]
pub struct GroupHeatKernel {
    group: CompactLieGroup,
    roots: RootSystem,
    method: GroupMethod,
}

/// Torus-level evaluation: `log f`, `∂ log f/∂H`, terms.
struct TorusEvaluation {
    log_prob: f64,
    gradient: Vec<f64>,
    terms: usize,
}

/// Step of the central differences of the character expansion in `H`.
const CHARACTER_DIFFERENCE_STEP: f64 = 1e-3;
/// Walls closer than this (`|sin(α(H)/2)|`) make the path sum fall back (see `wall_fallback`).
const WALL_THRESHOLD: f64 = 1e-6;

/// `φ(a) = (a/2)/sin(a/2)`.
fn van_vleck(a: f64) -> f64 {
    if a.abs() < 1e-2 {
        let a2 = a * a;
        1.0 + a2 / 24.0 + 7.0 * a2 * a2 / 5760.0 + 31.0 * a2 * a2 * a2 / 967_680.0
    } else {
        0.5 * a / (0.5 * a).sin()
    }
}

/// `ψ(a) = d/da ln φ(a) = 1/a − ½cot(a/2)`.
fn van_vleck_log_derivative(a: f64) -> f64 {
    if a.abs() < 1e-2 {
        let a2 = a * a;
        a / 12.0 + a * a2 / 720.0 + a * a2 * a2 / 30_240.0 + a * a2 * a2 * a2 / 1_209_600.0
    } else {
        1.0 / a - 0.5 / (0.5 * a).tan()
    }
}

impl GroupHeatKernel {
    /// The heat kernel of `group` (an `SO(n)`, `SU(n)` or `U(n)` manifold) with `method`.
    ///
    /// # Errors
    /// As [`RootSystem::new`] (cannot happen for a valid manifold).
    pub fn new(group: impl Into<CompactLieGroup>, method: GroupMethod) -> Result<Self> {
        let group = group.into();
        let roots = match group {
            CompactLieGroup::SpecialOrthogonal(g) => RootSystem::special_orthogonal(g.n())?,
            CompactLieGroup::SpecialUnitary(g) => RootSystem::special_unitary(g.n())?,
            CompactLieGroup::Unitary(g) => RootSystem::unitary(g.n())?,
        };
        Ok(GroupHeatKernel {
            group,
            roots,
            method,
        })
    }

    /// The estimator in use.
    pub fn method(&self) -> GroupMethod {
        self.method
    }

    /// The root system of the group.
    pub fn root_system(&self) -> &RootSystem {
        &self.roots
    }

    fn n(&self) -> usize {
        match self.group {
            CompactLieGroup::SpecialOrthogonal(g) => g.n(),
            CompactLieGroup::SpecialUnitary(g) => g.n(),
            CompactLieGroup::Unitary(g) => g.n(),
        }
    }

    /// `log f_t(e^H)` and `∂ log f/∂H` (in `t`) with the configured method.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for bad `h` or `t`; [`Error::Numerical`] if the chosen method
    /// cannot evaluate (too many weights / non-positive sum).
    pub fn torus_log_prob(&self, h: &[f64], t: f64) -> Result<(f64, Vec<f64>, usize)> {
        crate::error::check_time(t)?;
        let e = match self.method {
            GroupMethod::CharacterExpansion => self.characters(h, t)?,
            GroupMethod::SumOverPaths => self.paths(h, t)?,
        };
        Ok((e.log_prob, e.gradient, e.terms))
    }

    /// Casimir truncation of the character expansion (module docs).
    fn casimir_cutoff(&self, t: f64) -> f64 {
        let dim = self.roots.group_dim() as f64;
        (2.0 / t) * (37.0 + dim * (1.0 + (1.0 + 1.0 / t).ln()) + 10.0)
    }

    fn character_sum(&self, irreps: &[crate::lie::Irrep], h: &[f64], t: f64) -> Result<f64> {
        let mut sum = 0.0;
        for irrep in irreps {
            let chi = self.roots.character(irrep, h)?;
            sum += irrep.dimension() * chi.re * (-0.5 * irrep.casimir() * t).exp();
        }
        if sum > 0.0 && sum.is_finite() {
            Ok(sum.ln() - self.roots.volume().ln())
        } else {
            Err(Error::Numerical {
                method: "character expansion",
                detail: format!("non-positive or non-finite sum {sum:e} at H = {h:?}, t = {t}"),
            })
        }
    }

    fn characters(&self, h: &[f64], t: f64) -> Result<TorusEvaluation> {
        let irreps = self.roots.dominant_weights(self.casimir_cutoff(t))?;
        let log_prob = self.character_sum(&irreps, h, t)?;
        let r = h.len();
        let special = matches!(self.group, CompactLieGroup::SpecialUnitary(_));
        let mut gradient = vec![0.0; r];
        let delta = CHARACTER_DIFFERENCE_STEP;
        for (j, g) in gradient.iter_mut().enumerate() {
            let shifted = |s: f64| -> Vec<f64> {
                let mut p = h.to_vec();
                for (k, pk) in p.iter_mut().enumerate() {
                    let dir =
                        if k == j { 1.0 } else { 0.0 } - if special { 1.0 / r as f64 } else { 0.0 };
                    *pk += s * dir;
                }
                p
            };
            let f = |s: f64| self.character_sum(&irreps, &shifted(s), t);
            *g = (-f(2.0 * delta)? + 8.0 * f(delta)? - 8.0 * f(-delta)? + f(-2.0 * delta)?)
                / (12.0 * delta);
        }
        Ok(TorusEvaluation {
            log_prob,
            gradient,
            terms: irreps.len(),
        })
    }

    /// On a wall: the character expansion if `t ≥ 0.1` and its f64 cancellation
    /// `ε·p_t(I)/p_t(x)` is at most `1e-11` (`ln p_t(I) − ln p_t(x) ≤ ln 10⁵`), else an error.
    fn wall_fallback(&self, h: &[f64], t: f64) -> Result<TorusEvaluation> {
        let refuse = || Error::Numerical {
            method: "sum over paths",
            detail: format!(
                "H = {h:?} lies on (or within 1e-6 of) a wall where single path terms are \
                 singular (t = {t}) and the character expansion cannot replace it to 1e-11"
            ),
        };
        if t < 0.1 {
            return Err(refuse());
        }
        let e = self.characters(h, t)?;
        let irreps = self.roots.dominant_weights(self.casimir_cutoff(t))?;
        let trace: f64 = irreps
            .iter()
            .map(|i| i.dimension().powi(2) * (-0.5 * i.casimir() * t).exp())
            .sum();
        if trace.ln() - self.roots.volume().ln() - e.log_prob > 1e5f64.ln() {
            return Err(refuse());
        }
        Ok(e)
    }

    fn paths(&self, h: &[f64], t: f64) -> Result<TorusEvaluation> {
        let rs = &self.roots;
        let norm = rs.norm_sq(h).sqrt();
        let radius = norm + (2.0 * t * 40.0 * LN_10).sqrt();
        let lattice = rs.lattice_points(h, radius)?;
        let r = h.len();
        let roots = rs.positive_roots();
        // (log|w|, sign, ∇ log|w|) of each path
        let mut terms: Vec<(f64, f64, Vec<f64>)> = Vec::with_capacity(lattice.len());
        let min_norm_sq = lattice
            .first()
            .map(|g| h.iter().zip(g).map(|(a, b)| (a + b) * (a + b)).sum::<f64>())
            .unwrap_or(0.0);
        for gamma in &lattice {
            let y: Vec<f64> = h.iter().zip(gamma).map(|(a, b)| a + b).collect();
            let y_sq = rs.norm_sq(&y);
            let mut log_w = -0.5 * y_sq / t;
            let mut sign = 1.0;
            let mut grad: Vec<f64> = y.iter().map(|v| -v / t).collect();
            for alpha in roots {
                let a = rs.inner(alpha, &y);
                if a.abs() >= 1e-2 && (0.5 * a).sin().abs() < WALL_THRESHOLD {
                    // A wall: the single path term is singular; only the sum is finite.
                    if -0.5 * (y_sq - min_norm_sq) / t > -40.0 * LN_10 {
                        return self.wall_fallback(h, t);
                    }
                }
                let phi = van_vleck(a);
                log_w += phi.abs().ln();
                if phi < 0.0 {
                    sign = -sign;
                }
                let psi = van_vleck_log_derivative(a);
                for (gk, ak) in grad.iter_mut().zip(alpha) {
                    *gk += psi * ak;
                }
            }
            terms.push((log_w, sign, grad));
        }
        let max = terms.iter().map(|t| t.0).fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        let mut gradient = vec![0.0; r];
        for (log_w, sign, grad) in &terms {
            let w = sign * (log_w - max).exp();
            sum += w;
            for (g, d) in gradient.iter_mut().zip(grad) {
                *g += w * d;
            }
        }
        if !(sum > 0.0 && sum.is_finite()) {
            return Err(Error::Numerical {
                method: "sum over paths",
                detail: format!("non-positive sum {sum:e} at H = {h:?}, t = {t}"),
            });
        }
        gradient.iter_mut().for_each(|g| *g /= sum);
        if matches!(self.group, CompactLieGroup::SpecialUnitary(_)) {
            let mean = gradient.iter().sum::<f64>() / r as f64;
            gradient.iter_mut().for_each(|g| *g -= mean);
        }
        let dim = rs.group_dim() as f64;
        let log_prob =
            -0.5 * dim * (2.0 * PI * t).ln() + 0.5 * rs.rho_norm_sq() * t + max + sum.ln();
        Ok(TorusEvaluation {
            log_prob,
            gradient,
            terms: terms.len(),
        })
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
            CompactLieGroup::SpecialOrthogonal(_) => {
                let mut g = vec![0.0; n * n];
                for i in 0..n {
                    for j in 0..n {
                        g[i * n + j] = (0..n).map(|k| x0[k * n + i] * x[k * n + j]).sum();
                    }
                }
                let h = special_orthogonal_rotation_angles(&g, n);
                let e = self.torus_evaluation(&h, t)?;
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
                Ok(KernelEvaluation {
                    log_prob: e.log_prob,
                    terms: e.terms,
                })
            }
            CompactLieGroup::SpecialUnitary(_) | CompactLieGroup::Unitary(_) => {
                let a: Vec<c64> = x0.chunks_exact(2).map(|p| c64::new(p[0], p[1])).collect();
                let b: Vec<c64> = x.chunks_exact(2).map(|p| c64::new(p[0], p[1])).collect();
                let mut g = vec![c64::new(0.0, 0.0); n * n];
                for i in 0..n {
                    for j in 0..n {
                        g[i * n + j] = (0..n).map(|k| a[k * n + i].conj() * b[k * n + j]).sum();
                    }
                }
                let eig = unitary_eigen(&g, n);
                let h = self.roots.torus_algebra_point(&eig.angles)?;
                let e = self.torus_evaluation(&h, t)?;
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
                Ok(KernelEvaluation {
                    log_prob: e.log_prob,
                    terms: e.terms,
                })
            }
        }
    }

    fn torus_evaluation(&self, h: &[f64], t: f64) -> Result<TorusEvaluation> {
        match self.method {
            GroupMethod::CharacterExpansion => self.characters(h, t),
            GroupMethod::SumOverPaths => self.paths(h, t),
        }
    }
}

impl HeatKernel for GroupHeatKernel {
    fn manifold(&self) -> &dyn Manifold {
        match &self.group {
            CompactLieGroup::SpecialOrthogonal(g) => g,
            CompactLieGroup::SpecialUnitary(g) => g,
            CompactLieGroup::Unitary(g) => g,
        }
    }

    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        self.evaluate(x0, x, t, None)
    }

    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        check_len("score", score.len(), self.manifold().ambient_dim())?;
        self.evaluate(x0, x, t, Some(score))
    }
}
