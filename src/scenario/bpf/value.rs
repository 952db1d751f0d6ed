//! Map keys and values as a scenario writes them, to and from the bytes the kernel holds:
//! integers (host order, or network order for a BTF `__be16`/`__be32`/`__be64`), `0x` hex
//! integers, `hex:` raw bytes, IPv4/IPv6 addresses (network order), MACs, and (with BTF)
//! structs by member name and arrays as lists.
//!
//! What stays true: an encoded value has exactly the size asked, or the error says why; a
//! decoded value, written back in a scenario, encodes to the same bytes.

use std::fmt::Write;
use std::net::IpAddr;

use crate::bpf::btf::{Btf, Ty};

/// A key or value as written in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapValue {
    /// `5`, `0x1f`, `-1`, `hex:0a0b`, `198.18.0.1`, `02:00:00:00:00:01`.
    Scalar(String),
    /// `{member: value, ...}` (a BTF struct).
    Struct(Vec<(String, MapValue)>),
    /// `[a, b]`: an array's elements, or one value per CPU of a per-CPU map.
    List(Vec<MapValue>),
}

impl std::fmt::Display for MapValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MapValue::Scalar(s) => f.write_str(s),
            MapValue::Struct(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    write!(f, "{}{k}: {v}", if i > 0 { ", " } else { "" })?;
                }
                f.write_str("}")
            }
            MapValue::List(l) => {
                f.write_str("[")?;
                for (i, v) in l.iter().enumerate() {
                    write!(f, "{}{v}", if i > 0 { ", " } else { "" })?;
                }
                f.write_str("]")
            }
        }
    }
}

/// A type as values see it: none (size only), or a BTF type.
#[derive(Debug, Clone, Copy)]
pub struct TypeRef<'a> {
    pub btf: Option<&'a Btf>,
    pub id: u32,
}

impl<'a> TypeRef<'a> {
    pub const NONE: TypeRef<'static> = TypeRef { btf: None, id: 0 };

    fn resolved(&self) -> Option<(&'a Btf, &'a Ty, bool)> {
        let btf = self.btf?;
        let (id, name) = btf.resolve(self.id).ok()?;
        let be = name.is_some_and(|n| n.starts_with("__be"));
        Some((btf, btf.ty(id).ok()?, be))
    }
}

/// `hex:0a0b` or `0a:0b`-free hex digits as bytes.
fn hex_bytes(h: &str) -> Result<Vec<u8>, String> {
    let h: String = h
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_')
        .collect();
    if !h.len().is_multiple_of(2) {
        return Err(format!("hex:{h}: an odd number of digits"));
    }
    (0..h.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&h[i..i + 2], 16).map_err(|_| format!("hex:{h}: not hex digits"))
        })
        .collect()
}

/// An integer `5`, `-1`, `0x1f` in `size` bytes.
fn int_bytes(s: &str, size: usize, be: bool) -> Option<Result<Vec<u8>, String>> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    let v = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(h) => u128::from_str_radix(h, 16).ok()?,
        None if digits.chars().all(|c| c.is_ascii_digit()) && !digits.is_empty() => {
            digits.parse::<u128>().ok()?
        }
        None => return None,
    };
    if !(1..=16).contains(&size) {
        return Some(Err(format!(
            "{t}: an integer is 1 to 16 bytes, this one is {size}"
        )));
    }
    let bits = 8 * size as u32;
    let fits = if neg {
        bits == 128 && v <= 1 << 127 || bits < 128 && v <= 1u128 << (bits - 1)
    } else {
        bits == 128 || v < 1u128 << bits
    };
    if !fits {
        return Some(Err(format!("{t} does not fit in {size} bytes")));
    }
    let v = if neg { v.wrapping_neg() } else { v };
    let le = v.to_le_bytes();
    let mut out = le[..size].to_vec();
    if be {
        out.reverse();
    }
    Some(Ok(out))
}

/// A scalar in `size` bytes.
fn scalar(s: &str, size: usize, be: bool) -> Result<Vec<u8>, String> {
    let t = s.trim();
    let bytes = if let Some(h) = t.strip_prefix("hex:") {
        hex_bytes(h)?
    } else if let Some(r) = int_bytes(t, size, be) {
        r?
    } else if let Ok(a) = t.parse::<IpAddr>() {
        match a {
            IpAddr::V4(a) => a.octets().to_vec(),
            IpAddr::V6(a) => a.octets().to_vec(),
        }
    } else if let Ok(m) = t.parse::<crate::frame::MacAddr>() {
        m.0.to_vec()
    } else {
        return Err(format!(
            "'{t}' is not an integer, hex:BYTES, an address or a MAC"
        ));
    };
    if bytes.len() != size {
        return Err(format!("'{t}' is {} bytes, {size} needed", bytes.len()));
    }
    Ok(bytes)
}

/// `v` as the `size` bytes of type `ty`.
pub fn encode(v: &MapValue, size: usize, ty: TypeRef<'_>) -> Result<Vec<u8>, String> {
    let r = ty.resolved();
    match (v, r) {
        (MapValue::Scalar(s), r) => scalar(s, size, r.is_some_and(|(_, _, be)| be)),
        (MapValue::Struct(m), Some((btf, Ty::Struct { name, members, .. }, _))) => {
            let mut out = vec![0u8; size];
            for (k, val) in m {
                let Some(mem) = members.iter().find(|x| &x.name == k) else {
                    return Err(format!(
                        "struct {name} has no member '{k}' (it has: {})",
                        members
                            .iter()
                            .map(|x| x.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                };
                if mem.bits > 0 || !mem.bit_offset.is_multiple_of(8) {
                    return Err(format!(
                        "{k} is a bitfield: write the whole value as hex:BYTES"
                    ));
                }
                let msize = btf.size(mem.ty)?;
                let at = mem.bit_offset / 8;
                let bytes = encode(
                    val,
                    msize,
                    TypeRef {
                        btf: Some(btf),
                        id: mem.ty,
                    },
                )
                .map_err(|e| format!("{k}: {e}"))?;
                out.get_mut(at..at + msize)
                    .ok_or_else(|| format!("{k}: past the end of struct {name}"))?
                    .copy_from_slice(&bytes);
            }
            Ok(out)
        }
        (MapValue::List(l), Some((btf, Ty::Array { elem, len }, _))) => {
            if l.len() != *len {
                return Err(format!("{} elements given, the array has {len}", l.len()));
            }
            let es = btf.size(*elem)?;
            let mut out = Vec::with_capacity(size);
            for e in l {
                out.extend(encode(
                    e,
                    es,
                    TypeRef {
                        btf: Some(btf),
                        id: *elem,
                    },
                )?);
            }
            Ok(out)
        }
        (MapValue::Struct(_), _) => Err(format!(
            "{{member: value}} needs a BTF struct type (this one: {}; build with clang -g)",
            type_name(ty)
        )),
        (MapValue::List(_), _) => Err(format!(
            "[a, b] needs a BTF array type (this one: {})",
            type_name(ty)
        )),
    }
}

fn type_name(ty: TypeRef<'_>) -> String {
    match ty.btf {
        Some(b) => b.name(ty.id),
        None => "no BTF".into(),
    }
}

/// An integer of `bytes` (little-endian, or big-endian).
fn int_of(bytes: &[u8], be: bool) -> u128 {
    let mut b = [0u8; 16];
    let n = bytes.len().min(16);
    b[..n].copy_from_slice(&bytes[..n]);
    if be {
        b[..n].reverse();
    }
    u128::from_le_bytes(b)
}

/// `bytes` as a scenario would write them, typed by `ty` when it has BTF.
pub fn decode(bytes: &[u8], ty: TypeRef<'_>) -> String {
    let mut s = String::new();
    decode_into(&mut s, bytes, ty);
    s
}

fn decode_into(s: &mut String, bytes: &[u8], ty: TypeRef<'_>) {
    match ty.resolved() {
        Some((btf, Ty::Struct { members, .. }, _)) => {
            s.push('{');
            for (i, m) in members.iter().enumerate() {
                let at = m.bit_offset / 8;
                let size = btf.size(m.ty).unwrap_or(0);
                let _ = write!(s, "{}{}: ", if i > 0 { ", " } else { "" }, m.name);
                match bytes.get(at..at + size) {
                    Some(b) if m.bits == 0 => decode_into(
                        s,
                        b,
                        TypeRef {
                            btf: Some(btf),
                            id: m.ty,
                        },
                    ),
                    _ => s.push('?'),
                }
            }
            s.push('}');
        }
        Some((btf, Ty::Array { elem, len }, _)) if *len > 0 && *len <= 64 => {
            let es = btf.size(*elem).unwrap_or(0);
            if es == 1 && *len == 6 {
                // A MAC, most likely (`__u8 h_dest[6]`).
                let m = crate::frame::MacAddr(bytes.try_into().unwrap_or([0; 6]));
                let _ = write!(s, "{m}");
                return;
            }
            s.push('[');
            for i in 0..*len {
                if i > 0 {
                    s.push_str(", ");
                }
                match bytes.get(i * es..(i + 1) * es) {
                    Some(b) => decode_into(
                        s,
                        b,
                        TypeRef {
                            btf: Some(btf),
                            id: *elem,
                        },
                    ),
                    None => s.push('?'),
                }
            }
            s.push(']');
        }
        Some((_, Ty::Int { signed, .. } | Ty::Enum { signed, .. }, be)) if bytes.len() <= 16 => {
            let v = int_of(bytes, be);
            let bits = 8 * bytes.len() as u32;
            if *signed && bits > 0 && v >> (bits - 1) & 1 == 1 {
                let neg = if bits == 128 {
                    v
                } else {
                    v | (u128::MAX << bits)
                };
                let _ = write!(s, "{}", neg as i128);
            } else {
                let _ = write!(s, "{v}");
            }
        }
        _ if matches!(bytes.len(), 1 | 2 | 4 | 8) => {
            let _ = write!(s, "{}", int_of(bytes, false));
        }
        _ => {
            s.push_str("hex:");
            for b in bytes {
                let _ = write!(s, "{b:02x}");
            }
        }
    }
}

/// The integer members' (or the whole integer's) sum over the CPUs of a per-CPU value: one
/// value's bytes, the rest taken from CPU 0.
pub fn sum_cpus(bytes: &[u8], slot: usize, size: usize, ty: TypeRef<'_>) -> Vec<u8> {
    let cpus: Vec<&[u8]> = bytes
        .chunks(slot)
        .map(|c| &c[..size.min(c.len())])
        .collect();
    let mut out = cpus.first().map(|c| c.to_vec()).unwrap_or_default();
    // (offset, size, big-endian) of each integer to add up.
    let mut ints = Vec::new();
    int_ranges(ty, 0, size, &mut ints);
    for (at, n, be) in ints {
        let total = cpus
            .iter()
            .filter_map(|c| c.get(at..at + n))
            .fold(0u128, |acc, b| acc.wrapping_add(int_of(b, be)));
        let mut le = total.to_le_bytes()[..n].to_vec();
        if be {
            le.reverse();
        }
        if let Some(dst) = out.get_mut(at..at + n) {
            dst.copy_from_slice(&le);
        }
    }
    out
}

fn int_ranges(ty: TypeRef<'_>, at: usize, size: usize, out: &mut Vec<(usize, usize, bool)>) {
    match ty.resolved() {
        Some((btf, Ty::Struct { members, .. }, _)) => {
            for m in members.iter().filter(|m| m.bits == 0) {
                let ms = btf.size(m.ty).unwrap_or(0);
                int_ranges(
                    TypeRef {
                        btf: Some(btf),
                        id: m.ty,
                    },
                    at + m.bit_offset / 8,
                    ms,
                    out,
                );
            }
        }
        Some((_, Ty::Int { .. }, be)) if size <= 16 => out.push((at, size, be)),
        None if matches!(size, 1 | 2 | 4 | 8) => out.push((at, size, false)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> MapValue {
        MapValue::Scalar(x.into())
    }

    #[test]
    fn scalars_encode_to_their_size() {
        let n = TypeRef::NONE;
        assert_eq!(encode(&s("5"), 4, n).unwrap(), [5, 0, 0, 0]);
        assert_eq!(encode(&s("0x0102"), 2, n).unwrap(), [2, 1]);
        assert_eq!(encode(&s("-1"), 2, n).unwrap(), [0xff, 0xff]);
        assert_eq!(encode(&s("hex:0a0b"), 2, n).unwrap(), [10, 11]);
        assert_eq!(encode(&s("198.18.0.1"), 4, n).unwrap(), [198, 18, 0, 1]);
        assert_eq!(
            encode(&s("02:00:00:00:00:01"), 6, n).unwrap(),
            [2, 0, 0, 0, 0, 1]
        );
        assert!(encode(&s("256"), 1, n)
            .unwrap_err()
            .contains("does not fit"));
        assert!(encode(&s("-129"), 1, n).is_err());
        assert_eq!(encode(&s("-128"), 1, n).unwrap(), [0x80]);
        assert!(encode(&s("hex:0a"), 2, n).unwrap_err().contains("2 needed"));
        assert!(encode(&s("nope"), 4, n).is_err());
        assert!(encode(&MapValue::Struct(vec![]), 4, n)
            .unwrap_err()
            .contains("BTF"));
        assert_eq!(decode(&[5, 0, 0, 0], n), "5");
        assert_eq!(decode(&[1, 2, 3], n), "hex:010203");
    }

    #[test]
    fn per_cpu_sums_add_integers() {
        // Two CPUs, u64 values 3 and 4, each in an 8-byte slot.
        let mut b = 3u64.to_le_bytes().to_vec();
        b.extend(4u64.to_le_bytes());
        assert_eq!(sum_cpus(&b, 8, 8, TypeRef::NONE), 7u64.to_le_bytes());
    }
}
