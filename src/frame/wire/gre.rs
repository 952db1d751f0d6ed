//! GRE (RFC 2784, keys and sequence numbers of RFC 2890): flags and version, the protocol
//! type (an EtherType), then the optional checksum, key and sequence number words.

use super::{fields, header, need, WireError};

/// Field ranges (the optional words' places depend on the flags: [`Header::key_field`]).
pub mod field {
    use crate::frame::wire::Field;
    /// Flags (C, R, K, S, s, recursion) and version.
    pub const FLAGS_VER: Field = 0..2;
    pub const PROTOCOL: Field = 2..4;
    /// The checksum, when [`super::flags::CHECKSUM`] (or ROUTING) is set; the offset word
    /// follows it.
    pub const CHECKSUM: Field = 4..6;
}

/// The base header's length (no optional words).
pub const HEADER_LEN: usize = 4;

/// Flag bits of [`field::FLAGS_VER`].
pub mod flags {
    /// A checksum (and reserved) word is present.
    pub const CHECKSUM: u16 = 0x8000;
    /// Routing present (RFC 1701).
    pub const ROUTING: u16 = 0x4000;
    /// A key word is present.
    pub const KEY: u16 = 0x2000;
    /// A sequence number word is present.
    pub const SEQ: u16 = 0x1000;
    /// Strict source route (RFC 1701).
    pub const STRICT_ROUTE: u16 = 0x0800;
    /// The recursion control's bits.
    pub const RECURSION: u16 = 0x0700;
    /// The reserved flag bits (RFC 2784's Reserved0 after the first five).
    pub const RESERVED: u16 = 0x00f8;
    /// The version's bits.
    pub const VERSION: u16 = 0x0007;
}

header!("a GRE");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes (the optional words: see [`Self::header_len`]).
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The header's length: 4, plus 4 for each of checksum (with the offset, present when
    /// the C or R flag is set), key and sequence number.
    pub fn header_len(&self) -> usize {
        let f = self.flags_ver();
        HEADER_LEN
            + 4 * (usize::from(f & (flags::CHECKSUM | flags::ROUTING) != 0)
                + usize::from(f & flags::KEY != 0)
                + usize::from(f & flags::SEQ != 0))
    }

    /// The recursion control (3 bits).
    pub fn recursion_control(&self) -> u8 {
        ((self.flags_ver() & flags::RECURSION) >> 8) as u8
    }

    /// The reserved flag bits (5 bits).
    pub fn reserved_flags(&self) -> u8 {
        ((self.flags_ver() & flags::RESERVED) >> 3) as u8
    }

    /// Where the checksum and offset word sits, when the C or R flag announces one.
    pub fn checksum_field(&self) -> Option<super::Field> {
        (self.flags_ver() & (flags::CHECKSUM | flags::ROUTING) != 0)
            .then_some(HEADER_LEN..HEADER_LEN + 4)
    }

    /// The checksum, when announced and there.
    pub fn checksum(&self) -> Option<u16> {
        let r = self.checksum_field()?;
        let b = self.buffer.as_ref().get(r.start..r.start + 2)?;
        Some(<u16 as super::Value>::get(b))
    }

    /// The routing offset, when announced and there.
    pub fn offset(&self) -> Option<u16> {
        let r = self.checksum_field()?;
        let b = self.buffer.as_ref().get(r.start + 2..r.end)?;
        Some(<u16 as super::Value>::get(b))
    }

    /// The version (0).
    pub fn version(&self) -> u8 {
        (self.flags_ver() & flags::VERSION) as u8
    }

    /// Where the key word sits, when the K flag announces one.
    pub fn key_field(&self) -> Option<super::Field> {
        let f = self.flags_ver();
        (f & flags::KEY != 0).then(|| {
            let o = HEADER_LEN + self.checksum_field().map_or(0, |_| 4);
            o..o + 4
        })
    }

    /// Where the sequence number word sits, when the S flag announces one.
    pub fn seq_field(&self) -> Option<super::Field> {
        let f = self.flags_ver();
        (f & flags::SEQ != 0).then(|| {
            let o = HEADER_LEN
                + self.checksum_field().map_or(0, |_| 4)
                + self.key_field().map_or(0, |_| 4);
            o..o + 4
        })
    }

    /// The sequence number, when announced and there.
    pub fn sequence_number(&self) -> Option<u32> {
        let r = self.seq_field()?;
        let b = self.buffer.as_ref().get(r)?;
        Some(<u32 as super::Value>::get(b))
    }

    /// The key, when announced and there.
    pub fn key(&self) -> Option<u32> {
        let r = self.key_field()?;
        let b = self.buffer.as_ref().get(r)?;
        Some(<u32 as super::Value>::get(b))
    }
}

fields! {
    /// Flags and version as one 16-bit word.
    flags_ver, set_flags_ver: u16 = field::FLAGS_VER;
    /// The protocol type of the payload (an EtherType).
    protocol, set_protocol: u16 = field::PROTOCOL;
}
