//! `vethbench read FILE`: print the frames of a pcapng or pcap file, like `tshark -r`.
//!
//! One line per frame by default (`frame::summary`), `-V` for a per-layer dump
//! (`frame::show`), `-x` for tshark's hex dump, `--link-header` for tcpdump's `-e`,
//! `-T fields -e ...` for tshark-style fields, `-T json` for tshark's JSON, `-c N` to stop
//! early: the printing flags and the printer are `capture`'s ([`PrintFlags`], `Printer`). A
//! truncated or corrupt file prints every good frame, then fails (exit 2) naming the byte
//! offset of the bad block. The text forms decode Ethernet (link type 1) only: frames of
//! other link types get a one-line note; `-T fields` and `-T json` give every frame its
//! `frame.*` fields and decode raw IP (101, 228, 229) and Linux cooked captures (113, 276)
//! from their IP header, as tshark does.

use std::io::Write;
use std::process::ExitCode;

use super::capture::PrintFlags;

const LINKTYPE_ETHERNET: u16 = 1;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pcapng or pcap file (`-` for stdin).
    #[arg(value_name = "FILE")]
    file: String,
    /// With -x: print the one-line summary too (tshark's -P).
    #[arg(short = 'P')]
    print_summary: bool,
    /// Stop after N frames.
    #[arg(short = 'c', long, value_name = "N")]
    count: Option<u64>,
    /// Statistics after the frames, as tshark's `-z`: conv,ip|ipv6|tcp|udp,
    /// endpoints,ip|ipv6|tcp|udp, io,phs, io,stat,INTERVAL[,FILTER]... (repeatable; printed
    /// last first, as tshark does).
    #[arg(short = 'z', value_name = "STAT")]
    stats: Vec<String>,
    /// Print no frames (tshark's -q): with -z, only the statistics.
    #[arg(short = 'q')]
    quiet: bool,
    /// Print the -z statistics as one JSON array instead of tshark's tables.
    #[arg(long, requires = "stats")]
    json: bool,
    #[command(flatten)]
    print_flags: PrintFlags,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let printer = args.print_flags.printer(args.print_summary)?;
    if args.count == Some(0) {
        anyhow::bail!("-c 0 would read nothing: give a count of at least 1");
    }
    let mut stats = vethbench::stats::Stats::new(
        args.stats
            .iter()
            .map(|z| vethbench::stats::Stat::parse(z))
            .collect::<Result<_, _>>()?,
    );
    let mut r = super::open_capture(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let limit = args.count.unwrap_or(u64::MAX);
    let mut n: u64 = 0;
    let mut first_ts = None;
    let mut line = printer.header();
    while n < limit {
        let f = match r.next() {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                let _ = out.write_all(line.as_bytes());
                let _ = out.flush();
                return Err(e.into());
            }
        };
        n += 1;
        if !stats.is_empty() && f.linktype == LINKTYPE_ETHERNET {
            stats.add(
                f.data,
                f.orig_len,
                u64::try_from(f.ts_ns).unwrap_or(u64::MAX),
            );
        }
        if args.quiet {
            // -q: no frame printed.
        } else if f.linktype != LINKTYPE_ETHERNET && printer.decodes_any_encap() {
            // -T fields / -T json: frame.* always, raw IP and cooked frames from their IP.
            let encap = vethbench::frame::view::Encap::from_linktype(f.linktype);
            printer.write_frame_encap(
                &mut line,
                n,
                encap,
                f.data,
                f.ts_ns,
                f.orig_len,
                &mut first_ts,
            );
        } else if f.linktype != LINKTYPE_ETHERNET {
            // Not decoded (e.g. Linux cooked capture from `tcpdump -i any`): say so per frame.
            use std::fmt::Write as _;
            let _ = writeln!(
                line,
                "{n:>5} link type {} is not decoded ({} bytes)",
                f.linktype,
                f.data.len()
            );
        } else {
            printer.write_frame(&mut line, n, f.data, f.ts_ns, f.orig_len, &mut first_ts);
        }
        if let Err(e) = out.write_all(line.as_bytes()) {
            return super::stdout_result(e);
        }
        line.clear();
    }
    if !args.quiet {
        line.push_str(&printer.footer(u64::from(first_ts.is_some())));
    }
    if args.json {
        line.push_str(&stats.json().to_string());
        line.push('\n');
    } else {
        stats.write_text(&mut line);
    }
    match out.write_all(line.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => super::stdout_result(e),
    }
}
