//! The training loop (any [`Loss`]): options, the step-wise trainer, the trained model.

use super::dsm::{dsm_loss_and_gradient, DsmWorkspace};
use super::ism::{ism_loss_and_gradient, sliced_ism_loss_and_gradient, varadhan_target};
use super::loss::{Loss, Probe};
use crate::error::{Error, Result};
use crate::limits::{check_at_most, zeroed_buffer, MAX_BATCH_SIZE, MAX_BUFFER_REALS, MAX_STEPS};
use crate::manifold::{check_batch, Manifold, MEMBERSHIP_TOLERANCE};
use crate::nn::{clip_global_norm, Adam, AdamOptions, Ema, ScoreNet};
use crate::random::{derive_seed, rng_from_seed, standard_normal, uniform, Purpose, Rng};
use crate::registry::SPHERE_SIGMA_MAX;
use crate::schedule::{GeometricSchedule, DEFAULT_SIGMA_MIN};
use crate::score::ScoreField;
use rand::RngExt;
use rayon::prelude::*;
use std::ops::ControlFlow;
use std::path::Path;

/// Rows of a training batch drawn per rayon task; chunk `k` of step `i` uses the random stream
/// number `i·⌈B/32⌉ + k` (jumps of one generator), so batches depend only on the seed.
pub const BATCH_CHUNK_ROWS: usize = 32;

/// What DSM needs from the forward (noising) process: exact draws from the heat kernel and
/// its exact score.
pub trait DsmKernel: Send + Sync {
    /// The manifold.
    fn manifold(&self) -> &dyn Manifold;

    /// Draws `x ~ p_t(x₀, ·)` into `x` and writes the target `∇_x log p_t(x₀, x)` (Riemannian
    /// gradient in ambient coordinates) into `target`.
    ///
    /// # Errors
    /// Numerical failures of the sampler or the kernel.
    fn sample_with_score(
        &self,
        x0: &[f64],
        t: f64,
        rng: &mut Rng,
        x: &mut [f64],
        target: &mut [f64],
    ) -> Result<()>;

    /// Draws `x ~ p_t(x₀, ·)` only (the losses without targets: ISM, sliced ISM, DSM with
    /// Varadhan targets). The default calls [`DsmKernel::sample_with_score`] and discards the
    /// score; implementations with a separate sampler should override it.
    ///
    /// # Errors
    /// Numerical failures of the sampler.
    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, x: &mut [f64]) -> Result<()> {
        let mut target = vec![0.0; x.len()];
        self.sample_with_score(x0, t, rng, x, &mut target)
    }
}

/// Options of [`train`] / [`DsmTrainer`], with documented defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainOptions {
    /// Number of optimiser steps (default 5 000).
    pub steps: usize,
    /// Batch size `B` (default 256; the RSGM S² experiments use 512 on GPUs).
    pub batch_size: usize,
    /// Adam learning rate (default 1e-3; other Adam constants in [`AdamOptions::default`]).
    pub learning_rate: f64,
    /// Smallest noise level `σ_min` (default [`DEFAULT_SIGMA_MIN`] = 1e-2, `t_min = 1e-4`).
    pub sigma_min: f64,
    /// Largest noise level `σ_max` (default [`SPHERE_SIGMA_MAX`] = 3, `t_max = 9`;
    /// [`TrainOptions::for_manifold`] sets the manifold's own, e.g. 5 on tori, 4 on SO(n)).
    pub sigma_max: f64,
    /// Diffusion times are drawn from `U[s_min, 1]` (default 0).
    pub s_min: f64,
    /// The user seed of the training batches and their noise (default 0). The trainer draws
    /// from the stream [`derive_seed`]`(seed, Purpose::Batches)`, independent of the streams
    /// the same seed gives the data, the split and the initialisation ([`crate::random`]).
    pub seed: u64,
    /// EMA decay (default 0.999, with warm-up, see [`Ema`]).
    pub ema_decay: f64,
    /// Clip the gradient to this global norm (default `None`: no clipping).
    pub grad_clip: Option<f64>,
    /// Steps between reports with an interval mean (default 100).
    pub log_interval: usize,
    /// The score-matching objective (default [`Loss::Dsm`]).
    pub loss: Loss,
}

/// The defaults of [`TrainOptions`] (also those of `rdiff train`): sized for a 2-core CPU, where
/// 5 000 steps of batch 256 train the 3×128 default network ([`crate::nn::ScoreNetConfig`]) in
/// about 30 s on `S²`.
impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            steps: 5_000,
            batch_size: 256,
            learning_rate: 1e-3,
            sigma_min: DEFAULT_SIGMA_MIN,
            sigma_max: SPHERE_SIGMA_MAX,
            s_min: 0.0,
            seed: 0,
            ema_decay: 0.999,
            grad_clip: None,
            log_interval: 100,
            loss: Loss::Dsm,
        }
    }
}

impl TrainOptions {
    /// The defaults with the manifold's own `σ_max`
    /// ([`crate::registry::Registry::default_sigma_max`] of the built-in registry: 3 on
    /// spheres, 5 on tori and U(n), 4 on SO(n) and SU(n), the largest factor's on products).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a user manifold the built-in registry does not know (use
    /// [`TrainOptions::for_manifold_in`]).
    pub fn for_manifold(manifold: &dyn Manifold) -> Result<Self> {
        Self::for_manifold_in(crate::registry::builtin(), manifold)
    }

    /// As [`TrainOptions::for_manifold`] with the `σ_max` of `registry` (user manifolds).
    ///
    /// # Errors
    /// As [`crate::registry::Registry::default_sigma_max`].
    pub fn for_manifold_in(
        registry: &crate::registry::Registry,
        manifold: &dyn Manifold,
    ) -> Result<Self> {
        Ok(TrainOptions {
            sigma_max: registry.default_sigma_max(manifold)?,
            ..TrainOptions::default()
        })
    }

    /// Checks every option, sizes against the resource policy ([`crate::limits`]):
    /// `steps ≤` [`MAX_STEPS`], `1 ≤ batch_size ≤` [`MAX_BATCH_SIZE`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad option; [`Error::LimitExceeded`] for a size
    /// over its bound.
    pub fn validate(&self) -> Result<()> {
        if self.batch_size == 0 {
            return Err(Error::invalid(
                "batch_size",
                self.batch_size,
                "a batch size >= 1",
            ));
        }
        check_at_most(
            "batch_size",
            self.batch_size,
            MAX_BATCH_SIZE,
            "memory: every row of a batch keeps its activations on a tape",
        )?;
        check_at_most(
            "steps",
            self.steps,
            MAX_STEPS,
            "time and memory: one loss per step is kept",
        )?;
        if self.log_interval == 0 {
            return Err(Error::invalid(
                "log_interval",
                self.log_interval,
                "an interval >= 1",
            ));
        }
        if !(0.0..1.0).contains(&self.s_min) {
            return Err(Error::invalid(
                "s_min",
                self.s_min,
                "a diffusion time in [0, 1)",
            ));
        }
        if let Some(c) = self.grad_clip {
            if !(c.is_finite() && c > 0.0) {
                return Err(Error::invalid("grad_clip", c, "a finite norm > 0"));
            }
        }
        GeometricSchedule::new(self.sigma_min, self.sigma_max)?;
        AdamOptions {
            learning_rate: self.learning_rate,
            ..AdamOptions::default()
        }
        .validate()?;
        Ema::new(&[], self.ema_decay)?;
        self.loss.validate()?;
        Ok(())
    }
}

/// Checks the memory a training run's tapes need against the resource policy: every row of a
/// batch keeps about `4·(features + width·(depth + 1) + ambient_dim)` reals on its tape
/// (values, gradients and saved activations), times `1 + 2·seeds` for the divergence losses,
/// which record `seeds` backward passes per row (`seeds` = the manifold dimension for exact
/// ISM, the probes per point for sliced ISM).
///
/// # Errors
/// [`Error::LimitExceeded`] if that exceeds [`MAX_BUFFER_REALS`].
fn check_training_memory(
    config: &crate::nn::ScoreNetConfig,
    manifold_dim: usize,
    options: &TrainOptions,
) -> Result<()> {
    let seeds = match options.loss {
        Loss::Ism => manifold_dim,
        Loss::Sliced { probes, .. } => probes,
        Loss::Dsm | Loss::DsmVaradhan => 0,
    };
    let per_row = config
        .hidden_width
        .checked_mul(config.hidden_layers.saturating_add(1))
        .and_then(|a| a.checked_add(config.feature_dim()))
        .and_then(|a| a.checked_add(config.ambient_dim))
        .and_then(|a| a.checked_mul(4))
        .and_then(|a| a.checked_mul(seeds.saturating_mul(2).saturating_add(1)));
    let total = per_row.and_then(|r| r.checked_mul(options.batch_size));
    match total {
        Some(reals) if reals <= MAX_BUFFER_REALS => Ok(()),
        _ => Err(Error::LimitExceeded {
            name: "batch_size",
            value: format!(
                "{} rows of a {}×{} network ({} loss)",
                options.batch_size, config.hidden_layers, config.hidden_width, options.loss
            ),
            limit: format!("{MAX_BUFFER_REALS} reals of tape memory"),
            reason: "memory: every row keeps its activations on a tape (lower the batch size)",
        }),
    }
}

/// What one step reports (to a progress bar or a log).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepReport {
    /// Steps completed (1-based).
    pub step: usize,
    /// Total steps planned.
    pub total_steps: usize,
    /// Loss ([`TrainOptions::loss`]) of this step's batch (before the update). ISM losses can
    /// be negative (they equal DSM minus a constant).
    pub loss: f64,
    /// Gradient norm before clipping.
    pub grad_norm: f64,
    /// Mean loss of the last `log_interval` steps, on every `log_interval`-th step (and the
    /// last one); `None` otherwise.
    pub interval_mean: Option<f64>,
}

/// The result of training: final and averaged parameters, the schedule, the loss history.
#[derive(Clone, Debug)]
pub struct TrainedModel {
    /// The network with the final parameters.
    pub network: ScoreNet,
    /// The EMA of the parameters (use for sampling and evaluation).
    pub ema_params: Vec<f64>,
    /// The noise schedule trained on.
    pub schedule: GeometricSchedule,
    /// The training loss of every step.
    pub losses: Vec<f64>,
}

impl TrainedModel {
    /// The network with the EMA parameters.
    pub fn ema_network(&self) -> ScoreNet {
        self.network
            .with_params(&self.ema_params)
            .expect("EMA parameters have the network's length and are finite")
    }

    /// Saves network, EMA parameters and schedule (`sigma_min`, `sigma_max`, `steps` metadata)
    /// atomically ([`crate::nn::Checkpoint`]).
    ///
    /// # Errors
    /// As [`crate::nn::Checkpoint::save`].
    pub fn save(&self, path: &Path) -> Result<()> {
        let metadata = vec![
            (
                "sigma_min".to_string(),
                format!("{:e}", self.schedule.sigma_min()),
            ),
            (
                "sigma_max".to_string(),
                format!("{:e}", self.schedule.sigma_max()),
            ),
            ("steps".to_string(), self.losses.len().to_string()),
        ];
        self.network.save(path, Some(&self.ema_params), metadata)
    }
}

/// Score-matching training one step at a time, with the loss of [`TrainOptions::loss`] (see
/// [`train`] for the whole loop). The name is historical: every [`Loss`] trains through it.
pub struct DsmTrainer<'a> {
    network: ScoreNet,
    kernel: &'a dyn DsmKernel,
    data: &'a [f64],
    schedule: GeometricSchedule,
    options: TrainOptions,
    adam: Adam,
    ema: Ema,
    workspace: DsmWorkspace,
    grads: Vec<f64>,
    streams: Rng,
    points: Vec<f64>,
    times: Vec<f64>,
    targets: Vec<f64>,
    probes: Vec<f64>,
    losses: Vec<f64>,
}

impl<'a> DsmTrainer<'a> {
    /// A trainer for `network` on the data set `data` (row-major points of the network's
    /// manifold) with the noising process `kernel`.
    ///
    /// # Errors
    /// [`TrainOptions::validate`]'s errors; [`Error::InvalidArgument`] for an empty data set or
    /// a kernel on another manifold; [`check_batch`]'s errors for points off the manifold.
    pub fn new(
        network: ScoreNet,
        data: &'a [f64],
        kernel: &'a dyn DsmKernel,
        options: TrainOptions,
    ) -> Result<Self> {
        options.validate()?;
        let manifold = network.manifold();
        if kernel.manifold().spec() != manifold.spec() {
            return Err(Error::invalid(
                "kernel",
                kernel.manifold().spec(),
                format!(
                    "a heat kernel on the network's manifold {}",
                    manifold.spec()
                ),
            ));
        }
        let rows = check_batch(manifold, data, MEMBERSHIP_TOLERANCE)?;
        if rows == 0 {
            return Err(Error::invalid(
                "data",
                "an empty data set",
                "at least one training point",
            ));
        }
        let n = manifold.ambient_dim();
        let b = options.batch_size;
        check_training_memory(network.config(), manifold.dim(), &options)?;
        let probes_per_row = match options.loss {
            Loss::Sliced { probes, .. } => probes,
            _ => 0,
        };
        let points = zeroed_buffer("training batch (batch_size × ambient_dim)", b, n)?;
        let targets = zeroed_buffer("training targets (batch_size × ambient_dim)", b, n)?;
        let probes = zeroed_buffer(
            "Hutchinson probes (batch_size × probes × ambient_dim)",
            b.saturating_mul(probes_per_row),
            n,
        )?;
        let adam = Adam::new(
            network.param_count(),
            AdamOptions {
                learning_rate: options.learning_rate,
                ..AdamOptions::default()
            },
        )?;
        let ema = Ema::new(network.params(), options.ema_decay)?;
        Ok(DsmTrainer {
            grads: vec![0.0; network.param_count()],
            schedule: GeometricSchedule::new(options.sigma_min, options.sigma_max)?,
            // The batches' own stream of the user seed (independent of the data, split and
            // initialisation streams derived from the same seed).
            streams: rng_from_seed(derive_seed(options.seed, Purpose::Batches)),
            network,
            kernel,
            data,
            options,
            adam,
            ema,
            workspace: DsmWorkspace::new(),
            points,
            times: vec![0.0; b],
            targets,
            probes,
            losses: Vec::new(),
        })
    }

    /// The network with the current parameters.
    pub fn network(&self) -> &ScoreNet {
        &self.network
    }

    /// The current EMA parameters.
    pub fn ema_params(&self) -> &[f64] {
        self.ema.params()
    }

    /// Losses of the steps taken so far.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    /// Draws the next batch into the trainer's buffers: per row a data point `x₀` (uniform
    /// index), `s ~ U[s_min, 1]`, `σ = σ(s)`, `x ~ p_{σ²}(x₀, ·)`, then what the loss needs: the
    /// exact target score ([`Loss::Dsm`]), the Varadhan target ([`Loss::DsmVaradhan`]), nothing
    /// ([`Loss::Ism`]) or `K` tangent probes `z = P_x ε` ([`Loss::Sliced`]), all from the
    /// chunk's stream in this order.
    fn draw_batch(&mut self) -> Result<()> {
        let n = self.network.config().ambient_dim;
        let data_rows = self.data.len() / n;
        let chunks = self.options.batch_size.div_ceil(BATCH_CHUNK_ROWS);
        let mut rngs = Vec::with_capacity(chunks);
        for _ in 0..chunks {
            rngs.push(self.streams.clone());
            self.streams.jump();
        }
        let (data, kernel, schedule, s_min, loss) = (
            self.data,
            self.kernel,
            self.schedule,
            self.options.s_min,
            self.options.loss,
        );
        let manifold = self.network.manifold();
        let probe_count = match loss {
            Loss::Sliced { probes, .. } => probes,
            _ => 0,
        };
        // Empty probe buffers still need one (empty) chunk per batch chunk.
        let probe_chunk = (BATCH_CHUNK_ROWS * probe_count * n).max(1);
        let mut no_probes = vec![0.0; chunks];
        let probe_chunks: Vec<&mut [f64]> = if probe_count > 0 {
            self.probes.chunks_mut(probe_chunk).collect()
        } else {
            no_probes.chunks_mut(1).map(|c| &mut c[..0]).collect()
        };
        self.points
            .par_chunks_mut(BATCH_CHUNK_ROWS * n)
            .zip(self.targets.par_chunks_mut(BATCH_CHUNK_ROWS * n))
            .zip(self.times.par_chunks_mut(BATCH_CHUNK_ROWS))
            .zip(rngs.par_iter_mut())
            .zip(probe_chunks.into_par_iter())
            .try_for_each(
                |((((points, targets), times), rng), probes)| -> Result<()> {
                    let mut epsilon = vec![0.0; n];
                    for (r, ((x, target), time)) in points
                        .chunks_exact_mut(n)
                        .zip(targets.chunks_exact_mut(n))
                        .zip(times.iter_mut())
                        .enumerate()
                    {
                        let index = rng.random_range(0..data_rows);
                        let s = s_min + (1.0 - s_min) * uniform(rng);
                        let t = schedule.kernel_time(s);
                        *time = t;
                        let x0 = &data[index * n..(index + 1) * n];
                        match loss {
                            Loss::Dsm => kernel.sample_with_score(x0, t, rng, x, target)?,
                            Loss::DsmVaradhan => {
                                kernel.sample(x0, t, rng, x)?;
                                varadhan_target(manifold, x0, x, t, target);
                            }
                            Loss::Ism => kernel.sample(x0, t, rng, x)?,
                            Loss::Sliced { probe, probes: k } => {
                                kernel.sample(x0, t, rng, x)?;
                                for z in probes[r * k * n..(r + 1) * k * n].chunks_exact_mut(n) {
                                    for e in epsilon.iter_mut() {
                                        *e = match probe {
                                            Probe::Rademacher => {
                                                if rng.random::<bool>() {
                                                    1.0
                                                } else {
                                                    -1.0
                                                }
                                            }
                                            Probe::Gaussian => standard_normal(rng),
                                        };
                                    }
                                    manifold.project_tangent(x, &epsilon, z);
                                }
                            }
                        }
                    }
                    Ok(())
                },
            )
    }

    /// The loss of the drawn batch and its gradient into `self.grads`.
    fn loss_and_gradient(&mut self) -> Result<f64> {
        match self.options.loss {
            Loss::Dsm | Loss::DsmVaradhan => dsm_loss_and_gradient(
                &self.network,
                &mut self.workspace,
                &self.points,
                &self.times,
                &self.targets,
                &mut self.grads,
            ),
            Loss::Ism => ism_loss_and_gradient(
                &self.network,
                &mut self.workspace,
                &self.points,
                &self.times,
                &mut self.grads,
            ),
            Loss::Sliced { probes, .. } => sliced_ism_loss_and_gradient(
                &self.network,
                &mut self.workspace,
                &self.points,
                &self.times,
                &self.probes,
                probes,
                &mut self.grads,
            ),
        }
    }

    /// One training step: draw a batch, loss ([`TrainOptions::loss`]) and gradient, clipping,
    /// Adam, EMA.
    ///
    /// # Errors
    /// The kernel's errors; [`Error::Numerical`] if the loss or the gradient is not finite
    /// (divergence: lower the learning rate or enable clipping).
    pub fn step(&mut self) -> Result<StepReport> {
        self.draw_batch()?;
        let loss = self.loss_and_gradient()?;
        let grad_norm = match self.options.grad_clip {
            Some(c) => clip_global_norm(&mut self.grads, c),
            None => self.grads.iter().map(|g| g * g).sum::<f64>().sqrt(),
        };
        if !(loss.is_finite() && grad_norm.is_finite()) {
            return Err(Error::Numerical {
                method: "score-matching training",
                detail: format!(
                    "step {}: loss {}, gradient norm {} (lower the learning rate, or clip the \
                     gradient norm)",
                    self.losses.len() + 1,
                    crate::error::Num(loss),
                    crate::error::Num(grad_norm)
                ),
            });
        }
        self.adam.step(self.network.params_mut(), &self.grads);
        self.ema.update(self.network.params());
        self.losses.push(loss);
        let step = self.losses.len();
        let interval = self.options.log_interval;
        let interval_mean = (step % interval == 0 || step == self.options.steps).then(|| {
            let start = step - ((step - 1) % interval + 1);
            let recent = &self.losses[start..];
            recent.iter().sum::<f64>() / recent.len() as f64
        });
        Ok(StepReport {
            step,
            total_steps: self.options.steps,
            loss,
            grad_norm,
            interval_mean,
        })
    }

    /// The trained model (current and EMA parameters, schedule, loss history).
    pub fn finish(self) -> TrainedModel {
        TrainedModel {
            ema_params: self.ema.params().to_vec(),
            network: self.network,
            schedule: self.schedule,
            losses: self.losses,
        }
    }
}

/// Trains `network` with `options.loss` (DSM by default) for `options.steps` steps (or until `callback` breaks), calling
/// `callback` after every step.
///
/// Deterministic: the same network, data, kernel and options give bit-identical parameters for
/// any number of rayon threads (batches use fixed chunks and jumped streams; the GEMMs and
/// reductions have a fixed order).
///
/// # Errors
/// As [`DsmTrainer::new`] and [`DsmTrainer::step`].
pub fn train(
    network: ScoreNet,
    data: &[f64],
    kernel: &dyn DsmKernel,
    options: TrainOptions,
    mut callback: impl FnMut(&StepReport) -> ControlFlow<()>,
) -> Result<TrainedModel> {
    let mut trainer = DsmTrainer::new(network, data, kernel, options)?;
    for _ in 0..options.steps {
        let report = trainer.step()?;
        if callback(&report).is_break() {
            break;
        }
    }
    Ok(trainer.finish())
}
