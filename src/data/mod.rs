//! Data sets on manifolds: the earth-science benchmarks on `S²`, seeded
//! train/validation/test splits, and synthetic targets with exact densities.
//!
//! - [`earth`]: the Volcano / Earthquake / Flood / Fire CSV files used by RSGM
//!   (De Bortoli et al. 2022, §6.1) and later Riemannian generative models,
//!   read as unit vectors of `R³`.
//! - [`split`]: the seeded 80/10/10 random split of RSGM.
//! - [`targets`]: the [`Target`] trait (sampler + exact log density) and the
//!   built-in named targets; [`VonMisesFisherMixture`] on `S^d`,
//!   [`WrappedNormalMixture`] on `T^d`, [`RotationWrappedNormalMixture`] on `SO(3)` and
//!   [`HeatKernelMixtureTarget`] on every manifold with a heat kernel.
//!
//! A data set is a row-major buffer of points (one point per row, in the
//! manifold's ambient coordinates, see [`crate::conventions`]), wrapped in [`Dataset`].

pub mod earth;
mod heat_kernel_target;
mod rotation_wrapped_normal;
mod special;
pub mod split;
pub mod targets;
mod von_mises_fisher;
mod wrapped_normal;

pub use earth::{load_earth, EarthDataset};
pub use heat_kernel_target::HeatKernelMixtureTarget;
pub use rotation_wrapped_normal::{
    log_wrapped_normal_rotation, RotationWrappedNormalComponent, RotationWrappedNormalMixture,
};
pub use special::log_bessel_i;
pub use split::{split_80_10_10, Split};
pub use targets::{
    builtin_target, builtin_target_on, default_target_manifold, target_manifolds, Target,
    BUILTIN_TARGETS,
};
pub use von_mises_fisher::{
    log_vmf_normaliser, sample_vmf, VonMisesFisherComponent, VonMisesFisherMixture,
};
pub use wrapped_normal::{log_wrapped_normal_1d, WrappedNormalComponent, WrappedNormalMixture};

use crate::error::{Error, Result};

/// A named set of points stored row-major: `len()` rows of `ambient_dim` reals.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Human-readable name (e.g. `volcano`, `volcano/test`).
    pub name: String,
    /// Reals per point (3 for points of `S²`, `d` for `T^d`).
    pub ambient_dim: usize,
    /// The points, row-major, `len() * ambient_dim` reals.
    pub points: Vec<f64>,
}

impl Dataset {
    /// Wraps a row-major buffer.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `ambient_dim == 0`; [`Error::DimensionMismatch`] if
    /// `points.len()` is not a multiple of `ambient_dim`.
    pub fn new(name: impl Into<String>, ambient_dim: usize, points: Vec<f64>) -> Result<Self> {
        if ambient_dim == 0 {
            return Err(Error::invalid(
                "ambient_dim",
                0,
                "at least 1 real per point",
            ));
        }
        if points.len() % ambient_dim != 0 {
            return Err(Error::DimensionMismatch {
                what: "data set buffer (length must be a multiple of the ambient dimension)",
                expected: (points.len() / ambient_dim + 1) * ambient_dim,
                found: points.len(),
            });
        }
        Ok(Dataset {
            name: name.into(),
            ambient_dim,
            points,
        })
    }

    /// `n` exact draws of `target` from the data stream of the user seed,
    /// [`derive_seed`](crate::random::derive_seed)`(seed, Purpose::Data)` (so the same user seed
    /// can also steer the split, the initialisation and the batches without correlation).
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] for more points than fit the buffer budget
    /// ([`crate::limits::buffer_len`]); as [`Target::sample_batch`].
    pub fn sampled_from(
        target: &dyn Target,
        name: impl Into<String>,
        n: usize,
        seed: u64,
    ) -> Result<Self> {
        let dim = target.manifold().ambient_dim();
        let mut points = crate::limits::zeroed_buffer("data set (points × ambient_dim)", n, dim)?;
        target.sample_batch(
            crate::random::derive_seed(seed, crate::random::Purpose::Data),
            &mut points,
        )?;
        Dataset::new(name, dim, points)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len() / self.ambient_dim
    }

    /// True if there are no points.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Point `i` as a slice of `ambient_dim` reals.
    ///
    /// # Panics
    /// If `i >= len()`.
    pub fn row(&self, i: usize) -> &[f64] {
        &self.points[i * self.ambient_dim..(i + 1) * self.ambient_dim]
    }

    /// Iterator over the points.
    pub fn rows(&self) -> std::slice::ChunksExact<'_, f64> {
        self.points.chunks_exact(self.ambient_dim)
    }

    /// The points with the given row indices, in that order, under a new name.
    ///
    /// # Panics
    /// If an index is `>= len()`.
    pub fn select(&self, name: impl Into<String>, indices: &[usize]) -> Dataset {
        let mut points = Vec::with_capacity(indices.len() * self.ambient_dim);
        for &i in indices {
            points.extend_from_slice(self.row(i));
        }
        Dataset {
            name: name.into(),
            ambient_dim: self.ambient_dim,
            points,
        }
    }
}
