//! The crate's one vocabulary of heat-kernel estimators ([`KernelMethod`], named by text) and
//! the tolerance of `Auto` ([`DEFAULT_AUTO_TOLERANCE`], [`MIN_AUTO_TOLERANCE`],
//! [`check_auto_tolerance`]).
//!
//! Methods: `auto` (per `(t, x)` the cheapest estimator meeting the requested tolerance where
//! the kernel supports one), `eigen` (eigenfunction / character expansion), `varadhan`
//! (leading Gaussian), `schwinger-dewitt` (leading Gaussian with the Van Vleck and curvature
//! factors), `paths` (sum over geodesics / lattice paths). Every kernel constructor takes a
//! [`KernelMethod`] ([`TorusHeatKernel::new`], [`SphereHeatKernel::new`],
//! [`GroupHeatKernel::new`]) and every evaluation reports the estimator that answered
//! ([`KernelEvaluation::estimator`], never `Auto`) with an estimate of its error
//! ([`KernelEvaluation::error_estimate`]).
//!
//! On the flat torus Varadhan and Schwinger–DeWitt coincide (Van Vleck factor 1, no
//! curvature): both are the single nearest-image Gaussian, the leading term of `paths`, which
//! [`TorusHeatKernel`] does not offer separately; [`TorusHeatKernel::new`] refuses them with
//! [`Error::InvalidArgument`] rather than silently substituting the exact `paths`
//! ([`TorusHeatKernel::METHODS`] lists what it offers).
//!
//! [`TorusHeatKernel`]: super::TorusHeatKernel
//! [`TorusHeatKernel::new`]: super::TorusHeatKernel::new
//! [`TorusHeatKernel::METHODS`]: super::TorusHeatKernel::METHODS
//! [`SphereHeatKernel::new`]: super::SphereHeatKernel::new
//! [`GroupHeatKernel::new`]: super::GroupHeatKernel::new
//! [`KernelEvaluation::estimator`]: super::KernelEvaluation::estimator
//! [`KernelEvaluation::error_estimate`]: super::KernelEvaluation::error_estimate

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Default relative tolerance of `p` requested from [`KernelMethod::Auto`] (`1e-12`), on every
/// manifold (the `with_tolerance` of every kernel and
/// [`crate::registry::Registry::auto_kernel`] start from it).
pub const DEFAULT_AUTO_TOLERANCE: f64 = 1e-12;

/// Smallest relative tolerance `Auto` accepts (about 5 ulps: below it no f64
/// estimator can certify anything); see [`check_auto_tolerance`].
pub const MIN_AUTO_TOLERANCE: f64 = 1e-15;

/// A heat-kernel estimator named by text: `auto`, `eigen`, `varadhan`, `schwinger-dewitt`,
/// `paths` ([`FromStr`] is case-insensitive, [`fmt::Display`] prints these names).
///
/// What each variant means on each manifold, with accuracy and cost, is documented in the
/// kernel modules: [`super::torus`], [`super::sphere`], [`super::group`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KernelMethod {
    /// Per `(t, x)` the cheapest estimator whose error estimate meets the kernel's relative
    /// tolerance of `p` (default [`DEFAULT_AUTO_TOLERANCE`]). Only ever requested: an
    /// evaluation reports the estimator `Auto` picked, never `Auto` itself.
    #[default]
    Auto,
    /// Eigenfunction expansion: Fourier (torus), Gegenbauer (sphere), characters (groups: the
    /// character expansion).
    Eigen,
    /// Leading Gaussian `(2πt)^{−dim/2} e^{−d(x₀,x)²/2t}` (approximate, relative error `O(d² + t)`).
    Varadhan,
    /// Leading Gaussian times the Van Vleck factor and the curvature factor (approximate).
    SchwingerDeWitt,
    /// Sum over geodesics or lattice paths: wrapped Gaussian (torus), path sums (`S¹`–`S³`) and
    /// the dimension recursion applied to them (`S^d`, `d ≥ 4`), lattice paths (groups). Exact.
    SumOverPaths,
}

impl KernelMethod {
    /// Every method, in the order of the command-line help.
    pub const ALL: [KernelMethod; 5] = [
        KernelMethod::Auto,
        KernelMethod::Eigen,
        KernelMethod::Varadhan,
        KernelMethod::SchwingerDeWitt,
        KernelMethod::SumOverPaths,
    ];

    /// The text name (`auto`, `eigen`, `varadhan`, `schwinger-dewitt`, `paths`).
    pub fn name(&self) -> &'static str {
        match self {
            KernelMethod::Auto => "auto",
            KernelMethod::Eigen => "eigen",
            KernelMethod::Varadhan => "varadhan",
            KernelMethod::SchwingerDeWitt => "schwinger-dewitt",
            KernelMethod::SumOverPaths => "paths",
        }
    }
}

impl KernelMethod {
    /// Whether the estimator is exact (its error is truncation and rounding, bounded or
    /// estimated a posteriori): `Eigen` and `SumOverPaths`. `Varadhan` and `SchwingerDeWitt`
    /// are asymptotic approximations; `Auto` picks exact estimators wherever it can.
    pub fn is_exact(&self) -> bool {
        matches!(self, KernelMethod::Eigen | KernelMethod::SumOverPaths)
    }
}

impl fmt::Display for KernelMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KernelMethod {
    type Err = Error;

    /// Parses a method name (case-insensitive, surrounding white space ignored).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the text and listing the names.
    fn from_str(text: &str) -> Result<Self> {
        let wanted = text.trim().to_ascii_lowercase();
        KernelMethod::ALL
            .into_iter()
            .find(|m| m.name() == wanted)
            .ok_or_else(|| {
                Error::invalid(
                    "method",
                    crate::error::quoted(text),
                    "one of auto, eigen, varadhan, schwinger-dewitt, paths",
                )
            })
    }
}

/// Checks a relative tolerance for [`KernelMethod::Auto`]: finite,
/// [`MIN_AUTO_TOLERANCE`] `= 1e-15 ≤ tolerance < 1`. The one validation of every
/// `with_tolerance` and of [`crate::registry::Registry::heat_kernel`].
///
/// # Errors
/// [`Error::InvalidArgument`] naming the value otherwise.
pub fn check_auto_tolerance(tolerance: f64) -> Result<()> {
    if tolerance.is_finite() && (MIN_AUTO_TOLERANCE..1.0).contains(&tolerance) {
        Ok(())
    } else {
        Err(Error::invalid(
            "tolerance",
            tolerance,
            "a relative tolerance of p with 1e-15 <= tolerance < 1",
        ))
    }
}
