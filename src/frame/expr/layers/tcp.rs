//! `TCP`, with its options as Scapy's `TCPOptionsField` writes them.

use super::super::{Ctx, ExprError, Fields, LayerClass, Value};
use super::pseudo::l4_checksum;
use super::udp::{port, Services};
use super::Binding;
use crate::frame::wire::tcp;

pub(super) const PROTOS: &[&dyn LayerClass] = &[&Tcp];
pub(super) const BINDINGS: &[Binding] = &[
    Binding {
        lower: "IP",
        upper: "TCP",
        fields: &[("frag", 0), ("proto", 6)],
    },
    Binding {
        lower: "IPv6",
        upper: "TCP",
        fields: &[("nh", 6)],
    },
];

/// Scapy's `FlagsField("flags", 0x2, 9, "FSRPAUECN")`: bit i is letter i.
const FLAG_LETTERS: &str = crate::frame::TcpFlags::LETTERS;

/// `TCP(sport=20, dport=80, seq=0, ack=0, dataofs=None, reserved=0, flags="S", window=8192,
/// chksum=None, urgptr=0, options=[])`.
#[derive(Debug)]
pub struct Tcp;

impl LayerClass for Tcp {
    fn name(&self) -> &'static str {
        "TCP"
    }
    fn fields(&self) -> &'static [&'static str] {
        &[
            "sport", "dport", "seq", "ack", "dataofs", "reserved", "flags", "window", "chksum",
            "urgptr", "options",
        ]
    }
    fn resolve(&self, f: &mut Fields, _env: &dyn super::super::Env) -> Result<(), ExprError> {
        header(f).map(|_| ())
    }
    fn build(&self, f: &Fields, ctx: &Ctx, out: &mut Vec<u8>) -> Result<(), ExprError> {
        let mut h = header(f)?;
        if f.uint("chksum", 16)?.is_none() {
            if let Some(ck) = l4_checksum(6, ctx, &[&h, ctx.payload])? {
                tcp::Header::new_unchecked(&mut h[..]).set_checksum(ck);
            }
        }
        out.extend_from_slice(&h);
        Ok(())
    }
}

/// The header with its options, the checksum as given (0 when it is to be computed).
fn header(f: &Fields) -> Result<Vec<u8>, ExprError> {
    let sport = port(f, "sport", Services::Tcp)?.unwrap_or(20);
    let dport = port(f, "dport", Services::Tcp)?.unwrap_or(80);
    let seq = f.uint_or("seq", 32, 0)? as u32;
    let ack = f.uint_or("ack", 32, 0)? as u32;
    let reserved = f.uint_or("reserved", 3, 0)? as u16;
    let flags = flags(f, "flags", FLAG_LETTERS, 9)?.unwrap_or(0x2) as u16;
    let window = f.uint_or("window", 16, 8192)? as u16;
    let chksum = f.uint_or("chksum", 16, 0)? as u16;
    let urgptr = f.uint_or("urgptr", 16, 0)? as u16;
    let opts = options(f)?;
    // Unset: 0 here, then computed below as Scapy's post_build does.
    let dataofs = f.uint_or("dataofs", 4, 0)? as u16;
    let b12 = (dataofs << 12) | (reserved << 9) | flags;
    let mut h = Vec::with_capacity(20 + opts.len());
    h.extend_from_slice(&sport.to_be_bytes());
    h.extend_from_slice(&dport.to_be_bytes());
    h.extend_from_slice(&seq.to_be_bytes());
    h.extend_from_slice(&ack.to_be_bytes());
    h.extend_from_slice(&b12.to_be_bytes());
    h.extend_from_slice(&window.to_be_bytes());
    h.extend_from_slice(&chksum.to_be_bytes());
    h.extend_from_slice(&urgptr.to_be_bytes());
    h.extend_from_slice(&opts);
    if f.uint("dataofs", 4)?.is_none() {
        // `(dataofs << 4) | p[12] & 0x0f`: more than 40 bytes of options do not fit.
        let d = f.computed("TCP", "dataofs", "options", 5 + opts.len().div_ceil(4), 4)?;
        let at = tcp::field::DATA_OFF.start;
        h[at] = ((d << 4) as u8) | (h[at] & 0x0f);
    }
    Ok(h)
}

/// A Scapy `FlagsField` with one-letter names: an int, a string of letters (`"SA"`), or a list
/// of letters.
pub(super) fn flags(
    f: &Fields,
    name: &str,
    letters: &str,
    bits: u32,
) -> Result<Option<u64>, ExprError> {
    // The one TCP-flag parser (either case, as `--flags` takes them).
    let one = |s: &str| -> Result<u64, ExprError> {
        crate::frame::TcpFlags::parse_letters(s)
            .map(|t| u64::from(t.0))
            .map_err(|c| {
                f.err(
                    name,
                    format!("{name}: unknown flag '{c}' (flags are the letters {letters})"),
                )
            })
    };
    match f.get(name) {
        Some(Value::Str(s)) => one(s).map(Some),
        Some(Value::List(items)) => {
            let mut v = 0;
            for it in items {
                match it {
                    Value::Str(s) if s.chars().count() == 1 => v |= one(s)?,
                    _ => {
                        return Err(f.type_err(
                            name,
                            "an int, a string of flag letters or a list of letters",
                        ))
                    }
                }
            }
            Ok(Some(v))
        }
        Some(Value::None) => Ok(Some(0)),
        Some(Value::Int(_) | Value::Bool(_)) | None => f.uint(name, bits),
        Some(_) => Err(f.type_err(name, "an int or a string of flag letters")),
    }
}

/// Scapy's TCP options by name: number and `struct` format (`None`: bytes only).
const OPTIONS: &[(&str, u8, Option<&str>)] = &[
    ("EOL", 0, None),
    ("NOP", 1, None),
    ("MSS", 2, Some("H")),
    ("WScale", 3, Some("B")),
    ("SAckOK", 4, None),
    ("SAck", 5, Some("I*")),
    ("Timestamp", 8, Some("II")),
    ("AltChkSum", 14, Some("BH")),
    ("AltChkSumOpt", 15, None),
    ("MD5", 19, Some("16s")),
    // Scapy: "!p", which a str or bytes value skips (written as it is), an int fails.
    ("Mood", 25, None),
    ("UTO", 28, Some("H")),
    ("TFO", 34, Some("II")),
];

/// `TCPOptionsField.i2m`: each `(name, value)` as kind, length, value; zero padding to 4 bytes.
fn options(f: &Fields) -> Result<Vec<u8>, ExprError> {
    let items = match f.get("options") {
        None | Some(Value::None) => return Ok(Vec::new()),
        Some(Value::Str(s)) if s.is_empty() => return Ok(Vec::new()),
        Some(Value::List(v) | Value::Tuple(v)) => v,
        Some(_) => return Err(f.type_err("options", "a list of (name, value) tuples")),
    };
    let mut out = Vec::new();
    for it in items {
        let Value::Tuple(pair) = it else {
            return Err(f.err(
                "options",
                format!(
                    "options: each option is a (name, value) tuple, not {}",
                    it.a_type_name()
                ),
            ));
        };
        let [oname, oval] = pair.as_slice() else {
            return Err(f.err("options", "options: each option is a (name, value) tuple"));
        };
        let (num, fmt, label) = match oname {
            Value::Int(0) => (0, None, "EOL".to_string()),
            Value::Int(1) => (1, None, "NOP".to_string()),
            Value::Int(n) if (0..=255).contains(n) => (*n as u8, None, n.to_string()),
            Value::Str(s) => match OPTIONS.iter().find(|o| o.0 == s) {
                Some(o) => (o.1, o.2, s.clone()),
                None => {
                    let close = super::super::build::close_in(s, OPTIONS.iter().map(|o| o.0));
                    return Err(f.err(
                        "options",
                        format!(
                            "unknown TCP option '{s}'{}",
                            match close.first() {
                                Some(c) => format!("; did you mean '{c}'?"),
                                None => String::new(),
                            }
                        ),
                    ));
                }
            },
            other => {
                return Err(f.err(
                    "options",
                    format!(
                        "options: an option is named by a str or an int, not {}",
                        other.a_type_name()
                    ),
                ))
            }
        };
        if num <= 1 {
            out.push(num);
            continue;
        }
        let bad = |why: String| f.err("options", format!("TCP option {label}: {why}"));
        let val: Vec<u8> = match (oval, fmt) {
            (Value::Bytes(b), Some(fm)) if !fm.contains('s') => b.clone(),
            (Value::Str(s), Some(fm)) if !fm.contains('s') => s.as_bytes().to_vec(),
            (Value::Bytes(b), None) => b.clone(),
            (Value::Str(s), None) => s.as_bytes().to_vec(),
            (_, None) => return Err(bad(format!("takes bytes, not {}", oval.a_type_name()))),
            (v, Some(fm)) => pack(fm, v).map_err(bad)?,
        };
        if val.len() + 2 > 255 {
            return Err(bad(format!("{} bytes is too long", val.len())));
        }
        out.push(num);
        out.push((2 + val.len()) as u8);
        out.extend_from_slice(&val);
    }
    out.resize(out.len().div_ceil(4) * 4, 0);
    Ok(out)
}

/// `struct.pack("!" + fmt, *value)` for the formats of [`OPTIONS`] (`I*`: any number of `I`).
fn pack(fmt: &str, v: &Value) -> Result<Vec<u8>, String> {
    let vals: Vec<&Value> = match v {
        Value::Tuple(t) => t.iter().collect(),
        one => vec![one],
    };
    if fmt == "16s" {
        let [b] = vals.as_slice() else {
            return Err("takes one bytes value".into());
        };
        let mut b = match b {
            Value::Bytes(b) => b.clone(),
            Value::Str(s) => s.as_bytes().to_vec(),
            o => return Err(format!("takes bytes, not {}", o.a_type_name())),
        };
        b.resize(16, 0);
        return Ok(b);
    }
    let codes: Vec<char> = if fmt == "I*" {
        vec!['I'; vals.len()]
    } else {
        fmt.chars().collect()
    };
    if codes.len() != vals.len() {
        return Err(format!(
            "takes {} value{}, not {}",
            codes.len(),
            if codes.len() == 1 { "" } else { "s" },
            vals.len()
        ));
    }
    let mut out = Vec::new();
    for (c, v) in codes.iter().zip(vals) {
        let n = match v {
            Value::Int(i) => *i,
            Value::Bool(b) => *b as i128,
            o => return Err(format!("takes ints, not {}", o.a_type_name())),
        };
        let bytes = match c {
            'B' => 1,
            'H' => 2,
            _ => 4,
        };
        if n < 0 || n >= 1i128 << (8 * bytes) {
            return Err(format!("{n} does not fit in {bytes} byte(s)"));
        }
        out.extend_from_slice(&(n as u32).to_be_bytes()[4 - bytes..]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::pseudo::stub::{after_ip, ip4, ip6, layer, unhex};
    use super::*;

    fn s(x: &str) -> Value {
        Value::Str(x.into())
    }
    fn opt(n: &str, v: Value) -> Value {
        Value::Tuple(vec![s(n), v])
    }

    #[test]
    fn syn_defaults_over_ipv4() {
        // Scapy 2.5: raw(IP(src="198.18.0.1", dst="198.18.0.2")/TCP())[20:]
        let ls = [ip4("198.18.0.1", "198.18.0.2"), layer(&Tcp, &[])];
        assert_eq!(
            after_ip(&ls),
            unhex("0014 0050 00000000 00000000 5002 2000 0357 0000")
        );
    }

    #[test]
    fn options_and_letters_over_ipv6() {
        // Scapy 2.5: raw(IPv6(src="2001:2::1", dst="2001:2::2")/TCP(flags="SA",
        //   options=[("MSS", 1460), ("NOP", None), ("WScale", 7), ("SAckOK", b""),
        //   ("SAck", (1, 2)), ("Timestamp", (3, 4)), ("EOL", None)]))[40:]
        let opts = Value::List(vec![
            opt("MSS", Value::Int(1460)),
            opt("NOP", Value::None),
            opt("WScale", Value::Int(7)),
            opt("SAckOK", Value::Bytes(vec![])),
            opt("SAck", Value::Tuple(vec![Value::Int(1), Value::Int(2)])),
            opt(
                "Timestamp",
                Value::Tuple(vec![Value::Int(3), Value::Int(4)]),
            ),
            opt("EOL", Value::None),
        ]);
        let ls = [
            ip6("2001:2::1", "2001:2::2"),
            layer(&Tcp, &[("flags", s("SA")), ("options", opts)]),
        ];
        assert_eq!(
            after_ip(&ls),
            unhex(
                "0014 0050 00000000 00000000 d012 2000 b263 0000
                 020405b4 01 030307 0402 050a0000000100000002 080a0000000300000004 00 00"
            )
        );
    }

    #[test]
    fn explicit_values_win() {
        // Scapy 2.5: raw(TCP(dataofs=4, chksum=0, flags=0x1ff, reserved=7, options=[("MSS", 1)]))
        let ls = [layer(
            &Tcp,
            &[
                ("dataofs", Value::Int(4)),
                ("chksum", Value::Int(0)),
                ("flags", Value::Int(0x1ff)),
                ("reserved", Value::Int(7)),
                ("options", Value::List(vec![opt("MSS", Value::Int(1))])),
            ],
        )];
        let b = crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).unwrap();
        assert_eq!(
            b,
            unhex("0014 0050 00000000 00000000 4fff 2000 0000 0000 02040001")
        );
    }

    #[test]
    fn long_options_do_not_wrap_dataofs() {
        // Scapy 2.5 writes raw(TCP(options=[("NOP", None)] * 41)) with dataofs 16 wrapped to
        // 0 (issue 21 item 4): a length that does not fit is an error here.
        let nops = Value::List(vec![opt("NOP", Value::None); 41]);
        let ls = [layer(&Tcp, &[("options", nops.clone())])];
        let e = crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).unwrap_err();
        assert!(e.msg.contains("does not fit"), "{e}");
        // Given explicitly, it is what the user asked for.
        let ls = [layer(
            &Tcp,
            &[("options", nops), ("dataofs", Value::Int(0))],
        )];
        let b = crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).unwrap();
        assert_eq!(&b[12..14], &[0x00, 0x02]);
        assert_eq!(b.len(), 64);
    }

    #[test]
    fn bad_options_are_errors() {
        let ls = [layer(
            &Tcp,
            &[("options", Value::List(vec![opt("MMS", Value::Int(1))]))],
        )];
        let e = crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).unwrap_err();
        assert!(e.msg.contains("did you mean 'MSS'"), "{e}");
        let ls = [layer(
            &Tcp,
            &[("options", Value::List(vec![opt("MSS", Value::Int(70000))]))],
        )];
        assert!(crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).is_err());
        let ls = [layer(&Tcp, &[("flags", s("SX"))])];
        assert!(crate::frame::expr::build_layers(&ls, &crate::frame::expr::NoEnv).is_err());
    }
}
