//! Small vector helpers and random draws shared by the law checks.

use super::Law;
use crate::manifold::Manifold;
use crate::random::{standard_normal, uniform, Rng};

/// Unit roundoff `u = 2⁻⁵³`.
pub(crate) const UNIT_ROUNDOFF: f64 = f64::EPSILON / 2.0;

/// SplitMix64 finaliser (Steele, Lea & Flood 2014): a bijective mixer of 64-bit words.
pub(crate) fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The seed of case `case` of `law`: a hash of the base seed, the law's name (FNV-1a, so
/// seeds stay put when laws are added) and the case index.
pub(crate) fn case_seed(base: u64, law: Law, case: usize) -> u64 {
    let name = law.name().bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    splitmix64(splitmix64(base ^ splitmix64(name)) ^ case as u64)
}

pub(crate) fn norm(a: &[f64]) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

pub(crate) fn diff_norm(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `max(1, ‖a‖)`.
pub(crate) fn scale(a: &[f64]) -> f64 {
    norm(a).max(1.0)
}

pub(crate) fn scaled(a: &[f64], s: f64) -> Vec<f64> {
    a.iter().map(|v| s * v).collect()
}

/// `a + s·b`.
pub(crate) fn add_scaled(a: &[f64], s: f64, b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + s * y).collect()
}

/// The distance between two points as the law suite measures it: `min(‖a − b‖, d(a, b))`.
pub(crate) fn point_error<M: Manifold + ?Sized>(m: &M, a: &[f64], b: &[f64]) -> f64 {
    let ambient = diff_norm(a, b);
    let geodesic = m.distance(a, b);
    if geodesic.is_nan() {
        return f64::NAN;
    }
    ambient.min(geodesic)
}

pub(crate) fn uniform_point<M: Manifold + ?Sized>(m: &M, rng: &mut Rng) -> Vec<f64> {
    let mut x = vec![0.0; m.ambient_dim()];
    m.sample_uniform(rng, &mut x);
    x
}

pub(crate) fn gaussian_vector(n: usize, rng: &mut Rng) -> Vec<f64> {
    (0..n).map(|_| standard_normal(rng)).collect()
}

/// A tangent vector at `x` with metric norm `length` and isotropic direction:
/// `v = length·Σ_j a_j e_j/|a|` over the orthonormal tangent basis, `a` standard normal.
///
/// Built from the basis rather than by rescaling `sample_tangent_normal`: a projected Gaussian
/// can be tiny (on `S¹` with probability ~`|v|`), and rescaling it would amplify its `O(u)`
/// normal component by `length/|v|`; here the normal component stays `O(length·u)`.
pub(crate) fn tangent_of_length<M: Manifold + ?Sized>(
    m: &M,
    x: &[f64],
    length: f64,
    rng: &mut Rng,
) -> Vec<f64> {
    let rows = basis(m, x);
    let n = m.ambient_dim();
    loop {
        let a = gaussian_vector(rows.len(), rng);
        let size = norm(&a);
        if size > 1e-12 || rows.is_empty() {
            let mut v = vec![0.0; n];
            for (aj, e) in a.iter().zip(&rows) {
                for (vi, ei) in v.iter_mut().zip(e) {
                    *vi += length * (aj / size) * ei;
                }
            }
            return v;
        }
    }
}

/// A draw of `U(0, 1)`.
pub(crate) fn unit(rng: &mut Rng) -> f64 {
    uniform(rng)
}

/// The metric scale `c = max_i 1/‖e_i‖²` over the tangent basis at `x` (module docs).
pub(crate) fn metric_scale<M: Manifold + ?Sized>(m: &M, x: &[f64]) -> f64 {
    let (d, n) = (m.dim(), m.ambient_dim());
    let mut basis = vec![0.0; d * n];
    m.tangent_basis(x, &mut basis);
    basis
        .chunks_exact(n)
        .map(|e| 1.0 / e.iter().map(|v| v * v).sum::<f64>())
        .fold(0.0, f64::max)
        .max(f64::MIN_POSITIVE)
}

/// The tangent basis at `x` as rows.
pub(crate) fn basis<M: Manifold + ?Sized>(m: &M, x: &[f64]) -> Vec<Vec<f64>> {
    let (d, n) = (m.dim(), m.ambient_dim());
    let mut b = vec![0.0; d * n];
    m.tangent_basis(x, &mut b);
    b.chunks_exact(n).map(<[f64]>::to_vec).collect()
}

pub(crate) fn exp<M: Manifold + ?Sized>(m: &M, x: &[f64], v: &[f64]) -> Vec<f64> {
    let mut y = vec![0.0; m.ambient_dim()];
    m.exp(x, v, &mut y);
    y
}

pub(crate) fn log<M: Manifold + ?Sized>(m: &M, x: &[f64], y: &[f64]) -> Vec<f64> {
    let mut v = vec![0.0; m.ambient_dim()];
    m.log(x, y, &mut v);
    v
}

pub(crate) fn project_tangent<M: Manifold + ?Sized>(m: &M, x: &[f64], v: &[f64]) -> Vec<f64> {
    let mut p = vec![0.0; m.ambient_dim()];
    m.project_tangent(x, v, &mut p);
    p
}

/// Points that `check_point(·, MEMBERSHIP_TOLERANCE)` rejects, derived from the point `x`:
/// `x + 10` in every coordinate, `1.5·x + 0.1`, and `−3x − 0.5` (only those actually rejected).
pub(crate) fn off_manifold_points<M: Manifold + ?Sized>(m: &M, x: &[f64]) -> Vec<Vec<f64>> {
    let candidates: [Vec<f64>; 3] = [
        x.iter().map(|v| v + 10.0).collect(),
        x.iter().map(|v| 1.5 * v + 0.1).collect(),
        x.iter().map(|v| -3.0 * v - 0.5).collect(),
    ];
    candidates
        .into_iter()
        .filter(|c| {
            m.check_point(c, crate::manifold::MEMBERSHIP_TOLERANCE)
                .is_err()
        })
        .collect()
}

/// The smallest tolerance of the ladder `tol·2^{−j}` (`j ≤ 60`) at which `check_point` passes,
/// or `None` if it fails at `tol` itself.
pub(crate) fn membership_defect<M: Manifold + ?Sized>(m: &M, x: &[f64], tol: f64) -> Option<f64> {
    if m.check_point(x, tol).is_err() {
        return None;
    }
    let mut passing = tol;
    for _ in 0..60 {
        let next = passing / 2.0;
        if m.check_point(x, next).is_err() {
            return Some(passing);
        }
        passing = next;
    }
    Some(0.0)
}

/// `ln |det A|` of a `d × d` row-major matrix by Gaussian elimination with partial pivoting
/// (`−∞` if singular).
pub(crate) fn log_abs_det(mut a: Vec<f64>, d: usize) -> f64 {
    let mut log_det = 0.0;
    for col in 0..d {
        let pivot = (col..d)
            .max_by(|&i, &j| a[i * d + col].abs().total_cmp(&a[j * d + col].abs()))
            .unwrap_or(col);
        let p = a[pivot * d + col];
        if p == 0.0 {
            return f64::NEG_INFINITY;
        }
        if pivot != col {
            for k in 0..d {
                a.swap(col * d + k, pivot * d + k);
            }
        }
        log_det += p.abs().ln();
        for i in col + 1..d {
            let factor = a[i * d + col] / p;
            for k in col..d {
                a[i * d + k] -= factor * a[col * d + k];
            }
        }
    }
    log_det
}
