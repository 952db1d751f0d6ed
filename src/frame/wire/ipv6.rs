//! IPv6 (RFC 8200): the fixed header, and the extension headers' shared layout (next header,
//! length) so a walk can skip them ([`ext_header_len`]).

use std::net::Ipv6Addr;

use super::{fields, header, ip::protocol, need, WireError};

/// Field ranges.
pub mod field {
    use crate::frame::wire::Field;
    /// Version (4 bits), traffic class (8), flow label (20).
    pub const VER_TC_FLOW: Field = 0..4;
    pub const LENGTH: Field = 4..6;
    pub const NXT_HDR: Field = 6..7;
    pub const HOP_LIMIT: Field = 7..8;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    /// The flow label's bytes (its high nibble shares byte 1 with the traffic class).
    pub const FLOW: Field = 1..4;

    /// An extension header's next header byte, relative to its start.
    pub const EXT_NXT_HDR: Field = 0..1;
    /// An extension header's length byte.
    pub const EXT_LEN: Field = 1..2;
    /// The fragment header's offset and M flag.
    pub const FRAG_OFF_M: Field = 2..4;
    /// The fragment header's identification.
    pub const FRAG_IDENT: Field = 4..8;
    /// The routing header's type, segments left, and the reserved word after them.
    pub const ROUTE_TYPE: Field = 2..3;
    pub const ROUTE_SEGLEFT: Field = 3..4;
    pub const ROUTE_RESERVED: Field = 4..8;
}

/// The fixed header's length.
pub const HEADER_LEN: usize = 40;

/// The smallest extension header.
pub const EXT_HEADER_MIN_LEN: usize = 8;

/// The next-header values that are extension headers this crate walks.
pub const fn is_ext_header(nh: u8) -> bool {
    matches!(
        nh,
        protocol::HOPOPT
            | protocol::IPV6_ROUTE
            | protocol::IPV6_FRAG
            | protocol::AH
            | protocol::IPV6_OPTS
    )
}

/// The length of extension header `nh` that starts with `ext` (at least two bytes): a
/// fragment header is 8, AH counts 4-byte words less 2, the others 8-byte words less 1.
pub fn ext_header_len(nh: u8, ext: &[u8]) -> usize {
    let n = ext[field::EXT_LEN.start] as usize;
    match nh {
        protocol::IPV6_FRAG => 8,
        protocol::AH => (n + 2) * 4,
        _ => (n + 1) * 8,
    }
}

/// The hop-by-hop option type of the jumbo payload option (RFC 2675).
pub const OPT_JUMBO: u8 = 0xc2;

/// The jumbo payload option in the hop-by-hop header `hbh` (its bytes from the first):
/// where its 32-bit value sits (relative to `hbh`) and the value, when there.
pub fn jumbo_option(hbh: &[u8]) -> Option<(usize, u32)> {
    if hbh.len() < EXT_HEADER_MIN_LEN {
        return None;
    }
    let n = ext_header_len(protocol::HOPOPT, hbh).min(hbh.len());
    let mut i = field::EXT_LEN.end;
    while i < n {
        match hbh[i] {
            0 => i += 1,
            t => {
                let l = *hbh.get(i + 1)? as usize;
                if t == OPT_JUMBO && l == 4 && i + 6 <= n {
                    let v = <u32 as super::Value>::get(&hbh[i + 2..i + 6]);
                    return Some((i + 2, v));
                }
                i += 2 + l;
            }
        }
    }
    None
}

/// A fragment header (at least 4 bytes) that is not the first fragment.
pub fn is_later_fragment(frag: &[u8]) -> bool {
    <u16 as super::Value>::get(&frag[field::FRAG_OFF_M]) >> 3 != 0
}

header!("an IPv6");

impl<T: AsRef<[u8]>> Header<T> {
    /// At least [`HEADER_LEN`] bytes.
    pub fn check_len(&self) -> Result<(), WireError> {
        need(self.buffer.as_ref().len(), HEADER_LEN)
    }

    /// The version nibble (6).
    #[inline]
    pub fn version(&self) -> u8 {
        (self.ver_tc_flow() >> 28) as u8
    }

    /// The traffic class.
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (self.ver_tc_flow() >> 20) as u8
    }

    /// The flow label (20 bits).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0xf_ffff
    }

    /// Where the packet ends in the view's bytes: the payload length bounds it; 0 (a
    /// jumbogram, or a cut packet) means all the bytes there.
    pub fn packet_end(&self) -> usize {
        let have = self.buffer.as_ref().len();
        match self.payload_len() as usize {
            0 => have,
            p => (HEADER_LEN + p).min(have),
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Header<T> {
    /// Writes the version nibble.
    pub fn set_version(&mut self, v: u8) {
        let w = (self.ver_tc_flow() & 0x0fff_ffff) | (u32::from(v & 0xf) << 28);
        self.set_ver_tc_flow(w);
    }

    /// Writes the traffic class.
    pub fn set_traffic_class(&mut self, v: u8) {
        let w = (self.ver_tc_flow() & 0xf00f_ffff) | (u32::from(v) << 20);
        self.set_ver_tc_flow(w);
    }

    /// Writes the flow label (low 20 bits).
    pub fn set_flow_label(&mut self, v: u32) {
        let w = (self.ver_tc_flow() & 0xfff0_0000) | (v & 0xf_ffff);
        self.set_ver_tc_flow(w);
    }
}

fields! {
    /// Version, traffic class and flow label as one 32-bit word.
    ver_tc_flow, set_ver_tc_flow: u32 = field::VER_TC_FLOW;
    /// The payload length (extension headers included).
    payload_len, set_payload_len: u16 = field::LENGTH;
    /// The next header ([`super::ip::protocol`]).
    next_header, set_next_header: u8 = field::NXT_HDR;
    /// The hop limit.
    hop_limit, set_hop_limit: u8 = field::HOP_LIMIT;
    /// The source address.
    src, set_src: Ipv6Addr = field::SRC_ADDR;
    /// The destination address.
    dst, set_dst: Ipv6Addr = field::DST_ADDR;
}
