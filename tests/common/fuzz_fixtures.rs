//! Fixtures of the fuzz suite (`tests/fuzz_cli.rs`, `tests/fuzz_inputs.rs`).
//!
//! - [`Gen`]: a deterministic case generator. Case `i` of a fuzz test draws from its own
//!   xoshiro stream (the crate's `riemannian_diffusion::random`), seeded from the suite seed,
//!   the test's name and `i`, so every case can be replayed alone
//!   (`RDIFF_FUZZ_SEED=… RDIFF_FUZZ_CASE=i`). quickcheck's `Gen` is seeded from OS entropy
//!   (no seeded constructor in quickcheck 1.x), so it cannot reproduce a failure from a fixed
//!   seed, and its shrinking would re-run child processes that may each hang for seconds.
//! - [`run_bounded`]: runs a program in a child process with a wall-clock timeout (killed
//!   after it) and an address-space limit (`sh -c 'ulimit -v …; exec …'`), so a hang or an
//!   allocation of terabytes is reported instead of stalling or swapping the machine.
//! - [`Snapshot`]: a directory tree (file contents by hash, symlink targets, FIFOs) to check
//!   that a run left every pre-existing file intact and no temporary behind.
//! - [`Report`]: failures grouped by class, printed with the seed and case to replay them.
//! - [`supervise`] / [`serve_child`]: in-process library cases run in a child copy of the test
//!   binary (bounded like any child process); the parent reads per-case markers and restarts
//!   the child after a case that crashed, aborted or hung.
//!
//! Environment: `RDIFF_FUZZ_SEED` (decimal or `0x…`), `RDIFF_FUZZ_CASE` (replay one case),
//! `RDIFF_FUZZ_CASES` (number of cases), `RDIFF_FUZZ_TIMEOUT` (seconds per case).

#![allow(dead_code)]

use riemannian_diffusion::random::{rng_from_seed, standard_normal, uniform, Rng};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// The suite's fixed seed (override with `RDIFF_FUZZ_SEED`).
pub const DEFAULT_SEED: u64 = 0x5eed_0009_f022_2024;

/// Address-space limit of every child (KiB): 6 GB, above the largest documented buffer
/// (a checkpoint of at most 4 GiB + 1 MiB, `limits::MAX_CHECKPOINT_BYTES`) with headroom,
/// far below anything that would swap.
pub const ADDRESS_SPACE_KIB: u64 = 6_000_000;

/// Default wall-clock limit of one case (a hang detector, not a speed claim).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The suite seed.
pub fn fuzz_seed() -> u64 {
    env_u64("RDIFF_FUZZ_SEED").unwrap_or(DEFAULT_SEED)
}

/// The cases to run: `RDIFF_FUZZ_CASE` alone if set, else `0..RDIFF_FUZZ_CASES` (default `n`).
pub fn case_numbers(n: u64) -> Vec<u64> {
    match env_u64("RDIFF_FUZZ_CASE") {
        Some(case) => vec![case],
        None => (0..env_u64("RDIFF_FUZZ_CASES").unwrap_or(n)).collect(),
    }
}

/// The number of hangs after which a test stops: `RDIFF_FUZZ_MAX_HANGS`, else `default`
/// (each hang costs a whole timeout; the first few already fail the test).
pub fn max_hangs(default: usize) -> usize {
    env_u64("RDIFF_FUZZ_MAX_HANGS").map_or(default, |n| n as usize)
}

/// The per-case timeout: `RDIFF_FUZZ_TIMEOUT` seconds, else `default`.
pub fn case_timeout(default: Duration) -> Duration {
    env_u64("RDIFF_FUZZ_TIMEOUT")
        .map(Duration::from_secs)
        .unwrap_or(default)
}

/// 64-bit FNV-1a (also the checkpoint checksum, used by `fuzz_checkpoints` to reseal files).
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

/// A deterministic generator of case data.
pub struct Gen {
    rng: Rng,
}

impl Gen {
    /// The stream of case `case` of the test `stream` under `seed`.
    pub fn for_case(seed: u64, stream: &str, case: u64) -> Gen {
        let mixed = seed
            ^ fnv1a(stream.as_bytes()).rotate_left(17)
            ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        Gen {
            rng: rng_from_seed(mixed),
        }
    }

    /// The underlying generator (for library calls that take one).
    pub fn rng(&mut self) -> &mut Rng {
        &mut self.rng
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        uniform(&mut self.rng)
    }

    /// Standard normal.
    pub fn normal(&mut self) -> f64 {
        standard_normal(&mut self.rng)
    }

    /// Uniform in `0..n` (`n ≥ 1`).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.unit() * n as f64) as usize).min(n - 1)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// `true` with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A uniform `u64`.
    pub fn u64(&mut self) -> u64 {
        let hi = (self.unit() * 4_294_967_296.0) as u64;
        let lo = (self.unit() * 4_294_967_296.0) as u64;
        (hi << 32) | lo
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.u64() & 0xff) as u8).collect()
    }

    /// Log-uniform in `[lo, hi]` (`0 < lo < hi`).
    pub fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + self.unit() * (hi.ln() - lo.ln())).exp()
    }
}

/// Prints `message` on standard error if `RDIFF_FUZZ_VERBOSE` is set (to inspect what the
/// cases do, e.g. how many end in a clean error).
pub fn verbose(message: impl FnOnce() -> String) {
    if std::env::var_os("RDIFF_FUZZ_VERBOSE").is_some() {
        eprintln!("{}", message());
    }
}

/// Failure classes, in the order of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// A panic (exit code 101, "panicked", "internal error", or a caught unwind in-process).
    Panic,
    /// Killed by a signal (allocation failure → SIGABRT, stack overflow → SIGSEGV, …).
    Abort,
    /// Did not finish within the case's timeout.
    Hang,
    /// A pre-existing file changed, vanished or changed type although it was not the run's
    /// intended output (or the run failed).
    DataLoss,
    /// A file the run did not intend to leave (a temporary) remains after it.
    LeftoverFile,
    /// A value that is non-finite, off the manifold, or contradicts a documented property;
    /// or `Ok` for an input that must be refused.
    WrongValue,
    /// A failure whose message is not one clear `error: …` line naming what is wrong.
    BadMessage,
    /// A size above a documented bound of the resource policy (`limits`) was accepted.
    LimitNotEnforced,
    /// An `Auto` estimator or sampler refused a valid input (a point on the manifold, a finite
    /// t > 0) of a manifold size it accepts: issue 9 asks for a value there.
    RefusedValid,
    /// Did all the work, then failed on an output that could have been checked first.
    FailsLate,
    /// An exit code outside {0, 1, 2}.
    BadExitCode,
}

impl Class {
    /// Short name used in reports and by the child protocol.
    pub fn name(self) -> &'static str {
        match self {
            Class::Panic => "panic",
            Class::Abort => "abort",
            Class::Hang => "hang",
            Class::DataLoss => "data-loss",
            Class::LeftoverFile => "leftover-file",
            Class::WrongValue => "wrong-value",
            Class::BadMessage => "bad-message",
            Class::LimitNotEnforced => "limit-not-enforced",
            Class::RefusedValid => "refused-valid-input",
            Class::FailsLate => "fails-late",
            Class::BadExitCode => "bad-exit-code",
        }
    }

    /// The class of a [`Class::name`].
    pub fn from_name(name: &str) -> Option<Class> {
        [
            Class::Panic,
            Class::Abort,
            Class::Hang,
            Class::DataLoss,
            Class::LeftoverFile,
            Class::WrongValue,
            Class::BadMessage,
            Class::LimitNotEnforced,
            Class::RefusedValid,
            Class::FailsLate,
            Class::BadExitCode,
        ]
        .into_iter()
        .find(|c| c.name() == name)
    }
}

/// One failure of one case.
#[derive(Clone, Debug)]
pub struct Failure {
    /// Its class.
    pub class: Class,
    /// The case number.
    pub case: u64,
    /// What happened (the input and the observation).
    pub detail: String,
}

/// The failures of one fuzz test.
pub struct Report {
    test: &'static str,
    test_file: &'static str,
    seed: u64,
    failures: Vec<Failure>,
    cases: usize,
    started: Instant,
}

impl Report {
    /// An empty report of `test` (in `tests/<test_file>.rs`).
    pub fn new(test_file: &'static str, test: &'static str, seed: u64) -> Report {
        Report {
            test,
            test_file,
            seed,
            failures: Vec::new(),
            cases: 0,
            started: Instant::now(),
        }
    }

    /// Records a finished case.
    pub fn count_case(&mut self) {
        self.cases += 1;
    }

    /// Records a failure.
    pub fn add(&mut self, class: Class, case: u64, detail: impl Into<String>) {
        self.failures.push(Failure {
            class,
            case,
            detail: detail.into(),
        });
    }

    /// Number of failures so far.
    pub fn total(&self) -> usize {
        self.failures.len()
    }

    /// Number of failures of `class` so far.
    pub fn count(&self, class: Class) -> usize {
        self.failures.iter().filter(|f| f.class == class).count()
    }

    /// The command that replays `case`.
    pub fn repro(&self, case: u64) -> String {
        format!(
            "RDIFF_FUZZ_SEED={:#x} RDIFF_FUZZ_CASE={case} cargo test --release --test {} {} -- --include-ignored --nocapture",
            self.seed, self.test_file, self.test
        )
    }

    /// Prints the summary, writes every failure to `target/tmp/fuzz-<test>.txt` and panics if
    /// there was any failure.
    pub fn finish(self) {
        let elapsed = self.started.elapsed().as_secs_f64();
        let mut by_class: BTreeMap<Class, Vec<&Failure>> = BTreeMap::new();
        for f in &self.failures {
            by_class.entry(f.class).or_default().push(f);
        }
        let mut full = String::new();
        let _ = writeln!(
            full,
            "fuzz test {} (tests/{}.rs): {} cases, seed {:#x}, {:.1} s, {} failures",
            self.test,
            self.test_file,
            self.cases,
            self.seed,
            elapsed,
            self.failures.len()
        );
        let mut summary = full.clone();
        for (class, list) in &by_class {
            let _ = writeln!(full, "\n== {} ({} cases)", class.name(), list.len());
            let _ = writeln!(summary, "\n== {} ({} cases)", class.name(), list.len());
            for (k, f) in list.iter().enumerate() {
                let entry = format!(
                    "- case {}: {}\n  replay: {}\n",
                    f.case,
                    f.detail.trim_end(),
                    self.repro(f.case)
                );
                full.push_str(&entry);
                if k < 6 {
                    summary.push_str(&entry);
                } else if k == 6 {
                    let _ = writeln!(summary, "- … {} more (see the file below)", list.len() - 6);
                }
            }
        }
        let path =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz-{}.txt", self.test));
        let _ = std::fs::write(&path, &full);
        eprintln!("{summary}\nfull list: {}", path.display());
        if !self.failures.is_empty() {
            panic!(
                "{} failures in {} cases of {} (classes: {}); see above and {}",
                self.failures.len(),
                self.cases,
                self.test,
                by_class
                    .iter()
                    .map(|(c, l)| format!("{} ×{}", c.name(), l.len()))
                    .collect::<Vec<_>>()
                    .join(", "),
                path.display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Bounded child processes
// ---------------------------------------------------------------------------------------------

/// What the child reads on standard input.
pub enum StdinSource {
    /// Nothing (`/dev/null`).
    Null,
    /// These bytes, fed from a thread (a broken pipe is ignored).
    Bytes(Vec<u8>),
}

/// What happens to the child's standard output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StdoutMode {
    /// Captured (the first [`OUTPUT_CAP`] bytes kept).
    Capture,
    /// A pipe whose reading end is closed at once (like `| head -0`).
    Closed,
}

/// Bytes of standard output / error kept per run.
pub const OUTPUT_CAP: usize = 1 << 20;

/// A child run.
pub struct RunSpec<'a> {
    /// The program.
    pub program: &'a Path,
    /// Its arguments.
    pub args: &'a [OsString],
    /// Working directory.
    pub cwd: &'a Path,
    /// Extra environment (`RDIFF_DATA_DIR` and `RUST_BACKTRACE` are removed first).
    pub env: &'a [(String, String)],
    /// Standard input.
    pub stdin: StdinSource,
    /// Standard output.
    pub stdout: StdoutMode,
    /// Wall-clock limit.
    pub timeout: Duration,
}

/// The outcome of a child run.
#[derive(Debug)]
pub struct RunResult {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    /// The signal that ended it.
    pub signal: Option<i32>,
    /// Killed by the harness after the timeout.
    pub timed_out: bool,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Standard output (capped).
    pub stdout: Vec<u8>,
    /// Standard error (capped).
    pub stderr: Vec<u8>,
}

impl RunResult {
    /// Standard error as text.
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Standard output as text.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// `exit 0`, `exit 1`, `signal 6`, `timeout`.
    pub fn status_text(&self) -> String {
        if self.timed_out {
            format!(
                "killed after the {:.0} s timeout",
                self.elapsed.as_secs_f64()
            )
        } else if let Some(s) = self.signal {
            format!("killed by signal {s}{}", signal_name(s))
        } else {
            format!("exit {}", self.code.unwrap_or(-1))
        }
    }
}

/// ` (SIGABRT)` etc.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        4 => " (SIGILL)",
        6 => " (SIGABRT)",
        7 => " (SIGBUS)",
        9 => " (SIGKILL)",
        11 => " (SIGSEGV)",
        13 => " (SIGPIPE)",
        _ => "",
    }
}

fn capped_reader(mut source: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buffer = [0u8; 1 << 16];
        loop {
            match source.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let room = OUTPUT_CAP.saturating_sub(kept.len());
                    kept.extend_from_slice(&buffer[..n.min(room)]);
                }
            }
        }
        kept
    })
}

/// The `sh -c 'ulimit -v …; exec "$0" "$@"' program args…` command.
pub fn limited_command(program: &Path, args: &[OsString]) -> Command {
    let mut command = Command::new("/bin/sh");
    command
        .arg("-c")
        .arg(format!(
            "ulimit -v {ADDRESS_SPACE_KIB} || exit 99; exec \"$0\" \"$@\""
        ))
        .arg(program)
        .args(args);
    command
}

/// Runs `spec` bounded in time and address space.
pub fn run_bounded(spec: RunSpec<'_>) -> RunResult {
    let mut command = limited_command(spec.program, spec.args);
    command
        .current_dir(spec.cwd)
        .env_remove("RDIFF_DATA_DIR")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in spec.env {
        command.env(k, v);
    }
    command.stdin(match spec.stdin {
        StdinSource::Null => Stdio::null(),
        StdinSource::Bytes(_) => Stdio::piped(),
    });
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn /bin/sh");
    let feeder = match (spec.stdin, child.stdin.take()) {
        (StdinSource::Bytes(bytes), Some(mut pipe)) => Some(std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })),
        _ => None,
    };
    let stdout_pipe = child.stdout.take().expect("piped stdout");
    let stdout_reader = match spec.stdout {
        StdoutMode::Capture => Some(capped_reader(stdout_pipe)),
        StdoutMode::Closed => {
            drop(stdout_pipe);
            None
        }
    };
    let stderr_reader = capped_reader(child.stderr.take().expect("piped stderr"));
    let mut timed_out = false;
    let mut pause = Duration::from_millis(1);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if started.elapsed() >= spec.timeout {
            timed_out = true;
            let _ = child.kill();
            break child.wait().expect("wait for the killed child");
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    let elapsed = started.elapsed();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    let stdout = stdout_reader
        .map(|r| r.join().unwrap_or_default())
        .unwrap_or_default();
    let stderr = stderr_reader.join().unwrap_or_default();
    RunResult {
        code: status.code(),
        signal: if timed_out { None } else { status.signal() },
        timed_out,
        elapsed,
        stdout,
        stderr,
    }
}

/// The process-level failures of a run of `rdiff`: hang, signal, panic, unexpected exit code,
/// and the shape of the message of a failure (exit 1: exactly one `error: ` line, last, one
/// line; exit 2: clap's `error:` line and usage). `context` describes the case.
pub fn process_failures(result: &RunResult) -> Vec<(Class, String)> {
    let mut out = Vec::new();
    let stderr = result.stderr_text();
    let tail = tail_lines(&stderr, 6);
    if result.timed_out {
        out.push((
            Class::Hang,
            format!("{}; stderr: {tail}", result.status_text()),
        ));
        return out;
    }
    if let Some(signal) = result.signal {
        out.push((
            Class::Abort,
            format!(
                "killed by signal {signal}{}; stderr: {tail}",
                signal_name(signal)
            ),
        ));
        return out;
    }
    let code = result.code.unwrap_or(-1);
    if code == 101
        || stderr.contains("panicked")
        || stderr.contains("RUST_BACKTRACE")
        || stderr.contains("internal error")
    {
        out.push((Class::Panic, format!("exit {code}; stderr: {tail}")));
        return out;
    }
    if code == 99 {
        panic!("the harness could not set the address-space limit (ulimit -v)");
    }
    if !matches!(code, 0..=2) {
        out.push((Class::BadExitCode, format!("exit {code}; stderr: {tail}")));
        return out;
    }
    if code == 1 {
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let errors = lines.iter().filter(|l| l.starts_with("error")).count();
        match lines.last() {
            None => out.push((Class::BadMessage, "exit 1 with an empty stderr".to_string())),
            Some(last) if !last.starts_with("error: ") || errors != 1 => out.push((
                Class::BadMessage,
                format!("exit 1 without exactly one final `error: …` line; stderr: {tail}"),
            )),
            Some(last) => {
                if let Some(why) = unclear_message(last) {
                    out.push((Class::BadMessage, format!("{why}: {last}")));
                }
            }
        }
    }
    if code == 2 {
        if !stderr.starts_with("error: ")
            || !(stderr.contains("Usage:") || stderr.contains("--help"))
        {
            out.push((
                Class::BadMessage,
                format!("exit 2 without clap's `error:` line and usage hint; stderr: {tail}"),
            ));
        }
        if let Some(value) = negative_number_taken_for_a_flag(&stderr) {
            out.push((
                Class::BadMessage,
                format!(
                    "the negative number {value:?} after an option is taken for a flag: {}",
                    first_line(&stderr)
                ),
            ));
        }
    }
    out
}

/// Why an `error: …` line is not a clear message, if it is not.
pub fn unclear_message(line: &str) -> Option<&'static str> {
    let body = line.trim_start_matches("error: ").trim();
    if body.len() < 8 {
        return Some("an error line without a message");
    }
    for debug in ["Os {", "Custom {", "kind: ", "Error {", "Some(", "None)"] {
        if body.contains(debug) {
            return Some("a Debug-formatted value in the message");
        }
    }
    // Names of internal parameters the command line does not have (issue 9 examples:
    // "set grad_clip", "expected a radius visiting at most … lattice candidates").
    for internal in ["grad_clip", "radius", "lattice candidates"] {
        if body.contains(internal) {
            return Some("a message about a parameter the user cannot set");
        }
    }
    if body.len() > 2000 {
        return Some("an error line of more than 2000 bytes (it quotes too much of the input)");
    }
    // Runs of digits outside quotes (quoted input is the user's own text).
    let (mut run, mut quoted) = (0, false);
    for c in body.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        run = if c.is_ascii_digit() && !quoted {
            run + 1
        } else {
            0
        };
        if run > 40 {
            return Some("a number printed with more than 40 digits");
        }
    }
    if body.contains("Broken pipe") {
        return Some("a closed standard output reported as an error (should be a normal exit)");
    }
    None
}

/// The value of clap's "unexpected argument '-1'" when it is a negative number.
fn negative_number_taken_for_a_flag(stderr: &str) -> Option<String> {
    let start = stderr.find("unexpected argument '-")? + "unexpected argument '".len();
    let rest = &stderr[start..];
    let value = &rest[..rest.find('\'')?];
    let body = value.trim_start_matches('-');
    let numeric = body
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_digit() || c == '.')
        || body.eq_ignore_ascii_case("inf")
        || body.eq_ignore_ascii_case("nan")
        || body.eq_ignore_ascii_case("infinity");
    (numeric && !value.starts_with("--")).then(|| value.to_string())
}

/// The first line of a text.
pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

/// The last `n` non-empty lines, joined with ` ⏎ `, at most 600 characters.
pub fn tail_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let joined = lines[lines.len().saturating_sub(n)..].join(" ⏎ ");
    shorten(&joined, 600)
}

/// `text` cut to at most `max` characters (with `…`).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        cut + "…"
    }
}

/// A shell-quoted command line (for replay instructions).
pub fn shell_line(words: &[OsString]) -> String {
    words
        .iter()
        .map(|w| {
            let s = w.to_string_lossy();
            if !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+^*".contains(c))
                && !s.contains("**")
            {
                s.into_owned()
            } else {
                format!("'{}'", s.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

// ---------------------------------------------------------------------------------------------
// Directory snapshots
// ---------------------------------------------------------------------------------------------

/// What a path is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A regular file: its length and FNV-1a hash.
    File {
        /// Length in bytes.
        len: u64,
        /// Hash of the content.
        hash: u64,
    },
    /// A directory.
    Dir,
    /// A symbolic link and its target (not followed).
    Symlink(PathBuf),
    /// A named pipe.
    Fifo,
    /// Anything else.
    Other,
}

impl Entry {
    /// `file`, `directory`, `symlink → t`, `FIFO`.
    pub fn kind(&self) -> String {
        match self {
            Entry::File { len, .. } => format!("a regular file of {len} bytes"),
            Entry::Dir => "a directory".into(),
            Entry::Symlink(t) => format!("a symlink to {}", t.display()),
            Entry::Fifo => "a FIFO".into(),
            Entry::Other => "a special file".into(),
        }
    }
}

/// Every path under a root (relative), without following symlinks or opening FIFOs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<PathBuf, Entry>);

impl Snapshot {
    /// Snapshot of the tree under `root`.
    pub fn of(root: &Path) -> Snapshot {
        let mut map = BTreeMap::new();
        walk(root, Path::new(""), &mut map);
        Snapshot(map)
    }
}

fn walk(root: &Path, relative: &Path, map: &mut BTreeMap<PathBuf, Entry>) {
    let Ok(entries) = std::fs::read_dir(root.join(relative)) else {
        return;
    };
    for entry in entries.flatten() {
        let rel = relative.join(entry.file_name());
        let full = root.join(&rel);
        let Ok(meta) = std::fs::symlink_metadata(&full) else {
            continue;
        };
        let ft = meta.file_type();
        let e = if ft.is_symlink() {
            Entry::Symlink(std::fs::read_link(&full).unwrap_or_default())
        } else if ft.is_dir() {
            walk(root, &rel, map);
            Entry::Dir
        } else if ft.is_file() {
            let bytes = std::fs::read(&full).unwrap_or_default();
            Entry::File {
                len: meta.len(),
                hash: fnv1a(&bytes),
            }
        } else if ft.is_fifo() {
            Entry::Fifo
        } else {
            Entry::Other
        };
        map.insert(rel, e);
    }
}

/// Creates a FIFO (with `mkfifo`).
pub fn make_fifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// Serves `payload` to every reader that opens the FIFO `path` until dropped: a thread polls a
/// non-blocking open for writing (which succeeds only while a reader is waiting), writes the
/// payload and closes, so a reader gets the payload and end of file instead of blocking.
/// A program that opens the FIFO for writing is not served (it blocks: an unvalidated output).
pub struct FifoFeeder {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FifoFeeder {
    /// Starts feeding `payload` (at most 16 KiB are written per reader).
    pub fn start(path: PathBuf, payload: Vec<u8>) -> FifoFeeder {
        use std::os::unix::fs::OpenOptionsExt;
        const O_NONBLOCK: i32 = 0o4000; // Linux
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match std::fs::OpenOptions::new()
                    .write(true)
                    .custom_flags(O_NONBLOCK)
                    .open(&path)
                {
                    Ok(mut f) => {
                        let _ = f.write_all(&payload[..payload.len().min(1 << 14)]);
                        drop(f);
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(3)),
                }
            }
        });
        FifoFeeder {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FifoFeeder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A fresh directory under `target/tmp`, removed on drop (kept if `RDIFF_FUZZ_KEEP` is set).
pub struct ScratchDir(pub PathBuf);

impl ScratchDir {
    /// A new empty directory named after `label`, the process and a counter.
    pub fn new(label: &str) -> ScratchDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "fuzz-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create a scratch directory");
        ScratchDir(dir)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if std::env::var_os("RDIFF_FUZZ_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// In-process cases in a supervised child
// ---------------------------------------------------------------------------------------------

/// Environment variable that turns a test binary into a case server.
pub const CHILD_ENV: &str = "RDIFF_FUZZ_CHILD";

/// A request to a child: run cases `cases` of `kind` under `seed`.
pub struct ChildRequest {
    /// The kind of case (dispatch key).
    pub kind: String,
    /// The suite seed.
    pub seed: u64,
    /// The case numbers, in order.
    pub cases: Vec<u64>,
}

/// The request if this process is a child.
pub fn child_request() -> Option<ChildRequest> {
    let text = std::env::var(CHILD_ENV).ok()?;
    let mut words = text.split_whitespace();
    let kind = words.next()?.to_string();
    let seed = words.next()?.parse().ok()?;
    let mut cases = Vec::new();
    for w in words {
        match w.split_once('-') {
            Some((a, b)) => cases.extend(a.parse::<u64>().ok()?..=b.parse::<u64>().ok()?),
            None => cases.push(w.parse().ok()?),
        }
    }
    Some(ChildRequest { kind, seed, cases })
}

static PANIC_MESSAGE: Mutex<String> = Mutex::new(String::new());

/// Runs every requested case with `run` (which returns the case's failures), printing the
/// protocol lines `FUZZ-START i`, `FUZZ-FAIL i class detail`, `FUZZ-END i` on standard output;
/// a panic inside a case is caught and reported as [`Class::Panic`].
pub fn serve_child(request: &ChildRequest, run: impl Fn(u64, u64) -> Vec<(Class, String)>) {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut m) = PANIC_MESSAGE.lock() {
            *m = format!("{message}{location}");
        }
    }));
    let stdout = std::io::stdout();
    for &case in &request.cases {
        {
            let mut out = stdout.lock();
            let _ = writeln!(out, "FUZZ-START {case}");
            let _ = out.flush();
        }
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(request.seed, case)));
        let failures = match outcome {
            Ok(list) => list,
            Err(_) => {
                let message = PANIC_MESSAGE.lock().map(|m| m.clone()).unwrap_or_default();
                vec![(Class::Panic, format!("panicked: {message}"))]
            }
        };
        let mut out = stdout.lock();
        for (class, detail) in failures {
            let _ = writeln!(
                out,
                "FUZZ-FAIL {case} {} {}",
                class.name(),
                detail.replace('\n', " ⏎ ")
            );
        }
        let _ = writeln!(out, "FUZZ-END {case}");
        let _ = out.flush();
    }
    let _ = writeln!(stdout.lock(), "FUZZ-DONE");
}

/// Runs `cases` of `kind` in child copies of this test binary (its test `entry` serves them),
/// each case bounded by `timeout` and the address-space limit; a case that hangs, aborts or
/// crashes the child is recorded and the child restarted after it. `describe(case)` names the
/// input of a case in crash reports (it is computed in the parent, from the same seed).
pub fn supervise(
    entry: &str,
    kind: &str,
    cases: &[u64],
    timeout: Duration,
    report: &mut Report,
    describe: &dyn Fn(u64) -> String,
    max_hangs_default: usize,
) {
    let exe = std::env::current_exe().expect("the test binary");
    let seed = report.seed;
    let mut next = 0;
    while next < cases.len() {
        if report.count(Class::Hang) >= max_hangs(max_hangs_default) {
            eprintln!(
                "{}: stopping after {} hangs ({} cases not run)",
                report.test,
                report.count(Class::Hang),
                cases.len() - next
            );
            return;
        }
        // Runs of consecutive cases as `a-b` (the environment has a size limit).
        let mut list: Vec<String> = Vec::new();
        let mut k = next;
        while k < cases.len() {
            let mut end = k;
            while end + 1 < cases.len() && cases[end + 1] == cases[end] + 1 {
                end += 1;
            }
            list.push(if end > k {
                format!("{}-{}", cases[k], cases[end])
            } else {
                cases[k].to_string()
            });
            k = end + 1;
        }
        let args: Vec<OsString> = [entry, "--exact", "--nocapture", "--test-threads", "1", "-q"]
            .iter()
            .map(OsString::from)
            .collect();
        let mut command = limited_command(&exe, &args);
        command
            .env(CHILD_ENV, format!("{kind} {seed} {}", list.join(" ")))
            .env_remove("RUST_BACKTRACE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn the child test binary");
        let (sender, lines) = mpsc::channel::<String>();
        let stdout = child.stdout.take().expect("piped stdout");
        let reader = std::thread::spawn(move || {
            let mut buffered = std::io::BufReader::new(stdout);
            let mut line = String::new();
            loop {
                line.clear();
                match std::io::BufRead::read_line(&mut buffered, &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if line.starts_with("FUZZ-")
                            && sender.send(line.trim_end().to_string()).is_err()
                        {
                            break;
                        }
                    }
                }
            }
        });
        let stderr_tail = Arc::new(Mutex::new(Vec::<u8>::new()));
        let tail = stderr_tail.clone();
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap();
                t.extend_from_slice(&buffer[..n]);
                let excess = t.len().saturating_sub(8192);
                t.drain(..excess);
            }
        });
        let mut current: Option<(u64, Instant)> = None;
        let mut done = false;
        let mut hung = false;
        let startup = Instant::now();
        loop {
            let deadline = match current {
                Some((_, since)) => since + timeout,
                None => startup.max(Instant::now()) + timeout.max(Duration::from_secs(60)),
            };
            let wait = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(wait) {
                Ok(line) => {
                    let mut words = line.splitn(4, ' ');
                    let tag = words.next().unwrap_or("");
                    let case: u64 = words.next().and_then(|w| w.parse().ok()).unwrap_or(0);
                    match tag {
                        "FUZZ-START" => current = Some((case, Instant::now())),
                        "FUZZ-FAIL" => {
                            let class = words
                                .next()
                                .and_then(Class::from_name)
                                .unwrap_or(Class::Panic);
                            let mut detail = words.next().unwrap_or("").to_string();
                            if detail.starts_with("panicked:") {
                                // A caught panic carries no description of its input.
                                detail = format!("{detail}; input: {}", describe(case));
                            }
                            report.add(class, case, detail);
                        }
                        "FUZZ-END" => {
                            report.count_case();
                            next += 1;
                            current = None;
                        }
                        "FUZZ-DONE" => {
                            done = true;
                            break;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    hung = true;
                    let _ = child.kill();
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let status = child.wait().expect("wait for the child test binary");
        let _ = reader.join();
        let _ = stderr_reader.join();
        if done {
            continue;
        }
        let stderr = String::from_utf8_lossy(&stderr_tail.lock().unwrap()).into_owned();
        let stderr = tail_lines(&stderr, 4);
        match current {
            Some((case, since)) => {
                let (class, what) = if hung {
                    (
                        Class::Hang,
                        format!("no result after {:.0} s", since.elapsed().as_secs_f64()),
                    )
                } else if let Some(signal) = status.signal() {
                    (
                        Class::Abort,
                        format!(
                            "the process was killed by signal {signal}{}",
                            signal_name(signal)
                        ),
                    )
                } else {
                    (
                        Class::Panic,
                        format!("the process exited with {status} inside the case"),
                    )
                };
                report.add(
                    class,
                    case,
                    format!("{what}; input: {}; stderr: {stderr}", describe(case)),
                );
                report.count_case();
                next += 1;
            }
            None => {
                panic!(
                    "the child test binary died outside a case ({status}, hung: {hung}); stderr: {stderr}"
                );
            }
        }
    }
}
