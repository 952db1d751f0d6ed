//! `vethbench ping ADDR`: ICMP echo through the kernel's stack, printed like ping(8).

use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use vethbench::link::netns;
use vethbench::link::ping::{PingSummary, Pinger, PAYLOAD_LEN};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// IPv4 address to ping.
    addr: String,
    /// Ping from inside this named namespace (like `ip netns exec NS ping`).
    #[arg(short = 'n', long = "netns", value_name = "NS")]
    netns: Option<String>,
    /// Number of echo requests (ping(8) runs forever by default; we stop at 4).
    #[arg(short = 'c', long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=65535))]
    count: u32,
    /// Seconds between requests.
    #[arg(short = 'i', long, value_name = "SECS", default_value_t = 1.0)]
    interval: f64,
    /// Seconds to wait for each reply.
    #[arg(short = 'W', long, value_name = "SECS", default_value_t = 1.0)]
    timeout: f64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let dst: Ipv4Addr = args
        .addr
        .parse()
        .with_context(|| format!("invalid IPv4 address '{}'", args.addr))?;
    // A huge value is echoed as typed in short (1e300), not as 300 digits.
    let secs = |v: f64, what: &str, min_exclusive: bool| {
        let low_ok = if min_exclusive { v > 0.0 } else { v >= 0.0 };
        if low_ok && v <= 3600.0 {
            Ok(Duration::from_secs_f64(v))
        } else {
            let shown = if v.abs() < 1e6 {
                format!("{v}")
            } else {
                format!("{v:e}")
            };
            let range = if min_exclusive {
                "0 < s <= 3600"
            } else {
                "0..=3600"
            };
            Err(anyhow::anyhow!(
                "invalid {what} '{shown}' (seconds, {range})"
            ))
        }
    };
    let interval = secs(args.interval, "interval", false)?;
    // A wait of 0 could never see a reply.
    let timeout = secs(args.timeout, "timeout", true)?;
    if let Some(ns) = &args.netns {
        // The CLI is single-threaded here: moving this thread moves everything after it.
        netns::enter(ns)?;
    }
    let mut pinger = Pinger::new(dst)?;
    println!(
        "PING {dst} ({dst}) {PAYLOAD_LEN}({}) bytes of data.",
        PAYLOAD_LEN + 28
    );
    let start = Instant::now();
    let mut rtts = Vec::with_capacity(args.count as usize);
    for i in 0..args.count {
        let seq = (i + 1) as u16;
        let sent = Instant::now();
        if let Some(r) = pinger.ping(seq, timeout)? {
            let ttl = r.ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
            println!(
                "{} bytes from {}: icmp_seq={}{ttl} time={:.3} ms",
                r.bytes,
                r.from,
                r.seq,
                r.rtt.as_secs_f64() * 1e3
            );
            rtts.push(r.rtt);
        }
        if i + 1 < args.count {
            std::thread::sleep(interval.saturating_sub(sent.elapsed()));
        }
    }
    println!();
    print!(
        "{}",
        PingSummary::new(args.count, &rtts, start.elapsed()).lines(dst)
    );
    Ok(if rtts.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
