//! How a frame is printed, the same for `capture` and `read`: nothing, text (the numbered
//! one-line summary with the time since the first frame, like tshark's; tcpdump's link-level
//! header on it; a Scapy show() per frame; tshark's `-x` hex and ASCII dump), the values of
//! `-T fields` (with tshark's `-E` options), or tshark's `-T json`.
//!
//! The pieces are `frame`'s: [`crate::frame::write_numbered_wire`], [`crate::frame::show()`],
//! [`crate::frame::write_hex_tshark`], [`FieldSet`], [`crate::frame::json`]. A record is
//! written whole, its newline included ([`Printer::write_frame`]); [`Printer::header`] and
//! [`Printer::footer`] go before the first and after the last (the `-E header=y` line, the
//! JSON array's brackets). The summary and fields lines allocate nothing per frame; `-V` and
//! `-T json` do (they are not meant for line rate).

use crate::frame::fields::{FieldFormat, FieldSet, FrameInfo};
use crate::frame::view::Encap;
use crate::frame::FrameError;
use crate::sock::RxMeta;

/// What the text form prints of each frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextStyle {
    /// The numbered one-line summary.
    pub summary: bool,
    /// tcpdump's `-e`: the link-level header after the time on the summary line.
    pub link_header: bool,
    /// A per-layer dump (Scapy's show()) after the line.
    pub verbose: bool,
    /// tshark's `-x` hex and ASCII dump.
    pub hex: bool,
}

impl Default for TextStyle {
    fn default() -> Self {
        TextStyle {
            summary: true,
            link_header: false,
            verbose: false,
            hex: false,
        }
    }
}

/// How captured (or read) frames are printed.
#[derive(Debug)]
pub enum Printer {
    /// Not at all (writing a file, or `-q`).
    None,
    /// `N  SECS.NANOS summary`, SECS since the first frame printed; more with the style.
    Text(TextStyle),
    /// Values of these fields, separated and quoted as asked; the names, for the header.
    Fields(FieldSet, FieldFormat, Vec<String>),
    /// tshark's `-T json`; with `-e` fields, its `-e` form.
    Json(Option<FieldSet>),
}

impl Printer {
    /// The default: one summary line per frame.
    pub const SUMMARY: Printer = Printer::Text(TextStyle {
        summary: true,
        link_header: false,
        verbose: false,
        hex: false,
    });

    /// A fields printer for these field names (e.g. `eth.src`, `ip.src`, `tcp.dstport`),
    /// tab-separated.
    pub fn fields<S: AsRef<str>>(names: &[S]) -> Result<Printer, FrameError> {
        Printer::fields_with(names, FieldFormat::default())
    }

    /// A fields printer with tshark's `-E` options.
    pub fn fields_with<S: AsRef<str>>(
        names: &[S],
        fmt: FieldFormat,
    ) -> Result<Printer, FrameError> {
        let names_owned = names.iter().map(|n| n.as_ref().to_string()).collect();
        Ok(Printer::Fields(FieldSet::parse(names)?, fmt, names_owned))
    }

    /// A `-T json` printer: the full form, or the `-e` form for these names (when any).
    pub fn json<S: AsRef<str>>(names: &[S]) -> Result<Printer, FrameError> {
        Ok(Printer::Json(if names.is_empty() {
            None
        } else {
            Some(FieldSet::parse(names)?)
        }))
    }

    /// True for `-T json` (whose records are not lines).
    pub fn is_json(&self) -> bool {
        matches!(self, Printer::Json(_))
    }

    /// True for `-T fields` and `-T json`, which print frames of any link type
    /// ([`Printer::write_frame_encap`]).
    pub fn decodes_any_encap(&self) -> bool {
        matches!(self, Printer::Json(_) | Printer::Fields(..))
    }

    /// True when nothing is printed.
    pub fn is_none(&self) -> bool {
        matches!(self, Printer::None)
    }

    /// What goes before the first frame: the `-E header=y` line.
    pub fn header(&self) -> String {
        match self {
            Printer::Fields(_, fmt, names) if fmt.header => {
                let mut s = String::new();
                FieldSet::write_header(&mut s, names, fmt);
                s.push('\n');
                s
            }
            _ => String::new(),
        }
    }

    /// What goes after the last frame (`printed`: how many were): the end of the JSON array.
    pub fn footer(&self, printed: u64) -> String {
        let mut s = String::new();
        if let Printer::Json(_) = self {
            crate::frame::json::end(&mut s, printed > 0);
        }
        s
    }

    /// Append the record of captured frame number `n` (from 1), newline included, to `line`;
    /// `first_ts` is the first printed frame's timestamp (set by the first call).
    pub fn write_line(
        &self,
        line: &mut String,
        n: u64,
        data: &[u8],
        meta: &RxMeta,
        first_ts: &mut Option<u128>,
    ) {
        let ts = u128::from(meta.ts_ns);
        self.write_frame(line, n, data, ts, meta.wire_len, first_ts)
    }

    /// Append the record of frame number `n` (from 1) stamped `ts_ns`, `wire_len` bytes long
    /// on the wire, newline included, to `out`; `first_ts` as for [`Printer::write_line`].
    pub fn write_frame(
        &self,
        out: &mut String,
        n: u64,
        data: &[u8],
        ts_ns: u128,
        wire_len: u32,
        first_ts: &mut Option<u128>,
    ) {
        self.write_frame_encap(out, n, Encap::Ethernet, data, ts_ns, wire_len, first_ts)
    }

    /// [`Printer::write_frame`] for a frame of encapsulation `encap` (a file's link type).
    /// `-T fields` and `-T json` decode raw IP and Linux cooked frames from their IP header and
    /// give every frame its `frame.*` fields; the text forms read Ethernet only (the caller
    /// prints a note for the others).
    #[allow(clippy::too_many_arguments)]
    pub fn write_frame_encap(
        &self,
        out: &mut String,
        n: u64,
        encap: Encap,
        data: &[u8],
        ts_ns: u128,
        wire_len: u32,
        first_ts: &mut Option<u128>,
    ) {
        let first = first_ts.is_none();
        let t0 = *first_ts.get_or_insert(ts_ns);
        let info = FrameInfo {
            number: n,
            ts_ns,
            t0_ns: t0,
            wire_len,
            iface: None,
            encap,
            defrag: None,
        };
        self.write_record(out, first, data, &info);
    }

    /// Append the record of a frame described by `info` (its number, time, first frame's
    /// time, interface), newline included, to `out`; `first`: the first record printed (it
    /// opens the JSON array). With an interface that is one of several, the summary line
    /// names it after the time (as `tcpdump -i any` does).
    pub fn write_record(&self, out: &mut String, first: bool, data: &[u8], info: &FrameInfo) {
        let (n, ts_ns, t0, wire_len) = (info.number, info.ts_ns, info.t0_ns, info.wire_len);
        match self {
            Printer::None => {}
            Printer::Fields(fs, fmt, _) => {
                fs.write_frame_fmt(out, data, info, fmt);
                out.push('\n');
            }
            Printer::Json(None) => crate::frame::json::write_frame(out, first, data, info),
            Printer::Json(Some(fs)) => crate::frame::json::write_fields(out, first, fs, data, info),
            Printer::Text(st) => {
                let own = info.defrag.map_or(data, |d| &d.frame[..]);
                if st.summary {
                    let at = out.len();
                    crate::frame::write_numbered_defrag(
                        out,
                        n,
                        ts_ns,
                        t0,
                        data,
                        wire_len,
                        info.defrag,
                    );
                    if st.link_header {
                        insert_link_header(out, at, own, wire_len);
                    }
                    if let Some(i) = info.iface.filter(|i| i.several) {
                        insert_iface(out, at, &i);
                    }
                    out.push('\n');
                }
                if st.verbose {
                    out.push_str(&crate::frame::show_defrag(data, info.defrag));
                    if !out.ends_with('\n') {
                        out.push('\n');
                    }
                    out.push('\n');
                }
                if st.hex {
                    match info.defrag {
                        Some(d) if d.state == crate::frame::reassembly::State::Reassembled => {
                            // tshark: the frame, then the reassembled payload, each named.
                            use std::fmt::Write as _;
                            let _ = writeln!(out, "Frame ({} bytes):", own.len());
                            crate::frame::write_hex_tshark(out, own);
                            let v = if d.ipv6 { "IPv6" } else { "IPv4" };
                            let _ = writeln!(out, "Reassembled {v} ({} bytes):", d.len);
                            crate::frame::write_hex_tshark(out, &data[d.payload_off..]);
                        }
                        _ => crate::frame::write_hex_tshark(out, own),
                    }
                    out.push('\n');
                }
            }
        }
    }
}

/// Where the summary after the time starts on the line that starts at `at`: the time is the
/// line's first number with a '.', and 9 decimals then a space follow it.
fn after_time(out: &str, at: usize) -> Option<usize> {
    let dot = out[at..].find('.')?;
    let pos = at + dot + 11;
    (pos <= out.len()).then_some(pos)
}

/// Name the frame's interface after the time: its `if_name`, else `interface N`.
fn insert_iface(out: &mut String, at: usize, i: &crate::frame::fields::IfaceInfo<'_>) {
    let Some(pos) = after_time(out, at) else {
        return;
    };
    let name = match i.name {
        Some(n) => format!("{n} "),
        None => format!("interface {} ", i.id),
    };
    out.insert_str(pos, &name);
}

/// Put tcpdump's `-e` text (`SRC > DST, ethertype IPv4 (0x0800), length 60: `) after the time
/// of the summary line that starts at `at` in `out`.
fn insert_link_header(out: &mut String, at: usize, data: &[u8], wire_len: u32) {
    let Some(pos) = after_time(out, at) else {
        return;
    };
    let mut buf = Stack::default();
    write_link_header(&mut buf, data, wire_len);
    out.insert_str(pos, buf.as_str());
}

/// tcpdump's `-e` text of a frame (its outer Ethernet header), as `tcpdump -e` prints it.
pub fn write_link_header(out: &mut impl std::fmt::Write, data: &[u8], wire_len: u32) {
    use crate::frame::wire::ethernet;
    let Ok(eth) = ethernet::Header::new_checked(data) else {
        let _ = write!(out, "[|ether] ");
        return;
    };
    let et = eth.ethertype();
    let _ = write!(out, "{} > {}, ", eth.src(), eth.dst());
    if eth.is_8023() {
        // tcpdump gives the 802.3 length field here, not the frame's.
        let _ = write!(out, "802.3, length {et}: ");
        return;
    }
    use crate::frame::wire::ethernet::ethertype as T;
    // tcpdump's names (written as numbers where the wire layer names no constant).
    let name = match et {
        T::IPV4 => "IPv4",
        T::IPV6 => "IPv6",
        T::ARP => "ARP",
        0x8035 => "Reverse ARP",
        T::VLAN => "802.1Q",
        T::QINQ => "802.1Q-QinQ",
        T::QINQ_OLD => "802.1Q-9100",
        T::MPLS_UNICAST => "MPLS unicast",
        T::MPLS_MULTICAST => "MPLS multicast",
        T::LLDP => "LLDP",
        0x8863 => "PPPoE D",
        0x8864 => "PPPoE S",
        T::TEB => "Transparent Ethernet bridging",
        _ => "Unknown",
    };
    let _ = write!(out, "ethertype {name} (0x{et:04x}), length {wire_len}: ");
}

/// A small text buffer on the stack: the link header fits (longest: about 100 bytes).
struct Stack {
    buf: [u8; 160],
    len: usize,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            buf: [0; 160],
            len: 0,
        }
    }
}

impl Stack {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for Stack {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > self.buf.len() {
            return Err(std::fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_like_tcpdump() {
        let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0];
        f.extend_from_slice(&[0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0]);
        f.extend_from_slice(&[198, 18, 0, 1, 198, 18, 0, 2]);
        let mut s = String::new();
        write_link_header(&mut s, &f, 60);
        assert_eq!(
            s,
            "02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 60: "
        );
        let st = TextStyle {
            link_header: true,
            ..TextStyle::default()
        };
        let mut line = String::from("x");
        Printer::Text(st).write_frame(&mut line, 1, &f, 5, 60, &mut None);
        assert!(
            line.starts_with("x    1    0.000000000 02:00:00:00:00:01 > 02:00:00:00:00:02, "),
            "{line}"
        );
        assert!(line.ends_with('\n'));
    }
}
