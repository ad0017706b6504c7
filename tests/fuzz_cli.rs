//! Fuzz suite, command-line half (issue 9, item 4): generated argument vectors for every
//! subcommand, generated CSV input for `rdiff kernel` and the earth-science loader, and
//! mutated checkpoints through `rdiff eval` / `rdiff sample`.
//!
//! Every run of `rdiff` is bounded ([`fuzz_fixtures::run_bounded`]: killed after the case's
//! timeout, address space limited), in a fresh case directory holding files with known bytes
//! (inputs, decoys named like temporaries, a directory, a FIFO, symlinks), with `RDIFF_DATA_DIR`
//! pointing at a small earth-science data set. Properties of every run:
//!
//! - no panic, no signal, no hang; exit code 0, 1 or 2;
//! - a failure (exit 1) ends with exactly one clear `error: …` line; exit 2 is clap's message;
//! - every pre-existing file is byte-identical afterwards (and keeps its type: a symlink or
//!   FIFO is never replaced by a regular file), unless the run succeeded and the file was its
//!   intended output and not also one of its inputs; no new file is left behind except the
//!   intended outputs of a successful run. (`rdiff kernel --output` after a bad input line is
//!   the one documented exception: the output then holds the header and the earlier results.)
//!
//! The `*_fast` tests are the slice of the default suite; the `*_long` tests (`#[ignore]`) run
//! many more cases. Deterministic from the seed (`RDIFF_FUZZ_SEED`); every failure prints the
//! command line and the command that replays it (`RDIFF_FUZZ_KEEP=1` keeps the case directory).

#[path = "common/fuzz_checkpoints.rs"]
mod fuzz_checkpoints;
#[path = "common/fuzz_fixtures.rs"]
mod fuzz_fixtures;

use fuzz_checkpoints::{base_checkpoint, mutated_checkpoint, BASES};
use fuzz_fixtures::{
    case_numbers, case_timeout, process_failures, shell_line, shorten, Class, Entry, FifoFeeder,
    Gen, Report, RunResult, RunSpec, ScratchDir, Snapshot, StdinSource, StdoutMode,
};
use riemannian_diffusion::manifold::{CompactGroup, Manifold, ManifoldSpec};
use riemannian_diffusion::registry;
use std::collections::BTreeSet;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

const FILE: &str = "fuzz_cli";

fn rdiff_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_rdiff"))
}

// ---------------------------------------------------------------------------------------------
// The case directory
// ---------------------------------------------------------------------------------------------

/// Earth-science CSV (like `tests/cli.rs`): 60 rows with a comment and a header, CRLF.
fn earth_csv(offset: usize) -> String {
    let mut csv = String::from("# synthetic\r\nLatitude,Longitude\r\n");
    for i in 0..60 {
        csv.push_str(&format!(
            "{},{}\r\n",
            ((i + offset) % 17) as f64 * 9.0 - 70.0,
            ((i + offset) * 37 % 360) as f64 - 180.0
        ));
    }
    csv
}

const EARTH_FILES: [&str; 4] = ["volerup.csv", "quakes_all.csv", "flood.csv", "fire.csv"];

/// One CSV line `x0,x` (shortest round-trip numbers).
fn csv_pair(x0: &[f64], x: &[f64]) -> String {
    let fields: Vec<String> = x0.iter().chain(x).map(|v| format!("{v:e}")).collect();
    fields.join(",")
}

/// A few valid point pairs for `rdiff kernel --manifold spec_text` (sphere:2 if it does not
/// parse or is large).
fn kernel_pairs(g: &mut Gen, spec_text: &str) -> String {
    let spec: ManifoldSpec = spec_text
        .parse()
        .ok()
        .filter(|s: &ManifoldSpec| s.ambient_dim().is_some_and(|k| k <= 4096))
        .unwrap_or(ManifoldSpec::Sphere(2));
    let Ok(m) = registry::builtin().manifold(&spec) else {
        return "0,0,1,0.6,0,0.8\n".to_string();
    };
    let n = m.ambient_dim();
    let mut text = String::from("# x0, x\n");
    for _ in 0..3 {
        let mut x0 = vec![0.0; n];
        let mut x = vec![0.0; n];
        m.sample_uniform(g.rng(), &mut x0);
        m.sample_uniform(g.rng(), &mut x);
        text.push_str(&csv_pair(&x0, &x));
        text.push('\n');
    }
    text
}

/// The files of a case directory. Every regular file has known bytes; the decoys have the
/// names a careless writer would give its temporaries.
struct CaseDir {
    /// FIFO feeder (serves `fifo` to readers until dropped; dropped before the directory).
    _feeder: FifoFeeder,
    dir: ScratchDir,
}

impl CaseDir {
    fn new(g: &mut Gen, checkpoint: &[u8], pairs: &str, fifo_payload: Vec<u8>) -> CaseDir {
        let dir = ScratchDir::new("cli");
        let root = dir.0.clone();
        let write = |name: &str, bytes: &[u8]| {
            let path = root.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).unwrap();
            }
            std::fs::write(path, bytes).unwrap();
        };
        for (i, name) in EARTH_FILES.iter().enumerate() {
            write(&format!("data/{name}"), earth_csv(i).as_bytes());
        }
        write("baddata/quakes_all.csv", b"");
        write("baddata/flood.csv", &g.bytes(200));
        write("baddata/fire.csv", b"lat,lon\n10,20\nnan,3\n");
        std::os::unix::fs::symlink("/dev/zero", root.join("baddata/volerup.csv")).unwrap();
        write("model.ckpt", checkpoint);
        write("pairs.csv", pairs.as_bytes());
        for name in [
            "keep.csv",
            "junk.bin",
            "model.ckpt.tmp",
            "keep.csv.tmp",
            "out.csv.tmp",
            "out.png.tmp",
            "new.ckpt.tmp",
            "rdiff-model.ckpt.tmp",
            "rdiff-demo.png.tmp",
            ".out.csv.tmp",
        ] {
            let n = g.range(1, 300);
            write(name, &g.bytes(n));
        }
        write("empty", b"");
        write("dir/inner.txt", b"inside a directory\n");
        fuzz_fixtures::make_fifo(&root.join("fifo"));
        std::os::unix::fs::symlink("keep.csv", root.join("link")).unwrap();
        std::os::unix::fs::symlink("model.ckpt", root.join("ckptlink")).unwrap();
        std::os::unix::fs::symlink("no-such-target", root.join("dangling")).unwrap();
        std::os::unix::fs::symlink("/dev/zero", root.join("zero")).unwrap();
        let feeder = FifoFeeder::start(root.join("fifo"), fifo_payload);
        CaseDir {
            _feeder: feeder,
            dir,
        }
    }

    fn root(&self) -> &Path {
        &self.dir.0
    }
}

/// `path` relative to the case directory if it lies inside it (lexically), else `None`.
fn inside(root: &Path, path: &str) -> Option<PathBuf> {
    if path.is_empty() {
        return None;
    }
    let p = Path::new(path);
    let relative = if p.is_absolute() {
        p.strip_prefix(root).ok()?.to_path_buf()
    } else {
        p.to_path_buf()
    };
    let mut out = PathBuf::new();
    for c in relative.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The case-relative paths a path argument may write: itself, and the target of a symlink
/// inside the case directory.
fn resolve(root: &Path, path: &str) -> Vec<PathBuf> {
    let Some(rel) = inside(root, path) else {
        return Vec::new();
    };
    let mut out = vec![rel.clone()];
    if let Ok(target) = std::fs::read_link(root.join(&rel)) {
        if let Some(t) = inside(root, &target.to_string_lossy()) {
            out.push(rel.parent().map(|p| p.join(&t)).unwrap_or(t));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

const SIZE_SMALL: &[&str] = &["0", "1", "2", "3", "5", "8"];
const SIZE_HUGE: &[&str] = &[
    "4294967296",
    "1099511627776",
    "1000000000000000",
    "9223372036854775807",
    "18446744073709551614",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "268435457",
];
const SIZE_BAD: &[&str] = &["-1", "-0", "1.5", "1e3", "abc", "", "+3", " 4", "0x10", "٣"];
const FLOAT_EXTREME: &[&str] = &[
    "0",
    "-0",
    "-1",
    "-1e-3",
    "nan",
    "NaN",
    "inf",
    "-inf",
    "infinity",
    "1e-320",
    "5e-324",
    "1e308",
    "1.7976931348623157e308",
    "1e400",
    "-1e400",
    "1e-400",
    "abc",
    "",
    "1e",
    "0x1p3",
    "1e-160",
    "10",
    "1e300",
];
const MANIFOLDS_VALID: &[&str] = &[
    "sphere:2",
    "sphere:2",
    "torus:2",
    "torus:1",
    "sphere:1",
    "sphere:3",
    "sphere:4",
    "so:3",
    "so:2",
    "su:2",
    "u:1",
    "u:2",
    "so:3*sphere:2",
    "torus:1*sphere:2",
    "su:2^3",
    "sphere:5",
];
const MANIFOLDS_EXTREME: &[&str] = &[
    "sphere:0",
    "torus:0",
    "so:1",
    "su:1",
    "u:0",
    "so:3**so:3",
    "",
    "sphere",
    "sphere:",
    "sphere:-1",
    "SPHERE:2",
    " sphere:2 ",
    "sphere:2*",
    "*",
    "^3",
    "torus:2^0",
    "su:2^65537",
    "sphere:16777215",
    "sphere:16777216",
    "sphere:100000",
    "su:2896",
    "so:20",
    "so:12",
    "su:6",
    "so:4096",
    "sphere:99999999999999999999",
    "torus:1^65536",
    "u:1^65537",
    "klein:2",
    "sphere:2^18446744073709551615",
    "so:3*",
    "torus:10000",
    "sphere:1000",
];
const TIMES_TEXT: &[&str] = &[
    "5e-324",
    "1e-320",
    "1e-310",
    "1e-300",
    "1e-100",
    "1e-20",
    "1e-16",
    "1e-8",
    "1e-3",
    "0.1",
    "1",
    "10",
    "1e4",
    "1e16",
    "1e100",
    "1e300",
    "1.7976931348623157e308",
];

/// Bound + 1 of each size option of the resource policy (`limits`).
fn above_bound(option: &str) -> Option<&'static str> {
    Some(match option {
        "--steps" => "100000001",
        "--batch-size" => "1048577",
        "--width" => "16385",
        "--depth" => "257",
        "--grw-steps" => "1000001",
        "--corrector-steps" => "1001",
        "--grid-width" => "722",
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Argument vectors
// ---------------------------------------------------------------------------------------------

/// How an option's value is generated.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A size that costs work: never dropped (its default may be slow), small or out of range.
    CostSize,
    /// A size that may be dropped.
    Size,
    Float,
    Seed,
    Manifold,
    Time,
    Choice(&'static [&'static str]),
    InputPath,
    OutputPath,
    DataDir,
    /// A flag without a value.
    Flag,
}

struct Opt {
    name: &'static str,
    value: Option<String>,
    kind: Kind,
    required: bool,
}

fn opt(name: &'static str, value: &str, kind: Kind) -> Opt {
    Opt {
        name,
        value: Some(value.to_string()),
        kind,
        required: false,
    }
}

/// A generated command line and what it names.
struct Command {
    sub: &'static str,
    opts: Vec<Opt>,
    /// Extra raw words (unknown options, stray positionals, --help).
    extra: Vec<String>,
    /// Use `--name=value` forms.
    equals: bool,
}

impl Command {
    fn words(&self) -> Vec<OsString> {
        let mut w: Vec<OsString> = vec![self.sub.into()];
        for o in &self.opts {
            match &o.value {
                None => w.push(o.name.into()),
                Some(v) if self.equals && o.name.starts_with("--") => {
                    w.push(format!("{}={v}", o.name).into())
                }
                Some(v) => {
                    w.push(o.name.into());
                    w.push(v.into());
                }
            }
        }
        for e in &self.extra {
            w.push(e.into());
        }
        w
    }

    fn value(&self, names: &[&str]) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|o| names.contains(&o.name))
            .and_then(|o| o.value.as_deref())
    }
}

const INPUT_PATHS: &[&str] = &[
    "keep.csv",
    "empty",
    "missing.csv",
    "dir",
    "dir/",
    "fifo",
    "link",
    "dangling",
    "zero",
    "/proc/self/mem",
    "",
    "data",
    "junk.bin",
    "ckptlink",
    "model.ckpt.tmp",
];
const OUTPUT_PATHS: &[&str] = &[
    "keep.csv",
    "model.ckpt",
    "pairs.csv",
    "dir",
    "dir/",
    "dir/new.out",
    "fifo",
    "link",
    "ckptlink",
    "dangling",
    "zero",
    "missing-dir/x.out",
    "/nonexistent-rdiff-fuzz/x.out",
    "",
    ".",
    "-",
    "data/volerup.csv",
    "x.out/",
    "junk.bin",
    "empty",
];
const DATA_DIRS: &[&str] = &["data", "baddata", "missing", "keep.csv", "dir", "", "fifo"];

fn size_value(g: &mut Gen, name: &str) -> String {
    let r = g.unit();
    if r < 0.35 {
        g.pick(SIZE_SMALL).to_string()
    } else if r < 0.6 {
        above_bound(name)
            .map(str::to_string)
            .unwrap_or_else(|| g.pick(SIZE_HUGE).to_string())
    } else if r < 0.85 {
        g.pick(SIZE_HUGE).to_string()
    } else {
        g.pick(SIZE_BAD).to_string()
    }
}

/// A faulty value for option `o`.
fn faulty_value(g: &mut Gen, o: &Opt, root: &Path) -> String {
    let absolute = |g: &mut Gen, p: &str| {
        if g.chance(0.2) && !p.is_empty() && !p.starts_with('/') {
            root.join(p).display().to_string()
        } else {
            p.to_string()
        }
    };
    match o.kind {
        Kind::CostSize | Kind::Size => size_value(g, o.name),
        Kind::Float => g.pick(FLOAT_EXTREME).to_string(),
        Kind::Seed => g
            .pick(&[
                "18446744073709551615",
                "18446744073709551616",
                "-1",
                "abc",
                "",
                "0",
            ])
            .to_string(),
        Kind::Manifold => g.pick(MANIFOLDS_EXTREME).to_string(),
        Kind::Time => {
            if g.chance(0.5) {
                g.pick(TIMES_TEXT).to_string()
            } else {
                g.pick(FLOAT_EXTREME).to_string()
            }
        }
        Kind::Choice(choices) => {
            if g.chance(0.5) {
                g.pick(choices).to_string()
            } else {
                g.pick(&["bogus", "", "AUTO", " dsm", "1"]).to_string()
            }
        }
        Kind::InputPath => {
            let p = *g.pick(INPUT_PATHS);
            absolute(g, p)
        }
        Kind::OutputPath => {
            let p = *g.pick(OUTPUT_PATHS);
            absolute(g, p)
        }
        Kind::DataDir => {
            let p = *g.pick(DATA_DIRS);
            absolute(g, p)
        }
        Kind::Flag => String::new(),
    }
}

fn base_command(g: &mut Gen, sub: &'static str, checkpoint_dataset: &str) -> Command {
    let mut opts = Vec::new();
    let q = g.chance(0.8);
    match sub {
        "demo" => {
            opts.push(opt("--steps", "2", Kind::CostSize));
            opts.push(opt("--batch-size", "8", Kind::CostSize));
            opts.push(opt("--width", "8", Kind::CostSize));
            opts.push(opt("--depth", "1", Kind::CostSize));
            opts.push(opt("--test-points", "3", Kind::CostSize));
            opts.push(opt("--grid-width", "8", Kind::CostSize));
            opts.push(opt("--out", "out.png", Kind::OutputPath));
            for (name, value) in [
                ("--lr", "1e-3"),
                ("--sigma-min", "0.02"),
                ("--sigma-max", "3"),
            ] {
                if g.chance(0.3) {
                    opts.push(opt(name, value, Kind::Float));
                }
            }
            if g.chance(0.2) {
                opts.push(opt("--seed", "3", Kind::Seed));
            }
        }
        "train" => {
            const DATASETS: &[&str] = &[
                "volcano",
                "earthquake",
                "flood",
                "fire",
                "vmf-mixture",
                "wrapped-normal-mixture",
                "heat-kernel-mixture",
            ];
            let dataset = *g.pick(DATASETS);
            let mut d = opt("--dataset", dataset, Kind::Choice(DATASETS));
            d.required = true;
            opts.push(d);
            opts.push(opt("--steps", "2", Kind::CostSize));
            opts.push(opt("--batch-size", "8", Kind::CostSize));
            opts.push(opt("--width", "8", Kind::CostSize));
            opts.push(opt("--depth", "1", Kind::CostSize));
            opts.push(opt("--synthetic-size", "20", Kind::CostSize));
            opts.push(opt("-o", "new.ckpt", Kind::OutputPath));
            if dataset == "heat-kernel-mixture" || g.chance(0.2) {
                let m = match dataset {
                    "vmf-mixture" => *g.pick(&["sphere:2", "sphere:3", "sphere:5"]),
                    "wrapped-normal-mixture" => *g.pick(&["torus:2", "torus:3", "so:3"]),
                    _ => *g.pick(MANIFOLDS_VALID),
                };
                opts.push(opt("--manifold", m, Kind::Manifold));
            }
            if g.chance(0.4) {
                opts.push(opt(
                    "--loss",
                    g.pick::<&str>(&["dsm", "dsm-varadhan", "ism", "sliced"]),
                    Kind::Choice(&["dsm", "dsm-varadhan", "ism", "sliced"]),
                ));
            }
            if g.chance(0.2) {
                opts.push(opt("--data-dir", "data", Kind::DataDir));
            }
            for (name, value) in [
                ("--lr", "1e-3"),
                ("--sigma-min", "0.02"),
                ("--sigma-max", "3"),
            ] {
                if g.chance(0.2) {
                    opts.push(opt(name, value, Kind::Float));
                }
            }
        }
        "eval" => {
            let mut c = opt("-c", "model.ckpt", Kind::InputPath);
            c.required = true;
            opts.push(c);
            opts.push(opt("--max-points", "3", Kind::Size));
            opts.push(opt("--tolerance", "1e-3", Kind::Float));
            if g.chance(0.3) {
                opts.push(opt(
                    "--split",
                    g.pick::<&str>(&["test", "val", "train"]),
                    Kind::Choice(&["test", "val", "train"]),
                ));
            }
            if g.chance(0.3) {
                opts.push(opt(
                    "--divergence",
                    g.pick::<&str>(&["auto", "exact", "hutchinson"]),
                    Kind::Choice(&["auto", "exact", "hutchinson"]),
                ));
            }
            if g.chance(0.2) {
                opts.push(opt("--seed", "5", Kind::Seed));
            }
            if g.chance(0.2) {
                opts.push(Opt {
                    name: "--no-ema",
                    value: None,
                    kind: Kind::Flag,
                    required: false,
                });
            }
            if checkpoint_dataset == "volcano" && g.chance(0.3) {
                opts.push(opt("--data-dir", "data", Kind::DataDir));
            }
        }
        "sample" => {
            let mut c = opt("-c", "model.ckpt", Kind::InputPath);
            c.required = true;
            opts.push(c);
            opts.push(opt("-n", "5", Kind::CostSize));
            opts.push(opt("--tolerance", "1e-3", Kind::Float));
            if g.chance(0.6) {
                opts.push(opt("-o", "out.csv", Kind::OutputPath));
            }
            if g.chance(0.3) {
                opts.push(opt("--plot", "out.png", Kind::OutputPath));
            }
            if g.chance(0.5) {
                opts.push(opt("--method", "grw", Kind::Choice(&["ode", "grw"])));
                opts.push(opt("--grw-steps", "5", Kind::Size));
                if g.chance(0.5) {
                    opts.push(opt("--corrector-steps", "1", Kind::Size));
                    opts.push(opt("--snr", "0.16", Kind::Float));
                }
            }
            if g.chance(0.2) {
                opts.push(opt("--seed", "7", Kind::Seed));
            }
            if g.chance(0.2) {
                opts.push(Opt {
                    name: "--no-ema",
                    value: None,
                    kind: Kind::Flag,
                    required: false,
                });
            }
        }
        _ => {
            let m = *g.pick(MANIFOLDS_VALID);
            let mut mo = opt("--manifold", m, Kind::Manifold);
            mo.required = true;
            opts.push(mo);
            let mut t = opt(
                "--t",
                g.pick::<&str>(&["0.1", "1", "1e-3", "0.5"]),
                Kind::Time,
            );
            t.required = true;
            opts.push(t);
            if g.chance(0.7) {
                opts.push(opt("-i", "pairs.csv", Kind::InputPath));
            }
            if g.chance(0.6) {
                opts.push(opt("-o", "out.csv", Kind::OutputPath));
            }
            if g.chance(0.3) {
                const METHODS: &[&str] =
                    &["auto", "eigen", "varadhan", "schwinger-dewitt", "paths"];
                opts.push(opt(
                    "--method",
                    g.pick::<&str>(METHODS),
                    Kind::Choice(METHODS),
                ));
            }
            if g.chance(0.2) {
                opts.push(opt(
                    "--tol",
                    g.pick::<&str>(&["1e-12", "1e-15", "1e-6"]),
                    Kind::Float,
                ));
            }
        }
    }
    if q {
        opts.push(Opt {
            name: "-q",
            value: None,
            kind: Kind::Flag,
            required: false,
        });
    }
    Command {
        sub,
        opts,
        extra: Vec::new(),
        equals: false,
    }
}

/// Applies `faults` random faults to `command`.
fn add_faults(g: &mut Gen, command: &mut Command, faults: usize, root: &Path) -> Vec<String> {
    let mut notes = Vec::new();
    for _ in 0..faults {
        let r = g.below(20);
        if r < 12 && !command.opts.is_empty() {
            // A faulty value (sizes, floats, paths, manifolds, choices).
            let i = g.below(command.opts.len());
            if command.opts[i].kind == Kind::Flag {
                continue;
            }
            let v = faulty_value(g, &command.opts[i], root);
            notes.push(format!("{} {v:?}", command.opts[i].name));
            command.opts[i].value = Some(v);
        } else if r < 14 {
            // Drop an option that has a cheap default (or a required one: a usage error).
            let droppable: Vec<usize> = (0..command.opts.len())
                .filter(|&i| command.opts[i].kind != Kind::CostSize)
                .collect();
            if !droppable.is_empty() {
                let i = droppable[g.below(droppable.len())];
                notes.push(format!("drop {}", command.opts[i].name));
                command.opts.remove(i);
            }
        } else if r < 16 {
            // Output = input.
            let input = command.value(&["-c", "-i"]).map(str::to_string);
            if let (Some(input), Some(o)) = (
                input,
                command.opts.iter_mut().find(|o| o.kind == Kind::OutputPath),
            ) {
                notes.push(format!("{} = input {input:?}", o.name));
                o.value = Some(input);
            } else if let Some(o) = command.opts.iter_mut().find(|o| o.kind == Kind::OutputPath) {
                let v = *g.pick(&["model.ckpt", "pairs.csv", "data/fire.csv"]);
                o.value = Some(v.to_string());
                notes.push(format!("{} {v:?}", o.name));
            }
        } else if r < 18 {
            let e = g
                .pick(&[
                    "--bogus",
                    "stray",
                    "--help",
                    "-h",
                    "--version",
                    "--quiet",
                    "-",
                    "--",
                    "--steps",
                ])
                .to_string();
            notes.push(format!("extra {e:?}"));
            command.extra.push(e);
        } else {
            command.equals = !command.equals;
            notes.push("--name=value forms".into());
        }
    }
    notes
}

// ---------------------------------------------------------------------------------------------
// Checks of a run
// ---------------------------------------------------------------------------------------------

/// What a run reads and writes (case-relative).
struct Io {
    inputs: BTreeSet<PathBuf>,
    /// Every path the outputs may write (the named paths and the targets of symlinks).
    outputs: BTreeSet<PathBuf>,
    /// The output paths as named.
    named_outputs: BTreeSet<PathBuf>,
    /// The command asks for help or the version (no work, no outputs).
    help: bool,
    /// Case-relative output named by `rdiff kernel -o`, with its input's name in messages.
    kernel_output: Option<(PathBuf, String, bool)>,
    /// The checkpoint's file name, which every error about it must name.
    checkpoint_name: Option<String>,
    /// Paths outside the case directory that must not appear.
    outside_outputs: Vec<PathBuf>,
}

/// Inputs and intended outputs of a command; `dataset` is the data set it reads (`train`: its
/// `--dataset`; `eval`: the checkpoint's).
fn io_of(command: &Command, root: &Path, dataset: Option<&str>, env_data_dir: bool) -> Io {
    let mut inputs = BTreeSet::new();
    let mut outputs = BTreeSet::new();
    let mut outside_outputs = Vec::new();
    let mut named_outputs = BTreeSet::new();
    let mut add_output = |path: &str, outputs: &mut BTreeSet<PathBuf>| {
        for (k, p) in resolve(root, path).into_iter().enumerate() {
            if k == 0 {
                named_outputs.insert(p.clone());
            }
            outputs.insert(p);
        }
        if Path::new(path).is_absolute() && !Path::new(path).starts_with(root) {
            outside_outputs.push(PathBuf::from(path));
        }
    };
    match command.sub {
        "demo" => add_output(
            command.value(&["--out"]).unwrap_or("rdiff-demo.png"),
            &mut outputs,
        ),
        "train" => add_output(
            command
                .value(&["-o", "--out"])
                .unwrap_or("rdiff-model.ckpt"),
            &mut outputs,
        ),
        "sample" => {
            if let Some(o) = command.value(&["-o", "--out"]) {
                add_output(o, &mut outputs);
            }
            if let Some(o) = command.value(&["--plot"]) {
                add_output(o, &mut outputs);
            }
        }
        "kernel" => {
            if let Some(o) = command.value(&["-o", "--output", "--out"]) {
                add_output(o, &mut outputs);
            }
        }
        _ => {}
    }
    if let Some(c) = command.value(&["-c", "--checkpoint"]) {
        inputs.extend(resolve(root, c));
    }
    if let Some(i) = command.value(&["-i", "--input"]) {
        inputs.extend(resolve(root, i));
    }
    let dataset = if command.sub == "train" {
        command.value(&["--dataset"])
    } else {
        dataset
    };
    let earth_file = match dataset {
        Some("volcano") => Some("volerup.csv"),
        Some("earthquake") => Some("quakes_all.csv"),
        Some("flood") => Some("flood.csv"),
        Some("fire") => Some("fire.csv"),
        _ => None,
    };
    if let (Some(file), true) = (earth_file, matches!(command.sub, "train" | "eval")) {
        let dir = command
            .value(&["--data-dir"])
            .or(env_data_dir.then_some("data"));
        if let Some(dir) = dir {
            for d in resolve(root, dir) {
                inputs.insert(d.join(file));
            }
        }
    }
    let kernel_output = (command.sub == "kernel")
        .then(|| command.value(&["-o", "--output", "--out"]))
        .flatten()
        .and_then(|o| inside(root, o))
        .map(|o| {
            let input = command.value(&["-i", "--input"]).unwrap_or("-");
            // A readable input: standard input, a regular file or a FIFO (not a directory, a
            // device, a missing path).
            let regular = input == "-"
                || std::fs::metadata(root.join(input)).is_ok_and(|m| {
                    m.file_type().is_file()
                        || std::os::unix::fs::FileTypeExt::is_fifo(&m.file_type())
                });
            let name = if input == "-" {
                "<stdin>".to_string()
            } else {
                input.to_string()
            };
            (o, name, regular)
        });
    let checkpoint_name = command
        .value(&["-c", "--checkpoint"])
        .map(|c| c.to_string());
    let help = command
        .words()
        .iter()
        .any(|w| ["-h", "--help", "--version", "-V"].contains(&w.to_string_lossy().as_ref()));
    Io {
        inputs,
        outputs,
        named_outputs,
        help,
        kernel_output,
        checkpoint_name,
        outside_outputs,
    }
}

/// The file-level failures of a run: changed, removed or retyped pre-existing files; new files.
fn file_failures(
    root: &Path,
    before: &Snapshot,
    after: &Snapshot,
    io: &Io,
    result: &RunResult,
) -> Vec<(Class, String)> {
    let mut out = Vec::new();
    let success = result.code == Some(0) && !result.timed_out;
    // The documented exception: `rdiff kernel -o FILE` after a bad line of a readable input.
    let stderr = result.stderr_text();
    let bad_line_commit = io.kernel_output.as_ref().and_then(|(o, input, regular)| {
        let marker = format!("error: {input}:");
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let after_marker = last.strip_prefix(&marker)?;
        let digits: String = after_marker
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let read_error = after_marker.contains("cannot read the input");
        (*regular
            && !read_error
            && result.code == Some(1)
            && !digits.is_empty()
            && after_marker[digits.len()..].starts_with(':'))
        .then(|| o.clone())
    });
    let may_write = |p: &Path| {
        (success && io.outputs.contains(p) && !io.inputs.contains(p))
            || (bad_line_commit.as_deref() == Some(p) && !io.inputs.contains(p))
    };
    for (path, entry) in &before.0 {
        match after.0.get(path) {
            None => out.push((
                Class::DataLoss,
                format!("{} ({}) was removed", path.display(), entry.kind()),
            )),
            Some(now) if now == entry => {}
            Some(now) => {
                let both_files = matches!((entry, now), (Entry::File { .. }, Entry::File { .. }));
                if !both_files {
                    out.push((
                        Class::DataLoss,
                        format!(
                            "{} was {} and is now {}",
                            path.display(),
                            entry.kind(),
                            now.kind()
                        ),
                    ));
                } else if !may_write(path) {
                    let why = if io.inputs.contains(path) && io.outputs.contains(path) {
                        "the run's input was overwritten by its output"
                    } else if success {
                        "a file that was not the run's output changed"
                    } else {
                        "the run failed but changed the file"
                    };
                    out.push((
                        Class::DataLoss,
                        format!(
                            "{}: {why} ({} → {})",
                            path.display(),
                            entry.kind(),
                            now.kind()
                        ),
                    ));
                } else if bad_line_commit.as_deref() == Some(path.as_path()) {
                    let text = std::fs::read(root.join(path)).unwrap_or_default();
                    if !text.starts_with(b"log_p,terms,estimator,error_estimate") {
                        out.push((
                            Class::DataLoss,
                            format!(
                                "{} after a bad line does not hold the results header",
                                path.display()
                            ),
                        ));
                    }
                }
            }
        }
    }
    for (path, entry) in &after.0 {
        if before.0.contains_key(path) {
            continue;
        }
        if !may_write(path) {
            let parent_new = path
                .ancestors()
                .skip(1)
                .any(|a| !a.as_os_str().is_empty() && !before.0.contains_key(a));
            if !parent_new {
                out.push((
                    Class::LeftoverFile,
                    format!("new {} {} left behind", entry.kind(), path.display()),
                ));
            }
        }
    }
    for p in &io.outside_outputs {
        if std::fs::symlink_metadata(p).is_ok() {
            out.push((
                Class::DataLoss,
                format!("{} was created outside the case directory", p.display()),
            ));
        }
    }
    if success && !io.help {
        for p in &io.named_outputs {
            // An output named through a symlink is written at its target.
            let is_link = matches!(before.0.get(p), Some(Entry::Symlink(_)));
            if !is_link
                && !after
                    .0
                    .get(p)
                    .is_some_and(|e| matches!(e, Entry::File { .. }))
            {
                out.push((
                    Class::WrongValue,
                    format!(
                        "succeeded, but its output {} is {}",
                        p.display(),
                        after.0.get(p).map_or("missing".to_string(), Entry::kind)
                    ),
                ));
            }
        }
    }
    out
}

/// The run's failures beyond the process level: a checkpoint error that does not name the
/// checkpoint, work done before failing on an output.
fn message_failures(
    command: &Command,
    result: &RunResult,
    corrupt_checkpoint: bool,
) -> Vec<(Class, String)> {
    let mut out = Vec::new();
    let stderr = result.stderr_text();
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .to_string();
    if result.code == Some(1) && last.starts_with("error: ") {
        let names_output = command
            .opts
            .iter()
            .filter(|o| o.kind == Kind::OutputPath)
            .filter_map(|o| o.value.as_deref())
            .filter(|v| !v.is_empty() && *v != "-" && *v != ".")
            .any(|v| last.contains(v.trim_end_matches('/')));
        let informational = stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("error"))
            .count();
        if names_output && (!result.stdout.is_empty() || informational > 0) {
            out.push((
                Class::FailsLate,
                format!(
                    "the output error came after the work: stdout {:?}, stderr {}",
                    shorten(&result.stdout_text(), 120),
                    shorten(&stderr, 300)
                ),
            ));
        }
    }
    if corrupt_checkpoint && result.code == Some(0) {
        out.push((
            Class::WrongValue,
            "a corrupt checkpoint (checksum no longer matches) was accepted".into(),
        ));
    }
    out
}

/// One `rdiff` run of a case with all checks.
#[allow(clippy::too_many_arguments)]
fn run_case(
    report: &mut Report,
    case: u64,
    case_dir: &CaseDir,
    command: &Command,
    stdin: Option<Vec<u8>>,
    stdout_closed: bool,
    env_data_dir: bool,
    notes: &str,
    timeout: Duration,
    checkpoint_check: Option<bool>,
    dataset: Option<&str>,
    name_checkpoint_errors: bool,
) -> RunResult {
    let root = case_dir.root();
    let words = command.words();
    let io = io_of(command, root, dataset, env_data_dir);
    let before = Snapshot::of(root);
    let env: Vec<(String, String)> = if env_data_dir {
        vec![(
            "RDIFF_DATA_DIR".into(),
            root.join("data").display().to_string(),
        )]
    } else {
        Vec::new()
    };
    let stdin_text = match &stdin {
        None => String::new(),
        Some(b) => format!(
            " < ({} bytes: {:?})",
            b.len(),
            shorten(&String::from_utf8_lossy(b), 120)
        ),
    };
    let result = fuzz_fixtures::run_bounded(RunSpec {
        program: rdiff_path(),
        args: &words,
        cwd: root,
        env: &env,
        stdin: match stdin {
            None => StdinSource::Null,
            Some(b) => StdinSource::Bytes(b),
        },
        stdout: if stdout_closed {
            StdoutMode::Closed
        } else {
            StdoutMode::Capture
        },
        timeout,
    });
    let after = Snapshot::of(root);
    let mut failures = process_failures(&result);
    failures.extend(file_failures(root, &before, &after, &io, &result));
    failures.extend(message_failures(
        command,
        &result,
        checkpoint_check.unwrap_or(false),
    ));
    if checkpoint_check.is_some() && name_checkpoint_errors && result.code == Some(1) {
        if let Some(name) = &io.checkpoint_name {
            let last = result.stderr_text();
            let last = last
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            let file = Path::new(name)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !last.contains(&file) {
                failures.push((
                    Class::BadMessage,
                    format!("an error caused by the crafted checkpoint does not name it: {last}"),
                ));
            }
        }
    }
    let line = format!(
        "{}rdiff {}{}{}",
        if env_data_dir {
            "RDIFF_DATA_DIR=$CASE/data "
        } else {
            ""
        },
        shell_line(&words).replace(&root.display().to_string(), "$CASE"),
        stdin_text,
        if stdout_closed {
            " | (stdout closed)"
        } else {
            ""
        }
    );
    for (class, detail) in failures {
        report.add(
            class,
            case,
            format!(
                "{detail}\n  command (in a fresh case directory $CASE): {line}\n  {}; {}",
                notes.replace(&root.display().to_string(), "$CASE"),
                result.status_text()
            ),
        );
    }
    report.count_case();
    result
}

// ---------------------------------------------------------------------------------------------
// Test 1: argument vectors of every subcommand
// ---------------------------------------------------------------------------------------------

fn argument_case(report: &mut Report, seed: u64, case: u64, timeout: Duration) {
    let mut g = Gen::for_case(seed, "cli-args", case);
    let sub = *g.pick(&[
        "demo", "train", "train", "eval", "eval", "sample", "sample", "kernel", "kernel", "kernel",
    ]);
    let base = *g.pick(BASES);
    let checkpoint = base_checkpoint(&base);
    let mut command = base_command(&mut g, sub, base.dataset);
    let manifold = command
        .value(&["--manifold"])
        .unwrap_or("sphere:2")
        .to_string();
    let pairs = kernel_pairs(&mut g, &manifold);
    let fifo_payload = if matches!(sub, "eval" | "sample") {
        checkpoint.clone()
    } else {
        pairs.clone().into_bytes()
    };
    let case_dir = CaseDir::new(&mut g, &checkpoint, &pairs, fifo_payload);
    let faults = *g.pick(&[0, 0, 0, 1, 1, 1, 1, 2, 2, 3]);
    let notes = add_faults(&mut g, &mut command, faults, case_dir.root());
    let kernel_stdin =
        command.sub == "kernel" && command.value(&["-i", "--input"]).is_none_or(|i| i == "-");
    let stdin = kernel_stdin.then(|| {
        if g.chance(0.8) {
            pairs.clone().into_bytes()
        } else {
            let n = g.range(0, 200);
            g.bytes(n)
        }
    });
    let stdout_closed = g.chance(0.12);
    let env_data_dir = g.chance(0.9);
    let notes = format!(
        "checkpoint: {:?}; faults: {}",
        base,
        if notes.is_empty() {
            "none".to_string()
        } else {
            notes.join(", ")
        }
    );
    run_case(
        report,
        case,
        &case_dir,
        &command,
        stdin,
        stdout_closed,
        env_data_dir,
        &notes,
        timeout,
        None,
        Some(base.dataset),
        false,
    );
    drop(case_dir);
}

fn run_cli_test(
    test: &'static str,
    cases: u64,
    case: fn(&mut Report, u64, u64, Duration),
    max_hangs: usize,
) {
    let seed = fuzz_fixtures::fuzz_seed();
    let mut report = Report::new(FILE, test, seed);
    let timeout = case_timeout(fuzz_fixtures::DEFAULT_TIMEOUT);
    for n in case_numbers(cases) {
        if report.count(Class::Hang) >= fuzz_fixtures::max_hangs(max_hangs) {
            eprintln!("{test}: stopping after {max_hangs} hangs");
            break;
        }
        case(&mut report, seed, n, timeout);
    }
    report.finish();
}

const FAST_HANGS: usize = 3;
const LONG_HANGS: usize = 25;

#[test]
fn cli_argument_vectors_fast() {
    run_cli_test("cli_argument_vectors_fast", 200, argument_case, FAST_HANGS);
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_cli -- --ignored"]
fn cli_argument_vectors_long() {
    run_cli_test(
        "cli_argument_vectors_long",
        6_000,
        argument_case,
        LONG_HANGS,
    );
}

// ---------------------------------------------------------------------------------------------
// Test 2: CSV lines for `rdiff kernel` and the earth-science loader
// ---------------------------------------------------------------------------------------------

/// What a generated kernel input line must do.
#[derive(Clone, Copy, Debug, PartialEq)]
enum LineKind {
    Data,
    Skip,
    Bad,
    Unknown,
}

const KERNEL_CSV_MANIFOLDS: &[&str] = &[
    "sphere:2",
    "sphere:2",
    "torus:2",
    "torus:1",
    "sphere:1",
    "sphere:3",
    "sphere:4",
    "so:3",
    "su:2",
    "u:1",
    "u:2",
    "so:3*sphere:2",
    "torus:1*sphere:2",
    "sphere:6",
    "so:4",
];

/// A point of `m` for a CSV line: random, canonical, a wall, or off by a given amount.
fn csv_point(g: &mut Gen, spec: &ManifoldSpec, m: &dyn Manifold) -> Vec<f64> {
    let n = m.ambient_dim();
    let mut x = vec![0.0; n];
    m.sample_uniform(g.rng(), &mut x);
    match g.below(4) {
        0 => {
            // Identity / pole / zero angles.
            let mut out = Vec::new();
            for f in spec.factors() {
                match f {
                    ManifoldSpec::Torus(d) => out.extend(std::iter::repeat_n(0.0, *d)),
                    ManifoldSpec::Sphere(d) => {
                        out.extend(std::iter::repeat_n(0.0, *d));
                        out.push(1.0);
                    }
                    ManifoldSpec::Group(CompactGroup::SpecialOrthogonal(k)) => {
                        for i in 0..*k {
                            for j in 0..*k {
                                out.push(if i == j { 1.0 } else { 0.0 });
                            }
                        }
                    }
                    ManifoldSpec::Group(
                        CompactGroup::SpecialUnitary(k) | CompactGroup::Unitary(k),
                    ) => {
                        for i in 0..*k {
                            for j in 0..*k {
                                out.push(if i == j { 1.0 } else { 0.0 });
                                out.push(0.0);
                            }
                        }
                    }
                    _ => unreachable!(),
                }
            }
            out
        }
        _ => x,
    }
}

/// A kernel input file: text and the kind of each line.
fn kernel_csv(
    g: &mut Gen,
    spec: &ManifoldSpec,
    m: &dyn Manifold,
    long: bool,
) -> (Vec<u8>, Vec<LineKind>) {
    let n = m.ambient_dim();
    let crlf = g.chance(0.2);
    let mut text = Vec::new();
    let mut kinds = Vec::new();
    let lines = g.range(0, 10);
    for _ in 0..lines {
        let x0 = csv_point(g, spec, m);
        let x = csv_point(g, spec, m);
        let valid = csv_pair(&x0, &x);
        let (line, kind): (Vec<u8>, LineKind) = match g.below(24) {
            0..=9 => (valid.into_bytes(), LineKind::Data),
            10 => (valid.replace(',', " , ").into_bytes(), LineKind::Data),
            11 => (b"# comment line, with, commas".to_vec(), LineKind::Skip),
            12 => (b"   ".to_vec(), LineKind::Skip),
            13 => {
                // One field too many or too few.
                let mut f: Vec<&str> = valid.split(',').collect();
                if g.chance(0.5) {
                    f.push("0");
                } else {
                    f.pop();
                }
                (f.join(",").into_bytes(), LineKind::Bad)
            }
            14 => {
                let mut f: Vec<String> = valid.split(',').map(str::to_string).collect();
                let i = g.below(f.len());
                f[i] = g
                    .pick(&[
                        "nan", "NaN", "inf", "-inf", "1e400", "-1e400", "abc", "", "0x1", "1,5",
                    ])
                    .to_string();
                // Every replacement (a non-number, a non-finite number, an extra comma) is refused.
                (f.join(",").into_bytes(), LineKind::Bad)
            }
            15 => {
                // Off the manifold: scaled or shifted coordinates.
                let mut y = x.clone();
                let i = g.below(n);
                y[i] += *g.pick(&[1e-3, -0.5, 7.0, 1e300, -1e-300]);
                let kind = if m.check_point(&y, 1e-6).is_ok() {
                    LineKind::Data
                } else {
                    LineKind::Bad
                };
                (csv_pair(&x0, &y).into_bytes(), kind)
            }
            16 => {
                // Off by less than the membership tolerance: accepted.
                let y: Vec<f64> = x.iter().map(|v| v + 1e-9 * g.normal()).collect();
                let kind = if m.check_point(&y, 1e-6).is_ok() {
                    LineKind::Data
                } else {
                    LineKind::Bad
                };
                (csv_pair(&x0, &y).into_bytes(), kind)
            }
            17 => {
                let mut l = b"\xef\xbb\xbf".to_vec();
                l.extend(valid.into_bytes());
                (l, LineKind::Unknown)
            }
            18 => (vec![0xff, 0xfe, b'1', b','], LineKind::Bad),
            19 => {
                let count = g.range(1_000, if long { 2_000_000 } else { 200_000 });
                (
                    b"0,".repeat(count).into_iter().chain(*b"0").collect(),
                    LineKind::Bad,
                )
            }
            20 if long && g.chance(0.1) => {
                // Longer than limits::MAX_LINE_BYTES (64 MiB).
                (vec![b'7'; (1 << 26) + 10], LineKind::Bad)
            }
            _ => {
                let count = g.range(1, 60);
                let raw: Vec<u8> = g
                    .bytes(count)
                    .into_iter()
                    .map(|b| if b == b'\n' { b' ' } else { b })
                    .collect();
                (raw, LineKind::Unknown)
            }
        };
        text.extend_from_slice(&line);
        if crlf {
            text.push(b'\r');
        }
        text.push(b'\n');
        kinds.push(kind);
    }
    if g.chance(0.2) && text.last() == Some(&b'\n') {
        text.pop();
        if text.last() == Some(&b'\r') {
            text.pop();
        }
    }
    (text, kinds)
}

/// Parses the output rows of `rdiff kernel`: `Err` describes a malformed row.
fn kernel_rows(output: &str, k: usize) -> Result<usize, String> {
    let mut lines = output.lines();
    match lines.next() {
        None => return Ok(0),
        Some(h) if h.starts_with("log_p,terms,estimator,error_estimate") => {}
        Some(h) => return Err(format!("header {:?}", shorten(h, 80))),
    }
    let mut rows = 0;
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != 4 + k {
            return Err(format!(
                "row {} has {} fields, expected {}",
                rows + 1,
                fields.len(),
                4 + k
            ));
        }
        let number = |s: &str| {
            s.parse::<f64>()
                .map_err(|_| format!("row {}: {s:?} is not a number", rows + 1))
        };
        let log_p = number(fields[0])?;
        let error = number(fields[3])?;
        if !log_p.is_finite() || error.is_nan() {
            return Err(format!(
                "row {}: log p {log_p}, error estimate {error}",
                rows + 1
            ));
        }
        for f in &fields[4..] {
            if !number(f)?.is_finite() {
                return Err(format!("row {}: a non-finite score {f}", rows + 1));
            }
        }
        rows += 1;
    }
    Ok(rows)
}

fn kernel_csv_case_impl(report: &mut Report, seed: u64, case: u64, timeout: Duration, long: bool) {
    let mut g = Gen::for_case(seed, "cli-kernel-csv", case);
    let spec_text = *g.pick(KERNEL_CSV_MANIFOLDS);
    let spec: ManifoldSpec = spec_text.parse().unwrap();
    let m = registry::builtin().manifold(&spec).unwrap();
    let k = m.ambient_dim();
    let (text, kinds) = kernel_csv(&mut g, &spec, m.as_ref(), long);
    let checkpoint = base_checkpoint(&BASES[0]);
    let case_dir = CaseDir::new(&mut g, &checkpoint, "0,0,1,0,0,1\n", text.clone());
    let root = case_dir.root().to_path_buf();
    let from_stdin = g.chance(0.3);
    let t = *g.pick(&["0.1", "1", "1e-3", "0.5", "2", "1e-6"]);
    // One of the estimators the manifold offers (an unoffered one is a usage error, tested by
    // the argument-vector fuzz).
    let offered: Vec<&'static str> = registry::builtin()
        .methods(&spec)
        .unwrap_or_default()
        .iter()
        .map(|m| m.name())
        .collect();
    let method = if g.chance(0.8) || offered.is_empty() {
        "auto"
    } else {
        *g.pick(&offered)
    };
    let mut words_opts = vec![
        opt("--manifold", spec_text, Kind::Manifold),
        opt("--t", t, Kind::Time),
        opt("--method", method, Kind::Choice(&[])),
    ];
    if !from_stdin {
        std::fs::write(root.join("input.csv"), &text).unwrap();
        words_opts.push(opt("-i", "input.csv", Kind::InputPath));
    }
    let output = *g.pick(&[None, Some("out.csv"), Some("keep.csv")]);
    if let Some(o) = output {
        words_opts.push(opt("-o", o, Kind::OutputPath));
    }
    let command = Command {
        sub: "kernel",
        opts: words_opts,
        extra: Vec::new(),
        equals: false,
    };
    let before_output = output.map(|o| std::fs::read(root.join(o)).ok());
    let notes = format!("line kinds {kinds:?}; input {} bytes", text.len());
    let failures_before = report.total();
    let result = run_case(
        report,
        case,
        &case_dir,
        &command,
        from_stdin.then(|| text.clone()),
        false,
        true,
        &notes,
        timeout,
        None,
        None,
        false,
    );
    if report.total() > failures_before || result.timed_out {
        return; // process- or file-level failures already reported
    }
    // Expected outcome: the first line that is not data or skipped decides.
    let first_other = kinds
        .iter()
        .position(|k| matches!(k, LineKind::Bad | LineKind::Unknown));
    let predictable = first_other.is_none_or(|i| kinds[i] == LineKind::Bad);
    let produced_bytes = match output {
        None => result.stdout.clone(),
        Some(o) => std::fs::read(root.join(o)).unwrap_or_default(),
    };
    let produced = String::from_utf8_lossy(&produced_bytes).into_owned();
    let source = if from_stdin {
        "<stdin>".to_string()
    } else {
        "input.csv".to_string()
    };
    let stderr = result.stderr_text();
    let failed_line: Option<usize> = stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(&format!("error: {source}:")))
        .and_then(|rest| rest.split(':').next())
        .and_then(|d| d.parse().ok());
    let line = format!(
        "rdiff {} < input ({} bytes: {:?})",
        shell_line(&command.words()),
        text.len(),
        shorten(&String::from_utf8_lossy(&text), 300)
    );
    let mut fail = |class: Class, detail: String| {
        report.add(
            class,
            case,
            format!("{detail}\n  command: {line}\n  {notes}"),
        )
    };
    let rows = match kernel_rows(&produced, k) {
        Ok(r) => r,
        Err(e) => {
            if result.code == Some(0)
                || (result.code == Some(1)
                    && (output.is_none()
                        || before_output
                            .as_ref()
                            .is_some_and(|b| b.as_deref() != Some(produced_bytes.as_slice()))))
            {
                fail(Class::WrongValue, format!("malformed output: {e}"));
            }
            return;
        }
    };
    let data_before = |line: usize| {
        kinds[..line.min(kinds.len())]
            .iter()
            .filter(|k| **k == LineKind::Data)
            .count()
    };
    match (result.code, failed_line) {
        (Some(0), _) => {
            if let Some(i) = first_other.filter(|&i| kinds[i] == LineKind::Bad) {
                fail(
                    Class::WrongValue,
                    format!("line {} must be refused, but the run succeeded", i + 1),
                );
            } else if predictable && rows != data_before(kinds.len()) {
                fail(
                    Class::WrongValue,
                    format!(
                        "{rows} result rows for {} data lines",
                        data_before(kinds.len())
                    ),
                );
            }
        }
        (Some(1), Some(l)) => {
            let index = l.checked_sub(1).filter(|&i| i < kinds.len());
            match index {
                None => fail(
                    Class::BadMessage,
                    format!("the error names line {l} of a {}-line input", kinds.len()),
                ),
                Some(i) if predictable => {
                    let expected_stop = first_other.unwrap_or(usize::MAX);
                    if kinds[i] == LineKind::Data && i < expected_stop {
                        if method == "auto" {
                            fail(
                                Class::RefusedValid,
                                format!("auto refused valid line {l}: {}", shorten(&stderr, 300)),
                            );
                        }
                    } else if i != expected_stop {
                        fail(
                            Class::WrongValue,
                            format!(
                                "the error names line {l}, the first bad line is {}",
                                expected_stop + 1
                            ),
                        );
                    }
                    if output.is_some() && rows != data_before(i) {
                        fail(
                            Class::WrongValue,
                            format!(
                                "{rows} result rows before bad line {l}, expected {}",
                                data_before(i)
                            ),
                        );
                    }
                }
                Some(_) => {}
            }
        }
        (Some(1), None) if predictable => {
            fail(
                Class::BadMessage,
                format!(
                    "a failure without `{source}:<line>:` in {}",
                    shorten(&stderr, 300)
                ),
            );
        }
        _ => {}
    }
}

fn kernel_csv_case(report: &mut Report, seed: u64, case: u64, timeout: Duration) {
    kernel_csv_case_impl(report, seed, case, timeout, false)
}

fn kernel_csv_case_long(report: &mut Report, seed: u64, case: u64, timeout: Duration) {
    kernel_csv_case_impl(report, seed, case, timeout, true)
}

/// The earth-science loader through `rdiff train`: a mutated `volerup.csv`.
fn earth_csv_case(report: &mut Report, seed: u64, case: u64, timeout: Duration) {
    let mut g = Gen::for_case(seed, "cli-earth-csv", case);
    let checkpoint = base_checkpoint(&BASES[0]);
    let case_dir = CaseDir::new(&mut g, &checkpoint, "0,0,1,0,0,1\n", Vec::new());
    let root = case_dir.root().to_path_buf();
    let mut text = earth_csv(case as usize).into_bytes();
    let what = match g.below(8) {
        0 => {
            let at = g.below(text.len());
            let count = g.range(1, 40);
            let junk = g.bytes(count);
            text.splice(at..at, junk);
            "random bytes inserted".to_string()
        }
        1 => {
            let line = g
                .pick(&[
                    "nan,1",
                    "1,inf",
                    "1e400,2",
                    "91,0",
                    "0,361",
                    "1,2,3",
                    "1",
                    "\u{feff}1,2",
                    "lat,lon",
                ])
                .to_string();
            text.extend_from_slice(line.as_bytes());
            text.extend_from_slice(b"\n");
            format!("appended {line:?}")
        }
        2 => {
            text.extend(std::iter::repeat_n(b'9', g.range(1 << 10, 1 << 22)));
            "a long last line".to_string()
        }
        3 => {
            text.extend(b"1,".repeat(g.range(1_000, 500_000)));
            "a line of many fields".to_string()
        }
        4 => {
            text = text.iter().copied().filter(|&b| b != b'\r').collect();
            "LF endings".to_string()
        }
        5 => {
            let keep = g.below(text.len());
            text.truncate(keep);
            format!("truncated to {keep} bytes")
        }
        6 => {
            text = b"\xef\xbb\xbf".iter().copied().chain(text).collect();
            "a BOM".to_string()
        }
        _ => {
            text = Vec::new();
            "empty".to_string()
        }
    };
    std::fs::write(root.join("data/volerup.csv"), &text).unwrap();
    let command = Command {
        sub: "train",
        opts: vec![
            opt("--dataset", "volcano", Kind::Choice(&[])),
            opt("--steps", "1", Kind::CostSize),
            opt("--batch-size", "4", Kind::CostSize),
            opt("--width", "4", Kind::CostSize),
            opt("--depth", "1", Kind::CostSize),
            opt("-o", "new.ckpt", Kind::OutputPath),
            Opt {
                name: "-q",
                value: None,
                kind: Kind::Flag,
                required: false,
            },
        ],
        extra: Vec::new(),
        equals: false,
    };
    let notes = format!("data/volerup.csv: {what} ({} bytes)", text.len());
    let result = run_case(
        report, case, &case_dir, &command, None, false, true, &notes, timeout, None, None, false,
    );
    if result.code == Some(1) {
        let stderr = result.stderr_text();
        if !stderr.contains("volerup.csv") {
            report.add(
                Class::BadMessage,
                case,
                format!(
                    "a data-file error does not name the file: {}; {notes}",
                    shorten(&stderr, 300)
                ),
            );
        }
    }
}

#[test]
fn kernel_csv_lines_fast() {
    run_cli_test("kernel_csv_lines_fast", 150, kernel_csv_case, FAST_HANGS);
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_cli -- --ignored"]
fn kernel_csv_lines_long() {
    run_cli_test(
        "kernel_csv_lines_long",
        5_000,
        kernel_csv_case_long,
        LONG_HANGS,
    );
}

#[test]
fn earth_data_csv_fast() {
    run_cli_test("earth_data_csv_fast", 40, earth_csv_case, FAST_HANGS);
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_cli -- --ignored"]
fn earth_data_csv_long() {
    run_cli_test("earth_data_csv_long", 1_000, earth_csv_case, LONG_HANGS);
}

// ---------------------------------------------------------------------------------------------
// Test 3: mutated checkpoints through `rdiff eval` and `rdiff sample`
// ---------------------------------------------------------------------------------------------

fn checkpoint_cli_case(report: &mut Report, seed: u64, case: u64, timeout: Duration) {
    let (bytes, what, corrupt) = mutated_checkpoint(seed, "cli-checkpoint", case);
    let mut g = Gen::for_case(seed, "cli-checkpoint-run", case);
    let case_dir = CaseDir::new(&mut g, &bytes, "0,0,1,0,0,1\n", bytes.clone());
    let command = if g.chance(0.5) {
        Command {
            sub: "eval",
            opts: vec![
                opt("-c", "model.ckpt", Kind::InputPath),
                opt("--max-points", "2", Kind::CostSize),
                opt("--tolerance", "1e-3", Kind::Float),
                Opt {
                    name: "-q",
                    value: None,
                    kind: Kind::Flag,
                    required: false,
                },
            ],
            extra: Vec::new(),
            equals: false,
        }
    } else {
        let mut opts = vec![
            opt("-c", "model.ckpt", Kind::InputPath),
            opt("-n", "3", Kind::CostSize),
            opt("--tolerance", "1e-3", Kind::Float),
            Opt {
                name: "-q",
                value: None,
                kind: Kind::Flag,
                required: false,
            },
        ];
        if g.chance(0.5) {
            opts.push(opt("--method", "grw", Kind::Choice(&[])));
            opts.push(opt("--grw-steps", "5", Kind::CostSize));
        }
        if g.chance(0.5) {
            opts.push(opt("-o", "out.csv", Kind::OutputPath));
        }
        Command {
            sub: "sample",
            opts,
            extra: Vec::new(),
            equals: false,
        }
    };
    let notes = format!(
        "model.ckpt = {what} ({} bytes, corrupt: {corrupt})",
        bytes.len()
    );
    // An error caused by a crafted header or metadata must name the checkpoint; a network with
    // finite but absurd parameter values may fail downstream (the ODE) with the numerical error.
    let values_only = what.contains("sealed parameter ")
        && !what.contains("sealed header")
        && !what.contains("sealed parameter count")
        && !what.contains("EMA flag");
    let names_required = !values_only;
    run_case(
        report,
        case,
        &case_dir,
        &command,
        None,
        false,
        true,
        &notes,
        timeout,
        Some(corrupt),
        None,
        names_required,
    );
}

#[test]
fn checkpoint_mutations_cli_fast() {
    run_cli_test(
        "checkpoint_mutations_cli_fast",
        100,
        checkpoint_cli_case,
        FAST_HANGS,
    );
}

#[test]
#[ignore = "long fuzz run (minutes): cargo test --release --test fuzz_cli -- --ignored"]
fn checkpoint_mutations_cli_long() {
    run_cli_test(
        "checkpoint_mutations_cli_long",
        4_000,
        checkpoint_cli_case,
        LONG_HANGS,
    );
}
