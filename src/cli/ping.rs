//! `vethbench ping DEST`: ICMP or ICMPv6 echo through the kernel's stack, printed like ping(8)
//! (iputils). DEST is an IPv4 or IPv6 address, or a host name resolved like ping(8) does
//! (getaddrinfo, in the namespace given: /etc/hosts, then DNS), the first address of the
//! family `-4`/`-6` asks for.

use std::net::{IpAddr, ToSocketAddrs};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use vethbench::link::netns;
use vethbench::link::ping::{PingOptions, PingSummary, Pinger, PAYLOAD_LEN};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The address to ping (IPv4 or IPv6), or a host name (`localhost`).
    #[arg(value_name = "DEST")]
    addr: String,
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    netns: Option<String>,
    /// Resolve a host name to IPv4 only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// Resolve a host name to IPv6 only.
    #[arg(short = '6')]
    ipv6: bool,
    /// Number of echo requests [default: 4, or as many as fit in -w]. ping(8) runs forever by
    /// default; we stop at 4.
    #[arg(short = 'c', long, value_parser = clap::value_parser!(u32).range(1..=65535))]
    count: Option<u32>,
    /// Stop after this many seconds, however many replies came (ping(8)'s -w).
    #[arg(short = 'w', long, value_name = "SECS")]
    deadline: Option<f64>,
    /// Payload bytes after the ICMP header (ping(8)'s -s).
    #[arg(short = 's', long = "size", value_name = "BYTES", default_value_t = PAYLOAD_LEN as u32,
          value_parser = clap::value_parser!(u32).range(0..=65507))]
    size: u32,
    /// Send from this interface or source address (ping(8)'s -I).
    #[arg(short = 'I', long = "interface", value_name = "IFACE|ADDR")]
    interface: Option<String>,
    /// Print only the first line and the statistics (ping(8)'s -q).
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Seconds between requests.
    #[arg(short = 'i', long, value_name = "SECS", default_value_t = 1.0)]
    interval: f64,
    /// Seconds to wait for each reply.
    #[arg(short = 'W', long, value_name = "SECS", default_value_t = 1.0)]
    timeout: f64,
}

/// What looks like an address literal is never looked up as a name (`999.1.1.1` is a typo,
/// not a host).
fn looks_numeric(s: &str) -> bool {
    s.contains(':') || s.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// DEST as an address, or resolved as ping(8) resolves it (in the calling thread's
/// namespace); the name when it was one.
fn resolve(dest: &str, v4: bool, v6: bool) -> anyhow::Result<(IpAddr, Option<String>)> {
    if let Ok(ip) = dest.parse::<IpAddr>() {
        if (v4 && ip.is_ipv6()) || (v6 && ip.is_ipv4()) {
            anyhow::bail!(
                "'{dest}' is an IPv{} address, but -{} was given",
                if ip.is_ipv4() { 4 } else { 6 },
                if v4 { 4 } else { 6 }
            );
        }
        return Ok((ip, None));
    }
    if dest.is_empty() || looks_numeric(dest) {
        anyhow::bail!("invalid IP address '{dest}'");
    }
    let found = (dest, 0)
        .to_socket_addrs()
        .map_err(|e| anyhow::anyhow!("cannot resolve '{dest}': {e}"))?
        .map(|a| a.ip())
        .find(|ip| !(v4 && ip.is_ipv6() || v6 && ip.is_ipv4()));
    match found {
        Some(ip) => Ok((ip, Some(dest.to_string()))),
        None => anyhow::bail!("'{dest}' has no IPv{} address", if v4 { 4 } else { 6 }),
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    // An address is checked before the namespace is entered; a name is resolved inside it.
    if args.addr.parse::<IpAddr>().is_err() && (args.addr.is_empty() || looks_numeric(&args.addr)) {
        anyhow::bail!("invalid IP address '{}'", args.addr);
    }
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
    let deadline = args
        .deadline
        .map(|d| secs(d, "deadline", true))
        .transpose()?;
    // ping(8): -w without -c sends until the deadline.
    let count = match (args.count, deadline) {
        (Some(c), _) => c,
        (None, Some(_)) => u32::MAX,
        (None, None) => 4,
    };
    let opts = match args.interface.as_deref().map(|i| (i, i.parse::<IpAddr>())) {
        None => PingOptions::default(),
        Some((_, Ok(a))) => PingOptions {
            source: Some(a),
            ..PingOptions::default()
        },
        Some((i, Err(_))) => PingOptions {
            iface: Some(i.to_string()),
            ..PingOptions::default()
        },
    };
    let opts = PingOptions {
        size: Some(args.size as usize),
        ..opts
    };
    if let Some(ns) = &args.netns {
        // The CLI is single-threaded here: moving this thread moves everything after it.
        netns::enter(ns)?;
    }
    let (dst, name) = resolve(&args.addr, args.ipv4, args.ipv6)?;
    let mut pinger = Pinger::with_options(dst, &opts)?;
    // iputils' first lines: `PING h (a) 56(84) bytes of data.`, `PING a(a) 56 data bytes`.
    match (dst, &name) {
        (IpAddr::V4(_), _) => outln!(
            "PING {} ({dst}) {}({}) bytes of data.",
            name.as_deref().unwrap_or(&args.addr),
            args.size,
            args.size + 28
        )?,
        (IpAddr::V6(_), None) => outln!("PING {dst}({dst}) {} data bytes", args.size)?,
        (IpAddr::V6(_), Some(n)) => outln!("PING {n}({n} ({dst})) {} data bytes", args.size)?,
    }
    let start = Instant::now();
    let end = deadline.map(|d| start + d);
    let left = |now: Instant| end.map(|e| e.saturating_duration_since(now));
    let mut rtts = Vec::with_capacity(count.min(65536) as usize);
    let mut sent_n = 0;
    for i in 0..count {
        if left(Instant::now()).is_some_and(|l| l.is_zero()) {
            break;
        }
        let seq = (i.wrapping_add(1) & 0xffff) as u16;
        let sent = Instant::now();
        sent_n += 1;
        // With -w, no wait goes past the deadline.
        let wait = left(sent).map_or(timeout, |l| timeout.min(l).max(Duration::from_millis(1)));
        if let Some(r) = pinger.ping(seq, wait)? {
            let ttl = r.ttl.map(|t| format!(" ttl={t}")).unwrap_or_default();
            if !args.quiet {
                let from = match &name {
                    Some(n) if r.from == dst => format!("{n} ({})", r.from),
                    _ => r.from.to_string(),
                };
                outln!(
                    "{} bytes from {from}: icmp_seq={}{ttl} time={:.3} ms",
                    r.bytes,
                    r.seq,
                    r.rtt.as_secs_f64() * 1e3
                )?;
            }
            rtts.push(r.rtt);
        }
        if i + 1 < count {
            let pause = interval.saturating_sub(sent.elapsed());
            std::thread::sleep(left(Instant::now()).map_or(pause, |l| pause.min(l)));
        }
    }
    outln!()?;
    out!(
        "{}",
        PingSummary::new(sent_n, &rtts, start.elapsed()).lines(
            name.as_deref()
                .map_or_else(|| dst.to_string(), str::to_string)
        )
    )?;
    // ping(8): with -w, fewer replies than -c asked for is a failure.
    let short = deadline.is_some() && args.count.is_some_and(|c| (rtts.len() as u32) < c);
    Ok(if rtts.is_empty() || short {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
