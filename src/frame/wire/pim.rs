//! PIM (RFC 7761): version and type, reserved, checksum; a Register message (type 1) then has
//! a 32-bit word of flags (B border, N null-register) and the multicast packet it carries.

use super::{fields, header, need, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    /// Version (4 bits) and type (4).
    pub const VER_TYPE: Field = 0..1;
    pub const RESERVED: Field = 1..2;
    pub const CHECKSUM: Field = 2..4;
    /// A Register's flags word (after the 4-byte header).
    pub const REGISTER_FLAGS: Field = 4..8;
}

/// The common header's length.
pub const HEADER_LEN: usize = 4;
/// A Register's header with its flags word.
pub const REGISTER_LEN: usize = 8;
/// The message type of a Register.
pub const TYPE_REGISTER: u8 = 1;
/// A Register's border bit.
pub const FLAG_BORDER: u32 = 0x8000_0000;
/// A Register's null-register bit.
pub const FLAG_NULL_REGISTER: u32 = 0x4000_0000;

header!("a PIM");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The version (2).
    pub fn version(&self) -> u8 {
        self.ver_type() >> 4
    }

    /// The message type.
    pub fn msg_type(&self) -> u8 {
        self.ver_type() & 0x0f
    }

    /// A Register's flags, when the bytes are there.
    pub fn register_flags(&self) -> Option<u32> {
        let b = self.buffer.as_ref().get(field::REGISTER_FLAGS)?;
        Some(<u32 as super::Value>::get(b))
    }
}

fields! {
    /// Version and type as one byte.
    ver_type, set_ver_type: u8 = field::VER_TYPE;
    /// The reserved byte.
    reserved, set_reserved: u8 = field::RESERVED;
    /// The checksum.
    checksum, set_checksum: u16 = field::CHECKSUM;
}
