//! Synthetic targets: distributions with an exact sampler and an exact log density,
//! used to test score models and likelihood estimators end to end.

use super::earth::lat_lon_to_unit;
use super::{
    Dataset, HeatKernelMixtureTarget, RotationWrappedNormalComponent, RotationWrappedNormalMixture,
    VonMisesFisherComponent, VonMisesFisherMixture, WrappedNormalComponent, WrappedNormalMixture,
};
use crate::error::{Error, Result};
use crate::manifold::Manifold;
use crate::manifold::{CompactGroup, ManifoldSpec};
use crate::random::{streams, Rng};
use rayon::prelude::*;
use std::f64::consts::PI;

/// Points per random stream in [`Target::sample`]: chunk `k` of this many points draws from
/// stream `k` of the seed, so samples do not depend on the thread count.
pub const SAMPLE_CHUNK: usize = 256;

/// A probability distribution on a manifold with an exact sampler and an exact log density
/// (with respect to the Riemannian volume, [`crate::conventions`]).
pub trait Target: Send + Sync + std::fmt::Debug {
    /// Human-readable description.
    fn name(&self) -> String;

    /// The manifold the distribution lives on.
    fn manifold(&self) -> &dyn Manifold;

    /// `ln p(x)` for one point `x` (ambient coordinates, assumed on the manifold).
    ///
    /// # Panics
    /// May panic if `x.len() != manifold().ambient_dim()` (programming error).
    fn log_prob(&self, x: &[f64]) -> f64;

    /// Writes one exact draw into `out` (`manifold().ambient_dim()` reals).
    fn sample(&self, rng: &mut Rng, out: &mut [f64]);

    /// [`Target::sample`], or the error that prevented the draw: targets whose sampler is a
    /// numerical method that can fail (heat-kernel mixtures) override it. The default draws
    /// with [`Target::sample`] and cannot fail. [`Target::sample_batch`] uses this.
    ///
    /// # Errors
    /// The sampler's.
    fn try_sample(&self, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        self.sample(rng, out);
        Ok(())
    }

    /// Fills the rows of `out` (`n × ambient_dim`, row-major) with `n` exact draws,
    /// deterministic in `seed` and independent of the thread count (chunks of
    /// [`SAMPLE_CHUNK`] points, chunk `k` uses stream `k` of `seed`, in parallel).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] if `out` is not a whole number of rows; the first error of
    /// [`Target::try_sample`] (in chunk order).
    fn sample_batch(&self, seed: u64, out: &mut [f64]) -> Result<()> {
        let dim = self.manifold().ambient_dim();
        if out.len() % dim != 0 {
            return Err(Error::DimensionMismatch {
                what: "sample output (length must be a multiple of the ambient dimension)",
                expected: dim * (out.len() / dim + 1),
                found: out.len(),
            });
        }
        let chunks = (out.len() / dim).div_ceil(SAMPLE_CHUNK);
        let rngs = streams(seed, chunks);
        let results: Vec<Result<()>> = out
            .par_chunks_mut(SAMPLE_CHUNK * dim)
            .zip(rngs)
            .map(|(chunk, mut rng)| {
                for x in chunk.chunks_exact_mut(dim) {
                    self.try_sample(&mut rng, x)?;
                }
                Ok(())
            })
            .collect();
        results.into_iter().collect()
    }

    /// `ln p` of every row of a row-major batch into `out` (one value per row), in parallel.
    ///
    /// # Errors
    /// As [`crate::manifold::check_batch`] (tolerance [`crate::manifold::MEMBERSHIP_TOLERANCE`]):
    /// wrong length, non-finite entries, or points off the manifold;
    /// [`Error::DimensionMismatch`] if `out` is not one value per row.
    fn log_prob_batch(&self, points: &[f64], out: &mut [f64]) -> Result<()> {
        let rows = crate::manifold::check_batch(
            self.manifold(),
            points,
            crate::manifold::MEMBERSHIP_TOLERANCE,
        )?;
        crate::error::check_len("log_prob output (one value per row)", out.len(), rows)?;
        let dim = self.manifold().ambient_dim();
        out.par_iter_mut()
            .zip(points.par_chunks(dim))
            .for_each(|(o, x)| *o = self.log_prob(x));
        Ok(())
    }

    /// Negative mean log-likelihood `−(1/N) Σ ln p(x_i)` of a data set, in nats.
    ///
    /// # Errors
    /// As [`Target::log_prob_batch`]; [`Error::InvalidArgument`] for an empty data set.
    fn negative_log_likelihood(&self, data: &Dataset) -> Result<f64> {
        if data.is_empty() {
            return Err(Error::invalid("data set", &data.name, "at least one point"));
        }
        let mut values = vec![0.0; data.len()];
        self.log_prob_batch(&data.points, &mut values)?;
        Ok(-values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// Chooses a mixture component with probability equal to its weight, by inverting the
/// cumulative weights with one uniform draw (shared by every mixture target).
#[derive(Clone, Debug)]
pub(crate) struct ComponentChooser {
    cumulative: Vec<f64>,
}

impl ComponentChooser {
    /// From weights already normalised to sum to 1 (see [`validate_weights`]).
    pub(crate) fn new(weights: &[f64]) -> Self {
        let mut acc = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        ComponentChooser { cumulative }
    }

    /// Index of the chosen component (the last one if rounding leaves `u` above the total).
    pub(crate) fn choose(&self, rng: &mut crate::random::Rng) -> usize {
        let u = crate::random::uniform(rng);
        self.cumulative
            .iter()
            .position(|&c| u < c)
            .unwrap_or(self.cumulative.len() - 1)
    }
}

/// Checks mixture weights (finite, positive, at least one) and normalises them to sum to 1.
pub(crate) fn validate_weights(weights: &[f64]) -> Result<Vec<f64>> {
    if weights.is_empty() {
        return Err(Error::invalid(
            "components",
            0,
            "at least one mixture component",
        ));
    }
    if let Some(w) = weights.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        return Err(Error::invalid(
            "weight",
            w,
            "finite positive mixture weights",
        ));
    }
    let total: f64 = weights.iter().sum();
    Ok(weights.iter().map(|w| w / total).collect())
}

/// Names accepted by [`builtin_target`] and [`builtin_target_on`].
pub const BUILTIN_TARGETS: [&str; 3] = [
    "vmf-mixture",
    "wrapped-normal-mixture",
    "heat-kernel-mixture",
];

/// The built-in `vmf-mixture`: four von Mises–Fisher components on `S²`,
/// means at (latitude, longitude) = (30°, 0°), (−20°, 100°), (60°, −120°), (−50°, −40°)
/// (converted by [`lat_lon_to_unit`]), concentrations κ = 30, 20, 50, 40 and weights
/// 0.3, 0.3, 0.2, 0.2. Components are ≥ 70° apart, so the modes are well separated
/// (angular spread ≈ 1/√κ ≈ 8°–13°).
pub fn builtin_vmf_mixture() -> VonMisesFisherMixture {
    let spec = [
        (30.0, 0.0, 30.0, 0.3),
        (-20.0, 100.0, 20.0, 0.3),
        (60.0, -120.0, 50.0, 0.2),
        (-50.0, -40.0, 40.0, 0.2),
    ];
    let components = spec
        .iter()
        .map(|&(lat, lon, kappa, weight)| VonMisesFisherComponent {
            weight,
            mean: lat_lon_to_unit(lat, lon).to_vec(),
            kappa,
        })
        .collect();
    VonMisesFisherMixture::new(2, components).expect("built-in vMF mixture is valid")
}

/// The built-in `wrapped-normal-mixture` on `T²`: three diagonal wrapped normals with means
/// (π/2, π/2), (3π/2, π), (π, 7π/4), standard deviations (0.4, 0.4), (0.3, 0.6), (0.6, 0.3)
/// and weights 0.4, 0.3, 0.3. The third component straddles the seam θ₂ = 2π ≡ 0, so
/// wrapping matters.
pub fn builtin_wrapped_normal_mixture() -> WrappedNormalMixture {
    let components = vec![
        WrappedNormalComponent {
            weight: 0.4,
            mean: vec![0.5 * PI, 0.5 * PI],
            std: vec![0.4, 0.4],
        },
        WrappedNormalComponent {
            weight: 0.3,
            mean: vec![1.5 * PI, PI],
            std: vec![0.3, 0.6],
        },
        WrappedNormalComponent {
            weight: 0.3,
            mean: vec![PI, 1.75 * PI],
            std: vec![0.6, 0.3],
        },
    ];
    WrappedNormalMixture::new(2, components).expect("built-in wrapped normal mixture is valid")
}

/// A built-in target by name (see [`BUILTIN_TARGETS`]) on its default manifold
/// ([`default_target_manifold`]: `vmf-mixture` on `S²`, `wrapped-normal-mixture` on `T²`).
///
/// # Errors
/// [`Error::InvalidArgument`] naming the unknown name and the accepted ones.
pub fn builtin_target(name: &str) -> Result<Box<dyn Target>> {
    builtin_target_on(name, &default_target_manifold(name)?)
}

/// The manifold a built-in target lives on when none is given: `sphere:2` for `vmf-mixture`
/// and `heat-kernel-mixture`, `torus:2` for `wrapped-normal-mixture`.
///
/// # Errors
/// [`Error::InvalidArgument`] naming the unknown name and the accepted ones.
pub fn default_target_manifold(name: &str) -> Result<ManifoldSpec> {
    match name.trim().to_ascii_lowercase().as_str() {
        "vmf-mixture" => Ok(ManifoldSpec::Sphere(2)),
        "wrapped-normal-mixture" => Ok(ManifoldSpec::Torus(2)),
        "heat-kernel-mixture" => Ok(ManifoldSpec::Sphere(2)),
        _ => Err(unknown_target(name)),
    }
}

fn unknown_target(name: &str) -> Error {
    Error::invalid(
        "target",
        crate::error::quoted(name),
        format!("one of {}", BUILTIN_TARGETS.join(", ")),
    )
}

/// The manifolds a built-in target is defined on, for error messages and help texts.
pub fn target_manifolds(name: &str) -> &'static str {
    match name.trim().to_ascii_lowercase().as_str() {
        "vmf-mixture" => "sphere:D (any D >= 1)",
        "wrapped-normal-mixture" => "torus:D (any D >= 1) or so:3",
        "heat-kernel-mixture" => {
            "any of torus:D, sphere:D, so:N, su:N, u:N and their products (e.g. so:3*sphere:2)"
        }
        _ => "none",
    }
}

/// A built-in target by name on a given manifold:
///
/// | name | manifold | target |
/// |---|---|---|
/// | `vmf-mixture` | `sphere:2` | [`builtin_vmf_mixture`] |
/// | `vmf-mixture` | `sphere:D`, `D ≠ 2` | [`builtin_vmf_mixture_on_sphere`] |
/// | `wrapped-normal-mixture` | `torus:2` | [`builtin_wrapped_normal_mixture`] |
/// | `wrapped-normal-mixture` | `torus:D`, `D ≠ 2` | [`builtin_wrapped_normal_mixture_on_torus`] |
/// | `wrapped-normal-mixture` | `so:3` | [`builtin_rotation_wrapped_normal_mixture`] |
/// | `heat-kernel-mixture` | any | [`builtin_heat_kernel_mixture`] |
///
/// All have exact samplers and exact log densities.
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown name, or a manifold the target is not defined on
/// (the message names the target and the manifolds it supports).
pub fn builtin_target_on(name: &str, manifold: &ManifoldSpec) -> Result<Box<dyn Target>> {
    let key = name.trim().to_ascii_lowercase();
    let mismatch = || {
        Error::invalid(
            "manifold",
            manifold.to_string(),
            format!(
                "a manifold the built-in target {key} is defined on: {}",
                target_manifolds(&key)
            ),
        )
    };
    match (key.as_str(), manifold) {
        ("vmf-mixture", ManifoldSpec::Sphere(2)) => Ok(Box::new(builtin_vmf_mixture())),
        ("vmf-mixture", ManifoldSpec::Sphere(d)) => {
            Ok(Box::new(builtin_vmf_mixture_on_sphere(*d)?))
        }
        ("wrapped-normal-mixture", ManifoldSpec::Torus(2)) => {
            Ok(Box::new(builtin_wrapped_normal_mixture()))
        }
        ("wrapped-normal-mixture", ManifoldSpec::Torus(d)) => {
            Ok(Box::new(builtin_wrapped_normal_mixture_on_torus(*d)?))
        }
        ("wrapped-normal-mixture", ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3))) => {
            Ok(Box::new(builtin_rotation_wrapped_normal_mixture()))
        }
        ("heat-kernel-mixture", spec) => Ok(Box::new(builtin_heat_kernel_mixture(spec.clone())?)),
        ("vmf-mixture" | "wrapped-normal-mixture", _) => Err(mismatch()),
        _ => Err(unknown_target(name)),
    }
}

/// The built-in `vmf-mixture` on `S^d` for `d ≠ 2` (any `d ≥ 1`): four von Mises–Fisher
/// components with means `cos a_j e₀ + sin a_j e₁` at `a_j = 0, π/2, π, 3π/2` (90° apart on one
/// great circle), concentrations `κ_j = (30, 20, 50, 40) · d/2` and weights 0.3, 0.3, 0.2, 0.2.
/// Scaling `κ` with `d` keeps the angular spread `√(d/κ) ≈ 0.2`–`0.3` rad (the geodesic angle
/// of a vMF concentrates at `θ ≈ √((d−1)/κ)`), so the modes stay separated in every dimension.
///
/// # Errors
/// [`Error::InvalidArgument`] if `d == 0`.
pub fn builtin_vmf_mixture_on_sphere(d: usize) -> Result<VonMisesFisherMixture> {
    if d == 0 {
        return Err(Error::invalid("d", d, "a sphere dimension d >= 1"));
    }
    let spec = [(30.0, 0.3), (20.0, 0.3), (50.0, 0.2), (40.0, 0.2)];
    let components = spec
        .iter()
        .enumerate()
        .map(|(j, &(kappa, weight))| {
            let a = 0.5 * PI * j as f64;
            let mut mean = vec![0.0; d + 1];
            mean[0] = a.cos();
            mean[1] = a.sin();
            VonMisesFisherComponent {
                weight,
                mean,
                kappa: kappa * d as f64 / 2.0,
            }
        })
        .collect();
    VonMisesFisherMixture::new(d, components)
}

/// The built-in `wrapped-normal-mixture` on `T^d` for `d ≠ 2`: the three components of
/// [`builtin_wrapped_normal_mixture`] with coordinate `i` taking the `T²` component's mean and
/// standard deviation of coordinate `i mod 2`.
///
/// # Errors
/// [`Error::InvalidArgument`] if `d == 0`.
pub fn builtin_wrapped_normal_mixture_on_torus(d: usize) -> Result<WrappedNormalMixture> {
    if d == 0 {
        return Err(Error::invalid("d", d, "a torus dimension d >= 1"));
    }
    let base = builtin_wrapped_normal_mixture();
    let components = base
        .components()
        .iter()
        .map(|c| WrappedNormalComponent {
            weight: c.weight,
            mean: (0..d).map(|i| c.mean[i % 2]).collect(),
            std: (0..d).map(|i| c.std[i % 2]).collect(),
        })
        .collect();
    WrappedNormalMixture::new(d, components)
}

/// Kernel time of [`builtin_heat_kernel_mixture`].
pub const HEAT_KERNEL_MIXTURE_TIME: f64 = 0.1;

/// The built-in `heat-kernel-mixture` on any manifold with an automatic kernel and sampler:
/// [`HeatKernelMixtureTarget`] at `t =` [`HEAT_KERNEL_MIXTURE_TIME`] (spread `√t ≈ 0.32` per
/// direction) around three centres drawn uniformly from the manifold with the fixed seed
/// `0x5eed` (so the target is the same in every run).
///
/// # Errors
/// [`Error::InvalidArgument`] for a spec below its family's minimum size.
pub fn builtin_heat_kernel_mixture(spec: ManifoldSpec) -> Result<HeatKernelMixtureTarget> {
    let manifold = crate::registry::builtin().manifold(&spec)?;
    let n = manifold.ambient_dim();
    let mut rng = crate::random::rng_from_seed(0x5eed);
    let mut centres = vec![0.0; 3 * n];
    for c in centres.chunks_exact_mut(n) {
        manifold.sample_uniform(&mut rng, c);
    }
    HeatKernelMixtureTarget::new(manifold.as_ref(), centres, HEAT_KERNEL_MIXTURE_TIME)
}

/// The rotation by angle `angle` about the unit `axis` (Rodrigues), row-major.
fn rotation(axis: [f64; 3], angle: f64) -> Vec<f64> {
    let norm = axis.iter().map(|a| a * a).sum::<f64>().sqrt();
    let [x, y, z] = axis.map(|a| a / norm);
    let k = [0.0, -z, y, z, 0.0, -x, -y, x, 0.0];
    let (s, c) = angle.sin_cos();
    let mut r = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            let k2: f64 = (0..3).map(|m| k[i * 3 + m] * k[m * 3 + j]).sum();
            r[i * 3 + j] = f64::from(u8::from(i == j)) + s * k[i * 3 + j] + (1.0 - c) * k2;
        }
    }
    r
}

/// The built-in `wrapped-normal-mixture` on `SO(3)`: three wrapped normals
/// ([`RotationWrappedNormalMixture`], exact density including the wrapping sum) with means
/// the identity, the rotation by 2 rad about `e_x` and the rotation by 2.5 rad about
/// `(0, 1, 1)/√2`, standard deviations 0.3, 0.4, 0.25 rad and weights 0.4, 0.3, 0.3.
/// The means are ≥ 2 rad apart (distances 2.0, 2.5 and ≈ 2.6 rad), about 5σ.
pub fn builtin_rotation_wrapped_normal_mixture() -> RotationWrappedNormalMixture {
    let components = vec![
        RotationWrappedNormalComponent {
            weight: 0.4,
            mean: rotation([1.0, 0.0, 0.0], 0.0),
            std: 0.3,
        },
        RotationWrappedNormalComponent {
            weight: 0.3,
            mean: rotation([1.0, 0.0, 0.0], 2.0),
            std: 0.4,
        },
        RotationWrappedNormalComponent {
            weight: 0.3,
            mean: rotation([0.0, 1.0, 1.0], 2.5),
            std: 0.25,
        },
    ];
    RotationWrappedNormalMixture::new(components)
        .expect("built-in SO(3) wrapped normal mixture is valid")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{log_bessel_i, log_vmf_normaliser, log_wrapped_normal_1d};
    use std::f64::consts::TAU;

    /// `n` exact draws of `target` from `seed` ([`Target::sample_batch`]).
    fn sample_n<T: Target + ?Sized>(target: &T, n: usize, seed: u64) -> Vec<f64> {
        let mut xs = vec![0.0; n * target.manifold().ambient_dim()];
        target.sample_batch(seed, &mut xs).unwrap();
        xs
    }

    /// Gauss–Legendre nodes and weights on [−1, 1] (Newton on P_n from Tricomi's initial guess).
    fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
        let mut nodes = vec![0.0; n];
        let mut weights = vec![0.0; n];
        for i in 0..n {
            let mut x = (PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
            let mut dp = 1.0;
            for _ in 0..100 {
                let (mut p0, mut p1) = (1.0, x);
                for k in 2..=n {
                    let p2 = ((2 * k - 1) as f64 * x * p1 - (k - 1) as f64 * p0) / k as f64;
                    p0 = p1;
                    p1 = p2;
                }
                dp = n as f64 * (x * p1 - p0) / (x * x - 1.0);
                let dx = p1 / dp;
                x -= dx;
                if dx.abs() < 1e-16 {
                    break;
                }
            }
            nodes[i] = x;
            weights[i] = 2.0 / ((1.0 - x * x) * dp * dp);
        }
        (nodes, weights)
    }

    /// ∫_{S²} f(x) dA by Gauss–Legendre in z (n_z nodes) × trapezoid in φ (n_phi nodes).
    fn sphere_quadrature(n_z: usize, n_phi: usize, f: impl Fn(&[f64]) -> f64) -> f64 {
        let (z, w) = gauss_legendre(n_z);
        let mut total = 0.0;
        for (zi, wi) in z.iter().zip(&w) {
            let r = (1.0 - zi * zi).sqrt();
            let mut ring = 0.0;
            for j in 0..n_phi {
                let phi = TAU * j as f64 / n_phi as f64;
                ring += f(&[r * phi.cos(), r * phi.sin(), *zi]);
            }
            total += wi * ring * TAU / n_phi as f64;
        }
        total
    }

    #[test]
    fn vmf_normaliser_s2_closed_form_matches_bessel_route() {
        // Independent routes: κ/(4π sinh κ) in closed form vs the general Bessel formula with ν = 1/2.
        for &kappa in &[1e-3, 0.5, 1.0, 20.0, 50.0, 700.0, 1e4] {
            let closed = log_vmf_normaliser(2, kappa).unwrap();
            let bessel = 0.5 * kappa.ln() - 1.5 * TAU.ln() - log_bessel_i(0.5, kappa);
            assert!(
                (closed - bessel).abs() < 1e-13 * (1.0 + kappa),
                "κ={kappa}: {closed} vs {bessel}"
            );
        }
        // ln vol(S²) goes through ln Γ(3/2) (statrs, ~1e-15 relative).
        assert!((log_vmf_normaliser(2, 0.0).unwrap() + (4.0 * PI).ln()).abs() < 1e-14);
        assert!(log_vmf_normaliser(2, -1.0).is_err());
        assert!(log_vmf_normaliser(2, f64::NAN).is_err());
        assert!(log_vmf_normaliser(0, 1.0).is_err());
    }

    #[test]
    fn vmf_mixture_integrates_to_one() {
        let target = builtin_vmf_mixture();
        // GL × trapezoid converge geometrically for these entire integrands; (200, 400) vs
        // (300, 600) nodes agree to 1.2e-16 and give 1 − 1.6e-15 (measured), so 1e-12 is safe.
        let coarse = sphere_quadrature(200, 400, |x| target.log_prob(x).exp());
        let fine = sphere_quadrature(300, 600, |x| target.log_prob(x).exp());
        eprintln!("vMF mixture mass: coarse {coarse:.17} fine {fine:.17}");
        assert!((fine - coarse).abs() < 1e-12, "{coarse} vs {fine}");
        assert!((fine - 1.0).abs() < 1e-12, "mass {fine}");
    }

    #[test]
    fn vmf_mean_resultant_on_s2() {
        // E[x·μ] = coth κ − 1/κ, E[(x·μ)²] = 1 − 2(coth κ − 1/κ)/κ on S².
        for (seed, &kappa) in [0.5, 20.0, 50.0].iter().enumerate() {
            let mean = lat_lon_to_unit(10.0, 40.0).to_vec();
            let t = VonMisesFisherMixture::new(
                2,
                vec![VonMisesFisherComponent {
                    weight: 1.0,
                    mean: mean.clone(),
                    kappa,
                }],
            )
            .unwrap();
            let n = 100_000;
            let xs = sample_n(&t, n, seed as u64);
            let a = 1.0 / kappa.tanh() - 1.0 / kappa;
            let var = 1.0 - 2.0 * a / kappa - a * a;
            let w_mean: f64 = xs
                .chunks_exact(3)
                .map(|x| x[0] * mean[0] + x[1] * mean[1] + x[2] * mean[2])
                .sum::<f64>()
                / n as f64;
            let se = (var / n as f64).sqrt();
            assert!(
                (w_mean - a).abs() < 5.0 * se,
                "κ={kappa}: {w_mean} vs {a} (se {se})"
            );
            // Points are on the sphere.
            for x in xs.chunks_exact(3) {
                assert!(
                    (x.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-15,
                    "|x|² − 1 beyond a few ulps"
                );
            }
            // The mean vector is a·μ (no bias orthogonal to μ): each coordinate within 5σ, σ² ≤ 1/n.
            for k in 0..3 {
                let m: f64 = xs.chunks_exact(3).map(|x| x[k]).sum::<f64>() / n as f64;
                assert!(
                    (m - a * mean[k]).abs() < 5.0 / (n as f64).sqrt(),
                    "κ={kappa} coord {k}"
                );
            }
        }
    }

    #[test]
    fn vmf_mean_resultant_on_s4() {
        // E[x·μ] = A_p(κ) = I_{p/2}(κ)/I_{p/2−1}(κ) with p = 5 (Wood's algorithm with Beta(2, 2) proposals).
        let mut mean = vec![0.0; 5];
        mean[4] = 1.0;
        for &kappa in &[1.0, 10.0] {
            let t = VonMisesFisherMixture::new(
                4,
                vec![VonMisesFisherComponent {
                    weight: 1.0,
                    mean: mean.clone(),
                    kappa,
                }],
            )
            .unwrap();
            let n = 100_000;
            let xs = sample_n(&t, n, 3);
            let ws: Vec<f64> = xs.chunks_exact(5).map(|x| x[4]).collect();
            let m = ws.iter().sum::<f64>() / n as f64;
            let var = ws.iter().map(|w| (w - m) * (w - m)).sum::<f64>() / (n - 1) as f64;
            let a = (log_bessel_i(2.5, kappa) - log_bessel_i(1.5, kappa)).exp();
            assert!(
                (m - a).abs() < 5.0 * (var / n as f64).sqrt(),
                "κ={kappa}: {m} vs {a}"
            );
        }
    }

    #[test]
    fn vmf_normalisation_on_s3_by_monte_carlo() {
        // ∫ p = vol(S³) E_uniform[p]; with κ = 2 the ratio p/uniform ≤ e^{2κ} keeps the variance small.
        use crate::manifold::Sphere;
        let sphere = Sphere::new(3).unwrap();
        let t = VonMisesFisherMixture::new(
            3,
            vec![VonMisesFisherComponent {
                weight: 1.0,
                mean: vec![0.0, 1.0, 0.0, 0.0],
                kappa: 2.0,
            }],
        )
        .unwrap();
        let mut rng = crate::random::rng_from_seed(9);
        let n = 200_000;
        let mut x = [0.0; 4];
        let values: Vec<f64> = (0..n)
            .map(|_| {
                sphere.sample_uniform(&mut rng, &mut x);
                (t.log_prob(&x) + sphere.log_volume()).exp()
            })
            .collect();
        let m = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
        assert!((m - 1.0).abs() < 5.0 * (var / n as f64).sqrt(), "mass {m}");
    }

    #[test]
    fn vmf_sampler_matches_density_moments() {
        // E[x] and E[x xᵀ] of the built-in mixture: quadrature of the exact density vs 10⁵ samples.
        let target = builtin_vmf_mixture();
        let n = 100_000;
        let xs = sample_n(&target, n, 17);
        for (i, j) in [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)]
            .into_iter()
            .chain([(3, 0), (3, 1), (3, 2)])
        {
            let f = |x: &[f64]| if i == 3 { x[j] } else { x[i] * x[j] };
            let exact = sphere_quadrature(200, 400, |x| f(x) * target.log_prob(x).exp());
            let values: Vec<f64> = xs.chunks_exact(3).map(f).collect();
            let m = values.iter().sum::<f64>() / n as f64;
            let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
            assert!(
                (m - exact).abs() < 5.0 * (var / n as f64).sqrt(),
                "moment ({i},{j}): {m} vs {exact}"
            );
        }
    }

    #[test]
    fn wrapped_normal_1d_matches_fourier_series_and_integrates() {
        // Independent route: p(θ) = (1/2π)(1 + 2 Σ_n e^{−n²σ²/2} cos nδ) (Jacobi theta form).
        for &sigma in &[0.3, 1.0, 2.5, 8.0] {
            for &theta in &[0.0, 1.0, 3.0, 6.2] {
                let mean = 0.7;
                let mut series = 1.0;
                for n in 1..200 {
                    series += 2.0
                        * (-0.5 * (n * n) as f64 * sigma * sigma).exp()
                        * (n as f64 * (theta - mean)).cos();
                }
                // The series sums O(1) terms, so its absolute error is ~1e-15; compare densities
                // absolutely and logs only where the density is not tiny.
                let reference = series / TAU;
                let got = log_wrapped_normal_1d(theta, mean, sigma);
                assert!(
                    (got.exp() - reference).abs() < 1e-14,
                    "σ={sigma} θ={theta}: {got} vs {reference}"
                );
                if reference > 1e-3 {
                    assert!(
                        (got - reference.ln()).abs() < 1e-12,
                        "σ={sigma} θ={theta}: {got} vs {}",
                        reference.ln()
                    );
                }
            }
        }
        // Trapezoid on a periodic analytic integrand is spectrally accurate.
        for &sigma in &[0.05, 0.5, 3.0, 20.0] {
            let n = 4000;
            let mass: f64 = (0..n)
                .map(|k| log_wrapped_normal_1d(TAU * k as f64 / n as f64, 1.0, sigma).exp())
                .sum::<f64>()
                * TAU
                / n as f64;
            assert!((mass - 1.0).abs() < 1e-12, "σ={sigma}: mass {mass}");
        }
        assert!(log_wrapped_normal_1d(0.0, 0.0, 0.0).is_nan());
    }

    #[test]
    fn wrapped_normal_mixture_mass_and_moments() {
        let target = builtin_wrapped_normal_mixture();
        let n_grid = 400;
        let h = TAU / n_grid as f64;
        let mut mass = 0.0;
        // Exact circular moments E[cos θ_k], E[sin θ_k] by quadrature.
        let mut moments = [0.0; 4];
        for a in 0..n_grid {
            for b in 0..n_grid {
                let x = [a as f64 * h, b as f64 * h];
                let p = target.log_prob(&x).exp() * h * h;
                mass += p;
                moments[0] += p * x[0].cos();
                moments[1] += p * x[0].sin();
                moments[2] += p * x[1].cos();
                moments[3] += p * x[1].sin();
            }
        }
        assert!((mass - 1.0).abs() < 1e-12, "mass {mass}");
        // Closed form: E[e^{iθ}] = Σ_j w_j e^{iμ_j} e^{−σ_j²/2}.
        for (k, dim) in [(0, 0), (2, 1)] {
            let (mut c, mut s) = (0.0, 0.0);
            for comp in target.components() {
                let damp = (-0.5 * comp.std[dim] * comp.std[dim]).exp();
                c += comp.weight * damp * comp.mean[dim].cos();
                s += comp.weight * damp * comp.mean[dim].sin();
            }
            assert!((moments[k] - c).abs() < 1e-12 && (moments[k + 1] - s).abs() < 1e-12);
        }
        let n = 100_000;
        let xs = sample_n(&target, n, 4);
        assert!(xs.iter().all(|&v| (0.0..TAU).contains(&v)));
        for k in 0..4 {
            let dim = k / 2;
            let m: f64 = xs
                .chunks_exact(2)
                .map(|x| {
                    if k % 2 == 0 {
                        x[dim].cos()
                    } else {
                        x[dim].sin()
                    }
                })
                .sum::<f64>()
                / n as f64;
            // |cos|, |sin| ≤ 1 so the standard error is ≤ 1/√n.
            assert!(
                (m - moments[k]).abs() < 5.0 / (n as f64).sqrt(),
                "moment {k}: {m} vs {}",
                moments[k]
            );
        }
    }

    #[test]
    fn samples_do_not_depend_on_thread_count() {
        let target = builtin_vmf_mixture();
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        let three = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let a = one.install(|| sample_n(&target, 1000, 42));
        let b = three.install(|| sample_n(&target, 1000, 42));
        assert_eq!(a, b);
        assert_ne!(a, sample_n(&target, 1000, 43));
    }

    #[test]
    fn builtin_targets_on_manifolds() {
        use crate::manifold::SpecialOrthogonal;
        for (name, spec) in [
            ("vmf-mixture", ManifoldSpec::Sphere(1)),
            ("vmf-mixture", ManifoldSpec::Sphere(2)),
            ("vmf-mixture", ManifoldSpec::Sphere(7)),
            ("wrapped-normal-mixture", ManifoldSpec::Torus(1)),
            ("wrapped-normal-mixture", ManifoldSpec::Torus(3)),
            (
                "wrapped-normal-mixture",
                ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3)),
            ),
            (
                "heat-kernel-mixture",
                ManifoldSpec::Group(CompactGroup::SpecialUnitary(2)),
            ),
            (
                "heat-kernel-mixture",
                ManifoldSpec::Group(CompactGroup::Unitary(2)),
            ),
            ("heat-kernel-mixture", ManifoldSpec::Sphere(5)),
        ] {
            let target = builtin_target_on(name, &spec).unwrap();
            assert_eq!(target.manifold().spec(), spec);
            let xs = sample_n(&*target, 100, 1);
            let mut lp = vec![0.0; 100];
            target.log_prob_batch(&xs, &mut lp).unwrap();
            assert!(lp.iter().all(|v| v.is_finite()), "{name} on {spec}");
        }
        // The defaults are the historical S² and T² targets.
        assert_eq!(
            builtin_target("vmf-mixture").unwrap().name(),
            builtin_vmf_mixture().name()
        );
        assert_eq!(
            default_target_manifold("wrapped-normal-mixture").unwrap(),
            ManifoldSpec::Torus(2)
        );
        // Mismatches name the target and the manifolds it supports.
        let err = builtin_target_on(
            "vmf-mixture",
            &ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("so:3") && err.contains("sphere:D"), "{err}");
        let err = builtin_target_on(
            "wrapped-normal-mixture",
            &ManifoldSpec::Group(CompactGroup::SpecialUnitary(2)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("su:2") && err.contains("so:3"), "{err}");
        assert!(builtin_target_on("nope", &ManifoldSpec::Sphere(2)).is_err());
        // SO(3) means are well separated (≥ 2 rad, see the docs).
        let so3 = SpecialOrthogonal::new(3).unwrap();
        let t = builtin_rotation_wrapped_normal_mixture();
        let c = t.components();
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            let d = so3.distance(&c[i].mean, &c[j].mean);
            eprintln!("SO(3) built-in means {i}, {j}: distance {d}");
            assert!(d >= 2.0 - 1e-12, "{i} {j}: {d}");
        }
    }

    #[test]
    fn rotation_mixture_mass_by_monte_carlo() {
        // ∫ p = Vol(SO(3)) E_Haar[p]: 2·10⁵ Haar draws, 5 standard errors.
        use crate::manifold::SpecialOrthogonal;
        let so3 = SpecialOrthogonal::new(3).unwrap();
        let t = builtin_rotation_wrapped_normal_mixture();
        let mut rng = crate::random::rng_from_seed(8);
        let n = 200_000;
        let mut x = [0.0; 9];
        let values: Vec<f64> = (0..n)
            .map(|_| {
                so3.sample_uniform(&mut rng, &mut x);
                (t.log_prob(&x) + so3.log_volume()).exp()
            })
            .collect();
        let m = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64;
        let se = (var / n as f64).sqrt();
        eprintln!("SO(3) mixture mass {m} ± {se}");
        assert!((m - 1.0).abs() < 5.0 * se, "mass {m} ± {se}");
    }

    #[test]
    fn builtin_names_and_bad_input() {
        for name in BUILTIN_TARGETS {
            assert!(builtin_target(name).is_ok());
        }
        let err = builtin_target("checkerboard").unwrap_err().to_string();
        assert!(
            err.contains("checkerboard") && err.contains("vmf-mixture"),
            "{err}"
        );
        assert!(VonMisesFisherMixture::new(2, vec![]).is_err());
        let bad = |weight: f64, kappa: f64, mean: Vec<f64>| {
            VonMisesFisherMixture::new(
                2,
                vec![VonMisesFisherComponent {
                    weight,
                    mean,
                    kappa,
                }],
            )
        };
        assert!(bad(-1.0, 1.0, vec![0.0, 0.0, 1.0]).is_err());
        assert!(bad(1.0, f64::NAN, vec![0.0, 0.0, 1.0]).is_err());
        assert!(bad(1.0, 1.0, vec![0.0, 0.0, 0.0]).is_err());
        assert!(bad(1.0, 1.0, vec![0.0, 1.0]).is_err());
        let wn = |std: Vec<f64>| {
            WrappedNormalMixture::new(
                2,
                vec![WrappedNormalComponent {
                    weight: 1.0,
                    mean: vec![0.0, 0.0],
                    std,
                }],
            )
        };
        assert!(wn(vec![0.0, 1.0]).is_err());
        assert!(wn(vec![1.0]).is_err());
        assert!(wn(vec![1.0, 1.0]).is_ok());
        let t = builtin_vmf_mixture();
        assert!(t.log_prob_batch(&[1.0, 0.0], &mut [0.0; 1]).is_err());
        assert!(t.log_prob_batch(&[2.0, 0.0, 0.0], &mut [0.0; 1]).is_err());
        let empty = Dataset::new("e", 3, vec![]).unwrap();
        assert!(t.negative_log_likelihood(&empty).is_err());
    }
}
