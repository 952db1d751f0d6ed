//! Tunnels: `GRE` (RFC 2784/2890, Scapy's conditional checksum/offset/key/sequence fields) and
//! `VXLAN` (RFC 7348, with Scapy's GPE and group-policy variants).

use super::super::{Ctx, ExprError, Fields, LayerClass, Value};
use super::icmp::enum_u8;
use super::pseudo::checksum;
use super::Binding;
use crate::frame::wire::gre;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Gre, &Vxlan];

pub(super) const BINDINGS: &[Binding] = &[
    Binding {
        lower: "IP",
        upper: "GRE",
        fields: &[("frag", 0), ("proto", 47)],
    },
    Binding {
        lower: "IPv6",
        upper: "GRE",
        fields: &[("nh", 47)],
    },
    Binding {
        lower: "GRE",
        upper: "IP",
        fields: &[("proto", 0x0800)],
    },
    Binding {
        lower: "GRE",
        upper: "IPv6",
        fields: &[("proto", 0x86dd)],
    },
    Binding {
        lower: "GRE",
        upper: "Ether",
        fields: &[("proto", 0x6558)],
    },
    Binding {
        lower: "GRE",
        upper: "Dot1Q",
        fields: &[("proto", 0x8100)],
    },
    Binding {
        lower: "GRE",
        upper: "ARP",
        fields: &[("proto", 0x0806)],
    },
    // Scapy 2.5's last `bind_layers(UDP, VXLAN, ...)` is `sport=4789, dport=4789`.
    Binding {
        lower: "UDP",
        upper: "VXLAN",
        fields: &[("sport", 4789), ("dport", 4789)],
    },
    // `bind_top_down(VXLAN, ...)`: flags Instance+NextProtocol; for Ether the last row (3) wins.
    Binding {
        lower: "VXLAN",
        upper: "Ether",
        fields: &[("flags", 12), ("NextProtocol", 3)],
    },
    Binding {
        lower: "VXLAN",
        upper: "IP",
        fields: &[("flags", 12), ("NextProtocol", 1)],
    },
    Binding {
        lower: "VXLAN",
        upper: "IPv6",
        fields: &[("flags", 12), ("NextProtocol", 2)],
    },
];

/// `GRE(chksum_present=0, routing_present=0, key_present=0, seqnum_present=0,
/// strict_route_source=0, recursion_control=0, flags=0, version=0, proto=0)`, then `chksum`
/// and `offset` when a checksum or routing is present, `key`, `sequence_number`.
#[derive(Debug)]
pub struct Gre;

impl LayerClass for Gre {
    fn name(&self) -> &'static str {
        "GRE"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "chksum_present",
            "routing_present",
            "key_present",
            "seqnum_present",
            "strict_route_source",
            "recursion_control",
            "flags",
            "version",
            "proto",
            "chksum",
            "offset",
            "key",
            "sequence_number",
        ]
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let bit = |n: &str| -> Result<u16, ExprError> { Ok(f.uint_or(n, 1, 0)? as u16) };
        let (c, r, k, s) = (
            bit("chksum_present")?,
            bit("routing_present")?,
            bit("key_present")?,
            bit("seqnum_present")?,
        );
        let w = c << 15
            | r << 14
            | k << 13
            | s << 12
            | bit("strict_route_source")? << 11
            | (f.uint_or("recursion_control", 3, 0)? as u16) << 8
            | (f.uint_or("flags", 5, 0)? as u16) << 3
            | f.uint_or("version", 3, 0)? as u16;
        let start = out.len();
        out.extend_from_slice(&w.to_be_bytes());
        out.extend_from_slice(&(f.uint_or("proto", 16, 0)? as u16).to_be_bytes());
        let given = f.uint("chksum", 16)?;
        if c == 1 || r == 1 {
            out.extend_from_slice(&(given.unwrap_or(0) as u16).to_be_bytes());
            out.extend_from_slice(&(f.uint_or("offset", 16, 0)? as u16).to_be_bytes());
        }
        if k == 1 {
            out.extend_from_slice(&(f.uint_or("key", 32, 0)? as u32).to_be_bytes());
        }
        if s == 1 {
            let n = f.uint_or("sequence_number", 32, 0)? as u32;
            out.extend_from_slice(&n.to_be_bytes());
        }
        if c == 1 && given.is_none() {
            let ck = checksum(&[&out[start..], ctx.payload]);
            let f = crate::frame::wire::at(start, gre::field::CHECKSUM);
            out[f].copy_from_slice(&ck.to_be_bytes());
        }
        Ok(())
    }
}

/// VXLAN's `flags` names, bit 0 first (two are `R`: a name means its first bit).
const VXLAN_FLAGS: &[&str] = &["OAM", "R", "NextProtocol", "Instance", "V1", "V2", "R", "G"];
/// The group-policy flags.
const GP_FLAGS: &[&str] = &["R", "R", "R", "A", "R", "R", "D", "R"];
const NEXT_PROTOCOLS: &[(u8, &str)] = &[
    (0, "NotDefined"),
    (1, "IPv4"),
    (2, "IPv6"),
    (3, "Ethernet"),
    (4, "NSH"),
];

/// `VXLAN(flags="Instance", vni=0)`; with the `NextProtocol` flag (VXLAN-GPE) `reserved0` and
/// `NextProtocol`, with `G` (group policy) `gpflags` and `gpid`, otherwise `reserved1`.
#[derive(Debug)]
pub struct Vxlan;

impl LayerClass for Vxlan {
    fn name(&self) -> &'static str {
        "VXLAN"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "flags",
            "reserved0",
            "NextProtocol",
            "reserved1",
            "gpflags",
            "gpid",
            "vni",
            "reserved2",
        ]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let flags = named_flags(f, "flags", VXLAN_FLAGS)?.unwrap_or(0x08) as u8;
        let (np, g) = (flags & 0x04 != 0, flags & 0x80 != 0);
        out.push(flags);
        if np {
            out.extend_from_slice(&(f.uint_or("reserved0", 16, 0)? as u16).to_be_bytes());
            out.push(enum_u8(f, "NextProtocol", NEXT_PROTOCOLS.iter().copied())?.unwrap_or(0));
        }
        if !g && !np {
            let r = f.uint_or("reserved1", 24, 0)? as u32;
            out.extend_from_slice(&r.to_be_bytes()[1..]);
        }
        if g {
            out.push(named_flags(f, "gpflags", GP_FLAGS)?.unwrap_or(0) as u8);
            out.extend_from_slice(&(f.uint_or("gpid", 16, 0)? as u16).to_be_bytes());
        }
        let vni = f.uint_or("vni", 24, 0)? as u32;
        out.extend_from_slice(&vni.to_be_bytes()[1..]);
        out.push(f.uint_or("reserved2", 8, 0)? as u8);
        Ok(())
    }
}

/// An 8-bit Scapy `FlagsField` with a list of names: an int, `"A+B"`, or a list of names.
fn named_flags(f: &Fields, name: &str, names: &[&str]) -> Result<Option<u64>, ExprError> {
    let bit = |s: &str| -> Result<u64, ExprError> {
        names
            .iter()
            .position(|n| *n == s)
            .map(|i| 1u64 << i)
            .ok_or_else(|| {
                f.err(
                    name,
                    format!(
                        "{name}: unknown flag '{s}' (flags are {})",
                        names.join(", ")
                    ),
                )
            })
    };
    match f.get(name) {
        Some(Value::Str(s)) if s.is_empty() => Ok(Some(0)),
        Some(Value::Str(s)) => {
            let mut v = 0;
            for n in s.split('+') {
                v |= bit(n)?;
            }
            Ok(Some(v))
        }
        Some(Value::List(items)) => {
            let mut v = 0;
            for it in items {
                match it {
                    Value::Str(s) => v |= bit(s)?,
                    _ => return Err(f.type_err(name, "an int, \"A+B\" or a list of flag names")),
                }
            }
            Ok(Some(v))
        }
        Some(Value::None) => Ok(Some(0)),
        _ => f.uint(name, 8),
    }
}

#[cfg(test)]
mod tests {
    use super::super::pseudo::stub::{layer, unhex};
    use super::super::raw::Raw;
    use super::*;
    use crate::frame::expr::{build_layers, NoEnv};

    fn i(x: i128) -> Value {
        Value::Int(x)
    }
    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }
    fn ab() -> crate::frame::expr::Layer {
        layer(&Raw, &[("load", Value::Bytes(b"ab".to_vec()))])
    }

    #[test]
    fn gre_conditional_fields() {
        // Scapy 2.5: raw(GRE(chksum_present=1)/b"ab"), raw(GRE(routing_present=1)/b"ab"),
        // raw(GRE(key_present=1, seqnum_present=1)), raw(GRE(key_present=1, key=5, version=1,
        // recursion_control=7, flags=31, proto=0x880b))
        let b = |fs: &[(&'static str, Value)], pay: bool| {
            let mut ls = vec![layer(&Gre, fs)];
            if pay {
                ls.push(ab());
            }
            build_layers(&ls, &NoEnv).unwrap()
        };
        assert_eq!(
            b(&[("chksum_present", i(1))], true),
            unhex("800000001e9d00006162")
        );
        assert_eq!(
            b(&[("routing_present", i(1))], true),
            unhex("40000000000000006162")
        );
        assert_eq!(
            b(&[("key_present", i(1)), ("seqnum_present", i(1))], false),
            unhex("300000000000000000000000")
        );
        assert_eq!(
            b(
                &[
                    ("key_present", i(1)),
                    ("key", i(5)),
                    ("version", i(1)),
                    ("recursion_control", i(7)),
                    ("flags", i(31)),
                    ("proto", i(0x880b)),
                ],
                false
            ),
            unhex("27f9880b00000005")
        );
    }

    fn built(e: &str) -> Vec<u8> {
        let mut f = crate::frame::expr::parse(e).unwrap().build().unwrap();
        assert_eq!(f.len(), 1);
        f.pop().unwrap()
    }

    #[test]
    fn tunnels_in_whole_frames() {
        // Scapy 2.5: UDP(sport=1234)/VXLAN() keeps sport and sets dport 4789; VXLAN()/Ether()
        // sets flags 0x0c and NextProtocol 3.
        assert_eq!(
            built(
                r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/UDP(sport=1234)/VXLAN(vni=42)/Ether(src="02:00:00:00:00:03", dst="02:00:00:00:00:04")/IP(src="198.18.1.1", dst="198.18.1.2")/ICMP()"#
            ),
            unhex(
                "02000000000202000000000108004500004e000100004011ee76c6120001c612000204d212b5003a19c1\
                 0c00000300002a00 02000000000402000000000308004500001c000100004001ecb8c6120101c6120102\
                 0800f7ff00000000"
            )
        );
        // IP()/GRE()/IPv6(): IP proto 47, GRE proto 0x86dd.
        assert_eq!(
            built(
                r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.0.1", dst="198.18.0.2")/GRE()/IPv6(src="2001:2::1", dst="2001:2::2")/UDP()"#
            ),
            unhex(
                "02000000000202000000000108004500004800010000402fee5ec6120001c6120002 000086dd\
                 60000000000811402001000200000000000000000000000120010002000000000000000000000002\
                 003500350008bf6b"
            )
        );
    }

    #[test]
    fn vxlan_variants() {
        // Scapy 2.5: raw(VXLAN(vni=0x123456)), raw(VXLAN(flags="Instance+G", gpflags="A",
        // gpid=7, vni=5)), raw(VXLAN(flags=12, NextProtocol="IPv6", reserved0=1)),
        // raw(VXLAN(flags=0x8c, NextProtocol=3, gpid=2))
        let b = |fs: &[(&'static str, Value)]| build_layers(&[layer(&Vxlan, fs)], &NoEnv).unwrap();
        assert_eq!(b(&[("vni", i(0x123456))]), unhex("0800000012345600"));
        assert_eq!(
            b(&[
                ("flags", s("Instance+G")),
                ("gpflags", s("A")),
                ("gpid", i(7)),
                ("vni", i(5))
            ]),
            unhex("8808000700000500")
        );
        assert_eq!(
            b(&[
                ("flags", i(12)),
                ("NextProtocol", s("IPv6")),
                ("reserved0", i(1))
            ]),
            unhex("0c00010200000000")
        );
        assert_eq!(
            b(&[("flags", i(0x8c)), ("NextProtocol", i(3)), ("gpid", i(2))]),
            unhex("8c00000300000200000000")
        );
    }
}
