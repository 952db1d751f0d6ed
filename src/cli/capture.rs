//! `vethbench capture`: flags → a checked [`CaptureSpec`] and [`Printer`] → the library's
//! capture engine ([`vethbench::capture`]), which drains TPACKET_V3 rings on one or more
//! interfaces into one pcapng/pcap file, or prints frames like tshark.
//!
//! SIGINT/SIGTERM are blocked and read from a signalfd the engine polls, so a signal wakes it
//! at once and needs no handler. Every way of stopping (SIGINT, SIGTERM, `-c`, `--duration`)
//! ends the same way: the blocks already filled are drained, the file gets its closing ISBs
//! and is flushed, and the summary goes to stderr.

use std::os::fd::AsFd;
use std::process::ExitCode;
use std::time::Duration;

use std::io::Write as _;

use vethbench::capture::print::TextStyle;
use vethbench::capture::{Capture, CaptureError, CaptureSpec, Output, Printer};
use vethbench::frame::fields::FieldFormat;
use vethbench::pcapng::Format;
use vethbench::sock::ring::Direction;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Pcapng,
    Pcap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputKind {
    /// Tab-separated values of the `-e` fields (tshark's -T fields).
    Fields,
    /// tshark's -T json: every layer and field, or only the `-e` fields.
    Json,
}

/// How frames are printed: the flags `capture` and `read` share (tshark's and tcpdump's).
#[derive(Debug, Clone, clap::Args)]
pub struct PrintFlags {
    /// Per-layer dump of every frame (Scapy's show()) after its line. -v is the same here:
    /// tcpdump's -v (more header fields on the one line) has no equivalent.
    #[arg(short = 'V', long, short_alias = 'v')]
    verbose: bool,
    /// Hex and ASCII dump of every frame, as `tshark -x` prints it: alone, or after the line
    /// (and the -V dump) with -P or -V.
    #[arg(short = 'x')]
    hex: bool,
    /// tcpdump's -X: the line, then the hex and ASCII dump (-x -P).
    #[arg(short = 'X')]
    hex_line: bool,
    /// tcpdump's -e: the link-level header (MACs, EtherType, length) after the time on each
    /// line. (-e here is tshark's -e FIELD.)
    #[arg(long = "link-header", visible_alias = "ether")]
    link_header: bool,
    /// Output format: fields (with -e), json (tshark's -T json; with -e, its -e form).
    #[arg(short = 'T', value_enum, value_name = "fields|json")]
    output: Option<OutputKind>,
    /// Field to print with -T fields or -T json (repeatable): eth, eth.src, ip.src,
    /// tcp.dstport, frame.number, data... (tshark's -e; tcpdump's -e is --link-header).
    #[arg(short = 'e', value_name = "FIELD")]
    fields: Vec<String>,
    /// tshark's -E for -T fields: `header=y`, `separator=,` (or `/t`, `/s`), `quote=d|s|n`
    /// (repeatable).
    #[arg(short = 'E', value_name = "OPT=VALUE")]
    field_opts: Vec<String>,
}

impl PrintFlags {
    /// The printer these flags ask for; `line`: print the summary line with -x (-P).
    pub(crate) fn printer(&self, line: bool) -> anyhow::Result<Printer> {
        let text = self.verbose || self.hex || self.hex_line || self.link_header;
        if !self.field_opts.is_empty() && self.output != Some(OutputKind::Fields) {
            anyhow::bail!("-E needs -T fields");
        }
        if let Some(kind) = self.output {
            if text {
                anyhow::bail!(
                    "-T {}: -V, -v, -x, -X and --link-header print text, not with -T",
                    if kind == OutputKind::Json {
                        "json"
                    } else {
                        "fields"
                    }
                );
            }
        }
        Ok(match self.output {
            Some(OutputKind::Fields) => {
                let fmt = FieldFormat::parse(&self.field_opts).map_err(super::frame_flags)?;
                Printer::fields_with(&self.fields, fmt).map_err(super::frame_flags)?
            }
            Some(OutputKind::Json) => Printer::json(&self.fields).map_err(super::frame_flags)?,
            None if !self.fields.is_empty() => anyhow::bail!(
                "-e FIELD needs -T fields or -T json (tshark's -e); tcpdump's -e (the \
                 link-level header) is --link-header"
            ),
            None => {
                let hex = self.hex || self.hex_line;
                Printer::Text(TextStyle {
                    summary: !hex || line || self.hex_line || self.verbose,
                    link_header: self.link_header,
                    verbose: self.verbose,
                    hex,
                })
            }
        })
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Interfaces to capture on (also -i, repeatable); all go into one file. A capture filter
    /// may follow them as tcpdump takes it (`capture vethY tcp port 2222`): the words from the
    /// first filter keyword on are the filter (same as -f).
    #[arg(value_name = "IFACE [FILTER]")]
    ifaces: Vec<String>,
    /// Interface to capture on (repeatable): IFACE, or NS:IFACE for one in another namespace
    /// (a name in /run/netns, a path such as /proc/PID/ns/net, or pid:PID), e.g.
    /// `-i net1:veth1 -i net2:veth2`: one file, one interface block each, frames in time order.
    /// `any` (or NS:any): every interface of the namespace, one interface block each.
    #[arg(short = 'i', long = "interface", value_name = "[NS:]IFACE")]
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
    /// tshark's autostop: `-a duration:SECS` or `-a packets:N` (repeatable; the first reached
    /// stops), the same as --duration and -c.
    #[arg(short = 'a', long = "autostop", value_name = "COND:VALUE")]
    autostop: Vec<String>,
    /// List the interfaces that can be captured on, in this namespace (or -n NS), like
    /// `tcpdump -D`, and exit.
    #[arg(short = 'D', long = "list-interfaces")]
    list_interfaces: bool,
    /// Capture filter, tcpdump syntax, run in the kernel (needs libpcap at run time).
    #[arg(short = 'f', long, value_name = "FILTER")]
    filter: Option<String>,
    /// Display filter, Wireshark's language (tshark's -Y), run on what the kernel's filter
    /// kept: frames it rejects are not written or printed (nor counted by -c); the summary
    /// counts them as filtered.
    #[arg(short = 'Y', long = "display-filter", value_name = "FILTER")]
    display_filter: Option<String>,
    /// Bytes kept per frame. The default (and 0, as with tcpdump) keeps whole frames, GSO
    /// frames included.
    #[arg(short = 's', long, value_name = "SNAPLEN", default_value_t = WHOLE_FRAMES)]
    snaplen: u32,
    /// Capture in this network namespace (like `ip -n`): a name in /run/netns, a path
    /// (/proc/PID/ns/net) or pid:PID. Interfaces written NS:IFACE are in their own.
    #[arg(short = 'n', long, value_name = "NETNS")]
    pub(crate) netns: Option<String>,
    /// File format.
    #[arg(short = 'F', long = "format", value_enum, default_value_t = FileFormat::Pcapng)]
    format: FileFormat,
    /// Quiet: do not print frames when not writing a file.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Print frames while writing the file; with -x, print the line too (as tshark's -P).
    #[arg(short = 'P', long)]
    print: bool,
    /// Which frames: in (received, default), out (sent by this host), inout.
    #[arg(long, value_name = "in|out|inout", default_value = "in")]
    direction: Direction,
    #[command(flatten)]
    print_flags: PrintFlags,
    /// Ring block size in bytes (a multiple of 4096, larger than the biggest frame).
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    block_size: u32,
    /// Number of ring blocks. Default 32 when frames are printed or the file goes to stdout,
    /// 16 when they only go to a file (with its 50 ms block timeout a slow stream fills
    /// blocks instead of retiring them nearly empty; and the kernel zeroes every byte of the
    /// ring at the start, which is most of a 1M-frame capture's CPU time at 32 MiB).
    #[arg(long, value_name = "N")]
    blocks: Option<u32>,
    /// A partly filled block is delivered after this many ms (1-1000; the kernel keeps it in
    /// 16 bits, and stopping waits for it once). Default 4 ms when frames are printed or the
    /// file goes to stdout (someone is watching), 50 ms when they only go to a file: each
    /// retired block is a wake-up, and a slow stream retires nearly empty blocks.
    #[arg(long, value_name = "MS",
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    block_timeout_ms: Option<u32>,
}

/// The block timeout and block count when someone watches the frames (printed, or the file
/// on stdout).
const LIVE_BLOCK_TIMEOUT_MS: u32 = 4;
const LIVE_BLOCKS: u32 = 32;
/// The block count when frames only go to a file: 16 MiB, 150 ms of 64-byte frames at 1 Mpps,
/// 800 ms of a slow stream (one block per 50 ms timeout).
const FILE_BLOCKS: u32 = 16;
/// The block timeout when frames only go to a file: its readers see them at the 250 ms flush
/// anyway, and a 1M-frame capture of a slow stream wakes ~10x less (capture CPU, issue 24).
const FILE_BLOCK_TIMEOUT_MS: u32 = 50;

/// Longest `--duration` (about 31 years).
const MAX_DURATION_S: f64 = 1e9;

/// The snaplen that keeps whole frames, GSO frames included (tcpdump's 262144).
const WHOLE_FRAMES: u32 = 262144;

/// Words that start a tcpdump filter expression (pcap-filter(7)'s primitives and qualifiers):
/// a positional argument from one of these on is the filter, not an interface.
const FILTER_WORDS: &[&str] = &[
    "ether",
    "fddi",
    "tr",
    "wlan",
    "ip",
    "ip6",
    "arp",
    "rarp",
    "decnet",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "sctp",
    "vlan",
    "mpls",
    "pppoed",
    "pppoes",
    "geneve",
    "host",
    "net",
    "port",
    "portrange",
    "src",
    "dst",
    "proto",
    "less",
    "greater",
    "broadcast",
    "multicast",
    "inbound",
    "outbound",
    "not",
    "!",
    "(",
    "len",
    "gateway",
    "igmp",
    "pim",
    "vrrp",
    "stp",
    "ipx",
    "iso",
];

/// Split the positional arguments into interfaces and a trailing tcpdump filter.
fn split_filter(words: &[String]) -> (Vec<String>, Option<String>) {
    let starts = |w: &String| {
        let first = w
            .split(|c: char| c.is_whitespace() || c == '[')
            .next()
            .unwrap_or("");
        FILTER_WORDS.contains(&first) || w.starts_with('(') || w.starts_with('!')
    };
    match words.iter().position(starts) {
        Some(i) => (words[..i].to_vec(), Some(words[i..].join(" "))),
        None => (words.to_vec(), None),
    }
}

/// `-a duration:N` / `-a packets:N` as (duration, count).
fn autostop(conds: &[String]) -> anyhow::Result<(Option<f64>, Option<u64>)> {
    let (mut duration, mut packets) = (None, None);
    for c in conds {
        let bad = || {
            anyhow::anyhow!(
                "-a {c}: expected duration:SECS or packets:N (tshark's autostop conditions)"
            )
        };
        let (k, v) = c.split_once(':').ok_or_else(bad)?;
        match k {
            "duration" => duration = Some(v.parse::<f64>().map_err(|_| bad())?),
            "packets" => match v.parse::<u64>().map_err(|_| bad())? {
                0 => anyhow::bail!("-a packets:0 would capture nothing: give at least 1"),
                n => packets = Some(n),
            },
            "filesize" | "files" => anyhow::bail!("-a {k}: not supported (one file is written)"),
            _ => return Err(bad()),
        }
    }
    Ok((duration, packets))
}

/// tcpdump's `-i any` (or `NS:any`): every interface of the namespace.
fn is_any(iface: &str) -> bool {
    iface == "any" || iface.rsplit_once(':').is_some_and(|(_, i)| i == "any")
}

/// `any` as every interface of its namespace (`-n NS`'s, or NS of `NS:any`), by ifindex,
/// each a ring and an interface block of its own, as `-i a -i b` would be (not tcpdump's
/// cooked SLL: the frames keep their Ethernet headers). Done before the namespace is
/// entered, as `-D` lists them.
fn expand_any(ifaces: &mut Vec<String>, netns: Option<&str>) -> anyhow::Result<()> {
    let Some(any) = ifaces.iter().find(|i| is_any(i)).cloned() else {
        return Ok(());
    };
    let (ns_ref, prefix) = match any.rsplit_once(':') {
        Some((ns, _)) => (Some(ns), format!("{ns}:")),
        None => (netns, String::new()),
    };
    let ns = vethbench::link::Netns::open_or_current(ns_ref)?;
    let mut links = ns.run(vethbench::link::iface::list)?;
    links.sort_by_key(|l| l.info.ifindex);
    *ifaces = links
        .into_iter()
        .map(|l| format!("{prefix}{}", l.info.name))
        .collect();
    Ok(())
}

/// `-D`: the interfaces of this namespace, numbered like tcpdump's list.
fn list_interfaces(netns: Option<&str>) -> anyhow::Result<ExitCode> {
    let ns = vethbench::link::Netns::open_or_current(netns)?;
    let place = netns.map(|n| format!(" in netns {n}")).unwrap_or_default();
    let mut links = ns.run(vethbench::link::iface::list)?;
    links.sort_by_key(|l| l.info.ifindex);
    let mut out = String::new();
    for (i, l) in links.iter().enumerate() {
        let mut flags = vec![if l.info.admin_up { "Up" } else { "Down" }];
        if l.info.oper_up {
            flags.push("Running");
        }
        let kind = l.info.kind.as_deref().unwrap_or("device");
        out += &format!(
            "{}.{} [{}] ({kind}){place}\n",
            i + 1,
            l.info.name,
            flags.join(", ")
        );
    }
    match std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => super::stdout_result(e),
    }
}

/// The library's error as the error it wraps, so that `name_netns` (and the one-line printer)
/// see the socket or file error itself.
fn unwrap_err(e: CaptureError) -> anyhow::Error {
    match e {
        CaptureError::Sock(e) => e.into(),
        CaptureError::Pcapng(e) => e.into(),
        // Frames are printed to stdout (a file on stdout fails as PcapngError).
        CaptureError::Print(e) => anyhow::anyhow!("writing to stdout: {e}"),
        e => e.into(),
    }
}

/// The checked configuration of one capture: built from the flags by [`config`], a pure
/// function (tested without root through clap's `try_parse_from`).
pub(crate) struct Config {
    pub(crate) spec: CaptureSpec,
    pub(crate) printer: Printer,
}

/// The flags as a checked [`Config`]: every refusal of the flags alone happens here.
pub(crate) fn config(args: &Args) -> anyhow::Result<Config> {
    let (mut ifaces, trailing) = split_filter(&args.ifaces);
    let filter = match (trailing, &args.filter) {
        (Some(f), Some(_)) => {
            anyhow::bail!("two capture filters: '{f}' after the interfaces, and -f")
        }
        (Some(f), None) => Some(f),
        (None, f) => f.clone(),
    };
    let (dur, packets) = autostop(&args.autostop)?;
    let duration = args.duration.or(dur);
    let count = args.count.or(packets);
    ifaces.extend(args.interface.iter().cloned());
    if ifaces.is_empty() {
        anyhow::bail!("no interface given (capture IFACE... or -i IFACE)");
    }
    if ifaces.len() > 1 && ifaces.iter().any(|i| is_any(i)) {
        anyhow::bail!(
            "-i any captures every interface of the namespace already: name no other interface"
        );
    }
    if let Some((i, _)) = ifaces
        .iter()
        .enumerate()
        .find(|(i, a)| ifaces[..*i].contains(a))
    {
        // Two rings on one interface would record every frame twice.
        anyhow::bail!("interface '{}' is named twice", ifaces[i]);
    }
    if count == Some(0) {
        anyhow::bail!("-c 0 would capture nothing: give a count of at least 1");
    }
    // tcpdump's -s 0: whole frames.
    let snaplen = if args.snaplen == 0 {
        WHOLE_FRAMES
    } else {
        args.snaplen
    };
    if let Some(d) = duration {
        // The upper bound keeps `Instant + Duration` from overflowing (a panic otherwise).
        if !(d.is_finite() && d > 0.0 && d <= MAX_DURATION_S) {
            anyhow::bail!("--duration {d}: expected a positive number of seconds, at most 1e9");
        }
    }
    let display_filter = args
        .display_filter
        .as_deref()
        .map(|y| {
            vethbench::frame::filter::Filter::parse(y).map_err(|e| anyhow::anyhow!("-Y '{y}': {e}"))
        })
        .transpose()?;
    let printer = args.print_flags.printer(args.print)?;
    if args.print && args.write.as_deref() == Some("-") {
        anyhow::bail!("-P with -w -: the file already goes to stdout");
    }
    let printer = if (args.write.is_some() && !args.print) || (args.write.is_none() && args.quiet) {
        Printer::None
    } else {
        printer
    };
    // Nobody watches the frames as they come: they only go to a file (not stdout).
    let file_only = printer.is_none() && args.write.as_deref().is_some_and(|w| w != "-");
    let spec = CaptureSpec {
        ifaces,
        snaplen,
        filter,
        display_filter,
        block_size: args.block_size,
        block_count: args
            .blocks
            .unwrap_or(if file_only { FILE_BLOCKS } else { LIVE_BLOCKS }),
        block_timeout_ms: args.block_timeout_ms.unwrap_or(if file_only {
            FILE_BLOCK_TIMEOUT_MS
        } else {
            LIVE_BLOCK_TIMEOUT_MS
        }),
        direction: args.direction,
        count,
        duration: duration.map(Duration::from_secs_f64),
        format: match args.format {
            FileFormat::Pcapng => Format::Pcapng,
            FileFormat::Pcap => Format::Pcap,
        },
        // `-w -`: the file goes to stdout (e.g. `| tshark -r -`), as with tcpdump and tshark.
        output: match args.write.as_deref() {
            Some("-") => Output::Stdout,
            Some(path) => Output::Path(path.to_string()),
            None => Output::None,
        },
    };
    Ok(Config { spec, printer })
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.list_interfaces {
        return list_interfaces(args.netns.as_deref());
    }
    let Config { mut spec, printer } = config(&args)?;
    expand_any(&mut spec.ifaces, args.netns.as_deref())?;

    if let Some(ns) = &args.netns {
        vethbench::link::netns::enter(ns)?;
    }
    // Block the stop signals before anything else: read from a signalfd in the poll loop.
    let sigfd = super::stop_signals()?;
    // Every interface checked (and its ring open) before the file is created.
    let capture = Capture::open(&spec).map_err(unwrap_err)?;

    let quoted: Vec<String> = spec.ifaces.iter().map(|i| format!("'{i}'")).collect();
    eoutln!("Capturing on {}", quoted.join(" and "))?;

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    if let Err(e) = out.write_all(printer.header().as_bytes()) {
        return super::stdout_result(e);
    }
    let summary = capture
        .run(Some(sigfd.as_fd()), &printer, &mut out)
        .map_err(unwrap_err)?;
    let end = out
        .write_all(printer.footer(summary.captured).as_bytes())
        .and_then(|()| out.flush());
    drop(out);
    if let Err(e) = end {
        if !printer.is_none() {
            super::stdout_result(e)?;
        }
    }
    // A stop request was the signal: take it (nothing pending is fine).
    let _ = sigfd.read_signal();
    eoutln!("{} packets captured", summary.captured)?;
    if spec.display_filter.is_some() {
        eoutln!(
            "{} packets filtered out by the display filter (-Y)",
            summary.filtered
        )?;
    }
    eoutln!("{} packets received by filter", summary.received)?;
    eoutln!("{} packets dropped by kernel", summary.dropped)?;
    if summary.unread > 0 {
        // After -c N: the kernel had already put these in the rings.
        eoutln!(
            "{} packets received after the count, not captured",
            summary.unread
        )?;
    }
    if let Some(iface) = summary.gone {
        anyhow::bail!("interface '{iface}' disappeared during the capture (file completed)");
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    fn config(argv: &[&str]) -> anyhow::Result<super::Config> {
        super::config(&super::super::try_parse_args("capture", argv)?)
    }

    fn refusal(argv: &[&str]) -> String {
        match config(argv) {
            Ok(_) => panic!("{argv:?} accepted"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn flags_become_a_spec() {
        let c = config(&[
            "vethY",
            "tcp",
            "port",
            "2222",
            "-i",
            "ns:veth1",
            "-a",
            "packets:3",
        ])
        .unwrap();
        assert_eq!(c.spec.ifaces, ["vethY", "ns:veth1"]);
        assert_eq!(c.spec.filter.as_deref(), Some("tcp port 2222"));
        assert_eq!(c.spec.count, Some(3));
        assert_eq!(
            config(&["-s", "0", "x"]).unwrap().spec.snaplen,
            super::WHOLE_FRAMES
        );
        let d = config(&["x", "-a", "duration:1.5"]).unwrap().spec.duration;
        assert_eq!(d, Some(std::time::Duration::from_millis(1500)));
    }

    /// Each refusal of the flags alone, without root.
    #[test]
    fn bad_flags_are_refused_in_words() {
        for (argv, words) in [
            (&["vethY", "tcp", "-f", "udp"][..], "two capture filters"),
            (&[][..], "no interface given"),
            (
                &["-i", "any", "-i", "a"][..],
                "-i any captures every interface of the namespace already",
            ),
            (&["a", "-i", "a"][..], "interface 'a' is named twice"),
            (&["a", "-c", "0"][..], "-c 0 would capture nothing"),
            (
                &["a", "-a", "packets:0"][..],
                "-a packets:0 would capture nothing",
            ),
            (
                &["a", "--duration", "1e10"][..],
                "--duration 10000000000: expected",
            ),
            (&["a", "--duration", "nan"][..], "--duration NaN: expected"),
            (&["a", "-a", "files:2"][..], "-a files: not supported"),
            (&["a", "-P", "-w", "-"][..], "-P with -w -"),
            (&["a", "-e", "ip.src"][..], "-e FIELD needs -T fields"),
        ] {
            let e = refusal(argv);
            assert!(e.contains(words), "{argv:?}: {e}");
        }
    }
}
