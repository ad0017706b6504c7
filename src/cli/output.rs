//! Standard output and standard error without panics.
//!
//! `println!` panics ("failed printing to stdout") when the reader of a pipe has gone away
//! (`rdiff eval … | head -0`). Report lines go through [`say!`] instead: a closed pipe only
//! silences them (the command goes on, so that the files it was asked for are still written:
//! `rdiff demo --out d.png | head -0` writes `d.png` and exits 0), any other write error is
//! [`Error::Io`] on [`STDOUT`]. Data written to standard output (CSV) ends the program
//! quietly on a closed pipe instead ([`is_closed_stdout`], exit code 0), as a Unix filter
//! killed by `SIGPIPE` would end. Notes and errors go through [`note!`], which ignores a
//! failure to write to standard error (there is nowhere left to report it).

use riemannian_diffusion::{Error, Result};
use std::io::{ErrorKind, Write};

/// The name of standard output in errors.
pub const STDOUT: &str = "<stdout>";

/// Writes one report line to standard output; a closed pipe silences it (module docs).
///
/// # Errors
/// [`Error::Io`] on [`STDOUT`] when the write fails otherwise.
pub fn say_line(args: std::fmt::Arguments<'_>) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
    {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(stdout_error(e)),
        _ => Ok(()),
    }
}

/// Writes one line to standard error, ignoring failures.
pub fn note_line(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

/// [`Error::Io`] on [`STDOUT`] around a write error.
pub fn stdout_error(source: std::io::Error) -> Error {
    Error::Io {
        path: STDOUT.to_string(),
        source,
    }
}

/// Whether `error` says that standard output was closed by its reader (broken pipe).
pub fn is_closed_stdout(error: &Error) -> bool {
    matches!(error, Error::Io { path, source } if path == STDOUT && source.kind() == ErrorKind::BrokenPipe)
}

/// `println!` that returns `Result<()>` instead of panicking ([`say_line`]).
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::cli::output::say_line(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics ([`note_line`]).
macro_rules! note {
    ($($arg:tt)*) => {
        $crate::cli::output::note_line(format_args!($($arg)*))
    };
}

pub(crate) use {note, say};
