//! UDP (RFC 768): ports, length, checksum; the ports of the tunnels the view follows.

use super::{fields, header, need, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
}

/// The header's length.
pub const HEADER_LEN: usize = 8;

/// Well-known ports.
pub mod port {
    pub const VXLAN: u16 = 4789;
    /// VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe).
    pub const VXLAN_GPE: u16 = 4790;
    pub const GENEVE: u16 = 6081;
    /// MPLS over UDP (RFC 7510).
    pub const MPLS: u16 = 6635;
}

header!("a UDP");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes (the length field is not checked: see
    /// [`Self::datagram_end`]).
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// Where the datagram ends in the view's bytes: its length, clamped to the header and
    /// the bytes there.
    pub fn datagram_end(&self) -> usize {
        (self.len() as usize).clamp(HEADER_LEN, self.buffer.as_ref().len())
    }
}

fields! {
    /// The source port.
    src_port, set_src_port: u16 = field::SRC_PORT;
    /// The destination port.
    dst_port, set_dst_port: u16 = field::DST_PORT;
    /// The length (header and payload).
    #[allow(clippy::len_without_is_empty)]
    len, set_len: u16 = field::LENGTH;
    /// The checksum (0: none, over IPv4).
    checksum, set_checksum: u16 = field::CHECKSUM;
}
