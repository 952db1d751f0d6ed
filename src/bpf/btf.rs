//! A small reader of an object's BTF (the `.BTF` ELF section clang writes with `-g`): enough to
//! know the key and value types of a BTF-defined map (`struct { __type(key, ...); } m
//! SEC(".maps")`) and to lay a struct out by member name, so that scenarios write keys and
//! values as `{saddr: 198.18.0.1, dport: 53}`.
//!
//! Why our own: aya-obj parses BTF but keeps its type table and its members crate-private
//! (`Btf::type_by_id` is `pub(crate)` in aya-obj 0.3), and the format is small (a header, a type
//! table, a string table). The ELF section is found with the `object` crate (aya's own).
//!
//! What stays true: a type id resolves to a [`Ty`] or to an error naming it, never a panic,
//! whatever the bytes; kinds this reader does not lay out (functions, floats...) are
//! [`Ty::Other`], which values can only be written to as hex bytes.

use object::{Object as _, ObjectSection as _};

/// One BTF type (kinds that matter for values; the rest are [`Ty::Other`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// Type id 0.
    Void,
    Int {
        name: String,
        size: usize,
        signed: bool,
    },
    Ptr(u32),
    Array {
        elem: u32,
        len: usize,
    },
    Struct {
        name: String,
        size: usize,
        members: Vec<Member>,
        union: bool,
    },
    Enum {
        name: String,
        size: usize,
        signed: bool,
    },
    Typedef {
        name: String,
        ty: u32,
    },
    /// const, volatile, restrict, type tags: the type they qualify.
    Qualified(u32),
    Var {
        name: String,
        ty: u32,
    },
    DataSec {
        name: String,
        vars: Vec<u32>,
    },
    Other {
        kind: u32,
        size: usize,
    },
}

/// A member of a struct or union.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub ty: u32,
    /// From the start of the struct, in bits.
    pub bit_offset: usize,
    /// A bitfield's width (0: not a bitfield).
    pub bits: usize,
}

/// An object's BTF types, by id.
#[derive(Debug, Clone, Default)]
pub struct Btf {
    types: Vec<Ty>,
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|x| u32::from_le_bytes(x.try_into().expect("4 bytes")))
        .ok_or_else(|| format!("BTF truncated at byte {at}"))
}

fn str_at(strings: &[u8], off: u32) -> String {
    let s = strings.get(off as usize..).unwrap_or(&[]);
    let end = s.iter().position(|&c| c == 0).unwrap_or(s.len());
    String::from_utf8_lossy(&s[..end]).into_owned()
}

impl Btf {
    /// The BTF of an ELF object (`None`: it has no `.BTF` section: built without `-g`).
    pub fn from_elf(elf: &[u8]) -> Result<Option<Btf>, String> {
        let file = object::File::parse(elf).map_err(|e| format!("not an ELF object: {e}"))?;
        let Some(sec) = file.section_by_name(".BTF") else {
            return Ok(None);
        };
        let data = sec.data().map_err(|e| format!(".BTF: {e}"))?;
        Btf::parse(data).map(Some)
    }

    /// Parse raw BTF (little-endian, as clang writes it for bpfel).
    pub fn parse(b: &[u8]) -> Result<Btf, String> {
        if b.len() < 24 || b[0..2] != [0x9f, 0xeb] {
            return Err("not little-endian BTF (magic 0xeb9f)".into());
        }
        let hdr = u32_at(b, 4)? as usize;
        let (type_off, type_len) = (u32_at(b, 8)? as usize, u32_at(b, 12)? as usize);
        let (str_off, str_len) = (u32_at(b, 16)? as usize, u32_at(b, 20)? as usize);
        let range = |off: usize, len: usize| {
            let start = hdr.checked_add(off)?;
            b.get(start..start.checked_add(len)?)
        };
        let types = range(type_off, type_len).ok_or("BTF type section out of bounds")?;
        let strings = range(str_off, str_len).ok_or("BTF string section out of bounds")?;
        let mut out = vec![Ty::Void];
        let mut at = 0;
        while at < types.len() {
            let name = str_at(strings, u32_at(types, at)?);
            let info = u32_at(types, at + 4)?;
            let size_or_type = u32_at(types, at + 8)?;
            at += 12;
            let (vlen, kind, flag) = (
                (info & 0xffff) as usize,
                (info >> 24) & 0x1f,
                info >> 31 == 1,
            );
            let ty = match kind {
                1 => {
                    let enc = u32_at(types, at)?;
                    at += 4;
                    Ty::Int {
                        name,
                        size: size_or_type as usize,
                        signed: (enc >> 24) & 1 == 1,
                    }
                }
                2 => Ty::Ptr(size_or_type),
                3 => {
                    let elem = u32_at(types, at)?;
                    let len = u32_at(types, at + 8)? as usize;
                    at += 12;
                    Ty::Array { elem, len }
                }
                4 | 5 => {
                    let mut members = Vec::with_capacity(vlen.min(1024));
                    for _ in 0..vlen {
                        let off = u32_at(types, at + 8)?;
                        members.push(Member {
                            name: str_at(strings, u32_at(types, at)?),
                            ty: u32_at(types, at + 4)?,
                            bit_offset: if flag { off & 0xff_ffff } else { off } as usize,
                            bits: if flag { (off >> 24) as usize } else { 0 },
                        });
                        at += 12;
                    }
                    Ty::Struct {
                        name,
                        size: size_or_type as usize,
                        members,
                        union: kind == 5,
                    }
                }
                6 | 19 => {
                    at += vlen * if kind == 6 { 8 } else { 12 };
                    Ty::Enum {
                        name,
                        size: size_or_type as usize,
                        signed: flag,
                    }
                }
                8 => Ty::Typedef {
                    name,
                    ty: size_or_type,
                },
                9 | 10 | 11 | 18 => Ty::Qualified(size_or_type),
                13 => {
                    at += vlen * 8;
                    Ty::Other { kind, size: 0 }
                }
                14 => {
                    at += 4;
                    Ty::Var {
                        name,
                        ty: size_or_type,
                    }
                }
                15 => {
                    let mut vars = Vec::with_capacity(vlen.min(1024));
                    for _ in 0..vlen {
                        vars.push(u32_at(types, at)?);
                        at += 12;
                    }
                    Ty::DataSec { name, vars }
                }
                17 => {
                    at += 4;
                    Ty::Other { kind, size: 0 }
                }
                7 | 12 => Ty::Other { kind, size: 0 },
                16 => Ty::Other {
                    kind,
                    size: size_or_type as usize,
                },
                k => return Err(format!("BTF kind {k} is unknown to this reader")),
            };
            out.push(ty);
        }
        Ok(Btf { types: out })
    }

    /// The type `id`.
    pub fn ty(&self, id: u32) -> Result<&Ty, String> {
        self.types
            .get(id as usize)
            .ok_or_else(|| format!("BTF has no type {id}"))
    }

    /// `id` without typedefs and qualifiers, and the outermost typedef's name on the way
    /// (`__be16`, itself a typedef of `__u16`: the value is in network order).
    pub fn resolve(&self, mut id: u32) -> Result<(u32, Option<&str>), String> {
        let mut name = None;
        for _ in 0..32 {
            match self.ty(id)? {
                Ty::Typedef { name: n, ty } => {
                    name = name.or(Some(n.as_str()));
                    id = *ty;
                }
                Ty::Qualified(t) => id = *t,
                _ => return Ok((id, name)),
            }
        }
        Err(format!("BTF type {id}: typedefs nest too deep"))
    }

    /// The size of type `id` in bytes.
    pub fn size(&self, id: u32) -> Result<usize, String> {
        let (id, _) = self.resolve(id)?;
        Ok(match self.ty(id)? {
            Ty::Int { size, .. } | Ty::Enum { size, .. } | Ty::Struct { size, .. } => *size,
            Ty::Ptr(_) => 8,
            Ty::Array { elem, len } => self.size(*elem)?.saturating_mul(*len),
            Ty::Other { size, .. } => *size,
            Ty::Void | Ty::Var { .. } | Ty::DataSec { .. } => 0,
            Ty::Typedef { .. } | Ty::Qualified(_) => unreachable!("resolved"),
        })
    }

    /// The key and value type ids of the BTF-defined map `map` (in the `.maps` section).
    pub fn map_types(&self, map: &str) -> Option<(u32, u32)> {
        let sec = self.types.iter().find_map(|t| match t {
            Ty::DataSec { name, vars } if name == ".maps" => Some(vars),
            _ => None,
        })?;
        let def = sec.iter().find_map(|v| match self.ty(*v).ok()? {
            Ty::Var { name, ty } if name == map => Some(*ty),
            _ => None,
        })?;
        let (def, _) = self.resolve(def).ok()?;
        let Ty::Struct { members, .. } = self.ty(def).ok()? else {
            return None;
        };
        let pointee = |field: &str| {
            let m = members.iter().find(|m| m.name == field)?;
            match self.ty(self.resolve(m.ty).ok()?.0).ok()? {
                Ty::Ptr(t) => Some(*t),
                _ => None,
            }
        };
        Some((pointee("key")?, pointee("value")?))
    }

    /// A readable name of type `id` (`struct flow`, `__u32`).
    pub fn name(&self, id: u32) -> String {
        match self.ty(id) {
            Ok(Ty::Int { name, .. }) | Ok(Ty::Typedef { name, .. }) => name.clone(),
            Ok(Ty::Struct {
                name, union: false, ..
            }) => format!("struct {name}"),
            Ok(Ty::Struct { name, .. }) => format!("union {name}"),
            Ok(Ty::Enum { name, .. }) => format!("enum {name}"),
            Ok(Ty::Array { elem, len }) => format!("{}[{len}]", self.name(*elem)),
            Ok(Ty::Qualified(t)) => self.name(*t),
            _ => format!("type {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BTF built by hand: `typedef unsigned int __u32; struct flow { __u32 a; __u16 b; }`
    /// (an INT, a TYPEDEF, a second INT and a STRUCT with two members), header then types
    /// then strings, as the kernel's btf.h lays them out.
    fn sample() -> Vec<u8> {
        let strings = b"\0__u32\0unsigned int\0flow\0a\0b\0short\0";
        let s = |t: &str| {
            let needle = format!("\0{t}\0");
            (strings
                .windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap()
                + 1) as u32
        };
        let mut t = Vec::new();
        let mut w = |v: u32| t.extend_from_slice(&v.to_le_bytes());
        // 1: INT "unsigned int", 4 bytes, 32 bits unsigned
        w(s("unsigned int"));
        w(1 << 24);
        w(4);
        w(32);
        // 2: TYPEDEF __u32 -> 1
        w(s("__u32"));
        w(8 << 24);
        w(1);
        // 3: INT "short", 2 bytes, signed
        w(s("short"));
        w(1 << 24);
        w(2);
        w((1 << 24) | 16);
        // 4: STRUCT flow, 8 bytes, two members
        w(s("flow"));
        w((4 << 24) | 2);
        w(8);
        w(s("a"));
        w(2);
        w(0);
        w(s("b"));
        w(3);
        w(32);
        let mut b = vec![0x9f, 0xeb, 1, 0];
        for v in [24, 0, t.len() as u32, t.len() as u32, strings.len() as u32] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b.extend_from_slice(&t);
        b.extend_from_slice(strings);
        b
    }

    #[test]
    fn types_and_members_by_name() {
        let btf = Btf::parse(&sample()).unwrap();
        assert_eq!(btf.resolve(2).unwrap(), (1, Some("__u32")));
        assert_eq!(btf.size(2).unwrap(), 4);
        let Ty::Struct { members, size, .. } = btf.ty(4).unwrap() else {
            panic!("not a struct")
        };
        assert_eq!(*size, 8);
        assert_eq!(members[1].name, "b");
        assert_eq!(members[1].bit_offset, 32);
        assert_eq!(btf.name(4), "struct flow");
        assert!(btf.ty(9).is_err());
        // Truncated or foreign bytes are an error, not a panic.
        let b = sample();
        for n in 0..b.len() {
            let _ = Btf::parse(&b[..n]);
        }
        assert!(Btf::parse(b"not btf at all, no").is_err());
    }
}
