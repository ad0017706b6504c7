//! Root systems, representation data and characters of SU(n), U(n), SO(n) (`lie` module),
//! checked against known representation theory, brute-force enumerations, the direct
//! (alternating-sum) Weyl character formula and the small-time heat trace.

use num_complex::Complex64;
use riemannian_diffusion::lie::{CompactGroup, Irrep, RootSystem};
use std::f64::consts::PI;

#[path = "common/lie_fixtures.rs"]
mod lie_fixtures;
use lie_fixtures::{all_groups, random_torus_point, SplitMix};

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance * (1.0 + b.abs())
}

#[test]
fn su2_dimensions_and_casimirs_match_round_three_sphere() {
    // SU(2) with the Frobenius metric is S³ of radius √2: Laplacian eigenvalues l(l+2)/r².
    let su2 = RootSystem::special_unitary(2).unwrap();
    let irreps = su2.dominant_weights(10.0).unwrap();
    for (l, irrep) in irreps.iter().enumerate() {
        assert_eq!(irrep.labels(), &[l as i64, 0]);
        assert_eq!(irrep.dimension(), l as f64 + 1.0);
        let expected = (l * (l + 2)) as f64 / 2.0;
        assert!(close(irrep.casimir(), expected, 1e-15), "{l}");
    }
    assert_eq!(irreps.len(), 4); // l(l+2)/2 ≤ 10 ⇔ l ≤ 3: dimensions 1, 2, 3, 4.
    assert_eq!(su2.weyl_group_order(), 2);
    assert!(close(su2.rho_norm_sq(), 0.5, 1e-16));
}

#[test]
fn su3_known_representations() {
    // Casimirs are twice the physics values C₂ (tr T_aT_b = ½δ) because the Frobenius
    // metric is twice the Killing-normalised one: fundamental 2·4/3 = 8/3, adjoint 2·3 = 6.
    let su3 = RootSystem::special_unitary(3).unwrap();
    let cases: [(&[i64], f64, f64); 8] = [
        (&[0, 0, 0], 1.0, 0.0),
        (&[1, 0, 0], 3.0, 8.0 / 3.0),
        (&[1, 1, 0], 3.0, 8.0 / 3.0),
        (&[2, 0, 0], 6.0, 20.0 / 3.0),
        (&[2, 1, 0], 8.0, 6.0),
        (&[3, 0, 0], 10.0, 12.0),
        (&[3, 1, 0], 15.0, 32.0 / 3.0),
        (&[4, 2, 0], 27.0, 16.0),
    ];
    for (labels, dimension, casimir) in cases {
        let irrep = su3.irrep(labels).unwrap();
        assert_eq!(irrep.dimension(), dimension, "{labels:?}");
        assert!(
            close(irrep.casimir(), casimir, 1e-15),
            "{labels:?}: {}",
            irrep.casimir()
        );
    }
    let dims: Vec<f64> = su3
        .dominant_weights(12.0)
        .unwrap()
        .iter()
        .map(Irrep::dimension)
        .collect();
    assert_eq!(
        dims,
        vec![1.0, 3.0, 3.0, 8.0, 6.0, 6.0, 15.0, 15.0, 10.0, 10.0]
    );
    assert_eq!(su3.weyl_group_order(), 6);
}

#[test]
fn defining_representation_casimir_from_orthonormal_basis() {
    // Σ_a X_a² over an orthonormal basis of the Lie algebra acts on the defining
    // representation as −(n−1)·I for so(n) with ½tr, −n·I for u(n) with Frobenius, and
    // −(n − 1/n)·I for su(n) (remove the central unit vector iI/√n).
    for n in 2..9usize {
        let so = RootSystem::special_orthogonal(n).unwrap();
        let mut labels = vec![0i64; n / 2];
        labels[0] = 1;
        let vector = so.irrep(&labels).unwrap();
        // (for SO(2) the defining representation is reducible: labels ±1, each of
        // dimension 1 and Casimir 1 = n − 1)
        let expected_dimension = if n == 2 { 1.0 } else { n as f64 };
        assert_eq!(vector.dimension(), expected_dimension, "SO({n})");
        assert!(close(vector.casimir(), n as f64 - 1.0, 1e-15), "SO({n})");
        let mut labels = vec![0i64; n];
        labels[0] = 1;
        let u = RootSystem::unitary(n).unwrap();
        let su = RootSystem::special_unitary(n).unwrap();
        assert_eq!(u.irrep(&labels).unwrap().dimension(), n as f64);
        assert!(close(u.irrep(&labels).unwrap().casimir(), n as f64, 1e-15));
        let expected = n as f64 - 1.0 / n as f64;
        assert!(close(su.irrep(&labels).unwrap().casimir(), expected, 1e-15));
    }
}

#[test]
fn so3_so4_so5_known_representations() {
    let so3 = RootSystem::special_orthogonal(3).unwrap();
    for (l, irrep) in so3.dominant_weights(30.0).unwrap().iter().enumerate() {
        assert_eq!(irrep.labels(), &[l as i64]);
        assert_eq!(irrep.dimension(), 2.0 * l as f64 + 1.0);
        assert!(close(irrep.casimir(), (l * (l + 1)) as f64, 1e-15));
    }
    assert_eq!(so3.dominant_weights(30.0).unwrap().len(), 6); // l ≤ 5 (c = 30 included)

    // SO(4) ≅ (S³(√2) × S³(√2))/Z₂: (λ₁, λ₂) = ((a+b)/2, (b−a)/2) has dimension (a+1)(b+1)
    // and Casimir [a(a+2) + b(b+2)]/2.
    let so4 = RootSystem::special_orthogonal(4).unwrap();
    for irrep in so4.dominant_weights(40.0).unwrap() {
        let (l1, l2) = (irrep.labels()[0], irrep.labels()[1]);
        let (a, b) = ((l1 - l2) as f64, (l1 + l2) as f64);
        assert_eq!(irrep.dimension(), (a + 1.0) * (b + 1.0));
        assert!(close(
            irrep.casimir(),
            (a * (a + 2.0) + b * (b + 2.0)) / 2.0,
            1e-15
        ));
    }
    assert!(close(
        so4.volume(),
        (4.0 * 2f64.sqrt() * PI * PI).powi(2) / 2.0,
        1e-14
    ));

    let so5 = RootSystem::special_orthogonal(5).unwrap();
    let first: Vec<(f64, f64)> = so5
        .dominant_weights(12.0)
        .unwrap()
        .iter()
        .map(|i| (i.dimension(), i.casimir()))
        .collect();
    assert_eq!(
        first,
        vec![
            (1.0, 0.0),
            (5.0, 4.0),
            (10.0, 6.0),
            (14.0, 10.0),
            (35.0, 12.0)
        ]
    );
    assert_eq!(so5.weyl_group_order(), 8);
    assert_eq!(
        RootSystem::special_orthogonal(8)
            .unwrap()
            .weyl_group_order(),
        192
    );
}

#[test]
fn unitary_casimirs() {
    let u1 = RootSystem::unitary(1).unwrap();
    for irrep in u1.dominant_weights(26.0).unwrap() {
        let k = irrep.labels()[0] as f64;
        assert_eq!(irrep.casimir(), k * k);
        assert_eq!(irrep.dimension(), 1.0);
    }
    assert_eq!(u1.dominant_weights(26.0).unwrap().len(), 11);
    // U(2): c = (λ₁+½)² + (λ₂−½)² − ½ = λ₁² + λ₂² + λ₁ − λ₂, d = λ₁ − λ₂ + 1.
    let u2 = RootSystem::unitary(2).unwrap();
    let irreps = u2.dominant_weights(20.0).unwrap();
    for irrep in &irreps {
        let (l1, l2) = (irrep.labels()[0] as f64, irrep.labels()[1] as f64);
        assert!(close(irrep.casimir(), l1 * l1 + l2 * l2 + l1 - l2, 1e-15));
        assert_eq!(irrep.dimension(), l1 - l2 + 1.0);
    }
    assert!(irreps.iter().any(|i| i.labels() == [-1, -3]));
}

/// Brute force over a box of labels, filtered by dominance (via `irrep`) and the bound.
fn brute_force(rs: &RootSystem, max_casimir: f64, bound: i64) -> Vec<Vec<i64>> {
    let r = rs.torus_dim();
    let mut out = Vec::new();
    let side = (2 * bound + 1) as usize;
    for index in 0..side.pow(r as u32) {
        let mut rest = index;
        let labels: Vec<i64> = (0..r)
            .map(|_| {
                let v = (rest % side) as i64 - bound;
                rest /= side;
                v
            })
            .collect();
        if matches!(rs.group(), CompactGroup::SpecialUnitary(_)) && labels[r - 1] != 0 {
            continue;
        }
        if let Ok(irrep) = rs.irrep(&labels) {
            if irrep.casimir() <= max_casimir {
                out.push(labels);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn enumeration_matches_brute_force() {
    for (group, max_casimir) in [
        (CompactGroup::SpecialUnitary(3), 40.0),
        (CompactGroup::SpecialUnitary(4), 25.0),
        (CompactGroup::Unitary(3), 30.0),
        (CompactGroup::SpecialOrthogonal(5), 40.0),
        (CompactGroup::SpecialOrthogonal(6), 40.0),
        (CompactGroup::SpecialOrthogonal(7), 30.0),
    ] {
        let rs = RootSystem::new(group).unwrap();
        let mut listed: Vec<Vec<i64>> = rs
            .dominant_weights(max_casimir)
            .unwrap()
            .iter()
            .map(|i| i.labels().to_vec())
            .collect();
        let casimirs: Vec<f64> = rs
            .dominant_weights(max_casimir)
            .unwrap()
            .iter()
            .map(Irrep::casimir)
            .collect();
        assert!(casimirs.windows(2).all(|w| w[0] <= w[1]), "{group:?} order");
        listed.sort();
        // |λ_j| ≤ |λ + ρ| + |ρ| ≤ 2√(c + |ρ|²) + 1 bounds every label.
        let bound = (2.0 * (max_casimir + rs.rho_norm_sq()).sqrt()).ceil() as i64 + 1;
        assert_eq!(listed, brute_force(&rs, max_casimir, bound), "{group:?}");
    }
}

/// Heat trace at the identity from the character expansion, truncated where the tail is
/// below 1e−20 relative: c_max = (2/t)(46 + N ln(2/t · 60)) with N positive roots bounds
/// the neglected Σ d_λ² e^{−c_λ t/2} generously (d_λ² ≤ (1 + c_λ)^N).
fn heat_trace(rs: &RootSystem, t: f64) -> f64 {
    let n_roots = rs.positive_roots().len() as f64;
    let c_max = (2.0 / t) * (46.0 + n_roots * (2.0 / t * 60.0).ln());
    let irreps = rs.dominant_weights(c_max).unwrap();
    // Sum the smallest terms first.
    irreps
        .iter()
        .rev()
        .map(|i| i.dimension().powi(2) * (-i.casimir() * t / 2.0).exp())
        .sum::<f64>()
        / rs.volume()
}

#[test]
fn small_time_heat_trace_matches_path_sum_leading_term() {
    // p_t(e) = (2πt)^{−dim/2} e^{|ρ|² t/2} (1 + R), where R collects the lattice terms
    // γ ≠ 0 of the sum over paths: |R| ≤ poly(|γ|²/t) e^{−|γ|²/(2t)} with |γ|² ≥ 4π², i.e.
    // < 1e−30 for t ≤ 0.2. Rounding: ≤ 1e−13 relative (positive sum of ≲ 10^6 terms; Casimirs
    // to a few ε, so c·t/2 ≲ 300 loses ≲ 300ε in each exponential). Measured ≤ 3.3e−15.
    // This checks dimensions, Casimirs, |ρ|² and Vol(G) together.
    for group in all_groups() {
        let rs = RootSystem::new(group).unwrap();
        for t in [0.05, 0.1, 0.2] {
            let series = heat_trace(&rs, t);
            let dim = rs.group_dim() as f64;
            let leading = (2.0 * PI * t).powf(-dim / 2.0) * (rs.rho_norm_sq() * t / 2.0).exp();
            let relative = (series / leading - 1.0).abs();
            eprintln!("heat trace {group:?} t={t}: relative error {relative:.2e}");
            assert!(
                relative < 1e-12,
                "{group:?} t={t}: relative error {relative:e}"
            );
        }
    }
}

#[test]
fn heat_trace_matches_closed_forms_at_all_times() {
    // SU(2) = S³(√2): p_t(e) = (2πt)^{−3/2} e^{t/4} Σ_k (1 − 8π²k²/t) e^{−4π²k²/t}.
    // U(1): p_t(e) = (2πt)^{−1/2} Σ_k e^{−2π²k²/t} (Poisson summation).
    let su2 = RootSystem::special_unitary(2).unwrap();
    let u1 = RootSystem::unitary(1).unwrap();
    for t in [0.1, 0.3, 1.0, 3.0, 10.0] {
        let sum_k = |f: &dyn Fn(f64) -> f64| (-30..=30).map(|k| f(k as f64)).sum::<f64>();
        let su2_closed = (2.0 * PI * t).powf(-1.5)
            * (t / 4.0).exp()
            * sum_k(&|k| (1.0 - 8.0 * PI * PI * k * k / t) * (-4.0 * PI * PI * k * k / t).exp());
        let u1_closed = (2.0 * PI * t).powf(-0.5) * sum_k(&|k| (-2.0 * PI * PI * k * k / t).exp());
        for (rs, closed) in [(&su2, su2_closed), (&u1, u1_closed)] {
            let relative = (heat_trace(rs, t) / closed - 1.0).abs();
            eprintln!(
                "closed form {:?} t={t}: relative error {relative:.2e}",
                rs.group()
            );
            assert!(relative < 1e-13, "{:?} t={t}: {relative:e}", rs.group());
        }
    }
}

/// All Weyl group elements as (permutation σ, signs s, ε(w) = det w), acting by
/// (wμ)_{σ(j)} = s_j μ_j.
fn weyl_group(rs: &RootSystem) -> Vec<(Vec<usize>, Vec<f64>, f64)> {
    let r = rs.torus_dim();
    let mut permutations: Vec<(Vec<usize>, f64)> = Vec::new();
    fn permute(prefix: &mut Vec<usize>, r: usize, out: &mut Vec<(Vec<usize>, f64)>) {
        if prefix.len() == r {
            let mut inversions = 0;
            for i in 0..r {
                for j in i + 1..r {
                    if prefix[i] > prefix[j] {
                        inversions += 1;
                    }
                }
            }
            out.push((prefix.clone(), if inversions % 2 == 0 { 1.0 } else { -1.0 }));
            return;
        }
        for v in 0..r {
            if !prefix.contains(&v) {
                prefix.push(v);
                permute(prefix, r, out);
                prefix.pop();
            }
        }
    }
    permute(&mut Vec::new(), r, &mut permutations);
    let (sign_flips, even_only) = match rs.group() {
        CompactGroup::SpecialOrthogonal(n) => (true, n % 2 == 0),
        _ => (false, false),
    };
    let mut out = Vec::new();
    for (sigma, sign) in permutations {
        let patterns = if sign_flips { 1usize << r } else { 1 };
        for pattern in 0..patterns {
            let minus = pattern.count_ones() as usize;
            if even_only && minus % 2 == 1 {
                continue;
            }
            let signs: Vec<f64> = (0..r)
                .map(|j| if pattern >> j & 1 == 1 { -1.0 } else { 1.0 })
                .collect();
            let det = if even_only || minus % 2 == 0 {
                sign
            } else {
                -sign
            };
            out.push((sigma.clone(), signs, det));
        }
    }
    assert_eq!(out.len() as u64, rs.weyl_group_order());
    out
}

fn alternating_sum(w: &[(Vec<usize>, Vec<f64>, f64)], mu: &[f64], h: &[f64]) -> Complex64 {
    w.iter()
        .map(|(sigma, signs, det)| {
            let phase: f64 = (0..mu.len()).map(|j| signs[j] * mu[j] * h[sigma[j]]).sum();
            Complex64::cis(phase) * *det
        })
        .sum()
}

#[test]
fn character_matches_direct_weyl_formula_and_dimension() {
    // Direct formula: rounding ≈ ε·|W|·(1 + |A_{λ+ρ}|)/|A_ρ|; points with |A_ρ| < 0.3 skipped.
    let mut rng = SplitMix(7);
    let mut worst: f64 = 0.0;
    for group in all_groups() {
        let rs = RootSystem::new(group).unwrap();
        let w = weyl_group(&rs);
        for irrep in rs.dominant_weights(30.0).unwrap() {
            let at_identity = rs.character(&irrep, &vec![0.0; rs.torus_dim()]).unwrap();
            let d = irrep.dimension();
            assert!(
                (at_identity - d).norm() <= 4e-15 * d * d.max(4.0),
                "{group:?} {:?}: χ(0) = {at_identity} vs {d}",
                irrep.labels()
            );
            let mu: Vec<f64> = irrep
                .weight()
                .iter()
                .zip(rs.rho())
                .map(|(a, b)| a + b)
                .collect();
            let mut tested = 0;
            while tested < 5 {
                let h = random_torus_point(&rs, &mut rng);
                let denominator = alternating_sum(&w, rs.rho(), &h);
                if denominator.norm() < 0.3 {
                    continue;
                }
                tested += 1;
                let direct = alternating_sum(&w, &mu, &h) / denominator;
                let ours = rs.character(&irrep, &h).unwrap();
                let error = (ours - direct).norm() / d;
                worst = worst.max(error);
                assert!(
                    error < 1e-12,
                    "{group:?} {:?} at {h:?}: {ours} vs {direct}",
                    irrep.labels()
                );
            }
        }
    }
    eprintln!("worst |χ − χ_direct|/d over generic points: {worst:e}");
}

#[test]
fn character_is_stable_near_singular_points() {
    // Near H₀ (singular), |χ(H₀ + δv) − χ(H₀)| ≤ Σ_ν m_ν |⟨ν, δv⟩| ≤ d_λ |λ| |δv| (weights ν
    // have |ν| ≤ |λ|), and at H₀ = 0 the first-order term vanishes by Weyl symmetry:
    // |χ(δv) − d_λ| ≤ ½ d_λ |λ|² |δv|². A naive ratio of alternating sums loses all digits
    // here (denominator ~ δ^N).
    let mut rng = SplitMix(11);
    let mut worst: f64 = 0.0;
    for group in all_groups() {
        let rs = RootSystem::new(group).unwrap();
        let r = rs.torus_dim();
        for irrep in rs.dominant_weights(25.0).unwrap() {
            let d = irrep.dimension();
            let lambda = rs.norm_sq(irrep.weight()).sqrt();
            for delta in [1e-4, 1e-7, 1e-10] {
                let mut v: Vec<f64> = (0..r).map(|_| rng.uniform() - 0.5).collect();
                if matches!(group, CompactGroup::SpecialUnitary(_)) {
                    let mean = v.iter().sum::<f64>() / r as f64;
                    v.iter_mut().for_each(|x| *x -= mean);
                }
                let norm = rs.norm_sq(&v).sqrt();
                let h: Vec<f64> = v.iter().map(|x| x * delta / norm).collect();
                let chi = rs.character(&irrep, &h).unwrap();
                let central = matches!(
                    group,
                    CompactGroup::Unitary(_) | CompactGroup::SpecialOrthogonal(2)
                );
                if delta == 1e-10 && !central {
                    worst = worst.max((chi - d).norm() / d);
                }
                // U(n) and SO(2) have a centre: then the first-order term d⟨λ̄, δv⟩ survives.
                let first_order = if central { d * lambda * delta } else { 0.0 };
                let bound = first_order
                    + 0.5 * d * lambda * lambda * delta * delta
                    + 4e-15 * d * d.max(4.0);
                assert!(
                    (chi - d).norm() <= bound,
                    "{group:?} {:?} δ={delta}",
                    irrep.labels()
                );
                // A singular non-identity point: first two coordinates equal (A, B, D), plus δ.
                if r >= 2 {
                    let mut h0 = random_torus_point(&rs, &mut rng);
                    h0[1] = h0[0];
                    if matches!(group, CompactGroup::SpecialUnitary(_)) {
                        let sum: f64 = h0[..r - 1].iter().sum();
                        h0[r - 1] = -sum;
                    }
                    let mut h1 = h0.clone();
                    h1[0] += delta;
                    h1[1] -= delta;
                    let a = rs.character(&irrep, &h0).unwrap();
                    let b = rs.character(&irrep, &h1).unwrap();
                    let bound = d * lambda * delta * 2f64.sqrt() + 1e-13 * d * d.max(4.0);
                    assert!(
                        (a - b).norm() <= bound,
                        "{group:?} {:?} δ={delta}",
                        irrep.labels()
                    );
                }
            }
        }
    }
    eprintln!("worst |χ(δv) − d|/d at δ = 1e-10, centre-free groups (rounding only): {worst:e}");
}

#[test]
fn lattice_points_match_brute_force() {
    let mut rng = SplitMix(3);
    for group in [
        CompactGroup::SpecialUnitary(3),
        CompactGroup::Unitary(2),
        CompactGroup::SpecialOrthogonal(5),
        CompactGroup::SpecialOrthogonal(6),
    ] {
        let rs = RootSystem::new(group).unwrap();
        let r = rs.torus_dim();
        for radius in [0.0, 3.0, 10.0, 20.0] {
            let h = random_torus_point(&rs, &mut rng);
            let listed = rs.lattice_points(&h, radius).unwrap();
            let norms: Vec<f64> = listed
                .iter()
                .map(|g| g.iter().zip(&h).map(|(a, b)| (a + b).powi(2)).sum::<f64>())
                .collect();
            assert!(norms.windows(2).all(|w| w[0] <= w[1]));
            let bound = 5i64;
            let side = (2 * bound + 1) as usize;
            let mut count = 0;
            for index in 0..side.pow(r as u32) {
                let mut rest = index;
                let k: Vec<i64> = (0..r)
                    .map(|_| {
                        let v = (rest % side) as i64 - bound;
                        rest /= side;
                        v
                    })
                    .collect();
                if matches!(group, CompactGroup::SpecialUnitary(_)) && k.iter().sum::<i64>() != 0 {
                    continue;
                }
                let norm: f64 = k
                    .iter()
                    .zip(&h)
                    .map(|(&k, x)| (x + 2.0 * PI * k as f64).powi(2))
                    .sum();
                if norm <= radius * radius {
                    count += 1;
                    let gamma: Vec<f64> = k.iter().map(|&k| 2.0 * PI * k as f64).collect();
                    assert!(listed.contains(&gamma), "{group:?} missing {k:?}");
                }
            }
            assert_eq!(count, listed.len(), "{group:?} radius {radius}");
        }
    }
}

#[test]
fn bad_input_is_rejected() {
    let su3 = RootSystem::special_unitary(3).unwrap();
    let so5 = RootSystem::special_orthogonal(5).unwrap();
    let fundamental = su3.irrep(&[1, 0, 0]).unwrap();
    assert!(su3.character(&fundamental, &[0.1, 0.2]).is_err());
    assert!(su3.character(&fundamental, &[f64::NAN, 0.0, 0.0]).is_err());
    assert!(su3.character(&fundamental, &[0.1, 0.2, 0.3]).is_err());
    assert!(su3.character(&fundamental, &[2.0 * PI, 0.0, 0.0]).is_ok());
    assert!(so5.character(&fundamental, &[0.1, 0.2]).is_err());
    assert!(su3.dominant_weights(f64::NAN).is_err());
    assert!(su3.dominant_weights(-1.0).is_err());
    assert!(su3.dominant_weights(1e12).is_err());
    assert!(su3.lattice_points(&[0.0, 0.0, 0.0], -1.0).is_err());
    assert!(su3.lattice_points(&[0.0, 0.0, 0.0], 1e9).is_err());
    assert!(su3.irrep(&[1, 0]).is_err());
}

#[test]
fn characters_are_orthonormal_under_weyl_integration() {
    // Weyl integration: ∫_G f = (1/|W|) ∫_T f |Δ|² for class functions, with normalised Haar
    // measures and |Δ(e^H)|² = ∏_{α>0} 4 sin²(α(H)/2). The integrand χ_λ χ̄_μ |Δ|² is a
    // trigonometric polynomial with integer frequencies below `grid`/2 in each coordinate, so
    // the uniform-grid mean is exact up to rounding. For SU(n) the torus is parametrised by
    // θ_1..θ_{n−1} ∈ [0, 2π) with θ_n = −Σθ_j (Γ is 2πZ^{n−1} in these coordinates).
    for (group, max_casimir, grid) in [
        (CompactGroup::SpecialUnitary(3), 12.0, 32usize),
        (CompactGroup::Unitary(2), 6.0, 24),
        (CompactGroup::SpecialOrthogonal(4), 10.0, 24),
        (CompactGroup::SpecialOrthogonal(5), 12.0, 24),
        (CompactGroup::SpecialOrthogonal(6), 10.0, 16),
    ] {
        let rs = RootSystem::new(group).unwrap();
        let irreps = rs.dominant_weights(max_casimir).unwrap();
        let r = rs.torus_dim();
        let free = if matches!(group, CompactGroup::SpecialUnitary(_)) {
            r - 1
        } else {
            r
        };
        let count = irreps.len();
        let mut gram = vec![Complex64::new(0.0, 0.0); count * count];
        let points = grid.pow(free as u32);
        for index in 0..points {
            let mut rest = index;
            let mut h: Vec<f64> = (0..free)
                .map(|_| {
                    let v = 2.0 * PI * (rest % grid) as f64 / grid as f64;
                    rest /= grid;
                    v
                })
                .collect();
            if free < r {
                h.push(-h.iter().sum::<f64>());
            }
            let weight: f64 = rs
                .positive_roots()
                .iter()
                .map(|alpha| 4.0 * (0.5 * rs.inner(alpha, &h)).sin().powi(2))
                .product();
            let chis: Vec<Complex64> = irreps
                .iter()
                .map(|i| rs.character(i, &h).unwrap())
                .collect();
            for a in 0..count {
                for b in 0..count {
                    gram[a * count + b] += chis[a] * chis[b].conj() * weight;
                }
            }
        }
        let normalisation = 1.0 / (points as f64 * rs.weyl_group_order() as f64);
        for a in 0..count {
            for b in 0..count {
                let value = gram[a * count + b] * normalisation;
                let expected = if a == b { 1.0 } else { 0.0 };
                assert!(
                    (value - expected).norm() < 1e-12,
                    "{group:?} {:?} {:?}: {value}",
                    irreps[a].labels(),
                    irreps[b].labels()
                );
            }
        }
    }
}

#[test]
fn character_expansion_matches_sum_over_paths() {
    // DESIGN.md's sum over paths, with Γ = ker(exp) ∩ t from `lattice_points` and no extra
    // constant for densities w.r.t. Riemannian volume:
    //   p_t(e^H) = (2πt)^{−dim/2} e^{|ρ|²t/2} Σ_γ ∏_{α>0} [α(H+γ)/2 / sin(α(H+γ)/2)] e^{−|H+γ|²/(2t)},
    // against Σ_λ d_λ χ_λ(e^H) e^{−c_λ t/2} / Vol(G). Points with min_α |sin(α(H)/2)| < 0.2
    // are skipped (the path sum then needs the confluent limit). Truncations: character
    // tail as in `heat_trace`; paths with |H+γ|² > 200t contribute < e^{−100}·(R/0.4)^N.
    let mut rng = SplitMix(19);
    let mut worst: f64 = 0.0;
    for group in [
        CompactGroup::SpecialUnitary(2),
        CompactGroup::SpecialUnitary(3),
        CompactGroup::Unitary(1),
        CompactGroup::Unitary(2),
        CompactGroup::SpecialOrthogonal(2),
        CompactGroup::SpecialOrthogonal(3),
        CompactGroup::SpecialOrthogonal(4),
        CompactGroup::SpecialOrthogonal(5),
        CompactGroup::SpecialOrthogonal(6),
    ] {
        let rs = RootSystem::new(group).unwrap();
        let n_roots = rs.positive_roots().len() as f64;
        let dim = rs.group_dim() as f64;
        for t in [0.2f64, 1.0, 3.0] {
            let c_max = (2.0 / t) * (46.0 + n_roots * (2.0 / t * 60.0).ln());
            let irreps = rs.dominant_weights(c_max).unwrap();
            let trace: f64 = irreps
                .iter()
                .map(|i| i.dimension().powi(2) * (-i.casimir() * t / 2.0).exp())
                .sum();
            let mut tested = 0;
            while tested < 3 {
                let h = random_torus_point(&rs, &mut rng);
                let min_sin = rs
                    .positive_roots()
                    .iter()
                    .map(|alpha| (0.5 * rs.inner(alpha, &h)).sin().abs())
                    .fold(f64::INFINITY, f64::min);
                if min_sin < 0.2 {
                    continue;
                }
                tested += 1;
                let expansion: f64 = irreps
                    .iter()
                    .rev()
                    .map(|i| {
                        i.dimension()
                            * rs.character(i, &h).unwrap().re
                            * (-i.casimir() * t / 2.0).exp()
                    })
                    .sum::<f64>()
                    / rs.volume();
                let paths: f64 = rs
                    .lattice_points(&h, (200.0 * t).sqrt())
                    .unwrap()
                    .iter()
                    .rev()
                    .map(|gamma| {
                        let x: Vec<f64> = h.iter().zip(gamma).map(|(a, b)| a + b).collect();
                        let van_vleck: f64 = rs
                            .positive_roots()
                            .iter()
                            .map(|alpha| {
                                let half = 0.5 * rs.inner(alpha, &x);
                                half / half.sin()
                            })
                            .product();
                        van_vleck * (-rs.norm_sq(&x) / (2.0 * t)).exp()
                    })
                    .sum::<f64>()
                    * (2.0 * PI * t).powf(-dim / 2.0)
                    * (rs.rho_norm_sq() * t / 2.0).exp();
                // The expansion sums terms of size ≤ d_λ² e^{−c_λ t/2}/Vol, so its rounding
                // error is relative to p_t(e) = Σ d_λ² e^{−c_λ t/2}/Vol (far from e, p_t is
                // many orders smaller than its terms at small t): ≲ 1e−13·p_t(e) given the
                // measured 3e−14·d_λ character accuracy.
                let scale = trace / rs.volume();
                let relative = (expansion - paths).abs() / scale;
                worst = worst.max(relative);
                assert!(
                    relative < 1e-12,
                    "{group:?} t={t} H={h:?}: expansion {expansion} vs paths {paths}"
                );
            }
        }
    }
    eprintln!("worst |expansion − paths| / p_t(e) at generic points: {worst:e}");
}

/// 8th-order central difference of `f` at `h` along `v` with step `delta`.
fn central_difference(
    f: &dyn Fn(&[f64]) -> Complex64,
    h: &[f64],
    v: &[f64],
    delta: f64,
) -> Complex64 {
    let at = |s: f64| -> Complex64 {
        let p: Vec<f64> = h.iter().zip(v).map(|(x, d)| x + s * d).collect();
        f(&p)
    };
    let coefficients = [4.0 / 5.0, -1.0 / 5.0, 4.0 / 105.0, -1.0 / 280.0];
    coefficients
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let s = (i + 1) as f64 * delta;
            (at(s) - at(-s)) * *c
        })
        .sum::<Complex64>()
        / delta
}

/// Coordinate direction `e_j`, projected onto `Σ = 0` for SU(n).
fn coordinate_direction(rs: &RootSystem, j: usize) -> Vec<f64> {
    let r = rs.torus_dim();
    let mut v = vec![0.0; r];
    v[j] = 1.0;
    if matches!(rs.group(), CompactGroup::SpecialUnitary(_)) {
        v.iter_mut().for_each(|x| *x -= 1.0 / r as f64);
    }
    v
}

#[test]
fn character_gradient_matches_central_differences_at_random_and_singular_points() {
    // χ is a trigonometric polynomial with frequencies |ν_j| ≤ |λ|_∞ + |ρ|_∞ =: F, so
    // |∂⁹χ| ≤ d F⁹ and the 8th-order difference with δ = 1e−3 has truncation ≤ δ⁸ d F⁹/630 and
    // rounding ≈ 1.5·3e−14 d/δ (characters to 3e−14 d_λ): < 1e−10·d for F ≤ 8. Singular points:
    // the identity, two equal angles, and (SO) a zero angle.
    let mut rng = SplitMix(41);
    let mut worst: f64 = 0.0;
    for group in all_groups() {
        let rs = RootSystem::new(group).unwrap();
        let r = rs.torus_dim();
        for irrep in rs.dominant_weights(20.0).unwrap() {
            let d = irrep.dimension();
            let chi = |p: &[f64]| rs.character(&irrep, p).unwrap();
            let mut points = vec![vec![0.0; r], random_torus_point(&rs, &mut rng)];
            let mut wall = random_torus_point(&rs, &mut rng);
            if r >= 2 {
                wall[1] = wall[0];
                if matches!(group, CompactGroup::SpecialUnitary(_)) {
                    let sum: f64 = wall[..r - 1].iter().sum();
                    wall[r - 1] = -sum;
                }
            } else {
                wall[0] = 0.0;
            }
            points.push(wall);
            if matches!(group, CompactGroup::SpecialOrthogonal(_)) {
                let mut zero_angle = random_torus_point(&rs, &mut rng);
                zero_angle[r - 1] = 0.0;
                points.push(zero_angle);
            }
            for h in points {
                let (value, gradient) = rs.character_with_gradient(&irrep, &h).unwrap();
                // Same numbers, different determinant algorithm for r ≤ 3 (explicit vs LU):
                // both within the characters' measured 3.2e−14·d_λ.
                let difference = (value - chi(&h)).norm();
                assert!(difference <= 1e-13 * d, "{group:?} value {difference:e}");
                for j in 0..r {
                    let v = coordinate_direction(&rs, j);
                    let numeric = central_difference(&chi, &h, &v, 1e-3);
                    let analytic: Complex64 = gradient.iter().zip(&v).map(|(g, x)| g * x).sum();
                    let error = (numeric - analytic).norm() / d;
                    worst = worst.max(error);
                    assert!(
                        error < 1e-10,
                        "{group:?} {:?} at {h:?}, j={j}: {analytic} vs {numeric}",
                        irrep.labels()
                    );
                }
            }
        }
    }
    eprintln!("worst |∂χ analytic − central difference| / d_λ: {worst:e}");
}

#[test]
fn character_gradient_matches_direct_weyl_formula() {
    // ∂_j of the direct ratio A_{λ+ρ}/A_ρ: ∂A_μ = Σ_w ε(w) i (wμ)_j e^{i⟨wμ, H⟩}, quotient rule;
    // rounding ≈ ε|W|(1+|μ|)(|A_μ| + |χ||A_ρ|)/|A_ρ|², so points with |A_ρ| < 0.3 are skipped.
    let mut rng = SplitMix(43);
    let mut worst: f64 = 0.0;
    for group in all_groups() {
        let rs = RootSystem::new(group).unwrap();
        let w = weyl_group(&rs);
        let r = rs.torus_dim();
        let derivative = |mu: &[f64], h: &[f64], j: usize| -> Complex64 {
            // Σ_w ε(w) i (wμ)_j e^{i⟨wμ,H⟩} with (wμ)_{σ(k)} = s_k μ_k.
            w.iter()
                .map(|(sigma, signs, det)| {
                    let phase: f64 = (0..r).map(|k| signs[k] * mu[k] * h[sigma[k]]).sum();
                    let component: f64 = (0..r)
                        .filter(|&k| sigma[k] == j)
                        .map(|k| signs[k] * mu[k])
                        .sum();
                    Complex64::new(0.0, component) * Complex64::cis(phase) * *det
                })
                .sum()
        };
        for irrep in rs.dominant_weights(25.0).unwrap() {
            let mu: Vec<f64> = irrep
                .weight()
                .iter()
                .zip(rs.rho())
                .map(|(a, b)| a + b)
                .collect();
            let mut tested = 0;
            while tested < 3 {
                let h = random_torus_point(&rs, &mut rng);
                let denominator = alternating_sum(&w, rs.rho(), &h);
                if denominator.norm() < 0.3 {
                    continue;
                }
                tested += 1;
                let numerator = alternating_sum(&w, &mu, &h);
                let mut direct: Vec<Complex64> = (0..r)
                    .map(|j| {
                        (derivative(&mu, &h, j) * denominator
                            - numerator * derivative(rs.rho(), &h, j))
                            / (denominator * denominator)
                    })
                    .collect();
                if matches!(group, CompactGroup::SpecialUnitary(_)) {
                    let mean = direct.iter().sum::<Complex64>() / r as f64;
                    direct.iter_mut().for_each(|g| *g -= mean);
                }
                let (_, ours) = rs.character_with_gradient(&irrep, &h).unwrap();
                let scale = irrep.dimension() * (1.0 + rs.norm_sq(&mu).sqrt());
                for j in 0..r {
                    let error = (ours[j] - direct[j]).norm() / scale;
                    worst = worst.max(error);
                    assert!(
                        error < 1e-12,
                        "{group:?} {:?} at {h:?} j={j}: {} vs {}",
                        irrep.labels(),
                        ours[j],
                        direct[j]
                    );
                }
            }
        }
    }
    eprintln!("worst |∂χ − ∂χ_direct| / (d_λ(1+|λ+ρ|)): {worst:e}");
}

#[test]
fn character_gradient_rejects_bad_input() {
    let su3 = RootSystem::special_unitary(3).unwrap();
    let so5 = RootSystem::special_orthogonal(5).unwrap();
    let fundamental = su3.irrep(&[1, 0, 0]).unwrap();
    assert!(su3
        .character_with_gradient(&fundamental, &[0.1, 0.2])
        .is_err());
    assert!(su3
        .character_with_gradient(&fundamental, &[0.1, 0.2, 0.3])
        .is_err());
    assert!(su3
        .character_with_gradient(&fundamental, &[f64::NAN, 0.0, 0.0])
        .is_err());
    assert!(so5
        .character_with_gradient(&fundamental, &[0.1, 0.2])
        .is_err());
}
