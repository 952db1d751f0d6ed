//! ICMP and ICMPv6 as Scapy 2.5 shows them: the fields each type has, the packet an error
//! quotes (`IP in ICMP`, `IPv6 in ICMPv6`), neighbour discovery and its options. Fields are
//! read through the wire layer (`frame::wire::{icmp, icmpv6}`).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::layers::State;
use super::repr::{py_bytes, Ip6Field};
use super::Dump;
use crate::frame::wire::{at, icmp, icmpv6, Field, Value};
use crate::frame::MacAddr;

/// The value of field `r` of the header or option at `o`.
fn get<V: Value>(f: &[u8], o: usize, r: Field) -> V {
    V::get(&f[at(o, r)])
}

/// Scapy's `icmptypes`.
fn icmp_type(t: u8) -> Option<&'static str> {
    Some(match t {
        0 => "echo-reply",
        3 => "dest-unreach",
        4 => "source-quench",
        5 => "redirect",
        8 => "echo-request",
        9 => "router-advertisement",
        10 => "router-solicitation",
        11 => "time-exceeded",
        12 => "parameter-problem",
        13 => "timestamp-request",
        14 => "timestamp-reply",
        15 => "information-request",
        16 => "information-response",
        17 => "address-mask-request",
        18 => "address-mask-reply",
        30 => "traceroute",
        31 => "datagram-conversion-error",
        32 => "mobile-host-redirect",
        33 => "ipv6-where-are-you",
        34 => "ipv6-i-am-here",
        35 => "mobile-registration-request",
        36 => "mobile-registration-reply",
        37 => "domain-name-request",
        38 => "domain-name-reply",
        39 => "skip",
        40 => "photuris",
        _ => return None,
    })
}

/// Scapy's `icmpcodes`.
fn icmp_code(t: u8, c: u8) -> Option<&'static str> {
    let names: &[&str] = match t {
        3 => &[
            "network-unreachable",
            "host-unreachable",
            "protocol-unreachable",
            "port-unreachable",
            "fragmentation-needed",
            "source-route-failed",
            "network-unknown",
            "host-unknown",
            "",
            "network-prohibited",
            "host-prohibited",
            "TOS-network-unreachable",
            "TOS-host-unreachable",
            "communication-prohibited",
            "host-precedence-violation",
            "precedence-cutoff",
        ],
        5 => &[
            "network-redirect",
            "host-redirect",
            "TOS-network-redirect",
            "TOS-host-redirect",
        ],
        11 => &["ttl-zero-during-transit", "ttl-zero-during-reassembly"],
        12 => &["ip-header-bad", "required-option-missing"],
        40 => &[
            "bad-spi",
            "authentication-failed",
            "decompression-failed",
            "decryption-failed",
            "need-authentification",
            "need-authorization",
        ],
        _ => &[],
    };
    names.get(c as usize).copied().filter(|n| !n.is_empty())
}

/// The ICMP header at `o` (8 bytes are there).
pub(super) fn icmp(d: &mut Dump, s: &State, o: usize) {
    use icmp::field as F;
    let f = s.frame;
    let h = icmp::Header::new_unchecked(&f[o..]);
    let (t, c) = (h.msg_type(), h.code());
    d.layer(if s.quoted { "ICMP in ICMP" } else { "ICMP" });
    match icmp_type(t) {
        Some(n) => d.field("type", n),
        None => d.field("type", t),
    }
    match icmp_code(t, c) {
        Some(n) => d.field("code", n),
        None => d.field("code", c),
    }
    d.field("chksum", format_args!("{:#x}", h.checksum()));
    let id_seq = matches!(t, 0 | 8 | 13..=18 | 37 | 38);
    if id_seq {
        d.field("id", format_args!("{:#x}", h.echo_ident()));
        d.field("seq", format_args!("{:#x}", h.echo_seq()));
    }
    match t {
        icmp::msg::REDIRECT => d.field("gw", get::<Ipv4Addr>(f, o, F::GATEWAY)),
        icmp::msg::PARAM_PROBLEM => d.field("ptr", get::<u8>(f, o, F::POINTER)),
        icmp::msg::DEST_UNREACHABLE | icmp::msg::TIME_EXCEEDED => {
            d.field("reserved", get::<u8>(f, o, F::POINTER))
        }
        _ => {}
    }
    if matches!(t, 3 | 11 | 12) {
        d.field("length", get::<u8>(f, o, F::LENGTH));
    }
    if t == icmp::msg::DEST_UNREACHABLE {
        d.field("nexthopmtu", h.next_hop_mtu());
    }
    match t {
        11 | 12 => d.field("unused", get::<u16>(f, o, F::ECHO_SEQ)),
        0 | 3 | 5 | 8 | 13..=18 => d.field("unused", "''"),
        _ => d.field("unused", get::<u32>(f, o, F::REST)),
    }
}

/// The ICMPv6 message at `o`, up to `end`. Returns where the layers the view found inside
/// end when they are shown here (neighbour discovery options, an echo's data).
pub(super) fn icmpv6(d: &mut Dump, s: &State, o: usize, end: usize) -> Option<usize> {
    use icmpv6::field as F;
    let f = s.frame;
    let h = icmpv6::Header::new_unchecked(&f[o..]);
    let (t, c) = (h.msg_type(), h.code());
    let cksum = format!("{:#x}", h.checksum());
    let head = |d: &mut Dump, layer: &str, ty: &str, code: Option<&str>| {
        d.layer(layer);
        d.field("type", ty);
        match code {
            Some(n) => d.field("code", n),
            None => d.field("code", c),
        }
        d.field("cksum", &cksum);
    };
    match t {
        1 => {
            let codes = [
                "No route to destination",
                "Communication with destination administratively prohibited",
                "Beyond scope of source address",
                "Address unreachable",
                "Port unreachable",
            ];
            head(
                d,
                "ICMPv6 Destination Unreachable",
                "Destination unreachable",
                codes.get(c as usize).copied(),
            );
            d.field("length", get::<u8>(f, o, F::ERR_LENGTH));
            d.field("unused", format_args!("{:#x}", h.mtu() & 0xffffff));
        }
        2 => {
            head(d, "ICMPv6 Packet Too Big", "Packet too big", None);
            d.field("mtu", h.mtu());
        }
        3 => {
            let codes = [
                "hop limit exceeded in transit",
                "fragment reassembly time exceeded",
            ];
            head(
                d,
                "ICMPv6 Time Exceeded",
                "Time exceeded",
                codes.get(c as usize).copied(),
            );
            d.field("length", get::<u8>(f, o, F::ERR_LENGTH));
            d.field("unused", format_args!("{:#x}", h.mtu() & 0xffffff));
        }
        4 => {
            let codes = [
                "erroneous header field encountered",
                "unrecognized Next Header type encountered",
                "unrecognized IPv6 option encountered",
                "first fragment has incomplete header chain",
            ];
            head(
                d,
                "ICMPv6 Parameter Problem",
                "Parameter problem",
                codes.get(c as usize).copied(),
            );
            d.field("ptr", get::<u32>(f, o, F::REST));
        }
        128 | 129 => {
            let (layer, ty) = if t == 128 {
                ("ICMPv6 Echo Request", "Echo Request")
            } else {
                ("ICMPv6 Echo Reply", "Echo Reply")
            };
            head(d, layer, ty, None);
            d.field("id", format_args!("{:#x}", h.echo_ident()));
            d.field("seq", format_args!("{:#x}", h.echo_seq()));
            // Scapy keeps an echo's payload in its own `data` field.
            d.field("data", py_bytes(&f[o + icmpv6::HEADER_LEN..end]));
            return Some(end);
        }
        133 => {
            head(
                d,
                "ICMPv6 Neighbor Discovery - Router Solicitation",
                "Router Solicitation",
                None,
            );
            d.field("res", get::<u32>(f, o, F::REST));
            nd_options(d, s, o + icmpv6::RS_OPTIONS, end);
            return Some(end);
        }
        134 if end >= o + icmpv6::RA_OPTIONS => {
            head(
                d,
                "ICMPv6 Neighbor Discovery - Router Advertisement",
                "Router Advertisement",
                None,
            );
            let b = get::<u8>(f, o, F::RA_FLAGS);
            d.field("chlim", get::<u8>(f, o, F::RA_CUR_HOP_LIMIT));
            d.field("M", b >> 7);
            d.field("O", (b >> 6) & 1);
            d.field("H", (b >> 5) & 1);
            let prf = ["Medium (default)", "High", "Reserved", "Low"];
            d.field("prf", prf[((b >> 3) & 3) as usize]);
            d.field("P", (b >> 2) & 1);
            d.field("res", b & 3);
            d.field("routerlifetime", get::<u16>(f, o, F::RA_ROUTER_LIFETIME));
            d.field("reachabletime", get::<u32>(f, o, F::RA_REACHABLE_TIME));
            d.field("retranstimer", get::<u32>(f, o, F::RA_RETRANS_TIMER));
            nd_options(d, s, o + icmpv6::RA_OPTIONS, end);
            return Some(end);
        }
        135 | 136 if end >= o + icmpv6::NS_NA_OPTIONS => {
            if t == 135 {
                head(
                    d,
                    "ICMPv6 Neighbor Discovery - Neighbor Solicitation",
                    "Neighbor Solicitation",
                    None,
                );
                d.field("res", get::<u32>(f, o, F::REST));
            } else {
                head(
                    d,
                    "ICMPv6 Neighbor Discovery - Neighbor Advertisement",
                    "Neighbor Advertisement",
                    None,
                );
                let w = get::<u32>(f, o, F::REST);
                d.field("R", w >> 31);
                d.field("S", (w >> 30) & 1);
                d.field("O", (w >> 29) & 1);
                d.field("res", format_args!("{:#x}", w & 0x1fff_ffff));
            }
            d.field("tgt", Ip6Field(h.target()));
            nd_options(d, s, o + icmpv6::NS_NA_OPTIONS, end);
            return Some(end);
        }
        _ => {
            d.layer("ICMPv6 Unknown");
            d.field("type", t);
            d.field("code", c);
            d.field("cksum", &cksum);
            d.field("msgbody", py_bytes(&f[o + F::REST.start..end]));
            return Some(end);
        }
    }
    None
}

/// Neighbour discovery options from `o`, each a layer of its own (Scapy's payloads).
fn nd_options(d: &mut Dump, s: &State, mut o: usize, end: usize) {
    use icmpv6::field as F;
    let f = s.frame;
    while o + F::OPT_LEN.end <= end {
        let (t, l) = (
            get::<u8>(f, o, F::OPT_TYPE),
            get::<u8>(f, o, F::OPT_LEN) as usize,
        );
        let len = (l * 8).max(2).min(end - o);
        match (t, l) {
            (1 | 2, 1) if o + icmpv6::OPT_LINKADDR_LEN <= end => {
                d.layer(if t == 1 {
                    "ICMPv6 Neighbor Discovery Option - Source Link-Layer Address"
                } else {
                    "ICMPv6 Neighbor Discovery Option - Destination Link-Layer Address"
                });
                d.field("type", t);
                d.field("len", l);
                d.field("lladdr", get::<MacAddr>(f, o, F::OPT_LINKADDR));
            }
            (3, 4) if o + F::OPT_PREFIX.end <= end => {
                d.layer("ICMPv6 Neighbor Discovery Option - Prefix Information");
                let b = get::<u8>(f, o, F::OPT_PREFIX_FLAGS);
                d.field("type", t);
                d.field("len", l);
                d.field("prefixlen", get::<u8>(f, o, F::OPT_PREFIX_LEN));
                d.field("L", b >> 7);
                d.field("A", (b >> 6) & 1);
                d.field("R", (b >> 5) & 1);
                d.field("res1", b & 0x1f);
                let word = |r| get::<u32>(f, o, r);
                d.field(
                    "validlifetime",
                    format_args!("{:#x}", word(F::OPT_VALID_LIFETIME)),
                );
                d.field(
                    "preferredlifetime",
                    format_args!("{:#x}", word(F::OPT_PREFERRED_LIFETIME)),
                );
                d.field("res2", format_args!("{:#x}", word(F::OPT_PREFIX_RESERVED)));
                d.field("prefix", Ip6Field(get::<Ipv6Addr>(f, o, F::OPT_PREFIX)));
            }
            (5, 1) if o + F::OPT_MTU.end <= end => {
                d.layer("ICMPv6 Neighbor Discovery Option - MTU");
                d.field("type", t);
                d.field("len", l);
                d.field(
                    "res",
                    format_args!("{:#x}", get::<u16>(f, o, F::OPT_MTU_RESERVED)),
                );
                d.field("mtu", get::<u32>(f, o, F::OPT_MTU));
            }
            _ => {
                d.layer("ICMPv6 Neighbor Discovery Option - Scapy Unimplemented");
                d.field("type", t);
                d.field("len", l);
                d.field("data", py_bytes(&f[o + F::OPT_LEN.end..o + len]));
            }
        }
        o += len;
    }
    if o < end {
        d.raw("Raw", &f[o..end]);
    }
}
