//! The transport layer of a [`FrameSpec`](super::FrameSpec): [`L4Spec`] (TCP, UDP, ICMP echo),
//! lowered to the engine's `TCP`, `UDP`, `ICMP` or `ICMPv6EchoRequest` layer.

use super::TcpFlags;

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
            L4Spec::Tcp { .. } => 20,
            L4Spec::Udp => 8,
            L4Spec::IcmpEcho { .. } => 8,
        }
    }
}
