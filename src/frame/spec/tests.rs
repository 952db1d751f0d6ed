//! Golden frames: every case built byte for byte as Scapy does, and properties of `build`.

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
    let e = small.build().unwrap_err();
    assert!(
        matches!(e, FrameError::SizeTooSmall { size: 40, .. }),
        "{e}"
    );
    assert!(
        e.to_string().contains("a size of 40 bytes is smaller"),
        "{e}"
    );
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
                    let h = t.slice();
                    prop_assert_eq!(TcpFlags(u16::from_be_bytes([h[12], h[13]]) & 0x1ff), flags);
                    prop_assert_eq!(t.payload(), &spec.payload[..]);
                }
                (TransportSlice::Udp(u), L4Spec::Udp) => {
                    prop_assert_eq!(u.destination_port(), spec.dport);
                    prop_assert_eq!(u.payload(), &spec.payload[..]);
                }
                (TransportSlice::Icmpv4(i), L4Spec::IcmpEcho { .. }) => {
                    prop_assert_eq!(i.payload(), &spec.payload[..]);
                    prop_assert_eq!(i.header().checksum, etherparse::Icmpv4Header::with_checksum(i.icmp_type(), i.payload()).checksum);
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
