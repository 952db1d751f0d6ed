//! `vethbench diff A B`: two captures compared by field, not by byte (golden captures in
//! regression tests): exit 0 equal, 1 different, 2 an error.

use std::io::Write;
use std::process::ExitCode;

use vethbench::diff::{self, Capture, DiffOptions, Match};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The reference capture (pcapng or pcap; `-` for stdin).
    #[arg(value_name = "A")]
    a: String,
    /// The capture compared with it.
    #[arg(value_name = "B")]
    b: String,
    /// Fields left out of the comparison, comma-separated or repeated: tshark's names
    /// (`ip.id,ip.checksum`), a protocol for all its fields (`ip`), `frame.len`.
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    ignore: Vec<String>,
    /// How frames are paired: `order` (file order, frames missing or added anywhere) or `flow`
    /// (by addresses, ports and payload, whatever the order: reordering reported as such).
    #[arg(long = "match", value_name = "order|flow", default_value = "order", value_parser = ["order", "flow"])]
    matching: String,
    /// Compare each frame's time since its file's first frame, within this tolerance (`1ms`,
    /// `500us`, `0`); timestamps are not compared without it.
    #[arg(long, value_name = "DURATION", value_parser = parse_tolerance)]
    time_tolerance: Option<u64>,
    /// Field differences printed per frame at most.
    #[arg(long, value_name = "N", default_value_t = 8)]
    max_fields: usize,
    /// Print the report as JSON.
    #[arg(short = 'j', long)]
    json: bool,
}

/// `1ms`, `500us`, `2s`, `0` → nanoseconds (the impairments' duration syntax).
fn parse_tolerance(s: &str) -> Result<u64, String> {
    vethbench::impair::parse_duration_ns(s).map_err(|e| e.to_string())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = DiffOptions::new(&args.ignore)?;
    opts.matching = if args.matching == "flow" {
        Match::Flow
    } else {
        Match::Order
    };
    opts.time_tolerance_ns = args.time_tolerance;
    opts.max_fields = args.max_fields.max(1);
    if args.a == "-" && args.b == "-" {
        anyhow::bail!("only one of A and B can be standard input");
    }
    // Both files read at once (one on a thread of its own).
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| -> anyhow::Result<Capture> {
            Ok(Capture::read(super::open_capture(&args.a)?, &args.a)?)
        });
        let b = Capture::read(super::open_capture(&args.b)?, &args.b);
        let a = a.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        anyhow::Ok((a?, b?))
    })?;
    let report = diff::diff(&a, &b, &opts);
    let mut text = String::new();
    if args.json {
        text = diff::write_json(&report, &args.a, &args.b).to_string();
        text.push('\n');
    } else {
        diff::write_text(&mut text, &report);
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        return super::stdout_result(e);
    }
    Ok(ExitCode::from(u8::from(!report.identical())))
}

#[cfg(test)]
mod tests {
    #[test]
    fn tolerances_take_units_and_refuse_nonsense() {
        assert_eq!(super::parse_tolerance("1ms"), Ok(1_000_000));
        assert_eq!(super::parse_tolerance("500us"), Ok(500_000));
        assert_eq!(super::parse_tolerance("0"), Ok(0));
        assert_eq!(super::parse_tolerance("2s"), Ok(2_000_000_000));
        for bad in ["", "-1ms", "fast", "1h", "NaN", "1e30s", "2"] {
            assert!(super::parse_tolerance(bad).is_err(), "accepted {bad:?}");
        }
    }
}
