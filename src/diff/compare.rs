//! The field-level differences of two paired frames: both dissected by the packet view, fields
//! paired by name and occurrence (the second `ip.ttl` of an IP-in-IP frame with the second),
//! ignored fields left out. Only frames whose keys differ come here.

use super::{DiffOptions, Frame};
use crate::frame::view;

/// One field that differs: its value in A and in B (`None`: the frame has no such field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDiff {
    pub field: String,
    pub a: Option<String>,
    pub b: Option<String>,
}

impl FieldDiff {
    pub(super) fn new(field: &str, a: Option<String>, b: Option<String>) -> FieldDiff {
        FieldDiff {
            field: field.to_string(),
            a,
            b,
        }
    }
}

/// Seconds with nanoseconds, as tshark prints `frame.time_relative`.
pub(super) fn secs(ns: u64) -> String {
    format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000)
}

/// `data` is shown as hex up to this many bytes, else by its length and first differing offset.
const DATA_HEX_MAX: usize = 32;

fn fields_of(f: &Frame<'_>) -> Vec<(&'static str, String)> {
    if f.linktype != 1 {
        return vec![("data", hex_or_len(f.data))];
    }
    view::dissect(f.data)
        .into_iter()
        .map(|fd| {
            let v = if fd.name == "data" {
                hex_or_len(f.data.get(fd.range).unwrap_or_default())
            } else {
                fd.value
            };
            (fd.name, v)
        })
        .collect()
}

fn hex_or_len(b: &[u8]) -> String {
    if b.len() <= DATA_HEX_MAX {
        view::hex(b)
    } else {
        format!("{} bytes", b.len())
    }
}

/// The differences of `a` and `b` that `o` does not ignore, in A's field order, then the
/// fields only B has.
pub(super) fn fields(a: &Frame<'_>, b: &Frame<'_>, o: &DiffOptions) -> Vec<FieldDiff> {
    let mut out = Vec::new();
    for (name, va, vb) in [
        ("frame.len", a.orig_len, b.orig_len),
        ("frame.cap_len", a.data.len() as u32, b.data.len() as u32),
        ("frame.interface_id", a.iface, b.iface),
    ] {
        if va != vb && !o.ignores(name) {
            out.push(FieldDiff::new(
                name,
                Some(va.to_string()),
                Some(vb.to_string()),
            ));
        }
    }
    let (fa, fb) = (fields_of(a), fields_of(b));
    let occurrence = |list: &[(&'static str, String)], k: usize| {
        list[..k].iter().filter(|(n, _)| *n == list[k].0).count()
    };
    let find = |list: &[(&'static str, String)], name: &str, nth: usize| {
        list.iter()
            .filter(|(n, _)| *n == name)
            .nth(nth)
            .map(|(_, v)| v.clone())
    };
    for (k, (name, va)) in fa.iter().enumerate() {
        if o.ignores(name) {
            continue;
        }
        let vb = find(&fb, name, occurrence(&fa, k));
        if vb.as_deref() != Some(va.as_str()) {
            out.push(FieldDiff::new(name, Some(va.clone()), vb));
        }
    }
    for (k, (name, vb)) in fb.iter().enumerate() {
        if o.ignores(name) {
            continue;
        }
        if find(&fa, name, occurrence(&fb, k)).is_none() {
            out.push(FieldDiff::new(name, None, Some(vb.clone())));
        }
    }
    let data_differs = |x: &[u8], y: &[u8]| x != y;
    if out.is_empty() && data_differs(a.data, b.data) {
        // Bytes no decoded field covers (an undecoded link type, a cut header): say where.
        let at = a
            .data
            .iter()
            .zip(b.data)
            .position(|(x, y)| x != y)
            .unwrap_or(a.data.len().min(b.data.len()));
        out.push(FieldDiff::new(
            "frame.bytes",
            Some(format!(
                "byte {at}: {}",
                hex_or_len(a.data.get(at..at + 1).unwrap_or_default())
            )),
            Some(format!(
                "byte {at}: {}",
                hex_or_len(b.data.get(at..at + 1).unwrap_or_default())
            )),
        ));
    }
    out
}
