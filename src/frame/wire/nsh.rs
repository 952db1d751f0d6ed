//! NSH, the Network Service Header (RFC 8300): version, O bit, an unused bit, TTL, length (in
//! 4-byte words, the whole header), MD type, next protocol, the 24-bit service path id and the
//! service index; then the context headers: four fixed words (MD type 1) or a list of
//! variable-length metadata TLVs (MD type 2).

use super::{fields, get24, header, need, put24, WireError};

/// Field ranges (sub-word fields carry the range of the word that holds them).
pub mod field {
    use crate::frame::wire::Field;
    /// Version (2 bits), O (1), unused (1), TTL (6), length (6).
    pub const VER_LEN: Field = 0..2;
    /// Unused (4 bits) and MD type (4).
    pub const MD_TYPE: Field = 2..3;
    pub const NEXT_PROTOCOL: Field = 3..4;
    pub const SPI: Field = 4..7;
    pub const SI: Field = 7..8;
    /// An MD type 2 TLV's metadata class.
    pub const TLV_CLASS: Field = 0..2;
    pub const TLV_TYPE: Field = 2..3;
    /// The unassigned bit and the length (7 bits, in bytes).
    pub const TLV_LEN: Field = 3..4;
}

/// The base header's length (service path header included), before the context headers.
pub const HEADER_LEN: usize = 8;
/// An MD type 2 TLV's header.
pub const TLV_HEADER_LEN: usize = 4;

/// Next protocol values.
pub mod next {
    pub const IPV4: u8 = 1;
    pub const IPV6: u8 = 2;
    pub const ETHERNET: u8 = 3;
    pub const NSH: u8 = 4;
    pub const MPLS: u8 = 5;
}

header!("an NSH");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes (the context headers: see [`Self::header_len`]).
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The version (2 bits).
    pub fn version(&self) -> u8 {
        (self.ver_len() >> 14) as u8
    }

    /// The O (OAM) bit.
    pub fn oam(&self) -> u8 {
        ((self.ver_len() >> 13) & 1) as u8
    }

    /// The unused bit after O (tshark's `nsh.CBit`).
    pub fn c_bit(&self) -> u8 {
        ((self.ver_len() >> 12) & 1) as u8
    }

    /// The TTL (6 bits).
    pub fn ttl(&self) -> u8 {
        ((self.ver_len() >> 6) & 0x3f) as u8
    }

    /// The length in 4-byte words (6 bits).
    pub fn len_words(&self) -> u8 {
        (self.ver_len() & 0x3f) as u8
    }

    /// The header's length in bytes, context headers included.
    pub fn header_len(&self) -> usize {
        self.len_words() as usize * 4
    }

    /// The MD type (4 bits).
    pub fn md_type(&self) -> u8 {
        self.md_byte() & 0x0f
    }

    /// The service path identifier.
    pub fn spi(&self) -> u32 {
        get24(&self.buffer.as_ref()[field::SPI])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes the service path identifier (low 24 bits).
    pub fn set_spi(&mut self, v: u32) {
        put24(v, &mut self.buffer.as_mut()[field::SPI]);
    }
}

fields! {
    /// The first word's 16 bits (version, O, unused, TTL, length).
    ver_len, set_ver_len: u16 = field::VER_LEN;
    /// The byte that holds the MD type.
    md_byte, set_md_byte: u8 = field::MD_TYPE;
    /// The next protocol ([`next`]).
    next_protocol, set_next_protocol: u8 = field::NEXT_PROTOCOL;
    /// The service index.
    si, set_si: u8 = field::SI;
}
