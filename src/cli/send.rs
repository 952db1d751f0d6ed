//! `vethbench send`: build a frame (a Scapy expression, or onepkt.py's TCP from the field
//! flags) and send it, Scapy-style, and `-w FILE`.
//!
//! One pipeline for both: the field flags become a checked [`FrameSpec`], which lowers to the
//! expression engine as an expression does; the frames built (one, or the fragments of
//! `fragment()`/`--fragment`) then go through the same checks, printing, `-w`, and sending
//! (`--count`, `--rate`, `--threads`, `--vary` alike). Every refusal (malformed input, no such
//! interface, interface down or physical, frame over the MTU, missing capability) is an error
//! the binary prints on one line with exit code 2.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use vethbench::frame::expr::{self, Expr, ExprError, IfaceEnv};
use vethbench::frame::wire::{ethernet, vlan};
use vethbench::frame::{
    self, FrameError, FrameSpec, FrameTemplate, L4Spec, MacAddr, TcpFlags, Vary,
};
use vethbench::link;
use vethbench::link::policy::{self, NotSendable, SendPolicy};
use vethbench::pcapng::{CaptureWriter, EpbFlags, Format, IfaceDesc, IfaceStats};
use vethbench::sock::tx::{BurstSpec, TxSocket, MAX_SENDMMSG_BATCH};

/// Scapy's `TCP()` fields the flags default to.
const TCP: (TcpFlags, u32, u32, u16) = match L4Spec::TCP {
    L4Spec::Tcp {
        flags,
        seq,
        ack,
        window,
        ..
    } => (flags, seq, ack, window),
    _ => panic!("L4Spec::TCP is TCP"),
};

// The flags that describe the frame field by field are the group `fields`: none of them goes
// with an expression.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("fields").multiple(true).conflicts_with("expr")))]
#[command(after_help = "Examples:\n  \
    vethbench send -i vethX 'Ether(dst=\"02:00:00:00:00:02\")/IP(dst=\"198.18.0.2\", ttl=3)/UDP(dport=53)/\"x\"'\n  \
    vethbench send -i vethX 'fragment(Ether()/IP(dst=\"198.18.0.2\")/UDP()/(\"x\"*3000), fragsize=1480)'\n  \
    vethbench send --dry-run -w arp.pcap 'Ether()/ARP(pdst=\"198.18.0.2\")'\n  \
    onepkt.py 22:11:11:11:11:11 22:22:22:22:22:22 vethX 123, with flags:\n  \
    vethbench send -i vethX --src-mac 22:11:11:11:11:11 --dst-mac 22:22:22:22:22:22 \
    --src-ip 1.1.1.1 --dst-ip 2.2.2.2 --msg 123")]
pub struct Args {
    /// The frame as a Scapy expression, e.g. 'Ether()/IP(dst="198.18.0.2")/TCP(flags="S")';
    /// unset fields default as in Scapy, with the interface's MAC and address as sources.
    /// Instead of the field flags.
    #[arg(value_name = "EXPR")]
    expr: Option<String>,
    /// Cut the expression's IPv4 datagram into fragments of at most N payload bytes (Scapy's
    /// fragment(pkt, fragsize=N)), sent in order.
    #[arg(long, value_name = "N", requires = "expr",
          value_parser = clap::value_parser!(u16).range(8..))]
    fragment: Option<u16>,
    /// Also write the frames built to FILE: classic pcap if it ends in .pcap, else pcapng
    /// (Scapy's wrpcap); with or without --dry-run.
    #[arg(short = 'w', long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Interface to send on (a veth, dummy...; a physical NIC needs --allow-physical).
    #[arg(short, long, required_unless_present = "dry_run")]
    iface: Option<String>,
    #[arg(short = 'n', long = "netns", value_name = "NS", help = super::NETNS_HELP)]
    pub(crate) netns: Option<String>,
    /// Source MAC [default: the interface's MAC].
    #[arg(group = "fields", long, value_name = "MAC")]
    src_mac: Option<String>,
    /// Destination MAC [default: broadcast, with Scapy's warning].
    #[arg(group = "fields", long, value_name = "MAC")]
    dst_mac: Option<String>,
    /// Source IPv4 or IPv6 address [default: 198.18.0.1, or 2001:2::1].
    #[arg(group = "fields", long, value_name = "IP")]
    src_ip: Option<String>,
    /// Destination IPv4 or IPv6 address [default: 198.18.0.2, or 2001:2::2].
    #[arg(group = "fields", long, value_name = "IP")]
    dst_ip: Option<String>,
    #[arg(group = "fields", long, default_value_t = FrameSpec::default().sport)]
    sport: u16,
    #[arg(group = "fields", long, default_value_t = FrameSpec::default().dport)]
    dport: u16,
    /// TCP flags as Scapy letters (F S R P A U E C N), e.g. S, SA, FPU.
    #[arg(group = "fields", long, default_value_t = TCP.0.to_string())]
    flags: String,
    /// TCP sequence number.
    #[arg(group = "fields", long, default_value_t = TCP.1)]
    seq: u32,
    /// TCP acknowledgment number.
    #[arg(group = "fields", long, default_value_t = TCP.2)]
    ack: u32,
    /// TCP window.
    #[arg(group = "fields", long, default_value_t = TCP.3)]
    window: u16,
    /// IPv4 TTL or IPv6 hop limit.
    #[arg(group = "fields", long, default_value_t = FrameSpec::default().ttl)]
    ttl: u8,
    /// IPv4 identification [default: 1, Scapy's].
    #[arg(group = "fields", long)]
    ip_id: Option<u16>,
    /// IPv4 TOS / IPv6 traffic class (decimal or 0x..).
    #[arg(group = "fields", long, default_value = "0")]
    tos: String,
    /// Set IPv4's don't-fragment bit (Scapy's default is off).
    #[arg(group = "fields", long)]
    df: bool,
    /// UDP instead of TCP.
    #[arg(group = "fields", long, conflicts_with_all = ["icmp", "flags", "seq", "ack", "window"])]
    udp: bool,
    /// ICMP echo request (ICMPv6 over IPv6) instead of TCP.
    #[arg(group = "fields", long, conflicts_with_all = ["flags", "seq", "ack", "window", "sport", "dport"])]
    icmp: bool,
    /// 802.1Q tag with this VLAN id (0-4095).
    #[arg(group = "fields", long, value_name = "ID")]
    vlan: Option<u16>,
    /// Payload as text (onepkt.py's <msg>).
    #[arg(group = "fields", long, conflicts_with = "payload_hex")]
    msg: Option<String>,
    /// Payload as hex bytes ("de ad be ef", "deadbeef").
    #[arg(group = "fields", long, value_name = "HEX")]
    payload_hex: Option<String>,
    /// Pad the frame with zeros to N bytes (Scapy's Padding: not counted in the IP length).
    #[arg(group = "fields", long, value_name = "N")]
    size: Option<usize>,
    /// Send N copies.
    #[arg(short, long, default_value_t = 1, value_name = "N")]
    count: u64,
    /// Pace the copies at this many packets per second, e.g. 10000, 250k, 1.5M (sub-millisecond precision).
    #[arg(long, value_name = "PPS", value_parser = super::rate_arg)]
    rate: Option<f64>,
    /// Make copies distinct: copy i gets ip-id+i or seq+i (of the frame built, from flags or an
    /// expression; every fragment of a datagram copy gets the same IP id).
    #[arg(long, value_enum, default_value = "nothing")]
    vary: VaryArg,
    /// Frames per sendmmsg(2) call (1..=1024: the kernel takes at most UIO_MAXIOV per call).
    #[arg(long, default_value_t = 64, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=MAX_SENDMMSG_BATCH as i64))]
    batch: u16,
    /// Skip the qdisc (PACKET_QDISC_BYPASS): faster, but other packet sockets on this host
    /// (tcpdump on the sending side) no longer see the frames.
    #[arg(long)]
    qdisc_bypass: bool,
    /// Pin the sending thread to this CPU (like trafgen --cpu).
    #[arg(long, value_name = "CPU", conflicts_with = "threads")]
    cpu: Option<usize>,
    /// Send from N threads, each with its own socket; --count and --rate are split between
    /// them, and each thread's rate is reported.
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..=64))]
    threads: u16,
    /// Also print a hexdump of the frame.
    #[arg(long)]
    hex: bool,
    /// Do not print the frame's layers.
    #[arg(short, long)]
    quiet: bool,
    /// Build and print, send nothing (needs no privileges).
    #[arg(long)]
    dry_run: bool,
    /// Allow sending on an interface that is not virtual (a physical NIC).
    #[arg(long)]
    allow_physical: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum VaryArg {
    Nothing,
    IpId,
    Seq,
}

fn parse_ip(s: &str) -> Result<IpAddr, FrameError> {
    s.parse().map_err(|_| FrameError::Invalid {
        what: "IP address",
        input: s.to_string(),
        why: "not an IPv4 or IPv6 address".into(),
    })
}

fn parse_u8(what: &'static str, s: &str) -> Result<u8, FrameError> {
    let r = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u8::from_str_radix(h, 16),
        None => s.parse(),
    };
    r.map_err(|e| FrameError::Invalid {
        what,
        input: s.to_string(),
        why: match e.kind() {
            std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow => {
                "out of range: 0..=255 (0x00..=0xff)".into()
            }
            _ => format!("{e}: expected 0..=255, decimal or 0x hex"),
        },
    })
}

fn parse_mac(s: &str) -> Result<MacAddr, FrameError> {
    s.parse()
}

/// The checked frame spec from the flags, without the interface's MAC.
fn spec_of(a: &Args) -> Result<FrameSpec, FrameError> {
    let src = a.src_ip.as_deref().map(parse_ip).transpose()?;
    let dst = a.dst_ip.as_deref().map(parse_ip).transpose()?;
    // One address given as IPv6 makes the other default to IPv6 as well.
    let v6 = matches!(src, Some(IpAddr::V6(_))) || matches!(dst, Some(IpAddr::V6(_)));
    if v6 && (a.ip_id.is_some() || a.df) {
        // Scapy refuses them too (IPv6 has no such field): better than ignoring them.
        return Err(FrameError::Build {
            why: "--ip-id and --df are IPv4 header fields; this frame is IPv6".into(),
        });
    }
    let (dsrc, ddst) = if v6 {
        (
            IpAddr::V6(FrameSpec::DEFAULT_SRC_V6),
            IpAddr::V6(FrameSpec::DEFAULT_DST_V6),
        )
    } else {
        (
            IpAddr::V4(FrameSpec::DEFAULT_SRC_V4),
            IpAddr::V4(FrameSpec::DEFAULT_DST_V4),
        )
    };
    let flags: TcpFlags = a.flags.parse()?;
    let l4 = if a.udp {
        L4Spec::Udp
    } else if a.icmp {
        L4Spec::ICMP_ECHO
    } else {
        L4Spec::Tcp {
            flags,
            seq: a.seq,
            ack: a.ack,
            window: a.window,
            urgptr: 0,
        }
    };
    let payload = match (&a.msg, &a.payload_hex) {
        (Some(m), _) => m.as_bytes().to_vec(),
        (None, Some(h)) => frame::parse_hex(h)?,
        (None, None) => Vec::new(),
    };
    let spec = FrameSpec {
        src_mac: a
            .src_mac
            .as_deref()
            .map(parse_mac)
            .transpose()?
            .unwrap_or_default(),
        dst_mac: a
            .dst_mac
            .as_deref()
            .map(parse_mac)
            .transpose()?
            .unwrap_or(MacAddr::BROADCAST),
        vlan: a.vlan,
        src_ip: src.unwrap_or(dsrc),
        dst_ip: dst.unwrap_or(ddst),
        ttl: a.ttl,
        ip_id: a.ip_id.unwrap_or(1),
        tos: parse_u8("TOS", &a.tos)?,
        dont_fragment: a.df,
        sport: a.sport,
        dport: a.dport,
        l4,
        payload,
        size: a.size,
    };
    spec.validate()?;
    Ok(spec)
}

fn check_count_rate(a: &Args) -> anyhow::Result<()> {
    if a.count == 0 {
        bail!("--count must be at least 1");
    }
    if let Some(r) = a.rate {
        if !(r.is_finite() && r > 0.0) {
            bail!("--rate must be a positive number of packets per second, not {r}");
        }
    }
    Ok(())
}

/// What the frames are described by: an expression, or the field flags as a checked spec.
enum Source {
    Expr { src: String, expr: Expr },
    Spec(FrameSpec),
}

/// The frames built, and what the checks and warnings need to know of them.
struct Built {
    frames: Vec<Vec<u8>>,
    /// The link-layer headers the MTU does not count (Ether and its VLAN tags).
    l2_len: usize,
    /// Scapy's warning: no destination MAC for an IP frame, broadcast used.
    broadcast: bool,
}

impl Source {
    /// The frame description from the flags, checked before any lookup.
    fn of(a: &Args) -> anyhow::Result<Source> {
        let Some(src) = &a.expr else {
            return Ok(Source::Spec(spec_of(a).map_err(super::frame_flags)?));
        };
        let mut expr = expr::parse(src).map_err(|err| expr_error(src, err))?;
        if let Some(n) = a.fragment {
            if expr.fragsize.is_some() {
                bail!("--fragment and fragment() in the expression: give one of them");
            }
            expr.fragsize = Some(n.into());
        }
        // Frames go on the link as built (Scapy's sendp): a packet without its Ethernet
        // header would be sent (and shown, and written) as garbage.
        if let Some(first) = expr.layers.first().filter(|l| l.name != "Ether") {
            bail!(
                "{}: the frame starts with {}, not Ether: send puts frames on the link as they \
                 are (Scapy's sendp, not send); write Ether(dst=...)/{}(...)",
                src.trim(),
                first.name,
                first.name
            );
        }
        Ok(Source::Expr {
            src: src.clone(),
            expr,
        })
    }

    /// Build through the one builder (the expression engine), with the interface's MAC and
    /// addresses as the defaults Scapy would find.
    fn build(self, a: &Args, info: Option<&link::iface::IfaceInfo>) -> anyhow::Result<Built> {
        match self {
            Source::Spec(mut spec) => {
                if let (Some(info), None) = (info, &a.src_mac) {
                    spec.src_mac = MacAddr(info.mac);
                }
                Ok(Built {
                    frames: vec![spec.build().map_err(super::frame_flags)?],
                    l2_len: ethernet::HEADER_LEN
                        + if spec.vlan.is_some() {
                            vlan::HEADER_LEN
                        } else {
                            0
                        },
                    broadcast: a.dst_mac.is_none(),
                })
            }
            Source::Expr { src, expr } => {
                let env = match info {
                    Some(i) => IfaceEnv {
                        mac: Some(MacAddr(i.mac)),
                        addrs: link::addr::of_iface(i.ifindex)?,
                    },
                    None => IfaceEnv::default(),
                };
                let frames = expr.build_with(&env).map_err(|err| expr_error(&src, err))?;
                if frames.is_empty() {
                    bail!(
                        "{}: builds no frame (fragment() of an empty IP payload)",
                        src.trim()
                    );
                }
                Ok(Built {
                    frames,
                    l2_len: l2_len(&expr),
                    broadcast: broadcast_warning(&expr),
                })
            }
        }
    }
}

/// An expression error on one line, with the expression: `EXPR: column N: msg` (a long
/// expression cut to its start: the column says where).
fn expr_error(src: &str, e: ExprError) -> anyhow::Error {
    let src = src.trim();
    match src.char_indices().nth(120) {
        Some((cut, _)) => anyhow::anyhow!("{}...: {e}", &src[..cut]),
        None => anyhow::anyhow!("{src}: {e}"),
    }
}

/// The length of the link-layer headers the MTU does not count: Ether and its VLAN tags.
fn l2_len(e: &Expr) -> usize {
    let mut names = e.layers.iter().map(|l| l.name.as_str());
    if names.next() != Some("Ether") {
        return ethernet::HEADER_LEN;
    }
    ethernet::HEADER_LEN
        + vlan::HEADER_LEN
            * names
                .take_while(|n| matches!(*n, "Dot1Q" | "Dot1AD"))
                .count()
}

/// Scapy warns when it has no neighbour entry for an IP destination and uses broadcast.
fn broadcast_warning(e: &Expr) -> bool {
    let mut it = e.layers.iter().skip_while(|l| l.name != "Ether");
    let Some(ether) = it.next() else {
        return false;
    };
    !ether.fields.iter().any(|f| f.name == "dst")
        && it
            .find(|l| !matches!(l.name.as_str(), "Dot1Q" | "Dot1AD"))
            .is_some_and(|l| matches!(l.name.as_str(), "IP" | "IPv6"))
}

/// The templates of the frames built, each varied as asked: the first frame must have the
/// field (else the refusal names the flag); later fragments without it (no TCP header) are
/// sent as they are.
fn templates(frames: &[Vec<u8>], vary: Vary) -> anyhow::Result<Vec<FrameTemplate>> {
    frames
        .iter()
        .enumerate()
        .map(|(k, f)| match FrameTemplate::from_frame(f.clone(), vary) {
            Ok(t) => Ok(t),
            Err(_) if k > 0 => Ok(FrameTemplate::from_bytes(f.clone())),
            Err(e) => Err(super::frame_flags(e)),
        })
        .collect()
}

/// What the flags ask for, checked before any lookup, socket or namespace: a pure function of
/// the flags (tested through clap's `try_parse_from`, without root).
struct Plan {
    source: Source,
    vary: Vary,
}

fn plan(a: &Args) -> anyhow::Result<Plan> {
    let source = Source::of(a)?;
    check_count_rate(a)?;
    let vary = match a.vary {
        VaryArg::Nothing => Vary::Nothing,
        VaryArg::IpId => Vary::IpId,
        VaryArg::Seq => Vary::TcpSeq,
    };
    Ok(Plan { source, vary })
}

pub fn run(a: Args) -> anyhow::Result<ExitCode> {
    let Plan { source, vary } = plan(&a)?;
    if let Some(ns) = &a.netns {
        // Before any lookup or socket: both belong to the thread's namespace.
        link::netns::enter(ns)?;
    }
    let info = a.iface.as_deref().map(link::iface::info).transpose()?;
    let built = source.build(&a, info.as_ref())?;
    let frames = &built.frames;
    if let Some(info) = &info {
        let longest = frames.iter().map(Vec::len).max().unwrap_or(0);
        // The MTU even for a dry run; the rest only when sending.
        let checked = if a.dry_run {
            policy::check_fits(info, longest, built.l2_len)
        } else {
            let p = SendPolicy {
                allow_physical: a.allow_physical,
                require_up: true,
                l2_len: built.l2_len,
            };
            policy::check(info, Some(longest), p)
        };
        checked.map_err(|e| refusal(e, a.netns.as_deref()))?;
    }
    let seq = templates(frames, vary)?;
    if let Some(path) = &a.write {
        write_frames(path, frames)?;
    }
    // The socket before anything is printed: a missing CAP_NET_RAW is the one line printed,
    // not a warning and a frame dump followed by the error.
    let mut sock = if a.dry_run {
        None
    } else {
        let iface = a.iface.as_deref().context("--iface is required to send")?;
        if let Some(cpu) = a.cpu {
            vethbench::sys::cpu::pin_current_thread(cpu)
                .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        }
        let sock = TxSocket::open(iface)?;
        if a.qdisc_bypass {
            sock.set_qdisc_bypass(true)?;
        }
        Some(sock)
    };
    // Only once the frame is built and the socket open, so that an error stays the one line
    // printed.
    if built.broadcast {
        // Scapy's words when it cannot resolve the destination.
        eoutln!("WARNING: Mac address to reach destination not found. Using broadcast.")?;
    }
    for f in frames {
        if !a.quiet {
            out!("{}", frame::show(f))?;
        }
        if a.hex {
            out!("{}", frame::hexdump(f))?;
        }
    }
    let total = a.count * frames.len() as u64;
    let Some(sock) = sock.as_mut() else {
        outln!("Dry run: {total} packets built, none sent.")?;
        return Ok(ExitCode::SUCCESS);
    };
    if total == 1 {
        sock.send(seq[0].bytes())?;
        outln!(".\nSent 1 packets.")?;
        warn_dropped(sock)?;
        return Ok(ExitCode::SUCCESS);
    }
    let burst = BurstSpec {
        count: a.count,
        rate_pps: a.rate,
        batch: a.batch.into(),
    };
    let bytes: usize = seq.iter().map(FrameTemplate::len).sum();
    let bits_per_frame = bytes as f64 * 8.0 / seq.len() as f64;
    if a.threads > 1 {
        // Each thread opens its own socket; this one only checked the privileges.
        let iface = sock.iface().to_string();
        let per = vethbench::sock::burst::send_split(
            &iface,
            &seq,
            &burst,
            a.threads.into(),
            a.qdisc_bypass,
        )?;
        let sent: u64 = per.iter().map(|t| t.stats.sent).sum();
        let secs = per
            .iter()
            .map(|t| t.stats.elapsed.as_secs_f64())
            .fold(0.0, f64::max);
        outln!("Sent {sent} packets.")?;
        for (k, t) in per.iter().enumerate() {
            outln!(
                "thread {k}: {} packets in {:.3} s: {:.0} pps",
                t.stats.sent,
                t.stats.elapsed.as_secs_f64(),
                t.stats.pps()
            )?;
        }
        let pps = sent as f64 / secs.max(1e-9);
        outln!(
            "{sent} packets in {secs:.3} s: {pps:.0} pps, {:.1} Mbit/s",
            pps * bits_per_frame / 1e6
        )?;
        let dropped: u64 = per.iter().map(|t| t.dropped).sum();
        if dropped > 0 {
            eoutln!(
                "WARNING: {dropped} of them dropped by the kernel on '{iface}' (ENOBUFS: larger than the peer's MTU, or the peer's backlog full)."
            )?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stats = sock.send_seq_burst_from(&seq, &burst, 0)?;
    if seq.len() > 1 {
        // A sequence of fragments: Scapy's sendp prints a dot per packet.
        outln!(
            "{}\nSent {} packets.",
            ".".repeat(stats.sent.min(80) as usize),
            stats.sent
        )?;
    } else {
        outln!("Sent {} packets.", stats.sent)?;
        outln!(
            "{} packets in {:.3} s: {:.0} pps, {:.1} Mbit/s",
            stats.sent,
            stats.elapsed.as_secs_f64(),
            stats.pps(),
            stats.pps() * bits_per_frame / 1e6
        )?;
    }
    warn_dropped(sock)?;
    Ok(ExitCode::SUCCESS)
}

/// `-w FILE`: the frames to a capture file, classic pcap for `.pcap`, else pcapng, stamped
/// with the current time as Scapy's `wrpcap` does.
fn write_frames(path: &Path, frames: &[Vec<u8>]) -> anyhow::Result<()> {
    let name = path.to_string_lossy();
    let format = if path
        .extension()
        .is_some_and(|x| x.eq_ignore_ascii_case("pcap"))
    {
        Format::Pcap
    } else {
        Format::Pcapng
    };
    let desc = IfaceDesc {
        name: "vethbench send".into(),
        snaplen: 262_144,
        filter: None,
    };
    let mut w = CaptureWriter::create(&name, format, &[desc]).context("-w")?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    for f in frames {
        w.write_frame(0, now, f, f.len() as u32, EpbFlags::default(), false)
            .context("-w")?;
    }
    w.finish(&[IfaceStats {
        start_ns: now,
        end_ns: now,
        ..IfaceStats::default()
    }])
    .context("-w")?;
    Ok(())
}

/// A refusal of the interface policy in `send`'s words (with the flag or command that helps).
fn refusal(e: NotSendable, netns: Option<&str>) -> anyhow::Error {
    match e {
        NotSendable::TooLarge {
            iface,
            frame_len,
            mtu,
            max_len,
        } => anyhow::anyhow!(
            "frame of {frame_len} bytes is too large for '{iface}' (MTU {mtu}: at most {max_len} bytes with the Ethernet header)"
        ),
        e @ NotSendable::Physical { .. } => {
            anyhow::anyhow!("{e}; pass --allow-physical if you mean it")
        }
        NotSendable::Down { iface } => anyhow::anyhow!(
            "interface '{iface}' is down: bring it up with `vethbench link set{} {iface} up`",
            netns.map(|n| format!(" -n {n}")).unwrap_or_default()
        ),
        NotSendable::Link(e) => e.into(),
        e => e.into(),
    }
}

/// Frames the kernel kept refusing (ENOBUFS) were sent but cannot have arrived: say so.
fn warn_dropped(sock: &TxSocket) -> anyhow::Result<()> {
    if sock.dropped() > 0 {
        eoutln!(
            "WARNING: {} of them dropped by the kernel on '{}' (ENOBUFS: larger than the peer's MTU, or the peer's backlog full).",
            sock.dropped(),
            sock.iface()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use vethbench::frame::{L4Spec, TcpFlags, Vary};

    fn args(argv: &[&str]) -> Result<super::Args, clap::Error> {
        super::super::try_parse_args("send", argv)
    }

    fn plan(argv: &[&str]) -> anyhow::Result<super::Plan> {
        super::plan(&args(argv)?)
    }

    /// The frames a dry run builds (no interface: nothing is looked up), then templated.
    fn templates(argv: &[&str]) -> anyhow::Result<Vec<vethbench::frame::FrameTemplate>> {
        let a = args(argv)?;
        let p = super::plan(&a)?;
        let built = p.source.build(&a, None)?;
        super::templates(&built.frames, p.vary)
    }

    fn refusal(r: anyhow::Result<impl Sized>, argv: &[&str]) -> String {
        match r {
            Ok(_) => panic!("{argv:?} accepted"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn flags_become_a_spec_with_scapys_defaults() {
        let p = plan(&["--dry-run", "--flags", "sa", "--dst-ip", "2001:db8::2"]).unwrap();
        let super::Source::Spec(spec) = p.source else {
            panic!("the flags make a spec")
        };
        // One TCP-flag parser: lower case is accepted, as the expression engine accepts it.
        assert!(
            matches!(spec.l4, L4Spec::Tcp { flags, .. } if flags == "SA".parse::<TcpFlags>().unwrap())
        );
        // One address given as IPv6 makes the other IPv6 too.
        assert_eq!(spec.src_ip.to_string(), "2001:2::1");
        assert_eq!(p.vary, Vary::Nothing);
        let p = plan(&["--dry-run", "--vary", "seq", "Ether()/IP()/TCP()"]).unwrap();
        assert!(matches!(p.source, super::Source::Expr { .. }));
        assert_eq!(p.vary, Vary::TcpSeq);
    }

    /// Each refusal of the flags alone, in words, without root (no socket, no lookup).
    #[test]
    fn bad_flags_are_refused_in_words() {
        for (argv, words) in [
            (
                &["--dry-run", "--count", "0"][..],
                "--count must be at least 1",
            ),
            (
                &["--dry-run", "--dst-ip", "2001:db8::2", "--df"][..],
                "--df are IPv4 header fields",
            ),
            (&["--dry-run", "--src-mac", "02:00"][..], "invalid MAC"),
            (&["--dry-run", "--tos", "300"][..], "out of range: 0..=255"),
            (
                &["--dry-run", "--dst-ip", "198.18.0.300"][..],
                "not an IPv4 or IPv6 address",
            ),
            (&["--dry-run", "--flags", "SQ"][..], "SQ"),
            (&["--dry-run", "--payload-hex", "zz"][..], "zz"),
            (&["--dry-run", "IP()/UDP()"][..], "not Ether"),
            (
                &[
                    "--dry-run",
                    "--fragment",
                    "8",
                    "fragment(Ether()/IP()/UDP(), fragsize=8)",
                ][..],
                "give one of them",
            ),
            (&["--dry-run", "Ether()/IP("][..], "Ether()/IP("),
        ] {
            let e = refusal(plan(argv), argv);
            assert!(e.contains(words), "{argv:?}: {e}");
        }
    }

    /// What clap itself refuses: a field flag with an expression, thread and batch bounds.
    #[test]
    fn clap_refuses_flags_that_do_not_go_together() {
        for argv in [
            &["--dry-run", "--ttl", "3", "Ether()/IP()"][..],
            &["--dry-run", "--threads", "0"][..],
            &["--dry-run", "--threads", "65"][..],
            &["--dry-run", "--batch", "0"][..],
            &["--dry-run", "--udp", "--flags", "S"][..],
            &["--dry-run", "--cpu", "0", "--threads", "2"][..],
            &["--ttl", "3"][..],
        ] {
            assert!(args(argv).is_err(), "{argv:?} accepted");
        }
        // --threads and --rate go with an expression as with the flags.
        assert!(args(&[
            "--dry-run",
            "--threads",
            "2",
            "--rate",
            "1k",
            "Ether()/IP()"
        ])
        .is_ok());
    }

    /// --vary works for expression frames and is refused where the frame has no such field.
    #[test]
    fn vary_needs_the_field_in_the_frame_built() {
        let t = templates(&["--dry-run", "--vary", "ip-id", "Ether()/IP(id=7)/UDP()"]).unwrap();
        assert!(t[0].has_ip_id());
        let t = templates(&["--dry-run", "--vary", "seq", "--udp"]);
        assert!(refusal(t, &[]).contains("--vary seq"));
        let t = templates(&["--dry-run", "--vary", "ip-id", "Ether()/IPv6()/UDP()"]);
        assert!(refusal(t, &[]).contains("--vary ip-id needs IPv4"));
    }
}
