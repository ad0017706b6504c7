//! Heat kernels on SO(3), SO(4), SU(2), SU(3), U(2) against the mpmath reference
//! (`reference_data/group_heat_kernel_*.csv`, ≥ 39 correct digits, see its README), plus
//! invariance, symmetry and input-validation properties.

use riemannian_diffusion::heat_kernel::{GroupHeatKernel, HeatKernel, KernelMethod};
use riemannian_diffusion::manifold::{
    CompactGroup, Manifold, ManifoldSpec, SpecialOrthogonal, SpecialUnitary, Unitary,
};
use riemannian_diffusion::random::rng_from_seed;

#[path = "common/reference_data.rs"]
mod reference_data;

use reference_data::{group_kernel as kernel, GROUPS};

struct Row {
    t: f64,
    angles: Vec<f64>,
    log_p: f64,
    score: Vec<f64>,
}

fn read(name: &str) -> Vec<Row> {
    let path = format!(
        "{}/reference_data/group_heat_kernel_{name}.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let m = header.iter().filter(|h| h.starts_with("angle_")).count();
    lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Vec<f64> = l.split(',').map(|s| s.parse().unwrap()).collect();
            Row {
                t: v[0],
                angles: v[1..1 + m].to_vec(),
                log_p: v[1 + m],
                score: v[2 + m..].to_vec(),
            }
        })
        .collect()
}

/// The torus element of the reference README's table.
fn point(name: &str, a: &[f64]) -> Vec<f64> {
    let rot = |p: f64| [p.cos(), -p.sin(), p.sin(), p.cos()];
    let diag = |angles: &[f64]| {
        let n = angles.len();
        let mut x = vec![0.0; 2 * n * n];
        for (j, &h) in angles.iter().enumerate() {
            x[2 * (j * n + j)] = h.cos();
            x[2 * (j * n + j) + 1] = h.sin();
        }
        x
    };
    match name {
        "so3" => {
            let r = rot(a[0]);
            vec![r[0], r[1], 0.0, r[2], r[3], 0.0, 0.0, 0.0, 1.0]
        }
        "so4" => {
            let (r, s) = (rot(a[0]), rot(a[1]));
            vec![
                r[0], r[1], 0.0, 0.0, r[2], r[3], 0.0, 0.0, 0.0, 0.0, s[0], s[1], 0.0, 0.0, s[2],
                s[3],
            ]
        }
        "su2" => diag(&[a[0], -a[0]]),
        "su3" => diag(&[a[0], a[1], -(a[0] + a[1])]),
        "u2" => diag(a),
        _ => unreachable!(),
    }
}

/// All groups, or the comma list in the environment variable `GROUP_KERNEL_GROUPS` (debugging).
fn groups_to_check() -> Vec<&'static str> {
    match std::env::var("GROUP_KERNEL_GROUPS") {
        Ok(list) => GROUPS
            .iter()
            .copied()
            .filter(|g| list.split(',').any(|l| l == *g))
            .collect(),
        Err(_) => GROUPS.to_vec(),
    }
}

/// Score error measure of one row: `(|Δs|_∞, |s|_∞)` with `s` the reference ambient score.
fn score_errors(computed: &[f64], reference: &[f64]) -> (f64, f64) {
    let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let diff = computed
        .iter()
        .zip(reference)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    (diff, scale)
}

/// The bar for the score: `|Δs|_∞ ≤ 1e-9·|s|_∞` (relative), or `|Δs|_∞ ≤ 1e-9`
/// (absolute) where the score is ~0, taken as `|s|_∞ < 1e-6` (a millionth of the natural unit;
/// the smallest such reference scores are `O(1e-21)` at the SU(3) centre).
fn score_meets_bar(abs: f64, scale: f64, relative: f64) -> bool {
    abs <= relative * scale || (scale < 1e-6 && abs <= 1e-9)
}

/// Per-row result of one estimator on one reference row.
struct Measured {
    t: f64,
    angles: Vec<f64>,
    log_error: f64,
    score_abs: f64,
    score_scale: f64,
    terms: usize,
}

impl Measured {
    fn score_relative(&self) -> f64 {
        if self.score_scale > 0.0 {
            self.score_abs / self.score_scale
        } else {
            self.score_abs
        }
    }
}

type Failure = (f64, Vec<f64>, String);

/// Evaluates `method` at every row with `keep(row)` through the ambient API (x0 = I); `Err`
/// rows are returned separately.
fn measure(
    name: &str,
    method: KernelMethod,
    keep: impl Fn(&Row) -> bool,
) -> (Vec<Measured>, Vec<Failure>) {
    let k = kernel(name, method);
    let rows = read(name);
    let identity = point(name, &vec![0.0; rows[0].angles.len()]);
    let (mut ok, mut failed) = (Vec::new(), Vec::new());
    for row in rows.iter().filter(|r| keep(r)) {
        let x = point(name, &row.angles);
        let mut s = vec![0.0; x.len()];
        match k.score(&identity, &x, row.t, &mut s) {
            Ok(e) => {
                let (score_abs, score_scale) = score_errors(&s, &row.score);
                ok.push(Measured {
                    t: row.t,
                    angles: row.angles.clone(),
                    log_error: (e.log_prob - row.log_p).abs(),
                    score_abs,
                    score_scale,
                    terms: e.terms,
                })
            }
            Err(err) => failed.push((row.t, row.angles.clone(), err.to_string())),
        }
    }
    (ok, failed)
}

/// Prints the max errors per t and every row failing `(log_bar, score bar with relative
/// `score_relative`)`; returns the failing rows.
fn report<'a>(
    name: &str,
    method: KernelMethod,
    rows: &'a [Measured],
    log_bar: f64,
    score_relative: f64,
) -> Vec<&'a Measured> {
    let mut ts: Vec<f64> = rows.iter().map(|r| r.t).collect();
    ts.sort_by(f64::total_cmp);
    ts.dedup();
    for t in ts {
        let cell: Vec<&Measured> = rows.iter().filter(|r| r.t == t).collect();
        let l = cell.iter().fold(0.0f64, |m, r| m.max(r.log_error));
        let rel = cell
            .iter()
            .filter(|r| r.score_scale >= 1e-6)
            .fold(0.0f64, |m, r| m.max(r.score_relative()));
        let abs_small = cell
            .iter()
            .filter(|r| r.score_scale < 1e-6)
            .fold(0.0f64, |m, r| m.max(r.score_abs));
        let terms = cell.iter().map(|r| r.terms).max().unwrap_or(0);
        println!(
            "{name} {method:?} t={t:e}: max |dlogp| {l:.1e}, max rel dscore {rel:.1e} \
             (|s|>=1e-6), max abs dscore {abs_small:.1e} (|s|<1e-6), max terms {terms}"
        );
    }
    let bad: Vec<&Measured> = rows
        .iter()
        .filter(|r| {
            r.log_error > log_bar || !score_meets_bar(r.score_abs, r.score_scale, score_relative)
        })
        .collect();
    for r in &bad {
        println!(
            "  ABOVE BAR {name} {method:?} t={} angles={:?}: dlogp={:.2e} dscore abs {:.2e} \
             (|s| {:.2e}) terms={}",
            r.t, r.angles, r.log_error, r.score_abs, r.score_scale, r.terms
        );
    }
    bad
}

/// The one reference row where the f64 *matrix* input cannot meet the score bar (see
/// `su3_centre_row_is_limited_by_the_matrix_input`): SU(3) at t = 1e-4 at the double
/// (2π/3, 2π/3), 6.9e-16 from the centre element e^{2πi/3}·I.
fn input_limited(name: &str, t: f64, angles: &[f64]) -> bool {
    name == "su3" && t == 1e-4 && angles == [2.0943951023931953, 2.0943951023931953]
}

/// Issue 3, item 5: `Auto` within 1e-10 (log p, absolute) and the score bar (1e-9 relative;
/// 1e-9 absolute where |s| < 1e-6) at EVERY reference row of all five groups (496 rows). The
/// single row limited by the f64 matrix encoding of its point is checked at the torus level in
/// `su3_centre_row_is_limited_by_the_matrix_input` (its ambient error is printed here too).
#[test]
fn auto_matches_reference_at_every_row() {
    let mut failing = Vec::new();
    let mut count = 0;
    for name in groups_to_check() {
        let (rows, failed) = measure(name, KernelMethod::Auto, |_| true);
        count += rows.len() + failed.len();
        for f in &failed {
            println!("  ERROR {name} Auto t={} angles={:?}: {}", f.0, f.1, f.2);
            failing.push(format!("{name} {f:?}"));
        }
        for r in report(name, KernelMethod::Auto, &rows, 1e-10, 1e-9) {
            if !input_limited(name, r.t, &r.angles) {
                failing.push(format!("{name} t={} {:?}", r.t, r.angles));
            }
        }
    }
    if groups_to_check().len() == GROUPS.len() {
        assert_eq!(count, 80 + 4 * 96, "every reference row is evaluated");
    }
    assert!(failing.is_empty(), "rows above the bar: {failing:?}");
}

/// SU(3) at t = 1e-4, H = (a, a, −2a) with a the double nearest 2π/3: the point is 3a − 2π =
/// −6.9e-16 away from the centre element, and the score there is Hess·offset with
/// Hess ≈ 1e8 (reference |s| = 1.3e-7). At the **torus level** (H exactly representable:
/// a + a = 2a exactly) Auto meets the bar. Through the **matrix** input the eigen-angle of
/// e^{−2ia} (entries rounded to f64, then atan2) is 2π − 2a only to about one ulp
/// (4.4e-16 ≈ 64 % of the offset), so the ambient score is determined by the input only to
/// Hess·ulp; asserted: the ambient error is below 2× that sensitivity (one ulp each from the
/// rounded entries and the angle extraction).
#[test]
fn su3_centre_row_is_limited_by_the_matrix_input() {
    let rows = read("su3");
    let row = rows
        .iter()
        .find(|r| input_limited("su3", r.t, &r.angles))
        .unwrap();
    let k = kernel("su3", KernelMethod::Auto);
    let a = row.angles[0];
    let ambient_score = |h: &[f64]| {
        let (_, g, _) = k.torus_log_prob(h, row.t).unwrap();
        let mut s = vec![0.0; 18];
        for j in 0..3 {
            s[2 * (j * 3 + j)] = -g[j] * h[j].sin();
            s[2 * (j * 3 + j) + 1] = g[j] * h[j].cos();
        }
        s
    };
    let exact = ambient_score(&[a, a, -2.0 * a]);
    let (abs, scale) = score_errors(&exact, &row.score);
    println!("torus level: |ds| = {abs:.2e} (|s| = {scale:.2e})");
    assert!(score_meets_bar(abs, scale, 1e-9));
    // Sensitivity to one ulp of the third angle (kept in Σ = 0 by moving the other two).
    let ulp = 4.440892098500626e-16;
    let moved = ambient_score(&[a - ulp / 2.0, a - ulp / 2.0, -2.0 * a + ulp]);
    let (sensitivity, _) = score_errors(&moved, &exact);
    let identity = point("su3", &[0.0, 0.0]);
    let x = point("su3", &row.angles);
    let mut s = vec![0.0; 18];
    k.score(&identity, &x, row.t, &mut s).unwrap();
    let (ambient, _) = score_errors(&s, &row.score);
    println!("ambient: |ds| = {ambient:.2e}; one-ulp sensitivity {sensitivity:.2e}");
    assert!(ambient <= 2.0 * sensitivity);
}

/// The path sum alone (with its wall regularisation) meets the full bar for t ≤ 1 at every
/// reference row (incl. walls, cut locus, SU(3) centre; the input-limited row excepted as for
/// Auto); at t = 3 and 10 its measured errors are printed, and asserted at the stated
/// tolerances 1e-10 (log p) and 1e-8 relative (score; measured max 5.8e-9, SU(3) next to the
/// centre at t = 3, where 2432 complex terms of alternating sign are summed).
#[test]
fn sum_over_paths_matches_reference() {
    let mut failing = Vec::new();
    for name in groups_to_check() {
        let (rows, failed) = measure(name, KernelMethod::SumOverPaths, |r| r.t <= 1.0);
        assert!(failed.is_empty(), "{name}: {failed:?}");
        for r in report(name, KernelMethod::SumOverPaths, &rows, 1e-10, 1e-9) {
            if !input_limited(name, r.t, &r.angles) {
                failing.push(format!("{name} t={} {:?}", r.t, r.angles));
            }
        }
        let (rows, failed) = measure(name, KernelMethod::SumOverPaths, |r| r.t == 3.0);
        assert!(failed.is_empty(), "{name}: {failed:?}");
        for r in report(name, KernelMethod::SumOverPaths, &rows, 1e-10, 1e-8) {
            failing.push(format!("{name} t={} {:?}", r.t, r.angles));
        }
    }
    assert!(failing.is_empty(), "rows above the bar: {failing:?}");
}

/// The character expansion alone (analytic gradient) meets the full bar at t ≥ 1 wherever its
/// f64 cancellation ε·p_t(I)/p_t(x) is below 1e-12 (rows with log p_t(I) − log p_t(x) ≤ 8, i.e.
/// ratio ≤ 3e3); at t = 0.1 and 0.3 the same for ratio ≤ 3e3 too. Far points at small t are the
/// path sum's job (the expansion loses log10(ratio) digits there).
#[test]
fn character_expansion_matches_reference_where_it_does_not_cancel() {
    let mut failing = Vec::new();
    for name in groups_to_check() {
        let rows = read(name);
        let identity_log_p = |t: f64| {
            rows.iter()
                .find(|r| r.t == t && r.angles.iter().all(|a| *a == 0.0))
                .unwrap()
                .log_p
        };
        let (measured, failed) = measure(name, KernelMethod::Eigen, |r| {
            r.t >= 0.1 && identity_log_p(r.t) - r.log_p <= 8.0
        });
        assert!(failed.is_empty(), "{name}: {failed:?}");
        for r in report(name, KernelMethod::Eigen, &measured, 1e-10, 1e-9) {
            failing.push(format!("{name} t={} {:?}", r.t, r.angles));
        }
    }
    assert!(failing.is_empty(), "rows above the bar: {failing:?}");
}

/// Varadhan and Schwinger–DeWitt. SD is the γ = 0 path term, so its error is the weight of the
/// other paths: below 1e-10 (log p) wherever the second-closest representative is farther by
/// Δ(d²) ≥ 2t·ln(1e11) — here: every row with t ≤ 1e-3 except those within 0.05 of the cut
/// locus. Varadhan at the identity misses exactly the curvature factor: log p − log p_V =
/// |ρ|²t/2 (up to the other paths), an O(t) error; and away from the identity the Van Vleck
/// factor: O(|H|²).
#[test]
fn varadhan_and_schwinger_dewitt_error_orders() {
    for name in groups_to_check() {
        let rs = kernel(name, KernelMethod::Auto).root_system().clone();
        let rho2 = rs.rho_norm_sq();
        let sd = kernel(name, KernelMethod::SchwingerDeWitt);
        let var = kernel(name, KernelMethod::Varadhan);
        let rows = read(name);
        let identity = point(name, &vec![0.0; rows[0].angles.len()]);
        for row in &rows {
            let x = point(name, &row.angles);
            let near_cut = row
                .angles
                .iter()
                .any(|a| (a.abs() - std::f64::consts::PI).abs() < 0.05)
                || (name == "su3" && row.angles[0] > 2.0)
                || (name == "so4" && row.angles[0] > 2.0)
                || (name == "u2" && row.angles[0] - row.angles[1] > 2.0);
            if row.t <= 1e-3 && !near_cut {
                let e = sd.log_prob(&identity, &x, row.t).unwrap();
                assert!(
                    (e.log_prob - row.log_p).abs() < 1e-10,
                    "{name} SD t={} {:?}: {:e}",
                    row.t,
                    row.angles,
                    e.log_prob - row.log_p
                );
            }
            if row.angles.iter().all(|a| *a == 0.0) && row.t <= 1e-2 {
                let e = var.log_prob(&identity, &x, row.t).unwrap();
                let error = row.log_p - e.log_prob;
                // Exactly the curvature term |ρ|²t/2 (relative 1e-9 of it; other paths e^{-1900}).
                assert!(
                    (error - 0.5 * rho2 * row.t).abs() < 1e-9 * 0.5 * rho2 * row.t + 1e-12,
                    "{name} Varadhan t={}: error {error:e} vs |ρ|²t/2 = {:e}",
                    row.t,
                    0.5 * rho2 * row.t
                );
            }
        }
    }
    // SD at the cut locus: a clear error, no NaN (SU(2) at −I).
    let k = kernel("su2", KernelMethod::SchwingerDeWitt);
    let minus_identity = point("su2", &[std::f64::consts::PI]);
    let identity = point("su2", &[0.0]);
    let error = k.log_prob(&identity, &minus_identity, 0.1).unwrap_err();
    assert!(error.to_string().contains("cut locus"), "{error}");
}

/// Torus element of `group` with coordinates `h` (SO(n): rotation blocks, U/SU: diagonal).
fn torus_element(m: &dyn Manifold, h: &[f64]) -> Vec<f64> {
    if is_complex(m) {
        let n = h.len();
        let mut x = vec![0.0; 2 * n * n];
        for (j, &a) in h.iter().enumerate() {
            x[2 * (j * n + j)] = a.cos();
            x[2 * (j * n + j) + 1] = a.sin();
        }
        x
    } else {
        let n = group_of(m).n();
        let mut x = vec![0.0; n * n];
        for i in 0..n {
            x[i * n + i] = 1.0;
        }
        for (k, &a) in h.iter().enumerate() {
            let (s, c) = a.sin_cos();
            x[(2 * k) * n + 2 * k] = c;
            x[(2 * k) * n + 2 * k + 1] = -s;
            x[(2 * k + 1) * n + 2 * k] = s;
            x[(2 * k + 1) * n + 2 * k + 1] = c;
        }
        x
    }
}

fn all_groups() -> Vec<Box<dyn Manifold>> {
    vec![
        Box::new(SpecialOrthogonal::new(3).unwrap()),
        Box::new(SpecialOrthogonal::new(4).unwrap()),
        Box::new(SpecialOrthogonal::new(5).unwrap()),
        Box::new(SpecialUnitary::new(2).unwrap()),
        Box::new(SpecialUnitary::new(3).unwrap()),
        Box::new(SpecialUnitary::new(4).unwrap()),
        Box::new(Unitary::new(2).unwrap()),
        Box::new(Unitary::new(3).unwrap()),
    ]
}

/// The compact group `m` is (its spec).
fn group_of(m: &dyn Manifold) -> CompactGroup {
    match m.spec() {
        ManifoldSpec::Group(group) => group,
        other => panic!("{other} is not a compact group"),
    }
}

fn group_kernel(m: &dyn Manifold, method: KernelMethod) -> GroupHeatKernel {
    match group_of(m) {
        CompactGroup::SpecialOrthogonal(n) => {
            GroupHeatKernel::new(SpecialOrthogonal::new(n).unwrap(), method)
        }
        CompactGroup::SpecialUnitary(n) => {
            GroupHeatKernel::new(SpecialUnitary::new(n).unwrap(), method)
        }
        CompactGroup::Unitary(n) => GroupHeatKernel::new(Unitary::new(n).unwrap(), method),
    }
    .unwrap()
}

/// Special torus points of each group: identity, near identity, a wall (two equal angles),
/// the cut locus (−I type), a centre element (SU(n)), a generic point.
fn special_points(m: &dyn Manifold) -> Vec<Vec<f64>> {
    use std::f64::consts::PI;
    match group_of(m) {
        CompactGroup::SpecialOrthogonal(3) => {
            vec![vec![0.0], vec![1e-7], vec![PI], vec![PI - 1e-9], vec![2.0]]
        }
        CompactGroup::SpecialOrthogonal(4) => vec![
            vec![0.0, 0.0],
            vec![1e-7, 0.0],
            vec![0.7, 0.7],
            vec![PI, PI],
            vec![PI, 0.0],
            vec![2.0, -1.0],
        ],
        CompactGroup::SpecialOrthogonal(5) => vec![
            vec![0.0, 0.0],
            vec![1e-7, 1e-7],
            vec![0.7, 0.7],
            vec![PI, PI],
            vec![PI, 0.0],
            vec![2.0, -1.0],
        ],
        CompactGroup::SpecialUnitary(2) => vec![
            vec![0.0, 0.0],
            vec![1e-7, -1e-7],
            vec![PI, -PI],
            vec![2.0, -2.0],
        ],
        CompactGroup::SpecialUnitary(3) => vec![
            vec![0.0, 0.0, 0.0],
            vec![1e-7, -1e-7, 0.0],
            vec![0.7, 0.7, -1.4],
            vec![PI, PI, 0.0],
            vec![2.0 * PI / 3.0, 2.0 * PI / 3.0, -4.0 * PI / 3.0],
            vec![2.0, 1.0, -3.0],
        ],
        CompactGroup::SpecialUnitary(4) => vec![
            vec![0.0; 4],
            vec![1e-7, -1e-7, 0.0, 0.0],
            vec![0.7, 0.7, -0.7, -0.7],
            vec![PI, PI, PI, -3.0 * PI],
            vec![PI / 2.0, PI / 2.0, PI / 2.0, -1.5 * PI],
            vec![2.0, 1.0, -0.5, -2.5],
        ],
        CompactGroup::Unitary(2) => vec![
            vec![0.0, 0.0],
            vec![1e-7, 0.0],
            vec![PI, PI],
            vec![PI, -PI],
            vec![2.0, 1.0],
        ],
        _ => vec![
            vec![0.0; 3],
            vec![1e-7, 0.0, 0.0],
            vec![0.7, 0.7, 0.7],
            vec![PI, PI, PI],
            vec![PI, -PI, 0.0],
            vec![2.0, 1.0, -3.0],
        ],
    }
}

/// No NaN/inf anywhere for t ∈ [1e-8, 1e4] (Auto; every group incl. SO(5), SU(4), U(3); at
/// the identity, walls, the cut locus, centre elements). Varadhan and Schwinger–DeWitt on the
/// same grid: finite, or (SD only) a clear error at the cut locus.
#[test]
fn auto_is_finite_from_t_1e_minus_8_to_1e4() {
    for m in all_groups() {
        for method in [KernelMethod::Varadhan, KernelMethod::SchwingerDeWitt] {
            let k = group_kernel(m.as_ref(), method);
            let n = m.ambient_dim();
            let identity = torus_element(m.as_ref(), &special_points(m.as_ref())[0]);
            for h in special_points(m.as_ref()) {
                let x = torus_element(m.as_ref(), &h);
                for t in [1e-8, 1e-4, 1.0, 1e4] {
                    let mut s = vec![0.0; n];
                    match k.score(&identity, &x, t, &mut s) {
                        Ok(e) => assert!(
                            e.log_prob.is_finite() && s.iter().all(|v| v.is_finite()),
                            "{} {method:?} t={t} h={h:?}",
                            m.spec()
                        ),
                        Err(err) => assert!(
                            method == KernelMethod::SchwingerDeWitt
                                && err.to_string().contains("cut locus"),
                            "{} {method:?} t={t} h={h:?}: {err}",
                            m.spec()
                        ),
                    }
                }
            }
        }
        let k = group_kernel(m.as_ref(), KernelMethod::Auto);
        let n = m.ambient_dim();
        let identity = torus_element(m.as_ref(), &special_points(m.as_ref())[0]);
        for h in special_points(m.as_ref()) {
            let x = torus_element(m.as_ref(), &h);
            for t in [1e-8, 1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e4] {
                let mut s = vec![0.0; n];
                let e = k
                    .score(&identity, &x, t, &mut s)
                    .unwrap_or_else(|err| panic!("{} t={t} h={h:?}: {err}", m.spec()));
                assert!(
                    e.log_prob.is_finite() && s.iter().all(|v| v.is_finite()),
                    "{} t={t} h={h:?}: {} {s:?}",
                    m.spec(),
                    e.log_prob
                );
            }
        }
    }
}

/// Score of Auto vs a 4th-order central difference of its log p along geodesics x·exp(sV),
/// at random (x0, x) for every group incl. SO(5), SU(4), U(3), t ∈ {0.05, 0.5, 3}.
/// Difference error: truncation h⁴|f⁽⁵⁾|/30 (h = 1e-3, |f⁽⁵⁾| ≲ 1e3 at t = 0.05) ≲ 3e-11, and
/// rounding ≈ 3ε|log p|/h ≲ 1e-11; tolerance 1e-8·max(1, |score|).
#[test]
fn auto_score_matches_central_differences_at_random_points() {
    let mut rng = rng_from_seed(17);
    for m in all_groups() {
        let k = group_kernel(m.as_ref(), KernelMethod::Auto);
        let n = m.ambient_dim();
        let d = m.dim();
        for t in [0.05, 0.5, 3.0] {
            let (mut x0, mut x) = (vec![0.0; n], vec![0.0; n]);
            m.sample_uniform(&mut rng, &mut x0);
            m.sample_uniform(&mut rng, &mut x);
            let mut score = vec![0.0; n];
            k.score(&x0, &x, t, &mut score).unwrap();
            let mut basis = vec![0.0; d * n];
            m.tangent_basis(&x, &mut basis);
            let h = 1e-3;
            for i in 0..d {
                let e = &basis[i * n..(i + 1) * n];
                let f = |s: f64| {
                    let v: Vec<f64> = e.iter().map(|c| s * c).collect();
                    let mut y = vec![0.0; n];
                    m.exp(&x, &v, &mut y);
                    k.log_prob(&x0, &y, t).unwrap().log_prob
                };
                let fd = (-f(2.0 * h) + 8.0 * f(h) - 8.0 * f(-h) + f(-2.0 * h)) / (12.0 * h);
                let analytic = m.inner(&x, &score, e);
                assert!(
                    (fd - analytic).abs() < 1e-8 * analytic.abs().max(1.0),
                    "{} t={t} direction {i}: fd {fd} vs score {analytic}",
                    m.spec()
                );
            }
        }
    }
}

#[test]
fn tolerance_is_validated() {
    let k = kernel("so3", KernelMethod::Auto);
    assert_eq!(k.tolerance(), 1e-12);
    assert_eq!(KernelMethod::default(), KernelMethod::Auto);
    for bad in [0.0, -1e-3, 1e-16, f64::NAN, f64::INFINITY] {
        assert!(
            kernel("so3", KernelMethod::Auto)
                .with_tolerance(bad)
                .is_err(),
            "{bad}"
        );
    }
    let k = kernel("su3", KernelMethod::Auto)
        .with_tolerance(1e-6)
        .unwrap();
    assert_eq!(k.tolerance(), 1e-6);
    // A looser tolerance still gives a sensible value (fewer terms).
    let identity = point("su3", &[0.0, 0.0]);
    let x = point("su3", &[1.0, -0.5]);
    let loose = k.log_prob(&identity, &x, 0.3).unwrap();
    let tight = kernel("su3", KernelMethod::Auto)
        .log_prob(&identity, &x, 0.3)
        .unwrap();
    assert!((loose.log_prob - tight.log_prob).abs() < 1e-5);
    assert!(loose.terms <= tight.terms);
}

/// ns per Auto evaluation (log p + score) per group at a few t (for the report; timing is not
/// asserted). Run with `cargo test --release --test group_heat_kernel -- --ignored --nocapture`.
#[test]
#[ignore]
fn auto_timing_report() {
    let mut rng = rng_from_seed(3);
    for m in all_groups() {
        let k = group_kernel(m.as_ref(), KernelMethod::Auto);
        let n = m.ambient_dim();
        let points: Vec<(Vec<f64>, Vec<f64>)> = (0..64)
            .map(|_| {
                let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
                m.sample_uniform(&mut rng, &mut a);
                m.sample_uniform(&mut rng, &mut b);
                (a, b)
            })
            .collect();
        let mut line = format!("{:6}", m.spec());
        for t in [1e-3, 1e-2, 0.1, 1.0, 10.0] {
            let mut s = vec![0.0; n];
            let start = std::time::Instant::now();
            let mut terms = 0;
            let reps = 4;
            for _ in 0..reps {
                for (a, b) in &points {
                    terms += k.score(a, b, t, &mut s).unwrap().terms;
                }
            }
            let ns = start.elapsed().as_nanos() as f64 / (reps * points.len()) as f64;
            line += &format!(
                " | t={t:e}: {ns:8.0} ns, {:.1} terms",
                terms as f64 / (reps * points.len()) as f64
            );
        }
        println!("{line}");
        // Torus level (no eigen-decomposition / score assembly): torus_log_prob at h.
        let r = k.root_system().torus_dim();
        let special = matches!(group_of(m.as_ref()), CompactGroup::SpecialUnitary(_));
        let mut line = format!("{:6} torus", m.spec());
        for t in [1e-3, 1e-2, 0.1, 1.0, 10.0] {
            let hs: Vec<Vec<f64>> = (0..64)
                .map(|i| {
                    let mut h: Vec<f64> = (0..r)
                        .map(|j| ((i * 7 + j * 13) % 17) as f64 / 17.0 * 2.0 - 1.0)
                        .collect();
                    if special {
                        let mean = h.iter().sum::<f64>() / r as f64;
                        h.iter_mut().for_each(|x| *x -= mean);
                    }
                    h
                })
                .collect();
            let start = std::time::Instant::now();
            for _ in 0..4 {
                for h in &hs {
                    std::hint::black_box(k.torus_log_prob(h, t).unwrap());
                }
            }
            let ns = start.elapsed().as_nanos() as f64 / (4 * hs.len()) as f64;
            line += &format!(" | t={t:e}: {ns:8.0} ns");
        }
        println!("{line}");
    }
}

fn groups() -> Vec<Box<dyn Manifold>> {
    vec![
        Box::new(SpecialOrthogonal::new(3).unwrap()),
        Box::new(SpecialOrthogonal::new(4).unwrap()),
        Box::new(SpecialUnitary::new(3).unwrap()),
        Box::new(Unitary::new(2).unwrap()),
    ]
}

fn kernel_for(m: &dyn Manifold, method: KernelMethod) -> GroupHeatKernel {
    match group_of(m) {
        CompactGroup::SpecialOrthogonal(3) => kernel("so3", method),
        CompactGroup::SpecialOrthogonal(4) => kernel("so4", method),
        CompactGroup::SpecialUnitary(3) => kernel("su3", method),
        CompactGroup::Unitary(2) => kernel("u2", method),
        other => panic!("{other:?}"),
    }
}

#[test]
fn symmetry_and_score_by_finite_differences_at_random_points() {
    let mut rng = rng_from_seed(7);
    for m in groups() {
        for method in [
            KernelMethod::Eigen,
            KernelMethod::SumOverPaths,
            KernelMethod::Auto,
        ] {
            let k = kernel_for(m.as_ref(), method);
            let n = m.ambient_dim();
            for _ in 0..3 {
                let (mut x0, mut x) = (vec![0.0; n], vec![0.0; n]);
                m.sample_uniform(&mut rng, &mut x0);
                m.sample_uniform(&mut rng, &mut x);
                let t = 0.5;
                let a = k.log_prob(&x0, &x, t).unwrap().log_prob;
                let b = k.log_prob(&x, &x0, t).unwrap().log_prob;
                assert!(
                    (a - b).abs() < 1e-12 * (1.0 + a.abs()),
                    "{}: {a} vs {b}",
                    m.spec()
                );
                // Score vs central differences along geodesics exp_x(s e_i).
                let mut score = vec![0.0; n];
                k.score(&x0, &x, t, &mut score).unwrap();
                let d = m.dim();
                let mut basis = vec![0.0; d * n];
                m.tangent_basis(&x, &mut basis);
                let step = 1e-4;
                for i in 0..d {
                    let e = &basis[i * n..(i + 1) * n];
                    let moved = |s: f64| {
                        let v: Vec<f64> = e.iter().map(|c| s * c).collect();
                        let mut y = vec![0.0; n];
                        m.exp(&x, &v, &mut y);
                        k.log_prob(&x0, &y, t).unwrap().log_prob
                    };
                    let fd = (moved(step) - moved(-step)) / (2.0 * step);
                    let analytic = m.inner(&x, &score, e);
                    // central difference error ~ step² |f'''| / 6 ≲ 1e-8 here, plus rounding 1e-15/1e-4.
                    assert!(
                        (fd - analytic).abs() < 1e-6,
                        "{} {method:?} direction {i}: fd {fd} vs score {analytic}",
                        m.spec()
                    );
                }
            }
        }
    }
}

#[test]
fn conjugation_invariance() {
    let mut rng = rng_from_seed(11);
    for m in groups() {
        let k = kernel_for(m.as_ref(), KernelMethod::SumOverPaths);
        let n = m.ambient_dim();
        let mut x = vec![0.0; n];
        let mut c = vec![0.0; n];
        m.sample_uniform(&mut rng, &mut x);
        m.sample_uniform(&mut rng, &mut c);
        // Left invariance: p(c, c·y) = p(x, x·y).
        let mut y = vec![0.0; n];
        m.sample_uniform(&mut rng, &mut y);
        let cy = multiply(m.as_ref(), &c, &y);
        let xy = multiply(m.as_ref(), &x, &y);
        let a = k.log_prob(&c, &cy, 0.7).unwrap().log_prob;
        let b = k.log_prob(&x, &xy, 0.7).unwrap().log_prob;
        assert!(
            (a - b).abs() < 1e-11 * (1.0 + a.abs()),
            "{}: {a} vs {b}",
            m.spec()
        );
        // Conjugation invariance with x0 = I (formed as c·c⁻¹): p(I, y) = p(I, c y c⁻¹).
        let ci = inverse(m.as_ref(), &c);
        let conj = multiply(m.as_ref(), &multiply(m.as_ref(), &c, &y), &ci);
        let id = multiply(m.as_ref(), &c, &ci);
        let p1 = k.log_prob(&id, &y, 0.7).unwrap().log_prob;
        let p2 = k.log_prob(&id, &conj, 0.7).unwrap().log_prob;
        assert!(
            (p1 - p2).abs() < 1e-11 * (1.0 + p1.abs()),
            "{}: {p1} vs {p2}",
            m.spec()
        );
    }
}

fn is_complex(m: &dyn Manifold) -> bool {
    group_of(m).is_complex()
}

fn multiply(m: &dyn Manifold, a: &[f64], b: &[f64]) -> Vec<f64> {
    if is_complex(m) {
        let n = ((a.len() / 2) as f64).sqrt() as usize;
        let mut out = vec![0.0; a.len()];
        for i in 0..n {
            for j in 0..n {
                let (mut re, mut im) = (0.0, 0.0);
                for k in 0..n {
                    let (ar, ai) = (a[2 * (i * n + k)], a[2 * (i * n + k) + 1]);
                    let (br, bi) = (b[2 * (k * n + j)], b[2 * (k * n + j) + 1]);
                    re += ar * br - ai * bi;
                    im += ar * bi + ai * br;
                }
                out[2 * (i * n + j)] = re;
                out[2 * (i * n + j) + 1] = im;
            }
        }
        out
    } else {
        let n = (a.len() as f64).sqrt() as usize;
        let mut out = vec![0.0; a.len()];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = (0..n).map(|k| a[i * n + k] * b[k * n + j]).sum();
            }
        }
        out
    }
}

/// Inverse = conjugate transpose.
fn inverse(m: &dyn Manifold, a: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; a.len()];
    if is_complex(m) {
        let n = ((a.len() / 2) as f64).sqrt() as usize;
        for i in 0..n {
            for j in 0..n {
                out[2 * (i * n + j)] = a[2 * (j * n + i)];
                out[2 * (i * n + j) + 1] = -a[2 * (j * n + i) + 1];
            }
        }
    } else {
        let n = (a.len() as f64).sqrt() as usize;
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = a[j * n + i];
            }
        }
    }
    out
}

#[test]
fn bad_input_is_an_error() {
    let k = kernel("so3", KernelMethod::SumOverPaths);
    let id = point("so3", &[0.0]);
    let x = point("so3", &[0.5]);
    assert!(k.log_prob(&id, &x, 0.0).is_err());
    assert!(k.log_prob(&id, &x, f64::NAN).is_err());
    assert!(k.log_prob(&id, &x, -1.0).is_err());
    assert!(k.log_prob(&id, &x[..8], 1.0).is_err());
    let mut off = x.clone();
    off[0] += 0.1;
    assert!(k.log_prob(&id, &off, 1.0).is_err());
    let mut nan = x.clone();
    nan[4] = f64::NAN;
    assert!(k.log_prob(&id, &nan, 1.0).is_err());
    let mut short = vec![0.0; 8];
    assert!(k.score(&id, &x, 1.0, &mut short).is_err());
    let ku = kernel("su3", KernelMethod::Eigen);
    let u = point("u2", &[0.3, 0.2]);
    assert!(ku.log_prob(&point("su3", &[0.0, 0.0]), &u, 1.0).is_err());
}

/// Smoothness across the regimes of the path sum (direct sum ↔ wall contour) at wall
/// intersections: at a vertex `H_c` (SU(3), SU(4) centres; SO(4), SO(5) at (π, π); U(3) at −I)
/// the torus gradient is odd in the offset, `g(H_c + δv) = δ·Hess·v + O(δ³)`, so
/// `(g(δ) − g(−δ))/(2δ)` must not depend on δ ∈ [1e-10, 1e-6] (offsets from far inside the
/// contour regime to the direct regime), and `g(δ) + g(−δ) = O(δ²)`. Allowed deviation, from
/// the error model: the noise of `g`, `n = 1e-13·F·d/t + 4ε·d·‖Hess‖` (`d = |H_c|`; ≈ 500ε of
/// the natural gradient scale `d/t` times the contour's node cancellation `F = ∏_{α∈J}
/// r_max/r_α` of the geometric radii — 4 at the rank-2 vertices (A₂, D₂), 4⁴ = 256 at the A₃
/// vertex of SU(4) — plus the conditioning of the f64 input `H_c + δv`),
/// divided by `δ` for the slope; the Taylor remainders `δ²(d/t)²‖Hess‖` (slope) and
/// `(d/t)³δ²` (even part).
#[test]
fn path_sum_is_smooth_through_wall_intersections() {
    use std::f64::consts::PI;
    type Case = (Box<dyn Manifold>, Vec<f64>, Vec<f64>, f64);
    let cases: Vec<Case> = vec![
        (
            Box::new(SpecialUnitary::new(3).unwrap()),
            vec![2.0 * PI / 3.0, 2.0 * PI / 3.0, -4.0 * PI / 3.0],
            vec![0.3, -0.7, 0.4],
            4.0,
        ),
        (
            Box::new(SpecialUnitary::new(4).unwrap()),
            vec![PI / 2.0, PI / 2.0, PI / 2.0, -1.5 * PI],
            vec![0.3, -0.7, 0.1, 0.3],
            256.0,
        ),
        (
            Box::new(SpecialOrthogonal::new(4).unwrap()),
            vec![PI, PI],
            vec![0.6, -0.8],
            4.0,
        ),
        (
            Box::new(SpecialOrthogonal::new(5).unwrap()),
            vec![PI, PI],
            vec![0.6, -0.8],
            4.0,
        ),
        (
            Box::new(Unitary::new(3).unwrap()),
            vec![PI, PI, PI],
            vec![0.3, -0.7, 0.5],
            4.0,
        ),
    ];
    let mut worst: f64 = 0.0;
    for (m, center, direction, cancellation) in &cases {
        let k = group_kernel(m.as_ref(), KernelMethod::SumOverPaths);
        let d = center.iter().map(|c| c * c).sum::<f64>().sqrt();
        for t in [1e-3, 0.05, 0.5] {
            let g = |delta: f64| {
                let h: Vec<f64> = center
                    .iter()
                    .zip(direction)
                    .map(|(c, v)| c + delta * v)
                    .collect();
                k.torus_log_prob(&h, t).unwrap().1
            };
            let slope = |delta: f64| -> Vec<f64> {
                g(delta)
                    .iter()
                    .zip(g(-delta))
                    .map(|(a, b)| (a - b) / (2.0 * delta))
                    .collect()
            };
            let reference = slope(1e-8);
            let hess = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let noise = 1e-13 * cancellation * d / t + 4.0 * f64::EPSILON * d * hess;
            for delta in [1e-10, 1e-9, 1e-7, 1e-6] {
                let s = slope(delta);
                let diff = s
                    .iter()
                    .zip(&reference)
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                let allowed = noise / delta + noise / 1e-8 + delta * delta * (d / t).powi(2) * hess;
                worst = worst.max(diff / allowed);
                assert!(
                    diff <= allowed,
                    "{} t={t} δ={delta}: slope {s:?} vs {reference:?} (allowed {allowed:e})",
                    m.spec()
                );
                let even = g(delta)
                    .iter()
                    .zip(g(-delta))
                    .fold(0.0f64, |m, (a, b)| m.max((a + b).abs()));
                let allowed_even = (d / t).powi(3) * delta * delta + 2.0 * noise;
                worst = worst.max(even / allowed_even);
                assert!(
                    even <= allowed_even,
                    "{} t={t} δ={delta}: even part {even:e} (allowed {allowed_even:e})",
                    m.spec()
                );
            }
        }
    }
    println!("worst deviation / allowed: {worst:.2e}");
}

/// Independent cross-check where no reference data exist (SO(5), SO(6), SO(7), SU(4), U(3)):
/// the path sum (with its wall contour) and the character series agree in their overlap
/// (t ∈ {0.5, 1}, points with |H| ≤ 1 where the characters do not cancel), at generic points,
/// on walls (two equal angles; for B_m also a zero angle, the short-root wall) and 1e-9 from
/// them. Tolerances: 1e-11 in log p and 1e-9·max(1, |g|) in the torus gradient — both methods
/// are at the 1e-13 level here (rounding estimates), the bound leaves room for the contour's
/// node cancellation at rank-3 vertices (≤ 4⁴, see `path_sum_is_smooth_through_wall_intersections`).
#[test]
fn paths_and_characters_agree_on_higher_rank_groups() {
    let groups: Vec<Box<dyn Manifold>> = vec![
        Box::new(SpecialOrthogonal::new(5).unwrap()),
        Box::new(SpecialOrthogonal::new(6).unwrap()),
        Box::new(SpecialOrthogonal::new(7).unwrap()),
        Box::new(SpecialUnitary::new(4).unwrap()),
        Box::new(Unitary::new(3).unwrap()),
    ];
    let mut worst: (f64, f64) = (0.0, 0.0);
    for m in &groups {
        let paths = group_kernel(m.as_ref(), KernelMethod::SumOverPaths);
        let chars = group_kernel(m.as_ref(), KernelMethod::Eigen);
        let r = paths.root_system().torus_dim();
        let special = matches!(group_of(m.as_ref()), CompactGroup::SpecialUnitary(_));
        let base: Vec<f64> = (0..r).map(|j| 0.61 - 0.37 * j as f64).collect();
        let mut points = vec![base.clone()];
        for offset in [0.0, 1e-9] {
            let mut wall = base.clone();
            wall[1] = wall[0] + offset; // α = e1 − e2 wall
            points.push(wall.clone());
            wall[r - 1] = offset; // B_m short-root wall e_m = 0 (and a generic shift otherwise)
            points.push(wall);
        }
        for mut h in points {
            if special {
                let mean = h.iter().sum::<f64>() / r as f64;
                h.iter_mut().for_each(|x| *x -= mean);
            }
            for t in [0.5, 1.0] {
                let (lp, gp, terms) = paths.torus_log_prob(&h, t).unwrap();
                let (lc, gc, _) = chars.torus_log_prob(&h, t).unwrap();
                let dl = (lp - lc).abs();
                let scale = gc.iter().fold(1.0f64, |m, v| m.max(v.abs()));
                let dg = gp
                    .iter()
                    .zip(&gc)
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
                    / scale;
                worst = (worst.0.max(dl), worst.1.max(dg));
                assert!(
                    dl < 1e-11 && dg < 1e-9,
                    "{} t={t} h={h:?}: dlogp {dl:e}, dgrad {dg:e} (path terms {terms})",
                    m.spec()
                );
            }
        }
    }
    println!("worst: dlogp {:.1e}, dgrad {:.1e}", worst.0, worst.1);
}

/// An explicitly chosen character expansion refuses where f64 cancellation would make it
/// wrong (found by the accuracy report: SO(3), t = 1e-4, rotation angle 1 returned
/// log p = −33.3 against the true −4988.9) and still answers where it is accurate.
#[test]
fn character_expansion_refuses_where_it_cancels() {
    let so3 = SpecialOrthogonal::new(3).unwrap();
    let kernel = GroupHeatKernel::new(so3, KernelMethod::Eigen).unwrap();
    let reference = GroupHeatKernel::new(so3, KernelMethod::SumOverPaths).unwrap();
    let identity = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0];
    let (c, s) = (1.0f64.cos(), 1.0f64.sin());
    let rotation = [c, -s, 0.0, s, c, 0.0, 0.0, 0.0, 1.0];
    for t in [1e-4, 1e-3, 1e-2] {
        let r = kernel.log_prob(&identity, &rotation, t);
        assert!(
            matches!(r, Err(riemannian_diffusion::Error::Numerical { .. })),
            "t = {t}: {r:?}"
        );
    }
    for t in [1.0, 3.0] {
        let a = kernel.log_prob(&identity, &rotation, t).unwrap().log_prob;
        let b = reference
            .log_prob(&identity, &rotation, t)
            .unwrap()
            .log_prob;
        assert!((a - b).abs() < 1e-12, "t = {t}: {a} vs {b}");
    }
}
