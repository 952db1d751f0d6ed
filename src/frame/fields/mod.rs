//! tshark-style field extraction: `-T fields -e eth.src -e ip.dst ...`, one tab-separated line
//! per frame, each value formatted as tshark 4.0 prints it (checked against tshark on the same
//! files in `tests/read_tshark.rs`: `0x0800`, `0x0002`, `0x00000000`, `1700000000.123456789`,
//! `313233`), a field the frame holds several times comma-joined, outer first (`vlan.id`
//! `100,200`; `ip.src` of an ICMP error and the packet it quotes; a VXLAN frame's two `eth.src`).
//!
//! Every header field comes from the packet view's walk ([`view::write_values`]): the column
//! names are the view's vocabulary ([`view::FIELD_NAMES`], tshark's names, and tshark's
//! spelling of the few the view names after Scapy through [`view::ALIASES`]), plus the
//! frame-level `eth`, `frame.number`, `frame.time_relative`, `frame.time_epoch`, `frame.len`,
//! `frame.cap_len`. Nothing is allocated per frame (the caller passes a reusable `String`).
//! This file holds the vocabulary and the line; `layer_text` writes a whole layer's text
//! (`-e ip`), `format` the `-E` options, MAC names and relative times.
//!
//! Differences from tshark, on purpose: `tcp.seq` and `tcp.ack` are the raw numbers (tshark
//! prints them relative to the conversation's first; compare with
//! `-o tcp.relative_sequence_numbers:FALSE`, or ask for `tcp.seq_raw`); IP fragments are
//! read as reassembly ([`crate::frame::reassembly`]) hands them over ([`FrameInfo::defrag`]:
//! the frame that completes a datagram walked with the reassembled payload, as tshark's
//! default); `data` is the bytes no header claims (the TCP or UDP payload within the IP and UDP
//! lengths, Ethernet padding excluded; an echo's data; a later fragment; what an unknown
//! EtherType or IP protocol carries), whereas tshark hands a payload to the dissector of its
//! port when it has one (53 is DNS, 20 is FTP-DATA...: there tshark's `data` is empty).
//! 802.3/LLC frames have no `data` (tshark dissects STP, CDP... there).

use std::fmt::Write as _;

use super::view::{self, LayerKind};
use super::wire::ethernet;
use super::FrameError;

mod format;
mod layer_text;

pub use format::{write_mac_name, write_relative, FieldFormat};
pub(crate) use layer_text::{proto_name, quoted_at, quoted_from, write_proto};

/// A column of `-T fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// tshark's `eth`: `Ethernet II, Src: ..., Dst: ...` (the outer header).
    Eth,
    FrameNumber,
    FrameTimeRelative,
    FrameTimeEpoch,
    FrameLen,
    FrameCapLen,
    /// pcapng only: the index of the frame's interface block.
    FrameInterfaceId,
    /// pcapng only: the interface block's `if_name`.
    FrameInterfaceName,
    /// pcapng only: the interface block's `if_description`.
    FrameInterfaceDescription,
    /// tshark's `data`: the bytes no header claims.
    Data,
    /// A protocol asked for as a field (`-e ip`, `-e udp`...): tshark's one-line text of each
    /// such layer (`Internet Protocol Version 4, Src: 198.18.0.1, Dst: 198.18.0.2`).
    Proto(LayerKind),
    /// A header field of the packet view, by its name in [`view::FIELD_NAMES`].
    Field(&'static str),
}

/// The frame-level column names (the rest are [`view::FIELD_NAMES`], `data` included).
pub const FRAME_NAMES: [&str; 9] = [
    "eth",
    "frame.number",
    "frame.time_relative",
    "frame.time_epoch",
    "frame.len",
    "frame.cap_len",
    "frame.interface_id",
    "frame.interface_name",
    "frame.interface_description",
];

/// The protocols `-e` takes as a column: tshark's one-line text of each such layer.
const PROTO_COLUMNS: [&str; 12] = [
    "eth", "vlan", "arp", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6", "igmp", "vxlan", "llc",
];

/// How many of [`FRAME_NAMES`] tshark prints for any capture, after `eth` (a protocol, in
/// [`PROTO_COLUMNS`]): `frame.number` to `frame.cap_len`; the pcapng-only `frame.interface_*`
/// are not in [`FIELD_NAMES`].
const TSHARK_FRAME_COLUMNS: usize = 5;

/// The view's fields tshark has no field for: columns of ours, not in [`FIELD_NAMES`].
const TSHARK_LACKS: [&str; 4] = ["ip.options", "ipv6.exthdrs", "icmp.rest", "icmpv6.rest"];

/// The view's names that are tshark's own although an alias of [`view::ALIASES`] also spells
/// them (`tcp.seq_raw`: tshark's raw number, which the view's `tcp.seq` is).
const TSHARK_AS_IS: [&str; 2] = ["tcp.seq", "tcp.ack"];

/// Every column `-T fields -e` accepts under the name tshark gives it, each printed as tshark
/// prints it (`tests/read_tshark.rs` checks each against tshark). The view's Scapy-spelled
/// names (`ip.chksum`, `tcp.window`, `vlan.prio`...) and the few it has that tshark lacks
/// (`ip.options`, `icmp.rest`, `ipv6.exthdrs`) are accepted too.
///
/// Derived when the crate compiles, so the two vocabularies cannot drift: the protocols, the
/// frame-level columns, then every field of [`view::FIELD_NAMES`] in its order, spelled as
/// tshark spells it (the alias of [`view::ALIASES`] that names it, unless [`TSHARK_AS_IS`]),
/// leaving out [`TSHARK_LACKS`]. A name of those two lists that is not the view's fails the
/// build.
pub const FIELD_NAMES: [&str; TSHARK_NAMES] = tshark_names();

const TSHARK_NAMES: usize =
    PROTO_COLUMNS.len() + TSHARK_FRAME_COLUMNS + view::FIELD_NAMES.len() - TSHARK_LACKS.len();

/// `a == b`, in a constant.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `list` holds `name`, in a constant.
const fn holds(list: &[&str], name: &str) -> bool {
    let mut i = 0;
    while i < list.len() {
        if same(list[i], name) {
            return true;
        }
        i += 1;
    }
    false
}

/// [`FIELD_NAMES`], built (see there).
const fn tshark_names() -> [&'static str; TSHARK_NAMES] {
    let mut out = [""; TSHARK_NAMES];
    let mut n = 0;
    while n < PROTO_COLUMNS.len() {
        out[n] = PROTO_COLUMNS[n];
        n += 1;
    }
    let mut i = 0;
    while i < TSHARK_FRAME_COLUMNS {
        out[n] = FRAME_NAMES[1 + i];
        n += 1;
        i += 1;
    }
    i = 0;
    while i < view::FIELD_NAMES.len() {
        let v = view::FIELD_NAMES[i];
        i += 1;
        if holds(&TSHARK_LACKS, v) {
            continue;
        }
        let mut name = v;
        if !holds(&TSHARK_AS_IS, v) {
            let mut a = 0;
            while a < view::ALIASES.len() {
                if same(view::ALIASES[a].1, v) {
                    name = view::ALIASES[a].0;
                    break;
                }
                a += 1;
            }
        }
        out[n] = name;
        n += 1;
    }
    assert!(n == TSHARK_NAMES);
    out
}

/// Every name of `names` is one of `list`, in a constant.
const fn all_in(names: &[&str], list: &[&str]) -> bool {
    let mut i = 0;
    while i < names.len() {
        if !holds(list, names[i]) {
            return false;
        }
        i += 1;
    }
    true
}

const _: () = assert!(
    all_in(&TSHARK_LACKS, view::FIELD_NAMES) && all_in(&TSHARK_AS_IS, view::FIELD_NAMES),
    "TSHARK_LACKS and TSHARK_AS_IS name only fields of view::FIELD_NAMES"
);

/// Why `name` is not a field, with the closest of tshark's names (the full list would be a
/// 2,000-character line).
fn unknown_field(name: &str) -> String {
    let mut close: Vec<(usize, &str)> = FIELD_NAMES
        .iter()
        .chain(FRAME_NAMES.iter())
        .map(|c| (strsim::damerau_levenshtein(name, c), *c))
        .filter(|(d, c)| *d <= 3.max(name.len() / 4) || c.starts_with(name))
        .collect();
    close.sort();
    // `eth` is in both lists: each name once.
    close.dedup();
    let names: Vec<String> = close
        .iter()
        .take(3)
        .map(|(_, c)| format!("'{c}'"))
        .collect();
    let hint = match names.len() {
        0 => String::new(),
        _ => format!("; did you mean {}?", names.join(" or ")),
    };
    format!("not a field vethbench decodes{hint} (tshark's names, listed in docs/read.md)")
}

/// The view's name of a field as tshark spells it (`vlan.prio` → `vlan.priority`,
/// `ip.chksum` → `ip.checksum`); a name tshark lacks (`ip.options`) stays as it is.
pub fn tshark_name(name: &'static str) -> &'static str {
    if FIELD_NAMES.contains(&name) {
        return name;
    }
    view::ALIASES
        .iter()
        .find(|(a, n)| *n == name && FIELD_NAMES.contains(a))
        .map_or(name, |(a, _)| a)
}

/// Every field of `frame`, each occurrence in frame order (outer first), by tshark's name
/// ([`tshark_name`]) with its value as `-T fields` prints it, followed by one `data` entry
/// (hex, as `-T fields -e data`) per run of bytes no header claims. What `-T fields` would
/// print for each name, split per occurrence: Python's `vethbench.fields()`. Frame-level
/// columns (`frame.len`...) are not included. Not a hot path: a `String` per value.
pub fn all_values(frame: &[u8]) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let lay = view::walk(
        frame,
        |name: &'static str, _: std::ops::Range<usize>, v: &dyn Fn(&mut String)| {
            let mut s = String::new();
            v(&mut s);
            out.push((tshark_name(name), s));
        },
    );
    for h in lay.layers().iter().filter(|h| h.proto == LayerKind::Data) {
        out.push(("data", view::hex(&frame[h.start..h.end])));
    }
    out
}

/// Every column name `-T fields -e` accepts (the aliases of [`view::ALIASES`] besides).
pub fn field_names() -> impl Iterator<Item = &'static str> {
    FRAME_NAMES.iter().chain(view::FIELD_NAMES).copied()
}

impl std::str::FromStr for Column {
    type Err = FrameError;
    fn from_str(s: &str) -> Result<Self, FrameError> {
        Ok(match s {
            "eth" => Column::Eth,
            "frame.number" => Column::FrameNumber,
            "frame.time_relative" => Column::FrameTimeRelative,
            "frame.time_epoch" => Column::FrameTimeEpoch,
            "frame.len" => Column::FrameLen,
            "frame.cap_len" => Column::FrameCapLen,
            "frame.interface_id" => Column::FrameInterfaceId,
            "frame.interface_name" => Column::FrameInterfaceName,
            "frame.interface_description" => Column::FrameInterfaceDescription,
            "data" | "data.data" => Column::Data,
            "vlan" => Column::Proto(LayerKind::Vlan),
            "arp" => Column::Proto(LayerKind::Arp),
            "ip" => Column::Proto(LayerKind::Ipv4),
            "ipv6" => Column::Proto(LayerKind::Ipv6),
            "tcp" => Column::Proto(LayerKind::Tcp),
            "udp" => Column::Proto(LayerKind::Udp),
            "icmp" => Column::Proto(LayerKind::Icmp),
            "icmpv6" => Column::Proto(LayerKind::Icmpv6),
            "igmp" => Column::Proto(LayerKind::Igmp),
            "vxlan" => Column::Proto(LayerKind::Vxlan),
            "llc" => Column::Proto(LayerKind::Llc),
            _ => match view::canonical_name(s) {
                Some(name) => Column::Field(name),
                None => {
                    return Err(FrameError::Invalid {
                        what: "field",
                        input: s.to_string(),
                        why: unknown_field(s),
                    })
                }
            },
        })
    }
}

/// The interface a frame of a pcapng file was captured on (its interface block).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IfaceInfo<'a> {
    /// The block's index in the file (`frame.interface_id`).
    pub id: u32,
    /// `if_name`.
    pub name: Option<&'a str>,
    /// `if_description`.
    pub description: Option<&'a str>,
    /// The file has more than one interface: the summary line names this one.
    pub several: bool,
}

/// What `-T fields` needs to know about a frame besides its bytes.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameInfo<'a> {
    /// Its number, from 1.
    pub number: u64,
    /// Its timestamp, in ns since the epoch (u128: files hold times beyond u64 ns).
    pub ts_ns: u128,
    /// The first frame's timestamp (for `frame.time_relative`).
    pub t0_ns: u128,
    /// Its length on the wire (the captured bytes may be fewer).
    pub wire_len: u32,
    /// Its interface, for a frame of a pcapng file (a pcap file has no interface blocks,
    /// and tshark prints no `frame.interface_*` for its frames).
    pub iface: Option<IfaceInfo<'a>>,
    /// What its bytes start with (its capture's link type): Ethernet unless said otherwise.
    pub encap: view::Encap,
    /// Reassembly saw it (an IP fragment): the bytes given are the ones to walk (for the frame
    /// that completes a datagram, its headers and the reassembled payload), the frame's own
    /// are here.
    pub defrag: Option<&'a crate::frame::reassembly::Defrag>,
}

impl FrameInfo<'_> {
    /// The frame's captured length (`data.len()` unless reassembly gave other bytes to walk).
    pub fn cap_len(&self, data: &[u8]) -> usize {
        self.defrag.map_or(data.len(), |d| d.frame.len())
    }
}

/// The fields to print, in order.
#[derive(Debug, Clone)]
pub struct FieldSet(Vec<Column>);

impl FieldSet {
    /// Check the names (`-e` values) once, up front.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, FrameError> {
        if names.is_empty() {
            return Err(FrameError::NoFields);
        }
        names
            .iter()
            .map(|n| n.as_ref().parse())
            .collect::<Result<Vec<_>, _>>()
            .map(FieldSet)
    }

    pub fn fields(&self) -> &[Column] {
        &self.0
    }

    /// A set of these columns (the caller has them already).
    pub fn from_columns(cols: Vec<Column>) -> Self {
        FieldSet(cols)
    }

    /// The header line of `-E header=y` (no newline): the names as asked, `fmt`'s separator
    /// between them, never quoted (as tshark).
    pub fn write_header<S: AsRef<str>>(out: &mut String, names: &[S], fmt: &FieldFormat) {
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push_str(&fmt.separator);
            }
            out.push_str(n.as_ref());
        }
    }

    /// [`FieldSet::write_frame`] with tshark's `-E` separator and quotes. Allocates nothing.
    pub fn write_frame_fmt(
        &self,
        out: &mut String,
        data: &[u8],
        info: &FrameInfo,
        fmt: &FieldFormat,
    ) {
        for (i, f) in self.0.iter().enumerate() {
            if i > 0 {
                out.push_str(&fmt.separator);
            }
            let at = out.len();
            self.write_column(*f, out, data, info);
            if let Some(q) = fmt.quote {
                // As tshark: an empty value is not quoted.
                if out.len() > at {
                    out.insert(at, q);
                    out.push(q);
                }
            }
        }
    }

    /// [`FieldSet::write_frame`] for a frame whose number and first timestamp are unknown
    /// (`frame.number` 0, `frame.time_relative` 0).
    pub fn write_line(&self, out: &mut String, data: &[u8], wire_len: u32, ts_ns: u128) {
        let info = FrameInfo {
            number: 0,
            ts_ns,
            t0_ns: ts_ns,
            wire_len,
            iface: None,
            encap: view::Encap::Ethernet,
            defrag: None,
        };
        self.write_frame(out, data, &info);
    }

    /// Append one line (no newline) for the frame to `out`: tab-separated values, an empty
    /// string for a field the frame does not have, several values joined by `,`.
    pub fn write_frame(&self, out: &mut String, data: &[u8], info: &FrameInfo) {
        self.write_frame_fmt(out, data, info, &FieldFormat::default());
    }

    /// Append the value(s) of one column.
    fn write_column(&self, f: Column, out: &mut String, data: &[u8], info: &FrameInfo) {
        match f {
            Column::Eth => {
                let lay = view::layout_defrag(data, info.encap, info.defrag);
                let eths = lay.layers().iter().filter(|h| h.proto == LayerKind::Eth);
                for (k, h) in eths.enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    // The view pushed the Ethernet layer once its header was whole.
                    let eth = ethernet::Header::new_unchecked(&data[h.start..]);
                    if eth.is_8023() {
                        out.push_str("IEEE 802.3 Ethernet ");
                        continue;
                    }
                    let (s, t) = (eth.src(), eth.dst());
                    out.push_str("Ethernet II, Src: ");
                    write_mac_name(out, s);
                    let _ = write!(out, " ({s}), Dst: ");
                    write_mac_name(out, t);
                    let _ = write!(out, " ({t})");
                }
            }
            Column::FrameNumber => {
                let _ = write!(out, "{}", info.number);
            }
            Column::FrameTimeRelative => write_relative(out, info.ts_ns, info.t0_ns),
            Column::FrameTimeEpoch => {
                let _ = write!(
                    out,
                    "{}.{:09}",
                    info.ts_ns / 1_000_000_000,
                    info.ts_ns % 1_000_000_000
                );
            }
            Column::FrameLen => {
                let _ = write!(out, "{}", info.wire_len);
            }
            Column::FrameCapLen => {
                let _ = write!(out, "{}", info.cap_len(data));
            }
            Column::FrameInterfaceId => {
                if let Some(i) = info.iface {
                    let _ = write!(out, "{}", i.id);
                }
            }
            Column::FrameInterfaceName => {
                if let Some(n) = info.iface.and_then(|i| i.name) {
                    out.push_str(n);
                }
            }
            Column::FrameInterfaceDescription => {
                if let Some(d) = info.iface.and_then(|i| i.description) {
                    out.push_str(d);
                }
            }
            Column::Data => {
                let lay = view::layout_defrag(data, info.encap, info.defrag);
                let mut sep = "";
                for h in lay.layers().iter().filter(|h| h.proto == LayerKind::Data) {
                    out.push_str(sep);
                    for b in &data[h.start..h.end] {
                        let _ = write!(out, "{b:02x}");
                    }
                    sep = ",";
                }
            }
            Column::Field(name) => {
                view::write_values_defrag(data, info.encap, info.defrag, name, out);
            }
            Column::Proto(kind) => {
                let lay = view::layout_defrag(data, info.encap, info.defrag);
                let quote = quoted_from(&lay, data);
                let hs = lay.layers().iter().filter(|h| h.proto == kind);
                for (k, h) in hs.enumerate() {
                    if k > 0 {
                        out.push(',');
                    }
                    write_proto(out, data, h, quoted_at(h, quote));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// Issue 21 new-user 5: a suggestion names each field once; protocols are columns.
    #[test]
    fn suggestions_are_unique_and_protocols_are_columns() {
        for bad in ["ipx", "et", "ethh"] {
            let e = super::FieldSet::parse(&[bad]).unwrap_err().to_string();
            assert!(
                e.contains("did you mean") && e.contains("docs/read.md"),
                "{e}"
            );
            let named: Vec<&str> = e.split('\'').skip(3).step_by(2).collect();
            let mut unique = named.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(named.len(), unique.len(), "{e}");
        }
        let f = super::FieldSet::parse(&["eth", "ip", "udp"]).unwrap();
        let frame = crate::frame::parse_hex(
            "02000000000202000000000108004500001d000100004011f0adc6120001c6120002\
             04d20009000900007a",
        )
        .unwrap();
        let mut out = String::new();
        f.write_frame(&mut out, &frame, &super::FrameInfo::default());
        let cols: Vec<&str> = out.split('\t').collect();
        assert_eq!(
            cols[1],
            "Internet Protocol Version 4, Src: 198.18.0.1, Dst: 198.18.0.2"
        );
        assert_eq!(
            cols[2],
            "User Datagram Protocol, Src Port: 1234, Dst Port: 9"
        );
    }

    use super::*;

    /// The derived list (tshark's spelling; the view's in `view::FIELD_NAMES`): every tshark
    /// name is a column, every view field has its tshark name here save the few tshark has no
    /// field for, and the derivation gives tshark's spellings, not the view's.
    #[test]
    fn tshark_names_and_the_views_names_agree() {
        for n in FIELD_NAMES {
            assert!(
                n.parse::<Column>().is_ok(),
                "{n} is listed but not a column"
            );
        }
        for v in view::FIELD_NAMES {
            let listed = FIELD_NAMES.contains(v)
                || view::ALIASES
                    .iter()
                    .any(|(a, n)| n == v && FIELD_NAMES.contains(a));
            assert!(
                listed || TSHARK_LACKS.contains(v),
                "view field {v} has no tshark name in fields::FIELD_NAMES"
            );
        }
        // 12 protocols, 5 frame-level columns, the view's fields less the 4 tshark lacks.
        assert_eq!(FIELD_NAMES.len(), 12 + 5 + view::FIELD_NAMES.len() - 4);
        assert_eq!(FIELD_NAMES[..2], ["eth", "vlan"]);
        assert_eq!(FIELD_NAMES[12], "frame.number");
        assert_eq!(FIELD_NAMES.last(), Some(&"data"));
        for (tshark, scapy) in [
            ("vlan.priority", "vlan.prio"),
            ("ip.checksum", "ip.chksum"),
            ("tcp.window_size_value", "tcp.window"),
        ] {
            assert!(FIELD_NAMES.contains(&tshark), "{tshark}");
            assert!(!FIELD_NAMES.contains(&scapy), "{scapy}");
        }
        for n in ["tcp.seq", "tcp.ack", "eth.src", "igmp.type"] {
            assert!(FIELD_NAMES.contains(&n), "{n}");
        }
        for n in [
            "tcp.seq_raw",
            "ip.options",
            "icmp.rest",
            "frame.interface_id",
            "",
        ] {
            assert!(!FIELD_NAMES.contains(&n), "{n:?}");
        }
    }

    /// Scapy `Ether(dst="22:22:22:22:22:22", src="22:11:11:11:11:11")/IP(src="1.1.1.1",
    /// dst="2.2.2.2")/TCP(sport=1111, dport=2222)/"123"` (onepkt.py), as `raw(pkt)`.
    const ONEPKT: [u8; 57] = [
        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, // dst
        0x22, 0x11, 0x11, 0x11, 0x11, 0x11, // src
        0x08, 0x00, // IPv4
        0x45, 0x00, 0x00, 0x2b, // v4, ihl 5, tos 0, total length 43
        0x00, 0x01, 0x00, 0x00, // id 1, no fragment
        0x40, 0x06, 0x74, 0xc9, // ttl 64, tcp, checksum
        0x01, 0x01, 0x01, 0x01, // 1.1.1.1
        0x02, 0x02, 0x02, 0x02, // 2.2.2.2
        0x04, 0x57, 0x08, 0xae, // 1111 -> 2222
        0x00, 0x00, 0x00, 0x00, // seq 0
        0x00, 0x00, 0x00, 0x00, // ack 0
        0x50, 0x02, 0x20, 0x00, // data offset 5, SYN, window 8192
        0x00, 0x00, 0x00, 0x00, // checksum (not checked here), urgent 0
        b'1', b'2', b'3', // payload
    ];

    #[test]
    fn onepkt_like_tshark() {
        // The fields of fixtures/captures/*.fields.txt, as tests/read.rs reads them.
        let names: Vec<&str> = include_str!("../../../fixtures/captures/fields.list")
            .lines()
            .collect();
        let fs = FieldSet::parse(&names).unwrap();
        let mut s = String::new();
        fs.write_line(&mut s, &ONEPKT, 57, 1_700_000_000_123_456_000);
        // Line printed by tshark 4.0.17 for the same frame (see module docs).
        let want = "Ethernet II, Src: 22:11:11:11:11:11 (22:11:11:11:11:11), Dst: \
                    22:22:22:22:22:22 (22:22:22:22:22:22)\t22:11:11:11:11:11\t\
                    22:22:22:22:22:22\t0x0800\t\t1.1.1.1\t2.2.2.2\t6\t64\t0x0001\t1111\t2222\t\
                    0x0002\t0\t\t\t57\t1700000000.123456000\t313233";
        assert_eq!(s, want);
    }

    #[test]
    fn icmpv6_data_like_tshark() {
        // Scapy: Ether()/IPv6(src='2001:2::1', dst='2001:2::2')/ICMPv6EchoRequest(data=b'abc'),
        // then the same with ICMPv6ND_NS(tgt='2001:2::2'). tshark 4.0 prints `data` 616263
        // for the echo and nothing for the neighbour solicitation.
        let mut echo = vec![
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd, // Ethernet, IPv6
            0x60, 0, 0, 0, 0, 11, 58, 64, // v6, payload length 11, next header ICMPv6, hlim
        ];
        echo.extend_from_slice(&[0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        echo.extend_from_slice(&[0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let mut ns = echo.clone();
        // echo request, code 0, checksum, id 0, seq 0, "abc"
        echo.extend_from_slice(&[128, 0, 0x7b, 0x4e, 0, 0, 0, 0, b'a', b'b', b'c']);
        // neighbour solicitation: type 135, code, checksum, reserved, target
        ns[19] = 24;
        ns.extend_from_slice(&[135, 0, 0x18, 0x9f, 0, 0, 0, 0]);
        ns.extend_from_slice(&[0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let fs = FieldSet::parse(&["data"]).unwrap();
        let mut s = String::new();
        fs.write_line(&mut s, &echo, echo.len() as u32, 0);
        assert_eq!(s, "616263");
        s.clear();
        fs.write_line(&mut s, &ns, ns.len() as u32, 0);
        assert_eq!(s, "");
    }

    #[test]
    fn padding_is_not_data_and_unknown_field_is_refused() {
        let mut f = ONEPKT.to_vec();
        f.extend_from_slice(&[0; 3]); // Ethernet padding to 60 bytes
        let fs = FieldSet::parse(&["data"]).unwrap();
        let mut s = String::new();
        fs.write_line(&mut s, &f, 60, 0);
        assert_eq!(s, "313233");
        assert!(FieldSet::parse(&["ip.nope"]).is_err());
    }

    /// `all_values` holds what `-T fields -e NAME` prints for every name, split per
    /// occurrence, under tshark's names.
    #[test]
    fn all_values_are_the_columns_per_occurrence() {
        // ONEPKT's Ethernet header, then two 802.1Q tags (VLAN 100, 200) in front of its IP.
        let mut f = ONEPKT[..12].to_vec();
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x64, 0x81, 0x00, 0x00, 0xc8]);
        f.extend_from_slice(&ONEPKT[12..]);
        let all = all_values(&f);
        let vlans: Vec<&str> = all
            .iter()
            .filter(|(n, _)| *n == "vlan.id")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(vlans, ["100", "200"]);
        for (name, _) in &all {
            let mut joined = String::new();
            FieldSet::parse(&[name])
                .unwrap()
                .write_line(&mut joined, &f, f.len() as u32, 0);
            let each: Vec<&str> = all
                .iter()
                .filter(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .collect();
            assert_eq!(joined, each.join(","), "{name}");
        }
        // tshark's spelling, not the view's.
        assert!(all.iter().any(|(n, _)| *n == "ip.checksum"));
        assert!(!all.iter().any(|(n, _)| *n == "ip.chksum"));
        assert_eq!(all.last().unwrap(), &("data", "313233".to_string()));
    }
}
