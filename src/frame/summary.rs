//! The one-line summary of a frame, in the style of tshark's default output: what `capture`
//! and `read` print per frame, and the harness's list of what arrived.
//!
//! What must stay true: [`write_summary`] allocates nothing per frame (it reads the packet
//! view's [`Layout`], then the header fields at the offsets it gives, and appends to a reused
//! `String`), and never panics on any bytes. Like [`show`](super::show()), it reads the
//! transport header at the start of the IP payload (no IPv6 extension headers; an IPv4 later
//! fragment as if it were the first) and dissects the 0x8100/0x88a8 tags Scapy does.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type, IpNumber, TcpHeader, UdpHeader,
};

use super::show::{ether_type_name, icmp_name, ip_proto_name, scapy_tags};
use super::view::{self, be16, Layout};
use super::{MacAddr, TcpFlags};

/// One line per frame, in the style of tshark's default output, without its frame number and
/// time columns: `198.18.0.1 → 198.18.0.2 TCP 57 1111 → 2222 [SYN] Seq=0 Win=8192 Len=3`.
/// Sequence numbers are absolute (tshark shows them relative to the stream's first).
pub fn summary(frame: &[u8]) -> String {
    let mut out = String::new();
    write_summary(&mut out, frame);
    out
}

/// Append tshark's numbered line, `    N SECS.NANOS summary`, without its newline: frame number
/// `n` (from 1) and its time relative to `t0_ns`, the first frame's timestamp. What `capture`
/// and `read` print per frame.
pub fn write_numbered(out: &mut String, n: u64, ts_ns: u64, t0_ns: u64, frame: &[u8]) {
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
    write_summary(out, frame);
}

/// [`summary`], appended to `out`: with a reused `out`, printing a capture line by line
/// allocates nothing per frame.
pub fn write_summary(out: &mut String, frame: &[u8]) {
    let len = frame.len();
    let lay = view::layout(frame);
    if !lay.eth {
        let _ = write!(out, "? → ? Raw {len}");
        return;
    }
    let macs = (
        MacAddr::from(field6(frame, 6)),
        MacAddr::from(field6(frame, 0)),
    );
    let (tags, ether_type, after_tags) = scapy_tags(frame, &lay);
    let ip = match lay.l3_off {
        Some(o) if o == after_tags => lay.ip_payload().map(|(p, range)| (o, p, range)),
        _ => None,
    };
    let (src, dst, proto, payload, ttl): (IpAddr, IpAddr, _, &[u8], u8) = match (ether_type, ip) {
        (0x0800, Some((o, proto, range))) => (
            Ipv4Addr::from(field4(frame, o + 12)).into(),
            Ipv4Addr::from(field4(frame, o + 16)).into(),
            proto,
            &frame[range],
            frame[o + 8],
        ),
        (0x86dd, Some((o, proto, range))) => (
            Ipv6Addr::from(field16(frame, o + 8)).into(),
            Ipv6Addr::from(field16(frame, o + 24)).into(),
            proto,
            &frame[range],
            frame[o + 7],
        ),
        (0x0800, None) => {
            let _ = write!(out, "{} → {} IPv4 {len} [Malformed]", macs.0, macs.1);
            return;
        }
        (0x86dd, None) => {
            let _ = write!(out, "{} → {} IPv6 {len} [Malformed]", macs.0, macs.1);
            return;
        }
        (t, _) => {
            let _ = write!(
                out,
                "{} → {} {} {len} Ethernet II",
                macs.0,
                macs.1,
                ether_type_name(t)
            );
            write_vlans(out, frame, tags);
            return;
        }
    };
    let _ = write!(out, "{src} → {dst} ");
    let _ = match proto {
        IpNumber::TCP => match TcpHeader::from_slice(payload) {
            Ok((t, data)) => {
                let f = TcpFlags::of(&t);
                let names = [
                    (TcpFlags::FIN, "FIN"),
                    (TcpFlags::SYN, "SYN"),
                    (TcpFlags::RST, "RST"),
                    (TcpFlags::PSH, "PSH"),
                    (TcpFlags::ACK, "ACK"),
                    (TcpFlags::URG, "URG"),
                    (TcpFlags::ECE, "ECE"),
                    (TcpFlags::CWR, "CWR"),
                    (TcpFlags::NS, "NS"),
                ];
                let _ = write!(
                    out,
                    "TCP {len} {} → {} [",
                    t.source_port, t.destination_port
                );
                let mut sep = "";
                for (_, name) in names.iter().filter(|(b, _)| f.contains(*b)) {
                    out.push_str(sep);
                    out.push_str(name);
                    sep = ", ";
                }
                let _ = write!(out, "] Seq={}", t.sequence_number);
                if f.contains(TcpFlags::ACK) {
                    let _ = write!(out, " Ack={}", t.acknowledgment_number);
                }
                let _ = write!(out, " Win={}", t.window_size);
                if f.contains(TcpFlags::URG) {
                    let _ = write!(out, " Urg={}", t.urgent_pointer);
                }
                write!(out, " Len={}", data.len())
            }
            Err(_) => write!(out, "TCP {len} [Malformed]"),
        },
        IpNumber::UDP => match UdpHeader::from_slice(payload) {
            Ok((u, data)) => write!(
                out,
                "UDP {len} {} → {} Len={}",
                u.source_port,
                u.destination_port,
                data.len()
            ),
            Err(_) => write!(out, "UDP {len} [Malformed]"),
        },
        IpNumber::ICMP => match Icmpv4Header::from_slice(payload) {
            Ok((i, _)) => match i.icmp_type {
                Icmpv4Type::EchoRequest(e) => write!(
                    out,
                    "ICMP {len} Echo (ping) request  id={:#06x}, seq={}/{}, ttl={ttl}",
                    e.id,
                    e.seq,
                    e.seq.swap_bytes()
                ),
                Icmpv4Type::EchoReply(e) => write!(
                    out,
                    "ICMP {len} Echo (ping) reply    id={:#06x}, seq={}/{}, ttl={ttl}",
                    e.id,
                    e.seq,
                    e.seq.swap_bytes()
                ),
                _ => write!(out, "ICMP {len} {}", icmp_name(i.to_bytes()[0])),
            },
            Err(_) => write!(out, "ICMP {len} [Malformed]"),
        },
        IpNumber::IPV6_ICMP => match Icmpv6Header::from_slice(payload) {
            Ok((i, _)) => match i.icmp_type {
                Icmpv6Type::EchoRequest(e) => write!(
                    out,
                    "ICMPv6 {len} Echo (ping) request id={:#06x}, seq={}, hop limit={ttl}",
                    e.id, e.seq
                ),
                Icmpv6Type::EchoReply(e) => write!(
                    out,
                    "ICMPv6 {len} Echo (ping) reply id={:#06x}, seq={}, hop limit={ttl}",
                    e.id, e.seq
                ),
                _ => write!(out, "ICMPv6 {len} type {}", i.to_bytes()[0]),
            },
            Err(_) => write!(out, "ICMPv6 {len} [Malformed]"),
        },
        p => write!(out, "{} {len}", ip_proto_name(p, false)),
    };
    write_vlans(out, frame, tags);
}

/// Append ` [VLAN id]` for each of the first `tags` tags after the Ethernet header.
fn write_vlans(out: &mut String, frame: &[u8], tags: usize) {
    for k in 0..tags {
        let _ = write!(out, " [VLAN {}]", be16(frame, Layout::vlan_off(k)) & 0x0fff);
    }
}

/// `N` bytes at `at` (the view has checked they are there).
fn field<const N: usize>(frame: &[u8], at: usize) -> [u8; N] {
    let mut b = [0; N];
    b.copy_from_slice(&frame[at..at + N]);
    b
}

fn field4(frame: &[u8], at: usize) -> [u8; 4] {
    field(frame, at)
}

fn field6(frame: &[u8], at: usize) -> [u8; 6] {
    field(frame, at)
}

fn field16(frame: &[u8], at: usize) -> [u8; 16] {
    field(frame, at)
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
        let col = |ts: u64| {
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
