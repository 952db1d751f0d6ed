//! `vethbench capture`: TPACKET_V3 rings on one or more interfaces into one pcapng/pcap file,
//! or printed like tshark.
//!
//! One thread does everything: it polls every ring and a signalfd (SIGINT/SIGTERM are blocked
//! and read from it, so a signal wakes the poll at once and needs no handler), walks the ready
//! blocks, and appends frames to the writer's 1 MiB buffer (one write(2) per MiB). On a 2-core
//! machine this beats handing frames to a writer thread: no copy into a channel buffer, no
//! wake-ups, and the ring (32 MiB by default) absorbs a slow disk.
//!
//! Every way of stopping (SIGINT, SIGTERM, `-c`, `--duration`) ends the same way: the blocks
//! already filled are drained, the file gets its closing ISBs and is flushed, and the summary
//! goes to stderr.

use std::io::Write;
use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use vethbench::frame::fields::FieldSet;
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc, IfaceStats};
use vethbench::sock::filter;
use vethbench::sock::ring::{Direction, RxConfig, RxRing};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Pcapng,
    Pcap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    /// Tab-separated values of the `-e` fields.
    Fields,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Interfaces to capture on (also -i, repeatable); all go into one file.
    #[arg(value_name = "IFACE")]
    ifaces: Vec<String>,
    /// Interface to capture on (repeatable).
    #[arg(short = 'i', long = "interface", value_name = "IFACE")]
    interface: Vec<String>,
    /// Write frames to FILE (pcapng unless -F pcap; `-` for stdout). Without it, frames are
    /// printed.
    #[arg(short = 'w', long, value_name = "FILE")]
    write: Option<String>,
    /// Stop after N frames.
    #[arg(short = 'c', long, value_name = "N")]
    count: Option<u64>,
    /// Stop after SECS seconds (fractions allowed).
    #[arg(long, value_name = "SECS")]
    duration: Option<f64>,
    /// Capture filter, tcpdump syntax, run in the kernel (needs libpcap at run time).
    #[arg(short = 'f', long, value_name = "FILTER")]
    filter: Option<String>,
    /// Bytes kept per frame. The default keeps whole frames, GSO frames included.
    #[arg(short = 's', long, value_name = "SNAPLEN", default_value_t = 262144)]
    snaplen: u32,
    /// Capture in this named network namespace (like `ip -n`).
    #[arg(short = 'n', long, value_name = "NETNS")]
    pub(crate) netns: Option<String>,
    /// File format.
    #[arg(short = 'F', long = "format", value_enum, default_value_t = FileFormat::Pcapng)]
    format: FileFormat,
    /// Quiet: do not print frames when not writing a file.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Print frames while writing the file.
    #[arg(short = 'P', long)]
    print: bool,
    /// Which frames: in (received, default), out (sent by this host), inout.
    #[arg(long, value_name = "in|out|inout", default_value = "in")]
    direction: Direction,
    /// Output format of printed frames.
    #[arg(short = 'T', value_enum, value_name = "fields")]
    output: Option<OutputKind>,
    /// Field to print with -T fields (repeatable): eth, eth.src, ip.src, tcp.dstport, data...
    #[arg(short = 'e', value_name = "FIELD")]
    fields: Vec<String>,
    /// Ring block size in bytes (a multiple of 4096, larger than the biggest frame).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    block_size: u32,
    /// Number of ring blocks.
    #[arg(long, default_value_t = 32, value_name = "N")]
    blocks: u32,
    /// A partly filled block is delivered after this many ms (1-1000; the kernel keeps it in
    /// 16 bits, and stopping waits for it once).
    #[arg(long, default_value_t = 4, value_name = "MS",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    block_timeout_ms: u32,
}

/// Longest `--duration` (about 31 years).
const MAX_DURATION_S: f64 = 1e9;

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Where printed frames go, and how.
enum Printer {
    None,
    Summary,
    Fields(FieldSet),
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut ifaces = args.ifaces.clone();
    ifaces.extend(args.interface.iter().cloned());
    if ifaces.is_empty() {
        anyhow::bail!("no interface given (capture IFACE... or -i IFACE)");
    }
    if args.snaplen == 0 {
        anyhow::bail!("-s 0 is not a snaplen: leave -s out to keep whole frames");
    }
    if let Some(d) = args.duration {
        // The upper bound keeps `Instant + Duration` from overflowing (a panic otherwise).
        if !(d.is_finite() && d > 0.0 && d <= MAX_DURATION_S) {
            anyhow::bail!("--duration {d}: expected a positive number of seconds, at most 1e9");
        }
    }
    let printer = match (args.output, args.fields.is_empty()) {
        (Some(OutputKind::Fields), _) => Printer::Fields(FieldSet::parse(&args.fields)?),
        (None, false) => anyhow::bail!("-e needs -T fields"),
        (None, true) => Printer::Summary,
    };
    if args.print && args.write.as_deref() == Some("-") {
        anyhow::bail!("-P with -w -: the file already goes to stdout");
    }
    let printer = if (args.write.is_some() && !args.print) || (args.write.is_none() && args.quiet) {
        Printer::None
    } else {
        printer
    };

    if let Some(ns) = &args.netns {
        vethbench::link::netns::enter(ns)?;
    }
    // Block the stop signals before anything else: read from a signalfd in the poll loop.
    let sigfd = super::stop_signals()?;

    // Check every interface exists (and open its ring) before creating the file.
    for i in &ifaces {
        vethbench::sock::ifindex(i)?;
    }
    let prog = match &args.filter {
        Some(f) => Some(filter::compile(f, args.snaplen)?),
        None => None,
    };
    let descs: Vec<IfaceDesc> = ifaces
        .iter()
        .map(|name| IfaceDesc {
            name: name.clone(),
            snaplen: args.snaplen,
            filter: args.filter.clone(),
        })
        .collect();
    let format = match args.format {
        FileFormat::Pcapng => Format::Pcapng,
        FileFormat::Pcap => Format::Pcap,
    };
    let cfg = RxConfig {
        block_size: args.block_size,
        block_count: args.blocks,
        frame_size: 2048,
        block_timeout_ms: args.block_timeout_ms,
        direction: args.direction,
        filter: prog,
    };
    let mut rings = Vec::with_capacity(ifaces.len());
    for i in &ifaces {
        rings.push(RxRing::open(i, &cfg)?);
    }
    let mut writer = match args.write.as_deref() {
        // `-w -`: the file goes to stdout (e.g. `| tshark -r -`), as with tcpdump and tshark.
        Some("-") => {
            let fd = std::io::stdout()
                .as_fd()
                .try_clone_to_owned()
                .context("duplicating stdout")?;
            Some(CaptureWriter::new(
                std::fs::File::from(fd),
                "stdout",
                format,
                &descs,
            )?)
        }
        Some(path) => Some(CaptureWriter::create(path, format, &descs)?),
        None => None,
    };

    let start_ns = now_ns();
    let quoted: Vec<String> = ifaces.iter().map(|i| format!("'{i}'")).collect();
    eprintln!("Capturing on {}", quoted.join(" and "));

    let deadline = args
        .duration
        .map(|d| Instant::now() + Duration::from_secs_f64(d));
    let limit = args.count.unwrap_or(u64::MAX);
    let snaplen = args.snaplen as usize;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let mut line = String::with_capacity(512);
    let mut captured: u64 = 0;
    let mut first_ts: Option<u64> = None;
    let mut failure: Option<anyhow::Error> = None;
    let mut stdout_gone = false;
    let mut last_flush = Instant::now();
    let mut gone: Option<String> = None;

    // Process every ready block of every ring. Returns frames seen in this pass.
    let mut drain = |rings: &mut [RxRing],
                     writer: &mut Option<CaptureWriter<std::fs::File>>,
                     captured: &mut u64,
                     failure: &mut Option<anyhow::Error>,
                     stdout_gone: &mut bool|
     -> usize {
        let mut seen = 0;
        for (idx, ring) in rings.iter_mut().enumerate() {
            seen += ring.for_each_limited(usize::MAX, &mut |f| {
                if *captured >= limit || failure.is_some() {
                    return;
                }
                *captured += 1;
                let data = &f.data()[..f.data().len().min(snaplen)];
                if let Some(w) = writer.as_mut() {
                    let mut flags = EpbFlags::from_pkttype(f.pkttype());
                    if f.csum_valid() {
                        flags.0 |= EpbFlags::CSUM_VALID;
                    }
                    if f.gso_tcp() {
                        flags.0 |= EpbFlags::TCP_SEGMENTATION_OFFLOADED;
                    }
                    if let Err(e) = w.write_frame(
                        idx as u32,
                        f.ts_ns(),
                        data,
                        f.wire_len(),
                        flags,
                        f.csum_not_ready(),
                    ) {
                        *failure = Some(e.into());
                        return;
                    }
                }
                if *stdout_gone {
                    return;
                }
                line.clear();
                match &printer {
                    Printer::None => return,
                    Printer::Fields(fs) => fs.write_line(&mut line, data, f.wire_len(), f.ts_ns()),
                    Printer::Summary => {
                        let t0 = *first_ts.get_or_insert(f.ts_ns());
                        let rel = f.ts_ns().saturating_sub(t0);
                        use std::fmt::Write as _;
                        let _ = write!(
                            line,
                            "{:>5} {:>4}.{:09} ",
                            *captured,
                            rel / 1_000_000_000,
                            rel % 1_000_000_000
                        );
                        vethbench::frame::write_summary(&mut line, data);
                    }
                }
                line.push('\n');
                if out.write_all(line.as_bytes()).is_err() {
                    *stdout_gone = true;
                }
            });
        }
        if seen > 0 && out.flush().is_err() {
            *stdout_gone = true;
        }
        seen
    };

    loop {
        drain(
            &mut rings,
            &mut writer,
            &mut captured,
            &mut failure,
            &mut stdout_gone,
        );
        if captured >= limit || failure.is_some() || stdout_gone {
            break;
        }
        // Push the buffer out now and then: readers of the growing file see frames, and a
        // full disk is reported within a fraction of a second, not at the next MiB.
        if last_flush.elapsed() >= Duration::from_millis(250) {
            last_flush = Instant::now();
            if let Some(w) = writer.as_mut() {
                if let Err(e) = w.flush() {
                    failure = Some(e.into());
                    break;
                }
            }
        }
        let mut timeout = Duration::from_millis(200);
        if let Some(d) = deadline {
            let now = Instant::now();
            if now >= d {
                break;
            }
            timeout = timeout.min(d - now);
        }
        let mut fds: Vec<PollFd<'_>> = Vec::with_capacity(rings.len() + 1);
        fds.push(PollFd::new(sigfd.as_fd(), PollFlags::POLLIN));
        for r in &rings {
            fds.push(PollFd::new(
                r.as_fd(),
                PollFlags::POLLIN | PollFlags::POLLERR,
            ));
        }
        let ms = timeout.as_millis().max(1) as u16;
        match poll(&mut fds, PollTimeout::from(ms)) {
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => return Err(anyhow::Error::from(e).context("poll")),
        }
        let signalled = fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLIN));
        let errored: u64 = fds[1..].iter().enumerate().fold(0, |m, (i, fd)| {
            let bad = PollFlags::POLLERR | PollFlags::POLLHUP | PollFlags::POLLNVAL;
            if fd.revents().is_some_and(|r| r.intersects(bad)) {
                m | (1 << i.min(63))
            } else {
                m
            }
        });
        drop(fds);
        if signalled {
            let _ = sigfd.read_signal();
            break;
        }
        if errored != 0 {
            // A link that went down only reports ENETDOWN (cleared, capture goes on); a link
            // that is gone ends the capture, file completed, with an error.
            for (i, r) in rings.iter_mut().enumerate() {
                if errored & (1 << i.min(63)) != 0 {
                    let _ = r.take_error();
                    if !r.iface_exists() {
                        gone = Some(r.iface().to_string());
                    }
                }
            }
            if gone.is_some() {
                break;
            }
        }
    }
    // Frames that arrived before the stop may sit in a block the kernel has not retired yet:
    // wait for the block timeout once, then take them.
    if captured < limit && failure.is_none() {
        std::thread::sleep(Duration::from_millis(args.block_timeout_ms as u64 * 2 + 2));
        drain(
            &mut rings,
            &mut writer,
            &mut captured,
            &mut failure,
            &mut stdout_gone,
        );
    }
    let end_ns = now_ns();
    let mut received = 0;
    let mut dropped = 0;
    let mut stats = Vec::with_capacity(rings.len());
    for r in &mut rings {
        let st = r.stats()?;
        received += st.packets;
        dropped += st.drops;
        stats.push(IfaceStats {
            start_ns,
            end_ns,
            received: st.packets,
            dropped: st.drops,
        });
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(w) = writer {
        w.finish(&stats)?;
    }
    let _ = out.flush();
    drop(out);
    eprintln!("{captured} packets captured");
    eprintln!("{received} packets received by filter");
    eprintln!("{dropped} packets dropped by kernel");
    if let Some(iface) = gone {
        anyhow::bail!("interface '{iface}' disappeared during the capture (file completed)");
    }
    Ok(ExitCode::SUCCESS)
}
