//! The layers of issue 10 in the view: names and values as tshark gives them (the whole set is
//! compared with tshark itself in tests/read_tshark.rs).

use super::tests::udp4;
use super::*;

fn values(frame: &[u8], name: &str) -> String {
    let mut s = String::new();
    write_values(frame, name, &mut s);
    s
}

/// `udp4` with an 802.1ad S-tag (300) and an 802.1Q C-tag (2001) after the MACs.
fn qinq() -> Vec<u8> {
    let mut f = udp4(b"ad");
    let tags = [0x88, 0xa8, 0x01, 0x2c, 0x81, 0x00, 0x07, 0xd1];
    f.splice(12..12, tags);
    f
}

#[test]
fn s_tag_is_ieee8021ad_and_c_tag_is_vlan() {
    let f = qinq();
    assert_eq!(values(&f, "ieee8021ad.id"), "300");
    assert_eq!(values(&f, "vlan.id"), "2001");
    assert_eq!(values(&f, "vlan.etype"), "0x0800");
    assert_eq!(values(&f, "udp.dstport"), "2222");
    let lay = layout(&f);
    assert_eq!(lay.vlans, 2);
    assert_eq!(lay.l3_off, Some(22));
}

#[test]
fn total_length_zero_is_read_to_the_captured_end_and_later_fragments_stop() {
    let mut f = udp4(b"tso!");
    f[16] = 0;
    f[17] = 0;
    assert_eq!(values(&f, "ip.len"), "32");
    assert_eq!(values(&f, "udp.srcport"), "1111");
    // A later fragment: no UDP, its bytes are data.
    let mut g = udp4(b"frag");
    g[20] = 0x00;
    g[21] = 0x06;
    assert_eq!(values(&g, "udp.srcport"), "");
    assert_eq!(values(&g, "ip.frag_offset"), "6");
    let lay = layout(&g);
    assert!(lay.ip_later_fragment);
    assert!(lay.layers().iter().any(|h| h.proto == LayerKind::Fragment));
}

#[test]
fn quoted_packet_repeats_names_outer_first() {
    // ICMP port unreachable from 198.18.0.2 quoting the udp4 datagram.
    let inner = udp4(b"q");
    let mut f = inner[..14].to_vec();
    let quoted = &inner[14..];
    let total = (20 + 8 + quoted.len()) as u16;
    f.extend_from_slice(&[
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        1,
        0,
        0,
        64,
        1,
        0,
        0,
    ]);
    f.extend_from_slice(&[198, 18, 0, 2, 198, 18, 0, 1]);
    f.extend_from_slice(&[3, 3, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(quoted);
    assert_eq!(values(&f, "ip.src"), "198.18.0.2,198.18.0.1");
    assert_eq!(values(&f, "icmp.type"), "3");
    assert_eq!(values(&f, "udp.dstport"), "2222");
    // The layout's single fields stay the outer ICMP's.
    assert_eq!(layout(&f).l4, Some((L4::Icmpv4, 34)));
}
