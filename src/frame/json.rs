//! tshark's `-T json`: an array of objects `{"_index": "packets-YYYY-MM-DD", "_type": "doc",
//! "_score": null, "_source": {"layers": {...}}}`, pretty-printed as tshark 4.0 prints it
//! (two-space indents), checked against tshark on the same files in `tests/read_habits.rs`.
//!
//! Two forms, as tshark's:
//! - without `-e`, [`write_frame`]: a `frame` object (`frame.encap_type`, `frame.time_epoch`,
//!   `frame.time_relative`, `frame.number`, `frame.len`, `frame.cap_len`), then one object per
//!   layer the packet view decodes (`eth`, `vlan`, `ip`, `tcp`...), its fields by tshark's names
//!   with tshark's values; a field's sub-fields (`ip.flags.df`) in its `ip.flags_tree`; the
//!   packet an ICMP error quotes inside the `icmp` object; `data` objects (`data.data` as
//!   colon-separated hex, `data.len`) last. Fields tshark has that the view does not
//!   (`ip.addr`, `tcp.stream`, expert info...) are not printed; the view's own extras
//!   (`ip.options`, `icmp.rest`, `ipv6.exthdrs`) neither.
//! - with `-e` fields, [`write_fields`]: `"layers": {"ip.src": ["198.18.0.1"], ...}`, each value
//!   as `-T fields` prints it, one array entry per occurrence, absent fields left out.
//!
//! The `_index` date is the frame's UTC date. Not a hot path: this allocates per frame.

use std::fmt::Write as _;

use super::fields::{tshark_name, write_mac_name, write_relative, Column, FieldSet, FrameInfo};
use super::reassembly::Defrag;
use super::view::{self, LayerKind};
use super::wire::ethernet;

/// Appends what comes before the object (`[` before the first, `,` before the others) and
/// the object's head.
fn head(out: &mut String, first: bool, ts_ns: u128) {
    out.push_str(if first { "[\n" } else { ",\n" });
    // Days fit u64 for any u128 of ns (2^128 ns / 86400 s < 2^64).
    let (y, m, d) = civil((ts_ns / 1_000_000_000 / 86_400) as u64);
    let _ = write!(
        out,
        "  {{\n    \"_index\": \"packets-{y:04}-{m:02}-{d:02}\",\n    \"_type\": \"doc\",\n    \
         \"_score\": null,\n    \"_source\": {{\n      \"layers\": "
    );
}

fn tail(out: &mut String) {
    out.push_str("\n    }\n  }");
}

/// What ends the array: `]` after the frames, `[]` when there was none.
pub fn end(out: &mut String, any: bool) {
    out.push_str(if any { "\n]\n" } else { "[]\n" });
}

/// One frame in the `-e` form (no trailing newline; the `first` opens the array).
pub fn write_fields(out: &mut String, first: bool, fs: &FieldSet, data: &[u8], info: &FrameInfo) {
    head(out, first, info.ts_ns);
    let mut any = false;
    let mut v = String::new();
    for col in fs.fields() {
        let mut vals: Vec<String> = Vec::new();
        column_values(*col, data, info, &mut v, &mut |s| vals.push(s.to_string()));
        if vals.is_empty() {
            continue;
        }
        out.push_str(if any { ",\n" } else { "{\n" });
        any = true;
        let _ = write!(out, "        ");
        string(out, column_name(*col));
        out.push_str(": [\n");
        for (i, s) in vals.iter().enumerate() {
            if i > 0 {
                out.push_str(",\n");
            }
            out.push_str("          ");
            string(out, s);
        }
        out.push_str("\n        ]");
    }
    out.push_str(if any { "\n      }" } else { "{}" });
    tail(out);
}

/// The name tshark gives a column in the `-e` form (the name it was asked by).
fn column_name(col: Column) -> &'static str {
    match col {
        Column::Eth => "eth",
        Column::FrameNumber => "frame.number",
        Column::FrameTimeRelative => "frame.time_relative",
        Column::FrameTimeEpoch => "frame.time_epoch",
        Column::FrameLen => "frame.len",
        Column::FrameCapLen => "frame.cap_len",
        Column::FrameInterfaceId => "frame.interface_id",
        Column::FrameInterfaceName => "frame.interface_name",
        Column::FrameInterfaceDescription => "frame.interface_description",
        Column::Data => "data",
        Column::Proto(k) => super::fields::proto_name(k),
        Column::Field(n) => tshark_name(n),
    }
}

/// Each value of `col` in the frame, as `-T fields` prints it.
fn column_values(
    col: Column,
    data: &[u8],
    info: &FrameInfo,
    s: &mut String,
    each: &mut dyn FnMut(&str),
) {
    s.clear();
    match col {
        Column::Eth | Column::Data => {
            let lay = view::layout_defrag(data, info.encap, info.defrag);
            let want = if col == Column::Eth {
                LayerKind::Eth
            } else {
                LayerKind::Data
            };
            for h in lay.layers().iter().filter(|h| h.proto == want) {
                s.clear();
                if want == LayerKind::Data {
                    s.push_str(&view::hex(&data[h.start..h.end]));
                } else if ethernet::Header::new_unchecked(&data[h.start..]).is_8023() {
                    s.push_str("IEEE 802.3 Ethernet ");
                } else {
                    let eth = ethernet::Header::new_unchecked(&data[h.start..]);
                    let (src, dst) = (eth.src(), eth.dst());
                    s.push_str("Ethernet II, Src: ");
                    write_mac_name(s, src);
                    let _ = write!(s, " ({src}), Dst: ");
                    write_mac_name(s, dst);
                    let _ = write!(s, " ({dst})");
                }
                each(s);
            }
        }
        Column::Proto(kind) => {
            let lay = view::layout_defrag(data, info.encap, info.defrag);
            let quote = super::fields::quoted_from(&lay, data);
            for h in lay.layers().iter().filter(|h| h.proto == kind) {
                s.clear();
                super::fields::write_proto(s, data, h, super::fields::quoted_at(h, quote));
                each(s);
            }
        }
        Column::Field(name) => {
            view::walk_defrag(
                data,
                info.encap,
                info.defrag,
                |n: &'static str, _, v: &dyn Fn(&mut String)| {
                    if n == name {
                        s.clear();
                        v(s);
                        each(s);
                    }
                },
            );
        }
        frame => {
            FieldSet::from_columns(vec![frame]).write_frame(s, data, info);
            // A pcap file's frames have no interface fields: left out, as tshark does.
            if !s.is_empty() {
                each(s);
            }
        }
    }
}

/// Fields of the view tshark does not have.
const VIEW_ONLY: [&str; 5] = [
    "ip.options",
    "icmp.rest",
    "icmpv6.rest",
    "ipv6.exthdrs",
    "data",
];

/// The fields reassembly adds (`ip.fragment`, `ip.reassembled.length`...): tshark nests them in
/// `ip.fragments_tree` (IPv6: an `ipv6.fragments` object), which the full form does not build
/// yet, so it leaves them out (docs/read.md); the `-e` form has them.
fn is_reassembly_field(name: &str) -> bool {
    [
        "ip.fragment",
        "ip.reassembled",
        "ipv6.fragment",
        "ipv6.reassembled",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Byte fields: tshark's JSON writes them as colon-separated hex.
const BYTES: [&str; 6] = [
    "tcp.options",
    "nsh.contextheader",
    "nsh.metadata",
    "geneve.options",
    "geneve.option",
    "geneve.option.unknown.data",
];

/// A JSON value of the full form: a string, or an object whose keys may repeat (two `vlan`).
enum Node {
    Leaf(&'static str, String),
    Obj(String, Vec<Node>),
}

/// The layer objects of `data`, in tshark's shape.
fn layers(data: &[u8], encap: view::Encap, defrag: Option<&Defrag>) -> Vec<Node> {
    let lay = view::layout_defrag(data, encap, defrag);
    let quoted = lay
        .layers()
        .iter()
        .find(|h| h.proto == LayerKind::Quoted)
        .map(|h| h.start);
    let mut top: Vec<Node> = Vec::new();
    for f in view::dissect_defrag(data, encap, defrag) {
        if VIEW_ONLY.contains(&f.name) || is_reassembly_field(f.name) {
            continue;
        }
        let name = tshark_name(f.name);
        let prefix = match name.split('.').next().unwrap_or(name) {
            // tshark's ipv6 object starts with the version as `ip.version`.
            "ip" if name == "ip.version" && f.value == "6" => "ipv6",
            p => p,
        };
        // The packet an ICMP error quotes goes inside the icmp object, as tshark puts it.
        let container = match (quoted.is_some_and(|q| f.range.start >= q), top.last_mut()) {
            (true, Some(Node::Obj(_, kids))) => kids,
            _ => &mut top,
        };
        let fresh = match container.last() {
            // A layer's first field again: the next header of that kind (two VLAN tags),
            // unless it follows itself (tshark prints ERSPAN's unknown version twice).
            Some(Node::Obj(p, kids)) => {
                p != prefix
                    || (matches!(kids.first(), Some(Node::Leaf(n, _)) if *n == name)
                        && !(kids.len() == 1
                            && matches!(kids.last(), Some(Node::Leaf(n, _)) if *n == name)))
            }
            _ => true,
        };
        if fresh {
            container.push(Node::Obj(prefix.to_string(), Vec::new()));
        }
        let Some(Node::Obj(_, kids)) = container.last_mut() else {
            continue;
        };
        let value = if BYTES.contains(&name) {
            colon_hex(&f.value)
        } else {
            f.value
        };
        // A sub-field (`ip.flags.df`) goes in its parent's `_tree`, after the parent.
        let parent = kids.iter().rev().find_map(|k| match k {
            Node::Leaf(n, _) if name.len() > n.len() + 1 && name.starts_with(n) => {
                name[n.len()..].starts_with('.').then_some(*n)
            }
            _ => None,
        });
        match parent {
            Some(p) => {
                let tree = format!("{p}_tree");
                let has = matches!(kids.last(), Some(Node::Obj(t, _)) if *t == tree);
                if !has {
                    kids.push(Node::Obj(tree, Vec::new()));
                }
                if let Some(Node::Obj(_, t)) = kids.last_mut() {
                    t.push(Node::Leaf(name, value));
                }
            }
            None => kids.push(Node::Leaf(name, value)),
        }
    }
    for h in lay.layers().iter().filter(|h| h.proto == LayerKind::Data) {
        let b = &data[h.start..h.end];
        // An echo's data sits in the icmp object; what follows a quoted packet, after it.
        let container = match top.last_mut() {
            Some(Node::Obj(p, kids)) if quoted.is_none() && (p == "icmp" || p == "icmpv6") => kids,
            _ => &mut top,
        };
        container.push(Node::Obj(
            "data".into(),
            vec![
                Node::Leaf("data.data", colon_hex(&view::hex(b))),
                Node::Leaf("data.len", b.len().to_string()),
            ],
        ));
    }
    top
}

/// Appends `nodes` as the members of an object whose keys sit at `ind` spaces.
fn members(out: &mut String, nodes: &[Node], ind: usize) {
    for (i, n) in nodes.iter().enumerate() {
        out.push_str(if i > 0 { ",\n" } else { "\n" });
        let _ = write!(out, "{:ind$}", "");
        match n {
            Node::Leaf(k, v) => {
                string(out, k);
                out.push_str(": ");
                string(out, v);
            }
            Node::Obj(k, kids) => {
                string(out, k);
                out.push_str(": {");
                members(out, kids, ind + 2);
                let _ = write!(out, "\n{:ind$}}}", "");
            }
        }
    }
}

/// One frame in the full form (no trailing newline; the `first` opens the array).
pub fn write_frame(out: &mut String, first: bool, data: &[u8], info: &FrameInfo) {
    head(out, first, info.ts_ns);
    let mut rel = String::new();
    write_relative(&mut rel, info.ts_ns, info.t0_ns);
    let mut fr = Vec::new();
    if let Some(i) = info.iface {
        // tshark 4.0: the interface's id, then its name and description in a tree.
        fr.push(Node::Leaf("frame.interface_id", i.id.to_string()));
        let mut tree = Vec::new();
        if let Some(n) = i.name {
            tree.push(Node::Leaf("frame.interface_name", n.to_string()));
        }
        if let Some(d) = i.description {
            tree.push(Node::Leaf("frame.interface_description", d.to_string()));
        }
        if !tree.is_empty() {
            fr.push(Node::Obj("frame.interface_id_tree".into(), tree));
        }
    }
    fr.extend([
        Node::Leaf(
            "frame.encap_type",
            info.encap
                .wtap_encap()
                .map_or_else(|| "-1".to_string(), |e| e.to_string()),
        ),
        Node::Leaf(
            "frame.time_epoch",
            format!(
                "{}.{:09}",
                info.ts_ns / 1_000_000_000,
                info.ts_ns % 1_000_000_000
            ),
        ),
        Node::Leaf("frame.time_relative", rel),
        Node::Leaf("frame.number", info.number.to_string()),
        Node::Leaf("frame.len", info.wire_len.to_string()),
        Node::Leaf("frame.cap_len", info.cap_len(data).to_string()),
    ]);
    let frame = Node::Obj("frame".into(), fr);
    let mut all = vec![frame];
    all.extend(layers(data, info.encap, info.defrag));
    out.push('{');
    members(out, &all, 8);
    out.push_str("\n      }");
    tail(out);
}

/// `020405b4` → `02:04:05:b4`.
fn colon_hex(h: &str) -> String {
    let mut s = String::with_capacity(h.len() * 3 / 2);
    for (i, c) in h.chars().enumerate() {
        if i > 0 && i % 2 == 0 {
            s.push(':');
        }
        s.push(c);
    }
    s
}

/// A JSON string, escaped.
fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Year, month, day of a day count since 1970-01-01 (Howard Hinnant's civil_from_days).
fn civil(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil(0), (1970, 1, 1));
        assert_eq!(civil(1_700_000_000 / 86_400), (2023, 11, 14));
        assert_eq!(civil(11_016), (2000, 2, 29));
    }

    #[test]
    fn output_is_json() {
        let frame = [
            2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 21, 0, 1, 0x40, 0, 64, 17, 0, 0,
            198, 18, 0, 1, 198, 18, 0, 2, 0, 0,
        ];
        let info = FrameInfo {
            number: 1,
            ts_ns: 1_700_000_000_000_000_000,
            t0_ns: 1_700_000_000_000_000_000,
            wire_len: frame.len() as u32,
            iface: None,
            encap: view::Encap::Ethernet,
            defrag: None,
        };
        let mut s = String::new();
        write_frame(&mut s, true, &frame, &info);
        end(&mut s, true);
        let v: serde_json::Value = serde_json::from_str(&s).expect(&s);
        let l = &v[0]["_source"]["layers"];
        assert_eq!(l["ip"]["ip.src"], "198.18.0.1", "{s}");
        assert_eq!(l["ip"]["ip.flags_tree"]["ip.flags.df"], "1", "{s}");
        assert_eq!(l["frame"]["frame.number"], "1");
    }
}
