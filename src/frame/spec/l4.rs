//! The transport layer of a [`FrameSpec`]: [`L4Spec`] (TCP, UDP, ICMP echo) with Scapy's
//! defaults, and writing its header with the checksum the IP layer computes.

use std::net::IpAddr;

use etherparse::{
    IcmpEchoHeader, Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type, TcpHeader, UdpHeader,
};

use super::{FrameSpec, TcpFlags};

/// The layer 4 header and its own fields. Ports are in [`FrameSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4Spec {
    /// TCP without options (Scapy's `dataofs=5`).
    Tcp {
        flags: TcpFlags,
        seq: u32,
        ack: u32,
        window: u16,
        urgptr: u16,
    },
    Udp,
    /// ICMP echo request (ICMPv6 echo request over IPv6).
    IcmpEcho {
        id: u16,
        seq: u16,
    },
}

impl L4Spec {
    /// Scapy's `TCP()`: flags S, seq 0, ack 0, window 8192.
    pub const TCP: L4Spec = L4Spec::Tcp {
        flags: TcpFlags::SYN,
        seq: 0,
        ack: 0,
        window: 8192,
        urgptr: 0,
    };
    /// Scapy's `ICMP()`: echo request, id 0, seq 0.
    pub const ICMP_ECHO: L4Spec = L4Spec::IcmpEcho { id: 0, seq: 0 };

    pub(super) fn header_len(&self) -> usize {
        match self {
            L4Spec::Tcp { .. } => TcpHeader::MIN_LEN,
            L4Spec::Udp => UdpHeader::LEN,
            L4Spec::IcmpEcho { .. } => 8,
        }
    }
}

impl FrameSpec {
    /// Write the L4 header (checksum from `csum`) and the payload.
    pub(super) fn write_l4(
        &self,
        w: &mut Vec<u8>,
        csum: impl FnOnce(L4Ctx<'_>) -> Result<u16, std::io::Error>,
    ) -> Result<(), std::io::Error> {
        let p = &self.payload[..];
        match self.l4 {
            L4Spec::Tcp {
                flags,
                seq,
                ack,
                window,
                urgptr,
            } => {
                let mut h = TcpHeader::new(self.sport, self.dport, seq, window);
                h.acknowledgment_number = ack;
                h.urgent_pointer = urgptr;
                flags.apply(&mut h);
                h.checksum = csum(L4Ctx::Tcp(&h, p))?;
                h.write(w)?;
            }
            L4Spec::Udp => {
                let checksum = csum(L4Ctx::Udp(self.sport, self.dport, p))?;
                UdpHeader {
                    source_port: self.sport,
                    destination_port: self.dport,
                    length: (UdpHeader::LEN + p.len()) as u16,
                    checksum,
                }
                .write(w)?;
            }
            L4Spec::IcmpEcho { id, seq } => {
                let echo = IcmpEchoHeader { id, seq };
                let types = (Icmpv4Type::EchoRequest(echo), Icmpv6Type::EchoRequest(echo));
                let checksum = csum(L4Ctx::Icmp(types.clone(), p))?;
                match self.src_ip {
                    IpAddr::V4(_) => Icmpv4Header {
                        icmp_type: types.0,
                        checksum,
                    }
                    .write(w)?,
                    IpAddr::V6(_) => Icmpv6Header {
                        icmp_type: types.1,
                        checksum,
                    }
                    .write(w)?,
                }
            }
        }
        w.extend_from_slice(p);
        Ok(())
    }
}

/// What an L4 checksum is computed over.
pub(super) enum L4Ctx<'a> {
    Tcp(&'a TcpHeader, &'a [u8]),
    Udp(u16, u16, &'a [u8]),
    Icmp((Icmpv4Type, Icmpv6Type), &'a [u8]),
}
