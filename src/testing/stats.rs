//! Critical values and sample statistics of the statistical laws.

use statrs::distribution::{ChiSquared, ContinuousCDF};
use statrs::function::erf::erfc_inv;

/// The two-sided critical value `z = Φ⁻¹(1 − α/2)` of a standard normal statistic
/// (`√2·erfc⁻¹(α)`, accurate for tiny `α`).
pub(crate) fn z_critical(alpha: f64) -> f64 {
    std::f64::consts::SQRT_2 * erfc_inv(alpha)
}

/// The upper `α` quantile of `χ²_k`.
pub(crate) fn chi_squared_critical(k: usize, alpha: f64) -> f64 {
    ChiSquared::new(k as f64)
        .map(|c| c.inverse_cdf(1.0 - alpha))
        .unwrap_or(f64::INFINITY)
}

/// The asymptotic two-sample Kolmogorov–Smirnov critical value at level `α` for sample sizes
/// `n`, `m`: `√(−ln(α/2)/2)·√((n + m)/(nm))` (the first term of the Kolmogorov series,
/// `P(√(nm/(n+m)) D > c) ≈ 2e^{−2c²}`, which overestimates the tail, so the test is conservative).
pub(crate) fn ks_critical(n: usize, m: usize, alpha: f64) -> f64 {
    let (n, m) = (n as f64, m as f64);
    (-(alpha / 2.0).ln() / 2.0).sqrt() * ((n + m) / (n * m)).sqrt()
}

/// The two-sample Kolmogorov–Smirnov statistic `sup |F_a − F_b|`.
pub(crate) fn ks_statistic(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_by(f64::total_cmp);
    b.sort_by(f64::total_cmp);
    let (n, m) = (a.len() as f64, b.len() as f64);
    let (mut i, mut j, mut d) = (0usize, 0usize, 0.0f64);
    while i < a.len() && j < b.len() {
        let x = a[i].min(b[j]);
        while i < a.len() && a[i] <= x {
            i += 1;
        }
        while j < b.len() && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n - j as f64 / m).abs());
    }
    d
}

/// Mean and unbiased sample variance.
pub(crate) fn mean_var(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0).max(1.0);
    (mean, var)
}

/// Two-sample `z` of the difference of means of independent samples.
pub(crate) fn two_sample_z(a: &[f64], b: &[f64]) -> f64 {
    let (ma, va) = mean_var(a);
    let (mb, vb) = mean_var(b);
    let se = (va / a.len() as f64 + vb / b.len() as f64).sqrt();
    if se == 0.0 {
        if ma == mb {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (ma - mb) / se
    }
}

/// Self-normalised importance-sampling estimate of `E[f]` with weights `w`, and its delta-method
/// variance `Σ w²(f − μ̂)²/(Σ w)²`.
pub(crate) fn snis(w: &[f64], f: &[f64]) -> (f64, f64) {
    let sw: f64 = w.iter().sum();
    let mu = w.iter().zip(f).map(|(a, b)| a * b).sum::<f64>() / sw;
    let var = w
        .iter()
        .zip(f)
        .map(|(a, b)| (a * (b - mu)).powi(2))
        .sum::<f64>()
        / (sw * sw);
    (mu, var)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn critical_values() {
        assert!((z_critical(0.05) - 1.959_963_984_540_054).abs() < 1e-12);
        assert!((z_critical(1e-4) - 3.890_591_886_413_1).abs() < 1e-9);
        assert!((chi_squared_critical(1, 0.05) - 3.841_458_820_694_124).abs() < 1e-6);
        assert!((chi_squared_critical(10, 0.01) - 23.209_251_158_954_36).abs() < 1e-6);
        // c(0.05) = 1.358 for the two-sample test.
        assert!((ks_critical(1, 1, 0.05) / 2f64.sqrt() - 1.358_1).abs() < 1e-3);
    }

    #[test]
    fn ks_of_identical_and_disjoint_samples() {
        let a: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(ks_statistic(&a, &a), 0.0);
        let b: Vec<f64> = (200..300).map(f64::from).collect();
        assert_eq!(ks_statistic(&a, &b), 1.0);
    }
}
