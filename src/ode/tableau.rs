//! The Dormand–Prince 5(4) Butcher tableau and its continuous extension.
//!
//! Coefficients from J. R. Dormand and P. J. Prince, "A family of embedded
//! Runge–Kutta formulae", J. Comput. Appl. Math. 6 (1980) 19–26, in the form of
//! Hairer, Nørsett & Wanner, *Solving ODEs I* (2nd ed.), Table II.5.2. The
//! fifth-order weights equal the last row of `A` (first same as last, FSAL).
//! The dense-output coefficients `D` are Shampine's fourth-order continuous
//! extension as given in HNW II.6 (the `dopri5` code's `d1 … d7`).
//! Every coefficient is checked against the Runge–Kutta order conditions in the
//! unit tests below (order 5 for `b`, order 4 for `b̂` and for the interpolant).

/// Nodes `c_i`.
pub(crate) const C: [f64; 7] = [0.0, 1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0];

/// Stage coefficients `a_ij` (strictly lower triangular, row `i` has `i` entries used).
pub(crate) const A: [[f64; 6]; 7] = [
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [1.0 / 5.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [
        19372.0 / 6561.0,
        -25360.0 / 2187.0,
        64448.0 / 6561.0,
        -212.0 / 729.0,
        0.0,
        0.0,
    ],
    [
        9017.0 / 3168.0,
        -355.0 / 33.0,
        46732.0 / 5247.0,
        49.0 / 176.0,
        -5103.0 / 18656.0,
        0.0,
    ],
    [
        35.0 / 384.0,
        0.0,
        500.0 / 1113.0,
        125.0 / 192.0,
        -2187.0 / 6784.0,
        11.0 / 84.0,
    ],
];

/// Fifth-order weights `b_i` (`b_7 = 0`; equal to row 7 of `A`, which the solver uses
/// directly: the fifth-order solution is the stage-7 point).
#[cfg(test)]
pub(crate) const B: [f64; 7] = [
    35.0 / 384.0,
    0.0,
    500.0 / 1113.0,
    125.0 / 192.0,
    -2187.0 / 6784.0,
    11.0 / 84.0,
    0.0,
];

/// Error weights `e_i = b_i − b̂_i` (fifth minus embedded fourth order).
pub(crate) const E: [f64; 7] = [
    71.0 / 57600.0,
    0.0,
    -71.0 / 16695.0,
    71.0 / 1920.0,
    -17253.0 / 339200.0,
    22.0 / 525.0,
    -1.0 / 40.0,
];

/// Dense-output coefficients `d_i` of the fourth-order continuous extension.
pub(crate) const D: [f64; 7] = [
    -12715105075.0 / 11282082432.0,
    0.0,
    87487479700.0 / 32700410799.0,
    -10690763975.0 / 1880347072.0,
    701980252875.0 / 199316789632.0,
    -1453857185.0 / 822651844.0,
    69997945.0 / 29380423.0,
];

/// Continuous-extension weights `b_i(θ)`: the interpolant is `y(t + θh) = y + h Σ b_i(θ) k_i`.
///
/// With `Δ = Σ b_i k_i`, the interpolant used by the solver is
/// `y + θh (Δ + (1−θ)(k_1 − Δ + θ(2Δ − k_1 − k_7 + (1−θ) Σ d_i k_i)))`;
/// this function expands it into per-stage weights (used by the order-condition tests).
#[cfg(test)]
pub(crate) fn dense_weights(theta: f64) -> [f64; 7] {
    let mut w = [0.0; 7];
    let (s, s1) = (theta, 1.0 - theta);
    for i in 0..7 {
        let delta = B[i];
        let k1 = if i == 0 { 1.0 } else { 0.0 };
        let k7 = if i == 6 { 1.0 } else { 0.0 };
        let inner = 2.0 * delta - k1 - k7 + s1 * D[i];
        w[i] = s * (delta + s1 * (k1 - delta + s * inner));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Residuals of the Runge–Kutta order conditions up to `order` for weights `w`,
    /// where the exact value of a tree `τ` is `θ^{|τ|} / γ(τ)`.
    fn order_residuals(w: &[f64; 7], theta: f64, order: usize) -> Vec<f64> {
        let a = |i: usize, j: usize| if j < i { A[i][j] } else { 0.0 };
        let sum1 = |f: &dyn Fn(usize) -> f64| (0..7).map(|i| w[i] * f(i)).sum::<f64>();
        // Auxiliary vectors (A c)_i, (A c²)_i, (A A c)_i, (A c³)_i, (A (c·Ac))_i, (A A c²)_i, (A A A c)_i.
        let mat_vec = |v: &[f64; 7]| {
            let mut out = [0.0; 7];
            for i in 0..7 {
                out[i] = (0..7).map(|j| a(i, j) * v[j]).sum();
            }
            out
        };
        let c = C;
        let c2: [f64; 7] = std::array::from_fn(|i| c[i] * c[i]);
        let c3: [f64; 7] = std::array::from_fn(|i| c[i] * c[i] * c[i]);
        let ac = mat_vec(&c);
        let ac2 = mat_vec(&c2);
        let aac = mat_vec(&ac);
        let ac3 = mat_vec(&c3);
        let c_ac: [f64; 7] = std::array::from_fn(|i| c[i] * ac[i]);
        let a_c_ac = mat_vec(&c_ac);
        let aac2 = mat_vec(&ac2);
        let aaac = mat_vec(&aac);
        let t = theta;
        let mut r = vec![sum1(&|_| 1.0) - t];
        if order >= 2 {
            r.push(sum1(&|i| c[i]) - t.powi(2) / 2.0);
        }
        if order >= 3 {
            r.push(sum1(&|i| c2[i]) - t.powi(3) / 3.0);
            r.push(sum1(&|i| ac[i]) - t.powi(3) / 6.0);
        }
        if order >= 4 {
            r.push(sum1(&|i| c3[i]) - t.powi(4) / 4.0);
            r.push(sum1(&|i| c[i] * ac[i]) - t.powi(4) / 8.0);
            r.push(sum1(&|i| ac2[i]) - t.powi(4) / 12.0);
            r.push(sum1(&|i| aac[i]) - t.powi(4) / 24.0);
        }
        if order >= 5 {
            r.push(sum1(&|i| c2[i] * c2[i]) - t.powi(5) / 5.0);
            r.push(sum1(&|i| c2[i] * ac[i]) - t.powi(5) / 10.0);
            r.push(sum1(&|i| c[i] * ac2[i]) - t.powi(5) / 15.0);
            r.push(sum1(&|i| c[i] * aac[i]) - t.powi(5) / 30.0);
            r.push(sum1(&|i| ac[i] * ac[i]) - t.powi(5) / 20.0);
            r.push(sum1(&|i| ac3[i]) - t.powi(5) / 20.0);
            r.push(sum1(&|i| a_c_ac[i]) - t.powi(5) / 40.0);
            r.push(sum1(&|i| aac2[i]) - t.powi(5) / 60.0);
            r.push(sum1(&|i| aaac[i]) - t.powi(5) / 120.0);
        }
        r
    }

    #[test]
    fn row_sums_equal_nodes() {
        for i in 0..7 {
            let s: f64 = A[i].iter().sum();
            assert!((s - C[i]).abs() < 1e-15, "row {i}: {s} vs {}", C[i]);
        }
    }

    #[test]
    fn fifth_order_weights_satisfy_order_five() {
        for r in order_residuals(&B, 1.0, 5) {
            assert!(r.abs() < 1e-14, "residual {r}");
        }
        // FSAL: b equals the last row of A.
        for j in 0..6 {
            assert_eq!(B[j], A[6][j]);
        }
    }

    #[test]
    fn embedded_weights_satisfy_order_four_not_five() {
        let b_hat: [f64; 7] = std::array::from_fn(|i| B[i] - E[i]);
        for r in order_residuals(&b_hat, 1.0, 4) {
            assert!(r.abs() < 1e-14, "residual {r}");
        }
        let worst = order_residuals(&b_hat, 1.0, 5)
            .iter()
            .fold(0.0f64, |m, r| m.max(r.abs()));
        assert!(worst > 1e-6, "embedded formula must be of order exactly 4");
    }

    #[test]
    fn dense_output_has_order_four_for_every_theta() {
        for k in 0..=10 {
            let theta = k as f64 / 10.0;
            for r in order_residuals(&dense_weights(theta), theta, 4) {
                assert!(r.abs() < 1e-13, "theta {theta}: residual {r}");
            }
        }
        // At θ = 1 the interpolant reproduces the fifth-order step.
        let w = dense_weights(1.0);
        for i in 0..7 {
            assert!((w[i] - B[i]).abs() < 1e-15);
        }
    }
}
