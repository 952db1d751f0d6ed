//! Reports of scenario runs: the human one on the terminal ([`human`]), JUnit XML
//! ([`junit`], one testsuite per file, one testcase per test), TAP ([`tap`]) and JSON
//! ([`json`], schema in the README).

pub mod human;
pub mod json;
pub mod junit;
pub mod tap;

use super::runner::{ScenarioResult, TestResult};
use super::steps::Outcome;

/// Tests passed, failed (or in error), and files that could not run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub passed: usize,
    pub failed: usize,
    pub not_run: usize,
}

impl Totals {
    pub fn of(files: &[ScenarioResult]) -> Self {
        let mut t = Totals::default();
        for f in files {
            if f.error.is_some() {
                t.not_run += 1;
            }
            for x in &f.tests {
                if x.outcome == Outcome::Passed {
                    t.passed += 1;
                } else {
                    t.failed += 1;
                }
            }
        }
        t
    }

    /// 0 all passed, 1 a test failed, 2 a file could not run.
    pub fn exit_code(&self) -> u8 {
        if self.not_run > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

/// `step 3 (line 21) expect on h2:eth0`.
pub fn failing_step_title(t: &TestResult) -> Option<String> {
    let i = t
        .steps
        .iter()
        .position(|s| matches!(s.outcome, Outcome::Failed | Outcome::Error))?;
    let s = &t.steps[i];
    Some(format!("step {} (line {}) {}", i + 1, s.line, s.step))
}
