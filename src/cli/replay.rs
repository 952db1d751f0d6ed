//! `vethbench replay`: send the frames of a pcap or pcapng file on an interface, with the
//! file's timing or another, rewritten as asked (tcpreplay + tcprewrite's common flags).
//!
//! Flags become a checked [`ReplayConfig`]; the interface policy, privileges and bad-input
//! rules are `send`'s. A corrupt or truncated file replays its good frames, prints the report,
//! then fails with the byte offset (exit 2).

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use vethbench::frame::MacAddr;
use vethbench::link::{self, policy};
use vethbench::replay::{self, IpMap, ReplayConfig, RewriteSpec, Source, Timing, VlanOp};
use vethbench::sock::tx::{TxSocket, MAX_SENDMMSG_BATCH};

#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    vethbench replay -i vethX trace.pcapng                 # the file's own timing\n  \
    vethbench replay -i vethX --topspeed --loop 10 trace.pcap\n  \
    vethbench replay -i vethX --pps 10k --dst-mac 02:00:00:00:00:02 \\\n      \
    --srcip-map 10.0.0.0/8:198.18.0.0/15 --vlan add:100 --fix-checksums trace.pcap")]
pub struct Args {
    /// pcap or pcapng file (`-`: standard input).
    file: String,
    /// Interface to send on (a veth, dummy...; a physical NIC needs --allow-physical).
    #[arg(short, long)]
    iface: String,
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    pub(crate) netns: Option<String>,
    /// Replay the file's gaps X times faster (0.5: twice as slow) [at least 0.0001].
    #[arg(short = 'x', long, value_name = "X", conflicts_with_all = ["pps", "mbps", "topspeed"])]
    multiplier: Option<f64>,
    /// Send at this many packets per second (10000, 250k, 1.5M) [at least 0.001].
    #[arg(short, long, value_name = "PPS", value_parser = pps_arg,
          conflicts_with_all = ["mbps", "topspeed"])]
    pps: Option<f64>,
    /// Send at this many megabits per second (frame bytes, no preamble or FCS) [at least 0.001].
    #[arg(short = 'M', long, value_name = "MBPS", conflicts_with = "topspeed")]
    mbps: Option<f64>,
    /// As fast as the kernel takes them, in batches.
    #[arg(short, long)]
    topspeed: bool,
    /// Keep the absolute schedule after a late frame (the frames it made overdue leave at
    /// once) instead of moving the rest of the schedule back (the gaps kept).
    #[arg(long, conflicts_with = "topspeed")]
    catch_up: bool,
    /// Passes over the file; 0 loops until Ctrl-C.
    #[arg(short, long = "loop", value_name = "N", default_value_t = 1)]
    loops: u64,
    /// Stop after N frames read from the file (all passes).
    #[arg(short = 'L', long, value_name = "N")]
    limit: Option<u64>,
    /// Set the source MAC (and that of the Ethernet header given to SLL/raw IP frames [default:
    /// the interface's]).
    #[arg(long, value_name = "MAC")]
    src_mac: Option<MacAddr>,
    /// Set the destination MAC (and that of the Ethernet header given to SLL/raw IP frames
    /// [default: broadcast]).
    #[arg(long, value_name = "MAC")]
    dst_mac: Option<MacAddr>,
    /// Map source addresses: OLD_CIDR:NEW_CIDR[,...] (host bits kept), IPv4 or IPv6.
    #[arg(long, value_name = "MAP")]
    srcip_map: Option<String>,
    /// Map destination addresses: OLD_CIDR:NEW_CIDR[,...].
    #[arg(long, value_name = "MAP")]
    dstip_map: Option<String>,
    /// add:ID (untagged frames only), strip, or set:ID (tags untagged frames too).
    #[arg(long, value_name = "OP")]
    vlan: Option<String>,
    /// Recompute IPv4, TCP, UDP, ICMP and ICMPv6 checksums after rewriting, where the whole
    /// packet was captured (address maps always update checksums incrementally).
    #[arg(long)]
    fix_checksums: bool,
    /// Cut frames longer than the MTU allows (and their IP length) instead of skipping them.
    #[arg(long)]
    truncate_to_mtu: bool,
    /// Load the file into memory before sending (like tcpreplay --preload-pcap).
    #[arg(long)]
    preload: bool,
    /// Frames per sendmmsg(2) call at most (1..=1024).
    #[arg(long, default_value_t = 64, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=MAX_SENDMMSG_BATCH as i64))]
    batch: u16,
    /// Skip the qdisc (PACKET_QDISC_BYPASS); other packet sockets on this host no longer see
    /// the frames.
    #[arg(long)]
    qdisc_bypass: bool,
    /// Allow sending on an interface that is not virtual (a physical NIC).
    #[arg(long)]
    allow_physical: bool,
    /// Print the report as JSON.
    #[arg(long, short = 'j')]
    json: bool,
}

/// `send`'s rate syntax and minimum, in `--pps`'s words.
fn pps_arg(s: &str) -> Result<f64, String> {
    super::rate_arg(s).map_err(|e| e.replacen("--rate", "--pps", 1))
}

fn timing(a: &Args) -> anyhow::Result<Timing> {
    let t = if a.topspeed {
        Timing::Topspeed
    } else if let Some(p) = a.pps {
        Timing::Pps(p)
    } else if let Some(m) = a.mbps {
        Timing::Mbps(m)
    } else {
        Timing::File {
            multiplier: a.multiplier.unwrap_or(1.0),
        }
    };
    t.check().map_err(|e| {
        let flag = match t {
            Timing::File { .. } => "--multiplier",
            Timing::Pps(_) => "--pps",
            Timing::Mbps(_) => "--mbps",
            Timing::Topspeed => "--topspeed",
        };
        anyhow::anyhow!("{flag}: {e}")
    })?;
    Ok(t)
}

fn rewrite_spec(a: &Args) -> anyhow::Result<RewriteSpec> {
    let maps = |flag: &str, v: &Option<String>| -> anyhow::Result<Vec<IpMap>> {
        v.as_deref()
            .map(IpMap::parse_list)
            .transpose()
            .with_context(|| flag.to_string())
            .map(Option::unwrap_or_default)
    };
    Ok(RewriteSpec {
        src_mac: a.src_mac,
        dst_mac: a.dst_mac,
        src_ip_map: maps("--srcip-map", &a.srcip_map)?,
        dst_ip_map: maps("--dstip-map", &a.dstip_map)?,
        vlan: a
            .vlan
            .as_deref()
            .map(str::parse::<VlanOp>)
            .transpose()
            .context("--vlan")?,
        fix_checksums: a.fix_checksums,
    })
}

/// Watch SIGINT/SIGTERM on their own thread: the first sets `stop` (the replay ends and
/// reports), a second abandons the run (exit 2, no report).
fn watch_signals(done: Arc<AtomicBool>) -> anyhow::Result<Arc<AtomicBool>> {
    let fd = super::stop_signals()?;
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        while !done.load(Ordering::Relaxed) {
            if matches!(fd.read_signal(), Ok(Some(_))) && s.swap(true, Ordering::Relaxed) {
                let _ = eoutln!("vethbench: error: interrupted twice: replay abandoned, no report");
                std::process::exit(2);
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    });
    Ok(stop)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let timing = timing(&a)?;
    let rewrite = rewrite_spec(&a)?;
    if a.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    if let Some(ns) = &a.netns {
        // Before any lookup or socket: both belong to the thread's namespace.
        link::netns::enter(ns)?;
    }
    let info = link::iface::info(&a.iface)?;
    let p = policy::SendPolicy {
        allow_physical: a.allow_physical,
        require_up: true,
        l2_len: 18,
    };
    policy::check(&info, None, p).map_err(|e| match e {
        e @ policy::NotSendable::Physical { .. } => {
            anyhow::anyhow!("{e}; pass --allow-physical if you mean it")
        }
        policy::NotSendable::Down { iface } => anyhow::anyhow!(
            "interface '{iface}' is down: bring it up with `vethbench link set{} {iface} up`",
            a.netns
                .as_deref()
                .map(|n| format!(" -n {n}"))
                .unwrap_or_default()
        ),
        e => e.into(),
    })?;
    let mut sock = TxSocket::open(&a.iface)?;
    if a.qdisc_bypass {
        sock.set_qdisc_bypass(true)?;
    }
    let reader = super::open_capture(&a.file)?;
    let stdin = a.file == "-";
    let mut src = if a.preload || (stdin && a.loops != 1) {
        Source::preload(reader)
    } else {
        Source::stream(reader, (!stdin).then(|| a.file.clone()))
    };
    let cfg = ReplayConfig {
        file: if stdin {
            "stdin".into()
        } else {
            a.file.clone()
        },
        timing,
        loops: a.loops,
        limit: a.limit,
        rewrite,
        header_src_mac: a.src_mac.unwrap_or(MacAddr(info.mac)),
        header_dst_mac: a.dst_mac.unwrap_or(MacAddr::BROADCAST),
        truncate_to_mtu: a.truncate_to_mtu,
        mtu: info.mtu,
        batch: a.batch.into(),
        catch_up: a.catch_up,
    };
    let done = Arc::new(AtomicBool::new(false));
    let stop = watch_signals(done.clone())?;
    let (report, err) = replay::replay(&mut src, &mut sock, &cfg, &stop);
    done.store(true, Ordering::Relaxed);
    if a.json {
        outln!("{}", report.to_json())?;
    } else {
        outln!("{report}")?;
    }
    if report.kernel_dropped > 0 {
        eoutln!(
            "WARNING: {} frames dropped by the kernel on '{}' (ENOBUFS: larger than the peer's MTU, or the peer's backlog full).",
            report.kernel_dropped, a.iface
        )?;
    }
    match err {
        Some(e) => Err(e.into()),
        None => Ok(ExitCode::SUCCESS),
    }
}

#[cfg(test)]
mod tests {
    use vethbench::replay::{Timing, VlanOp};

    fn args(argv: &[&str]) -> Result<super::Args, clap::Error> {
        let argv: Vec<&str> = ["-i", "vethX"].iter().chain(argv).copied().collect();
        super::super::try_parse_args("replay", &argv)
    }

    /// The timing and the rewrite from the flags, checked without root (no file, no socket).
    #[test]
    fn flags_become_a_timing_and_a_rewrite() {
        let a = args(&[
            "--pps",
            "250k",
            "--vlan",
            "add:100",
            "--srcip-map",
            "10.0.0.0/8:198.18.0.0/15",
            "f.pcap",
        ])
        .unwrap();
        assert!(matches!(super::timing(&a).unwrap(), Timing::Pps(p) if p == 250_000.0));
        let r = super::rewrite_spec(&a).unwrap();
        assert_eq!(r.vlan, Some(VlanOp::Add(100)));
        assert_eq!(r.src_ip_map.len(), 1);
        let a = args(&["f.pcap"]).unwrap();
        assert!(
            matches!(super::timing(&a).unwrap(), Timing::File { multiplier } if multiplier == 1.0)
        );
        assert!(super::rewrite_spec(&a).unwrap().is_empty());
    }

    /// Each refusal of the flags alone, in words, without root.
    #[test]
    fn bad_flags_are_refused_in_words() {
        for (argv, words) in [
            (&["-x", "0", "f"][..], "--multiplier"),
            (&["-x", "nan", "f"][..], "--multiplier"),
            (&["--mbps", "0", "f"][..], "--mbps"),
            (&["--vlan", "add:5000", "f"][..], "--vlan"),
            (&["--vlan", "push:1", "f"][..], "--vlan"),
            (&["--srcip-map", "10.0.0.0/8", "f"][..], "--srcip-map"),
            (
                &["--dstip-map", "10.0.0.0/8:2001:db8::/32", "f"][..],
                "--dstip-map",
            ),
        ] {
            let a = args(argv).unwrap_or_else(|e| panic!("{argv:?}: clap refused: {e}"));
            let e = match (super::timing(&a), super::rewrite_spec(&a)) {
                (Err(e), _) | (_, Err(e)) => format!("{e:#}"),
                _ => panic!("{argv:?} accepted"),
            };
            assert!(e.contains(words), "{argv:?}: {e}");
        }
        // What clap refuses: two timings, a batch out of range.
        for argv in [
            &["--pps", "1k", "--topspeed", "f"][..],
            &["-x", "2", "--pps", "1k", "f"][..],
            &["--batch", "0", "f"][..],
            &["--batch", "2000", "f"][..],
            &["--src-mac", "zz", "f"][..],
        ] {
            assert!(args(argv).is_err(), "{argv:?} accepted");
        }
    }
}
