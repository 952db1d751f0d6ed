//! `vethbench bench`: vethbench against its references on private veth pairs. `bench send`
//! is here; `bench test` in `test`, with its ping-pong reference (`pingpong`) and its Scapy
//! run (`scapy`, the Python script beside it in `scapy_bench.py`); `bench replay` in `replay`;
//! `bench read` (`read -Y` against `tshark -Y`) in `read`; `bench diff` (`diff A B` against
//! reading both) in `diff`; `bench capture` (CPU per frame against tcpdump's) in `capture`; `bench xdp` (AF_XDP against
//! AF_PACKET, both directions) in `xdp`;
//! `bench all` in `all`, which runs them all and prints one table (`table`, which every bench
//! ends with too).
//!
//! `bench send`: vethbench against the reference senders, on one private veth pair.
//!
//! In a fresh anonymous network namespace (gone when the command ends), the same 64-byte frame
//! is sent N times by `vethbench send --count N`, by `tcpreplay --topspeed` (a one-frame pcap
//! preloaded and looped N times) and by `trafgen` (one CPU, N frames). trafgen skips the qdisc
//! by default (PACKET_QDISC_BYPASS; its `--qdisc-path` turns that off), so
//! `vethbench send --qdisc-bypass` is offered too (tool `vethbench-bypass`) to compare the
//! same kernel path. Each rate is what the peer actually received (its rx_packets counter)
//! over the tool's wall time, startup included. The figures are only comparable within one
//! run on one machine.

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

use anyhow::{bail, Context};
use vethbench::frame::{FrameSpec, L4Spec, MacAddr};
use vethbench::link::veth::{PrivatePair, VethPairSpec};
use vethbench::link::LinkError;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(Debug, clap::Subcommand)]
enum What {
    /// Packets/s of `vethbench send`, `tcpreplay --topspeed` and `trafgen` on a private veth pair.
    Send {
        /// Frames each tool sends.
        #[arg(long, default_value_t = 1_000_000)]
        count: u64,
        /// Frame size in bytes.
        #[arg(long, default_value_t = 64)]
        size: usize,
        /// Rounds; the tools take turns in each, and each tool's best round is reported (the
        /// machine's load changes less between turns than between whole runs).
        #[arg(long, default_value_t = 1)]
        rounds: u32,
        /// Only these tools (vethbench, vethbench-expr, vethbench-bypass, tcpreplay, trafgen;
        /// also vethbench-threads2 and trafgen-cpus2: two senders each). vethbench-expr sends
        /// the same frame given as a Scapy expression; with vethbench it also times a cold
        /// one-shot send of each.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "vethbench,vethbench-expr,vethbench-bypass,tcpreplay,trafgen"
        )]
        tools: Vec<String>,
    },
    /// `vethbench test` against its references on one private veth pair: throughput (vs
    /// `vethbench send` alone and `tcpreplay --topspeed`), latency (vs a blocking AF_PACKET
    /// ping-pong) and Scapy's `sendp` + `sniff`.
    Test(test::Args),
    /// `vethbench replay` against `tcpreplay`: timing fidelity (p99 gap error, quiet or
    /// `--load`ed) and top-speed pps.
    Replay(replay::Args),
    /// `vethbench read -Y` against `tshark -Y`, the same display filter on the same file of
    /// N different frames: frames/s, process start included.
    Read(read::Args),
    /// `vethbench diff A B` against `vethbench read` of A and of B, two files of N frames
    /// differing in every N-th frame's TTL: wall time, process start included.
    Diff(diff::Args),
    /// CPU time of `vethbench capture -w FILE -c N` against `tcpdump -w FILE -c N`, each
    /// taking N frames of a trafgen blast on a private pair (user+sys per frame).
    Capture(capture::Args),
    /// An AF_XDP socket against vethbench's AF_PACKET paths, receive (a trafgen blast) and
    /// transmit (counted at the peer): frames/s and CPU per frame.
    Xdp(xdp::Args),
    /// Every comparison above in one run, as one table of ratios (the benches' own output on
    /// stderr).
    All(all::Args),
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    match a.what {
        What::Send {
            count,
            size,
            rounds,
            tools,
        } => {
            let mut out = std::io::stdout().lock();
            let figs = bench_send(count, size, rounds.max(1), &tools, &mut out)?;
            writeln!(out)?;
            table::print(&mut out, &figs)?;
            Ok(ExitCode::SUCCESS)
        }
        What::Test(a) => test::run(a),
        What::Replay(a) => replay::run(a),
        What::Read(a) => read::run(a),
        What::Diff(a) => diff::run(a),
        What::Capture(a) => capture::run(a),
        What::Xdp(a) => xdp::run(a),
        What::All(a) => all::run(a),
    }
}

/// The tools `--tools` takes.
const TOOLS: [&str; 7] = [
    "vethbench",
    "vethbench-expr",
    "vethbench-bypass",
    "tcpreplay",
    "trafgen",
    "vethbench-threads2",
    "trafgen-cpus2",
];

/// The bench frame as a Scapy expression: the same bytes as the flags' `--udp --msg vethbench
/// --size N` (the interface's MAC as source in both).
fn bench_expr(size: usize) -> String {
    let pad = size.saturating_sub(14 + 20 + 8 + 9);
    format!(
        r#"Ether(dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1111, dport=2222)/"vethbench"/Padding(load=b"\x00"*{pad})"#
    )
}

/// `vethbench send -i IFACE -q ARGS` once, cold: the wall time of `runs` runs, median, in ms.
fn one_shot_ms(
    pair: &PrivatePair,
    exe: &std::path::Path,
    args: &[String],
    runs: usize,
) -> anyhow::Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut c = Command::new(exe);
        c.args(["send", "-i", "vbsend0", "-q"]).args(args);
        c.stdout(Stdio::null()).stderr(Stdio::piped());
        vethbench::sys::child::die_with_parent(&mut c);
        let (secs, out) = pair.run_a(|| -> Result<_, LinkError> {
            let t = Instant::now();
            let out = c.output();
            Ok((t.elapsed().as_secs_f64(), out))
        })?;
        let out = out.context("run vethbench send")?;
        if !out.status.success() {
            bail!(
                "vethbench send failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        times.push(secs * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// One tool's result.
struct Row {
    tool: &'static str,
    received: u64,
    secs: f64,
}

impl Row {
    fn pps(&self) -> f64 {
        self.received as f64 / self.secs.max(1e-9)
    }
}

/// Run `bench send`, printing its rows to `out`; the figures of the table (vethbench send
/// against each reference, per round).
fn bench_send(
    count: u64,
    size: usize,
    rounds: u32,
    tools: &[String],
    out: &mut dyn Write,
) -> anyhow::Result<Vec<Figure>> {
    let spec = FrameSpec {
        src_mac: MacAddr([2, 0, 0, 0, 0, 1]),
        dst_mac: MacAddr([2, 0, 0, 0, 0, 2]),
        l4: L4Spec::Udp,
        payload: b"vethbench".to_vec(),
        size: Some(size),
        ..FrameSpec::default()
    };
    // Refuse an unknown tool before running the others (a full run takes seconds).
    if let Some(other) = tools.iter().find(|t| !TOOLS.contains(&t.as_str())) {
        bail!("unknown tool '{other}' ({})", TOOLS.join(", "));
    }
    let frame = spec.build().map_err(crate::cli::frame_flags)?;
    let dir = tempdir()?;
    let pcap = dir.join("frame.pcap");
    write_pcap(&pcap, &frame)?;
    let cfg = dir.join("frame.trafgen");
    std::fs::write(&cfg, trafgen_conf(&frame))?;
    let exe = std::env::current_exe().context("locate the vethbench binary")?;

    let pair = PrivatePair::same_netns(&VethPairSpec::new("vbsend0", "vbrecv0"))?;
    let mut rows: Vec<Row> = Vec::new();
    // (round, tool, frames/s) of every run.
    let mut runs: Vec<(u32, &'static str, f64)> = Vec::new();
    for round in 0..rounds * tools.len() as u32 {
        let tool = &tools[(round as usize) % tools.len()];
        let (name, mut cmd): (&'static str, Command) = match tool.as_str() {
            "vethbench" | "vethbench-bypass" | "vethbench-threads2" => {
                let mut c = Command::new(&exe);
                c.args([
                    "send",
                    "-i",
                    "vbsend0",
                    "-q",
                    "--dst-mac",
                    "02:00:00:00:00:02",
                ])
                .args(["--udp", "--msg", "vethbench", "--size", &size.to_string()])
                .args(["--count", &count.to_string()]);
                if tool == "vethbench" {
                    ("vethbench send --count", c)
                } else if tool == "vethbench-threads2" {
                    c.args(["--threads", "2"]);
                    ("vethbench send --threads 2", c)
                } else {
                    c.arg("--qdisc-bypass");
                    ("vethbench --qdisc-bypass", c)
                }
            }
            "vethbench-expr" => {
                let mut c = Command::new(&exe);
                c.args(["send", "-i", "vbsend0", "-q", "--count", &count.to_string()])
                    .arg(bench_expr(size));
                ("vethbench send EXPR", c)
            }
            "tcpreplay" => {
                let mut c = Command::new("tcpreplay");
                c.args(["-q", "--topspeed", "--preload-pcap", "-i", "vbsend0"])
                    .arg(format!("--loop={count}"))
                    .arg(&pcap);
                ("tcpreplay --topspeed", c)
            }
            "trafgen" | "trafgen-cpus2" => {
                let two = tool == "trafgen-cpus2";
                let mut c = Command::new("trafgen");
                c.args([
                    "--dev",
                    "vbsend0",
                    "--cpus",
                    if two { "2" } else { "1" },
                    "--num",
                    &count.to_string(),
                ])
                .arg("--conf")
                .arg(&cfg)
                .arg("--no-sock-mem");
                (
                    if two {
                        "trafgen --cpus 2"
                    } else {
                        "trafgen --cpus 1"
                    },
                    c,
                )
            }
            other => bail!("unknown tool '{other}' ({})", TOOLS.join(", ")),
        };
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        // A tool outlives no bench (killed with it: SIGKILL included).
        vethbench::sys::child::die_with_parent(&mut cmd);
        eoutln!("running {name} ({count} frames)...")?;
        // The tools are spawned from a thread inside the namespace, so they run in it.
        let row = pair.run_a(|| -> Result<anyhow::Result<Row>, LinkError> {
            Ok((|| {
                let before = rx_packets("vbrecv0")?;
                let t = Instant::now();
                let out = cmd
                    .output()
                    .with_context(|| format!("run {name} (is it installed?)"))?;
                let secs = t.elapsed().as_secs_f64();
                if !out.status.success() {
                    bail!(
                        "{name} failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    );
                }
                let received = rx_packets("vbrecv0")? - before;
                Ok(Row {
                    tool: name,
                    received,
                    secs,
                })
            })())
        })??;
        runs.push((round / tools.len() as u32, row.tool, row.pps()));
        match rows.iter_mut().find(|r| r.tool == row.tool) {
            Some(best) if best.pps() >= row.pps() => {}
            Some(best) => *best = row,
            None => rows.push(row),
        }
    }
    writeln!(out,
        "{count} frames of {size} bytes, veth pair in a private namespace, rx counter of the peer, best of {rounds} round(s):"
    )?;
    writeln!(
        out,
        "{:<26} {:>10} {:>9} {:>11}",
        "tool", "received", "seconds", "pps"
    )?;
    for r in &rows {
        writeln!(
            out,
            "{:<26} {:>10} {:>9.3} {:>11.0}",
            r.tool,
            r.received,
            r.secs,
            r.pps()
        )?;
    }
    if let (Some(f), Some(e)) = (
        rows.iter().find(|r| r.tool == "vethbench send --count"),
        rows.iter().find(|r| r.tool == "vethbench send EXPR"),
    ) {
        writeln!(
            out,
            "ratio EXPR / flags (--count): {:.2}",
            e.pps() / f.pps().max(1e-9)
        )?;
    }
    if tools.iter().any(|t| t == "vethbench") && tools.iter().any(|t| t == "vethbench-expr") {
        const RUNS: usize = 21;
        eoutln!("timing cold one-shot sends ({RUNS} each)...")?;
        let flags: Vec<String> = [
            "--dst-mac",
            "02:00:00:00:00:02",
            "--udp",
            "--msg",
            "vethbench",
        ]
        .iter()
        .map(|s| s.to_string())
        .chain(["--size".to_string(), size.to_string()])
        .collect();
        let expr = vec![bench_expr(size)];
        // Alternate, so that a change in the machine's load hits both alike.
        let (mut tf, mut te) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            tf.push(one_shot_ms(&pair, &exe, &flags, RUNS / 3)?);
            te.push(one_shot_ms(&pair, &exe, &expr, RUNS / 3)?);
        }
        tf.sort_by(f64::total_cmp);
        te.sort_by(f64::total_cmp);
        let (f, e) = (tf[1], te[1]);
        writeln!(
            out,
            "cold one-shot `vethbench send` (1 frame, median wall time, process start included):"
        )?;
        writeln!(out, "{:<26} {:>9.2} ms", "flags", f)?;
        writeln!(out, "{:<26} {:>9.2} ms", "EXPR", e)?;
        writeln!(out, "ratio EXPR / flags (one-shot): {:.2}", e / f.max(1e-9))?;
    }
    for ours in rows.iter().filter(|r| r.tool.starts_with("vethbench")) {
        for r in rows.iter().filter(|r| !r.tool.starts_with("vethbench")) {
            writeln!(
                out,
                "ratio {} / {}: {:.2}",
                ours.tool.trim_end_matches(" send --count"),
                if r.tool.starts_with("trafgen") {
                    r.tool
                } else {
                    r.tool.split(' ').next().unwrap_or(r.tool)
                },
                ours.pps() / r.pps().max(1e-9)
            )?;
        }
    }
    let per_round = |ours: &str, theirs: &str| -> Vec<(f64, f64)> {
        (0..rounds)
            .filter_map(|r| {
                let get = |t: &str| runs.iter().find(|x| x.0 == r && x.1 == t).map(|x| x.2);
                Some((get(ours)?, get(theirs)?))
            })
            .collect()
    };
    let mut figs = Vec::new();
    for theirs in ["trafgen --cpus 1", "tcpreplay --topspeed"] {
        let p = per_round("vethbench send --count", theirs);
        if !p.is_empty() {
            figs.push(Figure::from_rounds(
                "send (frames/s)",
                theirs,
                &p,
                Goal::None,
                false,
            ));
        }
    }
    Ok(figs)
}

/// The rx_packets counter of `iface` in the calling thread's namespace (/proc/thread-self/net:
/// /sys and /proc/self would show the namespace of the mount or of the main thread).
fn rx_packets(iface: &str) -> anyhow::Result<u64> {
    let dev = std::fs::read_to_string("/proc/thread-self/net/dev")?;
    for line in dev.lines() {
        if let Some((name, rest)) = line.split_once(':') {
            if name.trim() == iface {
                return rest
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .context("parse /proc/net/dev");
            }
        }
    }
    bail!("interface '{iface}' not in /proc/thread-self/net/dev")
}

/// A classic pcap (microsecond, Ethernet) holding one frame; written by hand: 40 bytes of
/// headers do not need the pcapng machinery.
fn write_pcap(path: &std::path::Path, frame: &[u8]) -> anyhow::Result<()> {
    let mut f = std::fs::File::create(path)?;
    let mut h = Vec::new();
    h.extend_from_slice(&0xa1b2c3d4u32.to_le_bytes()); // magic, microseconds
    h.extend_from_slice(&2u16.to_le_bytes()); // version 2.4
    h.extend_from_slice(&4u16.to_le_bytes());
    h.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    h.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    h.extend_from_slice(&65535u32.to_le_bytes()); // snaplen
    h.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    h.extend_from_slice(&0u32.to_le_bytes()); // ts_sec
    h.extend_from_slice(&0u32.to_le_bytes()); // ts_usec
    h.extend_from_slice(&(frame.len() as u32).to_le_bytes()); // incl_len
    h.extend_from_slice(&(frame.len() as u32).to_le_bytes()); // orig_len
    h.extend_from_slice(frame);
    f.write_all(&h)?;
    Ok(())
}

/// trafgen's configuration for one fixed frame: `{ 0x02, 0x00, ... }`.
fn trafgen_conf(frame: &[u8]) -> String {
    let bytes: Vec<String> = frame.iter().map(|b| format!("{b:#04x}")).collect();
    format!("{{ {} }}\n", bytes.join(", "))
}

/// A scratch directory for the pcap, trafgen and script files, removed on drop: also when a
/// tool is missing or fails and the bench returns early. Each one has its own name.
struct TempDir(std::path::PathBuf);

/// A fresh [`TempDir`] under `$TMPDIR`.
fn tempdir() -> anyhow::Result<TempDir> {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("vethbench-bench-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    Ok(TempDir(dir))
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

use table::{Figure, Goal};

mod all;
mod capture;
mod diff;
mod pingpong;
mod read;
mod replay;
mod scapy;
mod scenario;
mod table;
mod test;
mod xdp;
