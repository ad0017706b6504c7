//! Data for the commands: earth-science files or samples of a built-in target (on the manifold
//! chosen by `--manifold`), split 80/10/10.

use super::args::DatasetChoice;
use clap::ValueEnum;
use riemannian_diffusion::data::earth::resolve_data_dir;
use riemannian_diffusion::data::{
    builtin_target_on, default_target_manifold, load_earth, split_80_10_10, Dataset, EarthDataset,
    Split, Target,
};
use riemannian_diffusion::limits;
use riemannian_diffusion::manifold::{Manifold, ManifoldSpec};
use riemannian_diffusion::registry;
use riemannian_diffusion::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A data set ready for training or evaluation.
pub struct Prepared {
    /// The manifold of the points.
    pub manifold: Arc<dyn Manifold>,
    /// The seeded 80/10/10 split.
    pub split: Split,
    /// The exact target for synthetic data sets (for reference NLLs).
    pub target: Option<Box<dyn Target>>,
    /// The manifold as a spec (`sphere:2`, `so:3`, …), stored in checkpoints.
    pub spec: ManifoldSpec,
}

/// The command-line name of a data set (`volcano`, …, `vmf-mixture`).
pub fn dataset_name(choice: DatasetChoice) -> String {
    choice
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// The data set of a command-line name (as stored in checkpoints).
///
/// # Errors
/// [`Error::InvalidArgument`] for an unknown name.
pub fn dataset_from_name(name: &str) -> Result<DatasetChoice> {
    DatasetChoice::from_str(name, true).map_err(|_| {
        Error::invalid(
            "dataset",
            riemannian_diffusion::error::quoted(name),
            "volcano, earthquake, flood, fire, vmf-mixture, wrapped-normal-mixture or heat-kernel-mixture",
        )
    })
}

fn earth(choice: DatasetChoice) -> Option<EarthDataset> {
    match choice {
        DatasetChoice::Volcano => Some(EarthDataset::Volcano),
        DatasetChoice::Earthquake => Some(EarthDataset::Earthquake),
        DatasetChoice::Flood => Some(EarthDataset::Flood),
        DatasetChoice::Fire => Some(EarthDataset::Fire),
        DatasetChoice::VmfMixture
        | DatasetChoice::WrappedNormalMixture
        | DatasetChoice::HeatKernelMixture => None,
    }
}

/// The file an earth-science data set is read from (`None` for the synthetic sets), so that
/// outputs can be checked against it.
pub fn data_file(choice: DatasetChoice, data_dir: Option<&Path>) -> Option<PathBuf> {
    earth(choice).map(|set| resolve_data_dir(data_dir).join(set.file_name()))
}

/// Checks the number of samples of a synthetic data set: at least 10 (so that the 10%
/// validation and test parts are not empty), and within the resource policy's buffer bound
/// for points of `ambient_dim` reals.
///
/// # Errors
/// [`Error::InvalidArgument`] below 10; [`Error::LimitExceeded`] above the bound.
pub fn check_synthetic_size(synthetic_size: usize, ambient_dim: usize) -> Result<()> {
    if synthetic_size < 10 {
        return Err(Error::invalid(
            "synthetic-size",
            synthetic_size,
            "at least 10 samples (so that the 10% validation and test parts are not empty)",
        ));
    }
    limits::buffer_len("--synthetic-size", synthetic_size, ambient_dim)?;
    Ok(())
}

/// The manifold of a data set: `requested` if given, else the set's default (`sphere:2` for
/// the earth-science sets and `vmf-mixture`, `torus:2` for `wrapped-normal-mixture`).
///
/// # Errors
/// [`Error::InvalidArgument`] naming the data set and the manifolds it supports when
/// `requested` is not one of them.
pub fn dataset_manifold(
    choice: DatasetChoice,
    requested: Option<ManifoldSpec>,
) -> Result<ManifoldSpec> {
    let name = dataset_name(choice);
    match earth(choice) {
        Some(_) => match requested {
            None | Some(ManifoldSpec::Sphere(2)) => Ok(ManifoldSpec::Sphere(2)),
            Some(other) => Err(Error::invalid(
                "manifold",
                other.to_string(),
                format!("sphere:2 for the earth-science data set {name} (or omit --manifold)"),
            )),
        },
        None => {
            let spec = match requested {
                Some(spec) => spec,
                None => default_target_manifold(&name)?,
            };
            // Fails with a message naming the target's manifolds on a mismatch.
            builtin_target_on(&name, &spec)?;
            Ok(spec)
        }
    }
}

/// Loads (earth data) or samples (`synthetic_size` points of a built-in target on `manifold`,
/// from `seed`) the data set and splits it 80/10/10 with `seed`. `manifold` as in
/// [`dataset_manifold`].
///
/// # Errors
/// Loader errors (missing directory or file, malformed rows); [`Error::InvalidArgument`] for a
/// data set / manifold mismatch, or if a synthetic size below 10 would leave the validation or
/// test part empty; [`Error::LimitExceeded`] for a synthetic size over the resource policy
/// ([`check_synthetic_size`]).
pub fn prepare(
    choice: DatasetChoice,
    manifold: Option<ManifoldSpec>,
    data_dir: Option<&Path>,
    seed: u64,
    synthetic_size: usize,
) -> Result<Prepared> {
    let spec = dataset_manifold(choice, manifold)?;
    let manifold: Arc<dyn Manifold> = registry::builtin().manifold(&spec)?;
    let (data, target): (Dataset, Option<Box<dyn Target>>) = match earth(choice) {
        Some(set) => {
            let data = load_earth(set, data_dir)?;
            if data.len() < 10 {
                let path = resolve_data_dir(data_dir).join(set.file_name());
                return Err(Error::invalid(
                    "data file",
                    path.display(),
                    format!(
                        "at least 10 rows for the 80/10/10 split (it has {}), e.g. the \
                         earth-science file of the data README",
                        data.len()
                    ),
                ));
            }
            (data, None)
        }
        None => {
            check_synthetic_size(synthetic_size, manifold.ambient_dim())?;
            let target = builtin_target_on(&dataset_name(choice), &spec)?;
            let data =
                Dataset::sampled_from(target.as_ref(), dataset_name(choice), synthetic_size, seed)?;
            (data, Some(target))
        }
    };
    Ok(Prepared {
        split: split_80_10_10(&data, seed),
        manifold,
        target,
        spec,
    })
}
