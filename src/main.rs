//! The `vethbench` binary: thin. Parse the command line, run, map the outcome to an exit code.
//!
//! Exit codes: 0 ok, 1 an expectation failed, 2 an error (printed on one line, no backtrace).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            eprintln!("vethbench: error: {}", one_line(&err));
            ExitCode::from(2)
        }
    }
}

/// The error chain on one line, joined by ": " (each layer prints its own words once: see
/// `vethbench::error`).
fn one_line(err: &anyhow::Error) -> String {
    vethbench::error::chain(err.as_ref())
}
