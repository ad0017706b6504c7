//! Command-line arguments (clap derive). Every command has `--help`.

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use riemannian_diffusion::heat_kernel::{check_auto_tolerance, KernelMethod};
use riemannian_diffusion::manifold::ManifoldSpec;
use riemannian_diffusion::train::Loss;
use riemannian_diffusion::Error;
use std::path::PathBuf;

/// Score-based diffusion models on Riemannian manifolds (spheres, tori, SO(n), SU(n), U(n) and
/// their products).
///
/// Without a command, runs `demo`.
#[derive(Debug, Parser)]
#[command(name = "rdiff", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// Hide progress bars (results are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// The command (default: demo).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a small score model on a built-in vMF mixture on S², report its test NLL next to
    /// the exact NLL of the target, and write a density map (no data files needed).
    Demo(DemoArgs),
    /// Train a score model (denoising, implicit or sliced score matching) and save a checkpoint.
    Train(TrainArgs),
    /// Evaluate a checkpoint: negative log-likelihood of a data split by the probability-flow ODE.
    Eval(EvalArgs),
    /// Draw samples from a checkpoint (reverse probability-flow ODE or geodesic random walk) and
    /// write them as CSV.
    Sample(SampleArgs),
    /// Evaluate a heat kernel p_t(x0, x) and its score on point pairs read as CSV (file or stdin).
    Kernel(KernelArgs),
}

/// Data sets: the four earth-science sets on S² and the built-in synthetic targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DatasetChoice {
    /// Volcanic eruptions on S² (volerup.csv, 827 points).
    Volcano,
    /// Earthquakes on S² (quakes_all.csv, 6120 points).
    Earthquake,
    /// Floods on S² (flood.csv, 4875 points).
    Flood,
    /// Fires on S² (fire.csv, 12809 points).
    Fire,
    /// Built-in 4-component von Mises–Fisher mixture on S² (or S^D with --manifold sphere:D;
    /// samples drawn from --seed).
    VmfMixture,
    /// Built-in 3-component wrapped normal mixture on T² (or T^D with --manifold torus:D, or
    /// SO(3) with --manifold so:3; samples drawn from --seed).
    WrappedNormalMixture,
    /// Built-in mixture of three heat kernels at t = 0.1 (fixed random centres) on any manifold:
    /// torus:D, sphere:D, so:N, su:N, u:N (default S²; samples drawn from --seed).
    HeatKernelMixture,
}

/// Which part of the 80/10/10 split to evaluate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SplitChoice {
    /// The held-out test part (10%, the remainder of the split).
    Test,
    /// The validation part (10%).
    Val,
    /// The training part (80%).
    Train,
}

/// Options of the model and the optimiser shared by `train` and `demo`.
#[derive(Clone, Debug, Args)]
pub struct ModelArgs {
    /// Optimiser steps.
    #[arg(long, allow_negative_numbers = true)]
    pub steps: Option<usize>,
    /// Batch size.
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Width of each hidden layer of the MLP.
    #[arg(long, allow_negative_numbers = true)]
    pub width: Option<usize>,
    /// Number of hidden layers of the MLP.
    #[arg(long, allow_negative_numbers = true)]
    pub depth: Option<usize>,
    /// Smallest noise level σ_min of the geometric schedule (kernel time t = σ²), at least 1e-8.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub sigma_min: Option<f64>,
    /// Largest noise level σ_max of the geometric schedule, at most 1e8.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub sigma_max: Option<f64>,
    /// Clip the gradient to this global norm before each Adam step (default: no clipping); a
    /// remedy when the loss diverges (NaN or infinite), next to a lower --lr.
    #[arg(long, value_name = "NORM", value_parser = parse_positive, allow_hyphen_values = true)]
    pub grad_clip: Option<f64>,
    /// Seed of the split, the synthetic samples, the initialisation and the batches.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
}

/// `rdiff demo` options.
#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// Model and optimiser options (defaults listed at the end of the help).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Held-out samples of the target used for the test NLL.
    #[arg(long, default_value_t = 200, allow_negative_numbers = true)]
    pub test_points: usize,
    /// Width of the density map grid evaluated by the PF-ODE (height = width / 2).
    #[arg(long, default_value_t = 144, allow_negative_numbers = true)]
    pub grid_width: usize,
    /// Output picture (PNG): model density (left) and exact target density (right).
    #[arg(long, default_value = "rdiff-demo.png")]
    pub out: PathBuf,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            model: ModelArgs {
                steps: None,
                batch_size: None,
                lr: None,
                width: None,
                depth: None,
                sigma_min: None,
                sigma_max: None,
                grad_clip: None,
                seed: 0,
            },
            test_points: 200,
            grid_width: 144,
            out: PathBuf::from("rdiff-demo.png"),
        }
    }
}

/// `rdiff train` options.
#[derive(Clone, Debug, Args)]
pub struct TrainArgs {
    /// Training data.
    #[arg(long, value_enum)]
    pub dataset: DatasetChoice,
    /// Manifold of a synthetic data set: torus:D, sphere:D, so:N, su:N, u:N, products A*B and
    /// powers A^K (e.g. so:3*sphere:2, su:2^4) [default: the data set's own, sphere:2 or
    /// torus:2]. vmf-mixture accepts sphere:D, wrapped-normal-mixture torus:D and so:3,
    /// heat-kernel-mixture every manifold and product; the earth-science sets only sphere:2.
    #[arg(long, value_name = "M", value_parser = parse_manifold)]
    pub manifold: Option<ManifoldSpec>,
    /// Score-matching loss: dsm (exact heat-kernel targets), dsm-varadhan (Varadhan targets
    /// log_x(x0)/t), ism (exact divergence of the network), sliced (Hutchinson ISM, one
    /// Rademacher probe per point).
    #[arg(long, default_value = "dsm", value_parser = parse_loss)]
    pub loss: Loss,
    /// Directory of the earth-science CSV files (else $RDIFF_DATA_DIR, else ../shared/earth_data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Model and optimiser options (defaults listed at the end of the help).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Number of samples drawn from a synthetic target before the 80/10/10 split.
    #[arg(long, default_value_t = 10_000, allow_negative_numbers = true)]
    pub synthetic_size: usize,
    /// Checkpoint file to write.
    #[arg(long, short, default_value = "rdiff-model.ckpt")]
    pub out: PathBuf,
}

/// `rdiff eval` options.
#[derive(Clone, Debug, Args)]
pub struct EvalArgs {
    /// Checkpoint written by `rdiff train`.
    #[arg(long, short)]
    pub checkpoint: PathBuf,
    /// Which part of the data set's split to evaluate (the split is recomputed from the
    /// checkpoint's dataset and seed).
    #[arg(long, value_enum, default_value = "test")]
    pub split: SplitChoice,
    /// Directory of the earth-science CSV files (else $RDIFF_DATA_DIR, else ../shared/earth_data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Evaluate at most this many points of the split (default: all).
    #[arg(long, allow_negative_numbers = true)]
    pub max_points: Option<usize>,
    /// Relative and absolute tolerance of the PF-ODE solver.
    #[arg(long, default_value_t = 1e-5, value_parser = parse_positive, allow_hyphen_values = true)]
    pub tolerance: f64,
    /// Divergence of the score in the PF-ODE: exact, hutchinson (one Rademacher probe per
    /// point, unbiased; --seed), or auto (exact up to 10 dimensions, else hutchinson).
    #[arg(long, value_enum, default_value = "auto")]
    pub divergence: DivergenceChoice,
    /// Seed of the Hutchinson probes.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// Use the raw parameters instead of their exponential moving average.
    #[arg(long)]
    pub no_ema: bool,
}

/// How `rdiff eval` obtains the divergence of the score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DivergenceChoice {
    /// Exact up to 10 intrinsic dimensions, Hutchinson above.
    Auto,
    /// The network's exact divergence (cost grows with the dimension).
    Exact,
    /// Hutchinson's unbiased estimator with one Rademacher probe per point.
    Hutchinson,
}

/// The sampler of `rdiff sample`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SamplerChoice {
    /// Reverse probability-flow ODE (deterministic given the prior draws; --tolerance).
    Ode,
    /// Reverse geodesic random walk (--grw-steps, --corrector-steps, --snr).
    Grw,
}

/// `rdiff sample` options.
#[derive(Clone, Debug, Args)]
pub struct SampleArgs {
    /// Checkpoint written by `rdiff train`.
    #[arg(long, short)]
    pub checkpoint: PathBuf,
    /// Number of samples.
    #[arg(
        short = 'n',
        long = "num-samples",
        default_value_t = 1000,
        allow_negative_numbers = true
    )]
    pub num_samples: usize,
    /// Seed of the prior draws.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub seed: u64,
    /// CSV output file (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write a picture of the samples (PNG log-histogram; S²: equirectangular map, T²: angle square).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Sampler: ode (reverse probability-flow ODE, adaptive DP5) or grw (reverse geodesic random
    /// walk, RSGM Algorithm 1, with an optional Langevin corrector).
    #[arg(long, value_enum, default_value = "ode")]
    pub method: SamplerChoice,
    /// Predictor steps of --method grw (geometric time grid from σ_max² to σ_min²).
    #[arg(long, default_value_t = 1000, allow_negative_numbers = true)]
    pub grw_steps: usize,
    /// Langevin corrector steps after each predictor step of --method grw (0 = none).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
    pub corrector_steps: usize,
    /// Signal-to-noise ratio of the Langevin corrector step size.
    #[arg(long, default_value_t = 0.16, value_parser = parse_positive, allow_hyphen_values = true)]
    pub snr: f64,
    /// Relative and absolute tolerance of the PF-ODE solver.
    #[arg(long, default_value_t = 1e-5, value_parser = parse_positive, allow_hyphen_values = true)]
    pub tolerance: f64,
    /// Use the raw parameters instead of their exponential moving average.
    #[arg(long)]
    pub no_ema: bool,
}

/// Input and output formats of `rdiff kernel`, shown at the end of its help.
pub const KERNEL_FORMATS: &str = "\
Input: one pair of points per line, comma separated: the K ambient coordinates of x0, then the K
of x (2K numbers). K = D (torus:D, angles in [0, 2π)), D + 1 (sphere:D, unit vectors),
N² (so:N, row-major), 2N² (su:N, u:N: row-major entries, each as re, im). Blank lines and lines
starting with # are skipped (so a header line must be commented out). Points must lie on the
manifold to within 1e-6.

Output: a header `log_p,terms,estimator,error_estimate,score_0,…,score_{K-1}`, then one line
per data line: log p_t(x0, x) (density w.r.t. the Riemannian volume, Brownian time t:
∂_t p = ½Δp), the number of series terms / paths the estimator used, the estimator that
answered (eigen, paths, varadhan or schwinger-dewitt: auto reports the one it picked; on a
product the factor with the largest error estimate), its estimate of the relative error of p
(= absolute error of log p; the sum over the factors of a product; inf where nothing can be
said), and the score ∇_x log p_t(x0, x) (Riemannian gradient in ambient coordinates). Numbers
are printed in the shortest scientific notation that reads back to the same f64
(e.g. -1.5539463527580981e0).

Errors: the first bad line (wrong field count, a non-number or non-finite field, a point off the
manifold, a line over 64 MiB, an estimator that cannot evaluate there) stops the run with
`error: <input>:<line>: …` and exit code 1; on standard output the results of every data line
before it have been written (and flushed), and nothing after it. --output FILE is written
atomically (a temporary file, then a rename) and never replaces an existing FILE with partial
results: a usage error, an unreadable input, a bad line or an interrupted run leave an existing
FILE byte-identical; after a bad line a new FILE holds the header and the results before it
(none is created if there are none).
FILE may not be the input, a directory, a symbolic link, a FIFO or a device.

Example (S², t = 0.1, the north pole against a point at angle 0.6435):
  printf '0,0,1,0.6,0,0.8\\n' | rdiff kernel --manifold sphere:2 --t 0.1
";

/// `rdiff kernel` options.
#[derive(Clone, Debug, Args)]
#[command(after_help = KERNEL_FORMATS)]
pub struct KernelArgs {
    /// Manifold: torus:D, sphere:D, so:N, su:N, u:N, products A*B and powers A^K (e.g.
    /// so:3*sphere:2, su:3^4); a point is the factors' coordinates concatenated.
    #[arg(long, value_name = "M", value_parser = parse_manifold)]
    pub manifold: ManifoldSpec,
    /// Kernel time t > 0 (Brownian time: ∂_t p = ½Δp, flat space p_t = N(x0, tI)).
    #[arg(long = "t", value_name = "T", value_parser = parse_time, allow_hyphen_values = true)]
    pub t: f64,
    /// Estimator, applied to every factor of a product (the torus offers auto, eigen and paths).
    #[arg(
        long,
        default_value = "auto",
        value_parser = PossibleValuesParser::new(KernelMethod::ALL.map(|m| m.name()))
            .map(|name| name.parse::<KernelMethod>().unwrap_or_default())
    )]
    pub method: KernelMethod,
    /// Relative tolerance of p for --method auto, in [1e-15, 1) [default: 1e-12] (the torus
    /// Auto rule reaches ~1e-15 whatever the tolerance).
    #[arg(long, value_name = "TOL", value_parser = parse_tolerance, allow_hyphen_values = true)]
    pub tol: Option<f64>,
    /// Input CSV file, or - for standard input.
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    pub input: PathBuf,
    /// Output CSV file (written atomically) [default: standard output].
    #[arg(long, short, value_name = "FILE", visible_alias = "out")]
    pub output: Option<PathBuf>,
}

/// What an `InvalidArgument` expected, for clap's `invalid value '…' for '--x': …` line.
fn expected_of(error: Error) -> String {
    match error {
        Error::InvalidArgument { expected, .. } => format!("expected {expected}"),
        other => other.to_string(),
    }
}

fn parse_manifold(text: &str) -> Result<ManifoldSpec, String> {
    text.parse().map_err(expected_of)
}

fn parse_loss(text: &str) -> Result<Loss, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "dsm" | "dsm-varadhan" | "ism" | "sliced" => text.parse().map_err(expected_of),
        _ => Err("expected one of dsm, dsm-varadhan, ism, sliced".to_string()),
    }
}

fn parse_time(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(t) if t.is_finite() && t > 0.0 => Ok(t),
        _ => Err("expected a finite kernel time t > 0".to_string()),
    }
}

/// A finite number `> 0` (learning rate, noise levels, ODE tolerance, corrector SNR,
/// gradient-clipping norm). Real-valued options take values starting with `-`
/// (`allow_hyphen_values`; clap's `allow_negative_numbers` misses `-1e-5`), so a negative
/// number is reported as an invalid value, never as an unknown flag.
fn parse_positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err("expected a finite number > 0".to_string()),
        Err(_) => Err("expected a number".to_string()),
    }
}

fn parse_tolerance(text: &str) -> Result<f64, String> {
    let tolerance = text
        .trim()
        .parse::<f64>()
        .map_err(|_| "expected a number".to_string())?;
    check_auto_tolerance(tolerance).map_err(expected_of)?;
    Ok(tolerance)
}
