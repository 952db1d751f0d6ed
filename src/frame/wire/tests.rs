//! Round trips against Scapy: a view over Scapy's bytes of a header, the setters for the
//! changes the fixture's generator made, and the bytes must equal Scapy's for the changed
//! header (tests/fixtures/wire/roundtrip.hex, made by tests/fixtures/wire/gen.py). The
//! getters are checked on the way (they read back what Scapy was given).

use std::net::{Ipv4Addr, Ipv6Addr};

use super::*;
use crate::frame::MacAddr;

const FIXTURE: &str = include_str!("../../../tests/fixtures/wire/roundtrip.hex");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// The (before, after) bytes of fixture `name`.
fn case(name: &str) -> (Vec<u8>, Vec<u8>) {
    let line = FIXTURE
        .lines()
        .find(|l| l.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("no fixture {name}"));
    let mut it = line.split(' ').skip(1);
    (unhex(it.next().unwrap()), unhex(it.next().unwrap()))
}

/// Runs `change` on a view over `name`'s before bytes; they must become the after bytes.
fn round_trip(name: &str, change: impl FnOnce(&mut [u8])) {
    let (mut before, after) = case(name);
    change(&mut before);
    assert_eq!(hex(&before), hex(&after), "{name}");
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

const M1: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
const M2: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

#[test]
fn ethernet() {
    round_trip("ethernet", |b| {
        let mut h = ethernet::Header::new_checked(b).unwrap();
        assert_eq!((h.dst(), h.src(), h.ethertype()), (M1, M2, 0x0800));
        assert!(!h.is_8023());
        h.set_dst(M2);
        h.set_src(M1);
        h.set_ethertype(ethernet::ethertype::IPV6);
    });
}

#[test]
fn vlan_and_dot1ad() {
    round_trip("vlan", |b| {
        let mut h = vlan::Header::new_checked(b).unwrap();
        assert_eq!(
            (h.pcp(), h.dei(), h.vid(), h.ethertype()),
            (0, 0, 10, 0x0800)
        );
        h.set_pcp(5);
        h.set_dei(1);
        h.set_vid(4000);
        h.set_ethertype(0x86dd);
    });
    round_trip("dot1ad", |b| {
        let mut h = vlan::Header::new_checked(b).unwrap();
        assert_eq!((h.pcp(), h.dei(), h.vid()), (1, 1, 100));
        h.set_pcp(7);
        h.set_dei(0);
        h.set_vid(200);
    });
}

#[test]
fn mpls() {
    round_trip("mpls", |b| {
        let mut h = mpls::Header::new_checked(b).unwrap();
        assert_eq!((h.label(), h.tc(), h.bottom(), h.ttl()), (16, 0, true, 64));
        h.set_label(0xfffff);
        h.set_tc(5);
        h.set_bottom(false);
        h.set_ttl(1);
    });
}

#[test]
fn arp() {
    round_trip("arp", |b| {
        let mut h = arp::Header::new_checked(b).unwrap();
        assert!(h.is_eth_ipv4());
        assert_eq!((h.oper(), h.sha()), (arp::OP_REQUEST, M1));
        assert_eq!(h.tpa(), Ipv4Addr::new(198, 18, 0, 2));
        h.set_oper(arp::OP_REPLY);
        h.set_sha(M2);
        h.set_spa(Ipv4Addr::new(198, 18, 0, 2));
        h.set_tha(M1);
        h.set_tpa(Ipv4Addr::new(198, 18, 0, 1));
    });
    assert!(!arp::Header::new_checked(&[0u8; 8][..])
        .unwrap()
        .is_eth_ipv4());
}

#[test]
fn ipv4() {
    round_trip("ipv4", |b| {
        let mut h = ipv4::Header::new_checked(b).unwrap();
        assert_eq!((h.version(), h.header_len(), h.ttl()), (4, 24, 64));
        let kinds: Vec<u8> = h.option_iter().map(|o| o.kind).collect();
        assert_eq!(kinds, [1, 1, 1, 0]);
        h.set_dsfield(0xb8);
        h.set_total_len(1500);
        h.set_ident(0x1234);
        h.set_flags(0b011);
        h.set_frag_offset(100);
        h.set_ttl(3);
        h.set_protocol(ip::protocol::GRE);
        h.set_checksum(0xabcd);
        h.set_src(Ipv4Addr::new(198, 19, 0, 1));
        h.set_dst(Ipv4Addr::new(198, 18, 0, 9));
        assert!(h.dont_frag() && h.more_frags() && !h.reserved_flag());
        assert_eq!((h.dscp(), h.ecn(), h.frag_offset()), (46, 0, 100));
    });
    // A header length under 20 and a header cut short are refused.
    let mut b = case("ipv4").0;
    b[0] = 0x44;
    assert!(matches!(
        ipv4::Header::new_checked(&b[..]),
        Err(WireError::Malformed { .. })
    ));
    assert!(ipv4::Header::new_checked(&case("ipv4").0[..22]).is_err());
}

#[test]
fn ipv6() {
    round_trip("ipv6", |b| {
        let mut h = ipv6::Header::new_checked(b).unwrap();
        assert_eq!((h.version(), h.next_header(), h.hop_limit()), (6, 59, 64));
        h.set_traffic_class(0xb8);
        h.set_flow_label(0xabcde);
        h.set_payload_len(1280);
        h.set_next_header(ip::protocol::ICMPV6);
        h.set_hop_limit(1);
        h.set_src("2001:db8::a".parse::<Ipv6Addr>().unwrap());
        h.set_dst("2001:db8::b".parse::<Ipv6Addr>().unwrap());
        assert_eq!((h.traffic_class(), h.flow_label()), (0xb8, 0xabcde));
    });
}

#[test]
fn tcp() {
    round_trip("tcp", |b| {
        let mut h = tcp::Header::new_checked(b).unwrap();
        assert_eq!((h.header_len(), h.flags()), (24, tcp::flags::SYN));
        let o = h.option_iter().next().unwrap();
        assert_eq!((o.kind, o.len), (tcp::option::MSS, tcp::option::MSS_LEN));
        h.set_src_port(443);
        h.set_dst_port(50000);
        h.set_seq(0xdead_beef);
        h.set_ack(7);
        use tcp::flags::*;
        h.set_flags(FIN | PSH | ACK | URG | ECE | CWR);
        h.set_window(65535);
        h.set_checksum(0x1234);
        h.set_urgent(9);
        assert!(h.has(ACK | PSH) && !h.has(SYN));
        assert_eq!(h.header_len(), 24);
    });
}

#[test]
fn udp() {
    round_trip("udp", |b| {
        let mut h = udp::Header::new_checked(b).unwrap();
        assert_eq!((h.src_port(), h.dst_port(), h.len()), (1, 2, 8));
        h.set_src_port(udp::port::VXLAN);
        h.set_dst_port(udp::port::GENEVE);
        h.set_len(100);
        h.set_checksum(0xffff);
        // The length bounds the datagram, clamped to the bytes there.
        assert_eq!(h.datagram_end(), 8);
    });
}

#[test]
fn icmp_and_icmpv6() {
    round_trip("icmp", |b| {
        let mut h = icmp::Header::new_checked(b).unwrap();
        assert_eq!(h.msg_type(), icmp::msg::ECHO_REQUEST);
        h.set_msg_type(icmp::msg::ECHO_REPLY);
        h.set_echo_ident(0x4242);
        h.set_echo_seq(77);
        h.set_checksum(0x1111);
    });
    round_trip("icmpv6", |b| {
        let mut h = icmpv6::Header::new_checked(b).unwrap();
        assert_eq!(h.msg_type(), icmpv6::msg::ECHO_REQUEST);
        h.set_msg_type(icmpv6::msg::ECHO_REPLY);
        h.set_echo_ident(9);
        h.set_echo_seq(1000);
        h.set_checksum(0x2222);
    });
    round_trip("icmpv6_ns", |b| {
        let mut h = icmpv6::Header::new_checked(b).unwrap();
        assert!(h.has_target());
        h.set_code(1);
        h.set_checksum(0x3333);
        h.set_target("2001:db8::ff".parse().unwrap());
    });
}

#[test]
fn igmp() {
    round_trip("igmp", |b| {
        let mut h = igmp::Header::new_checked(b).unwrap();
        assert_eq!(h.group(), Ipv4Addr::new(239, 1, 1, 1));
        h.set_msg_type(igmp::msg::LEAVE_GROUP);
        h.set_max_resp(100);
        h.set_checksum(0x4444);
        h.set_group(Ipv4Addr::new(239, 2, 2, 2));
    });
}

#[test]
fn tunnels() {
    round_trip("gre", |b| {
        let mut h = gre::Header::new_checked(b).unwrap();
        assert_eq!((h.header_len(), h.key()), (4, None));
        h.set_protocol(ethernet::ethertype::TEB);
    });
    round_trip("vxlan", |b| {
        let mut h = vxlan::Header::new_checked(b).unwrap();
        assert_eq!((h.vni(), h.flags()), (1, vxlan::FLAG_VNI));
        h.set_vni(0xabcdef);
    });
    round_trip("geneve", |b| {
        let mut h = geneve::Header::new_checked(b).unwrap();
        assert_eq!((h.vni(), h.header_len()), (1, 8));
        h.set_vni(0x123456);
        h.set_protocol(ethernet::ethertype::IPV4);
    });
    // A GRE header with the key flag: the key is after the checksum word.
    let b = [0xa0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0, 42];
    let h = gre::Header::new_checked(&b[..]).unwrap();
    assert_eq!((h.header_len(), h.key()), (12, Some(42)));
}

#[test]
fn issue_23_tunnels() {
    // GRE with every optional word (getters only: before and after are the same header).
    round_trip("gre_keyseq", |b| {
        let h = gre::Header::new_checked(&b[..]).unwrap();
        assert_eq!(h.header_len(), 16);
        assert_eq!((h.checksum(), h.offset()), (Some(0xbeef), Some(0)));
        assert_eq!((h.key(), h.sequence_number()), (Some(0x1234), Some(7)));
        assert_eq!((h.recursion_control(), h.reserved_flags()), (5, 9));
        assert_eq!((h.key_field(), h.seq_field()), (Some(8..12), Some(12..16)));
        assert_eq!(h.protocol(), ethernet::ethertype::TEB);
    });
    round_trip("erspan2", |b| {
        let h = erspan::Header::new_checked(&b[..]).unwrap();
        assert_eq!(
            (h.version(), h.header_len(), h.vlan(), h.cos()),
            (1, 8, 100, 5)
        );
        assert_eq!((h.encap(), h.truncated(), h.session_id()), (3, true, 77));
        assert_eq!((h.reserved(), h.index()), (9, 0x12345));
    });
    round_trip("erspan3", |b| {
        let h = erspan::Header::new_checked(&b[..]).unwrap();
        assert_eq!(
            (h.version(), h.header_len(), h.vlan(), h.encap()),
            (2, 12, 200, 2)
        );
        assert_eq!((h.timestamp(), h.sgt()), (0x0102_0304, 0x0506));
        assert_eq!(erspan::split_p_o(h.p_o()), (1, 3, 9, 1, 2, 1));
        assert!(h.has_platform());
    });
    round_trip("nsh", |b| {
        let mut h = nsh::Header::new_checked(b).unwrap();
        assert_eq!(
            (h.version(), h.ttl(), h.len_words(), h.header_len()),
            (0, 63, 6, 24)
        );
        assert_eq!(
            (h.md_type(), h.next_protocol(), h.spi(), h.si()),
            (1, 1, 42, 254)
        );
        h.set_next_protocol(nsh::next::ETHERNET);
        h.set_spi(0xabcdef);
        h.set_si(9);
    });
    round_trip("pim", |b| {
        let mut h = pim::Header::new_checked(b).unwrap();
        assert_eq!(
            (h.version(), h.msg_type(), h.register_flags()),
            (2, 1, None)
        );
        h.set_reserved(7);
        h.set_checksum(0x1234);
    });
    // A jumbo option after a Pad1 and a PadN (Scapy's `IPv6ExtHdrHopByHop(options=[Pad1(),
    // Jumbo(jumboplen=1)])`): its value and where it sits.
    let hbh = [0x3b, 1, 0, 1, 1, 0, 0xc2, 4, 0, 0, 0, 1, 1, 2, 0, 0];
    assert_eq!(ipv6::jumbo_option(&hbh), Some((8, 1)));
    assert_eq!(ipv6::jumbo_option(&hbh[..10]), None);
}

#[test]
fn llc_snap() {
    round_trip("llc_snap", |b| {
        let mut h = llc::Header::new_checked(b).unwrap();
        assert!(h.has_snap());
        assert_eq!(h.snap_pid(), 0x0800);
        h.set_snap_oui(0x00000c);
        h.set_snap_pid(0x2000);
    });
}

#[test]
fn short_buffers_are_refused() {
    assert!(ethernet::Header::new_checked(&[0u8; 13][..]).is_err());
    assert!(tcp::Header::new_checked(&[0u8; 19][..]).is_err());
    // A TCP data offset of 15 words with 20 bytes there.
    let mut t = [0u8; 20];
    t[12] = 0xf0;
    assert!(tcp::Header::new_checked(&t[..]).is_err());
    assert!(ipv6::Header::new_checked(&[0u8; 39][..]).is_err());
    assert_eq!(
        udp::Header::new_checked(&[0u8; 3][..]),
        Err(WireError::Truncated { need: 8, have: 3 })
    );
}

/// The fields the printers read beyond the headers' fixed parts: VXLAN-GPE and -GBP, the
/// ICMP error words, router advertisements, ND options, IPv6 fragment and routing headers.
#[test]
fn extension_fields() {
    round_trip("vxlan_gpe", |b| {
        let mut h = vxlan::Header::new_checked(b).unwrap();
        assert_eq!(
            h.flags() & vxlan::FLAG_NEXT_PROTOCOL,
            vxlan::FLAG_NEXT_PROTOCOL
        );
        assert_eq!((h.next_protocol(), h.reserved0(), h.vni()), (1, 0, 1));
        h.set_reserved0(0x0102);
        h.set_next_protocol(3);
        h.set_vni(2);
        h.set_reserved2(5);
    });
    round_trip("vxlan_gbp", |b| {
        let mut h = vxlan::Header::new_checked(b).unwrap();
        assert_eq!(h.flags() & vxlan::FLAG_GBP, vxlan::FLAG_GBP);
        assert_eq!((h.gbp_flags(), h.gbp_id(), h.reserved1()), (0, 1, 1));
        h.set_gbp_flags(0x40);
        h.set_gbp_id(0xbeef);
        h.set_vni(7);
    });
    // Fields without a setter of their own: written through their ranges.
    fn put<V: Value>(b: &mut [u8], f: Field, v: V) {
        v.put(&mut b[f]);
    }
    fn get<V: Value>(b: &[u8], f: Field) -> V {
        V::get(&b[f])
    }
    round_trip("icmp_error", |b| {
        let mut h = icmp::Header::new_checked(&mut *b).unwrap();
        assert_eq!((h.msg_type(), h.code(), h.next_hop_mtu()), (3, 4, 1500));
        h.set_msg_type(icmp::msg::PARAM_PROBLEM);
        h.set_code(0);
        h.set_next_hop_mtu(0);
        put(b, icmp::field::POINTER, 20u8);
        put(b, icmp::field::LENGTH, 5u8);
    });
    round_trip("icmpv6_ra", |b| {
        use icmpv6::field as F;
        assert_eq!(get::<u8>(b, F::RA_CUR_HOP_LIMIT), 64);
        assert_eq!(get::<u16>(b, F::RA_ROUTER_LIFETIME), 1800);
        put(b, F::RA_CUR_HOP_LIMIT, 255u8);
        let flags = get::<u8>(b, F::RA_FLAGS);
        put(b, F::RA_FLAGS, flags | 0xc0); // M and O
        put(b, F::RA_ROUTER_LIFETIME, 9000u16);
        put(b, F::RA_REACHABLE_TIME, 30000u32);
        put(b, F::RA_RETRANS_TIMER, 1000u32);
    });
    round_trip("nd_prefix", |b| {
        use icmpv6::field as F;
        assert_eq!(get::<u8>(b, F::OPT_TYPE), icmpv6::nd_option::PREFIX_INFO);
        assert_eq!(get::<u8>(b, F::OPT_PREFIX_LEN), 64);
        put(b, F::OPT_PREFIX_LEN, 48u8);
        put(b, F::OPT_VALID_LIFETIME, 7u32);
        put(b, F::OPT_PREFERRED_LIFETIME, 3u32);
        let p: Ipv6Addr = "2001:db8:1::".parse().unwrap();
        put(b, F::OPT_PREFIX, p);
    });
    round_trip("nd_mtu", |b| {
        use icmpv6::field as F;
        assert_eq!(get::<u8>(b, F::OPT_TYPE), icmpv6::nd_option::MTU);
        assert_eq!(get::<u32>(b, F::OPT_MTU), 1500);
        put(b, F::OPT_MTU, 9000u32);
    });
    round_trip("ipv6_frag", |b| {
        use ipv6::field as F;
        assert_eq!(ipv6::ext_header_len(ip::protocol::IPV6_FRAG, b), 8);
        assert!(!ipv6::is_later_fragment(b));
        assert_eq!(get::<u32>(b, F::FRAG_IDENT), 1);
        put(b, F::FRAG_OFF_M, (185u16 << 3) | 1);
        put(b, F::FRAG_IDENT, 0xdead_beefu32);
        assert!(ipv6::is_later_fragment(b));
    });
    round_trip("ipv6_route", |b| {
        use ipv6::field as F;
        assert_eq!(ipv6::ext_header_len(ip::protocol::IPV6_ROUTE, b), 24);
        assert_eq!(
            (get::<u8>(b, F::ROUTE_TYPE), get::<u8>(b, F::ROUTE_SEGLEFT)),
            (0, 1)
        );
        assert_eq!(get::<u32>(b, F::ROUTE_RESERVED), 0);
        let first: Ipv6Addr = get(b, F::ROUTE_RESERVED.end..F::ROUTE_RESERVED.end + 16);
        assert_eq!(first, "2001:db8::1".parse::<Ipv6Addr>().unwrap());
        put(b, F::ROUTE_SEGLEFT, 0u8);
    });
}
