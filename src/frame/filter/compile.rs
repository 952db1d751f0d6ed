//! Typed compile: each field name resolved against the packet view's table (tshark's names,
//! the either-direction ones, the protocols, `frame.*`), each literal converted once to the
//! field's type. The result is a [`Program`]: a list of atoms (one test of one field) and a
//! boolean tree over them.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::parse::{CmpOp, Expr, FieldRef, Lit, SetItem, Slice};
use super::FilterError;
use crate::frame::view::{self, LayerKind};

/// A field's type, as tshark has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Uint,
    Bool,
    Mac,
    Ipv4,
    Ipv6,
    Bytes,
    Str,
    /// Seconds with a fraction, kept in ns.
    Time,
}

impl Kind {
    fn what(self) -> &'static str {
        match self {
            Kind::Uint => "an unsigned integer",
            Kind::Bool => "a boolean",
            Kind::Mac => "an Ethernet address",
            Kind::Ipv4 => "an IPv4 address",
            Kind::Ipv6 => "an IPv6 address",
            Kind::Bytes => "a byte sequence",
            Kind::Str => "a character string",
            Kind::Time => "a time",
        }
    }
}

/// The `frame.*` fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameField {
    Number,
    Len,
    CapLen,
    TimeEpoch,
    TimeRelative,
    InterfaceId,
    InterfaceName,
    InterfaceDescription,
}

/// Where an atom's values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Fields of the view's walk (two for `ip.addr`, `tcp.port`...).
    View([&'static str; 2], usize),
    /// A bit of a view field (`tcp.flags.syn` from `tcp.flags`).
    Bit(&'static str, u64),
    /// A protocol: every layer of one of these kinds (its bytes, start to end).
    Proto([LayerKind; 2], usize),
    /// The whole frame (`frame`).
    Frame,
    Meta(FrameField),
}

/// A constant to compare with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Const {
    U(u64),
    B(Vec<u8>),
    /// An address block: the bytes and the prefix length in bits.
    Net(Vec<u8>, u32),
}

/// What is asked of each value.
#[derive(Debug, Clone)]
pub enum Test {
    Exists,
    Cmp(CmpOp, Const),
    In(Vec<(Const, Const)>),
    Contains(Vec<u8>),
    Matches(regex::bytes::Regex),
}

/// One test of one field.
#[derive(Debug, Clone)]
pub struct Atom {
    pub src: Source,
    pub kind: Kind,
    pub slice: Option<Slice>,
    pub test: Test,
    /// The frame passes when every occurrence passes (`!=`, `===`), else when one does.
    pub all: bool,
}

/// The boolean tree over atoms.
#[derive(Debug, Clone)]
pub enum Node {
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    Atom(usize),
}

#[derive(Debug, Clone)]
pub struct Program {
    pub atoms: Vec<Atom>,
    pub root: Node,
}

pub fn compile(e: &Expr) -> Result<Program, FilterError> {
    let mut atoms = Vec::new();
    let root = node(e, &mut atoms)?;
    Ok(Program { atoms, root })
}

fn node(e: &Expr, atoms: &mut Vec<Atom>) -> Result<Node, FilterError> {
    Ok(match e {
        Expr::And(a, b) => Node::And(Box::new(node(a, atoms)?), Box::new(node(b, atoms)?)),
        Expr::Or(a, b) => Node::Or(Box::new(node(a, atoms)?), Box::new(node(b, atoms)?)),
        Expr::Not(a) => Node::Not(Box::new(node(a, atoms)?)),
        Expr::Exists(f) => {
            let (src, kind) = resolve(f)?;
            atoms.push(Atom {
                src,
                kind,
                slice: f.slice,
                test: Test::Exists,
                all: false,
            });
            Node::Atom(atoms.len() - 1)
        }
        Expr::Cmp(f, op, lit, col) => {
            let atom = cmp(f, *op, lit, *col)?;
            atoms.push(atom);
            Node::Atom(atoms.len() - 1)
        }
        Expr::In(f, items) => {
            let (src, kind) = resolve(f)?;
            let kind = if f.slice.is_some() { Kind::Bytes } else { kind };
            let mut set = Vec::new();
            for it in items {
                set.push(match it {
                    SetItem::One(l, c) => {
                        let v = constant(kind, l, *c, &f.name)?;
                        (v.clone(), v)
                    }
                    SetItem::Range(a, ac, b, bc) => {
                        if matches!(kind, Kind::Str) {
                            return Err(FilterError::new(*ac, "a range of strings"));
                        }
                        (
                            constant(kind, a, *ac, &f.name)?,
                            constant(kind, b, *bc, &f.name)?,
                        )
                    }
                });
            }
            atoms.push(Atom {
                src,
                kind,
                slice: f.slice,
                test: Test::In(set),
                all: false,
            });
            Node::Atom(atoms.len() - 1)
        }
    })
}

fn cmp(f: &FieldRef, op: CmpOp, lit: &Lit, col: usize) -> Result<Atom, FilterError> {
    let (src, kind) = resolve(f)?;
    let kind = if f.slice.is_some() { Kind::Bytes } else { kind };
    let test = match op {
        CmpOp::Contains => {
            if !matches!(kind, Kind::Mac | Kind::Bytes | Kind::Str) {
                return Err(FilterError::new(
                    f.col,
                    format!("{} ({}) cannot be used with contains", f.name, kind.what()),
                ));
            }
            match constant(Kind::Bytes, lit, col, &f.name)? {
                Const::B(b) => Test::Contains(b),
                _ => unreachable!("bytes constant"),
            }
        }
        CmpOp::Matches => {
            if !matches!(kind, Kind::Bytes | Kind::Str) {
                return Err(FilterError::new(
                    f.col,
                    format!("{} ({}) cannot be used with matches", f.name, kind.what()),
                ));
            }
            let pat = match lit {
                Lit::Str(s) => String::from_utf8_lossy(s).into_owned(),
                Lit::Word(w) => w.clone(),
            };
            // tshark 4.0's `matches` ignores case unless the pattern says `(?-i)`.
            let re = regex::bytes::RegexBuilder::new(&pat)
                .case_insensitive(true)
                .size_limit(1 << 20)
                .build()
                .map_err(|e| {
                    let e = e.to_string();
                    let last = e.lines().last().unwrap_or("").trim().to_string();
                    FilterError::new(col, format!("not a regular expression: {last}"))
                })?;
            Test::Matches(re)
        }
        _ => {
            let c = constant(kind, lit, col, &f.name)?;
            if matches!(c, Const::Net(..))
                && !matches!(op, CmpOp::Eq | CmpOp::Ne | CmpOp::AnyNe | CmpOp::AllEq)
            {
                return Err(FilterError::new(
                    col,
                    "an address block compares only with == and !=",
                ));
            }
            Test::Cmp(op, c)
        }
    };
    Ok(Atom {
        src,
        kind,
        slice: f.slice,
        test,
        all: matches!(op, CmpOp::Ne | CmpOp::AllEq),
    })
}

/// Fields tshark has and the view spells as another field's bit.
const BITS: &[(&str, &str, u64)] = &[
    ("tcp.flags.fin", "tcp.flags", 0x001),
    ("tcp.flags.syn", "tcp.flags", 0x002),
    ("tcp.flags.reset", "tcp.flags", 0x004),
    ("tcp.flags.push", "tcp.flags", 0x008),
    ("tcp.flags.ack", "tcp.flags", 0x010),
    ("tcp.flags.urg", "tcp.flags", 0x020),
    ("tcp.flags.ece", "tcp.flags", 0x040),
    ("tcp.flags.cwr", "tcp.flags", 0x080),
    ("tcp.flags.ae", "tcp.flags", 0x100),
];

/// The either-direction fields.
const PAIRS: &[(&str, [&str; 2])] = &[
    ("eth.addr", ["eth.src", "eth.dst"]),
    ("ip.addr", ["ip.src", "ip.dst"]),
    ("ipv6.addr", ["ipv6.src", "ipv6.dst"]),
    ("tcp.port", ["tcp.srcport", "tcp.dstport"]),
    ("udp.port", ["udp.srcport", "udp.dstport"]),
    ("arp.src.hw", ["arp.src.hw_mac", "arp.src.hw_mac"]),
];

const PROTOS: &[(&str, [LayerKind; 2], usize)] = &[
    ("eth", [LayerKind::Eth, LayerKind::Eth], 1),
    ("llc", [LayerKind::Llc, LayerKind::Llc], 1),
    ("vlan", [LayerKind::Vlan, LayerKind::Vlan], 1),
    ("ieee8021ad", [LayerKind::Dot1ad, LayerKind::Dot1ad], 1),
    ("arp", [LayerKind::Arp, LayerKind::Arp], 1),
    ("mpls", [LayerKind::Mpls, LayerKind::Mpls], 1),
    ("ip", [LayerKind::Ipv4, LayerKind::Ipv4], 1),
    ("ipv6", [LayerKind::Ipv6, LayerKind::Ipv6], 1),
    ("tcp", [LayerKind::Tcp, LayerKind::Tcp], 1),
    ("udp", [LayerKind::Udp, LayerKind::Udp], 1),
    ("icmp", [LayerKind::Icmp, LayerKind::Icmp], 1),
    ("icmpv6", [LayerKind::Icmpv6, LayerKind::Icmpv6], 1),
    ("igmp", [LayerKind::Igmp, LayerKind::Igmp], 1),
    ("gre", [LayerKind::Gre, LayerKind::Gre], 1),
    ("vxlan", [LayerKind::Vxlan, LayerKind::Vxlan], 1),
    ("geneve", [LayerKind::Geneve, LayerKind::Geneve], 1),
    ("erspan", [LayerKind::Erspan, LayerKind::Erspan], 1),
    ("nsh", [LayerKind::Nsh, LayerKind::Nsh], 1),
    ("pim", [LayerKind::Pim, LayerKind::Pim], 1),
    ("data", [LayerKind::Data, LayerKind::Data], 1),
    ("data.data", [LayerKind::Data, LayerKind::Data], 1),
];

const FRAME: &[(&str, FrameField, Kind)] = &[
    ("frame.number", FrameField::Number, Kind::Uint),
    ("frame.len", FrameField::Len, Kind::Uint),
    ("frame.cap_len", FrameField::CapLen, Kind::Uint),
    ("frame.time_epoch", FrameField::TimeEpoch, Kind::Time),
    ("frame.time_relative", FrameField::TimeRelative, Kind::Time),
    ("frame.interface_id", FrameField::InterfaceId, Kind::Uint),
    ("frame.interface_name", FrameField::InterfaceName, Kind::Str),
    (
        "frame.interface_description",
        FrameField::InterfaceDescription,
        Kind::Str,
    ),
];

/// The type of a field of the view.
fn view_kind(name: &str) -> Kind {
    match name {
        "eth.src" | "eth.dst" | "arp.src.hw_mac" | "arp.dst.hw_mac" | "icmpv6.opt.linkaddr" => {
            Kind::Mac
        }
        "ip.src" | "ip.dst" | "arp.src.proto_ipv4" | "arp.dst.proto_ipv4" => Kind::Ipv4,
        "ipv6.src" | "ipv6.dst" | "icmpv6.nd.ns.target_address" | "icmpv6.nd.na.target_address" => {
            Kind::Ipv6
        }
        "ip.options"
        | "tcp.options"
        | "ipv6.exthdrs"
        | "icmp.rest"
        | "icmpv6.rest"
        | "nsh.contextheader"
        | "nsh.metadata"
        | "pim.res_bytes"
        | "geneve.options"
        | "geneve.option"
        | "geneve.option.unknown.data" => Kind::Bytes,
        "ip.flags.rb"
        | "ip.flags.df"
        | "ip.flags.mf"
        | "gre.flags.checksum"
        | "gre.flags.routing"
        | "gre.flags.key"
        | "gre.flags.sequence_number"
        | "gre.flags.strict_source_route"
        | "erspan.direction"
        | "vxlan.flag_g"
        | "vxlan.flag_i"
        | "vxlan.flag_d"
        | "vxlan.flag_a"
        | "geneve.flags.oam"
        | "geneve.flags.critical"
        | "geneve.flags.reserved"
        | "geneve.option.type.critical"
        | "geneve.option.flags.reserved"
        | "pim.register_flag.border"
        | "pim.register_flag.null_register" => Kind::Bool,
        _ => Kind::Uint,
    }
}

/// Every name a filter accepts (for the "did you mean" of an unknown one).
fn all_names() -> impl Iterator<Item = &'static str> {
    view::FIELD_NAMES
        .iter()
        .copied()
        .chain(view::ALIASES.iter().map(|(a, _)| *a))
        .chain(BITS.iter().map(|b| b.0))
        .chain(PAIRS.iter().map(|p| p.0))
        .chain(PROTOS.iter().map(|p| p.0))
        .chain(FRAME.iter().map(|p| p.0))
        .chain(std::iter::once("frame"))
}

fn resolve(f: &FieldRef) -> Result<(Source, Kind), FilterError> {
    let n = f.name.as_str();
    if n == "frame" {
        return Ok((Source::Frame, Kind::Bytes));
    }
    if let Some((_, p, k)) = PROTOS.iter().find(|p| p.0 == n) {
        return Ok((Source::Proto(*p, *k), Kind::Bytes));
    }
    if let Some((_, ff, k)) = FRAME.iter().find(|p| p.0 == n) {
        return Ok((Source::Meta(*ff), *k));
    }
    if let Some((_, pair)) = PAIRS.iter().find(|p| p.0 == n) {
        let k = if pair[0] == pair[1] { 1 } else { 2 };
        return Ok((Source::View(*pair, k), view_kind(pair[0])));
    }
    if let Some((_, base, bit)) = BITS.iter().find(|b| b.0 == n) {
        return Ok((Source::Bit(base, *bit), Kind::Bool));
    }
    if let Some(c) = view::canonical_name(n) {
        return Ok((Source::View([c, c], 1), view_kind(c)));
    }
    let mut close: Vec<(usize, &str)> = all_names()
        .map(|c| (strsim::damerau_levenshtein(n, c), c))
        .filter(|(d, _)| *d <= 2.max(n.len() / 4))
        .collect();
    close.sort();
    close.dedup_by(|a, b| a.1 == b.1);
    let hint: Vec<String> = close.iter().take(3).map(|c| format!("'{}'", c.1)).collect();
    let hint = if hint.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", hint.join(" or "))
    };
    Err(FilterError::new(
        f.col,
        format!("'{n}' is not a field or protocol vethbench knows{hint}"),
    ))
}

/// A literal of the type of `field` (any name a filter accepts), for checking a filter whose
/// value is filled in later (a scenario's `${saved}`); `None` for an unknown name.
pub fn sample_literal(field: &str) -> Option<&'static str> {
    let f = FieldRef {
        name: field.to_string(),
        col: 1,
        slice: None,
    };
    let (_, kind) = resolve(&f).ok()?;
    Some(match kind {
        Kind::Uint | Kind::Bool | Kind::Time => "0",
        Kind::Mac => "00:00:00:00:00:00",
        Kind::Ipv4 => "0.0.0.0",
        Kind::Ipv6 => "::",
        Kind::Bytes => "00",
        Kind::Str => "\"\"",
    })
}

/// A literal converted to `kind`.
fn constant(kind: Kind, lit: &Lit, col: usize, field: &str) -> Result<Const, FilterError> {
    let bad = |why: &str| {
        let shown = match lit {
            Lit::Word(w) => format!("'{w}'"),
            Lit::Str(s) => format!("\"{}\"", String::from_utf8_lossy(s)),
        };
        FilterError::new(
            col,
            format!("{shown} is not {} (the type of {field}){why}", kind.what()),
        )
    };
    let word = match lit {
        Lit::Word(w) => w.as_str(),
        Lit::Str(s) => {
            return match kind {
                Kind::Bytes | Kind::Str => Ok(Const::B(s.clone())),
                _ => Err(bad(": a quoted string")),
            }
        }
    };
    match kind {
        Kind::Uint => parse_uint(word).map(Const::U).ok_or_else(|| bad("")),
        Kind::Bool => match word {
            // tshark 4.0 takes `True` and `TRUE`; `true` too here.
            "1" | "True" | "TRUE" | "true" => Ok(Const::U(1)),
            "0" | "False" | "FALSE" | "false" => Ok(Const::U(0)),
            _ => parse_uint(word)
                .map(|v| Const::U(u64::from(v != 0)))
                .ok_or_else(|| bad("")),
        },
        Kind::Time => parse_secs(word).map(Const::U).ok_or_else(|| bad("")),
        Kind::Mac => match parse_bytes(word) {
            Some(b) if b.len() == 6 => Ok(Const::B(b)),
            _ => Err(bad("")),
        },
        Kind::Ipv4 => net(word, 32, |a| {
            a.parse::<Ipv4Addr>().ok().map(|a| a.octets().to_vec())
        })
        .ok_or_else(|| bad("")),
        Kind::Ipv6 => net(word, 128, |a| {
            a.parse::<Ipv6Addr>().ok().map(|a| a.octets().to_vec())
        })
        .ok_or_else(|| bad("")),
        Kind::Bytes => parse_bytes(word).map(Const::B).ok_or_else(|| bad("")),
        Kind::Str => Ok(Const::B(word.as_bytes().to_vec())),
    }
}

/// `ADDR` or `ADDR/BITS`.
fn net(w: &str, max: u32, addr: impl Fn(&str) -> Option<Vec<u8>>) -> Option<Const> {
    match w.split_once('/') {
        None => addr(w).map(Const::B),
        Some((a, p)) => {
            let bits: u32 = p.parse().ok().filter(|b| *b <= max)?;
            Some(Const::Net(addr(a)?, bits))
        }
    }
}

/// A number in any base: `80`, `0x50`, `0120` (octal), `0b1010000`.
pub fn parse_uint(w: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = w.strip_prefix("0x").or_else(|| w.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = w.strip_prefix("0b").or_else(|| w.strip_prefix("0B")) {
        (b, 2)
    } else if w.len() > 1 && w.starts_with('0') {
        (&w[1..], 8)
    } else {
        (w, 10)
    };
    if digits.is_empty() || digits.starts_with('+') {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `SECS[.FRACTION]` in ns.
fn parse_secs(w: &str) -> Option<u64> {
    let (s, frac) = w.split_once('.').unwrap_or((w, ""));
    if frac.len() > 9
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || !s.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: u64 = if s.is_empty() { 0 } else { s.parse().ok()? };
    let mut ns: u64 = 0;
    for (i, d) in frac.bytes().enumerate() {
        ns += u64::from(d - b'0') * 10u64.pow(8 - i as u32);
    }
    secs.checked_mul(1_000_000_000)?.checked_add(ns)
}

/// Bytes as tshark writes them: hex pairs separated by `:`, `-` or `.` (`02:00:00`), or one
/// run of hex pairs (`020000`); groups of four hex digits separated by `.` (`0200.0000.0001`);
/// a single byte `2`, `02` or `0x02`.
pub fn parse_bytes(w: &str) -> Option<Vec<u8>> {
    // One byte as a hex number (tshark takes `eth.dst[0] == 0xff`).
    if let Some(h) = w.strip_prefix("0x").filter(|h| (1..=2).contains(&h.len())) {
        return u8::from_str_radix(h, 16).ok().map(|b| vec![b]);
    }
    let parts: Vec<&str> = w.split([':', '-', '.']).collect();
    let mut out = Vec::new();
    // Cisco's dotted form of a MAC: `0200.0000.0001`.
    if parts.len() > 1 && w.contains('.') && parts.iter().all(|p| p.len() == 4) {
        for p in parts {
            let v = u16::from_str_radix(p, 16).ok()?;
            out.extend_from_slice(&v.to_be_bytes());
        }
        return Some(out);
    }
    if parts.len() == 1 {
        let h = parts[0];
        if h.len() == 1 {
            return u8::from_str_radix(h, 16).ok().map(|b| vec![b]);
        }
        if !h.len().is_multiple_of(2) {
            return None;
        }
        for i in (0..h.len()).step_by(2) {
            out.push(u8::from_str_radix(h.get(i..i + 2)?, 16).ok()?);
        }
        return Some(out);
    }
    for p in parts {
        if p.is_empty() || p.len() > 2 {
            return None;
        }
        out.push(u8::from_str_radix(p, 16).ok()?);
    }
    Some(out)
}
