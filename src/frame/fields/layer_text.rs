//! tshark's text of a whole protocol layer, as `-T fields -e ip` (and `-T json`'s layer
//! objects) print it: "Internet Protocol Version 4, Src: ..., Dst: ...". Read through the wire
//! layer's field ranges; ICMP, ICMPv6, IGMP, VXLAN and LLC print their filter name, as tshark 4.0.

use std::fmt::Write as _;

use crate::frame::view::{self, LayerKind};

/// The column name of a protocol (tshark's filter name): `-e icmp` is [`LayerKind::Icmp`].
pub(crate) fn proto_name(k: LayerKind) -> &'static str {
    match k {
        LayerKind::Vlan => "vlan",
        LayerKind::Arp => "arp",
        LayerKind::Ipv4 => "ip",
        LayerKind::Ipv6 => "ipv6",
        LayerKind::Tcp => "tcp",
        LayerKind::Icmp => "icmp",
        LayerKind::Icmpv6 => "icmpv6",
        LayerKind::Igmp => "igmp",
        LayerKind::Vxlan => "vxlan",
        LayerKind::Llc => "llc",
        _ => "udp",
    }
}

/// Where a layer stands to an ICMP error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quoted {
    /// Not in a packet an ICMP error quotes.
    No,
    /// In the packet an ICMP error quotes (tshark gives its TCP no `Ack` or `Len`).
    Error,
    /// The transport header of a first fragment not reassembled (tshark gives its TCP no
    /// `Len`).
    Fragment,
    /// In the packet an ICMP redirect quotes (tshark gives its TCP its ports only).
    Redirect,
}

/// Where the packet an ICMP error quotes starts (past the end when there is none), and
/// whether the error is a redirect (ICMP type 5).
/// The third: where the transport header of a first fragment not reassembled starts.
pub(crate) fn quoted_from(lay: &view::Layout, data: &[u8]) -> (usize, Quoted, Option<usize>) {
    let (a, b) = quoted_start(lay, data);
    (a, b, lay.first_fragment_l4)
}

fn quoted_start(lay: &view::Layout, data: &[u8]) -> (usize, Quoted) {
    let hs = lay.layers();
    match hs.iter().position(|h| h.proto == LayerKind::Quoted) {
        None => (usize::MAX, Quoted::No),
        Some(i) => {
            let redirect = i > 0
                && hs[i - 1].proto == LayerKind::Icmp
                && data.get(hs[i - 1].start) == Some(&5);
            let how = if redirect {
                Quoted::Redirect
            } else {
                Quoted::Error
            };
            (hs[i].start, how)
        }
    }
}

/// How layer `h` stands to the quoted packet of [`quoted_from`].
pub(crate) fn quoted_at(h: &view::Hdr, (from, how, cut): (usize, Quoted, Option<usize>)) -> Quoted {
    if cut == Some(h.start) {
        Quoted::Fragment
    } else if h.start >= from {
        how
    } else {
        Quoted::No
    }
}

/// tshark's text of a protocol layer, as `-T fields -e ip` prints it: a summary for IP, TCP,
/// UDP, VLAN and ARP; for ICMP, ICMPv6, IGMP, VXLAN and LLC, whose protocol item tshark 4.0
/// gives no text, its filter name (`-e icmp` prints `icmp`, once per ICMP header: an error
/// quoting an echo is `icmp,icmp`).
/// `quoted`: whether the layer is in the packet an ICMP error quotes.
pub(crate) fn write_proto(out: &mut String, data: &[u8], h: &view::Hdr, quoted: Quoted) {
    use crate::frame::wire::{arp, ipv4, ipv6, tcp, udp, vlan};
    let at = |f: std::ops::Range<usize>| data.get(h.start + f.start..h.start + f.end);
    let be16 = |f: std::ops::Range<usize>| at(f).map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let be32 = |f: std::ops::Range<usize>| {
        at(f).map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    match h.proto {
        LayerKind::Icmp
        | LayerKind::Icmpv6
        | LayerKind::Igmp
        | LayerKind::Vxlan
        | LayerKind::Llc => {
            out.push_str(proto_name(h.proto));
        }
        LayerKind::Ipv4 => {
            let ip = |f| at(f).map(|b| std::net::Ipv4Addr::new(b[0], b[1], b[2], b[3]));
            if let (Some(s), Some(d)) = (ip(ipv4::field::SRC_ADDR), ip(ipv4::field::DST_ADDR)) {
                let _ = write!(out, "Internet Protocol Version 4, Src: {s}, Dst: {d}");
            }
        }
        LayerKind::Ipv6 => {
            let ip = |f| {
                at(f)
                    .and_then(|b| <[u8; 16]>::try_from(b).ok())
                    .map(std::net::Ipv6Addr::from)
            };
            if let (Some(s), Some(d)) = (ip(ipv6::field::SRC_ADDR), ip(ipv6::field::DST_ADDR)) {
                let _ = write!(out, "Internet Protocol Version 6, Src: {s}, Dst: {d}");
            }
        }
        LayerKind::Udp => {
            let _ = write!(
                out,
                "User Datagram Protocol, Src Port: {}, Dst Port: {}",
                be16(udp::field::SRC_PORT),
                be16(udp::field::DST_PORT)
            );
        }
        LayerKind::Tcp => {
            let hl = at(tcp::field::DATA_OFF).map_or(20, |b| usize::from(b[0] >> 4) * 4);
            let flags = be16(tcp::field::FLAGS);
            let _ = write!(
                out,
                "Transmission Control Protocol, Src Port: {}, Dst Port: {}",
                be16(tcp::field::SRC_PORT),
                be16(tcp::field::DST_PORT),
            );
            // What an ICMP redirect quotes: the ports only; another error's: and the sequence
            // number (as tshark 4.0).
            if quoted == Quoted::Redirect {
                return;
            }
            let _ = write!(out, ", Seq: {}", be32(tcp::field::SEQ_NUM));
            if quoted == Quoted::Error
                || h.end < h.start + hl.max(tcp::HEADER_LEN)
                || data.len() < h.start + hl
            {
                return;
            }
            if flags & tcp::flags::ACK != 0 {
                let _ = write!(out, ", Ack: {}", be32(tcp::field::ACK_NUM));
            }
            if quoted == Quoted::Fragment {
                return;
            }
            let _ = write!(out, ", Len: {}", h.end.saturating_sub(h.start + hl));
        }
        LayerKind::Vlan => {
            let tci = be16(vlan::field::TCI);
            let _ = write!(
                out,
                "802.1Q Virtual LAN, PRI: {}, DEI: {}, ID: {}",
                tci >> 13,
                (tci >> 12) & 1,
                tci & 0x0fff
            );
        }
        LayerKind::Arp => {
            // Wireshark's names: a probe (no sender address yet), an announcement (sender and
            // target the same, no target MAC), a gratuitous request or reply.
            let (spa, tpa, tha) = (
                at(arp::field::SPA),
                at(arp::field::TPA),
                at(arp::field::THA),
            );
            let zero = |b: Option<&[u8]>| b.is_some_and(|b| b.iter().all(|x| *x == 0));
            let gratuitous = spa.is_some() && spa == tpa;
            out.push_str("Address Resolution Protocol");
            out.push_str(match be16(arp::field::OPER) {
                1 if gratuitous && zero(tha) => " (ARP Announcement)",
                1 if zero(spa) && zero(tha) => " (ARP Probe)",
                1 if gratuitous => " (request/gratuitous ARP)",
                1 => " (request)",
                2 if gratuitous => " (reply/gratuitous ARP)",
                2 => " (reply)",
                _ => "",
            });
        }
        _ => {}
    }
}
