//! Option lists as Scapy 2.5 shows them: IPv4 options (a packet list of `IPOption_*`), TCP
//! options (a Python list of `(name, value)` tuples) and the options of IPv6 hop-by-hop and
//! destination headers (`Pad1`, `PadN`, `Router Alert`...).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::repr::{py_bytes, py_bytes_lit};
use super::Dump;
use crate::frame::wire::Value;

/// Scapy's `_ip_options_names`.
fn ip_option_name(n: u8) -> Option<&'static str> {
    Some(match n {
        0 => "end_of_list",
        1 => "nop",
        2 => "security",
        3 => "loose_source_route",
        4 => "timestamp",
        5 => "extended_security",
        6 => "commercial_security",
        7 => "record_route",
        8 => "stream_id",
        9 => "strict_source_route",
        10 => "experimental_measurement",
        11 => "mtu_probe",
        12 => "mtu_reply",
        13 => "flow_control",
        14 => "access_control",
        15 => "encode",
        16 => "imi_traffic_descriptor",
        17 => "extended_IP",
        18 => "traceroute",
        19 => "address_extension",
        20 => "router_alert",
        21 => "selective_directed_broadcast_mode",
        23 => "dynamic_packet_state",
        24 => "upstream_multicast_packet",
        25 => "quick_start",
        30 => "rfc4727_experiment",
        _ => return None,
    })
}

/// The IPv4 options `o` (the bytes after the 20-byte header), each an `IPOption_*` packet in
/// Scapy's packet list: `\options   \` then `|###[ IP Option ... ]###` blocks.
pub(super) fn ip_options(d: &mut Dump, o: &[u8]) {
    d.list_field("options");
    if o.is_empty() {
        return;
    }
    d.enter_list();
    let mut i = 0;
    while i < o.len() {
        let t = o[i];
        let num = t & 0x1f;
        let header = |d: &mut Dump, name: &str| {
            d.layer(name);
            d.field("copy_flag", t >> 7);
            let class = (t >> 5) & 3;
            match class {
                0 => d.field("optclass", "control"),
                2 => d.field("optclass", "debug"),
                c => d.field("optclass", c),
            }
            match ip_option_name(num) {
                Some(n) => d.field("option", n),
                None => d.field("option", num),
            }
        };
        if num <= 1 {
            header(
                d,
                if num == 0 {
                    "IP Option End of Options List"
                } else {
                    "IP Option No Operation"
                },
            );
            d.leave_layer();
            i += 1;
            continue;
        }
        let len = o.get(i + 1).map_or(0, |&l| l as usize);
        let end = (i + len.max(2)).min(o.len());
        let body = &o[(i + 2).min(end)..end];
        match (num, body.len()) {
            (3 | 7 | 9, n) if n >= 1 => {
                header(
                    d,
                    match num {
                        3 => "IP Option Loose Source and Record Route",
                        7 => "IP Option Record Route",
                        _ => "IP Option Strict Source and Record Route",
                    },
                );
                d.field("length", len);
                d.field("pointer", body[0]);
                let mut s = String::from("[");
                for (k, a) in body[1..].chunks_exact(4).enumerate() {
                    if k > 0 {
                        s.push_str(", ");
                    }
                    let _ = write!(s, "{}", Ipv4Addr::get(a));
                }
                s.push(']');
                d.field("routers", s);
            }
            (20, 2) => {
                header(d, "IP Option Router Alert");
                d.field("length", len);
                match u16::get(body) {
                    0 => d.field("alert", "router_shall_examine_packet"),
                    a => d.field("alert", a),
                }
            }
            (8, 2) | (11, 2) | (12, 2) => {
                let (name, field) = match num {
                    8 => ("IP Option Stream ID", "security"),
                    11 => ("IP Option MTU Probe", "mtu"),
                    _ => ("IP Option MTU Reply", "mtu"),
                };
                header(d, name);
                d.field("length", len);
                d.field(field, u16::get(body));
            }
            _ => {
                header(d, "IP Option");
                d.field("length", len);
                d.field("value", py_bytes(body));
            }
        }
        d.leave_layer();
        i = end;
    }
    d.leave_list();
}

/// The TCP options as Scapy's `TCPOptionsField` dissects them and Python prints the list:
/// `[('MSS', 1460), ('NOP', None), ('WScale', 7), ('SAckOK', b''), ('Timestamp', (1, 0))]`.
pub(super) fn tcp_options(mut x: &[u8]) -> String {
    let mut out = String::from("[");
    let mut first = true;
    while !x.is_empty() {
        if !first {
            out.push_str(", ");
        }
        first = false;
        let kind = x[0];
        if kind == 0 {
            out.push_str("('EOL', None)");
            break;
        }
        if kind == 1 {
            out.push_str("('NOP', None)");
            x = &x[1..];
            continue;
        }
        let olen = (x.get(1).copied().unwrap_or(0) as usize).max(2);
        let val = &x[2.min(x.len())..olen.min(x.len())];
        // Scapy's TCPOptions: name and struct format.
        let (name, ints): (Option<&str>, Option<usize>) = match kind {
            2 => (Some("MSS"), Some(2)),
            3 => (Some("WScale"), Some(1)),
            4 => (Some("SAckOK"), None),
            5 => (Some("SAck"), val.len().is_multiple_of(4).then_some(4)),
            8 => (Some("Timestamp"), Some(4)),
            14 => (Some("AltChkSum"), None),
            15 => (Some("AltChkSumOpt"), None),
            19 => (Some("MD5"), None),
            25 => (Some("Mood"), None),
            28 => (Some("UTO"), Some(2)),
            29 => (Some("AO"), None),
            34 => (Some("TFO"), Some(4)),
            _ => (None, None),
        };
        let want = match kind {
            2 | 28 => 2,
            3 => 1,
            8 | 34 => 8,
            14 => 3,
            19 => 16,
            25 => 1,
            _ => val.len(),
        };
        let value = match ints {
            Some(w) if val.len() == want => {
                let nums: Vec<u32> = val
                    .chunks_exact(w)
                    .map(|c| match w {
                        1 => c[0] as u32,
                        2 => u16::get(c) as u32,
                        _ => u32::get(c),
                    })
                    .collect();
                match nums.len() {
                    1 => nums[0].to_string(),
                    _ => {
                        let parts: Vec<String> = nums.iter().map(u32::to_string).collect();
                        format!("({})", parts.join(", "))
                    }
                }
            }
            // AltChkSum `!BH`: a byte then a short.
            _ if kind == 14 && val.len() == 3 => format!("({}, {})", val[0], u16::get(&val[1..])),
            _ => py_bytes_lit(val),
        };
        match name {
            Some(n) => {
                let _ = write!(out, "('{n}', {value})");
            }
            None => {
                let _ = write!(out, "({kind}, {value})");
            }
        }
        x = &x[olen.min(x.len())..];
    }
    out.push(']');
    out
}

/// Scapy's `_hbhopts` name of an IPv6 option type, with the policy and en-route bits
/// (`_OTypeField`): `PadN [00: skip, 0: Don't change en-route]`.
fn otype(t: u8) -> String {
    let name = match t {
        0x00 => "Pad1".to_string(),
        0x01 => "PadN".to_string(),
        0x04 => "Tunnel Encapsulation Limit".to_string(),
        0x05 => "Router Alert".to_string(),
        0x06 => "Quick-Start".to_string(),
        0xc2 => "Jumbo Payload".to_string(),
        0xc9 => "Home Address Option".to_string(),
        _ => t.to_string(),
    };
    let pol = match t & 0xc0 {
        0x00 => "00: skip",
        0x40 => "01: discard",
        0x80 => "10: discard+ICMP",
        _ => "11: discard+ICMP not mcast",
    };
    let chg = if t & 0x20 == 0 {
        "0: Don't change en-route"
    } else {
        "1: May change en-route"
    };
    format!("{name} [{pol}, {chg}]")
}

/// The options of an IPv6 hop-by-hop or destination options header, as Scapy's packet list.
pub(super) fn ipv6_options(d: &mut Dump, o: &[u8]) {
    d.list_field("options");
    if o.is_empty() {
        return;
    }
    d.enter_list();
    let mut i = 0;
    while i < o.len() {
        let t = o[i];
        if t == 0 {
            d.layer("Pad1");
            d.field("otype", otype(t));
            d.leave_layer();
            i += 1;
            continue;
        }
        let len = o.get(i + 1).map_or(0, |&l| l as usize);
        let end = (i + 2 + len).min(o.len());
        let body = &o[(i + 2).min(end)..end];
        match (t, body.len()) {
            (5, 2) => {
                d.layer("Router Alert");
                d.field("otype", otype(t));
                d.field("optlen", len);
                let v = u16::get(body);
                match v {
                    0 => d.field("value", "Datagram contains a MLD message"),
                    1 => d.field("value", "Datagram contains RSVP message"),
                    2 => d.field("value", "Datagram contains an Active Network message"),
                    68 => d.field("value", "NSIS NATFW NSLP"),
                    69 => d.field("value", "MPLS OAM"),
                    _ => d.field("value", v),
                }
            }
            (0xc2, 4) => {
                d.layer("Jumbo Payload");
                d.field("otype", otype(t));
                d.field("optlen", len);
                d.field("jumboplen", u32::get(body));
            }
            _ => {
                d.layer(if t == 1 {
                    "PadN"
                } else {
                    "Scapy6 Unknown Option"
                });
                d.field("otype", otype(t));
                d.field("optlen", len);
                d.field("optdata", py_bytes(body));
            }
        }
        d.leave_layer();
        i = end;
    }
    d.leave_list();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scapy 2.5.0: `TCP(raw(TCP(options=[...]))).options` printed by show().
    #[test]
    fn tcp_options_like_scapy() {
        let hex = |h: &str| crate::frame::parse_hex(h).unwrap();
        assert_eq!(
            tcp_options(&hex("020405b4010303070402080a0000000100000000")),
            "[('MSS', 1460), ('NOP', None), ('WScale', 7), ('SAckOK', b''), ('Timestamp', (1, 0))]"
        );
        assert_eq!(tcp_options(&hex("00000000")), "[('EOL', None)]");
        assert_eq!(
            tcp_options(&hex("050a000000010000000201")),
            "[('SAck', (1, 2)), ('NOP', None)]"
        );
        assert_eq!(tcp_options(&hex("fe04abcd")), r"[(254, b'\xab\xcd')]");
    }
}
