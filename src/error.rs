//! The crate's single error type.
//!
//! Every fallible public entry point returns [`Result`]. Messages name the bad
//! value and what was expected, so a user can fix the input without reading
//! the source.

use std::fmt;

/// Errors returned by `riemannian_diffusion`.
#[non_exhaustive]
#[derive(Debug)]
pub enum Error {
    /// An argument is outside its valid range (e.g. `t <= 0`, NaN, a zero batch size).
    InvalidArgument {
        /// Name of the argument.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What was expected instead.
        expected: String,
    },
    /// A slice or matrix has the wrong length or shape.
    DimensionMismatch {
        /// What was being checked (e.g. "point", "tangent vector").
        what: &'static str,
        /// Expected length.
        expected: usize,
        /// Length found.
        found: usize,
    },
    /// A point is not on the manifold to within the tolerance.
    NotOnManifold {
        /// The manifold ([`crate::manifold::ManifoldSpec`] text), e.g. `sphere:2`.
        manifold: String,
        /// Which constraint failed and by how much.
        detail: String,
        /// The tolerance used.
        tolerance: f64,
    },
    /// A value that must be finite is NaN or infinite.
    NonFinite {
        /// What was being computed or read.
        what: String,
    },
    /// A text input (CSV, stdin) could not be parsed.
    Parse {
        /// File name or `<stdin>`.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong with the line.
        message: String,
    },
    /// An I/O operation failed.
    Io {
        /// The path involved.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A checkpoint file is corrupt, truncated or of another version/model shape.
    Checkpoint {
        /// The path involved.
        path: String,
        /// What is wrong with it.
        message: String,
    },
    /// A size chosen by the user exceeds the resource policy ([`crate::limits`]).
    LimitExceeded {
        /// What was too large (an option, a buffer).
        name: &'static str,
        /// The requested value, formatted.
        value: String,
        /// The bound, formatted.
        limit: String,
        /// Why the bound exists (memory or time).
        reason: &'static str,
    },
    /// The exact value exists but lies beyond the f64 range, so no finite `f64` is right:
    /// e.g. `log p ≈ −d²/2t < −f64::MAX` for a heat kernel at `t = 1e-310`, `d = 1`.
    /// Distinct from [`Error::Numerical`] so that callers combining values (a mixture's
    /// log-sum-exp) can treat the term as `−∞` where that is exact.
    OutOfRange {
        /// The quantity and its estimated size, e.g. `log p (≈ −d²/2t = -5.000e309)`.
        what: String,
        /// Where: manifold, time, distance, and how to get finite values.
        detail: String,
    },
    /// A numerical method failed (no convergence, step-size underflow, too many steps).
    Numerical {
        /// The method that failed.
        method: &'static str,
        /// What happened, with the values involved.
        detail: String,
    },
}

/// `Result` specialised to the crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidArgument {
                name,
                value,
                expected,
            } => write!(f, "invalid {name} = {value}: expected {expected}"),
            Error::DimensionMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what} has length {found}, expected {expected}"),
            Error::NotOnManifold {
                manifold,
                detail,
                tolerance,
            } => write!(
                f,
                "point is not on {manifold} (tolerance {tolerance:e}): {detail}"
            ),
            Error::NonFinite { what } => write!(f, "non-finite value in {what}"),
            Error::Parse {
                source_name,
                line,
                message,
            } => write!(f, "{source_name}:{line}: {message}"),
            Error::Io { path, source } => write!(f, "{path}: {source}"),
            Error::Checkpoint { path, message } => {
                write!(f, "checkpoint {path} is unusable: {message}")
            }
            Error::Numerical { method, detail } => write!(f, "{method} failed: {detail}"),
            Error::OutOfRange { what, detail } => {
                write!(f, "{what} is beyond the f64 range {detail}")
            }
            Error::LimitExceeded {
                name,
                value,
                limit,
                reason,
            } => write!(f, "{name} = {value} exceeds the limit {limit} ({reason})"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidArgument`].
    /// A value that prints as a very long decimal number (`1e300` as 301 digits) is shown in
    /// scientific notation instead ([`number`]).
    pub fn invalid(
        name: &'static str,
        value: impl fmt::Display,
        expected: impl Into<String>,
    ) -> Self {
        let value = value.to_string();
        let value = match value.parse::<f64>() {
            Ok(v) if value.len() > 24 => number(v),
            _ => value,
        };
        Error::InvalidArgument {
            name,
            value,
            expected: expected.into(),
        }
    }
}

/// `v` for a message: the shortest round-trip decimal when it is short (`0.5`, `90.0000001`),
/// scientific notation otherwise (`1e300`, `5e-324`), so no message prints hundreds of digits.
pub fn number(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 24 {
        plain
    } else {
        format!("{v:e}")
    }
}

/// An `f64` that displays as [`number`] does (for `format!` arguments of messages:
/// `format!("at t = {}", Num(t))`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Num(pub f64);

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&number(self.0))
    }
}

/// Longest part of a user's text quoted in an error message, in characters.
pub const QUOTE_CHARS: usize = 40;

/// `text` quoted for an error message: in full (with `{:?}` escaping) if short, else its first
/// [`QUOTE_CHARS`] characters and its length, so a 64 MiB field or row never becomes a
/// 64 MiB error line.
pub fn quoted(text: &str) -> String {
    match text.char_indices().nth(QUOTE_CHARS) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}… ({} bytes)", &text[..end], text.len()),
    }
}

/// Checks that a kernel time `t` is finite and strictly positive.
///
/// # Errors
/// [`Error::InvalidArgument`] naming `t` otherwise.
pub fn check_time(t: f64) -> Result<()> {
    if t.is_finite() && t > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid("t", t, "a finite time t > 0"))
    }
}

/// Checks that `len == expected`.
///
/// # Errors
/// [`Error::DimensionMismatch`] otherwise.
pub fn check_len(what: &'static str, len: usize, expected: usize) -> Result<()> {
    if len == expected {
        Ok(())
    } else {
        Err(Error::DimensionMismatch {
            what,
            expected,
            found: len,
        })
    }
}
