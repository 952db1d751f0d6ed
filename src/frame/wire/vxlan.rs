//! VXLAN (RFC 7348): flags, reserved, the 24-bit VNI, reserved; an Ethernet frame follows.

use super::{fields, get24, header, need, put24, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const FLAGS: Field = 0..1;
    pub const VNI: Field = 4..7;
}

/// The header's length.
pub const HEADER_LEN: usize = 8;
/// The I flag: the VNI is valid.
pub const FLAG_VNI: u8 = 0x08;

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
}
