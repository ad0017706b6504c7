//! The one place that maps a manifold's identity ([`ManifoldSpec`]) to the numerical machinery
//! built for it: its heat kernel, its exact heat-kernel sampler, its default noise schedule,
//! and the manifold itself (rebuilt from a spec, e.g. when a checkpoint is loaded).
//!
//! Every `match` on a [`ManifoldSpec`] that chooses machinery lives in this module. Products
//! are handled once, generically (the heat kernel of `M₁ × … × M_k` is the product of the
//! factors' kernels, its exact sampler samples each factor), so they work for every
//! combination of factors, user manifolds included.
//!
//! What is *not* here: how a network reads the coordinates (each manifold declares its
//! [`CoordinateKind`](crate::manifold::CoordinateKind)s, and [`crate::nn::InputEncoding`]
//! follows them, factor by factor), the metric form and the projection form (declared by the
//! manifold as well).
//!
//! # Adding a manifold
//! Built-in families are matched below. A manifold defined outside the crate implements
//! [`Manifold`] with [`ManifoldSpec::Custom`] as its spec, and registers one
//! [`ManifoldFamily`] under the family name of that spec:
//!
//! ```
//! use riemannian_diffusion::manifold::{CustomName, Manifold, ManifoldSpec};
//! use riemannian_diffusion::registry::{ManifoldFamily, Registry};
//! use std::sync::Arc;
//! # use riemannian_diffusion::heat_kernel::{HeatKernel, KernelMethod};
//! # use riemannian_diffusion::sampling::HeatKernelSampler;
//! # use riemannian_diffusion::{Error, Result};
//!
//! struct MyFamily;
//! impl ManifoldFamily for MyFamily {
//!     fn manifold(&self, name: &CustomName) -> Result<Arc<dyn Manifold>> {
//!         // Rebuild the manifold that `name` (e.g. `mine:2`) denotes.
//!         # Err(Error::invalid("manifold", name, "an example"))
//!     }
//!     fn heat_kernel(&self, m: &dyn Manifold, method: KernelMethod, tolerance: f64)
//!         -> Result<Box<dyn HeatKernel>> {
//!         # Err(Error::invalid("manifold", m.spec(), "an example"))
//!     }
//!     fn sampler(&self, m: &dyn Manifold) -> Result<Box<dyn HeatKernelSampler>> {
//!         # Err(Error::invalid("manifold", m.spec(), "an example"))
//!     }
//! }
//!
//! let mut registry = Registry::new();
//! registry.register("mine", Arc::new(MyFamily))?;
//! let spec = registry.parse("mine:2*sphere:2")?; // products with built-ins work too
//! assert_eq!(spec.to_string(), "mine:2*sphere:2");
//! # Ok::<(), riemannian_diffusion::Error>(())
//! ```
//!
//! `tests/custom_manifold.rs` carries a complete example (a circle of radius `r`): training,
//! sampling, likelihood and checkpoints through a registry with that one entry.

use crate::error::{Error, Result};
use crate::heat_kernel::{
    check_auto_tolerance, GroupHeatKernel, HeatKernel, KernelMethod, ProductHeatKernel,
    SphereHeatKernel, TorusHeatKernel, DEFAULT_AUTO_TOLERANCE,
};
use crate::manifold::{
    CompactGroup, CustomName, Manifold, ManifoldSpec, Product, Sphere, Torus, BUILTIN_FAMILIES,
};
use crate::sampling::{
    GroupHeatKernelSampler, HeatKernelSampler, ProductHeatKernelSampler, SphereAutoSampler,
    SphereHeatKernelSampler, TorusHeatKernelSampler,
};
use crate::schedule::{GeometricSchedule, DEFAULT_SIGMA_MIN};
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

/// Default `σ_max` on spheres: `t_max = 9`. The PF-ODE likelihood replaces `p_T` by the
/// uniform prior, whose relative error is about `m e^{−λ₁T/2}` for the slowest eigenmode
/// (eigenvalue `λ₁`, multiplicity `m`): on `S²`, `λ₁ = 2`, `3 e^{−9} ≈ 4e-4`; on `S^d`,
/// `λ₁ = d` decays faster still.
pub const SPHERE_SIGMA_MAX: f64 = 3.0;

/// Default `σ_max` on tori and `U(n)`: `t_max = 25`. On `T^d` the slowest mode has `λ₁ = 1`
/// with multiplicity `2d`, so the prior error is `≈ 2d e^{−T/2}`: `≈ 1.5e-5` at `T = 25` on
/// `T²`, whereas the sphere default `T = 9` would leave `≈ 4%`. `U(n)`'s centre `U(1)` has
/// `λ₁ = 1` as well.
pub const TORUS_SIGMA_MAX: f64 = 5.0;

/// Default `σ_max` on `SO(n)` and `SU(n)`: `t_max = 16`. Slowest modes (Casimir `c` of the
/// first non-trivial irrep, multiplicity `dim²`, relative prior error `≈ dim² e^{−cT/2}`):
/// SO(3) with the ½tr metric `c = 2`, `9 e^{−16} ≈ 1e-6`; SU(N) with the Frobenius metric,
/// fundamental irrep `c = (N² − 1)/N`: SU(2) `4 e^{−12} ≈ 2.5e-5`, SU(3) `2·9 e^{−64/3} ≈ 1e-8`.
pub const GROUP_SIGMA_MAX: f64 = 4.0;

/// What the library needs to know about a family of user manifolds (one registry entry).
///
/// The family's manifolds have [`ManifoldSpec::Custom`] specs whose
/// [`CustomName::family`] is the name the entry was registered under.
pub trait ManifoldFamily: Send + Sync {
    /// The manifold that `name` denotes (used to rebuild a manifold from a saved spec).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a name the family does not know.
    fn manifold(&self, name: &CustomName) -> Result<Arc<dyn Manifold>>;

    /// The heat kernel of `manifold` (one of this family's) with `method`; `tolerance` is the
    /// relative tolerance of `p` requested from [`KernelMethod::Auto`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a method the family does not offer.
    fn heat_kernel(
        &self,
        manifold: &dyn Manifold,
        method: KernelMethod,
        tolerance: f64,
    ) -> Result<Box<dyn HeatKernel>>;

    /// The exact sampler of the heat kernel of `manifold`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if the family has none.
    fn sampler(&self, manifold: &dyn Manifold) -> Result<Box<dyn HeatKernelSampler>>;

    /// The default `σ_max` of the noise schedule on `manifold` (default [`SPHERE_SIGMA_MAX`]):
    /// large enough that `p_{σ_max²}` is close to uniform (see [`TORUS_SIGMA_MAX`]).
    fn default_sigma_max(&self, manifold: &dyn Manifold) -> f64 {
        let _ = manifold;
        SPHERE_SIGMA_MAX
    }

    /// The estimators [`ManifoldFamily::heat_kernel`] offers (default: all of
    /// [`KernelMethod::ALL`]).
    fn methods(&self) -> Vec<KernelMethod> {
        KernelMethod::ALL.to_vec()
    }
}

/// The registry: built-in families, plus user families added with [`Registry::register`].
///
/// [`Registry::new`] (or [`builtin`], a shared instance) knows the built-in families only;
/// the free functions [`auto_kernel`], [`auto_sampler`], [`heat_kernel`] use it.
#[derive(Clone, Default)]
pub struct Registry {
    families: BTreeMap<String, Arc<dyn ManifoldFamily>>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("families", &self.families.keys().collect::<Vec<_>>())
            .finish()
    }
}

static BUILTIN: LazyLock<Registry> = LazyLock::new(Registry::new);

/// The shared registry of the built-in families.
pub fn builtin() -> &'static Registry {
    &BUILTIN
}

/// The `Auto` heat kernel (tolerance [`DEFAULT_AUTO_TOLERANCE`]) of a built-in manifold or a
/// product of built-in manifolds ([`Registry::auto_kernel`] of [`builtin`]).
///
/// # Errors
/// As [`Registry::heat_kernel`].
pub fn auto_kernel(manifold: &dyn Manifold) -> Result<Box<dyn HeatKernel>> {
    builtin().auto_kernel(manifold)
}

/// The exact heat-kernel sampler of a built-in manifold or a product of built-in manifolds
/// ([`Registry::auto_sampler`] of [`builtin`]).
///
/// # Errors
/// As [`Registry::auto_sampler`].
pub fn auto_sampler(manifold: &dyn Manifold) -> Result<Box<dyn HeatKernelSampler>> {
    builtin().auto_sampler(manifold)
}

/// The heat kernel of the built-in manifold `spec` evaluated with `method` at relative
/// tolerance `tolerance` ([`Registry::heat_kernel`] of [`builtin`] on
/// [`Registry::manifold`]`(spec)`):
///
/// ```
/// use riemannian_diffusion::heat_kernel::KernelMethod;
/// use riemannian_diffusion::registry::heat_kernel;
///
/// let kernel = heat_kernel(&"so:3".parse()?, KernelMethod::Auto, 1e-12)?;
/// let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
/// let mut score = [0.0; 9];
/// let evaluation = kernel.score(&identity, &identity, 0.5, &mut score)?;
/// assert!(evaluation.log_prob.is_finite());
/// # Ok::<(), riemannian_diffusion::Error>(())
/// ```
///
/// # Errors
/// As [`Registry::manifold`] and [`Registry::heat_kernel`].
pub fn heat_kernel(
    spec: &ManifoldSpec,
    method: KernelMethod,
    tolerance: f64,
) -> Result<Box<dyn HeatKernel>> {
    let registry = builtin();
    registry.heat_kernel(registry.manifold(spec)?.as_ref(), method, tolerance)
}

/// The product of `manifold`'s factors (sharing their `Arc`s), if it has factors.
fn as_product(manifold: &dyn Manifold) -> Result<Option<Product>> {
    manifold
        .factors()
        .map(|factors| Product::new(factors.to_vec()))
        .transpose()
}

impl Registry {
    /// A registry of the built-in families (torus, sphere, SO(n), SU(n), U(n) and their
    /// products), to which user families can be added.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds the user family `family` (the part of its [`CustomName`]s before the first `:`).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `family` is not a valid name, is built in, contains `:`,
    /// or is already registered.
    pub fn register(&mut self, family: &str, entry: Arc<dyn ManifoldFamily>) -> Result<()> {
        let name = CustomName::new(family)?;
        if name.family() != family {
            return Err(Error::invalid(
                "family",
                crate::error::quoted(family),
                "a family name without ':'",
            ));
        }
        if self.families.contains_key(family) {
            return Err(Error::invalid(
                "family",
                crate::error::quoted(family),
                "a family that is not registered yet",
            ));
        }
        self.families.insert(family.to_string(), entry);
        Ok(())
    }

    /// The registered user families, in name order.
    pub fn families(&self) -> impl Iterator<Item = &str> {
        self.families.keys().map(String::as_str)
    }

    /// Parses a manifold's text form (see [`ManifoldSpec`]), accepting the registered user
    /// families as well as the built-in ones.
    ///
    /// # Errors
    /// As [`ManifoldSpec::parse_with`].
    pub fn parse(&self, text: &str) -> Result<ManifoldSpec> {
        ManifoldSpec::parse_with(text, |family| self.families.contains_key(family))
    }

    fn family(&self, name: &CustomName) -> Result<&Arc<dyn ManifoldFamily>> {
        self.families.get(name.family()).ok_or_else(|| {
            let known: Vec<&str> = BUILTIN_FAMILIES
                .iter()
                .copied()
                .chain(self.families())
                .collect();
            Error::invalid(
                "manifold",
                name,
                format!(
                    "a registered manifold family (no entry for {:?}; known: {})",
                    name.family(),
                    known.join(", ")
                ),
            )
        })
    }

    /// The manifold `spec` denotes. Equal factors of a product share one `Arc`.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a size below the family's minimum or an unregistered
    /// user family; the family's errors.
    pub fn manifold(&self, spec: &ManifoldSpec) -> Result<Arc<dyn Manifold>> {
        Ok(match spec {
            ManifoldSpec::Torus(d) => Arc::new(Torus::new(*d)?),
            ManifoldSpec::Sphere(d) => Arc::new(Sphere::new(*d)?),
            ManifoldSpec::Group(group) => group.manifold()?,
            ManifoldSpec::Custom(name) => {
                let manifold = self.family(name)?.manifold(name)?;
                if manifold.spec() != *spec {
                    return Err(Error::invalid(
                        "manifold",
                        manifold.spec(),
                        format!("the manifold {spec} (the family built another one)"),
                    ));
                }
                manifold
            }
            ManifoldSpec::Product(factors) => {
                let mut built: Vec<Arc<dyn Manifold>> = Vec::with_capacity(factors.len());
                for (i, factor) in factors.iter().enumerate() {
                    let shared = factors[..i]
                        .iter()
                        .position(|earlier| earlier == factor)
                        .map(|j| built[j].clone());
                    built.push(match shared {
                        Some(m) => m,
                        None => self.manifold(factor)?,
                    });
                }
                Arc::new(Product::new(built)?)
            } // `ManifoldSpec` is non-exhaustive for users; the crate matches every variant.
        })
    }

    /// The heat kernel of `manifold` evaluated with `method`; `tolerance` is the relative
    /// tolerance of `p` requested from [`KernelMethod::Auto`] (validated by
    /// [`check_auto_tolerance`]; explicit methods ignore it). Products get a
    /// [`ProductHeatKernel`] with `method` on every factor.
    ///
    /// Built-in kernels: torus → [`TorusHeatKernel`] (`auto`, `eigen`, `paths`:
    /// [`TorusHeatKernel::METHODS`]); sphere → [`SphereHeatKernel`] (all five); groups →
    /// [`GroupHeatKernel`] (all five, `eigen` being the character expansion). Each takes
    /// `method` as it is.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for a tolerance outside `[1e-15, 1)`, for `varadhan` /
    /// `schwinger-dewitt` on a torus (factor), and for an unregistered user family;
    /// [`Error::LimitExceeded`] for a sphere or group (factor) beyond the heat-kernel sizes of
    /// [`crate::limits`].
    pub fn heat_kernel(
        &self,
        manifold: &dyn Manifold,
        method: KernelMethod,
        tolerance: f64,
    ) -> Result<Box<dyn HeatKernel>> {
        check_auto_tolerance(tolerance)?;
        if let Some(product) = as_product(manifold)? {
            let kernels = product
                .factors()
                .iter()
                .map(|f| self.heat_kernel(f.as_ref(), method, tolerance))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Box::new(ProductHeatKernel::new(product, kernels)?));
        }
        let spec = manifold.spec();
        Ok(match &spec {
            ManifoldSpec::Torus(d) => {
                Box::new(TorusHeatKernel::new(Torus::new(*d)?, method)?.with_tolerance(tolerance)?)
            }
            ManifoldSpec::Sphere(d) => {
                crate::limits::check_sphere_kernel_size(*d)?;
                Box::new(SphereHeatKernel::new(Sphere::new(*d)?, method).with_tolerance(tolerance)?)
            }
            ManifoldSpec::Group(group) => {
                Box::new(GroupHeatKernel::new(*group, method)?.with_tolerance(tolerance)?)
            }
            ManifoldSpec::Custom(name) => self
                .family(name)?
                .heat_kernel(manifold, method, tolerance)?,
            ManifoldSpec::Product(_) => {
                return Err(Error::invalid(
                    "manifold",
                    &spec,
                    "a product manifold that reports its factors (Manifold::factors)",
                ))
            }
        })
    }

    /// The `Auto` heat kernel of `manifold` at the default tolerance
    /// [`DEFAULT_AUTO_TOLERANCE`] (`1e-12` relative in `p`).
    ///
    /// # Errors
    /// As [`Registry::heat_kernel`].
    pub fn auto_kernel(&self, manifold: &dyn Manifold) -> Result<Box<dyn HeatKernel>> {
        self.heat_kernel(manifold, KernelMethod::Auto, DEFAULT_AUTO_TOLERANCE)
    }

    /// The exact sampler of the heat kernel of `manifold`: [`TorusHeatKernelSampler`] on
    /// `T^d`; [`SphereHeatKernelSampler`] (rejection) on `S¹`–`S³`; [`SphereAutoSampler`]
    /// (rejection or the angle flow per `t`) on `S^d`, `d ≥ 4`; [`GroupHeatKernelSampler`]
    /// (maximal-torus flow) on the groups; [`ProductHeatKernelSampler`] (each factor with its
    /// own) on products; the family's sampler on user manifolds.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unregistered user family; the family's errors;
    /// [`Error::LimitExceeded`] as [`Registry::heat_kernel`].
    pub fn auto_sampler(&self, manifold: &dyn Manifold) -> Result<Box<dyn HeatKernelSampler>> {
        if let Some(product) = as_product(manifold)? {
            let samplers = product
                .factors()
                .iter()
                .map(|f| self.auto_sampler(f.as_ref()))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Box::new(ProductHeatKernelSampler::new(product, samplers)?));
        }
        let spec = manifold.spec();
        Ok(match &spec {
            ManifoldSpec::Torus(d) => Box::new(TorusHeatKernelSampler::new(Torus::new(*d)?)),
            ManifoldSpec::Sphere(d) if *d > 3 => {
                crate::limits::check_sphere_kernel_size(*d)?;
                Box::new(SphereAutoSampler::new(Sphere::new(*d)?))
            }
            ManifoldSpec::Sphere(d) => Box::new(SphereHeatKernelSampler::new(Sphere::new(*d)?)),
            ManifoldSpec::Group(group) => Box::new(GroupHeatKernelSampler::new(*group)?),
            ManifoldSpec::Custom(name) => self.family(name)?.sampler(manifold)?,
            ManifoldSpec::Product(_) => {
                return Err(Error::invalid(
                    "manifold",
                    &spec,
                    "a product manifold that reports its factors (Manifold::factors)",
                ))
            }
        })
    }

    /// The default `σ_max` of the noise schedule on `manifold`: [`SPHERE_SIGMA_MAX`] on
    /// spheres, [`TORUS_SIGMA_MAX`] on tori and `U(n)`, [`GROUP_SIGMA_MAX`] on `SO(n)` and
    /// `SU(n)`, the largest factor's on products (the slowest factor sets the mixing time),
    /// the family's on user manifolds.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unregistered user family.
    pub fn default_sigma_max(&self, manifold: &dyn Manifold) -> Result<f64> {
        if let Some(factors) = manifold.factors() {
            return factors
                .iter()
                .map(|f| self.default_sigma_max(f.as_ref()))
                .try_fold(0.0f64, |max, s| Ok(max.max(s?)));
        }
        Ok(match manifold.spec() {
            ManifoldSpec::Sphere(_) => SPHERE_SIGMA_MAX,
            ManifoldSpec::Torus(_) | ManifoldSpec::Group(CompactGroup::Unitary(_)) => {
                TORUS_SIGMA_MAX
            }
            ManifoldSpec::Group(_) => GROUP_SIGMA_MAX,
            ManifoldSpec::Custom(name) => self.family(&name)?.default_sigma_max(manifold),
            ManifoldSpec::Product(_) => SPHERE_SIGMA_MAX,
        })
    }

    /// The default noise schedule on `manifold`: `σ_min =` [`DEFAULT_SIGMA_MIN`],
    /// `σ_max =` [`Registry::default_sigma_max`].
    ///
    /// # Errors
    /// As [`Registry::default_sigma_max`].
    pub fn default_schedule(&self, manifold: &dyn Manifold) -> Result<GeometricSchedule> {
        GeometricSchedule::new(DEFAULT_SIGMA_MIN, self.default_sigma_max(manifold)?)
    }

    /// The estimators [`Registry::heat_kernel`] offers on `spec` (on a product, those every
    /// factor offers), in the order of [`KernelMethod::ALL`]: each kernel's own `METHODS`
    /// ([`TorusHeatKernel::METHODS`], [`SphereHeatKernel::METHODS`],
    /// [`GroupHeatKernel::METHODS`]), the family's [`ManifoldFamily::methods`] on user
    /// manifolds.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for an unregistered user family.
    pub fn methods(&self, spec: &ManifoldSpec) -> Result<Vec<KernelMethod>> {
        let mut methods = KernelMethod::ALL.to_vec();
        for factor in spec.factors() {
            let offered = match factor {
                ManifoldSpec::Torus(_) => TorusHeatKernel::METHODS.to_vec(),
                ManifoldSpec::Sphere(_) => SphereHeatKernel::METHODS.to_vec(),
                ManifoldSpec::Group(_) => GroupHeatKernel::METHODS.to_vec(),
                ManifoldSpec::Custom(name) => self.family(name)?.methods(),
                // Products are flat: a factor is never a product itself.
                ManifoldSpec::Product(_) => KernelMethod::ALL.to_vec(),
            };
            methods.retain(|m| offered.contains(m));
        }
        Ok(methods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifold::SpecialOrthogonal;

    #[test]
    fn built_in_specs_build_their_manifolds() {
        for text in [
            "torus:2",
            "sphere:2",
            "so:3",
            "su:3",
            "u:1",
            "u:2",
            "sphere:127",
            "so:3*sphere:2",
            "su:2^3",
            "torus:1*sphere:2",
        ] {
            let spec: ManifoldSpec = text.parse().unwrap();
            let manifold = builtin().manifold(&spec).unwrap();
            assert_eq!(manifold.spec(), spec, "{text}");
            assert_eq!(Some(manifold.ambient_dim()), spec.ambient_dim(), "{text}");
        }
        // Powers share one factor manifold.
        let lattice = builtin().manifold(&"su:3^4".parse().unwrap()).unwrap();
        let factors = lattice.factors().unwrap();
        assert!(factors.iter().all(|f| Arc::ptr_eq(f, &factors[0])));
    }

    #[test]
    fn tolerance_is_validated() {
        let spec = ManifoldSpec::Sphere(2);
        for bad in [0.0, 1e-16, 1.0, 2.0, -1e-3, f64::NAN, f64::INFINITY] {
            let error = heat_kernel(&spec, KernelMethod::Auto, bad).err().unwrap();
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
        assert!(heat_kernel(
            &spec,
            KernelMethod::Auto,
            crate::heat_kernel::MIN_AUTO_TOLERANCE
        )
        .is_ok());
        assert!(heat_kernel(&spec, KernelMethod::Auto, 0.5).is_ok());
    }

    #[test]
    fn torus_refuses_the_asymptotic_methods_clearly() {
        for text in ["torus:3", "torus:1*sphere:2"] {
            let spec: ManifoldSpec = text.parse().unwrap();
            let methods = builtin().methods(&spec).unwrap();
            for method in [KernelMethod::Varadhan, KernelMethod::SchwingerDeWitt] {
                assert!(!methods.contains(&method));
                let message = heat_kernel(&spec, method, DEFAULT_AUTO_TOLERANCE)
                    .err()
                    .unwrap()
                    .to_string();
                assert!(
                    message.contains(method.name()) && message.contains("auto, eigen, paths"),
                    "{message}"
                );
            }
            for method in methods {
                assert!(heat_kernel(&spec, method, DEFAULT_AUTO_TOLERANCE).is_ok());
            }
        }
    }

    #[test]
    fn offered_methods_are_the_kernels_own() {
        let methods = |text: &str| builtin().methods(&text.parse().unwrap()).unwrap();
        assert_eq!(methods("torus:2"), TorusHeatKernel::METHODS.to_vec());
        assert_eq!(methods("sphere:7"), SphereHeatKernel::METHODS.to_vec());
        assert_eq!(methods("su:3"), GroupHeatKernel::METHODS.to_vec());
        assert_eq!(methods("so:3*torus:1"), TorusHeatKernel::METHODS.to_vec());
        // Every offered method builds, every other one is refused.
        for text in ["torus:2", "sphere:2", "so:3", "so:3*torus:1"] {
            let spec: ManifoldSpec = text.parse().unwrap();
            for method in KernelMethod::ALL {
                let built = heat_kernel(&spec, method, DEFAULT_AUTO_TOLERANCE);
                assert_eq!(
                    built.is_ok(),
                    methods(text).contains(&method),
                    "{text} {method}"
                );
            }
        }
    }

    /// The selected kernel is the one built directly (bitwise equal values).
    #[test]
    fn selected_kernels_match_direct_construction() {
        let t = 0.3;
        let x0 = [0.0, 0.0, 1.0];
        let x = [1f64.sin(), 0.0, 1f64.cos()];
        for method in KernelMethod::ALL {
            let selected = heat_kernel(&ManifoldSpec::Sphere(2), method, DEFAULT_AUTO_TOLERANCE)
                .unwrap()
                .log_prob(&x0, &x, t);
            let expected =
                SphereHeatKernel::new(Sphere::new(2).unwrap(), method).log_prob(&x0, &x, t);
            // Same value, or the same error where the estimator refuses this point.
            assert_eq!(format!("{selected:?}"), format!("{expected:?}"), "{method}");
        }
        let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
        let (c, s) = (1f64.cos(), 1f64.sin());
        let rotation = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
        let so3: ManifoldSpec = "so:3".parse().unwrap();
        for method in KernelMethod::ALL {
            let selected = heat_kernel(&so3, method, DEFAULT_AUTO_TOLERANCE)
                .unwrap()
                .log_prob(&identity, &rotation, t);
            let expected = GroupHeatKernel::new(SpecialOrthogonal::new(3).unwrap(), method)
                .unwrap()
                .log_prob(&identity, &rotation, t);
            assert_eq!(format!("{selected:?}"), format!("{expected:?}"), "{method}");
        }
        // The tolerance reaches the sphere and group `Auto` kernels.
        let loose = 1e-6;
        let selected = heat_kernel(&ManifoldSpec::Sphere(2), KernelMethod::Auto, loose)
            .unwrap()
            .log_prob(&x0, &x, t);
        let expected = SphereHeatKernel::new(Sphere::new(2).unwrap(), KernelMethod::Auto)
            .with_tolerance(loose)
            .unwrap()
            .log_prob(&x0, &x, t);
        assert_eq!(format!("{selected:?}"), format!("{expected:?}"));
        let selected = heat_kernel(&so3, KernelMethod::Auto, loose)
            .unwrap()
            .log_prob(&identity, &rotation, t);
        let expected = GroupHeatKernel::new(SpecialOrthogonal::new(3).unwrap(), KernelMethod::Auto)
            .unwrap()
            .with_tolerance(loose)
            .unwrap()
            .log_prob(&identity, &rotation, t);
        assert_eq!(format!("{selected:?}"), format!("{expected:?}"));
    }

    #[test]
    fn default_schedules_follow_the_slowest_factor() {
        let sigma = |text: &str| {
            let m = builtin().manifold(&text.parse().unwrap()).unwrap();
            builtin().default_sigma_max(m.as_ref()).unwrap()
        };
        assert_eq!(sigma("sphere:2"), SPHERE_SIGMA_MAX);
        assert_eq!(sigma("torus:2"), TORUS_SIGMA_MAX);
        assert_eq!(sigma("u:2"), TORUS_SIGMA_MAX);
        assert_eq!(sigma("so:3"), GROUP_SIGMA_MAX);
        assert_eq!(sigma("su:3^4"), GROUP_SIGMA_MAX);
        assert_eq!(sigma("so:3*torus:1"), TORUS_SIGMA_MAX);
    }

    #[test]
    fn unknown_user_families_are_refused_naming_the_family() {
        let spec = ManifoldSpec::custom("hyperbolic:2").unwrap();
        let message = builtin().manifold(&spec).err().unwrap().to_string();
        assert!(message.contains("hyperbolic"), "{message}");
        assert!(builtin().parse("hyperbolic:2").is_err());
    }
}
