//! `IP` (IPv4, with options) and Scapy's `fragment()`.

use std::net::{IpAddr, Ipv4Addr};

use super::super::build::{build_layers, Layer};
use super::super::{Ctx, Env, ExprError, Fields, LayerClass, Value};
use super::l2::row;
use super::Binding;
use crate::frame::csum::checksum;
use crate::frame::wire::ipv4;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Ip];

/// Scapy 2.5's rows with `IP` (inet.py, inet6.py, contrib/mpls.py); the transport rows are
/// with the transport layers.
pub(super) const BINDINGS: &[Binding] = &[
    row("Ether", "IP", &[("type", 0x0800)]),
    row("IP", "IP", &[("frag", 0), ("proto", 4)]),
    row("IP", "IPv6", &[("proto", 41)]),
    row("IP", "MPLS", &[("proto", 137)]),
];

/// `IP(version, ihl, tos, len, id, flags, frag, ttl, proto, chksum, src, dst, options)`.
#[derive(Debug)]
pub struct Ip;

const FLAGS: [(&str, u64); 3] = [("MF", 1), ("DF", 2), ("evil", 4)];

/// Scapy's `FlagsField` from a str: `"DF"`, `"DF+MF"`, `"MF+DF+evil"`, `""`.
fn parse_flags(s: &str) -> Option<u64> {
    if s.is_empty() {
        return Some(0);
    }
    s.split('+').try_fold(0, |acc, name| {
        FLAGS.iter().find(|(n, _)| *n == name).map(|(_, b)| acc | b)
    })
}

/// The bytes of the `options` field: a list of option objects or bytes, one option object, or
/// bytes.
fn options(f: &Fields) -> Result<Vec<u8>, ExprError> {
    let mut out = Vec::new();
    match f.get("options") {
        None | Some(Value::None) => {}
        Some(Value::List(items)) | Some(Value::Tuple(items)) => {
            for v in items {
                option(f, v, &mut out)?;
            }
        }
        Some(v) => option(f, v, &mut out)?,
    }
    Ok(out)
}

fn option(f: &Fields, v: &Value, out: &mut Vec<u8>) -> Result<(), ExprError> {
    let kw = |kwargs: &[(String, Value)], name: &str, default: u64, max: u64| match kwargs
        .iter()
        .find(|(k, _)| k == name)
    {
        None => Ok(default),
        Some((_, Value::Int(i))) if *i >= 0 && (*i as u64) <= max => Ok(*i as u64),
        Some((_, other)) => Err(f.err(
            "options",
            format!("{name}={other:?} is not an int in 0..={max}"),
        )),
    };
    match v {
        Value::Bytes(b) => out.extend_from_slice(b),
        Value::Str(s) => out.extend_from_slice(s.as_bytes()),
        Value::Call { name, args, kwargs } => {
            let known: &[&str] = match name.as_str() {
                "IPOption_NOP" | "IPOption_EOL" => &[],
                "IPOption_Router_Alert" => &["alert", "length"],
                "IPOption" => &[],
                _ => {
                    return Err(f.err(
                        "options",
                        format!(
                            "unknown IP option '{name}' (IPOption_NOP(), IPOption_EOL(), \
                             IPOption_Router_Alert(), IPOption(b\"...\"), or bytes)"
                        ),
                    ))
                }
            };
            if let Some((k, _)) = kwargs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
                return Err(f.err("options", format!("{name}() has no field '{k}'")));
            }
            match (name.as_str(), args.as_slice()) {
                ("IPOption_NOP", []) => out.push(1),
                ("IPOption_EOL", []) => out.push(0),
                ("IPOption_Router_Alert", []) => {
                    out.push(0x94);
                    out.push(kw(kwargs, "length", 4, 255)? as u8);
                    out.extend_from_slice(&(kw(kwargs, "alert", 0, 0xffff)? as u16).to_be_bytes());
                }
                // Scapy dissects the bytes as one option: none at all is option 0 with its
                // length computed, `00 02`.
                ("IPOption", [Value::Bytes(b)]) if b.is_empty() => out.extend_from_slice(&[0, 2]),
                ("IPOption", [Value::Bytes(b)]) => out.extend_from_slice(b),
                _ => {
                    return Err(f.err(
                        "options",
                        format!(
                            "{name}() takes no positional argument here (IPOption takes bytes)"
                        ),
                    ))
                }
            }
        }
        other => {
            return Err(f.err(
                "options",
                format!(
                    "options takes IP option objects or bytes, not {}",
                    other.a_type_name()
                ),
            ))
        }
    }
    Ok(())
}

impl LayerClass for Ip {
    fn name(&self) -> &'static str {
        "IP"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "version", "ihl", "tos", "len", "id", "flags", "frag", "ttl", "proto", "chksum", "src",
            "dst", "options",
        ]
    }
    fn resolve(&self, f: &mut Fields, env: &dyn Env) -> Result<(), ExprError> {
        if let Some(Value::Str(s)) = f.get("flags") {
            let bits = parse_flags(s).ok_or_else(|| {
                f.err(
                    "flags",
                    format!("flags: '{s}' is not MF, DF, evil or a '+'-joined set of them"),
                )
            })?;
            let col = f.col("flags");
            f.set("flags", Value::Int(bits as i128), col);
        }
        for (n, bits) in [
            ("version", 4),
            ("ihl", 4),
            ("tos", 8),
            ("len", 16),
            ("id", 16),
            ("flags", 3),
            ("frag", 13),
            ("ttl", 8),
            ("proto", 8),
            ("chksum", 16),
        ] {
            f.uint(n, bits)?;
        }
        options(f)?;
        let dst = f.ipv4("dst")?.unwrap_or(Ipv4Addr::LOCALHOST);
        f.set_default("dst", Value::Str(dst.to_string()));
        if f.ipv4("src")?.is_none() {
            let src = match env.default_src_ip(IpAddr::V4(dst)) {
                Some(IpAddr::V4(a)) => a,
                _ => Ipv4Addr::UNSPECIFIED,
            };
            let col = f.col("src");
            f.set(
                "src",
                Value::Str(src.to_string()),
                if f.has("src") { col } else { 0 },
            );
        }
        Ok(())
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let start = out.len();
        let version = f.uint_or("version", 4, 4)?;
        out.push((version as u8) << 4 | f.uint_or("ihl", 4, 0)? as u8);
        out.push(f.uint_or("tos", 8, 0)? as u8);
        out.extend_from_slice(&(f.uint_or("len", 16, 0)? as u16).to_be_bytes());
        out.extend_from_slice(&(f.uint_or("id", 16, 1)? as u16).to_be_bytes());
        let ff = f.uint_or("flags", 3, 0)? << 13 | f.uint_or("frag", 13, 0)?;
        out.extend_from_slice(&(ff as u16).to_be_bytes());
        out.push(f.uint_or("ttl", 8, 64)? as u8);
        out.push(f.uint_or("proto", 8, 0)? as u8);
        out.extend_from_slice(&(f.uint_or("chksum", 16, 0)? as u16).to_be_bytes());
        out.extend_from_slice(&f.ipv4("src")?.unwrap_or(Ipv4Addr::UNSPECIFIED).octets());
        out.extend_from_slice(&f.ipv4("dst")?.unwrap_or(Ipv4Addr::LOCALHOST).octets());
        out.extend_from_slice(&options(f)?);
        // Scapy's post_build: pad the options to 4 bytes, then ihl, len, chksum unless given.
        while !(out.len() - start).is_multiple_of(4) {
            out.push(0);
        }
        let hlen = out.len() - start;
        if f.uint("ihl", 4)?.is_none() {
            let ihl = f.computed("IP", "ihl", "options", hlen / 4, 4)?;
            let mut h = ipv4::Header::new_unchecked(&mut out[start..]);
            h.set_version(version as u8);
            h.set_header_len(ihl as usize * 4);
        }
        if f.uint("len", 16)?.is_none() {
            let total = u16::try_from(hlen + ctx.payload.len()).map_err(|_| {
                f.err(
                    "len",
                    format!(
                        "IP: the datagram is {} bytes, over the 65535 its len field holds",
                        hlen + ctx.payload.len()
                    ),
                )
            })?;
            ipv4::Header::new_unchecked(&mut out[start..]).set_total_len(total);
        }
        if f.uint("chksum", 16)?.is_none() {
            let ck = checksum(&[&out[start..]]);
            ipv4::Header::new_unchecked(&mut out[start..]).set_checksum(ck);
        }
        Ok(())
    }
}

/// Scapy's `fragment(pkt, fragsize)` on resolved layers: the payload of the first `IP` layer
/// cut into loads of `fragsize` rounded down to 8 (the last one up to `fragsize`), each sent
/// behind a copy of the layers up to that `IP`, with MF set on all but the last, the offset
/// added to `frag`, and `len`/`chksum` computed again.
pub fn fragment(ls: &[Layer], fragsize: usize, env: &dyn Env) -> Result<Vec<Vec<u8>>, ExprError> {
    let Some(k) = ls.iter().position(|l| l.name() == "IP") else {
        return Err(ExprError::new(
            1,
            "fragment() needs an IPv4 layer, IP() (for IPv6, Scapy's fragment6() and \
             IPv6ExtHdrFragment: only the header is supported here)",
        ));
    };
    // raw(p[IP].payload): the layers above IP, built in place (checksums see the IP header),
    // Padding included: the whole frame less the headers up to IP, which do not depend on the
    // payload.
    let s = build_layers(ls, env)?[build_layers(&ls[..=k], env)?.len()..].to_vec();
    let last = fragsize as i64;
    let fs = (fragsize - fragsize % 8) as i64;
    if fs == 0 {
        return Err(ExprError::new(
            1,
            super::super::parse::fragsize_rule(&fragsize.to_string()),
        ));
    }
    let nb = (s.len() as i64 - last + fs - 1).div_euclid(fs) + 1;
    let raw = super::lookup("Raw").expect("Raw is registered");
    let mut frames = Vec::new();
    for i in 0..nb.max(0) {
        let mut q: Vec<Layer> = ls[..=k].to_vec();
        let ip = &mut q[k].fields;
        let col = ip.col("flags");
        let mut flags = ip.uint_or("flags", 3, 0)?;
        let (from, to) = if i != nb - 1 {
            flags |= 1;
            (i * fs, (i + 1) * fs)
        } else {
            (i * fs, i * fs + last)
        };
        ip.set("flags", Value::Int(flags as i128), col);
        // Scapy's 13-bit field keeps the low bits of an offset that overflows it.
        let frag = (ip.uint_or("frag", 13, 0)? + (i * fs / 8) as u64) & 0x1fff;
        let col = ip.col("frag");
        ip.set("frag", Value::Int(frag as i128), col);
        ip.set("len", Value::None, 0);
        ip.set("chksum", Value::None, 0);
        let (from, to) = (from as usize, (to as usize).min(s.len()));
        let mut load = Fields::default();
        load.set("load", Value::Bytes(s[from.min(to)..to].to_vec()), 0);
        q.push(Layer {
            proto: raw,
            fields: load,
            col: 1,
        });
        frames.push(build_layers(&q, env)?);
    }
    Ok(frames)
}
