//! Product manifolds through every `rdiff` command (issue 8, item 2): `train`, `eval` and
//! `sample` on `torus:1*sphere:2` (a torus factor first, read by the network as an angle),
//! `kernel` on `so:3*sphere:2` and a power, and clear refusals where a command has no meaning
//! for a product.

#[path = "common/cli_fixtures.rs"]
mod cli_fixtures;

use cli_fixtures::{assert_clean_failure, rdiff, rdiff_with_stdin, text, TempDir};

#[test]
fn train_eval_and_sample_on_a_product_with_a_torus_factor() {
    let dir = TempDir::new();
    let checkpoint = dir.path("product.ckpt");
    let output = rdiff(&[
        "train",
        "--dataset",
        "heat-kernel-mixture",
        "--manifold",
        "torus:1*sphere:2",
        "--steps",
        "40",
        "--batch-size",
        "32",
        "--width",
        "16",
        "--depth",
        "2",
        "--synthetic-size",
        "200",
        "--quiet",
        "-o",
        &checkpoint,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("torus:1*sphere:2"), "{stderr}");

    let output = rdiff(&["eval", "-c", &checkpoint, "--max-points", "4", "--quiet"]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("NLL") && stdout.contains("torus:1*sphere:2"),
        "{stdout}"
    );

    let samples = dir.path("samples.csv");
    let output = rdiff(&[
        "sample",
        "-c",
        &checkpoint,
        "-n",
        "6",
        "-o",
        &samples,
        "--quiet",
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let csv = std::fs::read_to_string(&samples).unwrap();
    let mut lines = csv.lines();
    // One column per coordinate, named by its kind: the torus angle, then the sphere's x.
    assert_eq!(lines.next(), Some("theta1,x2,x3,x4"));
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 6);
    for row in rows {
        assert!((0.0..std::f64::consts::TAU).contains(&row[0]), "{row:?}");
        let norm = (row[1] * row[1] + row[2] * row[2] + row[3] * row[3]).sqrt();
        assert!((norm - 1.0).abs() < 1e-9, "{row:?}");
    }

    // A picture needs S² or T² samples: refused with the manifold named.
    let output = rdiff(&[
        "sample",
        "-c",
        &checkpoint,
        "-n",
        "6",
        "--plot",
        &dir.path("p.png"),
        "--quiet",
    ]);
    let stderr = assert_clean_failure(&output);
    assert!(stderr.contains("torus:1*sphere:2"), "{stderr}");
}

/// `rdiff kernel` on a product: `log p` is the sum of the factors' (each evaluated on its own
/// by the same command) to rounding, and the score is their concatenation.
#[test]
fn kernel_on_products_is_the_product_of_the_factor_kernels() {
    let (c, s) = (1f64.cos(), 1f64.sin());
    let rotation = format!("{c},{},0,{s},{c},0,0,0,1", -s);
    let identity = "1,0,0,0,1,0,0,0,1";
    let (north, point) = ("0,0,1", "0.6,0,0.8");
    let parse = |output: std::process::Output| -> Vec<f64> {
        assert!(output.status.success(), "{}", text(&output.stderr));
        let stdout = text(&output.stdout);
        let line = stdout.lines().nth(1).expect("one result line").to_string();
        // Every column but the estimator's name (column 2) is a number.
        line.split(',')
            .enumerate()
            .filter(|(i, _)| *i != 2)
            .map(|(_, v)| v.parse().unwrap())
            .collect()
    };
    let so3 = parse(rdiff_with_stdin(
        &["kernel", "--manifold", "so:3", "--t", "0.3"],
        format!("{identity},{rotation}\n"),
    ));
    let s2 = parse(rdiff_with_stdin(
        &["kernel", "--manifold", "sphere:2", "--t", "0.3"],
        format!("{north},{point}\n"),
    ));
    let product = parse(rdiff_with_stdin(
        &["kernel", "--manifold", "so:3*sphere:2", "--t", "0.3"],
        format!("{identity},{north},{rotation},{point}\n"),
    ));
    assert!(
        (product[0] - (so3[0] + s2[0])).abs() < 1e-13,
        "{} vs {}",
        product[0],
        so3[0] + s2[0]
    );
    let product_score = &product[product.len() - 12..];
    let factor_scores: Vec<f64> = so3[so3.len() - 9..]
        .iter()
        .chain(&s2[s2.len() - 3..])
        .copied()
        .collect();
    assert_eq!(product_score, &factor_scores[..]);

    // A power: two copies of S² at once.
    let power = parse(rdiff_with_stdin(
        &["kernel", "--manifold", "sphere:2^2", "--t", "0.3"],
        format!("{north},{north},{point},{point}\n"),
    ));
    assert!((power[0] - 2.0 * s2[0]).abs() < 1e-13);

    // Methods apply to every factor: the torus factor has no Varadhan.
    let output = rdiff_with_stdin(
        &[
            "kernel",
            "--manifold",
            "torus:1*sphere:2",
            "--t",
            "0.3",
            "--method",
            "varadhan",
        ],
        "0,0,0,1,0,0,0,1\n",
    );
    let stderr = assert_clean_failure(&output);
    assert!(stderr.contains("auto, eigen, paths"), "{stderr}");
}

#[test]
fn malformed_products_are_usage_errors_naming_the_text() {
    for bad in [
        "so:3*",
        "sphere:2^0",
        "sphere:2**torus:1",
        "klein:2*sphere:2",
    ] {
        let output = rdiff(&["kernel", "--manifold", bad, "--t", "0.1"]);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{bad}: {}",
            text(&output.stderr)
        );
        let stderr = text(&output.stderr);
        assert!(stderr.contains(bad), "{bad}: {stderr}");
    }
}
