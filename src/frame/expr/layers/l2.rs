//! Link layers: `Ether`, `Dot1Q`, `Dot1AD`, `ARP`, and `MPLS` (Scapy's contrib `mpls`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::{Ctx, Env, ExprError, Fields, LayerClass, Value};
use super::Binding;
use crate::frame::MacAddr;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Ether, &Dot1Q, &Dot1AD, &Arp, &Mpls];

/// Scapy 2.5's `bind_layers` rows between these layers (l2.py, contrib/mpls.py; IP/IPv6 rows
/// with their files).
pub(super) const BINDINGS: &[Binding] = &[
    row("Ether", "Dot1Q", &[("type", 0x8100)]),
    row("Ether", "Dot1AD", &[("type", 0x88a8)]),
    row("Dot1AD", "Dot1AD", &[("type", 0x88a8)]),
    row("Dot1AD", "Dot1Q", &[("type", 0x8100)]),
    row("Dot1Q", "Dot1AD", &[("type", 0x88a8)]),
    row("Ether", "Ether", &[("type", 1)]),
    row("Ether", "ARP", &[("type", 0x0806)]),
    row("Ether", "MPLS", &[("type", 0x8847)]),
    row("MPLS", "MPLS", &[("s", 0)]),
    row("MPLS", "IP", &[("label", 0)]),
    row("MPLS", "IPv6", &[("label", 2)]),
];

pub(super) const fn row(
    lower: &'static str,
    upper: &'static str,
    fields: &'static [(&'static str, i128)],
) -> Binding {
    Binding {
        lower,
        upper,
        fields,
    }
}

/// `Ether(dst, src, type)`.
#[derive(Debug)]
pub struct Ether;

impl LayerClass for Ether {
    fn name(&self) -> &'static str {
        "Ether"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["dst", "src", "type"]
    }
    fn resolve(&self, f: &mut Fields, env: &dyn Env) -> Result<(), ExprError> {
        f.mac("dst")?;
        if f.mac("src")?.is_none() {
            let mac = env.default_src_mac().unwrap_or(MacAddr([0; 6]));
            f.set("src", Value::Str(mac.to_string()), 0);
        }
        f.uint("type", 16)?;
        Ok(())
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        out.extend_from_slice(&f.mac("dst")?.unwrap_or(MacAddr::BROADCAST).0);
        out.extend_from_slice(&f.mac("src")?.unwrap_or(MacAddr([0; 6])).0);
        out.extend_from_slice(&(f.uint_or("type", 16, 0x9000)? as u16).to_be_bytes());
        Ok(())
    }
}

/// `Dot1Q(prio, id, vlan, type)`: an 802.1Q tag.
#[derive(Debug)]
pub struct Dot1Q;

/// `Dot1AD`: Scapy's subclass of `Dot1Q` for the 802.1ad S-tag.
#[derive(Debug)]
pub struct Dot1AD;

const DOT1Q_FIELDS: &[&str] = &["prio", "id", "vlan", "type"];

fn build_tag(f: &Fields, out: &mut Vec<u8>) -> Result<(), ExprError> {
    let tci = (f.uint_or("prio", 3, 0)? << 13)
        | (f.uint_or("id", 1, 0)? << 12)
        | f.uint_or("vlan", 12, 1)?;
    out.extend_from_slice(&(tci as u16).to_be_bytes());
    out.extend_from_slice(&(f.uint_or("type", 16, 0)? as u16).to_be_bytes());
    Ok(())
}

impl LayerClass for Dot1Q {
    fn name(&self) -> &'static str {
        "Dot1Q"
    }
    fn fields(&self) -> &'static [&'static str] {
        DOT1Q_FIELDS
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["Ether"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        build_tag(f, out)
    }
}

impl LayerClass for Dot1AD {
    fn name(&self) -> &'static str {
        "Dot1AD"
    }
    fn fields(&self) -> &'static [&'static str] {
        DOT1Q_FIELDS
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["Dot1Q", "Ether"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        build_tag(f, out)
    }
}

/// `ARP(hwtype, ptype, hwlen, plen, op, hwsrc, psrc, hwdst, pdst)`.
#[derive(Debug)]
pub struct Arp;

const ARP_OPS: &[(&str, u64)] = &[
    ("who-has", 1),
    ("is-at", 2),
    ("RARP-req", 3),
    ("RARP-rep", 4),
    ("Dyn-RARP-req", 5),
    ("Dyn-RAR-rep", 6),
    ("Dyn-RARP-err", 7),
    ("InARP-req", 8),
    ("InARP-rep", 9),
];

impl Arp {
    /// Whether the hardware addresses are MACs (Scapy's `MultipleTypeField` condition).
    fn mac_mode(f: &Fields) -> Result<bool, ExprError> {
        Ok(f.uint_or("hwtype", 16, 1)? == 1 && matches!(f.uint("hwlen", 8)?, None | Some(6)))
    }
    /// 4 for IPv4, 16 for IPv6 protocol addresses, 0 for bytes as given.
    fn proto_mode(f: &Fields) -> Result<usize, ExprError> {
        let plen = f.uint("plen", 8)?;
        Ok(match f.uint_or("ptype", 16, 0x0800)? {
            0x0800 if matches!(plen, None | Some(4)) => 4,
            0x86dd if matches!(plen, None | Some(16)) => 16,
            _ => 0,
        })
    }
}

/// A `StrFixedLenField` value: bytes padded or cut to `len` (its own length when `None`).
fn fixed(f: &Fields, name: &str, len: Option<u64>) -> Result<Vec<u8>, ExprError> {
    let mut b = f.bytes(name)?.unwrap_or_default();
    if let Some(n) = len {
        b.resize(n as usize, 0);
    }
    Ok(b)
}

fn proto_addr(f: &Fields, name: &str, mode: usize) -> Result<Vec<u8>, ExprError> {
    Ok(match mode {
        4 => f
            .ipv4(name)?
            .unwrap_or(Ipv4Addr::UNSPECIFIED)
            .octets()
            .to_vec(),
        16 => f
            .ipv6(name)?
            .unwrap_or(Ipv6Addr::UNSPECIFIED)
            .octets()
            .to_vec(),
        _ => fixed(f, name, f.uint("plen", 8)?)?,
    })
}

impl LayerClass for Arp {
    fn name(&self) -> &'static str {
        "ARP"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "hwtype", "ptype", "hwlen", "plen", "op", "hwsrc", "psrc", "hwdst", "pdst",
        ]
    }
    fn resolve(&self, f: &mut Fields, env: &dyn Env) -> Result<(), ExprError> {
        if let Some(Value::Str(s)) = f.get("op") {
            let s = s.clone();
            let Some((_, n)) = ARP_OPS.iter().find(|(name, _)| *name == s) else {
                let names: Vec<_> = ARP_OPS.iter().map(|(n, _)| *n).collect();
                return Err(f.err(
                    "op",
                    format!("op: unknown '{s}' (one of {})", names.join(", ")),
                ));
            };
            let col = f.col("op");
            f.set("op", Value::Int(*n as i128), col);
        }
        f.uint("op", 16)?;
        if Self::mac_mode(f)? && !f.has("hwsrc") {
            if let Some(mac) = env.default_src_mac() {
                f.set("hwsrc", Value::Str(mac.to_string()), 0);
            }
        }
        let mode = Self::proto_mode(f)?;
        if mode == 4 && !f.has("psrc") {
            let dst = f.ipv4("pdst")?.unwrap_or(Ipv4Addr::UNSPECIFIED);
            if let Some(IpAddr::V4(a)) = env.default_src_ip(IpAddr::V4(dst)) {
                f.set("psrc", Value::Str(a.to_string()), 0);
            }
        }
        Ok(())
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let mac = Self::mac_mode(f)?;
        let mode = Self::proto_mode(f)?;
        let (hwsrc, hwdst) = if mac {
            (
                f.mac("hwsrc")?.unwrap_or(MacAddr([0; 6])).0.to_vec(),
                f.mac("hwdst")?.unwrap_or(MacAddr([0; 6])).0.to_vec(),
            )
        } else {
            let n = f.uint("hwlen", 8)?;
            (fixed(f, "hwsrc", n)?, fixed(f, "hwdst", n)?)
        };
        let (psrc, pdst) = (proto_addr(f, "psrc", mode)?, proto_addr(f, "pdst", mode)?);
        out.extend_from_slice(&(f.uint_or("hwtype", 16, 1)? as u16).to_be_bytes());
        out.extend_from_slice(&(f.uint_or("ptype", 16, 0x0800)? as u16).to_be_bytes());
        out.push(f.uint("hwlen", 8)?.unwrap_or(hwsrc.len() as u64) as u8);
        out.push(f.uint("plen", 8)?.unwrap_or(psrc.len() as u64) as u8);
        out.extend_from_slice(&(f.uint_or("op", 16, 1)? as u16).to_be_bytes());
        for part in [hwsrc, psrc, hwdst, pdst] {
            out.extend_from_slice(&part);
        }
        Ok(())
    }
}

/// `MPLS(label, cos, s, ttl)`: one label stack entry; `s` is 0 when another `MPLS` follows.
#[derive(Debug)]
pub struct Mpls;

impl LayerClass for Mpls {
    fn name(&self) -> &'static str {
        "MPLS"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["label", "cos", "s", "ttl"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let w = (f.uint_or("label", 20, 3)? << 12)
            | (f.uint_or("cos", 3, 0)? << 9)
            | (f.uint_or("s", 1, 1)? << 8)
            | f.uint_or("ttl", 8, 0)?;
        out.extend_from_slice(&(w as u32).to_be_bytes());
        Ok(())
    }
}
