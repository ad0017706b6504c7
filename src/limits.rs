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
//!
//! Every check returns [`Error::LimitExceeded`] (never a panic, never an allocation first).

use crate::error::{Error, Result};

/// Largest number of ambient reals per point a parsed [`crate::manifold::ManifoldSpec`] may
/// have (`2²⁴`, e.g. `S^{16777215}` or `SO(4096)`): larger sizes are refused as typos before
/// anything is allocated.
pub const MAX_AMBIENT_DIM: usize = 1 << 24;

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
