//! One MPLS label stack entry (RFC 3032): label (20 bits), traffic class (3, once called
//! EXP), bottom of stack (1), TTL (8).

use super::{header, need, WireError};

/// Field ranges (the label, class and bottom bit share bytes 0..3).
pub mod field {
    use crate::frame::wire::Field;
    /// The 20-bit label.
    pub const LABEL: Field = 0..3;
    /// Traffic class and bottom of stack (and the label's low nibble).
    pub const TC_BOTTOM: Field = 2..3;
    pub const TTL: Field = 3..4;
    /// The whole entry.
    pub const ENTRY: Field = 0..4;
}

/// An entry's length.
pub const HEADER_LEN: usize = 4;

header!("an MPLS label stack entry");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The entry as one 32-bit word.
    #[inline]
    pub fn entry(&self) -> u32 {
        <u32 as super::Value>::get(&self.buffer.as_ref()[field::ENTRY])
    }

    /// The label.
    #[inline]
    pub fn label(&self) -> u32 {
        self.entry() >> 12
    }

    /// The traffic class (tshark's `mpls.exp`).
    #[inline]
    pub fn tc(&self) -> u8 {
        ((self.entry() >> 9) & 7) as u8
    }

    /// The bottom-of-stack bit.
    #[inline]
    pub fn bottom(&self) -> bool {
        (self.entry() >> 8) & 1 == 1
    }

    /// The TTL.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL.start]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    fn set_entry(&mut self, e: u32) {
        super::Value::put(e, &mut self.buffer.as_mut()[field::ENTRY]);
    }

    /// Writes the label (low 20 bits of `v`).
    pub fn set_label(&mut self, v: u32) {
        self.set_entry((self.entry() & 0xfff) | ((v & 0xf_ffff) << 12));
    }

    /// Writes the traffic class (low 3 bits).
    pub fn set_tc(&mut self, v: u8) {
        self.set_entry((self.entry() & !0xe00) | (u32::from(v & 7) << 9));
    }

    /// Writes the bottom-of-stack bit.
    pub fn set_bottom(&mut self, v: bool) {
        self.set_entry((self.entry() & !0x100) | (u32::from(v) << 8));
    }

    /// Writes the TTL.
    pub fn set_ttl(&mut self, v: u8) {
        self.buffer.as_mut()[field::TTL.start] = v;
    }
}
