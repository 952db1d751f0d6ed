//! `vethbench read FILE`: print the frames of a pcapng or pcap file, like `tshark -r`.
//!
//! One line per frame by default (`frame::summary`), `-V` for a per-layer dump
//! (`frame::show`), `-T fields -e ...` for tshark-style fields, `-c N` to stop early. A
//! truncated or corrupt file prints every good frame, then fails (exit 2) naming the byte
//! offset of the bad block. Only Ethernet (link type 1) is decoded; frames of other link types
//! (e.g. Linux cooked captures) get a one-line note.

use std::io::Write;
use std::process::ExitCode;

use vethbench::frame::fields::{FieldSet, FrameInfo};

use super::capture::OutputKind;

const LINKTYPE_ETHERNET: u16 = 1;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The pcapng or pcap file (`-` for stdin).
    #[arg(value_name = "FILE")]
    file: String,
    /// Per-layer dump of every frame (Scapy-like show()).
    #[arg(short = 'V', long)]
    verbose: bool,
    /// Hex and ASCII dump of every frame, as `tshark -x` prints it (after the line, or the
    /// -V dump, when asked for with -P or -V; alone otherwise, as tshark does).
    #[arg(short = 'x')]
    hex: bool,
    /// With -x: print the one-line summary too (tshark's -P).
    #[arg(short = 'P')]
    print_summary: bool,
    /// Stop after N frames.
    #[arg(short = 'c', long, value_name = "N")]
    count: Option<u64>,
    /// Output format.
    #[arg(short = 'T', value_enum, value_name = "fields")]
    output: Option<OutputKind>,
    /// Field to print with -T fields (repeatable).
    #[arg(short = 'e', value_name = "FIELD")]
    fields: Vec<String>,
    /// tshark's -E for -T fields: `header=y`, `separator=,` (or `/t`, `/s`), `quote=d|s|n`
    /// (repeatable).
    #[arg(short = 'E', value_name = "OPT=VALUE")]
    field_opts: Vec<String>,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let fields = match (args.output, args.fields.is_empty()) {
        (Some(OutputKind::Fields), _) => {
            Some(FieldSet::parse(&args.fields).map_err(super::frame_flags)?)
        }
        (None, false) => anyhow::bail!("-e needs -T fields"),
        (None, true) => None,
    };
    if args.count == Some(0) {
        anyhow::bail!("-c 0 would read nothing: give a count of at least 1");
    }
    let fmt = FieldFormat::parse(&args.field_opts)?;
    if !args.field_opts.is_empty() && fields.is_none() {
        anyhow::bail!("-E needs -T fields");
    }
    let mut r = super::open_capture(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let limit = args.count.unwrap_or(u64::MAX);
    let mut n: u64 = 0;
    let mut first_ts = None;
    let mut line = String::with_capacity(512);
    if fields.is_some() && fmt.header {
        let mut head = String::new();
        for (i, name) in args.fields.iter().enumerate() {
            if i > 0 {
                head.push_str(&fmt.separator);
            }
            head.push_str(name);
        }
        head.push('\n');
        if let Err(e) = out.write_all(head.as_bytes()) {
            return super::stdout_result(e);
        }
    }
    while n < limit {
        let f = match r.next() {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                let _ = out.flush();
                return Err(e.into());
            }
        };
        n += 1;
        line.clear();
        if f.linktype != LINKTYPE_ETHERNET {
            // Not decoded (e.g. Linux cooked capture from `tcpdump -i any`): say so per frame.
            use std::fmt::Write as _;
            let _ = writeln!(
                line,
                "{n:>5} link type {} is not decoded ({} bytes)",
                f.linktype,
                f.data.len()
            );
        } else if let Some(fs) = &fields {
            let t0 = *first_ts.get_or_insert(f.ts_ns);
            let info = FrameInfo {
                number: n,
                ts_ns: f.ts_ns,
                t0_ns: t0,
                wire_len: f.orig_len,
            };
            fs.write_frame(&mut line, f.data, &info);
            if fmt.separator != "\t" || fmt.quote.is_some() {
                // Values hold no tab: re-join them with the separator, quoted.
                let cols: Vec<String> = line.split('\t').map(str::to_string).collect();
                line.clear();
                for (i, c) in cols.iter().enumerate() {
                    if i > 0 {
                        line.push_str(&fmt.separator);
                    }
                    fmt.quoted(&mut line, c);
                }
            }
            line.push('\n');
        } else {
            let t0 = *first_ts.get_or_insert(f.ts_ns);
            if !args.hex || args.print_summary || args.verbose {
                vethbench::frame::write_numbered_wire(
                    &mut line, n, f.ts_ns, t0, f.data, f.orig_len,
                );
                line.push('\n');
            }
            if args.verbose {
                line.push_str(&vethbench::frame::show(f.data));
                if !line.ends_with('\n') {
                    line.push('\n');
                }
                line.push('\n');
            }
            if args.hex {
                vethbench::frame::write_hex_tshark(&mut line, f.data);
                line.push('\n');
            }
        }
        if let Err(e) = out.write_all(line.as_bytes()) {
            return super::stdout_result(e);
        }
    }
    match out.flush() {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => super::stdout_result(e),
    }
}

/// tshark's `-E` options for `-T fields`.
struct FieldFormat {
    header: bool,
    separator: String,
    quote: Option<char>,
}

impl FieldFormat {
    fn parse(opts: &[String]) -> anyhow::Result<FieldFormat> {
        let mut f = FieldFormat {
            header: false,
            separator: "\t".to_string(),
            quote: None,
        };
        for o in opts {
            let bad = || anyhow::anyhow!("-E {o:?}: expected header=y|n, separator=C, quote=d|s|n");
            let (k, v) = o.split_once('=').ok_or_else(bad)?;
            match (k, v) {
                ("header", "y") => f.header = true,
                ("header", "n") => f.header = false,
                ("separator", "/t") => f.separator = "\t".into(),
                ("separator", "/s") => f.separator = " ".into(),
                ("separator", s) if !s.is_empty() => f.separator = s.into(),
                ("quote", "d") => f.quote = Some('"'),
                ("quote", "s") => f.quote = Some('\''),
                ("quote", "n") => f.quote = None,
                _ => return Err(bad()),
            }
        }
        Ok(f)
    }

    /// Append `v`, quoted when asked (as tshark: an empty value and the header are not).
    fn quoted(&self, out: &mut String, v: &str) {
        match self.quote {
            Some(q) if !v.is_empty() => {
                out.push(q);
                out.push_str(v);
                out.push(q);
            }
            _ => out.push_str(v),
        }
    }
}
