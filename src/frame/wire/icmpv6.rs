//! ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861): type, code, checksum, the four bytes
//! after them, the target address of NS/NA, and the ND option layout.

use std::net::Ipv6Addr;

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
    /// Packet too big's MTU.
    pub const MTU: Field = 4..8;
    /// Neighbour solicitation's and advertisement's target.
    pub const TARGET: Field = 8..24;

    /// An ND option's type, relative to the option.
    pub const OPT_TYPE: Field = 0..1;
    /// An ND option's length in 8-byte units.
    pub const OPT_LEN: Field = 1..2;
    /// A link-layer address option's Ethernet address.
    pub const OPT_LINKADDR: Field = 2..8;

    /// The quoted packet's length in 64-bit words (RFC 4884), in the errors.
    pub const ERR_LENGTH: Field = 4..5;
    /// Router advertisement: current hop limit, flags (M O H prf P), lifetime, timers.
    pub const RA_CUR_HOP_LIMIT: Field = 4..5;
    pub const RA_FLAGS: Field = 5..6;
    pub const RA_ROUTER_LIFETIME: Field = 6..8;
    pub const RA_REACHABLE_TIME: Field = 8..12;
    pub const RA_RETRANS_TIMER: Field = 12..16;

    /// The prefix information option: prefix length, flags (L A R), lifetimes, prefix.
    pub const OPT_PREFIX_LEN: Field = 2..3;
    pub const OPT_PREFIX_FLAGS: Field = 3..4;
    pub const OPT_VALID_LIFETIME: Field = 4..8;
    pub const OPT_PREFERRED_LIFETIME: Field = 8..12;
    pub const OPT_PREFIX_RESERVED: Field = 12..16;
    pub const OPT_PREFIX: Field = 16..32;
    /// The MTU option: reserved, then the MTU.
    pub const OPT_MTU_RESERVED: Field = 2..4;
    pub const OPT_MTU: Field = 4..8;
}

/// The header's length (what an error's quoted packet follows).
pub const HEADER_LEN: usize = 8;

/// Where the ND options start in each message.
pub const RS_OPTIONS: usize = 8;
pub const RA_OPTIONS: usize = 16;
pub const NS_NA_OPTIONS: usize = 24;
/// A link-layer address option with an Ethernet address.
pub const OPT_LINKADDR_LEN: usize = 8;

/// Message types.
pub mod msg {
    pub const DST_UNREACHABLE: u8 = 1;
    pub const PKT_TOO_BIG: u8 = 2;
    pub const TIME_EXCEEDED: u8 = 3;
    pub const PARAM_PROBLEM: u8 = 4;
    pub const ECHO_REQUEST: u8 = 128;
    pub const ECHO_REPLY: u8 = 129;
    pub const MLD_QUERY: u8 = 130;
    pub const MLD_REPORT: u8 = 131;
    pub const MLD_DONE: u8 = 132;
    pub const ROUTER_SOLICIT: u8 = 133;
    pub const ROUTER_ADVERT: u8 = 134;
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    pub const NEIGHBOR_ADVERT: u8 = 136;
    pub const REDIRECT: u8 = 137;
    pub const MLDV2_REPORT: u8 = 143;

    /// The types that quote the packet that caused them.
    pub const fn is_error(t: u8) -> bool {
        matches!(t, 1..=4)
    }
}

/// ND option types.
pub mod nd_option {
    pub const SOURCE_LINKADDR: u8 = 1;
    pub const TARGET_LINKADDR: u8 = 2;
    pub const PREFIX_INFO: u8 = 3;
    pub const MTU: u8 = 5;
}

header!("an ICMPv6");

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

    /// A neighbour solicitation or advertisement with its whole target address.
    pub fn has_target(&self) -> bool {
        matches!(
            self.msg_type(),
            msg::NEIGHBOR_SOLICIT | msg::NEIGHBOR_ADVERT
        ) && self.buffer.as_ref().len() >= field::TARGET.end
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
    /// Packet too big's MTU.
    mtu, set_mtu: u32 = field::MTU;
    /// NS's or NA's target (needs [`Header::has_target`]).
    target, set_target: Ipv6Addr = field::TARGET;
}
