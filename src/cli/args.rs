//! Command-line arguments (clap derive). Every command has `--help`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Score-based diffusion models on Riemannian manifolds (spheres, tori).
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
    /// Train a score model by denoising score matching and save a checkpoint.
    Train(TrainArgs),
    /// Evaluate a checkpoint: negative log-likelihood of a data split by the probability-flow ODE.
    Eval(EvalArgs),
    /// Draw samples from a checkpoint (reverse probability-flow ODE) and write them as CSV.
    Sample(SampleArgs),
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
    /// Built-in 4-component von Mises–Fisher mixture on S² (samples drawn from --seed).
    VmfMixture,
    /// Built-in 3-component wrapped normal mixture on T² (samples drawn from --seed).
    WrappedNormalMixture,
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
    #[arg(long)]
    pub steps: Option<usize>,
    /// Batch size.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Adam learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Width of each hidden layer of the MLP.
    #[arg(long)]
    pub width: Option<usize>,
    /// Number of hidden layers of the MLP.
    #[arg(long)]
    pub depth: Option<usize>,
    /// Smallest noise level σ_min of the geometric schedule (kernel time t = σ²).
    #[arg(long)]
    pub sigma_min: Option<f64>,
    /// Largest noise level σ_max of the geometric schedule.
    #[arg(long)]
    pub sigma_max: Option<f64>,
    /// Seed of the split, the synthetic samples, the initialisation and the batches.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `rdiff demo` options.
#[derive(Clone, Debug, Args)]
pub struct DemoArgs {
    /// Model and optimiser options (defaults listed at the end of the help).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Held-out samples of the target used for the test NLL.
    #[arg(long, default_value_t = 200)]
    pub test_points: usize,
    /// Width of the density map grid evaluated by the PF-ODE (height = width / 2).
    #[arg(long, default_value_t = 144)]
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
    /// Directory of the earth-science CSV files (else $RDIFF_DATA_DIR, else ../shared/earth_data).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Model and optimiser options (defaults listed at the end of the help).
    #[command(flatten)]
    pub model: ModelArgs,
    /// Number of samples drawn from a synthetic target before the 80/10/10 split.
    #[arg(long, default_value_t = 10_000)]
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
    #[arg(long)]
    pub max_points: Option<usize>,
    /// Relative and absolute tolerance of the PF-ODE solver.
    #[arg(long, default_value_t = 1e-5)]
    pub tolerance: f64,
    /// Use the raw parameters instead of their exponential moving average.
    #[arg(long)]
    pub no_ema: bool,
}

/// `rdiff sample` options.
#[derive(Clone, Debug, Args)]
pub struct SampleArgs {
    /// Checkpoint written by `rdiff train`.
    #[arg(long, short)]
    pub checkpoint: PathBuf,
    /// Number of samples.
    #[arg(short = 'n', long = "num-samples", default_value_t = 1000)]
    pub num_samples: usize,
    /// Seed of the prior draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// CSV output file (default: standard output).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    /// Also write a picture of the samples (PNG log-histogram; S²: equirectangular map, T²: angle square).
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Relative and absolute tolerance of the PF-ODE solver.
    #[arg(long, default_value_t = 1e-5)]
    pub tolerance: f64,
    /// Use the raw parameters instead of their exponential moving average.
    #[arg(long)]
    pub no_ema: bool,
}
