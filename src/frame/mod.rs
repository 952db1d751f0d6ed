//! What to send: a [`FrameSpec`] (Ethernet, optional 802.1Q, IPv4/IPv6, TCP/UDP/ICMP echo,
//! payload, padding) becomes bytes, byte-exact with Scapy's `raw(pkt)` for the same arguments;
//! [`show()`], [`summary`] and [`hexdump`] print bytes back the way Scapy and tshark do.
//!
//! Headers and checksums come from etherparse; this module only picks Scapy's defaults (IP id 1,
//! no DF, TCP window 8192, flags S) where etherparse's shortcuts pick others. A [`FrameTemplate`]
//! patches the IP id or TCP sequence number of a built frame in place (checksums updated
//! incrementally), so a hot loop sends distinct frames without rebuilding or allocating.
//!
//! It does not do IP options, TCP options, fragments or ARP (yet).

pub mod csum;
pub mod fields;
mod mac;
pub mod show;
mod summary;
mod spec;
mod template;
pub mod view;

pub use show::{hexdump, show};
pub use summary::{summary, write_summary};
pub use mac::MacAddr;
pub use spec::{parse_hex, FrameSpec, L4Spec, TcpFlags};
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
