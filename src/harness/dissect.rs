//! A small field dissector: an Ethernet frame to a list of named fields with their byte ranges
//! and printable values, for masks and field-level diffs (`ip.ttl: expected 64, got 63`).
//!
//! Headers are sliced with etherparse, one header at a time, so a frame whose upper layers are
//! truncated or malformed still yields the fields that are whole. Names follow Wireshark's
//! (`eth.src`, `ip.ttl`, `tcp.seq`) except for checksums, spelled `*.chksum` like Scapy.
//! Sub-byte fields (`ip.version`, `ip.flags`...) carry the range of the bytes that hold them.
//! Not the hot path: it allocates.

use std::fmt::Write as _;
use std::ops::Range;

use etherparse::{
    EtherType, Ethernet2HeaderSlice, Icmpv4Slice, Icmpv6Slice, IpNumber, Ipv4HeaderSlice,
    Ipv6ExtensionsSlice, Ipv6HeaderSlice, SingleVlanHeaderSlice, TcpHeaderSlice, UdpHeaderSlice,
};

/// One dissected field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Wireshark-like name, e.g. `ip.ttl`; repeated names (stacked VLANs) keep their order.
    pub name: &'static str,
    /// The bytes of the frame that hold the field.
    pub range: Range<usize>,
    /// The value as printed in a diff.
    pub value: String,
}

/// The transport protocol found by [`layout`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum L4 {
    Tcp,
    Udp,
    Icmpv4,
    Icmpv6,
    Igmp,
    Other(u8),
}

/// Where the layers of a frame start: what the stamp and the noise filter need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Layout {
    /// The innermost EtherType (after VLAN tags).
    pub ether_type: u16,
    /// Number of 802.1Q/802.1ad tags.
    pub vlans: u8,
    /// Offset of the IPv4/IPv6 header.
    pub l3_off: Option<usize>,
    /// True when the network layer is IPv6.
    pub ipv6: bool,
    /// Transport protocol and the offset of its header.
    pub l4: Option<(L4, usize)>,
    /// Offset of the transport checksum field (TCP, UDP, ICMP, ICMPv6).
    pub l4_csum_off: Option<usize>,
    /// Offset of the innermost payload (after the transport header, or after the last
    /// header understood). Equals the frame length when there is none.
    pub payload_off: usize,
    /// Where that payload ends: the IP length (and the UDP length) bound it, the bytes after
    /// are Ethernet padding. The frame length when nothing bounds it.
    pub payload_end: usize,
    /// The first byte of the ICMP/ICMPv6 type, when there is one.
    pub icmp_type: Option<u8>,
}

fn mac(b: [u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Walks the headers once; `emit` receives each field. Shared by [`dissect`] and [`layout`].
fn walk(
    frame: &[u8],
    mut emit: impl FnMut(&'static str, Range<usize>, &dyn Fn() -> String),
) -> Layout {
    let mut lay = Layout {
        payload_off: frame.len(),
        payload_end: frame.len(),
        ..Layout::default()
    };
    let Ok(eth) = Ethernet2HeaderSlice::from_slice(frame) else {
        return lay;
    };
    emit("eth.dst", 0..6, &|| mac(eth.destination()));
    emit("eth.src", 6..12, &|| mac(eth.source()));
    emit("eth.type", 12..14, &|| {
        format!("0x{:04x}", eth.ether_type().0)
    });
    let mut off = 14;
    let mut et = eth.ether_type();
    while matches!(
        et,
        EtherType::VLAN_TAGGED_FRAME
            | EtherType::PROVIDER_BRIDGING
            | EtherType::VLAN_DOUBLE_TAGGED_FRAME
    ) {
        let Ok(v) = SingleVlanHeaderSlice::from_slice(&frame[off..]) else {
            lay.payload_off = off;
            return lay;
        };
        emit("vlan.prio", off..off + 1, &|| {
            v.priority_code_point().value().to_string()
        });
        emit("vlan.dei", off..off + 1, &|| {
            (v.drop_eligible_indicator() as u8).to_string()
        });
        emit("vlan.id", off..off + 2, &|| {
            v.vlan_identifier().value().to_string()
        });
        emit("vlan.etype", off + 2..off + 4, &|| {
            format!("0x{:04x}", v.ether_type().0)
        });
        et = v.ether_type();
        off += 4;
        lay.vlans += 1;
    }
    lay.ether_type = et.0;
    lay.payload_off = off;
    let (proto, l4_off, l4_end) = match et {
        EtherType::IPV4 => {
            let Ok(ip) = Ipv4HeaderSlice::from_slice(&frame[off..]) else {
                return lay;
            };
            let o = off;
            lay.l3_off = Some(o);
            emit("ip.version", o..o + 1, &|| ip.version().to_string());
            emit("ip.hdr_len", o..o + 1, &|| {
                (ip.ihl() as usize * 4).to_string()
            });
            emit("ip.dsfield", o + 1..o + 2, &|| {
                format!("0x{:02x}", frame[o + 1])
            });
            emit("ip.len", o + 2..o + 4, &|| ip.total_len().to_string());
            emit("ip.id", o + 4..o + 6, &|| ip.identification().to_string());
            emit("ip.flags", o + 6..o + 7, &|| {
                format!("0x{:x}", frame[o + 6] >> 5)
            });
            emit("ip.frag_offset", o + 6..o + 8, &|| {
                ip.fragments_offset().value().to_string()
            });
            emit("ip.ttl", o + 8..o + 9, &|| ip.ttl().to_string());
            emit("ip.proto", o + 9..o + 10, &|| ip.protocol().0.to_string());
            emit("ip.chksum", o + 10..o + 12, &|| {
                format!("0x{:04x}", ip.header_checksum())
            });
            emit("ip.src", o + 12..o + 16, &|| ip.source_addr().to_string());
            emit("ip.dst", o + 16..o + 20, &|| {
                ip.destination_addr().to_string()
            });
            let hl = ip.slice().len();
            if hl > 20 {
                emit(
                    "ip.options",
                    o + 20..o + hl,
                    &|| hex(&frame[o + 20..o + hl]),
                );
            }
            // The IP total length bounds the transport layer (Ethernet pads short frames).
            let end = (o + ip.total_len() as usize).clamp(o + hl, frame.len());
            if ip.is_fragmenting_payload() && ip.fragments_offset().value() != 0 {
                lay.payload_off = o + hl;
                return lay;
            }
            (ip.protocol(), o + hl, end)
        }
        EtherType::IPV6 => {
            let Ok(ip) = Ipv6HeaderSlice::from_slice(&frame[off..]) else {
                return lay;
            };
            let o = off;
            lay.l3_off = Some(o);
            lay.ipv6 = true;
            emit("ipv6.version", o..o + 1, &|| ip.version().to_string());
            emit("ipv6.tclass", o..o + 2, &|| {
                format!("0x{:02x}", ip.traffic_class())
            });
            emit("ipv6.flow", o + 1..o + 4, &|| {
                format!("0x{:05x}", ip.flow_label().value())
            });
            emit("ipv6.plen", o + 4..o + 6, &|| {
                ip.payload_length().to_string()
            });
            emit("ipv6.nxt", o + 6..o + 7, &|| ip.next_header().0.to_string());
            emit("ipv6.hlim", o + 7..o + 8, &|| ip.hop_limit().to_string());
            emit("ipv6.src", o + 8..o + 24, &|| ip.source_addr().to_string());
            emit("ipv6.dst", o + 24..o + 40, &|| {
                ip.destination_addr().to_string()
            });
            let end = (o + 40 + ip.payload_length() as usize).clamp(o + 40, frame.len());
            let Ok((exts, nxt, _)) =
                Ipv6ExtensionsSlice::from_slice(ip.next_header(), &frame[o + 40..end])
            else {
                lay.payload_off = o + 40;
                return lay;
            };
            let el = exts.slice().len();
            if el > 0 {
                emit("ipv6.exthdrs", o + 40..o + 40 + el, &|| hex(exts.slice()));
            }
            if exts.is_fragmenting_payload() {
                lay.payload_off = o + 40 + el;
                return lay;
            }
            (nxt, o + 40 + el, end)
        }
        _ => return lay,
    };
    lay.payload_off = l4_off;
    lay.payload_end = l4_end;
    let seg = &frame[l4_off..l4_end];
    let o = l4_off;
    match proto {
        IpNumber::TCP => {
            let Ok(t) = TcpHeaderSlice::from_slice(seg) else {
                lay.l4 = Some((L4::Tcp, o));
                return lay;
            };
            emit("tcp.srcport", o..o + 2, &|| t.source_port().to_string());
            emit("tcp.dstport", o + 2..o + 4, &|| {
                t.destination_port().to_string()
            });
            emit("tcp.seq", o + 4..o + 8, &|| t.sequence_number().to_string());
            emit("tcp.ack", o + 8..o + 12, &|| {
                t.acknowledgment_number().to_string()
            });
            emit("tcp.hdr_len", o + 12..o + 13, &|| {
                (t.data_offset() as usize * 4).to_string()
            });
            emit("tcp.flags", o + 12..o + 14, &|| {
                format!("0x{:03x}", u16::from_be_bytes([seg[12], seg[13]]) & 0x1ff)
            });
            emit("tcp.window", o + 14..o + 16, &|| {
                t.window_size().to_string()
            });
            emit("tcp.chksum", o + 16..o + 18, &|| {
                format!("0x{:04x}", t.checksum())
            });
            emit("tcp.urgptr", o + 18..o + 20, &|| {
                t.urgent_pointer().to_string()
            });
            let hl = t.slice().len();
            if hl > 20 {
                emit("tcp.options", o + 20..o + hl, &|| hex(t.options()));
            }
            lay.l4 = Some((L4::Tcp, o));
            lay.l4_csum_off = Some(o + 16);
            lay.payload_off = o + hl;
        }
        IpNumber::UDP => {
            let Ok(u) = UdpHeaderSlice::from_slice(seg) else {
                lay.l4 = Some((L4::Udp, o));
                return lay;
            };
            emit("udp.srcport", o..o + 2, &|| u.source_port().to_string());
            emit("udp.dstport", o + 2..o + 4, &|| {
                u.destination_port().to_string()
            });
            emit("udp.length", o + 4..o + 6, &|| u.length().to_string());
            emit("udp.chksum", o + 6..o + 8, &|| {
                format!("0x{:04x}", u.checksum())
            });
            lay.l4 = Some((L4::Udp, o));
            lay.l4_csum_off = Some(o + 6);
            lay.payload_off = o + 8;
            lay.payload_end = (o + u.length() as usize).clamp(o + 8, l4_end);
        }
        IpNumber::ICMP => {
            let Ok(i) = Icmpv4Slice::from_slice(seg) else {
                lay.l4 = Some((L4::Icmpv4, o));
                return lay;
            };
            emit("icmp.type", o..o + 1, &|| i.type_u8().to_string());
            emit("icmp.code", o + 1..o + 2, &|| i.code_u8().to_string());
            emit("icmp.chksum", o + 2..o + 4, &|| {
                format!("0x{:04x}", i.checksum())
            });
            emit("icmp.rest", o + 4..o + 8, &|| hex(&i.bytes5to8()));
            lay.l4 = Some((L4::Icmpv4, o));
            lay.l4_csum_off = Some(o + 2);
            lay.icmp_type = Some(i.type_u8());
            lay.payload_off = o + 8;
        }
        IpNumber::IPV6_ICMP => {
            let Ok(i) = Icmpv6Slice::from_slice(seg) else {
                lay.l4 = Some((L4::Icmpv6, o));
                return lay;
            };
            emit("icmpv6.type", o..o + 1, &|| i.type_u8().to_string());
            emit("icmpv6.code", o + 1..o + 2, &|| i.code_u8().to_string());
            emit("icmpv6.chksum", o + 2..o + 4, &|| {
                format!("0x{:04x}", i.checksum())
            });
            emit("icmpv6.rest", o + 4..o + 8, &|| hex(&i.bytes5to8()));
            lay.l4 = Some((L4::Icmpv6, o));
            lay.l4_csum_off = Some(o + 2);
            lay.icmp_type = Some(i.type_u8());
            lay.payload_off = o + 8;
        }
        IpNumber::IGMP => {
            if seg.len() >= 4 {
                emit("igmp.type", o..o + 1, &|| format!("0x{:02x}", seg[0]));
                emit("igmp.chksum", o + 2..o + 4, &|| {
                    format!("0x{:04x}", u16::from_be_bytes([seg[2], seg[3]]))
                });
            }
            lay.l4 = Some((L4::Igmp, o));
        }
        other => lay.l4 = Some((L4::Other(other.0), o)),
    }
    lay
}

/// Hex without separators, for short opaque fields.
pub fn hex(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

/// Every field of `frame` that can be dissected, in frame order, followed by `data` (the bytes
/// after the last header, up to the end of the frame, Ethernet padding included) when not empty.
pub fn dissect(frame: &[u8]) -> Vec<Field> {
    let mut out = Vec::new();
    let lay = walk(frame, |name, range, value| {
        out.push(Field {
            name,
            value: value(),
            range,
        })
    });
    if lay.payload_off < frame.len() {
        out.push(Field {
            name: "data",
            range: lay.payload_off..frame.len(),
            value: format!("{} bytes", frame.len() - lay.payload_off),
        });
    }
    out
}

/// Where the layers of `frame` start, without formatting any field.
pub fn layout(frame: &[u8]) -> Layout {
    walk(frame, |_, _, _| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ether/IPv4/UDP built by etherparse: 02:..:01 -> 02:..:02, 198.18.0.1:1111 -> 198.18.0.2:2222.
    pub(crate) fn udp4(payload: &[u8]) -> Vec<u8> {
        let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
            .udp(1111, 2222);
        let mut v = Vec::new();
        b.write(&mut v, payload).unwrap();
        v
    }

    #[test]
    fn udp4_fields_and_layout() {
        let f = udp4(&[0xaa; 30]);
        let fields = dissect(&f);
        let get = |n: &str| fields.iter().find(|x| x.name == n).unwrap().clone();
        assert_eq!(get("eth.src").value, "02:00:00:00:00:01");
        assert_eq!(get("ip.ttl").value, "64");
        assert_eq!(get("ip.ttl").range, 22..23);
        assert_eq!(get("ip.dst").value, "198.18.0.2");
        assert_eq!(get("udp.dstport").value, "2222");
        assert_eq!(get("udp.chksum").range, 40..42);
        assert_eq!(get("data").range, 42..72);
        let lay = layout(&f);
        assert_eq!(lay.l3_off, Some(14));
        assert_eq!(lay.l4, Some((L4::Udp, 34)));
        assert_eq!(lay.l4_csum_off, Some(40));
        assert_eq!(lay.payload_off, 42);
    }

    #[test]
    fn vlan_tcp_ipv6() {
        let b = etherparse::PacketBuilder::ethernet2([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2])
            .single_vlan(etherparse::VlanId::try_new(100).unwrap())
            .ipv6([0xfe; 16], [0xfd; 16], 7)
            .tcp(1, 2, 1000, 512);
        let mut f = Vec::new();
        b.write(&mut f, &[1, 2, 3]).unwrap();
        let fields = dissect(&f);
        let names: Vec<_> = fields.iter().map(|x| x.name).collect();
        assert!(names.contains(&"vlan.id"));
        assert!(names.contains(&"ipv6.hlim"));
        assert!(names.contains(&"tcp.seq"));
        let lay = layout(&f);
        assert_eq!(lay.vlans, 1);
        assert!(lay.ipv6);
        assert_eq!(lay.l4, Some((L4::Tcp, 18 + 40)));
        assert_eq!(lay.payload_off, 18 + 40 + 20);
        assert_eq!(
            fields.iter().find(|x| x.name == "vlan.id").unwrap().value,
            "100"
        );
    }

    #[test]
    fn truncated_frames_do_not_panic() {
        let f = udp4(&[0; 8]);
        for n in 0..f.len() {
            let _ = dissect(&f[..n]);
            let _ = layout(&f[..n]);
        }
    }
}
