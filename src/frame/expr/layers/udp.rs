//! `UDP`, and the port names Scapy reads from `/etc/services` (shared with `TCP`).

use std::collections::HashMap;
use std::sync::OnceLock;

use super::super::{Ctx, ExprError, Fields, LayerClass, Value};
use super::pseudo::l4_checksum;
use super::Binding;
use crate::frame::wire::udp;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Udp];
pub(super) const BINDINGS: &[Binding] = &[
    Binding {
        lower: "IP",
        upper: "UDP",
        fields: &[("frag", 0), ("proto", 17)],
    },
    Binding {
        lower: "IPv6",
        upper: "UDP",
        fields: &[("nh", 17)],
    },
];

/// `UDP(sport=53, dport=53, len=None, chksum=None)`.
#[derive(Debug)]
pub struct Udp;

impl LayerClass for Udp {
    fn name(&self) -> &'static str {
        "UDP"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["sport", "dport", "len", "chksum"]
    }
    fn resolve(&self, f: &mut Fields, _env: &dyn super::super::Env) -> Result<(), ExprError> {
        for n in ["sport", "dport"] {
            port(f, n, Services::Udp)?;
        }
        f.uint("len", 16)?;
        f.uint("chksum", 16)?;
        Ok(())
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let sport = port(f, "sport", Services::Udp)?.unwrap_or(53);
        let dport = port(f, "dport", Services::Udp)?.unwrap_or(53);
        let len = match f.uint("len", 16)? {
            Some(l) => l as u16,
            None => f.computed("UDP", "len", "len", 8 + ctx.payload.len(), 16)? as u16,
        };
        let mut h = [0u8; udp::HEADER_LEN];
        let mut v = udp::Header::new_unchecked(&mut h[..]);
        v.set_src_port(sport);
        v.set_dst_port(dport);
        v.set_len(len);
        let ck = match f.uint("chksum", 16)? {
            Some(c) => c as u16,
            // RFC 768 / RFC 2460: a computed 0 is sent as 0xffff.
            None => match l4_checksum(17, ctx, &[&h, ctx.payload])? {
                Some(0) => 0xffff,
                Some(c) => c,
                None => 0,
            },
        };
        udp::Header::new_unchecked(&mut h[..]).set_checksum(ck);
        out.extend_from_slice(&h);
        Ok(())
    }
}

/// Which table of `/etc/services` a port name is looked up in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Services {
    Tcp,
    Udp,
}

/// A port field: an int, or a service name as Scapy reads it from `/etc/services`
/// (`dport="domain"`).
pub(super) fn port(f: &Fields, name: &str, table: Services) -> Result<Option<u16>, ExprError> {
    match f.get(name) {
        Some(Value::Str(s)) => match services(table).get(s.as_str()) {
            Some(p) => Ok(Some(*p)),
            None => Err(f.err(
                name,
                format!(
                    "{name}: unknown {} service '{s}' (not in /etc/services)",
                    match table {
                        Services::Tcp => "TCP",
                        Services::Udp => "UDP",
                    }
                ),
            )),
        },
        // An explicit None packs as 0, as in Scapy.
        Some(Value::None) => Ok(Some(0)),
        Some(Value::Int(_) | Value::Bool(_)) | None => Ok(f.uint(name, 16)?.map(|p| p as u16)),
        Some(_) => Err(f.type_err(name, "an int or a service name")),
    }
}

fn services(table: Services) -> &'static HashMap<String, u16> {
    static TCP: OnceLock<HashMap<String, u16>> = OnceLock::new();
    static UDP: OnceLock<HashMap<String, u16>> = OnceLock::new();
    let (cell, proto) = match table {
        Services::Tcp => (&TCP, "tcp"),
        Services::Udp => (&UDP, "udp"),
    };
    cell.get_or_init(|| {
        parse_services(
            &std::fs::read_to_string("/etc/services").unwrap_or_default(),
            proto,
        )
    })
}

/// Scapy's `load_services` then its enum field's reverse map: port -> name (the last line for
/// a port wins, the port keeping its first place), then name -> port in that order (the last
/// port of a name wins); names made identifiers (`fixname`: other characters become `_`).
fn parse_services(text: &str, proto: &str) -> HashMap<String, u16> {
    let mut order: Vec<u16> = Vec::new();
    let mut names: HashMap<u16, String> = HashMap::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut w = line.split_whitespace();
        let (Some(name), Some(pp)) = (w.next(), w.next()) else {
            continue;
        };
        let Some((port, p)) = pp.split_once('/') else {
            continue;
        };
        if p != proto {
            continue;
        }
        let ports: Vec<u16> = match port.split_once('-') {
            Some((a, b)) => match (a.parse::<u16>(), b.parse::<u16>()) {
                (Ok(a), Ok(b)) if a <= b => (a..=b).collect(),
                _ => continue,
            },
            None => match port.parse() {
                Ok(p) => vec![p],
                Err(_) => continue,
            },
        };
        let name = fixname(name);
        for p in ports {
            if names.insert(p, name.clone()).is_none() {
                order.push(p);
            }
        }
    }
    order.into_iter().map(|p| (names[&p].clone(), p)).collect()
}

fn fixname(n: &str) -> String {
    let mut s: String = n
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "n_");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::super::pseudo::stub::{after_ip, ip4, ip6, layer, unhex};
    use super::*;
    use crate::frame::expr::layers::raw::Raw;

    fn raw(b: &[u8]) -> crate::frame::expr::Layer {
        layer(&Raw, &[("load", Value::Bytes(b.to_vec()))])
    }

    #[test]
    fn udp_over_ip_defaults_and_checksum() {
        // Scapy 2.5: raw(IP(src="198.18.0.1", dst="198.18.0.2")/UDP()/b"hello")[20:]
        let ls = [
            ip4("198.18.0.1", "198.18.0.2"),
            layer(&Udp, &[]),
            raw(b"hello"),
        ];
        assert_eq!(after_ip(&ls), unhex("0035 0035 000d 2f70 68656c6c6f"));
    }

    #[test]
    fn udp_over_ipv6_and_explicit_len_checksum() {
        // Scapy 2.5: raw(IPv6(src="2001:2::1", dst="2001:2::2")/UDP(sport=1000, dport=2000))[40:]
        let ls = [ip6("2001:2::1", "2001:2::2"), layer(&Udp, &[])];
        let mut l = ls[1].clone();
        l.fields.set("sport", Value::Int(1000), 1);
        l.fields.set("dport", Value::Int(2000), 1);
        let ls = [ls[0].clone(), l];
        assert_eq!(after_ip(&ls), unhex("03e8 07d0 0008 b41d"));
        // Scapy 2.5: raw(IP(...)/UDP(len=5, chksum=0)): both as given.
        let ls = [
            ip4("198.18.0.1", "198.18.0.2"),
            layer(&Udp, &[("len", Value::Int(5)), ("chksum", Value::Int(0))]),
        ];
        assert_eq!(after_ip(&ls), unhex("0035 0035 0005 0000"));
    }

    #[test]
    fn udp_without_ip_has_no_checksum() {
        let ls = [layer(&Udp, &[])];
        let b = crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).unwrap();
        assert_eq!(b, unhex("0035 0035 0008 0000"));
    }

    #[test]
    fn services_like_scapy() {
        let m = parse_services(
            "domain 53/tcp\ndomain 53/udp # DNS\nx-y 7000-7001/udp\n9pfs 564/udp\n",
            "udp",
        );
        assert_eq!(m.get("domain"), Some(&53));
        assert_eq!(m.get("x_y"), Some(&7001));
        assert_eq!(m.get("n_9pfs"), Some(&564));
    }
}
