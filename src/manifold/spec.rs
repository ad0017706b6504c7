//! What a manifold *is*: the typed identity [`ManifoldSpec`] and its text form.
//!
//! Every [`Manifold`](super::Manifold) states its identity through
//! [`Manifold::spec`](super::Manifold::spec); code that needs to know which manifold it holds
//! (which heat kernel, which sampler, which default schedule, whether a checkpoint fits)
//! compares or matches specs, never names. The only `match`es that dispatch on a spec live in
//! [`crate::registry`].
//!
//! The text forms are listed at [`ManifoldSpec`].

use crate::error::{Error, Result};
use crate::lie::CompactGroup;
pub use crate::limits::{MAX_AMBIENT_DIM, MAX_FACTORS};
use std::fmt;
use std::str::FromStr;

/// The identity of a manifold: a built-in family with its size, a product, or a user manifold.
///
/// Equality is identity: two manifolds with equal specs have the same points, metric and heat
/// kernel. The library's specs are normal (see [`ManifoldSpec::product`]).
///
/// ```
/// use riemannian_diffusion::manifold::{CompactGroup, ManifoldSpec};
///
/// let lattice: ManifoldSpec = "su:3^4".parse()?;
/// assert_eq!(lattice.factors().len(), 4);
/// assert_eq!(lattice.ambient_dim(), Some(4 * 18));
/// let mixed: ManifoldSpec = "so:3 * Sphere:2".parse()?;
/// assert_eq!(mixed.to_string(), "so:3*sphere:2");
/// assert_eq!(
///     mixed.factors()[0],
///     ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(3))
/// );
/// assert!("sphere:0".parse::<ManifoldSpec>().is_err());
/// # Ok::<(), riemannian_diffusion::Error>(())
/// ```
///
/// # Text form
///
/// | text | spec | manifold | ambient reals per point |
/// |---|---|---|---|
/// | `torus:D` (`D ≥ 1`) | [`ManifoldSpec::Torus`] | [`Torus`](super::Torus) `T^D` | `D` angles |
/// | `sphere:D` (`D ≥ 1`) | [`ManifoldSpec::Sphere`] | [`Sphere`](super::Sphere) `S^D ⊂ R^{D+1}` | `D + 1` |
/// | `so:N` (`N ≥ 2`) | [`CompactGroup::SpecialOrthogonal`] | [`SpecialOrthogonal`](super::SpecialOrthogonal) | `N²`, row-major |
/// | `su:N` (`N ≥ 2`) | [`CompactGroup::SpecialUnitary`] | [`SpecialUnitary`](super::SpecialUnitary) | `2N²`, row-major, each entry `re, im` |
/// | `u:N` (`N ≥ 1`) | [`CompactGroup::Unitary`] | [`Unitary`](super::Unitary) | `2N²`, as `su` |
/// | `A*B*…` | [`ManifoldSpec::Product`] | [`Product`](super::Product) `A × B × …` | the factors' reals, concatenated |
/// | `A^K` | [`ManifoldSpec::Product`] of `K` copies | `A^K` (e.g. a lattice `su:3^16`) | `K` times `A`'s |
/// | a registered name | [`ManifoldSpec::Custom`] | a user manifold ([`crate::registry::Registry::register`]) | the user's |
///
/// Grammar: `spec = term ("*" term)*`, `term = family ":" size ("^" count)?`; white space
/// around tokens and the case of the family are ignored. [`fmt::Display`] prints the canonical
/// form (lower case, runs of equal factors as powers: `su:3^16`, `so:3*sphere:2`,
/// `sphere:2^2*torus:1`) and [`FromStr`] parses it back to the same spec.
///
/// Products are **flat**: a product of products is the product of all their factors (the
/// Riemannian product is associative and the coordinates concatenate in the same order), and a
/// product of one factor is that factor. [`ManifoldSpec::product`] normalises; specs produced by
/// the library are always normal.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ManifoldSpec {
    /// The flat torus `T^D = [0, 2π)^D`, `D ≥ 1`.
    Torus(usize),
    /// The unit sphere `S^D ⊂ R^{D+1}`, `D ≥ 1`.
    Sphere(usize),
    /// A compact Lie group `SO(N)`, `SU(N)` or `U(N)` with its bi-invariant metric.
    Group(CompactGroup),
    /// The Riemannian product of the factors, in order (at least two, none a product).
    Product(Vec<ManifoldSpec>),
    /// A manifold defined outside the library, known by its registered name.
    Custom(CustomName),
}

/// The name of a user manifold: a non-empty identifier of ASCII letters, digits and `-_.:`,
/// whose family (the part before the first `:`) is not a built-in family name, so that its
/// text form can never be read back as a built-in manifold. Examples: `hyperbolic:2`,
/// `grassmannian:2:4`, `flat-torus-4pi`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CustomName(String);

/// The built-in family prefixes, in the order of the help texts.
pub const BUILTIN_FAMILIES: [&str; 5] = ["torus", "sphere", "so", "su", "u"];

/// The accepted forms, for error messages and help texts.
pub const SPEC_FORMS: &str = "torus:D or sphere:D (D >= 1), so:N or su:N (N >= 2), u:N (N >= 1), \
     products A*B and powers A^K (e.g. su:3^16, so:3*sphere:2)";

impl CustomName {
    /// Checks and wraps a user manifold name.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the text if it is empty, longer than 256 bytes, has a
    /// character outside `[A-Za-z0-9-_.:]`, or its family is a built-in one (`sphere:2`).
    pub fn new(name: impl Into<String>) -> Result<Self> {
        let name = name.into();
        let bad = |why: &str| {
            Error::invalid(
                "custom manifold name",
                crate::error::quoted(&name),
                format!("a name of ASCII letters, digits and -_.: ({why})"),
            )
        };
        if name.is_empty() || name.len() > 256 {
            return Err(bad("1 to 256 characters"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        {
            return Err(bad("no other characters"));
        }
        let family = name.split(':').next().unwrap_or_default();
        if family.is_empty() {
            return Err(bad("a family before the first ':'"));
        }
        if BUILTIN_FAMILIES
            .iter()
            .any(|f| f.eq_ignore_ascii_case(family))
        {
            return Err(bad("the family must not be a built-in one"));
        }
        Ok(CustomName(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The family: the part before the first `:` (the whole name if there is none). The
    /// registry looks user manifolds up by family.
    pub fn family(&self) -> &str {
        self.0.split(':').next().unwrap_or(&self.0)
    }
}

impl fmt::Display for CustomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<CompactGroup> for ManifoldSpec {
    fn from(group: CompactGroup) -> Self {
        ManifoldSpec::Group(group)
    }
}

impl ManifoldSpec {
    /// The normal form of the product of `factors`: nested products are flattened, and a
    /// single factor is returned as itself.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `factors` is empty.
    pub fn product(factors: Vec<ManifoldSpec>) -> Result<Self> {
        let mut flat = Vec::with_capacity(factors.len());
        for factor in factors {
            match factor {
                ManifoldSpec::Product(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Err(Error::invalid(
                "factors",
                0,
                "a product of at least one manifold",
            )),
            1 => Ok(flat.pop().expect("one factor")),
            _ => Ok(ManifoldSpec::Product(flat)),
        }
    }

    /// The power `self^k` (`k` copies, flattened).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] if `k == 0`.
    pub fn power(&self, k: usize) -> Result<Self> {
        if k == 0 {
            return Err(Error::invalid("k", k, "a power k >= 1"));
        }
        Self::product(vec![self.clone(); k])
    }

    /// A user manifold's spec ([`CustomName::new`] checks the name).
    ///
    /// # Errors
    /// As [`CustomName::new`].
    pub fn custom(name: impl Into<String>) -> Result<Self> {
        Ok(ManifoldSpec::Custom(CustomName::new(name)?))
    }

    /// The factors of a product (in order), or the spec itself as its only factor.
    pub fn factors(&self) -> &[ManifoldSpec] {
        match self {
            ManifoldSpec::Product(factors) => factors,
            other => std::slice::from_ref(other),
        }
    }

    /// Checks every factor against the heat-kernel sizes of [`crate::limits`] (`so:N ≤ 7`,
    /// `su:N ≤ 4`, `u:N ≤ 3`, even `sphere:D ≤ 4096`, odd `sphere:D ≤ 65535`: the sizes whose
    /// kernels answer every `(t, x)` within the time budget); tori and user manifolds pass.
    /// [`ManifoldSpec::parse_with`] calls it.
    ///
    /// # Errors
    /// [`Error::LimitExceeded`] naming the first factor out of bounds, the largest accepted size
    /// and why ([`crate::limits::check_group_kernel_size`],
    /// [`crate::limits::check_sphere_kernel_size`]).
    pub fn check_kernel_sizes(&self) -> Result<()> {
        for factor in self.factors() {
            match factor {
                ManifoldSpec::Sphere(d) => crate::limits::check_sphere_kernel_size(*d)?,
                ManifoldSpec::Group(group) => crate::limits::check_group_kernel_size(*group)?,
                _ => {}
            }
        }
        Ok(())
    }

    /// `true` if this spec or one of its factors is a [`ManifoldSpec::Custom`].
    pub fn has_custom(&self) -> bool {
        self.factors()
            .iter()
            .any(|f| matches!(f, ManifoldSpec::Custom(_)))
    }

    /// Number of reals per point `K` of a built-in spec (the table in the
    /// [`ManifoldSpec`] docs), saturating instead of overflowing for absurd sizes; `None` for a
    /// [`ManifoldSpec::Custom`] (or a product with one), whose size only its manifold knows.
    pub fn ambient_dim(&self) -> Option<usize> {
        match self {
            ManifoldSpec::Torus(d) => Some(*d),
            ManifoldSpec::Sphere(d) => Some(d.saturating_add(1)),
            ManifoldSpec::Group(group) => Some(group.ambient_dim()),
            ManifoldSpec::Product(factors) => factors
                .iter()
                .try_fold(0usize, |sum, f| Some(sum.saturating_add(f.ambient_dim()?))),
            ManifoldSpec::Custom(_) => None,
        }
    }

    /// Parses `text`, accepting user-manifold names for which `is_custom(family)` is true
    /// (the built-in [`FromStr`] accepts none; [`crate::registry::Registry::parse`] accepts
    /// its registered families; checkpoints accept any well-formed name and let the registry
    /// refuse unknown ones when the manifold is built).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the text: an unknown family, a missing or non-integer
    /// size, a size below the family's minimum (`sphere:0`, `so:1`, …), a zero power, more
    /// than [`MAX_FACTORS`] factors or [`MAX_AMBIENT_DIM`] reals per point;
    /// [`Error::LimitExceeded`] naming the factor, the largest accepted size and the reason for
    /// a size whose heat kernel cannot be evaluated within the time budget
    /// ([`ManifoldSpec::check_kernel_sizes`]: e.g. `so:8`, `sphere:8192`).
    pub fn parse_with(text: &str, is_custom: impl Fn(&str) -> bool) -> Result<Self> {
        let bad =
            |expected: String| Error::invalid("manifold", crate::error::quoted(text), expected);
        let mut factors: Vec<ManifoldSpec> = Vec::new();
        for term in text.split('*') {
            let term = term.trim();
            let (base, count) = match term.split_once('^') {
                Some((base, count)) => {
                    let count = count.trim();
                    let k: usize = count.parse().map_err(|_| {
                        bad(format!(
                            "a power K >= 1 after '^' in {term:?} (found {count:?})"
                        ))
                    })?;
                    if k == 0 {
                        return Err(bad(format!("a power K >= 1 after '^' in {term:?}")));
                    }
                    (base.trim(), k)
                }
                None => (term, 1),
            };
            let factor = parse_factor(base, &is_custom).map_err(&bad)?;
            if factors.len().saturating_add(count) > MAX_FACTORS {
                return Err(bad(format!("a product of at most {MAX_FACTORS} factors")));
            }
            factors.extend(std::iter::repeat_n(factor, count));
        }
        let spec = Self::product(factors)?;
        if let Some(dim) = spec.ambient_dim() {
            if dim > MAX_AMBIENT_DIM {
                return Err(bad(format!(
                    "a manifold with at most {MAX_AMBIENT_DIM} reals per point (found {dim})"
                )));
            }
        }
        // Sizes whose heat kernels cannot be evaluated within the time budget (the reason is
        // in the error).
        spec.check_kernel_sizes().map_err(|e| match e {
            Error::LimitExceeded {
                name,
                value,
                limit,
                reason,
            } => Error::LimitExceeded {
                name,
                value: format!("{value} in {text:?}"),
                limit,
                reason,
            },
            other => other,
        })?;
        Ok(spec)
    }
}

/// One factor `family:size` (no products or powers).
fn parse_factor(
    text: &str,
    is_custom: &impl Fn(&str) -> bool,
) -> std::result::Result<ManifoldSpec, String> {
    if text.is_empty() {
        return Err(format!("FAMILY:SIZE around every '*', one of {SPEC_FORMS}"));
    }
    let (family, size) = match text.split_once(':') {
        Some((family, size)) => (family.trim(), size.trim()),
        None => (text, ""),
    };
    let lower = family.to_ascii_lowercase();
    let (minimum, size_name): (usize, &str) = match lower.as_str() {
        "torus" | "sphere" => (1, "a dimension D"),
        "so" | "su" => (2, "a matrix size N"),
        "u" => (1, "a matrix size N"),
        _ => {
            if is_custom(family) {
                return CustomName::new(text)
                    .map(ManifoldSpec::Custom)
                    .map_err(|e| e.to_string());
            }
            return Err(if size.is_empty() && !text.contains(':') {
                format!("FAMILY:SIZE, one of {SPEC_FORMS}")
            } else {
                format!("a known manifold family ({family:?} is not one): {SPEC_FORMS}")
            });
        }
    };
    let value: usize = size.parse().map_err(|_| {
        format!(
            "{size_name} >= {minimum} after \"{lower}:\" (found {size:?}, not a non-negative integer)"
        )
    })?;
    if value < minimum {
        return Err(format!(
            "{size_name} >= {minimum} after \"{lower}:\" (found {value})"
        ));
    }
    Ok(match lower.as_str() {
        "torus" => ManifoldSpec::Torus(value),
        "sphere" => ManifoldSpec::Sphere(value),
        "so" => ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(value)),
        "su" => ManifoldSpec::Group(CompactGroup::SpecialUnitary(value)),
        _ => ManifoldSpec::Group(CompactGroup::Unitary(value)),
    })
}

impl FromStr for ManifoldSpec {
    type Err = Error;

    /// Parses the built-in forms of the [`ManifoldSpec`] docs (no user manifolds: use
    /// [`crate::registry::Registry::parse`] for those).
    ///
    /// # Errors
    /// As [`ManifoldSpec::parse_with`].
    fn from_str(text: &str) -> Result<Self> {
        Self::parse_with(text, |_| false)
    }
}

/// Prints one non-product factor.
fn write_factor(spec: &ManifoldSpec, f: &mut impl fmt::Write) -> fmt::Result {
    match spec {
        ManifoldSpec::Torus(d) => write!(f, "torus:{d}"),
        ManifoldSpec::Sphere(d) => write!(f, "sphere:{d}"),
        ManifoldSpec::Group(group) => write!(f, "{group}"),
        ManifoldSpec::Custom(name) => write!(f, "{name}"),
        ManifoldSpec::Product(factors) => {
            // Not produced by the library (products are flat); printed flat all the same.
            for (i, factor) in factors.iter().enumerate() {
                if i > 0 {
                    f.write_str("*")?;
                }
                write_factor(factor, f)?;
            }
            Ok(())
        }
    }
}

/// Writes the canonical text of `spec` (see [`ManifoldSpec`]'s `Display`).
fn write_spec(spec: &ManifoldSpec, f: &mut impl fmt::Write) -> fmt::Result {
    let factors = spec.factors();
    let mut i = 0;
    while i < factors.len() {
        let run = factors[i..]
            .iter()
            .take_while(|g| **g == factors[i])
            .count();
        if i > 0 {
            f.write_str("*")?;
        }
        write_factor(&factors[i], f)?;
        if run > 1 {
            write!(f, "^{run}")?;
        }
        i += run;
    }
    Ok(())
}

impl fmt::Display for ManifoldSpec {
    /// The canonical text form: runs of equal factors as powers (`su:3^16`), factors joined
    /// by `*`. Width, fill and alignment flags apply to the whole text (`{:>12}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        write_spec(self, &mut text)?;
        f.pad(&text)
    }
}

impl fmt::Display for CompactGroup {
    /// `so:N`, `su:N` or `u:N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompactGroup::SpecialOrthogonal(n) => write!(f, "so:{n}"),
            CompactGroup::SpecialUnitary(n) => write!(f, "su:{n}"),
            CompactGroup::Unitary(n) => write!(f, "u:{n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn so(n: usize) -> ManifoldSpec {
        ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(n))
    }
    fn su(n: usize) -> ManifoldSpec {
        ManifoldSpec::Group(CompactGroup::SpecialUnitary(n))
    }

    #[test]
    fn products_and_powers_round_trip() {
        for (text, spec) in [
            ("sphere:2", ManifoldSpec::Sphere(2)),
            ("su:3^16", ManifoldSpec::Product(vec![su(3); 16])),
            (
                "so:3*sphere:2",
                ManifoldSpec::Product(vec![so(3), ManifoldSpec::Sphere(2)]),
            ),
            (
                "torus:1*sphere:2",
                ManifoldSpec::Product(vec![ManifoldSpec::Torus(1), ManifoldSpec::Sphere(2)]),
            ),
            (
                "sphere:2^2*torus:1*sphere:2",
                ManifoldSpec::Product(vec![
                    ManifoldSpec::Sphere(2),
                    ManifoldSpec::Sphere(2),
                    ManifoldSpec::Torus(1),
                    ManifoldSpec::Sphere(2),
                ]),
            ),
        ] {
            assert_eq!(text.parse::<ManifoldSpec>().unwrap(), spec, "{text}");
            assert_eq!(spec.to_string(), text);
        }
        // Non-canonical spellings parse to the same spec.
        assert_eq!(
            " SU:3 ^ 2 * su:3 ".parse::<ManifoldSpec>().unwrap(),
            ManifoldSpec::Product(vec![su(3); 3])
        );
        assert_eq!(
            "sphere:2^1".parse::<ManifoldSpec>().unwrap(),
            ManifoldSpec::Sphere(2)
        );
    }

    #[test]
    fn products_are_flat() {
        let inner = ManifoldSpec::product(vec![so(3), ManifoldSpec::Torus(1)]).unwrap();
        let outer = ManifoldSpec::product(vec![inner.clone(), inner]).unwrap();
        assert_eq!(outer.factors().len(), 4);
        assert_eq!(outer.to_string(), "so:3*torus:1*so:3*torus:1");
        assert_eq!(
            ManifoldSpec::product(vec![ManifoldSpec::Sphere(3)]).unwrap(),
            ManifoldSpec::Sphere(3)
        );
        assert_eq!(outer.ambient_dim(), Some(20));
    }

    #[test]
    fn bad_text_is_refused_with_the_text_named() {
        for text in [
            "",
            "sphere",
            "sphere:",
            "sphere:0",
            "so:1",
            "su:1",
            "u:0",
            "torus:x",
            "klein:2",
            "sphere:2*",
            "sphere:2^0",
            "sphere:2^x",
            "so:3**so:3",
            "sphere:16777216",
            "sphere:2^65537",
        ] {
            let message = text.parse::<ManifoldSpec>().unwrap_err().to_string();
            assert!(message.contains(&format!("{text:?}")), "{text}: {message}");
        }
    }

    #[test]
    fn kernel_sizes_beyond_the_time_budget_are_refused_with_the_reason() {
        for (text, largest) in [
            ("so:8", "so:7"),
            ("su:5", "su:4"),
            ("u:4", "u:3"),
            ("sphere:4098", "sphere:4096"),
            ("sphere:65537", "sphere:65535"),
            ("torus:1*so:20", "so:7"),
        ] {
            let error = text.parse::<ManifoldSpec>().unwrap_err();
            assert!(
                matches!(error, Error::LimitExceeded { .. }),
                "{text}: {error}"
            );
            let message = error.to_string();
            assert!(
                message.contains(&format!("{text:?}"))
                    && message.contains(largest)
                    && message.contains("10 ms"),
                "{text}: {message}"
            );
        }
        for text in [
            "so:7",
            "su:4",
            "u:3",
            "sphere:4096",
            "sphere:65535",
            "torus:100000",
        ] {
            assert!(text.parse::<ManifoldSpec>().is_ok(), "{text}");
        }
    }

    #[test]
    fn custom_names_are_checked_and_never_shadow_built_ins() {
        assert!(CustomName::new("hyperbolic:2").is_ok());
        for bad in ["", "sphere:2", "SO:3", "a b", "x*y", ":2"] {
            assert!(CustomName::new(bad).is_err(), "{bad}");
        }
        let spec =
            ManifoldSpec::parse_with("hyperbolic:2*sphere:2", |f| f == "hyperbolic").unwrap();
        assert_eq!(
            spec,
            ManifoldSpec::Product(vec![
                ManifoldSpec::custom("hyperbolic:2").unwrap(),
                ManifoldSpec::Sphere(2)
            ])
        );
        assert!(spec.has_custom());
        assert_eq!(spec.ambient_dim(), None);
        assert_eq!(spec.to_string(), "hyperbolic:2*sphere:2");
        assert!("hyperbolic:2".parse::<ManifoldSpec>().is_err());
    }
}
