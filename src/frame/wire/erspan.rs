//! ERSPAN (draft-foschiano-erspan): Cisco's mirrored traffic over GRE. Type I (GRE 0x88be
//! without a sequence number) has no header of its own; type II (0x88be, version 1) an 8-byte
//! header; type III (0x22eb, version 2) a 12-byte one, followed by an 8-byte platform-specific
//! sub-header when its O bit is set. An Ethernet frame follows.

use super::{need, Value, WireError};

/// GRE protocol types.
pub mod proto {
    /// Types I and II.
    pub const TYPE_II: u16 = 0x88be;
    /// Type III.
    pub const TYPE_III: u16 = 0x22eb;
}

/// Field ranges (sub-word fields carry the range of the word that holds them).
pub mod field {
    use crate::frame::wire::Field;
    /// Version (4 bits) and VLAN (12).
    pub const VER_VLAN: Field = 0..2;
    /// COS (3), encapsulation type / BSO (2), truncated (1), session id (10).
    pub const COS_SPAN: Field = 2..4;
    /// Type II: reserved (12) and index (20).
    pub const RESERVED_INDEX: Field = 4..8;
    /// Type III: the timestamp.
    pub const TIMESTAMP: Field = 4..8;
    /// Type III: the security group tag.
    pub const SGT: Field = 8..10;
    /// Type III: P (1), frame type (5), hardware id (6), direction (1), granularity (2), O (1).
    pub const P_O: Field = 10..12;
    /// The platform-specific sub-header's first word: platform id (6), then 26 bits.
    pub const PLATFORM_WORD1: Field = 0..4;
    /// Its second word.
    pub const PLATFORM_WORD2: Field = 4..8;
}

/// Type II's header length.
pub const TYPE_II_LEN: usize = 8;
/// Type III's header length (without the platform-specific sub-header).
pub const TYPE_III_LEN: usize = 12;
/// The platform-specific sub-header's length.
pub const PLATFORM_LEN: usize = 8;

/// A type II or III header (the version says which): a checked view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Header<T> {
    /// The view, once the first 8 bytes (type II) or 12 (version 2, type III) are there.
    pub fn new_checked(buffer: T) -> Result<Self, WireError> {
        let h = Header { buffer };
        need(h.buffer.as_ref().len(), 2)?;
        need(h.buffer.as_ref().len(), h.header_len())?;
        Ok(h)
    }

    fn u16_at(&self, f: super::Field) -> u16 {
        u16::get(&self.buffer.as_ref()[f])
    }

    /// The version: 1 for type II, 2 for type III.
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// The header's length by its version (8, or 12 for type III; the platform-specific
    /// sub-header not counted); 2 for an unknown version (only it is read).
    pub fn header_len(&self) -> usize {
        match self.version() {
            1 => TYPE_II_LEN,
            2 => TYPE_III_LEN,
            _ => 2,
        }
    }

    /// The VLAN of the mirrored frame.
    pub fn vlan(&self) -> u16 {
        self.u16_at(field::VER_VLAN) & 0x0fff
    }

    /// Class of service.
    pub fn cos(&self) -> u8 {
        (self.u16_at(field::COS_SPAN) >> 13) as u8
    }

    /// Type II's encapsulation type, type III's BSO (2 bits).
    pub fn encap(&self) -> u8 {
        ((self.u16_at(field::COS_SPAN) >> 11) & 3) as u8
    }

    /// The truncated bit.
    pub fn truncated(&self) -> bool {
        self.u16_at(field::COS_SPAN) & 0x0400 != 0
    }

    /// The session id (10 bits).
    pub fn session_id(&self) -> u16 {
        self.u16_at(field::COS_SPAN) & 0x03ff
    }

    /// Type II: the reserved 12 bits.
    pub fn reserved(&self) -> u16 {
        (u32::get(&self.buffer.as_ref()[field::RESERVED_INDEX]) >> 20) as u16
    }

    /// Type II: the index (20 bits).
    pub fn index(&self) -> u32 {
        u32::get(&self.buffer.as_ref()[field::RESERVED_INDEX]) & 0xf_ffff
    }

    /// Type III: the timestamp.
    pub fn timestamp(&self) -> u32 {
        u32::get(&self.buffer.as_ref()[field::TIMESTAMP])
    }

    /// Type III: the security group tag.
    pub fn sgt(&self) -> u16 {
        self.u16_at(field::SGT)
    }

    /// Type III: the word after the SGT (P, frame type, hardware id, D, granularity, O).
    pub fn p_o(&self) -> u16 {
        self.u16_at(field::P_O)
    }

    /// Type III: the platform-specific sub-header follows (the O bit).
    pub fn has_platform(&self) -> bool {
        self.version() == 2 && self.p_o() & 1 != 0
    }
}

/// Type III's last word's fields: (P, frame type, hardware id, direction, granularity, O).
pub fn split_p_o(w: u16) -> (u8, u8, u8, u8, u8, u8) {
    (
        (w >> 15) as u8,
        ((w >> 10) & 0x1f) as u8,
        ((w >> 4) & 0x3f) as u8,
        ((w >> 3) & 1) as u8,
        ((w >> 1) & 3) as u8,
        (w & 1) as u8,
    )
}

/// The platform-specific sub-header's two words (`b` holds at least [`PLATFORM_LEN`] bytes).
pub fn platform_words(b: &[u8]) -> (u32, u32) {
    (
        u32::get(&b[field::PLATFORM_WORD1]),
        u32::get(&b[field::PLATFORM_WORD2]),
    )
}
