//! Fixtures shared by the tests of the `rdiff` binary: running it, temporary directories,
//! and the shape of a clean failure.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `rdiff` with `args` (and no `RDIFF_DATA_DIR` from the environment).
pub fn rdiff(args: &[&str]) -> Output {
    rdiff_with_env(args, &[])
}

/// Runs `rdiff` with `args` and extra environment variables.
pub fn rdiff_with_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rdiff"));
    command.args(args).env_remove("RDIFF_DATA_DIR");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("the rdiff binary runs")
}

/// Runs `rdiff` with `args` and `input` on standard input. The input is fed from a thread so
/// that a large input cannot deadlock against a full stdout pipe, and a broken pipe (rdiff
/// refused its arguments and exited before reading) is not an error.
pub fn rdiff_with_stdin(args: &[&str], input: impl Into<Vec<u8>>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_rdiff"))
        .args(args)
        .env_remove("RDIFF_DATA_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the rdiff binary runs");
    let mut pipe = child.stdin.take().expect("piped stdin");
    let input = input.into();
    let feeder = std::thread::spawn(move || {
        let _ = pipe.write_all(&input);
    });
    let output = child.wait_with_output().expect("rdiff finishes");
    feeder.join().expect("the stdin feeder finishes");
    output
}

/// Lossy UTF-8 text of a byte buffer.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory named after the process and a counter.
    pub fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rdiff-cli-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// The path of `name` inside the directory, as a string for command lines.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Asserts a clean failure: exit code 1, an `error: ` line, no panic message; returns stderr.
pub fn assert_clean_failure(output: &Output) -> String {
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.starts_with("error: "), "stderr: {stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("internal error"),
        "stderr: {stderr}"
    );
    stderr
}
