//! Printing frames: Scapy-like [`show`] and [`hexdump`] (the one-line summary like tshark's is
//! [`summary`](super::summary)). Called by `send`, `capture` and `read`.
//!
//! The layers are the packet view's ([`Layout::layers`]), each printed as Scapy 2.5 dissects
//! it (`Ether(raw(pkt)).show()`, with `load_contrib("mpls")`): Ethernet or 802.3 with LLC and
//! SNAP, 802.1Q and 802.1ad (`802_1AD`) tags, ARP, MPLS, IP with its options (`IPOption_*`),
//! IPv6 with its extension headers and their options, TCP with its options as Scapy's list,
//! UDP, ICMP (errors quoting `IP in ICMP`, `UDP in ICMP`...), ICMPv6 (echo, errors quoting
//! `IPv6 in ICMPv6`, neighbour discovery and its options), GRE, VXLAN with the Ethernet frame
//! it carries, `Raw` and `Padding`. A 0x9100 tag, Geneve and IGMP (not loaded by `scapy.all`)
//! and what follows them are `Raw`, as Scapy shows them. Layout in `layers.rs`; option lists
//! in `options.rs`; Python's ways of printing values in `repr.rs`.
//!
//! These take any bytes and never panic: what does not parse is shown as `Raw`. Field values
//! are the ones on the wire (Scapy's `show()` of a dissected frame, i.e. `show2()`), checksums and
//! lengths included. Tested against Scapy's own output in `fixtures/frames/*.show` and
//! `tests/read_show.rs`. A `load` escapes what Python 3.11's `repr()` escapes (`unprintable.rs`,
//! generated from Python).

use std::fmt::Write as _;

use super::reassembly::{Defrag, State};
use super::view::{self, LayerKind};

mod layers;
mod layers_icmp;
mod options;
mod repr;
mod unprintable;

use repr::py_bytes;

/// Accumulates Scapy's layer-by-layer layout: `###[ Name ]###`, then fields indented by 3 more
/// spaces per layer; the packets of a packet-list field (IP options...) are prefixed by `|`.
#[derive(Default)]
struct Dump {
    out: String,
    depth: usize,
    /// Scapy's `label_lvl`: the `   |` prefix of packets inside a packet-list field.
    label: String,
    saved: Vec<(usize, String)>,
}

impl Dump {
    fn layer(&mut self, name: &str) {
        let _ = writeln!(self.out, "{}###[ {name} ]### ", self.label);
        self.depth += 1;
    }

    fn lvl(&self) -> usize {
        3 * self.depth.saturating_sub(1)
    }

    fn field(&mut self, name: &str, value: impl std::fmt::Display) {
        let _ = writeln!(
            self.out,
            "{}{:lvl$}  {name:<10}= {value}",
            self.label,
            "",
            lvl = self.lvl()
        );
    }

    /// Scapy's line for a packet-list field, e.g. IP options: `\options   \`.
    fn list_field(&mut self, name: &str) {
        let _ = writeln!(
            self.out,
            "{}{:lvl$}  \\{name:<10}\\",
            self.label,
            "",
            lvl = self.lvl()
        );
    }

    /// The packets of a packet-list field follow: each starts at depth 0 behind `   |`.
    fn enter_list(&mut self) {
        self.saved.push((self.depth, self.label.clone()));
        let lvl = self.lvl();
        let _ = write!(self.label, "{:lvl$}   |", "");
        self.depth = 0;
    }

    /// One packet of the list is done.
    fn leave_layer(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn leave_list(&mut self) {
        if let Some((depth, label)) = self.saved.pop() {
            self.depth = depth;
            self.label = label;
        }
    }

    fn raw(&mut self, name: &str, data: &[u8]) {
        self.layer(name);
        self.field("load", py_bytes(data));
    }
}

/// A layer-by-layer dump of an Ethernet frame in the style of Scapy's `show()`.
pub fn show(frame: &[u8]) -> String {
    show_defrag(frame, None)
}

/// [`show`] of a frame reassembly saw (`frame`: the bytes it gave to walk): a fragment held
/// is `Raw` after its IP header; the frame that completes a datagram shows the reassembled
/// payload's layers. tshark's reassembly lines follow ([`write_defrag_tree`]).
pub fn show_defrag(frame: &[u8], defrag: Option<&Defrag>) -> String {
    let mut out = dump(frame, defrag);
    if let Some(d) = defrag {
        if !out.ends_with('\n') && !out.is_empty() {
            out.push('\n');
        }
        write_defrag_tree(&mut out, d, frame);
    }
    out
}

/// How many bytes of a byte field tshark's `-V` shows before `…`.
const TSHARK_BYTES_SHOWN: usize = 36;

/// tshark's `-V` lines of reassembly, byte for byte (its indentation under the IP layer):
/// the fragment list of the frame that completes a datagram, or `[Reassembled IPv4 in frame:
/// N]` on a fragment held when a first pass (`-2`) knows N.
pub fn write_defrag_tree(out: &mut String, d: &Defrag, walked: &[u8]) {
    use std::fmt::Write as _;
    let v = if d.ipv6 { "IPv6" } else { "IPv4" };
    if d.state == State::Pending {
        if let Some(r) = d.reassembled_in {
            let _ = writeln!(out, "    [Reassembled {v} in frame: {r}]");
        }
        return;
    }
    let _ = write!(
        out,
        "    [{} {v} Fragments ({} bytes): ",
        d.fragments.len(),
        d.len
    );
    for (i, f) in d.fragments.iter().enumerate() {
        let _ = write!(
            out,
            "{}#{}({})",
            if i > 0 { ", " } else { "" },
            f.frame,
            f.len
        );
    }
    out.push_str("]\n");
    for f in &d.fragments {
        let last = (f.offset + f.len).saturating_sub(1);
        let _ = writeln!(
            out,
            "        [Frame: {}, payload: {}-{last} ({} bytes)]",
            f.frame, f.offset, f.len
        );
        for (set, what) in [
            (f.overlap, "Fragment overlap"),
            (f.conflict, "Conflicting data in fragment overlap"),
            (f.multiple_tails, "Multiple tail fragments found"),
            (f.too_long, "Fragment too long"),
        ] {
            if set {
                let _ = writeln!(out, "            [{what}: True]");
            }
        }
    }
    let _ = writeln!(out, "        [Fragment count: {}]", d.fragments.len());
    let _ = writeln!(out, "        [Reassembled {v} length: {}]", d.len);
    let data = walked.get(d.payload_off..).unwrap_or(&[]);
    let shown = &data[..data.len().min(TSHARK_BYTES_SHOWN)];
    let more = if data.len() > TSHARK_BYTES_SHOWN {
        "…"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "        [Reassembled {v} data: {}{more}]",
        view::hex(shown)
    );
}

fn dump(frame: &[u8], defrag: Option<&Defrag>) -> String {
    let mut d = Dump::default();
    let lay = view::layout_defrag(frame, view::Encap::Ethernet, defrag);
    let all = lay.layers();
    if all.first().map(|h| h.proto) != Some(LayerKind::Eth) {
        d.raw("Raw", frame);
        return d.out;
    }
    let mut s = layers::State {
        frame,
        quoted: false,
        pad_from: None,
        stop: false,
    };
    let mut skip_until = 0;
    for (i, h) in all.iter().enumerate() {
        if h.start < skip_until {
            continue;
        }
        let next = all.get(i + 1).map(|n| n.start);
        if let Some(until) = layers::layer(&mut d, &mut s, *h, next) {
            skip_until = until;
        }
        if s.stop {
            break;
        }
    }
    let last = all.last().map_or(frame.len(), |h| h.end);
    let pad = s.pad_from.unwrap_or(last).min(frame.len());
    if pad < frame.len() && !s.stop {
        d.raw("Padding", &frame[pad..]);
    }
    d.out
}

/// An EtherType as the one-line summary names it.
pub(super) fn ether_type_name(t: u16) -> String {
    use crate::frame::wire::ethernet::ethertype as T;
    match t {
        T::IPV4 => "IPv4".into(),
        T::IPV6 => "IPv6".into(),
        T::ARP => "ARP".into(),
        T::VLAN => "n_802_1Q".into(),
        T::QINQ => "n_802_1AD".into(),
        T::LLDP => "LLDP".into(),
        _ => format!("{t:#x}"),
    }
}

/// A hexdump in the style of Scapy's `hexdump()`: offset, 16 bytes in upper-case hex, the
/// printable ASCII; one line per 16 bytes, each ending in `\n`.
pub fn hexdump(frame: &[u8]) -> String {
    let mut out = String::with_capacity(frame.len().div_ceil(16) * 74);
    for (i, chunk) in frame.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", i * 16);
        for b in chunk {
            let _ = write!(out, "{b:02X} ");
        }
        for _ in chunk.len()..16 {
            out.push_str("   ");
        }
        out.push(' ');
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
    out
}

/// A hex dump as `tshark -x` prints it: offset, 16 bytes in lower-case hex, three spaces, the
/// printable ASCII; one line per 16 bytes, each ending in `\n`. Appended to `out`.
pub fn write_hex_tshark(out: &mut String, frame: &[u8]) {
    for (i, chunk) in frame.chunks(16).enumerate() {
        let _ = write!(out, "{:04x}  ", i * 16);
        for b in chunk {
            let _ = write!(out, "{b:02x} ");
        }
        for _ in chunk.len()..16 {
            out.push_str("   ");
        }
        out.push_str("  ");
        out.extend(chunk.iter().map(|&b| {
            if (0x20..0x7f).contains(&b) {
                b as char
            } else {
                '.'
            }
        }));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::spec::tests::{cases, fixture};
    use crate::frame::summary;

    fn golden(name: &str, ext: &str) -> String {
        let path = format!(
            "{}/fixtures/frames/{name}.{ext}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn show_matches_scapy() {
        let mut names: Vec<String> = cases().iter().map(|(n, _)| n.to_string()).collect();
        // The expression engine's golden frames (every `expr_*.show` make.py wrote).
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/frames");
        for e in std::fs::read_dir(dir).unwrap() {
            let file = e.unwrap().file_name().into_string().unwrap();
            if let Some(n) = file
                .strip_suffix(".show")
                .filter(|n| n.starts_with("expr_"))
            {
                names.push(n.to_string());
            }
        }
        assert!(names.len() > 20, "{names:?}");
        for name in names.iter().map(String::as_str) {
            let got = show(&fixture(name));
            let want = golden(name, "show");
            for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
                assert_eq!(g, w, "{name}.show line {}", i + 1);
            }
            assert_eq!(got, want, "{name}.show");
        }
    }

    #[test]
    fn hexdump_matches_scapy() {
        for (name, _) in cases() {
            assert_eq!(hexdump(&fixture(name)), golden(name, "hexdump"), "{name}");
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let frame = fixture("vlan");
        for n in 0..frame.len() {
            let _ = (
                show(&frame[..n]),
                summary(&frame[..n]),
                hexdump(&frame[..n]),
            );
        }
        assert!(show(&[1, 2, 3]).contains("###[ Raw ]###"));
        // Every golden frame cut anywhere, and with any one byte set to 0x00, 0x01, 0xff.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/frames");
        for e in std::fs::read_dir(dir).unwrap() {
            let file = e.unwrap().file_name().into_string().unwrap();
            let Some(name) = file.strip_suffix(".hex") else {
                continue;
            };
            let frame = fixture(name);
            for n in 0..frame.len() {
                let _ = show(&frame[..n]);
                for b in [0x00, 0x01, 0xff] {
                    let mut f = frame.clone();
                    f[n] = b;
                    let _ = show(&f);
                }
            }
        }
    }
}
