//! `vethbench send 'EXPR'`: the frame as a Scapy expression (issue 10), and `-w FILE`.
//!
//! The expression is parsed and built once, with the interface's MAC and addresses as the
//! defaults Scapy would find; `fragment()` (or `--fragment N`) gives several frames, sent in
//! order, `--count` times.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use vethbench::frame::expr::{self, Expr, ExprError, IfaceEnv};
use vethbench::frame::{self, FrameTemplate, MacAddr};
use vethbench::link;
use vethbench::link::policy::{self, SendPolicy};
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc, IfaceStats};
use vethbench::sock::tx::{BurstSpec, TxSocket};

use super::{check_count_rate, refusal, warn_dropped, Args};

/// An expression error on one line, with the expression: `EXPR: column N: msg`.
fn expr_error(src: &str, e: ExprError) -> anyhow::Error {
    anyhow::anyhow!("{}: {e}", src.trim())
}

/// The length of the link-layer headers the MTU does not count: Ether and its VLAN tags.
fn l2_len(e: &Expr) -> usize {
    let mut names = e.layers.iter().map(|l| l.name.as_str());
    if names.next() != Some("Ether") {
        return 14;
    }
    14 + 4 * names
        .take_while(|n| matches!(*n, "Dot1Q" | "Dot1AD"))
        .count()
}

/// Scapy warns when it has no neighbour entry for an IP destination and uses broadcast.
fn broadcast_warning(e: &Expr) -> bool {
    let mut it = e.layers.iter().skip_while(|l| l.name != "Ether");
    let Some(ether) = it.next() else {
        return false;
    };
    !ether.fields.iter().any(|f| f.name == "dst")
        && it
            .find(|l| !matches!(l.name.as_str(), "Dot1Q" | "Dot1AD"))
            .is_some_and(|l| matches!(l.name.as_str(), "IP" | "IPv6"))
}

pub(super) fn run(a: &Args, src: &str) -> anyhow::Result<ExitCode> {
    let mut e = expr::parse(src).map_err(|err| expr_error(src, err))?;
    if let Some(n) = a.fragment {
        if e.fragsize.is_some() {
            bail!("--fragment and fragment() in the expression: give one of them");
        }
        e.fragsize = Some(n.into());
    }
    // Frames go on the link as built (Scapy's sendp): a packet without its Ethernet header
    // would be sent (and shown, and written) as garbage, its IP header read as MAC addresses.
    if let Some(first) = e.layers.first().filter(|l| l.name != "Ether") {
        bail!(
            "{}: the frame starts with {}, not Ether: send puts frames on the link as they are \
             (Scapy's sendp, not send); write Ether(dst=...)/{}(...)",
            src.trim(),
            first.name,
            first.name
        );
    }
    check_count_rate(a)?;
    if let Some(ns) = &a.netns {
        link::netns::enter(ns)?;
    }
    let info = a.iface.as_deref().map(link::iface::info).transpose()?;
    let env = match &info {
        Some(i) => IfaceEnv {
            mac: Some(MacAddr(i.mac)),
            addrs: link::addr::of_iface(i.ifindex)?,
        },
        None => IfaceEnv::default(),
    };
    let frames = e.build_with(&env).map_err(|err| expr_error(src, err))?;
    if frames.is_empty() {
        bail!(
            "{}: builds no frame (fragment() of an empty IP payload)",
            src.trim()
        );
    }
    if let Some(info) = &info {
        let longest = frames.iter().map(Vec::len).max().unwrap_or(0);
        let l2 = l2_len(&e);
        let checked = if a.dry_run {
            policy::check_fits(info, longest, l2)
        } else {
            let p = SendPolicy {
                allow_physical: a.allow_physical,
                require_up: true,
                l2_len: l2,
            };
            policy::check(info, Some(longest), p)
        };
        checked.map_err(|err| refusal(err, a.netns.as_deref()))?;
    }
    if let Some(path) = &a.write {
        write_frames(path, &frames)?;
    }
    let mut sock = if a.dry_run {
        None
    } else {
        let iface = a.iface.as_deref().context("--iface is required to send")?;
        if let Some(cpu) = a.cpu {
            vethbench::sys::cpu::pin_current_thread(cpu)
                .map_err(|err| anyhow::anyhow!("invalid configuration: {err}"))?;
        }
        let sock = TxSocket::open(iface)?;
        if a.qdisc_bypass {
            sock.set_qdisc_bypass(true)?;
        }
        Some(sock)
    };
    if broadcast_warning(&e) {
        eprintln!("WARNING: Mac address to reach destination not found. Using broadcast.");
    }
    for f in &frames {
        if !a.quiet {
            print!("{}", frame::show(f));
        }
        if a.hex {
            print!("{}", frame::hexdump(f));
        }
    }
    let total = a.count * frames.len() as u64;
    let Some(sock) = sock.as_mut() else {
        println!("Dry run: {total} packets built, none sent.");
        return Ok(ExitCode::SUCCESS);
    };
    if frames.len() == 1 && a.count > 1 {
        let tmpl = FrameTemplate::from_bytes(frames[0].clone());
        let burst = BurstSpec {
            count: a.count,
            rate_pps: a.rate,
            batch: a.batch.into(),
        };
        let stats = sock.send_burst(&tmpl, &burst)?;
        println!("Sent {} packets.", stats.sent);
        println!(
            "{} packets in {:.3} s: {:.0} pps, {:.1} Mbit/s",
            stats.sent,
            stats.elapsed.as_secs_f64(),
            stats.pps(),
            stats.pps() * tmpl.len() as f64 * 8.0 / 1e6
        );
        warn_dropped(sock);
        return Ok(ExitCode::SUCCESS);
    }
    // One frame once, or a sequence of fragments: in order, paced per frame if asked.
    let start = Instant::now();
    let gap = a.rate.map(|r| Duration::from_secs_f64(1.0 / r));
    let mut sent = 0u64;
    for _ in 0..a.count {
        for f in &frames {
            if let Some(gap) = gap {
                let due = start + gap.mul_f64(sent as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            sock.send(f)?;
            sent += 1;
        }
    }
    println!(
        "{}\nSent {sent} packets.",
        ".".repeat(sent.min(80) as usize)
    );
    warn_dropped(sock);
    Ok(ExitCode::SUCCESS)
}

/// `-w FILE`: the frames to a capture file, classic pcap for `.pcap`, else pcapng, stamped
/// with the current time as Scapy's `wrpcap` does.
pub(super) fn write_frames(path: &Path, frames: &[Vec<u8>]) -> anyhow::Result<()> {
    let name = path.to_string_lossy();
    let format = if path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("pcap"))
    {
        Format::Pcap
    } else {
        Format::Pcapng
    };
    let desc = IfaceDesc {
        name: "vethbench send".into(),
        snaplen: 262_144,
        filter: None,
    };
    let mut w = CaptureWriter::create(&name, format, &[desc]).context("-w")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    for f in frames {
        w.write_frame(0, now, f, f.len() as u32, EpbFlags::default(), false)
            .context("-w")?;
    }
    w.finish(&[IfaceStats {
        start_ns: now,
        end_ns: now,
        ..IfaceStats::default()
    }])
    .context("-w")?;
    Ok(())
}
