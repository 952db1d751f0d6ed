//! `vethbench impair A B`: relay frames between two interfaces with seeded loss, duplication,
//! reordering, corruption, delay, jitter and a rate limit (this kernel has no netem, and netem
//! is random): until Ctrl-C or `--duration`, then what each direction did.

use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use vethbench::impair::{ImpairSpec, Relay};
use vethbench::link;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// One interface (frames arriving here go out on B).
    #[arg(value_name = "A")]
    a: String,
    /// The other (frames arriving here go out on A).
    #[arg(value_name = "B")]
    b: String,
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    netns: Option<String>,
    /// Share of frames dropped, both ways (1%, 0.5%).
    #[arg(long, value_name = "SHARE")]
    loss: Option<String>,
    /// Share of frames sent twice.
    #[arg(long, value_name = "SHARE")]
    duplicate: Option<String>,
    /// Share of frames held back and sent after the next one.
    #[arg(long, value_name = "SHARE")]
    reorder: Option<String>,
    /// Share of frames with one bit flipped (after the Ethernet header).
    #[arg(long, value_name = "SHARE")]
    corrupt: Option<String>,
    /// Delay of every frame, from its kernel receive timestamp (2ms, 500us).
    #[arg(long, value_name = "DURATION")]
    delay: Option<String>,
    /// Each delay is delay ± jitter, uniform.
    #[arg(long, value_name = "DURATION")]
    jitter: Option<String>,
    /// Rate limit on the way out (100mbit, 1gbit).
    #[arg(long, value_name = "RATE")]
    rate: Option<String>,
    /// The seed of every decision: the same seed and the same frames give the same fates.
    #[arg(long, value_name = "N", default_value_t = 0)]
    seed: u64,
    /// A → B only, replacing the flags above for that direction: `loss=1%,delay=2ms,seed=7`.
    #[arg(long = "a-to-b", value_name = "SPEC")]
    a_to_b: Option<String>,
    /// B → A only, likewise.
    #[arg(long = "b-to-a", value_name = "SPEC")]
    b_to_a: Option<String>,
    /// Stop after this long (1s, 500ms); without it, at Ctrl-C or SIGTERM.
    #[arg(short, long, value_name = "DURATION")]
    duration: Option<String>,
    /// Print the report as JSON.
    #[arg(short = 'j', long)]
    json: bool,
}

fn both(a: &Args) -> anyhow::Result<ImpairSpec> {
    let mut s = ImpairSpec {
        seed: a.seed,
        ..ImpairSpec::default()
    };
    for (k, v) in [
        ("loss", &a.loss),
        ("duplicate", &a.duplicate),
        ("reorder", &a.reorder),
        ("corrupt", &a.corrupt),
        ("delay", &a.delay),
        ("jitter", &a.jitter),
        ("rate", &a.rate),
    ] {
        if let Some(v) = v {
            s.set(k, v)?;
        }
    }
    s.check()?;
    Ok(s)
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let base = both(&a)?;
    let ab = a
        .a_to_b
        .as_deref()
        .map(ImpairSpec::parse)
        .transpose()?
        .unwrap_or(base);
    let ba = a
        .b_to_a
        .as_deref()
        .map(ImpairSpec::parse)
        .transpose()?
        .unwrap_or(base);
    let duration = a
        .duration
        .as_deref()
        .map(vethbench::impair::parse_duration_ns)
        .transpose()?
        .map(Duration::from_nanos);
    if a.a == a.b {
        anyhow::bail!("A and B are both '{}': give two interfaces", a.a);
    }
    let ns = link::netns::Netns::open_or_current(a.netns.as_deref())?;
    for iface in [&a.a, &a.b] {
        let info = ns.run(|| link::iface::info(iface))?;
        if !info.is_virtual() {
            anyhow::bail!(
                "{iface} is not a virtual interface (kind: {}): the relay sends on both and \
                 only relays between virtual links",
                link::policy::kind_name(&info.kind)
            );
        }
    }
    let signals = super::stop_signals()?;
    let relay = Relay::start(&ns, &a.a, &a.b, ab, ba)?;
    eoutln!("Relaying {} <-> {}", a.a, a.b)?;
    let start = Instant::now();
    let fd = std::os::fd::AsFd::as_fd(&signals);
    loop {
        let left = duration.map(|d| d.saturating_sub(start.elapsed()));
        if left == Some(Duration::ZERO) {
            break;
        }
        let ms = left.map_or(100, |l| l.as_millis().clamp(1, 100) as u16);
        let mut pfd = [nix::poll::PollFd::new(fd, nix::poll::PollFlags::POLLIN)];
        match nix::poll::poll(&mut pfd, nix::poll::PollTimeout::from(ms)) {
            Ok(n) if n > 0 => break,
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => anyhow::bail!("waiting for Ctrl-C: {e}"),
        }
    }
    let [s_ab, s_ba] = relay.stop()?;
    let out = if a.json {
        format!(
            "{}\n",
            serde_json::json!({"a": a.a, "b": a.b, "a_to_b": s_ab, "b_to_a": s_ba})
        )
    } else {
        let line = |from: &str, to: &str, s: &vethbench::impair::DirStats| {
            format!(
                "{from} -> {to}: {} received, {} forwarded, {} dropped, {} duplicated, {} reordered, \
                 {} corrupted, {} overflow, {} pending at stop\n",
                s.received, s.forwarded, s.dropped, s.duplicated, s.reordered, s.corrupted,
                s.overflow, s.pending_at_stop
            )
        };
        line(&a.a, &a.b, &s_ab) + &line(&a.b, &a.a, &s_ba)
    };
    let mut so = std::io::stdout().lock();
    if let Err(e) = so.write_all(out.as_bytes()).and_then(|()| so.flush()) {
        return super::stdout_result(e);
    }
    Ok(ExitCode::SUCCESS)
}
