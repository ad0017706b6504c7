//! The choice of score-matching loss: [`Loss`] and the probe law of sliced ISM, [`Probe`].

use crate::error::{Error, Result};
use std::fmt;
use std::str::FromStr;

/// Law of the probe vectors `ε` of sliced (Hutchinson) score matching; the probe actually used
/// is the tangent projection `z = P_x ε`, whose second moment `E[z zᵀ] = P_x` because
/// `E[ε εᵀ] = I` for both laws (Hutchinson 1989).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Probe {
    /// Independent signs `±1` (the default: the smallest variance of `εᵀ A ε` among laws with
    /// `E[εεᵀ] = I`, namely `2 Σ_{i≠j} A_ij²` for symmetric `A`).
    #[default]
    Rademacher,
    /// Independent standard normals (variance `2 ‖A‖_F²` for symmetric `A`).
    Gaussian,
}

/// The score-matching objective of training, each with the weight `λ(σ) = σ²` of the DSM loss
/// of this crate (so every noise level contributes `O(1)`, Song & Ermon 2019). With the model
/// `s_θ = P_x y_θ / σ` (see [`crate::nn`]):
///
/// - [`Loss::Dsm`]: `E σ² ‖s_θ(x, σ) − ∇_x log p_t(x₀, x)‖²_x`, exact heat-kernel targets
///   (RSGM eq. (8)).
/// - [`Loss::DsmVaradhan`]: the same with Varadhan's small-time target
///   `∇_x log p_t(x₀, x) ≈ log_x(x₀) / t` (RSGM §3.3's comparison; `log_x` is the Riemannian
///   logarithm, so `log_x(x₀)/t = −∇_x d²(x₀, x)/(2t)`), biased for large `t`.
/// - [`Loss::Ism`]: implicit score matching with the exact Riemannian divergence,
///   `E σ² (‖s_θ‖²_x + 2 div_M s_θ)` (RSGM eq. (9) times 2, so that
///   `L_ISM = L_DSM − E σ² ‖∇ log p_t(x₀, x)‖²_x`: the two differ by a θ-independent constant
///   and have the same expected gradient).
/// - [`Loss::Sliced`]: the same with `tr(P_x J)` replaced by the Hutchinson estimate
///   `mean_k z_kᵀ J z_k`, `z_k = P_x ε_k` (RSGM eq. (10); Song et al. 2019), unbiased.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Loss {
    /// Denoising score matching with exact heat-kernel targets (the default).
    #[default]
    Dsm,
    /// Denoising score matching with Varadhan targets `log_x(x₀)/t`.
    DsmVaradhan,
    /// Implicit score matching with the exact divergence of the network.
    Ism,
    /// Sliced (Hutchinson) implicit score matching.
    Sliced {
        /// Law of the probes.
        probe: Probe,
        /// Number of probes per point (≥ 1).
        probes: usize,
    },
}

impl Loss {
    /// The CLI name: `dsm`, `dsm-varadhan`, `ism`, `sliced` (`sliced` also for other probe
    /// settings; [`fmt::Display`] spells those out).
    pub fn name(&self) -> &'static str {
        match self {
            Loss::Dsm => "dsm",
            Loss::DsmVaradhan => "dsm-varadhan",
            Loss::Ism => "ism",
            Loss::Sliced { .. } => "sliced",
        }
    }

    /// Whether the loss needs score targets from the noising process (the DSM losses).
    pub fn needs_targets(&self) -> bool {
        matches!(self, Loss::Dsm | Loss::DsmVaradhan)
    }

    /// Checks the probe count of [`Loss::Sliced`].
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] for `probes == 0` or `probes > 1024`.
    pub fn validate(&self) -> Result<()> {
        if let Loss::Sliced { probes, .. } = *self {
            if !(1..=1024).contains(&probes) {
                return Err(Error::invalid(
                    "probes",
                    probes,
                    "between 1 and 1024 probes per point",
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Loss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Loss::Sliced { probe, probes } => write!(f, "sliced({probe:?}, K = {probes})"),
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for Loss {
    type Err = Error;

    /// Parses `dsm`, `dsm-varadhan`, `ism` or `sliced` (Rademacher probes, one per point),
    /// ASCII case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dsm" => Ok(Loss::Dsm),
            "dsm-varadhan" => Ok(Loss::DsmVaradhan),
            "ism" => Ok(Loss::Ism),
            "sliced" => Ok(Loss::Sliced {
                probe: Probe::Rademacher,
                probes: 1,
            }),
            _ => Err(Error::invalid(
                "loss",
                s,
                "one of dsm, dsm-varadhan, ism, sliced",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_names() {
        for loss in [
            Loss::Dsm,
            Loss::DsmVaradhan,
            Loss::Ism,
            Loss::Sliced {
                probe: Probe::Rademacher,
                probes: 1,
            },
        ] {
            assert_eq!(loss.name().parse::<Loss>().unwrap(), loss);
        }
        assert_eq!("ISM".parse::<Loss>().unwrap(), Loss::Ism);
        assert!("hutchinson".parse::<Loss>().is_err());
        assert!(Loss::Sliced {
            probe: Probe::Gaussian,
            probes: 0
        }
        .validate()
        .is_err());
    }
}
