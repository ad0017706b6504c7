//! The resource policy: a documented bound for every size a user controls, checked before
//! anything is allocated or computed, with an error naming the value, the bound and why.
//!
//! The bounds follow from two budgets, chosen for a workstation (the reference machine has
//! 24 GiB and 2 cores) and stated here once:
//!
//! - **memory**: one buffer whose size a user chooses holds at most [`MAX_BUFFER_BYTES`]
//!   (2 GiB, i.e. [`MAX_BUFFER_REALS`] = 2²⁸ `f64`s); a training run's network state (parameters,
//!   gradients, two Adam moments, the EMA: five copies) at most the same;
//! - **time**: an iteration count a user chooses is bounded so that the loop cannot run for
//!   more than days even at microseconds per iteration, and so that the per-iteration history
//!   it keeps (e.g. one loss per step) stays small.
//!
//! | size | bound | derivation |
//! |---|---|---|
//! | rows × reals per row of any user-sized buffer (samples, data sets, batches, evaluation points, kernel batches) | `rows·K ≤ 2²⁸` | memory: 2 GiB of `f64` per buffer |
//! | training steps | [`MAX_STEPS`] = 10⁸ | time and history: one `f64` loss per step (0.8 GB), ≥ 3 h even at 0.1 ms per step |
//! | batch size | [`MAX_BATCH_SIZE`] = 2²⁰ | memory: with the network's activations (`B × width × depth` reals per tape) within the buffer budget, checked together with the width |
//! | hidden width, depth | `width ≤` [`MAX_HIDDEN_WIDTH`] = 2¹⁴, `depth ≤` [`MAX_HIDDEN_LAYERS`] = 256, and `5 × parameters ≤ 2²⁸` | memory: parameters, gradients, Adam's two moments and the EMA (five copies) within 2 GiB |
//! | geodesic-random-walk steps | [`MAX_WALK_STEPS`] = 10⁶ | time: one score evaluation of the whole chunk per step; and the time grid of `steps + 1` reals |
//! | Langevin corrector steps per walk step | [`MAX_CORRECTOR_STEPS`] = 10³ | time: multiplies the walk's cost |
//! | manifold size | `K ≤` [`MAX_AMBIENT_DIM`] = 2²⁴ reals per point, at most [`MAX_FACTORS`] = 2¹⁶ product factors | memory: a point must fit many times in a buffer; parse time refuses larger |
//! | a line of CSV input | [`MAX_LINE_BYTES`] = 2²⁶ (64 MiB) | memory: the longest line of a point pair of the largest manifold whose kernel is computable, with room |
//! | a data file | [`MAX_DATA_FILE_BYTES`] = 2³⁰ (1 GiB) | memory: read whole, then one point of 3 reals per ≈ 20-byte row |
//! | a checkpoint file | [`MAX_CHECKPOINT_BYTES`] = 2³² + 2²⁰ | memory: two parameter vectors of at most 2 GiB each plus the 1 MiB header |
//! | heat-kernel sizes | `so:N` with `N ≤` [`MAX_SO_N`] = 7, `su:N` with `N ≤` [`MAX_SU_N`] = 4, `u:N` with `N ≤` [`MAX_U_N`] = 3, `sphere:D` with even `D ≤` [`MAX_EVEN_SPHERE_DIM`] = 4096 or odd `D ≤` [`MAX_ODD_SPHERE_DIM`] = 65535 (parse time: `ManifoldSpec::check_kernel_sizes`; the kernels and samplers check again) | time: the `Auto` kernel answers every `(t, x)` within its accuracy bar in about 10 ms (below) |
//!
//! Every check returns [`Error::LimitExceeded`] (never a panic, never an allocation first).
//!
//! # Heat-kernel sizes: the time budget and its measurement
//! A kernel evaluation (`Auto`, default tolerance `1e-12`) should take at most about 10 ms at
//! every `t > 0` and every point. [`crate::heat_kernel`]'s cost models enforce budgets inside
//! that (lattice candidates, path terms, character-series cost units); a size is accepted only
//! if, within those budgets, every `(t, x)` of a hard sweep gets a value within the crate's
//! accuracy bar (`1e-8`; the estimate is reported) — 19 times from `1e-300` to `1e300`, the
//! identity, points at distances `1e-3, 1, 3, π` along three random geodesics, three random
//! points, and for the groups the cut-locus points `−I` (all rotation planes at π, SO(n)),
//! one plane at π, and the centre elements `e^{2πik/n}I` (SU(n)) or `−I` (U(n)). Measured
//! on the 2-core machine of these sessions (release build, minimum of 3 runs, machine shared
//! with other builds: load average ≈ 4), worst time per `score` call:
//!
//! | size | worst | what fails one size up |
//! |---|---|---|
//! | `so:7` | 7 ms (t = 0.5, near I) | `so:8` at `−I`, `t ∈ [1e-12, 0.05]`: the wall contour in 4 directions needs 5·10⁵ path terms, and the characters cancel (`e^{d²/2t}ε`) |
//! | `su:4` | 14 ms (t = 1, centre `iI`) | `su:5` at its centre elements: contours in 4 directions, and ≥ 30 failures over the sweep |
//! | `u:3` | 1.8 ms (t = 3, `−I`) | `u:4` at `−I`, `t = 0.5`: 1.6·10⁵ contour terms, characters cancel |
//! | `sphere:4096` | 10 ms (t = 1e-3, θ = 3; the Hopf–Cauchy integral, ∝ D) | `sphere:8192`: 19 ms |
//! | `sphere:65535` | 4.8 ms (the odd Cauchy recursion, ∝ D) | `sphere:131071`: 13 ms |
//!
//! Tori and products are not bounded here beyond [`MAX_AMBIENT_DIM`] and [`MAX_FACTORS`]: their
//! kernels cost the sum of their factors' (a circle: ≈ 30 ns), linear in the size of a point,
//! like reading it.

use crate::error::{Error, Result};
use crate::lie::CompactGroup;

/// Largest number of ambient reals per point a parsed [`crate::manifold::ManifoldSpec`] may
/// have (`2²⁴`, e.g. `T^{16777216}` or `S^{2047}^{8192}`): larger sizes are refused as typos before
/// anything is allocated.
pub const MAX_AMBIENT_DIM: usize = 1 << 24;

/// Largest `n` of an `so:n` whose heat kernel is accepted (module docs: `so:8` fails at its
/// cut locus `−I` within the time budget).
pub const MAX_SO_N: usize = 7;

/// Largest `n` of an `su:n` whose heat kernel is accepted (module docs).
pub const MAX_SU_N: usize = 4;

/// Largest `n` of a `u:n` whose heat kernel is accepted (module docs).
pub const MAX_U_N: usize = 3;

/// Largest even `D` of a `sphere:D` whose heat kernel is accepted: the Hopf–Cauchy integral
/// costs `≈ 2.5 µs·D` (module docs).
pub const MAX_EVEN_SPHERE_DIM: usize = 4096;

/// Largest odd `D` of a `sphere:D` whose heat kernel is accepted: the odd Cauchy recursion
/// costs `≈ 0.08 µs·D` (module docs).
pub const MAX_ODD_SPHERE_DIM: usize = 65535;

const SO_REASON: &str = "the heat kernel of SO(n) cannot be evaluated within the 10 ms \
    budget at every (t, x) for n > 7: at the cut locus -I of SO(8) the sum over paths needs \
    5e5 contour terms and the character expansion cancels";
const SU_REASON: &str = "the heat kernel of SU(n) cannot be evaluated within the 10 ms \
    budget at every (t, x) for n > 4: at the centre elements of SU(5) the sum over paths \
    needs contours in 4 wall directions and the character expansion cancels";
const U_REASON: &str = "the heat kernel of U(n) cannot be evaluated within the 10 ms \
    budget at every (t, x) for n > 3: at -I of U(4) the sum over paths needs 1.6e5 contour \
    terms and the character expansion cancels";
const EVEN_SPHERE_REASON: &str = "the exact small-time kernel of an even sphere (the \
    Hopf-Cauchy integral) costs about 2.5 us per dimension: beyond the 10 ms budget per \
    evaluation above D = 4096";
const ODD_SPHERE_REASON: &str = "the exact small-time kernel of an odd sphere (the Cauchy \
    recursion) costs about 0.08 us per dimension: 5 ms at D = 65535, beyond the 10 ms budget \
    per evaluation at 131071";

/// Checks that the heat kernel of the compact group `group` is within the accepted sizes
/// ([`MAX_SO_N`], [`MAX_SU_N`], [`MAX_U_N`]).
///
/// # Errors
/// [`Error::LimitExceeded`] naming the group, the largest accepted size and why.
pub fn check_group_kernel_size(group: CompactGroup) -> Result<()> {
    let (max, reason) = match group {
        CompactGroup::SpecialOrthogonal(_) => (MAX_SO_N, SO_REASON),
        CompactGroup::SpecialUnitary(_) => (MAX_SU_N, SU_REASON),
        CompactGroup::Unitary(_) => (MAX_U_N, U_REASON),
    };
    if group.n() <= max {
        return Ok(());
    }
    let largest = match group {
        CompactGroup::SpecialOrthogonal(_) => CompactGroup::SpecialOrthogonal(max),
        CompactGroup::SpecialUnitary(_) => CompactGroup::SpecialUnitary(max),
        CompactGroup::Unitary(_) => CompactGroup::Unitary(max),
    };
    Err(Error::LimitExceeded {
        name: "heat-kernel size",
        value: group.to_string(),
        limit: largest.to_string(),
        reason,
    })
}

/// Checks that the heat kernel of `S^d` is within the accepted sizes ([`MAX_EVEN_SPHERE_DIM`],
/// [`MAX_ODD_SPHERE_DIM`]).
///
/// # Errors
/// [`Error::LimitExceeded`] naming the sphere, the largest accepted dimension and why.
pub fn check_sphere_kernel_size(d: usize) -> Result<()> {
    let (max, reason) = if d % 2 == 0 {
        (MAX_EVEN_SPHERE_DIM, EVEN_SPHERE_REASON)
    } else {
        (MAX_ODD_SPHERE_DIM, ODD_SPHERE_REASON)
    };
    if d <= max {
        return Ok(());
    }
    Err(Error::LimitExceeded {
        name: "heat-kernel size",
        value: format!("sphere:{d}"),
        limit: format!(
            "sphere:{max} ({} dimensions)",
            if d % 2 == 0 { "even" } else { "odd" }
        ),
        reason,
    })
}

/// Largest number of factors of a parsed product (`2¹⁶`, e.g. `su:3^65536`).
pub const MAX_FACTORS: usize = 1 << 16;

/// Bytes one user-sized buffer may hold (2 GiB).
pub const MAX_BUFFER_BYTES: usize = 1 << 31;

/// `f64`s one user-sized buffer may hold (`2²⁸`).
pub const MAX_BUFFER_REALS: usize = MAX_BUFFER_BYTES / std::mem::size_of::<f64>();

/// Largest number of training steps.
pub const MAX_STEPS: usize = 100_000_000;

/// Largest training batch size.
pub const MAX_BATCH_SIZE: usize = 1 << 20;

/// Largest width of a hidden layer.
pub const MAX_HIDDEN_WIDTH: usize = 1 << 14;

/// Largest number of hidden layers.
pub const MAX_HIDDEN_LAYERS: usize = 256;

/// Largest number of geodesic-random-walk steps.
pub const MAX_WALK_STEPS: usize = 1_000_000;

/// Largest number of Langevin corrector steps per walk step.
pub const MAX_CORRECTOR_STEPS: usize = 1_000;

/// Longest line of CSV input, in bytes.
pub const MAX_LINE_BYTES: usize = 1 << 26;

/// Largest data file (latitude/longitude CSV) read into memory, in bytes (1 GiB: about 50
/// million rows, 2·10⁴ times the largest earth-science set; its points fill 1.2 GB).
pub const MAX_DATA_FILE_BYTES: u64 = 1 << 30;

/// Largest checkpoint file, in bytes.
pub const MAX_CHECKPOINT_BYTES: u64 = (1 << 32) + (1 << 20);

/// Checks `value ≤ max`.
///
/// # Errors
/// [`Error::LimitExceeded`] naming `name`, the value, the bound and `reason`.
pub fn check_at_most(
    name: &'static str,
    value: usize,
    max: usize,
    reason: &'static str,
) -> Result<()> {
    if value <= max {
        Ok(())
    } else {
        Err(Error::LimitExceeded {
            name,
            value: value.to_string(),
            limit: max.to_string(),
            reason,
        })
    }
}

/// The number of reals of a buffer of `rows` rows of `per_row` reals, checked against
/// [`MAX_BUFFER_REALS`] (and for overflow) before anything is allocated.
///
/// # Errors
/// [`Error::LimitExceeded`] naming `name` and the requested size.
pub fn buffer_len(name: &'static str, rows: usize, per_row: usize) -> Result<usize> {
    match rows.checked_mul(per_row) {
        Some(len) if len <= MAX_BUFFER_REALS => Ok(len),
        _ => Err(Error::LimitExceeded {
            name,
            value: format!("{rows} rows × {per_row} reals"),
            limit: format!("{MAX_BUFFER_REALS} reals ({} GiB)", MAX_BUFFER_BYTES >> 30),
            reason: "one buffer of user-chosen size holds at most 2 GiB",
        }),
    }
}

/// `rows` rows of `per_row` reals, zeroed, after [`buffer_len`]'s check.
///
/// # Errors
/// As [`buffer_len`].
pub fn zeroed_buffer(name: &'static str, rows: usize, per_row: usize) -> Result<Vec<f64>> {
    Ok(vec![0.0; buffer_len(name, rows, per_row)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_name_the_value_the_bound_and_why() {
        let message = buffer_len("samples", usize::MAX, 3)
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("samples") && message.contains("2 GiB"),
            "{message}"
        );
        let message = check_at_most("steps", MAX_STEPS + 1, MAX_STEPS, "test reason")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("100000001")
                && message.contains("100000000")
                && message.contains("test reason"),
            "{message}"
        );
        assert_eq!(buffer_len("x", 1 << 20, 1 << 8).unwrap(), 1 << 28);
        assert!(buffer_len("x", (1 << 20) + 1, 1 << 8).is_err());
        assert!(zeroed_buffer("x", usize::MAX / 2, 4).is_err());
    }
}
