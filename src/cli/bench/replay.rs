//! `bench replay`: `vethbench replay` against `tcpreplay` on one private veth pair, taking
//! turns for several rounds.
//!
//! - Top speed: a file of N 64-byte frames (1M by default), `vethbench replay --topspeed
//!   --preload` against `tcpreplay --topspeed --preload-pcap`; the rate is what the peer
//!   received (its rx_packets counter) over the tool's wall time, loading included for both.
//! - Timing fidelity: a file of 5,000 frames 100 µs apart replayed at its own timing by each;
//!   the gaps between the peer's kernel receive timestamps against 100 µs, p50 and p99.
//!
//! The best round of each tool is kept. Figures are comparable within one run only.

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use vethbench::frame::{FrameSpec, L4Spec, MacAddr};
use vethbench::link::veth::{PrivatePair, VethPairSpec};
use vethbench::link::LinkError;
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc};
use vethbench::sock::recvmsg::{RecvConfig, RecvSocket};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Frames in the top-speed file.
    #[arg(long, default_value_t = 1_000_000)]
    count: u64,
    /// Rounds (the tools take turns; each tool's best round is reported).
    #[arg(long, default_value_t = 3)]
    rounds: u32,
    /// Frames in the timing file (100 µs apart).
    #[arg(long, default_value_t = 5_000)]
    timing_frames: u64,
}

const A: &str = "vbrep0";
const B: &str = "vbrep1";

fn write_file(path: &str, n: u64, gap_ns: u64) -> anyhow::Result<()> {
    let ifs = [IfaceDesc {
        name: "bench".into(),
        snaplen: 65535,
        filter: None,
    }];
    let mut w = CaptureWriter::create(path, Format::Pcap, &ifs)?;
    for i in 0..n {
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
        w.write_frame(
            0,
            1_000_000_000 + i * gap_ns,
            &f,
            f.len() as u32,
            EpbFlags(0),
            false,
        )?;
    }
    w.finish(&[Default::default()])?;
    Ok(())
}

fn command(tool: &str, file: &str, topspeed: bool) -> anyhow::Result<Command> {
    let mut c = if tool == "vethbench" {
        let mut c = Command::new(std::env::current_exe().context("locate vethbench")?);
        c.args(["replay", "-i", A, "--preload"]);
        c
    } else {
        let mut c = Command::new("tcpreplay");
        c.args(["-q", "--preload-pcap", "-i", A]);
        c
    };
    if topspeed {
        c.arg("--topspeed");
    }
    c.arg(file).stdout(Stdio::null()).stderr(Stdio::piped());
    Ok(c)
}

/// Run `cmd` in the pair's namespace; (frames the peer received, wall seconds, the peer's
/// kernel receive timestamps when `stamps`).
fn run_one(
    pair: &PrivatePair,
    mut cmd: Command,
    stamps: bool,
) -> anyhow::Result<(u64, f64, Vec<u64>)> {
    pair.run_a(
        || -> Result<anyhow::Result<(u64, f64, Vec<u64>)>, LinkError> {
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
                let t = Instant::now();
                let out = cmd.output().context("run the tool (is it installed?)")?;
                let secs = t.elapsed().as_secs_f64();
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
                Ok((received, secs, ts))
            })())
        },
    )?
}

/// p50 and p99 of |gap − 100 µs| in µs.
fn gap_errors(ts: &[u64]) -> (f64, f64) {
    let mut e: Vec<f64> = ts
        .windows(2)
        .map(|w| ((w[1] as f64 - w[0] as f64) - 100_000.0).abs() / 1e3)
        .collect();
    if e.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    e.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| e[((e.len() - 1) as f64 * p) as usize];
    (q(0.5), q(0.99))
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let dir = super::tempdir()?;
    let top = dir.join("top.pcap").to_string_lossy().into_owned();
    let gaps = dir.join("gaps.pcap").to_string_lossy().into_owned();
    write_file(&top, a.count, 1_000)?;
    write_file(&gaps, a.timing_frames, 100_000)?;
    let pair = PrivatePair::same_netns(&VethPairSpec::new(A, B))?;
    let tools = ["vethbench", "tcpreplay"];
    let mut best_pps = [0f64; 2];
    let mut best_p99 = [f64::INFINITY; 2];
    let mut p50_of_best = [f64::NAN; 2];
    for round in 0..a.rounds.max(1) {
        for (k, tool) in tools.iter().enumerate() {
            eprintln!(
                "round {}: {tool} --topspeed ({} frames)...",
                round + 1,
                a.count
            );
            let (got, secs, _) = run_one(&pair, command(tool, &top, true)?, false)
                .with_context(|| format!("{tool} --topspeed"))?;
            best_pps[k] = best_pps[k].max(got as f64 / secs);
            eprintln!("round {}: {tool} at the file's timing...", round + 1);
            let (_, _, ts) = run_one(&pair, command(tool, &gaps, false)?, true)
                .with_context(|| format!("{tool} at the file's timing"))?;
            let (p50, p99) = gap_errors(&ts);
            if p99 < best_p99[k] {
                best_p99[k] = p99;
                p50_of_best[k] = p50;
            }
        }
    }
    println!(
        "veth pair in a private namespace, best of {} round(s)",
        a.rounds.max(1)
    );
    println!(
        "{:<12} {:>14} {:>16} {:>16}",
        "tool", "topspeed pps", "gap err p50 µs", "gap err p99 µs"
    );
    for k in 0..2 {
        println!(
            "{:<12} {:>14.0} {:>16.1} {:>16.1}",
            tools[k], best_pps[k], p50_of_best[k], best_p99[k]
        );
    }
    println!(
        "ratio vethbench / tcpreplay: topspeed pps {:.2}, p99 gap error {:.2}",
        best_pps[0] / best_pps[1].max(1e-9),
        best_p99[0] / best_p99[1].max(1e-9)
    );
    Ok(ExitCode::SUCCESS)
}
