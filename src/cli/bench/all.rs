//! `bench all`: every comparison `bench` knows, in one run, as one table: `send` against
//! trafgen and tcpreplay, `test` against `send` alone and tcpreplay, `--flows 1000` against one
//! flow, latency against its references (the kernel floor, half the ping-pong), `replay`'s
//! timing against tcpreplay's (quiet, and with `--load` also loaded) and its top speed,
//! `capture`'s CPU per frame against tcpdump's, an AF_XDP socket against AF_PACKET (`xdp`), `read -Y` against `tshark -Y`, `diff A B`
//! against reading both, and a scenario's
//! `filter:` step against `fields:` (`scenario`). Each bench's
//! own rows go to stderr; stdout has the table (or, with `--json`, the figures as a JSON
//! array). `--quick` makes every run small (one round, 20,000 frames): a smoke run that a
//! test can afford, whose ratios are noisy.
//!
//! What stays true: every figure and its reference are measured in this run, on this machine;
//! the exit code is 0 whether goals are met or not (the table says).

use std::io::Write;
use std::process::ExitCode;

use super::table::{self, Figure};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Frames per throughput run (send, test, replay --topspeed).
    #[arg(long, default_value_t = 300_000)]
    count: u64,
    /// Rounds of every comparison (the figure is the median, the spread the lowest and highest
    /// round's ratio).
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// The figures as JSON (an array of objects with the table's columns).
    #[arg(long)]
    json: bool,
    /// Also measure replay's timing with a busy thread per CPU.
    #[arg(long)]
    load: bool,
    /// Small runs: one round, 20,000 frames (capture, read and throughput), 200 timing frames,
    /// 2,000 latency frames (overrides --count and --rounds).
    #[arg(long)]
    quick: bool,
}

/// Frames per run with `--quick`.
const QUICK_COUNT: u64 = 20_000;

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let (count, rounds) = if a.quick {
        (QUICK_COUNT, 1)
    } else {
        (a.count.max(1), a.rounds.max(1))
    };
    let mut err = std::io::stderr();
    let mut figs: Vec<Figure> = Vec::new();
    let tools: Vec<String> = ["vethbench", "tcpreplay", "trafgen"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    eoutln!("== bench send ==")?;
    figs.extend(super::bench_send(count, 64, rounds, &tools, &mut err)?);
    eoutln!("== bench test ==")?;
    let t = super::test::Args {
        count,
        size: 66,
        latency_count: count.min(if a.quick { 2_000 } else { 20_000 }),
        scapy_count: 0,
        rounds,
        no_scapy: true,
    };
    figs.extend(super::test::measure(&t, &mut err)?);
    let r = super::replay::Args {
        count,
        rounds,
        timing_frames: count.clamp(2, if a.quick { 200 } else { 2_000 }),
        gaps: vec![20_000, 100_000, 1_000_000],
        load: false,
        timing_only: false,
    };
    eoutln!("== bench replay ==")?;
    figs.extend(super::replay::measure(&r, &mut err)?);
    if a.load {
        eoutln!("== bench replay --load --timing-only ==")?;
        let l = super::replay::Args {
            load: true,
            timing_only: true,
            ..r
        };
        figs.extend(super::replay::measure(&l, &mut err)?);
    }
    eoutln!("== bench capture ==")?;
    let c = super::capture::Args { count, rounds };
    figs.extend(super::capture::measure(&c, &mut err)?);
    eoutln!("== bench xdp ==")?;
    let x = super::xdp::Args { count, rounds };
    figs.extend(super::xdp::measure(&x, &mut err)?);
    eoutln!("== bench read ==")?;
    let r = super::read::Args {
        count,
        rounds,
        filter: super::read::DEFAULT_FILTER.to_string(),
    };
    figs.extend(super::read::measure(&r, &mut err)?);
    eoutln!("== bench diff ==")?;
    let d = super::diff::Args {
        count,
        rounds,
        every: 1000,
    };
    figs.extend(super::diff::measure(&d, &mut err)?);
    eoutln!("== scenario: filter: against fields: ==")?;
    figs.extend(super::scenario::measure(
        if a.quick { 100 } else { 1000 },
        rounds,
        &mut err,
    )?);
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&figs)?)?;
    } else {
        writeln!(
            out,
            "vethbench bench all: {rounds} round(s), medians; ratio = vethbench / reference; load = 1-minute load average"
        )?;
        table::print(&mut out, &figs)?;
    }
    Ok(ExitCode::SUCCESS)
}
