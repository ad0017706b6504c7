//! Facts about a manifold that numerical code needs beyond its geometry: how its coordinates
//! behave ([`CoordinateKind`]), the form of its metric ([`MetricForm`]) and of its tangent
//! projection ([`TangentProjection`]).
//!
//! A manifold declares them through [`Manifold`](super::Manifold)'s
//! `coordinate_blocks`, `metric_form` and `tangent_projection`. The defaults are the safe
//! ones: embedded coordinates, a [`MetricForm::General`] metric (which the score-matching
//! losses refuse instead of miscomputing) and a [`TangentProjection::Generic`] projection
//! (exact divergences then use central differences of the projection). Products derive
//! theirs from their factors.

/// How a run of ambient coordinates behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CoordinateKind {
    /// Angles: each coordinate is defined modulo `2π` (the torus), so functions of the point
    /// must be `2π`-periodic in it. A score network reads such a coordinate `a` as
    /// `(cos a, sin a)`.
    Angles,
    /// Cartesian coordinates of an embedding in Euclidean space (spheres, matrix groups),
    /// read as they are.
    Embedded,
}

impl CoordinateKind {
    /// The lower-case name used in checkpoint headers (`angles`, `embedded`).
    pub fn name(self) -> &'static str {
        match self {
            CoordinateKind::Angles => "angles",
            CoordinateKind::Embedded => "embedded",
        }
    }

    /// The kind of a [`CoordinateKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "angles" => Some(CoordinateKind::Angles),
            "embedded" => Some(CoordinateKind::Embedded),
            _ => None,
        }
    }
}

/// A run of `len` consecutive ambient coordinates of one [`CoordinateKind`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoordinateBlock {
    /// How the coordinates behave.
    pub kind: CoordinateKind,
    /// How many consecutive coordinates the block covers (at least 1).
    pub len: usize,
}

/// Appends `block` to `blocks`, merging it into the last block when the kinds agree (so the
/// layout of a product is the shortest run-length description of its coordinates).
pub fn push_block(blocks: &mut Vec<CoordinateBlock>, block: CoordinateBlock) {
    match blocks.last_mut() {
        Some(last) if last.kind == block.kind => last.len += block.len,
        _ if block.len > 0 => blocks.push(block),
        _ => {}
    }
}

/// The form of the Riemannian metric in ambient coordinates, as far as losses need it.
#[derive(Clone, Debug, PartialEq)]
pub enum MetricForm {
    /// `⟨u, v⟩_x = c Σ_j u_j v_j` for tangent vectors at every `x`, with one constant `c > 0`:
    /// `c = 1` on tori, spheres, SU(n) and U(n); `c = ½` on SO(n) (`½ tr(AᵀB)`).
    ScaledEuclidean(f64),
    /// `⟨u, v⟩_x = Σ_j w_j u_j v_j` with weights `w_j > 0` that do not depend on `x` (products
    /// of factors with different scales; one weight per ambient coordinate).
    ConstantDiagonal(Vec<f64>),
    /// Any other metric (the default for user manifolds). The score-matching losses refuse it.
    General,
}

impl MetricForm {
    /// The per-coordinate weights `w` of a constant diagonal metric on `ambient_dim`
    /// coordinates, or `None` for [`MetricForm::General`] (and for a weight vector of the
    /// wrong length).
    pub fn diagonal(&self, ambient_dim: usize) -> Option<Vec<f64>> {
        match self {
            MetricForm::ScaledEuclidean(c) => Some(vec![*c; ambient_dim]),
            MetricForm::ConstantDiagonal(w) if w.len() == ambient_dim => Some(w.clone()),
            _ => None,
        }
    }
}

/// The form of a manifold's orthogonal tangent projection `P_x` in ambient coordinates, as far
/// as the divergence of a projected field `P_x Y(x)` needs it.
///
/// On an embedded submanifold with the induced metric, the covariant derivative of a tangent
/// field is the tangential part of its ambient derivative, so for an orthonormal tangent basis
/// `e_i` at `x`
///
/// $$ \mathrm{div}(P Y)(x) = Σ_i ⟨e_i, J_Y e_i⟩ + Σ_i ⟨e_i, (D_{e_i} P) Y⟩, $$
///
/// with `J_Y` the ambient Jacobian of `Y`. The second (curvature) term is zero for
/// [`TangentProjection::Identity`]; `−d ⟨x, Y⟩` for [`TangentProjection::Radial`]
/// (`P_x v = v − ⟨x, v⟩ x` gives `(D_e P) Y = −⟨e, Y⟩ x − ⟨x, Y⟩ e`, and `⟨e_i, x⟩ = 0`);
/// `−(d/|x|²) x·Y` for [`TangentProjection::MinimalInSphere`]; and for
/// [`TangentProjection::Generic`] a central difference of `P` along geodesics (see
/// `crate::nn::projection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TangentProjection {
    /// `P_x = I` (tori of angles).
    Identity,
    /// `P_x v = v − ⟨x, v⟩ x` with `|x| = 1` (unit spheres).
    Radial,
    /// A minimal submanifold of the Euclidean sphere of radius `R = |x|` (the same at every
    /// point), whose mean curvature vector is therefore `H = −(d/R²) x` and curvature term
    /// `Σ_i ⟨e_i, (D_{e_i} P) y⟩ = ⟨H, y⟩_E = −(d/R²) x·y` exactly. By Takahashi's theorem
    /// (1966) this holds iff the ambient coordinates are Laplace eigenfunctions with one
    /// eigenvalue: true for SO(n) (`R² = n`, `d/R² = (n−1)/2`), SU(n) (`d/R² = n − 1/n`) and
    /// U(n) (`d/R² = n`) in their defining representations, and for powers `M^k` of such a
    /// manifold (or of a sphere), whose coordinates share the factor's eigenvalue. The scale of
    /// a constant metric does not matter.
    MinimalInSphere,
    /// Any other projection: only `Manifold::project_tangent` is used.
    Generic,
}
