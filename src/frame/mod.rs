//! What to send: a [`FrameSpec`] (Ethernet, optional 802.1Q, IPv4/IPv6, TCP/UDP/ICMP echo,
//! payload, padding) becomes bytes, byte-exact with Scapy's `raw(pkt)` for the same arguments;
//! [`show()`], [`summary`] and [`hexdump`] print bytes back the way Scapy and tshark do.
//!
//! Headers and checksums come from etherparse; this module only picks Scapy's defaults (IP id 1,
//! no DF, TCP window 8192, flags S) where etherparse's shortcuts pick others. A [`FrameTemplate`]
//! patches the IP id or TCP sequence number of a built frame in place (checksums updated
//! incrementally), so a hot loop sends distinct frames without rebuilding or allocating.
//!
//! Reading frames back goes through ONE packet view, [`view`]: a single walk of the layers
//! (Ethernet, VLAN tags, IPv4/IPv6 and extension headers, TCP/UDP/ICMP/ICMPv6/IGMP) that gives
//! their offsets ([`view::Layout`]) and their fields by tshark's names with byte ranges
//! ([`view::dissect`]). [`show()`], [`summary`], `-T fields` ([`fields`]) and the harness's
//! matcher, noise filter and stamp placement all read it. [`MacAddr`] is parsed and printed in
//! `mac.rs` only. [`read_every_way`] runs every reader on any bytes (proptest, fuzzing).
//!
//! The files: `spec/` (what to send, a file per concern), `template.rs` ([`FrameTemplate`]),
//! `csum.rs` (incremental checksums), `view/` (the packet view, a file per protocol),
//! `show.rs` (Scapy's `show()`, `hexdump()`), `summary.rs` (tshark's one line), `fields.rs`
//! (`-T fields`), `mac.rs`.
//!
//! It does not build IP options, TCP options, fragments or ARP (yet).

pub mod csum;
pub mod fields;
mod mac;
pub mod show;
mod spec;
mod summary;
mod template;
pub mod view;

pub use mac::MacAddr;
pub use show::{hexdump, show};
pub use spec::{parse_hex, FrameSpec, L4Spec, TcpFlags};
pub use summary::{summary, write_numbered, write_summary};
pub use template::{FrameTemplate, Vary};

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
    if let Ok(all) = fields::FieldSet::parse(&fields::FIELD_NAMES) {
        let mut line = String::new();
        all.write_line(&mut line, data, data.len() as u32, 1);
    }
}
