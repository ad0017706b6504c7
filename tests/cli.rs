//! The `rdiff` binary: help texts, usage errors (exit 2), clean failures (exit 1, `error: …`,
//! no panic), and a tiny train → eval → sample round trip.

#[path = "common/cli_fixtures.rs"]
mod cli_fixtures;

use cli_fixtures::{assert_clean_failure, rdiff, rdiff_with_env, text, TempDir};
use std::path::Path;

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["demo", "--help"],
        vec!["train", "--help"],
        vec!["eval", "--help"],
        vec!["sample", "--help"],
        vec!["kernel", "--help"],
        vec!["help", "train"],
    ] {
        let output = rdiff(&args);
        assert!(
            output.status.success(),
            "{args:?}: {}",
            text(&output.stderr)
        );
        let stdout = text(&output.stdout);
        assert!(stdout.contains("Usage: rdiff"), "{args:?}: {stdout}");
    }
    let train_help = text(&rdiff(&["train", "--help"]).stdout);
    for option in [
        "--dataset",
        "--data-dir",
        "--steps",
        "--batch-size",
        "--lr",
        "--width",
        "--depth",
        "--sigma-min",
        "--sigma-max",
        "--seed",
        "--out",
        "--manifold",
        "--loss",
    ] {
        assert!(train_help.contains(option), "train --help lacks {option}");
    }
    let version = rdiff(&["--version"]);
    assert!(version.status.success() && text(&version.stdout).starts_with("rdiff "));
}

#[test]
fn usage_errors_exit_with_code_2() {
    let output = rdiff(&["train", "--dataset", "moon-craters"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("moon-craters") && stderr.contains("vmf-mixture"),
        "{stderr}"
    );
    assert_eq!(
        rdiff(&["train"]).status.code(),
        Some(2),
        "--dataset is required"
    );
    assert_eq!(rdiff(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        rdiff(&["train", "--dataset", "fire", "--steps", "many"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn missing_data_directory_is_a_clean_error() {
    let dir = TempDir::new();
    let missing = dir.path("no-such-dir");
    let output = rdiff(&[
        "train",
        "--dataset",
        "volcano",
        "--data-dir",
        &missing,
        "--quiet",
    ]);
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("no-such-dir") && stderr.contains("volerup.csv"),
        "{stderr}"
    );
    assert!(stderr.contains("RDIFF_DATA_DIR"), "{stderr}");
    // The environment variable is used when --data-dir is absent.
    let output = rdiff_with_env(
        &["train", "--dataset", "flood", "--quiet"],
        &[("RDIFF_DATA_DIR", &missing)],
    );
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("no-such-dir") && stderr.contains("flood.csv"),
        "{stderr}"
    );
}

#[test]
fn malformed_data_file_names_the_line() {
    let dir = TempDir::new();
    std::fs::write(dir.0.join("fire.csv"), "# comment\n10,20\n30,abc\n").unwrap();
    let output = rdiff(&[
        "train",
        "--dataset",
        "fire",
        "--data-dir",
        &dir.0.display().to_string(),
        "--quiet",
    ]);
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("fire.csv:3:") && stderr.contains("abc"),
        "{stderr}"
    );
}

#[test]
fn bad_checkpoints_are_clean_errors() {
    let dir = TempDir::new();
    let output = rdiff(&["eval", "--checkpoint", &dir.path("absent.ckpt"), "--quiet"]);
    assert!(assert_clean_failure(&output).contains("absent.ckpt"));
    let garbage = dir.path("garbage.ckpt");
    std::fs::write(&garbage, b"not a checkpoint at all").unwrap();
    let output = rdiff(&["sample", "--checkpoint", &garbage, "--quiet"]);
    assert!(assert_clean_failure(&output).contains("garbage.ckpt"));
}

fn parse_nll(line_prefix: &str, stdout: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(line_prefix))
        .unwrap_or_else(|| panic!("no line starting with {line_prefix:?} in {stdout}"));
    let value = line
        .split(" = ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    value.parse().unwrap()
}

#[test]
fn tiny_train_eval_sample_round_trip() {
    let dir = TempDir::new();
    let checkpoint = dir.path("model.ckpt");
    // Small but trained: 400 steps of a 2×32 network take well under a second.
    let tiny = [
        "--steps",
        "400",
        "--batch-size",
        "64",
        "--width",
        "32",
        "--depth",
        "2",
        "--quiet",
    ];
    let mut args = vec![
        "train",
        "--dataset",
        "vmf-mixture",
        "--synthetic-size",
        "2000",
        "--out",
        &checkpoint,
    ];
    args.extend_from_slice(&tiny);
    let output = rdiff(&args);
    assert!(
        output.status.success(),
        "train failed: {}",
        text(&output.stderr)
    );
    assert!(Path::new(&checkpoint).exists());

    let output = rdiff(&[
        "eval",
        "--checkpoint",
        &checkpoint,
        "--max-points",
        "32",
        "--tolerance",
        "1e-3",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "eval failed: {}",
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    let model = parse_nll("vmf-mixture/test: NLL", &stdout);
    let exact = parse_nll("vmf-mixture/test: exact NLL", &stdout);
    // The trained model must beat the uniform density (NLL ln 4π = 2.531 on any points).
    // Measured with this recipe for seeds 0–3: model NLL 1.52, 2.16, 1.64, 2.00 against exact
    // 0.76, 1.41, 0.63, 0.97 on the same 32 points (the default seed is 0). An untrained
    // network is not close to uniform (its score P y/σ is large and random at σ = 0.01: NLL
    // 3–13 after 20 steps), so this checks that training and evaluation both work.
    assert!(
        model.is_finite() && model < (4.0 * std::f64::consts::PI).ln(),
        "{stdout}"
    );
    assert!(exact.is_finite() && exact < 2.6, "{stdout}");

    let csv = dir.path("samples.csv");
    let output = rdiff(&[
        "sample",
        "--checkpoint",
        &checkpoint,
        "-n",
        "5",
        "--tolerance",
        "1e-3",
        "--out",
        &csv,
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "sample failed: {}",
        text(&output.stderr)
    );
    let picture = dir.path("samples.png");
    let output = rdiff(&[
        "sample",
        "--checkpoint",
        &checkpoint,
        "-n",
        "64",
        "--tolerance",
        "1e-3",
        "--plot",
        &picture,
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "sample --plot failed: {}",
        text(&output.stderr)
    );
    // CSV to stdout: header plus 64 rows; picture: the minimum 16 × 8 bins enlarged ×23.
    assert_eq!(text(&output.stdout).lines().count(), 65);
    assert_eq!(png_size(Path::new(&picture)), (368, 184));
    let content = std::fs::read_to_string(&csv).unwrap();
    let mut lines = content.lines();
    assert_eq!(lines.next(), Some("x1,x2,x3"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 5);
    for row in rows {
        let norm2: f64 = row.iter().map(|v| v * v).sum();
        assert!(
            (norm2 - 1.0).abs() < 1e-12,
            "sample off the sphere: {row:?}"
        );
    }
}

#[test]
fn earth_data_round_trip_with_a_small_directory() {
    let dir = TempDir::new();
    let mut csv = String::from("# synthetic volcanoes\r\nLatitude,Longitude\r\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "{},{}\r\n",
            (i % 17) as f64 * 9.0 - 70.0,
            (i * 37 % 360) as f64 - 180.0
        ));
    }
    std::fs::write(dir.0.join("volerup.csv"), csv.trim_end()).unwrap();
    let data_dir = dir.0.display().to_string();
    let checkpoint = dir.path("volcano.ckpt");
    let output = rdiff_with_env(
        &[
            "train",
            "--dataset",
            "volcano",
            "--steps",
            "5",
            "--batch-size",
            "8",
            "--width",
            "8",
            "--depth",
            "1",
            "--out",
            &checkpoint,
            "--quiet",
        ],
        &[("RDIFF_DATA_DIR", &data_dir)],
    );
    assert!(
        output.status.success(),
        "train failed: {}",
        text(&output.stderr)
    );
    let output = rdiff(&[
        "eval",
        "--checkpoint",
        &checkpoint,
        "--data-dir",
        &data_dir,
        "--split",
        "val",
        "--tolerance",
        "1e-3",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "eval failed: {}",
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("volcano/val: NLL") && stdout.contains("over 6 points"),
        "{stdout}"
    );
}

#[test]
fn tiny_demo_writes_a_side_by_side_png() {
    let dir = TempDir::new();
    let picture = dir.path("demo.png");
    let output = rdiff(&[
        "demo",
        "--steps",
        "10",
        "--batch-size",
        "16",
        "--width",
        "8",
        "--depth",
        "1",
        "--test-points",
        "4",
        "--grid-width",
        "8",
        "--out",
        &picture,
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "demo failed: {}",
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("test NLL on 4 held-out samples") && stdout.contains("exact target"),
        "{stdout}"
    );
    // Grid 8×4 upscaled ×45 to 360×180, two panels and an 8-pixel gap.
    let decoder = png_size(Path::new(&picture));
    assert_eq!(decoder, (728, 180));
}

/// Width and height from a PNG's IHDR chunk (bytes 16..24, big-endian), after checking the signature.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

/// The default demo (10 000 steps) learns the target: its PF-ODE test NLL is far below the
/// uniform 2.531 nats and within 0.1 nats of the exact NLL (measured: model 0.7606, exact
/// 0.7369 on the 200 held-out samples of seed 0). About 60 s in release; run with
/// `cargo test --release --test cli -- --ignored`.
#[test]
#[ignore]
fn default_demo_learns_the_target() {
    let dir = TempDir::new();
    let picture = dir.path("demo.png");
    let output = rdiff(&["demo", "--out", &picture, "--quiet"]);
    assert!(
        output.status.success(),
        "demo failed: {}",
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    let line = stdout.lines().find(|l| l.starts_with("test NLL")).unwrap();
    let numbers: Vec<f64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    // "test NLL on 200 held-out samples: model M nats (…), exact target E nats, uniform U nats"
    let (model, exact) = (numbers[1], numbers[numbers.len() - 2]);
    assert!(model < exact + 0.1, "{line}");
    assert!(model > exact - 0.1, "{line}");
    // 144×72 grid upscaled ×3 to 432×216, two panels and an 8-pixel gap.
    assert_eq!(png_size(Path::new(&picture)), (872, 216));
}

/// A missing output directory is reported before any training work is done.
#[test]
fn train_refuses_a_missing_output_directory_up_front() {
    let output = rdiff(&[
        "train",
        "--dataset",
        "vmf-mixture",
        "--steps",
        "100000",
        "-q",
        "-o",
        "/nonexistent-rdiff-dir/model.ckpt",
    ]);
    assert!(!output.status.success());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("/nonexistent-rdiff-dir")
            && stderr.contains("output directory does not exist"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("training on"),
        "training started: {stderr}"
    );
}

/// A tiny SO(3) run: train on the built-in wrapped normal mixture on SO(3) with every loss
/// (a few steps each), then eval (PF-ODE likelihood with the exact divergence, next to the
/// exact target NLL) and sample (CSV rows are rotation matrices).
#[test]
fn tiny_so3_train_eval_sample_round_trip() {
    let dir = TempDir::new();
    let tiny = [
        "--steps",
        "5",
        "--batch-size",
        "8",
        "--width",
        "8",
        "--depth",
        "1",
        "--synthetic-size",
        "40",
        "--quiet",
    ];
    for loss in ["dsm", "dsm-varadhan", "ism", "sliced"] {
        let checkpoint = dir.path(&format!("so3-{loss}.ckpt"));
        let mut args = vec![
            "train",
            "--dataset",
            "wrapped-normal-mixture",
            "--manifold",
            "so:3",
            "--loss",
            loss,
            "--out",
            &checkpoint,
        ];
        args.extend_from_slice(&tiny);
        let output = rdiff(&args);
        assert!(
            output.status.success(),
            "train --loss {loss} failed: {}",
            text(&output.stderr)
        );
        let stderr = text(&output.stderr);
        assert!(
            stderr.contains("so:3") && stderr.contains(&format!("loss {loss}")),
            "{stderr}"
        );
    }
    let checkpoint = dir.path("so3-dsm.ckpt");
    let output = rdiff(&[
        "eval",
        "--checkpoint",
        &checkpoint,
        "--max-points",
        "3",
        "--tolerance",
        "1e-3",
        "--quiet",
    ]);
    assert!(
        output.status.success(),
        "eval failed: {}",
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("on so:3") && stdout.contains("exact divergence"),
        "{stdout}"
    );
    let model = parse_nll("wrapped-normal-mixture/test: NLL", &stdout);
    let exact = parse_nll("wrapped-normal-mixture/test: exact NLL", &stdout);
    // Near-uniform model: NLL ≈ ln(8π²) = 4.37; the target is concentrated (σ ≤ 0.4): NLL < 4.37.
    assert!(
        model.is_finite() && model > -5.0 && model < 15.0,
        "{stdout}"
    );
    assert!(
        exact.is_finite() && exact < 8f64.ln() + 2.0 * std::f64::consts::PI.ln(),
        "{stdout}"
    );
    // Hutchinson on request (one probe per point): still finite.
    let output = rdiff(&[
        "eval",
        "--checkpoint",
        &checkpoint,
        "--max-points",
        "2",
        "--tolerance",
        "1e-3",
        "--divergence",
        "hutchinson",
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("Hutchinson divergence"));

    // Both samplers: the reverse PF-ODE and the reverse geodesic random walk with a corrector.
    let csv = dir.path("so3.csv");
    for method in [
        &["--method", "ode", "--tolerance", "1e-3"][..],
        &[
            "--method",
            "grw",
            "--grw-steps",
            "10",
            "--corrector-steps",
            "1",
        ][..],
    ] {
        let mut args = vec![
            "sample",
            "--checkpoint",
            &checkpoint,
            "-n",
            "4",
            "--out",
            &csv,
            "--quiet",
        ];
        args.extend_from_slice(method);
        let output = rdiff(&args);
        assert!(
            output.status.success(),
            "sample {method:?} failed: {}",
            text(&output.stderr)
        );
        let content = std::fs::read_to_string(&csv).unwrap();
        let mut lines = content.lines();
        assert_eq!(lines.next(), Some("x1,x2,x3,x4,x5,x6,x7,x8,x9"));
        let rows: Vec<Vec<f64>> = lines
            .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
            .collect();
        assert_eq!(rows.len(), 4);
        for q in rows {
            // QᵀQ = I (the ODE projects onto SO(3) after every step) and det Q = 1.
            for i in 0..3 {
                for j in 0..3 {
                    let dot: f64 = (0..3).map(|k| q[k * 3 + i] * q[k * 3 + j]).sum();
                    let id = if i == j { 1.0 } else { 0.0 };
                    assert!((dot - id).abs() < 1e-9, "not orthogonal: {q:?}");
                }
            }
            let det = q[0] * (q[4] * q[8] - q[5] * q[7]) - q[1] * (q[3] * q[8] - q[5] * q[6])
                + q[2] * (q[3] * q[7] - q[4] * q[6]);
            assert!((det - 1.0).abs() < 1e-9, "det {det}");
        }
    }
}

/// Data set / manifold mismatches are clean errors naming both; bad specs and losses are
/// usage errors.
#[test]
fn dataset_manifold_mismatch_is_a_clean_error() {
    let dir = TempDir::new();
    let out = dir.path("never.ckpt");
    for (dataset, manifold, expected) in [
        ("volcano", "so:3", "sphere:2"),
        ("vmf-mixture", "so:3", "sphere:D"),
        ("wrapped-normal-mixture", "su:2", "so:3"),
        ("wrapped-normal-mixture", "sphere:2", "torus:D"),
    ] {
        let output = rdiff(&[
            "train",
            "--dataset",
            dataset,
            "--manifold",
            manifold,
            "--out",
            &out,
            "--quiet",
        ]);
        let stderr = assert_clean_failure(&output);
        assert!(
            stderr.contains(manifold) && stderr.contains(expected),
            "{dataset} on {manifold}: {stderr}"
        );
        assert!(!stderr.contains("training on"), "{stderr}");
    }
    assert!(!Path::new(&out).exists());
    for args in [
        ["train", "--dataset", "vmf-mixture", "--manifold", "so:1"],
        ["train", "--dataset", "vmf-mixture", "--manifold", "klein:2"],
        ["train", "--dataset", "vmf-mixture", "--loss", "mle"],
    ] {
        let output = rdiff(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
    let stderr = text(&rdiff(&["train", "--dataset", "vmf-mixture", "--loss", "mle"]).stderr);
    assert!(
        stderr.contains("mle") && stderr.contains("dsm-varadhan"),
        "{stderr}"
    );
}

/// The heat-kernel mixture target works on groups without a dedicated target: SU(2) and U(2),
/// trained with sliced score matching, evaluated next to the exact target NLL.
#[test]
fn tiny_heat_kernel_mixture_on_unitary_groups() {
    let dir = TempDir::new();
    for manifold in ["su:2", "u:2"] {
        let checkpoint = dir.path(&format!("{manifold}.ckpt").replace(':', "-"));
        let output = rdiff(&[
            "train",
            "--dataset",
            "heat-kernel-mixture",
            "--manifold",
            manifold,
            "--loss",
            "sliced",
            "--steps",
            "5",
            "--batch-size",
            "8",
            "--width",
            "8",
            "--depth",
            "1",
            "--synthetic-size",
            "40",
            "--out",
            &checkpoint,
            "--quiet",
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let output = rdiff(&[
            "eval",
            "--checkpoint",
            &checkpoint,
            "--max-points",
            "2",
            "--tolerance",
            "1e-3",
            "--quiet",
        ]);
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        assert!(stdout.contains(&format!("on {manifold}")), "{stdout}");
        let model = parse_nll("heat-kernel-mixture/test: NLL", &stdout);
        let exact = parse_nll("heat-kernel-mixture/test: exact NLL", &stdout);
        assert!(model.is_finite() && exact.is_finite(), "{stdout}");
    }
}

/// A DSM model on the built-in SO(3) wrapped normal mixture learns the target (slow: about
/// 2 minutes of training in release on 2 cores; run with `--ignored`). Measured: PF-ODE test NLL
/// 1.688 ± 0.084 nats over 200 points, exact target NLL 1.632 on the same points, uniform
/// ln(8π²) = 4.369.
#[test]
#[ignore]
fn so3_model_learns_the_wrapped_normal_mixture() {
    let dir = TempDir::new();
    let checkpoint = dir.path("so3-long.ckpt");
    let output = rdiff(&[
        "train",
        "--dataset",
        "wrapped-normal-mixture",
        "--manifold",
        "so:3",
        "--steps",
        "3000",
        "--batch-size",
        "256",
        "--width",
        "64",
        "--depth",
        "3",
        "--lr",
        "2e-3",
        "--sigma-min",
        "0.05",
        "--synthetic-size",
        "10000",
        "--out",
        &checkpoint,
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let output = rdiff(&[
        "eval",
        "--checkpoint",
        &checkpoint,
        "--max-points",
        "200",
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    println!("{stdout}");
    let model = parse_nll("wrapped-normal-mixture/test: NLL", &stdout);
    let exact = parse_nll("wrapped-normal-mixture/test: exact NLL", &stdout);
    // 0.3 nats ≈ 3.5 standard errors of the 200-point mean (the model is evaluated at
    // t0 = σ_min² = 2.5e-3, which smooths the target slightly); far below uniform (4.37).
    assert!((model - exact).abs() < 0.3, "{stdout}");
    assert!(model < 2.5, "{stdout}");
}
