//! The `--vary` and `--size` syntax, read into a [`FlowsConfig`].
//!
//! - vary: `FIELD:RANGE[,FIELD:RANGE...]`, FIELD one of `src-ip`, `dst-ip` (RANGE an IPv4
//!   CIDR `198.18.0.0/24` or `A-B`, or one address) and `sport`, `dport` (`1024-65535` or one
//!   port). A field at most once.
//! - sizes: `imix`, a list `66,128,1514` (equal weights) or weighted `66:7,570:4,1514:1`.

use std::net::Ipv4Addr;

use super::{Field, FieldRange, FlowsConfig, FlowsError, IMIX};

fn syntax(text: &str, why: impl Into<String>) -> FlowsError {
    FlowsError::Syntax {
        text: text.to_string(),
        why: why.into(),
    }
}

impl FlowsConfig {
    /// Read `--vary` (see the module doc).
    pub fn parse_vary(s: &str) -> Result<Vec<FieldRange>, FlowsError> {
        let mut out: Vec<FieldRange> = Vec::new();
        for item in s.split(',').map(str::trim) {
            let (name, range) = item
                .split_once(':')
                .ok_or_else(|| syntax(item, "expected FIELD:RANGE, e.g. sport:1024-65535"))?;
            let field = match name.trim() {
                "src-ip" => Field::SrcIp,
                "dst-ip" => Field::DstIp,
                "sport" => Field::Sport,
                "dport" => Field::Dport,
                _ => {
                    return Err(syntax(
                        item,
                        "the field is one of src-ip, dst-ip, sport, dport",
                    ))
                }
            };
            if out.iter().any(|r| r.field == field) {
                return Err(syntax(item, "this field is varied twice"));
            }
            let (first, count) = match field {
                Field::SrcIp | Field::DstIp => ip_range(item, range.trim())?,
                Field::Sport | Field::Dport => port_range(item, range.trim())?,
            };
            out.push(FieldRange {
                field,
                first,
                count,
            });
        }
        Ok(out)
    }

    /// Read `--size` (see the module doc): lengths and weights.
    pub fn parse_sizes(s: &str) -> Result<Vec<(usize, u32)>, FlowsError> {
        if s.trim().eq_ignore_ascii_case("imix") {
            return Ok(IMIX.to_vec());
        }
        let mut out: Vec<(usize, u32)> = Vec::new();
        for item in s.split(',').map(str::trim) {
            let (len, w) = match item.split_once(':') {
                Some((l, w)) => (l, Some(w)),
                None => (item, None),
            };
            let len: usize = len
                .trim()
                .parse()
                .map_err(|_| syntax(item, "expected a length in bytes, e.g. 128 or 570:4"))?;
            let w: u32 = match w {
                Some(w) => w
                    .trim()
                    .parse()
                    .ok()
                    .filter(|w| (1..=1000).contains(w))
                    .ok_or_else(|| syntax(item, "the weight is 1..=1000"))?,
                None => 1,
            };
            if out.iter().any(|s| s.0 == len) {
                return Err(syntax(item, "this length is given twice"));
            }
            out.push((len, w));
        }
        if out.len() > 64 {
            return Err(syntax(s, "at most 64 sizes"));
        }
        Ok(out)
    }
}

fn port_range(item: &str, r: &str) -> Result<(u32, u32), FlowsError> {
    let port = |p: &str| {
        p.trim()
            .parse::<u16>()
            .map_err(|_| syntax(item, "a port is 0..=65535"))
    };
    let (a, b) = match r.split_once('-') {
        Some((a, b)) => (port(a)?, port(b)?),
        None => (port(r)?, port(r)?),
    };
    if b < a {
        return Err(syntax(item, "the range ends before it starts"));
    }
    Ok((a as u32, (b - a) as u32 + 1))
}

fn ip_range(item: &str, r: &str) -> Result<(u32, u32), FlowsError> {
    let ip = |p: &str| {
        p.trim()
            .parse::<Ipv4Addr>()
            .map(u32::from)
            .map_err(|_| syntax(item, "expected an IPv4 address, A.B.C.D/LEN or A-B"))
    };
    if let Some((a, len)) = r.split_once('/') {
        let len: u32 = len
            .trim()
            .parse()
            .ok()
            .filter(|l| *l <= 32)
            .ok_or_else(|| syntax(item, "the prefix length is 0..=32"))?;
        let a = ip(a)?;
        let host_bits = 32 - len;
        if host_bits > 16 {
            return Err(syntax(item, "at most a /16 (65536 addresses)"));
        }
        let mask = if len == 0 { 0 } else { u32::MAX << host_bits };
        return Ok((a & mask, 1 << host_bits));
    }
    let (a, b) = match r.split_once('-') {
        Some((a, b)) => (ip(a)?, ip(b)?),
        None => (ip(r)?, ip(r)?),
    };
    if b < a {
        return Err(syntax(item, "the range ends before it starts"));
    }
    if b - a >= 1 << 16 {
        return Err(syntax(item, "at most 65536 addresses"));
    }
    Ok((a, b - a + 1))
}
