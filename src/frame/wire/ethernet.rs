//! Ethernet II (and the 802.3 length form): destination, source, EtherType or length.

use super::{fields, header, need, WireError};
use crate::frame::MacAddr;

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    /// The EtherType, or (≤ [`super::MAX_8023_LEN`]) an 802.3 length.
    pub const ETHERTYPE: Field = 12..14;
}

/// The header's length.
pub const HEADER_LEN: usize = 14;

/// The destination of spanning-tree BPDUs (IEEE 802.1D's bridge group address).
pub const STP_DST: MacAddr = MacAddr([0x01, 0x80, 0xc2, 0, 0, 0]);

/// The largest value of the type field that is an 802.3 length, not an EtherType.
pub const MAX_8023_LEN: u16 = 1500;

/// EtherTypes.
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    /// Transparent Ethernet bridging (GRE, Geneve carrying Ethernet).
    pub const TEB: u16 = 0x6558;
    /// An 802.1Q tag.
    pub const VLAN: u16 = 0x8100;
    pub const IPV6: u16 = 0x86dd;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    /// An 802.1ad service tag.
    pub const QINQ: u16 = 0x88a8;
    /// Network Service Header (RFC 8300).
    pub const NSH: u16 = 0x894f;
    /// The pre-standard QinQ tag some switches still send.
    pub const QINQ_OLD: u16 = 0x9100;
    /// Link Layer Discovery Protocol.
    pub const LLDP: u16 = 0x88cc;

    /// The EtherTypes that announce a VLAN tag (0x8100, 0x88a8, 0x9100).
    pub const fn is_vlan(t: u16) -> bool {
        matches!(t, VLAN | QINQ | QINQ_OLD)
    }
}

header!("an Ethernet");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// An 802.3 frame: the type field is a length (an LLC header follows).
    #[inline]
    pub fn is_8023(&self) -> bool {
        self.ethertype() <= MAX_8023_LEN
    }
}

fields! {
    /// The destination MAC address.
    dst, set_dst: MacAddr = field::DESTINATION;
    /// The source MAC address.
    src, set_src: MacAddr = field::SOURCE;
    /// The EtherType (or 802.3 length).
    ethertype, set_ethertype: u16 = field::ETHERTYPE;
}
