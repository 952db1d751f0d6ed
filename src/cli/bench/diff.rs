//! `bench diff`: `vethbench diff A B` against reading both files (issue 23's speed line: a diff
//! of two 1M-frame captures in under 2× the time of reading both).
//!
//! The files: `bench read`'s file of `--count` different frames (A), and the same frames with
//! the IP TTL lowered to 63 in every `--every`th one (B). Each round times `vethbench diff A B
//! --json` (which must exit 1 and count exactly the changed frames) and `vethbench read FILE -T
//! fields -e frame.number` of A and of B (each frame dissected once), in turns, the first one
//! alternating; the figure is the diff's wall time over the two reads' together, process start
//! included. Nothing is sent: no root, no namespace.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};

use super::table::{self, Figure, Goal};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Frames in each file.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Rounds (diff and the two reads take turns, the first one alternating).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// B differs from A in every N-th frame (its TTL).
    #[arg(long, default_value_t = 1000)]
    pub every: u64,
}

/// `vethbench diff A B --json`: its wall time and the changed frames it counted (exit 1 expected).
fn time_diff(exe: &std::path::Path, a: &str, b: &str) -> anyhow::Result<(f64, u64)> {
    let t = Instant::now();
    let out = Command::new(exe)
        .args(["diff", a, b, "--json"])
        .stderr(Stdio::piped())
        .output()
        .context("run vethbench diff")?;
    let secs = t.elapsed().as_secs_f64();
    if out.status.code() != Some(1) {
        let err = String::from_utf8_lossy(&out.stderr);
        bail!(
            "vethbench diff exited {} (1 expected): {}",
            out.status,
            err.lines().last().unwrap_or("")
        );
    }
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("vethbench diff --json: not JSON")?;
    let changed = v["changed"]
        .as_u64()
        .context("vethbench diff --json: no 'changed' count")?;
    Ok((secs, changed))
}

/// The rows and the figure of `bench diff`.
pub fn measure(a: &Args, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    let every = a.every.max(1);
    let dir = super::tempdir()?;
    let path = |n: &str| -> anyhow::Result<String> {
        Ok(dir.join(n).to_str().context("temporary path")?.to_string())
    };
    let (fa, fb) = (path("a.pcap")?, path("b.pcap")?);
    let t = Instant::now();
    super::read::write_file(&fa, a.count, |_| 64)?;
    super::read::write_file(&fb, a.count, |i| if i % every == 0 { 63 } else { 64 })?;
    let want_changed = a.count.div_ceil(every);
    writeln!(
        out,
        "bench diff: two files of {} frames ({:.1} MB each, {want_changed} differ) written in {:.1} s",
        a.count,
        std::fs::metadata(&fa)?.len() as f64 / 1e6,
        t.elapsed().as_secs_f64(),
    )?;
    let exe = std::env::current_exe().context("locate the vethbench binary")?;
    let read = |f: &str| -> anyhow::Result<f64> {
        let mut c = Command::new(&exe);
        c.args(["read", f, "-T", "fields", "-e", "frame.number"]);
        let (secs, lines) = super::read::timed(c, "vethbench read")?;
        if lines != a.count {
            bail!(
                "vethbench read printed {lines} lines for {} frames",
                a.count
            );
        }
        Ok(secs)
    };
    let mut rounds = Vec::new();
    for r in 0..a.rounds.max(1) {
        let (diff, reads) = if r % 2 == 0 {
            let d = time_diff(&exe, &fa, &fb)?;
            (d, read(&fa)? + read(&fb)?)
        } else {
            let reads = read(&fa)? + read(&fb)?;
            (time_diff(&exe, &fa, &fb)?, reads)
        };
        let (secs, changed) = diff;
        if changed != want_changed {
            bail!("vethbench diff counted {changed} changed frames, {want_changed} differ");
        }
        writeln!(
            out,
            "round {}: diff {secs:.3} s, read A + read B {reads:.3} s ({:.2}x), load {:.1}",
            r + 1,
            secs / reads.max(1e-9),
            table::load_avg()
        )?;
        rounds.push((secs, reads));
    }
    Ok(vec![Figure::from_rounds(
        "diff A B (s)",
        "read A + read B",
        &rounds,
        Goal::AtMost(2.0),
        false,
    )])
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    table::run_printed(|out| measure(&a, out))
}
