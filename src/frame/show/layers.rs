//! Each layer of the packet view printed as Scapy 2.5 names it and its fields.

use super::options::{ip_options, ipv6_options, tcp_options};
use super::repr::{port_name, Ip6, Ip6Field};
use super::Dump;
use crate::frame::view::{be16, be32, ip4, ip6, mac, Hdr, LayerKind};
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
            let et = be16(f, o + 12);
            if et <= 1500 {
                d.layer("802.3");
                d.field("dst", mac(f, o));
                d.field("src", mac(f, o + 6));
                d.field("len", et);
                s.pad_from = Some((o + 14 + et as usize).min(f.len()));
                if next.is_none() && o + 14 < end {
                    d.raw("Raw", &f[o + 14..(o + 14 + et as usize).min(end)]);
                }
            } else {
                d.layer("Ethernet");
                d.field("dst", mac(f, o));
                d.field("src", mac(f, o + 6));
                d.field("type", scapy_ether_type(et));
            }
        }
        LayerKind::Llc => {
            let bound = s.pad_from.unwrap_or(end).min(end);
            d.layer("LLC");
            d.field("dsap", format_args!("{:#x}", f[o]));
            d.field("ssap", format_args!("{:#x}", f[o + 1]));
            d.field("ctrl", f[o + 2]);
            let mut p = o + 3;
            if f[o] == 0xaa && f[o + 1] == 0xaa && p + 5 <= bound {
                let oui = u32::from_be_bytes([0, f[p], f[p + 1], f[p + 2]]);
                d.layer("SNAP");
                match oui {
                    0x00000c => d.field("OUI", "Cisco Systems, Inc (00:00:0c)"),
                    _ => d.field("OUI", format_args!("{oui:#x}")),
                }
                d.field("code", scapy_ether_type(be16(f, p + 3)));
                p += 5;
            }
            if p < bound {
                d.raw("Raw", &f[p..bound]);
            }
        }
        LayerKind::Vlan | LayerKind::Dot1ad => {
            let tpid = be16(f, o - 2);
            if tpid == 0x9100 {
                d.raw("Raw", &f[o..]);
                s.stop = true;
                return None;
            }
            let tci = be16(f, o);
            d.layer(if tpid == 0x88a8 { "802_1AD" } else { "802.1Q" });
            d.field("prio", tci >> 13);
            d.field("id", (tci >> 12) & 1);
            d.field("vlan", tci & 0x0fff);
            d.field("type", scapy_ether_type(be16(f, o + 2)));
        }
        LayerKind::Arp => {
            let (hw, pro, hs, ps) = (be16(f, o), be16(f, o + 2), f[o + 4], f[o + 5]);
            if (hw, pro, hs, ps) != (1, 0x0800, 6, 4) || end < o + 28 {
                d.raw("Raw", &f[o..end]);
                return None;
            }
            d.layer("ARP");
            d.field("hwtype", "Ethernet (10Mb)");
            d.field("ptype", "IPv4");
            d.field("hwlen", hs);
            d.field("plen", ps);
            let op = be16(f, o + 6);
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
            d.field("hwsrc", mac(f, o + 8));
            d.field("psrc", ip4(f, o + 14));
            d.field("hwdst", mac(f, o + 18));
            d.field("pdst", ip4(f, o + 24));
            s.pad_from = Some(o + 28);
        }
        LayerKind::Mpls => {
            let e = be32(f, o);
            d.layer("MPLS");
            d.field("label", e >> 12);
            d.field("cos", (e >> 9) & 7);
            d.field("s", (e >> 8) & 1);
            d.field("ttl", e & 0xff);
        }
        LayerKind::Ipv4 => ipv4(d, s, o),
        LayerKind::Ipv6 => ipv6(d, s, o, next.unwrap_or(end)),
        LayerKind::Tcp => {
            let hl = (f[o + 12] >> 4) as usize * 4;
            d.layer(if s.quoted { "TCP in ICMP" } else { "TCP" });
            d.field("sport", port_name(be16(f, o), false));
            d.field("dport", port_name(be16(f, o + 2), false));
            d.field("seq", be32(f, o + 4));
            d.field("ack", be32(f, o + 8));
            d.field("dataofs", hl / 4);
            d.field("reserved", (f[o + 12] >> 1) & 7);
            d.field("flags", TcpFlags(be16(f, o + 12) & 0x1ff));
            d.field("window", be16(f, o + 14));
            d.field("chksum", format_args!("{:#x}", be16(f, o + 16)));
            d.field("urgptr", be16(f, o + 18));
            // Scapy's quirk: an option-less TCP with nothing after it shows ''.
            if hl > 20 {
                d.field("options", tcp_options(&f[o + 20..o + hl]));
            } else if o + hl >= end {
                d.field("options", "''");
            } else {
                d.field("options", "[]");
            }
        }
        LayerKind::Udp => {
            d.layer(if s.quoted { "UDP in ICMP" } else { "UDP" });
            d.field("sport", port_name(be16(f, o), true));
            d.field("dport", port_name(be16(f, o + 2), true));
            d.field("len", be16(f, o + 4));
            d.field("chksum", format_args!("{:#x}", be16(f, o + 6)));
        }
        LayerKind::Icmp => super::layers_icmp::icmp(d, s, o),
        LayerKind::Icmpv6 => return super::layers_icmp::icmpv6(d, s, o, end),
        LayerKind::Gre => {
            let b = be16(f, o);
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
            d.field("proto", scapy_ether_type(be16(f, o + 2)));
            let mut p = o + 4;
            let mut x = |d: &mut Dump, name: &str, w: usize| {
                if p + w <= end {
                    let v = if w == 2 {
                        be16(f, p) as u32
                    } else {
                        be32(f, p)
                    };
                    d.field(name, format_args!("{v:#x}"));
                }
                p += w;
            };
            if b & 0xc000 != 0 {
                x(d, "chksum", 2);
                x(d, "offset", 2);
            }
            if b & 0x2000 != 0 {
                x(d, "key", 4);
            }
            if b & 0x1000 != 0 {
                x(d, "sequence_number", 4);
            }
        }
        LayerKind::Vxlan => {
            let fl = f[o];
            d.layer("VXLAN");
            let names = ["OAM", "R", "NextProtocol", "Instance", "V1", "V2", "R", "G"];
            let set: Vec<&str> = (0..8)
                .filter(|b| fl & (1 << b) != 0)
                .map(|b| names[b])
                .collect();
            d.field("flags", set.join("+"));
            let (np, g) = (fl & 4 != 0, fl & 0x80 != 0);
            if np {
                d.field("reserved0", be16(f, o + 1));
                let p = ["NotDefined", "IPv4", "IPv6", "Ethernet", "NSH"];
                match p.get(f[o + 3] as usize) {
                    Some(n) => d.field("NextProtocol", n),
                    None => d.field("NextProtocol", f[o + 3]),
                }
            }
            if !g && !np {
                d.field("reserved1", be32(f, o) & 0xffffff);
            }
            if g {
                d.field("gpflags", f[o + 1]);
                d.field("gpid", be16(f, o + 2));
            }
            d.field("vni", format_args!("{:#x}", be32(f, o + 4) >> 8));
            d.field("reserved2", format_args!("{:#x}", f[o + 7]));
        }
        LayerKind::Geneve | LayerKind::Igmp => {
            // Not loaded by `scapy.all`: Raw, with what it carries.
            d.raw("Raw", &f[o..end]);
            return Some(end);
        }
        LayerKind::Quoted => s.quoted = true,
        LayerKind::Fragment => {}
        // An IPv4 header the view does not take (ihl below 5): Scapy still shows it.
        LayerKind::Data
            if o >= 14
                && be16(f, o - 2) == 0x0800
                && end >= o + 20
                && f[o] >> 4 == 4
                && f[o] & 0x0f < 5 =>
        {
            ipv4(d, s, o);
            if end > o + 20 {
                d.raw("Raw", &f[o + 20..end]);
            }
        }
        LayerKind::Data => d.raw("Raw", &f[o..end]),
    }
    None
}

fn ipv4(d: &mut Dump, s: &State, o: usize) {
    let f = s.frame;
    let hl = (f[o] & 0x0f) as usize * 4;
    d.layer(if s.quoted { "IP in ICMP" } else { "IP" });
    d.field("version", 4);
    d.field("ihl", hl / 4);
    d.field("tos", format_args!("{:#x}", f[o + 1]));
    d.field("len", be16(f, o + 2));
    d.field("id", be16(f, o + 4));
    // Scapy's FlagsField: MF, DF, evil (the reserved bit), low bit first.
    let bits = f[o + 6] >> 5;
    let flags: Vec<&str> = [(1, "MF"), (2, "DF"), (4, "evil")]
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    d.field("flags", flags.join("+"));
    d.field("frag", be16(f, o + 6) & 0x1fff);
    d.field("ttl", f[o + 8]);
    d.field("proto", ip_proto_name(f[o + 9]));
    d.field("chksum", format_args!("{:#x}", be16(f, o + 10)));
    d.field("src", ip4(f, o + 12));
    d.field("dst", ip4(f, o + 16));
    ip_options(d, &f[o + 20..(o + hl).clamp(o + 20, f.len())]);
}

fn ipv6(d: &mut Dump, s: &State, o: usize, next: usize) {
    let f = s.frame;
    let first = be32(f, o);
    d.layer(if s.quoted { "IPv6 in ICMPv6" } else { "IPv6" });
    d.field("version", 6);
    d.field("tc", (first >> 20) & 0xff);
    d.field("fl", first & 0xfffff);
    d.field("plen", be16(f, o + 4));
    d.field("nh", ipv6_nh_name(f[o + 6]));
    d.field("hlim", f[o + 7]);
    d.field("src", Ip6Field(ip6(f, o + 8)));
    d.field("dst", Ip6Field(ip6(f, o + 24)));
    // The extension headers the view walked, up to the next layer.
    let (mut nh, mut p) = (f[o + 6], o + 40);
    while matches!(nh, 0 | 43 | 44 | 60) && p + 8 <= next {
        let len = if nh == 44 {
            8
        } else {
            (f[p + 1] as usize + 1) * 8
        };
        if p + len > next {
            break;
        }
        match nh {
            0 | 60 => {
                d.layer(if nh == 0 {
                    "IPv6 Extension Header - Hop-by-Hop Options Header"
                } else {
                    "IPv6 Extension Header - Destination Options Header"
                });
                d.field("nh", ipv6_nh_name(f[p]));
                d.field("len", f[p + 1]);
                d.field("autopad", "On");
                ipv6_options(d, &f[p + 2..p + len]);
            }
            43 => {
                d.layer("IPv6 Option Header Routing");
                d.field("nh", ipv6_nh_name(f[p]));
                d.field("len", f[p + 1]);
                d.field("type", f[p + 2]);
                d.field("segleft", f[p + 3]);
                d.field("reserved", be32(f, p + 4));
                let addrs: Vec<String> = f[p + 8..p + len]
                    .chunks_exact(16)
                    .map(|a| Ip6(ip6(a, 0)).to_string())
                    .collect();
                if addrs.is_empty() {
                    d.field("addresses", "[]");
                } else {
                    d.field("addresses", format_args!("[ {} ]", addrs.join(", ")));
                }
            }
            _ => {
                let w = be16(f, p + 2);
                d.layer("IPv6 Extension Header - Fragmentation header");
                d.field("nh", ipv6_nh_name(f[p]));
                d.field("res1", f[p + 1]);
                d.field("offset", w >> 3);
                d.field("res2", (w >> 1) & 3);
                d.field("m", w & 1);
                d.field("id", be32(f, p + 4));
            }
        }
        nh = f[p];
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
        0x0800 => "IPv4".into(),
        0x86dd => "IPv6".into(),
        0x0806 => "ARP".into(),
        0x8100 => "n_802_1Q".into(),
        0x88a8 => "802_AD".into(),
        0x8847 => "MPLS".into(),
        0x8848 => "MPLS_MULTI".into(),
        0x6558 => "TEB".into(),
        0x88cc => "LLDP".into(),
        _ => format!("{t:#x}"),
    }
}
