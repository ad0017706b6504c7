//! The score network: parameters, fast inference, the tape forward pass, and `ScoreField`.

use super::config::{Activation, ScoreNetConfig};
use super::projection::TangentProjection;
use crate::autodiff::{Tape, Var};
use crate::error::{check_len, check_time, Error, Result};
use crate::linalg::{matmul_into, Transpose};
use crate::manifold::{check_finite, CoordinateKind, Manifold};
use crate::random::{derive_seed, rng_from_seed, standard_normal, Purpose};
use crate::score::{time, ScoreField};
use faer::Par;
use rayon::prelude::*;
use std::sync::Arc;

/// Rows per parallel task of the inference path ([`ScoreNet::score_into`]). Fixed, so results
/// do not depend on the thread count; 128 rows keep each GEMM large enough for the blocked
/// kernel (a 128×512·512×512 product is 67 Mflop).
pub const INFERENCE_CHUNK_ROWS: usize = 128;

/// Rows per tape of the exact divergence ([`ScoreField::divergence_batch`]).
const DIVERGENCE_CHUNK_ROWS: usize = 128;

/// An MLP score model on a manifold, `s_θ(x, σ) = P_x(net_θ(φ(x), ψ(σ))) / σ`
/// (see the [module docs](crate::nn)).
///
/// Parameters are one flat vector: for each layer `ℓ` (input to output), the weight matrix
/// `W_ℓ` (`fan_in × fan_out`, row-major, so a layer is `h ↦ h W_ℓ + b_ℓ` on row vectors), then
/// the bias `b_ℓ` (`fan_out`). Hidden layers apply the activation; the last layer is linear.
#[derive(Clone, Debug)]
pub struct ScoreNet {
    manifold: Arc<dyn Manifold>,
    config: ScoreNetConfig,
    projection: TangentProjection,
    params: Vec<f64>,
}

/// The variables of one forward pass recorded on a [`Tape`].
#[derive(Clone, Debug)]
pub struct TapeForward {
    /// The raw network output `net_θ(φ(x), ψ(σ))`, `rows × ambient_dim`, before the tangent
    /// projection and the division by `σ`.
    pub output: Var,
    /// The parameter leaves `W_0, b_0, W_1, b_1, …` (`b_ℓ` as `1 × fan_out`).
    pub params: Vec<Var>,
}

/// Offsets of one layer inside the flat parameter vector.
#[derive(Clone, Copy, Debug)]
struct Layer {
    weight: usize,
    bias: usize,
    fan_in: usize,
    fan_out: usize,
}

impl ScoreNet {
    /// A freshly initialised network: biases zero; hidden weights He-normal
    /// `N(0, 2/fan_in)` for SiLU and softplus (He et al. 2015), Xavier-normal
    /// `N(0, 2/(fan_in + fan_out))` for tanh and for the linear output layer (Glorot & Bengio
    /// 2010). Draws come from one generator, layer by layer, row-major, seeded with the
    /// initialisation stream of the user seed, `derive_seed(seed, Purpose::Initialisation)`
    /// ([`crate::random`]).
    ///
    /// # Errors
    /// [`ScoreNetConfig::validate`]'s errors; [`Error::DimensionMismatch`] if
    /// `config.ambient_dim` differs from the manifold's.
    pub fn new(manifold: Arc<dyn Manifold>, config: ScoreNetConfig, seed: u64) -> Result<Self> {
        Self::check_config(manifold.as_ref(), &config)?;
        let mut params = vec![0.0; config.param_count()];
        let mut rng = rng_from_seed(derive_seed(seed, Purpose::Initialisation));
        let layers = layers_of(&config);
        let last = layers.len() - 1;
        for (l, layer) in layers.iter().enumerate() {
            let (fi, fo) = (layer.fan_in as f64, layer.fan_out as f64);
            let std = if l < last && config.activation != Activation::Tanh {
                (2.0 / fi).sqrt()
            } else {
                (2.0 / (fi + fo)).sqrt()
            };
            for w in &mut params[layer.weight..layer.weight + layer.fan_in * layer.fan_out] {
                *w = std * standard_normal(&mut rng);
            }
        }
        Ok(ScoreNet {
            projection: manifold.tangent_projection(),
            manifold,
            config,
            params,
        })
    }

    /// A network with given parameters (e.g. from a checkpoint).
    ///
    /// # Errors
    /// As [`ScoreNet::new`]; [`Error::DimensionMismatch`] if `params.len()` differs from
    /// [`ScoreNetConfig::param_count`]; [`Error::NonFinite`] for a NaN or infinite parameter.
    pub fn from_params(
        manifold: Arc<dyn Manifold>,
        config: ScoreNetConfig,
        params: Vec<f64>,
    ) -> Result<Self> {
        Self::check_config(manifold.as_ref(), &config)?;
        check_len("network parameters", params.len(), config.param_count())?;
        check_finite("network parameters", &params)?;
        Ok(ScoreNet {
            projection: manifold.tangent_projection(),
            manifold,
            config,
            params,
        })
    }

    fn check_config(manifold: &dyn Manifold, config: &ScoreNetConfig) -> Result<()> {
        config.validate()?;
        check_len(
            "score network output (config.ambient_dim vs the manifold's ambient dimension)",
            config.ambient_dim,
            manifold.ambient_dim(),
        )
    }

    /// The architecture.
    pub fn config(&self) -> &ScoreNetConfig {
        &self.config
    }

    /// The manifold, shared.
    pub fn manifold_arc(&self) -> &Arc<dyn Manifold> {
        &self.manifold
    }

    /// The classified tangent projection of the manifold.
    pub fn projection(&self) -> TangentProjection {
        self.projection
    }

    /// The flat parameter vector (layout in the type docs).
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// Mutable access to the parameters (for optimisers).
    pub fn params_mut(&mut self) -> &mut [f64] {
        &mut self.params
    }

    /// Replaces the parameters.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] on a length mismatch; [`Error::NonFinite`] for NaN/∞.
    pub fn set_params(&mut self, params: &[f64]) -> Result<()> {
        check_len("network parameters", params.len(), self.params.len())?;
        check_finite("network parameters", params)?;
        self.params.copy_from_slice(params);
        Ok(())
    }

    /// A copy of this network with other parameters (e.g. the EMA average).
    ///
    /// # Errors
    /// As [`ScoreNet::set_params`].
    pub fn with_params(&self, params: &[f64]) -> Result<Self> {
        let mut net = self.clone();
        net.set_params(params)?;
        Ok(net)
    }

    /// Number of parameters.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// Writes the input features `[φ(x_r), ψ(σ_r)]`, `σ_r = √t_r`, of every row into `out`
    /// (`rows × feature_dim`). `times` has one entry per row, or a single shared entry.
    fn encode_features(&self, x: &[f64], times: &[f64], out: &mut [f64]) {
        let n = self.config.ambient_dim;
        let f = self.config.feature_dim();
        let fx = self.config.input_encoding.feature_count();
        for (r, (xr, fr)) in x.chunks_exact(n).zip(out.chunks_exact_mut(f)).enumerate() {
            self.config.input_encoding.encode(xr, &mut fr[..fx]);
            self.config
                .sigma_encoding
                .encode(time(times, r).sqrt(), &mut fr[fx..]);
        }
    }

    /// The raw network on a chunk: `features` (`rows × f`) to `out` (`rows × n`), through the
    /// two ping-pong buffers `a`, `b` (each at least `rows × width`). Bias is written first,
    /// then the GEMM accumulates onto it.
    fn mlp_into(
        &self,
        features: &[f64],
        rows: usize,
        a: &mut Vec<f64>,
        b: &mut Vec<f64>,
        out: &mut [f64],
        par: Par,
    ) {
        let layers = layers_of(&self.config);
        let last = layers.len() - 1;
        let mut input: &[f64] = features;
        let (mut current, mut spare) = (a, b);
        for (l, layer) in layers.iter().enumerate() {
            let bias = &self.params[layer.bias..layer.bias + layer.fan_out];
            let weight = &self.params[layer.weight..layer.weight + layer.fan_in * layer.fan_out];
            let dst: &mut [f64] = if l == last {
                &mut out[..rows * layer.fan_out]
            } else {
                current.resize(rows * layer.fan_out, 0.0);
                &mut current[..rows * layer.fan_out]
            };
            for row in dst.chunks_exact_mut(layer.fan_out) {
                row.copy_from_slice(bias);
            }
            matmul_into(
                dst,
                input,
                Transpose::No,
                weight,
                Transpose::No,
                rows,
                layer.fan_in,
                layer.fan_out,
                true,
                par,
            );
            if l < last {
                self.config.activation.apply_in_place(dst);
                std::mem::swap(&mut current, &mut spare);
                input = &spare[..rows * layer.fan_out];
            }
        }
    }

    /// The score `s_θ(x_r, t_r) = P_{x_r}(net_θ(x_r, σ_r)) / σ_r`, `σ_r = √t_r`, of every row
    /// of `x` into `out` (both `rows × ambient_dim`), by plain faer GEMMs into per-task
    /// buffers, in parallel over chunks of [`INFERENCE_CHUNK_ROWS`] rows (each chunk
    /// sequential inside). `times` holds one kernel time `t` per row, or a single `t` for all
    /// rows (the shapes of [`ScoreField::score_batch`], which this is).
    ///
    /// Cost: `2·rows·Σ fan_in·fan_out` flops ([`ScoreNetConfig::macs_per_point`]) plus one
    /// activation per hidden unit.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] for inconsistent lengths; [`Error::NonFinite`] for a
    /// non-finite coordinate; [`Error::InvalidArgument`] for `t ≤ 0` or non-finite.
    pub fn score_into(&self, x: &[f64], times: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.config.ambient_dim;
        let rows = self.check_batch_shapes(x, times)?;
        check_len("score output", out.len(), x.len())?;
        let f = self.config.feature_dim();
        let manifold = self.manifold.as_ref();
        x.par_chunks(INFERENCE_CHUNK_ROWS * n)
            .zip(out.par_chunks_mut(INFERENCE_CHUNK_ROWS * n))
            .enumerate()
            .for_each_init(
                || (Vec::new(), Vec::new(), Vec::new(), vec![0.0; n]),
                |(features, a, b, projected), (chunk, (xc, oc))| {
                    let rows_here = xc.len() / n;
                    let start = chunk * INFERENCE_CHUNK_ROWS;
                    let chunk_times = if times.len() == 1 {
                        times
                    } else {
                        &times[start..start + rows_here]
                    };
                    features.resize(rows_here * f, 0.0);
                    self.encode_features(xc, chunk_times, features);
                    self.mlp_into(features, rows_here, a, b, oc, Par::Seq);
                    for (r, (xr, or)) in xc.chunks_exact(n).zip(oc.chunks_exact_mut(n)).enumerate()
                    {
                        let sigma = time(chunk_times, r).sqrt();
                        manifold.project_tangent(xr, or, projected);
                        for (o, &p) in or.iter_mut().zip(projected.iter()) {
                            *o = p / sigma;
                        }
                    }
                },
            );
        debug_assert_eq!(rows * n, out.len());
        Ok(())
    }

    /// Validates a batch of points and kernel times; returns the number of rows.
    fn check_batch_shapes(&self, x: &[f64], times: &[f64]) -> Result<usize> {
        let n = self.config.ambient_dim;
        if x.len() % n != 0 {
            return Err(Error::DimensionMismatch {
                what: "batch of points (length must be a multiple of the ambient dimension)",
                expected: n * (x.len() / n + 1),
                found: x.len(),
            });
        }
        let rows = x.len() / n;
        if times.len() != 1 {
            check_len(
                "kernel times t (one per row, or one for all)",
                times.len(),
                rows,
            )?;
        }
        for &t in times {
            check_time(t)?;
        }
        check_finite("batch of points", x)?;
        Ok(rows)
    }

    /// Records the raw network `net_θ(φ(x), ψ(σ))`, `σ = √t`, on `tape` for the points
    /// `points` (a `rows × ambient_dim` variable, constant or differentiable) and kernel times
    /// `times` (one per row, or one for all). Parameters become differentiable leaves
    /// ([`Tape::input`]) when `differentiable_params`, constants otherwise.
    /// The point encoding is recorded with tape ops (`cos`, `sin` for angles), so derivatives
    /// with respect to `points` are exact.
    ///
    /// # Panics
    /// If `points` is not `rows × ambient_dim` or `times` has neither 1 nor `rows` entries.
    pub fn forward_tape(
        &self,
        tape: &mut Tape,
        points: Var,
        times: &[f64],
        differentiable_params: bool,
    ) -> TapeForward {
        let n = self.config.ambient_dim;
        let (rows, cols) = tape.shape(points);
        assert_eq!(
            cols, n,
            "forward_tape: points must have ambient_dim columns"
        );
        assert!(
            times.len() == 1 || times.len() == rows,
            "forward_tape: times length"
        );
        let k = self.config.sigma_encoding.feature_count();
        let mut sigma_features = vec![0.0; rows * k];
        for (r, sf) in sigma_features.chunks_exact_mut(k).enumerate() {
            self.config.sigma_encoding.encode(time(times, r).sqrt(), sf);
        }
        let sigma_var = tape.constant(rows, k, &sigma_features);
        let blocks = self.config.input_encoding.blocks();
        let mut parts = Vec::with_capacity(2 * blocks.len() + 1);
        let mut start = 0;
        for block in blocks {
            let coordinates = if blocks.len() == 1 {
                points
            } else {
                tape.slice_cols(points, start, start + block.len)
            };
            match block.kind {
                CoordinateKind::Embedded => parts.push(coordinates),
                CoordinateKind::Angles => {
                    let c = tape.cos(coordinates);
                    let s = tape.sin(coordinates);
                    parts.extend([c, s]);
                }
            }
            start += block.len;
        }
        parts.push(sigma_var);
        let features = tape.concat_cols(&parts);
        let layers = layers_of(&self.config);
        let last = layers.len() - 1;
        let mut params = Vec::with_capacity(2 * layers.len());
        let mut h = features;
        for (l, layer) in layers.iter().enumerate() {
            let w_data = &self.params[layer.weight..layer.weight + layer.fan_in * layer.fan_out];
            let b_data = &self.params[layer.bias..layer.bias + layer.fan_out];
            let (w, b) = if differentiable_params {
                (
                    tape.input(layer.fan_in, layer.fan_out, w_data),
                    tape.input(1, layer.fan_out, b_data),
                )
            } else {
                (
                    tape.constant(layer.fan_in, layer.fan_out, w_data),
                    tape.constant(1, layer.fan_out, b_data),
                )
            };
            params.push(w);
            params.push(b);
            let z = tape.matmul(h, w);
            let z = tape.add(z, b);
            h = if l < last {
                match self.config.activation {
                    Activation::Silu => tape.silu(z),
                    Activation::Tanh => tape.tanh(z),
                    Activation::Softplus => tape.softplus(z),
                }
            } else {
                z
            };
        }
        TapeForward { output: h, params }
    }

    /// Copies the gradients of the parameter leaves of `forward` (after [`Tape::backward`]) into
    /// the flat vector `grads` (same layout as the parameters); unreached leaves give zeros.
    ///
    /// # Panics
    /// If `grads.len()` differs from the parameter count or `forward` is not from this network.
    pub fn gather_param_grads(&self, tape: &Tape, forward: &TapeForward, grads: &mut [f64]) {
        self.collect_param_grads(tape, forward, grads, false);
    }

    /// Adds the gradients of the parameter leaves of `forward` to `grads` (the reduction of
    /// per-chunk gradients in data-parallel training). Elementwise, parallel over fixed blocks.
    ///
    /// # Panics
    /// As [`ScoreNet::gather_param_grads`].
    pub fn accumulate_param_grads(&self, tape: &Tape, forward: &TapeForward, grads: &mut [f64]) {
        self.collect_param_grads(tape, forward, grads, true);
    }

    fn collect_param_grads(
        &self,
        tape: &Tape,
        forward: &TapeForward,
        grads: &mut [f64],
        accumulate: bool,
    ) {
        const BLOCK: usize = 1 << 15;
        assert_eq!(grads.len(), self.params.len(), "gather_param_grads: length");
        let layers = layers_of(&self.config);
        assert_eq!(
            forward.params.len(),
            2 * layers.len(),
            "gather_param_grads: leaves"
        );
        for (layer, pair) in layers.iter().zip(forward.params.chunks_exact(2)) {
            let ranges = [
                (layer.weight, layer.fan_in * layer.fan_out, pair[0]),
                (layer.bias, layer.fan_out, pair[1]),
            ];
            for (start, len, var) in ranges {
                let dst = &mut grads[start..start + len];
                match (tape.grad(var), accumulate) {
                    (Some(g), false) => dst.copy_from_slice(g),
                    (Some(g), true) => {
                        dst.par_chunks_mut(BLOCK)
                            .zip(g.par_chunks(BLOCK))
                            .for_each(|(d, g)| {
                                for (d, &g) in d.iter_mut().zip(g) {
                                    *d += g;
                                }
                            })
                    }
                    (None, false) => dst.iter_mut().for_each(|v| *v = 0.0),
                    (None, true) => {}
                }
            }
        }
    }

    /// Exact divergence of the raw-projected field `P_x net(x, σ)` (not yet divided by `σ`) for
    /// a chunk of rows at kernel times `times` (one, or one per row), on one tape: `d` reverse
    /// sweeps with seeds `e_i` give `J_Yᵀ e_i` per row.
    fn divergence_chunk(&self, tape: &mut Tape, x: &[f64], times: &[f64], out: &mut [f64]) {
        let manifold = self.manifold.as_ref();
        let (d, n) = (manifold.dim(), manifold.ambient_dim());
        let rows = x.len() / n;
        tape.clear();
        let points = tape.input(rows, n, x);
        let forward = self.forward_tape(tape, points, times, false);
        let y = tape.value(forward.output).to_vec();
        // Tangent bases of all rows: basis[r][i] is e_i at x_r.
        let mut bases = vec![0.0; rows * d * n];
        for (xr, br) in x.chunks_exact(n).zip(bases.chunks_exact_mut(d * n)) {
            manifold.tangent_basis(xr, br);
        }
        let mut scratch = vec![0.0; 4 * n];
        for (r, o) in out.iter_mut().enumerate() {
            let (xr, yr) = (&x[r * n..(r + 1) * n], &y[r * n..(r + 1) * n]);
            *o = self.projection.curvature_term(
                manifold,
                xr,
                yr,
                &bases[r * d * n..(r + 1) * d * n],
                &mut scratch,
            );
        }
        let mut seed = vec![0.0; rows * n];
        for i in 0..d {
            for r in 0..rows {
                let e = &bases[(r * d + i) * n..(r * d + i + 1) * n];
                seed[r * n..(r + 1) * n].copy_from_slice(e);
            }
            tape.backward_with_seed(forward.output, &seed);
            let jt_e = tape.grad(points).expect("points are a differentiable leaf");
            for (r, o) in out.iter_mut().enumerate() {
                let xr = &x[r * n..(r + 1) * n];
                *o += manifold.inner(xr, &seed[r * n..(r + 1) * n], &jt_e[r * n..(r + 1) * n]);
            }
        }
    }
}

/// Layer offsets in the flat parameter vector.
fn layers_of(config: &ScoreNetConfig) -> Vec<Layer> {
    let mut offset = 0;
    config
        .layer_shapes()
        .into_iter()
        .map(|(fan_in, fan_out)| {
            let layer = Layer {
                weight: offset,
                bias: offset + fan_in * fan_out,
                fan_in,
                fan_out,
            };
            offset += fan_in * fan_out + fan_out;
            layer
        })
        .collect()
}

/// The network as a time-dependent score field with `σ = √t` (every schedule of this crate
/// has `t = σ(s)²`, [`crate::conventions`]).
impl ScoreField for ScoreNet {
    fn manifold(&self) -> &dyn Manifold {
        self.manifold.as_ref()
    }

    fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        self.score_into(x, t, out)
    }

    /// Exact divergence `div s_θ(x, t)` (to round-off) via the autodiff tape:
    /// `div(P Y)/σ` with `Σ_i ⟨e_i, J_Y e_i⟩` from `d` vector–Jacobian products (one reverse
    /// sweep per tangent basis vector, all rows of a chunk at once) plus the projection's
    /// curvature term ([`TangentProjection`]). Cost about `(1 + 2d)` forward passes per row.
    /// Parallel over fixed chunks of 128 rows, one tape per chunk, sequential GEMMs inside.
    fn divergence_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
        let n = self.config.ambient_dim;
        let rows = self.check_batch_shapes(x, t)?;
        check_len("divergence output", out.len(), rows)?;
        x.par_chunks(DIVERGENCE_CHUNK_ROWS * n)
            .zip(out.par_chunks_mut(DIVERGENCE_CHUNK_ROWS))
            .enumerate()
            .for_each_init(
                || {
                    let mut tape = Tape::new();
                    tape.set_parallelism(Par::Seq);
                    tape
                },
                |tape, (chunk, (xc, oc))| {
                    let start = chunk * DIVERGENCE_CHUNK_ROWS;
                    let times = if t.len() == 1 {
                        t
                    } else {
                        &t[start..start + oc.len()]
                    };
                    self.divergence_chunk(tape, xc, times, oc);
                    for (r, o) in oc.iter_mut().enumerate() {
                        *o /= time(times, r).sqrt();
                    }
                },
            );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::{Sphere, Torus};
    use crate::nn::{Activation, SigmaEncoding};
    use crate::random::fill_standard_normal;

    fn net(
        manifold: Arc<dyn Manifold>,
        activation: Activation,
        sigma_encoding: SigmaEncoding,
    ) -> ScoreNet {
        let mut config = ScoreNetConfig::for_manifold(manifold.as_ref());
        config.hidden_width = 16;
        config.hidden_layers = 3;
        config.activation = activation;
        config.sigma_encoding = sigma_encoding;
        let mut net = ScoreNet::new(manifold, config, 11).unwrap();
        // Non-zero biases so that every parameter matters.
        let mut rng = rng_from_seed(3);
        for p in net.params_mut().iter_mut() {
            *p += 0.1 * standard_normal(&mut rng);
        }
        net
    }

    fn points(manifold: &dyn Manifold, rows: usize, seed: u64) -> Vec<f64> {
        let n = manifold.ambient_dim();
        let mut rng = rng_from_seed(seed);
        let mut x = vec![0.0; rows * n];
        for r in x.chunks_exact_mut(n) {
            manifold.sample_uniform(&mut rng, r);
        }
        x
    }

    #[test]
    fn inference_matches_tape_forward_and_is_tangent() {
        let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
        for activation in [Activation::Silu, Activation::Tanh, Activation::Softplus] {
            let net = net(
                sphere.clone(),
                activation,
                SigmaEncoding::LogSinusoidal { frequencies: 3 },
            );
            let rows = 300; // more than two inference chunks, last one partial
            let x = points(sphere.as_ref(), rows, 1);
            let sigmas: Vec<f64> = (0..rows).map(|r| 0.01 + 0.01 * r as f64).collect();
            let times: Vec<f64> = sigmas.iter().map(|s| s * s).collect();
            let mut fast = vec![0.0; rows * 3];
            net.score_into(&x, &times, &mut fast).unwrap();
            let mut tape = Tape::new();
            let xv = tape.constant(rows, 3, &x);
            let fwd = net.forward_tape(&mut tape, xv, &times, true);
            let y = tape.value(fwd.output);
            for r in 0..rows {
                let (xr, yr) = (&x[r * 3..r * 3 + 3], &y[r * 3..r * 3 + 3]);
                let xy: f64 = xr.iter().zip(yr).map(|(a, b)| a * b).sum();
                for j in 0..3 {
                    let expected = (yr[j] - xy * xr[j]) / sigmas[r];
                    // Same GEMMs in a different blocking: agreement to a few ulps of the sums.
                    assert!((fast[r * 3 + j] - expected).abs() < 1e-12 * (1.0 + expected.abs()));
                }
                let tangential: f64 = xr
                    .iter()
                    .zip(&fast[r * 3..r * 3 + 3])
                    .map(|(a, b)| a * b)
                    .sum();
                assert!(tangential.abs() < 1e-12 * (1.0 + fast[r * 3].abs()));
            }
        }
    }

    #[test]
    fn inference_is_independent_of_thread_count() {
        let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
        let net = net(sphere.clone(), Activation::Silu, SigmaEncoding::Raw);
        let x = points(sphere.as_ref(), 700, 2);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let mut out = vec![0.0; x.len()];
            pool.install(|| net.score_batch(&x, &[0.3], &mut out))
                .unwrap();
            out
        };
        assert_eq!(run(1), run(2));
    }

    /// The exact divergence against central differences along geodesics (the trait default,
    /// h = 1e-4): the difference must be within the default's own error, O(h²·|V'''|) + O(ε|V|/h),
    /// about 1e-7 relative for these unit-scale networks at σ = 0.5.
    #[test]
    fn exact_divergence_matches_finite_differences() {
        struct Reference<'a>(&'a ScoreNet);
        impl ScoreField for Reference<'_> {
            fn manifold(&self) -> &dyn Manifold {
                ScoreField::manifold(self.0)
            }
            fn score_batch(&self, x: &[f64], t: &[f64], out: &mut [f64]) -> Result<()> {
                self.0.score_batch(x, t, out)
            }
        }
        let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
        let sphere4: Arc<dyn Manifold> = Arc::new(Sphere::new(4).unwrap());
        let torus: Arc<dyn Manifold> = Arc::new(Torus::new(2).unwrap());
        for (m, enc) in [
            (sphere, SigmaEncoding::Raw),
            (sphere4, SigmaEncoding::LogSinusoidal { frequencies: 2 }),
            (torus, SigmaEncoding::Raw),
        ] {
            let net = net(m.clone(), Activation::Silu, enc);
            let x = points(m.as_ref(), 150, 4);
            let rows = 150;
            let t = 0.25;
            let mut exact = vec![0.0; rows];
            let mut fd = vec![0.0; rows];
            net.divergence_batch(&x, &[t], &mut exact).unwrap();
            Reference(&net).divergence_batch(&x, &[t], &mut fd).unwrap();
            let scale = exact.iter().map(|v| v.abs()).fold(0.0, f64::max);
            assert!(scale > 0.1, "{}: trivial divergences", m.spec());
            for r in 0..rows {
                assert!(
                    (exact[r] - fd[r]).abs() < 1e-6 * scale,
                    "{} row {r}: {} vs {}",
                    m.spec(),
                    exact[r],
                    fd[r]
                );
            }
        }
    }

    #[test]
    fn rejects_bad_input() {
        let sphere: Arc<dyn Manifold> = Arc::new(Sphere::new(2).unwrap());
        let net = net(sphere.clone(), Activation::Silu, SigmaEncoding::Raw);
        let mut out = vec![0.0; 6];
        assert!(net
            .score_batch(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], &[0.0], &mut out)
            .is_err());
        assert!(net
            .score_batch(&[1.0, 0.0, 0.0, 0.0, 1.0, f64::NAN], &[0.1], &mut out)
            .is_err());
        assert!(net
            .score_batch(&[1.0, 0.0, 0.0, 0.0, 1.0], &[0.1], &mut out[..5])
            .is_err());
        assert!(net
            .score_into(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], &[0.1, -1.0], &mut out)
            .is_err());
        let mut div = vec![0.0; 1];
        assert!(net
            .divergence_batch(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], &[0.1], &mut div)
            .is_err());
        let mut cfg = net.config().clone();
        cfg.ambient_dim = 4;
        assert!(ScoreNet::new(sphere.clone(), cfg, 0).is_err());
        let mut bad = net.params().to_vec();
        bad[0] = f64::INFINITY;
        assert!(ScoreNet::from_params(sphere, net.config().clone(), bad).is_err());
        let mut v = vec![0.0; 3];
        fill_standard_normal(&mut rng_from_seed(1), &mut v);
    }
}
