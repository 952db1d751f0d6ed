//! The scenario figure of `bench all`: a `send` + `expect` across the router of
//! `examples/router.yaml` (h1 -> r1 -> h2) as scenario steps (`steps::run`), the forwarded
//! frame checked by a display filter (`filter:`) against the same conditions as a `fields:`
//! check (issue 19: filter at most 1.5x fields), p50 of each over `steps` runs per round,
//! taking turns. The same measurement as `cargo bench --bench scenario`'s part 2b.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use vethbench::scenario::{self, Bench};

use super::table::{Figure, Goal};

/// The router's topology (the example file, built in) with two tests of one send + expect
/// each: checked by `fields:`, or by `filter:` with the same conditions.
const ROUTER: &str = include_str!("../../../examples/router.yaml");
const FIELD_VS_FILTER: &str = include_str!("../../../benches/field-vs-filter.yaml");

fn p50(v: &mut [Duration]) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e6
}

/// `rounds` rounds of `steps` send + expect steps of each kind: the figure of p50 filter
/// against p50 fields.
pub fn measure(steps: usize, rounds: u32, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    let head = &ROUTER[..ROUTER.find("\ntests:").context("router.yaml has tests")?];
    let sc = scenario::parse_str(&format!("{head}\n{FIELD_VS_FILTER}"), None)
        .map_err(|e| anyhow::anyhow!("the bench's scenario: {e}"))?;
    let mut bench = Bench::new(&sc.topology)?;
    let mut once = |t: usize| -> anyhow::Result<Duration> {
        bench.reset()?;
        let start = Instant::now();
        for s in &sc.tests[t].steps {
            let r = scenario::steps::run(&mut bench, s);
            if r.outcome != scenario::Outcome::Passed {
                bail!("scenario bench, test {}: {}", sc.tests[t].name, r.message);
            }
        }
        Ok(start.elapsed())
    };
    // Warm-up: r1 resolves h2 (its ARP request is passed over once).
    once(0)?;
    once(1)?;
    let steps = steps.max(1);
    writeln!(
        out,
        "send + expect scenario steps across the router, filter: against fields: ({rounds} round(s) of {steps} each):"
    )?;
    let mut per = Vec::new();
    for r in 0..rounds.max(1) as usize {
        let (mut f, mut y) = (Vec::new(), Vec::new());
        for i in 0..2 * steps {
            if (i + r) % 2 == 0 {
                f.push(once(0)?);
            } else {
                y.push(once(1)?);
            }
        }
        let (f50, y50) = (p50(&mut f), p50(&mut y));
        writeln!(
            out,
            "  round {}: fields p50 {f50:.1} µs, filter p50 {y50:.1} µs, filter/fields {:.2}",
            r + 1,
            y50 / f50
        )?;
        per.push((y50, f50));
    }
    Ok(vec![Figure::from_rounds(
        "scenario step filter: p50 (µs)",
        "fields: p50",
        &per,
        Goal::AtMost(1.5),
        false,
    )])
}
