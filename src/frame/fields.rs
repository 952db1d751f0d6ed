//! tshark-style field extraction: `-T fields -e eth.src -e ip.dst ...`, one tab-separated line
//! per frame, each value formatted as tshark 4.0 prints it (checked against tshark on the same
//! file: `0x0800`, `0x0001`, `0x0002`, `1700000000.123456789`, `313233`).
//!
//! The layers come from the packet view ([`view::layout`]), the values are read at the offsets
//! it gives; nothing is allocated per frame (the caller passes a reusable `String`). Column
//! names are the view's vocabulary (tshark's); an alias the view accepts names the same column.
//!
//! Differences from tshark, on purpose: `tcp.seq` is the raw sequence number (tshark prints a
//! number relative to the conversation's first; same for a SYN that starts at 0, use
//! `-o tcp.relative_sequence_numbers:FALSE` on tshark to compare the others); no reassembly
//! of IP fragments; `ip.*` fields are IPv4 only (as in tshark, where IPv6 is `ipv6.*`);
//! `data` is always the transport payload (within the IP length, Ethernet padding excluded),
//! whereas tshark shows it only when no dissector claims the port (port 53 is DNS, 20 is
//! FTP-DATA...: there tshark's `data` is empty). A frame of EtherType 0x86dd whose header is
//! not IPv6 (version is not 6) has no `data` (before the packet view, its bytes after the first
//! 40 were taken for a payload).

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use etherparse::{EtherType, IpNumber};

use super::view::{self, be16, is_vlan, Layout};
use super::{FrameError, MacAddr};

/// A column of `-T fields`: a field tshark knows by this name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Eth,
    EthSrc,
    EthDst,
    EthType,
    VlanId,
    IpSrc,
    IpDst,
    IpProto,
    IpTtl,
    IpId,
    TcpSrcport,
    TcpDstport,
    TcpFlags,
    TcpSeq,
    UdpSrcport,
    UdpDstport,
    FrameLen,
    FrameTimeEpoch,
    Data,
}

/// Every column name, in the order of [`Column`]: names of the packet view's vocabulary
/// ([`view::FIELD_NAMES`]) plus the frame-level `eth`, `frame.len` and `frame.time_epoch`.
pub const FIELD_NAMES: [&str; 19] = [
    "eth",
    "eth.src",
    "eth.dst",
    "eth.type",
    "vlan.id",
    "ip.src",
    "ip.dst",
    "ip.proto",
    "ip.ttl",
    "ip.id",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.flags",
    "tcp.seq",
    "udp.srcport",
    "udp.dstport",
    "frame.len",
    "frame.time_epoch",
    "data",
];

const ALL: [Column; 19] = [
    Column::Eth,
    Column::EthSrc,
    Column::EthDst,
    Column::EthType,
    Column::VlanId,
    Column::IpSrc,
    Column::IpDst,
    Column::IpProto,
    Column::IpTtl,
    Column::IpId,
    Column::TcpSrcport,
    Column::TcpDstport,
    Column::TcpFlags,
    Column::TcpSeq,
    Column::UdpSrcport,
    Column::UdpDstport,
    Column::FrameLen,
    Column::FrameTimeEpoch,
    Column::Data,
];

impl std::str::FromStr for Column {
    type Err = FrameError;
    fn from_str(s: &str) -> Result<Self, FrameError> {
        // A tshark spelling the view knows as an alias names the same column.
        let name = view::canonical_name(s).unwrap_or(s);
        FIELD_NAMES
            .iter()
            .position(|n| *n == name)
            .map(|i| ALL[i])
            .ok_or_else(|| FrameError::Invalid {
                what: "field",
                input: s.to_string(),
                why: format!("supported: {}", FIELD_NAMES.join(", ")),
            })
    }
}

/// The fields to print, in order.
#[derive(Debug, Clone)]
pub struct FieldSet(Vec<Column>);

/// What one frame's headers say, read from the packet view's [`Layout`]; borrowed from the
/// frame.
#[derive(Debug, Default)]
struct Dissected<'a> {
    eth: Option<(MacAddr, MacAddr, u16)>,
    vlans: [u16; 4],
    n_vlans: usize,
    /// The IPv4 header (whole, as the view checked it).
    ip: Option<&'a [u8]>,
    tcp: Option<&'a [u8]>,
    udp: Option<&'a [u8]>,
    payload: Option<&'a [u8]>,
}

fn dissect(data: &[u8]) -> Dissected<'_> {
    let mut d = Dissected::default();
    let lay = view::layout(data);
    if !lay.eth {
        return d;
    }
    let mac = |at: usize| {
        let mut m = [0; 6];
        m.copy_from_slice(&data[at..at + 6]);
        MacAddr(m)
    };
    d.eth = Some((mac(6), mac(0), be16(data, 12)));
    d.n_vlans = lay.vlans.min(d.vlans.len());
    for k in 0..d.n_vlans {
        d.vlans[k] = be16(data, Layout::vlan_off(k)) & 0x0fff;
    }
    let (proto, l4) = match (EtherType(lay.ether_type), lay.ip_payload()) {
        // A tag cut short.
        (t, _) if is_vlan(t.0) => return d,
        (EtherType::IPV4, Some((proto, range))) => {
            let o = range.start - lay.ip_hdr_len;
            d.ip = Some(&data[o..range.start]);
            if lay.ip_later_fragment {
                d.payload = Some(&data[range]);
                return d;
            }
            (proto, &data[range])
        }
        (EtherType::IPV6, Some((proto, range))) => (proto, &data[range]),
        // Not even an IPv6 header's length: the bytes are data, as for an unknown EtherType.
        (EtherType::IPV6, None) if data.len() - lay.payload_off < 40 => {
            d.payload = Some(&data[lay.payload_off..]);
            return d;
        }
        (EtherType::IPV4 | EtherType::IPV6 | EtherType::ARP, _) => return d,
        _ => {
            d.payload = Some(&data[lay.payload_off..]);
            return d;
        }
    };
    match proto {
        IpNumber::TCP if l4.len() >= 20 => {
            let off = ((l4[12] >> 4) as usize * 4).clamp(20, l4.len());
            d.tcp = Some(l4);
            d.payload = Some(&l4[off..]);
        }
        IpNumber::UDP if l4.len() >= 8 => {
            d.udp = Some(l4);
            d.payload = Some(&l4[8..]);
        }
        // ICMP echo request/reply: the rest is data.
        IpNumber::ICMP if l4.len() >= 8 && (l4[0] == 0 || l4[0] == 8) => {
            d.payload = Some(&l4[8..]);
        }
        IpNumber::ICMP => {}
        // ICMPv6 likewise: echo request/reply (128/129) carry data, the rest (neighbour
        // discovery, MLD...) is all dissected by tshark, so `data` is empty there too.
        IpNumber::IPV6_ICMP if l4.len() >= 8 && (l4[0] == 128 || l4[0] == 129) => {
            d.payload = Some(&l4[8..]);
        }
        IpNumber::IPV6_ICMP => {}
        _ => d.payload = Some(l4),
    }
    d
}

/// The IPv4 address at `at` of a header.
fn ip4(ip: &[u8], at: usize) -> [u8; 4] {
    [ip[at], ip[at + 1], ip[at + 2], ip[at + 3]]
}

impl FieldSet {
    /// Check the names (`-e` values) once, up front.
    pub fn parse<S: AsRef<str>>(names: &[S]) -> Result<Self, FrameError> {
        if names.is_empty() {
            return Err(FrameError::NoFields);
        }
        names
            .iter()
            .map(|n| n.as_ref().parse())
            .collect::<Result<Vec<_>, _>>()
            .map(FieldSet)
    }

    pub fn fields(&self) -> &[Column] {
        &self.0
    }

    /// Append one line (no newline) for the frame to `out`: tab-separated values, an empty
    /// string for a field the frame does not have, several values joined by `,`.
    pub fn write_line(&self, out: &mut String, data: &[u8], wire_len: u32, ts_ns: u64) {
        let d = dissect(data);
        for (i, f) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('\t');
            }
            match f {
                Column::Eth => {
                    if let Some((s, t, _)) = &d.eth {
                        let _ = write!(out, "Ethernet II, Src: {s} ({s}), Dst: {t} ({t})");
                    }
                }
                Column::EthSrc => {
                    if let Some((s, _, _)) = &d.eth {
                        let _ = write!(out, "{s}");
                    }
                }
                Column::EthDst => {
                    if let Some((_, t, _)) = &d.eth {
                        let _ = write!(out, "{t}");
                    }
                }
                Column::EthType => {
                    if let Some((_, _, ty)) = &d.eth {
                        let _ = write!(out, "0x{ty:04x}");
                    }
                }
                Column::VlanId => {
                    for (k, v) in d.vlans[..d.n_vlans].iter().enumerate() {
                        if k > 0 {
                            out.push(',');
                        }
                        let _ = write!(out, "{v}");
                    }
                }
                Column::IpSrc => {
                    if let Some(ip) = &d.ip {
                        let _ = write!(out, "{}", Ipv4Addr::from(ip4(ip, 12)));
                    }
                }
                Column::IpDst => {
                    if let Some(ip) = &d.ip {
                        let _ = write!(out, "{}", Ipv4Addr::from(ip4(ip, 16)));
                    }
                }
                Column::IpProto => {
                    if let Some(ip) = &d.ip {
                        let _ = write!(out, "{}", ip[9]);
                    }
                }
                Column::IpTtl => {
                    if let Some(ip) = &d.ip {
                        let _ = write!(out, "{}", ip[8]);
                    }
                }
                Column::IpId => {
                    if let Some(ip) = &d.ip {
                        let _ = write!(out, "0x{:04x}", be16(ip, 4));
                    }
                }
                Column::TcpSrcport => {
                    if let Some(t) = d.tcp {
                        let _ = write!(out, "{}", be16(t, 0));
                    }
                }
                Column::TcpDstport => {
                    if let Some(t) = d.tcp {
                        let _ = write!(out, "{}", be16(t, 2));
                    }
                }
                Column::TcpFlags => {
                    if let Some(t) = d.tcp {
                        let _ = write!(out, "0x{:04x}", be16(t, 12) & 0x0fff);
                    }
                }
                Column::TcpSeq => {
                    if let Some(t) = d.tcp {
                        let _ = write!(out, "{}", u32::from_be_bytes([t[4], t[5], t[6], t[7]]));
                    }
                }
                Column::UdpSrcport => {
                    if let Some(u) = d.udp {
                        let _ = write!(out, "{}", be16(u, 0));
                    }
                }
                Column::UdpDstport => {
                    if let Some(u) = d.udp {
                        let _ = write!(out, "{}", be16(u, 2));
                    }
                }
                Column::FrameLen => {
                    let _ = write!(out, "{wire_len}");
                }
                Column::FrameTimeEpoch => {
                    let _ = write!(
                        out,
                        "{}.{:09}",
                        ts_ns / 1_000_000_000,
                        ts_ns % 1_000_000_000
                    );
                }
                Column::Data => {
                    if let Some(p) = d.payload {
                        for b in p {
                            let _ = write!(out, "{b:02x}");
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scapy `Ether(dst="22:22:22:22:22:22", src="22:11:11:11:11:11")/IP(src="1.1.1.1",
    /// dst="2.2.2.2")/TCP(sport=1111, dport=2222)/"123"` (onepkt.py), as `raw(pkt)`.
    const ONEPKT: [u8; 57] = [
        0x22, 0x22, 0x22, 0x22, 0x22, 0x22, // dst
        0x22, 0x11, 0x11, 0x11, 0x11, 0x11, // src
        0x08, 0x00, // IPv4
        0x45, 0x00, 0x00, 0x2b, // v4, ihl 5, tos 0, total length 43
        0x00, 0x01, 0x00, 0x00, // id 1, no fragment
        0x40, 0x06, 0x74, 0xc9, // ttl 64, tcp, checksum
        0x01, 0x01, 0x01, 0x01, // 1.1.1.1
        0x02, 0x02, 0x02, 0x02, // 2.2.2.2
        0x04, 0x57, 0x08, 0xae, // 1111 -> 2222
        0x00, 0x00, 0x00, 0x00, // seq 0
        0x00, 0x00, 0x00, 0x00, // ack 0
        0x50, 0x02, 0x20, 0x00, // data offset 5, SYN, window 8192
        0x00, 0x00, 0x00, 0x00, // checksum (not checked here), urgent 0
        b'1', b'2', b'3', // payload
    ];

    #[test]
    fn onepkt_like_tshark() {
        let names: Vec<&str> = FIELD_NAMES.to_vec();
        let fs = FieldSet::parse(&names).unwrap();
        let mut s = String::new();
        fs.write_line(&mut s, &ONEPKT, 57, 1_700_000_000_123_456_000);
        // Line printed by tshark 4.0.17 for the same frame (see module docs).
        let want = "Ethernet II, Src: 22:11:11:11:11:11 (22:11:11:11:11:11), Dst: \
                    22:22:22:22:22:22 (22:22:22:22:22:22)\t22:11:11:11:11:11\t\
                    22:22:22:22:22:22\t0x0800\t\t1.1.1.1\t2.2.2.2\t6\t64\t0x0001\t1111\t2222\t\
                    0x0002\t0\t\t\t57\t1700000000.123456000\t313233";
        assert_eq!(s, want);
    }

    #[test]
    fn icmpv6_data_like_tshark() {
        // Scapy: Ether()/IPv6(src='2001:2::1', dst='2001:2::2')/ICMPv6EchoRequest(data=b'abc'),
        // then the same with ICMPv6ND_NS(tgt='2001:2::2'). tshark 4.0 prints `data` 616263
        // for the echo and nothing for the neighbour solicitation.
        let mut echo = vec![
            0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x86, 0xdd, // Ethernet, IPv6
            0x60, 0, 0, 0, 0, 11, 58, 64, // v6, payload length 11, next header ICMPv6, hlim
        ];
        echo.extend_from_slice(&[0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        echo.extend_from_slice(&[0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let mut ns = echo.clone();
        // echo request, code 0, checksum, id 0, seq 0, "abc"
        echo.extend_from_slice(&[128, 0, 0x7b, 0x4e, 0, 0, 0, 0, b'a', b'b', b'c']);
        // neighbour solicitation: type 135, code, checksum, reserved, target
        ns[19] = 24;
        ns.extend_from_slice(&[135, 0, 0x18, 0x9f, 0, 0, 0, 0]);
        ns.extend_from_slice(&[0x20, 0x01, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
        let fs = FieldSet::parse(&["data"]).unwrap();
        let mut s = String::new();
        fs.write_line(&mut s, &echo, echo.len() as u32, 0);
        assert_eq!(s, "616263");
        s.clear();
        fs.write_line(&mut s, &ns, ns.len() as u32, 0);
        assert_eq!(s, "");
    }

    #[test]
    fn padding_is_not_data_and_unknown_field_is_refused() {
        let mut f = ONEPKT.to_vec();
        f.extend_from_slice(&[0; 3]); // Ethernet padding to 60 bytes
        let fs = FieldSet::parse(&["data"]).unwrap();
        let mut s = String::new();
        fs.write_line(&mut s, &f, 60, 0);
        assert_eq!(s, "313233");
        assert!(FieldSet::parse(&["ip.nope"]).is_err());
    }
}
