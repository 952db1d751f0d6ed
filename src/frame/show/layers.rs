//! Each layer of the packet view printed as Scapy 2.5 names it and its fields, read through
//! the wire layer (`frame::wire`): the view pushed each layer once its header was whole, so
//! the wire views over its bytes are made unchecked.

use std::net::Ipv6Addr;

use super::options::{ip_options, ipv6_options, tcp_options};
use super::repr::{port_name, Ip6, Ip6Field};
use super::Dump;
use crate::frame::view::{Hdr, LayerKind};
use crate::frame::wire::ip::protocol;
use crate::frame::wire::{
    arp, at, ethernet, gre, ipv4, ipv6, llc, mpls, tcp, udp, vlan, vxlan, Value,
};
use crate::frame::TcpFlags;

/// What the walk over the layers carries from one to the next.
pub(super) struct State<'a> {
    pub(super) frame: &'a [u8],
    /// Inside the packet an ICMP error quotes: `IP in ICMP`, `UDP in ICMP`...
    pub(super) quoted: bool,
    /// Where Scapy's `Padding` starts, when a layer bounds itself (ARP, 802.3).
    pub(super) pad_from: Option<usize>,
    /// A `Raw` took the rest of the frame.
    pub(super) stop: bool,
}

/// Prints layer `h` (`next`: where the layer after it starts). Returns an offset when the
/// layers inside `h` up to it are shown as `Raw` and must be skipped.
pub(super) fn layer(d: &mut Dump, s: &mut State, h: Hdr, next: Option<usize>) -> Option<usize> {
    let f = s.frame;
    let (o, end) = (h.start, h.end.min(f.len()));
    match h.proto {
        LayerKind::Eth => {
            let eth = ethernet::Header::new_unchecked(&f[o..]);
            let et = eth.ethertype();
            let body = o + ethernet::HEADER_LEN;
            if eth.is_8023() {
                d.layer("802.3");
                d.field("dst", eth.dst());
                d.field("src", eth.src());
                d.field("len", et);
                s.pad_from = Some((body + et as usize).min(f.len()));
                if next.is_none() && body < end {
                    d.raw("Raw", &f[body..(body + et as usize).min(end)]);
                }
            } else {
                d.layer("Ethernet");
                d.field("dst", eth.dst());
                d.field("src", eth.src());
                d.field("type", scapy_ether_type(et));
            }
        }
        LayerKind::Llc => {
            let bound = s.pad_from.unwrap_or(end).min(end);
            let h = llc::Header::new_unchecked(&f[o..]);
            d.layer("LLC");
            d.field("dsap", format_args!("{:#x}", h.dsap()));
            d.field("ssap", format_args!("{:#x}", h.ssap()));
            d.field("ctrl", h.control());
            let mut p = o + llc::HEADER_LEN;
            if h.dsap() == llc::SAP_SNAP && h.ssap() == llc::SAP_SNAP && o + llc::SNAP_LEN <= bound
            {
                let oui = h.snap_oui();
                d.layer("SNAP");
                match oui {
                    0x00000c => d.field("OUI", "Cisco Systems, Inc (00:00:0c)"),
                    _ => d.field("OUI", format_args!("{oui:#x}")),
                }
                d.field("code", scapy_ether_type(h.snap_pid()));
                p = o + llc::SNAP_LEN;
            }
            if p < bound {
                d.raw("Raw", &f[p..bound]);
            }
        }
        LayerKind::Vlan | LayerKind::Dot1ad => {
            // The EtherType that announced the tag: the 2 bytes before it.
            let tpid = u16::get(&f[o - 2..o]);
            if tpid == ethernet::ethertype::QINQ_OLD {
                d.raw("Raw", &f[o..]);
                s.stop = true;
                return None;
            }
            let t = vlan::Header::new_unchecked(&f[o..]);
            d.layer(if tpid == ethernet::ethertype::QINQ {
                "802_1AD"
            } else {
                "802.1Q"
            });
            d.field("prio", t.pcp());
            d.field("id", t.dei());
            d.field("vlan", t.vid());
            d.field("type", scapy_ether_type(t.ethertype()));
        }
        LayerKind::Arp => {
            let a = arp::Header::new_unchecked(&f[o..]);
            if a.htype() != arp::HTYPE_ETHERNET || !a.is_eth_ipv4() || end < o + arp::ETH_IPV4_LEN {
                d.raw("Raw", &f[o..end]);
                return None;
            }
            d.layer("ARP");
            d.field("hwtype", "Ethernet (10Mb)");
            d.field("ptype", "IPv4");
            d.field("hwlen", a.hlen());
            d.field("plen", a.plen());
            let op = a.oper();
            let ops = [
                "who-has",
                "is-at",
                "RARP-req",
                "RARP-rep",
                "Dyn-RARP-req",
                "Dyn-RAR-rep",
                "Dyn-RARP-err",
                "InARP-req",
                "InARP-rep",
            ];
            match ops.get((op as usize).wrapping_sub(1)) {
                Some(n) => d.field("op", n),
                None => d.field("op", op),
            }
            d.field("hwsrc", a.sha());
            d.field("psrc", a.spa());
            d.field("hwdst", a.tha());
            d.field("pdst", a.tpa());
            s.pad_from = Some(o + arp::ETH_IPV4_LEN);
        }
        LayerKind::Mpls => {
            let e = mpls::Header::new_unchecked(&f[o..]);
            d.layer("MPLS");
            d.field("label", e.label());
            d.field("cos", e.tc());
            d.field("s", u8::from(e.bottom()));
            d.field("ttl", e.ttl());
        }
        LayerKind::Ipv4 => ipv4(d, s, o),
        LayerKind::Ipv6 => ipv6(d, s, o, next.unwrap_or(end)),
        LayerKind::Tcp => {
            let t = tcp::Header::new_unchecked(&f[o..]);
            let hl = t.header_len();
            d.layer(if s.quoted { "TCP in ICMP" } else { "TCP" });
            d.field("sport", port_name(t.src_port(), false));
            d.field("dport", port_name(t.dst_port(), false));
            d.field("seq", t.seq());
            d.field("ack", t.ack());
            d.field("dataofs", hl / 4);
            // Scapy's 3 reserved bits: the data offset byte's bits 3..1 (bit 0 is NS).
            d.field("reserved", (t.off_flags() >> 9) & 7);
            d.field("flags", TcpFlags(t.flags() & 0x1ff));
            d.field("window", t.window());
            d.field("chksum", format_args!("{:#x}", t.checksum()));
            d.field("urgptr", t.urgent());
            // Scapy's quirk: an option-less TCP with nothing after it shows ''.
            if hl > tcp::HEADER_LEN {
                d.field("options", tcp_options(t.options()));
            } else if o + hl >= end {
                d.field("options", "''");
            } else {
                d.field("options", "[]");
            }
        }
        LayerKind::Udp => {
            let u = udp::Header::new_unchecked(&f[o..]);
            d.layer(if s.quoted { "UDP in ICMP" } else { "UDP" });
            d.field("sport", port_name(u.src_port(), true));
            d.field("dport", port_name(u.dst_port(), true));
            d.field("len", u.len());
            d.field("chksum", format_args!("{:#x}", u.checksum()));
        }
        LayerKind::Icmp => super::layers_icmp::icmp(d, s, o),
        LayerKind::Icmpv6 => return super::layers_icmp::icmpv6(d, s, o, end),
        LayerKind::Gre => {
            let g = gre::Header::new_unchecked(&f[o..]);
            let b = g.flags_ver();
            d.layer("GRE");
            for (name, bit) in [
                ("chksum_present", 15),
                ("routing_present", 14),
                ("key_present", 13),
                ("seqnum_present", 12),
                ("strict_route_source", 11),
            ] {
                d.field(name, (b >> bit) & 1);
            }
            d.field("recursion_control", (b >> 8) & 7);
            d.field("flags", (b >> 3) & 0x1f);
            d.field("version", b & 7);
            d.field("proto", scapy_ether_type(g.protocol()));
            // The optional words, each shown when it is all there.
            let mut p = o + gre::HEADER_LEN;
            let mut x = |d: &mut Dump, name: &str, w: usize| {
                if p + w <= end {
                    let v = if w == 2 {
                        u16::get(&f[p..p + 2]) as u32
                    } else {
                        u32::get(&f[p..p + 4])
                    };
                    d.field(name, format_args!("{v:#x}"));
                }
                p += w;
            };
            if b & (gre::flags::CHECKSUM | gre::flags::ROUTING) != 0 {
                x(d, "chksum", 2);
                x(d, "offset", 2);
            }
            if b & gre::flags::KEY != 0 {
                x(d, "key", 4);
            }
            if b & gre::flags::SEQ != 0 {
                x(d, "sequence_number", 4);
            }
        }
        LayerKind::Vxlan => {
            let v = vxlan::Header::new_unchecked(&f[o..]);
            let fl = v.flags();
            d.layer("VXLAN");
            let names = ["OAM", "R", "NextProtocol", "Instance", "V1", "V2", "R", "G"];
            let set: Vec<&str> = (0..8)
                .filter(|b| fl & (1 << b) != 0)
                .map(|b| names[b])
                .collect();
            d.field("flags", set.join("+"));
            let (np, g) = (
                fl & vxlan::FLAG_NEXT_PROTOCOL != 0,
                fl & vxlan::FLAG_GBP != 0,
            );
            if np {
                d.field("reserved0", v.reserved0());
                let p = ["NotDefined", "IPv4", "IPv6", "Ethernet", "NSH"];
                match p.get(v.next_protocol() as usize) {
                    Some(n) => d.field("NextProtocol", n),
                    None => d.field("NextProtocol", v.next_protocol()),
                }
            }
            if !g && !np {
                d.field("reserved1", v.reserved1());
            }
            if g {
                d.field("gpflags", v.gbp_flags());
                d.field("gpid", v.gbp_id());
            }
            d.field("vni", format_args!("{:#x}", v.vni()));
            d.field("reserved2", format_args!("{:#x}", v.reserved2()));
        }
        LayerKind::Geneve
        | LayerKind::Igmp
        | LayerKind::Erspan
        | LayerKind::Nsh
        | LayerKind::Pim => {
            // Not loaded by `scapy.all` (contrib layers): Raw, with what it carries.
            d.raw("Raw", &f[o..end]);
            return Some(end);
        }
        LayerKind::Quoted => s.quoted = true,
        LayerKind::Fragment => {}
        // An IPv4 header the view does not take (ihl below 5): Scapy still shows it.
        LayerKind::Data
            if o >= ethernet::HEADER_LEN
                && u16::get(&f[o - 2..o]) == ethernet::ethertype::IPV4
                && end >= o + ipv4::HEADER_LEN
                && ipv4::Header::new_unchecked(&f[o..]).version() == 4
                && ipv4::Header::new_unchecked(&f[o..]).header_len() < ipv4::HEADER_LEN =>
        {
            ipv4(d, s, o);
            if end > o + ipv4::HEADER_LEN {
                d.raw("Raw", &f[o + ipv4::HEADER_LEN..end]);
            }
        }
        LayerKind::Data => d.raw("Raw", &f[o..end]),
    }
    None
}

fn ipv4(d: &mut Dump, s: &State, o: usize) {
    let f = s.frame;
    let ip = ipv4::Header::new_unchecked(&f[o..]);
    let hl = ip.header_len();
    d.layer(if s.quoted { "IP in ICMP" } else { "IP" });
    d.field("version", 4);
    d.field("ihl", hl / 4);
    d.field("tos", format_args!("{:#x}", ip.dsfield()));
    d.field("len", ip.total_len());
    d.field("id", ip.ident());
    // Scapy's FlagsField: MF, DF, evil (the reserved bit), low bit first.
    let bits = ip.flags();
    let flags: Vec<&str> = [(1, "MF"), (2, "DF"), (4, "evil")]
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    d.field("flags", flags.join("+"));
    d.field("frag", ip.frag_offset());
    d.field("ttl", ip.ttl());
    d.field("proto", ip_proto_name(ip.protocol()));
    d.field("chksum", format_args!("{:#x}", ip.checksum()));
    d.field("src", ip.src());
    d.field("dst", ip.dst());
    // Options as far as the frame has them (the header length may claim more, or less).
    let opts = at(o, ipv4::field::options(hl.max(ipv4::HEADER_LEN)));
    ip_options(d, &f[opts.start..opts.end.min(f.len())]);
}

fn ipv6(d: &mut Dump, s: &State, o: usize, next: usize) {
    use ipv6::field as F;
    let f = s.frame;
    let ip = ipv6::Header::new_unchecked(&f[o..]);
    d.layer(if s.quoted { "IPv6 in ICMPv6" } else { "IPv6" });
    d.field("version", 6);
    d.field("tc", ip.traffic_class());
    d.field("fl", ip.flow_label());
    d.field("plen", ip.payload_len());
    d.field("nh", ipv6_nh_name(ip.next_header()));
    d.field("hlim", ip.hop_limit());
    d.field("src", Ip6Field(ip.src()));
    d.field("dst", Ip6Field(ip.dst()));
    // The extension headers the view walked, up to the next layer (not AH: Scapy shows it
    // as a layer of its own, after the view's IPv6).
    let (mut nh, mut p) = (ip.next_header(), o + ipv6::HEADER_LEN);
    while matches!(
        nh,
        protocol::HOPOPT | protocol::IPV6_ROUTE | protocol::IPV6_FRAG | protocol::IPV6_OPTS
    ) && p + ipv6::EXT_HEADER_MIN_LEN <= next
    {
        let ext = &f[p..next];
        let len = ipv6::ext_header_len(nh, ext);
        if p + len > next {
            break;
        }
        let ext = &ext[..len];
        let ext_nh = u8::get(&ext[F::EXT_NXT_HDR]);
        let ext_len = u8::get(&ext[F::EXT_LEN]);
        match nh {
            protocol::HOPOPT | protocol::IPV6_OPTS => {
                d.layer(if nh == protocol::HOPOPT {
                    "IPv6 Extension Header - Hop-by-Hop Options Header"
                } else {
                    "IPv6 Extension Header - Destination Options Header"
                });
                d.field("nh", ipv6_nh_name(ext_nh));
                d.field("len", ext_len);
                d.field("autopad", "On");
                ipv6_options(d, &ext[F::EXT_LEN.end..]);
            }
            protocol::IPV6_ROUTE => {
                d.layer("IPv6 Option Header Routing");
                d.field("nh", ipv6_nh_name(ext_nh));
                d.field("len", ext_len);
                d.field("type", u8::get(&ext[F::ROUTE_TYPE]));
                d.field("segleft", u8::get(&ext[F::ROUTE_SEGLEFT]));
                d.field("reserved", u32::get(&ext[F::ROUTE_RESERVED]));
                let addrs: Vec<String> = ext[F::ROUTE_RESERVED.end..]
                    .chunks_exact(16)
                    .map(|a| Ip6(Ipv6Addr::get(a)).to_string())
                    .collect();
                if addrs.is_empty() {
                    d.field("addresses", "[]");
                } else {
                    d.field("addresses", format_args!("[ {} ]", addrs.join(", ")));
                }
            }
            _ => {
                let w = u16::get(&ext[F::FRAG_OFF_M]);
                d.layer("IPv6 Extension Header - Fragmentation header");
                d.field("nh", ipv6_nh_name(ext_nh));
                d.field("res1", ext_len);
                d.field("offset", w >> 3);
                d.field("res2", (w >> 1) & 3);
                d.field("m", w & 1);
                d.field("id", u32::get(&ext[F::FRAG_IDENT]));
            }
        }
        nh = ext_nh;
        p += len;
    }
}

/// Scapy's `IP_PROTOS` names (from `/etc/protocols`, as Debian ships it).
pub(super) fn ip_proto_name(p: u8) -> String {
    let name = match p {
        0 => "hopopt",
        1 => "icmp",
        2 => "igmp",
        4 => "ipencap",
        6 => "tcp",
        17 => "udp",
        41 => "ipv6",
        43 => "ipv6_route",
        44 => "ipv6_frag",
        47 => "gre",
        50 => "esp",
        51 => "ah",
        58 => "ipv6_icmp",
        59 => "ipv6_nonxt",
        60 => "ipv6_opts",
        103 => "pim",
        132 => "sctp",
        _ => return p.to_string(),
    };
    name.into()
}

/// Scapy's `ipv6nh` names.
pub(super) fn ipv6_nh_name(p: u8) -> String {
    let name = match p {
        0 => "Hop-by-Hop Option Header",
        4 => "IP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        43 => "Routing Header",
        44 => "Fragment Header",
        47 => "GRE",
        50 => "ESP Header",
        51 => "AH Header",
        58 => "ICMPv6",
        59 => "No Next Header",
        60 => "Destination Option Header",
        112 => "VRRP",
        132 => "SCTP",
        135 => "Mobility Header",
        _ => return p.to_string(),
    };
    name.into()
}

/// Scapy's `ETHER_TYPES` names for an EtherType field.
pub(super) fn scapy_ether_type(t: u16) -> String {
    match t {
        ethernet::ethertype::IPV4 => "IPv4".into(),
        ethernet::ethertype::IPV6 => "IPv6".into(),
        ethernet::ethertype::ARP => "ARP".into(),
        ethernet::ethertype::VLAN => "n_802_1Q".into(),
        ethernet::ethertype::QINQ => "802_AD".into(),
        ethernet::ethertype::MPLS_UNICAST => "MPLS".into(),
        ethernet::ethertype::MPLS_MULTICAST => "MPLS_MULTI".into(),
        ethernet::ethertype::TEB => "TEB".into(),
        ethernet::ethertype::LLDP => "LLDP".into(),
        _ => format!("{t:#x}"),
    }
}
