//! Field conditions of `expect` and `sr`: `fields: {ip.ttl: 63, udp.dstport: 9,
//! ip.src: 198.18.1.2}`, checked on a received frame through the packet view
//! ([`crate::frame::view::dissect`]), with its names (tshark's, [`FIELD_NAMES`]) and its values
//! as it prints them.
//!
//! Comparison: numbers compare as numbers whichever way they are written (`ip.flags: 2`,
//! `ip.flags: 0x02` and the view's `0x02` are equal; `true`/`false` are 1/0, for
//! `ip.flags.df`), addresses as addresses (`2001:2::1` equals `2001:0002:0:0::1`), anything
//! else as text, MACs without regard to case. A field a frame holds more than once (QinQ tags,
//! the packet quoted by an ICMP error) satisfies the condition when any occurrence does, as
//! tshark's display filter `==` does. A condition on a field the frame lacks fails.
//!
//! What stays true: a [`FieldCond`] names a field the view can dissect (checked when built), and
//! never `data` (whose printed value is only a length: give a frame instead).

use std::fmt;
use std::net::IpAddr;

use crate::frame::view::{self, FIELD_NAMES};
use crate::harness::matcher::{FieldDiff, Mismatch};

/// A value as compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Norm {
    Int(u128),
    Addr(IpAddr),
    Text(String),
}

fn norm(s: &str) -> Norm {
    let t = s.trim();
    let int = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(h) => u128::from_str_radix(h, 16).ok(),
        None if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => t.parse().ok(),
        None => None,
    };
    if let Some(i) = int {
        return Norm::Int(i);
    }
    match t {
        "true" | "True" => return Norm::Int(1),
        "false" | "False" => return Norm::Int(0),
        _ => {}
    }
    if let Ok(a) = t.parse::<IpAddr>() {
        return Norm::Addr(a);
    }
    Norm::Text(t.to_ascii_lowercase())
}

/// `name == value` on a received frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldCond {
    /// A name of [`FIELD_NAMES`].
    pub name: &'static str,
    /// The value as written.
    pub value: String,
    want: Norm,
}

impl fmt::Display for FieldCond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} == {}", self.name, self.value)
    }
}

impl FieldCond {
    /// `name` (tshark's spelling accepted) equal to `value`; an error message naming the known
    /// fields when the name is not one.
    pub fn new(name: &str, value: &str) -> Result<Self, String> {
        let Some(known) = view::canonical_name(name.trim()) else {
            return Err(format!(
                "unknown field '{}' (the packet view's, as tshark names them: {})",
                name.trim(),
                FIELD_NAMES
                    .iter()
                    .filter(|n| **n != "data")
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        };
        if known == "data" {
            return Err("'data' cannot be a field condition (give a frame instead)".into());
        }
        if value.trim().is_empty() {
            return Err(format!("{known}: empty value"));
        }
        // Shorthand for the display filter's `==`: a value not of the field's type is refused
        // as the filter refuses it (a `${saved}` value is checked when the step runs).
        if !value.contains("${") {
            crate::frame::filter::Filter::parse(&format!("{known} == {}", value.trim()))
                .map_err(|e| format!("{known}: {}", e.msg))?;
        }
        Ok(FieldCond {
            name: known,
            value: value.trim().to_string(),
            want: norm(value),
        })
    }

    /// The values `frame` holds for this field, as the view prints them (outer first).
    pub fn values(&self, fields: &[view::Field]) -> Vec<String> {
        fields
            .iter()
            .filter(|f| f.name == self.name)
            .map(|f| f.value.clone())
            .collect()
    }

    /// True when one of the frame's values of the field equals the condition's.
    pub fn holds(&self, fields: &[view::Field]) -> bool {
        fields
            .iter()
            .any(|f| f.name == self.name && norm(&f.value) == self.want)
    }
}

/// True when every condition holds on `frame`.
pub fn all_hold(conds: &[FieldCond], frame: &[u8]) -> bool {
    let fields = view::dissect(frame);
    conds.iter().all(|c| c.holds(&fields))
}

/// The conditions that do not hold on `frame`, as diffs (`ip.ttl: expected 63, got 64`).
pub fn mismatch(conds: &[FieldCond], frame: &[u8]) -> Mismatch {
    let fields = view::dissect(frame);
    Mismatch {
        diffs: conds
            .iter()
            .filter(|c| !c.holds(&fields))
            .map(|c| {
                let got = c.values(&fields);
                FieldDiff {
                    name: c.name,
                    expected: c.value.clone(),
                    got: if got.is_empty() {
                        "(absent)".to_string()
                    } else {
                        got.join(",")
                    },
                }
            })
            .collect(),
    }
}

/// `ip.ttl == 63 and udp.dstport == 9`.
pub fn describe(conds: &[FieldCond]) -> String {
    conds
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::expr;

    fn frame(e: &str) -> Vec<u8> {
        expr::parse(e).unwrap().build().unwrap().remove(0)
    }

    #[test]
    fn values_compare_as_the_view_prints_them() {
        let f = frame(
            r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IP(src="198.18.1.2", dst="198.18.2.2", ttl=63, id=0x1234, flags="DF")/UDP(sport=7, dport=9)/"hi""#,
        );
        for (n, v) in [
            ("ip.ttl", "63"),
            ("udp.dstport", "9"),
            ("ip.src", "198.18.1.2"),
            ("ip.id", "0x1234"),
            ("ip.id", "4660"),
            ("ip.flags", "2"),
            ("ip.flags", "0x02"),
            ("ip.flags.df", "true"),
            ("ip.flags.mf", "0"),
            ("eth.src", "02:00:00:00:00:01"),
            ("eth.dst", "02:00:00:00:00:02"),
            (
                "ip.checksum",
                &format!("{}", {
                    let v = view::dissect(&f);
                    let c = v.iter().find(|x| x.name == "ip.chksum").unwrap();
                    u16::from_str_radix(c.value.trim_start_matches("0x"), 16).unwrap()
                }),
            ),
        ] {
            let c = FieldCond::new(n, v).unwrap();
            assert!(all_hold(std::slice::from_ref(&c), &f), "{c}");
        }
        let bad = [
            FieldCond::new("ip.ttl", "64").unwrap(),
            FieldCond::new("tcp.dstport", "9").unwrap(),
        ];
        assert!(!all_hold(&bad, &f));
        let m = mismatch(&bad, &f).to_string();
        assert_eq!(
            m, "ip.ttl: expected 64, got 63\ntcp.dstport: expected 9, got (absent)",
            "{m}"
        );
        assert!(mismatch(&[FieldCond::new("ip.ttl", "63").unwrap()], &f)
            .diffs
            .is_empty());
    }

    #[test]
    fn names_are_checked() {
        assert!(FieldCond::new("ip.tll", "1")
            .unwrap_err()
            .contains("ip.ttl"));
        assert!(FieldCond::new("data", "1").is_err());
        assert!(FieldCond::new("ip.ttl", " ").is_err());
        assert_eq!(
            FieldCond::new("udp.checksum", "0").unwrap().name,
            "udp.chksum"
        );
    }

    #[test]
    fn ipv6_addresses_compare_as_addresses() {
        let f = frame(
            r#"Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")/IPv6(src="2001:2::1", dst="2001:2::2")/UDP(sport=7, dport=9)"#,
        );
        let c = FieldCond::new("ipv6.src", "2001:0002:0:0::1").unwrap();
        assert!(all_hold(&[c], &f));
    }
}
