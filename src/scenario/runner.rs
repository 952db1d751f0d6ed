//! Running a checked [`Scenario`]: build its topology on a [`Bench`], then each test: empty
//! every queue, (optionally) capture every port to a pcapng, run the steps until one does not
//! pass, stop the test's daemons.
//!
//! An error building the topology or in a setup command is an `Err` (the scenario could not
//! run); a failed step is a result.
//!
//! Teardown: each test's `teardown:` commands run after its steps whatever happened (a failed
//! step, a stop), then, after the last test, the file's, each list in the order written (the
//! reverse of setting up: the test's state goes before the file's). They run even after a
//! stop, and a failing one is reported ([`TestResult::teardown`]) without changing the test's
//! verdict. A stop ([`RunOptions::stop`], set on Ctrl-C/SIGTERM by `vethbench run`) kills the
//! command running, ends the current test (its step an error), skips the tests left and marks
//! the result `interrupted`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

use super::bench::Bench;
use super::model::{CommandSpec, Scenario, TestSpec};
use super::steps::{self, Outcome, StepResult};
use super::ScenarioError;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run only tests whose name contains this.
    pub filter: Option<String>,
    /// Write a pcapng of every port for each failed test here.
    pub capture_dir: Option<PathBuf>,
    /// Keep the pcapng of passed tests too.
    pub keep_captures: bool,
    /// Set to stop the run (a signal handler's flag): see the module's doc.
    pub stop: Option<Arc<AtomicBool>>,
    /// `compare` steps write what their port received as the new golden file.
    pub update_golden: bool,
}

/// What one test did.
#[derive(Debug, Clone, Serialize)]
pub struct TestResult {
    pub name: String,
    pub line: usize,
    pub outcome: Outcome,
    pub duration_s: f64,
    pub steps: Vec<StepResult>,
    /// The pcapng of its ports, when kept.
    pub capture: Option<PathBuf>,
    /// Its teardown commands, run whatever happened; their failure does not change `outcome`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teardown: Vec<StepResult>,
    /// The run was stopped during this test.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub interrupted: bool,
}

impl TestResult {
    /// The first step that did not pass.
    pub fn failing_step(&self) -> Option<&StepResult> {
        self.steps
            .iter()
            .find(|s| matches!(s.outcome, Outcome::Failed | Outcome::Error))
    }
}

/// What a scenario file did.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub file: String,
    pub name: String,
    /// Why it could not run (then `tests` is empty).
    pub error: Option<String>,
    /// Building the topology, setup included.
    pub setup_s: f64,
    pub duration_s: f64,
    pub tests: Vec<TestResult>,
    /// The file's teardown commands.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub teardown: Vec<StepResult>,
    /// Stopped early (Ctrl-C, SIGTERM): the tests after the one running were not run.
    pub interrupted: bool,
}

impl ScenarioResult {
    /// A file that could not run.
    pub fn not_run(file: &str, name: &str, error: String) -> Self {
        ScenarioResult {
            file: file.to_string(),
            name: name.to_string(),
            error: Some(error),
            setup_s: 0.0,
            duration_s: 0.0,
            tests: Vec::new(),
            teardown: Vec::new(),
            interrupted: false,
        }
    }

    /// Teardown commands (the file's and the tests') that did not pass.
    pub fn teardown_failures(&self) -> Vec<&StepResult> {
        self.tests
            .iter()
            .flat_map(|t| &t.teardown)
            .chain(&self.teardown)
            .filter(|s| s.outcome != Outcome::Passed)
            .collect()
    }

    pub fn passed(&self) -> bool {
        self.error.is_none() && self.tests.iter().all(|t| t.outcome == Outcome::Passed)
    }
}

/// How many of `s`'s tests `filter` (`-k`: a case-sensitive substring of the test's name)
/// selects; all without one.
pub fn selected(s: &Scenario, filter: Option<&str>) -> usize {
    s.tests
        .iter()
        .filter(|t| filter.is_none_or(|k| t.name.contains(k)))
        .count()
}

/// Build `s`'s topology and run its tests (those `opts.filter` selects); `on_test` sees each
/// result as it comes.
pub fn run_scenario(
    s: &Scenario,
    opts: &RunOptions,
    on_test: &mut dyn FnMut(&TestResult),
) -> Result<ScenarioResult, ScenarioError> {
    let t0 = Instant::now();
    let mut bench = Bench::new(&s.topology)?;
    bench.update_golden = opts.update_golden;
    if let Some(f) = &opts.stop {
        bench.set_stop(f.clone());
    }
    let setup_s = t0.elapsed().as_secs_f64();
    let mut tests = Vec::new();
    let mut failed = None;
    for (i, t) in s.tests.iter().enumerate() {
        if bench.stopped() {
            break;
        }
        if opts
            .filter
            .as_ref()
            .is_some_and(|k| !t.name.contains(k.as_str()))
        {
            continue;
        }
        match run_test(&mut bench, s, i, t, opts) {
            Ok(r) => {
                on_test(&r);
                tests.push(r);
            }
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    bench.vars.clear();
    let teardown = teardown(&mut bench, &s.teardown);
    let interrupted = bench.stopped();
    // The topology goes now, inside the file's time (its sockets and namespaces closing was
    // most of a large file's run, after its report said done: issue 21).
    drop(bench);
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(ScenarioResult {
        file: s.path.display().to_string(),
        name: s.name.clone(),
        error: None,
        setup_s,
        duration_s: t0.elapsed().as_secs_f64(),
        tests,
        teardown,
        interrupted,
    })
}

/// Run teardown commands (each to its end, even after a stop), one result each.
pub fn teardown(bench: &mut Bench, cmds: &[CommandSpec]) -> Vec<StepResult> {
    cmds.iter()
        .map(|c| {
            let t0 = Instant::now();
            let (outcome, message) = match bench.exec_always(&c.node, &c.run) {
                Ok(o) if o.code == Some(0) => (Outcome::Passed, String::new()),
                Ok(o) => (
                    Outcome::Failed,
                    format!(
                        "teardown '{}' on {} {}{}",
                        c.run,
                        c.node,
                        o.status_text(),
                        if o.stderr.trim().is_empty() {
                            String::new()
                        } else {
                            format!(
                                ": {}",
                                o.stderr.trim().lines().collect::<Vec<_>>().join(" / ")
                            )
                        }
                    ),
                ),
                Err(e) => (
                    Outcome::Error,
                    format!("teardown '{}' on {}: {e}", c.run, c.node),
                ),
            };
            StepResult {
                line: c.line,
                step: format!("teardown on {}: {}", c.node, c.run),
                keyword: "teardown",
                outcome,
                message,
                notes: Vec::new(),
                duration_s: t0.elapsed().as_secs_f64(),
            }
        })
        .collect()
}

/// One test on `bench`.
pub fn run_test(
    bench: &mut Bench,
    s: &Scenario,
    index: usize,
    t: &TestSpec,
    opts: &RunOptions,
) -> Result<TestResult, ScenarioError> {
    let t0 = Instant::now();
    bench.reset()?;
    bench.set_noise_filter(t.noise);
    let capture = match &opts.capture_dir {
        Some(dir) => {
            let path = capture_path(dir, s, index, &t.name);
            let names: Vec<String> = bench.ports().iter().map(|p| p.to_string()).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let tap = crate::harness::ends::PcapngTap::create(&path.to_string_lossy(), &refs)?;
            bench.set_capture(Some(Box::new(tap)))?;
            Some(path)
        }
        None => None,
    };
    let mut results = Vec::with_capacity(t.steps.len());
    let mut outcome = Outcome::Passed;
    let mut interrupted = false;
    for step in &t.steps {
        if outcome != Outcome::Passed {
            results.push(StepResult::skipped(step));
            continue;
        }
        let mut r = steps::run(bench, step);
        if bench.stopped() {
            interrupted = true;
            if r.outcome != Outcome::Passed {
                r.outcome = Outcome::Error;
                r.message = format!("interrupted: {}", r.message);
            }
            if r.outcome == Outcome::Passed {
                // The steps left are not run.
                outcome = Outcome::Error;
                results.push(r);
                continue;
            }
        }
        outcome = r.outcome;
        results.push(r);
    }
    if outcome != Outcome::Passed {
        super::bpf::note_maps(bench, &mut results);
    }
    bench.stop_daemons();
    let teardown = teardown(bench, &t.teardown);
    bench.set_capture(None)?;
    let capture = capture.and_then(|p| {
        if outcome == Outcome::Passed && !opts.keep_captures {
            let _ = std::fs::remove_file(&p);
            None
        } else {
            Some(p)
        }
    });
    Ok(TestResult {
        name: t.name.clone(),
        line: t.line,
        outcome,
        duration_s: t0.elapsed().as_secs_f64(),
        steps: results,
        capture,
        teardown,
        interrupted,
    })
}

/// `DIR/FILESTEM-NN-test-name.pcapng`.
fn capture_path(dir: &Path, s: &Scenario, index: usize, name: &str) -> PathBuf {
    let stem = s
        .path
        .file_stem()
        .map(|x| x.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(48).collect();
    dir.join(format!("{stem}-{:02}-{slug}.pcapng", index + 1))
}
