//! VXLAN (RFC 7348): flags, reserved, the 24-bit VNI, reserved; an Ethernet frame follows.

use super::{fields, get24, header, need, put24, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const FLAGS: Field = 0..1;
    /// The flags as tshark reads them for VXLAN (not GPE): a 16-bit word.
    pub const FLAGS16: Field = 0..2;
    /// The reserved bits after the flags (no next protocol, no group policy).
    pub const RESERVED1: Field = 1..4;
    /// VXLAN-GPE (draft-ietf-nvo3-vxlan-gpe, Scapy's `reserved0`): reserved, then the next protocol.
    pub const RESERVED0: Field = 1..3;
    pub const NEXT_PROTOCOL: Field = 3..4;
    /// The group policy extension (VXLAN-GBP): its flags and group policy id.
    pub const GBP_FLAGS: Field = 1..2;
    pub const GBP_ID: Field = 2..4;
    pub const VNI: Field = 4..7;
    pub const RESERVED2: Field = 7..8;
}

/// The header's length.
pub const HEADER_LEN: usize = 8;
/// The I flag: the VNI is valid.
pub const FLAG_VNI: u8 = 0x08;
/// The P flag (VXLAN-GPE): the next protocol field is valid.
pub const FLAG_NEXT_PROTOCOL: u8 = 0x04;
/// The G flag (VXLAN-GBP): the group policy fields are valid.
pub const FLAG_GBP: u8 = 0x80;
/// The reserved bits of the 16-bit flags word (all but G, I, D, A).
pub const FLAGS16_RESERVED: u16 = 0x77b7;
/// VXLAN-GPE's reserved flag bits (all but version, I, P, O).
pub const GPE_FLAGS_RESERVED: u8 = 0xc2;

header!("a VXLAN");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The VXLAN network identifier.
    #[inline]
    pub fn vni(&self) -> u32 {
        get24(&self.buffer.as_ref()[field::VNI])
    }

    /// The reserved 24 bits after the flags.
    #[inline]
    pub fn reserved1(&self) -> u32 {
        get24(&self.buffer.as_ref()[field::RESERVED1])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes the VNI (low 24 bits).
    pub fn set_vni(&mut self, v: u32) {
        put24(v, &mut self.buffer.as_mut()[field::VNI]);
    }
}

fields! {
    /// The flags ([`FLAG_VNI`]).
    flags, set_flags: u8 = field::FLAGS;
    /// The flags and the byte after them, as one word.
    flags16, set_flags16: u16 = field::FLAGS16;
    /// VXLAN-GPE's reserved bits before the next protocol.
    reserved0, set_reserved0: u16 = field::RESERVED0;
    /// VXLAN-GPE's next protocol (1 IPv4, 2 IPv6, 3 Ethernet, 4 NSH).
    next_protocol, set_next_protocol: u8 = field::NEXT_PROTOCOL;
    /// VXLAN-GBP's flags.
    gbp_flags, set_gbp_flags: u8 = field::GBP_FLAGS;
    /// VXLAN-GBP's group policy id.
    gbp_id, set_gbp_id: u16 = field::GBP_ID;
    /// The last reserved byte.
    reserved2, set_reserved2: u8 = field::RESERVED2;
}
