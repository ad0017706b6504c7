//! Exact sampling of the torus heat kernel (wrapped normal).

use super::HeatKernelSampler;
use super::CIRCLE_UNIFORM_TIME;
use crate::error::{check_len, check_time, Result};
use crate::manifold::{Manifold, Torus, MEMBERSHIP_TOLERANCE};
use crate::random::{standard_normal, uniform, Rng};
use std::f64::consts::TAU;

/// Samples `p_t(x₀, ·)` on `T^d` exactly: `x_i = (x₀_i + √t z_i) mod 2π`, `z_i ~ N(0, 1)`;
/// uniform angles for `t ≥` [`CIRCLE_UNIFORM_TIME`], where that is the law to f64.
///
/// The wrapped normal is the heat kernel of `½Δ` on the flat torus (the law of Brownian
/// motion at time `t` projected to `R^d/2πZ^d`). Cost: `d` normal draws.
#[derive(Clone, Copy, Debug)]
pub struct TorusHeatKernelSampler {
    torus: Torus,
}

impl TorusHeatKernelSampler {
    /// The sampler on `torus`.
    pub fn new(torus: Torus) -> Self {
        TorusHeatKernelSampler { torus }
    }
}

impl HeatKernelSampler for TorusHeatKernelSampler {
    fn manifold(&self) -> &dyn Manifold {
        &self.torus
    }

    fn sample(&self, x0: &[f64], t: f64, rng: &mut Rng, out: &mut [f64]) -> Result<()> {
        check_time(t)?;
        self.torus.check_point(x0, MEMBERSHIP_TOLERANCE)?;
        check_len("sample output", out.len(), self.torus.ambient_dim())?;
        if t >= CIRCLE_UNIFORM_TIME {
            // Uniform to f64 per coordinate (module docs of `sampling`).
            for o in out.iter_mut() {
                *o = TAU * uniform(rng);
            }
            return Ok(());
        }
        let s = t.sqrt();
        for (o, &a) in out.iter_mut().zip(x0) {
            let r = (a + s * standard_normal(rng)).rem_euclid(TAU);
            *o = if r >= TAU { 0.0 } else { r };
        }
        Ok(())
    }
}
