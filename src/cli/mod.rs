//! The `rdiff` command line: argument parsing (clap derive), error reporting, dispatch.
//!
//! Exit codes: 0 on success (also when the reader of standard output goes away early, e.g.
//! `rdiff sample … | head -1`: the program stops quietly, see [`output`]), 1 when a command
//! fails (bad data file, numerical failure, a size over the resource policy, an output that
//! would destroy a file, …), 2 for usage errors (unknown option or value, reported by clap).
//! Errors are printed as `error: <message>` on stderr; a panic (a bug) is reported the same
//! way, without a backtrace, and exits with code 101.

mod args;
mod commands;
mod datasets;
mod kernel;
mod output;
mod progress;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

pub use args::{Cli, Command};

/// Parses the arguments, runs the command and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = parse_arguments();
    let command = cli
        .command
        .unwrap_or(Command::Demo(args::DemoArgs::default()));
    match commands::run(command, cli.quiet) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if output::is_closed_stdout(&e) => ExitCode::SUCCESS,
        Err(e) => {
            output::note!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Parses `std::env::args`, with the defaults of the model options appended to the help of
/// `train` and `demo` (they differ per command, so they come from [`commands`]' constants).
fn parse_arguments() -> Cli {
    let command = Cli::command()
        .mut_subcommand("train", |c| {
            c.after_help(commands::train_defaults().describe(true))
        })
        .mut_subcommand("demo", |c| {
            c.after_help(commands::DEMO_DEFAULTS.describe(false))
        });
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

/// Reports panics as `error: internal error: …` without a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string());
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::note!("error: internal error (this is a bug in rdiff): {message}{location}");
    }));
}
