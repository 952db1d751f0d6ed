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
    #[arg(short = 'c', long, default_value_t = 4)]
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
    let secs = |v: f64, what: &str| {
        if (0.0..=3600.0).contains(&v) {
            Ok(Duration::from_secs_f64(v))
        } else {
            Err(anyhow::anyhow!("invalid {what} '{v}' (seconds, 0..=3600)"))
        }
    };
    let interval = secs(args.interval, "interval")?;
    let timeout = secs(args.timeout, "timeout")?;
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
