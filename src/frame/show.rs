//! Printing frames: Scapy-like [`show`] and [`hexdump`] (the one-line summary like tshark's is
//! [`summary`](super::summary)). Called by `send`, `capture` and `read`.
//!
//! The layers come from the packet view ([`Layout`]); each header is then read at the offset it
//! gives, to print its fields. Like Scapy, `show` dissects the 0x8100 and 0x88a8 tags (a 0x9100
//! tag and what follows is `Raw`) and reads the transport header at the start of the IP
//! payload (an IPv6 extension header is `Raw`).
//!
//! An IPv4 fragment that is not the first shows its bytes as `Raw`; bytes after a short UDP
//! length are `Padding`; ports are named from `/etc/services` as Scapy names them.
//!
//! These take any bytes and never panic: what does not parse is shown as `Raw`. Field values
//! are the ones on the wire (Scapy's `show()` of a dissected frame, i.e. `show2()`), checksums and
//! lengths included. Tested against Scapy's own output in `fixtures/frames/*.show`.
//! Not covered yet (shown as `Raw`, or options as raw bytes; `tests/read_show.rs` lists the
//! frames compared with Scapy): IP/TCP options decoded, IPv6 extension headers, ARP, MPLS,
//! 802.3/LLC, ICMP errors' quoted packet, ICMPv6 neighbour discovery, GRE, VXLAN; Scapy's
//! `\uXXXX` for unassigned code points in a `load` (no Unicode table here); the 6to4/Teredo
//! annotation of IPv6 addresses.

use std::fmt::Write as _;

use etherparse::{
    Ethernet2Header, Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type, IpNumber, Ipv4Header,
    Ipv6Header, SingleVlanHeader, TcpHeader, UdpHeader,
};

use super::view::{self, be16, Layout};
use super::{MacAddr, TcpFlags};

/// Accumulates Scapy's layer-by-layer layout: `###[ Name ]###`, then fields indented by 3 more
/// spaces per layer.
struct Dump {
    out: String,
    depth: usize,
}

impl Dump {
    fn layer(&mut self, name: &str) {
        let _ = writeln!(self.out, "###[ {name} ]### ");
        self.depth += 1;
    }

    fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let indent = 2 + 3 * (self.depth - 1);
        let _ = writeln!(self.out, "{:indent$}{name:<10}= {value}", "");
    }

    /// Scapy's line for an empty packet-list field, e.g. IP options: `\options   \`.
    fn list_field(&mut self, name: &str) {
        let indent = 2 + 3 * (self.depth - 1);
        let _ = writeln!(self.out, "{:indent$}\\{name:<10}\\", "");
    }

    fn raw(&mut self, name: &str, data: &[u8]) {
        self.layer(name);
        self.field("load", py_bytes(data));
    }
}

/// A layer-by-layer dump of an Ethernet frame in the style of Scapy's `show()`.
pub fn show(frame: &[u8]) -> String {
    let mut d = Dump {
        out: String::new(),
        depth: 0,
    };
    let lay = view::layout(frame);
    let Ok((eth, _)) = Ethernet2Header::from_slice(frame) else {
        d.raw("Raw", frame);
        return d.out;
    };
    d.layer("Ethernet");
    d.field("dst", MacAddr(eth.destination));
    d.field("src", MacAddr(eth.source));
    d.field("type", ether_type_name(eth.ether_type.0));
    let (tags, ether_type, after_tags) = scapy_tags(frame, &lay);
    for k in 0..tags {
        if let Ok((vlan, _)) = SingleVlanHeader::from_slice(&frame[Layout::vlan_off(k)..]) {
            d.layer("802.1Q");
            d.field("prio", vlan.pcp.value());
            d.field("id", vlan.drop_eligible_indicator as u8);
            d.field("vlan", vlan.vlan_id.value());
            d.field("type", ether_type_name(vlan.ether_type.0));
        }
    }
    let rest = &frame[after_tags..];
    let ip = match (ether_type, lay.l3_off, lay.ip_payload()) {
        (0x0800 | 0x86dd, Some(o), Some((proto, range))) if o == after_tags => {
            Some((o, proto, range))
        }
        _ => None,
    };
    let (l4, proto, payload, mut padding) = match ip {
        Some((o, proto, range)) if !lay.ipv6 => {
            if let Ok((ip, _)) = Ipv4Header::from_slice(&frame[o..]) {
                d.layer("IP");
                d.field("version", 4);
                d.field("ihl", ip.ihl());
                d.field("tos", format_args!("{:#x}", tos(&ip)));
                d.field("len", ip.total_len);
                d.field("id", ip.identification);
                // Scapy's FlagsField: MF, DF, evil (the reserved bit), low bit first.
                let bits = frame[o + 6] >> 5;
                let mut flags = String::new();
                for (bit, name) in [(1, "MF"), (2, "DF"), (4, "evil")] {
                    if bits & bit != 0 {
                        if !flags.is_empty() {
                            flags.push('+');
                        }
                        flags.push_str(name);
                    }
                }
                d.field("flags", flags);
                d.field("frag", ip.fragment_offset.value());
                d.field("ttl", ip.time_to_live);
                d.field("proto", ip_proto_name(ip.protocol, false));
                d.field("chksum", format_args!("{:#x}", ip.header_checksum));
                d.field("src", std::net::Ipv4Addr::from(ip.source));
                d.field("dst", std::net::Ipv4Addr::from(ip.destination));
                if ip.options.is_empty() {
                    d.list_field("options");
                } else {
                    d.field("options", py_bytes(&ip.options));
                }
            }
            (
                // A later fragment carries no transport header: Raw, as Scapy shows it.
                (!lay.ip_later_fragment).then_some(proto),
                false,
                &frame[range.clone()],
                &frame[range.end..],
            )
        }
        Some((o, proto, range)) => {
            if let Ok((ip, _)) = Ipv6Header::from_slice(&frame[o..]) {
                d.layer("IPv6");
                d.field("version", 6);
                d.field("tc", ip.traffic_class);
                d.field("fl", ip.flow_label.value());
                d.field("plen", ip.payload_length);
                d.field("nh", ip_proto_name(ip.next_header, true));
                d.field("hlim", ip.hop_limit);
                d.field("src", Ip6(ip.source_addr()));
                d.field("dst", Ip6(ip.destination_addr()));
            }
            (
                Some(proto),
                true,
                &frame[range.clone()],
                &frame[range.end..],
            )
        }
        None => (None, false, rest, &[][..]),
    };
    let data = match l4 {
        Some(IpNumber::TCP) => match TcpHeader::from_slice(payload) {
            Ok((tcp, data)) => {
                d.layer("TCP");
                d.field("sport", port_name(tcp.source_port, false));
                d.field("dport", port_name(tcp.destination_port, false));
                d.field("seq", tcp.sequence_number);
                d.field("ack", tcp.acknowledgment_number);
                d.field("dataofs", tcp.data_offset());
                d.field("reserved", (payload[12] >> 1) & 7);
                d.field("flags", TcpFlags::of(&tcp));
                d.field("window", tcp.window_size);
                d.field("chksum", format_args!("{:#x}", tcp.checksum));
                d.field("urgptr", tcp.urgent_pointer);
                // Scapy's quirk: an option-less TCP with nothing after it shows ''.
                if !tcp.options.is_empty() {
                    d.field("options", py_bytes(tcp.options.as_slice()));
                } else if data.is_empty() {
                    d.field("options", "''");
                } else {
                    d.field("options", "[]");
                }
                data
            }
            Err(_) => payload,
        },
        Some(IpNumber::UDP) => match UdpHeader::from_slice(payload) {
            Ok((udp, data)) => {
                // Bytes after a short UDP length are Padding, as Scapy shows them.
                let keep = (udp.length as usize).saturating_sub(8);
                let data = if keep < data.len() {
                    let start = data.as_ptr() as usize - frame.as_ptr() as usize + keep;
                    padding = &frame[start..];
                    &data[..keep]
                } else {
                    data
                };
                d.layer("UDP");
                d.field("sport", port_name(udp.source_port, true));
                d.field("dport", port_name(udp.destination_port, true));
                d.field("len", udp.length);
                d.field("chksum", format_args!("{:#x}", udp.checksum));
                data
            }
            Err(_) => payload,
        },
        Some(IpNumber::ICMP) if !proto => match Icmpv4Header::from_slice(payload) {
            Ok((icmp, data)) => {
                d.layer("ICMP");
                let bytes = icmp.to_bytes();
                d.field("type", icmp_name(bytes[0]));
                d.field("code", bytes[1]);
                d.field("chksum", format_args!("{:#x}", icmp.checksum));
                match icmp.icmp_type {
                    Icmpv4Type::EchoRequest(e) | Icmpv4Type::EchoReply(e) => {
                        d.field("id", format_args!("{:#x}", e.id));
                        d.field("seq", format_args!("{:#x}", e.seq));
                        d.field("unused", "''");
                    }
                    _ => d.field("unused", py_bytes(&bytes[4..])),
                }
                data
            }
            Err(_) => payload,
        },
        Some(IpNumber::IPV6_ICMP) => match Icmpv6Header::from_slice(payload) {
            Ok((icmp, data)) => match icmp.icmp_type {
                Icmpv6Type::EchoRequest(e) | Icmpv6Type::EchoReply(e) => {
                    let (layer, ty) = if matches!(icmp.icmp_type, Icmpv6Type::EchoRequest(_)) {
                        ("ICMPv6 Echo Request", "Echo Request")
                    } else {
                        ("ICMPv6 Echo Reply", "Echo Reply")
                    };
                    d.layer(layer);
                    d.field("type", ty);
                    d.field("code", 0);
                    d.field("cksum", format_args!("{:#x}", icmp.checksum));
                    d.field("id", format_args!("{:#x}", e.id));
                    d.field("seq", format_args!("{:#x}", e.seq));
                    // Scapy keeps an echo's payload in its own `data` field.
                    d.field("data", py_bytes(data));
                    &[][..]
                }
                _ => {
                    let bytes = icmp.to_bytes();
                    d.layer("ICMPv6 Unknown");
                    d.field("type", bytes[0]);
                    d.field("code", bytes[1]);
                    d.field("cksum", format_args!("{:#x}", icmp.checksum));
                    d.field("msgbody", py_bytes(&bytes[4..]));
                    data
                }
            },
            Err(_) => payload,
        },
        _ => payload,
    };
    if !data.is_empty() {
        d.raw("Raw", data);
    }
    if !padding.is_empty() {
        d.raw("Padding", padding);
    }
    d.out
}

/// A hexdump in the style of Scapy's `hexdump()`: offset, 16 bytes in upper-case hex, the
/// printable ASCII; one line per 16 bytes, each ending in `\n`.
pub fn hexdump(frame: &[u8]) -> String {
    let mut out = String::with_capacity(frame.len().div_ceil(16) * 74);
    for (i, chunk) in frame.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", i * 16);
        for b in chunk {
            let _ = write!(out, "{b:02X} ");
        }
        for _ in chunk.len()..16 {
            out.push_str("   ");
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

/// A hex dump as `tshark -x` prints it: offset, 16 bytes in lower-case hex, three spaces, the
/// printable ASCII; one line per 16 bytes, each ending in `\n`. Appended to `out`.
pub fn write_hex_tshark(out: &mut String, frame: &[u8]) {
    for (i, chunk) in frame.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", i * 16);
        for b in chunk {
            let _ = write!(out, "{b:02x} ");
        }
        for _ in chunk.len()..16 {
            out.push_str("   ");
        }
        out.push_str("  ");
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
}

/// The tags Scapy dissects (0x8100 and 0x88a8, not 0x9100), the EtherType after them and
/// where its layer starts: the view walks 0x9100 tags too, Scapy shows them as `Raw`.
pub(super) fn scapy_tags(frame: &[u8], lay: &Layout) -> (usize, u16, usize) {
    let tags = (0..lay.vlans)
        .take_while(|&k| matches!(be16(frame, Layout::vlan_off(k) - 2), 0x8100 | 0x88a8))
        .count();
    let ether_type = if tags == lay.vlans {
        lay.ether_type
    } else {
        be16(frame, Layout::vlan_off(tags) - 2)
    };
    (tags, ether_type, Layout::vlan_off(tags))
}

fn tos(ip: &Ipv4Header) -> u8 {
    (ip.dscp.value() << 2) | ip.ecn.value()
}

/// Bytes as Scapy 2.5's show() prints a `load`: `repr(plain_str(x))`, that is the bytes
/// decoded as UTF-8 with `backslashreplace`, then Python's `repr` of that string. So valid
/// UTF-8 shows as its characters (`'é'`), and a byte that is not UTF-8 shows as `\\xff`
/// (the backslash of `backslashreplace`, doubled by `repr`), unlike `repr(bytes)`'s `\xff`.
fn py_bytes(data: &[u8]) -> String {
    let has = |c: u8| data.contains(&c);
    let quote = if has(b'\'') && !has(b'"') { '"' } else { '\'' };
    let mut s = String::with_capacity(data.len() + 2);
    s.push(quote);
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\t' => s.push_str("\\t"),
                '\n' => s.push_str("\\n"),
                '\r' => s.push_str("\\r"),
                _ if c == quote => {
                    s.push('\\');
                    s.push(quote);
                }
                _ if py_printable(c) => s.push(c),
                _ if (c as u32) < 0x100 => {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                }
                _ if (c as u32) < 0x10000 => {
                    let _ = write!(s, "\\u{:04x}", c as u32);
                }
                _ => {
                    let _ = write!(s, "\\U{:08x}", c as u32);
                }
            }
        }
        for b in chunk.invalid() {
            let _ = write!(s, "\\\\x{b:02x}");
        }
    }
    s.push(quote);
    s
}

/// Python's `str.isprintable()` for one character, closely enough: ASCII 0x20..=0x7e, and
/// beyond ASCII anything but controls, separators (whitespace), the common format characters
/// (zero-width and direction marks, BOM) and private use.
fn py_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let u = c as u32;
    let format = matches!(
        u,
        0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f | 0x180e | 0x200b..=0x200f
            | 0x202a..=0x202e | 0x2060..=0x2064 | 0x2066..=0x206f | 0xfeff | 0xfff9..=0xfffb
    );
    let private = matches!(u, 0xe000..=0xf8ff | 0xf0000..);
    !(c.is_control() || c.is_whitespace() || format || private)
}

pub(super) fn ether_type_name(t: u16) -> String {
    match t {
        0x0800 => "IPv4".into(),
        0x86dd => "IPv6".into(),
        0x0806 => "ARP".into(),
        0x8100 => "n_802_1Q".into(),
        0x88a8 => "n_802_1AD".into(),
        0x88cc => "LLDP".into(),
        _ => format!("{t:#x}"),
    }
}

pub(super) fn ip_proto_name(p: IpNumber, v6_style: bool) -> String {
    let name = match (p, v6_style) {
        (IpNumber::TCP, false) => "tcp",
        (IpNumber::UDP, false) => "udp",
        (IpNumber::ICMP, false) => "icmp",
        (IpNumber::IPV6_ICMP, false) => "ipv6_icmp",
        (IpNumber::TCP, true) => "TCP",
        (IpNumber::UDP, true) => "UDP",
        (IpNumber::IPV6_ICMP, true) => "ICMPv6",
        _ => return p.0.to_string(),
    };
    name.into()
}

pub(super) fn icmp_name(t: u8) -> String {
    match t {
        0 => "echo-reply".into(),
        3 => "dest-unreach".into(),
        5 => "redirect".into(),
        8 => "echo-request".into(),
        11 => "time-exceeded".into(),
        _ => t.to_string(),
    }
}

/// An IPv6 address as Scapy prints it (glibc's `inet_ntop`): an IPv4-compatible address
/// (`::1.2.3.4`) and an IPv4-mapped one (`::ffff:1.2.3.4`) end in dotted decimal.
struct Ip6(std::net::Ipv6Addr);

impl std::fmt::Display for Ip6 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.0.segments();
        let o = self.0.octets();
        // glibc: the longest run of zeros is exactly the first 6 words (or 5, then ffff).
        let compat = s[..6] == [0; 6] && s[6] != 0;
        let mapped = s[..5] == [0; 5] && s[5] == 0xffff;
        if compat || mapped {
            let v4 = std::net::Ipv4Addr::new(o[12], o[13], o[14], o[15]);
            return write!(f, "::{}{v4}", if mapped { "ffff:" } else { "" });
        }
        write!(f, "{}", self.0)
    }
}

/// Port names as Scapy gives them: from `/etc/services` (read once, lazily; numbers only
/// when the file is absent), the name of the first line for the port and protocol.
fn port_name(p: u16, udp: bool) -> String {
    static TCP: std::sync::OnceLock<[std::collections::HashMap<u16, String>; 2]> =
        std::sync::OnceLock::new();
    let tables = TCP.get_or_init(|| {
        let mut t = [
            std::collections::HashMap::new(),
            std::collections::HashMap::new(),
        ];
        if let Ok(text) = std::fs::read_to_string("/etc/services") {
            parse_services(&text, &mut t);
        }
        t
    });
    match tables[usize::from(udp)].get(&p) {
        Some(n) => n.clone(),
        None => p.to_string(),
    }
}

/// `name port/proto [aliases]` lines, read as Scapy's `load_services` does: a dict from name
/// to port per protocol (a later line for the same name changes its port, not its place),
/// then port to name with the last name of a port winning.
fn parse_services(text: &str, t: &mut [std::collections::HashMap<u16, String>; 2]) {
    let mut by_name: [Vec<(String, u16)>; 2] = [Vec::new(), Vec::new()];
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        let (Some(name), Some(pp)) = (w.next(), w.next()) else {
            continue;
        };
        let Some((port, proto)) = pp.split_once('/') else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let i = match proto {
            "tcp" => 0,
            "udp" => 1,
            _ => continue,
        };
        // Scapy makes names identifiers: `ftp-data` is `ftp_data`.
        let name = name.replace('-', "_");
        match by_name[i].iter_mut().find(|(n, _)| *n == name) {
            Some(e) => e.1 = port,
            None => by_name[i].push((name, port)),
        }
    }
    for (i, names) in by_name.into_iter().enumerate() {
        for (name, port) in names {
            t[i].insert(port, name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::spec::tests::{cases, fixture};
    use crate::frame::summary;

    fn golden(name: &str, ext: &str) -> String {
        let path = format!(
            "{}/fixtures/frames/{name}.{ext}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn show_matches_scapy() {
        for (name, _) in cases() {
            let got = show(&fixture(name));
            let want = golden(name, "show");
            for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
                assert_eq!(g, w, "{name}.show line {}", i + 1);
            }
            assert_eq!(got, want, "{name}.show");
        }
    }

    #[test]
    fn hexdump_matches_scapy() {
        for (name, _) in cases() {
            assert_eq!(hexdump(&fixture(name)), golden(name, "hexdump"), "{name}");
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let frame = fixture("vlan");
        for n in 0..frame.len() {
            let _ = (
                show(&frame[..n]),
                summary(&frame[..n]),
                hexdump(&frame[..n]),
            );
        }
        assert!(show(&[1, 2, 3]).contains("###[ Raw ]###"));
    }

    /// What Scapy 2.5.0 prints for these ports (`TCP(sport=p).sprintf('%TCP.sport%')`, same
    /// for UDP) with Debian 12's netbase /etc/services.
    #[test]
    fn port_names_from_etc_services_like_scapy() {
        if !std::path::Path::new("/etc/services").exists() {
            assert_eq!(port_name(22, false), "22");
            return;
        }
        for (p, tcp, udp) in [
            (7, "echo", "echo"),
            (20, "ftp_data", "20"),
            (21, "ftp", "fsp"),
            (22, "ssh", "22"),
            (53, "domain", "domain"),
            (80, "http", "80"),
            (123, "123", "ntp"),
            (443, "https", "https"),
            (514, "shell", "syslog"),
            (2222, "2222", "2222"),
            (5353, "5353", "mdns"),
            (8080, "http_alt", "8080"),
        ] {
            assert_eq!(port_name(p, false), tcp, "tcp {p}");
            assert_eq!(port_name(p, true), udp, "udp {p}");
        }
    }

    #[test]
    fn ipv6_compatible_and_mapped_like_scapy() {
        let f = |s: &str| Ip6(s.parse().unwrap()).to_string();
        assert_eq!(f("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(f("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(f("::1"), "::1");
        assert_eq!(f("::"), "::");
        assert_eq!(f("2001:2::1"), "2001:2::1");
    }

    #[test]
    fn python_bytes_repr() {
        assert_eq!(py_bytes(b"123"), "'123'");
        assert_eq!(py_bytes(b"a'b"), "\"a'b\"");
        assert_eq!(py_bytes(b"a'\"b"), "'a\\'\"b'");
        assert_eq!(py_bytes(&[0, 0x7f, b'\\', b'\n']), "'\\x00\\x7f\\\\\\n'");
        // What Scapy 2.5.0 (Debian python3-scapy) prints as `load` for these payloads:
        // `Ether(raw(Ether()/IP()/UDP(sport=1111, dport=2222)/Raw(bytes.fromhex(HEX)))).show()`.
        for (hex, scapy) in [
            ("ff", r"'\\xff'"),
            ("00ff", r"'\x00\\xff'"),
            ("27ff", r#""'\\xff""#),
            ("807f0a", r"'\\x80\x7f\n'"),
            ("0001ff275c", r#""\x00\x01\\xff'\\""#),
            ("c3a9", "'\u{e9}'"),
            ("61c3a9ff", "'a\u{e9}\\\\xff'"),
            ("c2a0", r"'\xa0'"),
            ("e282ac22", "'\u{20ac}\"'"),
            ("f09f9880", "'\u{1f600}'"),
            ("e2808b", r"'\u200b'"),
            ("c3", r"'\\xc3'"),
            ("2227", r#"'"\''"#),
        ] {
            let data = crate::frame::parse_hex(hex).unwrap();
            assert_eq!(py_bytes(&data), scapy, "{hex}");
        }
    }
}
