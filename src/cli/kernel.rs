//! `rdiff kernel`: evaluate a heat kernel on point pairs read as CSV (formats in
//! [`KERNEL_FORMATS`](super::args::KERNEL_FORMATS)).
//!
//! The input is streamed: data lines are collected into chunks of at most [`CHUNK_ROWS`] rows
//! (fewer on huge manifolds, see [`CHUNK_REALS`]) and each chunk is evaluated in parallel (rayon, one task per row; every row's result is
//! independent of the chunking and the thread count) and written before the next is read. A
//! chunk is also evaluated as soon as the input has no more data ready, so a program feeding
//! lines through a pipe gets each answer without waiting for a full chunk.
//!
//! Failure policy ("nothing else is lost"): the first bad line stops the run. Every data line
//! before it has been evaluated and written (and flushed); its error names the input and the line
//! number. With `--output FILE` the results go to a temporary sibling file which is renamed onto
//! FILE at the end, also after a bad line, so FILE is never half-written: it holds the header and
//! whole result lines. Failures before the first line is read (bad arguments, missing input),
//! failures writing the output, and an interrupted run leave an existing FILE untouched (a killed
//! run may leave its hidden temporary `.FILE.<pid>.tmp` behind).

use super::args::KernelArgs;
use rayon::prelude::*;
use riemannian_diffusion::heat_kernel::{
    HeatKernel, KernelEvaluation, KernelMethod, DEFAULT_AUTO_TOLERANCE,
};
use riemannian_diffusion::manifold::MEMBERSHIP_TOLERANCE;
use riemannian_diffusion::registry::heat_kernel;
use riemannian_diffusion::{Error, Result};
use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};

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
    let kernel = heat_kernel(
        &args.manifold,
        args.method,
        args.tol.unwrap_or(DEFAULT_AUTO_TOLERANCE),
    )?;
    let (reader, source): (Box<dyn Read>, String) = if args.input.as_os_str() == "-" {
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
    let outcome = evaluate_stream(kernel.as_ref(), args.t, &mut input, &source, &mut output);
    match outcome {
        Ok(_) => output.commit(),
        Err(StreamError::Output(error)) => {
            output.abort();
            Err(error)
        }
        Err(StreamError::Stop) => {
            output.abort();
            Ok(())
        }
        Err(StreamError::Line { error, evaluated }) => {
            let committed = output.commit();
            let place = match &args.output {
                Some(path) => path.display().to_string(),
                None => "standard output".to_string(),
            };
            let note = match committed {
                Ok(()) if evaluated == 0 => {
                    format!("; no earlier data lines ({place}: header only)")
                }
                Ok(()) => {
                    format!("; the results of the {evaluated} earlier data line(s) are in {place}")
                }
                Err(e) => format!("; writing the earlier results also failed: {e}"),
            };
            Err(match error {
                Error::Parse {
                    source_name,
                    line,
                    message,
                } => Error::Parse {
                    source_name,
                    line,
                    message: message + &note,
                },
                other => other,
            })
        }
    }
}

/// Why [`evaluate_stream`] stopped early.
#[derive(Debug)]
pub enum StreamError {
    /// A bad input line (or unreadable input) after `evaluated` good data lines were written.
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

/// Where the results go: standard output, or a temporary file renamed onto the target.
enum Destination {
    Stdout(BufWriter<std::io::Stdout>),
    File {
        writer: BufWriter<File>,
        temporary: PathBuf,
        target: PathBuf,
    },
}

impl Destination {
    /// Standard output for `None`; else creates the temporary sibling of `path`.
    fn open(path: Option<&Path>) -> Result<Destination> {
        let Some(target) = path else {
            return Ok(Destination::Stdout(BufWriter::new(std::io::stdout())));
        };
        let io_error = |p: &Path, source| Error::Io {
            path: p.display().to_string(),
            source,
        };
        if target.is_dir() {
            return Err(io_error(
                target,
                std::io::Error::new(
                    ErrorKind::InvalidInput,
                    "is a directory (expected an output file name)",
                ),
            ));
        }
        let file_name = target.file_name().ok_or_else(|| {
            io_error(
                target,
                std::io::Error::new(ErrorKind::InvalidInput, "the path has no file name"),
            )
        })?;
        let directory = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !directory.is_dir() {
            return Err(io_error(
                &directory,
                std::io::Error::new(
                    ErrorKind::NotFound,
                    "output directory does not exist (create it first)",
                ),
            ));
        }
        let temporary = directory.join(format!(
            ".{}.{}.tmp",
            file_name.to_string_lossy(),
            std::process::id()
        ));
        let file = File::create(&temporary).map_err(|e| io_error(&temporary, e))?;
        Ok(Destination::File {
            writer: BufWriter::new(file),
            temporary,
            target: target.to_path_buf(),
        })
    }

    fn name(&self) -> String {
        match self {
            Destination::Stdout(_) => "<stdout>".to_string(),
            Destination::File { target, .. } => target.display().to_string(),
        }
    }

    /// Flushes; for a file, syncs it and renames the temporary file onto the target.
    fn commit(self) -> Result<()> {
        match self {
            Destination::Stdout(mut writer) => match writer.flush() {
                Err(e) if e.kind() == ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(|source| Error::Io {
                    path: "<stdout>".to_string(),
                    source,
                }),
            },
            Destination::File {
                writer,
                temporary,
                target,
            } => {
                let result = writer
                    .into_inner()
                    .map_err(|e| e.into_error())
                    .and_then(|file| file.sync_all())
                    .and_then(|()| std::fs::rename(&temporary, &target));
                result.map_err(|source| {
                    let _ = std::fs::remove_file(&temporary);
                    Error::Io {
                        path: target.display().to_string(),
                        source,
                    }
                })
            }
        }
    }

    /// Drops the output: nothing more is written to standard output; a temporary file is removed.
    fn abort(self) {
        if let Destination::File {
            writer, temporary, ..
        } = self
        {
            drop(writer);
            let _ = std::fs::remove_file(&temporary);
        }
    }
}

impl Write for Destination {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        match self {
            Destination::Stdout(w) => w.write(bytes),
            Destination::File { writer, .. } => writer.write(bytes),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Destination::Stdout(w) => w.flush(),
            Destination::File { writer, .. } => writer.flush(),
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
/// [`StreamError::Line`] at the first bad line (everything before it has been written and
/// flushed), [`StreamError::Output`] when writing fails, [`StreamError::Stop`] on a broken pipe
/// to standard output.
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
        if source.kind() == ErrorKind::BrokenPipe && output_name == "<stdout>" {
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
        let outcome = match input.read_until(b'\n', &mut bytes) {
            Ok(0) => break,
            Ok(_) => parse_line(&bytes, k, &mut fields).and_then(|parsed| {
                if parsed {
                    check_points(manifold, &fields, k)?;
                }
                Ok(parsed)
            }),
            Err(e) => Err(format!("cannot read the input: {e}")),
        };
        line_number += 1;
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
            .map_err(|_| format!("field {} = {field:?} is not a number", i + 1))?;
        if !value.is_finite() {
            return Err(format!(
                "field {} = {field:?} is not a finite number",
                i + 1
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
