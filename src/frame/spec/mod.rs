//! [`FrameSpec`]: what a user asks for, turned into bytes with etherparse's headers and
//! checksums, with Scapy's defaults.
//!
//! What must stay true: for the same arguments, [`FrameSpec::build`] returns exactly the bytes of
//! Scapy's `raw(pkt)` (the golden frames in `fixtures/frames/` are the proof), and
//! [`FrameSpec::build_into`] allocates nothing once its buffer is large enough.
//!
//! By concern: this file holds the frame, its lengths, its checks and the Ethernet, 802.1Q and
//! IP headers; `l4.rs` the transport headers ([`L4Spec`]) and their checksums; `tcp_flags.rs`
//! Scapy's TCP flag letters; `hex.rs` hex payloads; `tests.rs` the golden frames.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use etherparse::{
    EtherType, Ethernet2Header, Icmpv4Header, Icmpv6Header, IpDscp, IpEcn, IpFragOffset, IpNumber,
    Ipv4Header, Ipv6FlowLabel, Ipv6Header, SingleVlanHeader, UdpHeader, VlanId, VlanPcp,
};

use super::{FrameError, MacAddr};

mod hex;
mod l4;
mod tcp_flags;
#[cfg(test)]
pub(crate) mod tests;

pub use hex::parse_hex;
use l4::L4Ctx;
pub use l4::L4Spec;
pub use tcp_flags::TcpFlags;

/// An Ethernet frame as a user describes it. [`Default`] is Scapy's
/// `Ether(dst=broadcast)/IP(src=198.18.0.1, dst=198.18.0.2)/TCP(sport=1111, dport=2222)`.
///
/// ```
/// use vethbench::frame::{self, FrameSpec};
/// let spec = FrameSpec { payload: b"123".to_vec(), ..FrameSpec::default() };
/// let bytes = spec.build().unwrap();
/// assert_eq!(bytes.len(), 14 + 20 + 20 + 3);
/// assert!(frame::show(&bytes).contains("load      = '123'"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameSpec {
    pub src_mac: MacAddr,
    pub dst_mac: MacAddr,
    /// 802.1Q tag (priority 0, DEI 0) with this VLAN id.
    pub vlan: Option<u16>,
    /// Both addresses must be of the same family; it selects IPv4 or IPv6.
    pub src_ip: IpAddr,
    pub dst_ip: IpAddr,
    /// TTL (IPv4) or hop limit (IPv6).
    pub ttl: u8,
    /// IPv4 identification; ignored for IPv6.
    pub ip_id: u16,
    /// IPv4 TOS byte, or IPv6 traffic class (DSCP << 2 | ECN).
    pub tos: u8,
    /// IPv4 don't-fragment bit; Scapy's default is off.
    pub dont_fragment: bool,
    pub sport: u16,
    pub dport: u16,
    pub l4: L4Spec,
    pub payload: Vec<u8>,
    /// Pad the frame with zeros up to this many bytes (a Scapy `Padding` layer: after the IP
    /// datagram, not counted in its length). Must be at least the unpadded length.
    pub size: Option<usize>,
}

impl Default for FrameSpec {
    fn default() -> Self {
        FrameSpec {
            src_mac: MacAddr::default(),
            dst_mac: MacAddr::BROADCAST,
            vlan: None,
            src_ip: IpAddr::V4(Self::DEFAULT_SRC_V4),
            dst_ip: IpAddr::V4(Self::DEFAULT_DST_V4),
            ttl: 64,
            ip_id: 1,
            tos: 0,
            dont_fragment: false,
            sport: 1111,
            dport: 2222,
            l4: L4Spec::TCP,
            payload: Vec::new(),
            size: None,
        }
    }
}

impl FrameSpec {
    /// 198.18.0.0/15 is the benchmarking range: a default frame never names a real host.
    pub const DEFAULT_SRC_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
    pub const DEFAULT_DST_V4: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 2);
    /// 2001:2::/48 is the IPv6 benchmarking range.
    pub const DEFAULT_SRC_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 1);
    pub const DEFAULT_DST_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 2, 0, 0, 0, 0, 0, 2);

    /// The largest `size` padding may reach: the largest MTU (65535) plus the Ethernet and
    /// 802.1Q headers. Larger is refused before anything is allocated.
    pub const MAX_PADDED_LEN: usize = 65535 + 14 + 4;

    fn ip_header_len(&self) -> usize {
        match self.src_ip {
            IpAddr::V4(_) => Ipv4Header::MIN_LEN,
            IpAddr::V6(_) => Ipv6Header::LEN,
        }
    }

    fn eth_len(&self) -> usize {
        Ethernet2Header::LEN + if self.vlan.is_some() { 4 } else { 0 }
    }

    /// Length of the IP datagram (header, L4 header, payload).
    pub fn ip_len(&self) -> usize {
        self.ip_header_len() + self.l4.header_len() + self.payload.len()
    }

    /// Length of the frame without padding.
    pub fn unpadded_len(&self) -> usize {
        self.eth_len() + self.ip_len()
    }

    /// Length of the frame [`build`](Self::build) returns.
    pub fn len(&self) -> usize {
        self.size.unwrap_or(0).max(self.unpadded_len())
    }

    /// Never true: a frame has at least its headers.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Offset of the IP header in the built frame.
    pub fn ip_offset(&self) -> usize {
        self.eth_len()
    }

    /// Offset of the L4 header in the built frame.
    pub fn l4_offset(&self) -> usize {
        self.eth_len() + self.ip_header_len()
    }

    /// Check what cannot be built: mixed address families, a VLAN id over 4095, a datagram
    /// over 65535 bytes, a `size` smaller than the headers and payload.
    pub fn validate(&self) -> Result<(), FrameError> {
        if self.src_ip.is_ipv4() != self.dst_ip.is_ipv4() {
            return Err(FrameError::build(format!(
                "source {} and destination {} are not of the same IP version",
                self.src_ip, self.dst_ip
            )));
        }
        if let Some(v) = self.vlan {
            if v > 4095 {
                return Err(FrameError::invalid(
                    "VLAN id",
                    &v.to_string(),
                    "must be 0..=4095",
                ));
            }
        }
        let limit = match self.src_ip {
            IpAddr::V4(_) => 65535,
            IpAddr::V6(_) => 65535 + Ipv6Header::LEN,
        };
        if self.ip_len() > limit {
            return Err(FrameError::build(format!(
                "a {}-byte payload does not fit in one IP datagram",
                self.payload.len()
            )));
        }
        if let Some(size) = self.size {
            if size > Self::MAX_PADDED_LEN && size > self.unpadded_len() {
                return Err(FrameError::SizeTooLarge {
                    size,
                    max: Self::MAX_PADDED_LEN,
                });
            }
            if size < self.unpadded_len() {
                return Err(FrameError::SizeTooSmall {
                    size,
                    needed: self.unpadded_len(),
                });
            }
        }
        Ok(())
    }

    /// The frame's bytes.
    pub fn build(&self) -> Result<Vec<u8>, FrameError> {
        // Before sizing the buffer: len() is whatever `size` asks for.
        self.validate()?;
        let mut buf = Vec::with_capacity(self.len());
        self.build_into(&mut buf)?;
        Ok(buf)
    }

    /// Write the frame into `buf`, replacing its content. Allocates nothing when `buf` already
    /// has the capacity.
    pub fn build_into(&self, buf: &mut Vec<u8>) -> Result<(), FrameError> {
        self.validate()?;
        buf.clear();
        buf.reserve(self.len());
        // Writing into a Vec cannot fail; the headers were validated above.
        self.write(buf)
            .map_err(|e| FrameError::build(e.to_string()))?;
        buf.resize(self.len(), 0);
        Ok(())
    }

    fn write(&self, w: &mut Vec<u8>) -> Result<(), std::io::Error> {
        let ip_type = match self.src_ip {
            IpAddr::V4(_) => EtherType::IPV4,
            IpAddr::V6(_) => EtherType::IPV6,
        };
        let eth = Ethernet2Header {
            destination: self.dst_mac.0,
            source: self.src_mac.0,
            ether_type: if self.vlan.is_some() {
                EtherType::VLAN_TAGGED_FRAME
            } else {
                ip_type
            },
        };
        eth.write(w)?;
        if let Some(v) = self.vlan {
            SingleVlanHeader {
                pcp: VlanPcp::ZERO,
                drop_eligible_indicator: false,
                // validate() checked the range.
                vlan_id: VlanId::try_new(v).unwrap_or(VlanId::ZERO),
                ether_type: ip_type,
            }
            .write(w)?;
        }
        let l4_len = self.l4.header_len() + self.payload.len();
        let proto = match (self.l4, self.src_ip) {
            (L4Spec::Tcp { .. }, _) => IpNumber::TCP,
            (L4Spec::Udp, _) => IpNumber::UDP,
            (L4Spec::IcmpEcho { .. }, IpAddr::V4(_)) => IpNumber::ICMP,
            (L4Spec::IcmpEcho { .. }, IpAddr::V6(_)) => IpNumber::IPV6_ICMP,
        };
        match (self.src_ip, self.dst_ip) {
            (IpAddr::V4(src), IpAddr::V4(dst)) => {
                // A full literal, not `Ipv4Header::new`: Scapy sends id=1 and no DF by default.
                let ip = Ipv4Header {
                    dscp: IpDscp::try_new(self.tos >> 2).unwrap_or(IpDscp::ZERO),
                    ecn: IpEcn::try_new(self.tos & 3).unwrap_or(IpEcn::ZERO),
                    total_len: (Ipv4Header::MIN_LEN + l4_len) as u16,
                    identification: self.ip_id,
                    dont_fragment: self.dont_fragment,
                    more_fragments: false,
                    fragment_offset: IpFragOffset::ZERO,
                    time_to_live: self.ttl,
                    protocol: proto,
                    header_checksum: 0,
                    source: src.octets(),
                    destination: dst.octets(),
                    options: Default::default(),
                };
                ip.write(w)?;
                self.write_l4(w, |l4| match l4 {
                    L4Ctx::Tcp(h, p) => h.calc_checksum_ipv4(&ip, p).map_err(too_big),
                    L4Ctx::Udp(sp, dp, p) => UdpHeader::with_ipv4_checksum(sp, dp, &ip, p)
                        .map(|u| u.checksum)
                        .map_err(too_big),
                    L4Ctx::Icmp(t, p) => Ok(Icmpv4Header::with_checksum(t.0, p).checksum),
                })
            }
            (IpAddr::V6(src), IpAddr::V6(dst)) => {
                let mut ip = Ipv6Header {
                    traffic_class: self.tos,
                    flow_label: Ipv6FlowLabel::ZERO,
                    payload_length: l4_len as u16,
                    next_header: proto,
                    hop_limit: self.ttl,
                    source: src.octets(),
                    destination: dst.octets(),
                };
                ip.traffic_class = self.tos;
                ip.write(w)?;
                self.write_l4(w, |l4| match l4 {
                    L4Ctx::Tcp(h, p) => h.calc_checksum_ipv6(&ip, p).map_err(too_big),
                    L4Ctx::Udp(sp, dp, p) => UdpHeader::with_ipv6_checksum(sp, dp, &ip, p)
                        .map(|u| u.checksum)
                        .map_err(too_big),
                    L4Ctx::Icmp(t, p) => {
                        Icmpv6Header::with_checksum(t.1, ip.source, ip.destination, p)
                            .map(|h| h.checksum)
                            .map_err(too_big)
                    }
                })
            }
            _ => Err(std::io::Error::other("mixed IP versions")),
        }
    }
}

pub(super) fn too_big<E: fmt::Display>(e: E) -> std::io::Error {
    std::io::Error::other(e.to_string())
}
