//! The packet view: ONE walk over a frame's bytes, Ethernet (or 802.3/LLC) → 802.1Q/802.1ad
//! tags → ARP, MPLS, IPv4 (options, fragments)/IPv6 (extension headers walked) →
//! TCP (options)/UDP/ICMP/ICMPv6 (errors with their quoted packet, neighbour discovery)/IGMP,
//! and the tunnels GRE (keys, sequence numbers), ERSPAN I/II/III, IP in IP, VXLAN (UDP 4789),
//! VXLAN-GPE (4790), Geneve (6081), MPLS over UDP (6635), NSH (0x894f), PIM Register and IPv6
//! jumbograms with what they carry,
//! giving a [`Layout`] (where each layer starts and ends, [`Layout::layers`]) and, on request,
//! every header field by name with its byte range and printable value ([`dissect`]). Every reader of frames in the crate reads this walk:
//! [`show`](super::show()), [`write_summary`](super::write_summary), `-T fields`
//! ([`fields`](super::fields)), the harness's matcher masks and field diffs, its noise filter and
//! its stamp placement.
//!
//! One file per protocol (`eth.rs` for Ethernet, LLC and the tags, `arp.rs`, `mpls.rs`,
//! `ipv4.rs`, `ipv6.rs`, `tcp.rs`, `udp.rs` (with VXLAN and Geneve), `icmp.rs` for ICMP,
//! ICMPv6 and IGMP, `tunnel.rs` for GRE, `erspan.rs` for what GRE carries, `nsh.rs`, `pim.rs`),
//! each naming its fields by tshark's names; the bytes
//! are read through the wire layer ([`super::wire`]: field ranges, checked header views), so
//! no offset is written here. A field's value is printed as tshark 4.0 prints it with `-T fields` (`0x0002`,
//! `0x00000000`, `198.18.0.1`...); a field a frame holds twice (QinQ, IP in IP, the packet
//! quoted by an ICMP error, what a tunnel carries) is emitted twice, outer first, as tshark
//! lists it.
//!
//! The first IP stack (the outer one) fills [`Layout`]'s single fields (`l3_off`, `l4`,
//! `payload_off`...), what the harness stamps and masks; everything, inner stacks included,
//! is in [`Layout::layers`], what the summary and `-T fields data` read.
//!
//! Field names ([`FIELD_NAMES`], in `names.rs` with their aliases) are tshark's (`eth.src`, `ip.ttl`, `tcp.seq`...), except where
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
//! it stops at the first VLAN tag pair (two tags at most), knows no tunnel, and does not say how
//! far it got when a layer is cut; the walk here reads one header at a time at known offsets
//! and so keeps the byte offsets every reader needs.

use std::fmt::Write as _;
use std::ops::Range;

use super::reassembly::Defrag;
use super::wire::sll;

mod arp;
mod defrag;
mod erspan;
mod eth;
mod icmp;
mod ipv4;
mod ipv6;
mod mpls;
mod names;
mod nsh;
mod pim;
mod tcp;
mod tunnel;
mod udp;

pub use names::{canonical_name, ALIASES, FIELD_NAMES};

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_layers;

/// Writes a field's value (tshark's format) into a `String`: `v!("0x{:04x}", x)`.
macro_rules! v {
    ($($t:tt)*) => {
        &|w: &mut String| {
            let _ = std::fmt::Write::write_fmt(w, format_args!($($t)*));
        }
    };
}
pub(crate) use v;

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

/// What a layer of [`Layout::layers`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LayerKind {
    #[default]
    Eth,
    /// 802.3 length frame: the LLC header after it.
    Llc,
    /// An 802.1Q (0x8100, 0x9100) tag.
    Vlan,
    /// An 802.1ad (0x88a8) service tag.
    Dot1ad,
    Arp,
    /// One MPLS label stack entry.
    Mpls,
    Ipv4,
    Ipv6,
    /// An IPv4 or IPv6 fragment that is not the first: its bytes are not decoded.
    Fragment,
    Tcp,
    Udp,
    Icmp,
    Icmpv6,
    Igmp,
    Gre,
    /// ERSPAN type I (no header), II or III, with its platform-specific sub-header.
    Erspan,
    /// NSH (RFC 8300): base, service path and context headers.
    Nsh,
    /// PIM (a Register carries a packet).
    Pim,
    Vxlan,
    Geneve,
    /// What follows is the packet an ICMP/ICMPv6 error quotes.
    Quoted,
    /// Bytes no header claims (tshark's `data`).
    Data,
}

/// One layer: its protocol, where its header starts and where the layer (header and what it
/// carries) ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hdr {
    pub proto: LayerKind,
    pub start: usize,
    pub end: usize,
}

/// How many layers [`Layout::layers`] keeps (deeper ones are dropped).
pub const MAX_LAYERS: usize = 24;

/// Tunnels and quoted packets inside each other, at most.
const MAX_NESTING: u8 = 6;

/// Where the layers of a frame start and end: what every reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// The frame starts with a whole Ethernet II or 802.3 header (bytes 0..14).
    pub eth: bool,
    /// The innermost EtherType of the outer Ethernet header: after the VLAN tags, or the
    /// tag's own type (0x8100...) when the tag after it is cut short; the length of an 802.3
    /// frame.
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
    /// padding), or the frame's end (IPv4 total length 0, as TSO and BIG TCP leave it).
    pub ip_end: usize,
    /// IPv4 with a fragment offset that is not 0: no transport header in this frame.
    pub ip_later_fragment: bool,
    /// The outer transport header's offset when it is in a first fragment that reassembly
    /// did not complete (tshark gives its TCP no `tcp.len`).
    pub first_fragment_l4: Option<usize>,
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
    /// Every layer, outer first, tunnels and quoted packets included (see [`Layout::layers`]).
    pub stack: [Hdr; MAX_LAYERS],
    /// How many of `stack` are set.
    pub depth: usize,
}

impl Layout {
    /// Offset of VLAN tag `k` (0-based).
    pub fn vlan_off(k: usize) -> usize {
        super::wire::ethernet::HEADER_LEN + super::wire::vlan::HEADER_LEN * k
    }

    /// The base IP header's protocol and its payload (up to the IP length; IPv6 extension
    /// headers included), when there is an IP header.
    pub fn ip_payload(&self) -> Option<(etherparse::IpNumber, Range<usize>)> {
        let o = self.l3_off?;
        Some((
            etherparse::IpNumber(self.ip_proto),
            o + self.ip_hdr_len..self.ip_end,
        ))
    }

    /// Every layer found, outer first: the Ethernet header, its tags, the network and
    /// transport layers, then what a tunnel carries or an ICMP error quotes (after a
    /// [`LayerKind::Quoted`] marker), and [`LayerKind::Data`] where tshark would show `data`.
    pub fn layers(&self) -> &[Hdr] {
        &self.stack[..self.depth]
    }

    fn push(&mut self, proto: LayerKind, start: usize, end: usize) {
        if self.depth < MAX_LAYERS {
            self.stack[self.depth] = Hdr { proto, start, end };
            self.depth += 1;
        }
    }
}

/// What a protocol's walk hands each field to: name, byte range, a way to print the value.
pub(crate) trait Emit: FnMut(&'static str, Range<usize>, &dyn Fn(&mut String)) {}
impl<F: FnMut(&'static str, Range<usize>, &dyn Fn(&mut String))> Emit for F {}

/// The walk's state: the frame, the layout being filled, where fields go.
pub(crate) struct Walker<'a, E> {
    pub(crate) f: &'a [u8],
    pub(crate) lay: Layout,
    pub(crate) emit: E,
    /// Inside a tunnel or a quoted packet: the layout's single fields are the outer stack's.
    pub(crate) nested: bool,
    /// Inside the packet an ICMP error quotes (tshark leaves out `tcp.len` there).
    pub(crate) quoted: bool,
    /// Tunnels and quotes entered so far.
    pub(crate) nesting: u8,
    /// The outer IP header is a first fragment, not reassembled: its transport header is
    /// not whole.
    pub(crate) first_fragment: bool,
    /// The frame's outer IP header is a fragment that reassembly holds or completed.
    pub(crate) frag: Option<&'a Defrag>,
}

impl<'a, E: Emit> Walker<'a, E> {
    pub(crate) fn field(
        &mut self,
        name: &'static str,
        range: Range<usize>,
        v: &dyn Fn(&mut String),
    ) {
        (self.emit)(name, range, v)
    }

    pub(crate) fn push(&mut self, proto: LayerKind, start: usize, end: usize) {
        self.lay.push(proto, start, end);
    }

    /// The frame's bytes `o..end`, empty when `o` is past `end` (what a header view is made
    /// over).
    pub(crate) fn bytes(&self, o: usize, end: usize) -> &'a [u8] {
        self.f.get(o..end).unwrap_or(&[])
    }

    /// Bytes no header claims, `data` in tshark (nothing when empty).
    pub(crate) fn data(&mut self, r: Range<usize>) {
        if r.start < r.end {
            self.push(LayerKind::Data, r.start, r.end);
        }
    }

    /// Enter a tunnel or a quoted packet; false when nested too deep (the rest is data).
    pub(crate) fn enter(&mut self) -> bool {
        if self.nesting >= MAX_NESTING {
            return false;
        }
        self.nesting += 1;
        self.nested = true;
        true
    }

    /// The layer an EtherType announces, at `o`, up to `end`.
    pub(crate) fn ether_payload(&mut self, et: u16, o: usize, end: usize) {
        use super::wire::ethernet::ethertype as T;
        match et {
            T::IPV4 => ipv4::walk(self, o, end),
            T::IPV6 => ipv6::walk(self, o, end),
            T::ARP => arp::walk_arp(self, o, end),
            T::MPLS_UNICAST | T::MPLS_MULTICAST => mpls::walk(self, o, end),
            T::NSH => nsh::walk(self, o, end),
            T::TEB => {
                if self.enter() {
                    eth::walk(self, o, end)
                } else {
                    self.data(o..end)
                }
            }
            _ => self.data(o..end),
        }
    }

    /// The layer an IP protocol number announces, in `seg`.
    pub(crate) fn ip_payload(&mut self, proto: u8, seg: Range<usize>) {
        let (o, end) = (seg.start, seg.end);
        let first = !self.nested;
        use super::wire::ip::protocol as P;
        match proto {
            P::TCP => tcp::walk(self, seg),
            P::UDP => udp::walk(self, seg),
            P::ICMP => icmp::walk_v4(self, seg),
            P::ICMPV6 => icmp::walk_v6(self, seg),
            P::IGMP => icmp::walk_igmp(self, seg),
            P::PIM => pim::walk(self, seg),
            P::IPIP | P::IPV6 | P::GRE => {
                if first {
                    self.lay.l4 = Some((L4::Other(proto), o));
                }
                if !self.enter() {
                    return self.data(seg);
                }
                match proto {
                    P::IPIP => ipv4::walk(self, o, end),
                    P::IPV6 => ipv6::walk(self, o, end),
                    _ => tunnel::walk_gre(self, seg),
                }
            }
            p => {
                if first {
                    self.lay.l4 = Some((L4::Other(p), o));
                }
                self.data(seg)
            }
        }
    }
}

/// What a frame starts with, as the link type of its capture says: the walk begins there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encap {
    /// Ethernet (link type 1): the walk's usual start.
    #[default]
    Ethernet,
    /// Raw IP (link type 101, and 12/14 on some systems): IPv4 or IPv6 by the version nibble.
    RawIp,
    /// Raw IPv4 (link type 228).
    Ipv4,
    /// Raw IPv6 (link type 229).
    Ipv6,
    /// Linux cooked capture (link type 113, `tcpdump -i any`): a 16-byte header (not
    /// decoded) whose last two bytes are the EtherType of what follows.
    Sll,
    /// Linux cooked capture v2 (link type 276): a 20-byte header starting with the EtherType.
    Sll2,
    /// Anything else (802.11 105, USER0..15 147..162...): not decoded (a USER link type's
    /// bytes are `data`, as tshark shows them), only `frame.*` describes it.
    Other(u16),
}

impl Encap {
    /// The encapsulation of a pcap/pcapng link type.
    pub fn from_linktype(linktype: u16) -> Self {
        match linktype {
            1 => Encap::Ethernet,
            101 => Encap::RawIp,
            228 => Encap::Ipv4,
            229 => Encap::Ipv6,
            113 => Encap::Sll,
            276 => Encap::Sll2,
            other => Encap::Other(other),
        }
    }

    /// Wireshark's number for it (tshark's `frame.encap_type`, a WTAP_ENCAP_* value, not the
    /// link type), where known.
    pub fn wtap_encap(self) -> Option<u16> {
        Some(match self {
            Encap::Ethernet => 1,
            Encap::RawIp => 7,
            Encap::Ipv4 => 129,
            Encap::Ipv6 => 130,
            Encap::Sll => 25,
            Encap::Sll2 => 210,
            Encap::Other(105) => 20,
            Encap::Other(127) => 23,
            // USER0..USER15 are WTAP_ENCAP_USER0..15.
            Encap::Other(t @ 147..=162) => t - 147 + 45,
            Encap::Other(_) => return None,
        })
    }
}

/// Walks the headers once; `emit` receives each field. [`dissect`] formats them, [`layout`]
/// drops them (and then allocates nothing).
pub(crate) fn walk<E: Emit>(frame: &[u8], emit: E) -> Layout {
    walk_encap(frame, Encap::Ethernet, emit)
}

/// [`walk`] over a frame of encapsulation `encap`: from the IP header for raw IP, nothing at
/// all for one that is not decoded.
pub(crate) fn walk_encap<E: Emit>(frame: &[u8], encap: Encap, emit: E) -> Layout {
    walk_defrag(frame, encap, None, emit)
}

/// [`walk_encap`] of a frame that reassembly saw (`frag`, from
/// [`Reassembler::add`](crate::frame::reassembly::Reassembler::add), with the bytes it gave):
/// a fragment it holds is `Fragmented IP protocol` with `data` (its transport header is not
/// decoded), the frame that completes a datagram has the fragment list and the upper layers
/// of the reassembled payload.
pub(crate) fn walk_defrag<E: Emit>(
    frame: &[u8],
    encap: Encap,
    frag: Option<&Defrag>,
    emit: E,
) -> Layout {
    let mut w = Walker {
        f: frame,
        lay: Layout {
            payload_off: frame.len(),
            payload_end: frame.len(),
            ip_end: frame.len(),
            ..Layout::default()
        },
        emit,
        nested: false,
        quoted: false,
        nesting: 0,
        first_fragment: false,
        frag,
    };
    let end = frame.len();
    match encap {
        Encap::Ethernet => eth::walk(&mut w, 0, end),
        Encap::Ipv4 => ipv4::walk(&mut w, 0, end),
        Encap::Ipv6 => ipv6::walk(&mut w, 0, end),
        Encap::RawIp => match frame.first().map(|b| b >> 4) {
            Some(4) => ipv4::walk(&mut w, 0, end),
            Some(6) => ipv6::walk(&mut w, 0, end),
            _ => w.data(0..end),
        },
        Encap::Sll => {
            if let Ok(h) = sll::Header::new_checked(frame) {
                w.ether_payload(h.protocol(), sll::HEADER_LEN, end);
            }
        }
        Encap::Sll2 => {
            if let Ok(h) = sll::v2::Header::new_checked(frame) {
                w.ether_payload(h.protocol(), sll::HEADER_LEN_V2, end);
            }
        }
        Encap::Other(147..=162) => w.data(0..end),
        Encap::Other(_) => {}
    }
    w.lay
}

/// [`layout`] of a frame of encapsulation `encap`.
pub fn layout_of(frame: &[u8], encap: Encap) -> Layout {
    layout_defrag(frame, encap, None)
}

/// [`layout_of`] of a frame reassembly saw ([`walk_defrag`]).
pub fn layout_defrag(frame: &[u8], encap: Encap, frag: Option<&Defrag>) -> Layout {
    walk_defrag(
        frame,
        encap,
        frag,
        |_: &'static str, _: Range<usize>, _: &dyn Fn(&mut String)| {},
    )
}

/// Where the layers of `frame` start, without formatting any field. Never panics, allocates
/// nothing.
pub fn layout(frame: &[u8]) -> Layout {
    walk(
        frame,
        |_: &'static str, _: Range<usize>, _: &dyn Fn(&mut String)| {},
    )
}

/// Appends every occurrence of field `name` in `frame` to `out`, comma-joined in frame order
/// (outer first), as `tshark -T fields` prints it; returns how many. Allocates nothing.
pub fn write_values(frame: &[u8], name: &str, out: &mut String) -> usize {
    write_values_of(frame, Encap::Ethernet, name, out)
}

/// [`write_values`] for a frame of encapsulation `encap`.
pub fn write_values_of(frame: &[u8], encap: Encap, name: &str, out: &mut String) -> usize {
    write_values_defrag(frame, encap, None, name, out)
}

/// [`write_values_of`] for a frame reassembly saw ([`walk_defrag`]).
pub fn write_values_defrag(
    frame: &[u8],
    encap: Encap,
    frag: Option<&Defrag>,
    name: &str,
    out: &mut String,
) -> usize {
    let mut n = 0;
    walk_defrag(
        frame,
        encap,
        frag,
        |f: &'static str, _: Range<usize>, v: &dyn Fn(&mut String)| {
            if f == name {
                if n > 0 {
                    out.push(',');
                }
                v(out);
                n += 1;
            }
        },
    );
    n
}

/// Every field of `frame` that can be dissected, in frame order, followed by `data` (the bytes
/// after the last header of the outer stack, up to the end of the frame, Ethernet padding
/// included) when not empty. Not a hot path: it allocates.
pub fn dissect(frame: &[u8]) -> Vec<Field> {
    dissect_of(frame, Encap::Ethernet)
}

/// [`dissect`] of a frame of encapsulation `encap`.
pub fn dissect_of(frame: &[u8], encap: Encap) -> Vec<Field> {
    dissect_defrag(frame, encap, None)
}

/// [`dissect_of`] of a frame reassembly saw ([`walk_defrag`]).
pub fn dissect_defrag(frame: &[u8], encap: Encap, frag: Option<&Defrag>) -> Vec<Field> {
    let mut out = Vec::new();
    let lay = walk_defrag(
        frame,
        encap,
        frag,
        |name, range, value: &dyn Fn(&mut String)| {
            let mut s = String::new();
            value(&mut s);
            out.push(Field {
                name,
                value: s,
                range,
            })
        },
    );
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
