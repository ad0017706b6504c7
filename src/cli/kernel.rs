//! `rdiff kernel`: evaluate a heat kernel on point pairs read as CSV (formats in
//! [`KERNEL_FORMATS`](super::args::KERNEL_FORMATS)).
//!
//! The input is streamed: data lines are collected into chunks of at most [`CHUNK_ROWS`] rows
//! (fewer on huge manifolds, see [`CHUNK_REALS`]) and each chunk is evaluated in parallel (rayon, one task per row; every row's result is
//! independent of the chunking and the thread count) and written before the next is read. A
//! chunk is also evaluated as soon as the input has no more data ready, so a program feeding
//! lines through a pipe gets each answer without waiting for a full chunk.
//!
//! Failure policy ("nothing else is lost, nothing existing is destroyed"): the first bad line
//! stops the run; its error names the input and the line number. On standard output every data
//! line before it has been evaluated and written (and flushed). With `--output FILE` the results
//! go to a temporary sibling ([`AtomicFile`]) which is renamed onto FILE only after a complete
//! run: an existing FILE is never replaced by partial results. After a bad line the results
//! before it (if there are any) are published only where no file exists yet
//! ([`AtomicFile::commit_new`]), so FILE is never half-written and never an older file
//! destroyed. Failures before the first line is
//! read (bad arguments, an output that is the input, a directory, a link or a FIFO, a missing
//! or unreadable input), read errors, failures writing the output and an interrupted run leave
//! an existing FILE byte-identical and no temporary behind (only a run killed outright leaves
//! its hidden temporary `.FILE.<pid>.<n>.tmp`).
//!
//! A line holds at most [`MAX_LINE_BYTES`] bytes (its line break included): a longer line
//! (e.g. `-i /dev/zero`, which has none) is a bad line, refused after reading that much.

use super::args::KernelArgs;
use super::output::STDOUT;
use rayon::prelude::*;
use riemannian_diffusion::atomic_file::{validate_output, AtomicFile};
use riemannian_diffusion::error::quoted;
use riemannian_diffusion::heat_kernel::{
    HeatKernel, KernelEvaluation, KernelMethod, DEFAULT_AUTO_TOLERANCE,
};
use riemannian_diffusion::limits::MAX_LINE_BYTES;
use riemannian_diffusion::manifold::MEMBERSHIP_TOLERANCE;
use riemannian_diffusion::registry::heat_kernel;
use riemannian_diffusion::{Error, Result};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::Path;

/// Largest number of data lines evaluated together.
pub const CHUNK_ROWS: usize = 1024;

/// Largest number of reals per point buffer of a chunk (8 MiB): on huge manifolds a chunk has
/// fewer than [`CHUNK_ROWS`] rows (at least one).
const CHUNK_REALS: usize = 1 << 20;

/// Capacity of the input buffer (a chunk is evaluated early when the buffer runs dry).
const INPUT_BUFFER_BYTES: usize = 1 << 20;

/// Runs `rdiff kernel`.
pub fn run(args: &KernelArgs) -> Result<()> {
    if args.tol.is_some() && args.method != KernelMethod::Auto {
        return Err(Error::invalid(
            "--tol",
            args.tol.unwrap_or_default(),
            format!(
                "no --tol with --method {} (the tolerance steers --method auto only; \
                 the explicit estimators have their own fixed truncation rules)",
                args.method
            ),
        ));
    }
    let from_stdin = args.input.as_os_str() == "-";
    if let Some(output) = &args.output {
        validate_output(output, &[args.input.as_path()])?;
    }
    if !from_stdin && args.input.is_dir() {
        return Err(Error::Io {
            path: args.input.display().to_string(),
            source: std::io::Error::new(
                ErrorKind::InvalidInput,
                "is a directory (expected a CSV file, or - for standard input)",
            ),
        });
    }
    let kernel = heat_kernel(
        &args.manifold,
        args.method,
        args.tol.unwrap_or(DEFAULT_AUTO_TOLERANCE),
    )?;
    let (reader, source): (Box<dyn Read>, String) = if from_stdin {
        (Box::new(std::io::stdin()), "<stdin>".to_string())
    } else {
        let file = File::open(&args.input).map_err(|source| Error::Io {
            path: args.input.display().to_string(),
            source,
        })?;
        (Box::new(file), args.input.display().to_string())
    };
    let mut input = BufReader::with_capacity(INPUT_BUFFER_BYTES, reader);
    let mut output = Destination::open(args.output.as_deref())?;
    let place = match &args.output {
        Some(path) => path.display().to_string(),
        None => "standard output".to_string(),
    };
    let outcome = evaluate_stream(kernel.as_ref(), args.t, &mut input, &source, &mut output);
    match outcome {
        Ok(_) => output.commit(),
        Err(StreamError::Output(error)) => Err(error),
        Err(StreamError::Stop) => Ok(()),
        Err(StreamError::Input { error, evaluated }) => {
            let note = match output {
                Destination::Stdout(_) => {
                    format!("; the results of the {evaluated} earlier data line(s) are in {place}")
                }
                Destination::File(_) => {
                    format!("; {place} is left as it was (the input could not be read to its end)")
                }
            };
            Err(with_note(error, &note))
        }
        Err(StreamError::Line {
            error,
            evaluated: 0,
        }) => {
            // Nothing to keep: a header alone is not published (the temporary is dropped).
            let note = match output {
                Destination::Stdout(_) => "; no earlier data lines".to_string(),
                Destination::File(_) => format!("; no earlier data lines ({place} not written)"),
            };
            Err(with_note(error, &note))
        }
        Err(StreamError::Line { error, evaluated }) => {
            let note = match output.commit_partial() {
                Ok(()) => {
                    format!("; the results of the {evaluated} earlier data line(s) are in {place}")
                }
                Err(Error::Io { source, .. }) if source.kind() == ErrorKind::AlreadyExists => {
                    format!(
                        "; {place} already existed and is left unchanged (the results of the \
                         {evaluated} earlier data line(s) were not written: write to a new file \
                         or to standard output to keep them)"
                    )
                }
                Err(e) => format!("; writing the earlier results also failed: {e}"),
            };
            Err(with_note(error, &note))
        }
    }
}

/// `error` (an [`Error::Parse`]) with `note` appended to its message.
fn with_note(error: Error, note: &str) -> Error {
    match error {
        Error::Parse {
            source_name,
            line,
            message,
        } => Error::Parse {
            source_name,
            line,
            message: message + note,
        },
        other => other,
    }
}

/// Why [`evaluate_stream`] stopped early.
#[derive(Debug)]
pub enum StreamError {
    /// The input could not be read (an I/O error) after `evaluated` good data lines.
    Input {
        /// [`Error::Parse`] naming the source and the line.
        error: Error,
        /// Number of data lines evaluated and written before it.
        evaluated: usize,
    },
    /// A bad input line after `evaluated` good data lines were written.
    Line {
        /// [`Error::Parse`] naming the source and the line.
        error: Error,
        /// Number of data lines evaluated and written before it.
        evaluated: usize,
    },
    /// Writing the output failed.
    Output(Error),
    /// The reader of standard output went away (broken pipe): stop quietly.
    Stop,
}

/// Where the results go: standard output, or a temporary file published onto the target.
enum Destination {
    Stdout(BufWriter<std::io::Stdout>),
    File(AtomicFile),
}

impl Destination {
    /// Standard output for `None`; else the temporary sibling of `path` (validated again).
    fn open(path: Option<&Path>) -> Result<Destination> {
        Ok(match path {
            None => Destination::Stdout(BufWriter::new(std::io::stdout())),
            Some(target) => Destination::File(AtomicFile::create(target)?),
        })
    }

    fn name(&self) -> String {
        match self {
            Destination::Stdout(_) => STDOUT.to_string(),
            Destination::File(file) => file.target().display().to_string(),
        }
    }

    /// Flushes; for a file, publishes it ([`AtomicFile::commit`]).
    fn commit(self) -> Result<()> {
        match self {
            Destination::Stdout(mut writer) => match writer.flush() {
                Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|source| Error::Io {
                    path: STDOUT.to_string(),
                    source,
                }),
            },
            Destination::File(file) => file.commit(),
        }
    }

    /// After a bad line: flushes standard output; publishes a file only where none exists
    /// ([`AtomicFile::commit_new`]: an error of kind `AlreadyExists` otherwise).
    fn commit_partial(self) -> Result<()> {
        match self {
            Destination::Stdout(_) => self.commit(),
            Destination::File(file) => file.commit_new(),
        }
    }
}

impl Write for Destination {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Destination::Stdout(w) => w.write(bytes),
            Destination::File(file) => file.write(bytes),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Destination::Stdout(w) => w.flush(),
            Destination::File(file) => file.flush(),
        }
    }
}

/// Data lines read but not yet evaluated.
struct Pending {
    x0: Vec<f64>,
    x: Vec<f64>,
}

/// Reads pairs of points from `input`, evaluates `kernel` at time `t` and writes the header and
/// one result line per data line to `output` (format in the [module docs](self)); returns the
/// number of data lines evaluated.
///
/// # Errors
/// [`StreamError::Line`] at the first bad line and [`StreamError::Input`] when the input cannot
/// be read (everything before either has been written and flushed), [`StreamError::Output`]
/// when writing fails, [`StreamError::Stop`] on a broken pipe to standard output.
fn evaluate_stream<R: Read>(
    kernel: &dyn HeatKernel,
    t: f64,
    input: &mut BufReader<R>,
    source: &str,
    output: &mut Destination,
) -> std::result::Result<usize, StreamError> {
    let manifold = kernel.manifold();
    let k = manifold.ambient_dim();
    let mut header = String::from("log_p,terms,estimator,error_estimate");
    for i in 0..k {
        let _ = write!(header, ",score_{i}");
    }
    header.push('\n');
    let output_name = output.name();
    let write_error = |source: std::io::Error| {
        if source.kind() == ErrorKind::BrokenPipe && output_name == STDOUT {
            StreamError::Stop
        } else {
            StreamError::Output(Error::Io {
                path: output_name.clone(),
                source,
            })
        }
    };
    output.write_all(header.as_bytes()).map_err(write_error)?;
    let chunk_rows = (CHUNK_REALS / k.max(1)).clamp(1, CHUNK_ROWS);
    let mut pending = Pending {
        x0: Vec::new(),
        x: Vec::new(),
    };
    let mut lines: Vec<usize> = Vec::with_capacity(chunk_rows);
    let mut evaluated = 0;
    // Evaluates and writes the pending rows, then flushes; adds them to `evaluated`.
    let mut drain = |pending: &mut Pending,
                     lines: &mut Vec<usize>,
                     output: &mut Destination|
     -> std::result::Result<usize, StreamError> {
        let outcome = evaluate_chunk(kernel, t, pending, lines, source, output);
        pending.x0.clear();
        pending.x.clear();
        lines.clear();
        match outcome {
            Ok(rows) => evaluated += rows,
            Err(ChunkError::Line(error, rows)) => {
                output.flush().map_err(write_error)?;
                return Err(StreamError::Line {
                    error,
                    evaluated: evaluated + rows,
                });
            }
            Err(ChunkError::Write(e)) => return Err(write_error(e)),
        }
        output.flush().map_err(write_error)?;
        Ok(evaluated)
    };
    let mut bytes = Vec::new();
    let mut fields = Vec::new();
    let mut line_number = 0;
    loop {
        // Evaluate early when no more input is ready (interactive pipes) or the chunk is full.
        if !lines.is_empty() && (input.buffer().is_empty() || lines.len() == chunk_rows) {
            drain(&mut pending, &mut lines, output)?;
        }
        bytes.clear();
        // At most MAX_LINE_BYTES + 1 bytes: one more than a line may hold tells a line that
        // is too long, without ever holding more.
        let read = input
            .by_ref()
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut bytes);
        line_number += 1;
        let outcome = match read {
            Ok(0) => break,
            Ok(_) if bytes.len() > MAX_LINE_BYTES => Err(format!(
                "the line is longer than {MAX_LINE_BYTES} bytes (the resource policy's bound: \
                 a pair of points of the largest manifold fits with room to spare)"
            )),
            Ok(_) => parse_line(&bytes, k, &mut fields).and_then(|parsed| {
                if parsed {
                    check_points(manifold, &fields, k)?;
                }
                Ok(parsed)
            }),
            Err(e) => {
                let done = drain(&mut pending, &mut lines, output)?;
                return Err(StreamError::Input {
                    error: Error::Parse {
                        source_name: source.to_string(),
                        line: line_number,
                        message: format!("cannot read the input: {e}"),
                    },
                    evaluated: done,
                });
            }
        };
        match outcome {
            Ok(false) => {}
            Ok(true) => {
                pending.x0.extend_from_slice(&fields[..k]);
                pending.x.extend_from_slice(&fields[k..]);
                lines.push(line_number);
            }
            Err(message) => {
                // Everything before the bad line is evaluated and written first.
                let done = drain(&mut pending, &mut lines, output)?;
                return Err(StreamError::Line {
                    error: Error::Parse {
                        source_name: source.to_string(),
                        line: line_number,
                        message,
                    },
                    evaluated: done,
                });
            }
        }
    }
    drain(&mut pending, &mut lines, output)
}

/// Parses one input line into `fields` (`2k` numbers). `Ok(false)` for a blank or `#` line.
fn parse_line(bytes: &[u8], k: usize, fields: &mut Vec<f64>) -> std::result::Result<bool, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not valid UTF-8 text (invalid byte at column {})",
            e.valid_up_to() + 1
        )
    })?;
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(false);
    }
    fields.clear();
    let count = text.split(',').count();
    if count != 2 * k {
        return Err(format!(
            "expected {} comma-separated numbers (x0 then x, {k} each), found {count}",
            2 * k
        ));
    }
    for (i, field) in text.split(',').enumerate() {
        let field = field.trim();
        let value: f64 = field
            .parse()
            .map_err(|_| format!("field {} = {} is not a number", i + 1, quoted(field)))?;
        if !value.is_finite() {
            return Err(format!(
                "field {} = {} is not a finite number",
                i + 1,
                quoted(field)
            ));
        }
        fields.push(value);
    }
    Ok(true)
}

/// Checks both points of a parsed line with the manifold's own test (tolerance
/// [`MEMBERSHIP_TOLERANCE`], the one the kernels apply), naming which point failed.
fn check_points(
    manifold: &dyn riemannian_diffusion::manifold::Manifold,
    fields: &[f64],
    k: usize,
) -> std::result::Result<(), String> {
    for (name, range, point) in [
        ("x0", (1, k), &fields[..k]),
        ("x", (k + 1, 2 * k), &fields[k..]),
    ] {
        manifold
            .check_point(point, MEMBERSHIP_TOLERANCE)
            .map_err(|e| format!("{name} (fields {}–{}): {e}", range.0, range.1))?;
    }
    Ok(())
}

/// Why [`evaluate_chunk`] stopped.
enum ChunkError {
    /// The kernel failed at a line; the number of rows of the chunk written before it.
    Line(Error, usize),
    /// Writing failed.
    Write(std::io::Error),
}

/// Evaluates the pending rows in parallel and writes their result lines in order, up to the
/// first row whose evaluation failed. Returns the number of rows written.
fn evaluate_chunk(
    kernel: &dyn HeatKernel,
    t: f64,
    pending: &Pending,
    lines: &[usize],
    source: &str,
    output: &mut Destination,
) -> std::result::Result<usize, ChunkError> {
    let k = kernel.manifold().ambient_dim();
    let rows = lines.len();
    if rows == 0 {
        return Ok(0);
    }
    let mut scores = vec![0.0; rows * k];
    let results: Vec<Result<KernelEvaluation>> = scores
        .par_chunks_mut(k)
        .enumerate()
        .map(|(i, score)| {
            let x0 = &pending.x0[i * k..(i + 1) * k];
            let x = &pending.x[i * k..(i + 1) * k];
            kernel.score(x0, x, t, score)
        })
        .collect();
    let mut text = String::with_capacity(rows * (k + 2) * 24);
    for (i, result) in results.into_iter().enumerate() {
        let score = &scores[i * k..(i + 1) * k];
        let failure = match result {
            Err(e) => Some(e.to_string()),
            Ok(e) if !e.log_prob.is_finite() || score.iter().any(|v| !v.is_finite()) => {
                Some(format!(
                    "the estimator returned a non-finite result (log p = {:e}) at t = {t}",
                    e.log_prob
                ))
            }
            Ok(e) => {
                // `+ 0.0` prints a signed zero as `0e0`.
                let _ = write!(
                    text,
                    "{:e},{},{},{:e}",
                    e.log_prob + 0.0,
                    e.terms,
                    e.estimator,
                    e.error_estimate + 0.0
                );
                for v in score {
                    let _ = write!(text, ",{:e}", v + 0.0);
                }
                text.push('\n');
                None
            }
        };
        if let Some(message) = failure {
            output
                .write_all(text.as_bytes())
                .map_err(ChunkError::Write)?;
            return Err(ChunkError::Line(
                Error::Parse {
                    source_name: source.to_string(),
                    line: lines[i],
                    message,
                },
                i,
            ));
        }
    }
    output
        .write_all(text.as_bytes())
        .map_err(ChunkError::Write)?;
    Ok(rows)
}
