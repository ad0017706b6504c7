//! `rdiff kernel` through the built binary: values identical to the library's, the output
//! format, streaming over several chunks, and the failure policy (line numbers, earlier results
//! kept, atomic output file, usage errors).

use riemannian_diffusion::heat_kernel::{
    GroupHeatKernel, HeatKernel, KernelMethod, SphereHeatKernel,
};
use riemannian_diffusion::manifold::{SpecialOrthogonal, SpecialUnitary, Sphere};
#[path = "common/cli_fixtures.rs"]
mod cli_fixtures;

use cli_fixtures::{assert_clean_failure, rdiff_with_stdin, text, TempDir};
use std::io::Write;
use std::process::{Command, Output, Stdio};

/// Runs `rdiff kernel <args>` with `stdin` piped in.
fn kernel(args: &[&str], stdin: &[u8]) -> Output {
    let mut all = vec!["kernel"];
    all.extend_from_slice(args);
    rdiff_with_stdin(&all, stdin)
}

/// One CSV line `x0,x` with round-trip formatting.
fn csv_line(x0: &[f64], x: &[f64]) -> String {
    let fields: Vec<String> = x0.iter().chain(x).map(|v| format!("{v:e}")).collect();
    fields.join(",") + "\n"
}

/// One output row: log p, terms, estimator, error estimate, score.
type OutputRow = (f64, usize, String, f64, Vec<f64>);

/// Parses the output: (header, rows).
fn parse_output(stdout: &str) -> (String, Vec<OutputRow>) {
    let mut lines = stdout.lines();
    let header = lines.next().expect("a header line").to_string();
    let rows = lines
        .map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let log_p = fields[0].parse().unwrap();
            let terms = fields[1].parse().unwrap();
            let estimator = fields[2].to_string();
            let error_estimate = fields[3].parse().unwrap();
            let score = fields[4..].iter().map(|v| v.parse().unwrap()).collect();
            (log_p, terms, estimator, error_estimate, score)
        })
        .collect();
    (header, rows)
}

fn header(k: usize) -> String {
    let mut h = String::from("log_p,terms,estimator,error_estimate");
    for i in 0..k {
        h.push_str(&format!(",score_{i}"));
    }
    h
}

/// Asserts that every output row equals (bitwise) the library's evaluation of the input pair.
fn assert_matches_library(
    kernel: &dyn HeatKernel,
    pairs: &[(Vec<f64>, Vec<f64>)],
    t: f64,
    output: &Output,
) {
    assert!(output.status.success(), "{}", text(&output.stderr));
    let k = pairs[0].0.len();
    let (head, rows) = parse_output(&text(&output.stdout));
    assert_eq!(head, header(k));
    assert_eq!(rows.len(), pairs.len());
    for ((x0, x), (log_p, terms, estimator, error_estimate, score)) in pairs.iter().zip(&rows) {
        let mut expected = vec![0.0; k];
        let e = kernel.score(x0, x, t, &mut expected).unwrap();
        // The output's shortest round-trip numbers read back to the same f64 (−0 prints as 0).
        assert_eq!(*log_p, e.log_prob, "x = {x:?}");
        assert_eq!(*terms, e.terms, "x = {x:?}");
        assert_eq!(*estimator, e.estimator.name(), "x = {x:?}");
        assert_eq!(*error_estimate, e.error_estimate, "x = {x:?}");
        assert_eq!(score, &expected, "x = {x:?}");
    }
}

fn sphere_point(theta: f64, phi: f64) -> Vec<f64> {
    vec![
        theta.sin() * phi.cos(),
        theta.sin() * phi.sin(),
        theta.cos(),
    ]
}

#[test]
fn sphere_values_equal_the_library_from_stdin() {
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = [0.0, 1e-3, 0.4, 1.3, 2.5, 3.1]
        .iter()
        .enumerate()
        .map(|(i, &theta)| {
            (
                sphere_point(0.2, 0.1 * i as f64),
                sphere_point(0.2 + theta, 0.1 * i as f64),
            )
        })
        .collect();
    let input: String = pairs.iter().map(|(a, b)| csv_line(a, b)).collect();
    let library = SphereHeatKernel::new(Sphere::new(2).unwrap(), KernelMethod::Auto);
    for t in [0.01, 0.3, 2.0] {
        let output = kernel(
            &["--manifold", "sphere:2", "--t", &t.to_string()],
            input.as_bytes(),
        );
        assert_matches_library(&library, &pairs, t, &output);
    }
    // An explicit method goes to the same estimator as the library's.
    let library = SphereHeatKernel::new(Sphere::new(2).unwrap(), KernelMethod::Varadhan);
    let output = kernel(
        &[
            "--manifold",
            "sphere:2",
            "--t",
            "0.05",
            "--method",
            "varadhan",
        ],
        input.as_bytes(),
    );
    assert_matches_library(&library, &pairs, 0.05, &output);
}

/// Rotation by `angle` about the unit `axis` (Rodrigues), row-major.
fn rotation(axis: [f64; 3], angle: f64) -> Vec<f64> {
    let [x, y, z] = axis;
    let (s, c) = angle.sin_cos();
    let v = 1.0 - c;
    vec![
        c + x * x * v,
        x * y * v - z * s,
        x * z * v + y * s,
        y * x * v + z * s,
        c + y * y * v,
        y * z * v - x * s,
        z * x * v - y * s,
        z * y * v + x * s,
        c + z * z * v,
    ]
}

fn matmul3(a: &[f64], b: &[f64]) -> Vec<f64> {
    let mut c = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            c[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * b[k * 3 + j]).sum();
        }
    }
    c
}

#[test]
fn so3_values_equal_the_library_from_a_file() {
    let dir = TempDir::new();
    let axis = [0.48, 0.6, 0.64]; // unit
    let x0 = rotation([0.0, 0.0, 1.0], 0.3);
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = [0.0, 0.2, 1.0, 2.0, 3.0]
        .iter()
        .map(|&angle| (x0.clone(), matmul3(&x0, &rotation(axis, angle))))
        .collect();
    let file = dir.path("so3.csv");
    let input: String = pairs.iter().map(|(a, b)| csv_line(a, b)).collect();
    std::fs::write(&file, format!("# SO(3) pairs\n{input}")).unwrap();
    let t = 0.5;
    let library =
        GroupHeatKernel::new(SpecialOrthogonal::new(3).unwrap(), KernelMethod::Auto).unwrap();
    let output = kernel(&["--manifold", "so:3", "--t", "0.5", "--input", &file], b"");
    assert_matches_library(&library, &pairs, t, &output);
}

#[test]
fn su3_has_eighteen_score_columns() {
    // x0 = the cyclic permutation matrix (det 1), x = x0 · diag(e^{ia}, e^{ib}, e^{−i(a+b)}).
    let (a, b): (f64, f64) = (0.7, -0.2);
    let phases = [a, b, -(a + b)];
    let mut x0 = vec![0.0; 18];
    let mut x = vec![0.0; 18];
    for i in 0..3 {
        let j = (i + 1) % 3;
        x0[2 * (3 * i + j)] = 1.0;
        x[2 * (3 * i + j)] = phases[j].cos();
        x[2 * (3 * i + j) + 1] = phases[j].sin();
    }
    let input = csv_line(&x0, &x) + &csv_line(&x0, &x0);
    let output = kernel(
        &["--manifold", "su:3", "--t", "0.2", "--method", "paths"],
        input.as_bytes(),
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let mut lines = stdout.lines();
    assert_eq!(lines.next().unwrap(), header(18));
    for line in lines {
        assert_eq!(line.split(',').count(), 22, "{line}");
    }
    let library =
        GroupHeatKernel::new(SpecialUnitary::new(3).unwrap(), KernelMethod::SumOverPaths).unwrap();
    let pairs = [(x0.clone(), x), (x0.clone(), x0)];
    assert_matches_library(&library, &pairs, 0.2, &output);
    // The default method is the group's Auto.
    let output = kernel(&["--manifold", "su:3", "--t", "0.2"], input.as_bytes());
    let library =
        GroupHeatKernel::new(SpecialUnitary::new(3).unwrap(), KernelMethod::Auto).unwrap();
    assert_matches_library(&library, &pairs, 0.2, &output);
}

/// torus:1 lines: good, comment, good, blank, good, bad (line 6), good.
#[test]
fn a_bad_line_names_its_number_and_keeps_the_earlier_results() {
    let dir = TempDir::new();
    let out = dir.path("out.csv");
    let input = "0.1,0.2\n# comment\n1,2\n\n3,3.5\n0.5,abc\n1,1\n";
    let output = kernel(
        &["--manifold", "torus:1", "--t", "0.5", "--output", &out],
        input.as_bytes(),
    );
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("<stdin>:6:") && stderr.contains("\"abc\"") && stderr.contains("field 2"),
        "{stderr}"
    );
    assert!(stderr.contains("3 earlier data line(s)"), "{stderr}");
    let written = std::fs::read_to_string(&out).unwrap();
    let (head, rows) = parse_output(&written);
    assert_eq!(head, header(1));
    assert_eq!(rows.len(), 3, "{written}");
    // To standard output: the same three lines, flushed before the error.
    let output = kernel(&["--manifold", "torus:1", "--t", "0.5"], input.as_bytes());
    assert_clean_failure(&output);
    assert_eq!(text(&output.stdout), written);
}

/// More lines than one evaluation chunk (1024): a bad line far in keeps every earlier result.
#[test]
fn long_inputs_stream_over_several_chunks() {
    let mut input = String::new();
    for i in 0..2500 {
        if i == 2100 {
            input.push_str("0.5,0.6,0.7\n");
        } else {
            input.push_str(&format!("{},{}\n", (i % 60) as f64 * 0.1, 1.0));
        }
    }
    let output = kernel(&["--manifold", "torus:1", "--t", "0.01"], input.as_bytes());
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("<stdin>:2101:") && stderr.contains("found 3"),
        "{stderr}"
    );
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 1 + 2100);
    // Without the bad line every row comes out, in order.
    let good: String = input
        .lines()
        .filter(|l| l.split(',').count() == 2)
        .map(|l| format!("{l}\n"))
        .collect();
    let output = kernel(&["--manifold", "torus:1", "--t", "0.01"], good.as_bytes());
    assert!(output.status.success(), "{}", text(&output.stderr));
    let (_, rows) = parse_output(&text(&output.stdout));
    assert_eq!(rows.len(), 2499);
    // Rows 0 and 60 have the same pair, hence the same result.
    assert_eq!(rows[0], rows[60]);
}

#[test]
fn points_off_the_manifold_are_reported_with_the_line() {
    let input = "0,0,1,0,1,0\n0,0,1,0,0,1.5\n";
    let output = kernel(&["--manifold", "sphere:2", "--t", "1"], input.as_bytes());
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("<stdin>:2:")
            && stderr.contains("x (fields 4–6)")
            && stderr.contains("sphere:2"),
        "{stderr}"
    );
    assert_eq!(text(&output.stdout).lines().count(), 2);
    for (bad, what) in [
        ("NaN", "not a finite number"),
        ("inf", "not a finite number"),
        ("", "not a number"),
    ] {
        let input = format!("0,0,1,0,{bad},1\n");
        let output = kernel(&["--manifold", "sphere:2", "--t", "1"], input.as_bytes());
        let stderr = assert_clean_failure(&output);
        assert!(
            stderr.contains("<stdin>:1:") && stderr.contains(what),
            "{bad}: {stderr}"
        );
    }
    // Invalid UTF-8 is a bad line too.
    let output = kernel(&["--manifold", "torus:1", "--t", "1"], b"1,2\n\xff,1\n");
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("<stdin>:2:") && stderr.contains("UTF-8"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_with_code_2_and_name_the_value() {
    for (args, needle) in [
        (vec!["--manifold", "klein:2", "--t", "1"], "klein"),
        (vec!["--manifold", "sphere:0", "--t", "1"], "sphere:0"),
        (vec!["--manifold", "su:x", "--t", "1"], "su:x"),
        (
            vec!["--manifold", "so:3", "--t", "1", "--method", "saddle"],
            "saddle",
        ),
        (vec!["--manifold", "so:3", "--t", "0"], "t > 0"),
        (vec!["--manifold", "so:3", "--t", "-1"], "t > 0"),
        (vec!["--manifold", "so:3", "--t", "nan"], "t > 0"),
        (vec!["--manifold", "so:3", "--t", "inf"], "t > 0"),
        (
            vec!["--manifold", "so:3", "--t", "1", "--tol", "1"],
            "1e-15",
        ),
        (
            vec!["--manifold", "so:3", "--t", "1", "--tol", "1e-16"],
            "1e-15",
        ),
        (vec!["--manifold", "so:3"], "--t"),
    ] {
        let output = kernel(&args, b"");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn unsupported_combinations_are_clean_errors() {
    let output = kernel(
        &["--manifold", "torus:2", "--t", "1", "--method", "varadhan"],
        b"",
    );
    let stderr = assert_clean_failure(&output);
    assert!(stderr.contains("auto, eigen, paths"), "{stderr}");
    let output = kernel(
        &[
            "--manifold",
            "so:3",
            "--t",
            "1",
            "--method",
            "eigen",
            "--tol",
            "1e-8",
        ],
        b"",
    );
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("--tol") && stderr.contains("auto"),
        "{stderr}"
    );
}

#[test]
fn an_existing_output_file_is_not_clobbered_by_failures() {
    let dir = TempDir::new();
    let out = dir.path("results.csv");
    std::fs::write(&out, "precious\n").unwrap();
    let missing = dir.path("no-such-input.csv");
    // Unreadable input, usage error, missing output directory.
    let output = kernel(
        &[
            "--manifold",
            "torus:1",
            "--t",
            "1",
            "-i",
            &missing,
            "-o",
            &out,
        ],
        b"",
    );
    assert!(assert_clean_failure(&output).contains("no-such-input.csv"));
    let output = kernel(&["--manifold", "torus:1", "--t", "0", "-o", &out], b"1,2\n");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    let nowhere = dir.path("no-such-dir/results.csv");
    let output = kernel(
        &["--manifold", "torus:1", "--t", "1", "-o", &nowhere],
        b"1,2\n",
    );
    assert!(assert_clean_failure(&output).contains("output directory does not exist"));
    let output = kernel(
        &["--manifold", "torus:1", "--t", "1", "-o", &dir.path("")],
        b"1,2\n",
    );
    assert!(assert_clean_failure(&output).contains("is a directory"));
    // A run killed mid-stream: the file keeps its old content (results live in a temporary
    // sibling until the final rename).
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdiff"))
        .args(["kernel", "--manifold", "torus:1", "--t", "1", "-o", &out])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"1,2\n").unwrap();
    stdin.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    // A successful run replaces it.
    let output = kernel(&["--manifold", "torus:1", "--t", "1", "-o", &out], b"1,2\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(
        written.starts_with("log_p,terms,estimator,error_estimate,score_0\n")
            && written.lines().count() == 2
    );
    assert!(output.stdout.is_empty());
    // The input may not be the output file itself: refused before anything is read.
    std::fs::write(&out, "1,2\n3,4\n").unwrap();
    let output = kernel(
        &["--manifold", "torus:1", "--t", "1", "-i", &out, "-o", &out],
        b"",
    );
    assert!(assert_clean_failure(&output).contains("same file as the input"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "1,2\n3,4\n");
}

#[test]
fn help_documents_the_formats_and_its_example_runs() {
    let output = kernel(&["--help"], b"");
    assert!(output.status.success());
    let help = text(&output.stdout);
    for needle in [
        "--manifold",
        "--t",
        "--method",
        "--tol",
        "--input",
        "--output",
        "torus:D",
        "su:N",
        "re, im",
        "log_p,terms,estimator,error_estimate,score_0",
        "Blank lines",
        "atomically",
        "Example",
    ] {
        assert!(help.contains(needle), "kernel --help lacks {needle:?}");
    }
    // The example: S², t = 0.1, north pole and a point at angle acos(0.8).
    let output = kernel(
        &["--manifold", "sphere:2", "--t", "0.1"],
        b"0,0,1,0.6,0,0.8\n",
    );
    let (head, rows) = parse_output(&text(&output.stdout));
    assert_eq!(
        head,
        "log_p,terms,estimator,error_estimate,score_0,score_1,score_2"
    );
    assert_eq!(rows.len(), 1);
    // Score: ∂_θ log p along u = (cos θ·x − x₀)/sin θ, tangent at x: ⟨score, x⟩ = 0.
    let score = &rows[0].4;
    assert!((score[0] * 0.6 + score[2] * 0.8).abs() < 1e-12, "{score:?}");
}
