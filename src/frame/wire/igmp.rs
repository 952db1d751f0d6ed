//! IGMP (RFC 2236 v2, the first 8 bytes of v3): type, max response time, checksum, group.

use std::net::Ipv4Addr;

use super::{fields, header, need, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    pub const TYPE: Field = 0..1;
    pub const MAX_RESP: Field = 1..2;
    pub const CHECKSUM: Field = 2..4;
    pub const GROUP: Field = 4..8;
}

/// The shortest header the view reads (type, max response, checksum).
pub const MIN_LEN: usize = 4;
/// An IGMPv2 message's length.
pub const HEADER_LEN: usize = 8;

/// Message types.
pub mod msg {
    pub const MEMBERSHIP_QUERY: u8 = 0x11;
    pub const V1_REPORT: u8 = 0x12;
    pub const V2_REPORT: u8 = 0x16;
    pub const LEAVE_GROUP: u8 = 0x17;
    pub const V3_REPORT: u8 = 0x22;
}

header!("an IGMP");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`MIN_LEN`] bytes ([`Self::group`] needs [`HEADER_LEN`]: see
    /// [`Self::has_group`]).
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), MIN_LEN)
    }

    /// The group address is there.
    pub fn has_group(&self) -> bool {
        self.buffer.as_ref().len() >= HEADER_LEN
    }
}

fields! {
    /// The message type ([`msg`]).
    msg_type, set_msg_type: u8 = field::TYPE;
    /// The max response time (tenths of a second).
    max_resp, set_max_resp: u8 = field::MAX_RESP;
    /// The checksum.
    checksum, set_checksum: u16 = field::CHECKSUM;
    /// The group address (needs [`Header::has_group`]).
    group, set_group: Ipv4Addr = field::GROUP;
}
