//! `rdiff` and the user's files and streams (issue 9): outputs are validated before any work,
//! never replace an input, a directory, a link or a FIFO, are written atomically (a failure
//! leaves every pre-existing file byte-identical and no temporary behind); a closed standard
//! output ends the program quietly; sizes near `u64::MAX` and endless lines are refused cleanly;
//! negative numbers are option values; crafted checkpoints are refused naming the file and the
//! field.

#[path = "common/cli_fixtures.rs"]
mod cli_fixtures;

use cli_fixtures::{assert_clean_failure, rdiff, rdiff_with_env, rdiff_with_stdin, text, TempDir};
use riemannian_diffusion::nn::Checkpoint;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Every entry of a directory: file bytes, a link's target, or the kind of a special file
/// (never opened: reading a FIFO would block).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut entries = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
        let content = if kind.is_symlink() {
            let target = std::fs::read_link(&path).unwrap();
            format!("link -> {}", target.display()).into_bytes()
        } else if kind.is_file() {
            std::fs::read(&path).unwrap()
        } else if kind.is_dir() {
            b"directory".to_vec()
        } else {
            b"special file".to_vec()
        };
        entries.insert(entry.file_name().to_string_lossy().into_owned(), content);
    }
    entries
}

/// Asserts that the directory holds exactly `before` (byte-identical, no temporary added).
fn assert_unchanged(dir: &TempDir, before: &BTreeMap<String, Vec<u8>>, what: &str) {
    let after = snapshot(&dir.0);
    let names = |m: &BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&after), names(before), "{what}: entries changed");
    for (name, bytes) in before {
        assert!(after[name] == *bytes, "{what}: {name} changed");
    }
}

/// Asserts a refusal without a panic: exit code 1 or 2, no panic message; returns stderr.
fn assert_refused(output: &Output, what: &str) -> String {
    let stderr = text(&output.stderr);
    assert!(
        matches!(output.status.code(), Some(1) | Some(2)),
        "{what}: exit {:?}, stderr {stderr}",
        output.status.code()
    );
    assert!(
        stderr.starts_with("error: ")
            && !stderr.contains("panicked")
            && !stderr.contains("internal error")
            && !stderr.contains("memory allocation"),
        "{what}: {stderr}"
    );
    stderr
}

/// A tiny checkpoint on S² (a few steps of a 1×4 MLP), written to `dir/name`.
fn tiny_checkpoint(dir: &TempDir, name: &str) -> String {
    let path = dir.path(name);
    let output = rdiff(&[
        "train",
        "--dataset",
        "vmf-mixture",
        "--synthetic-size",
        "40",
        "--steps",
        "3",
        "--batch-size",
        "8",
        "--width",
        "4",
        "--depth",
        "1",
        "--quiet",
        "-o",
        &path,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    path
}

/// `mkfifo path`; false where the tool is missing.
fn make_fifo(path: &str) -> bool {
    Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `rdiff args` with standard output closed after reading `lines` lines (0: at once);
/// returns the exit status code and stderr.
fn with_closed_stdout(args: &[&str], lines: usize) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdiff"))
        .args(args)
        .env_remove("RDIFF_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rdiff binary runs");
    // Standard input: a long stream of torus:1 pairs for `kernel`, closed at its end (fed from
    // a thread: the child may wait for input before it writes anything).
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        let line = b"1,2\n".repeat(1 << 16);
        let _ = stdin.write_all(&line);
    });
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout);
    for _ in 0..lines {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    (output.status.code(), text(&output.stderr))
}

/// `kernel`: an existing output survives every failure byte-identical, with no temporary left.
#[test]
fn kernel_failures_leave_existing_files_byte_identical() {
    let dir = TempDir::new();
    let keep = dir.path("keep.csv");
    let input = dir.path("input.csv");
    std::fs::write(&keep, b"precious\x00\xff bytes\n").unwrap();
    std::fs::write(&input, "1,2\n3,4\n").unwrap();
    let sub = dir.path("subdir");
    std::fs::create_dir(&sub).unwrap();
    let before = snapshot(&dir.0);
    let torus = ["kernel", "--manifold", "torus:1", "--t", "1"];
    let cases: Vec<(Vec<&str>, &[u8], &str)> = vec![
        // An unreadable input (a directory): used to replace keep.csv with a header.
        (vec!["-i", &sub, "-o", &keep], b"", "is a directory"),
        // The input itself as the output: used to destroy it.
        (
            vec!["-i", &input, "-o", &input],
            b"",
            "same file as the input",
        ),
        // A bad line after good ones: an existing file is not replaced by partial results.
        (vec!["-o", &keep], b"1,2\n3,x\n", "left unchanged"),
        // A line without end.
        (vec!["-i", "/dev/zero", "-o", &keep], b"", "longer than"),
        // A missing input, a usage error.
        (vec!["-i", "no-such.csv", "-o", &keep], b"", "no-such.csv"),
        (
            vec!["--method", "eigen", "--tol", "1e-3", "-o", &keep],
            b"",
            "--tol",
        ),
    ];
    for (extra, stdin, expected) in cases {
        let args: Vec<&str> = torus.iter().copied().chain(extra.iter().copied()).collect();
        let output = rdiff_with_stdin(&args, stdin);
        let stderr = assert_clean_failure(&output);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_unchanged(&dir, &before, &format!("{args:?}"));
    }
    // A bad first line (here an endless one) creates no file where none existed.
    let fresh = dir.path("fresh.csv");
    let output = rdiff(&[&torus[..], &["-i", "/dev/zero", "-o", &fresh]].concat());
    assert!(assert_clean_failure(&output).contains("fresh.csv not written"));
    assert_unchanged(&dir, &before, "a bad first line");
    // A success replaces the file and leaves no temporary.
    let output = rdiff_with_stdin(&[&torus[..], &["-o", &keep]].concat(), b"1,2\n");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let after = snapshot(&dir.0);
    assert_eq!(after.len(), before.len());
    assert!(after["keep.csv"].starts_with(b"log_p,"));
}

/// Links, FIFOs and devices are refused as outputs (named in the error) and left as they are.
#[cfg(unix)]
#[test]
fn links_fifos_and_devices_are_refused_and_untouched() {
    let dir = TempDir::new();
    let real = dir.path("real.csv");
    std::fs::write(&real, "real content\n").unwrap();
    let link = dir.path("link.csv");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let fifo = dir.path("fifo.csv");
    let have_fifo = make_fifo(&fifo);
    let before = snapshot(&dir.0);
    let mut targets = vec![(link.as_str(), "symbolic link")];
    if have_fifo {
        targets.push((fifo.as_str(), "named pipe"));
    }
    for (target, what) in targets {
        let commands: Vec<Vec<&str>> = vec![
            vec!["kernel", "--manifold", "torus:1", "--t", "1", "-o", target],
            vec!["train", "--dataset", "vmf-mixture", "-q", "-o", target],
            vec!["demo", "-q", "--out", target],
        ];
        for args in commands {
            let output = rdiff_with_stdin(&args, b"1,2\n");
            let stderr = assert_clean_failure(&output);
            assert!(stderr.contains(target) && stderr.contains(what), "{stderr}");
            assert!(!stderr.contains("training on"), "{stderr}");
        }
        assert_unchanged(&dir, &before, target);
    }
    let output = rdiff_with_stdin(
        &[
            "kernel",
            "--manifold",
            "torus:1",
            "--t",
            "1",
            "-o",
            "/dev/null",
        ],
        b"1,2\n",
    );
    assert!(assert_clean_failure(&output).contains("device"));
}

/// `sample`: refused before any work when an output would replace the checkpoint, when the two
/// outputs are one file, when --plot cannot be drawn or has nowhere to go; the checkpoint
/// writer's temporaries never clobber an unrelated file.
#[test]
fn sample_and_train_never_destroy_inputs_or_unrelated_files() {
    let dir = TempDir::new();
    // An unrelated file with the name the old checkpoint writer used for its temporary.
    std::fs::write(dir.path("m.ckpt.tmp"), "unrelated").unwrap();
    let checkpoint = tiny_checkpoint(&dir, "m.ckpt");
    assert_eq!(
        std::fs::read_to_string(dir.path("m.ckpt.tmp")).unwrap(),
        "unrelated"
    );
    let out = dir.path("out.csv");
    std::fs::write(&out, "old samples\n").unwrap();
    let before = snapshot(&dir.0);
    let nowhere = dir.path("no-such-dir/p.png");
    let directory = dir.path("");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["-o", &checkpoint], "same file as the input"),
        (
            vec!["-o", &out, "--plot", &checkpoint],
            "same file as the input",
        ),
        (vec!["-o", &out, "--plot", &out], "two outputs"),
        (
            vec!["-o", &out, "--plot", &nowhere],
            "output directory does not exist",
        ),
        (vec!["-o", &out, "--plot", &directory], "is a directory"),
        (vec!["-o", "/nonexistent-rdiff-dir/x.csv"], "does not exist"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["sample", "-q", "-c", &checkpoint, "-n", "4"];
        args.extend(extra);
        let output = rdiff(&args);
        let stderr = assert_clean_failure(&output);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_unchanged(&dir, &before, &format!("{args:?}"));
    }
    // --plot of a manifold without pictures: refused before sampling, out.csv untouched.
    let so3 = dir.path("so3.ckpt");
    let output = rdiff(&[
        "train",
        "--dataset",
        "wrapped-normal-mixture",
        "--manifold",
        "so:3",
        "--synthetic-size",
        "20",
        "--steps",
        "2",
        "--batch-size",
        "4",
        "--width",
        "4",
        "--depth",
        "1",
        "-q",
        "-o",
        &so3,
    ]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let before = snapshot(&dir.0);
    let picture = dir.path("p.png");
    let output = rdiff(&[
        "sample", "-q", "-c", &so3, "-n", "4", "-o", &out, "--plot", &picture,
    ]);
    assert!(assert_clean_failure(&output).contains("sphere:2 or torus:2"));
    assert_unchanged(&dir, &before, "--plot on so:3");
    // train refuses its data file and a directory as the checkpoint, before training.
    let data = dir.path("volerup.csv");
    std::fs::write(&data, "Latitude,Longitude\n10,20\n30,40\n").unwrap();
    let before = snapshot(&dir.0);
    for (target, expected) in [
        (data.as_str(), "same file as the input"),
        (dir.0.to_str().unwrap(), "is a directory"),
    ] {
        let output = rdiff_with_env(
            &["train", "--dataset", "volcano", "-q", "-o", target],
            &[("RDIFF_DATA_DIR", dir.0.to_str().unwrap())],
        );
        let stderr = assert_clean_failure(&output);
        assert!(
            stderr.contains(expected) && !stderr.contains("training on"),
            "{stderr}"
        );
    }
    assert_unchanged(&dir, &before, "train -o <data file>");
}

/// Outputs in a missing directory are refused before any work (no training, no sampling).
#[test]
fn missing_output_directories_fail_before_any_work() {
    let started = Instant::now();
    let output = rdiff(&["demo", "--out", "/nonexistent-rdiff-dir/d.png"]);
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("output directory does not exist"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    let output = rdiff(&[
        "train",
        "--dataset",
        "vmf-mixture",
        "-o",
        "/nonexistent-rdiff-dir/m.ckpt",
    ]);
    assert!(!assert_clean_failure(&output).contains("training on"));
    // The default demo and train take a minute; a refusal takes milliseconds.
    assert!(started.elapsed() < Duration::from_secs(20));
}

/// A closed standard output (`| head -0`, `| head -1`) ends every command quietly with code 0.
#[test]
fn a_closed_stdout_is_a_quiet_normal_exit() {
    let dir = TempDir::new();
    let checkpoint = tiny_checkpoint(&dir, "m.ckpt");
    let cases: Vec<(Vec<&str>, usize)> = vec![
        (
            vec!["eval", "-q", "-c", &checkpoint, "--max-points", "2"],
            0,
        ),
        (vec!["sample", "-q", "-c", &checkpoint, "-n", "8"], 0),
        (vec!["sample", "-q", "-c", &checkpoint, "-n", "3000"], 1),
        (vec!["kernel", "--manifold", "torus:1", "--t", "1"], 0),
        (vec!["kernel", "--manifold", "torus:1", "--t", "1"], 1),
        (vec!["--help"], 0),
        (vec!["kernel", "--help"], 1),
    ];
    for (args, lines) in cases {
        let (code, stderr) = with_closed_stdout(&args, lines);
        assert_eq!(code, Some(0), "{args:?} after {lines} line(s): {stderr}");
        assert!(
            !stderr.contains("panicked")
                && !stderr.contains("failed printing")
                && !stderr.contains("error"),
            "{args:?}: {stderr}"
        );
    }
}

/// Every size option near `u64::MAX` (and just over its bound) is refused before anything is
/// allocated: exit code 1 or 2, a message naming the option, no panic, no abort.
#[test]
fn huge_sizes_are_refused_without_panics() {
    let dir = TempDir::new();
    let checkpoint = tiny_checkpoint(&dir, "m.ckpt");
    let out = dir.path("x.ckpt");
    let max = u64::MAX.to_string();
    let near = (u64::MAX - 1).to_string();
    let train = |option: &'static str| -> Vec<String> {
        [
            "train",
            "--dataset",
            "vmf-mixture",
            "-q",
            "-o",
            &out,
            option,
        ]
        .map(String::from)
        .to_vec()
    };
    let mut cases: Vec<(Vec<String>, &str)> = Vec::new();
    for value in [&max, &near] {
        for option in [
            "--synthetic-size",
            "--steps",
            "--batch-size",
            "--width",
            "--depth",
        ] {
            let mut args = train(option);
            args.push(value.clone());
            cases.push((args, option));
        }
        for option in ["--test-points", "--grid-width", "--steps", "--width"] {
            let args = ["demo", "-q", "--out", &dir.path("d.png"), option, value];
            cases.push((args.map(String::from).to_vec(), option));
        }
        for option in ["-n", "--grw-steps", "--corrector-steps"] {
            let args = [
                "sample",
                "-q",
                "-c",
                &checkpoint,
                "--method",
                "grw",
                option,
                value,
            ];
            let name = if option == "-n" {
                "--num-samples"
            } else {
                option
            };
            cases.push((args.map(String::from).to_vec(), name));
        }
        let args = ["eval", "-q", "-c", &checkpoint, "--max-points", value];
        cases.push((args.map(String::from).to_vec(), "--max-points"));
    }
    // Just past u64: clap's own refusal.
    let args = [
        "sample",
        "-q",
        "-c",
        &checkpoint,
        "-n",
        "18446744073709551616",
    ];
    cases.push((args.map(String::from).to_vec(), "--num-samples"));
    // Each bound on its own, just over it; and combinations within each bound but not together.
    for (option, value) in [
        ("--steps", "100000001"),
        ("--batch-size", "1048577"),
        ("--width", "16385"),
        ("--depth", "257"),
    ] {
        let mut args = train(option);
        args.push(value.to_string());
        cases.push((args, option));
    }
    let mut args = train("--width");
    args.extend(["16384", "--depth", "256"].map(String::from));
    cases.push((args, "--width × --depth"));
    let mut args = train("--batch-size");
    args.extend(["1048576", "--width", "1024"].map(String::from));
    cases.push((args, "--batch-size × --width × --depth"));
    let started = Instant::now();
    for (args, name) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = rdiff(&args);
        let stderr = assert_refused(&output, &format!("{args:?}"));
        // Named as the option (`--width`) or as the value (`invalid grid-width = …`).
        assert!(
            stderr.contains(name.trim_start_matches('-')),
            "{args:?}: {stderr}"
        );
        assert!(!stderr.contains("training on"), "{args:?}: {stderr}");
    }
    assert!(!Path::new(&out).exists());
    // All of them together in seconds: nothing was allocated or computed first.
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// `kernel -i /dev/zero` (no line break ever) stops at the line-length bound, quickly.
#[test]
fn an_endless_line_is_refused_quickly() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let started = Instant::now();
    let output = rdiff(&[
        "kernel",
        "--manifold",
        "sphere:2",
        "--t",
        "0.1",
        "-i",
        "/dev/zero",
    ]);
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("/dev/zero:1:") && stderr.contains("longer than 67108864 bytes"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    // A long field is quoted briefly (a 1 MB field must not become a 1 MB error line).
    let mut line = "9".repeat(1 << 20);
    line.push_str(",1\n");
    let output = rdiff_with_stdin(&["kernel", "--manifold", "torus:1", "--t", "1"], line);
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.len() < 400 && stderr.contains("(1048576 bytes)"),
        "{stderr}"
    );
    // As a checkpoint: refused after its first bytes.
    let output = rdiff(&["eval", "-q", "-c", "/dev/zero"]);
    let stderr = assert_clean_failure(&output);
    assert!(
        stderr.contains("/dev/zero") && stderr.contains("not a riemannian-diffusion"),
        "{stderr}"
    );
}

/// Negative numbers after an option are its value (clap then says why the value is invalid),
/// never a flag.
#[test]
fn negative_numbers_are_values() {
    let dir = TempDir::new();
    let checkpoint = tiny_checkpoint(&dir, "m.ckpt");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["eval", "-c", &checkpoint, "--tolerance", "-1"],
            "--tolerance",
        ),
        (
            vec!["sample", "-c", &checkpoint, "--tolerance", "-1e-5"],
            "--tolerance",
        ),
        (vec!["sample", "-c", &checkpoint, "--snr", "-0.5"], "--snr"),
        (
            vec!["sample", "-c", &checkpoint, "-n", "-3"],
            "--num-samples",
        ),
        (vec!["sample", "-c", &checkpoint, "--seed", "-1"], "--seed"),
        (vec!["kernel", "--manifold", "sphere:2", "--t", "-1"], "--t"),
        (
            vec!["kernel", "--manifold", "sphere:2", "--t", "-1e-300"],
            "--t",
        ),
        (
            vec![
                "kernel",
                "--manifold",
                "sphere:2",
                "--t",
                "1",
                "--tol",
                "-1e-9",
            ],
            "--tol",
        ),
        (
            vec!["train", "--dataset", "vmf-mixture", "--sigma-min", "-1"],
            "--sigma-min",
        ),
        (
            vec!["train", "--dataset", "vmf-mixture", "--sigma-max", "-3"],
            "--sigma-max",
        ),
        (
            vec!["train", "--dataset", "vmf-mixture", "--lr", "-0.1"],
            "--lr",
        ),
        (
            vec!["train", "--dataset", "vmf-mixture", "--steps", "-5"],
            "--steps",
        ),
        (
            vec!["train", "--dataset", "vmf-mixture", "--grad-clip", "-1"],
            "--grad-clip",
        ),
        (vec!["demo", "--grid-width", "-8"], "--grid-width"),
    ];
    for (args, option) in cases {
        let output = rdiff_with_stdin(&args, b"");
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("invalid value '-") && stderr.contains(option),
            "{args:?}: {stderr}"
        );
        assert!(
            !stderr.contains("unexpected argument"),
            "{args:?}: {stderr}"
        );
    }
}

/// σ_min below the rounding of f64 coordinates is refused up front, with that reason (it used to
/// end in "loss NaN … set grad_clip"); the training failure's advice names rdiff's flags.
#[test]
fn sigma_min_is_refused_with_the_real_reason() {
    let dir = TempDir::new();
    let out = dir.path("m.ckpt");
    for sigma in ["1e-160", "1e-9"] {
        let output = rdiff(&[
            "train",
            "--dataset",
            "vmf-mixture",
            "--sigma-min",
            sigma,
            "-q",
            "-o",
            &out,
        ]);
        let stderr = assert_clean_failure(&output);
        assert!(
            stderr.contains(&format!("sigma_min = {sigma}"))
                && stderr.contains("1e-8")
                && stderr.contains("rounding")
                && !stderr.contains("grad_clip")
                && !stderr.contains("training on"),
            "{stderr}"
        );
    }
    let output = rdiff(&[
        "train",
        "--dataset",
        "vmf-mixture",
        "--sigma-max",
        "1e9",
        "-q",
        "-o",
        &out,
    ]);
    assert!(assert_clean_failure(&output).contains("sigma_max = 1e9"));
    // A diverging run (absurd learning rate): the advice names --lr and --grad-clip.
    let output = rdiff(&[
        "train",
        "--dataset",
        "vmf-mixture",
        "--synthetic-size",
        "40",
        "--steps",
        "20",
        "--batch-size",
        "8",
        "--width",
        "4",
        "--depth",
        "1",
        "--lr",
        "1e300",
        "-q",
        "-o",
        &out,
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error: score-matching training failed")
            && stderr.contains("--lr")
            && stderr.contains("--grad-clip")
            && !stderr.contains("panicked"),
        "{stderr}"
    );
    assert!(!Path::new(&out).exists());
}

/// 64-bit FNV-1a, the checkpoint checksum.
fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// The checkpoint `bytes` with the header line `key=…` replaced by `key=value` (header length
/// and checksum fixed up, so only the field is wrong).
fn with_header_field(bytes: &[u8], key: &str, value: &str) -> Vec<u8> {
    let header_len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&bytes[16..16 + header_len]).unwrap();
    let prefix = format!("{key}=");
    let new_header: String = header
        .lines()
        .map(|line| {
            if line.starts_with(&prefix) {
                format!("{prefix}{value}\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(new_header.len() as u32).to_le_bytes());
    out.extend_from_slice(new_header.as_bytes());
    out.extend_from_slice(&bytes[16 + header_len..bytes.len() - 8]);
    let hash = fnv1a64(&out);
    out.extend_from_slice(&hash.to_le_bytes());
    out
}

/// Crafted checkpoints: `eval` and `sample` refuse them naming the checkpoint and the field,
/// before allocating anything the header asks for.
#[test]
fn crafted_checkpoints_name_the_file_and_the_field() {
    let dir = TempDir::new();
    let good = tiny_checkpoint(&dir, "good.ckpt");
    let bytes = std::fs::read(&good).unwrap();
    let cases = [
        (
            "hidden_width",
            "x",
            "header field hidden_width = \"x\" is not an integer",
        ),
        (
            "hidden_width",
            "18446744073709551615",
            "header field hidden_width",
        ),
        ("hidden_layers", "1000000000", "header field hidden_layers"),
        ("ambient_dim", "99999999999", "header field ambient_dim"),
        (
            "meta.synthetic_size",
            "18446744073709551615",
            "entry 'synthetic_size'",
        ),
        ("meta.synthetic_size", "3", "entry 'synthetic_size'"),
        ("meta.sigma_min", "x", "entry 'sigma_min'"),
        ("meta.sigma_min", "1e-160", "entry 'sigma_min/sigma_max'"),
        ("meta.sigma_max", "1e-3", "entry 'sigma_min/sigma_max'"),
        ("meta.dataset", "nope", "entry 'dataset'"),
        ("meta.manifold", "torus:2", "entry 'manifold'"),
        ("manifold", "sphere:x", "header field manifold"),
    ];
    for (key, value, expected) in cases {
        let path = dir.path("crafted.ckpt");
        std::fs::write(&path, with_header_field(&bytes, key, value)).unwrap();
        let is_sampling_field = !matches!(
            key,
            "meta.synthetic_size" | "meta.dataset" | "meta.manifold"
        );
        let mut commands = vec![vec!["eval", "-q", "-c", &path, "--max-points", "2"]];
        if is_sampling_field {
            commands.push(vec!["sample", "-q", "-c", &path, "-n", "2"]);
        }
        for args in commands {
            let output = rdiff(&args);
            let stderr = assert_clean_failure(&output);
            assert!(
                stderr.contains(&format!("checkpoint {path}")) && stderr.contains(expected),
                "{key}={value}, {args:?}: {stderr}"
            );
        }
    }
    // The library refuses the same crafted bytes without a panic.
    let crafted = with_header_field(&bytes, "hidden_layers", "1000000000");
    assert!(Checkpoint::from_bytes(&crafted, "crafted").is_err());
}
