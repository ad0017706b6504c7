//! Fixtures shared by the tests that read the mpmath reference values of `reference_data/`
//! (see its README for the files and how they were computed).

#![allow(dead_code)]

use riemannian_diffusion::heat_kernel::{GroupHeatKernel, KernelMethod};
use riemannian_diffusion::manifold::{SpecialOrthogonal, SpecialUnitary, Unitary};

/// The rows of `reference_data/<name>` after its header, as numbers (an empty field reads 0).
///
/// # Panics
/// If the file is missing or a field is not a number (the reference data are part of the
/// repository: regenerate them with the scripts next to them).
pub fn read_csv(name: &str) -> Vec<Vec<f64>> {
    let path = format!("{}/reference_data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (regenerate it with the scripts in reference_data/)")
    });
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            l.split(',')
                .map(|s| {
                    if s.trim().is_empty() {
                        0.0
                    } else {
                        s.trim().parse().unwrap()
                    }
                })
                .collect()
        })
        .collect()
}

/// The groups of the reference files `group_heat_kernel_<name>.csv`.
pub const GROUPS: [&str; 5] = ["so3", "so4", "su2", "su3", "u2"];

/// The heat kernel of the group of reference file `name` with `method`.
///
/// # Panics
/// For a name outside [`GROUPS`].
pub fn group_kernel(name: &str, method: KernelMethod) -> GroupHeatKernel {
    match name {
        "so3" => GroupHeatKernel::new(SpecialOrthogonal::new(3).unwrap(), method),
        "so4" => GroupHeatKernel::new(SpecialOrthogonal::new(4).unwrap(), method),
        "su2" => GroupHeatKernel::new(SpecialUnitary::new(2).unwrap(), method),
        "su3" => GroupHeatKernel::new(SpecialUnitary::new(3).unwrap(), method),
        "u2" => GroupHeatKernel::new(Unitary::new(2).unwrap(), method),
        _ => unreachable!("no reference file for {name}"),
    }
    .unwrap()
}

/// The torus coordinates of a reference row's angles (the table of `reference_data/README.md`:
/// SU(2) and SU(3) rows list the free angles, the last one is minus their sum).
pub fn torus_point(name: &str, a: &[f64]) -> Vec<f64> {
    match name {
        "su2" => vec![a[0], -a[0]],
        "su3" => vec![a[0], a[1], -(a[0] + a[1])],
        _ => a.to_vec(),
    }
}
