//! ICMP (RFC 792): type, code, checksum and the four bytes after them (an echo's id and
//! sequence, the MTU of "fragmentation needed", or unused before a quoted packet).

use super::{fields, header, need, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const TYPE: Field = 0..1;
    pub const CODE: Field = 1..2;
    pub const CHECKSUM: Field = 2..4;
    /// The four bytes after the checksum.
    pub const REST: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQ: Field = 6..8;
    /// The next-hop MTU of destination unreachable, code 4.
    pub const NEXT_HOP_MTU: Field = 6..8;
    /// Redirect's gateway address.
    pub const GATEWAY: Field = 4..8;
    /// Parameter problem's pointer.
    pub const POINTER: Field = 4..5;
    /// The quoted datagram's length in 32-bit words (RFC 4884), in the errors.
    pub const LENGTH: Field = 5..6;
}

/// The header's length (what an error's quoted packet follows).
pub const HEADER_LEN: usize = 8;

/// Message types.
pub mod msg {
    pub const ECHO_REPLY: u8 = 0;
    pub const DEST_UNREACHABLE: u8 = 3;
    pub const SOURCE_QUENCH: u8 = 4;
    pub const REDIRECT: u8 = 5;
    pub const ECHO_REQUEST: u8 = 8;
    pub const TIME_EXCEEDED: u8 = 11;
    pub const PARAM_PROBLEM: u8 = 12;
    pub const TIMESTAMP: u8 = 13;
    pub const TIMESTAMP_REPLY: u8 = 14;
    /// Destination unreachable's code "fragmentation needed" (with an MTU).
    pub const CODE_FRAG_NEEDED: u8 = 4;

    /// The types that quote the packet that caused them.
    pub const fn is_error(t: u8) -> bool {
        matches!(
            t,
            DEST_UNREACHABLE | SOURCE_QUENCH | REDIRECT | TIME_EXCEEDED | PARAM_PROBLEM
        )
    }
}

header!("an ICMP");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The four bytes after the checksum.
    #[inline]
    pub fn rest(&self) -> &[u8] {
        &self.buffer.as_ref()[field::REST]
    }
}

fields! {
    /// The message type ([`msg`]).
    msg_type, set_msg_type: u8 = field::TYPE;
    /// The code.
    code, set_code: u8 = field::CODE;
    /// The checksum.
    checksum, set_checksum: u16 = field::CHECKSUM;
    /// An echo's identifier.
    echo_ident, set_echo_ident: u16 = field::ECHO_IDENT;
    /// An echo's sequence number.
    echo_seq, set_echo_seq: u16 = field::ECHO_SEQ;
    /// The next-hop MTU of "fragmentation needed".
    next_hop_mtu, set_next_hop_mtu: u16 = field::NEXT_HOP_MTU;
}
