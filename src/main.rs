//! The `vethbench` binary: thin. Parse the command line, run, map the outcome to an exit code.
//!
//! Exit codes: 0 ok, 1 an expectation failed, 2 an error (printed on one line, no backtrace).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            // Exit 2 even when stderr is gone too (`2>&1 | head -1`): the write may fail, quietly.
            let line = format!("vethbench: error: {}\n", one_line(&err));
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
            ExitCode::from(2)
        }
    }
}

/// The error chain on one line, joined by ": " (each layer prints its own words once: see
/// `vethbench::error`).
fn one_line(err: &anyhow::Error) -> String {
    vethbench::error::chain(err.as_ref())
}
