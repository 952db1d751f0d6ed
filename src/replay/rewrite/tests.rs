use super::*;
use crate::frame::{FrameSpec, L4Spec};

fn frame(vlan: Option<u16>, src: &str, dst: &str, l4: L4Spec) -> Vec<u8> {
    FrameSpec {
        vlan,
        src_ip: src.parse().unwrap(),
        dst_ip: dst.parse().unwrap(),
        dont_fragment: src.contains('.'),
        l4,
        payload: b"replayed".to_vec(),
        ..FrameSpec::default()
    }
    .build()
    .unwrap()
}

/// Rewrite `f` with `spec` in a buffer with headroom.
fn run(spec: &RewriteSpec, f: &[u8]) -> (Vec<u8>, Outcome) {
    let mut buf = vec![0u8; f.len() + 4];
    buf[..f.len()].copy_from_slice(f);
    let (n, o) = apply(spec, &mut buf, f.len());
    buf.truncate(n);
    (buf, o)
}

#[test]
fn ip_maps_give_what_the_builder_gives_with_and_without_a_tag() {
    let cases = [
        (
            "10.1.2.3",
            "10.9.9.9",
            "10.0.0.0/8:198.18.0.0/15",
            "198.19.2.3",
        ),
        (
            "2001:db8::7",
            "2001:db8::9",
            "2001:db8::/32:2001:2::/48",
            "2001:2::7",
        ),
    ];
    for vlan in [None, Some(100)] {
        for l4 in [L4Spec::Udp, L4Spec::TCP, L4Spec::ICMP_ECHO] {
            for (src, dst, map, want_src) in cases {
                let spec = RewriteSpec {
                    src_ip_map: IpMap::parse_list(map).unwrap(),
                    ..RewriteSpec::default()
                };
                let (got, o) = run(&spec, &frame(vlan, src, dst, l4));
                assert_eq!(got, frame(vlan, want_src, dst, l4), "{vlan:?} {map}");
                assert!(matches!(
                    o,
                    Outcome::Rewritten {
                        checksums_partial: false
                    }
                ));
                // The destination is not in the map for dst: untouched.
                let spec = RewriteSpec {
                    dst_ip_map: IpMap::parse_list(
                        "198.18.0.0/15:198.19.0.0/16,2001:2::/48:2001:3::/48",
                    )
                    .unwrap(),
                    ..RewriteSpec::default()
                };
                assert_eq!(run(&spec, &frame(vlan, src, dst, l4)).1, Outcome::Untouched);
            }
        }
    }
}

#[test]
fn macs_and_vlan_operations() {
    let plain = frame(None, "198.18.0.1", "198.18.0.2", L4Spec::Udp);
    let tagged = frame(Some(7), "198.18.0.1", "198.18.0.2", L4Spec::Udp);
    let retagged = frame(Some(9), "198.18.0.1", "198.18.0.2", L4Spec::Udp);
    let add = |id| RewriteSpec {
        vlan: Some(VlanOp::Add(id)),
        ..RewriteSpec::default()
    };
    // Adding a tag keeps every byte (tcpreplay's #990 lost the last 4).
    assert_eq!(run(&add(7), &plain).0, tagged);
    assert_eq!(
        run(&add(7), &tagged),
        (tagged.clone(), Outcome::Unchanged(Unchanged::AlreadyTagged))
    );
    let strip = RewriteSpec {
        vlan: Some(VlanOp::Strip),
        ..RewriteSpec::default()
    };
    assert_eq!(run(&strip, &tagged).0, plain);
    assert_eq!(run(&strip, &plain), (plain.clone(), Outcome::Untouched));
    let set = RewriteSpec {
        vlan: Some(VlanOp::Set(9)),
        ..RewriteSpec::default()
    };
    assert_eq!(run(&set, &tagged).0, retagged);
    assert_eq!(run(&set, &plain).0, retagged);
    let macs = RewriteSpec {
        src_mac: Some(MacAddr([2, 0, 0, 0, 0, 0xaa])),
        dst_mac: Some(MacAddr([2, 0, 0, 0, 0, 0xbb])),
        ..RewriteSpec::default()
    };
    let (got, _) = run(&macs, &tagged);
    assert_eq!(&got[..12], &[2, 0, 0, 0, 0, 0xbb, 2, 0, 0, 0, 0, 0xaa]);
    assert_eq!(&got[12..], &tagged[12..]);
}

#[test]
fn fixing_checksums_of_a_tagged_frame_keeps_the_ip_flags() {
    // tcpreplay #583: the fix wrote into the IPv4 flags of 802.1Q frames.
    let good = frame(Some(3), "198.18.0.1", "198.18.0.2", L4Spec::TCP);
    let mut bad = good.clone();
    bad[18 + 10] = 0; // IPv4 checksum
    bad[18 + 11] = 0;
    bad[18 + 20 + 16] ^= 0xff; // TCP checksum
    let spec = RewriteSpec {
        fix_checksums: true,
        ..RewriteSpec::default()
    };
    let (got, o) = run(&spec, &bad);
    assert_eq!(got, good);
    assert_eq!(got[18 + 6], 0x40, "DF kept");
    assert!(matches!(
        o,
        Outcome::Rewritten {
            checksums_partial: false
        }
    ));
    assert_eq!(run(&spec, &good).1, Outcome::Untouched);
    // A snaplen-cut frame: not whole, so partial.
    let (_, o) = run(&spec, &good[..good.len() - 2]);
    assert_eq!(
        o,
        Outcome::Rewritten {
            checksums_partial: true
        }
    );
}

#[test]
fn malformed_frames_are_left_as_read() {
    let f = frame(None, "198.18.0.1", "198.18.0.2", L4Spec::Udp);
    let spec = RewriteSpec {
        src_mac: Some(MacAddr([2, 0, 0, 0, 0, 1])),
        src_ip_map: IpMap::parse_list("198.18.0.0/15:198.19.0.0/16").unwrap(),
        ..RewriteSpec::default()
    };
    // Says IPv4, cut inside the IP header.
    let cut = &f[..20];
    assert_eq!(
        run(&spec, cut),
        (cut.to_vec(), Outcome::Unchanged(Unchanged::Malformed))
    );
    assert_eq!(
        run(&spec, &f[..10]).1,
        Outcome::Unchanged(Unchanged::Malformed)
    );
}

#[test]
fn specs_parse_and_refuse() {
    let m: IpMap = "2001:db8::/32:2001:2::/48".parse().unwrap();
    assert_eq!(m.old.prefix, 32);
    assert_eq!(m.new.addr, "2001:2::".parse::<IpAddr>().unwrap());
    for bad in [
        "10.0.0.0/8",
        "10.0.0.0/33:1.0.0.0/8",
        "10.0.0.0/8:2001::/16",
        "x/8:y/8",
    ] {
        assert!(bad.parse::<IpMap>().is_err(), "{bad}");
    }
    assert_eq!("add:10".parse(), Ok(VlanOp::Add(10)));
    assert_eq!("strip".parse(), Ok(VlanOp::Strip));
    assert_eq!("set:4095".parse(), Ok(VlanOp::Set(4095)));
    for bad in ["add", "add:4096", "set:-1", "pop"] {
        assert!(bad.parse::<VlanOp>().is_err(), "{bad}");
    }
}

#[test]
fn truncation_sets_the_ip_length() {
    let f = frame(None, "198.18.0.1", "198.18.0.2", L4Spec::Udp);
    let mut b = f.clone();
    let n = truncate(&mut b, 40);
    b.truncate(n);
    let l = layout::parse(&b).unwrap();
    assert_eq!(l.ip_end, 40);
    let mut fixed = b.clone();
    checksum::fix_ipv4_header(&mut fixed, &l);
    assert_eq!(fixed, b, "IPv4 header checksum valid");
}
