//! An 802.1Q tag or an 802.1ad service tag (they share the layout): the tag control
//! information (priority, drop eligible, VLAN id), then the EtherType of what follows. The
//! tag starts after the EtherType that announces it.

use super::{fields, header, need, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    /// Priority (3 bits), drop eligible (1 bit), VLAN id (12 bits).
    pub const TCI: Field = 0..2;
    pub const ETHERTYPE: Field = 2..4;
}

/// A tag's length.
pub const HEADER_LEN: usize = 4;

/// The largest VLAN id.
pub const MAX_VID: u16 = 0x0fff;

header!("an 802.1Q/802.1ad tag");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The priority code point (0..=7).
    #[inline]
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// The drop eligible indicator (0 or 1).
    #[inline]
    pub fn dei(&self) -> u8 {
        ((self.tci() >> 12) & 1) as u8
    }

    /// The VLAN id (0..=4095).
    #[inline]
    pub fn vid(&self) -> u16 {
        self.tci() & MAX_VID
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes the priority (low 3 bits of `v`).
    pub fn set_pcp(&mut self, v: u8) {
        let tci = (self.tci() & 0x1fff) | (u16::from(v & 7) << 13);
        self.set_tci(tci);
    }

    /// Writes the drop eligible bit (low bit of `v`).
    pub fn set_dei(&mut self, v: u8) {
        let tci = (self.tci() & !0x1000) | (u16::from(v & 1) << 12);
        self.set_tci(tci);
    }

    /// Writes the VLAN id (low 12 bits of `v`).
    pub fn set_vid(&mut self, v: u16) {
        let tci = (self.tci() & !MAX_VID) | (v & MAX_VID);
        self.set_tci(tci);
    }
}

fields! {
    /// The tag control information.
    tci, set_tci: u16 = field::TCI;
    /// The EtherType of what follows the tag.
    ethertype, set_ethertype: u16 = field::ETHERTYPE;
}
