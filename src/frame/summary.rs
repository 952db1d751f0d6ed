//! The one-line summary of a frame, in the style of tshark's default output: what `capture`
//! and `read` print per frame, and the harness's list of what arrived.
//!
//! What must stay true: [`write_summary`] allocates nothing per frame (it reads the packet
//! view's [`Layout`] and its layer list, then the header fields through the wire layer's
//! views at the offsets it gives, and appends to a reused `String`), and never panics on any
//! bytes. No field offset is written here: they are `frame::wire`'s.
//!
//! Like tshark's Source, Destination, Protocol, Length and Info columns: the innermost layer
//! names the protocol and the addresses (a tunnel's inner packet, not its outer one), except
//! that the packet an ICMP error quotes does not (the error is the protocol); a fragment that is
//! not the first is `Fragmented IP protocol`; a frame cut by the snap length says
//! `[Packet size limited during capture]` with its length on the wire. With reassembly
//! (`read`'s default, `src/frame/reassembly.rs`), every fragment held is `Fragmented IP
//! protocol` and the frame that completes a datagram names its upper layer, as tshark's.
//! Sequence numbers are absolute (tshark shows them relative to the stream's first); ports name no
//! application protocol (tshark's DNS, HTTP... columns are not reproduced); an IPv6 routing
//! header's final destination is not shown in place of the destination.

use std::fmt::Write as _;

use super::reassembly::Defrag;
use super::show::ether_type_name;
use super::view::{self, Hdr, LayerKind};
use super::wire::ip::protocol;
use super::wire::{
    arp, at, ethernet, gre, icmp, icmpv6, ipv4, ipv6, llc, mpls, pim, tcp, udp, vlan, Value,
};
use super::MacAddr;

/// One line per frame, in the style of tshark's default output, without its frame number and
/// time columns: `198.18.0.1 → 198.18.0.2 TCP 57 1111 → 2222 [SYN] Seq=0 Win=8192 Len=3`.
pub fn summary(frame: &[u8]) -> String {
    let mut out = String::new();
    write_summary(&mut out, frame);
    out
}

/// Append tshark's numbered line, `    N SECS.NANOS summary`, without its newline: frame number
/// `n` (from 1) and its time relative to `t0_ns`, the first frame's timestamp. What `capture`
/// and `read` print per frame.
pub fn write_numbered(out: &mut String, n: u64, ts_ns: u128, t0_ns: u128, frame: &[u8]) {
    write_numbered_wire(out, n, ts_ns, t0_ns, frame, frame.len() as u32);
}

/// [`write_numbered`] for a frame of `wire_len` bytes on the wire, of which `frame` were
/// captured (the snap length cut the rest).
pub fn write_numbered_wire(
    out: &mut String,
    n: u64,
    ts_ns: u128,
    t0_ns: u128,
    frame: &[u8],
    wire_len: u32,
) {
    write_numbered_defrag(out, n, ts_ns, t0_ns, frame, wire_len, None)
}

/// [`write_numbered_wire`] of a frame reassembly saw (`frame`: the bytes it gave to walk): a
/// fragment it holds is `Fragmented IP protocol` (`IPv6 fragment`), with ` [Reassembled in
/// #N]` when a first pass knows the frame that completes it; the frame that completes a
/// datagram is summed up by the reassembled payload's layers.
pub fn write_numbered_defrag(
    out: &mut String,
    n: u64,
    ts_ns: u128,
    t0_ns: u128,
    frame: &[u8],
    wire_len: u32,
    defrag: Option<&Defrag>,
) {
    // A frame stamped before the first one (files merged from several interfaces) gets a
    // negative time, as tshark prints it: `-0.000008545`.
    let (neg, rel) = match ts_ns.checked_sub(t0_ns) {
        Some(rel) => (false, rel),
        None => (true, t0_ns - ts_ns),
    };
    let secs = rel / 1_000_000_000;
    let width = secs.checked_ilog10().map_or(1, |d| d as usize + 1) + usize::from(neg);
    let _ = write!(out, "{n:>5} ");
    for _ in width..4 {
        out.push(' ');
    }
    if neg {
        out.push('-');
    }
    let _ = write!(out, "{secs}.{:09} ", rel % 1_000_000_000);
    write_summary_defrag(out, frame, wire_len, defrag);
}

/// [`summary`], appended to `out`: with a reused `out`, printing a capture line by line
/// allocates nothing per frame.
pub fn write_summary(out: &mut String, frame: &[u8]) {
    write_summary_wire(out, frame, frame.len() as u32);
}

const CUT: &str = "[Packet size limited during capture]";

/// [`write_summary`] for a frame of `wire_len` bytes on the wire (more than `frame.len()` when
/// the snap length cut it): the length shown is `wire_len`, and a cut frame says so as tshark
/// does.
pub fn write_summary_wire(out: &mut String, frame: &[u8], wire_len: u32) {
    write_summary_defrag(out, frame, wire_len, None)
}

/// [`write_summary_wire`] of a frame reassembly saw ([`write_numbered_defrag`]).
pub fn write_summary_defrag(
    out: &mut String,
    frame: &[u8],
    wire_len: u32,
    defrag: Option<&Defrag>,
) {
    let cap = defrag.map_or(frame.len(), |d| d.frame.len());
    let cut = wire_len as usize > cap;
    let len = wire_len.max(cap as u32);
    let lay = view::layout_defrag(frame, view::Encap::Ethernet, defrag);
    if !lay.eth {
        let _ = write!(out, "? → ? Raw {len}");
        if cut {
            let _ = write!(out, " {CUT}");
        }
        return;
    }
    let all = lay.layers();
    // The quoted packet of an ICMP error names nothing.
    let shown = &all[..all
        .iter()
        .position(|h| h.proto == LayerKind::Quoted)
        .unwrap_or(all.len())];
    let Some(ti) = shown.iter().rposition(|h| h.proto != LayerKind::Data) else {
        let _ = write!(out, "? → ? Raw {len}");
        return;
    };
    let top = shown[ti];
    // Addresses: the innermost IP header, else the innermost Ethernet header.
    let ip = shown[..=ti]
        .iter()
        .rev()
        .find(|h| matches!(h.proto, LayerKind::Ipv4 | LayerKind::Ipv6));
    let eth = shown[..=ti]
        .iter()
        .rev()
        .find(|h| h.proto == LayerKind::Eth);
    match (ip, eth) {
        (Some(h), _) if h.proto == LayerKind::Ipv4 => {
            let ip = ipv4::Header::new_unchecked(&frame[h.start..]);
            let _ = write!(out, "{} → {} ", ip.src(), ip.dst());
        }
        (Some(h), _) => {
            let ip = ipv6::Header::new_unchecked(&frame[h.start..]);
            let _ = write!(out, "{} → {} ", ip.src(), ip.dst());
        }
        (None, Some(h)) => {
            let eth = ethernet::Header::new_unchecked(&frame[h.start..]);
            write_mac(out, eth.src());
            out.push_str(" → ");
            write_mac(out, eth.dst());
            out.push(' ');
        }
        (None, None) => out.push_str("? → ? "),
    }
    let start = out.len();
    // A PIM Register names itself, not the packet it carries (whose addresses are shown).
    let ti = shown
        .iter()
        .position(|h| h.proto == LayerKind::Pim)
        .unwrap_or(ti);
    let malformed = info(out, frame, shown, ti, len, lay.first_fragment_l4);
    // tshark 4.0 notes it on IPv4 fragments only.
    if let Some(r) = defrag.filter(|d| !d.ipv6).and_then(|d| d.reassembled_in) {
        let _ = write!(out, " [Reassembled in #{r}]");
    }
    if cut {
        if malformed {
            // The layer that is not whole: tshark names the last whole one.
            out.truncate(start);
            let name = match top.proto {
                LayerKind::Ipv4 => "IPv4",
                LayerKind::Ipv6 => "IPv6",
                _ => match next_ether_type(frame, &top) {
                    Some(t) => ether_type_name_short(t),
                    None => "Ethernet",
                },
            };
            let _ = write!(out, "{name} {len} {CUT}");
        } else {
            out.push_str(CUT);
        }
    }
    write_vlans(out, frame, all);
}

/// The Protocol, Length and Info columns for the layer `shown[ti]`; true when the layer after
/// it is malformed (what follows ends in `[Malformed]`).
///
/// The view pushed each layer once its header was whole, so the wire views over its bytes
/// (`&f[o..]`) are made unchecked.
/// `cut_l4`: where the transport header of a first fragment not reassembled starts (tshark
/// gives its TCP no `Len=`).
fn info(
    out: &mut String,
    f: &[u8],
    shown: &[Hdr],
    ti: usize,
    len: u32,
    cut_l4: Option<usize>,
) -> bool {
    let top = shown[ti];
    let o = top.start;
    let _ = match top.proto {
        LayerKind::Tcp => {
            tcp(out, f, &top, len, cut_l4 == Some(o));
            Ok(())
        }
        LayerKind::Udp => {
            let h = udp::Header::new_unchecked(&f[o..]);
            write!(
                out,
                "UDP {len} {} → {} Len={}",
                h.src_port(),
                h.dst_port(),
                // The header's length, as tshark counts it (a first fragment's whole datagram).
                h.len().saturating_sub(udp::HEADER_LEN as u16)
            )
        }
        LayerKind::Icmp => {
            icmp(out, f, shown, &top, len);
            Ok(())
        }
        LayerKind::Icmpv6 => {
            icmpv6(out, f, shown, &top, len);
            Ok(())
        }
        LayerKind::Arp => {
            let a = arp::Header::new_unchecked(&f[o..]);
            let whole = f.len() >= o + arp::ETH_IPV4_LEN;
            match a.oper() {
                arp::OP_REQUEST if whole => {
                    write!(out, "ARP {len} Who has {}? Tell {}", a.tpa(), a.spa())
                }
                arp::OP_REPLY if whole => write!(out, "ARP {len} {} is at {}", a.spa(), a.sha()),
                _ => write!(out, "ARP {len}"),
            }
        }
        LayerKind::Fragment => {
            let ip = shown[ti - 1];
            if ip.proto == LayerKind::Ipv4 {
                let h = ipv4::Header::new_unchecked(&f[ip.start..]);
                let p = h.protocol();
                let _ = write!(out, "IPv4 {len} Fragmented IP protocol (proto=");
                write_proto(out, p);
                write!(
                    out,
                    " {p}, off={}, ID={:04x})",
                    h.frag_offset() as usize * 8,
                    h.ident()
                )
            } else {
                // The fragment header is the 8 bytes before the fragment's data.
                let h = top.start - ipv6::EXT_HEADER_MIN_LEN;
                let fo = u16::get(&f[at(h, ipv6::field::FRAG_OFF_M)]);
                write!(
                    out,
                    "IPv6 {len} IPv6 fragment (off={} more={} ident=0x{:08x} nxt={})",
                    (fo >> 3) as usize * 8,
                    if fo & 1 == 1 { 'y' } else { 'n' },
                    u32::get(&f[at(h, ipv6::field::FRAG_IDENT)]),
                    u8::get(&f[at(h, ipv6::field::EXT_NXT_HDR)])
                )
            }
        }
        LayerKind::Ipv4 | LayerKind::Ipv6 => {
            let (name, p) = if top.proto == LayerKind::Ipv4 {
                ("IPv4", ipv4::Header::new_unchecked(&f[o..]).protocol())
            } else {
                ("IPv6", ipv6::Header::new_unchecked(&f[o..]).next_header())
            };
            if matches!(
                p,
                protocol::ICMP | protocol::TCP | protocol::UDP | protocol::ICMPV6
            ) {
                let _ = match p {
                    protocol::ICMP => write!(out, "ICMP"),
                    protocol::TCP => write!(out, "TCP"),
                    protocol::UDP => write!(out, "UDP"),
                    _ => write!(out, "ICMPv6"),
                };
                let _ = write!(out, " {len} [Malformed]");
                return true;
            }
            if name == "IPv6" && ipv6::is_ext_header(p) {
                // Its extension headers are cut short.
                let _ = write!(out, "IPv6 {len} [Malformed]");
                return true;
            }
            write_proto(out, p);
            write!(out, " {len}")
        }
        LayerKind::Igmp => write!(out, "IGMP {len}"),
        LayerKind::Gre => write!(
            out,
            "GRE {len} Encapsulated 0x{:04x}",
            gre::Header::new_unchecked(&f[o..]).protocol()
        ),
        LayerKind::Mpls => write!(
            out,
            "MPLS {len} MPLS Label {}",
            mpls::Header::new_unchecked(&f[o..]).label()
        ),
        LayerKind::Vxlan => write!(out, "VXLAN {len}"),
        LayerKind::Geneve => write!(out, "Geneve {len}"),
        LayerKind::Erspan => write!(out, "ERSPAN {len} ERSPAN:"),
        LayerKind::Nsh => write!(out, "NSH {len}"),
        LayerKind::Pim => {
            let h = pim::Header::new_unchecked(&f[o..]);
            const TYPES: [&str; 10] = [
                "Hello",
                "Register",
                "Register-stop",
                "Join/Prune",
                "Bootstrap",
                "Assert",
                "Graft",
                "Graft-Ack",
                "Candidate-RP-Advertisement",
                "State-Refresh",
            ];
            match TYPES.get(h.msg_type() as usize) {
                Some(t) if h.version() == 2 => write!(out, "PIMv2 {len} {t}"),
                _ => write!(out, "PIMv{} {len}", h.version()),
            }
        }
        LayerKind::Llc => {
            let h = llc::Header::new_unchecked(&f[o..]);
            write!(
                out,
                "LLC {len} DSAP 0x{:02x} SSAP 0x{:02x}",
                h.dsap(),
                h.ssap()
            )
        }
        LayerKind::Eth | LayerKind::Vlan | LayerKind::Dot1ad => {
            let t = next_ether_type(f, &top).unwrap_or(0);
            if matches!(
                t,
                ethernet::ethertype::IPV4 | ethernet::ethertype::IPV6 | ethernet::ethertype::ARP
            ) {
                let _ = write!(out, "{} {len} [Malformed]", ether_type_name_short(t));
                return true;
            }
            if top.proto == LayerKind::Eth && ethernet::Header::new_unchecked(&f[o..]).is_8023() {
                write!(out, "LLC {len} [Malformed]")
            } else {
                write!(out, "{} {len} Ethernet II", ether_type_name(t))
            }
        }
        LayerKind::Quoted | LayerKind::Data => Ok(()),
    };
    false
}

/// The EtherType after an Ethernet header or a tag.
fn next_ether_type(f: &[u8], h: &Hdr) -> Option<u16> {
    match h.proto {
        LayerKind::Eth => ethernet::Header::new_checked(&f[h.start..])
            .ok()
            .map(|e| e.ethertype()),
        LayerKind::Vlan | LayerKind::Dot1ad => vlan::Header::new_checked(&f[h.start..])
            .ok()
            .map(|t| t.ethertype()),
        _ => None,
    }
}

fn ether_type_name_short(t: u16) -> &'static str {
    match t {
        ethernet::ethertype::IPV4 => "IPv4",
        ethernet::ethertype::IPV6 => "IPv6",
        ethernet::ethertype::ARP => "ARP",
        _ => "Ethernet",
    }
}

/// tshark's name of an IP protocol (the number when it has none here).
fn write_proto(out: &mut String, p: u8) {
    let _ = match p {
        1 => out.write_str("ICMP"),
        2 => out.write_str("IGMP"),
        4 => out.write_str("IPIP"),
        6 => out.write_str("TCP"),
        17 => out.write_str("UDP"),
        41 => out.write_str("IPv6"),
        47 => out.write_str("GRE"),
        58 => out.write_str("ICMPv6"),
        89 => out.write_str("OSPF"),
        112 => out.write_str("VRRP"),
        132 => out.write_str("SCTP"),
        _ => write!(out, "{p}"),
    };
}

/// A MAC address, `Broadcast` for ff:ff:ff:ff:ff:ff as tshark names it.
fn write_mac(out: &mut String, m: MacAddr) {
    if m.0 == [0xff; 6] {
        out.push_str("Broadcast");
    } else {
        let _ = write!(out, "{m}");
    }
}

/// The TCP Info column: ports, flags, numbers, length, and the options tshark lists.
fn tcp(out: &mut String, f: &[u8], h: &Hdr, len: u32, first_fragment: bool) {
    use tcp::flags as F;
    let o = h.start;
    let t = tcp::Header::new_unchecked(&f[o..]);
    let hl = t.header_len();
    let flags = t.flags();
    let _ = write!(out, "TCP {len} {} → {} [", t.src_port(), t.dst_port());
    let names = [
        (F::FIN, "FIN"),
        (F::SYN, "SYN"),
        (F::RST, "RST"),
        (F::PSH, "PSH"),
        (F::ACK, "ACK"),
        (F::URG, "URG"),
        (F::ECE, "ECE"),
        (F::CWR, "CWR"),
        (F::NS, "NS"),
        (F::RESERVED, "Reserved"),
    ];
    let mut sep = "";
    for (_, name) in names.iter().filter(|(b, _)| flags & b != 0) {
        out.push_str(sep);
        out.push_str(name);
        sep = ", ";
    }
    let _ = write!(out, "] Seq={}", t.seq());
    if flags & F::ACK != 0 {
        let _ = write!(out, " Ack={}", t.ack());
    }
    let _ = write!(out, " Win={}", t.window());
    if flags & F::URG != 0 {
        let _ = write!(out, " Urg={}", t.urgent());
    }
    if !first_fragment {
        let _ = write!(out, " Len={}", h.end - o - hl);
    }
    // Options, as tshark lists them after the length.
    use tcp::option as K;
    let opts = t.options();
    for opt in t.option_iter() {
        let v = &opts[opt.offset + 2.min(opt.len)..opt.offset + opt.len];
        let _ = match (opt.kind, opt.len) {
            (K::MSS, K::MSS_LEN) => write!(out, " MSS={}", u16::get(v)),
            (K::WSCALE, K::WSCALE_LEN) => write!(out, " WS={}", 1u32 << v[0].min(14)),
            (K::SACK_PERM, 2) => write!(out, " SACK_PERM"),
            (K::TIMESTAMP, K::TIMESTAMP_LEN) => {
                write!(out, " TSval={} TSecr={}", u32::get(v), u32::get(&v[4..]))
            }
            _ => Ok(()),
        };
    }
}

/// The ICMP Info column.
fn icmp(out: &mut String, f: &[u8], shown: &[Hdr], h: &Hdr, len: u32) {
    let o = h.start;
    let ic = icmp::Header::new_unchecked(&f[o..]);
    let (t, c) = (ic.msg_type(), ic.code());
    let ttl = shown
        .iter()
        .rev()
        .find(|l| l.proto == LayerKind::Ipv4)
        .map_or(0, |l| ipv4::Header::new_unchecked(&f[l.start..]).ttl());
    let (id, seq) = (ic.echo_ident(), ic.echo_seq());
    let _ = match t {
        icmp::msg::ECHO_REQUEST => write!(
            out,
            "ICMP {len} Echo (ping) request  id={id:#06x}, seq={seq}/{}, ttl={ttl}",
            seq.swap_bytes()
        ),
        icmp::msg::ECHO_REPLY => write!(
            out,
            "ICMP {len} Echo (ping) reply    id={id:#06x}, seq={seq}/{}, ttl={ttl}",
            seq.swap_bytes()
        ),
        _ => {
            let (name, code) = icmp_text(t, c);
            let _ = write!(out, "ICMP {len} {name}");
            match code {
                Some(code) => write!(out, " ({code})"),
                None => Ok(()),
            }
        }
    };
}

/// tshark's words for an ICMP type and code.
fn icmp_text(t: u8, c: u8) -> (&'static str, Option<&'static str>) {
    match (t, c) {
        (3, _) => (
            "Destination unreachable",
            Some(match c {
                0 => "Network unreachable",
                1 => "Host unreachable",
                2 => "Protocol unreachable",
                3 => "Port unreachable",
                4 => "Fragmentation needed",
                5 => "Source route failed",
                6 => "Destination network unknown",
                7 => "Destination host unknown",
                9 => "Network administratively prohibited",
                10 => "Host administratively prohibited",
                13 => "Communication administratively filtered",
                _ => "Unknown code",
            }),
        ),
        (4, _) => ("Source quench (flow control)", None),
        (5, 0) => ("Redirect", Some("Redirect for network")),
        (5, 1) => ("Redirect", Some("Redirect for host")),
        (5, _) => ("Redirect", None),
        (9, _) => ("Router advertisement", None),
        (10, _) => ("Router solicitation", None),
        (11, 0) => (
            "Time-to-live exceeded",
            Some("Time to live exceeded in transit"),
        ),
        (11, 1) => (
            "Time-to-live exceeded",
            Some("Fragment reassembly time exceeded"),
        ),
        (11, _) => ("Time-to-live exceeded", None),
        (12, _) => ("Parameter problem", None),
        (13, _) => ("Timestamp request", None),
        (14, _) => ("Timestamp reply", None),
        _ => ("Unknown ICMP (obsolete or malformed?)", None),
    }
}

/// The ICMPv6 Info column.
fn icmpv6(out: &mut String, f: &[u8], shown: &[Hdr], h: &Hdr, len: u32) {
    use icmpv6::{field as F, msg as M, nd_option as N};
    let (o, end) = (h.start, h.end);
    let ic = icmpv6::Header::new_unchecked(&f[o..]);
    let (t, c) = (ic.msg_type(), ic.code());
    let hlim = shown
        .iter()
        .rev()
        .find(|l| l.proto == LayerKind::Ipv6)
        .map_or(0, |l| {
            ipv6::Header::new_unchecked(&f[l.start..]).hop_limit()
        });
    let _ = write!(out, "ICMPv6 {len} ");
    // The link-layer address option of a neighbour discovery message, from `p`.
    let lladdr = |mut p: usize| {
        while p + icmpv6::OPT_LINKADDR_LEN <= end {
            let l = u8::get(&f[at(p, F::OPT_LEN)]) as usize * 8;
            if l == 0 {
                break;
            }
            let kind = u8::get(&f[at(p, F::OPT_TYPE)]);
            if matches!(kind, N::SOURCE_LINKADDR | N::TARGET_LINKADDR)
                && l == icmpv6::OPT_LINKADDR_LEN
            {
                return Some(MacAddr::get(&f[at(p, F::OPT_LINKADDR)]));
            }
            p += l;
        }
        None
    };
    let _ = match t {
        M::ECHO_REQUEST | M::ECHO_REPLY => write!(
            out,
            "Echo (ping) {} id={:#06x}, seq={}, hop limit={hlim}",
            if t == M::ECHO_REQUEST {
                "request"
            } else {
                "reply"
            },
            ic.echo_ident(),
            ic.echo_seq()
        ),
        1 => write!(
            out,
            "Destination Unreachable ({})",
            match c {
                0 => "no route to destination",
                1 => "communication with destination administratively prohibited",
                2 => "beyond scope of source address",
                3 => "Address unreachable",
                4 => "Port unreachable",
                5 => "source address failed ingress/egress policy",
                6 => "reject route to destination",
                _ => "Unknown",
            }
        ),
        2 => write!(out, "Packet Too Big"),
        3 => write!(
            out,
            "Time Exceeded ({})",
            if c == 0 {
                "hop limit exceeded in transit"
            } else {
                "fragment reassembly time exceeded"
            }
        ),
        4 => write!(out, "Parameter Problem"),
        130 => write!(out, "Multicast Listener Query"),
        131 => write!(out, "Multicast Listener Report"),
        132 => write!(out, "Multicast Listener Done"),
        143 => write!(out, "Multicast Listener Report Message v2"),
        133 | 134 => {
            let _ = write!(
                out,
                "Router {}",
                if t == 133 {
                    "Solicitation"
                } else {
                    "Advertisement"
                }
            );
            match lladdr(
                o + if t == M::ROUTER_SOLICIT {
                    icmpv6::RS_OPTIONS
                } else {
                    icmpv6::RA_OPTIONS
                },
            ) {
                Some(m) => write!(out, " from {m}"),
                None => Ok(()),
            }
        }
        M::NEIGHBOR_SOLICIT | M::NEIGHBOR_ADVERT if end >= o + icmpv6::NS_NA_OPTIONS => {
            let target = ic.target();
            if t == M::NEIGHBOR_SOLICIT {
                let _ = write!(out, "Neighbor Solicitation for {target}");
                match lladdr(o + icmpv6::NS_NA_OPTIONS) {
                    Some(m) => write!(out, " from {m}"),
                    None => Ok(()),
                }
            } else {
                let _ = write!(out, "Neighbor Advertisement {target}");
                let fl = ic.rest()[0];
                let mut sep = " (";
                for (bit, name) in [(0x80, "rtr"), (0x40, "sol"), (0x20, "ovr")] {
                    if fl & bit != 0 {
                        out.push_str(sep);
                        out.push_str(name);
                        sep = ", ";
                    }
                }
                if sep == ", " {
                    out.push(')');
                }
                match lladdr(o + icmpv6::NS_NA_OPTIONS) {
                    Some(m) => write!(out, " is at {m}"),
                    None => Ok(()),
                }
            }
        }
        _ => write!(out, "type {t}"),
    };
}

/// Append ` [VLAN id]` for each tag of the outer Ethernet header.
fn write_vlans(out: &mut String, frame: &[u8], layers: &[Hdr]) {
    for h in layers
        .iter()
        .skip(1)
        .take_while(|h| matches!(h.proto, LayerKind::Vlan | LayerKind::Dot1ad))
    {
        let _ = write!(
            out,
            " [VLAN {}]",
            vlan::Header::new_unchecked(&frame[h.start..]).vid()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::spec::tests::fixture;

    /// The time column as tshark prints it, before the first frame too (issue 13, item 9).
    #[test]
    fn numbered_line_time_before_and_after_the_first_frame() {
        let f = fixture("tcp_default");
        let t0 = 1_000_000_000_000;
        let col = |ts: u128| {
            let mut s = String::new();
            write_numbered(&mut s, 7, ts, t0, &f);
            s[..s.find("198.").unwrap()].to_string()
        };
        assert_eq!(col(t0), "    7    0.000000000 ");
        assert_eq!(col(t0 + 1_500_000_000), "    7    1.500000000 ");
        assert_eq!(col(t0 + 12_345_000_000_001), "    7 12345.000000001 ");
        assert_eq!(col(t0 - 8_545), "    7   -0.000008545 ");
        assert_eq!(col(t0 - 12_000_000_000), "    7  -12.000000000 ");
    }

    #[test]
    fn summary_like_tshark() {
        assert_eq!(
            summary(&fixture("tcp_default")),
            "198.18.0.1 → 198.18.0.2 TCP 59 1111 → 2222 [SYN] Seq=0 Win=8192 Len=5"
        );
        assert_eq!(
            summary(&fixture("tcp_synack")),
            "198.18.0.1 → 198.18.0.2 TCP 54 2222 → 1111 [SYN, ACK] Seq=1000 Ack=1 Win=8192 Len=0"
        );
        assert_eq!(
            summary(&fixture("padded")),
            "198.18.0.1 → 198.18.0.2 UDP 64 1111 → 2222 Len=3"
        );
        assert!(summary(&fixture("icmp")).contains("Echo (ping) request"));
        assert!(summary(&fixture("vlan")).ends_with("[VLAN 100]"));
    }

    #[test]
    fn write_summary_appends_to_a_reused_line() {
        let mut line = String::from("    1 ");
        write_summary(&mut line, &fixture("tcp_synack"));
        assert_eq!(line, format!("    1 {}", summary(&fixture("tcp_synack"))));
        let cap = line.capacity();
        line.clear();
        write_summary(&mut line, &fixture("onepkt"));
        assert_eq!(line, summary(&fixture("onepkt")));
        assert_eq!(
            line.capacity(),
            cap,
            "a reused line grew for a shorter summary"
        );
    }
}
