//! The character expansion of the heat kernel of SU(n), U(n) and SO(n), with analytic
//! gradients in the torus coordinates, a stated truncation bound and a cached weight list.
//!
//! Conventions: [`crate::lie`] (torus coordinates `H`, Euclidean `⟨λ, H⟩`, Casimir
//! `c_λ = |λ+ρ|² − |ρ|²`) and [`crate::conventions`] (Brownian time, `p_t = S/Vol(G)`).
//!
//! # The series
//! `S(H) = Σ_λ d_λ χ_λ(e^H) e^{−c_λ t/2}`, so that `p_t(e^H) = S(H)/Vol(G)`. Conjugate irreps
//! (`λ* = −w₀λ`) have the same `d_λ` and `c_λ` and `χ_{λ*} = χ̄_λ`, and both truncations below
//! keep or drop them together, so `S` is real; the imaginary part of the computed sum is rounding
//! and is discarded.
//!
//! Two exact ways of summing the same series are implemented; [`CharacterSeries::evaluate`]
//! picks the cheaper one by a cost model (one-dimensional terms × `r²(r+1)` against irreps ×
//! `r⁴ + 4r² + 40r`). If the determinant form's rounding estimate exceeds both `tolerance·|S|`
//! and `5e−14·Z(t)` (`Z` the heat trace; 5–10 times the irrep sum's rounding scale: the
//! cancellation regime described below), the irrep sum is tried too when it needs at most 5000
//! irreps, and the result with the smaller estimate is returned.
//! [`CharacterSeries::evaluate_irreps`] and [`CharacterSeries::evaluate_determinant`] force one
//! method.
//!
//! ## 1. Irrep by irrep (large `t`)
//! All dominant weights with `c_λ ≤ C` (cached, sorted by Casimir, grown on demand by factors
//! ≥ 1.5 so that repeated calls at similar `t` enumerate nothing), each character and its
//! gradient from [`RootSystem::character_with_gradient`]'s division-free divided-difference form,
//! with one divided-difference table shared by all irreps, summed smallest terms first. Cost:
//! `#irreps ∝ C^{rank/2}` determinants.
//!
//! ## 2. Determinant (Andréief / Karlin–McGregor) form (small `t`)
//! With `μ = λ + ρ` and `P(μ) = ∏_{α>0} ⟨α, μ⟩` (so `d_λ = P(μ)/P(ρ)`), every summand
//! `P(μ) A_μ(H) e^{−|μ|²t/2}` (`A_μ` the Weyl numerator) is invariant under the Weyl group acting
//! on `μ`, so the sum over dominant `μ` is `1/|W|` times the sum over the whole shifted lattice,
//! and both `P(μ)` and `A_μ` are determinants of one-variable functions of the `μ_j`. Andréief's
//! identity `Σ_{μ_1..μ_r} det[f_a(μ_j)] det[g_b(μ_j)] = r! det[Σ_μ f_a(μ) g_b(μ)]` turns the
//! `r`-fold sum into one `r × r` determinant of one-dimensional theta-like series:
//! - **U(n)**: `S = e^{|ρ|²t/2}/P(ρ) · det[Θ_a(θ_b)] / A_ρ(θ)`,
//!   `Θ_a(θ) = Σ_{m ∈ Z−(n−1)/2} m^{n−a} e^{−m²t/2} e^{imθ}`;
//! - **SO(2m+1)** (B_m): `S = e^{|ρ|²t/2}/P(ρ) · det[Ψ_a(x_b)] / det[W_{m−j}(x_b)]`,
//!   `Ψ_a(x) = Σ_{ℓ≥0} μ^{2(m−a)+1} e^{−μ²t/2} W_ℓ(x)`, `μ = ℓ+½`, `x = cos φ` (the factors
//!   `2i sin(φ/2)` of `2i sin(μφ) = 2i sin(φ/2) W_ℓ(cos φ)` cancel);
//! - **SO(2m)** (D_m): the `sin`-part of `A_μ` is odd under `μ_m → −μ_m` and cancels between the
//!   two chiralities, leaving `S = e^{|ρ|²t/2}/P(ρ) · 2^{1−m} det[Φ_a(x_b)] / det[T_{ρ_j}(x_b)]`,
//!   `Φ_a(x) = Σ_{μ∈Z} μ^{2(m−a)} e^{−μ²t/2} T_{|μ|}(x)` (with `0⁰ = 1`);
//! - **SU(n)**: weights are classes `μ + Z(1,…,1)` with `c = |proj μ|² − |ρ|²`. Writing
//!   `e^{−|proj μ|²t/2} = e^{−|μ|²t/2} e^{(Σμ)²t/(2n)}` and choosing one representative per class
//!   with the weight `e^{−(Σμ)²t/(2n)}/N_{Σμ mod n}`, `N_r = Σ_k e^{−(r+nk)²t/(2n)}`, whose sum
//!   over each class is 1, gives `S_SU(H) = Σ_{q<n} c_q S_U(H + 2πq/n·(1,…,1))` with
//!   `c_q = (1/n) Σ_r cos(2πqr/n)/N_r` (the geometric fact `U(n) = (SU(n) × U(1))/Z_n`).
//!
//! Each alternant `det[f_a(x_b)]` is evaluated division-free as `det[f_a[x_1..x_k]]` (divided
//! differences, the same Leibniz recurrences as the characters, with the inverse powers
//! `z^{−p}` of U(n) from `g_{p+1}[x_1..x_k] = z̄_k(g_p[x_1..x_k] − g_{p+1}[x_1..x_{k−1}])`), which
//! cancels the Weyl denominator exactly and stays finite at walls. Truncating every
//! one-dimensional series at `|μ| ≤ M` gives **exactly** the sum over the dominant `μ` with
//! `max_j |μ_j| ≤ M` (Andréief applied to the truncated weight; for SU(n) each class keeps a
//! weight in `[0, 1]`). Cost `O(M·r³)` instead of `O(M^r)` irreps (times `n` for SU(n)): this is
//! what makes small `t` cheap. The gradient is forward-mode through the same recurrences and
//! Jacobi's formula (column expansion), as for single characters.
//!
//! At large `t` the rows of the determinant are dominated by the few smallest `|μ|` and become
//! nearly dependent for rank ≥ 2 B_m and A_{n≥3}, so the form loses digits
//! (`rounding_bound` shows it); the irrep sum is used there.
//!
//! # Truncation bound (rigorous)
//! Both truncations drop only dominant `μ` outside a set, and `|χ_λ| ≤ d_λ`, so the dropped
//! part is at most `Σ_{dropped} d_λ² e^{−c_λ t/2} = e^{|ρ|²t/2}/(P(ρ)²|W|) Σ_{μ dropped, all of
//! the lattice} P(μ)² e^{−|μ|²t/2}` (for SU(n) times `κ = max_r 1/N_r`, from the class weights).
//! With `(a−b)² ≤ 2(1+a²)(1+b²)` and `|a²−b²| ≤ (1+a²)(1+b²)`,
//! `P(μ)² ≤ K ∏_j (1+μ_j²)^e` with `(K, e) = (2^{#roots}, n−1)` (A), `(1, 2m−1)` (B),
//! `(1, 2m−2)` (D). Writing `f(m) = (1+m²)^e e^{−m²τ/2}` and `F(τ) = Σ_{m ∈ Z+s} f(m)`:
//! - box (`max|μ_j| > M`, union bound over the coordinate that leaves the box):
//!   `tail ≤ e^{|ρ|²t/2}/(P(ρ)²|W|) κ K · r · F_{>M}(t) F(t)^{r−1}`;
//! - ball (`c_λ > C`, i.e. `|μ| > R = √(C + |ρ|²)`): for any `β ∈ (0, 1)`,
//!   `e^{−|μ|²t/2} ≤ e^{−(1−β)R²t/2} e^{−β|μ|²t/2}`, so
//!   `tail ≤ e^{|ρ|²t/2}/(P(ρ)²|W|) κ(βt) K e^{−(1−β)R²t/2} F(βt)^r`, minimised over
//!   `β ∈ {½, ¾, 0.9, 0.97}`.
//!
//! The one-dimensional sums are summed until the remainder, bounded geometrically (`f` is
//! log-concave for `|m| ≥ 1`, so beyond its peak the ratio of consecutive terms decreases),
//! is below `1e−17` of the sum, and that remainder bound is added. The gradient tail uses
//! `|∂χ_λ/∂H_j| ≤ d_λ max_ν |ν_j| ≤ d_λ(|μ|_∞ + |ρ|_∞)` (weights `ν` of the irrep;
//! twice that after the SU(n) projection), i.e. `f` times `(1+|m|)` and the constant
//! `(1+|ρ|_∞)`. The series is truncated where **both** the value tail and the gradient tail are
//! `≤ max(tolerance·|S|, rounding_bound)`, so (when the rounding allows) `S` has relative error
//! `≤ tolerance/(1 − tolerance)` from truncation and `∇ log S = ∇S/S` an absolute error
//! `≲ 2·tolerance·(1 + |∇ log S|)`; pushing the tail below the f64 rounding noise would buy
//! nothing (this happens far from the identity at small `t`, where `S` is many orders below its
//! terms). The bound is crude by polynomial factors only, which cost a few more terms (`M` grows
//! like `√(2 ln(1/tol)/t)`); measured (tests): it exceeds the actual tail by up to ~10⁸.
//!
//! # Rounding estimate
//! Each determinant is computed from entries that are sums of terms; with `E` the matrix of the
//! sums of absolute values of those terms, the expansion of the determinant has total absolute
//! size `perm(E)` and its computed value is wrong by `≈ ε·perm(E)` (times small constants).
//! `rounding_bound = (4r + √N)·ε·|prefactor|·Σ perm(E)` (summed over irreps or over the SU(n)
//! copies; `N` the number of accumulated terms, irreps or one-dimensional terms per copy, for
//! the summation error; the irrep path adds `|Im S|`), an **estimate**, not a bound. `gradient_rounding_bound` is the
//! same with, in the determinant path, `Σ_k perm(E with column k replaced by the absolute
//! tangent sums)` (the derivative of the permanent), maximised over the coordinates, and in the
//! irrep path `perm(E)·(|λ|_∞ + |ρ|_∞)` per irrep (the frequency a derivative brings down).
//! `tests/character_series.rs` checks that the two summation methods differ by at most twice
//! their combined estimates, value and gradient. Far from the identity at small `t`,
//! `S` is exponentially small compared with its terms and both methods lose all digits there
//! (the sum over paths is the right method); `rounding_bound` says so.
//!
//! # Caps
//! At most [`MAX_IRREPS`] irreps and [`MAX_SERIES_TERMS`] one-dimensional terms; beyond,
//! [`Error::Numerical`]. With the automatic choice the irrep path is taken only when it is the
//! cheaper one, so in practice only the second cap binds: `M ≈ √(2(ln(1/tol) + O(ln(1/t)))/t)`
//! reaches `2·10⁶` (`4·10⁶/n` for SU(n)) near `t ≈ 2·10⁻¹¹` (`≈ 2n²·10⁻¹¹`), tolerance `1e−12`,
//! for every group.
//!
//! # Measured (`tests/character_series.rs`, release build, one core of the 2-core test machine)
//! - Against an independent irrep sum (public `dominant_weights` + `character`) for SU(2..4),
//!   U(1..3), SO(2..8), t ∈ {0.3, 1, 3}, generic and wall points: `≤ 1.1e−15·Z(t)`
//!   (`Z = Σ d_λ² e^{−c_λ t/2}`, the scale of the terms).
//! - Determinant form against the irrep sum, t ∈ {0.05, …, 3} (rank ≥ 3 from t = 0.3), at the
//!   identity, generic and wall points: `≤ 6.0e−15·Z(t)`, and within twice the combined
//!   rounding estimates for values and gradients.
//! - Heat trace `S(0)/Vol` against `(2πt)^{−dim/2} e^{|ρ|²t/2}` for t ∈ [1e−4, 0.1] (determinant
//!   form; `10⁵–10⁷` irreps would be needed): `≤ 6e−14` relative (SO(8), t = 1e−4), `≤ 7e−15`
//!   for SU(2..4), U(1..3), SO(2..6); always below twice `rounding_bound/S`, which overestimates
//!   by 2–100× (most for SO(7), SO(8), SU(4), whose permanents exceed the determinants).
//! - Rigorous tail bounds against a much larger cutoff: honoured, and loose by up to `7e7`.
//! - Weyl invariance `S(wH) = S(H)`, `∇S(wH) = w∇S(H)` (quickcheck) to `1e−13·Z(t)`.
//! - Gradient against 8th-order central differences of `S`: `≤ 1.3e−12·Z(t)` (difference-limited).
//! - ns per `evaluate` (tolerance 1e−12, random points) at t = 0.1 / 0.3 / 1 / 3 / 10:
//!   SO(3) 5.9k / 4.0k / 2.9k / 2.5k / 2.0k; SU(2) 17k / 10k / 6.7k / 5.0k / 3.8k;
//!   SU(3) 48k / 26k / 15k / 15k / 7.6k; U(2) 10k / 6.3k / 4.1k / 3.2k / 2.5k;
//!   SO(4) 7.1k / 4.7k / 3.4k / 2.7k / 1.7k (all through the determinant form). The previous
//!   per-call enumeration in `group.rs` cost, for the value alone (its gradient took `4r` more),
//!   SU(3) 2.6M / 470k / 96k / 23k / 6.6k and SO(4) 2.1M / 394k / 74k / 19k / 4.9k.

use std::sync::{Arc, RwLock};

use crate::error::{check_time, Error, Result};
use crate::lie::{CompactGroup, Irrep, RootSystem};

/// Most irreps one evaluation may sum (about 0.1–1 s of work).
pub const MAX_IRREPS: usize = 200_000;
/// The irrep sum is tried after the determinant form only when it needs at most this many irreps.
const FALLBACK_IRREPS: f64 = 5000.0;
/// Most one-dimensional terms (`2M + 1` per copy) of the determinant form.
pub const MAX_SERIES_TERMS: usize = 4_000_000;

/// Smallest `t` the expansion accepts: its one-dimensional sums need `M ≈ √(2(ln(1/tol) +
/// 40)/t)` terms, beyond [`MAX_SERIES_TERMS`] below `t ≈ 1e-11`, and forming its tail bounds
/// alone would take `~1/√t` steps (`10⁵⁰` at `t = 1e-100`).
pub const MIN_TIME: f64 = 1e-12;

/// The error for `t <` [`MIN_TIME`].
fn below_min_time(t: f64) -> Error {
    Error::Numerical {
        method: "character expansion",
        detail: format!(
            "t = {t:e} is below {MIN_TIME:e}: the series would need more than \
             {MAX_SERIES_TERMS} terms per coordinate (use the sum over paths, exact there)"
        ),
    }
}

/// Heat series `S(H) = Σ_λ d_λ χ_λ(e^H) e^{−c_λ t/2}` of SU(n), U(n) or SO(n) with analytic
/// gradient (see the [module docs](self)). `Send + Sync`: the cache of dominant weights sits
/// behind a `RwLock` and is grown on demand.
#[derive(Debug)]
pub struct CharacterSeries {
    roots: RootSystem,
    cache: RwLock<IrrepCache>,
}

#[derive(Debug, Default)]
struct IrrepCache {
    max_casimir: f64,
    irreps: Arc<Vec<Irrep>>,
}

/// Value, gradient and error budget of [`CharacterSeries::evaluate`].
#[derive(Clone, Debug)]
pub struct CharacterSum {
    /// `S(H)` (real part; the imaginary part is rounding, see the module docs).
    pub value: f64,
    /// `∂S/∂H_j`, `j < torus_dim`; for SU(n) the gradient within `Σ H_j = 0` (projected).
    pub gradient: Vec<f64>,
    /// Irreps summed (irrep path), or one-dimensional series terms summed (determinant path:
    /// the number of `μ` values per row, times `n` copies for SU(n)).
    pub terms: usize,
    /// Rigorous bound on the neglected tail of `S` (module docs);
    /// `≤ max(tolerance·|value|, rounding_bound)`.
    pub tail_bound: f64,
    /// Estimate `≈ 4r·ε·Σ|terms|` of the f64 rounding error of `value`.
    pub rounding_bound: f64,
    /// The same estimate for each component of `gradient` (maximum over components).
    pub gradient_rounding_bound: f64,
}

/// Which summation was used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Summation {
    Irreps,
    Determinant,
}

/// The per-group constants of the tail bounds.
struct TailGeometry {
    /// `ln(e^{|ρ|²t/2}/(P(ρ)²|W|) K)`.
    log_prefactor: f64,
    /// Lattice shift `s` of each coordinate (`Z + s`).
    shift: f64,
    /// Exponent `e` of `(1+m²)^e`.
    exponent: i32,
    /// Number of coordinates `r`.
    coordinates: usize,
    /// `1 + |ρ|_∞` (times 2 for SU(n)): gradient factor.
    gradient_factor: f64,
    /// `n` for SU(n) (class weights), else 0.
    special_unitary: usize,
    /// The time.
    t: f64,
    /// `ln` of `e^{|ρ|²t/2}/(P(ρ)²|W|) K κ(t) r` (box bound prefactor).
    box_log_prefactor: f64,
    /// `ln F(t)` and `ln F_g(t)` (whole-lattice sums without / with the gradient factor).
    log_all: (f64, f64),
    /// Per `β`: `(β, ln(e^{|ρ|²t/2}/(P(ρ)²|W|) K κ(βt)), r ln F(βt), r ln F_g(βt))`, computed on
    /// first use (only the irrep path needs it).
    ball: std::cell::OnceCell<Vec<[f64; 4]>>,
    /// The last `(target, box radius)` found by [`box_radius`].
    box_radius_memo: std::cell::Cell<Option<(f64, f64)>>,
}

impl TailGeometry {
    /// Box tail bounds `(value, gradient)` for `max_j |μ_j| > radius` (module docs).
    fn box_tail(&self, radius: f64) -> (f64, f64) {
        let k = self.coordinates as f64 - 1.0;
        let (s, e, t) = (self.shift, self.exponent, self.t);
        let value = self.box_log_prefactor
            + log_one_dimensional_sum(s, e, 0, t, radius)
            + k * self.log_all.0;
        let gradient = self.box_log_prefactor
            + self.gradient_factor.ln()
            + log_one_dimensional_sum(s, e, 1, t, radius)
            + k * self.log_all.1;
        (value.exp(), gradient.exp())
    }

    /// Ball tail bounds `(value, gradient)` for `|μ| > radius` (module docs).
    fn ball_tail(&self, radius: f64) -> (f64, f64) {
        let ball = self.ball.get_or_init(|| {
            let r = self.coordinates as f64;
            let (s, e) = (self.shift, self.exponent);
            [0.5, 0.75, 0.9, 0.97]
                .iter()
                .map(|&beta| {
                    let tau = beta * self.t;
                    [
                        beta,
                        self.log_prefactor + log_class_weight_bound(self.special_unitary, tau),
                        r * log_one_dimensional_sum(s, e, 0, tau, -1.0),
                        r * log_one_dimensional_sum(s, e, 1, tau, -1.0),
                    ]
                })
                .collect()
        });
        let mut best = (f64::INFINITY, f64::INFINITY);
        for &[beta, log_common, log_all, log_all_gradient] in ball {
            let log_common = log_common - 0.5 * (1.0 - beta) * radius * radius * self.t;
            let value = (log_common + log_all).exp();
            let gradient = (log_common + self.gradient_factor.ln() + log_all_gradient).exp();
            best = (best.0.min(value), best.1.min(gradient));
        }
        best
    }
}

impl CharacterSeries {
    /// The series of the group of `roots`.
    pub fn new(roots: RootSystem) -> Self {
        CharacterSeries {
            roots,
            cache: RwLock::new(IrrepCache::default()),
        }
    }

    /// The root system.
    pub fn root_system(&self) -> &RootSystem {
        &self.roots
    }

    /// `S(H) = Σ_λ d_λ χ_λ(e^H) e^{−c_λ t/2}` (so `p_t(e^H) = S/Vol(G)`) and its analytic
    /// gradient `∂S/∂H`, truncated so that the rigorous tail bound of the [module docs](self) is
    /// at most `max(tolerance·|S|, rounding_bound)` (and the gradient tail too). `h` as for
    /// [`RootSystem::character`] (SU(n): eigen-angles summing to a multiple of 2π).
    ///
    /// Method: the determinant form when it is cheaper than the irrep sum (small `t`) and
    /// `|ρ|²t/2 ≤ 30`, else the cached irrep sum; if the determinant form's rounding estimate
    /// exceeds `tolerance·|S|` the irrep sum is also tried (when it needs at most 5000 irreps)
    /// and the result with the smaller rounding estimate is returned. Repeated calls reuse the
    /// cached weights; the determinant form needs no enumeration at all.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `t` is not finite and positive, `tolerance` not in
    /// `(0, 1)`, or `h` is invalid (wrong length: [`Error::DimensionMismatch`]);
    /// [`Error::Numerical`] if the caps [`MAX_IRREPS`] / [`MAX_SERIES_TERMS`] are exceeded
    /// (determinant form: `t ≲ 1e−10`), and for `t <` [`MIN_TIME`].
    pub fn evaluate(&self, h: &[f64], t: f64, tolerance: f64) -> Result<CharacterSum> {
        check_time(t)?;
        if t < MIN_TIME {
            return Err(below_min_time(t));
        }
        if !(tolerance.is_finite() && tolerance > 0.0 && tolerance < 1.0) {
            return Err(Error::invalid(
                "tolerance",
                tolerance,
                "a tolerance in (0, 1)",
            ));
        }
        self.roots.check_character_point(h)?;
        let geometry = self.geometry(t);
        let guess = self.magnitude_guess(h, t);
        let first = self.preferred_summation(&geometry, tolerance * guess);
        let result = self.evaluate_in(&geometry, first, h, tolerance, guess)?;
        // The determinant form loses digits to cancellation at larger t for rank ≥ 2 (module
        // docs): its rounding estimate then exceeds the irrep sum's `≈ 4rε·Z(t)` (`Z` the heat
        // trace, here its lower bound `max(1, leading term)`), and the irrep sum is tried when it
        // is cheap. (When `S` is merely small compared with its terms, far from the identity,
        // both methods are equally limited and nothing is retried.)
        let dim = self.roots.group_dim() as f64;
        let trace = (self.roots.volume().ln() - 0.5 * dim * (2.0 * std::f64::consts::PI * t).ln()
            + 0.5 * self.roots.rho_norm_sq() * t)
            .exp()
            .max(1.0);
        if first == Summation::Determinant
            && result.rounding_bound > tolerance * result.value.abs()
            && result.rounding_bound > 5e-14 * trace
            && self.irrep_count_estimate(ball_casimir(&geometry, tolerance * guess, &self.roots))
                <= FALLBACK_IRREPS
        {
            if let Ok(other) = self.evaluate_in(&geometry, Summation::Irreps, h, tolerance, guess) {
                if other.rounding_bound < result.rounding_bound {
                    return Ok(other);
                }
            }
        }
        Ok(result)
    }

    /// Evaluates with the irrep-by-irrep sum, whatever `t` (for tests and comparisons).
    ///
    /// # Errors
    /// As [`evaluate`](Self::evaluate).
    pub fn evaluate_irreps(&self, h: &[f64], t: f64, tolerance: f64) -> Result<CharacterSum> {
        self.check(h, t, tolerance)?;
        let guess = self.magnitude_guess(h, t);
        self.evaluate_with(Summation::Irreps, h, t, tolerance, guess)
    }

    /// Evaluates with the determinant form, whatever `t` (for tests and comparisons).
    ///
    /// # Errors
    /// As [`evaluate`](Self::evaluate).
    pub fn evaluate_determinant(&self, h: &[f64], t: f64, tolerance: f64) -> Result<CharacterSum> {
        self.check(h, t, tolerance)?;
        let guess = self.magnitude_guess(h, t);
        self.evaluate_with(Summation::Determinant, h, t, tolerance, guess)
    }

    fn check(&self, h: &[f64], t: f64, tolerance: f64) -> Result<()> {
        check_time(t)?;
        if t < MIN_TIME {
            return Err(below_min_time(t));
        }
        if !(tolerance.is_finite() && tolerance > 0.0 && tolerance < 1.0) {
            return Err(Error::invalid(
                "tolerance",
                tolerance,
                "a tolerance in (0, 1)",
            ));
        }
        self.roots.check_character_point(h)
    }

    fn evaluate_with(
        &self,
        summation: Summation,
        h: &[f64],
        t: f64,
        tolerance: f64,
        guess: f64,
    ) -> Result<CharacterSum> {
        let geometry = self.geometry(t);
        self.evaluate_in(&geometry, summation, h, tolerance, guess)
    }

    fn evaluate_in(
        &self,
        geometry: &TailGeometry,
        summation: Summation,
        h: &[f64],
        tolerance: f64,
        guess: f64,
    ) -> Result<CharacterSum> {
        match summation {
            Summation::Irreps => self.sum_irreps(geometry, h, tolerance, guess),
            Summation::Determinant => self.sum_determinant(geometry, h, tolerance, guess),
        }
    }

    /// A rough size of `|S(H)|` used only to pick the first truncation (the final check uses
    /// the computed `S`): `Vol(G)·(2πt)^{−dim/2} e^{−d²/(2t)}` with `d` the length of `H` reduced
    /// coordinatewise to `(−π, π]` (an upper bound of the distance), at least `1e−300`, at most 1
    /// for `t ≥ 1`.
    fn magnitude_guess(&self, h: &[f64], t: f64) -> f64 {
        let two_pi = 2.0 * std::f64::consts::PI;
        let d2: f64 = h
            .iter()
            .map(|x| {
                let y = x - two_pi * (x / two_pi).round();
                y * y
            })
            .sum();
        let dim = self.roots.group_dim() as f64;
        let log = self.roots.volume().ln() - 0.5 * dim * (two_pi * t).ln() - 0.5 * d2 / t;
        let log = if t >= 1.0 { log.min(0.0) } else { log };
        log.max(-690.0).exp()
    }

    fn geometry(&self, t: f64) -> TailGeometry {
        let rs = &self.roots;
        let roots = rs.positive_roots().len() as i32;
        let (shift, exponent, k, special_unitary) = match rs.group() {
            CompactGroup::SpecialUnitary(n) | CompactGroup::Unitary(n) => {
                let su = if matches!(rs.group(), CompactGroup::SpecialUnitary(_)) {
                    n
                } else {
                    0
                };
                let shift = if n % 2 == 0 { 0.5 } else { 0.0 };
                (shift, n as i32 - 1, 2f64.powi(roots), su)
            }
            CompactGroup::SpecialOrthogonal(n) => {
                let m = (n / 2) as i32;
                if n % 2 == 1 {
                    (0.5, 2 * m - 1, 1.0, 0)
                } else {
                    (0.0, 2 * m - 2, 1.0, 0)
                }
            }
        };
        let p_rho = rs
            .positive_roots()
            .iter()
            .map(|alpha| rs.inner(alpha, rs.rho()))
            .product::<f64>();
        let rho_max = rs.rho().iter().map(|x| x.abs()).fold(0.0, f64::max);
        let log_prefactor =
            0.5 * rs.rho_norm_sq() * t - 2.0 * p_rho.ln() - (rs.weyl_group_order() as f64).ln()
                + k.ln();
        let coordinates = rs.torus_dim();
        TailGeometry {
            log_prefactor,
            shift,
            exponent,
            coordinates,
            gradient_factor: (1.0 + rho_max) * if special_unitary > 0 { 2.0 } else { 1.0 },
            special_unitary,
            t,
            box_log_prefactor: log_prefactor
                + log_class_weight_bound(special_unitary, t)
                + (coordinates as f64).ln(),
            log_all: (
                log_one_dimensional_sum(shift, exponent, 0, t, -1.0),
                log_one_dimensional_sum(shift, exponent, 1, t, -1.0),
            ),
            ball: std::cell::OnceCell::new(),
            box_radius_memo: std::cell::Cell::new(None),
        }
    }

    /// The cheaper summation for a target tail `target` (module docs).
    fn preferred_summation(&self, geometry: &TailGeometry, target: f64) -> Summation {
        self.summation_costs(geometry, target).0
    }

    /// The cheaper summation and its cost in the units of the cost model (one unit ≈ one
    /// floating-point operation of the inner loops).
    fn summation_costs(&self, geometry: &TailGeometry, target: f64) -> (Summation, f64) {
        let r = geometry.coordinates as f64;
        let radius = box_radius(geometry, target, &self.roots);
        // The irrep sum needs about the ball of the same radius (both tails are Gaussian in it).
        let irreps = self.irrep_count_estimate(radius * radius - self.roots.rho_norm_sq());
        // Per irrep: the determinant and its r·r column-replaced copies, the permanent, the
        // table rows (calibrated against the timings in tests/character_series.rs).
        let irrep_cost = irreps * (r.powi(4) + 4.0 * r * r + 40.0 * r);
        if 0.5 * self.roots.rho_norm_sq() * geometry.t > 30.0 {
            return (Summation::Irreps, irrep_cost);
        }
        let copies = geometry.special_unitary.max(1) as f64;
        let determinant_cost =
            copies * (2.0 * radius + 1.0) * r * r * (r + 1.0) + copies * r.powi(5);
        if determinant_cost < irrep_cost {
            (Summation::Determinant, determinant_cost)
        } else {
            (Summation::Irreps, irrep_cost)
        }
    }

    /// The predicted cost of [`evaluate`](Self::evaluate) at `(h, t, tolerance)`, in the units
    /// of its internal cost model (≈ floating-point operations of the inner loops; see
    /// [`crate::heat_kernel::group::auto`] for the measured time per unit), formed in O(1)
    /// without the tail sums: the truncation radius `M` solves
    /// `M² = 2(ln(1/(tol·S)) + 2r + e ln(1 + M²))/t` (`e` the polynomial degree of `P(μ)²` per
    /// coordinate, `S` the magnitude guess), the determinant form costs
    /// `copies·(2M + 1)r²(r + 1) + copies·r⁵`, the irrep sum `#irreps(|μ| ≤ M)·(r⁴ + 4r² + 40r)`.
    /// `∞` below [`MIN_TIME`].
    pub fn cost_estimate(&self, h: &[f64], t: f64, tolerance: f64) -> f64 {
        if !(t.is_finite() && t >= MIN_TIME) {
            return f64::INFINITY;
        }
        let rs = &self.roots;
        let r = rs.torus_dim() as f64;
        let degree = 2.0 * rs.positive_roots().len() as f64 / r.max(1.0);
        let level = -(tolerance * self.magnitude_guess(h, t)).ln() + 2.0 * r;
        // The largest root of M²t/2 = level + e·ln(1 + M²): iterated down from above it (the
        // map contracts there, slope 2e/(t(1 + M²)) ≪ 1). From M² = 1 it fell into the trivial
        // root whenever level < 0 (a peaked kernel, S ≫ 1/tol: so:3 at t = 1e-12 near I was
        // predicted cheap and then ran 10 s).
        let mut m2: f64 = 2.0 * (level.abs() + degree * (1.0 + 2.0 / t).ln() + 50.0) / t;
        for _ in 0..8 {
            m2 = (2.0 * (level + degree * (1.0 + m2).ln()) / t).max(0.0);
        }
        let rho_max = rs.rho().iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let radius = m2.sqrt() + rho_max + 1.0;
        let irreps = self.irrep_count_estimate(radius * radius - rs.rho_norm_sq());
        let irrep_cost = irreps * (r.powi(4) + 4.0 * r * r + 40.0 * r);
        let copies = match rs.group() {
            CompactGroup::SpecialUnitary(n) => n as f64,
            _ => 1.0,
        };
        let determinant_cost = if 0.5 * rs.rho_norm_sq() * t > 30.0 {
            f64::INFINITY
        } else {
            copies * (2.0 * radius + 1.0) * r * r * (r + 1.0) + copies * r.powi(5)
        };
        let cost = if determinant_cost < irrep_cost {
            // `evaluate` retries with the irrep sum when the determinant form cancels and at
            // most FALLBACK_IRREPS irreps are needed: the worst case pays both.
            determinant_cost
                + if irreps <= FALLBACK_IRREPS {
                    irrep_cost
                } else {
                    0.0
                }
        } else {
            irrep_cost
        };
        if cost.is_nan() {
            f64::INFINITY
        } else {
            cost
        }
    }

    /// Number of irreps with `c_λ ≤ casimir`: exact from the cache when it covers `casimir`,
    /// otherwise the volume of the ball `|μ| ≤ R` in `rank` dimensions over `|W|`.
    fn irrep_count_estimate(&self, casimir: f64) -> f64 {
        if let Ok(cache) = self.cache.read() {
            if cache.max_casimir >= casimir && !cache.irreps.is_empty() {
                return cache.irreps.partition_point(|i| i.casimir() <= casimir) as f64;
            }
        }
        let rank = self.roots.rank() as f64;
        let radius = (casimir + self.roots.rho_norm_sq()).sqrt();
        let unit_ball = std::f64::consts::PI.powf(rank / 2.0)
            / statrs::function::gamma::gamma(rank / 2.0 + 1.0);
        unit_ball * (radius + 1.0).powf(rank) / self.roots.weyl_group_order() as f64 + 1.0
    }

    /// Dominant weights with `c_λ ≤ casimir`, sorted by Casimir (from the cache, grown by at
    /// least a factor 1.5 in `C` when it does not cover `casimir`).
    fn irreps_up_to(&self, casimir: f64) -> Result<(Arc<Vec<Irrep>>, usize)> {
        {
            let cache = self.cache.read().map_err(|_| poisoned())?;
            if cache.max_casimir >= casimir && !cache.irreps.is_empty() {
                let count = cache.irreps.partition_point(|i| i.casimir() <= casimir);
                return Ok((Arc::clone(&cache.irreps), count));
            }
        }
        let mut cache = self.cache.write().map_err(|_| poisoned())?;
        if cache.max_casimir < casimir || cache.irreps.is_empty() {
            let target = casimir.max(1.5 * cache.max_casimir);
            let irreps = self
                .roots
                .dominant_weights(target)
                .map_err(|e| Error::Numerical {
                    method: "character series",
                    detail: format!(
                        "cannot enumerate the dominant weights with c <= {target:.4e}: {e}"
                    ),
                })?;
            cache.irreps = Arc::new(irreps);
            cache.max_casimir = target;
        }
        let count = cache.irreps.partition_point(|i| i.casimir() <= casimir);
        Ok((Arc::clone(&cache.irreps), count))
    }

    fn sum_irreps(
        &self,
        geometry: &TailGeometry,
        h: &[f64],
        tolerance: f64,
        guess: f64,
    ) -> Result<CharacterSum> {
        let t = geometry.t;
        let r = self.roots.torus_dim();
        let mut casimir = ball_casimir(geometry, tolerance * guess, &self.roots);
        let epsilon = f64::EPSILON * 4.0 * r as f64;
        let mut done = 0usize;
        let mut value = num_complex::Complex64::new(0.0, 0.0);
        let mut gradient = vec![num_complex::Complex64::new(0.0, 0.0); r];
        let mut magnitude = 0.0;
        let mut gradient_magnitude = 0.0;
        loop {
            // Refuse before enumerating when even the volume estimate is far over the cap.
            let estimate = self.irrep_count_estimate(casimir);
            if estimate > 4.0 * MAX_IRREPS as f64 {
                return Err(Error::Numerical {
                    method: "character series",
                    detail: format!(
                        "about {estimate:.3e} irreps (c <= {casimir:.4e}) needed at t = {t}, \
                         more than {MAX_IRREPS}"
                    ),
                });
            }
            let (irreps, count) = self.irreps_up_to(casimir)?;
            if count > MAX_IRREPS {
                return Err(Error::Numerical {
                    method: "character series",
                    detail: format!(
                        "{count} irreps (c <= {casimir:.4e}) needed at t = {t}, more than {MAX_IRREPS}"
                    ),
                });
            }
            if count > done {
                let slice = &irreps[done..count];
                let weights: Vec<f64> = slice
                    .iter()
                    .map(|i| i.dimension() * (-0.5 * i.casimir() * t).exp())
                    .collect();
                let part = self.roots.weighted_character_sum(slice, &weights, h);
                value += part.value;
                for (g, p) in gradient.iter_mut().zip(&part.gradient) {
                    *g += p;
                }
                magnitude += part.magnitude;
                gradient_magnitude += part.gradient_magnitude;
                done = count;
            }
            let radius = (casimir + self.roots.rho_norm_sq()).sqrt();
            let (tail, gradient_tail) = geometry.ball_tail(radius);
            // Per-term rounding (4r ε) plus the accumulation of `done` terms (√done ε).
            let epsilon = epsilon * (1.0 + (done as f64).sqrt() / (4.0 * r as f64));
            // Below the rounding noise a smaller tail buys nothing (module docs).
            let target = (tolerance * value.re.abs())
                .max(epsilon * magnitude)
                .max(f64::MIN_POSITIVE);
            if tail <= target && gradient_tail <= target {
                return Ok(CharacterSum {
                    value: value.re,
                    gradient: gradient.iter().map(|g| g.re).collect(),
                    terms: done,
                    tail_bound: tail,
                    rounding_bound: epsilon * magnitude + value.im.abs(),
                    gradient_rounding_bound: epsilon * gradient_magnitude,
                });
            }
            casimir = 1.5 * casimir + 1.0;
        }
    }

    fn sum_determinant(
        &self,
        geometry: &TailGeometry,
        h: &[f64],
        tolerance: f64,
        guess: f64,
    ) -> Result<CharacterSum> {
        let t = geometry.t;
        let r = self.roots.torus_dim();
        let copies = geometry.special_unitary.max(1);
        let mut radius = box_radius(geometry, tolerance * guess, &self.roots);
        let epsilon = f64::EPSILON * 4.0 * r as f64;
        loop {
            if (2.0 * radius + 1.0) * copies as f64 > MAX_SERIES_TERMS as f64 {
                return Err(Error::Numerical {
                    method: "character series",
                    detail: format!(
                        "the determinant form needs |mu| <= {radius:.4e} at t = {t}, more than \
                         {MAX_SERIES_TERMS} one-dimensional terms"
                    ),
                });
            }
            let series = self.roots.heat_series_box(h, t, radius);
            let (tail, gradient_tail) = geometry.box_tail(radius);
            // Per-entry rounding (4r ε) plus the accumulation of the one-dimensional terms.
            let per_copy = series.terms as f64 / copies as f64;
            let epsilon = epsilon * (1.0 + per_copy.sqrt() / (4.0 * r as f64));
            let target = (tolerance * series.value.abs())
                .max(epsilon * series.magnitude)
                .max(f64::MIN_POSITIVE);
            if tail <= target && gradient_tail <= target {
                return Ok(CharacterSum {
                    value: series.value,
                    gradient: series.gradient,
                    terms: series.terms,
                    tail_bound: tail,
                    rounding_bound: epsilon * series.magnitude,
                    gradient_rounding_bound: epsilon * series.gradient_magnitude,
                });
            }
            radius = 1.5 * radius + 2.0;
        }
    }
}

fn poisoned() -> Error {
    Error::Numerical {
        method: "character series",
        detail: "the weight cache lock is poisoned (a thread panicked while growing it)".into(),
    }
}

/// `ln Σ_{m ∈ Z+s, |m| > above} (1+m²)^e (1+|m|)^g e^{−m²τ/2}` (all of the lattice when
/// `above < 0`), with the geometric remainder bound added (module docs). The terms are scaled
/// by `e^{m₀²τ/2}` (`m₀` the smallest `|m|` in the range) so that nothing underflows at large `τ`.
fn log_one_dimensional_sum(shift: f64, exponent: i32, g: i32, tau: f64, above: f64) -> f64 {
    let include_zero = shift == 0.0 && above < 0.0;
    // first positive lattice point > max(above, 0)
    let floor = above.max(0.0);
    let mut m = (floor - shift).floor() + shift;
    while m <= floor {
        m += 1.0;
    }
    let start = if include_zero { 0.0 } else { m };
    let f = |x: f64| {
        (1.0 + x * x).powi(exponent)
            * (1.0 + x.abs()).powi(g)
            * (-0.5 * (x * x - start * start) * tau).exp()
    };
    let zero_term = if include_zero { f(0.0) } else { 0.0 };
    let mut positive = 0.0;
    let mut current = f(m);
    loop {
        positive += current;
        let next = f(m + 1.0);
        if next == 0.0 || !next.is_finite() {
            break;
        }
        if m >= 1.0 && next < current {
            let ratio = next / current;
            let remainder = next / (1.0 - ratio);
            if remainder <= 1e-17 * (positive + zero_term) {
                positive += remainder;
                break;
            }
        }
        m += 1.0;
        current = next;
    }
    (zero_term + 2.0 * positive).ln() - 0.5 * start * start * tau
}

/// `ln max_r 1/N_r(τ)` for SU(n), `N_r = Σ_k e^{−(r+nk)²τ/(2n)}` (module docs); 0 otherwise.
fn log_class_weight_bound(n: usize, tau: f64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let nf = n as f64;
    (0..n)
        .map(|residue| {
            // v = residue + n k; the smallest |v| is min(residue, n − residue).
            let closest = (residue.min(n - residue)) as f64;
            let scaled = |k: i64| {
                let v = residue as f64 + nf * k as f64;
                (-(v * v - closest * closest) * tau / (2.0 * nf)).exp()
            };
            let mut total = 0.0;
            let mut k: i64 = 0;
            loop {
                let added = if k == 0 {
                    scaled(0)
                } else {
                    scaled(k) + scaled(-k)
                };
                total += added;
                let next = nf * (k + 1) as f64 - residue as f64;
                if k > 0 && added <= 1e-18 * total && next * next * tau / (2.0 * nf) > 2.0 {
                    break;
                }
                k += 1;
            }
            closest * closest * tau / (2.0 * nf) - total.ln()
        })
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Smallest box radius (to 1%) whose tails are below `target`, at least `|ρ|_∞ + 1`.
///
/// The search starts at `0.9×` the solution of the leading-order condition
/// `ln(2 f(M)) + ln(prefactor F^{r−1}) = ln(target)` (a few fixed-point steps for
/// `M² = 2(e ln(1+M²) + L)/t`), so it needs only a handful of tail evaluations.
fn box_radius(geometry: &TailGeometry, target: f64, roots: &RootSystem) -> f64 {
    if let Some((memo_target, radius)) = geometry.box_radius_memo.get() {
        if memo_target == target {
            return radius;
        }
    }
    let low = roots.rho().iter().map(|x| x.abs()).fold(0.0, f64::max) + 1.0;
    let level = geometry.box_log_prefactor
        + (geometry.coordinates as f64 - 1.0) * geometry.log_all.0
        + 2f64.ln()
        - target.ln();
    let mut m2: f64 = low * low;
    for _ in 0..8 {
        m2 = (2.0 * (level + geometry.exponent as f64 * (1.0 + m2).ln()) / geometry.t).max(0.0);
    }
    let start = low.max(0.9 * m2.sqrt());
    let fits = |radius: f64| {
        let (a, b) = geometry.box_tail(radius);
        a <= target && b <= target
    };
    let radius = smallest_fitting(start, fits);
    geometry.box_radius_memo.set(Some((target, radius)));
    radius
}

/// Smallest Casimir cutoff (to 1% in `R`) whose ball tails are below `target`.
fn ball_casimir(geometry: &TailGeometry, target: f64, roots: &RootSystem) -> f64 {
    let rho2 = roots.rho_norm_sq();
    let low = rho2.sqrt() + 1.0;
    let fits = |radius: f64| {
        let (a, b) = geometry.ball_tail(radius);
        a <= target && b <= target
    };
    let radius = smallest_fitting(low, fits);
    (radius * radius - rho2).max(0.0)
}

/// Geometric growth (×1.25) then bisection for the smallest `x ≥ low` with `fits(x)` (monotone), to 1%;
/// gives up at `1e9` (the caller's caps then report the failure).
fn smallest_fitting(low: f64, fits: impl Fn(f64) -> bool) -> f64 {
    if fits(low) {
        return low;
    }
    let mut bad = low;
    let mut good = 1.25 * low;
    while !fits(good) {
        bad = good;
        good *= 1.25;
        if good > 1e9 {
            return good;
        }
    }
    while good - bad > 0.01 * good {
        let mid = 0.5 * (good + bad);
        if fits(mid) {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}
