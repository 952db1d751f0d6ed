//! The terminal report: each test with its steps, pass/fail and time; on failure what was
//! expected, what arrived and the field-level diff.

use std::fmt::Write;

use super::super::runner::{ScenarioResult, TestResult};
use super::super::steps::Outcome;
use super::Totals;

fn mark(o: Outcome) -> &'static str {
    match o {
        Outcome::Passed => "PASS",
        Outcome::Failed => "FAIL",
        Outcome::Error => "ERROR",
        Outcome::Skipped => "skip",
    }
}

fn ms(s: f64) -> String {
    if s < 0.001 {
        format!("{:.0} µs", s * 1e6)
    } else {
        format!("{:.1} ms", s * 1e3)
    }
}

/// The header of a file: `== router.yaml: router between two hosts`.
pub fn file_header(file: &str, name: &str) -> String {
    format!("== {file}: {name}\n")
}

/// The footer of a file: how long the topology took, and the whole file.
pub fn file_footer(r: &ScenarioResult) -> String {
    let mut s = String::new();
    for st in r.teardown.iter().filter(|x| x.outcome != Outcome::Passed) {
        let _ = writeln!(
            s,
            "   teardown {} (line {}): {}",
            mark(st.outcome),
            st.line,
            st.message
        );
    }
    if r.interrupted {
        s.push_str("   interrupted: the tests after this point were not run\n");
    }
    let _ = writeln!(
        s,
        "   topology up in {}, file done in {}",
        ms(r.setup_s),
        ms(r.duration_s)
    );
    s
}

/// One test, with its steps (details only for what did not pass, unless `verbose`).
pub fn test(t: &TestResult, verbose: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} {} ({})", mark(t.outcome), t.name, ms(t.duration_s));
    for (i, st) in t.steps.iter().enumerate() {
        if st.outcome == Outcome::Passed && !verbose && t.outcome == Outcome::Passed {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:>2}. {:<5} {} (line {}, {})",
            i + 1,
            mark(st.outcome),
            st.step,
            st.line,
            ms(st.duration_s)
        );
        for n in &st.notes {
            let _ = writeln!(s, "         {n}");
        }
        for l in st.message.lines() {
            let _ = writeln!(s, "         {l}");
        }
    }
    for st in t.teardown.iter().filter(|x| x.outcome != Outcome::Passed) {
        let _ = writeln!(
            s,
            "  teardown {} (line {}): {}",
            mark(st.outcome),
            st.line,
            st.message
        );
    }
    if t.interrupted {
        let _ = writeln!(s, "  interrupted: the run was stopped during this test");
    }
    if let Some(p) = &t.capture {
        let _ = writeln!(s, "  capture: {}", p.display());
    }
    s
}

/// The closing lines: a count per outcome, and the files that could not run.
pub fn summary(files: &[ScenarioResult]) -> String {
    let t = Totals::of(files);
    let mut s = String::new();
    let _ = write!(s, "{} passed, {} failed", t.passed, t.failed);
    if t.not_run > 0 {
        let _ = write!(s, ", {} file(s) could not run", t.not_run);
    }
    s.push('\n');
    s
}
