//! [`FrameSpec`]: what a user asks for field by field (`send`'s and `test`'s field flags, the
//! harness's default frame), a typed front end of the expression engine: [`FrameSpec::to_expr`]
//! lowers it to the engine's layers and the engine builds it. There is one builder
//! ([`super::expr`]), with one set of defaults (Scapy's) and one checksum module
//! ([`super::csum`]).
//!
//! What must stay true: for the same arguments, [`FrameSpec::build`] returns exactly the bytes of
//! Scapy's `raw(pkt)` (the golden frames in `fixtures/frames/` are the proof, through the
//! engine).
//!
//! By concern: this file holds the frame, its lengths, its checks and its lowering; `l4.rs` the
//! transport layer ([`L4Spec`]); `tcp_flags.rs` Scapy's TCP flag letters (the engine's `TCP`
//! layer parses them with the same function); `hex.rs` hex payloads; `tests.rs` the golden
//! frames.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::expr::{Expr, FieldArg, LayerExpr, Value};
use super::{FrameError, MacAddr};

mod hex;
mod l4;
mod tcp_flags;
#[cfg(test)]
pub(crate) mod tests;

pub use hex::parse_hex;
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
            IpAddr::V4(_) => 20,
            IpAddr::V6(_) => 40,
        }
    }

    fn eth_len(&self) -> usize {
        14 + if self.vlan.is_some() { 4 } else { 0 }
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
            IpAddr::V6(_) => 65535 + 40,
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

    /// The frame as the expression engine's layers: `Ether/[Dot1Q]/IP|IPv6/TCP|UDP|ICMP|
    /// ICMPv6EchoRequest/[Raw]/[Padding]`, every field the spec holds given explicitly, the
    /// rest (types, lengths, checksums) left to the engine. This is how a spec is built: the
    /// engine is the one builder.
    pub fn to_expr(&self) -> Expr {
        fn layer(name: &str, fields: Vec<(&str, Value)>) -> LayerExpr {
            LayerExpr {
                name: name.to_string(),
                col: 1,
                fields: fields
                    .into_iter()
                    .map(|(n, value)| FieldArg {
                        name: n.to_string(),
                        col: 1,
                        value,
                    })
                    .collect(),
            }
        }
        let int = |v: u64| Value::Int(v.into());
        let s = |v: String| Value::Str(v);
        let mut layers = vec![layer(
            "Ether",
            vec![
                ("dst", s(self.dst_mac.to_string())),
                ("src", s(self.src_mac.to_string())),
            ],
        )];
        if let Some(v) = self.vlan {
            layers.push(layer("Dot1Q", vec![("vlan", int(v.into()))]));
        }
        let v4 = self.src_ip.is_ipv4();
        layers.push(if v4 {
            layer(
                "IP",
                vec![
                    ("tos", int(self.tos.into())),
                    ("id", int(self.ip_id.into())),
                    ("flags", int(if self.dont_fragment { 2 } else { 0 })),
                    ("ttl", int(self.ttl.into())),
                    ("src", s(self.src_ip.to_string())),
                    ("dst", s(self.dst_ip.to_string())),
                ],
            )
        } else {
            layer(
                "IPv6",
                vec![
                    ("tc", int(self.tos.into())),
                    ("hlim", int(self.ttl.into())),
                    ("src", s(self.src_ip.to_string())),
                    ("dst", s(self.dst_ip.to_string())),
                ],
            )
        });
        let ports = || {
            vec![
                ("sport", int(self.sport.into())),
                ("dport", int(self.dport.into())),
            ]
        };
        layers.push(match self.l4 {
            L4Spec::Tcp {
                flags,
                seq,
                ack,
                window,
                urgptr,
            } => {
                let mut f = ports();
                f.extend([
                    ("seq", int(seq.into())),
                    ("ack", int(ack.into())),
                    ("flags", int(flags.0.into())),
                    ("window", int(window.into())),
                    ("urgptr", int(urgptr.into())),
                ]);
                layer("TCP", f)
            }
            L4Spec::Udp => layer("UDP", ports()),
            L4Spec::IcmpEcho { id, seq } => layer(
                if v4 { "ICMP" } else { "ICMPv6EchoRequest" },
                vec![("id", int(id.into())), ("seq", int(seq.into()))],
            ),
        });
        if !self.payload.is_empty() {
            layers.push(layer(
                "Raw",
                vec![("load", Value::Bytes(self.payload.clone()))],
            ));
        }
        let pad = self.len() - self.unpadded_len();
        if pad > 0 {
            layers.push(layer("Padding", vec![("load", Value::Bytes(vec![0; pad]))]));
        }
        Expr {
            layers,
            fragsize: None,
        }
    }

    /// The frame's bytes, built by the expression engine ([`FrameSpec::to_expr`]).
    pub fn build(&self) -> Result<Vec<u8>, FrameError> {
        // Before sizing anything: len() is whatever `size` asks for.
        self.validate()?;
        let mut frames = self
            .to_expr()
            .build()
            .map_err(|e| FrameError::build(e.msg))?;
        match (frames.pop(), frames.is_empty()) {
            (Some(f), true) => Ok(f),
            _ => Err(FrameError::build("the spec built more than one frame")),
        }
    }

    /// Write the frame into `buf`, replacing its content (the engine builds it; copies of a
    /// frame are made by [`crate::frame::FrameTemplate`], which allocates nothing per copy).
    pub fn build_into(&self, buf: &mut Vec<u8>) -> Result<(), FrameError> {
        let f = self.build()?;
        buf.clear();
        buf.extend_from_slice(&f);
        Ok(())
    }
}
