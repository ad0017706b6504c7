//! Contracts of the public API found on review (issue 8, item 8) and the lean core (item 3):
//! length checks of the per-point manifold methods, shape checks of the score-field defaults,
//! losses that refuse a metric they cannot differentiate, and a library build without the
//! command-line dependencies (the per-purpose seeds are tested in `random`).

use riemannian_diffusion::manifold::{
    Manifold, ManifoldSpec, MetricForm, Product, SpecialOrthogonal, Sphere, Torus, Unitary,
};
use riemannian_diffusion::nn::{ScoreNet, ScoreNetConfig};
use riemannian_diffusion::random::Rng;
use riemannian_diffusion::score::ScoreField;
use riemannian_diffusion::train::{dsm_loss_and_gradient, DsmWorkspace};
use riemannian_diffusion::{Error, Result};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

/// A call that may panic.
type Call<'a> = Box<dyn Fn() + 'a>;

/// Every per-point method of every built-in manifold panics on a slice of the wrong length
/// (too long or too short), as the trait documents, instead of silently using a prefix.
#[test]
fn per_point_methods_refuse_slices_of_the_wrong_length() {
    let manifolds: Vec<Arc<dyn Manifold>> = vec![
        Arc::new(Sphere::new(2).unwrap()),
        Arc::new(Torus::new(2).unwrap()),
        Arc::new(SpecialOrthogonal::new(3).unwrap()),
        Arc::new(Unitary::new(2).unwrap()),
        Arc::new(
            Product::new(vec![
                Arc::new(Sphere::new(2).unwrap()),
                Arc::new(Torus::new(1).unwrap()),
            ])
            .unwrap(),
        ),
    ];
    for m in manifolds {
        let n = m.ambient_dim();
        let mut rng = riemannian_diffusion::random::rng_from_seed(1);
        let mut x = vec![0.0; n];
        m.sample_uniform(&mut rng, &mut x);
        for wrong in [n - 1, n + 1] {
            let bad = vec![0.0; wrong];
            let out = vec![0.0; n];
            let calls: Vec<(&str, Call)> = vec![
                (
                    "distance",
                    Box::new(|| {
                        m.distance(&x, &bad);
                    }),
                ),
                (
                    "inner",
                    Box::new(|| {
                        m.inner(&x, &bad, &bad);
                    }),
                ),
                ("exp", Box::new(|| m.exp(&x, &bad, &mut out.clone()))),
                ("log", Box::new(|| m.log(&x, &bad, &mut out.clone()))),
                (
                    "project_tangent",
                    Box::new(|| m.project_tangent(&x, &bad, &mut out.clone())),
                ),
                (
                    "project_point",
                    Box::new(|| m.project_point(&bad, &mut out.clone())),
                ),
            ];
            for (name, call) in calls {
                let result = catch_unwind(AssertUnwindSafe(call));
                assert!(
                    result.is_err(),
                    "{}: {name} accepted a slice of {wrong} reals (ambient {n})",
                    m.spec()
                );
            }
        }
    }
}

/// A constant field: its default (finite-difference) divergence must check the shapes.
struct Constant(Arc<dyn Manifold>);

impl ScoreField for Constant {
    fn manifold(&self) -> &dyn Manifold {
        self.0.as_ref()
    }
    fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        riemannian_diffusion::score::check_batch_shapes(self.0.as_ref(), x, t)?;
        out.iter_mut().for_each(|o| *o = 0.0);
        Ok(())
    }
}

#[test]
fn the_default_divergence_checks_its_shapes() {
    let field = Constant(Arc::new(Sphere::new(2).unwrap()));
    let x = [0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
    let mut out = [0.0; 2];
    field.divergence_batch(&x, &[0.5], &mut out).unwrap();
    field.divergence_batch(&x, &[0.5, 0.25], &mut out).unwrap();
    for (x, t, out_len) in [
        (&x[..5], &[0.5][..], 2),          // not a whole number of rows
        (&x[..], &[0.5, 0.5, 0.5][..], 2), // three times for two rows
        (&x[..], &[0.5][..], 3),           // three outputs for two rows
    ] {
        let mut out = vec![0.0; out_len];
        let error = field.divergence_batch(x, t, &mut out).unwrap_err();
        assert!(matches!(error, Error::DimensionMismatch { .. }), "{error}");
    }
    let error = field.divergence_batch(&x, &[-1.0], &mut out).unwrap_err();
    assert!(matches!(error, Error::InvalidArgument { .. }), "{error}");
}

/// A unit sphere whose declared metric form is the default `General`: DSM must refuse it with
/// a message naming the manifold, not guess weights from one point.
#[derive(Debug)]
struct UndeclaredSphere(Sphere);

impl Manifold for UndeclaredSphere {
    fn spec(&self) -> ManifoldSpec {
        ManifoldSpec::custom("undeclared-sphere:2").unwrap()
    }
    fn dim(&self) -> usize {
        self.0.dim()
    }
    fn ambient_dim(&self) -> usize {
        self.0.ambient_dim()
    }
    fn check_point(&self, x: &[f64], tol: f64) -> Result<()> {
        self.0.check_point(x, tol)
    }
    fn project_point(&self, x: &[f64], out: &mut [f64]) {
        self.0.project_point(x, out)
    }
    fn project_tangent(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.project_tangent(x, v, out)
    }
    fn inner(&self, x: &[f64], u: &[f64], v: &[f64]) -> f64 {
        self.0.inner(x, u, v)
    }
    fn exp(&self, x: &[f64], v: &[f64], out: &mut [f64]) {
        self.0.exp(x, v, out)
    }
    fn log(&self, x: &[f64], y: &[f64], out: &mut [f64]) {
        self.0.log(x, y, out)
    }
    fn distance(&self, x: &[f64], y: &[f64]) -> f64 {
        self.0.distance(x, y)
    }
    fn tangent_basis(&self, x: &[f64], out: &mut [f64]) {
        self.0.tangent_basis(x, out)
    }
    fn sample_uniform(&self, rng: &mut Rng, out: &mut [f64]) {
        self.0.sample_uniform(rng, out)
    }
    fn log_volume(&self) -> f64 {
        self.0.log_volume()
    }
}

#[test]
fn losses_refuse_a_metric_they_cannot_differentiate() {
    let manifold: Arc<dyn Manifold> = Arc::new(UndeclaredSphere(Sphere::new(2).unwrap()));
    assert_eq!(manifold.metric_form(), MetricForm::General);
    let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
    config.hidden_width = 4;
    config.hidden_layers = 1;
    let net = ScoreNet::new(manifold, config, 0).unwrap();
    let mut grads = vec![0.0; net.param_count()];
    let error = dsm_loss_and_gradient(
        &net,
        &mut DsmWorkspace::new(),
        &[0.0, 0.0, 1.0],
        &[0.1],
        &[0.0; 3],
        &mut grads,
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("undeclared-sphere:2") && error.contains("metric"),
        "{error}"
    );
    // The same network on the real sphere (declared scaled-Euclidean metric) trains.
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let mut config = ScoreNetConfig::for_manifold(sphere.as_ref());
    config.hidden_width = 4;
    config.hidden_layers = 1;
    let net = ScoreNet::new(sphere, config, 0).unwrap();
    let loss = dsm_loss_and_gradient(
        &net,
        &mut DsmWorkspace::new(),
        &[0.0, 0.0, 1.0],
        &[0.1],
        &[0.0; 3],
        &mut grads,
    )
    .unwrap();
    assert!(loss.is_finite());
    // Shape errors are errors, not panics.
    let error = dsm_loss_and_gradient(
        &net,
        &mut DsmWorkspace::new(),
        &[0.0, 0.0, 1.0],
        &[0.1, 0.2],
        &[0.0; 3],
        &mut grads,
    )
    .unwrap_err();
    assert!(matches!(error, Error::DimensionMismatch { .. }), "{error}");
}

/// `cargo build --no-default-features` pulls in no command-line crate: the library's normal
/// dependencies without default features are exactly the numerical ones.
#[test]
fn the_lean_core_has_only_numerical_dependencies() {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "--no-default-features",
            "--edges",
            "normal",
            "--depth",
            "1",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let mut names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "riemannian-diffusion")
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names,
        [
            "faer",
            "num-complex",
            "rand",
            "rand_xoshiro",
            "rayon",
            "statrs"
        ],
        "{text}"
    );
}
