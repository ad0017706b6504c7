//! The commands: `demo`, `train`, `eval`, `sample` (and `kernel`, in [`super::kernel`]).

use super::args::{
    Command, DemoArgs, DivergenceChoice, EvalArgs, ModelArgs, SampleArgs, SamplerChoice,
    SplitChoice, TrainArgs,
};
use super::datasets::{
    check_synthetic_size, data_file, dataset_from_name, dataset_manifold, dataset_name, prepare,
};
use super::output::{note, say, stdout_error};
use super::progress::bar;
use riemannian_diffusion::atomic_file::{check_distinct_outputs, validate_output, AtomicFile};
use riemannian_diffusion::data::targets::builtin_vmf_mixture;
use riemannian_diffusion::data::{Dataset, Target};
use riemannian_diffusion::generation::{
    generate_with_progress, GenerationMethod, GenerationOptions,
};
use riemannian_diffusion::likelihood::{
    default_divergence, log_likelihood, Divergence, LikelihoodOptions, ProbeDistribution,
};
use riemannian_diffusion::limits::{
    self, MAX_BATCH_SIZE, MAX_BUFFER_REALS, MAX_CORRECTOR_STEPS, MAX_HIDDEN_LAYERS,
    MAX_HIDDEN_WIDTH, MAX_STEPS, MAX_WALK_STEPS,
};
use riemannian_diffusion::manifold::{CoordinateKind, Manifold, ManifoldSpec, Sphere};
use riemannian_diffusion::nn::{
    Checkpoint, ScoreNet, ScoreNetConfig, DEFAULT_HIDDEN_LAYERS, DEFAULT_HIDDEN_WIDTH,
};
use riemannian_diffusion::ode::OdeOptions;
use riemannian_diffusion::plot::{self, Image, MapOptions};
use riemannian_diffusion::random::{derive_seed, Purpose};
use riemannian_diffusion::registry::{self, GROUP_SIGMA_MAX, TORUS_SIGMA_MAX};
use riemannian_diffusion::schedule::GeometricSchedule;
use riemannian_diffusion::score::ScoreField;
use riemannian_diffusion::train::{train, HeatKernelNoise, Loss, TrainOptions, TrainedModel};
use riemannian_diffusion::{Error, Result};
use std::io::{BufWriter, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Runs one command.
pub fn run(command: Command, quiet: bool) -> Result<()> {
    match command {
        Command::Demo(args) => demo(&args, quiet),
        Command::Train(args) => train_command(&args, quiet),
        Command::Eval(args) => eval_command(&args, quiet),
        Command::Sample(args) => sample_command(&args, quiet),
        Command::Kernel(args) => super::kernel::run(&args),
    }
}

/// Model and optimiser settings after applying defaults.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    steps: usize,
    batch_size: usize,
    lr: f64,
    width: usize,
    depth: usize,
    sigma_min: f64,
    sigma_max: f64,
    grad_clip: Option<f64>,
    seed: u64,
    loss: Loss,
}

impl Settings {
    /// The defaults as a help paragraph.
    pub fn describe(&self, torus_note: bool) -> String {
        let note = if torus_note {
            format!(" (tori and U(n): {TORUS_SIGMA_MAX}; SO(n), SU(n): {GROUP_SIGMA_MAX})")
        } else {
            String::new()
        };
        format!(
            "Model and optimiser defaults: --steps {} --batch-size {} --lr {:e} --width {} --depth {} \
             --sigma-min {} --sigma-max {}{note} --seed {}",
            self.steps, self.batch_size, self.lr, self.width, self.depth, self.sigma_min, self.sigma_max, self.seed
        )
    }

    fn from_args(args: &ModelArgs, defaults: Settings) -> Settings {
        Settings {
            steps: args.steps.unwrap_or(defaults.steps),
            batch_size: args.batch_size.unwrap_or(defaults.batch_size),
            lr: args.lr.unwrap_or(defaults.lr),
            width: args.width.unwrap_or(defaults.width),
            depth: args.depth.unwrap_or(defaults.depth),
            sigma_min: args.sigma_min.unwrap_or(defaults.sigma_min),
            sigma_max: args.sigma_max.unwrap_or(defaults.sigma_max),
            grad_clip: args.grad_clip.or(defaults.grad_clip),
            seed: args.seed,
            loss: defaults.loss,
        }
    }

    fn train_options(&self) -> TrainOptions {
        TrainOptions {
            steps: self.steps,
            batch_size: self.batch_size,
            learning_rate: self.lr,
            sigma_min: self.sigma_min,
            sigma_max: self.sigma_max,
            grad_clip: self.grad_clip,
            seed: self.seed,
            loss: self.loss,
            ..TrainOptions::default()
        }
    }

    /// Checks every size against the resource policy ([`limits`]) and every option (the noise
    /// schedule included) before anything is allocated, and returns the network's architecture
    /// on `manifold`.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] naming the option, the value, the bound and why;
    /// [`Error::InvalidArgument`] for a zero size or a bad option.
    fn network_config(&self, manifold: &dyn Manifold) -> Result<ScoreNetConfig> {
        for (name, value, what) in [
            ("steps", self.steps, "at least 1 training step"),
            ("batch-size", self.batch_size, "at least 1 point per batch"),
            ("width", self.width, "at least 1 unit per hidden layer"),
            ("depth", self.depth, "at least 1 hidden layer"),
        ] {
            if value == 0 {
                return Err(Error::invalid(name, 0, what));
            }
        }
        limits::check_at_most(
            "--steps",
            self.steps,
            MAX_STEPS,
            "time, and one loss per step kept in memory",
        )?;
        limits::check_at_most(
            "--batch-size",
            self.batch_size,
            MAX_BATCH_SIZE,
            "memory: the network's activations grow with the batch",
        )?;
        limits::check_at_most(
            "--width",
            self.width,
            MAX_HIDDEN_WIDTH,
            "memory: the parameters grow with width²",
        )?;
        limits::check_at_most(
            "--depth",
            self.depth,
            MAX_HIDDEN_LAYERS,
            "memory and time: the parameters and the cost grow with the depth",
        )?;
        let mut config = ScoreNetConfig::for_manifold(manifold);
        config.hidden_width = self.width;
        config.hidden_layers = self.depth;
        // Within the bounds above no product overflows: width² · depth ≤ 2³⁶, and the
        // first layer has at most 2·MAX_AMBIENT_DIM + 1 inputs.
        let parameters = config.param_count();
        if parameters > MAX_BUFFER_REALS / 5 {
            return Err(Error::LimitExceeded {
                name: "--width × --depth",
                value: format!(
                    "{parameters} network parameters (5 copies: parameters, gradients, two Adam \
                     moments, EMA)"
                ),
                limit: format!("{} parameters", MAX_BUFFER_REALS / 5),
                reason: "memory: the network's training state holds at most 2 GiB",
            });
        }
        limits::buffer_len(
            "--batch-size × --width × --depth (activations)",
            self.batch_size,
            self.width * self.depth,
        )?;
        limits::buffer_len(
            "--batch-size (points of a batch)",
            self.batch_size,
            manifold.ambient_dim(),
        )?;
        self.train_options().validate()?;
        Ok(config)
    }
}

/// Defaults of `rdiff train`: the library's ([`TrainOptions::default`], the width and depth
/// of [`ScoreNetConfig::for_manifold`]); `σ_max` is replaced by the manifold's own
/// ([`registry::Registry::default_sigma_max`]) when `--sigma-max` is not given.
pub fn train_defaults() -> Settings {
    let options = TrainOptions::default();
    Settings {
        steps: options.steps,
        batch_size: options.batch_size,
        lr: options.learning_rate,
        width: DEFAULT_HIDDEN_WIDTH,
        depth: DEFAULT_HIDDEN_LAYERS,
        sigma_min: options.sigma_min,
        sigma_max: options.sigma_max,
        grad_clip: options.grad_clip,
        seed: options.seed,
        loss: options.loss,
    }
}

/// Defaults of `rdiff demo`: sized to finish well under 2 minutes in release on 2 cores
/// (measured on 2 shared cores: 15 000 steps of a 3×128 MLP took 65 s, its 144×72 density map 7 s;
/// the 10 000-step default measured a test NLL 0.024 nats above the exact target NLL, 61 s in all).
pub const DEMO_DEFAULTS: Settings = Settings {
    steps: 10_000,
    batch_size: 256,
    lr: 2e-3,
    width: 128,
    depth: 3,
    sigma_min: 2e-2,
    sigma_max: 3.0,
    grad_clip: None,
    seed: 0,
    loss: Loss::Dsm,
};

/// Trains a fresh network of architecture `config` ([`Settings::network_config`]) on `data`
/// with a progress bar.
fn fit(
    manifold: Arc<dyn Manifold>,
    config: ScoreNetConfig,
    data: &Dataset,
    settings: &Settings,
    quiet: bool,
) -> Result<TrainedModel> {
    let network = ScoreNet::new(manifold.clone(), config, settings.seed)?;
    let noise = HeatKernelNoise::for_manifold(manifold.as_ref())?;
    let options = settings.train_options();
    options.validate()?;
    let progress = bar(settings.steps as u64, "training", quiet);
    let mut recent = f64::NAN;
    let trained = train(network, &data.points, &noise, options, |report| {
        if let Some(mean) = report.interval_mean {
            recent = mean;
        }
        progress.set_message(format!("loss {recent:.4}"));
        progress.inc(1);
        ControlFlow::Continue(())
    });
    progress.finish_and_clear();
    // The library's advice names its options; say which flags they are.
    trained.map_err(|e| match e {
        Error::Numerical { method, detail } if detail.contains("clip the gradient norm") => {
            Error::Numerical {
                method,
                detail: format!("{detail}; rdiff options: --lr, --grad-clip"),
            }
        }
        other => other,
    })
}

/// Chunks of the likelihood per progress-bar block.
const PROGRESS_BLOCK_CHUNKS: usize = 8;

/// Log-likelihood of each row of `points` under `score` by the PF-ODE from `t0` to `t1`, in blocks (for
/// the progress bar). With the exact divergence the result does not depend on the blocking.
#[allow(clippy::too_many_arguments)]
fn pointwise_log_likelihood(
    score: &dyn ScoreField,
    points: &[f64],
    t0: f64,
    t1: f64,
    tolerance: f64,
    divergence: Divergence,
    seed: u64,
    label: &str,
    quiet: bool,
) -> Result<Vec<f64>> {
    let mut options = LikelihoodOptions {
        divergence,
        ..LikelihoodOptions::default()
    };
    options.ode.rtol = tolerance;
    options.ode.atol = tolerance;
    let n = score.manifold().ambient_dim();
    let rows = points.len() / n;
    // Fixed blocks (not a multiple of the thread count): Hutchinson results then depend on the
    // seed only.
    let block = options.chunk_size * PROGRESS_BLOCK_CHUNKS;
    let progress = bar(rows as u64, label, quiet);
    let mut values = Vec::with_capacity(rows);
    for (k, part) in points.chunks(block * n).enumerate() {
        // Hutchinson probes: block k uses seed + k.
        options.seed = seed.wrapping_add(k as u64);
        let report = log_likelihood(score, part, t0, t1, &options)?;
        values.extend_from_slice(&report.log_likelihood);
        progress.inc((part.len() / n) as u64);
    }
    progress.finish_and_clear();
    Ok(values)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// [`Error::Checkpoint`] naming `path` and the metadata entry `key`.
fn entry_error(path: &Path, key: &str, message: impl std::fmt::Display) -> Error {
    Error::Checkpoint {
        path: path.display().to_string(),
        message: format!("entry '{key}': {message}"),
    }
}

fn metadata_value<'a>(checkpoint: &'a Checkpoint, key: &str, path: &Path) -> Result<&'a str> {
    checkpoint.metadata_value(key).ok_or_else(|| {
        entry_error(
            path,
            key,
            "missing (was the checkpoint written by `rdiff train`?)",
        )
    })
}

fn metadata_number<T: std::str::FromStr>(
    checkpoint: &Checkpoint,
    key: &str,
    path: &Path,
) -> Result<T> {
    let text = metadata_value(checkpoint, key, path)?;
    text.parse()
        .map_err(|_| entry_error(path, key, format!("{text:?} is not a number")))
}

/// Names the checkpoint in a non-finite value the loaded network produced (a crafted or
/// corrupt parameter, e.g. `1e300`, passes every load-time check and overflows only in use).
fn blame_network(path: &Path) -> impl Fn(Error) -> Error + '_ {
    move |e| match e {
        Error::NonFinite { what } => Error::NonFinite {
            what: format!(
                "{what}, computed with the network of checkpoint {} (a parameter may be corrupt \
                 or too large)",
                path.display()
            ),
        },
        other => other,
    }
}

/// A checkpoint's network (EMA parameters unless `no_ema`) and noise schedule. Every error
/// names the checkpoint and the field at fault.
fn load_model(path: &Path, no_ema: bool) -> Result<(Checkpoint, ScoreNet, GeometricSchedule)> {
    let checkpoint = Checkpoint::load(path)?;
    let manifold = registry::builtin()
        .manifold(&checkpoint.manifold)
        .map_err(|e| entry_error(path, "manifold", e))?;
    let network = if no_ema {
        checkpoint.network(manifold)
    } else {
        checkpoint.ema_network(manifold)
    }
    .map_err(|e| Error::Checkpoint {
        path: path.display().to_string(),
        message: format!("the network ({}) cannot be built: {e}", checkpoint.config),
    })?;
    let schedule = GeometricSchedule::new(
        metadata_number(&checkpoint, "sigma_min", path)?,
        metadata_number(&checkpoint, "sigma_max", path)?,
    )
    .map_err(|e| entry_error(path, "sigma_min/sigma_max", e))?;
    Ok((checkpoint, network, schedule))
}

fn train_command(args: &TrainArgs, quiet: bool) -> Result<()> {
    let mut settings = Settings::from_args(&args.model, train_defaults());
    let spec = dataset_manifold(args.dataset, args.manifold.clone())?;
    // Files first: the checkpoint must not replace a directory, a link, a data file, …
    let data = data_file(args.dataset, args.data_dir.as_deref());
    let inputs: Vec<&Path> = data.iter().map(|p| p.as_path()).collect();
    validate_output(&args.out, &inputs)?;
    let manifold = registry::builtin().manifold(&spec)?;
    if args.model.sigma_max.is_none() {
        settings.sigma_max = registry::builtin().default_sigma_max(manifold.as_ref())?;
    }
    settings.loss = args.loss;
    args.loss.validate()?;
    // Every size and option before any data is drawn or loaded.
    let config = settings.network_config(manifold.as_ref())?;
    if data.is_none() {
        check_synthetic_size(args.synthetic_size, manifold.ambient_dim())?;
    }
    let name = dataset_name(args.dataset);
    let prepared = prepare(
        args.dataset,
        Some(spec),
        args.data_dir.as_deref(),
        settings.seed,
        args.synthetic_size,
    )?;
    let train_set = &prepared.split.train;
    note!(
        "training on {name} ({} training points on {}), loss {}, {} steps, batch {}, MLP {}×{}",
        train_set.len(),
        prepared.spec,
        args.loss.name(),
        settings.steps,
        settings.batch_size,
        settings.depth,
        settings.width
    );
    let started = Instant::now();
    let trained = fit(
        prepared.manifold.clone(),
        config,
        train_set,
        &settings,
        quiet,
    )?;
    let tail = &trained.losses[trained.losses.len().saturating_sub(100)..];
    let mut metadata = vec![
        ("dataset".to_string(), name.clone()),
        ("manifold".to_string(), prepared.spec.to_string()),
        ("loss".to_string(), args.loss.name().to_string()),
        ("seed".to_string(), settings.seed.to_string()),
        (
            "synthetic_size".to_string(),
            args.synthetic_size.to_string(),
        ),
        ("sigma_min".to_string(), format!("{:e}", settings.sigma_min)),
        ("sigma_max".to_string(), format!("{:e}", settings.sigma_max)),
        ("steps".to_string(), trained.losses.len().to_string()),
        ("batch_size".to_string(), settings.batch_size.to_string()),
        ("learning_rate".to_string(), format!("{:e}", settings.lr)),
    ];
    if let Some(clip) = settings.grad_clip {
        metadata.push(("grad_clip".to_string(), format!("{clip:e}")));
    }
    trained
        .network
        .save(&args.out, Some(&trained.ema_params), metadata)?;
    say!(
        "trained {} steps in {:.1} s; mean {} loss of the last {} steps {:.5}",
        trained.losses.len(),
        started.elapsed().as_secs_f64(),
        args.loss.name(),
        tail.len(),
        mean(tail)
    )?;
    say!("checkpoint written to {}", args.out.display())
}

fn eval_command(args: &EvalArgs, quiet: bool) -> Result<()> {
    let path = &args.checkpoint;
    let (checkpoint, network, schedule) = load_model(path, args.no_ema)?;
    let ambient_dim = network.manifold().ambient_dim();
    if let Some(max_points) = args.max_points {
        limits::buffer_len("--max-points", max_points, ambient_dim)?;
    }
    let dataset = dataset_from_name(metadata_value(&checkpoint, "dataset", path)?)
        .map_err(|e| entry_error(path, "dataset", e))?;
    let seed: u64 = metadata_number(&checkpoint, "seed", path)?;
    let synthetic_size: usize = metadata_number(&checkpoint, "synthetic_size", path)?;
    if data_file(dataset, None).is_none() {
        check_synthetic_size(synthetic_size, ambient_dim)
            .map_err(|e| entry_error(path, "synthetic_size", e))?;
    }
    // Checkpoints written before `--manifold` existed have no entry: the data set's default.
    let spec = match checkpoint.metadata_value("manifold") {
        Some(text) => Some(
            text.parse::<ManifoldSpec>()
                .map_err(|e| entry_error(path, "manifold", e))?,
        ),
        None => None,
    };
    let spec = dataset_manifold(dataset, spec).map_err(|e| entry_error(path, "manifold", e))?;
    let prepared = prepare(
        dataset,
        Some(spec),
        args.data_dir.as_deref(),
        seed,
        synthetic_size,
    )?;
    if prepared.spec != network.manifold().spec() {
        return Err(Error::Checkpoint {
            path: args.checkpoint.display().to_string(),
            message: format!(
                "the network lives on {} but the data set on {}",
                network.manifold().spec(),
                prepared.spec
            ),
        });
    }
    let divergence = match args.divergence {
        DivergenceChoice::Exact => Divergence::Exact,
        DivergenceChoice::Auto => default_divergence(prepared.manifold.as_ref()),
        DivergenceChoice::Hutchinson => Divergence::Hutchinson {
            probe: ProbeDistribution::Rademacher,
            step: 1e-4,
        },
    };
    let part = match args.split {
        SplitChoice::Test => &prepared.split.test,
        SplitChoice::Val => &prepared.split.val,
        SplitChoice::Train => &prepared.split.train,
    };
    let limit = args.max_points.unwrap_or(usize::MAX).min(part.len());
    if limit == 0 {
        return Err(Error::invalid(
            "max-points",
            0,
            "at least 1 point to evaluate",
        ));
    }
    let points = &part.points[..limit * part.ambient_dim];
    let started = Instant::now();
    let values = pointwise_log_likelihood(
        &network,
        points,
        schedule.t_min(),
        schedule.t_max(),
        args.tolerance,
        divergence,
        args.seed,
        "likelihood",
        quiet,
    )
    .map_err(blame_network(path))?;
    let nll = -mean(&values);
    let standard_error = if limit > 1 {
        let m = mean(&values);
        let var = values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (limit - 1) as f64;
        (var / limit as f64).sqrt()
    } else {
        0.0
    };
    let how = match divergence {
        Divergence::Exact => "exact divergence",
        Divergence::Hutchinson { .. } => "Hutchinson divergence",
    };
    say!(
        "{}: NLL = {nll:.4} ± {standard_error:.4} nats over {limit} points on {} (PF-ODE from t = σ_min² = {:.3e} to σ_max² = {:.3}, {how}, tolerance {:e}, {:.1} s)",
        part.name,
        prepared.spec,
        schedule.t_min(),
        schedule.t_max(),
        args.tolerance,
        started.elapsed().as_secs_f64()
    )?;
    if let Some(target) = &prepared.target {
        let subset = Dataset::new("subset", part.ambient_dim, points.to_vec())?;
        say!(
            "{}: exact NLL of the target on the same points = {:.4} nats",
            part.name,
            target.negative_log_likelihood(&subset)?
        )?;
    }
    Ok(())
}

fn write_csv(points: &[f64], manifold: &dyn Manifold, out: &mut dyn Write) -> std::io::Result<()> {
    let n = manifold.ambient_dim();
    // One column per coordinate, numbered from 1: `theta{i}` for angles, `x{i}` otherwise.
    let mut header: Vec<String> = Vec::with_capacity(n);
    for block in manifold.coordinate_blocks() {
        let prefix = match block.kind {
            CoordinateKind::Angles => "theta",
            CoordinateKind::Embedded => "x",
        };
        for _ in 0..block.len {
            header.push(format!("{prefix}{}", header.len() + 1));
        }
    }
    writeln!(out, "{}", header.join(","))?;
    for row in points.chunks_exact(n) {
        let fields: Vec<String> = row.iter().map(|v| format!("{v:.17e}")).collect();
        writeln!(out, "{}", fields.join(","))?;
    }
    out.flush()
}

/// The picture of `--plot`: a log-histogram of the samples on `S²` (equirectangular map) or
/// `T²` (angle square). About 16 samples per bin at the mode-free average: side ≈ √N / 4 bins
/// on T² (twice as wide on S²), enlarged to at least 360 pixels wide for viewing.
fn sample_picture(points: &[f64], spec: &ManifoldSpec, num_samples: usize) -> Result<Image> {
    let side = (((num_samples as f64).sqrt() / 4.0).round() as usize).clamp(8, 180);
    match spec {
        ManifoldSpec::Sphere(2) => {
            let o = MapOptions {
                width: 2 * side,
                height: side,
                ..MapOptions::default()
            };
            plot::sphere_histogram(points, &o)?.upscaled(360_usize.div_ceil(2 * side))
        }
        ManifoldSpec::Torus(2) => {
            let o = MapOptions {
                width: side,
                height: side,
                ..MapOptions::default()
            };
            plot::torus_histogram(points, &o)?.upscaled(360_usize.div_ceil(side))
        }
        other => Err(Error::invalid(
            "plot",
            other,
            "pictures of sphere:2 or torus:2 samples",
        )),
    }
}

fn sample_command(args: &SampleArgs, quiet: bool) -> Result<()> {
    // Files and sizes before any work: the outputs must not replace the checkpoint, each
    // other, a directory, a link, …
    let checkpoint_path = args.checkpoint.as_path();
    let outputs: Vec<&Path> = args
        .out
        .iter()
        .chain(&args.plot)
        .map(|p| p.as_path())
        .collect();
    for output in &outputs {
        validate_output(output, &[checkpoint_path])?;
    }
    check_distinct_outputs(&outputs)?;
    if args.num_samples == 0 {
        return Err(Error::invalid("num-samples", 0, "at least 1 sample"));
    }
    limits::check_at_most(
        "--num-samples",
        args.num_samples,
        MAX_BUFFER_REALS,
        "memory: the samples are held in one buffer of at most 2 GiB",
    )?;
    if args.method == SamplerChoice::Grw {
        limits::check_at_most(
            "--grw-steps",
            args.grw_steps,
            MAX_WALK_STEPS,
            "time: every step evaluates the score on every sample",
        )?;
        limits::check_at_most(
            "--corrector-steps",
            args.corrector_steps,
            MAX_CORRECTOR_STEPS,
            "time: every walk step runs this many extra score evaluations",
        )?;
    }
    let (_, network, schedule) = load_model(checkpoint_path, args.no_ema)?;
    let manifold = network.manifold();
    limits::buffer_len("--num-samples", args.num_samples, manifold.ambient_dim())?;
    let spec = manifold.spec();
    if args.plot.is_some() && !matches!(spec, ManifoldSpec::Sphere(2) | ManifoldSpec::Torus(2)) {
        return Err(Error::invalid(
            "plot",
            &spec,
            "pictures of sphere:2 or torus:2 samples",
        ));
    }
    let progress = bar(args.num_samples as u64, "sampling", quiet);
    let counter = AtomicU64::new(0);
    let on_chunk = |rows: usize| {
        counter.fetch_add(rows as u64, Ordering::Relaxed);
        progress.set_position(counter.load(Ordering::Relaxed));
    };
    let options = GenerationOptions {
        ode: OdeOptions::with_tolerances(args.tolerance, args.tolerance),
        seed: args.seed,
        chunk_size: 64,
        method: match args.method {
            SamplerChoice::Ode => GenerationMethod::ProbabilityFlow,
            SamplerChoice::Grw => GenerationMethod::GeodesicRandomWalk {
                steps: args.grw_steps,
                corrector_steps: args.corrector_steps,
                snr: args.snr,
            },
        },
    };
    let points = generate_with_progress(
        &network,
        args.num_samples,
        schedule.t_min(),
        schedule.t_max(),
        &options,
        &on_chunk,
    )
    .map_err(blame_network(checkpoint_path))?
    .samples;
    progress.finish_and_clear();
    // Both files are written aside first and published only then: a failure while computing
    // or writing either leaves both targets untouched (only a failure between the two
    // renames could leave the first one replaced).
    let picture = match &args.plot {
        Some(path) => {
            let bytes = sample_picture(&points, &spec, args.num_samples)?.encode_png()?;
            let mut file = AtomicFile::create(path)?;
            file.write_all(&bytes).map_err(|e| file.io_error(e))?;
            Some(file)
        }
        None => None,
    };
    let csv = match &args.out {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            write_csv(&points, manifold, &mut file).map_err(|e| file.io_error(e))?;
            Some(file)
        }
        None => None,
    };
    if let Some(file) = csv {
        file.commit()?;
        note!(
            "{} samples written to {}",
            args.num_samples,
            args.out.as_deref().unwrap_or(Path::new("")).display()
        );
    }
    if let Some(file) = picture {
        file.commit()?;
        note!(
            "picture written to {}",
            args.plot.as_deref().unwrap_or(Path::new("")).display()
        );
    }
    if args.out.is_none() {
        let mut stdout = BufWriter::new(std::io::stdout().lock());
        write_csv(&points, manifold, &mut stdout).map_err(stdout_error)?;
    }
    Ok(())
}

/// Bilinear upscaling of an equirectangular `width × height` grid of pixel-centre values by an
/// integer `factor` (longitude wraps around, latitude is clamped at the poles). Non-finite
/// values propagate to the pixels they touch.
fn upscale_equirectangular(values: &[f64], width: usize, height: usize, factor: usize) -> Vec<f64> {
    let source = |i: i64, j: i64| {
        let i = i.rem_euclid(width as i64) as usize;
        let j = j.clamp(0, height as i64 - 1) as usize;
        values[j * width + i]
    };
    let mut out = Vec::with_capacity(values.len() * factor * factor);
    for y in 0..height * factor {
        let v = (y as f64 + 0.5) / factor as f64 - 0.5;
        let (j, fy) = (v.floor() as i64, v - v.floor());
        for x in 0..width * factor {
            let u = (x as f64 + 0.5) / factor as f64 - 0.5;
            let (i, fx) = (u.floor() as i64, u - u.floor());
            let top = (1.0 - fx) * source(i, j) + fx * source(i + 1, j);
            let bottom = (1.0 - fx) * source(i, j + 1) + fx * source(i + 1, j + 1);
            out.push((1.0 - fy) * top + fy * bottom);
        }
    }
    out
}

fn demo(args: &DemoArgs, quiet: bool) -> Result<()> {
    let settings = Settings::from_args(&args.model, DEMO_DEFAULTS);
    validate_output(&args.out, &[])?;
    if args.test_points == 0 {
        return Err(Error::invalid(
            "test-points",
            0,
            "at least 1 held-out point",
        ));
    }
    if !(8..=720).contains(&args.grid_width) || args.grid_width % 2 != 0 {
        return Err(Error::invalid(
            "grid-width",
            args.grid_width,
            "an even width between 8 and 720",
        ));
    }
    limits::buffer_len("--test-points", args.test_points, 3)?;
    let started = Instant::now();
    let target = builtin_vmf_mixture();
    let manifold: Arc<dyn Manifold> = Arc::new(Sphere::new(2)?);
    let config = settings.network_config(manifold.as_ref())?;
    say!("target: {}", target.name())?;
    let train_set = Dataset::sampled_from(&target, "vmf-mixture/train", 20_000, settings.seed)?;
    // Held-out points from the evaluation stream of the same seed.
    let test_set = Dataset::sampled_from(
        &target,
        "vmf-mixture/test",
        args.test_points,
        derive_seed(settings.seed, Purpose::Evaluation),
    )?;
    let trained = fit(manifold.clone(), config, &train_set, &settings, quiet)?;
    let tail = &trained.losses[trained.losses.len().saturating_sub(100)..];
    say!(
        "trained a {}×{} MLP for {} steps (batch {}) in {:.1} s; final DSM loss {:.4}",
        settings.depth,
        settings.width,
        trained.losses.len(),
        settings.batch_size,
        started.elapsed().as_secs_f64(),
        mean(tail)
    )?;
    let network = trained.ema_network();
    let schedule = trained.schedule;
    let (t0, t1) = (schedule.t_min(), schedule.t_max());
    let phase = Instant::now();
    let model_ll = pointwise_log_likelihood(
        &network,
        &test_set.points,
        t0,
        t1,
        1e-5,
        Divergence::Exact,
        0,
        "test NLL",
        quiet,
    )?;
    let exact_nll = target.negative_log_likelihood(&test_set)?;
    say!(
        "test NLL on {} held-out samples: model {:.4} nats (PF-ODE, {:.1} s), exact target {:.4} nats, uniform {:.4} nats",
        args.test_points,
        -mean(&model_ll),
        phase.elapsed().as_secs_f64(),
        exact_nll,
        manifold.log_volume()
    )?;
    // Density map: model by the PF-ODE on a coarse grid (looser tolerance: a picture), exact
    // target at 5× the resolution, on one colour scale.
    let (w, h) = (args.grid_width, args.grid_width / 2);
    let factor = 360_usize.div_ceil(w).max(1);
    let phase = Instant::now();
    let grid = plot::sphere_grid(w, h)?;
    let model_values = pointwise_log_likelihood(
        &network,
        &grid,
        t0,
        t1,
        1e-3,
        Divergence::Exact,
        0,
        "density map",
        quiet,
    )?;
    let (big_w, big_h) = (w * factor, h * factor);
    let exact_values =
        plot::evaluate_on_grid(&plot::sphere_grid(big_w, big_h)?, 3, |x| target.log_prob(x));
    let options = MapOptions {
        width: big_w,
        height: big_h,
        range: Some(plot::colour_range(&exact_values, &MapOptions::default())?),
        ..MapOptions::default()
    };
    let model_image = plot::log_density_image(
        &upscale_equirectangular(&model_values, w, h, factor),
        big_w,
        big_h,
        &options,
    )?;
    let mut exact_image = plot::log_density_image(&exact_values, big_w, big_h, &options)?;
    exact_image.overlay_sphere_points(&test_set.points, 1.0, [255, 255, 255]);
    let gap = 8;
    let mut picture = Image::new(2 * big_w + gap, big_h)?;
    for y in 0..big_h {
        for x in 0..big_w {
            picture.set_pixel(x, y, model_image.pixel(x, y));
            picture.set_pixel(big_w + gap + x, y, exact_image.pixel(x, y));
        }
        for x in big_w..big_w + gap {
            picture.set_pixel(x, y, [255, 255, 255]);
        }
    }
    picture.write_png(&args.out)?;
    say!(
        "density map ({w}×{h} PF-ODE grid, {:.1} s) written to {}: model (left) vs exact target with test points (right)",
        phase.elapsed().as_secs_f64(),
        args.out.display()
    )?;
    say!("total time {:.1} s", started.elapsed().as_secs_f64())
}
