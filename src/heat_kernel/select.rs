//! Naming a manifold and a heat-kernel estimator by text, and building the kernel.
//!
//! This is the typed front end used by `rdiff kernel` and by library users who pick the
//! manifold at run time:
//!
//! ```
//! use riemannian_diffusion::heat_kernel::{heat_kernel, KernelMethod, ManifoldSpec};
//!
//! let spec: ManifoldSpec = "so:3".parse()?;
//! let kernel = heat_kernel(spec, KernelMethod::Auto, 1e-12)?;
//! let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
//! let mut score = [0.0; 9];
//! let evaluation = kernel.score(&identity, &identity, 0.5, &mut score)?;
//! assert!(evaluation.log_prob.is_finite());
//! # Ok::<(), riemannian_diffusion::Error>(())
//! ```
//!
//! | text | manifold | ambient reals per point `K` | methods |
//! |---|---|---|---|
//! | `torus:D` (`D ≥ 1`) | [`Torus`] `T^D` | `D` angles | `auto`, `eigen`, `paths` |
//! | `sphere:D` (`D ≥ 1`) | [`Sphere`] `S^D ⊂ R^{D+1}` | `D + 1` | all five |
//! | `so:N` (`N ≥ 2`) | [`SpecialOrthogonal`] `SO(N)` | `N²`, row-major | all five |
//! | `su:N` (`N ≥ 2`) | [`SpecialUnitary`] `SU(N)` | `2N²`, row-major, each entry `re, im` | all five |
//! | `u:N` (`N ≥ 1`) | [`Unitary`] `U(N)` | `2N²`, as `su` | all five |
//!
//! Methods ([`KernelMethod`]): `auto` (per `(t, x)` the cheapest estimator meeting the
//! requested tolerance where the kernel supports one, see below), `eigen` (eigenfunction /
//! character expansion), `varadhan` (leading Gaussian), `schwinger-dewitt` (leading Gaussian
//! with the Van Vleck and curvature factors), `paths` (sum over geodesics / lattice paths).
//! On the flat torus Varadhan and Schwinger–DeWitt coincide (Van Vleck factor 1, no
//! curvature): both are the single nearest-image Gaussian, the leading term of `paths`, which
//! [`TorusHeatKernel`] does not offer separately; [`heat_kernel`] refuses them there with
//! [`Error::InvalidArgument`] rather than silently substituting the exact `paths`.

use super::{
    GroupHeatKernel, GroupMethod, HeatKernel, SphereHeatKernel, SphereMethod, TorusHeatKernel,
    TorusMethod,
};
use crate::error::{Error, Result};
use crate::manifold::{Manifold, SpecialOrthogonal, SpecialUnitary, Sphere, Torus, Unitary};
use std::fmt;
use std::str::FromStr;

/// Default relative tolerance of `p` requested from [`KernelMethod::Auto`] by [`heat_kernel`].
pub const DEFAULT_AUTO_TOLERANCE: f64 = 1e-12;

/// Smallest relative tolerance [`heat_kernel`] accepts (about 5 ulps: below it no f64
/// estimator can certify anything).
pub const MIN_AUTO_TOLERANCE: f64 = 1e-15;

/// Largest number of ambient reals per point a parsed [`ManifoldSpec`] may have (`2²⁴`, e.g.
/// `S^{16777215}` or `SO(4096)`): larger sizes are refused as typos before anything is allocated.
pub const MAX_AMBIENT_DIM: usize = 1 << 24;

/// A manifold named by text: `torus:D`, `sphere:D`, `so:N`, `su:N` or `u:N`.
///
/// [`FromStr`] and [`fmt::Display`] round-trip (`Display` prints the canonical lower-case form;
/// parsing ignores surrounding white space and the case of the family name). Parsing checks the
/// size against the family's minimum, so a parsed spec always yields a manifold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ManifoldSpec {
    /// The flat torus `T^D = [0, 2π)^D`, `D ≥ 1`.
    Torus(usize),
    /// The unit sphere `S^D ⊂ R^{D+1}`, `D ≥ 1`.
    Sphere(usize),
    /// `SO(N)`, `N ≥ 2`, metric `½tr(AᵀB)`.
    SpecialOrthogonal(usize),
    /// `SU(N)`, `N ≥ 2`, Frobenius metric.
    SpecialUnitary(usize),
    /// `U(N)`, `N ≥ 1`, Frobenius metric.
    Unitary(usize),
}

/// The accepted forms, for error messages and help texts.
const SPEC_FORMS: &str = "torus:D or sphere:D (D >= 1), so:N or su:N (N >= 2), u:N (N >= 1)";

impl ManifoldSpec {
    /// The family prefix (`torus`, `sphere`, `so`, `su`, `u`) and the size.
    fn parts(&self) -> (&'static str, usize) {
        match *self {
            ManifoldSpec::Torus(d) => ("torus", d),
            ManifoldSpec::Sphere(d) => ("sphere", d),
            ManifoldSpec::SpecialOrthogonal(n) => ("so", n),
            ManifoldSpec::SpecialUnitary(n) => ("su", n),
            ManifoldSpec::Unitary(n) => ("u", n),
        }
    }

    /// The spec of a manifold built by this crate, read from [`Manifold::name`]
    /// (`Torus(d)`, `Sphere(d)`, `SO(n)`, `SU(n)`, `U(n)`); the inverse of [`ManifoldSpec::manifold`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for manifolds without a heat kernel here (products, user types).
    pub fn of(manifold: &dyn Manifold) -> Result<Self> {
        let name = manifold.name();
        let size = |prefix: &str| -> Option<usize> {
            name.strip_prefix(prefix)?.strip_suffix(')')?.parse().ok()
        };
        let spec = if let Some(d) = size("Torus(") {
            Some(ManifoldSpec::Torus(d))
        } else if let Some(d) = size("Sphere(") {
            Some(ManifoldSpec::Sphere(d))
        } else if let Some(n) = size("SO(") {
            Some(ManifoldSpec::SpecialOrthogonal(n))
        } else if let Some(n) = size("SU(") {
            Some(ManifoldSpec::SpecialUnitary(n))
        } else {
            size("U(").map(ManifoldSpec::Unitary)
        };
        spec.ok_or_else(|| {
            Error::invalid(
                "manifold",
                name,
                "a torus, sphere, SO(n), SU(n) or U(n) (no heat kernel for other manifolds yet)",
            )
        })
    }

    /// The manifold this spec names.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the size is below the family's minimum (only possible for a
    /// spec built directly, not for a parsed one).
    pub fn manifold(&self) -> Result<Box<dyn Manifold>> {
        Ok(match *self {
            ManifoldSpec::Torus(d) => Box::new(Torus::new(d)?),
            ManifoldSpec::Sphere(d) => Box::new(Sphere::new(d)?),
            ManifoldSpec::SpecialOrthogonal(n) => Box::new(SpecialOrthogonal::new(n)?),
            ManifoldSpec::SpecialUnitary(n) => Box::new(SpecialUnitary::new(n)?),
            ManifoldSpec::Unitary(n) => Box::new(Unitary::new(n)?),
        })
    }

    /// Number of reals per point `K` (see the table in the [module docs](self)); saturates
    /// instead of overflowing for absurd sizes.
    pub fn ambient_dim(&self) -> usize {
        match *self {
            ManifoldSpec::Torus(d) => d,
            ManifoldSpec::Sphere(d) => d.saturating_add(1),
            ManifoldSpec::SpecialOrthogonal(n) => n.saturating_mul(n),
            ManifoldSpec::SpecialUnitary(n) | ManifoldSpec::Unitary(n) => {
                n.saturating_mul(n).saturating_mul(2)
            }
        }
    }

    /// The estimators [`heat_kernel`] offers on this manifold.
    pub fn methods(&self) -> &'static [KernelMethod] {
        match self {
            ManifoldSpec::Torus(_) => &[
                KernelMethod::Auto,
                KernelMethod::Eigen,
                KernelMethod::SumOverPaths,
            ],
            _ => &KernelMethod::ALL,
        }
    }
}

impl fmt::Display for ManifoldSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (family, size) = self.parts();
        write!(f, "{family}:{size}")
    }
}

impl FromStr for ManifoldSpec {
    type Err = Error;

    /// Parses `torus:D`, `sphere:D`, `so:N`, `su:N`, `u:N`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the text: unknown family, missing or non-integer size,
    /// a size below the family's minimum (`sphere:0`, `so:1`, …), or more than
    /// [`MAX_AMBIENT_DIM`] reals per point.
    fn from_str(text: &str) -> Result<Self> {
        let bad = |expected: String| Error::invalid("manifold", format!("{text:?}"), expected);
        let trimmed = text.trim();
        let Some((family, size)) = trimmed.split_once(':') else {
            return Err(bad(format!("FAMILY:SIZE, one of {SPEC_FORMS}")));
        };
        let family = family.trim().to_ascii_lowercase();
        let (minimum, size_name, make): (usize, &str, fn(usize) -> ManifoldSpec) =
            match family.as_str() {
                "torus" => (1, "a torus dimension D", ManifoldSpec::Torus),
                "sphere" => (1, "a sphere dimension D", ManifoldSpec::Sphere),
                "so" => (2, "a matrix size N", ManifoldSpec::SpecialOrthogonal),
                "su" => (2, "a matrix size N", ManifoldSpec::SpecialUnitary),
                "u" => (1, "a matrix size N", ManifoldSpec::Unitary),
                _ => {
                    return Err(bad(format!(
                        "a known manifold family ({family:?} is not one): {SPEC_FORMS}"
                    )))
                }
            };
        let size = size.trim();
        let value: usize = size.parse().map_err(|_| {
            bad(format!(
                "{size_name} >= {minimum} after \"{family}:\" (found {size:?}, not a non-negative integer)"
            ))
        })?;
        if value < minimum {
            return Err(bad(format!(
                "{size_name} >= {minimum} after \"{family}:\" (found {value})"
            )));
        }
        let spec = make(value);
        if spec.ambient_dim() > MAX_AMBIENT_DIM {
            return Err(bad(format!(
                "{size_name} with at most {MAX_AMBIENT_DIM} reals per point (found {value}, {} reals)",
                spec.ambient_dim()
            )));
        }
        Ok(spec)
    }
}

/// A heat-kernel estimator named by text: `auto`, `eigen`, `varadhan`, `schwinger-dewitt`,
/// `paths` ([`FromStr`] is case-insensitive, [`fmt::Display`] prints these names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum KernelMethod {
    /// Per `(t, x)` the estimator the kernel's `Auto` picks (tolerance-driven on the groups).
    #[default]
    Auto,
    /// Eigenfunction expansion: Fourier (torus), Gegenbauer (sphere), characters (groups).
    Eigen,
    /// Leading Gaussian `(2πt)^{−dim/2} e^{−d(x₀,x)²/2t}` (approximate, relative error `O(d² + t)`).
    Varadhan,
    /// Leading Gaussian times the Van Vleck factor and the curvature factor (approximate).
    SchwingerDeWitt,
    /// Sum over geodesics (sphere, `d ≤ 3`) or lattice paths (torus, groups).
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
                    format!("{text:?}"),
                    "one of auto, eigen, varadhan, schwinger-dewitt, paths",
                )
            })
    }
}

/// Checks a relative tolerance for [`KernelMethod::Auto`]: finite, `1e-15 ≤ tolerance < 1`.
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

/// The heat kernel of `spec` evaluated with `method`.
///
/// `tolerance` is the relative tolerance of `p` requested from [`KernelMethod::Auto`]
/// ([`DEFAULT_AUTO_TOLERANCE`] = `1e-12` is the library's default); it is passed on with
/// [`TorusHeatKernel::with_tolerance`], [`SphereHeatKernel::with_tolerance`] and
/// [`GroupHeatKernel::with_tolerance`]. The torus `Auto` meets every admissible tolerance with
/// one fixed rule (relative error `~1e-15` per factor, see [`TorusMethod::Auto`]); the explicit
/// methods ignore it. It is validated in every case ([`check_auto_tolerance`]).
///
/// Mapping: torus → [`TorusMethod`] `{Auto, Eigen, SumOverPaths}`; sphere → [`SphereMethod`]
/// (all five); groups → [`GroupMethod`] with `eigen` = [`GroupMethod::CharacterExpansion`].
///
/// # Errors
/// [`Error::InvalidArgument`] for a tolerance outside `[1e-15, 1)`, for a size below the family's
/// minimum, and for `varadhan` / `schwinger-dewitt` on the torus (see the [module docs](self)).
pub fn heat_kernel(
    spec: ManifoldSpec,
    method: KernelMethod,
    tolerance: f64,
) -> Result<Box<dyn HeatKernel>> {
    check_auto_tolerance(tolerance)?;
    Ok(match spec {
        ManifoldSpec::Torus(d) => {
            let torus_method = match method {
                KernelMethod::Auto => TorusMethod::Auto,
                KernelMethod::Eigen => TorusMethod::Eigen,
                KernelMethod::SumOverPaths => TorusMethod::SumOverPaths,
                KernelMethod::Varadhan | KernelMethod::SchwingerDeWitt => {
                    return Err(Error::invalid(
                        "method",
                        method,
                        format!(
                            "one of auto, eigen, paths on {spec} (on the flat torus Varadhan and \
                             Schwinger–DeWitt are both the single nearest-image Gaussian, the \
                             leading term of the exact `paths`, which is not offered separately)"
                        ),
                    ))
                }
            };
            Box::new(TorusHeatKernel::new(Torus::new(d)?, torus_method).with_tolerance(tolerance)?)
        }
        ManifoldSpec::Sphere(d) => {
            let sphere_method = match method {
                KernelMethod::Auto => SphereMethod::Auto,
                KernelMethod::Eigen => SphereMethod::Eigen,
                KernelMethod::Varadhan => SphereMethod::Varadhan,
                KernelMethod::SchwingerDeWitt => SphereMethod::SchwingerDeWitt,
                KernelMethod::SumOverPaths => SphereMethod::SumOverPaths,
            };
            Box::new(
                SphereHeatKernel::new(Sphere::new(d)?, sphere_method).with_tolerance(tolerance)?,
            )
        }
        ManifoldSpec::SpecialOrthogonal(n) => Box::new(
            GroupHeatKernel::new(SpecialOrthogonal::new(n)?, group_method(method))?
                .with_tolerance(tolerance)?,
        ),
        ManifoldSpec::SpecialUnitary(n) => Box::new(
            GroupHeatKernel::new(SpecialUnitary::new(n)?, group_method(method))?
                .with_tolerance(tolerance)?,
        ),
        ManifoldSpec::Unitary(n) => Box::new(
            GroupHeatKernel::new(Unitary::new(n)?, group_method(method))?
                .with_tolerance(tolerance)?,
        ),
    })
}

fn group_method(method: KernelMethod) -> GroupMethod {
    match method {
        KernelMethod::Auto => GroupMethod::Auto,
        KernelMethod::Eigen => GroupMethod::CharacterExpansion,
        KernelMethod::Varadhan => GroupMethod::Varadhan,
        KernelMethod::SchwingerDeWitt => GroupMethod::SchwingerDeWitt,
        KernelMethod::SumOverPaths => GroupMethod::SumOverPaths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quickcheck::quickcheck;

    fn spec_from(family: u8, size: usize) -> ManifoldSpec {
        let size = size % 1000;
        match family % 5 {
            0 => ManifoldSpec::Torus(size + 1),
            1 => ManifoldSpec::Sphere(size + 1),
            2 => ManifoldSpec::SpecialOrthogonal(size + 2),
            3 => ManifoldSpec::SpecialUnitary(size + 2),
            _ => ManifoldSpec::Unitary(size + 1),
        }
    }

    quickcheck! {
        fn spec_display_parse_round_trip(family: u8, size: usize) -> bool {
            let spec = spec_from(family, size);
            spec.to_string().parse::<ManifoldSpec>().ok() == Some(spec)
        }
    }

    #[test]
    fn specs_parse_to_the_named_manifolds() {
        let cases = [
            ("torus:2", ManifoldSpec::Torus(2), "Torus(2)", 2),
            ("sphere:2", ManifoldSpec::Sphere(2), "Sphere(2)", 3),
            (" SO:3 ", ManifoldSpec::SpecialOrthogonal(3), "SO(3)", 9),
            ("su:3", ManifoldSpec::SpecialUnitary(3), "SU(3)", 18),
            ("u:1", ManifoldSpec::Unitary(1), "U(1)", 2),
            (
                "so:4096",
                ManifoldSpec::SpecialOrthogonal(4096),
                "SO(4096)",
                1 << 24,
            ),
            ("u:2", ManifoldSpec::Unitary(2), "U(2)", 8),
        ];
        for (text, spec, name, ambient) in cases {
            let parsed: ManifoldSpec = text.parse().unwrap();
            assert_eq!(parsed, spec, "{text}");
            assert_eq!(parsed.ambient_dim(), ambient, "{text}");
            let manifold = parsed.manifold().unwrap();
            assert_eq!(manifold.name(), name);
            assert_eq!(manifold.ambient_dim(), ambient);
        }
    }

    #[test]
    fn spec_of_a_manifold_inverts_spec_manifold() {
        for text in ["torus:2", "sphere:127", "so:3", "su:3", "u:1", "u:4"] {
            let spec: ManifoldSpec = text.parse().unwrap();
            let manifold = spec.manifold().unwrap();
            assert_eq!(ManifoldSpec::of(manifold.as_ref()).unwrap(), spec, "{text}");
        }
        let product = crate::manifold::Product::power(Sphere::new(2).unwrap(), 2).unwrap();
        let err = ManifoldSpec::of(&product).unwrap_err().to_string();
        assert!(err.contains("S2") || err.contains("Sphere(2)"), "{err}");
    }

    #[test]
    fn bad_specs_are_refused_naming_the_text() {
        for (text, hint) in [
            ("sphere:0", "D >= 1"),
            ("torus:0", "D >= 1"),
            ("so:1", "N >= 2"),
            ("su:1", "N >= 2"),
            ("u:0", "N >= 1"),
            ("su:x", "not a non-negative integer"),
            ("so:-3", "not a non-negative integer"),
            ("klein:2", "known manifold family"),
            ("sphere:", "not a non-negative integer"),
            ("sphere", "FAMILY:SIZE"),
            ("so:4097", "at most 16777216 reals"),
            ("torus:99999999999999999999", "not a non-negative integer"),
            ("", "FAMILY:SIZE"),
        ] {
            let error = text.parse::<ManifoldSpec>().unwrap_err();
            let message = error.to_string();
            assert!(
                matches!(
                    error,
                    Error::InvalidArgument {
                        name: "manifold",
                        ..
                    }
                ),
                "{text}: {message}"
            );
            assert!(message.contains(&format!("{text:?}")), "{text}: {message}");
            assert!(message.contains(hint), "{text}: {message}");
        }
    }

    #[test]
    fn methods_round_trip_and_bad_names_are_refused() {
        for method in KernelMethod::ALL {
            assert_eq!(method.to_string().parse::<KernelMethod>().unwrap(), method);
        }
        assert_eq!(
            "Schwinger-DeWitt".parse::<KernelMethod>().unwrap(),
            KernelMethod::SchwingerDeWitt
        );
        let message = "saddle-point"
            .parse::<KernelMethod>()
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("\"saddle-point\"") && message.contains("schwinger-dewitt"),
            "{message}"
        );
    }

    #[test]
    fn tolerance_is_validated() {
        let spec = ManifoldSpec::Sphere(2);
        for bad in [0.0, 1e-16, 1.0, 2.0, -1e-3, f64::NAN, f64::INFINITY] {
            let error = heat_kernel(spec, KernelMethod::Auto, bad).err().unwrap();
            assert!(
                matches!(
                    error,
                    Error::InvalidArgument {
                        name: "tolerance",
                        ..
                    }
                ),
                "{bad}: {error}"
            );
        }
        assert!(heat_kernel(spec, KernelMethod::Auto, MIN_AUTO_TOLERANCE).is_ok());
        assert!(heat_kernel(spec, KernelMethod::Auto, 0.5).is_ok());
    }

    #[test]
    fn torus_refuses_the_asymptotic_methods_clearly() {
        let spec = ManifoldSpec::Torus(3);
        for method in [KernelMethod::Varadhan, KernelMethod::SchwingerDeWitt] {
            assert!(!spec.methods().contains(&method));
            let message = heat_kernel(spec, method, DEFAULT_AUTO_TOLERANCE)
                .err()
                .unwrap()
                .to_string();
            assert!(
                message.contains(method.name()) && message.contains("auto, eigen, paths"),
                "{message}"
            );
        }
        for &method in spec.methods() {
            assert!(heat_kernel(spec, method, DEFAULT_AUTO_TOLERANCE).is_ok());
        }
    }

    /// The selected kernel is the one built directly (bitwise equal values).
    #[test]
    fn selected_kernels_match_direct_construction() {
        let t = 0.3;
        // S²: two unit vectors at angle 1.
        let x0 = [0.0, 0.0, 1.0];
        let x = [1f64.sin(), 0.0, 1f64.cos()];
        for (method, direct) in [
            (KernelMethod::Auto, SphereMethod::Auto),
            (KernelMethod::Eigen, SphereMethod::Eigen),
            (KernelMethod::Varadhan, SphereMethod::Varadhan),
            (KernelMethod::SchwingerDeWitt, SphereMethod::SchwingerDeWitt),
            (KernelMethod::SumOverPaths, SphereMethod::SumOverPaths),
        ] {
            let selected = heat_kernel(ManifoldSpec::Sphere(2), method, DEFAULT_AUTO_TOLERANCE)
                .unwrap()
                .log_prob(&x0, &x, t);
            let expected =
                SphereHeatKernel::new(Sphere::new(2).unwrap(), direct).log_prob(&x0, &x, t);
            // Same value, or the same error where the estimator refuses this point.
            assert_eq!(format!("{selected:?}"), format!("{expected:?}"), "{method}");
        }
        // SO(3): rotation by 1 about the z axis.
        let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let (c, s) = (1f64.cos(), 1f64.sin());
        let rotation = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        for method in KernelMethod::ALL {
            let selected = heat_kernel(
                ManifoldSpec::SpecialOrthogonal(3),
                method,
                DEFAULT_AUTO_TOLERANCE,
            )
            .unwrap()
            .log_prob(&identity, &rotation, t);
            let expected =
                GroupHeatKernel::new(SpecialOrthogonal::new(3).unwrap(), group_method(method))
                    .unwrap()
                    .log_prob(&identity, &rotation, t);
            assert_eq!(format!("{selected:?}"), format!("{expected:?}"), "{method}");
        }
        // The tolerance reaches the sphere and group `Auto` kernels.
        let loose = 1e-6;
        let selected = heat_kernel(ManifoldSpec::Sphere(2), KernelMethod::Auto, loose)
            .unwrap()
            .log_prob(&x0, &x, t);
        let expected = SphereHeatKernel::new(Sphere::new(2).unwrap(), SphereMethod::Auto)
            .with_tolerance(loose)
            .unwrap()
            .log_prob(&x0, &x, t);
        assert_eq!(format!("{selected:?}"), format!("{expected:?}"));
        let selected = heat_kernel(
            ManifoldSpec::SpecialOrthogonal(3),
            KernelMethod::Auto,
            loose,
        )
        .unwrap()
        .log_prob(&identity, &rotation, t);
        let expected = GroupHeatKernel::new(SpecialOrthogonal::new(3).unwrap(), GroupMethod::Auto)
            .unwrap()
            .with_tolerance(loose)
            .unwrap()
            .log_prob(&identity, &rotation, t);
        assert_eq!(format!("{selected:?}"), format!("{expected:?}"));
    }
}
