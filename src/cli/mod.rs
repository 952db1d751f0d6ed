//! The command line: one file per subcommand. clap lives only here.
//!
//! Each subcommand has `Args` (raw flags) and `run(Args) -> anyhow::Result<ExitCode>`; checked
//! configuration and all real work happen in the library. Nothing here prints with `print!` or
//! `eprint!` (they panic when the stream is gone): [`out!`] and [`eout!`] return the failed
//! write as an error, and [`run`] ends a command whose reader went away with exit 0.

/// `print!` that returns the write's error (a reader that went away, a full disk) as an
/// `anyhow::Error` for `?`, instead of panicking: [`run`] ends a command whose reader went away
/// with exit 0 and reports any other failed write in one line ("writing to stdout: ...").
macro_rules! out {
    ($($arg:tt)*) => {
        ::std::io::Write::write_fmt(&mut ::std::io::stdout(), format_args!($($arg)*))
            .map_err($crate::cli::stdout_error)
    };
}

/// `println!` as [`out!`] does it.
macro_rules! outln {
    () => {
        out!("\n")
    };
    ($($arg:tt)*) => {
        out!("{}\n", format_args!($($arg)*))
    };
}

/// `eprint!` as [`out!`] does it, on standard error ("writing to stderr: ...").
macro_rules! eout {
    ($($arg:tt)*) => {
        ::std::io::Write::write_fmt(&mut ::std::io::stderr(), format_args!($($arg)*))
            .map_err($crate::cli::stderr_error)
    };
}

/// `eprintln!` as [`eout!`] does it.
macro_rules! eoutln {
    ($($arg:tt)*) => {
        eout!("{}\n", format_args!($($arg)*))
    };
}

mod bench;
mod bpf;
mod capture;
mod diff;
mod impair;
mod link;
mod manpages;
mod netns;
mod ping;
mod read;
mod replay;
mod run;
mod send;
mod test;
mod veth;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "vethbench",
    version,
    about = "Packet injection and capture testbench for veth pairs and network namespaces",
    long_about = "Builds veth/netns topologies, crafts and sends frames (byte-exact with Scapy), \
                  captures to pcapng, and asserts delivery with latency percentiles.\n\
                  Exit codes: 0 ok, 1 an expectation failed, 2 an error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build an Ethernet frame (TCP by default, like onepkt.py) and send it on an interface.
    Send(send::Args),
    /// Capture frames on one or more interfaces to pcapng (or print them).
    Capture(capture::Args),
    /// Read a pcapng or pcap file and print its frames (like `tshark -r`).
    Read(read::Args),
    /// Compare two captures frame by frame, by field (golden captures): 0 equal, 1 different.
    Diff(diff::Args),
    /// Replay a pcap or pcapng file on an interface, rewritten as asked (like tcpreplay).
    Replay(replay::Args),
    /// Create, list, inspect and delete veth pairs.
    Veth(veth::Args),
    /// Show interfaces with their addresses; set them up, down, or their MTU (like `ip link`).
    Link(link::Args),
    /// Create, list, delete network namespaces and run commands in them (like `ip netns`).
    Netns(netns::Args),
    /// ICMP or ICMPv6 echo through the kernel's stack, like ping(8) (an address or a host name).
    Ping(ping::Args),
    /// Run an end-to-end delivery test and report loss, corruption, order and latency.
    Test(test::Args),
    /// Run scenario files: a topology and the tests through it (JUnit, TAP, JSON reports).
    Run(run::Args),
    /// Build a scenario's topology in named namespaces (`ip netns` sees them) and leave it.
    Up(run::UpArgs),
    /// Remove what `vethbench up` made for a scenario file.
    Down(run::DownArgs),
    /// Benchmarks against the reference tools on a private veth pair.
    Bench(bench::Args),
    /// eBPF programs under test: run one on a frame (BPF_PROG_RUN), attach, detach, list.
    Bpf(bpf::Args),
    /// Relay frames between two interfaces with seeded loss, duplication, reordering, delay.
    Impair(impair::Args),
    /// Print a shell completion script (bash, zsh, fish, ...) to standard output.
    Completions(manpages::CompletionArgs),
    /// Write the man pages (vethbench.1 and one per subcommand) to a directory.
    Man(manpages::ManArgs),
}

/// A failed write to standard output: a reader that went away (`| head`) ends the command
/// quietly; anything else (a full disk) is an error naming stdout, exit 2.
pub(crate) fn stdout_result(e: std::io::Error) -> anyhow::Result<ExitCode> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(anyhow::anyhow!("writing to stdout: {e}"))
    }
}

/// A table as `ip -br` and `veth list` print it: a header line, then one line per row, each
/// column as wide as its widest cell, two spaces between columns, no trailing blanks.
pub(crate) fn write_columns<const N: usize>(
    header: [&str; N],
    cells: &[[String; N]],
) -> anyhow::Result<()> {
    let mut width = header.map(str::len);
    for row in cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.len());
        }
    }
    let line = |row: &[String]| {
        row.iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    outln!("{}", line(&header.map(String::from)))?;
    for row in cells {
        outln!("{}", line(row))?;
    }
    Ok(())
}

/// A failed write to standard output as an error: "writing to stdout: CAUSE" (a closed pipe is
/// recognised by its `io::Error` kind: see [`run`]).
pub(crate) fn stdout_error(e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context("writing to stdout")
}

/// [`stdout_error`] for standard error.
pub(crate) fn stderr_error(e: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(e).context("writing to stderr")
}

/// Parse the command line and run the subcommand.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return Ok(usage_error(&e)),
    };
    let outcome = match cli.command {
        Command::Send(a) => {
            let ns = a.netns.clone();
            send::run(a).map_err(|e| name_netns(e, ns.as_deref()))
        }
        Command::Capture(a) => {
            let ns = a.netns.clone();
            capture::run(a).map_err(|e| name_netns(e, ns.as_deref()))
        }
        Command::Read(a) => read::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Replay(a) => {
            let ns = a.netns.clone();
            replay::run(a).map_err(|e| name_netns(e, ns.as_deref()))
        }
        Command::Veth(a) => veth::run(a),
        Command::Link(a) => link::run(a),
        Command::Netns(a) => netns::run(a),
        Command::Ping(a) => ping::run(a),
        Command::Test(a) => {
            let ns = a.netns().map(str::to_string);
            test::run(a).map_err(|e| name_netns(e, ns.as_deref()))
        }
        Command::Bench(a) => bench::run(a),
        Command::Bpf(a) => bpf::run(a),
        Command::Impair(a) => impair::run(a),
        Command::Run(a) => run::run(a),
        Command::Up(a) => run::up(a),
        Command::Down(a) => run::down(a),
        Command::Completions(a) => {
            manpages::completions(a, <Cli as clap::CommandFactory>::command())
        }
        Command::Man(a) => manpages::man(a, <Cli as clap::CommandFactory>::command()),
    };
    match outcome {
        // A reader that went away (`run FILE | head -1`) ends every subcommand quietly.
        Err(e) if is_broken_pipe_error(&e) => Ok(ExitCode::SUCCESS),
        result => result,
    }
}

/// What clap's parse error means for the user: --help and --version print as clap renders
/// them (exit 0); a missing subcommand prints the usage with the subcommands (stderr, exit 2);
/// a usage error is clap's first paragraph plus its "did you mean" tip, on one line, exit 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        // `vethbench`, `vethbench veth`: the help of that command (usage and subcommands).
        // Exit 2 either way: a usage error that cannot be shown still is one.
        let _ = eout!("{}", e.render());
        return ExitCode::from(2);
    }
    let _ = eoutln!("vethbench: {}", usage_line(&e.render().to_string()));
    ExitCode::from(2)
}

/// clap's rendered usage error on one line: the error, the tips, then "(see --help)".
pub(crate) fn usage_line(text: &str) -> String {
    let mut paragraphs = text.split("\n\n");
    let first: Vec<&str> = paragraphs
        .next()
        .unwrap_or("")
        .lines()
        .map(str::trim)
        .collect();
    let mut line = first.join(" ").trim_start_matches("error: ").to_string();
    let tips: Vec<&str> = paragraphs
        .flat_map(str::lines)
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("tip: "))
        .collect();
    if !tips.is_empty() {
        line = format!("{line}; {}", tips.join("; "));
    }
    format!("{line} (see --help)")
}

/// The error (or one of its causes) is EPIPE on a write.
fn is_broken_pipe_error(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The help text of every `-n/--netns` flag.
pub(crate) const NETNS_HELP: &str = "Run in this network namespace (like `ip -n NS`): a name in \
    /run/netns, a path (/proc/PID/ns/net) or pid:PID";

/// Block SIGINT and SIGTERM in this thread (and the threads it spawns afterwards) and return a
/// signalfd that reads them: a stop request the command handles (closing files, printing a
/// report) instead of dying mid-write.
pub(crate) fn stop_signals() -> anyhow::Result<nix::sys::signalfd::SignalFd> {
    use anyhow::Context;
    use nix::sys::signal::{SigSet, Signal};
    use nix::sys::signalfd::{SfdFlags, SignalFd};
    let mut mask = SigSet::empty();
    mask.add(Signal::SIGINT);
    mask.add(Signal::SIGTERM);
    mask.thread_block().context("blocking SIGINT/SIGTERM")?;
    SignalFd::with_flags(&mask, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC).context("signalfd")
}

/// Open a pcap or pcapng file for reading; `-` is standard input (e.g. `capture -w - | read -`,
/// like tshark -r -, or a pcap piped from Scapy).
pub(crate) fn open_capture(
    path: &str,
) -> anyhow::Result<vethbench::pcapng::CaptureReader<std::io::BufReader<std::fs::File>>> {
    use std::os::fd::AsFd;
    if path != "-" {
        return Ok(vethbench::pcapng::CaptureReader::open(path)?);
    }
    let fd = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| anyhow::anyhow!("duplicating stdin: {e}"))?;
    let src = std::io::BufReader::with_capacity(1 << 20, std::fs::File::from(fd));
    Ok(vethbench::pcapng::CaptureReader::new(src, "stdin")?)
}

/// With `-n NS`, "interface 'X' does not exist" also says where it was looked for.
pub(crate) fn name_netns(e: anyhow::Error, ns: Option<&str>) -> anyhow::Error {
    let Some(ns) = ns else { return e };
    let missing = e.chain().any(is_missing_interface);
    if missing {
        e.context(format!("in network namespace '{ns}'"))
    } else {
        e
    }
}

/// Whether `e` is "interface 'X' does not exist", looking through the transparent variants
/// that wrap it (they print as it does, and so are not a `source()` of their own).
fn is_missing_interface(e: &(dyn std::error::Error + 'static)) -> bool {
    use vethbench::capture::CaptureError as C;
    use vethbench::harness::{EndError as E, HarnessError as H};
    use vethbench::link::{policy::NotSendable as N, LinkError as L};
    use vethbench::sock::SockError as S;
    fn sock(e: &S) -> bool {
        matches!(e, S::NoSuchInterface(_))
    }
    fn link(e: &L) -> bool {
        matches!(e, L::NoSuchInterface(_))
    }
    fn capture(e: &C) -> bool {
        match e {
            C::Sock(e) => sock(e),
            C::Netns(e) => link(e),
            _ => false,
        }
    }
    fn not_sendable(e: &N) -> bool {
        matches!(e, N::Link(e) if link(e))
    }
    if e.is::<vethbench::error::NoSuchInterface>() {
        return true;
    }
    if let Some(e) = e.downcast_ref::<S>() {
        return sock(e);
    }
    if let Some(e) = e.downcast_ref::<L>() {
        return link(e);
    }
    if let Some(e) = e.downcast_ref::<C>() {
        return capture(e);
    }
    if let Some(e) = e.downcast_ref::<N>() {
        return not_sendable(e);
    }
    match e.downcast_ref::<H>() {
        Some(H::Io(E::Sock(e))) => sock(e),
        Some(H::Io(E::Link(e))) => link(e),
        Some(H::Io(E::Capture(e))) => capture(e),
        Some(H::NotSendable(e)) => not_sendable(e),
        _ => false,
    }
}

/// A frame error in the words of the `--size`, `--vary`, `-T` and `-e` flags (the library names
/// no flag).
pub(crate) fn frame_flags(e: vethbench::frame::FrameError) -> anyhow::Error {
    use vethbench::frame::{FrameError, Vary};
    match e {
        FrameError::SizeTooLarge { size, max } => anyhow::anyhow!(
            "cannot build the frame: --size {size} is larger than any link carries (at most {max} \
             bytes: a 65535-byte MTU plus the Ethernet and 802.1Q headers)"
        ),
        FrameError::SizeTooSmall { size, needed } => anyhow::anyhow!(
            "cannot build the frame: --size {size} is smaller than the frame's {needed} bytes of \
             headers and payload"
        ),
        FrameError::CannotVary { vary: Vary::IpId } => {
            anyhow::anyhow!("cannot build the frame: --vary ip-id needs IPv4")
        }
        FrameError::CannotVary { vary: Vary::TcpSeq } => {
            anyhow::anyhow!("cannot build the frame: --vary seq needs TCP")
        }
        FrameError::NoFields => {
            anyhow::anyhow!("invalid field list '': -T fields needs at least one -e FIELD")
        }
        e => e.into(),
    }
}

/// "250k" → 250000, "1.5M" → 1500000.
pub(crate) fn parse_rate(s: &str) -> anyhow::Result<f64> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'm' | 'M')) => (&t[..i], 1e6),
        Some((i, 'g' | 'G')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .with_context(|| {
            format!("--rate '{s}': expected frames per second, e.g. 50000, 250k, 1.5M")
        })?;
    let v = v * mult;
    let min = vethbench::sock::tx::MIN_RATE_PPS;
    if !v.is_finite() {
        anyhow::bail!("--rate '{s}': too large to be a rate (frames per second)");
    }
    if v < min {
        anyhow::bail!("--rate '{s}': must be at least {min} frames per second (one every 1000 s)");
    }
    Ok(v)
}

/// [`parse_rate`] as a clap value parser.
pub(crate) fn rate_arg(s: &str) -> Result<f64, String> {
    parse_rate(s).map_err(|e| format!("{e:#}"))
}

/// A subcommand's raw flags from `argv` (without the subcommand's name), as clap parses them:
/// how the tests check the configurations built from flags, without root.
#[cfg(test)]
pub(crate) fn try_parse_args<A: clap::Args>(
    cmd: &'static str,
    argv: &[&str],
) -> Result<A, clap::Error> {
    let m = A::augment_args(clap::Command::new(cmd))
        .try_get_matches_from(std::iter::once(cmd).chain(argv.iter().copied()))?;
    A::from_arg_matches(&m)
}

#[cfg(test)]
mod tests {
    #[test]
    fn rates_take_suffixes_and_refuse_nonsense() {
        assert_eq!(super::rate_arg("10000"), Ok(10_000.0));
        assert_eq!(super::rate_arg("250k"), Ok(250_000.0));
        assert_eq!(super::rate_arg("1.5M"), Ok(1_500_000.0));
        assert_eq!(super::rate_arg("0.001"), Ok(0.001));
        assert_eq!(super::rate_arg("1e27"), Ok(1e27));
        for bad in [
            "", "0", "-5", "fast", "1e400", "NaN", "0.0009", "1e-10", "1e308k",
        ] {
            assert!(super::rate_arg(bad).is_err(), "accepted {bad:?}");
        }
        // Zero and below are numbers: the rule is the minimum, not the syntax.
        for low in ["0", "0k", "-5", "0.0009"] {
            let e = super::rate_arg(low).unwrap_err();
            assert!(e.contains("must be at least 0.001"), "{low}: {e}");
        }
    }

    /// Every library error that wraps "interface ... does not exist" is found by one `is` on the
    /// chain, and the printed line says it once.
    #[test]
    fn no_such_interface_is_found_through_every_wrapper() {
        use vethbench::error::NoSuchInterface;
        use vethbench::harness::HarnessError;
        use vethbench::link::LinkError;
        use vethbench::sock::SockError;
        let sock = || SockError::NoSuchInterface(NoSuchInterface::new("vb0"));
        let cases: Vec<anyhow::Error> = vec![
            sock().into(),
            LinkError::NoSuchInterface(NoSuchInterface::new("vb0")).into(),
            HarnessError::io(sock()).into(),
            HarnessError::io(LinkError::NoSuchInterface(NoSuchInterface::new("vb0"))).into(),
            vethbench::capture::CaptureError::Sock(sock()).into(),
            vethbench::link::policy::NotSendable::Link(LinkError::NoSuchInterface(
                NoSuchInterface::new("vb0"),
            ))
            .into(),
            anyhow::Error::from(sock()).context("opening"),
        ];
        for e in cases {
            let before = crate::one_line(&e);
            assert_eq!(
                before.matches("interface 'vb0' does not exist").count(),
                1,
                "{before}"
            );
            let line = crate::one_line(&super::name_netns(e, Some("ns1")));
            assert_eq!(line, format!("in network namespace 'ns1': {before}"));
        }
        let other = SockError::Filter {
            expr: "x".into(),
            why: "y".into(),
        };
        let line = crate::one_line(&super::name_netns(other.into(), Some("ns1")));
        assert_eq!(line, "filter 'x': y");
    }

    /// The library's frame errors name no flag; the CLI's words for them do, as before.
    #[test]
    fn frame_errors_are_worded_with_the_flags() {
        use vethbench::frame::{fields::FieldSet, FrameSpec, FrameTemplate, L4Spec, Vary};
        let words = |e| crate::one_line(&super::frame_flags(e));
        let small = FrameSpec {
            size: Some(40),
            ..FrameSpec::default()
        };
        let e = small.build().unwrap_err();
        assert!(!e.to_string().contains("--"), "{e}");
        let line = words(e);
        assert!(
            line.starts_with("cannot build the frame: --size 40 is smaller than the frame's ")
                && line.ends_with(" bytes of headers and payload"),
            "{line}"
        );
        let huge = FrameSpec {
            size: Some(FrameSpec::MAX_PADDED_LEN + 1),
            ..FrameSpec::default()
        };
        assert_eq!(
            words(huge.build().unwrap_err()),
            format!(
                "cannot build the frame: --size {} is larger than any link carries (at most {} \
                 bytes: a 65535-byte MTU plus the Ethernet and 802.1Q headers)",
                FrameSpec::MAX_PADDED_LEN + 1,
                FrameSpec::MAX_PADDED_LEN
            )
        );
        let udp = FrameSpec {
            l4: L4Spec::Udp,
            ..FrameSpec::default()
        };
        assert_eq!(
            words(FrameTemplate::with_vary(&udp, Vary::TcpSeq).unwrap_err()),
            "cannot build the frame: --vary seq needs TCP"
        );
        let v6 = FrameSpec {
            src_ip: "2001:db8::1".parse().unwrap(),
            dst_ip: "2001:db8::2".parse().unwrap(),
            ..FrameSpec::default()
        };
        assert_eq!(
            words(FrameTemplate::with_vary(&v6, Vary::IpId).unwrap_err()),
            "cannot build the frame: --vary ip-id needs IPv4"
        );
        let none: [&str; 0] = [];
        assert_eq!(
            words(FieldSet::parse(&none).unwrap_err()),
            "invalid field list '': -T fields needs at least one -e FIELD"
        );
    }
}
