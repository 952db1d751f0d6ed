//! The packet view: ONE walk over a frame's bytes, Ethernet → 802.1Q tags → IPv4/IPv6 (with
//! IPv6 extension headers) → TCP/UDP/ICMP/ICMPv6/IGMP, giving a [`Layout`] (where each layer
//! starts and ends) and, on request, every header field by name with its byte range and
//! printable value ([`dissect`]). Every reader of frames in the crate reads this walk:
//! [`show`](super::show()), [`write_summary`](super::write_summary), `-T fields`
//! ([`fields`](super::fields)), the harness's matcher masks and field diffs, its noise filter and
//! its stamp placement.
//!
//! One file per protocol (`eth.rs` for Ethernet and its tags, `ipv4.rs`, `ipv6.rs`, `tcp.rs`,
//! `udp.rs`, `icmp.rs` for ICMP, ICMPv6 and IGMP), each slicing its header with etherparse and
//! naming its fields, in the spirit of smoltcp's `wire`.
//!
//! Field names ([`FIELD_NAMES`]) are tshark's (`eth.src`, `ip.ttl`, `tcp.seq`...), except where
//! Scapy's spelling was printed first and stays printed (`*.chksum`, `vlan.prio`, `tcp.window`,
//! `tcp.urgptr`): tshark's spelling of those is accepted as an alias ([`ALIASES`],
//! [`canonical_name`]). Sub-byte fields (`ip.version`, `ip.flags`...) carry the range of the
//! bytes that hold them.
//!
//! What must stay true: [`layout`] never panics on any bytes and allocates nothing (the
//! one-line summary of every captured frame goes through it); a frame whose upper layers are
//! truncated or malformed still yields the layers and fields that are whole.
//!
//! Why not etherparse's `LaxSlicedPacket`: it gives the headers but not where each field sits,
//! it stops at the first VLAN tag pair (two tags at most) and it does not say how far it got
//! when a layer is cut; the walk here slices one header at a time with etherparse's header
//! slices (`Ethernet2HeaderSlice`, `Ipv4HeaderSlice`, `Ipv6ExtensionsSlice`, ...) and so keeps
//! the byte offsets every reader needs. Not walked: ARP, MPLS, IP/TCP options beyond their
//! raw bytes.

use std::fmt::Write as _;
use std::ops::Range;

use etherparse::{EtherType, IpNumber};

mod eth;
mod icmp;
mod ipv4;
mod ipv6;
mod tcp;
mod udp;

pub(crate) use eth::is_vlan;
#[cfg(test)]
mod tests;

/// One dissected field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name (see [`FIELD_NAMES`]); repeated names (stacked VLANs) keep their order.
    pub name: &'static str,
    /// The bytes of the frame that hold the field.
    pub range: Range<usize>,
    /// The value as printed in a diff.
    pub value: String,
}

/// The transport protocol found by [`layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    Tcp,
    Udp,
    Icmpv4,
    Icmpv6,
    Igmp,
    Other(u8),
}

/// Where the layers of a frame start and end: what every reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// The frame starts with a whole Ethernet II header (bytes 0..14).
    pub eth: bool,
    /// The innermost EtherType: after the VLAN tags, or the tag's own type (0x8100...) when
    /// the tag after it is cut short.
    pub ether_type: u16,
    /// Number of whole 802.1Q/802.1ad tags (0x8100, 0x88a8, 0x9100); tag `k` sits at
    /// [`Layout::vlan_off`]`(k)`.
    pub vlans: usize,
    /// Offset of the IPv4/IPv6 header (a whole one).
    pub l3_off: Option<usize>,
    /// True when the network layer is IPv6.
    pub ipv6: bool,
    /// Length of the base IP header: IPv4 with its options, IPv6's fixed 40 bytes.
    pub ip_hdr_len: usize,
    /// The IPv4 protocol or the IPv6 next header of the base header.
    pub ip_proto: u8,
    /// Where the IP packet ends: its length field bounds it (the bytes after are Ethernet
    /// padding), or the frame's end.
    pub ip_end: usize,
    /// IPv4 with a fragment offset that is not 0: no transport header in this frame.
    pub ip_later_fragment: bool,
    /// Transport protocol and the offset of its header.
    pub l4: Option<(L4, usize)>,
    /// Offset of the transport checksum field (TCP, UDP, ICMP, ICMPv6).
    pub l4_csum_off: Option<usize>,
    /// Offset of the innermost payload (after the transport header, or after the last
    /// header understood). Equals the frame length when there is none.
    pub payload_off: usize,
    /// Where that payload ends: the IP length (and the UDP length) bound it, the bytes after
    /// are Ethernet padding. The frame length when nothing bounds it.
    pub payload_end: usize,
    /// The first byte of the ICMP/ICMPv6 type, when there is one.
    pub icmp_type: Option<u8>,
}

impl Layout {
    /// Offset of VLAN tag `k` (0-based).
    pub fn vlan_off(k: usize) -> usize {
        14 + 4 * k
    }

    /// The base IP header's protocol and its payload (up to the IP length; IPv6 extension
    /// headers included), when there is an IP header. Readers that show the layer after IP
    /// the way Scapy does (no extension headers, fragments as if first) start here.
    pub fn ip_payload(&self) -> Option<(IpNumber, Range<usize>)> {
        let o = self.l3_off?;
        Some((IpNumber(self.ip_proto), o + self.ip_hdr_len..self.ip_end))
    }
}

/// What a protocol's walk hands each field to: name, byte range, a way to print the value.
pub(crate) trait Emit: FnMut(&'static str, Range<usize>, &dyn Fn() -> String) {}
impl<F: FnMut(&'static str, Range<usize>, &dyn Fn() -> String)> Emit for F {}

/// Walks the headers once; `emit` receives each field. [`dissect`] formats them, [`layout`]
/// drops them (and then allocates nothing).
fn walk(
    frame: &[u8],
    mut emit: impl FnMut(&'static str, Range<usize>, &dyn Fn() -> String),
) -> Layout {
    let mut lay = Layout {
        payload_off: frame.len(),
        payload_end: frame.len(),
        ip_end: frame.len(),
        ..Layout::default()
    };
    let Some((et, off)) = eth::walk(frame, &mut lay, &mut emit) else {
        return lay;
    };
    let ip = match et {
        EtherType::IPV4 => ipv4::walk(frame, off, &mut lay, &mut emit),
        EtherType::IPV6 => ipv6::walk(frame, off, &mut lay, &mut emit),
        _ => None,
    };
    let Some((proto, l4_off, l4_end)) = ip else {
        return lay;
    };
    lay.payload_off = l4_off;
    lay.payload_end = l4_end;
    let seg = l4_off..l4_end;
    match proto {
        IpNumber::TCP => tcp::walk(frame, seg, &mut lay, &mut emit),
        IpNumber::UDP => udp::walk(frame, seg, &mut lay, &mut emit),
        IpNumber::ICMP => icmp::walk_v4(frame, seg, &mut lay, &mut emit),
        IpNumber::IPV6_ICMP => icmp::walk_v6(frame, seg, &mut lay, &mut emit),
        IpNumber::IGMP => icmp::walk_igmp(frame, seg, &mut lay, &mut emit),
        other => lay.l4 = Some((L4::Other(other.0), l4_off)),
    }
    lay
}

/// Where the layers of `frame` start, without formatting any field. Never panics, allocates
/// nothing.
pub fn layout(frame: &[u8]) -> Layout {
    walk(frame, |_, _, _| {})
}

/// Every field of `frame` that can be dissected, in frame order, followed by `data` (the bytes
/// after the last header, up to the end of the frame, Ethernet padding included) when not
/// empty. Not a hot path: it allocates.
pub fn dissect(frame: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    let lay = walk(frame, |name, range, value: &dyn Fn() -> String| {
        out.push(Field {
            name,
            value: value(),
            range,
        })
    });
    if lay.payload_off < frame.len() {
        out.push(Field {
            name: "data",
            range: lay.payload_off..frame.len(),
            value: format!("{} bytes", frame.len() - lay.payload_off),
        });
    }
    out
}

/// Hex without separators, for short opaque fields.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// A big-endian u16 at `at` (the caller has checked the length).
pub(crate) fn be16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

/// Every name [`dissect`] can produce, in frame order (for masks and error messages).
pub const FIELD_NAMES: &[&str] = &[
    "eth.dst",
    "eth.src",
    "eth.type",
    "vlan.prio",
    "vlan.dei",
    "vlan.id",
    "vlan.etype",
    "ip.version",
    "ip.hdr_len",
    "ip.dsfield",
    "ip.len",
    "ip.id",
    "ip.flags",
    "ip.frag_offset",
    "ip.ttl",
    "ip.proto",
    "ip.chksum",
    "ip.src",
    "ip.dst",
    "ip.options",
    "ipv6.version",
    "ipv6.tclass",
    "ipv6.flow",
    "ipv6.plen",
    "ipv6.nxt",
    "ipv6.hlim",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.exthdrs",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq",
    "tcp.ack",
    "tcp.hdr_len",
    "tcp.flags",
    "tcp.window",
    "tcp.chksum",
    "tcp.urgptr",
    "tcp.options",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "udp.chksum",
    "icmp.type",
    "icmp.code",
    "icmp.chksum",
    "icmp.rest",
    "icmpv6.type",
    "icmpv6.code",
    "icmpv6.chksum",
    "icmpv6.rest",
    "igmp.type",
    "igmp.chksum",
    "data",
];

/// Other spellings accepted for a name of [`FIELD_NAMES`]: tshark's, where the name printed is
/// Scapy's (`alias`, `name`).
pub const ALIASES: &[(&str, &str)] = &[
    ("vlan.priority", "vlan.prio"),
    ("ip.checksum", "ip.chksum"),
    ("tcp.seq_raw", "tcp.seq"),
    ("tcp.ack_raw", "tcp.ack"),
    ("tcp.window_size_value", "tcp.window"),
    ("tcp.checksum", "tcp.chksum"),
    ("tcp.urgent_pointer", "tcp.urgptr"),
    ("udp.checksum", "udp.chksum"),
    ("icmp.checksum", "icmp.chksum"),
    ("icmpv6.checksum", "icmpv6.chksum"),
    ("igmp.checksum", "igmp.chksum"),
];

/// The name of [`FIELD_NAMES`] that `name` spells (itself or through an alias).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    FIELD_NAMES
        .iter()
        .find(|&&n| n == name)
        .or_else(|| ALIASES.iter().find(|(a, _)| *a == name).map(|(_, n)| n))
        .copied()
}
