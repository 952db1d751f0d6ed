//! What `expect` compares a received frame with: exact bytes, bytes with named fields masked
//! out, or a predicate. A mismatch gives a field-level diff (`ip.ttl: expected 64, got 63`).
//!
//! Masks are byte ranges taken from the packet view's [`dissect`](crate::frame::view::dissect)
//! of the expected frame, so a sub-byte field masks the whole byte(s) that hold it (`ip.flags`
//! masks the fragment offset's first byte too). Field names are the view's
//! ([`FIELD_NAMES`]): `eth.src`, `vlan.id`, `ip.id`, `ip.ttl`, `ip.chksum`, `ipv6.hlim`,
//! `ipv6.flow`, `tcp.seq`, `tcp.ack`, `tcp.chksum`, `udp.chksum`, `icmp.chksum`,
//! `icmpv6.chksum`, `data`..., with tshark's spellings accepted too (`ip.checksum`). Not a hot
//! path: matching allocates.

use std::fmt;
use std::ops::Range;

use super::HarnessError;
pub use crate::frame::view::FIELD_NAMES;
use crate::frame::view::{self as dissect, Field};

/// A predicate over a frame.
pub type Predicate = Box<dyn Fn(&[u8]) -> bool + Send + Sync>;

/// What a frame is expected to be.
pub enum Matcher {
    /// These bytes, exactly.
    Exact(Vec<u8>),
    /// These bytes, except in the masked ranges (same length required).
    Masked {
        expected: Vec<u8>,
        fields: Vec<&'static str>,
        ranges: Vec<Range<usize>>,
    },
    /// Any frame for which the predicate holds; `what` describes it in messages.
    Predicate { what: String, f: Predicate },
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

impl From<Vec<u8>> for Matcher {
    fn from(v: Vec<u8>) -> Self {
        Matcher::Exact(v)
    }
}

impl From<&[u8]> for Matcher {
    fn from(v: &[u8]) -> Self {
        Matcher::Exact(v.to_vec())
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    pub name: &'static str,
    pub expected: String,
    pub got: String,
}

impl fmt::Display for FieldDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}, got {}",
            self.name, self.expected, self.got
        )
    }
}

/// Why a frame did not match: the differing fields, in frame order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub diffs: Vec<FieldDiff>,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diffs.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl Matcher {
    pub fn exact(bytes: impl Into<Vec<u8>>) -> Self {
        Matcher::Exact(bytes.into())
    }

    /// `bytes` with the named fields (as found in `bytes`) masked out.
    pub fn masked(bytes: impl Into<Vec<u8>>, fields: &[&str]) -> Result<Self, HarnessError> {
        let expected = bytes.into();
        let dissected = dissect::dissect(&expected);
        let mut names = Vec::with_capacity(fields.len());
        let mut ranges = Vec::new();
        for &name in fields {
            let Some(known) = dissect::canonical_name(name) else {
                return Err(HarnessError::UnknownField {
                    field: name.to_string(),
                    known: FIELD_NAMES.join(", "),
                });
            };
            let found: Vec<_> = dissected.iter().filter(|f| f.name == known).collect();
            if found.is_empty() {
                return Err(HarnessError::UnknownField {
                    field: format!("{name} (not in the expected frame)"),
                    known: dissected
                        .iter()
                        .map(|f| f.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                });
            }
            ranges.extend(found.iter().map(|f| f.range.clone()));
            names.push(known);
        }
        Ok(Matcher::Masked {
            expected,
            fields: names,
            ranges,
        })
    }

    pub fn predicate(
        what: impl Into<String>,
        f: impl Fn(&[u8]) -> bool + Send + Sync + 'static,
    ) -> Self {
        Matcher::Predicate {
            what: what.into(),
            f: Box::new(f),
        }
    }

    /// The expected bytes, when the matcher has some.
    pub fn expected(&self) -> Option<&[u8]> {
        match self {
            Matcher::Exact(b) | Matcher::Masked { expected: b, .. } => Some(b),
            Matcher::Predicate { .. } => None,
        }
    }

    /// One line saying what is expected.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Exact(b) => format!("exactly these {} bytes", b.len()),
            Matcher::Masked {
                expected, fields, ..
            } => {
                format!(
                    "these {} bytes, ignoring {}",
                    expected.len(),
                    fields.join(", ")
                )
            }
            Matcher::Predicate { what, .. } => format!("a frame where {what}"),
        }
    }

    pub fn matches(&self, frame: &[u8]) -> bool {
        match self {
            Matcher::Exact(b) => frame == &b[..],
            Matcher::Masked {
                expected, ranges, ..
            } => {
                frame.len() == expected.len()
                    && (0..frame.len())
                        .all(|i| frame[i] == expected[i] || ranges.iter().any(|r| r.contains(&i)))
            }
            Matcher::Predicate { f, .. } => f(frame),
        }
    }

    /// None when `frame` matches; otherwise the field-level diff.
    pub fn mismatch(&self, frame: &[u8]) -> Option<Mismatch> {
        if self.matches(frame) {
            return None;
        }
        Some(match self {
            Matcher::Exact(b) => diff(b, frame, &[]),
            Matcher::Masked {
                expected, fields, ..
            } => diff(expected, frame, fields),
            Matcher::Predicate { what, .. } => Mismatch {
                diffs: vec![FieldDiff {
                    name: "predicate",
                    expected: what.clone(),
                    got: "false".to_string(),
                }],
            },
        })
    }
}

/// The field-level differences between `expected` and `got`, ignoring fields named in `skip`.
pub fn diff(expected: &[u8], got: &[u8], skip: &[&str]) -> Mismatch {
    let e = dissect::dissect(expected);
    let g = dissect::dissect(got);
    let mut diffs = Vec::new();
    if expected.len() != got.len() {
        diffs.push(FieldDiff {
            name: "frame.len",
            expected: expected.len().to_string(),
            got: got.len().to_string(),
        });
    }
    // Pair fields by name and occurrence (stacked VLAN tags repeat names).
    let nth =
        |fs: &[Field], name: &str, k: usize| fs.iter().filter(|f| f.name == name).nth(k).cloned();
    let occurrence =
        |fs: &[Field], i: usize| fs[..i].iter().filter(|f| f.name == fs[i].name).count();
    for (i, ef) in e.iter().enumerate() {
        if skip.contains(&ef.name) {
            continue;
        }
        match nth(&g, ef.name, occurrence(&e, i)) {
            None => diffs.push(FieldDiff {
                name: ef.name,
                expected: ef.value.clone(),
                got: "(absent)".to_string(),
            }),
            Some(gf) if ef.name == "data" => {
                let (eb, gb) = (&expected[ef.range.clone()], &got[gf.range.clone()]);
                if eb != gb {
                    diffs.push(data_diff(eb, gb));
                }
            }
            Some(gf) if gf.value != ef.value => diffs.push(FieldDiff {
                name: ef.name,
                expected: ef.value.clone(),
                got: gf.value,
            }),
            Some(_) => {}
        }
    }
    for (i, gf) in g.iter().enumerate() {
        if !skip.contains(&gf.name) && nth(&e, gf.name, occurrence(&g, i)).is_none() {
            diffs.push(FieldDiff {
                name: gf.name,
                expected: "(absent)".to_string(),
                got: gf.value.clone(),
            });
        }
    }
    if diffs.is_empty() {
        // Only masked fields or undissected bytes differ: point at the first byte.
        if let Some(i) = expected.iter().zip(got).position(|(a, b)| a != b) {
            diffs.push(FieldDiff {
                name: "bytes",
                expected: format!("0x{:02x} at offset {i}", expected[i]),
                got: format!("0x{:02x}", got[i]),
            });
        }
    }
    Mismatch { diffs }
}

fn data_diff(e: &[u8], g: &[u8]) -> FieldDiff {
    let i = e
        .iter()
        .zip(g)
        .position(|(a, b)| a != b)
        .unwrap_or(e.len().min(g.len()));
    let at = |b: &[u8]| match b.get(i) {
        Some(x) => format!("0x{x:02x}"),
        None => "end".to_string(),
    };
    FieldDiff {
        name: "data",
        expected: format!("{} bytes ({} at data offset {i})", e.len(), at(e)),
        got: format!("{} bytes ({})", g.len(), at(g)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::PacketBuilder;

    fn tcp4(ttl: u8, seq: u32, payload: &[u8]) -> Vec<u8> {
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], ttl)
            .tcp(1111, 2222, seq, 8192);
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    #[test]
    fn exact_and_ttl_diff() {
        let e = tcp4(64, 1, b"hello");
        let m = Matcher::exact(e.clone());
        assert!(m.matches(&e));
        let g = tcp4(63, 1, b"hello");
        let mm = m.mismatch(&g).unwrap();
        let text = mm.to_string();
        assert!(text.contains("ip.ttl: expected 64, got 63"), "{text}");
        assert!(text.contains("ip.chksum: expected"), "{text}");
        // Nothing else differs.
        assert_eq!(mm.diffs.len(), 2, "{text}");
    }

    #[test]
    fn masked_fields_are_ignored() {
        let e = tcp4(64, 1000, b"x");
        let m =
            Matcher::masked(e.clone(), &["ip.ttl", "ip.chksum", "tcp.seq", "tcp.chksum"]).unwrap();
        assert!(m.matches(&tcp4(3, 99999, b"x")));
        let mm = m.mismatch(&tcp4(3, 99999, b"y")).unwrap();
        assert_eq!(mm.diffs.len(), 1, "{mm}");
        assert_eq!(mm.diffs[0].name, "data");
        // Not masked: the TCP checksum changes too, and shows up.
        let m2 = Matcher::masked(e, &["ip.ttl", "ip.chksum"]).unwrap();
        let mm = m2.mismatch(&tcp4(3, 1000, b"y")).unwrap().to_string();
        assert!(mm.contains("tcp.chksum"), "{mm}");
        assert!(!mm.contains("ip.ttl"), "{mm}");
    }

    #[test]
    fn unknown_or_absent_fields_are_errors() {
        let e = tcp4(64, 1, b"");
        assert!(matches!(
            Matcher::masked(e.clone(), &["ip.tll"]),
            Err(HarnessError::UnknownField { .. })
        ));
        assert!(matches!(
            Matcher::masked(e, &["udp.chksum"]),
            Err(HarnessError::UnknownField { .. })
        ));
    }

    #[test]
    fn predicate_and_length() {
        let m = Matcher::predicate("the frame is longer than 60 bytes", |f| f.len() > 60);
        assert!(!m.matches(&tcp4(64, 1, b"")));
        assert!(m.matches(&tcp4(64, 1, &[0; 40])));
        assert_eq!(
            m.mismatch(&tcp4(64, 1, b"")).unwrap().diffs[0].name,
            "predicate"
        );
        let mm = Matcher::exact(tcp4(64, 1, b"ab"))
            .mismatch(&tcp4(64, 1, b"abc"))
            .unwrap()
            .to_string();
        assert!(mm.contains("frame.len: expected 56, got 57"), "{mm}");
        assert!(mm.contains("ip.len: expected 42, got 43"), "{mm}");
    }

    #[test]
    fn extra_layer_shows_as_absent() {
        let plain = tcp4(64, 1, b"");
        let b = PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .single_vlan(etherparse::VlanId::try_new(7).unwrap())
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
            .tcp(1111, 2222, 1, 8192);
        let mut tagged = Vec::new();
        b.write(&mut tagged, b"").unwrap();
        let mm = Matcher::exact(plain).mismatch(&tagged).unwrap().to_string();
        assert!(mm.contains("vlan.id: expected (absent), got 7"), "{mm}");
        assert!(mm.contains("eth.type: expected 0x0800, got 0x8100"), "{mm}");
    }
}
