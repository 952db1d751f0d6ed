//! `vethbench test`: send a stream of stamped frames across a veth pair, verify every one on the
//! peer, and report loss, corruption, order, duplicates, kernel drops, throughput and latency.
//!
//! Flags are parsed raw here, turned into a checked [`TestPlan`], and run by the library.
//! Exit codes: 0 everything arrived intact, 1 it did not, 2 an error (bad flags included).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use nix::sys::signalfd::SignalFd;
use vethbench::harness::{
    self, FlowsConfig, Mode, NoiseFilter, Report, Running, StreamConfig, TestPlan, Topology,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ModeArg {
    /// Batched, as fast as possible or at --rate.
    Throughput,
    /// One frame in flight: one-way latency without queueing.
    Latency,
    /// One frame in flight, echoed back by a reflector on the peer: round-trip time.
    Rtt,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    vethbench test                                  10000 frames over a private veth pair\n  \
    vethbench test --count 1000000 --size 1514 --json\n  \
    vethbench test --mode latency --count 10000 --cpu 0,1\n  \
    vethbench test --tx vethX --rx vethY --rate 100k --duration 10s -w run.pcapng\n  \
    vethbench test --tx net1:veth1 --rx net2:veth2    ends in two namespaces\n  \
    vethbench test --frame vlan.pcap                copies of a frame Scapy saved with wrpcap\n  \
    vethbench test --flows 1000 --size imix --json  1000 flows (source ports), IMIX sizes\n  \
    vethbench test --vary src-ip:198.18.0.0/24,dport:1-4 --threads 2\n\n\
    Exit codes: 0 every frame arrived intact, 1 some did not, 2 an error.")]
pub struct Args {
    // Boxed: keeps the subcommand enum small (clippy::large_enum_variant).
    #[command(flatten)]
    flags: Box<Flags>,
}

#[derive(Debug, clap::Args)]
struct Flags {
    /// Frames to send [default: 10000, unless --duration is given].
    #[arg(short = 'c', long)]
    count: Option<u64>,
    /// Frame size in bytes, Ethernet header to end of payload, no FCS (66..=65549); or
    /// several: a list 66,128,1514, weighted 66:7,570:4,1514:1, or imix (TRex's 7:4:1 of
    /// 64/570/1514, the 64 raised to 66 for the stamp). Each flow cycles through them.
    #[arg(
        short = 's',
        long,
        default_value = "128",
        value_name = "SIZE[,SIZE...]|imix"
    )]
    size: String,
    /// Send N flows, each with its own sequence space, varying the UDP source port
    /// (49152 + i), or what --vary varies.
    #[arg(long, value_name = "N")]
    flows: Option<u32>,
    /// Vary header fields over ranges, flow by flow: FIELD:RANGE,... with src-ip, dst-ip
    /// (198.18.0.0/24 or A-B) and sport, dport (1024-65535). Flows: the product of the
    /// ranges, or --flows.
    #[arg(long, value_name = "FIELD:RANGE,...")]
    vary: Option<String>,
    /// Sender threads, each with its own socket; the flows (at least N), the count and the
    /// rate are split between them (throughput mode).
    #[arg(long, default_value_t = 1, value_name = "N")]
    threads: usize,
    /// Send copies of the first frame of this pcap or pcapng file (e.g. from Scapy's wrpcap)
    /// instead of the default UDP frame. Its transport payload must have room for the 24-byte
    /// stamp, which overwrites the payload's first bytes.
    #[arg(long, value_name = "FILE", conflicts_with = "size")]
    frame: Option<PathBuf>,
    /// Send copies of the frame this Scapy expression builds (e.g.
    /// 'Ether(dst="02:00:00:00:00:02")/IP(dst="198.18.0.2")/UDP(dport=9)/("x"*64)'), unset
    /// fields as Scapy's defaults with no route (Ether src 00:..:00, IP src 0.0.0.0). Same rule
    /// as --frame: the transport payload must have room for the 24-byte stamp.
    #[arg(long, value_name = "EXPR", conflicts_with_all = ["size", "frame"])]
    frame_expr: Option<String>,
    /// Frames per second, e.g. 50000, 250k, 1.5M [default: as fast as possible].
    #[arg(short = 'r', long)]
    rate: Option<String>,
    /// How long to send, e.g. 10, 10s, 500ms, 2m; with --count, whichever ends first.
    #[arg(short = 'd', long)]
    duration: Option<String>,
    /// How frames are sent.
    #[arg(short = 'm', long, value_enum, default_value_t = ModeArg::Throughput)]
    mode: ModeArg,
    /// Send on this existing interface (with --rx) instead of a private veth pair. NS:IFACE
    /// puts it in another namespace than -n's (a name, a path or pid:PID), as `capture -i`.
    #[arg(long, requires = "rx", value_name = "[NS:]IFACE")]
    tx: Option<String>,
    /// Receive on this existing interface (the peer of --tx; in rtt mode, the reflector's);
    /// NS:IFACE as for --tx, e.g. --tx net1:veth1 --rx net2:veth2.
    #[arg(long, requires = "tx", value_name = "[NS:]IFACE")]
    rx: Option<String>,
    /// The network namespace --tx and --rx are in unless they say NS:IFACE (like `ip -n NS`):
    /// a name in /run/netns, a path (/proc/PID/ns/net) or pid:PID.
    #[arg(short = 'n', long = "netns", requires = "tx", value_name = "NS")]
    netns: Option<String>,
    /// Pin the sender (and receiver) threads: TX or TX,RX.
    #[arg(long, value_name = "TX[,RX]")]
    cpu: Option<String>,
    /// Throughput mode: pin the sender to the first CPU this process may use, and the receiver
    /// and the receiving veth's NAPI thread to the second. Steadier figures; slower when other
    /// work loads those CPUs.
    #[arg(long, conflicts_with = "cpu")]
    pin: bool,
    /// Write every received frame to this pcapng file.
    #[arg(short = 'w', long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Print the report as JSON (schema_version 1) instead of a table.
    #[arg(short = 'j', long)]
    json: bool,
    /// Frames per send syscall in throughput mode (1..=256).
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Spin instead of sleeping while waiting for frames (lower latency, one busy core per thread).
    #[arg(long)]
    busy_poll: bool,
    /// Count LLDP, IPv6 ND/MLD, IGMP and STP frames as unexpected instead of ignoring them.
    #[arg(long, conflicts_with = "ignore")]
    no_noise_filter: bool,
    /// Ignore exactly these background frames (comma-separated: ipv6, nd, mld, arp, lldp, stp,
    /// igmp), e.g. `arp,nd` so a device's own ARP and neighbour discovery do not fail the run.
    #[arg(long, value_name = "LIST")]
    ignore: Option<String>,
    /// A device that drops: pass when at least this much is lost (a count or a percentage,
    /// `100%`), in total and in every flow; what gets through fails the run, counted.
    #[arg(long, value_name = "N|P%")]
    min_loss: Option<String>,
    /// How long to wait for frames still in flight after the last send.
    #[arg(long, default_value = "200ms", value_name = "TIME")]
    drain: String,
}

/// "10" and "10s" → 10 s, "500ms", "200us", "2m".
fn parse_duration(flag: &str, s: &str) -> anyhow::Result<Duration> {
    let t = s.trim();
    let split = t.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let secs = match unit {
        "" | "s" => 1.0,
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    num.parse::<f64>()
        .ok()
        .map(|v| v * secs)
        .filter(|v| v.is_finite() && *v >= 0.0 && *v < 1e9)
        .map(Duration::from_secs_f64)
        .with_context(|| format!("{flag} '{s}': expected a time such as 10, 10s, 500ms, 2m"))
}

/// "3" → (3, None), "0,1" → (0, Some(1)).
fn parse_cpu(s: &str) -> anyhow::Result<(usize, Option<usize>)> {
    let bad = || format!("--cpu '{s}': expected TX or TX,RX CPU numbers, e.g. 0,1");
    let mut it = s.split(',');
    let tx = it
        .next()
        .unwrap_or("")
        .trim()
        .parse()
        .ok()
        .with_context(bad)?;
    let rx = match it.next() {
        Some(r) => Some(r.trim().parse().ok().with_context(bad)?),
        None => None,
    };
    if it.next().is_some() {
        anyhow::bail!(bad());
    }
    Ok((tx, rx))
}

/// Raw flags to a checked plan.
fn plan(a: &Flags) -> anyhow::Result<TestPlan> {
    let duration = a
        .duration
        .as_deref()
        .map(|d| parse_duration("--duration", d))
        .transpose()?;
    let count = match (a.count, duration) {
        (None, None) => Some(10_000),
        (c, _) => c,
    };
    let (cpu_tx, cpu_rx) = match a.cpu.as_deref().map(parse_cpu).transpose()? {
        Some((t, r)) => (Some(t), r),
        None => (None, None),
    };
    let allowed = vethbench::sys::cpu::allowed();
    for c in [cpu_tx, cpu_rx].into_iter().flatten() {
        if let Err(e) = vethbench::sys::cpu::check_allowed(c) {
            anyhow::bail!("--cpu {}: {e}", a.cpu.as_deref().unwrap_or_default());
        }
    }
    if a.pin && !matches!(a.mode, ModeArg::Throughput) {
        anyhow::bail!("--pin is for --mode throughput only (pinning slows latency and rtt runs)");
    }
    if a.pin && allowed.len() < 2 {
        eoutln!(
            "vethbench: --pin: this process may use one CPU only ({allowed:?}): nothing pinned"
        )?;
    }
    let sizes = FlowsConfig::parse_sizes(&a.size).map_err(|e| anyhow::anyhow!("--size {e}"))?;
    let (frame_len, sizes) = match sizes[..] {
        [(len, _)] => (len, Vec::new()),
        _ => (sizes[0].0, sizes),
    };
    if !sizes.is_empty() && (a.frame.is_some() || a.frame_expr.is_some()) {
        anyhow::bail!(
            "--size with several sizes needs the default UDP frame (no --frame or --frame-expr)"
        );
    }
    let vary = a
        .vary
        .as_deref()
        .map(FlowsConfig::parse_vary)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--vary {e}"))?
        .unwrap_or_default();
    if a.flows == Some(0) {
        anyhow::bail!("--flows 0: give at least 1 flow");
    }
    let flows = FlowsConfig {
        flows: a.flows,
        vary,
        sizes,
    };
    let n = flows
        .flow_count()
        .map_err(|e| anyhow::anyhow!("--flows: {e}"))?;
    if a.threads == 0 || a.threads > 64 {
        anyhow::bail!("--threads {}: give 1..=64", a.threads);
    }
    if a.threads > 1 && !matches!(a.mode, ModeArg::Throughput) {
        anyhow::bail!(
            "--threads is for --mode throughput only (latency and rtt have one frame in flight)"
        );
    }
    if a.threads as u64 > n as u64 {
        anyhow::bail!(
            "--threads {}: {n} flow(s); each flow is sent by one thread, so give --flows {} or more",
            a.threads,
            a.threads
        );
    }
    let stream = StreamConfig {
        flows,
        threads: a.threads,
        mode: match a.mode {
            ModeArg::Throughput => Mode::Throughput,
            ModeArg::Latency => Mode::Latency,
            ModeArg::Rtt => Mode::Rtt,
        },
        count,
        duration,
        rate_pps: a.rate.as_deref().map(super::parse_rate).transpose()?,
        batch: a.batch,
        busy_poll: a.busy_poll,
        cpu_tx,
        cpu_rx,
        auto_pin: a.pin,
        drain: parse_duration("--drain", &a.drain)?,
        noise: match (&a.ignore, a.no_noise_filter) {
            (Some(list), _) => {
                let v: Vec<&str> = list.split(',').filter(|x| !x.trim().is_empty()).collect();
                NoiseFilter::categories(&v).map_err(|m| anyhow::anyhow!("--ignore {list}: {m}"))?
            }
            (None, true) => NoiseFilter::none(),
            (None, false) => NoiseFilter::all(),
        },
        ..StreamConfig::default()
    };
    let topology = match (&a.tx, &a.rx) {
        (Some(tx), Some(rx)) => Topology::Existing {
            tx: tx.clone(),
            rx: rx.clone(),
            netns: a.netns.clone(),
        },
        _ => Topology::Private,
    };
    let frame = match (&a.frame, &a.frame_expr) {
        (_, Some(src)) => Some(expr_frame(src)?),
        (Some(path), None) => Some(read_frame(path)?),
        (None, None) => None,
    };
    let plan = TestPlan {
        stream,
        frame_len: frame.as_ref().map_or(frame_len, Vec::len),
        frame,
        topology,
        pcapng: a.write.clone(),
        // Different runs on the same pair tell their frames apart.
        stream_id: std::process::id(),
    };
    plan.check().map_err(|e| match (&a.frame, &e) {
        (_, vethbench::harness::HarnessError::Template(_)) if a.frame_expr.is_some() => {
            anyhow::anyhow!("--frame-expr: {}", vethbench::error::chain(&e))
        }
        (Some(p), vethbench::harness::HarnessError::Template(_)) => {
            anyhow::anyhow!("--frame {}: {}", p.display(), vethbench::error::chain(&e))
        }
        (_, vethbench::harness::HarnessError::SameEnds { iface }) => anyhow::anyhow!(
            "invalid configuration: --tx and --rx are both '{iface}': give the two ends of a pair"
        ),
        _ => e.into(),
    })?;
    Ok(plan)
}

/// The one frame a Scapy expression builds (`--frame-expr`), with Scapy's fallbacks.
fn expr_frame(src: &str) -> anyhow::Result<Vec<u8>> {
    let one_line =
        |e: vethbench::frame::expr::ExprError| anyhow::anyhow!("--frame-expr {}: {e}", src.trim());
    let mut frames = vethbench::frame::expr::parse(src)
        .and_then(|e| e.build())
        .map_err(one_line)?;
    if frames.len() != 1 {
        anyhow::bail!(
            "--frame-expr {}: builds {} frames; a test sends copies of one",
            src.trim(),
            frames.len()
        );
    }
    Ok(frames.remove(0))
}

/// The first frame of a pcap or pcapng file (`-`: standard input, e.g. from Scapy).
fn read_frame(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let name = path.to_string_lossy();
    let mut r = super::open_capture(&name).context("--frame")?;
    let f = match r.next() {
        Some(f) => f.context("--frame")?,
        None => anyhow::bail!("--frame {name}: the file holds no frame"),
    };
    if f.linktype != 1 {
        anyhow::bail!("--frame {name}: link type {}, not Ethernet (1)", f.linktype);
    }
    if f.data.len() < f.orig_len as usize {
        anyhow::bail!(
            "--frame {name}: the first frame was cut to {} of its {} bytes (snaplen)",
            f.data.len(),
            f.orig_len
        );
    }
    Ok(f.data.to_vec())
}

/// Follow a run with a progress bar on stderr (hidden when stderr is not a terminal). A stop
/// signal on `stop` (Ctrl-C, SIGTERM) ends it early, as `--duration` would: the frames sent
/// so far are still waited for and checked, and the pcapng is closed. True when that happened.
/// A second signal abandons the run (exit 2, no report).
fn watch(run: Running, stop: &SignalFd) -> anyhow::Result<(Report, bool)> {
    let p = run.progress();
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(p.target, target);
    let style = match p.target {
        Some(_) => "{bar:40} {pos}/{len} frames sent, {msg} {elapsed}",
        None => "{spinner} {pos} frames sent, {msg} {elapsed}",
    };
    if let Ok(s) = ProgressStyle::with_template(style) {
        bar.set_style(s);
    }
    // Redraw every 100 ms, but notice the end within 2 ms: a short run is not padded by the
    // bar's period (it was up to 100 ms of every run's wall time).
    let mut last_draw = std::time::Instant::now();
    let mut interrupted = false;
    while !run.is_finished() {
        if matches!(stop.read_signal(), Ok(Some(_))) {
            if interrupted {
                // A second one: the user does not want to wait for the drain.
                bar.finish_and_clear();
                let _ = eoutln!("vethbench: error: interrupted twice: run abandoned, no report");
                std::process::exit(2);
            }
            interrupted = true;
            run.stop();
        }
        if last_draw.elapsed() >= Duration::from_millis(100) {
            let p = run.progress();
            bar.set_position(p.sent);
            bar.set_message(format!("{} intact", p.intact));
            last_draw = std::time::Instant::now();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    bar.finish_and_clear();
    Ok((run.wait()?, interrupted))
}

impl Args {
    /// The namespace given with `-n`.
    pub fn netns(&self) -> Option<&str> {
        self.flags.netns.as_deref()
    }
}

/// `--min-loss 100%` or `--min-loss 5`: (text, lost, sent) -> reached.
type LossFloor = (String, Box<dyn Fn(u64, u64) -> bool>);

fn min_loss(t: &str) -> anyhow::Result<LossFloor> {
    let s = t.trim();
    if let Some(p) = s.strip_suffix('%') {
        match p.trim().parse::<f64>() {
            Ok(p) if (0.0..=100.0).contains(&p) => {
                return Ok((
                    s.to_string(),
                    Box::new(move |lost, sent| lost as f64 * 100.0 >= p * sent as f64),
                ))
            }
            _ => {}
        }
    } else if let Ok(n) = s.parse::<u64>() {
        return Ok((s.to_string(), Box::new(move |lost, _| lost >= n)));
    }
    anyhow::bail!("--min-loss {t}: a count of frames or a percentage from 0% to 100% (e.g. 100%)")
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let plan = plan(&args.flags)?;
    let floor = args.flags.min_loss.as_deref().map(min_loss).transpose()?;
    // Blocked before the run's threads exist, so that they inherit the mask and the signal
    // waits on the signalfd for `watch` rather than killing the process mid-run.
    let stop = super::stop_signals()?;
    let running = harness::launch(&plan)?;
    let (mut report, interrupted) = watch(running, &stop)?;
    report.interrupted = interrupted;
    if let Some((what, reached)) = &floor {
        report.require_loss(what, reached);
    }
    if interrupted {
        eoutln!(
            "vethbench: interrupted: stopped after {} frames; those were checked",
            report.sent
        )?;
    }
    if args.flags.json {
        outln!("{}", report.to_json())?;
    } else {
        outln!("{report}")?;
    }
    if let Some(e) = &report.error {
        // The partial report is out; the error is the one line on stderr (exit 2).
        eoutln!("vethbench: error: {e}")?;
    }
    Ok(ExitCode::from(report.exit_code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    fn parse(argv: &[&str]) -> anyhow::Result<TestPlan> {
        let a: Args = super::super::try_parse_args("test", argv)?;
        plan(&a.flags)
    }

    #[test]
    fn defaults() {
        let p = parse(&[]).unwrap();
        assert_eq!(p.stream.count, Some(10_000));
        assert_eq!(p.frame_len, 128);
        assert_eq!(p.topology, Topology::Private);
        assert_eq!(p.stream.mode, Mode::Throughput);
    }

    #[test]
    fn all_flags() {
        let p = parse(&[
            "--count",
            "500",
            "--size",
            "1514",
            "--rate",
            "250k",
            "--duration",
            "1.5s",
            "--mode",
            "latency",
            "--tx",
            "vethX",
            "--rx",
            "vethY",
            "-n",
            "ns1",
            "--cpu",
            "0,1",
            "-w",
            "/tmp/x.pcapng",
            "--json",
            "--busy-poll",
            "--no-noise-filter",
            "--drain",
            "50ms",
        ])
        .unwrap();
        assert_eq!(p.stream.count, Some(500));
        assert_eq!(p.stream.rate_pps, Some(250_000.0));
        assert_eq!(p.stream.duration, Some(Duration::from_millis(1500)));
        assert_eq!(p.stream.mode, Mode::Latency);
        assert_eq!((p.stream.cpu_tx, p.stream.cpu_rx), (Some(0), Some(1)));
        assert_eq!(p.stream.drain, Duration::from_millis(50));
        assert!(p.stream.noise.is_off());
        assert_eq!(
            p.topology,
            Topology::Existing {
                tx: "vethX".into(),
                rx: "vethY".into(),
                netns: Some("ns1".into())
            }
        );
        // --duration alone: no implicit count.
        assert_eq!(parse(&["-d", "2m"]).unwrap().stream.count, None);
        assert_eq!(crate::cli::parse_rate("1.5M").unwrap(), 1_500_000.0);
    }

    #[test]
    fn pin_is_opt_in_and_excludes_cpu() {
        assert!(!parse(&[]).unwrap().stream.auto_pin);
        assert!(parse(&["--pin"]).unwrap().stream.auto_pin);
        assert!(parse(&["--pin", "--cpu", "0,1"]).is_err());
        assert!(parse(&["--pin", "--mode", "latency"]).is_err());
        assert!(parse(&["--pin", "--mode", "rtt"]).is_err());
    }

    #[test]
    fn flow_flags() {
        let p = parse(&["--flows", "1000", "--size", "imix", "--threads", "2"]).unwrap();
        assert_eq!(p.stream.flows.flows, Some(1000));
        assert_eq!(
            p.stream.flows.sizes,
            vethbench::harness::flows::IMIX.to_vec()
        );
        assert_eq!((p.frame_len, p.max_frame_len()), (66, 1514));
        assert_eq!(p.stream.threads, 2);
        let p = parse(&[
            "--vary",
            "src-ip:198.18.0.0/24,sport:1024-1027",
            "-s",
            "200",
        ])
        .unwrap();
        assert_eq!(p.stream.flows.flow_count().unwrap(), 1024);
        assert!(p.stream.flows.sizes.is_empty());
        assert_eq!(p.frame_len, 200);
        // One size: as before.
        assert_eq!(parse(&["--size", "1514"]).unwrap().frame_len, 1514);
        for bad in [
            &["--threads", "2"][..],
            &["--flows", "0"],
            &["--size", "66,65"],
            &["--vary", "src-ip:198.18.0.0/24,sport:1024-65535"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn bad_values_are_errors() {
        for argv in [
            &["--rate", "fast"][..],
            &["--rate", "-5"],
            &["--duration", "10 parsecs"],
            &["--size", "20"],
            &["--count", "0"],
            &["--cpu", "a,b"],
            &["--cpu", "0,1,2"],
            &["--batch", "0"],
            &["--tx", "a"],
            &["--mode", "warp"],
        ] {
            assert!(parse(argv).is_err(), "{argv:?} accepted");
        }
    }
}
