//! The score-matching loss family and the Riemannian divergence it relies on.
//!
//! - The divergence of gradient fields with a known Laplacian, `div grad f = Δf`: on `S²`,
//!   `f = z` (`Δf = −2f`); on SO(3) with the `½tr` metric, `f = tr g` (the character of the
//!   defining representation, `Δχ = −c χ`, `c` its Casimir from `crate::lie`). Three paths:
//!   the field recorded on a tape and differentiated with `grad_graph`; a constant-output
//!   `ScoreNet` (exact `divergence_batch` and the ISM loss); the finite-difference default of
//!   `ScoreField::divergence_batch`.
//! - Networks on groups and products give tangent outputs.
//! - Each loss trains: a short run on `S²` lowers the DSM evaluation loss.

use riemannian_diffusion::autodiff::{Tape, Var};
use riemannian_diffusion::error::Result;
use riemannian_diffusion::lie::RootSystem;
use riemannian_diffusion::manifold::{
    Manifold, Product, SpecialOrthogonal, SpecialUnitary, Sphere, Torus, Unitary,
};
use riemannian_diffusion::nn::{ScoreNet, ScoreNetConfig};
use riemannian_diffusion::random::{rng_from_seed, standard_normal};
use riemannian_diffusion::score::ScoreField;
use riemannian_diffusion::train::{ism_loss_and_gradient, DsmWorkspace, Loss, Probe, TrainOptions};
use std::sync::Arc;

fn uniform_points(manifold: &dyn Manifold, rows: usize, seed: u64) -> Vec<f64> {
    let n = manifold.ambient_dim();
    let mut rng = rng_from_seed(seed);
    let mut x = vec![0.0; rows * n];
    for r in x.chunks_exact_mut(n) {
        manifold.sample_uniform(&mut rng, r);
    }
    x
}

/// `Σ_i ⟨e_i, J_V e_i⟩_x` per row for a field `V` recorded on `tape` as a function of the
/// differentiable leaf `x` (one `grad_graph` per basis vector). For a field tangent along the
/// manifold this is its Riemannian divergence (the covariant derivative is the tangential part
/// of the ambient derivative).
fn tape_divergence(
    manifold: &dyn Manifold,
    tape: &mut Tape,
    x: Var,
    field: Var,
    points: &[f64],
) -> Vec<f64> {
    let (d, n) = (manifold.dim(), manifold.ambient_dim());
    let rows = points.len() / n;
    let mut bases = vec![0.0; rows * d * n];
    for (xr, b) in points.chunks_exact(n).zip(bases.chunks_exact_mut(d * n)) {
        manifold.tangent_basis(xr, b);
    }
    let mut div = vec![0.0; rows];
    for i in 0..d {
        let mut seed = vec![0.0; rows * n];
        for r in 0..rows {
            seed[r * n..(r + 1) * n].copy_from_slice(&bases[(r * d + i) * n..(r * d + i + 1) * n]);
        }
        let seed_var = tape.constant(rows, n, &seed);
        let jt_e = tape.grad_graph(field, Some(seed_var), &[x])[0];
        let values = tape.value(jt_e);
        for r in 0..rows {
            let range = r * n..(r + 1) * n;
            div[r] += manifold.inner(&points[range.clone()], &seed[range.clone()], &values[range]);
        }
    }
    div
}

/// A network whose raw output is the constant `b` (all weights zero, last bias `b`), so that
/// `s(x, σ) = P_x b / σ`.
fn constant_net(manifold: Arc<dyn Manifold>, b: &[f64]) -> ScoreNet {
    let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
    config.hidden_width = 4;
    config.hidden_layers = 1;
    let mut params = vec![0.0; config.param_count()];
    let start = params.len() - b.len();
    params[start..].copy_from_slice(b);
    ScoreNet::from_params(manifold, config, params).unwrap()
}

/// The gradient field of an analytic function as a `ScoreField` (time ignored), whose
/// divergence is the trait's finite-difference default.
struct GradientField<F: Fn(&[f64], &mut [f64]) + Send + Sync> {
    manifold: Arc<dyn Manifold>,
    field: F,
}

impl<F: Fn(&[f64], &mut [f64]) + Send + Sync> ScoreField for GradientField<F> {
    fn manifold(&self) -> &dyn Manifold {
        self.manifold.as_ref()
    }

    fn score_batch(&self, x: &[f64], _t: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.manifold.ambient_dim();
        for (xr, o) in x.chunks_exact(n).zip(out.chunks_exact_mut(n)) {
            (self.field)(xr, o);
        }
        Ok(())
    }
}

/// `S²`, `f(x) = x₃`: `grad f = e₃ − x₃ x`, `Δf = −2 x₃`, `|grad f|² = 1 − x₃²`.
///
/// Tolerances: the tape and the constant network are exact up to round-off (1e-13); the
/// finite-difference default has error `O(h²|V'''|) + O(ε/h)` with `h = 1e-4`, ≈ 1e-8.
#[test]
fn sphere_divergence_of_height_gradient() {
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let rows = 64;
    let points = uniform_points(sphere.as_ref(), rows, 1);
    let expected: Vec<f64> = points.chunks_exact(3).map(|x| -2.0 * x[2]).collect();

    // 1. The field recorded on a tape: V = e₃ − x₃ x.
    let mut tape = Tape::new();
    let x = tape.input(rows, 3, &points);
    let height = tape.slice_cols(x, 2, 3);
    let radial = tape.mul(x, height);
    let e3 = tape.constant(1, 3, &[0.0, 0.0, 1.0]);
    let minus_radial = tape.neg(radial);
    let field = tape.add(minus_radial, e3);
    let div = tape_divergence(sphere.as_ref(), &mut tape, x, field, &points);
    let mut worst_tape: f64 = 0.0;
    for (a, b) in div.iter().zip(&expected) {
        worst_tape = worst_tape.max((a - b).abs());
    }
    assert!(worst_tape < 1e-13, "tape divergence error {worst_tape:e}");

    // 2. A constant-output network: P_x e₃ = grad f; exact divergence (t = 1, σ = 1).
    let net = constant_net(sphere.clone(), &[0.0, 0.0, 1.0]);
    let mut div = vec![0.0; rows];
    net.divergence_batch(&points, &[1.0], &mut div).unwrap();
    let worst_net = div
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst_net < 1e-13, "network divergence error {worst_net:e}");

    // ... and its ISM loss: mean (|grad f|² + 2 Δf) at σ = 1 (t = σ² = 1).
    let times = vec![1.0; rows];
    let mut grads = vec![0.0; net.param_count()];
    let ism =
        ism_loss_and_gradient(&net, &mut DsmWorkspace::new(), &points, &times, &mut grads).unwrap();
    let ism_expected = points
        .chunks_exact(3)
        .map(|x| 1.0 - x[2] * x[2] - 4.0 * x[2])
        .sum::<f64>()
        / rows as f64;
    assert!(
        (ism - ism_expected).abs() < 1e-13,
        "{ism} vs {ism_expected}"
    );

    // 3. The finite-difference default of ScoreField.
    let analytic = GradientField {
        manifold: sphere.clone(),
        field: |x: &[f64], out: &mut [f64]| {
            for j in 0..3 {
                out[j] = if j == 2 { 1.0 } else { 0.0 } - x[2] * x[j];
            }
        },
    };
    let mut div = vec![0.0; rows];
    analytic
        .divergence_batch(&points, &[1.0], &mut div)
        .unwrap();
    let worst_fd = div
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst_fd < 1e-6,
        "finite-difference divergence error {worst_fd:e}"
    );
    eprintln!(
        "S² div grad z: tape {worst_tape:.1e}, network {worst_net:.1e}, FD default {worst_fd:.1e}"
    );
}

/// `(x²)_{ij} = Σ_k x_ik x_kj` of a row-major `n × n` matrix per row, on the tape.
fn tape_matrix_square(tape: &mut Tape, x: Var, n: usize) -> Var {
    let mut entries = Vec::with_capacity(n * n);
    for i in 0..n {
        for j in 0..n {
            let mut sum = None;
            for k in 0..n {
                let a = tape.slice_cols(x, i * n + k, i * n + k + 1);
                let b = tape.slice_cols(x, k * n + j, k * n + j + 1);
                let p = tape.mul(a, b);
                sum = Some(match sum {
                    None => p,
                    Some(s) => tape.add(s, p),
                });
            }
            entries.push(sum.unwrap());
        }
    }
    tape.concat_cols(&entries)
}

/// SO(3) with `⟨A, B⟩ = ½ tr(AᵀB)`, `f(g) = tr g`: the Euclidean gradient is `I`, the
/// Riemannian one (twice the projection in this metric) `V = 2 P_g(I) = g(gᵀ − g) = I − g²`,
/// and `Δ tr g = −c tr g` with `c` the Casimir of the defining representation (labels `[1]`,
/// `c = |λ+ρ|² − |ρ|² = 9/4 − 1/4 = 2`, from `crate::lie`; directly: an orthonormal basis of
/// `so(3)` in `½tr` is the standard generators `L_i`, `Σ_i L_i² = −2I`).
///
/// Tolerances: the tape and the network path are exact up to round-off (1e-13; the network's
/// projection term uses the mean curvature `−(d/|x|²) x` of SO(3) ⊂ sphere of radius √3,
/// `TangentProjection::MinimalInSphere`); the FD default ≈ 1e-7.
#[test]
fn so3_divergence_of_character_gradient() {
    let so3: Arc<dyn Manifold> = Arc::new(SpecialOrthogonal::new(3).unwrap());
    let casimir = RootSystem::special_orthogonal(3)
        .unwrap()
        .irrep(&[1])
        .unwrap()
        .casimir();
    assert!((casimir - 2.0).abs() < 1e-14, "Casimir {casimir}");
    let rows = 64;
    let points = uniform_points(so3.as_ref(), rows, 2);
    let trace = |g: &[f64]| g[0] + g[4] + g[8];
    let expected: Vec<f64> = points
        .chunks_exact(9)
        .map(|g| -casimir * trace(g))
        .collect();

    // The Riemannian gradient really is I − g² in this metric: ⟨V, w⟩ = tr(w) = df(w).
    let mut rng = rng_from_seed(3);
    for g in points.chunks_exact(9).take(8) {
        let mut v = [0.0; 9];
        let mut w = [0.0; 9];
        let eps: Vec<f64> = (0..9).map(|_| standard_normal(&mut rng)).collect();
        so3.project_tangent(g, &eps, &mut w);
        for i in 0..3 {
            for j in 0..3 {
                let g2: f64 = (0..3).map(|k| g[i * 3 + k] * g[k * 3 + j]).sum();
                v[i * 3 + j] = if i == j { 1.0 } else { 0.0 } - g2;
            }
        }
        assert!((so3.inner(g, &v, &w) - trace(&w)).abs() < 1e-13);
    }

    // 1. The tape: V(x) = I − x².
    let mut tape = Tape::new();
    let x = tape.input(rows, 9, &points);
    let square = tape_matrix_square(&mut tape, x, 3);
    let identity = tape.constant(1, 9, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
    let minus_square = tape.neg(square);
    let field = tape.add(minus_square, identity);
    let div = tape_divergence(so3.as_ref(), &mut tape, x, field, &points);
    let worst_tape = div
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst_tape < 1e-13, "tape divergence error {worst_tape:e}");

    // 2. A constant-output network with raw output 2I: P_g(2I) = V.
    let two_identity = [2.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 2.0];
    let net = constant_net(so3.clone(), &two_identity);
    let mut div = vec![0.0; rows];
    net.divergence_batch(&points, &[1.0], &mut div).unwrap();
    let worst_net = div
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(worst_net < 1e-13, "network divergence error {worst_net:e}");

    // ... and the ISM loss at σ = 1 (t = σ² = 1): mean(|V|² + 2Δf), |V|² = ½|I − g²|²_F.
    let times = vec![1.0; rows];
    let mut grads = vec![0.0; net.param_count()];
    let ism =
        ism_loss_and_gradient(&net, &mut DsmWorkspace::new(), &points, &times, &mut grads).unwrap();
    let mut ism_expected = 0.0;
    for (g, e) in points.chunks_exact(9).zip(&expected) {
        let mut v = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                let g2: f64 = (0..3).map(|k| g[i * 3 + k] * g[k * 3 + j]).sum();
                v[i * 3 + j] = if i == j { 1.0 } else { 0.0 } - g2;
            }
        }
        ism_expected += so3.norm_squared(g, &v) + 2.0 * e;
    }
    ism_expected /= rows as f64;
    assert!(
        (ism - ism_expected).abs() < 1e-13,
        "{ism} vs {ism_expected}"
    );

    // 3. The finite-difference default of ScoreField.
    let analytic = GradientField {
        manifold: so3.clone(),
        field: |g: &[f64], out: &mut [f64]| {
            for i in 0..3 {
                for j in 0..3 {
                    let g2: f64 = (0..3).map(|k| g[i * 3 + k] * g[k * 3 + j]).sum();
                    out[i * 3 + j] = if i == j { 1.0 } else { 0.0 } - g2;
                }
            }
        },
    };
    let mut div = vec![0.0; rows];
    analytic
        .divergence_batch(&points, &[1.0], &mut div)
        .unwrap();
    let worst_fd = div
        .iter()
        .zip(&expected)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        worst_fd < 1e-6,
        "finite-difference divergence error {worst_fd:e}"
    );
    eprintln!(
        "SO(3) div grad tr: tape {worst_tape:.1e}, network {worst_net:.1e}, FD default {worst_fd:.1e}"
    );
}

/// On every group, `f(g) = Re tr g` (the real part of the defining character) satisfies
/// `Δf = −c f`, `c` the Casimir of the defining representation in the binding metric (from
/// `crate::lie`: SO(n) `n − 1` in `½tr`; SU(n) `n − 1/n`, U(n) `n` in Frobenius). The field
/// `grad f = P_g(W⁻¹ ∇_E f)` (`W` the diagonal metric: raw output `2I` on SO(n), `Re I` on
/// SU(n), U(n)) is a constant-output network; its exact divergence must equal `−c f` to
/// round-off (1e-12 relative to `c·n`).
#[test]
fn group_divergence_of_character_gradient_matches_casimir() {
    use riemannian_diffusion::lie::CompactGroup;
    let cases: Vec<(Arc<dyn Manifold>, CompactGroup)> = vec![
        (
            Arc::new(SpecialOrthogonal::new(3).unwrap()),
            CompactGroup::SpecialOrthogonal(3),
        ),
        (
            Arc::new(SpecialOrthogonal::new(4).unwrap()),
            CompactGroup::SpecialOrthogonal(4),
        ),
        (
            Arc::new(SpecialUnitary::new(2).unwrap()),
            CompactGroup::SpecialUnitary(2),
        ),
        (
            Arc::new(SpecialUnitary::new(3).unwrap()),
            CompactGroup::SpecialUnitary(3),
        ),
        (Arc::new(Unitary::new(2).unwrap()), CompactGroup::Unitary(2)),
    ];
    for (manifold, group) in cases {
        let roots = RootSystem::new(group).unwrap();
        let mut labels = vec![0i64; roots.torus_dim()];
        labels[0] = 1;
        let casimir = roots.irrep(&labels).unwrap().casimir();
        let n_amb = manifold.ambient_dim();
        let (size, complex) = match group {
            CompactGroup::SpecialOrthogonal(n) => (n, false),
            CompactGroup::SpecialUnitary(n) | CompactGroup::Unitary(n) => (n, true),
        };
        // Re tr g: coordinates of the diagonal real parts; their metric weight w.
        let diagonal: Vec<usize> = (0..size)
            .map(|i| {
                if complex {
                    2 * (i * size + i)
                } else {
                    i * size + i
                }
            })
            .collect();
        let mut raw = vec![0.0; n_amb];
        let points = uniform_points(manifold.as_ref(), 16, 6);
        let mut unit = vec![0.0; n_amb];
        for &j in &diagonal {
            unit[j] = 1.0;
            raw[j] = 1.0 / manifold.inner(&points[..n_amb], &unit, &unit);
            unit[j] = 0.0;
        }
        let net = constant_net(manifold.clone(), &raw);
        let mut div = vec![0.0; 16];
        net.divergence_batch(&points, &[1.0], &mut div).unwrap();
        let mut worst: f64 = 0.0;
        for (g, d) in points.chunks_exact(n_amb).zip(&div) {
            let f: f64 = diagonal.iter().map(|&j| g[j]).sum();
            worst = worst.max((d + casimir * f).abs());
        }
        eprintln!(
            "{}: Casimir {casimir:.6}, max |div grad Re tr + c Re tr| = {worst:.1e}",
            manifold.spec()
        );
        assert!(
            worst < 1e-12 * casimir * size as f64,
            "{}: {worst:e}",
            manifold.spec()
        );
    }
}

/// Networks built by `ScoreNetConfig::for_manifold` on groups and products return tangent
/// vectors: `|P_x s − s| ≤ 1e-12 (1 + |s|)` (the projection is idempotent up to round-off).
#[test]
fn network_outputs_are_tangent_on_groups_and_products() {
    let manifolds: Vec<Arc<dyn Manifold>> = vec![
        Arc::new(SpecialOrthogonal::new(3).unwrap()),
        Arc::new(SpecialOrthogonal::new(4).unwrap()),
        Arc::new(SpecialUnitary::new(2).unwrap()),
        Arc::new(SpecialUnitary::new(3).unwrap()),
        Arc::new(Unitary::new(2).unwrap()),
        Arc::new(
            Product::new(vec![
                Arc::new(SpecialOrthogonal::new(3).unwrap()),
                Arc::new(Sphere::new(2).unwrap()),
                Arc::new(Torus::new(1).unwrap()),
            ])
            .unwrap(),
        ),
    ];
    for manifold in manifolds {
        let n = manifold.ambient_dim();
        let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
        config.hidden_width = 16;
        config.hidden_layers = 2;
        let net = ScoreNet::new(manifold.clone(), config, 1).unwrap();
        let rows = 20;
        let points = uniform_points(manifold.as_ref(), rows, 4);
        let mut s = vec![0.0; rows * n];
        net.score_batch(&points, &[0.3], &mut s).unwrap();
        let mut projected = vec![0.0; n];
        for (x, sr) in points.chunks_exact(n).zip(s.chunks_exact(n)) {
            manifold.project_tangent(x, sr, &mut projected);
            let norm = sr.iter().map(|v| v * v).sum::<f64>().sqrt();
            assert!(norm > 1e-3, "{}: trivial output", manifold.spec());
            let err = projected
                .iter()
                .zip(sr)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt();
            assert!(err <= 1e-12 * (1.0 + norm), "{}: {err:e}", manifold.spec());
        }
    }
}

#[test]
fn loss_names_round_trip_and_default() {
    assert_eq!(TrainOptions::default().loss, Loss::Dsm);
    assert_eq!(
        "sliced".parse::<Loss>().unwrap(),
        Loss::Sliced {
            probe: Probe::Rademacher,
            probes: 1
        }
    );
    assert!(TrainOptions {
        loss: Loss::Sliced {
            probe: Probe::Gaussian,
            probes: 0
        },
        ..TrainOptions::default()
    }
    .validate()
    .is_err());
}

/// Wall time of one training step per loss on S² at batch 512 with the former default network
/// (`ScoreNetConfig::for_manifold` set to 4 hidden layers of width 256, SiLU), median of 10 steps
/// after 2 warm-up steps. Prints only (timings are not asserted; speed claims belong in
/// benches): `cargo test --release --test losses -- --ignored --nocapture`.
#[test]
#[ignore]
fn step_time_per_loss_on_s2() {
    use riemannian_diffusion::train::{DsmTrainer, HeatKernelNoise};
    let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
    let data = uniform_points(sphere.as_ref(), 1000, 5);
    let kernel = HeatKernelNoise::for_manifold(sphere.as_ref()).unwrap();
    for loss in [
        Loss::Dsm,
        Loss::DsmVaradhan,
        Loss::Ism,
        Loss::Sliced {
            probe: Probe::Rademacher,
            probes: 1,
        },
        Loss::Sliced {
            probe: Probe::Gaussian,
            probes: 2,
        },
    ] {
        let mut config = ScoreNetConfig::for_manifold(sphere.as_ref());
        config.hidden_width = 256;
        config.hidden_layers = 4;
        let net = ScoreNet::new(sphere.clone(), config, 1).unwrap();
        let options = TrainOptions {
            batch_size: 512,
            loss,
            ..TrainOptions::default()
        };
        let mut trainer = DsmTrainer::new(net, &data, &kernel, options).unwrap();
        for _ in 0..2 {
            trainer.step().unwrap();
        }
        let mut times: Vec<f64> = (0..10)
            .map(|_| {
                let start = std::time::Instant::now();
                trainer.step().unwrap();
                start.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        eprintln!("{loss}: {:.1} ms per step (median of 10)", 1e3 * times[5]);
    }
}

/// ISM and DSM differ by a θ-independent constant: for `x ~ p_t(x₀, ·)`,
/// `E σ²(|s|² + 2 div s) = E σ²|s − τ|² − E σ²|τ|²` with `τ = ∇ log p_t(x₀, x)` (integration by
/// parts on the closed manifold). This checks the sign, the factor 2 and the divergence
/// convention of the ISM loss end to end, with exact heat-kernel samples and an untrained
/// network. Per sub-batch `k` of 500 rows, `D_k = ISM_k − (DSM_k − mean σ²|τ|²)`; the mean of
/// 24 such independent differences must be within 4.5 standard errors of 0 (two-sided level
/// ≈ 7e-6 under normality; the sub-batch means are close to normal by the CLT).
#[test]
fn ism_equals_dsm_minus_a_constant_in_expectation() {
    use riemannian_diffusion::train::{dsm_loss_and_gradient, DsmKernel, HeatKernelNoise};
    let manifolds: Vec<Arc<dyn Manifold>> = vec![
        Arc::new(Sphere::new(2).unwrap()),
        Arc::new(SpecialOrthogonal::new(3).unwrap()),
    ];
    for manifold in manifolds {
        let n = manifold.ambient_dim();
        let kernel = HeatKernelNoise::for_manifold(manifold.as_ref()).unwrap();
        let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
        config.hidden_width = 16;
        config.hidden_layers = 2;
        let net = ScoreNet::new(manifold.clone(), config, 3).unwrap();
        let mut rng = rng_from_seed(17);
        let mut x0 = vec![0.0; n];
        manifold.sample_uniform(&mut rng, &mut x0);
        let (batches, rows) = (24, 500);
        let mut differences = Vec::with_capacity(batches);
        let mut grads = vec![0.0; net.param_count()];
        let mut workspace = DsmWorkspace::new();
        for _ in 0..batches {
            let (mut x, mut targets, mut sigmas) =
                (vec![0.0; rows * n], vec![0.0; rows * n], vec![0.0; rows]);
            let mut constant = 0.0;
            for r in 0..rows {
                sigmas[r] = 0.3 + 0.9 * (r as f64 + 0.5) / rows as f64;
                let (xr, tr) = (&mut x[r * n..(r + 1) * n], &mut targets[r * n..(r + 1) * n]);
                kernel
                    .sample_with_score(&x0, sigmas[r] * sigmas[r], &mut rng, xr, tr)
                    .unwrap();
                constant += sigmas[r] * sigmas[r] * manifold.norm_squared(xr, tr);
            }
            constant /= rows as f64;
            let times: Vec<f64> = sigmas.iter().map(|s| s * s).collect();
            let dsm = dsm_loss_and_gradient(&net, &mut workspace, &x, &times, &targets, &mut grads)
                .unwrap();
            let ism = ism_loss_and_gradient(&net, &mut workspace, &x, &times, &mut grads).unwrap();
            differences.push(ism - (dsm - constant));
        }
        let k = batches as f64;
        let mean = differences.iter().sum::<f64>() / k;
        let var = differences.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (k - 1.0);
        let standard_error = (var / k).sqrt();
        eprintln!(
            "{}: ISM − (DSM − C) = {mean:.4} ± {standard_error:.4}",
            manifold.spec()
        );
        assert!(
            mean.abs() < 4.5 * standard_error,
            "{}: {mean} ± {standard_error}",
            manifold.spec()
        );
    }
}
