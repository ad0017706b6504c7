//! A manifold defined outside the crate, shared by the tests that show how users add one
//! (`tests/custom_manifold.rs`) and run the law suite on it (`tests/laws.rs`): the circle of
//! radius `r` embedded in `R²`, `C_r = {x : |x| = r}` with the induced metric, its exact heat
//! kernel, its exact sampler and its registry entry. The heat kernel in the arclength
//! `s = rθ` is the wrapped Gaussian `p_t(s) = Σ_k (2πt)^{−1/2} e^{−(s + 2πrk)²/2t}` (density
//! w.r.t. arclength, total length `2πr`).

#![allow(dead_code)]

use riemannian_diffusion::heat_kernel::{HeatKernel, KernelEvaluation, KernelMethod};
use riemannian_diffusion::manifold::{
    CustomName, Manifold, ManifoldSpec, MetricForm, TangentProjection,
};
use riemannian_diffusion::random::Rng;
use riemannian_diffusion::registry::{ManifoldFamily, Registry};
use riemannian_diffusion::sampling::HeatKernelSampler;
use riemannian_diffusion::{Error, Result};
use std::sync::Arc;

use riemannian_diffusion::manifold::MEMBERSHIP_TOLERANCE;
use riemannian_diffusion::random::{standard_normal, uniform};
use std::f64::consts::{PI, TAU};

/// The circle of radius `r` in `R²` (points `(r cos θ, r sin θ)`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaledCircle {
    pub radius: f64,
}

impl ScaledCircle {
    fn angle(&self, x: &[f64]) -> f64 {
        x[1].atan2(x[0])
    }
    fn point(&self, angle: f64, out: &mut [f64]) {
        out[0] = self.radius * angle.cos();
        out[1] = self.radius * angle.sin();
    }
    /// The unit tangent at `x` in the direction of increasing angle.
    fn unit_tangent(&self, x: &[f64]) -> [f64; 2] {
        [-x[1] / self.radius, x[0] / self.radius]
    }
    /// Signed arclength from `x` to `y` in `[−πr, πr)`.
    pub fn arclength(&self, x: &[f64], y: &[f64]) -> f64 {
        let d = (self.angle(y) - self.angle(x) + PI).rem_euclid(TAU) - PI;
        self.radius * d
    }
}

impl Manifold for ScaledCircle {
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::custom(format!("scaled-circle:{}", self.radius)).expect("a valid name")
    }
    fn dim(&self) -> usize {
        1
    }
    fn ambient_dim(&self) -> usize {
        2
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        if x.len() != 2 {
            return Err(Error::DimensionMismatch {
                what: "scaled-circle point",
                expected: 2,
                found: x.len(),
            });
        }
        let norm = x[0].hypot(x[1]);
        if !norm.is_finite() || (norm - self.radius).abs() > tol {
            return Err(Error::NotOnManifold {
                manifold: self.spec().to_string(),
                detail: format!("|x| = {norm}, expected {}", self.radius),
                tolerance: tol,
            });
        }
        Ok(())
    }
    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        self.point(self.angle(x), out);
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let u = self.unit_tangent(x);
        let c = u[0] * v[0] + u[1] * v[1];
        out[0] = c * u[0];
        out[1] = c * u[1];
    }
    fn inner(&self, _x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        u[0] * v[0] + u[1] * v[1]
    }
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        let u = self.unit_tangent(x);
        let s = u[0] * v[0] + u[1] * v[1];
        self.point(self.angle(x) + s / self.radius, out);
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        let u = self.unit_tangent(x);
        let s = self.arclength(x, y);
        out[0] = s * u[0];
        out[1] = s * u[1];
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        self.arclength(x, y).abs()
    }
    fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
        out.copy_from_slice(&self.unit_tangent(x));
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        self.point(TAU * uniform(rng), out);
    }
    fn log_volume(&self) -> f64 {
        (TAU * self.radius).ln()
    }
    fn metric_form(&self) -> MetricForm {
        MetricForm::ScaledEuclidean(1.0)
    }
    fn tangent_projection(&self) -> TangentProjection {
        // A great circle of the sphere of radius r: minimal, curvature term −(1/r²) x·y.
        TangentProjection::MinimalInSphere
    }
}

/// `log p_t(s)` of the wrapped Gaussian in arclength and its `s`-derivative.
fn wrapped(radius: f64, s: f64, t: f64) -> (f64, f64) {
    let period = TAU * radius;
    let reach = (40.0 * t).sqrt() + period;
    let kmax = (reach / period).ceil() as i64;
    let exponents: Vec<(f64, f64)> = (-kmax..=kmax)
        .map(|k| {
            let u = s + period * k as f64;
            (-u * u / (2.0 * t), u)
        })
        .collect();
    let max = exponents
        .iter()
        .map(|e| e.0)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut sum, mut weighted) = (0.0, 0.0);
    for (e, u) in exponents {
        let w = (e - max).exp();
        sum += w;
        weighted += -u / t * w;
    }
    (max + sum.ln() - 0.5 * (TAU * t).ln(), weighted / sum)
}

/// The exact heat kernel (wrapped Gaussian in arclength).
pub struct ScaledCircleKernel(pub ScaledCircle);

impl HeatKernel for ScaledCircleKernel {
    fn manifold(&self) -> &dyn Manifold {
        &self.0
    }
    fn log_prob(&self, x0: &[f64], x: &[f64], t: f64) -> Result<KernelEvaluation> {
        let mut score = [0.0; 2];
        self.score(x0, x, t, &mut score)
    }
    fn score(&self, x0: &[f64], x: &[f64], t: f64, score: &mut [f64]) -> Result<KernelEvaluation> {
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::invalid("t", t, "a finite time t > 0"));
        }
        self.0.check_point(x0, MEMBERSHIP_TOLERANCE)?;
        self.0.check_point(x, MEMBERSHIP_TOLERANCE)?;
        let (log_prob, dlog) = wrapped(self.0.radius, self.0.arclength(x0, x), t);
        let u = self.0.unit_tangent(x);
        score[0] = dlog * u[0];
        score[1] = dlog * u[1];
        Ok(KernelEvaluation {
            log_prob,
            terms: 1,
            // A sum over paths; the omitted images have exponents below −20 (`wrapped`).
            estimator: KernelMethod::SumOverPaths,
            error_estimate: 2.0 * (-20.0f64).exp(),
        })
    }
}

/// The exact sampler: a Gaussian arclength step, wrapped by the exponential map.
pub struct ScaledCircleSampler(pub ScaledCircle);

impl HeatKernelSampler for ScaledCircleSampler {
    fn manifold(&self) -> &dyn Manifold {
        &self.0
    }
    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        if !(t.is_finite() && t > 0.0) {
            return Err(Error::invalid("t", t, "a finite time t > 0"));
        }
        self.0.check_point(x0, MEMBERSHIP_TOLERANCE)?;
        let u = self.0.unit_tangent(x0);
        let s = t.sqrt() * standard_normal(rng);
        self.0.exp(x0, &[s * u[0], s * u[1]], out);
        Ok(())
    }
}

/// The one registry entry: the family `scaled-circle`, names `scaled-circle:R`.
pub struct ScaledCircleFamily;

impl ScaledCircleFamily {
    /// The radius a name denotes.
    fn radius(name: &CustomName) -> Result<f64> {
        name.as_str()
            .strip_prefix("scaled-circle:")
            .and_then(|r| r.parse::<f64>().ok())
            .filter(|r| r.is_finite() && *r > 0.0)
            .ok_or_else(|| Error::invalid("manifold", name, "scaled-circle:R with R > 0"))
    }

    /// The circle a manifold of this family is (from its spec, never from a name string).
    fn circle_of(manifold: &dyn Manifold) -> Result<ScaledCircle> {
        match manifold.spec() {
            ManifoldSpec::Custom(name) => Ok(ScaledCircle {
                radius: Self::radius(&name)?,
            }),
            other => Err(Error::invalid("manifold", other, "a scaled circle")),
        }
    }
}

impl ManifoldFamily for ScaledCircleFamily {
    fn manifold(&self, name: &CustomName) -> Result<Arc<dyn Manifold>> {
        Ok(Arc::new(ScaledCircle {
            radius: Self::radius(name)?,
        }))
    }
    fn heat_kernel(
        &self,
        manifold: &dyn Manifold,
        method: KernelMethod,
        _tolerance: f64,
    ) -> Result<Box<dyn HeatKernel>> {
        if !self.methods().contains(&method) {
            return Err(Error::invalid(
                "method",
                method,
                "auto or paths on a scaled circle",
            ));
        }
        Ok(Box::new(ScaledCircleKernel(Self::circle_of(manifold)?)))
    }
    fn sampler(&self, manifold: &dyn Manifold) -> Result<Box<dyn HeatKernelSampler>> {
        Ok(Box::new(ScaledCircleSampler(Self::circle_of(manifold)?)))
    }
    /// The slowest mode decays like `e^{−t/(2r²)}`: `σ_max = 5r` gives the unit circle's
    /// `T = 25` in units of `r²` (prior error `≈ 2 e^{−12.5} ≈ 7e-6`).
    fn default_sigma_max(&self, manifold: &dyn Manifold) -> f64 {
        5.0 * Self::circle_of(manifold).map_or(1.0, |c| c.radius)
    }
    fn methods(&self) -> Vec<KernelMethod> {
        vec![KernelMethod::Auto, KernelMethod::SumOverPaths]
    }
}

/// A registry of the built-in families plus `scaled-circle` (the one registry entry).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .register("scaled-circle", Arc::new(ScaledCircleFamily))
        .unwrap();
    registry
}
