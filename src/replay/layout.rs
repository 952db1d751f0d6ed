//! Where the headers of a captured Ethernet frame are: VLAN tags, the IP header, the transport
//! header, found once per frame without allocating, for the rewriter and the checksum fixer.
//! Every field is read through the wire layer (`frame::wire`); no offsets are written here.
//!
//! What stays true: every offset returned lies inside the frame's captured bytes, except
//! `ip_end`, which is what the IP header declares (it may run past a snaplen-cut frame: see
//! [`Layout::whole`]).

use crate::frame::wire::ip::protocol;
use crate::frame::wire::{ethernet, ipv4, ipv6, vlan, Value};

/// The TPIDs taken as VLAN tags: 802.1Q, 802.1ad and the old QinQ 0x9100.
pub const TPIDS: [u16; 3] = [
    ethernet::ethertype::VLAN,
    ethernet::ethertype::QINQ,
    ethernet::ethertype::QINQ_OLD,
];

/// An Ethernet header without tags: the shortest frame the kernel sends.
pub const ETH_HLEN: usize = ethernet::HEADER_LEN;

/// IPv4 or IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpVersion {
    V4,
    V6,
}

/// The transport header of an IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct L4 {
    /// Offset of the transport header in the frame.
    pub at: usize,
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6...).
    pub proto: u8,
}

/// The headers of an Ethernet frame carrying IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Number of VLAN tags after the MACs (0, 1 or 2).
    pub tags: usize,
    /// Offset of the IP header.
    pub l3: usize,
    pub version: IpVersion,
    /// IPv4 header length (IHL × 4); 40 for IPv6.
    pub l3_len: usize,
    /// End of the IP packet as its header declares it (may exceed the captured bytes).
    pub ip_end: usize,
    /// The transport header, when this packet has one (not a non-first fragment).
    pub l4: Option<L4>,
    /// Part of a fragmented datagram (the transport checksum covers more than this frame).
    pub fragment: bool,
}

impl Layout {
    /// The whole IP packet is in the captured bytes (so its checksums can be recomputed).
    pub fn whole(&self, captured: usize) -> bool {
        self.ip_end <= captured && !self.fragment
    }
}

/// Number of VLAN tags and the EtherType after them; None under 14 bytes.
pub fn ethertype(frame: &[u8]) -> Option<(usize, u16)> {
    let eth = ethernet::Header::new_checked(frame).ok()?;
    let mut et = eth.ethertype();
    let mut at = ethernet::HEADER_LEN;
    let mut tags = 0;
    while tags < 2 && ethernet::ethertype::is_vlan(et) {
        let Ok(tag) = vlan::Header::new_checked(&frame[at..]) else {
            break;
        };
        et = tag.ethertype();
        at += vlan::HEADER_LEN;
        tags += 1;
    }
    Some((tags, et))
}

/// Why a frame's IP headers cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotIp {
    /// Not IPv4 or IPv6 (ARP, LLDP...), or shorter than an Ethernet header.
    Other,
    /// Says IP, but its header is cut or malformed.
    Malformed,
}

/// Walk the frame's Ethernet, VLAN and IP headers.
pub fn parse(frame: &[u8]) -> Result<Layout, NotIp> {
    let (tags, et) = ethertype(frame).ok_or(NotIp::Other)?;
    let l3 = ethernet::HEADER_LEN + vlan::HEADER_LEN * tags;
    match et {
        ethernet::ethertype::IPV4 => parse_v4(frame, tags, l3),
        ethernet::ethertype::IPV6 => parse_v6(frame, tags, l3),
        _ => Err(NotIp::Other),
    }
}

fn parse_v4(b: &[u8], tags: usize, l3: usize) -> Result<Layout, NotIp> {
    let ip = ipv4::Header::new_checked(&b[l3..]).map_err(|_| NotIp::Malformed)?;
    let ihl = ip.header_len();
    let total = ip.total_len() as usize;
    if ip.version() != 4 || total < ihl {
        return Err(NotIp::Malformed);
    }
    let offset = ip.frag_offset();
    let l4 = (offset == 0).then_some(L4 {
        at: l3 + ihl,
        proto: ip.protocol(),
    });
    Ok(Layout {
        tags,
        l3,
        version: IpVersion::V4,
        l3_len: ihl,
        ip_end: l3 + total,
        l4,
        fragment: offset != 0 || ip.more_frags(),
    })
}

fn parse_v6(b: &[u8], tags: usize, l3: usize) -> Result<Layout, NotIp> {
    let ip = ipv6::Header::new_checked(&b[l3..]).map_err(|_| NotIp::Malformed)?;
    if ip.version() != 6 {
        return Err(NotIp::Malformed);
    }
    let ip_end = l3 + ipv6::HEADER_LEN + ip.payload_len() as usize;
    let mut nh = ip.next_header();
    let mut at = l3 + ipv6::HEADER_LEN;
    let mut fragment = false;
    // Extension headers (at most a few; a loop bound keeps a crafted chain cheap).
    for _ in 0..8 {
        if !ipv6::is_ext_header(nh) {
            break;
        }
        // The fragment header is read whole; the others need their length byte.
        let need = if nh == protocol::IPV6_FRAG {
            ipv6::EXT_HEADER_MIN_LEN
        } else {
            ipv6::field::EXT_LEN.end
        };
        if b.len() < at + need {
            return Err(NotIp::Malformed);
        }
        let ext = &b[at..];
        if nh == protocol::IPV6_FRAG {
            fragment = true;
            if ipv6::is_later_fragment(ext) {
                // A non-first fragment: no transport header here.
                return Ok(Layout {
                    tags,
                    l3,
                    version: IpVersion::V6,
                    l3_len: ipv6::HEADER_LEN,
                    ip_end,
                    l4: None,
                    fragment,
                });
            }
        }
        let len = ipv6::ext_header_len(nh, ext);
        nh = u8::get(&ext[ipv6::field::EXT_NXT_HDR]);
        at += len;
    }
    Ok(Layout {
        tags,
        l3,
        version: IpVersion::V6,
        l3_len: ipv6::HEADER_LEN,
        ip_end,
        l4: (at <= b.len()).then_some(L4 { at, proto: nh }),
        fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{FrameSpec, L4Spec};

    #[test]
    fn finds_ip_and_transport_with_and_without_a_tag() {
        for vlan in [None, Some(7)] {
            for (src, dst) in [("198.18.0.1", "198.18.0.2"), ("2001:2::1", "2001:2::2")] {
                let f = FrameSpec {
                    vlan,
                    src_ip: src.parse().unwrap(),
                    dst_ip: dst.parse().unwrap(),
                    l4: L4Spec::Udp,
                    payload: b"abc".to_vec(),
                    ..FrameSpec::default()
                }
                .build()
                .unwrap();
                let l = parse(&f).unwrap();
                let tags = vlan.map_or(0, |_| 1);
                assert_eq!(l.tags, tags);
                assert_eq!(l.l3, 14 + 4 * tags);
                assert_eq!(l.l4.unwrap().proto, 17);
                assert_eq!(l.ip_end, f.len());
                assert!(l.whole(f.len()));
                assert!(!l.whole(f.len() - 1));
            }
        }
    }

    #[test]
    fn short_or_other_frames_are_refused() {
        assert_eq!(parse(&[0; 10]), Err(NotIp::Other));
        let mut arp = vec![0u8; 42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        assert_eq!(parse(&arp), Err(NotIp::Other));
        let mut cut = vec![0u8; 20];
        cut[12] = 0x08;
        assert_eq!(parse(&cut), Err(NotIp::Malformed));
    }
}
