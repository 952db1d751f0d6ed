//! IEEE 802.2 LLC (after an 802.3 length) and the SNAP header that follows LLC AA-AA-03.

use super::{fields, get24, header, need, put24, WireError};

/// Field ranges (SNAP's relative to the LLC header, which it follows).
pub mod field {
    use crate::frame::wire::Field;
    pub const DSAP: Field = 0..1;
    pub const SSAP: Field = 1..2;
    pub const CONTROL: Field = 2..3;
    pub const SNAP_OUI: Field = 3..6;
    pub const SNAP_PID: Field = 6..8;
}

/// The LLC header's length (unnumbered control).
pub const HEADER_LEN: usize = 3;
/// LLC with its SNAP header.
pub const SNAP_LEN: usize = 8;
/// The SAP that announces SNAP.
pub const SAP_SNAP: u8 = 0xaa;

header!("an LLC");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// AA-AA-03 with a whole SNAP header after it: [`Self::snap_oui`] and
    /// [`Self::snap_pid`] may be read.
    pub fn has_snap(&self) -> bool {
        self.dsap() == SAP_SNAP
            && self.ssap() == SAP_SNAP
            && self.control() == 3
            && self.buffer.as_ref().len() >= SNAP_LEN
    }

    /// SNAP's organisation code (needs [`Self::has_snap`]).
    pub fn snap_oui(&self) -> u32 {
        get24(&self.buffer.as_ref()[field::SNAP_OUI])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes SNAP's organisation code (low 24 bits; needs [`Self::has_snap`]).
    pub fn set_snap_oui(&mut self, v: u32) {
        put24(v, &mut self.buffer.as_mut()[field::SNAP_OUI]);
    }
}

fields! {
    /// The destination service access point.
    dsap, set_dsap: u8 = field::DSAP;
    /// The source service access point.
    ssap, set_ssap: u8 = field::SSAP;
    /// The control byte.
    control, set_control: u8 = field::CONTROL;
    /// SNAP's protocol id (an EtherType when the OUI is 0; needs [`Header::has_snap`]).
    snap_pid, set_snap_pid: u16 = field::SNAP_PID;
}
