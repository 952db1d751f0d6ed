//! TAP version 13: one line per test (`ok 1 - router.yaml: forwarded`), the failing step and
//! its diff as a YAML block.

use std::fmt::Write;

use super::super::runner::ScenarioResult;
use super::super::steps::Outcome;

pub fn to_tap(files: &[ScenarioResult]) -> String {
    let n: usize = files
        .iter()
        .map(|f| f.tests.len() + usize::from(f.error.is_some()))
        .sum();
    let mut s = format!("TAP version 13\n1..{n}\n");
    let mut i = 0;
    for f in files {
        if let Some(e) = &f.error {
            i += 1;
            let _ = writeln!(
                s,
                "not ok {i} - {}: could not run\n  ---\n  message: {}\n  ...",
                f.file,
                yaml_str(e)
            );
        }
        for t in &f.tests {
            i += 1;
            let ok = if t.outcome == Outcome::Passed {
                "ok"
            } else {
                "not ok"
            };
            let _ = writeln!(s, "{ok} {i} - {}: {}", f.file, t.name);
            if let Some(st) = t.failing_step() {
                let title = super::failing_step_title(t).unwrap_or_default();
                let _ = writeln!(s, "  ---\n  step: {}\n  message: |", yaml_str(&title));
                for l in st.message.lines() {
                    let _ = writeln!(s, "    {l}");
                }
                let _ = writeln!(s, "  ...");
            }
        }
    }
    s
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(&s.replace('\n', " / ")).unwrap_or_default()
}
