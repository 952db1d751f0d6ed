//! [`FrameSpec`]: what a user asks for, turned into bytes with etherparse's headers and
//! checksums, with Scapy's defaults.
//!
//! What must stay true: for the same arguments, [`FrameSpec::build`] returns exactly the bytes of
//! Scapy's `raw(pkt)` (the golden frames in `fixtures/frames/` are the proof), and
//! [`FrameSpec::build_into`] allocates nothing once its buffer is large enough.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use etherparse::{
    EtherType, Ethernet2Header, IcmpEchoHeader, Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type,
    IpDscp, IpEcn, IpFragOffset, IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, SingleVlanHeader,
    TcpHeader, UdpHeader, VlanId, VlanPcp,
};

use super::{FrameError, MacAddr};

/// TCP flags, as Scapy spells them: one letter per bit, `FSRPAUECN` from bit 0 to bit 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// Scapy's letters, bit 0 first.
    pub const LETTERS: &'static str = "FSRPAUECN";
    pub const FIN: TcpFlags = TcpFlags(0x001);
    pub const SYN: TcpFlags = TcpFlags(0x002);
    pub const RST: TcpFlags = TcpFlags(0x004);
    pub const PSH: TcpFlags = TcpFlags(0x008);
    pub const ACK: TcpFlags = TcpFlags(0x010);
    pub const URG: TcpFlags = TcpFlags(0x020);
    pub const ECE: TcpFlags = TcpFlags(0x040);
    pub const CWR: TcpFlags = TcpFlags(0x080);
    pub const NS: TcpFlags = TcpFlags(0x100);

    /// True if every bit of `other` is set.
    pub fn contains(self, other: TcpFlags) -> bool {
        self.0 & other.0 == other.0
    }

    fn apply(self, h: &mut TcpHeader) {
        h.fin = self.contains(Self::FIN);
        h.syn = self.contains(Self::SYN);
        h.rst = self.contains(Self::RST);
        h.psh = self.contains(Self::PSH);
        h.ack = self.contains(Self::ACK);
        h.urg = self.contains(Self::URG);
        h.ece = self.contains(Self::ECE);
        h.cwr = self.contains(Self::CWR);
        h.ns = self.contains(Self::NS);
    }

    /// The flags of a parsed header.
    pub fn of(h: &TcpHeader) -> TcpFlags {
        let bits = [h.fin, h.syn, h.rst, h.psh, h.ack, h.urg, h.ece, h.cwr, h.ns];
        TcpFlags(bits.iter().enumerate().map(|(i, &b)| (b as u16) << i).sum())
    }
}

impl Default for TcpFlags {
    /// Scapy's default: `S`.
    fn default() -> Self {
        TcpFlags::SYN
    }
}

impl FromStr for TcpFlags {
    type Err = FrameError;

    /// Scapy letters in any order (`S`, `SA`, `FPU`); an empty string is no flag.
    fn from_str(s: &str) -> Result<Self, FrameError> {
        let mut bits = 0u16;
        for c in s.chars() {
            let i = Self::LETTERS.find(c.to_ascii_uppercase()).ok_or_else(|| {
                FrameError::invalid(
                    "TCP flags",
                    s,
                    format!("'{c}' is not one of Scapy's letters {}", Self::LETTERS),
                )
            })?;
            bits |= 1 << i;
        }
        Ok(TcpFlags(bits))
    }
}

impl fmt::Display for TcpFlags {
    /// Letters in bit order, as Scapy prints them (`FPU`, `SA`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in Self::LETTERS.chars().enumerate() {
            if self.0 & (1 << i) != 0 {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

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

    fn header_len(&self) -> usize {
        match self {
            L4Spec::Tcp { .. } => TcpHeader::MIN_LEN,
            L4Spec::Udp => UdpHeader::LEN,
            L4Spec::IcmpEcho { .. } => 8,
        }
    }
}

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
                return Err(FrameError::build(format!(
                    "--size {size} is larger than any link carries (at most {} bytes: a 65535-byte MTU plus the Ethernet and 802.1Q headers)",
                    Self::MAX_PADDED_LEN
                )));
            }
            if size < self.unpadded_len() {
                return Err(FrameError::build(format!(
                    "--size {size} is smaller than the frame's {} bytes of headers and payload",
                    self.unpadded_len()
                )));
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

    /// Write the L4 header (checksum from `csum`) and the payload.
    fn write_l4(
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
enum L4Ctx<'a> {
    Tcp(&'a TcpHeader, &'a [u8]),
    Udp(u16, u16, &'a [u8]),
    Icmp((Icmpv4Type, Icmpv6Type), &'a [u8]),
}

fn too_big<E: fmt::Display>(e: E) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Parse a hex payload: pairs of hex digits, optionally separated by spaces or `:`.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, FrameError> {
    let digits: Vec<u8> = s
        .bytes()
        .filter(|b| !matches!(b, b' ' | b':' | b'\n' | b'\t'))
        .collect();
    let digits = digits.strip_prefix(b"0x").unwrap_or(&digits[..]).to_vec();
    if !digits.len().is_multiple_of(2) {
        return Err(FrameError::invalid(
            "hex payload",
            s,
            "odd number of hex digits",
        ));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|p| u8::from_str_radix(p, 16).ok())
                .ok_or_else(|| {
                    FrameError::invalid(
                        "hex payload",
                        s,
                        format!("'{}' is not hex", String::from_utf8_lossy(pair)),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The bytes of a golden fixture: hex digits, `#` starts a comment.
    pub(crate) fn fixture(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/frames/{name}.hex", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let hex: String = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(" ");
        parse_hex(&hex).unwrap()
    }

    const A: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
    const B: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

    fn ab() -> FrameSpec {
        FrameSpec {
            src_mac: A,
            dst_mac: B,
            ..FrameSpec::default()
        }
    }

    fn v6(mut s: FrameSpec) -> FrameSpec {
        s.src_ip = IpAddr::V6(FrameSpec::DEFAULT_SRC_V6);
        s.dst_ip = IpAddr::V6(FrameSpec::DEFAULT_DST_V6);
        s
    }

    /// Every golden frame and the spec that must build it.
    pub(crate) fn cases() -> Vec<(&'static str, FrameSpec)> {
        vec![
            (
                "onepkt",
                FrameSpec {
                    src_mac: "22:11:11:11:11:11".parse().unwrap(),
                    dst_mac: "22:22:22:22:22:22".parse().unwrap(),
                    src_ip: "1.1.1.1".parse().unwrap(),
                    dst_ip: "2.2.2.2".parse().unwrap(),
                    payload: b"123".to_vec(),
                    ..FrameSpec::default()
                },
            ),
            (
                "tcp_default",
                FrameSpec {
                    payload: b"hello".to_vec(),
                    ..ab()
                },
            ),
            (
                "tcp_flags",
                FrameSpec {
                    ttl: 3,
                    ip_id: 4660,
                    tos: 0xb8,
                    sport: 40000,
                    dport: 80,
                    l4: L4Spec::Tcp {
                        flags: "FPU".parse().unwrap(),
                        seq: 305419896,
                        ack: 2271560481,
                        window: 65535,
                        urgptr: 0,
                    },
                    payload: b"x".to_vec(),
                    ..ab()
                },
            ),
            (
                "tcp_synack",
                FrameSpec {
                    sport: 2222,
                    dport: 1111,
                    l4: L4Spec::Tcp {
                        flags: "SA".parse().unwrap(),
                        seq: 1000,
                        ack: 1,
                        window: 8192,
                        urgptr: 0,
                    },
                    ..ab()
                },
            ),
            ("tcp_empty", ab()),
            (
                "udp",
                FrameSpec {
                    l4: L4Spec::Udp,
                    payload: b"123".to_vec(),
                    ..ab()
                },
            ),
            (
                "icmp",
                FrameSpec {
                    l4: L4Spec::ICMP_ECHO,
                    payload: b"ping".to_vec(),
                    ..ab()
                },
            ),
            (
                "ipv6_tcp",
                v6(FrameSpec {
                    payload: b"123".to_vec(),
                    ..ab()
                }),
            ),
            (
                "ipv6_udp",
                v6(FrameSpec {
                    l4: L4Spec::Udp,
                    payload: b"123".to_vec(),
                    ..ab()
                }),
            ),
            (
                "ipv6_icmp",
                v6(FrameSpec {
                    l4: L4Spec::ICMP_ECHO,
                    payload: b"ping".to_vec(),
                    ..ab()
                }),
            ),
            (
                "vlan",
                FrameSpec {
                    vlan: Some(100),
                    payload: b"123".to_vec(),
                    ..ab()
                },
            ),
            (
                "padded",
                FrameSpec {
                    l4: L4Spec::Udp,
                    payload: b"123".to_vec(),
                    size: Some(64),
                    ..ab()
                },
            ),
            (
                "broadcast",
                FrameSpec {
                    src_mac: A,
                    payload: b"123".to_vec(),
                    ..FrameSpec::default()
                },
            ),
        ]
    }

    #[test]
    fn builds_every_golden_frame_byte_for_byte() {
        for (name, spec) in cases() {
            let want = fixture(name);
            let got = spec.build().unwrap();
            assert_eq!(
                got,
                want,
                "{name}: differs from Scapy's raw(pkt) at byte {:?}",
                got.iter().zip(&want).position(|(a, b)| a != b)
            );
            assert_eq!(spec.len(), want.len(), "{name}: len()");
        }
    }

    #[test]
    fn build_into_reuses_the_buffer() {
        let mut buf = Vec::with_capacity(2048);
        let ptr = buf.as_ptr();
        for (name, spec) in cases() {
            spec.build_into(&mut buf).unwrap();
            assert_eq!(buf, fixture(name));
            assert_eq!(buf.as_ptr(), ptr, "{name}: reallocated");
        }
    }

    #[test]
    fn tcp_flags_scapy_letters() {
        assert_eq!("S".parse::<TcpFlags>().unwrap(), TcpFlags::SYN);
        assert_eq!("SA".parse::<TcpFlags>().unwrap().0, 0x12);
        assert_eq!("AS".parse::<TcpFlags>().unwrap().to_string(), "SA");
        assert_eq!("FPU".parse::<TcpFlags>().unwrap().0, 0x29);
        assert_eq!("FSRPAUECN".parse::<TcpFlags>().unwrap().0, 0x1ff);
        assert_eq!("".parse::<TcpFlags>().unwrap().0, 0);
        let e = "SX".parse::<TcpFlags>().unwrap_err().to_string();
        assert!(e.contains("'X'"), "{e}");
    }

    #[test]
    fn refuses_what_cannot_be_built() {
        let mixed = FrameSpec {
            dst_ip: IpAddr::V6(FrameSpec::DEFAULT_DST_V6),
            ..FrameSpec::default()
        };
        assert!(mixed
            .build()
            .unwrap_err()
            .to_string()
            .contains("IP version"));
        let small = FrameSpec {
            size: Some(40),
            ..FrameSpec::default()
        };
        assert!(small.build().unwrap_err().to_string().contains("--size 40"));
        let vlan = FrameSpec {
            vlan: Some(4096),
            ..FrameSpec::default()
        };
        assert!(vlan.build().is_err());
        let huge = FrameSpec {
            payload: vec![0; 70000],
            ..FrameSpec::default()
        };
        assert!(huge.build().is_err());
        // A huge --size is refused by validate(), before build() tries to allocate it (it
        // used to abort on a 1 TB allocation, or panic on capacity overflow).
        for size in [FrameSpec::MAX_PADDED_LEN + 1, 999_999_999_999, usize::MAX] {
            let padded = FrameSpec {
                size: Some(size),
                ..FrameSpec::default()
            };
            let e = padded.build().unwrap_err().to_string();
            assert!(e.contains("larger than any link carries"), "{e}");
        }
        let largest = FrameSpec {
            size: Some(FrameSpec::MAX_PADDED_LEN),
            ..FrameSpec::default()
        };
        assert_eq!(largest.build().unwrap().len(), FrameSpec::MAX_PADDED_LEN);
    }

    #[test]
    fn hex_payload() {
        assert_eq!(
            parse_hex("de ad:BE ef").unwrap(),
            vec![0xde, 0xad, 0xbe, 0xef]
        );
        assert_eq!(parse_hex("0x0102").unwrap(), vec![1, 2]);
        assert!(parse_hex("abc").is_err());
        assert!(parse_hex("zz").is_err());
    }

    mod roundtrip {
        use super::*;
        use etherparse::{NetSlice, SlicedPacket, TransportSlice};
        use proptest::prelude::*;

        fn spec() -> impl Strategy<Value = FrameSpec> {
            (
                any::<[u8; 6]>(),
                any::<[u8; 6]>(),
                proptest::option::of(0u16..4096),
                any::<bool>(),
                any::<(u32, u32, u128, u128)>(),
                any::<(u8, u16, u8, u16, u16)>(),
                prop_oneof![
                    (any::<u16>(), any::<u32>(), any::<u32>(), any::<u16>()).prop_map(
                        |(f, seq, ack, window)| L4Spec::Tcp {
                            flags: TcpFlags(f & 0x1ff),
                            seq,
                            ack,
                            window,
                            urgptr: 0
                        }
                    ),
                    Just(L4Spec::Udp),
                    (any::<u16>(), any::<u16>()).prop_map(|(id, seq)| L4Spec::IcmpEcho { id, seq }),
                ],
                proptest::collection::vec(any::<u8>(), 0..200),
                proptest::option::of(0usize..400),
            )
                .prop_map(
                    |(s, d, vlan, v4, ips, (ttl, id, tos, sport, dport), l4, payload, size)| {
                        let (src_ip, dst_ip) = if v4 {
                            (IpAddr::V4(ips.0.into()), IpAddr::V4(ips.1.into()))
                        } else {
                            (IpAddr::V6(ips.2.into()), IpAddr::V6(ips.3.into()))
                        };
                        let mut spec = FrameSpec {
                            src_mac: MacAddr(s),
                            dst_mac: MacAddr(d),
                            vlan,
                            src_ip,
                            dst_ip,
                            ttl,
                            ip_id: id,
                            tos,
                            dont_fragment: false,
                            sport,
                            dport,
                            l4,
                            payload,
                            size: None,
                        };
                        spec.size = size.map(|n| n.max(spec.unpadded_len()));
                        spec
                    },
                )
        }

        proptest! {
            #[test]
            fn build_then_parse(spec in spec()) {
                let bytes = spec.build().unwrap();
                prop_assert_eq!(bytes.len(), spec.len());
                let p = SlicedPacket::from_ethernet(&bytes).unwrap();
                let eth = p.link.as_ref().unwrap().to_header().unwrap();
                let eth = eth.ethernet2().unwrap();
                prop_assert_eq!(eth.source, spec.src_mac.0);
                prop_assert_eq!(eth.destination, spec.dst_mac.0);
                prop_assert_eq!(p.vlan_ids().first().map(|v| v.value()), spec.vlan);
                let payload = match p.net.as_ref().unwrap() {
                    NetSlice::Ipv4(ip) => {
                        let h = ip.header();
                        prop_assert_eq!(IpAddr::V4(h.source_addr()), spec.src_ip);
                        prop_assert_eq!(IpAddr::V4(h.destination_addr()), spec.dst_ip);
                        prop_assert_eq!(h.ttl(), spec.ttl);
                        prop_assert_eq!(h.identification(), spec.ip_id);
                        prop_assert_eq!(h.to_header().calc_header_checksum(), h.header_checksum());
                        ip.payload().payload
                    }
                    NetSlice::Ipv6(ip) => {
                        let h = ip.header();
                        prop_assert_eq!(IpAddr::V6(h.source_addr()), spec.src_ip);
                        prop_assert_eq!(h.hop_limit(), spec.ttl);
                        prop_assert_eq!(h.traffic_class(), spec.tos);
                        ip.payload().payload
                    }
                    _ => return Err(TestCaseError::fail("no IP")),
                };
                match (p.transport.as_ref().unwrap(), spec.l4) {
                    (TransportSlice::Tcp(t), L4Spec::Tcp { flags, seq, ack, window, .. }) => {
                        prop_assert_eq!(t.source_port(), spec.sport);
                        prop_assert_eq!(t.sequence_number(), seq);
                        prop_assert_eq!(t.acknowledgment_number(), ack);
                        prop_assert_eq!(t.window_size(), window);
                        prop_assert_eq!(TcpFlags::of(&t.to_header()), flags);
                        prop_assert_eq!(t.payload(), &spec.payload[..]);
                    }
                    (TransportSlice::Udp(u), L4Spec::Udp) => {
                        prop_assert_eq!(u.destination_port(), spec.dport);
                        prop_assert_eq!(u.payload(), &spec.payload[..]);
                    }
                    (TransportSlice::Icmpv4(i), L4Spec::IcmpEcho { .. }) => {
                        prop_assert_eq!(i.payload(), &spec.payload[..]);
                        prop_assert_eq!(i.header().checksum, Icmpv4Header::with_checksum(i.icmp_type(), i.payload()).checksum);
                    }
                    (TransportSlice::Icmpv6(i), L4Spec::IcmpEcho { .. }) => {
                        prop_assert_eq!(i.payload(), &spec.payload[..]);
                    }
                    (t, l4) => return Err(TestCaseError::fail(format!("{t:?} for {l4:?}"))),
                }
                // The IP datagram ends before the padding.
                prop_assert_eq!(payload.len(), spec.l4.header_len() + spec.payload.len());
                // And show() never panics on what we build.
                let _ = crate::frame::show(&bytes);
            }
        }
    }
}
