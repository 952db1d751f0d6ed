//! What to send: ONE builder, the Scapy expression engine ([`expr`]), byte-exact with Scapy's
//! `raw(pkt)` (IP and TCP options, IPv6 extension headers, fragments, ARP, ICMP, tunnels...).
//! A [`FrameSpec`] (Ethernet, optional 802.1Q, IPv4/IPv6, TCP/UDP/ICMP echo, payload, padding:
//! the field flags of `send` and `test`, the harness's default frame) is a typed front end that
//! lowers to the engine's layers; checksums are computed by [`csum`] alone. [`show()`],
//! [`summary`] and [`hexdump`] print bytes back the way Scapy and tshark do.
//!
//! A [`FrameTemplate`] patches the IP id or TCP sequence number of a built frame in place
//! (where they sit read from the frame itself, checksums updated incrementally), so a hot loop
//! sends distinct frames, from flags or from an expression, without rebuilding or allocating.
//!
//! Reading frames back goes through ONE packet view, [`view`]: a single walk of the layers
//! (Ethernet, VLAN tags, IPv4/IPv6 and extension headers, TCP/UDP/ICMP/ICMPv6/IGMP) that gives
//! their offsets ([`view::Layout`]) and their fields by tshark's names with byte ranges
//! ([`view::dissect`]). [`show()`], [`summary`], `-T fields` ([`fields`]) and the harness's
//! matcher, noise filter and stamp placement all read it. [`MacAddr`] is parsed and printed in
//! `mac.rs` only. [`read_every_way`] runs every reader on any bytes (proptest, fuzzing).
//!
//! Every header field's place is written once, in the wire layer ([`wire`]: per protocol, the
//! field ranges, a checked zero-copy `Header` view with getters and setters, the constants).
//! The view's walk, [`show()`], the summary, `-T fields`/`-T json`, the templates' patching and
//! replay's rewriting read and write fields through it; none has an offset of its own.
//!
//! The files: `wire/` (a file per protocol), `expr/` (the engine: parser, layers a file per
//! protocol family), `spec/` (the typed front end, a file per concern), `template.rs`
//! ([`FrameTemplate`]), `csum.rs` (the Internet checksum, whole and incremental), `view/` (the
//! packet view, a file per protocol), `filter/` (display filters over the view), `show/`
//! (Scapy's `show()`, `hexdump()`), `summary.rs` (tshark's one line), `fields/` (`-T fields`),
//! `json.rs` (`-T json`), `mac.rs`. A new protocol touches the files docs/design.md lists
//! ("A new protocol"): its wire file, the view, the engine, and the printers' `LayerKind`
//! matches.

pub mod csum;
pub mod expr;
pub mod fields;
pub mod filter;
pub mod json;
mod mac;
pub mod reassembly;
pub mod show;
mod spec;
mod summary;
mod template;
pub mod view;
pub mod wire;

pub use mac::MacAddr;
pub use show::{hexdump, show, show_defrag, write_defrag_tree, write_hex_tshark};
pub use spec::{parse_hex, FrameSpec, L4Spec, TcpFlags};
pub use summary::{
    summary, write_numbered, write_numbered_defrag, write_numbered_wire, write_summary,
    write_summary_defrag, write_summary_wire,
};
pub use template::{patch_field, FrameTemplate, Vary};

/// An error building or parsing a frame.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A malformed user input: MAC, IP, TCP flags, hex payload, VLAN id...
    #[error("invalid {what} '{input}': {why}")]
    Invalid {
        what: &'static str,
        input: String,
        why: String,
    },
    /// The frame as asked cannot be built (sizes, address families).
    #[error("cannot build the frame: {why}")]
    Build { why: String },
    /// A padded size larger than any link carries (`max`: a 65535-byte MTU plus the Ethernet
    /// and 802.1Q headers).
    #[error(
        "cannot build the frame: a size of {size} bytes is larger than any link carries (at most \
         {max} bytes: a 65535-byte MTU plus the Ethernet and 802.1Q headers)"
    )]
    SizeTooLarge { size: usize, max: usize },
    /// A padded size smaller than the headers and payload.
    #[error(
        "cannot build the frame: a size of {size} bytes is smaller than the frame's {needed} \
         bytes of headers and payload"
    )]
    SizeTooSmall { size: usize, needed: usize },
    /// A field to vary that the frame does not have (the IP id of an IPv6 frame, the sequence
    /// number of a frame that is not TCP).
    #[error("cannot build the frame: {}", vary_needs(*.vary))]
    CannotVary { vary: Vary },
    /// An empty list of fields to print.
    #[error("invalid field list '': it names no field")]
    NoFields,
}

fn vary_needs(vary: Vary) -> &'static str {
    match vary {
        Vary::IpId => "only an IPv4 frame has an IP id to vary",
        Vary::TcpSeq => "only a TCP frame has a sequence number to vary",
        Vary::Nothing => "nothing to vary",
    }
}

impl FrameError {
    pub(crate) fn invalid(what: &'static str, input: &str, why: impl Into<String>) -> Self {
        FrameError::Invalid {
            what,
            input: input.to_string(),
            why: why.into(),
        }
    }

    pub(crate) fn build(why: impl Into<String>) -> Self {
        FrameError::Build { why: why.into() }
    }
}

/// Every reader of the crate on `data`, output dropped: the packet view's [`view::layout`] and
/// [`view::dissect`], [`show()`], [`summary`], every `-T fields` column, [`hexdump`]. None may
/// panic on any bytes: this is the entry of the proptest in `view` and of a fuzz target.
pub fn read_every_way(data: &[u8]) {
    let _ = view::layout(data);
    let _ = view::dissect(data);
    let _ = show(data);
    let _ = summary(data);
    let _ = hexdump(data);
    if let Ok(all) = fields::FieldSet::parse(&fields::field_names().collect::<Vec<_>>()) {
        let mut line = String::new();
        all.write_line(&mut line, data, data.len() as u32, 1);
        // As a fragment reassembly holds, the readers of `read` given what it hands over.
        let mut r = reassembly::Reassembler::new(reassembly::Prefs::default());
        for n in 1..=2 {
            if let Some((walk, d)) = r.add(n, data, view::Encap::Ethernet) {
                let info = fields::FrameInfo {
                    defrag: Some(d),
                    ..fields::FrameInfo::default()
                };
                line.clear();
                all.write_frame(&mut line, walk, &info);
                let _ = show_defrag(walk, Some(d));
                write_summary_defrag(&mut line, walk, data.len() as u32, Some(d));
            }
        }
    }
}
