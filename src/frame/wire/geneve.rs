//! Geneve (RFC 8926): version and options length, flags, protocol type, the 24-bit VNI; then
//! the options and what the protocol type announces.

use super::{fields, get24, header, need, put24, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    /// Version (2 bits) and options length in 4-byte words (6 bits).
    pub const VER_OPTLEN: Field = 0..1;
    /// O (control) and C (critical) flags.
    pub const FLAGS: Field = 1..2;
    pub const PROTOCOL: Field = 2..4;
    pub const VNI: Field = 4..7;
    pub const RESERVED: Field = 7..8;
}

/// An option's fields, relative to the option's first byte.
pub mod option {
    use crate::frame::wire::Field;
    pub const CLASS: Field = 0..2;
    pub const TYPE: Field = 2..3;
    /// Reserved (3 bits) and the data's length in 4-byte words (5 bits).
    pub const FLAGS_LEN: Field = 3..4;
}

/// An option's header length.
pub const OPTION_HEADER_LEN: usize = 4;

/// The data length of the option that starts `b` (at least [`OPTION_HEADER_LEN`] bytes).
pub fn option_data_len(b: &[u8]) -> usize {
    (b[option::FLAGS_LEN.start] & 0x1f) as usize * 4
}

/// The base header's length (no options).
pub const HEADER_LEN: usize = 8;

header!("a Geneve");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes (the options: see [`Self::header_len`]).
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The version.
    #[inline]
    pub fn version(&self) -> u8 {
        self.ver_optlen() >> 6
    }

    /// The options' length in bytes.
    #[inline]
    pub fn options_len(&self) -> usize {
        (self.ver_optlen() & 0x3f) as usize * 4
    }

    /// The header's length with its options.
    #[inline]
    pub fn header_len(&self) -> usize {
        HEADER_LEN + self.options_len()
    }

    /// The virtual network identifier.
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

    /// Writes the options' length in bytes (a multiple of 4, at most 252), keeping the version.
    pub fn set_options_len(&mut self, len: usize) {
        let v = (self.ver_optlen() & 0xc0) | ((len / 4) as u8 & 0x3f);
        self.set_ver_optlen(v);
    }
}

fields! {
    /// Version and options length as one byte.
    ver_optlen, set_ver_optlen: u8 = field::VER_OPTLEN;
    /// The O and C flags.
    flags, set_flags: u8 = field::FLAGS;
    /// The protocol type of the payload (an EtherType; 0x6558 for Ethernet).
    protocol, set_protocol: u16 = field::PROTOCOL;
    /// The reserved byte after the VNI.
    reserved, set_reserved: u8 = field::RESERVED;
}
