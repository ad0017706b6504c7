//! `rdiff`: train, evaluate and sample Riemannian score-based diffusion models from the
//! command line. Run `rdiff --help` (or `rdiff <command> --help`) for the options.
//!
//! The binary is a thin layer over the `riemannian_diffusion` library; see `src/cli/`.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
