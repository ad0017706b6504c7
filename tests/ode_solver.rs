//! Dormand–Prince 5(4): convergence order, tolerance proportionality, closed-form
//! solutions on R^n, S² and T², work counters and failure modes.

use riemannian_diffusion::manifold::{Manifold, Sphere, Torus};
use riemannian_diffusion::ode::{
    solve, solve_fixed, solve_manifold, solve_manifold_fixed, FnSystem, ManifoldOdeSystem,
    OdeOptions, OdeSystem,
};
use riemannian_diffusion::{Error, Result};
use std::cell::Cell;
use std::f64::consts::PI;

/// `y' = y cos t`, `y(0) = 1`: `y = exp(sin t)`.
fn exp_sin() -> impl OdeSystem {
    FnSystem::new(1, |t: f64, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[0] * t.cos();
        Ok(())
    })
}

fn oscillator() -> impl OdeSystem {
    FnSystem::new(2, |_t: f64, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[1];
        dy[1] = -y[0];
        Ok(())
    })
}

/// Observed orders `log2(e(h)/e(h/2))` for a sequence of halvings.
fn observed_orders(errors: &[f64]) -> Vec<f64> {
    errors.windows(2).map(|w| (w[0] / w[1]).log2()).collect()
}

#[test]
fn fixed_step_order_is_five() {
    let sys = exp_sin();
    let t1: f64 = 3.0;
    let exact = t1.sin().exp();
    let errors: Vec<f64> = [8, 16, 32, 64]
        .iter()
        .map(|&n| (solve_fixed(&sys, 0.0, t1, &[1.0], n).unwrap().y_final[0] - exact).abs())
        .collect();
    let orders = observed_orders(&errors);
    println!("errors {errors:?}, observed orders {orders:?}");
    // Asymptotically the ratio is 2^5 = 32; the O(h⁶) term perturbs the first halvings.
    for p in &orders[1..] {
        assert!((p - 5.0).abs() < 0.3, "observed order {p}");
    }
}

#[test]
fn global_error_is_proportional_to_tolerance() {
    let sys = oscillator();
    let t1: f64 = 20.0;
    let mut points = Vec::new();
    for k in 0..4 {
        let tol = 10f64.powi(-4 - 2 * k);
        let opt = OdeOptions::with_tolerances(tol, tol);
        let sol = solve(&sys, 0.0, t1, &[1.0, 0.0], &[], &opt).unwrap();
        let err =
            ((sol.y_final[0] - t1.cos()).powi(2) + (sol.y_final[1] + t1.sin()).powi(2)).sqrt();
        println!(
            "tol {tol:e}: error {err:e}, steps {}",
            sol.stats.accepted_steps
        );
        points.push((tol.log10(), err.log10()));
        // Tolerance honoured up to the accumulation over the ~20/h steps.
        assert!(err < 20.0 * tol, "tol {tol:e}: error {err:e}");
    }
    // Least-squares slope of log(err) against log(tol).
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let slope = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>()
        / points.iter().map(|p| (p.0 - mx).powi(2)).sum::<f64>();
    println!("slope {slope}");
    assert!((slope - 1.0).abs() < 0.15, "error ∝ tol^{slope}");
}

#[test]
fn exponential_decay_forward_and_backward_with_dense_output() {
    let sys = FnSystem::new(1, |_t: f64, y: &[f64], dy: &mut [f64]| {
        dy[0] = -2.0 * y[0];
        Ok(())
    });
    let opt = OdeOptions::with_tolerances(1e-10, 1e-12);
    let times: Vec<f64> = (0..=20).map(|k| 0.1 * k as f64).collect();
    let sol = solve(&sys, 0.0, 2.0, &[1.0], &times, &opt).unwrap();
    for (k, &t) in times.iter().enumerate() {
        let exact = (-2.0 * t).exp();
        assert!(
            (sol.y_eval[k] - exact).abs() < 1e-10 * exact.max(1e-2),
            "t = {t}"
        );
    }
    // Backward: from y(2) = e^{-4} to t = 0.
    let back_times: Vec<f64> = times.iter().rev().copied().collect();
    let sol = solve(&sys, 2.0, 0.0, &[(-4.0f64).exp()], &back_times, &opt).unwrap();
    assert!((sol.y_final[0] - 1.0).abs() < 1e-9, "{}", sol.y_final[0]);
    for (k, &t) in back_times.iter().enumerate() {
        let exact = (-2.0 * t).exp();
        assert!((sol.y_eval[k] - exact).abs() < 1e-9 * exact, "t = {t}");
    }
}

#[test]
fn harmonic_oscillator_conserves_energy_and_matches_dense_output() {
    let sys = oscillator();
    let opt = OdeOptions::with_tolerances(1e-9, 1e-12);
    let times: Vec<f64> = (0..=50).map(|k| 0.2 * k as f64).collect();
    let sol = solve(&sys, 0.0, 10.0, &[1.0, 0.0], &times, &opt).unwrap();
    for (k, &t) in times.iter().enumerate() {
        let (x, v) = (sol.y_eval[2 * k], sol.y_eval[2 * k + 1]);
        assert!(
            (x - t.cos()).abs() < 2e-8 && (v + t.sin()).abs() < 2e-8,
            "t = {t}: ({x}, {v})"
        );
    }
}

/// Property: integrating a random linear system forward and then backward returns to the
/// start; with `rtol = atol = 1e-10` and `‖A‖ ≤ 1` over `|Δt| ≤ 2` the two global errors
/// (≲ 10 · tol · e^{2}) stay far below the `1e-7` allowed.
#[test]
fn quickcheck_forward_backward_round_trip() {
    fn prop(entries: Vec<i8>, y0: (i8, i8, i8), span: u8) -> bool {
        let a: Vec<f64> = (0..9)
            .map(|k| *entries.get(k).unwrap_or(&0) as f64 / (3.0 * 128.0))
            .collect();
        let sys = FnSystem::new(3, move |_t: f64, y: &[f64], dy: &mut [f64]| {
            for i in 0..3 {
                dy[i] = (0..3).map(|j| a[3 * i + j] * y[j]).sum();
            }
            Ok(())
        });
        let y0 = [
            y0.0 as f64 / 64.0,
            y0.1 as f64 / 64.0,
            1.0 + y0.2 as f64 / 256.0,
        ];
        let t1 = 0.1 + 1.9 * span as f64 / 255.0;
        let opt = OdeOptions::with_tolerances(1e-10, 1e-10);
        let forward = solve(&sys, 0.5, 0.5 + t1, &y0, &[], &opt).unwrap();
        let back = solve(&sys, 0.5 + t1, 0.5, &forward.y_final, &[], &opt).unwrap();
        back.y_final
            .iter()
            .zip(&y0)
            .all(|(a, b)| (a - b).abs() < 1e-7)
    }
    quickcheck::quickcheck(prop as fn(Vec<i8>, (i8, i8, i8), u8) -> bool);
}

#[test]
fn stats_match_counted_evaluations() {
    let calls = Cell::new(0usize);
    let sys = FnSystem::new(1, |t: f64, y: &[f64], dy: &mut [f64]| {
        calls.set(calls.get() + 1);
        dy[0] = -50.0 * (y[0] - t.cos());
        Ok(())
    });
    let sol = solve(&sys, 0.0, 3.0, &[0.0], &[], &OdeOptions::default()).unwrap();
    let s = sol.stats;
    println!("{s:?}");
    assert_eq!(s.rhs_evaluations, calls.get());
    assert_eq!(
        s.rhs_evaluations,
        2 + 6 * (s.accepted_steps + s.rejected_steps)
    );
    assert!(s.accepted_steps > 0);
    calls.set(0);
    let fixed = solve_fixed(&sys, 0.0, 1.0, &[0.0], 10).unwrap();
    assert_eq!(fixed.stats.accepted_steps, 10);
    assert_eq!(fixed.stats.rejected_steps, 0);
    assert_eq!(fixed.stats.rhs_evaluations, 1 + 6 * 10);
    assert_eq!(calls.get(), 61);
}

#[test]
fn rejections_are_counted_on_a_problem_with_a_sharp_feature() {
    // y' = −(y − tanh(200(t − 1))) has a steep front at t = 1: large steps get rejected there.
    let sys = FnSystem::new(1, |t: f64, y: &[f64], dy: &mut [f64]| {
        dy[0] = -(y[0] - (200.0 * (t - 1.0)).tanh()) * 5.0;
        Ok(())
    });
    let sol = solve(&sys, 0.0, 2.0, &[-1.0], &[], &OdeOptions::default()).unwrap();
    assert!(sol.stats.rejected_steps > 0, "{:?}", sol.stats);
}

#[test]
fn blow_up_reports_step_size_underflow() {
    // y' = y², y(0) = 1: y = 1/(1 − t) blows up at t = 1.
    let sys = FnSystem::new(1, |_t: f64, y: &[f64], dy: &mut [f64]| {
        dy[0] = y[0] * y[0];
        Ok(())
    });
    let err = solve(&sys, 0.0, 2.0, &[1.0], &[], &OdeOptions::default()).unwrap_err();
    match &err {
        Error::Numerical { detail, .. } => {
            assert!(detail.contains("underflow"), "{detail}");
            println!("{err}");
        }
        other => panic!("expected a numerical error, got {other:?}"),
    }
}

#[test]
fn max_steps_is_enforced() {
    let sys = oscillator();
    let opt = OdeOptions {
        max_steps: 5,
        ..OdeOptions::with_tolerances(1e-10, 1e-10)
    };
    let err = solve(&sys, 0.0, 100.0, &[1.0, 0.0], &[], &opt).unwrap_err();
    assert!(
        matches!(err, Error::Numerical { ref detail, .. } if detail.contains("max_steps")),
        "{err}"
    );
}

#[test]
fn max_step_is_respected() {
    let sys = exp_sin();
    let opt = OdeOptions {
        max_step: 0.01,
        ..OdeOptions::default()
    };
    let sol = solve(&sys, 0.0, 1.0, &[1.0], &[], &opt).unwrap();
    assert!(sol.stats.accepted_steps >= 100);
}

fn cross(a: &[f64; 3], b: &[f64]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

/// Rotation `ẋ = ω × x` (a Killing field of S²) for a batch of points, plus `ė_i = x_i · u`.
struct Rotation {
    sphere: Sphere,
    omega: [f64; 3],
    u: [f64; 3],
    count: usize,
}

impl ManifoldOdeSystem for Rotation {
    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }
    fn num_points(&self) -> usize {
        self.count
    }
    fn num_extra(&self) -> usize {
        self.count
    }
    fn rhs(&self, _t: f64, x: &[f64], _e: &[f64], v: &mut [f64], de: &mut [f64]) -> Result<()> {
        for i in 0..self.count {
            let xi = &x[3 * i..3 * i + 3];
            v[3 * i..3 * i + 3].copy_from_slice(&cross(&self.omega, xi));
            de[i] = xi.iter().zip(&self.u).map(|(a, b)| a * b).sum();
        }
        Ok(())
    }
}

/// Rodrigues: rotation of `x` about the unit axis `k` by angle `a`.
fn rotate(k: &[f64; 3], a: f64, x: &[f64]) -> [f64; 3] {
    let kx = cross(k, x);
    let kdx: f64 = k.iter().zip(x).map(|(p, q)| p * q).sum();
    std::array::from_fn(|i| x[i] * a.cos() + kx[i] * a.sin() + k[i] * kdx * (1.0 - a.cos()))
}

#[test]
fn rotation_on_the_sphere_matches_rodrigues_and_stays_on_the_sphere() {
    let speed = 1.3;
    let axis = [1.0 / 3f64.sqrt(), -1.0 / 3f64.sqrt(), 1.0 / 3f64.sqrt()];
    let sys = Rotation {
        sphere: Sphere::new(2).unwrap(),
        omega: axis.map(|a| a * speed),
        u: axis,
        count: 3,
    };
    let x0 = [1.0, 0.0, 0.0, 0.0, 0.6, 0.8, -0.48, 0.6, 0.64];
    let times: Vec<f64> = (0..=40).map(|k| 0.25 * k as f64).collect();
    let opt = OdeOptions::with_tolerances(1e-10, 1e-10);
    let sol = solve_manifold(&sys, 0.0, 10.0, &x0, &[0.0; 3], &times, &opt).unwrap();
    for (k, &t) in times.iter().enumerate() {
        for i in 0..3 {
            let x = &sol.points_eval[(k * 3 + i) * 3..(k * 3 + i) * 3 + 3];
            let exact = rotate(&axis, speed * t, &x0[3 * i..3 * i + 3]);
            let err = x
                .iter()
                .zip(&exact)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max);
            assert!(err < 1e-8, "t = {t}, point {i}: error {err:e}");
            let norm = x.iter().map(|a| a * a).sum::<f64>().sqrt();
            assert!(
                (norm - 1.0).abs() < 1e-12,
                "t = {t}: |x| − 1 = {:e}",
                norm - 1.0
            );
            // x·axis is invariant, so e_i(t) = t (x0·axis).
            let inv: f64 = x0[3 * i..3 * i + 3]
                .iter()
                .zip(&axis)
                .map(|(a, b)| a * b)
                .sum();
            assert!((sol.extra_eval[k * 3 + i] - t * inv).abs() < 1e-8);
        }
    }
}

/// A non-Killing, time-dependent field on S²: the gradient of the height `x·a` plus a
/// rotation about a different axis with time-varying speed,
/// `V(t, x) = (a − (x·a) x) + (1 + ½ sin t) ω × x`. Its ambient extension to `R³` leaves
/// the unit sphere invariant (`d|x|²/dt = 2 (x·a)(1 − |x|²)`), which gives an independent
/// reference: the plain Euclidean solver at `rtol = atol = 1e-13`.
struct TwistedGradient {
    sphere: Sphere,
}

const TWIST_A: [f64; 3] = [0.3, -0.5, 0.8];
const TWIST_OMEGA: [f64; 3] = [0.9, 0.4, -0.2];

fn twisted_field(t: f64, x: &[f64], v: &mut [f64]) {
    let xa: f64 = x.iter().zip(&TWIST_A).map(|(p, q)| p * q).sum();
    let r = cross(&TWIST_OMEGA, x);
    let speed = 1.0 + 0.5 * t.sin();
    for i in 0..3 {
        v[i] = TWIST_A[i] - xa * x[i] + speed * r[i];
    }
}

impl ManifoldOdeSystem for TwistedGradient {
    fn manifold(&self) -> &dyn Manifold {
        &self.sphere
    }
    fn num_points(&self) -> usize {
        1
    }
    fn num_extra(&self) -> usize {
        0
    }
    fn rhs(&self, t: f64, x: &[f64], _e: &[f64], v: &mut [f64], _de: &mut [f64]) -> Result<()> {
        twisted_field(t, x, v);
        Ok(())
    }
}

#[test]
fn manifold_scheme_has_order_five_for_a_non_killing_field() {
    let sys = TwistedGradient {
        sphere: Sphere::new(2).unwrap(),
    };
    let x0 = [0.6, 0.0, -0.8];
    let t1 = 2.0;
    let ambient = FnSystem::new(3, |t: f64, x: &[f64], v: &mut [f64]| {
        twisted_field(t, x, v);
        Ok(())
    });
    let exact = solve(
        &ambient,
        0.0,
        t1,
        &x0,
        &[],
        &OdeOptions::with_tolerances(1e-13, 1e-13),
    )
    .unwrap()
    .y_final;
    let mut errors = Vec::new();
    for n in [8, 16, 32, 64] {
        let sol = solve_manifold_fixed(&sys, 0.0, t1, &x0, &[], n).unwrap();
        let norm = sol.points.iter().map(|a| a * a).sum::<f64>().sqrt();
        assert!((norm - 1.0).abs() < 1e-12);
        errors.push(
            sol.points
                .iter()
                .zip(&exact)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt(),
        );
    }
    let orders = observed_orders(&errors);
    println!("errors {errors:?}, observed orders {orders:?}");
    for p in &orders[1..] {
        assert!((p - 5.0).abs() < 0.3, "observed order {p}");
    }
}

/// `θ̇_j = sin θ_j` on T² (angles wrap through 0 = 2π on the way): `tan(θ/2) = tan(θ₀/2) e^{t}`.
struct SineFlow {
    torus: Torus,
}

impl ManifoldOdeSystem for SineFlow {
    fn manifold(&self) -> &dyn Manifold {
        &self.torus
    }
    fn num_points(&self) -> usize {
        1
    }
    fn num_extra(&self) -> usize {
        0
    }
    fn rhs(&self, _t: f64, x: &[f64], _e: &[f64], v: &mut [f64], _de: &mut [f64]) -> Result<()> {
        v[0] = x[0].sin();
        v[1] = -1.0 + 0.5 * x[1].cos();
        Ok(())
    }
}

#[test]
fn torus_flow_wraps_and_matches_closed_form() {
    let sys = SineFlow {
        torus: Torus::new(2).unwrap(),
    };
    let x0 = [0.3, 0.2];
    let t1 = 3.0;
    let times = [0.5, 1.0, 2.0, 3.0];
    let sol = solve_manifold(
        &sys,
        0.0,
        t1,
        &x0,
        &[],
        &times,
        &OdeOptions::with_tolerances(1e-10, 1e-10),
    )
    .unwrap();
    for (k, &t) in times.iter().enumerate() {
        let th0 = 2.0 * ((x0[0] / 2.0).tan() * t.exp()).atan();
        // θ̇ = −1 + ½cos θ: with u = tan(θ/2), u̇ = (1 + u²)(−1 + ½(1−u²)/(1+u²))/2 = (−1 − 3u²)/4,
        // so u = −(1/√3) tan(√3 t/4 − atan(√3 u₀)).
        let u0 = (x0[1] / 2.0).tan();
        let u = -(3f64.sqrt() * t / 4.0 - (3f64.sqrt() * u0).atan()).tan() / 3f64.sqrt();
        let th1 = (2.0 * u.atan()).rem_euclid(2.0 * PI);
        let x = &sol.points_eval[2 * k..2 * k + 2];
        assert!(x.iter().all(|a| (0.0..2.0 * PI).contains(a)), "{x:?}");
        let d0 = (x[0] - th0 + PI).rem_euclid(2.0 * PI) - PI;
        let d1 = (x[1] - th1 + PI).rem_euclid(2.0 * PI) - PI;
        assert!(
            d0.abs() < 1e-8 && d1.abs() < 1e-8,
            "t = {t}: {x:?} vs ({th0}, {th1})"
        );
    }
}

#[test]
fn manifold_solver_rejects_points_off_the_manifold() {
    let sys = TwistedGradient {
        sphere: Sphere::new(2).unwrap(),
    };
    let err = solve_manifold(
        &sys,
        0.0,
        1.0,
        &[1.0, 1.0, 0.0],
        &[],
        &[],
        &OdeOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::NotOnManifold { .. }), "{err}");
}
