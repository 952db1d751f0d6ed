//! The JSON report (schema in the README, "Scenarios"): `schema_version`, `passed`,
//! `failed`, `not_run`, and `files`, each with its tests and their steps.

use serde::Serialize;

use super::super::runner::ScenarioResult;
use super::Totals;

/// Version of the JSON layout.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Doc<'a> {
    schema_version: u32,
    passed: usize,
    failed: usize,
    not_run: usize,
    files: &'a [ScenarioResult],
}

pub fn to_json(files: &[ScenarioResult]) -> String {
    let t = Totals::of(files);
    serde_json::to_string_pretty(&Doc {
        schema_version: SCHEMA_VERSION,
        passed: t.passed,
        failed: t.failed,
        not_run: t.not_run,
        files,
    })
    .expect("a report of strings and numbers serialises")
}
