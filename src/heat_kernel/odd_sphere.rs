//! Exact heat kernel of the odd spheres `S^{2n+1}` by the dimension recursion, with the `n`-th
//! derivative taken as a Cauchy integral.
//!
//! **Formula.** With `c = cos θ`, the operator `−(1/sin θ)∂_θ` is `∂_c`, and
//! `∂_c C_l^λ = 2λ C_{l−1}^{λ+1}`, `l(l+d−1) = (l−1)(l+d) + d`, `Vol S^{d+2}/Vol S^d = 2π/(d+1)`
//! turn the Gegenbauer series of `S^d` into that of `S^{d+2}`:
//! `p_{d+2}(c, t) = (1/2π) e^{dt/2} ∂_c p_d(c, t)` (for `∂_t p = ½Δp`). From the circle,
//!
//! `p_{2n+1}(c, t) = (2π)^{−n} e^{n²t/2} h^{(n)}(c)`, `h(c) = p_1(arccos c) = (2πt)^{−1/2} Σ_k e^{−(arccos c + 2πk)²/2t}`,
//!
//! and `∂_θ log p_{2n+1} = −sin θ · h^{(n+1)}(c)/h^{(n)}(c)`. (`n = 1` is the `S³` path sum of
//! [`super::sphere3`]; the constants are checked against the Gegenbauer series in the tests.)
//!
//! **Why a Cauchy integral is stable here.** `h` is an entire function of `c` (an even,
//! 2π-periodic entire function of θ), and every derivative `h^{(m)}` is a positive multiple of
//! the heat kernel of `S^{2m+1}`, so `h` is *absolutely monotone* on `[−1, 1]`: its Taylor
//! coefficients `a_k = h^{(k)}(c₀)/k!` at any `c₀ ∈ [−1, 1]` are positive. Hence on the circle
//! `|z − c₀| = r`, `|h(z)| ≤ Σ a_k r^k = h(c₀ + r)`, and the trapezoidal rule with `N` nodes
//!
//! `h^{(m)}(c₀) ≈ m!/(N r^m) Σ_j h(c₀ + r ω^j) ω^{−jm}`, `ω = e^{2πi/N}`,
//!
//! has condition number `κ = h(c₀ + r)/(a_m r^m) = 1/(weight of k = m in the distribution ∝ a_k r^k)`.
//! The radius is chosen as the saddle point `r h'(c₀+r)/h(c₀+r) = n` (the mean of that
//! distribution is `n`; the mean increases with `r`, so bisection in `log r` finds it), where
//! `κ` is about `√(2π Var)`; measured `Σ|samples|/|sum| ≈ 1` in practice. The aliasing error is
//! `Σ_{k ≡ m mod N, k ≠ m} a_k r^{k−m}/a_m`; with `N = m_max + 10 + ⌈8√(m_max+1)⌉` nodes it is
//! bounded a posteriori by Cauchy's estimate on a larger circle (see `taylor_coefficients`)
//! and is below `1e-17` wherever the method is used (doubling `N` changes nothing, tests).
//!
//! **Samples.** `h(z)` for complex `z = c₀ + e` is evaluated relative to `e^{−θ₀²/2t}`: with
//! `δ = arccos z − θ₀ = −i log1p(w)`, `w = [e + i(√(1−z²) − sin θ₀)]/e^{iθ₀}` and
//! `√(1−z²) − sin θ₀ = −e(z + c₀)/(√(1−z²) + sin θ₀)` (with `1 ± z` formed from `2 sin²(θ₀/2)`
//! and `2 cos²(θ₀/2)`), the image exponents are `−(δ + 2πk)(2θ₀ + δ + 2πk)/2t`, all accurate to
//! `ε` relative to their *change* along the circle (`O(n)`), not to `θ₀²/2t`. Any branch of
//! `arccos` gives the same `h` because the image sum is even and 2π-periodic (far from `c₀`, where
//! `z + i√(1−z²)` would be formed by cancellation, the other branch is taken); images are taken
//! around the nearest one as on the circle ([`super::circle`]), `2K + 1` of them.
//!
//! **Accuracy.** A posteriori estimate (returned, used by `Auto`): rounding
//! `4ε(n + 11) Σ|image terms|/|Σ|` plus the aliasing bound; it excludes the `ε θ₀²/2t` rounding of
//! the Gaussian exponent common to every f64 method. Measured: against the mpmath reference on
//! `S⁷` and `S¹²⁷` (all rows with `t ≤ 0.03`, θ up to π − 1e-3) `|Δ log p| ≤ 7.3e-12` (the
//! `ε θ²/2t` part at `t = 1e-4`; `≤ 1.4e-13` for `t ≥ 1e-2`), score `≤ 7e-14` relative; against
//! the Gegenbauer series on `S⁵ … S⁵¹¹` up to `t = 0.1` within their joint estimates (tests). For
//! large `t` the saddle radius grows like `e^{nt}` and the method refuses (`Err`) or reports a
//! large estimate; the Gegenbauer series is exact and cheap there, and `Auto` uses it.
//!
//! **Cost.** `N/2 + 1` complex samples (conjugate symmetry), each `2K + 1 ≤ 3` complex
//! exponentials for `t ≤ 1`, plus ~10–20 real samples for the radius: 5 µs on `S⁷`, 19 µs on
//! `S¹²⁷`, 50–60 µs on `S⁵¹¹` (release build, 2-core build machine).

use super::{KernelMethod, RadialEvaluation};
use crate::error::{Error, Num, Result};
use num_complex::Complex64;
use statrs::function::gamma::ln_gamma;
use std::f64::consts::{PI, TAU};

/// `π − fl(π)`.
const PI_LOW: f64 = 1.2246467991473532e-16;

/// Largest number of images per sample (`t ≲ 2000`; beyond, `Auto` uses the eigen series).
const MAX_IMAGES: usize = 61;

/// The expansion point `θ₀` of the wrapped Gaussian `h(c) = p₁(arccos c)` and what its
/// complex samples need of it.
pub(crate) struct Centre {
    theta: f64,
    cos: f64,
    sin: f64,
    one_minus_cos: f64,
    one_plus_cos: f64,
    /// `π − θ₀`, accurate.
    pi_minus_theta: f64,
    t: f64,
    images: i64,
}

impl Centre {
    pub(crate) fn new(theta: f64, t: f64) -> Self {
        let (sin, cos) = theta.sin_cos();
        let (sh, ch) = (0.5 * theta).sin_cos();
        Self::from_parts(
            theta,
            cos,
            sin,
            2.0 * sh * sh,
            2.0 * ch * ch,
            (PI - theta) + PI_LOW,
            t,
        )
    }

    /// The centre at `theta` with its trigonometric parts given accurately by the caller
    /// (`1 ∓ cos θ` and `π − θ` to relative accuracy): an f64 `theta` near π/2 carries
    /// `cos θ` only to absolute accuracy `ε`, which the even spheres cannot afford.
    pub(crate) fn from_parts(
        theta: f64,
        cos: f64,
        sin: f64,
        one_minus_cos: f64,
        one_plus_cos: f64,
        pi_minus_theta: f64,
        t: f64,
    ) -> Self {
        Centre {
            theta,
            cos,
            sin,
            one_minus_cos,
            one_plus_cos,
            pi_minus_theta,
            t,
            images: ((((83.0 * t).sqrt() + PI) / TAU).ceil().max(1.0) as i64)
                .min((MAX_IMAGES as i64 - 1) / 2),
        }
    }

    /// `h(c₀ + e) e^{θ₀²/2t}·√(2πt)` (the image sum relative to the primary Gaussian at θ₀),
    /// returned as `(m, s, a)` with value `e^m s` (`m` real, so nothing overflows) and
    /// `e^m a` the sum of the moduli of the image terms (their cancellation sets the rounding error).
    pub(crate) fn sample(&self, e: Complex64) -> (f64, Complex64, f64) {
        let i = Complex64::i();
        let one_minus_z = Complex64::new(self.one_minus_cos, 0.0) - e;
        let one_plus_z = Complex64::new(self.one_plus_cos, 0.0) + e;
        let sz = (one_minus_z * one_plus_z).sqrt();
        let denominator = sz + self.sin;
        let sdiff = if denominator.norm() > 0.0 {
            -e * (e + 2.0 * self.cos) / denominator
        } else {
            sz - self.sin
        };
        let rotation = Complex64::new(self.cos, -self.sin); // e^{−iθ₀}
        let w = (e + i * sdiff) * rotation;
        // log1p(w), accurate for small |w|.
        let log_modulus = 0.5 * (w.re * (2.0 + w.re) + w.im * w.im).ln_1p();
        let delta = if log_modulus > -std::f64::consts::LN_2 {
            // δ = −i log1p(w).
            Complex64::new(w.im.atan2(1.0 + w.re), -log_modulus)
        } else {
            // Far from c₀ the root √(1−z²) continued from sin θ₀ can make z + i√(1−z²) tiny
            // (≈ 1/2z, formed by cancellation); use the other branch of arccos (θ → −θ, same
            // image sum), z − i√(1−z²) = 1/(z + i√(1−z²)), which is formed without cancellation.
            let z = Complex64::new(self.cos, 0.0) + e;
            let root = Complex64::new(self.sin, 0.0) + sdiff;
            -i * ((z - i * root) * rotation).ln()
        };
        let a = self.theta + delta.re;
        let k0 = -(a / TAU).round() as i64;
        // Exponents −(δ + 2πk)(2θ₀ + δ + 2πk)/2t; images whose real part is more than 745 below
        // the largest are dropped (relative weight < 1e-323).
        let mut exponents = [Complex64::new(0.0, 0.0); MAX_IMAGES];
        let mut count = 0;
        let mut largest = f64::NEG_INFINITY;
        for k in (k0 - self.images)..=(k0 + self.images) {
            let kf = k as f64;
            // Cheap screen: relative real weight −((a + 2πk)² − a_0²)/2t with a_0 the nearest image.
            let ak = a + TAU * kf;
            let a0 = a + TAU * k0 as f64;
            if (ak * ak - a0 * a0) / (2.0 * self.t) > 745.0 {
                continue;
            }
            let dk = delta + TAU * kf;
            // 2θ₀ + δ_k = δ + 2π(k + 1) − 2(π − θ₀), formed so that it is accurate near θ₀ = π, k = −1.
            let other = if k < 0 {
                delta + TAU * (kf + 1.0) - 2.0 * self.pi_minus_theta
            } else {
                delta + (2.0 * self.theta + TAU * kf)
            };
            let x = -dk * other / (2.0 * self.t);
            largest = largest.max(x.re);
            exponents[count] = x;
            count += 1;
        }
        let mut sum = Complex64::new(0.0, 0.0);
        let mut magnitude = 0.0;
        for x in &exponents[..count] {
            if x.re - largest > -745.0 {
                let term = (x - largest).exp();
                sum += term;
                magnitude += (x.re - largest).exp();
            }
        }
        (largest, sum, magnitude)
    }
}

/// Taylor coefficients `a_m = f^{(m)}(x₀)/m!` of an entire function `f` with positive Taylor
/// coefficients at the real point `x₀`, for the consecutive orders `first, first + 1, …`
/// (`count` of them), by the trapezoidal Cauchy integral on the saddle circle (see the module
/// docs). `sample(e)` returns `f(x₀ + e)` as `(m, s, a)`: value `e^m s`, and `e^m a` the sum of
/// the moduli of the terms that formed it (for the rounding estimate). `guess ± halfwidth` is the
/// first bracket of `log r` (widened by steps of 4 if needed); `refine` multiplies the node count
/// (tests).
pub(crate) struct TaylorCoefficients {
    /// `log a_m` for `m = first, …, first + count − 1`.
    pub log_coefficients: [f64; 3],
    /// Estimated relative error of every `a_m` (rounding and aliasing).
    pub relative_error: f64,
    /// Number of samples of `f` evaluated on the circle.
    pub samples: usize,
    /// `log r` of the saddle circle used (a good guess for a nearby expansion point).
    pub log_radius: f64,
}

/// See [`TaylorCoefficients`].
pub(crate) fn taylor_coefficients(
    sample: impl Fn(Complex64) -> (f64, Complex64, f64),
    first: usize,
    count: usize,
    guess: f64,
    halfwidth: f64,
    refine: usize,
) -> Result<TaylorCoefficients> {
    debug_assert!((1..=3).contains(&count));
    let fail = |detail: String| Error::Numerical {
        method: "sphere heat kernel, Cauchy integral",
        detail,
    };
    let log_real = |r: f64| {
        let (m, v, _) = sample(Complex64::new(r, 0.0));
        m + v.re.ln()
    };
    // Saddle radius: mean(r) = r f'(x₀+r)/f(x₀+r) = target, the mean order of the distribution
    // ∝ a_k r^k (increasing in r), by bisection in ρ = log r with a central difference of log f.
    let target = first as f64 + 0.5 * (count as f64 - 1.0);
    let eta: f64 = 1e-3;
    let mean = |rho: f64| {
        let r = rho.exp();
        (log_real(r * eta.exp()) - log_real(r * (-eta).exp())) / (2.0 * eta)
    };
    // A narrow first bracket means the caller knows the radius of a nearby expansion point:
    // accept it if its mean is within 0.25√(target+1) of the target (κ grows by < e^{0.04}).
    let accepted = if halfwidth < 1.0 {
        let m = mean(guess);
        (m - target).abs() <= 0.25 * (target + 1.0).sqrt()
    } else {
        false
    };
    let r = if accepted {
        guess.exp()
    } else {
        let (mut lo, mut hi) = (guess - halfwidth, guess + halfwidth);
        let mut expansions = 0;
        while mean(lo) > target {
            lo -= 4.0;
            expansions += 1;
            if expansions > 60 {
                return Err(fail(format!(
                    "the saddle point of the Cauchy integral lies beyond |z| = e^{}: the \
                     integral is a small-t method (at this t use the eigen expansion or auto)",
                    Num(lo)
                )));
            }
        }
        // (A NaN mean, e.g. from overflow, also moves the bracket up.)
        loop {
            if mean(hi) >= target {
                break;
            }
            hi += 4.0;
            expansions += 1;
            if expansions > 60 || hi > 60.0 {
                return Err(fail(format!(
                    "the saddle point of the Cauchy integral lies beyond |z| = e^{}: the \
                     integral is a small-t method (at this t use the eigen expansion or auto)",
                    Num(hi)
                )));
            }
        }
        // κ grows like e^{Var·Δρ²/2} with Var ≲ target + 1 the variance of k under a_k r^k: a
        // midpoint within 0.3/√(target+1) of the saddle costs at most a factor e^{0.05}.
        while hi - lo > 0.6 / (target + 1.0).sqrt() {
            let mid = 0.5 * (lo + hi);
            if mean(mid) > target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        (0.5 * (lo + hi)).exp()
    };
    let last = first + count - 1;
    let lf = last as f64;
    // Trapezoidal rule on the circle, folded by conjugate symmetry f(z̄) = conj f(z).
    let nodes = refine * (last + 10 + (8.0 * (lf + 1.0).sqrt()).ceil() as usize);
    let nodes = nodes + nodes % 2;
    let half = nodes / 2;
    let shift = log_real(r);
    if !shift.is_finite() {
        return Err(fail(format!("f(x₀ + r) not finite at r = {r:e}")));
    }
    let mut sums = [0.0f64; 3];
    let mut abs_sum = 0.0f64;
    for j in 0..=half {
        let phi = TAU * j as f64 / nodes as f64;
        let (sp, cp) = phi.sin_cos();
        let (m, v, magnitude) = sample(Complex64::new(r * cp, r * sp));
        let scale = if m - shift > -745.0 {
            (m - shift).exp()
        } else {
            0.0
        };
        let v = v * scale;
        let weight = if j == 0 || j == half { 1.0 } else { 2.0 };
        for (i, s) in sums.iter_mut().enumerate().take(count) {
            // e^{−i m φ_j} with m φ_j reduced exactly modulo 2π.
            let (sn, cs) = (TAU * (((first + i) * j) % nodes) as f64 / nodes as f64).sin_cos();
            *s += weight * (v.re * cs + v.im * sn);
        }
        abs_sum += weight * magnitude * scale;
    }
    let smallest = sums[..count].iter().cloned().fold(f64::INFINITY, f64::min);
    if smallest.is_nan() || smallest <= 0.0 {
        return Err(fail(format!(
            "the Cauchy sum is not positive (r = {r:e}): cancellation"
        )));
    }
    // Rounding: each sample is accurate to ~(last + 10)ε relative to the moduli of its terms;
    // the trapezoidal sum divides by s_m. Aliasing: the computed s_m/N is
    // Σ_{k ≡ m (mod N)} a_k r^{k−m}; N > last + 1 leaves only k = m + N, m + 2N, … and by
    // Cauchy's estimate on the circle of radius R = r e^u, a_k r^k ≤ f(x₀ + R) e^{−uk}.
    // Relative to a_m r^m = (s_m/N) e^{shift}, with u = ln(1 + N/(last+1)) (the saddle of the
    // bound for a Poisson-like distribution), the relative aliasing error is below
    // 2 (N/s_m) exp(log f(x₀+R) − shift − u(first + N)).
    let rounding = 4.0 * f64::EPSILON * (lf + 10.0) * abs_sum / smallest;
    let u = (1.0 + nodes as f64 / (lf + 1.0)).ln();
    let log_alias = log_real(r * u.exp()) - shift - u * (first as f64 + nodes as f64)
        + (2.0 * nodes as f64 / smallest).ln();
    let mut log_coefficients = [0.0; 3];
    for i in 0..count {
        log_coefficients[i] = shift + (sums[i] / nodes as f64).ln() - (first + i) as f64 * r.ln();
    }
    Ok(TaylorCoefficients {
        log_coefficients,
        relative_error: rounding + log_alias.min(0.0).exp(),
        samples: half + 1,
        log_radius: r.ln(),
    })
}

/// `(p_{2n+1}, ∂_θ log p_{2n+1})` at `theta ∈ [0, π]`, `t > 0`, `d = 2n + 1 ≥ 3`.
///
/// # Errors
/// [`Error::Numerical`] where the saddle radius cannot be bracketed or the quadrature sum is
/// not positive (large `t`; use the Gegenbauer series there).
pub(crate) fn odd_sphere_cauchy(d: usize, theta: f64, t: f64) -> Result<RadialEvaluation> {
    odd_sphere_cauchy_nodes(d, theta, t, 1)
}

/// [`odd_sphere_cauchy`] with the node count multiplied by `refine` (for the doubling test).
pub(crate) fn odd_sphere_cauchy_nodes(
    d: usize,
    theta: f64,
    t: f64,
    refine: usize,
) -> Result<RadialEvaluation> {
    debug_assert!(d >= 3 && d % 2 == 1);
    let n = (d - 1) / 2;
    let nf = n as f64;
    let centre = Centre::new(theta, t);
    let guess = if theta < 1e-8 {
        nf * t
    } else if theta < 3.0 {
        nf * t * theta.sin() / theta
    } else {
        nf * t * t
    };
    let taylor = taylor_coefficients(
        |e| centre.sample(e),
        n,
        2,
        guess.max(1e-300).ln(),
        2.0,
        refine,
    )?;
    // h^{(n)}(c₀) = n! a_n e^{−θ₀²/2t}/√(2πt) (the samples are relative to the primary Gaussian).
    let log_h = -theta * theta / (2.0 * t) - 0.5 * (TAU * t).ln()
        + taylor.log_coefficients[0]
        + ln_gamma(nf + 1.0);
    let log_prob = -nf * TAU.ln() + 0.5 * nf * nf * t + log_h;
    // h^{(n+1)}/h^{(n)} = (n + 1) a_{n+1}/a_n.
    let ratio = (nf + 1.0) * (taylor.log_coefficients[1] - taylor.log_coefficients[0]).exp();
    Ok(RadialEvaluation {
        log_prob,
        dlog_prob_dtheta: -centre.sin * ratio,
        terms: taylor.samples * (2 * centre.images as usize + 1),
        estimator: KernelMethod::SumOverPaths,
        // Rounding and aliasing, excluding the ε θ₀²/2t of the Gaussian exponent (module docs).
        error_estimate: taylor.relative_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heat_kernel::gegenbauer::gegenbauer_series;
    use crate::heat_kernel::sphere3::s3_paths;
    use crate::manifold::{Manifold, Sphere};

    #[test]
    fn three_sphere_matches_the_exact_path_sum() {
        // n = 1 is the S³ path sum of `sphere3` (accurate to ~1e-15): checks the constants
        // (2π)^{−n} e^{n²t/2} and the score formula.
        for &t in &[1e-4, 1e-3, 0.03, 0.3] {
            for i in 0..=20 {
                let theta = PI * i as f64 / 20.0;
                let a = odd_sphere_cauchy(3, theta, t).unwrap();
                let b = s3_paths(theta, t);
                let scale = 1.0 + theta * theta / (2.0 * t);
                assert!(
                    (a.log_prob - b.log_prob).abs() < 1e-13 * scale,
                    "t={t} θ={theta}: {a:?} vs {b:?}"
                );
                // The score is compared on its natural scale max(|s|, 1/√t) (near θ = π it is a
                // cancellation of terms of size π/t).
                assert!(
                    (a.dlog_prob_dtheta - b.dlog_prob_dpsi).abs()
                        < 1e-12 * b.dlog_prob_dpsi.abs().max(1.0 / t.sqrt()),
                    "t={t} θ={theta}: {a:?} vs {b:?}"
                );
                assert!(a.error_estimate < 1e-12);
            }
        }
    }

    #[test]
    fn matches_the_gegenbauer_series_and_doubling_the_nodes_changes_nothing() {
        // Where the eigen series is accurate (estimate < 1e-13) both exact methods must agree to
        // the sum of their estimates (plus the ε θ²/2t exponent rounding); doubling the Cauchy
        // nodes must not change anything beyond rounding (the aliasing bound is < 1e-17).
        let mut compared = 0;
        for &d in &[5usize, 7, 31, 127, 511] {
            let log_volume = Sphere::new(d).unwrap().log_volume();
            for &t in &[1e-4, 1e-3, 1e-2, 3e-2, 0.1] {
                for i in 0..=12 {
                    let theta = PI * i as f64 / 12.0;
                    let Ok(a) = odd_sphere_cauchy(d, theta, t) else {
                        assert!(t >= 0.1, "Cauchy failed at d={d} t={t} θ={theta}");
                        continue;
                    };
                    let floor = 4.0 * f64::EPSILON * (1.0 + theta * theta / (2.0 * t));
                    let b = odd_sphere_cauchy_nodes(d, theta, t, 2).unwrap();
                    assert!(
                        (a.log_prob - b.log_prob).abs()
                            < 2.0 * (a.error_estimate + b.error_estimate) + floor + 1e-14,
                        "doubling d={d} t={t} θ={theta}: {a:?} {b:?}"
                    );
                    if let Ok(s) = gegenbauer_series(d, theta, t, log_volume) {
                        if s.error_estimate < 1e-13 && a.error_estimate < 1e-12 {
                            // The eigen weights drift by ~lε over l terms (documented in `gegenbauer`).
                            let drift = 4.0 * f64::EPSILON * s.terms as f64;
                            let tol =
                                4.0 * (s.error_estimate + a.error_estimate) + drift + floor + 1e-14;
                            assert!(
                                (a.log_prob - s.log_prob).abs() < tol,
                                "d={d} t={t} θ={theta}: {a:?} vs {:?}",
                                s
                            );
                            assert!(
                                (a.dlog_prob_dtheta - s.dlog_prob_dtheta).abs()
                                    < 100.0 * tol * s.dlog_prob_dtheta.abs().max(1.0),
                                "d={d} t={t} θ={theta}: {a:?} vs {:?}",
                                s
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
        assert!(compared > 80, "{compared}");
    }
}
