//! `IPv6` and the extension headers `IPv6ExtHdrHopByHop` (with `Pad1`, `PadN`,
//! `RouterAlert`, `Jumbo` options and Scapy's automatic padding), `IPv6ExtHdrRouting`,
//! `IPv6ExtHdrFragment`.

use std::net::{IpAddr, Ipv6Addr};

use super::super::{Ctx, Env, ExprError, Fields, LayerClass, Value};
use super::l2::row;
use super::Binding;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Ipv6, &HopByHop, &Routing, &Fragment];

/// Scapy 2.5's rows with `IPv6` (inet6.py, contrib/mpls.py; the classes' `overload_fields`
/// written as rows). Extension headers use the `IPv6` rows too (their `aliastypes`).
pub(super) const BINDINGS: &[Binding] = &[
    row("Ether", "IPv6", &[("type", 0x86dd)]),
    row("IPv6", "IPv6", &[("nh", 41)]),
    row("IPv6", "IP", &[("nh", 4)]),
    row("IPv6", "MPLS", &[("nh", 137)]),
    row("IPv6", "IPv6ExtHdrHopByHop", &[("nh", 0)]),
    row("IPv6", "IPv6ExtHdrRouting", &[("nh", 43)]),
    row("IPv6", "IPv6ExtHdrFragment", &[("nh", 44)]),
];

/// What the extension headers alias to (Scapy's `_IPv6ExtHdr.aliastypes`).
const EXT_ALIASES: &[&str] = &["_IPv6ExtHdr", "IPv6", "IPerror6"];

/// `IPv6(version, tc, fl, plen, nh, hlim, src, dst)`.
#[derive(Debug)]
pub struct Ipv6;

impl LayerClass for Ipv6 {
    fn name(&self) -> &'static str {
        "IPv6"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["version", "tc", "fl", "plen", "nh", "hlim", "src", "dst"]
    }
    fn resolve(&self, f: &mut Fields, env: &dyn Env) -> Result<(), ExprError> {
        for (n, bits) in [
            ("version", 4),
            ("tc", 8),
            ("fl", 20),
            ("plen", 16),
            ("nh", 8),
            ("hlim", 8),
        ] {
            f.uint(n, bits)?;
        }
        let dst = f.ipv6("dst")?.unwrap_or(Ipv6Addr::LOCALHOST);
        f.set_default("dst", Value::Str(dst.to_string()));
        if f.ipv6("src")?.is_none() {
            // Scapy in a namespace with no route: ::1 towards ::1, else ::.
            let src = match env.default_src_ip(IpAddr::V6(dst)) {
                Some(IpAddr::V6(a)) => a,
                _ if dst == Ipv6Addr::LOCALHOST => Ipv6Addr::LOCALHOST,
                _ => Ipv6Addr::UNSPECIFIED,
            };
            let col = if f.has("src") { f.col("src") } else { 0 };
            f.set("src", Value::Str(src.to_string()), col);
        }
        Ok(())
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let w = (f.uint_or("version", 4, 6)? << 28)
            | (f.uint_or("tc", 8, 0)? << 20)
            | f.uint_or("fl", 20, 0)?;
        out.extend_from_slice(&(w as u32).to_be_bytes());
        let plen = match f.uint("plen", 16)? {
            Some(n) => n as u16,
            None => u16::try_from(ctx.payload.len()).map_err(|_| {
                f.err(
                    "plen",
                    format!(
                        "IPv6: the payload is {} bytes, over the 65535 plen holds",
                        ctx.payload.len()
                    ),
                )
            })?,
        };
        out.extend_from_slice(&plen.to_be_bytes());
        out.push(f.uint_or("nh", 8, 59)? as u8);
        out.push(f.uint_or("hlim", 8, 64)? as u8);
        out.extend_from_slice(&f.ipv6("src")?.unwrap_or(Ipv6Addr::UNSPECIFIED).octets());
        out.extend_from_slice(&f.ipv6("dst")?.unwrap_or(Ipv6Addr::LOCALHOST).octets());
        Ok(())
    }
}

/// `IPv6ExtHdrHopByHop(nh, len, autopad, options)`.
#[derive(Debug)]
pub struct HopByHop;

/// An option's bytes and its alignment (Scapy's `alignment_delta`: `x*n + y`).
fn hbh_option(f: &Fields, v: &Value) -> Result<(Vec<u8>, (usize, usize)), ExprError> {
    let Value::Call { name, args, kwargs } = v else {
        return Err(f.err(
            "options",
            format!(
                "options takes a list of Pad1(), PadN(), RouterAlert(), Jumbo(), not {}",
                v.a_type_name()
            ),
        ));
    };
    let allowed: &[&str] = match name.as_str() {
        "Pad1" => &["otype"],
        "PadN" => &["otype", "optlen", "optdata"],
        "RouterAlert" => &["otype", "optlen", "value"],
        "Jumbo" => &["otype", "optlen", "jumboplen"],
        _ => {
            return Err(f.err(
                "options",
                format!(
                    "unknown hop-by-hop option '{name}' (Pad1(), PadN(), RouterAlert(), Jumbo())"
                ),
            ))
        }
    };
    if !args.is_empty() {
        return Err(f.err("options", format!("{name}() takes field=value arguments")));
    }
    let mut of = Fields::default();
    for (k, val) in kwargs {
        let Some(&k) = allowed.iter().find(|a| **a == k) else {
            return Err(f.err("options", format!("{name}() has no field '{k}'")));
        };
        of.set(k, val.clone(), f.col("options"));
    }
    Ok(match name.as_str() {
        "Pad1" => (vec![of.uint_or("otype", 8, 0)? as u8], (1, 0)),
        "PadN" => {
            let data = of.bytes("optdata")?.unwrap_or_default();
            let mut b = vec![
                of.uint_or("otype", 8, 1)? as u8,
                match of.uint("optlen", 8)? {
                    Some(n) => n as u8,
                    None => f.computed("PadN", "optlen", "options", data.len(), 8)? as u8,
                },
            ];
            b.extend_from_slice(&data);
            (b, (1, 0))
        }
        // RFC 2675's jumbo payload: aligned 4n+2; `jumboplen=None` packs as 0, as in Scapy.
        "Jumbo" => {
            let mut b = vec![
                of.uint_or("otype", 8, 0xc2)? as u8,
                of.uint_or("optlen", 8, 4)? as u8,
            ];
            b.extend_from_slice(&(of.uint_or("jumboplen", 32, 0)? as u32).to_be_bytes());
            (b, (4, 2))
        }
        _ => {
            let mut b = vec![
                of.uint_or("otype", 8, 5)? as u8,
                of.uint_or("optlen", 8, 2)? as u8,
            ];
            b.extend_from_slice(&(of.uint_or("value", 16, 0)? as u16).to_be_bytes());
            (b, (2, 0))
        }
    })
}

fn pad(n: usize, out: &mut Vec<u8>) {
    match n {
        0 => {}
        1 => out.push(0),
        n => {
            out.push(1);
            out.push((n - 2) as u8);
            out.extend(std::iter::repeat_n(0, n - 2));
        }
    }
}

/// Scapy's `_OptionsField.i2m`: each option aligned, the whole a multiple of 8 with the
/// 2-byte header, unless `autopad=0`.
fn hbh_options(f: &Fields) -> Result<Vec<u8>, ExprError> {
    let items: Vec<Value> = match f.get("options") {
        None | Some(Value::None) => Vec::new(),
        Some(Value::List(v)) | Some(Value::Tuple(v)) => v.clone(),
        Some(v @ Value::Call { .. }) => vec![v.clone()],
        Some(Value::Bytes(b)) => return Ok(b.clone()),
        Some(_) => return Err(f.type_err("options", "a list of options")),
    };
    let autopad = match f.get("autopad") {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Int(i)) => *i != 0,
        Some(Value::None) => false,
        Some(_) => return Err(f.type_err("autopad", "0 or 1")),
    };
    let mut out = Vec::new();
    let mut curpos = 2usize;
    for v in &items {
        let (b, (x, y)) = hbh_option(f, v)?;
        if autopad {
            let d = (x * (curpos + x - 1 - y).div_euclid(x) + y).saturating_sub(curpos);
            pad(d, &mut out);
            curpos += d;
        }
        curpos += b.len();
        out.extend_from_slice(&b);
    }
    if autopad && !curpos.is_multiple_of(8) {
        pad(8 - curpos % 8, &mut out);
    }
    Ok(out)
}

impl LayerClass for HopByHop {
    fn name(&self) -> &'static str {
        "IPv6ExtHdrHopByHop"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["nh", "len", "autopad", "options"]
    }
    fn aliases(&self) -> &'static [&'static str] {
        EXT_ALIASES
    }
    fn resolve(&self, f: &mut Fields, _env: &dyn Env) -> Result<(), ExprError> {
        f.uint("nh", 8)?;
        f.uint("len", 8)?;
        hbh_options(f).map(|_| ())
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let opts = hbh_options(f)?;
        out.push(f.uint_or("nh", 8, 59)? as u8);
        let len = match f.uint("len", 8)? {
            Some(n) => n as u8,
            None => {
                let words = (opts.len() + 2).div_ceil(8).saturating_sub(1);
                f.computed(self.name(), "len", "options", words, 8)? as u8
            }
        };
        out.push(len);
        out.extend_from_slice(&opts);
        Ok(())
    }
}

/// `IPv6ExtHdrRouting(nh, len, type, segleft, reserved, addresses)`.
#[derive(Debug)]
pub struct Routing;

fn addresses(f: &Fields) -> Result<Vec<Ipv6Addr>, ExprError> {
    let items = match f.get("addresses") {
        None | Some(Value::None) => return Ok(Vec::new()),
        Some(Value::List(v)) | Some(Value::Tuple(v)) => v,
        Some(_) => return Err(f.type_err("addresses", "a list of IPv6 address strings")),
    };
    items
        .iter()
        .map(|v| match v {
            Value::Str(s) => s
                .parse()
                .map_err(|_| f.err("addresses", format!("'{s}' is not an IPv6 address"))),
            other => Err(f.err(
                "addresses",
                format!(
                    "addresses takes IPv6 address strings, not {}",
                    other.a_type_name()
                ),
            )),
        })
        .collect()
}

impl LayerClass for Routing {
    fn name(&self) -> &'static str {
        "IPv6ExtHdrRouting"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["nh", "len", "type", "segleft", "reserved", "addresses"]
    }
    fn aliases(&self) -> &'static [&'static str] {
        EXT_ALIASES
    }
    fn resolve(&self, f: &mut Fields, _env: &dyn Env) -> Result<(), ExprError> {
        for (n, bits) in [
            ("nh", 8),
            ("len", 8),
            ("type", 8),
            ("segleft", 8),
            ("reserved", 32),
        ] {
            f.uint(n, bits)?;
        }
        addresses(f).map(|_| ())
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let addrs = addresses(f)?;
        out.push(f.uint_or("nh", 8, 59)? as u8);
        let computed =
            |field: &str, n: usize| f.computed("IPv6ExtHdrRouting", field, "addresses", n, 8);
        out.push(match f.uint("len", 8)? {
            Some(n) => n as u8,
            None => computed("len", 2 * addrs.len())? as u8,
        });
        out.push(f.uint_or("type", 8, 0)? as u8);
        out.push(match f.uint("segleft", 8)? {
            Some(n) => n as u8,
            None => computed("segleft", addrs.len())? as u8,
        });
        out.extend_from_slice(&(f.uint_or("reserved", 32, 0)? as u32).to_be_bytes());
        for a in addrs {
            out.extend_from_slice(&a.octets());
        }
        Ok(())
    }
}

/// `IPv6ExtHdrFragment(nh, res1, offset, res2, m, id)`.
#[derive(Debug)]
pub struct Fragment;

impl LayerClass for Fragment {
    fn name(&self) -> &'static str {
        "IPv6ExtHdrFragment"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["nh", "res1", "offset", "res2", "m", "id"]
    }
    fn aliases(&self) -> &'static [&'static str] {
        EXT_ALIASES
    }
    fn resolve(&self, f: &mut Fields, _env: &dyn Env) -> Result<(), ExprError> {
        for (n, bits) in [
            ("nh", 8),
            ("res1", 8),
            ("offset", 13),
            ("res2", 2),
            ("m", 1),
            ("id", 32),
        ] {
            f.uint(n, bits)?;
        }
        Ok(())
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        out.push(f.uint_or("nh", 8, 59)? as u8);
        out.push(f.uint_or("res1", 8, 0)? as u8);
        let w = (f.uint_or("offset", 13, 0)? << 3)
            | (f.uint_or("res2", 2, 0)? << 1)
            | f.uint_or("m", 1, 0)?;
        out.extend_from_slice(&(w as u16).to_be_bytes());
        out.extend_from_slice(&(f.uint_or("id", 32, 0)? as u32).to_be_bytes());
        Ok(())
    }
}
