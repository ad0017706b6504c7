//! Data for the commands: earth-science files or samples of a built-in target, split 80/10/10.

use super::args::DatasetChoice;
use clap::ValueEnum;
use riemannian_diffusion::data::{
    builtin_target, load_earth, split_80_10_10, Dataset, EarthDataset, Split, Target,
};
use riemannian_diffusion::manifold::{Manifold, Sphere, Torus};
use riemannian_diffusion::{Error, Result};
use std::path::Path;
use std::sync::Arc;

/// A data set ready for training or evaluation.
pub struct Prepared {
    /// The manifold of the points.
    pub manifold: Arc<dyn Manifold>,
    /// The seeded 80/10/10 split.
    pub split: Split,
    /// The exact target for synthetic data sets (for reference NLLs).
    pub target: Option<Box<dyn Target>>,
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
            format!("{name:?}"),
            "volcano, earthquake, flood, fire, vmf-mixture or wrapped-normal-mixture",
        )
    })
}

fn earth(choice: DatasetChoice) -> Option<EarthDataset> {
    match choice {
        DatasetChoice::Volcano => Some(EarthDataset::Volcano),
        DatasetChoice::Earthquake => Some(EarthDataset::Earthquake),
        DatasetChoice::Flood => Some(EarthDataset::Flood),
        DatasetChoice::Fire => Some(EarthDataset::Fire),
        DatasetChoice::VmfMixture | DatasetChoice::WrappedNormalMixture => None,
    }
}

/// Loads (earth data) or samples (`synthetic_size` points of a built-in target, from `seed`)
/// the data set and splits it 80/10/10 with `seed`.
///
/// # Errors
/// Loader errors (missing directory or file, malformed rows); [`Error::InvalidArgument`] if a
/// synthetic size below 10 would leave the validation or test part empty.
pub fn prepare(
    choice: DatasetChoice,
    data_dir: Option<&Path>,
    seed: u64,
    synthetic_size: usize,
) -> Result<Prepared> {
    let (data, manifold, target): (Dataset, Arc<dyn Manifold>, Option<Box<dyn Target>>) =
        match earth(choice) {
            Some(set) => (load_earth(set, data_dir)?, Arc::new(Sphere::new(2)?), None),
            None => {
                if synthetic_size < 10 {
                    return Err(Error::invalid(
                    "synthetic-size",
                    synthetic_size,
                    "at least 10 samples (so that the 10% validation and test parts are not empty)",
                ));
                }
                let target = builtin_target(&dataset_name(choice))?;
                let manifold: Arc<dyn Manifold> = match choice {
                    DatasetChoice::WrappedNormalMixture => Arc::new(Torus::new(2)?),
                    _ => Arc::new(Sphere::new(2)?),
                };
                let points = target.sample(synthetic_size, seed);
                let data = Dataset::new(dataset_name(choice), manifold.ambient_dim(), points)?;
                (data, manifold, Some(target))
            }
        };
    Ok(Prepared {
        split: split_80_10_10(&data, seed),
        manifold,
        target,
    })
}

/// The manifold named by `Manifold::name()` (`Sphere(d)` or `Torus(d)`), as stored in checkpoints.
///
/// # Errors
/// [`Error::InvalidArgument`] for any other name.
pub fn manifold_from_name(name: &str) -> Result<Arc<dyn Manifold>> {
    let parse = |prefix: &str| {
        name.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|d| d.parse::<usize>().ok())
    };
    if let Some(d) = parse("Sphere(") {
        return Ok(Arc::new(Sphere::new(d)?));
    }
    if let Some(d) = parse("Torus(") {
        return Ok(Arc::new(Torus::new(d)?));
    }
    Err(Error::invalid(
        "manifold",
        format!("{name:?}"),
        "Sphere(d) or Torus(d)",
    ))
}
