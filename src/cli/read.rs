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
//!
//! IP fragments are reassembled as tshark does by default ([`vethbench::frame::reassembly`]):
//! every printer and `-Y` get the bytes reassembly hands over (the completing frame's headers
//! and the whole datagram) with what it knows; `-o ip.defragment:FALSE` / `-o
//! ipv6.defragment:FALSE` turn it off, `-2` reads the file twice so fragments name the frame
//! that completes them. `-z` counts frames as they are.

use std::io::Write;
use std::process::ExitCode;

use super::capture::PrintFlags;
use vethbench::frame::reassembly::{Prefs, Reassembler};
use vethbench::frame::view::Encap;

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
    /// A tshark preference, `NAME:VALUE` (repeatable): `ip.defragment:FALSE` and
    /// `ipv6.defragment:FALSE` turn reassembly off (both TRUE by default, as tshark's);
    /// `tcp.relative_sequence_numbers:FALSE` and `tcp.analyze_sequence_numbers:FALSE` are what
    /// vethbench does anyway. Any other is refused.
    #[arg(short = 'o', value_name = "NAME:VALUE")]
    prefs: Vec<String>,
    /// Two passes, as tshark's -2: the file is read twice, so a fragment that reassembly holds
    /// names the frame that completes its datagram (`[Reassembled in #N]`, `ip.reassembled_in`).
    #[arg(short = '2')]
    two_pass: bool,
    #[command(flatten)]
    print_flags: PrintFlags,
}

/// The reassembly preferences from `-o NAME:VALUE` (tshark's spelling: TRUE/FALSE in any case).
fn reassembly_prefs(prefs: &[String]) -> anyhow::Result<Prefs> {
    let mut p = Prefs::default();
    for o in prefs {
        let Some((name, value)) = o.split_once(':') else {
            anyhow::bail!("-o '{o}': not NAME:VALUE (e.g. -o ip.defragment:FALSE)");
        };
        let on = match value.trim().to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            _ => anyhow::bail!("-o '{o}': the value is TRUE or FALSE"),
        };
        match name.trim() {
            "ip.defragment" => p.ipv4 = on,
            "ipv6.defragment" => p.ipv6 = on,
            "tcp.relative_sequence_numbers" | "tcp.analyze_sequence_numbers" if !on => {}
            "tcp.relative_sequence_numbers" => anyhow::bail!(
                "-o '{o}': vethbench prints raw sequence numbers only (tshark's -o {name}:FALSE)"
            ),
            "tcp.analyze_sequence_numbers" => {
                anyhow::bail!("-o '{o}': vethbench does no TCP sequence analysis")
            }
            _ => anyhow::bail!(
                "-o '{o}': not a preference vethbench knows (ip.defragment, ipv6.defragment, \
                 tcp.relative_sequence_numbers, tcp.analyze_sequence_numbers)"
            ),
        }
    }
    Ok(p)
}

/// A first pass over the file (`-2`): which frame completes each fragment's datagram.
fn first_pass(
    file: &str,
    prefs: Prefs,
    bpf: Option<&vethbench::sock::filter::BpfProgram>,
    limit: u64,
) -> anyhow::Result<std::collections::HashMap<u64, u64>> {
    if file == "-" {
        anyhow::bail!("-2 reads the file twice: give a file, not stdin");
    }
    let mut r = super::open_capture(file)?;
    let mut re = Reassembler::new(prefs).recording();
    let mut n = 0u64;
    while n < limit {
        let Some(f) = r.next() else { break };
        let f = f?;
        if let Some(b) = bpf {
            if f.linktype != LINKTYPE_ETHERNET || !b.matches(f.data, f.orig_len) {
                continue;
            }
        }
        n += 1;
        re.add(n, f.data, Encap::from_linktype(f.linktype));
    }
    Ok(re.completions())
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
    let limit = args.count.unwrap_or(u64::MAX);
    let prefs = reassembly_prefs(&args.prefs)?;
    let mut reasm = Reassembler::new(prefs);
    if args.two_pass && !reasm.is_off() {
        reasm = reasm.with_completions(first_pass(&file, prefs, bpf.as_ref(), limit)?);
    }
    let mut r = super::open_capture(&file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
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
        let encap = Encap::from_linktype(f.linktype);
        // A fragment: the bytes to walk (a completed datagram's headers and payload) and what
        // reassembly knows of it; nothing is done (or allocated) for other frames.
        let (data, defrag) = match reasm.add(n, f.data, encap) {
            Some((walk, d)) => (walk, Some(d)),
            None => (f.data, None),
        };
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
                defrag: defrag.filter(|_| f.linktype == LINKTYPE_ETHERNET),
            };
            // Other link types are not decoded: only the frame.* fields could match.
            let data = if f.linktype == LINKTYPE_ETHERNET {
                data
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
                encap,
                defrag,
            };
            printer.write_record(&mut line, printed == 0, data, &info);
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
