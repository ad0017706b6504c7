//! Fuzz suite, library half (issue 9, item 4): extreme `(t, point)` pairs for heat kernels,
//! samplers, heat-kernel-mixture scores, likelihoods and generation on every manifold family;
//! mutated checkpoint bytes; latitude/longitude CSV text.
//!
//! Every case runs in a child copy of this test binary ([`fuzz_fixtures::supervise`]): bounded in
//! wall-clock time (a hang detector) and address space, so a hang, an abort on a huge allocation
//! or a panic is reported with its case instead of stalling or killing the suite. Properties:
//! value-or-error (finite values when `Ok`, on the manifold, tangent scores), `Err` for inputs
//! that must be refused (t ≤ 0, NaN, points off the manifold), the uniform density where it is
//! numerically uniform, the Gaussian (Varadhan) limit of the score at tiny t, agreement of two
//! exact estimators, and checkpoint errors naming their source.
//!
//! The `*_fast` tests are the slice of the default suite; the `*_long` tests (`#[ignore]`) run
//! many more cases: `cargo test --release --test fuzz_inputs -- --ignored`. Everything is
//! deterministic from the seed (`RDIFF_FUZZ_SEED`); a failure prints the command that replays it.

#[path = "common/fuzz_checkpoints.rs"]
mod fuzz_checkpoints;
#[path = "common/fuzz_fixtures.rs"]
mod fuzz_fixtures;

use fuzz_fixtures::{
    case_numbers, case_timeout, child_request, serve_child, supervise, Class, Gen, Report,
};
use riemannian_diffusion::data::earth::parse_lat_lon_csv;
use riemannian_diffusion::generation::{generate, GenerationMethod, GenerationOptions};
use riemannian_diffusion::heat_kernel::KernelMethod;
use riemannian_diffusion::likelihood::{
    log_likelihood, Divergence, LikelihoodOptions, ProbeDistribution,
};
use riemannian_diffusion::manifold::{CompactGroup, Manifold, ManifoldSpec};
use riemannian_diffusion::mixture::HeatKernelMixture;
use riemannian_diffusion::nn::{Checkpoint, ScoreNet, ScoreNetConfig};
use riemannian_diffusion::registry;
use riemannian_diffusion::sampling::geodesic_random_walk::forward_walk;
use riemannian_diffusion::score::ScoreField;
use std::f64::consts::PI;
use std::sync::Arc;
use std::time::Duration;

const FILE: &str = "fuzz_inputs";

/// The child entry: serves cases when `RDIFF_FUZZ_CHILD` is set, else does nothing.
#[test]
fn fuzz_child_entry() {
    let Some(request) = child_request() else {
        return;
    };
    let run: fn(u64, u64) -> Vec<(Class, String)> = match request.kind.as_str() {
        "kernel" => kernel_case,
        "sampler" => sampler_case,
        "mixture" => mixture_case,
        "flow" => flow_case,
        "checkpoint" => checkpoint_case,
        "latlon" => lat_lon_case,
        other => panic!("unknown fuzz kind {other}"),
    };
    serve_child(&request, run);
}

/// Runs `cases` cases of `kind` under supervision and fails with the grouped report.
fn run_kind(test: &'static str, kind: &str, cases: u64, timeout: Duration, max_hangs: usize) {
    let mut report = Report::new(FILE, test, fuzz_fixtures::fuzz_seed());
    let numbers = case_numbers(cases);
    let seed = fuzz_fixtures::fuzz_seed();
    let kind_owned = kind.to_string();
    let describe = move |case: u64| describe_case(&kind_owned, seed, case);
    supervise(
        "fuzz_child_entry",
        kind,
        &numbers,
        case_timeout(timeout),
        &mut report,
        &describe,
        max_hangs,
    );
    report.finish();
}

/// The input of a case, regenerated in the parent for crash reports.
fn describe_case(kind: &str, seed: u64, case: u64) -> String {
    match kind {
        "kernel" => KernelInput::generate(seed, case).describe(),
        "sampler" => SamplerInput::generate(seed, case).describe(),
        "mixture" => MixtureInput::generate(seed, case).describe(),
        "flow" => FlowInput::generate(seed, case).describe(),
        "checkpoint" => {
            let (bytes, what, _) = fuzz_checkpoints::mutated_checkpoint(seed, "checkpoint", case);
            format!("{what} ({} bytes)", bytes.len())
        }
        "latlon" => {
            let (text, _) = lat_lon_text(seed, case);
            format!(
                "{} bytes: {:?}",
                text.len(),
                fuzz_fixtures::shorten(&text, 300)
            )
        }
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The tests: fast slice (default suite) and long run (#[ignore])
// ---------------------------------------------------------------------------------------------

const FAST_HANGS: usize = 3;
const LONG_HANGS: usize = 25;

#[test]
fn heat_kernels_at_extreme_times_and_points_fast() {
    run_kind(
        "heat_kernels_at_extreme_times_and_points_fast",
        "kernel",
        400,
        Duration::from_secs(10),
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_inputs -- --ignored"]
fn heat_kernels_at_extreme_times_and_points_long() {
    run_kind(
        "heat_kernels_at_extreme_times_and_points_long",
        "kernel",
        50_000,
        Duration::from_secs(10),
        LONG_HANGS,
    );
}

#[test]
fn samplers_at_extreme_times_and_points_fast() {
    run_kind(
        "samplers_at_extreme_times_and_points_fast",
        "sampler",
        200,
        Duration::from_secs(10),
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_inputs -- --ignored"]
fn samplers_at_extreme_times_and_points_long() {
    run_kind(
        "samplers_at_extreme_times_and_points_long",
        "sampler",
        20_000,
        Duration::from_secs(10),
        LONG_HANGS,
    );
}

#[test]
fn mixture_scores_at_extreme_times_and_points_fast() {
    run_kind(
        "mixture_scores_at_extreme_times_and_points_fast",
        "mixture",
        150,
        Duration::from_secs(10),
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_inputs -- --ignored"]
fn mixture_scores_at_extreme_times_and_points_long() {
    run_kind(
        "mixture_scores_at_extreme_times_and_points_long",
        "mixture",
        20_000,
        Duration::from_secs(10),
        LONG_HANGS,
    );
}

#[test]
fn likelihood_and_generation_at_extreme_times_fast() {
    run_kind(
        "likelihood_and_generation_at_extreme_times_fast",
        "flow",
        60,
        Duration::from_secs(30),
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_inputs -- --ignored"]
fn likelihood_and_generation_at_extreme_times_long() {
    run_kind(
        "likelihood_and_generation_at_extreme_times_long",
        "flow",
        3_000,
        Duration::from_secs(30),
        LONG_HANGS,
    );
}

#[test]
fn checkpoint_byte_mutations_fast() {
    run_kind(
        "checkpoint_byte_mutations_fast",
        "checkpoint",
        3_000,
        Duration::from_secs(10),
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_inputs -- --ignored"]
fn checkpoint_byte_mutations_long() {
    run_kind(
        "checkpoint_byte_mutations_long",
        "checkpoint",
        200_000,
        Duration::from_secs(10),
        LONG_HANGS,
    );
}

#[test]
fn lat_lon_csv_lines_fast() {
    run_kind(
        "lat_lon_csv_lines_fast",
        "latlon",
        2_000,
        Duration::from_secs(10),
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_inputs -- --ignored"]
fn lat_lon_csv_lines_long() {
    run_kind(
        "lat_lon_csv_lines_long",
        "latlon",
        100_000,
        Duration::from_secs(10),
        LONG_HANGS,
    );
}

// ---------------------------------------------------------------------------------------------
// Manifolds, times and points
// ---------------------------------------------------------------------------------------------

/// Small manifolds of every family and products (most cases).
const SMALL_MANIFOLDS: &[&str] = &[
    "torus:1",
    "torus:2",
    "torus:5",
    "sphere:1",
    "sphere:2",
    "sphere:3",
    "sphere:4",
    "sphere:5",
    "sphere:6",
    "sphere:7",
    "so:2",
    "so:3",
    "so:4",
    "su:2",
    "su:3",
    "u:1",
    "u:2",
    "u:3",
    "so:3*sphere:2",
    "torus:1*sphere:2",
    "su:2^3",
    "sphere:2*so:3*torus:2",
    "sphere:1^4",
    "u:1*su:2",
];

/// Large manifolds (issue 9: large spheres and groups, long products).
const LARGE_MANIFOLDS: &[&str] = &[
    "torus:100",
    "torus:10000",
    "sphere:10",
    "sphere:33",
    "sphere:100",
    "sphere:1000",
    "sphere:100000",
    "so:5",
    "so:6",
    "so:8",
    "so:10",
    "so:12",
    "so:20",
    "su:4",
    "su:5",
    "su:6",
    "su:8",
    "u:5",
    "u:8",
    "sphere:2^100",
    "so:3^20",
];

/// Times from the smallest subnormal to `f64::MAX`.
const TIMES: &[f64] = &[
    5e-324,
    1e-320,
    1e-310,
    2.2250738585072014e-308,
    1e-300,
    1e-200,
    1e-100,
    1e-50,
    1e-30,
    1e-20,
    1e-16,
    1e-12,
    1e-9,
    1e-6,
    1e-4,
    1e-3,
    0.01,
    0.1,
    0.5,
    1.0,
    2.0,
    5.0,
    10.0,
    30.0,
    100.0,
    1e3,
    1e4,
    1e6,
    1e10,
    1e16,
    1e50,
    1e100,
    1e300,
    f64::MAX,
];

/// Times every entry point must refuse.
const BAD_TIMES: &[f64] = &[
    0.0,
    -0.0,
    -1e-300,
    -1.0,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];

fn pick_manifold(g: &mut Gen, large_probability: f64) -> String {
    if g.chance(large_probability) {
        g.pick(LARGE_MANIFOLDS).to_string()
    } else {
        g.pick(SMALL_MANIFOLDS).to_string()
    }
}

fn pick_time(g: &mut Gen) -> f64 {
    let r = g.unit();
    if r < 0.08 {
        *g.pick(BAD_TIMES)
    } else if r < 0.75 {
        *g.pick(TIMES)
    } else {
        g.log_uniform(5e-324_f64.max(1e-320), 1e308)
    }
}

fn fmt_f(v: f64) -> String {
    format!("{v:e}")
}

/// A canonical point: the last basis vector of a sphere, zero angles, the identity matrix.
fn canonical_point(spec: &ManifoldSpec) -> Vec<f64> {
    let mut out = Vec::new();
    for factor in spec.factors() {
        match factor {
            ManifoldSpec::Torus(d) => out.extend(std::iter::repeat_n(0.0, *d)),
            ManifoldSpec::Sphere(d) => {
                out.extend(std::iter::repeat_n(0.0, *d));
                out.push(1.0);
            }
            ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(n)) => {
                for i in 0..*n {
                    for j in 0..*n {
                        out.push(if i == j { 1.0 } else { 0.0 });
                    }
                }
            }
            ManifoldSpec::Group(CompactGroup::SpecialUnitary(n) | CompactGroup::Unitary(n)) => {
                for i in 0..*n {
                    for j in 0..*n {
                        out.push(if i == j { 1.0 } else { 0.0 });
                        out.push(0.0);
                    }
                }
            }
            _ => panic!("no canonical point of {factor}"),
        }
    }
    out
}

/// A point on walls / special positions of every factor: torus angles 0, just below 2π, π;
/// sphere poles; rotations by π and repeated rotation angles on SO(n); diagonal unitary
/// matrices with repeated or antipodal eigenvalues (the walls of the maximal torus).
fn wall_point(g: &mut Gen, spec: &ManifoldSpec) -> Vec<f64> {
    let two_pi_below = f64::from_bits((2.0 * PI).to_bits() - 1);
    let mut out = Vec::new();
    for factor in spec.factors() {
        match factor {
            ManifoldSpec::Torus(d) => {
                for _ in 0..*d {
                    out.push(*g.pick(&[0.0, two_pi_below, PI, 5e-324, 2.0 * PI - 1e-12, 1e-12]));
                }
            }
            ManifoldSpec::Sphere(d) => {
                let mut p = vec![0.0; d + 1];
                let i = g.below(d + 1);
                p[i] = if g.chance(0.5) { 1.0 } else { -1.0 };
                out.extend(p);
            }
            ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(n)) => {
                let n = *n;
                let mut m = vec![0.0; n * n];
                let theta = g.unit() * PI;
                let mut i = 0;
                while i + 1 < n {
                    let a = *g.pick(&[0.0, PI, theta, theta, -theta, PI / 2.0, 1e-12]);
                    let (s, c) = a.sin_cos();
                    m[i * n + i] = c;
                    m[i * n + i + 1] = -s;
                    m[(i + 1) * n + i] = s;
                    m[(i + 1) * n + i + 1] = c;
                    i += 2;
                }
                if i < n {
                    m[i * n + i] = 1.0;
                }
                out.extend(m);
            }
            ManifoldSpec::Group(
                group @ (CompactGroup::SpecialUnitary(n) | CompactGroup::Unitary(n)),
            ) => {
                let n = *n;
                let theta = g.unit() * PI;
                let mut angles: Vec<f64> = (0..n)
                    .map(|_| *g.pick(&[0.0, PI, theta, theta, -theta, PI / 2.0, 1e-12]))
                    .collect();
                if matches!(group, CompactGroup::SpecialUnitary(_)) {
                    let sum: f64 = angles[..n - 1].iter().sum();
                    angles[n - 1] = -sum;
                }
                for i in 0..n {
                    for j in 0..n {
                        if i == j {
                            out.push(angles[i].cos());
                            out.push(angles[i].sin());
                        } else {
                            out.push(0.0);
                            out.push(0.0);
                        }
                    }
                }
            }
            _ => panic!("no wall point of {factor}"),
        }
    }
    out
}

/// `exp_x(L u)` for a random unit tangent vector `u` (ambient noise projected and normalised).
fn geodesic_point(g: &mut Gen, m: &dyn Manifold, x: &[f64], length: f64) -> Vec<f64> {
    let n = m.ambient_dim();
    let noise: Vec<f64> = (0..n).map(|_| g.normal()).collect();
    let mut v = vec![0.0; n];
    m.project_tangent(x, &noise, &mut v);
    let norm = m.inner(x, &v, &v).sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter_mut().for_each(|c| *c *= length / norm);
    }
    let mut out = vec![0.0; n];
    m.exp(x, &v, &mut out);
    out
}

/// Kinds of points of a case.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PointKind {
    Random,
    Canonical,
    Wall,
    /// `exp` of a tangent vector of the given length from the other point.
    Geodesic(f64),
    /// Within the membership tolerance of the manifold (1e-9 ambient noise).
    SlightlyOff,
    /// Clearly off (1e-2 ambient noise, or an angle outside [0, 2π)).
    ClearlyOff,
    NotFinite,
    WrongLength,
}

const GEODESIC_LENGTHS: &[f64] = &[
    1e-300,
    1e-150,
    1e-12,
    1e-6,
    1e-3,
    0.1,
    1.0,
    PI / 2.0,
    PI - 1e-9,
    PI,
    PI + 1e-9,
    PI * std::f64::consts::SQRT_2,
    2.0 * PI,
    10.0,
];

fn pick_kind(g: &mut Gen, allow_bad: bool) -> PointKind {
    let r = g.unit();
    if allow_bad && r < 0.04 {
        return PointKind::NotFinite;
    }
    if allow_bad && r < 0.08 {
        return PointKind::ClearlyOff;
    }
    if allow_bad && r < 0.10 {
        return PointKind::WrongLength;
    }
    match g.below(6) {
        0 => PointKind::Random,
        1 => PointKind::Canonical,
        2 => PointKind::Wall,
        3 | 4 => PointKind::Geodesic(*g.pick(GEODESIC_LENGTHS)),
        _ => PointKind::SlightlyOff,
    }
}

/// A point of `kind` (relative to `base` for geodesic / off-manifold kinds).
fn make_point(
    g: &mut Gen,
    spec: &ManifoldSpec,
    m: &dyn Manifold,
    kind: PointKind,
    base: &[f64],
) -> Vec<f64> {
    let n = m.ambient_dim();
    match kind {
        PointKind::Random => {
            let mut x = vec![0.0; n];
            m.sample_uniform(g.rng(), &mut x);
            x
        }
        PointKind::Canonical => canonical_point(spec),
        PointKind::Wall => wall_point(g, spec),
        PointKind::Geodesic(length) => geodesic_point(g, m, base, length),
        PointKind::SlightlyOff => base.iter().map(|v| v + 1e-9 * g.normal()).collect(),
        PointKind::ClearlyOff => {
            let mut x: Vec<f64> = base.iter().map(|v| v + 1e-2 * g.normal()).collect();
            if spec
                .factors()
                .iter()
                .all(|f| matches!(f, ManifoldSpec::Torus(_)))
            {
                let i = g.below(n);
                x[i] = *g.pick(&[-0.5, 7.0, 1e300, -1e-3]);
            }
            x
        }
        PointKind::NotFinite => {
            let mut x = base.to_vec();
            let i = g.below(n);
            x[i] = *g.pick(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
            x
        }
        PointKind::WrongLength => {
            let mut x = base.to_vec();
            if g.chance(0.5) || x.is_empty() {
                x.push(0.0);
            } else {
                x.pop();
            }
            x
        }
    }
}

/// A pair `(x0, x)` with their kinds.
fn make_pair(g: &mut Gen, spec: &ManifoldSpec, m: &dyn Manifold) -> (Vec<f64>, Vec<f64>, String) {
    let kind0 = match pick_kind(g, true) {
        PointKind::Geodesic(_) | PointKind::SlightlyOff => PointKind::Random,
        k => k,
    };
    let kind = pick_kind(g, true);
    let mut anchor = vec![0.0; m.ambient_dim()];
    m.sample_uniform(g.rng(), &mut anchor);
    let x0 = make_point(g, spec, m, kind0, &anchor);
    let x0_valid = m.check_point(&x0, 1e-6).is_ok();
    let base = if x0_valid { x0.clone() } else { anchor };
    if g.chance(0.1) && x0_valid {
        return (x0.clone(), x0, format!("x0 {kind0:?}, x = x0"));
    }
    let x = make_point(g, spec, m, kind, &base);
    (x0, x, format!("x0 {kind0:?}, x {kind:?}"))
}

/// A point on the manifold: random, canonical, on a wall, or along a geodesic from a random one.
fn valid_point(g: &mut Gen, spec: &ManifoldSpec, m: &dyn Manifold) -> Vec<f64> {
    let mut anchor = vec![0.0; m.ambient_dim()];
    m.sample_uniform(g.rng(), &mut anchor);
    let kind = match g.below(4) {
        0 => PointKind::Random,
        1 => PointKind::Canonical,
        2 => PointKind::Wall,
        _ => PointKind::Geodesic(*g.pick(GEODESIC_LENGTHS)),
    };
    make_point(g, spec, m, kind, &anchor)
}

/// A [`Class::BadMessage`] failure if an error message is not clear (see
/// [`fuzz_fixtures::unclear_message`]).
fn message_failure(what: &str, error: &riemannian_diffusion::Error) -> Option<(Class, String)> {
    let message = error.to_string();
    fuzz_fixtures::unclear_message(&format!("error: {message}"))
        .map(|why| {
            (
                Class::BadMessage,
                format!("{why}: {}", fuzz_fixtures::shorten(&message, 400)),
            )
        })
        .filter(|_| !what.is_empty())
}

/// Whether `error` is an [`Error::OutOfRange`] refusal that is right: no finite f64 value
/// exists, by the fixture's own estimate from the distances `d_i` to the kernel centres (the
/// nearest one decides): `log p ≈ −d²/2t` below `−f64::MAX`; for a score also one of size
/// `d/t` above `f64::MAX`; for a divergence also `dim/t` above `f64::MAX`. The margin
/// `10⁻⁹` covers the distances' rounding (relative `≲ 10⁻¹⁰`) and the `O(ln t)` normalising
/// terms, both far below it at these sizes.
fn exactly_out_of_range(
    error: &riemannian_diffusion::Error,
    distances: &[f64],
    t: f64,
    quantity: Quantity,
) -> bool {
    if !matches!(error, riemannian_diffusion::Error::OutOfRange { .. }) {
        return false;
    }
    let d = distances.iter().copied().fold(f64::INFINITY, f64::min);
    let bound = f64::MAX * (1.0 - 1e-9);
    let log_p = 0.5 * d * (d / t);
    let score = d / t;
    let beyond = |v: f64| v.is_nan() || v > bound;
    match quantity {
        Quantity::LogProb => beyond(log_p),
        Quantity::Score => beyond(log_p) || beyond(score),
        Quantity::Divergence(dim) => beyond(log_p) || beyond(score) || beyond(dim as f64 / t),
    }
}

/// Whether the spread term `Σ_i w_i |∇ℓ_i − s|²` of a mixture divergence is beyond the f64
/// range, by the fixture's own computation from the kernel's per-centre `log p` and scores (in
/// log space, so that it cannot overflow itself): `max_i ln w_i + 2 ln|∇ℓ_i − s|` above
/// `ln f64::MAX` (one term alone, all terms being non-negative). Centres beyond the f64 range
/// have weight 0.
fn spread_beyond_range(mixture: &HeatKernelMixture, centres: &[f64], x: &[f64], t: f64) -> bool {
    let kernel = mixture.kernel();
    let m = kernel.manifold();
    let n = m.ambient_dim();
    let mut logs = Vec::new();
    let mut scores = Vec::new();
    for c in centres.chunks(n) {
        let mut s = vec![0.0; n];
        match kernel.score(c, x, t, &mut s) {
            Ok(e) => {
                logs.push(e.log_prob);
                scores.push(s);
            }
            Err(_) => return false,
        }
    }
    let max = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let raw: Vec<f64> = logs.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = raw.iter().sum();
    let weights: Vec<f64> = raw.iter().map(|w| w / total).collect();
    // s = Σ w_i s_i with every s_i scaled by the largest entry c, then ln|s_i − s| + ln c.
    let c = scores
        .iter()
        .flatten()
        .fold(0.0f64, |a, v| a.max(v.abs()))
        .max(f64::MIN_POSITIVE);
    let mut mean = vec![0.0; n];
    for (w, si) in weights.iter().zip(&scores) {
        for (o, v) in mean.iter_mut().zip(si) {
            *o += w * (v / c);
        }
    }
    let worst = weights
        .iter()
        .zip(&scores)
        .filter(|(w, _)| **w > 0.0)
        .map(|(w, si)| {
            let d: Vec<f64> = si.iter().zip(&mean).map(|(v, m)| v / c - m).collect();
            w.ln() + m.norm_squared(x, &d).ln() + 2.0 * c.ln()
        })
        .fold(f64::NEG_INFINITY, f64::max);
    worst > f64::MAX.ln() * (1.0 + 1e-12)
}

/// What an out-of-range refusal was about (see [`exactly_out_of_range`]).
#[derive(Clone, Copy)]
enum Quantity {
    LogProb,
    Score,
    /// The divergence on a manifold of this dimension.
    Divergence(usize),
}

/// `[a, b, …]` of a point, shortened.
fn show_point(x: &[f64]) -> String {
    if x.len() <= 12 {
        format!("{x:?}")
    } else {
        format!("[{} reals: {:?}…]", x.len(), &x[..6])
    }
}

/// The manifold and its spec of a spec text, if the registry builds it.
fn build(spec_text: &str) -> Option<(ManifoldSpec, Arc<dyn Manifold>)> {
    let spec: ManifoldSpec = spec_text.parse().ok()?;
    let m = registry::builtin().manifold(&spec).ok()?;
    Some((spec, m))
}

fn finite(values: &[f64]) -> bool {
    values.iter().all(|v| v.is_finite())
}

fn norm(values: &[f64]) -> f64 {
    values.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// `|P_x(s) − s|`, the non-tangent part of `s` at `x`.
fn non_tangent_part(m: &dyn Manifold, x: &[f64], s: &[f64]) -> f64 {
    let mut p = vec![0.0; s.len()];
    m.project_tangent(x, s, &mut p);
    p.iter()
        .zip(s)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt()
}

/// How far a score may leave the tangent space: `1e-6` relative, plus the rounding of the
/// points (1e-16 relative, 100× for safety) amplified by the score's sensitivity `~1/t` to
/// its point (at tiny t, `x ≈ x0` rounds to a distance of order 1e-8).
fn tangent_tolerance(score: &[f64], t: f64) -> f64 {
    1e-6 * (1.0 + norm(score)) + 1e-14 * (score.len() as f64).sqrt() / t
}

/// Smallest nonzero eigenvalue of −Δ is at least 1 on every built-in manifold (unit circle
/// factors, unit spheres, groups with their metrics), so for t ≥ this the density is uniform
/// to far below f64 resolution (e^{−t/2} < e^{−5000}).
const UNIFORM_TIME: f64 = 1e4;

// ---------------------------------------------------------------------------------------------
// Heat kernels
// ---------------------------------------------------------------------------------------------

struct KernelInput {
    spec_text: String,
    method: KernelMethod,
    tolerance: f64,
    t: f64,
    x0: Vec<f64>,
    x: Vec<f64>,
    kinds: String,
}

impl KernelInput {
    fn generate(seed: u64, case: u64) -> KernelInput {
        let mut g = Gen::for_case(seed, "kernel", case);
        let spec_text = pick_manifold(&mut g, 0.2);
        let method = *g.pick(&KernelMethod::ALL);
        let tolerance = if method == KernelMethod::Auto {
            *g.pick(&[1e-12, 1e-12, 1e-15, 1e-8, 1e-3, 0.5])
        } else {
            1e-12
        };
        let t = pick_time(&mut g);
        let (x0, x, kinds) = match build(&spec_text) {
            Some((spec, m)) => make_pair(&mut g, &spec, m.as_ref()),
            None => (Vec::new(), Vec::new(), "no manifold".into()),
        };
        KernelInput {
            spec_text,
            method,
            tolerance,
            t,
            x0,
            x,
            kinds,
        }
    }

    fn describe(&self) -> String {
        format!(
            "heat_kernel({}, {}, tol {:e}), t = {}, {}: x0 = {}, x = {}",
            self.spec_text,
            self.method.name(),
            self.tolerance,
            fmt_f(self.t),
            self.kinds,
            show_point(&self.x0),
            show_point(&self.x)
        )
    }
}

fn kernel_case(seed: u64, case: u64) -> Vec<(Class, String)> {
    let input = KernelInput::generate(seed, case);
    let mut failures = Vec::new();
    let Some((spec, m)) = build(&input.spec_text) else {
        return failures;
    };
    let Ok(kernel) = registry::heat_kernel(&spec, input.method, input.tolerance) else {
        return failures; // a method the manifold does not offer: a clean refusal
    };
    let what = input.describe();
    let n = m.ambient_dim();
    let must_refuse = !(input.t.is_finite() && input.t > 0.0)
        || m.check_point(&input.x0, 1e-6).is_err()
        || m.check_point(&input.x, 1e-6).is_err();
    let mut score = vec![0.0; n];
    let by_score = kernel.score(&input.x0, &input.x, input.t, &mut score);
    let by_log_prob = kernel.log_prob(&input.x0, &input.x, input.t);
    let mut fail =
        |class: Class, message: String| failures.push((class, format!("{message}; {what}")));
    if must_refuse {
        if let Ok(e) = &by_score {
            fail(
                Class::WrongValue,
                format!(
                    "score() accepted an invalid input (log p = {:e})",
                    e.log_prob
                ),
            );
        }
        if let Ok(e) = &by_log_prob {
            fail(
                Class::WrongValue,
                format!(
                    "log_prob() accepted an invalid input (log p = {:e})",
                    e.log_prob
                ),
            );
        }
        return failures;
    }
    if let Ok(e) = &by_score {
        if !e.log_prob.is_finite() || !finite(&score) || e.error_estimate.is_nan() {
            fail(
                Class::WrongValue,
                format!(
                    "Ok with non-finite values: log p = {:e}, error estimate {:e}, |score| = {:e}",
                    e.log_prob,
                    e.error_estimate,
                    norm(&score)
                ),
            );
            return failures;
        }
        if m.check_point(&input.x, 1e-13).is_ok() {
            let off = non_tangent_part(m.as_ref(), &input.x, &score);
            if off > tangent_tolerance(&score, input.t) {
                fail(
                    Class::WrongValue,
                    format!(
                        "score not tangent at x: normal part {off:e} of |score| {:e}",
                        norm(&score)
                    ),
                );
            }
        } else {
            // x is off the manifold within the membership tolerance: the score must be that
            // of the projected point up to what the offset explains (the score's Lipschitz
            // constant is about 1/t plus the curvature).
            let mut projected = vec![0.0; n];
            m.project_point(&input.x, &mut projected);
            let offset = norm(
                &input
                    .x
                    .iter()
                    .zip(&projected)
                    .map(|(a, b)| a - b)
                    .collect::<Vec<_>>(),
            );
            let mut at_projection = vec![0.0; n];
            if kernel
                .score(&input.x0, &projected, input.t, &mut at_projection)
                .is_ok()
                && finite(&at_projection)
            {
                let diff = norm(
                    &score
                        .iter()
                        .zip(&at_projection)
                        .map(|(a, b)| a - b)
                        .collect::<Vec<_>>(),
                );
                let allowed = 1e-6 * norm(&at_projection)
                    + 10.0 * offset * (1.0 / input.t + 10.0 * m.dim() as f64)
                    + tangent_tolerance(&at_projection, input.t);
                if diff > allowed {
                    fail(
                        Class::WrongValue,
                        format!(
                            "a point {offset:e} off the manifold (accepted) changes the score by {diff:e} (|score| there {:e}, at the projection {:e}; the offset explains {allowed:e})",
                            norm(&score),
                            norm(&at_projection)
                        ),
                    );
                }
            }
        }
    }
    if let Ok(e) = &by_log_prob {
        if !e.log_prob.is_finite() {
            fail(
                Class::WrongValue,
                format!("log_prob() Ok with log p = {:e}", e.log_prob),
            );
            return failures;
        }
    }
    if let (Ok(a), Ok(b)) = (&by_score, &by_log_prob) {
        if (a.log_prob - b.log_prob).abs()
            > 1e-6 * (1.0 + a.log_prob.abs()) + 10.0 * (a.error_estimate + b.error_estimate)
        {
            fail(
                Class::WrongValue,
                format!(
                    "score() says log p = {:e}, log_prob() {:e}",
                    a.log_prob, b.log_prob
                ),
            );
        }
    }
    let e = match &by_score {
        Ok(e) => e,
        Err(error) => {
            // Value-or-error: a clean refusal is allowed, except by `Auto` on a valid input
            // whose value exists in f64.
            if input.method == KernelMethod::Auto
                && !exactly_out_of_range(
                    error,
                    &[m.distance(&input.x0, &input.x)],
                    input.t,
                    Quantity::Score,
                )
            {
                fail(
                    Class::RefusedValid,
                    format!(
                        "auto refused a valid input: {}",
                        fuzz_fixtures::shorten(&error.to_string(), 300)
                    ),
                );
            }
            if let Some((class, m)) = message_failure(&what, error) {
                fail(class, m);
            }
            return failures;
        }
    };
    let exact = !matches!(
        e.estimator,
        KernelMethod::Varadhan | KernelMethod::SchwingerDeWitt
    );
    // Uniform where the density is numerically uniform.
    if exact && input.t >= UNIFORM_TIME {
        let uniform = -m.log_volume();
        if (e.log_prob - uniform).abs() > 1e-6 * (1.0 + uniform.abs()) || norm(&score) > 1e-6 {
            fail(
                Class::WrongValue,
                format!(
                    "at t = {} the density is uniform: log p = {:e} (expected −log vol = {uniform:e}), |score| = {:e}",
                    fmt_f(input.t),
                    e.log_prob,
                    norm(&score)
                ),
            );
        }
    }
    // The Gaussian limit: at tiny t, away from the cut locus, score ≈ log_x(x0) / t.
    let single = spec.factors().len() == 1
        && matches!(spec, ManifoldSpec::Sphere(_) | ManifoldSpec::Torus(_));
    if single
        && input.t <= 1e-10
        && m.check_point(&input.x, 1e-13).is_ok()
        && m.check_point(&input.x0, 1e-13).is_ok()
    {
        let mut log = vec![0.0; n];
        m.log(&input.x, &input.x0, &mut log);
        let theta = m.distance(&input.x0, &input.x);
        let far_from_cut = match spec {
            ManifoldSpec::Torus(_) => log.iter().all(|c| c.abs() < PI - 0.1),
            _ => theta < PI - 0.1,
        };
        if theta > 1e-3 && far_from_cut {
            let expected: Vec<f64> = log.iter().map(|v| v / input.t).collect();
            let diff: Vec<f64> = score.iter().zip(&expected).map(|(a, b)| a - b).collect();
            let d = m.dim() as f64;
            if norm(&diff) > 1e-3 * norm(&expected) + 100.0 * (d + 1.0) {
                fail(
                    Class::WrongValue,
                    format!(
                        "at t = {} the score must be ≈ log_x(x0)/t (|·| = {:e}, distance {theta:.4}); found |score| = {:e}, |difference| = {:e} (estimator {})",
                        fmt_f(input.t),
                        norm(&expected),
                        norm(&score),
                        norm(&diff),
                        e.estimator.name()
                    ),
                );
            }
        }
    }
    // Two exact estimators agree within their error estimates.
    if exact && input.method != KernelMethod::Auto && e.error_estimate < 1e-6 {
        if let Ok(reference) = registry::heat_kernel(&spec, KernelMethod::Auto, 1e-12) {
            if let Ok(r) = reference.log_prob(&input.x0, &input.x, input.t) {
                let r_exact = !matches!(
                    r.estimator,
                    KernelMethod::Varadhan | KernelMethod::SchwingerDeWitt
                );
                if r_exact
                    && r.log_prob.is_finite()
                    && r.error_estimate < 1e-6
                    && (r.log_prob - e.log_prob).abs()
                        > 1e-6 * (1.0 + e.log_prob.abs())
                            + 10.0 * (r.error_estimate + e.error_estimate)
                {
                    fail(
                        Class::WrongValue,
                        format!(
                            "exact estimators disagree: {} gives log p = {:e} (error estimate {:e}), auto ({}) {:e} (error estimate {:e})",
                            e.estimator.name(),
                            e.log_prob,
                            e.error_estimate,
                            r.estimator.name(),
                            r.log_prob,
                            r.error_estimate
                        ),
                    );
                }
            }
        }
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// Samplers
// ---------------------------------------------------------------------------------------------

struct SamplerInput {
    spec_text: String,
    t: f64,
    x0: Vec<f64>,
    kind: String,
    /// `None`: the exact sampler; `Some(steps)`: the forward geodesic random walk.
    walk_steps: Option<usize>,
    batch: usize,
    draw_seed: u64,
}

impl SamplerInput {
    fn generate(seed: u64, case: u64) -> SamplerInput {
        let mut g = Gen::for_case(seed, "sampler", case);
        let spec_text = pick_manifold(&mut g, 0.15);
        let t = pick_time(&mut g);
        let walk_steps = g
            .chance(0.2)
            .then(|| *g.pick(&[1, 1, 7, 7, 50, 50, 1_000_001, usize::MAX]));
        let batch = *g.pick(&[1, 1, 3]);
        let (x0, kind) = match build(&spec_text) {
            Some((spec, m)) => {
                let kind = match pick_kind(&mut g, true) {
                    PointKind::Geodesic(_) => PointKind::Random,
                    k => k,
                };
                let mut anchor = vec![0.0; m.ambient_dim()];
                m.sample_uniform(g.rng(), &mut anchor);
                (
                    make_point(&mut g, &spec, m.as_ref(), kind, &anchor),
                    format!("{kind:?}"),
                )
            }
            None => (Vec::new(), String::new()),
        };
        SamplerInput {
            spec_text,
            t,
            x0,
            kind,
            walk_steps,
            batch,
            draw_seed: g.u64(),
        }
    }

    fn describe(&self) -> String {
        let sampler = match self.walk_steps {
            None => "auto_sampler".to_string(),
            Some(s) => format!("forward_walk({s} steps)"),
        };
        format!(
            "{sampler} on {}, t = {}, {} rows, seed {}, x0 {} = {}",
            self.spec_text,
            fmt_f(self.t),
            self.batch,
            self.draw_seed,
            self.kind,
            show_point(&self.x0)
        )
    }
}

fn sampler_case(seed: u64, case: u64) -> Vec<(Class, String)> {
    let input = SamplerInput::generate(seed, case);
    let mut failures = Vec::new();
    let Some((_, m)) = build(&input.spec_text) else {
        return failures;
    };
    let what = input.describe();
    let n = m.ambient_dim();
    let must_refuse =
        !(input.t.is_finite() && input.t > 0.0) || m.check_point(&input.x0, 1e-6).is_err();
    let mut out = vec![0.0; n * input.batch];
    let result = match input.walk_steps {
        Some(steps) => {
            let mut rng = riemannian_diffusion::random::rng_from_seed(input.draw_seed);
            forward_walk(
                m.as_ref(),
                &input.x0,
                input.t,
                steps,
                &mut rng,
                &mut out[..n],
            )
            .map(|()| 1)
        }
        None => match registry::auto_sampler(m.as_ref()) {
            Err(_) => return failures,
            Ok(sampler) => {
                if input.batch == 1 {
                    let mut rng = riemannian_diffusion::random::rng_from_seed(input.draw_seed);
                    sampler
                        .sample(&input.x0, input.t, &mut rng, &mut out)
                        .map(|()| 1)
                } else {
                    sampler
                        .sample_batch(&input.x0, &[input.t], input.draw_seed, &mut out)
                        .map(|()| input.batch)
                }
            }
        },
    };
    let mut fail =
        |class: Class, message: String| failures.push((class, format!("{message}; {what}")));
    if let Some(steps) = input.walk_steps {
        if steps > riemannian_diffusion::limits::MAX_WALK_STEPS && result.is_ok() {
            fail(
                Class::LimitNotEnforced,
                format!("a walk of {steps} steps (above limits::MAX_WALK_STEPS) was run"),
            );
        }
    }
    match result {
        Ok(_) if must_refuse => fail(Class::WrongValue, "accepted an invalid t or x0".to_string()),
        Ok(rows) => {
            for r in 0..rows {
                let x = &out[r * n..(r + 1) * n];
                if !finite(x) {
                    fail(
                        Class::WrongValue,
                        format!("row {r} of the draw is not finite: {}", show_point(x)),
                    );
                    continue;
                }
                if let Err(e) = m.check_point(x, 1e-6) {
                    fail(
                        Class::WrongValue,
                        format!("row {r} of the draw is off the manifold: {e}"),
                    );
                    continue;
                }
                // At tiny t a draw stays within 20 standard deviations of x0.
                if input.walk_steps.is_none() && input.t <= 1e-8 {
                    let d = m.distance(&input.x0, x);
                    let bound = 20.0 * (m.dim() as f64 * input.t).sqrt() + 1e-7;
                    if d.is_nan() || d > bound {
                        fail(
                            Class::WrongValue,
                            format!(
                                "row {r}: a draw at t = {} lies {d:e} from x0 (bound {bound:e})",
                                fmt_f(input.t)
                            ),
                        );
                    }
                }
            }
        }
        Err(error) => {
            if !must_refuse && input.walk_steps.is_none() {
                fail(
                    Class::RefusedValid,
                    format!(
                        "auto_sampler refused a valid input: {}",
                        fuzz_fixtures::shorten(&error.to_string(), 300)
                    ),
                );
            }
            if let Some((class, m)) = message_failure(&what, &error) {
                fail(class, m);
            }
        }
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// Heat-kernel mixtures
// ---------------------------------------------------------------------------------------------

struct MixtureInput {
    spec_text: String,
    method: KernelMethod,
    centres: Vec<f64>,
    x: Vec<f64>,
    t: f64,
    kinds: String,
}

impl MixtureInput {
    fn generate(seed: u64, case: u64) -> MixtureInput {
        let mut g = Gen::for_case(seed, "mixture", case);
        let spec_text = pick_manifold(&mut g, 0.1);
        let method = if g.chance(0.7) {
            KernelMethod::Auto
        } else {
            *g.pick(&KernelMethod::ALL)
        };
        let t = pick_time(&mut g);
        let (centres, x, kinds) = match build(&spec_text) {
            Some((spec, m)) => {
                let count = g.range(1, 3);
                let mut centres = Vec::new();
                let mut kinds = Vec::new();
                for _ in 0..count {
                    let (c, x, k) = make_pair(&mut g, &spec, m.as_ref());
                    let _ = x;
                    centres.extend(c);
                    kinds.push(k);
                }
                let (x0, x, k) = make_pair(&mut g, &spec, m.as_ref());
                let _ = x0;
                kinds.push(format!("query from {k}"));
                (centres, x, kinds.join("; "))
            }
            None => (Vec::new(), Vec::new(), String::new()),
        };
        MixtureInput {
            spec_text,
            method,
            centres,
            x,
            t,
            kinds,
        }
    }

    fn describe(&self) -> String {
        format!(
            "HeatKernelMixture({}, {}) of {} reals of centres = {}, t = {}, x = {} ({})",
            self.spec_text,
            self.method.name(),
            self.centres.len(),
            show_point(&self.centres),
            fmt_f(self.t),
            show_point(&self.x),
            self.kinds
        )
    }
}

fn mixture_case(seed: u64, case: u64) -> Vec<(Class, String)> {
    let input = MixtureInput::generate(seed, case);
    let mut failures = Vec::new();
    let Some((spec, m)) = build(&input.spec_text) else {
        return failures;
    };
    let Ok(kernel) = registry::heat_kernel(&spec, input.method, 1e-12) else {
        return failures;
    };
    let what = input.describe();
    let n = m.ambient_dim();
    let centres_valid = input.centres.len() % n == 0
        && input
            .centres
            .chunks(n)
            .all(|c| m.check_point(c, 1e-6).is_ok());
    let mixture = HeatKernelMixture::new(kernel, input.centres.clone());
    let mut fail =
        |class: Class, message: String| failures.push((class, format!("{message}; {what}")));
    let mixture = match mixture {
        Ok(_) if !centres_valid => {
            fail(
                Class::WrongValue,
                "HeatKernelMixture::new accepted an invalid centre".into(),
            );
            return failures;
        }
        Ok(mixture) => mixture,
        Err(_) => return failures,
    };
    let must_refuse =
        !(input.t.is_finite() && input.t > 0.0) || m.check_point(&input.x, 1e-6).is_err();
    let mut score = vec![0.0; n];
    let log_prob = mixture.log_prob(&input.x, input.t);
    let by_score = mixture.score(&input.x, input.t, &mut score);
    let divergence = mixture.divergence(&input.x, input.t);
    if must_refuse {
        for (name, ok) in [
            ("log_prob", log_prob.is_ok()),
            ("score", by_score.is_ok()),
            ("divergence", divergence.is_ok()),
        ] {
            if ok {
                fail(
                    Class::WrongValue,
                    format!("{name}() accepted an invalid t or x"),
                );
            }
        }
        return failures;
    }
    for (name, value, quantity) in [
        ("log_prob", &log_prob, Quantity::LogProb),
        ("score's log p", &by_score, Quantity::Score),
        ("divergence", &divergence, Quantity::Divergence(m.dim())),
    ] {
        match value {
            Ok(v) if !v.is_finite() => fail(Class::WrongValue, format!("{name}() Ok with {v:e}")),
            Ok(_) => {}
            Err(error) => {
                let nearest: Vec<f64> = input
                    .centres
                    .chunks(n)
                    .map(|c| m.distance(c, &input.x))
                    .collect();
                let spread = matches!(quantity, Quantity::Divergence(_))
                    && matches!(error, riemannian_diffusion::Error::OutOfRange { .. })
                    && spread_beyond_range(&mixture, &input.centres, &input.x, input.t);
                if input.method == KernelMethod::Auto
                    && !spread
                    && !exactly_out_of_range(error, &nearest, input.t, quantity)
                {
                    fail(
                        Class::RefusedValid,
                        format!(
                            "{name}() with the auto kernel refused a valid input: {}",
                            fuzz_fixtures::shorten(&error.to_string(), 300)
                        ),
                    );
                }
                if let Some((class, m)) = message_failure(&what, error) {
                    fail(class, m);
                }
            }
        }
    }
    if by_score.is_ok() {
        if !finite(&score) {
            fail(
                Class::WrongValue,
                format!("score() Ok with a non-finite score {}", show_point(&score)),
            );
        } else if m.check_point(&input.x, 1e-13).is_ok() {
            let off = non_tangent_part(m.as_ref(), &input.x, &score);
            if off > tangent_tolerance(&score, input.t) {
                fail(
                    Class::WrongValue,
                    format!(
                        "score not tangent: normal part {off:e} of |score| {:e}",
                        norm(&score)
                    ),
                );
            }
        }
    }
    let exact =
        input.method != KernelMethod::Varadhan && input.method != KernelMethod::SchwingerDeWitt;
    if exact && input.t >= UNIFORM_TIME {
        let uniform = -m.log_volume();
        if let Ok(lp) = log_prob {
            if (lp - uniform).abs() > 1e-6 * (1.0 + uniform.abs()) {
                fail(
                    Class::WrongValue,
                    format!(
                        "at t = {} log p = {lp:e}, expected the uniform {uniform:e}",
                        fmt_f(input.t)
                    ),
                );
            }
        }
        if by_score.is_ok() && norm(&score) > 1e-6 {
            fail(
                Class::WrongValue,
                format!(
                    "at t = {} |score| = {:e}, expected 0",
                    fmt_f(input.t),
                    norm(&score)
                ),
            );
        }
        if let Ok(div) = divergence {
            if div.abs() > 1e-4 {
                fail(
                    Class::WrongValue,
                    format!("at t = {} divergence = {div:e}, expected 0", fmt_f(input.t)),
                );
            }
        }
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// Likelihood (PF-ODE) and generation
// ---------------------------------------------------------------------------------------------

const FLOW_MANIFOLDS: &[&str] = &[
    "torus:1",
    "torus:2",
    "sphere:1",
    "sphere:2",
    "sphere:3",
    "so:3",
    "su:2",
    "u:1",
    "u:2",
    "torus:1*sphere:2",
    "sphere:2^2",
];

const T0S: &[f64] = &[
    5e-324, 1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.01, 0.1, 1.0, 100.0,
];

struct FlowInput {
    spec_text: String,
    network: bool,
    centres: Vec<f64>,
    points: Vec<f64>,
    t0: f64,
    t1: f64,
    /// `None`: likelihood; `Some(n)`: generate `n` samples.
    generate: Option<usize>,
    method: GenerationMethod,
    chunk_size: usize,
    hutchinson: bool,
    seed: u64,
}

impl FlowInput {
    fn generate(seed: u64, case: u64) -> FlowInput {
        let mut g = Gen::for_case(seed, "flow", case);
        let spec_text = g.pick(FLOW_MANIFOLDS).to_string();
        let network = g.chance(0.3);
        // A valid configuration, then at most one fault (so most cases reach the solvers).
        let t0 = *g.pick(T0S);
        let t1_choices: Vec<f64> = [
            t0 * (1.0 + 1e-12),
            2.0 * t0,
            1.0,
            10.0,
            100.0,
            1e4,
            1e300,
            f64::MAX,
        ]
        .into_iter()
        .filter(|&t1| t1 > t0)
        .collect();
        let mut t1 = *g.pick(&t1_choices);
        let mut generate = g.chance(0.5).then(|| *g.pick(&[1, 3, 5]));
        let mut steps = *g.pick(&[1, 5, 30]);
        let mut corrector_steps = *g.pick(&[0, 0, 1, 3]);
        let mut snr = 0.16;
        let mut chunk_size = *g.pick(&[1, 64]);
        let mut t0 = t0;
        let mut bad_point = false;
        if g.chance(0.35) {
            match g.below(9) {
                0 => t0 = *g.pick(BAD_TIMES),
                1 => t1 = *g.pick(&[t0, t0 / 2.0, f64::NAN, f64::INFINITY, -1.0]),
                2 => chunk_size = *g.pick(&[0, usize::MAX]),
                3 => generate = Some(*g.pick(&[0, 1 << 40, usize::MAX])),
                4 => steps = *g.pick(&[0, 1_000_001, usize::MAX]),
                5 => corrector_steps = *g.pick(&[1_001, usize::MAX]),
                6 => snr = *g.pick(&[0.0, -1.0, f64::NAN, f64::INFINITY, 1e300]),
                _ => bad_point = true,
            }
        }
        let method = if g.chance(0.5) {
            GenerationMethod::ProbabilityFlow
        } else {
            GenerationMethod::GeodesicRandomWalk {
                steps,
                corrector_steps,
                snr,
            }
        };
        let (centres, points) = match build(&spec_text) {
            Some((spec, m)) => {
                let mut centres = Vec::new();
                for _ in 0..2 {
                    centres.extend(valid_point(&mut g, &spec, m.as_ref()));
                }
                let mut points = Vec::new();
                for _ in 0..g.range(1, 2) {
                    points.extend(valid_point(&mut g, &spec, m.as_ref()));
                }
                if bad_point {
                    let (_, p, _) = make_pair(&mut g, &spec, m.as_ref());
                    let len = points.len().min(p.len());
                    points[..len].copy_from_slice(&p[..len]);
                }
                (centres, points)
            }
            None => (Vec::new(), Vec::new()),
        };
        FlowInput {
            spec_text,
            network,
            centres,
            points,
            t0,
            t1,
            generate,
            method,
            chunk_size,
            hutchinson: g.chance(0.3),
            seed: g.u64(),
        }
    }

    fn describe(&self) -> String {
        let field = if self.network {
            "a 1×4 ScoreNet".to_string()
        } else {
            format!("the mixture of centres {}", show_point(&self.centres))
        };
        match self.generate {
            None => format!(
                "log_likelihood({field} on {}, points {}, t0 = {}, t1 = {}, chunk {}, {})",
                self.spec_text,
                show_point(&self.points),
                fmt_f(self.t0),
                fmt_f(self.t1),
                self.chunk_size,
                if self.hutchinson {
                    "Hutchinson"
                } else {
                    "exact divergence"
                }
            ),
            Some(n) => format!(
                "generate({field} on {}, n = {n}, t0 = {}, t1 = {}, {:?}, chunk {}, seed {})",
                self.spec_text,
                fmt_f(self.t0),
                fmt_f(self.t1),
                self.method,
                self.chunk_size,
                self.seed
            ),
        }
    }
}

fn flow_case(seed: u64, case: u64) -> Vec<(Class, String)> {
    let input = FlowInput::generate(seed, case);
    let mut failures = Vec::new();
    let Some((_, m)) = build(&input.spec_text) else {
        return failures;
    };
    let what = input.describe();
    let n = m.ambient_dim();
    let Ok(kernel) = registry::auto_kernel(m.as_ref()) else {
        return failures;
    };
    let Ok(mixture) = HeatKernelMixture::new(kernel, input.centres.clone()) else {
        return failures;
    };
    let network;
    let field: &dyn ScoreField = if input.network {
        let mut config = ScoreNetConfig::for_manifold(m.as_ref());
        config.hidden_width = 4;
        config.hidden_layers = 1;
        network = ScoreNet::new(m.clone(), config, input.seed).expect("a tiny network");
        &network
    } else {
        &mixture
    };
    let times_valid =
        input.t0.is_finite() && input.t0 > 0.0 && input.t1.is_finite() && input.t1 > input.t0;
    let mut fail =
        |class: Class, message: String| failures.push((class, format!("{message}; {what}")));
    match input.generate {
        None => {
            let options = LikelihoodOptions {
                divergence: if input.hutchinson {
                    Divergence::Hutchinson {
                        probe: ProbeDistribution::Rademacher,
                        step: 1e-4,
                    }
                } else {
                    Divergence::Exact
                },
                chunk_size: input.chunk_size,
                seed: input.seed,
                ..LikelihoodOptions::default()
            };
            let points_valid = input
                .points
                .chunks(n)
                .all(|p| m.check_point(p, 1e-6).is_ok());
            let result = log_likelihood(field, &input.points, input.t0, input.t1, &options);
            fuzz_fixtures::verbose(|| {
                format!(
                    "case {case}: {what} → {:?}",
                    result
                        .as_ref()
                        .map(|r| r.log_likelihood.clone())
                        .map_err(|e| e.to_string())
                )
            });
            match result {
                Ok(_) if !times_valid || !points_valid || input.chunk_size == 0 => fail(
                    Class::WrongValue,
                    "Ok for invalid times, points or chunk size".into(),
                ),
                Ok(report) => {
                    if !finite(&report.log_likelihood) {
                        fail(
                            Class::WrongValue,
                            format!("non-finite log-likelihoods {:?}", report.log_likelihood),
                        );
                    } else if !input.network
                        && !input.hutchinson
                        && (1e-3..=1.0).contains(&input.t0)
                        && input.t1 >= 10.0
                    {
                        // The PF-ODE of the exact score transports p_{t0} to the uniform law.
                        for (i, p) in input.points.chunks(n).enumerate() {
                            if let Ok(exact) = mixture.log_prob(p, input.t0) {
                                let ll = report.log_likelihood[i];
                                if (ll - exact).abs() > 0.05 + 1e-2 * exact.abs() {
                                    fail(
                                        Class::WrongValue,
                                        format!("point {i}: PF-ODE log-likelihood {ll:e}, exact log p_t0 = {exact:e}"),
                                    );
                                }
                            }
                        }
                    }
                }
                Err(error) => {
                    if let Some((class, m)) = message_failure(&what, &error) {
                        fail(class, m);
                    }
                }
            }
        }
        Some(count) => {
            let options = GenerationOptions {
                seed: input.seed,
                chunk_size: input.chunk_size,
                method: input.method,
                ..GenerationOptions::default()
            };
            let result = generate(field, count, input.t0, input.t1, &options);
            fuzz_fixtures::verbose(|| {
                format!(
                    "case {case}: {what} → {:?}",
                    result
                        .as_ref()
                        .map(|r| r.samples.len())
                        .map_err(|e| e.to_string())
                )
            });
            match result {
                Ok(_) if !times_valid || input.chunk_size == 0 => fail(
                    Class::WrongValue,
                    "Ok for invalid times or chunk size".into(),
                ),
                Ok(_)
                    if count
                        .checked_mul(n)
                        .is_none_or(|r| r > riemannian_diffusion::limits::MAX_BUFFER_REALS) =>
                {
                    fail(
                        Class::LimitNotEnforced,
                        format!("Ok for {count} samples (above limits::MAX_BUFFER_REALS)"),
                    )
                }
                Ok(samples) => {
                    if samples.samples.len() != count * n {
                        fail(
                            Class::WrongValue,
                            format!("{} reals for {count} samples of {n}", samples.samples.len()),
                        );
                    } else if !finite(&samples.samples) {
                        fail(Class::WrongValue, "non-finite samples".into());
                    } else if let Some(bad) = samples
                        .samples
                        .chunks(n)
                        .position(|p| m.check_point(p, 1e-6).is_err())
                    {
                        fail(
                            Class::WrongValue,
                            format!(
                                "sample {bad} is off the manifold: {}",
                                show_point(&samples.samples[bad * n..(bad + 1) * n])
                            ),
                        );
                    }
                }
                Err(error) => {
                    if let Some((class, m)) = message_failure(&what, &error) {
                        fail(class, m);
                    }
                }
            }
        }
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// Checkpoint bytes
// ---------------------------------------------------------------------------------------------

fn checkpoint_case(seed: u64, case: u64) -> Vec<(Class, String)> {
    let (bytes, what, corrupt) = fuzz_checkpoints::mutated_checkpoint(seed, "checkpoint", case);
    let mut failures = Vec::new();
    let source = format!("fuzz-case-{case}.ckpt");
    let result = Checkpoint::from_bytes(&bytes, &source);
    fuzz_fixtures::verbose(|| {
        format!(
            "case {case}: {what} → {:?}",
            result
                .as_ref()
                .map(|_| "Ok")
                .map_err(|e| fuzz_fixtures::shorten(&e.to_string(), 150))
        )
    });
    let mut fail =
        |class: Class, message: String| failures.push((class, format!("{message}; {what}")));
    let checkpoint = match result {
        Err(e) => {
            let message = e.to_string();
            if !message.contains(&source) {
                fail(
                    Class::BadMessage,
                    format!("the error does not name the checkpoint: {message}"),
                );
            }
            if let Some((class, m)) = message_failure(&what, &e) {
                fail(class, m);
            }
            return failures;
        }
        Ok(c) => c,
    };
    if corrupt {
        // Bit flips, insertions, deletions, truncations, version or header-length edits of a
        // sealed file break its length or checksum: they must be refused.
        fail(
            Class::WrongValue,
            "a corrupted checkpoint (checksum no longer matches) was accepted".into(),
        );
    }
    if let Err(e) = checkpoint.config.validate() {
        fail(
            Class::WrongValue,
            format!("accepted an invalid architecture: {e}"),
        );
    }
    if !finite(&checkpoint.params) || checkpoint.ema_params.as_ref().is_some_and(|p| !finite(p)) {
        fail(Class::WrongValue, "accepted non-finite parameters".into());
    }
    // Rebuild the model the way `rdiff eval`/`sample` do.
    let Ok(m) = registry::builtin().manifold(&checkpoint.manifold) else {
        return failures;
    };
    let network = match checkpoint.ema_network(m.clone()) {
        Ok(n) => n,
        Err(_) => return failures,
    };
    let mut x = vec![0.0; m.ambient_dim()];
    let mut g = Gen::for_case(seed, "checkpoint-point", case);
    m.sample_uniform(g.rng(), &mut x);
    let mut out = vec![0.0; x.len()];
    let moderate = network.params().iter().all(|p| p.abs() <= 1e3);
    match network.score_batch(&x, &[0.1], &mut out) {
        Ok(()) if moderate && !finite(&out) => fail(
            Class::WrongValue,
            "the loaded network's score is not finite".into(),
        ),
        _ => {}
    }
    failures
}

// ---------------------------------------------------------------------------------------------
// Latitude / longitude CSV
// ---------------------------------------------------------------------------------------------

/// What a generated line must do.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LineKind {
    /// A data row with these values.
    Data(f64, f64),
    /// Blank, comment, or a header before any data.
    Skip,
    /// Must be refused.
    Bad,
    /// Anything (random bytes).
    Unknown,
}

/// Text of case `case` and the expected kind of each line.
fn lat_lon_text(seed: u64, case: u64) -> (String, Vec<LineKind>) {
    let mut g = Gen::for_case(seed, "latlon", case);
    let lines = g.range(0, 12);
    let mut text = String::new();
    let mut kinds = Vec::new();
    if g.chance(0.1) {
        text.push('\u{feff}');
    }
    let crlf = g.chance(0.3);
    // A first header `longitude,latitude` swaps the columns of the data rows after it.
    let mut swapped = false;
    let mut seen_data_or_header = false;
    for _ in 0..lines {
        let lat = (g.unit() * 180.0 - 90.0).clamp(-90.0, 90.0);
        let lon = g.unit() * 720.0 - 360.0;
        let (first, second) = if swapped { (lon, lat) } else { (lat, lon) };
        let (line, kind) = match g.below(20) {
            0..=7 => (format!("{first},{second}"), LineKind::Data(lat, lon)),
            8 => (format!("  {first} , {second}\t"), LineKind::Data(lat, lon)),
            9 => ("# a comment, with, commas".to_string(), LineKind::Skip),
            10 => (String::new(), LineKind::Skip),
            11 => {
                let h = *g.pick(&[
                    "latitude,longitude",
                    "Lat,Lon",
                    "longitude,latitude",
                    "\"lat\",\"lng\"",
                ]);
                let k = if seen_data_or_header {
                    LineKind::Bad
                } else {
                    swapped = h.starts_with("longitude");
                    LineKind::Skip
                };
                (h.to_string(), k)
            }
            12 => (format!("{lat},{lon},{lat}"), LineKind::Bad),
            13 => (format!("{lat}"), LineKind::Bad),
            14 => (
                format!(
                    "{},{}",
                    g.pick(&["nan", "NaN", "inf", "-inf", "1e400", "-1e400", "abc", ""]),
                    0.5
                ),
                LineKind::Bad,
            ),
            15 => {
                let bad_lat = *g.pick(&["90.0000001", "-91", "1e300"]);
                let line = if swapped {
                    format!("0.5,{bad_lat}")
                } else {
                    format!("{bad_lat},0.5")
                };
                (line, LineKind::Bad)
            }
            16 => {
                let bad_lon = *g.pick(&["360.5", "-1e10", "400"]);
                let line = if swapped {
                    format!("{bad_lon},0.5")
                } else {
                    format!("0.5,{bad_lon}")
                };
                (line, LineKind::Bad)
            }
            17 => {
                // Huge lines: a long number, or many fields.
                if g.chance(0.5) {
                    (
                        format!("{first}{},{second}", "0".repeat(g.range(1_000, 200_000))),
                        LineKind::Unknown,
                    )
                } else {
                    ("1,".repeat(g.range(1_000, 100_000)) + "1", LineKind::Bad)
                }
            }
            _ => {
                let count = g.range(1, 40);
                let raw = g.bytes(count);
                let s = String::from_utf8_lossy(&raw).replace(['\n', '\r'], " ");
                (s, LineKind::Unknown)
            }
        };
        // A header (any case) or any non-skipped line ends the place for a header.
        if matches!(kind, LineKind::Data(..) | LineKind::Bad | LineKind::Unknown)
            || line.to_ascii_lowercase().contains("lat")
        {
            seen_data_or_header = true;
        }
        text.push_str(&line);
        kinds.push(kind);
        if crlf {
            text.push('\r');
        }
        text.push('\n');
    }
    if g.chance(0.3) && text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    (text, kinds)
}

fn lat_lon_case(seed: u64, case: u64) -> Vec<(Class, String)> {
    let (text, kinds) = lat_lon_text(seed, case);
    let source = format!("fuzz-{case}.csv");
    let mut failures = Vec::new();
    let what = format!("text {:?}", fuzz_fixtures::shorten(&text, 400));
    let result = parse_lat_lon_csv(&text, &source);
    fuzz_fixtures::verbose(|| {
        format!(
            "case {case}: {kinds:?} → {:?}",
            result
                .as_ref()
                .map(Vec::len)
                .map_err(|e| fuzz_fixtures::shorten(&e.to_string(), 150))
        )
    });
    let mut fail =
        |class: Class, message: String| failures.push((class, format!("{message}; {what}")));
    // The first line that is not a data row or skipped decides the expected outcome.
    let first_other = kinds
        .iter()
        .position(|k| matches!(k, LineKind::Bad | LineKind::Unknown));
    match &result {
        Ok(rows) => {
            if let Some(bad) = rows.iter().position(|r| {
                !(r[0].is_finite() && r[1].is_finite() && r[0].abs() <= 90.0 && r[1].abs() <= 360.0)
            }) {
                fail(
                    Class::WrongValue,
                    format!(
                        "row {bad} = {:?} is not a finite latitude/longitude in range",
                        rows[bad]
                    ),
                );
            }
            if let Some(i) = first_other {
                if kinds[i] == LineKind::Bad && kinds[..i].iter().all(|k| *k != LineKind::Unknown) {
                    fail(
                        Class::WrongValue,
                        format!("line {} must be refused, but the text was accepted", i + 1),
                    );
                }
            }
            if first_other.is_none() {
                let expected: Vec<[f64; 2]> = kinds
                    .iter()
                    .filter_map(|k| match k {
                        LineKind::Data(a, b) => Some([*a, *b]),
                        _ => None,
                    })
                    .collect();
                let same =
                    rows.len() == expected.len() && rows.iter().zip(&expected).all(|(r, e)| r == e);
                if !same {
                    fail(
                        Class::WrongValue,
                        format!("parsed {} rows, expected {}", rows.len(), expected.len()),
                    );
                }
            }
        }
        Err(e) => {
            let message = e.to_string();
            if !message.contains(&source) {
                fail(
                    Class::BadMessage,
                    format!("the error does not name the source: {message}"),
                );
            }
            if let Some((class, m)) = message_failure(&what, e) {
                fail(class, m);
            }
            if first_other.is_none() {
                fail(
                    Class::WrongValue,
                    format!(
                        "valid text refused: {}",
                        fuzz_fixtures::shorten(&message, 300)
                    ),
                );
            } else if let (Some(i), riemannian_diffusion::Error::Parse { line, .. }) =
                (first_other, e)
            {
                if kinds[i] == LineKind::Bad
                    && *line != i + 1
                    && !kinds[..i].contains(&LineKind::Unknown)
                {
                    fail(
                        Class::WrongValue,
                        format!(
                            "the error names line {line}, the first bad line is {}",
                            i + 1
                        ),
                    );
                }
            }
        }
    }
    failures
}
