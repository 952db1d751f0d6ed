//! The `vethbench` binary: thin. Parse the command line, run, map the outcome to an exit code.
//!
//! Exit codes: 0 ok, 1 an expectation failed, 2 an error (printed on one line, no backtrace).

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(err) => {
            // One line: the whole context chain, joined by ": ".
            eprintln!("vethbench: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
