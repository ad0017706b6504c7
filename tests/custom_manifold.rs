//! Adding a manifold from outside the crate: one module (`scaled_circle` below: the manifold,
//! its heat kernel and its exact sampler) plus one registry entry (`ScaledCircleFamily`). With
//! that, everything the library builds on a manifold works on it — alone and inside products
//! with built-in manifolds — without any change to the crate: parsing and printing its spec,
//! rebuilding it from a checkpoint, the product kernel and sampler, DSM training, the
//! probability-flow likelihood, the default schedule and the input encoding of the network.
//!
//! The example is the circle of radius `r` embedded in `R²`, `C_r = {x : |x| = r}` with the
//! induced metric. Its heat kernel in the arclength `s = rθ` is the wrapped Gaussian
//! `p_t(s) = Σ_k (2πt)^{−1/2} e^{−(s + 2πrk)²/2t}` (density w.r.t. arclength, total `2πr`).

use riemannian_diffusion::heat_kernel::{HeatKernel, KernelEvaluation, KernelMethod};
use riemannian_diffusion::likelihood::{log_likelihood, LikelihoodOptions};
use riemannian_diffusion::manifold::{
    CoordinateKind, CustomName, Manifold, ManifoldSpec, MetricForm, Product, Sphere,
    TangentProjection,
};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::nn::{Checkpoint, InputEncoding, ScoreNet, ScoreNetConfig};
use riemannian_diffusion::random::Rng;
use riemannian_diffusion::registry::{ManifoldFamily, Registry};
use riemannian_diffusion::sampling::HeatKernelSampler;
use riemannian_diffusion::train::{train, HeatKernelNoise, TrainOptions};
use riemannian_diffusion::{Error, Result};
use std::ops::ControlFlow;
use std::sync::Arc;

/// The user's module: manifold, kernel, sampler.
mod scaled_circle {
    use super::*;
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
        fn score(
            &self,
            x0: &[f64],
            x: &[f64],
            t: f64,
            score: &mut [f64],
        ) -> Result<KernelEvaluation> {
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
}

use scaled_circle::{ScaledCircle, ScaledCircleKernel, ScaledCircleSampler};

/// The one registry entry: the family `scaled-circle`, names `scaled-circle:R`.
struct ScaledCircleFamily;

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

fn registry() -> Registry {
    let mut registry = Registry::new();
    registry
        .register("scaled-circle", Arc::new(ScaledCircleFamily))
        .unwrap();
    registry
}

#[test]
fn the_spec_parses_prints_and_rebuilds_the_manifold_alone_and_in_products() {
    let registry = registry();
    let spec = registry.parse("scaled-circle:2.5*sphere:2").unwrap();
    assert_eq!(spec.to_string(), "scaled-circle:2.5*sphere:2");
    let manifold = registry.manifold(&spec).unwrap();
    assert_eq!(manifold.spec(), spec);
    assert_eq!(manifold.ambient_dim(), 5);
    // The built-in parser and registry do not know the family, and say so.
    assert!("scaled-circle:2.5".parse::<ManifoldSpec>().is_err());
    let message = riemannian_diffusion::registry::builtin()
        .manifold(&ManifoldSpec::custom("scaled-circle:2.5").unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(message.contains("scaled-circle"), "{message}");
    // A user manifold never impersonates a built-in one.
    assert!(ManifoldSpec::custom("sphere:2").is_err());
}

#[test]
fn product_kernels_and_samplers_come_from_the_registry() {
    let registry = registry();
    let circle: Arc<dyn Manifold> = Arc::new(ScaledCircle { radius: 2.5 });
    let product = Product::new(vec![circle.clone(), Arc::new(Sphere::new(2).unwrap())]).unwrap();
    let kernel = registry.auto_kernel(&product).unwrap();
    let sampler = registry.sampler(&product).unwrap();
    let x0 = [2.5, 0.0, 0.0, 0.0, 1.0];
    let mut x = vec![0.0; 5 * 200];
    sampler.sample_batch(&x0, &[0.3], 11, &mut x).unwrap();
    for row in x.chunks_exact(5) {
        product.check_point(row, 1e-9).unwrap();
    }
    // log p of the product is the sum of the factors' (sphere from the built-in kernel).
    let sphere_kernel = registry.auto_kernel(&Sphere::new(2).unwrap()).unwrap();
    let circle_kernel = registry.auto_kernel(circle.as_ref()).unwrap();
    let (a, b) = (&x[..5], &x[5..10]);
    let joint = kernel.log_prob(a, b, 0.3).unwrap().log_prob;
    let parts = circle_kernel
        .log_prob(&a[..2], &b[..2], 0.3)
        .unwrap()
        .log_prob
        + sphere_kernel
            .log_prob(&a[2..], &b[2..], 0.3)
            .unwrap()
            .log_prob;
    assert!((joint - parts).abs() < 1e-13, "{joint} vs {parts}");
    // Varadhan is not offered on the circle factor, so not on the product either.
    assert!(!registry
        .methods(&product.spec())
        .unwrap()
        .contains(&KernelMethod::Varadhan));
}

/// The network reads the circle factor as embedded coordinates and the torus factor as angles,
/// each where it sits.
#[test]
fn the_network_reads_each_factor_by_its_coordinate_kind() {
    let torus = Arc::new(riemannian_diffusion::manifold::Torus::new(1).unwrap());
    let product = Product::new(vec![Arc::new(ScaledCircle { radius: 2.5 }), torus]).unwrap();
    let encoding = InputEncoding::for_manifold(&product);
    let kinds: Vec<(CoordinateKind, usize)> =
        encoding.blocks().iter().map(|b| (b.kind, b.len)).collect();
    assert_eq!(
        kinds,
        vec![(CoordinateKind::Embedded, 2), (CoordinateKind::Angles, 1)]
    );
    assert_eq!(encoding.feature_count(), 4);
}

/// DSM training, the PF-ODE likelihood and checkpoints on the user manifold. The exact
/// mixture score (the user's kernel in `HeatKernelMixture`) integrated by the PF-ODE must
/// reproduce the exact mixture density, the check the built-in manifolds' likelihood tests
/// make: their error model `10·tol·(1 + |ℓ| + |s|)` at ODE tolerance `tol = 1e-6`, with
/// `|log p| ≲ 3` and `|s| ≲ 5` here, allows `1e-4` nats (measured: 1.6e-6).
#[test]
fn training_likelihood_and_checkpoints_work_on_the_user_manifold() {
    let registry = registry();
    let circle = ScaledCircle { radius: 2.5 };
    let manifold: Arc<dyn Manifold> = Arc::new(circle);
    // Data: draws from a two-centre heat-kernel mixture at t = 0.2 on the circle.
    let centres = vec![2.5, 0.0, -2.5, 0.0];
    let mixture = HeatKernelMixture::new(
        registry.auto_kernel(manifold.as_ref()).unwrap(),
        centres.clone(),
    )
    .unwrap();
    let sampler = registry.sampler(manifold.as_ref()).unwrap();
    let mut data = vec![0.0; 2 * 400];
    let x0: Vec<f64> = (0..400)
        .flat_map(|i| centres[(i % 2) * 2..(i % 2) * 2 + 2].to_vec())
        .collect();
    sampler.sample_batch(&x0, &[0.2], 3, &mut data).unwrap();

    // The exact PF-ODE likelihood of the mixture noised to t0 = 0.2 from the user's kernel.
    let t0 = 0.2;
    let sigma_max = registry.default_sigma_max(manifold.as_ref()).unwrap();
    let mut options = LikelihoodOptions::default();
    options.ode.rtol = 1e-6;
    options.ode.atol = 1e-6;
    let points = &data[..2 * 20];
    let report = log_likelihood(&mixture, points, t0, sigma_max * sigma_max, &options).unwrap();
    let mut exact = vec![0.0; 20];
    mixture.log_prob_batch(points, &[t0], &mut exact).unwrap();
    let worst = report
        .log_likelihood
        .iter()
        .zip(&exact)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    eprintln!(
        "scaled circle: PF-ODE vs exact log p worst {worst:.2e} over 20 points ({} rhs evaluations)",
        report.stats.rhs_evaluations
    );
    assert!(worst < 1e-4, "PF-ODE vs exact log p: {worst}");

    // DSM training through the registry's noise, with the library's defaults for the family.
    let noise = HeatKernelNoise::from_registry(&registry, manifold.as_ref()).unwrap();
    let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
    config.hidden_width = 32;
    config.hidden_layers = 2;
    let network = ScoreNet::new(manifold.clone(), config, 1).unwrap();
    let options = TrainOptions {
        steps: 300,
        batch_size: 64,
        ..TrainOptions::for_manifold_in(&registry, manifold.as_ref()).unwrap()
    };
    assert_eq!(options.sigma_max, sigma_max);
    let model = train(network, &data, &noise, options, |_| {
        ControlFlow::Continue(())
    })
    .unwrap();
    let first: f64 = model.losses[..50].iter().sum::<f64>() / 50.0;
    let last: f64 = model.losses[250..].iter().sum::<f64>() / 50.0;
    eprintln!("scaled circle: DSM loss {first:.4} -> {last:.4} over 300 steps");
    assert!(last < first, "DSM loss {first} -> {last}");

    // Checkpoint round trip: the spec is stored, the registry rebuilds the manifold.
    let dir = std::env::temp_dir().join(format!("rdiff-custom-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("circle.ckpt");
    model
        .network
        .save(&path, Some(&model.ema_params), vec![])
        .unwrap();
    let checkpoint = Checkpoint::load(&path).unwrap();
    assert_eq!(checkpoint.manifold.to_string(), "scaled-circle:2.5");
    let rebuilt = registry.manifold(&checkpoint.manifold).unwrap();
    let restored = checkpoint.network(rebuilt).unwrap();
    assert_eq!(restored.params(), model.network.params());
    std::fs::remove_dir_all(&dir).unwrap();
}
