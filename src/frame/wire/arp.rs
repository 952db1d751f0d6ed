//! ARP (RFC 826): the fixed part (hardware and protocol types and sizes, opcode), then the
//! addresses; the address getters read Ethernet/IPv4 addresses and need
//! [`Header::is_eth_ipv4`].

use std::net::Ipv4Addr;

use super::{fields, header, need, WireError};
use crate::frame::MacAddr;

/// Field ranges (the addresses as Ethernet/IPv4 ARP places them).
pub mod field {
    use crate::frame::wire::Field;
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: Field = 4..5;
    pub const PLEN: Field = 5..6;
    pub const OPER: Field = 6..8;
    pub const SHA: Field = 8..14;
    pub const SPA: Field = 14..18;
    pub const THA: Field = 18..24;
    pub const TPA: Field = 24..28;
}

/// The fixed part's length (what `new_checked` needs).
pub const HEADER_LEN: usize = 8;
/// An Ethernet/IPv4 ARP packet's length.
pub const ETH_IPV4_LEN: usize = 28;

/// Hardware type Ethernet.
pub const HTYPE_ETHERNET: u16 = 1;
/// Opcodes.
pub const OP_REQUEST: u16 = 1;
pub const OP_REPLY: u16 = 2;

header!("an ARP");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least the fixed [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// Ethernet (6-byte) and IPv4 (4-byte, 0x0800) addresses, all there: the address
    /// getters and setters may be used.
    pub fn is_eth_ipv4(&self) -> bool {
        self.hlen() == 6
            && self.plen() == 4
            && self.ptype() == super::ethernet::ethertype::IPV4
            && self.buffer.as_ref().len() >= ETH_IPV4_LEN
    }
}

fields! {
    /// The hardware type (1 Ethernet).
    htype, set_htype: u16 = field::HTYPE;
    /// The protocol type (an EtherType).
    ptype, set_ptype: u16 = field::PTYPE;
    /// The hardware address size.
    hlen, set_hlen: u8 = field::HLEN;
    /// The protocol address size.
    plen, set_plen: u8 = field::PLEN;
    /// The opcode (1 request, 2 reply).
    oper, set_oper: u16 = field::OPER;
    /// The sender's hardware address (needs [`Header::is_eth_ipv4`]).
    sha, set_sha: MacAddr = field::SHA;
    /// The sender's protocol address (needs [`Header::is_eth_ipv4`]).
    spa, set_spa: Ipv4Addr = field::SPA;
    /// The target's hardware address (needs [`Header::is_eth_ipv4`]).
    tha, set_tha: MacAddr = field::THA;
    /// The target's protocol address (needs [`Header::is_eth_ipv4`]).
    tpa, set_tpa: Ipv4Addr = field::TPA;
}
