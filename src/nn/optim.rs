//! Optimisation: Adam, global-norm gradient clipping, exponential moving average of weights.

use crate::error::{Error, Result};
use rayon::prelude::*;

/// Parameters per rayon task in the elementwise updates (large enough to amortise scheduling).
const PARALLEL_CHUNK: usize = 1 << 15;

/// Options of [`Adam`]. Defaults are those of Kingma & Ba (2015), Algorithm 1
/// (`β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`), with learning rate `2e-4` (RSGM's setting).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AdamOptions {
    /// Step size `α` (default `2e-4`).
    pub learning_rate: f64,
    /// First-moment decay `β₁` (default 0.9).
    pub beta1: f64,
    /// Second-moment decay `β₂` (default 0.999).
    pub beta2: f64,
    /// `ε` added to `√v̂` (default 1e-8).
    pub epsilon: f64,
}

impl Default for AdamOptions {
    fn default() -> Self {
        AdamOptions {
            learning_rate: 2e-4,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

impl AdamOptions {
    /// Checks `α > 0`, `β₁, β₂ ∈ [0, 1)`, `ε > 0`, all finite.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the bad option.
    pub fn validate(&self) -> Result<()> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(Error::invalid(
                "learning_rate",
                self.learning_rate,
                "a finite rate > 0",
            ));
        }
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::invalid(name, b, "a decay in [0, 1)"));
            }
        }
        if !(self.epsilon.is_finite() && self.epsilon > 0.0) {
            return Err(Error::invalid(
                "epsilon",
                self.epsilon,
                "a finite epsilon > 0",
            ));
        }
        Ok(())
    }
}

/// The Adam optimiser (Kingma & Ba 2015, Algorithm 1), the same update as `optax.adam`:
///
/// ```text
/// m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
/// θ ← θ − α · (m / (1 − β₁ᵏ)) / (√(v / (1 − β₂ᵏ)) + ε)      (k = step number, from 1)
/// ```
///
/// State: two moment vectors of the parameter length. Cost: `O(#params)` per step.
#[derive(Clone, Debug)]
pub struct Adam {
    options: AdamOptions,
    first_moment: Vec<f64>,
    second_moment: Vec<f64>,
    steps: u64,
}

impl Adam {
    /// An optimiser for `param_count` parameters with zero moments.
    ///
    /// # Errors
    /// As [`AdamOptions::validate`].
    pub fn new(param_count: usize, options: AdamOptions) -> Result<Self> {
        options.validate()?;
        Ok(Adam {
            options,
            first_moment: vec![0.0; param_count],
            second_moment: vec![0.0; param_count],
            steps: 0,
        })
    }

    /// The options.
    pub fn options(&self) -> &AdamOptions {
        &self.options
    }

    /// Number of steps taken.
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// Changes the learning rate (e.g. for a schedule); other state is kept.
    pub fn set_learning_rate(&mut self, learning_rate: f64) {
        self.options.learning_rate = learning_rate;
    }

    /// One update of `params` with gradient `grads`.
    ///
    /// # Panics
    /// If the lengths differ from the optimiser's parameter count.
    pub fn step(&mut self, params: &mut [f64], grads: &[f64]) {
        assert_eq!(
            params.len(),
            self.first_moment.len(),
            "Adam::step: parameter length"
        );
        assert_eq!(
            grads.len(),
            self.first_moment.len(),
            "Adam::step: gradient length"
        );
        self.steps += 1;
        let AdamOptions {
            learning_rate,
            beta1,
            beta2,
            epsilon,
        } = self.options;
        let k = self.steps.min(i32::MAX as u64) as i32;
        let correction1 = 1.0 - beta1.powi(k);
        let correction2 = 1.0 - beta2.powi(k);
        // Elementwise, so splitting into chunks changes nothing in the result.
        params
            .par_chunks_mut(PARALLEL_CHUNK)
            .zip(grads.par_chunks(PARALLEL_CHUNK))
            .zip(self.first_moment.par_chunks_mut(PARALLEL_CHUNK))
            .zip(self.second_moment.par_chunks_mut(PARALLEL_CHUNK))
            .for_each(|(((params, grads), first), second)| {
                for (((p, &g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(first.iter_mut())
                    .zip(second.iter_mut())
                {
                    *m = beta1 * *m + (1.0 - beta1) * g;
                    *v = beta2 * *v + (1.0 - beta2) * g * g;
                    let m_hat = *m / correction1;
                    let v_hat = *v / correction2;
                    *p -= learning_rate * m_hat / (v_hat.sqrt() + epsilon);
                }
            });
    }
}

/// Scales `grads` in place so that its Euclidean norm is at most `max_norm` (clipping by global
/// norm, Pascanu et al. 2013); returns the norm before clipping. Non-finite norms are returned
/// unchanged (the caller decides; the trainer reports them as errors).
pub fn clip_global_norm(grads: &mut [f64], max_norm: f64) -> f64 {
    let norm = grads.iter().map(|g| g * g).sum::<f64>().sqrt();
    if norm.is_finite() && norm > max_norm {
        let scale = max_norm / norm;
        grads.iter_mut().for_each(|g| *g *= scale);
    }
    norm
}

/// Exponential moving average of parameters, `θ̄ ← δ θ̄ + (1 − δ) θ`, with the warm-up
/// `δ_k = min(decay, (1 + k)/(10 + k))` of TensorFlow's `ExponentialMovingAverage`
/// (`num_updates`), so that early averages are not dominated by the initialisation.
/// Starts at the parameters passed to [`Ema::new`].
#[derive(Clone, Debug)]
pub struct Ema {
    decay: f64,
    params: Vec<f64>,
    updates: u64,
}

impl Ema {
    /// An average initialised at `params` with asymptotic decay `decay` (RSGM uses 0.999).
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] unless `0 ≤ decay < 1`.
    pub fn new(params: &[f64], decay: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&decay) {
            return Err(Error::invalid("ema_decay", decay, "a decay in [0, 1)"));
        }
        Ok(Ema {
            decay,
            params: params.to_vec(),
            updates: 0,
        })
    }

    /// Folds in the current parameters.
    ///
    /// # Panics
    /// If the length differs from the initial parameters'.
    pub fn update(&mut self, params: &[f64]) {
        assert_eq!(
            params.len(),
            self.params.len(),
            "Ema::update: parameter length"
        );
        self.updates += 1;
        let k = self.updates as f64;
        let d = self.decay.min((1.0 + k) / (10.0 + k));
        self.params
            .par_chunks_mut(PARALLEL_CHUNK)
            .zip(params.par_chunks(PARALLEL_CHUNK))
            .for_each(|(average, params)| {
                for (e, &p) in average.iter_mut().zip(params) {
                    *e = d * *e + (1.0 - d) * p;
                }
            });
    }

    /// The averaged parameters.
    pub fn params(&self) -> &[f64] {
        &self.params
    }

    /// The asymptotic decay.
    pub fn decay(&self) -> f64 {
        self.decay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_by_learning_rate() {
        // With bias correction, the first update is −α g/(|g| + ε) per coordinate.
        let mut adam = Adam::new(
            2,
            AdamOptions {
                learning_rate: 0.1,
                ..Default::default()
            },
        )
        .unwrap();
        let mut p = [1.0, -2.0];
        adam.step(&mut p, &[3.0, -0.5]);
        assert!((p[0] - (1.0 - 0.1 * 3.0 / (3.0 + 1e-8))).abs() < 1e-15);
        assert!((p[1] - (-2.0 + 0.1 * 0.5 / (0.5 + 1e-8))).abs() < 1e-15);
    }

    #[test]
    fn adam_minimises_a_quadratic() {
        let mut adam = Adam::new(
            3,
            AdamOptions {
                learning_rate: 0.05,
                ..Default::default()
            },
        )
        .unwrap();
        let target = [1.0, -3.0, 0.5];
        let mut p = [0.0; 3];
        for _ in 0..2000 {
            let g: Vec<f64> = p.iter().zip(&target).map(|(a, b)| 2.0 * (a - b)).collect();
            adam.step(&mut p, &g);
        }
        for (a, b) in p.iter().zip(&target) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
    }

    #[test]
    fn clipping_and_ema() {
        let mut g = [3.0, 4.0];
        assert_eq!(clip_global_norm(&mut g, 1.0), 5.0);
        assert!((g[0] - 0.6).abs() < 1e-15 && (g[1] - 0.8).abs() < 1e-15);
        let mut ema = Ema::new(&[0.0], 0.999).unwrap();
        ema.update(&[1.0]);
        // First decay min(0.999, 2/11).
        assert!((ema.params()[0] - 9.0 / 11.0).abs() < 1e-15);
        assert!(Ema::new(&[0.0], 1.0).is_err());
        assert!(Adam::new(
            1,
            AdamOptions {
                beta2: 1.0,
                ..Default::default()
            }
        )
        .is_err());
    }
}
