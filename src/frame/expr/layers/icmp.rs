//! `ICMP` (IPv4): every type and code, with Scapy's conditional fields. An error message
//! (unreachable, time exceeded...) quotes the `IP()/...` that follows it in the expression.

use std::net::Ipv4Addr;

use super::super::{Ctx, ExprError, Fields, LayerClass, Value};
use super::pseudo::checksum;
use super::Binding;
use crate::frame::wire::icmp;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Icmp];
pub(super) const BINDINGS: &[Binding] = &[Binding {
    lower: "IP",
    upper: "ICMP",
    fields: &[("frag", 0), ("proto", 1)],
}];

/// Scapy's `icmptypes`.
pub(super) const TYPES: &[(u8, &str)] = &[
    (0, "echo-reply"),
    (3, "dest-unreach"),
    (4, "source-quench"),
    (5, "redirect"),
    (8, "echo-request"),
    (9, "router-advertisement"),
    (10, "router-solicitation"),
    (11, "time-exceeded"),
    (12, "parameter-problem"),
    (13, "timestamp-request"),
    (14, "timestamp-reply"),
    (15, "information-request"),
    (16, "information-response"),
    (17, "address-mask-request"),
    (18, "address-mask-reply"),
    (30, "traceroute"),
    (31, "datagram-conversion-error"),
    (32, "mobile-host-redirect"),
    (33, "ipv6-where-are-you"),
    (34, "ipv6-i-am-here"),
    (35, "mobile-registration-request"),
    (36, "mobile-registration-reply"),
    (37, "domain-name-request"),
    (38, "domain-name-reply"),
    (39, "skip"),
    (40, "photuris"),
];

/// Scapy's `icmpcodes`: (type, code, name).
pub(super) const CODES: &[(u8, u8, &str)] = &[
    (3, 0, "network-unreachable"),
    (3, 1, "host-unreachable"),
    (3, 2, "protocol-unreachable"),
    (3, 3, "port-unreachable"),
    (3, 4, "fragmentation-needed"),
    (3, 5, "source-route-failed"),
    (3, 6, "network-unknown"),
    (3, 7, "host-unknown"),
    (3, 9, "network-prohibited"),
    (3, 10, "host-prohibited"),
    (3, 11, "TOS-network-unreachable"),
    (3, 12, "TOS-host-unreachable"),
    (3, 13, "communication-prohibited"),
    (3, 14, "host-precedence-violation"),
    (3, 15, "precedence-cutoff"),
    (5, 0, "network-redirect"),
    (5, 1, "host-redirect"),
    (5, 2, "TOS-network-redirect"),
    (5, 3, "TOS-host-redirect"),
    (11, 0, "ttl-zero-during-transit"),
    (11, 1, "ttl-zero-during-reassembly"),
    (12, 0, "ip-header-bad"),
    (12, 1, "required-option-missing"),
    (40, 0, "bad-spi"),
    (40, 1, "authentication-failed"),
    (40, 2, "decompression-failed"),
    (40, 3, "decryption-failed"),
    (40, 4, "need-authentification"),
    (40, 5, "need-authorization"),
];

/// The types that carry `id` and `seq`.
const ID_SEQ: &[u8] = &[0, 8, 13, 14, 15, 16, 17, 18, 37, 38];

/// `ICMP(type=8, code=0, chksum=None, ...)`; which of the other fields are on the wire depends
/// on the type, as in Scapy.
#[derive(Debug)]
pub struct Icmp;

impl LayerClass for Icmp {
    fn name(&self) -> &'static str {
        "ICMP"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "type",
            "code",
            "chksum",
            "id",
            "seq",
            "ts_ori",
            "ts_rx",
            "ts_tx",
            "gw",
            "ptr",
            "reserved",
            "length",
            "addr_mask",
            "nexthopmtu",
            "unused",
        ]
    }
    fn resolve(&self, f: &mut Fields, _env: &dyn super::super::Env) -> Result<(), ExprError> {
        let t = enum_u8(f, "type", TYPES.iter().copied())?.unwrap_or(8);
        code(f, t)?;
        Ok(())
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let t = enum_u8(f, "type", TYPES.iter().copied())?.unwrap_or(8);
        let c = code(f, t)?.unwrap_or(0);
        let start = out.len();
        out.extend_from_slice(&[t, c]);
        out.extend_from_slice(&(f.uint_or("chksum", 16, 0)? as u16).to_be_bytes());
        let u16f = |n: &str| -> Result<[u8; 2], ExprError> {
            Ok((f.uint_or(n, 16, 0)? as u16).to_be_bytes())
        };
        let u8f = |n: &str| -> Result<u8, ExprError> { Ok(f.uint_or(n, 8, 0)? as u8) };
        if ID_SEQ.contains(&t) {
            out.extend_from_slice(&u16f("id")?);
            out.extend_from_slice(&u16f("seq")?);
        }
        if t == 13 || t == 14 {
            for n in ["ts_ori", "ts_rx", "ts_tx"] {
                out.extend_from_slice(&timestamp(f, n)?.to_be_bytes());
            }
        }
        if t == 5 {
            out.extend_from_slice(&f.ipv4("gw")?.unwrap_or(Ipv4Addr::UNSPECIFIED).octets());
        }
        if t == 12 {
            out.push(u8f("ptr")?);
        }
        if t == 3 || t == 11 {
            out.push(u8f("reserved")?);
        }
        if t == 3 || t == 11 || t == 12 {
            out.push(u8f("length")?);
        }
        if t == 17 || t == 18 {
            let m = f.ipv4("addr_mask")?.unwrap_or(Ipv4Addr::UNSPECIFIED);
            out.extend_from_slice(&m.octets());
        }
        if t == 3 {
            out.extend_from_slice(&u16f("nexthopmtu")?);
        }
        match t {
            11 | 12 => out.extend_from_slice(&u16f("unused")?),
            0 | 3 | 5 | 8 | 13..=18 => {}
            _ => out.extend_from_slice(&(f.uint_or("unused", 32, 0)? as u32).to_be_bytes()),
        }
        if f.uint("chksum", 16)?.is_none() {
            let ck = checksum(&[&out[start..], ctx.payload]);
            icmp::Header::new_unchecked(&mut out[start..]).set_checksum(ck);
        }
        Ok(())
    }
}

/// A `ByteEnumField`: an int, or one of the names.
pub(super) fn enum_u8(
    f: &Fields,
    name: &str,
    names: impl Iterator<Item = (u8, &'static str)> + Clone,
) -> Result<Option<u8>, ExprError> {
    match f.get(name) {
        Some(Value::Str(s)) => match names.clone().find(|(_, n)| n == s) {
            Some((v, _)) => Ok(Some(v)),
            None => {
                let close = super::super::build::close_in(s, names.map(|(_, n)| n));
                Err(f.err(
                    name,
                    format!(
                        "{name}: unknown name '{s}'{}",
                        match close.first() {
                            Some(c) => format!("; did you mean '{c}'?"),
                            None => String::new(),
                        }
                    ),
                ))
            }
        },
        // An explicit None packs as 0, as in Scapy.
        Some(Value::None) => Ok(Some(0)),
        _ => Ok(f.uint(name, 8)?.map(|v| v as u8)),
    }
}

/// Scapy's `MultiEnumField` for the code: the names of this type first, then of any type.
fn code(f: &Fields, t: u8) -> Result<Option<u8>, ExprError> {
    if let Some(Value::Str(s)) = f.get("code") {
        if let Some((_, c, _)) = CODES.iter().find(|(ty, _, n)| *ty == t && n == s) {
            return Ok(Some(*c));
        }
    }
    enum_u8(f, "code", CODES.iter().map(|(_, c, n)| (*c, *n)))
}

/// `ICMPTimeStampField`: milliseconds since midnight UTC, as an int, as `"h:m:s.ms"`, or (when
/// unset) now, as Scapy does.
fn timestamp(f: &Fields, name: &str) -> Result<u32, ExprError> {
    match f.get(name) {
        Some(Value::Str(s)) => Ok(parse_hmsm(s).unwrap_or(0)),
        None | Some(Value::None) => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            Ok(((now.as_secs_f64() % 86400.0) * 1000.0) as u32)
        }
        _ => Ok(f.uint_or(name, 32, 0)? as u32),
    }
}

/// Scapy's `([0-2]?[0-9])[Hh:](([0-5]?[0-9])([Mm:]([0-5]?[0-9])([sS:.]([0-9]{0,3}))?)?)?$`.
fn parse_hmsm(s: &str) -> Option<u32> {
    let b = s.as_bytes();
    let mut i = 0;
    // Up to two digits, the first of them 0..=2 when there are two.
    let digits = |i: &mut usize, max: usize, first_max: u8| -> Option<u32> {
        let st = *i;
        while *i < b.len() && *i - st < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        let d = &b[st..*i];
        if d.is_empty() || (d.len() == 2 && d[0] > first_max) {
            return None;
        }
        std::str::from_utf8(d).ok()?.parse().ok()
    };
    let h = digits(&mut i, 2, b'2')?;
    if !matches!(b.get(i), Some(b'H' | b'h' | b':')) {
        return None;
    }
    i += 1;
    let (mut m, mut sec, mut ms) = (0, 0, 0);
    if i < b.len() {
        m = digits(&mut i, 2, b'5')?;
        if i < b.len() {
            if !matches!(b[i], b'M' | b'm' | b':') {
                return None;
            }
            i += 1;
            sec = digits(&mut i, 2, b'5')?;
            if i < b.len() {
                if !matches!(b[i], b's' | b'S' | b':' | b'.') {
                    return None;
                }
                i += 1;
                let st = i;
                while i < b.len() && i - st < 3 && b[i].is_ascii_digit() {
                    i += 1;
                }
                let mut d = String::from_utf8_lossy(&b[st..i]).into_owned();
                d.push_str("000");
                ms = d[..3].parse().ok()?;
            }
        }
    }
    if i != b.len() {
        return None;
    }
    Some(((h * 60 + m) * 60 + sec) * 1000 + ms)
}

#[cfg(test)]
mod tests {
    use super::super::pseudo::stub::{layer, unhex};
    use super::*;
    use crate::frame::expr::{build_layers, NoEnv};

    fn icmp(fields: &[(&'static str, Value)]) -> Vec<u8> {
        build_layers(&[layer(&Icmp, fields)], &NoEnv).unwrap()
    }
    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }

    #[test]
    fn types_and_conditional_fields() {
        // Scapy 2.5, raw(ICMP(...)) for each:
        // ICMP()
        assert_eq!(icmp(&[]), unhex("0800f7ff00000000"));
        // ICMP(type="dest-unreach", code="port-unreachable")
        assert_eq!(
            icmp(&[("type", s("dest-unreach")), ("code", s("port-unreachable"))]),
            unhex("0303fcfc00000000")
        );
        // ICMP(code="port-unreachable"): the name found among every type's codes
        assert_eq!(
            icmp(&[("code", s("port-unreachable"))]),
            unhex("0803f7fc00000000")
        );
        // ICMP(type=4), ICMP(type=9), ICMP(type=11), ICMP(type=12, ptr=3)
        assert_eq!(icmp(&[("type", Value::Int(4))]), unhex("0400fbff00000000"));
        assert_eq!(icmp(&[("type", Value::Int(9))]), unhex("0900f6ff00000000"));
        assert_eq!(icmp(&[("type", Value::Int(11))]), unhex("0b00f4ff00000000"));
        assert_eq!(
            icmp(&[("type", Value::Int(12)), ("ptr", Value::Int(3))]),
            unhex("0c00f0ff03000000")
        );
        // ICMP(type=13, ts_ori="1:2:3.4", ts_rx=1, ts_tx=2)
        assert_eq!(
            icmp(&[
                ("type", Value::Int(13)),
                ("ts_ori", s("1:2:3.4")),
                ("ts_rx", Value::Int(1)),
                ("ts_tx", Value::Int(2))
            ]),
            unhex("0d00223c000000000038d0880000000100000002")
        );
        // ICMP(type=5, gw="198.18.0.9", code=1)/b"ab"
        let ls = [
            layer(
                &Icmp,
                &[
                    ("type", Value::Int(5)),
                    ("gw", s("198.18.0.9")),
                    ("code", Value::Int(1)),
                ],
            ),
            layer(
                &super::super::raw::Raw,
                &[("load", Value::Bytes(b"ab".to_vec()))],
            ),
        ];
        assert_eq!(
            build_layers(&ls, &NoEnv).unwrap(),
            unhex("0501d380c61200096162")
        );
        // ICMP(type=17, addr_mask="255.255.0.0", id=1, seq=2)
        assert_eq!(
            icmp(&[
                ("type", Value::Int(17)),
                ("addr_mask", s("255.255.0.0")),
                ("id", Value::Int(1)),
                ("seq", Value::Int(2))
            ]),
            unhex("1100eefc00010002ffff0000")
        );
        // ICMP(type=3, code=4, nexthopmtu=1400, length=2, chksum=0)
        assert_eq!(
            icmp(&[
                ("type", Value::Int(3)),
                ("code", Value::Int(4)),
                ("nexthopmtu", Value::Int(1400)),
                ("length", Value::Int(2)),
                ("chksum", Value::Int(0))
            ]),
            unhex("0304000000020578")
        );
    }

    #[test]
    fn timestamps_like_scapy() {
        assert_eq!(parse_hmsm("1:2:3.4"), Some(3_723_400));
        assert_eq!(parse_hmsm("12h"), Some(43_200_000));
        assert_eq!(parse_hmsm("1:2"), Some(3_720_000));
        assert_eq!(parse_hmsm("x"), None);
        assert_eq!(parse_hmsm("30:00"), None);
    }

    #[test]
    fn unknown_names_are_errors() {
        let ls = [layer(&Icmp, &[("type", s("echo-requets"))])];
        let e = build_layers(&ls, &NoEnv).unwrap_err();
        assert!(e.msg.contains("did you mean 'echo-request'"), "{e}");
    }
}
