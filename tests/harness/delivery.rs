//! Frames across a pair arrive all, in order, unchanged (tags, bad checksums, jumbo frames).

use super::*;

/// 10,000 frames across a veth pair, all present, byte-exact, in order.
#[test]
fn ten_thousand_frames_in_order() {
    if !common::require_root!() {
        return;
    }
    let r = common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        harness::launch(&plan("vb0", "vb1", 10_000))
            .unwrap()
            .wait()
            .unwrap()
    });
    assert!(r.passed(), "{r}");
    assert_eq!(
        (r.sent, r.intact, r.lost, r.reordered),
        (10_000, 10_000, 0, 0)
    );
}

/// A VLAN tag, a TCP frame with a wrong checksum, IPv6/UDP, and a 9000-byte frame over a
/// 9000-MTU pair arrive unchanged.
#[test]
fn tags_and_payloads_survive() {
    if !common::require_root!() {
        return;
    }
    common::in_private_netns(|| {
        common::veth_pair("vb0", "vb1");
        for d in ["vb0", "vb1"] {
            common::run_ok("ip", &["link", "set", d, "mtu", "9000"]);
        }
        let (mut tb, ends) = Testbench::attach(&[("vb0", None), ("vb1", None)]).unwrap();
        let (a, b) = (ends[0], ends[1]);
        let mac = ([2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]);
        let mut frames = Vec::new();
        let mut v = Vec::new();
        PacketBuilder::ethernet2(mac.0, mac.1)
            .single_vlan(etherparse::VlanId::try_new(100).unwrap())
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
            .udp(1, 2)
            .write(&mut v, b"tagged")
            .unwrap();
        frames.push(v);
        let mut v = Vec::new();
        PacketBuilder::ethernet2(mac.0, mac.1)
            .ipv4([198, 18, 0, 1], [198, 18, 0, 2], 64)
            .tcp(1111, 2222, 1, 8192)
            .write(&mut v, b"bad checksum")
            .unwrap();
        v[50] ^= 0xff; // TCP checksum
        frames.push(v);
        let mut v = Vec::new();
        PacketBuilder::ethernet2(mac.0, mac.1)
            .ipv6(
                [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                [0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
                64,
            )
            .udp(3, 4)
            .write(&mut v, b"v6")
            .unwrap();
        frames.push(v);
        frames.push(udp4(&vec![0x5a; 9000 - 20 - 8]));
        assert_eq!(frames[3].len(), 9014);
        for f in &frames {
            tb.send(a, f).unwrap();
            tb.expect(b, f.clone(), Duration::from_secs(1)).unwrap();
        }
        tb.expect_no_other(b, Duration::from_millis(100)).unwrap();
    });
}
