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
//!
//! Two filters, as tcpdump and tshark take them: a capture filter after the file (tcpdump
//! syntax, compiled by libpcap as `capture`'s, run in user space by the classic-BPF
//! interpreter of [`vethbench::sock::filter`]): frames it rejects are as if never captured
//! (not numbered, not counted by `-c` or `-z`); and `-Y`, Wireshark's display filter
//! ([`vethbench::frame::filter`]): frames it rejects keep their numbers and are counted by `-c`
//! and `-z`, but are not printed, as tshark does. `-r FILE` is tshark's and tcpdump's spelling.

use std::io::Write;
use std::process::ExitCode;

use super::capture::PrintFlags;

const LINKTYPE_ETHERNET: u16 = 1;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pcapng or pcap file (`-` for stdin), then optionally a capture filter in tcpdump
    /// syntax, as `tcpdump -r FILE EXPR` takes it (`read f.pcapng tcp port 80`): frames it
    /// rejects are left out as if never captured (needs libpcap at run time).
    #[arg(value_name = "FILE [FILTER]")]
    words: Vec<String>,
    /// The file to read (tshark's and tcpdump's -r); then every positional word is the
    /// capture filter.
    #[arg(short = 'r', long = "read-file", value_name = "FILE")]
    read_file: Option<String>,
    /// Display filter, Wireshark's language (tshark's -Y): `tcp.port == 80`, `ip.src ==
    /// 198.18.0.0/15 && !arp`, `udp.port in {53, 8000..8080}`. Frames it rejects are not
    /// printed (they keep their numbers; -c and -z count them, as tshark's do).
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
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

/// The file and the capture filter (if any) from `-r` and the positional words.
fn file_and_filter(args: &Args) -> anyhow::Result<(String, Option<String>)> {
    let (file, rest) = match (&args.read_file, args.words.split_first()) {
        (Some(f), _) => (f.clone(), &args.words[..]),
        (None, Some((f, rest))) => (f.clone(), rest),
        (None, None) => anyhow::bail!("no file given (read FILE [FILTER], or -r FILE)"),
    };
    let filter = rest.join(" ");
    Ok((file, (!filter.trim().is_empty()).then_some(filter)))
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let printer = args.print_flags.printer(args.print_summary)?;
    if args.count == Some(0) {
        anyhow::bail!("-c 0 would read nothing: give a count of at least 1");
    }
    let (file, bpf) = file_and_filter(&args)?;
    let display = args
        .display_filter
        .as_deref()
        .map(|y| {
            vethbench::frame::filter::Filter::parse(y).map_err(|e| anyhow::anyhow!("-Y '{y}': {e}"))
        })
        .transpose()?;
    let bpf = bpf
        .map(|b| vethbench::sock::filter::compile_for_file(&b, u32::MAX >> 1))
        .transpose()?;
    let mut stats = vethbench::stats::Stats::new(
        args.stats
            .iter()
            .map(|z| vethbench::stats::Stat::parse(z))
            .collect::<Result<_, _>>()?,
    );
    let mut r = super::open_capture(&file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let limit = args.count.unwrap_or(u64::MAX);
    let mut n: u64 = 0;
    let mut first_ts = None;
    let mut printed: u64 = 0;
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
        if let Some(b) = &bpf {
            // A capture filter: compiled for Ethernet, it keeps nothing of other link types.
            if f.linktype != LINKTYPE_ETHERNET || !b.matches(f.data, f.orig_len) {
                continue;
            }
        }
        n += 1;
        let t0 = *first_ts.get_or_insert(f.ts_ns);
        if !stats.is_empty() && f.linktype == LINKTYPE_ETHERNET {
            stats.add(
                f.data,
                f.orig_len,
                u64::try_from(f.ts_ns).unwrap_or(u64::MAX),
            );
        }
        let iface = f.idb.map(|i| vethbench::frame::fields::IfaceInfo {
            id: f.iface,
            name: i.name.as_deref(),
            description: i.description.as_deref(),
            several: f.interfaces > 1,
        });
        if let Some(y) = &display {
            let meta = vethbench::frame::filter::FrameMeta {
                number: n,
                ts_ns: f.ts_ns_u64(),
                t0_ns: u64::try_from(t0).unwrap_or(u64::MAX),
                wire_len: f.orig_len,
                interface_id: iface.map(|i| i.id),
                interface_name: iface.and_then(|i| i.name),
                interface_description: iface.and_then(|i| i.description),
            };
            // Other link types are not decoded: only the frame.* fields could match.
            let data = if f.linktype == LINKTYPE_ETHERNET {
                f.data
            } else {
                &[]
            };
            if !y.matches(data, &meta) {
                continue;
            }
        }
        if args.quiet {
            // -q: no frame printed.
        } else if f.linktype != LINKTYPE_ETHERNET && !printer.decodes_any_encap() {
            // Not decoded (e.g. Linux cooked capture from `tcpdump -i any`): say so per frame.
            use std::fmt::Write as _;
            let _ = writeln!(
                line,
                "{n:>5} link type {} is not decoded ({} bytes)",
                f.linktype,
                f.data.len()
            );
        } else {
            // -T fields / -T json: frame.* always, raw IP and cooked frames from their IP.
            let info = vethbench::frame::fields::FrameInfo {
                number: n,
                ts_ns: f.ts_ns,
                t0_ns: t0,
                wire_len: f.orig_len,
                iface,
                encap: vethbench::frame::view::Encap::from_linktype(f.linktype),
            };
            printer.write_record(&mut line, printed == 0, f.data, &info);
            printed += 1;
        }
        if let Err(e) = out.write_all(line.as_bytes()) {
            return super::stdout_result(e);
        }
        line.clear();
    }
    if !args.quiet {
        line.push_str(&printer.footer(printed));
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
