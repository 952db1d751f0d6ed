//! TCP (RFC 9293): the header, its flag bits and option kinds.

use super::{fields, header, need, TlvOptions, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (4 bits), reserved (3), NS/AE (1), then the eight flags of byte 13.
    pub const FLAGS: Field = 12..14;
    /// The data offset's byte.
    pub const DATA_OFF: Field = 12..13;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    /// The options: from the fixed header's end to the header length.
    pub const fn options(header_len: usize) -> Field {
        super::HEADER_LEN..header_len
    }
}

/// The fixed header's length (no options).
pub const HEADER_LEN: usize = 20;

/// Flag bits of the 12 low bits of [`field::FLAGS`].
pub mod flags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    /// NS (RFC 3540), now AE.
    pub const NS: u16 = 0x100;
    /// The three reserved bits.
    pub const RESERVED: u16 = 0xe00;
    /// Every flag bit (the 12 bits after the data offset).
    pub const MASK: u16 = 0x0fff;
}

/// Option kinds.
pub mod option {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const MSS: u8 = 2;
    pub const WSCALE: u8 = 3;
    pub const SACK_PERM: u8 = 4;
    pub const SACK: u8 = 5;
    pub const TIMESTAMP: u8 = 8;
    /// The lengths of the options with a fixed one.
    pub const MSS_LEN: usize = 4;
    pub const WSCALE_LEN: usize = 3;
    pub const TIMESTAMP_LEN: usize = 10;
    /// The values' ranges, relative to the option's kind byte.
    pub const MSS_VALUE: crate::frame::wire::Field = 2..4;
    pub const WSCALE_SHIFT: crate::frame::wire::Field = 2..3;
    pub const TSVAL: crate::frame::wire::Field = 2..6;
    pub const TSECR: crate::frame::wire::Field = 6..10;
}

header!("a TCP");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes, a data offset of at least 5 words and all of the header
    /// there.
    pub fn check_len(&self) -> Result<(), WireError> {
        let have = self.buffer.as_ref().len();
        need(have, HEADER_LEN)?;
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return Err(WireError::Malformed {
                why: "a TCP data offset under 5 words",
            });
        }
        need(have, hl)
    }

    /// The header length in bytes (data offset × 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        (self.buffer.as_ref()[field::DATA_OFF.start] >> 4) as usize * 4
    }

    /// The 12 flag bits ([`flags`]), reserved and NS included.
    #[inline]
    pub fn flags(&self) -> u16 {
        self.off_flags() & flags::MASK
    }

    /// Whether flag bit(s) `f` ([`flags`]) are all set.
    #[inline]
    pub fn has(&self, f: u16) -> bool {
        self.flags() & f == f
    }

    /// The option bytes (needs [`Self::check_len`]).
    #[inline]
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::options(self.header_len())]
    }

    /// The options one by one.
    pub fn option_iter(&self) -> TlvOptions<'_> {
        TlvOptions::new(self.options())
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes the 12 flag bits, keeping the data offset.
    pub fn set_flags(&mut self, f: u16) {
        let v = (self.off_flags() & !flags::MASK) | (f & flags::MASK);
        self.set_off_flags(v);
    }

    /// Writes the header length in bytes (a multiple of 4, at most 60), keeping the flags.
    pub fn set_header_len(&mut self, len: usize) {
        let v = (self.off_flags() & flags::MASK) | (((len / 4) as u16) << 12);
        self.set_off_flags(v);
    }
}

fields! {
    /// The source port.
    src_port, set_src_port: u16 = field::SRC_PORT;
    /// The destination port.
    dst_port, set_dst_port: u16 = field::DST_PORT;
    /// The sequence number.
    seq, set_seq: u32 = field::SEQ_NUM;
    /// The acknowledgement number.
    ack, set_ack: u32 = field::ACK_NUM;
    /// Data offset and flags as one 16-bit word.
    off_flags, set_off_flags: u16 = field::FLAGS;
    /// The window.
    window, set_window: u16 = field::WIN_SIZE;
    /// The checksum.
    checksum, set_checksum: u16 = field::CHECKSUM;
    /// The urgent pointer.
    urgent, set_urgent: u16 = field::URGENT;
}
