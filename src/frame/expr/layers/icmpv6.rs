//! ICMPv6: echo, neighbour discovery (RS/RA/NS/NA and the link-layer address options, which
//! follow the message as layers of their own, as in Scapy), and the error messages quoting the
//! `IPv6()/...` that follows them. The checksum covers the IPv6 pseudo-header.

use std::net::Ipv6Addr;

use super::super::{Ctx, ExprError, Fields, LayerClass};
use super::icmp::enum_u8;
use super::pseudo::in6_chksum;
use super::Binding;
use crate::frame::wire::icmpv6;

pub(super) const PROTOS: &[&dyn LayerClass] = &[
    &ECHO_REQUEST,
    &ECHO_REPLY,
    &ND_RS,
    &ND_RA,
    &ND_NS,
    &ND_NA,
    &DEST_UNREACH,
    &PACKET_TOO_BIG,
    &TIME_EXCEEDED,
    &PARAM_PROBLEM,
    &SRC_LLADDR,
    &DST_LLADDR,
];

/// `ff02::1` and `ff02::2` as the ints a binding row carries (IPv6 reads them back).
const ALL_NODES: i128 = 0xff02_0000_0000_0000_0000_0000_0000_0001u128 as i128;
const ALL_ROUTERS: i128 = 0xff02_0000_0000_0000_0000_0000_0000_0002u128 as i128;

/// Scapy's `_ICMPv6.overload_fields`: `IPv6.nh` 58, and for neighbour discovery also `hlim`
/// 255 and the multicast destination (extension headers take the IPv6 rows through their
/// `aliases`, keeping only the fields they have: `nh`).
macro_rules! rows {
    ($($upper:literal => [$($f:expr),*]),* $(,)?) => {
        &[$(
            Binding { lower: "IPv6", upper: $upper, fields: &[("nh", 58) $(, $f)*] },
        )*]
    };
}

pub(super) const BINDINGS: &[Binding] = rows![
    "ICMPv6EchoRequest" => [],
    "ICMPv6EchoReply" => [],
    "ICMPv6ND_RS" => [("hlim", 255), ("dst", ALL_ROUTERS)],
    "ICMPv6ND_RA" => [("hlim", 255), ("dst", ALL_NODES)],
    "ICMPv6ND_NS" => [("hlim", 255), ("dst", ALL_NODES)],
    "ICMPv6ND_NA" => [("hlim", 255), ("dst", ALL_NODES)],
    "ICMPv6DestUnreach" => [],
    "ICMPv6PacketTooBig" => [],
    "ICMPv6TimeExceeded" => [],
    "ICMPv6ParamProblem" => [],
];

/// Scapy's `icmp6types` (the last of equal names wins, as in Scapy's reverse map).
const TYPES: &[(u8, &str)] = &[
    (1, "Destination unreachable"),
    (2, "Packet too big"),
    (3, "Time exceeded"),
    (4, "Parameter problem"),
    (100, "Private Experimentation"),
    (101, "Private Experimentation"),
    (128, "Echo Request"),
    (129, "Echo Reply"),
    (130, "MLD Query"),
    (131, "MLD Report"),
    (132, "MLD Done"),
    (133, "Router Solicitation"),
    (134, "Router Advertisement"),
    (135, "Neighbor Solicitation"),
    (136, "Neighbor Advertisement"),
    (137, "Redirect Message"),
    (138, "Router Renumbering"),
    (139, "ICMP Node Information Query"),
    (140, "ICMP Node Information Response"),
    (141, "Inverse Neighbor Discovery Solicitation Message"),
    (142, "Inverse Neighbor Discovery Advertisement Message"),
    (143, "MLD Report Version 2"),
    (144, "Home Agent Address Discovery Request Message"),
    (145, "Home Agent Address Discovery Reply Message"),
    (146, "Mobile Prefix Solicitation"),
    (147, "Mobile Prefix Advertisement"),
    (148, "Certification Path Solicitation"),
    (149, "Certification Path Advertisement"),
    (151, "Multicast Router Advertisement"),
    (152, "Multicast Router Solicitation"),
    (153, "Multicast Router Termination"),
    (155, "RPL Control Message"),
    (200, "Private Experimentation"),
    (201, "Private Experimentation"),
];

const UNREACH_CODES: &[(u8, &str)] = &[
    (0, "No route to destination"),
    (
        1,
        "Communication with destination administratively prohibited",
    ),
    (2, "Beyond scope of source address"),
    (3, "Address unreachable"),
    (4, "Port unreachable"),
];
const TIME_CODES: &[(u8, &str)] = &[
    (0, "hop limit exceeded in transit"),
    (1, "fragment reassembly time exceeded"),
];
const PARAM_CODES: &[(u8, &str)] = &[
    (0, "erroneous header field encountered"),
    (1, "unrecognized Next Header type encountered"),
    (2, "unrecognized IPv6 option encountered"),
    (3, "first fragment has incomplete header chain"),
];
/// `icmp6ndraprefs`, the RA's `prf`.
const PRF: &[(u8, &str)] = &[
    (0, "Medium (default)"),
    (1, "High"),
    (2, "Reserved"),
    (3, "Low"),
];

/// One ICMPv6 message class: `type`, `code`, `cksum`, then its own fields written by `body`.
#[derive(Debug)]
pub struct Msg {
    name: &'static str,
    ty: u8,
    codes: &'static [(u8, &'static str)],
    fields: &'static [&'static str],
    body: fn(&Fields, &mut Vec<u8>) -> Result<(), ExprError>,
}

const ECHO_FIELDS: &[&str] = &["type", "code", "cksum", "id", "seq", "data"];
const ECHO_REQUEST: Msg = Msg {
    name: "ICMPv6EchoRequest",
    ty: 128,
    codes: &[],
    fields: ECHO_FIELDS,
    body: echo,
};
const ECHO_REPLY: Msg = Msg {
    name: "ICMPv6EchoReply",
    ty: 129,
    ..ECHO_REQUEST
};
const ND_RS: Msg = Msg {
    name: "ICMPv6ND_RS",
    ty: 133,
    codes: &[],
    fields: &["type", "code", "cksum", "res"],
    body: |f, o| put(o, f, "res", 32, 0),
};
const ND_RA: Msg = Msg {
    name: "ICMPv6ND_RA",
    ty: 134,
    codes: &[],
    fields: &[
        "type",
        "code",
        "cksum",
        "chlim",
        "M",
        "O",
        "H",
        "prf",
        "P",
        "res",
        "routerlifetime",
        "reachabletime",
        "retranstimer",
    ],
    body: ra,
};
const ND_NS: Msg = Msg {
    name: "ICMPv6ND_NS",
    ty: 135,
    codes: &[],
    fields: &["type", "code", "cksum", "res", "tgt"],
    body: |f, o| {
        put(o, f, "res", 32, 0)?;
        tgt(f, o)
    },
};
const ND_NA: Msg = Msg {
    name: "ICMPv6ND_NA",
    ty: 136,
    codes: &[],
    fields: &["type", "code", "cksum", "R", "S", "O", "res", "tgt"],
    body: |f, o| {
        let bit = |n: &str, d: u64| -> Result<u32, ExprError> { Ok(f.uint_or(n, 1, d)? as u32) };
        let w = bit("R", 1)? << 31
            | bit("S", 0)? << 30
            | bit("O", 1)? << 29
            | f.uint_or("res", 29, 0)? as u32;
        o.extend_from_slice(&w.to_be_bytes());
        tgt(f, o)
    },
};
const DEST_UNREACH: Msg = Msg {
    name: "ICMPv6DestUnreach",
    ty: 1,
    codes: UNREACH_CODES,
    fields: &["type", "code", "cksum", "length", "unused"],
    body: |f, o| {
        put(o, f, "length", 8, 0)?;
        put(o, f, "unused", 24, 0)
    },
};
const PACKET_TOO_BIG: Msg = Msg {
    name: "ICMPv6PacketTooBig",
    ty: 2,
    codes: &[],
    fields: &["type", "code", "cksum", "mtu"],
    body: |f, o| put(o, f, "mtu", 32, 1280),
};
const TIME_EXCEEDED: Msg = Msg {
    name: "ICMPv6TimeExceeded",
    ty: 3,
    codes: TIME_CODES,
    ..DEST_UNREACH
};
const PARAM_PROBLEM: Msg = Msg {
    name: "ICMPv6ParamProblem",
    ty: 4,
    codes: PARAM_CODES,
    fields: &["type", "code", "cksum", "ptr"],
    body: |f, o| put(o, f, "ptr", 32, 6),
};

/// An unsigned field of `bits` bits (a multiple of 8), big-endian.
fn put(o: &mut Vec<u8>, f: &Fields, name: &str, bits: u32, default: u64) -> Result<(), ExprError> {
    let v = f.uint_or(name, bits, default)?;
    o.extend_from_slice(&v.to_be_bytes()[8 - bits as usize / 8..]);
    Ok(())
}

fn tgt(f: &Fields, o: &mut Vec<u8>) -> Result<(), ExprError> {
    o.extend_from_slice(&f.ipv6("tgt")?.unwrap_or(Ipv6Addr::UNSPECIFIED).octets());
    Ok(())
}

fn echo(f: &Fields, o: &mut Vec<u8>) -> Result<(), ExprError> {
    put(o, f, "id", 16, 0)?;
    put(o, f, "seq", 16, 0)?;
    o.extend_from_slice(&f.bytes("data")?.unwrap_or_default());
    Ok(())
}

fn ra(f: &Fields, o: &mut Vec<u8>) -> Result<(), ExprError> {
    put(o, f, "chlim", 8, 0)?;
    let prf = enum_u8(f, "prf", PRF.iter().rev().copied())?.unwrap_or(1);
    if prf > 3 {
        return Err(f.err("prf", format!("prf={prf} does not fit in 2 bits (0..=3)")));
    }
    let b = (f.uint_or("M", 1, 0)? << 7)
        | (f.uint_or("O", 1, 0)? << 6)
        | (f.uint_or("H", 1, 0)? << 5)
        | ((prf as u64) << 3)
        | (f.uint_or("P", 1, 0)? << 2)
        | f.uint_or("res", 2, 0)?;
    o.push(b as u8);
    put(o, f, "routerlifetime", 16, 1800)?;
    put(o, f, "reachabletime", 32, 0)?;
    put(o, f, "retranstimer", 32, 0)
}

impl LayerClass for Msg {
    fn name(&self) -> &'static str {
        self.name
    }
    fn fields(&self) -> &'static [&'static str] {
        self.fields
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let start = out.len();
        out.push(enum_u8(f, "type", TYPES.iter().rev().copied())?.unwrap_or(self.ty));
        out.push(enum_u8(f, "code", self.codes.iter().copied())?.unwrap_or(0));
        let given = f.uint("cksum", 16)?;
        out.extend_from_slice(&(given.unwrap_or(0) as u16).to_be_bytes());
        (self.body)(f, out)?;
        if given.is_none() {
            let ck = in6_chksum(58, ctx.below, &[&out[start..], ctx.payload])?;
            icmpv6::Header::new_unchecked(&mut out[start..]).set_checksum(ck);
        }
        Ok(())
    }
}

/// `ICMPv6NDOptSrcLLAddr(type=1, len=1, lladdr="00:00:00:00:00:00")` and `...DstLLAddr` (type 2).
#[derive(Debug)]
pub struct LlAddr {
    name: &'static str,
    ty: u8,
}

const SRC_LLADDR: LlAddr = LlAddr {
    name: "ICMPv6NDOptSrcLLAddr",
    ty: 1,
};
const DST_LLADDR: LlAddr = LlAddr {
    name: "ICMPv6NDOptDstLLAddr",
    ty: 2,
};

impl LayerClass for LlAddr {
    fn name(&self) -> &'static str {
        self.name
    }
    fn fields(&self) -> &'static [&'static str] {
        &["type", "len", "lladdr"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        out.push(f.uint_or("type", 8, self.ty as u64)? as u8);
        out.push(f.uint_or("len", 8, 1)? as u8);
        let mac = f.mac("lladdr")?.map(|m| m.octets()).unwrap_or([0; 6]);
        out.extend_from_slice(&mac);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::pseudo::stub::{after_ip, ip6, layer, unhex};
    use super::*;
    use crate::frame::expr::{Layer, Value};

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }
    fn i(x: i128) -> Value {
        Value::Int(x)
    }
    fn over6(ls: &[Layer]) -> Vec<u8> {
        let mut all = vec![ip6("2001:2::1", "2001:2::2")];
        all.extend_from_slice(ls);
        after_ip(&all)
    }

    #[test]
    fn echo_and_errors() {
        // Scapy 2.5, raw(IPv6(src="2001:2::1", dst="2001:2::2")/X)[40:] for each X:
        // ICMPv6EchoRequest(id=1, seq=2, data=b"hi")
        assert_eq!(
            over6(&[layer(
                &ECHO_REQUEST,
                &[
                    ("id", i(1)),
                    ("seq", i(2)),
                    ("data", Value::Bytes(b"hi".to_vec()))
                ]
            )]),
            unhex("8000d745000100026869")
        );
        // ICMPv6EchoReply()
        assert_eq!(over6(&[layer(&ECHO_REPLY, &[])]), unhex("81003eb400000000"));
        // ICMPv6DestUnreach(code="Port unreachable", length=3)
        assert_eq!(
            over6(&[layer(
                &DEST_UNREACH,
                &[("code", s("Port unreachable")), ("length", i(3))]
            )]),
            unhex("0104bbb003000000")
        );
        // ICMPv6PacketTooBig(mtu=1400), ICMPv6TimeExceeded(code=1), ICMPv6ParamProblem()
        assert_eq!(
            over6(&[layer(&PACKET_TOO_BIG, &[("mtu", i(1400))])]),
            unhex("0200b83c00000578")
        );
        assert_eq!(
            over6(&[layer(&TIME_EXCEEDED, &[("code", i(1))])]),
            unhex("0301bcb300000000")
        );
        assert_eq!(
            over6(&[layer(&PARAM_PROBLEM, &[])]),
            unhex("0400bbae00000006")
        );
    }

    /// The whole frame from an expression (parser, bindings, real IPv6 layers).
    fn built(e: &str) -> Vec<u8> {
        let mut f = crate::frame::expr::parse(e).unwrap().build().unwrap();
        assert_eq!(f.len(), 1);
        f.pop().unwrap()
    }

    #[test]
    fn nd_sets_ipv6_destination_and_hop_limit() {
        // Scapy 2.5 (unshare -n): raw(IPv6(src="2001:2::1")/ICMPv6ND_NS(tgt="2001:2::2")):
        // dst ff02::1 and hlim 255 from ICMPv6ND_NS's overload_fields.
        assert_eq!(
            built(r#"IPv6(src="2001:2::1")/ICMPv6ND_NS(tgt="2001:2::2")"#),
            unhex(
                "6000000000183aff20010002000000000000000000000001ff020000000000000000000000000001\
                 870039a00000000020010002000000000000000000000002"
            )
        );
        // raw(IPv6(src="2001:2::1")/ICMPv6ND_RS()): ff02::2
        assert_eq!(
            built(r#"IPv6(src="2001:2::1")/ICMPv6ND_RS()"#),
            unhex(
                "6000000000083aff20010002000000000000000000000001ff020000000000000000000000000002\
                 85005bb400000000"
            )
        );
    }

    #[test]
    fn checksum_to_the_routing_header_final_destination() {
        // Scapy 2.5: raw(IPv6(src="2001:2::1", dst="2001:2::3")/IPv6ExtHdrRouting(
        //   addresses=["2001:2::9"])/ICMPv6EchoRequest())
        assert_eq!(
            built(
                r#"IPv6(src="2001:2::1", dst="2001:2::3")/IPv6ExtHdrRouting(addresses=["2001:2::9"])/ICMPv6EchoRequest()"#
            ),
            unhex(
                "6000000000202b4020010002000000000000000000000001200100020000000000000000000000033a020001000000002001000200000000000000000000000980003fad00000000"
            )
        );
    }

    #[test]
    fn neighbour_discovery() {
        // ICMPv6ND_NS(tgt="2001:2::2")/ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01")
        assert_eq!(
            over6(&[
                layer(&ND_NS, &[("tgt", s("2001:2::2"))]),
                layer(&SRC_LLADDR, &[("lladdr", s("02:00:00:00:00:01"))]),
            ]),
            unhex("8700159500000000200100020000000000000000000000020101020000000001")
        );
        // ICMPv6ND_NA(tgt="2001:2::2", R=0, S=1)/ICMPv6NDOptDstLLAddr(lladdr="02:00:00:00:00:02")
        assert_eq!(
            over6(&[
                layer(&ND_NA, &[("tgt", s("2001:2::2")), ("R", i(0)), ("S", i(1))]),
                layer(&DST_LLADDR, &[("lladdr", s("02:00:00:00:00:02"))]),
            ]),
            unhex("8800b39360000000200100020000000000000000000000020201020000000002")
        );
        // ICMPv6ND_RS()
        assert_eq!(over6(&[layer(&ND_RS, &[])]), unhex("85003ab400000000"));
        // ICMPv6ND_RA(chlim=64, M=1, H=1, prf="Low", P=1, routerlifetime=0, reachabletime=5, retranstimer=6)
        assert_eq!(
            over6(&[layer(
                &ND_RA,
                &[
                    ("chlim", i(64)),
                    ("M", i(1)),
                    ("H", i(1)),
                    ("prf", s("Low")),
                    ("P", i(1)),
                    ("routerlifetime", i(0)),
                    ("reachabletime", i(5)),
                    ("retranstimer", i(6)),
                ]
            )]),
            unhex("8600f8e440bc00000000000500000006")
        );
        // ICMPv6ND_RA() with no IPv6 below: checksum 0 (Scapy: raw(ICMPv6ND_RA()))
        let b = crate::frame::expr::build_layers(&[layer(&ND_RA, &[])], &crate::frame::expr::NoEnv)
            .unwrap();
        assert_eq!(b, unhex("8600 0000 00 08 0708 00000000 00000000"));
    }
}
