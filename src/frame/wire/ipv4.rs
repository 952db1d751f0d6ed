//! IPv4 (RFC 791): the header with its options.

use std::net::Ipv4Addr;

use super::{bits, fields, header, need, set_bits, TlvOptions, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    /// Version (high nibble) and header length in 32-bit words (low nibble).
    pub const VER_IHL: Field = 0..1;
    /// DSCP (6 bits) and ECN (2 bits).
    pub const DSCP_ECN: Field = 1..2;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    /// Flags (3 bits) and fragment offset (13 bits, in 8-byte units).
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: Field = 8..9;
    pub const PROTOCOL: Field = 9..10;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    /// The options: from the fixed header's end to the header length.
    pub const fn options(header_len: usize) -> Field {
        super::HEADER_LEN..header_len
    }
}

/// The fixed header's length (no options).
pub const HEADER_LEN: usize = 20;

/// Flag bits of [`field::FLG_OFF`].
pub const FLAG_RB: u16 = 0x8000;
pub const FLAG_DF: u16 = 0x4000;
pub const FLAG_MF: u16 = 0x2000;
/// The fragment offset's bits.
pub const FRAG_OFFSET_MASK: u16 = 0x1fff;

/// Option kinds.
pub mod option {
    pub const END: u8 = 0;
    pub const NOP: u8 = 1;
    pub const RECORD_ROUTE: u8 = 7;
    pub const TIMESTAMP: u8 = 68;
    pub const LOOSE_SOURCE_ROUTE: u8 = 131;
    pub const STRICT_SOURCE_ROUTE: u8 = 137;
    pub const ROUTER_ALERT: u8 = 148;
}

header!("an IPv4");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes, a header length of at least 20 and all of it there.
    /// (The total length is not checked: the caller bounds the packet by it, see
    /// [`Self::packet_end`].)
    pub fn check_len(&self) -> Result<(), WireError> {
        let have = self.buffer.as_ref().len();
        need(have, HEADER_LEN)?;
        let hl = self.header_len();
        if hl < HEADER_LEN {
            return Err(WireError::Malformed {
                why: "an IPv4 header length under 20 bytes",
            });
        }
        need(have, hl)
    }

    /// The version nibble (4).
    #[inline]
    pub fn version(&self) -> u8 {
        bits(self.buffer.as_ref(), field::VER_IHL.start, 0xf0, 4)
    }

    /// The header length in bytes (IHL × 4), options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        bits(self.buffer.as_ref(), field::VER_IHL.start, 0x0f, 0) as usize * 4
    }

    /// DSCP (the high 6 bits of the DS field).
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.dsfield() >> 2
    }

    /// ECN (the low 2 bits).
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.dsfield() & 3
    }

    /// The three flag bits (RB, DF, MF) as a number 0..=7, as tshark's `ip.flags` prints.
    #[inline]
    pub fn flags(&self) -> u8 {
        (self.flags_frag() >> 13) as u8
    }

    /// Don't fragment.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.flags_frag() & FLAG_DF != 0
    }

    /// More fragments.
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.flags_frag() & FLAG_MF != 0
    }

    /// The reserved (evil) bit.
    #[inline]
    pub fn reserved_flag(&self) -> bool {
        self.flags_frag() & FLAG_RB != 0
    }

    /// The fragment offset in 8-byte units.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        self.flags_frag() & FRAG_OFFSET_MASK
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

    /// Where the packet ends in the view's bytes: the total length bounds it (what follows is
    /// Ethernet padding), clamped to the header and the bytes there; a total length of 0
    /// (TSO, BIG TCP) means all the bytes there.
    pub fn packet_end(&self) -> usize {
        let have = self.buffer.as_ref().len();
        match self.total_len() as usize {
            0 => have,
            t => t.clamp(self.header_len(), have),
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes the version nibble.
    pub fn set_version(&mut self, v: u8) {
        set_bits(self.buffer.as_mut(), field::VER_IHL.start, 0xf0, 4, v);
    }

    /// Writes the header length in bytes (a multiple of 4, at most 60).
    pub fn set_header_len(&mut self, len: usize) {
        set_bits(self.buffer.as_mut(), 0, 0x0f, 0, (len / 4) as u8);
    }

    /// Writes the flag bits (0..=7: RB, DF, MF), keeping the fragment offset.
    pub fn set_flags(&mut self, flags: u8) {
        let v = (self.flags_frag() & FRAG_OFFSET_MASK) | (u16::from(flags & 7) << 13);
        self.set_flags_frag(v);
    }

    /// Writes the fragment offset (8-byte units), keeping the flags.
    pub fn set_frag_offset(&mut self, off: u16) {
        let v = (self.flags_frag() & !FRAG_OFFSET_MASK) | (off & FRAG_OFFSET_MASK);
        self.set_flags_frag(v);
    }
}

fields! {
    /// The DS field (DSCP and ECN; Scapy's `tos`).
    dsfield, set_dsfield: u8 = field::DSCP_ECN;
    /// The total length.
    total_len, set_total_len: u16 = field::LENGTH;
    /// The identification.
    ident, set_ident: u16 = field::IDENT;
    /// Flags and fragment offset as one 16-bit word.
    flags_frag, set_flags_frag: u16 = field::FLG_OFF;
    /// The time to live.
    ttl, set_ttl: u8 = field::TTL;
    /// The protocol of the payload ([`super::ip::protocol`]).
    protocol, set_protocol: u8 = field::PROTOCOL;
    /// The header checksum.
    checksum, set_checksum: u16 = field::CHECKSUM;
    /// The source address.
    src, set_src: Ipv4Addr = field::SRC_ADDR;
    /// The destination address.
    dst, set_dst: Ipv4Addr = field::DST_ADDR;
}
