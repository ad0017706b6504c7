//! Implicit score matching (exact divergence) and its sliced (Hutchinson) version, plus the
//! Varadhan targets of DSM.
//!
//! Both ISM losses use the weight `σ²` of the DSM loss and the model `s_θ = P_x y / σ`,
//! `y = net_θ(x, σ)`:
//!
//! $$ σ^2 \big(\|s_θ\|_x^2 + 2\,\mathrm{div}_M s_θ\big) = \|P_x y\|_x^2 + 2σ\,\mathrm{div}_M(P y), $$
//!
//! $$ \mathrm{div}_M(P y)(x) = \mathrm{tr}(P_x J_y(x)) + c(x)·y(x), \qquad
//!    \mathrm{tr}(P_x J_y) = Σ_i ⟨e_i, J_y e_i⟩_x , $$
//!
//! with `J_y` the ambient Jacobian of the raw output, `e_i` an orthonormal basis of `T_xM` in
//! the manifold's metric, and `c(x)·y = Σ_i ⟨e_i, (D_{e_i}P) y⟩_x` the projection's curvature
//! term ([`TangentProjection::curvature_covector`]). On an embedded submanifold with the
//! induced metric the covariant derivative of a tangent field is the tangential part of its
//! ambient derivative, which gives the formula. Every manifold here has a constant metric,
//! diagonal in ambient coordinates (`W = ½` on SO(n) entries, 1 elsewhere, per factor on
//! products), so for a basis vector `e` inside one factor `⟨e, J e⟩_x = k eᵀ J e` with that
//! factor's scale `k`; and `tr(P J)` does not depend on `k` (an orthonormal basis scales by
//! `k^{−1/2}`), which is why the Hutchinson estimate uses the Euclidean `zᵀ J z`.
//!
//! The divergence terms are recorded on the tape with [`Tape::grad_graph`]: for a seed `E`
//! (row `r` a tangent vector at `x_r`), `∂(Σ E ∘ y)/∂x` has rows `J_rᵀ e_r`, and
//! `row_dot(J_rᵀ e_r, e_r) = e_rᵀ J_r e_r`; a reverse sweep over the resulting scalar then
//! differentiates through the recorded backward pass (grad of grad) into the parameters.
//! Exact ISM needs `d` such seeds (the basis), sliced ISM one per probe.
//!
//! [`TangentProjection::curvature_covector`]: crate::nn::TangentProjection::curvature_covector
//! [`Tape::grad_graph`]: crate::autodiff::Tape::grad_graph

use super::dsm::{check_loss_inputs, metric_diagonal, reduce_chunks, DsmWorkspace, DSM_CHUNK_ROWS};
use crate::autodiff::Tape;
use crate::error::{check_len, Error, Result};
use crate::manifold::Manifold;
use crate::nn::{TapeForward, TapeModel};
use faer::Par;
use rayon::prelude::*;

/// The divergence seeds of one chunk: `seeds[k]` is a `rows × n` matrix whose row `r` is a
/// tangent vector at `x_r`; `weights[k][r]` multiplies `row_dot(J_rᵀ s, s)` in the loss.
struct Seeds {
    seeds: Vec<Vec<f64>>,
    weights: Vec<Vec<f64>>,
}

/// The exact-ISM loss of a batch and its gradient with respect to the network parameters:
///
/// $$ L = \frac1B Σ_r t_r\big(\|s_θ(x_r, t_r)\|^2_{x_r} + 2\,\mathrm{div}_M s_θ(x_r, t_r)\big), $$
///
/// with the exact Riemannian divergence (module docs). `L` equals the DSM loss of
/// [`super::dsm_loss_and_gradient`] minus the θ-independent `E σ²‖∇ log p_t(x₀, x)‖²` in
/// expectation over the noised data (integration by parts on the closed manifold), so the
/// two losses have the same minimiser and expected gradient.
///
/// Chunks of [`ism_chunk_rows`]`(d)` rows run in parallel, one tape each (from `workspace`),
/// gradients summed in chunk order: deterministic whatever the thread count.
///
/// Cost per row: one forward pass, `d` recorded backward passes (≈ 2 forward passes each),
/// one reverse sweep through all of that (≈ 2× the recorded work): about `1 + 6d` forward
/// passes, plus `2d` exponentials for the curvature term on groups.
///
/// `times` holds the kernel time `t_r = σ_r²` of every row.
///
/// # Errors
/// As [`super::dsm_loss_and_gradient`] (shapes, times, a metric that is not constant and
/// diagonal); [`Error::InvalidArgument`] if a tangent basis vector has support on coordinates
/// of different metric weights (the divergence is formed per basis vector with one weight).
pub fn ism_loss_and_gradient<M: TapeModel + ?Sized>(
    network: &M,
    workspace: &mut DsmWorkspace,
    points: &[f64],
    times: &[f64],
    grads: &mut [f64],
) -> Result<f64> {
    let manifold = network.manifold();
    let (d, n) = (manifold.dim(), manifold.ambient_dim());
    let chunk_rows = ism_chunk_rows(d);
    let metric = metric_diagonal(manifold, "ISM")?;
    check_basis_weights(manifold, points, &metric)?;
    run_chunks(
        network,
        workspace,
        points,
        times,
        grads,
        chunk_rows,
        |x, _| {
            let rows = x.len() / n;
            let mut bases = vec![0.0; rows * d * n];
            for (xr, br) in x.chunks_exact(n).zip(bases.chunks_exact_mut(d * n)) {
                manifold.tangent_basis(xr, br);
            }
            let mut seeds = vec![vec![0.0; rows * n]; d];
            let mut weights = vec![vec![0.0; rows]; d];
            for r in 0..rows {
                let xr = &x[r * n..(r + 1) * n];
                for (i, (seed, weight)) in seeds.iter_mut().zip(weights.iter_mut()).enumerate() {
                    let e = &bases[(r * d + i) * n..(r * d + i + 1) * n];
                    seed[r * n..(r + 1) * n].copy_from_slice(e);
                    // ⟨e, J e⟩_x = eᵀ W J e = k e·(J e) for a basis vector on whose support
                    // the metric weight is one value k (checked above): k = ⟨e, e⟩_x / |e|².
                    weight[r] = manifold.inner(xr, e, e) / e.iter().map(|a| a * a).sum::<f64>();
                }
            }
            Seeds { seeds, weights }
        },
    )
}

/// The sliced (Hutchinson) ISM loss of a batch and its parameter gradient: as
/// [`ism_loss_and_gradient`] with `tr(P_x J)` replaced by `(1/K) Σ_k z_kᵀ J z_k`, where the
/// `K = probes_per_point` probes of row `r` are `probes[(r·K + k)·n ..][..n]` — tangent vectors
/// with `E[z zᵀ] = P_x` (e.g. `z = P_x ε`, `ε` Rademacher or standard normal; see
/// [`super::Probe`]). The curvature term `c(x)·y` is kept exact (it is the expectation of
/// `zᵀ (D_z P) y`, so this is a variance reduction, not a bias). Unbiased for the ISM loss and
/// its gradient.
///
/// Cost per row: about `1 + 6K` forward passes. Chunks of [`ism_chunk_rows`]`(K)` rows.
///
/// # Errors
/// As [`ism_loss_and_gradient`] (but for the basis check); [`Error::InvalidArgument`] for
/// `K = 0`, [`Error::DimensionMismatch`] unless `probes` is `B × K × n`.
pub fn sliced_ism_loss_and_gradient<M: TapeModel + ?Sized>(
    network: &M,
    workspace: &mut DsmWorkspace,
    points: &[f64],
    times: &[f64],
    probes: &[f64],
    probes_per_point: usize,
    grads: &mut [f64],
) -> Result<f64> {
    let n = network.manifold().ambient_dim();
    let k = probes_per_point;
    if k == 0 {
        return Err(Error::invalid(
            "probes_per_point",
            k,
            "at least one Hutchinson probe per point",
        ));
    }
    check_len(
        "sliced ISM probes (B × K × ambient_dim)",
        probes.len(),
        points.len().saturating_mul(k),
    )?;
    metric_diagonal(network.manifold(), "sliced ISM")?;
    let chunk_rows = ism_chunk_rows(k);
    run_chunks(
        network,
        workspace,
        points,
        times,
        grads,
        chunk_rows,
        |x, first_row| {
            let rows = x.len() / n;
            let mut seeds = vec![vec![0.0; rows * n]; k];
            for r in 0..rows {
                for (j, seed) in seeds.iter_mut().enumerate() {
                    let start = ((first_row + r) * k + j) * n;
                    seed[r * n..(r + 1) * n].copy_from_slice(&probes[start..start + n]);
                }
            }
            // Hutchinson estimates tr(P J) = E zᵀ J z with the Euclidean dot: weight 1/K.
            Seeds {
                seeds,
                weights: vec![vec![1.0 / k as f64; rows]; k],
            }
        },
    )
}

/// Varadhan's small-time DSM target (RSGM §3.3): `log_x(x₀) / t = −∇_x d²(x₀, x) / (2t)`, the
/// score of the leading term of `p_t(x₀, x) ≈ (2πt)^{−d/2} e^{−d²/(2t)}`. The Riemannian
/// logarithm is metric-scale free (scaling the metric by `k` scales `d²` by `k` and the
/// gradient by `1/k`), so this is the score in the crate's metric on every manifold. Its error
/// against the exact score is `O(1)` (not `O(1/t)`) as `t → 0` away from the cut locus, and
/// unbounded near it (`log` jumps there).
///
/// # Panics
/// If `x0`, `x`, `out` do not have the manifold's ambient length.
pub fn varadhan_target(manifold: &dyn Manifold, x0: &[f64], x: &[f64], t: f64, out: &mut [f64]) {
    manifold.log(x, x0, out);
    out.iter_mut().for_each(|v| *v /= t);
}

/// Rows per tape of the ISM losses with `seeds` recorded backward passes per row (`d` for
/// exact ISM, `K` for sliced): `max(8, ⌊DSM_CHUNK_ROWS / seeds⌋)`. A tape holds about
/// `(1 + 2·seeds)` forward passes of intermediate values, so this keeps its memory near that
/// of three DSM chunks whatever the dimension (e.g. 128 rows on S², 8 on S^127 with exact ISM,
/// where sliced ISM is the practical choice anyway).
pub fn ism_chunk_rows(seeds: usize) -> usize {
    (DSM_CHUNK_ROWS / seeds.max(1)).max(8)
}

/// Runs `chunk_loss` over fixed chunks in parallel and reduces values and gradients in chunk
/// order. `make_seeds(x_chunk, first_row)` builds the divergence seeds of a chunk.
fn run_chunks<M: TapeModel + ?Sized, F>(
    network: &M,
    workspace: &mut DsmWorkspace,
    points: &[f64],
    times: &[f64],
    grads: &mut [f64],
    chunk_rows: usize,
    make_seeds: F,
) -> Result<f64>
where
    F: Fn(&[f64], usize) -> Seeds + Sync,
{
    let n = network.manifold().ambient_dim();
    let rows = check_loss_inputs(network, points, times, grads)?;
    let metric = metric_diagonal(network.manifold(), "ISM")?;
    let chunks = rows.div_ceil(chunk_rows).max(1);
    while workspace.tapes.len() < chunks {
        workspace.tapes.push(Tape::new());
    }
    let par = if chunks == 1 { Par::rayon(0) } else { Par::Seq };
    let scale = 1.0 / rows as f64;
    let results: Vec<(f64, TapeForward)> = workspace.tapes[..chunks]
        .par_iter_mut()
        .enumerate()
        .map(|(k, tape)| {
            let range = k * chunk_rows..((k + 1) * chunk_rows).min(rows);
            tape.set_parallelism(par);
            let x = &points[range.start * n..range.end * n];
            let seeds = make_seeds(x, range.start);
            chunk_loss_and_backward(network, tape, x, &times[range], &seeds, &metric, scale)
        })
        .collect();
    Ok(reduce_chunks(network, &workspace.tapes, &results, grads) * scale)
}

/// Checks that every tangent basis vector at every row of `points` has one metric weight on
/// its support (true on every manifold of the crate and their products: each basis vector
/// lies in one factor, whose metric is a multiple of the Euclidean one).
fn check_basis_weights(manifold: &dyn Manifold, points: &[f64], metric: &[f64]) -> Result<()> {
    let (d, n) = (manifold.dim(), manifold.ambient_dim());
    let mut basis = vec![0.0; d * n];
    for x in points.chunks_exact(n) {
        manifold.tangent_basis(x, &mut basis);
        for e in basis.chunks_exact(n) {
            let mut weights = e
                .iter()
                .zip(metric)
                .filter(|(a, _)| **a != 0.0)
                .map(|(_, w)| *w);
            if let Some(first) = weights.next() {
                if let Some(other) = weights.find(|w| (w - first).abs() > 1e-12 * first.abs()) {
                    return Err(Error::invalid(
                        "manifold",
                        manifold.spec(),
                        format!(
                            "tangent basis vectors that each meet one metric weight (ISM forms \
                             the divergence per basis vector; found weights {first} and {other})"
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// One chunk: records the network and the divergence terms, runs the reverse sweep of
/// `scale · Σ_r ℓ_r`, and returns `Σ_r ℓ_r` with the forward pass (whose parameter leaves
/// hold the gradient).
fn chunk_loss_and_backward<M: TapeModel + ?Sized>(
    network: &M,
    tape: &mut Tape,
    points: &[f64],
    times: &[f64],
    seeds: &Seeds,
    weights: &[f64],
    scale: f64,
) -> (f64, TapeForward) {
    let manifold = network.manifold();
    let projection = network.projection();
    let (d, n) = (manifold.dim(), manifold.ambient_dim());
    let rows = times.len();
    tape.clear();
    let x = tape.input(rows, n, points);
    let forward = network.forward_tape(tape, x, times, true);
    let y = tape.value(forward.output).to_vec();

    // Per row: ‖P y‖²_x and its y-gradient 2 Pᵀ W P y = 2 W P y (W the diagonal metric,
    // P W-self-adjoint); the curvature covector c (term c·y).
    let mut basis = vec![0.0; d * n];
    let mut scratch = vec![0.0; 4 * n];
    let mut covector = vec![0.0; n];
    let mut projected = vec![0.0; n];
    // Constant multiplying y in the surrogate: (2k P y + 2σ c)·scale per row.
    let mut linear = vec![0.0; rows * n];
    let mut total = 0.0;
    for r in 0..rows {
        let (xr, yr) = (&points[r * n..(r + 1) * n], &y[r * n..(r + 1) * n]);
        let sigma = times[r].sqrt();
        manifold.project_tangent(xr, yr, &mut projected);
        let metric = manifold.norm_squared(xr, &projected);
        manifold.tangent_basis(xr, &mut basis);
        projection.curvature_covector(manifold, xr, &basis, &mut scratch, &mut covector);
        let curvature: f64 = covector.iter().zip(yr).map(|(c, v)| c * v).sum();
        total += metric + 2.0 * sigma * curvature;
        for (((l, &p), &c), &w) in linear[r * n..(r + 1) * n]
            .iter_mut()
            .zip(&projected)
            .zip(&covector)
            .zip(weights)
        {
            *l = scale * (2.0 * w * p + 2.0 * sigma * c);
        }
    }
    // Surrogate with the right gradient: Σ_r linear_r · y_r (linear is a constant).
    let linear = tape.constant(rows, n, &linear);
    let first = tape.row_dot(forward.output, linear);
    let mut objective = tape.sum(first);
    for (seed, seed_weights) in seeds.seeds.iter().zip(&seeds.weights) {
        let seed_var = tape.constant(rows, n, seed);
        let jt_seed = tape.grad_graph(forward.output, Some(seed_var), &[x])[0];
        let values = tape.value(jt_seed);
        let mut weighted = seed.clone();
        for r in 0..rows {
            let w = 2.0 * times[r].sqrt() * seed_weights[r];
            let range = r * n..(r + 1) * n;
            let quadratic: f64 = values[range.clone()]
                .iter()
                .zip(&seed[range.clone()])
                .map(|(a, b)| a * b)
                .sum();
            total += w * quadratic;
            weighted[range].iter_mut().for_each(|v| *v *= w * scale);
        }
        let weighted = tape.constant(rows, n, &weighted);
        let term = tape.row_dot(jt_seed, weighted);
        let term = tape.sum(term);
        objective = tape.add(objective, term);
    }
    tape.backward(objective);
    (total, forward)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::{Product, SpecialOrthogonal, SpecialUnitary, Sphere, Torus};
    use crate::nn::{Activation, ScoreNet, ScoreNetConfig, SigmaEncoding};
    use crate::random::{rng_from_seed, standard_normal, uniform};
    use crate::score::ScoreField;
    use std::sync::Arc;

    fn tiny_net(manifold: Arc<dyn Manifold>, activation: Activation, seed: u64) -> ScoreNet {
        let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
        config.hidden_width = 5;
        config.hidden_layers = 2;
        config.activation = activation;
        config.sigma_encoding = SigmaEncoding::LogSinusoidal { frequencies: 1 };
        let mut net = ScoreNet::new(manifold, config, seed).unwrap();
        let mut rng = rng_from_seed(seed + 100);
        for p in net.params_mut() {
            *p += 0.2 * standard_normal(&mut rng);
        }
        net
    }

    /// `rows` uniform points and their kernel times `t = σ²`, `σ ~ 0.1 + U(0, 1)`.
    fn batch(manifold: &dyn Manifold, rows: usize, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let n = manifold.ambient_dim();
        let mut rng = rng_from_seed(seed);
        let mut x = vec![0.0; rows * n];
        for r in x.chunks_exact_mut(n) {
            manifold.sample_uniform(&mut rng, r);
        }
        let times = (0..rows)
            .map(|_| {
                let sigma = 0.1 + uniform(&mut rng);
                sigma * sigma
            })
            .collect();
        (x, times)
    }

    fn manifolds() -> Vec<Arc<dyn Manifold>> {
        vec![
            Arc::new(Sphere::new(2).unwrap()),
            Arc::new(SpecialOrthogonal::new(3).unwrap()),
            Arc::new(SpecialUnitary::new(2).unwrap()),
            Arc::new(Torus::new(2).unwrap()),
            // Generic projection: the curvature term by central differences.
            Arc::new(
                Product::new(vec![
                    Arc::new(SpecialOrthogonal::new(3).unwrap()),
                    Arc::new(Sphere::new(2).unwrap()),
                ])
                .unwrap(),
            ),
        ]
    }

    /// ISM loss values against the definition evaluated independently of this module:
    /// `σ²(|s|²_x + 2 div s)` with `s` from the inference path and `div s` from
    /// `ScoreField::divergence_batch` (first-order reverse sweeps and
    /// `TangentProjection::curvature_term`). Both are exact up to round-off on spheres, tori and
    /// groups; on the product (generic projection) both use O(h²) central differences of the
    /// projection (h = 1e-5, error ≈ 1e-10 relative), hence 1e-9.
    #[test]
    fn ism_value_matches_independent_reference() {
        for manifold in manifolds() {
            let net = tiny_net(manifold.clone(), Activation::Silu, 3);
            let n = manifold.ambient_dim();
            let (x, times) = batch(manifold.as_ref(), 7, 4);
            let mut grads = vec![0.0; net.param_count()];
            let loss =
                ism_loss_and_gradient(&net, &mut DsmWorkspace::new(), &x, &times, &mut grads)
                    .unwrap();
            let mut reference = 0.0;
            for (r, &t) in times.iter().enumerate() {
                // t = σ².
                let xr = &x[r * n..(r + 1) * n];
                let mut s = vec![0.0; n];
                let mut div = [0.0];
                net.score_batch(xr, &[t], &mut s).unwrap();
                net.divergence_batch(xr, &[t], &mut div).unwrap();
                reference += t * (manifold.norm_squared(xr, &s) + 2.0 * div[0]);
            }
            reference /= times.len() as f64;
            assert!(
                (loss - reference).abs() < 1e-9 * (1.0 + reference.abs()),
                "{}: {loss} vs {reference}",
                manifold.spec()
            );
        }
    }

    /// Central differences of a loss over every parameter against its analytic gradient.
    /// h = 1e-5: truncation h²/6·|∂³L| ≈ 1e-11, round-off ε|L|/h ≈ 1e-11 for these O(1)
    /// losses of smooth networks; 1e-7·(1 + |g|) leaves a margin for the O(10) third
    /// derivatives of ISM (second derivatives of the network) while any wrong rule would be off
    /// by O(|g|).
    fn check_gradient(
        name: &str,
        net: &mut ScoreNet,
        mut loss: impl FnMut(&ScoreNet, &mut [f64]) -> f64,
    ) -> f64 {
        let mut grads = vec![0.0; net.param_count()];
        loss(net, &mut grads);
        let mut scratch = vec![0.0; net.param_count()];
        let h = 1e-5;
        let mut worst: f64 = 0.0;
        for i in 0..net.param_count() {
            let p0 = net.params()[i];
            net.params_mut()[i] = p0 + h;
            let up = loss(net, &mut scratch);
            net.params_mut()[i] = p0 - h;
            let down = loss(net, &mut scratch);
            net.params_mut()[i] = p0;
            let fd = (up - down) / (2.0 * h);
            let err = (fd - grads[i]).abs() / (1.0 + grads[i].abs());
            worst = worst.max(err);
            assert!(err < 1e-7, "{name} param {i}: fd {fd} vs {}", grads[i]);
        }
        worst
    }

    #[test]
    fn ism_gradient_matches_finite_differences() {
        for manifold in manifolds() {
            for activation in [Activation::Silu, Activation::Tanh] {
                let mut net = tiny_net(manifold.clone(), activation, 5);
                let (x, times) = batch(manifold.as_ref(), 6, 6);
                let mut workspace = DsmWorkspace::new();
                let worst = check_gradient(&manifold.spec().to_string(), &mut net, |net, g| {
                    ism_loss_and_gradient(net, &mut workspace, &x, &times, g).unwrap()
                });
                eprintln!(
                    "ISM {} {activation:?}: max FD error {worst:.2e}",
                    manifold.spec()
                );
            }
        }
    }

    #[test]
    fn sliced_gradient_matches_finite_differences() {
        for manifold in manifolds() {
            let n = manifold.ambient_dim();
            let mut net = tiny_net(manifold.clone(), Activation::Silu, 7);
            let (x, times) = batch(manifold.as_ref(), 6, 8);
            let k = 2;
            let mut rng = rng_from_seed(9);
            let mut probes = vec![0.0; x.len() * k];
            let mut eps = vec![0.0; n];
            for (r, xr) in x.chunks_exact(n).enumerate() {
                for z in probes[r * k * n..(r + 1) * k * n].chunks_exact_mut(n) {
                    eps.iter_mut().for_each(|e| *e = standard_normal(&mut rng));
                    manifold.project_tangent(xr, &eps, z);
                }
            }
            let mut workspace = DsmWorkspace::new();
            let worst = check_gradient(&manifold.spec().to_string(), &mut net, |net, g| {
                sliced_ism_loss_and_gradient(net, &mut workspace, &x, &times, &probes, k, g)
                    .unwrap()
            });
            eprintln!("sliced {}: max FD error {worst:.2e}", manifold.spec());
        }
    }

    /// With the `d` probes `√d f_i` (`f_i` a Euclidean-orthonormal tangent basis) the
    /// Hutchinson average `(1/d) Σ_i d f_iᵀ J f_i = tr(P J)` is exact, so sliced ISM must equal
    /// exact ISM, value and gradient, to round-off.
    #[test]
    fn sliced_with_basis_probes_equals_exact_ism() {
        for manifold in manifolds() {
            let (d, n) = (manifold.dim(), manifold.ambient_dim());
            let net = tiny_net(manifold.clone(), Activation::Silu, 11);
            let (x, times) = batch(manifold.as_ref(), 5, 12);
            let mut probes = vec![0.0; x.len() * d];
            for (r, xr) in x.chunks_exact(n).enumerate() {
                let p = &mut probes[r * d * n..(r + 1) * d * n];
                manifold.tangent_basis(xr, p);
                for f in p.chunks_exact_mut(n) {
                    let norm = f.iter().map(|a| a * a).sum::<f64>().sqrt();
                    f.iter_mut().for_each(|a| *a *= (d as f64).sqrt() / norm);
                }
            }
            let mut ws = DsmWorkspace::new();
            let mut g_exact = vec![0.0; net.param_count()];
            let mut g_sliced = vec![0.0; net.param_count()];
            let exact = ism_loss_and_gradient(&net, &mut ws, &x, &times, &mut g_exact).unwrap();
            let sliced =
                sliced_ism_loss_and_gradient(&net, &mut ws, &x, &times, &probes, d, &mut g_sliced)
                    .unwrap();
            assert!((exact - sliced).abs() < 1e-12 * (1.0 + exact.abs()));
            let scale = g_exact.iter().map(|g| g.abs()).fold(0.0, f64::max);
            for (a, b) in g_exact.iter().zip(&g_sliced) {
                assert!(
                    (a - b).abs() < 1e-12 * scale,
                    "{}: {a} vs {b}",
                    manifold.spec()
                );
            }
        }
    }

    /// Varadhan targets are exact for the flat torus away from the cut locus: the kernel's
    /// leading image gives −(x − x₀)/t.
    #[test]
    fn varadhan_target_on_the_torus_is_the_flat_score() {
        let torus = Torus::new(2).unwrap();
        let mut out = [0.0; 2];
        varadhan_target(&torus, &[1.0, 2.0], &[1.5, 1.0], 0.5, &mut out);
        assert!((out[0] + 1.0).abs() < 1e-14 && (out[1] - 2.0).abs() < 1e-14);
    }
}
