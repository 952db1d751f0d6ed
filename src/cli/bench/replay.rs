//! `bench replay`: `vethbench replay` against `tcpreplay` on one private veth pair, taking
//! turns for several rounds.
//!
//! - Timing fidelity: a file of N frames whose gaps are `--gaps` in turn (20 µs, 100 µs,
//!   1 ms by default) replayed at its own timing by each tool, the same frames in the same
//!   run; the gap error of each frame is |the gap between the peer's kernel receive
//!   timestamps − the file's gap|, its p99 (and p50) per tool per round, and the ratio of the
//!   two in each round; then the median and spread of the ratios over the rounds. With
//!   `--load`, a busy thread per CPU runs while both tools replay. The CPU time of each
//!   replay (getrusage of the child) and `vethbench replay`'s own gap error (its report) are
//!   printed beside.
//! - Top speed (unless `--timing-only`): a file of `--count` 64-byte frames, `vethbench replay
//!   --topspeed --preload` against `tcpreplay --topspeed --preload-pcap`; the rate is what the
//!   peer received (its rx_packets counter) over the tool's wall time, loading included.
//!
//! No real-time priority for either tool. Figures are comparable within one run only.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use vethbench::frame::{FrameSpec, L4Spec, MacAddr};
use vethbench::link::veth::{PrivatePair, VethPairSpec};
use vethbench::link::LinkError;
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc};
use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};
use vethbench::sys::clock::children_cpu_ns;

use super::table::{self, Figure, Goal, Load};

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Frames in the top-speed file.
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Rounds (the tools take turns, the first one alternating).
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// Frames in the timing file.
    #[arg(long, default_value_t = 2_000)]
    pub timing_frames: u64,
    /// The timing file's gaps, in turn (durations: 20us, 1ms).
    #[arg(long, value_delimiter = ',', default_value = "20us,100us,1ms",
          value_parser = gap_arg)]
    pub gaps: Vec<u64>,
    /// A busy thread per CPU while the tools replay at the file's timing.
    #[arg(long)]
    pub load: bool,
    /// Only the timing fidelity (no top-speed runs).
    #[arg(long)]
    pub timing_only: bool,
}

fn gap_arg(s: &str) -> Result<u64, String> {
    match vethbench::impair::parse_duration_ns(s) {
        Ok(0) => Err("a gap must be longer than 0".into()),
        Ok(ns) if ns > 1_000_000_000 => Err("a gap must be at most 1s".into()),
        Ok(ns) => Ok(ns),
        Err(e) => Err(e.to_string()),
    }
}

const A: &str = "vbrep0";
const B: &str = "vbrep1";
const TOOLS: [&str; 2] = ["vethbench", "tcpreplay"];

/// Write `n` 64-byte UDP frames with the gaps `gaps_ns` in turn; the file's timestamps.
fn write_file(path: &str, n: u64, gaps_ns: &[u64]) -> anyhow::Result<Vec<u64>> {
    let ifs = [IfaceDesc {
        name: "bench".into(),
        snaplen: 65535,
        filter: None,
    }];
    // Nanosecond pcap: tcpreplay reads it too.
    let mut w = CaptureWriter::create(path, Format::Pcap, &ifs)?;
    let mut ts = 1_000_000_000u64;
    let mut all = Vec::with_capacity(n as usize);
    for i in 0..n {
        if i > 0 {
            ts += gaps_ns[(i as usize - 1) % gaps_ns.len()];
        }
        let f = FrameSpec {
            src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
            dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
            l4: L4Spec::Udp,
            ip_id: i as u16,
            payload: b"replay".to_vec(),
            size: Some(64),
            ..FrameSpec::default()
        }
        .build()
        .map_err(crate::cli::frame_flags)?;
        w.write_frame(0, ts, &f, f.len() as u32, EpbFlags(0), false)?;
        all.push(ts);
    }
    w.finish(&[Default::default()])?;
    Ok(all)
}

fn command(tool: &str, file: &str, topspeed: bool) -> anyhow::Result<Command> {
    let mut c = if tool == "vethbench" {
        let mut c = Command::new(std::env::current_exe().context("locate vethbench")?);
        c.args(["replay", "--json", "-i", A, "--preload"]);
        c
    } else {
        let mut c = Command::new("tcpreplay");
        c.args(["-q", "--preload-pcap", "-i", A]);
        c
    };
    if topspeed {
        c.arg("--topspeed");
    }
    c.arg(file).stdout(Stdio::piped()).stderr(Stdio::piped());
    Ok(c)
}

/// What one run of a tool gave.
struct Run {
    received: u64,
    secs: f64,
    cpu_s: f64,
    stamps: Vec<u64>,
    stdout: Vec<u8>,
}

/// Run `cmd` in the pair's namespace, with the peer's kernel receive timestamps when `stamps`.
fn run_one(pair: &PrivatePair, mut cmd: Command, stamps: bool) -> anyhow::Result<Run> {
    // A tool outlives no bench (killed with it: SIGKILL included).
    vethbench::sys::child::die_with_parent(&mut cmd);
    pair.run_a(|| -> Result<anyhow::Result<Run>, LinkError> {
        Ok((|| {
            let mut rx = if stamps {
                let cfg = RecvConfig {
                    rcvbuf: 64 << 20,
                    ..RecvConfig::default()
                };
                Some(RecvSocket::open(B, &cfg)?)
            } else {
                None
            };
            let before = super::rx_packets(B)?;
            let cpu = children_cpu_ns();
            let t = Instant::now();
            let out = cmd.output().context("run the tool (is it installed?)")?;
            let secs = t.elapsed().as_secs_f64();
            let cpu_s = children_cpu_ns().saturating_sub(cpu) as f64 / 1e9;
            if !out.status.success() {
                bail!("{}", String::from_utf8_lossy(&out.stderr).trim());
            }
            let received = super::rx_packets(B)? - before;
            let mut ts = Vec::new();
            if let Some(rx) = rx.as_mut() {
                while let Some(f) = rx.recv(Duration::from_millis(200))? {
                    ts.push(f.ts_ns());
                }
            }
            Ok(Run {
                received,
                secs,
                cpu_s,
                stamps: ts,
                stdout: out.stdout,
            })
        })())
    })?
}

/// p50 and p99 of |received gap − file gap|, µs.
fn gap_errors(rx: &[u64], file: &[u64]) -> anyhow::Result<(f64, f64)> {
    if rx.len() != file.len() {
        bail!(
            "the peer received {} frames of {} (frames lost or noise: the gaps cannot be matched)",
            rx.len(),
            file.len()
        );
    }
    let mut e: Vec<f64> = (1..rx.len())
        .map(|k| {
            let got = rx[k] as f64 - rx[k - 1] as f64;
            let want = (file[k] - file[k - 1]) as f64;
            (got - want).abs() / 1e3
        })
        .collect();
    if e.is_empty() {
        bail!("the timing file needs at least 2 frames");
    }
    e.sort_by(f64::total_cmp);
    let q = |p: f64| e[((e.len() - 1) as f64 * p).round() as usize];
    Ok((q(0.5), q(0.99)))
}

fn show_gaps(gaps: &[u64]) -> String {
    gaps.iter()
        .map(|g| {
            if g % 1_000_000 == 0 {
                format!("{}ms", g / 1_000_000)
            } else if g % 1_000 == 0 {
                format!("{}us", g / 1_000)
            } else {
                format!("{g}ns")
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Run the bench; per-round lines and the summary go to `out`. The figures: p99 gap error
/// (goal ≤ 0.5× tcpreplay), p50 gap error, CPU time of the timed replay, and (unless
/// `--timing-only`) top-speed frames/s.
pub fn measure(a: &Args, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    let dir = super::tempdir()?;
    let top = dir.join("top.pcap").to_string_lossy().into_owned();
    let gaps = dir.join("gaps.pcap").to_string_lossy().into_owned();
    if !a.timing_only {
        write_file(&top, a.count, &[1_000])?;
    }
    let file_ts = write_file(&gaps, a.timing_frames.max(2), &a.gaps)?;
    let pair = PrivatePair::same_netns(&VethPairSpec::new(A, B))?;
    let rounds = a.rounds.max(1);
    let load = if a.load {
        " [load: a busy thread per CPU]"
    } else {
        ""
    };
    writeln!(
        out,
        "replay at the file's timing: {} frames, gaps {} in turn, peer's kernel receive timestamps, no real-time priority{load}",
        file_ts.len(),
        show_gaps(&a.gaps)
    )?;
    writeln!(
        out,
        "{:<6} {:>14} {:>14} {:>7} {:>14} {:>14} {:>10} {:>10} {:>9} {:>6}",
        "round",
        "vethbench p99",
        "tcpreplay p99",
        "ratio",
        "vethbench p50",
        "tcpreplay p50",
        "own p99",
        "cpu ours",
        "cpu tcpr",
        "load"
    )?;
    let (mut p99s, mut p50s, mut cpus, mut pps) = (vec![], vec![], vec![], vec![]);
    for round in 0..rounds {
        let mut r = [(f64::NAN, f64::NAN, f64::NAN); 2];
        let mut own_p99 = f64::NAN;
        // The first tool alternates, so a drift in the machine's load hits both alike.
        for k in [round as usize % 2, 1 - round as usize % 2] {
            let tool = TOOLS[k];
            eoutln!("round {}: {tool} at the file's timing...", round + 1)?;
            let busy = Load::start(a.load);
            let run = run_one(&pair, command(tool, &gaps, false)?, true)
                .with_context(|| format!("{tool} at the file's timing"))?;
            drop(busy);
            let (p50, p99) = gap_errors(&run.stamps, &file_ts).with_context(|| tool)?;
            r[k] = (p99, p50, run.cpu_s);
            if k == 0 {
                let v: serde_json::Value =
                    serde_json::from_slice(&run.stdout).context("vethbench replay's report")?;
                own_p99 = v["gap_error"]["p99_us"].as_f64().unwrap_or(f64::NAN);
            }
        }
        writeln!(
            out,
            "{:<6} {:>11.1} µs {:>11.1} µs {:>7.2} {:>11.1} µs {:>11.1} µs {:>7.1} µs {:>8.3} s {:>7.3} s {:>6.2}",
            round + 1,
            r[0].0,
            r[1].0,
            r[0].0 / r[1].0.max(1e-9),
            r[0].1,
            r[1].1,
            own_p99,
            r[0].2,
            r[1].2,
            table::load_avg()
        )?;
        p99s.push((r[0].0, r[1].0));
        p50s.push((r[0].1, r[1].1));
        cpus.push((r[0].2, r[1].2));
        if !a.timing_only {
            let mut rate = [0f64; 2];
            for (k, tool) in TOOLS.iter().enumerate() {
                eoutln!(
                    "round {}: {tool} --topspeed ({} frames)...",
                    round + 1,
                    a.count
                )?;
                let run = run_one(&pair, command(tool, &top, true)?, false)
                    .with_context(|| format!("{tool} --topspeed"))?;
                rate[k] = run.received as f64 / run.secs.max(1e-9);
            }
            pps.push((rate[0], rate[1]));
        }
    }
    let name = |s: &str| format!("replay {s}");
    let mut figs = vec![
        Figure::from_rounds(
            &name("p99 gap error (µs)"),
            "tcpreplay",
            &p99s,
            Goal::AtMost(0.5),
            a.load,
        ),
        Figure::from_rounds(
            &name("p50 gap error (µs)"),
            "tcpreplay",
            &p50s,
            Goal::None,
            a.load,
        ),
        Figure::from_rounds(
            &name("CPU of the timed replay (s)"),
            "tcpreplay",
            &cpus,
            Goal::None,
            a.load,
        ),
    ];
    if !pps.is_empty() {
        figs.push(Figure::from_rounds(
            "replay --topspeed (frames/s)",
            "tcpreplay",
            &pps,
            Goal::AtLeast(1.0),
            false,
        ));
    }
    Ok(figs)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let figs = measure(&a, &mut out)?;
    writeln!(
        out,
        "median over {} round(s), spread = lowest-highest ratio:",
        a.rounds.max(1)
    )?;
    table::print(&mut out, &figs)?;
    Ok(ExitCode::SUCCESS)
}
