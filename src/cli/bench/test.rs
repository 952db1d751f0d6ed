//! `vethbench bench test`: `vethbench test` against its references, in one run, on one private
//! veth pair (`vbbt0` -> `vbbt1`, both ends in one fresh anonymous namespace, gone when the
//! command ends), each figure printed next to its reference with the ratio.
//!
//! - **Throughput.** The same N frames of the same size sent by `vethbench test` (every frame
//!   verified by the receiver), `vethbench send` alone, and `tcpreplay --topspeed` (one-frame
//!   pcap, preloaded, looped N times), on the pair set up as `vethbench test` sets up its own:
//!   threaded NAPI on `vbbt1` (`link::offload::thread_rx`), so that the receive work runs on
//!   a kernel thread, not on the sending CPU. For every tool the figure is the same: frames the
//!   peer received (its `rx_packets` counter) over the tool's wall time, process start
//!   included. The NAPI thread is on the second CPU throughout, as `vethbench test` pins its
//!   own pair's; the tools' threads are left to the scheduler, except in the two pinned rows
//!   (the sender on the first CPU, our receiver on the second). The `own
//!   report` column is the figure each vethbench command prints itself, without process
//!   start-up or teardown (`test`: first send to last frame checked; `send`: first to last
//!   send). Each row's best round counts.
//! - **Latency.** On the same pair, threaded NAPI off again (as on latency mode's own pair),
//!   per round: p50 one-way latency of `vethbench test --mode latency` against the kernel's
//!   floor measured the same way (`pingpong::kernel_floor`: `send(2)` of a prebuilt frame to
//!   the receiver's kernel timestamp, both sockets in this process; goal ≤ 1.5×), with the
//!   path's own latency that latency mode reports beside (the kernel's TX software timestamp
//!   to the RX one). Then, once, half the p50 round trip of the simplest AF_PACKET ping-pong
//!   (`pingpong`): one thread `send(2)`s a frame on `vbbt0` and blocks in `recvmsg(2)` for
//!   the echo; the harness's reflector blocks in `recvmsg(2)` on `vbbt1` and sends each frame
//!   back. No polling, one frame in flight; the round trip is taken with the monotonic clock
//!   around send + receive.
//! - **Scapy** (`scapy`). A Python script (`/usr/bin/python3`, Scapy) runs in the namespace: an
//!   `AsyncSniffer` on `vbbt1`, then `sendp` of N' prebuilt frames on `vbbt0` (frames/s =
//!   frames sniffed / time from the start of `sendp` to the last sniffed frame's timestamp);
//!   then frames sent one at a time, each carrying `time.time()` taken just before the send,
//!   latency = the sniffed frame's timestamp (the kernel's, via SIOCGSTAMP) minus that.
//!
//! - **Flows.** `vethbench test --flows 1000` (1000 source ports round robin, each flow its own
//!   template and sequence space) against the one-flow `vethbench test` row: goal ≥ 0.9×.
//!
//! Ratios are only comparable within one run on one machine; nothing here is a pass/fail: a ratio
//! that misses its goal is marked MISSED (and NO in the closing table, medians over the rounds)
//! and the exit code stays 0.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use vethbench::harness;
use vethbench::link::veth::{PrivatePair, VethPairSpec};
use vethbench::link::LinkError;

use super::table::{self, Figure, Goal};
use super::{pingpong, rx_packets, scapy, tempdir, write_pcap};
use vethbench::harness::LatencySummary;

pub(super) const TX: &str = "vbbt0";
pub(super) const RX: &str = "vbbt1";

#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Frames per throughput run (each tool sends this many).
    #[arg(long, default_value_t = 1_000_000)]
    pub count: u64,
    /// Frame size in bytes (66 is the smallest that carries the stamp).
    #[arg(long, default_value_t = 66)]
    pub size: usize,
    /// Frames of the latency runs (ours and the ping-pong).
    #[arg(long, default_value_t = 20_000)]
    pub latency_count: u64,
    /// Frames Scapy sends in its throughput run (and a tenth of it, at least 200, one at a time
    /// for its latency).
    #[arg(long, default_value_t = 20_000)]
    pub scapy_count: u64,
    /// Rounds of the throughput runs; the tools take turns and each one's best round counts
    /// in the rows, each round's ratio in the table.
    #[arg(long, default_value_t = 2)]
    pub rounds: u32,
    /// Skip the Scapy runs.
    #[arg(long)]
    pub no_scapy: bool,
}

/// One throughput figure: frames the peer received over wall time.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rate {
    received: u64,
    secs: f64,
}

impl Rate {
    fn pps(&self) -> f64 {
        self.received as f64 / self.secs.max(1e-9)
    }
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    table::run_printed(|out| measure(&a, out))
}

/// Run the bench, printing its rows to `out`; the figures of the table.
pub fn measure(a: &Args, out: &mut dyn Write) -> anyhow::Result<Vec<Figure>> {
    if a.size < harness::plan::MIN_FRAME_LEN || a.size > 1514 {
        bail!(
            "--size {}: expected {}..=1514 bytes",
            a.size,
            harness::plan::MIN_FRAME_LEN
        );
    }
    let exe = std::env::current_exe().context("locate the vethbench binary")?;
    let frame = harness::plan::default_frame(a.size);
    let dir = tempdir()?;
    let pcap = dir.join("frame.pcap");
    write_pcap(&pcap, &frame)?;

    let pair = PrivatePair::same_netns(&VethPairSpec::new(TX, RX))?;
    // The pair as `vethbench test` sets up its own: the receive work on RX's NAPI thread,
    // off the sending CPU. Every row below runs on it.
    let thread_rx = |on: bool| {
        vethbench::link::offload::thread_rx(pair.netns_a(), TX, pair.netns_a(), RX, on)
            .context("threaded NAPI on the bench pair")
    };
    let napi = thread_rx(true)?;
    let cpus = vethbench::sys::cpu::allowed();
    let pinned = match cpus[..] {
        [a, b, ..] => Some((a, b)),
        _ => None,
    };
    // RX's NAPI thread on the second CPU for every row, as `vethbench test` pins its own pair's
    // (on a CPU other than its own); rows differ in whether the tool's threads are pinned too.
    if let Some((_, b)) = pinned {
        vethbench::sys::cpu::pin_threads(&napi, &[b])?;
    }
    let n = a.count.to_string();
    let size = a.size.to_string();

    // ---- throughput ----
    // Pairs of rows compared with each other: (ours, reference).
    let names = [
        "vethbench test (verifying)",
        "vethbench send alone",
        "vethbench test --pin",
        "vethbench send --cpu A",
        "tcpreplay --topspeed",
        "vethbench test --flows 1000",
    ];
    let mut best: [Option<(Rate, Option<serde_json::Value>)>; 6] = Default::default();
    let mut per_round: Vec<[f64; 6]> = Vec::new();
    for round in 0..a.rounds.max(1) {
        per_round.push([f64::NAN; 6]);
        for (i, name) in names.iter().enumerate() {
            let pin = i == 2 || i == 3;
            if pin && pinned.is_none() {
                continue;
            }
            let mut cmd = match i {
                0 | 2 | 5 => {
                    let mut c = Command::new(&exe);
                    c.args(["test", "--tx", TX, "--rx", RX, "--json", "--count", &n])
                        .args(["--size", &size]);
                    if pin {
                        c.arg("--pin");
                    }
                    if i == 5 {
                        // Flows round robin, each its own template and sequence space.
                        c.args(["--flows", "1000"]);
                    }
                    c
                }
                4 => {
                    let mut c = Command::new("tcpreplay");
                    c.args(["-q", "--topspeed", "--preload-pcap", "-i", TX])
                        .arg(format!("--loop={}", a.count))
                        .arg(&pcap);
                    c
                }
                1 | 3 => {
                    let mut c = Command::new(&exe);
                    c.args(["send", "-i", TX, "-q", "--dst-mac", "02:00:00:00:00:02"])
                        .args(["--udp", "--size", &size, "--count", &n]);
                    if let (true, Some((a, _))) = (pin, pinned) {
                        c.args(["--cpu", &a.to_string()]);
                    }
                    c
                }
                _ => unreachable!("six rows"),
            };
            eoutln!("round {}: {name} ({} frames)...", round + 1, a.count)?;
            let (rate, stdout) = timed(&pair, &mut cmd, name)?;
            eoutln!("  {:.0} frames/s", rate.pps())?;
            per_round[round as usize][i] = rate.pps();
            let json = match i {
                0 | 2 | 5 => Some(
                    serde_json::from_slice::<serde_json::Value>(&stdout).with_context(|| {
                        format!(
                            "{name}: report is not JSON: {}",
                            String::from_utf8_lossy(&stdout)
                        )
                    })?,
                ),
                // `send` prints "N packets in S s: P pps, ...": its own figure, first to last send.
                1 | 3 => send_pps(&stdout).map(|p| serde_json::json!({ "pps": p })),
                _ => None,
            };
            match &best[i] {
                Some((b, _)) if b.pps() >= rate.pps() => {}
                _ => best[i] = Some((rate, json)),
            }
        }
    }
    // Latency mode runs on a private pair without threaded NAPI (a thread wake-up per frame
    // would be measured): so does the bench.
    thread_rx(false)?;
    let _ = std::fs::remove_dir_all(&dir);
    let get = |i: usize| best[i].as_ref().map(|b| b.0).unwrap_or_default();
    let ratio = |x: usize, y: usize| get(x).pps() / get(y).pps().max(1e-9);
    let ours = get(0);
    writeln!(
        out,

        "throughput: {} frames of {} bytes on a private veth pair with threaded NAPI on the receiver, peer rx counter / wall time, best of {} round(s)",
        a.count, a.size, a.rounds.max(1)
    )?;
    if let Some((a, b)) = pinned {
        writeln!(
        out,

            "{RX}'s NAPI thread on CPU {b} throughout; pinned rows: sender on CPU {a}, receiver on CPU {b}"
        )?;
    }
    writeln!(
        out,
        "{:<32} {:>10} {:>9} {:>11} {:>12} {:>8}",
        "", "received", "seconds", "frames/s", "own report", "lost"
    )?;
    for (i, name) in names.iter().enumerate() {
        let r = get(i);
        if r.received == 0 {
            continue;
        }
        let json = best[i].as_ref().and_then(|b| b.1.as_ref());
        let jn = |k: &str| json.and_then(|v| v.get(k)).and_then(|v| v.as_f64());
        let own = jn("pps").map_or("-".to_string(), |v| format!("{v:.0}"));
        let lost = jn("lost").map_or("-".to_string(), |v| format!("{v:.0}"));
        writeln!(
            out,
            "{name:<32} {:>10} {:>9.3} {:>11.0} {:>12} {:>8}",
            r.received,
            r.secs,
            r.pps(),
            own,
            lost
        )?;
    }
    let own = |i: usize| {
        best[i]
            .as_ref()
            .and_then(|b| b.1.as_ref())
            .and_then(|v| v.get("pps"))
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN)
    };
    writeln!(
        out,
        "ratio test / send alone:                {:.2}   (goal >= 0.90; own reports: {:.2}){}",
        ratio(0, 1),
        own(0) / own(1),
        missed(ratio(0, 1) >= 0.90)
    )?;
    if get(2).received > 0 && get(3).received > 0 {
        writeln!(
            out,
            "ratio test --pin / send, same pinning:  {:.2}   (goal >= 0.90; own reports: {:.2}){}",
            ratio(2, 3),
            own(2) / own(3),
            missed(ratio(2, 3) >= 0.90)
        )?;
    }
    writeln!(
        out,
        "ratio test / tcpreplay --topspeed:      {:.2}   (goal >= 1.00){}",
        ratio(0, 4),
        missed(ratio(0, 4) >= 1.0)
    )?;
    writeln!(
        out,
        "ratio test --flows 1000 / one flow:     {:.2}   (goal >= 0.90; own reports: {:.2}){}",
        ratio(5, 0),
        own(5) / own(0),
        missed(ratio(5, 0) >= 0.90)
    )?;

    // ---- latency ----
    // Per round: the kernel's floor (send(2) to the receiver's kernel timestamp, both sockets
    // in this process) and `test --mode latency`, taking turns.
    let mut lat_rounds: Vec<(f64, f64)> = Vec::new();
    let mut rows: Vec<[f64; 7]> = Vec::new();
    for round in 0..a.rounds.max(1) {
        eoutln!(
            "round {}: kernel floor, send(2) to the receiver's kernel timestamp ({} frames)...",
            round + 1,
            a.latency_count
        )?;
        let floor = pingpong::kernel_floor(&pair, &frame, a.latency_count)?;
        eoutln!(
            "round {}: vethbench test --mode latency ({} frames)...",
            round + 1,
            a.latency_count
        )?;
        let mut cmd = Command::new(&exe);
        cmd.args([
            "test", "--tx", TX, "--rx", RX, "--json", "--mode", "latency",
        ])
        .args(["--size", &size, "--count", &a.latency_count.to_string()]);
        let (_, stdout) = timed(&pair, &mut cmd, "vethbench test --mode latency")?;
        let lat: serde_json::Value = serde_json::from_slice(&stdout).context("latency report")?;
        let l = |o: &str, k: &str| {
            lat.get(o)
                .and_then(|v| v.get(k))
                .and_then(|v| v.as_f64())
                .unwrap_or(f64::NAN)
        };
        let f = |g: fn(&LatencySummary) -> f64| floor.as_ref().map_or(f64::NAN, g);
        let row = [
            l("latency", "p50_us"),
            l("latency", "p99_us"),
            l("path_latency", "p50_us"),
            f(|s| s.p50_us),
            f(|s| s.p99_us),
            lat.get("pps").and_then(|v| v.as_f64()).unwrap_or(f64::NAN),
            table::load_avg(),
        ];
        lat_rounds.push((row[0], row[3]));
        rows.push(row);
    }
    eoutln!(
        "latency: blocking AF_PACKET ping-pong ({} frames)...",
        a.latency_count
    )?;
    let rtts = pingpong::ping_pong(&pair, &frame, a.latency_count)?;
    let rtt = |f: fn(&LatencySummary) -> f64| rtts.as_ref().map_or(f64::NAN, f);
    let (rtt_p50, rtt_p99) = (rtt(|s| s.p50_us), rtt(|s| s.p99_us));
    writeln!(out)?;
    writeln!(
        out,
        "latency: {} frames of {} bytes, one in flight, µs; path = the kernel's TX software stamp to the RX stamp",
        a.latency_count, a.size
    )?;
    writeln!(
        out,
        "{:<6} {:>10} {:>10} {:>10} {:>11} {:>11} {:>7} {:>10} {:>6}",
        "round",
        "test p50",
        "test p99",
        "path p50",
        "floor p50",
        "floor p99",
        "ratio",
        "frames/s",
        "load"
    )?;
    for (k, r) in rows.iter().enumerate() {
        writeln!(
            out,
            "{:<6} {:>10.2} {:>10.2} {:>10.2} {:>11.2} {:>11.2} {:>7.2} {:>10.0} {:>6.2}",
            k + 1,
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[0] / r[3].max(1e-9),
            r[5],
            r[6]
        )?;
    }
    writeln!(
        out,
        "{:<44} {:>8.2} {:>8.2} {:>11.0}",
        "ping-pong send/recvmsg, half the round trip",
        rtt_p50 / 2.0,
        rtt_p99 / 2.0,
        1e6 / rtt(|s| s.mean_us).max(1e-9)
    )?;
    // ---- Scapy ----
    if !a.no_scapy {
        eoutln!("scapy: sendp + sniff ({} frames)...", a.scapy_count)?;
        match scapy::scapy(&pair, a.size, a.scapy_count) {
            Ok(sc) => {
                let g = |k: &str| sc.get(k).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
                writeln!(out)?;
                writeln!(out, "against Scapy 2.x sendp + AsyncSniffer, same pair:")?;
                writeln!(
                    out,
                    "{:<36} {:>11} {:>10} {:>10}",
                    "", "frames/s", "p50 µs", "p99 µs"
                )?;
                writeln!(
                    out,
                    "{:<36} {:>11.0} {:>10.2} {:>10.2}",
                    "scapy",
                    g("fps"),
                    g("p50_us"),
                    g("p99_us")
                )?;
                writeln!(
                    out,
                    "{:<36} {:>11.0} {:>10.2} {:>10.2}",
                    "vethbench test (throughput/latency)",
                    ours.pps(),
                    median_of(&rows, 0),
                    median_of(&rows, 1)
                )?;
                writeln!(
                    out,
                    "scapy: sent {} in sendp, sniffed {}; latency from {} frames",
                    g("sent"),
                    g("received"),
                    g("lat_samples")
                )?;
                writeln!(
                    out,
                    "speed-up: {:.1}x frames/s, {:.1}x lower p50 latency",
                    ours.pps() / g("fps").max(1e-9),
                    g("p50_us") / median_of(&rows, 0).max(1e-9)
                )?;
            }
            Err(e) => writeln!(out, "scapy: not run: {e:#}")?,
        }
    }
    let pairs = |x: usize, y: usize| -> Vec<(f64, f64)> {
        per_round
            .iter()
            .map(|r| (r[x], r[y]))
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect()
    };
    let mut figs = vec![Figure::from_rounds(
        "test verifying (frames/s)",
        "vethbench send alone",
        &pairs(0, 1),
        Goal::AtLeast(0.9),
        false,
    )];
    if pinned.is_some() {
        figs.push(Figure::from_rounds(
            "test --pin (frames/s)",
            "send --cpu, same pins",
            &pairs(2, 3),
            Goal::AtLeast(0.9),
            false,
        ));
    }
    figs.push(Figure::from_rounds(
        "test verifying (frames/s)",
        "tcpreplay --topspeed",
        &pairs(0, 4),
        Goal::AtLeast(1.0),
        false,
    ));
    figs.push(
        Figure::from_rounds(
            "test --flows 1000 (frames/s)",
            "test, one flow",
            &pairs(5, 0),
            Goal::AtLeast(0.9),
            false,
        )
        .in_every_round(),
    );
    figs.push(Figure::from_rounds(
        "test latency p50 one-way (µs)",
        "kernel floor send→rx",
        &lat_rounds,
        Goal::AtMost(1.5),
        false,
    ));
    figs.push(Figure::from_rounds(
        "test latency p50 one-way (µs)",
        "half ping-pong rtt",
        &[(median_of(&rows, 0), rtt_p50 / 2.0)],
        Goal::None,
        false,
    ));
    Ok(figs)
}

/// The median of column `k` of `rows`.
fn median_of(rows: &[[f64; 7]], k: usize) -> f64 {
    table::median(&rows.iter().map(|r| r[k]).collect::<Vec<_>>())
}

/// A mark on a ratio that missed its goal (a bench is not pass/fail: say it, do not fail).
fn missed(met: bool) -> &'static str {
    if met {
        ""
    } else {
        "   MISSED (noisy machine? run again, or more --rounds)"
    }
}

/// The pps figure of `vethbench send`'s summary line.
fn send_pps(out: &[u8]) -> Option<f64> {
    let text = String::from_utf8_lossy(out);
    let line = text.lines().find(|l| l.contains(" pps"))?;
    line.split(": ").nth(1)?.split(' ').next()?.parse().ok()
}

/// Run `cmd` in the pair's namespace; frames `RX` received over its wall time, and its stdout.
pub(super) fn timed(
    pair: &PrivatePair,
    cmd: &mut Command,
    name: &str,
) -> anyhow::Result<(Rate, Vec<u8>)> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // A tool outlives no bench (killed with it: SIGKILL included).
    vethbench::sys::child::die_with_parent(cmd);
    pair.run_a(|| -> Result<anyhow::Result<(Rate, Vec<u8>)>, LinkError> {
        Ok((|| {
            let before = rx_packets(RX)?;
            let t = Instant::now();
            let out = cmd
                .output()
                .with_context(|| format!("run {name} (is it installed?)"))?;
            let secs = t.elapsed().as_secs_f64();
            // `vethbench test` exits 1 when an expectation failed: the report says why.
            if !(out.status.success() || out.status.code() == Some(1) && !out.stdout.is_empty()) {
                bail!(
                    "{name} failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            let received = rx_packets(RX)? - before;
            Ok((Rate { received, secs }, out.stdout))
        })())
    })?
}
