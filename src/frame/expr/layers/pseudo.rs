//! The checksums of the layers above IP: Scapy's `checksum`, `in4_chksum` and `in6_chksum`,
//! with the pseudo-header read from the layers below (final destination of a source route
//! included, as Scapy does).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::super::{Ctx, ExprError, Layer, Value};
pub(super) use crate::frame::csum::checksum;
use crate::frame::wire::ipv4::{self, option};

/// Which checksum the layer just above `below` gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Under {
    /// Directly over `IP`: `in4_chksum`.
    V4,
    /// Over `IPv6` or one of its extension headers: `in6_chksum`.
    V6,
    /// Anything else: Scapy leaves the checksum 0.
    Other,
}

/// What Scapy's TCP/UDP `post_build` looks at: the class of the layer just below.
pub(super) fn under(below: &[Layer]) -> Under {
    match below.last().map(|l| l.name()) {
        Some("IP") => Under::V4,
        Some(n) if n == "IPv6" || n.starts_with("IPv6ExtHdr") => Under::V6,
        _ => Under::Other,
    }
}

/// Scapy's TCP/UDP checksum of `data` (header with a zero checksum, then payload): `None` when
/// there is no IP or IPv6 layer just below (Scapy leaves it 0).
pub(super) fn l4_checksum(proto: u8, ctx: &Ctx, data: &[&[u8]]) -> Result<Option<u16>, ExprError> {
    Ok(match under(ctx.below) {
        Under::V4 => Some(in4_chksum(proto, ctx.below, data)?),
        Under::V6 => Some(in6_chksum(proto, ctx.below, data)?),
        Under::Other => None,
    })
}

fn total(data: &[&[u8]]) -> usize {
    data.iter().map(|d| d.len()).sum()
}

/// `in4_chksum(proto, ip, data)` where `ip` is `below.last()`: the pseudo-header's length is
/// `IP.len - 4 * ihl` when `IP.len` is given, the data's otherwise; the destination is the
/// last router of a single LSRR/SSRR option.
fn in4_chksum(proto: u8, below: &[Layer], data: &[&[u8]]) -> Result<u16, ExprError> {
    let (ip, under_ip) = below.split_last().expect("in4_chksum over an IP layer");
    let f = &ip.fields;
    let src = f.ipv4("src")?.unwrap_or(Ipv4Addr::UNSPECIFIED);
    let mut dst = f.ipv4("dst")?.unwrap_or(Ipv4Addr::UNSPECIFIED);
    // The IP header as the IP layer builds it, for its options.
    let mut hdr = Vec::with_capacity(60);
    ip.proto.build(
        f,
        &Ctx {
            below: under_ip,
            above: &[],
            payload: &[],
        },
        &mut hdr,
    )?;
    let opts = hdr.get(ipv4::HEADER_LEN..).unwrap_or(&[]);
    let len = match f.uint("len", 16)? {
        Some(l) => {
            let ihl = match f.uint("ihl", 4)? {
                Some(i) => i as i64,
                None => (hdr.len() / 4) as i64,
            };
            (l as i64 - 4 * ihl).max(0) as u64
        }
        None => total(data) as u64,
    };
    let routes = source_routes(opts);
    if let [Some(r)] = routes.as_slice() {
        dst = *r;
    }
    let mut ph = [0u8; 12];
    ph[0..4].copy_from_slice(&src.octets());
    ph[4..8].copy_from_slice(&dst.octets());
    ph[9] = proto;
    ph[10..12].copy_from_slice(&(len as u16).to_be_bytes());
    let mut parts = vec![&ph[..]];
    parts.extend_from_slice(data);
    Ok(checksum(&parts))
}

/// The LSRR/SSRR options among IPv4 options bytes, each with its last router (if any), as
/// Scapy's `in4_pseudoheader` finds them in the options list: one route gives the destination,
/// two or more none.
fn source_routes(mut opts: &[u8]) -> Vec<Option<Ipv4Addr>> {
    let mut out = Vec::new();
    while let Some(&t) = opts.first() {
        match t {
            // Scapy's option list goes on after an EOL (each EOL or NOP is one option).
            option::END | option::NOP => opts = &opts[1..],
            _ => {
                let l = (opts.get(1).copied().unwrap_or(2) as usize).clamp(2, opts.len());
                if t == option::LOOSE_SOURCE_ROUTE || t == option::STRICT_SOURCE_ROUTE {
                    let routers = opts.get(3..l).unwrap_or(&[]);
                    out.push(
                        routers
                            .chunks_exact(4)
                            .last()
                            .map(|r| Ipv4Addr::new(r[0], r[1], r[2], r[3])),
                    );
                }
                opts = &opts[l..];
            }
        }
    }
    out
}

/// `in6_chksum(nh, under, data)`: the source of the nearest `IPv6` below; the destination is
/// its `dst`, or the last address of the nearest routing header with `segleft` not 0 (the
/// first address of a segment routing header). 0 when there is no `IPv6` below.
pub(super) fn in6_chksum(nh: u8, below: &[Layer], data: &[&[u8]]) -> Result<u16, ExprError> {
    let mut final_dst: Option<Ipv6Addr> = None;
    let mut ip6 = None;
    for l in below.iter().rev() {
        if l.name() == "IPv6" {
            ip6 = Some(l);
            break;
        }
        let first = match l.name() {
            "IPv6ExtHdrRouting" => false,
            "IPv6ExtHdrSegmentRouting" => true,
            _ => continue,
        };
        if final_dst.is_some() || l.fields.uint("segleft", 8)? == Some(0) {
            continue;
        }
        if let Some(Value::List(a) | Value::Tuple(a)) = l.fields.get("addresses") {
            let pick = if first { a.first() } else { a.last() };
            if let Some(Value::Str(s)) = pick {
                final_dst = Some(s.parse().map_err(|_| {
                    l.fields
                        .err("addresses", format!("'{s}' is not an IPv6 address"))
                })?);
            }
        }
    }
    let Some(ip6) = ip6 else { return Ok(0) };
    let src = ip6.fields.ipv6("src")?.unwrap_or(Ipv6Addr::UNSPECIFIED);
    let dst = match final_dst {
        Some(d) => d,
        None => ip6.fields.ipv6("dst")?.unwrap_or(Ipv6Addr::UNSPECIFIED),
    };
    let mut ph = [0u8; 40];
    ph[0..16].copy_from_slice(&src.octets());
    ph[16..32].copy_from_slice(&dst.octets());
    ph[32..36].copy_from_slice(&(total(data) as u32).to_be_bytes());
    ph[39] = nh;
    let mut parts = vec![&ph[..]];
    parts.extend_from_slice(data);
    Ok(checksum(&parts))
}

#[cfg(test)]
pub(super) mod stub {
    //! Minimal `IP`/`IPv6` layers for the unit tests of the layers above them: a header of
    //! the right length whose bytes the tests do not compare.

    use super::super::super::{Ctx, ExprError, Fields, Layer, LayerClass, Value};

    #[derive(Debug)]
    pub struct Ip4;
    impl LayerClass for Ip4 {
        fn name(&self) -> &'static str {
            "IP"
        }
        fn fields(&self) -> &'static [&'static str] {
            &["src", "dst", "len", "ihl", "proto"]
        }
        fn build(&self, _f: &Fields, _c: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
            out.extend_from_slice(&[0x45; 20]);
            Ok(())
        }
    }

    #[derive(Debug)]
    pub struct Ip6;
    impl LayerClass for Ip6 {
        fn name(&self) -> &'static str {
            "IPv6"
        }
        fn fields(&self) -> &'static [&'static str] {
            &["src", "dst", "nh", "hlim"]
        }
        fn build(&self, _f: &Fields, _c: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
            out.extend_from_slice(&[0x60; 40]);
            Ok(())
        }
    }

    /// A layer with these fields set (strings as `Str`, numbers as `Int`).
    pub fn layer(proto: &'static dyn LayerClass, fields: &[(&'static str, Value)]) -> Layer {
        let mut f = Fields::default();
        for (n, v) in fields {
            f.set(n, v.clone(), 1);
        }
        Layer {
            proto,
            fields: f,
            col: 1,
        }
    }

    pub fn ip4(src: &str, dst: &str) -> Layer {
        layer(
            &Ip4,
            &[
                ("src", Value::Str(src.into())),
                ("dst", Value::Str(dst.into())),
            ],
        )
    }

    pub fn ip6(src: &str, dst: &str) -> Layer {
        layer(
            &Ip6,
            &[
                ("src", Value::Str(src.into())),
                ("dst", Value::Str(dst.into())),
            ],
        )
    }

    /// The bytes after the stub header (the stub's own bytes dropped).
    pub fn after_ip(ls: &[Layer]) -> Vec<u8> {
        let b = super::super::super::build_layers(ls, &super::super::super::NoEnv).unwrap();
        let skip = match ls[0].name() {
            "IP" => 20,
            _ => 40,
        };
        b[skip..].to_vec()
    }

    pub fn unhex(s: &str) -> Vec<u8> {
        crate::frame::parse_hex(s).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksum_of_odd_parts_matches_one_buffer() {
        let all = [1u8, 2, 3, 4, 5, 6, 7];
        assert_eq!(checksum(&[&all]), checksum(&[&all[..3], &all[3..]]));
        assert_eq!(checksum(&[&[]]), 0xffff);
    }

    #[test]
    fn source_route_last_router() {
        // IPOption_LSRR(routers=["9.9.9.9"]) as Scapy 2.5 builds it, then EOL padding.
        let o = [0x83, 7, 4, 9, 9, 9, 9, 0];
        assert_eq!(source_routes(&o), vec![Some(Ipv4Addr::new(9, 9, 9, 9))]);
        assert_eq!(source_routes(&[1, 1, 0x44, 4, 5, 0]), vec![]);
        // After an EOL too (Scapy 2.5: options=[IPOption_EOL(), IPOption(b"\x89\x07...")]).
        let o = [0, 0x89, 7, 4, 1, 2, 3, 4, 0x83, 3, 4];
        assert_eq!(
            source_routes(&o),
            vec![Some(Ipv4Addr::new(1, 2, 3, 4)), None]
        );
    }
}
