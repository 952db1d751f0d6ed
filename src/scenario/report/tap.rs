//! TAP version 13: one line per test (`ok 1 - router.yaml: forwarded`), the failing step and
//! its diff as a YAML block.
//!
//! Names come from users and messages from commands, so both are escaped to keep TAP's
//! grammar: in a test line `\` and `#` get a backslash (an unescaped `# TODO` would turn a
//! failure into an expected one) and line breaks become spaces; in the YAML block, control
//! characters are written `\xNN` (a raw ESC or CR would end or corrupt the block).

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
        let file = description(&f.file);
        if let Some(e) = &f.error {
            i += 1;
            let _ = writeln!(
                s,
                "not ok {i} - {file}: could not run\n  ---\n  message: {}\n  ...",
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
            let _ = writeln!(s, "{ok} {i} - {file}: {}", description(&t.name));
            if let Some(st) = t.failing_step() {
                let title = super::failing_step_title(t).unwrap_or_default();
                let _ = writeln!(s, "  ---\n  step: {}\n  message: |", yaml_str(&title));
                for l in st.message.lines() {
                    let _ = writeln!(s, "    {}", visible(l));
                }
                let _ = writeln!(s, "  ...");
            }
        }
    }
    s
}

/// A test line's description: one line, with TAP's two special characters escaped.
fn description(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '#' => out.push_str("\\#"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// A line of a YAML literal block: control characters (tab aside) as `\xNN`.
fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() && c != '\t' {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(&s.replace('\n', " / ")).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::runner::TestResult;
    use crate::scenario::steps::StepResult;

    fn test(name: &str, outcome: Outcome, message: &str) -> TestResult {
        TestResult {
            teardown: Vec::new(),
            interrupted: false,
            name: name.to_string(),
            line: 3,
            outcome,
            duration_s: 0.0,
            steps: vec![StepResult {
                line: 4,
                step: "exec on h1".to_string(),
                keyword: "exec",
                outcome,
                message: message.to_string(),
                notes: Vec::new(),
                duration_s: 0.0,
            }],
            capture: None,
        }
    }

    /// Perl's TAP::Parser (what `prove` runs) reads the report: per test, its number, whether
    /// it passed, its TODO/SKIP directive, its description (unescaped); then the parse errors.
    const PARSE: &str = r#"
use TAP::Parser;
local $/; my $tap = <STDIN>;
my $p = TAP::Parser->new({ tap => $tap });
while (my $r = $p->next) {
    if ($r->is_test) {
        (my $d = $r->description) =~ s/^- //;
        $d =~ s/\\(.)/$1/g;
        printf "test %d %s %s |%s|\n", $r->number, ($r->is_actual_ok ? "ok" : "notok"),
            ($r->directive || "-"), $d;
    } elsif ($r->is_yaml) {
        printf "yaml %s\n", $r->data->{message};
    } elsif ($r->is_unknown) {
        printf "unknown |%s|\n", $r->as_string;
    }
}
printf "passed %d failed %d todo %d errors %s\n", scalar($p->passed), scalar($p->failed),
    scalar($p->todo), join(";", $p->parse_errors) || "-";
"#;

    fn parse(tap: &str) -> String {
        use std::io::Write as _;
        let mut child = std::process::Command::new("perl")
            .args(["-e", PARSE])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("perl (Debian's perl has TAP::Parser)");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(tap.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    }

    #[test]
    fn hostile_names_and_messages_parse_as_they_are() {
        let files = vec![ScenarioResult {
            teardown: Vec::new(),
            interrupted: false,
            file: "f#1.yaml".to_string(),
            name: "f".to_string(),
            error: None,
            setup_s: 0.0,
            duration_s: 0.0,
            tests: vec![
                test(
                    "x # TODO",
                    Outcome::Failed,
                    "exit 1\nstdout: \x1b[31mred\x1b[0m\r",
                ),
                test("two\nlines # SKIP", Outcome::Failed, "bell \x07 nul \0"),
                test("back\\slash", Outcome::Passed, ""),
            ],
        }];
        let tap = to_tap(&files);
        let parsed = parse(&tap);
        let want = "test 1 notok - |f#1.yaml: x # TODO|\n\
                    yaml exit 1\nstdout: \\x1b[31mred\\x1b[0m\\x0d\n\n\
                    test 2 notok - |f#1.yaml: two lines # SKIP|\n\
                    yaml bell \\x07 nul \\x00\n\n\
                    test 3 ok - |f#1.yaml: back\\slash|\n\
                    passed 1 failed 2 todo 0 errors -\n";
        assert_eq!(parsed, want, "TAP:\n{tap}");
    }
}
