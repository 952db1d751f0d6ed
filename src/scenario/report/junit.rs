//! JUnit XML as CI systems read it: one testsuite per file, one testcase per test; a failure's
//! message names the failing step and carries its diff, its text lists every step.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::super::runner::ScenarioResult;
use super::super::steps::Outcome;

/// The XML of a run.
pub fn to_xml(files: &[ScenarioResult]) -> String {
    let mut report = Report::new("vethbench");
    let mut total = 0.0;
    for f in files {
        let mut suite = TestSuite::new(f.file.as_str());
        suite.set_time(Duration::from_secs_f64(f.duration_s));
        total += f.duration_s;
        if let Some(e) = &f.error {
            let mut st = TestCaseStatus::non_success(NonSuccessKind::Error);
            st.set_message(e.as_str());
            st.set_type("scenario could not run");
            let mut tc = TestCase::new("(topology and setup)", st);
            tc.set_classname(f.name.as_str());
            suite.add_test_case(tc);
        }
        for t in &f.tests {
            let status = match t.outcome {
                Outcome::Passed => TestCaseStatus::success(),
                o => {
                    let kind = if o == Outcome::Error {
                        NonSuccessKind::Error
                    } else {
                        NonSuccessKind::Failure
                    };
                    let mut st = TestCaseStatus::non_success(kind);
                    if let Some(s) = t.failing_step() {
                        let title = super::failing_step_title(t).unwrap_or_default();
                        st.set_message(format!("{title}: {}", s.message));
                        st.set_type(s.keyword);
                    }
                    st.set_description(super::human::test(t, true));
                    st
                }
            };
            let mut tc = TestCase::new(t.name.as_str(), status);
            tc.set_classname(f.name.as_str());
            tc.set_time(Duration::from_secs_f64(t.duration_s));
            tc.set_assertions(t.steps.len());
            if let Some(p) = &t.capture {
                tc.set_system_out(format!("capture: {}", p.display()));
            }
            suite.add_test_case(tc);
        }
        let mut err = String::new();
        for t in f.teardown_failures() {
            err.push_str(&format!("teardown (line {}): {}\n", t.line, t.message));
        }
        if f.interrupted {
            err.push_str("interrupted: the tests after the last one listed were not run\n");
        }
        if !err.is_empty() {
            suite.set_system_err(err);
        }
        report.add_test_suite(suite);
    }
    report.set_time(Duration::from_secs_f64(total));
    report.to_string().unwrap_or_default()
}
