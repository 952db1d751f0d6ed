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

/// The error chain on one line, joined by ": ", skipping a cause whose text the message before
/// it already contains (library errors often print their source in their own message).
fn one_line(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !line.contains(&text) {
            if !line.is_empty() {
                line.push_str(": ");
            }
            line.push_str(&text);
        }
    }
    line.replace('\n', " ")
}
