//! Scapy 2.5's contrib tunnel layers: `ERSPAN` (an alias of `ERSPAN_II`, as Scapy's
//! `dispatch_hook` makes it), `ERSPAN_I`, `ERSPAN_II`, `ERSPAN_III`, `ERSPAN_PlatformSpecific`
//! (contrib/erspan.py); `NSH` with `NSHTLV` context headers (contrib/nsh.py); `GENEVE`
//! with `GeneveOptions` (contrib/geneve.py); `PIMv2Hdr` (contrib/pim.py). Each with Scapy's
//! defaults, its quirks kept (NSH's MD type 2 length counts TLVs, not words; GENEVE's computed
//! `optionlen` is masked with 0x2f), byte-exact with Scapy (`tests/expr_scapy.rs`).

use super::super::{Ctx, ExprError, Fields, LayerClass, Value};
use super::icmp::enum_u8;
use super::l2::row;
use super::pseudo::checksum;
use super::Binding;

pub(super) const PROTOS: &[&dyn LayerClass] = &[
    &ErspanI,
    &ErspanII("ERSPAN_II"),
    &ErspanII("ERSPAN"),
    &ErspanIII,
    &ErspanPlatform,
    &Nsh,
    &NshTlv,
    &Geneve,
    &PimV2,
];

/// Scapy 2.5's rows (erspan.py, nsh.py, geneve.py, pim.py, mpls.py's UDP and GRE rows).
pub(super) const BINDINGS: &[Binding] = &[
    row(
        "GRE",
        "ERSPAN_I",
        &[("proto", 0x88be), ("seqnum_present", 0)],
    ),
    row(
        "GRE",
        "ERSPAN_II",
        &[("proto", 0x88be), ("seqnum_present", 1)],
    ),
    row("GRE", "ERSPAN", &[("proto", 0x88be), ("seqnum_present", 1)]),
    row("GRE", "ERSPAN_III", &[("proto", 0x22eb)]),
    row("ERSPAN_III", "Ether", &[("o", 0)]),
    row("ERSPAN_III", "ERSPAN_PlatformSpecific", &[("o", 1)]),
    row("Ether", "NSH", &[("type", 0x894f)]),
    row("GRE", "NSH", &[("proto", 0x894f)]),
    // `bind_layers(VXLAN, NSH, {'flags': 0xC, 'nextproto': 4})`: VXLAN has no `nextproto`,
    // so only the flags are set (NextProtocol stays 0, as Scapy builds it).
    row("VXLAN", "NSH", &[("flags", 0x0c)]),
    row("NSH", "IP", &[("nextproto", 1)]),
    row("NSH", "IPv6", &[("nextproto", 2)]),
    row("NSH", "Ether", &[("nextproto", 3)]),
    row("NSH", "NSH", &[("nextproto", 4)]),
    row("NSH", "MPLS", &[("nextproto", 5)]),
    row("UDP", "GENEVE", &[("dport", 6081)]),
    row("GENEVE", "Ether", &[("proto", 0x6558)]),
    row("GENEVE", "IP", &[("proto", 0x0800)]),
    row("GENEVE", "IPv6", &[("proto", 0x86dd)]),
    row("IP", "PIMv2Hdr", &[("frag", 0), ("proto", 103)]),
    row("UDP", "MPLS", &[("dport", 6635)]),
    row("GRE", "MPLS", &[("proto", 0x8847)]),
];

/// A `BitEnumField` of `bits` bits: an int, or one of `names`.
fn enum_bits(
    f: &Fields,
    name: &str,
    bits: u32,
    default: u64,
    names: &'static [(u8, &'static str)],
) -> Result<u64, ExprError> {
    match f.get(name) {
        None => Ok(default),
        Some(Value::Str(_)) => Ok(enum_u8(f, name, names.iter().copied())?.unwrap_or(0).into()),
        _ => f.uint_or(name, bits, default),
    }
}

/// `ERSPAN_I()`: no header of its own.
#[derive(Debug)]
pub struct ErspanI;

impl LayerClass for ErspanI {
    fn name(&self) -> &'static str {
        "ERSPAN_I"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[]
    }
    fn build(&self, _f: &Fields, _ctx: &Ctx, _out: &mut Vec<u8>) -> Result<(), ExprError> {
        Ok(())
    }
}

/// `ERSPAN_II(ver=0, vlan=0, cos=0, en=0, t=0, session_id=0, reserved=0, index=0)` (Scapy's
/// version defaults to 0, not type II's 1); `ERSPAN()` is the same class.
#[derive(Debug)]
pub struct ErspanII(&'static str);

impl LayerClass for ErspanII {
    fn name(&self) -> &'static str {
        self.0
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "ver",
            "vlan",
            "cos",
            "en",
            "t",
            "session_id",
            "reserved",
            "index",
        ]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        word0(f, "en", 0, out)?;
        let w = (f.uint_or("reserved", 12, 0)? << 20) | f.uint_or("index", 20, 0)?;
        out.extend_from_slice(&(w as u32).to_be_bytes());
        Ok(())
    }
}

/// The first word of types II and III: version, VLAN, COS, `en`/`bso`, T, session id.
fn word0(f: &Fields, en: &str, ver: u64, out: &mut Vec<u8>) -> Result<(), ExprError> {
    let w = (f.uint_or("ver", 4, ver)? << 28)
        | (f.uint_or("vlan", 12, 0)? << 16)
        | (f.uint_or("cos", 3, 0)? << 13)
        | (f.uint_or(en, 2, 0)? << 11)
        | (f.uint_or("t", 1, 0)? << 10)
        | f.uint_or("session_id", 10, 0)?;
    out.extend_from_slice(&(w as u32).to_be_bytes());
    Ok(())
}

/// `ERSPAN_III(ver=2, vlan, cos, bso, t, session_id, timestamp, sgt_other, p, ft, hw, d,
/// gra, o)`.
#[derive(Debug)]
pub struct ErspanIII;

const FRAME_TYPES: &[(u8, &str)] = &[(0, "Ethernet"), (2, "IP")];
const GRANULARITIES: &[(u8, &str)] = &[(0, "100us"), (1, "100ns"), (2, "IEEE 1588")];

impl LayerClass for ErspanIII {
    fn name(&self) -> &'static str {
        "ERSPAN_III"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "ver",
            "vlan",
            "cos",
            "bso",
            "t",
            "session_id",
            "timestamp",
            "sgt_other",
            "p",
            "ft",
            "hw",
            "d",
            "gra",
            "o",
        ]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        word0(f, "bso", 2, out)?;
        out.extend_from_slice(&(f.uint_or("timestamp", 32, 0)? as u32).to_be_bytes());
        out.extend_from_slice(&(f.uint_or("sgt_other", 16, 0)? as u16).to_be_bytes());
        let w = (f.uint_or("p", 1, 0)? << 15)
            | (enum_bits(f, "ft", 5, 0, FRAME_TYPES)? << 10)
            | (f.uint_or("hw", 6, 0)? << 4)
            | (f.uint_or("d", 1, 0)? << 3)
            | (enum_bits(f, "gra", 2, 0, GRANULARITIES)? << 1)
            | f.uint_or("o", 1, 0)?;
        out.extend_from_slice(&(w as u16).to_be_bytes());
        Ok(())
    }
}

/// `ERSPAN_PlatformSpecific(platf_id=0, info1=0, info2=0)`.
#[derive(Debug)]
pub struct ErspanPlatform;

impl LayerClass for ErspanPlatform {
    fn name(&self) -> &'static str {
        "ERSPAN_PlatformSpecific"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["platf_id", "info1", "info2"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let w = (f.uint_or("platf_id", 6, 0)? << 26) | f.uint_or("info1", 26, 0)?;
        out.extend_from_slice(&(w as u32).to_be_bytes());
        out.extend_from_slice(&(f.uint_or("info2", 32, 0)? as u32).to_be_bytes());
        Ok(())
    }
}

const MD_TYPES: &[(u8, &str)] = &[
    (0, "Reserved MDType"),
    (1, "Fixed Length"),
    (2, "Variable Length"),
    (0xf, "Experimental MDType"),
];
const NEXT_PROTOS: &[(u8, &str)] = &[
    (1, "IPv4"),
    (2, "IPv6"),
    (3, "Ethernet"),
    (4, "NSH"),
    (5, "MPLS"),
    (0xfe, "Experiment 1"),
    (0xff, "Experiment 2"),
];

/// `NSH(ver=0, oam=0, unused1=0, ttl=63, length=None, unused2=0, mdtype=1, nextproto=3,
/// spi=0, si=255)`, then `context_header` (16 bytes, zero-padded) for MD type 1 or the
/// `vlch` list of `NSHTLV()` for MD type 2. The computed length is 6 for MD type 1 and, as
/// Scapy counts it, the number of TLVs plus 2 for MD type 2.
#[derive(Debug)]
pub struct Nsh;

impl LayerClass for Nsh {
    fn name(&self) -> &'static str {
        "NSH"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "ver",
            "oam",
            "unused1",
            "ttl",
            "length",
            "unused2",
            "mdtype",
            "nextproto",
            "spi",
            "si",
            "context_header",
            "vlch",
        ]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let md = enum_bits(f, "mdtype", 4, 1, MD_TYPES)?;
        let tlvs = match f.get("vlch") {
            None | Some(Value::None) => Vec::new(),
            Some(Value::List(v)) | Some(Value::Tuple(v)) => v.clone(),
            Some(v @ Value::Call { .. }) => vec![v.clone()],
            Some(_) => return Err(f.type_err("vlch", "a list of NSHTLV()")),
        };
        let len = match f.uint("length", 6)? {
            Some(n) => n,
            None if md == 1 => 6,
            None => f.computed("NSH", "length", "vlch", tlvs.len() + 2, 6)?,
        };
        let w = (f.uint_or("ver", 2, 0)? << 14)
            | (f.uint_or("oam", 1, 0)? << 13)
            | (f.uint_or("unused1", 1, 0)? << 12)
            | (f.uint_or("ttl", 6, 63)? << 6)
            | len;
        out.extend_from_slice(&(w as u16).to_be_bytes());
        out.push(((f.uint_or("unused2", 4, 0)? << 4) | md) as u8);
        out.push(enum_bits(f, "nextproto", 8, 3, NEXT_PROTOS)? as u8);
        out.extend_from_slice(&(f.uint_or("spi", 24, 0)? as u32).to_be_bytes()[1..]);
        out.push(f.uint_or("si", 8, 0xff)? as u8);
        match md {
            1 => {
                let mut c = f.bytes("context_header")?.unwrap_or_default();
                c.resize(16, 0);
                out.extend_from_slice(&c);
            }
            2 => {
                for t in &tlvs {
                    tlv(f, t, out)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// One `NSHTLV(class_=0, type=0, reserved=0, length=0)` of `vlch`, without metadata (Scapy
/// 2.5 cannot build its `metadata` list: it writes garbage).
fn tlv(f: &Fields, v: &Value, out: &mut Vec<u8>) -> Result<(), ExprError> {
    let Value::Call { name, args, kwargs } = v else {
        return Err(f.err(
            "vlch",
            format!("vlch takes a list of NSHTLV(), not {}", v.a_type_name()),
        ));
    };
    if name != "NSHTLV" || !args.is_empty() {
        return Err(f.err(
            "vlch",
            format!("vlch takes a list of NSHTLV(field=value...), not {name}()"),
        ));
    }
    let mut tf = Fields::default();
    for (k, val) in kwargs {
        let Some(&k) = NshTlv.fields().iter().find(|a| **a == k) else {
            return Err(f.err("vlch", format!("NSHTLV() has no field '{k}'")));
        };
        tf.set(k, val.clone(), f.col("vlch"));
    }
    let ctx = Ctx {
        below: &[],
        above: &[],
        payload: &[],
    };
    NshTlv.build(&tf, &ctx, out)
}

/// `NSHTLV(class_=0, type=0, reserved=0, length=0)`: an MD type 2 context header.
#[derive(Debug)]
pub struct NshTlv;

impl LayerClass for NshTlv {
    fn name(&self) -> &'static str {
        "NSHTLV"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["class_", "type", "reserved", "length"]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        out.extend_from_slice(&(f.uint_or("class_", 16, 0)? as u16).to_be_bytes());
        out.push(f.uint_or("type", 8, 0)? as u8);
        out.push(((f.uint_or("reserved", 1, 0)? << 7) | f.uint_or("length", 7, 0)?) as u8);
        Ok(())
    }
}

/// `GENEVE(version=0, optionlen=None, oam=0, critical=0, reserved=0, proto=0, vni=0,
/// reserved2=0, options=[GeneveOptions()...])`.
#[derive(Debug)]
pub struct Geneve;

impl LayerClass for Geneve {
    fn name(&self) -> &'static str {
        "GENEVE"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "version",
            "optionlen",
            "oam",
            "critical",
            "reserved",
            "proto",
            "vni",
            "reserved2",
            "options",
        ]
    }
    fn build(&self, f: &Fields, _ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let items = match f.get("options") {
            None | Some(Value::None) => Vec::new(),
            Some(Value::List(v)) | Some(Value::Tuple(v)) => v.clone(),
            Some(v @ Value::Call { .. }) => vec![v.clone()],
            Some(_) => return Err(f.type_err("options", "a list of GeneveOptions()")),
        };
        let mut opts = Vec::new();
        for v in &items {
            geneve_option(f, v, &mut opts)?;
        }
        // Scapy's post_build masks the computed length (in words) with 0x2f.
        let optlen = match f.uint("optionlen", 6)? {
            Some(n) => n,
            None => (opts.len() / 4) as u64 & 0x2f,
        };
        out.push(((f.uint_or("version", 2, 0)? << 6) | optlen) as u8);
        out.push(
            ((f.uint_or("oam", 1, 0)? << 7)
                | (f.uint_or("critical", 1, 0)? << 6)
                | f.uint_or("reserved", 6, 0)?) as u8,
        );
        out.extend_from_slice(&(f.uint_or("proto", 16, 0)? as u16).to_be_bytes());
        out.extend_from_slice(&(f.uint_or("vni", 24, 0)? as u32).to_be_bytes()[1..]);
        out.push(f.uint_or("reserved2", 8, 0)? as u8);
        out.extend_from_slice(&opts);
        Ok(())
    }
}

/// One `GeneveOptions(classid=0, type=0, reserved=0, length=None, data=b"")` of `options`:
/// a computed length is the data's in 4-byte words and, as Scapy's post_build packs it, the
/// whole byte (the reserved bits cleared); the data is not padded.
fn geneve_option(f: &Fields, v: &Value, out: &mut Vec<u8>) -> Result<(), ExprError> {
    let Value::Call { name, args, kwargs } = v else {
        return Err(f.err(
            "options",
            format!(
                "options takes a list of GeneveOptions(), not {}",
                v.a_type_name()
            ),
        ));
    };
    if name != "GeneveOptions" || !args.is_empty() {
        return Err(f.err(
            "options",
            format!("options takes a list of GeneveOptions(field=value...), not {name}()"),
        ));
    }
    const FIELDS: [&str; 5] = ["classid", "type", "reserved", "length", "data"];
    let mut of = Fields::default();
    for (k, val) in kwargs {
        let Some(&k) = FIELDS.iter().find(|a| **a == k) else {
            return Err(f.err("options", format!("GeneveOptions() has no field '{k}'")));
        };
        of.set(k, val.clone(), f.col("options"));
    }
    let data = of.bytes("data")?.unwrap_or_default();
    out.extend_from_slice(&(of.uint_or("classid", 16, 0)? as u16).to_be_bytes());
    out.push(of.uint_or("type", 8, 0)? as u8);
    out.push(match of.uint("length", 5)? {
        Some(n) => ((of.uint_or("reserved", 3, 0)? << 5) | n) as u8,
        None => of.computed("GeneveOptions", "length", "options", data.len() / 4, 8)? as u8,
    });
    out.extend_from_slice(&data);
    Ok(())
}

const PIM_TYPES: &[(u8, &str)] = &[
    (0, "Hello"),
    (1, "Register"),
    (2, "Register-Stop"),
    (3, "Join/Prune"),
    (4, "Bootstrap"),
    (5, "Assert"),
    (6, "Graft"),
    (7, "Graft-Ack"),
    (8, "Candidate-RP-Advertisement"),
];

/// `PIMv2Hdr(version=2, type=0, reserved=0, chksum=None)`: the checksum, computed, covers the
/// header and all its payload (Scapy's post_build; a Register's inner packet included).
#[derive(Debug)]
pub struct PimV2;

impl LayerClass for PimV2 {
    fn name(&self) -> &'static str {
        "PIMv2Hdr"
    }
    fn fields(&self) -> &'static [&'static str] {
        &["version", "type", "reserved", "chksum"]
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let b0 = (f.uint_or("version", 4, 2)? << 4) | enum_bits(f, "type", 4, 0, PIM_TYPES)?;
        let mut h = [b0 as u8, f.uint_or("reserved", 8, 0)? as u8, 0, 0];
        let ck = match f.uint("chksum", 16)? {
            Some(c) => c as u16,
            None => checksum(&[&h, ctx.payload]),
        };
        h[2..4].copy_from_slice(&ck.to_be_bytes());
        out.extend_from_slice(&h);
        Ok(())
    }
}
